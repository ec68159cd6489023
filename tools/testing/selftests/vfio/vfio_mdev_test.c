// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mediated devices: mdev.ko's sysfs interface and an mdev driven through
 * vfio, with the sample parent vfio_mdev_sample.ko (mdev/samples/): a
 * virtual PCI device whose DMA engine copies through vfio_dma_rw() or
 * vfio_pin_pages(). No PCI device is needed; the program loads the
 * sample itself and skips when it cannot (the in-tree stack: Debian
 * builds no sample parent).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>

#include "mdev_sample_lib.h"

#define PARENT		MS_PARENT
#define TYPES		MS_TYPES
#define TYPE_DIR(n)	TYPES "/vfio_mdev_sample-" #n
#define MDEVS		MS_MDEVS
#define MAX_INST_PARM	"/sys/module/vfio_mdev_sample/parameters/max_instances"

#define UUID_A		"0b1e2f4c-6d1a-4c59-8e3b-5a7d9c000001"
#define UUID_B		"0b1e2f4c-6d1a-4c59-8e3b-5a7d9c000002"
#define UUID_C		"0b1e2f4c-6d1a-4c59-8e3b-5a7d9c000003"

#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL
#define BUF_SIZE	(4 * VT_PAGE)

static long max_inst;

/* ---- sysfs helpers ---- */

static long type_num(int type, const char *attr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), TYPES "/vfio_mdev_sample-%d/%s", type,
		 attr);
	return vt_sysfs_read_num(path);
}

static bool mdev_exists(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEVS "/%s", uuid);
	return access(path, F_OK) == 0;
}

static int mdev_remove(const char *uuid, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEVS "/%s/remove", uuid);
	return vt_sysfs_write(path, val);
}

/* ---- the device through the group path ---- */

struct msess {
	int container, group, dev;
	uint64_t bar0, cfg;
};

static void msess_open(struct msess *s, const char *uuid)
{
	s->dev = ms_open_group(uuid, &s->container, &s->group);
	s->bar0 = vt_region_offset(s->dev, VFIO_PCI_BAR0_REGION_INDEX);
	s->cfg = vt_region_offset(s->dev, VFIO_PCI_CONFIG_REGION_INDEX);
}

static uint32_t reg_rd(struct msess *s, unsigned int reg)
{
	return vt_rd32(s->dev, s->bar0 + reg);
}

static void reg_wr(struct msess *s, unsigned int reg, uint32_t val)
{
	vt_wr32(s->dev, s->bar0 + reg, val);
}

static void bus_master(struct msess *s, bool on)
{
	uint16_t cmd = vt_cfg_rd16(s->dev, 0x04);

	cmd = on ? (cmd | 0x6) : (cmd & ~0x4);
	vt_cfg_wr16(s->dev, 0x04, cmd);
}

