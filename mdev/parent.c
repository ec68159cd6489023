// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parents and their types: <parent>/mdev_supported_types/<type>/ with
 * create, available_instances, device_api, name, description (only if
 * the driver describes its types) and devices/.
 */

#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "mdev_priv.h"

/* A type attribute: the type's kobject is not a device. */
struct mtype_attr {
	struct attribute attr;
	ssize_t (*show)(struct mdev_type *mtype, char *buf);
	ssize_t (*store)(struct mdev_type *mtype, const char *buf,
			 size_t count);
};

#define MTYPE_ATTR(_name, _mode, _show, _store)				\
	static struct mtype_attr mtype_attr_##_name = {			\
		.attr = { .name = #_name, .mode = _mode },		\
		.show = _show,						\
		.store = _store,					\
	}

static ssize_t mtype_sysfs_show(struct kobject *kobj, struct attribute *a,
				char *buf)
{
	struct mtype_attr *ma = container_of(a, struct mtype_attr, attr);

	return ma->show ? ma->show(kobj_to_mtype(kobj), buf) : -EIO;
}

static ssize_t mtype_sysfs_store(struct kobject *kobj, struct attribute *a,
				 const char *buf, size_t count)
{
	struct mtype_attr *ma = container_of(a, struct mtype_attr, attr);

	return ma->store ? ma->store(kobj_to_mtype(kobj), buf, count) : -EIO;
}

static const struct sysfs_ops mtype_sysfs_ops = {
	.show = mtype_sysfs_show,
	.store = mtype_sysfs_store,
};

/*
 * "create" takes a UUID, optionally followed by one more byte (echo's
 * newline): any other length is -EINVAL, as upstream.
 */
static ssize_t create_write(struct mdev_type *mtype, const char *buf,
			    size_t count)
{
	char text[UUID_STRING_LEN + 1];
	guid_t uuid;
	int ret;

	if (count != UUID_STRING_LEN && count != UUID_STRING_LEN + 1)
		return -EINVAL;
	memcpy(text, buf, UUID_STRING_LEN);
	text[UUID_STRING_LEN] = '\0';
	ret = guid_parse(text, &uuid);
	if (ret)
		return ret;
	ret = mdev_create(mtype, &uuid);
	return ret ? ret : count;
}
MTYPE_ATTR(create, 0200, NULL, create_write);

static ssize_t device_api_read(struct mdev_type *mtype, char *buf)
{
	return sysfs_emit(buf, "%s\n", mtype->parent->mdev_driver->device_api);
}
MTYPE_ATTR(device_api, 0444, device_api_read, NULL);

static ssize_t name_read(struct mdev_type *mtype, char *buf)
{
	return sysfs_emit(buf, "%s\n", mtype->pretty_name ?: mtype->sysfs_name);
}
MTYPE_ATTR(name, 0444, name_read, NULL);

static ssize_t available_instances_read(struct mdev_type *mtype, char *buf)
{
	struct mdev_parent *parent = mtype->parent;
	struct mdev_driver *drv = parent->mdev_driver;
	unsigned int n;

	if (drv->get_available)
		n = drv->get_available(mtype);
	else
		n = atomic_read(&parent->available_instances);
	return sysfs_emit(buf, "%u\n", n);
}
MTYPE_ATTR(available_instances, 0444, available_instances_read, NULL);

static ssize_t description_read(struct mdev_type *mtype, char *buf)
{
	return mtype->parent->mdev_driver->show_description(mtype, buf);
}
MTYPE_ATTR(description, 0444, description_read, NULL);

static struct attribute *mtype_attrs[] = {
	&mtype_attr_create.attr,
	&mtype_attr_device_api.attr,
	&mtype_attr_name.attr,
	&mtype_attr_available_instances.attr,
	&mtype_attr_description.attr,
	NULL,
};

static umode_t mtype_attr_visible(struct kobject *kobj, struct attribute *a,
				  int n)
{
	struct mdev_type *mtype = kobj_to_mtype(kobj);

	if (a == &mtype_attr_description.attr &&
	    !mtype->parent->mdev_driver->show_description)
		return 0;
	return a->mode;
}

static const struct attribute_group mtype_group = {
	.attrs = mtype_attrs,
	.is_visible = mtype_attr_visible,
};

static const struct attribute_group *mtype_groups[] = {
	&mtype_group,
	NULL,
};

/* The last reference to a type: mdevs of it hold one each. */
static void mtype_release(struct kobject *kobj)
{
	put_device(kobj_to_mtype(kobj)->parent->dev);
}

static const struct kobj_type mtype_ktype = {
	.sysfs_ops = &mtype_sysfs_ops,
	.release = mtype_release,
	.default_groups = mtype_groups,
};

