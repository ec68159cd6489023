/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The name of a device's VFIO cdev, shared by the selftests, the bench
 * and vfio_hold: the device's sysfs directory has vfio-dev/ with one
 * entry, vfioN, the name of its node under /dev/vfio/devices/. Included from
 * tools/testing/include (uapi.mk puts it on the include path).
 */
#ifndef VFIO_CDEV_NAME_H
#define VFIO_CDEV_NAME_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/*
 * The cdev name of the device whose sysfs directory is @devdir (a PCI
 * device, an mdev, ...): 0 and the name in @name, or -ENOENT (no cdev) or
 * -errno (no device).
 */
static inline int vfio_cdev_name_at(const char *devdir, char *name,
				    size_t len)
{
	char dir[PATH_MAX + 16];	/* @devdir may be a PATH_MAX buffer */
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/vfio-dev", devdir);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		snprintf(name, len, "%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* The same for the PCI device @bdf. */
static inline int vfio_cdev_name(const char *bdf, char *name, size_t len)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	return vfio_cdev_name_at(dir, name, len);
}

#endif /* VFIO_CDEV_NAME_H */
