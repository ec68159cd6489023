// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helper library for the VFIO selftests: TAP output, a fork-per-test
 * harness, sysfs binding of PCI devices to vfio-pci, and thin wrappers
 * around the VFIO uapi.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/kvm.h>

#include "vfio_cdev_name.h"
#include "vfio_test_lib.h"

enum { VT_PASS, VT_FAIL, VT_SKIP };

/* Result of the running test, shared between the child and the parent. */
struct vt_shared {
	int status;
	int dmar_window;		/* child announced expected DMAR faults */
	char msg[1024];
};

static struct vt_shared *vt_sh;
static unsigned int vt_num, vt_npass, vt_nfail, vt_nskip;
static bool vt_in_child;
static int vt_tracked[128];
static int vt_ntracked;

struct vt_dev vt_devs[VT_MAX_DEVS];
int vt_ndevs;

/* ------------------------------------------------------------------ TAP */

void vt_tap_header(void)
{
	/* One line per write: the parent and the test children share stdout. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
}

void vt_plan(unsigned int n)
{
	printf("1..%u\n", n);
}

void vt_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void vt_bail(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	if (vt_in_child)
		_exit(2);
	exit(2);
}

int vt_exit_code(void)
{
	vt_diag("totals: pass %u fail %u skip %u", vt_npass, vt_nfail,
		vt_nskip);
	return vt_nfail ? 1 : 0;
}

const char *vt_errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E???";
}

/* Best-effort marker in the kernel log so dmesg lines map to tests. */
static void vt_kmsg(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, n;

	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* KERN_INFO: in the log, not on a quiet console */
	n = snprintf(buf, sizeof(buf), "<6>vfio-selftests: ");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	/* markers are only a debugging aid: a failed write is ignored */
	n = write(fd, buf, strlen(buf));
	close(fd);
}

/* -------------------------------------------------------------- harness */

static void vt_close_tracked(void)
{
	while (vt_ntracked > 0)
		close(vt_tracked[--vt_ntracked]);
}

static void vt_record(int status, const char *msg)
{
	if (!vt_sh)
		return;
	if (vt_sh->status == VT_FAIL)
		return;			/* keep the first failure */
	vt_sh->status = status;
	snprintf(vt_sh->msg, sizeof(vt_sh->msg), "%s", msg);
}

void vt_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vt_diag("FAIL: %s", msg);
	vt_record(VT_FAIL, msg);
}

void vt_fatal(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vt_diag("FAIL: %s", msg);
	vt_record(VT_FAIL, msg);
	vt_close_tracked();
	if (vt_in_child)
		_exit(1);
	exit(1);
}

void vt_skip(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vt_record(VT_SKIP, msg);
	vt_close_tracked();
	if (vt_in_child)
		_exit(0);
	exit(4);
}

void vt_expect_dmar_faults(const char *why)
{
	if (vt_sh)
		vt_sh->dmar_window = 1;
	vt_diag("expect-dmar-fault: %s", why);
	vt_kmsg("DMAR faults expected from here on: %s\n", why);
}

void vt_end_dmar_faults(void)
{
	if (vt_sh)
		vt_sh->dmar_window = 0;
	vt_kmsg("DMAR faults no longer expected\n");
}

bool vt__errno(int line, const char *expr, long ret, int err, int want)
{
	if (ret == -1 && err == want)
		return true;
	if (ret >= 0)
		vt_fail("line %d: %s: expected %s, got success (%ld)", line,
			expr, vt_errname(want), ret);
	else
		vt_fail("line %d: %s: expected %s, got %s (ret %ld)", line,
			expr, vt_errname(want), vt_errname(err), ret);
	return false;
}

bool vt__ok(int line, const char *expr, long ret, int err)
{
	if (ret >= 0)
		return true;
	vt_fail("line %d: %s: expected success, got %s", line, expr,
		vt_errname(err));
	return false;
}

int vt_track(int fd)
{
	if (fd >= 0 && vt_ntracked < (int)ARRAY_SIZE(vt_tracked))
		vt_tracked[vt_ntracked++] = fd;
	return fd;
}

