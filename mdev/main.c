// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev.ko: the "mdev" bus and its drivers. The bus never matches on its
 * own: the core attaches the parent's mdev_driver explicitly when it
 * creates an mdev (device.c), so a driver registered later never grabs
 * another parent's devices.
 */

#include <linux/device.h>
#include <linux/module.h>
#include "mdev_priv.h"

static struct mdev_driver *mdrv_of(struct device *dev)
{
	return container_of(dev->driver, struct mdev_driver, driver);
}

static int mbus_probe(struct device *dev)
{
	struct mdev_driver *drv = mdrv_of(dev);

	return drv->probe ? drv->probe(to_mdev_device(dev)) : 0;
}

static void mbus_remove(struct device *dev)
{
	struct mdev_driver *drv = mdrv_of(dev);

	if (drv->remove)
		drv->remove(to_mdev_device(dev));
}

static int mbus_match(struct device *dev, const struct device_driver *drv)
{
	return 0;
}

const struct bus_type mdev_bus_type = {
	.name = "mdev",
	.match = mbus_match,
	.probe = mbus_probe,
	.remove = mbus_remove,
};

/* /sys/class/mdev_bus/<parent>: where mdevctl and libvirt look for parents. */
struct class_compat *mdev_compat_class;

/**
 * mdev_register_driver - put a parent's mdev driver on the mdev bus
 * @drv: with @device_api set (-EINVAL otherwise)
 */
int mdev_register_driver(struct mdev_driver *drv)
{
	if (!drv->device_api)
		return -EINVAL;
	drv->driver.bus = &mdev_bus_type;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL(mdev_register_driver);

void mdev_unregister_driver(struct mdev_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL(mdev_unregister_driver);

static int __init mdev_mod_init(void)
{
	int ret;

	ret = bus_register(&mdev_bus_type);
	if (ret)
		return ret;
	mdev_compat_class = class_compat_register("mdev_bus");
	if (!mdev_compat_class) {
		ret = -ENOMEM;
		goto err_bus;
	}
	return 0;

err_bus:
	bus_unregister(&mdev_bus_type);
	return ret;
}

static void __exit mdev_mod_exit(void)
{
	class_compat_unregister(mdev_compat_class);
	bus_unregister(&mdev_bus_type);
}

/* Before parent drivers built into the kernel, as upstream's. */
subsys_initcall(mdev_mod_init);
module_exit(mdev_mod_exit);

/* Above the in-tree mdev.ko's 0.1, so that dkms replaces it. */
MODULE_VERSION("0.1.1");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("Mediated device bus (out-of-tree)");
