/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-core.ko: what the PCI core module offers vfio-pci.ko and the
 * variant drivers built on it (mlx5, hisi, nvgrace, virtio, ...).
 *
 * Exported names, signatures and the public members of
 * struct vfio_pci_core_device (vdev, pdev, barmap, bar_mmap_supported,
 * region, num_regions, irq_type, memory_lock) follow upstream Linux so
 * variant drivers build unchanged. Every other member is private to
 * vfio-pci-core.
 */
#ifndef _VFIO_PCI_CORE_H
#define _VFIO_PCI_CORE_H

#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <vfio/vfio.h>

/*
 * The device fd's file offset space: region N starts at N << 40, so a
 * region may be up to 1 TiB and the region index is the top bits.
 */
#define VFIO_PCI_OFFSET_SHIFT		40
#define VFIO_PCI_OFFSET_TO_INDEX(off)	((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_INDEX_TO_OFFSET(index)	((u64)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK		(((u64)(1) << VFIO_PCI_OFFSET_SHIFT) - 1)

struct vfio_pci_core_device;
struct vfio_pci_region;
/* Private to vfio-pci-core: */
struct vfio_pci_eventfd;
struct vfio_pci_cfg_perm;
struct vfio_pci_irq_ctx;
struct vfio_pci_vf_token;

/* A region past the fixed PCI ones, reported with a CAP_TYPE capability. */
struct vfio_pci_region {
	const struct vfio_pci_regops	*ops;
	void				*data;	/* for @ops */
	size_t				size;
	u32				flags;	/* VFIO_REGION_INFO_FLAG_* */
	u32				type;	/* VFIO_REGION_TYPE_* */
	u32				subtype;
};

/**
 * struct vfio_pci_regops - a device-specific region's handlers
 * @rw: read() or write() at *ppos (region offset bits included)
 * @mmap: map the region; only used when the region has the MMAP flag
 * @add_capability: append capabilities to REGION_INFO after the type
 * @release: called at close for each registered region
 */
struct vfio_pci_regops {
	ssize_t	(*rw)(struct vfio_pci_core_device *vdev, char __user *buf, size_t count,
		      loff_t *ppos, bool iswrite);
	int	(*mmap)(struct vfio_pci_core_device *vdev, struct vfio_pci_region *region,
			struct vm_area_struct *vma);
	int	(*add_capability)(struct vfio_pci_core_device *vdev,
				  struct vfio_pci_region *region, struct vfio_info_cap *caps);
	void	(*release)(struct vfio_pci_core_device *vdev, struct vfio_pci_region *region);
};

/*
 * Locking, outermost first:
 *
 *   vdev.dev_set->lock (core)
 *     igate
 *       memory_lock
 *         irqlock (spinlock, also taken from hard irq)
 *   ioeventfds_lock is taken alone (the ioeventfd handler only tries
 *   memory_lock for read).
 *   vf_token->lock nests inside dev_set->lock and is taken alone
 *   otherwise.
 *
 * Never copy to or from user memory while holding memory_lock: the user
 * buffer may be an mmap of a BAR whose fault handler takes it for read.
 */
struct vfio_pci_core_device {
	struct vfio_device	vdev;
	struct pci_dev		*pdev;

	/* pci_iomap() of each BAR, made on first access, undone at close. */
	void __iomem		*barmap[PCI_STD_NUM_BARS];
	/* Set at open for memory BARs that may be mapped to user space. */
	bool			bar_mmap_supported[PCI_STD_NUM_BARS];

	/* Regions after VFIO_PCI_NUM_REGIONS; registered at open. */
	struct vfio_pci_region	*region;
	int			num_regions;

	/* VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX, or VFIO_PCI_NUM_IRQS for
	 * none. Written under igate; the INTx paths read it under irqlock.
	 */
	int			irq_type;

	/*
	 * Held for write while BAR access must stop: memory decode off,
	 * low power, reset. Held for read around every user BAR access
	 * and by the mmap fault handler. Protects the virtual memory
	 * enable bit and the power state.
	 */
	struct rw_semaphore	memory_lock;

	/* private: */

	/* Serializes SET_IRQS, INTx masking and the err/req triggers. */
	struct mutex		igate;
	/* Protects the INTx masked state against the hard irq handler. */
	spinlock_t		irqlock;
	struct vfio_pci_irq_ctx	*intx_ctx;	/* under igate */
	struct xarray		msi_ctxs;	/* vector -> ctx, under igate */
	struct vfio_pci_eventfd __rcu *err_trigger;	/* under igate */
	struct vfio_pci_eventfd __rcu *req_trigger;	/* under igate */
	u8			msi_qmax;	/* log2 of vectors granted */
	u8			msix_bir;	/* 0xff: no MSI-X */
	u16			msix_table_len;
	u32			msix_table_off;

	/* Config space: shadow copy, per-byte owner map, cap starts. */
	u8			*vconfig;
	u8			*cfg_map;
	unsigned long		*cfg_cap_start;
	struct vfio_pci_cfg_perm *msi_perm;	/* sized for this device */
	u32			saved_bars[PCI_STD_NUM_BARS + 1];

	/* ioeventfds: list of struct vfio_pci_ioeventfd */
	struct mutex		ioeventfds_lock;	/* protects the list */
	struct list_head	ioeventfds_list;
	unsigned int		ioeventfds_nr;

	/* Subpage BARs: reserve the rest of their page while open. */
	struct list_head	subpage_reservations;

