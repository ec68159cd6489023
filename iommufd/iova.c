// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOVA space of one IOAS: areas (what MAP/COPY put there), allowed
 * ranges (ALLOW_IOVAS: where the kernel may choose an IOVA) and reserved
 * ranges (device windows, added by the device slice), all inclusive
 * [start, last] interval trees under ifd_iova.rwsem.
 *
 * Areas never overlap and are only removed whole: UNMAP may not cut one.
 */
#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "ifd.h"

void ifd_iova_init(struct ifd_iova *iova)
{
	init_rwsem(&iova->rwsem);
	iova->areas = RB_ROOT_CACHED;
	iova->allowed = RB_ROOT_CACHED;
	iova->reserved = RB_ROOT_CACHED;
	/* software-only until a domain joins: any byte alignment works */
	iova->alignment = 1;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_init);

static struct ifd_area *ifd_area_at(struct ifd_iova *iova,
				    unsigned long first, unsigned long last)
{
	struct interval_tree_node *n;

	n = interval_tree_iter_first(&iova->areas, first, last);
	return n ? container_of(n, struct ifd_area, node) : NULL;
}

static void ifd_area_free(struct ifd_iova *iova, struct ifd_area *area)
{
	interval_tree_remove(&area->node, &iova->areas);
	ifd_pages_put(area->pages);
	kfree(area);
}

void ifd_iova_free_spans(struct rb_root_cached *root)
{
	struct interval_tree_node *n;

	while ((n = interval_tree_iter_first(root, 0, ULONG_MAX))) {
		interval_tree_remove(n, root);
		kfree(container_of(n, struct ifd_span, node));
	}
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_free_spans);

/* The IOAS is unreachable: nobody else holds the lock any more. */
void ifd_iova_destroy(struct ifd_iova *iova)
{
	struct ifd_area *area;

	while ((area = ifd_area_at(iova, 0, ULONG_MAX)))
		ifd_area_free(iova, area);
	ifd_iova_free_spans(&iova->allowed);
	ifd_iova_free_spans(&iova->reserved);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_destroy);

/*
 * Candidate IOVA in [*start, last] for @length bytes: *start rounded up to
 * @align with the user VA's page offset @off kept, so that the area can
 * later be mapped with pages as large as the VA allows. The strict
 * "< last" makes a one-byte tail unusable, as upstream.
 */
static bool ifd_fit(unsigned long *start, unsigned long last,
		    unsigned long length, unsigned long align,
		    unsigned long off)
{
	unsigned long s;

	if (check_add_overflow(*start, align - 1, &s))
		return false;
	s = (s & ~(align - 1)) | off;
	if (s >= last || last - s < length - 1)
		return false;
	*start = s;
	return true;
}

/* The lowest-starting node of the two trees that meets [first, last]. */
static struct interval_tree_node *ifd_busy_first(struct ifd_iova *iova,
						 unsigned long first,
						 unsigned long last)
{
	struct interval_tree_node *a, *r;

	a = interval_tree_iter_first(&iova->areas, first, last);
	r = interval_tree_iter_first(&iova->reserved, first, last);
	if (!a || (r && r->start < a->start))
		return r;
	return a;
}

/* First fit among the gaps between areas and reserved ranges. */
static bool ifd_fit_gap(struct ifd_iova *iova, unsigned long *start,
			unsigned long last, unsigned long length,
			unsigned long align, unsigned long off)
{
	unsigned long pos = *start;
	struct interval_tree_node *n;

	for (;;) {
		n = ifd_busy_first(iova, pos, last);
		if (!n) {
			*start = pos;
			return ifd_fit(start, last, length, align, off);
		}
		if (n->start > pos) {
			*start = pos;
			if (ifd_fit(start, n->start - 1, length, align, off))
				return true;
		}
		if (n->last >= last)
			return false;
		pos = n->last + 1;
	}
}

/* Allowed windows of the allocator: merged ALLOW_IOVAS ranges (or all). */
static bool ifd_next_allowed(struct ifd_iova *iova, unsigned long *first,
			     unsigned long *last)
{
	const unsigned long lo = PAGE_SIZE, hi = ULONG_MAX - PAGE_SIZE;
	struct interval_tree_node *n;

	if (RB_EMPTY_ROOT(&iova->allowed.rb_root)) {
		if (*first > lo)
			return false;
		*first = lo;
		*last = hi;
		return true;
	}
	n = interval_tree_iter_first(&iova->allowed, max(*first, lo), hi);
	if (!n)
		return false;
	*first = max(n->start, max(*first, lo));
	*last = n->last;
	/* adjacent ranges form one window */
	while (*last < hi &&
	       (n = interval_tree_iter_first(&iova->allowed, *last + 1,
					     *last + 1)))
		*last = n->last;
	*last = min(*last, hi);
	return true;
}

