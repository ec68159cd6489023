// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-platform end to end, on the platform device of
 * vfio_platform_testdev.ko (platform/samples/): two MMIO regions borrowed
 * from the test VM's QEMU VGA BAR0 (one page aligned, one not), an edge
 * and a level interrupt the module raises on demand ("fire" parameter),
 * and a reset function registered with vfio-platform's reset registry
 * (calls counted in "reset_count").
 *
 * x86 platform devices have no IOMMU group, with or without an IOMMU:
 * vfio-platform registers them only in vfio's unsafe noiommu mode
 * (vfio.enable_unsafe_noiommu_mode=1, else the bind fails with EINVAL),
 * as /dev/vfio/noiommu-N in a VFIO_NOIOMMU_IOMMU container. Then:
 * GET_INFO (PLATFORM|RESET), REGION_INFO (MMAP only when page aligned),
 * read/write and mmap round trips, IRQ_INFO (edge: EVENTFD; level:
 * EVENTFD|MASKABLE|AUTOMASKED), edge and level delivery to eventfds with
 * automask and unmask (directly and through an eventfd), RESET through
 * the registered function (also at open and close, and its failure),
 * reset_required (a device without reset function: probe fails with
 * ENOENT unless vfio-platform is loaded with reset_required=0), unbind
 * waiting for the user, and bad input with upstream 6.12's errnos.
 *
 * Then the ACPI identity, on the two devices of the test VM's SSDT
 * (tools/testing/vm/acpi/vfio-test-ssdt.asl): VFIO0001:00 (IO ports, a
 * _RST counting its calls) and VFIO0002:00 (IO ports, no _RST). The IO
 * port region is listed with flags 0 and refuses read/write/mmap
 * (EINVAL), _RST runs once per open, RESET and last close, and without
 * _RST reset_required decides as for the test device. Those cases skip
 * when the VM has no SSDT.
 *
 * Skips where vfio has no noiommu parameter (Debian's in-tree vfio) or
 * the test device cannot load (no vfio-platform, no QEMU VGA). Leaves
 * the parameter as it found it, vfio_platform_testdev unloaded and the
 * ACPI devices unbound with driver_override cleared.
 *
 *   vfio_platform_test          no options
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfio_test_lib.h"
#include "../../../../platform/samples/vfio_platform_testdev_regs.h"

/*
 * tools/testing/vm/run-tests.sh looks for this string: platform devices
 * have no IOMMU group in either VM.
 */
static const char vm_flavour[] __attribute__((used)) =
	"vfio-test-vm: iommu noiommu";

#define PARAM		"/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
#define PDEVS		"/sys/bus/platform/devices/"
#define PDEV		"/sys/bus/platform/devices/" TDEV_NAME
#define DRV		"/sys/bus/platform/drivers/vfio-platform"
#define VFP_RESET_REQ	"/sys/module/vfio_platform/parameters/reset_required"
#define OFFSET_SHIFT	40
#define REGION_OFF(i)	((uint64_t)(i) << OFFSET_SHIFT)

static char param_was[8];

/* ---- module and binding helpers (parent and child) ---- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

static bool bound(void)
{
	return access(PDEV "/driver", F_OK) == 0;
}

/* driver_override + bind: 0 or -errno of the bind write. */
static int bind_vfp(void)
{
	int ret = vt_sysfs_write(PDEV "/driver_override", "vfio-platform");

	if (ret)
		return ret;
	return vt_sysfs_write(DRV "/bind", TDEV_NAME);
}

static void unbind_vfp(void)
{
	if (bound())
		vt_sysfs_write(DRV "/unbind", TDEV_NAME);
}

/* The test device (and vfio-platform with @vfp_args) loaded afresh. */
static int load(const char *tdev_args, const char *vfp_args)
{
	unbind_vfp();
	sh("rmmod vfio_platform_testdev 2>/dev/null; rmmod vfio_platform 2>/dev/null");
	if (sh("modprobe -q vfio_platform %s 2>/dev/null", vfp_args))
		return -1;
	return sh("modprobe -q vfio_platform_testdev %s 2>/dev/null", tdev_args) ?
	       -1 : 0;
}

static void unload(void)
{
	unbind_vfp();
	sh("rmmod vfio_platform_testdev 2>/dev/null");
}

static long resets(void)
{
	return vt_sysfs_read_num(TDEV_PARAMS "reset_count");
}

static void fire(unsigned int irq)
{
	char v[4];

	snprintf(v, sizeof(v), "%u", irq);
	VT_EXPECT_EQ(vt_sysfs_write(TDEV_PARAMS "fire", v), 0);
}

static void param_set(const char *v)
{
	int ret = vt_sysfs_write(PARAM, v);

	if (ret)
		vt_fatal("write %s: %s", PARAM, vt_errname(-ret));
}

/*
 * A container and the noiommu group (/dev/vfio/noiommu-N) of the bound
 * platform device @name, both tracked, the container set to noiommu.
 */
static void open_noiommu_group(const char *name, int *container, int *group)
{
	char path[PATH_MAX], grp[32];
	int ret;

	snprintf(path, sizeof(path), PDEVS "%s/iommu_group", name);
	ret = vt_link_name(path, grp, sizeof(grp));
	if (ret)
		vt_fatal("%s: %s", path, vt_errname(-ret));
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%s", grp);
	*container = vt_open_container();
	*group = open(path, O_RDWR | O_CLOEXEC);
	if (*group < 0)
		vt_fatal("open %s: %s", path, vt_errname(errno));
	vt_track(*group);
	vt_set_container(*group, *container);
	vt_set_iommu(*container, VFIO_NOIOMMU_IOMMU);
}

/* The open files of one user: a group file is exclusive. */
static int s_container = -1, s_group = -1;

/*
 * Container, noiommu group (kept from an earlier call of this test) and
 * a device fd (tracked); -errno of GET_DEVICE_FD.
 */
static int open_dev(int *devp)
{
	int d;

	if (s_group < 0)
		open_noiommu_group(TDEV_NAME, &s_container, &s_group);
	d = ioctl(s_group, VFIO_GROUP_GET_DEVICE_FD, TDEV_NAME);
	if (d < 0)
		return -errno;
	*devp = vt_track(d);
	return 0;
}

static int dev_open(void)
{
	int dev = -1, ret = open_dev(&dev);

	if (ret)
		vt_fatal("VFIO_GROUP_GET_DEVICE_FD(%s): %s", TDEV_NAME,
			 vt_errname(-ret));
	return dev;
}

static void close_all(int dev)
{
	vt_close(dev);
	vt_close(s_group);
	vt_close(s_container);
	s_group = s_container = -1;
}

/* ---- tests ---- */

static void t_bind_needs_noiommu(void)
{
	unbind_vfp();
	param_set("0");
	VT_EXPECT_EQ(bind_vfp(), -EINVAL);
	VT_EXPECT(!bound(), "bound without noiommu mode");
	param_set("1");
	VT_EXPECT_EQ(bind_vfp(), 0);
	VT_EXPECT(bound(), "not bound");
	VT_EXPECT(access(PDEV "/iommu_group", F_OK) == 0, "no iommu_group");
	VT_EXPECT_EQ(vt_sysfs_read_num("/proc/sys/kernel/tainted") & (1 << 6),
		     1 << 6);
}

static void t_device_info(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int dev = dev_open();

	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
	VT_EXPECT_EQ(info.flags, VFIO_DEVICE_FLAGS_PLATFORM |
		     VFIO_DEVICE_FLAGS_RESET);
	VT_EXPECT_EQ(info.num_regions, TDEV_NUM_REGIONS);
	VT_EXPECT_EQ(info.num_irqs, TDEV_NUM_IRQS);
	/* argsz below num_irqs */
	info.argsz = offsetof(struct vfio_device_info, num_irqs);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_INFO, &info), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_INFO, NULL), EFAULT);
}

