// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci device fd, on any PCI device: GET_INFO, GET_REGION_INFO for
 * every index with argsz and capability-chain handling, GET_IRQ_INFO,
 * the SET_IRQS validation matrix, RESET (per sysfs reset_method) and hot
 * reset, the bus reset at the last close, config space virtualization
 * (IDs, BAR sizing), region read/write/mmap at bad offsets, BAR access
 * with memory decode off, DEVICE_FEATURE. Expectations come from sysfs
 * and from the device's own config space, so the same test runs on edu,
 * nvme, e1000e and virtio-net. Errnos are upstream 6.12's.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define P			VT_PAGE
#define NUM_REGIONS		9	/* VFIO_PCI_NUM_REGIONS */
#define NUM_IRQS		5	/* VFIO_PCI_NUM_IRQS */
#define IORESOURCE_IO		0x100
#define IORESOURCE_MEM		0x200
#define IORESOURCE_MEM_64	0x100000
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_EXP		0x10
#define PCI_CAP_ID_MSIX		0x11

static const struct vt_dev *cur;

struct res {
	uint64_t start, len, flags;
};

/* /sys/bus/pci/devices/BDF/resource: BARs 0-5, then the ROM. */
static void sysfs_resources(struct res r[7])
{
	char path[128], line[128];
	FILE *f;
	int i;

	memset(r, 0, 7 * sizeof(*r));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource",
		 cur->bdf);
	f = fopen(path, "re");
	if (!f)
		vt_fatal("open %s", path);
	for (i = 0; i < 7 && fgets(line, sizeof(line), f); i++) {
		unsigned long long s, e, fl;

		if (sscanf(line, "%llx %llx %llx", &s, &e, &fl) != 3)
			continue;
		r[i].start = s;
		r[i].flags = fl;
		r[i].len = (s || e) ? e - s + 1 : 0;
	}
	fclose(f);
}

static long sysfs_config_size(void)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
		 cur->bdf);
	return stat(path, &st) ? -1 : (long)st.st_size;
}

static bool sysfs_has(const char *attr)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", cur->bdf,
		 attr);
	return !access(path, F_OK);
}

static int open_dev(void)
{
	struct vt_session s;

	vt_session_open(&s, cur, VFIO_TYPE1v2_IOMMU, true);
	return s.device;
}

static uint64_t cfg_base(int dev)
{
	return vt_region_offset(dev, VFIO_PCI_CONFIG_REGION_INDEX);
}

/*
 * @head bytes at the very end of a readable page whose successor is not
 * mapped: a header there is readable, whatever follows it faults.
 * Unmapped again by edge_free().
 */
static void *edge_alloc(size_t head)
{
	char *p = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		vt_fatal("mmap: %s", vt_errname(errno));
	munmap(p + P, P);
	memset(p, 0, P);
	return p + P - head;
}

static void edge_free(void *edge)
{
	munmap((void *)((uintptr_t)edge & ~(P - 1)), P);
}

/* BIR of the MSI-X table, or -1. */
static int msix_bar(int dev)
{
	int pos = vt_cfg_find_cap(dev, PCI_CAP_ID_MSIX);

	return pos ? (int)(vt_cfg_rd32(dev, pos + 4) & 7) : -1;
}

/* ------------------------------------------------------------- GET_INFO */

static void t_get_info(void)
{
	struct {
		struct vfio_device_info i;
		char caps[256];
	} b;
	int dev = open_dev();
	size_t minsz = offsetof(struct vfio_device_info, cap_offset);
	bool reset = sysfs_has("reset");

	memset(&b, 0, sizeof(b));
	b.i.argsz = minsz;
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &b.i));
	VT_EXPECT(b.i.flags & VFIO_DEVICE_FLAGS_PCI, "flags 0x%x", b.i.flags);
	VT_EXPECT(!(b.i.flags & ~(VFIO_DEVICE_FLAGS_PCI |
				  VFIO_DEVICE_FLAGS_RESET |
				  VFIO_DEVICE_FLAGS_CAPS)),
		  "flags 0x%x", b.i.flags);
	VT_EXPECT(!!(b.i.flags & VFIO_DEVICE_FLAGS_RESET) == reset,
		  "RESET flag %d but sysfs reset attribute %d",
		  !!(b.i.flags & VFIO_DEVICE_FLAGS_RESET), reset);
	VT_EXPECT(b.i.num_regions >= NUM_REGIONS, "num_regions %u",
		  b.i.num_regions);
	VT_EXPECT_EQ(b.i.num_irqs, NUM_IRQS);
	vt_diag("flags 0x%x regions %u irqs %u", b.i.flags, b.i.num_regions,
		b.i.num_irqs);

	/* full struct: capabilities, if any, are chained after it */
	memset(&b, 0, sizeof(b));
	b.i.argsz = sizeof(b);
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &b.i));
	if (b.i.flags & VFIO_DEVICE_FLAGS_CAPS) {
		struct vfio_info_cap_header *h;

		VT_EXPECT_EQ(b.i.cap_offset, sizeof(b.i));
		h = vt_find_cap(&b, sizeof(b), b.i.cap_offset,
				VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP);
		VT_EXPECT(h, "CAPS set but no known capability");
	} else {
		VT_EXPECT_EQ(b.i.cap_offset, 0);
		VT_EXPECT_EQ(b.i.argsz, sizeof(b));
	}

	b.i.argsz = minsz - 1;
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_INFO, &b.i), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_INFO, NULL), EFAULT);
}

/* ------------------------------------------------------ GET_REGION_INFO */

static void t_region_info_all(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	uint64_t offs[NUM_REGIONS];
	int dev = open_dev();
	int mbar = msix_bar(dev);
	struct res r[7];
	unsigned int i, j;

	sysfs_resources(r);
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	for (i = 0; i < NUM_REGIONS; i++) {
		int ret = vt_region_info(dev, i, &ri);

		if (i == VFIO_PCI_VGA_REGION_INDEX) {
			if ((cur->class >> 8) != 0x0300)
				VT_EXPECT(ret == -EINVAL,
					  "VGA region on a non-VGA device: %s",
					  ret ? vt_errname(-ret) : "ok");
			offs[i] = 0;
			continue;
		}
		if (!VT_EXPECT(!ret, "region %u: %s", i, vt_errname(-ret)))
			continue;
		offs[i] = ri.offset;
		vt_diag("region %u: size 0x%llx flags 0x%x offset 0x%llx", i,
			(unsigned long long)ri.size, ri.flags,
			(unsigned long long)ri.offset);
		VT_EXPECT_EQ(ri.index, i);
		VT_EXPECT(!(ri.offset & (P - 1)), "region %u offset", i);

		if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
			VT_EXPECT_EQ(ri.size, sysfs_config_size());
			VT_EXPECT_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ |
					       VFIO_REGION_INFO_FLAG_WRITE);
		} else if (i == VFIO_PCI_ROM_REGION_INDEX) {
			if (ri.size) {
				VT_EXPECT_EQ(ri.flags,
					     VFIO_REGION_INFO_FLAG_READ);
				VT_EXPECT(ri.size == r[6].len ||
					  ri.size == 0x20000,
					  "ROM size 0x%llx",
					  (unsigned long long)ri.size);
			} else {
				VT_EXPECT_EQ(ri.flags, 0);
			}
		} else if (!r[i].len) {
			VT_EXPECT(ri.size == 0 && ri.flags == 0,
				  "unimplemented BAR%u: size 0x%llx flags 0x%x",
				  i, (unsigned long long)ri.size, ri.flags);
		} else {
			uint32_t want = VFIO_REGION_INFO_FLAG_READ |
					VFIO_REGION_INFO_FLAG_WRITE;

			VT_EXPECT_EQ(ri.size, r[i].len);
			if ((r[i].flags & IORESOURCE_MEM) && r[i].len >= P)
				want |= VFIO_REGION_INFO_FLAG_MMAP;
			if ((int)i == mbar && (want & VFIO_REGION_INFO_FLAG_MMAP))
				want |= VFIO_REGION_INFO_FLAG_CAPS;
			if (r[i].len < P && (r[i].flags & IORESOURCE_MEM))
				ri.flags &= ~VFIO_REGION_INFO_FLAG_MMAP;
			VT_EXPECT(ri.flags == want,
				  "BAR%u flags 0x%x want 0x%x", i, ri.flags,
				  want);
		}
	}
	for (i = 0; i < NUM_REGIONS; i++)
		for (j = i + 1; j < NUM_REGIONS; j++)
			VT_EXPECT(!offs[i] || offs[i] != offs[j],
				  "regions %u and %u share offset", i, j);

	VT_EXPECT_EQ(vt_region_info(dev, di.num_regions, &ri), -EINVAL);
	VT_EXPECT_EQ(vt_region_info(dev, 0xffffffff, &ri), -EINVAL);
	memset(&ri, 0, sizeof(ri));
	ri.argsz = offsetof(struct vfio_region_info, offset) + 7;
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, NULL), EFAULT);
}

