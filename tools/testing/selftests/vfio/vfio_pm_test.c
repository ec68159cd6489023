// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci runtime power management, as userspace sees it in sysfs
 * (power/runtime_status, power/runtime_usage, power_state) and through
 * the device fd:
 *
 * - a bound, closed device is runtime suspended (D3hot when it has a PM
 *   capability, D0 otherwise: edu); open makes it active in D0, close
 *   suspends it again, with the usage count back where it was;
 * - VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY suspends an open device; config
 *   and BAR reads and ioctls wake it for the access and it suspends
 *   again, a touch of a BAR mapping is SIGBUS, a second entry is EINVAL;
 *   EXIT brings it back to D0 with COMMAND and BARs as they were and the
 *   mapping usable;
 * - LOW_POWER_ENTRY_WITH_WAKEUP: the first access (config, BAR, the EXIT
 *   ioctl itself) signals the eventfd and ends low power;
 * - close while in low power (with and without the eventfd), reopen,
 *   unbind and rebind: usage count balanced;
 * - the user's own PMCSR D3hot write, then entry and exit: D0 at the end;
 * - INTx (edu): the user's mask survives a suspend, an unmasked line is
 *   unmasked again after it;
 * - VFIO_DEVICE_RESET and PCI_HOT_RESET in low power: the ioctl wakes the
 *   device, it suspends again afterwards with low power still engaged
 *   (with the wakeup eventfd: signalled, low power ended).
 *
 * With vfio-pci's disable_idle_d3=1 (tools/testing/vm/tests/pm_test.sh)
 * a closed device stays active in D0 instead; low power works the same.
 * Runtime suspend is asynchronous: states are polled with a bound.
 *
 *   vfio_pm_test [-d BDF]...   default: the first edu, $VFIO_NVME0 and
 *                              $VFIO_E1000E0; every test on each device
 */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define P			VT_PAGE
#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_BAR0		0x10
#define PCI_CAP_ID_PM		0x01
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_EXP		0x10
#define PCI_PM_CTRL		4
#define PCI_PM_STATE_MASK	0x3
#define PCI_D3HOT		0x3

#define INTX			VFIO_PCI_INTX_IRQ_INDEX
#define EDU_RAISE_BIT		0x4

/* The debug kernel is ~10x slower: generous bounds, short polls. */
#define WAIT_MS			5000
#define POLL_MS			10
#define SETTLE_MS		200

static const struct vt_dev *cur;
static bool nod3;		/* vfio-pci disable_idle_d3 is set */

/* ------------------------------------------------------------- sysfs */

static int dev_attr(const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", cur->bdf,
		 attr);
	return vt_sysfs_read(path, buf, len);
}

static void rpm_state(char *st, size_t stlen, char *ps, size_t pslen)
{
	if (dev_attr("power/runtime_status", st, stlen) < 0)
		snprintf(st, stlen, "?");
	if (dev_attr("power_state", ps, pslen) < 0)
		snprintf(ps, pslen, "?");
}

