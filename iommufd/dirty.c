// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty tracking of HWPT_PAGING domains: IOMMU_HWPT_SET_DIRTY_TRACKING
 * and IOMMU_HWPT_GET_DIRTY_BITMAP, for domains whose driver has dirty_ops
 * (made with IOMMU_HWPT_ALLOC_DIRTY_TRACKING on an IOMMU that can).
 *
 * A driver reports what is dirty through iommu_dirty_bitmap_record(), an
 * inline compiled into the driver that feeds two sinks: the iova_bitmap
 * of CONFIG_IOMMUFD_DRIVER, and an IOTLB gather. Debian's kernel has no
 * IOMMUFD_DRIVER, so there its drivers' copy of iova_bitmap_set() is an
 * empty stub; only the gather always works. So we never hand the driver
 * a bitmap: we ask it about small windows of IOVA, one gather each, and
 * the span the gather collected is what was dirty in the window. Windows
 * follow the driver's own steps (a dirty huge page covers the bits of the
 * whole page, past the window), so the bits are the ones upstream sets,
 * and we write them into the user's u64 words ourselves.
 *
 * Cost: each run of 64 windows is first probed as one read that clears
 * nothing; a clean run costs that one read.
 */
#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/uaccess.h>

#include "ifd.h"

/* Windows probed at once before reading them one by one. */
#define IFD_DIRTY_PROBE_WINDOWS	64

/* One GET_DIRTY_BITMAP: the user's bitmap and the word being built. */
struct ifd_dirty_walk {
	struct iommu_domain *domain;
	unsigned long flags;		/* IOMMU_DIRTY_NO_CLEAR or 0 */
	unsigned long base;		/* IOVA of bit 0 */
	unsigned long last;		/* last IOVA byte the bitmap covers */
	unsigned int pgshift;		/* one bit per 1 << pgshift bytes */
	unsigned long window;		/* bytes asked per read, power of 2 */
	u64 __user *data;
	unsigned long word_idx;		/* the word @word goes to */
	u64 word;			/* bits to OR into it, 0: none */
	bool broken;			/* the bitmap cannot be written */
	struct iommu_iotlb_gather flush; /* what reads cleared */
};

/* OR the pending bits into the user's word. */
static void ifd_dirty_flush_word(struct ifd_dirty_walk *w)
{
	u64 __user *p = w->data + w->word_idx;
	u64 old;

	if (!w->word || w->broken)
		return;
	/* as upstream, a bitmap that cannot be written loses bits silently */
	if (get_user(old, p) || put_user(old | w->word, p))
		w->broken = true;
	w->word = 0;
}

/* Dirty IOVA bytes [first, last]: set their bits, clipped to the bitmap. */
static void ifd_dirty_mark(struct ifd_dirty_walk *w, unsigned long first,
			   unsigned long last)
{
	unsigned long bit, last_bit, idx;

	first = max(first, w->base);
	last = min(last, w->last);
	if (first > last)
		return;
	bit = (first - w->base) >> w->pgshift;
	last_bit = (last - w->base) >> w->pgshift;
	for (; bit <= last_bit; bit++) {
		idx = bit / 64;
		if (idx != w->word_idx) {
			ifd_dirty_flush_word(w);
			w->word_idx = idx;
		}
		w->word |= BIT_ULL(bit % 64);
	}
}

/*
 * Ask the driver about [first, last]; @g gets the span it reported dirty
 * (empty: start > end).
 */
static int ifd_dirty_read(struct iommu_domain *domain, unsigned long first,
			  unsigned long last, unsigned long flags,
			  struct iommu_iotlb_gather *g)
{
	struct iommu_dirty_bitmap dirty;

	iommu_iotlb_gather_init(g);
	iommu_dirty_bitmap_init(&dirty, NULL, g);
	return domain->dirty_ops->read_and_clear_dirty(domain, first,
						       last - first + 1, flags,
						       &dirty);
}

static bool ifd_gather_empty(const struct iommu_iotlb_gather *g)
{
	return g->start > g->end;
}