static int mtype_add(struct mdev_parent *parent, struct mdev_type *mtype)
{
	int ret;

	mtype->parent = parent;
	mtype->kobj.kset = parent->mdev_types_kset;
	/* The type's kobject keeps the parent device; released above. */
	get_device(parent->dev);
	ret = kobject_init_and_add(&mtype->kobj, &mtype_ktype, NULL, "%s-%s",
				   dev_driver_string(parent->dev),
				   mtype->sysfs_name);
	if (ret)
		goto err_put;
	mtype->devices_kobj = kobject_create_and_add("devices", &mtype->kobj);
	if (!mtype->devices_kobj) {
		ret = -ENOMEM;
		goto err_del;
	}
	return 0;

err_del:
	kobject_del(&mtype->kobj);
err_put:
	kobject_put(&mtype->kobj);
	return ret;
}

static void mtype_del(struct mdev_type *mtype)
{
	kobject_put(mtype->devices_kobj);
	kobject_del(&mtype->kobj);
	kobject_put(&mtype->kobj);
}

int mparent_add_types(struct mdev_parent *parent)
{
	unsigned int i;
	int ret;

	parent->mdev_types_kset = kset_create_and_add("mdev_supported_types",
						      NULL, &parent->dev->kobj);
	if (!parent->mdev_types_kset)
		return -ENOMEM;
	for (i = 0; i < parent->nr_types; i++) {
		ret = mtype_add(parent, parent->types[i]);
		if (ret)
			goto err_types;
	}
	return 0;

err_types:
	while (i--)
		mtype_del(parent->types[i]);
	kset_unregister(parent->mdev_types_kset);
	return ret;
}

void mparent_del_types(struct mdev_parent *parent)
{
	unsigned int i;

	for (i = 0; i < parent->nr_types; i++)
		mtype_del(parent->types[i]);
	kset_unregister(parent->mdev_types_kset);
}

static void mparent_uevent(struct device *dev, bool registered)
{
	char *envp[2];

	envp[0] = registered ? "MDEV_STATE=registered" :
			       "MDEV_STATE=unregistered";
	envp[1] = NULL;
	kobject_uevent_env(&dev->kobj, KOBJ_CHANGE, envp);
}

/**
 * mdev_register_parent - let a device host mdevs
 * @parent: the driver's embedded struct, filled here
 * @dev: the parent device; the caller keeps a reference on it until
 *	mdev_unregister_parent() returned
 * @mdev_driver: bound to every mdev created under @dev
 * @types: the types offered, their sysfs_name (and pretty_name) filled
 * @nr_types: entries in @types
 */
int mdev_register_parent(struct mdev_parent *parent, struct device *dev,
			 struct mdev_driver *mdev_driver,
			 struct mdev_type **types, unsigned int nr_types)
{
	int ret;

	memset(parent, 0, sizeof(*parent));
	init_rwsem(&parent->unreg_sem);
	parent->dev = dev;
	parent->mdev_driver = mdev_driver;
	parent->types = types;
	parent->nr_types = nr_types;
	atomic_set(&parent->available_instances, mdev_driver->max_instances);

	ret = mparent_add_types(parent);
	if (ret)
		return ret;
	/* Only a convenience for tools, so not fatal, as upstream. */
	if (class_compat_create_link(mdev_compat_class, dev, NULL))
		dev_warn(dev, "mdev: no link in /sys/class/mdev_bus\n");
	dev_info(dev, "MDEV: Registered\n");
	mparent_uevent(dev, true);
	return 0;
}
EXPORT_SYMBOL(mdev_register_parent);

static int mparent_remove_child(struct device *dev, void *unused)
{
	if (dev->bus == &mdev_bus_type)
		mdev_destroy_locked(to_mdev_device(dev));
	return 0;
}

/**
 * mdev_unregister_parent - remove the parent's mdevs and types
 * @parent: as given to mdev_register_parent()
 *
 * Creation and removal through sysfs fail with -ENODEV from here on.
 * Each mdev is removed as by its "remove" file; that waits until its
 * vfio users closed their fds.
 */
void mdev_unregister_parent(struct mdev_parent *parent)
{
	dev_info(parent->dev, "MDEV: Unregistering\n");
	down_write(&parent->unreg_sem);
	class_compat_remove_link(mdev_compat_class, parent->dev, NULL);
	device_for_each_child(parent->dev, NULL, mparent_remove_child);
	mparent_del_types(parent);
	up_write(&parent->unreg_sem);
	mparent_uevent(parent->dev, false);
}
EXPORT_SYMBOL(mdev_unregister_parent);
