// SPDX-License-Identifier: GPL-2.0-only
/*
 * Groups joining and leaving a type1 container: IOMMU domains, the usable
 * IOVA windows (apertures minus reserved regions) and replaying existing
 * mappings into a new domain.
 */

#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include "type1.h"

static struct t1_window *t1_window_new(dma_addr_t first, dma_addr_t last)
{
	struct t1_window *w = kmalloc(sizeof(*w), GFP_KERNEL);

	if (w) {
		w->first = first;
		w->last = last;
	}
	return w;
}

void t1_windows_free(struct list_head *windows)
{
	struct t1_window *w, *tmp;

	list_for_each_entry_safe(w, tmp, windows, node) {
		list_del(&w->node);
		kfree(w);
	}
}

static int t1_windows_copy(struct list_head *dst, struct list_head *src)
{
	struct t1_window *w, *n;

	list_for_each_entry(w, src, node) {
		n = t1_window_new(w->first, w->last);
		if (!n) {
			t1_windows_free(dst);
			return -ENOMEM;
		}
		list_add_tail(&n->node, dst);
	}
	return 0;
}

/* Keep what lies in [@first, @last]; no windows yet means all of it. */
VISIBLE_IF_KUNIT int t1_windows_clip(struct list_head *windows,
				     dma_addr_t first, dma_addr_t last)
{
	struct t1_window *w, *tmp;

	if (list_empty(windows)) {
		w = t1_window_new(first, last);
		if (!w)
			return -ENOMEM;
		list_add(&w->node, windows);
		return 0;
	}

	list_for_each_entry_safe(w, tmp, windows, node) {
		if (w->last < first || w->first > last) {
			list_del(&w->node);
			kfree(w);
			continue;
		}
		w->first = max(w->first, first);
		w->last = min(w->last, last);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(t1_windows_clip);

/* Take the reserved regions out; -EINVAL if no IOVA is left. */
VISIBLE_IF_KUNIT int t1_windows_punch(struct list_head *windows,
				      struct list_head *resv)
{
	struct iommu_resv_region *r;
	struct t1_window *w, *tmp, *tail;

	list_for_each_entry(r, resv, list) {
		dma_addr_t first = r->start, last = r->start + r->length - 1;

		/* The device may keep using these; they may be mapped over. */
		if (r->type == IOMMU_RESV_DIRECT_RELAXABLE || !r->length)
			continue;

		list_for_each_entry_safe(w, tmp, windows, node) {
			if (last < w->first || first > w->last)
				continue;
			if (first > w->first && last < w->last) {
				tail = t1_window_new(last + 1, w->last);
				if (!tail)
					return -ENOMEM;
				list_add(&tail->node, &w->node);
				w->last = first - 1;
			} else if (first > w->first) {
				w->last = first - 1;
			} else if (last < w->last) {
				w->first = last + 1;
			} else {
				list_del(&w->node);
				kfree(w);
			}
		}
	}
	return list_empty(windows) ? -EINVAL : 0;
}
EXPORT_SYMBOL_IF_KUNIT(t1_windows_punch);

/* Can MAP_DMA use [@first, @last]? Anything goes before a domain exists. */
bool t1_iova_usable(struct t1_iommu *iommu, dma_addr_t first,
		    dma_addr_t last)
{
	struct t1_window *w;

	if (list_empty(&iommu->windows))
		return true;
	list_for_each_entry(w, &iommu->windows, node)
		if (first >= w->first && last <= w->last)
			return true;
	return false;
}

/* Would a new aperture [@first, @last] cut off existing mappings? */
static bool t1_aperture_conflict(struct t1_iommu *iommu, dma_addr_t first,
				 dma_addr_t last)
{
	dma_addr_t lo, hi;

	if (list_empty(&iommu->windows))
		return false;
	lo = list_first_entry(&iommu->windows, struct t1_window, node)->first;
	hi = list_last_entry(&iommu->windows, struct t1_window, node)->last;

	if (first > hi || last < lo)
		return true;
	if (first > lo && t1_mapping_first(iommu, lo, first - 1))
		return true;
	if (last < hi && t1_mapping_first(iommu, last + 1, hi))
		return true;
	return false;
}

static bool t1_resv_conflict(struct t1_iommu *iommu, struct list_head *resv)
{
	struct iommu_resv_region *r;

	list_for_each_entry(r, resv, list) {
		if (r->type == IOMMU_RESV_DIRECT_RELAXABLE || !r->length)
			continue;
		if (t1_mapping_first(iommu, r->start,
				     r->start + r->length - 1))
			return true;
	}
	return false;
}

static void t1_resv_free(struct list_head *resv)
{
	struct iommu_resv_region *r, *tmp;

	list_for_each_entry_safe(r, tmp, resv, list) {
		list_del(&r->list);
		kfree(r);
	}
}

/* The software-managed MSI window, unless the hardware has its own. */
static bool t1_sw_msi_base(struct list_head *resv, phys_addr_t *base)
{
	struct iommu_resv_region *r;
	bool found = false;

	list_for_each_entry(r, resv, list) {
		if (r->type == IOMMU_RESV_MSI)
			return false;
		if (r->type == IOMMU_RESV_SW_MSI) {
			*base = r->start;
			found = true;
		}
	}
	return found;
}

/* Sizes every domain can map; pinning works in whole CPU pages. */
static void t1_update_pgsizes(struct t1_iommu *iommu)
{
	u64 sizes = U64_MAX;
	struct t1_domain *d;

	list_for_each_entry(d, &iommu->domains, node)
		sizes &= d->domain->pgsize_bitmap;

	if (sizes & ~PAGE_MASK) {
		sizes &= PAGE_MASK;
		sizes |= PAGE_SIZE;
	}
	iommu->pgsizes = sizes ? sizes : PAGE_SIZE;
}

/* The group in this container and, unless emulated, its domain. */
static struct t1_group *t1_find_group(struct t1_iommu *iommu,
				      struct iommu_group *group,
				      struct t1_domain **domain)
{
	struct t1_domain *d;
	struct t1_group *g;

	list_for_each_entry(d, &iommu->domains, node) {
		list_for_each_entry(g, &d->groups, node) {
			if (g->group == group) {
				*domain = d;
				return g;
			}
		}
	}
	list_for_each_entry(g, &iommu->emulated, node) {
		if (g->group == group) {
			*domain = NULL;
			return g;
		}
	}
	return NULL;
}

static int t1_alloc_for_dev(struct device *dev, void *data)
{
	struct iommu_domain **domain = data;

	*domain = vfio_paging_domain_alloc(dev);
	return 1;	/* any device of the group will do */
}

/*
 * Map every mapping into the new domain @d (not on the list yet). With
 * other domains present the mappings are pinned already; otherwise they
 * are pinned now. All or nothing.
 */
static int t1_replay(struct t1_iommu *iommu, struct t1_domain *d)
{
	bool pinned = !list_empty(&iommu->domains);
	struct t1_mapping *m, *undo;
	struct pinrun_batch b;
	int ret = 0;

	pinrun_batch_init(&b);
	for (m = t1_mapping_lowest(iommu); m; m = t1_mapping_succ(m)) {
		if (pinned)
			ret = t1_map_pinned(m, d, &b);
		else
			ret = t1_pin_and_map(iommu, m, d, &b);
		if (ret)
			break;
		cond_resched();
	}
	pinrun_batch_fini(&b);
	if (!ret)
		return 0;

	/* @m cleaned up after itself; undo the ones before it. */
	for (undo = t1_mapping_lowest(iommu); undo != m;
	     undo = t1_mapping_succ(undo)) {
		if (pinned)
			t1_domain_unmap(d, t1_map_iova(undo), undo->size);
		else
			t1_unmap_unpin(iommu, undo, d);
	}
	return ret;
}

int t1_attach_group(void *iommu_data, struct iommu_group *group,
		    enum vfio_group_type type)
{
	struct t1_iommu *iommu = iommu_data;
	struct iommu_domain_geometry *geo;
	struct t1_domain *d, *shared, *unused;
	phys_addr_t msi_base = 0;
	LIST_HEAD(windows);
	LIST_HEAD(resv);
	struct t1_group *g;
	bool sw_msi;
	int ret;

	mutex_lock(&iommu->lock);

	/* A replay may have to pin, which needs every vaddr valid. */
	ret = -EBUSY;
	if (iommu->stale_vaddrs)
		goto out_unlock;
	ret = -EINVAL;
	if (t1_find_group(iommu, group, &unused))
		goto out_unlock;

	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		goto out_unlock;
	g->group = group;

	if (type == VFIO_EMULATED_IOMMU) {
		/* It reaches memory only through tracked pins. */
		g->dirty_scoped = true;
		list_add(&g->node, &iommu->emulated);
		ret = 0;
		goto out_unlock;
	}

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		goto err_free_group;
	INIT_LIST_HEAD(&d->groups);

	iommu_group_for_each_dev(group, &d->domain, t1_alloc_for_dev);
	if (IS_ERR_OR_NULL(d->domain)) {
		ret = d->domain ? PTR_ERR(d->domain) : -ENODEV;
		goto err_free_d;
	}

	if (iommu->nesting) {
		ret = iommu_enable_nesting(d->domain);
		if (ret)
			goto err_free_domain;
	}

	ret = iommu_attach_group(d->domain, group);
	if (ret)
		goto err_free_domain;

	geo = &d->domain->geometry;
	ret = -EINVAL;
	if (t1_aperture_conflict(iommu, geo->aperture_start, geo->aperture_end))
		goto err_detach;

	ret = iommu_get_group_resv_regions(group, &resv);
	if (ret)
		goto err_free_resv;
	ret = -EINVAL;
	if (t1_resv_conflict(iommu, &resv))
		goto err_free_resv;

	/* Build the new windows aside: on failure the old ones stay. */
	ret = t1_windows_copy(&windows, &iommu->windows);
	if (!ret)
		ret = t1_windows_clip(&windows, geo->aperture_start,
				      geo->aperture_end);
	if (!ret)
		ret = t1_windows_punch(&windows, &resv);
	if (ret)
		goto err_free_windows;

	sw_msi = t1_sw_msi_base(&resv, &msi_base);

	if (!t1_allow_unsafe_interrupts &&
	    !iommu_group_has_isolated_msi(group)) {
		pr_warn("vfio_iommu_type1: no interrupt remapping support. Use the module param \"allow_unsafe_interrupts\" to enable VFIO IOMMU support on this platform\n");
		ret = -EPERM;
		goto err_free_windows;
	}

	/* Blocking no-snoop lets KVM skip WBINVD emulation: always ask. */
	if (d->domain->ops->enforce_cache_coherency)
		d->coherent = d->domain->ops->enforce_cache_coherency(d->domain);

	/* Join a domain of the same IOMMU driver and coherency if it takes us. */
	list_for_each_entry(shared, &iommu->domains, node) {
		if (shared->domain->ops != d->domain->ops ||
		    shared->coherent != d->coherent)
			continue;
		iommu_detach_group(d->domain, group);
		if (!iommu_attach_group(shared->domain, group)) {
			list_add(&g->node, &shared->groups);
			iommu_domain_free(d->domain);
			kfree(d);
			goto done;
		}
		ret = iommu_attach_group(d->domain, group);
		if (ret) {
			/* Attached nowhere: nothing to detach. */
			t1_windows_free(&windows);
			t1_resv_free(&resv);
			goto err_free_domain;
		}
	}

	if (sw_msi) {
		ret = iommu_get_msi_cookie(d->domain, msi_base);
		if (ret && ret != -ENODEV)
			goto err_free_windows;
	}

	ret = t1_replay(iommu, d);
	if (ret)
		goto err_free_windows;

	list_add(&g->node, &d->groups);
	list_add(&d->node, &iommu->domains);
	t1_update_pgsizes(iommu);
done:
	t1_windows_free(&iommu->windows);
	list_splice_tail(&windows, &iommu->windows);
	t1_resv_free(&resv);
	/* It may DMA anywhere: dirty reports cover all it can reach. */
	iommu->unscoped_groups++;
	mutex_unlock(&iommu->lock);
	return 0;

err_free_windows:
	t1_windows_free(&windows);
err_free_resv:
	t1_resv_free(&resv);
err_detach:
	iommu_detach_group(d->domain, group);
err_free_domain:
	iommu_domain_free(d->domain);
err_free_d:
	kfree(d);
err_free_group:
	kfree(g);
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

/* The last domain goes while emulated groups stay: they pin on demand. */
static void t1_unpin_all(struct t1_iommu *iommu)
{
	struct t1_mapping *m;

	for (m = t1_mapping_lowest(iommu); m; m = t1_mapping_succ(m)) {
		t1_unmap_unpin(iommu, m, NULL);
		cond_resched();
	}
}

/* A domain left: the apertures of those remaining bound the windows. */
static void t1_windows_widen(struct t1_iommu *iommu,
			     struct list_head *windows)
{
	dma_addr_t first = 0, last = U64_MAX;
	struct t1_domain *d;

	if (list_empty(windows))
		return;
	list_for_each_entry(d, &iommu->domains, node) {
		first = max(first, d->domain->geometry.aperture_start);
		last = min(last, d->domain->geometry.aperture_end);
	}
	list_first_entry(windows, struct t1_window, node)->first = first;
	list_last_entry(windows, struct t1_window, node)->last = last;
}

/*
 * A group left: its reserved regions may be usable now, but regions are
 * shared between groups, so recompute from those still attached.
 */
static int t1_windows_refresh(struct t1_iommu *iommu,
			      struct list_head *windows)
{
	dma_addr_t first, last;
	struct t1_domain *d;
	struct t1_group *g;
	LIST_HEAD(resv);
	int ret;

	if (list_empty(windows))
		return -EINVAL;

	list_for_each_entry(d, &iommu->domains, node) {
		list_for_each_entry(g, &d->groups, node) {
			ret = iommu_get_group_resv_regions(g->group, &resv);
			if (ret)
				goto out_free_resv;
		}
	}

	first = list_first_entry(windows, struct t1_window, node)->first;
	last = list_last_entry(windows, struct t1_window, node)->last;
	t1_windows_free(windows);
	ret = t1_windows_clip(windows, first, last);
	if (!ret)
		ret = t1_windows_punch(windows, &resv);

out_free_resv:
	t1_resv_free(&resv);
	return ret;
}

void t1_detach_group(void *iommu_data, struct iommu_group *group)
{
	struct t1_iommu *iommu = iommu_data;
	bool unscoped = false;
	LIST_HEAD(windows);
	struct t1_domain *d;
	struct t1_group *g;

	mutex_lock(&iommu->lock);
	g = t1_find_group(iommu, group, &d);
	if (!g)
		goto out_unlock;

	unscoped = !g->dirty_scoped;
	if (!d) {
		list_del(&g->node);
		kfree(g);
		/* The last user of the mappings went away. */
		if (list_empty(&iommu->emulated) &&
		    list_empty(&iommu->domains))
			t1_remove_all(iommu);
		goto out_scope;
	}

	/* On a copy: if it cannot be rebuilt, the old windows stay. */
	if (t1_windows_copy(&windows, &iommu->windows))
		INIT_LIST_HEAD(&windows);

	iommu_detach_group(d->domain, group);
	list_del(&g->node);
	kfree(g);

	if (list_empty(&d->groups)) {
		/*
		 * Group ownership is what lets the user map: with the last
		 * domain gone the mappings go too, unless emulated groups
		 * still use them (unpinned, to be pinned on demand).
		 */
		if (list_is_singular(&iommu->domains)) {
			if (list_empty(&iommu->emulated))
				t1_remove_all(iommu);
			else
				t1_unpin_all(iommu);
		}
		list_del(&d->node);
		iommu_domain_free(d->domain);
		kfree(d);
		t1_windows_widen(iommu, &windows);
		t1_update_pgsizes(iommu);
	}

	if (t1_windows_refresh(iommu, &windows)) {
		t1_windows_free(&windows);
	} else {
		t1_windows_free(&iommu->windows);
		list_splice_tail(&windows, &iommu->windows);
	}

out_scope:
	/* The rest may only dirty what they pin: report less as dirty. */
	if (unscoped) {
		iommu->unscoped_groups--;
		if (iommu->dirty_tracking)
			t1_dirty_mark_all(iommu);
	}
out_unlock:
	mutex_unlock(&iommu->lock);
}

/* Container release: every mapping is gone already. */
void t1_release_domains(struct t1_iommu *iommu)
{
	struct t1_domain *d, *dtmp;
	struct t1_group *g, *gtmp;

	list_for_each_entry_safe(g, gtmp, &iommu->emulated, node) {
		list_del(&g->node);
		kfree(g);
	}
	list_for_each_entry_safe(d, dtmp, &iommu->domains, node) {
		list_for_each_entry_safe(g, gtmp, &d->groups, node) {
			iommu_detach_group(d->domain, g->group);
			list_del(&g->node);
			kfree(g);
		}
		list_del(&d->node);
		iommu_domain_free(d->domain);
		kfree(d);
	}
}

struct iommu_domain *t1_group_iommu_domain(void *iommu_data,
					   struct iommu_group *group)
{
	struct iommu_domain *domain = ERR_PTR(-ENODEV);
	struct t1_iommu *iommu = iommu_data;
	struct t1_domain *d;

	if (!iommu || !group)
		return ERR_PTR(-EINVAL);

	mutex_lock(&iommu->lock);
	if (t1_find_group(iommu, group, &d) && d)
		domain = d->domain;
	mutex_unlock(&iommu->lock);
	return domain;
}
