// SPDX-License-Identifier: GPL-2.0-only
/*
 * End-to-end tests with QEMU's edu device: BAR access (region and mmap),
 * DMA in both directions through type1 mappings, MSI and INTx delivered to
 * eventfds, ioeventfds, peer-to-peer mappings of a BAR, and mappings
 * replayed into a group that joins a live container.
 *
 * edu: BAR0 = 1 MiB of registers, 4 KiB DMA buffer at device address
 * 0x40000, 28-bit DMA mask. QEMU aborts the VM if a transfer touches the
 * buffer's last byte, so transfers stay <= 2 KiB.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define P		VT_PAGE
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define BAR0_SIZE	0x100000ULL

static const struct vt_dev *edu0, *edu1;

struct edu_ctx {
	struct vt_session s;
	struct vt_edu e;
};

static void edu_open(struct edu_ctx *x, const struct vt_dev *d)
{
	vt_session_open(&x->s, d, VFIO_TYPE1v2_IOMMU, true);
	x->e.dev = x->s.device;
	vt_edu_enable(&x->e);
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

/* RAM (IOVA) -> edu buffer, then edu buffer -> RAM (IOVA). */
static bool edu_copy(struct vt_edu *e, uint64_t from, uint64_t to,
		     uint32_t len, uint32_t dev_off)
{
	if (!vt_edu_dma(e, from, EDU_DMA_BUF_ADDR + dev_off, len, 0))
		return false;
	return vt_edu_dma(e, EDU_DMA_BUF_ADDR + dev_off, to, len,
			  EDU_DMA_CMD_TO_RAM);
}

static void t_bar_region_info(void)
{
	struct vfio_region_info ri;
	struct edu_ctx x;
	unsigned int i;

	edu_open(&x, edu0);
	VT_OK(vt_region_info(x.e.dev, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	VT_EXPECT_EQ(ri.size, BAR0_SIZE);
	VT_EXPECT_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ |
			       VFIO_REGION_INFO_FLAG_WRITE |
			       VFIO_REGION_INFO_FLAG_MMAP);
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++) {
		VT_OK(vt_region_info(x.e.dev, i, &ri));
		VT_EXPECT(ri.size == 0 && ri.flags == 0,
			  "region %u: size 0x%llx flags 0x%x", i,
			  (unsigned long long)ri.size, ri.flags);
	}
	VT_OK(vt_region_info(x.e.dev, VFIO_PCI_CONFIG_REGION_INDEX, &ri));
	VT_EXPECT_EQ(ri.size, 256);	/* conventional PCI device */
}

static void t_read_ident(void)
{
	struct edu_ctx x;

	edu_open(&x, edu0);
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_IDENT), VT_EDU_IDENT);
	VT_EXPECT_EQ(vt_cfg_rd16(x.e.dev, 0x00), VT_EDU_VENDOR);
	VT_EXPECT_EQ(vt_cfg_rd16(x.e.dev, 0x02), VT_EDU_DEVICE);
}

static void t_liveness_rw(void)
{
	struct edu_ctx x;

	edu_open(&x, edu0);
	vt_edu_wr(&x.e, EDU_REG_LIVENESS, 0x12345678);
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_LIVENESS), ~0x12345678U);
	vt_edu_wr(&x.e, EDU_REG_LIVENESS, 0);
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_LIVENESS), ~0U);
}

static void t_mmap_bar(void)
{
	volatile uint32_t *bar;
	struct edu_ctx x;

	edu_open(&x, edu0);
	bar = mmap(NULL, BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   x.e.dev, x.e.bar0);
	VT_ASSERT(bar != MAP_FAILED, "mmap BAR0: %s", vt_errname(errno));
	VT_EXPECT_EQ(bar[EDU_REG_IDENT / 4], VT_EDU_IDENT);
	bar[EDU_REG_LIVENESS / 4] = 0xcafe0001;
	VT_EXPECT_EQ(bar[EDU_REG_LIVENESS / 4], ~0xcafe0001U);
	/* region access and mmap see the same device */
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_LIVENESS), ~0xcafe0001U);
	vt_edu_wr(&x.e, EDU_REG_LIVENESS, 0x0badf00d);
	VT_EXPECT_EQ(bar[EDU_REG_LIVENESS / 4], ~0x0badf00dU);
	munmap((void *)bar, BAR0_SIZE);
}

