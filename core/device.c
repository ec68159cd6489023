// SPDX-License-Identifier: GPL-2.0-only
/*
 * Life of a struct vfio_device. The bus driver allocates it (the class
 * device is initialized then), registers it (the class device "vfioN"
 * appears under the bus device and every frontend learns about it),
 * unregisters it (frontends forget it, then we wait until no fd uses
 * it) and drops its reference; the class device's release frees it.
 */

#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "vfio_core.h"

/* Ask the users for the device back this often while unregistering. */
#define VFIO_REQUEST_PERIOD	(10 * HZ)

/* Indexes of the vfioN class devices (the IDA has its own lock). */
static DEFINE_IDA(vfio_dev_ida);

void vfio_devices_exit(void)
{
	ida_destroy(&vfio_dev_ida);
}

/* release() of the class device: the last vfio_put_device(). */
static void vfio_device_free(struct device *dev)
{
	struct vfio_device *vdev = container_of(dev, struct vfio_device,
						device);

	vfio_dev_set_leave(vdev);
	ida_free(&vfio_dev_ida, vdev->index);
	if (vdev->ops->release)
		vdev->ops->release(vdev);
	vfio_core_inode_put(vdev->inode);
	kvfree(vdev);
}

/**
 * _vfio_alloc_device - allocate a vfio_device embedded in a driver struct
 * @size: size of the driver's struct, the vfio_device at offset 0
 * @dev: the bus device
 * @ops: the driver's callbacks; ops->init runs before this returns
 *
 * Use vfio_alloc_device(). Free with vfio_put_device().
 */
struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev,
				       const struct vfio_device_ops *ops)
{
	struct vfio_device *vdev;
	int ret;

	if (WARN_ON(size < sizeof(*vdev)))
		return ERR_PTR(-EINVAL);

	vdev = kvzalloc(size, GFP_KERNEL);
	if (!vdev)
		return ERR_PTR(-ENOMEM);

	ret = ida_alloc_max(&vfio_dev_ida, MINORMASK, GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	vdev->index = ret;
	vdev->dev = dev;
	vdev->ops = ops;
	init_completion(&vdev->comp);
	INIT_LIST_HEAD(&vdev->reg_next);

	vdev->inode = vfio_core_inode_get();
	if (IS_ERR(vdev->inode)) {
		ret = PTR_ERR(vdev->inode);
		goto err_free_index;
	}

	if (ops->init) {
		ret = ops->init(vdev);
		if (ret)
			goto err_leave_set;
	}

	device_initialize(&vdev->device);
	vdev->device.class = &vfio_dev_class;
	vdev->device.parent = dev;
	vdev->device.release = vfio_device_free;
	return vdev;

err_leave_set:
	/* ops->init may have joined a set before it failed. */
	vfio_dev_set_leave(vdev);
	vfio_core_inode_put(vdev->inode);
err_free_index:
	ida_free(&vfio_dev_ida, vdev->index);
err_free:
	kvfree(vdev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(_vfio_alloc_device);

/**
 * vfio_device_try_get_registration - keep the device registered
 * @vdev: the device
 *
 * Returns false once unregistration started. Each success needs one
 * vfio_device_put_registration(); unregistration waits for all of them.
 */
bool vfio_device_try_get_registration(struct vfio_device *vdev)
{
	return refcount_inc_not_zero(&vdev->refcount);
}
EXPORT_SYMBOL_GPL(vfio_device_try_get_registration);

void vfio_device_put_registration(struct vfio_device *vdev)
{
	if (refcount_dec_and_test(&vdev->refcount))
		complete(&vdev->comp);
}
EXPORT_SYMBOL_GPL(vfio_device_put_registration);

/*
 * A device with an IOMMU group stays VFIO_IOMMU; one without joins the
 * unsafe no-IOMMU mode if the administrator enabled it.
 */
static int vfio_device_pick_group_type(struct vfio_device *vdev,
				       enum vfio_group_type *type)
{
	struct iommu_group *iommu_group;

	if (*type != VFIO_IOMMU)
		return 0;

	iommu_group = iommu_group_get(vdev->dev);
	if (!iommu_group) {
		if (!vfio_noiommu_enabled())
			return -EINVAL;
		*type = VFIO_NO_IOMMU;
		return 0;
	}
	iommu_group_put(iommu_group);

	/*
	 * Mappings always use IOMMU_CACHE: userspace has no way to restore
	 * coherency, so a device whose IOMMU cannot provide it is refused.
	 */
	if (!device_iommu_capable(vdev->dev, IOMMU_CAP_CACHE_COHERENCY))
		return -EINVAL;
	return 0;
}

/*
 * Sleep until the last registration reference is gone, asking the
 * driver every period to get the device back from its user. An
 * interrupted wait is logged once and continues without interruption:
 * the driver's remove() cannot fail.
 */
static void vfio_device_wait_unused(struct vfio_device *vdev)
{
	bool killable_wait = true;
	unsigned int asked = 0;
	long left;

	if (try_wait_for_completion(&vdev->comp))
		return;

	do {
		if (vdev->ops->request)
			vdev->ops->request(vdev, asked++);

		if (!killable_wait) {
			left = wait_for_completion_timeout(&vdev->comp,
							   VFIO_REQUEST_PERIOD);
			continue;
		}
		left = wait_for_completion_interruptible_timeout(&vdev->comp,
								 VFIO_REQUEST_PERIOD);
		if (left < 0) {
			killable_wait = false;
			dev_warn(vdev->dev,
				 "Device is currently in use, task \"%s\" (%d) blocked until device is released",
				 current->comm, task_pid_nr(current));
		}
	} while (left <= 0);
}

/*
 * A device gets /dev/vfio/devices/vfioN when it can be bound to an
 * iommufd: not in noiommu mode (as upstream 6.12), and only if its
 * driver fills the four iommufd ops (upstream refuses to register a
 * device without them; we leave the cdev out instead).
 */
static bool vfio_device_wants_cdev(struct vfio_device *vdev)
{
	const struct vfio_device_ops *ops = vdev->ops;

	return vfio_core_has_cdev() && vdev->group_type != VFIO_NO_IOMMU &&
	       ops->bind_iommufd && ops->unbind_iommufd &&
	       ops->attach_ioas && ops->detach_ioas;
}

/*
 * The class device, and with it the cdev: cdev_device_add() makes the
 * cdev hold the class device (hence @vdev's memory) until the last
 * opener's file is gone, which may be after vfio_device_free's caller
 * dropped its reference.
 */
static int vfio_device_add(struct vfio_device *vdev)
{
	if (!vfio_device_wants_cdev(vdev))
		return device_add(&vdev->device);

	vdev->device.devt = MKDEV(MAJOR(vfio_cdev_devt), vdev->index);
	cdev_init(&vdev->cdev, &vfio_device_fops);
	vdev->cdev.owner = THIS_MODULE;
	return cdev_device_add(&vdev->cdev, &vdev->device);
}

/* After it no new cdev open starts; opens in flight hold registrations. */
static void vfio_device_del(struct vfio_device *vdev)
{
	if (vdev->device.devt)
		cdev_device_del(&vdev->cdev, &vdev->device);
	else
		device_del(&vdev->device);
}

/*
 * Second half of unregistration, once frontends stopped handing out the
 * device: remove the class device, drop the registration's own
 * reference, wait for the users, then let frontends free what the open
 * fds needed.
 */
static void vfio_device_retire(struct vfio_device *vdev)
{
	vfio_device_del(vdev);
	vfio_device_put_registration(vdev);
	vfio_device_wait_unused(vdev);
	vfio_registry_remove(vdev);
}

static int vfio_device_register(struct vfio_device *vdev,
				enum vfio_group_type type)
{
	int ret;

	/* A driver without reset domains gets a set of its own. */
	if (!vdev->dev_set) {
		ret = vfio_assign_device_set(vdev, vdev);
		if (ret)
			return ret;
	}

	ret = vfio_device_pick_group_type(vdev, &type);
	if (ret)
		return ret;
	vdev->group_type = type;

	ret = dev_set_name(&vdev->device, "vfio%u", vdev->index);
	if (ret)
		return ret;

	ret = vfio_device_add(vdev);
	if (ret)
		return ret;

	/* Users may take references from now on, through the frontends. */
	refcount_set(&vdev->refcount, 1);

	ret = vfio_registry_add(vdev);
	if (ret) {
		vfio_device_retire(vdev);
		return ret;
	}
	vfio_debugfs_device_add(vdev);
	return 0;
}

/**
 * vfio_register_group_dev - make a device with real DMA available
 * @vdev: from vfio_alloc_device()
 *
 * The device must sit in an IOMMU group, or the unsafe no-IOMMU mode
 * must be enabled. Returns 0 or -errno.
 */
int vfio_register_group_dev(struct vfio_device *vdev)
{
	return vfio_device_register(vdev, VFIO_IOMMU);
}
EXPORT_SYMBOL_GPL(vfio_register_group_dev);

/**
 * vfio_register_emulated_iommu_dev - register a mediated device
 * @vdev: from vfio_alloc_device()
 *
 * The driver does all DMA through vfio_pin_pages()/vfio_dma_rw(), so
 * the user can never reach memory directly.
 */
int vfio_register_emulated_iommu_dev(struct vfio_device *vdev)
{
	return vfio_device_register(vdev, VFIO_EMULATED_IOMMU);
}
EXPORT_SYMBOL_GPL(vfio_register_emulated_iommu_dev);

/**
 * vfio_unregister_group_dev - take a registered device away from users
 * @vdev: the device
 *
 * Returns once no fd uses the device any more; until then the driver's
 * ops->request is called periodically.
 */
void vfio_unregister_group_dev(struct vfio_device *vdev)
{
	vfio_registry_del(vdev);
	vfio_debugfs_device_remove(vdev);
	vfio_device_retire(vdev);
}
EXPORT_SYMBOL_GPL(vfio_unregister_group_dev);
