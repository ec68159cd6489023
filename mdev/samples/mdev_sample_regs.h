/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The register map of vfio_mdev_sample's virtual PCI device, shared with
 * the selftests (plain defines: built for the kernel and for userspace).
 *
 * PCI identity 1234:6d64, class 0xff0000, INTA, an MSI capability (one
 * vector, 64-bit) at 0x40. BAR0: 4 KiB of 32-bit registers, accessed
 * with naturally aligned 1/2/4/8-byte reads and 4/8-byte writes.
 */
#ifndef _MDEV_SAMPLE_REGS_H
#define _MDEV_SAMPLE_REGS_H

#define MSAMPLE_VENDOR		0x1234
#define MSAMPLE_DEVICE		0x6d64
#define MSAMPLE_CLASS		0xff0000
#define MSAMPLE_CFG_SIZE	256
#define MSAMPLE_MSI_CAP		0x40
#define MSAMPLE_BAR0_SIZE	4096

#define MSAMPLE_REG_IDENT	0x00	/* RO: MSAMPLE_IDENT */
#define MSAMPLE_REG_SCRATCH	0x04	/* RW, no effect */
#define MSAMPLE_REG_IRQ_STATUS	0x08	/* RO: raised, not acked bits */
#define MSAMPLE_REG_IRQ_RAISE	0x0c	/* WO: OR bits in, interrupt */
#define MSAMPLE_REG_IRQ_ACK	0x10	/* WO: clear bits */
#define MSAMPLE_REG_DMA_SRC	0x20	/* 64-bit IOVA (lo, hi) */
#define MSAMPLE_REG_DMA_DST	0x28	/* 64-bit IOVA (lo, hi) */
#define MSAMPLE_REG_DMA_LEN	0x30	/* bytes, at most MSAMPLE_DMA_MAX */
#define MSAMPLE_REG_DMA_CMD	0x34	/* WO: run a copy, synchronously */
#define MSAMPLE_REG_DMA_STATUS	0x38	/* RO: 0 or the positive errno */
#define MSAMPLE_REG_DMA_COUNT	0x3c	/* RO: copies completed */

#define MSAMPLE_IDENT		0x6d646576	/* "mdev" */
#define MSAMPLE_DMA_START	0x1
/* Copy through vfio_pin_pages() and the pages, not vfio_dma_rw(). */
#define MSAMPLE_DMA_PIN		0x2
/* Raise MSAMPLE_IRQ_DMA when the copy is done. */
#define MSAMPLE_DMA_IRQ		0x4
#define MSAMPLE_IRQ_DMA		0x100
#define MSAMPLE_DMA_MAX		0x100000	/* 1 MiB */

#endif /* _MDEV_SAMPLE_REGS_H */