static void t_bus_master(void)
{
	struct edu_ctx x;
	uint16_t cmd;

	edu_open(&x, edu0);
	cmd = vt_cfg_rd16(x.e.dev, 0x04);
	VT_EXPECT((cmd & 0x6) == 0x6, "command 0x%x", cmd);
	vt_cfg_wr16(x.e.dev, 0x04, cmd & ~0x4);
	VT_EXPECT_EQ(vt_cfg_rd16(x.e.dev, 0x04) & 0x4, 0);
	vt_cfg_wr16(x.e.dev, 0x04, cmd);
	VT_EXPECT_EQ(vt_cfg_rd16(x.e.dev, 0x04) & 0x6, 0x6);
}

static void t_dma_roundtrip(void)
{
	const uint64_t iova = 0x200000;
	unsigned char *buf = vt_alloc(2 * P);
	struct edu_ctx x;

	edu_open(&x, edu0);
	VT_OK_FATAL(vt_map(x.s.container, buf, iova, 2 * P, RW));
	fill(buf, EDU_DMA_MAX_XFER, 1);
	memset(buf + P, 0, P);
	VT_ASSERT(edu_copy(&x.e, iova, iova + P, EDU_DMA_MAX_XFER, 0),
		  "edu DMA did not complete");
	VT_EXPECT(!memcmp(buf, buf + P, EDU_DMA_MAX_XFER),
		  "data did not come back through the IOMMU");
	/* and the bytes after the transfer were not touched */
	VT_EXPECT_EQ(buf[P + EDU_DMA_MAX_XFER], 0);
}

static void t_dma_cross_page_high_iova(void)
{
	const uint64_t iova = 0x0ffe0000;	/* just below the 28-bit mask */
	unsigned char *buf = vt_alloc(4 * P);
	struct edu_ctx x;

	edu_open(&x, edu0);
	VT_OK_FATAL(vt_map(x.s.container, buf, iova, 4 * P, RW));
	fill(buf + P - 1024, 2048, 9);
	VT_ASSERT(edu_copy(&x.e, iova + P - 1024, iova + 3 * P - 512, 2048,
			   512), "edu DMA did not complete");
	VT_EXPECT(!memcmp(buf + P - 1024, buf + 3 * P - 512, 2048),
		  "cross-page transfer corrupted");
}

/* Separate MAP_DMA calls with unrelated vaddrs, adjacent in IOVA space. */
static void t_dma_adjacent_mappings(void)
{
	const uint64_t iova = 0x300000;
	unsigned char *a = vt_alloc(P), *b = vt_alloc(P), *out = vt_alloc(P);
	struct edu_ctx x;

	edu_open(&x, edu0);
	VT_OK_FATAL(vt_map(x.s.container, a, iova, P, VFIO_DMA_MAP_FLAG_READ));
	VT_OK_FATAL(vt_map(x.s.container, b, iova + P, P,
			   VFIO_DMA_MAP_FLAG_READ));
	VT_OK_FATAL(vt_map(x.s.container, out, iova + 4 * P, P, RW));
	fill(a, P, 3);
	fill(b, P, 77);
	VT_ASSERT(edu_copy(&x.e, iova + P - 1000, iova + 4 * P, 2000, 0),
		  "edu DMA did not complete");
	VT_EXPECT(!memcmp(out, a + P - 1000, 1000), "first mapping");
	VT_EXPECT(!memcmp(out + 1000, b, 1000), "second mapping");
}

