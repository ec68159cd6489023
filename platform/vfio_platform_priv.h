/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-platform.ko internals shared by its files: main.c (the driver,
 * the reset registry, the ioctls), regions.c (read, write, mmap) and
 * irq.c (wired interrupts to eventfds).
 */
#ifndef _VFIO_PLATFORM_PRIV_H
#define _VFIO_PLATFORM_PRIV_H

#include <linux/interrupt.h>
#include <linux/spinlock.h>
#include <vfio/platform.h>

struct eventfd_ctx;
struct virqfd;

/*
 * One wired interrupt of an open device. @trigger changes only under
 * vdev->igate with the line disabled, so the hard handler may read it
 * unlocked. @lock protects @masked and pairs it with the line's
 * disable depth; it is taken in hard-IRQ and virqfd (atomic) context
 * and nothing is taken inside it.
 */
struct vfio_platform_irq {
	u32 flags;			/* VFIO_IRQ_INFO_* */
	u32 count;			/* always 1 */
	int hwirq;
	/* request_irq() failed: SET_IRQS answers this errno. */
	int request_err;
	char *name;			/* as seen in /proc/interrupts */
	struct eventfd_ctx *trigger;
	spinlock_t lock;		/* protects @masked, see above */
	bool masked;
	struct virqfd *unmask;		/* eventfd that unmasks */
	struct virqfd *mask;		/* eventfd that masks */
};

static inline struct vfio_platform_device *
to_vfp(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfio_platform_device, vdev);
}

/* regions.c */
int vfp_regions_setup(struct vfio_platform_device *vdev);
void vfp_regions_teardown(struct vfio_platform_device *vdev);
ssize_t vfp_read(struct vfio_device *core_vdev, char __user *buf,
		 size_t count, loff_t *ppos);
ssize_t vfp_write(struct vfio_device *core_vdev, const char __user *buf,
		  size_t count, loff_t *ppos);
int vfp_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma);

/* irq.c; vfp_set_irqs() runs under vdev->igate. */
int vfp_irqs_setup(struct vfio_platform_device *vdev);
void vfp_irqs_teardown(struct vfio_platform_device *vdev);
int vfp_set_irqs(struct vfio_platform_device *vdev, u32 flags, u32 index,
		 u32 start, u32 count, void *data);

#endif /* _VFIO_PLATFORM_PRIV_H */
