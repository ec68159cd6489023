// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device fd's ioctls and VFIO_DEVICE_FEATURE handlers.
 *
 * Commands are dispatched from a table holding each one's minimum argsz
 * and allowed input flags: the header is copied and checked once, with
 * upstream's errnos (EFAULT for an unreadable header, EINVAL for a short
 * argsz or an unknown flag), before any handler runs.
 */

#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/nospec.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#include "priv.h"

/* Every argument struct starts like this. */
struct vfio_pci_ioctl_hdr {
	u32	argsz;
	u32	flags;
};

union vfio_pci_ioctl_arg {
	struct vfio_pci_ioctl_hdr	hdr;
	struct vfio_device_info		info;
	struct vfio_region_info		region;
	struct vfio_irq_info		irq;
	struct vfio_irq_set		irq_set;
	struct vfio_pci_hot_reset_info	reset_info;
	struct vfio_pci_hot_reset	reset;
	struct vfio_device_ioeventfd	ioeventfd;
};

struct vfio_pci_ioctl {
	unsigned int	cmd;
	/* Bytes that must be present: offsetofend of the last mandatory
	 * field. 0 for commands without an argument.
	 */
	size_t		minsz;
	/* Input flags accepted; flags outside are -EINVAL. */
	u32		flags;
	bool		check_flags;
	int		(*fn)(struct vfio_pci_core_device *vdev,
			      union vfio_pci_ioctl_arg *a, void __user *uarg);
};

/* ---------------------------------------------------------------- */
/* Capability chains                                                 */

/*
 * Append @caps after an info struct of @info_size bytes at @uarg, or,
 * if the user's buffer (*argsz) is too small, tell it how big to make
 * it. Sets the CAPS flag either way; consumes @caps.
 */
static int vfio_pci_put_caps(struct vfio_info_cap *caps, void __user *uarg,
			     size_t info_size, u32 *argsz, u32 *flags,
			     u32 caps_flag, u32 *cap_offset)
{
	int ret = 0;

	if (!caps->size)
		return 0;

	*flags |= caps_flag;
	if (*argsz < info_size + caps->size) {
		*argsz = info_size + caps->size;
		*cap_offset = 0;
	} else {
		vfio_info_cap_shift(caps, info_size);
		if (copy_to_user(uarg + info_size, caps->buf, caps->size))
			ret = -EFAULT;
		*cap_offset = info_size;
	}
	kfree(caps->buf);
	caps->buf = NULL;
	caps->size = 0;
	return ret;
}

/* ---------------------------------------------------------------- */
/* VFIO_DEVICE_GET_INFO                                              */

/* Report the AtomicOp completer sizes the path to the root supports. */
static int vfio_pci_atomic_cap(struct vfio_pci_core_device *vdev,
			       struct vfio_info_cap *caps)
{
	static const struct {
		u32 devcap2;
		u32 flag;
	} sizes[] = {
		{ PCI_EXP_DEVCAP2_ATOMIC_COMP32, VFIO_PCI_ATOMIC_COMP32 },
		{ PCI_EXP_DEVCAP2_ATOMIC_COMP64, VFIO_PCI_ATOMIC_COMP64 },
		{ PCI_EXP_DEVCAP2_ATOMIC_COMP128, VFIO_PCI_ATOMIC_COMP128 },
	};
	struct vfio_device_info_cap_pci_atomic_comp cap = {
		.header.id = VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP,
		.header.version = 1,
	};
	struct pci_dev *pdev = pci_physfn(vdev->pdev);
	u32 devcap2 = 0;
	unsigned int i;

	pcie_capability_read_dword(pdev, PCI_EXP_DEVCAP2, &devcap2);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if ((devcap2 & sizes[i].devcap2) &&
		    !pci_enable_atomic_ops_to_root(pdev, sizes[i].devcap2))
			cap.flags |= sizes[i].flag;

	if (!cap.flags)
		return 0;
	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static int vfio_pci_get_info(struct vfio_pci_core_device *vdev,
			     union vfio_pci_ioctl_arg *a, void __user *uarg)
{
	struct vfio_device_info *info = &a->info;
	/* What the caller sized, before argsz may grow for the caps. */
	size_t copy = min_t(size_t, info->argsz, sizeof(*info));
	struct vfio_info_cap caps = { };
	int ret;