static uint32_t dma_run(struct msess *s, uint64_t src, uint64_t dst,
			uint32_t len, uint32_t cmd)
{
	return ms_dma_run(s->dev, s->bar0, src, dst, len, cmd);
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/*
 * ---- tests ----
 * Tests leave their mdevs behind when fds are still open: ms_remove_all()
 * runs after each test, once the test's fds are closed.
 */

static void t_sysfs_layout(void)
{
	char buf[256];
	int t;

	VT_EXPECT(access("/sys/bus/mdev/devices", F_OK) == 0, "no mdev bus");
	VT_EXPECT(access(PARENT, F_OK) == 0, "no /sys/class/mdev_bus link");
	for (t = 1; t <= 2; t++) {
		char dir[PATH_MAX], f[PATH_MAX + 32], want[32];

		snprintf(dir, sizeof(dir), TYPES "/vfio_mdev_sample-%d", t);
		snprintf(f, sizeof(f), "%s/name", dir);
		snprintf(want, sizeof(want), "sample-%d", t);
		VT_EXPECT(vt_sysfs_read(f, buf, sizeof(buf)) >= 0 &&
			  !strcmp(buf, want), "name: \"%s\"", buf);
		snprintf(f, sizeof(f), "%s/device_api", dir);
		VT_EXPECT(vt_sysfs_read(f, buf, sizeof(buf)) >= 0 &&
			  !strcmp(buf, "vfio-pci"), "device_api: \"%s\"",
			  buf);
		snprintf(f, sizeof(f), "%s/description", dir);
		VT_EXPECT(vt_sysfs_read(f, buf, sizeof(buf)) > 0 &&
			  strstr(buf, "6d64"), "description: \"%s\"", buf);
		VT_EXPECT_EQ(type_num(t, "available_instances"), max_inst);
		snprintf(f, sizeof(f), "%s/devices", dir);
		VT_EXPECT(access(f, F_OK) == 0, "%s missing", f);
		/* create is write-only, the rest read-only */
		snprintf(f, sizeof(f), "%s/create", dir);
		VT_EXPECT(vt_sysfs_read(f, buf, sizeof(buf)) < 0,
			  "create readable");
		VT_EXPECT_EQ(-ms_type_write(t, "name", "x"), EACCES);
	}
}

static void t_create_remove(void)
{
	char link[PATH_MAX], path[PATH_MAX];

	VT_OK_FATAL(ms_mdev_create(1, UUID_A));
	VT_EXPECT(mdev_exists(UUID_A), "no " MDEVS "/" UUID_A);
	ms_mdev_link(UUID_A, "mdev_type", link, sizeof(link));
	VT_EXPECT(!strcmp(link, "vfio_mdev_sample-1"), "mdev_type -> %s",
		  link);
	ms_mdev_link(UUID_A, "driver", link, sizeof(link));
	VT_EXPECT(!strcmp(link, "vfio_mdev_sample"), "driver -> %s", link);
	ms_mdev_link(UUID_A, "subsystem", link, sizeof(link));
	VT_EXPECT(!strcmp(link, "mdev"), "subsystem -> %s", link);
	VT_EXPECT(ms_mdev_group(UUID_A) >= 0, "no iommu_group");
	VT_EXPECT(access(TYPE_DIR(1) "/devices/" UUID_A, F_OK) == 0,
		  "not in the type's devices/");
	snprintf(path, sizeof(path), PARENT "/%s", UUID_A);
	VT_EXPECT(access(path, F_OK) == 0, "not a child of the parent");
	/* instances are the parent's, shared by its types */
	VT_EXPECT_EQ(type_num(1, "available_instances"), max_inst - 1);
	VT_EXPECT_EQ(type_num(2, "available_instances"), max_inst - 1);

	/* "0" removes nothing; junk is EINVAL */
	VT_OK(mdev_remove(UUID_A, "0"));
	VT_EXPECT(mdev_exists(UUID_A), "gone after remove 0");
	VT_EXPECT_EQ(-mdev_remove(UUID_A, "yes"), EINVAL);
	VT_EXPECT(mdev_exists(UUID_A), "gone after a bad remove");

	VT_OK(mdev_remove(UUID_A, "1"));
	VT_EXPECT(!mdev_exists(UUID_A), "still there after remove");
	VT_EXPECT(access(TYPE_DIR(1) "/devices/" UUID_A, F_OK),
		  "still in devices/");
	VT_EXPECT_EQ(type_num(1, "available_instances"), max_inst);

	/* without the newline, and the name again after removal */
	VT_OK(ms_type_write(2, "create", UUID_A));
	ms_mdev_link(UUID_A, "mdev_type", link, sizeof(link));
	VT_EXPECT(!strcmp(link, "vfio_mdev_sample-2"), "mdev_type -> %s",
		  link);
	VT_OK(mdev_remove(UUID_A, "1"));
}

static void t_create_bad(void)
{
	long i;

	/* length other than 36 or 37 bytes */
	VT_EXPECT_EQ(-ms_type_write(1, "create", "0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00001"),
		     EINVAL);
	VT_EXPECT_EQ(-ms_type_write(1, "create", UUID_A "\n\n"), EINVAL);
	VT_EXPECT_EQ(-ms_type_write(1, "create", "\n"), EINVAL);
	/* not a UUID */
	VT_EXPECT_EQ(-ms_type_write(1, "create", "0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00000g"),
		     EINVAL);
	VT_EXPECT_EQ(-ms_type_write(1, "create", "0b1e2f4c66d1a-4c59-8e3b-5a7d9c000001"),
		     EINVAL);
	VT_EXPECT_EQ(type_num(1, "available_instances"), max_inst);
	VT_EXPECT(!mdev_exists(UUID_A), "created from bad input");

	/* duplicates, in either type and either case */
	VT_OK_FATAL(ms_mdev_create(1, UUID_A));
	VT_EXPECT_EQ(-ms_mdev_create(1, UUID_A), EEXIST);
	VT_EXPECT_EQ(-ms_mdev_create(2, UUID_A), EEXIST);
	VT_EXPECT_EQ(-ms_mdev_create(1, "0B1E2F4C-6D1A-4C59-8E3B-5A7D9C000001"),
		     EEXIST);
	VT_EXPECT_EQ(type_num(1, "available_instances"), max_inst - 1);

	/* the parent's instances run out: EUSERS, in both types */
	for (i = 1; i < max_inst; i++) {
		char uuid[40];

		snprintf(uuid, sizeof(uuid),
			 "0b1e2f4c-6d1a-4c59-8e3b-5a7d9c1000%02lx", i);
		VT_OK(ms_mdev_create(i % 2 + 1, uuid));
	}
	VT_EXPECT_EQ(type_num(2, "available_instances"), 0);
	VT_EXPECT_EQ(-ms_mdev_create(1, UUID_C), EUSERS);
	VT_EXPECT_EQ(-ms_mdev_create(2, UUID_C), EUSERS);
	VT_EXPECT(!mdev_exists(UUID_C), "created past available_instances");
	ms_remove_all();
	VT_EXPECT_EQ(type_num(1, "available_instances"), max_inst);

	/* upper case is accepted, the device is named in lower case */
	VT_OK(ms_mdev_create(1, "0B1E2F4C-6D1A-4C59-8E3B-5A7D9C000002"));
	VT_EXPECT(mdev_exists(UUID_B), "not named in lower case");
	VT_OK(mdev_remove(UUID_B, "1"));
}

static void t_device_info(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	struct msess s;
	unsigned int i;

	ms_create_one(UUID_A);
	msess_open(&s, UUID_A);

	VT_OK(ioctl(s.dev, VFIO_DEVICE_GET_INFO, &di));
	VT_EXPECT_EQ(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	VT_EXPECT_EQ(di.num_regions, VFIO_PCI_NUM_REGIONS);
	VT_EXPECT_EQ(di.num_irqs, VFIO_PCI_NUM_IRQS);
	di.argsz = offsetof(struct vfio_device_info, num_irqs);
	VT_ERRNO(ioctl(s.dev, VFIO_DEVICE_GET_INFO, &di), EINVAL);

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		uint64_t want = 0;

		if (i == VFIO_PCI_BAR0_REGION_INDEX)
			want = MSAMPLE_BAR0_SIZE;
		else if (i == VFIO_PCI_CONFIG_REGION_INDEX)
			want = MSAMPLE_CFG_SIZE;
		VT_OK(vt_region_info(s.dev, i, &ri));
		VT_EXPECT_EQ(ri.size, want);
		VT_EXPECT_EQ(ri.flags, want ? VFIO_REGION_INFO_FLAG_READ |
				       VFIO_REGION_INFO_FLAG_WRITE : 0);
	}
	VT_EXPECT_EQ(-vt_region_info(s.dev, VFIO_PCI_NUM_REGIONS, &ri), EINVAL);

	VT_OK(vt_irq_info(s.dev, VFIO_PCI_INTX_IRQ_INDEX, &ii));
	VT_EXPECT_EQ(ii.count, 1);
	VT_EXPECT_EQ(ii.flags, VFIO_IRQ_INFO_EVENTFD);
	VT_OK(vt_irq_info(s.dev, VFIO_PCI_MSI_IRQ_INDEX, &ii));
	VT_EXPECT_EQ(ii.count, 1);
	VT_EXPECT_EQ(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	VT_OK(vt_irq_info(s.dev, VFIO_PCI_MSIX_IRQ_INDEX, &ii));
	VT_EXPECT_EQ(ii.count, 0);
	/* No ERR or REQ irq: EINVAL, which keeps QEMU from warning. */
	VT_EXPECT_EQ(-vt_irq_info(s.dev, VFIO_PCI_ERR_IRQ_INDEX, &ii), EINVAL);
	VT_EXPECT_EQ(-vt_irq_info(s.dev, VFIO_PCI_REQ_IRQ_INDEX, &ii), EINVAL);
	VT_EXPECT_EQ(-vt_irq_info(s.dev, VFIO_PCI_NUM_IRQS, &ii), EINVAL);

	VT_ERRNO(ioctl(s.dev, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL), ENOTTY);
	VT_OK(ioctl(s.dev, VFIO_DEVICE_RESET));
}

static void t_config(void)
{
	struct msess s;
	uint32_t v;
	uint8_t b;

	ms_create_one(UUID_A);
	msess_open(&s, UUID_A);

	VT_EXPECT_EQ(vt_cfg_rd32(s.dev, 0x00),
		     MSAMPLE_DEVICE << 16 | MSAMPLE_VENDOR);
	VT_EXPECT_EQ(vt_cfg_rd32(s.dev, 0x08) >> 8, MSAMPLE_CLASS);
	VT_EXPECT(vt_cfg_rd16(s.dev, 0x06) & 0x10, "no capability list");
	VT_EXPECT_EQ(vt_cfg_find_cap(s.dev, 0x05), MSAMPLE_MSI_CAP);
	/* read-only: IDs, status, class */
	vt_cfg_wr32(s.dev, 0x00, 0);
	vt_cfg_wr32(s.dev, 0x08, 0);
	VT_EXPECT_EQ(vt_cfg_rd32(s.dev, 0x00),
		     MSAMPLE_DEVICE << 16 | MSAMPLE_VENDOR);
	VT_EXPECT_EQ(vt_cfg_rd32(s.dev, 0x08) >> 8, MSAMPLE_CLASS);
	/* COMMAND: memory, master, INTx disable writable, the rest not */
	vt_cfg_wr16(s.dev, 0x04, 0xffff);
	VT_EXPECT_EQ(vt_cfg_rd16(s.dev, 0x04), 0x407);
	vt_cfg_wr16(s.dev, 0x04, 0);
	VT_EXPECT_EQ(vt_cfg_rd16(s.dev, 0x04), 0);
	/* BAR0 sizing: 4 KiB, 32-bit memory */
	vt_cfg_wr32(s.dev, 0x10, 0xffffffff);
	VT_EXPECT_EQ(vt_cfg_rd32(s.dev, 0x10), 0xfffff000);
	vt_cfg_wr32(s.dev, 0x10, 0xfebf1234);
	VT_EXPECT_EQ(vt_cfg_rd32(s.dev, 0x10), 0xfebf1000);
	vt_cfg_wr32(s.dev, 0x14, 0xffffffff);
	VT_EXPECT_EQ(vt_cfg_rd32(s.dev, 0x14), 0);
	/* byte access, and the end of config space */
	VT_EXPECT(pread(s.dev, &b, 1, s.cfg + 0x3d) == 1 && b == 1,
		  "interrupt pin %u", b);
	VT_EXPECT(pread(s.dev, &b, 1, s.cfg + 255) == 1, "last byte");
	VT_ERRNO(pread(s.dev, &v, 4, s.cfg + 254), EINVAL);
	VT_ERRNO(pread(s.dev, &v, 4, s.cfg + 256), EINVAL);
	/* VFIO_DEVICE_RESET restores power-on config */
	vt_cfg_wr16(s.dev, 0x04, 0x6);
	VT_OK(ioctl(s.dev, VFIO_DEVICE_RESET));
	VT_EXPECT_EQ(vt_cfg_rd16(s.dev, 0x04), 0);
	VT_EXPECT_EQ(vt_cfg_rd32(s.dev, 0x10), 0);
}

static void t_bar(void)
{
	struct msess s;
	uint64_t q;
	uint16_t w;
	uint8_t b;
	uint32_t v;

	ms_create_one(UUID_A);
	msess_open(&s, UUID_A);

	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_IDENT), MSAMPLE_IDENT);
	reg_wr(&s, MSAMPLE_REG_SCRATCH, 0xa5a5f00d);
	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_SCRATCH), 0xa5a5f00d);
	reg_wr(&s, MSAMPLE_REG_IDENT, 0);
	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_IDENT), MSAMPLE_IDENT);
	/* narrow and wide reads */
	VT_EXPECT(pread(s.dev, &b, 1, s.bar0 + 1) == 1 && b == 0x65,
		  "byte 1: 0x%x", b);
	VT_EXPECT(pread(s.dev, &w, 2, s.bar0 + 2) == 2 && w == 0x6d64,
		  "word 1: 0x%x", w);
	q = 0x1122334455667788ULL;
	VT_EXPECT(pwrite(s.dev, &q, 8, s.bar0 + MSAMPLE_REG_DMA_SRC) == 8,
		  "8-byte write");
	q = 0;
	VT_EXPECT(pread(s.dev, &q, 8, s.bar0 + MSAMPLE_REG_DMA_SRC) == 8 &&
		  q == 0x1122334455667788ULL, "8-byte read 0x%llx",
		  (unsigned long long)q);
	/* refused: narrow writes, unaligned, odd sizes, past the end */
	VT_ERRNO(pwrite(s.dev, &b, 1, s.bar0 + MSAMPLE_REG_SCRATCH), EINVAL);
	VT_ERRNO(pwrite(s.dev, &w, 2, s.bar0 + MSAMPLE_REG_SCRATCH), EINVAL);
	VT_ERRNO(pread(s.dev, &v, 4, s.bar0 + 2), EINVAL);
	VT_ERRNO(pread(s.dev, &q, 3, s.bar0), EINVAL);
	VT_ERRNO(pread(s.dev, &v, 4, s.bar0 + MSAMPLE_BAR0_SIZE), EINVAL);
	VT_ERRNO(pread(s.dev, &v, 4,
		       vt_region_offset(s.dev, VFIO_PCI_BAR1_REGION_INDEX)),
		 EINVAL);
	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_SCRATCH), 0xa5a5f00d);
	/* no mmap of BAR0 */
	VT_EXPECT(mmap(NULL, 4096, PROT_READ, MAP_SHARED, s.dev, s.bar0) ==
		  MAP_FAILED, "BAR0 mapped");
}