/* power/runtime_usage (CONFIG_PM_ADVANCED_DEBUG), -1 without it. */
static long rpm_usage(void)
{
	char buf[32];

	if (dev_attr("power/runtime_usage", buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 0);
}

/*
 * An open device holds one usage reference (with disable_idle_d3 the
 * one vfio-pci kept since probe), low power gives it back: 0.
 */
static bool usage_is(long want, const char *what)
{
	long u = rpm_usage();

	if (u < 0 || u == want)
		return true;
	vt_fail("%s: runtime_usage %ld, want %ld", what, u, want);
	return false;
}

/* The device's real config space (sysfs does not wake it from D3hot). */
static void phys_cfg(unsigned int off, void *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
		 cur->bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		vt_fatal("open %s: %s", path, vt_errname(errno));
	n = pread(fd, buf, len, off);
	close(fd);
	if (n != (ssize_t)len)
		vt_fatal("%s: config read @0x%x failed", cur->bdf, off);
}

static uint16_t phys_cfg16(unsigned int off)
{
	uint16_t v;

	phys_cfg(off, &v, sizeof(v));
	return v;
}

/* PM capability offset, from the real config space; 0 without one. */
static int phys_pm_cap(void)
{
	uint8_t cfg[256];
	unsigned int pos, guard;

	phys_cfg(0, cfg, sizeof(cfg));
	if (!(cfg[0x06] & 0x10))
		return 0;
	pos = cfg[0x34] & 0xfc;
	for (guard = 0; pos && guard < 48; guard++) {
		if (cfg[pos] == PCI_CAP_ID_PM)
			return pos;
		pos = cfg[pos + 1] & 0xfc;
	}
	return 0;
}

static const char *d3_state(void)
{
	return phys_pm_cap() ? "D3hot" : "D0";
}

/*
 * Poll until runtime_status is @st and power_state @ps (NULL: any),
 * for up to WAIT_MS. A failure names @what and the state seen.
 */
static bool wait_state(const char *what, const char *st, const char *ps)
{
	char s[32], p[32];
	int waited = 0;

	for (;;) {
		rpm_state(s, sizeof(s), p, sizeof(p));
		if (!strcmp(s, st) && (!ps || !strcmp(p, ps)))
			return true;
		if (waited >= WAIT_MS)
			break;
		usleep(POLL_MS * 1000);
		waited += POLL_MS;
	}
	vt_fail("%s: runtime_status %s, power_state %s; want %s, %s", what,
		s, p, st, ps ? ps : "any");
	return false;
}

/* In low power: runtime suspended, in D3hot if the device can. */
static bool wait_suspended(const char *what)
{
	return wait_state(what, "suspended", d3_state());
}

/* Active in D0, and still so a moment later (nothing suspends it). */
static bool stays_active(const char *what)
{
	if (!wait_state(what, "active", "D0"))
		return false;
	usleep(SETTLE_MS * 1000);
	return wait_state(what, "active", "D0");
}

/* Bound and closed: suspended, or active in D0 with disable_idle_d3. */
static bool closed_idle(const char *what)
{
	if (nod3)
		return stays_active(what);
	return wait_suspended(what);
}

/* ------------------------------------------------------- device fd */

struct pm_dev {
	struct vt_session s;
	int dev;
	int bar;		/* a mappable MMIO BAR, -1 if none */
	uint64_t bar_off;	/* its region offset */
	volatile uint32_t *map;	/* its first page, mapped */
};

static void pm_open(struct pm_dev *d)
{
	vt_session_open(&d->s, cur, VFIO_TYPE1v2_IOMMU, true);
	d->dev = d->s.device;
	d->bar = -1;
	d->map = NULL;
}

static void pm_close(struct pm_dev *d)
{
	if (d->map)
		munmap((void *)d->map, P);
	d->map = NULL;
	vt_close(d->dev);
	vt_close(d->s.group);
	vt_close(d->s.container);
}

/*
 * Turn on memory decode and map page 0 of the first mmap-able MMIO BAR
 * that does not hold the MSI-X table or PBA there.
 */
static void pm_map_bar(struct pm_dev *d)
{
	int msix = vt_cfg_find_cap(d->dev, PCI_CAP_ID_MSIX);
	struct vfio_region_info ri;
	void *p;
	int i;

	vt_cfg_wr16(d->dev, PCI_COMMAND, vt_cfg_rd16(d->dev, PCI_COMMAND) |
		    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	for (i = 0; i < 6; i++) {
		if (vt_region_info(d->dev, i, &ri) || ri.size < P ||
		    !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
			continue;
		if (msix) {
			uint32_t tbl = vt_cfg_rd32(d->dev, msix + 4);
			uint32_t pba = vt_cfg_rd32(d->dev, msix + 8);

			if (((tbl & 7) == (uint32_t)i && (tbl & ~7U) < P) ||
			    ((pba & 7) == (uint32_t)i && (pba & ~7U) < P))
				continue;
		}
		p = mmap(NULL, P, PROT_READ, MAP_SHARED, d->dev, ri.offset);
		if (p == MAP_FAILED)
			continue;
		d->bar = i;
		d->bar_off = ri.offset;
		d->map = p;
		return;
	}
	vt_skip("no mappable MMIO BAR");
}

static int lp_set(int dev, uint32_t feature, int efd)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup w;
	} b;

	memset(&b, 0, sizeof(b));
	b.f.argsz = sizeof(b.f);
	if (feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP)
		b.f.argsz += sizeof(b.w);
	b.f.flags = VFIO_DEVICE_FEATURE_SET | feature;
	b.w.wakeup_eventfd = efd;
	return ioctl(dev, VFIO_DEVICE_FEATURE, &b.f) ? -errno : 0;
}

static int lp_entry(struct pm_dev *d)
{
	return lp_set(d->dev, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, -1);
}

static int lp_entry_wake(struct pm_dev *d, int efd)
{
	return lp_set(d->dev, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
		      efd);
}

static int lp_exit(struct pm_dev *d)
{
	return lp_set(d->dev, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, -1);
}

static uint32_t bar_read(struct pm_dev *d)
{
	return vt_rd32(d->dev, d->bar_off);
}

static int get_info(struct pm_dev *d)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };

	return ioctl(d->dev, VFIO_DEVICE_GET_INFO, &di);
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/* A read of the mapping raises SIGBUS; else *val is what it read. */
static bool map_sigbus(struct pm_dev *d, uint32_t *val)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile bool faulted = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1) == 0)
		*val = d->map[0];
	else
		faulted = true;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

