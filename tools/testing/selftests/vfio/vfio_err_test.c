// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci's error channel (VFIO_PCI_ERR_IRQ_INDEX) with real AER
 * errors: the PCIe AER core calls the driver's error_detected handler,
 * which signals the eventfd the user gave with SET_IRQS.
 *
 * Errors are made with the kernel's aer_inject module
 * (CONFIG_PCIEAER_INJECT): a struct aer_error_inj written to
 * /dev/aer_inject fakes the AER status registers of the device and of
 * its root port and raises the root port's AER interrupt, so the AER
 * core handles it as a real error report. Needs native AER (the VM's
 * _OSC grants it; "AER: enabled" at boot) and a device with an AER
 * capability below a root port with the AER service bound.
 *
 * - GET_IRQ_INFO: ERR and REQ are one eventfd each, NORESIZE;
 * - SET_IRQS on ERR: bad start/count/action/data get upstream's errnos;
 * - an uncorrectable non-fatal error (Unsupported Request): the eventfd
 *   fires once, the AER core counts it (aer_dev_nonfatal), clears the
 *   device's status and resets nothing (a register written before is
 *   still there), the device keeps working;
 * - the trigger torn down (DATA_NONE count 0, or fd -1): another error
 *   signals nothing, and is still recovered;
 * - an error while the device is bound but closed (runtime suspended):
 *   recovered, the device opens afterwards.
 *
 * Fatal errors are left out: their recovery is a secondary bus reset of
 * the root port, which behind QEMU's root ports times out waiting for
 * the link ("Data Link Layer Link Active not set", "Root Port link has
 * been reset (-25)", "device recovery failed"); the device is left with
 * its BARs cleared, unusable for the rest of the boot (in-tree and ours
 * alike: it is the AER core's doing).
 *
 * The AER core's log lines for an injected error ("aer_inject: Injecting
 * errors", "AER: Uncorrectable (Non-Fatal) error message received",
 * "PCIe Bus Error: severity=...", "device recovery successful") match no
 * pattern of the kernel log scan: nothing to announce.
 *
 *   vfio_err_test [-d BDF]...   default: $VFIO_E1000E0; every test on
 *                               each device
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define PCI_CAP_ID_EXP		0x10
#define PCI_EXT_CAP_ID_ERR	0x01
#define PCI_ERR_UNCOR_STATUS	0x04
#define PCI_ERR_UNCOR_MASK	0x08
#define PCI_ERR_UNCOR_SEVER	0x0c
#define PCI_ERR_UNC_UNSUP	0x00100000	/* non-fatal by default */
#define PCI_COMMAND		0x04

/* e1000e: RDBAL0 (no side effects); another device only checks config */
#define E1000E_RDBAL0		0x2800

#define ERR			VFIO_PCI_ERR_IRQ_INDEX
#define REQ			VFIO_PCI_REQ_IRQ_INDEX
#define TRIG			VFIO_IRQ_SET_ACTION_TRIGGER
#define D_NONE			VFIO_IRQ_SET_DATA_NONE
#define D_BOOL			VFIO_IRQ_SET_DATA_BOOL
#define D_EFD			VFIO_IRQ_SET_DATA_EVENTFD

/* The debug kernel is ~10x slower: generous bounds. */
#define WAIT_MS			10000
#define POLL_MS			20

/* drivers/pci/pcie/aer_inject.c: what a write to /dev/aer_inject takes */
struct aer_error_inj {
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
	uint32_t uncor_status;
	uint32_t cor_status;
	uint32_t header_log0;
	uint32_t header_log1;
	uint32_t header_log2;
	uint32_t header_log3;
	uint32_t domain;
};

_Static_assert(sizeof(struct aer_error_inj) == 32, "aer_error_inj layout");

static const struct vt_dev *cur;
static bool loaded_aer_inject;	/* we modprobed it: rmmod at the end */
static char no_inject[160];	/* why errors cannot be injected, "" if they can */

/* ------------------------------------------------------------- sysfs */

static int dev_path(char *buf, size_t len, const char *attr)
{
	return snprintf(buf, len, "/sys/bus/pci/devices/%s/%s", cur->bdf, attr);
}

/* The device's config space as the kernel sees it (aer_inject's too). */
static uint32_t phys_cfg32(unsigned int off)
{
	char path[PATH_MAX];
	uint32_t v = ~0U;
	int fd;

	dev_path(path, sizeof(path), "config");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		vt_fatal("open %s: %s", path, vt_errname(errno));
	if (pread(fd, &v, 4, off) != 4)
		vt_fatal("%s: config read @0x%x failed", cur->bdf, off);
	close(fd);
	return v;
}

/* Offset of the AER extended capability, 0 if none. */
static unsigned int aer_cap(void)
{
	unsigned int pos = 0x100, guard;

	for (guard = 0; pos >= 0x100 && guard < 480; guard++) {
		uint32_t h = phys_cfg32(pos);

		if (!h || h == ~0U)
			return 0;
		if ((h & 0xffff) == PCI_EXT_CAP_ID_ERR)
			return pos;
		pos = (h >> 20) & 0xffc;
	}
	return 0;
}

/* A counter of /sys/.../aer_dev_nonfatal or _fatal; -1 if absent. */
static long aer_count(const char *file, const char *name)
{
	char path[PATH_MAX], line[128];
	size_t n = strlen(name);
	long v = -1;
	FILE *f;

	dev_path(path, sizeof(path), file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && line[n] == ' ') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* The root port above the device ("" if none), from the sysfs path. */
static void root_port(char *rp, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX], *p, *prev = NULL;

	rp[0] = 0;
	dev_path(path, sizeof(path), "");
	if (!realpath(path, real))
		return;
	/* .../pci0000:00/0000:00:13.0/0000:04:00.0: the component after pciD:B */
	p = strstr(real, "/pci");
	if (!p)
		return;
	p = strchr(p + 1, '/');
	if (!p)
		return;
	prev = p + 1;
	p = strchr(prev, '/');
	if (!p)
		return;		/* on the root bus: no root port */
	snprintf(rp, len, "%.*s", (int)(p - prev), prev);
}

/* The root port has the AER port service bound (native AER). */
static bool rp_has_aer_service(const char *rp)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	bool found = false;
	size_t n = strlen(rp);
	ssize_t l;
	DIR *d;

	d = opendir("/sys/bus/pci_express/devices");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, rp, n) || de->d_name[n] != ':')
			continue;
		snprintf(path, sizeof(path),
			 "/sys/bus/pci_express/devices/%s/driver", de->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		found = !strcmp(strrchr(link, '/') + 1, "aer");
	}
	closedir(d);
	return found;
}

