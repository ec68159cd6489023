// SPDX-License-Identifier: GPL-2.0-only
/*
 * pinrun: pinning user memory in bulk, recording it as physically
 * contiguous runs, mapping runs into IOMMU domains and charging the pages
 * to RLIMIT_MEMLOCK. See include/vfio/pinrun.h.
 *
 * Speed comes from doing everything in bulk: GUP fills a page array per
 * call, contiguous pages collapse into one run (and one IOMMU mapping),
 * iommu_map_sg() maps many runs with one IOTLB sync, locked_vm is charged
 * every few tens of MiB by the caller, and unpinning releases a folio at
 * a time.
 *
 * Not built on its own: a wrapper object in each module that uses it
 * includes this file, so the functions are private to that module.
 */

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <vfio/pinrun.h>

/*
 * A run packs into a u64: bits 0-19 hold its length in pages minus one,
 * bits 20-61 its first pfn, bits 62 and 63 are PINRUN_PINNED and
 * PINRUN_ACCT. VM_PFNMAP ranges (device BARs) have neither flag.
 */
#define PINRUN_LEN_BITS		20
#define PINRUN_PFN_BITS		42
#define PINRUN_FLAGS		(PINRUN_PINNED | PINRUN_ACCT)
/* One scatterlist entry must hold a run: its length is 32 bits. */
#define PINRUN_MAX_PAGES	(SZ_1G >> PAGE_SHIFT)

struct pinrun_block {
	struct list_head node;		/* in pinrun_store.blocks */
	unsigned int used;		/* never 0 once on the list */
	u64 ent[];
};

#define PINRUN_BLOCK_ENTS \
	((PAGE_SIZE - sizeof(struct pinrun_block)) / sizeof(u64))

/* Scatterlist entries per iommu_map_sg() call: one IOTLB sync each. */
#define PINRUN_SG_ENTS		256

static u64 pinrun_pack(unsigned long pfn, unsigned long npages, u64 flags)
{
	return flags | ((u64)pfn << PINRUN_LEN_BITS) | (npages - 1);
}

static void pinrun_unpack(u64 v, struct pinrun *r)
{
	r->flags = v & PINRUN_FLAGS;
	r->npages = (v & GENMASK_ULL(PINRUN_LEN_BITS - 1, 0)) + 1;
	r->pfn = (v & ~PINRUN_FLAGS) >> PINRUN_LEN_BITS;
}

void pinrun_store_init(struct pinrun_store *s)
{
	INIT_LIST_HEAD(&s->blocks);
	s->nr = 0;
	s->npages = 0;
}

/*
 * Append @npages pages from @pfn. They merge into the last run when they
 * continue it; at most one new run is needed per call (npages is at most
 * a batch), and its slot is allocated before anything changes, so a
 * failure records nothing.
 */