static void t_region_info(void)
{
	struct vfio_region_info ri;
	int dev = dev_open();

	VT_OK(vt_region_info(dev, TDEV_REGION_MMAP, &ri));
	VT_EXPECT_EQ(ri.offset, REGION_OFF(TDEV_REGION_MMAP));
	VT_EXPECT_EQ(ri.size, TDEV_REGION_MMAP_SIZE);
	VT_EXPECT_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ |
		     VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP);
	VT_OK(vt_region_info(dev, TDEV_REGION_SMALL, &ri));
	VT_EXPECT_EQ(ri.offset, REGION_OFF(TDEV_REGION_SMALL));
	VT_EXPECT_EQ(ri.size, TDEV_REGION_SMALL_SIZE);
	VT_EXPECT_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ |
		     VFIO_REGION_INFO_FLAG_WRITE);
	VT_EXPECT_EQ(vt_region_info(dev, TDEV_NUM_REGIONS, &ri), -EINVAL);
	memset(&ri, 0, sizeof(ri));
	ri.argsz = offsetof(struct vfio_region_info, offset);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
}

static void t_read_write(void)
{
	const uint64_t r0 = REGION_OFF(TDEV_REGION_MMAP);
	const uint64_t r1 = REGION_OFF(TDEV_REGION_SMALL);
	uint8_t buf[64], back[64];
	uint64_t q = 0x0123456789abcdefULL, qb = 0;
	uint32_t l = 0xdeadbeef, lb = 0;
	uint16_t w = 0xa55a, wb = 0;
	uint8_t b = 0x5a, bb = 0;
	void *volatile badp = (void *)8;	/* unmapped */
	unsigned int i;
	int dev = dev_open();

	/* Every width, aligned and not. */
	VT_EXPECT_EQ(pwrite(dev, &q, 8, r0 + 0x100), 8);
	VT_EXPECT_EQ(pread(dev, &qb, 8, r0 + 0x100), 8);
	VT_EXPECT_EQ(qb, q);
	VT_EXPECT_EQ(pwrite(dev, &l, 4, r0 + 0x204), 4);
	VT_EXPECT_EQ(pread(dev, &lb, 4, r0 + 0x204), 4);
	VT_EXPECT_EQ(lb, l);
	VT_EXPECT_EQ(pwrite(dev, &w, 2, r0 + 0x302), 2);
	VT_EXPECT_EQ(pread(dev, &wb, 2, r0 + 0x302), 2);
	VT_EXPECT_EQ(wb, w);
	VT_EXPECT_EQ(pwrite(dev, &b, 1, r0 + 0x401), 1);
	VT_EXPECT_EQ(pread(dev, &bb, 1, r0 + 0x401), 1);
	VT_EXPECT_EQ(bb, b);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	VT_EXPECT_EQ(pwrite(dev, buf, sizeof(buf), r0 + 0x1003), sizeof(buf));
	memset(back, 0, sizeof(back));
	VT_EXPECT_EQ(pread(dev, back, sizeof(back), r0 + 0x1003), sizeof(back));
	VT_EXPECT(!memcmp(buf, back, sizeof(buf)), "unaligned round trip");
	/* The small region, through its own offset; truncated at its end. */
	VT_EXPECT_EQ(pwrite(dev, buf, sizeof(buf), r1), sizeof(buf));
	memset(back, 0, sizeof(back));
	VT_EXPECT_EQ(pread(dev, back, sizeof(back), r1), sizeof(back));
	VT_EXPECT(!memcmp(buf, back, sizeof(buf)), "small region round trip");
	VT_EXPECT_EQ(pread(dev, back, sizeof(back),
			   r1 + TDEV_REGION_SMALL_SIZE - 8), 8);
	VT_EXPECT_EQ(pwrite(dev, buf, sizeof(buf),
			    r0 + TDEV_REGION_MMAP_SIZE - 4), 4);
	/* Past the end, no such region. */
	VT_ERRNO(pread(dev, back, 4, r0 + TDEV_REGION_MMAP_SIZE), EINVAL);
	VT_ERRNO(pwrite(dev, buf, 4, r1 + TDEV_REGION_SMALL_SIZE), EINVAL);
	VT_ERRNO(pread(dev, back, 4, REGION_OFF(TDEV_NUM_REGIONS)), EINVAL);
	VT_ERRNO(pwrite(dev, buf, 4, REGION_OFF(TDEV_NUM_REGIONS)), EINVAL);
	VT_ERRNO(pread(dev, badp, 4, r0), EFAULT);
}

