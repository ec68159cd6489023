/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-platform.ko: VFIO for platform devices (MMIO regions and wired
 * interrupts), bound through driver_override. On x86 such devices have
 * no IOMMU group, so they are only usable in vfio's unsafe noiommu mode.
 *
 * Reset modules: a device is reset by a function registered for its
 * "compatible" string (or, with an ACPI companion, by its _RST method).
 * The registry's names and the fields a reset function may use
 * (regions[].addr, .size, .ioaddr, num_regions, name, compat) are
 * upstream's (6.12), so reset modules written for the in-tree
 * vfio-platform-base port by changing their include (see the end of
 * this file for module_vfio_reset_handler()).
 */
#ifndef _VFIO_PLATFORM_H
#define _VFIO_PLATFORM_H

#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <vfio/vfio.h>

/*
 * The device fd's offset space: region index in the bits from 40 up,
 * the offset inside the region below.
 */
#define VFIO_PLATFORM_OFFSET_SHIFT	40
#define VFIO_PLATFORM_OFFSET_MASK	((1ULL << VFIO_PLATFORM_OFFSET_SHIFT) - 1)
#define VFIO_PLATFORM_OFFSET_TO_INDEX(off)	((off) >> VFIO_PLATFORM_OFFSET_SHIFT)
#define VFIO_PLATFORM_INDEX_TO_OFFSET(index)	\
	((u64)(index) << VFIO_PLATFORM_OFFSET_SHIFT)

/* One MEM or IO resource of the device, described while it is open. */
struct vfio_platform_region {
	u64 addr;			/* physical start */
	resource_size_t size;
	u32 flags;			/* VFIO_REGION_INFO_FLAG_* */
	u32 type;
#define VFIO_PLATFORM_REGION_TYPE_MMIO	1
#define VFIO_PLATFORM_REGION_TYPE_PIO	2
	void __iomem *ioaddr;		/* MMIO mapped at open, else NULL */
};

struct vfio_platform_irq;

struct vfio_platform_device {
	struct vfio_device vdev;	/* first: vfio_alloc_device() */
	/*
	 * Regions and interrupts exist from open_device to close_device;
	 * the arrays are only read while the device is open.
	 */
	struct vfio_platform_region *regions;
	u32 num_regions;
	struct vfio_platform_irq *irqs;
	u32 num_irqs;
	/* Serializes SET_IRQS; taken outside each interrupt's spinlock. */
	struct mutex igate;
	const char *compat;		/* "compatible" property, or NULL */
	const char *acpihid;		/* ACPI companion's HID, or NULL */
	struct module *reset_module;	/* pinned owner of of_reset */
	struct device *device;		/* the platform device */
	void *opaque;			/* the struct platform_device */
	const char *name;
	u32 flags;			/* VFIO_DEVICE_FLAGS_* */
	int (*of_reset)(struct vfio_platform_device *vdev);
	bool reset_required;		/* no reset: refuse probe and open */
};

typedef int (*vfio_platform_reset_fn_t)(struct vfio_platform_device *vdev);

/* One entry of the reset registry; @compat names the devices it resets. */
struct vfio_platform_reset_node {
	struct list_head link;		/* under the registry's mutex */
	char *compat;
	struct module *owner;
	vfio_platform_reset_fn_t of_reset;
};

void __vfio_platform_register_reset(struct vfio_platform_reset_node *node);
void vfio_platform_unregister_reset(const char *compat,
				    vfio_platform_reset_fn_t fn);

/*
 * Register @reset_fn for @compat_str with a node of static storage,
 * owned by the calling module (it is pinned while a device uses it).
 */
#define vfio_platform_register_reset(compat_str, reset_fn)		\
	static struct vfio_platform_reset_node reset_fn ## _node = {	\
		.compat = compat_str,					\
		.owner = THIS_MODULE,					\
		.of_reset = reset_fn,					\
	};								\
	__vfio_platform_register_reset(&reset_fn ## _node)

/*
 * Upstream's module_vfio_reset_handler() is not offered (its expansion
 * repeats its arguments, which our style gate refuses): a reset module
 * calls vfio_platform_register_reset() from its init, unregisters in
 * its exit and declares MODULE_ALIAS("vfio-reset:" COMPAT) so that
 * vfio-platform can load it on demand.
 */

#endif /* _VFIO_PLATFORM_H */
