// SPDX-License-Identifier: GPL-2.0-only
/*
 * HWPT_PAGING objects: an IOMMU paging domain that holds everything its
 * IOAS maps. One is made for a device, either by HWPT_ALLOC or by an
 * attach of the device to an IOAS ("auto" HWPTs, which later attaches of
 * compatible devices reuse). While it exists the IOAS fills every area
 * into its domain from the pinned pages (iova.c); destroying it empties
 * the domain (unpinning with the IOAS's last domain) and frees it.
 *
 * Creation leaves the object reserved, not published: the caller attaches
 * the device first and publishes only what works, or aborts.
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
 * and dirty tracking need. Drivers without it only do flag-less domains.
 */
static struct iommu_domain *ifd_domain_new(struct device *dev, u32 flags)
{
	const struct iommu_ops *ops = ifd_dev_ops(dev);
	struct iommu_domain *domain;

	if (!ops->domain_alloc_user) {
		if (flags)
			return ERR_PTR(-EOPNOTSUPP);
		return vfio_paging_domain_alloc(dev);
	}
	domain = ops->domain_alloc_user(dev, flags, NULL, NULL);
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
 * device of the caller), filled with everything the IOAS maps. Called
 * with ioas->mutex held; the result is reserved, not published (publish
 * or ifd_hwpt_paging_abort() before dropping the mutex). Errors:
 * -EOPNOTSUPP for flags the driver cannot honour, the driver's errno, and
 * ifd_iova_add_domain()'s (-EADDRINUSE, -EFAULT, -ENOMEM, ...).
 */
struct ifd_hwpt *ifd_hwpt_paging_new(struct iommufd_ctx *ctx,
				     struct ifd_ioas *ioas, struct device *dev,
				     u32 flags, bool enforce_cc,
				     bool auto_domain)
{
	struct iommu_domain *domain;
	struct ifd_hwpt *hwpt;
	struct ifd_obj *obj;
	int ret;

	lockdep_assert_held(&ioas->mutex);
	if (flags & ~IFD_HWPT_PAGING_FLAGS)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);

	obj = ifd_obj_reserve(ctx, sizeof(*hwpt), IFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt = container_of(obj, struct ifd_hwpt, obj);

	domain = ifd_domain_new(dev, flags);
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
