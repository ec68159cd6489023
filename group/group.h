/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_group.ko internals: the legacy group/container frontend.
 *
 * Lock order, outermost first:
 *
 *   core registry lock        (the core holds it around device_add,
 *                              device_del, device_remove, block_device
 *                              and unblock_device)
 *   vfio_device_set.lock      (the core holds it around attach, detach
 *                              and get_kvm; never with the one above)
 *   vgrp_registry.lock        (list of live groups, see group.c)
 *   vfio_group.lock
 *   vfio_container.lock       (or, for a group on an iommufd, iommufd's
 *                              own locks: compat IOAS, bind, attach)
 *   vgrp_backends_lock        (registered IOMMU backends, container.c)
 *   backend internal locks    (type1's own mutexes)
 *
 * vfio_group.device_lock and vfio_group.kvm_lock are leaves: nothing of
 * ours is taken inside them (device_lock covers ops->match and
 * vfio_device_try_get_registration, kvm_lock vfio_device_hold_kvm; none
 * of them takes a lock of ours).
 */
#ifndef _VFIO_GROUP_GROUP_H
#define _VFIO_GROUP_GROUP_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <vfio/vfio.h>
#include <vfio/iommu_backend.h>

/* The most pages one pin/unpin request may name, as upstream allows. */
#define VGRP_PIN_MAX_PAGES	(PAGE_SIZE / sizeof(unsigned long))

struct vfio_container;
struct iommufd_ctx;
struct kvm;

/*
 * One /dev/vfio/N node: every vfio device of one IOMMU group (or of one
 * fake group for emulated and noiommu devices).
 *
 * The memory lives as long as @dev has references: one held by the
 * registry while devices are linked, one per open group fd (through the
 * cdev), and the attached device fds pin the group fd.
 */
struct vfio_group {
	struct device dev;
	struct cdev cdev;
	enum vfio_group_type type;
	/*
	 * Referenced from creation until the last device leaves (then
	 * NULL, see vgrp_device_remove()). Set while the group is in the
	 * registry or in a container; once orphaned, read it under lock.
	 */
	struct iommu_group *iommu_group;

	/* Under vgrp_registry.lock. */
	struct list_head registry_node;
	unsigned int dev_count;		/* added and not yet removed */

	/*
	 * Protects every field below up to device_lock. Taken inside the
	 * core's dev_set lock (attach/detach), before the container lock.
	 */
	struct mutex lock;
	struct file *opened_file;	/* the one open group fd */
	/*
	 * Devices of the group bound through their cdev (counted blocks,
	 * see vgrp_block_device()): the group fd cannot be opened
	 * meanwhile, and while it is open no device can be bound.
	 */
	unsigned int cdev_bound;
	/*
	 * What VFIO_GROUP_SET_CONTAINER set: a container or (iommufd.c)
	 * an iommufd context, with a reference; never both.
	 */
	struct vfio_container *container;
	struct list_head container_node; /* also under container->lock */
	struct iommufd_ctx *iommufd;
	unsigned int attached_devs;	/* devices with open fds */
	bool orphaned;			/* last device left: no new users */

	/* Protects device_list; a leaf lock. */
	struct mutex device_lock;
	struct list_head device_list;	/* vfio_device.group_next */

	/* Protects kvm against KVM clearing it; a leaf spinlock. */
	spinlock_t kvm_lock;
	struct kvm *kvm;
};

/* container.c */
int vgrp_container_init(void);
void vgrp_container_exit(void);
struct vfio_container *vgrp_container_from_file(struct file *file);
int vgrp_container_join(struct vfio_container *container,
			struct vfio_group *group);
void vgrp_container_leave(struct vfio_group *group);
int vgrp_container_use(struct vfio_group *group);
void vgrp_container_add_device(struct vfio_group *group,
			       struct vfio_device *vdev);
void vgrp_container_remove_device(struct vfio_group *group,
				  struct vfio_device *vdev);
int vgrp_container_pin(struct vfio_group *group, dma_addr_t iova,
		       int npage, int prot, struct page **pages);
void vgrp_container_unpin(struct vfio_group *group, dma_addr_t iova,
			  int npage);
int vgrp_container_rw(struct vfio_group *group, dma_addr_t iova,
		      void *data, size_t len, bool write);

/* iommufd.c */
int vgrp_iommufd_join(struct vfio_group *group, struct file *file);
void vgrp_iommufd_leave(struct vfio_group *group);
extern const struct vfio_device_attach_ops vgrp_iommufd_attach_ops;

/* group.c */
int vgrp_groups_init(void);
void vgrp_groups_exit(void);
int vgrp_device_add(struct vfio_device *vdev);
void vgrp_device_del(struct vfio_device *vdev);
void vgrp_device_remove(struct vfio_device *vdev);
int vgrp_block_device(struct vfio_device *vdev);
void vgrp_unblock_device(struct vfio_device *vdev);
struct vfio_group *vgrp_from_file(struct file *file);
bool vgrp_enforced_coherent(struct vfio_group *group);
void vgrp_set_kvm(struct vfio_group *group, struct kvm *kvm);
void vgrp_df_get_kvm(struct vfio_device_file *df);

#endif /* _VFIO_GROUP_GROUP_H */
