// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-platform.ko: the "vfio-platform" platform driver. It matches no
 * device by itself; the administrator hands a device over with
 * driver_override. Each bound device becomes a vfio_device registered
 * through the group path (on x86 only in noiommu mode: platform devices
 * have no IOMMU group there).
 *
 * Also home of the reset registry that reset modules register with
 * (include/vfio/platform.h).
 */
#include <linux/acpi.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/pm_runtime.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_platform_priv.h"

static bool reset_required = true;
module_param(reset_required, bool, 0444);
MODULE_PARM_DESC(reset_required,
		 "refuse devices without a reset function (default: 1)");

/* ---- the reset registry ---- */

/* Protects vfp_resets; nothing is taken inside it. */
static DEFINE_MUTEX(vfp_reset_lock);
static LIST_HEAD(vfp_resets);

void __vfio_platform_register_reset(struct vfio_platform_reset_node *node)
{
	mutex_lock(&vfp_reset_lock);
	list_add(&node->link, &vfp_resets);
	mutex_unlock(&vfp_reset_lock);
}
EXPORT_SYMBOL_GPL(__vfio_platform_register_reset);

void vfio_platform_unregister_reset(const char *compat,
				    vfio_platform_reset_fn_t fn)
{
	struct vfio_platform_reset_node *node;

	mutex_lock(&vfp_reset_lock);
	list_for_each_entry(node, &vfp_resets, link) {
		if (node->of_reset == fn && !strcmp(node->compat, compat)) {
			list_del(&node->link);
			break;
		}
	}
	mutex_unlock(&vfp_reset_lock);
}
EXPORT_SYMBOL_GPL(vfio_platform_unregister_reset);

/* The reset function for @compat, its module pinned in *@owner. */
static vfio_platform_reset_fn_t vfp_reset_find(const char *compat,
					       struct module **owner)
{
	struct vfio_platform_reset_node *node;
	vfio_platform_reset_fn_t fn = NULL;

	mutex_lock(&vfp_reset_lock);
	list_for_each_entry(node, &vfp_resets, link) {
		if (strcmp(node->compat, compat) || !try_module_get(node->owner))
			continue;
		*owner = node->owner;
		fn = node->of_reset;
		break;
	}
	mutex_unlock(&vfp_reset_lock);
	return fn;
}

/* ---- reset of one device ---- */

static bool vfp_has_reset(struct vfio_platform_device *vdev)
{
	if (vdev->acpihid)
		return acpi_has_method(ACPI_HANDLE(vdev->device), "_RST");
	return vdev->of_reset;
}

static int vfp_do_reset(struct vfio_platform_device *vdev)
{
	acpi_status st;

	if (vdev->acpihid) {
		st = acpi_evaluate_object(ACPI_HANDLE(vdev->device), "_RST",
					  NULL, NULL);
		/*
		 * No _RST (reset_required=0) fails quietly, as upstream: it
		 * is not news at every open and close.
		 */
		if (st == AE_NOT_FOUND)
			return -EINVAL;
		if (ACPI_FAILURE(st)) {
			dev_warn(vdev->device, "_RST failed: %s\n",
				 acpi_format_exception(st));
			return -EINVAL;
		}
		return 0;
	}
	if (vdev->of_reset)
		return vdev->of_reset(vdev);
	dev_warn(vdev->device, "no reset function found!\n");
	return -EINVAL;
}

/* Find the device's identity and its reset function (probe time). */
static int vfp_identify(struct vfio_platform_device *vdev)
{
	struct device *dev = vdev->device;
	int ret;

	/* An ACPI device is named by its HID and reset by its _RST. */
	if (!acpi_disabled && ACPI_COMPANION(dev)) {
		vdev->acpihid = acpi_device_hid(ACPI_COMPANION(dev));
		if (!vdev->acpihid)
			return -EINVAL;
		if (!acpi_has_method(ACPI_HANDLE(dev), "_RST") &&
		    vdev->reset_required) {
			dev_err(dev, "No reset function found for device %s\n",
				vdev->name);
			return -ENOENT;
		}
		return 0;
	}

	ret = device_property_read_string(dev, "compatible", &vdev->compat);
	if (ret) {
		dev_err(dev, "Cannot retrieve compat for %s\n", vdev->name);
		return ret;
	}

	vdev->of_reset = vfp_reset_find(vdev->compat, &vdev->reset_module);
	if (!vdev->of_reset) {
		/* Reset modules announce themselves as "vfio-reset:COMPAT". */
		request_module("vfio-reset:%s", vdev->compat);
		vdev->of_reset = vfp_reset_find(vdev->compat,
						&vdev->reset_module);
	}
	if (!vdev->of_reset && vdev->reset_required) {
		dev_err(dev, "No reset function found for device %s\n",
			vdev->name);
		return -ENOENT;
	}
	return 0;
}