	info->flags = VFIO_DEVICE_FLAGS_PCI;
	if (vdev->reset_works)
		info->flags |= VFIO_DEVICE_FLAGS_RESET;
	info->num_regions = VFIO_PCI_NUM_REGIONS + vdev->num_regions;
	info->num_irqs = VFIO_PCI_NUM_IRQS;
	info->cap_offset = 0;
	info->pad = 0;

	ret = vfio_pci_atomic_cap(vdev, &caps);
	if (ret) {
		pci_warn(vdev->pdev, "cannot report AtomicOps capability\n");
		kfree(caps.buf);
		return ret;
	}
	ret = vfio_pci_put_caps(&caps, uarg, sizeof(*info), &info->argsz,
				&info->flags, VFIO_DEVICE_FLAGS_CAPS,
				&info->cap_offset);
	if (ret)
		return ret;

	if (copy_to_user(uarg, info, copy))
		return -EFAULT;
	return 0;
}

/* ---------------------------------------------------------------- */
/* VFIO_DEVICE_GET_REGION_INFO                                       */

static int region_info_bar(struct vfio_pci_core_device *vdev,
			   struct vfio_region_info *info,
			   struct vfio_info_cap *caps)
{
	struct vfio_info_cap_header msix_mappable = {
		.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
		.version = 1,
	};

	info->size = pci_resource_len(vdev->pdev, info->index);
	info->flags = 0;
	if (!info->size)
		return 0;

	info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	if (!vdev->bar_mmap_supported[info->index])
		return 0;

	info->flags |= VFIO_REGION_INFO_FLAG_MMAP;
	/*
	 * The whole BAR may be mapped, MSI-X table included: the IOMMU's
	 * interrupt remapping, not the table, keeps the user contained.
	 */
	if (info->index == vdev->msix_bir)
		return vfio_info_add_capability(caps, &msix_mappable,
						sizeof(msix_mappable));
	return 0;
}

static void region_info_rom(struct vfio_pci_core_device *vdev,
			    struct vfio_region_info *info)
{
	struct pci_dev *pdev = vdev->pdev;
	void __iomem *io;
	size_t rom_size;
	u16 cmd;

	info->flags = 0;
	/* The BAR's size, not the image's. */
	info->size = pci_resource_len(pdev, PCI_ROM_RESOURCE);
	if (!info->size) {
		if (!(pdev->resource[PCI_ROM_RESOURCE].flags &
		      IORESOURCE_ROM_SHADOW))
			return;
		info->size = VFIO_PCI_SHADOW_ROM_SIZE;
	}

	/* Is a ROM really there? Mapping it needs memory decode. */
	cmd = vfio_pci_memory_lock_and_enable(vdev);
	io = pci_map_rom(pdev, &rom_size);
	if (io) {
		info->flags = VFIO_REGION_INFO_FLAG_READ;
		pci_unmap_rom(pdev, io);
	} else {
		info->size = 0;
	}
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
}

static int region_info_dev(struct vfio_pci_core_device *vdev,
			   struct vfio_region_info *info,
			   struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_type type_cap = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
	};
	unsigned int nr = VFIO_PCI_NUM_REGIONS + vdev->num_regions;
	struct vfio_pci_region *region;
	int ret;

	if (info->index >= nr)
		return -EINVAL;
	info->index = array_index_nospec(info->index, nr);
	region = &vdev->region[info->index - VFIO_PCI_NUM_REGIONS];

	info->size = region->size;
	info->flags = region->flags;

	type_cap.type = region->type;
	type_cap.subtype = region->subtype;
	ret = vfio_info_add_capability(caps, &type_cap.header,
				       sizeof(type_cap));
	if (ret)
		return ret;

	if (region->ops->add_capability)
		return region->ops->add_capability(vdev, region, caps);
	return 0;
}

