// SPDX-License-Identifier: GPL-2.0-only
/*
 * Groups: /dev/vfio/N for IOMMU group N, /dev/vfio/noiommu-N for devices
 * without an IOMMU. A group fd joins a container and hands out device
 * fds; the IOMMU group is the unit of isolation, so it is also the unit
 * userspace takes ownership of.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/vfio.h>

#include "group.h"

/* Every group that still has devices, findable by its IOMMU group. */
static struct {
	/*
	 * Protects list, and each group's registry_node and dev_count.
	 * Taken before vfio_group.lock and device_lock.
	 */
	struct mutex lock;
	struct list_head list;
	struct ida minors;
	dev_t devt;
} vgrp_registry = {
	.lock	= __MUTEX_INITIALIZER(vgrp_registry.lock),
	.list	= LIST_HEAD_INIT(vgrp_registry.list),
	.minors	= IDA_INIT(vgrp_registry.minors),
};

static char *vgrp_devnode(const struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "vfio/%s", dev_name(dev));
}

static const struct class vgrp_class = {
	.name		= "vfio",
	.devnode	= vgrp_devnode,
};

static const struct file_operations vgrp_fops;

struct vfio_group *vgrp_from_file(struct file *file)
{
	if (file->f_op != &vgrp_fops)
		return NULL;
	return file->private_data;
}

/* ------------------------------------------------------------------ */
/* KVM                                                                 */

void vgrp_set_kvm(struct vfio_group *group, struct kvm *kvm)
{
	spin_lock(&group->kvm_lock);
	group->kvm = kvm;
	spin_unlock(&group->kvm_lock);
}

/*
 * A device whose IOMMU can enforce coherency always gets a domain that
 * does, whichever one it is attached to later; one device that cannot
 * makes the whole group non-coherent.
 */
