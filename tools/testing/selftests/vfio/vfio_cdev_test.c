// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO device cdev (/dev/vfio/devices/vfioN) with iommufd
 * (/dev/iommu), on QEMU's edu devices:
 *
 *  - discovery: vfio-dev/vfioN in sysfs, its node with the same dev_t;
 *  - an fd that is not bound answers nothing but BIND_IOMMUFD (EINVAL);
 *  - BIND_IOMMUFD, ATTACH/DETACH_IOMMUFD_PT: bad input, ids, replace;
 *  - edu DMA through IOAS mappings: both directions, blocked before
 *    attach, after UNMAP and into a read-only mapping, through an
 *    IOAS_COPY, and through IOAS B after a replace from A;
 *  - HWPT_ALLOC (paging) and the flags QEMU's VT-d cannot give,
 *    GET_HW_INFO, DESTROY of objects in use;
 *  - exclusion against the group path, both orders;
 *  - closing the iommufd before the device and the reverse, pinning
 *    and RLIMIT_MEMLOCK accounting back to the start;
 *  - hot reset from a cdev fd (DEV_ID flags, empty group array), on an
 *    edu alone on its bus and on the two-function edu (one group);
 *  - KVM's kvm-vfio device taking a cdev fd (where /dev/kvm exists).
 *
 * Every errno is upstream 6.12's, recorded against the in-tree vfio and
 * iommufd of the debug kernel (IOMMUFD=m, VFIO_DEVICE_CDEV=y); answers
 * that may surprise are commented "in-tree:". Debian's kernel has
 * neither: without /dev/iommu or the vfio-dev nodes the program skips.
 *
 * edu: BAR0 = 1 MiB of registers, a 4 KiB DMA buffer at device address
 * 0x40000, 28-bit DMA mask (IOVAs stay below 256 MiB). QEMU aborts the
 * VM if a transfer touches the buffer's last byte: transfers <= 2 KiB.
 * A DMA the IOMMU blocks still completes for edu; the proof is memory
 * left as it was, and the DMAR fault lines in the kernel log are
 * announced (vt_expect_dmar_faults) around each such transfer.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/kvm.h>

#include "vfio_test_lib.h"

#define P		VT_PAGE
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define RO		IOMMU_IOAS_MAP_READABLE
#define IOVA		0x200000ULL	/* the usual DMA window */
#define XFER		2048		/* edu: at most half its buffer */
#define GUARD		0x5a		/* what watched memory holds */
#define PATTERN		0xc3		/* what a blocked device writes */
#define MSI_START	0xfee00000ULL	/* VT-d's reserved MSI window */
#define MSI_LAST	0xfeefffffULL

#ifndef offsetofend
#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))
#endif

static const struct vt_dev *edu0, *edu1, *mf0, *mf1;

/* ---- helpers ------------------------------------------------------ */

/* A bound cdev: its iommufd, device id, IOAS and what ATTACH gave. */
struct cx {
	int ifd;
	int dev;
	uint32_t devid;
	uint32_t ioas;
	uint32_t pt;
	struct vt_edu e;
};

static void cx_bind(struct cx *x, const struct vt_dev *d, int ifd)
{
	int ret;

	x->ifd = ifd;
	x->dev = vt_open_cdev(d);
	ret = vt_bind_iommufd(x->dev, ifd, &x->devid);
	if (ret)
		vt_fatal("%s: BIND_IOMMUFD: %s", d->bdf, vt_errname(-ret));
	x->ioas = 0;
	x->pt = 0;
	x->e.dev = x->dev;
	vt_edu_enable(&x->e);
}

/* Attach @x to @ioas; x->pt gets the (auto) HWPT id. */
static void cx_attach(struct cx *x, uint32_t ioas)
{
	uint32_t pt = ioas;
	int ret = vt_attach_pt(x->dev, &pt);

	if (ret)
		vt_fatal("ATTACH_IOMMUFD_PT(%u): %s", ioas, vt_errname(-ret));
	x->ioas = ioas;
	x->pt = pt;
}

/* New iommufd, bind, and with @attach a new IOAS attached. */
static void cx_open(struct cx *x, const struct vt_dev *d, bool attach)
{
	cx_bind(x, d, vt_open_iommufd());
	if (attach)
		cx_attach(x, vt_ioas_alloc(x->ifd));
}

static void map_ok(struct cx *x, uint32_t ioas, void *va, uint64_t iova,
		   uint64_t len, uint32_t flags)
{
	int ret = vt_ioas_map(x->ifd, ioas, va, iova, len, flags);

	if (ret)
		vt_fatal("IOAS_MAP %#llx+%#llx: %s", (unsigned long long)iova,
			 (unsigned long long)len, vt_errname(-ret));
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* RAM @from -> edu buffer -> RAM @to, @len bytes. */
static bool edu_copy(struct cx *x, uint64_t from, uint64_t to, uint32_t len)
{
	if (!vt_edu_dma(&x->e, from, EDU_DMA_BUF_ADDR, len, 0))
		return false;
	return vt_edu_dma(&x->e, EDU_DMA_BUF_ADDR, to, len,
			  EDU_DMA_CMD_TO_RAM);
}

/* The edu buffer loaded from @iova (must be readable). */
static void edu_load(struct cx *x, uint64_t iova)
{
	VT_ASSERT(vt_edu_dma(&x->e, iova, EDU_DMA_BUF_ADDR, XFER, 0),
		  "edu DMA (RAM -> device) did not complete");
}

/* The edu buffer written to @iova; blocked or not, edu completes. */
static void edu_store(struct cx *x, uint64_t iova)
{
	VT_ASSERT(vt_edu_dma(&x->e, EDU_DMA_BUF_ADDR, iova, XFER,
			     EDU_DMA_CMD_TO_RAM),
		  "edu DMA (device -> RAM) did not complete");
}

/*
 * The device writes PATTERN (from @scratch at @scratch_iova, which must
 * be mapped readable) to @iova, where the IOMMU must block it; @watch
 * (XFER bytes of GUARD) must stay as it is.
 */
static void blocked_write(struct cx *x, unsigned char *scratch,
			  uint64_t scratch_iova, uint64_t iova,
			  unsigned char *watch, const char *why)
{
	memset(scratch, PATTERN, XFER);
	memset(watch, GUARD, XFER);
	edu_load(x, scratch_iova);
	vt_expect_dmar_faults(why);
	edu_store(x, iova);
	vt_end_dmar_faults();
	VT_EXPECT(all_bytes(watch, XFER, GUARD), "%s: memory changed", why);
}

/* The device writes PATTERN to @iova, and it must land in @watch. */
static void landed_write(struct cx *x, unsigned char *scratch,
			 uint64_t scratch_iova, uint64_t iova,
			 unsigned char *watch, const char *what)
{
	memset(scratch, PATTERN, XFER);
	memset(watch, GUARD, XFER);
	edu_load(x, scratch_iova);
	edu_store(x, iova);
	VT_EXPECT(all_bytes(watch, XFER, PATTERN), "%s: no data", what);
}

static int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* GET_INFO answers only on a bound fd: the probe of "bound?" */
static bool is_bound(int dev)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };

	return !ioctl(dev, VFIO_DEVICE_GET_INFO, &di);
}

static int bind_raw(int dev, uint32_t argsz, uint32_t flags, int32_t ifd,
		    uint32_t *devid)
{
	struct {
		struct vfio_device_bind_iommufd b;
		uint8_t tail[64];
	} a;

	memset(&a, 0, sizeof(a));
	a.b.argsz = argsz;
	a.b.flags = flags;
	a.b.iommufd = ifd;
	a.b.out_devid = 0xdeadbeef;
	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &a))
		return -errno;
	if (devid)
		*devid = a.b.out_devid;
	return 0;
}

static int attach_raw(int dev, uint32_t argsz, uint32_t flags, uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt a = {
		.argsz = argsz, .flags = flags, .pt_id = pt,
	};

	return ioctl_errno(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
}

static int detach_raw(int dev, uint32_t argsz, uint32_t flags)
{
	struct vfio_device_detach_iommufd_pt d = {
		.argsz = argsz, .flags = flags,
	};

	return ioctl_errno(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static int ioas_copy(int ifd, uint32_t flags, uint32_t dst, uint64_t dst_iova,
		     uint32_t src, uint64_t src_iova, uint64_t len)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.dst_ioas_id = dst, .src_ioas_id = src, .length = len,
		.dst_iova = dst_iova, .src_iova = src_iova,
	};

	return ioctl_errno(ifd, IOMMU_IOAS_COPY, &c);
}

/* ---- discovery -------------------------------------------------- */

/* Major of the "vfio-dev" char region in /proc/devices, -1 if none. */
static int vfio_dev_major(void)
{
	char line[128], name[64];
	int major = -1, m;
	bool chr = false;
	FILE *f;

	f = fopen("/proc/devices", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Character", 9))
			chr = true;
		else if (!strncmp(line, "Block", 5))
			chr = false;
		else if (chr && sscanf(line, "%d %63s", &m, name) == 2 &&
			 !strcmp(name, "vfio-dev"))
			major = m;
	}
	fclose(f);
	return major;
}

static void check_node(const struct vt_dev *d, dev_t *out)
{
	char name[64], path[PATH_MAX], buf[64], a[PATH_MAX], b[PATH_MAX];
	unsigned int maj, min;
	struct stat st;

	VT_ASSERT(!vt_cdev_name(d->bdf, name, sizeof(name)),
		  "%s: no vfio-dev/vfioN", d->bdf);
	VT_EXPECT(!strncmp(name, "vfio", 4) && name[4] >= '0' &&
		  name[4] <= '9', "name %s", name);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev/%s/dev",
		 d->bdf, name);
	VT_ASSERT(vt_sysfs_read(path, buf, sizeof(buf)) > 0, "read %s", path);
	VT_ASSERT(sscanf(buf, "%u:%u", &maj, &min) == 2, "%s: %s", path, buf);
	VT_EXPECT_EQ(maj, vfio_dev_major());
	/* the class device is that PCI device's */
	snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s/device", name);
	snprintf(buf, sizeof(buf), "/sys/bus/pci/devices/%s", d->bdf);
	VT_EXPECT(realpath(path, a) && realpath(buf, b) && !strcmp(a, b),
		  "%s is not %s", path, buf);
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	VT_ASSERT(!stat(path, &st), "stat %s: %s", path, vt_errname(errno));
	VT_EXPECT(S_ISCHR(st.st_mode), "%s: not a character device", path);
	VT_EXPECT_EQ(major(st.st_rdev), maj);
	VT_EXPECT_EQ(minor(st.st_rdev), min);
	/* devtmpfs default: the devnode callback sets no mode */
	VT_EXPECT_EQ(st.st_mode & 0777, 0600);
	vt_diag("%s: %s %u:%u", d->bdf, path, maj, min);
	*out = st.st_rdev;
}