void vt_close(int fd)
{
	int i;

	for (i = vt_ntracked - 1; i >= 0; i--) {
		if (vt_tracked[i] != fd)
			continue;
		memmove(&vt_tracked[i], &vt_tracked[i + 1],
			(vt_ntracked - i - 1) * sizeof(int));
		vt_ntracked--;
		break;
	}
	close(fd);
}

static void vt_child(const struct vt_test *t)
{
	long lk0, lk1;
	int fds0, fds1;

	vt_in_child = true;
	/* own process group: the parent reaps helpers a test forked */
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	alarm(t->timeout ? t->timeout : 60);
	lk0 = vt_locked_kb();
	fds0 = vt_count_fds();

	t->fn();

	vt_close_tracked();
	lk1 = vt_locked_kb();
	if (lk1 != lk0)
		vt_fail("locked_vm not restored: %ld kB at start, %ld kB at end",
			lk0, lk1);
	fds1 = vt_count_fds();
	if (fds1 != fds0)
		vt_fail("test left %d fds open", fds1 - fds0);
	fflush(stdout);
	_exit(0);
}

void vt_run_tests(const char *prefix, const struct vt_test *tests, size_t n,
		  void (*after_each)(void))
{
	size_t i;

	if (!vt_sh) {
		vt_sh = mmap(NULL, sizeof(*vt_sh), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (vt_sh == MAP_FAILED)
			vt_bail("mmap: %s", strerror(errno));
	}

	for (i = 0; i < n; i++) {
		const struct vt_test *t = &tests[i];
		char name[160];
		int wst = 0;
		pid_t pid;

		snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix : "",
			 prefix ? " " : "", t->name);
		memset(vt_sh, 0, sizeof(*vt_sh));
		vt_kmsg("begin %s\n", name);
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			vt_bail("fork: %s", strerror(errno));
		if (pid == 0)
			vt_child(t);
		while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
			;
		/* helpers the test left behind (e.g. after a timeout) */
		kill(-pid, SIGKILL);
		if (WIFSIGNALED(wst)) {
			char m[128];

			snprintf(m, sizeof(m), "%s",
				 WTERMSIG(wst) == SIGALRM ? "timed out" :
				 strsignal(WTERMSIG(wst)));
			vt_record(VT_FAIL, m);
			vt_diag("FAIL: test process killed: %s", m);
		} else if (WEXITSTATUS(wst) == 2 && vt_sh->status != VT_FAIL) {
			vt_record(VT_FAIL, "bailed out");
		}
		if (vt_sh->dmar_window)
			vt_kmsg("DMAR faults no longer expected\n");
		vt_kmsg("end %s\n", name);
		if (after_each)
			after_each();

		vt_num++;
		switch (vt_sh->status) {
		case VT_PASS:
			vt_npass++;
			printf("ok %u %s\n", vt_num, name);
			break;
		case VT_SKIP:
			vt_nskip++;
			printf("ok %u %s # SKIP %s\n", vt_num, name,
			       vt_sh->msg);
			break;
		default:
			vt_nfail++;
			printf("not ok %u %s\n", vt_num, name);
			break;
		}
		fflush(stdout);
	}
}

/* ---------------------------------------------------------------- sysfs */

int vt_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return n;
}

int vt_sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	if (n < 0)
		return -errno;
	return 0;
}

