// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOAS objects and their ioctls: ALLOC, IOVA_RANGES, ALLOW_IOVAS, MAP,
 * COPY, UNMAP and the HUGE_PAGES/RLIMIT_MODE options. Errnos follow
 * upstream 6.12, including the order of the checks. The common header
 * rules (size, trailing bytes, flags) were applied by main.c already.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ifd.h"

void ifd_ioas_destroy(struct ifd_obj *obj)
{
	struct ifd_ioas *ioas = container_of(obj, struct ifd_ioas, obj);

	/* the HWPTs held references: all gone before the last one */
	WARN_ON_ONCE(!list_empty(&ioas->hwpts));
	ifd_iova_destroy(&ioas->iova);
	mutex_destroy(&ioas->mutex);
}

struct ifd_ioas *ifd_ioas_get(struct iommufd_ctx *ctx, u32 id)
{
	struct ifd_obj *obj = ifd_obj_get(ctx, id, IFD_OBJ_IOAS);

	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ifd_ioas, obj);
}

static void ifd_ioas_put(struct iommufd_ctx *ctx, struct ifd_ioas *ioas)
{
	ifd_obj_put(ctx, &ioas->obj);
}

/* An empty IOAS, reserved in the table: the caller publishes or aborts. */
struct ifd_ioas *ifd_ioas_new(struct iommufd_ctx *ctx)
{
	struct ifd_ioas *ioas;
	struct ifd_obj *obj;

