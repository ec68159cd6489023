// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI configuration space as the user sees it.
 *
 * The user may not own every bit of config space: BARs belong to the
 * host's resource assignment, interrupt enables belong to SET_IRQS,
 * power and reset need the host's cooperation. Each byte of config
 * space is owned by one capability (cfg_map[]); each capability kind has
 * a permission table saying, per bit, whether reads come from the
 * hardware or from a shadow copy (vconfig) and whether the user may
 * write it. Hooks add the side effects some registers need.
 *
 * Capabilities we cannot describe are unlinked from the chains the user
 * walks; the gaps between capabilities stay raw, as some devices keep
 * registers there.
 *
 * Values are handled as numbers: byte i of an access is bits 8i..8i+7,
 * the way PCI lays out registers, and converted to bytes only at the
 * user copy.
 */

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "priv.h"

struct vfio_pci_cfg_access;

typedef int (*cfg_read_fn)(struct vfio_pci_core_device *vdev,
			   const struct vfio_pci_cfg_access *acc, u32 *val);
typedef int (*cfg_write_fn)(struct vfio_pci_core_device *vdev,
			    const struct vfio_pci_cfg_access *acc, u32 val);

/* The largest table: the standard header. */
#define VFIO_PCI_CFG_PERM_MAX	PCI_STD_HEADER_SIZEOF

/*
 * Per-bit rules for one capability kind. Bytes past @len are read from
 * the hardware and cannot be written.
 */
struct vfio_pci_cfg_perm {
	u8		virt[VFIO_PCI_CFG_PERM_MAX];	/* read from vconfig */
	u8		write[VFIO_PCI_CFG_PERM_MAX];	/* user may set */
	unsigned int	len;
	cfg_read_fn	read;	/* NULL: cfg_read_masked */
	cfg_write_fn	write_fn;	/* NULL: cfg_write_masked */
};

/* One access, at most a dword, inside one capability. */
struct vfio_pci_cfg_access {
	const struct vfio_pci_cfg_perm	*perm;
	unsigned int			pos;	/* offset in config space */
	unsigned int			cap;	/* where the capability starts */
	unsigned int			off;	/* pos - cap */
	unsigned int			len;	/* 1, 2 or 4 */
};

/* A register's rules, as the tables below list them. */
struct cfg_field {
	u16	off;
	u8	size;
	u32	virt;
	u32	write;
};

#define CFG_FIELD(o, s, v, w)	{ .off = (o), .size = (s), .virt = (v), .write = (w) }
/* Every capability we describe virtualizes its next pointer. */
#define CFG_NEXT_PTR		CFG_FIELD(PCI_CAP_LIST_NEXT, 1, 0xff, 0)
/* ... and extended capabilities their whole header dword. */
#define CFG_EXT_HEADER		CFG_FIELD(0, 4, ~0U, 0)

/* ---------------------------------------------------------------- */
/* Small helpers                                                     */

static u32 cfg_width_mask(unsigned int len)
{
	return len == 4 ? ~0U : (1U << (len * 8)) - 1;
}

static u32 cfg_get(const u8 *p, unsigned int len)
{
	u32 v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (u32)p[i] << (i * 8);
	return v;
}

static void cfg_put(u8 *p, unsigned int len, u32 v)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = v >> (i * 8);
}

/* The mask bits of @mask that cover this access. */
static u32 cfg_perm_bits(const struct vfio_pci_cfg_access *acc, const u8 *mask)
{
	u32 v = 0;
	unsigned int i;

	for (i = 0; i < acc->len; i++)
		if (acc->off + i < acc->perm->len)
			v |= (u32)mask[acc->off + i] << (i * 8);
	return v;
}

static u16 vcfg_word(struct vfio_pci_core_device *vdev, unsigned int pos)
{
	return cfg_get(vdev->vconfig + pos, 2);
}

static void vcfg_set_word(struct vfio_pci_core_device *vdev, unsigned int pos,
			  u16 v)
{
	cfg_put(vdev->vconfig + pos, 2, v);
}

static int cfg_hw_read(struct pci_dev *pdev, unsigned int pos,
		       unsigned int len, u32 *val)
{
	u16 w;
	u8 b;
	int ret;

	switch (len) {
	case 1:
		ret = pci_user_read_config_byte(pdev, pos, &b);
		*val = b;
		return ret;
	case 2:
		ret = pci_user_read_config_word(pdev, pos, &w);
		*val = w;
		return ret;
	case 4:
		return pci_user_read_config_dword(pdev, pos, val);
	}
	return -EINVAL;
}

static int cfg_hw_write(struct pci_dev *pdev, unsigned int pos,
			unsigned int len, u32 val)
{
	switch (len) {
	case 1:
		return pci_user_write_config_byte(pdev, pos, val);
	case 2:
		return pci_user_write_config_word(pdev, pos, val);
	case 4:
		return pci_user_write_config_dword(pdev, pos, val);
	}
	return -EINVAL;
}

/* ---------------------------------------------------------------- */
/* Generic handlers                                                  */

/* Virtual bits from vconfig, the rest from the device. */
static int cfg_read_masked(struct vfio_pci_core_device *vdev,
			   const struct vfio_pci_cfg_access *acc, u32 *val)
{
	u32 virt = cfg_perm_bits(acc, acc->perm->virt);
	u32 v = cfg_get(vdev->vconfig + acc->pos, acc->len);
	u32 phys;
	int ret;

	if (virt != cfg_width_mask(acc->len)) {
		ret = cfg_hw_read(vdev->pdev, acc->pos, acc->len, &phys);
		if (ret)
			return ret;
		v = (v & virt) | (phys & ~virt);
	}
	*val = v;
	return 0;
}

/* Writable virtual bits to vconfig, writable physical ones to the device. */
static int cfg_write_masked(struct vfio_pci_core_device *vdev,
			    const struct vfio_pci_cfg_access *acc, u32 val)
{
	u32 wr = cfg_perm_bits(acc, acc->perm->write);
	u32 virt = cfg_perm_bits(acc, acc->perm->virt);
	u32 wv = wr & virt, wp = wr & ~virt;
	u32 v;
	int ret;

	if (wv) {
		v = cfg_get(vdev->vconfig + acc->pos, acc->len);
		cfg_put(vdev->vconfig + acc->pos, acc->len,
			(v & ~wv) | (val & wv));
	}
	if (wp) {
		ret = cfg_hw_read(vdev->pdev, acc->pos, acc->len, &v);
		if (ret)
			return ret;
		ret = cfg_hw_write(vdev->pdev, acc->pos, acc->len,
				   (v & ~wp) | (val & wp));
		if (ret)
			return ret;
	}
	return 0;
}

static int cfg_read_raw(struct vfio_pci_core_device *vdev,
			const struct vfio_pci_cfg_access *acc, u32 *val)
{
	return cfg_hw_read(vdev->pdev, acc->pos, acc->len, val);
}

static int cfg_write_raw(struct vfio_pci_core_device *vdev,
			 const struct vfio_pci_cfg_access *acc, u32 val)
{
	return cfg_hw_write(vdev->pdev, acc->pos, acc->len, val);
}

static int cfg_read_shadow(struct vfio_pci_core_device *vdev,
			   const struct vfio_pci_cfg_access *acc, u32 *val)
{
	*val = cfg_get(vdev->vconfig + acc->pos, acc->len);
	return 0;
}

