// SPDX-License-Identifier: GPL-2.0-only
/*
 * The unsafe no-IOMMU mode end to end, on an edu device that has no IOMMU
 * group: the test VM booted with intel_iommu=off (check.sh's "noiommu" VM).
 *
 * vfio.enable_unsafe_noiommu_mode decides at bind time: off, vfio-pci
 * refuses such a device (EINVAL, no node); on, the bind makes
 * /dev/vfio/noiommu-N, taints the kernel (U) and warns. Such a group only
 * joins containers of its kind, which offer only VFIO_NOIOMMU_IOMMU; every
 * step needs CAP_SYS_RAWIO. The device itself works as usual (regions,
 * BAR, MSI, INTx) and, with nothing translating, DMA addresses are
 * physical addresses: edu copies to and from a locked page whose address
 * /proc/self/pagemap gives. A noiommu group also takes /dev/iommu as its
 * container: the context turns to no-IOMMU mode and the device opens
 * unbound, only with CAP_SYS_RAWIO and no compat IOAS (else EPERM). Expected behaviour and errnos: upstream 6.12
 * built with CONFIG_VFIO_NOIOMMU=y. Debian's in-tree vfio is built
 * without it (no parameter), so against it the whole program skips.
 *
 *   vfio_noiommu_test [-d BDF]...   default: $VFIO_EDU0 $VFIO_EDU1, else
 *                                   every edu device (the first two)
 *
 * The devices are unbound, their driver_override cleared and the
 * parameter put back as it was when the program ends.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>

#include "vfio_test_lib.h"

/*
 * tools/testing/vm/run-tests.sh looks for this string in a test program:
 * this one runs only in the test VM booted without an IOMMU.
 */
static const char vm_flavour[] __attribute__((used)) =
	"vfio-test-vm: noiommu";

#define PARAM		"/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
#define TAINT_USER	(1ULL << 6)		/* 'U' in the taint flags */
#define PCI_DEVS	"/sys/bus/pci/devices"
/* Start of a kernel log line of vfio-pci about a device (a regexp). */
#define LOGPFX		"vfio-pci [0-9a-f:.]+: "

/* edu registers beyond the library's set (QEMU hw/misc/edu.c). */
#define EDU_REG_FACTORIAL	0x08
#define EDU_REG_STATUS		0x20
#define EDU_STATUS_COMPUTING	0x01

#define BAR0_SIZE		0x100000ULL
#define PM_PRESENT		(1ULL << 63)
#define PM_PFN_MASK		((1ULL << 55) - 1)
/* Searching for a page edu can reach: chunks, and how far to go. */
#define LOW_CHUNK		(32UL << 20)
#define LOW_MAX_CHUNKS		40
#define LOW_KEEP_FREE_MB	384

static char edu0[32], edu1[32];		/* edu1 empty: only one edu */
static char param_orig[8];

/* ------------------------------------------------------------ helpers */

static long ext(int fd, unsigned long e)
{
	return ioctl(fd, VFIO_CHECK_EXTENSION, e);
}

static uint32_t group_status(int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st))
		vt_fatal("GET_STATUS: %s", vt_errname(errno));
	return st.flags;
}

static bool param_is_on(void)
{
	char v[8] = "";

	vt_sysfs_read(PARAM, v, sizeof(v));
	return v[0] == 'Y' || v[0] == 'y' || v[0] == '1';
}

static void param_set(bool on)
{
	int ret = vt_sysfs_write(PARAM, on ? "1" : "0");

	if (ret)
		vt_fatal("write %s: %s", PARAM, vt_errname(-ret));
}

static unsigned long long tainted(void)
{
	return vt_sysfs_read_num("/proc/sys/kernel/tainted");
}

static bool bound_to_vfio(const char *bdf)
{
	char drv[64];

	vt_dev_driver(bdf, drv, sizeof(drv));
	return !strcmp(drv, "vfio-pci");
}

/* IOMMU group number of @bdf, -1 without one. */
static int group_of(const char *bdf)
{
	char path[PATH_MAX], grp[32];

	snprintf(path, sizeof(path), PCI_DEVS "/%s/iommu_group", bdf);
	return vt_link_name(path, grp, sizeof(grp)) ? -1 : atoi(grp);
}

static void group_node(int grp, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/vfio/noiommu-%d", grp);
}

static bool exists(const char *fmt, int n)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), fmt, n);
	return !access(path, F_OK);
}

/*
 * Bind through the driver's bind file: unlike drivers_probe it returns
 * vfio-pci's probe error. Returns 0 or -errno.
 */
static int bind_vfio(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int ret;

	vt_dev_driver(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	if (drv[0]) {
		snprintf(path, sizeof(path), PCI_DEVS "/%s/driver/unbind", bdf);
		ret = vt_sysfs_write(path, bdf);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", bdf);
	ret = vt_sysfs_write(path, "vfio-pci");
	if (ret)
		return ret;
	return vt_sysfs_write("/sys/bus/pci/drivers/vfio-pci/bind", bdf);
}

/* Back to no driver (edu has none) and no override. */
static int unbind_dev(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int ret = 0;

	vt_dev_driver(bdf, drv, sizeof(drv));
	if (drv[0]) {
		snprintf(path, sizeof(path), PCI_DEVS "/%s/driver/unbind", bdf);
		ret = vt_sysfs_write(path, bdf);
	}
	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", bdf);
	vt_sysfs_write(path, "\n");
	return ret;
}

/* Noiommu mode on, @bdf on vfio-pci; returns its group number. */
static int noiommu_bind(const char *bdf)
{
	char node[64];
	int ret, grp, i;

	param_set(true);
	ret = bind_vfio(bdf);
	if (ret)
		vt_fatal("bind %s to vfio-pci in noiommu mode: %s", bdf,
			 vt_errname(-ret));
	grp = group_of(bdf);
	if (grp < 0)
		vt_fatal("%s is on vfio-pci but has no IOMMU group", bdf);
	group_node(grp, node, sizeof(node));
	for (i = 0; i < 100 && access(node, F_OK); i++)
		usleep(20000);
	if (access(node, F_OK))
		vt_fatal("%s did not appear", node);
	return grp;
}

static int open_group(int grp)
{
	char node[64];
	int fd;

	group_node(grp, node, sizeof(node));
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		vt_fatal("open %s: %s", node, vt_errname(errno));
	return vt_track(fd);
}

/* Entries of /dev/vfio that are group nodes (noiommu-N or N). */
static int group_nodes(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/dev/vfio");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "noiommu-", 8) ||
		    (de->d_name[0] >= '0' && de->d_name[0] <= '9'))
			n++;
	}
	closedir(d);
	return n;
}

