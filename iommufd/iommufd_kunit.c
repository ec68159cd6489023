// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite iommufd_iova: the IOVA space of one IOAS without the ioctl
 * layer. Placement of areas (fixed: alignment, reserved, overlap; chosen:
 * first fit around areas and reserved ranges, alignment and page offset,
 * allowed windows), COPY's collection of slices across areas, whole-area
 * unmap, ALLOW_IOVAS against reserved ranges and the huge-pages
 * realignment. Nothing is pinned, so any user address will do; an mm is
 * attached (kunit_vm_mmap) because a pages record grabs the caller's.
 */
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/xarray.h>

#include <vfio/kunit_domain.h>

#include "ifd.h"

#define P		PAGE_SIZE
#define PROT		(IOMMU_READ | IOMMU_WRITE)
#define VA		0x7f0000000000UL

struct ifk {
	struct iommufd_ctx ctx;
	struct ifd_iova iova;
};

static int ifk_init(struct kunit *test)
{
	struct ifk *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	unsigned long u;

	if (!k)
		return -ENOMEM;
	u = kunit_vm_mmap(test, NULL, 0, P, PROT_READ | PROT_WRITE,
			  MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!u || IS_ERR_VALUE(u))
		return -ENOMEM;
	k->ctx.account_mode = IFD_ACCOUNT_USER;
	ifd_iova_init(&k->iova);
	test->priv = k;
	return 0;
}

static void ifk_exit(struct kunit *test)
{
	struct ifk *k = test->priv;

	ifd_iova_destroy(&k->iova);
}

static struct ifd_iova *ifk_iova(struct kunit *test)
{
	return &((struct ifk *)test->priv)->iova;
}

/* MAP of [va, va + len) at *iova (fixed) or a chosen IOVA. */
static int ifk_map(struct kunit *test, unsigned long va, unsigned long len,
		   unsigned long *iova, bool fixed, bool writable)
{
	struct ifk *k = test->priv;
	struct ifd_slice sl = {};
	int ret;

	sl.pages = ifd_pages_new(&k->ctx, va, len, writable);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sl.pages);
	sl.start_byte = va - sl.pages->uva;
	sl.length = len;
	ret = ifd_iova_insert(&k->iova, &sl, 1, len, iova, fixed,
			      writable ? PROT : IOMMU_READ);
	if (sl.pages)
		ifd_pages_put(sl.pages);
	return ret;
}

static unsigned long ifk_map_ok(struct kunit *test, unsigned long va,
				unsigned long len, unsigned long iova,
				bool fixed)
{
	KUNIT_ASSERT_EQ(test, ifk_map(test, va, len, &iova, fixed, true), 0);
	return iova;
}

static void ifk_reserve(struct kunit *test, unsigned long first,
			unsigned long last)
{
	struct ifd_span *s = kzalloc(sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->node.start = first;
	s->node.last = last;
	interval_tree_insert(&s->node, &ifk_iova(test)->reserved);
}

static int ifk_unmap(struct kunit *test, unsigned long first,
		     unsigned long last, unsigned long *done)
{
	return ifd_iova_unmap(ifk_iova(test), first, last, done);
}

static void ifk_fixed(struct kunit *test)
{
	unsigned long iova, done;

	ifk_map_ok(test, VA, 4 * P, SZ_1M, true);
	iova = SZ_1M + P;
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA, P, &iova, true, true), -EEXIST);
	iova = SZ_1M - 1;
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA, 2, &iova, true, true), -EEXIST);
	iova = ULONG_MAX - P + 1;
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA, 2 * P, &iova, true, true),
			-EOVERFLOW);
	/* reserved ranges refuse fixed areas with -EINVAL */
	ifk_reserve(test, SZ_16M, SZ_16M + P - 1);
	iova = SZ_16M - P;
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA, P + 1, &iova, true, true),
			-EINVAL);
	/* byte-exact neighbours are fine */
	ifk_map_ok(test, VA, P, SZ_16M - P, true);
	ifk_map_ok(test, VA + 5, 1, SZ_16M + P, true);
	KUNIT_EXPECT_EQ(test, ifk_unmap(test, 0, ULONG_MAX, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 5 * P + 1);
}

static void ifk_auto(struct kunit *test)
{
	unsigned long a;

	/* first fit starts at PAGE_SIZE */
	KUNIT_EXPECT_EQ(test, ifk_map_ok(test, VA, P, 0, false), P);
	/* a reserved range and an area in the way: the gap after them */
	ifk_reserve(test, 2 * P, 3 * P - 1);
	ifk_map_ok(test, VA, P, 4 * P, true);
	KUNIT_EXPECT_EQ(test, ifk_map_ok(test, VA, P, 0, false), 3 * P);
	KUNIT_EXPECT_EQ(test, ifk_map_ok(test, VA, P, 0, false), 5 * P);
	/* aligned to the length, capped by the VA's alignment */
	KUNIT_EXPECT_EQ(test, ifk_map_ok(test, VA, 4 * P, 0, false), 8 * P);
	/* too big for the gap at 6P: after the last area */
	a = ifk_map_ok(test, VA + P, 4 * P, 0, false);
	KUNIT_EXPECT_EQ(test, a, 12 * P);
	/* at most huge-page alignment */
	a = ifk_map_ok(test, VA, SZ_8M, 0, false);
	KUNIT_EXPECT_EQ(test, a % SZ_2M, 0);
	KUNIT_EXPECT_LT(test, a, (unsigned long)SZ_8M);
	/* the page offset of the VA is kept, in the first gap it fits */
	a = ifk_map_ok(test, VA + 0x123, 0x10, 0, false);
	KUNIT_EXPECT_EQ(test, a, 6 * P + 0x123);
}

static void ifk_allowed(struct kunit *test)
{
	struct rb_root_cached set = RB_ROOT_CACHED;
	struct ifd_iova *iova = ifk_iova(test);
	unsigned long i;
	struct {
		unsigned long first, last;
	} r[] = {
		{ SZ_1M, SZ_1M + P - 1 },	/* adjacent: one window */
		{ SZ_1M + P, SZ_1M + 2 * P - 1 },
		{ SZ_4M, SZ_4M + 4 * P - 1 },
	};

	for (i = 0; i < ARRAY_SIZE(r); i++) {
		struct ifd_span *s = kzalloc(sizeof(*s), GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, s);
		s->node.start = r[i].first;
		s->node.last = r[i].last;
		interval_tree_insert(&s->node, &set);
	}
	/* a reserved range inside one of them: refused, nothing changes */
	ifk_reserve(test, SZ_4M + P, SZ_4M + P);
	KUNIT_EXPECT_EQ(test, ifd_iova_set_allowed(iova, &set), -EADDRINUSE);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&iova->allowed.rb_root));
	KUNIT_EXPECT_EQ(test, ifk_map_ok(test, VA, P, 0, false), P);
	ifd_iova_free_spans(&iova->reserved);

	KUNIT_EXPECT_EQ(test, ifd_iova_set_allowed(iova, &set), 0);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&set.rb_root));
	KUNIT_EXPECT_EQ(test, ifk_map_ok(test, VA, 2 * P, 0, false), SZ_1M);
	KUNIT_EXPECT_EQ(test, ifk_map_ok(test, VA, 3 * P, 0, false), SZ_4M);
	/* the last page of a window: the strict end rule leaves 1 byte */
	KUNIT_EXPECT_EQ(test, ifk_map_ok(test, VA, P - 1, 0, false),
			SZ_4M + 3 * P);
	i = 0;
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA, 1, &i, false, true), -ENOSPC);
}

static void ifk_collect(struct kunit *test)
{
	struct ifd_iova *iova = ifk_iova(test);
	struct ifd_slice *sl;
	unsigned int nr, i;

	ifk_map_ok(test, VA, 2 * P, SZ_1M, true);
	ifk_map_ok(test, VA + 0x10 * P + 8, 2 * P, SZ_1M + 2 * P, true);
	ifk_map_ok(test, VA, P, SZ_1M + 5 * P, true);

	KUNIT_EXPECT_EQ(test, ifd_iova_collect(iova, SZ_1M, 0, &sl, &nr),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ifd_iova_collect(iova, ULONG_MAX, 2, &sl, &nr),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, ifd_iova_collect(iova, SZ_1M - 1, 2, &sl, &nr),
			-ENOENT);
	/* the gap at +4P */
	KUNIT_EXPECT_EQ(test, ifd_iova_collect(iova, SZ_1M, 6 * P, &sl, &nr),
			-ENOENT);

	KUNIT_ASSERT_EQ(test, ifd_iova_collect(iova, SZ_1M + P + 4, 2 * P,
					       &sl, &nr), 0);
	KUNIT_ASSERT_EQ(test, nr, 2);
	KUNIT_EXPECT_EQ(test, sl[0].start_byte, P + 4);
	KUNIT_EXPECT_EQ(test, sl[0].length, P - 4);
	KUNIT_EXPECT_EQ(test, sl[1].start_byte, 8);
	KUNIT_EXPECT_EQ(test, sl[1].length, P + 4);
	/* each slice holds a reference of its area's pages */
	KUNIT_EXPECT_EQ(test, kref_read(&sl[0].pages->kref), 2);
	for (i = 0; i < nr; i++)
		ifd_pages_put(sl[i].pages);
	kfree(sl);
}

static void ifk_unmap_cases(struct kunit *test)
{
	unsigned long done;

	ifk_map_ok(test, VA, 2 * P, SZ_1M, true);
	ifk_map_ok(test, VA, 2 * P, SZ_1M + 2 * P, true);
	ifk_map_ok(test, VA, 2 * P, SZ_1M + 6 * P, true);
	/* nothing there */
	KUNIT_EXPECT_EQ(test, ifk_unmap(test, 0, SZ_1M - 1, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 0);
	/* a cut of the first area: nothing goes */
	KUNIT_EXPECT_EQ(test, ifk_unmap(test, SZ_1M + P, SZ_1M + 3 * P - 1,
					&done), -ENOENT);
	KUNIT_EXPECT_EQ(test, done, 0);
	/* the second fits, the third is cut: the second is gone anyway */
	KUNIT_EXPECT_EQ(test, ifk_unmap(test, SZ_1M + 2 * P, SZ_1M + 7 * P - 1,
					&done), -ENOENT);
	KUNIT_EXPECT_EQ(test, done, 2 * P);
	KUNIT_EXPECT_EQ(test, ifk_unmap(test, 0, ULONG_MAX, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 4 * P);
	/* an area touching the top of the space */
	ifk_map_ok(test, VA, P, ULONG_MAX - P + 1, true);
	KUNIT_EXPECT_EQ(test, ifk_unmap(test, ULONG_MAX - P + 1, ULONG_MAX,
					&done), 0);
	KUNIT_EXPECT_EQ(test, done, P);
}

static void ifk_huge(struct kunit *test)
{
	struct ifd_iova *iova = ifk_iova(test);
	unsigned long a, done;

	KUNIT_EXPECT_EQ(test, iova->alignment, 1);
	ifk_map_ok(test, VA + 1, P, SZ_1M + 1, true);
	KUNIT_EXPECT_EQ(test, ifd_iova_set_huge(iova, false), -EADDRINUSE);
	KUNIT_EXPECT_FALSE(test, iova->no_huge);
	KUNIT_EXPECT_EQ(test, iova->alignment, 1);
	KUNIT_EXPECT_EQ(test, ifk_unmap(test, 0, ULONG_MAX, &done), 0);

	KUNIT_EXPECT_EQ(test, ifd_iova_set_huge(iova, false), 0);
	KUNIT_EXPECT_EQ(test, iova->alignment, P);
	a = SZ_1M + 1;
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA, P, &a, true, true), -EINVAL);
	a = SZ_1M;
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA, P / 2, &a, true, true),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA + 8, P, &a, true, true),
			-EINVAL);
	a = 0;
	KUNIT_EXPECT_EQ(test, ifk_map(test, VA + P / 2, P, &a, false, true),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ifd_iova_set_huge(iova, true), 0);
	KUNIT_EXPECT_EQ(test, iova->alignment, 1);
}

/* A writable area of read-only pages is refused (COPY's -EPERM). */
static void ifk_readonly(struct kunit *test)
{
	struct ifk *k = test->priv;
	struct ifd_slice sl = {};
	unsigned long a = SZ_1M;

	sl.pages = ifd_pages_new(&k->ctx, VA, P, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sl.pages);
	sl.length = P;
	KUNIT_EXPECT_EQ(test, ifd_iova_insert(&k->iova, &sl, 1, P, &a, true,
					      PROT), -EPERM);
	KUNIT_EXPECT_EQ(test, ifd_iova_insert(&k->iova, &sl, 1, P, &a, true,
					      IOMMU_READ), 0);
	KUNIT_EXPECT_NULL(test, sl.pages);
	/* bad pages records */
	KUNIT_EXPECT_EQ(test, PTR_ERR(ifd_pages_new(&k->ctx, VA, 0, true)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ifd_pages_new(&k->ctx, ULONG_MAX, 2,
						    true)), -EOVERFLOW);
}

static struct kunit_case ifk_cases[] = {
	KUNIT_CASE(ifk_fixed),
	KUNIT_CASE(ifk_auto),
	KUNIT_CASE(ifk_allowed),
	KUNIT_CASE(ifk_collect),
	KUNIT_CASE(ifk_unmap_cases),
	KUNIT_CASE(ifk_huge),
	KUNIT_CASE(ifk_readonly),
	{}
};

