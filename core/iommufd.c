// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio devices on an iommufd (the cdev path). Drivers put these helpers
 * in their vfio_device_ops: a physical device binds its struct device to
 * the iommufd context (which claims its DMA ownership) and is attached
 * to an IOAS or HWPT; an emulated device gets an iommufd access instead
 * and does its DMA through vfio_pin_pages()/vfio_dma_rw(), routed here.
 *
 * vfio.ko links against our iommufd.ko, as upstream's vfio.ko links
 * against its iommufd.ko: loading vfio loads iommufd. Built without it
 * (CONFIG_VFIO_OOT_IOMMUFD=n) the helpers exist but bind nothing, and
 * no device has a cdev to reach them.
 *
 * Everything that changes vdev->iommufd_* runs under dev_set->lock (the
 * core and the cdev frontend call the ops with it held).
 */

#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/sched.h>

#include <vfio/iommufd.h>

#include "vfio_core.h"

#ifdef VFIO_OOT_IOMMUFD

MODULE_IMPORT_NS(IOMMUFD);

/* ------------------------------------------------------------------ */
/* Physical devices                                                    */

int vfio_iommufd_physical_bind(struct vfio_device *vdev,
			       struct iommufd_ctx *ictx, u32 *out_device_id)
{
	struct iommufd_device *idev;

	lockdep_assert_held(&vdev->dev_set->lock);

	idev = iommufd_device_bind(ictx, vdev->dev, out_device_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	vdev->iommufd_device = idev;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_bind);

void vfio_iommufd_physical_detach_ioas(struct vfio_device *vdev)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!vdev->iommufd_device))
		return;
	/* DETACH_IOMMUFD_PT on a device that is not attached is fine. */
	if (!vdev->iommufd_attached)
		return;
	iommufd_device_detach(vdev->iommufd_device);
	vdev->iommufd_attached = false;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_detach_ioas);

/* The last close: detached (DMA blocked) first, then unbound. */
void vfio_iommufd_physical_unbind(struct vfio_device *vdev)
{
	vfio_iommufd_physical_detach_ioas(vdev);
	iommufd_device_unbind(vdev->iommufd_device);
	vdev->iommufd_device = NULL;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_unbind);

/*
 * @pt_id names an IOAS (the device then sits in an automatic HWPT,
 * whose id comes back in *@pt_id) or a HWPT. An attached device moves
 * to the new one without a window of blocked DMA.
 */
int vfio_iommufd_physical_attach_ioas(struct vfio_device *vdev, u32 *pt_id)
{
	struct iommufd_device *idev = vdev->iommufd_device;
	int ret;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!idev))
		return -EINVAL;
	ret = vdev->iommufd_attached ? iommufd_device_replace(idev, pt_id) :
				       iommufd_device_attach(idev, pt_id);
	if (!ret)
		vdev->iommufd_attached = true;
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_attach_ioas);

/* ------------------------------------------------------------------ */
/* Emulated devices                                                    */

/* iommufd unmaps a range the driver may have pinned: it must let go. */
static void vfio_iommufd_access_unmap(void *data, unsigned long iova,
				      unsigned long length)
{
	struct vfio_device *vdev = data;

	if (vdev->ops->dma_unmap)
		vdev->ops->dma_unmap(vdev, iova, length);
}

static const struct iommufd_access_ops vfio_iommufd_access_ops = {
	.needs_pin_pages = 1,
	.unmap = vfio_iommufd_access_unmap,
};

int vfio_iommufd_emulated_bind(struct vfio_device *vdev,
			       struct iommufd_ctx *ictx, u32 *out_device_id)
{
	struct iommufd_access *access;

	lockdep_assert_held(&vdev->dev_set->lock);

	access = iommufd_access_create(ictx, &vfio_iommufd_access_ops, vdev,
				       out_device_id);
	if (IS_ERR(access))
		return PTR_ERR(access);
	vdev->iommufd_access = access;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_bind);

void vfio_iommufd_emulated_unbind(struct vfio_device *vdev)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	/* Destroying the access also detaches it. */
	if (!vdev->iommufd_access)
		return;
	iommufd_access_destroy(vdev->iommufd_access);
	vdev->iommufd_access = NULL;
	vdev->iommufd_attached = false;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_unbind);

/* An access attaches to an IOAS only; *@pt_id is left as it was. */
int vfio_iommufd_emulated_attach_ioas(struct vfio_device *vdev, u32 *pt_id)
{
	struct iommufd_access *access = vdev->iommufd_access;
	int ret;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!access))
		return -EINVAL;
	ret = vdev->iommufd_attached ? iommufd_access_replace(access, *pt_id) :
				       iommufd_access_attach(access, *pt_id);
	if (!ret)
		vdev->iommufd_attached = true;
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_attach_ioas);

void vfio_iommufd_emulated_detach_ioas(struct vfio_device *vdev)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!vdev->iommufd_access) || !vdev->iommufd_attached)
		return;
	iommufd_access_detach(vdev->iommufd_access);
	vdev->iommufd_attached = false;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_detach_ioas);