/* ------------------------------------------------------ aer_inject */

static int inject(uint32_t uncor)
{
	struct aer_error_inj e = { .uncor_status = uncor };
	unsigned int dom, bus, dev, fn;
	ssize_t n;
	int fd;

	if (sscanf(cur->bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		vt_fatal("bad BDF %s", cur->bdf);
	e.domain = dom;
	e.bus = bus;
	e.dev = dev;
	e.fn = fn;
	fd = open("/dev/aer_inject", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		vt_fatal("open /dev/aer_inject: %s", vt_errname(errno));
	n = write(fd, &e, sizeof(e));
	close(fd);
	if (n < 0)
		return -errno;
	return n == sizeof(e) ? 0 : -EIO;
}

/*
 * The AER core is done with an error: the counter moved past @before
 * and the device's uncorrectable status (aer_inject's fake register)
 * has been cleared, the last step of a successful recovery.
 */
static bool wait_handled(unsigned int aer, const char *file, long before,
			 const char *what)
{
	const char *total = strstr(file, "nonfatal") ? "TOTAL_ERR_NONFATAL" :
			    "TOTAL_ERR_FATAL";
	long now = before;
	uint32_t st = 0;
	int waited;

	for (waited = 0; waited <= WAIT_MS; waited += POLL_MS) {
		now = aer_count(file, total);
		st = phys_cfg32(aer + PCI_ERR_UNCOR_STATUS);
		if (now > before && !st)
			break;
		usleep(POLL_MS * 1000);
	}
	VT_EXPECT(now == before + 1, "%s: %s %s %ld, was %ld", what, file,
		  total, now, before);
	return VT_EXPECT(!st, "%s: uncorrectable status 0x%x not cleared",
			 what, st);
}

/* ------------------------------------------------------- device fd */

struct err_dev {
	struct vt_session s;
	int dev;
	unsigned int aer;
	uint64_t bar0;
	bool e1000e;
};

/* Every test: a PCIe device with AER, errors injectable. */
static void need_aer(struct err_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->aer = aer_cap();
	if (!d->aer)
		vt_skip("%s has no AER capability", cur->bdf);
	if (no_inject[0])
		vt_skip("%s", no_inject);
	d->e1000e = cur->vendor == 0x8086 && cur->device == 0x10d3;
}

static void err_open(struct err_dev *d)
{
	vt_session_open(&d->s, cur, VFIO_TYPE1v2_IOMMU, true);
	d->dev = d->s.device;
	if (!vt_cfg_find_cap(d->dev, PCI_CAP_ID_EXP))
		vt_skip("%s is not PCI Express", cur->bdf);
	d->bar0 = vt_region_offset(d->dev, VFIO_PCI_BAR0_REGION_INDEX);
}

static void err_close(struct err_dev *d)
{
	vt_close(d->dev);
	vt_close(d->s.group);
	vt_close(d->s.container);
}

/* Memory decode on, and on e1000e a register to tell a reset by. */
static void mark(struct err_dev *d, uint32_t val)
{
	vt_cfg_wr16(d->dev, PCI_COMMAND,
		    vt_cfg_rd16(d->dev, PCI_COMMAND) | 0x2 /* MEMORY */);
	if (d->e1000e)
		vt_wr32(d->dev, d->bar0 + E1000E_RDBAL0, val);
}

/* Still usable: IDs through vfio, decode on, the marked register kept. */
static void usable(struct err_dev *d, uint32_t val, const char *what)
{
	VT_EXPECT(vt_cfg_rd16(d->dev, 0) == cur->vendor &&
		  vt_cfg_rd16(d->dev, 2) == cur->device,
		  "%s: IDs %04x:%04x", what, vt_cfg_rd16(d->dev, 0),
		  vt_cfg_rd16(d->dev, 2));
	VT_EXPECT(vt_cfg_rd16(d->dev, PCI_COMMAND) & 0x2,
		  "%s: memory decode off, COMMAND 0x%x", what,
		  vt_cfg_rd16(d->dev, PCI_COMMAND));
	if (d->e1000e)
		VT_EXPECT(vt_rd32(d->dev, d->bar0 + E1000E_RDBAL0) == val,
			  "%s: RDBAL0 0x%x, wrote 0x%x", what,
			  vt_rd32(d->dev, d->bar0 + E1000E_RDBAL0), val);
}

/* Inject a non-fatal UR and wait until the AER core is done with it. */
static void nonfatal(struct err_dev *d, const char *what)
{
	long before = aer_count("aer_dev_nonfatal", "TOTAL_ERR_NONFATAL");
	int r;

	VT_ASSERT(before >= 0, "no aer_dev_nonfatal counters");
	r = inject(PCI_ERR_UNC_UNSUP);
	if (r)
		vt_fatal("%s: aer_inject: %s", what, vt_errname(-r));
	wait_handled(d->aer, "aer_dev_nonfatal", before, what);
	VT_EXPECT_EQ(aer_count("aer_dev_nonfatal", "UnsupReq") >= 1, 1);
}

/* ------------------------------------------------------------ tests */

/* ERR and REQ: one eventfd each, no resize (GET_IRQ_INFO). */
static void t_irq_info(void)
{
	const uint32_t flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	struct vfio_irq_info ii;
	struct err_dev d = { 0 };

	err_open(&d);
	VT_OK(vt_irq_info(d.dev, ERR, &ii));
	VT_EXPECT_EQ(ii.flags, flags);
	VT_EXPECT_EQ(ii.count, 1);
	VT_OK(vt_irq_info(d.dev, REQ, &ii));
	VT_EXPECT_EQ(ii.flags, flags);
	VT_EXPECT_EQ(ii.count, 1);
	err_close(&d);
}

/* SET_IRQS on ERR: the bad requests upstream refuses, and how. */
static void t_set_irqs_bad(void)
{
	int32_t fds[2], minus2 = -2, closed, devnull;
	struct err_dev d = { 0 };
	uint8_t yes = 1, no = 0;
	int efd;

	err_open(&d);
	efd = vt_eventfd();
	fds[0] = efd;
	fds[1] = efd;
	devnull = vt_track(open("/dev/null", O_RDWR | O_CLOEXEC));
	closed = vt_eventfd();	/* closed now: nothing reuses its number */
	vt_close(closed);

	/* one vector: start 1 or count 2 are out of range */
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_EFD | TRIG, ERR, 0, 2, fds,
				 sizeof(fds)), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_EFD | TRIG, ERR, 1, 1, fds, 4),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_NONE | TRIG, ERR, 1, 0, NULL, 0),
		     -EINVAL);
	/* no masking on the error channel */
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_NONE | VFIO_IRQ_SET_ACTION_MASK,
				 ERR, 0, 1, NULL, 0), -ENOTTY);
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
				 ERR, 0, 1, NULL, 0), -ENOTTY);
	VT_EXPECT_EQ(vt_set_irqs_fd(d.dev, ERR, VFIO_IRQ_SET_ACTION_MASK, efd),
		     -ENOTTY);
	/*
	 * Two data types at once are refused by the header checks, two
	 * actions at once name no handler (ENOTTY, as MASK alone).
	 */
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_NONE | D_BOOL | TRIG, ERR, 0, 1,
				 &yes, 1), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_NONE | TRIG |
				 VFIO_IRQ_SET_ACTION_MASK, ERR, 0, 1, NULL, 0),
		     -ENOTTY);
	/* the fd array shorter than count says */
	VT_EXPECT_EQ(vt_set_irqs_argsz(d.dev, sizeof(struct vfio_irq_set) + 3,
				       D_EFD | TRIG, ERR, 0, 1, fds, 4),
		     -EINVAL);
	/* fds: -2, closed, not an eventfd */
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_EFD | TRIG, ERR, 0, 1, &minus2, 4),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_EFD | TRIG, ERR, 0, 1, &closed, 4),
		     -EBADF);
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_EFD | TRIG, ERR, 0, 1, &devnull, 4),
		     -EINVAL);
	/* no trigger yet: loopback and teardown have nothing to act on */
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_NONE | TRIG, ERR, 0, 1, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_NONE | TRIG, ERR, 0, 0, NULL, 0),
		     -EINVAL);
	/* a false BOOL is fine and signals nothing */
	VT_OK(vt_set_irqs(d.dev, D_BOOL | TRIG, ERR, 0, 1, &no, 1));
	/* none of that installed anything: loopback still refused */
	VT_EXPECT_EQ(vt_set_irqs(d.dev, D_NONE | TRIG, ERR, 0, 1, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 0), 0);
	err_close(&d);
}