static void t_discovery(void)
{
	const struct vt_dev *devs[] = { edu0, edu1, mf0, mf1 };
	dev_t rdev[ARRAY_SIZE(devs)];
	size_t i, j, n = 0;

	VT_EXPECT(vfio_dev_major() > 0, "no vfio-dev in /proc/devices");
	for (i = 0; i < ARRAY_SIZE(devs); i++)
		if (devs[i])
			check_node(devs[i], &rdev[n++]);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			VT_EXPECT(rdev[i] != rdev[j], "two devices, one dev_t");
}

/* open() never checks anything: many fds, a group fd open too. */
static void t_open_always(void)
{
	int grp, i;

	for (i = 0; i < 8; i++)
		vt_open_cdev(edu0);
	grp = vt_open_group(edu0);
	vt_open_cdev(edu0);
	vt_close(grp);
}

/* ---- an fd before BIND ---------------------------------------------- */

static void t_unbound_fd(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	struct vfio_irq_set is = {
		.argsz = sizeof(is), .count = 0,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_INTX_IRQ_INDEX,
	};
	struct vfio_pci_hot_reset_info hri = { .argsz = sizeof(hri) };
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_MIGRATION,
	};
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = 1,
	};
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	int dev = vt_open_cdev(edu0), ifd = vt_open_iommufd();
	uint32_t v = 0;
	void *p;

	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_INFO, &di), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_SET_IRQS, &is), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_RESET), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hri), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_FEATURE, &feat), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), EINVAL);
	/* in-tree: any number at all, even unknown ones, is EINVAL */
	VT_ERRNO(ioctl(dev, VFIO_GET_API_VERSION), EINVAL);
	VT_ERRNO(ioctl(dev, _IO(VFIO_TYPE, VFIO_BASE + 60)), EINVAL);
	VT_ERRNO(ioctl(dev, _IO('x', 1)), EINVAL);
	VT_ERRNO(pread(dev, &v, sizeof(v), 0), EINVAL);
	VT_ERRNO(pwrite(dev, &v, sizeof(v), 0), EINVAL);
	VT_ERRNO(read(dev, &v, sizeof(v)), EINVAL);
	VT_ERRNO(write(dev, &v, sizeof(v)), EINVAL);
	p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	VT_EXPECT(p == MAP_FAILED && errno == EINVAL, "mmap: %p %s", p,
		  vt_errname(errno));
	if (p != MAP_FAILED)
		munmap(p, P);
	/* the fd is fine: bound, it answers */
	VT_OK(vt_bind_iommufd(dev, ifd, NULL));
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	VT_EXPECT(di.flags & VFIO_DEVICE_FLAGS_PCI, "flags %#x", di.flags);
}

/* ---- BIND_IOMMUFD ------------------------------------------------- */

static void t_bind_errors(void)
{
	const uint32_t minsz = offsetofend(struct vfio_device_bind_iommufd,
					   out_devid);
	int dev = vt_open_cdev(edu0), ifd = vt_open_iommufd();
	int efd = vt_eventfd(), ctr = vt_open_container();
	int null = vt_track(open("/dev/null", O_RDWR | O_CLOEXEC));
	int other = edu1 ? vt_open_cdev(edu1) : -1;
	uint32_t devid = 0;
	int closed;

	VT_ERRNO(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, NULL), EFAULT);
	VT_EXPECT_EQ(bind_raw(dev, 0, 0, ifd, NULL), -EINVAL);
	VT_EXPECT_EQ(bind_raw(dev, minsz - 1, 0, ifd, NULL), -EINVAL);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 1, ifd, NULL), -EINVAL);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0x80000000, ifd, NULL), -EINVAL);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, -1, NULL), -EINVAL);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, INT_MIN, NULL), -EINVAL);
	closed = dup(ifd);
	VT_ASSERT(closed >= 0, "dup");
	close(closed);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, closed, NULL), -EBADF);
	/* fds that are not /dev/iommu: EBADFD (in-tree: iommufd_ctx_from_fd) */
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, efd, NULL), -EBADFD);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, null, NULL), -EBADFD);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, ctr, NULL), -EBADFD);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, dev, NULL), -EBADFD);
	if (other >= 0)
		VT_EXPECT_EQ(bind_raw(dev, minsz, 0, other, NULL), -EBADFD);
	VT_EXPECT(!is_bound(dev), "a failed BIND bound the device");

	/* a larger argsz is fine (no trailing-bytes rule in VFIO) */
	VT_OK(bind_raw(dev, minsz + 64, 0, ifd, &devid));
	/* the first object of a fresh iommufd: id 1 */
	VT_EXPECT_EQ(devid, 1);
	VT_EXPECT(is_bound(dev), "not bound");
	/* bound once is enough: EINVAL, whatever the iommufd */
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, ifd, NULL), -EINVAL);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, vt_open_iommufd(), NULL),
		     -EINVAL);
	VT_EXPECT_EQ(bind_raw(dev, minsz, 0, efd, NULL), -EINVAL);
	/* the device object belongs to vfio: not ours to destroy */
	VT_EXPECT_EQ(vt_iommufd_destroy(ifd, devid), -EBUSY);
	VT_EXPECT(is_bound(dev), "a failed second BIND unbound the device");
}

/* A second cdev fd of a bound device cannot bind, in any iommufd. */
static void t_bind_second_fd(void)
{
	int ifd = vt_open_iommufd(), ifd2 = vt_open_iommufd();
	int d1 = vt_open_cdev(edu0), d2 = vt_open_cdev(edu0);
	uint32_t id;

	VT_OK(vt_bind_iommufd(d1, ifd, &id));
	/* in-tree: vfio_df_open() refuses a second cdev open (EINVAL) */
	VT_EXPECT_EQ(vt_bind_iommufd(d2, ifd, NULL), -EINVAL);
	VT_EXPECT_EQ(vt_bind_iommufd(d2, ifd2, NULL), -EINVAL);
	VT_EXPECT(!is_bound(d2), "second fd bound");
	vt_close(d1);
	VT_OK(vt_bind_iommufd(d2, ifd2, &id));
	VT_EXPECT_EQ(id, 1);
}

/* Bound, not attached: the device itself is fully usable. */
static void t_bound_fd(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	volatile uint32_t *bar;
	struct cx x;

	cx_open(&x, edu0, false);
	VT_OK(ioctl(x.dev, VFIO_DEVICE_GET_INFO, &di));
	VT_EXPECT(di.flags & VFIO_DEVICE_FLAGS_PCI, "flags %#x", di.flags);
	VT_EXPECT_EQ(di.num_regions, VFIO_PCI_NUM_REGIONS);
	VT_EXPECT_EQ(di.num_irqs, VFIO_PCI_NUM_IRQS);
	VT_OK(vt_region_info(x.dev, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	VT_EXPECT_EQ(ri.size, 0x100000);
	VT_EXPECT_EQ(vt_cfg_rd16(x.dev, 0), VT_EDU_VENDOR);
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_IDENT), VT_EDU_IDENT);
	vt_edu_wr(&x.e, EDU_REG_LIVENESS, 0x1234);
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_LIVENESS), ~0x1234U);
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, x.dev,
		   ri.offset);
	VT_ASSERT(bar != MAP_FAILED, "mmap BAR0: %s", vt_errname(errno));
	VT_EXPECT_EQ(bar[EDU_REG_IDENT / 4], VT_EDU_IDENT);
	munmap((void *)bar, ri.size);
}

/* ---- ATTACH / DETACH_IOMMUFD_PT ------------------------------------- */

