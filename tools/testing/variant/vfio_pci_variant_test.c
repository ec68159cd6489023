// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-variant-test: a sample VFIO PCI variant driver for QEMU's edu
 * device (1234:11e8), built only on vfio-pci-core's exported API
 * (<vfio/pci_core.h>), the way an upstream variant driver is. It binds
 * only through driver_override and adds to what vfio-pci offers:
 *
 *  - a device-specific region (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | edu's
 *    vendor, subtype 1): 4 KiB of scratch memory, read and written
 *    through its regops, allocated at open and freed at close;
 *  - a virtual identification register: BAR 0 offset 0 reads
 *    VARIANT_EDU_ID instead of edu's own value. BAR 0 is therefore not
 *    offered for mmap (a mapping would show the real register).
 *
 * With bad_mig set, probe registers migration ops without
 * migration_get_state: vfio_pci_core_register_device() must refuse them
 * with -EINVAL, so the bind fails.
 *
 * tools/testing/vm/tests/variant_test.sh drives it through the uAPI.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <vfio/pci_core.h>

#define VARIANT_EDU_VENDOR	0x1234
#define VARIANT_EDU_DEVICE	0x11e8
/* edu's identification register and what this driver reports there */
#define VARIANT_EDU_BAR		0
#define VARIANT_EDU_ID_REG	0x0
#define VARIANT_EDU_ID		0x7a5100edU

#define VARIANT_REGION_TYPE	(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | \
				 VARIANT_EDU_VENDOR)
#define VARIANT_REGION_SUBTYPE	1
#define VARIANT_REGION_SIZE	SZ_4K

static bool bad_mig;
module_param(bad_mig, bool, 0644);
MODULE_PARM_DESC(bad_mig, "Probe with incomplete migration ops (no migration_get_state): the core must refuse the registration (test only)");

/*
 * The device-specific region's memory, one per open device. Nothing is
 * taken inside @lock; copy_{to,from}_user() may fault under it, which is
 * fine: no vfio-pci-core lock is held there.
 */
struct variant_scratch {
	struct mutex lock;	/* serializes the user's accesses to @data */
	u8 data[VARIANT_REGION_SIZE];
};

static struct vfio_pci_core_device *variant_core(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vfio_pci_core_device, vdev);
}

/*
 * read()/write() of the scratch region. An access starting at or past
 * the end gets -EINVAL; one that runs over the end is cut short there.
 */
static ssize_t variant_scratch_rw(struct vfio_pci_core_device *vdev,
				  char __user *buf, size_t count, loff_t *ppos,
				  bool iswrite)
{
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	struct vfio_pci_region *region;
	struct variant_scratch *scratch;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	unsigned long left;

	region = &vdev->region[index - VFIO_PCI_NUM_REGIONS];
	scratch = region->data;
	if (pos >= region->size)
		return -EINVAL;
	count = min_t(size_t, count, region->size - pos);

	mutex_lock(&scratch->lock);
	if (iswrite)
		left = copy_from_user(scratch->data + pos, buf, count);
	else
		left = copy_to_user(buf, scratch->data + pos, count);
	mutex_unlock(&scratch->lock);
	if (left)
		return -EFAULT;

	*ppos += count;
	return count;
}

/* Called by vfio_pci_core_disable() at close, for each region. */
static void variant_scratch_release(struct vfio_pci_core_device *vdev,
				    struct vfio_pci_region *region)
{
	struct variant_scratch *scratch = region->data;

	mutex_destroy(&scratch->lock);
	kfree(scratch);
}

static const struct vfio_pci_regops variant_scratch_ops = {
	.rw = variant_scratch_rw,
	.release = variant_scratch_release,
};

static int variant_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = variant_core(core_vdev);
	struct variant_scratch *scratch;
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	/* The ID read needs BAR 0 mapped; the core unmaps it at close. */
	ret = vfio_pci_core_setup_barmap(vdev, VARIANT_EDU_BAR);
	if (ret)
		goto err_disable;

	scratch = kzalloc(sizeof(*scratch), GFP_KERNEL_ACCOUNT);
	if (!scratch) {
		ret = -ENOMEM;
		goto err_disable;
	}
	mutex_init(&scratch->lock);
	ret = vfio_pci_core_register_dev_region(vdev, VARIANT_REGION_TYPE,
						VARIANT_REGION_SUBTYPE,
						&variant_scratch_ops,
						VARIANT_REGION_SIZE,
						VFIO_REGION_INFO_FLAG_READ |
						VFIO_REGION_INFO_FLAG_WRITE,
						scratch);
	if (ret)
		goto err_free_scratch;

	vfio_pci_core_finish_enable(vdev);
	/*
	 * finish_enable decided which BARs may be mapped; a mapping of
	 * BAR 0 would bypass the virtual ID register. The user cannot see
	 * the device before open_device returns.
	 */
	vdev->bar_mmap_supported[VARIANT_EDU_BAR] = false;
	return 0;

