// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV with the PF bound to vfio-pci (enable_sriov=1), on the sriov VM
 * flavour's igb (82576, QEMU 10): the VF token and what a VF offers.
 *
 * - the PF's VFIO_DEVICE_FEATURE_PCI_VF_TOKEN: SET only (PROBE, PROBE|SET
 *   0; GET, PROBE|GET, a short argsz EINVAL; data in unmapped memory
 *   EFAULT); ENOTTY on a VF and on a device that is no PF (edu);
 * - GET_DEVICE_FD names of a VF: no token or a wrong one EACCES; a
 *   malformed UUID, a token twice, an unknown option, a truncated UUID
 *   EINVAL; no blank after the name ENODEV (no device matches); extra
 *   blanks and an upper-case UUID are fine;
 * - the PF while a VF is open: no token or a wrong one EACCES, the right
 *   one opens it; a new token SET through the PF leaves the open VF
 *   alone and is the one new VF users need;
 * - with no VF open, a token given when opening the PF becomes the
 *   token; "vf_token=" on a device that is neither PF nor VF is EINVAL;
 * - a VF through vfio: vendor/device 8086:10ca in config space (a VF
 *   reads 0xffff there on the wire), BAR 0 mmap, VFIO_DEVICE_RESET;
 *   GET_PCI_HOT_RESET_INFO lists the devices of the VF's bus with their
 *   groups, PCI_HOT_RESET from the VF alone is EINVAL (the PF and the
 *   other VFs are outside its dev_set);
 * - the PF's user cannot put it in D3hot through PMCSR while VFs exist,
 *   and LOW_POWER_ENTRY leaves it active in D0 (the VFs hold it); a PF
 *   its user put in D3hot is brought to D0 when VFs are enabled;
 * - the token is demanded while any VF is open, however many fds: a
 *   VF's user count follows open/close of the device, not of its fds.
 *
 * Setup (parent): the PF is bound to vfio-pci, vfio-pci's enable_sriov
 * is set, two VFs are enabled through sriov_numvfs (they bind to
 * vfio-pci through driver_override); undone at exit. Each test opens
 * the groups in one container.
 *
 *   vfio_sriov_test [-d PF_BDF] [-d EDU_BDF]   default: $VFIO_IGB0 and
 *                                              $VFIO_EDU0 (if present)
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_test_lib.h"

/* Only in the sriov VM (QEMU 10 with an igb): tools/testing/vm/README.md */
static const char vm_flavour[] __attribute__((used)) =
	"vfio-test-vm: sriov debug";

#define NR_VFS			2
#define PCI_CAP_ID_PM		0x01
#define PCI_PM_CTRL		4
#define PCI_PM_STATE_MASK	0x3
#define PCI_D3HOT		0x3
#define IGB_VF_DEVICE		0x10ca
#define IGBVF_STATUS		0x0008	/* E1000_STATUS of the VF's BAR 0 */

static const char T1[] = "5a0b9c3e-8f21-4d7a-b6c4-1e2f3a4b5c6d";
static const char T1_UPPER[] = "5A0B9C3E-8F21-4D7A-B6C4-1E2F3A4B5C6D";
static const char T2[] = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
static const char T3[] = "11223344-5566-4778-8899-aabbccddeeff";
static const char T4[] = "deadbeef-0000-4111-8222-333344445555";

static struct vt_dev *pf, *vf[NR_VFS];
static const struct vt_dev *edu;
static char pf_sysfs[PATH_MAX];
static char old_enable[8];

struct ctx {
	int container;
	int pf_group;
	int vf_group[NR_VFS];
	int edu_group;
};

/* ------------------------------------------------------------ helpers */

static void ctx_add_group(struct ctx *c, int group, bool *first)
{
	vt_set_container(group, c->container);
	if (*first)
		vt_set_iommu(c->container, VFIO_TYPE1v2_IOMMU);
	*first = false;
}

/* Container with the PF's, the VFs' (and edu's) groups in it. */
static void ctx_open(struct ctx *c, bool with_edu)
{
	bool first = true;
	int i;

	c->container = vt_open_container();
	c->pf_group = vt_open_group(pf);
	ctx_add_group(c, c->pf_group, &first);
	for (i = 0; i < NR_VFS; i++) {
		c->vf_group[i] = vt_open_group(vf[i]);
		ctx_add_group(c, c->vf_group[i], &first);
	}
	c->edu_group = -1;
	if (with_edu) {
		if (!edu)
			vt_skip("no edu device (VFIO_EDU0)");
		c->edu_group = vt_open_group(edu);
		ctx_add_group(c, c->edu_group, &first);
	}
}