long long vt_sysfs_read_num(const char *path)
{
	char buf[64];

	if (vt_sysfs_read(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 0);
}

static int vt_dev_attr(const char *bdf, const char *attr, char *buf,
		       size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	return vt_sysfs_read(path, buf, len);
}

int vt_link_name(const char *path, char *buf, size_t len)
{
	char link[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	base = strrchr(link, '/');
	snprintf(buf, len, "%s", base ? base + 1 : link);
	return 0;
}

void vt_dev_driver(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	if (vt_link_name(path, buf, len))
		buf[0] = 0;
}

int vt_find_pci(uint16_t vendor, uint16_t device, char bdfs[][32], int max)
{
	struct dirent *de;
	char buf[32];
	int n = 0;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		if (vt_dev_attr(de->d_name, "vendor", buf, sizeof(buf)) < 0 ||
		    strtoul(buf, NULL, 16) != vendor)
			continue;
		if (vt_dev_attr(de->d_name, "device", buf, sizeof(buf)) < 0 ||
		    strtoul(buf, NULL, 16) != device)
			continue;
		snprintf(bdfs[n++], 32, "%s", de->d_name);
	}
	closedir(d);
	/* readdir order is not sorted; keep BDF order deterministic */
	qsort(bdfs, n, 32, (int (*)(const void *, const void *))strcmp);
	return n;
}

bool vt_pci_multifunction(const char *bdf)
{
	char path[PATH_MAX];
	const char *dot = strrchr(bdf, '.');
	int fn;

	if (!dot)
		return false;
	for (fn = 0; fn < 8; fn++) {
		if (fn == atoi(dot + 1))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%.*s.%d",
			 (int)(dot - bdf), bdf, fn);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

int vt_phys_cfg(const char *bdf, unsigned int off, void *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

bool vt_pci_has_cap(const char *bdf, uint8_t id)
{
	uint8_t cfg[256];
	unsigned int pos, guard;

	/* Status bit 4: a capability list exists. */
	if (vt_phys_cfg(bdf, 0, cfg, sizeof(cfg)) || !(cfg[0x06] & 0x10))
		return false;
	pos = cfg[0x34] & 0xfc;
	for (guard = 0; pos && guard < 48; guard++) {
		if (cfg[pos] == id)
			return true;
		pos = cfg[pos + 1] & 0xfc;
	}
	return false;
}

bool vt_dev_is_edu(const struct vt_dev *d)
{
	return d->vendor == VT_EDU_VENDOR && d->device == VT_EDU_DEVICE;
}

const struct vt_dev *vt_first_edu(int nth)
{
	int i;

	for (i = 0; i < vt_ndevs; i++) {
		if (vt_dev_is_edu(&vt_devs[i]) && nth-- == 0)
			return &vt_devs[i];
	}
	return NULL;
}

int vt_bind_vfio(struct vt_dev *d)
{
	char path[PATH_MAX], drv[64];
	int ret, i;

	vt_dev_driver(d->bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return 0;

	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK))
		return -ENOENT;

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/driver_override", d->bdf);
	ret = vt_sysfs_write(path, "vfio-pci");
	if (ret)
		return ret;
	/* a re-bind after a test unbound the device keeps the first owner */
	if (!d->bound_by_us)
		snprintf(d->orig_driver, sizeof(d->orig_driver), "%s", drv);
	d->bound_by_us = true;
	if (drv[0]) {
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/driver/unbind", d->bdf);
		ret = vt_sysfs_write(path, d->bdf);
		if (ret)
			return ret;
	}
	/* drivers_probe reports an error when no driver binds: check below */
	vt_sysfs_write("/sys/bus/pci/drivers_probe", d->bdf);
	for (i = 0; i < 100; i++) {
		vt_dev_driver(d->bdf, drv, sizeof(drv));
		if (!strcmp(drv, "vfio-pci"))
			return 0;
		usleep(20000);
	}
	return -ENODEV;
}

static void vt_restore_one(struct vt_dev *d)
{
	char path[PATH_MAX], drv[64];

	if (!d->bound_by_us)
		return;
	d->bound_by_us = false;
	vt_dev_driver(d->bdf, drv, sizeof(drv));
	if (drv[0]) {
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/driver/unbind", d->bdf);
		vt_sysfs_write(path, d->bdf);
	}
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/driver_override", d->bdf);
	vt_sysfs_write(path, "\n");
	if (d->orig_driver[0])
		vt_sysfs_write("/sys/bus/pci/drivers_probe", d->bdf);
}

void vt_restore_devices(void)
{
	int i;

	if (vt_in_child)
		return;
	for (i = 0; i < vt_ndevs; i++)
		vt_restore_one(&vt_devs[i]);
}

static void vt_on_signal(int sig)
{
	vt_restore_devices();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int vt_prepare_dev(struct vt_dev *d)
{
	char path[PATH_MAX], buf[32];
	int ret, i;

	if (vt_dev_attr(d->bdf, "vendor", buf, sizeof(buf)) < 0) {
		vt_diag("%s: no such PCI device", d->bdf);
		return -ENODEV;
	}
	d->vendor = strtoul(buf, NULL, 16);
	vt_dev_attr(d->bdf, "device", buf, sizeof(buf));
	d->device = strtoul(buf, NULL, 16);
	vt_dev_attr(d->bdf, "class", buf, sizeof(buf));
	d->class = strtoul(buf, NULL, 16);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 d->bdf);
	if (vt_link_name(path, buf, sizeof(buf))) {
		vt_diag("%s: no IOMMU group (is the IOMMU enabled?)", d->bdf);
		return -ENODEV;
	}
	d->group = atoi(buf);
	snprintf(d->group_path, sizeof(d->group_path), "/dev/vfio/%d",
		 d->group);

	ret = vt_bind_vfio(d);
	if (ret == -ENOENT) {
		vt_diag("vfio-pci driver is not loaded");
		return ret;
	}
	if (ret) {
		vt_diag("%s: cannot bind to vfio-pci: %s", d->bdf,
			strerror(-ret));
		return ret;
	}
	for (i = 0; i < 150; i++) {
		if (!access(d->group_path, F_OK))
			return 0;
		usleep(20000);
	}
	vt_diag("%s: %s did not appear", d->bdf, d->group_path);
	return -ENOENT;
}

int vt_add_device(const char *bdf)
{
	static bool hooked;
	struct vt_dev *d;
	int ret;

	if (vt_ndevs >= VT_MAX_DEVS)
		return -ENOSPC;
	if (!hooked) {
		atexit(vt_restore_devices);
		signal(SIGINT, vt_on_signal);
		signal(SIGTERM, vt_on_signal);
		hooked = true;
	}
	d = &vt_devs[vt_ndevs];
	memset(d, 0, sizeof(*d));
	if (strchr(bdf, ':') == strrchr(bdf, ':'))
		snprintf(d->bdf, sizeof(d->bdf), "0000:%s", bdf);
	else
		snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	ret = vt_prepare_dev(d);
	if (ret) {
		/* keep it in the table if we changed its binding */
		if (d->bound_by_us)
			vt_ndevs++;
		return ret;
	}
	vt_ndevs++;
	return 0;
}

static void vt_usage(const char *prog)
{
	printf("usage: %s [-d DOMAIN:BUS:DEV.FN]...\n"
	       "  without -d, every QEMU edu device (1234:11e8) alone in its\n"
	       "  slot is used\n"
	       "  (some programs add devices of the test VM's BDF map)\n",
	       prog);
	exit(0);
}

void vt_setup_devices(int argc, char **argv, int min_devs,
		      enum vt_devs_mode mode)
{
	static const char * const env_devs[] = {
		"VFIO_NVME0", "VFIO_E1000E0", "VFIO_VIRTIO_NET0",
	};
	/* how many of env_devs each mode adds to the default */
	size_t n_env = mode == VT_DEVS_ALL ? ARRAY_SIZE(env_devs) :
		       mode == VT_DEVS_PM ? 2 :
		       mode == VT_DEVS_EDU_NVME ? 1 : 0;
	char bdfs[VT_MAX_DEVS][32];
	int opt, n = 0, i;
	size_t e;

	while ((opt = getopt(argc, argv, "d:h")) != -1) {
		switch (opt) {
		case 'd':
			if (n >= VT_MAX_DEVS)
				vt_bail("too many devices");
			snprintf(bdfs[n++], 32, "%s", optarg);
			break;
		default:
			vt_usage(argv[0]);
		}
	}
	if (!n) {
		char edus[VT_MAX_DEVS][32];
		int ne = vt_find_pci(VT_EDU_VENDOR, VT_EDU_DEVICE, edus,
				     VT_MAX_DEVS);

		/*
		 * The functions of a multi-function edu share a group and a
		 * reset: the programs that want them (vfio_devset_test) name
		 * them; the default is the edus alone in their slot.
		 */
		for (i = 0; i < ne; i++)
			if (!vt_pci_multifunction(edus[i]))
				snprintf(bdfs[n++], 32, "%s", edus[i]);
		/* one edu is enough where the others are not edus */
		if (mode == VT_DEVS_PM && n > 1)
			n = 1;
		for (e = 0; e < n_env && n < VT_MAX_DEVS; e++) {
			const char *v = getenv(env_devs[e]);
			char path[PATH_MAX];

			if (!v || !*v)
				continue;
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s",
				 v);
			if (!access(path, F_OK))
				snprintf(bdfs[n++], 32, "%s", v);
		}
	}

	for (i = 0; i < n; i++) {
		struct vt_dev *d;
		char v[16] = "", dv[16] = "";

		if (mode == VT_DEVS_EDU) {
			vt_dev_attr(bdfs[i], "vendor", v, sizeof(v));
			vt_dev_attr(bdfs[i], "device", dv, sizeof(dv));
			if (strtoul(v, NULL, 16) != VT_EDU_VENDOR ||
			    strtoul(dv, NULL, 16) != VT_EDU_DEVICE) {
				vt_diag("%s is not an edu device, ignored",
					bdfs[i]);
				continue;
			}
		}
		if (vt_add_device(bdfs[i]))
			vt_bail("%s: device setup failed", bdfs[i]);
		d = &vt_devs[vt_ndevs - 1];
		vt_diag("device %s [%04x:%04x] class %06x group %d%s",
			d->bdf, d->vendor, d->device, d->class, d->group,
			d->bound_by_us ? " (bound to vfio-pci by us)" : "");
	}
	if (vt_ndevs < min_devs) {
		/* no hardware to test is a skip, not a failure */
		printf("1..0 # SKIP needs %d %sdevice(s), found %d\n", min_devs,
		       mode == VT_DEVS_EDU ? "edu " : "PCI ", vt_ndevs);
		exit(4);
	}
}

/* ---------------------------------------------------------------- entry */

int vt_main(int argc, char **argv, const struct vt_suite *suite)
{
	size_t rounds = suite->per_device ? 0 : 1;
	char prefix[64];
	int i;

	vt_tap_header();
	vt_setup_devices(argc, argv, suite->min_devs, suite->devs);
	if (suite->setup)
		suite->setup();
	if (suite->per_device)
		rounds = vt_ndevs;
	vt_plan(suite->ntests * rounds);
	if (!suite->per_device) {
		vt_run_tests(suite->name, suite->tests, suite->ntests,
			     suite->after_each);
	}
	for (i = 0; suite->per_device && i < vt_ndevs; i++) {
		suite->per_device(&vt_devs[i]);
		snprintf(prefix, sizeof(prefix), "%s %s", suite->name,
			 vt_devs[i].bdf);
		vt_run_tests(prefix, suite->tests, suite->ntests,
			     suite->after_each);
	}
	if (suite->cleanup)
		suite->cleanup();
	return vt_exit_code();
}

/* ------------------------------------------------- pci_reset_bus() count */

#define TRACEFS		"/sys/kernel/tracing"
#define KPROBE		"vfio_selftest_reset_bus"
#define KPROBE_DIR	TRACEFS "/events/kprobes/" KPROBE

void vt_reset_probe_del(void)
{
	if (access(KPROBE_DIR, F_OK))
		return;
	vt_sysfs_write(KPROBE_DIR "/enable", "0");
	vt_sysfs_write(TRACEFS "/kprobe_events", "-:kprobes/" KPROBE);
}

bool vt_reset_probe_add(void)
{
	vt_reset_probe_del();
	if (vt_sysfs_write(TRACEFS "/kprobe_events",
			   "p:kprobes/" KPROBE " pci_reset_bus") ||
	    vt_sysfs_write(KPROBE_DIR "/enable", "1")) {
		vt_reset_probe_del();
		return false;
	}
	return true;
}

long vt_reset_probe_hits(void)
{
	unsigned long hit, miss;
	char name[128];
	long n = -1;
	FILE *f;

	f = fopen(TRACEFS "/kprobe_profile", "re");
	if (!f)
		return -1;
	while (fscanf(f, "%127s %lu %lu", name, &hit, &miss) == 3) {
		if (!strcmp(name, KPROBE)) {
			n = hit;
			break;
		}
	}
	fclose(f);
	return n;
}

/* -------------------------------------------------------- process state */

long vt_status_kb(const char *key)
{
	size_t n = strlen(key);
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n)) {
			kb = strtol(line + n, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

long vt_locked_kb(void)
{
	return vt_status_kb("VmLck:");
}

int vt_count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own fd */
}

int vt_drop_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[cap / 32].effective &= ~(1U << (cap % 32));
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ VFIO */

int vt_open_container(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		vt_fatal("open /dev/vfio/vfio: %s", vt_errname(errno));
	return vt_track(fd);
}

int vt_open_group(const struct vt_dev *d)
{
	int fd = open(d->group_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		vt_fatal("open %s: %s", d->group_path, vt_errname(errno));
	return vt_track(fd);
}

void vt_set_container(int group, int container)
{
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		vt_fatal("VFIO_GROUP_SET_CONTAINER: %s", vt_errname(errno));
}

void vt_set_iommu(int container, unsigned long type)
{
	if (ioctl(container, VFIO_SET_IOMMU, type))
		vt_fatal("VFIO_SET_IOMMU(%lu): %s", type, vt_errname(errno));
}

int vt_get_device(int group, const char *bdf)
{
	int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);

	if (fd < 0)
		vt_fatal("VFIO_GROUP_GET_DEVICE_FD(%s): %s", bdf,
			 vt_errname(errno));
	return vt_track(fd);
}

void vt_session_open(struct vt_session *s, const struct vt_dev *d,
		     unsigned long type, bool with_device)
{
	s->device = -1;
	s->container = vt_open_container();
	s->group = vt_open_group(d);
	vt_set_container(s->group, s->container);
	if (type)
		vt_set_iommu(s->container, type);
	if (with_device)
		s->device = vt_get_device(s->group, d->bdf);
}

/* ------------------------------------------------ device cdev + iommufd */

int vt_cdev_name(const char *bdf, char *name, size_t len)
{
	return vfio_cdev_name(bdf, name, len);
}

int vt_open_cdev(const struct vt_dev *d)
{
	char name[64], path[PATH_MAX];
	int ret = vt_cdev_name(d->bdf, name, sizeof(name)), fd;

	if (ret)
		vt_fatal("%s: no vfio-dev node: %s", d->bdf, vt_errname(-ret));
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		vt_fatal("open %s: %s", path, vt_errname(errno));
	return vt_track(fd);
}

int vt_open_iommufd(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		vt_fatal("open /dev/iommu: %s", vt_errname(errno));
	return vt_track(fd);
}

int vt_bind_iommufd(int dev, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd b = {
		.argsz = sizeof(b),
		.iommufd = iommufd,
	};

	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b))
		return -errno;
	if (devid)
		*devid = b.out_devid;
	return 0;
}