static int cfg_write_shadow(struct vfio_pci_core_device *vdev,
			    const struct vfio_pci_cfg_access *acc, u32 val)
{
	cfg_put(vdev->vconfig + acc->pos, acc->len, val);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Standard header                                                   */

static bool cfg_is_bar(unsigned int pos)
{
	return (pos >= PCI_BASE_ADDRESS_0 && pos < PCI_BASE_ADDRESS_5 + 4) ||
	       (pos >= PCI_ROM_ADDRESS && pos < PCI_ROM_ADDRESS + 4);
}

static u32 vbar_type_bits(struct pci_dev *pdev, int bar)
{
	unsigned long flags = pci_resource_flags(pdev, bar);
	u32 bits;

	if (flags & IORESOURCE_IO)
		return PCI_BASE_ADDRESS_SPACE_IO;

	bits = PCI_BASE_ADDRESS_SPACE_MEMORY;
	if (flags & IORESOURCE_PREFETCH)
		bits |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	if (flags & IORESOURCE_MEM_64)
		bits |= PCI_BASE_ADDRESS_MEM_TYPE_64;
	return bits;
}

/*
 * The user writes BARs to size them, as firmware would: make the shadow
 * answer like hardware with the host's sizes and types. BARs the host
 * left unassigned read as unimplemented.
 */
static void vbar_refresh(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u8 *vbar = vdev->vconfig + PCI_BASE_ADDRESS_0;
	u64 size_mask;
	u32 v;
	int i;

	if (!vdev->vbar_stale)
		return;

	for (i = 0; i < PCI_STD_NUM_BARS; i++, vbar += 4) {
		if (!pci_resource_start(pdev, i)) {
			cfg_put(vbar, 4, 0);
			continue;
		}

		size_mask = ~(pci_resource_len(pdev, i) - 1);
		v = (cfg_get(vbar, 4) & (u32)size_mask) |
		    vbar_type_bits(pdev, i);
		cfg_put(vbar, 4, v);

		/* The upper half of a 64-bit BAR follows in the next slot. */
		if ((v & PCI_BASE_ADDRESS_MEM_TYPE_64) &&
		    i + 1 < PCI_STD_NUM_BARS) {
			vbar += 4;
			i++;
			cfg_put(vbar, 4,
				cfg_get(vbar, 4) & (u32)(size_mask >> 32));
		}
	}

	/*
	 * The ROM BAR reports its size even when REGION_INFO said zero
	 * because the ROM could not be read; a shadow ROM looks like a
	 * 128K BAR.
	 */
	vbar = vdev->vconfig + PCI_ROM_ADDRESS;
	if (pci_resource_start(pdev, PCI_ROM_RESOURCE))
		size_mask = ~(pci_resource_len(pdev, PCI_ROM_RESOURCE) - 1);
	else if (pdev->resource[PCI_ROM_RESOURCE].flags & IORESOURCE_ROM_SHADOW)
		size_mask = ~(u64)(VFIO_PCI_SHADOW_ROM_SIZE - 1);
	else
		size_mask = 0;
	if (size_mask)
		size_mask |= PCI_ROM_ADDRESS_ENABLE;
	cfg_put(vbar, 4, cfg_get(vbar, 4) & (u32)size_mask);

	vdev->vbar_stale = false;
}

/* Did something reset the device behind our back? Compare the BARs. */
static bool hw_bars_lost(struct vfio_pci_core_device *vdev)
{
	u32 cur;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!vdev->saved_bars[i])
			continue;
		if (pci_user_read_config_dword(vdev->pdev,
					       PCI_BASE_ADDRESS_0 + 4 * i, &cur) ||
		    cur != vdev->saved_bars[i])
			return true;
	}
	return false;
}

static void hw_bars_restore(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd;
	int i;

	/* A VF's BARs live in its PF's SR-IOV capability. */
	if (pdev->is_virtfn)
		return;

	pci_info(pdev, "device was reset behind our back, restoring BARs\n");

	for (i = 0; i < PCI_STD_NUM_BARS; i++)
		pci_user_write_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * i,
					    vdev->saved_bars[i]);
	pci_user_write_config_dword(pdev, PCI_ROM_ADDRESS,
				    vdev->saved_bars[PCI_STD_NUM_BARS]);

	if (vdev->intx_hidden) {
		pci_user_read_config_word(pdev, PCI_COMMAND, &cmd);
		pci_user_write_config_word(pdev, PCI_COMMAND,
					   cmd | PCI_COMMAND_INTX_DISABLE);
	}
}

static int cfg_header_read(struct vfio_pci_core_device *vdev,
			   const struct vfio_pci_cfg_access *acc, u32 *val)
{
	int ret;

	if (cfg_is_bar(acc->pos))
		vbar_refresh(vdev);

	ret = cfg_read_masked(vdev, acc, val);
	if (ret)
		return ret;

	/* Devices without a memory enable bit show the virtual one. */
	if (acc->pos == PCI_COMMAND && vdev->pdev->no_command_memory)
		*val |= vcfg_word(vdev, PCI_COMMAND) & PCI_COMMAND_MEMORY;
	return 0;
}

/*
 * A command register write may turn memory decode off: BAR mappings
 * must be gone, and stay gone, before the hardware stops decoding.
 */
static int cfg_command_write(struct vfio_pci_core_device *vdev,
			     const struct vfio_pci_cfg_access *acc, u32 val)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 vcmd = vcfg_word(vdev, PCI_COMMAND);
	u16 new_cmd = val, hw_cmd, lost;
	u16 tracked = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
	int ret;

	ret = pci_user_read_config_word(pdev, PCI_COMMAND, &hw_cmd);
	if (ret)
		return ret;

	/* Decode the user turns on, thinks is on, yet is off in hardware. */
	lost = new_cmd & vcmd & ~hw_cmd & tracked;
	if (pdev->no_command_memory)
		lost &= ~PCI_COMMAND_MEMORY;

	if (new_cmd & PCI_COMMAND_MEMORY)
		down_write(&vdev->memory_lock);
	else
		vfio_pci_zap_and_down_write_memory_lock(vdev);

	/*
	 * Enabled as far as the user knows, disabled in hardware: the
	 * device lost its state (a VF reset, a backdoor reset) and its
	 * BARs must be put back before decode is enabled again.
	 */
	if (lost || hw_bars_lost(vdev))
		hw_bars_restore(vdev);

	ret = cfg_write_masked(vdev, acc, val);
	if (!ret) {
		/* Remember what the user enabled, for the test above. */
		vcmd = vcfg_word(vdev, PCI_COMMAND);
		vcfg_set_word(vdev, PCI_COMMAND,
			      (vcmd & ~tracked) | (new_cmd & tracked));
	}
	up_write(&vdev->memory_lock);
	return ret;
}

static int cfg_header_write(struct vfio_pci_core_device *vdev,
			    const struct vfio_pci_cfg_access *acc, u32 val)
{
	bool disable;
	int ret;

	if (acc->pos == PCI_COMMAND)
		ret = cfg_command_write(vdev, acc, val);
	else
		ret = cfg_write_masked(vdev, acc, val);
	if (ret)
		return ret;

	/* The virtual DisINTx bit masks INTx for real. */
	if (acc->pos == PCI_COMMAND || acc->pos == PCI_COMMAND + 1) {
		disable = vcfg_word(vdev, PCI_COMMAND) &
			  PCI_COMMAND_INTX_DISABLE;
		if (disable && !vdev->intx_user_disabled) {
			vdev->intx_user_disabled = true;
			vfio_pci_intx_mask(vdev);
		} else if (!disable && vdev->intx_user_disabled) {
			vdev->intx_user_disabled = false;
			vfio_pci_intx_unmask(vdev);
		}
	}

	if (cfg_is_bar(acc->pos))
		vdev->vbar_stale = true;
	return 0;
}

