// SPDX-License-Identifier: GPL-2.0-only
/*
 * The legacy container, /dev/vfio/vfio, and the IOMMU backends behind it.
 *
 * Opening the node gives an empty container. Groups join it with
 * VFIO_GROUP_SET_CONTAINER; only then may VFIO_SET_IOMMU pick a backend,
 * so an unprivileged container fd cannot allocate IOMMU resources on its
 * own. When the last group leaves, the backend is dropped again.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <uapi/linux/vfio.h>

#include "group.h"

/* A registered backend; its module is pinned while a container uses it. */
struct vgrp_backend {
	const struct vfio_iommu_driver_ops *ops;
	struct list_head node;
};

/*
 * Registered backends, newest first. The lock is taken inside a
 * container's lock and calls into backends (CHECK_EXTENSION, open,
 * attach_group) under it; backends must not register from those paths.
 */
static LIST_HEAD(vgrp_backends);
static DEFINE_MUTEX(vgrp_backends_lock);

struct vfio_container {
	/* One for the container fd, one per joined group. */
	struct kref kref;
	/*
	 * Protects groups, backend, backend_data and noiommu. Taken inside
	 * vfio_group.lock; vgrp_backends_lock and backend locks nest inside.
	 * Held for read across forwarded backend ioctls so the backend
	 * cannot be released under them.
	 */
	struct rw_semaphore lock;
	struct list_head groups;	/* vfio_group.container_node */
	struct vgrp_backend *backend;	/* set by VFIO_SET_IOMMU */
	void *backend_data;
	bool noiommu;			/* the groups are noiommu ones */
};

/* ------------------------------------------------------------------ */
/* The built-in noiommu backend: no translation, only bookkeeping.     */

static void *vgrp_noiommu_open(unsigned long type)
{
	int err = 0;

	if (type != VFIO_NOIOMMU_IOMMU)
		err = -EINVAL;
	else if (!capable(CAP_SYS_RAWIO))
		err = -EPERM;
	/* Nothing to keep: the backend data stays NULL. */
	return err ? ERR_PTR(err) : NULL;
}

static void vgrp_noiommu_release(void *iommu_data)
{
}

static long vgrp_noiommu_ioctl(void *iommu_data, unsigned int cmd,
			       unsigned long arg)
{
	if (cmd != VFIO_CHECK_EXTENSION)
		return -ENOTTY;
	return vfio_noiommu_enabled() && arg == VFIO_NOIOMMU_IOMMU;
}

static int vgrp_noiommu_attach(void *iommu_data, struct iommu_group *group,
			       enum vfio_group_type type)
{
	return 0;
}

static void vgrp_noiommu_detach(void *iommu_data, struct iommu_group *group)
{
}

static const struct vfio_iommu_driver_ops vgrp_noiommu_ops = {
	.name = "vfio-noiommu", .owner = THIS_MODULE,
	.open = vgrp_noiommu_open, .release = vgrp_noiommu_release,
	.ioctl = vgrp_noiommu_ioctl,
	.attach_group = vgrp_noiommu_attach,
	.detach_group = vgrp_noiommu_detach,
};

/*
 * Noiommu groups may only use the noiommu backend and it serves nothing
 * else, so a container never mixes isolated and unisolated devices.
 */
static bool vgrp_backend_fits(const struct vfio_container *container,
			      const struct vgrp_backend *backend)
{
	return container->noiommu == (backend->ops == &vgrp_noiommu_ops);
}

/* ------------------------------------------------------------------ */
/* Backend registry                                                    */

/**
 * vfio_register_iommu_driver - offer a backend to VFIO_SET_IOMMU
 * @ops: the backend; must stay valid until unregistered
 *
 * Return: 0, or -EINVAL for incomplete or already registered ops,
 * -ENOMEM.
 */
int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops)
{
	struct vgrp_backend *backend, *it;

	if (!ops->open || !ops->release || !ops->ioctl ||
	    !ops->attach_group || !ops->detach_group)
		return -EINVAL;
	/* Both or neither: a device registered must be unregistered. */
	if (!ops->register_device != !ops->unregister_device)
		return -EINVAL;

	backend = kzalloc(sizeof(*backend), GFP_KERNEL);
	if (!backend)
		return -ENOMEM;
	backend->ops = ops;

	mutex_lock(&vgrp_backends_lock);
	list_for_each_entry(it, &vgrp_backends, node) {
		if (it->ops == ops) {
			mutex_unlock(&vgrp_backends_lock);
			kfree(backend);
			return -EINVAL;
		}
	}
	list_add(&backend->node, &vgrp_backends);
	mutex_unlock(&vgrp_backends_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_register_iommu_driver);

/**
 * vfio_unregister_iommu_driver - withdraw a backend
 * @ops: as registered
 *
 * No container can be using it: each one holds a reference on
 * @ops->owner, so the owner's module exit cannot run meanwhile.
 */
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops)
{
	struct vgrp_backend *it, *found = NULL;

	mutex_lock(&vgrp_backends_lock);
	list_for_each_entry(it, &vgrp_backends, node) {
		if (it->ops == ops) {
			list_del(&it->node);
			found = it;
			break;
		}
	}
	mutex_unlock(&vgrp_backends_lock);
	kfree(found);
}
EXPORT_SYMBOL_GPL(vfio_unregister_iommu_driver);

