// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_FEATURE: the migration and DMA logging features the core
 * implements on top of a driver's mig_ops and log_ops; every other
 * feature goes to the driver's device_feature.
 */

#include <linux/file.h>
#include <linux/interval_tree.h>
#include <linux/iova_bitmap.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_core.h"

/* VFIO_DEVICE_FEATURE_MIGRATION: which migration flavours exist. */
static int vfio_feature_migration(struct vfio_device *vdev, u32 flags,
				  void __user *arg, size_t argsz)
{
	struct vfio_device_feature_migration info = {};
	int ret;

	if (!vdev->mig_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(info));
	if (ret != 1)
		return ret;

	info.flags = vdev->migration_flags;
	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* Hand a data transfer file to userspace as a new fd in @mig. */
static int vfio_mig_install_fd(struct file *data_file, void __user *arg,
			       struct vfio_device_feature_mig_state *mig)
{
	int fd, ret;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put_file;
	}

	mig->data_fd = fd;
	if (copy_to_user(arg, mig, sizeof(*mig))) {
		ret = -EFAULT;
		goto err_put_fd;
	}
	fd_install(fd, data_file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_put_file:
	fput(data_file);
	return ret;
}

/* VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: read or move the state. */
static int vfio_feature_mig_device_state(struct vfio_device *vdev, u32 flags,
					 void __user *arg, size_t argsz)
{
	struct vfio_device_feature_mig_state mig;
	enum vfio_device_mig_state state;
	struct file *data_file;
	int ret;

	if (!vdev->mig_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz,
				 VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_SET, sizeof(mig));
	if (ret != 1)
		return ret;

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
				      void __user *arg, size_t argsz)
{
	struct vfio_device_feature_mig_data_size info = {};
	unsigned long length;
	int ret;

	if (!vdev->mig_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(info));
	if (ret != 1)
		return ret;

	ret = vdev->mig_ops->migration_get_data_size(vdev, &length);
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

/* VFIO_DEVICE_FEATURE_DMA_LOGGING_START: track dirty IOVA ranges. */
static int vfio_feature_log_start(struct vfio_device *vdev, u32 flags,
				  void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_logging_control ctrl;
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct interval_tree_node *nodes;
	int ret;

	if (!vdev->log_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				 sizeof(ctrl));
	if (ret != 1)
		return ret;

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
	if (ret)
		goto out_free;

	ret = vdev->log_ops->log_start(vdev, &root, ctrl.num_ranges,
				       &ctrl.page_size);
	if (ret)
		goto out_free;

	/* The driver may have chosen another page size: report it. */
	if (copy_to_user(arg, &ctrl, sizeof(ctrl))) {
		ret = -EFAULT;
		vdev->log_ops->log_stop(vdev);
	}

out_free:
	kfree(nodes);
	return ret;
}

/* VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP */
static int vfio_feature_log_stop(struct vfio_device *vdev, u32 flags,
				 void __user *arg, size_t argsz)
{
	int ret;

	if (!vdev->log_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
	if (ret != 1)
		return ret;

	return vdev->log_ops->log_stop(vdev);
}

static int vfio_log_report_chunk(struct iova_bitmap *dirty,
				 unsigned long iova, size_t length,
				 void *opaque)
{
	struct vfio_device *vdev = opaque;

	return vdev->log_ops->log_read_and_clear(vdev, iova, length, dirty);
}

/* VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT: fill the user's bitmap. */
static int vfio_feature_log_report(struct vfio_device *vdev, u32 flags,
				   void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_logging_report report;
	struct iova_bitmap *dirty;
	u64 end;
	int ret;

	if (!vdev->log_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(report));
	if (ret != 1)
		return ret;

	if (copy_from_user(&report, arg,
			   offsetofend(typeof(report), bitmap)))
		return -EFAULT;
	if (report.page_size < SZ_4K || !is_power_of_2(report.page_size))
		return -EINVAL;
	if (check_add_overflow(report.iova, report.length, &end) ||
	    end > ULONG_MAX)
		return -EOVERFLOW;

	/*
	 * Without CONFIG_IOMMUFD_DRIVER the kernel's stubs make this
	 * -EOPNOTSUPP, as with the in-tree vfio.ko of the same kernel.
	 */
	dirty = iova_bitmap_alloc(report.iova, report.length,
				  report.page_size,
				  u64_to_user_ptr(report.bitmap));
	if (IS_ERR(dirty))
		return PTR_ERR(dirty);

	ret = iova_bitmap_for_each(dirty, vdev, vfio_log_report_chunk);
	iova_bitmap_free(dirty);
	return ret;
}

/* Features the core implements, by VFIO_DEVICE_FEATURE_MASK value. */
static const struct {
	u32 id;
	int (*handler)(struct vfio_device *vdev, u32 flags,
		       void __user *arg, size_t argsz);
} vfio_core_features[] = {
	{ VFIO_DEVICE_FEATURE_MIGRATION, vfio_feature_migration },
	{ VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, vfio_feature_mig_device_state },
	{ VFIO_DEVICE_FEATURE_DMA_LOGGING_START, vfio_feature_log_start },
	{ VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, vfio_feature_log_stop },
	{ VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, vfio_feature_log_report },
	{ VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, vfio_feature_mig_data_size },
};

/*
 * @flags passed the ioctl's checks; @arg points at the feature data and
 * @argsz counts its bytes.
 */
int vfio_device_feature(struct vfio_device *vdev, u32 flags,
			void __user *arg, size_t argsz)
{
	u32 id = flags & VFIO_DEVICE_FEATURE_MASK;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vfio_core_features); i++) {
		if (vfio_core_features[i].id == id)
			return vfio_core_features[i].handler(vdev, flags, arg,
							     argsz);
	}

	if (!vdev->ops->device_feature)
		return -ENOTTY;
	return vdev->ops->device_feature(vdev, flags, arg, argsz);
}
