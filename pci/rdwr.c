// SPDX-License-Identifier: GPL-2.0-only
/*
 * read()/write() on the device fd: config space, BARs, the option ROM,
 * legacy VGA and device-specific regions; and ioeventfds, which turn an
 * eventfd signal into a BAR write without a trip through user space.
 *
 * MMIO accesses hold memory_lock for read around the access itself, and
 * never around a user copy (see the lock comment in pci_core.h).
 */

#include <linux/io.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vgaarb.h>

#include "priv.h"

/*
 * Device registers are little endian and the user expects the bytes in
 * device order, so on big endian hosts swap what ioreadN() swapped.
 */
#ifdef __BIG_ENDIAN
#define dev_ioread16	ioread16be
#define dev_ioread32	ioread32be
#define dev_ioread64	ioread64be
#define dev_iowrite16	iowrite16be
#define dev_iowrite32	iowrite32be
#define dev_iowrite64	iowrite64be
#else
#define dev_ioread16	ioread16
#define dev_ioread32	ioread32
#define dev_ioread64	ioread64
#define dev_iowrite16	iowrite16
#define dev_iowrite32	iowrite32
#define dev_iowrite64	iowrite64
#endif
#define dev_ioread8	ioread8
#define dev_iowrite8	iowrite8

/*
 * One MMIO or port access of @width bytes, to or from *@val (a u8, u16,
 * u32 or u64 as @width says). With @test_mem it holds memory_lock for
 * read and fails with -EIO while decode is off or in low power.
 */
static __always_inline int io_access(struct vfio_pci_core_device *vdev,
				     bool test_mem, void __iomem *io,
				     void *val, unsigned int width,
				     bool iswrite)
{
	if (test_mem) {
		down_read(&vdev->memory_lock);
		if (!__vfio_pci_memory_enabled(vdev)) {
			up_read(&vdev->memory_lock);
			return -EIO;
		}
	}

	switch (width * 2 + iswrite) {
	case 2:
		*(u8 *)val = dev_ioread8(io);
		break;
	case 3:
		dev_iowrite8(*(u8 *)val, io);
		break;
	case 4:
		*(u16 *)val = dev_ioread16(io);
		break;
	case 5:
		dev_iowrite16(*(u16 *)val, io);
		break;
	case 8:
		*(u32 *)val = dev_ioread32(io);
		break;
	case 9:
		dev_iowrite32(*(u32 *)val, io);
		break;
	case 16:
		*(u64 *)val = dev_ioread64(io);
		break;
	case 17:
		dev_iowrite64(*(u64 *)val, io);
		break;
	}

	if (test_mem)
		up_read(&vdev->memory_lock);
	return 0;
}

