// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vfio_type1_dma: the IOVA tree of a type1 container, the
 * MAP_DMA / UNMAP_DMA argument rules, UNMAP_ALL and VADDR bookkeeping,
 * the usable IOVA windows and the GET_INFO capability chain.
 *
 * A container with no IOMMU domain pins nothing (only emulated devices
 * would, on demand), so the real MAP/UNMAP code runs here without a
 * device. Each case gets a user mm from kunit_vm_mmap(): mappings record
 * the caller's mm, and the ioctl cases pass their arguments through a
 * page of it, as userspace would.
 */

#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <vfio/kunit_domain.h>
#include "type1.h"

#define P		PAGE_SIZE
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
/* Any page-aligned address: nothing is pinned without a domain. */
#define T1K_VADDR	0x7f0000000000UL
#define T1K_UBUF_SIZE	(2 * PAGE_SIZE)
/* The last page of the IOVA space. */
#define T1K_TOP		(U64_MAX - PAGE_SIZE + 1)

struct t1k_ctx {
	void __user *ubuf;	/* user pages for ioctl arguments */
};

static void __user *t1k_ubuf(struct kunit *test)
{
	return ((struct t1k_ctx *)test->priv)->ubuf;
}

static int t1k_init(struct kunit *test)
{
	struct t1k_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	unsigned long uaddr;

	if (!ctx)
		return -ENOMEM;
	uaddr = kunit_vm_mmap(test, NULL, 0, T1K_UBUF_SIZE,
			      PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!uaddr || IS_ERR_VALUE(uaddr))
		return -ENOMEM;
	ctx->ubuf = (void __user *)uaddr;
	test->priv = ctx;
	return 0;
}

static struct t1_iommu *t1k_open(struct kunit *test, unsigned long type)
{
	struct t1_iommu *iommu = t1_open(type);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, iommu);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, t1_release, iommu));
	return iommu;
}

static int t1k_map_va(struct t1_iommu *iommu, u64 iova, u64 vaddr, u64 size,
		      u32 flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags,
		.vaddr = vaddr, .iova = iova, .size = size,
	};

	return t1_do_map(iommu, &map);
}

static int t1k_map(struct t1_iommu *iommu, u64 iova, u64 size, u32 flags)
{
	return t1k_map_va(iommu, iova, T1K_VADDR, size, flags);
}

static int t1k_unmap(struct t1_iommu *iommu, u64 iova, u64 size, u32 flags,
		     u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .flags = flags,
		.iova = iova, .size = size,
	};
	struct vfio_bitmap bitmap = {};

	return t1_do_unmap(iommu, &unmap, &bitmap, unmapped);
}

/* Number of mappings in the tree; their total size in @bytes. */
static unsigned int t1k_count(struct t1_iommu *iommu, u64 *bytes)
{
	struct t1_mapping *m;
	unsigned int n = 0;
	u64 sum = 0;

	for (m = t1_mapping_lowest(iommu); m; m = t1_mapping_succ(m)) {
		n++;
		sum += m->size;
	}
	if (bytes)
		*bytes = sum;
	return n;
}

static void t1k_put(struct kunit *test, size_t off, const void *src,
		    size_t len)
{
	KUNIT_ASSERT_EQ(test, 0UL,
			copy_to_user(t1k_ubuf(test) + off, src, len));
}

static void t1k_get(struct kunit *test, size_t off, void *dst, size_t len)
{
	KUNIT_ASSERT_EQ(test, 0UL,
			copy_from_user(dst, t1k_ubuf(test) + off, len));
}

/* The ioctl with its argument at offset @off of the user page. */
static long t1k_ioctl(struct kunit *test, struct t1_iommu *iommu,
		      unsigned int cmd, size_t off)
{
	return t1_ioctl(iommu, cmd, (unsigned long)(t1k_ubuf(test) + off));
}

/* ---------------------------------------------------------------- */

static void t1k_map_lookup(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	unsigned int limit = iommu->maps_left;
	struct t1_mapping *a, *b, *top;

	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M, 4 * P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_8M, 16 * P,
					 VFIO_DMA_MAP_FLAG_READ));
	/* A mapping may end at the very last IOVA. */
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, T1K_TOP - P, 2 * P, RW));

	a = t1_mapping_at(iommu, SZ_1M);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, t1_map_iova(a), (dma_addr_t)SZ_1M);
	KUNIT_EXPECT_EQ(test, a->size, 4 * P);
	KUNIT_EXPECT_EQ(test, a->vaddr, T1K_VADDR);
	KUNIT_EXPECT_EQ(test, a->prot, IOMMU_READ | IOMMU_WRITE);
	KUNIT_EXPECT_PTR_EQ(test, t1_mapping_at(iommu, SZ_1M + 4 * P - 1), a);
	KUNIT_EXPECT_NULL(test, t1_mapping_at(iommu, SZ_1M - 1));
	KUNIT_EXPECT_NULL(test, t1_mapping_at(iommu, SZ_1M + 4 * P));

	b = t1_mapping_at(iommu, SZ_8M + 5 * P + 123);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, t1_map_iova(b), (dma_addr_t)SZ_8M);
	KUNIT_EXPECT_EQ(test, b->prot, IOMMU_READ);

	top = t1_mapping_at(iommu, U64_MAX);
	KUNIT_ASSERT_NOT_NULL(test, top);
	KUNIT_EXPECT_EQ(test, t1_map_iova(top), (dma_addr_t)(T1K_TOP - P));
	KUNIT_EXPECT_EQ(test, top->node.last, (unsigned long)U64_MAX);

	/* In IOVA order. */
	KUNIT_EXPECT_PTR_EQ(test, t1_mapping_lowest(iommu), a);
	KUNIT_EXPECT_PTR_EQ(test, t1_mapping_succ(a), b);
	KUNIT_EXPECT_PTR_EQ(test, t1_mapping_succ(b), top);
	KUNIT_EXPECT_NULL(test, t1_mapping_succ(top));
	KUNIT_EXPECT_EQ(test, iommu->maps_left, limit - 3);
}

