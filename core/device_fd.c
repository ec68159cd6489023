// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device fds: opening a device for a frontend (first open attaches DMA,
 * takes the VM and calls the driver), the fd's file operations with the
 * ioctls the core handles itself, and the DMA helpers of emulated-IOMMU
 * drivers, which go to whatever the first open attached.
 */

#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pm_runtime.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#if IS_ENABLED(CONFIG_KVM)
#include <linux/kvm_host.h>
#endif

#include "vfio_core.h"

/* ------------------------------------------------------------------ */
/* The VM of an open device                                            */

#if IS_ENABLED(CONFIG_KVM)
/*
 * KVM may be loaded after us and unloaded before: reach it through
 * symbol_get(). The reference on kvm_put_kvm's module is kept with the
 * VM reference and dropped with it.
 */
void vfio_device_hold_kvm(struct vfio_device *vdev, struct kvm *kvm)
{
	bool (*get_kvm)(struct kvm *kvm);
	void (*put_kvm)(struct kvm *kvm);

	lockdep_assert_held(&vdev->dev_set->lock);

	if (!kvm || vdev->kvm)
		return;

	get_kvm = symbol_get(kvm_get_kvm_safe);
	put_kvm = symbol_get(kvm_put_kvm);
	/* A VM already being destroyed is not taken: run without it. */
	if (!WARN_ON(!get_kvm || !put_kvm) && get_kvm(kvm)) {
		vdev->kvm = kvm;
		vdev->put_kvm = put_kvm;
		put_kvm = NULL;		/* now held with the VM */
	}
	if (get_kvm)
		symbol_put(kvm_get_kvm_safe);
	if (put_kvm)
		symbol_put(kvm_put_kvm);
}

static void vfio_device_drop_kvm(struct vfio_device *vdev)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	if (!vdev->kvm)
		return;

	if (!WARN_ON(!vdev->put_kvm)) {
		vdev->put_kvm(vdev->kvm);
		vdev->put_kvm = NULL;
		symbol_put(kvm_put_kvm);
	}
	vdev->kvm = NULL;
}
#else
void vfio_device_hold_kvm(struct vfio_device *vdev, struct kvm *kvm)
{
}

static void vfio_device_drop_kvm(struct vfio_device *vdev)
{
}
#endif
EXPORT_SYMBOL_GPL(vfio_device_hold_kvm);

/* ------------------------------------------------------------------ */
/* Open and close                                                      */

/* A df pins its frontend's module until it is freed. */
static struct vfio_device_file *
vfio_df_alloc(struct vfio_device *vdev,
	      const struct vfio_device_attach_ops *attach_ops,
	      void *attach_data)
{
	struct vfio_device_file *df;

	df = kzalloc(sizeof(*df), GFP_KERNEL_ACCOUNT);
	if (!df)
		return ERR_PTR(-ENOMEM);
	if (!try_module_get(attach_ops->owner)) {
		kfree(df);
		return ERR_PTR(-ENODEV);
	}
	df->device = vdev;
	df->attach_ops = attach_ops;
	df->attach_data = attach_data;
	spin_lock_init(&df->kvm_ref_lock);
	return df;
}

/* Called without core locks: the frontend's release may take its own. */
static void vfio_df_free(struct vfio_device_file *df)
{
	const struct vfio_device_attach_ops *aops = df->attach_ops;

	if (aops->release)
		aops->release(df);
	module_put(aops->owner);
	kfree(df);
}

/*
 * First open of the device, open_count already 1: pin the bus driver,
 * attach DMA, take the VM, start the device.
 */
static int vfio_device_first_open(struct vfio_device_file *df,
				  struct kvm *kvm)
{
	const struct vfio_device_attach_ops *aops = df->attach_ops;
	struct vfio_device *vdev = df->device;
	struct module *driver = vdev->dev->driver->owner;
	int ret;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (!try_module_get(driver))
		return -ENODEV;

	if (aops->attach) {
		ret = aops->attach(df);
		if (ret)
			goto err_put_driver;
	}
	WRITE_ONCE(vdev->dma_df, df);

	if (aops->get_kvm)
		aops->get_kvm(df);
	else
		vfio_device_hold_kvm(vdev, kvm);

