// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOVA space of one IOAS: areas (what MAP/COPY put there), allowed
 * ranges (ALLOW_IOVAS: where the kernel may choose an IOVA) and reserved
 * ranges (device windows, domain apertures), all inclusive [start, last]
 * interval trees under ifd_iova.rwsem; the accesses attached to the IOAS.
 *
 * Areas never overlap and are only removed whole: UNMAP may not cut one
 * (only the VFIO type1 v1 compat cuts them, with huge pages off). An
 * area some access has pinned pages of is removed only once the accesses
 * let go: UNMAP asks them through their unmap callback.
 */
#include <kunit/visibility.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "ifd.h"

void ifd_iova_init(struct ifd_iova *iova)
{
	init_rwsem(&iova->rwsem);
	iova->areas = RB_ROOT_CACHED;
	iova->allowed = RB_ROOT_CACHED;
	iova->reserved = RB_ROOT_CACHED;
	xa_init_flags(&iova->domains, XA_FLAGS_ALLOC);
	xa_init_flags(&iova->accesses, XA_FLAGS_ALLOC);
	/* software-only until a domain joins: any byte alignment works */
	iova->alignment = 1;
	iova->domain_align = 1;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_init);

static struct ifd_area *ifd_area_at(struct ifd_iova *iova,
				    unsigned long first, unsigned long last)
{
	struct interval_tree_node *n;

	n = interval_tree_iter_first(&iova->areas, first, last);
	return n ? container_of(n, struct ifd_area, node) : NULL;
}

/* The first area meeting [first, last]; iova.rwsem held. */
struct ifd_area *ifd_iova_area_at(struct ifd_iova *iova, unsigned long first,
				  unsigned long last)
{
	lockdep_assert_held(&iova->rwsem);
	return ifd_area_at(iova, first, last);
}

/* The area after @area in IOVA order, or NULL; iova.rwsem held. */
struct ifd_area *ifd_iova_area_next(struct ifd_area *area)
{
	struct interval_tree_node *n;

	n = interval_tree_iter_next(&area->node, 0, ULONG_MAX);
	return n ? container_of(n, struct ifd_area, node) : NULL;
}

static unsigned long ifd_area_len(const struct ifd_area *area)
{
	return area->node.last - area->node.start + 1;
}

/* Map the (pinned) area into @domain at its IOVA; all or nothing. */
static int ifd_area_fill(struct ifd_iova *iova, struct ifd_area *area,
			 struct iommu_domain *domain, struct pinrun_batch *b)
{
	return ifd_pages_fill(area->pages, domain, area->node.start,
			      area->start_byte >> PAGE_SHIFT,
			      ifd_area_len(area) >> PAGE_SHIFT, area->prot,
			      iova->no_huge, b);
}

/*
 * A new area of an IOAS with domains: pin it and map it into each. All or
 * nothing: -EFAULT/-ENOMEM from pinning, the driver's errno from a map.
 */
static int ifd_area_fill_all(struct ifd_iova *iova, struct ifd_area *area,
			     struct pinrun_batch *b)
{
	struct iommu_domain *domain, *undo;
	unsigned long idx, uidx;
	int ret;

	lockdep_assert_held_write(&iova->rwsem);
	if (xa_empty(&iova->domains))
		return 0;
	ret = ifd_pages_pin(area->pages);
	if (ret)
		return ret;
	xa_for_each(&iova->domains, idx, domain) {
		ret = ifd_area_fill(iova, area, domain, b);
		if (ret)
			goto err_unfill;
	}
	area->filled = true;
	return 0;

err_unfill:
	xa_for_each(&iova->domains, uidx, undo) {
		if (uidx == idx)
			break;
		ifd_pages_unfill(undo, area->node.start, ifd_area_len(area));
	}
	ifd_pages_unpin(area->pages);
	return ret;
}

/*
 * Out of every domain (IOTLBs flushed) before the pin goes: no device may
 * reach a page once it is unpinned.
 */
static void ifd_area_unfill_all(struct ifd_iova *iova, struct ifd_area *area)
{
	struct iommu_domain *domain;
	unsigned long idx;

	if (!area->filled)
		return;
	xa_for_each(&iova->domains, idx, domain)
		ifd_pages_unfill(domain, area->node.start, ifd_area_len(area));
	ifd_pages_unpin(area->pages);
	area->filled = false;
}