/* GET_DEVICE_FD with a formatted name: the fd (tracked), or -1/errno. */
static int __attribute__((format(printf, 2, 3)))
dev_open(int group, const char *fmt, ...)
{
	char name[256];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (fd < 0)
		return -1;
	return vt_track(fd);
}

/* Must open; ends the test otherwise. */
#define DEV_OPEN(group, ...) ({						\
	int __fd = dev_open(group, __VA_ARGS__);			\
	if (__fd < 0)							\
		vt_fatal("line %d: GET_DEVICE_FD: %s", __LINE__,	\
			 vt_errname(errno));				\
	__fd;								\
})

/* The PF opened with token @t (NULL: none) and closed: @t is adopted. */
static void pf_set_token_by_open(struct ctx *c, const char *t)
{
	int fd = t ? DEV_OPEN(c->pf_group, "%s vf_token=%s", pf->bdf, t) :
		     DEV_OPEN(c->pf_group, "%s", pf->bdf);

	vt_close(fd);
}

/* VFIO_DEVICE_FEATURE(PCI_VF_TOKEN) with @flags; @argsz 0: exact. */
static int feature_token(int dev, uint32_t flags, const char *t,
			 uint32_t argsz)
{
	struct {
		struct vfio_device_feature hdr;
		uint8_t uuid[16];
	} f;
	int i;

	memset(&f, 0, sizeof(f));
	f.hdr.argsz = argsz ? argsz : sizeof(f);
	f.hdr.flags = flags | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	/* canonical text to bytes, as uuid_parse() does */
	for (i = 0; t && i < 16; i++) {
		static const int pos[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21,
					     24, 26, 28, 30, 32, 34 };

		sscanf(t + pos[i], "%2hhx", &f.uuid[i]);
	}
	return ioctl(dev, VFIO_DEVICE_FEATURE, &f);
}

static void expect_open_ok(int group, const char *what, const char *fmt,
			   const char *bdf, const char *arg)
{
	int fd = dev_open(group, fmt, bdf, arg);

	if (fd < 0) {
		vt_fail("%s: GET_DEVICE_FD(\"%s\" ...): %s, want success",
			what, bdf, vt_errname(errno));
		return;
	}
	vt_close(fd);
}

static void expect_open_err(int group, int want, const char *what,
			    const char *fmt, const char *bdf, const char *arg)
{
	int fd = dev_open(group, fmt, bdf, arg);

	if (fd >= 0) {
		vt_fail("%s: GET_DEVICE_FD(\"%s\" ...) opened, want %s", what,
			bdf, vt_errname(want));
		vt_close(fd);
	} else if (errno != want) {
		vt_fail("%s: GET_DEVICE_FD(\"%s\" ...): %s, want %s", what,
			bdf, vt_errname(errno), vt_errname(want));
	}
}

static void sysfs_attr(const struct vt_dev *d, const char *attr, char *buf,
		       size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", d->bdf,
		 attr);
	if (vt_sysfs_read(path, buf, len) < 0)
		snprintf(buf, len, "?");
}

/* -------------------------------------------------------------- tests */

