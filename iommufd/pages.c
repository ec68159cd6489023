// SPDX-License-Identifier: GPL-2.0-only
/*
 * The user memory behind one IOAS_MAP. Pinning is lazy, as upstream: with
 * no area in a domain (and no access) nothing is pinned or charged. The
 * first pin user pins the whole range into a run store with the shared
 * pin engine (pinrun/), charging it in the mode chosen at MAP time; every
 * area of it, in any IOAS, then maps into any number of domains from that
 * store: no GUP and no charge per domain or per COPY.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/cred.h>
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

/*
 * Drop a pin user. The last one unpins and refunds: by then every domain
 * had the pages unmapped and its IOTLB flushed.
 */
void ifd_pages_unpin(struct ifd_pages *pages)
{
	mutex_lock(&pages->mutex);
	if (!WARN_ON_ONCE(!pages->pin_users) && !--pages->pin_users) {
		pinrun_release(&pages->runs, pages->writable);
		pinrun_account(&pages->own, -pages->charged);
		pages->charged = 0;
	}
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
