// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vfio_pci_config: config space virtualization (config.c)
 * on a synthetic PCI function.
 *
 * The function lives on a fake pci_bus whose pci_ops read and write a
 * 4 KiB array, so the real vfio_config_init() walks a capability layout
 * chosen here and the real vfio_pci_config_rw() serves user reads and
 * writes from a kunit_vm_mmap() page. The tests check what the user sees
 * (hidden capabilities, virtualized fields) and what reaches the
 * "hardware" (only writable, non-virtual bits).
 *
 * Registers whose writes have side effects on a real device (command,
 * PM state, FLR with FLR support, MRRS) are left out.
 */

#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

#include "priv.h"

/* Layout of the default function (cfk_new_default). */
#define CFK_PM		0x40
#define CFK_MSI		0x50
#define CFK_SHPC	0x70	/* hidden: no use to a user driver */
#define CFK_EXP		0x80
#define CFK_VNDR	0xc0
#define CFK_VNDR_LEN	8
#define CFK_AER		0x100
#define CFK_L1SS	0x140	/* hidden extended capability */
#define CFK_DSN		0x180

#define CFK_VENDOR	0x1234
#define CFK_DEVICE	0x5678
#define CFK_BAR0	0xfe000000U	/* 4 KiB, 32-bit */
#define CFK_BAR1	0xfd000000U	/* 1 MiB, 64-bit prefetchable */
#define CFK_IRQ_LINE	0x0b

struct cfk {
	struct pci_bus bus;
	struct pci_dev pdev;
	struct vfio_pci_core_device vdev;
	struct kunit *test;
	void __user *ubuf;
	u8 hw[PCI_CFG_SPACE_EXP_SIZE];
};

/* ---------------------------------------------------------------- */
/* The fake function                                                 */

static u32 cfk_hw(struct cfk *d, unsigned int pos, unsigned int len)
{
	u32 v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (u32)d->hw[pos + i] << (8 * i);
	return v;
}

static void cfk_put(struct cfk *d, unsigned int pos, unsigned int len, u32 v)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		d->hw[pos + i] = v >> (8 * i);
}

/* pci_ops: called under pci_lock, so just the array. */
static int cfk_bus_read(struct pci_bus *bus, unsigned int devfn, int where,
			int size, u32 *val)
{
	struct cfk *d = container_of(bus, struct cfk, bus);

	if (devfn || where < 0 || where + size > d->pdev.cfg_size)
		return PCIBIOS_BAD_REGISTER_NUMBER;
	*val = cfk_hw(d, where, size);
	return PCIBIOS_SUCCESSFUL;
}

