// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mdev_sample.ko: a parent device of its own (no hardware) whose
 * mdevs are a small virtual PCI device, served to userspace through
 * vfio as emulated-IOMMU devices. The device has a config space with an
 * MSI capability, BAR0 with a few registers (mdev_sample_regs.h), INTx
 * and MSI delivered to eventfds, and a DMA engine that copies between
 * two IOVAs either through vfio_dma_rw() or by pinning the pages with
 * vfio_pin_pages(): both work over a type1 container and over an iommufd
 * access (the cdev path).
 *
 * Migration v2 (STOP_COPY, P2P and PRE_COPY) moves the config space and
 * the BAR0 registers through a data fd; DMA logging marks the pages the
 * DMA engine writes.
 */

#include <linux/anon_inodes.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci_regs.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <vfio/mdev.h>
#include <vfio/vfio.h>
#include "mdev_sample_regs.h"

/* Region offsets in the device fd, as vfio-pci lays them out. */
#define MS_OFFSET_SHIFT		40
#define MS_INDEX(pos)		((pos) >> MS_OFFSET_SHIFT)
#define MS_OFFSET(pos)		((pos) & ((1ULL << MS_OFFSET_SHIFT) - 1))
#define MS_REGION(index)	((u64)(index) << MS_OFFSET_SHIFT)

static unsigned int max_instances = 2;
module_param(max_instances, uint, 0444);
MODULE_PARM_DESC(max_instances,
		 "mdevs the parent can hold, shared by its types (default 2)");

enum ms_irq_mode { MS_IRQ_NONE, MS_IRQ_INTX, MS_IRQ_MSI };

/* DMA logging ranges at once; more are merged by the core's helper. */
#define MS_LOG_MAX_RANGES	4

/*
 * The migration stream: a header, then one record of the device state
 * per snapshot (PRE_COPY's first, STOP_COPY's last). RESUMING loads the
 * last complete record.
 */
#define MS_MIG_MAGIC		0x6d736d67	/* "msmg" */
#define MS_MIG_VERSION		1
#define MS_MIG_MAX_RECORDS	2

struct ms_mig_header {
	u32 magic;
	u32 version;
	u32 record_size;
	u32 flags;				/* none defined: 0 */
};

struct ms_mig_record {
	u8 cfg[MSAMPLE_CFG_SIZE];
	u64 dma_src, dma_dst;
	u32 scratch, irq_status;
	u32 dma_len, dma_status, dma_count;
	u32 pad;
};

#define MS_MIG_STREAM_MAX	(sizeof(struct ms_mig_header) + \
				 MS_MIG_MAX_RECORDS * sizeof(struct ms_mig_record))

struct msample;

/*
 * A data fd. The driver holds one file reference while the state that
 * made it lasts; the file holds a reference on the vfio device so that
 * ->lock stays valid for as long as userspace keeps the fd.
 */
struct ms_migf {
	struct file *filp;
	struct msample *ms;
	/* Under ms->lock: */
	bool disabled;		/* the state moved on: ENODEV */
	u64 snap_gen;		/* ms->gen at the last snapshot */
	size_t filled;		/* bytes of data[] produced or received */
	size_t pos;		/* bytes of data[] consumed (saving) */
	u8 data[MS_MIG_STREAM_MAX];
};

struct msample {
	struct vfio_device vdev;	/* first: vfio_alloc_device() */
	/*
	 * Protects everything below. Held across vfio_dma_rw() and
	 * vfio_pin_pages(), which take the IOMMU backend's locks inside;
	 * so the backend's dma_unmap callback must never take it.
	 */
	struct mutex lock;
	u8 cfg[MSAMPLE_CFG_SIZE];
	u32 scratch;
	u32 irq_status;
	u64 dma_src, dma_dst;
	u32 dma_len, dma_status, dma_count;
	enum ms_irq_mode irq_mode;
	struct eventfd_ctx *trigger;	/* of irq_mode, NULL when NONE */
	u64 gen;			/* bumped by every state change */
	enum vfio_device_mig_state mig_state;
	struct ms_migf *saving, *resuming;
	/* DMA logging: log_ranges[0, log_nranges) while log_active */
	bool log_active;
	unsigned int log_shift;		/* tracking page size, log2 */
	unsigned int log_nranges;
	struct ms_log_range {
		unsigned long start, last;	/* IOVA bytes, inclusive */
		unsigned long *dirty;		/* a bit per page */
	} log_ranges[MS_LOG_MAX_RANGES];
};

static struct msample *to_ms(struct vfio_device *vdev)
{
	return container_of(vdev, struct msample, vdev);
}

/* ---- config space ---- */

/*
 * Writable bits per config byte; everything else is read-only. BAR0
 * decodes 4 KiB; the MSI capability has one vector (MME stays 0).
 */
static u8 ms_cfg_wmask(unsigned int off)
{
	switch (off) {
	case PCI_COMMAND:
		return PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	case PCI_COMMAND + 1:
		return PCI_COMMAND_INTX_DISABLE >> 8;
	case PCI_CACHE_LINE_SIZE:
	case PCI_INTERRUPT_LINE:
		return 0xff;
	case PCI_BASE_ADDRESS_0 + 1:
		return 0xf0;
	case PCI_BASE_ADDRESS_0 + 2:
	case PCI_BASE_ADDRESS_0 + 3:
		return 0xff;
	case MSAMPLE_MSI_CAP + PCI_MSI_FLAGS:
		return PCI_MSI_FLAGS_ENABLE;
	case MSAMPLE_MSI_CAP + PCI_MSI_ADDRESS_LO:
		return 0xfc;
	case MSAMPLE_MSI_CAP + PCI_MSI_ADDRESS_LO + 1 ...
	     MSAMPLE_MSI_CAP + PCI_MSI_DATA_64 + 1:
		return 0xff;
	}
	return 0;
}

