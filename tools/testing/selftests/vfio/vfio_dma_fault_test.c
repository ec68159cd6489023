// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOMMU must stop the device: edu DMA to an IOVA that was unmapped,
 * never mapped, or mapped read-only must not reach memory.
 *
 * Every test here makes the IOMMU report faults on purpose, so the kernel
 * log of this program contains lines such as
 *   DMAR: DRHD: handling fault status reg 2
 *   DMAR: [DMA Write NO_PASID] Request device [01:00.0] fault addr ...
 * They are expected for this program only. The exact window is marked in
 * the kernel log by "vfio-selftests: DMAR faults expected from here on"
 * and "vfio-selftests: DMAR faults no longer expected".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define P		VT_PAGE
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define XFER		1024

static const struct vt_dev *edu0;

struct edu_ctx {
	struct vt_session s;
	struct vt_edu e;
};

static void edu_open(struct edu_ctx *x)
{
	vt_session_open(&x->s, edu0, VFIO_TYPE1v2_IOMMU, true);
	x->e.dev = x->s.device;
	vt_edu_enable(&x->e);
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* How the IOVA the device is told to write is (not) backed. */
enum target_kind {
	TARGET_UNMAPPED,	/* mapped, checked, then unmapped */
	TARGET_HOLE,		/* never mapped; its neighbours are */
	TARGET_READONLY,	/* mapped without VFIO_DMA_MAP_FLAG_WRITE */
};

#define SCRATCH		0x200000ULL	/* RW page: patterns in and out */
#define TARGET		0x400000ULL	/* where the blocked write goes */
#define GUARD		0x5a		/* what the watched memory holds */
#define PATTERN		0xc3		/* what the device tries to write */

/* Load the edu buffer from @iova. */
static void load_device(struct edu_ctx *x, uint64_t iova)
{
	VT_ASSERT(vt_edu_dma(&x->e, iova, EDU_DMA_BUF_ADDR, XFER, 0),
		  "edu DMA (RAM -> device) did not complete");
}

/* Copy the edu buffer to @iova; the IOMMU may block it, edu finishes. */
static bool store_device(struct edu_ctx *x, uint64_t iova)
{
	return vt_edu_dma(&x->e, EDU_DMA_BUF_ADDR, iova, XFER,
			  EDU_DMA_CMD_TO_RAM);
}

/*
 * Back TARGET as @kind says with the @len bytes of @watch (all GUARD)
 * and prove first, where the kind allows, that the mapping is live so
 * the later block is the IOMMU's doing.
 */
static void map_target(struct edu_ctx *x, enum target_kind kind,
		       unsigned char *watch, unsigned char *scratch)
{
	int c = x->s.container;

	switch (kind) {
	case TARGET_UNMAPPED:
		/* mapped: the device can write the page */
		VT_OK_FATAL(vt_map(c, watch, TARGET, P, RW));
		memset(scratch, PATTERN, P);
		load_device(x, SCRATCH);
		VT_ASSERT(store_device(x, TARGET), "edu DMA did not complete");
		VT_ASSERT(all_bytes(watch, XFER, PATTERN),
			  "positive control failed");
		/* unmapped: it cannot, though the page is still ours */
		memset(watch, GUARD, P);
		VT_OK_FATAL(vt_unmap(c, TARGET, P, 0, NULL));
		break;
	case TARGET_HOLE:
		/* neighbours on both sides of the hole are mapped */
		VT_OK_FATAL(vt_map(c, watch, TARGET - P, P, RW));
		VT_OK_FATAL(vt_map(c, watch + P, TARGET + P, P, RW));
		break;
	case TARGET_READONLY:
		VT_OK_FATAL(vt_map(c, watch, TARGET, P,
				   VFIO_DMA_MAP_FLAG_READ));
		/* the device may read the read-only page ... */
		load_device(x, TARGET);
		memset(scratch, 0, P);
		VT_ASSERT(store_device(x, SCRATCH), "edu DMA did not complete");
		VT_EXPECT(all_bytes(scratch, XFER, GUARD),
			  "device read of RO mapping");
		break;
	}
}

/*
 * One blocked-write case: back TARGET as @kind says, load the device
 * with PATTERN, let it write TARGET inside a DMAR fault window and
 * check that the watched memory still holds GUARD.
 */
static void check_blocked_write(enum target_kind kind, const char *why,
				const char *what)
{
	/* TARGET_HOLE watches both neighbours, the others one page */
	size_t len = kind == TARGET_HOLE ? 2 * P : P;
	unsigned char *scratch = vt_alloc(P), *watch = vt_alloc(2 * P);
	struct edu_ctx x;

	edu_open(&x);
	VT_OK_FATAL(vt_map(x.s.container, scratch, SCRATCH, P, RW));
	memset(watch, GUARD, 2 * P);
	map_target(&x, kind, watch, scratch);

	memset(scratch, PATTERN, P);
	load_device(&x, SCRATCH);
	vt_expect_dmar_faults(why);
	VT_EXPECT(store_device(&x, TARGET), "edu DMA did not complete");
	vt_end_dmar_faults();
	VT_EXPECT(all_bytes(watch, len, GUARD), "%s", what);
}

static void t_no_dma_after_unmap(void)
{
	check_blocked_write(TARGET_UNMAPPED,
			    "edu DMA write to an unmapped IOVA",
			    "the device wrote memory after UNMAP_DMA");
}

static void t_no_dma_to_unmapped_iova(void)
{
	check_blocked_write(TARGET_HOLE,
			    "edu DMA write to a never-mapped IOVA",
			    "a write to a hole landed in a neighbouring mapping");
}

static void t_no_dma_write_to_readonly(void)
{
	check_blocked_write(TARGET_READONLY,
			    "edu DMA write to a read-only mapping",
			    "the device wrote a read-only mapping");
}

static const struct vt_test tests[] = {
	{ .name = "no_dma_after_unmap", .fn = t_no_dma_after_unmap },
	{ .name = "no_dma_to_unmapped_iova", .fn = t_no_dma_to_unmapped_iova },
	{ .name = "no_dma_write_to_readonly", .fn = t_no_dma_write_to_readonly },
};

static void setup(void)
{
	edu0 = vt_first_edu(0);
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "dma_fault", VT_TESTS(tests),
		.devs = VT_DEVS_EDU, .min_devs = 1,
		.setup = setup,
	};

	return vt_main(argc, argv, &suite);
}