static int cfk_bus_write(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 val)
{
	struct cfk *d = container_of(bus, struct cfk, bus);

	if (devfn || where < 0 || where + size > d->pdev.cfg_size)
		return PCIBIOS_BAD_REGISTER_NUMBER;
	cfk_put(d, where, size, val);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops cfk_ops = {
	.read = cfk_bus_read,
	.write = cfk_bus_write,
};

static void cfk_cap(struct cfk *d, unsigned int pos, u8 id, u8 next)
{
	d->hw[pos + PCI_CAP_LIST_ID] = id;
	d->hw[pos + PCI_CAP_LIST_NEXT] = next;
}

static void cfk_ecap(struct cfk *d, unsigned int pos, u16 id, u8 ver,
		     unsigned int next)
{
	cfk_put(d, pos, 4, id | (u32)ver << 16 | (u32)next << 20);
}

/* A function with a plain header and nothing else (no caps yet). */
static struct cfk *cfk_new(struct kunit *test, unsigned int cfg_size)
{
	struct cfk *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	unsigned long uaddr;

	KUNIT_ASSERT_NOT_NULL(test, d);
	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE,
			      PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_TRUE(test, uaddr && !IS_ERR_VALUE(uaddr));
	d->ubuf = (void __user *)uaddr;
	d->test = test;

	d->bus.ops = &cfk_ops;
	d->bus.number = 0x42;
	d->pdev.bus = &d->bus;
	d->pdev.cfg_size = cfg_size;
	d->pdev.vendor = CFK_VENDOR;
	d->pdev.device = CFK_DEVICE;
	d->pdev.irq = 11;
	d->pdev.dev.init_name = "vfio-pci-kunit";

	d->vdev.pdev = &d->pdev;
	d->vdev.irq_type = VFIO_PCI_NUM_IRQS;
	init_rwsem(&d->vdev.memory_lock);

	cfk_put(d, PCI_VENDOR_ID, 2, CFK_VENDOR);
	cfk_put(d, PCI_DEVICE_ID, 2, CFK_DEVICE);
	cfk_put(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cfk_put(d, PCI_CLASS_REVISION, 4, 0x02000001);
	d->hw[PCI_CACHE_LINE_SIZE] = 0x10;
	cfk_put(d, PCI_BASE_ADDRESS_0, 4, CFK_BAR0);
	cfk_put(d, PCI_BASE_ADDRESS_1, 4, CFK_BAR1 |
		PCI_BASE_ADDRESS_MEM_PREFETCH | PCI_BASE_ADDRESS_MEM_TYPE_64);
	cfk_put(d, PCI_SUBSYSTEM_VENDOR_ID, 4, 0x00011af4);
	d->hw[PCI_INTERRUPT_LINE] = CFK_IRQ_LINE;
	d->hw[PCI_INTERRUPT_PIN] = 1;

	d->pdev.resource[0] = DEFINE_RES_MEM(CFK_BAR0, SZ_4K);
	d->pdev.resource[1] = DEFINE_RES_MEM(CFK_BAR1, SZ_1M);
	d->pdev.resource[1].flags |= IORESOURCE_PREFETCH | IORESOURCE_MEM_64;
	return d;
}

/* A bare PCIe endpoint: one PCIe capability at 0x40, no extended one. */
static struct cfk *cfk_new_pcie(struct kunit *test)
{
	struct cfk *d = cfk_new(test, PCI_CFG_SPACE_EXP_SIZE);

	cfk_put(d, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	d->hw[PCI_CAPABILITY_LIST] = 0x40;
	cfk_cap(d, 0x40, PCI_CAP_ID_EXP, 0);
	cfk_put(d, 0x40 + PCI_EXP_FLAGS, 2, 2);
	d->pdev.pcie_cap = 0x40;
	d->pdev.pcie_flags_reg = 2;
	return d;
}

/* The capability chain a PCIe endpoint might have. */
static struct cfk *cfk_new_default(struct kunit *test)
{
	struct cfk *d = cfk_new(test, PCI_CFG_SPACE_EXP_SIZE);
	unsigned int i;

	cfk_put(d, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	d->hw[PCI_CAPABILITY_LIST] = CFK_PM;

	cfk_cap(d, CFK_PM, PCI_CAP_ID_PM, CFK_MSI);
	/* PME from every state, version 3; PME pending and no soft reset. */
	cfk_put(d, CFK_PM + PCI_PM_PMC, 2, PCI_PM_CAP_PME_MASK | 3);
	cfk_put(d, CFK_PM + PCI_PM_CTRL, 2,
		PCI_PM_CTRL_PME_STATUS | PCI_PM_CTRL_NO_SOFT_RESET);

	cfk_cap(d, CFK_MSI, PCI_CAP_ID_MSI, CFK_SHPC);
	/* 64-bit with per-vector masking, 8 vectors capable. */
	cfk_put(d, CFK_MSI + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_64BIT |
		PCI_MSI_FLAGS_MASKBIT | (3 << 1));

	cfk_cap(d, CFK_SHPC, PCI_CAP_ID_SHPC, CFK_EXP);
	cfk_put(d, CFK_SHPC + 4, 4, 0x5c5c5c5c);

	cfk_cap(d, CFK_EXP, PCI_CAP_ID_EXP, CFK_VNDR);
	/* Version 2, endpoint; no FLR; MRRS 512, relaxed ordering. */
	cfk_put(d, CFK_EXP + PCI_EXP_FLAGS, 2, 2);
	cfk_put(d, CFK_EXP + PCI_EXP_DEVCAP, 4, 0x00008fc0);
	cfk_put(d, CFK_EXP + PCI_EXP_DEVCTL, 2, 0x2010);
	d->pdev.pcie_cap = CFK_EXP;
	d->pdev.pcie_flags_reg = 2;

	cfk_cap(d, CFK_VNDR, PCI_CAP_ID_VNDR, 0);
	d->hw[CFK_VNDR + PCI_CAP_FLAGS] = CFK_VNDR_LEN;
	for (i = 3; i < CFK_VNDR_LEN; i++)
		d->hw[CFK_VNDR + i] = 0xa0 + i;

	cfk_ecap(d, CFK_AER, PCI_EXT_CAP_ID_ERR, 2, CFK_L1SS);
	cfk_ecap(d, CFK_L1SS, PCI_EXT_CAP_ID_L1SS, 1, CFK_DSN);
	cfk_ecap(d, CFK_DSN, PCI_EXT_CAP_ID_DSN, 1, 0);
	cfk_put(d, CFK_DSN + 4, 4, 0x89abcdef);
	cfk_put(d, CFK_DSN + 8, 4, 0x01234567);
	return d;
}

static void cfk_free(void *vdev)
{
	vfio_config_free(vdev);
}

/* What opening the device does: build cfg_map and vconfig. */
static void cfk_start(struct cfk *d)
{
	struct kunit *test = d->test;

	KUNIT_ASSERT_EQ(test, 0, vfio_config_init(&d->vdev));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, cfk_free, &d->vdev));
}

/* A user access of @len bytes at @pos; returns what rw returned. */
static ssize_t cfk_rw(struct cfk *d, unsigned int pos, void *buf, size_t len,
		      bool write)
{
	struct kunit *test = d->test;
	loff_t ppos = pos;
	ssize_t ret;

	if (write)
		KUNIT_ASSERT_EQ(test, 0UL, copy_to_user(d->ubuf, buf, len));
	ret = vfio_pci_config_rw(&d->vdev, d->ubuf, len, &ppos, write);
	if (ret > 0) {
		KUNIT_EXPECT_EQ(test, ppos, (loff_t)(pos + ret));
		if (!write)
			KUNIT_ASSERT_EQ(test, 0UL,
					copy_from_user(buf, d->ubuf, len));
	}
	return ret;
}

static u32 cfk_rd(struct cfk *d, unsigned int pos, unsigned int len)
{
	u8 b[4] = {};
	u32 v = 0;
	unsigned int i;

	KUNIT_ASSERT_EQ(d->test, (ssize_t)len, cfk_rw(d, pos, b, len, false));
	for (i = 0; i < len; i++)
		v |= (u32)b[i] << (8 * i);
	return v;
}

static void cfk_wr(struct cfk *d, unsigned int pos, unsigned int len, u32 v)
{
	u8 b[4];
	unsigned int i;

	for (i = 0; i < len; i++)
		b[i] = v >> (8 * i);
	KUNIT_ASSERT_EQ(d->test, (ssize_t)len, cfk_rw(d, pos, b, len, true));
}

/* ---------------------------------------------------------------- */
/* Cases                                                             */

/* Hidden capabilities are unlinked from both chains. */
static void cfk_chains(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);
	u32 hdr;

	cfk_start(d);
	KUNIT_EXPECT_TRUE(test, cfk_rd(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_CAPABILITY_LIST, 1), CFK_PM);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM, 2), CFK_MSI << 8 | PCI_CAP_ID_PM);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_MSI + PCI_CAP_LIST_NEXT, 1), CFK_EXP);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_EXP + PCI_CAP_LIST_NEXT, 1),
			CFK_VNDR);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_VNDR + PCI_CAP_LIST_NEXT, 1), 0);

	hdr = cfk_rd(d, CFK_AER, 4);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_ID(hdr), PCI_EXT_CAP_ID_ERR);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_VER(hdr), 2);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_NEXT(hdr), CFK_DSN);
	hdr = cfk_rd(d, CFK_DSN, 4);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_ID(hdr), PCI_EXT_CAP_ID_DSN);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_NEXT(hdr), 0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_DSN + 4, 4), 0x89abcdef);

	/* The hardware's chains are untouched. */
	KUNIT_EXPECT_EQ(test, d->hw[CFK_MSI + PCI_CAP_LIST_NEXT], CFK_SHPC);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_NEXT(cfk_hw(d, CFK_AER, 4)),
			CFK_L1SS);
}

