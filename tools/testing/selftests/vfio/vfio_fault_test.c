// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault-injection pass: every allocation on the path of an ioctl of
 * the VFIO stack fails once, one after the other, and the stack must
 * cope: the ioctl fails with a sane errno or succeeds, and afterwards the
 * object still works, nothing is left half done, locked_vm is where it
 * was and no fd leaked. Leaks and warnings are the kernel log scan's and
 * kmemleak's to find (the debug VM scans after the suite).
 *
 * How: /proc/thread-self/fail-nth = N makes the Nth fault point the task
 * meets fail (a slab or page allocation, a copy from or to user space).
 * For N = 1, 2, ... the ioctl runs once with N armed; reading fail-nth
 * back tells whether the Nth point was reached ("0": it failed there) or
 * not, which ends the walk: the ioctl has fewer than N points. After
 * each attempt the walk checks the object (the same ioctl without
 * injection succeeds, the effect is all there or not at all, no irq or
 * PCI enable left behind) and undoes the effect for the next round. An
 * errno must be ENOMEM, EFAULT or ENOSPC; SET_IRQS may also return the
 * number of MSI/MSI-X vectors the platform could give (upstream's way of
 * failing when an allocation fails half way).
 *
 * Kernel side (debugfs, restored at exit): failslab and fail_page_alloc
 * skip allocations that may sleep unless ignore-gfp-wait is 0, which
 * would leave out nearly all of ours (GFP_KERNEL); fail_page_alloc skips
 * order 0 unless min-order is 0 (IOMMU page tables are order 0); verbose
 * is set to 0 on every fail* attribute: at its default (2) each injected
 * failure prints a stack dump, which the log scan would take for a
 * report, and the walk records the errno of each failure itself.
 * ignore-gfp-highmem stays set (user and vmalloc pages are not ours to
 * fail); probability stays 0, so nothing fails but the armed task's Nth
 * point, in our code or in the kernel services it calls, except under
 * the kernel code some walks keep out with the stack-trace filter's
 * reject range (struct text_range below).
 *
 * Needs CONFIG_FAULT_INJECTION (fail-nth), FAILSLAB, FAIL_PAGE_ALLOC and
 * debugfs: the debug kernel (tools/testing/kernel). Skips elsewhere.
 *
 *   vfio_fault_test [-d BDF]...   default: the edu devices and $VFIO_NVME0
 *                                 (MSI-X and region capabilities)
 */
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfio_test_lib.h"

/*
 * tools/testing/vm/run-tests.sh looks for this string in a test program:
 * this one runs in the debug VM only (fault injection).
 */
static const char vm_flavour[] __attribute__((used)) =
	"vfio-test-vm: debug";

#define P		VT_PAGE
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define IOVA		0x100000ULL
#define LARGE_PAGES	1024		/* 4 MiB, scattered: many runs */
#define MAX_STEPS	1000	/* fault points per ioctl, at most */
#define MSIX_NVEC	4
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define DBG		"/sys/kernel/debug"

#define INTX		VFIO_PCI_INTX_IRQ_INDEX
#define MSI		VFIO_PCI_MSI_IRQ_INDEX
#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define TRIG		VFIO_IRQ_SET_ACTION_TRIGGER
#define D_NONE		VFIO_IRQ_SET_DATA_NONE
#define D_EFD		VFIO_IRQ_SET_DATA_EVENTFD

#define PCI_CAP_ID_MSIX	0x11
#define PM_PRESENT	(1ULL << 63)		/* /proc/self/pagemap */
#define PM_PFN		((1ULL << 55) - 1)
#define EDU_RAISE_BIT	0x4
#define IOEV_DATA	0x1234abcdU

/*
 * edu0: the container, group and type1 walks; dev_edu: the device
 * walks, edu1 when there are two edus. Its session (container, group,
 * device) is then opened once by the parent and inherited by every test:
 * edu resets only by a bus reset, which sleeps 1.1 s behind QEMU's root
 * ports (no link active reporting), at each open and each close.
 */
static const struct vt_dev *edu0, *edu1, *dev_edu, *msix_dev;
static struct vt_session held = { -1, -1, -1 };
/* Set by VFIO_FAULT_TESTS: run the walks left out by default for time. */
static bool run_extra;
static double t_start;

/* ------------------------------------------------------ debugfs knobs */

struct knob {
	char path[PATH_MAX];
	char orig[32];
	bool changed;
};

static struct knob knobs[32];
static int nknobs;

static int knob_set(const char *path, const char *val)
{
	struct knob *k;
	int ret;

	if (nknobs == (int)ARRAY_SIZE(knobs))
		return -ENOSPC;
	k = &knobs[nknobs];
	snprintf(k->path, sizeof(k->path), "%s", path);
	ret = vt_sysfs_read(path, k->orig, sizeof(k->orig));
	if (ret < 0)
		return ret;
	nknobs++;
	if (!strcmp(k->orig, val))
		return 0;
	ret = vt_sysfs_write(path, val);
	k->changed = !ret;
	return ret;
}

/* Exit, signal or end of the tests: let go of the device, undo knobs. */
static void restore_all(void)
{
	int i;

	/* first: the devices cannot be unbound while we hold them */
	if (held.device >= 0) {
		close(held.device);
		close(held.group);
		close(held.container);
		held.device = -1;
	}

	for (i = nknobs - 1; i >= 0; i--) {
		if (knobs[i].changed)
			vt_sysfs_write(knobs[i].path, knobs[i].orig);
		knobs[i].changed = false;
	}
}

static void on_signal(int sig)
{
	restore_all();
	vt_restore_devices();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Why the pass cannot run here, or NULL. Checked before any device is
 * bound: a kernel without fault injection skips the whole program.
 */
static const char *no_fault_injection(void)
{
	static char why[160];
	static const char * const attrs[] = { "failslab", "fail_page_alloc" };
	char path[PATH_MAX];
	size_t i;

	if (access(FAIL_NTH, W_OK))
		return "no " FAIL_NTH " (no CONFIG_FAULT_INJECTION)";
	if (access(DBG "/failslab", F_OK) &&
	    system("mount -t debugfs debugfs " DBG " 2>/dev/null") != 0)
		return "cannot mount debugfs";
	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), DBG "/%s/probability", attrs[i]);
		if (access(path, W_OK)) {
			snprintf(why, sizeof(why), "no %s (kernel without its "
				 "fault injection or debugfs)", path);
			return why;
		}
		/* random failures in every task would make a mess of it */
		if (vt_sysfs_read_num(path) != 0) {
			snprintf(why, sizeof(why), "%s is not 0: random fault "
				 "injection is on", path);
			return why;
		}
	}
	return NULL;
}

/*
 * Kernel text whose allocations a walk must not fail (the stack-trace
 * filter's reject range of failslab and fail_page_alloc): kernel code
 * that is not ours, does not cope, and would only make noise.
 */
struct text_range {
	const char *what;
	unsigned long start, end;
};

/*
 * 6.12's register_irq_proc() ignores failures to create the files of
 * /proc/irq/N/ (smp_affinity, ...), and unregister_irq_proc() removes
 * them all regardless: remove_proc_entry() WARNs once for each missing
 * one when the irq is freed (kernel/irq/proc.c, fs/proc/generic.c).
 */
static struct text_range irq_proc = { .what = "register_irq_proc" };
/*
 * pci_enable_device() and pci_disable_device() evaluate the root port's
 * _PRT for the INTx route: hundreds of allocations in the ACPI
 * interpreter, each failure only costing the route ("PCI INT A: no
 * GSI"). Walking them would take minutes on the debug kernel (0.4 s an
 * evaluation) and test ACPICA, not us.
 */
static struct text_range acpica = { .what = "the ACPI interpreter" };

static bool is_acpi_sym(const char *name)
{
	return !strncmp(name, "acpi_", 5) || !strncmp(name, "__pfx_acpi_", 11);
}

/*
 * From /proc/kallsyms (sorted by address): register_irq_proc up to the
 * next text symbol, and ACPICA as the longest run of consecutive text
 * symbols named acpi_* (its functions all are; the rest of drivers/acpi
 * mixes in static helpers with other names).
 */
