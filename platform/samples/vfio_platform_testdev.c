// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_platform_testdev.ko: a platform device for the vfio-platform
 * selftest, on x86 where no firmware describes one.
 *
 * MMIO: two ranges inside BAR0 (the framebuffer, plain memory) of the
 * test VM's QEMU VGA (1234:1111), which has no driver there: RAM of our
 * own would not do, ioremap() refuses System RAM. Interrupts: two lines
 * of an IRQ domain of our own, one edge, one level, raised on demand by
 * writing the line's index to the "fire" parameter. Reset: a function
 * registered with vfio-platform's reset registry for our "compatible"
 * string, counting its calls in "reset_count" (and failing with -EIO
 * while "reset_fail" is set).
 *
 * The device starts unbound; the test binds it to vfio-platform with
 * driver_override. vfio-platform pins this module while it holds our
 * reset function, so unbind the device before unloading the module.
 */
#include <linux/atomic.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <vfio/platform.h>

#include "vfio_platform_testdev_regs.h"

#define TDEV_VGA_VENDOR		0x1234
#define TDEV_VGA_DEVICE		0x1111

/* Module-wide state; set up in init, read-only afterwards except counters. */
static struct pci_dev *tdev_vga;
static bool tdev_vga_mem_enabled;	/* we turned memory decoding on */
static struct fwnode_handle *tdev_fwnode;
static struct irq_domain *tdev_domain;
static unsigned int tdev_virq[TDEV_NUM_IRQS];
static struct platform_device *tdev_pdev;
static atomic_t tdev_resets = ATOMIC_INIT(0);
static bool reset_fail;
static bool no_reset;

module_param(reset_fail, bool, 0644);
MODULE_PARM_DESC(reset_fail, "the reset function fails with -EIO (default: 0)");
module_param(no_reset, bool, 0444);
MODULE_PARM_DESC(no_reset, "register no reset function (default: 0)");

/* ---- parameters: fire an interrupt, read the reset count ---- */

static int tdev_fire_set(const char *val, const struct kernel_param *kp)
{
	unsigned int idx;
	int ret;

	ret = kstrtouint(val, 0, &idx);
	if (ret)
		return ret;
	if (idx >= TDEV_NUM_IRQS || !tdev_virq[idx])
		return -EINVAL;
	/* Runs the line's flow handler as if the hardware raised it. */
	return generic_handle_irq_safe(tdev_virq[idx]);
}

static const struct kernel_param_ops tdev_fire_ops = {
	.set = tdev_fire_set,
};
module_param_cb(fire, &tdev_fire_ops, NULL, 0200);
MODULE_PARM_DESC(fire, "write an interrupt index (0 edge, 1 level) to raise it");

static int tdev_resets_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&tdev_resets));
}

static const struct kernel_param_ops tdev_resets_ops = {
	.get = tdev_resets_get,
};
module_param_cb(reset_count, &tdev_resets_ops, NULL, 0444);
MODULE_PARM_DESC(reset_count, "how often vfio-platform reset the device");

/* ---- the reset function ---- */

static int tdev_reset(struct vfio_platform_device *vdev)
{
	if (READ_ONCE(reset_fail))
		return -EIO;
	atomic_inc(&tdev_resets);
	return 0;
}

static struct vfio_platform_reset_node tdev_reset_node = {
	.compat = TDEV_COMPAT,
	.owner = THIS_MODULE,
	.of_reset = tdev_reset,
};

/* ---- the interrupt controller: lines nobody but us raises ---- */

static void tdev_irq_noop(struct irq_data *d)
{
}

static int tdev_irq_set_type(struct irq_data *d, unsigned int type)
{
	if (type & IRQ_TYPE_LEVEL_MASK)
		irq_set_handler_locked(d, handle_level_irq);
	else
		irq_set_handler_locked(d, handle_edge_irq);
	return IRQ_SET_MASK_OK;
}

static struct irq_chip tdev_irq_chip = {
	.name		= "vfio-tdev",
	.irq_ack	= tdev_irq_noop,
	.irq_mask	= tdev_irq_noop,
	.irq_unmask	= tdev_irq_noop,
	.irq_set_type	= tdev_irq_set_type,
};

static int tdev_irq_map(struct irq_domain *d, unsigned int virq,
			irq_hw_number_t hw)
{
	irq_set_chip_and_handler(virq, &tdev_irq_chip, handle_edge_irq);
	return 0;
}

static const struct irq_domain_ops tdev_irq_domain_ops = {
	.map	= tdev_irq_map,
	.xlate	= irq_domain_xlate_onecell,
};

static int tdev_irqs_create(void)
{
	static const unsigned int type[TDEV_NUM_IRQS] = {
		[TDEV_IRQ_EDGE] = IRQ_TYPE_EDGE_RISING,
		[TDEV_IRQ_LEVEL] = IRQ_TYPE_LEVEL_HIGH,
	};
	unsigned int i;
	int ret;

	tdev_fwnode = irq_domain_alloc_named_fwnode(TDEV_NAME);
	if (!tdev_fwnode)
		return -ENOMEM;
	tdev_domain = irq_domain_create_linear(tdev_fwnode, TDEV_NUM_IRQS,
					       &tdev_irq_domain_ops, NULL);
	if (!tdev_domain) {
		ret = -ENOMEM;
		goto err_fwnode;
	}
	for (i = 0; i < TDEV_NUM_IRQS; i++) {
		tdev_virq[i] = irq_create_mapping(tdev_domain, i);
		if (!tdev_virq[i]) {
			ret = -ENOMEM;
			goto err_mappings;
		}
		ret = irq_set_irq_type(tdev_virq[i], type[i]);
		if (ret) {
			i++;
			goto err_mappings;
		}
	}
	return 0;

err_mappings:
	while (i--) {
		if (tdev_virq[i])
			irq_dispose_mapping(tdev_virq[i]);
		tdev_virq[i] = 0;
	}
	irq_domain_remove(tdev_domain);
err_fwnode:
	irq_domain_free_fwnode(tdev_fwnode);
	return ret;
}