/*
 * vfio_pin_pages() and friends for a device with an access. Like the
 * container path, the page offset of @iova is dropped: pages[0] is the
 * page holding it. IOVAs beyond unsigned long cannot exist in an IOAS.
 */
int vfio_iommufd_access_pin(struct vfio_device *vdev, dma_addr_t iova,
			    int npage, int prot, struct page **pages)
{
	unsigned int flags = prot & IOMMU_WRITE ? IOMMUFD_ACCESS_RW_WRITE : 0;
	int ret;

	if (iova > ULONG_MAX)
		return -EINVAL;
	ret = iommufd_access_pin_pages(vdev->iommufd_access,
				       ALIGN_DOWN(iova, PAGE_SIZE),
				       (unsigned long)npage * PAGE_SIZE,
				       pages, flags);
	return ret ? ret : npage;
}

void vfio_iommufd_access_unpin(struct vfio_device *vdev, dma_addr_t iova,
			       int npage)
{
	if (WARN_ON(iova > ULONG_MAX))
		return;
	iommufd_access_unpin_pages(vdev->iommufd_access,
				   ALIGN_DOWN(iova, PAGE_SIZE),
				   (unsigned long)npage * PAGE_SIZE);
}

int vfio_iommufd_access_rw(struct vfio_device *vdev, dma_addr_t iova,
			   void *data, size_t len, bool write)
{
	unsigned int flags = write ? IOMMUFD_ACCESS_RW_WRITE : 0;

	if (iova > ULONG_MAX)
		return -EINVAL;
	/* A caller without an mm (a kthread) gets the access's mm used. */
	if (!current->mm)
		flags |= IOMMUFD_ACCESS_RW_KTHREAD;
	return iommufd_access_rw(vdev->iommufd_access, iova, data, len, flags);
}

/* ------------------------------------------------------------------ */
/* Who owns a device: hot reset by device fds (vfio-pci)               */

struct iommufd_ctx *vfio_iommufd_device_ictx(struct vfio_device *vdev)
{
	if (!vdev->iommufd_device)
		return NULL;
	return iommufd_device_to_ictx(vdev->iommufd_device);
}
EXPORT_SYMBOL_GPL(vfio_iommufd_device_ictx);

/*
 * A device not bound to @ictx still counts as owned by it when a device
 * of its IOMMU group is: no other context can own that group then.
 */
int vfio_iommufd_get_dev_id(struct vfio_device *vdev,
			    struct iommufd_ctx *ictx)
{
	struct iommu_group *group;
	bool owned;

	if (vdev->iommufd_device && vfio_iommufd_device_ictx(vdev) == ictx)
		return iommufd_device_to_id(vdev->iommufd_device);

	group = iommu_group_get(vdev->dev);
	if (!group)
		return -ENODEV;
	owned = ictx && iommufd_ctx_has_group(ictx, group);
	iommu_group_put(group);
	return owned ? -ENOENT : -ENODEV;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_get_dev_id);

#else /* !VFIO_OOT_IOMMUFD */

/* No iommufd.ko in this build: nothing can be bound. */
int vfio_iommufd_physical_bind(struct vfio_device *vdev,
			       struct iommufd_ctx *ictx, u32 *out_device_id)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_bind);

void vfio_iommufd_physical_unbind(struct vfio_device *vdev)
{
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_unbind);

int vfio_iommufd_physical_attach_ioas(struct vfio_device *vdev, u32 *pt_id)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_attach_ioas);

void vfio_iommufd_physical_detach_ioas(struct vfio_device *vdev)
{
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_detach_ioas);

int vfio_iommufd_emulated_bind(struct vfio_device *vdev,
			       struct iommufd_ctx *ictx, u32 *out_device_id)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_bind);

void vfio_iommufd_emulated_unbind(struct vfio_device *vdev)
{
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_unbind);

int vfio_iommufd_emulated_attach_ioas(struct vfio_device *vdev, u32 *pt_id)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_attach_ioas);

void vfio_iommufd_emulated_detach_ioas(struct vfio_device *vdev)
{
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_detach_ioas);

int vfio_iommufd_access_pin(struct vfio_device *vdev, dma_addr_t iova,
			    int npage, int prot, struct page **pages)
{
	return -EINVAL;
}

void vfio_iommufd_access_unpin(struct vfio_device *vdev, dma_addr_t iova,
			       int npage)
{
}

int vfio_iommufd_access_rw(struct vfio_device *vdev, dma_addr_t iova,
			   void *data, size_t len, bool write)
{
	return -EINVAL;
}

struct iommufd_ctx *vfio_iommufd_device_ictx(struct vfio_device *vdev)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_device_ictx);

int vfio_iommufd_get_dev_id(struct vfio_device *vdev,
			    struct iommufd_ctx *ictx)
{
	return -ENODEV;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_get_dev_id);

#endif /* VFIO_OOT_IOMMUFD */
