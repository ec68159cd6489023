/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio.ko: what the core offers bus drivers (vfio-pci, mdev parents,
 * vfio-platform) and frontends (the group module, the cdev module).
 *
 * Function names and signatures follow upstream Linux so that variant
 * drivers written for the in-tree stack build against ours unchanged.
 */
#ifndef _VFIO_VFIO_H
#define _VFIO_VFIO_H

#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <uapi/linux/vfio.h>

struct kvm;
struct vfio_device;
struct vfio_device_file;
struct vfio_group;
struct iommufd_ctx;
struct iommufd_device;
struct iommufd_access;

/*
 * Devices that must be reset together (same slot or bus) share one set.
 * Lock order: the core's set-membership lock, then vfio_device_set.lock.
 * A frontend may hold its own outer locks (e.g. its group lock) when it
 * calls vfio_device_open_file(), which takes vfio_device_set.lock; what
 * runs under it (attach_ops, ops->open_device/close_device, the driver's
 * reset paths) may take device, container and backend locks inside.
 * Never take the core registry lock under vfio_device_set.lock.
 */
struct vfio_device_set {
	void *set_id;
	struct mutex lock;	/* device_list, members' open_count, dma_df */
	struct list_head device_list;
	unsigned int device_count;	/* under the core's membership lock */
};

/* How a device reaches the IOMMU; decides which group it joins. */
enum vfio_group_type {
	/* A real IOMMU group isolates the device. */
	VFIO_IOMMU,
	/* The driver does DMA through pin/rw helpers: a private fake group. */
	VFIO_EMULATED_IOMMU,
	/* No isolation at all: only with enable_unsafe_noiommu_mode. */
	VFIO_NO_IOMMU,
};

struct vfio_device {
	struct device *dev;			/* the bus device */
	const struct vfio_device_ops *ops;
	const struct vfio_migration_ops *mig_ops;
	const struct vfio_log_ops *log_ops;
	struct vfio_device_set *dev_set;
	struct list_head dev_set_list;		/* under dev_set->lock */
	unsigned int migration_flags;
	/* Set by the core before ops->open_device, cleared after close. */
	struct kvm *kvm;

	/* Everything below is owned by the core and its frontends. */
	unsigned int index;			/* vfio-dev/vfioN */
	struct device device;			/* the vfio-dev class device */
	/* One reference per user of the registration; unregister waits. */
	refcount_t refcount;
	struct completion comp;			/* refcount reached zero */
	unsigned int open_count;		/* under dev_set->lock */
	enum vfio_group_type group_type;
	/* Pseudo-fs inode: every device fd maps through it, so bus
	 * drivers can zap all user mappings with unmap_mapping_range().
	 */
	struct inode *inode;
	/* /sys/kernel/debug/vfio/<dev name>, NULL without debugfs. */
	struct dentry *debug_root;
	/*
	 * /dev/vfio/devices/vfioN: added by the core with the class device
	 * (devt set) unless the device is noiommu or its driver lacks the
	 * iommufd ops; its open hands out unbound fds of the cdev frontend.
	 */
	struct cdev cdev;
	/* Frontend state, opaque to the core. */
	struct vfio_group *group;		/* group module */
	struct list_head group_next;		/* under group->device_lock */
	/* iommufd binding: under dev_set->lock (vfio_iommufd_* helpers). */
	struct iommufd_device *iommufd_device;
	struct iommufd_access *iommufd_access;
	u8 iommufd_attached:1;
	/* Opened through the cdev (bound); under dev_set->lock. */
	u8 cdev_opened:1;
	/* Core: drops the reference on kvm; under dev_set->lock. */
	void (*put_kvm)(struct kvm *kvm);

	/* Core private. */
	/* On the core's device lists; under the core registry lock. */
	struct list_head reg_next;
	/* Frontends with seq <= fe_seq have seen device_add; registry lock. */
	u64 fe_seq;
	/*
	 * Blocks held by an exclusive frontend (a cdev bind), see
	 * vfio_device_block_frontends(); under the registry lock.
	 */
	unsigned int fe_blocked;
	/* The open that attached DMA; pin/rw go through it. Set and cleared
	 * under dev_set->lock, stable while open_count > 0.
	 */
	struct vfio_device_file *dma_df;
};

