// SPDX-License-Identifier: GPL-2.0-only
/*
 * BAR mappings in user space.
 *
 * mmap() only sets up the VMA; pages are inserted by the fault handler,
 * which checks under memory_lock that the BAR may be accessed. Whoever
 * stops BAR access (memory decode off, low power, reset) takes
 * memory_lock for write and zaps every mapping of the device through the
 * vfio_device inode's address space, so the next touch faults and waits
 * or gets SIGBUS.
 */

#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>

#include "priv.h"

/* Bits of vm_pgoff below the region index. */
#define VFIO_PCI_PGOFF_MASK \
	((1UL << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1)

/* The rest of a subpage BAR's page, kept from other devices. */
struct vfio_pci_subpage_rsv {
	struct resource		res;
	struct list_head	node;
};

static vm_fault_t vfio_pci_bar_fault(struct vm_fault *vmf, unsigned int order);

static vm_fault_t vfio_pci_bar_page_fault(struct vm_fault *vmf)
{
	return vfio_pci_bar_fault(vmf, 0);
}

/* Pages always; PMD/PUD entries where the architecture maps them. */
static const struct vm_operations_struct vfio_pci_bar_vm_ops = {
#ifdef CONFIG_ARCH_SUPPORTS_HUGE_PFNMAP
	.huge_fault = vfio_pci_bar_fault,
#endif
	.fault = vfio_pci_bar_page_fault,
};

/* Caller holds memory_lock. */
bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd = vdev->vconfig[PCI_COMMAND] |
		  (vdev->vconfig[PCI_COMMAND + 1] << 8);

	/*
	 * No access in D3. A VF's memory enable lives in its PF's SR-IOV
	 * control, so a VF only honours the virtual bit it reports.
	 */
	return vfio_pci_pstate(pdev->current_state) <
	       vfio_pci_pstate(PCI_D3hot) &&
	       (pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY));
}

/*
 * For kernel-side work that needs decode (MSI-X table writes, ROM
 * probing): block user access and turn memory decode on if it was off.
 * Returns the command register to put back.
 */
u16 vfio_pci_memory_lock_and_enable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 saved;

	down_write(&vdev->memory_lock);
	pci_read_config_word(pdev, PCI_COMMAND, &saved);
	if (!(saved & PCI_COMMAND_MEMORY))
		pci_write_config_word(pdev, PCI_COMMAND,
				      saved | PCI_COMMAND_MEMORY);
	return saved;
}

void vfio_pci_memory_unlock_and_restore(struct vfio_pci_core_device *vdev,
					u16 cmd)
{
	pci_write_config_word(vdev->pdev, PCI_COMMAND, cmd);
	up_write(&vdev->memory_lock);
}

/* Make every user mapping of the BARs fault again. */
void vfio_pci_zap_bars(struct vfio_pci_core_device *vdev)
{
	loff_t start = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	loff_t end = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_ROM_REGION_INDEX);

	unmap_mapping_range(vdev->vdev.inode->i_mapping, start, end - start,
			    true);
}

/* Stop BAR access: the faults that follow wait for memory_lock. */
void vfio_pci_zap_and_down_write_memory_lock(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	vfio_pci_zap_bars(vdev);
}

/*
 * Decide at open which BARs may be mapped: memory BARs of at least a
 * page, and smaller ones that start a page whose remainder we can
 * reserve so no other device's BAR lands in it.
 */
void vfio_pci_probe_mmaps(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_subpage_rsv *rsv;
	struct resource *res;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		res = &pdev->resource[bar];
		vdev->bar_mmap_supported[bar] = false;

		/* Empty resources with a type would be a PCI core bug. */
		if (!(res->flags & IORESOURCE_MEM) || !resource_size(res))
			continue;

		if (resource_size(res) >= PAGE_SIZE) {
			vdev->bar_mmap_supported[bar] = true;
			continue;
		}

		/*
		 * A subpage BAR not at a page start cannot be mapped: the
		 * user could not tell where in the page it is.
		 */
		if (res->start & ~PAGE_MASK)
			continue;

		rsv = kzalloc(sizeof(*rsv), GFP_KERNEL_ACCOUNT);
		if (!rsv)
			continue;
		rsv->res.name = "vfio sub-page reserved";
		rsv->res.start = res->end + 1;
		rsv->res.end = res->start + PAGE_SIZE - 1;
		rsv->res.flags = res->flags;
		if (request_resource(res->parent, &rsv->res)) {
			kfree(rsv);
			continue;
		}
		list_add(&rsv->node, &vdev->subpage_reservations);
		vdev->bar_mmap_supported[bar] = true;
	}
}

