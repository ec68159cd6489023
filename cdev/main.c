// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_cdev.ko: the device cdev frontend. The core gives every device
 * that can be bound to an iommufd a node /dev/vfio/devices/vfioN; opening
 * it makes an fd with these attach_ops and no access to the device yet.
 * VFIO_DEVICE_BIND_IOMMUFD (bind.c) binds the fd to an iommufd context
 * and opens the device: the first open binds the device to the context
 * (its DMA ownership goes to the context, DMA stays blocked until
 * ATTACH_IOMMUFD_PT), the last close unbinds it.
 *
 * Upstream has this inside vfio.ko; here it is a frontend like the group
 * module, so vfio.ko carries a soft dependency on it (and loads it on the
 * first open of a node if needed).
 */

#include <linux/module.h>
#include <linux/spinlock.h>

#include "cdev.h"

/* First open (dev_set->lock held): bind the device to the fd's context. */
static int vcdev_attach(struct vfio_device_file *df)
{
	struct vfio_device *vdev = df->device;

	return vdev->ops->bind_iommufd(vdev, df->iommufd, &df->devid);
}

/* Last close (dev_set->lock held): detached and unbound by the driver. */
static void vcdev_detach(struct vfio_device_file *df)
{
	struct vfio_device *vdev = df->device;

	vdev->ops->unbind_iommufd(vdev);
	vdev->cdev_opened = false;
}

/*
 * The VM KVM gave this fd (vfio_file_set_kvm) before BIND is the one the
 * driver sees; KVM clears df->kvm under kvm_ref_lock before dropping it.
 */
static void vcdev_get_kvm(struct vfio_device_file *df)
{
	spin_lock(&df->kvm_ref_lock);
	vfio_device_hold_kvm(df->device, df->kvm);
	spin_unlock(&df->kvm_ref_lock);
}

/*
 * No pin_pages/dma_rw: a device bound to an iommufd has no container;
 * the core sends its vfio_pin_pages()/vfio_dma_rw() to its access.
 */
static const struct vfio_device_attach_ops vcdev_attach_ops = {
	.owner = THIS_MODULE,
	.exclusive = true,
	.attach = vcdev_attach, .detach = vcdev_detach,
	.get_kvm = vcdev_get_kvm,
	.ioctl = vcdev_ioctl, .release = vcdev_release,
};

/*
 * Nothing per device: the core owns the cdevs and calls vfio_file_* on
 * their fds itself (they are ordinary device fds).
 */
struct vfio_frontend_ops vcdev_frontend = {
	.name = "cdev", .owner = THIS_MODULE,
	.cdev_attach_ops = &vcdev_attach_ops,
};

static int __init vcdev_init(void)
{
	return vfio_register_frontend(&vcdev_frontend);
}

/* Each fd of ours pins this module, so none is left. */
static void __exit vcdev_exit(void)
{
	vfio_unregister_frontend(&vcdev_frontend);
}

module_init(vcdev_init);
module_exit(vcdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO device cdev (/dev/vfio/devices/vfioN) on iommufd");
MODULE_AUTHOR("VFIO out-of-tree team");