/* ---- ioctls ---- */

union vfp_ioctl_arg {
	struct vfio_device_info info;
	struct vfio_region_info region;
	struct vfio_irq_info irq;
	struct vfio_irq_set set;
};

static long vfp_get_info(struct vfio_platform_device *vdev,
			 union vfp_ioctl_arg *karg, void __user *uarg)
{
	karg->info.flags = vdev->flags;
	if (vfp_has_reset(vdev))
		karg->info.flags |= VFIO_DEVICE_FLAGS_RESET;
	karg->info.num_regions = vdev->num_regions;
	karg->info.num_irqs = vdev->num_irqs;
	return 0;
}

static long vfp_region_info(struct vfio_platform_device *vdev,
			    union vfp_ioctl_arg *karg, void __user *uarg)
{
	struct vfio_region_info *ri = &karg->region;

	if (ri->index >= vdev->num_regions)
		return -EINVAL;
	ri->offset = VFIO_PLATFORM_INDEX_TO_OFFSET(ri->index);
	ri->size = vdev->regions[ri->index].size;
	ri->flags = vdev->regions[ri->index].flags;
	/* No capabilities: cap_offset is left as the caller passed it. */
	return 0;
}

static long vfp_irq_info(struct vfio_platform_device *vdev,
			 union vfp_ioctl_arg *karg, void __user *uarg)
{
	struct vfio_irq_info *ii = &karg->irq;

	if (ii->index >= vdev->num_irqs)
		return -EINVAL;
	ii->flags = vdev->irqs[ii->index].flags;
	ii->count = vdev->irqs[ii->index].count;
	return 0;
}

static long vfp_set_irqs_ioctl(struct vfio_platform_device *vdev,
			       union vfp_ioctl_arg *karg, void __user *uarg)
{
	struct vfio_irq_set *hdr = &karg->set;
	size_t data_size = 0;
	void *data = NULL;
	int ret;