static void t_region_info_msix_cap(void)
{
	struct {
		struct vfio_region_info ri;
		char caps[128];
	} b;
	struct vfio_info_cap_header *h;
	int dev = open_dev();
	int mbar = msix_bar(dev);

	if (mbar < 0)
		vt_skip("device has no MSI-X capability");
	memset(&b, 0, sizeof(b));
	b.ri.argsz = sizeof(b.ri);
	b.ri.index = mbar;
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &b.ri));
	if (!(b.ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		vt_skip("MSI-X BAR%d is not mmap-able", mbar);
	/* caps do not fit: argsz grows, no cap_offset */
	VT_EXPECT(b.ri.flags & VFIO_REGION_INFO_FLAG_CAPS, "flags 0x%x",
		  b.ri.flags);
	VT_EXPECT_EQ(b.ri.argsz, sizeof(b.ri) + sizeof(*h));
	VT_EXPECT_EQ(b.ri.cap_offset, 0);

	memset(&b, 0, sizeof(b));
	b.ri.argsz = sizeof(b);
	b.ri.index = mbar;
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &b.ri));
	VT_EXPECT_EQ(b.ri.argsz, sizeof(b));
	VT_EXPECT_EQ(b.ri.cap_offset, sizeof(b.ri));
	h = vt_find_cap(&b, sizeof(b), b.ri.cap_offset,
			VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
	if (VT_EXPECT(h, "no MSIX_MAPPABLE capability")) {
		VT_EXPECT_EQ(h->version, 1);
		VT_EXPECT_EQ(h->next, 0);
	}
}

/* --------------------------------------------------------- GET_IRQ_INFO */

static int irq_info(int dev, uint32_t index, struct vfio_irq_info *ii)
{
	memset(ii, 0, sizeof(*ii));
	ii->argsz = sizeof(*ii);
	ii->index = index;
	return ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, ii) ? -errno : 0;
}

static uint32_t msi_count(int dev)
{
	int pos = vt_cfg_find_cap(dev, PCI_CAP_ID_MSI);

	return pos ? 1U << ((vt_cfg_rd16(dev, pos + 2) & 0xe) >> 1) : 0;
}

static uint32_t msix_count(int dev)
{
	int pos = vt_cfg_find_cap(dev, PCI_CAP_ID_MSIX);

	return pos ? (vt_cfg_rd16(dev, pos + 2) & 0x7ff) + 1 : 0;
}

static bool intx_pin(int dev)
{
	uint8_t pin;

	if (pread(dev, &pin, 1, cfg_base(dev) + 0x3d) != 1)
		vt_fatal("read pin");
	return pin != 0;
}

static void t_irq_info(void)
{
	const uint32_t EFD = VFIO_IRQ_INFO_EVENTFD;
	struct vfio_irq_info ii;
	int dev = open_dev();
	bool pcie = vt_cfg_find_cap(dev, PCI_CAP_ID_EXP);

	VT_OK(irq_info(dev, VFIO_PCI_INTX_IRQ_INDEX, &ii));
	VT_EXPECT_EQ(ii.flags, EFD | VFIO_IRQ_INFO_MASKABLE |
			       VFIO_IRQ_INFO_AUTOMASKED);
	VT_EXPECT_EQ(ii.count, intx_pin(dev) ? 1 : 0);

	VT_OK(irq_info(dev, VFIO_PCI_MSI_IRQ_INDEX, &ii));
	VT_EXPECT_EQ(ii.flags, EFD | VFIO_IRQ_INFO_NORESIZE);
	VT_EXPECT_EQ(ii.count, msi_count(dev));

	VT_OK(irq_info(dev, VFIO_PCI_MSIX_IRQ_INDEX, &ii));
	/* NORESIZE depends on dynamic MSI-X support of the irq domain */
	VT_EXPECT((ii.flags & ~VFIO_IRQ_INFO_NORESIZE) == EFD, "flags 0x%x",
		  ii.flags);
	VT_EXPECT_EQ(ii.count, msix_count(dev));
	vt_diag("MSI-X flags 0x%x count %u", ii.flags, ii.count);

	if (pcie) {
		VT_OK(irq_info(dev, VFIO_PCI_ERR_IRQ_INDEX, &ii));
		VT_EXPECT_EQ(ii.flags, EFD | VFIO_IRQ_INFO_NORESIZE);
		VT_EXPECT_EQ(ii.count, 1);
	} else {
		VT_EXPECT_EQ(irq_info(dev, VFIO_PCI_ERR_IRQ_INDEX, &ii),
			     -EINVAL);
	}
	VT_OK(irq_info(dev, VFIO_PCI_REQ_IRQ_INDEX, &ii));
	VT_EXPECT_EQ(ii.flags, EFD | VFIO_IRQ_INFO_NORESIZE);
	VT_EXPECT_EQ(ii.count, 1);

	VT_EXPECT_EQ(irq_info(dev, NUM_IRQS, &ii), -EINVAL);
	VT_EXPECT_EQ(irq_info(dev, 0xffffffff, &ii), -EINVAL);
	ii.argsz = offsetof(struct vfio_irq_info, count) + 3;
	ii.index = VFIO_PCI_REQ_IRQ_INDEX;
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, NULL), EFAULT);
}

/* ------------------------------------------------------------ SET_IRQS */

#define TRIG	VFIO_IRQ_SET_ACTION_TRIGGER
#define D_NONE	VFIO_IRQ_SET_DATA_NONE
#define D_BOOL	VFIO_IRQ_SET_DATA_BOOL
#define D_EFD	VFIO_IRQ_SET_DATA_EVENTFD