	if (vdev->ops->open_device) {
		ret = vdev->ops->open_device(vdev);
		if (ret)
			goto err_drop_kvm;
	}
	return 0;

err_drop_kvm:
	vfio_device_drop_kvm(vdev);
	WRITE_ONCE(vdev->dma_df, NULL);
	if (aops->detach)
		aops->detach(df);
err_put_driver:
	module_put(driver);
	return ret;
}

/* Last close, open_count still 1: vfio_device_first_open() reversed. */
static void vfio_device_last_close(struct vfio_device *vdev)
{
	struct vfio_device_file *attached = vdev->dma_df;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (vdev->ops->close_device)
		vdev->ops->close_device(vdev);
	vfio_device_drop_kvm(vdev);
	WRITE_ONCE(vdev->dma_df, NULL);
	if (attached->attach_ops->detach)
		attached->attach_ops->detach(attached);
	module_put(vdev->dev->driver->owner);
}

static int vfio_df_open(struct vfio_device_file *df, struct kvm *kvm)
{
	struct vfio_device *vdev = df->device;
	int ret;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (vdev->open_count) {
		/* The cdev path has no safe way to share an open device. */
		if (df->attach_ops->exclusive)
			return -EINVAL;
		/* Every open shares the first one's DMA attachment. */
		if (vdev->dma_df->attach_ops != df->attach_ops)
			return -EBUSY;
		vdev->open_count++;
		return 0;
	}

	/* Drivers look at the set's open count from open_device. */
	vdev->open_count = 1;
	ret = vfio_device_first_open(df, kvm);
	if (ret)
		vdev->open_count = 0;
	return ret;
}

/*
 * Undo one open and free @df; the df that attached DMA stays alive
 * (without its fd) until the last close detaches through it.
 */
static void vfio_df_close(struct vfio_device_file *df)
{
	struct vfio_device *vdev = df->device;
	struct vfio_device_set *dev_set = vdev->dev_set;
	struct vfio_device_file *attached;

	mutex_lock(&dev_set->lock);
	if (WARN_ON_ONCE(!vdev->open_count)) {
		mutex_unlock(&dev_set->lock);
		return;
	}

	if (vdev->open_count > 1) {
		vdev->open_count--;
		attached = vdev->dma_df;
		mutex_unlock(&dev_set->lock);
		if (df != attached)
			vfio_df_free(df);
		return;
	}

	attached = vdev->dma_df;
	vfio_device_last_close(vdev);
	vdev->open_count = 0;
	mutex_unlock(&dev_set->lock);

	if (attached != df)
		vfio_df_free(attached);
	vfio_df_free(df);
}

static struct file *vfio_df_create_file(struct vfio_device_file *df)
{
	struct file *file;

	/* pread/pwrite reach the regions at their offsets. */
	file = vfio_anon_inode_getfile_fmode("[vfio-device]",
					     &vfio_device_fops, df, O_RDWR,
					     FMODE_PREAD | FMODE_PWRITE);
	if (IS_ERR(file))
		return file;

	/*
	 * All fds of the device share the pseudo-fs inode's mapping, so
	 * the driver can zap every user mmap with one unmap_mapping_range().
	 */
	file->f_mapping = df->device->inode->i_mapping;
	return file;
}

/**
 * vfio_device_open_file - open a device for a new fd
 * @vdev: a device the caller holds a registration reference on
 * @attach_ops: how the first open attaches DMA
 * @attach_data: the frontend's data, found in df->attach_data
 * @kvm: the VM to give the driver (see attach_ops->get_kvm)
 *
 * Returns the file (the registration reference now belongs to it) or an
 * ERR_PTR (the reference stays with the caller).
 */
struct file *vfio_device_open_file(struct vfio_device *vdev,
				   const struct vfio_device_attach_ops *attach_ops,
				   void *attach_data, struct kvm *kvm)
{
	struct vfio_device_file *df;
	struct file *file;
	int ret;

	df = vfio_df_alloc(vdev, attach_ops, attach_data);
	if (IS_ERR(df))
		return ERR_CAST(df);

	mutex_lock(&vdev->dev_set->lock);
	ret = vfio_df_open(df, kvm);
	mutex_unlock(&vdev->dev_set->lock);
	if (ret)
		goto err_free_df;

	file = vfio_df_create_file(df);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_close;
	}

	/* Pairs with smp_load_acquire() in the file operations. */
	smp_store_release(&df->access_granted, true);

	if (vdev->group_type == VFIO_NO_IOMMU)
		dev_warn(vdev->dev, "vfio-noiommu device opened by user (%s:%d)\n",
			 current->comm, task_pid_nr(current));
	return file;