static struct kunit_suite ifk_suite = {
	.name = "iommufd_iova",
	.init = ifk_init,
	.exit = ifk_exit,
	.test_cases = ifk_cases,
};

/*
 * Suite iommufd_pages: pinning of one MAP's memory through the pin engine
 * (whole range, once, whatever the number of pin users), the three
 * accounting modes and RLIMIT_MEMLOCK, GUP failures, filling a window of
 * the pinned store into a domain, and an IOAS keeping its areas in its
 * domains. The domains are fakes (include/vfio/kunit_domain.h) that
 * record IOVA page -> pfn. The user memory comes from
 * kunit_vm_mmap(); the test thread has CAP_IPC_LOCK, so the cases force
 * the accounting mode of their pages records.
 */
#define IFP_NPAGES	64
#define IFP_IOVA	SZ_1M

struct ifp {
	struct iommufd_ctx ctx;
	unsigned long uva;	/* IFP_NPAGES pages of anonymous memory */
};

static int ifp_init(struct kunit *test)
{
	struct ifp *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);

	if (!k)
		return -ENOMEM;
	k->uva = kunit_vm_mmap(test, NULL, 0, IFP_NPAGES * P,
			       PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!k->uva || IS_ERR_VALUE(k->uva))
		return -ENOMEM;
	k->ctx.account_mode = IFD_ACCOUNT_USER;
	test->priv = k;
	return 0;
}

/* Deferred cleanup: whatever pins a failed case left, then the record. */
static void ifp_pages_drop(void *data)
{
	struct ifd_pages *pages = data;

	while (pages->pin_users)
		ifd_pages_unpin(pages);
	ifd_pages_put(pages);
}

static struct ifd_pages *ifp_pages(struct kunit *test, unsigned long va,
				   unsigned long len, u8 mode)
{
	struct ifp *k = test->priv;
	struct ifd_pages *pages;

	pages = ifd_pages_new(&k->ctx, va, len, true);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pages);
	pages->own.mode = mode;
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, ifp_pages_drop, pages));
	return pages;
}

/* The three counters a pin may move. */
struct ifp_counts {
	s64 pinned_vm;
	long user_locked;
	unsigned long mm_locked;
};

static void ifp_counts(struct ifd_pages *pages, struct ifp_counts *c)
{
	c->pinned_vm = atomic64_read(&pages->own.mm->pinned_vm);
	c->user_locked = atomic_long_read(&pages->own.user->locked_vm);
	c->mm_locked = READ_ONCE(pages->own.mm->locked_vm);
}

static void ifp_expect_delta(struct kunit *test, struct ifd_pages *pages,
			     const struct ifp_counts *base, long pinned,
			     long user, long mm)
{
	struct ifp_counts now;

	ifp_counts(pages, &now);
	KUNIT_EXPECT_EQ(test, now.pinned_vm - base->pinned_vm, (s64)pinned);
	KUNIT_EXPECT_EQ(test, now.user_locked - base->user_locked, user);
	KUNIT_EXPECT_EQ(test, (long)(now.mm_locked - base->mm_locked), mm);
}

static void ifp_pin_modes(struct kunit *test)
{
	static const u8 modes[] = {
		IFD_ACCOUNT_NONE, IFD_ACCOUNT_USER, IFD_ACCOUNT_MM
	};
	struct ifp *k = test->priv;
	const long n = IFP_NPAGES;
	struct ifp_counts base;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		struct ifd_pages *pages;
		long user, mm;

		pages = ifp_pages(test, k->uva, n * P, modes[i]);
		user = modes[i] == IFD_ACCOUNT_USER ? n : 0;
		mm = modes[i] == IFD_ACCOUNT_MM ? n : 0;
		ifp_counts(pages, &base);

		KUNIT_ASSERT_EQ(test, ifd_pages_pin(pages), 0);
		KUNIT_EXPECT_EQ(test, pages->runs.npages, (unsigned long)n);
		KUNIT_EXPECT_GE(test, pages->runs.nr, 1UL);
		ifp_expect_delta(test, pages, &base, n, user, mm);
		/* a second user (another area, a COPY) pins nothing more */
		KUNIT_ASSERT_EQ(test, ifd_pages_pin(pages), 0);
		KUNIT_EXPECT_EQ(test, pages->pin_users, 2U);
		ifp_expect_delta(test, pages, &base, n, user, mm);

		ifd_pages_unpin(pages);
		KUNIT_EXPECT_EQ(test, pages->runs.npages, (unsigned long)n);
		ifd_pages_unpin(pages);
		KUNIT_EXPECT_EQ(test, pages->runs.npages, 0UL);
		KUNIT_EXPECT_EQ(test, pages->runs.nr, 0UL);
		ifp_expect_delta(test, pages, &base, 0, 0, 0);
	}
}

/* Set the test thread's RLIMIT_MEMLOCK (soft) in pages. */
static unsigned long ifp_set_memlock(unsigned long pages)
{
	struct rlimit *rl = &current->signal->rlim[RLIMIT_MEMLOCK];
	unsigned long old;

	task_lock(current->group_leader);
	old = rl->rlim_cur;
	rl->rlim_cur = pages << PAGE_SHIFT;
	task_unlock(current->group_leader);
	return old;
}

static void ifp_restore_memlock(unsigned long bytes)
{
	struct rlimit *rl = &current->signal->rlim[RLIMIT_MEMLOCK];

	task_lock(current->group_leader);
	rl->rlim_cur = bytes;
	task_unlock(current->group_leader);
}

/* Above the limit: -ENOMEM, nothing stays pinned or charged. */
static void ifp_rlimit(struct kunit *test)
{
	struct ifp *k = test->priv;
	struct ifd_pages *user, *mm;
	struct ifp_counts base;
	unsigned long old;

	user = ifp_pages(test, k->uva, IFP_NPAGES * P, IFD_ACCOUNT_USER);
	mm = ifp_pages(test, k->uva, IFP_NPAGES * P, IFD_ACCOUNT_MM);
	ifp_counts(user, &base);

	old = ifp_set_memlock(base.user_locked + IFP_NPAGES / 2);
	KUNIT_EXPECT_EQ(test, ifd_pages_pin(user), -ENOMEM);
	ifp_set_memlock(base.mm_locked + IFP_NPAGES / 2);
	KUNIT_EXPECT_EQ(test, ifd_pages_pin(mm), -ENOMEM);
	/* exactly at the limit is fine */
	ifp_set_memlock(base.mm_locked + IFP_NPAGES);
	KUNIT_EXPECT_EQ(test, ifd_pages_pin(mm), 0);
	ifp_restore_memlock(old);

	KUNIT_EXPECT_EQ(test, user->pin_users, 0U);
	KUNIT_EXPECT_EQ(test, user->runs.npages, 0UL);
	ifp_expect_delta(test, user, &base, IFP_NPAGES, 0, IFP_NPAGES);
	ifd_pages_unpin(mm);
	ifp_expect_delta(test, user, &base, 0, 0, 0);
}

/* Memory GUP refuses: -EFAULT, even when a prefix could be pinned. */
static void ifp_bad_va(struct kunit *test)
{
	struct ifp *k = test->priv;
	struct ifd_pages *pages;
	struct ifp_counts base;

	pages = ifp_pages(test, P, 4 * P, IFD_ACCOUNT_USER);
	ifp_counts(pages, &base);
	KUNIT_EXPECT_EQ(test, ifd_pages_pin(pages), -EFAULT);

	/* the last two pages of the buffer and two past its end */
	pages = ifp_pages(test, k->uva + (IFP_NPAGES - 2) * P, 4 * P,
			  IFD_ACCOUNT_USER);
	KUNIT_EXPECT_EQ(test, ifd_pages_pin(pages), -EFAULT);
	KUNIT_EXPECT_EQ(test, pages->pin_users, 0U);
	KUNIT_EXPECT_EQ(test, pages->runs.npages, 0UL);
	ifp_expect_delta(test, pages, &base, 0, 0, 0);
}

/* The pfn behind user page @idx of the buffer, by a pin of our own. */
static unsigned long ifp_user_pfn(struct kunit *test, unsigned long idx)
{
	struct ifp *k = test->priv;
	struct page *page;
	unsigned long pfn;

	KUNIT_ASSERT_EQ(test, 1L,
			(long)pin_user_pages_fast(k->uva + idx * P, 1,
						  FOLL_WRITE | FOLL_LONGTERM,
						  &page));
	pfn = page_to_pfn(page);
	unpin_user_page(page);
	return pfn;
}

/* Domain holds exactly pages [first, first + n) at IFP_IOVA. */
static void ifp_expect_filled(struct kunit *test, struct kd_domain *fd,
			      unsigned long first, unsigned long n)
{
	unsigned long i;

	KUNIT_EXPECT_EQ(test, kd_count(fd), n);
	KUNIT_EXPECT_EQ(test, fd->remapped, 0U);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, kd_pfn(fd, IFP_IOVA + i * P),
				ifp_user_pfn(test, first + i));
}

static void ifp_fill(struct kunit *test)
{
	struct ifp *k = test->priv;
	struct ifd_pages *pages;
	struct kd_domain *fd;
	bool small;

	pages = ifp_pages(test, k->uva, IFP_NPAGES * P, IFD_ACCOUNT_NONE);
	fd = kd_new(test);
	KUNIT_ASSERT_EQ(test, ifd_pages_pin(pages), 0);

	for (small = false; ; small = true) {
		KUNIT_EXPECT_EQ(test, ifd_pages_fill(pages, &fd->dom, IFP_IOVA,
						     3, 20, PROT, small, NULL),
				0);
		ifp_expect_filled(test, fd, 3, 20);
		ifd_pages_unfill(&fd->dom, IFP_IOVA, 20 * P);
		KUNIT_EXPECT_EQ(test, kd_count(fd), 0UL);
		/* the whole store */
		KUNIT_EXPECT_EQ(test, ifd_pages_fill(pages, &fd->dom, IFP_IOVA,
						     0, IFP_NPAGES, PROT,
						     small, NULL), 0);
		ifp_expect_filled(test, fd, 0, IFP_NPAGES);
		ifd_pages_unfill(&fd->dom, IFP_IOVA, IFP_NPAGES * P);
		if (small)
			break;
	}

	/* windows outside the store */
	KUNIT_EXPECT_EQ(test, ifd_pages_fill(pages, &fd->dom, IFP_IOVA,
					     IFP_NPAGES - 4, 5, PROT, false,
					     NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, ifd_pages_fill(pages, &fd->dom, IFP_IOVA,
					     IFP_NPAGES, 1, PROT, false, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ifd_pages_fill(pages, &fd->dom, IFP_IOVA, 0, 0,
					     PROT, false, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, kd_count(fd), 0UL);

	/* the IOMMU driver fails midway: nothing stays mapped */
	fd->fail_in = 5;
	KUNIT_EXPECT_EQ(test, ifd_pages_fill(pages, &fd->dom, IFP_IOVA, 0,
					     IFP_NPAGES, PROT, true, NULL),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, kd_count(fd), 0UL);
	fd->fail_in = -1;

	ifd_pages_unpin(pages);
}

/*
 * Two areas of one MAP (a COPY) in two domains: one pin, one charge, the
 * same pfns in both.
 */
static void ifp_shared(struct kunit *test)
{
	struct ifp *k = test->priv;
	struct ifd_pages *pages;
	struct kd_domain *a, *c;
	struct ifp_counts base;

	pages = ifp_pages(test, k->uva, IFP_NPAGES * P, IFD_ACCOUNT_USER);
	ifp_counts(pages, &base);
	a = kd_new(test);
	c = kd_new(test);

	KUNIT_ASSERT_EQ(test, ifd_pages_pin(pages), 0);
	KUNIT_ASSERT_EQ(test, ifd_pages_pin(pages), 0);
	KUNIT_EXPECT_EQ(test, ifd_pages_fill(pages, &a->dom, IFP_IOVA, 0,
					     IFP_NPAGES, PROT, false, NULL), 0);
	KUNIT_EXPECT_EQ(test, ifd_pages_fill(pages, &c->dom, IFP_IOVA, 8, 8,
					     PROT, false, NULL), 0);
	ifp_expect_delta(test, pages, &base, IFP_NPAGES, IFP_NPAGES, 0);
	ifp_expect_filled(test, a, 0, IFP_NPAGES);
	ifp_expect_filled(test, c, 8, 8);

	ifd_pages_unfill(&c->dom, IFP_IOVA, 8 * P);
	ifd_pages_unpin(pages);
	ifp_expect_delta(test, pages, &base, IFP_NPAGES, IFP_NPAGES, 0);
	ifd_pages_unfill(&a->dom, IFP_IOVA, IFP_NPAGES * P);
	ifd_pages_unpin(pages);
	ifp_expect_delta(test, pages, &base, 0, 0, 0);
}

/* MAP: an area of @len bytes of user memory at @va, at IOVA @at. */
static int ifp_map(struct kunit *test, struct ifd_iova *iova,
		   unsigned long va, unsigned long len, unsigned long at)
{
	struct ifp *k = test->priv;
	struct ifd_slice sl = {};
	int ret;

	sl.pages = ifd_pages_new(&k->ctx, va, len, true);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sl.pages);
	sl.start_byte = va - sl.pages->uva;
	sl.length = len;
	ret = ifd_iova_insert(iova, &sl, 1, len, &at, true, PROT);
	if (sl.pages)
		ifd_pages_put(sl.pages);
	return ret;
}

/* COPY: @len bytes mapped from IOVA @src, again at IOVA @at. */
static int ifp_copy(struct kunit *test, struct ifd_iova *iova,
		    unsigned long src, unsigned long len, unsigned long at)
{
	struct ifd_slice *sl;
	unsigned int nr, i;
	int ret;

	KUNIT_ASSERT_EQ(test, ifd_iova_collect(iova, src, len, &sl, &nr), 0);
	ret = ifd_iova_insert(iova, sl, nr, len, &at, true, PROT);
	for (i = 0; i < nr; i++)
		if (sl[i].pages)
			ifd_pages_put(sl[i].pages);
	kfree(sl);
	return ret;
}

static struct ifd_area *ifp_area(struct ifd_iova *iova, unsigned long at)
{
	struct interval_tree_node *n;

	n = interval_tree_iter_first(&iova->areas, at, at);
	return n ? container_of(n, struct ifd_area, node) : NULL;
}

/* The domain maps @n pages at @at to user pages @first.. of the buffer. */
static void ifp_expect_at(struct kunit *test, struct kd_domain *fd,
			  unsigned long at, unsigned long first,
			  unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, kd_pfn(fd, at + i * P),
				ifp_user_pfn(test, first + i));
}

/* Runs before the fake domains are freed: they were created first. */
static void ifp_iova_done(void *data)
{
	struct ifd_iova *iova = data;
	struct iommu_domain *domain;
	unsigned long idx;

	/* a failed case may have left domains in */
	xa_for_each(&iova->domains, idx, domain)
		ifd_iova_remove_domain(iova, domain);
	ifd_iova_destroy(iova);
}

static struct ifd_iova *ifp_iova(struct kunit *test)
{
	struct ifd_iova *iova = kunit_kzalloc(test, sizeof(*iova), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, iova);
	ifd_iova_init(iova);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, ifp_iova_done, iova));
	return iova;
}