/* Each capability owns the bytes the spec gives it, no more. */
static void cfk_claims(struct kunit *test)
{
	static const struct {
		unsigned int pos, len;
		u8 owner;
	} claims[] = {
		{ 0, PCI_STD_HEADER_SIZEOF, 0 },
		{ CFK_PM, PCI_PM_SIZEOF, PCI_CAP_ID_PM },
		/* 64-bit address and mask/pending registers. */
		{ CFK_MSI, 24, PCI_CAP_ID_MSI },
		{ CFK_EXP, PCI_CAP_EXP_ENDPOINT_SIZEOF_V2, PCI_CAP_ID_EXP },
		{ CFK_VNDR, CFK_VNDR_LEN, PCI_CAP_ID_VNDR },
		{ CFK_AER, PCI_ERR_ROOT_COMMAND, PCI_EXT_CAP_ID_ERR },
		{ CFK_DSN, PCI_EXT_CAP_DSN_SIZEOF, PCI_EXT_CAP_ID_DSN },
	};
	struct cfk *d = cfk_new_default(test);
	const u8 *map;
	unsigned int i, pos, owned = 0;

	cfk_start(d);
	map = d->vdev.cfg_map;
	for (i = 0; i < ARRAY_SIZE(claims); i++) {
		pos = claims[i].pos;
		KUNIT_EXPECT_TRUE_MSG(test,
				      test_bit(pos, d->vdev.cfg_cap_start),
				      "start of %#x", pos);
		KUNIT_EXPECT_EQ_MSG(test, map[pos], claims[i].owner,
				    "first byte of %#x", pos);
		KUNIT_EXPECT_EQ_MSG(test, map[pos + claims[i].len - 1],
				    claims[i].owner, "last byte of %#x", pos);
		KUNIT_EXPECT_NE_MSG(test, map[pos + claims[i].len],
				    claims[i].owner, "byte after %#x", pos);
		owned += claims[i].len;
	}

	/* Everything else, hidden capabilities included, is a raw gap. */
	for (pos = 0; pos < PCI_CFG_SPACE_EXP_SIZE; pos++)
		if (map[pos] == VFIO_PCI_CFG_UNASSIGNED)
			owned++;
	KUNIT_EXPECT_EQ(test, owned, PCI_CFG_SPACE_EXP_SIZE);
	KUNIT_EXPECT_EQ(test, map[CFK_SHPC], VFIO_PCI_CFG_UNASSIGNED);
	KUNIT_EXPECT_EQ(test, map[CFK_L1SS], VFIO_PCI_CFG_UNASSIGNED);
}