struct noi_session {
	int grp;			/* IOMMU group number */
	int container, group, device;
	struct vt_edu e;
};

/* Group in a noiommu container; the edu device opened and enabled. */
static void noi_open(struct noi_session *s, const char *bdf, bool device)
{
	s->grp = noiommu_bind(bdf);
	s->container = vt_open_container();
	s->group = open_group(s->grp);
	vt_set_container(s->group, s->container);
	vt_set_iommu(s->container, VFIO_NOIOMMU_IOMMU);
	s->device = -1;
	if (!device)
		return;
	s->device = vt_get_device(s->group, bdf);
	s->e.dev = s->device;
	vt_edu_enable(&s->e);
}

/* CAP_SYS_RAWIO in the effective set, which is what capable() checks. */
static void rawio(bool on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	const uint32_t bit = 1U << (CAP_SYS_RAWIO % 32);

	if (syscall(SYS_capget, &h, d))
		vt_fatal("capget: %s", vt_errname(errno));
	if (on)
		d[CAP_SYS_RAWIO / 32].effective |= bit;
	else
		d[CAP_SYS_RAWIO / 32].effective &= ~bit;
	if (syscall(SYS_capset, &h, d))
		vt_fatal("capset: %s", vt_errname(errno));
}

/* The kernel log from now on: /dev/kmsg positioned at its end. */
static int kmsg_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		vt_fatal("open /dev/kmsg: %s", vt_errname(errno));
	lseek(fd, 0, SEEK_END);
	return vt_track(fd);
}

/* Did a record since the mark contain both @a and @b? Consumes them. */
static bool kmsg_seen(int fd, const char *a, const char *b)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;		/* EAGAIN: no more records */
		rec[n] = 0;
		if (strstr(rec, a) && strstr(rec, b))
			found = true;
	}
	if (!found)
		vt_diag("no kernel log line with \"%s\" and \"%s\"", a, b);
	return found;
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 13 + (i >> 7));
}

/* ------------------------------------------------------------- tests */

static void t_no_iommu_group(void)
{
	struct stat st;

	/* The premise: nothing gives this device an IOMMU group. */
	VT_EXPECT(group_of(edu0) < 0, "%s has IOMMU group %d", edu0,
		  group_of(edu0));
	VT_EXPECT(!exists("/sys/class/iommu/dmar%d", 0),
		  "an IOMMU is active");
	/* Upstream: S_IRUGO | S_IWUSR, writable at run time. */
	VT_ASSERT(!stat(PARAM, &st), "stat %s: %s", PARAM, vt_errname(errno));
	VT_EXPECT_EQ(st.st_mode & 0777, 0644);
}

static void t_param_runtime(void)
{
	param_set(true);
	VT_EXPECT(param_is_on(), "1 did not turn it on");
	param_set(false);
	VT_EXPECT(!param_is_on(), "0 did not turn it off");
	VT_EXPECT_EQ(vt_sysfs_write(PARAM, "Y"), 0);
	VT_EXPECT(param_is_on(), "Y did not turn it on");
	VT_EXPECT_EQ(vt_sysfs_write(PARAM, "maybe"), -EINVAL);
	VT_EXPECT(param_is_on(), "a bad value changed it");
	param_set(false);
}

static void t_bind_refused_when_off(void)
{
	unsigned long long t0 = tainted();
	int k;

	unbind_dev(edu0);
	param_set(false);
	k = kmsg_mark();
	/* Upstream: no IOMMU group and noiommu off is -EINVAL. */
	VT_EXPECT_EQ(bind_vfio(edu0), -EINVAL);
	VT_EXPECT(!bound_to_vfio(edu0), "bound anyway");
	VT_EXPECT(group_of(edu0) < 0, "the device got a group");
	VT_EXPECT_EQ(group_nodes(), 0);
	VT_EXPECT(kmsg_seen(k, edu0, "failed with error -22"),
		  "no probe failure logged");
	VT_EXPECT_EQ(tainted() & TAINT_USER, t0 & TAINT_USER);
	unbind_dev(edu0);
}