/* Copies in both modes, aligned and across pages; then the failures. */
static void dma_checks(struct msess *s, uint8_t *src, uint8_t *dst)
{
	static const struct { uint32_t so, doff, len; } cases[] = {
		{ 0, 0, 4096 }, { 0, 0, 3 * 4096 }, { 100, 3000, 6000 },
		{ 4095, 1, 1 }, { 0, 0, 0 },
	};
	unsigned int i, m;
	uint32_t count;

	for (m = 0; m < 2; m++) {
		uint32_t cmd = m ? MSAMPLE_DMA_PIN : 0;

		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			fill(src, BUF_SIZE, i + 10 * m + 1);
			memset(dst, 0xee, BUF_SIZE);
			VT_EXPECT_EQ(dma_run(s, IOVA_SRC + cases[i].so,
					     IOVA_DST + cases[i].doff,
					     cases[i].len, cmd), 0);
			VT_EXPECT(!memcmp(dst + cases[i].doff,
					  src + cases[i].so, cases[i].len),
				  "mode %u case %u: data differ", m, i);
			VT_EXPECT(cases[i].doff == 0 ||
				  dst[cases[i].doff - 1] == 0xee,
				  "mode %u case %u: wrote before", m, i);
		}
	}
	count = reg_rd(s, MSAMPLE_REG_DMA_COUNT);
	VT_EXPECT_EQ(count, 2 * ARRAY_SIZE(cases));

	for (m = 0; m < 2; m++) {
		uint32_t cmd = m ? MSAMPLE_DMA_PIN : 0;

		/* unmapped IOVAs, a range running off the mapping */
		VT_EXPECT(dma_run(s, 0x40000000, IOVA_DST, 16, cmd) != 0,
			  "mode %u: unmapped source", m);
		VT_EXPECT(dma_run(s, IOVA_SRC, 0x40000000, 16, cmd) != 0,
			  "mode %u: unmapped destination", m);
		VT_EXPECT(dma_run(s, IOVA_SRC + BUF_SIZE - 8, IOVA_DST, 16,
				  cmd) != 0, "mode %u: off the end", m);
		VT_EXPECT_EQ(dma_run(s, IOVA_SRC, IOVA_DST, MSAMPLE_DMA_MAX + 1,
				     cmd), EINVAL);
		bus_master(s, false);
		VT_EXPECT_EQ(dma_run(s, IOVA_SRC, IOVA_DST, 16, cmd), EPERM);
		bus_master(s, true);
	}
	VT_EXPECT_EQ(reg_rd(s, MSAMPLE_REG_DMA_COUNT), count);
}