static void t_set_irqs_validation(void)
{
	int dev = open_dev();
	int efd = vt_eventfd();
	int32_t fds[2] = { efd, efd };
	uint32_t msi = msi_count(dev), msix = msix_count(dev);
	uint32_t idx, n;
	uint8_t b = 1;

	/* pick an MSI-type index the device has */
	idx = msi ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_MSIX_IRQ_INDEX;
	n = msi ? msi : msix;
	if (!n)
		vt_skip("device has neither MSI nor MSI-X");

	VT_EXPECT_EQ(vt_set_irqs_argsz(dev, sizeof(struct vfio_irq_set) - 1,
				       D_NONE | TRIG, idx, 0, 0, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, NUM_IRQS, 0, 1, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, 0xffffffff, 0, 1, NULL,
				 0), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG | (1 << 6), idx, 0, 1,
				 NULL, 0), -EINVAL);
	/* exactly one data type */
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | D_BOOL | TRIG, idx, 0, 1, &b,
				 1), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_BOOL | D_EFD | TRIG, idx, 0, 1, fds,
				 4), -EINVAL);
	/* start/count out of range or overflowing */
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, idx, n, 1, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, idx, 0, n + 1, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, idx, 1, 0xffffffff,
				 NULL, 0), -EINVAL);
	/* the data must fit in argsz */
	VT_EXPECT_EQ(vt_set_irqs_argsz(dev, sizeof(struct vfio_irq_set) + 3,
				       D_EFD | TRIG, idx, 0, 1, fds, 4),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs_argsz(dev, sizeof(struct vfio_irq_set),
				       D_BOOL | TRIG, idx, 0, 1, &b, 1),
		     -EINVAL);
	/* no action, several actions, MSI mask/unmask: not handled */
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE, idx, 0, 1, NULL, 0), -ENOTTY);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG |
				 VFIO_IRQ_SET_ACTION_MASK, idx, 0, 1, NULL, 0),
		     -ENOTTY);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_MASK, idx,
				 0, 1, NULL, 0), -ENOTTY);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
				 idx, 0, 1, NULL, 0), -ENOTTY);
	/* an index with no vectors */
	if (!msix)
		VT_EXPECT_EQ(vt_set_irqs(dev, D_EFD | TRIG,
					 VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds, 4),
			     -EINVAL);
	if (!intx_pin(dev))
		VT_EXPECT_EQ(vt_set_irqs(dev, D_EFD | TRIG,
					 VFIO_PCI_INTX_IRQ_INDEX, 0, 1, fds, 4),
			     -EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_SET_IRQS, NULL), EFAULT);
}

static void t_set_irqs_msi(void)
{
	int dev = open_dev();
	int efd = vt_eventfd(), e2 = vt_eventfd();
	int null = vt_track(open("/dev/null", O_RDWR | O_CLOEXEC));
	uint8_t yes = 1, no = 0;

	if (!msi_count(dev))
		vt_skip("device has no MSI capability");
	/* nothing enabled yet: trigger and disable are refused */
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX,
				 0, 1, NULL, 0), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX,
				 0, 0, NULL, 0), -EINVAL);
	/* bad eventfds fail and leave MSI off */
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, VFIO_PCI_MSI_IRQ_INDEX, TRIG, null),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, VFIO_PCI_MSI_IRQ_INDEX, TRIG, 1000),
		     -EBADF);

	VT_OK(vt_set_irqs_fd(dev, VFIO_PCI_MSI_IRQ_INDEX, TRIG, efd));
	/* loopback: the kernel signals the vector's eventfd */
	VT_OK(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
			  NULL, 0));
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	VT_OK(vt_set_irqs(dev, D_BOOL | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
			  &yes, 1));
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	VT_OK(vt_set_irqs(dev, D_BOOL | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
			  &no, 1));
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 100), 0);
	/* swap the eventfd of an enabled vector */
	VT_OK(vt_set_irqs_fd(dev, VFIO_PCI_MSI_IRQ_INDEX, TRIG, e2));
	VT_OK(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1,
			  NULL, 0));
	VT_EXPECT_EQ(vt_wait_eventfd(e2, 1000), 1);
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 100), 0);
	/* only one interrupt type at a time */
	if (intx_pin(dev))
		VT_EXPECT_EQ(vt_set_irqs_fd(dev, VFIO_PCI_INTX_IRQ_INDEX, TRIG,
					    efd), -EINVAL);
	if (msix_count(dev))
		VT_EXPECT_EQ(vt_set_irqs_fd(dev, VFIO_PCI_MSIX_IRQ_INDEX, TRIG,
					    efd), -EINVAL);
	VT_OK(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0,
			  NULL, 0));
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX,
				 0, 0, NULL, 0), -EINVAL);
}

static void t_set_irqs_msix(void)
{
	int dev = open_dev();
	uint32_t n = msix_count(dev), i;
	int32_t fds[3];

	if (!n)
		vt_skip("device has no MSI-X capability");
	n = n < 3 ? n : 3;
	for (i = 0; i < n; i++)
		fds[i] = vt_eventfd();
	VT_OK(vt_set_irqs(dev, D_EFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, n,
			  fds, n * 4));
	for (i = 0; i < n; i++) {
		VT_OK(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_MSIX_IRQ_INDEX,
				  i, 1, NULL, 0));
		VT_EXPECT(vt_wait_eventfd(fds[i], 1000) == 1,
			  "vector %u loopback", i);
	}
	/* a vector can be switched off alone */
	fds[0] = -1;
	VT_OK(vt_set_irqs(dev, D_EFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1,
			  fds, 4));
	if (msi_count(dev))
		VT_EXPECT_EQ(vt_set_irqs_fd(dev, VFIO_PCI_MSI_IRQ_INDEX, TRIG,
					    fds[n - 1]), -EINVAL);
	VT_OK(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0,
			  NULL, 0));
}

static void t_set_irqs_intx(void)
{
	int dev = open_dev();
	int efd = vt_eventfd(), ufd = vt_eventfd();
	const uint32_t I = VFIO_PCI_INTX_IRQ_INDEX;

	if (!intx_pin(dev))
		vt_skip("device has no INTx pin");
	/* mask/unmask/trigger need INTx enabled */
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_MASK, I, 0,
				 1, NULL, 0), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_UNMASK, I,
				 0, 1, NULL, 0), -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, I, 0, 1, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, I, 0, 0, NULL, 0),
		     -EINVAL);

	VT_OK(vt_set_irqs_fd(dev, I, TRIG, efd));
	VT_OK(vt_set_irqs(dev, D_NONE | TRIG, I, 0, 1, NULL, 0));
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	VT_OK(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_MASK, I, 0, 1,
			  NULL, 0));
	VT_OK(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_UNMASK, I, 0, 1,
			  NULL, 0));
	/* an eventfd for masking is not implemented, one for unmask is */
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, I, VFIO_IRQ_SET_ACTION_MASK, ufd),
		     -ENOTTY);
	VT_OK(vt_set_irqs_fd(dev, I, VFIO_IRQ_SET_ACTION_UNMASK, ufd));
	VT_OK(vt_set_irqs_fd(dev, I, VFIO_IRQ_SET_ACTION_UNMASK, -1));
	/* INTx is a single vector */
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_MASK, I, 0,
				 2, NULL, 0), -EINVAL);
	VT_OK(vt_set_irqs(dev, D_NONE | TRIG, I, 0, 0, NULL, 0));
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_UNMASK, I,
				 0, 1, NULL, 0), -EINVAL);
}

static void ctx_trigger_checks(int dev, uint32_t index)
{
	int efd = vt_eventfd();
	int32_t minus2 = -2;
	uint8_t yes = 1;

	VT_OK(vt_set_irqs_fd(dev, index, TRIG, efd));
	VT_OK(vt_set_irqs(dev, D_NONE | TRIG, index, 0, 1, NULL, 0));
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	VT_OK(vt_set_irqs(dev, D_BOOL | TRIG, index, 0, 1, &yes, 1));
	VT_EXPECT_EQ(vt_wait_eventfd(efd, 1000), 1);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_BOOL | TRIG, index, 0, 0, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_EFD | TRIG, index, 0, 0, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_EFD | TRIG, index, 0, 1, &minus2, 4),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, index, 1, 0, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | VFIO_IRQ_SET_ACTION_MASK,
				 index, 0, 1, NULL, 0), -ENOTTY);
	/* DATA_NONE with count 0 releases the eventfd */
	VT_OK(vt_set_irqs(dev, D_NONE | TRIG, index, 0, 0, NULL, 0));
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, index, 0, 1, NULL, 0),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, index, 0, 0, NULL, 0),
		     -EINVAL);
	/* and fd -1 too */
	VT_OK(vt_set_irqs_fd(dev, index, TRIG, efd));
	VT_OK(vt_set_irqs_fd(dev, index, TRIG, -1));
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, index, 0, 1, NULL, 0),
		     -EINVAL);
	/* left registered: closing the device releases it */
	VT_OK(vt_set_irqs_fd(dev, index, TRIG, efd));
}