/* The counter of @efd is @want right now (0: not signalled). */
static bool efd_is(int efd, uint64_t want, const char *what)
{
	uint64_t v = vt_wait_eventfd(efd, want ? 1000 : 0);

	if (v == want)
		return true;
	vt_fail("%s: wakeup eventfd counter %llu, want %llu", what,
		(unsigned long long)v, (unsigned long long)want);
	return false;
}

/* COMMAND and the six BARs, as the device has them and as vfio shows them. */
struct cfg_snap {
	uint16_t phys_cmd, cmd;
	uint32_t phys_bar[6], bar[6];
};

static void cfg_snap(struct pm_dev *d, struct cfg_snap *c)
{
	int i;

	c->phys_cmd = phys_cfg16(PCI_COMMAND);
	phys_cfg(PCI_BAR0, c->phys_bar, sizeof(c->phys_bar));
	c->cmd = vt_cfg_rd16(d->dev, PCI_COMMAND);
	for (i = 0; i < 6; i++)
		c->bar[i] = vt_cfg_rd32(d->dev, PCI_BAR0 + 4 * i);
}

static void cfg_same(struct pm_dev *d, const struct cfg_snap *a,
		     const char *what)
{
	struct cfg_snap b;
	int i;

	cfg_snap(d, &b);
	VT_EXPECT(a->phys_cmd == b.phys_cmd && a->cmd == b.cmd,
		  "%s: COMMAND 0x%x (vfio 0x%x), was 0x%x (vfio 0x%x)", what,
		  b.phys_cmd, b.cmd, a->phys_cmd, a->cmd);
	for (i = 0; i < 6; i++)
		VT_EXPECT(a->phys_bar[i] == b.phys_bar[i] &&
			  a->bar[i] == b.bar[i],
			  "%s: BAR%d 0x%x (vfio 0x%x), was 0x%x (vfio 0x%x)",
			  what, i, b.phys_bar[i], b.bar[i], a->phys_bar[i],
			  a->bar[i]);
}

/* ------------------------------------------------------------ tests */

/* Closed: suspended; open: active in D0; closed again: suspended. */
static void t_open_close(void)
{
	long usage0, usage;
	struct pm_dev d;
	int round;

	closed_idle("bound and closed");
	usage0 = rpm_usage();
	for (round = 0; round < 2; round++) {
		pm_open(&d);
		stays_active("open");
		usage_is(1, "open");
		VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
		pm_close(&d);
		closed_idle("closed again");
		usage = rpm_usage();
		VT_EXPECT(usage == usage0, "runtime_usage %ld after close, %ld before open",
			  usage, usage0);
	}
	vt_diag("runtime_usage when closed: %ld, disable_idle_d3 %d", usage0,
		nod3);
}

/*
 * LOW_POWER_ENTRY: suspended; accesses wake it for their duration, the
 * mapping faults with SIGBUS; EXIT: back in D0, nothing lost.
 */
