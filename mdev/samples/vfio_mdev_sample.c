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
 * Migration and dirty logging are not implemented (yet).
 */

#include <linux/eventfd.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci_regs.h>
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
}

static void ms_cfg_write(struct msample *ms, unsigned int off, const u8 *buf,
			 size_t len)
{
	for (; len; len--, off++, buf++) {
		u8 mask = ms_cfg_wmask(off);

		ms->cfg[off] = (ms->cfg[off] & ~mask) | (*buf & mask);
	}
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
	if (!(ms_cfg_get16(ms, PCI_COMMAND) & PCI_COMMAND_MASTER))
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

	if (info->index >= VFIO_PCI_NUM_IRQS)
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

static long ms_reset(struct msample *ms, void *arg)
{
	mutex_lock(&ms->lock);
	ms_reset_locked(ms);
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

/* ---- vfio_device_ops ---- */

static int ms_init(struct vfio_device *vdev)
{
	struct msample *ms = to_ms(vdev);

	mutex_init(&ms->lock);
	ms_reset_locked(ms);
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
	mutex_unlock(&ms->lock);
	return 0;
}

static void ms_close_device(struct vfio_device *vdev)
{
	struct msample *ms = to_ms(vdev);

	mutex_lock(&ms->lock);
	ms_irq_disable_locked(ms);
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