int vt_attach_pt(int dev, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a),
		.pt_id = *pt_id,
	};

	if (ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
		return -errno;
	*pt_id = a.pt_id;
	return 0;
}

int vt_detach_pt(int dev)
{
	struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

	return ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d) ? -errno : 0;
}

uint32_t vt_ioas_alloc(int iommufd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &a))
		vt_fatal("IOMMU_IOAS_ALLOC: %s", vt_errname(errno));
	return a.out_ioas_id;
}

int vt_ioas_map(int iommufd, uint32_t ioas, void *vaddr, uint64_t iova,
		uint64_t size, uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)vaddr,
		.length = size,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP, &m) ? -errno : 0;
}

int vt_ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t size,
		  uint64_t *unmapped)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = ioas,
		.iova = iova,
		.length = size,
	};

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &u))
		return -errno;
	if (unmapped)
		*unmapped = u.length;
	return 0;
}

int vt_iommufd_destroy(int iommufd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(iommufd, IOMMU_DESTROY, &d) ? -errno : 0;
}

long vt_pinned_kb(void)
{
	return vt_status_kb("VmPin:");
}

/* --------------------------------------------------------------- regions */

int vt_region_info(int dev, unsigned int index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

uint64_t vt_region_offset(int dev, unsigned int index)
{
	struct vfio_region_info ri;
	int ret = vt_region_info(dev, index, &ri);

	if (ret)
		vt_fatal("GET_REGION_INFO(%u): %s", index, vt_errname(-ret));
	return ri.offset;
}

uint32_t vt_rd32(int dev, uint64_t off)
{
	uint32_t v;
	ssize_t n = pread(dev, &v, 4, off);

	if (n != 4)
		vt_fatal("pread 4 @0x%llx: %s", (unsigned long long)off,
			 n < 0 ? vt_errname(errno) : "short");
	return v;
}

void vt_wr32(int dev, uint64_t off, uint32_t val)
{
	ssize_t n = pwrite(dev, &val, 4, off);

	if (n != 4)
		vt_fatal("pwrite 4 @0x%llx: %s", (unsigned long long)off,
			 n < 0 ? vt_errname(errno) : "short");
}

static uint64_t vt_cfg_off(int dev)
{
	return vt_region_offset(dev, VFIO_PCI_CONFIG_REGION_INDEX);
}

uint16_t vt_cfg_rd16(int dev, unsigned int reg)
{
	uint16_t v;

	if (pread(dev, &v, 2, vt_cfg_off(dev) + reg) != 2)
		vt_fatal("config read16 @0x%x: %s", reg, vt_errname(errno));
	return v;
}

uint32_t vt_cfg_rd32(int dev, unsigned int reg)
{
	return vt_rd32(dev, vt_cfg_off(dev) + reg);
}

void vt_cfg_wr16(int dev, unsigned int reg, uint16_t val)
{
	if (pwrite(dev, &val, 2, vt_cfg_off(dev) + reg) != 2)
		vt_fatal("config write16 @0x%x: %s", reg, vt_errname(errno));
}

void vt_cfg_wr32(int dev, unsigned int reg, uint32_t val)
{
	vt_wr32(dev, vt_cfg_off(dev) + reg, val);
}

int vt_cfg_find_cap(int dev, uint8_t id)
{
	uint8_t pos;
	int guard;

	if (!(vt_cfg_rd16(dev, 0x06) & 0x10))	/* PCI_STATUS_CAP_LIST */
		return 0;
	pos = vt_cfg_rd16(dev, 0x34) & 0xfc;
	for (guard = 0; pos && guard < 48; guard++) {
		uint16_t hdr = vt_cfg_rd16(dev, pos);

		if ((hdr & 0xff) == id)
			return pos;
		pos = (hdr >> 8) & 0xfc;
	}
	return 0;
}

/* ------------------------------------------------------------------- DMA */

void *vt_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		vt_fatal("mmap %zu: %s", size, vt_errname(errno));
	memset(p, 0, size);	/* populate: pins must not hit the zero page */
	return p;
}