static void t_lowpower_entry(void)
{
	struct cfg_snap before;
	uint32_t v0, v;
	struct pm_dev d;

	pm_open(&d);
	pm_map_bar(&d);
	v0 = bar_read(&d);
	VT_EXPECT(!map_sigbus(&d, &v) && v == v0,
		  "BAR%d mapping before entry", d.bar);
	cfg_snap(&d, &before);
	vt_diag("BAR%d @0: 0x%x, COMMAND 0x%x", d.bar, v0, before.phys_cmd);

	VT_OK(lp_entry(&d));
	wait_suspended("after LOW_POWER_ENTRY");
	usage_is(0, "in low power");

	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
	wait_suspended("after a config read in low power");
	/* D3hot turns memory decode off: a read that works woke it. */
	VT_EXPECT_EQ(bar_read(&d), v0);
	wait_suspended("after a BAR read in low power");
	VT_OK(get_info(&d));
	wait_suspended("after GET_INFO in low power");
	VT_EXPECT(map_sigbus(&d, &v), "mapping read in low power: 0x%x", v);
	wait_suspended("after the mapping faulted");

	VT_EXPECT_EQ(lp_entry(&d), -EINVAL);
	{
		int efd = vt_eventfd();

		VT_EXPECT_EQ(lp_entry_wake(&d, efd), -EINVAL);
		vt_close(efd);
	}
	wait_suspended("after the refused second entries");
	usage_is(0, "after the refused second entries");

	VT_OK(lp_exit(&d));
	stays_active("after LOW_POWER_EXIT");
	usage_is(1, "after LOW_POWER_EXIT");
	cfg_same(&d, &before, "after LOW_POWER_EXIT");
	VT_EXPECT(!map_sigbus(&d, &v) && v == v0, "mapping after exit");
	VT_EXPECT_EQ(bar_read(&d), v0);
	/* exit without entry: nothing to do */
	VT_OK(lp_exit(&d));
	stays_active("after a second LOW_POWER_EXIT");
	pm_close(&d);
	closed_idle("closed");
}

/*
 * LOW_POWER_ENTRY_WITH_WAKEUP: an access signals the eventfd once and
 * ends low power (a new entry is accepted); so does the EXIT ioctl.
 */
static void t_lowpower_wakeup(void)
{
	uint32_t v0, v;
	struct pm_dev d;
	int efd;

	pm_open(&d);
	pm_map_bar(&d);
	v0 = bar_read(&d);
	efd = vt_eventfd();

	/* a config read wakes it */
	VT_OK(lp_entry_wake(&d, efd));
	wait_suspended("after entry with wakeup");
	efd_is(efd, 0, "suspended");
	VT_EXPECT(map_sigbus(&d, &v), "mapping read in low power: 0x%x", v);
	efd_is(efd, 0, "after the mapping faulted");
	wait_suspended("after the mapping faulted");
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
	efd_is(efd, 1, "after a config read");
	stays_active("woken by a config read");
	usage_is(1, "woken by a config read");
	VT_EXPECT(!map_sigbus(&d, &v) && v == v0, "mapping after wakeup");

	/* low power ended: entry works again; a BAR read wakes it */
	VT_OK(lp_entry_wake(&d, efd));
	wait_suspended("after the second entry");
	VT_EXPECT_EQ(bar_read(&d), v0);
	efd_is(efd, 1, "after a BAR read");
	stays_active("woken by a BAR read");

	/* the EXIT ioctl itself wakes the device first */
	VT_OK(lp_entry_wake(&d, efd));
	wait_suspended("after the third entry");
	VT_OK(lp_exit(&d));
	efd_is(efd, 1, "after LOW_POWER_EXIT");
	stays_active("after LOW_POWER_EXIT");
	VT_OK(lp_exit(&d));
	efd_is(efd, 0, "after a second LOW_POWER_EXIT");

	/* entry without wakeup after one with: no eventfd any more */
	VT_OK(lp_entry(&d));
	wait_suspended("after entry without wakeup");
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
	efd_is(efd, 0, "config read, entry without wakeup");
	wait_suspended("after a config read, entry without wakeup");
	VT_OK(lp_exit(&d));
	stays_active("after the last exit");
	efd_is(efd, 0, "last exit");
	pm_close(&d);
	closed_idle("closed");
}