static void t_bind_makes_noiommu_group(void)
{
	unsigned long long t0 = tainted();
	char node[64], path[PATH_MAX], buf[64];
	struct dirent *de;
	struct stat st;
	int k, grp, g, n;
	DIR *d;

	unbind_dev(edu0);
	param_set(true);
	k = kmsg_mark();
	VT_ASSERT(!bind_vfio(edu0), "bind: %s", vt_errname(errno));
	grp = group_of(edu0);
	VT_ASSERT(grp >= 0, "no IOMMU group after the bind");
	group_node(grp, node, sizeof(node));
	vt_diag("%s: %s", edu0, node);

	VT_ASSERT(!stat(node, &st), "stat %s: %s", node, vt_errname(errno));
	VT_EXPECT(S_ISCHR(st.st_mode), "mode 0%o", st.st_mode);
	VT_EXPECT_EQ(st.st_mode & 0777, 0600);
	VT_EXPECT(!exists("/dev/vfio/%d", grp), "a plain group node too");
	VT_EXPECT_EQ(group_nodes(), 1);

	/* A private IOMMU group named so, holding the device alone. */
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/name", grp);
	VT_EXPECT(vt_sysfs_read(path, buf, sizeof(buf)) > 0 &&
		  !strcmp(buf, "vfio-noiommu"), "%s: \"%s\"", path, buf);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 grp);
	d = opendir(path);
	VT_ASSERT(d, "%s: %s", path, vt_errname(errno));
	n = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		VT_EXPECT(!strcmp(de->d_name, edu0), "%s in the group",
			  de->d_name);
	}
	closedir(d);
	VT_EXPECT_EQ(n, 1);

	/* Upstream taints and says so when it makes the group. */
	if (t0 & TAINT_USER)
		vt_diag("the kernel was tainted (U) before: not checked");
	else
		VT_EXPECT(tainted() & TAINT_USER, "taint 0x%llx", tainted());
	VT_EXPECT(kmsg_seen(k, edu0,
		  "Adding kernel taint for vfio-noiommu group on device"),
		  "no taint warning");

	/* The vfio class device exists; noiommu devices get no cdev. */
	snprintf(path, sizeof(path), PCI_DEVS "/%s/vfio-dev", edu0);
	d = opendir(path);
	VT_ASSERT(d, "%s: %s", path, vt_errname(errno));
	n = 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		n++;
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s",
			 de->d_name);
		VT_EXPECT(access(path, F_OK), "%s exists", path);
	}
	closedir(d);
	VT_EXPECT_EQ(n, 1);

	g = open_group(grp);
	VT_EXPECT_EQ(group_status(g), VFIO_GROUP_FLAGS_VIABLE);
}

static void t_container_extensions(void)
{
	bool type1 = !access("/sys/module/vfio_iommu_type1", F_OK);
	char buf[VT_PAGE] __attribute__((aligned(8)));
	int grp = noiommu_bind(edu0);
	int c = vt_open_container();
	int g = open_group(grp);

	/*
	 * An empty container polls every backend: type1 answers for its
	 * types even with no IOMMU in the machine.
	 */
	VT_EXPECT_EQ(ext(c, VFIO_NOIOMMU_IOMMU), 1);
	VT_EXPECT_EQ(ext(c, VFIO_TYPE1v2_IOMMU), type1);
	VT_EXPECT_EQ(ext(c, VFIO_TYPE1_IOMMU), type1);
	VT_EXPECT_EQ(ext(c, VFIO_DMA_CC_IOMMU), 0);

	vt_set_container(g, c);
	VT_EXPECT_EQ(group_status(g), VFIO_GROUP_FLAGS_VIABLE |
				      VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* With a noiommu group in it, only the noiommu backend counts. */
	VT_EXPECT_EQ(ext(c, VFIO_NOIOMMU_IOMMU), 1);
	VT_EXPECT_EQ(ext(c, VFIO_TYPE1v2_IOMMU), 0);
	VT_EXPECT_EQ(ext(c, VFIO_TYPE1_IOMMU), 0);
	VT_ERRNO(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), ENODEV);
	VT_ERRNO(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), ENODEV);
	/* No backend yet: nothing to forward to. */
	VT_EXPECT_EQ(vt_iommu_info(c, buf, sizeof(buf)), -EINVAL);

	VT_OK(ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));
	VT_ERRNO(ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), EINVAL);
	VT_EXPECT_EQ(ext(c, VFIO_NOIOMMU_IOMMU), 1);
	VT_EXPECT_EQ(ext(c, VFIO_TYPE1v2_IOMMU), 0);

	/* Leaving takes the backend along: the container is empty again. */
	VT_OK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	VT_EXPECT_EQ(group_status(g), VFIO_GROUP_FLAGS_VIABLE);
	VT_EXPECT_EQ(ext(c, VFIO_TYPE1v2_IOMMU), type1);
	VT_ERRNO(ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), EINVAL);
}

static void t_map_dma_refused(void)
{
	char buf[VT_PAGE] __attribute__((aligned(8)));
	unsigned char *mem = vt_alloc(VT_PAGE);
	long lk = vt_locked_kb();
	struct noi_session s;

	noi_open(&s, edu0, false);
	/* The noiommu backend serves nothing but CHECK_EXTENSION. */
	VT_EXPECT_EQ(vt_map(s.container, mem, 0x100000, VT_PAGE,
			    VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE),
		     -ENOTTY);
	VT_EXPECT_EQ(vt_unmap(s.container, 0x100000, VT_PAGE, 0, NULL),
		     -ENOTTY);
	VT_EXPECT_EQ(vt_iommu_info(s.container, buf, sizeof(buf)), -ENOTTY);
	VT_EXPECT_EQ(vt_locked_kb(), lk);
	munmap(mem, VT_PAGE);
}

