// SPDX-License-Identifier: GPL-2.0-only
/*
 * A dev_set of two: functions .0 and .1 of one slot (the test VM's
 * multi-function edu, $VFIO_MF0/$VFIO_MF1, or "-d BDF0 -d BDF1"). edu
 * has no ACS, so both sit in one IOMMU group; neither has a function
 * reset of its own (a bus reset would hit the other function), so every
 * reset of either is a reset of the slot: pci_reset_bus(), counted with
 * a kprobe event (tracefs).
 *
 *  - GET_PCI_HOT_RESET_INFO lists both functions with their group;
 *  - PCI_HOT_RESET with the group fd resets the slot once, also with the
 *    other function closed, and refuses (EINVAL) while the other
 *    function is outside the dev_set (unbound from vfio-pci);
 *  - the last close of the dev_set resets the slot, not an earlier one,
 *    and not while a function is outside the dev_set.
 *
 * Errnos and counts are upstream 6.12's (checked against the in-tree
 * stack).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_test_lib.h"

static const struct vt_dev *fn0, *fn1;

/* ---------------------------------------------------------- kprobe */

/* The test needs the count: no kprobe events ends it (skip). */
static void kprobe_add(void)
{
	if (!vt_reset_probe_add())
		vt_skip("no kprobe event on pci_reset_bus (tracefs)");
}

/* ------------------------------------------------------- binding */

static void drv_path(char *path, size_t len, const char *what)
{
	snprintf(path, len, "/sys/bus/pci/drivers/vfio-pci/%s", what);
}

/*
 * Take .1 out of the dev_set: unbound from vfio-pci, no driver at all
 * (driver_override still says vfio-pci, so nothing else binds). The
 * caller may hold the group and .0, not .1.
 */
static void fn1_unbind(void)
{
	char path[128];

	drv_path(path, sizeof(path), "unbind");
	VT_ASSERT(!vt_sysfs_write(path, fn1->bdf), "unbind %s", fn1->bdf);
}

static void fn1_rebind(void)
{
	struct vt_dev d = *fn1;

	VT_ASSERT(!vt_bind_vfio(&d), "rebind %s", fn1->bdf);
}

/* Parent, after each test: .1 back on vfio-pci, no kprobe left. */
static void after_each(void)
{
	char drv[64];

	vt_reset_probe_del();
	vt_dev_driver(fn1->bdf, drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci") && vt_bind_vfio(&vt_devs[1]))
		vt_diag("%s: cannot rebind to vfio-pci", fn1->bdf);
}

/* ------------------------------------------------- hot reset info */

struct info {
	struct vfio_pci_hot_reset_info h;
	struct vfio_pci_dependent_device d[8];
};

static bool is_dev(const struct vfio_pci_dependent_device *d,
		   const struct vt_dev *v)
{
	unsigned int dom, bus, slot, fn;

	VT_ASSERT(sscanf(v->bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) == 4,
		  "bdf %s", v->bdf);
	return d->segment == dom && d->bus == bus &&
	       d->devfn == ((slot << 3) | fn);
}

/* Both functions listed once each, with their (shared) group. */
static void check_info(int dev)
{
	bool seen0 = false, seen1 = false;
	struct info b;
	unsigned int i;

	/* header only, then one entry: no room for two, count tells */
	memset(&b, 0, sizeof(b));
	b.h.argsz = sizeof(b.h);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &b.h),
		 ENOSPC);
	VT_EXPECT_EQ(b.h.count, 2);
	memset(&b, 0, sizeof(b));
	b.h.argsz = sizeof(b.h) + sizeof(b.d[0]);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &b.h),
		 ENOSPC);
	VT_EXPECT_EQ(b.h.count, 2);
	/* exactly two entries */
	memset(&b, 0xa5, sizeof(b));
	b.h.argsz = sizeof(b.h) + 2 * sizeof(b.d[0]);
	b.h.flags = 0;
	b.h.count = 0;
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &b.h));
	VT_EXPECT_EQ(b.h.flags, 0);
	VT_EXPECT_EQ(b.h.count, 2);
	for (i = 0; i < b.h.count && i < 2; i++) {
		vt_diag("dependent %04x:%02x:%02x.%x group %u",
			b.d[i].segment, b.d[i].bus, b.d[i].devfn >> 3,
			b.d[i].devfn & 7, b.d[i].group_id);
		if (is_dev(&b.d[i], fn0)) {
			VT_EXPECT(!seen0, "%s listed twice", fn0->bdf);
			seen0 = true;
			VT_EXPECT_EQ(b.d[i].group_id, fn0->group);
		} else if (is_dev(&b.d[i], fn1)) {
			VT_EXPECT(!seen1, "%s listed twice", fn1->bdf);
			seen1 = true;
			VT_EXPECT_EQ(b.d[i].group_id, fn1->group);
		} else {
			vt_fail("entry %u is neither function", i);
		}
	}
	VT_EXPECT(seen0 && seen1, "listed: .0 %d, .1 %d", seen0, seen1);
	/* nothing written past what the caller sized */
	VT_EXPECT_EQ(b.d[2].group_id, 0xa5a5a5a5);
}

