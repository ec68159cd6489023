/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pinrun: the pin engine shared by vfio_iommu_type1.ko and iommufd.ko.
 *
 * User memory is pinned a batch at a time with GUP, and what GUP returns
 * is recorded as physically contiguous runs packed into u64s (a store).
 * A store is then mapped into IOMMU domains from the runs, many runs per
 * iommu_map_sg() call, without walking page tables again; unpinning works
 * a run (a folio or more) at a time. Pinned pages are charged to an owner
 * in one of the accounting modes of RLIMIT_MEMLOCK.
 *
 * The engine knows nothing of mappings, containers or IOASes. It is not a
 * module and exports nothing: each user links pinrun/pinrun.c into itself
 * through a one-line wrapper object. It takes no lock of its own; the
 * caller serializes every use of a store (type1: t1_iommu.lock, iommufd:
 * ifd_pages.mutex) and calls in with no spinlock held: pinning takes the
 * owner mm's mmap_lock (read to pin, write to charge locked_vm), mapping
 * takes the IOMMU driver's locks.
 */
#ifndef VFIO_PINRUN_H
#define VFIO_PINRUN_H

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/types.h>

struct mm_struct;
struct task_struct;
struct user_struct;

/* A run: @npages pages from @pfn; PINRUN_PINNED/PINRUN_ACCT in @flags. */
struct pinrun {
	unsigned long pfn;
	unsigned long npages;
	u64 flags;
};

/* We hold FOLL_PIN references on the run's pages. */
#define PINRUN_PINNED		BIT_ULL(62)
/* Ordinary RAM: the run's pages count against the owner's limit. */
#define PINRUN_ACCT		BIT_ULL(63)

/* Runs in the order they were pinned (= user VA order). */
struct pinrun_store {
	struct list_head blocks;	/* private block type of pinrun.c */
	unsigned long nr;		/* runs stored */
	unsigned long npages;		/* pages covered by the runs */
};

/*
 * Scratch space of one pin/map pass: the page array GUP fills and the
 * scatterlist handed to iommu_map_sg(). Falls back to one entry each when
 * the allocation fails, so a pass never fails for want of it.
 */
struct pinrun_batch {
	struct page **pages;
	unsigned int page_cap;
	struct scatterlist *sgl;
	unsigned int sg_cap;
	struct page *one_page;
	struct scatterlist one_sg;
};

/* How pinned pages are charged. */
enum pinrun_acct_mode {
	PINRUN_ACCT_NONE,	/* not charged (iommufd with CAP_IPC_LOCK) */
	PINRUN_ACCT_USER,	/* user_struct.locked_vm, RLIMIT of @task */
	PINRUN_ACCT_MM,		/* mm->locked_vm through __account_locked_vm */
};

/* Who pins, and who pays. The references are the caller's. */
struct pinrun_owner {
	struct mm_struct *mm;		/* mmgrab()ed: pinned from, charged */
	struct task_struct *task;	/* group leader: its RLIMIT_MEMLOCK */
	struct user_struct *user;	/* ACCT_USER: charged here */
	u8 mode;			/* enum pinrun_acct_mode */
	bool lock_cap;			/* ACCT_MM: CAP_IPC_LOCK, no limit */
	bool pinned_vm;			/* also count in mm->pinned_vm */
};

/*
 * Where mapping a store into domains has got to. A cursor may cover a
 * window of the store's pages (iommufd areas map a slice of their pages):
 * @off pages of the run at the cursor are skipped, at most @left pages
 * are mapped.
 */
struct pinrun_cursor {
	struct list_head *blk;		/* NULL: not yet at the first block */
	unsigned int idx;		/* run within blk */
	unsigned long off;		/* pages of that run already behind */
	unsigned long left;		/* pages still to map, ULONG_MAX: all */
	unsigned long passed;		/* runs behind the cursor */
	dma_addr_t iova;		/* IOVA of the cursor */
	dma_addr_t mapped;		/* [start, mapped) is in the domains */
};

/*
 * Receiver of mappings: map [iova, iova + len) given as @nents entries of
 * @sgl, or when @sgl is NULL as the physical range from @phys, into every
 * target domain; all or nothing across them.
 */
struct pinrun_sink {
	int (*map)(struct pinrun_sink *sink, dma_addr_t iova, size_t len,
		   struct scatterlist *sgl, unsigned int nents,
		   phys_addr_t phys);
	bool small;			/* PAGE_SIZE IOMMU entries only */
};

void pinrun_store_init(struct pinrun_store *s);
int pinrun_add(struct pinrun_store *s, unsigned long pfn,
	       unsigned long npages, u64 flags);
unsigned long pinrun_release(struct pinrun_store *s, bool dirty);

void pinrun_batch_init(struct pinrun_batch *b);
void pinrun_batch_fini(struct pinrun_batch *b);

bool pinrun_pfn_reserved(unsigned long pfn);
int pinrun_follow_pfnmap(struct mm_struct *mm, unsigned long vaddr,
			 unsigned long want, bool write, unsigned long *pfn,
			 int gup_err);
long pinrun_pin_chunk(struct mm_struct *mm, unsigned long vaddr,
		      unsigned long want, bool write, bool allow_pfnmap,
		      struct pinrun_store *s, struct pinrun_batch *b,
		      long *acct);

int pinrun_account(const struct pinrun_owner *o, long npages);
bool pinrun_over_limit(const struct pinrun_owner *o, long pending);

void pinrun_cursor_init(struct pinrun_cursor *c, dma_addr_t iova);
int pinrun_cursor_seek(struct pinrun_cursor *c, struct pinrun_store *s,
		       unsigned long first, unsigned long npages);
int pinrun_flush(struct pinrun_store *s, struct pinrun_cursor *c,
		 bool final, struct pinrun_batch *b, struct pinrun_sink *sink);

int pinrun_domain_map(struct iommu_domain *domain, dma_addr_t iova,
		      size_t len, struct scatterlist *sgl, unsigned int nents,
		      phys_addr_t phys, int prot);
void pinrun_domain_unmap(struct iommu_domain *domain, dma_addr_t iova,
			 size_t size);

/* Charge locked_vm at least this often while pinning a large range. */
#define PINRUN_ACCT_BATCH	(SZ_64M >> PAGE_SHIFT)

#endif /* VFIO_PINRUN_H */