static void t_mmap(void)
{
	const uint64_t r0 = REGION_OFF(TDEV_REGION_MMAP);
	const size_t sz = TDEV_REGION_MMAP_SIZE;
	volatile uint32_t *p;
	uint32_t v = 0;
	void *m;
	int dev = dev_open();

	m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, dev, r0);
	VT_ASSERT(m != MAP_FAILED, "mmap: %s", vt_errname(errno));
	p = m;
	p[0x10] = 0xc0ffee11;
	VT_EXPECT_EQ(pread(dev, &v, 4, r0 + 0x40), 4);
	VT_EXPECT_EQ(v, 0xc0ffee11);
	v = 0x600dcafe;
	VT_EXPECT_EQ(pwrite(dev, &v, 4, r0 + VT_PAGE + 0x80), 4);
	VT_EXPECT_EQ(p[(VT_PAGE + 0x80) / 4], 0x600dcafe);
	munmap(m, sz);

	/* The second page alone, through its offset. */
	m = mmap(NULL, VT_PAGE, PROT_READ, MAP_SHARED, dev, r0 + VT_PAGE);
	VT_ASSERT(m != MAP_FAILED, "mmap page 1: %s", vt_errname(errno));
	VT_EXPECT_EQ(((volatile uint32_t *)m)[0x80 / 4], 0x600dcafe);
	munmap(m, VT_PAGE);

	VT_EXPECT(mmap(NULL, sz, PROT_READ, MAP_PRIVATE, dev, r0) == MAP_FAILED &&
		  errno == EINVAL, "MAP_PRIVATE: %s", vt_errname(errno));
	VT_EXPECT(mmap(NULL, sz + VT_PAGE, PROT_READ, MAP_SHARED, dev, r0) ==
		  MAP_FAILED && errno == EINVAL, "past the end: %s",
		  vt_errname(errno));
	VT_EXPECT(mmap(NULL, VT_PAGE, PROT_READ, MAP_SHARED, dev,
		       REGION_OFF(TDEV_REGION_SMALL)) == MAP_FAILED &&
		  errno == EINVAL, "unaligned region: %s", vt_errname(errno));
	VT_EXPECT(mmap(NULL, VT_PAGE, PROT_READ, MAP_SHARED, dev,
		       REGION_OFF(TDEV_NUM_REGIONS)) == MAP_FAILED &&
		  errno == EINVAL, "no region: %s", vt_errname(errno));
}

