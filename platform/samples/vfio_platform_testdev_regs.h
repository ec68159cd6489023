/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test platform device of vfio_platform_testdev.ko, as the selftest
 * (tools/testing/selftests/vfio/vfio_platform_test.c) sees it.
 */
#ifndef _VFIO_PLATFORM_TESTDEV_REGS_H
#define _VFIO_PLATFORM_TESTDEV_REGS_H

#define TDEV_NAME		"vfio-platform-testdev"
#define TDEV_COMPAT		"vfio-oot,platform-testdev"
#define TDEV_PARAMS		"/sys/module/vfio_platform_testdev/parameters/"

/* Resources, in this order: two MEM regions, then two interrupts. */
#define TDEV_REGION_MMAP	0	/* page aligned: READ|WRITE|MMAP */
#define TDEV_REGION_MMAP_SIZE	(2 * 4096)
#define TDEV_REGION_SMALL	1	/* not page aligned: READ|WRITE */
#define TDEV_REGION_SMALL_OFF	(3 * 4096 + 0x10)	/* in the VGA BAR */
#define TDEV_REGION_SMALL_SIZE	0x100
#define TDEV_NUM_REGIONS	2

#define TDEV_IRQ_EDGE		0
#define TDEV_IRQ_LEVEL		1
#define TDEV_NUM_IRQS		2

#endif /* _VFIO_PLATFORM_TESTDEV_REGS_H */