/* ------------------------------------------------------------------ */
/* Container ioctls                                                    */

static long vgrp_check_extension(struct vfio_container *container,
				 unsigned long ext)
{
	struct vgrp_backend *backend;
	long ret = 0;

	down_read(&container->lock);
	if (container->backend) {
		/* Once chosen, only the chosen backend answers. */
		backend = container->backend;
		ret = backend->ops->ioctl(container->backend_data,
					  VFIO_CHECK_EXTENSION, ext);
		goto out_unlock;
	}

	/* Not chosen yet: the first backend that says yes wins. */
	mutex_lock(&vgrp_backends_lock);
	list_for_each_entry(backend, &vgrp_backends, node) {
		/* With groups joined, only backends they may use count. */
		if (!list_empty(&container->groups) &&
		    !vgrp_backend_fits(container, backend))
			continue;
		if (!try_module_get(backend->ops->owner))
			continue;
		ret = backend->ops->ioctl(NULL, VFIO_CHECK_EXTENSION, ext);
		module_put(backend->ops->owner);
		if (ret > 0)
			break;
	}
	mutex_unlock(&vgrp_backends_lock);
out_unlock:
	up_read(&container->lock);
	return ret;
}

/* Container lock held for write. Undoes itself on failure. */
static int vgrp_attach_all(struct vfio_container *container,
			   const struct vfio_iommu_driver_ops *ops, void *data)
{
	struct vfio_group *group;
	int ret;

	list_for_each_entry(group, &container->groups, container_node) {
		ret = ops->attach_group(data, group->iommu_group, group->type);
		if (ret)
			goto detach_attached;
	}
	return 0;

detach_attached:
	list_for_each_entry_continue_reverse(group, &container->groups,
					     container_node)
		ops->detach_group(data, group->iommu_group);
	return ret;
}

/*
 * Try one backend for @type: it must claim the type, open, and take
 * every group. On success the backend keeps its module reference.
 * Return: 0 when chosen, 1 when it does not claim @type, else errno.
 */
static int vgrp_try_backend(struct vfio_container *container,
			    struct vgrp_backend *backend, unsigned long type)
{
	const struct vfio_iommu_driver_ops *ops = backend->ops;
	void *data;
	int ret;

	if (!try_module_get(ops->owner))
		return 1;
	if (ops->ioctl(NULL, VFIO_CHECK_EXTENSION, type) <= 0) {
		ret = 1;
		goto put_module;
	}
	data = ops->open(type);
	if (IS_ERR(data)) {
		ret = PTR_ERR(data);
		goto put_module;
	}
	ret = vgrp_attach_all(container, ops, data);
	if (ret)
		goto release_data;

	container->backend = backend;
	container->backend_data = data;
	return 0;

release_data:
	ops->release(data);
put_module:
	module_put(ops->owner);
	return ret;
}

static long vgrp_set_iommu(struct vfio_container *container,
			   unsigned long type)
{
	struct vgrp_backend *backend;
	long ret = -ENODEV;
	int err;

	down_write(&container->lock);
	/*
	 * Only a joined group grants the right to allocate IOMMU state,
	 * and there is no way to switch backends short of emptying it.
	 */
	if (list_empty(&container->groups) || container->backend) {
		ret = -EINVAL;
		goto out_unlock;
	}

	mutex_lock(&vgrp_backends_lock);
	list_for_each_entry(backend, &vgrp_backends, node) {
		if (!vgrp_backend_fits(container, backend))
			continue;
		err = vgrp_try_backend(container, backend, type);
		if (!err) {
			ret = 0;
			break;
		}
		/* The last failure of a claiming backend is reported. */
		if (err < 0)
			ret = err;
	}
	mutex_unlock(&vgrp_backends_lock);
out_unlock:
	up_write(&container->lock);
	return ret;
}

static long vgrp_api_version(struct vfio_container *container,
			     unsigned long arg)
{
	return VFIO_API_VERSION;
}

