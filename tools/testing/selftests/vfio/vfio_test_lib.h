/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helper library shared by the VFIO selftests and the edu demo.
 *
 * Output is TAP (kselftest flavour). Every test runs in a forked child so
 * that a crash, a hang or a leaked fd in one test cannot poison the next
 * one; the child closes everything it opened and then checks that its
 * locked_vm (VmLck) is back to the value it had when the test started.
 */
#ifndef VFIO_TEST_LIB_H
#define VFIO_TEST_LIB_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#define VT_EDU_VENDOR		0x1234
#define VT_EDU_DEVICE		0x11e8
#define VT_EDU_IDENT		0x010000edU

/* edu BAR0 registers (QEMU hw/misc/edu.c) */
#define EDU_REG_IDENT		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_CMD_START	0x1
#define EDU_DMA_CMD_TO_RAM	0x2	/* direction: device buffer -> RAM */
#define EDU_DMA_CMD_IRQ		0x4
#define EDU_DMA_IRQ_BIT		0x100	/* irq status bit raised by DMA */
#define EDU_DMA_BUF_ADDR	0x40000	/* device-side buffer address */
#define EDU_DMA_BUF_SIZE	4096
#define EDU_DMA_MAX_XFER	2048	/* QEMU aborts on the buffer's last byte */
#define EDU_DMA_MASK		((1ULL << 28) - 1)

#define VT_MAX_DEVS		8
#define VT_PAGE			4096UL

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* ---- TAP output (parent side) ---- */
void vt_tap_header(void);
void vt_plan(unsigned int n);
void vt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vt_bail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
int vt_exit_code(void);

/* ---- test harness ---- */
struct vt_test {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;		/* seconds, 0 = default */
};

/*
 * Run @n tests, numbering them after the ones already reported. @prefix
 * (may be NULL) is prepended to each test name. @after_each runs in the
 * parent after every test (used to restore module parameters).
 */
void vt_run_tests(const char *prefix, const struct vt_test *tests, size_t n,
		  void (*after_each)(void));

/* ---- checks inside a test (child side) ---- */
void vt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vt_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void vt_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void vt_expect_dmar_faults(const char *why);
void vt_end_dmar_faults(void);

bool vt__errno(int line, const char *expr, long ret, int err, int want);
bool vt__ok(int line, const char *expr, long ret, int err);
const char *vt_errname(int err);

/* @call must fail with errno @want (and return -1). */
#define VT_ERRNO(call, want) ({					\
	long __r = (long)(call);					\
	int __e = errno;						\
	vt__errno(__LINE__, #call, __r, __e, (want));			\
})

/* @call must succeed (return >= 0); evaluates to the return value. */
#define VT_OK(call) ({							\
	long __r = (long)(call);					\
	int __e = errno;						\
	vt__ok(__LINE__, #call, __r, __e);				\
	__r;								\
})

/* Like VT_OK but ends the test when the call fails. */
#define VT_OK_FATAL(call) ({						\
	long __r = (long)(call);					\
	int __e = errno;						\
	if (!vt__ok(__LINE__, #call, __r, __e))				\
		vt_fatal("line %d: cannot continue", __LINE__);		\
	__r;								\
})

#define VT_EXPECT(cond, fmt, ...) ({					\
	bool __c = !!(cond);						\
	if (!__c)							\
		vt_fail("line %d: %s: " fmt, __LINE__, #cond,		\
			##__VA_ARGS__);					\
	__c;								\
})

#define VT_ASSERT(cond, fmt, ...) do {					\
	if (!(cond))							\
		vt_fatal("line %d: %s: " fmt, __LINE__, #cond,		\
			 ##__VA_ARGS__);				\
} while (0)

#define VT_EXPECT_EQ(a, b) ({						\
	unsigned long long __a = (unsigned long long)(a);		\
	unsigned long long __b = (unsigned long long)(b);		\
	if (__a != __b)							\
		vt_fail("line %d: %s == %s: got 0x%llx, want 0x%llx",	\
			__LINE__, #a, #b, __a, __b);			\
	__a == __b;							\
})

/* ---- fds owned by the running test, closed (LIFO) when it ends ---- */
int vt_track(int fd);
void vt_close(int fd);

/* ---- sysfs / PCI / binding (parent side) ---- */
struct vt_dev {
	char bdf[32];
	int group;			/* IOMMU group number */
	char group_path[64];		/* /dev/vfio/N */
	uint16_t vendor, device;
	uint32_t class;
	bool bound_by_us;		/* restore on exit */
	char orig_driver[64];
};

extern struct vt_dev vt_devs[VT_MAX_DEVS];
extern int vt_ndevs;

