// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ioctls only cdev fds have. The core copied the mandatory part of
 * the argument and checked argsz and flags (-EINVAL) before calling us;
 * the errnos below are upstream 6.12's.
 *
 * BIND_IOMMUFD turns an fd without access into an open of the device:
 * other frontends are blocked first (-EBUSY while the group fd is open),
 * then, under dev_set->lock, the context is taken from the iommufd fd
 * (-EBADF closed, -EBADFD not /dev/iommu) and the device opened (-EINVAL
 * if already open elsewhere). The fd's release undoes it all: the core
 * closes the device (last close: unbind), then vcdev_release() drops the
 * context and the block.
 */

#include <linux/module.h>
#include <linux/uaccess.h>
#include <uapi/linux/vfio.h>

#include <vfio/iommufd.h>

#include "cdev.h"

MODULE_IMPORT_NS(IOMMUFD);

static long vcdev_bind(struct vfio_device_file *df, void *karg,
		       void __user *uarg)
{
	struct vfio_device_bind_iommufd *bind = karg;
	struct vfio_device_bind_iommufd __user *arg = uarg;
	struct vfio_device *vdev = df->device;
	struct iommufd_ctx *ictx;
	int ret;

	if (bind->iommufd < 0)
		return -EINVAL;

	ret = vfio_device_block_frontends(vdev, &vcdev_frontend);
	if (ret)
		return ret;

	mutex_lock(&vdev->dev_set->lock);
	/* Bound already (maybe by a BIND racing with this one). */
	if (df->access_granted) {
		ret = -EINVAL;
		goto err_unlock;
	}

	ictx = iommufd_ctx_from_fd(bind->iommufd);
	if (IS_ERR(ictx)) {
		ret = PTR_ERR(ictx);
		goto err_unlock;
	}
	df->iommufd = ictx;

	/* First open: the driver binds; KVM comes from df->kvm. */
	ret = vfio_df_open_locked(df);
	if (ret)
		goto err_put_ctx;

	if (put_user(df->devid, &arg->out_devid)) {
		ret = -EFAULT;
		goto err_close;
	}

	vdev->cdev_opened = true;
	vfio_df_grant_access(df);
	mutex_unlock(&vdev->dev_set->lock);
	return 0;

err_close:
	vfio_df_close_locked(df);
err_put_ctx:
	df->iommufd = NULL;
	iommufd_ctx_put(ictx);
err_unlock:
	mutex_unlock(&vdev->dev_set->lock);
	vfio_device_unblock_frontends(vdev, &vcdev_frontend);
	return ret;
}

/*
 * @pt_id: an IOAS (the reply names the HWPT the device landed in) or a
 * HWPT. Attaching an attached device replaces its HWPT. A reply that
 * cannot be written leaves the device detached, as upstream.
 */
static long vcdev_attach_pt(struct vfio_device_file *df, void *karg,
			    void __user *uarg)
{
	struct vfio_device_attach_iommufd_pt *attach = karg;
	struct vfio_device_attach_iommufd_pt __user *arg = uarg;
	struct vfio_device *vdev = df->device;
	int ret;

	mutex_lock(&vdev->dev_set->lock);
	ret = vdev->ops->attach_ioas(vdev, &attach->pt_id);
	if (!ret && put_user(attach->pt_id, &arg->pt_id)) {
		vdev->ops->detach_ioas(vdev);
		ret = -EFAULT;
	}
	mutex_unlock(&vdev->dev_set->lock);
	return ret;
}

/* Back to blocked DMA; detaching a detached device is not an error. */
static long vcdev_detach_pt(struct vfio_device_file *df, void *karg,
			    void __user *uarg)
{
	struct vfio_device *vdev = df->device;

	mutex_lock(&vdev->dev_set->lock);
	vdev->ops->detach_ioas(vdev);
	mutex_unlock(&vdev->dev_set->lock);
	return 0;
}

/* The core reaches BIND for any fd, the other two only once bound. */
static const struct {
	unsigned int cmd;
	long (*fn)(struct vfio_device_file *df, void *karg, void __user *uarg);
} vcdev_ioctls[] = {
	{ VFIO_DEVICE_BIND_IOMMUFD,	 vcdev_bind },
	{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, vcdev_attach_pt },
	{ VFIO_DEVICE_DETACH_IOMMUFD_PT, vcdev_detach_pt },
};

long vcdev_ioctl(struct vfio_device_file *df, unsigned int cmd, void *karg,
		 void __user *uarg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vcdev_ioctls); i++) {
		if (vcdev_ioctls[i].cmd == cmd)
			return vcdev_ioctls[i].fn(df, karg, uarg);
	}
	return -ENOTTY;
}

/*
 * The fd is gone and, if BIND succeeded, the core has closed the device
 * (unbinding it): drop what BIND took, in reverse.
 */
void vcdev_release(struct vfio_device_file *df)
{
	if (!df->iommufd)
		return;
	iommufd_ctx_put(df->iommufd);
	df->iommufd = NULL;
	vfio_device_unblock_frontends(df->device, &vcdev_frontend);
}