static void t1k_map_overlap(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	static const struct { u64 iova, size; } clash[] = {
		{ SZ_1M - P, 2 * P },		/* over the first page */
		{ SZ_1M + 3 * P, 2 * P },	/* over the last page */
		{ SZ_1M + P, P },		/* inside */
		{ SZ_1M - P, 6 * P },		/* around */
		{ SZ_1M, 4 * P },		/* the same */
	};
	unsigned int i, limit;

	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M, 4 * P, RW));
	limit = iommu->maps_left;

	for (i = 0; i < ARRAY_SIZE(clash); i++)
		KUNIT_EXPECT_EQ_MSG(test, -EEXIST,
				    t1k_map(iommu, clash[i].iova,
					    clash[i].size, RW),
				    "clash %u", i);
	KUNIT_EXPECT_EQ(test, 1U, t1k_count(iommu, NULL));
	KUNIT_EXPECT_EQ(test, iommu->maps_left, limit);

	/* Touching is not overlapping. */
	KUNIT_EXPECT_EQ(test, 0, t1k_map(iommu, SZ_1M - P, P, RW));
	KUNIT_EXPECT_EQ(test, 0, t1k_map(iommu, SZ_1M + 4 * P, P, RW));
	KUNIT_EXPECT_EQ(test, 3U, t1k_count(iommu, NULL));
}

static void t1k_map_bad_args(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	static const struct {
		u64 iova, vaddr, size;
		u32 flags;
		const char *what;
	} bad[] = {
		{ SZ_1M, T1K_VADDR, 0, RW, "size 0" },
		{ SZ_1M + 1, T1K_VADDR, P, RW, "unaligned iova" },
		{ SZ_1M, T1K_VADDR + 8, P, RW, "unaligned vaddr" },
		{ SZ_1M, T1K_VADDR, P + 512, RW, "unaligned size" },
		{ T1K_TOP, T1K_VADDR, 2 * P, RW, "iova wraps" },
		{ SZ_1M, ULONG_MAX - P + 1, 2 * P, RW, "vaddr wraps" },
		{ SZ_1M, T1K_VADDR, P, 0, "no permission" },
		{ SZ_1M, T1K_VADDR, P, VFIO_DMA_MAP_FLAG_VADDR | RW,
		  "VADDR with permissions" },
	};
	unsigned int i, limit = iommu->maps_left;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    t1k_map_va(iommu, bad[i].iova,
					       bad[i].vaddr, bad[i].size,
					       bad[i].flags),
				    "%s", bad[i].what);

	/* A failed MAP_DMA leaves nothing behind. */
	KUNIT_EXPECT_EQ(test, 0U, t1k_count(iommu, NULL));
	KUNIT_EXPECT_EQ(test, iommu->maps_left, limit);
}

static void t1k_entry_limit(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	u64 unmapped;

	/* As if loaded with dma_entry_limit=2. */
	iommu->maps_left = 2;
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M, P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_2M, P, RW));
	KUNIT_EXPECT_EQ(test, -ENOSPC, t1k_map(iommu, SZ_4M, P, RW));
	/* An overlap is reported as such even at the limit. */
	KUNIT_EXPECT_EQ(test, -EEXIST, t1k_map(iommu, SZ_1M, P, RW));

	KUNIT_ASSERT_EQ(test, 0, t1k_unmap(iommu, SZ_1M, P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, 1U, iommu->maps_left);
	KUNIT_EXPECT_EQ(test, 0, t1k_map(iommu, SZ_4M, P, RW));
	KUNIT_EXPECT_EQ(test, 0U, iommu->maps_left);
}