static int vfio_pci_get_region_info(struct vfio_pci_core_device *vdev,
				    union vfio_pci_ioctl_arg *a,
				    void __user *uarg)
{
	struct vfio_region_info *info = &a->region;
	struct vfio_info_cap caps = { };
	int ret = 0;

	switch (info->index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info->size = vdev->pdev->cfg_size;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		ret = region_info_bar(vdev, info, &caps);
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		region_info_rom(vdev, info);
		break;
	case VFIO_PCI_VGA_REGION_INDEX:
		if (!vdev->vga_enabled)
			return -EINVAL;
		info->size = VFIO_PCI_VGA_SIZE;
		info->flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE;
		break;
	default:
		ret = region_info_dev(vdev, info, &caps);
		break;
	}
	if (ret) {
		kfree(caps.buf);
		return ret;
	}
	info->offset = VFIO_PCI_INDEX_TO_OFFSET(info->index);
	info->cap_offset = 0;

	ret = vfio_pci_put_caps(&caps, uarg, sizeof(*info), &info->argsz,
				&info->flags, VFIO_REGION_INFO_FLAG_CAPS,
				&info->cap_offset);
	if (ret)
		return ret;

	if (copy_to_user(uarg, info, sizeof(*info)))
		return -EFAULT;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Interrupt info and SET_IRQS                                       */

/* How many interrupts of a kind the device has; 0 for none. */
int vfio_pci_irq_count(struct vfio_pci_core_device *vdev, unsigned int index)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return vdev->vconfig[PCI_INTERRUPT_PIN] ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		if (!pdev->msi_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS,
				     &flags);
		return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (!pdev->msix_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
				     &flags);
		return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_is_pcie(pdev) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	}
	return 0;
}

