/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private declarations of iommufd.ko: the per-open context, the object
 * table, the I/O address space (IOAS) with its IOVA bookkeeping, HWPTs,
 * bound devices with their per-group attach state, and accesses.
 *
 * Lock order (outermost first); nothing may be taken in the other
 * direction:
 *
 *   vfio's dev_set->lock    held by the caller around bind/attach/unbind
 *   ifd_igroup.lock         attach state of one iommu_group in a context
 *   ifd_ioas.mutex          HWPTs of one IOAS (creation, reuse, destruction)
 *   iommufd_access.ioas_lock  the IOAS an access is attached to
 *   ifd_iova.rwsem          areas/allowed/reserved trees of one IOAS
 *   ifd_pages.mutex         pin state of one MAP's user memory
 *   ifd_fault.mutex         (inside igroup->lock: detach answers the
 *                           faults of the attachment) read/write of a
 *                           fault queue; inside it the IOMMU core's
 *                           fault_param lock (responses)
 *   ifd_fault.lock          spinlock, leaf: the queue of unread faults
 *   mmap_lock of the MAP caller's mm (GUP, locked_vm); beside it, also
 *   inside iova.rwsem: the IOMMU core's group mutex and the driver's
 *   locks (attach, domain fill/unfill)
 *   iommufd_ctx.groups_lock the igroup table; taken alone (bind/unbind)
 *   xa_lock(ctx->objects)   leaf: refcount/slot updates and the compat
 *                           IOAS pointer only
 *   xa_lock(iova->accesses) leaf
 *
 * An access's unmap callback runs with no iommufd lock held: the driver
 * unpins from it (ioas_lock, iova.rwsem, pages.mutex).
 *
 * Reference owners: the object table owns one "users" reference of each
 * published object; an ioctl holding an object from ifd_obj_get() owns
 * one more "users" and one "shortterm" reference until ifd_obj_put();
 * each area owns one kref of its ifd_pages and, while filled, one pin of
 * them; each access pin range owns either a pin of its ifd_pages or pins
 * of its own; each HWPT_PAGING owns one "users" reference of its IOAS and
 * its domain, a HWPT_NESTED one of its parent; each attached device owns
 * one "users" reference of its group's HWPT; an attached access owns one
 * of its IOAS. The kernel caller of bind/access_create owns one "users"
 * reference of the DEVICE/ACCESS object (so userspace cannot DESTROY it)
 * and the object owns a reference of the context's file: a context lives
 * as long as its file, which bound devices and accesses keep open.
 */
#ifndef IFD_H
#define IFD_H

#include <linux/fs.h>
#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

#include <vfio/iommufd.h>
#include <vfio/pinrun.h>

enum ifd_obj_type {
	IFD_OBJ_NONE,
	IFD_OBJ_ANY,
	IFD_OBJ_IOAS,
	IFD_OBJ_HWPT_PAGING,
	IFD_OBJ_HWPT_NESTED,
	IFD_OBJ_DEVICE,
	IFD_OBJ_ACCESS,
	IFD_OBJ_FAULT,
	IFD_OBJ_MAX,
};

/*
 * How pinned pages are charged (IOMMU_OPTION_RLIMIT_MODE), in the pin
 * engine's terms. Every mode also counts them in mm->pinned_vm.
 */
enum ifd_account {
	IFD_ACCOUNT_NONE = PINRUN_ACCT_NONE,	/* CAP_IPC_LOCK: not charged */
	IFD_ACCOUNT_USER = PINRUN_ACCT_USER,	/* user->locked_vm (default) */
	IFD_ACCOUNT_MM = PINRUN_ACCT_MM,	/* mm->locked_vm, as type1 */
};

/*
 * Header of every object in the table. @users: long-term references (the
 * table's own plus one per holder); @shortterm: ioctls in flight, starts
 * at 1 for the table and is what DESTROY waits on after unpublishing.
 */
struct ifd_obj {
	enum ifd_obj_type type;
	u32 id;
	refcount_t users;
	refcount_t shortterm;
};

struct ifd_ioas;

