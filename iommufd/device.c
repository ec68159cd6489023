// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices bound to a context by a kernel driver (vfio): DMA ownership,
 * the DEVICE object userspace names them by, and their attachment to a
 * HWPT. Attachment state lives per iommu_group (ifd_igroup): the IOMMU
 * attaches whole groups, so the first device of a group attaches it, the
 * others join the same HWPT, the last one to leave detaches it. Each
 * attached device keeps its IOMMU reserved regions out of the IOAS behind
 * the HWPT (owner-tagged, so they leave with it).
 *
 * Attaching to an IOAS picks an automatic HWPT of that IOAS the device's
 * IOMMU accepts (the driver says -EINVAL when it does not), or makes one;
 * an automatic HWPT is destroyed with its last device.
 *
 * Also GET_HW_INFO, the ioctl that describes a bound device's IOMMU.
 */
#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pci-ats.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <vfio/iommu_internal.h>

#include "ifd.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices whose MSIs the platform cannot isolate (interrupt remapping off). Unsafe: such a device can raise interrupts of others.");

/* --- igroups: one per iommu_group with bound devices, per context --- */

static void ifd_igroup_release(struct kref *kref)
{
	struct ifd_igroup *ig = container_of(kref, struct ifd_igroup, kref);

	/* kref_put_mutex() took ctx->groups_lock */
	xa_erase(&ig->ctx->groups, iommu_group_id(ig->group));
	mutex_unlock(&ig->ctx->groups_lock);
	WARN_ON_ONCE(ig->hwpt || !list_empty(&ig->devices));
	iommu_group_put(ig->group);
	mutex_destroy(&ig->lock);
	kfree(ig);
}

static void ifd_igroup_put(struct ifd_igroup *ig)
{
	kref_put_mutex(&ig->kref, ifd_igroup_release, &ig->ctx->groups_lock);
}

/* The igroup of @dev's iommu_group in @ctx, made on first use. */
static struct ifd_igroup *ifd_igroup_get(struct iommufd_ctx *ctx,
					 struct device *dev)
{
	struct iommu_group *group;
	struct ifd_igroup *ig;
	int ret;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);

	mutex_lock(&ctx->groups_lock);
	ig = xa_load(&ctx->groups, iommu_group_id(group));
	if (ig) {
		kref_get(&ig->kref);
		mutex_unlock(&ctx->groups_lock);
		iommu_group_put(group);
		return ig;
	}
	ig = kzalloc(sizeof(*ig), GFP_KERNEL_ACCOUNT);
	if (!ig) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	kref_init(&ig->kref);
	mutex_init(&ig->lock);
	INIT_LIST_HEAD(&ig->devices);
	ig->sw_msi_start = PHYS_ADDR_MAX;
	ig->ctx = ctx;
	ig->group = group;
	ret = xa_err(xa_store(&ctx->groups, iommu_group_id(group), ig,
			      GFP_KERNEL_ACCOUNT));
	if (ret)
		goto err_free;
	mutex_unlock(&ctx->groups_lock);
	return ig;

err_free:
	mutex_destroy(&ig->lock);
	kfree(ig);
err_unlock:
	mutex_unlock(&ctx->groups_lock);
	iommu_group_put(group);
	return ERR_PTR(ret);
}

/* --- binding --- */

