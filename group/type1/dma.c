// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOVA tree of a type1 container and the MAP_DMA / UNMAP_DMA logic.
 *
 * Each MAP_DMA is one node of an interval tree keyed by inclusive IOVA
 * ranges (so a mapping may end at the very top of the IOVA space). Nodes
 * never overlap; the tree is only changed under t1_iommu.lock.
 */

#include <kunit/visibility.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include "type1.h"

/* A device that keeps its pins after this many dma_unmap calls is buggy. */
#define T1_NOTIFY_RETRIES	10

static struct t1_mapping *t1_node_to_mapping(struct interval_tree_node *n)
{
	return n ? container_of(n, struct t1_mapping, node) : NULL;
}

/* The mapping that contains @iova, if any. */
struct t1_mapping *t1_mapping_at(struct t1_iommu *iommu, dma_addr_t iova)
{
	return t1_node_to_mapping(interval_tree_iter_first(&iommu->maps, iova,
							   iova));
}
EXPORT_SYMBOL_IF_KUNIT(t1_mapping_at);

/* The lowest mapping that overlaps [@first, @last]. */
struct t1_mapping *t1_mapping_first(struct t1_iommu *iommu, dma_addr_t first,
				    dma_addr_t last)
{
	return t1_node_to_mapping(interval_tree_iter_first(&iommu->maps,
							   first, last));
}

/* The next mapping after @m that overlaps [@first, @last]. */
struct t1_mapping *t1_mapping_next(struct t1_mapping *m, dma_addr_t first,
				   dma_addr_t last)
{
	return t1_node_to_mapping(interval_tree_iter_next(&m->node, first,
							  last));
}

struct t1_mapping *t1_mapping_lowest(struct t1_iommu *iommu)
{
	struct rb_node *n = rb_first_cached(&iommu->maps);

	return n ? rb_entry(n, struct t1_mapping, node.rb) : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(t1_mapping_lowest);

/* In IOVA order, for walks over every mapping. */
struct t1_mapping *t1_mapping_succ(struct t1_mapping *m)
{
	struct rb_node *n = rb_next(&m->node.rb);

	return n ? rb_entry(n, struct t1_mapping, node.rb) : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(t1_mapping_succ);

static struct t1_mapping *t1_mapping_alloc(dma_addr_t iova,
					   unsigned long vaddr, size_t size,
					   int prot)
{
	struct t1_mapping *m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);

	if (!m)
		return NULL;
	m->node.start = iova;
	m->node.last = iova + size - 1;
	m->vaddr = vaddr;
	m->size = size;
	m->prot = prot;
	pinrun_store_init(&m->runs);
	xa_init(&m->ext_pins);

