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

/* Load the edu buffer with a known pattern from @src_iova. */
static void load_device(struct edu_ctx *x, uint64_t src_iova)
{
	VT_ASSERT(vt_edu_dma(&x->e, src_iova, EDU_DMA_BUF_ADDR, XFER, 0),
		  "edu DMA (RAM -> device) did not complete");
}

static void t_no_dma_after_unmap(void)
{
	const uint64_t src = 0x200000, dst = 0x300000;
	unsigned char *pat = vt_alloc(P), *buf = vt_alloc(P);
	struct edu_ctx x;

	edu_open(&x);
	memset(pat, 0xc3, P);
	VT_OK_FATAL(vt_map(x.s.container, pat, src, P, RW));
	VT_OK_FATAL(vt_map(x.s.container, buf, dst, P, RW));
	load_device(&x, src);

	/* mapped: the device can write the page */
	memset(buf, 0x5a, P);
	VT_ASSERT(vt_edu_dma(&x.e, EDU_DMA_BUF_ADDR, dst, XFER,
			     EDU_DMA_CMD_TO_RAM), "edu DMA did not complete");
	VT_ASSERT(all_bytes(buf, XFER, 0xc3), "positive control failed");

	/* unmapped: it cannot, though the page is still ours */
	memset(buf, 0x5a, P);
	VT_OK_FATAL(vt_unmap(x.s.container, dst, P, 0, NULL));
	vt_expect_dmar_faults("edu DMA write to an unmapped IOVA");
	VT_EXPECT(vt_edu_dma(&x.e, EDU_DMA_BUF_ADDR, dst, XFER,
			     EDU_DMA_CMD_TO_RAM), "edu DMA did not complete");
	vt_end_dmar_faults();
	VT_EXPECT(all_bytes(buf, P, 0x5a),
		  "the device wrote memory after UNMAP_DMA");
}

static void t_no_dma_to_unmapped_iova(void)
{
	const uint64_t src = 0x200000, near = 0x400000;
	unsigned char *pat = vt_alloc(P), *buf = vt_alloc(2 * P);
	struct edu_ctx x;

	edu_open(&x);
	memset(pat, 0x3c, P);
	VT_OK_FATAL(vt_map(x.s.container, pat, src, P, RW));
	/* neighbours on both sides of the hole are mapped */
	VT_OK_FATAL(vt_map(x.s.container, buf, near - P, P, RW));
	VT_OK_FATAL(vt_map(x.s.container, buf + P, near + P, P, RW));
	memset(buf, 0x5a, 2 * P);
	load_device(&x, src);
	vt_expect_dmar_faults("edu DMA write to a never-mapped IOVA");
	VT_EXPECT(vt_edu_dma(&x.e, EDU_DMA_BUF_ADDR, near, XFER,
			     EDU_DMA_CMD_TO_RAM), "edu DMA did not complete");
	vt_end_dmar_faults();
	VT_EXPECT(all_bytes(buf, 2 * P, 0x5a),
		  "a write to a hole landed in a neighbouring mapping");
}

static void t_no_dma_write_to_readonly(void)
{
	const uint64_t ro = 0x200000, out = 0x300000;
	unsigned char *buf = vt_alloc(P), *obuf = vt_alloc(P);
	struct edu_ctx x;

	edu_open(&x);
	memset(buf, 0x77, P);
	VT_OK_FATAL(vt_map(x.s.container, buf, ro, P,
			   VFIO_DMA_MAP_FLAG_READ));
	VT_OK_FATAL(vt_map(x.s.container, obuf, out, P, RW));
	/* the device may read the read-only page ... */
	load_device(&x, ro);
	memset(obuf, 0, P);
	VT_ASSERT(vt_edu_dma(&x.e, EDU_DMA_BUF_ADDR, out, XFER,
			     EDU_DMA_CMD_TO_RAM), "edu DMA did not complete");
	VT_EXPECT(all_bytes(obuf, XFER, 0x77), "device read of RO mapping");

	/* ... but not write it */
	memset(obuf, 0x11, P);
	load_device(&x, out);
	vt_expect_dmar_faults("edu DMA write to a read-only mapping");
	VT_EXPECT(vt_edu_dma(&x.e, EDU_DMA_BUF_ADDR, ro, XFER,
			     EDU_DMA_CMD_TO_RAM), "edu DMA did not complete");
	vt_end_dmar_faults();
	VT_EXPECT(all_bytes(buf, P, 0x77),
		  "the device wrote a read-only mapping");
}

static const struct vt_test tests[] = {
	{ .name = "no_dma_after_unmap", .fn = t_no_dma_after_unmap },
	{ .name = "no_dma_to_unmapped_iova", .fn = t_no_dma_to_unmapped_iova },
	{ .name = "no_dma_write_to_readonly", .fn = t_no_dma_write_to_readonly },
};

int main(int argc, char **argv)
{
	vt_tap_header();
	vt_setup_devices(argc, argv, 1, VT_DEVS_EDU);
	edu0 = vt_first_edu(0);
	vt_plan(ARRAY_SIZE(tests));
	vt_run_tests("dma_fault", tests, ARRAY_SIZE(tests), NULL);
	return vt_exit_code();
}