/* One open of /dev/iommu; lives exactly as long as @file. */
struct iommufd_ctx {
	struct file *file;
	/*
	 * id -> struct ifd_obj *; XA_ZERO_ENTRY while an id is reserved.
	 * Its xa_lock also protects @vfio_ioas and @no_iommu_mode.
	 */
	struct xarray objects;
	/* DESTROY and unbind wait here for shortterm references to drain */
	wait_queue_head_t destroy_wait;
	/* enum ifd_account for new mappings; changed only with no objects */
	u8 account_mode;
	/* VFIO compat: a noiommu group joined, no IOAS may serve as compat */
	u8 no_iommu_mode;
	/* VFIO compat: the IOAS the container ioctls act on (not a ref) */
	struct ifd_ioas *vfio_ioas;
	/* Protects @groups and the igroups' krefs reaching zero. Alone. */
	struct mutex groups_lock;
	/* iommu_group id -> struct ifd_igroup, for bound devices */
	struct xarray groups;
};

/* --- object.c --- */
struct ifd_obj *ifd_obj_reserve(struct iommufd_ctx *ctx, size_t size,
				enum ifd_obj_type type);
void ifd_obj_publish(struct iommufd_ctx *ctx, struct ifd_obj *obj);
void ifd_obj_abort(struct iommufd_ctx *ctx, struct ifd_obj *obj);
void ifd_obj_abort_destroy(struct iommufd_ctx *ctx, struct ifd_obj *obj);
bool ifd_obj_lock(struct ifd_obj *obj);
struct ifd_obj *ifd_obj_get(struct iommufd_ctx *ctx, u32 id,
			    enum ifd_obj_type type);
void ifd_obj_put(struct iommufd_ctx *ctx, struct ifd_obj *obj);
int ifd_obj_destroy_id(struct iommufd_ctx *ctx, u32 id);
void ifd_obj_put_try_destroy(struct iommufd_ctx *ctx, struct ifd_obj *obj);
void ifd_obj_destroy_owned(struct iommufd_ctx *ctx, struct ifd_obj *obj);
void ifd_obj_destroy_all(struct iommufd_ctx *ctx);

/* --- pages.c: the user memory behind one IOAS_MAP --- */
/*
 * Shared by every area made from the same IOAS_MAP (COPY adds areas, not
 * pages). Pinned lazily and whole: nothing while no area of it is in a
 * domain (or, later, pinned by an access); all @npages on the first pin
 * user, once, however many areas, IOASes and domains map it; released
 * when the last pin user goes.
 */
struct ifd_pages {
	struct kref kref;
	unsigned long uva;		/* page aligned start */
	unsigned long npages;
	bool writable;
	/*
	 * The MAP caller: mm (mmgrab()ed) pinned from and charged, its group
	 * leader (RLIMIT_MEMLOCK), its user_struct; own.mode is the enum
	 * ifd_account fixed at MAP time.
	 */
	struct pinrun_owner own;
	/*
	 * Protects @pin_users, @runs while it changes, and @charged. Taken
	 * inside iova.rwsem; takes the owner mm's mmap_lock (GUP, locked_vm).
	 * A pin user may read @runs without it: the store only changes on
	 * the first pin and after the last unpin.
	 */
	struct mutex mutex;
	unsigned int pin_users;		/* areas in domains, accesses later */
	struct pinrun_store runs;	/* all of npages while pin_users > 0 */
	long charged;			/* pages charged for @runs */
};

struct ifd_pages *ifd_pages_new(struct iommufd_ctx *ctx, unsigned long uva,
				unsigned long length, bool writable);
void ifd_pages_put(struct ifd_pages *pages);
int ifd_pages_pin(struct ifd_pages *pages);
void ifd_pages_unpin(struct ifd_pages *pages);
int ifd_pages_fill(struct ifd_pages *pages, struct iommu_domain *domain,
		   unsigned long iova, unsigned long first_page,
		   unsigned long npages, int prot, bool small,
		   struct pinrun_batch *b);
void ifd_pages_unfill(struct iommu_domain *domain, unsigned long iova,
		      unsigned long length);
int ifd_pages_rw(struct ifd_pages *pages, unsigned long start_byte,
		 void *data, unsigned long length, bool write);

