// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci: the plain PCI driver on top of vfio-pci-core.
 *
 * It binds only where asked to: through driver_override (the default
 * id table matches nothing else), dynamic ids written to new_id, or the
 * ids module parameter.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "priv.h"

static char ids[1024] __initdata;
module_param_string(ids, ids, sizeof(ids), 0);
MODULE_PARM_DESC(ids, "Initial PCI IDs to add to the vfio driver, format is \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]\" and multiple comma separated entries can be specified");

static bool nointxmask, disable_vga, disable_idle_d3;
static bool enable_sriov, disable_denylist;

module_param(nointxmask, bool, 0644);
MODULE_PARM_DESC(nointxmask, "Disable support for PCI 2.3 style INTx masking.  If this resolves problems for specific devices, report lspci -vvvxxx to linux-pci@vger.kernel.org so the device can be fixed automatically via the broken_intx_masking flag.");
module_param(disable_vga, bool, 0444);
MODULE_PARM_DESC(disable_vga, "Disable VGA resource access through vfio-pci");
module_param(disable_idle_d3, bool, 0644);
MODULE_PARM_DESC(disable_idle_d3, "Disable using the PCI D3 low power state for idle, unused devices");
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov, "Enable support for SR-IOV configuration.  Enabling SR-IOV on a PF typically requires support of the userspace PF driver, enabling VFs without such support may result in non-functional VFs or PF.");
module_param(disable_denylist, bool, 0444);
MODULE_PARM_DESC(disable_denylist, "Disable use of device denylist. Disabling the denylist allows binding to devices with known errata that may lead to exploitable stability or security issues when accessed by untrusted users.");

/* Devices with errata that make user access unsafe. */
static const struct pci_device_id vfio_pci_denylist[] = {
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C3XXX_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_C62X_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_QAT_DH895XCC_VF) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_DSA_SPR0) },
	{ PCI_VDEVICE(INTEL, PCI_DEVICE_ID_INTEL_IAX_SPR0) },
	{}
};

/* Listed devices probe only when the denylist is disabled. */
static bool vfio_pci_denied(struct pci_dev *pdev)
{
	bool listed = pci_match_id(vfio_pci_denylist, pdev);

	if (listed)
		pci_warn(pdev, disable_denylist ?
			 "device denylist disabled - allowing device %04x:%04x.\n" :
			 "%04x:%04x exists in vfio-pci device denylist, driver probing disallowed.\n",
			 pdev->vendor, pdev->device);
	return listed && !disable_denylist;
}

/*
 * Intel integrated graphics get their OpRegion and bridge config
 * regions. -ENODEV from igd.c means "not an IGD we can help": open on.
 */
static int vfio_pci_open_igd(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	if (pdev->vendor != PCI_VENDOR_ID_INTEL || !vfio_pci_is_vga(pdev))
		return 0;
	ret = vfio_pci_igd_init(vdev);
	if (ret == -ENODEV)
		return 0;
	if (ret)
		pci_warn(pdev, "Failed to setup Intel IGD regions\n");
	return ret;
}

static int vfio_pci_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);
	int ret = vfio_pci_core_enable(vdev);

	if (ret)
		return ret;
	ret = vfio_pci_open_igd(vdev);
	if (ret)
		vfio_pci_core_disable(vdev);
	else
		vfio_pci_core_finish_enable(vdev);
	return ret;
}

/*
 * vfio-pci adds nothing but IGD regions to what vfio-pci-core does; the
 * device cdev binds the PCI device itself to an iommufd.
 */
static const struct vfio_device_ops vfio_pci_ops = {
	.name = "vfio-pci",
	.init = vfio_pci_core_init_dev, .release = vfio_pci_core_release_dev,
	.open_device = vfio_pci_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read, .write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request, .match = vfio_pci_core_match,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

/* Waits until no user holds the device. */
static void vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static int vfio_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret = -EINVAL;

	if (!vfio_pci_denied(pdev)) {
		vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
					 &vfio_pci_ops);
		ret = PTR_ERR_OR_ZERO(vdev);
	}
	if (ret)
		return ret;

	/* vfio_pci_core_register_device() finds it there. */
	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret)
		vfio_put_device(&vdev->vdev);
	return ret;
}

/* SR-IOV only when the module parameter allows it. */
static int vfio_pci_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	if (!enable_sriov)
		return -ENOENT;
	return vfio_pci_core_sriov_configure(dev_get_drvdata(&pdev->dev),
					     nr_virtfn);
}

/* Matches anything, but only through driver_override. */
static const struct pci_device_id vfio_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vfio_pci_table);

static struct pci_driver vfio_pci_driver = {
	.name = "vfio-pci", .id_table = vfio_pci_table,
	.probe = vfio_pci_probe, .remove = vfio_pci_remove,
	.sriov_configure = vfio_pci_sriov_configure,
	.err_handler = &vfio_pci_core_err_handlers,
	/* DMA ownership is claimed per open device by the vfio core. */
	.driver_managed_dma = true,
};

/* Add one "vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]". */
static void __init vfio_pci_add_id(const char *id)
{
	unsigned int vendor, device, subvendor = PCI_ANY_ID,
		     subdevice = PCI_ANY_ID, class = 0, class_mask = 0;
	int ret;

	if (sscanf(id, "%x:%x:%x:%x:%x:%x", &vendor, &device, &subvendor,
		   &subdevice, &class, &class_mask) < 2) {
		pr_warn("invalid id string \"%s\"\n", id);
		return;
	}

	ret = pci_add_dynid(&vfio_pci_driver, vendor, device, subvendor,
			    subdevice, class, class_mask, 0);
	if (ret)
		pr_warn("failed to add dynamic id [%04x:%04x[%04x:%04x]] class %#08x/%08x (%d)\n",
			vendor, device, subvendor, subdevice, class,
			class_mask, ret);
	else
		pr_info("add [%04x:%04x[%04x:%04x]] class %#08x/%08x\n",
			vendor, device, subvendor, subdevice, class,
			class_mask);
}

static void __init vfio_pci_add_ids(void)
{
	char *rest = ids, *id;

	while ((id = strsep(&rest, ",")))
		if (*id)
			vfio_pci_add_id(id);
}

static int __init vfio_pci_init(void)
{
	int ret;

	if (disable_denylist)
		pr_warn("device denylist disabled.\n");
	vfio_pci_core_set_params(nointxmask, disable_vga, disable_idle_d3);

	/* Ids added once the driver exists probe matching devices at once. */
	ret = pci_register_driver(&vfio_pci_driver);
	if (!ret)
		vfio_pci_add_ids();
	return ret;
}
module_init(vfio_pci_init);

static void __exit vfio_pci_exit(void)
{
	pci_unregister_driver(&vfio_pci_driver);
}
module_exit(vfio_pci_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("VFIO PCI - User Level meta-driver");