/* The PF with no VF open: plain open, and the VF_TOKEN feature. */
static void test_pf_token_feature(void)
{
	struct ctx c;
	uint8_t *page;
	int pf_fd, fd;
	struct vfio_device_feature *h;

	ctx_open(&c, false);
	pf_fd = DEV_OPEN(c.pf_group, "%s", pf->bdf);

	VT_OK(feature_token(pf_fd, VFIO_DEVICE_FEATURE_PROBE, NULL, 0));
	VT_OK(feature_token(pf_fd, VFIO_DEVICE_FEATURE_PROBE |
			    VFIO_DEVICE_FEATURE_SET, NULL, 0));
	/* PROBE answers before the size of the data is looked at. */
	VT_OK(feature_token(pf_fd, VFIO_DEVICE_FEATURE_PROBE |
			    VFIO_DEVICE_FEATURE_SET, NULL,
			    sizeof(struct vfio_device_feature)));
	VT_ERRNO(feature_token(pf_fd, VFIO_DEVICE_FEATURE_PROBE |
			       VFIO_DEVICE_FEATURE_GET, NULL, 0), EINVAL);
	VT_ERRNO(feature_token(pf_fd, VFIO_DEVICE_FEATURE_GET, NULL, 0),
		 EINVAL);
	VT_ERRNO(feature_token(pf_fd, VFIO_DEVICE_FEATURE_SET, T1,
			       sizeof(struct vfio_device_feature) + 15),
		 EINVAL);

	/* The UUID in unmapped memory: the header ends a page. */
	page = mmap(NULL, 2 * VT_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VT_ASSERT(page != MAP_FAILED, "mmap");
	munmap(page + VT_PAGE, VT_PAGE);
	h = (void *)(page + VT_PAGE - sizeof(*h));
	h->argsz = sizeof(*h) + 16;
	h->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN;
	VT_ERRNO(ioctl(pf_fd, VFIO_DEVICE_FEATURE, h), EFAULT);
	munmap(page, VT_PAGE);

	/* SET: the token VF users need from now on. */
	VT_OK(feature_token(pf_fd, VFIO_DEVICE_FEATURE_SET, T2, 0));
	expect_open_err(c.vf_group[0], EACCES, "old token", "%s vf_token=%s",
			vf[0]->bdf, T1);
	fd = DEV_OPEN(c.vf_group[0], "%s vf_token=%s", vf[0]->bdf, T2);
	vt_close(fd);
	VT_OK(feature_token(pf_fd, VFIO_DEVICE_FEATURE_SET, T1, 0));
	expect_open_ok(c.vf_group[0], "token set again", "%s vf_token=%s",
		       vf[0]->bdf, T1);
	vt_close(pf_fd);
}

/* GET_DEVICE_FD strings for a VF (the PF's token is T1). */
static void test_vf_open_names(void)
{
	char t[64];
	struct ctx c;
	int g;

	ctx_open(&c, false);
	pf_set_token_by_open(&c, T1);
	g = c.vf_group[0];

	expect_open_err(g, EACCES, "no token", "%s%s", vf[0]->bdf, "");
	expect_open_err(g, EACCES, "wrong token", "%s vf_token=%s",
			vf[0]->bdf, T2);
	expect_open_err(g, EINVAL, "short garbage", "%s vf_token=%s",
			vf[0]->bdf, "zzz");
	snprintf(t, sizeof(t), "%s", T1);
	t[0] = 'z';
	expect_open_err(g, EINVAL, "not hex", "%s vf_token=%s", vf[0]->bdf,
			t);
	snprintf(t, sizeof(t), "%s", T1);
	t[8] = '0';
	expect_open_err(g, EINVAL, "no dash", "%s vf_token=%s", vf[0]->bdf,
			t);
	snprintf(t, sizeof(t), "%.35s", T1);
	expect_open_err(g, EINVAL, "UUID one short", "%s vf_token=%s",
			vf[0]->bdf, t);
	snprintf(t, sizeof(t), "%s vf_token=%s", T1, T1);
	expect_open_err(g, EINVAL, "token twice", "%s vf_token=%s",
			vf[0]->bdf, t);
	snprintf(t, sizeof(t), "%s x", T1);
	expect_open_err(g, EINVAL, "unknown option", "%s vf_token=%s",
			vf[0]->bdf, t);
	snprintf(t, sizeof(t), "%sx", T1);
	expect_open_err(g, EINVAL, "junk after the UUID", "%s vf_token=%s",
			vf[0]->bdf, t);
	expect_open_err(g, EINVAL, "empty token", "%s vf_token=%s",
			vf[0]->bdf, "");
	expect_open_err(g, EINVAL, "unknown option only", "%s %s",
			vf[0]->bdf, "foo=1");
	expect_open_err(g, ENODEV, "no blank after the name", "%svf_token=%s",
			vf[0]->bdf, T1);
	expect_open_err(g, ENODEV, "tab after the name", "%s\tvf_token=%s",
			vf[0]->bdf, T1);
	expect_open_err(g, ENODEV, "another VF's name", "%s vf_token=%s",
			vf[1]->bdf, T1);

	expect_open_ok(g, "token", "%s vf_token=%s", vf[0]->bdf, T1);
	expect_open_ok(g, "extra blanks", "%s  vf_token=%s  ", vf[0]->bdf,
		       T1);
	expect_open_ok(g, "upper case", "%s vf_token=%s", vf[0]->bdf,
		       T1_UPPER);
	/* A VF does not adopt a token: T1 is still the one. */
	expect_open_err(g, EACCES, "T2 after the opens", "%s vf_token=%s",
			vf[0]->bdf, T2);
}

/* The PF while a VF is open, and a new token set through the PF. */
static void test_pf_with_vf_open(void)
{
	int vf_fd, pf_fd, fd;
	struct ctx c;

	ctx_open(&c, false);
	pf_set_token_by_open(&c, T1);
	vf_fd = DEV_OPEN(c.vf_group[0], "%s vf_token=%s", vf[0]->bdf, T1);

	expect_open_err(c.pf_group, EACCES, "PF, no token", "%s%s", pf->bdf,
			"");
	expect_open_err(c.pf_group, EACCES, "PF, wrong token",
			"%s vf_token=%s", pf->bdf, T2);
	pf_fd = DEV_OPEN(c.pf_group, "%s vf_token=%s", pf->bdf, T1);

	/* A new token: the open VF stays, new VF users need the new one. */
	VT_OK(feature_token(pf_fd, VFIO_DEVICE_FEATURE_SET, T3, 0));
	VT_EXPECT_EQ(vt_cfg_rd16(vf_fd, 0x00), 0x8086);
	expect_open_err(c.vf_group[1], EACCES, "second VF, old token",
			"%s vf_token=%s", vf[1]->bdf, T1);
	fd = DEV_OPEN(c.vf_group[1], "%s vf_token=%s", vf[1]->bdf, T3);
	/* A second open of the PF needs the new one too. */
	expect_open_err(c.pf_group, EACCES, "PF, old token",
			"%s vf_token=%s", pf->bdf, T1);
	expect_open_ok(c.pf_group, "PF, new token", "%s vf_token=%s",
		       pf->bdf, T3);
	vt_close(fd);
	vt_close(pf_fd);
	/* Still one VF open: the PF keeps demanding the token. */
	expect_open_err(c.pf_group, EACCES, "PF, VF 0 still open", "%s%s",
			pf->bdf, "");
	vt_close(vf_fd);
	/* None open: the PF opens without a token, a token is adopted. */
	expect_open_ok(c.pf_group, "PF, no VF open", "%s%s", pf->bdf, "");

	/* Two fds of one VF are one user: the last close ends it. */
	pf_set_token_by_open(&c, T1);
	vf_fd = DEV_OPEN(c.vf_group[0], "%s vf_token=%s", vf[0]->bdf, T1);
	fd = DEV_OPEN(c.vf_group[0], "%s vf_token=%s", vf[0]->bdf, T1);
	vt_close(vf_fd);
	expect_open_err(c.pf_group, EACCES, "PF, one of two VF fds closed",
			"%s%s", pf->bdf, "");
	vt_close(fd);
	expect_open_ok(c.pf_group, "PF, both VF fds closed", "%s%s", pf->bdf,
		       "");
}

/* With no VF open, a token given with the PF's name becomes the token. */
static void test_pf_adopts_token(void)
{
	struct ctx c;

	ctx_open(&c, false);
	pf_set_token_by_open(&c, T4);
	expect_open_ok(c.vf_group[0], "adopted token", "%s vf_token=%s",
		       vf[0]->bdf, T4);
	expect_open_err(c.vf_group[0], EACCES, "previous token",
			"%s vf_token=%s", vf[0]->bdf, T1);
	/* A plain PF open keeps the token. */
	pf_set_token_by_open(&c, NULL);
	expect_open_ok(c.vf_group[1], "kept after a plain PF open",
		       "%s vf_token=%s", vf[1]->bdf, T4);
	pf_set_token_by_open(&c, T1);
	expect_open_ok(c.vf_group[1], "T1 again", "%s vf_token=%s",
		       vf[1]->bdf, T1);
}

/* The token is the PF's business only. */
static void test_token_not_pf(void)
{
	int vf_fd, edu_fd;
	struct ctx c;

	ctx_open(&c, true);
	pf_set_token_by_open(&c, T1);
	vf_fd = DEV_OPEN(c.vf_group[0], "%s vf_token=%s", vf[0]->bdf, T1);
	VT_ERRNO(feature_token(vf_fd, VFIO_DEVICE_FEATURE_PROBE |
			       VFIO_DEVICE_FEATURE_SET, NULL, 0), ENOTTY);
	VT_ERRNO(feature_token(vf_fd, VFIO_DEVICE_FEATURE_SET, T2, 0), ENOTTY);
	VT_ERRNO(feature_token(vf_fd, VFIO_DEVICE_FEATURE_GET, NULL, 0),
		 ENOTTY);

	expect_open_err(c.edu_group, EINVAL, "edu with a token",
			"%s vf_token=%s", edu->bdf, T1);
	edu_fd = DEV_OPEN(c.edu_group, "%s", edu->bdf);
	VT_ERRNO(feature_token(edu_fd, VFIO_DEVICE_FEATURE_PROBE |
			       VFIO_DEVICE_FEATURE_SET, NULL, 0), ENOTTY);
	VT_ERRNO(feature_token(edu_fd, VFIO_DEVICE_FEATURE_SET, T2, 0),
		 ENOTTY);
	vt_close(edu_fd);
	vt_close(vf_fd);
}

/* What a VF offers through vfio: IDs, BAR 0, reset. */
static void test_vf_device(void)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri;
	volatile uint32_t *bar;
	uint32_t st, st2;
	struct ctx c;
	int fd;

	ctx_open(&c, false);
	pf_set_token_by_open(&c, T1);
	fd = DEV_OPEN(c.vf_group[0], "%s vf_token=%s", vf[0]->bdf, T1);

	/* A VF's vendor/device read 0xffff on the wire; vfio fills them. */
	VT_EXPECT_EQ(vt_cfg_rd16(fd, 0x00), 0x8086);
	VT_EXPECT_EQ(vt_cfg_rd16(fd, 0x02), IGB_VF_DEVICE);

	VT_OK_FATAL(ioctl(fd, VFIO_DEVICE_GET_INFO, &info));
	VT_EXPECT(info.flags & VFIO_DEVICE_FLAGS_PCI, "flags %#x", info.flags);
	VT_EXPECT(info.num_regions >= VFIO_PCI_NUM_REGIONS - 1, "%u regions",
		  info.num_regions);

	VT_OK_FATAL(vt_region_info(fd, VFIO_PCI_BAR0_REGION_INDEX, &ri));
	VT_ASSERT(ri.size >= VT_PAGE && (ri.flags & VFIO_REGION_INFO_FLAG_MMAP),
		  "BAR 0 size %#llx flags %#x", (unsigned long long)ri.size,
		  ri.flags);
	/* Memory decoding on (the VF's COMMAND is virtualized by vfio). */
	vt_cfg_wr16(fd, 0x04, vt_cfg_rd16(fd, 0x04) | 0x2);
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)ri.offset);
	VT_ASSERT(bar != MAP_FAILED, "mmap BAR 0: %s", vt_errname(errno));
	st = bar[IGBVF_STATUS / 4];
	st2 = vt_rd32(fd, ri.offset + IGBVF_STATUS);
	vt_diag("VF %s STATUS %#x (mmap) %#x (read)", vf[0]->bdf, st, st2);
	VT_EXPECT(st != 0xffffffff, "BAR 0 STATUS reads all ones");
	VT_EXPECT_EQ(st, st2);

	if (info.flags & VFIO_DEVICE_FLAGS_RESET) {
		VT_OK(ioctl(fd, VFIO_DEVICE_RESET));
		VT_EXPECT_EQ(vt_cfg_rd16(fd, 0x00), 0x8086);
		/* The mapping was zapped by the reset; it faults back in. */
		vt_cfg_wr16(fd, 0x04, vt_cfg_rd16(fd, 0x04) | 0x2);
		VT_EXPECT(bar[IGBVF_STATUS / 4] != 0xffffffff,
			  "BAR 0 after the reset");
	} else {
		vt_fail("VF without VFIO_DEVICE_FLAGS_RESET (flags %#x)",
			info.flags);
	}
	munmap((void *)bar, ri.size);
	vt_close(fd);
}