static void t_set_irqs_req(void)
{
	ctx_trigger_checks(open_dev(), VFIO_PCI_REQ_IRQ_INDEX);
}

static void t_set_irqs_err(void)
{
	int dev = open_dev();
	int efd = vt_eventfd();

	if (vt_cfg_find_cap(dev, PCI_CAP_ID_EXP)) {
		ctx_trigger_checks(dev, VFIO_PCI_ERR_IRQ_INDEX);
		return;
	}
	/* conventional PCI: the index has no vectors */
	VT_EXPECT_EQ(vt_set_irqs_fd(dev, VFIO_PCI_ERR_IRQ_INDEX, TRIG, efd),
		     -EINVAL);
	VT_EXPECT_EQ(vt_set_irqs(dev, D_NONE | TRIG, VFIO_PCI_ERR_IRQ_INDEX,
				 0, 0, NULL, 0), -EINVAL);
}

/* --------------------------------------------------------------- reset */

static void t_reset(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int dev = open_dev();

	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	if (di.flags & VFIO_DEVICE_FLAGS_RESET) {
		VT_OK(ioctl(dev, VFIO_DEVICE_RESET));
		VT_EXPECT_EQ(vt_cfg_rd16(dev, 0), cur->vendor);
		VT_OK(ioctl(dev, VFIO_DEVICE_RESET));
	} else {
		VT_ERRNO(ioctl(dev, VFIO_DEVICE_RESET), EINVAL);
	}
}

static bool on_root_bus(void)
{
	char path[128], link[256];
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", cur->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	p = strrchr(link, '/');
	if (!p)
		return false;
	*p = 0;
	p = strrchr(link, '/');
	return p && !strncmp(p + 1, "pci", 3);
}

static void t_hot_reset_info(void)
{
	struct {
		struct vfio_pci_hot_reset_info h;
		struct vfio_pci_dependent_device d[8];
	} b;
	unsigned int dom, bus, slot, fn, i;
	int dev = open_dev();
	bool found = false;

	memset(&b, 0, sizeof(b));
	b.h.argsz = offsetof(struct vfio_pci_hot_reset_info, count) + 3;
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &b.h), EINVAL);
	if (on_root_bus()) {
		b.h.argsz = sizeof(b);
		VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &b.h),
			 ENODEV);
		return;
	}
	/* no room for the devices: ENOSPC, count says how many */
	b.h.argsz = sizeof(b.h);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &b.h),
		 ENOSPC);
	VT_EXPECT(b.h.count >= 1, "count %u", b.h.count);

	memset(&b, 0, sizeof(b));
	b.h.argsz = sizeof(b);
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &b.h));
	VT_EXPECT_EQ(b.h.flags, 0);
	VT_ASSERT(sscanf(cur->bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) == 4,
		  "bdf");
	for (i = 0; i < b.h.count && i < 8; i++) {
		vt_diag("dependent %04x:%02x:%02x.%x group %u",
			b.d[i].segment, b.d[i].bus, b.d[i].devfn >> 3,
			b.d[i].devfn & 7, b.d[i].group_id);
		if (b.d[i].segment == dom && b.d[i].bus == bus &&
		    b.d[i].devfn == ((slot << 3) | fn)) {
			found = true;
			VT_EXPECT_EQ(b.d[i].group_id, cur->group);
		}
	}
	VT_EXPECT(found, "the device itself is not listed");
}

/* A device under test in another IOMMU group than the current one. */
static const struct vt_dev *other_group_dev(void)
{
	int i;

	for (i = 0; i < vt_ndevs; i++)
		if (vt_devs[i].group != cur->group)
			return &vt_devs[i];
	return NULL;
}

static void t_hot_reset(void)
{
	struct {
		struct vfio_pci_hot_reset h;
		int32_t fds[4];
	} b;
	struct vfio_pci_hot_reset *edge;
	const struct vt_dev *other;
	struct vt_session s;
	int efd, dupfd;

	vt_session_open(&s, cur, VFIO_TYPE1v2_IOMMU, true);
	efd = vt_eventfd();
	memset(&b, 0, sizeof(b));
	b.h.argsz = sizeof(b);
	b.h.count = 1;
	b.fds[0] = s.group;
	b.h.flags = 1;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	b.h.flags = 0;
	b.h.argsz = offsetof(struct vfio_pci_hot_reset, count) + 3;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	b.h.argsz = sizeof(b);
	/* the group path must prove ownership with group fds */
	b.h.count = 0;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	if (on_root_bus()) {
		b.h.count = 1;
		VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h),
			 ENODEV);
		return;
	}
	b.h.count = 4;		/* more fds than affected devices */
	b.fds[1] = s.group;
	b.fds[2] = s.group;
	b.fds[3] = s.group;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	b.h.count = 1;
	b.fds[0] = -1;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EBADF);
	/* files that are not a VFIO group */
	b.fds[0] = efd;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	b.fds[0] = s.container;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	b.fds[0] = s.device;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h), EINVAL);
	/* a group the caller owns, but not the device's */
	other = other_group_dev();
	if (other) {
		struct vt_session o;

		vt_session_open(&o, other, VFIO_TYPE1v2_IOMMU, false);
		b.fds[0] = o.group;
		VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h),
			 EINVAL);
	} else {
		vt_diag("no device in another group: other-group case skipped");
	}
	/* the fd array is read from the caller: it must be mapped */
	edge = edge_alloc(sizeof(*edge));
	edge->argsz = sizeof(*edge) + sizeof(int32_t);
	edge->count = 1;
	VT_ERRNO(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, edge), EFAULT);
	edge_free(edge);
	/* any fd of the group will do, not only the one the device came from */
	dupfd = vt_track(dup(s.group));
	VT_ASSERT(dupfd >= 0, "dup");
	b.fds[0] = dupfd;
	if (vt_cfg_find_cap(s.device, PCI_CAP_ID_EXP)) {
		/*
		 * PCIe: the result is pci_reset_bus()'s. Behind QEMU's root
		 * ports the link does not report active again after a
		 * secondary bus reset ("Data Link Layer Link Active not set
		 * in 100 msec") and the PCI core returns ENOTTY; vfio passes
		 * that through unchanged.
		 */
		int r = ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h);

		VT_EXPECT(r == 0 || errno == ENOTTY, "hot reset: %s",
			  vt_errname(errno));
		vt_diag("PCIe hot reset: %s", r ? vt_errname(errno) : "done");
	} else {
		VT_OK(ioctl(s.device, VFIO_DEVICE_PCI_HOT_RESET, &b.h));
	}
	VT_EXPECT_EQ(vt_cfg_rd16(s.device, 0), cur->vendor);
}

/* ------------------------------------------------------- config space */

static void t_config_ids(void)
{
	int dev = open_dev();
	uint32_t class;
	uint8_t hdr;

	VT_EXPECT_EQ(vt_cfg_rd16(dev, 0x00), cur->vendor);
	VT_EXPECT_EQ(vt_cfg_rd16(dev, 0x02), cur->device);
	class = vt_cfg_rd32(dev, 0x08) >> 8;
	VT_EXPECT_EQ(class, cur->class);
	VT_ASSERT(pread(dev, &hdr, 1, cfg_base(dev) + 0x0e) == 1, "read");
	VT_EXPECT_EQ(hdr & 0x7f, 0);	/* type 0 header */
	/* vendor and device ID are read-only */
	vt_cfg_wr16(dev, 0x00, 0xffff);
	VT_EXPECT_EQ(vt_cfg_rd16(dev, 0x00), cur->vendor);
}