/* Rebind: unbind from vfio-pci, driver_override still says vfio-pci. */
static void rebind(void)
{
	char path[PATH_MAX], drv[64];
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/unbind");
	if (vt_sysfs_write(path, cur->bdf))
		vt_fatal("unbind %s from vfio-pci", cur->bdf);
	vt_sysfs_write("/sys/bus/pci/drivers_probe", cur->bdf);
	for (i = 0; i < 250; i++) {
		vt_dev_driver(cur->bdf, drv, sizeof(drv));
		if (!strcmp(drv, "vfio-pci") && !access(cur->group_path, F_OK))
			return;
		usleep(20000);
	}
	vt_fatal("%s not back on vfio-pci (%s)", cur->bdf, drv);
}

/*
 * Close while in low power, with and without the eventfd (which the
 * close does not signal): closed state and usage count as before, the
 * device reopens, and survives an unbind and rebind.
 */
static void t_close_in_lowpower(void)
{
	long usage0, usage;
	struct pm_dev d;
	int round, efd;

	closed_idle("bound and closed");
	usage0 = rpm_usage();
	efd = vt_eventfd();
	for (round = 0; round < 2; round++) {
		const char *how = round ? "with wakeup" : "without wakeup";

		pm_open(&d);
		VT_OK(round ? lp_entry_wake(&d, efd) : lp_entry(&d));
		wait_suspended(how);
		pm_close(&d);
		closed_idle(how);
		efd_is(efd, 0, "closed in low power");
		usage = rpm_usage();
		VT_EXPECT(usage == usage0,
			  "%s: runtime_usage %ld after close, %ld before", how,
			  usage, usage0);

		pm_open(&d);
		stays_active("reopened");
		VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
		VT_OK(get_info(&d));
		pm_close(&d);
		closed_idle("closed after reopening");
	}

	rebind();
	closed_idle("rebound");
	usage = rpm_usage();
	VT_EXPECT(usage == usage0, "runtime_usage %ld after rebind, %ld before",
		  usage, usage0);
	pm_open(&d);
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
	pm_close(&d);
}

/*
 * The user puts the device in D3hot through PMCSR, then asks for low
 * power and leaves it: the device ends in D0, PMCSR says D0, COMMAND
 * and BARs are what they were.
 */
static void t_user_d3hot(void)
{
	struct cfg_snap before;
	uint16_t pmcsr;
	uint32_t v0, v;
	struct pm_dev d;
	int pm;

	if (!phys_pm_cap())
		vt_skip("no PM capability");
	pm_open(&d);
	pm_map_bar(&d);
	v0 = bar_read(&d);
	cfg_snap(&d, &before);
	pm = vt_cfg_find_cap(d.dev, PCI_CAP_ID_PM);
	VT_ASSERT(pm, "vfio hides the PM capability");
	pmcsr = vt_cfg_rd16(d.dev, pm + PCI_PM_CTRL);
	VT_EXPECT_EQ(pmcsr & PCI_PM_STATE_MASK, 0);

	vt_cfg_wr16(d.dev, pm + PCI_PM_CTRL,
		    (pmcsr & ~PCI_PM_STATE_MASK) | PCI_D3HOT);
	wait_state("after the PMCSR D3hot write", "active", "D3hot");
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, pm + PCI_PM_CTRL) & PCI_PM_STATE_MASK,
		     PCI_D3HOT);
	/* no memory decode in D3hot */
	VT_ERRNO(pread(d.dev, &v, 4, d.bar_off), EIO);
	VT_EXPECT(map_sigbus(&d, &v), "mapping read in D3hot: 0x%x", v);

	VT_OK(lp_entry(&d));
	wait_suspended("after LOW_POWER_ENTRY from D3hot");
	VT_OK(lp_exit(&d));
	stays_active("after LOW_POWER_EXIT");
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, pm + PCI_PM_CTRL) & PCI_PM_STATE_MASK,
		     0);
	VT_EXPECT_EQ(phys_cfg16(phys_pm_cap() + PCI_PM_CTRL) &
		     PCI_PM_STATE_MASK, 0);
	cfg_same(&d, &before, "after D3hot, entry and exit");
	VT_EXPECT_EQ(bar_read(&d), v0);
	VT_EXPECT(!map_sigbus(&d, &v) && v == v0, "mapping after exit");
	pm_close(&d);
	closed_idle("closed");
}

/* ----------------------------------------------- resets in low power */