struct cfk_msi_case {
	u16 flags;
	unsigned int len;	/* bytes the capability owns */
	unsigned int mask;	/* offset of the mask bits, 0: none */
	unsigned int data;	/* offset of the message data */
};

static const struct cfk_msi_case cfk_msi_cases[] = {
	{ 0, 10, 0, PCI_MSI_DATA_32 },
	{ PCI_MSI_FLAGS_64BIT, 14, 0, PCI_MSI_DATA_64 },
	{ PCI_MSI_FLAGS_MASKBIT, 20, PCI_MSI_MASK_32, PCI_MSI_DATA_32 },
	{ PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT, 24, PCI_MSI_MASK_64,
	  PCI_MSI_DATA_64 },
};

static void cfk_msi_desc(const struct cfk_msi_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s%s",
		 c->flags & PCI_MSI_FLAGS_64BIT ? "64-bit" : "32-bit",
		 c->flags & PCI_MSI_FLAGS_MASKBIT ? ", maskable" : "");
}

KUNIT_ARRAY_PARAM(cfk_msi, cfk_msi_cases, cfk_msi_desc);

/* The MSI table follows the capability's own flags. */
static void cfk_msi_layout(struct kunit *test)
{
	const struct cfk_msi_case *c = test->param_value;
	struct cfk *d = cfk_new(test, PCI_CFG_SPACE_SIZE);
	const unsigned int msi = 0x40;

	cfk_put(d, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	d->hw[PCI_CAPABILITY_LIST] = msi;
	cfk_cap(d, msi, PCI_CAP_ID_MSI, 0);
	cfk_put(d, msi + PCI_MSI_FLAGS, 2, c->flags);
	cfk_start(d);

	KUNIT_EXPECT_EQ(test, d->vdev.cfg_map[msi + c->len - 1],
			PCI_CAP_ID_MSI);
	KUNIT_EXPECT_EQ(test, d->vdev.cfg_map[msi + c->len],
			VFIO_PCI_CFG_UNASSIGNED);

	/* Address and data are the user's to program: virtual. */
	cfk_wr(d, msi + PCI_MSI_ADDRESS_LO, 4, 0xfee01000);
	cfk_wr(d, msi + c->data, 2, 0x4041);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, msi + PCI_MSI_ADDRESS_LO, 4),
			0xfee01000);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, msi + c->data, 2), 0x4041);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, msi + PCI_MSI_ADDRESS_LO, 4), 0);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, msi + c->data, 2), 0);

	/* Mask bits go to the device. */
	if (c->mask) {
		cfk_wr(d, msi + c->mask, 4, 0x5);
		KUNIT_EXPECT_EQ(test, cfk_hw(d, msi + c->mask, 4), 0x5);
	}
}