err_close:
	vfio_df_close(df);
	return ERR_PTR(ret);
err_free_df:
	vfio_df_free(df);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(vfio_device_open_file);

/* ------------------------------------------------------------------ */
/* Two-phase files: /dev/vfio/devices/vfioN                            */

/*
 * open() of the cdev: an fd without access yet, of the cdev frontend
 * (loaded on demand). The registration reference belongs to the file.
 */
static int vfio_device_fops_cdev_open(struct inode *inode, struct file *file)
{
	struct vfio_device *vdev = container_of(inode->i_cdev,
						struct vfio_device, cdev);
	const struct vfio_device_attach_ops *aops;
	struct vfio_device_file *df;
	int ret;

	if (!vfio_device_try_get_registration(vdev))
		return -ENODEV;

	aops = vfio_frontend_cdev_ops_get();
	if (!aops) {
		ret = -ENODEV;
		goto err_put_registration;
	}
	df = vfio_df_alloc(vdev, aops, NULL);
	/* The df took its own reference on the frontend. */
	module_put(aops->owner);
	if (IS_ERR(df)) {
		ret = PTR_ERR(df);
		goto err_put_registration;
	}

	file->private_data = df;
	/* Same address_space as every other fd of the device. */
	file->f_mapping = vdev->inode->i_mapping;
	return 0;

err_put_registration:
	vfio_device_put_registration(vdev);
	return ret;
}

/**
 * vfio_df_open_locked - open the device for an fd that has no access yet
 * @df: an unbound df of the caller's frontend
 *
 * Called with dev_set->lock held. Returns 0 or -errno (-EINVAL when the
 * device is open already and the attach_ops are exclusive).
 */
int vfio_df_open_locked(struct vfio_device_file *df)
{
	lockdep_assert_held(&df->device->dev_set->lock);

	if (WARN_ON_ONCE(df->access_granted))
		return -EINVAL;
	return vfio_df_open(df, NULL);
}
EXPORT_SYMBOL_GPL(vfio_df_open_locked);

/**
 * vfio_df_close_locked - undo vfio_df_open_locked() before access is granted
 * @df: the df that just opened the device
 *
 * Called with dev_set->lock held; @df stays allocated (its fd's release
 * frees it).
 */
void vfio_df_close_locked(struct vfio_device_file *df)
{
	struct vfio_device *vdev = df->device;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON_ONCE(df->access_granted || !vdev->open_count))
		return;
	if (vdev->open_count == 1) {
		/* Only the df that attached can be the last one. */
		if (WARN_ON_ONCE(vdev->dma_df != df))
			return;
		vfio_device_last_close(vdev);
	}
	vdev->open_count--;
}
EXPORT_SYMBOL_GPL(vfio_df_close_locked);

/**
 * vfio_df_grant_access - let the fd of @df use the device
 * @df: a df whose open succeeded (vfio_df_open_locked())
 *
 * Called with dev_set->lock held. From now on the fd's release closes it.
 */
void vfio_df_grant_access(struct vfio_device_file *df)
{
	lockdep_assert_held(&df->device->dev_set->lock);

	/* Pairs with smp_load_acquire() in the file operations. */
	smp_store_release(&df->access_granted, true);
}
EXPORT_SYMBOL_GPL(vfio_df_grant_access);

/* ------------------------------------------------------------------ */
/* File operations                                                     */

static bool vfio_df_usable(struct vfio_device_file *df)
{
	/*
	 * Pairs with smp_store_release() in vfio_device_open_file() and
	 * vfio_df_grant_access().
	 */
	return smp_load_acquire(&df->access_granted);
}

static int vfio_device_fops_release(struct inode *inode, struct file *file)
{
	struct vfio_device_file *df = file->private_data;
	struct vfio_device *vdev = df->device;

	/* An fd that never got access (cdev, unbound) opened nothing. */
	if (vfio_df_usable(df))
		vfio_df_close(df);
	else
		vfio_df_free(df);
	/* Last: unregistration may free @vdev once this is gone. */
	vfio_device_put_registration(vdev);
	return 0;
}

