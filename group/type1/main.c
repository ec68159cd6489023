// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_iommu_type1.ko: the Type1 IOMMU backend of the legacy VFIO
 * container. The container (group module) hands us its ioctls and groups;
 * we map user memory into IOMMU domains for the attached groups.
 *
 * This file: module parameters, container open/release, the ioctl table
 * and the small ioctls, and emulated-device registration.
 */

#include <kunit/visibility.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "type1.h"

bool t1_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, t1_allow_unsafe_interrupts,
		   bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Enable VFIO IOMMU support on platforms without interrupt remapping support.");

bool t1_disable_hugepages;
module_param_named(disable_hugepages, t1_disable_hugepages, bool, 0644);
MODULE_PARM_DESC(disable_hugepages,
		 "Disable VFIO IOMMU support for IOMMU hugepages.");

unsigned int t1_dma_entry_limit __read_mostly = U16_MAX;
module_param_named(dma_entry_limit, t1_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Maximum number of user DMA mappings per container (65535).");

VISIBLE_IF_KUNIT void *t1_open(unsigned long type)
{
	struct t1_iommu *iommu;

	/* TYPE1, TYPE1v2, and NESTING which is v2 with nesting on top. */
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU &&
	    type != VFIO_TYPE1_NESTING_IOMMU)
		return ERR_PTR(-EINVAL);

	iommu = kzalloc(sizeof(*iommu), GFP_KERNEL_ACCOUNT);
	if (!iommu)
		return ERR_PTR(-ENOMEM);

	mutex_init(&iommu->lock);
	INIT_LIST_HEAD(&iommu->domains);
	INIT_LIST_HEAD(&iommu->emulated);
	INIT_LIST_HEAD(&iommu->windows);
	iommu->maps = RB_ROOT_CACHED;
	iommu->maps_left = t1_dma_entry_limit;
	/* No domain yet: any multiple of the CPU page size. */
	iommu->pgsizes = PAGE_MASK;
	iommu->v2 = type != VFIO_TYPE1_IOMMU;
	iommu->nesting = type == VFIO_TYPE1_NESTING_IOMMU;
	mutex_init(&iommu->dev_lock);
	INIT_LIST_HEAD(&iommu->devices);
	return iommu;
}
EXPORT_SYMBOL_IF_KUNIT(t1_open);

/* The container is going; no group or device is left to use it. */
VISIBLE_IF_KUNIT void t1_release(void *iommu_data)
{
	struct t1_iommu *iommu = iommu_data;
	struct t1_device *dev, *tmp;

	mutex_lock(&iommu->lock);
	t1_remove_all(iommu);
	t1_release_domains(iommu);
	t1_windows_free(&iommu->windows);
	mutex_unlock(&iommu->lock);

	list_for_each_entry_safe(dev, tmp, &iommu->devices, node) {
		list_del(&dev->node);
		kfree(dev);
	}
	mutex_destroy(&iommu->dev_lock);
	mutex_destroy(&iommu->lock);
	kfree(iommu);
}
EXPORT_SYMBOL_IF_KUNIT(t1_release);

/*
 * The extensions that depend on the container's state: UPDATE_VADDR
 * (emulated devices cannot pin while a vaddr is missing) and DMA_CC
 * (every domain enforces cache coherency).
 */
static long t1_state_extension(struct t1_iommu *iommu, unsigned long ext)
{
	struct t1_domain *d;
	long yes = 1;

	mutex_lock(&iommu->lock);
	if (ext == VFIO_UPDATE_VADDR)
		yes = list_empty(&iommu->emulated);
	else
		list_for_each_entry(d, &iommu->domains, node)
			yes &= d->coherent;
	mutex_unlock(&iommu->lock);
	return yes;
}

/* Also asked before SET_IOMMU, with no container state (@iommu NULL). */
static long t1_check_extension(struct t1_iommu *iommu, unsigned long ext)
{
	if (ext == VFIO_UPDATE_VADDR || ext == VFIO_DMA_CC_IOMMU)
		return iommu ? t1_state_extension(iommu, ext) : 0;
	return ext == VFIO_TYPE1_IOMMU || ext == VFIO_TYPE1v2_IOMMU ||
	       ext == VFIO_TYPE1_NESTING_IOMMU || ext == VFIO_UNMAP_ALL;
}

/*
 * Append a version 1 capability to @caps. Every type1 capability struct
 * starts with its header, so the result is the struct (or an ERR_PTR).
 */
static void *t1_cap_add(struct vfio_info_cap *caps, size_t size, u16 id)
{
	return vfio_info_cap_add(caps, size, id, 1);
}