static void find_ranges(void)
{
	unsigned long addr, run_start = 0;
	char line[512], name[256], type;
	size_t run = 0, best = 0;
	bool in_irq_proc = false;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %255s", &addr, &type, name) != 3)
			continue;
		if (strchr(line, '['))
			break;		/* module symbols follow */
		if (type != 't' && type != 'T')
			continue;
		if (in_irq_proc && addr > irq_proc.start) {
			irq_proc.end = addr;
			in_irq_proc = false;
		}
		if (!strcmp(name, "register_irq_proc")) {
			irq_proc.start = addr;
			in_irq_proc = true;
		}
		if (is_acpi_sym(name)) {
			if (!run++)
				run_start = addr;
			continue;
		}
		if (run > best) {
			best = run;
			acpica.start = run_start;
			acpica.end = addr;
		}
		run = 0;
		/* no other run comes near ACPICA's (~1400): stop reading */
		if (best >= 500 && irq_proc.end)
			break;
	}
	fclose(f);
	/* hidden addresses (kptr_restrict) read as 0 */
	if (!irq_proc.end)
		irq_proc.start = 0;
	if (best < 100)
		acpica.start = 0;
}

static const char * const reject_knobs[] = {
	DBG "/failslab/reject-start", DBG "/failslab/reject-end",
	DBG "/fail_page_alloc/reject-start", DBG "/fail_page_alloc/reject-end",
};

/* Set (or with NULL clear) the range no fault is injected under. */
static int reject_set(const struct text_range *r)
{
	char v[2][32];
	size_t i;
	int ret;

	snprintf(v[0], sizeof(v[0]), "0x%lx", r ? r->start : 0);
	snprintf(v[1], sizeof(v[1]), "0x%lx", r ? r->end : 0);
	for (i = 0; i < ARRAY_SIZE(reject_knobs); i++) {
		ret = vt_sysfs_write(reject_knobs[i], v[i % 2]);
		if (ret)
			return ret;
	}
	return 0;
}

static void reject_clear(void)
{
	reject_set(NULL);
}

static void knobs_setup(void)
{
	glob_t g;
	size_t i;

	atexit(restore_all);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (knob_set(DBG "/failslab/ignore-gfp-wait", "N") ||
	    knob_set(DBG "/fail_page_alloc/ignore-gfp-wait", "N") ||
	    knob_set(DBG "/fail_page_alloc/min-order", "0"))
		vt_bail("cannot set the fault injection knobs in " DBG);
	/* without the stack-trace filter the walks that need it skip */
	if (!access(reject_knobs[0], W_OK)) {
		for (i = 0; i < ARRAY_SIZE(reject_knobs); i++)
			if (knob_set(reject_knobs[i], "0x0"))
				vt_bail("cannot write %s", reject_knobs[i]);
		if (knob_set(DBG "/failslab/stacktrace-depth", "32") ||
		    knob_set(DBG "/fail_page_alloc/stacktrace-depth", "32"))
			vt_bail("cannot set the stack-trace filter depth");
		find_ranges();
	}
	if (!glob(DBG "/fail*/verbose", 0, NULL, &g)) {
		for (i = 0; i < g.gl_pathc; i++)
			if (knob_set(g.gl_pathv[i], "0"))
				vt_bail("cannot write %s", g.gl_pathv[i]);
		globfree(&g);
	}
}

/* ------------------------------------------------------------ helpers */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether a line of /proc/interrupts contains @needle. */
static bool irq_line(const char *needle)
{
	char line[4096];
	bool found = false;
	FILE *f;

	f = fopen("/proc/interrupts", "re");
	if (!f)
		vt_fatal("/proc/interrupts: %s", vt_errname(errno));
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle);
	fclose(f);
	return found;
}

/* Linux irqs allocated for MSI/MSI-X of @d (sysfs msi_irqs). */
static int msi_irqs(const struct vt_dev *d)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs",
		 d->bdf);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* The PCI core's enable count of @d is not zero. */
static bool pci_enabled(const struct vt_dev *d)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", d->bdf);
	return vt_sysfs_read_num(path) > 0;
}

static uint64_t unmap_size(int c, uint64_t iova, uint64_t size)
{
	uint64_t done = 0;
	int ret = vt_unmap(c, iova, size, 0, &done);

	if (ret)
		vt_fatal("UNMAP_DMA 0x%llx+0x%llx: %s",
			 (unsigned long long)iova, (unsigned long long)size,
			 vt_errname(-ret));
	return done;
}

/*
 * A session with @d's device open: the parent's when it holds one for
 * @d (not to be closed: vt_session_open() tracks, this does not).
 */
static void open_device(struct vt_session *s, const struct vt_dev *d)
{
	if (d == dev_edu && held.device >= 0)
		*s = held;
	else
		vt_session_open(s, d, VFIO_TYPE1v2_IOMMU, true);
}

/* --------------------------------------------------------- the walker */

/*
 * One walk: the ioctl(fd, cmd, arg) of @name, with hooks run without
 * injection around each attempt. setup() prepares the object (may set
 * fd and arg), unchanged() checks it after a failed attempt, done()
 * checks the effect of a successful one (@ret: the ioctl's return) and
 * undoes it and whatever setup() made; it runs after every step that
 * ends with the ioctl done (the attempt, or the same call without
 * injection after a failed one). Every hook is optional.
 */
struct walk {
	const char *name;
	int fd;
	unsigned long cmd;
	void *arg;
	bool returns_fd;	/* success is ret >= 0, not ret == 0 */
	bool returns_count;	/* ret > 0: vectors available instead */
	/*
	 * After a failure the next step's attempt, which goes past the
	 * point that failed, is the proof that the object still works
	 * (and the last step's, which meets no fault): for an ioctl too
	 * slow to run twice a step.
	 */
	bool recover_next;
	const struct text_range *reject;	/* never failed under this */
	void (*setup)(struct walk *w);
	void (*unchanged)(struct walk *w, int err);
	void (*done)(struct walk *w, long ret);
	void *priv;
};

struct errno_count {
	int err;
	unsigned int n;
};

static int fnth = -1;

/*
 * The ioctl with fail-nth armed at @n. Nothing but the ioctl may run in
 * between: every fault point of the task counts, and all memory used
 * here was touched before. Reading fail-nth back while it is still
 * armed meets a fault point itself (the copy to user space): a failed
 * read, like any value but 0, means the Nth point was not reached.
 */
static long attempt(struct walk *w, unsigned int n, int *err, bool *hit)
{
	char arm[16], back[16];
	ssize_t got;
	int len;
	long ret;

	len = snprintf(arm, sizeof(arm), "%u", n);
	memset(back, 0, sizeof(back));
	if (write(fnth, arm, len) != len)
		vt_fatal("arming %s: %s", FAIL_NTH, vt_errname(errno));
	ret = ioctl(w->fd, w->cmd, w->arg);
	*err = errno;
	got = pread(fnth, back, sizeof(back) - 1, 0);
	/* disarm; when armed at 1 this write's own copy fails: disarmed too */
	if (write(fnth, "0", 1) != 1 && errno != EFAULT)
		vt_fatal("disarming %s: %s", FAIL_NTH, vt_errname(errno));
	*hit = got > 0 && back[0] == '0';
	return ret;
}

/* The errnos an injected failure may give. */
static bool sane_errno(int err)
{
	/*
	 * ENOMEM: an allocation failed; EFAULT: a copy from or to user
	 * space; ENOSPC: the irq domain's answer when it could allocate no
	 * vector at all (msi_handle_pci_fail()).
	 */
	return err == ENOMEM || err == EFAULT || err == ENOSPC;
}

/* An errno, or for err < 0 the count a SET_IRQS returned instead. */
static const char *err_name(int err, char *buf, size_t len)
{
	if (err >= 0)
		return vt_errname(err);
	snprintf(buf, len, "returned %d", -err);
	return buf;
}

static void count_errno(struct errno_count *ec, size_t max, int err)
{
	size_t i;

	for (i = 0; i < max && ec[i].n; i++) {
		if (ec[i].err == err) {
			ec[i].n++;
			return;
		}
	}
	if (i < max) {
		ec[i].err = err;
		ec[i].n = 1;
	}
}

