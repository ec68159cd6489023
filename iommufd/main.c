// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd.ko: /dev/iommu for kernels built without CONFIG_IOMMUFD. Each
 * open is a context holding a table of objects (IOAS today; HWPTs,
 * devices, accesses and fault queues in later slices), driven by the
 * upstream 6.12 ioctls of <uapi/linux/iommufd.h>.
 *
 * Every iommufd ioctl starts with a __u32 size. The common rules, applied
 * here from one table before any handler runs: size unreadable -EFAULT,
 * below the command's minimum -EINVAL, non-zero bytes beyond the struct
 * we know -E2BIG, unknown flags -EOPNOTSUPP; replies copy back at most
 * what the caller sized. ioctl numbers outside the iommufd range are the
 * VFIO container ioctls (compat; only GET_API_VERSION so far).
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/vfio.h>

#include "ifd.h"

struct ifd_ioctl {
	unsigned int cmd;
	int (*fn)(struct ifd_ucmd *uc);
	u32 size;		/* the struct as we know it */
	u32 min_size;		/* offsetofend() of its last mandatory field */
	u32 flags_off;		/* offset of a __u32 flags field, 0: none */
	u32 flags_ok;		/* the flags it may carry */
};

#define IFD_IOCTL(_cmd, _fn, _type, _last) {			\
	.cmd = (_cmd), .fn = (_fn), .size = sizeof(_type),		\
	.min_size = offsetofend(_type, _last) }

#define IFD_IOCTL_FLAGS(_cmd, _fn, _type, _last, _ok) {		\
	.cmd = (_cmd), .fn = (_fn), .size = sizeof(_type),		\
	.min_size = offsetofend(_type, _last),				\
	.flags_off = offsetof(_type, flags), .flags_ok = (_ok) }

#define IFD_SLOT(_nr)	((_nr) - IOMMUFD_CMD_BASE)

/* Enough room for the largest struct of the table. */
union ifd_ucmd_buf {
	struct iommu_destroy destroy;
	struct iommu_ioas_alloc ioas_alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_copy copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
};

int ifd_respond(struct ifd_ucmd *uc, size_t size)
{
	if (copy_to_user(uc->ubuf, uc->cmd, min_t(size_t, uc->user_size, size)))
		return -EFAULT;
	return 0;
}

static int ifd_destroy(struct ifd_ucmd *uc)
{
	struct iommu_destroy *cmd = uc->cmd;

	return ifd_obj_destroy_id(uc->ctx, cmd->id);
}

#define IFD_MAP_FLAGS	(IOMMU_IOAS_MAP_FIXED_IOVA | \
			 IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

/*
 * Indexed by ioctl nr - IOMMUFD_CMD_BASE. Empty slots (later slices:
 * VFIO_IOAS, HWPT_*, GET_HW_INFO, FAULT_QUEUE_ALLOC) answer -ENOTTY.
 */