/* The capability chain of GET_INFO: migration, DMA avail, IOVA ranges. */
static int t1_info_caps(struct t1_iommu *iommu, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *ranges;
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct t1_window *w;
	u32 n = 0;

	mig = t1_cap_add(caps, sizeof(*mig),
			 VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	if (IS_ERR(mig))
		return PTR_ERR(mig);
	/* Dirty bitmaps come in the smallest page size only. */
	mig->pgsize_bitmap = t1_min_pgsize(iommu);
	mig->max_dirty_bitmap_size = T1_BITMAP_MAX_BYTES;

	avail = t1_cap_add(caps, sizeof(*avail),
			   VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (IS_ERR(avail))
		return PTR_ERR(avail);
	avail->avail = iommu->maps_left;

	list_for_each_entry(w, &iommu->windows, node)
		n++;
	/* No IOMMU domain ever attached: no ranges to report. */
	if (!n)
		return 0;

	ranges = t1_cap_add(caps, struct_size(ranges, iova_ranges, n),
			    VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);
	ranges->nr_iovas = n;
	n = 0;
	list_for_each_entry(w, &iommu->windows, node) {
		ranges->iova_ranges[n].start = w->first;
		ranges->iova_ranges[n].end = w->last;
		n++;
	}
	return 0;
}

static int t1_ioctl_get_info(struct t1_iommu *iommu, void __user *uarg,
			     void *arg)
{
	struct vfio_iommu_type1_info *info = arg;
	size_t outsz = min_t(size_t, info->argsz, sizeof(*info));
	struct vfio_info_cap caps = {};
	int ret;

	mutex_lock(&iommu->lock);
	info->flags = VFIO_IOMMU_INFO_PGSIZES;
	info->iova_pgsizes = iommu->pgsizes;
	ret = t1_info_caps(iommu, &caps);
	mutex_unlock(&iommu->lock);
	if (ret)
		goto out_free;

	info->cap_offset = 0;
	if (caps.size) {
		info->flags |= VFIO_IOMMU_INFO_CAPS;
		/* Too small for the chain: say how much is needed. */
		if (info->argsz < sizeof(*info) + caps.size) {
			info->argsz = sizeof(*info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(*info));
			if (copy_to_user(uarg + sizeof(*info), caps.buf,
					 caps.size)) {
				ret = -EFAULT;
				goto out_free;
			}
			info->cap_offset = sizeof(*info);
		}
	}

	if (copy_to_user(uarg, info, outsz))
		ret = -EFAULT;
out_free:
	kfree(caps.buf);
	return ret;
}

static int t1_ioctl_map_dma(struct t1_iommu *iommu, void __user *uarg,
			    void *arg)
{
	return t1_do_map(iommu, arg);
}

static int t1_ioctl_unmap_dma(struct t1_iommu *iommu, void __user *uarg,
			      void *arg)
{
	struct vfio_iommu_type1_dma_unmap *unmap = arg;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_bitmap bitmap = {};
	u64 unmapped;
	int ret;

	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		/* A bitmap only goes with a plain range. */
		if (unmap->flags & (VFIO_DMA_UNMAP_FLAG_ALL |
				    VFIO_DMA_UNMAP_FLAG_VADDR))
			return -EINVAL;
		if (unmap->argsz < minsz + sizeof(bitmap))
			return -EINVAL;
		if (copy_from_user(&bitmap, uarg + minsz, sizeof(bitmap)))
			return -EFAULT;
		if (!access_ok(bitmap.data, bitmap.size) || !bitmap.pgsize)
			return -EINVAL;
		ret = t1_dirty_check_bitmap(unmap->size >> __ffs64(bitmap.pgsize),
					    bitmap.size);
		if (ret)
			return ret;
	}

	ret = t1_do_unmap(iommu, unmap, &bitmap, &unmapped);
	if (ret)
		return ret;

	unmap->size = unmapped;
	return copy_to_user(uarg, unmap, minsz) ? -EFAULT : 0;
}

/* Every argument struct starts with these two fields. */
struct t1_ioctl_hdr {
	u32 argsz;
	u32 flags;
};

union t1_ioctl_buf {
	struct t1_ioctl_hdr hdr;
	struct vfio_iommu_type1_info info;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_iommu_type1_dirty_bitmap dirty;
};

struct t1_ioctl_desc {
	unsigned int cmd;
	int (*handler)(struct t1_iommu *iommu, void __user *uarg, void *arg);
	size_t minsz;		/* offsetofend of the last mandatory field */
	u32 flags;		/* flags the caller may set */
	bool v2_only;		/* -EACCES on a v1 container */
};

static const struct t1_ioctl_desc t1_ioctls[] = {
	{
		.cmd = VFIO_IOMMU_GET_INFO,
		.handler = t1_ioctl_get_info,
		.minsz = offsetofend(struct vfio_iommu_type1_info,
				     iova_pgsizes),
		/* Output only: input flags are ignored, as upstream. */
		.flags = U32_MAX,
	},
	{
		.cmd = VFIO_IOMMU_MAP_DMA,
		.handler = t1_ioctl_map_dma,
		.minsz = offsetofend(struct vfio_iommu_type1_dma_map, size),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			 VFIO_DMA_MAP_FLAG_VADDR,
	},
	{
		.cmd = VFIO_IOMMU_UNMAP_DMA,
		.handler = t1_ioctl_unmap_dma,
		.minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size),
		.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			 VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL,
	},
	{
		.cmd = VFIO_IOMMU_DIRTY_PAGES,
		.handler = t1_ioctl_dirty_pages,
		.minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap,
				     flags),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			 VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			 VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		.v2_only = true,
	},
};

