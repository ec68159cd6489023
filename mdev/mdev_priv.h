/* SPDX-License-Identifier: GPL-2.0-only */
/* mdev.ko internals shared by its files. */
#ifndef _MDEV_PRIV_H
#define _MDEV_PRIV_H

#include <vfio/mdev.h>

extern const struct bus_type mdev_bus_type;
extern struct class_compat *mdev_compat_class;
extern const struct attribute_group *mdev_dev_groups[];

static inline struct mdev_type *kobj_to_mtype(struct kobject *kobj)
{
	return container_of(kobj, struct mdev_type, kobj);
}

/* parent.c */
int mparent_add_types(struct mdev_parent *parent);
void mparent_del_types(struct mdev_parent *parent);

/* device.c */
int mdev_create(struct mdev_type *type, const guid_t *uuid);
void mdev_destroy_locked(struct mdev_device *mdev);

#endif /* _MDEV_PRIV_H */