static void t_attach_errors(void)
{
	const uint32_t amin = offsetofend(struct vfio_device_attach_iommufd_pt,
					  pt_id);
	const uint32_t dmin = offsetofend(struct vfio_device_detach_iommufd_pt,
					  flags);
	unsigned char *buf = vt_alloc(2 * P);
	struct cx x;
	uint32_t ioas, odd, msi;

	cx_open(&x, edu0, false);
	ioas = vt_ioas_alloc(x.ifd);
	VT_ERRNO(ioctl(x.dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, NULL), EFAULT);
	VT_EXPECT_EQ(attach_raw(x.dev, 0, 0, ioas), -EINVAL);
	VT_EXPECT_EQ(attach_raw(x.dev, amin - 1, 0, ioas), -EINVAL);
	VT_EXPECT_EQ(attach_raw(x.dev, amin, 1, ioas), -EINVAL);
	VT_EXPECT_EQ(attach_raw(x.dev, amin, 0x80000000, ioas), -EINVAL);
	VT_EXPECT_EQ(attach_raw(x.dev, amin, 0, 0), -ENOENT);
	VT_EXPECT_EQ(attach_raw(x.dev, amin, 0, 99), -ENOENT);
	VT_EXPECT_EQ(attach_raw(x.dev, amin, 0, 0xffffffff), -ENOENT);
	/* in-tree: an id of another kind (the device itself) is EINVAL */
	VT_EXPECT_EQ(attach_raw(x.dev, amin, 0, x.devid), -EINVAL);

	/* an area that is not page aligned: no domain can take it */
	odd = vt_ioas_alloc(x.ifd);
	VT_OK(vt_ioas_map(x.ifd, odd, buf + 1, 0x100001, 0x100, RW));
	VT_EXPECT_EQ(attach_raw(x.dev, amin, 0, odd), -EADDRINUSE);
	/* an area over the MSI window, which the device reserves */
	msi = vt_ioas_alloc(x.ifd);
	VT_OK(vt_ioas_map(x.ifd, msi, buf, MSI_START, P, RW));
	VT_EXPECT_EQ(attach_raw(x.dev, amin, 0, msi), -EADDRINUSE);
	/* nothing was attached: both IOASes can go */
	VT_OK(vt_iommufd_destroy(x.ifd, odd));
	VT_OK(vt_iommufd_destroy(x.ifd, msi));

	VT_ERRNO(ioctl(x.dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, NULL), EFAULT);
	VT_EXPECT_EQ(detach_raw(x.dev, 0, 0), -EINVAL);
	VT_EXPECT_EQ(detach_raw(x.dev, dmin - 1, 0), -EINVAL);
	VT_EXPECT_EQ(detach_raw(x.dev, dmin, 1), -EINVAL);
	/* not attached: DETACH is a no-op */
	VT_OK(detach_raw(x.dev, dmin, 0));
	VT_OK(detach_raw(x.dev, dmin + 8, 0));
	/* larger argsz fine for ATTACH too */
	VT_OK(attach_raw(x.dev, amin + 8, 0, ioas));
	VT_OK(vt_detach_pt(x.dev));
	VT_OK(vt_detach_pt(x.dev));
	VT_OK(vt_iommufd_destroy(x.ifd, ioas));
}

/* Ids: the auto HWPT, re-attach, replace A -> B, DESTROY while used. */
static void t_attach_ioas(void)
{
	uint32_t a, b, pa, pa2, pb;
	struct cx x;

	cx_open(&x, edu0, false);
	VT_EXPECT_EQ(x.devid, 1);
	a = vt_ioas_alloc(x.ifd);
	b = vt_ioas_alloc(x.ifd);
	pa = a;
	VT_OK_FATAL(vt_attach_pt(x.dev, &pa));
	/* an IOAS in, the HWPT the kernel made for it out */
	VT_EXPECT(pa != a && pa != b && pa != x.devid, "pt_id %u", pa);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, pa), -EBUSY);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, a), -EBUSY);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, x.devid), -EBUSY);
	/* the same IOAS again: the same HWPT */
	pa2 = a;
	VT_OK(vt_attach_pt(x.dev, &pa2));
	VT_EXPECT_EQ(pa2, pa);
	/* the HWPT by its id: the same */
	pa2 = pa;
	VT_OK(vt_attach_pt(x.dev, &pa2));
	VT_EXPECT_EQ(pa2, pa);
	/* replace: A's auto HWPT goes with its last device */
	pb = b;
	VT_OK_FATAL(vt_attach_pt(x.dev, &pb));
	VT_EXPECT(pb != pa && pb != a && pb != b, "pt_id %u", pb);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, pa), -ENOENT);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, b), -EBUSY);
	VT_OK(vt_iommufd_destroy(x.ifd, a));
	/* an unknown id changes nothing: still on B */
	VT_EXPECT_EQ(attach_raw(x.dev, sizeof(struct
		vfio_device_attach_iommufd_pt), 0, a), -ENOENT);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, b), -EBUSY);
	/* detach: B's HWPT goes too, B is free */
	VT_OK(vt_detach_pt(x.dev));
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, pb), -ENOENT);
	VT_OK(vt_iommufd_destroy(x.ifd, b));
	VT_OK(vt_detach_pt(x.dev));
	/* and attach works again */
	cx_attach(&x, vt_ioas_alloc(x.ifd));
}

static void ranges(int ifd, uint32_t ioas, struct iommu_iova_range *r,
		   uint32_t *num, uint64_t *align)
{
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = *num,
		.allowed_iovas = (uintptr_t)r,
	};

	VT_ASSERT(!ioctl(ifd, IOMMU_IOAS_IOVA_RANGES, &q),
		  "IOAS_IOVA_RANGES: %s", vt_errname(errno));
	*num = q.num_iovas;
	*align = q.out_iova_alignment;
}

/* What the attached device reserves: MSI window, aperture, alignment. */
static void t_iova_ranges(void)
{
	struct iommu_iova_range r[8];
	unsigned char *buf = vt_alloc(P);
	uint32_t num = ARRAY_SIZE(r), i;
	uint64_t align;
	struct cx x;

	cx_open(&x, edu0, false);
	x.ioas = vt_ioas_alloc(x.ifd);
	ranges(x.ifd, x.ioas, r, &num, &align);
	VT_EXPECT_EQ(num, 1);
	VT_EXPECT_EQ(align, 1);
	cx_attach(&x, x.ioas);
	num = ARRAY_SIZE(r);
	ranges(x.ifd, x.ioas, r, &num, &align);
	for (i = 0; i < num && i < ARRAY_SIZE(r); i++)
		vt_diag("attached: range %u [%#llx, %#llx]", i,
			(unsigned long long)r[i].start,
			(unsigned long long)r[i].last);
	VT_EXPECT_EQ(align, P);
	VT_ASSERT(num >= 2 && num <= ARRAY_SIZE(r), "%u ranges", num);
	VT_EXPECT_EQ(r[0].start, 0);
	VT_EXPECT_EQ(r[0].last, MSI_START - 1);
	VT_EXPECT_EQ(r[1].start, MSI_LAST + 1);
	/* the domain's aperture ends the space (VT-d: 39 or 48 bits) */
	VT_EXPECT(r[num - 1].last < UINT64_MAX &&
		  !((r[num - 1].last + 1) & r[num - 1].last),
		  "last %#llx", (unsigned long long)r[num - 1].last);
	/* what is reserved or past the aperture cannot be mapped */
	VT_EXPECT_EQ(vt_ioas_map(x.ifd, x.ioas, buf, MSI_START, P, RW),
		     -EINVAL);
	VT_EXPECT_EQ(vt_ioas_map(x.ifd, x.ioas, buf, r[num - 1].last + 1, P,
				 RW), -EINVAL);
	/* nor a sub-page IOVA, now that a domain sets the alignment */
	VT_EXPECT_EQ(vt_ioas_map(x.ifd, x.ioas, buf, IOVA + 1, P - 1, RW),
		     -EINVAL);
	/* detached: the whole space again, alignment 1 */
	VT_OK(vt_detach_pt(x.dev));
	num = ARRAY_SIZE(r);
	ranges(x.ifd, x.ioas, r, &num, &align);
	VT_EXPECT_EQ(num, 1);
	VT_EXPECT_EQ(r[0].last, UINT64_MAX);
	VT_EXPECT_EQ(align, 1);
}

/* ---- DMA ------------------------------------------------------------- */

static void t_dma_rw(void)
{
	long pin0 = vt_pinned_kb();
	unsigned char *buf = vt_alloc(2 * P);
	uint64_t out = 0;
	struct cx x;

	cx_open(&x, edu0, true);
	map_ok(&x, x.ioas, buf, IOVA, 2 * P, RW);
	/* a domain is there: pinned at MAP (iommufd counts VmPin) */
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	fill(buf, XFER, 1);
	memset(buf + P, 0, P);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER),
		  "data did not come back through the IOAS mapping");
	VT_EXPECT_EQ(buf[P + XFER], 0);
	/* the other way round, at an offset in the pages */
	fill(buf + P + 100, XFER, 9);
	VT_ASSERT(edu_copy(&x, IOVA + P + 100, IOVA + 300, XFER),
		  "edu DMA timed out");
	VT_EXPECT(!memcmp(buf + 300, buf + P + 100, XFER), "second copy");
	/* a user VA with nothing behind it fails at pin time: EFAULT */
	VT_EXPECT_EQ(vt_ioas_map(x.ifd, x.ioas, NULL, IOVA + 4 * P, P, RW),
		     -EFAULT);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	VT_OK(vt_ioas_unmap(x.ifd, x.ioas, IOVA, 2 * P, &out));
	VT_EXPECT_EQ(out, 2 * P);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
}

