/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the files of vfio.ko share with each other. Nothing here is
 * exported: other modules use include/vfio/vfio.h.
 */
#ifndef _VFIO_CORE_H
#define _VFIO_CORE_H

#include <vfio/vfio.h>

/*
 * Built with iommufd.ko (top-level Kbuild: CONFIG_VFIO_OOT_IOMMUFD):
 * devices get /dev/vfio/devices/vfioN and the iommufd helpers work.
 */
static inline bool vfio_core_has_cdev(void)
{
#ifdef VFIO_OOT_IOMMUFD
	return true;
#else
	return false;
#endif
}

/* main.c: the "vfio-dev" class, its chrdev region, the pseudo fs */
extern const struct class vfio_dev_class;
extern dev_t vfio_cdev_devt;
struct inode *vfio_core_inode_get(void);
void vfio_core_inode_put(struct inode *inode);

/* device.c */
void vfio_devices_exit(void);

/* debugfs.c: /sys/kernel/debug/vfio, as upstream's CONFIG_VFIO_DEBUGFS */
void vfio_debugfs_init(void);
void vfio_debugfs_exit(void);
void vfio_debugfs_device_add(struct vfio_device *vdev);
void vfio_debugfs_device_remove(struct vfio_device *vdev);

/* dev_set.c */
void vfio_dev_set_leave(struct vfio_device *vdev);
void vfio_dev_sets_exit(void);

/* device_fd.c */
extern const struct file_operations vfio_device_fops;

/* feature.c: VFIO_DEVICE_FEATURE after the header was validated */
int vfio_device_feature(struct vfio_device *vdev, u32 flags,
			void __user *arg, size_t argsz);

/* frontend.c: the registry of devices and frontends */
int vfio_registry_add(struct vfio_device *vdev);
void vfio_registry_del(struct vfio_device *vdev);
void vfio_registry_remove(struct vfio_device *vdev);
const struct vfio_device_attach_ops *vfio_frontend_cdev_ops_get(void);

/* iommufd.c: DMA of emulated devices bound to an iommufd */
int vfio_iommufd_access_pin(struct vfio_device *vdev, dma_addr_t iova,
			    int npage, int prot, struct page **pages);
void vfio_iommufd_access_unpin(struct vfio_device *vdev, dma_addr_t iova,
			       int npage);
int vfio_iommufd_access_rw(struct vfio_device *vdev, dma_addr_t iova,
			   void *data, size_t len, bool write);

#endif /* _VFIO_CORE_H */