static void t_config_read_sizes(void)
{
	int dev = open_dev();
	uint64_t base = cfg_base(dev);
	unsigned char whole[64], part[64];
	int i;

	VT_ASSERT(pread(dev, whole, 64, base) == 64, "pread 64");
	memset(part, 0, sizeof(part));
	for (i = 0; i < 64; i++)
		VT_ASSERT(pread(dev, part + i, 1, base + i) == 1, "pread 1");
	/* skip the status register: it may change between reads */
	VT_EXPECT(!memcmp(whole, part, 6) && !memcmp(whole + 8, part + 8, 56),
		  "bytewise and bulk reads differ");
	VT_EXPECT_EQ(pread(dev, part, 3, base + 1), 3);
	VT_EXPECT(!memcmp(part, whole + 1, 3), "unaligned 3-byte read");
	VT_EXPECT_EQ(pread(dev, part, 0, base), 0);
}

static void t_config_bar_sizing(void)
{
	struct res r[7];
	int dev = open_dev();
	unsigned int i;

	sysfs_resources(r);
	for (i = 0; i < 6; i++) {
		unsigned int reg = 0x10 + 4 * i;
		uint32_t orig = vt_cfg_rd32(dev, reg), got, want;

		/* the upper half of a 64-bit BAR is sized with the lower */
		if (!r[i].len && i && (r[i - 1].flags & IORESOURCE_MEM_64))
			continue;
		vt_cfg_wr32(dev, reg, 0xffffffff);
		got = vt_cfg_rd32(dev, reg);
		if (!r[i].len) {
			VT_EXPECT(got == 0, "unimplemented BAR%u reads 0x%x",
				  i, got);
		} else {
			uint32_t fl = (r[i].flags & IORESOURCE_IO) ?
				      (orig & 0x3) : (orig & 0xf);

			want = (uint32_t)~(r[i].len - 1) | fl;
			VT_EXPECT(got == want, "BAR%u sized 0x%x want 0x%x",
				  i, got, want);
			if (r[i].flags & IORESOURCE_MEM_64) {
				uint32_t o2 = vt_cfg_rd32(dev, reg + 4);

				vt_cfg_wr32(dev, reg + 4, 0xffffffff);
				got = vt_cfg_rd32(dev, reg + 4);
				want = (uint32_t)(~(r[i].len - 1) >> 32);
				VT_EXPECT(got == want,
					  "BAR%u upper sized 0x%x want 0x%x",
					  i, got, want);
				vt_cfg_wr32(dev, reg + 4, o2);
			}
		}
		vt_cfg_wr32(dev, reg, orig);
		VT_EXPECT_EQ(vt_cfg_rd32(dev, reg), orig);
	}
}

static void t_config_bad_offsets(void)
{
	int dev = open_dev();
	uint64_t base = cfg_base(dev);
	long size = sysfs_config_size();
	uint32_t v = 0;

	VT_ERRNO(pread(dev, &v, 4, base + size), EFAULT);
	VT_ERRNO(pread(dev, &v, 4, base + size - 2), EFAULT);
	VT_ERRNO(pread(dev, &v, 1, base + size + 0x1000), EFAULT);
	VT_ERRNO(pwrite(dev, &v, 4, base + size), EFAULT);
	VT_ERRNO(pread(dev, &v, 4, -1), EINVAL);
	VT_EXPECT_EQ(pread(dev, &v, 4, base + size - 4), 4);
}

/* ------------------------------------------------------ region access */

/* First MMIO BAR, or -1. */
static int first_mem_bar(const struct res r[7])
{
	int i;

	for (i = 0; i < 6; i++)
		if (r[i].len && (r[i].flags & IORESOURCE_MEM))
			return i;
	return -1;
}

static void t_region_bad_access(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	uint64_t shift_off;
	int dev = open_dev();
	struct res r[7];
	int i, mb;
	uint32_t v = 0;

	sysfs_resources(r);
	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	mb = first_mem_bar(r);
	if (mb >= 0) {
		uint64_t off = vt_region_offset(dev, mb);

		VT_ERRNO(pread(dev, &v, 4, off + r[mb].len), EINVAL);
		VT_ERRNO(pwrite(dev, &v, 4, off + r[mb].len), EINVAL);
		if (vt_dev_is_edu(cur))	/* harmless register file */
			VT_EXPECT_EQ(pread(dev, &v, 4, off + r[mb].len - 2), 2);
	}
	for (i = 0; i < 6; i++) {
		if (r[i].len || (i && (r[i - 1].flags & IORESOURCE_MEM_64)))
			continue;
		VT_ERRNO(pread(dev, &v, 4, vt_region_offset(dev, i)), EINVAL);
	}
	VT_OK(vt_region_info(dev, VFIO_PCI_ROM_REGION_INDEX, &ri));
	VT_ERRNO(pwrite(dev, &v, 4, ri.offset), EINVAL);
	if (!r[6].len)
		VT_ERRNO(pread(dev, &v, 4, ri.offset), EINVAL);

	/* past the last region, at the offset the layout would give it */
	VT_OK(vt_region_info(dev, 1, &ri));
	shift_off = ri.offset;
	if (shift_off && !(shift_off & (shift_off - 1))) {
		VT_ERRNO(pread(dev, &v, 4, shift_off * di.num_regions),
			 EINVAL);
		VT_ERRNO(pread(dev, &v, 4, shift_off *
			       VFIO_PCI_VGA_REGION_INDEX), EINVAL);
	} else {
		vt_diag("region offsets are not index-scaled; skipped");
	}
}

static void t_mmap_checks(void)
{
	struct vfio_region_info ri;
	int dev = open_dev();
	struct res r[7];
	uint64_t len;
	void *p;
	int mb, i;

	sysfs_resources(r);
	mb = first_mem_bar(r);
	if (mb < 0)
		vt_skip("no MMIO BAR");
	VT_OK(vt_region_info(dev, mb, &ri));
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		vt_skip("BAR%d is not mmap-able", mb);
	len = (ri.size + P - 1) & ~(P - 1);

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, dev, ri.offset);
	VT_EXPECT(p != MAP_FAILED, "mmap BAR%d: %s", mb, vt_errname(errno));
	if (p != MAP_FAILED)
		munmap(p, len);
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, dev, ri.offset);
	VT_EXPECT(p == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE: %s",
		  p == MAP_FAILED ? vt_errname(errno) : "mapped");
	p = mmap(NULL, len + P, PROT_READ, MAP_SHARED, dev, ri.offset);
	VT_EXPECT(p == MAP_FAILED && errno == EINVAL, "too long: %s",
		  p == MAP_FAILED ? vt_errname(errno) : "mapped");
	p = mmap(NULL, P, PROT_READ, MAP_SHARED, dev, ri.offset + len);
	VT_EXPECT(p == MAP_FAILED && errno == EINVAL, "past the end: %s",
		  p == MAP_FAILED ? vt_errname(errno) : "mapped");
	/* config space, ROM and unimplemented BARs cannot be mapped */
	for (i = 0; i < NUM_REGIONS - 1; i++) {
		if (i < 6 && r[i].len)
			continue;
		if (i < 6 && i && (r[i - 1].flags & IORESOURCE_MEM_64))
			continue;
		p = mmap(NULL, P, PROT_READ, MAP_SHARED, dev,
			 vt_region_offset(dev, i));
		VT_EXPECT(p == MAP_FAILED && errno == EINVAL,
			  "region %d: %s", i,
			  p == MAP_FAILED ? vt_errname(errno) : "mapped");
	}
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/*
 * A BAR whose first page is plain device MMIO: memory, mmap-able, and
 * not holding the MSI-X table or PBA (vfio-pci serves those without
 * the device). -1 if there is none.
 */
