// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd.ko: /dev/iommu for kernels built without CONFIG_IOMMUFD. Each
 * open is a context holding a table of objects (IOASes, HWPTs, devices
 * bound by vfio, accesses of emulated devices), driven by the upstream
 * 6.12 ioctls of <uapi/linux/iommufd.h> and by the in-kernel API of
 * include/vfio/iommufd.h.
 *
 * Every iommufd ioctl starts with a __u32 size. The common rules, applied
 * here from one table before any handler runs: size unreadable -EFAULT,
 * below the command's minimum -EINVAL, non-zero bytes beyond the struct
 * we know -E2BIG, unknown flags -EOPNOTSUPP; replies copy back at most
 * what the caller sized. ioctl numbers outside the iommufd range are the
 * VFIO container ioctls (vfio_compat.c).
 *
 * A context lives exactly as long as its file: the kernel users of a
 * context (bound devices, accesses, vfio groups) hold references of the
 * file, so closing /dev/iommu while a device is bound tears nothing down
 * until the device lets go, as upstream.
 */
#include <kunit/visibility.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
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
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_hw_info hw_info;
	struct iommu_hwpt_invalidate invalidate;
	struct iommu_hwpt_set_dirty_tracking set_dirty;
	struct iommu_hwpt_get_dirty_bitmap get_dirty;
	struct iommu_fault_alloc fault_alloc;
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
 * Indexed by ioctl nr - IOMMUFD_CMD_BASE: every ioctl of 6.12. HWPT_ALLOC
 * and GET_HW_INFO check their flags themselves: the device lookup comes
 * first upstream.
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
	[IFD_SLOT(IOMMUFD_CMD_VFIO_IOAS)] =
		IFD_IOCTL(IOMMU_VFIO_IOAS, ifd_vfio_ioas,
			  struct iommu_vfio_ioas, __reserved),
	[IFD_SLOT(IOMMUFD_CMD_HWPT_ALLOC)] =
		IFD_IOCTL(IOMMU_HWPT_ALLOC, ifd_hwpt_alloc,
			  struct iommu_hwpt_alloc, __reserved),
	[IFD_SLOT(IOMMUFD_CMD_GET_HW_INFO)] =
		IFD_IOCTL(IOMMU_GET_HW_INFO, ifd_get_hw_info,
			  struct iommu_hw_info, __reserved),
	[IFD_SLOT(IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)] =
		IFD_IOCTL_FLAGS(IOMMU_HWPT_SET_DIRTY_TRACKING,
				ifd_hwpt_set_dirty_tracking,
				struct iommu_hwpt_set_dirty_tracking, __reserved,
				IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
	[IFD_SLOT(IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)] =
		IFD_IOCTL_FLAGS(IOMMU_HWPT_GET_DIRTY_BITMAP,
				ifd_hwpt_get_dirty_bitmap,
				struct iommu_hwpt_get_dirty_bitmap, data,
				IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
	[IFD_SLOT(IOMMUFD_CMD_HWPT_INVALIDATE)] =
		IFD_IOCTL(IOMMU_HWPT_INVALIDATE, ifd_hwpt_invalidate,
			  struct iommu_hwpt_invalidate, __reserved),
	[IFD_SLOT(IOMMUFD_CMD_FAULT_QUEUE_ALLOC)] =
		IFD_IOCTL_FLAGS(IOMMU_FAULT_QUEUE_ALLOC, ifd_fault_alloc,
				struct iommu_fault_alloc, out_fault_fd, 0),
};

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

static struct iommufd_ctx *ifd_ctx_new(struct file *file)
{
	struct iommufd_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;
	xa_init_flags(&ctx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&ctx->destroy_wait);
	ctx->account_mode = IFD_ACCOUNT_USER;
	mutex_init(&ctx->groups_lock);
	xa_init(&ctx->groups);
	ctx->file = file;
	return ctx;
}

static int ifd_fops_open(struct inode *inode, struct file *file)
{
	struct iommufd_ctx *ctx = ifd_ctx_new(file);

	if (!ctx)
		return -ENOMEM;
	/* replaces the miscdevice pointer misc_open() left there */
	file->private_data = ctx;
	return 0;
}

/*
 * Last reference of the file: no ioctl runs and no device or access is
 * bound any more (each held the file), so only what userspace made is
 * left: IOASes and HWPTs.
 */
static int ifd_fops_release(struct inode *inode, struct file *file)
{
	struct iommufd_ctx *ctx = file->private_data;

	ifd_obj_destroy_all(ctx);
	WARN_ON_ONCE(!xa_empty(&ctx->groups));
	xa_destroy(&ctx->groups);
	mutex_destroy(&ctx->groups_lock);
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

/*
 * A context on an anonymous file, as an open of /dev/iommu would give:
 * for the KUnit suites, which have no file system to open it from.
 */
struct file *ifd_ctx_file_new(void)
{
	struct iommufd_ctx *ctx = ifd_ctx_new(NULL);
	struct file *file;

	if (!ctx)
		return ERR_PTR(-ENOMEM);
	file = anon_inode_getfile("[iommufd]", &ifd_fops, ctx, O_RDWR);
	if (IS_ERR(file)) {
		mutex_destroy(&ctx->groups_lock);
		kfree(ctx);
		return file;
	}
	ctx->file = file;
	return file;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_ctx_file_new);

/**
 * iommufd_ctx_get - take one more reference of a context
 * @ictx: a context the caller holds a reference of already
 */
void iommufd_ctx_get(struct iommufd_ctx *ictx)
{
	get_file(ictx->file);
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_get, IOMMUFD);

/**
 * iommufd_ctx_from_file - the context of an open /dev/iommu
 * @file: the file; the caller keeps its own reference of it
 *
 * Return: the context with a reference for the caller (drop it with
 * iommufd_ctx_put()), ERR_PTR(-EBADFD) if @file is not /dev/iommu.
 */
struct iommufd_ctx *iommufd_ctx_from_file(struct file *file)
{
	struct iommufd_ctx *ctx;

	if (file->f_op != &ifd_fops)
		return ERR_PTR(-EBADFD);
	ctx = file->private_data;
	iommufd_ctx_get(ctx);
	return ctx;
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_from_file, IOMMUFD);

/**
 * iommufd_ctx_from_fd - the context of a file descriptor of /dev/iommu
 * @fd: a descriptor of the calling process
 *
 * Return: the context with a reference for the caller, ERR_PTR(-EBADF)
 * for a closed descriptor, ERR_PTR(-EBADFD) for another kind of file.
 */
struct iommufd_ctx *iommufd_ctx_from_fd(int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &ifd_fops) {
		fput(file);
		return ERR_PTR(-EBADFD);
	}
	/* the reference fget() took is the caller's */
	return file->private_data;
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_from_fd, IOMMUFD);

/**
 * iommufd_ctx_put - drop a reference of a context
 * @ictx: the context
 */
void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
	fput(ictx->file);
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_put, IOMMUFD);

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