/* Bound but not attached, and detached again: no DMA gets through. */
static void t_dma_needs_attach(void)
{
	long pin0 = vt_pinned_kb();
	unsigned char *buf = vt_alloc(2 * P);
	struct cx x;

	cx_open(&x, edu0, false);
	x.ioas = vt_ioas_alloc(x.ifd);
	map_ok(&x, x.ioas, buf, IOVA, 2 * P, RW);
	/* no domain yet: nothing pinned */
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	/* the edu buffer holds zeroes after the open; blocked anyway */
	vt_expect_dmar_faults("edu DMA write before ATTACH_IOMMUFD_PT");
	memset(buf + P, GUARD, XFER);
	edu_store(&x, IOVA + P);
	vt_end_dmar_faults();
	VT_EXPECT(all_bytes(buf + P, XFER, GUARD), "DMA before attach");
	cx_attach(&x, x.ioas);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	landed_write(&x, buf, IOVA, IOVA + P, buf + P, "attached");
	VT_OK(vt_detach_pt(x.dev));
	/* the last domain gone, the pages are unpinned */
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	vt_expect_dmar_faults("edu DMA write after DETACH_IOMMUFD_PT");
	memset(buf + P, GUARD, XFER);
	edu_store(&x, IOVA + P);
	vt_end_dmar_faults();
	VT_EXPECT(all_bytes(buf + P, XFER, GUARD), "DMA after detach");
	cx_attach(&x, x.ioas);
	landed_write(&x, buf, IOVA, IOVA + P, buf + P, "attached again");
}

static void t_dma_after_unmap(void)
{
	unsigned char *scratch = vt_alloc(P), *watch = vt_alloc(P);
	const uint64_t target = IOVA + 0x10000;
	struct cx x;

	cx_open(&x, edu0, true);
	map_ok(&x, x.ioas, scratch, IOVA, P, RW);
	map_ok(&x, x.ioas, watch, target, P, RW);
	landed_write(&x, scratch, IOVA, target, watch, "mapped");
	VT_OK(vt_ioas_unmap(x.ifd, x.ioas, target, P, NULL));
	blocked_write(&x, scratch, IOVA, target, watch,
		      "edu DMA write to an IOVA after IOAS_UNMAP");
	/* mapped again: it lands */
	map_ok(&x, x.ioas, watch, target, P, RW);
	landed_write(&x, scratch, IOVA, target, watch, "mapped again");
}

static void t_dma_readonly(void)
{
	unsigned char *scratch = vt_alloc(P), *ro = vt_alloc(P);
	const uint64_t target = IOVA + 0x10000;
	struct cx x;

	cx_open(&x, edu0, true);
	map_ok(&x, x.ioas, scratch, IOVA, P, RW);
	map_ok(&x, x.ioas, ro, target, P, RO);
	/* the device reads it ... */
	fill(ro, XFER, 33);
	memset(scratch, 0, P);
	VT_ASSERT(edu_copy(&x, target, IOVA, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(scratch, ro, XFER), "device read of RO mapping");
	/* ... and cannot write it */
	blocked_write(&x, scratch, IOVA, target, ro,
		      "edu DMA write to a read-only IOAS mapping");
}

/* A range IOAS_COPY'd from an IOAS with no device works for DMA. */
static void t_dma_copy(void)
{
	long pin0 = vt_pinned_kb();
	unsigned char *buf = vt_alloc(2 * P);
	const uint64_t src = 0x300000, dst = 0x500000;
	uint32_t a;
	struct cx x;

	cx_open(&x, edu0, true);
	a = vt_ioas_alloc(x.ifd);
	map_ok(&x, a, buf, src, 2 * P, RW);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	VT_OK_FATAL(ioas_copy(x.ifd, RW, x.ioas, dst, a, src, 2 * P));
	/* the pages are shared: pinned once, for the attached copy */
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	fill(buf, XFER, 5);
	memset(buf + P, 0, P);
	VT_ASSERT(edu_copy(&x, dst, dst + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER), "DMA through the copy");
	/* the copy outlives its source */
	VT_OK(vt_ioas_unmap(x.ifd, a, src, 2 * P, NULL));
	VT_OK(vt_iommufd_destroy(x.ifd, a));
	fill(buf, XFER, 6);
	memset(buf + P, 0, P);
	VT_ASSERT(edu_copy(&x, dst, dst + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER), "DMA after the source went");
	VT_OK(vt_ioas_unmap(x.ifd, x.ioas, dst, 2 * P, NULL));
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
}

/* Same IOVA in IOAS A and B, other memory: replace switches the data. */
static void t_dma_replace(void)
{
	long pin0 = vt_pinned_kb();
	unsigned char *ba = vt_alloc(2 * P), *bb = vt_alloc(2 * P);
	uint32_t a, b;
	struct cx x;

	cx_open(&x, edu0, false);
	a = vt_ioas_alloc(x.ifd);
	b = vt_ioas_alloc(x.ifd);
	map_ok(&x, a, ba, IOVA, 2 * P, RW);
	map_ok(&x, b, bb, IOVA, 2 * P, RW);
	cx_attach(&x, a);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	fill(ba, XFER, 1);
	fill(bb, XFER, 2);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(ba + P, ba, XFER), "A: no data");
	VT_EXPECT(all_bytes(bb + P, XFER, 0), "A's DMA reached B");

	cx_attach(&x, b);
	/* A lost its only domain: only B's pages stay pinned */
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	memset(ba + P, 0, P);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(bb + P, bb, XFER), "B: no data");
	VT_EXPECT(all_bytes(ba + P, XFER, 0), "B's DMA reached A");

	cx_attach(&x, a);
	memset(ba + P, 0, P);
	memset(bb + P, 0, P);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(ba + P, ba, XFER), "A again: no data");
	VT_EXPECT(all_bytes(bb + P, XFER, 0), "A's DMA reached B");
}

/*
 * A BAR mmap (a PFNMAP VMA) cannot be pinned: 6.12's iommufd has no
 * peer-to-peer (QEMU 10 warns "PCI BAR?" and goes on without it).
 */
static void t_map_bar(void)
{
	const uint64_t iova = 0x8000000;
	long pin0 = vt_pinned_kb();
	struct vfio_region_info ri;
	uint32_t other, pt;
	struct cx x;
	void *bar;

	cx_open(&x, edu0, true);
	VT_OK_FATAL(vt_region_info(x.dev, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, x.dev,
		   ri.offset);
	VT_ASSERT(bar != MAP_FAILED, "mmap BAR0: %s", vt_errname(errno));
	/* in-tree: EFAULT at pin time, i.e. at MAP with a domain there */
	VT_EXPECT_EQ(vt_ioas_map(x.ifd, x.ioas, bar, iova, ri.size, RW),
		     -EFAULT);
	/* without a domain it is only recorded; the attach then fails */
	other = vt_ioas_alloc(x.ifd);
	VT_OK(vt_ioas_map(x.ifd, other, bar, iova, ri.size, RW));
	pt = other;
	VT_EXPECT_EQ(vt_attach_pt(x.dev, &pt), -EFAULT);
	/* still on the first IOAS */
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, x.pt), -EBUSY);
	VT_OK(vt_iommufd_destroy(x.ifd, other));
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	munmap(bar, ri.size);
}

/* ---- HWPT_ALLOC, GET_HW_INFO ------------------------------------------ */

static int hwpt_alloc(int ifd, uint32_t flags, uint32_t dev_id, uint32_t pt,
		      uint32_t *out)
{
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = flags, .dev_id = dev_id,
		.pt_id = pt,
	};
	int ret = ioctl_errno(ifd, IOMMU_HWPT_ALLOC, &h);

	if (!ret && out)
		*out = h.out_hwpt_id;
	return ret;
}

static void t_hwpt_alloc(void)
{
	unsigned char *buf = vt_alloc(2 * P);
	uint32_t hw, hw2, pt;
	struct cx x;

	cx_open(&x, edu0, false);
	x.ioas = vt_ioas_alloc(x.ifd);
	VT_OK_FATAL(hwpt_alloc(x.ifd, 0, x.devid, x.ioas, &hw));
	VT_EXPECT(hw != x.ioas && hw != x.devid, "hwpt id %u", hw);
	/* it holds its IOAS; nothing holds it yet */
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, x.ioas), -EBUSY);
	pt = hw;
	VT_OK_FATAL(vt_attach_pt(x.dev, &pt));
	VT_EXPECT_EQ(pt, hw);
	/* mapped after the attach: the HWPT's domain is filled */
	map_ok(&x, x.ioas, buf, IOVA, 2 * P, RW);
	fill(buf, XFER, 3);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER), "DMA through the HWPT");
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, hw), -EBUSY);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, x.ioas), -EBUSY);

	/* a second HWPT on the same IOAS, filled at alloc; HWPT -> HWPT */
	VT_OK_FATAL(hwpt_alloc(x.ifd, 0, x.devid, x.ioas, &hw2));
	pt = hw2;
	VT_OK_FATAL(vt_attach_pt(x.dev, &pt));
	VT_EXPECT_EQ(pt, hw2);
	memset(buf + P, 0, P);
	fill(buf, XFER, 4);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER), "DMA through the 2nd HWPT");
	/* a HWPT made by HWPT_ALLOC stays when its device leaves */
	VT_OK(vt_iommufd_destroy(x.ifd, hw));
	VT_OK(vt_detach_pt(x.dev));
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, x.ioas), -EBUSY);
	VT_OK(vt_iommufd_destroy(x.ifd, hw2));
	VT_OK(vt_iommufd_destroy(x.ifd, x.ioas));
}