int vt_map(int container, void *vaddr, uint64_t iova, uint64_t size,
	   uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

int vt_unmap(int container, uint64_t iova, uint64_t size, uint32_t flags,
	     uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = flags,
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u))
		return -errno;
	if (unmapped)
		*unmapped = u.size;
	return 0;
}

int vt_iommu_info(int container, void *buf, size_t bufsz)
{
	struct vfio_iommu_type1_info *info = buf;

	memset(buf, 0, bufsz);
	info->argsz = bufsz;
	return ioctl(container, VFIO_IOMMU_GET_INFO, info) ? -errno : 0;
}

void *vt_find_cap(void *info, size_t bufsz, uint32_t first, uint16_t id)
{
	uint32_t off = first;
	int guard;

	for (guard = 0; off && guard < 64; guard++) {
		struct vfio_info_cap_header *h;

		if (off + sizeof(*h) > bufsz)
			return NULL;
		h = (void *)((char *)info + off);
		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

/* ---------------------------------------------------------------- irqs */

void vt_kvm_open(struct vt_kvm *k)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	k->loaded = false;
	if (access("/dev/kvm", F_OK)) {
		k->loaded = !system("modprobe -q kvm_amd || modprobe -q kvm_intel");
		usleep(100000);
	}
	k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm < 0)
		vt_skip("no /dev/kvm (kvm_amd/kvm_intel: no SVM/VMX here)");
	vt_track(k->kvm);
	k->vm = vt_track(ioctl(k->kvm, KVM_CREATE_VM, 0));
	VT_ASSERT(k->vm >= 0, "KVM_CREATE_VM: %s", vt_errname(errno));
	VT_ASSERT(!ioctl(k->vm, KVM_CREATE_DEVICE, &cd),
		  "KVM_CREATE_DEVICE(VFIO): %s", vt_errname(errno));
	k->dev = vt_track(cd.fd);
}

