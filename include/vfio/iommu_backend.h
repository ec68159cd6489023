/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The group module (group/) offers IOMMU backends such as type1 a place
 * to register: the legacy container hands them its ioctls, its groups
 * and the pin/rw requests of emulated-IOMMU devices.
 */
#ifndef _VFIO_IOMMU_BACKEND_H
#define _VFIO_IOMMU_BACKEND_H

#include <vfio/vfio.h>

/**
 * struct vfio_iommu_driver_ops - an IOMMU backend of the container
 * @name: shown in messages
 * @owner: pinned while a container uses the backend
 * @open: VFIO_SET_IOMMU chose this backend; @arg is the iommu type.
 *	Return private data or ERR_PTR (-EINVAL for a type not ours)
 * @release: the container goes away
 * @ioctl: container ioctls other than the container's own; also
 *	VFIO_CHECK_EXTENSION with a NULL @iommu_data before SET_IOMMU
 * @attach_group, @detach_group: a group joins or leaves the container
 * @pin_pages, @unpin_pages, @dma_rw: for emulated-IOMMU devices
 * @register_device, @unregister_device: a device with ops->dma_unmap
 *	(an emulated-IOMMU one) opens or closes, so unmaps can reach its
 *	ops->dma_unmap; both or neither must be set
 * @group_iommu_domain: the domain a group is attached to (KVM/SPAPR)
 *
 * @open, @release, @ioctl, @attach_group and @detach_group are required.
 *
 * Locking: @ioctl, @register_device and @unregister_device run with the
 * container's lock held for read (so the backend cannot be released
 * under them); @open, @attach_group, @detach_group and @release with it
 * held for write. Nothing calls @group_iommu_domain today. @pin_pages,
 * @unpin_pages and @dma_rw come from drivers of an open device and run
 * without it, so a backend may call a driver's dma_unmap from @ioctl and
 * let the driver unpin. @ioctl(NULL, VFIO_CHECK_EXTENSION, ...) may run
 * at any time, for any container. No callback may call back into the
 * container (register/unregister a backend, open or close a group).
 */
struct vfio_iommu_driver_ops {
	char		*name;
	struct module	*owner;

	/* The container's life with this backend. */
	void		*(*open)(unsigned long arg);
	long		(*ioctl)(void *iommu_data, unsigned int cmd, unsigned long arg);
	void		(*release)(void *iommu_data);

	/* Its groups and devices. */
	int		(*attach_group)(void *iommu_data, struct iommu_group *group,
					enum vfio_group_type type);
	void		(*detach_group)(void *iommu_data, struct iommu_group *group);
	struct iommu_domain *(*group_iommu_domain)(void *iommu_data,
						   struct iommu_group *group);
	void		(*register_device)(void *iommu_data, struct vfio_device *vdev);
	void		(*unregister_device)(void *iommu_data, struct vfio_device *vdev);

	/* Emulated-IOMMU devices' access to user memory. */
	int		(*pin_pages)(void *iommu_data, dma_addr_t user_iova, int npage,
				     int prot, struct page **pages);
	void		(*unpin_pages)(void *iommu_data, dma_addr_t user_iova, int npage);
	int		(*dma_rw)(void *iommu_data, dma_addr_t user_iova, void *data,
				  size_t count, bool write);
};

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops);

#endif /* _VFIO_IOMMU_BACKEND_H */
