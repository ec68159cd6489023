// SPDX-License-Identifier: GPL-2.0-only
/*
 * Frontends are how userspace reaches devices: the group module and the
 * device cdev module. They register here; the core tells each of them
 * about every registered device, keeps them from handing out a device
 * another one holds exclusively, and answers the vfio_file_* API (KVM's
 * view of VFIO files) by asking the frontend that owns a file.
 */

#include <linux/file.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>

#include "vfio_core.h"

/*
 * The registry.
 *
 * @lock serializes device registration against frontend registration.
 * It protects @devices, @dying, @seq, every vfio_device's reg_next,
 * fe_seq and fe_blocked, and writers of @frontends (readers of
 * @frontends walk it under RCU). The frontends' device_add, device_del,
 * device_remove, block_device and unblock_device run under it, so it
 * nests outside every frontend lock; it is never taken under a
 * vfio_device_set lock.
 */
static struct {
	struct mutex lock;		/* see above */
	struct list_head devices;	/* registered and visible */
	struct list_head dying;		/* unregistering, users may remain */
	struct list_head frontends;	/* in registration order */
	u64 seq;			/* last frontend seq handed out */
} vfio_registry = {
	.lock = __MUTEX_INITIALIZER(vfio_registry.lock),
	.devices = LIST_HEAD_INIT(vfio_registry.devices),
	.dying = LIST_HEAD_INIT(vfio_registry.dying),
	.frontends = LIST_HEAD_INIT(vfio_registry.frontends),
};

/* Frontends are ordered by seq, so those that saw @vdev form a prefix. */
static bool vfio_frontend_knows(struct vfio_frontend_ops *fe,
				struct vfio_device *vdev)
{
	return fe->seq <= vdev->fe_seq;
}

static void vfio_frontends_forget(struct vfio_device *vdev)
{
	struct vfio_frontend_ops *fe;

	lockdep_assert_held(&vfio_registry.lock);

	list_for_each_entry_reverse(fe, &vfio_registry.frontends, next) {
		if (vfio_frontend_knows(fe, vdev) && fe->device_del)
			fe->device_del(vdev);
	}
}

/*
 * Registration: show @vdev to every frontend. If one refuses, those that
 * accepted forget it again and the device is left dying, for the caller
 * to retire like an unregistered one (a user may already have it open).
 */
int vfio_registry_add(struct vfio_device *vdev)
{
	struct vfio_frontend_ops *fe;
	int ret = 0;

	mutex_lock(&vfio_registry.lock);
	vdev->fe_seq = 0;
	list_for_each_entry(fe, &vfio_registry.frontends, next) {
		if (fe->device_add) {
			ret = fe->device_add(vdev);
			if (ret)
				break;
		}
		vdev->fe_seq = fe->seq;
	}

	if (ret) {
		list_add_tail(&vdev->reg_next, &vfio_registry.dying);
		vfio_frontends_forget(vdev);
	} else {
		list_add_tail(&vdev->reg_next, &vfio_registry.devices);
	}
	mutex_unlock(&vfio_registry.lock);
	return ret;
}

/* Unregistration, first half: no frontend hands the device out again. */
void vfio_registry_del(struct vfio_device *vdev)
{
	mutex_lock(&vfio_registry.lock);
	list_move_tail(&vdev->reg_next, &vfio_registry.dying);
	vfio_frontends_forget(vdev);
	mutex_unlock(&vfio_registry.lock);
}

/* Unregistration, last step: the device has no user left. */
void vfio_registry_remove(struct vfio_device *vdev)
{
	struct vfio_frontend_ops *fe;

	mutex_lock(&vfio_registry.lock);
	list_del_init(&vdev->reg_next);
	list_for_each_entry_reverse(fe, &vfio_registry.frontends, next) {
		if (vfio_frontend_knows(fe, vdev) && fe->device_remove)
			fe->device_remove(vdev);
	}
	mutex_unlock(&vfio_registry.lock);
}

/*
 * A frontend leaves a device it knows: no file of the frontend exists
 * any more (they pin its module), so nothing waits in between.
 */
static void vfio_frontend_drop_device(struct vfio_frontend_ops *fe,
				      struct vfio_device *vdev)
{
	if (fe->device_del)
		fe->device_del(vdev);
	if (fe->device_remove)
		fe->device_remove(vdev);
}

/**
 * vfio_register_frontend - add a way for userspace to reach devices
 * @fe: the frontend's ops, static in its module
 *
 * device_add is called for every device already registered; if one
 * fails, the others are dropped again and the error is returned. Call
 * it last in module init: devices are reachable during the call.
 */