static int vfio_pci_get_irq_info(struct vfio_pci_core_device *vdev,
				 union vfio_pci_ioctl_arg *a,
				 void __user *uarg)
{
	struct vfio_irq_info *info = &a->irq;

	if (info->index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (info->index == VFIO_PCI_ERR_IRQ_INDEX && !pci_is_pcie(vdev->pdev))
		return -EINVAL;

	info->flags = VFIO_IRQ_INFO_EVENTFD;
	info->count = vfio_pci_irq_count(vdev, info->index);
	if (info->index == VFIO_PCI_INTX_IRQ_INDEX)
		info->flags |= VFIO_IRQ_INFO_MASKABLE |
			       VFIO_IRQ_INFO_AUTOMASKED;
	else if (info->index != VFIO_PCI_MSIX_IRQ_INDEX ||
		 !vdev->msix_dynamic)
		/* Only dynamic MSI-X can add vectors while enabled. */
		info->flags |= VFIO_IRQ_INFO_NORESIZE;

	if (copy_to_user(uarg, info, offsetofend(struct vfio_irq_info, count)))
		return -EFAULT;
	return 0;
}

static int vfio_pci_set_irqs(struct vfio_pci_core_device *vdev,
			     union vfio_pci_ioctl_arg *a, void __user *uarg)
{
	struct vfio_irq_set *hdr = &a->irq_set;
	struct vfio_irq_set __user *arg = uarg;
	size_t data_size;
	void *data;
	int ret;

	ret = vfio_set_irqs_validate_and_prepare(hdr,
						 vfio_pci_irq_count(vdev, hdr->index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	/* Eventfds or bools for each vector; none for DATA_NONE. */
	data = data_size ? memdup_user(&arg->data, data_size) : NULL;
	if (IS_ERR(data))
		return PTR_ERR(data);

	mutex_lock(&vdev->igate);
	ret = vfio_pci_set_irqs_ioctl(vdev, hdr->flags, hdr->index,
				      hdr->start, hdr->count, data);
	mutex_unlock(&vdev->igate);

	kfree(data);
	return ret;
}

/* ---------------------------------------------------------------- */
/* Resets                                                            */

/*
 * VFIO_DEVICE_RESET. A reset from D3 would bring the device to D0
 * without restoring a NoSoftRst- device's state: go to D0 our way
 * first, with BAR access stopped.
 */
static int vfio_pci_reset(struct vfio_pci_core_device *vdev,
			  union vfio_pci_ioctl_arg *a, void __user *uarg)
{
	int ret = -EINVAL;

	if (vdev->reset_works) {
		vfio_pci_zap_and_down_write_memory_lock(vdev);
		vfio_pci_set_power_state(vdev, PCI_D0);
		ret = pci_try_reset_function(vdev->pdev);
		up_write(&vdev->memory_lock);
	}
	return ret;
}

/* Slot reset if the slot has one, else bus reset, else -ENODEV. */
static int vfio_pci_hot_reset_scope(struct vfio_pci_core_device *vdev,
				    bool *slot)
{
	*slot = !pci_probe_reset_slot(vdev->pdev->slot);
	if (!*slot && pci_probe_reset_bus(vdev->pdev->bus))
		return -ENODEV;
	return 0;
}

static int count_peer(struct pci_dev *pdev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/*
 * @ictx: set for a cdev-opened caller: entries name devices by their id
 * in the caller's iommufd (VFIO_PCI_HOT_RESET_FLAG_DEV_ID) instead of
 * by group, and @flags loses DEV_ID_OWNED at the first one it does not
 * own. Runs under the dev_set lock, which keeps the bindings stable.
 */
struct peer_fill {
	struct vfio_pci_dependent_device *devices;
	unsigned int max;
	unsigned int n;
	struct vfio_device_set *dev_set;
	struct iommufd_ctx *ictx;
	u32 flags;
};

/* A peer outside the dev_set is not ours, so not the caller's either. */
static u32 peer_devid(struct peer_fill *fill, struct pci_dev *pdev)
{
	struct vfio_device *peer;
	int id;

	peer = vfio_find_device_in_devset(fill->dev_set, &pdev->dev);
	id = peer ? vfio_iommufd_get_dev_id(peer, fill->ictx) : -ENODEV;
	if (id > 0)
		return id;
	if (id == -ENOENT)
		return VFIO_PCI_DEVID_OWNED;
	fill->flags &= ~VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	return VFIO_PCI_DEVID_NOT_OWNED;
}

static int fill_peer(struct pci_dev *pdev, void *data)
{
	struct peer_fill *fill = data;
	struct vfio_pci_dependent_device *dep;
	struct iommu_group *group;

	/* More functions than we counted: the topology changed. */
	if (fill->n >= fill->max)
		return -EAGAIN;

	dep = &fill->devices[fill->n];
	if (fill->ictx) {
		dep->devid = peer_devid(fill, pdev);
	} else {
		/* A function without isolation cannot be reset by a user. */
		group = iommu_group_get(&pdev->dev);
		if (!group)
			return -EPERM;
		dep->group_id = iommu_group_id(group);
		iommu_group_put(group);
	}
	dep->segment = pci_domain_nr(pdev->bus);
	dep->bus = pdev->bus->number;
	dep->devfn = pdev->devfn;
	fill->n++;
	return 0;
}

static int vfio_pci_get_hot_reset_info(struct vfio_pci_core_device *vdev,
				       union vfio_pci_ioctl_arg *a,
				       void __user *uarg)
{
	struct vfio_pci_hot_reset_info *hdr = &a->reset_info;
	struct vfio_pci_hot_reset_info __user *arg = uarg;
	size_t minsz = offsetofend(struct vfio_pci_hot_reset_info, count);
	struct peer_fill fill = { };
	unsigned int count = 0;
	bool slot;
	int ret;

	hdr->flags = 0;

	ret = vfio_pci_hot_reset_scope(vdev, &slot);
	if (ret)
		return ret;

	ret = vfio_pci_walk_reset_peers(vdev->pdev, slot, count_peer, &count);
	if (ret)
		return ret;
	/* The device itself is always affected. */
	if (!count)
		return -ERANGE;

	if (count > (hdr->argsz - sizeof(*hdr)) / sizeof(*fill.devices)) {
		/* Tell the user how many entries to make room for. */
		hdr->count = count;
		if (copy_to_user(arg, hdr, minsz))
			return -EFAULT;
		return -ENOSPC;
	}

	fill.devices = kcalloc(count, sizeof(*fill.devices), GFP_KERNEL);
	if (!fill.devices)
		return -ENOMEM;
	fill.max = count;
	fill.dev_set = vdev->vdev.dev_set;

	/* Cdev-opened: device ids in the caller's iommufd, and ownership. */
	if (vfio_device_cdev_opened(&vdev->vdev)) {
		fill.ictx = vfio_iommufd_device_ictx(&vdev->vdev);
		fill.flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
			     VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	}

	mutex_lock(&vdev->vdev.dev_set->lock);
	ret = vfio_pci_walk_reset_peers(vdev->pdev, slot, fill_peer, &fill);
	mutex_unlock(&vdev->vdev.dev_set->lock);
	if (ret)
		goto out_free;

	if (copy_to_user(arg->devices, fill.devices,
			 fill.n * sizeof(*fill.devices))) {
		ret = -EFAULT;
		goto out_free;
	}
	hdr->count = fill.n;
	hdr->flags = fill.flags;
	if (copy_to_user(arg, hdr, minsz))
		ret = -EFAULT;

out_free:
	kfree(fill.devices);
	return ret;
}

/* Hot reset proving ownership with group fds. */
static int hot_reset_with_groups(struct vfio_pci_core_device *vdev,
				 struct vfio_pci_hot_reset __user *arg,
				 u32 nfds, bool slot)
{
	unsigned int peers = 0, i;
	struct file **files;
	s32 *fds;
	int ret;

	/* One group per affected function at most: bound the copy. */
	ret = vfio_pci_walk_reset_peers(vdev->pdev, slot, count_peer, &peers);
	if (ret)
		return ret;
	if (nfds > peers)
		return -EINVAL;

	fds = kcalloc(nfds, sizeof(*fds), GFP_KERNEL);
	files = kcalloc(nfds, sizeof(*files), GFP_KERNEL);
	if (!fds || !files) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user(fds, arg->group_fds, nfds * sizeof(*fds))) {
		ret = -EFAULT;
		goto out_free;
	}

	/* Hold every group for the duration of the reset. */
	for (i = 0; i < nfds; i++) {
		files[i] = fget(fds[i]);
		if (!files[i]) {
			ret = -EBADF;
			break;
		}
		if (!vfio_file_is_group(files[i])) {
			fput(files[i]);
			ret = -EINVAL;
			break;
		}
	}

	if (!ret)
		ret = vfio_pci_dev_set_hot_reset(vdev, files, nfds, NULL);

	while (i--)
		fput(files[i]);
out_free:
	kfree(files);
	kfree(fds);
	return ret;
}

static int vfio_pci_hot_reset(struct vfio_pci_core_device *vdev,
			      union vfio_pci_ioctl_arg *a, void __user *uarg)
{
	struct vfio_pci_hot_reset *hdr = &a->reset;
	bool slot;
	int ret;

	/* Group users pass group fds; cdev users an empty array. */
	if (!!hdr->count == !!vdev->vdev.cdev_opened)
		return -EINVAL;

	ret = vfio_pci_hot_reset_scope(vdev, &slot);
	if (ret)
		return ret;

	if (hdr->count)
		return hot_reset_with_groups(vdev, uarg, hdr->count, slot);
	/* The cdev user proves ownership through its iommufd instead. */
	return vfio_pci_dev_set_hot_reset(vdev, NULL, 0,
					  vfio_iommufd_device_ictx(&vdev->vdev));
}

static int vfio_pci_ioeventfd_ioctl(struct vfio_pci_core_device *vdev,
				    union vfio_pci_ioctl_arg *a,
				    void __user *uarg)
{
	struct vfio_device_ioeventfd *ioev = &a->ioeventfd;
	unsigned int count = ioev->flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;

	/* Exactly one size, and an fd or -1 to remove. */
	if (hweight8(count) != 1 || ioev->fd < -1)
		return -EINVAL;

	return vfio_pci_ioeventfd(vdev, ioev->offset, ioev->data, count,
				  ioev->fd);
}

/* ---------------------------------------------------------------- */
/* Dispatch                                                          */

static const struct vfio_pci_ioctl vfio_pci_ioctls[] = {
	{
		.cmd = VFIO_DEVICE_GET_INFO,
		.minsz = offsetofend(struct vfio_device_info, num_irqs),
		.fn = vfio_pci_get_info,
	}, {
		.cmd = VFIO_DEVICE_GET_REGION_INFO,
		.minsz = offsetofend(struct vfio_region_info, offset),
		.fn = vfio_pci_get_region_info,
	}, {
		.cmd = VFIO_DEVICE_GET_IRQ_INFO,
		.minsz = offsetofend(struct vfio_irq_info, count),
		.fn = vfio_pci_get_irq_info,
	}, {
		/* Flags are checked by vfio_set_irqs_validate_and_prepare. */
		.cmd = VFIO_DEVICE_SET_IRQS,
		.minsz = offsetofend(struct vfio_irq_set, count),
		.fn = vfio_pci_set_irqs,
	}, {
		.cmd = VFIO_DEVICE_RESET,
		.fn = vfio_pci_reset,
	}, {
		.cmd = VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
		.minsz = offsetofend(struct vfio_pci_hot_reset_info, count),
		.fn = vfio_pci_get_hot_reset_info,
	}, {
		.cmd = VFIO_DEVICE_PCI_HOT_RESET,
		.minsz = offsetofend(struct vfio_pci_hot_reset, count),
		.check_flags = true,
		.flags = 0,
		.fn = vfio_pci_hot_reset,
	}, {
		.cmd = VFIO_DEVICE_IOEVENTFD,
		.minsz = offsetofend(struct vfio_device_ioeventfd, fd),
		.check_flags = true,
		.flags = VFIO_DEVICE_IOEVENTFD_SIZE_MASK,
		.fn = vfio_pci_ioeventfd_ioctl,
	},
};

long vfio_pci_core_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			 unsigned long arg)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);
	void __user *uarg = (void __user *)arg;
	const struct vfio_pci_ioctl *op = vfio_pci_ioctls;
	union vfio_pci_ioctl_arg a;

	while (op < vfio_pci_ioctls + ARRAY_SIZE(vfio_pci_ioctls) &&
	       op->cmd != cmd)
		op++;
	if (op == vfio_pci_ioctls + ARRAY_SIZE(vfio_pci_ioctls))
		return -ENOTTY;

	memset(&a, 0, sizeof(a));
	if (op->minsz) {
		if (copy_from_user(&a, uarg, op->minsz))
			return -EFAULT;
		if (a.hdr.argsz < op->minsz)
			return -EINVAL;
		if (op->check_flags && (a.hdr.flags & ~op->flags))
			return -EINVAL;
	}

	/* The vfio core keeps the device runtime resumed for the call. */
	return op->fn(vdev, &a, uarg);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_ioctl);