static const struct cfg_field header_fields[] = {
	/* VFs read all-ones here: report the IDs the PCI core found. */
	CFG_FIELD(PCI_VENDOR_ID, 2, 0xffff, 0),
	CFG_FIELD(PCI_DEVICE_ID, 2, 0xffff, 0),
	/* DisINTx drives our INTx masking; emulated for non-2.3 devices. */
	CFG_FIELD(PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE, 0xffff),
	/* We may unlink every capability. */
	CFG_FIELD(PCI_STATUS, 2, PCI_STATUS_CAP_LIST, 0),
	CFG_FIELD(PCI_CACHE_LINE_SIZE, 1, 0, 0xff),
	CFG_FIELD(PCI_LATENCY_TIMER, 1, 0, 0xff),
	CFG_FIELD(PCI_BIST, 1, 0, 0xff),
	/* The host owns the real BARs; the user gets a sizing shadow. */
	CFG_FIELD(PCI_BASE_ADDRESS_0, 4, ~0U, ~0U),
	CFG_FIELD(PCI_BASE_ADDRESS_1, 4, ~0U, ~0U),
	CFG_FIELD(PCI_BASE_ADDRESS_2, 4, ~0U, ~0U),
	CFG_FIELD(PCI_BASE_ADDRESS_3, 4, ~0U, ~0U),
	CFG_FIELD(PCI_BASE_ADDRESS_4, 4, ~0U, ~0U),
	CFG_FIELD(PCI_BASE_ADDRESS_5, 4, ~0U, ~0U),
	CFG_FIELD(PCI_ROM_ADDRESS, 4, ~0U, ~0U),
	CFG_FIELD(PCI_CAPABILITY_LIST, 1, 0xff, 0),
	/* Scratch for software. */
	CFG_FIELD(PCI_INTERRUPT_LINE, 1, 0xff, 0xff),
	/* Virtual so INTx can be hidden. */
	CFG_FIELD(PCI_INTERRUPT_PIN, 1, 0xff, 0),
};

/* ---------------------------------------------------------------- */
/* Power management                                                  */

static int cfg_pm_write(struct vfio_pci_core_device *vdev,
			const struct vfio_pci_cfg_access *acc, u32 val)
{
	static const pci_power_t states[] = {
		PCI_D0, PCI_D1, PCI_D2, PCI_D3hot
	};
	pci_power_t state;
	int ret;

	ret = cfg_write_masked(vdev, acc, val);
	if (ret || acc->off != PCI_PM_CTRL)
		return ret;

	/* The state field is ours: move the device ourselves. */
	state = states[val & PCI_PM_CTRL_STATE_MASK];
	if (vfio_pci_pstate(state) >= vfio_pci_pstate(PCI_D3hot))
		vfio_pci_zap_and_down_write_memory_lock(vdev);
	else
		down_write(&vdev->memory_lock);
	vfio_pci_set_power_state(vdev, state);
	up_write(&vdev->memory_lock);
	return 0;
}

static const struct cfg_field pm_fields[] = {
	CFG_NEXT_PTR,
	/* The user cannot take PME events: hide PME support. */
	CFG_FIELD(PCI_PM_PMC, 2, PCI_PM_CAP_PME_MASK, 0),
	/* The state is changed by cfg_pm_write, PME bits are hidden. */
	CFG_FIELD(PCI_PM_CTRL, 4,
		  PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS,
		  ~(PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS |
		    PCI_PM_CTRL_STATE_MASK)),
};

/* ---------------------------------------------------------------- */
/* Vital product data                                                */

/*
 * VPD goes through the PCI core's VPD access, which knows the device's
 * quirks. Writing the flag byte of the address starts a transfer; we do
 * it at once and flip the flag to report completion.
 */
static int cfg_vpd_write(struct vfio_pci_core_device *vdev,
			 const struct vfio_pci_cfg_access *acc, u32 val)
{
	unsigned int addr_pos = acc->cap + PCI_VPD_ADDR;
	unsigned int data_pos = acc->cap + PCI_VPD_DATA;
	unsigned int flag_byte = PCI_VPD_ADDR + 1;
	u8 data[4];
	u16 addr;
	int ret;

	ret = cfg_write_masked(vdev, acc, val);
	if (ret || acc->off > flag_byte || acc->off + acc->len <= flag_byte)
		return ret;

	addr = vcfg_word(vdev, addr_pos);
	if (addr & PCI_VPD_ADDR_F) {
		cfg_put(data, 4, cfg_get(vdev->vconfig + data_pos, 4));
		if (pci_write_vpd(vdev->pdev, addr & ~PCI_VPD_ADDR_F, 4,
				  data) != 4)
			return 0;	/* no completion: the user times out */
	} else {
		memset(data, 0, sizeof(data));
		if (pci_read_vpd(vdev->pdev, addr, 4, data) < 0)
			return 0;
		memcpy(vdev->vconfig + data_pos, data, 4);
	}
	vcfg_set_word(vdev, addr_pos, addr ^ PCI_VPD_ADDR_F);
	return 0;
}

static const struct cfg_field vpd_fields[] = {
	CFG_NEXT_PTR,
	CFG_FIELD(PCI_VPD_ADDR, 2, 0xffff, 0xffff),
	CFG_FIELD(PCI_VPD_DATA, 4, ~0U, ~0U),
};

/* ---------------------------------------------------------------- */
/* PCI-X                                                             */

static const struct cfg_field pcix_fields[] = {
	CFG_NEXT_PTR,
	CFG_FIELD(PCI_X_CMD, 2, 0, 0xffff),
	CFG_FIELD(PCI_X_ECC_CSR, 4, 0, ~0U),
};

/* ---------------------------------------------------------------- */
/* PCI Express                                                       */

/* Reset the function for a virtual FLR, with BAR access stopped. */
static void cfg_function_reset(struct vfio_pci_core_device *vdev)
{
	vfio_pci_zap_and_down_write_memory_lock(vdev);
	pci_try_reset_function(vdev->pdev);
	up_write(&vdev->memory_lock);
}

static int cfg_exp_write(struct vfio_pci_core_device *vdev,
			 const struct vfio_pci_cfg_access *acc, u32 val)
{
	unsigned int ctl_pos = acc->cap + PCI_EXP_DEVCTL;
	u16 old_ctl = vcfg_word(vdev, ctl_pos);
	u16 ctl;
	u32 devcap;
	int mrrs, ret;

	ret = cfg_write_masked(vdev, acc, val);
	if (ret)
		return ret;

	ctl = vcfg_word(vdev, ctl_pos);

	/*
	 * Initiate FLR is virtual and always reads zero. The reset we do
	 * may not be an FLR; the user only needs the function reset.
	 */
	if (ctl & PCI_EXP_DEVCTL_BCR_FLR) {
		ctl &= ~PCI_EXP_DEVCTL_BCR_FLR;
		vcfg_set_word(vdev, ctl_pos, ctl);
		if (!pci_user_read_config_dword(vdev->pdev,
						acc->cap + PCI_EXP_DEVCAP,
						&devcap) &&
		    (devcap & PCI_EXP_DEVCAP_FLR))
			cfg_function_reset(vdev);
	}

	/*
	 * MPS stays virtual: a correct value needs the whole fabric. The
	 * read request size is passed on, but never below the physical
	 * MPS, so full-size TLPs still work.
	 */
	if ((old_ctl ^ ctl) & PCI_EXP_DEVCTL_READRQ) {
		mrrs = 128 << ((ctl & PCI_EXP_DEVCTL_READRQ) >> 12);
		pcie_set_readrq(vdev->pdev,
				max(mrrs, pcie_get_mps(vdev->pdev)));
	}
	return 0;
}

