// SPDX-License-Identifier: GPL-2.0-only
/*
 * HWPT_PAGING objects: an IOMMU paging domain that holds everything its
 * IOAS maps. One is made for a device, either by HWPT_ALLOC or by an
 * attach of the device to an IOAS ("auto" HWPTs, which later attaches of
 * compatible devices reuse, and which go with their last device). While
 * it exists the IOAS fills every area into its domain from the pinned
 * pages (iova.c); destroying it empties the domain (unpinning with the
 * IOAS's last domain) and frees it.
 *
 * HWPT_NESTED objects: a domain of the IOMMU driver's own format (user
 * data from HWPT_ALLOC) whose output goes through a PAGING parent made
 * with NEST_PARENT; the driver decides everything about it.
 *
 * Creation leaves the object reserved, not published: the caller attaches
 * the device (or answers the ioctl) first and publishes only what works,
 * or aborts.
 */
#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <vfio/iommu_internal.h>

#include "ifd.h"

#define IFD_HWPT_PAGING_FLAGS	(IOMMU_HWPT_ALLOC_NEST_PARENT | \
				 IOMMU_HWPT_ALLOC_DIRTY_TRACKING)

/*
 * A paging domain for @dev. The driver's domain_alloc_user() is preferred
 * even without flags: on VT-d it gives second-stage tables, which nesting
 * and dirty tracking need. Drivers without it only do plain domains.
 */
static struct iommu_domain *ifd_domain_new(struct device *dev, u32 flags,
					   const struct iommu_user_data *data)
{
	const struct iommu_ops *ops = ifd_dev_ops(dev);
	struct iommu_domain *domain;

	if (!ops->domain_alloc_user)
		return vfio_paging_domain_alloc(dev);
	domain = ops->domain_alloc_user(dev, flags, NULL, data);
	if (!domain)
		return ERR_PTR(-ENOMEM);
	if (IS_ERR(domain))
		return domain;
	/* the core stamps this only on domains it allocated itself */
	domain->owner = ops;
	return domain;
}

/*
 * Block no-snoop DMA through this domain (a device that needs coherent
 * DMA, for KVM's wbinvd decision). The driver decides per domain, and
 * only before anything is mapped for some: -EINVAL when it refuses.
 */
int ifd_hwpt_enforce_cc(struct ifd_hwpt *hwpt)
{
	const struct iommu_domain_ops *ops = hwpt->domain->ops;

	if (hwpt->enforce_cc)
		return 0;
	if (!ops->enforce_cache_coherency ||
	    !ops->enforce_cache_coherency(hwpt->domain))
		return -EINVAL;
	hwpt->enforce_cc = true;
	return 0;
}

/*
 * A new HWPT_PAGING on @ioas for @dev (probed by an IOMMU, a checked
 * device of the caller), filled with everything the IOAS maps; @data:
 * driver-specific user data of HWPT_ALLOC, or NULL. Called with
 * ioas->mutex held; the result is reserved, not published (publish or
 * ifd_hwpt_paging_abort() before dropping the mutex). Errors, in
 * upstream's order: -EOPNOTSUPP for flags or data the driver cannot
 * honour, the driver's errno, -EINVAL if coherency cannot be enforced,
 * and ifd_iova_add_domain()'s (-EADDRINUSE, -EFAULT, -ENOMEM, ...).
 */
struct ifd_hwpt *ifd_hwpt_paging_new(struct iommufd_ctx *ctx,
				     struct ifd_ioas *ioas, struct device *dev,
				     u32 flags, bool enforce_cc,
				     bool auto_domain,
				     const struct iommu_user_data *data)
{
	struct iommu_domain *domain;
	struct ifd_hwpt *hwpt;
	struct ifd_obj *obj;
	int ret;

	lockdep_assert_held(&ioas->mutex);
	if ((flags || data) && !ifd_dev_ops(dev)->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);
	if (flags & ~IFD_HWPT_PAGING_FLAGS)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);

	obj = ifd_obj_reserve(ctx, sizeof(*hwpt), IFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt = container_of(obj, struct ifd_hwpt, obj);

	domain = ifd_domain_new(dev, flags, data);
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		goto err_abort;
	}
	hwpt->domain = domain;
	hwpt->auto_domain = auto_domain;
	hwpt->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	hwpt->dirty_tracking = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;

	/* some drivers pick a per-PTE snoop bit: decide before any map */
	if (enforce_cc) {
		ret = ifd_hwpt_enforce_cc(hwpt);
		if (ret)
			goto err_free_domain;
	}

	ret = ifd_iova_add_domain(&ioas->iova, domain);
	if (ret)
		goto err_free_domain;
	refcount_inc(&ioas->obj.users);
	hwpt->ioas = ioas;
	list_add_tail(&hwpt->ioas_node, &ioas->hwpts);
	return hwpt;

err_free_domain:
	iommu_domain_free(domain);