static void t_hwpt_alloc_errors(void)
{
	struct iommu_hwpt_vtd_s1 s1;
	struct iommu_hwpt_alloc h;
	uint32_t hw, auto_hw;
	struct cx x;

	cx_open(&x, edu0, false);
	x.ioas = vt_ioas_alloc(x.ifd);
	VT_OK_FATAL(hwpt_alloc(x.ifd, 0, x.devid, x.ioas, &hw));

#define HWPT_RESET() do {						\
	memset(&h, 0, sizeof(h));					\
	h.size = sizeof(h);						\
	h.dev_id = x.devid;						\
	h.pt_id = x.ioas;						\
} while (0)
	HWPT_RESET();
	h.size = offsetofend(struct iommu_hwpt_alloc, __reserved) - 1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	HWPT_RESET();
	h.dev_id = 99;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), ENOENT);
	HWPT_RESET();
	h.dev_id = x.ioas;	/* not a device */
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), ENOENT);
	/* in-tree: a bad pt_id is EINVAL, not ENOENT (lookup mapped) */
	HWPT_RESET();
	h.pt_id = 99;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	HWPT_RESET();
	h.pt_id = x.devid;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	HWPT_RESET();
	h.__reserved = 1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EOPNOTSUPP);
	HWPT_RESET();
	h.flags = 1 << 3;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EOPNOTSUPP);
	/* data type and length must agree */
	HWPT_RESET();
	h.data_len = sizeof(s1);
	h.data_uptr = (uintptr_t)&s1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	HWPT_RESET();
	h.data_type = IOMMU_HWPT_DATA_VTD_S1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	/* QEMU's VT-d: no dirty tracking, no nesting */
	VT_EXPECT_EQ(hwpt_alloc(x.ifd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				x.devid, x.ioas, NULL), -EOPNOTSUPP);
	VT_EXPECT_EQ(hwpt_alloc(x.ifd, IOMMU_HWPT_ALLOC_NEST_PARENT, x.devid,
				x.ioas, NULL), -EOPNOTSUPP);
	/* user data for a paging HWPT: the VT-d driver says EOPNOTSUPP */
	memset(&s1, 0, sizeof(s1));
	HWPT_RESET();
	h.data_type = IOMMU_HWPT_DATA_VTD_S1;
	h.data_len = sizeof(s1);
	h.data_uptr = (uintptr_t)&s1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EOPNOTSUPP);
	/* nested on a parent that is no NEST_PARENT: EINVAL */
	h.pt_id = hw;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	/* an auto HWPT cannot be a parent either */
	cx_attach(&x, vt_ioas_alloc(x.ifd));
	auto_hw = x.pt;
	HWPT_RESET();
	h.pt_id = auto_hw;
	h.data_type = IOMMU_HWPT_DATA_VTD_S1;
	h.data_len = sizeof(s1);
	h.data_uptr = (uintptr_t)&s1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	/* plain paging HWPT on a HWPT (not an IOAS): a nested request */
	VT_EXPECT_EQ(hwpt_alloc(x.ifd, 0, x.devid, hw, NULL), -EOPNOTSUPP);
#undef HWPT_RESET
	VT_OK(vt_iommufd_destroy(x.ifd, hw));
}

/*
 * IOMMU_FAULT_QUEUE_ALLOC: an object plus an fd that holds it. Skipped
 * on an iommufd without fault queues (ENOTTY: ours before they came).
 */
static void t_fault_queue(void)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_vtd_s1 s1;
	struct iommu_hwpt_alloc h;
	uint32_t hw;
	struct cx x;

	cx_open(&x, edu0, false);
	x.ioas = vt_ioas_alloc(x.ifd);
	VT_OK_FATAL(hwpt_alloc(x.ifd, 0, x.devid, x.ioas, &hw));
	if (ioctl(x.ifd, IOMMU_FAULT_QUEUE_ALLOC, &fa) && errno == ENOTTY)
		vt_skip("this iommufd has no IOMMU_FAULT_QUEUE_ALLOC (ENOTTY)");
	VT_ASSERT(fa.out_fault_fd > 0, "IOMMU_FAULT_QUEUE_ALLOC: %s",
		  vt_errname(errno));
	vt_track(fa.out_fault_fd);
	VT_EXPECT(fa.out_fault_id > hw, "fault id %u", fa.out_fault_id);
	/* FAULT_ID_VALID is for nested HWPTs only */
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = x.devid;
	h.pt_id = x.ioas;
	h.flags = IOMMU_HWPT_FAULT_ID_VALID;
	h.fault_id = fa.out_fault_id;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EOPNOTSUPP);
	memset(&s1, 0, sizeof(s1));
	h.pt_id = hw;
	h.data_type = IOMMU_HWPT_DATA_VTD_S1;
	h.data_len = sizeof(s1);
	h.data_uptr = (uintptr_t)&s1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	fa.flags = 1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_FAULT_QUEUE_ALLOC, &fa), EOPNOTSUPP);
	/* in-tree: the fault queue's fd holds it; closed, it can go */
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, fa.out_fault_id), -EBUSY);
	vt_close(fa.out_fault_fd);
	VT_OK(vt_iommufd_destroy(x.ifd, fa.out_fault_id));
	VT_OK(vt_iommufd_destroy(x.ifd, hw));
}

static int get_dirty(int ifd, uint32_t hw, uint64_t iova, uint64_t length,
		     uint64_t page_size, uint64_t *bitmap)
{
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .hwpt_id = hw, .iova = iova,
		.length = length, .page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return ioctl_errno(ifd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

/*
 * A HWPT_PAGING of QEMU's VT-d (no dirty tracking, no nesting): dirty
 * tracking answers EOPNOTSUPP once the range is right, INVALIDATE
 * ENOENT (HWPT_NESTED only) with entry_num written back as 0.
 */
static void t_hwpt_dirty_invalidate(void)
{
	unsigned char *buf = vt_alloc(4 * P);
	struct iommu_hwpt_set_dirty_tracking d = {
		.size = sizeof(d), .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .entry_len = 32, .entry_num = 1,
	};
	uint64_t bitmap = 0, entry[4] = { 0 };
	uint32_t hw;
	struct cx x;

	cx_open(&x, edu0, false);
	x.ioas = vt_ioas_alloc(x.ifd);
	VT_OK_FATAL(hwpt_alloc(x.ifd, 0, x.devid, x.ioas, &hw));
	map_ok(&x, x.ioas, buf, IOVA, 4 * P, RW);

	d.hwpt_id = hw;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_SET_DIRTY_TRACKING, &d), EOPNOTSUPP);
	d.flags = 0;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_SET_DIRTY_TRACKING, &d), EOPNOTSUPP);
	VT_EXPECT_EQ(get_dirty(x.ifd, hw, IOVA, 4 * P, P, &bitmap),
		     -EOPNOTSUPP);
	/* the range checks come before the dirty ops */
	VT_EXPECT_EQ(get_dirty(x.ifd, hw, IOVA, 0, P, &bitmap), -EINVAL);
	VT_EXPECT_EQ(get_dirty(x.ifd, hw, UINT64_MAX - P + 1, 2 * P, P,
			       &bitmap), -EOVERFLOW);
	/* the domain makes the IOAS page aligned */
	VT_EXPECT_EQ(get_dirty(x.ifd, hw, IOVA + P / 2, P, P / 2, &bitmap),
		     -EINVAL);
	VT_EXPECT_EQ(get_dirty(x.ifd, hw, IOVA, 4 * P, 0, &bitmap), -EINVAL);
	VT_EXPECT_EQ(get_dirty(x.ifd, hw, IOVA + P, 2 * P, 2 * P, &bitmap),
		     -EINVAL);
	VT_EXPECT_EQ(get_dirty(x.ifd, hw, IOVA, 3 * P, 2 * P, &bitmap),
		     -EINVAL);
	/* outside the mapped range: still the missing dirty ops */
	VT_EXPECT_EQ(get_dirty(x.ifd, hw, 0, 64 * P, 64 * P, &bitmap),
		     -EOPNOTSUPP);
	VT_EXPECT_EQ(bitmap, 0);
	VT_EXPECT_EQ(get_dirty(x.ifd, x.ioas, IOVA, 4 * P, P, &bitmap),
		     -ENOENT);

	/* a HWPT_PAGING has no cache to invalidate for userspace */
	inv.hwpt_id = hw;
	inv.data_uptr = (uintptr_t)entry;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_INVALIDATE, &inv), ENOENT);
	VT_EXPECT_EQ(inv.entry_num, 0);
	inv.entry_num = 0;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_INVALIDATE, &inv), ENOENT);
	inv.hwpt_id = x.devid;
	VT_ERRNO(ioctl(x.ifd, IOMMU_HWPT_INVALIDATE, &inv), ENOENT);

	VT_OK(vt_ioas_unmap(x.ifd, x.ioas, IOVA, 4 * P, NULL));
	VT_OK(vt_iommufd_destroy(x.ifd, hw));
	VT_OK(vt_iommufd_destroy(x.ifd, x.ioas));
}

/* "%llx" of /sys/bus/pci/devices/BDF/iommu/intel-iommu/@attr */
static uint64_t vtd_reg(const char *bdf, const char *attr)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/iommu/intel-iommu/%s", bdf, attr);
	if (vt_sysfs_read(path, buf, sizeof(buf)) < 0)
		vt_fatal("read %s: %s", path, vt_errname(errno));
	return strtoull(buf, NULL, 16);
}