static int plain_mmio_bar(int dev)
{
	struct vfio_region_info ri;
	int mbar = msix_bar(dev);
	struct res r[7];
	int mb;

	sysfs_resources(r);
	if (mbar >= 0) {
		int pos = vt_cfg_find_cap(dev, PCI_CAP_ID_MSIX);
		uint32_t tbl = vt_cfg_rd32(dev, pos + 4) & ~7U;
		uint32_t pba = vt_cfg_rd32(dev, pos + 8) & ~7U;

		/* page 0 of the MSI-X BAR is fine if the table is not in it */
		if (tbl >= P && pba >= P)
			mbar = -1;
	}
	for (mb = 0; mb < 6; mb++) {
		if (r[mb].len < P || !(r[mb].flags & IORESOURCE_MEM) ||
		    mb == mbar)
			continue;
		if (!vt_region_info(dev, mb, &ri) &&
		    (ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
			return mb;
	}
	return -1;
}

/* With memory decode off, BAR access fails (EIO / SIGBUS) until it is on. */
static void t_memory_decode_off(void)
{
	volatile uint32_t *map;
	int dev = open_dev();
	int mb = plain_mmio_bar(dev);
	uint16_t cmd;
	uint64_t off;
	uint32_t v;

	if (mb < 0)
		vt_skip("no MMIO BAR page without the MSI-X table");
	off = vt_region_offset(dev, mb);
	map = mmap(NULL, P, PROT_READ, MAP_SHARED, dev, off);
	cmd = vt_cfg_rd16(dev, 0x04);
	vt_cfg_wr16(dev, 0x04, cmd | 0x2);
	VT_EXPECT_EQ(pread(dev, &v, 4, off), 4);

	vt_cfg_wr16(dev, 0x04, cmd & ~0x2);
	VT_ERRNO(pread(dev, &v, 4, off), EIO);
	VT_ERRNO(pwrite(dev, &v, 4, off), EIO);
	if (map != MAP_FAILED) {
		struct sigaction sa = { .sa_handler = on_sigbus }, old;
		volatile bool faulted = false;

		sigaction(SIGBUS, &sa, &old);
		if (sigsetjmp(sigbus_jmp, 1) == 0)
			v = map[0];
		else
			faulted = true;
		sigaction(SIGBUS, &old, NULL);
		VT_EXPECT(faulted, "mmap read with memory decode off: no SIGBUS");
	}

	vt_cfg_wr16(dev, 0x04, cmd | 0x2);
	VT_EXPECT_EQ(pread(dev, &v, 4, off), 4);
	if (map != MAP_FAILED) {
		v = map[0];	/* faults back in */
		munmap((void *)map, P);
	}
}

/* ------------------------------------- reset methods, last-close reset */

/*
 * /sys/bus/pci/devices/BDF/reset_method lists the function reset methods
 * the PCI core uses, in order; "" disables them all. The parent saves the
 * device's list before its tests and puts it back after each one, so a
 * test that dies half-way leaves nothing changed.
 */
static char orig_methods[128];
static bool have_methods;

static void methods_path(char *path, size_t len)
{
	snprintf(path, len, "/sys/bus/pci/devices/%s/reset_method", cur->bdf);
}

static int methods_read(char *buf, size_t len)
{
	char path[128];

	methods_path(path, sizeof(path));
	return vt_sysfs_read(path, buf, len);
}

static int methods_write(const char *m)
{
	char path[128];

	methods_path(path, sizeof(path));
	/* the store compares with sysfs_streq(): "\n" is "" */
	return vt_sysfs_write(path, *m ? m : "\n");
}

static void methods_restore(void)
{
	char now[128];

	if (!have_methods || (methods_read(now, sizeof(now)) >= 0 &&
			      !strcmp(now, orig_methods)))
		return;
	if (methods_write(orig_methods) && methods_write("default"))
		vt_diag("%s: cannot restore reset_method \"%s\"", cur->bdf,
			orig_methods);
}

/* A PCI Express device? Read from sysfs: no open (and reset) needed. */
static bool sysfs_is_pcie(void)
{
	uint8_t cfg[256];
	char path[128];
	int fd, n, pos, guard;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
		 cur->bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n < 64 || !(cfg[0x06] & 0x10))	/* PCI_STATUS_CAP_LIST */
		return false;
	pos = cfg[0x34] & 0xfc;
	for (guard = 0; pos && pos < n - 1 && guard < 48; guard++) {
		if (cfg[pos] == PCI_CAP_ID_EXP)
			return true;
		pos = cfg[pos + 1] & 0xfc;
	}
	return false;
}

static bool info_has_reset(int dev)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };

	VT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di));
	return di.flags & VFIO_DEVICE_FLAGS_RESET;
}

/*
 * VFIO_DEVICE_RESET with a BAR page mapped: the reset zaps the mapping,
 * which faults back in on the next access and shows the device again.
 */
static void reset_and_refault(int dev)
{
	volatile uint32_t *map;
	int bar = plain_mmio_bar(dev);
	uint32_t after, direct;
	uint64_t off;

	if (bar < 0) {
		VT_OK(ioctl(dev, VFIO_DEVICE_RESET));
		VT_EXPECT_EQ(vt_cfg_rd16(dev, 0), cur->vendor);
		return;
	}
	off = vt_region_offset(dev, bar);
	vt_cfg_wr16(dev, 0x04, vt_cfg_rd16(dev, 0x04) | 0x2);
	map = mmap(NULL, P, PROT_READ, MAP_SHARED, dev, off);
	VT_ASSERT(map != MAP_FAILED, "mmap BAR%d: %s", bar, vt_errname(errno));
	(void)map[0];		/* populated before the reset */
	VT_OK(ioctl(dev, VFIO_DEVICE_RESET));
	VT_EXPECT_EQ(vt_cfg_rd16(dev, 0), cur->vendor);
	after = map[0];
	direct = vt_rd32(dev, off);
	VT_EXPECT(after == direct && after != 0xffffffff,
		  "BAR%d after reset: mmap 0x%x, read 0x%x", bar, after,
		  direct);
	if (vt_dev_is_edu(cur))
		VT_EXPECT_EQ(after, VT_EDU_IDENT);
	munmap((void *)map, P);
}

/*
 * Each reset method the device offers, alone: the device opens with
 * FLAGS_RESET and VFIO_DEVICE_RESET works with it. Whether a device can
 * be reset is decided at open: methods disabled later make RESET fail
 * in the PCI core (ENOTTY), FLAGS_RESET stays.
 */
static void t_reset_methods(void)
{
	char list[128], *m, *save = NULL;
	bool first = true, pcie = sysfs_is_pcie();
	struct vt_session s;
	int dev;

	if (!have_methods)
		vt_skip("no reset_method attribute: no reset method");
	if (!orig_methods[0])
		vt_skip("reset methods were disabled before the test");
	vt_diag("reset methods: %s", orig_methods);
	vt_session_open(&s, cur, VFIO_TYPE1v2_IOMMU, false);
	snprintf(list, sizeof(list), "%s", orig_methods);
	for (m = strtok_r(list, " ", &save); m;
	     m = strtok_r(NULL, " ", &save)) {
		/*
		 * A secondary bus reset under a PCIe endpoint fails behind
		 * QEMU's root ports (the link does not report active again
		 * in time: ENOTTY after a second, no FLAGS_RESET), as with
		 * the in-tree stack; last_close_reset covers that outcome.
		 */
		if (!strcmp(m, "bus") && pcie) {
			vt_diag("bus: skipped on a PCIe device");
			continue;
		}
		if (!VT_EXPECT(!methods_write(m), "reset_method \"%s\"", m))
			continue;
		dev = vt_get_device(s.group, cur->bdf);
		if (!VT_EXPECT(info_has_reset(dev), "%s: no FLAGS_RESET", m)) {
			vt_close(dev);
			continue;
		}
		reset_and_refault(dev);
		if (first) {
			VT_ASSERT(!methods_write(""), "reset_method \"\"");
			VT_ERRNO(ioctl(dev, VFIO_DEVICE_RESET), ENOTTY);
			VT_EXPECT(info_has_reset(dev), "FLAGS_RESET dropped");
			/* back before close, which resets the function */
			VT_ASSERT(!methods_write(m), "reset_method \"%s\"", m);
			first = false;
		}
		vt_close(dev);
	}
	methods_restore();
}