static const struct cfg_field exp_fields[] = {
	CFG_NEXT_PTR,
	/*
	 * Phantom functions would confuse the IOMMU and MPS must match the
	 * link partner: those stay as they are. FLR and MRRS are handled
	 * in cfg_exp_write.
	 */
	CFG_FIELD(PCI_EXP_DEVCTL, 2,
		  PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_PAYLOAD |
		  PCI_EXP_DEVCTL_READRQ,
		  (u16)~PCI_EXP_DEVCTL_PHANTOM),
	/* ARI forwarding is the host's decision, made at enumeration. */
	CFG_FIELD(PCI_EXP_DEVCTL2, 2, 0, (u16)~PCI_EXP_DEVCTL2_ARI),
};

/* ---------------------------------------------------------------- */
/* Advanced features                                                 */

static int cfg_af_write(struct vfio_pci_core_device *vdev,
			const struct vfio_pci_cfg_access *acc, u32 val)
{
	u8 *ctrl = vdev->vconfig + acc->cap + PCI_AF_CTRL;
	u8 cap;
	int ret;

	ret = cfg_write_masked(vdev, acc, val);
	if (ret || !(*ctrl & PCI_AF_CTRL_FLR))
		return ret;

	*ctrl &= ~PCI_AF_CTRL_FLR;
	if (!pci_user_read_config_byte(vdev->pdev, acc->cap + PCI_AF_CAP,
				       &cap) &&
	    (cap & PCI_AF_CAP_FLR) && (cap & PCI_AF_CAP_TP))
		cfg_function_reset(vdev);
	return 0;
}

static const struct cfg_field af_fields[] = {
	CFG_NEXT_PTR,
	CFG_FIELD(PCI_AF_CTRL, 1, PCI_AF_CTRL_FLR, PCI_AF_CTRL_FLR),
};

/* ---------------------------------------------------------------- */
/* MSI: the table depends on the device's flags                      */

static unsigned int msi_cap_len(u16 flags)
{
	unsigned int len = 10;

	if (flags & PCI_MSI_FLAGS_64BIT)
		len += 4;
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		len += 10;
	return len;
}

/* Does this access touch the flags word, as far as MSI cares? */
static bool msi_access_hits_flags(const struct vfio_pci_cfg_access *acc)
{
	return acc->off <= PCI_MSI_FLAGS &&
	       acc->off + acc->len >= PCI_MSI_FLAGS;
}

static int cfg_msi_read(struct vfio_pci_core_device *vdev,
			const struct vfio_pci_cfg_access *acc, u32 *val)
{
	unsigned int flags_pos = acc->cap + PCI_MSI_FLAGS;
	u16 flags;

	/* Multiple Message Capable shows what SET_IRQS granted. */
	if (msi_access_hits_flags(acc)) {
		flags = vcfg_word(vdev, flags_pos) & ~PCI_MSI_FLAGS_QMASK;
		vcfg_set_word(vdev, flags_pos, flags | (vdev->msi_qmax << 1));
	}
	return cfg_read_masked(vdev, acc, val);
}

static int cfg_msi_write(struct vfio_pci_core_device *vdev,
			 const struct vfio_pci_cfg_access *acc, u32 val)
{
	unsigned int flags_pos = acc->cap + PCI_MSI_FLAGS;
	unsigned int qsize;
	u16 flags;
	int ret;

	ret = cfg_write_masked(vdev, acc, val);
	if (ret || !msi_access_hits_flags(acc))
		return ret;

	flags = vcfg_word(vdev, flags_pos);
	/* Only SET_IRQS enables MSI. */
	if (vdev->irq_type != VFIO_PCI_MSI_IRQ_INDEX)
		flags &= ~PCI_MSI_FLAGS_ENABLE;
	/* Never more vectors than were allocated. */
	qsize = (flags & PCI_MSI_FLAGS_QSIZE) >> 4;
	if (qsize > vdev->msi_qmax)
		flags = (flags & ~PCI_MSI_FLAGS_QSIZE) | (vdev->msi_qmax << 4);

	vcfg_set_word(vdev, flags_pos, flags);
	return pci_user_write_config_word(vdev->pdev, flags_pos, flags);
}

/* ---------------------------------------------------------------- */
/* Extended capabilities                                             */

static const struct cfg_field aer_fields[] = {
	CFG_EXT_HEADER,
	CFG_FIELD(PCI_ERR_CAP, 4, 0,
		  PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE),
};

/* Error bits the user may clear, mask and set the severity of. */
#define AER_UNCOR_USER_BITS						\
	(PCI_ERR_UNC_UND | PCI_ERR_UNC_DLP | PCI_ERR_UNC_SURPDN |	\
	 PCI_ERR_UNC_POISON_TLP | PCI_ERR_UNC_FCP |			\
	 PCI_ERR_UNC_COMP_TIME | PCI_ERR_UNC_COMP_ABORT |		\
	 PCI_ERR_UNC_UNX_COMP | PCI_ERR_UNC_RX_OVER |			\
	 PCI_ERR_UNC_MALF_TLP | PCI_ERR_UNC_ECRC | PCI_ERR_UNC_UNSUP |	\
	 PCI_ERR_UNC_ACSV | PCI_ERR_UNC_INTN | PCI_ERR_UNC_MCBTLP |	\
	 PCI_ERR_UNC_ATOMEG | PCI_ERR_UNC_TLPPRE)
#define AER_COR_USER_BITS						\
	(PCI_ERR_COR_RCVR | PCI_ERR_COR_BAD_TLP | PCI_ERR_COR_BAD_DLLP | \
	 PCI_ERR_COR_REP_ROLL | PCI_ERR_COR_REP_TIMER |			\
	 PCI_ERR_COR_ADV_NFAT | PCI_ERR_COR_INTERNAL |			\
	 PCI_ERR_COR_LOG_OVER)

static const struct cfg_field aer_user_fields[] = {
	CFG_FIELD(PCI_ERR_UNCOR_STATUS, 4, 0, AER_UNCOR_USER_BITS),
	CFG_FIELD(PCI_ERR_UNCOR_MASK, 4, 0, AER_UNCOR_USER_BITS),
	CFG_FIELD(PCI_ERR_UNCOR_SEVER, 4, 0, AER_UNCOR_USER_BITS),
	CFG_FIELD(PCI_ERR_COR_STATUS, 4, 0, AER_COR_USER_BITS),
	CFG_FIELD(PCI_ERR_COR_MASK, 4, 0, AER_COR_USER_BITS),
};

static const struct cfg_field pwr_fields[] = {
	CFG_EXT_HEADER,
	/* Selecting which budget to read is harmless. */
	CFG_FIELD(PCI_PWR_DATA, 1, 0, 0xff),
};

/* ---------------------------------------------------------------- */
/* The tables                                                        */

static struct vfio_pci_cfg_perm perm_header = {
	.len = PCI_STD_HEADER_SIZEOF,
	.read = cfg_header_read, .write_fn = cfg_header_write,
};

static struct vfio_pci_cfg_perm perm_pm = {
	.len = PCI_PM_SIZEOF, .write_fn = cfg_pm_write,
};

static struct vfio_pci_cfg_perm perm_vpd = {
	.len = PCI_CAP_VPD_SIZEOF, .write_fn = cfg_vpd_write,
};

static struct vfio_pci_cfg_perm perm_pcix = {
	.len = PCI_CAP_PCIX_SIZEOF_V2,
};

static struct vfio_pci_cfg_perm perm_exp = {
	.len = PCI_CAP_EXP_ENDPOINT_SIZEOF_V2, .write_fn = cfg_exp_write,
};

static struct vfio_pci_cfg_perm perm_af = {
	.len = PCI_CAP_AF_SIZEOF, .write_fn = cfg_af_write,
};

/* Any other standard capability: read-only, header virtual. */
static struct vfio_pci_cfg_perm perm_std_ro = {
	.len = PCI_CAP_FLAGS,
};