/* The exported single accesses: a read and a write per width. */
#define VFIO_PCI_IOREAD(bits, ptype)					\
int vfio_pci_core_ioread##bits(struct vfio_pci_core_device *vdev,	\
			       bool test_mem, ptype val,		\
			       void __iomem *io)			\
{									\
	return io_access(vdev, test_mem, io, val, sizeof(*val), false);	\
}									\
EXPORT_SYMBOL_GPL(vfio_pci_core_ioread##bits)

#define VFIO_PCI_IOWRITE(bits, type)					\
int vfio_pci_core_iowrite##bits(struct vfio_pci_core_device *vdev,	\
				bool test_mem, type val,		\
				void __iomem *io)			\
{									\
	return io_access(vdev, test_mem, io, &val, sizeof(val), true);	\
}									\
EXPORT_SYMBOL_GPL(vfio_pci_core_iowrite##bits)

VFIO_PCI_IOREAD(8, u8 *);
VFIO_PCI_IOWRITE(8, u8);
VFIO_PCI_IOREAD(16, u16 *);
VFIO_PCI_IOWRITE(16, u16);
VFIO_PCI_IOREAD(32, u32 *);
VFIO_PCI_IOWRITE(32, u32);
VFIO_PCI_IOREAD(64, u64 *);
VFIO_PCI_IOWRITE(64, u64);

/*
 * One access of @width bytes between the user buffer and @io. Always
 * inlined with a constant @width (see io_xfer_width()): user copies of a
 * known size skip the hardened-usercopy object check.
 */
static __always_inline int io_xfer(struct vfio_pci_core_device *vdev,
				   bool test_mem, void __iomem *io,
				   char __user *buf, unsigned int width,
				   bool iswrite)
{
	union vfio_pci_io_val v;
	int ret;

	if (iswrite && copy_from_user(&v, buf, width))
		return -EFAULT;
	ret = io_access(vdev, test_mem, io, &v, width, iswrite);
	if (ret || iswrite)
		return ret;
	return copy_to_user(buf, &v, width) ? -EFAULT : 0;
}

static int io_xfer_width(struct vfio_pci_core_device *vdev, bool test_mem,
			 void __iomem *io, char __user *buf,
			 unsigned int width, bool iswrite)
{
	switch (width) {
	case 8:
		return io_xfer(vdev, test_mem, io, buf, 8, iswrite);
	case 4:
		return io_xfer(vdev, test_mem, io, buf, 4, iswrite);
	case 2:
		return io_xfer(vdev, test_mem, io, buf, 2, iswrite);
	default:
		return io_xfer(vdev, test_mem, io, buf, 1, iswrite);
	}
}

/* Reads of a hidden range return all ones. */
static int io_fill_ones(char __user *buf, size_t len)
{
	static const u8 ones[64] = {
		[0 ... 63] = 0xff
	};
	size_t n;

	for (; len; len -= n, buf += n) {
		n = min(len, sizeof(ones));
		if (copy_to_user(buf, ones, n))
			return -EFAULT;
	}
	return 0;
}

/**
 * vfio_pci_core_do_io_rw() - copy between user memory and MMIO or ports
 * @vdev: the device
 * @test_mem: @io is memory space: honour the memory enable bit
 * @io: mapping of the region
 * @buf: user buffer
 * @off: offset in the region
 * @count: bytes
 * @x_start: start of a range the user may not touch (e.g. MSI-X table)
 * @x_end: end of that range; equal to @x_start for none
 * @iswrite: direction
 * @max_width: widest single access the device tolerates
 *
 * Uses the widest naturally aligned access that fits. The excluded range
 * reads as all ones and drops writes.
 *
 * Return: bytes done, or a negative errno if any access failed.
 */
ssize_t vfio_pci_core_do_io_rw(struct vfio_pci_core_device *vdev,
			       bool test_mem, void __iomem *io,
			       char __user *buf, loff_t off, size_t count,
			       size_t x_start, size_t x_end, bool iswrite,
			       enum vfio_pci_io_width max_width)
{
	unsigned int width;
	size_t done, avail;
	loff_t pos;
	int ret;

	for (done = 0; done < count; done += width) {
		pos = off + done;
		avail = count - done;
		if (pos >= x_start && pos < x_end) {
			/* Inside the excluded range. */
			width = min_t(size_t, avail, x_end - pos);
			ret = iswrite ? 0 : io_fill_ones(buf + done, width);
		} else {
			if (pos < x_start)
				avail = min_t(size_t, avail, x_start - pos);
			/*
			 * Widths are powers of two: a mask tests alignment
			 * (a signed 64-bit '%' is a division, slow in TCG).
			 */
			for (width = max_width; width > 1; width /= 2)
				if (avail >= width && !(pos & (width - 1)))
					break;
			ret = io_xfer_width(vdev, test_mem, io + pos,
					    buf + done, width, iswrite);
		}
		if (ret)
			return ret;
	}
	return done;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_do_io_rw);

/**
 * vfio_pci_core_setup_barmap() - map a BAR for kernel access
 * @vdev: the device
 * @bar: BAR index
 *
 * Claims the BAR's resource and maps it once per open; the mapping is
 * released at close.
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_core_setup_barmap(struct vfio_pci_core_device *vdev, int bar)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	/* Mapped already during this open. */
	if (vdev->barmap[bar])
		return 0;

	ret = pci_request_selected_regions(pdev, 1 << bar, "vfio");
	if (!ret) {
		vdev->barmap[bar] = pci_iomap(pdev, bar, 0);
		if (!vdev->barmap[bar]) {
			pci_release_selected_regions(pdev, 1 << bar);
			ret = -ENOMEM;
		}
	}
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_setup_barmap);

ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite)
{
	struct pci_dev *pdev = vdev->pdev;
	int bar = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	enum vfio_pci_io_width width = VFIO_PCI_IO_WIDTH_8;
	size_t x_start = 0, x_end = 0;
	bool is_rom = bar == PCI_ROM_RESOURCE;
	resource_size_t end;
	void __iomem *io;
	ssize_t done;

	if (pci_resource_start(pdev, bar))
		end = pci_resource_len(pdev, bar);
	else if (is_rom &&
		 pdev->resource[bar].flags & IORESOURCE_ROM_SHADOW)
		end = VFIO_PCI_SHADOW_ROM_SIZE;
	else
		return -EINVAL;

	if (pos >= end)
		return -EINVAL;
	count = min_t(u64, count, end - pos);

	if (is_rom) {
		/*
		 * Past the ROM image the BAR reads as ones; treating that
		 * tail as excluded makes reading a large ROM BAR quick.
		 */
		io = pci_map_rom(pdev, &x_start);
		if (!io)
			return -ENOMEM;
		x_end = end;
		/* Some devices (X710) fault on qword ROM reads. */
		width = VFIO_PCI_IO_WIDTH_4;
	} else {
		done = vfio_pci_core_setup_barmap(vdev, bar);
		if (done)
			return done;
		io = vdev->barmap[bar];
	}

	/* The MSI-X table belongs to the host's MSI-X setup. */
	if (bar == vdev->msix_bir) {
		x_start = vdev->msix_table_off;
		x_end = vdev->msix_table_off + vdev->msix_table_len;
	}

	done = vfio_pci_core_do_io_rw(vdev,
				      pdev->resource[bar].flags & IORESOURCE_MEM,
				      io, buf, pos, count, x_start, x_end,
				      iswrite, width);
	if (done >= 0)
		*ppos += done;

	if (is_rom)
		pci_unmap_rom(pdev, io);
	return done;
}

