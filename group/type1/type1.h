/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_iommu_type1.ko: private declarations shared by its objects.
 *
 * Lock order (outermost first):
 *   t1_iommu.dev_lock -> t1_iommu.lock -> mmap_lock of a mapping's mm
 * The IOMMU core's own locks (group mutex) nest inside t1_iommu.lock.
 */
#ifndef _VFIO_TYPE1_H
#define _VFIO_TYPE1_H

#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <uapi/linux/vfio.h>
#include <vfio/iommu_backend.h>
#include <vfio/pinrun.h>

/*
 * Dirty bitmaps: u64 words of bits. bitmap_set() counts bits in an int,
 * so a mapping has at most INT_MAX of them (256 MiB of bitmap).
 */
#define T1_BITMAP_BYTES(nbits) \
	(ALIGN((u64)(nbits), BITS_PER_TYPE(u64)) / BITS_PER_BYTE)
#define T1_BITMAP_MAX_PAGES	((u64)INT_MAX)
#define T1_BITMAP_MAX_BYTES	T1_BITMAP_BYTES(T1_BITMAP_MAX_PAGES)

/* Module parameters (main.c). */
extern bool t1_allow_unsafe_interrupts;
extern bool t1_disable_hugepages;
extern unsigned int t1_dma_entry_limit;

/* A container that chose VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU or nesting. */
struct t1_iommu {
	/*
	 * Protects every field down to dev_lock, and all mappings. Held
	 * while pinning and while changing IOMMU page tables; dropped only
	 * to call a device's dma_unmap. Taken inside it: the mmap_lock of a
	 * mapping's mm and the IOMMU core's locks.
	 */
	struct mutex lock;
	struct list_head domains;	/* t1_domain, each with >= 1 group */
	struct list_head emulated;	/* t1_group of emulated-IOMMU groups */
	struct list_head windows;	/* t1_window: usable IOVA, ascending */
	struct rb_root_cached maps;	/* t1_mapping by IOVA, disjoint */
	unsigned int maps_left;		/* MAP_DMA calls still allowed */
	unsigned int stale_vaddrs;	/* mappings whose vaddr is invalid */
	unsigned int unscoped_groups;	/* groups that may dirty any page */
	u64 pgsizes;			/* page sizes every domain supports */
	bool v2;
	bool nesting;
	bool dirty_tracking;

	/*
	 * Protects the iteration of devices. Registration holds it and then
	 * lock, so either lock is enough to test devices for emptiness.
	 * Never taken while lock is held: a device's dma_unmap callback
	 * unpins, which takes lock.
	 */
	struct mutex dev_lock;
	struct list_head devices;	/* t1_device */
};

/* An IOMMU domain shared by the groups whose IOMMU driver agrees. */
struct t1_domain {
	struct list_head node;		/* in t1_iommu.domains */
	struct iommu_domain *domain;
	struct list_head groups;	/* t1_group attached to domain */
	bool coherent;			/* no-snoop blocked (DMA_CC_IOMMU) */
};

struct t1_group {
	struct list_head node;		/* t1_domain.groups or emulated */
	struct iommu_group *group;
	/* Only dirties pages it pins: no need to report all as dirty. */
	bool dirty_scoped;
};

/* An inclusive range of IOVA that MAP_DMA may use. */
struct t1_window {
	struct list_head node;
	dma_addr_t first;
	dma_addr_t last;
};

/* An emulated-IOMMU device whose ops->dma_unmap hears of unmaps. */
struct t1_device {
	struct list_head node;		/* in t1_iommu.devices */
	struct vfio_device *vdev;
};

/* One MAP_DMA. */
struct t1_mapping {
	struct interval_tree_node node;	/* start/last: inclusive IOVA */
	unsigned long vaddr;		/* user address of node.start */
	size_t size;
	int prot;			/* IOMMU_READ | IOMMU_WRITE */
	bool pinned;			/* runs valid, mapped in every domain */
	bool vaddr_stale;		/* invalidated by UNMAP_DMA with VADDR */
	/*
	 * Pins and locked_vm: the owner's mm (mmgrab()ed), its group
	 * leader (get_task_struct(): RLIMIT_MEMLOCK) and CAP_IPC_LOCK;
	 * always charged to mm->locked_vm (PINRUN_ACCT_MM).
	 */
	struct pinrun_owner own;
	long locked;			/* pages it added to mm->locked_vm */
	/* Physically contiguous runs in IOVA order, valid when pinned. */
	struct pinrun_store runs;
	/* Pins of emulated-IOMMU devices: page index -> t1_ext_pin. */
	struct xarray ext_pins;
	unsigned long *dirty;		/* a bit per smallest IOMMU page */
};