int vfio_register_frontend(struct vfio_frontend_ops *fe)
{
	struct vfio_device *vdev;
	int ret = 0;

	mutex_lock(&vfio_registry.lock);
	fe->seq = ++vfio_registry.seq;
	list_for_each_entry(vdev, &vfio_registry.devices, reg_next) {
		if (fe->device_add) {
			ret = fe->device_add(vdev);
			if (ret)
				goto err_drop_devices;
		}
	}

	list_for_each_entry(vdev, &vfio_registry.devices, reg_next)
		vdev->fe_seq = fe->seq;
	list_add_tail_rcu(&fe->next, &vfio_registry.frontends);
	mutex_unlock(&vfio_registry.lock);
	return 0;

err_drop_devices:
	list_for_each_entry_continue_reverse(vdev, &vfio_registry.devices,
					     reg_next)
		vfio_frontend_drop_device(fe, vdev);
	mutex_unlock(&vfio_registry.lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_register_frontend);

/**
 * vfio_unregister_frontend - remove a frontend
 * @fe: as registered
 *
 * No file of the frontend may exist any more: call it from module exit.
 * Devices still registered get device_del and device_remove, devices
 * that are unregistering get the device_remove they still miss.
 */
void vfio_unregister_frontend(struct vfio_frontend_ops *fe)
{
	struct vfio_device *vdev;

	mutex_lock(&vfio_registry.lock);
	list_del_rcu(&fe->next);
	list_for_each_entry_reverse(vdev, &vfio_registry.devices, reg_next)
		vfio_frontend_drop_device(fe, vdev);
	list_for_each_entry_reverse(vdev, &vfio_registry.dying, reg_next) {
		if (vfio_frontend_knows(fe, vdev) && fe->device_remove)
			fe->device_remove(vdev);
	}
	mutex_unlock(&vfio_registry.lock);

	/* vfio_file_* lookups may still be looking at it. */
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(vfio_unregister_frontend);

/*
 * The frontend that owns @file, with its module pinned so its hooks can
 * sleep; release with vfio_frontend_put(). NULL if nobody claims it.
 */
static struct vfio_frontend_ops *vfio_frontend_of_file(struct file *file)
{
	struct vfio_frontend_ops *fe, *owner = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(fe, &vfio_registry.frontends, next) {
		if (fe->file_is_mine && fe->file_is_mine(file)) {
			if (try_module_get(fe->owner))
				owner = fe;
			break;
		}
	}
	rcu_read_unlock();
	return owner;
}

static void vfio_frontend_put(struct vfio_frontend_ops *fe)
{
	module_put(fe->owner);
}

/* The cdev frontend's attach_ops with its module pinned, or NULL. */
static const struct vfio_device_attach_ops *vfio_frontend_cdev_ops_find(void)
{
	const struct vfio_device_attach_ops *aops = NULL;
	struct vfio_frontend_ops *fe;

	rcu_read_lock();
	list_for_each_entry_rcu(fe, &vfio_registry.frontends, next) {
		if (fe->cdev_attach_ops) {
			if (try_module_get(fe->cdev_attach_ops->owner))
				aops = fe->cdev_attach_ops;
			break;
		}
	}
	rcu_read_unlock();
	return aops;
}

/*
 * For an open of /dev/vfio/devices/vfioN: the cdev frontend, loaded on
 * first use if nothing brought it yet (vfio.ko soft-depends on it, but
 * a plain insmod does not follow soft dependencies). Release the result
 * with module_put(aops->owner).
 */
const struct vfio_device_attach_ops *vfio_frontend_cdev_ops_get(void)
{
	const struct vfio_device_attach_ops *aops;

	aops = vfio_frontend_cdev_ops_find();
	if (aops)
		return aops;
	request_module("vfio_cdev");
	return vfio_frontend_cdev_ops_find();
}

/* Each frontend that knows @vdev, except @self, in registration order. */
static bool vfio_frontend_blockable(struct vfio_frontend_ops *fe,
				    struct vfio_frontend_ops *self,
				    struct vfio_device *vdev)
{
	return fe != self && fe->block_device && fe->unblock_device &&
	       vfio_frontend_knows(fe, vdev);
}

/**
 * vfio_device_block_frontends - hand a device out through one frontend only
 * @vdev: the device, with a registration reference held by the caller
 * @self: the frontend that wants it exclusively (the cdev one, at BIND)
 *
 * Every other frontend that knows @vdev either agrees to stop handing it
 * out (it counts the block) or has it in use and refuses (-EBUSY, and
 * the ones that agreed are unblocked again). Frontends that meet @vdev
 * later find the count in vdev->fe_blocked at device_add.
 */
int vfio_device_block_frontends(struct vfio_device *vdev,
				struct vfio_frontend_ops *self)
{
	struct vfio_frontend_ops *fe;
	int ret = 0;

	mutex_lock(&vfio_registry.lock);
	list_for_each_entry(fe, &vfio_registry.frontends, next) {
		if (!vfio_frontend_blockable(fe, self, vdev))
			continue;
		ret = fe->block_device(vdev);
		if (ret)
			goto err_unblock;
	}
	vdev->fe_blocked++;
	mutex_unlock(&vfio_registry.lock);
	return 0;

err_unblock:
	list_for_each_entry_continue_reverse(fe, &vfio_registry.frontends,
					     next) {
		if (vfio_frontend_blockable(fe, self, vdev))
			fe->unblock_device(vdev);
	}
	mutex_unlock(&vfio_registry.lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_device_block_frontends);

/**
 * vfio_device_unblock_frontends - undo one vfio_device_block_frontends()
 * @vdev: the device, registration reference still held
 * @self: as given to the block
 */
void vfio_device_unblock_frontends(struct vfio_device *vdev,
				   struct vfio_frontend_ops *self)
{
	struct vfio_frontend_ops *fe;

	mutex_lock(&vfio_registry.lock);
	if (!WARN_ON_ONCE(!vdev->fe_blocked)) {
		list_for_each_entry_reverse(fe, &vfio_registry.frontends, next) {
			if (vfio_frontend_blockable(fe, self, vdev))
				fe->unblock_device(vdev);
		}
		vdev->fe_blocked--;
	}
	mutex_unlock(&vfio_registry.lock);
}
EXPORT_SYMBOL_GPL(vfio_device_unblock_frontends);

/**
 * vfio_file_iommu_group - the iommu_group behind a VFIO group file
 * @file: a VFIO group file
 *
 * Returns a referenced iommu_group or NULL. Only KVM's SPAPR TCE code
 * uses it, and upstream answers NULL everywhere else.
 */
struct iommu_group *vfio_file_iommu_group(struct file *file)
{
	struct iommu_group *iommu_group = NULL;
	struct vfio_frontend_ops *fe;

	if (!IS_ENABLED(CONFIG_SPAPR_TCE_IOMMU))
		return NULL;

	fe = vfio_frontend_of_file(file);
	if (!fe)
		return NULL;
	if (fe->file_iommu_group)
		iommu_group = fe->file_iommu_group(file);
	vfio_frontend_put(fe);
	return iommu_group;
}
EXPORT_SYMBOL_GPL(vfio_file_iommu_group);

/**
 * vfio_file_is_valid - whether @file is a VFIO group or device file
 * @file: any file
 */
bool vfio_file_is_valid(struct file *file)
{
	struct vfio_frontend_ops *fe;

	if (vfio_device_from_file(file))
		return true;

	fe = vfio_frontend_of_file(file);
	if (!fe)
		return false;
	vfio_frontend_put(fe);
	return true;
}
EXPORT_SYMBOL_GPL(vfio_file_is_valid);

/**
 * vfio_file_enforced_coherent - whether DMA through @file always snoops
 * @file: a VFIO group or device file
 *
 * False means the IOMMU may honour no-snoop, so KVM has to let the guest
 * flush caches (wbinvd on x86).
 */
bool vfio_file_enforced_coherent(struct file *file)
{
	struct vfio_frontend_ops *fe;
	struct vfio_device *vdev;
	bool coherent = true;

	vdev = vfio_device_from_file(file);
	if (vdev)
		return device_iommu_capable(vdev->dev,
					    IOMMU_CAP_ENFORCE_CACHE_COHERENCY);

	fe = vfio_frontend_of_file(file);
	if (!fe)
		return true;
	if (fe->file_enforced_coherent)
		coherent = fe->file_enforced_coherent(file);
	vfio_frontend_put(fe);
	return coherent;
}
EXPORT_SYMBOL_GPL(vfio_file_enforced_coherent);

/**
 * vfio_file_set_kvm - tell VFIO which VM uses @file
 * @file: a VFIO group or device file
 * @kvm: the VM, or NULL when KVM lets go of the file
 *
 * Devices opened afterwards see the VM in vdev->kvm.
 */
void vfio_file_set_kvm(struct file *file, struct kvm *kvm)
{
	struct vfio_frontend_ops *fe;

	if (vfio_device_from_file(file)) {
		struct vfio_device_file *df = file->private_data;

		spin_lock(&df->kvm_ref_lock);
		df->kvm = kvm;
		spin_unlock(&df->kvm_ref_lock);
		return;
	}

	fe = vfio_frontend_of_file(file);
	if (!fe)
		return;
	if (fe->file_set_kvm)
		fe->file_set_kvm(file, kvm);
	vfio_frontend_put(fe);
}
EXPORT_SYMBOL_GPL(vfio_file_set_kvm);

/**
 * vfio_file_is_group - whether @file is a VFIO group file
 * @file: any file
 */
bool vfio_file_is_group(struct file *file)
{
	struct vfio_frontend_ops *fe;
	bool is_group;

	fe = vfio_frontend_of_file(file);
	if (!fe)
		return false;
	is_group = fe->is_group;
	vfio_frontend_put(fe);
	return is_group;
}
EXPORT_SYMBOL_GPL(vfio_file_is_group);

/**
 * vfio_file_has_dev - whether the group file @file covers @vdev
 * @file: a VFIO file
 * @vdev: a device
 *
 * Only group files answer true, as upstream.
 */
bool vfio_file_has_dev(struct file *file, struct vfio_device *vdev)
{
	struct vfio_frontend_ops *fe;
	bool has = false;

	fe = vfio_frontend_of_file(file);
	if (!fe)
		return false;
	if (fe->file_has_dev)
		has = fe->file_has_dev(file, vdev);
	vfio_frontend_put(fe);
	return has;
}
EXPORT_SYMBOL_GPL(vfio_file_has_dev);