/* One group, and .0's header type says multi-function (sysfs, no open). */
static void t_topology(void)
{
	uint8_t cfg[16];
	char path[128];
	int fd;

	VT_EXPECT_EQ(fn0->group, fn1->group);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
		 fn0->bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	VT_ASSERT(fd >= 0, "open %s", path);
	VT_ASSERT(pread(fd, cfg, sizeof(cfg), 0) == sizeof(cfg), "read %s",
		  path);
	close(fd);
	VT_EXPECT(cfg[0x0e] & 0x80, "%s: header type 0x%x: not multi-function",
		  fn0->bdf, cfg[0x0e]);
}

static void t_hot_reset_info(void)
{
	struct vt_session s;
	struct info b;
	int dev1;

	vt_session_open(&s, fn0, VFIO_TYPE1v2_IOMMU, true);
	memset(&b, 0, sizeof(b));
	b.h.argsz = offsetof(struct vfio_pci_hot_reset_info, count) + 3;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &b.h),
		 EINVAL);
	check_info(s.device);
	/* the same from the other function */
	dev1 = vt_get_device(s.group, fn1->bdf);
	check_info(dev1);
}

/* With .1 unbound from vfio-pci it is still affected: still listed. */
static void t_hot_reset_info_unbound(void)
{
	struct vt_session s;

	vt_session_open(&s, fn0, VFIO_TYPE1v2_IOMMU, true);
	fn1_unbind();
	check_info(s.device);
	fn1_rebind();
	check_info(s.device);
}

/* ------------------------------------------------------ hot reset */

struct hot_reset {
	struct vfio_pci_hot_reset h;
	int32_t fds[4];
};

static int hot_reset(int dev, unsigned int count, const int32_t *fds)
{
	struct hot_reset b;

	memset(&b, 0, sizeof(b));
	b.h.argsz = sizeof(b.h) + count * sizeof(int32_t);
	b.h.count = count;
	memcpy(b.fds, fds, count * sizeof(int32_t));
	return ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &b.h);
}

/*
 * Headers the group path refuses before it looks at the fds: flags,
 * argsz short of count; and an fd array the kernel cannot read.
 */
static void bad_headers(int dev, int group)
{
	struct vfio_pci_hot_reset *edge;
	struct hot_reset b;
	uint8_t *pages;

	memset(&b, 0, sizeof(b));
	b.h.argsz = sizeof(b.h) + sizeof(int32_t);
	b.h.count = 1;
	b.fds[0] = group;
	b.h.flags = 1;
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	b.h.flags = 0;
	b.h.argsz = offsetof(struct vfio_pci_hot_reset, count) + 3;
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	/* the header at the end of a page, the fds on an unmapped one */
	pages = mmap(NULL, 2 * VT_PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VT_ASSERT(pages != MAP_FAILED, "mmap");
	VT_ASSERT(!munmap(pages + VT_PAGE, VT_PAGE), "munmap");
	edge = (void *)(pages + VT_PAGE - sizeof(*edge));
	edge->argsz = sizeof(*edge) + sizeof(int32_t);
	edge->flags = 0;
	edge->count = 1;
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, edge), EFAULT);
	munmap(pages, VT_PAGE);
}

/* One pci_reset_bus() for the call, and both functions answer after it. */
static void reset_once(int dev, unsigned int count, const int32_t *fds,
		       int dev1)
{
	long h0 = vt_reset_probe_hits();

	VT_OK(hot_reset(dev, count, fds));
	VT_EXPECT(vt_reset_probe_hits() == h0 + 1, "%ld pci_reset_bus() for a reset",
		  vt_reset_probe_hits() - h0);
	VT_EXPECT_EQ(vt_cfg_rd16(dev, 0), fn0->vendor);
	if (dev1 >= 0)
		VT_EXPECT_EQ(vt_cfg_rd16(dev1, 0), fn1->vendor);
}