/* ---------------------------------------------------------------- */
/* VFIO_DEVICE_FEATURE                                               */

/* What a VFIO_DEVICE_FEATURE SET of ours carries. */
union vfio_pci_feature_arg {
	struct vfio_device_low_power_entry_with_wakeup	wakeup;
	uuid_t						vf_token;
};

/* The device suspends once the ioctl drops its own reference. */
static int feature_low_power_entry(struct vfio_pci_core_device *vdev,
				   union vfio_pci_feature_arg *arg)
{
	return vfio_pci_runtime_pm_enter(vdev, NULL);
}

static int feature_low_power_entry_wakeup(struct vfio_pci_core_device *vdev,
					  union vfio_pci_feature_arg *arg)
{
	struct eventfd_ctx *wake;
	int ret = -EINVAL;

	if (arg->wakeup.wakeup_eventfd >= 0) {
		wake = eventfd_ctx_fdget(arg->wakeup.wakeup_eventfd);
		if (IS_ERR(wake))
			return PTR_ERR(wake);
		ret = vfio_pci_runtime_pm_enter(vdev, wake);
		if (ret)
			eventfd_ctx_put(wake);
	}
	return ret;
}

/*
 * The ioctl woke the device; a wakeup eventfd, if any, already ended
 * low power in runtime resume, which this tolerates.
 */