/**
 * struct vfio_device_ops - what a bus driver implements
 * @name: driver name, for messages
 * @init: initialize private fields right after allocation
 * @release: free private fields; the core frees the object itself
 * @bind_iommufd, @unbind_iommufd, @attach_ioas, @detach_ioas: cdev path,
 *	filled with the vfio_iommufd_* helpers
 * @open_device: first open of the device across all fds
 * @close_device: last close
 * @read, @write, @ioctl, @mmap: the device fd's file operations
 * @request: the core wants the device back (unregister); @count
 *	counts how often it asked
 * @match: decide whether a GET_DEVICE_FD string names this device;
 *	return 1 for a match, 0 for none, negative errno to refuse
 * @dma_unmap: an emulated-IOMMU range goes away; drop pins in it
 * @device_feature: VFIO_DEVICE_FEATURE for features the core does
 *	not handle itself
 */
struct vfio_device_ops {
	char	*name;

	/* Lifetime of the object, and of its use by the first opener. */
	int	(*init)(struct vfio_device *vdev);
	void	(*release)(struct vfio_device *vdev);
	int	(*open_device)(struct vfio_device *vdev);
	void	(*close_device)(struct vfio_device *vdev);

	/* The device fd. */
	ssize_t	(*read)(struct vfio_device *vdev, char __user *buf,
			size_t count, loff_t *ppos);
	int	(*mmap)(struct vfio_device *vdev, struct vm_area_struct *vma);
	ssize_t	(*write)(struct vfio_device *vdev, const char __user *buf,
			 size_t count, loff_t *size);
	long	(*ioctl)(struct vfio_device *vdev, unsigned int cmd, unsigned long arg);
	int	(*device_feature)(struct vfio_device *vdev, u32 flags, void __user *arg,
				  size_t argsz);

	/* Calls from the core. */
	void	(*request)(struct vfio_device *vdev, unsigned int count);
	int	(*match)(struct vfio_device *vdev, char *buf);
	void	(*dma_unmap)(struct vfio_device *vdev, u64 iova, u64 length);

	/* The cdev path. */
	int	(*bind_iommufd)(struct vfio_device *vdev, struct iommufd_ctx *ictx,
				u32 *out_device_id);
	int	(*attach_ioas)(struct vfio_device *vdev, u32 *pt_id);
	void	(*detach_ioas)(struct vfio_device *vdev);
	void	(*unbind_iommufd)(struct vfio_device *vdev);
};

/* Migration v2 and DMA logging: filled by drivers that support them. */
struct vfio_migration_ops {
	struct file *(*migration_set_state)(struct vfio_device *vdev,
					    enum vfio_device_mig_state new_state);
	int (*migration_get_state)(struct vfio_device *vdev,
				   enum vfio_device_mig_state *curr_state);
	int (*migration_get_data_size)(struct vfio_device *vdev,
				       unsigned long *stop_copy_length);
};

struct rb_root_cached;
struct iova_bitmap;

struct vfio_log_ops {
	int (*log_start)(struct vfio_device *vdev,
			 struct rb_root_cached *ranges, u32 nnodes,
			 u64 *page_size);
	int (*log_stop)(struct vfio_device *vdev);
	int (*log_read_and_clear)(struct vfio_device *vdev,
				  unsigned long iova, unsigned long length,
				  struct iova_bitmap *dirty);
};

/*
 * For log_read_and_clear: mark [iova, iova + length) dirty in @dirty.
 * Use it instead of iova_bitmap_set(), which Debian's kernel lacks.
 */
void vfio_log_mark_dirty(struct iova_bitmap *dirty, unsigned long iova,
			 unsigned long length);

/* Allocation and lifetime */
struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev,
				       const struct vfio_device_ops *ops);
/*
 * @type is the name of the driver's struct, whose @member, the struct
 * vfio_device, must come first: the result is also an ERR_PTR on error.
 */
#define vfio_alloc_device(type, member, dev, ops)				\
	((struct type *)_vfio_alloc_device(sizeof(struct type) +		\
		BUILD_BUG_ON_ZERO(offsetof(struct type, member)), dev, ops))

static inline void vfio_put_device(struct vfio_device *vdev)
{
	put_device(&vdev->device);
}

/* Before registering: devices reset together share a set_id. */
int vfio_assign_device_set(struct vfio_device *vdev, void *set_id);
struct vfio_device *vfio_find_device_in_devset(struct vfio_device_set *dev_set,
					       struct device *dev);