/* Hot reset seen from a VF: the whole bus, not its own dev_set. */
static void test_vf_hot_reset(void)
{
	struct {
		struct vfio_pci_hot_reset_info h;
		struct vfio_pci_dependent_device d[8];
	} info;
	struct {
		struct vfio_pci_hot_reset r;
		int32_t fd[1];
	} rst;
	bool self = false;
	struct ctx c;
	unsigned int i;
	int fd;

	ctx_open(&c, false);
	pf_set_token_by_open(&c, T1);
	fd = DEV_OPEN(c.vf_group[0], "%s vf_token=%s", vf[0]->bdf, T1);

	memset(&info, 0, sizeof(info));
	info.h.argsz = sizeof(info);
	VT_OK_FATAL(ioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info));
	vt_diag("VF %s: hot reset info flags %#x, %u devices", vf[0]->bdf,
		info.h.flags, info.h.count);
	VT_ASSERT(info.h.count <= 8, "count %u", info.h.count);
	for (i = 0; i < info.h.count; i++) {
		const struct vfio_pci_dependent_device *d = &info.d[i];
		char bdf[32];
		int j;

		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", d->segment,
			 d->bus, d->devfn >> 3, d->devfn & 7);
		vt_diag("  %s group %u", bdf, d->group_id);
		if (!strcmp(bdf, vf[0]->bdf))
			self = true;
		for (j = 0; j < NR_VFS; j++)
			if (!strcmp(bdf, vf[j]->bdf))
				VT_EXPECT_EQ(d->group_id, vf[j]->group);
		if (!strcmp(bdf, pf->bdf))
			VT_EXPECT_EQ(d->group_id, pf->group);
	}
	VT_EXPECT(self, "the VF itself is not listed");
	/* The PF and the VFs share the bus: all listed. */
	VT_EXPECT_EQ(info.h.count, 1 + NR_VFS);

	/* The PF and the other VF are not in the VF's dev_set. */
	memset(&rst, 0, sizeof(rst));
	rst.r.argsz = sizeof(rst);
	rst.r.count = 1;
	rst.fd[0] = c.vf_group[0];
	VT_ERRNO(ioctl(fd, VFIO_DEVICE_PCI_HOT_RESET, &rst), EINVAL);
	VT_EXPECT_EQ(vt_cfg_rd16(fd, 0x00), 0x8086);
	vt_close(fd);
}

