// SPDX-License-Identifier: GPL-2.0-only
/*
 * The user memory behind one IOAS_MAP. Pinning is lazy, as upstream: with
 * no area in a domain (and no access) nothing is pinned or charged. The
 * first pin user pins the whole range into a run store with the shared
 * pin engine (pinrun/), charging it in the mode chosen at MAP time; every
 * area of it, in any IOAS, then maps into any number of domains from that
 * store: no GUP and no charge per domain or per COPY.
 *
 * Accesses (emulated devices) pin page ranges of an area: taken from the
 * store when it is pinned (consistent with what the domains map), else
 * pinned and charged on their own, just those pages, as upstream does.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "ifd.h"

/*
 * -EINVAL for an empty or huge @length (the IOMMU API takes size_t and the
 * page count must not overflow), -EOVERFLOW when the range wraps.
 */
struct ifd_pages *ifd_pages_new(struct iommufd_ctx *ctx, unsigned long uva,
				unsigned long length, bool writable)
{
	struct ifd_pages *pages;
	unsigned long end;

	if (!length || length > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(uva, length, &end))
		return ERR_PTR(-EOVERFLOW);

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	pinrun_store_init(&pages->runs);
	pages->uva = uva & PAGE_MASK;
	pages->npages = DIV_ROUND_UP(end - pages->uva, PAGE_SIZE);
	pages->writable = writable;
	if (capable(CAP_IPC_LOCK))
		pages->own.mode = IFD_ACCOUNT_NONE;
	else
		pages->own.mode = READ_ONCE(ctx->account_mode);
	/*
	 * Pins may come later from another context (an attach): keep what
	 * pinning and charging need. pinned_vm counts in every mode.
	 */
	mmgrab(current->mm);
	pages->own.mm = current->mm;
	pages->own.task = get_task_struct(current->group_leader);
	pages->own.user = get_uid(current_user());
	pages->own.pinned_vm = true;
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_new);

static void ifd_pages_release(struct kref *kref)
{
	struct ifd_pages *pages = container_of(kref, struct ifd_pages, kref);

	/* every area dropped its pin before its pages reference */
	WARN_ON_ONCE(pages->pin_users);
	free_uid(pages->own.user);
	put_task_struct(pages->own.task);
	mmdrop(pages->own.mm);
	mutex_destroy(&pages->mutex);
	kfree(pages);
}

void ifd_pages_put(struct ifd_pages *pages)
{
	kref_put(&pages->kref, ifd_pages_release);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_put);

/*
 * Pin all of @pages into its store and charge it; all or nothing. The
 * charge goes every PINRUN_ACCT_BATCH pages, and a batch that would
 * clearly exceed the limit stops the pinning before more piles up.
 */
static int ifd_pages_do_pin(struct ifd_pages *pages)
{
	long pending = 0, charged = 0, n, acct;
	struct pinrun_batch b;
	unsigned long done = 0;
	int ret = 0;

	pinrun_batch_init(&b);
	while (done < pages->npages) {
		unsigned long want = min(pages->npages - done,
					 (unsigned long)b.page_cap);

		cond_resched();
		/* VM_PFNMAP is refused, as upstream iommufd does (-EFAULT) */
		n = pinrun_pin_chunk(pages->own.mm,
				     pages->uva + (done << PAGE_SHIFT), want,
				     pages->writable, false, &pages->runs, &b,
				     &acct);
		if (n < 0) {
			ret = n;
			goto err_release;
		}
		done += n;
		pending += acct;
		if (pinrun_over_limit(&pages->own, pending)) {
			ret = -ENOMEM;
			goto err_release;
		}
		if (pending >= PINRUN_ACCT_BATCH) {
			ret = pinrun_account(&pages->own, pending);
			if (ret)
				goto err_release;
			charged += pending;
			pending = 0;
		}
	}
	ret = pinrun_account(&pages->own, pending);
	if (ret)
		goto err_release;
	pages->charged = charged + pending;
	pinrun_batch_fini(&b);
	return 0;

err_release:
	pinrun_release(&pages->runs, false);
	pinrun_account(&pages->own, -charged);
	pinrun_batch_fini(&b);
	return ret;
}

/*
 * One more user that needs the pages pinned (an area going into a
 * domain). The first one pins: -EFAULT for memory GUP refuses, -ENOMEM
 * above RLIMIT_MEMLOCK, and then nothing changed.
 */