/*
 * An uncorrectable non-fatal error: the eventfd fires once, the AER
 * core recovers without a reset, the device keeps working; a second
 * error fires it again.
 */
static void t_nonfatal(void)
{
	const uint32_t val = 0x12345000;
	struct err_dev d;
	uint32_t mask, sever;
	int efd;

	need_aer(&d);
	mask = phys_cfg32(d.aer + PCI_ERR_UNCOR_MASK);
	sever = phys_cfg32(d.aer + PCI_ERR_UNCOR_SEVER);
	if (mask & PCI_ERR_UNC_UNSUP)
		vt_skip("Unsupported Request masked (mask 0x%x)", mask);
	VT_ASSERT(!(sever & PCI_ERR_UNC_UNSUP),
		  "Unsupported Request is fatal (severity 0x%x)", sever);
	err_open(&d);
	mark(&d, val);
	efd = vt_eventfd();
	VT_OK_FATAL(vt_set_irqs_fd(d.dev, ERR, TRIG, efd));

	nonfatal(&d, "first error");
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	usable(&d, val, "after a non-fatal error");
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 0), 0);

	nonfatal(&d, "second error");
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	usable(&d, val, "after a second non-fatal error");
	/* the loopback of the same trigger still works */
	VT_OK(vt_set_irqs(d.dev, D_NONE | TRIG, ERR, 0, 1, NULL, 0));
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	err_close(&d);
}