/*
 * An IOAS's areas and its domains (what HWPTs do): the first domain pins
 * and fills, the next ones only fill, MAP/COPY/UNMAP follow every domain,
 * failures change nothing, the last domain out unpins.
 */
static void ifp_ioas_domains(struct kunit *test)
{
	struct ifp *k = test->priv;
	struct ifd_area *a, *c;
	struct kd_domain *d1, *d2;
	struct ifp_counts base;
	struct ifd_iova *iova;
	unsigned long before;

	d1 = kd_new(test);
	d2 = kd_new(test);
	iova = ifp_iova(test);

	/* 32 pages at 1M; pages 8..15 of them copied to 4M */
	KUNIT_ASSERT_EQ(test, ifp_map(test, iova, k->uva, 32 * P, SZ_1M), 0);
	KUNIT_ASSERT_EQ(test, ifp_copy(test, iova, SZ_1M + 8 * P, 8 * P,
				       SZ_4M), 0);
	a = ifp_area(iova, SZ_1M);
	c = ifp_area(iova, SZ_4M);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_PTR_EQ(test, a->pages, c->pages);
	ifp_counts(a->pages, &base);
	KUNIT_EXPECT_EQ(test, a->pages->pin_users, 0U);
	KUNIT_EXPECT_EQ(test, iova->alignment, 1UL);

	/* first domain: one pin per area, one GUP for both */
	KUNIT_ASSERT_EQ(test, ifd_iova_add_domain(iova, &d1->dom), 0);
	KUNIT_EXPECT_EQ(test, a->pages->pin_users, 2U);
	KUNIT_EXPECT_TRUE(test, a->filled && c->filled);
	KUNIT_EXPECT_EQ(test, iova->alignment, P);
	KUNIT_EXPECT_EQ(test, kd_count(d1), 40UL);
	ifp_expect_at(test, d1, SZ_1M, 0, 32);
	ifp_expect_at(test, d1, SZ_4M, 8, 8);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->pages->own.mm->pinned_vm) -
			base.pinned_vm, 32LL);

	/* second domain: filled from the same pins */
	KUNIT_ASSERT_EQ(test, ifd_iova_add_domain(iova, &d2->dom), 0);
	KUNIT_EXPECT_EQ(test, a->pages->pin_users, 2U);
	KUNIT_EXPECT_EQ(test, kd_count(d2), 40UL);
	ifp_expect_at(test, d2, SZ_4M, 8, 8);

	/* MAP with domains: pinned and in both */
	KUNIT_ASSERT_EQ(test, ifp_map(test, iova, k->uva + 40 * P, 4 * P,
				      SZ_8M), 0);
	KUNIT_EXPECT_EQ(test, kd_count(d1), 44UL);
	ifp_expect_at(test, d2, SZ_8M, 40, 4);
	KUNIT_EXPECT_TRUE(test, ifp_area(iova, SZ_8M)->filled);

	/* bad memory, or a domain failing: the MAP leaves nothing */
	KUNIT_EXPECT_EQ(test, ifp_map(test, iova, P, 4 * P, SZ_16M), -EFAULT);
	d2->fail_in = 0;
	KUNIT_EXPECT_EQ(test, ifp_map(test, iova, k->uva + 48 * P, 4 * P,
				      SZ_16M), -ENOSPC);
	d2->fail_in = -1;
	KUNIT_EXPECT_NULL(test, ifp_area(iova, SZ_16M));
	KUNIT_EXPECT_EQ(test, kd_count(d1), 44UL);
	KUNIT_EXPECT_EQ(test, kd_count(d2), 44UL);

	/* UNMAP takes it out of both; its own pages are unpinned */
	KUNIT_EXPECT_EQ(test, ifd_iova_unmap(iova, SZ_8M, SZ_8M + 4 * P - 1,
					     &before), 0);
	KUNIT_EXPECT_EQ(test, before, 4 * P);
	KUNIT_EXPECT_EQ(test, kd_count(d1), 40UL);
	KUNIT_EXPECT_EQ(test, kd_count(d2), 40UL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&a->pages->own.mm->pinned_vm) -
			base.pinned_vm, 32LL);

	/* huge pages cannot be turned off under mapped domains */
	KUNIT_EXPECT_EQ(test, ifd_iova_set_huge(iova, false), -EINVAL);

	/* leaving: the last domain out unpins */
	ifd_iova_remove_domain(iova, &d1->dom);
	KUNIT_EXPECT_EQ(test, kd_count(d1), 0UL);
	KUNIT_EXPECT_EQ(test, a->pages->pin_users, 2U);
	ifd_iova_remove_domain(iova, &d2->dom);
	KUNIT_EXPECT_EQ(test, kd_count(d2), 0UL);
	KUNIT_EXPECT_EQ(test, a->pages->pin_users, 0U);
	KUNIT_EXPECT_FALSE(test, a->filled || c->filled);
	KUNIT_EXPECT_EQ(test, iova->alignment, 1UL);
	ifp_expect_delta(test, a->pages, &base, 0, 0, 0);
}

/* A domain the IOAS cannot take: refused, nothing changed. */
static void ifp_ioas_domain_refused(struct kunit *test)
{
	struct ifp *k = test->priv;
	struct ifd_area *a;
	struct ifd_iova *iova;
	struct kd_domain *d;

	d = kd_new(test);
	iova = ifp_iova(test);
	KUNIT_ASSERT_EQ(test, ifp_map(test, iova, k->uva, 8 * P, SZ_4M), 0);
	a = ifp_area(iova, SZ_4M);

	/* an area outside the aperture */
	d->dom.geometry.aperture_end = SZ_2M - 1;
	KUNIT_EXPECT_EQ(test, ifd_iova_add_domain(iova, &d->dom),
			-EADDRINUSE);
	d->dom.geometry.aperture_end = ULONG_MAX;
	/* pages larger than PAGE_SIZE only */
	d->dom.pgsize_bitmap = SZ_2M;
	KUNIT_EXPECT_EQ(test, ifd_iova_add_domain(iova, &d->dom), -EINVAL);
	d->dom.pgsize_bitmap = PAGE_SIZE;
	/* the driver fails midway */
	d->fail_in = 3;
	KUNIT_EXPECT_EQ(test, ifd_iova_add_domain(iova, &d->dom), -ENOSPC);
	d->fail_in = -1;

	KUNIT_EXPECT_EQ(test, kd_count(d), 0UL);
	KUNIT_EXPECT_EQ(test, a->pages->pin_users, 0U);
	KUNIT_EXPECT_FALSE(test, a->filled);
	KUNIT_EXPECT_TRUE(test, xa_empty(&iova->domains));
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&iova->reserved.rb_root));
	KUNIT_EXPECT_EQ(test, iova->alignment, 1UL);

	/* a byte-granular area cannot go into a page-granular domain */
	KUNIT_ASSERT_EQ(test, ifp_map(test, iova, k->uva + 1, 100,
				      SZ_8M + 1), 0);
	KUNIT_EXPECT_EQ(test, ifd_iova_add_domain(iova, &d->dom),
			-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, a->pages->pin_users, 0U);
}

static struct kunit_case ifp_cases[] = {
	KUNIT_CASE(ifp_pin_modes),
	KUNIT_CASE(ifp_rlimit),
	KUNIT_CASE(ifp_bad_va),
	KUNIT_CASE(ifp_fill),
	KUNIT_CASE(ifp_shared),
	KUNIT_CASE(ifp_ioas_domains),
	KUNIT_CASE(ifp_ioas_domain_refused),
	{}
};

static struct kunit_suite ifp_suite = {
	.name = "iommufd_pages",
	.init = ifp_init,
	.test_cases = ifp_cases,
};

/*
 * Suite iommufd_hwpt: HWPT_PAGING objects in a context's table, on an
 * IOAS with a mapped area, for a fake device: a struct device whose
 * dev_iommu points at a fake IOMMU instance whose ops allocate the next
 * fake domain. Creation (flags, dirty capability, coherency, driver and
 * IOAS refusals leave nothing behind), the IOAS reference (DESTROY busy),
 * DESTROY and close emptying the domain and unpinning.
 */
struct ifh {
	struct iommufd_ctx ctx;
	struct device dev;
	struct dev_iommu dev_iommu;
	struct iommu_device iommu;
	struct iommu_ops ops;
	struct ifd_ioas *ioas;
	struct ifd_area *area;	/* 8 pages at IFH_IOVA */
};

#define IFH_IOVA	SZ_1M

/* What the fake driver hands out next, and what it was asked. */
static struct kd_domain *ifh_next;
static u32 ifh_flags;
static bool ifh_dirty_cap;

static struct iommu_domain *ifh_alloc_user(struct device *dev, u32 flags,
					   struct iommu_domain *parent,
					   const struct iommu_user_data *data)
{
	struct kd_domain *kd = ifh_next;

	ifh_flags = flags;
	ifh_next = NULL;
	return kd ? &kd->dom : ERR_PTR(-ENOMEM);
}

static bool ifh_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_DIRTY_TRACKING && ifh_dirty_cap;
}

static int ifh_init(struct kunit *test)
{
	struct ifh *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct ifd_slice sl = {};
	unsigned long uva, at = IFH_IOVA;
	struct interval_tree_node *n;

	if (!k)
		return -ENOMEM;
	uva = kunit_vm_mmap(test, NULL, 0, 8 * P, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!uva || IS_ERR_VALUE(uva))
		return -ENOMEM;
	xa_init_flags(&k->ctx.objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&k->ctx.destroy_wait);
	k->ctx.account_mode = IFD_ACCOUNT_USER;
	k->ops.domain_alloc_user = ifh_alloc_user;
	k->ops.capable = ifh_capable;
	k->iommu.ops = &k->ops;
	k->dev_iommu.iommu_dev = &k->iommu;
	k->dev.iommu = &k->dev_iommu;
	ifh_next = NULL;
	ifh_dirty_cap = false;
	test->priv = k;

	k->ioas = ifd_ioas_new(&k->ctx);
	if (IS_ERR(k->ioas))
		return PTR_ERR(k->ioas);
	ifd_obj_publish(&k->ctx, &k->ioas->obj);
	sl.pages = ifd_pages_new(&k->ctx, uva, 8 * P, true);
	if (IS_ERR(sl.pages))
		return PTR_ERR(sl.pages);
	sl.length = 8 * P;
	if (ifd_iova_insert(&k->ioas->iova, &sl, 1, 8 * P, &at, true, PROT)) {
		ifd_pages_put(sl.pages);
		return -EINVAL;
	}
	n = interval_tree_iter_first(&k->ioas->iova.areas, IFH_IOVA,
				     IFH_IOVA);
	k->area = container_of(n, struct ifd_area, node);
	return 0;
}

/* Before the fake domains and the user memory go: the close of the fd. */
static void ifh_exit(struct kunit *test)
{
	struct ifh *k = test->priv;

	ifd_obj_destroy_all(&k->ctx);
	xa_destroy(&k->ctx.objects);
}

static struct ifd_hwpt *ifh_new(struct kunit *test, u32 flags, bool cc)
{
	struct ifh *k = test->priv;
	struct ifd_hwpt *hwpt;