/* The legacy ranges of the VGA region, at their bus addresses. */
struct vga_window {
	u32	start;
	u32	end;		/* exclusive */
	bool	ioport;
};

static const struct vga_window vga_windows[] = {
	{ 0xa0000, 0xc0000, false },	/* frame buffer */
	{ 0x3b0, 0x3bc, true },		/* monochrome registers */
	{ 0x3c0, 0x3e0, true },		/* colour registers */
};

ssize_t vfio_pci_vga_rw(struct vfio_pci_core_device *vdev, char __user *buf,
			size_t count, loff_t *ppos, bool iswrite)
{
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	const struct vga_window *win = NULL;
	unsigned int rsrc, i;
	void __iomem *io;
	ssize_t done;
	int ret;

	if (!vdev->vga_enabled)
		return -EINVAL;

	for (i = 0; i < ARRAY_SIZE(vga_windows); i++) {
		if (pos >= vga_windows[i].start && pos < vga_windows[i].end) {
			win = &vga_windows[i];
			break;
		}
	}
	if (!win)
		return -EINVAL;

	count = min_t(u64, count, win->end - pos);
	if (win->ioport) {
		io = ioport_map(win->start, win->end - win->start);
		rsrc = VGA_RSRC_LEGACY_IO;
	} else {
		io = ioremap(win->start, win->end - win->start);
		rsrc = VGA_RSRC_LEGACY_MEM;
	}
	if (!io)
		return -ENOMEM;

	ret = vga_get_interruptible(vdev->pdev, rsrc);
	if (ret) {
		done = ret;
		goto out_unmap;
	}

	/*
	 * Legacy VGA is not a BAR and should tolerate access with decode
	 * off, so the memory enable bit is not consulted.
	 */
	done = vfio_pci_core_do_io_rw(vdev, false, io, buf,
				      pos - win->start, count, 0, 0, iswrite,
				      VFIO_PCI_IO_WIDTH_8);
	vga_put(vdev->pdev, rsrc);
	if (done >= 0)
		*ppos += done;

out_unmap:
	if (win->ioport)
		ioport_unmap(io);
	else
		iounmap(io);
	return done;
}

