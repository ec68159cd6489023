// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio.ko: module setup, the "vfio-dev" class that holds the vfioN class
 * devices, the pseudo filesystem whose inodes back device fd mappings,
 * and the unsafe no-IOMMU switch.
 */

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>

#include <vfio/virqfd.h>

#include "vfio_core.h"

/* Above upstream's "0.3": dkms installs a module only over an older one. */
#define VFIO_CORE_VERSION	"0.3.1"
#define VFIO_CORE_DESC		"VFIO - User Level meta-driver"

/* "VFIO" in ASCII: st_dev magic of the device inodes. */
#define VFIO_FS_MAGIC		0x5646494f

/*
 * Upstream keeps this switch on vfio.ko; DPDK writes it through
 * /sys/module/vfio/parameters/enable_unsafe_noiommu_mode.
 */
static bool vfio_unsafe_noiommu;
module_param_named(enable_unsafe_noiommu_mode, vfio_unsafe_noiommu, bool, 0644);
MODULE_PARM_DESC(enable_unsafe_noiommu_mode,
		 "Enable UNSAFE, no-IOMMU mode.  This mode provides no device isolation, no DMA translation, no host kernel protection, cannot be used for device assignment to virtual machines, requires RAWIO permissions, and will taint the kernel.  If you do not know what this is for, step away. (default: false)");

bool vfio_noiommu_enabled(void)
{
	/* Writable at run time through sysfs. */
	return READ_ONCE(vfio_unsafe_noiommu);
}
EXPORT_SYMBOL_GPL(vfio_noiommu_enabled);

/* The device cdevs: /dev/vfio/devices/vfioN, minor N (the index). */
dev_t vfio_cdev_devt;

static char *vfio_dev_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "vfio/devices/%s", dev_name(dev));
}

/*
 * /sys/class/vfio-dev/vfioN, parented to the bus device; those with a
 * cdev carry its dev_t, so udev makes the node.
 */
const struct class vfio_dev_class = {
	.name = "vfio-dev",
	.devnode = vfio_dev_devnode,
};

/*
 * Every device gets one inode of this internal filesystem. All fds of
 * the device point their f_mapping at it, so a bus driver reaches every
 * user mapping of the device through a single address_space.
 * The mount exists while some device holds an inode (simple_pin_fs
 * counts the users under its own lock).
 */
static struct vfsmount *vfio_fs_mnt;
static int vfio_fs_users;

static int vfio_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VFIO_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type vfio_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "vfio",
	.init_fs_context	= vfio_fs_init_fs_context,
	.kill_sb		= kill_anon_super,
};

struct inode *vfio_core_inode_get(void)
{
	struct inode *inode;
	int ret;

	ret = simple_pin_fs(&vfio_fs_type, &vfio_fs_mnt, &vfio_fs_users);
	if (ret)
		return ERR_PTR(ret);

	inode = alloc_anon_inode(vfio_fs_mnt->mnt_sb);
	if (IS_ERR(inode))
		simple_release_fs(&vfio_fs_mnt, &vfio_fs_users);
	return inode;
}

void vfio_core_inode_put(struct inode *inode)
{
	iput(inode);
	simple_release_fs(&vfio_fs_mnt, &vfio_fs_users);
}

static int __init vfio_core_init(void)
{
	int ret;

	ret = vfio_virqfd_init();
	if (ret)
		return ret;
	ret = class_register(&vfio_dev_class);
	if (ret)
		goto err_virqfd;
	if (vfio_core_has_cdev()) {
		ret = alloc_chrdev_region(&vfio_cdev_devt, 0, MINORMASK + 1,
					  "vfio-dev");
		if (ret)
			goto err_class;
	}

	vfio_debugfs_init();
	pr_info(VFIO_CORE_DESC " version: " VFIO_CORE_VERSION "\n");
	return 0;

err_class:
	class_unregister(&vfio_dev_class);
err_virqfd:
	vfio_virqfd_exit();
	return ret;
}

static void __exit vfio_core_exit(void)
{
	/* No device is left: the bus drivers owning them use our symbols. */
	vfio_debugfs_exit();
	if (vfio_core_has_cdev())
		unregister_chrdev_region(vfio_cdev_devt, MINORMASK + 1);
	class_unregister(&vfio_dev_class);
	vfio_dev_sets_exit();
	vfio_devices_exit();
	vfio_virqfd_exit();
}

module_init(vfio_core_init);
module_exit(vfio_core_exit);

MODULE_VERSION(VFIO_CORE_VERSION);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION(VFIO_CORE_DESC);
/*
 * `modprobe vfio` brings the type1 container backend, as upstream, and
 * the device cdev frontend (upstream's vfio.ko has it built in).
 */
#ifdef VFIO_OOT_IOMMUFD
MODULE_SOFTDEP("post: vfio_group vfio_iommu_type1 vfio_cdev");
#else
MODULE_SOFTDEP("post: vfio_group vfio_iommu_type1");
#endif