err_abort:
	ifd_obj_abort(ctx, obj);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_hwpt_paging_new);

/* Undo ifd_hwpt_paging_new(): empty and free the domain, leave the IOAS. */
static void ifd_hwpt_paging_teardown(struct ifd_hwpt *hwpt)
{
	struct ifd_ioas *ioas = hwpt->ioas;

	lockdep_assert_held(&ioas->mutex);
	list_del(&hwpt->ioas_node);
	ifd_iova_remove_domain(&ioas->iova, hwpt->domain);
	iommu_domain_free(hwpt->domain);
	refcount_dec(&ioas->obj.users);
}

/* An unpublished HWPT whose attach failed; ioas->mutex still held. */
void ifd_hwpt_paging_abort(struct iommufd_ctx *ctx, struct ifd_hwpt *hwpt)
{
	ifd_hwpt_paging_teardown(hwpt);
	ifd_obj_abort(ctx, &hwpt->obj);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_hwpt_paging_abort);

/* DESTROY or close: nothing is attached (a device holds a user ref). */
void ifd_hwpt_paging_destroy(struct ifd_obj *obj)
{
	struct ifd_hwpt *hwpt = container_of(obj, struct ifd_hwpt, obj);
	struct ifd_ioas *ioas = hwpt->ioas;

	mutex_lock(&ioas->mutex);
	ifd_hwpt_paging_teardown(hwpt);
	mutex_unlock(&ioas->mutex);
}

void ifd_hwpt_nested_destroy(struct ifd_obj *obj)
{
	struct ifd_hwpt *hwpt = container_of(obj, struct ifd_hwpt, obj);

	iommu_domain_free(hwpt->domain);
	if (hwpt->fault)
		refcount_dec(&hwpt->fault->obj.users);
	refcount_dec(&hwpt->parent->obj.users);
}

/*
 * A device let go of @hwpt (detach or replace, no ifd lock held): an
 * automatic HWPT goes with its last user, others stay until DESTROY.
 */
void ifd_hwpt_put(struct iommufd_ctx *ctx, struct ifd_hwpt *hwpt)
{
	if (hwpt->obj.type == IFD_OBJ_HWPT_PAGING && hwpt->auto_domain) {
		ifd_obj_put_try_destroy(ctx, &hwpt->obj);
		return;
	}
	refcount_dec(&hwpt->obj.users);
}

/*
 * A HWPT_NESTED in @parent for @dev: user data is mandatory and only
 * FAULT_ID_VALID may come with it (-EOPNOTSUPP); the parent must have
 * been allocated by HWPT_ALLOC with NEST_PARENT by the same driver
 * (-EINVAL). The driver checks the data. Reserved, not published.
 */
static struct ifd_hwpt *ifd_hwpt_nested_new(struct iommufd_ctx *ctx,
					    struct ifd_hwpt *parent,
					    struct device *dev, u32 flags,
					    const struct iommu_user_data *data)
{
	const struct iommu_ops *ops = ifd_dev_ops(dev);
	struct iommu_domain *domain;
	struct ifd_hwpt *hwpt;
	struct ifd_obj *obj;
	int ret;

	if ((flags & ~IOMMU_HWPT_FAULT_ID_VALID) || !data->len ||
	    !ops->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->domain->owner != ops)
		return ERR_PTR(-EINVAL);

	obj = ifd_obj_reserve(ctx, sizeof(*hwpt), IFD_OBJ_HWPT_NESTED);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt = container_of(obj, struct ifd_hwpt, obj);

	domain = ops->domain_alloc_user(dev, flags & ~IOMMU_HWPT_FAULT_ID_VALID,
					parent->domain, data);
	if (IS_ERR_OR_NULL(domain)) {
		ret = domain ? PTR_ERR(domain) : -ENOMEM;
		goto err_abort;
	}
	domain->owner = ops;
	/* a nested domain without invalidation would be a driver bug */
	if (domain->type != IOMMU_DOMAIN_NESTED ||
	    !domain->ops->cache_invalidate_user) {
		iommu_domain_free(domain);
		ret = -EINVAL;
		goto err_abort;
	}
	hwpt->domain = domain;
	refcount_inc(&parent->obj.users);
	hwpt->parent = parent;
	return hwpt;

err_abort:
	ifd_obj_abort(ctx, obj);
	return ERR_PTR(ret);
}

/*
 * IOMMU_HWPT_ALLOC: pt_id an IOAS gives a HWPT_PAGING for the device,
 * pt_id a HWPT_PAGING a HWPT_NESTED in it. The checks and their order
 * are upstream's: __reserved, data type against length (-EINVAL), the
 * device (-ENOENT), pt_id absent or of another type (-EINVAL), then the
 * flags and the driver.
 */