/*
 * A register of BAR0 that a reset of the device clears, for the test
 * VM's devices that have one: e1000e RDBAL0 (QEMU's NVMe keeps AQA).
 */
static bool reset_register(uint32_t *off, uint32_t *val)
{
	if (cur->vendor == 0x8086 && cur->device == 0x10d3) {
		*off = 0x2800;
		*val = 0x12340000;
		return true;
	}
	return false;
}

/*
 * When the last device of a dev_set closes and a member could not be
 * reset by itself, vfio-pci resets the slot or bus: pci_reset_bus(),
 * once. With all reset methods off the device cannot be reset at open
 * (no FLAGS_RESET, RESET EINVAL) or at close; the next open sees what
 * the bus reset left.
 */
static void t_last_close_reset(void)
{
	uint32_t reg = 0, val = 0;
	struct vt_session s;
	uint64_t bar0 = 0;
	bool probe, has_reg;
	long h0, h;
	int dev;

	if (on_root_bus())
		vt_skip("no slot or bus reset on the root bus");
	if (!have_methods || !orig_methods[0])
		vt_skip("no reset method to disable");
	probe = vt_reset_probe_add();
	has_reg = reset_register(&reg, &val);
	if (!probe && !has_reg)
		vt_skip("no kprobe on pci_reset_bus and no known register");
	if (!probe)
		vt_diag("no kprobe events: checking the register only");
	vt_session_open(&s, cur, VFIO_TYPE1v2_IOMMU, false);

	/* the function reset works: closing needs no bus reset */
	h0 = vt_reset_probe_hits();
	dev = vt_get_device(s.group, cur->bdf);
	vt_close(dev);
	h = vt_reset_probe_hits();
	if (probe)
		VT_EXPECT(h == h0, "%ld pci_reset_bus() after a clean close",
			  h - h0);
	/*
	 * Behind QEMU's root ports a bus reset under a PCIe endpoint waits
	 * a second for the link: one such device (e1000e, whose register
	 * shows the reset happened) is enough.
	 */
	if (sysfs_is_pcie() && !has_reg) {
		vt_diag("PCIe: bus reset at last close checked on e1000e only");
		vt_reset_probe_del();
		return;
	}

	VT_ASSERT(!methods_write(""), "reset_method \"\"");
	dev = vt_get_device(s.group, cur->bdf);
	VT_EXPECT(!info_has_reset(dev), "FLAGS_RESET without reset methods");
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_RESET), EINVAL);
	if (has_reg) {
		bar0 = vt_region_offset(dev, VFIO_PCI_BAR0_REGION_INDEX);
		vt_cfg_wr16(dev, 0x04, vt_cfg_rd16(dev, 0x04) | 0x2);
		vt_wr32(dev, bar0 + reg, val);
		VT_EXPECT_EQ(vt_rd32(dev, bar0 + reg), val);
	}
	h0 = vt_reset_probe_hits();
	vt_close(dev);
	h = vt_reset_probe_hits();
	if (probe)
		VT_EXPECT(h == h0 + 1, "%ld pci_reset_bus() at the last close",
			  h - h0);

	if (has_reg) {
		/* still no method: nothing resets it at open */
		dev = vt_get_device(s.group, cur->bdf);
		vt_cfg_wr16(dev, 0x04, vt_cfg_rd16(dev, 0x04) | 0x2);
		VT_EXPECT(vt_rd32(dev, bar0 + reg) == 0,
			  "register 0x%x survived the bus reset: 0x%x", reg,
			  vt_rd32(dev, bar0 + reg));
		h0 = vt_reset_probe_hits();
		vt_close(dev);
		h = vt_reset_probe_hits();
		if (probe)
			VT_EXPECT(h == h0 + 1,
				  "%ld pci_reset_bus() at the second close",
				  h - h0);
	}
	methods_restore();
	vt_reset_probe_del();
}

/* --------------------------------------------------------- features etc */

static int feature(int dev, uint32_t flags, uint32_t argsz)
{
	struct {
		struct vfio_device_feature f;
		uint64_t data[4];
	} b;

	memset(&b, 0, sizeof(b));
	b.f.argsz = argsz ? argsz : sizeof(b);
	b.f.flags = flags;
	return ioctl(dev, VFIO_DEVICE_FEATURE, &b.f) ? -errno : 0;
}

/* A feature with @len bytes of @data: argsz is exactly header + @len. */
static int feature_arg(int dev, uint32_t flags, const void *data,
		       uint32_t len)
{
	struct {
		struct vfio_device_feature f;
		uint8_t data[32];
	} b;

	memset(&b, 0, sizeof(b));
	b.f.argsz = sizeof(b.f) + len;
	b.f.flags = flags;
	if (len)
		memcpy(b.data, data, len);
	return ioctl(dev, VFIO_DEVICE_FEATURE, &b.f) ? -errno : 0;
}

#define F_GET	VFIO_DEVICE_FEATURE_GET
#define F_SET	VFIO_DEVICE_FEATURE_SET
#define F_PROBE	VFIO_DEVICE_FEATURE_PROBE
#define LP_ENTRY	VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY
#define LP_WAKEUP	VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP
#define LP_EXIT		VFIO_DEVICE_FEATURE_LOW_POWER_EXIT

/* Features a driver without migration or dirty-tracking ops lacks. */
static const uint32_t no_ops[] = {
	F_PROBE | F_GET | VFIO_DEVICE_FEATURE_MIGRATION,
	F_PROBE | VFIO_DEVICE_FEATURE_MIGRATION,
	F_PROBE | F_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
	F_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
	F_PROBE | F_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
	F_PROBE | F_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
	F_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
	F_PROBE | F_GET | VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
	F_PROBE | F_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
};

/* Header checks, PROBE, and the features a plain vfio-pci device lacks. */
static void feature_probes(int dev)
{
	uint8_t token[16] = { 0 };
	size_t i;
	bool pf = sysfs_has("sriov_totalvfs");

	VT_EXPECT_EQ(feature(dev, F_PROBE | F_GET |
			     VFIO_DEVICE_FEATURE_MIGRATION,
			     sizeof(struct vfio_device_feature) - 1), -EINVAL);
	VT_EXPECT_EQ(feature(dev, F_GET | (1 << 19) |
			     VFIO_DEVICE_FEATURE_MIGRATION, 0), -EINVAL);
	VT_EXPECT_EQ(feature(dev, F_GET | F_SET |
			     VFIO_DEVICE_FEATURE_MIGRATION, 0), -EINVAL);
	/*
	 * Not a migration / dirty tracking capable driver: the core says
	 * so before it looks at GET/SET/PROBE or argsz.
	 */
	for (i = 0; i < ARRAY_SIZE(no_ops); i++)
		VT_EXPECT_EQ(feature(dev, no_ops[i], 0), -ENOTTY);
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_GET | 0xffff, 0), -ENOTTY);

	/* VF token: a PF's feature only, and never readable */
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_SET |
			     VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, 0),
		     pf ? 0 : -ENOTTY);
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_GET |
			     VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, 0),
		     pf ? -EINVAL : -ENOTTY);
	VT_EXPECT_EQ(feature(dev, F_GET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, 0),
		     pf ? -EINVAL : -ENOTTY);
	VT_EXPECT_EQ(feature_arg(dev, F_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
				 token, 15), pf ? -EINVAL : -ENOTTY);
	if (!pf)	/* a PF would take it: tested where VFs exist */
		VT_EXPECT_EQ(feature_arg(dev, F_SET |
					 VFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
					 token, 16), -ENOTTY);

	/* low power entry/exit exist, SET only; PROBE alone is a probe */
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_SET | LP_ENTRY, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_PROBE | LP_ENTRY, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_GET | LP_ENTRY, 0), -EINVAL);
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_GET | F_SET | LP_ENTRY, 0),
		     -EINVAL);
	VT_EXPECT_EQ(feature(dev, F_GET | LP_ENTRY, 0), -EINVAL);
	VT_EXPECT_EQ(feature(dev, LP_ENTRY, 0), -EINVAL);
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_SET | LP_EXIT, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_PROBE | LP_EXIT, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_GET | LP_EXIT, 0), -EINVAL);
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_SET | LP_WAKEUP, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_PROBE | LP_WAKEUP, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_PROBE | F_GET | LP_WAKEUP, 0), -EINVAL);
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_FEATURE, NULL), EFAULT);
}

