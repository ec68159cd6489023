// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_iommu_type1 through the container fd: GET_INFO and its capability
 * chain, MAP_DMA / UNMAP_DMA argument checking and v1/v2 semantics,
 * UNMAP_ALL, UPDATE_VADDR, DIRTY_PAGES, RLIMIT_MEMLOCK and dma_entry_limit
 * accounting. After every test the harness checks that locked_vm is back
 * to its starting value. Expected errnos are those of upstream Linux 6.12.
 */
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/capability.h>

#include "vfio_test_lib.h"

#define IOVA		0x100000ULL
#define P		VT_PAGE
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define DIRTY_MAX	0x10000000ULL	/* bitmap bytes for INT_MAX pages */
#define LIMIT_PARAM	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

static const struct vt_dev *dev0;
static char limit_orig[32];

static void restore_params(void)
{
	char cur[32];

	if (limit_orig[0] && vt_sysfs_read(LIMIT_PARAM, cur, sizeof(cur)) >= 0 &&
	    strcmp(cur, limit_orig))
		vt_sysfs_write(LIMIT_PARAM, limit_orig);
}

static int open_type1(unsigned long type)
{
	struct vt_session s;

	vt_session_open(&s, dev0, type, false);
	return s.container;
}

/* GET_INFO with a buffer large enough for every capability. */
static struct vfio_iommu_type1_info *get_info(int c, size_t *size)
{
	struct vfio_iommu_type1_info hdr;
	struct vfio_iommu_type1_info *info;

	memset(&hdr, 0, sizeof(hdr));
	hdr.argsz = sizeof(hdr);
	if (ioctl(c, VFIO_IOMMU_GET_INFO, &hdr))
		vt_fatal("GET_INFO: %s", vt_errname(errno));
	info = calloc(1, hdr.argsz);
	if (!info)
		vt_fatal("calloc");
	info->argsz = hdr.argsz;
	if (ioctl(c, VFIO_IOMMU_GET_INFO, info))
		vt_fatal("GET_INFO(argsz %u): %s", hdr.argsz,
			 vt_errname(errno));
	*size = hdr.argsz;
	return info;
}

static void *cap(struct vfio_iommu_type1_info *info, size_t size, int id)
{
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		return NULL;
	return vt_find_cap(info, size, info->cap_offset, id);
}

