// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_edu_demo: drive QEMU's edu device from userspace through VFIO, one
 * readable step at a time (`make demo`).
 *
 *   vfio_edu_demo [DOMAIN:BUS:DEV.FN]     default: the first edu device
 *
 * container + group, type1 IOMMU, BAR0 through region reads and mmap, bus
 * mastering through config space, edu's DMA engine in both directions
 * through an IOMMU mapping, and MSI delivered to an eventfd.
 * Exit status 0 when every step worked.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define P		VT_PAGE
#define IOVA		0x200000ULL
#define XFER		2048

static int step;

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("[%2d] ", ++step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	printf("FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(1);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_iommu_type1_info_cap_iova_range *ranges;
	struct vfio_iommu_type1_info *info;
	struct vfio_region_info ri;
	char bdf[32], infobuf[512] __attribute__((aligned(8)));
	volatile uint32_t *bar;
	struct timespec t0;
	unsigned char *buf;
	int container, group, efd, ret;
	uint16_t cmd, cmd2;
	long lk0, lk;
	struct vt_edu e;
	struct vt_dev *d;
	uint64_t n;
	uint32_t v, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vfio_edu_demo: QEMU edu device driven from userspace through VFIO\n");
	if (argc > 1 && argv[1][0] == '-') {
		printf("usage: %s [DOMAIN:BUS:DEV.FN]\n", argv[0]);
		return 2;
	}
	if (argc > 1) {
		snprintf(bdf, sizeof(bdf), "%s", argv[1]);
	} else {
		char found[VT_MAX_DEVS][32];

		if (vt_find_pci(VT_EDU_VENDOR, VT_EDU_DEVICE, found,
				VT_MAX_DEVS) < 1)
			die("no edu device (1234:11e8) on this machine");
		snprintf(bdf, sizeof(bdf), "%s", found[0]);
	}
	ret = vt_add_device(bdf);
	if (ret)
		die("%s: cannot set up the device for VFIO: %s", bdf,
		    strerror(-ret));
	d = &vt_devs[0];
	say("device %s [%04x:%04x] is in IOMMU group %d, driver vfio-pci%s",
	    d->bdf, d->vendor, d->device, d->group,
	    d->bound_by_us ? " (bound by this demo, restored at exit)" : "");
	lk0 = vt_locked_kb();

	/* container and group */
	container = vt_open_container();
	say("opened /dev/vfio/vfio: API version %d, TYPE1v2 IOMMU %s",
	    ioctl(container, VFIO_GET_API_VERSION),
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1 ?
	    "supported" : "NOT supported");
	group = vt_open_group(d);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &gs))
		die("VFIO_GROUP_GET_STATUS: %s", strerror(errno));
	say("opened %s: group is %s", d->group_path,
	    (gs.flags & VFIO_GROUP_FLAGS_VIABLE) ? "viable" : "NOT viable");
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable: another device of the group has a driver");
	vt_set_container(group, container);
	vt_set_iommu(container, VFIO_TYPE1v2_IOMMU);
	say("group added to the container, IOMMU model set to TYPE1v2");

	if (vt_iommu_info(container, infobuf, sizeof(infobuf)))
		die("VFIO_IOMMU_GET_INFO: %s", strerror(errno));
	info = (void *)infobuf;
	ranges = vt_find_cap(infobuf, sizeof(infobuf), info->cap_offset,
			     VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	say("IOMMU page sizes 0x%llx, %u usable IOVA range(s)%s",
	    (unsigned long long)info->iova_pgsizes,
	    ranges ? ranges->nr_iovas : 0, ranges ? ":" : "");
	for (i = 0; ranges && i < ranges->nr_iovas; i++)
		printf("       0x%016llx - 0x%016llx\n",
		       (unsigned long long)ranges->iova_ranges[i].start,
		       (unsigned long long)ranges->iova_ranges[i].end);

	/* device */
	e.dev = vt_get_device(group, d->bdf);
	if (ioctl(e.dev, VFIO_DEVICE_GET_INFO, &di))
		die("VFIO_DEVICE_GET_INFO: %s", strerror(errno));
	say("device fd %d: flags 0x%x (%s%s), %u regions, %u irq indexes",
	    e.dev, di.flags, (di.flags & VFIO_DEVICE_FLAGS_PCI) ? "PCI" : "?",
	    (di.flags & VFIO_DEVICE_FLAGS_RESET) ? ", resettable" : "",
	    di.num_regions, di.num_irqs);
	if (vt_region_info(e.dev, VFIO_PCI_BAR0_REGION_INDEX, &ri))
		die("VFIO_DEVICE_GET_REGION_INFO(BAR0): %s", strerror(errno));
	say("BAR0: %llu KiB at fd offset 0x%llx, flags%s%s%s",
	    (unsigned long long)ri.size >> 10, (unsigned long long)ri.offset,
	    (ri.flags & VFIO_REGION_INFO_FLAG_READ) ? " read" : "",
	    (ri.flags & VFIO_REGION_INFO_FLAG_WRITE) ? " write" : "",
	    (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) ? " mmap" : "");

	/* config space: memory decode and bus mastering */
	cmd = vt_cfg_rd16(e.dev, 0x04);
	vt_edu_enable(&e);
	cmd2 = vt_cfg_rd16(e.dev, 0x04);
	say("PCI command register 0x%04x -> 0x%04x (memory decode + bus master)",
	    cmd, cmd2);
	if ((cmd2 & 0x6) != 0x6)
		die("bus mastering did not stick");

	/* BAR0 through region reads and through mmap */
	v = vt_edu_rd(&e, EDU_REG_IDENT);
	say("identification register (region read): 0x%08x -> edu v%u.%u",
	    v, v >> 24, (v >> 16) & 0xff);
	if (v != VT_EDU_IDENT)
		die("unexpected identification 0x%08x", v);
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, e.dev,
		   ri.offset);
	if (bar == MAP_FAILED)
		die("mmap BAR0: %s", strerror(errno));
	say("identification register (mmap):        0x%08x", bar[0]);
	if (bar[0] != VT_EDU_IDENT)
		die("mmap read differs");
	bar[EDU_REG_LIVENESS / 4] = 0x12345678;
	v = vt_edu_rd(&e, EDU_REG_LIVENESS);
	say("liveness: wrote 0x12345678 through mmap, read 0x%08x back (%s)",
	    v, v == ~0x12345678U ? "inverted, alive" : "WRONG");
	if (v != ~0x12345678U)
		die("liveness check");
	munmap((void *)bar, ri.size);

	/* DMA through the IOMMU */
	buf = vt_alloc(2 * P);
	if (vt_map(container, buf, IOVA, 2 * P, VFIO_DMA_MAP_FLAG_READ |
		   VFIO_DMA_MAP_FLAG_WRITE))
		die("VFIO_IOMMU_MAP_DMA: %s", strerror(errno));
	lk = vt_locked_kb();
	say("mapped %lu bytes at vaddr %p to IOVA 0x%llx (locked_vm +%ld kB)",
	    2 * P, (void *)buf, IOVA, lk - lk0);
	for (i = 0; i < XFER; i++)
		buf[i] = (unsigned char)(i * 13 + 7);
	memset(buf + P, 0, P);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!vt_edu_dma(&e, IOVA, EDU_DMA_BUF_ADDR, XFER, 0))
		die("DMA RAM -> edu did not complete");
	say("DMA RAM -> edu: %d bytes, IOVA 0x%llx -> edu 0x%x, done in %ld ms",
	    XFER, IOVA, EDU_DMA_BUF_ADDR, ms_since(&t0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!vt_edu_dma(&e, EDU_DMA_BUF_ADDR, IOVA + P, XFER,
			EDU_DMA_CMD_TO_RAM))
		die("DMA edu -> RAM did not complete");
	say("DMA edu -> RAM: %d bytes, edu 0x%x -> IOVA 0x%llx, done in %ld ms",
	    XFER, EDU_DMA_BUF_ADDR, IOVA + P, ms_since(&t0));
	if (memcmp(buf, buf + P, XFER))
		die("data mismatch after the round trip");
	say("verified: the %d bytes came back unchanged through the IOMMU",
	    XFER);

	/* MSI to an eventfd */
	efd = vt_eventfd();
	if (vt_set_irqs_fd(e.dev, VFIO_PCI_MSI_IRQ_INDEX,
			   VFIO_IRQ_SET_ACTION_TRIGGER, efd))
		die("VFIO_DEVICE_SET_IRQS(MSI): %s", strerror(errno));
	say("MSI vector 0 routed to eventfd %d", efd);
	vt_edu_wr(&e, EDU_REG_IRQ_RAISE, 0x1);
	n = vt_wait_eventfd(efd, 3000);
	v = vt_edu_rd(&e, EDU_REG_IRQ_STATUS);
	vt_edu_wr(&e, EDU_REG_IRQ_ACK, v);
	say("raised edu interrupt 0x1: eventfd %s (count %llu), status 0x%x, acked",
	    n ? "fired" : "DID NOT fire", (unsigned long long)n, v);
	if (!n)
		die("no MSI");
	if (!vt_edu_dma(&e, IOVA, EDU_DMA_BUF_ADDR, 64, EDU_DMA_CMD_IRQ))
		die("DMA with interrupt did not complete");
	n = vt_wait_eventfd(efd, 3000);
	v = vt_edu_rd(&e, EDU_REG_IRQ_STATUS);
	vt_edu_wr(&e, EDU_REG_IRQ_ACK, v);
	say("DMA with completion interrupt: eventfd %s, status 0x%x",
	    n ? "fired" : "DID NOT fire", v);
	if (!n || !(v & EDU_DMA_IRQ_BIT))
		die("no DMA completion MSI");

	/* teardown */
	if (vt_set_irqs_none(e.dev, VFIO_PCI_MSI_IRQ_INDEX,
			     VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0))
		die("disabling MSI: %s", strerror(errno));
	if (vt_unmap(container, IOVA, 2 * P, 0, NULL))
		die("VFIO_IOMMU_UNMAP_DMA: %s", strerror(errno));
	vt_close(efd);
	vt_close(e.dev);
	vt_close(group);
	vt_close(container);
	lk = vt_locked_kb();
	say("MSI off, DMA unmapped, fds closed; locked_vm back to %ld kB%s",
	    lk, lk == lk0 ? "" : " (LEAK)");
	if (lk != lk0)
		die("locked_vm not restored");
	printf("PASS: edu demo completed\n");
	return 0;
}
