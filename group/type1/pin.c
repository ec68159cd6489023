// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinning user memory for type1 mappings, recording it as physically
 * contiguous runs, mapping the runs into IOMMU domains and charging
 * RLIMIT_MEMLOCK.
 *
 * Speed comes from doing everything in bulk: GUP fills a page array per
 * call, contiguous pages collapse into one run (and one IOMMU mapping),
 * iommu_map_sg() maps many runs with one IOTLB sync, locked_vm is charged
 * every few tens of MiB, and unpinning releases a folio at a time.
 */

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include "type1.h"

/*
 * A run packs into a u64: bits 0-19 hold its length in pages minus one,
 * bits 20-61 its first pfn, bit 62 says we hold GUP pins on its pages and
 * bit 63 that its pages count in locked_vm (ordinary, non-reserved RAM).
 * VM_PFNMAP ranges (device BARs) have neither flag.
 */
#define T1_RUN_LEN_BITS		20
#define T1_RUN_PFN_BITS		42
#define T1_RUN_PINNED		BIT_ULL(62)
#define T1_RUN_ACCT		BIT_ULL(63)
#define T1_RUN_FLAGS		(T1_RUN_PINNED | T1_RUN_ACCT)
/* One scatterlist entry must hold a run: its length is 32 bits. */
#define T1_RUN_MAX_PAGES	(SZ_1G >> PAGE_SHIFT)

struct t1_run_block {
	struct list_head node;		/* in t1_runs.blocks */
	unsigned int used;		/* never 0 once on the list */
	u64 ent[];
};

#define T1_RUN_BLOCK_ENTS \
	((PAGE_SIZE - sizeof(struct t1_run_block)) / sizeof(u64))

/* Scatterlist entries per iommu_map_sg() call: one IOTLB sync each. */
#define T1_SG_ENTS		256
/* Charge locked_vm at least this often while pinning a large range. */
#define T1_ACCT_BATCH		(SZ_64M >> PAGE_SHIFT)

struct t1_run {
	unsigned long pfn;
	unsigned long npages;
	u64 flags;
};

static u64 t1_run_pack(unsigned long pfn, unsigned long npages, u64 flags)
{
	return flags | ((u64)pfn << T1_RUN_LEN_BITS) | (npages - 1);
}

static void t1_run_unpack(u64 v, struct t1_run *r)
{
	r->flags = v & T1_RUN_FLAGS;
	r->npages = (v & GENMASK_ULL(T1_RUN_LEN_BITS - 1, 0)) + 1;
	r->pfn = (v & ~T1_RUN_FLAGS) >> T1_RUN_LEN_BITS;
}

/* Where mapping a mapping's runs into domains has got to. */
struct t1_cursor {
	struct t1_run_block *blk;	/* NULL: not yet at the first block */
	unsigned int idx;		/* run within blk */
	unsigned long passed;		/* runs behind the cursor */
	dma_addr_t iova;		/* IOVA of the run at the cursor */
	dma_addr_t mapped;		/* [start, mapped) is in the domains */
};

static void t1_cursor_init(struct t1_cursor *c, struct t1_mapping *m)
{
	c->blk = NULL;
	c->idx = 0;
	c->passed = 0;
	c->iova = t1_map_iova(m);
	c->mapped = c->iova;
}

/* The run at @c, if any; @last says whether it may still grow. */
static bool t1_cursor_peek(struct t1_runs *runs, struct t1_cursor *c,
			   struct t1_run *r, bool *last)
{
	if (!c->blk) {
		if (list_empty(&runs->blocks))
			return false;
		c->blk = list_first_entry(&runs->blocks, struct t1_run_block,
					  node);
	}
	if (c->idx == c->blk->used) {
		if (list_is_last(&c->blk->node, &runs->blocks))
			return false;
		c->blk = list_next_entry(c->blk, node);
		c->idx = 0;
	}
	t1_run_unpack(c->blk->ent[c->idx], r);
	*last = c->idx + 1 == c->blk->used &&
		list_is_last(&c->blk->node, &runs->blocks);
	return true;
}