static bool reset_works(struct pm_dev *d)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };

	VT_OK_FATAL(ioctl(d->dev, VFIO_DEVICE_GET_INFO, &di));
	return di.flags & VFIO_DEVICE_FLAGS_RESET;
}

/*
 * VFIO_DEVICE_RESET while low power is engaged: the ioctl wakes the
 * device for its duration (the core resumes around every ioctl), the
 * reset runs in D0 and the device suspends again afterwards, still in
 * low power (a second entry is refused). With the wakeup eventfd the
 * resume ends low power instead and signals it. COMMAND and the BARs
 * survive (the PCI core saves and restores them around the reset).
 */
static void t_reset_in_lowpower(void)
{
	struct cfg_snap before;
	struct pm_dev d;
	int efd;

	pm_open(&d);
	if (!reset_works(&d)) {
		VT_OK(lp_entry(&d));
		wait_suspended("after entry");
		VT_ERRNO(ioctl(d.dev, VFIO_DEVICE_RESET), EINVAL);
		wait_suspended("after the refused RESET");
		VT_OK(lp_exit(&d));
		pm_close(&d);
		vt_skip("no VFIO_DEVICE_FLAGS_RESET: RESET EINVAL in low power too");
	}
	vt_cfg_wr16(d.dev, PCI_COMMAND, vt_cfg_rd16(d.dev, PCI_COMMAND) |
		    PCI_COMMAND_MEMORY);
	cfg_snap(&d, &before);

	VT_OK(lp_entry(&d));
	wait_suspended("after entry");
	VT_OK(ioctl(d.dev, VFIO_DEVICE_RESET));
	wait_suspended("after RESET in low power");
	usage_is(0, "after RESET in low power");
	VT_EXPECT_EQ(lp_entry(&d), -EINVAL);
	VT_OK(ioctl(d.dev, VFIO_DEVICE_RESET));
	wait_suspended("after a second RESET in low power");
	VT_OK(lp_exit(&d));
	stays_active("after LOW_POWER_EXIT");
	usage_is(1, "after LOW_POWER_EXIT");
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
	cfg_same(&d, &before, "after RESET in low power and exit");

	/* with wakeup: the ioctl's resume signals and ends low power */
	efd = vt_eventfd();
	VT_OK(lp_entry_wake(&d, efd));
	wait_suspended("after entry with wakeup");
	VT_OK(ioctl(d.dev, VFIO_DEVICE_RESET));
	efd_is(efd, 1, "RESET in low power with wakeup");
	stays_active("after RESET woke it");
	VT_OK(lp_entry(&d));
	wait_suspended("entry again after the wakeup");
	VT_OK(lp_exit(&d));
	stays_active("after the last exit");
	efd_is(efd, 0, "entry without wakeup, exit");
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
	pm_close(&d);
	closed_idle("closed");
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET while low power is engaged: as RESET, the
 * ioctl runs with the device awake and it suspends again afterwards,
 * still in low power. Behind QEMU's PCIe root ports a bus reset of a
 * PCIe device ends in ENOTTY (the link does not come back in time, see
 * vfio_device_test hot_reset): then only the suspend afterwards is
 * checked.
 */
static void t_hot_reset_in_lowpower(void)
{
	struct {
		struct vfio_pci_hot_reset h;
		int32_t fd;
	} b;
	struct pm_dev d;
	int r, err;

	pm_open(&d);
	memset(&b, 0, sizeof(b));
	b.h.argsz = sizeof(b);
	b.h.count = 1;
	b.fd = d.s.group;

	VT_OK(lp_entry(&d));
	wait_suspended("after entry");
	r = ioctl(d.dev, VFIO_DEVICE_PCI_HOT_RESET, &b.h);
	err = errno;
	vt_diag("hot reset in low power: %s", r ? vt_errname(err) : "done");
	if (r && err == ENODEV) {
		VT_OK(lp_exit(&d));
		pm_close(&d);
		vt_skip("no bus reset for %s (ENODEV)", cur->bdf);
	}
	VT_EXPECT(!r || (err == ENOTTY &&
			 vt_cfg_find_cap(d.dev, PCI_CAP_ID_EXP)),
		  "hot reset in low power: %s", vt_errname(err));
	wait_suspended("after PCI_HOT_RESET in low power");
	usage_is(0, "after PCI_HOT_RESET in low power");
	VT_EXPECT_EQ(lp_entry(&d), -EINVAL);
	VT_OK(lp_exit(&d));
	stays_active("after LOW_POWER_EXIT");
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
	pm_close(&d);
	closed_idle("closed");
}

/* ----------------------------------------------------- INTx (edu) */

static void raise_line(struct pm_dev *d, bool up)
{
	vt_wr32(d->dev, d->bar_off + (up ? EDU_REG_IRQ_RAISE : EDU_REG_IRQ_ACK),
		EDU_RAISE_BIT);
}

static bool phys_masked(void)
{
	return phys_cfg16(PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
}

/*
 * Suspend masks INTx and resume unmasks it again, unless the user had
 * masked it: that mask stays until the user's UNMASK.
 */
static void t_intx_mask_kept(void)
{
	struct pm_dev d;
	bool fired;
	int trig;

	if (!vt_dev_is_edu(cur))
		vt_skip("needs an edu device to raise INTx");
	pm_open(&d);
	pm_map_bar(&d);
	VT_ASSERT(d.bar == 0, "edu BAR0 not mappable");
	trig = vt_eventfd();
	VT_OK_FATAL(vt_set_irqs_fd(d.dev, INTX, VFIO_IRQ_SET_ACTION_TRIGGER,
				   trig));

	/* unmasked: masked while suspended, unmasked after */
	VT_OK(lp_entry(&d));
	wait_suspended("unmasked INTx, entry");
	VT_EXPECT(phys_masked(), "INTx not masked while suspended");
	VT_OK(lp_exit(&d));
	VT_EXPECT(!phys_masked(), "INTx still masked after exit");
	raise_line(&d, true);
	fired = vt_wait_eventfd(trig, 3000) >= 1;
	raise_line(&d, false);
	VT_EXPECT(fired, "no INTx after low power");
	VT_OK(vt_set_irqs_none(d.dev, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));

	/* masked by the user: stays masked across suspend and resume */
	VT_OK(vt_set_irqs_none(d.dev, INTX, VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	VT_EXPECT(phys_masked(), "MASK did not set DisINTx");
	VT_OK(lp_entry(&d));
	wait_suspended("masked INTx, entry");
	VT_OK(lp_exit(&d));
	VT_EXPECT(phys_masked(), "the user's INTx mask was lost in low power");
	raise_line(&d, true);
	fired = vt_wait_eventfd(trig, 300) >= 1;
	VT_EXPECT(!fired, "INTx delivered while masked by the user");
	VT_OK(vt_set_irqs_none(d.dev, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	fired = vt_wait_eventfd(trig, 3000) >= 1;
	raise_line(&d, false);
	VT_EXPECT(fired, "the pending INTx not delivered by UNMASK");
	VT_OK(vt_set_irqs_none(d.dev, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	VT_OK(vt_set_irqs_none(d.dev, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0,
			       0));
	pm_close(&d);
	closed_idle("closed");
}

/* ------------------------------------------------------------- main */

static const struct vt_test tests[] = {
	{ .name = "open_close", .fn = t_open_close },
	{ .name = "lowpower_entry", .fn = t_lowpower_entry },
	{ .name = "lowpower_wakeup", .fn = t_lowpower_wakeup },
	{ .name = "close_in_lowpower", .fn = t_close_in_lowpower },
	{ .name = "user_d3hot", .fn = t_user_d3hot },
	{ .name = "intx_mask_kept", .fn = t_intx_mask_kept },
	{ .name = "reset_in_lowpower", .fn = t_reset_in_lowpower },
	{ .name = "hot_reset_in_lowpower", .fn = t_hot_reset_in_lowpower },
};

static void setup(void)
{
	char buf[8] = "";

	vt_sysfs_read("/sys/module/vfio_pci/parameters/disable_idle_d3", buf,
		      sizeof(buf));
	nod3 = buf[0] == 'Y' || buf[0] == '1';
	vt_diag("vfio-pci disable_idle_d3: %s", nod3 ? "Y" : "N");
}

static void use_device(const struct vt_dev *d)
{
	cur = d;
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "pm", VT_TESTS(tests),
		.devs = VT_DEVS_PM, .min_devs = 1,
		.setup = setup,
		.per_device = use_device,
	};

	return vt_main(argc, argv, &suite);
}