static long dma_avail(int c)
{
	struct vfio_iommu_type1_info_dma_avail *a;
	struct vfio_iommu_type1_info *info;
	size_t size;
	long v;

	info = get_info(c, &size);
	a = cap(info, size, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	v = a ? (long)a->avail : -1;
	free(info);
	return v;
}

static struct vfio_iommu_type1_info_cap_iova_range *
iova_ranges(int c, struct vfio_iommu_type1_info **infop)
{
	struct vfio_iommu_type1_info *info;
	size_t size;
	void *r;

	info = get_info(c, &size);
	r = cap(info, size, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (!r)
		vt_fatal("no IOVA_RANGE capability");
	*infop = info;
	return r;
}

/* ------------------------------------------------------------ GET_INFO */

static void t_get_info_minsz(void)
{
	struct vfio_iommu_type1_info info;
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	size_t minsz = offsetof(struct vfio_iommu_type1_info, cap_offset);

	memset(&info, 0, sizeof(info));
	info.argsz = minsz;
	VT_OK(ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	VT_EXPECT(info.flags & VFIO_IOMMU_INFO_PGSIZES, "flags 0x%x",
		  info.flags);
	VT_EXPECT(info.flags & VFIO_IOMMU_INFO_CAPS, "flags 0x%x",
		  info.flags);
	VT_EXPECT(info.iova_pgsizes & P, "pgsizes 0x%llx",
		  (unsigned long long)info.iova_pgsizes);
	VT_EXPECT(!(info.iova_pgsizes & (P - 1)), "pgsizes 0x%llx",
		  (unsigned long long)info.iova_pgsizes);
	/* the caps did not fit: argsz tells the size they need */
	VT_EXPECT(info.argsz > sizeof(info), "argsz %u", info.argsz);
	vt_diag("iova_pgsizes 0x%llx, argsz needed %u",
		(unsigned long long)info.iova_pgsizes, info.argsz);

	info.argsz = minsz - 1;
	VT_ERRNO(ioctl(c, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	info.argsz = 0;
	VT_ERRNO(ioctl(c, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	VT_ERRNO(ioctl(c, VFIO_IOMMU_GET_INFO, NULL), EFAULT);
}

static void t_get_info_cap_chain(void)
{
	struct vfio_iommu_type1_info info, *big;
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	uint32_t need, off;
	bool seen[4] = { false };
	unsigned char *canary;
	int guard;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	VT_OK(ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	need = info.argsz;
	VT_EXPECT(need > sizeof(info), "argsz %u", need);
	VT_EXPECT_EQ(info.cap_offset, 0);

	/* exactly the size asked for, plus a canary after it */
	big = calloc(1, need + 64);
	VT_ASSERT(big, "calloc");
	memset(big, 0xa5, need + 64);
	memset(big, 0, sizeof(*big));
	big->argsz = need + 64;
	VT_OK(ioctl(c, VFIO_IOMMU_GET_INFO, big));
	VT_EXPECT_EQ(big->argsz, need + 64);	/* large enough: untouched */
	VT_EXPECT_EQ(big->cap_offset, sizeof(info));
	canary = (unsigned char *)big + need;
	VT_EXPECT(canary[0] == 0xa5 && canary[63] == 0xa5,
		  "bytes past the capabilities were written");

	for (off = big->cap_offset, guard = 0; off && guard < 16; guard++) {
		struct vfio_info_cap_header *h = (void *)((char *)big + off);

		if (!VT_EXPECT(off >= sizeof(info) && off + sizeof(*h) <= need &&
			       !(off & 3), "cap offset %u out of bounds", off))
			break;
		vt_diag("cap at %u: id %u version %u next %u", off, h->id,
			h->version, h->next);
		if (h->id >= 1 && h->id <= 3) {
			VT_EXPECT(!seen[h->id], "cap %u twice", h->id);
			seen[h->id] = true;
			VT_EXPECT_EQ(h->version, 1);
		}
		VT_EXPECT(!h->next || h->next > off, "chain goes backwards");
		off = h->next;
	}
	VT_EXPECT(seen[VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE], "no IOVA_RANGE");
	VT_EXPECT(seen[VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION], "no MIGRATION");
	VT_EXPECT(seen[VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL], "no DMA_AVAIL");
	free(big);
}

static void t_get_info_iova_range(void)
{
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct vfio_iommu_type1_info *info;
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	bool covers_edu = false;
	glob_t g;
	uint32_t i;

	r = iova_ranges(c, &info);
	VT_EXPECT(r->nr_iovas >= 1, "nr_iovas %u", r->nr_iovas);
	for (i = 0; i < r->nr_iovas; i++) {
		uint64_t s = r->iova_ranges[i].start, e = r->iova_ranges[i].end;

		vt_diag("iova range %u: 0x%llx-0x%llx", i,
			(unsigned long long)s, (unsigned long long)e);
		VT_EXPECT(s <= e, "range %u inverted", i);
		VT_EXPECT(!(s & (P - 1)) && !((e + 1) & (P - 1)),
			  "range %u not page aligned", i);
		if (i)
			VT_EXPECT(s > r->iova_ranges[i - 1].end,
				  "range %u overlaps or is unsorted", i);
		if (s <= IOVA && e >= EDU_DMA_MASK)
			covers_edu = true;
		/* x86 interrupt window is reserved */
		if (!glob("/sys/class/iommu/dmar*", 0, NULL, &g)) {
			globfree(&g);
			VT_EXPECT(e < 0xfee00000ULL || s > 0xfeefffffULL,
				  "range %u includes the MSI window", i);
		}
	}
	VT_EXPECT(covers_edu, "[1 MiB, 256 MiB) is not a valid IOVA range");
	free(info);
}

static void t_get_info_migration_cap(void)
{
	struct vfio_iommu_type1_info_cap_migration *m;
	struct vfio_iommu_type1_info *info;
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	size_t size;

	info = get_info(c, &size);
	m = cap(info, size, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	if (VT_EXPECT(m, "no MIGRATION capability")) {
		VT_EXPECT_EQ(m->flags, 0);
		VT_EXPECT_EQ(m->pgsize_bitmap, P);
		VT_EXPECT_EQ(m->max_dirty_bitmap_size, DIRTY_MAX);
	}
	free(info);
}

static void t_get_info_dma_avail(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	long limit = vt_sysfs_read_num(LIMIT_PARAM);
	void *buf = vt_alloc(2 * P);

	VT_EXPECT_EQ(dma_avail(c), limit);
	VT_OK(vt_map(c, buf, IOVA, P, RW));
	VT_OK(vt_map(c, buf + P, IOVA + P, P, RW));
	VT_EXPECT_EQ(dma_avail(c), limit - 2);
	VT_OK(vt_unmap(c, IOVA, 2 * P, 0, NULL));
	VT_EXPECT_EQ(dma_avail(c), limit);
}

/* ------------------------------------------------------------- MAP_DMA */

static void t_map_unmap(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	long lk = vt_locked_kb();
	void *buf = vt_alloc(16 * P);
	uint64_t done = 0;

	VT_OK(vt_map(c, buf, IOVA, P, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lk + 4);
	VT_OK(vt_unmap(c, IOVA, P, 0, &done));
	VT_EXPECT_EQ(done, P);
	VT_EXPECT_EQ(vt_locked_kb(), lk);

	VT_OK(vt_map(c, buf, IOVA, 16 * P, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lk + 64);
	VT_OK(vt_unmap(c, IOVA, 16 * P, 0, &done));
	VT_EXPECT_EQ(done, 16 * P);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
}

static void t_map_large(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	long lk = vt_locked_kb();
	size_t sz = 4UL << 20;
	void *buf = vt_alloc(sz);
	uint64_t done = 0;

	VT_OK(vt_map(c, buf, 0x400000, sz, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lk + (long)(sz >> 10));
	VT_OK(vt_unmap(c, 0x400000, sz, 0, &done));
	VT_EXPECT_EQ(done, sz);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
}

static void t_map_shared_memfd(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	long lk = vt_locked_kb();
	int mfd = vt_track(memfd_create("vfio-test", MFD_CLOEXEC));
	void *buf;

	VT_ASSERT(mfd >= 0, "memfd_create: %s", vt_errname(errno));
	VT_ASSERT(!ftruncate(mfd, 4 * P), "ftruncate");
	buf = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	VT_ASSERT(buf != MAP_FAILED, "mmap memfd");
	memset(buf, 1, 4 * P);
	VT_OK(vt_map(c, buf, IOVA, 4 * P, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lk + 16);
	VT_OK(vt_unmap(c, IOVA, 4 * P, 0, NULL));
	munmap(buf, 4 * P);
}

static void t_map_prot(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	void *buf = vt_alloc(2 * P);

	VT_OK(vt_map(c, buf, IOVA, P, VFIO_DMA_MAP_FLAG_READ));
	VT_OK(vt_map(c, buf + P, IOVA + P, P, VFIO_DMA_MAP_FLAG_WRITE));
	/* neither READ nor WRITE */
	VT_EXPECT_EQ(vt_map(c, buf, IOVA + 2 * P, P, 0), -EINVAL);
}

static void t_map_bad_flags(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	void *buf = vt_alloc(P);

	VT_EXPECT_EQ(vt_map(c, buf, IOVA, P, RW | (1 << 3)), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, P, 0xffffffff), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, P,
			    VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_READ),
		     -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, P,
			    VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_WRITE),
		     -EINVAL);
	VT_EXPECT_EQ(vt_locked_kb(), 0);
}

static void t_map_argsz(void)
{
	struct {
		struct vfio_iommu_type1_dma_map m;
		char extra[64];
	} b;
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	void *buf = vt_alloc(P);

	memset(&b, 0, sizeof(b));
	b.m.flags = RW;
	b.m.vaddr = (uintptr_t)buf;
	b.m.iova = IOVA;
	b.m.size = P;
	b.m.argsz = sizeof(b.m) - 1;
	VT_ERRNO(ioctl(c, VFIO_IOMMU_MAP_DMA, &b.m), EINVAL);
	b.m.argsz = 0;
	VT_ERRNO(ioctl(c, VFIO_IOMMU_MAP_DMA, &b.m), EINVAL);
	VT_ERRNO(ioctl(c, VFIO_IOMMU_MAP_DMA, NULL), EFAULT);
	b.m.argsz = sizeof(b);
	VT_OK(ioctl(c, VFIO_IOMMU_MAP_DMA, &b.m));
}

static void t_map_unaligned(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	char *buf = vt_alloc(4 * P);

	VT_EXPECT_EQ(vt_map(c, buf, IOVA + 1, P, RW), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA + P / 2, P, RW), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf + 1, IOVA, P, RW), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, P + 1, RW), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, P / 2, RW), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, 0, RW), -EINVAL);
	VT_EXPECT_EQ(vt_locked_kb(), 0);
}

static void t_map_wrap(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	void *buf = vt_alloc(2 * P);
	uint64_t top = ~(uint64_t)(P - 1);

	VT_EXPECT_EQ(vt_map(c, buf, top, 2 * P, RW), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, (void *)(uintptr_t)top, IOVA, 2 * P, RW),
		     -EINVAL);
	/* no wrap, but far beyond the IOMMU aperture */
	VT_EXPECT_EQ(vt_map(c, buf, top, P, RW), -EINVAL);
}

static void t_map_overlap(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	char *buf = vt_alloc(8 * P);
	long lk = vt_locked_kb();

	VT_OK(vt_map(c, buf, IOVA + 2 * P, 2 * P, RW));
	VT_EXPECT_EQ(vt_map(c, buf, IOVA + 2 * P, 2 * P, RW), -EEXIST);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA + 3 * P, 2 * P, RW), -EEXIST);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA + P, 2 * P, RW), -EEXIST);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, 8 * P, RW), -EEXIST);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA + 3 * P, P, RW), -EEXIST);
	VT_EXPECT_EQ(vt_locked_kb(), lk + 8);
	/* adjacent on both sides is fine; the same vaddr may be reused */
	VT_OK(vt_map(c, buf, IOVA + 4 * P, P, RW));
	VT_OK(vt_map(c, buf, IOVA + P, P, RW));
}