/* Vendor capabilities are the device's business: writes pass. */
static struct vfio_pci_cfg_perm perm_std_vendor = {
	.len = PCI_CAP_FLAGS, .write_fn = cfg_write_raw,
};

static struct vfio_pci_cfg_perm perm_aer = {
	.len = PCI_ERR_ROOT_COMMAND,
};

static struct vfio_pci_cfg_perm perm_pwr = {
	.len = PCI_EXT_CAP_PWR_SIZEOF,
};

static struct vfio_pci_cfg_perm perm_ext_ro = {
	.len = 4,
};

static struct vfio_pci_cfg_perm perm_ext_vendor = {
	.len = 4, .write_fn = cfg_write_raw,
};

/* Gaps between capabilities: trust the hardware isolation. */
static struct vfio_pci_cfg_perm perm_unassigned = {
	.read = cfg_read_raw, .write_fn = cfg_write_raw,
};

/* Emulated registers with no hardware behind them. */
static struct vfio_pci_cfg_perm perm_virt_only = {
	.read = cfg_read_shadow, .write_fn = cfg_write_shadow,
};

static void cfg_perm_add(struct vfio_pci_cfg_perm *perm,
			 const struct cfg_field *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++, f++) {
		if (WARN_ON(f->off + f->size > perm->len))
			continue;
		cfg_put(perm->virt + f->off, f->size, f->virt);
		cfg_put(perm->write + f->off, f->size, f->write);
	}
}

static void cfg_perm_add_header_only(struct vfio_pci_cfg_perm *perm,
				     unsigned int bytes)
{
	memset(perm->virt, 0xff, bytes);
}

static void cfg_perm_init_msi(struct vfio_pci_cfg_perm *perm, u16 flags)
{
	const struct cfg_field common[] = {
		CFG_NEXT_PTR,
		/* The upper flags byte is reserved. */
		CFG_FIELD(PCI_MSI_FLAGS, 1, 0xff, 0xff),
		CFG_FIELD(PCI_MSI_ADDRESS_LO, 4, ~0U, ~0U),
	};
	const struct cfg_field addr64[] = {
		CFG_FIELD(PCI_MSI_ADDRESS_HI, 4, ~0U, ~0U),
		CFG_FIELD(PCI_MSI_DATA_64, 2, 0xffff, 0xffff),
	};
	const struct cfg_field addr64_mask[] = {
		CFG_FIELD(PCI_MSI_MASK_64, 4, 0, ~0U),
		CFG_FIELD(PCI_MSI_PENDING_64, 4, 0, ~0U),
	};
	const struct cfg_field addr32[] = {
		CFG_FIELD(PCI_MSI_DATA_32, 2, 0xffff, 0xffff),
	};
	const struct cfg_field addr32_mask[] = {
		CFG_FIELD(PCI_MSI_MASK_32, 4, 0, ~0U),
		CFG_FIELD(PCI_MSI_PENDING_32, 4, 0, ~0U),
	};
	bool maskbit = flags & PCI_MSI_FLAGS_MASKBIT;

	memset(perm, 0, sizeof(*perm));
	perm->len = round_up(msi_cap_len(flags), 4);
	perm->read = cfg_msi_read;
	perm->write_fn = cfg_msi_write;

	cfg_perm_add(perm, common, ARRAY_SIZE(common));
	if (flags & PCI_MSI_FLAGS_64BIT) {
		cfg_perm_add(perm, addr64, ARRAY_SIZE(addr64));
		if (maskbit)
			cfg_perm_add(perm, addr64_mask, ARRAY_SIZE(addr64_mask));
	} else {
		cfg_perm_add(perm, addr32, ARRAY_SIZE(addr32));
		if (maskbit)
			cfg_perm_add(perm, addr32_mask, ARRAY_SIZE(addr32_mask));
	}
}

/* The shared tables; nothing to undo, they live in module data. */
int vfio_pci_cfg_tables_init(void)
{
	BUILD_BUG_ON(PCI_CAP_EXP_ENDPOINT_SIZEOF_V2 > VFIO_PCI_CFG_PERM_MAX);
	BUILD_BUG_ON(PCI_ERR_ROOT_COMMAND > VFIO_PCI_CFG_PERM_MAX);
	BUILD_BUG_ON(PCI_CAP_PCIX_SIZEOF_V2 > VFIO_PCI_CFG_PERM_MAX);
	BUILD_BUG_ON(PCI_CAP_ID_MAX >= VFIO_PCI_CFG_HIDDEN_HDR);
	BUILD_BUG_ON(PCI_EXT_CAP_ID_MAX >= VFIO_PCI_CFG_HIDDEN_HDR);

	cfg_perm_add(&perm_header, header_fields, ARRAY_SIZE(header_fields));
	cfg_perm_add(&perm_pm, pm_fields, ARRAY_SIZE(pm_fields));
	cfg_perm_add(&perm_vpd, vpd_fields, ARRAY_SIZE(vpd_fields));
	cfg_perm_add(&perm_pcix, pcix_fields, ARRAY_SIZE(pcix_fields));
	cfg_perm_add(&perm_exp, exp_fields, ARRAY_SIZE(exp_fields));
	cfg_perm_add(&perm_af, af_fields, ARRAY_SIZE(af_fields));
	cfg_perm_add_header_only(&perm_std_ro, PCI_CAP_FLAGS);
	cfg_perm_add_header_only(&perm_std_vendor, PCI_CAP_FLAGS);

	cfg_perm_add(&perm_aer, aer_fields, ARRAY_SIZE(aer_fields));
	cfg_perm_add(&perm_aer, aer_user_fields, ARRAY_SIZE(aer_user_fields));
	cfg_perm_add(&perm_pwr, pwr_fields, ARRAY_SIZE(pwr_fields));
	cfg_perm_add_header_only(&perm_ext_ro, 4);
	cfg_perm_add_header_only(&perm_ext_vendor, 4);
	return 0;
}

void vfio_pci_cfg_tables_exit(void)
{
}

/* ---------------------------------------------------------------- */
/* Building the map at open                                          */

static int vcfg_fill(struct vfio_pci_core_device *vdev, unsigned int pos,
		     unsigned int len)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int step;
	u32 dword;
	u16 word;
	u8 byte;
	int ret;

	/* Dword reads where aligned, as pci_save_state() does. */
	for (; len; pos += step, len -= step) {
		if (len >= 4 && !(pos & 3)) {
			ret = pci_read_config_dword(pdev, pos, &dword);
			step = 4;
		} else if (len >= 2 && !(pos & 1)) {
			ret = pci_read_config_word(pdev, pos, &word);
			dword = word;
			step = 2;
		} else {
			ret = pci_read_config_byte(pdev, pos, &byte);
			dword = byte;
			step = 1;
		}
		if (ret)
			return pcibios_err_to_errno(ret);
		cfg_put(vdev->vconfig + pos, step, dword);
	}
	return 0;
}

static int cfg_read_byte(struct pci_dev *pdev, unsigned int pos, u8 *val)
{
	return pcibios_err_to_errno(pci_read_config_byte(pdev, pos, val));
}

static int cfg_read_word(struct pci_dev *pdev, unsigned int pos, u16 *val)
{
	return pcibios_err_to_errno(pci_read_config_word(pdev, pos, val));
}

static int cfg_read_dword(struct pci_dev *pdev, unsigned int pos, u32 *val)
{
	return pcibios_err_to_errno(pci_read_config_dword(pdev, pos, val));
}

/* Extended capabilities are present if the list is not empty. */
static void cfg_note_ecaps(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u32 hdr;

	if (pdev->cfg_size > PCI_CFG_SPACE_SIZE &&
	    !pci_read_config_dword(pdev, PCI_CFG_SPACE_SIZE, &hdr))
		vdev->has_ecaps = hdr != 0;
}