	mutex_lock(&k->ioas->mutex);
	hwpt = ifd_hwpt_paging_new(&k->ctx, k->ioas, &k->dev, flags, cc, true,
				   NULL);
	mutex_unlock(&k->ioas->mutex);
	return hwpt;
}

static unsigned long ifh_objects(struct ifh *k)
{
	unsigned long id, n = 0;
	void *obj;

	xa_for_each(&k->ctx.objects, id, obj)
		n++;
	return n;
}

/* Nothing left of a failed creation. */
static void ifh_expect_clean(struct kunit *test, struct kd_domain *kd)
{
	struct ifh *k = test->priv;

	KUNIT_EXPECT_EQ(test, ifh_objects(k), 1UL);
	KUNIT_EXPECT_EQ(test, refcount_read(&k->ioas->obj.users), 1U);
	KUNIT_EXPECT_TRUE(test, list_empty(&k->ioas->hwpts));
	KUNIT_EXPECT_TRUE(test, xa_empty(&k->ioas->iova.domains));
	KUNIT_EXPECT_EQ(test, k->area->pages->pin_users, 0U);
	if (kd)
		KUNIT_EXPECT_EQ(test, kd_count(kd), 0UL);
}

static void ifh_lifecycle(struct kunit *test)
{
	struct ifh *k = test->priv;
	struct kd_domain *kd = kd_new(test);
	struct ifd_hwpt *hwpt;
	u32 id;

	ifh_next = kd;
	hwpt = ifh_new(test, 0, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hwpt);
	ifd_obj_publish(&k->ctx, &hwpt->obj);
	id = hwpt->obj.id;

	KUNIT_EXPECT_PTR_EQ(test, hwpt->domain, &kd->dom);
	KUNIT_EXPECT_PTR_EQ(test, kd->dom.owner,
			    (const struct iommu_ops *)&k->ops);
	KUNIT_EXPECT_TRUE(test, hwpt->auto_domain);
	KUNIT_EXPECT_EQ(test, ifh_flags, 0U);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 8UL);
	KUNIT_EXPECT_TRUE(test, k->area->filled);
	KUNIT_EXPECT_EQ(test, refcount_read(&k->ioas->obj.users), 2U);

	/* the IOAS is busy while the HWPT holds it */
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(&k->ctx, k->ioas->obj.id),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(&k->ctx, id), 0);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(&k->ctx, id), -ENOENT);
	ifh_expect_clean(test, kd);
	KUNIT_EXPECT_FALSE(test, k->area->filled);
}

static void ifh_refused(struct kunit *test)
{
	struct ifh *k = test->priv;
	struct kd_domain *kd = kd_new(test);
	struct ifd_hwpt *hwpt;

	/* flags the engine does not know, or dirty tracking without the cap */
	ifh_next = kd;
	KUNIT_EXPECT_EQ(test, PTR_ERR(ifh_new(test, BIT(31), false)),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ifh_new(test, IOMMU_HWPT_FAULT_ID_VALID,
					      false)), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(ifh_new(test, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					false)), -EOPNOTSUPP);
	KUNIT_EXPECT_PTR_EQ(test, ifh_next, kd);
	ifh_expect_clean(test, kd);

	/* the driver fails */
	ifh_next = NULL;
	KUNIT_EXPECT_EQ(test, PTR_ERR(ifh_new(test, 0, false)), -ENOMEM);
	ifh_expect_clean(test, NULL);

	/* no coherency enforcement in the fake: -EINVAL before any map */
	ifh_next = kd;
	KUNIT_EXPECT_EQ(test, PTR_ERR(ifh_new(test, 0, true)), -EINVAL);
	ifh_expect_clean(test, kd);

	/* the IOAS refuses the domain: an area outside its aperture */
	kd->dom.geometry.aperture_end = IFH_IOVA - 1;
	ifh_next = kd;
	KUNIT_EXPECT_EQ(test, PTR_ERR(ifh_new(test, 0, false)), -EADDRINUSE);
	ifh_expect_clean(test, kd);
	kd->dom.geometry.aperture_end = ULONG_MAX;

	/* with the capability the flags reach the driver */
	ifh_dirty_cap = true;
	ifh_next = kd;
	hwpt = ifh_new(test, IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
		       IOMMU_HWPT_ALLOC_NEST_PARENT, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hwpt);
	KUNIT_EXPECT_EQ(test, ifh_flags, IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			IOMMU_HWPT_ALLOC_NEST_PARENT);
	KUNIT_EXPECT_TRUE(test, hwpt->dirty_tracking && hwpt->nest_parent);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 8UL);

	/* an attach that failed: the unpublished HWPT is aborted */
	mutex_lock(&k->ioas->mutex);
	ifd_hwpt_paging_abort(&k->ctx, hwpt);
	mutex_unlock(&k->ioas->mutex);
	ifh_expect_clean(test, kd);
}

/* Close with a HWPT on the IOAS: it goes first, the pins with it. */
static void ifh_close(struct kunit *test)
{
	struct ifh *k = test->priv;
	struct kd_domain *kd = kd_new(test);
	struct ifd_hwpt *hwpt;

	ifh_next = kd;
	hwpt = ifh_new(test, 0, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hwpt);
	ifd_obj_publish(&k->ctx, &hwpt->obj);
	KUNIT_EXPECT_EQ(test, k->area->pages->pin_users, 1U);

	ifd_obj_destroy_all(&k->ctx);
	KUNIT_EXPECT_TRUE(test, xa_empty(&k->ctx.objects));
	KUNIT_EXPECT_EQ(test, kd_count(kd), 0UL);
}

/*
 * A fake driver's dirty tracking over the 8 area pages at IFH_IOVA: one
 * dirty bit per page, except pages 4..7, one "huge" PTE with one bit (at
 * index 4). Like VT-d it steps PTE by PTE from the IOVA it is given and
 * records each dirty PTE from there for the PTE's size. It records into
 * the gather only (iommu_dirty_bitmap_record() would also reach for
 * iova_bitmap_set(), which only a kernel with IOMMUFD_DRIVER has; we
 * never pass a bitmap).
 */
static unsigned long ifh_dirty_bits;
static bool ifh_dirty_on;
static unsigned int ifh_dirty_reads;

static int ifh_set_dirty(struct iommu_domain *domain, bool enabled)
{
	ifh_dirty_on = enabled;
	return 0;
}

static int ifh_read_dirty(struct iommu_domain *domain, unsigned long iova,
			  size_t size, unsigned long flags,
			  struct iommu_dirty_bitmap *dirty)
{
	unsigned long end = iova + size, idx, pgsize;

	ifh_dirty_reads++;
	while (iova < end) {
		idx = (iova - IFH_IOVA) / P;
		pgsize = idx >= 4 ? 4 * P : P;
		if (idx >= 4)
			idx = 4;
		if (idx < 8 && test_bit(idx, &ifh_dirty_bits)) {
			iommu_iotlb_gather_add_range(dirty->gather, iova,
						     pgsize);
			if (!(flags & IOMMU_DIRTY_NO_CLEAR))
				clear_bit(idx, &ifh_dirty_bits);
		}
		iova += pgsize;
	}
	return 0;
}

static const struct iommu_dirty_ops ifh_dirty_ops = {
	.set_dirty_tracking = ifh_set_dirty,
	.read_and_clear_dirty = ifh_read_dirty,
};

/* A handler run as the ioctl would, its struct in user memory. */
static int ifh_ioctl(struct kunit *test, int (*fn)(struct ifd_ucmd *uc),
		     void *cmd, size_t size)
{
	struct ifh *k = test->priv;
	unsigned long u;
	struct ifd_ucmd uc = {
		.ctx = &k->ctx, .user_size = size, .cmd = cmd,
	};
	int ret;

	u = kunit_vm_mmap(test, NULL, 0, P, PROT_READ | PROT_WRITE,
			  MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_TRUE(test, u && !IS_ERR_VALUE(u));
	uc.ubuf = (void __user *)u;
	KUNIT_ASSERT_EQ(test, copy_to_user(uc.ubuf, cmd, size), 0UL);
	ret = fn(&uc);
	KUNIT_ASSERT_EQ(test, copy_from_user(cmd, uc.ubuf, size), 0UL);
	return ret;
}

static u64 __user *ifh_ubitmap(struct kunit *test)
{
	unsigned long u = kunit_vm_mmap(test, NULL, 0, P,
					PROT_READ | PROT_WRITE,
					MAP_ANONYMOUS | MAP_PRIVATE, 0);

	KUNIT_ASSERT_TRUE(test, u && !IS_ERR_VALUE(u));
	return (u64 __user *)u;
}

static u64 ifh_word(struct kunit *test, u64 __user *p)
{
	u64 v;

	KUNIT_ASSERT_EQ(test, get_user(v, p), 0);
	return v;
}

static int ifh_get_dirty(struct kunit *test, u32 id, u32 flags, u64 iova,
			 u64 length, u64 page_size, u64 __user *data)
{
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .hwpt_id = id, .flags = flags,
		.iova = iova, .length = length, .page_size = page_size,
		.data = (uintptr_t)data,
	};

	return ifh_ioctl(test, ifd_hwpt_get_dirty_bitmap, &g, sizeof(g));
}

static int ifh_set_tracking(struct kunit *test, u32 id, bool enable)
{
	struct iommu_hwpt_set_dirty_tracking d = {
		.size = sizeof(d), .hwpt_id = id,
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
	};

	return ifh_ioctl(test, ifd_hwpt_set_dirty_tracking, &d, sizeof(d));
}

/* The checks: ids, __reserved, the range, a domain without dirty ops. */
static void ifh_dirty_refused(struct kunit *test)
{
	struct ifh *k = test->priv;
	struct kd_domain *kd = kd_new(test);
	u64 __user *bm = ifh_ubitmap(test);
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .iova = IFH_IOVA, .length = 8 * P,
		.page_size = P, .data = (uintptr_t)bm, .__reserved = 1,
	};
	struct ifd_hwpt *hwpt;
	u32 id, ioas = k->ioas->obj.id;

	ifh_next = kd;
	hwpt = ifh_new(test, 0, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hwpt);
	ifd_obj_publish(&k->ctx, &hwpt->obj);
	id = hwpt->obj.id;

	/* only a HWPT_PAGING has dirty state */
	KUNIT_EXPECT_EQ(test, ifh_set_tracking(test, ioas, true), -ENOENT);
	KUNIT_EXPECT_EQ(test, ifh_set_tracking(test, 99, true), -ENOENT);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, ioas, 0, IFH_IOVA, 8 * P, P,
					    bm), -ENOENT);
	g.hwpt_id = id;
	KUNIT_EXPECT_EQ(test, ifh_ioctl(test, ifd_hwpt_get_dirty_bitmap, &g,
					sizeof(g)), -EOPNOTSUPP);
	/* the range is checked before the dirty ops */
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA, 0, P, bm),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, ULLONG_MAX - P + 1,
					    2 * P, P, bm), -EOVERFLOW);
	/* the domain made the IOAS page aligned */
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA + P / 2, P,
					    P / 2, bm), -EINVAL);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA, P + P / 2,
					    P / 2, bm), -EINVAL);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA, 8 * P, 0,
					    bm), -EINVAL);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA + P, 8 * P,
					    2 * P, bm), -EINVAL);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA, 3 * P,
					    2 * P, bm), -EINVAL);
	/* valid, but no dirty ops */
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA, 8 * P, P,
					    bm), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, ifh_set_tracking(test, id, true), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, ifh_set_tracking(test, id, false), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, ifh_word(test, bm), 0ULL);
}