static void t1_cursor_advance(struct t1_cursor *c, const struct t1_run *r)
{
	c->idx++;
	c->passed++;
	c->iova += (dma_addr_t)r->npages << PAGE_SHIFT;
}

/*
 * Append @npages pages from @pfn. They merge into the last run when they
 * continue it; at most one new run is needed per call (npages is at most
 * a batch), and its slot is allocated before anything changes, so a
 * failure records nothing.
 */
static int t1_runs_add(struct t1_runs *runs, unsigned long pfn,
		       unsigned long npages, u64 flags)
{
	struct t1_run_block *blk = NULL;
	unsigned long merge = 0;
	struct t1_run last;

	if (WARN_ON_ONCE(npages > T1_RUN_MAX_PAGES))
		return -EINVAL;
	/* Cannot happen on x86 (52-bit physical addresses at most). */
	if ((pfn + npages - 1) >> T1_RUN_PFN_BITS)
		return -EFAULT;

	if (!list_empty(&runs->blocks)) {
		blk = list_last_entry(&runs->blocks, struct t1_run_block, node);
		t1_run_unpack(blk->ent[blk->used - 1], &last);
		if (last.flags == flags && last.pfn + last.npages == pfn)
			merge = min(npages, T1_RUN_MAX_PAGES - last.npages);
	}

	if (merge < npages && (!blk || blk->used == T1_RUN_BLOCK_ENTS)) {
		struct t1_run_block *nb = kmalloc(PAGE_SIZE,
						  GFP_KERNEL_ACCOUNT);

		if (!nb)
			return -ENOMEM;
		nb->used = 0;
		list_add_tail(&nb->node, &runs->blocks);
	}

	if (merge) {
		blk->ent[blk->used - 1] = t1_run_pack(last.pfn,
						      last.npages + merge,
						      flags);
		pfn += merge;
		npages -= merge;
	}
	if (npages) {
		blk = list_last_entry(&runs->blocks, struct t1_run_block, node);
		blk->ent[blk->used++] = t1_run_pack(pfn, npages, flags);
		runs->nr++;
	}
	return 0;
}

/*
 * Record the @n pages GUP returned. Pages of one folio that GUP put in
 * consecutive slots are consecutive, and share the reserved bit, so a
 * folio is classified once rather than page by page. On failure the pages
 * not recorded yet are unpinned here; *@acct counts the pages recorded as
 * ordinary RAM.
 */
static int t1_runs_add_pages(struct t1_runs *runs, struct page **pages,
			     unsigned long n, long *acct)
{
	unsigned long i = 0;
	int ret;

	*acct = 0;
	while (i < n) {
		struct page *page = pages[i];
		struct folio *folio = page_folio(page);
		unsigned long span, k = 1;
		u64 flags = T1_RUN_PINNED;

		span = folio_nr_pages(folio) - folio_page_idx(folio, page);
		while (k < span && i + k < n && pages[i + k] == nth_page(page, k))
			k++;
		if (!folio_test_reserved(folio))
			flags |= T1_RUN_ACCT;

		ret = t1_runs_add(runs, page_to_pfn(page), k, flags);
		if (ret) {
			unpin_user_pages(pages + i, n - i);
			return ret;
		}
		if (flags & T1_RUN_ACCT)
			*acct += k;
		i += k;
	}
	return 0;
}

/* Unpin every run and forget them; returns the pages that were charged. */
static unsigned long t1_runs_release(struct t1_mapping *m)
{
	bool dirty = m->prot & IOMMU_WRITE;
	struct t1_run_block *blk, *tmp;
	unsigned long acct = 0;
	unsigned int i;

	list_for_each_entry_safe(blk, tmp, &m->runs.blocks, node) {
		for (i = 0; i < blk->used; i++) {
			struct t1_run r;

			t1_run_unpack(blk->ent[i], &r);
			if (r.flags & T1_RUN_PINNED)
				unpin_user_page_range_dirty_lock(pfn_to_page(r.pfn),
								 r.npages,
								 dirty);
			if (r.flags & T1_RUN_ACCT)
				acct += r.npages;
		}
		list_del(&blk->node);
		kfree(blk);
		cond_resched();
	}
	m->runs.nr = 0;
	return acct;
}

