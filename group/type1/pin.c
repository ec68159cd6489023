// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinning user memory for type1 mappings and mapping it into the
 * container's IOMMU domains, over the shared pin engine (pinrun/, linked
 * in through pinrun_obj.c): this file holds what is type1's own, the
 * choice of domains, the pages emulated devices pinned already, the
 * RLIMIT_MEMLOCK messages and the owner change of MAP_DMA with VADDR.
 */

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include "type1.h"

/* Charge @npages (refund if negative) to the owner of @m. */
int t1_account(struct t1_mapping *m, long npages)
{
	int ret = pinrun_account(&m->own, npages);

	if (!ret)
		m->locked += npages;
	else if (ret == -ENOMEM)
		pr_warn_ratelimited("vfio_iommu_type1: %s (%d): RLIMIT_MEMLOCK (%lu) exceeded\n",
				    m->own.task->comm,
				    task_pid_nr(m->own.task),
				    task_rlimit(m->own.task, RLIMIT_MEMLOCK));
	return ret;
}

/* Refuse early, before pins above RLIMIT_MEMLOCK pile up. */
static int t1_account_precheck(struct t1_mapping *m, long pending)
{
	if (!pinrun_over_limit(&m->own, pending))
		return 0;
	pr_warn_ratelimited("vfio_iommu_type1: %s (%d): RLIMIT_MEMLOCK (%lu) exceeded\n",
			    m->own.task->comm, task_pid_nr(m->own.task),
			    task_rlimit(m->own.task, RLIMIT_MEMLOCK));
	return -ENOMEM;
}

void t1_domain_unmap(struct t1_domain *d, dma_addr_t iova, size_t size)
{
	pinrun_domain_unmap(d->domain, iova, size);
}

/* Where a pass maps to: @only, or every domain of @iommu. */
struct t1_sink {
	struct pinrun_sink sink;
	struct t1_iommu *iommu;
	struct t1_domain *only;
	int prot;
};

/* pinrun_sink.map: one IOVA range into the targets, all or nothing. */
static int t1_sink_map(struct pinrun_sink *sink, dma_addr_t iova, size_t len,
		       struct scatterlist *sgl, unsigned int nents,
		       phys_addr_t phys)
{
	struct t1_sink *ts = container_of(sink, struct t1_sink, sink);
	int prot = ts->prot | IOMMU_CACHE;
	struct t1_domain *d;
	int ret;

	if (ts->only)
		return pinrun_domain_map(ts->only->domain, iova, len, sgl,
					 nents, phys, prot);

	list_for_each_entry(d, &ts->iommu->domains, node) {
		ret = pinrun_domain_map(d->domain, iova, len, sgl, nents, phys,
					prot);
		if (ret)
			goto err_unmap;
	}
	return 0;

err_unmap:
	list_for_each_entry_continue_reverse(d, &ts->iommu->domains, node)
		t1_domain_unmap(d, iova, len);
	return ret;
}

static void t1_sink_init(struct t1_sink *ts, struct t1_iommu *iommu,
			 struct t1_domain *only, struct t1_mapping *m)
{
	ts->sink.map = t1_sink_map;
	ts->sink.small = t1_disable_hugepages;
	ts->iommu = iommu;
	ts->only = only;
	ts->prot = m->prot;
}

static void t1_unmap_targets(struct t1_iommu *iommu, struct t1_domain *only,
			     dma_addr_t iova, size_t len)
{
	struct t1_domain *d;

	if (!len)
		return;
	if (only) {
		t1_domain_unmap(only, iova, len);
		return;
	}
	list_for_each_entry(d, &iommu->domains, node) {
		t1_domain_unmap(d, iova, len);
		cond_resched();
	}
}

/*
 * Pin all of @m and map it into @only, or into every domain when @only
 * is NULL; charge the pages to the owner. All or nothing.
 */
int t1_pin_and_map(struct t1_iommu *iommu, struct t1_mapping *m,
		   struct t1_domain *only, struct pinrun_batch *b)
{
	unsigned long npages = m->size >> PAGE_SHIFT, done = 0;
	bool write = m->prot & IOMMU_WRITE;
	long pending = 0, charged = 0;
	struct pinrun_cursor c;
	struct t1_sink ts;
	int ret;

