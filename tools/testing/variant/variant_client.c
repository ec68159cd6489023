// SPDX-License-Identifier: GPL-2.0-only
/*
 * Client of tools/testing/vm/tests/variant_test.sh: opens an edu's VFIO
 * device the way QEMU does (container, group, type1, GET_DEVICE_FD) and
 * checks what the sample variant driver (tools/testing/variant) adds.
 *
 *   variant_client check BDF   TAP lines ("ok - ..." / "not ok - ...",
 *                              no numbers, no plan: the shell test
 *                              numbers them) about the variant's
 *                              regions, its virtual ID register and the
 *                              real BAR 0 behind it; exit 1 on a failure
 *   variant_client common BDF  "key value" lines of what any vfio-pci
 *                              device answers (device flags, irq counts,
 *                              RESET, feature probes): the test compares
 *                              them between the variant and vfio-pci
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

/* What the variant driver (vfio_pci_variant_test.c) promises. */
#define VARIANT_EDU_ID		0x7a5100edU
#define VARIANT_REGION		VFIO_PCI_NUM_REGIONS	/* index 9 */
#define VARIANT_REGION_TYPE	(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1234U)
#define VARIANT_REGION_SUBTYPE	1
#define VARIANT_REGION_SIZE	4096
#define EDU_REG_LIVENESS	0x04

static int failures;

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void die(const char *what)
{
	printf("not ok - %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Container, group, type1 and the device fd of @bdf. */
static int open_device(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX], *grp;
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int container, group, dev;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("iommu_group link");
	link[n] = 0;
	grp = strrchr(link, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%s", grp ? grp + 1 : link);

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("open /dev/vfio/vfio");
	group = open(path, O_RDWR);
	if (group < 0)
		die(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	return dev;
}

static uint64_t region_offset(int dev, unsigned int index)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		die("VFIO_DEVICE_GET_REGION_INFO");
	return ri.offset;
}

/* Memory decode on or off through the config space (the COMMAND word). */
static void set_memory(int dev, bool on)
{
	uint64_t cfg = region_offset(dev, VFIO_PCI_CONFIG_REGION_INDEX);
	uint16_t cmd;

	if (pread(dev, &cmd, 2, cfg + 4) != 2)
		die("read COMMAND");
	cmd = on ? (cmd | 0x2) : (cmd & ~0x2);
	if (pwrite(dev, &cmd, 2, cfg + 4) != 2)
		die("write COMMAND");
}

/* pread() result as "N" or "-ERRNO" for the messages. */
static long rd(int dev, void *buf, size_t n, uint64_t off)
{
	ssize_t r = pread(dev, buf, n, off);

	return r < 0 ? -errno : r;
}

static long wr(int dev, const void *buf, size_t n, uint64_t off)
{
	ssize_t r = pwrite(dev, buf, n, off);

	return r < 0 ? -errno : r;
}

static void check_info(int dev)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &info))
		die("VFIO_DEVICE_GET_INFO");
	result(info.flags & VFIO_DEVICE_FLAGS_PCI,
	       "GET_INFO: a PCI device (flags %#x)", info.flags);
	result(info.num_regions == VFIO_PCI_NUM_REGIONS + 1,
	       "GET_INFO: num_regions %u = VFIO_PCI_NUM_REGIONS + 1",
	       info.num_regions);
	result(info.num_irqs == VFIO_PCI_NUM_IRQS,
	       "GET_INFO: num_irqs %u = VFIO_PCI_NUM_IRQS", info.num_irqs);
}

static void check_region_info(int dev)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_region_info_cap_type *type = NULL;
	struct vfio_info_cap_header *hdr;
	struct vfio_region_info *full;
	uint32_t next;

	ri.index = VARIANT_REGION;
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		die("VFIO_DEVICE_GET_REGION_INFO(9)");
	result(ri.size == VARIANT_REGION_SIZE, "REGION_INFO(9): size %llu",
	       (unsigned long long)ri.size);
	result(ri.flags == (VFIO_REGION_INFO_FLAG_READ |
			    VFIO_REGION_INFO_FLAG_WRITE |
			    VFIO_REGION_INFO_FLAG_CAPS),
	       "REGION_INFO(9): flags %#x = READ|WRITE|CAPS", ri.flags);
	result(ri.argsz > sizeof(ri) && ri.cap_offset == 0,
	       "REGION_INFO(9) with a short buffer: argsz %u asks for the capabilities, cap_offset 0",
	       ri.argsz);
	result(ri.offset == (uint64_t)VARIANT_REGION << 40,
	       "REGION_INFO(9): offset %#llx (index << 40)",
	       (unsigned long long)ri.offset);

	full = calloc(1, ri.argsz);
	if (!full)
		die("calloc");
	full->argsz = ri.argsz;
	full->index = VARIANT_REGION;
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, full))
		die("VFIO_DEVICE_GET_REGION_INFO(9) with capabilities");
	for (next = full->cap_offset; next && next + sizeof(*hdr) <= full->argsz;
	     next = hdr->next) {
		hdr = (void *)((char *)full + next);
		if (hdr->id == VFIO_REGION_INFO_CAP_TYPE) {
			type = (void *)hdr;
			break;
		}
	}
	result(type && type->header.version == 1,
	       "REGION_INFO(9): a CAP_TYPE capability, version 1");
	if (type) {
		result(type->type == VARIANT_REGION_TYPE,
		       "CAP_TYPE type %#x = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1234",
		       type->type);
		result(type->subtype == VARIANT_REGION_SUBTYPE,
		       "CAP_TYPE subtype %u", type->subtype);
	}
	free(full);

	ri = (struct vfio_region_info){ .argsz = sizeof(ri),
					.index = VARIANT_REGION + 1 };
	result(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 &&
	       errno == EINVAL, "REGION_INFO(10): EINVAL (no such region)");
}