static int msi_setup(struct vfio_pci_core_device *vdev, unsigned int pos)
{
	u16 flags;
	int ret;

	ret = cfg_read_word(vdev->pdev, pos + PCI_MSI_FLAGS, &flags);
	if (ret)
		return ret;

	if (!vdev->msi_perm) {
		vdev->msi_perm = kzalloc(sizeof(*vdev->msi_perm),
					 GFP_KERNEL_ACCOUNT);
		if (!vdev->msi_perm)
			return -ENOMEM;
		cfg_perm_init_msi(vdev->msi_perm, flags);
	}
	return msi_cap_len(flags);
}

/* Length of a standard capability the user sees; 0 hides it. */
static int std_cap_len(struct vfio_pci_core_device *vdev, u8 id,
		       unsigned int pos)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 word;
	u8 byte;
	int ret;

	switch (id) {
	case PCI_CAP_ID_PM:
		return PCI_PM_SIZEOF;
	case PCI_CAP_ID_AGP:
		return PCI_AGP_SIZEOF;
	case PCI_CAP_ID_VPD:
		return PCI_CAP_VPD_SIZEOF;
	case PCI_CAP_ID_MSIX:
		return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_AF:
		return PCI_CAP_AF_SIZEOF;
	case PCI_CAP_ID_MSI:
		return msi_setup(vdev, pos);
	case PCI_CAP_ID_PCIX:
		ret = cfg_read_word(pdev, pos + PCI_X_CMD, &word);
		if (ret)
			return ret;
		if (!PCI_X_CMD_VERSION(word))
			return PCI_CAP_PCIX_SIZEOF_V0;
		cfg_note_ecaps(vdev);
		return PCI_CAP_PCIX_SIZEOF_V2;
	case PCI_CAP_ID_VNDR:
		/* The byte after the next pointer is the length. */
		ret = cfg_read_byte(pdev, pos + PCI_CAP_FLAGS, &byte);
		return ret ? ret : byte;
	case PCI_CAP_ID_EXP:
		cfg_note_ecaps(vdev);
		if ((pcie_caps_reg(pdev) & PCI_EXP_FLAGS_VERS) == 1)
			return pci_pcie_type(pdev) == PCI_EXP_TYPE_RC_END ?
			       0xc : PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
		/* Root complex integrated endpoints have no link. */
		return pci_pcie_type(pdev) == PCI_EXP_TYPE_RC_END ?
		       0x2c : PCI_CAP_EXP_ENDPOINT_SIZEOF_V2;
	case PCI_CAP_ID_HT:
		ret = cfg_read_byte(pdev, pos + 3, &byte);
		if (ret)
			return ret;
		return (byte & HT_3BIT_CAP_MASK) ? HT_CAP_SIZEOF_SHORT :
						   HT_CAP_SIZEOF_LONG;
	case PCI_CAP_ID_SATA:
		ret = cfg_read_byte(pdev, pos + PCI_SATA_REGS, &byte);
		if (ret)
			return ret;
		return (byte & PCI_SATA_REGS_MASK) == PCI_SATA_REGS_INLINE ?
		       PCI_SATA_SIZEOF_LONG : PCI_SATA_SIZEOF_SHORT;
	default:
		/*
		 * Bridge, hot-swap, debug, secure device, enhanced
		 * allocation and unknown capabilities are of no use to a
		 * user driver.
		 */
		return 0;
	}
}

/* Virtual channel: header, one block per VC, then arbitration tables. */
static int ext_vc_len(struct pci_dev *pdev, unsigned int pos)
{
	unsigned int len = PCI_CAP_VC_BASE_SIZEOF, phases = 0;
	u32 cap1, cap2;
	int ret;

	ret = cfg_read_dword(pdev, pos + PCI_VC_PORT_CAP1, &cap1);
	if (!ret)
		ret = cfg_read_dword(pdev, pos + PCI_VC_PORT_CAP2, &cap2);
	if (ret)
		return ret;

	if (cap2 & PCI_VC_CAP2_128_PHASE)
		phases = 128;
	else if (cap2 & PCI_VC_CAP2_64_PHASE)
		phases = 64;
	else if (cap2 & PCI_VC_CAP2_32_PHASE)
		phases = 32;

	len += (1 + (cap1 & PCI_VC_CAP1_EVCC)) * PCI_CAP_VC_PER_VC_SIZEOF;
	/* Only the VC arbitration table counts; the user never writes it. */
	if (phases)
		len = round_up(len, 16) + phases * 4 / 8;
	return len;
}

/* Length of an extended capability the user sees; 0 hides it. */
static int ext_cap_len(struct vfio_pci_core_device *vdev, u16 id,
		       unsigned int pos)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int bits;
	u32 dword;
	u8 byte;
	int ret;

	switch (id) {
	case PCI_EXT_CAP_ID_ERR:
		return PCI_ERR_ROOT_COMMAND;
	case PCI_EXT_CAP_ID_DSN:
		return PCI_EXT_CAP_DSN_SIZEOF;
	case PCI_EXT_CAP_ID_PWR:
		return PCI_EXT_CAP_PWR_SIZEOF;
	case PCI_EXT_CAP_ID_ARI:
		return PCI_EXT_CAP_ARI_SIZEOF;
	case PCI_EXT_CAP_ID_ATS:
		return PCI_EXT_CAP_ATS_SIZEOF;
	case PCI_EXT_CAP_ID_SRIOV:
		return PCI_EXT_CAP_SRIOV_SIZEOF;
	case PCI_EXT_CAP_ID_MCAST:
		return PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF;
	case PCI_EXT_CAP_ID_PRI:
		return PCI_EXT_CAP_PRI_SIZEOF;
	case PCI_EXT_CAP_ID_LTR:
		return PCI_EXT_CAP_LTR_SIZEOF;
	case PCI_EXT_CAP_ID_VC:
	case PCI_EXT_CAP_ID_VC9:
	case PCI_EXT_CAP_ID_MFVC:
		return ext_vc_len(pdev, pos);
	case PCI_EXT_CAP_ID_VNDR:
		ret = cfg_read_dword(pdev, pos + PCI_VSEC_HDR, &dword);
		return ret ? ret : dword >> PCI_VSEC_HDR_LEN_SHIFT;
	case PCI_EXT_CAP_ID_DVSEC:
		ret = cfg_read_dword(pdev, pos + PCI_DVSEC_HEADER1, &dword);
		return ret ? ret : PCI_DVSEC_HEADER1_LEN(dword);
	case PCI_EXT_CAP_ID_ACS:
		ret = cfg_read_byte(pdev, pos + PCI_ACS_CAP, &byte);
		if (ret)
			return ret;
		if (!(byte & PCI_ACS_EC))
			return 8;
		/* An egress control vector follows, in whole dwords. */
		ret = cfg_read_byte(pdev, pos + PCI_ACS_EGRESS_BITS, &byte);
		if (ret)
			return ret;
		bits = byte ? round_up(byte, 32) : 256;
		return 8 + bits / 8;
	case PCI_EXT_CAP_ID_REBAR:
		ret = cfg_read_byte(pdev, pos + PCI_REBAR_CTRL, &byte);
		if (ret)
			return ret;
		return 4 + 8 * ((byte & PCI_REBAR_CTRL_NBAR_MASK) >>
				PCI_REBAR_CTRL_NBAR_SHIFT);
	case PCI_EXT_CAP_ID_DPA:
		ret = cfg_read_byte(pdev, pos + PCI_DPA_CAP, &byte);
		if (ret)
			return ret;
		return PCI_DPA_BASE_SIZEOF +
		       (byte & PCI_DPA_CAP_SUBSTATE_MASK) + 1;
	case PCI_EXT_CAP_ID_TPH:
		ret = cfg_read_dword(pdev, pos + PCI_TPH_CAP, &dword);
		if (ret)
			return ret;
		if ((dword & PCI_TPH_CAP_LOC_MASK) != PCI_TPH_LOC_CAP)
			return PCI_TPH_BASE_SIZEOF;
		/* Steering tag table in the capability, 2 bytes each. */
		return PCI_TPH_BASE_SIZEOF + 2 +
		       2 * ((dword & PCI_TPH_CAP_ST_MASK) >>
			    PCI_TPH_CAP_ST_SHIFT);
	default:
		/* Root complex only, obsolete, or not yet described. */
		return 0;
	}
}