void vfio_pci_release_subpage_reservations(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_subpage_rsv *rsv, *tmp;

	list_for_each_entry_safe(rsv, tmp, &vdev->subpage_reservations, node) {
		list_del(&rsv->node);
		release_resource(&rsv->res);
		kfree(rsv);
	}
}

static unsigned long vma_bar_pfn(struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = vma->vm_private_data;
	unsigned int bar = vma->vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);

	return (pci_resource_start(vdev->pdev, bar) >> PAGE_SHIFT) +
	       (vma->vm_pgoff & VFIO_PCI_PGOFF_MASK);
}

/* Map @pfn at the faulting address, as a page or a huge entry. */
static vm_fault_t vfio_pci_bar_insert(struct vm_fault *vmf,
				      unsigned long pfn, unsigned int order)
{
	if (!order)
		return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	if (order == PMD_ORDER)
		return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					  false);
#endif
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
	if (order == PUD_ORDER)
		return vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					  false);
#endif
	return VM_FAULT_FALLBACK;
}

static vm_fault_t vfio_pci_bar_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vfio_pci_core_device *vdev = vma->vm_private_data;
	unsigned long size = PAGE_SIZE << order;
	unsigned long addr = ALIGN_DOWN(vmf->address, size);
	unsigned long pfn = vma_bar_pfn(vma) +
			    ((addr - vma->vm_start) >> PAGE_SHIFT);
	vm_fault_t ret = VM_FAULT_SIGBUS;

	/* A huge entry must fit the VMA and be aligned physically too. */
	if (order && (addr < vma->vm_start || addr + size > vma->vm_end ||
		      (pfn & ((1UL << order) - 1))))
		return VM_FAULT_FALLBACK;

	/*
	 * No access while in low power or with memory decode off. Low
	 * power starts under memory_lock; resume may end it without.
	 */
	down_read(&vdev->memory_lock);
	if (!READ_ONCE(vdev->lowpower_active) &&
	    __vfio_pci_memory_enabled(vdev))
		ret = vfio_pci_bar_insert(vmf, pfn, order);
	up_read(&vdev->memory_lock);
	return ret;
}

/* A device-specific region maps itself, if it says it can. */
static int vfio_pci_region_mmap(struct vfio_pci_core_device *vdev,
				struct vfio_pci_region *region,
				struct vm_area_struct *vma)
{
	if (!(region->flags & VFIO_REGION_INFO_FLAG_MMAP) || !region->ops ||
	    !region->ops->mmap)
		return -EINVAL;
	return region->ops->mmap(vdev, region, vma);
}

int vfio_pci_core_mmap(struct vfio_device *core_vdev,
		       struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);
	struct pci_dev *pdev = vdev->pdev;
	u64 req_start, req_len, bar_len;
	unsigned long index;
	int ret;

	/* A private copy of MMIO makes no sense. */
	index = vma->vm_pgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
	if (index >= VFIO_PCI_NUM_REGIONS + vdev->num_regions ||
	    vma->vm_end < vma->vm_start || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (index >= VFIO_PCI_NUM_REGIONS)
		return vfio_pci_region_mmap(vdev,
					    &vdev->region[index - VFIO_PCI_NUM_REGIONS],
					    vma);
	/* The ROM, config space and VGA are never mapped. */
	if (index > VFIO_PCI_BAR5_REGION_INDEX ||
	    !vdev->bar_mmap_supported[index])
		return -EINVAL;

	bar_len = PAGE_ALIGN(pci_resource_len(pdev, index));
	req_len = vma->vm_end - vma->vm_start;
	req_start = (u64)(vma->vm_pgoff & VFIO_PCI_PGOFF_MASK) << PAGE_SHIFT;
	if (req_start + req_len > bar_len)
		return -EINVAL;

	/*
	 * The mapping itself does not use barmap, but the BAR's resource
	 * must be claimed, and barmap records that it is.
	 */
	ret = vfio_pci_core_setup_barmap(vdev, index);
	if (ret)
		return ret;

	/*
	 * The flags io_remap_pfn_range() would set, fixed now as the
	 * fault handler may not change them. VM_ALLOW_ANY_UNCACHED lets
	 * KVM on arm64 map it write-combining in the guest, which the
	 * platform must make safe for VFIO anyway.
	 */
	vm_flags_set(vma, VM_ALLOW_ANY_UNCACHED | VM_IO | VM_PFNMAP |
			  VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_decrypted(pgprot_noncached(vma->vm_page_prot));
	vma->vm_private_data = vdev;
	vma->vm_ops = &vfio_pci_bar_vm_ops;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_mmap);
