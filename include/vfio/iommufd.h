/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel side of our iommufd.ko, for the modules that use it (the
 * device cdev, vfio_group, mdev parents). Our own declarations with
 * upstream 6.12's names, never the kernel's <linux/iommufd.h>, which
 * describes the in-tree implementation.
 *
 * The context is opaque outside iommufd.ko. The exported functions
 * (namespace IOMMUFD: iommufd_ctx_get/put, device bind/attach, the access
 * API) are added here by the slices that implement them.
 */
#ifndef VFIO_IOMMUFD_H
#define VFIO_IOMMUFD_H

struct iommufd_ctx;

#endif /* VFIO_IOMMUFD_H */
