/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Declarations shared by the files of vfio-pci-core.ko only (and the
 * layout constants igd.c of vfio-pci.ko needs to virtualize a register).
 */
#ifndef _VFIO_PCI_PRIV_H
#define _VFIO_PCI_PRIV_H

#include <linux/eventfd.h>
#include <linux/irqbypass.h>
#include <vfio/pci_core.h>
#include <vfio/virqfd.h>

/* Values of cfg_map[] that are not capability IDs. */
#define VFIO_PCI_CFG_UNASSIGNED	0xff	/* gap: raw access to hardware */
#define VFIO_PCI_CFG_VIRT_ONLY	0xfe	/* emulated: vconfig only */
#define VFIO_PCI_CFG_HIDDEN_HDR	0xfd	/* placeholder ext cap header */

/* Each device may have this many ioeventfds (an arbitrary bound). */
#define VFIO_PCI_IOEVENTFD_MAX	1000

/* The legacy VGA ranges behind the VGA region. */
#define VFIO_PCI_VGA_SIZE	0xc0000
/* A shadowed option ROM (no ROM BAR) is this big. */
#define VFIO_PCI_SHADOW_ROM_SIZE	0x20000

/* An eventfd a hard irq or atomic context may signal under RCU. */
struct vfio_pci_eventfd {
	struct eventfd_ctx	*ctx;
	struct rcu_head		rcu;
};

/* One INTx line or one MSI/MSI-X vector handed to user space. */
struct vfio_pci_irq_ctx {
	struct vfio_pci_core_device	*vdev;
	struct eventfd_ctx		*trigger;
	struct virqfd			*unmask;	/* INTx only */
	struct virqfd			*mask;		/* INTx only */
	char				*name;
	bool				masked;		/* INTx, under irqlock */
	struct irq_bypass_producer	producer;	/* MSI/MSI-X only */
};

/* One MMIO or port access's worth of data, in the access's width. */
union vfio_pci_io_val {
	u8	b;
	u16	w;
	u32	l;
	u64	q;
};

/* A write of fixed data to a BAR, done whenever an eventfd fires. */
struct vfio_pci_ioeventfd {
	struct list_head		node;	/* under ioeventfds_lock */
	struct vfio_pci_core_device	*vdev;
	struct virqfd			*virqfd;
	void __iomem			*addr;
	u64				data;	/* as the user gave it */
	union vfio_pci_io_val		val;	/* what gets written */
	loff_t				pos;
	int				bar;
	int				count;
	bool				test_mem;
};

/* Shared secret between a vfio PF and the users of its VFs. */
struct vfio_pci_vf_token {
	struct mutex	lock;		/* protects uuid and users */
	uuid_t		uuid;
	int		users;		/* open VFs of this PF */
};

static inline struct vfio_pci_core_device *
vfio_pci_core(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfio_pci_core_device, vdev);
}

static inline bool vfio_pci_is_vga(struct pci_dev *pdev)
{
	return (pdev->class >> 8) == PCI_CLASS_DISPLAY_VGA;
}

/* Power states are ordered D0 < D1 < D2 < D3hot < D3cold. */
static inline int vfio_pci_pstate(pci_power_t state)
{
	return (__force int)state;
}

static inline bool vfio_pci_irq_none(struct vfio_pci_core_device *vdev)
{
	return vdev->irq_type != VFIO_PCI_INTX_IRQ_INDEX &&
	       vdev->irq_type != VFIO_PCI_MSI_IRQ_INDEX &&
	       vdev->irq_type != VFIO_PCI_MSIX_IRQ_INDEX;
}

/* core.c */
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev,
			     pci_power_t state);
int vfio_pci_eventfd_replace_locked(struct vfio_pci_core_device *vdev,
				    struct vfio_pci_eventfd __rcu **slot,
				    struct eventfd_ctx *ctx);
bool vfio_pci_eventfd_signal(struct vfio_pci_eventfd __rcu **slot);
int vfio_pci_dev_set_hot_reset(struct vfio_pci_core_device *vdev,
			       struct file **group_files, unsigned int nfiles,
			       struct iommufd_ctx *ictx);
typedef int (*vfio_pci_peer_fn)(struct pci_dev *pdev, void *data);
int vfio_pci_walk_reset_peers(struct pci_dev *pdev, bool slot,
			      vfio_pci_peer_fn fn, void *data);
int vfio_pci_runtime_pm_enter(struct vfio_pci_core_device *vdev,
			      struct eventfd_ctx *wake);
void vfio_pci_runtime_pm_leave(struct vfio_pci_core_device *vdev);

/* ioctl.c */
int vfio_pci_irq_count(struct vfio_pci_core_device *vdev, unsigned int index);

/* mmap.c */
bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev);
void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev);
void vfio_pci_zap_and_down_write_memory_lock(struct vfio_pci_core_device *vdev);
u16 vfio_pci_memory_lock_and_enable(struct vfio_pci_core_device *vdev);
void vfio_pci_memory_unlock_and_restore(struct vfio_pci_core_device *vdev,
					u16 cmd);
void vfio_pci_probe_mmaps(struct vfio_pci_core_device *vdev);
void vfio_pci_release_subpage_reservations(struct vfio_pci_core_device *vdev);

/* config.c */
int vfio_pci_cfg_tables_init(void);
void vfio_pci_cfg_tables_exit(void);
int vfio_config_init(struct vfio_pci_core_device *vdev);
void vfio_config_free(struct vfio_pci_core_device *vdev);
ssize_t vfio_pci_config_rw(struct vfio_pci_core_device *vdev,
			   char __user *buf, size_t count, loff_t *ppos,
			   bool iswrite);

/* intrs.c */
bool vfio_pci_intx_mask(struct vfio_pci_core_device *vdev);
void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev);
int vfio_pci_set_irqs_ioctl(struct vfio_pci_core_device *vdev, u32 flags,
			    unsigned int index, unsigned int start,
			    unsigned int count, void *data);
void vfio_pci_irqs_teardown(struct vfio_pci_core_device *vdev);

/* rdwr.c */
ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite);
ssize_t vfio_pci_vga_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite);
int vfio_pci_ioeventfd(struct vfio_pci_core_device *vdev, loff_t offset,
		       u64 data, int count, int fd);
void vfio_pci_ioeventfds_release(struct vfio_pci_core_device *vdev);

/* igd.c, part of vfio-pci.ko */
int vfio_pci_igd_init(struct vfio_pci_core_device *vdev);

#endif /* _VFIO_PCI_PRIV_H */