static void check_region_rw(int dev)
{
	uint64_t base = (uint64_t)VARIANT_REGION << 40;
	unsigned char buf[VARIANT_REGION_SIZE], back[VARIANT_REGION_SIZE];
	unsigned char zero[VARIANT_REGION_SIZE] = { 0 };
	unsigned int i;
	long r;
	void *map;

	r = rd(dev, back, sizeof(back), base);
	result(r == sizeof(back) && !memcmp(back, zero, sizeof(back)),
	       "region 9: read of all 4 KiB: %ld, zeroed at open", r);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	r = wr(dev, buf, sizeof(buf), base);
	result(r == sizeof(buf), "region 9: write of 4 KiB: %ld", r);
	memset(back, 0, sizeof(back));
	r = rd(dev, back, sizeof(back), base);
	result(r == sizeof(back) && !memcmp(buf, back, sizeof(buf)),
	       "region 9: read back what was written (%ld)", r);
	r = wr(dev, "\x5a\xa5\x5a\xa5", 4, base + 100);
	result(r == 4, "region 9: 4-byte write at 100: %ld", r);
	r = rd(dev, back, 8, base + 98);
	result(r == 8 && back[0] == buf[98] && back[1] == buf[99] &&
	       !memcmp(back + 2, "\x5a\xa5\x5a\xa5", 4) &&
	       back[6] == buf[104] && back[7] == buf[105],
	       "region 9: unaligned 8-byte read at 98 sees it");

	/* Past the end: the regops decide (short, then EINVAL). */
	r = wr(dev, "\1\2\3\4\5\6\7\10", 8, base + sizeof(buf) - 4);
	result(r == 4, "region 9: 8-byte write at 4092 is short: %ld", r);
	r = rd(dev, back, 16, base + sizeof(buf) - 2);
	result(r == 2 && back[0] == 3 && back[1] == 4,
	       "region 9: 16-byte read at 4094 is short: %ld", r);
	r = rd(dev, back, 4, base + sizeof(buf));
	result(r == -EINVAL, "region 9: read at 4096 (its size): %ld (-EINVAL)",
	       r);
	r = wr(dev, back, 4, base + 8192);
	result(r == -EINVAL, "region 9: write at 8192: %ld (-EINVAL)", r);

	/* No MMAP flag: mmap is refused. */
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, dev, base);
	result(map == MAP_FAILED && errno == EINVAL,
	       "region 9: mmap refused (EINVAL), it has no MMAP flag");
	if (map != MAP_FAILED)
		munmap(map, 4096);
}

static void check_bar0(int dev)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
	uint32_t v, x = 0x12345678, pair[2];
	unsigned char b;
	void *map;
	long r;

	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		die("VFIO_DEVICE_GET_REGION_INFO(0)");
	result(!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) &&
	       (ri.flags & VFIO_REGION_INFO_FLAG_READ),
	       "BAR 0: readable, no MMAP flag (flags %#x): the ID is virtual",
	       ri.flags);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, dev, ri.offset);
	result(map == MAP_FAILED && errno == EINVAL, "BAR 0: mmap refused (EINVAL)");
	if (map != MAP_FAILED)
		munmap(map, 4096);

	set_memory(dev, true);
	v = 0;
	r = rd(dev, &v, 4, ri.offset);
	result(r == 4 && v == VARIANT_EDU_ID,
	       "BAR 0 offset 0: the virtual ID %#x (read %ld)", v, r);
	b = 0;
	r = rd(dev, &b, 1, ri.offset + 2);
	result(r == 1 && b == ((VARIANT_EDU_ID >> 16) & 0xff),
	       "BAR 0 offset 2, 1 byte: %#x, that byte of the virtual ID", b);

	r = wr(dev, &x, 4, ri.offset + EDU_REG_LIVENESS);
	result(r == 4, "BAR 0 offset 4: liveness write %#x (%ld)", x, r);
	v = 0;
	r = rd(dev, &v, 4, ri.offset + EDU_REG_LIVENESS);
	result(r == 4 && v == ~x, "BAR 0 offset 4: the real edu answers ~x = %#x",
	       v);
	memset(pair, 0, sizeof(pair));
	r = rd(dev, pair, 8, ri.offset);
	result(r == 8 && pair[0] == VARIANT_EDU_ID && pair[1] == ~x,
	       "BAR 0 8-byte read at 0: virtual ID %#x + real liveness %#x",
	       pair[0], pair[1]);

	/* Decode off: the virtual register fails like any BAR access. */
	set_memory(dev, false);
	r = rd(dev, &v, 4, ri.offset);
	result(r == -EIO, "BAR 0 offset 0 with memory decode off: %ld (-EIO)",
	       r);
	r = rd(dev, &v, 4, ri.offset + EDU_REG_LIVENESS);
	result(r == -EIO, "BAR 0 offset 4 with memory decode off: %ld (-EIO)",
	       r);
	set_memory(dev, true);
}

