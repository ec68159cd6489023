// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel integrated graphics (IGD) extras for vfio-pci.
 *
 * The guest driver of an IGD needs the firmware's OpRegion (display
 * configuration, found through config register 0xfc) and reads a few
 * registers of the host and LPC bridges. All are offered read-only as
 * device-specific regions; register 0xfc is made virtual so the user
 * cannot point the device elsewhere.
 */

#include <linux/io.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "priv.h"

#define OPREGION_SIGNATURE	"IntelGraphicsMem"
#define OPREGION_SIZE		(8 * 1024)
#define OPREGION_PCI_ADDR	0xfc	/* config register holding its address */
#define OPREGION_SIZE_KB	16	/* offset of the size, in KiB */
#define OPREGION_VERSION	0x16
#define OPREGION_RVDA		0x3ba	/* raw VBT data address */
#define OPREGION_RVDS		0x3c2	/* raw VBT data size */

/*
 * The OpRegion as the user reads it: the 8K OpRegion, then the
 * extended VBT (if any) right behind it, described the OpRegion 2.1 way
 * whatever the host's layout.
 */
struct igd_opregion {
	void	*base;		/* 8K OpRegion */
	void	*vbt;		/* extended VBT, or NULL */
	__le16	version;	/* as reported */
	__le64	rvda;		/* as reported: VBT offset from base */
};

/* A little endian field of @size bytes, at any alignment. */
static u64 igd_get_le(const void *base, unsigned int off, unsigned int size)
{
	const u8 *p = base + off;
	u64 v = 0;

	while (size--)
		v = (v << 8) | p[size];
	return v;
}

/* Copy [pos, pos + len) of the user's view into @buf. */
static int igd_opregion_copy(const struct igd_opregion *op, char __user *buf,
			     loff_t pos, size_t len)
{
	const void *src;
	size_t n;

	while (len) {
		if (pos < OPREGION_VERSION) {
			src = op->base + pos;
			n = OPREGION_VERSION - pos;
		} else if (pos < OPREGION_VERSION + sizeof(op->version)) {
			src = (const u8 *)&op->version + pos - OPREGION_VERSION;
			n = OPREGION_VERSION + sizeof(op->version) - pos;
		} else if (pos < OPREGION_RVDA) {
			src = op->base + pos;
			n = OPREGION_RVDA - pos;
		} else if (pos < OPREGION_RVDA + sizeof(op->rvda)) {
			src = (const u8 *)&op->rvda + pos - OPREGION_RVDA;
			n = OPREGION_RVDA + sizeof(op->rvda) - pos;
		} else if (pos < OPREGION_SIZE) {
			src = op->base + pos;
			n = OPREGION_SIZE - pos;
		} else if (op->vbt) {
			src = op->vbt + pos - OPREGION_SIZE;
			n = len;
		} else {
			/* A size field past 8K with no VBT: read zeros. */
			return clear_user(buf, len) ? -EFAULT : 0;
		}
		n = min(n, len);
		if (copy_to_user(buf, src, n))
			return -EFAULT;
		buf += n;
		pos += n;
		len -= n;
	}
	return 0;
}

static struct vfio_pci_region *igd_region(struct vfio_pci_core_device *vdev,
					  loff_t pos)
{
	return &vdev->region[VFIO_PCI_OFFSET_TO_INDEX(pos) -
			     VFIO_PCI_NUM_REGIONS];
}

static ssize_t igd_opregion_rw(struct vfio_pci_core_device *vdev,
			       char __user *buf, size_t count, loff_t *ppos,
			       bool iswrite)
{
	struct vfio_pci_region *region = igd_region(vdev, *ppos);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	int ret;

	if (pos >= region->size || iswrite)
		return -EINVAL;

	count = min_t(size_t, count, region->size - pos);
	ret = igd_opregion_copy(region->data, buf, pos, count);
	if (ret)
		return ret;
	*ppos += count;
	return count;
}

static void igd_opregion_free(struct igd_opregion *op)
{
	if (op->vbt)
		memunmap(op->vbt);
	memunmap(op->base);
	kfree(op);
}

static void igd_opregion_release(struct vfio_pci_core_device *vdev,
				 struct vfio_pci_region *region)
{
	igd_opregion_free(region->data);
}

static const struct vfio_pci_regops igd_opregion_ops = {
	.rw		= igd_opregion_rw,
	.release	= igd_opregion_release,
};

