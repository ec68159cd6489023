// SPDX-License-Identifier: GPL-2.0-only
/*
 * Emulated-IOMMU devices (mdev-style: no IOMMU of their own) reach guest
 * memory by pinning pages of a mapping one at a time, or by copying
 * through the owner's mm. Their pins are counted per page, so an unmap
 * can ask the devices to drop them before the range goes away.
 */

#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "type1.h"

/* Pinned pages in [@first, @first + @npages) that are charged on their own. */
long t1_ext_acct_in(struct t1_mapping *m, unsigned long first,
		    unsigned long npages)
{
	struct t1_ext_pin *ep;
	unsigned long idx;
	long n = 0;

	if (xa_empty(&m->ext_pins) || !npages)
		return 0;
	xa_for_each_range(&m->ext_pins, idx, ep, first, first + npages - 1)
		if (ep->acct)
			n++;
	return n;
}

/*
 * Drop an entry whatever its count. Returns the pages to refund: while
 * the mapping is pinned its runs carry the charge of every page.
 */
static long t1_ext_release(struct t1_mapping *m, unsigned long idx,
			   struct t1_ext_pin *ep)
{
	long refund = ep->acct && !m->pinned;

	xa_erase(&m->ext_pins, idx);
	if (ep->gup) {
		struct page *page = pfn_to_page(ep->pfn);

		unpin_user_pages_dirty_lock(&page, 1, m->prot & IOMMU_WRITE);
	}
	kfree(ep);
	return refund;
}

/*
 * Release pins no device will drop any more: the mapping goes away while
 * no device is registered to hear of it.
 */
void t1_ext_drop_all(struct t1_mapping *m)
{
	struct t1_ext_pin *ep;
	unsigned long idx;
	long refund = 0;

	xa_for_each(&m->ext_pins, idx, ep)
		refund += t1_ext_release(m, idx, ep);
	t1_account(m, -refund);
}

/* Pin the page at @idx of @m for the first time. */
static int t1_ext_pin_new(struct t1_mapping *m, unsigned long idx,
			  struct t1_ext_pin **out)
{
	unsigned long vaddr = m->vaddr + (idx << PAGE_SHIFT);
	bool write = m->prot & IOMMU_WRITE;
	unsigned int gup = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	struct mm_struct *mm = m->own.mm;
	struct page *page = NULL;
	struct t1_ext_pin *ep;
	unsigned long pfn;
	long n;
	int ret;

	if (!mmget_not_zero(mm))
		return -ENODEV;
	mmap_read_lock(mm);
	n = pin_user_pages_remote(mm, vaddr, 1, gup, &page, NULL);
	if (n == 1) {
		pfn = page_to_pfn(page);
	} else {
		page = NULL;
		n = pinrun_follow_pfnmap(mm, vaddr, 1, write, &pfn, n);
	}
	mmap_read_unlock(mm);
	mmput(mm);
	if (n < 0)
		return n;

	/* The caller wants a struct page: EINVAL without one. */
	ep = pfn_valid(pfn) ? kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT) : NULL;
	ret = pfn_valid(pfn) ? -ENOMEM : -EINVAL;
	if (!ep)
		goto err_unpin;
	ep->pfn = pfn;
	ep->refs = 1;
	ep->gup = !!page;
	ep->acct = !pinrun_pfn_reserved(pfn);

	/* A pinned mapping already charged this page. */
	if (ep->acct && !m->pinned) {
		ret = t1_account(m, 1);
		if (ret)
			goto err_free;
	}

	ret = xa_err(xa_store(&m->ext_pins, idx, ep, GFP_KERNEL_ACCOUNT));
	if (ret)
		goto err_refund;
	*out = ep;
	return 0;

err_refund:
	if (ep->acct && !m->pinned)
		t1_account(m, -1);
err_free:
	kfree(ep);
err_unpin:
	if (page)
		unpin_user_page(page);
	return ret;
}

/* Drop one pin at @iova of @m. */
static void t1_ext_unpin_at(struct t1_mapping *m, dma_addr_t iova)
{
	struct t1_ext_pin *ep;
	unsigned long idx;

	if (!m)
		return;
	idx = (iova - t1_map_iova(m)) >> PAGE_SHIFT;
	ep = xa_load(&m->ext_pins, idx);
	if (ep && !--ep->refs)
		t1_account(m, -t1_ext_release(m, idx, ep));
}