static void t_dma_type1(void)
{
	uint8_t *src = vt_alloc(BUF_SIZE), *dst = vt_alloc(BUF_SIZE);
	uint8_t *ro = vt_alloc(BUF_SIZE);
	long lk0 = vt_locked_kb();
	struct msess s;

	ms_create_one(UUID_A);
	msess_open(&s, UUID_A);
	VT_OK_FATAL(vt_map(s.container, src, IOVA_SRC, BUF_SIZE,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	VT_OK_FATAL(vt_map(s.container, dst, IOVA_DST, BUF_SIZE,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	VT_OK_FATAL(vt_map(s.container, ro, 0x300000, BUF_SIZE,
			   VFIO_DMA_MAP_FLAG_READ));
	bus_master(&s, true);
	dma_checks(&s, src, dst);
	/* a read-only mapping can be read, not written */
	VT_EXPECT_EQ(dma_run(&s, 0x300000, IOVA_DST, 64, 0), 0);
	VT_EXPECT(dma_run(&s, IOVA_SRC, 0x300000, 64, 0) != 0, "rw into RO");
	VT_EXPECT(dma_run(&s, IOVA_SRC, 0x300000, 64, MSAMPLE_DMA_PIN) != 0,
		  "pin into RO");
	/* pins do not outlive a copy: no locked memory left */
	VT_EXPECT_EQ(vt_locked_kb(), lk0);
	/* unmapped: the engine cannot reach it any more */
	VT_OK(vt_unmap(s.container, IOVA_DST, BUF_SIZE, 0, NULL));
	VT_EXPECT(dma_run(&s, IOVA_SRC, IOVA_DST, 64, 0) != 0,
		  "DMA after unmap");
	VT_EXPECT(dma_run(&s, IOVA_SRC, IOVA_DST, 64, MSAMPLE_DMA_PIN) != 0,
		  "pinned DMA after unmap");
	munmap(src, BUF_SIZE);
	munmap(dst, BUF_SIZE);
	munmap(ro, BUF_SIZE);
}

/* The cdev path: bind to an iommufd, attach an IOAS, the same copies. */
static void t_dma_iommufd(void)
{
	uint8_t *src, *dst;
	uint32_t ioas, pt;
	struct msess s;
	int ifd;

	if (access("/dev/iommu", F_OK))
		vt_skip("no /dev/iommu");
	ms_create_one(UUID_A);
	/* A skip leaves the mdev to ms_remove_all(), run after each test. */
	memset(&s, 0, sizeof(s));
	s.dev = ms_open_cdev(UUID_A);
	ifd = vt_open_iommufd();
	VT_OK_FATAL(vt_bind_iommufd(s.dev, ifd, NULL));
	ioas = vt_ioas_alloc(ifd);
	pt = ioas;
	VT_OK_FATAL(vt_attach_pt(s.dev, &pt));
	VT_EXPECT_EQ(pt, ioas);
	s.bar0 = vt_region_offset(s.dev, VFIO_PCI_BAR0_REGION_INDEX);
	s.cfg = vt_region_offset(s.dev, VFIO_PCI_CONFIG_REGION_INDEX);

	src = vt_alloc(BUF_SIZE);
	dst = vt_alloc(BUF_SIZE);
	VT_OK_FATAL(vt_ioas_map(ifd, ioas, src, IOVA_SRC, BUF_SIZE,
				IOMMU_IOAS_MAP_FIXED_IOVA |
				IOMMU_IOAS_MAP_READABLE |
				IOMMU_IOAS_MAP_WRITEABLE));
	VT_OK_FATAL(vt_ioas_map(ifd, ioas, dst, IOVA_DST, BUF_SIZE,
				IOMMU_IOAS_MAP_FIXED_IOVA |
				IOMMU_IOAS_MAP_READABLE |
				IOMMU_IOAS_MAP_WRITEABLE));
	bus_master(&s, true);
	dma_checks(&s, src, dst);
	VT_OK(vt_ioas_unmap(ifd, ioas, IOVA_DST, BUF_SIZE, NULL));
	VT_EXPECT(dma_run(&s, IOVA_SRC, IOVA_DST, 64, 0) != 0,
		  "DMA after IOAS_UNMAP");
	/* detached: no access to any IOAS */
	VT_OK(vt_detach_pt(s.dev));
	VT_EXPECT(dma_run(&s, IOVA_SRC, IOVA_SRC + 64, 64, 0) != 0,
		  "DMA while detached");
	munmap(src, BUF_SIZE);
	munmap(dst, BUF_SIZE);
	vt_close(ifd);
	vt_close(s.dev);
}

static void t_irqs(void)
{
	struct msess s;
	int efd, efd2;

	ms_create_one(UUID_A);
	msess_open(&s, UUID_A);
	efd = vt_eventfd();
	efd2 = vt_eventfd();

	/* INTx: raised through the BAR, blocked by INTX_DISABLE */
	VT_OK(vt_set_irqs_fd(s.dev, VFIO_PCI_INTX_IRQ_INDEX,
			     VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	reg_wr(&s, MSAMPLE_REG_IRQ_RAISE, 1);
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_IRQ_STATUS), 1);
	VT_EXPECT(vt_cfg_rd16(s.dev, 0x06) & 0x08, "STATUS.INTERRUPT clear");
	reg_wr(&s, MSAMPLE_REG_IRQ_ACK, 1);
	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_IRQ_STATUS), 0);
	VT_EXPECT(!(vt_cfg_rd16(s.dev, 0x06) & 0x08), "STATUS.INTERRUPT set");
	vt_cfg_wr16(s.dev, 0x04, 0x400);
	reg_wr(&s, MSAMPLE_REG_IRQ_RAISE, 2);
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 200), 0);
	reg_wr(&s, MSAMPLE_REG_IRQ_ACK, 2);
	vt_cfg_wr16(s.dev, 0x04, 0);
	/* loopback: DATA_NONE and DATA_BOOL trigger the eventfd */
	VT_OK(vt_set_irqs_none(s.dev, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	/* no masking, one mode at a time, bad input */
	VT_EXPECT_EQ(-vt_set_irqs_none(s.dev, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_MASK, 0, 1), ENOTTY);
	VT_EXPECT_EQ(-vt_set_irqs_fd(s.dev, VFIO_PCI_MSI_IRQ_INDEX,
				     VFIO_IRQ_SET_ACTION_TRIGGER, efd2), EINVAL);
	VT_EXPECT_EQ(-vt_set_irqs_fd(s.dev, VFIO_PCI_MSIX_IRQ_INDEX,
				     VFIO_IRQ_SET_ACTION_TRIGGER, efd2), EINVAL);
	VT_EXPECT_EQ(-vt_set_irqs_fd(s.dev, VFIO_PCI_INTX_IRQ_INDEX,
				     VFIO_IRQ_SET_ACTION_TRIGGER, -2), EINVAL);
	VT_EXPECT_EQ(-vt_set_irqs_fd(s.dev, VFIO_PCI_INTX_IRQ_INDEX,
				     VFIO_IRQ_SET_ACTION_TRIGGER, s.group), EINVAL);
	VT_EXPECT_EQ(-vt_set_irqs_none(s.dev, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 2), EINVAL);
	/* the failed calls left INTx as it was */
	reg_wr(&s, MSAMPLE_REG_IRQ_RAISE, 4);
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	reg_wr(&s, MSAMPLE_REG_IRQ_ACK, 4);

	/* INTx off, MSI on: the DMA engine's completion interrupt */
	VT_OK(vt_set_irqs_none(s.dev, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	VT_OK(vt_set_irqs_fd(s.dev, VFIO_PCI_MSI_IRQ_INDEX,
			     VFIO_IRQ_SET_ACTION_TRIGGER, efd2));
	bus_master(&s, true);
	VT_EXPECT(dma_run(&s, 0x1000, 0x2000, 8, MSAMPLE_DMA_IRQ) != 0,
		  "DMA with nothing mapped");
	VT_EXPECT_EQ(vt_wait_eventfd(efd2, 1000), 1);
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 100), 0);
	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_IRQ_STATUS), MSAMPLE_IRQ_DMA);
	reg_wr(&s, MSAMPLE_REG_IRQ_ACK, MSAMPLE_IRQ_DMA);
	/* fd -1 disables; raising then signals nothing */
	VT_OK(vt_set_irqs_fd(s.dev, VFIO_PCI_MSI_IRQ_INDEX,
			     VFIO_IRQ_SET_ACTION_TRIGGER, -1));
	reg_wr(&s, MSAMPLE_REG_IRQ_RAISE, 1);
	VT_EXPECT_EQ(vt_wait_eventfd(efd2, 200), 0);
}