static void t_msi_eventfd(void)
{
	struct vfio_irq_info ii = {
		.argsz = sizeof(ii),
		.index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	struct edu_ctx x;
	int efd;

	edu_open(&x, edu0);
	VT_OK(ioctl(x.e.dev, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	VT_ASSERT(ii.count >= 1, "edu reports %u MSI vectors", ii.count);
	efd = vt_eventfd();
	VT_ASSERT(!vt_set_irqs_fd(x.e.dev, VFIO_PCI_MSI_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, efd),
		  "SET_IRQS(MSI): %s", vt_errname(errno));

	vt_edu_wr(&x.e, EDU_REG_IRQ_RAISE, 0x1);
	VT_EXPECT(vt_wait_eventfd(efd, 3000) >= 1, "no MSI");
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_IRQ_STATUS), 0x1);
	vt_edu_wr(&x.e, EDU_REG_IRQ_ACK, 0x1);
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_IRQ_STATUS), 0);

	/* edge: every raise is a new message */
	vt_edu_wr(&x.e, EDU_REG_IRQ_RAISE, 0x8);
	VT_EXPECT(vt_wait_eventfd(efd, 3000) >= 1, "no second MSI");
	vt_edu_wr(&x.e, EDU_REG_IRQ_ACK, 0x8);

	/*
	 * Not tested: a raise after disabling. edu then falls back to INTx,
	 * and an unhandled level interrupt on a shared line would storm.
	 */
	VT_OK(vt_set_irqs_none(x.e.dev, VFIO_PCI_MSI_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
}

static void t_msi_on_dma_completion(void)
{
	const uint64_t iova = 0x200000;
	unsigned char *buf = vt_alloc(P);
	struct edu_ctx x;
	int efd;

	edu_open(&x, edu0);
	VT_OK_FATAL(vt_map(x.s.container, buf, iova, P, RW));
	efd = vt_eventfd();
	VT_ASSERT(!vt_set_irqs_fd(x.e.dev, VFIO_PCI_MSI_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, efd),
		  "SET_IRQS(MSI): %s", vt_errname(errno));
	VT_ASSERT(vt_edu_dma(&x.e, iova, EDU_DMA_BUF_ADDR, 64,
			     EDU_DMA_CMD_IRQ), "edu DMA did not complete");
	VT_EXPECT(vt_wait_eventfd(efd, 3000) >= 1, "no MSI after DMA");
	VT_EXPECT(vt_edu_rd(&x.e, EDU_REG_IRQ_STATUS) & EDU_DMA_IRQ_BIT,
		  "DMA irq bit not set");
	vt_edu_wr(&x.e, EDU_REG_IRQ_ACK, EDU_DMA_IRQ_BIT);
}

static void t_intx_eventfd(void)
{
	struct edu_ctx x;
	uint64_t n1, n2;
	int efd;

	edu_open(&x, edu0);
	efd = vt_eventfd();
	VT_ASSERT(!vt_set_irqs_fd(x.e.dev, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, efd),
		  "SET_IRQS(INTx): %s", vt_errname(errno));

	/*
	 * The line is lowered (ACK) before any check can end the test: a
	 * level interrupt left asserted would storm once vfio lets go.
	 */
	vt_edu_wr(&x.e, EDU_REG_IRQ_RAISE, 0x2);
	n1 = vt_wait_eventfd(efd, 3000);
	/* automasked: the still-asserted line does not fire again */
	n2 = vt_wait_eventfd(efd, 300);
	vt_edu_wr(&x.e, EDU_REG_IRQ_ACK, 0x2);
	VT_EXPECT(n1 >= 1, "no INTx");
	VT_EXPECT_EQ(n2, 0);
	VT_OK(vt_set_irqs_none(x.e.dev, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));

	/* unmasked: next assertion is delivered */
	vt_edu_wr(&x.e, EDU_REG_IRQ_RAISE, 0x2);
	n1 = vt_wait_eventfd(efd, 3000);
	vt_edu_wr(&x.e, EDU_REG_IRQ_ACK, 0x2);
	VT_EXPECT(n1 >= 1, "no INTx after unmask");
	VT_OK(vt_set_irqs_none(x.e.dev, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	VT_OK(vt_set_irqs_none(x.e.dev, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
}

static void t_msi_intx_exclusive(void)
{
	struct edu_ctx x;
	int e1, e2;

	edu_open(&x, edu0);
	e1 = vt_eventfd();
	e2 = vt_eventfd();
	VT_OK(vt_set_irqs_fd(x.e.dev, VFIO_PCI_MSI_IRQ_INDEX,
			     VFIO_IRQ_SET_ACTION_TRIGGER, e1));
	VT_EXPECT_EQ(vt_set_irqs_fd(x.e.dev, VFIO_PCI_INTX_IRQ_INDEX,
				    VFIO_IRQ_SET_ACTION_TRIGGER, e2), -EINVAL);
	VT_OK(vt_set_irqs_none(x.e.dev, VFIO_PCI_MSI_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	VT_OK(vt_set_irqs_fd(x.e.dev, VFIO_PCI_INTX_IRQ_INDEX,
			     VFIO_IRQ_SET_ACTION_TRIGGER, e2));
	VT_EXPECT_EQ(vt_set_irqs_fd(x.e.dev, VFIO_PCI_MSI_IRQ_INDEX,
				    VFIO_IRQ_SET_ACTION_TRIGGER, e1), -EINVAL);
	/* closing the device with INTx still enabled tears it down */
}

static int ioeventfd(int dev, uint64_t off, uint64_t data, uint32_t flags,
		     int fd, uint32_t argsz)
{
	struct vfio_device_ioeventfd io = {
		.argsz = argsz ? argsz : sizeof(io),
		.flags = flags,
		.offset = off,
		.data = data,
		.fd = fd,
	};

	return ioctl(dev, VFIO_DEVICE_IOEVENTFD, &io) ? -errno : 0;
}

static void t_ioeventfd(void)
{
	const uint32_t S4 = VFIO_DEVICE_IOEVENTFD_32;
	uint64_t one = 1, cfg;
	struct edu_ctx x;
	int efd, null, i;
	uint64_t reg;

	edu_open(&x, edu0);
	efd = vt_eventfd();
	null = vt_track(open("/dev/null", O_RDWR | O_CLOEXEC));
	reg = x.e.bar0 + EDU_REG_LIVENESS;
	cfg = vt_region_offset(x.e.dev, VFIO_PCI_CONFIG_REGION_INDEX);

	/* argument checks */
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 1, S4, efd,
			       offsetof(struct vfio_device_ioeventfd, fd)),
		     -EINVAL);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 1, 0, efd, 0), -EINVAL);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 1, VFIO_DEVICE_IOEVENTFD_8 |
			       VFIO_DEVICE_IOEVENTFD_16, efd, 0), -EINVAL);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 1, S4 | (1 << 4), efd, 0),
		     -EINVAL);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 1, S4, -2, 0), -EINVAL);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, cfg + 4, 1, S4, efd, 0), -EINVAL);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, x.e.bar0 + BAR0_SIZE - 2, 1, S4, efd,
			       0), -EINVAL);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 1, S4, -1, 0), -ENODEV);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 1, S4, null, 0), -EINVAL);
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 1, S4, 1000, 0), -EBADF);

	/* the kernel performs the write when the eventfd is signalled */
	vt_edu_wr(&x.e, EDU_REG_LIVENESS, 0);
	VT_OK(ioeventfd(x.e.dev, reg, 0x55aa55aa, S4, efd, 0));
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 0x55aa55aa, S4, efd, 0),
		     -EEXIST);
	VT_ASSERT(write(efd, &one, sizeof(one)) == sizeof(one), "write");
	for (i = 0; i < 100; i++) {
		if (vt_edu_rd(&x.e, EDU_REG_LIVENESS) == ~0x55aa55aaU)
			break;
		usleep(10000);
	}
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_LIVENESS), ~0x55aa55aaU);
	/* removal matches offset, data and size */
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 0x55aa55ab, S4, -1, 0), -ENODEV);
	VT_OK(ioeventfd(x.e.dev, reg, 0x55aa55aa, S4, -1, 0));
	VT_EXPECT_EQ(ioeventfd(x.e.dev, reg, 0x55aa55aa, S4, -1, 0), -ENODEV);
	/* other sizes; one left registered for the device close to reap */
	VT_OK(ioeventfd(x.e.dev, reg, 1, VFIO_DEVICE_IOEVENTFD_8, efd, 0));
	VT_OK(ioeventfd(x.e.dev, reg, 1, VFIO_DEVICE_IOEVENTFD_16, efd, 0));
	VT_OK(ioeventfd(x.e.dev, reg, 1, VFIO_DEVICE_IOEVENTFD_64, efd, 0));
	VT_OK(ioeventfd(x.e.dev, reg, 1, VFIO_DEVICE_IOEVENTFD_8, -1, 0));
	VT_OK(ioeventfd(x.e.dev, reg, 1, VFIO_DEVICE_IOEVENTFD_64, -1, 0));
}