static void ifd_area_free(struct ifd_iova *iova, struct ifd_area *area)
{
	/* only a driver that never unpinned leaves pins at destroy time */
	ifd_area_access_release_all(area);
	ifd_area_unfill_all(iova, area);
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
	/* every HWPT took its domain out before its IOAS reference went */
	WARN_ON_ONCE(!xa_empty(&iova->domains));
	xa_destroy(&iova->domains);
	/* and every access left before its reference went */
	WARN_ON_ONCE(!xa_empty(&iova->accesses));
	xa_destroy(&iova->accesses);
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

/* Pin and map just inserted areas into the domains, if any; all or none. */
static int ifd_iova_fill_new(struct ifd_iova *iova, struct ifd_area **areas,
			     unsigned int nr)
{
	struct pinrun_batch b;
	unsigned int i;
	int ret = 0;

	if (xa_empty(&iova->domains))
		return 0;
	pinrun_batch_init(&b);
	for (i = 0; i < nr && !ret; i++)
		ret = ifd_area_fill_all(iova, areas[i], &b);
	pinrun_batch_fini(&b);
	/* the failed area cleaned up after itself; ifd_area_free() skips it */
	return ret;
}

/*
 * Place @nr slices back to back as new areas, @length bytes in total, at
 * *@start (@fixed) or at a kernel-chosen IOVA returned in *@start. All
 * checks come first: on error no area was added. With domains on the IOAS
 * the new areas are pinned and mapped into each (errors: pinning's
 * -EFAULT/-ENOMEM, the IOMMU driver's). On success each slice's pages
 * reference moved to its area (slice->pages is NULL); on failure it may
 * have been dropped already (slice->pages NULL too).
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
		interval_tree_insert(&area->node, &iova->areas);
		cur += sl[i].length;
	}
	ret = ifd_iova_fill_new(iova, areas, nr);
	if (ret) {
		/* the areas own the slices' references now: freed with them */
		for (i = 0; i < nr; i++)
			ifd_area_free(iova, areas[i]);
	}
	memset(areas, 0, nr * sizeof(*areas));
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

/* Rounds of asking the accesses to unpin one area, after the first. */
#define IFD_UNMAP_TRIES		100

/*
 * Tell every access attached to the IOAS that [start, start + length)
 * goes away: each unpins what it holds there. No ifd lock is held, as
 * the drivers unpin from the callback; an access being destroyed is
 * skipped (its destroy waits for callbacks still running).
 */
static void ifd_iova_notify_unmap(struct ifd_iova *iova, unsigned long start,
				  unsigned long length)
{
	struct iommufd_access *access;
	unsigned long idx;

	xa_lock(&iova->accesses);
	xa_for_each(&iova->accesses, idx, access) {
		if (!access->ops->unmap || !ifd_obj_lock(&access->obj))
			continue;
		xa_unlock(&iova->accesses);
		access->ops->unmap(access->data, start, length);
		ifd_obj_put(access->ctx, &access->obj);
		xa_lock(&iova->accesses);
	}
	xa_unlock(&iova->accesses);
}

/*
 * Remove the areas inside [first, last]. -ENOENT when one sticks out: the
 * areas before it are gone already, as upstream. An area accesses have
 * pinned is first closed to new access use and the accesses are asked to
 * unpin, up to IFD_UNMAP_TRIES times: -EDEADLOCK if they never do (the
 * area stays, closed). *@unmapped: bytes removed, set on success and on
 * error.
 */
int ifd_iova_unmap(struct ifd_iova *iova, unsigned long first,
		   unsigned long last, unsigned long *unmapped)
{
	unsigned long done = 0, stuck = 0, len;
	unsigned int tries = 0;
	struct ifd_area *area;
	int ret = 0;

again:
	down_write(&iova->rwsem);
	while ((area = ifd_area_at(iova, first, last))) {
		unsigned long a_last = area->node.last;

		if (area->node.start < first || a_last > last) {
			ret = -ENOENT;
			break;
		}
		if (area->num_accesses) {
			if (area->node.start != stuck)
				tries = 0;
			stuck = area->node.start;
			len = ifd_area_len(area);
			area->prevent_access = true;
			up_write(&iova->rwsem);
			ifd_iova_notify_unmap(iova, stuck, len);
			if (++tries > IFD_UNMAP_TRIES) {
				ret = -EDEADLOCK;
				goto out;
			}
			first = stuck;
			goto again;
		}
		done += a_last - area->node.start + 1;
		ifd_area_free(iova, area);
		if (a_last >= last)
			break;
		first = a_last + 1;
	}
	up_write(&iova->rwsem);
out:
	*unmapped = done;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_unmap);