/* PMCSR D3hot from the PF's user while VFs exist: the PF stays in D0. */
static void test_pf_d3_with_vfs(void)
{
	char ps[32], rs[32];
	uint16_t pmcsr;
	struct ctx c;
	int fd, pm;

	ctx_open(&c, false);
	pf_set_token_by_open(&c, T1);
	sysfs_attr(pf, "power/runtime_status", rs, sizeof(rs));
	/* The VFs hold the PF awake while it is closed. */
	VT_EXPECT(!strcmp(rs, "active"), "closed PF with VFs is '%s'", rs);

	fd = DEV_OPEN(c.pf_group, "%s vf_token=%s", pf->bdf, T1);
	pm = vt_cfg_find_cap(fd, PCI_CAP_ID_PM);
	if (!pm) {
		vt_close(fd);
		vt_skip("the PF has no PM capability");
	}
	pmcsr = vt_cfg_rd16(fd, pm + PCI_PM_CTRL);
	vt_cfg_wr16(fd, pm + PCI_PM_CTRL,
		    (pmcsr & ~PCI_PM_STATE_MASK) | PCI_D3HOT);
	VT_EXPECT_EQ(vt_cfg_rd16(fd, pm + PCI_PM_CTRL) & PCI_PM_STATE_MASK, 0);
	sysfs_attr(pf, "power_state", ps, sizeof(ps));
	VT_EXPECT(!strcmp(ps, "D0"), "PF power_state '%s'", ps);
	vt_cfg_wr16(fd, pm + PCI_PM_CTRL, pmcsr & ~PCI_PM_STATE_MASK);
	vt_close(fd);
}