/* ---------------------------------------------------------------- */
/* Entry points                                                      */

/* The ROM BAR is read-only. */
static ssize_t vfio_pci_rom_rw(struct vfio_pci_core_device *vdev,
			       char __user *buf, size_t count, loff_t *ppos,
			       bool iswrite)
{
	if (iswrite)
		return -EINVAL;
	return vfio_pci_bar_rw(vdev, buf, count, ppos, false);
}

typedef ssize_t (*vfio_pci_rw_fn)(struct vfio_pci_core_device *vdev,
				  char __user *buf, size_t count,
				  loff_t *ppos, bool iswrite);

/* Handlers of the fixed regions; device-specific ones bring their own. */
static const vfio_pci_rw_fn vfio_pci_fixed_rw[VFIO_PCI_NUM_REGIONS] = {
	[VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX] =
		vfio_pci_bar_rw,
	[VFIO_PCI_ROM_REGION_INDEX] = vfio_pci_rom_rw,
	[VFIO_PCI_CONFIG_REGION_INDEX] = vfio_pci_config_rw,
	[VFIO_PCI_VGA_REGION_INDEX] = vfio_pci_vga_rw,
};

static ssize_t vfio_pci_rw(struct vfio_pci_core_device *vdev,
			   char __user *buf, size_t count, loff_t *ppos,
			   bool iswrite)
{
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	vfio_pci_rw_fn rw;
	ssize_t ret;

	if (index < VFIO_PCI_NUM_REGIONS)
		rw = vfio_pci_fixed_rw[index];
	else if (index - VFIO_PCI_NUM_REGIONS < vdev->num_regions)
		rw = vdev->region[index - VFIO_PCI_NUM_REGIONS].ops->rw;
	else
		return -EINVAL;

	/* The device may be runtime suspended: wake it for the access. */
	ret = pm_runtime_resume_and_get(&vdev->pdev->dev);
	if (ret) {
		pci_info_ratelimited(vdev->pdev, "runtime resume failed %zd\n",
				     ret);
		return -EIO;
	}
	ret = rw(vdev, buf, count, ppos, iswrite);
	pm_runtime_put(&vdev->pdev->dev);
	return ret;
}

ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char __user *buf,
			   size_t count, loff_t *ppos)
{
	if (!count)
		return 0;
	return vfio_pci_rw(vfio_pci_core(core_vdev), buf, count, ppos, false);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_read);

ssize_t vfio_pci_core_write(struct vfio_device *core_vdev,
			    const char __user *buf, size_t count, loff_t *ppos)
{
	if (!count)
		return 0;
	return vfio_pci_rw(vfio_pci_core(core_vdev), (char __user *)buf,
			   count, ppos, true);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_write);

/* ---------------------------------------------------------------- */
/* ioeventfd                                                         */

static void ioeventfd_write(struct vfio_pci_ioeventfd *ioev, bool test_mem)
{
	io_access(ioev->vdev, test_mem, ioev->addr, &ioev->val, ioev->count,
		  true);
}

/* Atomic context: only try the lock, else defer to the thread. */
static int ioeventfd_handler(void *opaque, void *unused)
{
	struct vfio_pci_ioeventfd *ioev = opaque;
	struct vfio_pci_core_device *vdev = ioev->vdev;

	if (!ioev->test_mem) {
		ioeventfd_write(ioev, false);
		return 0;
	}
	if (!down_read_trylock(&vdev->memory_lock))
		return 1;
	/* Decode off: the write is dropped, as a BAR write would be. */
	if (__vfio_pci_memory_enabled(vdev))
		ioeventfd_write(ioev, false);
	up_read(&vdev->memory_lock);
	return 0;
}

static void ioeventfd_thread(void *opaque, void *unused)
{
	struct vfio_pci_ioeventfd *ioev = opaque;

	ioeventfd_write(ioev, ioev->test_mem);
}

static void ioeventfd_free(struct vfio_pci_core_device *vdev,
			   struct vfio_pci_ioeventfd *ioev)
{
	vfio_virqfd_disable(&ioev->virqfd);
	list_del(&ioev->node);
	vdev->ioeventfds_nr--;
	kfree(ioev);
}