unsigned int vfio_device_set_open_count(struct vfio_device_set *dev_set);

int vfio_register_group_dev(struct vfio_device *vdev);
int vfio_register_emulated_iommu_dev(struct vfio_device *vdev);
/* Waits until no user holds the device; asks them through ops->request. */
void vfio_unregister_group_dev(struct vfio_device *vdev);

/*
 * The iommufd helpers for vfio_device_ops (the cdev path), exported by
 * vfio.ko like upstream's. Physical devices (vfio_register_group_dev)
 * bind their struct device to the iommufd; emulated ones
 * (vfio_register_emulated_iommu_dev) get an iommufd access and do DMA
 * through vfio_pin_pages()/vfio_dma_rw(). The core calls bind, unbind,
 * attach_ioas and detach_ioas with dev_set->lock held. Built without
 * iommufd.ko (CONFIG_VFIO_OOT_IOMMUFD=n), bind answers -EOPNOTSUPP and
 * no device gets a cdev.
 */
int vfio_iommufd_physical_bind(struct vfio_device *vdev,
			       struct iommufd_ctx *ictx, u32 *out_device_id);
void vfio_iommufd_physical_unbind(struct vfio_device *vdev);
int vfio_iommufd_physical_attach_ioas(struct vfio_device *vdev, u32 *pt_id);
void vfio_iommufd_physical_detach_ioas(struct vfio_device *vdev);
int vfio_iommufd_emulated_bind(struct vfio_device *vdev,
			       struct iommufd_ctx *ictx, u32 *out_device_id);
void vfio_iommufd_emulated_unbind(struct vfio_device *vdev);
int vfio_iommufd_emulated_attach_ioas(struct vfio_device *vdev, u32 *pt_id);
void vfio_iommufd_emulated_detach_ioas(struct vfio_device *vdev);
/* The context a cdev-opened device is bound to, or NULL. */
struct iommufd_ctx *vfio_iommufd_device_ictx(struct vfio_device *vdev);
/*
 * @vdev's device id in @ictx when bound to it; -ENOENT when not bound
 * but its IOMMU group has a device bound to @ictx (owned, no id);
 * -ENODEV (or another -errno) when @ictx does not own it.
 */
int vfio_iommufd_get_dev_id(struct vfio_device *vdev,
			    struct iommufd_ctx *ictx);

/* Whether the device is open through its cdev (a bound fd). */
static inline bool vfio_device_cdev_opened(struct vfio_device *vdev)
{
	return vdev->cdev_opened;
}

/* A growing buffer of capability headers, linked through ->next. */
struct vfio_info_cap {
	struct vfio_info_cap_header *buf;
	size_t size;
};

/* Helpers for a driver's ioctl handler */
struct vfio_info_cap_header *vfio_info_cap_add(struct vfio_info_cap *caps,
					       size_t size, u16 id, u16 version);
int vfio_info_add_capability(struct vfio_info_cap *caps,
			     struct vfio_info_cap_header *cap, size_t size);
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset);
int vfio_check_feature(u32 flags, size_t argsz, u32 supported_ops, size_t minsz);
int vfio_set_irqs_validate_and_prepare(struct vfio_irq_set *hdr, int num_irqs,
				       int max_irq_type, size_t *data_size);

/* Migration v2 helpers for drivers with mig_ops / log_ops. */
void vfio_combine_iova_ranges(struct rb_root_cached *root, u32 cur_nodes, u32 req_nodes);
int vfio_mig_get_next_state(struct vfio_device *vdev,
			    enum vfio_device_mig_state cur_fsm,
			    enum vfio_device_mig_state new_fsm,
			    enum vfio_device_mig_state *next_fsm);

#ifndef VFIO_PIN_PAGES_MAX_ENTRIES
#define VFIO_PIN_PAGES_MAX_ENTRIES	(PAGE_SIZE / sizeof(unsigned long))
#endif

/* Pin/rw for emulated-IOMMU devices, routed to whichever backend the
 * device is attached to (a type1 container or an iommufd access).
 */
int vfio_pin_pages(struct vfio_device *vdev, dma_addr_t iova, int npage,
		   int prot, struct page **pages);
void vfio_unpin_pages(struct vfio_device *vdev, dma_addr_t iova, int npage);
int vfio_dma_rw(struct vfio_device *vdev, dma_addr_t iova, void *data,
		size_t len, bool write);