void vt_kvm_close(struct vt_kvm *k)
{
	vt_close(k->dev);
	vt_close(k->vm);
	vt_close(k->kvm);
	if (k->loaded &&
	    system("modprobe -r -q kvm_amd kvm_intel kvm 2>/dev/null"))
		vt_diag("kvm modules left loaded");
}

int vt_kvm_file(struct vt_kvm *k, uint64_t attr, int fd)
{
	int32_t fd32 = fd;
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_GROUP,	/* KVM_DEV_VFIO_FILE (6.6) */
		.attr = attr,
		.addr = (uintptr_t)&fd32,
	};

	return ioctl(k->dev, KVM_SET_DEVICE_ATTR, &a) ? -errno : 0;
}

int vt_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		vt_fatal("eventfd: %s", vt_errname(errno));
	return vt_track(fd);
}

int vt_set_irqs_fd(int dev, uint32_t index, uint32_t action, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)]
		__attribute__((aligned(8)));
	struct vfio_irq_set *s = (void *)buf;
	int32_t fd32 = fd;

	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | action;
	s->index = index;
	s->start = 0;
	s->count = 1;
	memcpy(s->data, &fd32, sizeof(fd32));
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

int vt_set_irqs_none(int dev, uint32_t index, uint32_t action,
		     uint32_t start, uint32_t count)
{
	struct vfio_irq_set s = {
		.argsz = sizeof(s),
		.flags = VFIO_IRQ_SET_DATA_NONE | action,
		.index = index,
		.start = start,
		.count = count,
	};

	return ioctl(dev, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

int vt_set_irqs(int dev, uint32_t flags, uint32_t index, uint32_t start,
		uint32_t count, const void *data, size_t dlen)
{
	return vt_set_irqs_argsz(dev, 0, flags, index, start, count, data,
				 dlen);
}

int vt_set_irqs_argsz(int dev, uint32_t argsz, uint32_t flags,
		      uint32_t index, uint32_t start, uint32_t count,
		      const void *data, size_t dlen)
{
	char buf[sizeof(struct vfio_irq_set) + 256] __attribute__((aligned(8)));
	struct vfio_irq_set *s = (void *)buf;

	if (dlen > sizeof(buf) - sizeof(*s))
		vt_fatal("%s: %zu bytes of data is too much", __func__, dlen);
	memset(buf, 0, sizeof(buf));
	s->argsz = argsz ? argsz : sizeof(*s) + dlen;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (dlen)
		memcpy(s->data, data, dlen);
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, s) ? -errno : 0;
}

int vt_irq_info(int dev, uint32_t index, struct vfio_irq_info *ii)
{
	memset(ii, 0, sizeof(*ii));
	ii->argsz = sizeof(*ii);
	ii->index = index;
	return ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, ii) ? -errno : 0;
}