err_free_scratch:
	mutex_destroy(&scratch->lock);
	kfree(scratch);
err_disable:
	vfio_pci_core_disable(vdev);
	return ret;
}

/*
 * The part of the identification register a read covers: the real
 * register is still read (so a read with memory decode off or in low
 * power fails with -EIO, as any BAR read does), then the virtual value
 * is returned in its place.
 */
static ssize_t variant_read_id(struct vfio_pci_core_device *vdev,
			       char __user *buf, size_t count,
			       size_t reg_offset)
{
	__le32 val = cpu_to_le32(VARIANT_EDU_ID);
	struct device *dev = &vdev->pdev->dev;
	u32 real;
	int ret;

	/* The core's read path wakes a runtime-suspended device too. */
	ret = pm_runtime_resume_and_get(dev);
	if (ret)
		return -EIO;
	ret = vfio_pci_core_ioread32(vdev, true, &real,
				     vdev->barmap[VARIANT_EDU_BAR] +
				     VARIANT_EDU_ID_REG);
	pm_runtime_put(dev);
	if (ret)
		return ret;

	if (copy_to_user(buf, (u8 *)&val + reg_offset, count))
		return -EFAULT;
	return count;
}

static ssize_t variant_read(struct vfio_device *core_vdev, char __user *buf,
			    size_t count, loff_t *ppos)
{
	struct vfio_pci_core_device *vdev = variant_core(core_vdev);
	unsigned int index = VFIO_PCI_OFFSET_TO_INDEX(*ppos);
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	size_t id_count, reg_offset;
	loff_t buf_offset;
	ssize_t ret, rest;

	if (index != VFIO_PCI_BAR0_REGION_INDEX + VARIANT_EDU_BAR ||
	    !vfio_pci_core_range_intersect_range(pos, count,
						 VARIANT_EDU_ID_REG, sizeof(u32),
						 &buf_offset, &id_count,
						 &reg_offset))
		return vfio_pci_core_read(core_vdev, buf, count, ppos);

	/* The register starts the BAR: a read covering it starts in it. */
	ret = variant_read_id(vdev, buf + buf_offset, id_count, reg_offset);
	if (ret < 0)
		return ret;
	*ppos += id_count;
	if (id_count == count)
		return id_count;

	/* The rest is the core's; a failure there makes the read short. */
	rest = vfio_pci_core_read(core_vdev, buf + id_count, count - id_count,
				  ppos);
	return rest < 0 ? id_count : id_count + rest;
}

static const struct vfio_device_ops variant_ops = {
	.name = "vfio-pci-variant-test",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = variant_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = variant_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	/* The device cdev path, as upstream variant drivers fill it. */
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

/* Only ever installed to be refused: no get_state, no data size. */
static struct file *variant_bad_set_state(struct vfio_device *core_vdev,
					  enum vfio_device_mig_state new_state)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static const struct vfio_migration_ops variant_bad_mig_ops = {
	.migration_set_state = variant_bad_set_state,
};

static int variant_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &variant_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	if (READ_ONCE(bad_mig)) {
		vdev->vdev.migration_flags = VFIO_MIGRATION_STOP_COPY;
		vdev->vdev.mig_ops = &variant_bad_mig_ops;
	}

	/* vfio_pci_core_register_device() looks for it there. */
	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret)
		goto err_put;
	return 0;

err_put:
	vfio_put_device(&vdev->vdev);
	return ret;
}

/* Waits, asking the user through the REQ irq, until the device is closed. */
static void variant_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/* edu only, and only when driver_override names this driver. */
static const struct pci_device_id variant_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(VARIANT_EDU_VENDOR,
					  VARIANT_EDU_DEVICE) },
	{}
};
MODULE_DEVICE_TABLE(pci, variant_table);

static struct pci_driver variant_driver = {
	.name = "vfio-pci-variant-test",
	.id_table = variant_table,
	.probe = variant_probe,
	.remove = variant_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	/* The vfio core claims DMA ownership while the device is open. */
	.driver_managed_dma = true,
};
module_pci_driver(variant_driver);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("Sample VFIO PCI variant driver for QEMU's edu device (tests vfio-pci-core's exported API)");