/* The vfio_file_* API: KVM finds these through symbol_get(). */
struct iommu_group *vfio_file_iommu_group(struct file *file);
bool vfio_file_is_valid(struct file *file);
bool vfio_file_enforced_coherent(struct file *file);
void vfio_file_set_kvm(struct file *file, struct kvm *kvm);
bool vfio_file_is_group(struct file *file);
bool vfio_file_has_dev(struct file *file, struct vfio_device *vdev);

/* ------------------------------------------------------------------ */
/* Frontends: how userspace reaches devices (group path, cdev path).   */

/*
 * How a device fd attaches DMA on the device's first open and detaches
 * it on the last close. The group module attaches to the container,
 * the cdev module to an iommufd. attach, detach and get_kvm are called
 * under dev_set->lock. detach gets the same df that attached, even when
 * that fd was closed before the last one: the core keeps it until then.
 * pin_pages, unpin_pages and dma_rw are called without core locks, with
 * the df that attached, while the device is open.
 * The fd's release runs detach with only dev_set->lock held, so attach,
 * detach and get_kvm must not take a lock that the frontend holds while
 * it calls vfio_device_open_file() (that would invert the order).
 *
 * @owner: pinned by the core for as long as a df using these ops lives
 * @exclusive: the device opens through one df only (the cdev path): a
 *	second open fails with -EINVAL instead of sharing the first
 * @get_kvm: optional; on first open take the KVM reference by calling
 *	vfio_device_hold_kvm() while holding the lock that keeps the
 *	frontend's kvm pointer valid (the one its file_set_kvm takes).
 *	When NULL the core takes the @kvm given to vfio_device_open_file(),
 *	and the caller must keep that struct kvm valid during the call.
 * @ioctl: optional; the frontend's own device ioctls
 *	(VFIO_DEVICE_BIND_IOMMUFD, even on an fd without access yet, and
 *	VFIO_DEVICE_ATTACH/DETACH_IOMMUFD_PT), called after the core copied
 *	the mandatory part of the argument to @karg and checked argsz and
 *	flags. Without it BIND is -EINVAL ("only for cdev fds", as
 *	upstream) and ATTACH/DETACH go to the driver's ioctl. No core lock
 *	is held.
 * @release: optional; the df is about to be freed (its fd is closed and,
 *	if it opened the device, the open is undone). No core lock held.
 */
struct vfio_device_attach_ops {
	struct module *owner;
	bool exclusive;
	int (*attach)(struct vfio_device_file *df);
	void (*detach)(struct vfio_device_file *df);
	void (*get_kvm)(struct vfio_device_file *df);
	int (*pin_pages)(struct vfio_device_file *df, dma_addr_t iova,
			 int npage, int prot, struct page **pages);
	void (*unpin_pages)(struct vfio_device_file *df, dma_addr_t iova,
			    int npage);
	int (*dma_rw)(struct vfio_device_file *df, dma_addr_t iova,
		      void *data, size_t len, bool write);
	long (*ioctl)(struct vfio_device_file *df, unsigned int cmd,
		      void *karg, void __user *uarg);
	void (*release)(struct vfio_device_file *df);
};

/* One open of a device: the private data of a device fd. */
struct vfio_device_file {
	struct vfio_device *device;
	const struct vfio_device_attach_ops *attach_ops;
	void *attach_data;		/* owned by the frontend */
	spinlock_t kvm_ref_lock;	/* protects kvm */
	struct kvm *kvm;
	bool access_granted;		/* device ioctls allowed */
	/* cdev: the bound iommufd and the device's id in it; set by BIND
	 * under dev_set->lock, stable once access is granted.
	 */
	struct iommufd_ctx *iommufd;
	u32 devid;
};

