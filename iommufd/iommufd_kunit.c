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
#include <linux/iommu.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sizes.h>

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

kunit_test_suite(ifk_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("KUnit tests of iommufd.ko's IOVA space");