/* read() and write() go to the driver once the fd is usable. */
static ssize_t vfio_df_rw(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos, bool write)
{
	struct vfio_device_file *df = file->private_data;
	const struct vfio_device_ops *ops = df->device->ops;

	if (!vfio_df_usable(df) || !(write ? !!ops->write : !!ops->read))
		return -EINVAL;
	if (write)
		return ops->write(df->device, buf, count, ppos);
	return ops->read(df->device, buf, count, ppos);
}

static ssize_t vfio_device_fops_read(struct file *file, char __user *buf,
				     size_t count, loff_t *ppos)
{
	return vfio_df_rw(file, buf, count, ppos, false);
}

static ssize_t vfio_device_fops_write(struct file *file,
				      const char __user *buf, size_t count,
				      loff_t *ppos)
{
	return vfio_df_rw(file, (char __user *)buf, count, ppos, true);
}

static int vfio_device_fops_mmap(struct file *file,
				 struct vm_area_struct *vma)
{
	struct vfio_device_file *df = file->private_data;
	struct vfio_device *vdev = df->device;

	if (!vfio_df_usable(df) || !vdev->ops->mmap)
		return -EINVAL;
	return vdev->ops->mmap(vdev, vma);
}

/* Wake a runtime-suspended device for the duration of an ioctl. */
static int vfio_device_pm_get(struct vfio_device *vdev)
{
	struct device *dev = vdev->dev;
	int ret;

	if (!dev->driver || !dev->driver->pm)
		return 0;

	ret = pm_runtime_resume_and_get(dev);
	if (ret) {
		dev_info_ratelimited(dev, "vfio: runtime resume failed %d\n",
				     ret);
		return -EIO;
	}
	return 0;
}

static void vfio_device_pm_put(struct vfio_device *vdev)
{
	struct device *dev = vdev->dev;

	if (dev->driver && dev->driver->pm)
		pm_runtime_put(dev);
}

/* The argsz/flags pair that starts every VFIO ioctl argument. */
struct vfio_ioctl_hdr {
	u32 argsz;
	u32 flags;
};

/* The mandatory part of each argument, copied in before the checks. */
union vfio_core_ioctl_arg {
	struct vfio_ioctl_hdr hdr;	/* also all of FEATURE's */
	struct vfio_device_bind_iommufd bind;
	struct vfio_device_attach_iommufd_pt attach_pt;
	struct vfio_device_detach_iommufd_pt detach_pt;
};

/**
 * struct vfio_core_ioctl - an ioctl of the device fd the core handles
 * @cmd: the ioctl number
 * @handler: runs after the header check; @karg holds the first @minsz
 *	bytes of @arg
 * @minsz: argsz must cover this much (offsetofend of the last mandatory
 *	field), copied in before argsz and flags are checked
 * @flags: flag bits the caller may set
 * @unopened: also valid before the fd has access to the device
 * @frontend: the frontend's (attach_ops->ioctl); fds of a frontend
 *	without one give it to the driver unchecked (@unopened ones
 *	excepted), as upstream does for group fds
 */
struct vfio_core_ioctl {
	unsigned int cmd;
	long (*handler)(struct vfio_device_file *df, unsigned int cmd,
			void __user *arg, union vfio_core_ioctl_arg *karg);
	size_t minsz;
	u32 flags;
	bool unopened;
	bool frontend;
};

#ifdef VFIO_OOT_IOMMUFD
/* BIND, ATTACH_IOMMUFD_PT, DETACH_IOMMUFD_PT: the cdev frontend's. */
static long vfio_ioctl_frontend(struct vfio_device_file *df,
				unsigned int cmd, void __user *arg,
				union vfio_core_ioctl_arg *karg)
{
	const struct vfio_device_attach_ops *aops = df->attach_ops;

	/* Only BIND gets here without the hook: it is for cdev fds only. */
	if (!aops->ioctl)
		return -EINVAL;
	return aops->ioctl(df, cmd, karg, arg);
}
#else
/* Built without iommufd: no cdev, hence no binding (upstream's answer). */
static long vfio_ioctl_frontend(struct vfio_device_file *df,
				unsigned int cmd, void __user *arg,
				union vfio_core_ioctl_arg *karg)
{
	return -ENOTTY;
}
#endif