static void t_irq_info(void)
{
	struct vfio_irq_info ii;
	char line[256];
	FILE *f;
	int dev = dev_open(), seen = 0;

	VT_OK(vt_irq_info(dev, TDEV_IRQ_EDGE, &ii));
	VT_EXPECT_EQ(ii.flags, VFIO_IRQ_INFO_EVENTFD);
	VT_EXPECT_EQ(ii.count, 1);
	VT_OK(vt_irq_info(dev, TDEV_IRQ_LEVEL, &ii));
	VT_EXPECT_EQ(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
		     VFIO_IRQ_INFO_AUTOMASKED);
	VT_EXPECT_EQ(ii.count, 1);
	VT_EXPECT_EQ(vt_irq_info(dev, TDEV_NUM_IRQS, &ii), -EINVAL);
	/* Requested while open, under upstream's name. */
	f = fopen("/proc/interrupts", "r");
	VT_ASSERT(f, "/proc/interrupts");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "(" TDEV_NAME ")") && strstr(line, "vfio-irq["))
			seen++;
	fclose(f);
	VT_EXPECT_EQ(seen, TDEV_NUM_IRQS);
}

static void t_irq_edge(void)
{
	int dev = dev_open(), e1 = vt_eventfd(), e2 = vt_eventfd();
	uint8_t on = 1, off = 0;

	VT_OK(vt_set_irqs_fd(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_TRIGGER, e1));
	fire(TDEV_IRQ_EDGE);
	fire(TDEV_IRQ_EDGE);
	VT_EXPECT_EQ(vt_wait_eventfd(e1, 1000), 2);
	/* Loopback triggers. */
	VT_OK(vt_set_irqs_none(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	VT_EXPECT_EQ(vt_wait_eventfd(e1, 1000), 1);
	VT_OK(vt_set_irqs(dev, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
			  TDEV_IRQ_EDGE, 0, 1, &off, 1));
	VT_EXPECT_EQ(vt_wait_eventfd(e1, 20), 0);
	VT_OK(vt_set_irqs(dev, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
			  TDEV_IRQ_EDGE, 0, 1, &on, 1));
	VT_EXPECT_EQ(vt_wait_eventfd(e1, 1000), 1);
	/* An edge interrupt is not maskable. */
	VT_EXPECT_EQ(vt_set_irqs_none(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_MASK,
				      0, 1), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_UNMASK,
				    e2), -EINVAL);
	/* A new trigger replaces the old one. */
	VT_OK(vt_set_irqs_fd(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_TRIGGER, e2));
	fire(TDEV_IRQ_EDGE);
	VT_EXPECT_EQ(vt_wait_eventfd(e2, 1000), 1);
	VT_EXPECT_EQ(vt_wait_eventfd(e1, 20), 0);
	/* A bad fd leaves the trigger in place. */
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_TRIGGER,
				    dev), -EINVAL);
	fire(TDEV_IRQ_EDGE);
	VT_EXPECT_EQ(vt_wait_eventfd(e2, 1000), 1);
	/* Off: count 0, DATA_NONE (no firing while off: edges stay pending). */
	VT_OK(vt_set_irqs_none(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	VT_OK(vt_set_irqs_fd(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_TRIGGER, -1));
}

static void t_irq_level(void)
{
	int dev = dev_open(), e = vt_eventfd(), u = vt_eventfd();
	uint64_t one = 1;

	VT_OK(vt_set_irqs_fd(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_TRIGGER, e));
	fire(TDEV_IRQ_LEVEL);
	VT_EXPECT_EQ(vt_wait_eventfd(e, 1000), 1);
	/* Automasked: nothing more until unmasked. */
	fire(TDEV_IRQ_LEVEL);
	VT_EXPECT_EQ(vt_wait_eventfd(e, 20), 0);
	VT_OK(vt_set_irqs_none(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	fire(TDEV_IRQ_LEVEL);
	VT_EXPECT_EQ(vt_wait_eventfd(e, 1000), 1);
	/* Unmask through an eventfd (virqfd). */
	VT_OK(vt_set_irqs_fd(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_UNMASK, u));
	fire(TDEV_IRQ_LEVEL);
	VT_EXPECT_EQ(vt_wait_eventfd(e, 20), 0);
	VT_EXPECT_EQ(write(u, &one, sizeof(one)), sizeof(one));
	fire(TDEV_IRQ_LEVEL);
	VT_EXPECT_EQ(vt_wait_eventfd(e, 1000), 1);
	VT_EXPECT_EQ(write(u, &one, sizeof(one)), sizeof(one));
	/* A second unmask eventfd while one is set. */
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_UNMASK,
				    e), -EBUSY);
	VT_OK(vt_set_irqs_fd(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_UNMASK, -1));
	/* Explicit mask, then unmask. */
	VT_OK(vt_set_irqs_none(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	fire(TDEV_IRQ_LEVEL);
	VT_EXPECT_EQ(vt_wait_eventfd(e, 20), 0);
	VT_OK(vt_set_irqs_none(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	fire(TDEV_IRQ_LEVEL);
	VT_EXPECT_EQ(vt_wait_eventfd(e, 1000), 1);
	/* Masked again (automask) when the device closes: that must work. */
}

static void t_reset(void)
{
	long before = resets();
	int dev = dev_open();

	VT_EXPECT_EQ(resets(), before + 1);		/* open resets */
	VT_OK(ioctl(dev, VFIO_DEVICE_RESET));
	VT_EXPECT_EQ(resets(), before + 2);
	VT_EXPECT_EQ(vt_sysfs_write(TDEV_PARAMS "reset_fail", "1"), 0);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_RESET), EIO);
	VT_EXPECT_EQ(vt_sysfs_write(TDEV_PARAMS "reset_fail", "0"), 0);
	VT_OK(ioctl(dev, VFIO_DEVICE_RESET));
	VT_EXPECT_EQ(resets(), before + 3);
	vt_close(dev);
	VT_EXPECT_EQ(resets(), before + 4);		/* last close resets */

	/* reset_required: a failing reset makes the open fail. */
	VT_EXPECT_EQ(vt_sysfs_write(TDEV_PARAMS "reset_fail", "1"), 0);
	VT_EXPECT_EQ(open_dev(&dev), -EIO);
	VT_EXPECT_EQ(vt_sysfs_write(TDEV_PARAMS "reset_fail", "0"), 0);
}

static void t_bad_input(void)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	int dev = dev_open(), e = vt_eventfd();
	uint32_t bad = 0;

	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &bad), ENOTTY);
	VT_ERRNO(ioctl(dev, _IO(VFIO_TYPE, VFIO_BASE + 99)), ENOTTY);
	ii.argsz = offsetof(struct vfio_irq_info, count);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	/* SET_IRQS: index, range, flags, argsz, action. */
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, TDEV_NUM_IRQS, VFIO_IRQ_SET_ACTION_TRIGGER,
				    e), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER, TDEV_IRQ_EDGE, 1, 1,
				 &e, 4), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_DATA_BOOL |
				 VFIO_IRQ_SET_ACTION_TRIGGER, TDEV_IRQ_EDGE, 0, 1,
				 &e, 4), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | (1u << 31),
				 TDEV_IRQ_EDGE, 0, 1, NULL, 0), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs_argsz(dev, sizeof(struct vfio_irq_set) + 2,
				       VFIO_IRQ_SET_DATA_EVENTFD |
				       VFIO_IRQ_SET_ACTION_TRIGGER,
				       TDEV_IRQ_EDGE, 0, 1, &e, 4), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, VFIO_IRQ_SET_DATA_NONE |
				 VFIO_IRQ_SET_ACTION_MASK |
				 VFIO_IRQ_SET_ACTION_UNMASK,
				 TDEV_IRQ_LEVEL, 0, 1, NULL, 0), -ENOTTY);
	VT_EXPECT_EQ(vt_set_irqs_none(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_MASK,
				      1, 1), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, TDEV_IRQ_LEVEL, VFIO_IRQ_SET_ACTION_TRIGGER,
				    1000000), -EBADF);
	/* Nothing of that changed the interrupt: still works. */
	VT_OK(vt_set_irqs_fd(dev, TDEV_IRQ_EDGE, VFIO_IRQ_SET_ACTION_TRIGGER, e));
	fire(TDEV_IRQ_EDGE);
	VT_EXPECT_EQ(vt_wait_eventfd(e, 1000), 1);
}