static bool call_ok(const struct walk *w, long ret)
{
	return w->returns_fd ? ret >= 0 : ret == 0;
}

static void walk(struct walk *w)
{
	struct errno_count ec[8] = { 0 };
	unsigned int n, points = 0, failed = 0, tolerated = 0;
	char errs[256] = "", eb[32], eb2[32];
	long lk0, ret, lk;
	int fds0, fds, err;
	double t0 = now(), t1 = 0;
	bool hit = true;
	size_t i, off;

	if (w->reject && !w->reject->start)
		vt_skip("cannot keep faults out of %s (no stack-trace filter, "
			"or no address in /proc/kallsyms)", w->reject->what);
	if (fnth < 0) {
		fnth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
		if (fnth < 0)
			vt_fatal("open %s: %s", FAIL_NTH, vt_errname(errno));
		vt_track(fnth);
	}
	if (w->reject && reject_set(w->reject))
		vt_fatal("cannot set the stack-trace filter");
	lk0 = vt_locked_kb();
	fds0 = vt_count_fds();

	/* One round without injection first: the ioctl works, pages touched. */
	for (n = 0; n <= MAX_STEPS && hit; n++) {
		if (w->setup)
			w->setup(w);
		if (n) {
			ret = attempt(w, n, &err, &hit);
		} else {
			ret = ioctl(w->fd, w->cmd, w->arg);
			err = errno;
		}
		if (!call_ok(w, ret)) {
			if (ret > 0)
				err = -(int)ret;
			if (!n || !hit)
				vt_fatal("%s: failed without an injected fault "
					 "(step %u%s): %s", w->name, n,
					 w->recover_next && n ?
					 ", the one after a fault" : "",
					 err_name(err, eb, sizeof(eb)));
			failed++;
			count_errno(ec, ARRAY_SIZE(ec), err);
			if (err < 0 ? !w->returns_count : !sane_errno(err))
				vt_fail("%s: fault %u: unexpected %s", w->name,
					n, err_name(err, eb, sizeof(eb)));
			if (w->unchanged)
				w->unchanged(w, err);
			/* still usable: the same call without injection */
			ret = -1;
			if (!w->recover_next)
				ret = ioctl(w->fd, w->cmd, w->arg);
			if (!w->recover_next && !call_ok(w, ret))
				vt_fatal("%s: after fault %u (%s) the ioctl "
					 "fails without injection: %s", w->name,
					 n, err_name(err, eb, sizeof(eb)),
					 err_name(ret > 0 ? -(int)ret : errno,
						  eb2, sizeof(eb2)));
		} else if (n && hit) {
			tolerated++;
		}
		if (n && hit)
			points++;
		if (w->done && call_ok(w, ret))
			w->done(w, ret);

		lk = vt_locked_kb();
		fds = vt_count_fds();
		if (lk != lk0)
			vt_fatal("%s: step %u: locked_vm %ld kB, %ld kB before",
				 w->name, n, lk, lk0);
		if (fds != fds0)
			vt_fatal("%s: step %u: %d fds open, %d before", w->name,
				 n, fds, fds0);
		if (!n)
			t1 = now() - t0;
	}
	if (w->reject)
		reject_set(NULL);
	if (hit)
		vt_fail("%s: still hitting fault points after %u steps",
			w->name, MAX_STEPS);

	for (i = 0, off = 0; i < ARRAY_SIZE(ec) && ec[i].n; i++)
		off += snprintf(errs + off, sizeof(errs) - off, "%s%s x%u",
				i ? ", " : "",
				err_name(ec[i].err, eb, sizeof(eb)), ec[i].n);
	vt_diag("%s: %u fault points%s%s, %u failed the ioctl (%s), "
		"%u tolerated; %.1f s (%.0f ms a round without injection)",
		w->name, points, w->reject ? " outside " : "",
		w->reject ? w->reject->what : "", failed, failed ? errs : "-",
		tolerated, now() - t0, t1 * 1000);
}

/* ----------------------------------------------------- container/group */

struct grp_ctx {
	const struct vt_dev *d;
	int container, group;
	char *buf;
};

/* A quick proof that the container works: map and unmap a page. */
static void check_map_works(int c, char *buf)
{
	VT_OK(vt_map(c, buf, IOVA, P, RW));
	VT_EXPECT_EQ(unmap_size(c, IOVA, P), P);
}

static void set_iommu_setup(struct walk *w)
{
	struct grp_ctx *x = w->priv;

	x->container = vt_open_container();
	x->group = vt_open_group(x->d);
	vt_set_container(x->group, x->container);
	w->fd = x->container;
}

static void set_iommu_unchanged(struct walk *w, int err)
{
	struct grp_ctx *x = w->priv;

	(void)err;
	/* no backend: type1 ioctls are not there */
	VT_EXPECT_EQ(vt_map(x->container, x->buf, IOVA, P, RW), -EINVAL);
}

static void set_iommu_done(struct walk *w, long ret)
{
	struct grp_ctx *x = w->priv;

	(void)ret;
	check_map_works(x->container, x->buf);
	vt_close(x->group);
	vt_close(x->container);
}

static void t_set_iommu(void)
{
	struct grp_ctx x = { .d = edu0, .buf = vt_alloc(P) };
	struct walk w = {
		.name = "SET_IOMMU(TYPE1v2)", .cmd = VFIO_SET_IOMMU,
		.arg = (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU,
		.setup = set_iommu_setup, .unchanged = set_iommu_unchanged,
		.done = set_iommu_done, .priv = &x,
	};

	walk(&w);
}

static uint32_t group_flags(int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st))
		vt_fatal("GROUP_GET_STATUS: %s", vt_errname(errno));
	return st.flags;
}

static void set_container_setup(struct walk *w)
{
	struct grp_ctx *x = w->priv;

	x->container = vt_open_container();
	x->group = vt_open_group(x->d);
	w->fd = x->group;
	w->arg = &x->container;
}

static void set_container_unchanged(struct walk *w, int err)
{
	struct grp_ctx *x = w->priv;

	(void)err;
	VT_EXPECT_EQ(group_flags(x->group) & VFIO_GROUP_FLAGS_CONTAINER_SET,
		     0);
}

static void set_container_done(struct walk *w, long ret)
{
	struct grp_ctx *x = w->priv;

	(void)ret;
	VT_EXPECT(group_flags(x->group) & VFIO_GROUP_FLAGS_CONTAINER_SET,
		  "container not set");
	vt_set_iommu(x->container, VFIO_TYPE1v2_IOMMU);
	check_map_works(x->container, x->buf);
	vt_close(x->group);
	vt_close(x->container);
}

static void t_set_container(void)
{
	struct grp_ctx x = { .d = edu0, .buf = vt_alloc(P) };
	struct walk w = {
		.name = "GROUP_SET_CONTAINER", .cmd = VFIO_GROUP_SET_CONTAINER,
		.setup = set_container_setup,
		.unchanged = set_container_unchanged,
		.done = set_container_done, .priv = &x,
	};

	walk(&w);
}

/*
 * A second group joins a container that has a backend and a mapping:
 * type1 attaches it to an IOMMU domain and maps what is mapped.
 */
struct live_ctx {
	struct vt_session s;
	const struct vt_dev *join;
	int group;
	char *buf;
};

static void live_setup(struct walk *w)
{
	struct live_ctx *x = w->priv;

	x->group = vt_open_group(x->join);
	w->fd = x->group;
	w->arg = &x->s.container;
}

static void live_unchanged(struct walk *w, int err)
{
	struct live_ctx *x = w->priv;

	(void)err;
	VT_EXPECT_EQ(group_flags(x->group) & VFIO_GROUP_FLAGS_CONTAINER_SET,
		     0);
}

static void live_done(struct walk *w, long ret)
{
	struct live_ctx *x = w->priv;

	(void)ret;
	VT_EXPECT(group_flags(x->group) & VFIO_GROUP_FLAGS_CONTAINER_SET,
		  "container not set");
	VT_OK(ioctl(x->group, VFIO_GROUP_UNSET_CONTAINER));
	vt_close(x->group);
}

