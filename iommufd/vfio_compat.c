// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO compatibility: /dev/iommu answers the type1 container ioctls on
 * one IOAS of the context, the "compat IOAS" (made when a VFIO group
 * joins the context as its container, or chosen with IOMMU_VFIO_IOAS),
 * so that a group-based user can run on an iommufd. Errnos follow
 * upstream 6.12's emulation, which differs from type1 in places (e.g.
 * -ENODEV without a compat IOAS, no VFIO_UPDATE_VADDR, no dirty bitmap).
 *
 * The compat IOAS pointer is no reference: DESTROY of that IOAS clears it
 * (object.c), under xa_lock(ctx->objects) like every use here.
 */
#include <linux/capability.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <uapi/linux/vfio.h>

#include "ifd.h"

/*
 * Whether VFIO_NOIOMMU_IOMMU exists: upstream answers IS_ENABLED(
 * CONFIG_VFIO_NOIOMMU). Our VFIO stack always has no-IOMMU support (its
 * module parameter decides at run time), so: yes. Debian's in-tree stack
 * says no (built without it).
 */
#define IFD_VFIO_NOIOMMU	1

/* The compat IOAS with an ioctl's references, ERR_PTR(-ENODEV) if none. */
static struct ifd_ioas *ifd_compat_ioas(struct iommufd_ctx *ctx)
{
	struct ifd_ioas *ioas = ERR_PTR(-ENODEV);

	xa_lock(&ctx->objects);
	if (ctx->vfio_ioas && ifd_obj_lock(&ctx->vfio_ioas->obj))
		ioas = ctx->vfio_ioas;
	xa_unlock(&ctx->objects);
	return ioas;
}

/**
 * iommufd_vfio_compat_ioas_get_id - the id of the compat IOAS
 * @ictx: the context
 * @out_ioas_id: the id
 *
 * Return: 0, -ENODEV when there is none.
 */
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, u32 *out_ioas_id)
{
	struct ifd_ioas *ioas = ifd_compat_ioas(ictx);

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	*out_ioas_id = ioas->obj.id;
	ifd_obj_put(ictx, &ioas->obj);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_ioas_get_id, IOMMUFD_VFIO);

/**
 * iommufd_vfio_compat_set_no_iommu - a no-IOMMU group joined the context
 * @ictx: the context
 *
 * From now on only VFIO_NOIOMMU_IOMMU can be set and no compat IOAS made.
 *
 * Return: 0, -EINVAL when a compat IOAS exists already.
 */
int iommufd_vfio_compat_set_no_iommu(struct iommufd_ctx *ictx)
{
	int ret = 0;

	xa_lock(&ictx->objects);
	if (ictx->vfio_ioas)
		ret = -EINVAL;
	else
		ictx->no_iommu_mode = 1;
	xa_unlock(&ictx->objects);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_set_no_iommu, IOMMUFD_VFIO);

/**
 * iommufd_vfio_compat_ioas_create - make sure a compat IOAS exists
 * @ictx: the context
 *
 * A group joining the context as its container calls this. The IOAS it
 * makes is an ordinary object: IOMMU_VFIO_IOAS GET tells its id,
 * DESTROY or the close of the file removes it.
 *
 * Return: 0 (made, or there was one), -EINVAL in no-IOMMU mode, -ENOMEM.
 */
