// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device's MEM and IO resources as VFIO regions: described and
 * mapped when the device opens, accessed through read/write of the
 * device fd (MMIO only, in naturally aligned 1, 2 or 4 byte accesses)
 * and mmap (page-aligned MMIO only). IO ports are listed without
 * access, as upstream.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_platform_priv.h"

static void vfp_region_describe(struct vfio_platform_region *reg,
				const struct resource *res)
{
	reg->addr = res->start;
	reg->size = resource_size(res);
	reg->flags = 0;
	reg->ioaddr = NULL;

	if (resource_type(res) == IORESOURCE_IO) {
		reg->type = VFIO_PLATFORM_REGION_TYPE_PIO;
		return;
	}
	reg->type = VFIO_PLATFORM_REGION_TYPE_MMIO;
	reg->flags = VFIO_REGION_INFO_FLAG_READ;
	if (!(res->flags & IORESOURCE_READONLY))
		reg->flags |= VFIO_REGION_INFO_FLAG_WRITE;
	/* A mapping covers whole pages: only offer it when nothing else shares them. */
	if (PAGE_ALIGNED(reg->addr) && PAGE_ALIGNED(reg->size))
		reg->flags |= VFIO_REGION_INFO_FLAG_MMAP;
}

int vfp_regions_setup(struct vfio_platform_device *vdev)
{
	struct platform_device *pdev = vdev->opaque;
	struct vfio_platform_region *regs;
	struct resource *res;
	unsigned int n = 0, i;
	int ret;

	while (platform_get_mem_or_io(pdev, n))
		n++;

	regs = kcalloc(n, sizeof(*regs), GFP_KERNEL_ACCOUNT);
	if (!regs && n)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		res = platform_get_mem_or_io(pdev, i);
		vfp_region_describe(&regs[i], res);
		if (regs[i].type != VFIO_PLATFORM_REGION_TYPE_MMIO)
			continue;
		regs[i].ioaddr = ioremap(regs[i].addr, regs[i].size);
		if (!regs[i].ioaddr) {
			ret = -ENOMEM;
			goto err_unmap;
		}
	}
	vdev->regions = regs;
	vdev->num_regions = n;
	return 0;

err_unmap:
	while (i--)
		if (regs[i].ioaddr)
			iounmap(regs[i].ioaddr);
	kfree(regs);
	return ret;
}

void vfp_regions_teardown(struct vfio_platform_device *vdev)
{
	u32 i;

	for (i = 0; i < vdev->num_regions; i++)
		if (vdev->regions[i].ioaddr)
			iounmap(vdev->regions[i].ioaddr);
	kfree(vdev->regions);
	vdev->regions = NULL;
	vdev->num_regions = 0;
}

/*
 * The region and offset @pos names, if the region allows @need
 * (READ or WRITE) through the fd; -EINVAL otherwise, as upstream.
 */
static struct vfio_platform_region *
vfp_region_at(struct vfio_platform_device *vdev, loff_t pos, u32 need,
	      u64 *off)
{
	u64 index = VFIO_PLATFORM_OFFSET_TO_INDEX((u64)pos);
	struct vfio_platform_region *reg;

	if (index >= vdev->num_regions)
		return ERR_PTR(-EINVAL);
	reg = &vdev->regions[index];
	if (!(reg->flags & need) || reg->type != VFIO_PLATFORM_REGION_TYPE_MMIO)
		return ERR_PTR(-EINVAL);
	*off = (u64)pos & VFIO_PLATFORM_OFFSET_MASK;
	if (*off >= reg->size)
		return ERR_PTR(-EINVAL);
	return reg;
}

/* Widest naturally aligned access (at most 4 bytes) at @off for @left. */
static size_t vfp_access_width(u64 off, size_t left)
{
	if (left >= 4 && IS_ALIGNED(off, 4))
		return 4;
	if (left >= 2 && IS_ALIGNED(off, 2))
		return 2;
	return 1;
}

