// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device sets: devices a driver can only reset together (a slot, a bus)
 * share one set, and the set's lock serializes their open and close.
 * Sets are found by the opaque id the driver picks, usually the pci_slot
 * or pci_bus pointer, and live while they have members.
 */

#include <kunit/visibility.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "vfio_core.h"

/*
 * vfio_dev_sets_lock protects the xarray's contents and each set's
 * device_count, so a set is created, joined, left and freed atomically.
 * Taken before vfio_device_set.lock; nothing else nests inside it.
 */
static DEFINE_MUTEX(vfio_dev_sets_lock);
static DEFINE_XARRAY(vfio_dev_sets);

static struct vfio_device_set *vfio_dev_set_create(void *set_id)
{
	struct vfio_device_set *set;
	int ret;

	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->set_id = set_id;
	mutex_init(&set->lock);
	INIT_LIST_HEAD(&set->device_list);

	ret = xa_err(xa_store(&vfio_dev_sets, (unsigned long)set_id, set,
			      GFP_KERNEL));
	if (ret) {
		mutex_destroy(&set->lock);
		kfree(set);
		return ERR_PTR(ret);
	}
	return set;
}

/**
 * vfio_assign_device_set - make @vdev a member of the set named @set_id
 * @vdev: a device not yet in any set
 * @set_id: any pointer the devices of one reset domain agree on
 *
 * Called from ops->init or before registration. Returns 0 or -errno.
 */
int vfio_assign_device_set(struct vfio_device *vdev, void *set_id)
{
	struct vfio_device_set *set;

	if (WARN_ON(!set_id))
		return -EINVAL;

	mutex_lock(&vfio_dev_sets_lock);
	set = xa_load(&vfio_dev_sets, (unsigned long)set_id);
	if (!set) {
		set = vfio_dev_set_create(set_id);
		if (IS_ERR(set)) {
			mutex_unlock(&vfio_dev_sets_lock);
			return PTR_ERR(set);
		}
	}
	set->device_count++;

	mutex_lock(&set->lock);
	vdev->dev_set = set;
	list_add_tail(&vdev->dev_set_list, &set->device_list);
	mutex_unlock(&set->lock);
	mutex_unlock(&vfio_dev_sets_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_assign_device_set);

/* Final release of @vdev: drop its membership, the last one frees. */
void vfio_dev_set_leave(struct vfio_device *vdev)
{
	struct vfio_device_set *set = vdev->dev_set;

	if (!set)
		return;

	mutex_lock(&vfio_dev_sets_lock);
	mutex_lock(&set->lock);
	list_del(&vdev->dev_set_list);
	vdev->dev_set = NULL;
	mutex_unlock(&set->lock);

	if (!--set->device_count) {
		xa_erase(&vfio_dev_sets, (unsigned long)set->set_id);
		mutex_destroy(&set->lock);
		kfree(set);
	}
	mutex_unlock(&vfio_dev_sets_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vfio_dev_set_leave);

/**
 * vfio_find_device_in_devset - the member of @dev_set bound to @dev
 * @dev_set: the set, whose lock the caller holds
 * @dev: a bus device
 *
 * Returns the vfio_device or NULL when @dev has none in this set.
 */
struct vfio_device *vfio_find_device_in_devset(struct vfio_device_set *dev_set,
					       struct device *dev)
{
	struct vfio_device *vdev;

	lockdep_assert_held(&dev_set->lock);

	list_for_each_entry(vdev, &dev_set->device_list, dev_set_list) {
		if (vdev->dev == dev)
			return vdev;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(vfio_find_device_in_devset);

/**
 * vfio_device_set_open_count - how many opens the set's devices have
 * @dev_set: the set, whose lock the caller holds
 */
unsigned int vfio_device_set_open_count(struct vfio_device_set *dev_set)
{
	unsigned int opens = 0;
	struct vfio_device *vdev;

	lockdep_assert_held(&dev_set->lock);
	list_for_each_entry(vdev, &dev_set->device_list, dev_set_list)
		if (vdev->open_count)
			opens += vdev->open_count;
	return opens;
}
EXPORT_SYMBOL_GPL(vfio_device_set_open_count);

void vfio_dev_sets_exit(void)
{
	WARN_ON(!xa_empty(&vfio_dev_sets));
	xa_destroy(&vfio_dev_sets);
}