uint64_t vt_wait_eventfd(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* ------------------------------------------------------------------ edu */

void vt_edu_enable(struct vt_edu *e)
{
	uint16_t cmd;

	e->bar0 = vt_region_offset(e->dev, VFIO_PCI_BAR0_REGION_INDEX);
	cmd = vt_cfg_rd16(e->dev, 0x04);
	cmd |= 0x2 | 0x4;	/* PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER */
	vt_cfg_wr16(e->dev, 0x04, cmd);
}

uint32_t vt_edu_rd(struct vt_edu *e, unsigned int reg)
{
	return vt_rd32(e->dev, e->bar0 + reg);
}

void vt_edu_wr(struct vt_edu *e, unsigned int reg, uint32_t val)
{
	vt_wr32(e->dev, e->bar0 + reg, val);
}

bool vt_edu_dma(struct vt_edu *e, uint64_t src, uint64_t dst, uint32_t len,
		uint32_t cmd)
{
	int i;

	if (len > EDU_DMA_MAX_XFER)
		vt_fatal("edu transfer of %u bytes would abort QEMU", len);
	vt_edu_wr(e, EDU_REG_DMA_SRC, (uint32_t)src);
	vt_edu_wr(e, EDU_REG_DMA_DST, (uint32_t)dst);
	vt_edu_wr(e, EDU_REG_DMA_COUNT, len);
	vt_edu_wr(e, EDU_REG_DMA_CMD, cmd | EDU_DMA_CMD_START);
	/* edu completes a transfer 100 ms (virtual clock) after the kick */
	for (i = 0; i < 500; i++) {
		if (!(vt_edu_rd(e, EDU_REG_DMA_CMD) & EDU_DMA_CMD_START))
			return true;
		usleep(10000);
	}
	return false;
}