static struct vfio_pci_ioeventfd *
ioeventfd_find(struct vfio_pci_core_device *vdev, int bar, loff_t pos,
	       u64 data, int count)
{
	struct vfio_pci_ioeventfd *ioev;

	lockdep_assert_held(&vdev->ioeventfds_lock);

	list_for_each_entry(ioev, &vdev->ioeventfds_list, node)
		if (ioev->bar == bar && ioev->pos == pos &&
		    ioev->count == count && ioev->data == data)
			return ioev;
	return NULL;
}

static int ioeventfd_add(struct vfio_pci_core_device *vdev, int bar,
			 loff_t pos, u64 data, int count, int fd)
{
	struct vfio_pci_ioeventfd *ioev;
	int ret;

	ioev = kmalloc(sizeof(*ioev), GFP_KERNEL_ACCOUNT);
	if (!ioev)
		return -ENOMEM;
	*ioev = (struct vfio_pci_ioeventfd) {
		.vdev = vdev, .bar = bar, .pos = pos,
		.addr = vdev->barmap[bar] + pos,
		.data = data, .count = count,
		.test_mem = pci_resource_flags(vdev->pdev, bar) &
			    IORESOURCE_MEM,
	};

	switch (count) {
	case 1:
		ioev->val.b = data;
		break;
	case 2:
		ioev->val.w = data;
		break;
	case 4:
		ioev->val.l = data;
		break;
	default:
		ioev->val.q = data;
	}

	ret = vfio_virqfd_enable(ioev, ioeventfd_handler, ioeventfd_thread,
				 NULL, &ioev->virqfd, fd);
	if (ret) {
		kfree(ioev);
		return ret;
	}
	list_add(&ioev->node, &vdev->ioeventfds_list);
	vdev->ioeventfds_nr++;
	return 0;
}

/*
 * Add (fd >= 0) or remove (fd == -1) the ioeventfd writing @data of
 * @count bytes at @offset. Removal matches on all four values.
 */
int vfio_pci_ioeventfd(struct vfio_pci_core_device *vdev, loff_t offset,
		       u64 data, int count, int fd)
{
	struct pci_dev *pdev = vdev->pdev;
	u64 index = VFIO_PCI_OFFSET_TO_INDEX((u64)offset);
	loff_t pos = offset & VFIO_PCI_OFFSET_MASK;
	struct vfio_pci_ioeventfd *ioev;
	int bar, ret;

	/* BARs only, and not the MSI-X table behind the host's back. */
	if (index > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	bar = index;
	if (pos + count > pci_resource_len(pdev, bar))
		return -EINVAL;
	if (bar == vdev->msix_bir &&
	    pos + count > vdev->msix_table_off &&
	    pos < vdev->msix_table_off + vdev->msix_table_len)
		return -EINVAL;

	ret = vfio_pci_core_setup_barmap(vdev, bar);
	if (ret)
		return ret;

	mutex_lock(&vdev->ioeventfds_lock);
	ioev = ioeventfd_find(vdev, bar, pos, data, count);
	if (ioev && fd == -1) {
		ioeventfd_free(vdev, ioev);
		ret = 0;
	} else if (ioev) {
		ret = -EEXIST;
	} else if (fd < 0) {
		ret = -ENODEV;
	} else if (vdev->ioeventfds_nr >= VFIO_PCI_IOEVENTFD_MAX) {
		ret = -ENOSPC;
	} else {
		ret = ioeventfd_add(vdev, bar, pos, data, count, fd);
	}
	mutex_unlock(&vdev->ioeventfds_lock);
	return ret;
}

/* Device close: the fd is gone, nobody can add more. */
void vfio_pci_ioeventfds_release(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_ioeventfd *ioev, *tmp;

	mutex_lock(&vdev->ioeventfds_lock);
	list_for_each_entry_safe(ioev, tmp, &vdev->ioeventfds_list, node)
		ioeventfd_free(vdev, ioev);
	mutex_unlock(&vdev->ioeventfds_lock);
}