	/*
	 * Pins may come later from other contexts (replay on attach, an
	 * emulated device): keep the caller's mm to pin from and charge,
	 * and its group leader for RLIMIT_MEMLOCK.
	 */
	m->own.task = get_task_struct(current->group_leader);
	m->own.mm = current->mm;
	mmgrab(m->own.mm);
	m->own.lock_cap = capable(CAP_IPC_LOCK);
	m->own.mode = PINRUN_ACCT_MM;
	return m;
}

/* Free a mapping that holds no pins and is not in the tree. */
static void t1_mapping_free(struct t1_mapping *m)
{
	t1_dirty_free(m);
	xa_destroy(&m->ext_pins);
	mmdrop(m->own.mm);
	put_task_struct(m->own.task);
	kfree(m);
}

/* Unmap, unpin, refund and forget @m. */
void t1_mapping_remove(struct t1_iommu *iommu, struct t1_mapping *m)
{
	/* Only left when no device is there to unpin them any more. */
	t1_ext_drop_all(m);
	t1_unmap_unpin(iommu, m, NULL);
	interval_tree_remove(&m->node, &iommu->maps);
	if (m->vaddr_stale)
		iommu->stale_vaddrs--;
	iommu->maps_left++;
	t1_mapping_free(m);
}

void t1_remove_all(struct t1_iommu *iommu)
{
	struct t1_mapping *m;

	while ((m = t1_mapping_lowest(iommu))) {
		t1_mapping_remove(iommu, m);
		cond_resched();
	}
}

/* MAP_DMA with VADDR: give a mapping whose vaddr was invalidated a new one. */
static int t1_revive(struct t1_iommu *iommu, struct t1_mapping *m,
		     dma_addr_t iova, unsigned long vaddr, size_t size)
{
	int ret;

	if (!m)
		return -ENOENT;
	if (!m->vaddr_stale || t1_map_iova(m) != iova || m->size != size)
		return -EINVAL;

	ret = t1_change_owner(m);
	if (ret)
		return ret;
	m->vaddr = vaddr;
	m->vaddr_stale = false;
	iommu->stale_vaddrs--;
	return 0;
}

static int t1_map_new(struct t1_iommu *iommu, dma_addr_t iova,
		      unsigned long vaddr, size_t size, int prot)
{
	struct t1_mapping *m;
	struct pinrun_batch b;
	int ret;

	if (!iommu->maps_left)
		return -ENOSPC;
	if (!t1_iova_usable(iommu, iova, iova + size - 1))
		return -EINVAL;

	m = t1_mapping_alloc(iova, vaddr, size, prot);
	if (!m)
		return -ENOMEM;

	if (iommu->dirty_tracking) {
		ret = t1_dirty_alloc(m, t1_min_pgsize(iommu));
		if (ret)
			goto err_free;
	}

	/* Without an IOMMU domain only emulated devices pin, on demand. */
	if (!list_empty(&iommu->domains)) {
		pinrun_batch_init(&b);
		ret = t1_pin_and_map(iommu, m, NULL, &b);
		pinrun_batch_fini(&b);
		if (ret)
			goto err_free;
	}

	interval_tree_insert(&m->node, &iommu->maps);
	iommu->maps_left--;
	return 0;

err_free:
	t1_mapping_free(m);
	return ret;
}

int t1_do_map(struct t1_iommu *iommu, struct vfio_iommu_type1_dma_map *map)
{
	bool revive = map->flags & VFIO_DMA_MAP_FLAG_VADDR;
	dma_addr_t iova = map->iova;
	unsigned long vaddr = map->vaddr;
	size_t size = map->size;
	struct t1_mapping *m;
	size_t pgsize;
	int prot = 0;
	int ret;

	/* The u64 fields must fit the kernel's types. */
	if (map->size != size || map->vaddr != vaddr || map->iova != iova)
		return -EINVAL;

	/* READ/WRITE are the device's view. */
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	/* VADDR only replaces the address: it takes no permissions. */
	if (!prot == !revive)
		return -EINVAL;

	mutex_lock(&iommu->lock);
	pgsize = t1_min_pgsize(iommu);

	ret = -EINVAL;
	if (!size || (size | iova | vaddr) & (pgsize - 1))
		goto out_unlock;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		goto out_unlock;

	m = t1_mapping_first(iommu, iova, iova + size - 1);
	if (revive)
		ret = t1_revive(iommu, m, iova, vaddr, size);
	else if (m)
		ret = -EEXIST;
	else
		ret = t1_map_new(iommu, iova, vaddr, size, prot);

out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(t1_do_map);

/*
 * UNMAP_DMA with VADDR: the process is about to replace its memory (live
 * update). Mark every mapping in range; all or none.
 */
static int t1_invalidate_vaddrs(struct t1_iommu *iommu, dma_addr_t first,
				dma_addr_t last, struct t1_mapping *from,
				u64 *unmapped)
{
	struct t1_mapping *m, *undo;

	for (m = from; m; m = t1_mapping_next(m, first, last)) {
		if (m->vaddr_stale)
			goto err_undo;
		m->vaddr_stale = true;
		iommu->stale_vaddrs++;
		*unmapped += m->size;
	}
	return 0;

err_undo:
	for (undo = from; undo != m; undo = t1_mapping_next(undo, first, last)) {
		undo->vaddr_stale = false;
		iommu->stale_vaddrs--;
	}
	*unmapped = 0;
	return -EINVAL;
}

/*
 * Type1 v1 tracked no mapping boundaries, so an UNMAP_DMA that starts
 * inside a mapping unmaps nothing and one that covers a mapping's first
 * page unmaps all of it. v2 requires whole mappings and fails otherwise.
 * Mappings that emulated devices pinned are released by asking the
 * devices (through dma_unmap) first; that drops the lock, so the walk
 * starts over afterwards.
 */
int t1_do_unmap(struct t1_iommu *iommu,
		struct vfio_iommu_type1_dma_unmap *unmap,
		struct vfio_bitmap *bitmap, u64 *unmapped)
{
	bool all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	bool stale = unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR;
	bool dirty = unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	struct t1_mapping *m, *next, *notified = NULL;
	dma_addr_t first = unmap->iova, last;
	unsigned int retries = 0;
	size_t pgsize;
	int ret = -EINVAL;

	*unmapped = 0;
	mutex_lock(&iommu->lock);

	/* Emulated devices cannot wait for a vaddr to come back. */
	if (stale && !list_empty(&iommu->emulated)) {
		ret = -EBUSY;
		goto out_unlock;
	}

	pgsize = t1_min_pgsize(iommu);
	if (first & (pgsize - 1))
		goto out_unlock;
	if (all) {
		if (first || unmap->size)
			goto out_unlock;
		last = U64_MAX;
	} else {
		if (!unmap->size || unmap->size & (pgsize - 1) ||
		    first + unmap->size - 1 < first)
			goto out_unlock;
		last = first + unmap->size - 1;
	}

	/* The bitmap granule is the smallest IOMMU page, while tracking. */
	if (dirty && (!iommu->dirty_tracking || bitmap->pgsize != pgsize))
		goto out_unlock;

restart:
	if (iommu->v2 && !all) {
		m = t1_mapping_at(iommu, first);
		if (m && t1_map_iova(m) != first)
			goto out_unlock;
		m = t1_mapping_at(iommu, last);
		if (m && m->node.last != last)
			goto out_unlock;
	}

	ret = 0;
	m = t1_mapping_first(iommu, first, last);
	if (m && !iommu->v2 && t1_map_iova(m) < first)
		goto out_unlock;

	if (stale) {
		ret = t1_invalidate_vaddrs(iommu, first, last, m, unmapped);
		goto out_unlock;
	}

	for (; m; m = next) {
		next = t1_mapping_next(m, first, last);

		if (!xa_empty(&m->ext_pins) && !list_empty(&iommu->devices)) {
			dma_addr_t iova = t1_map_iova(m);
			size_t size = m->size;

			if (m != notified) {
				notified = m;
				retries = 0;
			} else if (++retries > T1_NOTIFY_RETRIES) {
				/* A driver bug, not bad user input. */
				WARN_ONCE(1, "vfio_iommu_type1: pins kept after dma_unmap\n");
				ret = -EBUSY;
				break;
			}
			t1_notify_unmap(iommu, iova, size);
			goto restart;
		}

		if (dirty) {
			ret = t1_dirty_report(iommu, m, bitmap->data, first,
					      pgsize);
			if (ret)
				break;
		}

		*unmapped += m->size;
		t1_mapping_remove(iommu, m);
	}

out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(t1_do_unmap);