/* MMIO of a device can be mapped for DMA; it is not locked memory. */
static void t_map_bar_for_p2p(void)
{
	const uint64_t iova = 0x8000000;
	struct edu_ctx x;
	long lk = vt_locked_kb();
	void *bar;

	edu_open(&x, edu0);
	bar = mmap(NULL, BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   x.e.dev, x.e.bar0);
	VT_ASSERT(bar != MAP_FAILED, "mmap BAR0: %s", vt_errname(errno));
	VT_OK(vt_map(x.s.container, bar, iova, BAR0_SIZE, RW));
	VT_EXPECT_EQ(vt_locked_kb(), lk);
	VT_OK(vt_unmap(x.s.container, iova, BAR0_SIZE, 0, NULL));
	munmap(bar, BAR0_SIZE);
}

/* edu0 reads edu1's identification register through the IOMMU. */
static void t_p2p_dma_from_peer_bar(void)
{
	const uint64_t bar_iova = 0x8000000, iova = 0x200000;
	unsigned char *buf = vt_alloc(P);
	struct edu_ctx x;
	int g1, d1;
	void *bar1;
	uint32_t v;

	if (!edu1 || edu1->group == edu0->group)
		vt_skip("needs a second edu device in its own IOMMU group");
	edu_open(&x, edu0);
	g1 = vt_open_group(edu1);
	vt_set_container(g1, x.s.container);
	d1 = vt_get_device(g1, edu1->bdf);
	{
		struct vt_edu e1 = { .dev = d1 };

		vt_edu_enable(&e1);
		bar1 = mmap(NULL, BAR0_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED, d1, e1.bar0);
	}
	VT_ASSERT(bar1 != MAP_FAILED, "mmap edu1 BAR0: %s",
		  vt_errname(errno));
	VT_OK_FATAL(vt_map(x.s.container, bar1, bar_iova, BAR0_SIZE, RW));
	VT_OK_FATAL(vt_map(x.s.container, buf, iova, P, RW));
	memset(buf, 0, P);
	VT_ASSERT(edu_copy(&x.e, bar_iova + EDU_REG_IDENT, iova, 4, 0),
		  "edu DMA did not complete");
	memcpy(&v, buf, 4);
	VT_EXPECT_EQ(v, VT_EDU_IDENT);
	VT_OK(vt_unmap(x.s.container, bar_iova, BAR0_SIZE, 0, NULL));
	munmap(bar1, BAR0_SIZE);
}