/* v2: an unmap must not cut a mapping; gaps inside the range are fine. */
static void t1k_unmap_v2(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	u64 unmapped, bytes;

	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M, 4 * P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M + 4 * P, 4 * P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_2M, P, RW));

	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_unmap(iommu, SZ_1M + P, P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_unmap(iommu, SZ_1M, 2 * P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_unmap(iommu, SZ_1M + 2 * P, 4 * P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, 3U, t1k_count(iommu, NULL));

	/* The second mapping and the gap after it. */
	KUNIT_EXPECT_EQ(test, 0,
			t1k_unmap(iommu, SZ_1M + 4 * P, 8 * P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, (u64)4 * P);
	KUNIT_EXPECT_NULL(test, t1_mapping_at(iommu, SZ_1M + 4 * P));
	KUNIT_EXPECT_NOT_NULL(test, t1_mapping_at(iommu, SZ_1M));

	/* Nothing there: success, nothing unmapped. */
	KUNIT_EXPECT_EQ(test, 0, t1k_unmap(iommu, SZ_4M, P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 0ULL);

	/* Several whole mappings at once. */
	KUNIT_EXPECT_EQ(test, 0, t1k_unmap(iommu, 0, SZ_4M, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, (u64)5 * P);
	KUNIT_EXPECT_EQ(test, 0U, t1k_count(iommu, &bytes));
}

/*
 * v1 has no mapping boundaries to respect: a range that starts inside
 * a mapping unmaps nothing (and succeeds); one that covers a mapping's
 * first page unmaps all of it. Mappings are never split.
 */
static void t1k_unmap_v1(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1_IOMMU);
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M, 4 * P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_2M, 4 * P, RW));

	KUNIT_EXPECT_EQ(test, 0, t1k_unmap(iommu, SZ_1M + P, P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 0ULL);
	/* Starting inside the first stops the walk: the second stays. */
	KUNIT_EXPECT_EQ(test, 0,
			t1k_unmap(iommu, SZ_1M + P, SZ_2M, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 0ULL);
	KUNIT_EXPECT_EQ(test, 2U, t1k_count(iommu, NULL));

	KUNIT_EXPECT_EQ(test, 0, t1k_unmap(iommu, SZ_1M, P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, (u64)4 * P);
	KUNIT_EXPECT_NULL(test, t1_mapping_at(iommu, SZ_1M + 3 * P));

	/* From below the mapping, over its first page only. */
	KUNIT_EXPECT_EQ(test, 0,
			t1k_unmap(iommu, SZ_2M - P, 2 * P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, (u64)4 * P);
	KUNIT_EXPECT_EQ(test, 0U, t1k_count(iommu, NULL));
}

static void t1k_unmap_bad_args(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	static const struct {
		u64 iova, size;
		u32 flags;
		const char *what;
	} bad[] = {
		{ SZ_1M, 0, 0, "size 0" },
		{ SZ_1M + 1, P, 0, "unaligned iova" },
		{ SZ_1M, P - 1, 0, "unaligned size" },
		{ T1K_TOP, 2 * P, 0, "range wraps" },
		{ SZ_1M, 0, VFIO_DMA_UNMAP_FLAG_ALL, "ALL with an iova" },
		{ 0, P, VFIO_DMA_UNMAP_FLAG_ALL, "ALL with a size" },
		{ SZ_1M, 4 * P, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
		  "bitmap while not tracking" },
	};
	unsigned int i;
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M, 4 * P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, T1K_TOP, P, RW));

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		unmapped = 1;
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    t1k_unmap(iommu, bad[i].iova, bad[i].size,
					      bad[i].flags, &unmapped),
				    "%s", bad[i].what);
		KUNIT_EXPECT_EQ_MSG(test, unmapped, 0ULL, "%s", bad[i].what);
	}
	KUNIT_EXPECT_EQ(test, 2U, t1k_count(iommu, NULL));
}

static void t1k_unmap_all(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	unsigned int limit = iommu->maps_left;
	u64 unmapped, bytes, i;

	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_EQ(test, 0,
				t1k_map(iommu, SZ_1M * (i + 1), (i + 1) * P,
					RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, T1K_TOP, P, RW));
	KUNIT_ASSERT_EQ(test, 6U, t1k_count(iommu, &bytes));

	KUNIT_EXPECT_EQ(test, 0,
			t1k_unmap(iommu, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				  &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, bytes);
	KUNIT_EXPECT_EQ(test, 0U, t1k_count(iommu, NULL));
	KUNIT_EXPECT_EQ(test, iommu->maps_left, limit);

	KUNIT_EXPECT_EQ(test, 0,
			t1k_unmap(iommu, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				  &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 0ULL);
}

/* UNMAP_DMA with VADDR and MAP_DMA with VADDR (live update). */
static void t1k_update_vaddr(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	const u32 inval = VFIO_DMA_UNMAP_FLAG_VADDR;
	struct t1_mapping *a, *b;
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M, 4 * P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_2M, 2 * P, RW));
	a = t1_mapping_at(iommu, SZ_1M);
	b = t1_mapping_at(iommu, SZ_2M);

	KUNIT_EXPECT_EQ(test, 0,
			t1k_unmap(iommu, SZ_1M, 4 * P, inval, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, (u64)4 * P);
	KUNIT_EXPECT_TRUE(test, a->vaddr_stale);
	KUNIT_EXPECT_EQ(test, 1U, iommu->stale_vaddrs);
	/* The mapping stays: the device keeps its DMA. */
	KUNIT_EXPECT_EQ(test, 2U, t1k_count(iommu, NULL));

	/* All or nothing: @a is stale already, so @b is left alone. */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_unmap(iommu, 0, SZ_4M, inval, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 0ULL);
	KUNIT_EXPECT_FALSE(test, b->vaddr_stale);
	KUNIT_EXPECT_EQ(test, 1U, iommu->stale_vaddrs);

	KUNIT_EXPECT_EQ(test, -ENOENT,
			t1k_map_va(iommu, SZ_4M, T1K_VADDR, P,
				   VFIO_DMA_MAP_FLAG_VADDR));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_map_va(iommu, SZ_1M, T1K_VADDR, 2 * P,
				   VFIO_DMA_MAP_FLAG_VADDR));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_map_va(iommu, SZ_2M, T1K_VADDR, 2 * P,
				   VFIO_DMA_MAP_FLAG_VADDR));

	KUNIT_EXPECT_EQ(test, 0,
			t1k_map_va(iommu, SZ_1M, T1K_VADDR + SZ_1G, 4 * P,
				   VFIO_DMA_MAP_FLAG_VADDR));
	KUNIT_EXPECT_FALSE(test, a->vaddr_stale);
	KUNIT_EXPECT_EQ(test, a->vaddr, T1K_VADDR + SZ_1G);
	KUNIT_EXPECT_EQ(test, 0U, iommu->stale_vaddrs);

	/* UNMAP_ALL with VADDR invalidates every mapping. */
	KUNIT_EXPECT_EQ(test, 0,
			t1k_unmap(iommu, 0, 0, inval | VFIO_DMA_UNMAP_FLAG_ALL,
				  &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, (u64)6 * P);
	KUNIT_EXPECT_EQ(test, 2U, iommu->stale_vaddrs);

	/* A real unmap of a stale mapping drops it from the count. */
	KUNIT_EXPECT_EQ(test, 0,
			t1k_unmap(iommu, SZ_2M, 2 * P, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, 1U, iommu->stale_vaddrs);
}

/* Aperture minus reserved regions, as attaching a domain computes it. */
static void t1k_windows(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	struct t1_iommu *other = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	static const struct {
		u64 start, length;
		enum iommu_resv_type type;
	} resv[] = {
		{ 0xfee00000, SZ_1M, IOMMU_RESV_MSI },
		{ 0, SZ_4K, IOMMU_RESV_RESERVED },
		{ SZ_1M, SZ_64K, IOMMU_RESV_DIRECT_RELAXABLE },	/* ignored */
		{ SZ_2M, 0, IOMMU_RESV_RESERVED },		/* empty */
		{ SZ_512G - SZ_4K, SZ_4K, IOMMU_RESV_DIRECT },	/* the end */
		{ SZ_1T, SZ_4K, IOMMU_RESV_RESERVED },		/* outside */
	};
	static const u64 want[][2] = {
		{ SZ_4K, 0xfedfffff },
		{ 0xfef00000, SZ_512G - SZ_4K - 1 },
	};
	struct iommu_resv_region *r, regions[ARRAY_SIZE(resv)] = {};
	struct iommu_resv_region all = {
		.start = 0, .length = SZ_1T, .type = IOMMU_RESV_RESERVED,
	};
	struct list_head *windows = &iommu->windows;
	struct t1_window *w;
	LIST_HEAD(resv_list);
	LIST_HEAD(one);
	unsigned int i;

	for (i = 0, r = regions; i < ARRAY_SIZE(resv); i++, r++) {
		r->start = resv[i].start;
		r->length = resv[i].length;
		r->type = resv[i].type;
		list_add_tail(&r->list, &resv_list);
	}

	/* The container owns its windows: t1_release() frees them. */
	KUNIT_ASSERT_EQ(test, 0, t1_windows_clip(windows, 0, SZ_512G - 1));
	KUNIT_ASSERT_EQ(test, 0, t1_windows_punch(windows, &resv_list));
	i = 0;
	list_for_each_entry(w, windows, node) {
		KUNIT_ASSERT_LT(test, i, (unsigned int)ARRAY_SIZE(want));
		KUNIT_EXPECT_EQ_MSG(test, w->first, (dma_addr_t)want[i][0],
				    "window %u", i);
		KUNIT_EXPECT_EQ_MSG(test, w->last, (dma_addr_t)want[i][1],
				    "window %u", i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, (unsigned int)ARRAY_SIZE(want));

	/* A second domain with a 32-bit aperture narrows them. */
	KUNIT_ASSERT_EQ(test, 0, t1_windows_clip(windows, 0, U32_MAX));
	w = list_last_entry(windows, struct t1_window, node);
	KUNIT_EXPECT_EQ(test, w->first, (dma_addr_t)0xfef00000);
	KUNIT_EXPECT_EQ(test, w->last, (dma_addr_t)U32_MAX);

	/* MAP_DMA must fit in one window. */
	KUNIT_EXPECT_EQ(test, -EINVAL, t1k_map(iommu, 0, P, RW));
	KUNIT_EXPECT_EQ(test, -EINVAL, t1k_map(iommu, 0xfee00000, P, RW));
	KUNIT_EXPECT_EQ(test, -EINVAL, t1k_map(iommu, 0xfedff000, 2 * P, RW));
	KUNIT_EXPECT_EQ(test, -EINVAL, t1k_map(iommu, SZ_4G, P, RW));
	KUNIT_EXPECT_EQ(test, 0, t1k_map(iommu, 0xfedff000, P, RW));
	KUNIT_EXPECT_EQ(test, 0, t1k_map(iommu, SZ_4K, P, RW));
	KUNIT_EXPECT_EQ(test, 0, t1k_map(iommu, 0xfef00000, P, RW));

	/* Nothing left: the attach would fail. */
	list_add(&all.list, &one);
	KUNIT_ASSERT_EQ(test, 0,
			t1_windows_clip(&other->windows, 0, SZ_512G - 1));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1_windows_punch(&other->windows, &one));
	KUNIT_EXPECT_TRUE(test, list_empty(&other->windows));
}

/* Find capability @id in a GET_INFO reply; checks every link on the way. */
static const struct vfio_info_cap_header *
t1k_find_cap(struct kunit *test, const u8 *buf, u32 argsz, u32 first, u16 id)
{
	const struct vfio_info_cap_header *hdr;
	u32 off = first, hops = 0;

	while (off) {
		KUNIT_ASSERT_TRUE(test, IS_ALIGNED(off, sizeof(u64)));
		KUNIT_ASSERT_LE(test, off + sizeof(*hdr), (size_t)argsz);
		KUNIT_ASSERT_LT(test, hops++, 8U);
		hdr = (const void *)(buf + off);
		if (hdr->id == id)
			return hdr;
		/* Capabilities come in ascending order. */
		KUNIT_ASSERT_TRUE(test, !hdr->next || hdr->next > off);
		off = hdr->next;
	}
	return NULL;
}

static void t1k_get_info(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	const struct vfio_iommu_type1_info_cap_iova_range *ranges;
	const struct vfio_iommu_type1_info_cap_migration *mig;
	const struct vfio_iommu_type1_info_dma_avail *avail;
	const size_t minsz = offsetofend(struct vfio_iommu_type1_info,
					 iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct t1_window *w;
	u32 need;
	u8 *buf;

	buf = kunit_kzalloc(test, P, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	/* Without a domain: migration and DMA-avail only, no ranges. */
	info.argsz = P;
	t1k_put(test, 0, &info, sizeof(info));
	KUNIT_ASSERT_EQ(test, 0L, t1k_ioctl(test, iommu, VFIO_IOMMU_GET_INFO, 0));
	t1k_get(test, 0, buf, P);
	memcpy(&info, buf, sizeof(info));
	KUNIT_EXPECT_EQ(test, info.flags,
			VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	KUNIT_EXPECT_EQ(test, info.iova_pgsizes, (u64)PAGE_MASK);
	KUNIT_EXPECT_EQ(test, info.cap_offset, (u32)sizeof(info));
	KUNIT_EXPECT_NULL(test,
			  t1k_find_cap(test, buf, P, info.cap_offset,
				       VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE));

	/* Two windows (freed by t1_release()) and two mappings. */
	KUNIT_ASSERT_EQ(test, 0, t1_windows_clip(&iommu->windows, 0, U32_MAX));
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->first = SZ_1T;
	w->last = SZ_1T + SZ_1G - 1;
	list_add_tail(&w->node, &iommu->windows);
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1M, P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, SZ_1T, P, RW));

	/* Too small for the chain: the size needed, no chain. */
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	t1k_put(test, 0, &info, sizeof(info));
	KUNIT_ASSERT_EQ(test, 0L, t1k_ioctl(test, iommu, VFIO_IOMMU_GET_INFO, 0));
	t1k_get(test, 0, &info, sizeof(info));
	KUNIT_EXPECT_TRUE(test, info.flags & VFIO_IOMMU_INFO_CAPS);
	KUNIT_EXPECT_EQ(test, info.cap_offset, 0U);
	need = info.argsz;
	/* Header, three 8-aligned capabilities (two ranges in the last). */
	KUNIT_EXPECT_EQ(test, need,
			(u32)(sizeof(info) +
			      ALIGN(sizeof(*mig), 8) + ALIGN(sizeof(*avail), 8) +
			      ALIGN(struct_size(ranges, iova_ranges, 2), 8)));

	/* Only the mandatory part: only that much is written back. */
	memset(buf, 0xa5, P);
	((struct vfio_iommu_type1_info *)buf)->argsz = minsz;
	t1k_put(test, 0, buf, P);
	KUNIT_ASSERT_EQ(test, 0L, t1k_ioctl(test, iommu, VFIO_IOMMU_GET_INFO, 0));
	t1k_get(test, 0, buf, P);
	memcpy(&info, buf, sizeof(info));
	KUNIT_EXPECT_EQ(test, info.argsz, need);
	KUNIT_EXPECT_EQ(test, info.cap_offset, 0xa5a5a5a5U);

	/* Big enough: the chain, rebased to the start of the reply. */
	memset(buf, 0, P);
	((struct vfio_iommu_type1_info *)buf)->argsz = need;
	t1k_put(test, 0, buf, P);
	KUNIT_ASSERT_EQ(test, 0L, t1k_ioctl(test, iommu, VFIO_IOMMU_GET_INFO, 0));
	t1k_get(test, 0, buf, P);
	memcpy(&info, buf, sizeof(info));
	KUNIT_EXPECT_EQ(test, info.argsz, need);
	KUNIT_EXPECT_EQ(test, info.cap_offset, (u32)sizeof(info));

	mig = (const void *)t1k_find_cap(test, buf, need, info.cap_offset,
				       VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	KUNIT_ASSERT_NOT_NULL(test, mig);
	KUNIT_EXPECT_EQ(test, mig->header.version, 1);
	KUNIT_EXPECT_EQ(test, mig->pgsize_bitmap, (u64)PAGE_SIZE);
	/* INT_MAX pages of bits, rounded up to u64 words. */
	KUNIT_EXPECT_EQ(test, mig->max_dirty_bitmap_size, (u64)SZ_256M);

	avail = (const void *)t1k_find_cap(test, buf, need, info.cap_offset,
					 VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	KUNIT_ASSERT_NOT_NULL(test, avail);
	KUNIT_EXPECT_EQ(test, avail->header.version, 1);
	KUNIT_EXPECT_EQ(test, avail->avail, iommu->maps_left);

	ranges = (const void *)t1k_find_cap(test, buf, need, info.cap_offset,
					  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	KUNIT_ASSERT_NOT_NULL(test, ranges);
	KUNIT_EXPECT_EQ(test, ranges->header.version, 1);
	KUNIT_ASSERT_EQ(test, ranges->nr_iovas, 2U);
	KUNIT_EXPECT_EQ(test, ranges->iova_ranges[0].start, 0ULL);
	KUNIT_EXPECT_EQ(test, ranges->iova_ranges[0].end, (u64)U32_MAX);
	KUNIT_EXPECT_EQ(test, ranges->iova_ranges[1].start, (u64)SZ_1T);
	KUNIT_EXPECT_EQ(test, ranges->iova_ranges[1].end,
			(u64)SZ_1T + SZ_1G - 1);
	/* The last capability ends the chain and the reply. */
	KUNIT_EXPECT_EQ(test, ranges->header.next, 0);
	KUNIT_EXPECT_EQ(test, (size_t)((const u8 *)ranges - buf) +
			ALIGN(struct_size(ranges, iova_ranges, 2), 8),
			(size_t)need);
}

/* The ioctl table: argsz, flags, unknown commands, v2-only commands. */
static void t1k_ioctl_checks(struct kunit *test)
{
	/* @bare: asked before SET_IOMMU (no iommu_data yet). */
	static const struct {
		unsigned long ext;
		bool bare;
		long want;
	} exts[] = {
		{ VFIO_TYPE1_IOMMU, false, 1 },
		{ VFIO_TYPE1v2_IOMMU, false, 1 },
		{ VFIO_UNMAP_ALL, false, 1 },
		{ VFIO_UPDATE_VADDR, false, 1 },
		{ VFIO_DMA_CC_IOMMU, false, 1 },
		{ VFIO_SPAPR_TCE_IOMMU, false, 0 },
		{ VFIO_UPDATE_VADDR, true, 0 },
		{ VFIO_TYPE1v2_IOMMU, true, 1 },
	};
	struct t1_iommu *v2 = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	struct t1_iommu *v1 = t1k_open(test, VFIO_TYPE1_IOMMU);
	struct vfio_iommu_type1_dma_unmap unmap = {};
	struct vfio_iommu_type1_dirty_bitmap db = {};
	struct vfio_iommu_type1_dma_map map = {};
	struct vfio_iommu_type1_info info = {};
	unsigned int i;

	KUNIT_EXPECT_EQ(test, -ENOTTY,
			t1k_ioctl(test, v2, VFIO_DEVICE_GET_INFO, 0));

	map.argsz = offsetofend(struct vfio_iommu_type1_dma_map, size) - 1;
	map.flags = RW;
	map.vaddr = T1K_VADDR;
	map.iova = SZ_1M;
	map.size = P;
	t1k_put(test, 0, &map, sizeof(map));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_ioctl(test, v2, VFIO_IOMMU_MAP_DMA, 0));
	map.argsz = sizeof(map);
	map.flags = RW | BIT(3);
	t1k_put(test, 0, &map, sizeof(map));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_ioctl(test, v2, VFIO_IOMMU_MAP_DMA, 0));
	map.flags = RW;
	t1k_put(test, 0, &map, sizeof(map));
	KUNIT_EXPECT_EQ(test, 0L, t1k_ioctl(test, v2, VFIO_IOMMU_MAP_DMA, 0));
	KUNIT_EXPECT_NOT_NULL(test, t1_mapping_at(v2, SZ_1M));

	unmap.argsz = sizeof(unmap);
	unmap.flags = BIT(3);
	unmap.iova = SZ_1M;
	unmap.size = P;
	t1k_put(test, 0, &unmap, sizeof(unmap));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_ioctl(test, v2, VFIO_IOMMU_UNMAP_DMA, 0));
	/* A bitmap goes with a plain range only. */
	unmap.argsz = sizeof(unmap) + sizeof(struct vfio_bitmap);
	unmap.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
		      VFIO_DMA_UNMAP_FLAG_ALL;
	t1k_put(test, 0, &unmap, sizeof(unmap));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_ioctl(test, v2, VFIO_IOMMU_UNMAP_DMA, 0));
	/* The unmapped size comes back in the argument. */
	unmap.argsz = sizeof(unmap);
	unmap.flags = 0;
	t1k_put(test, 0, &unmap, sizeof(unmap));
	KUNIT_EXPECT_EQ(test, 0L, t1k_ioctl(test, v2, VFIO_IOMMU_UNMAP_DMA, 0));
	t1k_get(test, 0, &unmap, sizeof(unmap));
	KUNIT_EXPECT_EQ(test, unmap.size, (u64)P);

	/* GET_INFO is output only: input flags do not matter. */
	info.argsz = sizeof(info);
	info.flags = U32_MAX;
	t1k_put(test, 0, &info, sizeof(info));
	KUNIT_EXPECT_EQ(test, 0L, t1k_ioctl(test, v2, VFIO_IOMMU_GET_INFO, 0));

	db.argsz = sizeof(db);
	db.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	t1k_put(test, 0, &db, sizeof(db));
	KUNIT_EXPECT_EQ(test, -EACCES,
			t1k_ioctl(test, v1, VFIO_IOMMU_DIRTY_PAGES, 0));
	db.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
		   VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	t1k_put(test, 0, &db, sizeof(db));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			t1k_ioctl(test, v2, VFIO_IOMMU_DIRTY_PAGES, 0));
	KUNIT_EXPECT_FALSE(test, v2->dirty_tracking);

	/* Extensions, with no domain attached. */
	for (i = 0; i < ARRAY_SIZE(exts); i++)
		KUNIT_EXPECT_EQ_MSG(test, exts[i].want,
				    t1_ioctl(exts[i].bare ? NULL : v2,
					     VFIO_CHECK_EXTENSION, exts[i].ext),
				    "extension %lu", exts[i].ext);
}

/* Offsets in the user page: a request, then the user bitmap. */
#define T1K_BITMAP	P

/* GET_BITMAP of [@iova, @iova + @size) into a zeroed user bitmap. */
static long t1k_dirty_get(struct kunit *test, struct t1_iommu *iommu,
			  u64 iova, u64 size, u64 *bits, size_t bytes)
{
	struct vfio_iommu_type1_dirty_bitmap db = {
		.argsz = sizeof(db) +
			 sizeof(struct vfio_iommu_type1_dirty_bitmap_get),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
	};
	struct vfio_iommu_type1_dirty_bitmap_get get = {
		.iova = iova, .size = size,
		.bitmap = {
			.pgsize = P, .size = bytes,
			.data = t1k_ubuf(test) + T1K_BITMAP,
		},
	};
	long ret;

	memset(bits, 0, bytes);
	t1k_put(test, T1K_BITMAP, bits, bytes);
	t1k_put(test, 0, &db, sizeof(db));
	t1k_put(test, sizeof(db), &get, sizeof(get));
	ret = t1k_ioctl(test, iommu, VFIO_IOMMU_DIRTY_PAGES, 0);
	t1k_get(test, T1K_BITMAP, bits, bytes);
	return ret;
}

/*
 * Dirty bitmaps of mappings that do not start on a 64-page boundary of
 * the user's bitmap are shifted and merged into it.
 */
static void t1k_dirty_bitmap(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	const u64 base = SZ_1G;
	struct vfio_iommu_type1_dirty_bitmap start = {
		.argsz = sizeof(start),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap) + sizeof(struct vfio_bitmap),
		.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
		.iova = base + 4 * P, .size = 5 * P,
	};
	struct vfio_bitmap ubm = {
		.pgsize = P, .size = sizeof(u64),
		.data = t1k_ubuf(test) + T1K_BITMAP,
	};
	struct t1_mapping *a, *b, *c;
	u64 bits[3];

	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, base, 3 * P, RW));
	t1k_put(test, 0, &start, sizeof(start));
	KUNIT_ASSERT_EQ(test, 0L,
			t1k_ioctl(test, iommu, VFIO_IOMMU_DIRTY_PAGES, 0));
	KUNIT_ASSERT_TRUE(test, iommu->dirty_tracking);
	/* Mapped while tracking: gets its bitmap at once. */
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, base + 4 * P, 5 * P, RW));
	KUNIT_ASSERT_EQ(test, 0, t1k_map(iommu, base + 70 * P, 60 * P, RW));
	a = t1_mapping_at(iommu, base);
	b = t1_mapping_at(iommu, base + 4 * P);
	c = t1_mapping_at(iommu, base + 70 * P);

	t1_dirty_mark(iommu, a, P, 1);
	t1_dirty_mark(iommu, b, 0, P);
	t1_dirty_mark(iommu, b, 4 * P, P);
	t1_dirty_mark(iommu, c, 0, 1);
	t1_dirty_mark(iommu, c, 59 * P, P);

	KUNIT_ASSERT_EQ(test, 0L, t1k_dirty_get(test, iommu, base, 130 * P,
						bits, sizeof(bits)));
	KUNIT_EXPECT_EQ(test, bits[0], BIT_ULL(1) | BIT_ULL(4) | BIT_ULL(8));
	KUNIT_EXPECT_EQ(test, bits[1], BIT_ULL(70 - 64));
	KUNIT_EXPECT_EQ(test, bits[2], BIT_ULL(129 - 128));

	/* Reporting starts a new window. */
	KUNIT_ASSERT_EQ(test, 0L, t1k_dirty_get(test, iommu, base, 130 * P,
						bits, sizeof(bits)));
	KUNIT_EXPECT_EQ(test, bits[0] | bits[1] | bits[2], 0ULL);

	/* Whole mappings only; the bitmap granule is the IOMMU page. */
	KUNIT_EXPECT_EQ(test, -EINVAL, t1k_dirty_get(test, iommu, base + P,
						     8 * P, bits, 8));
	KUNIT_EXPECT_EQ(test, -EINVAL, t1k_dirty_get(test, iommu, base,
						     8 * P, bits, 0));

	/* UNMAP_DMA reports the bits of what it unmaps, at its own base. */
	t1_dirty_mark(iommu, b, 2 * P, P);
	bits[0] = 0;
	t1k_put(test, T1K_BITMAP, bits, sizeof(u64));
	t1k_put(test, 0, &unmap, sizeof(unmap));
	t1k_put(test, sizeof(unmap), &ubm, sizeof(ubm));
	KUNIT_EXPECT_EQ(test, 0L,
			t1k_ioctl(test, iommu, VFIO_IOMMU_UNMAP_DMA, 0));
	t1k_get(test, T1K_BITMAP, bits, sizeof(u64));
	KUNIT_EXPECT_EQ(test, bits[0], BIT_ULL(2));
	KUNIT_EXPECT_NULL(test, t1_mapping_at(iommu, base + 4 * P));
}