int ifd_pages_pin(struct ifd_pages *pages)
{
	int ret = 0;

	mutex_lock(&pages->mutex);
	if (!pages->pin_users)
		ret = ifd_pages_do_pin(pages);
	if (!ret)
		pages->pin_users++;
	mutex_unlock(&pages->mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_pin);

static void ifd_pages_unpin_locked(struct ifd_pages *pages)
{
	lockdep_assert_held(&pages->mutex);
	if (!WARN_ON_ONCE(!pages->pin_users) && !--pages->pin_users) {
		pinrun_release(&pages->runs, pages->writable);
		pinrun_account(&pages->own, -pages->charged);
		pages->charged = 0;
	}
}

/*
 * Drop a pin user. The last one unpins and refunds: by then every domain
 * had the pages unmapped and its IOTLB flushed.
 */
void ifd_pages_unpin(struct ifd_pages *pages)
{
	mutex_lock(&pages->mutex);
	ifd_pages_unpin_locked(pages);
	mutex_unlock(&pages->mutex);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_unpin);

/* A fill pass maps into one domain. */
struct ifd_sink {
	struct pinrun_sink sink;
	struct iommu_domain *domain;
	int prot;
};

static int ifd_sink_map(struct pinrun_sink *sink, dma_addr_t iova, size_t len,
			struct scatterlist *sgl, unsigned int nents,
			phys_addr_t phys)
{
	struct ifd_sink *is = container_of(sink, struct ifd_sink, sink);

	return pinrun_domain_map(is->domain, iova, len, sgl, nents, phys,
				 is->prot);
}

/*
 * Map pages [@first_page, @first_page + @npages) of the pinned @pages at
 * @iova of @domain (@small: PAGE_SIZE IOMMU entries only, for
 * HUGE_PAGES=0). The caller holds a pin. @b: scratch space to reuse over
 * many fills, or NULL. All or nothing: -EINVAL if the window lies outside
 * the pages, the IOMMU driver's errno otherwise.
 */
int ifd_pages_fill(struct ifd_pages *pages, struct iommu_domain *domain,
		   unsigned long iova, unsigned long first_page,
		   unsigned long npages, int prot, bool small,
		   struct pinrun_batch *b)
{
	struct ifd_sink is = {
		.sink = { .map = ifd_sink_map, .small = small },
		.domain = domain,
		.prot = prot,
	};
	struct pinrun_batch own_batch;
	struct pinrun_cursor c;
	int ret;

	if (WARN_ON_ONCE(!READ_ONCE(pages->pin_users)))
		return -EINVAL;
	pinrun_cursor_init(&c, iova);
	ret = pinrun_cursor_seek(&c, &pages->runs, first_page, npages);
	if (ret)
		return ret;
	if (!b) {
		pinrun_batch_init(&own_batch);
		b = &own_batch;
	}
	ret = pinrun_flush(&pages->runs, &c, true, b, &is.sink);
	if (ret && c.mapped != iova)
		pinrun_domain_unmap(domain, iova, c.mapped - iova);
	if (b == &own_batch)
		pinrun_batch_fini(b);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_fill);

/* Take a filled range out of @domain; the IOTLB is flushed on return. */
void ifd_pages_unfill(struct iommu_domain *domain, unsigned long iova,
		      unsigned long length)
{
	pinrun_domain_unmap(domain, iova, length);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_unfill);

/* Collects the struct pages of a window of a store, page by page. */
struct ifd_page_sink {
	struct pinrun_sink sink;
	struct page **out;
};

static int ifd_page_sink_map(struct pinrun_sink *sink, dma_addr_t iova,
			     size_t len, struct scatterlist *sgl,
			     unsigned int nents, phys_addr_t phys)
{
	struct ifd_page_sink *ps = container_of(sink, struct ifd_page_sink,
						sink);

	/* a "small" sink gets one page at a time, by address */
	*ps->out++ = pfn_to_page(PHYS_PFN(phys));
	return 0;
}

/* Pages [@first, @first + @n) of @store into @out (the store is pinned). */
static int ifd_store_pages(struct pinrun_store *store, unsigned long first,
			   unsigned long n, struct page **out)
{
	struct ifd_page_sink ps = {
		.sink = { .map = ifd_page_sink_map, .small = true },
		.out = out,
	};
	struct pinrun_batch b;
	struct pinrun_cursor c;
	int ret;

	pinrun_cursor_init(&c, 0);
	ret = pinrun_cursor_seek(&c, store, first, n);
	if (ret)
		return ret;
	pinrun_batch_init(&b);
	ret = pinrun_flush(store, &c, true, &b, &ps.sink);
	pinrun_batch_fini(&b);
	return ret;
}

/*
 * Pin pages [@first, @first + @n) of @pages on their own into @runs and
 * charge them; all or nothing. Returns the pages charged, or an errno:
 * -EFAULT (or GUP's) for memory that cannot be pinned, -ENOMEM above
 * RLIMIT_MEMLOCK.
 */
static long ifd_pages_pin_range(struct ifd_pages *pages, unsigned long first,
				unsigned long n, struct pinrun_store *runs)
{
	long charged = 0, got, acct;
	struct pinrun_batch b;
	unsigned long done = 0;
	int ret;

	pinrun_batch_init(&b);
	while (done < n) {
		got = pinrun_pin_chunk(pages->own.mm,
				       pages->uva + ((first + done) << PAGE_SHIFT),
				       min(n - done, (unsigned long)b.page_cap),
				       pages->writable, false, runs, &b, &acct);
		if (got < 0) {
			ret = got;
			goto err_release;
		}
		ret = pinrun_account(&pages->own, acct);
		if (ret)
			goto err_release;
		charged += acct;
		done += got;
	}
	pinrun_batch_fini(&b);
	return charged;

err_release:
	pinrun_release(runs, false);
	pinrun_account(&pages->own, -charged);
	pinrun_batch_fini(&b);
	return ret;
}

/*
 * One range of an area pinned by accesses; pin calls for exactly this
 * range share it (upstream's rule: unpin exactly what was pinned).
 */
struct ifd_apin {
	struct interval_tree_node node;	/* page indexes in the pages */
	unsigned int users;		/* pin calls not unpinned yet */
	bool own;			/* pins in @runs; else a store pin */
	struct pinrun_store runs;
	long charged;			/* pages of @runs charged */
	struct page *pages[];
};

static struct ifd_apin *ifd_apin_find(struct ifd_area *area,
				      unsigned long first, unsigned long last)
{
	struct interval_tree_node *n;

	for (n = interval_tree_iter_first(&area->apins, first, last); n;
	     n = interval_tree_iter_next(n, first, last))
		if (n->start == first && n->last == last)
			return container_of(n, struct ifd_apin, node);
	return NULL;
}

static void ifd_apin_free(struct ifd_area *area, struct ifd_apin *ap)
{
	struct ifd_pages *pages = area->pages;

	lockdep_assert_held(&pages->mutex);
	interval_tree_remove(&ap->node, &area->apins);
	if (ap->own) {
		pinrun_release(&ap->runs, pages->writable);
		pinrun_account(&pages->own, -ap->charged);
	} else {
		ifd_pages_unpin_locked(pages);
	}
	kvfree(ap);
}

/*
 * An access pins pages [@first, @last] (indexes in the area's pages) and
 * gets their struct pages in @out. The caller holds iova.rwsem for read
 * and checked the area is open to accesses. Errors: -ENOMEM, and those
 * of pinning on its own (-EFAULT, -ENOMEM above RLIMIT_MEMLOCK).
 */
int ifd_area_access_pin(struct ifd_area *area, unsigned long first,
			unsigned long last, struct page **out)
{
	struct ifd_pages *pages = area->pages;
	unsigned long n = last - first + 1;
	struct ifd_apin *ap;
	long charged;
	int ret = 0;

	mutex_lock(&pages->mutex);
	ap = ifd_apin_find(area, first, last);
	if (ap) {
		ap->users++;
		goto out_copy;
	}
	ap = kvzalloc(struct_size(ap, pages, n), GFP_KERNEL_ACCOUNT);
	if (!ap) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	pinrun_store_init(&ap->runs);
	if (pages->pin_users) {
		/* pinned already: the very pages the domains map */
		ret = ifd_store_pages(&pages->runs, first, n, ap->pages);
		if (ret)
			goto err_free;
		pages->pin_users++;
	} else {
		charged = ifd_pages_pin_range(pages, first, n, &ap->runs);
		if (charged < 0) {
			ret = charged;
			goto err_free;
		}
		ap->own = true;
		ap->charged = charged;
		ret = ifd_store_pages(&ap->runs, 0, n, ap->pages);
		if (WARN_ON_ONCE(ret)) {
			pinrun_release(&ap->runs, false);
			pinrun_account(&pages->own, -charged);
			goto err_free;
		}
	}
	ap->node.start = first;
	ap->node.last = last;
	ap->users = 1;
	interval_tree_insert(&ap->node, &area->apins);
out_copy:
	area->num_accesses++;
	memcpy(out, ap->pages, n * sizeof(*out));
	goto out_unlock;

err_free:
	kvfree(ap);
out_unlock:
	mutex_unlock(&pages->mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_area_access_pin);

/* Undo one ifd_area_access_pin() of exactly [@first, @last]. */
void ifd_area_access_unpin(struct ifd_area *area, unsigned long first,
			   unsigned long last)
{
	struct ifd_pages *pages = area->pages;
	struct ifd_apin *ap;

	mutex_lock(&pages->mutex);
	ap = ifd_apin_find(area, first, last);
	/* a driver unpinning what it never pinned */
	if (WARN_ON_ONCE(!ap))
		goto out_unlock;
	area->num_accesses--;
	if (!--ap->users)
		ifd_apin_free(area, ap);
out_unlock:
	mutex_unlock(&pages->mutex);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_area_access_unpin);

/* The area goes with pins left (a driver that never unpinned): drop them. */
void ifd_area_access_release_all(struct ifd_area *area)
{
	struct interval_tree_node *n;

	if (!area->num_accesses)
		return;
	mutex_lock(&area->pages->mutex);
	while ((n = interval_tree_iter_first(&area->apins, 0, ULONG_MAX)))
		ifd_apin_free(area, container_of(n, struct ifd_apin, node));
	area->num_accesses = 0;
	mutex_unlock(&area->pages->mutex);
}

/* Copy between @data and @n pages from byte @off of the first one. */
static void ifd_copy_pages(struct page **pg, unsigned long n,
			   unsigned long off, void *data, unsigned long length,
			   bool write)
{
	unsigned long i, bytes;

	for (i = 0; i < n && length; i++) {
		bytes = min(length, PAGE_SIZE - off);
		if (write)
			memcpy_to_page(pg[i], off, data, bytes);
		else
			memcpy_from_page(data, pg[i], off, bytes);
		data += bytes;
		length -= bytes;
		off = 0;
	}
}

/* GUP a few pages of the MAP caller's memory for a copy (not charged). */
static long ifd_pages_gup(struct ifd_pages *pages, unsigned long idx,
			  unsigned long n, struct page **pg, bool write)
{
	struct mm_struct *mm = pages->own.mm;
	long got;

	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	got = pin_user_pages_remote(mm, pages->uva + (idx << PAGE_SHIFT), n,
				    write ? FOLL_WRITE : 0, pg, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	if (!got)
		return -EFAULT;
	return got;
}

#define IFD_RW_BATCH	(PAGE_SIZE / sizeof(struct page *))

/*
 * Copy @length bytes at byte @start_byte of @pages to (@write) or from
 * @data, for an access. From the pinned store when there is one (what
 * the devices see), else through short-lived pins of the user memory.
 * -EPERM writing read-only memory, -EFAULT for memory GUP refuses.
 */
int ifd_pages_rw(struct ifd_pages *pages, unsigned long start_byte,
		 void *data, unsigned long length, bool write)
{
	unsigned long idx = start_byte >> PAGE_SHIFT, off = start_byte % PAGE_SIZE;
	unsigned long left = DIV_ROUND_UP(off + length, PAGE_SIZE), n, bytes;
	struct page **pg;
	bool stored;
	long got;
	int ret = 0;

	if (write && !pages->writable)
		return -EPERM;
	pg = kmalloc_array(min(left, IFD_RW_BATCH), sizeof(*pg), GFP_KERNEL);
	if (!pg)
		return -ENOMEM;

	mutex_lock(&pages->mutex);
	stored = pages->pin_users;
	if (stored)
		pages->pin_users++;
	mutex_unlock(&pages->mutex);

	while (left) {
		n = min(left, IFD_RW_BATCH);
		if (stored) {
			ret = ifd_store_pages(&pages->runs, idx, n, pg);
			if (ret)
				break;
			got = n;
		} else {
			got = ifd_pages_gup(pages, idx, n, pg, write);
			if (got < 0) {
				ret = got;
				break;
			}
		}
		bytes = min(length, ((unsigned long)got << PAGE_SHIFT) - off);
		ifd_copy_pages(pg, got, off, data, bytes, write);
		if (!stored)
			unpin_user_pages_dirty_lock(pg, got, write);
		data += bytes;
		length -= bytes;
		idx += got;
		left -= got;
		off = 0;
	}
	if (stored)
		ifd_pages_unpin(pages);
	kfree(pg);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_rw);