/**
 * iommufd_device_bind - bind a physical device to a context
 * @ictx: the context
 * @dev: a device the caller's driver drives with driver_managed_dma
 * @id: the DEVICE object's id for userspace, on success
 *
 * Takes DMA ownership of @dev (of its whole group, as the IOMMU core
 * does) for @ictx; until attached, the device's DMA is blocked. The
 * caller must undo it with iommufd_device_unbind().
 *
 * Return: the device, or ERR_PTR: -EINVAL when the device's IOMMU cannot
 * force coherent DMA (or there is none), -ENODEV without an iommu_group,
 * -EPERM when its MSIs cannot be isolated (unless allow_unsafe_interrupts
 * is set) or when another context or a VFIO container owns the group's
 * DMA (the IOMMU core's answer; -EBUSY if the group is on a domain other
 * than its default one), -ENOMEM.
 */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id)
{
	struct iommufd_device *idev;
	struct ifd_igroup *ig;
	struct ifd_obj *obj;
	int ret;

	/* every mapping is IOMMU_CACHE: the IOMMU must be able to honour it */
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		return ERR_PTR(-EINVAL);

	ig = ifd_igroup_get(ictx, dev);
	if (IS_ERR(ig))
		return ERR_CAST(ig);

	/* a plain DMA write must not be able to raise another's interrupt */
	if (!iommu_group_has_isolated_msi(ig->group)) {
		if (!allow_unsafe_interrupts) {
			ret = -EPERM;
			goto err_put_group;
		}
		dev_warn(dev, "MSIs cannot be isolated by the platform (is interrupt remapping on?); bound anyway, allow_unsafe_interrupts is set\n");
	}

	ret = iommu_device_claim_dma_owner(dev, ictx);
	if (ret)
		goto err_put_group;

	obj = ifd_obj_reserve(ictx, sizeof(*idev), IFD_OBJ_DEVICE);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto err_release_owner;
	}
	idev = container_of(obj, struct iommufd_device, obj);
	idev->ctx = ictx;
	iommufd_ctx_get(ictx);
	idev->dev = dev;
	idev->igroup = ig;
	INIT_LIST_HEAD(&idev->group_node);
	idev->enforce_cc = device_iommu_capable(dev,
						IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	/* the caller's reference: userspace's DESTROY answers -EBUSY */
	refcount_inc(&obj->users);
	ifd_obj_publish(ictx, obj);
	*id = obj->id;
	return idev;

err_release_owner:
	iommu_device_release_dma_owner(dev);
err_put_group:
	ifd_igroup_put(ig);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_bind, IOMMUFD);

/* Destroy op of DEVICE objects: the owner's unbind, nothing attached. */
void ifd_device_destroy(struct ifd_obj *obj)
{
	struct iommufd_device *idev = container_of(obj, struct iommufd_device,
						   obj);

	iommu_device_release_dma_owner(idev->dev);
	ifd_igroup_put(idev->igroup);
	/* last: may drop the last reference of the context's file */
	iommufd_ctx_put(idev->ctx);
}

/**
 * iommufd_device_unbind - undo iommufd_device_bind()
 * @idev: the device
 *
 * Detaches the device if the caller has not, waits for ioctls using its
 * DEVICE object, gives DMA ownership back and drops the context.
 */
void iommufd_device_unbind(struct iommufd_device *idev)
{
	bool attached;

	mutex_lock(&idev->igroup->lock);
	attached = idev->attached;
	mutex_unlock(&idev->igroup->lock);
	if (attached)
		iommufd_device_detach(idev);
	ifd_obj_destroy_owned(idev->ctx, &idev->obj);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_unbind, IOMMUFD);

/**
 * iommufd_ctx_has_group - whether a device of @group is bound to @ictx
 * @ictx: the context, may be NULL
 * @group: the group, may be NULL
 *
 * A bound device means @ictx owns the group's DMA (vfio's hot reset
 * checks ownership this way).
 */
bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group)
{
	struct iommufd_device *idev;
	struct ifd_obj *obj;
	unsigned long id;
	bool found = false;

	if (!ictx || !group)
		return false;
	xa_lock(&ictx->objects);
	xa_for_each(&ictx->objects, id, obj) {
		if (obj->type != IFD_OBJ_DEVICE)
			continue;
		idev = container_of(obj, struct iommufd_device, obj);
		if (idev->igroup->group == group) {
			found = true;
			break;
		}
	}
	xa_unlock(&ictx->objects);
	return found;
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_has_group, IOMMUFD);

struct iommufd_ctx *iommufd_device_to_ictx(struct iommufd_device *idev)
{
	return idev->ctx;
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_to_ictx, IOMMUFD);

u32 iommufd_device_to_id(struct iommufd_device *idev)
{
	return idev->obj.id;
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_to_id, IOMMUFD);

/* A DEVICE object of @ctx for the duration of an ioctl (-ENOENT). */
struct iommufd_device *ifd_device_get(struct iommufd_ctx *ctx, u32 id)
{
	struct ifd_obj *obj = ifd_obj_get(ctx, id, IFD_OBJ_DEVICE);

	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_device, obj);
}

/* --- attaching: everything below runs under igroup->lock --- */

/*
 * A driver asking for a software-managed MSI window (not VT-d) gets one
 * in each domain its group uses: iommu_get_msi_cookie(), once per domain.
 */