static int feature_low_power_exit(struct vfio_pci_core_device *vdev,
				  union vfio_pci_feature_arg *arg)
{
	vfio_pci_runtime_pm_leave(vdev);
	return 0;
}

/* SET only: a GET would leak the token of the previous user. */
static int feature_vf_token(struct vfio_pci_core_device *vdev,
			    union vfio_pci_feature_arg *arg)
{
	struct vfio_pci_vf_token *t = vdev->vf_token;

	mutex_lock(&t->lock);
	uuid_copy(&t->uuid, &arg->vf_token);
	mutex_unlock(&t->lock);
	return 0;
}

/* Our features: all are SET-only, with a fixed size argument. */
static const struct {
	u32	id;
	u32	size;		/* of the argument */
	bool	pf_only;	/* needs a VF token: absent elsewhere */
	int	(*set)(struct vfio_pci_core_device *vdev,
		       union vfio_pci_feature_arg *arg);
} vfio_pci_features[] = {
	{ VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, 0, false,
	  feature_low_power_entry },
	{ VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
	  sizeof(struct vfio_device_low_power_entry_with_wakeup), false,
	  feature_low_power_entry_wakeup },
	{ VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, 0, false,
	  feature_low_power_exit },
	{ VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, sizeof(uuid_t), true,
	  feature_vf_token },
};

int vfio_pci_core_ioctl_feature(struct vfio_device *device, u32 flags,
				void __user *arg, size_t argsz)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(device);
	u32 id = flags & VFIO_DEVICE_FEATURE_MASK;
	union vfio_pci_feature_arg buf;
	unsigned int i = 0;
	int ret;

	while (i < ARRAY_SIZE(vfio_pci_features) &&
	       vfio_pci_features[i].id != id)
		i++;
	if (i == ARRAY_SIZE(vfio_pci_features) ||
	    (vfio_pci_features[i].pf_only && !vdev->vf_token))
		return -ENOTTY;

	/* 1: a SET with a large enough argument; else a probe or error. */
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET,
				 vfio_pci_features[i].size);
	if (ret != 1)
		return ret;
	if (copy_from_user(&buf, arg, vfio_pci_features[i].size))
		return -EFAULT;
	return vfio_pci_features[i].set(vdev, &buf);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_ioctl_feature);