static void t_rawio_required(void)
{
	char node[64];
	int grp = noiommu_bind(edu0);
	int c = vt_open_container();
	int g = open_group(grp);
	int d;

	group_node(grp, node, sizeof(node));
	/* With the capability the only obstacle is the open group fd. */
	VT_ERRNO(open(node, O_RDWR | O_CLOEXEC), EBUSY);

	rawio(false);
	/* Upstream checks the capability before exclusivity. */
	VT_ERRNO(open(node, O_RDWR | O_CLOEXEC), EPERM);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), EPERM);
	rawio(true);
	vt_set_container(g, c);

	rawio(false);
	VT_ERRNO(ioctl(c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), EPERM);
	/* Asking is not privileged. */
	VT_EXPECT_EQ(ext(c, VFIO_NOIOMMU_IOMMU), 1);
	rawio(true);
	vt_set_iommu(c, VFIO_NOIOMMU_IOMMU);

	rawio(false);
	VT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, edu0), EPERM);
	rawio(true);
	d = vt_get_device(g, edu0);

	/*
	 * Checked when the first fd attaches the device: that fd keeps
	 * working without it, and (upstream too) more fds of the open
	 * device need no capability.
	 */
	rawio(false);
	{
		struct vt_edu e = { .dev = d };

		e.bar0 = vt_region_offset(d, VFIO_PCI_BAR0_REGION_INDEX);
		VT_EXPECT_EQ(vt_edu_rd(&e, EDU_REG_IDENT), VT_EDU_IDENT);
	}
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, edu0);
	VT_EXPECT(d >= 0, "second device fd: %s", vt_errname(errno));
	vt_track(d);
	rawio(true);
}

static void t_device_fd(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	char comm[32] = "", want[128];
	struct noi_session s;
	unsigned int i;
	int k, d2;

	noi_open(&s, edu0, false);
	vt_sysfs_read("/proc/self/comm", comm, sizeof(comm));
	k = kmsg_mark();
	s.device = vt_get_device(s.group, edu0);
	/* Upstream names the opener, every time. */
	snprintf(want, sizeof(want),
		 "vfio-noiommu device opened by user (%s:%d)", comm, getpid());
	VT_EXPECT(kmsg_seen(k, edu0, want), "no open warning");

	VT_OK(ioctl(s.device, VFIO_DEVICE_GET_INFO, &di));
	VT_EXPECT(di.flags & VFIO_DEVICE_FLAGS_PCI, "flags 0x%x", di.flags);
	VT_EXPECT(di.num_regions >= VFIO_PCI_NUM_REGIONS, "%u regions",
		  di.num_regions);
	VT_EXPECT_EQ(di.num_irqs, VFIO_PCI_NUM_IRQS);

	VT_OK(vt_region_info(s.device, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	VT_EXPECT_EQ(ri.size, BAR0_SIZE);
	VT_EXPECT_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ |
			       VFIO_REGION_INFO_FLAG_WRITE |
			       VFIO_REGION_INFO_FLAG_MMAP);
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX;
	     i++) {
		VT_OK(vt_region_info(s.device, i, &ri));
		VT_EXPECT(!ri.size && !ri.flags, "BAR region %u: 0x%llx/0x%x",
			  i, (unsigned long long)ri.size, ri.flags);
	}
	VT_OK(vt_region_info(s.device, VFIO_PCI_CONFIG_REGION_INDEX, &ri));
	VT_EXPECT_EQ(ri.size, 256);
	VT_EXPECT_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ |
			       VFIO_REGION_INFO_FLAG_WRITE);

	/* More fds of the device are fine; a wrong name is not. */
	d2 = ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, edu0);
	VT_EXPECT(d2 >= 0, "second device fd: %s", vt_errname(errno));
	vt_track(d2);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, "0000:ff:1f.7"),
		 ENODEV);
	/* A device open pins the container. */
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
}

static void t_bar_access(void)
{
	volatile uint32_t *bar;
	struct noi_session s;
	int i;

	noi_open(&s, edu0, true);
	VT_EXPECT_EQ(vt_edu_rd(&s.e, EDU_REG_IDENT), VT_EDU_IDENT);
	VT_EXPECT_EQ(vt_cfg_rd16(s.device, 0x00), VT_EDU_VENDOR);
	VT_EXPECT_EQ(vt_cfg_rd16(s.device, 0x02), VT_EDU_DEVICE);

	vt_edu_wr(&s.e, EDU_REG_LIVENESS, 0x5a5a0f0f);
	VT_EXPECT_EQ(vt_edu_rd(&s.e, EDU_REG_LIVENESS), ~0x5a5a0f0fU);

	/* The device computes: 12! through the factorial register. */
	vt_edu_wr(&s.e, EDU_REG_FACTORIAL, 12);
	for (i = 0; i < 300; i++) {
		if (!(vt_edu_rd(&s.e, EDU_REG_STATUS) & EDU_STATUS_COMPUTING))
			break;
		usleep(10000);
	}
	VT_EXPECT_EQ(vt_edu_rd(&s.e, EDU_REG_FACTORIAL), 479001600);

	bar = mmap(NULL, BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   s.device, s.e.bar0);
	VT_ASSERT(bar != MAP_FAILED, "mmap BAR0: %s", vt_errname(errno));
	VT_EXPECT_EQ(bar[EDU_REG_IDENT / 4], VT_EDU_IDENT);
	bar[EDU_REG_LIVENESS / 4] = 0x0f0f5a5a;
	VT_EXPECT_EQ(vt_edu_rd(&s.e, EDU_REG_LIVENESS), ~0x0f0f5a5aU);
	munmap((void *)bar, BAR0_SIZE);
}