/* Give bytes [pos, pos + len) to a capability. */
static void cfg_claim(struct vfio_pci_core_device *vdev, unsigned int pos,
		      unsigned int len, u8 owner)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		if (vdev->cfg_map[pos + i] != VFIO_PCI_CFG_UNASSIGNED)
			pci_warn(vdev->pdev,
				 "config space overlap at %#x: cap %#x and %#x\n",
				 pos + i, vdev->cfg_map[pos + i], owner);
	}
	memset(vdev->cfg_map + pos, owner, len);
	set_bit(pos, vdev->cfg_cap_start);
}

static int cfg_walk_caps(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	/* Where the pointer to the current capability is, in vconfig. */
	unsigned int link = PCI_CAPABILITY_LIST;
	unsigned int budget, kept = 0;
	u8 pos, id, next;
	u16 status;
	int len, ret;

	ret = cfg_read_word(pdev, PCI_STATUS, &status);
	if (ret || !(status & PCI_STATUS_CAP_LIST))
		return ret;

	ret = cfg_read_byte(pdev, PCI_CAPABILITY_LIST, &pos);
	if (ret)
		return ret;

	/* Capabilities are dword aligned: this bounds a looping chain. */
	budget = (PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / PCI_CAP_SIZEOF;
	for (; pos && budget; budget--) {
		if (pos < PCI_STD_HEADER_SIZEOF) {
			/* A pointer into the header ends the chain. */
			vdev->vconfig[link] = 0;
			break;
		}

		ret = cfg_read_byte(pdev, pos + PCI_CAP_LIST_ID, &id);
		if (!ret)
			ret = cfg_read_byte(pdev, pos + PCI_CAP_LIST_NEXT,
					    &next);
		if (ret)
			return ret;

		/* ID 0 is a null capability: nothing to show. */
		len = id ? std_cap_len(vdev, id, pos) : 0;
		if (len < 0)
			return len;
		if (!len) {
			pci_dbg(pdev, "hiding capability %#x at %#x\n", id, pos);
			vdev->vconfig[link] = next;
			pos = next;
			continue;
		}
		len = min_t(int, len, PCI_CFG_SPACE_SIZE - pos);

		cfg_claim(vdev, pos, len, id);
		ret = vcfg_fill(vdev, pos, len);
		if (ret)
			return ret;

		/* PME cannot reach the user: hide support and state. */
		if (id == PCI_CAP_ID_PM) {
			vcfg_set_word(vdev, pos + PCI_PM_PMC,
				      vcfg_word(vdev, pos + PCI_PM_PMC) &
				      ~PCI_PM_CAP_PME_MASK);
			vcfg_set_word(vdev, pos + PCI_PM_CTRL,
				      vcfg_word(vdev, pos + PCI_PM_CTRL) &
				      ~(PCI_PM_CTRL_PME_ENABLE |
					PCI_PM_CTRL_PME_STATUS));
		}

		link = pos + PCI_CAP_LIST_NEXT;
		pos = next;
		kept++;
	}

	if (!kept)
		vcfg_set_word(vdev, PCI_STATUS,
			      vcfg_word(vdev, PCI_STATUS) &
			      ~PCI_STATUS_CAP_LIST);
	return 0;
}

static void ext_hdr_set_next(u8 *hdr, unsigned int next)
{
	u32 v = cfg_get(hdr, 4) & ~(0xffcU << 20);

	cfg_put(hdr, 4, v | (next << 20));
}

static int cfg_walk_ecaps(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int pos = PCI_CFG_SPACE_SIZE, budget, kept = 0;
	int prev = -1;
	u32 hdr;
	u16 id;
	int len, ret;
	bool placeholder;

	if (!vdev->has_ecaps)
		return 0;

	budget = (pdev->cfg_size - PCI_CFG_SPACE_SIZE) / PCI_CAP_SIZEOF;
	for (; budget && pos >= PCI_CFG_SPACE_SIZE; budget--) {
		ret = cfg_read_dword(pdev, pos, &hdr);
		if (ret)
			return ret;

		id = PCI_EXT_CAP_ID(hdr);
		len = ext_cap_len(vdev, id, pos);
		if (len < 0)
			return len;

		placeholder = !len;
		if (placeholder) {
			pci_dbg(pdev, "hiding ext capability %#x at %#x\n",
				id, pos);
			if (prev >= 0) {
				ext_hdr_set_next(vdev->vconfig + prev,
						 PCI_EXT_CAP_NEXT(hdr));
				pos = PCI_EXT_CAP_NEXT(hdr);
				continue;
			}
			/*
			 * The list must start at 0x100: keep a header
			 * with only the next pointer.
			 */
			len = PCI_CAP_SIZEOF;
		}
		len = min_t(int, len, pdev->cfg_size - pos);

		cfg_claim(vdev, pos, len,
			  placeholder ? VFIO_PCI_CFG_HIDDEN_HDR : id);
		ret = vcfg_fill(vdev, pos, len);
		if (ret)
			return ret;

		if (placeholder)
			cfg_put(vdev->vconfig + pos, 4,
				cfg_get(vdev->vconfig + pos, 4) &
				(0xffcU << 20));
		else
			kept++;

		prev = pos;
		pos = PCI_EXT_CAP_NEXT(hdr);
	}

	/* Nothing to show: an empty list is a zero header. */
	if (!kept)
		cfg_put(vdev->vconfig + PCI_CFG_SPACE_SIZE, 4, 0);
	return 0;
}

/* VFs whose INTx pin we know to be bogus: do not warn about them. */
static const struct pci_device_id vf_bogus_pin_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_INTEL, 0x270c) },
	{}
};