static void t_map_outside_iova_ranges(void)
{
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct vfio_iommu_type1_info *info;
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	void *buf = vt_alloc(2 * P);
	uint64_t last_end;
	uint32_t n, tried = 0;

	r = iova_ranges(c, &info);
	n = r->nr_iovas;
	if (n > 1) {
		uint64_t gap = r->iova_ranges[0].end + 1;

		VT_EXPECT_EQ(vt_map(c, buf, gap, P, RW), -EINVAL);
		/* straddling the end of a valid range */
		VT_EXPECT_EQ(vt_map(c, buf, gap - P, 2 * P, RW), -EINVAL);
		tried++;
	}
	last_end = r->iova_ranges[n - 1].end;
	if (last_end < ~0ULL - 2 * P) {
		VT_EXPECT_EQ(vt_map(c, buf, last_end + 1, P, RW), -EINVAL);
		VT_EXPECT_EQ(vt_map(c, buf, last_end + 1 - P, 2 * P, RW),
			     -EINVAL);
		tried++;
	}
	free(info);
	if (!tried)
		vt_skip("the IOVA space has no hole to probe");
}

static void t_map_bad_memory(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	long lk = vt_locked_kb();
	char *buf = vt_alloc(4 * P);
	char *ro;

	/* no VMA at all */
	VT_ASSERT(!munmap(buf + 3 * P, P), "munmap");
	VT_EXPECT_EQ(vt_map(c, buf + 3 * P, IOVA, P, RW), -EFAULT);
	/* PROT_NONE */
	VT_ASSERT(!mprotect(buf + 2 * P, P, PROT_NONE), "mprotect");
	VT_EXPECT_EQ(vt_map(c, buf + 2 * P, IOVA, P, RW), -EFAULT);
	/* the first page is fine, the second is not: nothing stays pinned */
	VT_EXPECT_EQ(vt_map(c, buf + P, IOVA, 2 * P, RW), -EFAULT);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
	/* ... and nothing stays mapped */
	VT_OK(vt_map(c, buf + P, IOVA, P, RW));
	VT_OK(vt_unmap(c, IOVA, P, 0, NULL));

	/* read-only memory can back a device-read-only mapping only */
	ro = vt_alloc(P);
	VT_ASSERT(!mprotect(ro, P, PROT_READ), "mprotect");
	VT_EXPECT_EQ(vt_map(c, ro, IOVA, P, RW), -EFAULT);
	VT_EXPECT_EQ(vt_map(c, ro, IOVA, P, VFIO_DMA_MAP_FLAG_WRITE),
		     -EFAULT);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
	VT_OK(vt_map(c, ro, IOVA, P, VFIO_DMA_MAP_FLAG_READ));
	VT_EXPECT_EQ(vt_locked_kb(), lk + 4);
}

