/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IOMMU core functions exported to iommufd only (symbol namespace
 * IOMMUFD_INTERNAL), declared by us: their prototypes live in the kernel's
 * private drivers/iommu/iommu-priv.h, which no module outside the IOMMU
 * core can include. A module using them needs
 * MODULE_IMPORT_NS(IOMMUFD_INTERNAL); only iommufd.ko does.
 *
 * These are exactly the five symbols of that namespace in 6.12 (the build
 * checks them in the target's Module.symvers). Modversions CRCs come from
 * the kernel's own declarations, so a signature change in a later 6.12.y
 * would not be caught at load: tools/testing/internal-check.sh compiles
 * this header together with iommu-priv.h to catch a drift.
 */
#ifndef VFIO_IOMMU_INTERNAL_H
#define VFIO_IOMMU_INTERNAL_H

#include <linux/device.h>
#include <linux/iommu.h>

/* Move @group to @new_domain without passing through a blocking domain. */
int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain);

/*
 * The handle recorded for @group at @pasid (IOMMU_NO_PASID: the whole
 * device); ERR_PTR(-ENOENT) if none, ERR_PTR(-EBUSY) if its domain is not
 * of @type (0: any type). Lets a fault handler find the owner of a
 * domain: embed the handle, container_of() it back.
 */
struct iommu_attach_handle *iommu_attach_handle_get(struct iommu_group *group,
						    ioasid_t pasid,
						    unsigned int type);

/*
 * Attach @group (owned through the DMA-owner API) to @domain and record
 * @handle for it (the core sets handle->domain). -EBUSY while a handle is
 * recorded already or the group is not in its blocking/default domain.
 */
int iommu_attach_group_handle(struct iommu_domain *domain,
			      struct iommu_group *group,
			      struct iommu_attach_handle *handle);

/* Back to the owner's blocking domain; forgets the handle. */
void iommu_detach_group_handle(struct iommu_domain *domain,
			       struct iommu_group *group);

/* iommu_group_replace_domain() recording a new handle; -EINVAL: no domain. */
int iommu_replace_group_handle(struct iommu_group *group,
			       struct iommu_domain *new_domain,
			       struct iommu_attach_handle *handle);

/*
 * The iommu_ops of the IOMMU driver that probed @dev (upstream's private
 * dev_iommu_ops()), through the public fields of struct dev_iommu and
 * struct iommu_device. Only valid for a device the IOMMU core probed and
 * put in a group, which stays so while we hold a DMA ownership claim or
 * a binding on it: callers check device_iommu_mapped() first.
 */
static inline const struct iommu_ops *ifd_dev_ops(struct device *dev)
{
	return dev->iommu->iommu_dev->ops;
}

#endif /* VFIO_IOMMU_INTERNAL_H */
