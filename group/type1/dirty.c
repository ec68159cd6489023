// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page tracking for migration (VFIO_IOMMU_DIRTY_PAGES and UNMAP_DMA
 * with GET_DIRTY_BITMAP).
 *
 * Type1 cannot see what a device wrote through the IOMMU. Every mapping
 * has a bitmap at the smallest IOMMU page size; pages pinned by emulated
 * devices and pages written by dma_rw are marked. While any group can DMA
 * on its own (unscoped_groups), every pinned mapping reports all dirty.
 */

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "type1.h"

/* Allocate the bitmap of @m for @pgsize pages, all clean. */
int t1_dirty_alloc(struct t1_mapping *m, size_t pgsize)
{
	u64 nbits = m->size >> __ffs(pgsize);

	if (nbits > T1_BITMAP_MAX_PAGES)
		return -EINVAL;
	/* A spare word: reporting shifts the bits in place. */
	m->dirty = kvzalloc(T1_BITMAP_BYTES(nbits) + sizeof(u64),
			    GFP_KERNEL_ACCOUNT);
	return m->dirty ? 0 : -ENOMEM;
}

void t1_dirty_free(struct t1_mapping *m)
{
	kvfree(m->dirty);
	m->dirty = NULL;
}

/* Mark [@offset, @offset + @len) of @m dirty. */
void t1_dirty_mark(struct t1_iommu *iommu, struct t1_mapping *m,
		   u64 offset, u64 len)
{
	unsigned int pgshift = __ffs(iommu->pgsizes);
	u64 first = offset >> pgshift;
	u64 last = (offset + len - 1) >> pgshift;

	if (m->dirty && len)
		bitmap_set(m->dirty, first, last - first + 1);
}
EXPORT_SYMBOL_IF_KUNIT(t1_dirty_mark);

/* Pages pinned by emulated devices count as dirty until unpinned. */
static void t1_dirty_mark_pins(struct t1_iommu *iommu, struct t1_mapping *m)
{
	struct t1_ext_pin *ep;
	unsigned long idx;

	xa_for_each(&m->ext_pins, idx, ep)
		t1_dirty_mark(iommu, m, (u64)idx << PAGE_SHIFT, PAGE_SIZE);
}

/* A group that could DMA anywhere left: it may have written anything. */
void t1_dirty_mark_all(struct t1_iommu *iommu)
{
	struct t1_mapping *m;

	for (m = t1_mapping_lowest(iommu); m; m = t1_mapping_succ(m))
		t1_dirty_mark(iommu, m, 0, m->size);
}

static void t1_dirty_stop(struct t1_iommu *iommu)
{
	struct t1_mapping *m;

	for (m = t1_mapping_lowest(iommu); m; m = t1_mapping_succ(m))
		t1_dirty_free(m);
	iommu->dirty_tracking = false;
}

static int t1_dirty_start(struct t1_iommu *iommu)
{
	size_t pgsize = t1_min_pgsize(iommu);
	struct t1_mapping *m;
	int ret;

	for (m = t1_mapping_lowest(iommu); m; m = t1_mapping_succ(m)) {
		ret = t1_dirty_alloc(m, pgsize);
		if (ret) {
			t1_dirty_stop(iommu);
			return ret;
		}
		t1_dirty_mark_pins(iommu, m);
	}
	iommu->dirty_tracking = true;
	return 0;
}

/*
 * Copy the bits of @m into the user bitmap that starts at IOVA @base.
 * When @m does not start on a 64-page boundary of that bitmap, its bits
 * are shifted into place and the first user word is merged in, as the
 * previous mapping already wrote the bits below.
 */
int t1_dirty_report(struct t1_iommu *iommu, struct t1_mapping *m,
		    u64 __user *ubitmap, dma_addr_t base, size_t pgsize)
{
	unsigned int pgshift = __ffs(pgsize);
	unsigned long nbits = m->size >> pgshift;
	u64 bit = (t1_map_iova(m) - base) >> pgshift;
	u64 __user *dst = ubitmap + bit / BITS_PER_TYPE(u64);
	unsigned int shift = bit % BITS_PER_TYPE(u64);

	if (iommu->unscoped_groups && m->pinned)
		bitmap_set(m->dirty, 0, nbits);

	if (shift) {
		u64 head;

		bitmap_shift_left(m->dirty, m->dirty, shift, nbits + shift);
		if (copy_from_user(&head, dst, sizeof(head)))
			return -EFAULT;
		m->dirty[0] |= head;
	}

	if (copy_to_user(dst, m->dirty, T1_BITMAP_BYTES(nbits + shift)))
		return -EFAULT;
	return 0;
}

