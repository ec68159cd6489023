// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vfio_pinrun: the pin engine's data structures without GUP.
 * Runs recorded from made-up pfns without PINRUN_PINNED (so releasing
 * them unpins nothing): merging and its limits, stores spanning several
 * blocks, cursor windows that start and end inside runs and cross block
 * boundaries, holding back the last run until the final flush, and the
 * charged-page count of a release. Mapping goes to a fake domain
 * (include/vfio/kunit_domain.h). GUP, accounting and the scatterlist path
 * are covered by the iommufd_pages and vfio_type1_dma suites.
 *
 * This module includes the engine's source, like the modules using it.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <vfio/kunit_domain.h>

#include "pinrun.c"

#define P		PAGE_SIZE
#define PRK_IOVA	SZ_1G

struct prk_sink {
	struct pinrun_sink sink;
	struct iommu_domain *domain;
	unsigned int calls;
};

static int prk_map(struct pinrun_sink *sink, dma_addr_t iova, size_t len,
		   struct scatterlist *sgl, unsigned int nents,
		   phys_addr_t phys)
{
	struct prk_sink *ps = container_of(sink, struct prk_sink, sink);

	ps->calls++;
	return pinrun_domain_map(ps->domain, iova, len, sgl, nents, phys,
				 IOMMU_READ | IOMMU_WRITE);
}

static void prk_store_free(void *data)
{
	pinrun_release(data, false);
}

static struct pinrun_store *prk_store(struct kunit *test)
{
	struct pinrun_store *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	pinrun_store_init(s);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, prk_store_free, s));
	return s;
}

static void prk_sink_init(struct prk_sink *ps, struct kd_domain *kd,
			  bool small)
{
	ps->sink.map = prk_map;
	ps->sink.small = small;
	ps->domain = &kd->dom;
	ps->calls = 0;
}

/* The @nth run of @s, unpacked (npages 0 past the end). */
static void prk_run(struct pinrun_store *s, unsigned long nth,
		    struct pinrun *r)
{
	struct pinrun_block *blk;

	list_for_each_entry(blk, &s->blocks, node) {
		if (nth < blk->used) {
			pinrun_unpack(blk->ent[nth], r);
			return;
		}
		nth -= blk->used;
	}
	r->npages = 0;
}