	t1_sink_init(&ts, iommu, only, m);
	pinrun_cursor_init(&c, t1_map_iova(m));
	while (done < npages) {
		unsigned long want = min(npages - done,
					 (unsigned long)b->page_cap);
		long n, acct;

		cond_resched();
		n = pinrun_pin_chunk(m->own.mm, m->vaddr + (done << PAGE_SHIFT),
				     want, write, true, &m->runs, b, &acct);
		if (n < 0) {
			ret = n;
			goto err_release;
		}
		/*
		 * Pages an emulated device pinned are charged already; the
		 * refund in t1_unmap_unpin() discounts them the same way.
		 */
		acct -= t1_ext_acct_in(m, done, n);
		done += n;

		pending += acct;
		ret = t1_account_precheck(m, pending);
		if (ret)
			goto err_release;
		if (pending >= PINRUN_ACCT_BATCH) {
			ret = t1_account(m, pending);
			if (ret)
				goto err_release;
			charged += pending;
			pending = 0;
		}

		if (m->runs.nr - c.passed > b->sg_cap) {
			ret = pinrun_flush(&m->runs, &c, false, b, &ts.sink);
			if (ret)
				goto err_release;
		}
	}

	ret = t1_account(m, pending);
	if (ret)
		goto err_release;
	charged += pending;

	ret = pinrun_flush(&m->runs, &c, true, b, &ts.sink);
	if (ret)
		goto err_release;

	m->pinned = true;
	return 0;

err_release:
	/* Earlier flushes may have mapped a prefix already. */
	t1_unmap_targets(iommu, only, t1_map_iova(m),
			 c.mapped - t1_map_iova(m));
	pinrun_release(&m->runs, write);
	t1_account(m, -charged);
	return ret;
}

/* Map the already pinned @m into the new domain @d. */
int t1_map_pinned(struct t1_mapping *m, struct t1_domain *d,
		  struct pinrun_batch *b)
{
	struct pinrun_cursor c;
	struct t1_sink ts;
	int ret;

	t1_sink_init(&ts, NULL, d, m);
	pinrun_cursor_init(&c, t1_map_iova(m));
	ret = pinrun_flush(&m->runs, &c, true, b, &ts.sink);
	if (ret)
		t1_domain_unmap(d, t1_map_iova(m), c.mapped - t1_map_iova(m));
	return ret;
}

/*
 * Take @m out of @only (or every domain), flush the IOTLBs, and only then
 * unpin its pages: a device must not reach a page after it is released.
 */
void t1_unmap_unpin(struct t1_iommu *iommu, struct t1_mapping *m,
		    struct t1_domain *only)
{
	long refund;

	if (!m->pinned)
		return;
	t1_unmap_targets(iommu, only, t1_map_iova(m), m->size);
	refund = pinrun_release(&m->runs, m->prot & IOMMU_WRITE);
	/* Pages an emulated device still pins stay charged. */
	refund -= t1_ext_acct_in(m, 0, m->size >> PAGE_SHIFT);
	t1_account(m, -refund);
	m->pinned = false;
}

/*
 * MAP_DMA with VADDR from another process: the charge follows the
 * mapping to the caller's mm.
 */
int t1_change_owner(struct t1_mapping *m)
{
	struct pinrun_owner to = {
		.mm = current->mm,
		.task = current->group_leader,
		.mode = PINRUN_ACCT_MM,
	};
	int ret;

	if (to.mm == m->own.mm)
		return 0;

	to.lock_cap = capable(CAP_IPC_LOCK);
	ret = pinrun_account(&to, m->locked);
	if (ret)
		return ret;
	pinrun_account(&m->own, -m->locked);

	if (m->own.task != to.task) {
		put_task_struct(m->own.task);
		m->own.task = get_task_struct(to.task);
	}
	mmdrop(m->own.mm);
	mmgrab(to.mm);
	m->own.mm = to.mm;
	m->own.lock_cap = to.lock_cap;
	return 0;
}