int iommufd_vfio_compat_ioas_create(struct iommufd_ctx *ictx)
{
	struct ifd_ioas *ioas;
	int ret = 0;

	ioas = ifd_ioas_new(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	xa_lock(&ictx->objects);
	if (ictx->no_iommu_mode) {
		ret = -EINVAL;
		goto out_abort;
	}
	/* one that is being destroyed does not count */
	if (ictx->vfio_ioas && ifd_obj_lock(&ictx->vfio_ioas->obj)) {
		ifd_obj_put(ictx, &ictx->vfio_ioas->obj);
		goto out_abort;
	}
	ictx->vfio_ioas = ioas;
	xa_unlock(&ictx->objects);
	ifd_obj_publish(ictx, &ioas->obj);
	return 0;

out_abort:
	xa_unlock(&ictx->objects);
	ifd_obj_abort_destroy(ictx, &ioas->obj);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_ioas_create, IOMMUFD_VFIO);

/* IOMMU_VFIO_IOAS: GET (-ENODEV if none), SET (-ENOENT), CLEAR. */
int ifd_vfio_ioas(struct ifd_ucmd *uc)
{
	struct iommu_vfio_ioas *cmd = uc->cmd;
	struct iommufd_ctx *ctx = uc->ctx;
	struct ifd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = ifd_compat_ioas(ctx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		ifd_obj_put(ctx, &ioas->obj);
		return ifd_respond(uc, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = ifd_ioas_get(ctx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		xa_lock(&ctx->objects);
		ctx->vfio_ioas = ioas;
		xa_unlock(&ctx->objects);
		ifd_obj_put(ctx, &ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		xa_lock(&ctx->objects);
		ctx->vfio_ioas = NULL;
		xa_unlock(&ctx->objects);
		return 0;
	}
	return -EOPNOTSUPP;
}

/* VFIO_IOMMU_MAP_DMA: at the given IOVA, R/W as asked (none is allowed). */
static long ifd_vfio_map_dma(struct iommufd_ctx *ctx, void __user *arg)
{
	const u32 minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct ifd_ioas *ioas;
	unsigned long iova;
	int prot = IOMMU_CACHE;
	int ret;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz ||
	    map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;

	ioas = ifd_compat_ioas(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	iova = map.iova;
	ret = ifd_map_user(ctx, ioas, &iova, map.vaddr, map.size, prot, true);
	ifd_obj_put(ctx, &ioas->obj);
	return ret;
}

/*
 * VFIO_IOMMU_UNMAP_DMA: whole mappings only, unless the IOAS has huge
 * pages off (type1 v1), where mappings are cut at the range's ends. The
 * unmapped size is written back even on error; nothing unmapped is no
 * error here.
 */
static long ifd_vfio_unmap_dma(struct iommufd_ctx *ctx, void __user *arg)
{
	const u32 minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned long unmapped = 0, last;
	struct ifd_ioas *ioas;
	int ret;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;

	ioas = ifd_compat_ioas(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size) {
			ret = -EINVAL;
			goto out_put;
		}
		ret = ifd_iova_unmap(&ioas->iova, 0, ULONG_MAX, &unmapped);
	} else {
		if (READ_ONCE(ioas->iova.no_huge)) {
			ret = ifd_iova_cut(&ioas->iova,
					   unmap.iova + unmap.size - 1);
			if (!ret && unmap.iova)
				ret = ifd_iova_cut(&ioas->iova, unmap.iova - 1);
			if (ret)
				goto out_put;
		}
		if (!unmap.size)
			ret = -EINVAL;
		else if (check_add_overflow(unmap.iova, unmap.size - 1, &last))
			ret = -EOVERFLOW;
		else
			ret = ifd_iova_unmap(&ioas->iova, unmap.iova, last,
					     &unmapped);
	}
	unmap.size = unmapped;
	if (copy_to_user(arg, &unmap, minsz))
		ret = -EFAULT;
out_put:
	ifd_obj_put(ctx, &ioas->obj);
	return ret;
}

/* DMA_CC_IOMMU: do all the compat IOAS's HWPTs block no-snoop DMA? */
static long ifd_vfio_cc(struct iommufd_ctx *ctx)
{
	struct ifd_ioas *ioas = ifd_compat_ioas(ctx);
	struct ifd_hwpt *hwpt;
	long ret = 1;

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpts, ioas_node) {
		if (!hwpt->enforce_cc) {
			ret = 0;
			break;
		}
	}
	mutex_unlock(&ioas->mutex);
	ifd_obj_put(ctx, &ioas->obj);
	return ret;
}

static long ifd_vfio_check_extension(struct iommufd_ctx *ctx,
				     unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return !READ_ONCE(ctx->no_iommu_mode);
	case VFIO_NOIOMMU_IOMMU:
		return IFD_VFIO_NOIOMMU;
	case VFIO_DMA_CC_IOMMU:
		return ifd_vfio_cc(ctx);
	}
	/* NESTING and UPDATE_VADDR among them: not emulated */
	return 0;
}

/*
 * VFIO_SET_IOMMU: TYPE1/TYPE1v2 on the compat IOAS (-ENODEV without one,
 * as VFIO without a group); v1 turns huge pages off so that unmaps may
 * cut mappings (-EINVAL once domains hold mappings). NOIOMMU only in
 * no-IOMMU mode, with CAP_SYS_RAWIO.
 */
static long ifd_vfio_set_iommu(struct iommufd_ctx *ctx, unsigned long type)
{
	bool no_iommu = READ_ONCE(ctx->no_iommu_mode);
	struct ifd_ioas *ioas;
	int ret = 0;

	if (IFD_VFIO_NOIOMMU && type == VFIO_NOIOMMU_IOMMU && no_iommu)
		return capable(CAP_SYS_RAWIO) ? 0 : -EPERM;
	if ((type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) ||
	    no_iommu)
		return -EINVAL;

	ioas = ifd_compat_ioas(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (type == VFIO_TYPE1_IOMMU)
		ret = ifd_iova_set_huge(&ioas->iova, false);
	ifd_obj_put(ctx, &ioas->obj);
	return ret;
}

/* IOMMU page sizes the compat IOAS offers, as type1 reports them. */
static u64 ifd_vfio_pgsizes(struct ifd_iova *iova)
{
	unsigned long bitmap = ULONG_MAX, idx;
	struct iommu_domain *domain;

	lockdep_assert_held(&iova->rwsem);
	xa_for_each(&iova->domains, idx, domain)
		bitmap &= domain->pgsize_bitmap;
	/* sub-page sizes show as PAGE_SIZE, as type1 does */
	if (bitmap & ~PAGE_MASK) {
		bitmap &= PAGE_MASK;
		bitmap |= PAGE_SIZE;
	}
	return max(bitmap, iova->alignment);
}

/* Capability IOVA_RANGE: the holes of the reserved tree. */
static int ifd_cap_iova(struct ifd_iova *iova, void __user *cur, size_t room)
{
	struct vfio_iommu_type1_info_cap_iova_range __user *ucap = cur;
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			.version = 1,
		},
	};
	struct interval_tree_node *n;
	struct vfio_iova_range r;
	unsigned long pos = 0;

	for (;;) {
		n = interval_tree_iter_first(&iova->reserved, pos, ULONG_MAX);
		if (!n || n->start > pos) {
			r.start = pos;
			r.end = n ? n->start - 1 : ULONG_MAX;
			if (room >= struct_size(&cap, iova_ranges,
						cap.nr_iovas + 1) &&
			    copy_to_user(&ucap->iova_ranges[cap.nr_iovas], &r,
					 sizeof(r)))
				return -EFAULT;
			cap.nr_iovas++;
		}
		if (!n || n->last == ULONG_MAX)
			break;
		pos = n->last + 1;
	}
	if (room >= struct_size(&cap, iova_ranges, cap.nr_iovas) &&
	    copy_to_user(ucap, &cap, sizeof(cap)))
		return -EFAULT;
	return struct_size(&cap, iova_ranges, cap.nr_iovas);
}

/* Capability DMA_AVAIL: U32_MAX, as upstream (the limit is memcg's). */
static int ifd_cap_dma_avail(struct ifd_iova *iova, void __user *cur,
			     size_t room)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			.version = 1,
		},
		.avail = U32_MAX,
	};

	if (room >= sizeof(cap) && copy_to_user(cur, &cap, sizeof(cap)))
		return -EFAULT;
	return sizeof(cap);
}