int ifd_hwpt_alloc(struct ifd_ucmd *uc)
{
	struct iommu_hwpt_alloc *cmd = uc->cmd;
	const struct iommu_user_data data = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.len = cmd->data_len,
	};
	struct iommufd_device *idev;
	struct ifd_ioas *ioas = NULL;
	struct ifd_obj *pt;
	struct ifd_hwpt *hwpt;
	int ret;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	/* data exactly when a data type is given */
	if (!cmd->data_type != !cmd->data_len)
		return -EINVAL;

	idev = ifd_device_get(uc->ctx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	pt = ifd_obj_get(uc->ctx, cmd->pt_id, IFD_OBJ_ANY);
	if (IS_ERR(pt)) {
		ret = -EINVAL;
		goto out_put_idev;
	}

	switch (pt->type) {
	case IFD_OBJ_IOAS:
		ioas = container_of(pt, struct ifd_ioas, obj);
		mutex_lock(&ioas->mutex);
		hwpt = ifd_hwpt_paging_new(uc->ctx, ioas, idev->dev, cmd->flags,
					   idev->enforce_cc, false,
					   data.len ? &data : NULL);
		break;
	case IFD_OBJ_HWPT_PAGING:
		hwpt = ifd_hwpt_nested_new(uc->ctx,
					   container_of(pt, struct ifd_hwpt, obj),
					   idev->dev, cmd->flags, &data);
		break;
	default:
		hwpt = ERR_PTR(-EINVAL);
	}
	if (IS_ERR(hwpt)) {
		ret = PTR_ERR(hwpt);
		goto out_unlock;
	}

	/* only a HWPT_NESTED gets here with it: the paging flags refuse it */
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct ifd_obj *fault;

		fault = ifd_obj_get(uc->ctx, cmd->fault_id, IFD_OBJ_FAULT);
		if (IS_ERR(fault)) {
			ret = PTR_ERR(fault);
			goto out_abort;
		}
		ifd_fault_set_hwpt(hwpt, container_of(fault, struct ifd_fault,
						      obj));
		ifd_obj_put(uc->ctx, fault);
	}

	cmd->out_hwpt_id = hwpt->obj.id;
	ret = ifd_respond(uc, sizeof(*cmd));
	if (ret)
		goto out_abort;
	ifd_obj_publish(uc->ctx, &hwpt->obj);
	goto out_unlock;

out_abort:
	if (hwpt->obj.type == IFD_OBJ_HWPT_PAGING) {
		ifd_hwpt_paging_abort(uc->ctx, hwpt);
	} else {
		ifd_hwpt_nested_destroy(&hwpt->obj);
		ifd_obj_abort(uc->ctx, &hwpt->obj);
	}
out_unlock:
	if (ioas)
		mutex_unlock(&ioas->mutex);
	ifd_obj_put(uc->ctx, pt);
out_put_idev:
	ifd_obj_put(uc->ctx, &idev->obj);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_hwpt_alloc);

/* Far above any real batch: one call must not keep the CPU for long. */
#define IFD_INVALIDATE_MAX_ENTRIES	BIT(19)

/*
 * IOMMU_HWPT_INVALIDATE: hand an array of driver-format invalidation
 * requests to a HWPT_NESTED's driver. Upstream's order: __reserved
 * (-EOPNOTSUPP); a non-empty array needs a pointer, an entry length of
 * 1..PAGE_SIZE and at most 2^19 entries (-EINVAL); hwpt_id must name a
 * HWPT_NESTED (-ENOENT, a HWPT_PAGING included). entry_num is written
 * back on every outcome: the requests the driver completed, 0 when it
 * was not reached. An empty array asks the driver whether it knows
 * data_type.
 */
int ifd_hwpt_invalidate(struct ifd_ucmd *uc)
{
	struct iommu_hwpt_invalidate *cmd = uc->cmd;
	struct iommu_user_data_array array = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct ifd_hwpt *hwpt;
	struct ifd_obj *obj;
	u32 handled = 0;
	int ret;

	if (cmd->__reserved) {
		ret = -EOPNOTSUPP;
		goto out_respond;
	}
	if (cmd->entry_num &&
	    (!cmd->data_uptr || !cmd->entry_len ||
	     cmd->entry_len > PAGE_SIZE ||
	     cmd->entry_num > IFD_INVALIDATE_MAX_ENTRIES)) {
		ret = -EINVAL;
		goto out_respond;
	}
	obj = ifd_obj_get(uc->ctx, cmd->hwpt_id, IFD_OBJ_HWPT_NESTED);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_respond;
	}
	hwpt = container_of(obj, struct ifd_hwpt, obj);
	/* checked at creation: every nested domain can do this */
	ret = hwpt->domain->ops->cache_invalidate_user(hwpt->domain, &array);
	handled = array.entry_num;
	ifd_obj_put(uc->ctx, obj);

out_respond:
	cmd->entry_num = handled;
	if (ifd_respond(uc, sizeof(*cmd)))
		return -EFAULT;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_hwpt_invalidate);