/* A page pinned through the pin_pages op, with its pin count. */
struct t1_ext_pin {
	unsigned long pfn;
	unsigned int refs;
	bool gup;			/* holds a FOLL_PIN reference */
	bool acct;			/* ordinary RAM: counts in locked_vm */
};

static inline dma_addr_t t1_map_iova(const struct t1_mapping *m)
{
	return m->node.start;
}

/* Smallest page size every domain supports: the MAP/UNMAP granule. */
static inline size_t t1_min_pgsize(const struct t1_iommu *iommu)
{
	return (size_t)1 << __ffs(iommu->pgsizes);
}

/* dma.c: the IOVA tree, MAP_DMA and UNMAP_DMA */
struct t1_mapping *t1_mapping_at(struct t1_iommu *iommu, dma_addr_t iova);
struct t1_mapping *t1_mapping_first(struct t1_iommu *iommu, dma_addr_t first,
				    dma_addr_t last);
struct t1_mapping *t1_mapping_next(struct t1_mapping *m, dma_addr_t first,
				   dma_addr_t last);
struct t1_mapping *t1_mapping_lowest(struct t1_iommu *iommu);
struct t1_mapping *t1_mapping_succ(struct t1_mapping *m);
void t1_mapping_remove(struct t1_iommu *iommu, struct t1_mapping *m);
void t1_remove_all(struct t1_iommu *iommu);
int t1_do_map(struct t1_iommu *iommu, struct vfio_iommu_type1_dma_map *map);
int t1_do_unmap(struct t1_iommu *iommu,
		struct vfio_iommu_type1_dma_unmap *unmap,
		struct vfio_bitmap *bitmap, u64 *unmapped);

/* pin.c: type1's use of the pin engine (pinrun/, include/vfio/pinrun.h) */
int t1_pin_and_map(struct t1_iommu *iommu, struct t1_mapping *m,
		   struct t1_domain *only, struct pinrun_batch *b);
int t1_map_pinned(struct t1_mapping *m, struct t1_domain *d,
		  struct pinrun_batch *b);
void t1_unmap_unpin(struct t1_iommu *iommu, struct t1_mapping *m,
		    struct t1_domain *only);
void t1_domain_unmap(struct t1_domain *d, dma_addr_t iova, size_t size);
int t1_account(struct t1_mapping *m, long npages);
int t1_change_owner(struct t1_mapping *m);

/* domain.c: groups, domains and usable IOVA windows */
int t1_attach_group(void *iommu_data, struct iommu_group *group,
		    enum vfio_group_type type);
void t1_detach_group(void *iommu_data, struct iommu_group *group);
void t1_release_domains(struct t1_iommu *iommu);
bool t1_iova_usable(struct t1_iommu *iommu, dma_addr_t first,
		    dma_addr_t last);
void t1_windows_free(struct list_head *windows);
struct iommu_domain *t1_group_iommu_domain(void *iommu_data,
					   struct iommu_group *group);

/* emulated.c: the pin/rw interface of emulated-IOMMU devices */
int t1_pin_pages(void *iommu_data, dma_addr_t user_iova, int npage,
		 int prot, struct page **pages);
void t1_unpin_pages(void *iommu_data, dma_addr_t user_iova, int npage);
int t1_dma_rw(void *iommu_data, dma_addr_t user_iova, void *data,
	      size_t count, bool write);
long t1_ext_acct_in(struct t1_mapping *m, unsigned long first_page,
		    unsigned long npages);
void t1_ext_drop_all(struct t1_mapping *m);
void t1_notify_unmap(struct t1_iommu *iommu, dma_addr_t iova, size_t size);

/* dirty.c: dirty page tracking */
int t1_dirty_alloc(struct t1_mapping *m, size_t pgsize);
void t1_dirty_free(struct t1_mapping *m);
void t1_dirty_mark(struct t1_iommu *iommu, struct t1_mapping *m,
		   u64 offset, u64 len);
void t1_dirty_mark_all(struct t1_iommu *iommu);
int t1_dirty_report(struct t1_iommu *iommu, struct t1_mapping *m,
		    u64 __user *ubitmap, dma_addr_t base, size_t pgsize);
int t1_dirty_check_bitmap(u64 npages, u64 bitmap_size);
int t1_ioctl_dirty_pages(struct t1_iommu *iommu, void __user *uarg,
			 void *hdr);

/*
 * Static unless the kernel has KUnit: type1_kunit.c drives these
 * (and the exported functions above) without a container or a device.
 */
#if IS_ENABLED(CONFIG_KUNIT)
void *t1_open(unsigned long type);
void t1_release(void *iommu_data);
long t1_ioctl(void *iommu_data, unsigned int cmd, unsigned long arg);
int t1_windows_clip(struct list_head *windows, dma_addr_t first,
		    dma_addr_t last);
int t1_windows_punch(struct list_head *windows, struct list_head *resv);
#endif

#endif /* _VFIO_TYPE1_H */