static void t_map_rlimit_memlock(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	long lk = vt_locked_kb();
	char *buf = vt_alloc(16 * P);
	struct rlimit rl;
	int ret;

	ret = vt_drop_cap(CAP_IPC_LOCK);
	if (ret)
		vt_skip("cannot drop CAP_IPC_LOCK: %s", vt_errname(-ret));
	VT_ASSERT(!getrlimit(RLIMIT_MEMLOCK, &rl), "getrlimit");
	rl.rlim_cur = lk * 1024 + 8 * P;
	VT_ASSERT(!setrlimit(RLIMIT_MEMLOCK, &rl), "setrlimit: %s",
		  vt_errname(errno));

	VT_OK(vt_map(c, buf, IOVA, 8 * P, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lk + 32);
	VT_EXPECT_EQ(vt_map(c, buf + 8 * P, IOVA + 8 * P, P, RW), -ENOMEM);
	VT_EXPECT_EQ(vt_locked_kb(), lk + 32);
	VT_OK(vt_unmap(c, IOVA, 8 * P, 0, NULL));
	/* all or nothing */
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, 9 * P, RW), -ENOMEM);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
	/* the failed attempt left no mapping behind */
	VT_OK(vt_map(c, buf, IOVA, 8 * P, RW));
}

static void t_map_rlimit_cap_ipc_lock(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	long lk = vt_locked_kb();
	char *buf = vt_alloc(16 * P);
	struct rlimit rl;

	VT_ASSERT(!getrlimit(RLIMIT_MEMLOCK, &rl), "getrlimit");
	rl.rlim_cur = lk * 1024 + P;
	VT_ASSERT(!setrlimit(RLIMIT_MEMLOCK, &rl), "setrlimit");
	/* CAP_IPC_LOCK lifts the limit, but the pages are still counted */
	VT_OK(vt_map(c, buf, IOVA, 16 * P, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lk + 64);
}

static void t_dma_entry_limit(void)
{
	int c, ret, i;
	char *buf = vt_alloc(4 * P);

	if (!limit_orig[0])
		vt_skip("no %s", LIMIT_PARAM);
	ret = vt_sysfs_write(LIMIT_PARAM, "3");
	if (ret)
		vt_skip("cannot set dma_entry_limit: %s", vt_errname(-ret));
	/* the limit is sampled when the backend is opened */
	c = open_type1(VFIO_TYPE1v2_IOMMU);
	vt_sysfs_write(LIMIT_PARAM, limit_orig);

	VT_EXPECT_EQ(dma_avail(c), 3);
	for (i = 0; i < 3; i++)
		VT_OK(vt_map(c, buf + i * P, IOVA + i * 2 * P, P, RW));
	VT_EXPECT_EQ(dma_avail(c), 0);
	VT_EXPECT_EQ(vt_map(c, buf + 3 * P, IOVA + 6 * P, P, RW), -ENOSPC);
	VT_OK(vt_unmap(c, IOVA, P, 0, NULL));
	VT_EXPECT_EQ(dma_avail(c), 1);
	VT_OK(vt_map(c, buf + 3 * P, IOVA + 6 * P, P, RW));
	/* a failed map does not consume an entry */
	VT_OK(vt_unmap(c, IOVA + 6 * P, P, 0, NULL));
	VT_EXPECT_EQ(vt_map(c, buf, IOVA + 1, P, RW), -EINVAL);
	VT_EXPECT_EQ(dma_avail(c), 1);
}

/* ----------------------------------------------------------- UNMAP_DMA */

static void t_unmap_v2_rules(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	char *buf = vt_alloc(8 * P);
	long lk = vt_locked_kb();
	uint64_t done;

	VT_OK(vt_map(c, buf, IOVA + P, 3 * P, RW));
	/* bisecting a mapping is refused */
	VT_EXPECT_EQ(vt_unmap(c, IOVA + P, P, 0, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, IOVA + 2 * P, P, 0, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, IOVA + 2 * P, 2 * P, 0, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, IOVA, 2 * P, 0, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_locked_kb(), lk + 12);
	/* an empty range unmaps nothing, successfully */
	done = 1;
	VT_OK(vt_unmap(c, IOVA + 8 * P, 4 * P, 0, &done));
	VT_EXPECT_EQ(done, 0);
	/* covering more than the mapping is fine */
	VT_OK(vt_unmap(c, IOVA, 6 * P, 0, &done));
	VT_EXPECT_EQ(done, 3 * P);
	VT_EXPECT_EQ(vt_locked_kb(), lk);

	/* one range may take several mappings */
	VT_OK(vt_map(c, buf, IOVA, P, RW));
	VT_OK(vt_map(c, buf, IOVA + 2 * P, 2 * P, RW));
	VT_OK(vt_map(c, buf, IOVA + 4 * P, P, RW));
	VT_OK(vt_unmap(c, IOVA, 4 * P, 0, &done));
	VT_EXPECT_EQ(done, 3 * P);
	VT_OK(vt_unmap(c, IOVA + 4 * P, P, 0, &done));
	VT_EXPECT_EQ(done, P);
}

static void t_unmap_bad_args(void)
{
	struct vfio_iommu_type1_dma_unmap u;
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	void *buf = vt_alloc(2 * P);

	VT_OK(vt_map(c, buf, IOVA, 2 * P, RW));
	VT_EXPECT_EQ(vt_unmap(c, IOVA + 1, 2 * P, 0, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, IOVA, 2 * P + 1, 0, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, IOVA, 0, 0, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, ~(uint64_t)(P - 1), 2 * P, 0, NULL),
		     -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, IOVA, 2 * P, 1 << 3, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, IOVA, 2 * P, 0xffffffff, NULL), -EINVAL);
	memset(&u, 0, sizeof(u));
	u.argsz = sizeof(u) - 1;
	u.iova = IOVA;
	u.size = 2 * P;
	VT_ERRNO(ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u), EINVAL);
	VT_ERRNO(ioctl(c, VFIO_IOMMU_UNMAP_DMA, NULL), EFAULT);
	/* still mapped after all that */
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, 2 * P, RW), -EEXIST);
}