void t1_batch_init(struct t1_batch *b)
{
	b->pages = (struct page **)__get_free_page(GFP_KERNEL);
	if (b->pages) {
		b->page_cap = PAGE_SIZE / sizeof(struct page *);
	} else {
		b->pages = &b->one_page;
		b->page_cap = 1;
	}

	b->sgl = kmalloc_array(T1_SG_ENTS, sizeof(*b->sgl), GFP_KERNEL);
	if (b->sgl) {
		b->sg_cap = T1_SG_ENTS;
	} else {
		b->sgl = &b->one_sg;
		b->sg_cap = 1;
	}
	sg_init_table(b->sgl, b->sg_cap);
}

void t1_batch_fini(struct t1_batch *b)
{
	if (b->pages != &b->one_page)
		free_page((unsigned long)b->pages);
	if (b->sgl != &b->one_sg)
		kfree(b->sgl);
}

/*
 * No struct page, or one the kernel reserved: never charged to the user,
 * and (for pfnmap) never pinned.
 */
bool t1_pfn_reserved(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

#ifdef VFIO_HAVE_FOLLOW_PFNMAP_START
/*
 * The pfn behind @addr of a VM_PFNMAP vma, faulting it in if needed.
 * Returns 1 with *@pfn set, 0 if @addr is not mapped (only when @nofault),
 * -EAGAIN when the fault dropped mmap_lock, or a negative errno.
 */
static int t1_pfnmap_one(struct mm_struct *mm, struct vm_area_struct *vma,
			 unsigned long addr, bool write, bool nofault,
			 unsigned long *pfn)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	unsigned int flags = FAULT_FLAG_REMOTE | (write ? FAULT_FLAG_WRITE : 0);
	bool dropped = false;
	bool writable;
	int ret;

	/* Not mapped yet: fault it in (unless told not to) and look again. */
	ret = follow_pfnmap_start(&args);
	if (ret && nofault)
		return 0;
	if (ret) {
		ret = fixup_user_fault(mm, addr, flags, &dropped);
		if (dropped)
			return -EAGAIN;
		ret = ret ?: follow_pfnmap_start(&args);
		if (ret)
			return ret;
	}
	*pfn = args.pfn;
	writable = args.writable;
	follow_pfnmap_end(&args);

	return write && !writable ? -EFAULT : 1;
}

/*
 * GUP refused @vaddr with @gup_err. If it lies in a VM_PFNMAP vma (an
 * mmap of device memory), look up to @want contiguous pfns there instead;
 * they are not pinned, so only pfns without ordinary RAM behind them are
 * acceptable. Called with mmap_lock held for read. Returns the number of
 * pfns found, from *@pfn, or a negative errno.
 */
int t1_follow_pfnmap(struct mm_struct *mm, unsigned long vaddr,
		     unsigned long want, bool write, unsigned long *pfn,
		     int gup_err)
{
	struct vm_area_struct *vma;
	unsigned long addr, n;
	int ret;

	addr = untagged_addr_remote(mm, vaddr);
again:
	vma = vma_lookup(mm, addr);
	if (!vma || !(vma->vm_flags & VM_PFNMAP))
		return gup_err < 0 ? gup_err : -EFAULT;

	for (n = 0; n < want; n++) {
		unsigned long at = addr + (n << PAGE_SHIFT), next;

		if (at >= vma->vm_end)
			break;
		ret = t1_pfnmap_one(mm, vma, at, write, n, &next);
		if (ret == -EAGAIN)
			goto again;
		if (ret < 0 && !n)
			return ret;
		if (ret <= 0)
			break;
		if (!t1_pfn_reserved(next)) {
			if (!n)
				return -EFAULT;
			break;
		}
		if (!n)
			*pfn = next;
		else if (next != *pfn + n)
			break;
	}
	return n;
}
#else
int t1_follow_pfnmap(struct mm_struct *mm, unsigned long vaddr,
		     unsigned long want, bool write, unsigned long *pfn,
		     int gup_err)
{
	/* No follow_pfnmap_start(): device memory cannot be mapped. */
	return gup_err < 0 ? gup_err : -EFAULT;
}
#endif