/* --- iova.c: the address space of one IOAS --- */
struct ifd_area {
	struct interval_tree_node node;	/* IOVA range, inclusive */
	struct ifd_pages *pages;	/* one kref */
	unsigned long start_byte;	/* offset of node.start in pages */
	int prot;			/* IOMMU_READ/WRITE/CACHE */
	/* holds a pin of @pages and is mapped in every domain of the IOAS */
	bool filled;
	/* an UNMAP waits for accesses to let go: no new access use */
	bool prevent_access;
	/*
	 * Access pins in this area (struct ifd_apin, keyed by page index of
	 * @pages) and the number of pin calls they stand for. Changed under
	 * pages->mutex with iova.rwsem held for read, so iova.rwsem held for
	 * write is enough to read @num_accesses.
	 */
	struct rb_root_cached apins;
	unsigned int num_accesses;
};

int ifd_area_access_pin(struct ifd_area *area, unsigned long first,
			unsigned long last, struct page **out);
void ifd_area_access_unpin(struct ifd_area *area, unsigned long first,
			   unsigned long last);
void ifd_area_access_release_all(struct ifd_area *area);

/* An ALLOW_IOVAS range; also the node type of the reserved tree. */
struct ifd_span {
	struct interval_tree_node node;
	const void *owner;	/* reserved: the domain (aperture) or device */
};

struct ifd_iova {
	/*
	 * Protects the three trees, @domains, the alignments, @no_huge and
	 * the areas' @filled. Taken for write to change them, read to look.
	 * Held (write) across pinning and domain (un)fills, so inside it:
	 * ifd_pages.mutex, mmap_lock, the IOMMU driver's page-table locks,
	 * xa_lock.
	 */
	struct rw_semaphore rwsem;
	struct rb_root_cached areas;	/* struct ifd_area */
	struct rb_root_cached allowed;	/* struct ifd_span; empty = all */
	struct rb_root_cached reserved;	/* struct ifd_span; owner-tagged */
	/*
	 * struct iommu_domain * of the HWPTs on this IOAS (ids from
	 * XA_FLAGS_ALLOC); while not empty every area is filled into each.
	 */
	struct xarray domains;
	/* IOVA, length and page offset of new areas must be multiples */
	unsigned long alignment;
	/* the largest smallest IOMMU page of @domains (1 without any) */
	unsigned long domain_align;
	bool no_huge;			/* IOMMU_OPTION_HUGE_PAGES == 0 */
	/*
	 * struct iommufd_access * attached here (XA_FLAGS_ALLOC ids), told
	 * about UNMAPs. Changed under the rwsem (write); its xa_lock alone
	 * is enough to walk it.
	 */
	struct xarray accesses;
};

/* One area-to-be of a MAP or COPY: a slice of @pages. */
struct ifd_slice {
	struct ifd_pages *pages;	/* one kref, owned by the slice */
	unsigned long start_byte;
	unsigned long length;
};

void ifd_iova_init(struct ifd_iova *iova);
void ifd_iova_destroy(struct ifd_iova *iova);
int ifd_iova_insert(struct ifd_iova *iova, struct ifd_slice *sl,
		    unsigned int nr, unsigned long length, unsigned long *start,
		    bool fixed, int prot);
int ifd_iova_collect(struct ifd_iova *iova, unsigned long start,
		     unsigned long length, struct ifd_slice **out,
		     unsigned int *nr);
int ifd_iova_unmap(struct ifd_iova *iova, unsigned long first,
		   unsigned long last, unsigned long *unmapped);
int ifd_iova_set_allowed(struct ifd_iova *iova, struct rb_root_cached *set);
void ifd_iova_free_spans(struct rb_root_cached *root);
int ifd_iova_set_huge(struct ifd_iova *iova, bool huge);
int ifd_iova_add_domain(struct ifd_iova *iova, struct iommu_domain *domain);
void ifd_iova_remove_domain(struct ifd_iova *iova,
			    struct iommu_domain *domain);
struct ifd_area *ifd_iova_area_at(struct ifd_iova *iova, unsigned long first,
				  unsigned long last);
struct ifd_area *ifd_iova_area_next(struct ifd_area *area);
int ifd_iova_cut(struct ifd_iova *iova, unsigned long last);
int ifd_iova_add_resv(struct ifd_iova *iova, struct device *dev,
		      const void *owner, phys_addr_t *sw_msi_start);
void ifd_iova_remove_resv(struct ifd_iova *iova, const void *owner);
int ifd_iova_add_access(struct ifd_iova *iova, struct iommufd_access *access,
			u32 *id);
