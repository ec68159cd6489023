/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the tests of the sample mdev parent (mdev/samples/vfio_mdev_sample)
 * share: loading it, creating and removing its mdevs through sysfs,
 * opening one through the group path, and running its DMA engine.
 * Static inline: each program uses a part.
 */
#ifndef MDEV_SAMPLE_LIB_H
#define MDEV_SAMPLE_LIB_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio_cdev_name.h"
#include "vfio_test_lib.h"
#include "../../../../mdev/samples/mdev_sample_regs.h"

#define MS_PARENT	"/sys/class/mdev_bus/vfio_mdev_sample"
#define MS_TYPES	MS_PARENT "/mdev_supported_types"
#define MS_MDEVS	"/sys/bus/mdev/devices"

/*
 * Load type1 and the sample (ours only). False, with the TAP skip line
 * printed, where the sample cannot load: the in-tree stack.
 */
static inline bool ms_load(void)
{
	if (system("modprobe -q vfio_iommu_type1 2>/dev/null; "
		   "modprobe -q vfio_mdev_sample 2>/dev/null") == -1)
		vt_diag("cannot run modprobe");
	if (!access(MS_TYPES, F_OK))
		return true;
	printf("1..0 # SKIP no %s: vfio_mdev_sample (ours) not loadable on this stack\n",
	       MS_TYPES);
	return false;
}

static inline int ms_type_write(int type, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MS_TYPES "/vfio_mdev_sample-%d/%s", type,
		 attr);
	return vt_sysfs_write(path, val);
}

/* Create with echo's trailing newline. Returns 0 or -errno. */
static inline int ms_mdev_create(int type, const char *uuid)
{
	char val[64];

	snprintf(val, sizeof(val), "%s\n", uuid);
	return ms_type_write(type, "create", val);
}

/* An mdev of type 1, or the test ends. */
static inline void ms_create_one(const char *uuid)
{
	int ret = ms_mdev_create(1, uuid);

	if (ret)
		vt_fatal("create %s: %s", uuid, vt_errname(-ret));
}

/* The basename of a link below the mdev's directory, "" when absent. */
static inline void ms_mdev_link(const char *uuid, const char *name, char *out,
				size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	snprintf(path, sizeof(path), MS_MDEVS "/%s/%s", uuid, name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return;
	link[n] = '\0';
	snprintf(out, len, "%s", strrchr(link, '/') + 1);
}

/* The mdev's IOMMU group number, -1 without one. */
static inline int ms_mdev_group(const char *uuid)
{
	char grp[32];

	ms_mdev_link(uuid, "iommu_group", grp, sizeof(grp));
	return grp[0] ? atoi(grp) : -1;
}

/* Remove every mdev of the sample parent (after each test). */
static inline void ms_remove_all(void)
{
	char path[PATH_MAX], type[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(MS_MDEVS);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		ms_mdev_link(de->d_name, "mdev_type", type, sizeof(type));
		if (strncmp(type, "vfio_mdev_sample-", 17))
			continue;
		snprintf(path, sizeof(path), MS_MDEVS "/%s/remove", de->d_name);
		vt_sysfs_write(path, "1");
	}
	closedir(d);
}

/* The group path: a container with type1v2; returns the device fd. */
static inline int ms_open_group(const char *uuid, int *container, int *group)
{
	char path[64];
	int grp = ms_mdev_group(uuid);

	VT_ASSERT(grp >= 0, "%s has no iommu_group", uuid);
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	*container = vt_open_container();
	*group = open(path, O_RDWR | O_CLOEXEC);
	if (*group < 0)
		vt_fatal("open %s: %s", path, vt_errname(errno));
	vt_track(*group);
	vt_set_container(*group, *container);
	vt_set_iommu(*container, VFIO_TYPE1v2_IOMMU);
	return vt_get_device(*group, uuid);
}

/* The mdev's cdev, opened (skips without one); binding is the caller's. */
static inline int ms_open_cdev(const char *uuid)
{
	char path[PATH_MAX], name[NAME_MAX + 1];
	int fd;

	snprintf(path, sizeof(path), MS_MDEVS "/%s", uuid);
	if (vfio_cdev_name_at(path, name, sizeof(name)))
		vt_skip("no vfio-dev/ for the mdev: no device cdev");
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		vt_fatal("open %s: %s", path, vt_errname(errno));
	return vt_track(fd);
}

/* Run one copy (BAR0 at @bar0); returns DMA_STATUS (0 or a positive errno). */
static inline uint32_t ms_dma_run(int dev, uint64_t bar0, uint64_t src,
				  uint64_t dst, uint32_t len, uint32_t cmd)
{
	vt_wr32(dev, bar0 + MSAMPLE_REG_DMA_SRC, (uint32_t)src);
	vt_wr32(dev, bar0 + MSAMPLE_REG_DMA_SRC + 4, src >> 32);
	vt_wr32(dev, bar0 + MSAMPLE_REG_DMA_DST, (uint32_t)dst);
	vt_wr32(dev, bar0 + MSAMPLE_REG_DMA_DST + 4, dst >> 32);
	vt_wr32(dev, bar0 + MSAMPLE_REG_DMA_LEN, len);
	vt_wr32(dev, bar0 + MSAMPLE_REG_DMA_CMD, MSAMPLE_DMA_START | cmd);
	return vt_rd32(dev, bar0 + MSAMPLE_REG_DMA_STATUS);
}

#endif /* MDEV_SAMPLE_LIB_H */