/*
 * The test VM's BDF map is $VFIO_NVME0 $VFIO_E1000E0 $VFIO_VIRTIO_NET0
 * (tools/testing/vm/guest-lib.sh exports them).
 */
enum vt_devs_mode {
	VT_DEVS_ANY,	/* -d takes any device; default: the edu devices */
	VT_DEVS_EDU,	/* edu devices only (others given with -d dropped) */
	VT_DEVS_ALL,	/* default: edus + the test VM's BDF map */
	VT_DEVS_EDU_NVME, /* -d takes any device; default: edus + $VFIO_NVME0 */
	/* -d takes any device; default: the first edu, $VFIO_NVME0, $VFIO_E1000E0 */
	VT_DEVS_PM,
};

/*
 * Parse "-d BDF" (repeatable) and "-h"; without -d the devices of @mode
 * are used. Binds every device to vfio-pci (restored at exit). Bails out
 * when fewer than @min_devs devices are available.
 */
void vt_setup_devices(int argc, char **argv, int min_devs,
		      enum vt_devs_mode mode);
/* Bind one device (restored at exit); appends to vt_devs. */
int vt_add_device(const char *bdf);
int vt_find_pci(uint16_t vendor, uint16_t device, char bdfs[][32], int max);
int vt_sysfs_read(const char *path, char *buf, size_t len);
int vt_sysfs_write(const char *path, const char *val);
long long vt_sysfs_read_num(const char *path);
/* Name of the driver @bdf is bound to, "" if none. */
void vt_dev_driver(const char *bdf, char *buf, size_t len);
/*
 * The last component of the target of symlink @path (a driver, an IOMMU
 * group, a virtfn): 0 and the name in @buf, or -errno of readlink().
 */
int vt_link_name(const char *path, char *buf, size_t len);
int vt_bind_vfio(struct vt_dev *d);
void vt_restore_devices(void);
bool vt_dev_is_edu(const struct vt_dev *d);
/* Does @bdf's slot have another function? */
bool vt_pci_multifunction(const char *bdf);
/* @bdf's real config space (sysfs, the host's view, not vfio's). */
int vt_phys_cfg(const char *bdf, unsigned int off, void *buf, size_t len);
/* Has @bdf a capability with this id in its (real) list? */
bool vt_pci_has_cap(const char *bdf, uint8_t id);
/*
 * Slot and bus resets counted with a kprobe event on pci_reset_bus()
 * (tracefs): add returns false without kprobe events; hits is -1 then.
 */
bool vt_reset_probe_add(void);
void vt_reset_probe_del(void);
long vt_reset_probe_hits(void);
const struct vt_dev *vt_first_edu(int nth);

/* ---- program entry: every selftest's main() is vt_main() ---- */
struct vt_suite {
	const char *name;		/* prefix of every test name */
	const struct vt_test *tests;
	size_t ntests;
	enum vt_devs_mode devs;		/* default devices, -d filter */
	int min_devs;			/* fewer: the whole program skips */
	void (*setup)(void);		/* parent, devices bound: pick them */
	void (*after_each)(void);	/* parent, after every test */
	void (*cleanup)(void);		/* parent, after the last test */
	/*
	 * Set: the whole list runs once per device, named "NAME BDF TEST",
	 * after this was called with the device.
	 */
	void (*per_device)(const struct vt_dev *d);
};

#define VT_TESTS(t)		.tests = (t), .ntests = ARRAY_SIZE(t)

/*
 * TAP header, "-d BDF" parsing and binding (vt_setup_devices), plan,
 * the tests, totals. Returns main()'s exit status.
 */
int vt_main(int argc, char **argv, const struct vt_suite *suite);

/* ---- process state ---- */
/* A "Key:" line of /proc/self/status, in kB (-1 if absent). */
long vt_status_kb(const char *key);
long vt_locked_kb(void);
int vt_count_fds(void);
int vt_drop_cap(int cap);		/* drop from effective set */

/* ---- VFIO container / group / device (child side, tracked) ---- */
int vt_open_container(void);
int vt_open_group(const struct vt_dev *d);
void vt_set_container(int group, int container);
void vt_set_iommu(int container, unsigned long type);
int vt_get_device(int group, const char *bdf);

struct vt_session {
	int container;
	int group;
	int device;
};

/*
 * Open container + group, SET_CONTAINER, SET_IOMMU(@type) unless 0 and
 * GET_DEVICE_FD when @with_device. Any failure ends the test.
 */
void vt_session_open(struct vt_session *s, const struct vt_dev *d,
		     unsigned long type, bool with_device);