/* Parent side of remove_waits: the write blocks until the fds close. */
static void t_remove_waits(void)
{
	struct msess s;
	int status;
	pid_t pid;
	int i;

	ms_create_one(UUID_A);
	msess_open(&s, UUID_A);
	pid = fork();
	VT_ASSERT(pid >= 0, "fork");
	if (!pid) {
		/* our copies of the fds would hold the device */
		close(s.dev);
		close(s.group);
		close(s.container);
		_exit(mdev_remove(UUID_A, "1") ? 1 : 0);
	}
	usleep(1500 * 1000);
	VT_EXPECT(waitpid(pid, &status, WNOHANG) == 0,
		  "remove returned while the device fd is open");
	/* the device still works meanwhile */
	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_IDENT), MSAMPLE_IDENT);
	vt_close(s.dev);
	vt_close(s.group);
	vt_close(s.container);
	for (i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(100 * 1000);
	VT_EXPECT(i < 100, "remove still blocked after the fds closed");
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	VT_EXPECT(WIFEXITED(status) && !WEXITSTATUS(status),
		  "remove failed");
	VT_EXPECT(!mdev_exists(UUID_A), "still there");
	VT_EXPECT_EQ(type_num(1, "available_instances"), max_inst);
}

/* rmmod of the parent removes its mdevs; refused while one is open. */
static void t_parent_unregister(void)
{
	struct msess s;

	ms_create_one(UUID_A);
	VT_OK(ms_mdev_create(2, UUID_B));
	msess_open(&s, UUID_A);
	VT_EXPECT(system("rmmod vfio_mdev_sample 2>/dev/null") != 0,
		  "rmmod while a device fd is open");
	VT_EXPECT(mdev_exists(UUID_A), "removed while open");
	vt_close(s.dev);
	vt_close(s.group);
	vt_close(s.container);
	VT_EXPECT(system("rmmod vfio_mdev_sample") == 0, "rmmod");
	VT_EXPECT(!mdev_exists(UUID_A) && !mdev_exists(UUID_B),
		  "mdevs left after the parent went");
	VT_EXPECT(access(PARENT, F_OK), "mdev_bus link left");
	VT_EXPECT(system("modprobe vfio_mdev_sample") == 0, "modprobe");
	VT_EXPECT(access(TYPE_DIR(1) "/devices", F_OK) == 0, "types back");
	VT_EXPECT_EQ(type_num(1, "available_instances"), max_inst);
}