static void check_reset_keeps_region(int dev)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint64_t base = (uint64_t)VARIANT_REGION << 40;
	uint32_t v = 0, mark = 0xc0ffee11;

	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &info))
		die("VFIO_DEVICE_GET_INFO");
	if (!(info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		diag("no FLAGS_RESET: RESET not tried here");
		return;
	}
	wr(dev, &mark, 4, base);
	result(ioctl(dev, VFIO_DEVICE_RESET) == 0, "RESET succeeds");
	rd(dev, &v, 4, base);
	result(v == mark, "region 9 survives a RESET (driver memory)");
	set_memory(dev, true);
	v = 0;
	rd(dev, &v, 4, region_offset(dev, 0));
	result(v == VARIANT_EDU_ID, "BAR 0 offset 0 after RESET: %#x", v);
}

/* The feature ioctl's answer to PROBE (|GET, |SET) as an errno name. */
static const char *feature_probe(int dev, uint32_t feature, uint32_t how)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | how | feature,
	};

	if (!ioctl(dev, VFIO_DEVICE_FEATURE, &f))
		return "0";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	default: return strerror(errno);
	}
}

static void common(int dev)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_irq_info ii;
	unsigned int i;
	int ret;

	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &info))
		die("VFIO_DEVICE_GET_INFO");
	printf("flags %#x\n", info.flags);
	printf("num_irqs %u\n", info.num_irqs);
	for (i = 0; i < info.num_irqs; i++) {
		ii = (struct vfio_irq_info){ .argsz = sizeof(ii), .index = i };
		if (ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii))
			printf("irq%u %s\n", i, strerror(errno));
		else
			printf("irq%u flags %#x count %u\n", i, ii.flags,
			       ii.count);
	}
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
			printf("region%u %s\n", i, strerror(errno));
		else if (i == 0)	/* the variant's BAR 0 is not mmap-able */
			printf("region0 size %#llx\n",
			       (unsigned long long)ri.size);
		else
			printf("region%u size %#llx flags %#x\n", i,
			       (unsigned long long)ri.size, ri.flags);
	}
	ret = ioctl(dev, VFIO_DEVICE_RESET);
	printf("reset %s\n", ret ? strerror(errno) : "0");
	ret = ioctl(dev, VFIO_DEVICE_RESET);
	printf("reset_again %s\n", ret ? strerror(errno) : "0");
	printf("probe_migration %s\n",
	       feature_probe(dev, VFIO_DEVICE_FEATURE_MIGRATION,
			     VFIO_DEVICE_FEATURE_GET));
	printf("probe_mig_state %s\n",
	       feature_probe(dev, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			     VFIO_DEVICE_FEATURE_SET));
	printf("probe_dma_logging %s\n",
	       feature_probe(dev, VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			     VFIO_DEVICE_FEATURE_SET));
	printf("probe_low_power_entry %s\n",
	       feature_probe(dev, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
			     VFIO_DEVICE_FEATURE_SET));
	printf("probe_low_power_exit %s\n",
	       feature_probe(dev, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
			     VFIO_DEVICE_FEATURE_SET));
	printf("probe_vf_token %s\n",
	       feature_probe(dev, VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
			     VFIO_DEVICE_FEATURE_SET));
	printf("probe_low_power_get %s\n",
	       feature_probe(dev, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
			     VFIO_DEVICE_FEATURE_GET));
}

int main(int argc, char **argv)
{
	int dev;

	if (argc != 3 || (strcmp(argv[1], "check") &&
			  strcmp(argv[1], "common"))) {
		fprintf(stderr, "usage: %s check|common BDF\n", argv[0]);
		return 2;
	}
	dev = open_device(argv[2]);
	if (!strcmp(argv[1], "common")) {
		common(dev);
		return 0;
	}
	check_info(dev);
	check_region_info(dev);
	check_region_rw(dev);
	check_bar0(dev);
	check_reset_keeps_region(dev);
	return failures ? 1 : 0;
}