static void t_unbind_waits(void)
{
	struct timespec t0, t1;
	int dev = dev_open(), st = 0;
	pid_t pid;
	double s;

	pid = fork();
	VT_ASSERT(pid >= 0, "fork");
	if (!pid) {
		/* Our copy of the device fd would hold the unbind too. */
		closefrom(3);
		_exit(vt_sysfs_write(DRV "/unbind", TDEV_NAME) ? 1 : 0);
	}
	usleep(300 * 1000);
	/* (The driver link is gone already: sysfs goes before remove().) */
	VT_EXPECT_EQ(waitpid(pid, &st, WNOHANG), 0);
	/* No new device fd while it goes away. */
	VT_ERRNO(ioctl(s_group, VFIO_GROUP_GET_DEVICE_FD, TDEV_NAME), ENODEV);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The group and container alone do not hold the device. */
	vt_close(dev);
	VT_EXPECT_EQ(waitpid(pid, &st, 0), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	VT_EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unbind failed");
	VT_EXPECT(s < 5, "unbind took %.1f s after the close", s);
	VT_EXPECT(!bound(), "still bound");
	VT_EXPECT_EQ(bind_vfp(), 0);
}

/* Reloads vfio-platform: without a reset function, reset_required decides. */
static void t_reset_required(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char buf[8] = "";
	int dev;

	VT_ASSERT(load("no_reset=1", "") == 0, "modprobe");
	VT_EXPECT_EQ(bind_vfp(), -ENOENT);
	VT_EXPECT(!bound(), "bound without reset function");

	VT_ASSERT(load("no_reset=1", "reset_required=0") == 0,
		  "modprobe reset_required=0");
	VT_EXPECT(vt_sysfs_read(VFP_RESET_REQ, buf, sizeof(buf)) >= 0 &&
		  buf[0] == 'N', "reset_required: %s", buf);
	VT_EXPECT_EQ(bind_vfp(), 0);
	dev = dev_open();
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
	VT_EXPECT_EQ(info.flags, VFIO_DEVICE_FLAGS_PLATFORM);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_RESET), EINVAL);
	VT_EXPECT_EQ(resets(), 0);
	close_all(dev);
	unload();
	/* Back to the defaults for whoever comes next. */
	VT_ASSERT(load("", "") == 0, "modprobe");
	VT_EXPECT_EQ(bind_vfp(), 0);
}