static void t_unmap_v1_semantics(void)
{
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	int c = open_type1(VFIO_TYPE1_IOMMU);
	char *buf = vt_alloc(4 * P);
	long lk = vt_locked_kb();
	uint64_t done = 1;

	VT_OK(vt_map(c, buf, IOVA, 3 * P, RW));
	/* v1: an unmap starting inside a mapping succeeds with 0 bytes */
	VT_OK(vt_unmap(c, IOVA + P, P, 0, &done));
	VT_EXPECT_EQ(done, 0);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA, P, RW), -EEXIST);
	/* and one covering its first page takes all of it */
	VT_OK(vt_unmap(c, IOVA, P, 0, &done));
	VT_EXPECT_EQ(done, 3 * P);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
	/* dirty tracking is a v2 feature */
	VT_ERRNO(ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &d), EACCES);
	/* UNMAP_ALL works on v1 too */
	VT_OK(vt_map(c, buf, IOVA, 2 * P, RW));
	VT_OK(vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	VT_EXPECT_EQ(done, 2 * P);
}

static void t_unmap_all(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	char *buf = vt_alloc(4 * P);
	long lk = vt_locked_kb();
	uint64_t done = 1;

	VT_EXPECT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	VT_OK(vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	VT_EXPECT_EQ(done, 0);

	VT_OK(vt_map(c, buf, IOVA, P, RW));
	VT_OK(vt_map(c, buf + P, IOVA + 4 * P, 2 * P, RW));
	VT_OK(vt_map(c, buf + 3 * P, 0x8000000, P, VFIO_DMA_MAP_FLAG_READ));
	VT_EXPECT_EQ(vt_locked_kb(), lk + 16);
	/* ALL wants iova == size == 0 and no dirty bitmap */
	VT_EXPECT_EQ(vt_unmap(c, IOVA, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL),
		     -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, 0, P, VFIO_DMA_UNMAP_FLAG_ALL, NULL),
		     -EINVAL);
	VT_EXPECT_EQ(vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL |
			      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, NULL),
		     -EINVAL);
	VT_EXPECT_EQ(vt_locked_kb(), lk + 16);
	VT_OK(vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &done));
	VT_EXPECT_EQ(done, 4 * P);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
}