static void t_msi_eventfd(void)
{
	struct vfio_irq_info ii = {
		.argsz = sizeof(ii),
		.index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	struct noi_session s;
	int efd;

	noi_open(&s, edu0, true);
	VT_OK(ioctl(s.device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	VT_ASSERT(ii.count >= 1, "edu reports %u MSI vectors", ii.count);
	efd = vt_eventfd();
	VT_ASSERT(!vt_set_irqs_fd(s.device, VFIO_PCI_MSI_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, efd),
		  "SET_IRQS(MSI): %s", vt_errname(errno));
	vt_edu_wr(&s.e, EDU_REG_IRQ_RAISE, 0x1);
	VT_EXPECT(vt_wait_eventfd(efd, 3000) >= 1, "no MSI");
	vt_edu_wr(&s.e, EDU_REG_IRQ_ACK, 0x1);
	vt_edu_wr(&s.e, EDU_REG_IRQ_RAISE, 0x4);
	VT_EXPECT(vt_wait_eventfd(efd, 3000) >= 1, "no second MSI");
	vt_edu_wr(&s.e, EDU_REG_IRQ_ACK, 0x4);
	VT_OK(vt_set_irqs_none(s.device, VFIO_PCI_MSI_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
}

static void t_intx_eventfd(void)
{
	struct noi_session s;
	uint64_t n1, n2;
	int efd;

	noi_open(&s, edu0, true);
	efd = vt_eventfd();
	VT_ASSERT(!vt_set_irqs_fd(s.device, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, efd),
		  "SET_IRQS(INTx): %s", vt_errname(errno));
	/* The line is lowered before any check can end the test. */
	vt_edu_wr(&s.e, EDU_REG_IRQ_RAISE, 0x2);
	n1 = vt_wait_eventfd(efd, 3000);
	n2 = vt_wait_eventfd(efd, 300);		/* masked until unmask */
	vt_edu_wr(&s.e, EDU_REG_IRQ_ACK, 0x2);
	VT_EXPECT(n1 >= 1, "no INTx");
	VT_EXPECT_EQ(n2, 0);
	VT_OK(vt_set_irqs_none(s.device, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	vt_edu_wr(&s.e, EDU_REG_IRQ_RAISE, 0x2);
	n1 = vt_wait_eventfd(efd, 3000);
	vt_edu_wr(&s.e, EDU_REG_IRQ_ACK, 0x2);
	VT_EXPECT(n1 >= 1, "no INTx after unmask");
	VT_OK(vt_set_irqs_none(s.device, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	VT_OK(vt_set_irqs_none(s.device, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
}

/* Physical address of the page at @va (root sees PFNs), 0 if none. */
static uint64_t phys_of(int pagemap, const void *va)
{
	uint64_t e;

	if (pread(pagemap, &e, sizeof(e),
		  (uintptr_t)va / VT_PAGE * sizeof(e)) != sizeof(e))
		return 0;
	if (!(e & PM_PRESENT))
		return 0;
	return (e & PM_PFN_MASK) * VT_PAGE;
}

static long mem_available_mb(void)
{
	char line[128];
	long kb = 0;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb / 1024;
}

struct low_page {
	unsigned char *va;
	uint64_t pa;
	void *chunks[LOW_MAX_CHUNKS];
	unsigned int nchunks;
};

/*
 * A locked page below edu's 28-bit DMA mask. User memory comes from
 * anywhere in the 2 GiB: lock chunks until one holds such a page, then
 * give everything else back. The chunks stay mapped until the search
 * ends, or the allocator would hand the same pages out again.
 */
static void low_page_get(struct low_page *lp)
{
	int pm = vt_track(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
	unsigned char *c, *hit = NULL;
	unsigned int i;
	size_t off;

	VT_ASSERT(pm >= 0, "open pagemap: %s", vt_errname(errno));
	memset(lp, 0, sizeof(*lp));
	while (!hit && lp->nchunks < LOW_MAX_CHUNKS &&
	       mem_available_mb() > LOW_KEEP_FREE_MB) {
		c = mmap(NULL, LOW_CHUNK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (c == MAP_FAILED)
			break;
		lp->chunks[lp->nchunks++] = c;
		if (mlock(c, LOW_CHUNK))
			break;
		for (off = 0; off < LOW_CHUNK; off += VT_PAGE) {
			uint64_t pa = phys_of(pm, c + off);

			if (pa && pa + VT_PAGE - 1 <= EDU_DMA_MASK) {
				hit = c + off;
				lp->pa = pa;
				break;
			}
		}
	}
	VT_ASSERT(lp->nchunks && phys_of(pm, lp->chunks[0]),
		  "no memory, or pagemap shows no PFNs (not root?)");
	vt_diag("page at physical 0x%llx, after locking %u MiB",
		(unsigned long long)lp->pa, lp->nchunks * (unsigned int)
		(LOW_CHUNK >> 20));
	/* Keep only the page found. */
	for (i = 0; i < lp->nchunks; i++) {
		c = lp->chunks[i];
		if (hit < c || hit >= c + LOW_CHUNK) {
			munmap(c, LOW_CHUNK);
			continue;
		}
		if (hit > c)
			munmap(c, hit - c);
		if (hit + VT_PAGE < c + LOW_CHUNK)
			munmap(hit + VT_PAGE, c + LOW_CHUNK - hit - VT_PAGE);
	}
	lp->nchunks = 0;
	lp->va = hit;
	vt_close(pm);
	VT_ASSERT(hit, "no page below 256 MiB in %u MiB of locked memory",
		  LOW_MAX_CHUNKS * (unsigned int)(LOW_CHUNK >> 20));
}

static void low_page_put(struct low_page *lp)
{
	if (lp->va)
		munmap(lp->va, VT_PAGE);
	lp->va = NULL;
}

/* Still the same physical page (it is locked, but may it migrate?). */
static bool low_page_unmoved(struct low_page *lp)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t pa = pm < 0 ? 0 : phys_of(pm, lp->va);

	if (pm >= 0)
		close(pm);
	return pa == lp->pa;
}

static void t_dma_physical(void)
{
	const uint32_t len = 1024, back = 2048;
	struct noi_session s;
	struct low_page lp;
	int efd;

	noi_open(&s, edu0, true);
	low_page_get(&lp);

	/* RAM -> edu -> RAM, both by physical address. */
	fill(lp.va, len, 3);
	memset(lp.va + back, 0, len);
	VT_ASSERT(vt_edu_dma(&s.e, lp.pa, EDU_DMA_BUF_ADDR, len, 0),
		  "edu DMA from RAM did not complete");
	VT_ASSERT(vt_edu_dma(&s.e, EDU_DMA_BUF_ADDR, lp.pa + back, len,
			     EDU_DMA_CMD_TO_RAM),
		  "edu DMA to RAM did not complete");
	VT_EXPECT(!memcmp(lp.va, lp.va + back, len),
		  "the data did not come back at physical 0x%llx",
		  (unsigned long long)(lp.pa + back));
	VT_EXPECT_EQ(lp.va[back + len], 0);

	/* Again with a completion MSI, another pattern, other offsets. */
	efd = vt_eventfd();
	VT_ASSERT(!vt_set_irqs_fd(s.device, VFIO_PCI_MSI_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, efd),
		  "SET_IRQS(MSI): %s", vt_errname(errno));
	fill(lp.va + 512, len, 101);
	memset(lp.va + back + 512, 0, len);
	VT_ASSERT(vt_edu_dma(&s.e, lp.pa + 512, EDU_DMA_BUF_ADDR + 1024, len,
			     EDU_DMA_CMD_IRQ), "edu DMA did not complete");
	VT_EXPECT(vt_wait_eventfd(efd, 3000) >= 1, "no MSI after DMA");
	vt_edu_wr(&s.e, EDU_REG_IRQ_ACK, EDU_DMA_IRQ_BIT);
	VT_ASSERT(vt_edu_dma(&s.e, EDU_DMA_BUF_ADDR + 1024,
			     lp.pa + back + 512, len,
			     EDU_DMA_CMD_TO_RAM | EDU_DMA_CMD_IRQ),
		  "edu DMA did not complete");
	VT_EXPECT(vt_wait_eventfd(efd, 3000) >= 1, "no MSI after DMA");
	vt_edu_wr(&s.e, EDU_REG_IRQ_ACK, EDU_DMA_IRQ_BIT);
	VT_EXPECT(!memcmp(lp.va + 512, lp.va + back + 512, len),
		  "second copy differs");
	VT_OK(vt_set_irqs_none(s.device, VFIO_PCI_MSI_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));

	VT_EXPECT(low_page_unmoved(&lp), "the page moved during the test");
	low_page_put(&lp);
}

static void t_two_groups(void)
{
	struct noi_session s;
	struct vt_edu e1;
	int grp1, g1;

	if (!edu1[0])
		vt_skip("needs a second edu device");
	noi_open(&s, edu0, true);
	grp1 = noiommu_bind(edu1);
	VT_EXPECT(grp1 != s.grp, "both in group %d", grp1);
	g1 = open_group(grp1);
	/* noiommu groups share a container like real ones do */
	vt_set_container(g1, s.container);
	e1.dev = vt_get_device(g1, edu1);
	vt_edu_enable(&e1);
	VT_EXPECT_EQ(vt_edu_rd(&e1, EDU_REG_IDENT), VT_EDU_IDENT);
	VT_EXPECT_EQ(vt_edu_rd(&s.e, EDU_REG_IDENT), VT_EDU_IDENT);
	/* One device's group cannot leave while the device is open. */
	VT_ERRNO(ioctl(g1, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
	vt_close(e1.dev);
	VT_OK(ioctl(g1, VFIO_GROUP_UNSET_CONTAINER));
	VT_EXPECT_EQ(ext(s.container, VFIO_NOIOMMU_IOMMU), 1);
}

static int vfio_ioas(int ifd, uint16_t op, uint32_t id)
{
	struct iommu_vfio_ioas v = {
		.size = sizeof(v), .op = op, .ioas_id = id,
	};

	return ioctl(ifd, IOMMU_VFIO_IOAS, &v);
}

/*
 * The group on /dev/iommu instead of a container (upstream with
 * CONFIG_VFIO_NOIOMMU): the context goes to no-IOMMU mode (no compat
 * IOAS, only VFIO_NOIOMMU_IOMMU), the device is not bound to it and
 * opens only with CAP_SYS_RAWIO and while the user has asked for no
 * translation (no compat IOAS), EPERM otherwise.
 */
static void t_iommufd(void)
{
	struct vt_edu e;
	int grp, g, ifd, ifd2, c;
	uint32_t ioas;

	if (access("/dev/iommu", F_OK) &&
	    system("modprobe -q iommufd 2>/dev/null") == -1)
		vt_diag("cannot run modprobe");
	if (access("/dev/iommu", F_OK))
		vt_skip("no /dev/iommu");
	grp = noiommu_bind(edu0);
	g = open_group(grp);
	ifd = vt_open_iommufd();
	ifd2 = vt_open_iommufd();
	c = vt_open_container();

	/* a context with a compat IOAS expects translation: refused */
	ioas = vt_ioas_alloc(ifd2);
	VT_OK(vfio_ioas(ifd2, IOMMU_VFIO_IOAS_SET, ioas));
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &ifd2), EINVAL);
	VT_EXPECT_EQ(group_status(g), VFIO_GROUP_FLAGS_VIABLE);

	/* joining needs no capability (opening the group did) */
	rawio(false);
	VT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &ifd));
	rawio(true);
	VT_EXPECT_EQ(group_status(g), VFIO_GROUP_FLAGS_CONTAINER_SET |
				      VFIO_GROUP_FLAGS_VIABLE);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &ifd), EINVAL);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), EINVAL);
	/* no-IOMMU mode: no compat IOAS, type1 gone */
	VT_ERRNO(vfio_ioas(ifd, IOMMU_VFIO_IOAS_GET, 0), ENODEV);
	VT_EXPECT_EQ(ext(ifd, VFIO_TYPE1v2_IOMMU), 0);
	VT_EXPECT_EQ(ext(ifd, VFIO_NOIOMMU_IOMMU), 1);
	VT_ERRNO(ioctl(ifd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), EINVAL);
	rawio(false);
	VT_ERRNO(ioctl(ifd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), EPERM);
	VT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, edu0), EPERM);
	rawio(true);
	VT_OK(ioctl(ifd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU));

	e.dev = vt_get_device(g, edu0);
	vt_edu_enable(&e);
	VT_EXPECT_EQ(vt_edu_rd(&e, EDU_REG_IDENT), VT_EDU_IDENT);
	/* nothing of the device in the context: the next id is the first */
	VT_EXPECT_EQ(vt_ioas_alloc(ifd), 1);
	VT_OK(vt_iommufd_destroy(ifd, 1));
	/* unset with the device open: fine on an iommufd */
	VT_OK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	VT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, edu0), EINVAL);
	VT_EXPECT_EQ(vt_edu_rd(&e, EDU_REG_IDENT), VT_EDU_IDENT);
	vt_close(e.dev);

	/* a compat IOAS chosen meanwhile: the open is refused */
	VT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &ifd));
	ioas = vt_ioas_alloc(ifd);
	VT_OK(vfio_ioas(ifd, IOMMU_VFIO_IOAS_SET, ioas));
	VT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, edu0), EPERM);
	VT_OK(vfio_ioas(ifd, IOMMU_VFIO_IOAS_CLEAR, 0));
	e.dev = vt_get_device(g, edu0);
	vt_close(e.dev);
	VT_OK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	/* and a container after the iommufd */
	vt_set_container(g, c);
	vt_set_iommu(c, VFIO_NOIOMMU_IOMMU);
	vt_close(vt_get_device(g, edu0));
}