	/* State captured at open and restored at close. */
	struct pci_saved_state	*open_state;
	/* State saved across D3hot for NoSoftRst- devices. */
	struct pci_saved_state	*pm_saved;
	/*
	 * Protects lowpower_active and lowpower_wake. Taken inside
	 * memory_lock by low power entry and exit, and alone by runtime
	 * resume: the PCI core resumes devices while holding pci_bus_sem
	 * (AER recovery's bus walk), and a reset takes pci_bus_sem inside
	 * memory_lock, so resume must not wait for memory_lock. Nothing
	 * is taken inside it.
	 */
	struct mutex		lowpower_lock;
	struct eventfd_ctx	*lowpower_wake;

	/* SR-IOV: a PF's token, or the vfio PF a VF belongs to. */
	struct vfio_pci_vf_token *vf_token;
	struct vfio_pci_core_device *pf_core;
	struct list_head	pf_list_node;	/* global list of our PFs */
	struct notifier_block	bus_nb;

	/* Fixed at probe or open; bitfields are safe here. */
	u32			intx_maskable:1;	/* PCI 2.3 DisINTx */
	u32			intx_hidden:1;		/* broken INTx, pin 0 */
	u32			reset_works:1;
	u32			has_ecaps:1;
	u32			vga_enabled:1;
	u32			msix_dynamic:1;
	u32			pm_restore_needed:1;	/* NoSoftRst- */
	u32			no_idle_d3:1;

	/* Changed at run time: one byte each, no read-modify-write races. */
	bool			intx_user_disabled;	/* virtual DisINTx */
	bool			vbar_stale;		/* vconfig BARs need sizing */
	bool			needs_reset;		/* dirty since last reset */
	bool			rpm_intx_masked;	/* masked by runtime PM */
	bool			lowpower_active;	/* see lowpower_lock */
	bool			sriov_enabled;
};

enum vfio_pci_io_width {
	VFIO_PCI_IO_WIDTH_1 = 1,
	VFIO_PCI_IO_WIDTH_2 = 2,
	VFIO_PCI_IO_WIDTH_4 = 4,
	VFIO_PCI_IO_WIDTH_8 = 8,
};

/* Lifetime, in the order a driver calls them */
int vfio_pci_core_init_dev(struct vfio_device *core_vdev);
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev);
void vfio_pci_core_release_dev(struct vfio_device *core_vdev);
/* The bus driver's module parameters, set once at its load. */
void vfio_pci_core_set_params(bool nointxmask, bool is_disable_vga, bool is_disable_idle_d3);

/* open_device is enable + driver extras + finish_enable */
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev);
void vfio_pci_core_close_device(struct vfio_device *core_vdev);

/* vfio_device_ops members */
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count);
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf);
int vfio_pci_core_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma);
ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf,
			   size_t count, loff_t *ppos);
ssize_t vfio_pci_core_write(struct vfio_device *core_vdev, const char __user *buf,
			    size_t count, loff_t *ppos);
long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg);
int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags,
				void __user *arg, size_t argsz);

/* pci_driver members */
extern const struct pci_error_handlers vfio_pci_core_err_handlers;
pci_ers_result_t vfio_pci_core_aer_err_detected(struct pci_dev *pdev,
						pci_channel_state_t state);
int vfio_pci_core_sriov_configure(struct vfio_pci_core_device *vdev,
				  int nr_virtfn);

/* Helpers for variant drivers */
int vfio_pci_core_register_dev_region(struct vfio_pci_core_device *vdev,
				      unsigned int type, unsigned int subtype,
				      const struct vfio_pci_regops *ops,
				      size_t size, u32 flags, void *data);
int vfio_pci_core_setup_barmap(struct vfio_pci_core_device *vdev, int bar);
ssize_t vfio_pci_core_do_io_rw(struct vfio_pci_core_device *vdev,
			       bool test_mem, void __iomem *io,
			       char __user *buf, loff_t off, size_t count,
			       size_t x_start, size_t x_end, bool iswrite,
			       enum vfio_pci_io_width max_width);
bool vfio_pci_core_range_intersect_range(loff_t buf_start, size_t buf_cnt,
					 loff_t reg_start, size_t reg_cnt,
					 loff_t *buf_offset, size_t *intersect_count,
					 size_t *register_offset);

/*
 * One MMIO or port access; with @test_mem the access fails with -EIO
 * while the device's memory decode is off or it is in low power.
 */
int vfio_pci_core_iowrite8(struct vfio_pci_core_device *vdev, bool test_mem,
			   u8 val, void __iomem *io);
int vfio_pci_core_iowrite16(struct vfio_pci_core_device *vdev, bool test_mem,
			    u16 val, void __iomem *io);
int vfio_pci_core_iowrite32(struct vfio_pci_core_device *vdev, bool test_mem,
			    u32 val, void __iomem *io);
int vfio_pci_core_iowrite64(struct vfio_pci_core_device *vdev, bool test_mem,
			    u64 val, void __iomem *io);
int vfio_pci_core_ioread8(struct vfio_pci_core_device *vdev, bool test_mem,
			  u8 *val, void __iomem *io);
int vfio_pci_core_ioread16(struct vfio_pci_core_device *vdev, bool test_mem,
			   u16 *val, void __iomem *io);
int vfio_pci_core_ioread32(struct vfio_pci_core_device *vdev, bool test_mem,
			   u32 *val, void __iomem *io);
int vfio_pci_core_ioread64(struct vfio_pci_core_device *vdev, bool test_mem,
			   u64 *val, void __iomem *io);

#endif /* _VFIO_PCI_CORE_H */