/* The pfn behind user address @va, by a pin of our own. */
static unsigned long t1k_user_pfn(struct kunit *test, unsigned long va)
{
	struct page *page;
	unsigned long pfn;

	KUNIT_ASSERT_EQ(test, 1,
			pin_user_pages_fast(va, 1, FOLL_WRITE | FOLL_LONGTERM,
					    &page));
	pfn = page_to_pfn(page);
	unpin_user_page(page);
	return pfn;
}

/* Runs before the fake is freed and the container released. */
static void t1k_drop_domain(void *data)
{
	struct t1_domain *d = data;

	list_del(&d->node);
}

#define T1K_PIN_PAGES	1024UL

/*
 * With an IOMMU domain, MAP_DMA pins and maps through the shared pin
 * engine (several GUP batches and map_sg flushes for 4 MiB) and charges
 * locked_vm; UNMAP_DMA unmaps, unpins and refunds; a GUP or IOMMU failure
 * leaves nothing. A fake domain (include/vfio/kunit_domain.h) stands in
 * for the IOMMU and records what it was told.
 */
static void t1k_pinned(struct kunit *test)
{
	struct t1_iommu *iommu = t1k_open(test, VFIO_TYPE1v2_IOMMU);
	const u64 size = T1K_PIN_PAGES * P;
	struct kd_domain *kd = kd_new(test);
	unsigned long va, locked, i;
	struct t1_mapping *m;
	struct t1_domain *d;
	u64 unmapped;

	d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	va = kunit_vm_mmap(test, NULL, 0, size, PROT_READ | PROT_WRITE,
			   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_TRUE(test, va && !IS_ERR_VALUE(va));
	d->domain = &kd->dom;
	INIT_LIST_HEAD(&d->groups);
	mutex_lock(&iommu->lock);
	list_add(&d->node, &iommu->domains);
	mutex_unlock(&iommu->lock);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, t1k_drop_domain, d));
	locked = current->mm->locked_vm;

	KUNIT_ASSERT_EQ(test, 0, t1k_map_va(iommu, SZ_1G, va, size, RW));
	m = t1_mapping_at(iommu, SZ_1G);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_TRUE(test, m->pinned);
	KUNIT_EXPECT_EQ(test, m->runs.npages, T1K_PIN_PAGES);
	KUNIT_EXPECT_EQ(test, m->locked, (long)T1K_PIN_PAGES);
	KUNIT_EXPECT_EQ(test, current->mm->locked_vm - locked, T1K_PIN_PAGES);
	KUNIT_EXPECT_EQ(test, kd_count(kd), T1K_PIN_PAGES);
	KUNIT_EXPECT_EQ(test, kd->remapped, 0U);
	for (i = 0; i < T1K_PIN_PAGES; i++)
		KUNIT_EXPECT_EQ(test, kd_pfn(kd, SZ_1G + i * P),
				t1k_user_pfn(test, va + i * P));

	KUNIT_EXPECT_EQ(test, 0, t1k_unmap(iommu, SZ_1G, size, 0, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, size);
	KUNIT_EXPECT_EQ(test, kd_count(kd), 0UL);
	KUNIT_EXPECT_EQ(test, current->mm->locked_vm, locked);

	/* memory GUP refuses, then an IOMMU failure after the first flush */
	KUNIT_EXPECT_EQ(test, -EFAULT, t1k_map_va(iommu, SZ_1G, P, 4 * P, RW));
	kd->fail_in = 700;
	KUNIT_EXPECT_EQ(test, -ENOSPC, t1k_map_va(iommu, SZ_1G, va, size, RW));
	kd->fail_in = -1;
	KUNIT_EXPECT_NULL(test, t1_mapping_at(iommu, SZ_1G));
	KUNIT_EXPECT_EQ(test, kd_count(kd), 0UL);
	KUNIT_EXPECT_EQ(test, current->mm->locked_vm, locked);
}

static struct kunit_case t1k_cases[] = {
	KUNIT_CASE(t1k_map_lookup),
	KUNIT_CASE(t1k_map_overlap),
	KUNIT_CASE(t1k_map_bad_args),
	KUNIT_CASE(t1k_entry_limit),
	KUNIT_CASE(t1k_unmap_v2),
	KUNIT_CASE(t1k_unmap_v1),
	KUNIT_CASE(t1k_unmap_bad_args),
	KUNIT_CASE(t1k_unmap_all),
	KUNIT_CASE(t1k_update_vaddr),
	KUNIT_CASE(t1k_windows),
	KUNIT_CASE(t1k_get_info),
	KUNIT_CASE(t1k_ioctl_checks),
	KUNIT_CASE(t1k_dirty_bitmap),
	KUNIT_CASE(t1k_pinned),
	{}
};

static struct kunit_suite t1k_suite = {
	.name = "vfio_type1_dma",
	.init = t1k_init,
	.test_cases = t1k_cases,
};

kunit_test_suite(t1k_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("KUnit tests of the VFIO type1 IOMMU backend");
