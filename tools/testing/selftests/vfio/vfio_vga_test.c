// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VGA region (VFIO_PCI_VGA_REGION_INDEX) of a VGA-class device bound
 * to vfio-pci: the test VM's standard VGA ($VFIO_VGA0, 1234:1111 on the
 * root bus) or "-d BDF". The region is the legacy ranges at their ISA
 * addresses: memory 0xa0000-0xbffff, I/O ports 0x3b0-0x3bb and
 * 0x3c0-0x3df; anything else is EINVAL, an access running past the end
 * of a range is cut short there (upstream 6.12's vfio_pci_vga_rw).
 *
 * vfio-pci's disable_vga parameter (read at load) removes the region:
 * with it set (tests/vga_test.sh reloads vfio-pci so) only the
 * "disabled" case runs and the others skip, and the other way round.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define VGA_MEM		0xa0000ULL
#define VGA_END		0xc0000ULL	/* region size */
#define VGA_MISC_R	0x3cc		/* miscellaneous output, read */
#define VGA_SEQ_I	0x3c4		/* sequencer index */
#define VGA_SEQ_D	0x3c5		/* sequencer data */
#define VGA_SEQ_MAP	0x02		/* map mask: 4 bits, harmless */
#define PARAM		"/sys/module/vfio_pci/parameters/disable_vga"

static const struct vt_dev *vga;

static bool vga_disabled(void)
{
	char v[8] = "";

	vt_sysfs_read(PARAM, v, sizeof(v));
	return v[0] == 'Y' || v[0] == '1';
}

/* Device fd of the VGA, in a type1 session; @off: the region's offset. */
static int open_vga(uint64_t *off)
{
	struct vt_session s;

	vt_session_open(&s, vga, VFIO_TYPE1v2_IOMMU, true);
	if (off)
		*off = vt_region_offset(s.device, VFIO_PCI_VGA_REGION_INDEX);
	return s.device;
}

static void need_enabled(void)
{
	if (vga_disabled())
		vt_skip("vfio-pci loaded with disable_vga=1");
}

static void t_info(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	int dev;

	need_enabled();
	dev = open_vga(NULL);
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	VT_EXPECT(di.flags & VFIO_DEVICE_FLAGS_PCI, "flags 0x%x", di.flags);
	VT_EXPECT(di.num_regions > VFIO_PCI_VGA_REGION_INDEX,
		  "num_regions %u", di.num_regions);
	VT_OK(vt_region_info(dev, VFIO_PCI_VGA_REGION_INDEX, &ri));
	VT_EXPECT_EQ(ri.index, VFIO_PCI_VGA_REGION_INDEX);
	VT_EXPECT_EQ(ri.size, VGA_END);
	VT_EXPECT_EQ(ri.flags,
		     VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	VT_EXPECT(!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP), "mmap flag");
	/* not mappable */
	VT_EXPECT(mmap(NULL, VT_PAGE, PROT_READ, MAP_SHARED, dev,
		       ri.offset + VGA_MEM) == MAP_FAILED, "mmap worked");
}

static void t_reads(void)
{
	static const uint64_t at[] = { VGA_MEM, VGA_MISC_R, 0x3b0, 0x3c0 };
	static const size_t width[] = { 1, 2, 4, 8 };
	uint8_t buf[8];
	uint64_t off;
	size_t i, w;
	int dev;

	need_enabled();
	dev = open_vga(&off);
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		for (w = 0; w < ARRAY_SIZE(width); w++) {
			ssize_t n = pread(dev, buf, width[w], off + at[i]);

			VT_EXPECT(n == (ssize_t)width[w],
				  "read %zu at 0x%llx: %zd (%s)", width[w],
				  (unsigned long long)at[i], n,
				  n < 0 ? vt_errname(errno) : "short");
		}
	}
	/* the last bytes of the memory window */
	VT_EXPECT(pread(dev, buf, 4, off + VGA_END - 4) == 4, "end of memory");
	VT_EXPECT(pread(dev, buf, 1, off + 0x3df) == 1, "port 0x3df");
	VT_EXPECT(pread(dev, buf, 1, off + 0x3bb) == 1, "port 0x3bb");
}

static uint8_t rd8(int dev, uint64_t at)
{
	uint8_t v = 0xff;

	VT_EXPECT(pread(dev, &v, 1, at) == 1, "read 0x%llx: %s",
		  (unsigned long long)at, vt_errname(errno));
	return v;
}

static void wr8(int dev, uint64_t at, uint8_t v)
{
	VT_EXPECT(pwrite(dev, &v, 1, at) == 1, "write 0x%llx: %s",
		  (unsigned long long)at, vt_errname(errno));
}