bool vgrp_enforced_coherent(struct vfio_group *group)
{
	struct vfio_device *vdev;
	unsigned int incoherent = 0;

	mutex_lock(&group->device_lock);
	list_for_each_entry(vdev, &group->device_list, group_next)
		incoherent += !device_iommu_capable(vdev->dev,
						    IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	mutex_unlock(&group->device_lock);
	return !incoherent;
}

/* ------------------------------------------------------------------ */
/* Device fds: how the core attaches them to our container.            */

/* First open of a device: the container must be fully set up. */
static int vgrp_df_attach(struct vfio_device_file *df)
{
	struct vfio_group *group = df->attach_data;
	int ret;

	mutex_lock(&group->lock);
	if (!group->container) {
		ret = -EINVAL;
		goto out_unlock;
	}
	ret = vgrp_container_use(group);
	if (ret)
		goto out_unlock;
	/*
	 * An open device pins the group fd, hence the container, until
	 * its last close; UNSET_CONTAINER fails with -EBUSY meanwhile.
	 */
	get_file(group->opened_file);
	group->attached_devs++;
	vgrp_container_add_device(group, df->device);
out_unlock:
	mutex_unlock(&group->lock);
	return ret;
}

/* Last close of a device. */
static void vgrp_df_detach(struct vfio_device_file *df)
{
	struct vfio_group *group = df->attach_data;
	struct file *group_file;

	mutex_lock(&group->lock);
	vgrp_container_remove_device(group, df->device);
	group_file = group->opened_file;
	/* The group lost its devices meanwhile: finish leaving now. */
	if (!--group->attached_devs && group->orphaned)
		vgrp_container_leave(group);
	mutex_unlock(&group->lock);
	fput(group_file);
}

/*
 * First open: the core wants the VM for vdev->kvm. KVM clears group->kvm
 * under kvm_lock before the VM can go away, so take the reference
 * under it.
 */
void vgrp_df_get_kvm(struct vfio_device_file *df)
{
	struct vfio_group *group = df->attach_data;

	spin_lock(&group->kvm_lock);
	vfio_device_hold_kvm(df->device, group->kvm);
	spin_unlock(&group->kvm_lock);
}

static int vgrp_df_pin(struct vfio_device_file *df, dma_addr_t iova,
		       int npage, int prot, struct page **pages)
{
	return vgrp_container_pin(df->attach_data, iova, npage, prot, pages);
}

static void vgrp_df_unpin(struct vfio_device_file *df, dma_addr_t iova,
			  int npage)
{
	vgrp_container_unpin(df->attach_data, iova, npage);
}

static int vgrp_df_rw(struct vfio_device_file *df, dma_addr_t iova,
		      void *data, size_t len, bool write)
{
	return vgrp_container_rw(df->attach_data, iova, data, len, write);
}

static const struct vfio_device_attach_ops vgrp_attach_ops = {
	.owner = THIS_MODULE,
	.attach = vgrp_df_attach, .detach = vgrp_df_detach,
	.get_kvm = vgrp_df_get_kvm,
	.pin_pages = vgrp_df_pin, .unpin_pages = vgrp_df_unpin,
	.dma_rw = vgrp_df_rw,
};

/* ------------------------------------------------------------------ */
/* Group ioctls                                                        */

/* Returns the device with a registration reference, or ERR_PTR. */
static struct vfio_device *vgrp_find_device(struct vfio_group *group,
					    char *name)
{
	struct vfio_device *vdev, *found = ERR_PTR(-ENODEV);
	int match;

	mutex_lock(&group->device_lock);
	list_for_each_entry(vdev, &group->device_list, group_next) {
		if (vdev->ops->match)
			match = vdev->ops->match(vdev, name);
		else
			match = !strcmp(dev_name(vdev->dev), name);
		if (match < 0) {
			found = ERR_PTR(match);
			break;
		}
		/* A device on its way out is skipped, not an error. */
		if (match && vfio_device_try_get_registration(vdev)) {
			found = vdev;
			break;
		}
	}
	mutex_unlock(&group->device_lock);
	return found;
}

/*
 * How a device fd of @group attaches: to its container or to its
 * iommufd; NULL (-EINVAL) with neither, also for a device that is open
 * already.
 */
static const struct vfio_device_attach_ops *
vgrp_attach_ops_of(struct vfio_group *group)
{
	const struct vfio_device_attach_ops *aops = NULL;

	mutex_lock(&group->lock);
	if (group->container)
		aops = &vgrp_attach_ops;
	else if (group->iommufd)
		aops = &vgrp_iommufd_attach_ops;
	mutex_unlock(&group->lock);
	return aops;
}

static long vgrp_get_device_fd(struct vfio_group *group, void __user *uarg,
			       void *karg)
{
	const struct vfio_device_attach_ops *aops;
	struct vfio_device *vdev;
	struct file *file;
	char *name;
	int fd;

	name = strndup_user(uarg, PAGE_SIZE);
	vdev = IS_ERR(name) ? ERR_CAST(name) : vgrp_find_device(group, name);
	if (!IS_ERR(name))
		kfree(name);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	/*
	 * group->lock is not held across the open: the core takes
	 * dev_set->lock and then calls the attach op, which takes it and
	 * checks again what the group is set to. The VM comes through
	 * vgrp_df_get_kvm().
	 */
	aops = vgrp_attach_ops_of(group);
	fd = !aops ? -EINVAL : get_unused_fd_flags(O_CLOEXEC);
	file = fd < 0 ? ERR_PTR(fd) :
			vfio_device_open_file(vdev, aops, group, NULL);
	if (IS_ERR(file)) {
		if (fd >= 0)
			put_unused_fd(fd);
		vfio_device_put_registration(vdev);
		return PTR_ERR(file);
	}

	/* The registration reference now belongs to the file. */
	fd_install(fd, file);
	return fd;
}

static long vgrp_get_status(struct vfio_group *group, void __user *uarg,
			    void *karg)
{
	const size_t minsz = offsetofend(struct vfio_group_status, flags);
	struct vfio_group_status *status = karg;

	status->flags = 0;
	mutex_lock(&group->lock);
	if (group->orphaned && !group->container) {
		mutex_unlock(&group->lock);
		return -ENODEV;
	}
	/*
	 * In a container we own the DMA; otherwise the group is usable
	 * unless some kernel driver has claimed it.
	 */
	if (group->container || group->iommufd)
		status->flags = VFIO_GROUP_FLAGS_CONTAINER_SET |
				VFIO_GROUP_FLAGS_VIABLE;
	else if (!iommu_group_dma_owner_claimed(group->iommu_group))
		status->flags = VFIO_GROUP_FLAGS_VIABLE;
	mutex_unlock(&group->lock);

	if (copy_to_user(uarg, status, minsz))
		return -EFAULT;
	return 0;
}

static long vgrp_set_container(struct vfio_group *group, void __user *uarg,
			       void *karg)
{
	struct vfio_container *container;
	int fd, ret;

	if (get_user(fd, (int __user *)uarg))
		return -EFAULT;

	CLASS(fd, f)(fd);
	if (fd_empty(f))
		return -EBADF;

	container = vgrp_container_from_file(fd_file(f));

	mutex_lock(&group->lock);
	if (group->container || group->iommufd)
		ret = -EINVAL;
	else if (group->orphaned)
		ret = -ENODEV;
	else if (container)
		ret = vgrp_container_join(container, group);
	else	/* /dev/iommu, else -EBADFD */
		ret = vgrp_iommufd_join(group, fd_file(f));
	mutex_unlock(&group->lock);
	return ret;
}

static long vgrp_unset_container(struct vfio_group *group, void __user *uarg,
				 void *karg)
{
	int ret = 0;

	mutex_lock(&group->lock);
	/* Open devices keep their own hold of an iommufd (iommufd.c). */
	if (group->iommufd)
		vgrp_iommufd_leave(group);
	else if (!group->container)
		ret = -EINVAL;
	else if (group->attached_devs)
		ret = -EBUSY;
	else
		vgrp_container_leave(group);
	mutex_unlock(&group->lock);
	return ret;
}

/* Arguments that start with argsz are copied in by the dispatcher. */
union vgrp_ioctl_arg {
	struct vfio_group_status status;
};

static_assert(offsetof(struct vfio_group_status, argsz) == 0);

/*
 * @minsz: for argsz-led structs, the bytes up to the last mandatory
 * field (shorter argsz is -EINVAL); 0 when the argument is something
 * else. None of these ioctls takes input flags.
 */
static const struct {
	unsigned int cmd;
	size_t minsz;
	long (*fn)(struct vfio_group *group, void __user *uarg, void *karg);
} vgrp_ioctls[] = {
	{ VFIO_GROUP_GET_STATUS,
	  offsetofend(struct vfio_group_status, flags), vgrp_get_status },
	{ VFIO_GROUP_SET_CONTAINER,	0, vgrp_set_container },
	{ VFIO_GROUP_UNSET_CONTAINER,	0, vgrp_unset_container },
	{ VFIO_GROUP_GET_DEVICE_FD,	0, vgrp_get_device_fd },
};

static long vgrp_ioctl(struct file *file, unsigned int cmd,
		       unsigned long arg)
{
	struct vfio_group *group = file->private_data;
	void __user *uarg = (void __user *)arg;
	union vgrp_ioctl_arg karg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vgrp_ioctls); i++) {
		if (vgrp_ioctls[i].cmd != cmd)
			continue;
		if (vgrp_ioctls[i].minsz) {
			if (copy_from_user(&karg, uarg, vgrp_ioctls[i].minsz))
				return -EFAULT;
			if (karg.status.argsz < vgrp_ioctls[i].minsz)
				return -EINVAL;
		}
		return vgrp_ioctls[i].fn(group, uarg, &karg);
	}
	return -ENOTTY;
}