static void t_set_container_live(void)
{
	struct live_ctx x;
	struct walk w = {
		.name = "GROUP_SET_CONTAINER (live container)",
		.cmd = VFIO_GROUP_SET_CONTAINER,
		.setup = live_setup, .unchanged = live_unchanged,
		.done = live_done, .priv = &x,
	};

	/* any other device's group joins; edu1 may be the parent's */
	x.join = msix_dev ? msix_dev : held.device < 0 ? edu1 : NULL;
	if (!x.join)
		vt_skip("needs a second device in a group of its own");
	x.buf = vt_alloc(4 * P);
	vt_session_open(&x.s, edu0, VFIO_TYPE1v2_IOMMU, false);
	VT_OK_FATAL(vt_map(x.s.container, x.buf, IOVA, 4 * P, RW));
	walk(&w);
	VT_EXPECT_EQ(unmap_size(x.s.container, IOVA, 4 * P), 4 * P);
}

/* --------------------------------------------------- GET_DEVICE_FD */

struct devfd_ctx {
	struct vt_session s;
	const struct vt_dev *d;
};

static void devfd_unchanged(struct walk *w, int err)
{
	struct devfd_ctx *x = w->priv;

	(void)err;
	/* a failed open leaves the device as it found it: not enabled */
	VT_EXPECT(!pci_enabled(x->d), "%s: PCI device left enabled",
		  x->d->bdf);
}

static void devfd_done(struct walk *w, long ret)
{
	struct devfd_ctx *x = w->priv;
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int dev = vt_track((int)ret);

	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	VT_EXPECT_EQ(vt_cfg_rd16(dev, 0), x->d->vendor);
	vt_close(dev);
	VT_EXPECT(!pci_enabled(x->d), "%s: PCI device enabled after close",
		  x->d->bdf);
}

static void devfd_walk(const struct vt_dev *d)
{
	struct devfd_ctx x = { .d = d };
	char name[96];
	struct walk w = {
		.name = name, .cmd = VFIO_GROUP_GET_DEVICE_FD,
		.returns_fd = true, .reject = &acpica, .recover_next = true,
		.unchanged = devfd_unchanged, .done = devfd_done, .priv = &x,
	};

	snprintf(name, sizeof(name), "GROUP_GET_DEVICE_FD(%s)", d->bdf);
	if (pci_enabled(d))
		vt_skip("%s is enabled while nobody has it open", d->bdf);
	vt_session_open(&x.s, d, VFIO_TYPE1v2_IOMMU, false);
	w.fd = x.s.group;
	w.arg = (void *)d->bdf;
	walk(&w);
}

/*
 * On the MSI-X device (the test VM's NVMe: PCIe, MSI-X and PM
 * capabilities, more config space to virtualize than edu's; it resets
 * by FLR). An open and a close take 1.5 s on the debug kernel; edu's
 * bus resets would add 2.2 s to every step.
 */
static void t_get_device_fd(void)
{
	if (!msix_dev)
		vt_skip("needs a non-edu device with MSI-X ($VFIO_NVME0)");
	devfd_walk(msix_dev);
}

/* --------------------------------------------------------- MAP / UNMAP */

struct map_ctx {
	struct vt_session s;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	uint64_t size;
};

static void map_unchanged(struct walk *w, int err)
{
	struct map_ctx *x = w->priv;

	(void)err;
	/* nothing of it is mapped, nothing pinned (locked_vm: the walker) */
	VT_EXPECT_EQ(unmap_size(x->s.container, x->map.iova, x->size), 0);
}

static void map_done(struct walk *w, long ret)
{
	struct map_ctx *x = w->priv;

	(void)ret;
	VT_EXPECT_EQ(unmap_size(x->s.container, x->map.iova, x->size),
		     x->size);
}

static void map_walk(const char *name, void *buf, uint64_t size)
{
	struct map_ctx x = { .size = size };
	struct walk w = {
		.name = name, .cmd = VFIO_IOMMU_MAP_DMA, .arg = &x.map,
		.unchanged = map_unchanged, .done = map_done, .priv = &x,
	};

	vt_session_open(&x.s, edu0, VFIO_TYPE1v2_IOMMU, false);
	x.map.argsz = sizeof(x.map);
	x.map.flags = RW;
	x.map.vaddr = (uintptr_t)buf;
	x.map.iova = IOVA;
	x.map.size = size;
	w.fd = x.s.container;
	walk(&w);
}

static void t_map_dma_4k(void)
{
	map_walk("MAP_DMA(4 KiB)", vt_alloc(P), P);
}

/*
 * LARGE_PAGES pages whose physical pages are not in order: touched (so
 * allocated) in a stride order, hardly two neighbours are contiguous and
 * nearly every page is a run of its own: several run blocks, several GUP
 * batches and iommu_map_sg() calls, each of which can fail with the ones
 * before it done.
 */