static const struct ifd_ioctl ifd_ioctls[] = {
	[IFD_SLOT(IOMMUFD_CMD_DESTROY)] =
		IFD_IOCTL(IOMMU_DESTROY, ifd_destroy, struct iommu_destroy, id),
	[IFD_SLOT(IOMMUFD_CMD_IOAS_ALLOC)] =
		IFD_IOCTL_FLAGS(IOMMU_IOAS_ALLOC, ifd_ioas_alloc,
				struct iommu_ioas_alloc, out_ioas_id, 0),
	[IFD_SLOT(IOMMUFD_CMD_IOAS_ALLOW_IOVAS)] =
		IFD_IOCTL(IOMMU_IOAS_ALLOW_IOVAS, ifd_ioas_allow_iovas,
			  struct iommu_ioas_allow_iovas, allowed_iovas),
	[IFD_SLOT(IOMMUFD_CMD_IOAS_COPY)] =
		IFD_IOCTL_FLAGS(IOMMU_IOAS_COPY, ifd_ioas_copy,
				struct iommu_ioas_copy, src_iova,
				IFD_MAP_FLAGS),
	[IFD_SLOT(IOMMUFD_CMD_IOAS_IOVA_RANGES)] =
		IFD_IOCTL(IOMMU_IOAS_IOVA_RANGES, ifd_ioas_iova_ranges,
			  struct iommu_ioas_iova_ranges, out_iova_alignment),
	[IFD_SLOT(IOMMUFD_CMD_IOAS_MAP)] =
		IFD_IOCTL_FLAGS(IOMMU_IOAS_MAP, ifd_ioas_map,
				struct iommu_ioas_map, iova, IFD_MAP_FLAGS),
	[IFD_SLOT(IOMMUFD_CMD_IOAS_UNMAP)] =
		IFD_IOCTL(IOMMU_IOAS_UNMAP, ifd_ioas_unmap,
			  struct iommu_ioas_unmap, length),
	[IFD_SLOT(IOMMUFD_CMD_OPTION)] =
		IFD_IOCTL(IOMMU_OPTION, ifd_option, struct iommu_option, val64),
	/* the last nr of the 6.12 range, so that it routes here */
	[IFD_SLOT(IOMMUFD_CMD_FAULT_QUEUE_ALLOC)] = { },
};

/* VFIO container ioctls on /dev/iommu (the compat slice adds the rest). */
static long ifd_vfio_ioctl(struct iommufd_ctx *ctx, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	}
	return -ENOTTY;
}

static long ifd_fops_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct iommufd_ctx *ctx = file->private_data;
	const struct ifd_ioctl *op;
	union ifd_ucmd_buf buf;
	struct ifd_ucmd uc = {
		.ctx = ctx,
		.ubuf = (void __user *)arg,
		.cmd = &buf,
	};
	unsigned int nr = _IOC_NR(cmd);
	u32 flags;
	int ret;

	if (nr < IOMMUFD_CMD_BASE || IFD_SLOT(nr) >= ARRAY_SIZE(ifd_ioctls))
		return ifd_vfio_ioctl(ctx, cmd, arg);

	if (get_user(uc.user_size, (u32 __user *)uc.ubuf))
		return -EFAULT;
	op = &ifd_ioctls[IFD_SLOT(nr)];
	if (!op->fn || op->cmd != cmd)
		return -ENOTTY;
	if (uc.user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&buf, op->size, uc.ubuf, uc.user_size);
	if (ret)
		return ret;
	if (op->flags_off) {
		memcpy(&flags, (u8 *)&buf + op->flags_off, sizeof(flags));
		if (flags & ~op->flags_ok)
			return -EOPNOTSUPP;
	}
	return op->fn(&uc);
}

static int ifd_fops_open(struct inode *inode, struct file *file)
{
	struct iommufd_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	xa_init_flags(&ctx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&ctx->destroy_wait);
	ctx->account_mode = IFD_ACCOUNT_USER;
	ctx->file = file;
	/* replaces the miscdevice pointer misc_open() left there */
	file->private_data = ctx;
	return 0;
}

/*
 * Last close: no ioctl can run any more. Later slices keep the context
 * alive past this point while devices hold it (a kref then).
 */
static int ifd_fops_release(struct inode *inode, struct file *file)
{
	struct iommufd_ctx *ctx = file->private_data;

	ifd_obj_destroy_all(ctx);
	xa_destroy(&ctx->objects);
	kfree(ctx);
	return 0;
}

static const struct file_operations ifd_fops = {
	.owner = THIS_MODULE,
	.open = ifd_fops_open,
	.release = ifd_fops_release,
	.unlocked_ioctl = ifd_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ifd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iommu",
	.nodename = "iommu",
	.fops = &ifd_fops,
	.mode = 0660,
};

static int __init ifd_init(void)
{
	return misc_register(&ifd_misc);
}

static void __exit ifd_exit(void)
{
	misc_deregister(&ifd_misc);
}

module_init(ifd_init);
module_exit(ifd_exit);

/* The IOMMU core's attach-with-handle API (include/vfio/iommu_internal.h). */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("I/O address space management for VFIO (/dev/iommu)");