static void t_param_off_while_open(void)
{
	struct noi_session s;
	int c2, d2;

	noi_open(&s, edu0, true);
	param_set(false);
	/* What exists keeps working... */
	VT_EXPECT_EQ(vt_edu_rd(&s.e, EDU_REG_IDENT), VT_EDU_IDENT);
	d2 = ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, edu0);
	VT_EXPECT(d2 >= 0, "device fd with the mode off: %s",
		  vt_errname(errno));
	vt_track(d2);
	/* ...but the backend no longer offers itself, */
	VT_EXPECT_EQ(ext(s.container, VFIO_NOIOMMU_IOMMU), 0);
	c2 = vt_open_container();
	VT_EXPECT_EQ(ext(c2, VFIO_NOIOMMU_IOMMU), 0);
	/* a new device is refused, */
	if (edu1[0]) {
		unbind_dev(edu1);
		VT_EXPECT_EQ(bind_vfio(edu1), -EINVAL);
		VT_EXPECT(group_of(edu1) < 0, "%s got a group", edu1);
		unbind_dev(edu1);
	}
	/* and a container cannot be set up again once left. */
	vt_close(d2);
	vt_close(s.device);
	VT_OK(ioctl(s.group, VFIO_GROUP_UNSET_CONTAINER));
	VT_OK(ioctl(s.group, VFIO_GROUP_SET_CONTAINER, &c2));
	VT_ERRNO(ioctl(c2, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), ENODEV);
	VT_EXPECT(exists("/dev/vfio/noiommu-%d", s.grp),
		  "the node went with the mode");
	vt_close(s.group);
	vt_close(s.container);
	vt_close(c2);

	/* The device leaves; with the mode off it cannot come back. */
	VT_OK(unbind_dev(edu0));
	VT_EXPECT(!exists("/dev/vfio/noiommu-%d", s.grp), "node left over");
	VT_EXPECT_EQ(bind_vfio(edu0), -EINVAL);
	VT_EXPECT_EQ(group_nodes(), 0);
	unbind_dev(edu0);
}