static void t_hw_info(void)
{
	struct iommu_hw_info_vtd *vtd;
	struct iommu_hw_info h;
	unsigned char data[64];
	struct cx x;
	size_t i;

	cx_open(&x, edu0, false);
	x.ioas = vt_ioas_alloc(x.ifd);
#define INFO_RESET(len) do {						\
	memset(&h, 0, sizeof(h));					\
	h.size = sizeof(h);						\
	h.dev_id = x.devid;						\
	h.data_len = (len);						\
	h.data_uptr = (uintptr_t)data;					\
	memset(data, 0xa5, sizeof(data));				\
} while (0)
	INFO_RESET(sizeof(data));
	VT_OK_FATAL(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h));
	VT_EXPECT_EQ(h.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	VT_EXPECT_EQ(h.data_len, sizeof(*vtd));
	for (i = sizeof(*vtd); i < sizeof(data); i++)
		if (!VT_EXPECT(!data[i], "byte %zu of the tail: %#x", i,
			       data[i]))
			break;
	vtd = (struct iommu_hw_info_vtd *)data;
	/* in-tree: the SPR17 erratum flag is set on every VT-d */
	VT_EXPECT_EQ(vtd->flags, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	VT_EXPECT_EQ(vtd->__reserved, 0);
	VT_EXPECT_EQ(vtd->cap_reg, vtd_reg(edu0->bdf, "cap"));
	VT_EXPECT_EQ(vtd->ecap_reg, vtd_reg(edu0->bdf, "ecap"));
	/* QEMU's VT-d: no dirty tracking; edu: no PASID */
	VT_EXPECT_EQ(h.out_capabilities, 0);
	VT_EXPECT_EQ(h.out_max_pasid_log2, 0);
	vt_diag("VT-d cap %#llx ecap %#llx",
		(unsigned long long)vtd->cap_reg,
		(unsigned long long)vtd->ecap_reg);

	/* a short buffer: filled as far as it goes, the rest untouched */
	INFO_RESET(8);
	VT_OK(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h));
	VT_EXPECT_EQ(h.data_len, sizeof(*vtd));
	VT_EXPECT_EQ(data[8], 0xa5);
	VT_EXPECT_EQ(data[0], IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	/* no buffer: only the length */
	INFO_RESET(0);
	h.data_uptr = 0;
	VT_OK(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h));
	VT_EXPECT_EQ(h.data_len, sizeof(*vtd));
	VT_EXPECT_EQ(h.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);

	INFO_RESET(sizeof(data));
	h.flags = 1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
	INFO_RESET(sizeof(data));
	h.__reserved[2] = 1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h), EOPNOTSUPP);
	INFO_RESET(sizeof(data));
	h.dev_id = 99;
	VT_ERRNO(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h), ENOENT);
	INFO_RESET(sizeof(data));
	h.dev_id = x.ioas;
	VT_ERRNO(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h), ENOENT);
	INFO_RESET(8);
	h.data_uptr = 8;
	VT_ERRNO(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h), EFAULT);
	/* the minimum size ends at __reserved: out_capabilities optional */
	INFO_RESET(sizeof(data));
	h.size = offsetofend(struct iommu_hw_info, __reserved) - 1;
	VT_ERRNO(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h), EINVAL);
	INFO_RESET(sizeof(data));
	h.size = offsetofend(struct iommu_hw_info, __reserved);
	h.out_capabilities = 0xa5;
	VT_OK(ioctl(x.ifd, IOMMU_GET_HW_INFO, &h));
	VT_EXPECT_EQ(h.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	VT_EXPECT_EQ(h.out_capabilities, 0xa5);
#undef INFO_RESET
}

/* ---- exclusion with the group path -------------------------------- */

static void t_excl_group_first(void)
{
	int ifd = vt_open_iommufd(), grp = vt_open_group(edu0);
	int dev = vt_open_cdev(edu0);

	/* in-tree: vfio_device_block_group() sees the open group: EBUSY */
	VT_EXPECT_EQ(vt_bind_iommufd(dev, ifd, NULL), -EBUSY);
	VT_EXPECT(!is_bound(dev), "bound");
	/* the group still works */
	{
		struct vfio_group_status st = { .argsz = sizeof(st) };

		VT_OK(ioctl(grp, VFIO_GROUP_GET_STATUS, &st));
		VT_EXPECT(st.flags & VFIO_GROUP_FLAGS_VIABLE, "not viable");
	}
	vt_close(grp);
	VT_OK(vt_bind_iommufd(dev, ifd, NULL));
}

static void t_excl_cdev_first(void)
{
	int ifd = vt_open_iommufd(), dev = vt_open_cdev(edu0), grp;

	/* an open but unbound cdev blocks nothing */
	grp = vt_open_group(edu0);
	vt_close(grp);
	VT_OK(vt_bind_iommufd(dev, ifd, NULL));
	/* bound: the group cannot be opened (in-tree: EBUSY) */
	VT_ERRNO(open(edu0->group_path, O_RDWR | O_CLOEXEC), EBUSY);
	vt_close(dev);
	grp = vt_open_group(edu0);
	vt_close(grp);
}

/* A device fd from the group path: no BIND, no ATTACH. */
static void t_group_device_fd(void)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = 1,
	};
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	int ifd = vt_open_iommufd(), cdev;
	struct vt_session s;

	vt_session_open(&s, edu0, VFIO_TYPE1v2_IOMMU, true);
	VT_EXPECT_EQ(vt_bind_iommufd(s.device, ifd, NULL), -EINVAL);
	/* in-tree: vfio-pci's own ioctl answers these: ENOTTY */
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), ENOTTY);
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), ENOTTY);
	/* the cdev of a device open through its group: open yes, BIND no */
	cdev = vt_open_cdev(edu0);
	VT_EXPECT_EQ(vt_bind_iommufd(cdev, ifd, NULL), -EBUSY);
	/* the group fd closed, the device fd still holds the group */
	vt_close(s.group);
	VT_EXPECT_EQ(vt_bind_iommufd(cdev, ifd, NULL), -EBUSY);
	vt_close(s.device);
	VT_OK(vt_bind_iommufd(cdev, ifd, NULL));
}

/* The two functions of one slot share a group: one owner at a time. */
static void t_excl_group_siblings(void)
{
	int ia = vt_open_iommufd(), ib = vt_open_iommufd();
	uint32_t a1, a2, id0, id1, p0, p1;
	struct cx x0, x1;

	if (!mf0 || !mf1)
		vt_skip("no multi-function edu ($VFIO_MF0, $VFIO_MF1)");
	cx_bind(&x0, mf0, ia);
	x1.dev = vt_open_cdev(mf1);
	/*
	 * in-tree: the group's DMA owner is ia: another iommufd gets
	 * EPERM (iommu_device_claim_dma_owner(), not EBUSY)
	 */
	VT_EXPECT_EQ(vt_bind_iommufd(x1.dev, ib, NULL), -EPERM);
	VT_ERRNO(open(mf1->group_path, O_RDWR | O_CLOEXEC), EBUSY);
	VT_OK_FATAL(vt_bind_iommufd(x1.dev, ia, &id1));
	id0 = x0.devid;
	VT_EXPECT(id0 != id1, "devids %u %u", id0, id1);
	a1 = vt_ioas_alloc(ia);
	a2 = vt_ioas_alloc(ia);
	p0 = a1;
	VT_OK_FATAL(vt_attach_pt(x0.dev, &p0));
	/* in-tree: a group has one domain: the sibling elsewhere EINVAL */
	p1 = a2;
	VT_EXPECT_EQ(vt_attach_pt(x1.dev, &p1), -EINVAL);
	p1 = a1;
	VT_OK(vt_attach_pt(x1.dev, &p1));
	VT_EXPECT_EQ(p1, p0);
	/*
	 * in-tree: a replace by one attached device moves the whole group
	 * (iommu_group_replace_domain): .1 to A2 takes .0 along, A1's auto
	 * HWPT goes, and .0 "attaching" to A2 finds itself there already.
	 */
	p1 = a2;
	VT_OK(vt_attach_pt(x1.dev, &p1));
	VT_EXPECT(p1 != p0, "pt_id %u", p1);
	VT_EXPECT_EQ(vt_iommufd_destroy(ia, p0), -ENOENT);
	p0 = a2;
	VT_OK(vt_attach_pt(x0.dev, &p0));
	VT_EXPECT_EQ(p0, p1);
	VT_OK(vt_iommufd_destroy(ia, a1));
	VT_OK(vt_detach_pt(x1.dev));
	/* .0 still holds the HWPT */
	VT_EXPECT_EQ(vt_iommufd_destroy(ia, p1), -EBUSY);
	/* .1 closed, .0 still bound: ib still not welcome */
	vt_close(x1.dev);
	x1.dev = vt_open_cdev(mf1);
	VT_EXPECT_EQ(vt_bind_iommufd(x1.dev, ib, NULL), -EPERM);
	vt_close(x0.dev);
	VT_OK(vt_bind_iommufd(x1.dev, ib, NULL));
}

/* ---- close order, accounting ---------------------------------------- */

static void t_close_iommufd_first(void)
{
	long pin0 = vt_pinned_kb();
	unsigned char *buf = vt_alloc(2 * P);
	struct cx x;

	cx_open(&x, edu0, true);
	map_ok(&x, x.ioas, buf, IOVA, 2 * P, RW);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	vt_close(x.ifd);
	/* the bound device keeps the context, and its mappings, alive */
	VT_EXPECT(is_bound(x.dev), "device fd lost its binding");
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	fill(buf, XFER, 7);
	memset(buf + P, 0, P);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER), "DMA with the iommufd closed");
	vt_close(x.dev);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	/* and everything again from scratch */
	cx_open(&x, edu0, true);
	VT_EXPECT_EQ(x.devid, 1);
	map_ok(&x, x.ioas, buf, IOVA, 2 * P, RW);
	fill(buf, XFER, 8);
	memset(buf + P, 0, P);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER), "DMA after re-bind");
}