static void tdev_irqs_destroy(void)
{
	unsigned int i = TDEV_NUM_IRQS;

	while (i--) {
		irq_dispose_mapping(tdev_virq[i]);
		tdev_virq[i] = 0;
	}
	irq_domain_remove(tdev_domain);
	irq_domain_free_fwnode(tdev_fwnode);
}

/* ---- MMIO: the VGA's framebuffer ---- */

static int tdev_vga_get(resource_size_t *base)
{
	u16 cmd;

	tdev_vga = pci_get_device(TDEV_VGA_VENDOR, TDEV_VGA_DEVICE, NULL);
	if (!tdev_vga) {
		pr_info("no QEMU VGA (%04x:%04x) to borrow MMIO from\n",
			TDEV_VGA_VENDOR, TDEV_VGA_DEVICE);
		return -ENODEV;
	}
	if (tdev_vga->dev.driver ||
	    pci_resource_len(tdev_vga, 0) < TDEV_REGION_SMALL_OFF +
					    TDEV_REGION_SMALL_SIZE) {
		pci_info(tdev_vga, "has a driver or a small BAR0: not borrowed\n");
		pci_dev_put(tdev_vga);
		return -EBUSY;
	}
	*base = pci_resource_start(tdev_vga, 0);
	/* Without a driver nobody may have turned the BAR on. */
	pci_read_config_word(tdev_vga, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY)) {
		pci_write_config_word(tdev_vga, PCI_COMMAND,
				      cmd | PCI_COMMAND_MEMORY);
		tdev_vga_mem_enabled = true;
	}
	return 0;
}

static void tdev_vga_put(void)
{
	u16 cmd;

	if (tdev_vga_mem_enabled) {
		pci_read_config_word(tdev_vga, PCI_COMMAND, &cmd);
		pci_write_config_word(tdev_vga, PCI_COMMAND,
				      cmd & ~PCI_COMMAND_MEMORY);
	}
	pci_dev_put(tdev_vga);
}

/* ---- the platform device ---- */

static const struct property_entry tdev_props[] = {
	PROPERTY_ENTRY_STRING("compatible", TDEV_COMPAT),
	{ }
};

static int tdev_pdev_create(resource_size_t base)
{
	struct resource res[TDEV_NUM_REGIONS + TDEV_NUM_IRQS] = {
		DEFINE_RES_MEM_NAMED(base, TDEV_REGION_MMAP_SIZE, TDEV_NAME),
		DEFINE_RES_MEM_NAMED(base + TDEV_REGION_SMALL_OFF,
				     TDEV_REGION_SMALL_SIZE, TDEV_NAME),
		DEFINE_RES_IRQ_NAMED(tdev_virq[TDEV_IRQ_EDGE], "edge"),
		DEFINE_RES_IRQ_NAMED(tdev_virq[TDEV_IRQ_LEVEL], "level"),
	};
	struct platform_device_info info = {
		.name = TDEV_NAME,
		.id = PLATFORM_DEVID_NONE,
		.res = res,
		.num_res = ARRAY_SIZE(res),
		.properties = tdev_props,
	};

	res[TDEV_NUM_REGIONS + TDEV_IRQ_EDGE].flags |= IORESOURCE_IRQ_HIGHEDGE;
	res[TDEV_NUM_REGIONS + TDEV_IRQ_LEVEL].flags |= IORESOURCE_IRQ_HIGHLEVEL;
	tdev_pdev = platform_device_register_full(&info);
	return PTR_ERR_OR_ZERO(tdev_pdev);
}

static int __init tdev_init(void)
{
	resource_size_t base;
	int ret;

	ret = tdev_vga_get(&base);
	if (ret)
		return ret;
	ret = tdev_irqs_create();
	if (ret)
		goto err_vga;
	/* Before the device exists: vfio-platform looks it up at probe. */
	if (!no_reset)
		__vfio_platform_register_reset(&tdev_reset_node);
	ret = tdev_pdev_create(base);
	if (ret)
		goto err_reset;
	return 0;

err_reset:
	if (!no_reset)
		vfio_platform_unregister_reset(TDEV_COMPAT, tdev_reset);
	tdev_irqs_destroy();
err_vga:
	tdev_vga_put();
	return ret;
}

static void __exit tdev_exit(void)
{
	platform_device_unregister(tdev_pdev);
	if (!no_reset)
		vfio_platform_unregister_reset(TDEV_COMPAT, tdev_reset);
	tdev_irqs_destroy();
	tdev_vga_put();
}

module_init(tdev_init);
module_exit(tdev_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("A platform device (MMIO, edge and level IRQ, reset) for vfio-platform's selftest");
