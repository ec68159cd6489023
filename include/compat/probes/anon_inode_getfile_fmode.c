// SPDX-License-Identifier: GPL-2.0-only
/* probe: VFIO_HAVE_ANON_INODE_GETFILE_FMODE */
#include <linux/anon_inodes.h>
#include <linux/fs.h>

struct file *probe(const struct file_operations *fops);
struct file *probe(const struct file_operations *fops)
{
	return anon_inode_getfile_fmode("p", fops, NULL, O_RDWR, FMODE_PREAD);
}