/* Bits through the gather: pages, the huge PTE, NO_CLEAR, gaps. */
static void ifh_dirty_bitmap(struct kunit *test)
{
	struct ifh *k = test->priv;
	struct kd_domain *kd = kd_new(test);
	u64 __user *bm = ifh_ubitmap(test);
	struct ifd_hwpt *hwpt;
	u32 id;

	kd->dom.dirty_ops = &ifh_dirty_ops;
	ifh_dirty_cap = true;
	ifh_next = kd;
	hwpt = ifh_new(test, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hwpt);
	ifd_obj_publish(&k->ctx, &hwpt->obj);
	id = hwpt->obj.id;

	/* tracking off: nothing read, nothing written */
	ifh_dirty_bits = BIT(1);
	ifh_dirty_reads = 0;
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA, 8 * P, P,
					    bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_dirty_reads, 0U);
	KUNIT_EXPECT_EQ(test, ifh_word(test, bm), 0ULL);

	/* enabling clears what the PTEs held */
	KUNIT_EXPECT_EQ(test, ifh_set_tracking(test, id, true), 0);
	KUNIT_EXPECT_TRUE(test, ifh_dirty_on);
	KUNIT_EXPECT_EQ(test, ifh_dirty_bits, 0UL);

	/* pages 1, 3 and the huge PTE; bits already set stay */
	ifh_dirty_bits = BIT(1) | BIT(3) | BIT(4);
	KUNIT_ASSERT_EQ(test, put_user(BIT_ULL(40), bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id,
					    IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
					    IFH_IOVA, 8 * P, P, bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_word(test, bm), BIT_ULL(40) | 0xfaULL);
	KUNIT_EXPECT_EQ(test, ifh_dirty_bits, BIT(1) | BIT(3) | BIT(4));
	/* two pages a bit, from IFH_IOVA + 2P: bit 0 = pages 2-3 */
	KUNIT_ASSERT_EQ(test, put_user(0ULL, bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA + 2 * P,
					    6 * P, 2 * P, bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_word(test, bm), 0x7ULL);
	KUNIT_EXPECT_EQ(test, ifh_dirty_bits, BIT(1));

	/* from inside the huge PTE: its bits from there, clipped at the end */
	ifh_dirty_bits = BIT(4);
	KUNIT_ASSERT_EQ(test, put_user(0ULL, bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA + 6 * P,
					    2 * P, P, bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_word(test, bm), 0x3ULL);

	/* a range leaving the areas: walked up to the gap, still 0 */
	ifh_dirty_bits = BIT(0) | BIT(7 - 3);
	KUNIT_ASSERT_EQ(test, put_user(0ULL, bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA, 16 * P, P,
					    bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_word(test, bm), 0xf1ULL);
	/* starting before the areas: nothing at all */
	ifh_dirty_bits = BIT(0);
	KUNIT_ASSERT_EQ(test, put_user(0ULL, bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA - P, 9 * P,
					    P, bm), 0);
	KUNIT_EXPECT_EQ(test, ifh_word(test, bm), 0ULL);
	KUNIT_EXPECT_EQ(test, ifh_dirty_bits, BIT(0));
	/* a bitmap that cannot be written: 0 as upstream */
	KUNIT_EXPECT_EQ(test, ifh_get_dirty(test, id, 0, IFH_IOVA, 8 * P, P,
					    (u64 __user *)16), 0);

	KUNIT_EXPECT_EQ(test, ifh_set_tracking(test, id, false), 0);
	KUNIT_EXPECT_FALSE(test, ifh_dirty_on);
}

/*
 * A fake nested domain whose driver completes invalidation entries (u32
 * each, data type 0) until one reads 0xbad.
 */
static int ifh_invalidate_user(struct iommu_domain *domain,
			       struct iommu_user_data_array *array)
{
	u32 i, v;

	if (array->type) {
		array->entry_num = 0;
		return -EINVAL;
	}
	for (i = 0; i < array->entry_num; i++) {
		if (copy_from_user(&v, array->uptr + i * array->entry_len,
				   sizeof(v)))
			v = 0xbad;
		if (v == 0xbad) {
			array->entry_num = i;
			return -EINVAL;
		}
	}
	return 0;
}

static const struct iommu_domain_ops ifh_nested_ops = {
	.cache_invalidate_user = ifh_invalidate_user,
};

static int ifh_invalidate(struct kunit *test, u32 id, u32 type,
			  void __user *data, u32 len, u32 *num)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = id, .data_type = type,
		.data_uptr = (uintptr_t)data, .entry_len = len,
		.entry_num = *num,
	};
	int ret = ifh_ioctl(test, ifd_hwpt_invalidate, &inv, sizeof(inv));

	*num = inv.entry_num;
	return ret;
}

static void ifh_invalidate_nested(struct kunit *test)
{
	struct ifh *k = test->priv;
	struct kd_domain *kd = kd_new(test), *nd = kd_new(test);
	u32 __user *e = (u32 __user *)ifh_ubitmap(test);
	struct ifd_hwpt *parent, *nested;
	struct ifd_obj *obj;
	u32 num;

	ifh_next = kd;
	parent = ifh_new(test, 0, false);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, parent);
	ifd_obj_publish(&k->ctx, &parent->obj);
	/* what ifd_hwpt_nested_new() would make of the driver's domain */
	obj = ifd_obj_reserve(&k->ctx, sizeof(*nested), IFD_OBJ_HWPT_NESTED);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	nested = container_of(obj, struct ifd_hwpt, obj);
	nd->dom.type = IOMMU_DOMAIN_NESTED;
	nd->dom.ops = &ifh_nested_ops;
	nested->domain = &nd->dom;
	refcount_inc(&parent->obj.users);
	nested->parent = parent;
	ifd_obj_publish(&k->ctx, obj);

	KUNIT_ASSERT_EQ(test, put_user(1, e), 0);
	KUNIT_ASSERT_EQ(test, put_user(2, e + 2), 0);
	KUNIT_ASSERT_EQ(test, put_user(0xbad, e + 4), 0);
	/* all done: entry_num stays */
	num = 2;
	KUNIT_EXPECT_EQ(test, ifh_invalidate(test, obj->id, 0, e, 8, &num), 0);
	KUNIT_EXPECT_EQ(test, num, 2U);
	/* the third fails: two done */
	num = 3;
	KUNIT_EXPECT_EQ(test, ifh_invalidate(test, obj->id, 0, e, 8, &num),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, num, 2U);
	/* an empty array asks about the type */
	num = 0;
	KUNIT_EXPECT_EQ(test, ifh_invalidate(test, obj->id, 0, NULL, 0, &num),
			0);
	KUNIT_EXPECT_EQ(test, ifh_invalidate(test, obj->id, 1, NULL, 0, &num),
			-EINVAL);
	/* a HWPT_PAGING is not one to invalidate */
	num = 2;
	KUNIT_EXPECT_EQ(test, ifh_invalidate(test, parent->obj.id, 0, e, 8,
					     &num), -ENOENT);
	KUNIT_EXPECT_EQ(test, num, 0U);
	num = 2;
	KUNIT_EXPECT_EQ(test, ifh_invalidate(test, obj->id, 0, e, P + 1, &num),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, num, 0U);

	/* the parent is held by the nested HWPT */
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(&k->ctx, parent->obj.id),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(&k->ctx, obj->id), 0);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(&k->ctx, parent->obj.id), 0);
}

static struct kunit_case ifh_cases[] = {
	KUNIT_CASE(ifh_lifecycle),
	KUNIT_CASE(ifh_refused),
	KUNIT_CASE(ifh_close),
	KUNIT_CASE(ifh_dirty_refused),
	KUNIT_CASE(ifh_dirty_bitmap),
	KUNIT_CASE(ifh_invalidate_nested),
	{}
};

static struct kunit_suite ifh_suite = {
	.name = "iommufd_hwpt",
	.init = ifh_init,
	.exit = ifh_exit,
	.test_cases = ifh_cases,
};

/*
 * Suite iommufd_access: the context API and the VFIO compat helpers, and
 * the access API of emulated devices, on a real context (an anonymous
 * file, as an open of /dev/iommu gives) and a fake driver, no device:
 * the object (its id, DESTROY -EBUSY, the IOAS it
 * holds), attach/replace/detach and the unmap callback they make, pins
 * (their pages, sharing of equal ranges, own pins charged or the store's
 * pins, every refusal, failures leaving nothing), UNMAP asking the driver
 * to unpin (-EDEADLOCK from a driver that never does, the area closed to
 * accesses meanwhile), rw across pages and areas, the alignment an access
 * that pins imposes.
 */
#define IFA_NPAGES	32
#define IFA_IOVA	SZ_1M
#define IFA_RW		(IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE)
#define IFA_RO		(IOMMU_READ | IOMMU_CACHE)

struct ifa {
	struct file *file;
	struct iommufd_ctx *ctx;
	unsigned long uva;		/* IFA_NPAGES pages */
	struct ifd_ioas *ioas;		/* published */
	struct iommufd_access *access;	/* destroyed at exit if left */
	/* the fake driver: its callbacks and the one range it pinned */
	unsigned int unmaps;
	unsigned long last_iova, last_len;
	bool stubborn;			/* never unpins */
	unsigned long pin_iova, pin_len;
};

static void ifa_unmap(void *data, unsigned long iova, unsigned long length)
{
	struct ifa *k = data;

	k->unmaps++;
	k->last_iova = iova;
	k->last_len = length;
	if (k->stubborn || !k->pin_len || k->pin_iova < iova ||
	    k->pin_iova - iova >= length)
		return;
	iommufd_access_unpin_pages(k->access, k->pin_iova, k->pin_len);
	k->pin_len = 0;
}

static const struct iommufd_access_ops ifa_pin_ops = {
	.needs_pin_pages = 1,
	.unmap = ifa_unmap,
};

static const struct iommufd_access_ops ifa_rw_ops = {
	.unmap = ifa_unmap,
};

static const struct file_operations ifa_fops = {
	.owner = THIS_MODULE,
};

static int ifa_init(struct kunit *test)
{
	struct ifa *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct file *file;

	if (!k)
		return -ENOMEM;
	k->uva = kunit_vm_mmap(test, NULL, 0, IFA_NPAGES * P,
			       PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!k->uva || IS_ERR_VALUE(k->uva))
		return -ENOMEM;
	file = ifd_ctx_file_new();
	if (IS_ERR(file))
		return PTR_ERR(file);
	k->file = file;
	k->ctx = file->private_data;
	test->priv = k;
	k->ioas = ifd_ioas_new(k->ctx);
	if (IS_ERR(k->ioas)) {
		k->ioas = NULL;
		return -ENOMEM;
	}
	ifd_obj_publish(k->ctx, &k->ioas->obj);
	return 0;
}

/* Before the user memory goes: what a failed case left, then the close. */
static void ifa_exit(struct kunit *test)
{
	struct ifa *k = test->priv;
	struct iommu_domain *domain;
	unsigned long idx;

	if (!k)
		return;
	if (k->access)
		iommufd_access_destroy(k->access);
	if (k->ioas)
		xa_for_each(&k->ioas->iova.domains, idx, domain)
			ifd_iova_remove_domain(&k->ioas->iova, domain);
	__fput_sync(k->file);
}

/* MAP @n pages of the buffer from page @first at IOVA @at. */
static void ifa_map(struct kunit *test, unsigned long at, unsigned long first,
		    unsigned long n, int prot)
{
	struct ifa *k = test->priv;

	KUNIT_ASSERT_EQ(test, ifd_map_user(k->ctx, k->ioas, &at,
					   k->uva + first * P, n * P, prot,
					   true), 0);
}

static struct ifd_area *ifa_area(struct kunit *test, unsigned long at)
{
	struct ifa *k = test->priv;
	struct interval_tree_node *n;

	n = interval_tree_iter_first(&k->ioas->iova.areas, at, at);
	KUNIT_ASSERT_NOT_NULL(test, n);
	return container_of(n, struct ifd_area, node);
}

static struct iommufd_access *ifa_new(struct kunit *test,
				      const struct iommufd_access_ops *ops)
{
	struct ifa *k = test->priv;
	struct iommufd_access *access;
	u32 id;

	access = iommufd_access_create(k->ctx, ops, k, &id);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, access);
	KUNIT_EXPECT_EQ(test, id, access->obj.id);
	k->access = access;
	return access;
}

static void ifa_destroy(struct kunit *test)
{
	struct ifa *k = test->priv;

	iommufd_access_destroy(k->access);
	k->access = NULL;
}

/* The page behind user page @idx of the buffer, by a pin of our own. */
static struct page *ifa_user_page(struct kunit *test, unsigned long idx)
{
	struct ifa *k = test->priv;
	struct page *page;

	KUNIT_ASSERT_EQ(test, 1L,
			(long)pin_user_pages_fast(k->uva + idx * P, 1,
						  FOLL_WRITE | FOLL_LONGTERM,
						  &page));
	unpin_user_page(page);
	return page;
}

static void ifa_lifecycle(struct kunit *test)
{
	struct ifa *k = test->priv;
	u32 ioas_id = k->ioas->obj.id, id;
	struct iommufd_access *access;
	struct ifd_ioas *ioas2;

	access = ifa_new(test, &ifa_pin_ops);
	id = access->obj.id;
	KUNIT_EXPECT_EQ(test, (int)access->obj.type, (int)IFD_OBJ_ACCESS);
	KUNIT_EXPECT_EQ(test, access->iova_alignment, P);
	/* the kernel owns it: userspace cannot destroy it */
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, id), -EBUSY);
	KUNIT_EXPECT_EQ(test, iommufd_access_replace(access, ioas_id), -ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_access_attach(access, 9999), -ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_access_attach(access, id), -ENOENT);

	KUNIT_ASSERT_EQ(test, iommufd_access_attach(access, ioas_id), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&k->ioas->obj.users), 2U);
	KUNIT_EXPECT_EQ(test, k->ioas->iova.alignment, P);
	KUNIT_EXPECT_EQ(test, iommufd_access_attach(access, ioas_id), -EINVAL);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, ioas_id), -EBUSY);
	/* replace to the same IOAS: nothing happens */
	KUNIT_EXPECT_EQ(test, iommufd_access_replace(access, ioas_id), 0);
	KUNIT_EXPECT_EQ(test, k->unmaps, 0U);

	/* replace: the driver is told to let go of all of the old one */
	ioas2 = ifd_ioas_new(k->ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ioas2);
	ifd_obj_publish(k->ctx, &ioas2->obj);
	KUNIT_EXPECT_EQ(test, iommufd_access_replace(access, ioas2->obj.id), 0);
	KUNIT_EXPECT_EQ(test, k->unmaps, 1U);
	KUNIT_EXPECT_EQ(test, k->last_iova, 0UL);
	KUNIT_EXPECT_EQ(test, k->last_len, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, refcount_read(&k->ioas->obj.users), 1U);
	KUNIT_EXPECT_EQ(test, refcount_read(&ioas2->obj.users), 2U);
	KUNIT_EXPECT_EQ(test, k->ioas->iova.alignment, 1UL);
	KUNIT_EXPECT_EQ(test, ioas2->iova.alignment, P);

	iommufd_access_detach(access);
	KUNIT_EXPECT_EQ(test, k->unmaps, 2U);
	KUNIT_EXPECT_EQ(test, refcount_read(&ioas2->obj.users), 1U);
	KUNIT_EXPECT_EQ(test, ioas2->iova.alignment, 1UL);
	KUNIT_EXPECT_EQ(test, iommufd_access_replace(access, ioas_id), -ENOENT);

	ifa_destroy(test);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, id), -ENOENT);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, ioas2->obj.id), 0);
}