/*
 * Pin up to @want pages of @m from @vaddr into b->pages and return how
 * many. For a VM_PFNMAP range nothing is pinned: the return value counts
 * contiguous pfns from *@pfnmap and *@is_pfnmap is set.
 */
static long t1_pin_chunk(struct t1_mapping *m, unsigned long vaddr,
			 unsigned long want, struct t1_batch *b,
			 unsigned long *pfnmap, bool *is_pfnmap)
{
	unsigned int gup = FOLL_LONGTERM;
	struct mm_struct *mm = m->mm;
	bool local = current->mm == mm;
	long ret = 0;

	if (m->prot & IOMMU_WRITE)
		gup |= FOLL_WRITE;
	*is_pfnmap = false;

	if (local) {
		/* The MAP_DMA caller's own memory: lockless fast GUP. */
		ret = pin_user_pages_fast(vaddr, want, gup, b->pages);
		if (ret > 0)
			return ret;
	} else if (!mmget_not_zero(mm)) {
		return -ESRCH;
	}

	mmap_read_lock(mm);
	if (!local) {
		ret = pin_user_pages_remote(mm, vaddr, want, gup, b->pages,
					    NULL);
		if (ret > 0)
			goto out;
	}
	ret = t1_follow_pfnmap(mm, vaddr, want, m->prot & IOMMU_WRITE, pfnmap,
			       ret);
	if (ret > 0)
		*is_pfnmap = true;
out:
	mmap_read_unlock(mm);
	if (!local)
		mmput(mm);
	return ret;
}

/* Charge (or with negative @npages, refund) @mm's locked_vm. */
static int t1_mm_account(struct mm_struct *mm, struct task_struct *task,
			 bool lock_cap, long npages)
{
	int ret = 0;

	if (!npages)
		return 0;
	/* An exited process has no locked_vm left to adjust. */
	if (!mmget_not_zero(mm))
		return npages > 0 ? -ESRCH : 0;

	if (npages > 0) {
		ret = mmap_write_lock_killable(mm);
		if (!ret) {
			ret = __account_locked_vm(mm, npages, true, task,
						  lock_cap);
			mmap_write_unlock(mm);
		}
	} else {
		/* A refund must not fail: not killable. */
		mmap_write_lock(mm);
		__account_locked_vm(mm, -npages, false, task, lock_cap);
		mmap_write_unlock(mm);
	}
	mmput(mm);
	return ret;
}

/* Charge @npages (refund if negative) to the owner of @m. */
int t1_account(struct t1_mapping *m, long npages)
{
	int ret = t1_mm_account(m->mm, m->task, m->lock_cap, npages);

	if (!ret)
		m->locked += npages;
	else if (ret == -ENOMEM)
		pr_warn_ratelimited("vfio_iommu_type1: %s (%d): RLIMIT_MEMLOCK (%lu) exceeded\n",
				    m->task->comm, task_pid_nr(m->task),
				    task_rlimit(m->task, RLIMIT_MEMLOCK));
	return ret;
}

/*
 * Before charging a batch, refuse early when it would clearly exceed the
 * limit: pins above RLIMIT_MEMLOCK must not pile up before the charge.
 * The real check is the charge itself, under mmap_lock.
 */