/* -------------------------------------------------------- UPDATE_VADDR */

static void t_update_vaddr(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	char *buf = vt_alloc(4 * P), *buf2 = vt_alloc(4 * P);
	const uint32_t V = VFIO_DMA_MAP_FLAG_VADDR;
	const uint64_t A = IOVA, B = IOVA + 2 * P;
	long lk = vt_locked_kb();
	uint64_t done = 0;

	VT_EXPECT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 1);
	VT_OK(vt_map(c, buf, A, 2 * P, RW));
	VT_OK(vt_map(c, buf + 2 * P, B, P, RW));

	/* invalidate B's vaddr: the mapping and its pins stay */
	VT_OK(vt_unmap(c, B, P, VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	VT_EXPECT_EQ(done, P);
	/* a range reaching an invalid vaddr fails and rolls A back */
	VT_EXPECT_EQ(vt_unmap(c, A, 3 * P, VFIO_DMA_UNMAP_FLAG_VADDR, NULL),
		     -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf2, A, 2 * P, V), -EINVAL);

	VT_OK(vt_unmap(c, A, 2 * P, VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	VT_EXPECT_EQ(done, 2 * P);
	VT_EXPECT_EQ(vt_locked_kb(), lk + 12);
	VT_EXPECT_EQ(vt_map(c, buf, A, 2 * P, RW), -EEXIST);
	/* invalidating twice is an error */
	VT_EXPECT_EQ(vt_unmap(c, A, 2 * P, VFIO_DMA_UNMAP_FLAG_VADDR, NULL),
		     -EINVAL);
	/* VADDR wants the exact mapping and no protection flags */
	VT_EXPECT_EQ(vt_map(c, buf2, A, P, V), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf2, A + P, P, V), -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf2, A, 2 * P, V | VFIO_DMA_MAP_FLAG_READ),
		     -EINVAL);
	VT_EXPECT_EQ(vt_map(c, buf2, IOVA + 8 * P, P, V), -ENOENT);
	/* new vaddr; once valid it cannot be updated again */
	VT_OK(vt_map(c, buf2, A, 2 * P, V));
	VT_EXPECT_EQ(vt_map(c, buf2, A, 2 * P, V), -EINVAL);
	VT_EXPECT_EQ(vt_locked_kb(), lk + 12);
	VT_OK(vt_unmap(c, A, 2 * P, 0, &done));
	VT_EXPECT_EQ(done, 2 * P);
	VT_EXPECT_EQ(vt_locked_kb(), lk + 4);

	/* ALL | VADDR stops at B, still invalid; revalidate it first */
	VT_EXPECT_EQ(vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL |
			      VFIO_DMA_UNMAP_FLAG_VADDR, NULL), -EINVAL);
	VT_OK(vt_map(c, buf2 + 2 * P, B, P, V));
	VT_OK(vt_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL |
		       VFIO_DMA_UNMAP_FLAG_VADDR, &done));
	VT_EXPECT_EQ(done, P);
	/* left invalid: releasing the container must still unpin it */
}

