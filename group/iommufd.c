// SPDX-License-Identifier: GPL-2.0-only
/*
 * A group whose container is an iommufd: VFIO_GROUP_SET_CONTAINER given
 * an fd of /dev/iommu instead of /dev/vfio/vfio, as upstream accepts.
 *
 * Joining only makes sure the context has its compat IOAS (or, for a
 * noiommu group, puts the context in no-IOMMU mode); the group's DMA
 * ownership is not claimed. Each device is bound to the context at its
 * first open, which claims the device's DMA ownership for the context,
 * and attached to the compat IOAS; the last close unbinds it. The user
 * maps memory with the VFIO container ioctls (or the IOAS ioctls) on
 * the /dev/iommu fd. Pins and CPU access of emulated devices go to the
 * device's iommufd access: these attach_ops have no pin_pages, so the
 * core routes them there.
 *
 * Unlike a container, the context may be unset while devices are open:
 * they stay bound to it (the binding holds its own reference of the
 * context) until their last close, as upstream.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>

#include <vfio/iommufd.h>

#include "group.h"

#ifdef VFIO_OOT_IOMMUFD

MODULE_IMPORT_NS(IOMMUFD);
MODULE_IMPORT_NS(IOMMUFD_VFIO);

/**
 * vgrp_iommufd_join - VFIO_GROUP_SET_CONTAINER with an iommufd
 * @group: in no container and no context; group->lock held
 * @file: the file the user passed
 *
 * Return: 0, -EBADFD when @file is not /dev/iommu, or the errno of the
 * compat setup (-EINVAL when the context's mode does not fit the group:
 * a noiommu group on a context with a compat IOAS, or the reverse).
 */
int vgrp_iommufd_join(struct vfio_group *group, struct file *file)
{
	struct iommufd_ctx *ictx;
	int ret;

	lockdep_assert_held(&group->lock);

	ictx = iommufd_ctx_from_file(file);
	if (IS_ERR(ictx))
		return PTR_ERR(ictx);
	if (group->type == VFIO_NO_IOMMU)
		ret = iommufd_vfio_compat_set_no_iommu(ictx);
	else
		ret = iommufd_vfio_compat_ioas_create(ictx);
	if (ret) {
		iommufd_ctx_put(ictx);
		return ret;
	}
	group->iommufd = ictx;
	return 0;
}

/* Drop the group's reference; bound devices keep their own. */
void vgrp_iommufd_leave(struct vfio_group *group)
{
	lockdep_assert_held(&group->lock);

	iommufd_ctx_put(group->iommufd);
	group->iommufd = NULL;
}

/*
 * A noiommu device on an iommufd is not bound at all. The user must not
 * have asked for translation (no compat IOAS) and must be allowed raw
 * I/O, else -EPERM, as upstream.
 */
static int vgrp_iommufd_noiommu_ok(struct iommufd_ctx *ictx)
{
	u32 ioas_id;

	if (!capable(CAP_SYS_RAWIO) ||
	    !iommufd_vfio_compat_ioas_get_id(ictx, &ioas_id))
		return -EPERM;
	return 0;
}

/* Bind @vdev to @ictx and attach it to the compat IOAS. */
static int vgrp_iommufd_bind(struct vfio_device *vdev,
			     struct iommufd_ctx *ictx)
{
	u32 devid, ioas_id;
	int ret;

	/* A driver without the iommufd ops cannot use a context. */
	if (!vdev->ops->bind_iommufd || !vdev->ops->attach_ioas)
		return -EINVAL;
	ret = vdev->ops->bind_iommufd(vdev, ictx, &devid);
	if (ret)
		return ret;
	/* -ENODEV if the user destroyed the compat IOAS meanwhile. */
	ret = iommufd_vfio_compat_ioas_get_id(ictx, &ioas_id);
	if (ret)
		goto err_unbind;
	/* The group path has no way to tell the user the HWPT id. */
	ret = vdev->ops->attach_ioas(vdev, &ioas_id);
	if (ret)
		goto err_unbind;
	return 0;

err_unbind:
	if (vdev->ops->unbind_iommufd)
		vdev->ops->unbind_iommufd(vdev);
	return ret;
}

/* First open of a device (dev_set->lock held). */
static int vgrp_iommufd_attach(struct vfio_device_file *df)
{
	struct vfio_group *group = df->attach_data;
	struct vfio_device *vdev = df->device;
	int ret;

	mutex_lock(&group->lock);
	/* Unset (or switched to a container) since GET_DEVICE_FD looked. */
	if (!group->iommufd) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (vdev->group_type == VFIO_NO_IOMMU)
		ret = vgrp_iommufd_noiommu_ok(group->iommufd);
	else
		ret = vgrp_iommufd_bind(vdev, group->iommufd);
	if (ret)
		goto out_unlock;
	/* As with a container: an open device pins the group fd. */
	get_file(group->opened_file);
	group->attached_devs++;
out_unlock:
	mutex_unlock(&group->lock);
	return ret;
}

/* Last close (dev_set->lock held): the reverse of the first open. */
static void vgrp_iommufd_detach(struct vfio_device_file *df)
{
	struct vfio_group *group = df->attach_data;
	struct vfio_device *vdev = df->device;
	struct file *group_file;

	mutex_lock(&group->lock);
	if (vdev->group_type != VFIO_NO_IOMMU && vdev->ops->unbind_iommufd)
		vdev->ops->unbind_iommufd(vdev);
	group_file = group->opened_file;
	/*
	 * The group lost its devices meanwhile and, with the context unset,
	 * joined a container (an emulated group can): finish leaving it.
	 */
	if (!--group->attached_devs && group->orphaned && group->container)
		vgrp_container_leave(group);
	mutex_unlock(&group->lock);
	fput(group_file);
}

const struct vfio_device_attach_ops vgrp_iommufd_attach_ops = {
	.owner = THIS_MODULE,
	.attach = vgrp_iommufd_attach, .detach = vgrp_iommufd_detach,
	/* The VM comes the same way as on a container. */
	.get_kvm = vgrp_df_get_kvm,
};

#else /* !VFIO_OOT_IOMMUFD */

/* Built without iommufd.ko: no fd can be an iommufd. */
int vgrp_iommufd_join(struct vfio_group *group, struct file *file)
{
	return -EBADFD;
}

void vgrp_iommufd_leave(struct vfio_group *group)
{
}

static int vgrp_iommufd_attach(struct vfio_device_file *df)
{
	return -EINVAL;
}

const struct vfio_device_attach_ops vgrp_iommufd_attach_ops = {
	.owner = THIS_MODULE,
	.attach = vgrp_iommufd_attach,
};

#endif /* VFIO_OOT_IOMMUFD */