void ifd_iova_remove_access(struct ifd_iova *iova, u32 id);

/* --- ioas.c --- */
struct ifd_ioas {
	struct ifd_obj obj;
	struct ifd_iova iova;
	/*
	 * Serializes HWPT creation/destruction on this IOAS (and later the
	 * attaches that pick an auto HWPT); protects @hwpts. Taken inside
	 * igroup->lock, outside iova.rwsem.
	 */
	struct mutex mutex;
	struct list_head hwpts;		/* ifd_hwpt.ioas_node */
};

struct ifd_ioas *ifd_ioas_new(struct iommufd_ctx *ctx);
struct ifd_ioas *ifd_ioas_get(struct iommufd_ctx *ctx, u32 id);
void ifd_ioas_destroy(struct ifd_obj *obj);
int ifd_map_user(struct iommufd_ctx *ctx, struct ifd_ioas *ioas,
		 unsigned long *iova, unsigned long uva, unsigned long length,
		 int prot, bool fixed);

/*
 * --- hwpt.c: HWPTs. PAGING: an IOMMU domain filled from an IOAS. NESTED:
 * a driver-specific domain translating through a PAGING parent. ---
 */
struct ifd_hwpt {
	struct ifd_obj obj;
	struct iommu_domain *domain;	/* ours: freed with the object */
	struct ifd_ioas *ioas;		/* PAGING: one "users" reference */
	struct ifd_hwpt *parent;	/* NESTED: one "users" reference */
	struct list_head ioas_node;	/* in ioas->hwpts, under ioas->mutex */
	bool auto_domain;		/* made by an attach, reusable by one */
	bool enforce_cc;		/* no-snoop blocked: set before filling */
	bool nest_parent;
	bool dirty_tracking;		/* allocated with DIRTY_TRACKING */
	bool dirty_enabled;		/* SET_DIRTY_TRACKING enabled it */
	bool msi_cookie;		/* iommu_get_msi_cookie() done */
	struct ifd_fault *fault;	/* NESTED: one "users" reference */
};

/* The PAGING HWPT whose IOAS backs @hwpt: itself or its parent. */
static inline struct ifd_hwpt *ifd_hwpt_paging(struct ifd_hwpt *hwpt)
{
	return hwpt->obj.type == IFD_OBJ_HWPT_NESTED ? hwpt->parent : hwpt;
}

struct ifd_hwpt *ifd_hwpt_paging_new(struct iommufd_ctx *ctx,
				     struct ifd_ioas *ioas, struct device *dev,
				     u32 flags, bool enforce_cc,
				     bool auto_domain,
				     const struct iommu_user_data *data);
void ifd_hwpt_paging_abort(struct iommufd_ctx *ctx, struct ifd_hwpt *hwpt);
int ifd_hwpt_enforce_cc(struct ifd_hwpt *hwpt);
void ifd_hwpt_paging_destroy(struct ifd_obj *obj);
void ifd_hwpt_nested_destroy(struct ifd_obj *obj);
void ifd_hwpt_put(struct iommufd_ctx *ctx, struct ifd_hwpt *hwpt);

/* --- device.c: bound devices and the attach state of their groups --- */

/* Recorded by the IOMMU core for the group's attachment (fault lookup). */
struct ifd_handle {
	struct iommu_attach_handle handle;
	struct ifd_igroup *igroup;
	u32 dev_id;			/* the device that attached: faults */
};

/*
 * One iommu_group with devices bound to one context. All devices of the
 * group share one attachment: the first attach attaches the group, the
 * others join it, the last detach detaches it.
 */
struct ifd_igroup {
	struct kref kref;		/* bound devices; under ctx->groups_lock */
	struct iommufd_ctx *ctx;	/* not a ref: devices hold the ctx */
	struct iommu_group *group;	/* one reference */
	/*
	 * Protects @hwpt, @devices, @handle and @sw_msi_start. Taken inside
	 * vfio's dev_set->lock, outside ioas->mutex.
	 */
	struct mutex lock;
	struct ifd_hwpt *hwpt;		/* attached, or NULL */
	struct list_head devices;	/* attached idevs (group_node) */
	struct ifd_handle *handle;	/* while attached */
	phys_addr_t sw_msi_start;	/* IOMMU_RESV_SW_MSI base, or MAX */
	struct device *iopf_dev;	/* IOPF enabled for a fault queue */
};