/* --------------------------------------------------------- DIRTY_PAGES */

static int dirty(int c, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d),
		.flags = flags,
	};

	return ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &d) ? -errno : 0;
}

static int get_bitmap(int c, uint64_t iova, uint64_t size, uint64_t pgsize,
		      uint64_t bsize, uint64_t *bits, uint32_t argsz)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} a;

	memset(&a, 0, sizeof(a));
	a.d.argsz = argsz ? argsz : sizeof(a);
	a.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	a.g.iova = iova;
	a.g.size = size;
	a.g.bitmap.pgsize = pgsize;
	a.g.bitmap.size = bsize;
	a.g.bitmap.data = (__u64 *)bits;
	return ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &a) ? -errno : 0;
}

static int unmap_bitmap(int c, uint64_t iova, uint64_t size, uint32_t flags,
			uint64_t pgsize, uint64_t *bits, uint32_t argsz)
{
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} a;

	memset(&a, 0, sizeof(a));
	a.u.argsz = argsz ? argsz : sizeof(a);
	a.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | flags;
	a.u.iova = iova;
	a.u.size = size;
	a.b.pgsize = pgsize;
	a.b.size = sizeof(uint64_t);
	a.b.data = (__u64 *)bits;
	return ioctl(c, VFIO_IOMMU_UNMAP_DMA, &a) ? -errno : 0;
}