/* Everything the bind made is gone after the unbind. */
static void expect_gone(const char *bdf, int grp)
{
	char path[PATH_MAX];

	VT_EXPECT(!bound_to_vfio(bdf), "%s still on vfio-pci", bdf);
	VT_EXPECT(!exists("/dev/vfio/noiommu-%d", grp), "node left over");
	VT_EXPECT(!exists("/sys/kernel/iommu_groups/%d", grp),
		  "IOMMU group %d left over", grp);
	VT_EXPECT(group_of(bdf) < 0, "%s still in a group", bdf);
	snprintf(path, sizeof(path), PCI_DEVS "/%s/vfio-dev", bdf);
	VT_EXPECT(access(path, F_OK), "%s left over", path);
	VT_EXPECT_EQ(group_nodes(), 0);
}

static void t_unbind_cleanup(void)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct noi_session s;
	int grp, st, i;
	pid_t pid;

	if (edu1[0])
		unbind_dev(edu1);

	/* Used and closed, then unbound. */
	noi_open(&s, edu0, true);
	vt_close(s.device);
	vt_close(s.group);
	vt_close(s.container);
	VT_OK(unbind_dev(edu0));
	expect_gone(edu0, s.grp);

	/* Unbound under an open group fd: the fd goes dead. */
	noi_open(&s, edu0, false);
	VT_OK(unbind_dev(edu0));
	expect_gone(edu0, s.grp);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_STATUS, &gs), ENODEV);
	/* the container lost its only group, hence its backend */
	VT_EXPECT_EQ(ext(s.container, VFIO_NOIOMMU_IOMMU), 1);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU),
		 EINVAL);
	vt_close(s.group);
	vt_close(s.container);

	/* Unbound under an open device fd: waits for its close. */
	noi_open(&s, edu0, true);
	grp = s.grp;
	fflush(stdout);
	pid = fork();
	VT_ASSERT(pid >= 0, "fork: %s", vt_errname(errno));
	if (!pid) {
		/* Holding a copy of the device fd would wait for itself. */
		syscall(SYS_close_range, 3, ~0U, 0);
		_exit(unbind_dev(edu0) ? 1 : 0);
	}
	usleep(1000 * 1000);
	VT_EXPECT_EQ(waitpid(pid, &st, WNOHANG), 0);
	/* The driver link goes first; the group waits for the user. */
	VT_EXPECT(exists("/dev/vfio/noiommu-%d", grp),
		  "the group went while the device is open");
	vt_close(s.device);
	for (i = 0; i < 100 && !waitpid(pid, &st, WNOHANG); i++)
		usleep(100 * 1000);
	VT_ASSERT(i < 100, "the unbind still blocks after the close");
	VT_EXPECT(WIFEXITED(st) && !WEXITSTATUS(st), "unbind failed");
	expect_gone(edu0, grp);
	vt_close(s.group);
	vt_close(s.container);
}