int t1_pin_pages(void *iommu_data, dma_addr_t user_iova, int npage,
		 int prot, struct page **pages)
{
	struct t1_iommu *iommu = iommu_data;
	struct t1_ext_pin *ep;
	struct t1_mapping *m;
	int i, ret;

	if (!iommu || !pages || npage <= 0)
		return -EINVAL;
	/* v1 has no dma_unmap contract with devices. */
	if (!iommu->v2)
		return -EACCES;

	user_iova = ALIGN_DOWN(user_iova, PAGE_SIZE);
	mutex_lock(&iommu->lock);

	/* UPDATE_VADDR is refused while emulated groups exist. */
	if (iommu->stale_vaddrs) {
		pr_warn_once("vfio_iommu_type1: pin_pages while a vaddr is invalid\n");
		ret = -EBUSY;
		goto out_unlock;
	}
	/* Without a dma_unmap callback nobody could take the pins back. */
	if (list_empty(&iommu->devices)) {
		ret = -EINVAL;
		goto out_unlock;
	}

	for (i = 0; i < npage; i++) {
		dma_addr_t iova = user_iova + ((dma_addr_t)i << PAGE_SHIFT);
		unsigned long idx;

		/* Unmapped: EINVAL; mapped without the access asked: EPERM. */
		m = t1_mapping_at(iommu, iova);
		ret = m ? -EPERM : -EINVAL;
		if (!m || (m->prot & prot) != prot)
			goto err_unwind;

		idx = (iova - t1_map_iova(m)) >> PAGE_SHIFT;
		ep = xa_load(&m->ext_pins, idx);
		if (ep) {
			ep->refs++;
		} else {
			ret = t1_ext_pin_new(m, idx, &ep);
			if (ret)
				goto err_unwind;
			/* A pinned page may be written at any time. */
			if (iommu->dirty_tracking)
				t1_dirty_mark(iommu, m, (u64)idx << PAGE_SHIFT,
					      PAGE_SIZE);
		}
		pages[i] = pfn_to_page(ep->pfn);
	}
	ret = npage;
	goto out_unlock;

err_unwind:
	pages[i] = NULL;
	while (i--) {
		dma_addr_t iova = user_iova + ((dma_addr_t)i << PAGE_SHIFT);

		t1_ext_unpin_at(t1_mapping_at(iommu, iova), iova);
		pages[i] = NULL;
	}
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

void t1_unpin_pages(void *iommu_data, dma_addr_t user_iova, int npage)
{
	struct t1_iommu *iommu = iommu_data;
	int i;

	if (!iommu || !iommu->v2)
		return;

	user_iova = ALIGN_DOWN(user_iova, PAGE_SIZE);
	mutex_lock(&iommu->lock);
	for (i = 0; i < npage; i++) {
		dma_addr_t iova = user_iova + ((dma_addr_t)i << PAGE_SHIFT);
		struct t1_mapping *m = t1_mapping_at(iommu, iova);

		if (!m)
			break;
		t1_ext_unpin_at(m, iova);
	}
	mutex_unlock(&iommu->lock);
}

/* Copy within one mapping; *@done is what was copied. */
static int t1_rw_chunk(struct t1_iommu *iommu, dma_addr_t iova, void *data,
		       size_t count, bool write, size_t *done)
{
	struct t1_mapping *m = t1_mapping_at(iommu, iova);
	bool kthread = !current->mm;
	void __user *uaddr;
	size_t off;

	*done = 0;
	if (!m)
		return -EINVAL;
	/* As upstream: the mapping must be readable, and writable to write. */
	if ((write && !(m->prot & IOMMU_WRITE)) || !(m->prot & IOMMU_READ))
		return -EPERM;
	if (!mmget_not_zero(m->own.mm))
		return -EPERM;

	if (kthread)
		kthread_use_mm(m->own.mm);
	else if (current->mm != m->own.mm)
		goto out_put;

	off = iova - t1_map_iova(m);
	count = min(count, m->size - off);
	uaddr = (void __user *)(m->vaddr + off);
	if (write) {
		if (!copy_to_user(uaddr, data, count)) {
			*done = count;
			if (iommu->dirty_tracking)
				t1_dirty_mark(iommu, m, off, count);
		}
	} else if (!copy_from_user(data, uaddr, count)) {
		*done = count;
	}

	if (kthread)
		kthread_unuse_mm(m->own.mm);
out_put:
	mmput(m->own.mm);
	return *done ? 0 : -EFAULT;
}

int t1_dma_rw(void *iommu_data, dma_addr_t user_iova, void *data,
	      size_t count, bool write)
{
	struct t1_iommu *iommu = iommu_data;
	size_t done;
	int ret = 0;

	mutex_lock(&iommu->lock);
	if (iommu->stale_vaddrs) {
		pr_warn_once("vfio_iommu_type1: dma_rw while a vaddr is invalid\n");
		ret = -EBUSY;
		goto out_unlock;
	}

	for (; count; count -= done, data += done, user_iova += done) {
		ret = t1_rw_chunk(iommu, user_iova, data, count, write, &done);
		if (ret)
			break;
	}

out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

/*
 * Tell every registered device that [@iova, @iova + @size) goes away;
 * they unpin in response, which takes iommu->lock: so drop it meanwhile.
 * Called and returns with iommu->lock held.
 */
void t1_notify_unmap(struct t1_iommu *iommu, dma_addr_t iova, size_t size)
{
	struct t1_device *dev;

	mutex_unlock(&iommu->lock);
	mutex_lock(&iommu->dev_lock);
	list_for_each_entry(dev, &iommu->devices, node)
		dev->vdev->ops->dma_unmap(dev->vdev, iova, size);
	mutex_unlock(&iommu->dev_lock);
	mutex_lock(&iommu->lock);
}