/* LOW_POWER_ENTRY_WITH_WAKEUP arguments that are refused. */
static void feature_wakeup_args(int dev)
{
	struct vfio_device_low_power_entry_with_wakeup w = { 0 };
	struct vfio_device_feature *edge;
	int efd = vt_eventfd();
	int null = vt_track(open("/dev/null", O_RDONLY | O_CLOEXEC));
	int closed = dup(null);

	close(closed);
	w.wakeup_eventfd = efd;
	VT_EXPECT_EQ(feature_arg(dev, F_SET | LP_WAKEUP, &w, sizeof(w) - 5),
		     -EINVAL);
	w.wakeup_eventfd = -1;
	VT_EXPECT_EQ(feature_arg(dev, F_SET | LP_WAKEUP, &w, sizeof(w)),
		     -EINVAL);
	w.wakeup_eventfd = closed;
	VT_EXPECT_EQ(feature_arg(dev, F_SET | LP_WAKEUP, &w, sizeof(w)),
		     -EBADF);
	w.wakeup_eventfd = null;
	VT_EXPECT_EQ(feature_arg(dev, F_SET | LP_WAKEUP, &w, sizeof(w)),
		     -EINVAL);
	/* the header is readable, the eventfd after it is not */
	edge = edge_alloc(sizeof(*edge));
	edge->argsz = sizeof(*edge) + sizeof(w);
	edge->flags = F_SET | LP_WAKEUP;
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_FEATURE, edge), EFAULT);
	edge_free(edge);
	/* none of that entered low power: exit is a no-op, entry works */
	VT_EXPECT_EQ(feature(dev, F_SET | LP_EXIT, 0), 0);
}

/*
 * Entering low power twice is refused. The device suspends only once
 * the ioctl returns, asynchronously, and the next ioctl resumes it: a
 * wakeup eventfd then fires and ends low power, so what a second entry
 * after one WITH_WAKEUP gets depends on whether the suspend happened in
 * between; either outcome must be consistent with the eventfd.
 */
static void feature_low_power_twice(int dev)
{
	struct vfio_device_low_power_entry_with_wakeup w = {
		.wakeup_eventfd = vt_eventfd(),
	};
	uint64_t n = 0;
	int r;

	/* exit without entry is fine */
	VT_EXPECT_EQ(feature(dev, F_SET | LP_EXIT, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_SET | LP_ENTRY, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_SET | LP_ENTRY, 0), -EINVAL);
	VT_EXPECT_EQ(feature_arg(dev, F_SET | LP_WAKEUP, &w, sizeof(w)),
		     -EINVAL);
	VT_EXPECT_EQ(feature(dev, F_SET | LP_EXIT, 0), 0);
	VT_EXPECT_EQ(feature(dev, F_SET | LP_EXIT, 0), 0);

	VT_EXPECT_EQ(feature_arg(dev, F_SET | LP_WAKEUP, &w, sizeof(w)), 0);
	r = feature(dev, F_SET | LP_ENTRY, 0);
	if (read(w.wakeup_eventfd, &n, sizeof(n)) != sizeof(n))
		n = 0;
	VT_EXPECT((r == 0 && n == 1) || (r == -EINVAL && n == 0),
		  "entry after entry with wakeup: %s, eventfd %llu",
		  r ? vt_errname(-r) : "ok", (unsigned long long)n);
	vt_diag("entry after entry with wakeup: %s (eventfd %llu)",
		r ? vt_errname(-r) : "ok", (unsigned long long)n);
	VT_EXPECT_EQ(feature(dev, F_SET | LP_EXIT, 0), 0);
	/* closing the device ends low power too: leave it engaged */
	VT_EXPECT_EQ(feature(dev, F_SET | LP_ENTRY, 0), 0);
}

static void t_device_feature(void)
{
	int dev = open_dev();

	feature_probes(dev);
	feature_wakeup_args(dev);
	feature_low_power_twice(dev);
}

static void t_unknown_ioctls(void)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = 0,
	};
	int dev = open_dev();
	bool cdev = !access("/dev/vfio/devices", F_OK);

	VT_ERRNO(ioctl(dev, _IO(VFIO_TYPE, VFIO_BASE + 99)), ENOTTY);
	VT_ERRNO(ioctl(dev, _IO('x', 1)), ENOTTY);
	/* cdev-only: refused on a group-opened device */
	VT_ERRNO(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind),
		 cdev ? EINVAL : ENOTTY);
	vt_diag("device cdev support: %s", cdev ? "yes" : "no");
}

static const struct vt_test tests[] = {
	{ .name = "get_info", .fn = t_get_info },
	{ .name = "region_info_all", .fn = t_region_info_all },
	{ .name = "region_info_msix_cap", .fn = t_region_info_msix_cap },
	{ .name = "irq_info", .fn = t_irq_info },
	{ .name = "set_irqs_validation", .fn = t_set_irqs_validation },
	{ .name = "set_irqs_msi", .fn = t_set_irqs_msi },
	{ .name = "set_irqs_msix", .fn = t_set_irqs_msix },
	{ .name = "set_irqs_intx", .fn = t_set_irqs_intx },
	{ .name = "set_irqs_req", .fn = t_set_irqs_req },
	{ .name = "set_irqs_err", .fn = t_set_irqs_err },
	{ .name = "reset", .fn = t_reset },
	{ .name = "hot_reset_info", .fn = t_hot_reset_info },
	{ .name = "hot_reset", .fn = t_hot_reset },
	{ .name = "reset_methods", .fn = t_reset_methods },
	{ .name = "last_close_reset", .fn = t_last_close_reset },
	{ .name = "config_ids", .fn = t_config_ids },
	{ .name = "config_read_sizes", .fn = t_config_read_sizes },
	{ .name = "config_bar_sizing", .fn = t_config_bar_sizing },
	{ .name = "config_bad_offsets", .fn = t_config_bad_offsets },
	{ .name = "region_bad_access", .fn = t_region_bad_access },
	{ .name = "mmap_checks", .fn = t_mmap_checks },
	{ .name = "memory_decode_off", .fn = t_memory_decode_off },
	{ .name = "device_feature", .fn = t_device_feature },
	{ .name = "unknown_ioctls", .fn = t_unknown_ioctls },
};

/* Parent side: the device's reset methods, restored after each test. */
static void use_device(const struct vt_dev *d)
{
	cur = d;
	have_methods = methods_read(orig_methods, sizeof(orig_methods)) >= 0;
}

static void after_each(void)
{
	methods_restore();
	vt_reset_probe_del();
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "device", VT_TESTS(tests),
		.devs = VT_DEVS_ALL, .min_devs = 1,
		.per_device = use_device,
		.after_each = after_each,
	};

	return vt_main(argc, argv, &suite);
}