static char *scattered(size_t npages)
{
	char *p;
	size_t i;

	p = mmap(NULL, npages * P, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		vt_fatal("mmap: %s", vt_errname(errno));
	madvise(p, npages * P, MADV_NOHUGEPAGE);
	for (i = 0; i < npages; i++)
		p[(i * 97) % npages * P] = 1;	/* 97: coprime to npages */
	return p;
}

/* Physically contiguous runs of [@p, @p + @npages pages), 0 if unknown. */
static size_t phys_runs(const char *p, size_t npages)
{
	uint64_t e, prev = 0;
	size_t i, runs = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (i = 0; i < npages; i++) {
		if (pread(fd, &e, sizeof(e), ((uintptr_t)p / P + i) * 8) !=
		    sizeof(e) || !(e & PM_PRESENT) || !(e & PM_PFN)) {
			runs = 0;
			break;
		}
		e &= PM_PFN;
		runs += !i || e != prev + 1;
		prev = e;
	}
	close(fd);
	return runs;
}

static void t_map_dma_large(void)
{
	char *p = scattered(LARGE_PAGES);

	vt_diag("%zu physically contiguous runs in %d pages",
		phys_runs(p, LARGE_PAGES), LARGE_PAGES);
	map_walk("MAP_DMA(4 MiB, scattered pages)", p, LARGE_PAGES * P);
}

/*
 * Neither upstream type1 nor ours splits a mapping: v2 refuses a partial
 * unmap (EINVAL), v1 unmaps every mapping whose first page is in range,
 * whole. So the unmap that would split one, in v1: 1 page of a 4-page
 * mapping. After a failure the mapping is all there, or, when only the
 * final copy of the unmapped size to user space failed (EFAULT), all
 * gone; never in part.
 */
static void unmap_setup(struct walk *w)
{
	struct map_ctx *x = w->priv;

	VT_OK_FATAL(ioctl(x->s.container, VFIO_IOMMU_MAP_DMA, &x->map));
	x->unmap.argsz = sizeof(x->unmap);
	x->unmap.flags = 0;
	x->unmap.iova = IOVA;
	x->unmap.size = P;
}

static void unmap_unchanged(struct walk *w, int err)
{
	struct map_ctx *x = w->priv;
	uint64_t left;

	left = unmap_size(x->s.container, IOVA, x->size);
	VT_EXPECT(left == x->size || (left == 0 && err == EFAULT),
		  "after a failed unmap (%s) 0x%llx of 0x%llx bytes were "
		  "still mapped", vt_errname(err), (unsigned long long)left,
		  (unsigned long long)x->size);
	/* map again for the call without injection */
	VT_OK_FATAL(ioctl(x->s.container, VFIO_IOMMU_MAP_DMA, &x->map));
	x->unmap.size = P;
}

static void unmap_done(struct walk *w, long ret)
{
	struct map_ctx *x = w->priv;

	(void)ret;
	VT_EXPECT_EQ(x->unmap.size, x->size);
	VT_EXPECT_EQ(unmap_size(x->s.container, IOVA, x->size), 0);
}

static void t_unmap_dma(void)
{
	struct map_ctx x = { .size = 4 * P };
	struct walk w = {
		.name = "UNMAP_DMA(v1, first page of 4)",
		.cmd = VFIO_IOMMU_UNMAP_DMA, .arg = &x.unmap,
		.setup = unmap_setup, .unchanged = unmap_unchanged,
		.done = unmap_done, .priv = &x,
	};

	vt_session_open(&x.s, edu0, VFIO_TYPE1_IOMMU, false);
	x.map.argsz = sizeof(x.map);
	x.map.flags = RW;
	x.map.vaddr = (uintptr_t)vt_alloc(x.size);
	x.map.iova = IOVA;
	x.map.size = x.size;
	w.fd = x.s.container;
	walk(&w);
}

/* ------------------------------------------------------ GET_INFO caps */

struct info_ctx {
	unsigned char ref[1024];
	unsigned char buf[1024];
	uint32_t argsz;
	size_t minsz;		/* bytes of the header to restore */
	unsigned char hdr[64];
};

static void info_setup(struct walk *w)
{
	struct info_ctx *x = w->priv;

	memset(x->buf, 0, sizeof(x->buf));
	memcpy(x->buf, x->hdr, x->minsz);
}

static void info_done(struct walk *w, long ret)
{
	struct info_ctx *x = w->priv;

	(void)ret;
	VT_EXPECT(!memcmp(x->buf, x->ref, x->argsz),
		  "%s: the reply differs from the one without injection",
		  w->name);
}

/* Run the walk for an info ioctl whose reply must always be @x->ref. */
static void info_walk(struct walk *w, struct info_ctx *x)
{
	w->arg = x->buf;
	w->setup = info_setup;
	w->done = info_done;
	w->priv = x;
	info_setup(w);
	if (ioctl(w->fd, w->cmd, x->buf))
		vt_fatal("%s: %s", w->name, vt_errname(errno));
	memcpy(&x->argsz, x->buf, sizeof(x->argsz));
	if (x->argsz > sizeof(x->buf))
		vt_fatal("%s needs %u bytes", w->name, x->argsz);
	memcpy(x->ref, x->buf, sizeof(x->ref));
	walk(w);
}

static void t_get_info(void)
{
	struct vfio_iommu_type1_info *info;
	struct vt_session s;
	struct info_ctx x;
	struct walk w = {
		.name = "IOMMU_GET_INFO (capability chain)",
		.cmd = VFIO_IOMMU_GET_INFO,
	};

	memset(&x, 0, sizeof(x));
	vt_session_open(&s, edu0, VFIO_TYPE1v2_IOMMU, false);
	info = (void *)x.hdr;
	info->argsz = sizeof(x.buf);
	x.minsz = sizeof(*info);
	w.fd = s.container;
	info_walk(&w, &x);
	info = (void *)x.ref;
	VT_EXPECT(info->flags & VFIO_IOMMU_INFO_CAPS, "no capability chain");
}

static void t_get_region_info(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info *ri;
	struct vt_session s;
	struct info_ctx x;
	struct walk w = { .cmd = VFIO_DEVICE_GET_REGION_INFO };
	char name[96];
	unsigned int i;

	if (!msix_dev)
		vt_skip("needs a non-edu device with MSI-X ($VFIO_NVME0)");
	vt_session_open(&s, msix_dev, VFIO_TYPE1v2_IOMMU, true);
	VT_OK_FATAL(ioctl(s.device, VFIO_DEVICE_GET_INFO, &di));
	/* the first region with a capability chain (the MSI-X BAR) */
	for (i = 0; i < di.num_regions; i++) {
		memset(&x, 0, sizeof(x));
		ri = (void *)x.buf;
		ri->argsz = sizeof(x.buf);
		ri->index = i;
		if (!ioctl(s.device, VFIO_DEVICE_GET_REGION_INFO, ri) &&
		    ri->flags & VFIO_REGION_INFO_FLAG_CAPS && ri->cap_offset)
			break;
	}
	if (i == di.num_regions)
		vt_skip("%s: no region has capabilities", msix_dev->bdf);
	ri = (void *)x.hdr;
	ri->argsz = sizeof(x.buf);
	ri->index = i;
	x.minsz = sizeof(*ri);
	snprintf(name, sizeof(name), "DEVICE_GET_REGION_INFO(%s, region %u)",
		 msix_dev->bdf, i);
	w.name = name;
	w.fd = s.device;
	info_walk(&w, &x);
}

static void t_hot_reset_info(void)
{
	struct vfio_pci_hot_reset_info *h;
	struct vt_session s;
	struct info_ctx x;
	struct walk w = {
		.name = "DEVICE_GET_PCI_HOT_RESET_INFO",
		.cmd = VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
	};

	memset(&x, 0, sizeof(x));
	open_device(&s, dev_edu);
	h = (void *)x.hdr;
	h->argsz = sizeof(x.buf);
	x.minsz = sizeof(*h);
	w.fd = s.device;
	if (ioctl(s.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, x.hdr))
		vt_skip("no hot reset for %s: %s", dev_edu->bdf,
			vt_errname(errno));
	/* the reply rewrote the header: set it up again */
	memset(x.hdr, 0, sizeof(x.hdr));
	h->argsz = sizeof(x.buf);
	info_walk(&w, &x);
}

/* --------------------------------------------------------- SET_IRQS */

struct irq_ctx {
	struct vt_session s;
	struct vt_edu e;
	const struct vt_dev *d;
	uint32_t index;
	unsigned int nvec;
	int efd[MSIX_NVEC];
	char needle[64];	/* /proc/interrupts name of vector 0 */
	struct {
		struct vfio_irq_set set;
		int32_t fds[MSIX_NVEC];
	} req;
};

static void irq_open(struct irq_ctx *x, const struct vt_dev *d,
		     uint32_t index, unsigned int nvec)
{
	unsigned int v;

	memset(x, 0, sizeof(*x));
	x->d = d;
	x->index = index;
	x->nvec = nvec;
	open_device(&x->s, d);
	x->e.dev = x->s.device;
	if (vt_dev_is_edu(d))
		vt_edu_enable(&x->e);
	for (v = 0; v < nvec; v++)
		x->efd[v] = vt_eventfd();
	snprintf(x->needle, sizeof(x->needle), "vfio-%s(%s)",
		 index == INTX ? "intx" : index == MSI ? "msi[0]" : "msix[0]",
		 d->bdf);
	x->req.set.argsz = sizeof(x->req.set) + nvec * sizeof(int32_t);
	x->req.set.flags = D_EFD | TRIG;
	x->req.set.index = index;
	x->req.set.count = nvec;
	memcpy(x->req.fds, x->efd, nvec * sizeof(int32_t));
}

static void irq_unchanged(struct walk *w, int err)
{
	struct irq_ctx *x = w->priv;

	(void)err;
	VT_EXPECT(!irq_line(x->needle), "%s still in /proc/interrupts",
		  x->needle);
	if (x->index != INTX)
		VT_EXPECT_EQ(msi_irqs(x->d), 0);
}

/* edu raises its interrupt (INTx or MSI, whichever is on). */
static void edu_irq_works(struct irq_ctx *x)
{
	bool fired;

	vt_edu_wr(&x->e, EDU_REG_IRQ_RAISE, EDU_RAISE_BIT);
	fired = vt_wait_eventfd(x->efd[0], 3000) >= 1;
	vt_edu_wr(&x->e, EDU_REG_IRQ_ACK, EDU_RAISE_BIT);
	if (x->index == INTX)
		VT_OK(vt_set_irqs_none(x->e.dev, INTX,
				       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	VT_EXPECT(fired, "%s: no interrupt from edu", x->needle);
}

static void irq_done(struct walk *w, long ret)
{
	struct irq_ctx *x = w->priv;
	unsigned int v;

	(void)ret;
	VT_EXPECT(irq_line(x->needle), "%s not in /proc/interrupts",
		  x->needle);
	if (vt_dev_is_edu(x->d)) {
		edu_irq_works(x);
	} else {
		/* loopback: each vector's eventfd fires */
		for (v = 0; v < x->nvec; v++) {
			VT_OK(vt_set_irqs_none(x->e.dev, x->index, TRIG, v, 1));
			VT_EXPECT(vt_wait_eventfd(x->efd[v], 1000) == 1,
				  "vector %u did not fire", v);
		}
	}
	VT_OK(vt_set_irqs_none(x->e.dev, x->index, TRIG, 0, 0));
	VT_EXPECT(!irq_line(x->needle), "%s left after disable", x->needle);
}

static void irq_walk(const char *name, const struct vt_dev *d,
		     uint32_t index, unsigned int nvec)
{
	struct irq_ctx x;
	struct walk w = {
		.name = name, .cmd = VFIO_DEVICE_SET_IRQS,
		.returns_count = index != INTX, .reject = &irq_proc,
		.unchanged = irq_unchanged, .done = irq_done, .priv = &x,
	};

	irq_open(&x, d, index, nvec);
	w.fd = x.s.device;
	w.arg = &x.req.set;
	walk(&w);
}

static void t_set_irqs_intx(void)
{
	irq_walk("SET_IRQS(INTx eventfd)", dev_edu, INTX, 1);
}

static void t_set_irqs_msi(void)
{
	irq_walk("SET_IRQS(MSI eventfd)", dev_edu, MSI, 1);
}

static void t_set_irqs_msix(void)
{
	if (!msix_dev)
		vt_skip("needs a non-edu device with MSI-X ($VFIO_NVME0)");
	irq_walk("SET_IRQS(MSI-X, 2 eventfds)", msix_dev, MSIX, 2);
}

/*
 * A vector added to live MSI-X: allocated on the spot where the irq
 * domain can (dynamic MSI-X). MSI-X goes off after each round so that
 * every round allocates again.
 */
static void msix_add_setup(struct walk *w)
{
	struct irq_ctx *x = w->priv;

	VT_OK_FATAL(vt_set_irqs_fd(x->e.dev, MSIX, TRIG, x->efd[0]));
}

static void msix_add_unchanged(struct walk *w, int err)
{
	struct irq_ctx *x = w->priv;
	char needle[64];

	(void)err;
	snprintf(needle, sizeof(needle), "vfio-msix[%u](%s)", MSIX_NVEC - 1,
		 x->d->bdf);
	VT_EXPECT(!irq_line(needle), "%s in /proc/interrupts", needle);
	/* vector 0 still there and working */
	VT_OK(vt_set_irqs_none(x->e.dev, MSIX, TRIG, 0, 1));
	VT_EXPECT(vt_wait_eventfd(x->efd[0], 1000) == 1,
		  "vector 0 did not fire");
}

static void msix_add_done(struct walk *w, long ret)
{
	struct irq_ctx *x = w->priv;
	unsigned int v = MSIX_NVEC - 1;

	(void)ret;
	VT_OK(vt_set_irqs_none(x->e.dev, MSIX, TRIG, v, 1));
	VT_EXPECT(vt_wait_eventfd(x->efd[v], 1000) == 1,
		  "added vector %u did not fire", v);
	VT_OK(vt_set_irqs_none(x->e.dev, MSIX, TRIG, 0, 1));
	VT_EXPECT(vt_wait_eventfd(x->efd[0], 1000) == 1,
		  "vector 0 did not fire");
	VT_OK(vt_set_irqs_none(x->e.dev, MSIX, TRIG, 0, 0));
	VT_EXPECT_EQ(msi_irqs(x->d), 0);
}

static void t_set_irqs_msix_add(void)
{
	struct vfio_irq_info ii;
	struct irq_ctx x;
	struct walk w = {
		.name = "SET_IRQS(vector added to live MSI-X)",
		.cmd = VFIO_DEVICE_SET_IRQS, .returns_count = true,
		.reject = &irq_proc, .setup = msix_add_setup,
		.unchanged = msix_add_unchanged, .done = msix_add_done,
		.priv = &x,
	};

	if (!run_extra)
		vt_skip("left out for time (9 s on the debug kernel): "
			"VFIO_FAULT_TESTS=set_irqs_msix_add runs it");
	if (!msix_dev)
		vt_skip("needs a non-edu device with MSI-X ($VFIO_NVME0)");
	irq_open(&x, msix_dev, MSIX, MSIX_NVEC);
	VT_OK_FATAL(vt_irq_info(x.e.dev, MSIX, &ii));
	if (ii.flags & VFIO_IRQ_INFO_NORESIZE)
		vt_skip("%s: MSI-X cannot grow (NORESIZE)", msix_dev->bdf);
	x.req.set.argsz = sizeof(x.req.set) + sizeof(int32_t);
	x.req.set.start = MSIX_NVEC - 1;
	x.req.set.count = 1;
	x.req.fds[0] = x.efd[MSIX_NVEC - 1];
	w.fd = x.s.device;
	w.arg = &x.req.set;
	walk(&w);
}

/* The INTx unmask eventfd: a virqfd. */
static void unmask_unchanged(struct walk *w, int err)
{
	struct irq_ctx *x = w->priv;

	(void)err;
	VT_EXPECT(irq_line(x->needle), "INTx gone after a failed UNMASK");
}

static void unmask_done(struct walk *w, long ret)
{
	struct irq_ctx *x = w->priv;
	const uint64_t one = 1;
	bool fired, refired;
	int i;

	(void)ret;
	/* an interrupt masks INTx; the eventfd unmasks it */
	vt_edu_wr(&x->e, EDU_REG_IRQ_RAISE, EDU_RAISE_BIT);
	fired = vt_wait_eventfd(x->efd[0], 3000) >= 1;
	vt_edu_wr(&x->e, EDU_REG_IRQ_ACK, EDU_RAISE_BIT);
	VT_ASSERT(write(x->efd[1], &one, sizeof(one)) == sizeof(one),
		  "eventfd write");
	refired = false;
	for (i = 0; i < 100 && !refired; i++) {
		vt_edu_wr(&x->e, EDU_REG_IRQ_RAISE, EDU_RAISE_BIT);
		refired = vt_wait_eventfd(x->efd[0], 30) >= 1;
		vt_edu_wr(&x->e, EDU_REG_IRQ_ACK, EDU_RAISE_BIT);
	}
	VT_EXPECT(fired, "no INTx");
	VT_EXPECT(refired, "no INTx after signalling the unmask eventfd");
	VT_OK(vt_set_irqs_fd(x->e.dev, INTX, VFIO_IRQ_SET_ACTION_UNMASK, -1));
	/* unmasked by ioctl: the eventfd's wakeup would race the removal */
	VT_OK(vt_set_irqs_none(x->e.dev, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 0,
			       1));
}

static void t_set_irqs_intx_unmask(void)
{
	struct irq_ctx x;
	struct walk w = {
		.name = "SET_IRQS(INTx unmask eventfd)",
		.cmd = VFIO_DEVICE_SET_IRQS,
		.unchanged = unmask_unchanged, .done = unmask_done, .priv = &x,
	};

	irq_open(&x, dev_edu, INTX, 2);
	VT_OK_FATAL(vt_set_irqs_fd(x.e.dev, INTX, TRIG, x.efd[0]));
	x.req.set.argsz = sizeof(x.req.set) + sizeof(int32_t);
	x.req.set.flags = D_EFD | VFIO_IRQ_SET_ACTION_UNMASK;
	x.req.set.count = 1;
	x.req.fds[0] = x.efd[1];
	w.fd = x.s.device;
	w.arg = &x.req.set;
	walk(&w);
	VT_OK(vt_set_irqs_none(x.e.dev, INTX, TRIG, 0, 0));
}

/* --------------------------------------------------------- IOEVENTFD */

struct ioev_ctx {
	struct vt_session s;
	struct vt_edu e;
	struct vfio_device_ioeventfd io;
	int efd;
};

static int ioev(struct ioev_ctx *x, int fd)
{
	struct vfio_device_ioeventfd io = x->io;

	io.fd = fd;
	return ioctl(x->e.dev, VFIO_DEVICE_IOEVENTFD, &io) ? -errno : 0;
}

static void ioev_done(struct walk *w, long ret)
{
	struct ioev_ctx *x = w->priv;
	const uint64_t one = 1;
	uint32_t v = 0;
	int i;

	(void)ret;
	VT_EXPECT_EQ(ioev(x, x->efd), -EEXIST);
	/* signalling the eventfd writes the register (edu: ~value) */
	vt_edu_wr(&x->e, EDU_REG_LIVENESS, 0);
	VT_ASSERT(write(x->efd, &one, sizeof(one)) == sizeof(one), "write");
	for (i = 0; i < 100; i++) {
		v = vt_edu_rd(&x->e, EDU_REG_LIVENESS);
		if (v == ~(uint32_t)x->io.data)
			break;
		usleep(10000);
	}
	VT_EXPECT_EQ(v, ~(uint32_t)x->io.data);
	VT_OK(ioev(x, -1));
	VT_EXPECT_EQ(ioev(x, -1), -ENODEV);
}

static void t_ioeventfd(void)
{
	struct ioev_ctx x;
	struct walk w = {
		.name = "DEVICE_IOEVENTFD", .cmd = VFIO_DEVICE_IOEVENTFD,
		.arg = &x.io, .done = ioev_done, .priv = &x,
	};

	memset(&x, 0, sizeof(x));
	open_device(&x.s, dev_edu);
	x.e.dev = x.s.device;
	vt_edu_enable(&x.e);
	x.efd = vt_eventfd();
	x.io.argsz = sizeof(x.io);
	x.io.flags = VFIO_DEVICE_IOEVENTFD_32;
	x.io.offset = x.e.bar0 + EDU_REG_LIVENESS;
	x.io.data = IOEV_DATA;
	x.io.fd = x.efd;
	w.fd = x.e.dev;
	walk(&w);
}

/* ------------------------------------------------------ dirty tracking */

struct dirty_ctx {
	struct vt_session s;
	char *buf;
	struct vfio_iommu_type1_dirty_bitmap start;
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} get;
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} unmap;
	uint64_t bits[4];
};

/* Three mappings of 1, 8 and 32 pages, back to back from IOVA. */
#define DIRTY_PAGES_ALL	41
#define DIRTY_MASK	((1ULL << DIRTY_PAGES_ALL) - 1)

static void dirty_open(struct dirty_ctx *x)
{
	memset(x, 0, sizeof(*x));
	x->buf = vt_alloc(DIRTY_PAGES_ALL * P);
	vt_session_open(&x->s, edu0, VFIO_TYPE1v2_IOMMU, false);
	VT_OK_FATAL(vt_map(x->s.container, x->buf, IOVA, P, RW));
	VT_OK_FATAL(vt_map(x->s.container, x->buf + P, IOVA + P, 8 * P, RW));
	VT_OK_FATAL(vt_map(x->s.container, x->buf + 9 * P, IOVA + 9 * P,
			   32 * P, RW));
	x->start.argsz = sizeof(x->start);
	x->start.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	x->get.d.argsz = sizeof(x->get);
	x->get.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	x->get.g.iova = IOVA;
	x->get.g.size = DIRTY_PAGES_ALL * P;
	x->get.g.bitmap.pgsize = P;
	x->get.g.bitmap.size = sizeof(x->bits);
	x->get.g.bitmap.data = (__u64 *)x->bits;
}

static int dirty_cmd(struct dirty_ctx *x, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d), .flags = flags,
	};

	return ioctl(x->s.container, VFIO_IOMMU_DIRTY_PAGES, &d) ? -errno : 0;
}