static void ms_cfg_put(struct msample *ms, unsigned int off, u32 val,
		       unsigned int len)
{
	while (len--) {
		ms->cfg[off++] = val & 0xff;
		val >>= 8;
	}
}

static u16 ms_cfg_get16(struct msample *ms, unsigned int off)
{
	return ms->cfg[off] | ms->cfg[off + 1] << 8;
}

/* Power-on state: also what VFIO_DEVICE_RESET restores. */
static void ms_reset_locked(struct msample *ms)
{
	memset(ms->cfg, 0, sizeof(ms->cfg));
	ms_cfg_put(ms, PCI_VENDOR_ID, MSAMPLE_VENDOR, 2);
	ms_cfg_put(ms, PCI_DEVICE_ID, MSAMPLE_DEVICE, 2);
	ms_cfg_put(ms, PCI_STATUS, PCI_STATUS_CAP_LIST, 2);
	ms_cfg_put(ms, PCI_CLASS_REVISION, MSAMPLE_CLASS << 8 | 1, 4);
	ms_cfg_put(ms, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_32, 4);
	ms_cfg_put(ms, PCI_SUBSYSTEM_VENDOR_ID, MSAMPLE_VENDOR, 2);
	ms_cfg_put(ms, PCI_SUBSYSTEM_ID, MSAMPLE_DEVICE, 2);
	ms_cfg_put(ms, PCI_CAPABILITY_LIST, MSAMPLE_MSI_CAP, 1);
	ms_cfg_put(ms, PCI_INTERRUPT_PIN, 1, 1);
	ms_cfg_put(ms, MSAMPLE_MSI_CAP + PCI_CAP_LIST_ID, PCI_CAP_ID_MSI, 1);
	ms_cfg_put(ms, MSAMPLE_MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, 2);

	ms->scratch = 0;
	ms->irq_status = 0;
	ms->dma_src = 0;
	ms->dma_dst = 0;
	ms->dma_len = 0;
	ms->dma_status = 0;
	ms->dma_count = 0;
	ms->gen++;
}

static void ms_cfg_write(struct msample *ms, unsigned int off, const u8 *buf,
			 size_t len)
{
	for (; len; len--, off++, buf++) {
		u8 mask = ms_cfg_wmask(off);

		ms->cfg[off] = (ms->cfg[off] & ~mask) | (*buf & mask);
	}
	ms->gen++;
}

/* ---- interrupts ---- */