/*
 * ---- device cdev + iommufd (child side, tracked) ----
 * The cdev of a device bound to a VFIO driver is
 * /dev/vfio/devices/vfioN, N from /sys/bus/pci/devices/BDF/vfio-dev/.
 * The IOAS helpers take the IOMMU_IOAS_MAP_* flags of <linux/iommufd.h>;
 * the mapping is always at the fixed @iova. Those returning int give
 * 0 or -errno.
 */
/* "vfioN" into @name; -ENOENT when @bdf has no vfio-dev node. */
int vt_cdev_name(const char *bdf, char *name, size_t len);
int vt_open_cdev(const struct vt_dev *d);
int vt_open_iommufd(void);
int vt_bind_iommufd(int dev, int iommufd, uint32_t *devid);
/* ATTACH_IOMMUFD_PT: *pt_id in, the attached (HW)PT's id out. */
int vt_attach_pt(int dev, uint32_t *pt_id);
int vt_detach_pt(int dev);
uint32_t vt_ioas_alloc(int iommufd);
int vt_ioas_map(int iommufd, uint32_t ioas, void *vaddr, uint64_t iova,
		uint64_t size, uint32_t flags);
int vt_ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t size,
		  uint64_t *unmapped);
int vt_iommufd_destroy(int iommufd, uint32_t id);
/* VmPin of /proc/self/status: what iommufd pins, in kB. */
long vt_pinned_kb(void);

/* ---- regions ---- */
int vt_region_info(int dev, unsigned int index, struct vfio_region_info *ri);
uint64_t vt_region_offset(int dev, unsigned int index);
uint32_t vt_rd32(int dev, uint64_t off);
void vt_wr32(int dev, uint64_t off, uint32_t val);
uint16_t vt_cfg_rd16(int dev, unsigned int reg);
uint32_t vt_cfg_rd32(int dev, unsigned int reg);
void vt_cfg_wr16(int dev, unsigned int reg, uint16_t val);
void vt_cfg_wr32(int dev, unsigned int reg, uint32_t val);
int vt_cfg_find_cap(int dev, uint8_t id);

/* ---- DMA ---- */
void *vt_alloc(size_t size);
int vt_map(int container, void *vaddr, uint64_t iova, uint64_t size,
	   uint32_t flags);
int vt_unmap(int container, uint64_t iova, uint64_t size, uint32_t flags,
	     uint64_t *unmapped);
int vt_iommu_info(int container, void *buf, size_t bufsz);
void *vt_find_cap(void *info, size_t bufsz, uint32_t first, uint16_t id);

/* ---- KVM's kvm-vfio device ---- */
struct vt_kvm {
	int kvm, vm, dev;	/* /dev/kvm, the VM, its kvm-vfio device */
	bool loaded;		/* kvm_amd/kvm_intel loaded by vt_kvm_open */
};

/* Open all three (loading KVM if needed); skips the test without /dev/kvm. */
void vt_kvm_open(struct vt_kvm *k);
void vt_kvm_close(struct vt_kvm *k);
/* KVM_SET_DEVICE_ATTR KVM_DEV_VFIO_FILE @attr (ADD, DEL) of @fd: -errno. */
int vt_kvm_file(struct vt_kvm *k, uint64_t attr, int fd);

/* ---- eventfds / irqs ---- */
int vt_eventfd(void);
int vt_set_irqs_fd(int dev, uint32_t index, uint32_t action, int fd);
int vt_set_irqs_none(int dev, uint32_t index, uint32_t action,
		     uint32_t start, uint32_t count);
/* Any SET_IRQS; @dlen bytes of @data follow the header. Returns -errno. */
int vt_set_irqs(int dev, uint32_t flags, uint32_t index, uint32_t start,
		uint32_t count, const void *data, size_t dlen);
/* The same with argsz @argsz (0: header + @dlen), to test argsz checks. */
int vt_set_irqs_argsz(int dev, uint32_t argsz, uint32_t flags,
		      uint32_t index, uint32_t start, uint32_t count,
		      const void *data, size_t dlen);
int vt_irq_info(int dev, uint32_t index, struct vfio_irq_info *ii);
/* Wait up to @ms for @efd; returns the counter (0 on timeout). */
uint64_t vt_wait_eventfd(int efd, int ms);

/* ---- edu ---- */
struct vt_edu {
	int dev;
	uint64_t bar0;			/* region offset of BAR0 */
};

void vt_edu_enable(struct vt_edu *e);	/* memory + bus master */
uint32_t vt_edu_rd(struct vt_edu *e, unsigned int reg);
void vt_edu_wr(struct vt_edu *e, unsigned int reg, uint32_t val);
/* Run one DMA; returns false on timeout (5 s). */
bool vt_edu_dma(struct vt_edu *e, uint64_t src, uint64_t dst, uint32_t len,
		uint32_t cmd);

#endif /* VFIO_TEST_LIB_H */