/* The container's own ioctls take a plain integer: no argsz, no flags. */
static const struct {
	unsigned int cmd;
	long (*fn)(struct vfio_container *container, unsigned long arg);
} vgrp_container_ioctls[] = {
	{ VFIO_GET_API_VERSION,	vgrp_api_version },
	{ VFIO_CHECK_EXTENSION,	vgrp_check_extension },
	{ VFIO_SET_IOMMU,	vgrp_set_iommu },
};

/* Anything else belongs to the backend, if one has been chosen. */
static long vgrp_forward_ioctl(struct vfio_container *container,
			       unsigned int cmd, unsigned long arg)
{
	long ret = -EINVAL;

	down_read(&container->lock);
	if (container->backend)
		ret = container->backend->ops->ioctl(container->backend_data,
						     cmd, arg);
	up_read(&container->lock);
	return ret;
}

static long vgrp_container_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	struct vfio_container *container = file->private_data;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vgrp_container_ioctls); i++)
		if (vgrp_container_ioctls[i].cmd == cmd)
			return vgrp_container_ioctls[i].fn(container, arg);
	return vgrp_forward_ioctl(container, cmd, arg);
}

/* ------------------------------------------------------------------ */
/* Container lifetime and file                                         */

static void vgrp_container_free(struct kref *kref)
{
	kfree(container_of(kref, struct vfio_container, kref));
}

static struct vfio_container *vgrp_container_new(void)
{
	struct vfio_container *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (c) {
		kref_init(&c->kref);
		init_rwsem(&c->lock);
		INIT_LIST_HEAD(&c->groups);
	}
	return c;
}

/* Each open of /dev/vfio/vfio is a new, empty container. */
static int vgrp_container_open(struct inode *inode, struct file *file)
{
	file->private_data = vgrp_container_new();
	return file->private_data ? 0 : -ENOMEM;
}

/* Joined groups keep the container (and its backend) alive. */
static int vgrp_container_release(struct inode *inode, struct file *file)
{
	struct vfio_container *container = file->private_data;

	file->private_data = NULL;
	kref_put(&container->kref, vgrp_container_free);
	return 0;
}