static int igd_opregion_init(struct vfio_pci_core_device *vdev)
{
	struct igd_opregion *op;
	u32 addr, size, rvds;
	u16 version;
	u64 rvda;
	int i, ret;

	ret = pci_read_config_dword(vdev->pdev, OPREGION_PCI_ADDR, &addr);
	if (ret)
		return pcibios_err_to_errno(ret);
	if (!addr || addr == ~0U)
		return -ENODEV;

	op = kzalloc(sizeof(*op), GFP_KERNEL_ACCOUNT);
	if (!op)
		return -ENOMEM;
	op->base = memremap(addr, OPREGION_SIZE, MEMREMAP_WB);
	if (!op->base) {
		kfree(op);
		return -ENOMEM;
	}

	if (memcmp(op->base, OPREGION_SIGNATURE, 16)) {
		ret = -EINVAL;
		goto err_free;
	}
	size = igd_get_le(op->base, OPREGION_SIZE_KB, 4) * 1024;
	if (!size) {
		ret = -EINVAL;
		goto err_free;
	}

	/*
	 * A VBT larger than mailbox 4 lives elsewhere: since OpRegion 2.0
	 * RVDA/RVDS say where, as a physical address in 2.0 and as an
	 * offset from the OpRegion in 2.1+. The user always gets 2.1
	 * semantics with the VBT right after the OpRegion.
	 */
	version = igd_get_le(op->base, OPREGION_VERSION, 2);
	op->version = cpu_to_le16(version);
	if (version >= 0x0200) {
		rvda = igd_get_le(op->base, OPREGION_RVDA, 8);
		rvds = igd_get_le(op->base, OPREGION_RVDS, 4);
		if (rvda && rvds) {
			op->vbt = memremap(version == 0x0200 ? rvda : addr + rvda,
					   rvds, MEMREMAP_WB);
			if (!op->vbt) {
				ret = -ENOMEM;
				goto err_free;
			}
			size += rvds;
			if (version == 0x0200)
				op->version = cpu_to_le16(0x0201);
		}
	}
	op->rvda = cpu_to_le64(op->vbt ? OPREGION_SIZE : 0);

	ret = vfio_pci_core_register_dev_region(vdev,
						PCI_VENDOR_ID_INTEL |
						VFIO_REGION_TYPE_PCI_VENDOR_TYPE,
						VFIO_REGION_SUBTYPE_INTEL_IGD_OPREGION,
						&igd_opregion_ops, size,
						VFIO_REGION_INFO_FLAG_READ, op);
	if (ret)
		goto err_free;

	/* The user reads the host's address and cannot change it. */
	for (i = 0; i < 4; i++)
		vdev->vconfig[OPREGION_PCI_ADDR + i] = addr >> (8 * i);
	memset(vdev->cfg_map + OPREGION_PCI_ADDR, VFIO_PCI_CFG_VIRT_ONLY, 4);
	return 0;

err_free:
	igd_opregion_free(op);
	return ret;
}

/* Read-only config space of a bridge, in the widest aligned pieces. */
static ssize_t igd_bridge_cfg_rw(struct vfio_pci_core_device *vdev,
				 char __user *buf, size_t count, loff_t *ppos,
				 bool iswrite)
{
	struct vfio_pci_region *region = igd_region(vdev, *ppos);
	struct pci_dev *bridge = region->data;
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	size_t done, n, i;
	u8 bytes[4];
	u32 dword;
	u16 word;
	u8 byte;
	int ret;

	if (pos >= region->size || iswrite)
		return -EINVAL;
	count = min_t(size_t, count, region->size - pos);

	for (done = 0; done < count; done += n, pos += n) {
		if (!(pos % 4) && count - done >= 4) {
			n = 4;
			ret = pci_user_read_config_dword(bridge, pos, &dword);
		} else if (!(pos % 2) && count - done >= 2) {
			n = 2;
			ret = pci_user_read_config_word(bridge, pos, &word);
			dword = word;
		} else {
			n = 1;
			ret = pci_user_read_config_byte(bridge, pos, &byte);
			dword = byte;
		}
		if (ret)
			return ret;
		for (i = 0; i < n; i++)
			bytes[i] = dword >> (8 * i);
		if (copy_to_user(buf + done, bytes, n))
			return -EFAULT;
	}

	*ppos += count;
	return count;
}

static void igd_bridge_cfg_release(struct vfio_pci_core_device *vdev,
				   struct vfio_pci_region *region)
{
	pci_dev_put(region->data);
}

static const struct vfio_pci_regops igd_bridge_cfg_ops = {
	.rw		= igd_bridge_cfg_rw,
	.release	= igd_bridge_cfg_release,
};

/* Offer 0000:00:@devfn if it is an Intel bridge of @class. */
static int igd_bridge_init(struct vfio_pci_core_device *vdev,
			   unsigned int devfn, u32 class, u32 subtype)
{
	struct pci_dev *bridge;
	int ret;

	bridge = pci_get_domain_bus_and_slot(0, 0, devfn);
	if (!bridge)
		return -ENODEV;
	if (bridge->vendor != PCI_VENDOR_ID_INTEL ||
	    bridge->class != class << 8) {
		ret = -EINVAL;
		goto err_put;
	}

	ret = vfio_pci_core_register_dev_region(vdev,
						PCI_VENDOR_ID_INTEL |
						VFIO_REGION_TYPE_PCI_VENDOR_TYPE,
						subtype, &igd_bridge_cfg_ops,
						bridge->cfg_size,
						VFIO_REGION_INFO_FLAG_READ,
						bridge);
	if (ret)
		goto err_put;
	return 0;

err_put:
	pci_dev_put(bridge);
	return ret;
}

/*
 * Register the IGD regions. -ENODEV means "not an IGD we can help",
 * which the caller ignores; regions registered before a failure are
 * released at close like any other.
 */
int vfio_pci_igd_init(struct vfio_pci_core_device *vdev)
{
	int ret;

	ret = igd_opregion_init(vdev);
	if (ret)
		return ret;
	ret = igd_bridge_init(vdev, PCI_DEVFN(0, 0), PCI_CLASS_BRIDGE_HOST,
			      VFIO_REGION_SUBTYPE_INTEL_IGD_HOST_CFG);
	if (ret)
		return ret;
	return igd_bridge_init(vdev, PCI_DEVFN(0x1f, 0), PCI_CLASS_BRIDGE_ISA,
			       VFIO_REGION_SUBTYPE_INTEL_IGD_LPC_CFG);
}