/*
 * ---- ACPI devices (the test VM's SSDT, tools/testing/vm/acpi/) ----
 *
 * VFIO0001:00 has one IO port range and a _RST that counts its calls
 * (read back through _HRV: the "hrv" attribute evaluates it on each
 * read); VFIO0002:00 has an IO port range and no _RST. No driver claims
 * either: each test binds what it uses and gives it back (release_acpi).
 */
#define ACPI_RST	"VFIO0001:00"
#define ACPI_NORST	"VFIO0002:00"
#define ACPI_RST_PORTS	0x10		/* the SSDT's _CRS sizes */
#define ACPI_NORST_PORTS 0x8
#define ACPI_RST_COUNT	"/sys/bus/acpi/devices/" ACPI_RST "/hrv"

static void need_acpi(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PDEVS "%s", name);
	if (access(path, F_OK))
		vt_skip("no platform device %s: the VM runs without the test SSDT (vm.sh builds it with iasl, Debian package acpica-tools)",
			name);
}

/* The driver bound to platform device @name: 0, or -ENOENT if none. */
static int acpi_driver(const char *name, char *drv, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PDEVS "%s/driver", name);
	return vt_link_name(path, drv, len);
}

static int bind_acpi(const char *name)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), PDEVS "%s/driver_override", name);
	ret = vt_sysfs_write(path, "vfio-platform");
	if (ret)
		return ret;
	return vt_sysfs_write(DRV "/bind", name);
}

/* Unbound from vfio-platform, driver_override cleared (as at boot). */
static void release_acpi(const char *name)
{
	char path[PATH_MAX], drv[64];

	snprintf(path, sizeof(path), PDEVS "%s", name);
	if (access(path, F_OK))
		return;
	if (!acpi_driver(name, drv, sizeof(drv)) && !strcmp(drv, "vfio-platform"))
		vt_sysfs_write(DRV "/unbind", name);
	snprintf(path, sizeof(path), PDEVS "%s/driver_override", name);
	vt_sysfs_write(path, "\n");
}

static int a_container = -1, a_group = -1;