/* Mappings made before a group joins are replayed into its domain. */
static void t_late_attach_replay(void)
{
	const uint64_t iova = 0x400000;
	unsigned char *buf = vt_alloc(2 * P);
	struct edu_ctx x;
	struct vt_edu e1;
	int g1;

	if (!edu1 || edu1->group == edu0->group)
		vt_skip("needs a second edu device in its own IOMMU group");
	edu_open(&x, edu0);
	VT_OK_FATAL(vt_map(x.s.container, buf, iova, 2 * P, RW));
	fill(buf, 1024, 42);
	memset(buf + P, 0, P);

	g1 = vt_open_group(edu1);
	vt_set_container(g1, x.s.container);
	e1.dev = vt_get_device(g1, edu1->bdf);
	vt_edu_enable(&e1);
	VT_ASSERT(edu_copy(&e1, iova, iova + P, 1024, 1024),
		  "edu1 DMA did not complete");
	VT_EXPECT(!memcmp(buf, buf + P, 1024), "edu1 cannot use the mapping");

	/* a mapping added now reaches both devices */
	{
		unsigned char *b2 = vt_alloc(P);

		VT_OK_FATAL(vt_map(x.s.container, b2, iova + 4 * P, P, RW));
		VT_ASSERT(edu_copy(&x.e, iova, iova + 4 * P, 512, 0),
			  "edu0 DMA did not complete");
		VT_EXPECT(!memcmp(buf, b2, 512), "edu0 -> new mapping");
		memset(b2, 0, P);
		VT_ASSERT(edu_copy(&e1, iova, iova + 4 * P, 512, 0),
			  "edu1 DMA did not complete");
		VT_EXPECT(!memcmp(buf, b2, 512), "edu1 -> new mapping");
	}
}