static int lp_feature(int dev, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(dev, VFIO_DEVICE_FEATURE, &f);
}

/* Low power asked for while VFs exist: the PF stays active in D0. */
static void test_pf_low_power_with_vfs(void)
{
	char ps[32], rs[32];
	struct ctx c;
	int fd;

	ctx_open(&c, false);
	pf_set_token_by_open(&c, T1);
	fd = DEV_OPEN(c.pf_group, "%s vf_token=%s", pf->bdf, T1);
	VT_OK_FATAL(lp_feature(fd, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	usleep(300 * 1000);
	sysfs_attr(pf, "power/runtime_status", rs, sizeof(rs));
	sysfs_attr(pf, "power_state", ps, sizeof(ps));
	VT_EXPECT(!strcmp(rs, "active"), "runtime_status '%s'", rs);
	VT_EXPECT(!strcmp(ps, "D0"), "power_state '%s'", ps);
	/* A second entry is refused as for any device. */
	VT_ERRNO(lp_feature(fd, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY), EINVAL);
	VT_EXPECT_EQ(vt_cfg_rd16(fd, 0x00), 0x8086);
	VT_OK(lp_feature(fd, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	vt_close(fd);
}

static bool wait_vfs_back(void)
{
	char path[PATH_MAX], drv[64];
	int i, n;

	for (n = 0; n < 300; n++) {
		for (i = 0; i < NR_VFS; i++) {
			vt_dev_driver(vf[i]->bdf, drv, sizeof(drv));
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/iommu_group",
				 vf[i]->bdf);
			if (strcmp(drv, "vfio-pci") || access(path, F_OK) ||
			    access(vf[i]->group_path, F_OK))
				break;
		}
		if (i == NR_VFS)
			return true;
		usleep(10000);
	}
	return false;
}

/*
 * The PF's user put it in D3hot with no VF: enabling VFs brings it back
 * to D0 first (last, as it re-creates the VFs).
 */
static void test_vfs_enable_wakes_pf(void)
{
	char path[PATH_MAX], ps[32], num[16];
	uint16_t pmcsr;
	struct ctx c;
	int fd, pm, i;

	snprintf(path, sizeof(path), "%s/sriov_numvfs", pf_sysfs);
	/* Only the PF's group: the VFs go away meanwhile. */
	c.container = vt_open_container();
	c.pf_group = vt_open_group(pf);
	vt_set_container(c.pf_group, c.container);
	vt_set_iommu(c.container, VFIO_TYPE1v2_IOMMU);
	fd = DEV_OPEN(c.pf_group, "%s vf_token=%s", pf->bdf, T1);
	pm = vt_cfg_find_cap(fd, PCI_CAP_ID_PM);
	if (!pm) {
		vt_close(fd);
		vt_skip("the PF has no PM capability");
	}
	VT_OK_FATAL(vt_sysfs_write(path, "0"));
	pmcsr = vt_cfg_rd16(fd, pm + PCI_PM_CTRL) & ~PCI_PM_STATE_MASK;
	vt_cfg_wr16(fd, pm + PCI_PM_CTRL, pmcsr | PCI_D3HOT);
	sysfs_attr(pf, "power_state", ps, sizeof(ps));
	VT_EXPECT(!strcmp(ps, "D3hot"), "PF in '%s' after the PMCSR write", ps);

	snprintf(num, sizeof(num), "%d", NR_VFS);
	VT_OK(vt_sysfs_write(path, num));
	sysfs_attr(pf, "power_state", ps, sizeof(ps));
	VT_EXPECT(!strcmp(ps, "D0"), "PF in '%s' with VFs enabled", ps);
	VT_EXPECT_EQ(vt_cfg_rd16(fd, pm + PCI_PM_CTRL) & PCI_PM_STATE_MASK, 0);
	vt_close(fd);

	/* The VFs are back as before: same BDFs, bound, same groups. */
	VT_ASSERT(wait_vfs_back(), "the VFs did not come back on vfio-pci");
	for (i = 0; i < NR_VFS; i++) {
		char lp[PATH_MAX], grp[32];

		snprintf(lp, sizeof(lp), "/sys/bus/pci/devices/%s/iommu_group",
			 vf[i]->bdf);
		VT_ASSERT(!vt_link_name(lp, grp, sizeof(grp)), "%s has no group",
			  vf[i]->bdf);
		VT_EXPECT_EQ(atoi(grp), vf[i]->group);
	}
}

static const struct vt_test tests[] = {
	{ "pf_token_feature", test_pf_token_feature, 0 },
	{ "vf_open_names", test_vf_open_names, 0 },
	{ "pf_with_vf_open", test_pf_with_vf_open, 0 },
	{ "pf_adopts_token", test_pf_adopts_token, 0 },
	{ "token_not_pf", test_token_not_pf, 0 },
	{ "vf_device", test_vf_device, 0 },
	{ "vf_hot_reset", test_vf_hot_reset, 0 },
	{ "pf_d3_with_vfs", test_pf_d3_with_vfs, 0 },
	{ "pf_low_power_with_vfs", test_pf_low_power_with_vfs, 0 },
	{ "vfs_enable_wakes_pf", test_vfs_enable_wakes_pf, 0 },
};

/* ------------------------------------------------------ setup, cleanup */

static void pf_attr_path(char *path, size_t len, const char *attr)
{
	snprintf(path, len, "%s/%s", pf_sysfs, attr);
}

static void cleanup(void)
{
	char path[PATH_MAX];

	if (!pf)
		return;
	pf_attr_path(path, sizeof(path), "sriov_numvfs");
	if (vt_sysfs_write(path, "0"))
		vt_diag("cannot disable the VFs of %s", pf->bdf);
	if (old_enable[0] &&
	    vt_sysfs_write("/sys/module/vfio_pci/parameters/enable_sriov",
			   old_enable))
		vt_diag("cannot restore vfio-pci enable_sriov");
	pf = NULL;
}

static void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(4);
}

/* Parent, devices bound: enable the VFs and pick up their groups. */
static void setup(void)
{
	char path[PATH_MAX], buf[64];
	const char *param = "/sys/module/vfio_pci/parameters/enable_sriov";
	int i, n;

	for (i = 0; i < vt_ndevs && !pf; i++) {
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/sriov_totalvfs",
			 vt_devs[i].bdf);
		if (vt_sysfs_read_num(path) >= NR_VFS)
			pf = &vt_devs[i];
	}
	edu = vt_first_edu(0);
	if (!pf)
		skip_all("no SR-IOV PF with 2 VFs among the devices");
	snprintf(pf_sysfs, sizeof(pf_sysfs), "/sys/bus/pci/devices/%s",
		 pf->bdf);
	if (vt_sysfs_read(param, old_enable, sizeof(old_enable)) < 0)
		skip_all("vfio-pci has no enable_sriov parameter");
	atexit(cleanup);

	pf_attr_path(path, sizeof(path), "sriov_numvfs");
	if (vt_sysfs_read_num(path) != 0 && vt_sysfs_write(path, "0"))
		vt_bail("%s: cannot disable its VFs", pf->bdf);
	if (vt_sysfs_write(param, "Y"))
		vt_bail("cannot set vfio-pci enable_sriov");
	snprintf(buf, sizeof(buf), "%d", NR_VFS);
	if (vt_sysfs_write(path, buf))
		vt_bail("%s: sriov_numvfs=%d: %s", pf->bdf, NR_VFS,
			vt_errname(errno));

	for (i = 0; i < NR_VFS; i++) {
		char vfname[32];

		snprintf(path, sizeof(path), "%s/virtfn%d", pf_sysfs, i);
		if (vt_link_name(path, vfname, sizeof(vfname)))
			vt_bail("%s: no virtfn%d", pf->bdf, i);
		vt_dev_driver(vfname, buf, sizeof(buf));
		if (strcmp(buf, "vfio-pci"))
			vt_bail("VF %s is bound to '%s', not vfio-pci", vfname,
				buf);
		n = vt_ndevs;
		if (vt_add_device(vfname))
			vt_bail("VF %s: setup failed", vfname);
		vf[i] = &vt_devs[n];
		vt_diag("VF %s [%04x:%04x] group %d (PF %s group %d)",
			vf[i]->bdf, vf[i]->vendor, vf[i]->device, vf[i]->group,
			pf->bdf, pf->group);
	}
	if (vf[0]->group == pf->group || vf[1]->group == vf[0]->group)
		vt_bail("the PF and its VFs share an IOMMU group");
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "sriov", VT_TESTS(tests),
		.devs = VT_DEVS_ANY, .min_devs = 1,
		.setup = setup,
		.cleanup = cleanup,
	};
	const char *igb = getenv("VFIO_IGB0"), *e = getenv("VFIO_EDU0");
	char *args[6];
	int i, n = 0;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], "-d", 2))
			return vt_main(argc, argv, &suite);
	/* Default devices: the test VM's igb PF, and edu #0 if present. */
	if (!igb || !*igb) {
		vt_tap_header();
		skip_all("no SR-IOV device: VFIO_IGB0 is unset (the sriov VM"
			 " flavour has one, tools/testing/vm/README.md)");
	}
	args[n++] = argv[0];
	args[n++] = "-d";
	args[n++] = (char *)igb;
	if (e && *e) {
		args[n++] = "-d";
		args[n++] = (char *)e;
	}
	args[n] = NULL;
	return vt_main(n, args, &suite);
}