/*
 * Read windows [first, last] (inside one run of areas) one by one and
 * mark what they report. Returns the IOVA after the last one read, which
 * a dirty huge page may put past @last; 0 when that wraps.
 */
static unsigned long ifd_dirty_windows(struct ifd_dirty_walk *w,
				       unsigned long first,
				       unsigned long last, int *ret)
{
	struct iommu_iotlb_gather g;
	unsigned long cur = first, end;

	while (cur <= last) {
		end = min(last, cur | (w->window - 1));
		*ret = ifd_dirty_read(w->domain, cur, end, w->flags, &g);
		if (*ret)
			return 0;
		if (!ifd_gather_empty(&g)) {
			ifd_dirty_mark(w, g.start, g.end);
			if (!(w->flags & IOMMU_DIRTY_NO_CLEAR))
				iommu_iotlb_gather_add_range(&w->flush, g.start,
							     g.end - g.start + 1);
			end = max(end, g.end);
		}
		if (end == ULONG_MAX)
			return 0;
		cur = end + 1;
	}
	return cur;
}

/* The IOVA range [first, last], all inside areas of the IOAS. */
static int ifd_dirty_run(struct ifd_dirty_walk *w, unsigned long first,
			 unsigned long last)
{
	unsigned long cur = first, probe_last, span;
	struct iommu_iotlb_gather g;
	int ret = 0;

	span = w->window * IFD_DIRTY_PROBE_WINDOWS;
	while (cur <= last) {
		probe_last = min(last, cur | (span - 1));
		ret = ifd_dirty_read(w->domain, cur, probe_last,
				     IOMMU_DIRTY_NO_CLEAR, &g);
		if (ret)
			return ret;
		if (!ifd_gather_empty(&g))
			/* start where the driver saw the first dirty page */
			cur = ifd_dirty_windows(w, max(cur, g.start &
						       ~(w->window - 1)),
						probe_last, &ret);
		else if (probe_last == ULONG_MAX)
			cur = 0;
		else
			cur = probe_last + 1;
		if (ret || !cur)
			return ret;
	}
	return 0;
}

/*
 * IOMMU_HWPT_SET_DIRTY_TRACKING (flags checked by the table): -ENOENT for
 * anything but a HWPT_PAGING, -EOPNOTSUPP for a domain without dirty ops.
 * Enabling first clears what the PTEs hold, so the first bitmap read
 * shows only what was written after. As upstream, __reserved is not
 * looked at.
 */
int ifd_hwpt_set_dirty_tracking(struct ifd_ucmd *uc)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = uc->cmd;
	bool enable = cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	const struct iommu_dirty_ops *ops;
	struct iommu_iotlb_gather g, flush;
	struct iommu_domain *domain;
	struct ifd_area *area;
	struct ifd_hwpt *hwpt;
	struct ifd_iova *iova;
	struct ifd_obj *obj;
	int ret = 0;

	obj = ifd_obj_get(uc->ctx, cmd->hwpt_id, IFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	hwpt = container_of(obj, struct ifd_hwpt, obj);
	domain = hwpt->domain;
	ops = domain->dirty_ops;
	if (!ops) {
		ret = -EOPNOTSUPP;
		goto out_put;
	}

	iova = &hwpt->ioas->iova;
	down_read(&iova->rwsem);
	if (enable) {
		iommu_iotlb_gather_init(&flush);
		for (area = ifd_iova_area_at(iova, 0, ULONG_MAX); area;
		     area = ifd_iova_area_next(area)) {
			ret = ifd_dirty_read(domain, area->node.start,
					     area->node.last, 0, &g);
			if (!ifd_gather_empty(&g))
				iommu_iotlb_gather_add_range(&flush, g.start,
							     g.end - g.start + 1);
			if (ret)
				break;
		}
		iommu_iotlb_sync(domain, &flush);
		if (ret)
			goto out_unlock;
	}
	ret = ops->set_dirty_tracking(domain, enable);
	if (!ret)
		WRITE_ONCE(hwpt->dirty_enabled, enable);
out_unlock:
	up_read(&iova->rwsem);
out_put:
	ifd_obj_put(uc->ctx, obj);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_hwpt_set_dirty_tracking);