/*
 * VFIO_IOMMU_GET_INFO: page sizes and the capability chain DMA_AVAIL,
 * IOVA_RANGE (in that order, as upstream). Capabilities that do not fit
 * are left out and argsz tells the size needed.
 */
static long ifd_vfio_get_info(struct iommufd_ctx *ctx, void __user *arg)
{
	static int (*const caps[])(struct ifd_iova *iova, void __user *cur,
				   size_t room) = {
		ifd_cap_dma_avail,
		ifd_cap_iova,
	};
	const u32 minsz = offsetofend(struct vfio_iommu_type1_info,
				      iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct vfio_info_cap_header __user *prev = NULL;
	struct ifd_ioas *ioas;
	size_t total, copy;
	unsigned int i;
	int size, ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	copy = min_t(size_t, info.argsz, sizeof(info));

	ioas = ifd_compat_ioas(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	down_read(&ioas->iova.rwsem);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = ifd_vfio_pgsizes(&ioas->iova);
	info.cap_offset = 0;
	total = sizeof(info);
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		if (info.argsz > total)
			size = caps[i](&ioas->iova, arg + total,
				       info.argsz - total);
		else
			size = caps[i](&ioas->iova, NULL, 0);
		if (size < 0) {
			ret = size;
			goto out_unlock;
		}
		size = ALIGN(size, sizeof(u64));
		if (prev && info.argsz >= total &&
		    put_user(total, &prev->next)) {
			ret = -EFAULT;
			goto out_unlock;
		}
		prev = arg + total;
		total += size;
	}
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (copy_to_user(arg, &info, copy))
		ret = -EFAULT;
out_unlock:
	up_read(&ioas->iova.rwsem);
	ifd_obj_put(ctx, &ioas->obj);
	return ret;
}

/* The ioctls of /dev/iommu outside the iommufd range. */
long ifd_vfio_ioctl(struct iommufd_ctx *ctx, unsigned int cmd,
		    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_SET_IOMMU:
		return ifd_vfio_set_iommu(ctx, arg);
	case VFIO_CHECK_EXTENSION:
		return ifd_vfio_check_extension(ctx, arg);
	case VFIO_IOMMU_GET_INFO:
		return ifd_vfio_get_info(ctx, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return ifd_vfio_map_dma(ctx, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return ifd_vfio_unmap_dma(ctx, uarg);
	}
	/* VFIO_IOMMU_DIRTY_PAGES among them */
	return -ENOTTY;
}