/*
 * A frontend registers with the core. The core calls device_add for each
 * registered device (also for devices registered before the frontend
 * loaded) and device_del before it waits for the device's users: after
 * device_del no new fd may be opened. device_remove follows once the
 * last user is gone (the device's fds are closed): free what open fds
 * still needed there (container attachment, fake iommu_group, ...).
 * All three run under the core registry lock, which is taken before any
 * frontend lock and never under dev_set->lock; a failing device_add
 * makes the device registration (or vfio_register_frontend) fail.
 * file_is_mine is called under rcu_read_lock() and must not sleep; the
 * other file_* hooks run with the frontend's module pinned and may sleep.
 * The file_* hooks answer the vfio_file_* API for the frontend's files.
 *
 * @cdev_attach_ops: the one frontend that serves /dev/vfio/devices/vfioN
 *	sets it: opening the node makes an unbound fd with these ops (only
 *	their ioctl hook runs until the frontend grants access). The core
 *	loads module "vfio_cdev" when no frontend offers them.
 * @block_device, @unblock_device: another frontend hands @vdev out
 *	exclusively (vfio_device_block_frontends()). block fails (-EBUSY)
 *	if this frontend has the device in use, else this frontend stops
 *	handing it out until as many unblocks came. Called under the
 *	registry lock for devices this frontend knows. Blocks taken before
 *	this frontend saw the device are in vdev->fe_blocked at device_add
 *	(and still there at device_remove if never undone).
 */
struct vfio_frontend_ops {
	const char *name;
	struct module *owner;
	int (*device_add)(struct vfio_device *vdev);
	void (*device_del)(struct vfio_device *vdev);
	void (*device_remove)(struct vfio_device *vdev);
	bool (*file_is_mine)(struct file *file);
	struct iommu_group *(*file_iommu_group)(struct file *file);
	bool (*file_enforced_coherent)(struct file *file);
	void (*file_set_kvm)(struct file *file, struct kvm *kvm);
	bool (*file_has_dev)(struct file *file, struct vfio_device *vdev);
	const struct vfio_device_attach_ops *cdev_attach_ops;
	int (*block_device)(struct vfio_device *vdev);
	void (*unblock_device)(struct vfio_device *vdev);
	bool is_group;			/* its files are group fds */
	struct list_head next;		/* core's list of frontends */
	u64 seq;			/* core: registration order */
};

/* vfio.enable_unsafe_noiommu_mode, kept on vfio.ko as upstream does. */
bool vfio_noiommu_enabled(void);

int vfio_register_frontend(struct vfio_frontend_ops *fe);
void vfio_unregister_frontend(struct vfio_frontend_ops *fe);

/* A registration reference keeps the device from finishing unregister. */
bool vfio_device_try_get_registration(struct vfio_device *vdev);
void vfio_device_put_registration(struct vfio_device *vdev);

/*
 * Open the device for one fd: counts the open, attaches DMA through
 * @attach_ops on the first open and calls ops->open_device. Returns a
 * file whose release undoes all of it. The caller's registration
 * reference passes to the file on success; on error it stays with the
 * caller. Takes dev_set->lock: call it without that lock. Fails with
 * -EBUSY while the device is open through other attach_ops.
 */
struct file *vfio_device_open_file(struct vfio_device *vdev,
				   const struct vfio_device_attach_ops *attach_ops,
				   void *attach_data, struct kvm *kvm);
struct vfio_device *vfio_device_from_file(struct file *file);

/*
 * For attach_ops->get_kvm: take a reference on @kvm (may be NULL) for
 * the device's open period. Needs dev_set->lock; does not sleep.
 */
void vfio_device_hold_kvm(struct vfio_device *vdev, struct kvm *kvm);

/*
 * Two-phase files (the cdev path). Opening the node gives an fd whose df
 * has no access (every ioctl but the frontend's BIND, read, write and
 * mmap answer -EINVAL). The frontend binds it: with dev_set->lock held,
 * vfio_df_open_locked() opens the device for @df (first open: attach,
 * KVM through get_kvm, open_device; -EINVAL if the device is already
 * open and the ops are exclusive), then vfio_df_grant_access() makes the
 * fd usable; vfio_df_close_locked() undoes an open that is not granted
 * yet. The fd's release closes a granted df itself.
 */
int vfio_df_open_locked(struct vfio_device_file *df);
void vfio_df_close_locked(struct vfio_device_file *df);
void vfio_df_grant_access(struct vfio_device_file *df);

/*
 * Exclusion between frontends: @self (the cdev frontend, at BIND) asks
 * every other frontend that knows @vdev to stop handing it out; -EBUSY
 * (nothing blocked) if one has it in use. Each success needs one
 * vfio_device_unblock_frontends(). Takes the registry lock: call without
 * dev_set->lock or any frontend lock.
 */
int vfio_device_block_frontends(struct vfio_device *vdev,
				struct vfio_frontend_ops *self);
void vfio_device_unblock_frontends(struct vfio_device *vdev,
				   struct vfio_frontend_ops *self);

#endif /* _VFIO_VFIO_H */