/* Own container and noiommu group of @name (bound), then its device fd. */
static int open_acpi(const char *name)
{
	int dev;

	open_noiommu_group(name, &a_container, &a_group);
	dev = ioctl(a_group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (dev < 0)
		vt_fatal("VFIO_GROUP_GET_DEVICE_FD(%s): %s", name,
			 vt_errname(errno));
	return vt_track(dev);
}

static void close_acpi(int dev)
{
	vt_close(dev);
	vt_close(a_group);
	vt_close(a_container);
	a_group = a_container = -1;
}

static long acpi_resets(void)
{
	return vt_sysfs_read_num(ACPI_RST_COUNT);
}

/* Nothing claims the SSDT's devices; vfio-platform takes them on request. */
static void t_acpi_bind(void)
{
	char drv[64];

	need_acpi(ACPI_RST);
	need_acpi(ACPI_NORST);
	VT_EXPECT_EQ(acpi_driver(ACPI_RST, drv, sizeof(drv)), -ENOENT);
	VT_EXPECT_EQ(acpi_driver(ACPI_NORST, drv, sizeof(drv)), -ENOENT);
	VT_EXPECT(acpi_resets() >= 0, "no %s", ACPI_RST_COUNT);
	VT_EXPECT_EQ(bind_acpi(ACPI_RST), 0);
	VT_EXPECT(!acpi_driver(ACPI_RST, drv, sizeof(drv)) &&
		  !strcmp(drv, "vfio-platform"), "%s not bound", ACPI_RST);
	VT_EXPECT(access(PDEVS ACPI_RST "/iommu_group", F_OK) == 0,
		  "no iommu_group");
	release_acpi(ACPI_RST);
	VT_EXPECT_EQ(acpi_driver(ACPI_RST, drv, sizeof(drv)), -ENOENT);
	VT_EXPECT(vt_sysfs_read(PDEVS ACPI_RST "/driver_override", drv,
				sizeof(drv)) >= 0 && !strncmp(drv, "(null)", 6),
		  "driver_override left: %s", drv);
}

/* GET_INFO and the IO port region: listed, no access (as upstream). */
static void t_acpi_pio_region(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	const uint64_t r0 = REGION_OFF(0);
	struct vfio_region_info ri;
	uint8_t buf[4] = { 0 };
	int dev;

	need_acpi(ACPI_RST);
	VT_ASSERT(bind_acpi(ACPI_RST) == 0, "bind %s", ACPI_RST);
	dev = open_acpi(ACPI_RST);
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
	VT_EXPECT_EQ(info.flags, VFIO_DEVICE_FLAGS_PLATFORM |
		     VFIO_DEVICE_FLAGS_RESET);
	VT_EXPECT_EQ(info.num_regions, 1);
	VT_EXPECT_EQ(info.num_irqs, 0);
	VT_OK(vt_region_info(dev, 0, &ri));
	VT_EXPECT_EQ(ri.offset, r0);
	VT_EXPECT_EQ(ri.size, ACPI_RST_PORTS);
	VT_EXPECT_EQ(ri.flags, 0);
	VT_EXPECT_EQ(vt_region_info(dev, 1, &ri), -EINVAL);
	VT_ERRNO(pread(dev, buf, 1, r0), EINVAL);
	VT_ERRNO(pread(dev, buf, 4, r0), EINVAL);
	VT_ERRNO(pwrite(dev, buf, 1, r0), EINVAL);
	VT_ERRNO(pwrite(dev, buf, 4, r0 + 4), EINVAL);
	VT_EXPECT(mmap(NULL, VT_PAGE, PROT_READ, MAP_SHARED, dev, r0) ==
		  MAP_FAILED && errno == EINVAL, "mmap PIO: %s",
		  vt_errname(errno));
	VT_EXPECT(mmap(NULL, VT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		       r0) == MAP_FAILED && errno == EINVAL,
		  "mmap PIO rw: %s", vt_errname(errno));
	VT_EXPECT(mmap(NULL, VT_PAGE, PROT_READ, MAP_SHARED, dev,
		       REGION_OFF(1)) == MAP_FAILED && errno == EINVAL,
		  "mmap no region: %s", vt_errname(errno));
	close_acpi(dev);
}

/* _RST runs once per open, VFIO_DEVICE_RESET and last close. */
static void t_acpi_reset(void)
{
	long before;
	int dev, i;

	need_acpi(ACPI_RST);
	VT_ASSERT(bind_acpi(ACPI_RST) == 0, "bind %s", ACPI_RST);
	before = acpi_resets();
	VT_ASSERT(before >= 0, "%s: %s", ACPI_RST_COUNT, vt_errname(-before));
	dev = open_acpi(ACPI_RST);
	VT_EXPECT_EQ(acpi_resets(), before + 1);	/* open resets */
	for (i = 1; i <= 3; i++) {
		VT_OK(ioctl(dev, VFIO_DEVICE_RESET));
		VT_EXPECT_EQ(acpi_resets(), before + 1 + i);
	}
	close_acpi(dev);
	VT_EXPECT_EQ(acpi_resets(), before + 5);	/* last close resets */
}

/*
 * No _RST: reset_required=1 refuses the device (probe ENOENT, as
 * upstream's vfio_platform_get_reset); reset_required=0 takes it without
 * RESET, and VFIO_DEVICE_RESET fails with EINVAL (_RST not found).
 * Reloads vfio-platform, so the test device is reloaded with it.
 */
static void t_acpi_no_rst(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri;
	char drv[64];
	long before;
	int dev;

	need_acpi(ACPI_NORST);
	VT_EXPECT_EQ(bind_acpi(ACPI_NORST), -ENOENT);
	VT_EXPECT_EQ(acpi_driver(ACPI_NORST, drv, sizeof(drv)), -ENOENT);
	release_acpi(ACPI_NORST);

	VT_ASSERT(load("", "reset_required=0") == 0, "modprobe reset_required=0");
	VT_EXPECT_EQ(bind_acpi(ACPI_NORST), 0);
	dev = open_acpi(ACPI_NORST);
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
	VT_EXPECT_EQ(info.flags, VFIO_DEVICE_FLAGS_PLATFORM);
	VT_EXPECT_EQ(info.num_regions, 1);
	VT_EXPECT_EQ(info.num_irqs, 0);
	VT_OK(vt_region_info(dev, 0, &ri));
	VT_EXPECT_EQ(ri.size, ACPI_NORST_PORTS);
	VT_EXPECT_EQ(ri.flags, 0);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_RESET), EINVAL);
	close_acpi(dev);
	release_acpi(ACPI_NORST);

	/* With _RST the device keeps RESET under reset_required=0 too. */
	if (!access(PDEVS ACPI_RST, F_OK)) {
		before = acpi_resets();
		VT_EXPECT_EQ(bind_acpi(ACPI_RST), 0);
		dev = open_acpi(ACPI_RST);
		VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
		VT_EXPECT_EQ(info.flags, VFIO_DEVICE_FLAGS_PLATFORM |
			     VFIO_DEVICE_FLAGS_RESET);
		VT_OK(ioctl(dev, VFIO_DEVICE_RESET));
		close_acpi(dev);
		VT_EXPECT_EQ(acpi_resets(), before + 3);
		release_acpi(ACPI_RST);
	}

	/* Back to the defaults for whoever comes next. */
	VT_ASSERT(load("", "") == 0, "modprobe");
	VT_EXPECT_EQ(bind_vfp(), 0);
}