static void t_dirty_pages_flags(void)
{
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d) - 1,
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	int c = open_type1(VFIO_TYPE1v2_IOMMU);

	VT_ERRNO(ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &d), EINVAL);
	VT_EXPECT_EQ(dirty(c, 0), -EINVAL);
	VT_EXPECT_EQ(dirty(c, 1 << 3), -EINVAL);
	VT_EXPECT_EQ(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP), -EINVAL);
	VT_EXPECT_EQ(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			      VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP), -EINVAL);
	/* stopping when not started is fine, starting twice too */
	VT_OK(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	VT_OK(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	VT_OK(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	VT_OK(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	VT_OK(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

static void t_dirty_pages_bitmap(void)
{
	int c = open_type1(VFIO_TYPE1v2_IOMMU);
	char *buf = vt_alloc(8 * P);
	uint64_t bits[2];

	VT_OK(vt_map(c, buf, IOVA, 4 * P, RW));
	/* not tracking yet */
	VT_EXPECT_EQ(get_bitmap(c, IOVA, 4 * P, P, 8, bits, 0), -EINVAL);
	VT_OK(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	/* a mapping created while tracking gets a bitmap too */
	VT_OK(vt_map(c, buf + 4 * P, IOVA + 4 * P, 2 * P, RW));

	/*
	 * A device that cannot report dirty pages (every vfio-pci device)
	 * makes every pinned page dirty, on every query. Only the bits of
	 * the queried range are defined: upstream copies whole u64 words
	 * and may leave stale bits above the range in the last one.
	 */
	bits[0] = 0;
	bits[1] = 0;
	VT_OK(get_bitmap(c, IOVA, 4 * P, P, 8, bits, 0));
	VT_EXPECT_EQ(bits[0] & 0xf, 0xf);
	bits[0] = 0;
	VT_OK(get_bitmap(c, IOVA, 6 * P, P, 8, bits, 0));
	VT_EXPECT_EQ(bits[0] & 0x3f, 0x3f);
	VT_EXPECT_EQ(bits[1], 0);

	/* argument checks */
	VT_EXPECT_EQ(get_bitmap(c, IOVA, 4 * P, 2 * P, 8, bits, 0), -EINVAL);
	VT_EXPECT_EQ(get_bitmap(c, IOVA, 4 * P, P, 0, bits, 0), -EINVAL);
	VT_EXPECT_EQ(get_bitmap(c, IOVA, 4 * P, P, DIRTY_MAX + 8, bits, 0),
		     -EINVAL);
	VT_EXPECT_EQ(get_bitmap(c, IOVA + P, 2 * P, P, 8, bits, 0), -EINVAL);
	VT_EXPECT_EQ(get_bitmap(c, IOVA + 1, 4 * P, P, 8, bits, 0), -EINVAL);
	VT_EXPECT_EQ(get_bitmap(c, IOVA, 0, P, 8, bits, 0), -EINVAL);
	VT_EXPECT_EQ(get_bitmap(c, ~(uint64_t)(P - 1), 2 * P, P, 8, bits, 0),
		     -EINVAL);
	VT_EXPECT_EQ(get_bitmap(c, IOVA, 4 * P, P, 8, bits,
				sizeof(struct vfio_iommu_type1_dirty_bitmap)),
		     -EINVAL);

	/* unmap can return the final bitmap of what it removes */
	bits[0] = 0;
	VT_OK(unmap_bitmap(c, IOVA + 4 * P, 2 * P, 0, P, bits, 0));
	VT_EXPECT_EQ(bits[0] & 0x3, 0x3);
	VT_EXPECT_EQ(vt_map(c, buf, IOVA + 4 * P, 2 * P, RW), 0);
	VT_EXPECT_EQ(unmap_bitmap(c, IOVA + 4 * P, 2 * P, 0, 2 * P, bits, 0),
		     -EINVAL);
	VT_EXPECT_EQ(unmap_bitmap(c, IOVA + 4 * P, 2 * P, 0, P, bits,
				  sizeof(struct vfio_iommu_type1_dma_unmap)),
		     -EINVAL);
	VT_EXPECT_EQ(unmap_bitmap(c, IOVA + 4 * P, 2 * P,
				  VFIO_DMA_UNMAP_FLAG_VADDR, P, bits, 0),
		     -EINVAL);

	VT_OK(dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	VT_EXPECT_EQ(get_bitmap(c, IOVA, 4 * P, P, 8, bits, 0), -EINVAL);
	VT_EXPECT_EQ(unmap_bitmap(c, IOVA + 4 * P, 2 * P, 0, P, bits, 0),
		     -EINVAL);
}

static void t_close_with_mappings(void)
{
	struct vt_session s;
	char *buf = vt_alloc(8 * P);
	long lk = vt_locked_kb();

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, true);
	VT_OK(vt_map(s.container, buf, IOVA, 4 * P, RW));
	VT_OK(vt_map(s.container, buf + 4 * P, IOVA + 8 * P, 4 * P, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lk + 32);
	vt_close(s.device);
	vt_close(s.container);
	VT_EXPECT_EQ(vt_locked_kb(), lk + 32);	/* the group holds it */
	vt_close(s.group);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
}

static const struct vt_test tests[] = {
	{ .name = "get_info_minsz", .fn = t_get_info_minsz },
	{ .name = "get_info_cap_chain", .fn = t_get_info_cap_chain },
	{ .name = "get_info_iova_range", .fn = t_get_info_iova_range },
	{ .name = "get_info_migration_cap", .fn = t_get_info_migration_cap },
	{ .name = "get_info_dma_avail", .fn = t_get_info_dma_avail },
	{ .name = "map_unmap", .fn = t_map_unmap },
	{ .name = "map_large", .fn = t_map_large },
	{ .name = "map_shared_memfd", .fn = t_map_shared_memfd },
	{ .name = "map_prot", .fn = t_map_prot },
	{ .name = "map_bad_flags", .fn = t_map_bad_flags },
	{ .name = "map_argsz", .fn = t_map_argsz },
	{ .name = "map_unaligned", .fn = t_map_unaligned },
	{ .name = "map_wrap", .fn = t_map_wrap },
	{ .name = "map_overlap", .fn = t_map_overlap },
	{ .name = "map_outside_iova_ranges", .fn = t_map_outside_iova_ranges },
	{ .name = "map_bad_memory", .fn = t_map_bad_memory },
	{ .name = "map_rlimit_memlock", .fn = t_map_rlimit_memlock },
	{ .name = "map_rlimit_cap_ipc_lock", .fn = t_map_rlimit_cap_ipc_lock },
	{ .name = "dma_entry_limit", .fn = t_dma_entry_limit },
	{ .name = "unmap_v2_rules", .fn = t_unmap_v2_rules },
	{ .name = "unmap_bad_args", .fn = t_unmap_bad_args },
	{ .name = "unmap_v1_semantics", .fn = t_unmap_v1_semantics },
	{ .name = "unmap_all", .fn = t_unmap_all },
	{ .name = "update_vaddr", .fn = t_update_vaddr },
	{ .name = "dirty_pages_flags", .fn = t_dirty_pages_flags },
	{ .name = "dirty_pages_bitmap", .fn = t_dirty_pages_bitmap },
	{ .name = "close_with_mappings", .fn = t_close_with_mappings },
};

static void setup(void)
{
	dev0 = &vt_devs[0];
	if (vt_sysfs_read(LIMIT_PARAM, limit_orig, sizeof(limit_orig)) < 0)
		limit_orig[0] = 0;
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "type1", VT_TESTS(tests),
		.devs = VT_DEVS_ANY, .min_devs = 1,
		.setup = setup,
		.after_each = restore_params, .cleanup = restore_params,
	};

	return vt_main(argc, argv, &suite);
}
