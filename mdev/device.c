// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev devices: creation through a type's "create" file, removal through
 * the device's "remove" file or the parent's unregistration. Each mdev
 * gets a "mdev_type" link to its type, and the type's devices/ folder a
 * link to the mdev.
 */

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "mdev_priv.h"

/*
 * Every mdev's UUID, across parents: UUIDs are unique machine-wide.
 * mdev_registry_lock protects the list, each mdev's @active and the
 * parents' available_instances; it is taken inside parent->unreg_sem
 * (read) and nothing is taken inside it.
 */
static LIST_HEAD(mdev_registry);
static DEFINE_MUTEX(mdev_registry_lock);

/* The last put: give the instance back to the parent. */
static void mdev_dev_release(struct device *dev)
{
	struct mdev_device *mdev = to_mdev_device(dev);
	struct mdev_type *mtype = mdev->type;
	struct mdev_parent *parent = mtype->parent;

	mutex_lock(&mdev_registry_lock);
	list_del(&mdev->next);
	if (!parent->mdev_driver->get_available)
		atomic_inc(&parent->available_instances);
	mutex_unlock(&mdev_registry_lock);
	kfree(mdev);
	/* May free the type's sysfs and drop the parent device. */
	kobject_put(&mtype->kobj);
}

static int mdev_add_links(struct mdev_device *mdev)
{
	struct mdev_type *mtype = mdev->type;
	int ret;

	ret = sysfs_create_link(mtype->devices_kobj, &mdev->dev.kobj,
				dev_name(&mdev->dev));
	if (ret)
		return ret;
	ret = sysfs_create_link(&mdev->dev.kobj, &mtype->kobj, "mdev_type");
	if (ret)
		goto err_devices_link;
	return 0;

err_devices_link:
	sysfs_remove_link(mtype->devices_kobj, dev_name(&mdev->dev));
	return ret;
}

static void mdev_del_links(struct mdev_device *mdev)
{
	sysfs_remove_link(&mdev->dev.kobj, "mdev_type");
	sysfs_remove_link(mdev->type->devices_kobj, dev_name(&mdev->dev));
}

/* Take an instance and the UUID; the caller holds mdev_registry_lock. */
static int mdev_reserve(struct mdev_parent *parent, const guid_t *uuid)
{
	struct mdev_device *other;

	list_for_each_entry(other, &mdev_registry, next)
		if (guid_equal(&other->uuid, uuid))
			return -EEXIST;
	if (!parent->mdev_driver->get_available) {
		if (!atomic_read(&parent->available_instances))
			return -EUSERS;
		atomic_dec(&parent->available_instances);
	}
	return 0;
}

/*
 * Create an mdev of @mtype named @uuid and bind the parent's driver.
 * -EEXIST for a UUID in use, -EUSERS with no instance left, -ENODEV once
 * the parent unregisters, or what the driver's probe returned.
 */
int mdev_create(struct mdev_type *mtype, const guid_t *uuid)
{
	struct mdev_parent *parent = mtype->parent;
	struct mdev_device *mdev;
	int ret;

	/* Zeroed before the registry sees it: release may run on errors. */
	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return -ENOMEM;
	guid_copy(&mdev->uuid, uuid);

	mutex_lock(&mdev_registry_lock);
	ret = mdev_reserve(parent, uuid);
	if (ret) {
		mutex_unlock(&mdev_registry_lock);
		kfree(mdev);
		return ret;
	}
	list_add(&mdev->next, &mdev_registry);
	mutex_unlock(&mdev_registry_lock);

	/* From here the device's release gives back UUID and instance. */
	device_initialize(&mdev->dev);
	mdev->dev.parent = parent->dev;
	mdev->dev.bus = &mdev_bus_type;
	mdev->dev.groups = mdev_dev_groups;
	mdev->dev.release = mdev_dev_release;
	mdev->type = mtype;
	kobject_get(&mtype->kobj);	/* dropped by mdev_dev_release() */
	ret = dev_set_name(&mdev->dev, "%pUl", uuid);
	if (ret)
		goto err_put;

	if (!down_read_trylock(&parent->unreg_sem)) {
		ret = -ENODEV;
		goto err_put;
	}
	ret = device_add(&mdev->dev);
	if (ret)
		goto err_unlock;
	ret = device_driver_attach(&parent->mdev_driver->driver, &mdev->dev);
	if (ret)
		goto err_device_del;
	ret = mdev_add_links(mdev);
	if (ret)
		goto err_device_del;

	mutex_lock(&mdev_registry_lock);
	mdev->active = true;
	mutex_unlock(&mdev_registry_lock);
	up_read(&parent->unreg_sem);
	dev_dbg(&mdev->dev, "mdev created\n");
	return 0;

err_device_del:
	/* Unbinds the driver too if it was attached. */
	device_del(&mdev->dev);
err_unlock:
	up_read(&parent->unreg_sem);
err_put:
	put_device(&mdev->dev);
	return ret;
}

/*
 * Remove @mdev: its driver's remove (which waits for vfio users) runs in
 * device_del(). The caller holds parent->unreg_sem.
 */
void mdev_destroy_locked(struct mdev_device *mdev)
{
	lockdep_assert_held(&mdev->type->parent->unreg_sem);
	mdev_del_links(mdev);
	device_del(&mdev->dev);
	put_device(&mdev->dev);		/* device_initialize()'s reference */
}

/*
 * The "remove" file: one removal per mdev. -EAGAIN while it is still
 * being created or already being removed, -ENODEV once the parent
 * unregisters (which removes it anyway).
 */
static int mdev_remove_one(struct mdev_device *mdev)
{
	struct mdev_parent *parent = mdev->type->parent;
	int ret = 0;

	if (!down_read_trylock(&parent->unreg_sem))
		return -ENODEV;
	mutex_lock(&mdev_registry_lock);
	if (mdev->active)
		mdev->active = false;
	else
		ret = -EAGAIN;
	mutex_unlock(&mdev_registry_lock);
	if (!ret)
		mdev_destroy_locked(mdev);
	up_read(&parent->unreg_sem);
	return ret;
}

static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	unsigned long val;
	int ret = 0;

	if (kstrtoul(buf, 0, &val) < 0)
		return -EINVAL;
	if (!val)
		return count;
	/*
	 * Removing the device removes this file: drop it first so that
	 * device_del() does not wait for this very write. Our reference
	 * keeps the mdev alive once the file no longer does.
	 */
	get_device(dev);
	if (device_remove_file_self(dev, attr))
		ret = mdev_remove_one(to_mdev_device(dev));
	put_device(dev);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(remove);

static struct attribute *mdev_dev_attrs[] = {
	&dev_attr_remove.attr,
	NULL,
};

static const struct attribute_group mdev_dev_group = {
	.attrs = mdev_dev_attrs,
};

const struct attribute_group *mdev_dev_groups[] = {
	&mdev_dev_group,
	NULL,
};