/* Identity and pointers read-only, BARs and INTx line virtual. */
static void cfk_header(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);
	u8 before[PCI_STD_HEADER_SIZEOF];

	cfk_start(d);
	memcpy(before, d->hw, sizeof(before));
	cfk_wr(d, PCI_VENDOR_ID, 4, U32_MAX);
	cfk_wr(d, PCI_CLASS_REVISION, 4, U32_MAX);
	cfk_wr(d, PCI_STATUS, 2, U16_MAX);
	cfk_wr(d, PCI_CAPABILITY_LIST, 1, 0x80);
	cfk_wr(d, PCI_INTERRUPT_PIN, 1, 0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_VENDOR_ID, 4),
			CFK_DEVICE << 16 | CFK_VENDOR);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_CLASS_REVISION, 4), 0x02000001);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_CAPABILITY_LIST, 1), CFK_PM);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_INTERRUPT_PIN, 1), 1);

	/* None of that, nor the virtual INTx line, reaches the device. */
	cfk_wr(d, PCI_INTERRUPT_LINE, 1, 0x05);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_INTERRUPT_LINE, 1), 0x05);
	KUNIT_EXPECT_EQ(test, d->hw[PCI_INTERRUPT_LINE], CFK_IRQ_LINE);
	KUNIT_EXPECT_EQ(test, 0, memcmp(before, d->hw, sizeof(before)));

	/* Cache line size and latency timer are the device's. */
	cfk_wr(d, PCI_CACHE_LINE_SIZE, 2, 0x4020);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, PCI_CACHE_LINE_SIZE, 2), 0x4020);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_CACHE_LINE_SIZE, 2), 0x4020);
}

/* BARs answer sizing like hardware, with the host's sizes and types. */
static void cfk_bars(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);
	const u32 bar1 = CFK_BAR1 | PCI_BASE_ADDRESS_MEM_PREFETCH |
			 PCI_BASE_ADDRESS_MEM_TYPE_64;
	unsigned int i;

	cfk_start(d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_0, 4), CFK_BAR0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_1, 4), bar1);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_2, 4), 0);

	for (i = PCI_BASE_ADDRESS_0; i <= PCI_BASE_ADDRESS_5; i += 4)
		cfk_wr(d, i, 4, U32_MAX);
	cfk_wr(d, PCI_ROM_ADDRESS, 4, U32_MAX);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_0, 4),
			(u32)~(SZ_4K - 1));
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_1, 4),
			(u32)~(SZ_1M - 1) | PCI_BASE_ADDRESS_MEM_PREFETCH |
			PCI_BASE_ADDRESS_MEM_TYPE_64);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_2, 4), U32_MAX);
	/* Unassigned BARs and an absent ROM read as unimplemented. */
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_3, 4), 0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_5, 4), 0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_ROM_ADDRESS, 4), 0);

	/* The real BARs keep the host's assignment. */
	KUNIT_EXPECT_EQ(test, cfk_hw(d, PCI_BASE_ADDRESS_0, 4), CFK_BAR0);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, PCI_BASE_ADDRESS_1, 4), bar1);

	cfk_wr(d, PCI_BASE_ADDRESS_0, 4, 0x12345678);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_BASE_ADDRESS_0, 4), 0x12345000);
}

/* PME is hidden; the state field is ours; the rest goes through. */
static void cfk_pm(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);

	cfk_start(d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM + PCI_PM_PMC, 2), 3);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM + PCI_PM_CTRL, 2),
			PCI_PM_CTRL_NO_SOFT_RESET);

	/* PMC is read-only. */
	cfk_wr(d, CFK_PM + PCI_PM_PMC, 2, 0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM + PCI_PM_PMC, 2), 3);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_PM + PCI_PM_PMC, 2),
			PCI_PM_CAP_PME_MASK | 3);

	/*
	 * The upper byte of PMCSR without its PME bits: data select and
	 * scale reach the device, PME enable and status do not.
	 */
	cfk_wr(d, CFK_PM + PCI_PM_CTRL + 1, 1, 0xff);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_PM + PCI_PM_CTRL, 2),
			PCI_PM_CTRL_PME_STATUS | 0x7e00 |
			PCI_PM_CTRL_NO_SOFT_RESET);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM + PCI_PM_CTRL + 1, 1), 0x7e);

	/* The next pointer is virtual. */
	cfk_wr(d, CFK_PM + PCI_CAP_LIST_NEXT, 1, 0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM + PCI_CAP_LIST_NEXT, 1),
			CFK_MSI);
}

static void cfk_msi(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);
	const unsigned int flags = CFK_MSI + PCI_MSI_FLAGS;

	cfk_start(d);
	/* Multiple Message Capable shows what SET_IRQS granted. */
	KUNIT_EXPECT_EQ(test, cfk_rd(d, flags, 2),
			PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
	d->vdev.msi_qmax = 2;
	KUNIT_EXPECT_EQ(test, cfk_rd(d, flags, 2), PCI_MSI_FLAGS_64BIT |
			PCI_MSI_FLAGS_MASKBIT | (2 << 1));

	/*
	 * Enable needs SET_IRQS; the size is capped at what it granted.
	 * The whole low byte is the user's, 64BIT included (as upstream).
	 */
	cfk_wr(d, flags, 1, PCI_MSI_FLAGS_QSIZE | PCI_MSI_FLAGS_ENABLE);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, flags, 2), PCI_MSI_FLAGS_MASKBIT |
			(2 << 4) | (2 << 1));
	KUNIT_EXPECT_EQ(test, cfk_hw(d, flags, 2) & PCI_MSI_FLAGS_ENABLE, 0);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, flags, 2) & PCI_MSI_FLAGS_QSIZE,
			2 << 4);

	/* The capability bits of the flags are read-only. */
	cfk_wr(d, flags + 1, 1, 0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, flags + 1, 1),
			PCI_MSI_FLAGS_MASKBIT >> 8);

	cfk_wr(d, CFK_MSI + PCI_MSI_ADDRESS_HI, 4, 0x1);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_MSI + PCI_MSI_ADDRESS_HI, 4), 1);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_MSI + PCI_MSI_ADDRESS_HI, 4), 0);
}