static void prk_merge(struct kunit *test)
{
	struct pinrun_store *s = prk_store(test);
	struct pinrun r;

	KUNIT_ASSERT_EQ(test, pinrun_add(s, 100, 10, PINRUN_ACCT), 0);
	KUNIT_ASSERT_EQ(test, pinrun_add(s, 110, 5, PINRUN_ACCT), 0);
	KUNIT_EXPECT_EQ(test, s->nr, 1UL);
	KUNIT_EXPECT_EQ(test, s->npages, 15UL);
	prk_run(s, 0, &r);
	KUNIT_EXPECT_EQ(test, r.pfn, 100UL);
	KUNIT_EXPECT_EQ(test, r.npages, 15UL);
	KUNIT_EXPECT_EQ(test, r.flags, PINRUN_ACCT);

	/* contiguous but other flags, then a gap: new runs */
	KUNIT_ASSERT_EQ(test, pinrun_add(s, 115, 1, 0), 0);
	KUNIT_ASSERT_EQ(test, pinrun_add(s, 200, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, s->nr, 3UL);
	KUNIT_EXPECT_EQ(test, s->npages, 17UL);

	/* a run never grows past PINRUN_MAX_PAGES: the rest starts anew */
	KUNIT_ASSERT_EQ(test, pinrun_add(s, SZ_1M, PINRUN_MAX_PAGES - 2, 0),
			0);
	KUNIT_ASSERT_EQ(test, pinrun_add(s, SZ_1M + PINRUN_MAX_PAGES - 2, 5,
					 0), 0);
	KUNIT_EXPECT_EQ(test, s->nr, 5UL);
	prk_run(s, 3, &r);
	KUNIT_EXPECT_EQ(test, r.npages, PINRUN_MAX_PAGES);
	prk_run(s, 4, &r);
	KUNIT_EXPECT_EQ(test, r.pfn, SZ_1M + PINRUN_MAX_PAGES);
	KUNIT_EXPECT_EQ(test, r.npages, 3UL);

	/* beyond 42 bits of pfn: refused, nothing recorded */
	KUNIT_EXPECT_EQ(test, pinrun_add(s, BIT_ULL(42) - 1, 2, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, s->nr, 5UL);

	/* only PINRUN_ACCT runs count as charged */
	KUNIT_EXPECT_EQ(test, pinrun_release(s, false), 15UL);
	KUNIT_EXPECT_EQ(test, s->nr, 0UL);
	KUNIT_EXPECT_EQ(test, s->npages, 0UL);
	KUNIT_EXPECT_TRUE(test, list_empty(&s->blocks));
}

/* Runs of 3 pages, pfns 4 apart: run i holds pfns 4i .. 4i + 2. */
#define PRK_RUNS	(2 * PINRUN_BLOCK_ENTS + 7)

static unsigned long prk_pfn_of_page(unsigned long page)
{
	return 4 * (page / 3) + page % 3;
}

static void prk_fill_store(struct kunit *test, struct pinrun_store *s)
{
	unsigned long i;

	for (i = 0; i < PRK_RUNS; i++)
		KUNIT_ASSERT_EQ(test, pinrun_add(s, 4 * i + 16, 3, 0), 0);
	KUNIT_ASSERT_EQ(test, s->nr, PRK_RUNS);
}

static void prk_expect_window(struct kunit *test, struct kd_domain *kd,
			      unsigned long first, unsigned long n)
{
	unsigned long i;

	KUNIT_EXPECT_EQ(test, kd_count(kd), n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, kd_pfn(kd, PRK_IOVA + i * P),
				prk_pfn_of_page(first + i) + 16);
}

/* Windows: inside one run, across runs, across block boundaries. */
static void prk_windows(struct kunit *test)
{
	static const struct { unsigned long first, n; } win[] = {
		{ 0, 1 }, { 1, 1 }, { 2, 5 }, { 4, 2 },
		{ 3 * PINRUN_BLOCK_ENTS - 2, 7 },
		{ 3 * PINRUN_BLOCK_ENTS + 1, 3 * PINRUN_BLOCK_ENTS + 3 },
		{ 0, 3 * PRK_RUNS }, { 3 * PRK_RUNS - 1, 1 },
	};
	struct pinrun_store *s = prk_store(test);
	struct kd_domain *kd = kd_new(test);
	struct pinrun_batch b;
	struct pinrun_cursor c;
	struct prk_sink ps;
	unsigned int i;

	prk_fill_store(test, s);
	pinrun_batch_init(&b);
	for (i = 0; i < ARRAY_SIZE(win); i++) {
		prk_sink_init(&ps, kd, false);
		pinrun_cursor_init(&c, PRK_IOVA);
		KUNIT_ASSERT_EQ(test, pinrun_cursor_seek(&c, s, win[i].first,
							 win[i].n), 0);
		KUNIT_EXPECT_EQ(test, pinrun_flush(s, &c, true, &b, &ps.sink),
				0);
		KUNIT_EXPECT_EQ(test, c.mapped, PRK_IOVA + win[i].n * P);
		prk_expect_window(test, kd, win[i].first, win[i].n);
		pinrun_domain_unmap(&kd->dom, PRK_IOVA, win[i].n * P);
	}
	/* outside the store */
	pinrun_cursor_init(&c, PRK_IOVA);
	KUNIT_EXPECT_EQ(test, pinrun_cursor_seek(&c, s, 3 * PRK_RUNS, 1),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pinrun_cursor_seek(&c, s, 3 * PRK_RUNS - 1, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pinrun_cursor_seek(&c, s, 0, 0), -EINVAL);
	pinrun_batch_fini(&b);
}

/*
 * The whole store in steps, as type1 maps while pinning: a non-final
 * flush holds the last run back (it may still grow), the final one maps
 * it whole; small sinks map page by page.
 */
static void prk_incremental(struct kunit *test)
{
	struct pinrun_store *s = prk_store(test);
	struct kd_domain *kd = kd_new(test);
	struct pinrun_batch b;
	struct pinrun_cursor c;
	struct prk_sink ps;

	pinrun_batch_init(&b);
	prk_sink_init(&ps, kd, false);
	pinrun_cursor_init(&c, PRK_IOVA);
	KUNIT_ASSERT_EQ(test, pinrun_add(s, 1000, 4, 0), 0);
	KUNIT_ASSERT_EQ(test, pinrun_add(s, 2000, 2, 0), 0);
	KUNIT_EXPECT_EQ(test, pinrun_flush(s, &c, false, &b, &ps.sink), 0);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 4UL);
	KUNIT_EXPECT_EQ(test, c.passed, 1UL);
	/* the held-back run grows */
	KUNIT_ASSERT_EQ(test, pinrun_add(s, 2002, 3, 0), 0);
	KUNIT_EXPECT_EQ(test, pinrun_flush(s, &c, false, &b, &ps.sink), 0);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 4UL);
	KUNIT_EXPECT_EQ(test, pinrun_flush(s, &c, true, &b, &ps.sink), 0);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 9UL);
	KUNIT_EXPECT_EQ(test, kd_pfn(kd, PRK_IOVA + 8 * P), 2004UL);
	/* one map per run: unpinned runs have no struct page to batch */
	KUNIT_EXPECT_EQ(test, ps.calls, 2U);
	KUNIT_EXPECT_EQ(test, c.mapped, PRK_IOVA + 9 * P);
	pinrun_domain_unmap(&kd->dom, PRK_IOVA, 9 * P);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 0UL);

	/* small: a map per page */
	prk_sink_init(&ps, kd, true);
	pinrun_cursor_init(&c, PRK_IOVA);
	KUNIT_EXPECT_EQ(test, pinrun_flush(s, &c, true, &b, &ps.sink), 0);
	KUNIT_EXPECT_EQ(test, ps.calls, 9U);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 9UL);
	pinrun_domain_unmap(&kd->dom, PRK_IOVA, 9 * P);

	/* a failing map: c.mapped says what the domain holds */
	kd->fail_in = 6;
	prk_sink_init(&ps, kd, false);
	pinrun_cursor_init(&c, PRK_IOVA);
	KUNIT_EXPECT_EQ(test, pinrun_flush(s, &c, true, &b, &ps.sink),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, c.mapped, PRK_IOVA + 4 * P);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 4UL);
	kd->fail_in = -1;
	pinrun_batch_fini(&b);
}

/* A hole in the domain (after a partial unwind) is stepped over. */
static void prk_unmap_holes(struct kunit *test)
{
	struct kd_domain *kd = kd_new(test);

	KUNIT_ASSERT_EQ(test, pinrun_domain_map(&kd->dom, PRK_IOVA, 2 * P,
						NULL, 0, PFN_PHYS(50),
						IOMMU_READ), 0);
	KUNIT_ASSERT_EQ(test, pinrun_domain_map(&kd->dom, PRK_IOVA + 5 * P, P,
						NULL, 0, PFN_PHYS(60),
						IOMMU_READ), 0);
	pinrun_domain_unmap(&kd->dom, PRK_IOVA, 8 * P);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 0UL);
}

static struct kunit_case prk_cases[] = {
	KUNIT_CASE(prk_merge),
	KUNIT_CASE(prk_windows),
	KUNIT_CASE(prk_incremental),
	KUNIT_CASE(prk_unmap_holes),
	{}
};

static struct kunit_suite prk_suite = {
	.name = "vfio_pinrun",
	.test_cases = prk_cases,
};

kunit_test_suite(prk_suite);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("KUnit tests of the VFIO pin engine (pinrun)");
