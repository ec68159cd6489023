/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake IOMMU paging domain for our KUnit suites. Its map/unmap ops
 * record IOVA page -> pfn in an xarray, so a suite checks exactly what
 * the IOMMU would have been told, without hardware. PAGE_SIZE pages only
 * and an aperture covering everything, unless the suite changes them.
 * Only KUnit files include this.
 */
#ifndef VFIO_KUNIT_DOMAIN_H
#define VFIO_KUNIT_DOMAIN_H

#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/xarray.h>

struct kd_domain {
	struct iommu_domain dom;
	struct xarray map;	/* IOVA >> PAGE_SHIFT -> xa_mk_value(pfn) */
	int fail_in;		/* pages mapped until one fails, <0 never */
	unsigned int remapped;	/* maps over an existing entry: a bug */
};

static inline struct kd_domain *kd_of(struct iommu_domain *d)
{
	return container_of(d, struct kd_domain, dom);
}

static inline int kd_map_pages(struct iommu_domain *d, unsigned long iova,
			       phys_addr_t paddr, size_t pgsize,
			       size_t pgcount, int prot, gfp_t gfp,
			       size_t *mapped)
{
	struct kd_domain *kd = kd_of(d);
	size_t i;
	void *old;

	for (i = 0; i < pgcount; i++) {
		if (kd->fail_in >= 0 && !kd->fail_in--)
			return -ENOSPC;
		old = xa_store(&kd->map, (iova >> PAGE_SHIFT) + i,
			       xa_mk_value(PHYS_PFN(paddr) + i), gfp);
		if (xa_is_err(old))
			return xa_err(old);
		if (old)
			kd->remapped++;
		*mapped += PAGE_SIZE;
	}
	return 0;
}

/* Unmaps up to the first hole, as a page-table walk would stop there. */
static inline size_t kd_unmap_pages(struct iommu_domain *d,
				    unsigned long iova, size_t pgsize,
				    size_t pgcount,
				    struct iommu_iotlb_gather *gather)
{
	struct kd_domain *kd = kd_of(d);
	size_t i;

	for (i = 0; i < pgcount; i++)
		if (!xa_erase(&kd->map, (iova >> PAGE_SHIFT) + i))
			break;
	return i * PAGE_SIZE;
}

static const struct iommu_domain_ops kd_ops = {
	.map_pages = kd_map_pages,
	.unmap_pages = kd_unmap_pages,
};

static inline void kd_free(void *data)
{
	struct kd_domain *kd = data;

	xa_destroy(&kd->map);
	kfree(kd);
}

/* A fake domain freed when the test ends. */
static inline struct kd_domain *kd_new(struct kunit *test)
{
	struct kd_domain *kd = kzalloc(sizeof(*kd), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, kd);
	xa_init(&kd->map);
	kd->fail_in = -1;
	kd->dom.type = IOMMU_DOMAIN_UNMANAGED;
	kd->dom.ops = &kd_ops;
	kd->dom.pgsize_bitmap = PAGE_SIZE;
	kd->dom.geometry.aperture_end = ULONG_MAX;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, kd_free, kd));
	return kd;
}

/* Pages mapped. */
static inline unsigned long kd_count(struct kd_domain *kd)
{
	unsigned long idx, n = 0;
	void *e;

	xa_for_each(&kd->map, idx, e)
		n++;
	return n;
}

/* The pfn mapped at @iova, 0 if none. */
static inline unsigned long kd_pfn(struct kd_domain *kd, unsigned long iova)
{
	void *e = xa_load(&kd->map, iova >> PAGE_SHIFT);

	return xa_is_value(e) ? xa_to_value(e) : 0;
}

#endif /* VFIO_KUNIT_DOMAIN_H */