/* A device bound by a kernel driver (vfio) to a context. */
struct iommufd_device {
	struct ifd_obj obj;
	struct iommufd_ctx *ctx;	/* a reference of ctx->file */
	struct device *dev;
	struct ifd_igroup *igroup;	/* one kref */
	struct list_head group_node;	/* in igroup->devices, under its lock */
	bool attached;			/* under igroup->lock */
	bool enforce_cc;		/* needs no-snoop blocked domains */
};

struct iommufd_device *ifd_device_get(struct iommufd_ctx *ctx, u32 id);
void ifd_device_destroy(struct ifd_obj *obj);

/* --- access.c: in-kernel accesses (emulated devices) --- */
struct iommufd_access {
	struct ifd_obj obj;
	struct iommufd_ctx *ctx;	/* a reference of ctx->file */
	const struct iommufd_access_ops *ops;
	void *data;
	unsigned long iova_alignment;	/* PAGE_SIZE if it pins, else 1 */
	/*
	 * Protects @ioas, @ioas_unpin and @list_id. Outside iova.rwsem;
	 * dropped around the unmap callback of a detach.
	 */
	struct mutex ioas_lock;
	struct ifd_ioas *ioas;		/* pins and rw allowed; one ref */
	struct ifd_ioas *ioas_unpin;	/* where unpins go (during a change) */
	u32 list_id;			/* in ioas->iova.accesses */
};

void ifd_access_destroy(struct ifd_obj *obj);

/* --- fault.c: fault queues (IOMMU_FAULT_QUEUE_ALLOC) --- */
struct ifd_fault {
	struct ifd_obj obj;
	struct iommufd_ctx *ctx;	/* not a ref: the file holds one */
	struct file *file;		/* holds one "users" reference */
	/*
	 * Serializes read, write and the answers of a detach; protects
	 * @responses. Inside igroup->lock.
	 */
	struct mutex mutex;
	spinlock_t lock;		/* @pending; leaf, IOPF handler */
	struct list_head pending;	/* iopf_group.node, not read yet */
	struct xarray responses;	/* cookie -> iopf_group read */
	wait_queue_head_t wait;		/* poll: a group was queued */
};

void ifd_fault_destroy(struct ifd_obj *obj);
void ifd_fault_drop_handle(struct ifd_fault *fault,
			   struct iommu_attach_handle *handle);
void ifd_fault_set_hwpt(struct ifd_hwpt *hwpt, struct ifd_fault *fault);
int ifd_fault_iopf_enable(struct device *dev);
void ifd_fault_iopf_disable(struct device *dev);

/* --- vfio_compat.c --- */
long ifd_vfio_ioctl(struct iommufd_ctx *ctx, unsigned int cmd,
		    unsigned long arg);

/* --- ioctl handlers (main.c dispatches) --- */
struct ifd_ucmd {
	struct iommufd_ctx *ctx;
	void __user *ubuf;
	u32 user_size;
	void *cmd;
};

int ifd_respond(struct ifd_ucmd *uc, size_t size);
int ifd_ioas_alloc(struct ifd_ucmd *uc);
int ifd_ioas_allow_iovas(struct ifd_ucmd *uc);
int ifd_ioas_copy(struct ifd_ucmd *uc);
int ifd_ioas_iova_ranges(struct ifd_ucmd *uc);
int ifd_ioas_map(struct ifd_ucmd *uc);
int ifd_ioas_unmap(struct ifd_ucmd *uc);
int ifd_option(struct ifd_ucmd *uc);
int ifd_hwpt_alloc(struct ifd_ucmd *uc);
int ifd_hwpt_invalidate(struct ifd_ucmd *uc);
int ifd_hwpt_set_dirty_tracking(struct ifd_ucmd *uc);
int ifd_hwpt_get_dirty_bitmap(struct ifd_ucmd *uc);
int ifd_fault_alloc(struct ifd_ucmd *uc);
int ifd_get_hw_info(struct ifd_ucmd *uc);
int ifd_vfio_ioas(struct ifd_ucmd *uc);

/* --- main.c --- */
struct file *ifd_ctx_file_new(void);

#endif /* IFD_H */