/*
 * One access of @w bytes (1, 2 or 4) between @io and the user's @ubuf,
 * in the direction @iswrite says.
 */
static int vfp_xfer(void __iomem *io, char __user *ubuf, size_t w,
		    bool iswrite)
{
	union {
		u32 v32;
		u16 v16;
		u8 v8;
	} v;

	if (iswrite) {
		if (copy_from_user(&v, ubuf, w))
			return -EFAULT;
		if (w == 4)
			iowrite32(v.v32, io);
		else if (w == 2)
			iowrite16(v.v16, io);
		else
			iowrite8(v.v8, io);
		return 0;
	}
	if (w == 4)
		v.v32 = ioread32(io);
	else if (w == 2)
		v.v16 = ioread16(io);
	else
		v.v8 = ioread8(io);
	return copy_to_user(ubuf, &v, w) ? -EFAULT : 0;
}

static ssize_t vfp_rw(struct vfio_device *core_vdev, char __user *buf,
		      size_t count, loff_t *ppos, bool iswrite)
{
	struct vfio_platform_device *vdev = to_vfp(core_vdev);
	struct vfio_platform_region *reg;
	size_t done, w;
	u64 off;

	reg = vfp_region_at(vdev, *ppos, iswrite ? VFIO_REGION_INFO_FLAG_WRITE :
			    VFIO_REGION_INFO_FLAG_READ, &off);
	if (IS_ERR(reg))
		return PTR_ERR(reg);
	count = min_t(u64, count, reg->size - off);

	for (done = 0; done < count; done += w) {
		w = vfp_access_width(off + done, count - done);
		if (vfp_xfer(reg->ioaddr + off + done, buf + done, w, iswrite))
			return -EFAULT;
	}
	/* Like upstream, the fd position is the caller's business (pread). */
	return done;
}

ssize_t vfp_read(struct vfio_device *core_vdev, char __user *buf,
		 size_t count, loff_t *ppos)
{
	return vfp_rw(core_vdev, buf, count, ppos, false);
}

ssize_t vfp_write(struct vfio_device *core_vdev, const char __user *buf,
		  size_t count, loff_t *ppos)
{
	return vfp_rw(core_vdev, (char __user *)buf, count, ppos, true);
}

int vfp_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	struct vfio_platform_device *vdev = to_vfp(core_vdev);
	const unsigned int idx_shift = VFIO_PLATFORM_OFFSET_SHIFT - PAGE_SHIFT;
	struct vfio_platform_region *reg;
	unsigned long index, pgoff;
	u64 start, len;

	index = vma->vm_pgoff >> idx_shift;
	if (vma->vm_end < vma->vm_start || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (index >= vdev->num_regions)
		return -EINVAL;
	if (!PAGE_ALIGNED(vma->vm_start) || !PAGE_ALIGNED(vma->vm_end))
		return -EINVAL;

	reg = &vdev->regions[index];
	if (!(reg->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -EINVAL;
	if ((vma->vm_flags & VM_READ) && !(reg->flags & VFIO_REGION_INFO_FLAG_READ))
		return -EINVAL;
	if ((vma->vm_flags & VM_WRITE) && !(reg->flags & VFIO_REGION_INFO_FLAG_WRITE))
		return -EINVAL;
	if (reg->type != VFIO_PLATFORM_REGION_TYPE_MMIO)
		return -EINVAL;

	pgoff = vma->vm_pgoff & ((1UL << idx_shift) - 1);
	start = (u64)pgoff << PAGE_SHIFT;
	len = vma->vm_end - vma->vm_start;
	if (reg->size < PAGE_SIZE || start + len > reg->size)
		return -EINVAL;

	vma->vm_private_data = vdev;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_pgoff = (reg->addr >> PAGE_SHIFT) + pgoff;
	return remap_pfn_range(vma, vma->vm_start, vma->vm_pgoff, len,
			       vma->vm_page_prot);
}