	ret = vfio_set_irqs_validate_and_prepare(hdr, vdev->num_irqs,
						 vdev->num_irqs, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user(uarg + offsetofend(struct vfio_irq_set, count),
				   data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	mutex_lock(&vdev->igate);
	ret = vfp_set_irqs(vdev, hdr->flags, hdr->index, hdr->start,
			   hdr->count, data);
	mutex_unlock(&vdev->igate);
	kfree(data);
	return ret;
}

static long vfp_reset_ioctl(struct vfio_platform_device *vdev,
			    union vfp_ioctl_arg *karg, void __user *uarg)
{
	return vfp_do_reset(vdev);
}

/*
 * @minsz: argsz must cover the struct up to its last field we use;
 * that much is copied in and, with @copy_out, back. 0: no argument.
 */
struct vfp_ioctl {
	unsigned int cmd;
	size_t minsz;
	bool copy_out;
	long (*fn)(struct vfio_platform_device *vdev,
		   union vfp_ioctl_arg *karg, void __user *uarg);
};

#define VFP_IOCTL(_cmd, _type, _last, _out, _fn) \
	{ _cmd, offsetofend(_type, _last), _out, _fn }

static const struct vfp_ioctl vfp_ioctls[] = {
	VFP_IOCTL(VFIO_DEVICE_GET_INFO, struct vfio_device_info, num_irqs,
		  true, vfp_get_info),
	VFP_IOCTL(VFIO_DEVICE_GET_REGION_INFO, struct vfio_region_info,
		  offset, true, vfp_region_info),
	VFP_IOCTL(VFIO_DEVICE_GET_IRQ_INFO, struct vfio_irq_info, count,
		  true, vfp_irq_info),
	/* The flags are checked by vfio_set_irqs_validate_and_prepare(). */
	VFP_IOCTL(VFIO_DEVICE_SET_IRQS, struct vfio_irq_set, count,
		  false, vfp_set_irqs_ioctl),
	{ VFIO_DEVICE_RESET, 0, false, vfp_reset_ioctl },
};

static long vfp_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		      unsigned long arg)
{
	struct vfio_platform_device *vdev = to_vfp(core_vdev);
	void __user *uarg = (void __user *)arg;
	const struct vfp_ioctl *ent = NULL;
	union vfp_ioctl_arg karg;
	unsigned int i;
	long ret;

	for (i = 0; i < ARRAY_SIZE(vfp_ioctls); i++)
		if (vfp_ioctls[i].cmd == cmd)
			ent = &vfp_ioctls[i];
	if (!ent)
		return -ENOTTY;
	if (!ent->minsz)
		return ent->fn(vdev, NULL, uarg);

	/* argsz leads every argument struct. */
	if (copy_from_user(&karg, uarg, ent->minsz))
		return -EFAULT;
	if (karg.info.argsz < ent->minsz)
		return -EINVAL;
	ret = ent->fn(vdev, &karg, uarg);
	if (ret || !ent->copy_out)
		return ret;
	return copy_to_user(uarg, &karg, ent->minsz) ? -EFAULT : 0;
}

/* ---- open and close ---- */

static int vfp_open_device(struct vfio_device *core_vdev)
{
	struct vfio_platform_device *vdev = to_vfp(core_vdev);
	int ret;

	ret = vfp_regions_setup(vdev);
	if (ret)
		return ret;
	ret = vfp_irqs_setup(vdev);
	if (ret)
		goto err_regions;
	ret = pm_runtime_resume_and_get(vdev->device);
	if (ret < 0)
		goto err_irqs;

	/* The user gets the device in its reset state, or not at all. */
	ret = vfp_do_reset(vdev);
	if (ret && vdev->reset_required) {
		dev_warn(vdev->device,
			 "reset required but failed at open (%d)\n", ret);
		goto err_pm;
	}
	return 0;

err_pm:
	pm_runtime_put(vdev->device);
err_irqs:
	vfp_irqs_teardown(vdev);
err_regions:
	vfp_regions_teardown(vdev);
	return ret;
}

static void vfp_close_device(struct vfio_device *core_vdev)
{
	struct vfio_platform_device *vdev = to_vfp(core_vdev);
	int ret;

	/* Leave nothing of the user's programming behind. */
	ret = vfp_do_reset(vdev);
	if (ret && vdev->reset_required)
		dev_warn(vdev->device,
			 "reset required but failed at release (%d)\n", ret);
	pm_runtime_put(vdev->device);
	vfp_irqs_teardown(vdev);
	vfp_regions_teardown(vdev);
}

/* ---- lifetime ---- */

static int vfp_init(struct vfio_device *core_vdev)
{
	struct vfio_platform_device *vdev = to_vfp(core_vdev);
	struct platform_device *pdev = to_platform_device(core_vdev->dev);

	vdev->device = &pdev->dev;
	vdev->opaque = pdev;
	vdev->name = pdev->name;
	vdev->flags = VFIO_DEVICE_FLAGS_PLATFORM;
	vdev->reset_required = reset_required;
	mutex_init(&vdev->igate);
	return vfp_identify(vdev);
}

static void vfp_release(struct vfio_device *core_vdev)
{
	struct vfio_platform_device *vdev = to_vfp(core_vdev);

	if (vdev->of_reset)
		module_put(vdev->reset_module);
	mutex_destroy(&vdev->igate);
}

static const struct vfio_device_ops vfp_ops = {
	.name		= "vfio-platform",
	.init		= vfp_init,
	.release	= vfp_release,
	.open_device	= vfp_open_device,
	.close_device	= vfp_close_device,
	.ioctl		= vfp_ioctl,
	.read		= vfp_read,
	.write		= vfp_write,
	.mmap		= vfp_mmap,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

static int vfp_probe(struct platform_device *pdev)
{
	struct vfio_platform_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_platform_device, vdev, &pdev->dev,
				 &vfp_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	ret = vfio_register_group_dev(&vdev->vdev);
	if (ret)
		goto err_put;
	pm_runtime_enable(&pdev->dev);
	platform_set_drvdata(pdev, vdev);
	return 0;

err_put:
	vfio_put_device(&vdev->vdev);
	return ret;
}

static void vfp_remove(struct platform_device *pdev)
{
	struct vfio_platform_device *vdev = platform_get_drvdata(pdev);

	/* Waits until the user closed the device. */
	vfio_unregister_group_dev(&vdev->vdev);
	pm_runtime_disable(&pdev->dev);
	vfio_put_device(&vdev->vdev);
}

static struct platform_driver vfp_driver = {
	.probe		= vfp_probe,
	.remove		= vfp_remove,
	.driver = {
		.name	= "vfio-platform",
	},
	/* The user owns DMA: the IOMMU core must not set up a domain. */
	.driver_managed_dma = true,
};
module_platform_driver(vfp_driver);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("VFIO for platform devices (MMIO regions, wired interrupts)");