/* Trigger torn down (DATA_NONE count 0, then fd -1): nothing signalled. */
static void t_disabled(void)
{
	const uint32_t val = 0x0badf000;
	struct err_dev d;
	int efd, efd2;

	need_aer(&d);
	err_open(&d);
	mark(&d, val);
	efd = vt_eventfd();
	efd2 = vt_eventfd();

	/* never set: handled the same, no eventfd to signal */
	nonfatal(&d, "no trigger ever set");
	usable(&d, val, "no trigger ever set");

	VT_OK_FATAL(vt_set_irqs_fd(d.dev, ERR, TRIG, efd));
	VT_OK(vt_set_irqs(d.dev, D_NONE | TRIG, ERR, 0, 0, NULL, 0));
	nonfatal(&d, "trigger released by DATA_NONE");
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 500), 0);
	usable(&d, val, "trigger released by DATA_NONE");

	VT_OK_FATAL(vt_set_irqs_fd(d.dev, ERR, TRIG, efd));
	VT_OK(vt_set_irqs_fd(d.dev, ERR, TRIG, -1));
	nonfatal(&d, "trigger released by fd -1");
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 500), 0);

	/* replaced: only the new eventfd fires */
	VT_OK_FATAL(vt_set_irqs_fd(d.dev, ERR, TRIG, efd));
	VT_OK_FATAL(vt_set_irqs_fd(d.dev, ERR, TRIG, efd2));
	nonfatal(&d, "trigger replaced");
	VT_EXPECT_EQ(vt_wait_eventfd(efd2, 1000), 1);
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 0), 0);
	usable(&d, val, "trigger replaced");
	err_close(&d);
}