static const struct file_operations vgrp_container_fops = {
	.owner = THIS_MODULE,
	.open = vgrp_container_open, .release = vgrp_container_release,
	.unlocked_ioctl = vgrp_container_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

struct vfio_container *vgrp_container_from_file(struct file *file)
{
	if (file->f_op != &vgrp_container_fops)
		return NULL;
	return file->private_data;
}

/* ------------------------------------------------------------------ */
/* Groups joining and leaving                                          */

/* Real IOMMU groups: their DMA is ours while they are in a container. */
static int vgrp_dma_owner(struct vfio_group *group, bool own)
{
	if (group->type != VFIO_IOMMU)
		return 0;
	if (own)
		return iommu_group_claim_dma_owner(group->iommu_group, group);
	iommu_group_release_dma_owner(group->iommu_group);
	return 0;
}

/**
 * vgrp_container_join - VFIO_GROUP_SET_CONTAINER
 * @container: from the fd the user passed
 * @group: not in any container; group->lock held
 *
 * Claims DMA ownership of a real IOMMU group, so any device of it bound
 * to a kernel driver makes this fail, and any later attempt to bind one
 * fails instead.
 */
int vgrp_container_join(struct vfio_container *container,
			struct vfio_group *group)
{
	bool noiommu = group->type == VFIO_NO_IOMMU;
	struct vgrp_backend *backend;
	int ret;

	lockdep_assert_held(&group->lock);

	if (noiommu && !capable(CAP_SYS_RAWIO))
		return -EPERM;

	down_write(&container->lock);
	backend = container->backend;
	/* A container never mixes isolated and unisolated groups. */
	if (!list_empty(&container->groups) && container->noiommu != noiommu)
		ret = -EPERM;
	else
		ret = vgrp_dma_owner(group, true);
	if (!ret && backend) {
		ret = backend->ops->attach_group(container->backend_data,
						 group->iommu_group,
						 group->type);
		if (ret)
			vgrp_dma_owner(group, false);
	}
	if (!ret) {
		group->container = container;
		container->noiommu = noiommu;
		list_add(&group->container_node, &container->groups);
		kref_get(&container->kref);
	}
	up_write(&container->lock);
	return ret;
}

/**
 * vgrp_container_leave - the reverse of vgrp_container_join()
 * @group: in a container, no device attached; group->lock held
 *
 * The last group out takes the backend with it.
 */
void vgrp_container_leave(struct vfio_group *group)
{
	struct vfio_container *container = group->container;
	struct vgrp_backend *backend;

	lockdep_assert_held(&group->lock);

	down_write(&container->lock);
	group->container = NULL;
	list_del(&group->container_node);
	backend = container->backend;
	if (backend)
		backend->ops->detach_group(container->backend_data,
					   group->iommu_group);
	vgrp_dma_owner(group, false);

	if (backend && list_empty(&container->groups)) {
		container->backend = NULL;
		backend->ops->release(container->backend_data);
		container->backend_data = NULL;
		module_put(backend->ops->owner);
	}
	up_write(&container->lock);

	kref_put(&container->kref, vgrp_container_free);
}

/**
 * vgrp_container_use - may a device of @group be opened?
 * @group: in a container; group->lock held
 *
 * Return: 0, -EINVAL before VFIO_SET_IOMMU, -EPERM for a noiommu device
 * opened without CAP_SYS_RAWIO.
 */
int vgrp_container_use(struct vfio_group *group)
{
	struct vfio_container *container = group->container;
	bool ready;

	lockdep_assert_held(&group->lock);

	down_read(&container->lock);
	ready = container->backend;
	up_read(&container->lock);
	if (!ready)
		return -EINVAL;
	if (group->type == VFIO_NO_IOMMU && !capable(CAP_SYS_RAWIO))
		return -EPERM;
	return 0;
}

/*
 * Only devices that can drop pins (ops->dma_unmap, i.e. emulated-IOMMU
 * ones) are told to the backend: it calls them back on unmap.
 */
static void vgrp_container_tell(struct vfio_group *group,
				struct vfio_device *vdev, bool opened)
{
	struct vfio_container *container = group->container;
	void (*tell)(void *iommu_data, struct vfio_device *vdev);

	lockdep_assert_held(&group->lock);

	if (!vdev->ops->dma_unmap)
		return;
	down_read(&container->lock);
	tell = opened ? container->backend->ops->register_device :
			container->backend->ops->unregister_device;
	if (tell)
		tell(container->backend_data, vdev);
	up_read(&container->lock);
}

void vgrp_container_add_device(struct vfio_group *group,
			       struct vfio_device *vdev)
{
	vgrp_container_tell(group, vdev, true);
}

void vgrp_container_remove_device(struct vfio_group *group,
				  struct vfio_device *vdev)
{
	vgrp_container_tell(group, vdev, false);
}

/*
 * Pin and rw requests come from drivers while a device of @group is
 * open: the group then cannot leave and the backend cannot change, so
 * no container lock is needed. Not taking it also lets a backend call
 * them from its own ioctl (unmap notifying a driver that unpins).
 */
int vgrp_container_pin(struct vfio_group *group, dma_addr_t iova,
		       int npage, int prot, struct page **pages)
{
	struct vfio_container *container = group->container;
	const struct vfio_iommu_driver_ops *ops = container->backend->ops;

	if (npage > VGRP_PIN_MAX_PAGES)
		return -E2BIG;
	if (!ops->pin_pages)
		return -ENOTTY;
	return ops->pin_pages(container->backend_data, iova, npage, prot,
			      pages);
}

void vgrp_container_unpin(struct vfio_group *group, dma_addr_t iova,
			  int npage)
{
	struct vfio_container *container = group->container;
	const struct vfio_iommu_driver_ops *ops = container->backend->ops;

	if (WARN_ON_ONCE(npage <= 0 || npage > VGRP_PIN_MAX_PAGES))
		return;
	if (ops->unpin_pages)
		ops->unpin_pages(container->backend_data, iova, npage);
}

int vgrp_container_rw(struct vfio_group *group, dma_addr_t iova,
		      void *data, size_t len, bool write)
{
	struct vfio_container *container = group->container;
	const struct vfio_iommu_driver_ops *ops = container->backend->ops;

	if (!ops->dma_rw)
		return -ENOTTY;
	return ops->dma_rw(container->backend_data, iova, data, len, write);
}

/* ------------------------------------------------------------------ */

/* /dev/vfio/vfio: anyone may open it; groups carry the permissions. */
static struct miscdevice vgrp_container_misc = {
	.minor = VFIO_MINOR, .mode = 0666,
	.name = "vfio", .nodename = "vfio/vfio",
	.fops = &vgrp_container_fops,
};

int vgrp_container_init(void)
{
	int ret = vfio_register_iommu_driver(&vgrp_noiommu_ops);

	if (!ret) {
		ret = misc_register(&vgrp_container_misc);
		if (ret)
			vfio_unregister_iommu_driver(&vgrp_noiommu_ops);
	}
	return ret;
}

void vgrp_container_exit(void)
{
	misc_deregister(&vgrp_container_misc);
	vfio_unregister_iommu_driver(&vgrp_noiommu_ops);
}