static long vfio_ioctl_device_feature(struct vfio_device_file *df,
				      unsigned int cmd, void __user *arg,
				      union vfio_core_ioctl_arg *karg)
{
	const size_t hdr_size = offsetofend(struct vfio_device_feature, flags);
	u32 get_set = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;
	u32 flags = karg->hdr.flags;

	/* GET and SET together only make sense to PROBE both. */
	if (!(flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (flags & get_set) == get_set)
		return -EINVAL;

	return vfio_device_feature(df->device, flags,
				   arg + offsetof(struct vfio_device_feature,
						  data),
				   karg->hdr.argsz - hdr_size);
}

static const struct vfio_core_ioctl vfio_core_ioctls[] = {
	{
		.cmd		= VFIO_DEVICE_BIND_IOMMUFD,
		.handler	= vfio_ioctl_frontend,
		.minsz		= offsetofend(struct vfio_device_bind_iommufd,
					      out_devid),
		.unopened	= true,
		.frontend	= true,
	},
	{
		.cmd		= VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		.handler	= vfio_ioctl_frontend,
		.minsz		= offsetofend(struct vfio_device_attach_iommufd_pt,
					      pt_id),
		.frontend	= true,
	},
	{
		.cmd		= VFIO_DEVICE_DETACH_IOMMUFD_PT,
		.handler	= vfio_ioctl_frontend,
		.minsz		= offsetofend(struct vfio_device_detach_iommufd_pt,
					      flags),
		.frontend	= true,
	},
	{
		.cmd		= VFIO_DEVICE_FEATURE,
		.handler	= vfio_ioctl_device_feature,
		.minsz		= offsetofend(struct vfio_device_feature, flags),
		.flags		= VFIO_DEVICE_FEATURE_MASK |
				  VFIO_DEVICE_FEATURE_GET |
				  VFIO_DEVICE_FEATURE_SET |
				  VFIO_DEVICE_FEATURE_PROBE,
	},
};

static const struct vfio_core_ioctl *
vfio_core_ioctl_find(struct vfio_device_file *df, unsigned int cmd)
{
	const struct vfio_core_ioctl *ioc;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vfio_core_ioctls); i++) {
		ioc = &vfio_core_ioctls[i];
		if (ioc->cmd != cmd)
			continue;
		if (vfio_core_has_cdev() && ioc->frontend && !ioc->unopened &&
		    !df->attach_ops->ioctl)
			return NULL;
		return ioc;
	}
	return NULL;
}

static long vfio_core_ioctl_run(const struct vfio_core_ioctl *ioc,
				struct vfio_device_file *df,
				unsigned int cmd, void __user *arg)
{
	union vfio_core_ioctl_arg karg;

	/* No cdev: upstream answers ENOTTY without reading the argument. */
	if (ioc->frontend && !vfio_core_has_cdev())
		return ioc->handler(df, cmd, arg, NULL);

	if (copy_from_user(&karg, arg, ioc->minsz))
		return -EFAULT;
	if (karg.hdr.argsz < ioc->minsz)
		return -EINVAL;
	if (karg.hdr.flags & ~ioc->flags)
		return -EINVAL;
	return ioc->handler(df, cmd, arg, &karg);
}

static long vfio_device_fops_ioctl(struct file *file, unsigned int cmd,
				   unsigned long arg)
{
	struct vfio_device_file *df = file->private_data;
	struct vfio_device *vdev = df->device;
	const struct vfio_core_ioctl *ioc;
	long ret;

	ioc = vfio_core_ioctl_find(df, cmd);
	if (ioc && ioc->unopened)
		return vfio_core_ioctl_run(ioc, df, cmd, (void __user *)arg);

	if (!vfio_df_usable(df))
		return -EINVAL;

	ret = vfio_device_pm_get(vdev);
	if (ret)
		return ret;

	if (ioc)
		ret = vfio_core_ioctl_run(ioc, df, cmd, (void __user *)arg);
	else if (vdev->ops->ioctl)
		ret = vdev->ops->ioctl(vdev, cmd, arg);
	else
		ret = -EINVAL;

	vfio_device_pm_put(vdev);
	return ret;
}

/*
 * Also the fops of the device cdevs: open() only runs for those (the
 * group path makes anonymous files), release closes either kind.
 */
