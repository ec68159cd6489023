// SPDX-License-Identifier: GPL-2.0-only
/* probe: VFIO_HAVE_IOMMU_PAGING_DOMAIN_ALLOC */
#include <linux/iommu.h>

struct iommu_domain *probe(struct device *dev);
struct iommu_domain *probe(struct device *dev)
{
	return iommu_paging_domain_alloc(dev);
}