static int ifd_igroup_setup_msi(struct ifd_igroup *ig, struct ifd_hwpt *hwpt)
{
	struct ifd_hwpt *paging = ifd_hwpt_paging(hwpt);
	int ret;

	if (ig->sw_msi_start == PHYS_ADDR_MAX || paging->msi_cookie)
		return 0;
	ret = iommu_get_msi_cookie(paging->domain, ig->sw_msi_start);
	if (ret)
		return ret;
	paging->msi_cookie = true;
	return 0;
}

static struct ifd_iova *ifd_hwpt_iova(struct ifd_hwpt *hwpt)
{
	return &ifd_hwpt_paging(hwpt)->ioas->iova;
}

/*
 * Attach the (unattached) group to @hwpt, with a new handle, for @idev.
 * A HWPT with a fault queue needs IOPF on: for @idev only, as upstream
 * (its errno when the device cannot).
 */
static int ifd_igroup_attach_domain(struct ifd_igroup *ig,
				    struct ifd_hwpt *hwpt,
				    struct iommufd_device *idev)
{
	struct ifd_handle *h;
	int ret;

	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	h->igroup = ig;
	h->dev_id = idev->obj.id;
	if (hwpt->fault) {
		ret = ifd_fault_iopf_enable(idev->dev);
		if (ret)
			goto err_free;
	}
	ret = iommu_attach_group_handle(hwpt->domain, ig->group, &h->handle);
	if (ret)
		goto err_iopf;
	ig->handle = h;
	if (hwpt->fault)
		ig->iopf_dev = idev->dev;
	return 0;

err_iopf:
	if (hwpt->fault)
		ifd_fault_iopf_disable(idev->dev);
err_free:
	kfree(h);
	return ret;
}

/*
 * @idev joins @hwpt: the first device of its group attaches the group,
 * the others must follow the HWPT the group is on (-EINVAL otherwise,
 * as upstream). The device's reserved regions go into the HWPT's IOAS
 * first (-EADDRINUSE over an existing area). The device takes a "users"
 * reference of @hwpt.
 */
static int ifd_do_attach(struct iommufd_device *idev, struct ifd_hwpt *hwpt)
{
	struct ifd_igroup *ig = idev->igroup;
	struct ifd_iova *iova = ifd_hwpt_iova(hwpt);
	int ret;

	lockdep_assert_held(&ig->lock);
	if (ig->hwpt && ig->hwpt != hwpt)
		return -EINVAL;

	ret = ifd_iova_add_resv(iova, idev->dev, idev, &ig->sw_msi_start);
	if (ret)
		return ret;
	if (list_empty(&ig->devices)) {
		ret = ifd_igroup_setup_msi(ig, hwpt);
		if (ret)
			goto err_unresv;
		ret = ifd_igroup_attach_domain(ig, hwpt, idev);
		if (ret)
			goto err_unresv;
		ig->hwpt = hwpt;
	}
	refcount_inc(&hwpt->obj.users);
	list_add_tail(&idev->group_node, &ig->devices);
	idev->attached = true;
	return 0;

err_unresv:
	ifd_iova_remove_resv(iova, idev);
	return ret;
}

/*
 * The group's attachment to @hwpt ended (detach, or replace: @keep_iopf
 * when the new HWPT has a fault queue too). Its faults nobody answered
 * are answered "invalid"; IOPF goes off unless kept. Before ig->handle
 * is freed.
 */
static void ifd_igroup_end_faults(struct ifd_igroup *ig,
				  struct ifd_hwpt *hwpt, bool keep_iopf)
{
	if (!hwpt->fault)
		return;
	ifd_fault_drop_handle(hwpt->fault, &ig->handle->handle);
	if (!keep_iopf && ig->iopf_dev) {
		ifd_fault_iopf_disable(ig->iopf_dev);
		ig->iopf_dev = NULL;
	}
}

/* Take the reserved regions of the whole group out of @iova. */
static void ifd_igroup_unresv(struct ifd_igroup *ig, struct ifd_iova *iova)
{
	struct iommufd_device *cur;

	list_for_each_entry(cur, &ig->devices, group_node)
		ifd_iova_remove_resv(iova, cur);
}