/* Every pinned page reads dirty while tracking (no device reports). */
static void dirty_bits_all(struct dirty_ctx *x, const char *when)
{
	memset(x->bits, 0, sizeof(x->bits));
	VT_OK(ioctl(x->s.container, VFIO_IOMMU_DIRTY_PAGES, &x->get));
	VT_EXPECT((x->bits[0] & DIRTY_MASK) == DIRTY_MASK,
		  "%s: bitmap %016llx", when, (unsigned long long)x->bits[0]);
}

static void dirty_start_unchanged(struct walk *w, int err)
{
	struct dirty_ctx *x = w->priv;

	(void)err;
	/* all or nothing: not tracking, so no bitmap */
	VT_ERRNO(ioctl(x->s.container, VFIO_IOMMU_DIRTY_PAGES, &x->get),
		 EINVAL);
}

static void dirty_start_done(struct walk *w, long ret)
{
	struct dirty_ctx *x = w->priv;

	(void)ret;
	dirty_bits_all(x, "after START");
	VT_OK(dirty_cmd(x, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

static void t_dirty_start(void)
{
	struct dirty_ctx x;
	struct walk w = {
		.name = "DIRTY_PAGES(START, 3 mappings)",
		.cmd = VFIO_IOMMU_DIRTY_PAGES, .arg = &x.start,
		.unchanged = dirty_start_unchanged, .done = dirty_start_done,
		.priv = &x,
	};

	dirty_open(&x);
	w.fd = x.s.container;
	walk(&w);
}

static void dirty_get_setup(struct walk *w)
{
	struct dirty_ctx *x = w->priv;

	memset(x->bits, 0, sizeof(x->bits));
}

static void dirty_get_unchanged(struct walk *w, int err)
{
	struct dirty_ctx *x = w->priv;

	(void)err;
	dirty_bits_all(x, "after a failed GET_BITMAP");
	memset(x->bits, 0, sizeof(x->bits));
}

static void dirty_get_done(struct walk *w, long ret)
{
	struct dirty_ctx *x = w->priv;

	(void)ret;
	VT_EXPECT((x->bits[0] & DIRTY_MASK) == DIRTY_MASK, "bitmap %016llx",
		  (unsigned long long)x->bits[0]);
}

static void t_dirty_get_bitmap(void)
{
	struct dirty_ctx x;
	struct walk w = {
		.name = "DIRTY_PAGES(GET_BITMAP)",
		.cmd = VFIO_IOMMU_DIRTY_PAGES, .arg = &x.get,
		.setup = dirty_get_setup, .unchanged = dirty_get_unchanged,
		.done = dirty_get_done, .priv = &x,
	};

	dirty_open(&x);
	VT_OK_FATAL(dirty_cmd(&x, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	w.fd = x.s.container;
	walk(&w);
	VT_OK(dirty_cmd(&x, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

/* UNMAP_DMA with GET_DIRTY_BITMAP of the 8-page mapping. */
static void unmap_dirty_setup(struct walk *w)
{
	struct dirty_ctx *x = w->priv;

	memset(x->bits, 0, sizeof(x->bits));
	x->unmap.u.argsz = sizeof(x->unmap);
	x->unmap.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	x->unmap.u.iova = IOVA + P;
	x->unmap.u.size = 8 * P;
	x->unmap.b.pgsize = P;
	x->unmap.b.size = sizeof(uint64_t);
	x->unmap.b.data = (__u64 *)x->bits;
}

static void unmap_dirty_unchanged(struct walk *w, int err)
{
	struct dirty_ctx *x = w->priv;
	uint64_t left;

	left = unmap_size(x->s.container, IOVA + P, 8 * P);
	VT_EXPECT(left == 8 * P || (left == 0 && err == EFAULT),
		  "after a failed unmap (%s) 0x%llx of 0x%llx bytes were "
		  "still mapped", vt_errname(err), (unsigned long long)left,
		  (unsigned long long)(8 * P));
	VT_OK_FATAL(vt_map(x->s.container, x->buf + P, IOVA + P, 8 * P, RW));
	unmap_dirty_setup(w);
}

static void unmap_dirty_done(struct walk *w, long ret)
{
	struct dirty_ctx *x = w->priv;

	(void)ret;
	VT_EXPECT_EQ(x->unmap.u.size, 8 * P);
	VT_EXPECT_EQ(x->bits[0] & 0xff, 0xff);
	VT_EXPECT_EQ(unmap_size(x->s.container, IOVA + P, 8 * P), 0);
	/* the others are still tracked */
	memset(x->bits, 0, sizeof(x->bits));
	x->get.g.size = P;
	VT_OK(ioctl(x->s.container, VFIO_IOMMU_DIRTY_PAGES, &x->get));
	VT_EXPECT_EQ(x->bits[0] & 1, 1);
	x->get.g.size = DIRTY_PAGES_ALL * P;
	VT_OK_FATAL(vt_map(x->s.container, x->buf + P, IOVA + P, 8 * P, RW));
}

static void t_unmap_dirty_bitmap(void)
{
	struct dirty_ctx x;
	struct walk w = {
		.name = "UNMAP_DMA(GET_DIRTY_BITMAP)",
		.cmd = VFIO_IOMMU_UNMAP_DMA, .arg = &x.unmap,
		.setup = unmap_dirty_setup,
		.unchanged = unmap_dirty_unchanged, .done = unmap_dirty_done,
		.priv = &x,
	};

	dirty_open(&x);
	VT_OK_FATAL(dirty_cmd(&x, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	w.fd = x.s.container;
	walk(&w);
	VT_OK(dirty_cmd(&x, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

/* -------------------------------------------------- low power, wakeup */

struct lp_ctx {
	struct vt_session s;
	int efd;
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup w;
	} req;
};

static int lp_exit(struct lp_ctx *x)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
	};

	return ioctl(x->s.device, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

static void lp_unchanged(struct walk *w, int err)
{
	struct lp_ctx *x = w->priv;

	(void)err;
	/* not in low power: exit is a no-op, the device answers */
	VT_OK(lp_exit(x));
	VT_EXPECT_EQ(vt_cfg_rd16(x->s.device, 0), dev_edu->vendor);
	VT_EXPECT_EQ(vt_wait_eventfd(x->efd, 0), 0);
}

static void lp_done(struct walk *w, long ret)
{
	struct lp_ctx *x = w->priv;

	(void)ret;
	VT_OK(lp_exit(x));
	VT_EXPECT_EQ(vt_cfg_rd16(x->s.device, 0), dev_edu->vendor);
	/*
	 * Whether the wakeup fired depends on whether the device got to
	 * suspend before the exit woke it: not checked, only drained.
	 */
	vt_wait_eventfd(x->efd, 0);
}

static void t_low_power_wakeup(void)
{
	struct lp_ctx x;
	struct walk w = {
		.name = "DEVICE_FEATURE(LOW_POWER_ENTRY_WITH_WAKEUP)",
		.cmd = VFIO_DEVICE_FEATURE, .arg = &x.req,
		.unchanged = lp_unchanged, .done = lp_done, .priv = &x,
	};

	memset(&x, 0, sizeof(x));
	open_device(&x.s, dev_edu);
	x.efd = vt_eventfd();
	x.req.f.argsz = sizeof(x.req);
	x.req.f.flags = VFIO_DEVICE_FEATURE_SET |
			VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
	x.req.w.wakeup_eventfd = x.efd;
	w.fd = x.s.device;
	walk(&w);
}

/* ------------------------------------------------------------- main */

static const struct vt_test tests[] = {
	{ .name = "set_iommu", .fn = t_set_iommu },
	{ .name = "set_container", .fn = t_set_container },
	{ .name = "set_container_live", .fn = t_set_container_live },
	/* ~40 s on the debug kernel: 1.5 s a device open and close */
	{ .name = "get_device_fd", .fn = t_get_device_fd, .timeout = 240 },
	{ .name = "map_dma_4k", .fn = t_map_dma_4k },
	{ .name = "map_dma_large", .fn = t_map_dma_large },
	{ .name = "unmap_dma", .fn = t_unmap_dma },
	{ .name = "get_info_caps", .fn = t_get_info },
	{ .name = "get_region_info_caps", .fn = t_get_region_info },
	{ .name = "set_irqs_intx", .fn = t_set_irqs_intx },
	{ .name = "set_irqs_intx_unmask", .fn = t_set_irqs_intx_unmask },
	{ .name = "set_irqs_msi", .fn = t_set_irqs_msi },
	{ .name = "set_irqs_msix", .fn = t_set_irqs_msix, .timeout = 120 },
	{ .name = "set_irqs_msix_add", .fn = t_set_irqs_msix_add },
	{ .name = "ioeventfd", .fn = t_ioeventfd },
	{ .name = "dirty_start", .fn = t_dirty_start },
	{ .name = "dirty_get_bitmap", .fn = t_dirty_get_bitmap },
	{ .name = "unmap_dirty_bitmap", .fn = t_unmap_dirty_bitmap },
	{ .name = "low_power_wakeup", .fn = t_low_power_wakeup },
	{ .name = "hot_reset_info", .fn = t_hot_reset_info },
};

/* The parent's session on @d: plain fds, inherited by every test. */
static void hold_device(const struct vt_dev *d)
{
	int c, g, dev;

	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	g = open(d->group_path, O_RDWR | O_CLOEXEC);
	if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		vt_bail("%s: container and group: %s", d->bdf,
			vt_errname(errno));
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (dev < 0)
		vt_bail("%s: GET_DEVICE_FD: %s", d->bdf, vt_errname(errno));
	held.container = c;
	held.group = g;
	held.device = dev;
}

static void setup(void)
{
	double t1, t2;
	int i;

	edu0 = vt_first_edu(0);
	edu1 = vt_first_edu(1);
	dev_edu = edu1 ? edu1 : edu0;
	for (i = 0; i < vt_ndevs && !msix_dev; i++)
		if (!vt_dev_is_edu(&vt_devs[i]) &&
		    vt_pci_has_cap(vt_devs[i].bdf, PCI_CAP_ID_MSIX))
			msix_dev = &vt_devs[i];
	if (!edu0) {
		printf("1..0 # SKIP needs an edu device (1234:11e8)\n");
		exit(4);
	}
	/*
	 * kmemleak's own allocations are fault points too; when one for a
	 * scan area fails it says so, once, and scans the whole object.
	 */
	vt_diag("expect-dmesg: kmemleak: Cannot allocate a scan area, "
		"scanning the full object$");
	vt_diag("edu: %s%s%s; MSI-X device: %s", edu0->bdf,
		edu1 ? ", " : "", edu1 ? edu1->bdf : "",
		msix_dev ? msix_dev->bdf : "none");
	t1 = now();
	knobs_setup();
	t2 = now();
	if (edu1)
		hold_device(edu1);
	vt_diag("setup: devices bound in %.1f s, fault injection set up in "
		"%.1f s, %s held in %.1f s", t1 - t_start, t2 - t1,
		edu1 ? edu1->bdf : "nothing", now() - t2);
}

/*
 * Parent, after every test: no stack-trace filter, and the shared device
 * as a test that ended early may have left it (errors ignored: most of
 * it was never set).
 */
static void after_each(void)
{
	struct vfio_device_feature lp = {
		.argsz = sizeof(lp),
		.flags = VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_LOW_POWER_EXIT,
	};
	struct vfio_device_ioeventfd io = {
		.argsz = sizeof(io), .flags = VFIO_DEVICE_IOEVENTFD_32,
		.data = IOEV_DATA, .fd = -1,
	};

	reject_clear();
	if (held.device < 0)
		return;
	ioctl(held.device, VFIO_DEVICE_FEATURE, &lp);
	vt_set_irqs_none(held.device, INTX, TRIG, 0, 0);
	vt_set_irqs_none(held.device, MSI, TRIG, 0, 0);
	io.offset = vt_region_offset(held.device, VFIO_PCI_BAR0_REGION_INDEX) +
		    EDU_REG_LIVENESS;
	ioctl(held.device, VFIO_DEVICE_IOEVENTFD, &io);
}

int main(int argc, char **argv)
{
	static struct vt_test chosen[ARRAY_SIZE(tests)];
	static struct vt_suite suite = {
		.name = "fault", VT_TESTS(tests),
		.devs = VT_DEVS_EDU_NVME, .min_devs = 1,
		.setup = setup, .after_each = after_each,
		.cleanup = restore_all,
	};
	const char *why = no_fault_injection();
	const char *only = getenv("VFIO_FAULT_TESTS");
	char list[512], word[64];
	size_t i, n = 0;

	t_start = now();

	/*
	 * VFIO_FAULT_TESTS="NAME...": only these, "all": every walk, those
	 * left out for time too (vm.sh passes VFIO_* into the test VM).
	 */
	run_extra = only && *only;
	if (run_extra && strcmp(only, "all")) {
		snprintf(list, sizeof(list), " %s ", only);
		for (i = 0; i < ARRAY_SIZE(tests); i++) {
			snprintf(word, sizeof(word), " %s ", tests[i].name);
			if (strstr(list, word))
				chosen[n++] = tests[i];
		}
		suite.tests = chosen;
		suite.ntests = n;
	}

	if (why) {
		vt_tap_header();
		printf("1..0 # SKIP %s\n", why);
		return 4;
	}
	return vt_main(argc, argv, &suite);
}