static int t1_account_precheck(struct t1_mapping *m, long pending)
{
	unsigned long limit;

	if (m->lock_cap || pending <= 0)
		return 0;
	limit = task_rlimit(m->task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	if (READ_ONCE(m->mm->locked_vm) + pending <= limit)
		return 0;
	pr_warn_ratelimited("vfio_iommu_type1: %s (%d): RLIMIT_MEMLOCK (%lu) exceeded\n",
			    m->task->comm, task_pid_nr(m->task),
			    limit << PAGE_SHIFT);
	return -ENOMEM;
}

/* Unmap [@iova, @iova + @size) and flush the IOTLB before returning. */
void t1_domain_unmap(struct t1_domain *d, dma_addr_t iova, size_t size)
{
	struct iommu_iotlb_gather gather;
	size_t done = 0;

	iommu_iotlb_gather_init(&gather);
	while (done < size) {
		size_t n = iommu_unmap_fast(d->domain, iova + done,
					    size - done, &gather);

		/* A hole: only after a partial unwind; step over a page. */
		done += n ? n : PAGE_SIZE;
	}
	iommu_iotlb_sync(d->domain, &gather);
}

static int t1_domain_map(struct t1_domain *d, dma_addr_t iova, size_t len,
			 struct scatterlist *sgl, unsigned int nents,
			 phys_addr_t phys, int prot)
{
	ssize_t mapped;

	prot |= IOMMU_CACHE;
	if (!sgl)
		return iommu_map(d->domain, iova, phys, len, prot,
				 GFP_KERNEL_ACCOUNT);

	mapped = iommu_map_sg(d->domain, iova, sgl, nents, prot,
			      GFP_KERNEL_ACCOUNT);
	if (mapped < 0)
		return mapped;
	if (mapped != len) {
		iommu_unmap(d->domain, iova, mapped);
		return -EFAULT;
	}
	return 0;
}

/*
 * Map one IOVA range into @only, or into every domain of @iommu. On
 * failure no domain keeps any of it.
 */
static int t1_map_targets(struct t1_iommu *iommu, struct t1_domain *only,
			  dma_addr_t iova, size_t len, struct scatterlist *sgl,
			  unsigned int nents, phys_addr_t phys, int prot)
{
	struct t1_domain *d;
	int ret;

	if (only)
		return t1_domain_map(only, iova, len, sgl, nents, phys, prot);

	list_for_each_entry(d, &iommu->domains, node) {
		ret = t1_domain_map(d, iova, len, sgl, nents, phys, prot);
		if (ret)
			goto err_unmap;
	}
	return 0;

err_unmap:
	list_for_each_entry_continue_reverse(d, &iommu->domains, node)
		t1_domain_unmap(d, iova, len);
	return ret;
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

/* Map the scatterlist built so far; the cursor's frontier moves on. */
static int t1_flush_sg(struct t1_iommu *iommu, struct t1_domain *only,
		       struct t1_mapping *m, struct t1_cursor *c,
		       struct t1_batch *b, unsigned int *nents)
{
	size_t len = c->iova - c->mapped;
	int ret;

	if (!*nents)
		return 0;
	ret = t1_map_targets(iommu, only, c->mapped, len, b->sgl, *nents, 0,
			     m->prot);
	if (ret)
		return ret;
	c->mapped += len;
	*nents = 0;
	return 0;
}

/*
 * Map a run page by page (disable_hugepages) or in one piece (pfnmap
 * memory, which has no struct page for a scatterlist).
 */
static int t1_map_run_direct(struct t1_iommu *iommu, struct t1_domain *only,
			     struct t1_mapping *m, struct t1_cursor *c,
			     const struct t1_run *r)
{
	phys_addr_t phys = PFN_PHYS(r->pfn);
	size_t len = (size_t)r->npages << PAGE_SHIFT;
	size_t step = t1_disable_hugepages ? PAGE_SIZE : len;
	size_t off;
	int ret;

	for (off = 0; off < len; off += step) {
		ret = t1_map_targets(iommu, only, c->mapped, step, NULL, 0,
				     phys + off, m->prot);
		if (ret)
			return ret;
		c->mapped += step;
	}
	return 0;
}

/*
 * Map the runs from the cursor on into @only (or all domains). Unless
 * @final the last run stays back, as the next pinned pages may extend it:
 * a run must reach the IOMMU whole so it can use large pages. On failure
 * [start of mapping, c->mapped) is what the domains hold.
 */
static int t1_flush(struct t1_iommu *iommu, struct t1_domain *only,
		    struct t1_mapping *m, struct t1_cursor *c, bool final,
		    struct t1_batch *b)
{
	unsigned int nents = 0;
	struct t1_run r;
	bool last;
	int ret;

	while (t1_cursor_peek(&m->runs, c, &r, &last)) {
		if (last && !final)
			break;

		if (!(r.flags & T1_RUN_PINNED) || t1_disable_hugepages) {
			ret = t1_flush_sg(iommu, only, m, c, b, &nents);
			if (!ret)
				ret = t1_map_run_direct(iommu, only, m, c, &r);
			if (ret)
				return ret;
		} else {
			if (nents == b->sg_cap) {
				ret = t1_flush_sg(iommu, only, m, c, b, &nents);
				if (ret)
					return ret;
			}
			sg_set_page(&b->sgl[nents++], pfn_to_page(r.pfn),
				    r.npages << PAGE_SHIFT, 0);
		}
		t1_cursor_advance(c, &r);
	}
	return t1_flush_sg(iommu, only, m, c, b, &nents);
}

/*
 * Pin all of @m and map it into @only, or into every domain when @only
 * is NULL; charge the pages to the owner. All or nothing.
 */
int t1_pin_and_map(struct t1_iommu *iommu, struct t1_mapping *m,
		   struct t1_domain *only, struct t1_batch *b)
{
	unsigned long npages = m->size >> PAGE_SHIFT, done = 0;
	long pending = 0, charged = 0;
	struct t1_cursor c;
	int ret;

	t1_cursor_init(&c, m);
	while (done < npages) {
		unsigned long want = min(npages - done,
					 (unsigned long)b->page_cap);
		unsigned long pfnmap_base;
		bool pfnmap;
		long n, acct = 0;

		cond_resched();
		n = t1_pin_chunk(m, m->vaddr + (done << PAGE_SHIFT), want, b,
				 &pfnmap_base, &pfnmap);
		if (n < 0) {
			ret = n;
			goto err_release;
		}
		if (pfnmap)
			ret = t1_runs_add(&m->runs, pfnmap_base, n, 0);
		else
			ret = t1_runs_add_pages(&m->runs, b->pages, n, &acct);
		if (ret)
			goto err_release;
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
		if (pending >= T1_ACCT_BATCH) {
			ret = t1_account(m, pending);
			if (ret)
				goto err_release;
			charged += pending;
			pending = 0;
		}

		if (m->runs.nr - c.passed > b->sg_cap) {
			ret = t1_flush(iommu, only, m, &c, false, b);
			if (ret)
				goto err_release;
		}
	}

	ret = t1_account(m, pending);
	if (ret)
		goto err_release;
	charged += pending;

	ret = t1_flush(iommu, only, m, &c, true, b);
	if (ret)
		goto err_release;

	m->pinned = true;
	return 0;

err_release:
	/* Earlier flushes may have mapped a prefix already. */
	t1_unmap_targets(iommu, only, t1_map_iova(m),
			 c.mapped - t1_map_iova(m));
	t1_runs_release(m);
	t1_account(m, -charged);
	return ret;
}

/* Map the already pinned @m into the new domain @d. */
int t1_map_pinned(struct t1_mapping *m, struct t1_domain *d,
		  struct t1_batch *b)
{
	struct t1_cursor c;
	int ret;

	t1_cursor_init(&c, m);
	ret = t1_flush(NULL, d, m, &c, true, b);
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
	refund = t1_runs_release(m);
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
	struct task_struct *task = current->group_leader;
	struct mm_struct *mm = current->mm;
	bool lock_cap;
	int ret;

	if (mm == m->mm)
		return 0;

	lock_cap = capable(CAP_IPC_LOCK);
	ret = t1_mm_account(mm, task, lock_cap, m->locked);
	if (ret)
		return ret;
	t1_mm_account(m->mm, m->task, m->lock_cap, -m->locked);

	if (m->task != task) {
		put_task_struct(m->task);
		m->task = get_task_struct(task);
	}
	mmdrop(m->mm);
	mmgrab(mm);
	m->mm = mm;
	m->lock_cap = lock_cap;
	return 0;
}