/* ------------------------------------------------------------------ */
/* Group fd                                                            */

/* One opener at a time: the fd is the group's ownership token. */
static int vgrp_open(struct inode *inode, struct file *file)
{
	struct vfio_group *group =
		container_of(inode->i_cdev, struct vfio_group, cdev);
	int ret = 0;

	mutex_lock(&group->lock);
	if (group->orphaned)
		ret = -ENODEV;
	else if (group->type == VFIO_NO_IOMMU && !capable(CAP_SYS_RAWIO))
		ret = -EPERM;
	else if (group->cdev_bound || group->opened_file)
		ret = -EBUSY;
	else
		group->opened_file = file;
	if (!ret)
		file->private_data = group;
	mutex_unlock(&group->lock);
	return ret;
}

/* Open devices hold the file, so none is attached here. */
static int vgrp_release(struct inode *inode, struct file *file)
{
	struct vfio_group *group = file->private_data;

	mutex_lock(&group->lock);
	if (group->container)
		vgrp_container_leave(group);
	if (group->iommufd)
		vgrp_iommufd_leave(group);
	group->opened_file = NULL;
	mutex_unlock(&group->lock);
	file->private_data = NULL;
	return 0;
}

static const struct file_operations vgrp_fops = {
	.owner = THIS_MODULE,
	.open = vgrp_open, .release = vgrp_release,
	.unlocked_ioctl = vgrp_ioctl, .compat_ioctl = compat_ptr_ioctl,
};