/*
 * Move the whole group of the (attached) @idev from its HWPT to @hwpt
 * without passing through blocked DMA. -EINVAL when @idev is not
 * attached. Returns the old HWPT, whose last device reference the caller
 * drops with ifd_hwpt_put() once no lock is held, or NULL when the group
 * was on @hwpt already.
 */
static struct ifd_hwpt *ifd_do_replace(struct iommufd_device *idev,
				       struct ifd_hwpt *hwpt)
{
	struct ifd_igroup *ig = idev->igroup;
	struct ifd_iova *new_iova = ifd_hwpt_iova(hwpt), *old_iova;
	struct iommufd_device *cur;
	struct ifd_handle *h;
	struct ifd_hwpt *old;
	unsigned int n;
	int ret;

	lockdep_assert_held(&ig->lock);
	if (!ig->hwpt || !idev->attached)
		return ERR_PTR(-EINVAL);
	old = ig->hwpt;
	if (old == hwpt)
		return NULL;
	old_iova = ifd_hwpt_iova(old);

	if (new_iova != old_iova) {
		list_for_each_entry(cur, &ig->devices, group_node) {
			ret = ifd_iova_add_resv(new_iova, cur->dev, cur, NULL);
			if (ret)
				goto err_unresv;
		}
	}
	ret = ifd_igroup_setup_msi(ig, hwpt);
	if (ret)
		goto err_unresv;

	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h) {
		ret = -ENOMEM;
		goto err_unresv;
	}
	h->igroup = ig;
	h->dev_id = idev->obj.id;
	/* to a fault queue from none: IOPF on for @idev, as an attach */
	if (hwpt->fault && !old->fault) {
		ret = ifd_fault_iopf_enable(idev->dev);
		if (ret)
			goto err_free;
	}
	ret = iommu_replace_group_handle(ig->group, hwpt->domain, &h->handle);
	if (ret)
		goto err_iopf;
	ifd_igroup_end_faults(ig, old, hwpt->fault);
	if (hwpt->fault && !old->fault)
		ig->iopf_dev = idev->dev;
	kfree(ig->handle);
	ig->handle = h;
	if (new_iova != old_iova)
		ifd_igroup_unresv(ig, old_iova);
	ig->hwpt = hwpt;

	/* the devices' references move; one of the old stays for the caller */
	n = list_count_nodes(&ig->devices);
	refcount_add(n, &hwpt->obj.users);
	/* the table's reference and the caller's one are left: never 0 */
	if (n > 1)
		WARN_ON(refcount_sub_and_test(n - 1, &old->obj.users));
	return old;

err_iopf:
	if (hwpt->fault && !old->fault)
		ifd_fault_iopf_disable(idev->dev);
err_free:
	kfree(h);
err_unresv:
	/* those added (a failed add cleaned up after itself) */
	if (new_iova != old_iova)
		ifd_igroup_unresv(ig, new_iova);
	return ERR_PTR(ret);
}

/* attach or replace, for the HWPT search of an IOAS attach */
typedef struct ifd_hwpt *(*ifd_attach_fn)(struct iommufd_device *idev,
					  struct ifd_hwpt *hwpt);

static struct ifd_hwpt *ifd_attach_fn_attach(struct iommufd_device *idev,
					     struct ifd_hwpt *hwpt)
{
	int ret = ifd_do_attach(idev, hwpt);

	return ret ? ERR_PTR(ret) : NULL;
}

/*
 * pt_id named an IOAS: use an automatic HWPT of it that the device's
 * IOMMU takes (it answers -EINVAL for an incompatible domain, any other
 * error is the answer), else make one for the device. *@pt_id becomes
 * the HWPT's id. Returns what @fn returns: the HWPT to put, NULL, or
 * ERR_PTR.
 */