VISIBLE_IF_KUNIT long t1_ioctl(void *iommu_data, unsigned int cmd,
			       unsigned long arg)
{
	struct t1_iommu *iommu = iommu_data;
	void __user *uarg = (void __user *)arg;
	const struct t1_ioctl_desc *desc = NULL;
	union t1_ioctl_buf buf = {};
	unsigned int i;

	if (cmd == VFIO_CHECK_EXTENSION)
		return t1_check_extension(iommu, arg);

	for (i = 0; i < ARRAY_SIZE(t1_ioctls); i++) {
		if (t1_ioctls[i].cmd == cmd) {
			desc = &t1_ioctls[i];
			break;
		}
	}
	if (!desc)
		return -ENOTTY;
	if (!iommu)
		return -EINVAL;
	if (desc->v2_only && !iommu->v2)
		return -EACCES;

	if (copy_from_user(&buf, uarg, desc->minsz))
		return -EFAULT;
	if (buf.hdr.argsz < desc->minsz || buf.hdr.flags & ~desc->flags)
		return -EINVAL;
	return desc->handler(iommu, uarg, &buf);
}
EXPORT_SYMBOL_IF_KUNIT(t1_ioctl);

/* Devices that pin hear of unmaps through ops->dma_unmap. */
static void t1_register_device(void *iommu_data, struct vfio_device *vdev)
{
	struct t1_iommu *iommu = iommu_data;
	struct t1_device *dev;

	if (!vdev->ops->dma_unmap)
		return;

	/* The op cannot fail; the entry is a few bytes. */
	dev = kmalloc(sizeof(*dev), GFP_KERNEL | __GFP_NOFAIL);
	dev->vdev = vdev;

	mutex_lock(&iommu->dev_lock);
	mutex_lock(&iommu->lock);
	list_add(&dev->node, &iommu->devices);
	mutex_unlock(&iommu->lock);
	mutex_unlock(&iommu->dev_lock);
}

static void t1_unregister_device(void *iommu_data, struct vfio_device *vdev)
{
	struct t1_iommu *iommu = iommu_data;
	struct t1_device *dev, *found = NULL;

	if (!vdev->ops->dma_unmap)
		return;

	/* Waits for a dma_unmap notification in progress to finish. */
	mutex_lock(&iommu->dev_lock);
	mutex_lock(&iommu->lock);
	list_for_each_entry(dev, &iommu->devices, node) {
		if (dev->vdev == vdev) {
			found = dev;
			list_del(&dev->node);
			break;
		}
	}
	mutex_unlock(&iommu->lock);
	mutex_unlock(&iommu->dev_lock);
	kfree(found);
}

static const struct vfio_iommu_driver_ops t1_driver_ops = {
	.name = "vfio-iommu-type1", .owner = THIS_MODULE,
	.open = t1_open, .release = t1_release, .ioctl = t1_ioctl,
	.attach_group = t1_attach_group, .detach_group = t1_detach_group,
	.pin_pages = t1_pin_pages, .unpin_pages = t1_unpin_pages,
	.register_device = t1_register_device,
	.unregister_device = t1_unregister_device,
	.dma_rw = t1_dma_rw, .group_iommu_domain = t1_group_iommu_domain,
};

static int __init t1_init(void)
{
	/* The IOVA tree keys are unsigned long. */
	BUILD_BUG_ON(sizeof(dma_addr_t) > sizeof(unsigned long));
	return vfio_register_iommu_driver(&t1_driver_ops);
}

static void __exit t1_exit(void)
{
	vfio_unregister_iommu_driver(&t1_driver_ops);
}

module_init(t1_init);
module_exit(t1_exit);

MODULE_VERSION("0.2.1");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("Type1 IOMMU driver for VFIO");
#ifdef VFIO_OOT_IOMMUFD
/*
 * Not a real dependency: kmod's `modprobe -r vfio_pci vfio_iommu_type1
 * vfio` removes a module's post soft dependencies first, so vfio_cdev
 * goes while vfio is still in use (else removing it would take vfio
 * along as an idle dependency, and the explicit vfio then fails).
 */
MODULE_SOFTDEP("post: vfio_cdev");
#endif