static void cfk_exp(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);
	const unsigned int ctl = CFK_EXP + PCI_EXP_DEVCTL;
	const unsigned int ctl2 = CFK_EXP + PCI_EXP_DEVCTL2;
	u16 readrq = 0x2010 & PCI_EXP_DEVCTL_READRQ;

	cfk_start(d);

	/* Device capabilities are read-only. */
	cfk_wr(d, CFK_EXP + PCI_EXP_DEVCAP, 4, U32_MAX);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_EXP + PCI_EXP_DEVCAP, 4),
			0x00008fc0);

	/*
	 * Everything but MRRS (unchanged: changing it programs the real
	 * device). Initiate FLR reads zero (the device has no FLR, so
	 * nothing is reset); Max Payload is virtual; phantom functions
	 * are never enabled.
	 */
	cfk_wr(d, ctl, 2, (U16_MAX & ~PCI_EXP_DEVCTL_READRQ) | readrq);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, ctl, 2),
			(U16_MAX & ~(PCI_EXP_DEVCTL_BCR_FLR |
				     PCI_EXP_DEVCTL_PHANTOM |
				     PCI_EXP_DEVCTL_READRQ)) | readrq);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, ctl, 2),
			(U16_MAX & ~(PCI_EXP_DEVCTL_BCR_FLR |
				     PCI_EXP_DEVCTL_PHANTOM |
				     PCI_EXP_DEVCTL_READRQ |
				     PCI_EXP_DEVCTL_PAYLOAD)) | readrq);

	/* ARI forwarding stays the host's. */
	cfk_wr(d, ctl2, 2, U16_MAX);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, ctl2, 2),
			U16_MAX & ~PCI_EXP_DEVCTL2_ARI);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, ctl2, 2),
			U16_MAX & ~PCI_EXP_DEVCTL2_ARI);
}

/* Vendor capabilities and gaps are raw; their headers stay virtual. */
static void cfk_raw(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);

	cfk_start(d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_VNDR, 4),
			0xa3 << 24 | CFK_VNDR_LEN << 16 | PCI_CAP_ID_VNDR);
	cfk_wr(d, CFK_VNDR + 4, 4, 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_VNDR + 4, 4), 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_VNDR + 4, 4), 0xdeadbeef);

	/* Gap after PM, a hidden capability, a hidden extended one. */
	cfk_wr(d, CFK_PM + PCI_PM_SIZEOF, 4, 0x12345678);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_PM + PCI_PM_SIZEOF, 4), 0x12345678);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_SHPC + 4, 4), 0x5c5c5c5c);
	cfk_wr(d, CFK_SHPC + 4, 4, 0x87654321);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_SHPC + 4, 4), 0x87654321);
	cfk_wr(d, CFK_L1SS + 4, 4, 0x0badf00d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_L1SS + 4, 4), 0x0badf00d);
}

