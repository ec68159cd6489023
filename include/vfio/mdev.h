/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev.ko: the mediated-device bus. A parent driver registers a device
 * that can host mdevs (mdev_register_parent) with its types; userspace
 * creates and removes mdevs through sysfs; the parent's mdev_driver is
 * bound to each new mdev and usually registers it with vfio as an
 * emulated-IOMMU device.
 *
 * The structures, field names and exported functions are upstream's
 * (6.12) so that parent drivers written for the in-tree mdev.ko build
 * against ours unchanged. Fields marked "core" belong to mdev.ko.
 */
#ifndef _VFIO_MDEV_H
#define _VFIO_MDEV_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/rwsem.h>
#include <linux/uuid.h>

struct mdev_type;

/* One mediated device: /sys/bus/mdev/devices/UUID, a child of the parent. */
struct mdev_device {
	struct device dev;
	guid_t uuid;
	struct list_head next;		/* core: the UUID registry */
	struct mdev_type *type;
	bool active;			/* core: not being removed */
};

/*
 * One type a parent offers: mdev_supported_types/<drv>-<sysfs_name>/.
 * The driver fills @sysfs_name and optionally @pretty_name (shown as
 * "name") before mdev_register_parent(); the core sets @parent.
 */
struct mdev_type {
	const char *sysfs_name;
	const char *pretty_name;
	struct mdev_parent *parent;
	struct kobject kobj;		/* core */
	struct kobject *devices_kobj;	/* core: the devices/ folder */
};

/*
 * Embedded in the parent driver's state; filled by mdev_register_parent().
 * @unreg_sem: creation and removal hold it for reading (trylock: they
 * fail with -ENODEV once unregistration started), unregistration for
 * writing.
 */
struct mdev_parent {
	struct device *dev;
	struct mdev_driver *mdev_driver;
	struct kset *mdev_types_kset;
	struct rw_semaphore unreg_sem;
	struct mdev_type **types;
	unsigned int nr_types;
	/* Without get_available: instances left, shared by all types. */
	atomic_t available_instances;
};

static inline struct mdev_device *to_mdev_device(struct device *dev)
{
	return container_of(dev, struct mdev_device, dev);
}

static inline struct device *mdev_dev(struct mdev_device *mdev)
{
	return &mdev->dev;
}

/**
 * struct mdev_driver - the driver the core binds to a parent's mdevs
 * @device_api: shown as the types' device_api (e.g. "vfio-pci"); required
 * @max_instances: mdevs the parent can hold, when @get_available is NULL
 * @probe: a new mdev was created
 * @remove: the mdev goes away
 * @get_available: optional; instances still available for a type
 * @show_description: optional; fills the type's "description" file
 * @driver: registered on the mdev bus by mdev_register_driver()
 */
struct mdev_driver {
	const char *device_api;
	unsigned int max_instances;
	int (*probe)(struct mdev_device *dev);
	void (*remove)(struct mdev_device *dev);
	unsigned int (*get_available)(struct mdev_type *mtype);
	ssize_t (*show_description)(struct mdev_type *mtype, char *buf);
	struct device_driver driver;
};

int mdev_register_parent(struct mdev_parent *parent, struct device *dev,
			 struct mdev_driver *mdev_driver,
			 struct mdev_type **types, unsigned int nr_types);
/* Removes the parent's mdevs (waiting for their vfio users) first. */
void mdev_unregister_parent(struct mdev_parent *parent);

int mdev_register_driver(struct mdev_driver *drv);
void mdev_unregister_driver(struct mdev_driver *drv);

#endif /* _VFIO_MDEV_H */