static const struct vt_test tests[] = {
	{ .name = "no_iommu_group", .fn = t_no_iommu_group },
	{ .name = "param_runtime", .fn = t_param_runtime },
	{ .name = "bind_refused_when_off", .fn = t_bind_refused_when_off },
	{ .name = "bind_makes_noiommu_group",
	  .fn = t_bind_makes_noiommu_group },
	{ .name = "container_extensions", .fn = t_container_extensions },
	{ .name = "map_dma_refused", .fn = t_map_dma_refused },
	{ .name = "rawio_required", .fn = t_rawio_required },
	{ .name = "device_fd", .fn = t_device_fd },
	{ .name = "bar_access", .fn = t_bar_access },
	{ .name = "msi_eventfd", .fn = t_msi_eventfd },
	{ .name = "intx_eventfd", .fn = t_intx_eventfd },
	{ .name = "dma_physical", .fn = t_dma_physical, .timeout = 120 },
	{ .name = "two_groups", .fn = t_two_groups },
	{ .name = "iommufd", .fn = t_iommufd },
	{ .name = "param_off_while_open", .fn = t_param_off_while_open },
	{ .name = "unbind_cleanup", .fn = t_unbind_cleanup },
};

/* -------------------------------------------------------------- main */

static void cleanup(void)
{
	if (edu0[0])
		unbind_dev(edu0);
	if (edu1[0])
		unbind_dev(edu1);
	if (param_orig[0])
		vt_sysfs_write(PARAM, param_orig);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool is_edu(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVS "/%s/vendor", bdf);
	if (vt_sysfs_read_num(path) != VT_EDU_VENDOR)
		return false;
	snprintf(path, sizeof(path), PCI_DEVS "/%s/device", bdf);
	return vt_sysfs_read_num(path) == VT_EDU_DEVICE;
}

/* A group left by an earlier run of this program is no obstacle. */
static bool in_noiommu_group(const char *bdf)
{
	char path[PATH_MAX], name[32] = "";

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/name",
		 group_of(bdf));
	vt_sysfs_read(path, name, sizeof(name));
	return !strcmp(name, "vfio-noiommu");
}

static void pick_devices(int argc, char **argv)
{
	char found[VT_MAX_DEVS][32], *slot[2] = { edu0, edu1 };
	const char *env[2] = { getenv("VFIO_EDU0"), getenv("VFIO_EDU1") };
	int opt, n = 0, i;

	while ((opt = getopt(argc, argv, "d:h")) != -1) {
		if (opt != 'd' || n >= 2) {
			printf("usage: %s [-d BDF]... (one or two edu devices)\n",
			       argv[0]);
			exit(opt == 'h' ? 0 : 2);
		}
		snprintf(slot[n++], 32, "%s", optarg);
	}
	for (i = 0; optind == 1 && i < 2; i++) {
		if (env[i] && *env[i] && is_edu(env[i]))
			snprintf(slot[n++], 32, "%s", env[i]);
	}
	if (!n) {
		int nf = vt_find_pci(VT_EDU_VENDOR, VT_EDU_DEVICE, found,
				     VT_MAX_DEVS);

		for (i = 0; i < nf && n < 2; i++)
			snprintf(slot[n++], 32, "%s", found[i]);
	}
	for (i = 0; i < n; i++) {
		if (!is_edu(slot[i]))
			vt_bail("%s is not an edu device", slot[i]);
	}
}

int main(int argc, char **argv)
{
	vt_tap_header();
	pick_devices(argc, argv);
	if (access(PARAM, F_OK)) {
		printf("1..0 # SKIP vfio has no enable_unsafe_noiommu_mode"
		       " (built without CONFIG_VFIO_NOIOMMU, as Debian's"
		       " in-tree vfio)\n");
		return 4;
	}
	if (!edu0[0]) {
		printf("1..0 # SKIP needs an edu device\n");
		return 4;
	}
	if (group_of(edu0) >= 0 && !in_noiommu_group(edu0)) {
		printf("1..0 # SKIP %s has an IOMMU group: boot without an"
		       " IOMMU (intel_iommu=off, check.sh's noiommu VM)\n",
		       edu0);
		return 4;
	}
	vt_sysfs_read(PARAM, param_orig, sizeof(param_orig));
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	vt_diag("devices: %s %s", edu0, edu1[0] ? edu1 : "(no second edu)");

	/* Kernel log lines provoked on purpose (run-tests.sh, check.sh). */
	vt_diag("expect-dmesg: " LOGPFX
		"probe with driver vfio-pci failed with error -22");
	vt_diag("expect-dmesg: " LOGPFX
		"Adding kernel taint for vfio-noiommu group on device");
	vt_diag("expect-dmesg: " LOGPFX "vfio-noiommu device opened by user");
	vt_diag("expect-dmesg: " LOGPFX "([Nn]o (device )?request channel|"
		"Device is currently in use)");

	vt_plan(ARRAY_SIZE(tests));
	vt_run_tests("noiommu", tests, ARRAY_SIZE(tests), NULL);
	return vt_exit_code();
}