static void t_reset_then_dma(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	const uint64_t iova = 0x200000;
	unsigned char *buf = vt_alloc(2 * P);
	struct edu_ctx x;

	edu_open(&x, edu0);
	VT_OK(ioctl(x.e.dev, VFIO_DEVICE_GET_INFO, &di));
	if (!(di.flags & VFIO_DEVICE_FLAGS_RESET))
		vt_skip("edu has no reset method here");
	VT_OK_FATAL(vt_map(x.s.container, buf, iova, 2 * P, RW));
	vt_edu_wr(&x.e, EDU_REG_LIVENESS, 0x1111);
	VT_OK(ioctl(x.e.dev, VFIO_DEVICE_RESET));
	/* the device state is gone (edu resets its registers) */
	VT_EXPECT_EQ(vt_edu_rd(&x.e, EDU_REG_IDENT), VT_EDU_IDENT);
	vt_edu_enable(&x.e);
	fill(buf, 512, 5);
	VT_ASSERT(edu_copy(&x.e, iova, iova + P, 512, 0),
		  "edu DMA did not complete after reset");
	VT_EXPECT(!memcmp(buf, buf + P, 512), "DMA after reset");
}

static const struct vt_test tests[] = {
	{ .name = "bar_region_info", .fn = t_bar_region_info },
	{ .name = "read_ident", .fn = t_read_ident },
	{ .name = "liveness_rw", .fn = t_liveness_rw },
	{ .name = "mmap_bar", .fn = t_mmap_bar },
	{ .name = "bus_master", .fn = t_bus_master },
	{ .name = "dma_roundtrip", .fn = t_dma_roundtrip },
	{ .name = "dma_cross_page_high_iova", .fn = t_dma_cross_page_high_iova },
	{ .name = "dma_adjacent_mappings", .fn = t_dma_adjacent_mappings },
	{ .name = "msi_eventfd", .fn = t_msi_eventfd },
	{ .name = "msi_on_dma_completion", .fn = t_msi_on_dma_completion },
	{ .name = "intx_eventfd", .fn = t_intx_eventfd },
	{ .name = "msi_intx_exclusive", .fn = t_msi_intx_exclusive },
	{ .name = "ioeventfd", .fn = t_ioeventfd },
	{ .name = "map_bar_for_p2p", .fn = t_map_bar_for_p2p },
	{ .name = "p2p_dma_from_peer_bar", .fn = t_p2p_dma_from_peer_bar },
	{ .name = "late_attach_replay", .fn = t_late_attach_replay },
	{ .name = "reset_then_dma", .fn = t_reset_then_dma },
};

static void setup(void)
{
	edu0 = vt_first_edu(0);
	edu1 = vt_first_edu(1);
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "edu_dma", VT_TESTS(tests),
		.devs = VT_DEVS_EDU, .min_devs = 1,
		.setup = setup,
	};

	return vt_main(argc, argv, &suite);
}