/*
 * Make @last the last byte of an area, splitting the area holding it in
 * two (VFIO type1 v1 unmaps inside mappings). The halves share the pages
 * (a kref and, when filled, a pin each); the domains keep their entries,
 * which are PAGE_SIZE ones since huge pages are off. Errors as upstream:
 * -EBUSY while an UNMAP waits for accesses, -EINVAL for a cut off the
 * IOVA alignment, inside access pins or with huge pages possible.
 */
int ifd_iova_cut(struct ifd_iova *iova, unsigned long last)
{
	struct ifd_area *area, *rhs;
	unsigned long mask, off;
	int ret = 0;

	rhs = kzalloc(sizeof(*rhs), GFP_KERNEL_ACCOUNT);
	if (!rhs)
		return -ENOMEM;
	down_write(&iova->rwsem);
	area = ifd_area_at(iova, last, last);
	if (!area || area->node.last == last || area->node.start == last)
		goto out_unlock;
	if (area->prevent_access) {
		ret = -EBUSY;
		goto out_unlock;
	}
	mask = iova->alignment - 1;
	off = last + 1 - area->node.start;
	if (((last + 1) & mask) || ((area->start_byte + off) & mask) ||
	    area->num_accesses || (area->filled && !iova->no_huge)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (area->filled) {
		ret = ifd_pages_pin(area->pages);
		if (ret)
			goto out_unlock;
	}
	kref_get(&area->pages->kref);
	rhs->pages = area->pages;
	rhs->start_byte = area->start_byte + off;
	rhs->prot = area->prot;
	rhs->filled = area->filled;
	rhs->node.start = last + 1;
	rhs->node.last = area->node.last;
	interval_tree_remove(&area->node, &iova->areas);
	area->node.last = last;
	interval_tree_insert(&area->node, &iova->areas);
	interval_tree_insert(&rhs->node, &iova->areas);
	rhs = NULL;
out_unlock:
	up_write(&iova->rwsem);
	kfree(rhs);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_cut);

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
 * maps page by page), the smallest page of each domain, the alignment of
 * each access. Raising it fails with -EADDRINUSE while an area would
 * become misaligned; lowering it never fails.
 */
static int ifd_iova_realign(struct ifd_iova *iova)
{
	unsigned long align = max(iova->no_huge ? PAGE_SIZE : 1UL,
				  iova->domain_align);
	struct iommufd_access *access;
	struct interval_tree_node *n;
	struct ifd_area *area;
	unsigned long mask, idx;

	lockdep_assert_held_write(&iova->rwsem);
	xa_for_each(&iova->accesses, idx, access)
		align = max(align, access->iova_alignment);
	mask = align - 1;
	if (align > iova->alignment) {
		for (n = interval_tree_iter_first(&iova->areas, 0, ULONG_MAX); n;
		     n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
			area = container_of(n, struct ifd_area, node);
			if ((area->node.start & mask) ||
			    (ifd_area_len(area) & mask) ||
			    ((area->start_byte % PAGE_SIZE) & mask))
				return -EADDRINUSE;
		}
	}
	iova->alignment = align;
	return 0;
}

/*
 * IOMMU_OPTION_HUGE_PAGES for this IOAS. Turning huge pages off is refused
 * (-EINVAL) once areas sit in domains: they may be mapped large already.
 */