int pinrun_add(struct pinrun_store *s, unsigned long pfn,
	       unsigned long npages, u64 flags)
{
	struct pinrun_block *blk = NULL;
	unsigned long merge = 0;
	struct pinrun last;

	if (WARN_ON_ONCE(npages > PINRUN_MAX_PAGES))
		return -EINVAL;
	/* Cannot happen on x86 (52-bit physical addresses at most). */
	if ((pfn + npages - 1) >> PINRUN_PFN_BITS)
		return -EFAULT;

	if (!list_empty(&s->blocks)) {
		blk = list_last_entry(&s->blocks, struct pinrun_block, node);
		pinrun_unpack(blk->ent[blk->used - 1], &last);
		if (last.flags == flags && last.pfn + last.npages == pfn)
			merge = min(npages, PINRUN_MAX_PAGES - last.npages);
	}

	if (merge < npages && (!blk || blk->used == PINRUN_BLOCK_ENTS)) {
		struct pinrun_block *nb = kmalloc(PAGE_SIZE,
						  GFP_KERNEL_ACCOUNT);

		if (!nb)
			return -ENOMEM;
		nb->used = 0;
		list_add_tail(&nb->node, &s->blocks);
	}

	s->npages += npages;
	if (merge) {
		blk->ent[blk->used - 1] = pinrun_pack(last.pfn,
						      last.npages + merge,
						      flags);
		pfn += merge;
		npages -= merge;
	}
	if (npages) {
		blk = list_last_entry(&s->blocks, struct pinrun_block, node);
		blk->ent[blk->used++] = pinrun_pack(pfn, npages, flags);
		s->nr++;
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
static int pinrun_add_pages(struct pinrun_store *s, struct page **pages,
			    unsigned long n, long *acct)
{
	unsigned long i = 0;
	int ret;

	*acct = 0;
	while (i < n) {
		struct page *page = pages[i];
		struct folio *folio = page_folio(page);
		unsigned long span, k = 1;
		u64 flags = PINRUN_PINNED;

		span = folio_nr_pages(folio) - folio_page_idx(folio, page);
		while (k < span && i + k < n && pages[i + k] == nth_page(page, k))
			k++;
		if (!folio_test_reserved(folio))
			flags |= PINRUN_ACCT;

		ret = pinrun_add(s, page_to_pfn(page), k, flags);
		if (ret) {
			unpin_user_pages(pages + i, n - i);
			return ret;
		}
		if (flags & PINRUN_ACCT)
			*acct += k;
		i += k;
	}
	return 0;
}

/*
 * Unpin every run (marking the pages dirty when @dirty: the device may
 * have written them) and forget them. Returns the pages that were
 * charged, for the caller to refund.
 */
unsigned long pinrun_release(struct pinrun_store *s, bool dirty)
{
	struct pinrun_block *blk, *tmp;
	unsigned long acct = 0;
	unsigned int i;

	list_for_each_entry_safe(blk, tmp, &s->blocks, node) {
		for (i = 0; i < blk->used; i++) {
			struct pinrun r;

			pinrun_unpack(blk->ent[i], &r);
			if (r.flags & PINRUN_PINNED)
				unpin_user_page_range_dirty_lock(pfn_to_page(r.pfn),
								 r.npages,
								 dirty);
			if (r.flags & PINRUN_ACCT)
				acct += r.npages;
		}
		list_del(&blk->node);
		kfree(blk);
		cond_resched();
	}
	s->nr = 0;
	s->npages = 0;
	return acct;
}

void pinrun_batch_init(struct pinrun_batch *b)
{
	b->pages = (struct page **)__get_free_page(GFP_KERNEL);
	if (b->pages) {
		b->page_cap = PAGE_SIZE / sizeof(struct page *);
	} else {
		b->pages = &b->one_page;
		b->page_cap = 1;
	}

	b->sgl = kmalloc_array(PINRUN_SG_ENTS, sizeof(*b->sgl), GFP_KERNEL);
	if (b->sgl) {
		b->sg_cap = PINRUN_SG_ENTS;
	} else {
		b->sgl = &b->one_sg;
		b->sg_cap = 1;
	}
	sg_init_table(b->sgl, b->sg_cap);
}

void pinrun_batch_fini(struct pinrun_batch *b)
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
bool pinrun_pfn_reserved(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

#ifdef VFIO_HAVE_FOLLOW_PFNMAP_START
/*
 * The pfn behind @addr of a VM_PFNMAP vma, faulting it in if needed.
 * Returns 1 with *@pfn set, 0 if @addr is not mapped (only when @nofault),
 * -EAGAIN when the fault dropped mmap_lock, or a negative errno.
 */
static int pinrun_pfnmap_one(struct mm_struct *mm, struct vm_area_struct *vma,
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
int pinrun_follow_pfnmap(struct mm_struct *mm, unsigned long vaddr,
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
		ret = pinrun_pfnmap_one(mm, vma, at, write, n, &next);
		if (ret == -EAGAIN)
			goto again;
		if (ret < 0 && !n)
			return ret;
		if (ret <= 0)
			break;
		if (!pinrun_pfn_reserved(next)) {
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
int pinrun_follow_pfnmap(struct mm_struct *mm, unsigned long vaddr,
			 unsigned long want, bool write, unsigned long *pfn,
			 int gup_err)
{
	/* No follow_pfnmap_start(): device memory cannot be mapped. */
	return gup_err < 0 ? gup_err : -EFAULT;
}
#endif

/*
 * Pin up to @want pages of @mm from @vaddr and append them to @s; returns
 * how many, or a negative errno with nothing recorded or left pinned.
 * With @allow_pfnmap a VM_PFNMAP range is recorded unpinned instead (its
 * pfns, contiguous from the first one); without, it fails like GUP did.
 * *@acct: the pages recorded as ordinary RAM, to be charged.
 */
long pinrun_pin_chunk(struct mm_struct *mm, unsigned long vaddr,
		      unsigned long want, bool write, bool allow_pfnmap,
		      struct pinrun_store *s, struct pinrun_batch *b,
		      long *acct)
{
	unsigned int gup = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	bool local = current->mm == mm;
	bool pfnmap = false;
	unsigned long pfn;
	long n = 0;
	int ret;

	*acct = 0;
	if (local) {
		/* The caller's own memory: lockless fast GUP. */
		n = pin_user_pages_fast(vaddr, want, gup, b->pages);
		if (n > 0)
			goto record;
	} else if (!mmget_not_zero(mm)) {
		return -ESRCH;
	}

	mmap_read_lock(mm);
	if (!local)
		n = pin_user_pages_remote(mm, vaddr, want, gup, b->pages, NULL);
	if (n <= 0 && allow_pfnmap) {
		n = pinrun_follow_pfnmap(mm, vaddr, want, write, &pfn, n);
		pfnmap = n > 0;
	}
	mmap_read_unlock(mm);
	if (!local)
		mmput(mm);
	if (n <= 0)
		return n ?: -EFAULT;
	if (pfnmap) {
		ret = pinrun_add(s, pfn, n, 0);
		return ret ?: n;
	}
record:
	ret = pinrun_add_pages(s, b->pages, n, acct);
	return ret ?: n;
}

/* Charge (or with negative @npages, refund) @mm's locked_vm. */
static int pinrun_mm_account(struct mm_struct *mm, struct task_struct *task,
			     bool lock_cap, long npages)
{
	int ret = 0;

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

/* The user's counter is shared by all its processes: lock-free update. */
static int pinrun_user_charge(struct user_struct *user,
			      struct task_struct *task, unsigned long npages)
{
	unsigned long limit = task_rlimit(task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	long cur = atomic_long_read(&user->locked_vm);

	do {
		if (npages > limit || (unsigned long)cur > limit - npages)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur,
					  cur + npages));
	return 0;
}

/*
 * Charge @npages to @o, or refund -@npages. Refunds never fail. Charges
 * fail with -ENOMEM above RLIMIT_MEMLOCK (-ESRCH when the mm is gone in
 * ACCT_MM mode) and change nothing then.
 */
int pinrun_account(const struct pinrun_owner *o, long npages)
{
	int ret = 0;

	if (!npages)
		return 0;
	switch (o->mode) {
	case PINRUN_ACCT_USER:
		if (npages > 0)
			ret = pinrun_user_charge(o->user, o->task, npages);
		else
			atomic_long_sub(-npages, &o->user->locked_vm);
		break;
	case PINRUN_ACCT_MM:
		ret = pinrun_mm_account(o->mm, o->task, o->lock_cap, npages);
		break;
	}
	if (!ret && o->pinned_vm)
		atomic64_add(npages, &o->mm->pinned_vm);
	return ret;
}

/*
 * Before charging a batch, refuse early when it would clearly exceed the
 * limit: pins above RLIMIT_MEMLOCK must not pile up before the charge.
 * The real check is the charge itself.
 */
bool pinrun_over_limit(const struct pinrun_owner *o, long pending)
{
	unsigned long limit, cur;

	if (pending <= 0)
		return false;
	switch (o->mode) {
	case PINRUN_ACCT_USER:
		cur = atomic_long_read(&o->user->locked_vm);
		break;
	case PINRUN_ACCT_MM:
		if (o->lock_cap)
			return false;
		cur = READ_ONCE(o->mm->locked_vm);
		break;
	default:
		return false;
	}
	limit = task_rlimit(o->task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	return cur + pending > limit;
}

void pinrun_cursor_init(struct pinrun_cursor *c, dma_addr_t iova)
{
	c->blk = NULL;
	c->idx = 0;
	c->off = 0;
	c->left = ULONG_MAX;
	c->passed = 0;
	c->iova = iova;
	c->mapped = iova;
}

/*
 * Limit an initialized cursor to the pages [@first, @first + @npages) of
 * @s. -EINVAL if the store does not cover them.
 */
int pinrun_cursor_seek(struct pinrun_cursor *c, struct pinrun_store *s,
		       unsigned long first, unsigned long npages)
{
	struct pinrun_block *blk;
	unsigned long at = 0;
	unsigned int i;

	if (!npages || first >= s->npages || s->npages - first < npages)
		return -EINVAL;
	list_for_each_entry(blk, &s->blocks, node) {
		for (i = 0; i < blk->used; i++) {
			struct pinrun r;

			pinrun_unpack(blk->ent[i], &r);
			if (first < at + r.npages) {
				c->blk = &blk->node;
				c->idx = i;
				c->off = first - at;
				c->left = npages;
				return 0;
			}
			at += r.npages;
		}
	}
	return -EINVAL;
}

/*
 * The run at @c, trimmed to the cursor's window, if any; @last says
 * whether it is the store's last run (which may still grow).
 */
static bool pinrun_peek(struct pinrun_store *s, struct pinrun_cursor *c,
			struct pinrun *r, bool *last)
{
	struct pinrun_block *blk;

	if (!c->left)
		return false;
	if (!c->blk) {
		if (list_empty(&s->blocks))
			return false;
		c->blk = s->blocks.next;
	}
	blk = list_entry(c->blk, struct pinrun_block, node);
	if (c->idx == blk->used) {
		if (list_is_last(c->blk, &s->blocks))
			return false;
		c->blk = c->blk->next;
		blk = list_entry(c->blk, struct pinrun_block, node);
		c->idx = 0;
	}
	pinrun_unpack(blk->ent[c->idx], r);
	*last = c->idx + 1 == blk->used && list_is_last(c->blk, &s->blocks);
	r->pfn += c->off;
	r->npages -= c->off;
	r->npages = min(r->npages, c->left);
	return true;
}

static void pinrun_advance(struct pinrun_cursor *c, const struct pinrun *r)
{
	c->idx++;
	c->off = 0;
	c->passed++;
	if (c->left != ULONG_MAX)
		c->left -= r->npages;
	c->iova += (dma_addr_t)r->npages << PAGE_SHIFT;
}

/* Map the scatterlist built so far; the cursor's frontier moves on. */
static int pinrun_flush_sg(struct pinrun_cursor *c, struct pinrun_batch *b,
			   struct pinrun_sink *sink, unsigned int *nents)
{
	size_t len = c->iova - c->mapped;
	int ret;

	if (!*nents)
		return 0;
	ret = sink->map(sink, c->mapped, len, b->sgl, *nents, 0);
	if (ret)
		return ret;
	c->mapped += len;
	*nents = 0;
	return 0;
}

/*
 * Map a run page by page (sink->small) or in one piece (pfnmap memory,
 * which has no struct page for a scatterlist).
 */
static int pinrun_map_direct(struct pinrun_cursor *c, const struct pinrun *r,
			     struct pinrun_sink *sink)
{
	phys_addr_t phys = PFN_PHYS(r->pfn);
	size_t len = (size_t)r->npages << PAGE_SHIFT;
	size_t step = sink->small ? PAGE_SIZE : len;
	size_t off;
	int ret;

	for (off = 0; off < len; off += step) {
		ret = sink->map(sink, c->mapped, step, NULL, 0, phys + off);
		if (ret)
			return ret;
		c->mapped += step;
	}
	return 0;
}

/*
 * Map the runs from the cursor on into @sink. Unless @final the store's
 * last run stays back, as the next pinned pages may extend it: a run must
 * reach the IOMMU whole so it can use large pages. On failure [start,
 * c->mapped) is what the sink holds; undoing it is the caller's job.
 */
int pinrun_flush(struct pinrun_store *s, struct pinrun_cursor *c,
		 bool final, struct pinrun_batch *b, struct pinrun_sink *sink)
{
	unsigned int nents = 0;
	struct pinrun r;
	bool last;
	int ret;

	while (pinrun_peek(s, c, &r, &last)) {
		if (last && !final)
			break;

		if (!(r.flags & PINRUN_PINNED) || sink->small) {
			ret = pinrun_flush_sg(c, b, sink, &nents);
			if (!ret)
				ret = pinrun_map_direct(c, &r, sink);
			if (ret)
				return ret;
		} else {
			if (nents == b->sg_cap) {
				ret = pinrun_flush_sg(c, b, sink, &nents);
				if (ret)
					return ret;
			}
			sg_set_page(&b->sgl[nents++], pfn_to_page(r.pfn),
				    r.npages << PAGE_SHIFT, 0);
		}
		pinrun_advance(c, &r);
	}
	return pinrun_flush_sg(c, b, sink, &nents);
}

/*
 * Map into one domain: the scatterlist, or when @sgl is NULL the physical
 * range from @phys. All or nothing.
 */
int pinrun_domain_map(struct iommu_domain *domain, dma_addr_t iova,
		      size_t len, struct scatterlist *sgl, unsigned int nents,
		      phys_addr_t phys, int prot)
{
	ssize_t mapped;

	if (!sgl)
		return iommu_map(domain, iova, phys, len, prot,
				 GFP_KERNEL_ACCOUNT);

	mapped = iommu_map_sg(domain, iova, sgl, nents, prot,
			      GFP_KERNEL_ACCOUNT);
	if (mapped < 0)
		return mapped;
	if (mapped != len) {
		iommu_unmap(domain, iova, mapped);
		return -EFAULT;
	}
	return 0;
}

/* Unmap [@iova, @iova + @size) and flush the IOTLB before returning. */
void pinrun_domain_unmap(struct iommu_domain *domain, dma_addr_t iova,
			 size_t size)
{
	struct iommu_iotlb_gather gather;
	size_t done = 0;

	iommu_iotlb_gather_init(&gather);
	while (done < size) {
		size_t n = iommu_unmap_fast(domain, iova + done, size - done,
					    &gather);

		/* A hole: only after a partial unwind; step over a page. */
		done += n ? n : PAGE_SIZE;
	}
	iommu_iotlb_sync(domain, &gather);
}