/* ------------------------------------------------------------------ */
/* Group objects                                                       */

static void vgrp_free(struct device *dev)
{
	struct vfio_group *group = container_of(dev, struct vfio_group, dev);

	iommu_group_put(group->iommu_group);
	ida_free(&vgrp_registry.minors, MINOR(dev->devt));
	mutex_destroy(&group->device_lock);
	mutex_destroy(&group->lock);
	kfree(group);
}

/* Registry lock held. The new group counts one device. */
static struct vfio_group *vgrp_create(struct iommu_group *iommu_group,
				      enum vfio_group_type type)
{
	struct vfio_group *group;
	int minor, ret;

	lockdep_assert_held(&vgrp_registry.lock);

	minor = ida_alloc_max(&vgrp_registry.minors, MINORMASK, GFP_KERNEL);
	if (minor < 0)
		return ERR_PTR(minor);
	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group) {
		ida_free(&vgrp_registry.minors, minor);
		return ERR_PTR(-ENOMEM);
	}

	group->type = type;
	group->iommu_group = iommu_group_ref_get(iommu_group);
	mutex_init(&group->lock);
	INIT_LIST_HEAD(&group->device_list);
	mutex_init(&group->device_lock);
	spin_lock_init(&group->kvm_lock);

	/* From here on put_device() undoes everything through vgrp_free. */
	device_initialize(&group->dev);
	group->dev.release = vgrp_free;
	group->dev.devt = MKDEV(MAJOR(vgrp_registry.devt), minor);
	group->dev.class = &vgrp_class;
	cdev_init(&group->cdev, &vgrp_fops);
	group->cdev.owner = THIS_MODULE;

	ret = dev_set_name(&group->dev, "%s%d",
			   type == VFIO_NO_IOMMU ? "noiommu-" : "",
			   iommu_group_id(iommu_group));
	if (!ret)
		ret = cdev_device_add(&group->cdev, &group->dev);
	if (ret) {
		put_device(&group->dev);
		return ERR_PTR(ret);
	}

	group->dev_count = 1;
	list_add(&group->registry_node, &vgrp_registry.list);
	return group;
}

/* A private IOMMU group holding only @dev. */
static struct iommu_group *vgrp_private_iommu_group(struct device *dev)
{
	struct iommu_group *iommu_group = iommu_group_alloc();
	int ret;