int ifd_iova_set_huge(struct ifd_iova *iova, bool huge)
{
	bool old;
	int ret;

	down_write(&iova->rwsem);
	old = iova->no_huge;
	if (!huge && !old && !xa_empty(&iova->domains) &&
	    !RB_EMPTY_ROOT(&iova->areas.rb_root)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	iova->no_huge = !huge;
	ret = ifd_iova_realign(iova);
	if (ret)
		iova->no_huge = old;
out_unlock:
	up_write(&iova->rwsem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_set_huge);

/*
 * Reserve [start, last] for @owner: -EADDRINUSE over an area or an
 * allowed range (the caller asked for that IOVA explicitly).
 */
static int ifd_iova_reserve(struct ifd_iova *iova, unsigned long start,
			    unsigned long last, const void *owner)
{
	struct ifd_span *span;

	if (ifd_area_at(iova, start, last) ||
	    interval_tree_iter_first(&iova->allowed, start, last))
		return -EADDRINUSE;
	span = kzalloc(sizeof(*span), GFP_KERNEL_ACCOUNT);
	if (!span)
		return -ENOMEM;
	span->node.start = start;
	span->node.last = last;
	span->owner = owner;
	interval_tree_insert(&span->node, &iova->reserved);
	return 0;
}

static void ifd_iova_unreserve(struct ifd_iova *iova, const void *owner)
{
	lockdep_assert_held_write(&iova->rwsem);
	struct interval_tree_node *n, *next;

	for (n = interval_tree_iter_first(&iova->reserved, 0, ULONG_MAX); n;
	     n = next) {
		struct ifd_span *span = container_of(n, struct ifd_span, node);

		next = interval_tree_iter_next(n, 0, ULONG_MAX);
		if (span->owner != owner)
			continue;
		interval_tree_remove(n, &iova->reserved);
		kfree(span);
	}
}

static unsigned long ifd_domain_min_page(const struct iommu_domain *domain)
{
	return 1UL << __ffs(domain->pgsize_bitmap);
}

/*
 * A HWPT joins the IOAS: everything mapped so far goes into @domain,
 * pinned first if it is the IOAS's first domain, and from now on every
 * MAP/COPY fills it too. The IOVA outside the domain's aperture becomes
 * reserved. Errors, with nothing changed: -EINVAL for a domain that cannot
 * map PAGE_SIZE pages, -EADDRINUSE when an area is misaligned for it or
 * lies (or an allowed range does) outside its aperture, pinning's
 * -EFAULT/-ENOMEM, the IOMMU driver's errno.
 */
int ifd_iova_add_domain(struct ifd_iova *iova, struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	unsigned long old_align, page = ifd_domain_min_page(domain);
	struct interval_tree_node *n, *stop;
	struct pinrun_batch b;
	struct ifd_area *area;
	bool first;
	u32 id;
	int ret;

	if (!domain->pgsize_bitmap || page > PAGE_SIZE)
		return -EINVAL;

	down_write(&iova->rwsem);
	old_align = iova->domain_align;
	iova->domain_align = max(old_align, page);
	ret = ifd_iova_realign(iova);
	if (ret)
		goto err_align;

	if (geo->aperture_start)
		ret = ifd_iova_reserve(iova, 0, geo->aperture_start - 1,
				       domain);
	if (!ret && geo->aperture_end != ULONG_MAX)
		ret = ifd_iova_reserve(iova, geo->aperture_end + 1, ULONG_MAX,
				       domain);
	if (ret)
		goto err_unreserve;

	first = xa_empty(&iova->domains);
	ret = xa_alloc(&iova->domains, &id, domain, xa_limit_32b,
		       GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_unreserve;

	/*
	 * An empty IOAS (a device attached before any MAP, as at every
	 * cdev open) has nothing to fill: no batch pages to allocate.
	 */
	n = interval_tree_iter_first(&iova->areas, 0, ULONG_MAX);
	if (!n)
		goto out_unlock;
	pinrun_batch_init(&b);
	for (; n; n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
		area = container_of(n, struct ifd_area, node);
		if (first) {
			ret = ifd_pages_pin(area->pages);
			if (ret)
				break;
		}
		ret = ifd_area_fill(iova, area, domain, &b);
		if (ret) {
			if (first)
				ifd_pages_unpin(area->pages);
			break;
		}
		area->filled = true;
		cond_resched();
	}
	pinrun_batch_fini(&b);
	if (ret)
		goto err_unfill;
out_unlock:
	up_write(&iova->rwsem);
	return 0;

err_unfill:
	/* the failed area cleaned up after itself: undo those before it */
	stop = n;
	for (n = interval_tree_iter_first(&iova->areas, 0, ULONG_MAX);
	     n != stop; n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
		area = container_of(n, struct ifd_area, node);
		ifd_pages_unfill(domain, area->node.start, ifd_area_len(area));
		if (first) {
			ifd_pages_unpin(area->pages);
			area->filled = false;
		}
	}
	xa_erase(&iova->domains, id);
err_unreserve:
	ifd_iova_unreserve(iova, domain);
err_align:
	iova->domain_align = old_align;
	ifd_iova_realign(iova);
	up_write(&iova->rwsem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_add_domain);

/*
 * The HWPT leaves: every area is unmapped from @domain (IOTLB flushed);
 * when it was the last domain the pages are unpinned too, and the IOVA
 * alignment may drop back.
 */
void ifd_iova_remove_domain(struct ifd_iova *iova,
			    struct iommu_domain *domain)
{
	struct iommu_domain *d, *found = NULL;
	struct interval_tree_node *n;
	unsigned long idx, align = 1;
	struct ifd_area *area;
	bool last;

	down_write(&iova->rwsem);
	xa_for_each(&iova->domains, idx, d) {
		if (d == domain) {
			found = xa_erase(&iova->domains, idx);
			break;
		}
	}
	if (WARN_ON_ONCE(!found))
		goto out_unlock;
	last = xa_empty(&iova->domains);

	for (n = interval_tree_iter_first(&iova->areas, 0, ULONG_MAX); n;
	     n = interval_tree_iter_next(n, 0, ULONG_MAX)) {
		area = container_of(n, struct ifd_area, node);
		if (!area->filled)
			continue;
		ifd_pages_unfill(domain, area->node.start, ifd_area_len(area));
		if (last) {
			ifd_pages_unpin(area->pages);
			area->filled = false;
		}
		cond_resched();
	}
	ifd_iova_unreserve(iova, domain);

	xa_for_each(&iova->domains, idx, d)
		align = max(align, ifd_domain_min_page(d));
	iova->domain_align = align;
	ifd_iova_realign(iova);
out_unlock:
	up_write(&iova->rwsem);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_remove_domain);

/*
 * Reserve the IOMMU reserved regions of @dev (MSI windows, RMRRs, ...)
 * for @owner: no area may ever sit there. Relaxable direct-mapped regions
 * are left out, as upstream. *@sw_msi_start (may be NULL) gets the base
 * of a software-managed MSI window. All or nothing: -EADDRINUSE when an
 * area or an allowed range is in the way, -EINVAL for a driver reporting
 * both kinds of MSI windows or several software ones.
 */
int ifd_iova_add_resv(struct ifd_iova *iova, struct device *dev,
		      const void *owner, phys_addr_t *sw_msi_start)
{
	struct iommu_resv_region *r;
	unsigned int hw_msi = 0, sw_msi = 0;
	LIST_HEAD(regions);
	int ret = 0;

	down_write(&iova->rwsem);
	iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(r, &regions, list) {
		if (r->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		if (r->type == IOMMU_RESV_MSI)
			hw_msi++;
		if (r->type == IOMMU_RESV_SW_MSI) {
			sw_msi++;
			if (sw_msi_start)
				*sw_msi_start = r->start;
		}
		ret = ifd_iova_reserve(iova, r->start,
				       r->start + r->length - 1, owner);
		if (ret)
			break;
	}
	if (!ret && ((sw_msi && hw_msi) || sw_msi > 1))
		ret = -EINVAL;
	if (ret)
		ifd_iova_unreserve(iova, owner);
	iommu_put_resv_regions(dev, &regions);
	up_write(&iova->rwsem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_add_resv);

void ifd_iova_remove_resv(struct ifd_iova *iova, const void *owner)
{
	down_write(&iova->rwsem);
	ifd_iova_unreserve(iova, owner);
	up_write(&iova->rwsem);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_remove_resv);

/*
 * @access joins the IOAS: UNMAPs will ask it to unpin, and the IOVA
 * alignment rises to what it needs (-EADDRINUSE if an area is
 * misaligned for it, nothing changed then). *@id: its slot, for removal.
 */
int ifd_iova_add_access(struct ifd_iova *iova, struct iommufd_access *access,
			u32 *id)
{
	int ret;

	down_write(&iova->rwsem);
	ret = xa_alloc(&iova->accesses, id, access, xa_limit_16b,
		       GFP_KERNEL_ACCOUNT);
	if (!ret) {
		ret = ifd_iova_realign(iova);
		if (ret)
			xa_erase(&iova->accesses, *id);
	}
	up_write(&iova->rwsem);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_add_access);

void ifd_iova_remove_access(struct ifd_iova *iova, u32 id)
{
	down_write(&iova->rwsem);
	xa_erase(&iova->accesses, id);
	/* lowering the alignment cannot fail */
	ifd_iova_realign(iova);
	up_write(&iova->rwsem);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_iova_remove_access);