static void t_hot_reset(void)
{
	struct vt_session s;
	int32_t fds[4];
	long h0;
	int efd, dev1, closed;

	kprobe_add();
	vt_session_open(&s, fn0, VFIO_TYPE1v2_IOMMU, true);
	efd = vt_eventfd();

	/* bad input changes nothing: no reset */
	h0 = vt_reset_probe_hits();
	VT_ERRNO(hot_reset(s.device, 0, fds), EINVAL);
	fds[0] = s.group;
	fds[1] = s.group;
	fds[2] = s.group;
	VT_ERRNO(hot_reset(s.device, 3, fds), EINVAL);	/* > 2 affected */
	fds[0] = -1;
	VT_ERRNO(hot_reset(s.device, 1, fds), EBADF);
	fds[0] = efd;
	VT_ERRNO(hot_reset(s.device, 1, fds), EINVAL);
	fds[0] = s.container;
	VT_ERRNO(hot_reset(s.device, 1, fds), EINVAL);
	fds[0] = s.device;
	VT_ERRNO(hot_reset(s.device, 1, fds), EINVAL);
	closed = vt_track(dup(efd));
	vt_close(closed);
	fds[0] = closed;
	VT_ERRNO(hot_reset(s.device, 1, fds), EBADF);
	bad_headers(s.device, s.group);
	VT_EXPECT(vt_reset_probe_hits() == h0, "%ld pci_reset_bus() on bad input",
		  vt_reset_probe_hits() - h0);

	/* .1 bound and closed: its group is the caller's, that is enough */
	fds[0] = s.group;
	reset_once(s.device, 1, fds, -1);
	/* the group twice: still two affected devices at most */
	fds[1] = s.group;
	reset_once(s.device, 2, fds, -1);
	/* .1 open too, from either function */
	dev1 = vt_get_device(s.group, fn1->bdf);
	reset_once(s.device, 1, fds, dev1);
	reset_once(dev1, 1, fds, s.device);
}

/* .1 outside the dev_set: the slot cannot be reset for .0's owner. */
static void t_hot_reset_unbound(void)
{
	struct vt_session s;
	int32_t fds[1];
	long h0;

	kprobe_add();
	vt_session_open(&s, fn0, VFIO_TYPE1v2_IOMMU, true);
	fn1_unbind();
	fds[0] = s.group;
	h0 = vt_reset_probe_hits();
	VT_ERRNO(hot_reset(s.device, 1, fds), EINVAL);
	VT_EXPECT(vt_reset_probe_hits() == h0, "%ld pci_reset_bus() with .1 unbound",
		  vt_reset_probe_hits() - h0);
	fn1_rebind();
	reset_once(s.device, 1, fds, -1);
}

/* ------------------------------------------------ last-close reset */

static char orig_methods[128];
static bool have_methods;

static void methods_path(char *path, size_t len)
{
	snprintf(path, len, "/sys/bus/pci/devices/%s/reset_method", fn0->bdf);
}

static void methods_restore(void)
{
	char path[128], now[128];

	if (!have_methods)
		return;
	methods_path(path, sizeof(path));
	if (vt_sysfs_read(path, now, sizeof(now)) >= 0 &&
	    !strcmp(now, orig_methods))
		return;
	if (!vt_sysfs_write(path, *orig_methods ? orig_methods : "\n"))
		return;
	/*
	 * .0's "bus" was probed before .1 appeared and cannot be chosen
	 * again: the PCI core's default is what it has now.
	 */
	if (vt_sysfs_write(path, "default") ||
	    vt_sysfs_read(path, orig_methods, sizeof(orig_methods)) < 0)
		vt_diag("%s: cannot restore reset_method \"%s\"", fn0->bdf,
			orig_methods);
}

static void after_each_methods(void)
{
	methods_restore();
	after_each();
}

static bool has_flag_reset(int dev)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };

	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	return di.flags & VFIO_DEVICE_FLAGS_RESET;
}

/* Close @dev and expect @want pci_reset_bus() calls from it. */
static void close_expect(int dev, long want, const char *what)
{
	long h0 = vt_reset_probe_hits();

	vt_close(dev);
	VT_EXPECT(vt_reset_probe_hits() == h0 + want,
		  "%s: %ld pci_reset_bus(), want %ld", what,
		  vt_reset_probe_hits() - h0, want);
}