static void t_close_device_first(void)
{
	long pin0 = vt_pinned_kb();
	unsigned char *buf = vt_alloc(2 * P);
	uint32_t old_id, old_pt, ioas;
	struct cx x;

	cx_open(&x, edu0, true);
	map_ok(&x, x.ioas, buf, IOVA, 2 * P, RW);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	old_id = x.devid;
	old_pt = x.pt;
	ioas = x.ioas;
	vt_close(x.dev);
	/* the device left: its object and auto HWPT went, pins dropped */
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, old_id), -ENOENT);
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, old_pt), -ENOENT);
	/* the IOAS and its mapping stayed: a new bind uses them */
	cx_bind(&x, edu0, x.ifd);
	VT_EXPECT(x.devid > 0, "devid %u", x.devid);
	cx_attach(&x, ioas);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	fill(buf, XFER, 9);
	memset(buf + P, 0, P);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER), "DMA after re-bind");
}

/*
 * What iommufd charges for pinned pages. With CAP_IPC_LOCK nothing
 * (in-tree: such pages are IOPT_PAGES_ACCOUNT_NONE, whatever
 * RLIMIT_MEMLOCK says; VmPin still counts them). Without it the user's
 * locked_vm against RLIMIT_MEMLOCK: with the limit at 4 pages, 4 map
 * and a 5th fails, and later a fresh context maps 4 again (nothing
 * leaked by unmap, a failed replace or close). RLIMIT_MODE 1 charges
 * the mm instead (VmLck), against the same limit.
 */
static void t_accounting(void)
{
	struct rlimit rl = { .rlim_cur = 4 * P, .rlim_max = 4 * P };
	struct iommu_option o = {
		.size = sizeof(o), .option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET, .val64 = 1,
	};
	long pin0 = vt_pinned_kb(), lck0 = vt_locked_kb();
	unsigned char *buf = vt_alloc(8 * P);
	uint32_t big, pt;
	struct cx x;
	int ifd;

	VT_ASSERT(!setrlimit(RLIMIT_MEMLOCK, &rl), "setrlimit: %s",
		  vt_errname(errno));
	/* root with CAP_IPC_LOCK: over the limit, and VmLck unchanged */
	cx_open(&x, edu0, true);
	VT_OK(vt_ioas_map(x.ifd, x.ioas, buf, IOVA, 8 * P, RW));
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 8 * P / 1024);
	VT_EXPECT_EQ(vt_locked_kb(), lck0);
	VT_OK(vt_ioas_unmap(x.ifd, x.ioas, IOVA, 8 * P, NULL));
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);

	/* without it: charged, limited (pages take the mode at MAP) */
	VT_ASSERT(!vt_drop_cap(CAP_IPC_LOCK), "drop CAP_IPC_LOCK");
	VT_OK(vt_ioas_map(x.ifd, x.ioas, buf, IOVA, 4 * P, RW));
	VT_EXPECT_EQ(vt_ioas_map(x.ifd, x.ioas, buf + 4 * P, IOVA + 4 * P, P,
				 RW), -ENOMEM);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 4 * P / 1024);
	/* a COPY shares the pages: charged once */
	VT_OK(ioas_copy(x.ifd, RW, x.ioas, IOVA + 0x100000, x.ioas, IOVA,
			4 * P));
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 4 * P / 1024);
	/* a second MAP of the same memory pins it again: over the limit */
	VT_EXPECT_EQ(vt_ioas_map(x.ifd, x.ioas, buf, IOVA + 0x200000, P, RW),
		     -ENOMEM);
	VT_OK(vt_ioas_unmap(x.ifd, x.ioas, 0, UINT64_MAX, NULL));
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	/* the charge went with the unmap */
	VT_OK(vt_ioas_map(x.ifd, x.ioas, buf + 4 * P, IOVA, 4 * P, RW));
	VT_OK(vt_ioas_unmap(x.ifd, x.ioas, 0, UINT64_MAX, NULL));
	/* 5 pages waiting in another IOAS: the replace cannot pin them */
	big = vt_ioas_alloc(x.ifd);
	VT_OK(vt_ioas_map(x.ifd, big, buf, IOVA, 5 * P, RW));
	pt = big;
	VT_EXPECT_EQ(vt_attach_pt(x.dev, &pt), -ENOMEM);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	/* still on the first IOAS, whose HWPT is in use */
	VT_EXPECT_EQ(vt_iommufd_destroy(x.ifd, x.pt), -EBUSY);
	VT_OK(vt_ioas_unmap(x.ifd, big, IOVA, 5 * P, NULL));
	VT_OK(vt_ioas_map(x.ifd, big, buf, IOVA, 4 * P, RW));
	cx_attach(&x, big);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 4 * P / 1024);
	/* closed with the pages pinned */
	vt_close(x.dev);
	vt_close(x.ifd);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	cx_open(&x, edu0, true);
	VT_OK(vt_ioas_map(x.ifd, x.ioas, buf, IOVA, 4 * P, RW));
	vt_close(x.dev);
	vt_close(x.ifd);

	/* RLIMIT_MODE 1 (VFIO's way): the mm's VmLck, the same limit */
	ifd = vt_open_iommufd();
	VT_OK_FATAL(ioctl(ifd, IOMMU_OPTION, &o));
	cx_bind(&x, edu0, ifd);
	cx_attach(&x, vt_ioas_alloc(ifd));
	VT_OK(vt_ioas_map(ifd, x.ioas, buf, IOVA, 4 * P, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lck0 + 4 * P / 1024);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 4 * P / 1024);
	if (lck0 == 0)
		VT_EXPECT_EQ(vt_ioas_map(ifd, x.ioas, buf + 4 * P,
					 IOVA + 4 * P, P, RW), -ENOMEM);
	VT_OK(vt_ioas_unmap(ifd, x.ioas, IOVA, 4 * P, NULL));
	VT_EXPECT_EQ(vt_locked_kb(), lck0);
	VT_OK(vt_ioas_map(ifd, x.ioas, buf, IOVA, 2 * P, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lck0 + 2 * P / 1024);
	/* the harness checks VmLck after the close */
}

/* ---- hot reset by device fds ---------------------------------------- */

struct reset_info {
	struct vfio_pci_hot_reset_info h;
	struct vfio_pci_dependent_device d[4];
};

static int hot_reset_info(int dev, uint32_t argsz, struct reset_info *ri)
{
	memset(ri, 0xa5, sizeof(*ri));
	ri->h.argsz = argsz;
	return ioctl_errno(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, ri);
}

static int hot_reset(int dev, uint32_t argsz, uint32_t flags, uint32_t count)
{
	struct {
		struct vfio_pci_hot_reset h;
		int32_t fds[2];
	} r = {
		.h = { .argsz = argsz, .flags = flags, .count = count },
		.fds = { -1, -1 },
	};

	return ioctl_errno(dev, VFIO_DEVICE_PCI_HOT_RESET, &r);
}

static void check_entry(const struct vfio_pci_dependent_device *e,
			const char *bdf, uint32_t devid)
{
	unsigned int seg, bus, slot, fn;

	VT_ASSERT(sscanf(bdf, "%x:%x:%x.%x", &seg, &bus, &slot, &fn) == 4,
		  "bdf %s", bdf);
	VT_EXPECT_EQ(e->segment, seg);
	VT_EXPECT_EQ(e->bus, bus);
	VT_EXPECT_EQ(e->devfn, (slot << 3) | fn);
	VT_EXPECT_EQ(e->devid, devid);
}

static void t_hot_reset_info(void)
{
	const uint32_t hsz = sizeof(struct vfio_pci_hot_reset_info);
	const uint32_t esz = sizeof(struct vfio_pci_dependent_device);
	struct reset_info ri;
	struct cx x;

	cx_open(&x, edu0, false);
	VT_EXPECT_EQ(hot_reset_info(x.dev, offsetofend(struct
		vfio_pci_hot_reset_info, count) - 1, &ri), -EINVAL);
	/* no room: the count, and (in-tree) flags 0 */
	VT_EXPECT_EQ(hot_reset_info(x.dev, hsz, &ri), -ENOSPC);
	VT_EXPECT_EQ(ri.h.count, 1);
	VT_EXPECT_EQ(ri.h.flags, 0);
	VT_OK(hot_reset_info(x.dev, hsz + esz, &ri));
	VT_EXPECT_EQ(ri.h.count, 1);
	/* a cdev fd: device ids, all owned by this iommufd */
	VT_EXPECT_EQ(ri.h.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
		     VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	check_entry(&ri.d[0], edu0->bdf, x.devid);
	/* attached or not, the same */
	cx_attach(&x, vt_ioas_alloc(x.ifd));
	VT_OK(hot_reset_info(x.dev, sizeof(ri), &ri));
	VT_EXPECT_EQ(ri.h.count, 1);
	check_entry(&ri.d[0], edu0->bdf, x.devid);
	/* nothing written past the one entry */
	VT_EXPECT_EQ(ri.d[1].devid, 0xa5a5a5a5);
}

static void t_hot_reset(void)
{
	const uint32_t hsz = sizeof(struct vfio_pci_hot_reset);
	const uint32_t hmin = offsetofend(struct vfio_pci_hot_reset, count);
	unsigned char *buf = vt_alloc(2 * P);
	bool probe = vt_reset_probe_add();
	long h0 = vt_reset_probe_hits();
	struct cx x;

	cx_open(&x, edu0, true);
	map_ok(&x, x.ioas, buf, IOVA, 2 * P, RW);
	VT_EXPECT_EQ(hot_reset(x.dev, hmin - 1, 0, 0), -EINVAL);
	VT_EXPECT_EQ(hot_reset(x.dev, hsz, 1, 0), -EINVAL);
	/* a cdev fd takes no group fds (in-tree: EINVAL before any fd) */
	VT_EXPECT_EQ(hot_reset(x.dev, hsz + 4, 0, 1), -EINVAL);
	if (probe)
		VT_EXPECT_EQ(vt_reset_probe_hits(), h0);
	/* the empty array: every affected device is this iommufd's */
	VT_OK(hot_reset(x.dev, hsz, 0, 0));
	if (probe)
		VT_EXPECT_EQ(vt_reset_probe_hits(), h0 + 1);
	vt_reset_probe_del();
	/* the reset cleared COMMAND: enable again; the mapping is intact */
	vt_edu_enable(&x.e);
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_IDENT), VT_EDU_IDENT);
	fill(buf, XFER, 11);
	memset(buf + P, 0, P);
	VT_ASSERT(edu_copy(&x, IOVA, IOVA + P, XFER), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER), "DMA after the hot reset");
}

