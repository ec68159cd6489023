// SPDX-License-Identifier: GPL-2.0-only
/*
 * The debugfs view upstream's vfio.ko has with CONFIG_VFIO_DEBUGFS:
 * /sys/kernel/debug/vfio/<bus device name>/ for every registered
 * device, and for devices with mig_ops migration/state, the state's
 * name as the uapi enum spells it. Built whenever debugfs is.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "vfio_core.h"

static struct dentry *vfio_debugfs_top;

static const char * const vfio_mig_state_names[VFIO_DEVICE_STATE_NR] = {
	[VFIO_DEVICE_STATE_ERROR]	 = "ERROR",
	[VFIO_DEVICE_STATE_STOP]	 = "STOP",
	[VFIO_DEVICE_STATE_RUNNING]	 = "RUNNING",
	[VFIO_DEVICE_STATE_STOP_COPY]	 = "STOP_COPY",
	[VFIO_DEVICE_STATE_RESUMING]	 = "RESUMING",
	[VFIO_DEVICE_STATE_RUNNING_P2P]	 = "RUNNING_P2P",
	[VFIO_DEVICE_STATE_PRE_COPY]	 = "PRE_COPY",
	[VFIO_DEVICE_STATE_PRE_COPY_P2P] = "PRE_COPY_P2P",
};

static int vfio_debugfs_state_show(struct seq_file *m, void *unused)
{
	struct vfio_device *vdev = m->private;
	enum vfio_device_mig_state state;

	/* A driver's own errno is not the file's business: EINVAL. */
	if (vdev->mig_ops->migration_get_state(vdev, &state))
		return -EINVAL;
	if (state < VFIO_DEVICE_STATE_NR)
		seq_printf(m, "%s\n", vfio_mig_state_names[state]);
	else
		seq_puts(m, "Invalid\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vfio_debugfs_state);

/*
 * Called once the device is registered. debugfs's own file protection
 * makes vfio_debugfs_device_remove() wait for readers in flight, so the
 * files never outlive the registration.
 */
void vfio_debugfs_device_add(struct vfio_device *vdev)
{
	struct dentry *mig;

	if (!IS_ENABLED(CONFIG_DEBUG_FS) || !vfio_debugfs_top)
		return;
	vdev->debug_root = debugfs_create_dir(dev_name(vdev->dev),
					      vfio_debugfs_top);
	if (!vdev->mig_ops)
		return;
	mig = debugfs_create_dir("migration", vdev->debug_root);
	debugfs_create_file("state", 0444, mig, vdev, &vfio_debugfs_state_fops);
}

void vfio_debugfs_device_remove(struct vfio_device *vdev)
{
	debugfs_remove_recursive(vdev->debug_root);
	vdev->debug_root = NULL;
}

void vfio_debugfs_init(void)
{
	if (IS_ENABLED(CONFIG_DEBUG_FS))
		vfio_debugfs_top = debugfs_create_dir("vfio", NULL);
}

void vfio_debugfs_exit(void)
{
	debugfs_remove_recursive(vfio_debugfs_top);
	vfio_debugfs_top = NULL;
}