static void t_last_close_reset(void)
{
	struct vt_session s;
	char path[128];
	int dev0, dev1;

	kprobe_add();
	/* .0 with every reset method off (its "bus" cannot work anyway) */
	if (have_methods) {
		methods_path(path, sizeof(path));
		VT_ASSERT(!vt_sysfs_write(path, "\n"), "reset_method \"\"");
	}
	vt_session_open(&s, fn0, VFIO_TYPE1v2_IOMMU, false);

	/* no function reset for either: no FLAGS_RESET, RESET EINVAL */
	dev0 = vt_get_device(s.group, fn0->bdf);
	dev1 = vt_get_device(s.group, fn1->bdf);
	VT_EXPECT(!has_flag_reset(dev0), "%s: FLAGS_RESET", fn0->bdf);
	VT_EXPECT(!has_flag_reset(dev1), "%s: FLAGS_RESET", fn1->bdf);
	VT_ERRNO(ioctl(dev0, VFIO_DEVICE_RESET), EINVAL);
	VT_ERRNO(ioctl(dev1, VFIO_DEVICE_RESET), EINVAL);

	/* .0 dirty, .1 open: not yet; the last one out resets the slot */
	close_expect(dev0, 0, "close .0 while .1 is open");
	close_expect(dev1, 1, "last close (.1)");
	/* the other order */
	dev1 = vt_get_device(s.group, fn1->bdf);
	dev0 = vt_get_device(s.group, fn0->bdf);
	close_expect(dev1, 0, "close .1 while .0 is open");
	close_expect(dev0, 1, "last close (.0)");
	/* one function alone: .1 bound and closed counts as in the set */
	dev0 = vt_get_device(s.group, fn0->bdf);
	close_expect(dev0, 1, "close .0, .1 closed");

	/* .1 outside the dev_set: the slot is not reset for .0 */
	fn1_unbind();
	dev0 = vt_get_device(s.group, fn0->bdf);
	close_expect(dev0, 0, "close .0, .1 unbound");
	fn1_rebind();
	/* .0 stayed dirty: reopened and closed with .1 back, it resets */
	dev0 = vt_get_device(s.group, fn0->bdf);
	close_expect(dev0, 1, "close .0, .1 bound again");
	methods_restore();
}

/* The group fd closed first: the devices still close the dev_set. */
static void t_last_close_group_first(void)
{
	struct vt_session s;
	long h0;
	int dev0, dev1;

	kprobe_add();
	vt_session_open(&s, fn0, VFIO_TYPE1v2_IOMMU, false);
	dev0 = vt_get_device(s.group, fn0->bdf);
	dev1 = vt_get_device(s.group, fn1->bdf);
	vt_close(s.group);
	vt_close(s.container);
	h0 = vt_reset_probe_hits();
	vt_close(dev0);
	VT_EXPECT(vt_reset_probe_hits() == h0, "close .0: %ld pci_reset_bus()",
		  vt_reset_probe_hits() - h0);
	vt_close(dev1);
	VT_EXPECT(vt_reset_probe_hits() == h0 + 1, "last close: %ld pci_reset_bus()",
		  vt_reset_probe_hits() - h0);
}

static const struct vt_test tests[] = {
	{ .name = "topology", .fn = t_topology },
	{ .name = "hot_reset_info", .fn = t_hot_reset_info },
	{ .name = "hot_reset_info_unbound", .fn = t_hot_reset_info_unbound },
	{ .name = "hot_reset", .fn = t_hot_reset },
	{ .name = "hot_reset_unbound", .fn = t_hot_reset_unbound },
	{ .name = "last_close_reset", .fn = t_last_close_reset },
	{ .name = "last_close_group_first", .fn = t_last_close_group_first },
};

static void setup(void)
{
	char path[128];

	if (vt_ndevs != 2)
		vt_bail("needs exactly two functions of one slot");
	fn0 = &vt_devs[0];
	fn1 = &vt_devs[1];
	methods_path(path, sizeof(path));
	have_methods = vt_sysfs_read(path, orig_methods,
				     sizeof(orig_methods)) >= 0;
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "devset", VT_TESTS(tests),
		.devs = VT_DEVS_ANY, .min_devs = 2,
		.setup = setup,
		.after_each = after_each_methods,
	};
	const char *mf0 = getenv("VFIO_MF0"), *mf1 = getenv("VFIO_MF1");
	char *args[] = { argv[0], "-d", (char *)mf0, "-d", (char *)mf1, NULL };

	if (argc > 1)
		return vt_main(argc, argv, &suite);
	if (!mf0 || !*mf0 || !mf1 || !*mf1) {
		vt_tap_header();
		printf("1..0 # SKIP no multi-function device: %s\n",
		       "set VFIO_MF0 and VFIO_MF1 or use -d twice");
		return 4;
	}
	return vt_main(5, args, &suite);
}