static void cfk_aer(struct kunit *test)
{
	/* Error bits a user driver may clear, mask and grade. */
	const u32 unc = PCI_ERR_UNC_UND | PCI_ERR_UNC_DLP |
			PCI_ERR_UNC_SURPDN | PCI_ERR_UNC_POISON_TLP |
			PCI_ERR_UNC_FCP | PCI_ERR_UNC_COMP_TIME |
			PCI_ERR_UNC_COMP_ABORT | PCI_ERR_UNC_UNX_COMP |
			PCI_ERR_UNC_RX_OVER | PCI_ERR_UNC_MALF_TLP |
			PCI_ERR_UNC_ECRC | PCI_ERR_UNC_UNSUP |
			PCI_ERR_UNC_ACSV | PCI_ERR_UNC_INTN |
			PCI_ERR_UNC_MCBTLP | PCI_ERR_UNC_ATOMEG |
			PCI_ERR_UNC_TLPPRE;
	const u32 cor = PCI_ERR_COR_RCVR | PCI_ERR_COR_BAD_TLP |
			PCI_ERR_COR_BAD_DLLP | PCI_ERR_COR_REP_ROLL |
			PCI_ERR_COR_REP_TIMER | PCI_ERR_COR_ADV_NFAT |
			PCI_ERR_COR_INTERNAL | PCI_ERR_COR_LOG_OVER;
	static const unsigned int unc_regs[] = {
		PCI_ERR_UNCOR_STATUS, PCI_ERR_UNCOR_MASK, PCI_ERR_UNCOR_SEVER,
	};
	struct cfk *d = cfk_new_default(test);
	u32 hdr = cfk_hw(d, CFK_AER, 4);
	unsigned int i;

	cfk_start(d);
	for (i = 0; i < ARRAY_SIZE(unc_regs); i++) {
		cfk_wr(d, CFK_AER + unc_regs[i], 4, U32_MAX);
		KUNIT_EXPECT_EQ_MSG(test, cfk_hw(d, CFK_AER + unc_regs[i], 4),
				    unc, "register %#x", unc_regs[i]);
	}
	cfk_wr(d, CFK_AER + PCI_ERR_COR_STATUS, 4, U32_MAX);
	cfk_wr(d, CFK_AER + PCI_ERR_COR_MASK, 4, U32_MAX);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_AER + PCI_ERR_COR_STATUS, 4), cor);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_AER + PCI_ERR_COR_MASK, 4), cor);
	cfk_wr(d, CFK_AER + PCI_ERR_CAP, 4, U32_MAX);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_AER + PCI_ERR_CAP, 4),
			PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE);

	/* The header log is read-only; the extended header is virtual. */
	cfk_wr(d, CFK_AER + PCI_ERR_HEADER_LOG, 4, U32_MAX);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_AER + PCI_ERR_HEADER_LOG, 4), 0);
	cfk_wr(d, CFK_AER, 4, 0);
	KUNIT_EXPECT_EQ(test, cfk_hw(d, CFK_AER, 4), hdr);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_NEXT(cfk_rd(d, CFK_AER, 4)), CFK_DSN);
}

/* The list must start at 0x100: a hidden first capability leaves a stub. */
static void cfk_ecap_first_hidden(struct kunit *test)
{
	struct cfk *d = cfk_new_pcie(test);
	u32 hdr;

	cfk_ecap(d, 0x100, PCI_EXT_CAP_ID_L1SS, 1, 0x140);
	cfk_ecap(d, 0x140, PCI_EXT_CAP_ID_DSN, 1, 0);
	cfk_start(d);

	hdr = cfk_rd(d, 0x100, 4);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_ID(hdr), 0);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_VER(hdr), 0);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_NEXT(hdr), 0x140);
	KUNIT_EXPECT_EQ(test, d->vdev.cfg_map[0x100], VFIO_PCI_CFG_HIDDEN_HDR);
	KUNIT_EXPECT_EQ(test, d->vdev.cfg_map[0x104], VFIO_PCI_CFG_UNASSIGNED);
	cfk_wr(d, 0x100, 4, U32_MAX);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, 0x100, 4), hdr);
	KUNIT_EXPECT_EQ(test, PCI_EXT_CAP_ID(cfk_rd(d, 0x140, 4)),
			PCI_EXT_CAP_ID_DSN);

	/* Only hidden ones: an empty list, a zero header. */
	d = cfk_new_pcie(test);
	cfk_ecap(d, 0x100, PCI_EXT_CAP_ID_L1SS, 1, 0);
	cfk_start(d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, 0x100, 4), 0);
}

/* Chains that are empty, all hidden, or point into the header. */
static void cfk_odd_chains(struct kunit *test)
{
	struct cfk *d = cfk_new(test, PCI_CFG_SPACE_SIZE);

	/* No capability list at all. */
	cfk_start(d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_STATUS, 2), 0);
	KUNIT_EXPECT_EQ(test, d->vdev.cfg_map[0x40], VFIO_PCI_CFG_UNASSIGNED);

	/* Only a hidden capability: no list as far as the user knows. */
	d = cfk_new(test, PCI_CFG_SPACE_SIZE);
	cfk_put(d, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	d->hw[PCI_CAPABILITY_LIST] = 0x40;
	cfk_cap(d, 0x40, PCI_CAP_ID_SHPC, 0);
	cfk_start(d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_STATUS, 2), 0);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_CAPABILITY_LIST, 1), 0);

	/* A next pointer into the header ends the chain. */
	d = cfk_new(test, PCI_CFG_SPACE_SIZE);
	cfk_put(d, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	d->hw[PCI_CAPABILITY_LIST] = 0x40;
	cfk_cap(d, 0x40, PCI_CAP_ID_PM, 0x10);
	cfk_start(d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, 0x40 + PCI_CAP_LIST_NEXT, 1), 0);
	KUNIT_EXPECT_EQ(test, d->vdev.cfg_map[0x40], PCI_CAP_ID_PM);
}