/* Sequencer index and map mask: written, read back, restored. */
static void t_write_read_back(void)
{
	uint8_t index, mask, pair[2];
	uint64_t off;
	int dev;

	need_enabled();
	dev = open_vga(&off);
	index = rd8(dev, off + VGA_SEQ_I);
	wr8(dev, off + VGA_SEQ_I, VGA_SEQ_MAP);
	VT_EXPECT_EQ(rd8(dev, off + VGA_SEQ_I), VGA_SEQ_MAP);
	mask = rd8(dev, off + VGA_SEQ_D);
	wr8(dev, off + VGA_SEQ_D, mask ^ 0x05);
	VT_EXPECT_EQ(rd8(dev, off + VGA_SEQ_D) & 0x0f, (mask ^ 0x05) & 0x0f);
	/* index and data in one 2-byte access */
	pair[0] = VGA_SEQ_MAP;
	pair[1] = mask;
	VT_EXPECT(pwrite(dev, pair, 2, off + VGA_SEQ_I) == 2, "write 2: %s",
		  vt_errname(errno));
	VT_EXPECT_EQ(rd8(dev, off + VGA_SEQ_D), mask);
	wr8(dev, off + VGA_SEQ_I, index);
}

static void t_bad_offsets(void)
{
	static const uint64_t at[] = {
		0x0, 0x3af, 0x3bc, 0x3bf, 0x3e0, 0x9ffff, VGA_END,
		VGA_END + 0x1000,
	};
	uint8_t buf[4] = { 0 };
	uint64_t off;
	size_t i;
	int dev;

	need_enabled();
	dev = open_vga(&off);
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		VT_ERRNO(pread(dev, buf, 1, off + at[i]), EINVAL);
		VT_ERRNO(pwrite(dev, buf, 1, off + at[i]), EINVAL);
	}
	/* a read starting before a window is not moved into it */
	VT_ERRNO(pread(dev, buf, 4, off + 0x3be), EINVAL);
	VT_ERRNO(pread(dev, buf, 4, off + 0x3ae), EINVAL);
}

/* Accesses running past the end of a window stop there: short counts. */
static void t_crossing(void)
{
	uint8_t buf[16];
	uint64_t off;
	int dev;

	need_enabled();
	dev = open_vga(&off);
	VT_EXPECT_EQ(pread(dev, buf, 4, off + 0x3de), 2);
	VT_EXPECT_EQ(pread(dev, buf, 8, off + 0x3ba), 2);
	VT_EXPECT_EQ(pread(dev, buf, 16, off + VGA_END - 3), 3);
	VT_EXPECT_EQ(pread(dev, buf, 16, off + 0x3d8), 8);
}

/* disable_vga=1: no region, reads and writes EINVAL. */
static void t_disabled(void)
{
	struct vfio_region_info ri;
	uint8_t v = 0;
	uint64_t off;
	int dev;

	if (!vga_disabled())
		vt_skip("vfio-pci loaded without disable_vga=1 (tests/vga_test.sh sets it)");
	dev = open_vga(NULL);
	VT_EXPECT_EQ(vt_region_info(dev, VFIO_PCI_VGA_REGION_INDEX, &ri),
		     -EINVAL);
	/* the offset the region would have: index << 40 */
	off = (uint64_t)VFIO_PCI_VGA_REGION_INDEX << 40;
	VT_ERRNO(pread(dev, &v, 1, off + VGA_MISC_R), EINVAL);
	VT_ERRNO(pwrite(dev, &v, 1, off + VGA_SEQ_I), EINVAL);
	VT_ERRNO(pread(dev, &v, 1, off + VGA_MEM), EINVAL);
}

/* boot_vga stays readable with the device on vfio-pci. */
static void t_boot_vga(void)
{
	char path[128], v[8];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/boot_vga",
		 vga->bdf);
	VT_EXPECT(vt_sysfs_read(path, v, sizeof(v)) >= 0, "read %s", path);
	vt_diag("boot_vga %s", v);
}

static const struct vt_test tests[] = {
	{ .name = "info", .fn = t_info },
	{ .name = "reads", .fn = t_reads },
	{ .name = "write_read_back", .fn = t_write_read_back },
	{ .name = "bad_offsets", .fn = t_bad_offsets },
	{ .name = "crossing", .fn = t_crossing },
	{ .name = "disabled", .fn = t_disabled },
	{ .name = "boot_vga", .fn = t_boot_vga },
};

static void setup(void)
{
	vga = &vt_devs[0];
	if ((vga->class >> 8) != 0x0300)
		vt_bail("%s: class 0x%06x is not a VGA controller", vga->bdf,
			vga->class);
	vt_diag("disable_vga %s", vga_disabled() ? "Y" : "N");
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "vga", VT_TESTS(tests),
		.devs = VT_DEVS_ANY, .min_devs = 1,
		.setup = setup,
	};
	const char *bdf = getenv("VFIO_VGA0");
	char *args[] = { argv[0], "-d", (char *)bdf, NULL };

	if (argc > 1)
		return vt_main(argc, argv, &suite);
	if (!bdf || !*bdf) {
		vt_tap_header();
		printf("1..0 # SKIP no VGA device: set VFIO_VGA0 or use -d\n");
		return 4;
	}
	return vt_main(3, args, &suite);
}