int vfio_config_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int size = pdev->cfg_size;
	u8 *vconfig;
	int i, ret;

	vdev->cfg_map = kmalloc(size, GFP_KERNEL_ACCOUNT);
	vdev->vconfig = kzalloc(size, GFP_KERNEL_ACCOUNT);
	vdev->cfg_cap_start = bitmap_zalloc(size, GFP_KERNEL_ACCOUNT);
	if (!vdev->cfg_map || !vdev->vconfig || !vdev->cfg_cap_start) {
		ret = -ENOMEM;
		goto err_free;
	}
	vconfig = vdev->vconfig;

	/* Set again by the capability walk if the device has them. */
	vdev->has_ecaps = false;

	memset(vdev->cfg_map, 0, PCI_STD_HEADER_SIZEOF);
	memset(vdev->cfg_map + PCI_STD_HEADER_SIZEOF, VFIO_PCI_CFG_UNASSIGNED,
	       size - PCI_STD_HEADER_SIZEOF);
	set_bit(0, vdev->cfg_cap_start);

	ret = vcfg_fill(vdev, 0, PCI_STD_HEADER_SIZEOF);
	if (ret)
		goto err_free;
	vdev->vbar_stale = true;

	/* What the BARs must hold; restored after a backdoor reset. */
	for (i = 0; i <= PCI_STD_NUM_BARS; i++) {
		unsigned int reg = i < PCI_STD_NUM_BARS ?
				   PCI_BASE_ADDRESS_0 + 4 * i : PCI_ROM_ADDRESS;

		vdev->saved_bars[i] = cfg_get(vconfig + reg, 4);
	}

	if (pdev->is_virtfn) {
		vcfg_set_word(vdev, PCI_VENDOR_ID, pdev->vendor);
		vcfg_set_word(vdev, PCI_DEVICE_ID, pdev->device);

		/*
		 * The SR-IOV spec makes a VF's pin read-only zero; some
		 * report one anyway, which would mislead the user.
		 */
		if (vconfig[PCI_INTERRUPT_PIN] &&
		    !pci_match_id(vf_bogus_pin_ids, pdev))
			pci_warn(pdev, "hardware bug: VF reports INTx pin %d\n",
				 vconfig[PCI_INTERRUPT_PIN]);
		vconfig[PCI_INTERRUPT_PIN] = 0;
	}

	/*
	 * Without a memory enable bit (VFs among them), enable() left
	 * it clear; show it set, as for any enabled device.
	 */
	if (pdev->no_command_memory)
		vcfg_set_word(vdev, PCI_COMMAND,
			      vcfg_word(vdev, PCI_COMMAND) |
			      PCI_COMMAND_MEMORY);

	if (vdev->intx_hidden || pdev->irq == IRQ_NOTCONNECTED)
		vconfig[PCI_INTERRUPT_PIN] = 0;

	/* The capability lists, standard then extended. */
	ret = cfg_walk_caps(vdev) ?: cfg_walk_ecaps(vdev);
	if (!ret)
		return 0;

err_free:
	vfio_config_free(vdev);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vfio_config_init);

void vfio_config_free(struct vfio_pci_core_device *vdev)
{
	kfree(vdev->msi_perm);
	vdev->msi_perm = NULL;
	bitmap_free(vdev->cfg_cap_start);
	vdev->cfg_cap_start = NULL;
	kfree(vdev->vconfig);
	vdev->vconfig = NULL;
	kfree(vdev->cfg_map);
	vdev->cfg_map = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vfio_config_free);

/* ---------------------------------------------------------------- */
/* User access                                                       */

static unsigned int cfg_cap_start(struct vfio_pci_core_device *vdev,
				  unsigned int pos)
{
	while (pos && !test_bit(pos, vdev->cfg_cap_start))
		pos--;
	return pos;
}

static const struct vfio_pci_cfg_perm *
cfg_perm_lookup(struct vfio_pci_core_device *vdev, unsigned int pos)
{
	u8 owner = vdev->cfg_map[pos];

	if (owner == VFIO_PCI_CFG_UNASSIGNED)
		return &perm_unassigned;
	if (owner == VFIO_PCI_CFG_VIRT_ONLY)
		return &perm_virt_only;
	if (pos < PCI_STD_HEADER_SIZEOF)
		return &perm_header;

	if (pos < PCI_CFG_SPACE_SIZE) {
		switch (owner) {
		case PCI_CAP_ID_PM:
			return &perm_pm;
		case PCI_CAP_ID_VPD:
			return &perm_vpd;
		case PCI_CAP_ID_PCIX:
			return &perm_pcix;
		case PCI_CAP_ID_EXP:
			return &perm_exp;
		case PCI_CAP_ID_AF:
			return &perm_af;
		case PCI_CAP_ID_MSI:
			return vdev->msi_perm;
		case PCI_CAP_ID_VNDR:
			return &perm_std_vendor;
		default:
			return &perm_std_ro;
		}
	}

	switch (owner) {
	case PCI_EXT_CAP_ID_ERR:
		return &perm_aer;
	case PCI_EXT_CAP_ID_PWR:
		return &perm_pwr;
	case PCI_EXT_CAP_ID_VNDR:
	case PCI_EXT_CAP_ID_DVSEC:
		return &perm_ext_vendor;
	default:
		return &perm_ext_ro;
	}
}

/*
 * How much of @count starting at @pos one access may cover: an aligned
 * 1, 2 or 4 bytes, inside one dword and one owner.
 */
static unsigned int cfg_access_len(struct vfio_pci_core_device *vdev,
				   unsigned int pos, size_t count)
{
	unsigned int n = 1;

	while (n < count && (pos + n) % 4 &&
	       vdev->cfg_map[pos + n] == vdev->cfg_map[pos] &&
	       !test_bit(pos + n, vdev->cfg_cap_start))
		n++;

	if (n >= 4 && !(pos % 4))
		return 4;
	if (n >= 2 && !(pos % 2))
		return 2;
	return 1;
}

static int cfg_access_one(struct vfio_pci_core_device *vdev,
			  char __user *buf, unsigned int pos, size_t count,
			  bool iswrite)
{
	struct vfio_pci_cfg_access acc;
	cfg_write_fn write_fn;
	cfg_read_fn read_fn;
	u8 bytes[4];
	u32 val;
	int ret;

	acc.pos = pos;
	acc.len = cfg_access_len(vdev, pos, count);
	acc.perm = cfg_perm_lookup(vdev, pos);
	if (vdev->cfg_map[pos] == VFIO_PCI_CFG_UNASSIGNED ||
	    vdev->cfg_map[pos] == VFIO_PCI_CFG_VIRT_ONLY)
		acc.cap = pos;
	else
		acc.cap = cfg_cap_start(vdev, pos);
	acc.off = pos - acc.cap;

	if (iswrite) {
		if (copy_from_user(bytes, buf, acc.len))
			return -EFAULT;
		write_fn = acc.perm->write_fn ?: cfg_write_masked;
		ret = write_fn(vdev, &acc, cfg_get(bytes, acc.len));
		if (ret)
			return ret;
	} else {
		read_fn = acc.perm->read ?: cfg_read_masked;
		ret = read_fn(vdev, &acc, &val);
		if (ret)
			return ret;
		cfg_put(bytes, acc.len, val);
		if (copy_to_user(buf, bytes, acc.len))
			return -EFAULT;
	}
	return acc.len;
}

ssize_t vfio_pci_config_rw(struct vfio_pci_core_device *vdev,
			   char __user *buf, size_t count, loff_t *ppos,
			   bool iswrite)
{
	unsigned int size = vdev->pdev->cfg_size;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	size_t done;
	int ret;

	/* Out of range is a bad address, as for any short buffer. */
	if (pos >= size || count > size - pos)
		return -EFAULT;

	for (done = 0; done < count; done += ret) {
		ret = cfg_access_one(vdev, buf + done, pos + done,
				     count - done, iswrite);
		if (ret < 0)
			return ret;
	}
	*ppos += count;
	return count;
}
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_config_rw);

/**
 * vfio_pci_core_range_intersect_range() - overlap of an access and a register
 * @buf_start: offset the access starts at
 * @buf_cnt: bytes accessed
 * @reg_start: offset of the register
 * @reg_cnt: size of the register
 * @buf_offset: where the overlap starts in the access buffer
 * @intersect_count: bytes in the overlap
 * @register_offset: where the overlap starts in the register
 *
 * Variant drivers use it to patch emulated registers into a read or to
 * pick them out of a write.
 *
 * Return: true if the ranges overlap.
 */
bool vfio_pci_core_range_intersect_range(loff_t buf_start, size_t buf_cnt,
					 loff_t reg_start, size_t reg_cnt,
					 loff_t *buf_offset, size_t *intersect_count,
					 size_t *register_offset)
{
	loff_t lo = max(buf_start, reg_start);
	loff_t hi = min_t(loff_t, buf_start + buf_cnt, reg_start + reg_cnt);

	if (lo >= hi)
		return false;

	*buf_offset = lo - buf_start;
	*intersect_count = hi - lo;
	*register_offset = lo - reg_start;
	return true;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_range_intersect_range);