/*
 * Bound to vfio-pci but closed (runtime suspended): the AER core wakes
 * it, vfio-pci votes to recover, the device opens fine afterwards; the
 * eventfd of the last user was dropped at close.
 */
static void t_closed(void)
{
	struct err_dev d;
	char st[32] = "";
	char path[PATH_MAX];
	int efd;

	need_aer(&d);
	err_open(&d);
	efd = vt_eventfd();
	VT_OK_FATAL(vt_set_irqs_fd(d.dev, ERR, TRIG, efd));
	err_close(&d);

	dev_path(path, sizeof(path), "power/runtime_status");
	vt_sysfs_read(path, st, sizeof(st));
	vt_diag("closed device: runtime_status %s", st);
	nonfatal(&d, "device closed");
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 500), 0);

	err_open(&d);
	VT_EXPECT_EQ(vt_cfg_rd16(d.dev, 0), cur->vendor);
	err_close(&d);
}

/* ------------------------------------------------------------- main */

static const struct vt_test tests[] = {
	{ .name = "irq_info", .fn = t_irq_info },
	{ .name = "set_irqs_bad", .fn = t_set_irqs_bad },
	{ .name = "nonfatal", .fn = t_nonfatal },
	{ .name = "disabled", .fn = t_disabled },
	{ .name = "closed", .fn = t_closed },
};

static void cleanup(void)
{
	if (loaded_aer_inject && system("rmmod aer_inject"))
		vt_diag("rmmod aer_inject failed");
	loaded_aer_inject = false;
}

/* Parent: load aer_inject if needed (unloaded at exit). */
static void setup(void)
{
	if (access("/dev/aer_inject", F_OK) &&
	    system("modprobe aer_inject 2>/dev/null") == 0) {
		loaded_aer_inject = true;
		atexit(cleanup);
	}
	vt_diag("aer_inject: %s", access("/dev/aer_inject", W_OK) ?
		"not available" : loaded_aer_inject ? "loaded by us" :
		"already loaded");
}

/* Per device: can errors be injected? If not, why (the tests skip). */
static void use_device(const struct vt_dev *d)
{
	char rp[64];

	cur = d;
	no_inject[0] = 0;
	root_port(rp, sizeof(rp));
	if (access("/dev/aer_inject", W_OK))
		snprintf(no_inject, sizeof(no_inject),
			 "no /dev/aer_inject (kernel without CONFIG_PCIEAER_INJECT)");
	else if (!rp[0])
		snprintf(no_inject, sizeof(no_inject),
			 "%s has no root port", d->bdf);
	else if (!rp_has_aer_service(rp))
		snprintf(no_inject, sizeof(no_inject),
			 "root port %s has no AER service (AER not native: _OSC, pcie_ports=compat?)",
			 rp);
	else
		vt_diag("%s below root port %s (AER service bound)", d->bdf,
			rp);
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "err", VT_TESTS(tests),
		.devs = VT_DEVS_ANY, .min_devs = 1,
		.setup = setup,
		.cleanup = cleanup,
		.per_device = use_device,
	};
	const char *e = getenv("VFIO_E1000E0");
	char *args[3];
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], "-d", 2) || !strcmp(argv[i], "-h"))
			return vt_main(argc, argv, &suite);
	/* Default device: the test VM's e1000e (AER capable). */
	if (!e || !*e) {
		vt_tap_header();
		printf("1..0 # SKIP no AER-capable device: VFIO_E1000E0 is unset\n");
		return 4;
	}
	args[0] = argv[0];
	args[1] = "-d";
	args[2] = (char *)e;
	return vt_main(3, args, &suite);
}