/* The interrupt line follows irq_status, as a level-triggered INTA. */
static void ms_irq_update(struct msample *ms, bool edge)
{
	u16 status = ms_cfg_get16(ms, PCI_STATUS) & ~PCI_STATUS_INTERRUPT;

	if (ms->irq_status)
		status |= PCI_STATUS_INTERRUPT;
	ms_cfg_put(ms, PCI_STATUS, status, 2);
	if (!edge || !ms->irq_status || !ms->trigger)
		return;
	if (ms->irq_mode == MS_IRQ_INTX &&
	    (ms_cfg_get16(ms, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE))
		return;
	eventfd_signal(ms->trigger);
}

static void ms_irq_raise(struct msample *ms, u32 bits)
{
	ms->irq_status |= bits;
	ms_irq_update(ms, true);
}

static void ms_irq_disable_locked(struct msample *ms)
{
	if (ms->trigger)
		eventfd_ctx_put(ms->trigger);
	ms->trigger = NULL;
	ms->irq_mode = MS_IRQ_NONE;
}

/* ---- the DMA engine ---- */

/* The states in which the engine takes no command. */
static bool ms_mig_stopped(struct msample *ms)
{
	return ms->mig_state == VFIO_DEVICE_STATE_STOP ||
	       ms->mig_state == VFIO_DEVICE_STATE_STOP_COPY ||
	       ms->mig_state == VFIO_DEVICE_STATE_RESUMING;
}

/* The engine wrote [iova, iova + len): mark the tracked pages of it. */
static void ms_log_write(struct msample *ms, u64 iova, u64 len)
{
	unsigned long first, last;
	unsigned int i;

	if (!ms->log_active || !len)
		return;
	for (i = 0; i < ms->log_nranges; i++) {
		struct ms_log_range *r = &ms->log_ranges[i];

		if (iova > r->last || iova + len - 1 < r->start)
			continue;
		first = (max_t(u64, iova, r->start) - r->start) >>
			ms->log_shift;
		last = (min_t(u64, iova + len - 1, r->last) - r->start) >>
		       ms->log_shift;
		bitmap_set(r->dirty, first, last - first + 1);
	}
}

static int ms_dma_by_rw(struct msample *ms)
{
	u64 done = 0;
	void *buf;
	int ret = 0;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (done < ms->dma_len) {
		size_t n = min_t(u64, ms->dma_len - done, PAGE_SIZE);

		ret = vfio_dma_rw(&ms->vdev, ms->dma_src + done, buf, n, false);
		if (ret)
			break;
		ret = vfio_dma_rw(&ms->vdev, ms->dma_dst + done, buf, n, true);
		if (ret)
			break;
		ms_log_write(ms, ms->dma_dst + done, n);
		done += n;
	}
	kfree(buf);
	return ret;
}

/* Pin one page for a copy; returns 0 or -errno. */
static int ms_pin_one(struct msample *ms, u64 iova, int prot,
		      struct page **page)
{
	int ret = vfio_pin_pages(&ms->vdev, iova & PAGE_MASK, 1, prot, page);

	if (ret == 1)
		return 0;
	if (ret >= 0) {
		/* Not expected: a partial pin of one page. */
		vfio_unpin_pages(&ms->vdev, iova & PAGE_MASK, ret);
		return -EFAULT;
	}
	return ret;
}

/* Page by page, each pin held only for its memcpy. */
static int ms_dma_by_pin(struct msample *ms)
{
	u64 done = 0;
	int ret = 0;

	while (done < ms->dma_len) {
		u64 src = ms->dma_src + done, dst = ms->dma_dst + done;
		size_t n = ms->dma_len - done;
		struct page *sp, *dp;

		n = min_t(size_t, n, PAGE_SIZE - offset_in_page(src));
		n = min_t(size_t, n, PAGE_SIZE - offset_in_page(dst));
		ret = ms_pin_one(ms, src, IOMMU_READ, &sp);
		if (ret)
			break;
		ret = ms_pin_one(ms, dst, IOMMU_READ | IOMMU_WRITE, &dp);
		if (ret) {
			vfio_unpin_pages(&ms->vdev, src & PAGE_MASK, 1);
			break;
		}
		memcpy_page(dp, offset_in_page(dst), sp, offset_in_page(src),
			    n);
		ms_log_write(ms, dst, n);
		vfio_unpin_pages(&ms->vdev, dst & PAGE_MASK, 1);
		vfio_unpin_pages(&ms->vdev, src & PAGE_MASK, 1);
		done += n;
	}
	return ret;
}

/* A DMA_CMD write: the copy runs before the write returns. */
static void ms_dma_run(struct msample *ms, u32 cmd)
{
	int ret;

	if (!(cmd & MSAMPLE_DMA_START))
		return;
	if (ms_mig_stopped(ms))
		ret = -EBUSY;		/* STOP, STOP_COPY, RESUMING */
	else if (!(ms_cfg_get16(ms, PCI_COMMAND) & PCI_COMMAND_MASTER))
		ret = -EPERM;		/* bus mastering is off */
	else if (ms->dma_len > MSAMPLE_DMA_MAX)
		ret = -EINVAL;
	else if (cmd & MSAMPLE_DMA_PIN)
		ret = ms_dma_by_pin(ms);
	else
		ret = ms_dma_by_rw(ms);
	ms->dma_status = -ret;
	if (!ret)
		ms->dma_count++;
	if (cmd & MSAMPLE_DMA_IRQ)
		ms_irq_raise(ms, MSAMPLE_IRQ_DMA);
}

/* ---- BAR0 ---- */

static u32 ms_bar_read32(struct msample *ms, unsigned int off)
{
	switch (off) {
	case MSAMPLE_REG_IDENT:
		return MSAMPLE_IDENT;
	case MSAMPLE_REG_SCRATCH:
		return ms->scratch;
	case MSAMPLE_REG_IRQ_STATUS:
		return ms->irq_status;
	case MSAMPLE_REG_DMA_SRC:
		return lower_32_bits(ms->dma_src);
	case MSAMPLE_REG_DMA_SRC + 4:
		return upper_32_bits(ms->dma_src);
	case MSAMPLE_REG_DMA_DST:
		return lower_32_bits(ms->dma_dst);
	case MSAMPLE_REG_DMA_DST + 4:
		return upper_32_bits(ms->dma_dst);
	case MSAMPLE_REG_DMA_LEN:
		return ms->dma_len;
	case MSAMPLE_REG_DMA_STATUS:
		return ms->dma_status;
	case MSAMPLE_REG_DMA_COUNT:
		return ms->dma_count;
	}
	return 0;
}

static void ms_set_lo(u64 *reg, u32 val)
{
	*reg = (*reg & GENMASK_ULL(63, 32)) | val;
}

static void ms_set_hi(u64 *reg, u32 val)
{
	*reg = lower_32_bits(*reg) | (u64)val << 32;
}

static void ms_bar_write32(struct msample *ms, unsigned int off, u32 val)
{
	switch (off) {
	case MSAMPLE_REG_SCRATCH:
		ms->scratch = val;
		break;
	case MSAMPLE_REG_IRQ_RAISE:
		ms_irq_raise(ms, val);
		break;
	case MSAMPLE_REG_IRQ_ACK:
		ms->irq_status &= ~val;
		ms_irq_update(ms, false);
		break;
	case MSAMPLE_REG_DMA_SRC:
		ms_set_lo(&ms->dma_src, val);
		break;
	case MSAMPLE_REG_DMA_SRC + 4:
		ms_set_hi(&ms->dma_src, val);
		break;
	case MSAMPLE_REG_DMA_DST:
		ms_set_lo(&ms->dma_dst, val);
		break;
	case MSAMPLE_REG_DMA_DST + 4:
		ms_set_hi(&ms->dma_dst, val);
		break;
	case MSAMPLE_REG_DMA_LEN:
		ms->dma_len = val;
		break;
	case MSAMPLE_REG_DMA_CMD:
		ms_dma_run(ms, val);
		break;
	}
}

/*
 * Reads: naturally aligned 1, 2, 4 or 8 bytes. Writes: aligned 4 or 8
 * bytes (an 8-byte write is the low then the high register). Anything
 * else is -EINVAL.
 */
static int ms_bar_access(struct msample *ms, unsigned int off, u8 *buf,
			 size_t len, bool write)
{
	unsigned int i;

	if ((len != 1 && len != 2 && len != 4 && len != 8) ||
	    off % len || off + len > MSAMPLE_BAR0_SIZE)
		return -EINVAL;
	if (write && len < 4)
		return -EINVAL;
	if (write) {
		ms->gen++;
		for (i = 0; i < len; i += 4)
			ms_bar_write32(ms, off + i, get_unaligned_le32(buf + i));
		return 0;
	}
	for (i = 0; i < len; i++) {
		u32 v = ms_bar_read32(ms, (off + i) & ~3U);

		buf[i] = v >> (8 * ((off + i) & 3));
	}
	return 0;
}

/* ---- the device fd ---- */

static ssize_t ms_rw(struct msample *ms, u8 *kbuf, size_t count,
		     loff_t pos, bool write)
{
	u64 index = MS_INDEX((u64)pos), off = MS_OFFSET((u64)pos);
	int ret;

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		if (off >= MSAMPLE_CFG_SIZE || count > MSAMPLE_CFG_SIZE - off)
			return -EINVAL;
		mutex_lock(&ms->lock);
		if (write)
			ms_cfg_write(ms, off, kbuf, count);
		else
			memcpy(kbuf, ms->cfg + off, count);
		mutex_unlock(&ms->lock);
		return count;
	case VFIO_PCI_BAR0_REGION_INDEX:
		if (off >= MSAMPLE_BAR0_SIZE)
			return -EINVAL;
		mutex_lock(&ms->lock);
		ret = ms_bar_access(ms, off, kbuf, count, write);
		mutex_unlock(&ms->lock);
		return ret ? ret : count;
	}
	return -EINVAL;
}