const struct file_operations vfio_device_fops = {
	.owner = THIS_MODULE,
	.open = vfio_device_fops_cdev_open,
	.read = vfio_device_fops_read, .write = vfio_device_fops_write,
	.mmap = vfio_device_fops_mmap,
	.unlocked_ioctl = vfio_device_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = vfio_device_fops_release,
};

/**
 * vfio_device_from_file - the device behind a VFIO device fd
 * @file: any file
 *
 * Returns NULL when @file is not a device fd.
 */
struct vfio_device *vfio_device_from_file(struct file *file)
{
	struct vfio_device_file *df = file->private_data;

	if (file->f_op != &vfio_device_fops)
		return NULL;
	return df->device;
}
EXPORT_SYMBOL_GPL(vfio_device_from_file);

/* ------------------------------------------------------------------ */
/* DMA for emulated-IOMMU drivers                                      */

/* These helpers are only meaningful between open_device and close. */
static bool vfio_device_open_or_warn(struct vfio_device *vdev)
{
	return !WARN_ON_ONCE(!READ_ONCE(vdev->open_count));
}

/**
 * vfio_pin_pages - pin user pages at an IOVA for the device
 * @vdev: an open device whose driver implements ops->dma_unmap
 * @iova: start of the range; the offset in the page is ignored
 * @npage: number of pages, at most VFIO_PIN_PAGES_MAX_ENTRIES
 * @prot: IOMMU_READ/IOMMU_WRITE
 * @pages: receives the pinned pages
 *
 * Returns the number of pages pinned or -errno.
 */
int vfio_pin_pages(struct vfio_device *vdev, dma_addr_t iova, int npage,
		   int prot, struct page **pages)
{
	struct vfio_device_file *df;

	if (!pages || !npage || WARN_ON(!vfio_device_open_or_warn(vdev)))
		return -EINVAL;
	/* Pinning needs a way to hear about unmaps. */
	if (!vdev->ops->dma_unmap)
		return -EINVAL;

	df = READ_ONCE(vdev->dma_df);
	if (df && df->attach_ops->pin_pages)
		return df->attach_ops->pin_pages(df, iova, npage, prot, pages);
	/* Bound to an iommufd (the cdev path): its access pins. */
	if (vdev->iommufd_access)
		return vfio_iommufd_access_pin(vdev, iova, npage, prot, pages);
	return -EINVAL;
}
EXPORT_SYMBOL(vfio_pin_pages);

/**
 * vfio_unpin_pages - undo vfio_pin_pages()
 * @vdev: the device that pinned
 * @iova: as given to vfio_pin_pages()
 * @npage: as given to vfio_pin_pages()
 */
void vfio_unpin_pages(struct vfio_device *vdev, dma_addr_t iova, int npage)
{
	struct vfio_device_file *df;

	if (WARN_ON(!vfio_device_open_or_warn(vdev)))
		return;
	if (WARN_ON(!vdev->ops->dma_unmap))
		return;

	df = READ_ONCE(vdev->dma_df);
	if (df && df->attach_ops->unpin_pages)
		df->attach_ops->unpin_pages(df, iova, npage);
	else if (vdev->iommufd_access)
		vfio_iommufd_access_unpin(vdev, iova, npage);
}
EXPORT_SYMBOL(vfio_unpin_pages);

/**
 * vfio_dma_rw - CPU access to user memory at an IOVA of the device
 * @vdev: an open device
 * @iova: start of the range
 * @data: kernel buffer
 * @len: bytes to copy
 * @write: copy @data to the IOVA instead of from it
 *
 * Nothing is pinned: the CPU does the access. Returns 0 or -errno.
 */
int vfio_dma_rw(struct vfio_device *vdev, dma_addr_t iova, void *data,
		size_t len, bool write)
{
	struct vfio_device_file *df;

	if (!data || !len || !vfio_device_open_or_warn(vdev))
		return -EINVAL;

	df = READ_ONCE(vdev->dma_df);
	if (df && df->attach_ops->dma_rw)
		return df->attach_ops->dma_rw(df, iova, data, len, write);
	if (vdev->iommufd_access)
		return vfio_iommufd_access_rw(vdev, iova, data, len, write);
	return -EINVAL;
}
EXPORT_SYMBOL(vfio_dma_rw);
