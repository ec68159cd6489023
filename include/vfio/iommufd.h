/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel side of our iommufd.ko, for the modules that use it (the
 * vfio core and its cdev frontend, vfio_group, mdev parents). Our own
 * declarations with upstream 6.12's names and signatures, so drivers
 * written for the in-tree stack port unchanged; never the kernel's
 * <linux/iommufd.h>, which describes the in-tree implementation.
 *
 * Everything here is exported in namespace IOMMUFD (the compat helpers in
 * IOMMUFD_VFIO), as upstream. The context, device and access objects are
 * opaque outside iommufd.ko.
 *
 * Locking contract: callers may hold their own locks (vfio's
 * dev_set->lock) around bind/attach/detach/unbind; iommufd takes only its
 * own locks inside. The access ops' unmap callback runs with no iommufd
 * lock held and may call iommufd_access_unpin_pages().
 */
#ifndef VFIO_IOMMUFD_H
#define VFIO_IOMMUFD_H

#include <linux/types.h>

struct device;
struct file;
struct iommu_group;
struct page;
struct iommufd_ctx;
struct iommufd_device;
struct iommufd_access;

/* Contexts: one per open of /dev/iommu. */
struct iommufd_ctx *iommufd_ctx_from_file(struct file *file);
struct iommufd_ctx *iommufd_ctx_from_fd(int fd);
void iommufd_ctx_get(struct iommufd_ctx *ictx);
void iommufd_ctx_put(struct iommufd_ctx *ictx);
bool iommufd_ctx_has_group(struct iommufd_ctx *ictx,
			   struct iommu_group *group);

/*
 * Devices with a real IOMMU group. bind claims DMA ownership of @dev for
 * the context (-EPERM if a container or another context owns it) and
 * publishes a DEVICE object whose id goes to *@id. attach and replace
 * take an IOAS id (an automatic HWPT is found or made; *@pt_id becomes
 * its id) or a HWPT_PAGING id. detach returns the device to blocked DMA.
 */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
void iommufd_device_unbind(struct iommufd_device *idev);
int iommufd_device_attach(struct iommufd_device *idev, u32 *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, u32 *pt_id);
void iommufd_device_detach(struct iommufd_device *idev);
struct iommufd_ctx *iommufd_device_to_ictx(struct iommufd_device *idev);
u32 iommufd_device_to_id(struct iommufd_device *idev);

/* Emulated devices (mdev parents): DMA by pinning or copying. */
struct iommufd_access_ops {
	u8 needs_pin_pages : 1;
	void (*unmap)(void *data, unsigned long iova, unsigned long length);
};

enum {
	IOMMUFD_ACCESS_RW_READ = 0,
	IOMMUFD_ACCESS_RW_WRITE = 1 << 0,
	/* Set when the caller runs in a kthread (no current->mm). */
	IOMMUFD_ACCESS_RW_KTHREAD = 1 << 1,
};

struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      u32 *id);
void iommufd_access_destroy(struct iommufd_access *access);
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id);
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id);
void iommufd_access_detach(struct iommufd_access *access);
int iommufd_access_pin_pages(struct iommufd_access *access,
			     unsigned long iova, unsigned long length,
			     struct page **out_pages, unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length);
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t len, unsigned int flags);

/* VFIO compatibility (namespace IOMMUFD_VFIO): a group on an iommufd. */
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx,
				    u32 *out_ioas_id);
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx);
int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx);

#endif /* VFIO_IOMMUFD_H */