static void ifa_pin(struct kunit *test)
{
	struct ifa *k = test->priv;
	struct page *pg[8], *again[8];
	struct iommufd_access *access;
	struct ifd_area *rw, *ro;
	struct kd_domain *kd;
	long locked, pinned;
	unsigned int i;

	ifa_map(test, IFA_IOVA, 0, 16, IFA_RW);
	ifa_map(test, IFA_IOVA + 16 * P, 16, 4, IFA_RO);
	rw = ifa_area(test, IFA_IOVA);
	ro = ifa_area(test, IFA_IOVA + 16 * P);
	/* charge the pins (the test thread has CAP_IPC_LOCK) */
	rw->pages->own.mode = IFD_ACCOUNT_USER;
	locked = atomic_long_read(&rw->pages->own.user->locked_vm);
	pinned = atomic64_read(&rw->pages->own.mm->pinned_vm);

	access = ifa_new(test, &ifa_pin_ops);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA, P, pg,
						       0), -ENOENT);
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(access, k->ioas->obj.id),
			0);

	/* no domain: just these pages are pinned and charged */
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA + 2 * P,
						       4 * P, pg,
						       IOMMUFD_ACCESS_RW_WRITE),
			0);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_PTR_EQ(test, pg[i], ifa_user_page(test, 2 + i));
	KUNIT_EXPECT_EQ(test, rw->num_accesses, 1U);
	KUNIT_EXPECT_EQ(test, rw->pages->pin_users, 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rw->pages->own.user->locked_vm)
			- locked, 4L);
	KUNIT_EXPECT_EQ(test, atomic64_read(&rw->pages->own.mm->pinned_vm) -
			pinned, 4LL);
	/* the same range again shares the pins; no partial length needed */
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA + 2 * P,
						       4 * P, again, 0), 0);
	KUNIT_EXPECT_EQ(test, memcmp(pg, again, 4 * sizeof(*pg)), 0);
	KUNIT_EXPECT_EQ(test, rw->num_accesses, 2U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rw->pages->own.user->locked_vm)
			- locked, 4L);
	iommufd_access_unpin_pages(access, IFA_IOVA + 2 * P, 4 * P);
	iommufd_access_unpin_pages(access, IFA_IOVA + 2 * P, 4 * P);
	KUNIT_EXPECT_EQ(test, rw->num_accesses, 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rw->pages->own.user->locked_vm)
			- locked, 0L);
	KUNIT_EXPECT_EQ(test, atomic64_read(&rw->pages->own.mm->pinned_vm) -
			pinned, 0LL);

	/* refusals */
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA, 0, pg,
						       0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access,
						       ULONG_MAX - P + 1,
						       2 * P, pg, 0),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA + 1, P,
						       pg, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA - P, P,
						       pg, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access,
						       IFA_IOVA + 16 * P, P,
						       pg,
						       IOMMUFD_ACCESS_RW_WRITE),
			-EPERM);
	/* two areas, then a hole: what was pinned before it is undone */
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access,
						       IFA_IOVA + 14 * P,
						       8 * P, pg, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, rw->num_accesses + ro->num_accesses, 0U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&rw->pages->own.mm->pinned_vm) -
			pinned, 0LL);
	/* across two areas without a hole: fine */
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access,
						       IFA_IOVA + 14 * P,
						       4 * P, pg, 0), 0);
	KUNIT_EXPECT_PTR_EQ(test, pg[1], ifa_user_page(test, 15));
	KUNIT_EXPECT_PTR_EQ(test, pg[2], ifa_user_page(test, 16));
	KUNIT_EXPECT_EQ(test, rw->num_accesses, 1U);
	KUNIT_EXPECT_EQ(test, ro->num_accesses, 1U);
	iommufd_access_unpin_pages(access, IFA_IOVA + 14 * P, 4 * P);
	KUNIT_EXPECT_EQ(test, rw->num_accesses + ro->num_accesses, 0U);

	/* with a domain the store is pinned: its pages, no second charge */
	kd = kd_new(test);
	KUNIT_ASSERT_EQ(test, ifd_iova_add_domain(&k->ioas->iova, &kd->dom), 0);
	KUNIT_EXPECT_EQ(test, rw->pages->pin_users, 1U);
	locked = atomic_long_read(&rw->pages->own.user->locked_vm);
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA, 2 * P,
						       pg, 0), 0);
	KUNIT_EXPECT_EQ(test, rw->pages->pin_users, 2U);
	KUNIT_EXPECT_EQ(test, page_to_pfn(pg[0]), kd_pfn(kd, IFA_IOVA));
	KUNIT_EXPECT_EQ(test, page_to_pfn(pg[1]), kd_pfn(kd, IFA_IOVA + P));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rw->pages->own.user->locked_vm),
			locked);
	iommufd_access_unpin_pages(access, IFA_IOVA, 2 * P);
	KUNIT_EXPECT_EQ(test, rw->pages->pin_users, 1U);
	ifd_iova_remove_domain(&k->ioas->iova, &kd->dom);
	KUNIT_EXPECT_EQ(test, rw->pages->pin_users, 0U);

	ifa_destroy(test);
	KUNIT_EXPECT_EQ(test, refcount_read(&k->ioas->obj.users), 1U);
}

/* UNMAP over pinned pages: the driver unpins, or UNMAP gives up. */
static void ifa_unmap_notify(struct kunit *test)
{
	struct ifa *k = test->priv;
	struct iommufd_access *access;
	unsigned long done;
	struct ifd_area *area;
	struct page *pg[2];
	char c = 0;

	access = ifa_new(test, &ifa_pin_ops);
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(access, k->ioas->obj.id),
			0);
	ifa_map(test, IFA_IOVA, 0, 8, IFA_RW);
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA + P,
						       2 * P, pg, 0), 0);
	k->pin_iova = IFA_IOVA + P;
	k->pin_len = 2 * P;

	KUNIT_EXPECT_EQ(test, ifd_iova_unmap(&k->ioas->iova, IFA_IOVA,
					     IFA_IOVA + 8 * P - 1, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 8 * P);
	KUNIT_EXPECT_EQ(test, k->unmaps, 1U);
	KUNIT_EXPECT_EQ(test, k->last_iova, (unsigned long)IFA_IOVA);
	KUNIT_EXPECT_EQ(test, k->last_len, 8 * P);
	KUNIT_EXPECT_EQ(test, k->pin_len, 0UL);

	/* a driver that never unpins: -EDEADLOCK, the area stays, closed */
	ifa_map(test, IFA_IOVA, 0, 8, IFA_RW);
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA + P,
						       2 * P, pg, 0), 0);
	k->pin_len = 2 * P;
	k->stubborn = true;
	k->unmaps = 0;
	KUNIT_EXPECT_EQ(test, ifd_iova_unmap(&k->ioas->iova, 0, ULONG_MAX,
					     &done), -EDEADLOCK);
	KUNIT_EXPECT_EQ(test, done, 0UL);
	KUNIT_EXPECT_EQ(test, k->unmaps, 101U);
	area = ifa_area(test, IFA_IOVA);
	KUNIT_EXPECT_TRUE(test, area->prevent_access);
	KUNIT_EXPECT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA, P, pg,
						       0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IFA_IOVA, &c, 1, 0),
			-EINVAL);
	/* once it lets go the UNMAP goes through */
	k->stubborn = false;
	KUNIT_EXPECT_EQ(test, ifd_iova_unmap(&k->ioas->iova, 0, ULONG_MAX,
					     &done), 0);
	KUNIT_EXPECT_EQ(test, done, 8 * P);
	KUNIT_EXPECT_EQ(test, k->pin_len, 0UL);

	/* destroy while pinned: the driver is asked to unpin everything */
	ifa_map(test, IFA_IOVA, 0, 8, IFA_RW);
	KUNIT_ASSERT_EQ(test, iommufd_access_pin_pages(access, IFA_IOVA, P, pg,
						       0), 0);
	k->pin_iova = IFA_IOVA;
	k->pin_len = P;
	area = ifa_area(test, IFA_IOVA);
	ifa_destroy(test);
	KUNIT_EXPECT_EQ(test, k->pin_len, 0UL);
	KUNIT_EXPECT_EQ(test, area->num_accesses, 0U);
	KUNIT_EXPECT_EQ(test, k->ioas->iova.alignment, 1UL);
}

/* Copies across a page and an area boundary, with and without a domain. */
static void ifa_rw(struct kunit *test)
{
	struct ifa *k = test->priv;
	struct iommufd_access *access;
	struct kd_domain *kd = NULL;
	char in[300], out[300];
	int round;

	ifa_map(test, IFA_IOVA, 0, 2, IFA_RW);
	ifa_map(test, IFA_IOVA + 2 * P, 2, 2, IFA_RW);
	ifa_map(test, IFA_IOVA + 4 * P, 4, 1, IFA_RO);
	access = ifa_new(test, &ifa_rw_ops);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IFA_IOVA, in, 1, 0),
			-ENOENT);
	KUNIT_ASSERT_EQ(test, iommufd_access_attach(access, k->ioas->obj.id),
			0);
	/* an access that only copies leaves byte granularity */
	KUNIT_EXPECT_EQ(test, k->ioas->iova.alignment, 1UL);

	for (round = 0; round < 2; round++) {
		if (round) {
			kd = kd_new(test);
			KUNIT_ASSERT_EQ(test,
					ifd_iova_add_domain(&k->ioas->iova,
							    &kd->dom), 0);
		}
		memset(in, 'a' + round, sizeof(in));
		in[0] = 'x';
		in[sizeof(in) - 1] = 'y';
		KUNIT_EXPECT_EQ(test, iommufd_access_rw(access,
							IFA_IOVA + 2 * P - 100,
							in, sizeof(in),
							IOMMUFD_ACCESS_RW_WRITE),
				0);
		memset(out, 0, sizeof(out));
		KUNIT_EXPECT_EQ(test, iommufd_access_rw(access,
							IFA_IOVA + 2 * P - 100,
							out, sizeof(out), 0),
				0);
		KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(in)), 0);
		/* it is the user memory */
		KUNIT_EXPECT_EQ(test, copy_from_user(out, (void __user *)
						     (k->uva + 2 * P - 100),
						     sizeof(out)), 0UL);
		KUNIT_EXPECT_EQ(test, memcmp(in, out, sizeof(in)), 0);
	}
	if (kd)
		ifd_iova_remove_domain(&k->ioas->iova, &kd->dom);

	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IFA_IOVA + 4 * P, in, 10,
						IOMMUFD_ACCESS_RW_WRITE),
			-EPERM);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IFA_IOVA + 4 * P, in, 10,
						0), 0);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IFA_IOVA + 5 * P - 5,
						in, 10, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, IFA_IOVA, in, 0, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iommufd_access_rw(access, ULONG_MAX, in, 2, 0),
			-EOVERFLOW);
	ifa_destroy(test);
}

/* An access that pins needs page granular areas: -EADDRINUSE. */
static void ifa_align(struct kunit *test)
{
	struct ifa *k = test->priv;
	struct iommufd_access *access;
	unsigned long at = IFA_IOVA + 1;

	KUNIT_ASSERT_EQ(test, ifd_map_user(k->ctx, k->ioas, &at, k->uva + 1,
					   100, IFA_RW, true), 0);
	access = ifa_new(test, &ifa_pin_ops);
	KUNIT_EXPECT_EQ(test, iommufd_access_attach(access, k->ioas->obj.id),
			-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, refcount_read(&k->ioas->obj.users), 1U);
	KUNIT_EXPECT_EQ(test, k->ioas->iova.alignment, 1UL);
	ifa_destroy(test);

	access = ifa_new(test, &ifa_rw_ops);
	KUNIT_EXPECT_EQ(test, iommufd_access_attach(access, k->ioas->obj.id),
			0);
	ifa_destroy(test);
}

/*
 * The context API and the VFIO compat helpers a group on an iommufd uses:
 * references through the file, the compat IOAS made once, no-IOMMU mode
 * excluding it.
 */