/* One call may span registers and owners; each part keeps its rules. */
static void cfk_spanning(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);
	u8 buf[8], want[8];
	unsigned int i;

	cfk_start(d);
	for (i = 0; i < sizeof(want); i++)
		want[i] = cfk_rd(d, 0x3c + i, 1);
	KUNIT_EXPECT_EQ(test, (ssize_t)sizeof(buf),
			cfk_rw(d, 0x3c, buf, sizeof(buf), false));
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, want, sizeof(buf)));
	/* Line, pin, then PM's id and its virtual next pointer. */
	KUNIT_EXPECT_EQ(test, buf[0], CFK_IRQ_LINE);
	KUNIT_EXPECT_EQ(test, buf[5], CFK_MSI);

	/* Unaligned: next pointer and PMC of PM. */
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM + 1, 3), 3 << 8 | CFK_MSI);

	/* A write across the header and PM: each byte by its own rules. */
	memset(buf, 0xff, sizeof(buf));
	KUNIT_EXPECT_EQ(test, (ssize_t)sizeof(buf),
			cfk_rw(d, 0x3c, buf, sizeof(buf), true));
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_INTERRUPT_LINE, 1), 0xff);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_INTERRUPT_PIN, 1), 1);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM + 1, 1), CFK_MSI);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, CFK_PM + PCI_PM_PMC, 2), 3);
}

static void cfk_bounds(struct kunit *test)
{
	struct cfk *d = cfk_new_default(test);
	u8 buf[4] = {};

	cfk_start(d);
	KUNIT_EXPECT_EQ(test, (ssize_t)-EFAULT,
			cfk_rw(d, PCI_CFG_SPACE_EXP_SIZE, buf, 1, false));
	KUNIT_EXPECT_EQ(test, (ssize_t)-EFAULT,
			cfk_rw(d, PCI_CFG_SPACE_EXP_SIZE - 2, buf, 4, false));
	KUNIT_EXPECT_EQ(test, (ssize_t)-EFAULT,
			cfk_rw(d, PCI_CFG_SPACE_EXP_SIZE - 2, buf, 4, true));
	KUNIT_EXPECT_EQ(test, (ssize_t)2,
			cfk_rw(d, PCI_CFG_SPACE_EXP_SIZE - 2, buf, 2, false));

	d = cfk_new(test, PCI_CFG_SPACE_SIZE);
	cfk_start(d);
	KUNIT_EXPECT_EQ(test, (ssize_t)-EFAULT,
			cfk_rw(d, PCI_CFG_SPACE_SIZE, buf, 4, false));
}

/* A VF reads all-ones IDs: the user sees those the PCI core found. */
static void cfk_vf(struct kunit *test)
{
	struct cfk *d = cfk_new(test, PCI_CFG_SPACE_SIZE);

	cfk_put(d, PCI_VENDOR_ID, 4, U32_MAX);
	d->hw[PCI_INTERRUPT_PIN] = 0;
	d->pdev.is_virtfn = 1;
	cfk_start(d);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_VENDOR_ID, 2), CFK_VENDOR);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_DEVICE_ID, 2), CFK_DEVICE);
	KUNIT_EXPECT_EQ(test, cfk_rd(d, PCI_INTERRUPT_PIN, 1), 0);
}

static struct kunit_case cfk_cases[] = {
	KUNIT_CASE(cfk_chains),
	KUNIT_CASE(cfk_claims),
	KUNIT_CASE_PARAM(cfk_msi_layout, cfk_msi_gen_params),
	KUNIT_CASE(cfk_header),
	KUNIT_CASE(cfk_bars),
	KUNIT_CASE(cfk_pm),
	KUNIT_CASE(cfk_msi),
	KUNIT_CASE(cfk_exp),
	KUNIT_CASE(cfk_raw),
	KUNIT_CASE(cfk_aer),
	KUNIT_CASE(cfk_ecap_first_hidden),
	KUNIT_CASE(cfk_odd_chains),
	KUNIT_CASE(cfk_spanning),
	KUNIT_CASE(cfk_bounds),
	KUNIT_CASE(cfk_vf),
	{}
};

static struct kunit_suite cfk_suite = {
	.name = "vfio_pci_config",
	.test_cases = cfk_cases,
};

kunit_test_suite(cfk_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("KUnit tests of vfio-pci-core's config space emulation");