	obj = ifd_obj_reserve(ctx, sizeof(*ioas), IFD_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	ioas = container_of(obj, struct ifd_ioas, obj);
	ifd_iova_init(&ioas->iova);
	mutex_init(&ioas->mutex);
	INIT_LIST_HEAD(&ioas->hwpts);
	return ioas;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_ioas_new);

int ifd_ioas_alloc(struct ifd_ucmd *uc)
{
	struct iommu_ioas_alloc *cmd = uc->cmd;
	struct ifd_ioas *ioas;
	int ret;

	ioas = ifd_ioas_new(uc->ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	cmd->out_ioas_id = ioas->obj.id;
	ret = ifd_respond(uc, sizeof(*cmd));
	if (ret) {
		ifd_obj_abort_destroy(uc->ctx, &ioas->obj);
		return ret;
	}
	ifd_obj_publish(uc->ctx, &ioas->obj);
	return 0;
}

/* The usable IOVA: everything but the reserved ranges. */
int ifd_ioas_iova_ranges(struct ifd_ucmd *uc)
{
	struct iommu_ioas_iova_ranges *cmd = uc->cmd;
	struct iommu_iova_range __user *uranges;
	struct interval_tree_node *n;
	struct iommu_iova_range r;
	unsigned long pos = 0;
	struct ifd_ioas *ioas;
	u32 room;
	int ret = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ifd_ioas_get(uc->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	uranges = u64_to_user_ptr(cmd->allowed_iovas);
	room = cmd->num_iovas;
	cmd->num_iovas = 0;
	down_read(&ioas->iova.rwsem);
	cmd->out_iova_alignment = ioas->iova.alignment;
	for (;;) {
		n = interval_tree_iter_first(&ioas->iova.reserved, pos,
					     ULONG_MAX);
		if (!n || n->start > pos) {
			r.start = pos;
			r.last = n ? n->start - 1 : ULONG_MAX;
			/* count every range, fill only what the caller sized */
			if (cmd->num_iovas < room &&
			    copy_to_user(&uranges[cmd->num_iovas], &r,
					 sizeof(r))) {
				ret = -EFAULT;
				break;
			}
			cmd->num_iovas++;
		}
		if (!n || n->last == ULONG_MAX)
			break;
		pos = n->last + 1;
	}
	up_read(&ioas->iova.rwsem);
	if (!ret)
		ret = ifd_respond(uc, sizeof(*cmd));
	if (!ret && cmd->num_iovas > room)
		ret = -EMSGSIZE;
	ifd_ioas_put(uc->ctx, ioas);
	return ret;
}

/* User ranges into @root: -EINVAL for empty/inverted or overlapping ones. */
static int ifd_load_ranges(struct rb_root_cached *root,
			   struct iommu_iova_range __user *uranges, u32 num)
{
	struct iommu_iova_range r;
	struct ifd_span *span;
	u32 i;

	for (i = 0; i < num; i++) {
		if (copy_from_user(&r, &uranges[i], sizeof(r)))
			return -EFAULT;
		if (r.start >= r.last)
			return -EINVAL;
		if (interval_tree_iter_first(root, r.start, r.last))
			return -EINVAL;
		span = kzalloc(sizeof(*span), GFP_KERNEL_ACCOUNT);
		if (!span)
			return -ENOMEM;
		span->node.start = r.start;
		span->node.last = r.last;
		interval_tree_insert(&span->node, root);
	}
	return 0;
}

int ifd_ioas_allow_iovas(struct ifd_ucmd *uc)
{
	struct iommu_ioas_allow_iovas *cmd = uc->cmd;
	struct rb_root_cached set = RB_ROOT_CACHED;
	struct ifd_ioas *ioas;
	int ret;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ifd_ioas_get(uc->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	ret = ifd_load_ranges(&set, u64_to_user_ptr(cmd->allowed_iovas),
			      cmd->num_iovas);
	if (!ret)
		ret = ifd_iova_set_allowed(&ioas->iova, &set);
	/* the rejected new set, or the replaced old one */
	ifd_iova_free_spans(&set);
	ifd_ioas_put(uc->ctx, ioas);
	return ret;
}

static int ifd_map_prot(u32 flags)
{
	int prot = IOMMU_CACHE;

	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMU_READ;
	return prot;
}

/*
 * The reply could not be written: take the new areas out again so that
 * the failed ioctl leaves nothing behind (upstream keeps them).
 */
static void ifd_map_undo(struct ifd_ioas *ioas, unsigned long iova,
			 unsigned long length)
{
	unsigned long done;

	ifd_iova_unmap(&ioas->iova, iova, iova + length - 1, &done);
}

/*
 * Map @length bytes of the caller's memory at @uva into @ioas, at *@iova
 * (@fixed) or at an IOVA chosen and returned in *@iova. Shared by
 * IOAS_MAP and the VFIO compat MAP_DMA.
 */
int ifd_map_user(struct iommufd_ctx *ctx, struct ifd_ioas *ioas,
		 unsigned long *iova, unsigned long uva, unsigned long length,
		 int prot, bool fixed)
{
	struct ifd_slice sl = {};
	int ret;

	sl.pages = ifd_pages_new(ctx, uva, length, prot & IOMMU_WRITE);
	if (IS_ERR(sl.pages))
		return PTR_ERR(sl.pages);
	sl.start_byte = uva - sl.pages->uva;
	sl.length = length;
	ret = ifd_iova_insert(&ioas->iova, &sl, 1, length, iova, fixed, prot);
	/* NULL once the new area owns the reference */
	if (sl.pages)
		ifd_pages_put(sl.pages);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_map_user);

int ifd_ioas_map(struct ifd_ucmd *uc)
{
	const u32 rw = IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;
	struct iommu_ioas_map *cmd = uc->cmd;
	struct ifd_ioas *ioas;
	unsigned long iova;
	int ret;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & rw))
		return -EINVAL;
	ioas = ifd_ioas_get(uc->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	iova = cmd->iova;
	ret = ifd_map_user(uc->ctx, ioas, &iova, cmd->user_va, cmd->length,
			   ifd_map_prot(cmd->flags),
			   cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA);
	if (ret)
		goto out_put_ioas;

	cmd->iova = iova;
	ret = ifd_respond(uc, sizeof(*cmd));
	if (ret)
		ifd_map_undo(ioas, iova, cmd->length);
out_put_ioas:
	ifd_ioas_put(uc->ctx, ioas);
	return ret;
}

/*
 * New areas in the destination made of the same pages as the source
 * range: nothing is pinned or charged again.
 */
int ifd_ioas_copy(struct ifd_ucmd *uc)
{
	const u32 rw = IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;
	struct iommu_ioas_copy *cmd = uc->cmd;
	struct ifd_ioas *src, *dst;
	struct ifd_slice *sl;
	unsigned long iova;
	unsigned int nr, i;
	int ret;

	if (cmd->length >= ULONG_MAX || cmd->src_iova >= ULONG_MAX ||
	    cmd->dst_iova >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & rw))
		return -EINVAL;

	src = ifd_ioas_get(uc->ctx, cmd->src_ioas_id);
	if (IS_ERR(src))
		return PTR_ERR(src);
	ret = ifd_iova_collect(&src->iova, cmd->src_iova, cmd->length, &sl,
			       &nr);
	ifd_ioas_put(uc->ctx, src);
	if (ret)
		return ret;

	dst = ifd_ioas_get(uc->ctx, cmd->dst_ioas_id);
	if (IS_ERR(dst)) {
		ret = PTR_ERR(dst);
		goto out_free_slices;
	}
	iova = cmd->dst_iova;
	ret = ifd_iova_insert(&dst->iova, sl, nr, cmd->length, &iova,
			      cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA,
			      ifd_map_prot(cmd->flags));
	if (ret)
		goto out_put_dst;
	cmd->dst_iova = iova;
	ret = ifd_respond(uc, sizeof(*cmd));
	if (ret)
		ifd_map_undo(dst, iova, cmd->length);
out_put_dst:
	ifd_ioas_put(uc->ctx, dst);
out_free_slices:
	for (i = 0; i < nr; i++)
		if (sl[i].pages)
			ifd_pages_put(sl[i].pages);
	kfree(sl);
	return ret;
}

int ifd_ioas_unmap(struct ifd_ucmd *uc)
{
	struct iommu_ioas_unmap *cmd = uc->cmd;
	unsigned long unmapped = 0, last;
	struct ifd_ioas *ioas;
	int ret;

	ioas = ifd_ioas_get(uc->ctx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->iova == 0 && cmd->length == U64_MAX) {
		/* everything; an empty IOAS is no error here */
		ret = ifd_iova_unmap(&ioas->iova, 0, ULONG_MAX, &unmapped);
		if (ret)
			goto out_put;
	} else {
		if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX) {
			ret = -EOVERFLOW;
			goto out_put;
		}
		if (!cmd->length) {
			ret = -EINVAL;
			goto out_put;
		}
		if (check_add_overflow(cmd->iova, cmd->length - 1, &last)) {
			ret = -EOVERFLOW;
			goto out_put;
		}
		ret = ifd_iova_unmap(&ioas->iova, cmd->iova, last, &unmapped);
		if (ret)
			goto out_put;
		if (!unmapped) {
			ret = -ENOENT;
			goto out_put;
		}
	}
	cmd->length = unmapped;
	ret = ifd_respond(uc, sizeof(*cmd));
out_put:
	ifd_ioas_put(uc->ctx, ioas);
	return ret;
}

/* Accounting mode of the whole context: only before any object exists. */
static int ifd_option_rlimit(struct iommufd_ctx *ctx, struct iommu_option *cmd)
{
	int ret = 0;

	if (cmd->object_id)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = READ_ONCE(ctx->account_mode) == IFD_ACCOUNT_MM;
		return 0;
	case IOMMU_OPTION_OP_SET:
		if (!capable(CAP_SYS_RESOURCE))
			return -EPERM;
		xa_lock(&ctx->objects);
		if (!xa_empty(&ctx->objects))
			ret = -EBUSY;
		else if (cmd->val64 > 1)
			ret = -EINVAL;
		else
			WRITE_ONCE(ctx->account_mode, cmd->val64 ?
				   IFD_ACCOUNT_MM : IFD_ACCOUNT_USER);
		xa_unlock(&ctx->objects);
		return ret;
	}
	return -EOPNOTSUPP;
}

static int ifd_option_huge(struct iommufd_ctx *ctx, struct iommu_option *cmd)
{
	struct ifd_ioas *ioas;
	int ret = 0;

	ioas = ifd_ioas_get(ctx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = !READ_ONCE(ioas->iova.no_huge);
		break;
	case IOMMU_OPTION_OP_SET:
		if (cmd->val64 > 1)
			ret = -EINVAL;
		else
			ret = ifd_iova_set_huge(&ioas->iova, cmd->val64);
		break;
	default:
		ret = -EOPNOTSUPP;
	}
	ifd_ioas_put(ctx, ioas);
	return ret;
}

int ifd_option(struct ifd_ucmd *uc)
{
	struct iommu_option __user *uopt = uc->ubuf;
	struct iommu_option *cmd = uc->cmd;
	int ret;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		ret = ifd_option_rlimit(uc->ctx, cmd);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		ret = ifd_option_huge(uc->ctx, cmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (ret)
		return ret;
	/* val64 is below the minimum size: always the caller's */
	if (copy_to_user(&uopt->val64, &cmd->val64, sizeof(cmd->val64)))
		return -EFAULT;
	return 0;
}