static unsigned long ifd_max_align(void)
{
	/* no point aligning beyond what a huge page mapping can use */
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		return HPAGE_SIZE;
	return PAGE_SIZE;
}

/*
 * Kernel-chosen IOVA for @length bytes at user address @uptr: aligned as
 * much as the length and the VA allow (capped), page offset kept.
 */
static int ifd_iova_alloc(struct ifd_iova *iova, unsigned long uptr,
			  unsigned long length, unsigned long *out)
{
	unsigned long off = uptr % PAGE_SIZE;
	unsigned long align, first = 0, last;

	if (!length || length >= ULONG_MAX / 2)
		return -EOVERFLOW;
	align = roundup_pow_of_two(length);
	if (uptr)
		align = min(align, 1UL << __ffs(uptr));
	align = min(align, ifd_max_align());
	if (align < iova->alignment)
		return -EINVAL;

	while (ifd_next_allowed(iova, &first, &last)) {
		unsigned long s = first;

		if (ifd_fit(&s, last, length, align, off) &&
		    ifd_fit_gap(iova, &s, last, length, align, off)) {
			*out = s;
			return 0;
		}
		if (last == ULONG_MAX - PAGE_SIZE)
			break;
		first = last + 1;
	}
	return -ENOSPC;
}

/* A caller-chosen IOVA: aligned, not reserved, not mapped. */
static int ifd_iova_check(struct ifd_iova *iova, unsigned long start,
			  unsigned long length)
{
	unsigned long last;

	if (start & (iova->alignment - 1))
		return -EINVAL;
	if (check_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	if (interval_tree_iter_first(&iova->reserved, start, last))
		return -EINVAL;
	if (ifd_area_at(iova, start, last))
		return -EEXIST;
	return 0;
}

/*
 * Place @nr slices back to back as new areas, @length bytes in total, at
 * *@start (@fixed) or at a kernel-chosen IOVA returned in *@start. All
 * checks come first: on error no area was added. On success each slice's
 * pages reference moved to its area (slice->pages is NULL).
 */
int ifd_iova_insert(struct ifd_iova *iova, struct ifd_slice *sl,
		    unsigned int nr, unsigned long length, unsigned long *start,
		    bool fixed, int prot)
{
	struct ifd_area **areas;
	unsigned long cur, mask;
	unsigned int i;
	int ret;

	areas = kcalloc(nr, sizeof(*areas), GFP_KERNEL_ACCOUNT);
	if (!areas)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		areas[i] = kzalloc(sizeof(**areas), GFP_KERNEL_ACCOUNT);
		if (!areas[i]) {
			ret = -ENOMEM;
			goto out_free;
		}
	}

	down_write(&iova->rwsem);
	mask = iova->alignment - 1;
	if (!length || (length & mask)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (fixed)
		ret = ifd_iova_check(iova, *start, length);
	else
		ret = ifd_iova_alloc(iova, sl[0].pages->uva + sl[0].start_byte,
				     length, start);
	if (ret)
		goto out_unlock;
	for (i = 0; i < nr; i++) {
		if ((prot & IOMMU_WRITE) && !sl[i].pages->writable) {
			ret = -EPERM;
			goto out_unlock;
		}
		if ((sl[i].start_byte % PAGE_SIZE) & mask) {
			ret = -EINVAL;
			goto out_unlock;
		}
	}

	cur = *start;
	for (i = 0; i < nr; i++) {
		struct ifd_area *area = areas[i];

		area->node.start = cur;
		area->node.last = cur + sl[i].length - 1;
		area->pages = sl[i].pages;
		area->start_byte = sl[i].start_byte;
		area->prot = prot;
		sl[i].pages = NULL;
		areas[i] = NULL;
		interval_tree_insert(&area->node, &iova->areas);
		cur += sl[i].length;
	}
out_unlock:
	up_write(&iova->rwsem);
out_free:
	for (i = 0; i < nr; i++)
		kfree(areas[i]);
	kfree(areas);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_insert);

/*
 * The areas covering [start, start + length - 1] without a gap, as slices
 * (each with a pages reference) for COPY. -ENOENT if a byte is unmapped.
 */
int ifd_iova_collect(struct ifd_iova *iova, unsigned long start,
		     unsigned long length, struct ifd_slice **out,
		     unsigned int *nr)
{
	struct ifd_slice *sl = NULL;
	struct ifd_area *area;
	unsigned long last, cur;
	unsigned int n = 0, i;
	int ret = 0;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;

	down_read(&iova->rwsem);
	/* count first: the walk stops at the first hole */
	for (cur = start; (area = ifd_area_at(iova, cur, cur)); ) {
		n++;
		if (area->node.last >= last)
			break;
		cur = area->node.last + 1;
	}
	if (!area) {
		ret = -ENOENT;
		goto out_unlock;
	}
	sl = kcalloc(n, sizeof(*sl), GFP_KERNEL_ACCOUNT);
	if (!sl) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	for (cur = start, i = 0; i < n; i++) {
		area = ifd_area_at(iova, cur, cur);
		sl[i].start_byte = area->start_byte + (cur - area->node.start);
		sl[i].length = min(last, area->node.last) - cur + 1;
		sl[i].pages = area->pages;
		kref_get(&area->pages->kref);
		cur = area->node.last + 1;
	}
	*out = sl;
	*nr = n;
out_unlock:
	up_read(&iova->rwsem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_collect);

/*
 * Remove the areas inside [first, last]. -ENOENT when one sticks out: the
 * areas before it are gone already, as upstream. *@unmapped: bytes
 * removed, set on success and on error.
 */
int ifd_iova_unmap(struct ifd_iova *iova, unsigned long first,
		   unsigned long last, unsigned long *unmapped)
{
	struct ifd_area *area;
	unsigned long done = 0;
	int ret = 0;

	down_write(&iova->rwsem);
	while ((area = ifd_area_at(iova, first, last))) {
		unsigned long a_last = area->node.last;

		if (area->node.start < first || a_last > last) {
			ret = -ENOENT;
			break;
		}
		done += a_last - area->node.start + 1;
		/* later: unmap from domains, notify accesses */
		ifd_area_free(iova, area);
		if (a_last >= last)
			break;
		first = a_last + 1;
	}
	up_write(&iova->rwsem);
	*unmapped = done;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_unmap);

/*
 * Replace the allowed ranges by @set (the old ones are handed back in
 * @set). -EADDRINUSE if a new range meets a reserved one: nothing changes.
 */
int ifd_iova_set_allowed(struct ifd_iova *iova, struct rb_root_cached *set)
{
	struct interval_tree_node *n;

	down_write(&iova->rwsem);
	for (n = interval_tree_iter_first(set, 0, ULONG_MAX); n;
	     n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
		if (interval_tree_iter_first(&iova->reserved, n->start,
					     n->last)) {
			up_write(&iova->rwsem);
			return -EADDRINUSE;
		}
	}
	swap(*set, iova->allowed);
	up_write(&iova->rwsem);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_set_allowed);

/*
 * Alignment the IOAS needs: PAGE_SIZE without huge pages (the fill then
 * maps page by page), later also the smallest page of each domain and the
 * alignment of each access. Raising it fails with -EADDRINUSE while an
 * area would become misaligned.
 */
static int ifd_iova_realign(struct ifd_iova *iova)
{
	unsigned long align = iova->no_huge ? PAGE_SIZE : 1;
	unsigned long mask = align - 1;
	struct interval_tree_node *n;
	struct ifd_area *area;

	lockdep_assert_held_write(&iova->rwsem);
	if (align > iova->alignment) {
		for (n = interval_tree_iter_first(&iova->areas, 0, ULONG_MAX); n;
		     n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
			area = container_of(n, struct ifd_area, node);
			if ((area->node.start & mask) ||
			    ((area->node.last - area->node.start + 1) & mask) ||
			    ((area->start_byte % PAGE_SIZE) & mask))
				return -EADDRINUSE;
		}
	}
	iova->alignment = align;
	return 0;
}

/* IOMMU_OPTION_HUGE_PAGES for this IOAS. */
int ifd_iova_set_huge(struct ifd_iova *iova, bool huge)
{
	bool old;
	int ret;

	down_write(&iova->rwsem);
	old = iova->no_huge;
	iova->no_huge = !huge;
	ret = ifd_iova_realign(iova);
	if (ret)
		iova->no_huge = old;
	up_write(&iova->rwsem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_set_huge);
