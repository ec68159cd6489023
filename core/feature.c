// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_FEATURE: the migration and DMA logging features the core
 * implements on top of a driver's mig_ops and log_ops; every other
 * feature goes to the driver's device_feature.
 */

#include <linux/file.h>
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_core.h"

/*
 * Kernels with IOMMUFD_DRIVER export iova_bitmap_* in the IOMMUFD
 * namespace; without it they are inline stubs (Debian's stock config).
 */
#if IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
MODULE_IMPORT_NS(IOMMUFD);
#endif

/* VFIO_DEVICE_FEATURE_MIGRATION: which migration flavours exist. */
static int vfio_feature_migration(struct vfio_device *vdev, u32 flags,
				  void __user *arg)
{
	struct vfio_device_feature_migration info = {};

	info.flags = vdev->migration_flags;
	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* Hand a data transfer file to userspace as a new fd in @mig; consumes it. */
static int vfio_mig_install_fd(struct file *data_file, void __user *arg,
			       struct vfio_device_feature_mig_state *mig)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);
	int ret = min(fd, 0);

	if (!ret) {
		mig->data_fd = fd;
		ret = copy_to_user(arg, mig, sizeof(*mig)) ? -EFAULT : 0;
		if (ret)
			put_unused_fd(fd);
		else
			fd_install(fd, data_file);
	}
	if (ret)
		fput(data_file);
	return ret;
}

/* VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: read or move the state. */
static int vfio_feature_mig_device_state(struct vfio_device *vdev, u32 flags,
					 void __user *arg)
{
	struct vfio_device_feature_mig_state mig;
	enum vfio_device_mig_state state;
	struct file *data_file;
	int ret;

	if (copy_from_user(&mig, arg, sizeof(mig)))
		return -EFAULT;

	if (flags & VFIO_DEVICE_FEATURE_GET) {
		ret = vdev->mig_ops->migration_get_state(vdev, &state);
		if (ret)
			return ret;
		mig.device_state = state;
		data_file = NULL;
	} else {
		data_file = vdev->mig_ops->migration_set_state(vdev,
							       mig.device_state);
		if (!IS_ERR_OR_NULL(data_file))
			return vfio_mig_install_fd(data_file, arg, &mig);
	}

	/*
	 * No data transfer fd: report -1. A failed SET still copies, the
	 * state field unchanged, before returning the driver's error.
	 */
	mig.data_fd = -1;
	if (copy_to_user(arg, &mig, sizeof(mig)))
		return -EFAULT;
	return PTR_ERR_OR_ZERO(data_file);
}

/* VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: estimated STOP_COPY data length. */
static int vfio_feature_mig_data_size(struct vfio_device *vdev, u32 flags,
				      void __user *arg)
{
	struct vfio_device_feature_mig_data_size info = {};
	unsigned long length;
	int ret = vdev->mig_ops->migration_get_data_size(vdev, &length);

	if (ret)
		return ret;

	info.stop_copy_length = length;
	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* The ranges of one LOGGING_START must fit in a page. */
#define VFIO_LOG_RANGES_MAX \
	(PAGE_SIZE / sizeof(struct vfio_device_feature_dma_logging_range))

/*
 * Read the user's ranges into @nodes and the interval tree @root,
 * refusing misaligned, wrapping and overlapping ones.
 */
static int vfio_log_read_ranges(struct vfio_device_feature_dma_logging_range __user *uranges,
				u32 count, u64 page_size,
				struct interval_tree_node *nodes,
				struct rb_root_cached *root)
{
	struct vfio_device_feature_dma_logging_range range;
	u64 end;
	u32 i;

	for (i = 0; i < count; i++) {
		if (copy_from_user(&range, &uranges[i], sizeof(range)))
			return -EFAULT;
		if (!IS_ALIGNED(range.iova, page_size) ||
		    !IS_ALIGNED(range.length, page_size))
			return -EINVAL;
		if (check_add_overflow(range.iova, range.length, &end) ||
		    end > ULONG_MAX)
			return -EOVERFLOW;

		nodes[i].start = range.iova;
		nodes[i].last = range.iova + range.length - 1;
		if (interval_tree_iter_first(root, nodes[i].start,
					     nodes[i].last))
			return -EINVAL;
		interval_tree_insert(&nodes[i], root);
	}
	return 0;
}

/*
 * Have the driver track @root. It may choose another page size than
 * asked for, which the user is told; if it cannot be told, stop.
 */
static int vfio_log_start_ranges(struct vfio_device *vdev,
				 struct vfio_device_feature_dma_logging_control *ctrl,
				 struct rb_root_cached *root, void __user *arg)
{
	int ret = vdev->log_ops->log_start(vdev, root, ctrl->num_ranges,
					   &ctrl->page_size);

	if (!ret && copy_to_user(arg, ctrl, sizeof(*ctrl))) {
		vdev->log_ops->log_stop(vdev);
		ret = -EFAULT;
	}
	return ret;
}

/* VFIO_DEVICE_FEATURE_DMA_LOGGING_START: track dirty IOVA ranges. */
static int vfio_feature_log_start(struct vfio_device *vdev, u32 flags,
				  void __user *arg)
{
	struct vfio_device_feature_dma_logging_control ctrl;
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct interval_tree_node *nodes;
	int ret;

	if (copy_from_user(&ctrl, arg,
			   offsetofend(typeof(ctrl), ranges)))
		return -EFAULT;
	if (!ctrl.num_ranges)
		return -EINVAL;
	if (ctrl.num_ranges > VFIO_LOG_RANGES_MAX)
		return -E2BIG;

	nodes = kmalloc_array(ctrl.num_ranges, sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return -ENOMEM;

	ret = vfio_log_read_ranges(u64_to_user_ptr(ctrl.ranges),
				   ctrl.num_ranges, ctrl.page_size, nodes,
				   &root);
	if (!ret)
		ret = vfio_log_start_ranges(vdev, &ctrl, &root, arg);
	kfree(nodes);
	return ret;
}

/* VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP */
static int vfio_feature_log_stop(struct vfio_device *vdev, u32 flags,
				 void __user *arg)
{
	return vdev->log_ops->log_stop(vdev);
}

#if IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
void vfio_log_mark_dirty(struct iova_bitmap *dirty, unsigned long iova,
			 unsigned long length)
{
	iova_bitmap_set(dirty, iova, length);
}
EXPORT_SYMBOL_GPL(vfio_log_mark_dirty);

static int vfio_log_report_chunk(struct iova_bitmap *dirty,
				 unsigned long iova, size_t length,
				 void *opaque)
{
	struct vfio_device *vdev = opaque;

	return vdev->log_ops->log_read_and_clear(vdev, iova, length, dirty);
}

/* Let the driver fill the user's bitmap for a checked range. */
static int vfio_log_report_range(struct vfio_device *vdev,
				 const struct vfio_device_feature_dma_logging_report *r)
{
	struct iova_bitmap *dirty = iova_bitmap_alloc(r->iova, r->length,
						      r->page_size,
						      u64_to_user_ptr(r->bitmap));
	int ret = PTR_ERR_OR_ZERO(dirty);

	if (!ret) {
		ret = iova_bitmap_for_each(dirty, vdev, vfio_log_report_chunk);
		iova_bitmap_free(dirty);
	}
	return ret;
}
#else
/*
 * The kernel has no iova_bitmap (its inline stubs would make every
 * report EOPNOTSUPP, the in-tree vfio.ko's answer on Debian), so the
 * core brings its own: the report goes in windows of
 * VFIO_LOG_WINDOW_BITS pages; the driver marks dirty IOVA in the
 * window's kernel bits through vfio_log_mark_dirty(), then the window
 * is ORed into the user's bitmap. The type is opaque to drivers.
 */
#define VFIO_LOG_WINDOW_BITS	(PAGE_SIZE * BITS_PER_BYTE)

struct iova_bitmap {
	unsigned long base;	/* IOVA of bit 0 */
	unsigned long last;	/* last IOVA byte of the window */
	unsigned int pgshift;	/* one bit per 1 << pgshift bytes */
	unsigned long *bits;	/* VFIO_LOG_WINDOW_BITS of them */
};

/**
 * vfio_log_mark_dirty - report IOVA as dirty from log_read_and_clear
 * @dirty: the window the core passed to log_read_and_clear
 * @iova: first dirty byte
 * @length: dirty bytes; what falls outside the window is ignored
 *
 * Upstream drivers call iova_bitmap_set(); ours call this, which is
 * iova_bitmap_set() on kernels that have it.
 */
void vfio_log_mark_dirty(struct iova_bitmap *dirty, unsigned long iova,
			 unsigned long length)
{
	unsigned long first, last;

	if (!length || iova > dirty->last)
		return;
	first = max(iova, dirty->base);
	last = min(iova + length - 1, dirty->last);
	if (last < first)
		return;
	first = (first - dirty->base) >> dirty->pgshift;
	last = (last - dirty->base) >> dirty->pgshift;
	bitmap_set(dirty->bits, first, last - first + 1);
}
EXPORT_SYMBOL_GPL(vfio_log_mark_dirty);

/* OR a window's bits into the user's words; false if they cannot be. */
static bool vfio_log_flush_window(const struct iova_bitmap *w,
				  u64 __user *uwords, unsigned long nbits,
				  u64 *tmp)
{
	size_t bytes = BITS_TO_U64(nbits) * sizeof(u64);
	unsigned long i;

	if (copy_from_user(tmp, uwords, bytes))
		return false;
	for (i = 0; i < BITS_TO_U64(nbits); i++)
		tmp[i] |= bitmap_read(w->bits, i * 64, 64);
	return !copy_to_user(uwords, tmp, bytes);
}

/*
 * One window: the driver reads and clears its bits, then they go to the
 * user. As with upstream's iova_bitmap (which pins the user's pages only
 * to set a bit, and drops bits it cannot pin), a bitmap the user cannot
 * give loses them silently: the report still succeeds.
 */
static int vfio_log_report_window(struct vfio_device *vdev,
				  struct iova_bitmap *w, unsigned long length,
				  u64 __user *uwords, unsigned long nbits,
				  u64 *tmp)
{
	int ret;

	bitmap_zero(w->bits, VFIO_LOG_WINDOW_BITS);
	ret = vdev->log_ops->log_read_and_clear(vdev, w->base, length, w);
	if (!ret && !bitmap_empty(w->bits, nbits))
		vfio_log_flush_window(w, uwords, nbits, tmp);
	return ret;
}

static int vfio_log_report_range(struct vfio_device *vdev,
				 const struct vfio_device_feature_dma_logging_report *r)
{
	u64 __user *ubits = u64_to_user_ptr(r->bitmap);
	unsigned int shift = __ffs64(r->page_size);
	unsigned long done = 0, chunk, nbits;
	struct iova_bitmap w = { .pgshift = shift };
	u64 *tmp;
	int ret = -ENOMEM;

	w.bits = bitmap_zalloc(VFIO_LOG_WINDOW_BITS, GFP_KERNEL);
	tmp = kmalloc(VFIO_LOG_WINDOW_BITS / BITS_PER_BYTE, GFP_KERNEL);
	if (!w.bits || !tmp)
		goto out_free;

	ret = 0;
	while (done < r->length) {
		chunk = r->length - done;
		/* A full window, where it fits: never shifted past 64 bits. */
		if ((chunk >> shift) >= VFIO_LOG_WINDOW_BITS)
			chunk = (unsigned long)VFIO_LOG_WINDOW_BITS << shift;
		nbits = DIV_ROUND_UP_ULL(chunk, r->page_size);
		w.base = r->iova + done;
		w.last = w.base + chunk - 1;
		ret = vfio_log_report_window(vdev, &w, chunk,
					     ubits + (done >> shift) / 64,
					     nbits, tmp);
		if (ret)
			break;
		done += chunk;
		cond_resched();
	}
out_free:
	kfree(tmp);
	bitmap_free(w.bits);
	return ret;
}
#endif

/* VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT: fill the user's bitmap. */
static int vfio_feature_log_report(struct vfio_device *vdev, u32 flags,
				   void __user *arg)
{
	struct vfio_device_feature_dma_logging_report report;
	u64 end;

	if (copy_from_user(&report, arg,
			   offsetofend(typeof(report), bitmap)))
		return -EFAULT;
	/* Granules of at least 4K; the range must fit an unsigned long. */
	if (report.page_size < SZ_4K || !is_power_of_2(report.page_size))
		return -EINVAL;
	if (check_add_overflow(report.iova, report.length, &end) ||
	    end > ULONG_MAX)
		return -EOVERFLOW;
	return vfio_log_report_range(vdev, &report);
}

#define FEATURE_GET	VFIO_DEVICE_FEATURE_GET
#define FEATURE_SET	VFIO_DEVICE_FEATURE_SET

/*
 * Features the core implements, by VFIO_DEVICE_FEATURE_MASK value: the
 * GET/SET they allow, the argument size they need, and whether they
 * belong to dirty logging (log_ops) or migration (mig_ops). A device
 * without those ops does not have the feature.
 */
static const struct vfio_core_feature {
	u32	id;
	u32	ops;
	u32	size;
	bool	logging;
	int	(*handler)(struct vfio_device *vdev, u32 flags,
			   void __user *arg);
} vfio_core_features[] = {
	{ VFIO_DEVICE_FEATURE_MIGRATION, FEATURE_GET,
	  sizeof(struct vfio_device_feature_migration), false,
	  vfio_feature_migration },
	{ VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, FEATURE_GET | FEATURE_SET,
	  sizeof(struct vfio_device_feature_mig_state), false,
	  vfio_feature_mig_device_state },
	{ VFIO_DEVICE_FEATURE_DMA_LOGGING_START, FEATURE_SET,
	  sizeof(struct vfio_device_feature_dma_logging_control), true,
	  vfio_feature_log_start },
	{ VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, FEATURE_SET, 0, true,
	  vfio_feature_log_stop },
	{ VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, FEATURE_GET,
	  sizeof(struct vfio_device_feature_dma_logging_report), true,
	  vfio_feature_log_report },
	{ VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, FEATURE_GET,
	  sizeof(struct vfio_device_feature_mig_data_size), false,
	  vfio_feature_mig_data_size },
};

static const struct vfio_core_feature *vfio_core_feature_find(u32 id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vfio_core_features); i++)
		if (vfio_core_features[i].id == id)
			return &vfio_core_features[i];
	return NULL;
}

/*
 * @flags passed the ioctl's checks; @arg points at the feature data and
 * @argsz counts its bytes.
 */
int vfio_device_feature(struct vfio_device *vdev, u32 flags,
			void __user *arg, size_t argsz)
{
	const struct vfio_core_feature *f;
	bool have;
	int ret;

	f = vfio_core_feature_find(flags & VFIO_DEVICE_FEATURE_MASK);
	if (f) {
		have = f->logging ? !!vdev->log_ops : !!vdev->mig_ops;
		if (!have)
			return -ENOTTY;
		/* 1: do the GET or SET; else a PROBE's 0 or -EINVAL. */
		ret = vfio_check_feature(flags, argsz, f->ops, f->size);
		return ret == 1 ? f->handler(vdev, flags, arg) : ret;
	}

	if (!vdev->ops->device_feature)
		return -ENOTTY;
	return vdev->ops->device_feature(vdev, flags, arg, argsz);
}