static const struct vt_test tests[] = {
	{ "bind_needs_noiommu", t_bind_needs_noiommu, 0 },
	{ "device_info", t_device_info, 0 },
	{ "region_info", t_region_info, 0 },
	{ "read_write", t_read_write, 0 },
	{ "mmap", t_mmap, 0 },
	{ "irq_info", t_irq_info, 0 },
	{ "irq_edge", t_irq_edge, 0 },
	{ "irq_level", t_irq_level, 0 },
	{ "reset", t_reset, 0 },
	{ "bad_input", t_bad_input, 0 },
	{ "unbind_waits", t_unbind_waits, 30 },
	{ "reset_required", t_reset_required, 0 },
	{ "acpi_bind", t_acpi_bind, 0 },
	{ "acpi_pio_region", t_acpi_pio_region, 0 },
	{ "acpi_reset", t_acpi_reset, 0 },
	{ "acpi_no_rst", t_acpi_no_rst, 0 },
};

/* After every test: noiommu on, the device bound, resets working. */
static void after_each(void)
{
	vt_sysfs_write(PARAM, "1");
	vt_sysfs_write(TDEV_PARAMS "reset_fail", "0");
	release_acpi(ACPI_RST);
	release_acpi(ACPI_NORST);
	if (!bound())
		bind_vfp();
}

int main(int argc, char **argv)
{
	(void)argv;
	vt_tap_header();
	if (argc > 1)
		vt_bail("usage: vfio_platform_test (no options, no devices)");
	if (vt_sysfs_read(PARAM, param_was, sizeof(param_was)) < 0) {
		printf("1..0 # SKIP no %s (vfio built without noiommu)\n", PARAM);
		return 4;
	}
	if (load("", "")) {
		printf("1..0 # SKIP vfio_platform_testdev does not load (no vfio-platform or no QEMU VGA)\n");
		return 4;
	}
	vt_sysfs_write(PARAM, "1");
	vt_diag("expect-dmesg: (" TDEV_NAME "|" ACPI_RST "|" ACPI_NORST "): (Adding kernel taint for vfio-noiommu group on device|vfio-noiommu device opened by user|No reset function found for device|reset required but failed at open)");
	vt_plan(ARRAY_SIZE(tests));
	if (bind_vfp())
		vt_diag("bind: %s", strerror(errno));
	vt_run_tests("platform", tests, ARRAY_SIZE(tests), after_each);
	unload();
	sh("rmmod vfio_platform 2>/dev/null");
	vt_sysfs_write(PARAM, param_was[0] == 'Y' || param_was[0] == '1' ? "1" : "0");
	return vt_exit_code();
}