/* The two-function edu: one group, one dev_set, one reset. */
static void t_hot_reset_devset(void)
{
	const uint32_t hsz = sizeof(struct vfio_pci_hot_reset);
	bool probe;
	struct reset_info ri;
	struct cx x0, x1;
	int ifd;
	long h0;

	if (!mf0 || !mf1)
		vt_skip("no multi-function edu ($VFIO_MF0, $VFIO_MF1)");
	probe = vt_reset_probe_add();
	h0 = vt_reset_probe_hits();
	ifd = vt_open_iommufd();
	cx_bind(&x0, mf0, ifd);
	VT_OK(hot_reset_info(x0.dev, sizeof(ri), &ri));
	VT_EXPECT_EQ(ri.h.count, 2);
	VT_EXPECT_EQ(ri.h.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
		     VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	check_entry(&ri.d[0], mf0->bdf, x0.devid);
	/* .1 not open, but its group is this iommufd's: OWNED (0) */
	check_entry(&ri.d[1], mf1->bdf, VFIO_PCI_DEVID_OWNED);
	VT_OK(hot_reset(x0.dev, hsz, 0, 0));
	if (probe)
		VT_EXPECT_EQ(vt_reset_probe_hits(), h0 + 1);

	cx_bind(&x1, mf1, ifd);
	VT_OK(hot_reset_info(x1.dev, sizeof(ri), &ri));
	VT_EXPECT_EQ(ri.h.count, 2);
	VT_EXPECT_EQ(ri.h.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
		     VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	check_entry(&ri.d[0], mf0->bdf, x0.devid);
	check_entry(&ri.d[1], mf1->bdf, x1.devid);
	VT_OK(hot_reset(x1.dev, hsz, 0, 0));
	if (probe)
		VT_EXPECT_EQ(vt_reset_probe_hits(), h0 + 2);
	vt_reset_probe_del();
	vt_edu_enable(&x0.e);
	VT_EXPECT_EQ(vt_edu_rd(&x0.e, EDU_REG_IDENT), VT_EDU_IDENT);
}

/*
 * The two-function edu with .1 off vfio-pci: it is outside the dev_set,
 * so NOT_OWNED, the OWNED flag goes, and the reset is refused.
 */
static void t_hot_reset_not_owned(void)
{
	const uint32_t hsz = sizeof(struct vfio_pci_hot_reset);
	struct vt_dev *d1 = NULL;
	struct reset_info ri;
	struct cx x0;
	char path[PATH_MAX];
	long h0;
	bool probe;

	if (!mf0 || !mf1)
		vt_skip("no multi-function edu ($VFIO_MF0, $VFIO_MF1)");
	for (int i = 0; i < vt_ndevs; i++)
		if (&vt_devs[i] == mf1)
			d1 = &vt_devs[i];
	VT_ASSERT(d1, "%s not in vt_devs", mf1->bdf);
	/* driver_override stays vfio-pci: nothing else takes it meanwhile */
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/unbind");
	VT_ASSERT(!vt_sysfs_write(path, mf1->bdf), "unbind %s", mf1->bdf);
	probe = vt_reset_probe_add();
	h0 = vt_reset_probe_hits();
	cx_bind(&x0, mf0, vt_open_iommufd());
	VT_OK(hot_reset_info(x0.dev, sizeof(ri), &ri));
	VT_EXPECT_EQ(ri.h.count, 2);
	VT_EXPECT_EQ(ri.h.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID);
	check_entry(&ri.d[0], mf0->bdf, x0.devid);
	check_entry(&ri.d[1], mf1->bdf, VFIO_PCI_DEVID_NOT_OWNED);
	VT_EXPECT_EQ(hot_reset(x0.dev, hsz, 0, 0), -EINVAL);
	if (probe)
		VT_EXPECT_EQ(vt_reset_probe_hits(), h0);
	vt_reset_probe_del();
	vt_close(x0.dev);
	VT_OK(vt_bind_vfio(d1));
}

/* ---- KVM ------------------------------------------------------------- */

/*
 * QEMU's order with iommufd: the cdev fd goes to the VM's kvm-vfio
 * device before BIND_IOMMUFD (the device opens with the VM known).
 */
static void t_kvm(void)
{
	struct vt_kvm k;
	int dev, ifd, efd;

	vt_kvm_open(&k);
	dev = vt_open_cdev(edu0);
	ifd = vt_open_iommufd();
	efd = vt_eventfd();
	VT_OK(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_ADD, dev));
	VT_EXPECT_EQ(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_ADD, dev), -EEXIST);
	VT_EXPECT_EQ(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_ADD, efd), -EINVAL);
	VT_OK(vt_bind_iommufd(dev, ifd, NULL));
	VT_OK(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_DEL, dev));
	VT_EXPECT_EQ(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_DEL, dev), -ENOENT);
	VT_OK(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_ADD, dev));
	/* closing the device with the VM still holding the file */
	vt_close(dev);
	vt_kvm_close(&k);
}

static const struct vt_test tests[] = {
	{ .name = "discovery", .fn = t_discovery },
	{ .name = "open_always", .fn = t_open_always },
	{ .name = "unbound_fd", .fn = t_unbound_fd },
	{ .name = "bind_errors", .fn = t_bind_errors },
	{ .name = "bind_second_fd", .fn = t_bind_second_fd },
	{ .name = "bound_fd", .fn = t_bound_fd },
	{ .name = "attach_errors", .fn = t_attach_errors },
	{ .name = "attach_ioas", .fn = t_attach_ioas },
	{ .name = "iova_ranges", .fn = t_iova_ranges },
	{ .name = "dma_rw", .fn = t_dma_rw },
	{ .name = "dma_needs_attach", .fn = t_dma_needs_attach },
	{ .name = "dma_after_unmap", .fn = t_dma_after_unmap },
	{ .name = "dma_readonly", .fn = t_dma_readonly },
	{ .name = "dma_copy", .fn = t_dma_copy },
	{ .name = "dma_replace", .fn = t_dma_replace },
	{ .name = "map_bar", .fn = t_map_bar },
	{ .name = "hwpt_alloc", .fn = t_hwpt_alloc },
	{ .name = "hwpt_alloc_errors", .fn = t_hwpt_alloc_errors },
	{ .name = "fault_queue", .fn = t_fault_queue },
	{ .name = "hwpt_dirty_invalidate", .fn = t_hwpt_dirty_invalidate },
	{ .name = "hw_info", .fn = t_hw_info },
	{ .name = "excl_group_first", .fn = t_excl_group_first },
	{ .name = "excl_cdev_first", .fn = t_excl_cdev_first },
	{ .name = "group_device_fd", .fn = t_group_device_fd },
	{ .name = "excl_group_siblings", .fn = t_excl_group_siblings },
	{ .name = "close_iommufd_first", .fn = t_close_iommufd_first },
	{ .name = "close_device_first", .fn = t_close_device_first },
	{ .name = "accounting", .fn = t_accounting },
	{ .name = "hot_reset_info", .fn = t_hot_reset_info },
	{ .name = "hot_reset", .fn = t_hot_reset, .timeout = 120 },
	{ .name = "hot_reset_devset", .fn = t_hot_reset_devset,
	  .timeout = 120 },
	{ .name = "hot_reset_not_owned", .fn = t_hot_reset_not_owned,
	  .timeout = 120 },
	{ .name = "kvm", .fn = t_kvm },
};

/* The two-function edu of the test VM, when there is one. */
static void add_mf(void)
{
	const char *a = getenv("VFIO_MF0"), *b = getenv("VFIO_MF1");

	if (!a || !*a || !b || !*b)
		return;
	if (vt_add_device(a) || vt_add_device(b)) {
		vt_diag("%s/%s: cannot bind, their tests skip", a, b);
		return;
	}
	mf0 = &vt_devs[vt_ndevs - 2];
	mf1 = &vt_devs[vt_ndevs - 1];
}

static void setup(void)
{
	char name[64];
	int ret;

	edu0 = vt_first_edu(0);
	edu1 = vt_first_edu(1);
	add_mf();
	if (access("/dev/iommu", F_OK)) {
		printf("1..0 # SKIP no /dev/iommu: kernel without CONFIG_IOMMUFD and no iommufd.ko of ours installed\n");
		exit(4);
	}
	ret = vt_cdev_name(edu0->bdf, name, sizeof(name));
	if (ret) {
		printf("1..0 # SKIP %s has no vfio-dev node (%s): vfio without the device cdev (CONFIG_VFIO_DEVICE_CDEV)\n",
		       edu0->bdf, vt_errname(-ret));
		exit(4);
	}
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "cdev", VT_TESTS(tests),
		.devs = VT_DEVS_EDU, .min_devs = 1,
		.setup = setup,
	};

	/* ours: iommufd.ko (and the cdev frontend) when installed */
	if (access("/dev/iommu", F_OK) &&
	    system("modprobe -q iommufd 2>/dev/null") == -1)
		fprintf(stderr, "cannot run modprobe\n");
	return vt_main(argc, argv, &suite);
}