static ssize_t ms_read(struct vfio_device *vdev, char __user *buf,
		       size_t count, loff_t *ppos)
{
	u8 kbuf[MSAMPLE_CFG_SIZE];
	ssize_t ret;

	if (count > sizeof(kbuf))
		return -EINVAL;
	ret = ms_rw(to_ms(vdev), kbuf, count, *ppos, false);
	if (ret < 0)
		return ret;
	if (copy_to_user(buf, kbuf, ret))
		return -EFAULT;
	*ppos += ret;
	return ret;
}

static ssize_t ms_write(struct vfio_device *vdev, const char __user *buf,
			size_t count, loff_t *ppos)
{
	u8 kbuf[MSAMPLE_CFG_SIZE];
	ssize_t ret;

	if (count > sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, buf, count))
		return -EFAULT;
	ret = ms_rw(to_ms(vdev), kbuf, count, *ppos, true);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

/* ---- ioctls ---- */

static unsigned int ms_irq_count(u32 index)
{
	return index == VFIO_PCI_INTX_IRQ_INDEX ||
	       index == VFIO_PCI_MSI_IRQ_INDEX;
}

static long ms_get_info(struct msample *ms, void *arg)
{
	struct vfio_device_info *info = arg;

	info->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info->num_regions = VFIO_PCI_NUM_REGIONS;
	info->num_irqs = VFIO_PCI_NUM_IRQS;
	return 0;
}