static struct ifd_hwpt *ifd_attach_ioas(struct iommufd_device *idev,
					struct ifd_ioas *ioas, u32 *pt_id,
					ifd_attach_fn fn)
{
	struct ifd_igroup *ig = idev->igroup;
	struct ifd_hwpt *hwpt, *ret;

	lockdep_assert_held(&ig->lock);
	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, ioas_node) {
		if (!hwpt->auto_domain)
			continue;
		/* one being destroyed waits for the mutex: skip it */
		if (!refcount_inc_not_zero(&hwpt->obj.users))
			continue;
		ret = fn(idev, hwpt);
		refcount_dec(&hwpt->obj.users);
		if (IS_ERR(ret) && PTR_ERR(ret) == -EINVAL)
			continue;
		if (!IS_ERR(ret))
			*pt_id = hwpt->obj.id;
		goto out_unlock;
	}

	/*
	 * A sibling holds the group on a HWPT that is not an automatic one
	 * of this IOAS: a new one could not be attached either.
	 */
	if (fn == ifd_attach_fn_attach && ig->hwpt) {
		ret = ERR_PTR(-EINVAL);
		goto out_unlock;
	}
	hwpt = ifd_hwpt_paging_new(idev->ctx, ioas, idev->dev, 0,
				   idev->enforce_cc, true, NULL);
	if (IS_ERR(hwpt)) {
		ret = hwpt;
		goto out_unlock;
	}
	ret = fn(idev, hwpt);
	if (IS_ERR(ret)) {
		ifd_hwpt_paging_abort(idev->ctx, hwpt);
		goto out_unlock;
	}
	*pt_id = hwpt->obj.id;
	ifd_obj_publish(idev->ctx, &hwpt->obj);
out_unlock:
	mutex_unlock(&ioas->mutex);
	return ret;
}

/*
 * Attach or replace to *@pt_id: an IOAS (automatic HWPT, its id written
 * back) or a HWPT. -ENOENT for an unknown id, -EINVAL for another kind
 * of object, as upstream.
 */
static int ifd_change_pt(struct iommufd_device *idev, u32 *pt_id,
			 ifd_attach_fn fn)
{
	struct ifd_igroup *ig = idev->igroup;
	struct ifd_hwpt *put;
	struct ifd_obj *pt;
	bool attaching;

	pt = ifd_obj_get(idev->ctx, *pt_id, IFD_OBJ_ANY);
	if (IS_ERR(pt))
		return PTR_ERR(pt);

	mutex_lock(&ig->lock);
	/*
	 * Caller bugs: attach twice (replace is the way to move), replace
	 * before attach. Answered before any HWPT is made for nothing.
	 */
	attaching = fn == ifd_attach_fn_attach;
	if (attaching == idev->attached) {
		put = ERR_PTR(-EINVAL);
		goto out_unlock;
	}
	switch (pt->type) {
	case IFD_OBJ_HWPT_PAGING:
	case IFD_OBJ_HWPT_NESTED:
		put = fn(idev, container_of(pt, struct ifd_hwpt, obj));
		break;
	case IFD_OBJ_IOAS:
		put = ifd_attach_ioas(idev, container_of(pt, struct ifd_ioas,
							 obj), pt_id, fn);
		break;
	default:
		put = ERR_PTR(-EINVAL);
	}
out_unlock:
	mutex_unlock(&ig->lock);
	ifd_obj_put(idev->ctx, pt);

	if (IS_ERR(put))
		return PTR_ERR(put);
	/* an automatic HWPT left by its last device goes, no lock held */
	if (put)
		ifd_hwpt_put(idev->ctx, put);
	return 0;
}

/**
 * iommufd_device_attach - attach a bound device to a HWPT or an IOAS
 * @idev: the device, not attached
 * @pt_id: in: an IOAS or HWPT id; out: the HWPT's id
 *
 * Once this returns 0 the device may DMA to what the HWPT maps; undo with
 * iommufd_device_detach().
 *
 * Return: 0, -ENOENT (unknown id), -EINVAL (another kind of object, a
 * HWPT the device's IOMMU cannot use, a group sibling on another HWPT,
 * already attached), -EADDRINUSE (a reserved region of the device over a
 * mapping), or the errors of making a HWPT.
 */
int iommufd_device_attach(struct iommufd_device *idev, u32 *pt_id)
{
	return ifd_change_pt(idev, pt_id, ifd_attach_fn_attach);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_attach, IOMMUFD);

/**
 * iommufd_device_replace - move an attached device (its whole group)
 * @idev: the device, attached
 * @pt_id: in: an IOAS or HWPT id; out: the HWPT's id
 *
 * As detach then attach, without a window of blocked DMA; on failure
 * nothing changed.
 *
 * Return: as iommufd_device_attach(); -EINVAL if not attached.
 */
int iommufd_device_replace(struct iommufd_device *idev, u32 *pt_id)
{
	return ifd_change_pt(idev, pt_id, ifd_do_replace);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_replace, IOMMUFD);