	if (IS_ERR(iommu_group))
		return iommu_group;
	ret = iommu_group_set_name(iommu_group, "vfio-noiommu");
	if (!ret)
		ret = iommu_group_add_device(iommu_group, dev);
	if (ret) {
		iommu_group_put(iommu_group);
		return ERR_PTR(ret);
	}
	return iommu_group;
}

/*
 * Emulated and noiommu devices get a private IOMMU group of their own,
 * so that the rest of the stack can treat every device alike.
 */
static struct vfio_group *vgrp_create_fake(struct device *dev,
					   enum vfio_group_type type)
{
	struct iommu_group *iommu_group = vgrp_private_iommu_group(dev);
	struct vfio_group *group;

	if (IS_ERR(iommu_group))
		return ERR_CAST(iommu_group);

	mutex_lock(&vgrp_registry.lock);
	group = vgrp_create(iommu_group, type);
	mutex_unlock(&vgrp_registry.lock);
	if (IS_ERR(group))
		iommu_group_remove_device(dev);
	/* A new vfio_group took its own reference. */
	iommu_group_put(iommu_group);
	return group;
}

static bool vgrp_has_device(struct vfio_group *group, struct device *dev)
{
	struct vfio_device *vdev;
	bool found = false;

	mutex_lock(&group->device_lock);
	list_for_each_entry(vdev, &group->device_list, group_next) {
		if (vdev->dev == dev) {
			found = true;
			break;
		}
	}
	mutex_unlock(&group->device_lock);
	return found;
}

/* Join the group of a real IOMMU group, creating it for the first one. */
static struct vfio_group *vgrp_get_real(struct device *dev,
					struct iommu_group *iommu_group)
{
	struct vfio_group *group;

	mutex_lock(&vgrp_registry.lock);
	list_for_each_entry(group, &vgrp_registry.list, registry_node) {
		if (group->iommu_group != iommu_group)
			continue;
		/* A driver registering one device twice is a bug. */
		if (WARN_ON(vgrp_has_device(group, dev)))
			group = ERR_PTR(-EINVAL);
		else
			group->dev_count++;
		goto out_unlock;
	}
	group = vgrp_create(iommu_group, VFIO_IOMMU);
out_unlock:
	mutex_unlock(&vgrp_registry.lock);
	return group;
}

/*
 * Frontend device_add: link @vdev into the group the core's group_type
 * asks for (the core already checked IOMMU presence and coherency).
 */
int vgrp_device_add(struct vfio_device *vdev)
{
	struct device *dev = vdev->dev;
	struct iommu_group *iommu_group;
	struct vfio_group *group;

	switch (vdev->group_type) {
	case VFIO_IOMMU:
		iommu_group = iommu_group_get(dev);
		if (!iommu_group)
			return -EINVAL;
		group = vgrp_get_real(dev, iommu_group);
		iommu_group_put(iommu_group);
		break;
	case VFIO_EMULATED_IOMMU:
		group = vgrp_create_fake(dev, VFIO_EMULATED_IOMMU);
		break;
	case VFIO_NO_IOMMU:
		group = vgrp_create_fake(dev, VFIO_NO_IOMMU);
		if (!IS_ERR(group)) {
			/* A user is about to drive DMA with no protection. */
			add_taint(TAINT_USER, LOCKDEP_STILL_OK);
			dev_warn(dev, "Adding kernel taint for vfio-noiommu group on device\n");
		}
		break;
	default:
		return -EINVAL;
	}
	if (IS_ERR(group))
		return PTR_ERR(group);

	vdev->group = group;
	mutex_lock(&group->device_lock);
	list_add(&vdev->group_next, &group->device_list);
	mutex_unlock(&group->device_lock);

	/* Bound through its cdev before we knew it (we were loaded later). */
	if (vdev->fe_blocked) {
		mutex_lock(&group->lock);
		group->cdev_bound += vdev->fe_blocked;
		mutex_unlock(&group->lock);
	}
	return 0;
}