static void ifa_ctx_compat(struct kunit *test)
{
	struct ifa *k = test->priv;
	struct iommufd_ctx *ctx;
	struct file *other;
	u32 id = 0, id2 = 0;
	long refs;

	refs = file_count(k->file);
	ctx = iommufd_ctx_from_file(k->file);
	KUNIT_ASSERT_PTR_EQ(test, ctx, k->ctx);
	KUNIT_EXPECT_EQ(test, file_count(k->file), refs + 1);
	iommufd_ctx_get(ctx);
	KUNIT_EXPECT_EQ(test, file_count(k->file), refs + 2);
	iommufd_ctx_put(ctx);
	iommufd_ctx_put(ctx);
	KUNIT_EXPECT_EQ(test, file_count(k->file), refs);
	KUNIT_EXPECT_FALSE(test, iommufd_ctx_has_group(ctx, NULL));
	KUNIT_EXPECT_FALSE(test, iommufd_ctx_has_group(NULL, NULL));

	KUNIT_EXPECT_EQ(test, iommufd_vfio_compat_ioas_get_id(ctx, &id),
			-ENODEV);
	KUNIT_ASSERT_EQ(test, iommufd_vfio_compat_ioas_create(ctx), 0);
	KUNIT_ASSERT_EQ(test, iommufd_vfio_compat_ioas_get_id(ctx, &id), 0);
	KUNIT_EXPECT_NE(test, id, k->ioas->obj.id);
	/* once made it stays the one */
	KUNIT_ASSERT_EQ(test, iommufd_vfio_compat_ioas_create(ctx), 0);
	KUNIT_ASSERT_EQ(test, iommufd_vfio_compat_ioas_get_id(ctx, &id2), 0);
	KUNIT_EXPECT_EQ(test, id, id2);
	KUNIT_EXPECT_EQ(test, iommufd_vfio_compat_set_no_iommu(ctx), -EINVAL);
	/* an ordinary object: DESTROY takes it, and the compat slot */
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(ctx, id), 0);
	KUNIT_EXPECT_EQ(test, iommufd_vfio_compat_ioas_get_id(ctx, &id),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, iommufd_vfio_compat_set_no_iommu(ctx), 0);
	KUNIT_EXPECT_EQ(test, iommufd_vfio_compat_ioas_create(ctx), -EINVAL);

	/* a file that is not /dev/iommu */
	other = anon_inode_getfile("[ifa]", &ifa_fops, NULL, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, other);
	KUNIT_EXPECT_EQ(test, PTR_ERR(iommufd_ctx_from_file(other)), -EBADFD);
	fput(other);
}

static struct kunit_case ifa_cases[] = {
	KUNIT_CASE(ifa_ctx_compat),
	KUNIT_CASE(ifa_lifecycle),
	KUNIT_CASE(ifa_pin),
	KUNIT_CASE(ifa_unmap_notify),
	KUNIT_CASE(ifa_rw),
	KUNIT_CASE(ifa_align),
	{}
};

static struct kunit_suite ifa_suite = {
	.name = "iommufd_access",
	.init = ifa_init,
	.exit = ifa_exit,
	.test_cases = ifa_cases,
};

/*
 * Suite iommufd_device: bound devices on the real IOMMU of the machine,
 * with QEMU's edu devices that have no driver (the test VM has them; the
 * cases skip elsewhere): bind (DMA ownership per context, the DEVICE
 * object), attach to an IOAS (an automatic HWPT whose domain maps the
 * pinned user pages, the device's reserved regions kept out of the IOAS,
 * reuse of the HWPT by another device, its end with the last one),
 * replace, the group rule on the two-function edu (one group), and
 * HWPT_ALLOC / GET_HW_INFO through their handlers with user buffers.
 */
#define IFV_IOVA	SZ_1M
#define IFV_NPAGES	16
#define IFV_MAXDEV	4

struct ifv {
	struct file *file;
	struct iommufd_ctx *ctx;
	struct ifd_ioas *ioas;		/* published, IFV_NPAGES mapped */
	unsigned long uva;
	struct pci_dev *single[IFV_MAXDEV];	/* alone in their group */
	unsigned int nsingle;
	struct pci_dev *pair[2];	/* two sharing one group, or NULL */
	void __user *ubuf;		/* a user page for ioctl replies */
};

static bool ifv_same_group(struct pci_dev *a, struct pci_dev *b)
{
	struct iommu_group *ga = iommu_group_get(&a->dev);
	struct iommu_group *gb = iommu_group_get(&b->dev);
	bool same = ga && ga == gb;

	iommu_group_put(ga);
	iommu_group_put(gb);
	return same;
}

/* Driverless edu devices behind an IOMMU, sorted by group sharing. */
static void ifv_find(struct ifv *k)
{
	struct pci_dev *all[2 * IFV_MAXDEV], *pdev = NULL;
	unsigned int n = 0, i, j;
	bool shared;

	while (n < ARRAY_SIZE(all) &&
	       (pdev = pci_get_device(0x1234, 0x11e8, pdev))) {
		if (pdev->dev.driver || !device_iommu_mapped(&pdev->dev))
			continue;
		all[n++] = pci_dev_get(pdev);
	}
	pci_dev_put(pdev);
	for (i = 0; i < n; i++) {
		shared = false;
		for (j = 0; j < n; j++)
			if (j != i && ifv_same_group(all[i], all[j]))
				shared = true;
		if (!shared && k->nsingle < IFV_MAXDEV) {
			k->single[k->nsingle++] = all[i];
			continue;
		}
		if (shared && !k->pair[0]) {
			k->pair[0] = all[i];
			continue;
		}
		if (shared && !k->pair[1] && ifv_same_group(k->pair[0], all[i])) {
			k->pair[1] = all[i];
			continue;
		}
		pci_dev_put(all[i]);
	}
	if (k->pair[0] && !k->pair[1]) {
		pci_dev_put(k->pair[0]);
		k->pair[0] = NULL;
	}
}

static int ifv_init(struct kunit *test)
{
	struct ifv *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	unsigned long at = IFV_IOVA, u;
	struct file *file;

	if (!k)
		return -ENOMEM;
	test->priv = k;
	k->uva = kunit_vm_mmap(test, NULL, 0, IFV_NPAGES * P,
			       PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	u = kunit_vm_mmap(test, NULL, 0, P, PROT_READ | PROT_WRITE,
			  MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!k->uva || IS_ERR_VALUE(k->uva) || !u || IS_ERR_VALUE(u))
		return -ENOMEM;
	k->ubuf = (void __user *)u;
	file = ifd_ctx_file_new();
	if (IS_ERR(file))
		return PTR_ERR(file);
	k->file = file;
	k->ctx = file->private_data;
	k->ioas = ifd_ioas_new(k->ctx);
	if (IS_ERR(k->ioas)) {
		k->ioas = NULL;
		return -ENOMEM;
	}
	ifd_obj_publish(k->ctx, &k->ioas->obj);
	if (ifd_map_user(k->ctx, k->ioas, &at, k->uva, IFV_NPAGES * P,
			 IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE, true))
		return -ENOMEM;
	ifv_find(k);
	return 0;
}

static void ifv_exit(struct kunit *test)
{
	struct ifv *k = test->priv;
	unsigned int i;

	if (!k)
		return;
	if (k->file)
		__fput_sync(k->file);
	for (i = 0; i < k->nsingle; i++)
		pci_dev_put(k->single[i]);
	pci_dev_put(k->pair[0]);
	pci_dev_put(k->pair[1]);
}

/* The @i-th edu alone in its group, or skip the case. */
static struct device *ifv_dev(struct kunit *test, unsigned int i)
{
	struct ifv *k = test->priv;

	if (i >= k->nsingle)
		kunit_skip(test, "needs %u driverless edu devices behind an IOMMU",
			   i + 1);
	return &k->single[i]->dev;
}

static struct iommufd_device *ifv_bind(struct kunit *test,
				       struct iommufd_ctx *ctx,
				       struct device *dev)
{
	struct iommufd_device *idev;
	u32 id;

	idev = iommufd_device_bind(ctx, dev, &id);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, idev);
	KUNIT_EXPECT_EQ(test, id, iommufd_device_to_id(idev));
	KUNIT_EXPECT_PTR_EQ(test, iommufd_device_to_ictx(idev), ctx);
	return idev;
}

static struct ifd_hwpt *ifv_hwpt(struct kunit *test, u32 id)
{
	struct ifv *k = test->priv;
	struct ifd_obj *obj;

	obj = ifd_obj_get(k->ctx, id, IFD_OBJ_HWPT_PAGING);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	ifd_obj_put(k->ctx, obj);
	return container_of(obj, struct ifd_hwpt, obj);
}

static bool ifv_exists(struct ifv *k, u32 id)
{
	struct ifd_obj *obj = ifd_obj_get(k->ctx, id, IFD_OBJ_ANY);

	if (IS_ERR(obj))
		return false;
	ifd_obj_put(k->ctx, obj);
	return true;
}

static unsigned long ifv_nobj(struct ifv *k)
{
	unsigned long id, n = 0;
	void *obj;

	xa_for_each(&k->ctx->objects, id, obj)
		n++;
	return n;
}

/* Reserved ranges of @iova tagged with @owner. */
static unsigned int ifv_resv(struct ifd_iova *iova, const void *owner)
{
	struct interval_tree_node *n;
	unsigned int cnt = 0;

	down_read(&iova->rwsem);
	for (n = interval_tree_iter_first(&iova->reserved, 0, ULONG_MAX); n;
	     n = interval_tree_iter_next(n, 0, ULONG_MAX))
		if (container_of(n, struct ifd_span, node)->owner == owner)
			cnt++;
	up_read(&iova->rwsem);
	return cnt;
}

/* The domain maps the user pages of the IOAS at IFV_IOVA. */
static void ifv_expect_mapped(struct kunit *test, struct iommu_domain *dom)
{
	struct ifv *k = test->priv;
	struct page *page;
	unsigned int i;

	for (i = 0; i < IFV_NPAGES; i += 5) {
		KUNIT_ASSERT_EQ(test, 1L,
				(long)pin_user_pages_fast(k->uva + i * P, 1,
							  FOLL_WRITE |
							  FOLL_LONGTERM,
							  &page));
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, IFV_IOVA + i * P),
				page_to_phys(page));
		unpin_user_page(page);
	}
}

static void ifv_bind_unbind(struct kunit *test)
{
	struct device *dev = ifv_dev(test, 0);
	struct ifv *k = test->priv;
	struct iommufd_device *idev;
	struct iommu_group *group;
	struct iommufd_ctx *other;
	struct file *file;
	u32 id, id2;

	group = iommu_group_get(dev);
	idev = ifv_bind(test, k->ctx, dev);
	id = iommufd_device_to_id(idev);
	KUNIT_EXPECT_TRUE(test, iommufd_ctx_has_group(k->ctx, group));
	/* the device is the kernel's: userspace cannot destroy it */
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, id), -EBUSY);
	/* DMA ownership belongs to this context: the IOMMU core's -EPERM */
	file = ifd_ctx_file_new();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	other = file->private_data;
	KUNIT_EXPECT_EQ(test, PTR_ERR(iommufd_device_bind(other, dev, &id2)),
			-EPERM);
	KUNIT_EXPECT_FALSE(test, iommufd_ctx_has_group(other, group));
	/* a container cannot have the group either */
	KUNIT_EXPECT_EQ(test, iommu_group_claim_dma_owner(group, file), -EPERM);

	iommufd_device_unbind(idev);
	KUNIT_EXPECT_FALSE(test, iommufd_ctx_has_group(k->ctx, group));
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, id), -ENOENT);
	KUNIT_EXPECT_TRUE(test, xa_empty(&k->ctx->groups));
	/* free again: the other context gets it */
	idev = ifv_bind(test, other, dev);
	iommufd_device_unbind(idev);
	__fput_sync(file);
	iommu_group_put(group);
}