/*
 * The range checks of GET_DIRTY_BITMAP, upstream's order and errnos:
 * length 0 -EINVAL, wrapping -EOVERFLOW, start or end off the IOAS's
 * IOVA alignment -EINVAL, page_size 0 or start/end off it -EINVAL.
 */
static int ifd_dirty_check_range(struct ifd_iova *iova,
				 const struct iommu_hwpt_get_dirty_bitmap *cmd)
{
	unsigned long align = iova->alignment;
	u64 last;

	if (!cmd->length)
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	if (cmd->iova > ULONG_MAX || last > ULONG_MAX)
		return -EOVERFLOW;
	if ((cmd->iova & (align - 1)) || ((last + 1) & (align - 1)))
		return -EINVAL;
	if (!cmd->page_size)
		return -EINVAL;
	if ((cmd->iova & (cmd->page_size - 1)) ||
	    ((last + 1) & (cmd->page_size - 1)))
		return -EINVAL;
	return 0;
}

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP: set a bit in the user's bitmap for each
 * page_size unit of [iova, iova + length) the IOMMU saw written (bits
 * already set stay set), and clear the IOMMU's record of it unless
 * NO_CLEAR. Errors, in upstream's order: __reserved -EOPNOTSUPP (flags:
 * the table), not a HWPT_PAGING -ENOENT, the range checks, no dirty ops
 * -EOPNOTSUPP. After those upstream answers 0 whatever happens: a range
 * that leaves the IOAS's areas is walked up to the gap, a bitmap that
 * cannot be written or a driver error ends the walk quietly. So do we.
 */
int ifd_hwpt_get_dirty_bitmap(struct ifd_ucmd *uc)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = uc->cmd;
	struct ifd_dirty_walk w = {};
	unsigned long cur, last;
	struct ifd_area *area;
	struct ifd_hwpt *hwpt;
	struct ifd_iova *iova;
	struct ifd_obj *obj;
	int ret;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	obj = ifd_obj_get(uc->ctx, cmd->hwpt_id, IFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	hwpt = container_of(obj, struct ifd_hwpt, obj);
	iova = &hwpt->ioas->iova;

	down_read(&iova->rwsem);
	ret = ifd_dirty_check_range(iova, cmd);
	if (ret)
		goto out_unlock;
	if (!hwpt->domain->dirty_ops) {
		ret = -EOPNOTSUPP;
		goto out_unlock;
	}
	/* drivers report nothing while tracking is off (upstream too) */
	if (!READ_ONCE(hwpt->dirty_enabled))
		goto out_unlock;

	w.domain = hwpt->domain;
	w.flags = cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR ?
		  IOMMU_DIRTY_NO_CLEAR : 0;
	w.base = cmd->iova;
	w.last = cmd->iova + cmd->length - 1;
	w.pgshift = __ffs(cmd->page_size);
	/* a window is one bit, or one smallest IOMMU page if that is more */
	w.window = max(1UL << w.pgshift,
		       1UL << __ffs(hwpt->domain->pgsize_bitmap));
	w.data = u64_to_user_ptr(cmd->data);
	iommu_iotlb_gather_init(&w.flush);

	/* the areas that follow each other without a gap from iova on */
	for (cur = w.base; cur <= w.last; cur = last + 1) {
		area = ifd_iova_area_at(iova, cur, cur);
		if (!area)
			break;
		last = min(area->node.last, w.last);
		if (ifd_dirty_run(&w, cur, last) || last == w.last)
			break;
	}
	ifd_dirty_flush_word(&w);
	if (!(w.flags & IOMMU_DIRTY_NO_CLEAR))
		iommu_iotlb_sync(w.domain, &w.flush);

out_unlock:
	up_read(&iova->rwsem);
	ifd_obj_put(uc->ctx, obj);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_hwpt_get_dirty_bitmap);