/* Frontend device_del: GET_DEVICE_FD no longer finds @vdev. */
void vgrp_device_del(struct vfio_device *vdev)
{
	struct vfio_group *group = vdev->group;

	mutex_lock(&group->device_lock);
	list_del(&vdev->group_next);
	mutex_unlock(&group->device_lock);
}

/*
 * Frontend device_remove: @vdev has no fd left. The last device out
 * takes the group down: its node goes, and its DMA ownership is given
 * back so the devices can return to kernel drivers. An open group fd
 * stays valid but useless.
 */
void vgrp_device_remove(struct vfio_device *vdev)
{
	struct vfio_group *group = vdev->group;
	struct iommu_group *iommu_group = NULL;

	if (group->type != VFIO_IOMMU)
		iommu_group_remove_device(vdev->dev);
	vdev->group = NULL;

	/* We are unloading while the device is still bound through its cdev. */
	if (vdev->fe_blocked) {
		mutex_lock(&group->lock);
		group->cdev_bound -= vdev->fe_blocked;
		mutex_unlock(&group->lock);
	}

	mutex_lock(&vgrp_registry.lock);
	if (--group->dev_count) {
		mutex_unlock(&vgrp_registry.lock);
		return;
	}
	list_del(&group->registry_node);
	/* The node goes now, so a group created next can take its name. */
	cdev_device_del(&group->cdev, &group->dev);
	mutex_unlock(&vgrp_registry.lock);

	mutex_lock(&group->lock);
	group->orphaned = true;
	/*
	 * Every device of the group is closed by now; should one still be
	 * attached, its last close leaves the container instead.
	 */
	if (group->container && !group->attached_devs)
		vgrp_container_leave(group);
	/*
	 * Out of any container, nothing needs the IOMMU group any more. Let
	 * it go now rather than with the last group fd, as upstream does:
	 * a fake (noiommu) one then leaves sysfs together with its device.
	 */
	if (!group->container) {
		iommu_group = group->iommu_group;
		group->iommu_group = NULL;
	}
	mutex_unlock(&group->lock);
	iommu_group_put(iommu_group);

	/* The registry's reference. */
	put_device(&group->dev);
}

/*
 * The cdev frontend binds @vdev (core: registry lock held): refused while
 * the group fd is open, as that fd may hand the device out (or already
 * did: an open device fd pins the group fd). Otherwise the group fd
 * cannot be opened until the matching unblock.
 */
int vgrp_block_device(struct vfio_device *vdev)
{
	struct vfio_group *group = vdev->group;
	int ret = 0;

	mutex_lock(&group->lock);
	if (group->opened_file)
		ret = -EBUSY;
	else
		group->cdev_bound++;
	mutex_unlock(&group->lock);
	return ret;
}

void vgrp_unblock_device(struct vfio_device *vdev)
{
	struct vfio_group *group = vdev->group;

	mutex_lock(&group->lock);
	if (!WARN_ON_ONCE(!group->cdev_bound))
		group->cdev_bound--;
	mutex_unlock(&group->lock);
}

int vgrp_groups_init(void)
{
	int ret;

	ret = class_register(&vgrp_class);
	if (ret)
		return ret;
	ret = alloc_chrdev_region(&vgrp_registry.devt, 0, MINORMASK + 1,
				  "vfio");
	if (ret)
		goto unregister_class;
	return 0;

unregister_class:
	class_unregister(&vgrp_class);
	return ret;
}

void vgrp_groups_exit(void)
{
	/* The frontend is gone: every device was unlinked. */
	WARN_ON(!list_empty(&vgrp_registry.list));
	unregister_chrdev_region(vgrp_registry.devt, MINORMASK + 1);
	class_unregister(&vgrp_class);
	ida_destroy(&vgrp_registry.minors);
}