static void ifv_attach(struct kunit *test)
{
	struct device *dev = ifv_dev(test, 0);
	struct ifv *k = test->priv;
	struct iommufd_device *a, *b = NULL;
	u32 ioas_id = k->ioas->obj.id, pt, pt2, dev_id;
	unsigned long at = 0xfee00000UL;
	struct ifd_hwpt *hwpt;
	struct ifd_ioas *ioas2;

	a = ifv_bind(test, k->ctx, dev);
	dev_id = iommufd_device_to_id(a);
	pt = 9999;
	KUNIT_EXPECT_EQ(test, iommufd_device_attach(a, &pt), -ENOENT);
	pt = dev_id;
	KUNIT_EXPECT_EQ(test, iommufd_device_attach(a, &pt), -EINVAL);
	pt = ioas_id;
	KUNIT_EXPECT_EQ(test, iommufd_device_replace(a, &pt), -EINVAL);

	KUNIT_ASSERT_EQ(test, iommufd_device_attach(a, &pt), 0);
	KUNIT_EXPECT_NE(test, pt, ioas_id);
	hwpt = ifv_hwpt(test, pt);
	KUNIT_EXPECT_TRUE(test, hwpt->auto_domain);
	KUNIT_EXPECT_PTR_EQ(test, hwpt->ioas, k->ioas);
	ifv_expect_mapped(test, hwpt->domain);
	KUNIT_EXPECT_EQ(test, k->ioas->iova.alignment, P);
	/* VT-d's MSI window at least */
	KUNIT_EXPECT_GE(test, ifv_resv(&k->ioas->iova, a), 1U);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, pt), -EBUSY);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, ioas_id), -EBUSY);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, dev_id), -EBUSY);
	pt2 = ioas_id;
	KUNIT_EXPECT_EQ(test, iommufd_device_attach(a, &pt2), -EINVAL);
	/* replace to where it is: nothing happens */
	pt2 = pt;
	KUNIT_EXPECT_EQ(test, iommufd_device_replace(a, &pt2), 0);
	/* a mapping over the reserved MSI window is refused */
	KUNIT_EXPECT_EQ(test, ifd_map_user(k->ctx, k->ioas, &at, k->uva, P,
					   IOMMU_READ | IOMMU_CACHE, true),
			-EINVAL);

	/* a second device takes the same automatic HWPT */
	if (k->nsingle > 1) {
		b = ifv_bind(test, k->ctx, ifv_dev(test, 1));
		pt2 = ioas_id;
		KUNIT_ASSERT_EQ(test, iommufd_device_attach(b, &pt2), 0);
		KUNIT_EXPECT_EQ(test, pt2, pt);
		iommufd_device_detach(a);
		KUNIT_EXPECT_TRUE(test, ifv_exists(k, pt));
		KUNIT_EXPECT_EQ(test, ifv_resv(&k->ioas->iova, a), 0U);
		/* unbind detaches, the HWPT goes with it */
		iommufd_device_unbind(b);
	} else {
		iommufd_device_detach(a);
	}
	KUNIT_EXPECT_FALSE(test, ifv_exists(k, pt));
	KUNIT_EXPECT_EQ(test, refcount_read(&k->ioas->obj.users), 1U);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&k->ioas->iova.reserved.rb_root));
	KUNIT_EXPECT_EQ(test, k->ioas->iova.alignment, 1UL);

	/* an area over the MSI window: the attach fails, leaves nothing */
	ioas2 = ifd_ioas_new(k->ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ioas2);
	ifd_obj_publish(k->ctx, &ioas2->obj);
	at = 0xfee00000UL;
	KUNIT_ASSERT_EQ(test, ifd_map_user(k->ctx, ioas2, &at, k->uva, P,
					   IOMMU_READ | IOMMU_CACHE, true), 0);
	pt = ioas2->obj.id;
	KUNIT_EXPECT_EQ(test, iommufd_device_attach(a, &pt), -EADDRINUSE);
	KUNIT_EXPECT_EQ(test, pt, ioas2->obj.id);
	KUNIT_EXPECT_TRUE(test, list_empty(&ioas2->hwpts));
	KUNIT_EXPECT_EQ(test, refcount_read(&ioas2->obj.users), 1U);
	KUNIT_EXPECT_EQ(test, ioas2->iova.alignment, 1UL);
	KUNIT_EXPECT_EQ(test, ifv_resv(&ioas2->iova, a), 0U);
	iommufd_device_unbind(a);
}

static void ifv_replace(struct kunit *test)
{
	struct device *dev = ifv_dev(test, 0);
	struct ifv *k = test->priv;
	struct ifd_hwpt *manual;
	struct iommufd_device *a;
	struct ifd_ioas *ioas2;
	u32 pt1, pt2, mid;

	ioas2 = ifd_ioas_new(k->ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ioas2);
	ifd_obj_publish(k->ctx, &ioas2->obj);
	a = ifv_bind(test, k->ctx, dev);
	pt1 = k->ioas->obj.id;
	KUNIT_ASSERT_EQ(test, iommufd_device_attach(a, &pt1), 0);
	KUNIT_EXPECT_TRUE(test, ifv_hwpt(test, pt1)->auto_domain);

	/* to another IOAS: a new automatic HWPT, the old one goes */
	pt2 = ioas2->obj.id;
	KUNIT_ASSERT_EQ(test, iommufd_device_replace(a, &pt2), 0);
	KUNIT_EXPECT_NE(test, pt2, ioas2->obj.id);
	KUNIT_EXPECT_FALSE(test, ifv_exists(k, pt1));
	KUNIT_EXPECT_EQ(test, ifv_resv(&k->ioas->iova, a), 0U);
	KUNIT_EXPECT_GE(test, ifv_resv(&ioas2->iova, a), 1U);
	KUNIT_EXPECT_EQ(test, refcount_read(&k->ioas->obj.users), 1U);

	/* to a HWPT made by hand (HWPT_ALLOC's way): it stays afterwards */
	mutex_lock(&k->ioas->mutex);
	manual = ifd_hwpt_paging_new(k->ctx, k->ioas, dev, 0, a->enforce_cc,
				     false, NULL);
	if (!IS_ERR(manual))
		ifd_obj_publish(k->ctx, &manual->obj);
	mutex_unlock(&k->ioas->mutex);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, manual);
	mid = manual->obj.id;
	KUNIT_ASSERT_EQ(test, iommufd_device_replace(a, &mid), 0);
	KUNIT_EXPECT_EQ(test, mid, manual->obj.id);
	KUNIT_EXPECT_FALSE(test, ifv_exists(k, pt2));
	ifv_expect_mapped(test, manual->domain);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, mid), -EBUSY);
	/* the IOAS of a manual HWPT: its automatic ones are not used */
	pt1 = k->ioas->obj.id;
	KUNIT_ASSERT_EQ(test, iommufd_device_replace(a, &pt1), 0);
	KUNIT_EXPECT_NE(test, pt1, mid);
	KUNIT_EXPECT_TRUE(test, ifv_exists(k, mid));
	iommufd_device_detach(a);
	KUNIT_EXPECT_FALSE(test, ifv_exists(k, pt1));
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, mid), 0);
	iommufd_device_unbind(a);
}

/* Two functions in one group: one attachment for both. */
static void ifv_group(struct kunit *test)
{
	struct ifv *k = test->priv;
	struct iommufd_device *c, *d;
	struct ifd_ioas *ioas2;
	u32 pt, pt2;

	if (!k->pair[0])
		kunit_skip(test, "needs two driverless edu functions in one group");
	ioas2 = ifd_ioas_new(k->ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ioas2);
	ifd_obj_publish(k->ctx, &ioas2->obj);
	c = ifv_bind(test, k->ctx, &k->pair[0]->dev);
	d = ifv_bind(test, k->ctx, &k->pair[1]->dev);
	KUNIT_EXPECT_PTR_EQ(test, c->igroup, d->igroup);

	pt = k->ioas->obj.id;
	KUNIT_ASSERT_EQ(test, iommufd_device_attach(c, &pt), 0);
	/* the sibling cannot go elsewhere */
	pt2 = ioas2->obj.id;
	KUNIT_EXPECT_EQ(test, iommufd_device_attach(d, &pt2), -EINVAL);
	KUNIT_EXPECT_TRUE(test, list_empty(&ioas2->hwpts));
	pt2 = k->ioas->obj.id;
	KUNIT_ASSERT_EQ(test, iommufd_device_attach(d, &pt2), 0);
	KUNIT_EXPECT_EQ(test, pt2, pt);
	/* replace moves the whole group */
	pt2 = ioas2->obj.id;
	KUNIT_ASSERT_EQ(test, iommufd_device_replace(d, &pt2), 0);
	KUNIT_EXPECT_FALSE(test, ifv_exists(k, pt));
	KUNIT_EXPECT_PTR_EQ(test, c->igroup->hwpt, ifv_hwpt(test, pt2));
	KUNIT_EXPECT_GE(test, ifv_resv(&ioas2->iova, c), 1U);
	KUNIT_EXPECT_GE(test, ifv_resv(&ioas2->iova, d), 1U);
	KUNIT_EXPECT_EQ(test, ifv_resv(&k->ioas->iova, c), 0U);
	iommufd_device_detach(c);
	KUNIT_EXPECT_TRUE(test, ifv_exists(k, pt2));
	KUNIT_EXPECT_EQ(test, ifv_resv(&ioas2->iova, c), 0U);
	iommufd_device_detach(d);
	KUNIT_EXPECT_FALSE(test, ifv_exists(k, pt2));
	KUNIT_EXPECT_NULL(test, c->igroup->hwpt);
	iommufd_device_unbind(c);
	iommufd_device_unbind(d);
}

/* Run an ioctl handler with @cmd as the caller's struct in user memory. */
static int ifv_ioctl(struct kunit *test, int (*fn)(struct ifd_ucmd *uc),
		     void *cmd, size_t size)
{
	struct ifv *k = test->priv;
	struct ifd_ucmd uc = {
		.ctx = k->ctx, .ubuf = k->ubuf, .user_size = size, .cmd = cmd,
	};
	int ret;

	KUNIT_ASSERT_EQ(test, copy_to_user(k->ubuf, cmd, size), 0UL);
	ret = fn(&uc);
	KUNIT_ASSERT_EQ(test, copy_from_user(cmd, k->ubuf, size), 0UL);
	return ret;
}

static void ifv_hwpt_alloc_info(struct kunit *test)
{
	struct device *dev = ifv_dev(test, 0);
	struct ifv *k = test->priv;
	struct iommu_hw_info_vtd vtd;
	struct iommu_hwpt_alloc h;
	struct iommufd_device *a;
	struct iommu_hw_info i;
	u32 dev_id, pt;
	u8 *data;

	a = ifv_bind(test, k->ctx, dev);
	dev_id = iommufd_device_to_id(a);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = dev_id;
	h.pt_id = k->ioas->obj.id;
	KUNIT_ASSERT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)), 0);
	KUNIT_EXPECT_FALSE(test, ifv_hwpt(test, h.out_hwpt_id)->auto_domain);
	ifv_expect_mapped(test, ifv_hwpt(test, h.out_hwpt_id)->domain);
	pt = h.out_hwpt_id;
	KUNIT_ASSERT_EQ(test, iommufd_device_attach(a, &pt), 0);
	KUNIT_EXPECT_EQ(test, pt, h.out_hwpt_id);

	/* QEMU's VT-d: no dirty tracking, no nesting; no fault queues */
	h.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EOPNOTSUPP);
	h.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EOPNOTSUPP);
	h.flags = IOMMU_HWPT_FAULT_ID_VALID;
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EOPNOTSUPP);
	h.flags = BIT(10);
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EOPNOTSUPP);
	/* nested in a HWPT that is no NEST_PARENT one; data the driver's */
	h.flags = 0;
	h.pt_id = pt;
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EOPNOTSUPP);
	h.data_type = IOMMU_HWPT_DATA_VTD_S1;
	h.data_len = sizeof(struct iommu_hwpt_vtd_s1);
	h.data_uptr = (u64)(uintptr_t)k->ubuf + 512;
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EINVAL);
	/* paging with data the driver does not take */
	h.pt_id = k->ioas->obj.id;
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EOPNOTSUPP);
	h.data_type = 0;
	h.data_len = 0;
	h.pt_id = 9999;
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EINVAL);
	h.pt_id = dev_id;
	KUNIT_EXPECT_EQ(test, ifv_ioctl(test, ifd_hwpt_alloc, &h, sizeof(h)),
			-EINVAL);
	/* none of the failures left an object: IOAS, HWPT, device */
	KUNIT_EXPECT_EQ(test, ifv_nobj(k), 3UL);

	/* GET_HW_INFO: VT-d's registers, cut to the caller's length */
	data = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, data);
	memset(&i, 0, sizeof(i));
	i.size = sizeof(i);
	i.dev_id = dev_id;
	i.data_len = 4;
	i.data_uptr = (u64)(uintptr_t)k->ubuf + 1024;
	memset(data, 0xab, 64);
	KUNIT_ASSERT_EQ(test, copy_to_user(k->ubuf + 1024, data, 64), 0UL);
	KUNIT_ASSERT_EQ(test, ifv_ioctl(test, ifd_get_hw_info, &i, sizeof(i)),
			0);
	KUNIT_EXPECT_EQ(test, i.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	KUNIT_EXPECT_EQ(test, i.data_len, (u32)sizeof(vtd));
	KUNIT_EXPECT_EQ(test, i.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING,
			0ULL);
	KUNIT_ASSERT_EQ(test, copy_from_user(data, k->ubuf + 1024, 64), 0UL);
	KUNIT_EXPECT_EQ(test, data[4], 0xab);
	/* a longer buffer: the tail is zeroed */
	i.data_len = 64;
	KUNIT_ASSERT_EQ(test, ifv_ioctl(test, ifd_get_hw_info, &i, sizeof(i)),
			0);
	KUNIT_EXPECT_EQ(test, i.data_len, (u32)sizeof(vtd));
	KUNIT_ASSERT_EQ(test, copy_from_user(data, k->ubuf + 1024, 64), 0UL);
	memcpy(&vtd, data, sizeof(vtd));
	KUNIT_EXPECT_NE(test, vtd.cap_reg, 0ULL);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(data + sizeof(vtd), 0,
					    64 - sizeof(vtd)));

	/* unbind detaches; a HWPT_ALLOC one stays until DESTROY */
	iommufd_device_unbind(a);
	KUNIT_EXPECT_EQ(test, ifd_obj_destroy_id(k->ctx, pt), 0);
}

static struct kunit_case ifv_cases[] = {
	KUNIT_CASE(ifv_bind_unbind),
	KUNIT_CASE(ifv_attach),
	KUNIT_CASE(ifv_replace),
	KUNIT_CASE(ifv_group),
	KUNIT_CASE(ifv_hwpt_alloc_info),
	{}
};

static struct kunit_suite ifv_suite = {
	.name = "iommufd_device",
	.init = ifv_init,
	.exit = ifv_exit,
	.test_cases = ifv_cases,
};

kunit_test_suites(&ifk_suite, &ifp_suite, &ifh_suite, &ifa_suite, &ifv_suite);

MODULE_IMPORT_NS(IOMMUFD);
MODULE_IMPORT_NS(IOMMUFD_VFIO);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("KUnit tests of iommufd.ko: IOVA space, pinning, HWPTs, accesses");