/* A user bitmap of @bitmap_size bytes must hold @npages bits. */
int t1_dirty_check_bitmap(u64 npages, u64 bitmap_size)
{
	if (!npages || !bitmap_size || bitmap_size > T1_BITMAP_MAX_BYTES ||
	    bitmap_size < T1_BITMAP_BYTES(npages))
		return -EINVAL;
	return 0;
}

/* GET_BITMAP over whole mappings only; restarts the tracking window. */
static int t1_dirty_get(struct t1_iommu *iommu, u64 __user *ubitmap,
			dma_addr_t iova, u64 size, size_t pgsize)
{
	dma_addr_t last = iova + size - 1;
	struct t1_mapping *m;
	int ret;

	m = t1_mapping_at(iommu, iova);
	if (m && t1_map_iova(m) != iova)
		return -EINVAL;
	m = t1_mapping_at(iommu, last);
	if (m && m->node.last != last)
		return -EINVAL;

	for (m = t1_mapping_first(iommu, iova, last); m;
	     m = t1_mapping_next(m, iova, last)) {
		ret = t1_dirty_report(iommu, m, ubitmap, iova, pgsize);
		if (ret)
			return ret;
		/* Clear the spare word too: it holds shifted-out bits. */
		bitmap_zero(m->dirty, (m->size >> __ffs(pgsize)) +
				      BITS_PER_TYPE(u64));
		t1_dirty_mark_pins(iommu, m);
	}
	return 0;
}

static int t1_dirty_get_ioctl(struct t1_iommu *iommu, void __user *udata,
			      size_t data_size)
{
	struct vfio_iommu_type1_dirty_bitmap_get range;
	size_t pgsize;
	int ret;

	if (data_size < sizeof(range))
		return -EINVAL;
	if (copy_from_user(&range, udata, sizeof(range)))
		return -EFAULT;

	if (range.iova + range.size < range.iova)
		return -EINVAL;
	if (!access_ok(range.bitmap.data, range.bitmap.size))
		return -EINVAL;
	if (!range.bitmap.pgsize)
		return -EINVAL;
	ret = t1_dirty_check_bitmap(range.size >> __ffs64(range.bitmap.pgsize),
				    range.bitmap.size);
	if (ret)
		return ret;

	mutex_lock(&iommu->lock);
	pgsize = t1_min_pgsize(iommu);
	/* Only the smallest IOMMU page size, and whole pages of it. */
	if (range.bitmap.pgsize != pgsize || range.iova & (pgsize - 1) ||
	    !range.size || range.size & (pgsize - 1) ||
	    !iommu->dirty_tracking)
		ret = -EINVAL;
	else
		ret = t1_dirty_get(iommu, range.bitmap.data, range.iova,
				   range.size, pgsize);
	mutex_unlock(&iommu->lock);
	return ret;
}

int t1_ioctl_dirty_pages(struct t1_iommu *iommu, void __user *uarg,
			 void *hdr)
{
	struct vfio_iommu_type1_dirty_bitmap *db = hdr;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	int ret = 0;

	/* Exactly one operation per call. */
	if (hweight32(db->flags) != 1)
		return -EINVAL;

	switch (db->flags) {
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_START:
		mutex_lock(&iommu->lock);
		if (!iommu->dirty_tracking)
			ret = t1_dirty_start(iommu);
		mutex_unlock(&iommu->lock);
		return ret;
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP:
		mutex_lock(&iommu->lock);
		if (iommu->dirty_tracking)
			t1_dirty_stop(iommu);
		mutex_unlock(&iommu->lock);
		return 0;
	default:
		return t1_dirty_get_ioctl(iommu, uarg + minsz,
					  db->argsz - minsz);
	}
}