/**
 * iommufd_device_detach - undo iommufd_device_attach()
 * @idev: the device, attached
 *
 * The last device of its group to leave puts the group back to blocked
 * DMA; an automatic HWPT goes with its last device.
 */
void iommufd_device_detach(struct iommufd_device *idev)
{
	struct ifd_igroup *ig = idev->igroup;
	struct ifd_hwpt *hwpt;

	mutex_lock(&ig->lock);
	hwpt = ig->hwpt;
	if (WARN_ON_ONCE(!idev->attached || !hwpt)) {
		mutex_unlock(&ig->lock);
		return;
	}
	list_del_init(&idev->group_node);
	idev->attached = false;
	if (list_empty(&ig->devices)) {
		iommu_detach_group_handle(hwpt->domain, ig->group);
		ifd_igroup_end_faults(ig, hwpt, false);
		kfree(ig->handle);
		ig->handle = NULL;
		ig->hwpt = NULL;
	} else if (ig->iopf_dev == idev->dev) {
		/* its IOPF goes with it: the device may go away next */
		ifd_fault_iopf_disable(idev->dev);
		ig->iopf_dev = NULL;
	}
	ifd_iova_remove_resv(ifd_hwpt_iova(hwpt), idev);
	mutex_unlock(&ig->lock);
	ifd_hwpt_put(idev->ctx, hwpt);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_detach, IOMMUFD);

/* --- IOMMU_GET_HW_INFO --- */

/*
 * What the device's IOMMU is: the driver's hw_info (type and data; none
 * gives type NONE and no data), copied up to the caller's data_len and
 * zero-filled beyond; data_len comes back as the driver's length. Then
 * capabilities: dirty tracking, and the PASID state of the device.
 */
int ifd_get_hw_info(struct ifd_ucmd *uc)
{
	struct iommu_hw_info *cmd = uc->cmd;
	void __user *udata = u64_to_user_ptr(cmd->data_uptr);
	const struct iommu_ops *ops;
	struct iommufd_device *idev;
	u32 len = 0, copy;
	void *data = NULL;
	int ret;

	if (cmd->flags || cmd->__reserved[0] || cmd->__reserved[1] ||
	    cmd->__reserved[2])
		return -EOPNOTSUPP;
	idev = ifd_device_get(uc->ctx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	ops = ifd_dev_ops(idev->dev);
	cmd->out_data_type = IOMMU_HW_INFO_TYPE_NONE;
	if (ops->hw_info) {
		data = ops->hw_info(idev->dev, &len, &cmd->out_data_type);
		if (IS_ERR(data)) {
			ret = PTR_ERR(data);
			data = NULL;
			goto out_put;
		}
		/* a driver with hw_info has a type of its own */
		if (cmd->out_data_type == IOMMU_HW_INFO_TYPE_NONE) {
			ret = -ENODEV;
			goto out_free;
		}
	}

	copy = min(cmd->data_len, len);
	if (copy_to_user(udata, data, copy) ||
	    (cmd->data_len > copy &&
	     clear_user(udata + copy, cmd->data_len - copy))) {
		ret = -EFAULT;
		goto out_free;
	}
	cmd->data_len = len;

	cmd->out_capabilities = 0;
	if (device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	cmd->out_max_pasid_log2 = 0;
	/* drivers enable PASID at probe when both ends support it */
	if (idev->dev->iommu->max_pasids) {
		cmd->out_max_pasid_log2 = ilog2(idev->dev->iommu->max_pasids);
		if (dev_is_pci(idev->dev)) {
			int ctrl = pci_pasid_status(to_pci_dev(idev->dev));

			if (ctrl > 0 && (ctrl & PCI_PASID_CTRL_EXEC))
				cmd->out_capabilities |=
					IOMMU_HW_CAP_PCI_PASID_EXEC;
			if (ctrl > 0 && (ctrl & PCI_PASID_CTRL_PRIV))
				cmd->out_capabilities |=
					IOMMU_HW_CAP_PCI_PASID_PRIV;
		}
	}
	ret = ifd_respond(uc, sizeof(*cmd));
out_free:
	kfree(data);
out_put:
	ifd_obj_put(uc->ctx, &idev->obj);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_get_hw_info);
