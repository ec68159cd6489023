/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_cdev.ko internals: the device cdev frontend.
 *
 * Lock order (all of them the core's or iommufd's; this module has none):
 *
 *   core registry lock    vfio_device_block_frontends() and unblock,
 *                         never with dev_set->lock held
 *   vfio_device_set.lock  around BIND's open, ATTACH/DETACH, and (taken
 *                         by the core) the last close's detach
 *   iommufd's own locks   inside the vfio_iommufd_* ops
 *
 * df->kvm_ref_lock is a leaf spinlock taken under dev_set->lock.
 */
#ifndef _VFIO_CDEV_CDEV_H
#define _VFIO_CDEV_CDEV_H

#include <vfio/vfio.h>

/* main.c */
extern struct vfio_frontend_ops vcdev_frontend;

/* bind.c */
long vcdev_ioctl(struct vfio_device_file *df, unsigned int cmd, void *karg,
		 void __user *uarg);
void vcdev_release(struct vfio_device_file *df);

#endif /* _VFIO_CDEV_CDEV_H */