static const struct vt_test tests[] = {
	{ "sysfs_layout", t_sysfs_layout, 0 },
	{ "create_remove", t_create_remove, 0 },
	{ "create_bad", t_create_bad, 0 },
	{ "device_info", t_device_info, 0 },
	{ "config", t_config, 0 },
	{ "bar", t_bar, 0 },
	{ "dma_type1", t_dma_type1, 0 },
	{ "dma_iommufd", t_dma_iommufd, 0 },
	{ "irqs", t_irqs, 0 },
	{ "remove_waits", t_remove_waits, 0 },
	{ "parent_unregister", t_parent_unregister, 0 },
};

int main(int argc, char **argv)
{
	(void)argv;
	vt_tap_header();
	if (argc > 1)
		vt_bail("usage: vfio_mdev_test (no options, no devices)");
	if (!ms_load())
		return 4;
	max_inst = vt_sysfs_read_num(MAX_INST_PARM);
	if (max_inst < 2) {
		printf("1..0 # SKIP vfio_mdev_sample max_instances %ld, need 2\n",
		       max_inst);
		return 4;
	}
	ms_remove_all();
	vt_plan(ARRAY_SIZE(tests));
	vt_run_tests("mdev", tests, ARRAY_SIZE(tests), ms_remove_all);
	ms_remove_all();
	return vt_exit_code();
}