static long ms_region_info(struct msample *ms, void *arg)
{
	struct vfio_region_info *info = arg;
	u32 rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	if (info->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info->offset = MS_REGION(info->index);
	info->flags = 0;
	info->size = 0;
	info->cap_offset = 0;
	if (info->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		info->size = MSAMPLE_CFG_SIZE;
		info->flags = rw;
	} else if (info->index == VFIO_PCI_BAR0_REGION_INDEX) {
		info->size = MSAMPLE_BAR0_SIZE;
		info->flags = rw;
	}
	return 0;
}

static long ms_irq_info(struct msample *ms, void *arg)
{
	struct vfio_irq_info *info = arg;

	/*
	 * No ERR or REQ interrupt: EINVAL, as vfio-pci answers for ERR on
	 * a conventional device. QEMU warns ("Could not enable error
	 * recovery") when the ioctl succeeds with a count other than 1.
	 */
	if (info->index >= VFIO_PCI_NUM_IRQS ||
	    info->index == VFIO_PCI_ERR_IRQ_INDEX ||
	    info->index == VFIO_PCI_REQ_IRQ_INDEX)
		return -EINVAL;
	info->count = ms_irq_count(info->index);
	info->flags = 0;
	if (info->index == VFIO_PCI_INTX_IRQ_INDEX)
		info->flags = VFIO_IRQ_INFO_EVENTFD;
	else if (info->index == VFIO_PCI_MSI_IRQ_INDEX)
		info->flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	return 0;
}

/* ACTION_TRIGGER on INTx or MSI; @data was checked against the header. */
static int ms_set_trigger_locked(struct msample *ms, struct vfio_irq_set *hdr,
				 const void *data)
{
	enum ms_irq_mode mode = hdr->index == VFIO_PCI_MSI_IRQ_INDEX ?
				MS_IRQ_MSI : MS_IRQ_INTX;
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	struct eventfd_ctx *ctx;
	s32 fd;

	/* One mode at a time, as vfio-pci: switching needs a disable. */
	if (ms->irq_mode != MS_IRQ_NONE && ms->irq_mode != mode) {
		if (!hdr->count && type == VFIO_IRQ_SET_DATA_NONE)
			return 0;
		return -EINVAL;
	}
	if (!hdr->count) {
		if (type != VFIO_IRQ_SET_DATA_NONE)
			return -EINVAL;
		ms_irq_disable_locked(ms);
		return 0;
	}
	if (type == VFIO_IRQ_SET_DATA_NONE ||
	    (type == VFIO_IRQ_SET_DATA_BOOL && *(const u8 *)data)) {
		if (ms->trigger)
			eventfd_signal(ms->trigger);
		return 0;
	}
	if (type == VFIO_IRQ_SET_DATA_BOOL)
		return 0;

	fd = *(const s32 *)data;
	if (fd == -1) {
		ms_irq_disable_locked(ms);
		return 0;
	}
	if (fd < 0)
		return -EINVAL;
	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ms_irq_disable_locked(ms);
	ms->trigger = ctx;
	ms->irq_mode = mode;
	return 0;
}

static long ms_set_irqs(struct msample *ms, void *arg, void __user *uarg)
{
	struct vfio_irq_set *hdr = arg;
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	size_t data_size;
	void *data = NULL;
	int ret;

	ret = vfio_set_irqs_validate_and_prepare(hdr, ms_irq_count(hdr->index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (hweight32(type) != 1 || hweight32(action) != 1)
		return -EINVAL;
	/* No masking: INTx is not maskable, MSI never is. */
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	if (data_size) {
		data = memdup_user(uarg + sizeof(*hdr), data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	mutex_lock(&ms->lock);
	ret = ms_set_trigger_locked(ms, hdr, data);
	mutex_unlock(&ms->lock);
	kfree(data);
	return ret;
}

static void ms_mig_reset_locked(struct msample *ms);

static long ms_reset(struct msample *ms, void *arg)
{
	mutex_lock(&ms->lock);
	ms_reset_locked(ms);
	ms_mig_reset_locked(ms);
	mutex_unlock(&ms->lock);
	return 0;
}

union ms_ioctl_arg {
	struct vfio_device_info info;
	struct vfio_region_info region;
	struct vfio_irq_info irq;
	struct vfio_irq_set irq_set;
};

/*
 * @minsz: the mandatory part (argsz up to the last input/output field
 * we use), copied in and back; 0 for ioctls without argument.
 */
struct ms_ioctl {
	unsigned int cmd;
	size_t minsz;
	long (*fn)(struct msample *ms, void *arg);
};

#define MS_IOCTL(_cmd, _type, _last, _fn) \
	{ _cmd, offsetofend(_type, _last), _fn }

static const struct ms_ioctl ms_ioctls[] = {
	MS_IOCTL(VFIO_DEVICE_GET_INFO, struct vfio_device_info, num_irqs,
		 ms_get_info),
	MS_IOCTL(VFIO_DEVICE_GET_REGION_INFO, struct vfio_region_info, offset,
		 ms_region_info),
	MS_IOCTL(VFIO_DEVICE_GET_IRQ_INFO, struct vfio_irq_info, count,
		 ms_irq_info),
	{ VFIO_DEVICE_RESET, 0, ms_reset },
};

static long ms_ioctl(struct vfio_device *vdev, unsigned int cmd,
		     unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct msample *ms = to_ms(vdev);
	const struct ms_ioctl *ent = NULL;
	union ms_ioctl_arg karg;
	unsigned int i;
	long ret;

	if (cmd == VFIO_DEVICE_SET_IRQS) {
		size_t minsz = offsetofend(struct vfio_irq_set, count);

		if (copy_from_user(&karg.irq_set, uarg, minsz))
			return -EFAULT;
		if (karg.irq_set.argsz < minsz)
			return -EINVAL;
		return ms_set_irqs(ms, &karg.irq_set, uarg);
	}
	for (i = 0; i < ARRAY_SIZE(ms_ioctls); i++)
		if (ms_ioctls[i].cmd == cmd)
			ent = &ms_ioctls[i];
	if (!ent)
		return -ENOTTY;
	if (!ent->minsz)
		return ent->fn(ms, NULL);

	/* argsz leads every argument struct. */
	if (copy_from_user(&karg, uarg, ent->minsz))
		return -EFAULT;
	if (karg.info.argsz < ent->minsz)
		return -EINVAL;
	ret = ent->fn(ms, &karg);
	if (ret)
		return ret;
	return copy_to_user(uarg, &karg, ent->minsz) ? -EFAULT : 0;
}

/* ---- migration ---- */

static void ms_mig_save_record(struct msample *ms, struct ms_mig_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->cfg, ms->cfg, sizeof(rec->cfg));
	rec->dma_src = ms->dma_src;
	rec->dma_dst = ms->dma_dst;
	rec->scratch = ms->scratch;
	rec->irq_status = ms->irq_status;
	rec->dma_len = ms->dma_len;
	rec->dma_status = ms->dma_status;
	rec->dma_count = ms->dma_count;
}

static void ms_mig_load_record(struct msample *ms,
			       const struct ms_mig_record *rec)
{
	memcpy(ms->cfg, rec->cfg, sizeof(ms->cfg));
	ms->dma_src = rec->dma_src;
	ms->dma_dst = rec->dma_dst;
	ms->scratch = rec->scratch;
	ms->irq_status = rec->irq_status;
	ms->dma_len = rec->dma_len;
	ms->dma_status = rec->dma_status;
	ms->dma_count = rec->dma_count;
	ms->gen++;
}

/* Append a snapshot of the device to a saving file. */
static void ms_mig_snapshot(struct msample *ms, struct ms_migf *migf)
{
	struct ms_mig_record rec;

	if (WARN_ON(migf->filled + sizeof(rec) > sizeof(migf->data)))
		return;
	ms_mig_save_record(ms, &rec);
	memcpy(migf->data + migf->filled, &rec, sizeof(rec));
	migf->filled += sizeof(rec);
	migf->snap_gen = ms->gen;
}

/* The driver lets go of a data fd: later uses get ENODEV. */
static void ms_mig_disable(struct ms_migf **slot)
{
	struct ms_migf *migf = *slot;

	if (!migf)
		return;
	migf->disabled = true;
	*slot = NULL;
	fput(migf->filp);
}

static void ms_mig_disable_all(struct msample *ms)
{
	ms_mig_disable(&ms->saving);
	ms_mig_disable(&ms->resuming);
}

static int ms_mig_release(struct inode *inode, struct file *filp)
{
	struct ms_migf *migf = filp->private_data;

	vfio_put_device(&migf->ms->vdev);
	kfree(migf);
	return 0;
}

static ssize_t ms_mig_read(struct file *filp, char __user *buf, size_t len,
			   loff_t *ppos)
{
	struct ms_migf *migf = filp->private_data;
	struct msample *ms = migf->ms;
	size_t pos;

	if (ppos)
		return -ESPIPE;
	mutex_lock(&ms->lock);
	if (migf->disabled) {
		mutex_unlock(&ms->lock);
		return -ENODEV;
	}
	pos = migf->pos;
	len = min(len, migf->filled - pos);
	migf->pos += len;
	mutex_unlock(&ms->lock);

	/* Bytes below ->filled never change again: copy them unlocked. */
	if (copy_to_user(buf, migf->data + pos, len))
		return -EFAULT;
	return len;
}

/*
 * VFIO_MIG_GET_PRECOPY_INFO: initial_bytes is what is left to read of
 * the snapshot; dirty_bytes, the size of one more record once the device
 * changed since the snapshot (STOP_COPY will send it).
 */
static long ms_mig_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct ms_migf *migf = filp->private_data;
	size_t minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct msample *ms = migf->ms;
	struct vfio_precopy_info info;
	int ret = 0;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	/* The device's state first, then the fd's: upstream's order. */
	mutex_lock(&ms->lock);
	if (ms->mig_state != VFIO_DEVICE_STATE_PRE_COPY &&
	    ms->mig_state != VFIO_DEVICE_STATE_PRE_COPY_P2P)
		ret = -EINVAL;
	else if (migf->disabled)
		ret = -ENODEV;
	info.initial_bytes = migf->filled - migf->pos;
	info.dirty_bytes = ms->gen != migf->snap_gen ?
			   sizeof(struct ms_mig_record) : 0;
	mutex_unlock(&ms->lock);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* A stream that does not start with our header gets EINVAL. */
static bool ms_mig_header_ok(const struct ms_migf *migf)
{
	struct ms_mig_header hdr;

	memcpy(&hdr, migf->data, sizeof(hdr));
	return hdr.magic == MS_MIG_MAGIC && hdr.version == MS_MIG_VERSION &&
	       hdr.record_size == sizeof(struct ms_mig_record) && !hdr.flags;
}

static ssize_t ms_mig_write(struct file *filp, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	struct ms_migf *migf = filp->private_data;
	struct msample *ms = migf->ms;
	size_t hdr = sizeof(struct ms_mig_header);
	ssize_t ret;
	u8 *kbuf;

	if (ppos)
		return -ESPIPE;
	if (len > MS_MIG_STREAM_MAX)
		return -ENOMEM;	/* longer than any stream, as mtty */
	kbuf = memdup_user(buf, len);
	if (IS_ERR(kbuf))
		return PTR_ERR(kbuf);

	mutex_lock(&ms->lock);
	if (migf->disabled) {
		ret = -ENODEV;
	} else if (len > MS_MIG_STREAM_MAX - migf->filled) {
		ret = -ENOMEM;
	} else {
		memcpy(migf->data + migf->filled, kbuf, len);
		ret = len;
		/* Check the header once complete; refuse the write if bad. */
		if (migf->filled < hdr && migf->filled + len >= hdr &&
		    !ms_mig_header_ok(migf))
			ret = -EINVAL;
		else
			migf->filled += len;
	}
	mutex_unlock(&ms->lock);
	kfree(kbuf);
	return ret;
}

static const struct file_operations ms_mig_save_fops = {
	.owner = THIS_MODULE,
	.read = ms_mig_read,
	.unlocked_ioctl = ms_mig_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = ms_mig_release,
};

static const struct file_operations ms_mig_resume_fops = {
	.owner = THIS_MODULE,
	.write = ms_mig_write,
	.release = ms_mig_release,
};

/* A new data fd in *@slot, the driver's reference; returns the user's. */
static struct file *ms_mig_new_file(struct msample *ms, struct ms_migf **slot,
				    bool saving)
{
	struct ms_migf *migf;
	struct file *filp;

	migf = kzalloc(sizeof(*migf), GFP_KERNEL_ACCOUNT);
	if (!migf)
		return ERR_PTR(-ENOMEM);
	filp = anon_inode_getfile("vfio_mdev_sample_mig",
				  saving ? &ms_mig_save_fops :
					   &ms_mig_resume_fops,
				  migf, saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(filp)) {
		kfree(migf);
		return filp;
	}
	stream_open(filp->f_inode, filp);
	migf->filp = filp;
	migf->ms = ms;
	get_device(&ms->vdev.device);	/* dropped by ms_mig_release() */
	if (saving) {
		struct ms_mig_header hdr = {
			.magic = MS_MIG_MAGIC,
			.version = MS_MIG_VERSION,
			.record_size = sizeof(struct ms_mig_record),
		};

		memcpy(migf->data, &hdr, sizeof(hdr));
		migf->filled = sizeof(hdr);
		ms_mig_snapshot(ms, migf);
	}
	*slot = migf;
	return get_file(filp);
}

/* RESUMING -> STOP: load the last complete record. */
static int ms_mig_load(struct msample *ms)
{
	struct ms_migf *migf = ms->resuming;
	size_t hdr = sizeof(struct ms_mig_header);
	size_t rec = sizeof(struct ms_mig_record);
	struct ms_mig_record r;

	/* At least one record, and no partial one. */
	if (migf->filled < hdr + rec || (migf->filled - hdr) % rec)
		return -EINVAL;
	memcpy(&r, migf->data + migf->filled - rec, rec);
	ms_mig_load_record(ms, &r);
	return 0;
}

/* One arc of vfio_mig_get_next_state(); returns a data fd, NULL or -errno. */
static struct file *ms_mig_step(struct msample *ms,
				enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = ms->mig_state;
	int ret;

	switch (next) {
	case VFIO_DEVICE_STATE_STOP:
		if (cur == VFIO_DEVICE_STATE_RESUMING) {
			ret = ms_mig_load(ms);
			if (ret)
				return ERR_PTR(ret);
		}
		/* From RUNNING_P2P the engine just stops taking commands. */
		ms_mig_disable_all(ms);
		return NULL;
	case VFIO_DEVICE_STATE_RUNNING:
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		/* Leaving PRE_COPY(_P2P) ends its data fd. */
		if (cur == VFIO_DEVICE_STATE_PRE_COPY ||
		    cur == VFIO_DEVICE_STATE_PRE_COPY_P2P)
			ms_mig_disable_all(ms);
		return NULL;
	case VFIO_DEVICE_STATE_PRE_COPY:
	case VFIO_DEVICE_STATE_PRE_COPY_P2P:
		if (ms->saving)		/* PRE_COPY <-> PRE_COPY_P2P */
			return NULL;
		ms_mig_disable_all(ms);
		return ms_mig_new_file(ms, &ms->saving, true);
	case VFIO_DEVICE_STATE_STOP_COPY:
		if (ms->saving) {
			/* From PRE_COPY_P2P: the same fd, the final record. */
			ms_mig_snapshot(ms, ms->saving);
			return NULL;
		}
		return ms_mig_new_file(ms, &ms->saving, true);
	case VFIO_DEVICE_STATE_RESUMING:
		ms_mig_disable_all(ms);
		return ms_mig_new_file(ms, &ms->resuming, false);
	default:
		/* vfio_mig_get_next_state() gives no other arc. */
		WARN_ON_ONCE(1);
		return ERR_PTR(-EINVAL);
	}
}

static struct file *ms_mig_set_state(struct vfio_device *vdev,
				     enum vfio_device_mig_state new)
{
	struct msample *ms = to_ms(vdev);
	enum vfio_device_mig_state next;
	struct file *filp = NULL;
	int ret;

	mutex_lock(&ms->lock);
	while (ms->mig_state != new) {
		ret = vfio_mig_get_next_state(vdev, ms->mig_state, new, &next);
		if (ret) {
			filp = ERR_PTR(ret);
			break;
		}
		filp = ms_mig_step(ms, next);
		if (IS_ERR(filp))
			break;
		ms->mig_state = next;
		/* Only the final arc may make a data fd. */
		if (WARN_ON_ONCE(filp && next != new)) {
			fput(filp);
			filp = ERR_PTR(-EINVAL);
			break;
		}
	}
	mutex_unlock(&ms->lock);
	return filp;
}

static int ms_mig_get_state(struct vfio_device *vdev,
			    enum vfio_device_mig_state *state)
{
	struct msample *ms = to_ms(vdev);

	mutex_lock(&ms->lock);
	*state = ms->mig_state;
	mutex_unlock(&ms->lock);
	return 0;
}

static int ms_mig_get_data_size(struct vfio_device *vdev,
				unsigned long *stop_copy_length)
{
	*stop_copy_length = sizeof(struct ms_mig_header) +
			    sizeof(struct ms_mig_record);
	return 0;
}

/* Reset and open: RUNNING, the data fds cut off (as mlx5's reset). */
static void ms_mig_reset_locked(struct msample *ms)
{
	ms_mig_disable_all(ms);
	ms->mig_state = VFIO_DEVICE_STATE_RUNNING;
}

static const struct vfio_migration_ops ms_mig_ops = {
	.migration_set_state = ms_mig_set_state,
	.migration_get_state = ms_mig_get_state,
	.migration_get_data_size = ms_mig_get_data_size,
};

/* ---- DMA logging ---- */

/* Pages tracked at most, over all ranges (bitmaps of 512 KiB). */
#define MS_LOG_MAX_PAGES	BIT(22)

static unsigned long ms_log_pages(struct msample *ms, unsigned long start,
				  unsigned long last)
{
	return ((last - start) >> ms->log_shift) + 1;
}

static void ms_log_free_locked(struct msample *ms)
{
	unsigned int i;

	for (i = 0; i < ms->log_nranges; i++)
		bitmap_free(ms->log_ranges[i].dirty);
	ms->log_nranges = 0;
	ms->log_active = false;
}

/*
 * DMA_LOGGING_START: any power-of-2 page size from 4 KiB is taken as
 * asked, anything else becomes PAGE_SIZE; more than
 * MS_LOG_MAX_RANGES ranges are merged with vfio_combine_iova_ranges().
 * Starting twice is EINVAL, as mlx5 and pds.
 */
static int ms_log_start(struct vfio_device *vdev,
			struct rb_root_cached *ranges, u32 nnodes,
			u64 *page_size)
{
	struct msample *ms = to_ms(vdev);
	struct interval_tree_node *node;
	unsigned long pages = 0;
	unsigned int i = 0;
	int ret = 0;

	if (*page_size < SZ_4K || !is_power_of_2(*page_size) ||
	    *page_size > SZ_1G)
		*page_size = PAGE_SIZE;

	mutex_lock(&ms->lock);
	if (ms->log_active) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (nnodes > MS_LOG_MAX_RANGES)
		vfio_combine_iova_ranges(ranges, nnodes, MS_LOG_MAX_RANGES);
	ms->log_shift = __ffs64(*page_size);
	for (node = interval_tree_iter_first(ranges, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		struct ms_log_range *r = &ms->log_ranges[i];

		/* Whole pages: the ranges were checked to be aligned. */
		pages += ms_log_pages(ms, node->start, node->last);
		if (pages > MS_LOG_MAX_PAGES) {
			ret = -E2BIG;
			goto out_free;
		}
		r->start = node->start;
		r->last = node->last;
		r->dirty = bitmap_zalloc(ms_log_pages(ms, r->start, r->last),
					 GFP_KERNEL_ACCOUNT);
		if (!r->dirty) {
			ret = -ENOMEM;
			goto out_free;
		}
		ms->log_nranges = ++i;
	}
	ms->log_active = true;
	goto out_unlock;

out_free:
	ms_log_free_locked(ms);
out_unlock:
	mutex_unlock(&ms->lock);
	return ret;
}

/* DMA_LOGGING_STOP: 0 also when not started, as mlx5 and pds. */
static int ms_log_stop(struct vfio_device *vdev)
{
	struct msample *ms = to_ms(vdev);

	mutex_lock(&ms->lock);
	ms_log_free_locked(ms);
	mutex_unlock(&ms->lock);
	return 0;
}

/* Report and clear the dirty pages in [iova, iova + length). */
static int ms_log_read_and_clear(struct vfio_device *vdev,
				 unsigned long iova, unsigned long length,
				 struct iova_bitmap *dirty)
{
	struct msample *ms = to_ms(vdev);
	unsigned long last = iova + length - 1, bit, nbits, first_bit;
	unsigned int i;

	mutex_lock(&ms->lock);
	if (!ms->log_active) {
		mutex_unlock(&ms->lock);
		return -EINVAL;
	}
	for (i = 0; i < ms->log_nranges; i++) {
		struct ms_log_range *r = &ms->log_ranges[i];

		if (iova > r->last || last < r->start)
			continue;
		first_bit = (max(iova, r->start) - r->start) >> ms->log_shift;
		nbits = ((min(last, r->last) - r->start) >> ms->log_shift) + 1;
		bit = first_bit;
		for_each_set_bit_from(bit, r->dirty, nbits) {
			vfio_log_mark_dirty(dirty,
					    r->start + (bit << ms->log_shift),
					    BIT(ms->log_shift));
			clear_bit(bit, r->dirty);
		}
	}
	mutex_unlock(&ms->lock);
	return 0;
}

static const struct vfio_log_ops ms_log_ops = {
	.log_start = ms_log_start,
	.log_stop = ms_log_stop,
	.log_read_and_clear = ms_log_read_and_clear,
};

/* ---- vfio_device_ops ---- */

static int ms_init(struct vfio_device *vdev)
{
	struct msample *ms = to_ms(vdev);

	mutex_init(&ms->lock);
	ms_reset_locked(ms);
	ms->mig_state = VFIO_DEVICE_STATE_RUNNING;
	vdev->migration_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
				VFIO_MIGRATION_PRE_COPY;
	vdev->mig_ops = &ms_mig_ops;
	vdev->log_ops = &ms_log_ops;
	return 0;
}

static void ms_release(struct vfio_device *vdev)
{
	mutex_destroy(&to_ms(vdev)->lock);
}

static int ms_open_device(struct vfio_device *vdev)
{
	struct msample *ms = to_ms(vdev);

	mutex_lock(&ms->lock);
	ms_reset_locked(ms);
	ms_mig_reset_locked(ms);
	mutex_unlock(&ms->lock);
	return 0;
}

static void ms_close_device(struct vfio_device *vdev)
{
	struct msample *ms = to_ms(vdev);

	mutex_lock(&ms->lock);
	ms_irq_disable_locked(ms);
	ms_mig_reset_locked(ms);
	ms_log_free_locked(ms);
	mutex_unlock(&ms->lock);
}

/*
 * Pins never outlive the BAR write that took them, so there is nothing
 * to drop here; and ms->lock must not be taken (see struct msample).
 */
static void ms_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
}

static const struct vfio_device_ops ms_vfio_ops = {
	.name = "vfio-mdev-sample",
	.init = ms_init,
	.release = ms_release,
	.open_device = ms_open_device,
	.close_device = ms_close_device,
	.read = ms_read,
	.write = ms_write,
	.ioctl = ms_ioctl,
	.dma_unmap = ms_dma_unmap,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

/* ---- the mdev driver and the parent ---- */

static int ms_probe(struct mdev_device *mdev)
{
	struct msample *ms;
	int ret;

	ms = vfio_alloc_device(msample, vdev, mdev_dev(mdev), &ms_vfio_ops);
	if (IS_ERR(ms))
		return PTR_ERR(ms);
	dev_set_drvdata(mdev_dev(mdev), ms);
	ret = vfio_register_emulated_iommu_dev(&ms->vdev);
	if (ret)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&ms->vdev);
	return ret;
}

/* Waits until userspace closed the device's fds. */
static void ms_remove(struct mdev_device *mdev)
{
	struct msample *ms = dev_get_drvdata(mdev_dev(mdev));

	vfio_unregister_group_dev(&ms->vdev);
	vfio_put_device(&ms->vdev);
}

static ssize_t ms_show_description(struct mdev_type *mtype, char *buf)
{
	return sysfs_emit(buf,
			  "virtual PCI device %04x:%04x: BAR0 DMA engine, INTx, MSI\n",
			  MSAMPLE_VENDOR, MSAMPLE_DEVICE);
}

static struct mdev_driver ms_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.probe = ms_probe,
	.remove = ms_remove,
	.show_description = ms_show_description,
	.driver = {
		.name = "vfio_mdev_sample",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
};

/* Two identical types: they share the parent's instances. */
static struct mdev_type ms_type1 = {
	.sysfs_name = "1",
	.pretty_name = "sample-1",
};

static struct mdev_type ms_type2 = {
	.sysfs_name = "2",
	.pretty_name = "sample-2",
};

static struct mdev_type *ms_types[] = { &ms_type1, &ms_type2 };

/* The parent: a class device, so the types are "vfio_mdev_sample-N". */
static const struct class ms_class = {
	.name = "vfio_mdev_sample",
};

static struct device *ms_parent_dev;
static struct mdev_parent ms_parent;

static int __init ms_mod_init(void)
{
	int ret;

	ret = class_register(&ms_class);
	if (ret)
		return ret;
	ms_parent_dev = device_create(&ms_class, NULL, 0, NULL,
				      "vfio_mdev_sample");
	if (IS_ERR(ms_parent_dev)) {
		ret = PTR_ERR(ms_parent_dev);
		goto err_class;
	}
	ms_mdev_driver.max_instances = max_instances;
	ret = mdev_register_driver(&ms_mdev_driver);
	if (ret)
		goto err_device;
	ret = mdev_register_parent(&ms_parent, ms_parent_dev, &ms_mdev_driver,
				   ms_types, ARRAY_SIZE(ms_types));
	if (ret)
		goto err_driver;
	return 0;

err_driver:
	mdev_unregister_driver(&ms_mdev_driver);
err_device:
	device_unregister(ms_parent_dev);
err_class:
	class_unregister(&ms_class);
	return ret;
}

static void __exit ms_mod_exit(void)
{
	mdev_unregister_parent(&ms_parent);
	mdev_unregister_driver(&ms_mdev_driver);
	device_unregister(ms_parent_dev);
	class_unregister(&ms_class);
}

module_init(ms_mod_init);
module_exit(ms_mod_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("Sample mdev parent: a virtual PCI device with a DMA engine");
