// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/iommu without devices: the ioctl header rules (size, trailing
 * bytes, unknown numbers and flags), IOAS_ALLOC and DESTROY, MAP (fixed
 * and kernel-chosen IOVA), UNMAP, COPY, IOVA_RANGES, ALLOW_IOVAS and
 * OPTION, each with good and bad input; IOMMU_VFIO_IOAS and the VFIO
 * type1 container ioctls on /dev/iommu (the compat IOAS, type1 v1 cuts);
 * HWPT_ALLOC and GET_HW_INFO as far as they go without a device (their
 * checks before the device lookup), HWPT_INVALIDATE and the dirty
 * tracking pair up to the HWPT lookup (vfio_cdev_test has them on a
 * HWPT_PAGING), FAULT_QUEUE_ALLOC with its fd. Expected errnos are those of
 * upstream Linux 6.12 (recorded against the in-tree iommufd of the debug
 * kernel). With no device attached nothing is pinned: MAP only records
 * the range, so VmPin/VmLck never move. Ids must not be consumed by
 * failed ioctls, and every test closes what it opened (fd count, VmLck:
 * checked by the harness).
 *
 * The group_* cases put an edu's VFIO group on /dev/iommu instead of a
 * container (VFIO_GROUP_SET_CONTAINER with the iommufd, as QEMU's legacy
 * backend can): the compat IOAS it makes, CONTAINER_SET, EINVAL for a
 * second SET, UNSET (also with the device open: allowed, the device
 * stays bound), GET_DEVICE_FD binding the device to the context and
 * attaching it to the compat IOAS, VFIO_IOMMU_MAP_DMA on the iommufd fd
 * with edu DMA through it, the compat IOAS destroyed before the open
 * (ENODEV), the group then reused with a container and with the iommufd
 * again, two groups on one context, exclusion with the device cdev,
 * KVM's kvm-vfio device given the group fd. edu: DMA buffer at device
 * address 0x40000, transfers of at most 2 KiB (QEMU aborts on the
 * buffer's last byte), 28-bit DMA mask.
 *
 * The device-less cases need no device; the group_* ones take the edus
 * (`-d BDF`, default every edu alone in its slot) and skip without one.
 * Without /dev/iommu (Debian's kernel has no CONFIG_IOMMUFD; our
 * iommufd.ko not installed) the program skips.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/kvm.h>

#include "vfio_test_lib.h"

#define P		VT_PAGE
#define IOVA		0x100000UL
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED		IOMMU_IOAS_MAP_FIXED_IOVA
#define NODE		"/dev/iommu"
#define offsetofend(type, field) \
	(offsetof(type, field) + sizeof(((type *)0)->field))

static int ifd_open(void)
{
	int fd = open(NODE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		vt_fatal("open %s: %s", NODE, vt_errname(errno));
	return vt_track(fd);
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &d);
}

/* MAP; *iova in: the fixed IOVA, out: where it went. */
static int map(int fd, uint32_t ioas, uint32_t flags, const void *va,
	       uint64_t len, uint64_t *iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.user_va = (uintptr_t)va, .length = len,
		.iova = iova ? *iova : 0,
	};
	int ret = ioctl(fd, IOMMU_IOAS_MAP, &m);

	if (!ret && iova)
		*iova = m.iova;
	return ret;
}

static uint64_t map_ok(int fd, uint32_t ioas, uint32_t flags, const void *va,
		       uint64_t len, uint64_t iova)
{
	if (map(fd, ioas, flags, va, len, &iova))
		vt_fatal("MAP flags %#x va %p len %#llx iova %#llx: %s", flags,
			 va, (unsigned long long)len, (unsigned long long)iova,
			 vt_errname(errno));
	return iova;
}

static int unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len,
		 uint64_t *out)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len,
	};
	int ret = ioctl(fd, IOMMU_IOAS_UNMAP, &u);

	if (!ret && out)
		*out = u.length;
	return ret;
}

static int copy(int fd, uint32_t flags, uint32_t dst, uint64_t *dst_iova,
		uint32_t src, uint64_t src_iova, uint64_t len)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
		.src_ioas_id = src, .length = len, .src_iova = src_iova,
		.dst_iova = dst_iova ? *dst_iova : 0,
	};
	int ret = ioctl(fd, IOMMU_IOAS_COPY, &c);

	if (!ret && dst_iova)
		*dst_iova = c.dst_iova;
	return ret;
}

static int ranges(int fd, uint32_t ioas, struct iommu_iova_range *r,
		  uint32_t *num, uint64_t *align)
{
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = *num,
		.allowed_iovas = (uintptr_t)r,
	};
	int ret = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q);

	*num = q.num_iovas;
	if (align)
		*align = q.out_iova_alignment;
	return ret;
}

static int allow(int fd, uint32_t ioas, const struct iommu_iova_range *r,
		 uint32_t num)
{
	struct iommu_ioas_allow_iovas a = {
		.size = sizeof(a), .ioas_id = ioas, .num_iovas = num,
		.allowed_iovas = (uintptr_t)r,
	};

	return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
}

static int option(int fd, uint32_t id, uint16_t op, uint32_t obj,
		  uint64_t *val)
{
	struct iommu_option o = {
		.size = sizeof(o), .option_id = id, .op = op,
		.object_id = obj, .val64 = *val,
	};
	int ret = ioctl(fd, IOMMU_OPTION, &o);

	*val = o.val64;
	return ret;
}

/* Anonymous memory, never touched (no page is there until used). */
static void *area(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		vt_fatal("mmap %zu: %s", len, vt_errname(errno));
	return p;
}

/* ---- the node and the ioctl header ---------------------------------- */

static void t_node(void)
{
	struct stat st;
	int fd, i;

	VT_ASSERT(!stat(NODE, &st), "stat: %s", vt_errname(errno));
	VT_EXPECT(S_ISCHR(st.st_mode), "not a character device");
	VT_EXPECT_EQ(major(st.st_rdev), 10);	/* a misc device */
	VT_EXPECT_EQ(st.st_mode & 0777, 0660);
	for (i = 0; i < 16; i++) {
		fd = ifd_open();
		vt_close(fd);
	}
	fd = ifd_open();
	/* the one VFIO container ioctl both stacks answer the same */
	VT_EXPECT_EQ(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
}

static void t_header(void)
{
	struct {
		struct iommu_ioas_alloc a;
		uint8_t tail[16];
	} big;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int fd = ifd_open();
	void *ro;

	/* numbers outside the iommufd range and empty slots */
	VT_ERRNO(ioctl(fd, _IO(IOMMUFD_TYPE, 0x7f), &a), ENOTTY);
	VT_ERRNO(ioctl(fd, _IO(IOMMUFD_TYPE, 0x8f), &a), ENOTTY);
	VT_ERRNO(ioctl(fd, _IO(IOMMUFD_TYPE, 0xff), &a), ENOTTY);
	/* the right number with another encoding */
	VT_ERRNO(ioctl(fd, _IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC,
				 struct iommu_ioas_alloc), &a), ENOTTY);
	VT_ERRNO(ioctl(fd, _IO('x', IOMMUFD_CMD_IOAS_ALLOC), &a), ENOTTY);
	/* size unreadable */
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, NULL), EFAULT);
	ro = mmap(NULL, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VT_ASSERT(ro != MAP_FAILED, "mmap");
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, ro), EFAULT);
	munmap(ro, P);
	/* size below the minimum (offsetofend of out_ioas_id) */
	a.size = 0;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, &a), EINVAL);
	a.size = sizeof(a) - 1;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, &a), EINVAL);
	/* larger than ours: zero tail fine, anything else E2BIG */
	memset(&big, 0, sizeof(big));
	big.a.size = sizeof(big);
	VT_OK(ioctl(fd, IOMMU_IOAS_ALLOC, &big));
	VT_EXPECT_EQ(big.a.out_ioas_id, 1);
	big.tail[15] = 1;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, &big), E2BIG);
	big.tail[15] = 0;
	big.tail[0] = 0x80;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, &big), E2BIG);
	/* unknown flags */
	a.size = sizeof(a);
	a.flags = 1;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, &a), EOPNOTSUPP);
	a.flags = 0x80000000;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, &a), EOPNOTSUPP);
	/* none of the failures took an id */
	VT_EXPECT_EQ(vt_ioas_alloc(fd), 2);
}

/* ---- objects ----------------------------------------------------------- */

static void t_alloc_destroy(void)
{
	struct iommu_ioas_alloc *ro;
	int fd = ifd_open(), fd2;
	struct iommu_destroy d;
	uint64_t iova = IOVA;
	void *buf = area(4 * P);

	VT_EXPECT_EQ(vt_ioas_alloc(fd), 1);
	VT_EXPECT_EQ(vt_ioas_alloc(fd), 2);
	VT_EXPECT_EQ(vt_ioas_alloc(fd), 3);
	VT_OK(destroy(fd, 2));
	VT_ERRNO(destroy(fd, 2), ENOENT);
	VT_ERRNO(destroy(fd, 0), ENOENT);
	VT_ERRNO(destroy(fd, 4), ENOENT);
	VT_ERRNO(destroy(fd, 0x7fffffff), ENOENT);
	VT_ERRNO(destroy(fd, 0xffffffff), ENOENT);
	/* the lowest free id comes back */
	VT_EXPECT_EQ(vt_ioas_alloc(fd), 2);

	/* DESTROY header */
	d.size = 4;
	d.id = 1;
	VT_ERRNO(ioctl(fd, IOMMU_DESTROY, &d), EINVAL);

	/* areas do not keep an IOAS alive */
	map_ok(fd, 1, RW | FIXED, buf, 4 * P, iova);
	VT_OK(destroy(fd, 1));
	VT_ERRNO(unmap(fd, 1, 0, UINT64_MAX, NULL), ENOENT);

	/* the reply cannot be written: no id is left behind */
	ro = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	VT_ASSERT(ro != MAP_FAILED, "mmap");
	ro->size = sizeof(*ro);
	VT_ASSERT(!mprotect(ro, P, PROT_READ), "mprotect");
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOC, ro), EFAULT);
	VT_ERRNO(destroy(fd, 1), ENOENT);
	munmap(ro, P);
	VT_EXPECT_EQ(vt_ioas_alloc(fd), 1);

	/* ids are per open */
	fd2 = ifd_open();
	VT_ERRNO(destroy(fd2, 3), ENOENT);
	VT_EXPECT_EQ(vt_ioas_alloc(fd2), 1);
	VT_OK(destroy(fd, 3));
	VT_OK(destroy(fd2, 1));
	VT_OK(destroy(fd, 1));
	munmap(buf, 4 * P);
	/* the rest goes with the close */
}

/* Closing with objects and mappings frees them (harness: fds, VmLck). */
static void t_close_with_objects(void)
{
	void *buf = area(64 * P);
	uint64_t iova = IOVA;
	uint32_t a, b;
	int i, fd;

	for (i = 0; i < 4; i++) {
		fd = ifd_open();
		a = vt_ioas_alloc(fd);
		b = vt_ioas_alloc(fd);
		map_ok(fd, a, RW | FIXED, buf, 64 * P, iova);
		map_ok(fd, a, RW, buf, 64 * P, 0);
		VT_OK(copy(fd, RW, b, NULL, a, iova, 64 * P));
		vt_close(fd);
	}
	munmap(buf, 64 * P);
}

/* ---- MAP ----------------------------------------------------------------- */

static void t_map_fixed(void)
{
	long pin0 = vt_status_kb("VmPin:"), lck0 = vt_locked_kb();
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd);
	char *buf = area(16 * P);
	uint64_t iova, out = 0;

	VT_EXPECT_EQ(map_ok(fd, ioas, RW | FIXED, buf, 4 * P, IOVA), IOVA);
	/* nothing pinned without a domain */
	VT_EXPECT_EQ(vt_status_kb("VmPin:"), pin0);
	VT_EXPECT_EQ(vt_locked_kb(), lck0);
	/* overlapping an area, at either end or inside */
	iova = IOVA;
	VT_ERRNO(map(fd, ioas, RW | FIXED, buf, 4 * P, &iova), EEXIST);
	iova = IOVA - P;
	VT_ERRNO(map(fd, ioas, RW | FIXED, buf, 2 * P, &iova), EEXIST);
	iova = IOVA + 3 * P;
	VT_ERRNO(map(fd, ioas, RW | FIXED, buf, 2 * P, &iova), EEXIST);
	iova = IOVA + P;
	VT_ERRNO(map(fd, ioas, RW | FIXED, buf, 1, &iova), EEXIST);
	/* right before and right after are free */
	map_ok(fd, ioas, RW | FIXED, buf, P, IOVA - P);
	map_ok(fd, ioas, IOMMU_IOAS_MAP_READABLE | FIXED, buf, P, IOVA + 4 * P);
	map_ok(fd, ioas, IOMMU_IOAS_MAP_WRITEABLE | FIXED, buf + P, P,
	       IOVA + 5 * P);
	/* byte granular while no domain is attached (alignment 1) */
	map_ok(fd, ioas, RW | FIXED, buf + 1, 3, 0x7000001);
	map_ok(fd, ioas, RW | FIXED, buf + 5, 1, 0x7000004);
	map_ok(fd, ioas, RW | FIXED, buf + 0x801, P, 0x8000003);
	/* IOVA 0 and the last usable page */
	map_ok(fd, ioas, RW | FIXED, buf, P, 0);
	map_ok(fd, ioas, RW | FIXED, buf, P, UINT64_MAX - 2 * P + 1);
	/* the user VA is not looked at before pinning: unmapped is fine */
	map_ok(fd, ioas, RW | FIXED, NULL, 4 * P, 0x9000000);
	map_ok(fd, ioas, RW | FIXED, (void *)0xdead0000UL, 1UL << 30,
	       0x100000000UL);
	VT_EXPECT_EQ(vt_status_kb("VmPin:"), pin0);
	VT_EXPECT_EQ(vt_locked_kb(), lck0);

	VT_OK(unmap(fd, ioas, 0, UINT64_MAX, &out));
	VT_EXPECT_EQ(out, 4 * P + 3 * P + 3 + 1 + P + 2 * P + 4 * P +
		     (1UL << 30));
	munmap(buf, 16 * P);
}

/*
 * Bad input, each a change to a good request: @set says which fields
 * replace the good one's. @what and @line identify a failure.
 */
enum {
	B_SIZE = 1, B_FLAGS = 2, B_ID = 4, B_VA = 8, B_LEN = 16, B_IOVA = 32,
	B_SRC = 64,
};

struct bad_case {
	unsigned int set;
	uint32_t size, flags, id, rsv;
	uint64_t va, length, iova;	/* COPY: va is src_iova, id dst */
	uint32_t src;			/* COPY: src_ioas_id (B_SRC) */
	int err;
	const char *what;
	int line;
};

#define BAD(err_, what_, ...) \
	{ __VA_ARGS__, .err = err_, .what = what_, .line = __LINE__ }

static const struct bad_case map_cases[] = {
	BAD(EINVAL, "size short of iova", .set = B_SIZE,
	    .size = offsetof(struct iommu_ioas_map, iova)),
	BAD(EOPNOTSUPP, "unknown flag", .set = B_FLAGS,
	    .flags = RW | FIXED | 1 << 3),
	BAD(EOPNOTSUPP, "__reserved set", .rsv = 1),
	BAD(EOPNOTSUPP, "flags are checked before the id",
	    .set = B_FLAGS | B_ID, .flags = 1 << 4, .id = 99),
	BAD(EOVERFLOW, "iova U64_MAX", .set = B_IOVA, .iova = UINT64_MAX),
	BAD(EOVERFLOW, "length U64_MAX", .set = B_LEN, .length = UINT64_MAX),
	BAD(EINVAL, "neither readable nor writeable", .set = B_FLAGS,
	    .flags = FIXED),
	BAD(ENOENT, "unknown IOAS", .set = B_ID, .id = 99),
	BAD(ENOENT, "IOAS 0", .set = B_ID, .id = 0),
	BAD(ENOENT, "the id is looked up before the length",
	    .set = B_ID | B_LEN, .id = 99, .length = 0),
	BAD(EINVAL, "length 0", .set = B_LEN, .length = 0),
	BAD(EINVAL, "length 0, kernel-chosen IOVA", .set = B_FLAGS | B_LEN,
	    .flags = RW, .length = 0),
	BAD(EINVAL, "length over SIZE_MAX - PAGE_SIZE", .set = B_LEN,
	    .length = UINT64_MAX - 1),
	BAD(EINVAL, "length over SIZE_MAX - PAGE_SIZE (2)", .set = B_LEN,
	    .length = UINT64_MAX - P + 1),
	BAD(EOVERFLOW, "user range wraps", .set = B_VA | B_LEN,
	    .va = UINT64_MAX - P + 1, .length = 2 * P),
	BAD(EOVERFLOW, "user range ends at the top", .set = B_VA | B_LEN,
	    .va = UINT64_MAX - P + 1, .length = P),
	BAD(EOVERFLOW, "IOVA range wraps", .set = B_IOVA | B_LEN,
	    .iova = UINT64_MAX - P + 1, .length = 2 * P),
	BAD(EOVERFLOW, "kernel-chosen IOVA, half the space",
	    .set = B_FLAGS | B_VA | B_LEN, .flags = RW, .va = 0,
	    .length = 1UL << 63),
	BAD(EOVERFLOW, "kernel-chosen IOVA, U64_MAX / 2",
	    .set = B_FLAGS | B_VA | B_LEN, .flags = RW, .va = 0,
	    .length = UINT64_MAX / 2),
};

static void t_map_errors(void)
{
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd);
	struct iommu_ioas_map m;
	char *buf = area(4 * P);
	uint64_t iova;
	size_t i;
	long ret;

	for (i = 0; i < ARRAY_SIZE(map_cases); i++) {
		const struct bad_case *b = &map_cases[i];

		memset(&m, 0, sizeof(m));
		m.size = b->set & B_SIZE ? b->size : sizeof(m);
		m.flags = b->set & B_FLAGS ? b->flags : RW | FIXED;
		m.ioas_id = b->set & B_ID ? b->id : ioas;
		m.__reserved = b->rsv;
		m.user_va = b->set & B_VA ? b->va : (uintptr_t)buf;
		m.length = b->set & B_LEN ? b->length : P;
		m.iova = b->set & B_IOVA ? b->iova : IOVA;
		ret = ioctl(fd, IOMMU_IOAS_MAP, &m);
		vt__errno(b->line, b->what, ret, errno, b->err);
	}

	/* nothing of the above was mapped */
	VT_ERRNO(unmap(fd, ioas, 0, UINT64_MAX - 1, NULL), ENOENT);
	iova = 0;
	VT_OK(unmap(fd, ioas, 0, UINT64_MAX, &iova));
	VT_EXPECT_EQ(iova, 0);

	/* just below half the space fits (2 MiB-aligned, nothing pinned) */
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = RW;
	m.ioas_id = ioas;
	m.length = UINT64_MAX / 2 - 1;
	VT_OK(ioctl(fd, IOMMU_IOAS_MAP, &m));
	VT_EXPECT_EQ(m.iova, 2UL << 20);
	VT_OK(unmap(fd, ioas, 0, UINT64_MAX, &iova));
	VT_EXPECT_EQ(iova, UINT64_MAX / 2 - 1);
	munmap(buf, 4 * P);
}

static void t_map_auto(void)
{
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd);
	const size_t big = 8UL << 20;
	char *raw = area(big + (2UL << 20));
	char *buf = (char *)(((uintptr_t)raw + (2UL << 20) - 1) &
			     ~((2UL << 20) - 1));
	uint64_t a, b, c, d, e, out;

	a = map_ok(fd, ioas, RW, buf, P, 0);
	VT_EXPECT(a >= P && !(a % P), "iova %#llx", (unsigned long long)a);
	b = map_ok(fd, ioas, RW, buf, P, 0);
	VT_EXPECT(b != a && !(b % P), "iova %#llx", (unsigned long long)b);
	/* 2 MiB-aligned VA and length: a 2 MiB-aligned IOVA */
	c = map_ok(fd, ioas, RW, buf, 2UL << 20, 0);
	VT_EXPECT(!(c % (2UL << 20)), "iova %#llx", (unsigned long long)c);
	/* larger: the alignment stays capped at 2 MiB (huge page) */
	d = map_ok(fd, ioas, RW, buf, big, 0);
	VT_EXPECT(!(d % (2UL << 20)), "iova %#llx", (unsigned long long)d);
	/* the VA's offset in its page is kept */
	e = map_ok(fd, ioas, RW, buf + 0x123, 0x100, 0);
	VT_EXPECT_EQ(e % P, 0x123);
	/* a VA aligned to less than the length limits the alignment */
	out = map_ok(fd, ioas, RW, buf + P, 4 * P, 0);
	VT_EXPECT_EQ(out % P, 0);
	/* VA 0: aligned to the length */
	out = map_ok(fd, ioas, RW, NULL, 64 * P, 0);
	VT_EXPECT_EQ(out % (64 * P), 0);

	VT_OK(unmap(fd, ioas, 0, UINT64_MAX, &out));
	VT_EXPECT_EQ(out, 2 * P + (2UL << 20) + big + 0x100 + 4 * P + 64 * P);
	/* the first fit is free again */
	VT_EXPECT_EQ(map_ok(fd, ioas, RW, buf, P, 0), a);
	munmap(raw, big + (2UL << 20));
}

/* ---- ALLOW_IOVAS ----------------------------------------------------- */

static void t_allow_iovas(void)
{
	struct iommu_iova_range r[3] = {
		{ .start = IOVA, .last = IOVA + 2 * P - 1 },
	};
	struct iommu_ioas_allow_iovas q;
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd), num = 4;
	char *buf = area(4 * P);
	struct iommu_iova_range got[4];
	uint64_t iova, align;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ioas_id = ioas;
	q.__reserved = 1;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), EOPNOTSUPP);
	q.__reserved = 0;
	q.size = offsetof(struct iommu_ioas_allow_iovas, allowed_iovas);
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &q), EINVAL);
	VT_ERRNO(allow(fd, 99, r, 1), ENOENT);
	VT_ERRNO(allow(fd, ioas, NULL, 1), EFAULT);
	r[1] = (struct iommu_iova_range){ .start = 5 * P, .last = 5 * P };
	VT_ERRNO(allow(fd, ioas, r, 2), EINVAL);
	r[1] = (struct iommu_iova_range){ .start = 6 * P, .last = 5 * P };
	VT_ERRNO(allow(fd, ioas, r, 2), EINVAL);
	r[1] = (struct iommu_iova_range){ .start = IOVA + P, .last = IOVA + 8 * P };
	VT_ERRNO(allow(fd, ioas, r, 2), EINVAL);
	/* none of the failures changed anything: all allowed still */
	VT_EXPECT(map_ok(fd, ioas, RW, buf, P, 0) < IOVA, "first fit");

	/* kernel-chosen IOVAs now come from the range only */
	VT_OK(allow(fd, ioas, r, 1));
	VT_EXPECT_EQ(map_ok(fd, ioas, RW, buf, P, 0), IOVA);
	VT_EXPECT_EQ(map_ok(fd, ioas, RW, buf, P, 0), IOVA + P);
	iova = 0;
	VT_ERRNO(map(fd, ioas, RW, buf, P, &iova), ENOSPC);
	/* caller-chosen IOVAs are not limited by it */
	map_ok(fd, ioas, RW | FIXED, buf, P, 0x40000000);
	/* areas outside a new set are fine */
	r[0] = (struct iommu_iova_range){ .start = 0x200000, .last = 0x200fff };
	r[1] = (struct iommu_iova_range){ .start = 0x201000, .last = 0x201fff };
	VT_OK(allow(fd, ioas, r, 2));
	/* adjacent ranges form one window */
	VT_EXPECT_EQ(map_ok(fd, ioas, RW, buf, 2 * P, 0), 0x200000);
	/* the reported ranges are the usable IOVA, unaffected */
	VT_OK(ranges(fd, ioas, got, &num, &align));
	VT_EXPECT_EQ(num, 1);
	VT_EXPECT_EQ(got[0].start, 0);
	VT_EXPECT_EQ(got[0].last, UINT64_MAX);
	/* below PAGE_SIZE and in the last page never come out */
	r[0] = (struct iommu_iova_range){ .start = 0, .last = P - 1 };
	r[1] = (struct iommu_iova_range){ .start = UINT64_MAX - P + 1,
					  .last = UINT64_MAX };
	VT_OK(allow(fd, ioas, r, 2));
	iova = 0;
	VT_ERRNO(map(fd, ioas, RW, buf, 1, &iova), ENOSPC);
	/* no ranges: everything again */
	VT_OK(allow(fd, ioas, NULL, 0));
	VT_EXPECT(map_ok(fd, ioas, RW, buf, P, 0) < IOVA, "first fit");
	munmap(buf, 4 * P);
}

/* ---- IOVA_RANGES -------------------------------------------------------- */

static void t_iova_ranges(void)
{
	struct iommu_ioas_iova_ranges q;
	struct iommu_iova_range r[2];
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd), num;
	uint64_t align = 0, v;

	/* no room: the count and alignment still come back */
	num = 0;
	VT_ERRNO(ranges(fd, ioas, NULL, &num, &align), EMSGSIZE);
	VT_EXPECT_EQ(num, 1);
	VT_EXPECT_EQ(align, 1);
	num = 1;
	memset(r, 0xa5, sizeof(r));
	VT_OK(ranges(fd, ioas, r, &num, &align));
	VT_EXPECT_EQ(num, 1);
	VT_EXPECT_EQ(r[0].start, 0);
	VT_EXPECT_EQ(r[0].last, UINT64_MAX);
	VT_EXPECT_EQ(align, 1);
	/* more room than needed: the rest untouched */
	num = 2;
	memset(r, 0xa5, sizeof(r));
	VT_OK(ranges(fd, ioas, r, &num, NULL));
	VT_EXPECT_EQ(num, 1);
	VT_EXPECT_EQ(r[1].start, 0xa5a5a5a5a5a5a5a5ULL);
	num = 1;
	VT_ERRNO(ranges(fd, ioas, NULL, &num, NULL), EFAULT);
	num = 1;
	VT_ERRNO(ranges(fd, 99, r, &num, NULL), ENOENT);

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ioas_id = ioas;
	q.__reserved = 1;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), EOPNOTSUPP);
	q.__reserved = 0;
	q.size = offsetof(struct iommu_ioas_iova_ranges, out_iova_alignment);
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), EINVAL);

	/* without huge pages the IOAS needs page alignment */
	v = 0;
	VT_OK(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas,
		     &v));
	num = 1;
	VT_OK(ranges(fd, ioas, r, &num, &align));
	VT_EXPECT_EQ(align, P);
}

/* ---- UNMAP ----------------------------------------------------------------- */

static void t_unmap(void)
{
	struct iommu_ioas_unmap u;
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd);
	char *buf = area(8 * P);
	uint64_t out = 0;

	/* A [IOVA, +2P) B [+2P, +4P) C [+4P, +5P), D [+8P, +10P) */
	map_ok(fd, ioas, RW | FIXED, buf, 2 * P, IOVA);
	map_ok(fd, ioas, RW | FIXED, buf, 2 * P, IOVA + 2 * P);
	map_ok(fd, ioas, RW | FIXED, buf, P, IOVA + 4 * P);
	map_ok(fd, ioas, RW | FIXED, buf, 2 * P, IOVA + 8 * P);

	memset(&u, 0, sizeof(u));
	u.size = offsetof(struct iommu_ioas_unmap, length);
	u.ioas_id = ioas;
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_UNMAP, &u), EINVAL);
	VT_ERRNO(unmap(fd, 99, IOVA, P, NULL), ENOENT);
	VT_ERRNO(unmap(fd, 99, 0, UINT64_MAX, NULL), ENOENT);
	VT_ERRNO(unmap(fd, ioas, IOVA, 0, NULL), EINVAL);
	VT_ERRNO(unmap(fd, ioas, UINT64_MAX, 1, NULL), EOVERFLOW);
	VT_ERRNO(unmap(fd, ioas, 1, UINT64_MAX, NULL), EOVERFLOW);
	VT_ERRNO(unmap(fd, ioas, IOVA, UINT64_MAX, NULL), EOVERFLOW);
	VT_ERRNO(unmap(fd, ioas, UINT64_MAX - P + 1, 2 * P, NULL), EOVERFLOW);
	/* nothing there */
	VT_ERRNO(unmap(fd, ioas, IOVA + 5 * P, 3 * P, NULL), ENOENT);
	VT_ERRNO(unmap(fd, ioas, 0, IOVA, NULL), ENOENT);
	/* cutting an area: at its start, end, middle */
	VT_ERRNO(unmap(fd, ioas, IOVA, P, NULL), ENOENT);
	VT_ERRNO(unmap(fd, ioas, IOVA + P, P, NULL), ENOENT);
	VT_ERRNO(unmap(fd, ioas, IOVA + 1, 1, NULL), ENOENT);
	VT_ERRNO(unmap(fd, ioas, IOVA - P, 2 * P, NULL), ENOENT);
	/* whole areas with holes around them */
	VT_OK(unmap(fd, ioas, IOVA - P, 5 * P, &out));
	VT_EXPECT_EQ(out, 4 * P);
	/* C fits, D is cut: C goes anyway, the ioctl fails */
	VT_ERRNO(unmap(fd, ioas, IOVA + 4 * P, 5 * P, NULL), ENOENT);
	VT_ERRNO(unmap(fd, ioas, IOVA + 4 * P, P, NULL), ENOENT);
	/* D whole; then the empty IOAS: UNMAP all is no error */
	VT_OK(unmap(fd, ioas, IOVA + 8 * P, 2 * P, &out));
	VT_EXPECT_EQ(out, 2 * P);
	out = 1;
	VT_OK(unmap(fd, ioas, 0, UINT64_MAX, &out));
	VT_EXPECT_EQ(out, 0);
	/* an area ending at the top of the space */
	map_ok(fd, ioas, RW | FIXED, buf, P, UINT64_MAX - 2 * P + 1);
	VT_OK(unmap(fd, ioas, UINT64_MAX - 2 * P + 1, P, &out));
	VT_EXPECT_EQ(out, P);
	munmap(buf, 8 * P);
}

/* ---- COPY ------------------------------------------------------------------ */

/*
 * For t_copy()'s source: A rw [IOVA, +2P), B rw [+2P, +4P), a gap, R ro
 * [+8P, +10P). .id is the destination IOAS, .va the source IOVA.
 */
static const struct bad_case copy_cases[] = {
	BAD(EINVAL, "size short of src_iova", .set = B_SIZE,
	    .size = offsetof(struct iommu_ioas_copy, src_iova)),
	BAD(EOPNOTSUPP, "unknown flag", .set = B_FLAGS,
	    .flags = RW | FIXED | 1 << 3),
	BAD(EOVERFLOW, "length U64_MAX", .set = B_LEN, .length = UINT64_MAX),
	BAD(EOVERFLOW, "src_iova U64_MAX", .set = B_VA, .va = UINT64_MAX),
	BAD(EOVERFLOW, "dst_iova U64_MAX", .set = B_IOVA, .iova = UINT64_MAX),
	BAD(EINVAL, "neither readable nor writeable", .set = B_FLAGS,
	    .flags = FIXED),
	BAD(ENOENT, "unknown source IOAS", .set = B_SRC, .src = 99),
	BAD(ENOENT, "unknown destination IOAS", .set = B_ID, .id = 99),
	BAD(EINVAL, "length 0", .set = B_LEN, .length = 0),
	BAD(EOVERFLOW, "source range wraps", .set = B_VA | B_LEN,
	    .va = UINT64_MAX - P + 1, .length = 2 * P),
	/* the source must be mapped without a gap */
	BAD(ENOENT, "source starts unmapped", .set = B_VA, .va = IOVA - P),
	BAD(ENOENT, "source runs into the gap", .set = B_VA | B_LEN,
	    .va = IOVA + 3 * P, .length = 2 * P),
	BAD(ENOENT, "source in the gap", .set = B_VA, .va = IOVA + 4 * P),
	/* a writable copy of read-only memory */
	BAD(EPERM, "RW copy of read-only", .set = B_VA, .va = IOVA + 8 * P),
	BAD(EPERM, "W copy of read-only", .set = B_VA | B_FLAGS,
	    .va = IOVA + 8 * P, .flags = IOMMU_IOAS_MAP_WRITEABLE | FIXED),
};

static void t_copy(void)
{
	const uint32_t R = IOMMU_IOAS_MAP_READABLE;
	int fd = ifd_open();
	uint32_t src = vt_ioas_alloc(fd), dst = vt_ioas_alloc(fd);
	long lck0 = vt_locked_kb(), pin0 = vt_status_kb("VmPin:");
	struct iommu_ioas_copy c;
	char *buf = area(8 * P);
	uint64_t iova, out = 0;
	size_t i;
	long ret;

	/* src: A rw [IOVA, +2P), B rw [+2P, +4P), R ro [+8P, +10P) */
	map_ok(fd, src, RW | FIXED, buf, 2 * P, IOVA);
	map_ok(fd, src, RW | FIXED, buf + 2 * P, 2 * P, IOVA + 2 * P);
	map_ok(fd, src, R | FIXED, buf + 4 * P, 2 * P, IOVA + 8 * P);

	for (i = 0; i < ARRAY_SIZE(copy_cases); i++) {
		const struct bad_case *b = &copy_cases[i];

		memset(&c, 0, sizeof(c));
		c.size = b->set & B_SIZE ? b->size : sizeof(c);
		c.flags = b->set & B_FLAGS ? b->flags : RW | FIXED;
		c.dst_ioas_id = b->set & B_ID ? b->id : dst;
		c.src_ioas_id = b->set & B_SRC ? b->src : src;
		c.length = b->set & B_LEN ? b->length : P;
		c.dst_iova = b->set & B_IOVA ? b->iova : IOVA;
		c.src_iova = b->set & B_VA ? b->va : IOVA;
		ret = ioctl(fd, IOMMU_IOAS_COPY, &c);
		vt__errno(b->line, b->what, ret, errno, b->err);
	}
	/* nothing was added by the failures */
	VT_ERRNO(unmap(fd, dst, 0, UINT64_MAX - 1, NULL), ENOENT);

	/* read-only copy of read-only memory */
	iova = 0x10000000;
	VT_OK(copy(fd, R | FIXED, dst, &iova, src, IOVA + 8 * P, 2 * P));
	/* a byte slice in the middle of A */
	iova = 0x20000000;
	VT_OK(copy(fd, RW | FIXED, dst, &iova, src, IOVA + 0x10, 0x20));
	/* across A and B: one area per source area */
	iova = 0x30000000;
	VT_OK(copy(fd, RW | FIXED, dst, &iova, src, IOVA + P, 2 * P));
	VT_OK(unmap(fd, dst, 0x30000000, P, &out));
	VT_EXPECT_EQ(out, P);
	VT_OK(unmap(fd, dst, 0x30000000 + P, P, &out));
	/* fixed destination over an area */
	iova = 0x10000000 + P;
	VT_ERRNO(copy(fd, R | FIXED, dst, &iova, src, IOVA, P), EEXIST);
	/* kernel-chosen destination */
	iova = 0;
	VT_OK(copy(fd, RW, dst, &iova, src, IOVA, 4 * P));
	VT_EXPECT(iova && !(iova % P), "iova %#llx", (unsigned long long)iova);
	/* into the same IOAS */
	iova = 0x50000000;
	VT_OK(copy(fd, RW | FIXED, src, &iova, src, IOVA, 4 * P));
	/* the copy outlives its source */
	VT_OK(unmap(fd, src, 0, UINT64_MAX, &out));
	VT_EXPECT_EQ(out, 2 * P + 2 * P + 2 * P + 4 * P);
	VT_OK(destroy(fd, src));
	VT_OK(unmap(fd, dst, 0, UINT64_MAX, &out));
	VT_EXPECT_EQ(out, 2 * P + 0x20 + 4 * P);
	VT_EXPECT_EQ(vt_locked_kb(), lck0);
	VT_EXPECT_EQ(vt_status_kb("VmPin:"), pin0);
	munmap(buf, 8 * P);
}

/* ---- OPTION ---------------------------------------------------------------- */

static void t_option_rlimit(void)
{
	struct iommu_option o;
	int fd = ifd_open();
	uint64_t v;

	v = 7;
	VT_OK(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v));
	VT_EXPECT_EQ(v, 0);
	v = 1;
	VT_OK(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v));
	VT_EXPECT_EQ(v, 1);
	v = 0;
	VT_OK(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v));
	VT_EXPECT_EQ(v, 1);
	v = 2;
	VT_ERRNO(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0,
			&v), EINVAL);
	v = 0;
	VT_ERRNO(option(fd, IOMMU_OPTION_RLIMIT_MODE, 2, 0, &v), EOPNOTSUPP);
	VT_ERRNO(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 1,
			&v), EOPNOTSUPP);
	VT_ERRNO(option(fd, 2, IOMMU_OPTION_OP_GET, 0, &v), EOPNOTSUPP);
	VT_ERRNO(option(fd, 0xffffffff, IOMMU_OPTION_OP_GET, 0, &v),
		 EOPNOTSUPP);
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.op = IOMMU_OPTION_OP_GET;
	o.__reserved = 1;
	VT_ERRNO(ioctl(fd, IOMMU_OPTION, &o), EOPNOTSUPP);
	o.__reserved = 0;
	o.size = offsetof(struct iommu_option, val64);
	VT_ERRNO(ioctl(fd, IOMMU_OPTION, &o), EINVAL);
	/* only while the context has no object */
	vt_ioas_alloc(fd);
	v = 0;
	VT_ERRNO(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0,
			&v), EBUSY);
	VT_OK(destroy(fd, 1));
	VT_OK(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v));
	VT_OK(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v));
	VT_EXPECT_EQ(v, 0);
	/* SET needs CAP_SYS_RESOURCE; GET does not */
	VT_ASSERT(!vt_drop_cap(CAP_SYS_RESOURCE), "drop CAP_SYS_RESOURCE");
	v = 1;
	VT_ERRNO(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0,
			&v), EPERM);
	VT_OK(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v));
	VT_EXPECT_EQ(v, 0);
}

static void t_option_huge(void)
{
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd), num = 1;
	struct iommu_iova_range r;
	char *buf = area(8 * P);
	uint64_t v = 0, iova, align;

	VT_ERRNO(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0,
			&v), ENOENT);
	VT_ERRNO(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 99,
			&v), ENOENT);
	v = 0;
	VT_OK(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas,
		     &v));
	VT_EXPECT_EQ(v, 1);
	v = 2;
	VT_ERRNO(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas,
			&v), EINVAL);
	VT_ERRNO(option(fd, IOMMU_OPTION_HUGE_PAGES, 5, ioas, &v), EOPNOTSUPP);
	/* a sub-page area prevents page alignment */
	map_ok(fd, ioas, RW | FIXED, buf + 1, P, IOVA + 1);
	v = 0;
	VT_ERRNO(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas,
			&v), EADDRINUSE);
	VT_OK(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas,
		     &v));
	VT_EXPECT_EQ(v, 1);
	VT_OK(unmap(fd, ioas, IOVA + 1, P, NULL));
	map_ok(fd, ioas, RW | FIXED, buf, 2 * P, IOVA);
	v = 0;
	VT_OK(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas,
		     &v));
	v = 1;
	VT_OK(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas,
		     &v));
	VT_EXPECT_EQ(v, 0);
	VT_OK(ranges(fd, ioas, &r, &num, &align));
	VT_EXPECT_EQ(align, P);
	/* now IOVA, length and VA offset must be page multiples */
	iova = IOVA + 0x10800;
	VT_ERRNO(map(fd, ioas, RW | FIXED, buf, P, &iova), EINVAL);
	iova = IOVA + 0x10000;
	VT_ERRNO(map(fd, ioas, RW | FIXED, buf, 0x800, &iova), EINVAL);
	VT_ERRNO(map(fd, ioas, RW | FIXED, buf + 0x800, P, &iova), EINVAL);
	iova = 0;
	VT_ERRNO(map(fd, ioas, RW, buf, 0x800, &iova), EINVAL);
	VT_ERRNO(map(fd, ioas, RW, buf + 0x800, P, &iova), EINVAL);
	iova = 0;
	VT_OK(map(fd, ioas, RW, buf, 2 * P, &iova));
	VT_EXPECT_EQ(iova % P, 0);
	/* a COPY of a sub-page slice is refused likewise */
	iova = IOVA + 0x20000;
	VT_ERRNO(copy(fd, RW | FIXED, ioas, &iova, ioas, IOVA + 0x10, P),
		 EINVAL);
	VT_ERRNO(copy(fd, RW | FIXED, ioas, &iova, ioas, IOVA, 0x10), EINVAL);
	/* setting the same value again is fine; back to huge pages */
	v = 0;
	VT_OK(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas,
		     &v));
	v = 1;
	VT_OK(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, ioas,
		     &v));
	num = 1;
	VT_OK(ranges(fd, ioas, &r, &num, &align));
	VT_EXPECT_EQ(align, 1);
	map_ok(fd, ioas, RW | FIXED, buf + 3, 5, 0x7000003);
	munmap(buf, 8 * P);
}

/* The reply of MAP/COPY cannot be written: EFAULT, no id taken. */
static void t_reply_efault(void)
{
	struct iommu_ioas_map *m;
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd);
	char *buf = area(P);

	m = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	VT_ASSERT(m != MAP_FAILED, "mmap");
	m->size = sizeof(*m);
	m->flags = RW;
	m->ioas_id = ioas;
	m->user_va = (uintptr_t)buf;
	m->length = P;
	VT_ASSERT(!mprotect(m, P, PROT_READ), "mprotect");
	VT_ERRNO(ioctl(fd, IOMMU_IOAS_MAP, m), EFAULT);
	munmap(m, P);
	VT_EXPECT_EQ(vt_ioas_alloc(fd), ioas + 1);
	munmap(buf, P);
}


/* ---- IOMMU_VFIO_IOAS and the VFIO container ioctls -------------------- */

static int vfio_ioas(int fd, uint16_t op, uint32_t *id)
{
	struct iommu_vfio_ioas v = {
		.size = sizeof(v), .op = op, .ioas_id = id ? *id : 0,
	};
	int ret = ioctl(fd, IOMMU_VFIO_IOAS, &v);

	if (!ret && id)
		*id = v.ioas_id;
	return ret;
}

static void t_vfio_ioas(void)
{
	int fd = ifd_open();
	uint32_t a = vt_ioas_alloc(fd), b = vt_ioas_alloc(fd), id = 0;
	struct iommu_vfio_ioas v = { .size = sizeof(v) };

	/* none yet */
	VT_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), ENODEV);
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, NULL));
	id = 99;
	VT_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ENOENT);
	id = 0;
	VT_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ENOENT);
	VT_ERRNO(vfio_ioas(fd, 3, &id), EOPNOTSUPP);
	v.op = IOMMU_VFIO_IOAS_GET;
	v.__reserved = 1;
	VT_ERRNO(ioctl(fd, IOMMU_VFIO_IOAS, &v), EOPNOTSUPP);
	v.__reserved = 0;
	v.size = offsetof(struct iommu_vfio_ioas, __reserved);
	VT_ERRNO(ioctl(fd, IOMMU_VFIO_IOAS, &v), EINVAL);

	id = a;
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	id = 0;
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	VT_EXPECT_EQ(id, a);
	id = b;
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	id = 0;
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	VT_EXPECT_EQ(id, b);
	/* the compat IOAS is no reference: DESTROY works and clears it */
	VT_OK(destroy(fd, b));
	VT_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), ENODEV);
	id = a;
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, NULL));
	VT_ERRNO(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), ENODEV);
	/* destroying another IOAS leaves it alone */
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	b = vt_ioas_alloc(fd);
	VT_OK(destroy(fd, b));
	id = 0;
	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id));
	VT_EXPECT_EQ(id, a);
}

static int dma_map(int fd, uint32_t flags, void *va, uint64_t len,
		   uint64_t iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)va,
		.iova = iova, .size = len,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &m);
}

/* UNMAP_DMA; *size in: the length, out: what came back (also on error). */
static int dma_unmap(int fd, uint32_t flags, uint64_t iova, uint64_t *size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = *size,
	};
	int ret = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u);

	*size = u.size;
	return ret;
}

#define DMA_RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/*
 * The answer to CHECK_EXTENSION(VFIO_NOIOMMU_IOMMU): upstream's is
 * CONFIG_VFIO_NOIOMMU, which Debian's build (and our debug kernel) lack;
 * our stack always has no-IOMMU support. -1: unknown stack, either.
 */
static int noiommu_answer(void)
{
	const char *stack = getenv("VFIO_STACK");

	if (stack && !strcmp(stack, "intree"))
		return 0;
	if (stack && !strcmp(stack, "ours"))
		return 1;
	return -1;
}

/* Without a compat IOAS: what does not need one works, the rest ENODEV. */
static void t_compat_none(void)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	int fd = ifd_open(), noiommu = noiommu_answer();
	char *buf = area(P);
	uint64_t size = P;
	long r;

	VT_EXPECT_EQ(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	VT_EXPECT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), 1);
	VT_EXPECT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	VT_EXPECT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), 1);
	VT_EXPECT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU),
		     0);
	VT_EXPECT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0);
	VT_EXPECT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU), 0);
	VT_EXPECT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, 999), 0);
	r = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU);
	if (noiommu >= 0)
		VT_EXPECT_EQ(r, noiommu);
	else
		VT_EXPECT(r == 0 || r == 1, "got %ld", r);
	/* DMA_CC_IOMMU looks at the compat IOAS: its errno comes back */
	VT_ERRNO(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), ENODEV);

	/* no group: no IOMMU to set */
	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), ENODEV);
	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), ENODEV);
	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, 99), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_IOMMU_GET_INFO, &info), ENODEV);
	info.argsz = offsetof(struct vfio_iommu_type1_info, iova_pgsizes);
	VT_ERRNO(ioctl(fd, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	VT_ERRNO(dma_map(fd, DMA_RW, buf, P, IOVA), ENODEV);
	VT_ERRNO(dma_unmap(fd, 0, IOVA, &size), ENODEV);
	/* argsz and flags are checked first */
	m.argsz = offsetof(struct vfio_iommu_type1_dma_map, size);
	VT_ERRNO(ioctl(fd, VFIO_IOMMU_MAP_DMA, &m), EINVAL);
	VT_ERRNO(dma_map(fd, VFIO_DMA_MAP_FLAG_VADDR, buf, P, IOVA), EINVAL);
	size = P;
	VT_ERRNO(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, IOVA,
			   &size), EINVAL);
	VT_ERRNO(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_VADDR, IOVA, &size), EINVAL);
	/* not emulated at all */
	VT_ERRNO(ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &info), ENOTTY);
	VT_ERRNO(ioctl(fd, VFIO_GROUP_GET_STATUS, &info), ENOTTY);
	VT_ERRNO(ioctl(fd, VFIO_DEVICE_GET_INFO, &info), ENOTTY);
	munmap(buf, P);
}

/* Walk GET_INFO's capability chain: DMA_AVAIL, then IOVA_RANGE. */
static void check_info(int fd, uint32_t *argsz_out)
{
	union {
		struct vfio_iommu_type1_info info;
		uint8_t raw[512];
	} u;
	struct vfio_iommu_type1_info_cap_iova_range *iova;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_info_cap_header *h;
	uint32_t need;

	/* header only: argsz says how much the chain needs */
	memset(&u, 0xff, sizeof(u));
	u.info.argsz = sizeof(u.info);
	VT_OK(ioctl(fd, VFIO_IOMMU_GET_INFO, &u.info));
	need = u.info.argsz;
	VT_EXPECT_EQ(need, sizeof(u.info) + 16 + 32);
	VT_EXPECT_EQ(u.info.flags, VFIO_IOMMU_INFO_PGSIZES |
		     VFIO_IOMMU_INFO_CAPS);
	VT_EXPECT_EQ(u.info.cap_offset, 0);
	VT_EXPECT_EQ(u.info.iova_pgsizes, ~(uint64_t)(P - 1));
	/* the old short struct: no cap_offset written back */
	memset(&u, 0xff, sizeof(u));
	u.info.argsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	VT_OK(ioctl(fd, VFIO_IOMMU_GET_INFO, &u.info));
	VT_EXPECT_EQ(u.info.argsz, need);
	VT_EXPECT_EQ(u.info.cap_offset, 0xffffffff);

	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u);
	VT_OK(ioctl(fd, VFIO_IOMMU_GET_INFO, &u.info));
	VT_EXPECT_EQ(u.info.argsz, need);
	VT_ASSERT(u.info.cap_offset == sizeof(u.info), "cap_offset %u",
		  u.info.cap_offset);
	h = (void *)(u.raw + u.info.cap_offset);
	VT_EXPECT_EQ(h->id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	VT_EXPECT_EQ(h->version, 1);
	avail = (void *)h;
	VT_EXPECT_EQ(avail->avail, UINT32_MAX);
	VT_ASSERT(h->next == sizeof(u.info) + 16, "next %u", h->next);
	h = (void *)(u.raw + h->next);
	VT_EXPECT_EQ(h->id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	VT_EXPECT_EQ(h->version, 1);
	VT_EXPECT_EQ(h->next, 0);
	iova = (void *)h;
	/* nothing reserved without devices: all of it */
	VT_EXPECT_EQ(iova->nr_iovas, 1);
	VT_EXPECT_EQ(iova->iova_ranges[0].start, 0);
	VT_EXPECT_EQ(iova->iova_ranges[0].end, UINT64_MAX);
	if (argsz_out)
		*argsz_out = need;
}

/* The container ioctls on a compat IOAS chosen with IOMMU_VFIO_IOAS. */
static void t_compat_map(void)
{
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd), id = ioas;
	char *buf = area(16 * P);
	uint64_t size, iova;

	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	VT_OK(ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	/* again, or v2 after v2: fine (no container state of its own) */
	VT_OK(ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), EINVAL);
	/* no HWPT on it: every one (none) enforces coherency */
	VT_EXPECT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), 1);
	check_info(fd, NULL);

	VT_OK(dma_map(fd, DMA_RW, buf, 4 * P, IOVA));
	/* the same IOAS: its ioctls see the mapping */
	iova = IOVA;
	VT_ERRNO(map(fd, ioas, RW | FIXED, buf, P, &iova), EEXIST);
	VT_ERRNO(dma_map(fd, DMA_RW, buf, P, IOVA + P), EEXIST);
	/* neither READ nor WRITE: accepted, as upstream */
	VT_OK(dma_map(fd, 0, buf + 4 * P, P, IOVA + 8 * P));
	VT_OK(dma_map(fd, VFIO_DMA_MAP_FLAG_READ, buf + 4 * P, P,
		      IOVA + 9 * P));
	VT_ERRNO(dma_map(fd, DMA_RW, buf, 0, IOVA + 10 * P), EINVAL);
	VT_ERRNO(dma_map(fd, DMA_RW, buf, P, UINT64_MAX - P + 2), EOVERFLOW);

	/* v2: whole mappings only; nothing there is no error */
	size = 2 * P;
	VT_ERRNO(dma_unmap(fd, 0, IOVA, &size), ENOENT);
	VT_EXPECT_EQ(size, 0);
	size = P;
	VT_OK(dma_unmap(fd, 0, IOVA + 20 * P, &size));
	VT_EXPECT_EQ(size, 0);
	size = 0;
	VT_ERRNO(dma_unmap(fd, 0, IOVA, &size), EINVAL);
	size = 2;
	VT_ERRNO(dma_unmap(fd, 0, UINT64_MAX, &size), EOVERFLOW);
	size = 4 * P;
	VT_OK(dma_unmap(fd, 0, IOVA, &size));
	VT_EXPECT_EQ(size, 4 * P);
	/* ALL: iova and size must be 0 */
	size = P;
	VT_ERRNO(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &size), EINVAL);
	size = 0;
	VT_ERRNO(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, P, &size), EINVAL);
	size = 0;
	VT_OK(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &size));
	VT_EXPECT_EQ(size, 2 * P);
	size = 0;
	VT_OK(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &size));
	VT_EXPECT_EQ(size, 0);

	/* the compat IOAS gone: back to ENODEV */
	VT_OK(destroy(fd, ioas));
	VT_ERRNO(dma_map(fd, DMA_RW, buf, P, IOVA), ENODEV);
	munmap(buf, 16 * P);
}

/* VFIO_TYPE1_IOMMU: huge pages off, unmaps may cut mappings. */
static void t_compat_type1v1(void)
{
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd), id = ioas;
	char *buf = area(16 * P);
	uint64_t size, v = 1;

	VT_OK(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id));
	VT_OK(dma_map(fd, DMA_RW, buf, 8 * P, IOVA));
	VT_OK(ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	VT_OK(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas,
		     &v));
	VT_EXPECT_EQ(v, 0);

	/* a hole in the middle, then the pieces one by one */
	size = 2 * P;
	VT_OK(dma_unmap(fd, 0, IOVA + 3 * P, &size));
	VT_EXPECT_EQ(size, 2 * P);
	VT_ERRNO(dma_map(fd, DMA_RW, buf, P, IOVA + 2 * P), EEXIST);
	VT_OK(dma_map(fd, DMA_RW, buf, 2 * P, IOVA + 3 * P));
	/* a cut off the page size */
	size = P / 2;
	VT_ERRNO(dma_unmap(fd, 0, IOVA + P, &size), EINVAL);
	size = P;
	VT_OK(dma_unmap(fd, 0, IOVA, &size));
	VT_EXPECT_EQ(size, P);
	/* across three areas, cutting the first and the last */
	size = 4 * P;
	VT_OK(dma_unmap(fd, 0, IOVA + 2 * P, &size));
	VT_EXPECT_EQ(size, 4 * P);
	size = 0;
	VT_OK(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &size));
	VT_EXPECT_EQ(size, 3 * P);
	munmap(buf, 16 * P);
}

/* ---- a VFIO group on /dev/iommu: the iommufd as its container ------- */

#define XFER		2048		/* edu: at most half its buffer */
#define GIOVA		0x200000UL	/* below edu's 28-bit DMA mask */
#define MSI_IOVA	0xfee00000ULL	/* VT-d's reserved MSI window */
/*
 * Ids in a fresh context, lowest free first: the compat IOAS made by
 * SET_CONTAINER, then the device bound at its first open.
 */
#define COMPAT_ID	1
#define DEVICE_ID	2

static const struct vt_dev *gedu[2];

static void need_edu(int n)
{
	if (!gedu[n - 1])
		vt_skip("needs %d edu device(s) (-d BDF)", n);
}

static int set_container(int group, int fd)
{
	return ioctl(group, VFIO_GROUP_SET_CONTAINER, &fd);
}

static uint32_t group_flags(int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	VT_OK(ioctl(group, VFIO_GROUP_GET_STATUS, &st));
	return st.flags;
}

#define SET_VIABLE	(VFIO_GROUP_FLAGS_CONTAINER_SET | \
			 VFIO_GROUP_FLAGS_VIABLE)

static int get_device(int group, const struct vt_dev *d)
{
	return ioctl(group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
}

/* RAM at @from -> edu buffer -> RAM at @to, through the IOMMU. */
static bool edu_copy(int dev, uint64_t from, uint64_t to)
{
	struct vt_edu e = { .dev = dev };

	vt_edu_enable(&e);
	if (vt_edu_rd(&e, EDU_REG_IDENT) != VT_EDU_IDENT)
		return false;
	if (!vt_edu_dma(&e, from, EDU_DMA_BUF_ADDR, XFER, 0))
		return false;
	return vt_edu_dma(&e, EDU_DMA_BUF_ADDR, to, XFER, EDU_DMA_CMD_TO_RAM);
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 13 + (i >> 8));
}

/* @buf's first page copied to its second by the device behind @dev. */
static void dma_through(int dev, unsigned char *buf, uint64_t iova,
			unsigned int seed)
{
	fill(buf, XFER, seed);
	memset(buf + P, 0, XFER);
	VT_ASSERT(edu_copy(dev, iova, iova + P), "edu DMA timed out");
	VT_EXPECT(!memcmp(buf, buf + P, XFER),
		  "data did not come back through the iommufd mapping");
}

/* SET/UNSET_CONTAINER with an iommufd, no device opened. */
static void t_group_set_container(void)
{
	int ifd, ifd2, group, container, efd, closed;
	uint32_t id = 0, mine;

	need_edu(1);
	ifd = ifd_open();
	ifd2 = ifd_open();
	container = vt_open_container();
	group = vt_open_group(gedu[0]);
	efd = vt_eventfd();
	VT_EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
	/* not set yet: no device, no UNSET */
	VT_ERRNO(get_device(group, gedu[0]), EINVAL);
	VT_ERRNO(ioctl(group, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	/* neither a container nor an iommufd */
	VT_ERRNO(set_container(group, efd), EBADFD);
	closed = dup(efd);
	close(closed);
	VT_ERRNO(set_container(group, closed), EBADF);
	VT_ERRNO(set_container(group, -1), EBADF);

	VT_OK(set_container(group, ifd));
	VT_EXPECT_EQ(group_flags(group), SET_VIABLE);
	/* the compat IOAS exists now */
	VT_OK(vfio_ioas(ifd, IOMMU_VFIO_IOAS_GET, &id));
	VT_EXPECT_EQ(id, COMPAT_ID);
	/* a second SET of any kind */
	VT_ERRNO(set_container(group, ifd), EINVAL);
	VT_ERRNO(set_container(group, ifd2), EINVAL);
	VT_ERRNO(set_container(group, container), EINVAL);
	VT_ERRNO(set_container(group, efd), EINVAL);
	/* the type1 ioctls work on the compat IOAS, as on a container */
	VT_EXPECT_EQ(ioctl(ifd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	VT_OK(ioctl(ifd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	VT_ERRNO(ioctl(ifd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), EINVAL);

	VT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	VT_EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
	VT_ERRNO(ioctl(group, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	VT_ERRNO(get_device(group, gedu[0]), EINVAL);
	/* the compat IOAS is the context's: it stays */
	id = 0;
	VT_OK(vfio_ioas(ifd, IOMMU_VFIO_IOAS_GET, &id));
	VT_EXPECT_EQ(id, COMPAT_ID);

	/* set again: the existing compat IOAS is used, no new one */
	VT_OK(set_container(group, ifd));
	VT_OK(vfio_ioas(ifd, IOMMU_VFIO_IOAS_GET, &id));
	VT_EXPECT_EQ(id, COMPAT_ID);
	VT_EXPECT_EQ(vt_ioas_alloc(ifd), COMPAT_ID + 1);
	VT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));

	/* an IOAS chosen with IOMMU_VFIO_IOAS before is kept */
	mine = vt_ioas_alloc(ifd2);
	id = mine;
	VT_OK(vfio_ioas(ifd2, IOMMU_VFIO_IOAS_SET, &id));
	VT_OK(set_container(group, ifd2));
	id = 0;
	VT_OK(vfio_ioas(ifd2, IOMMU_VFIO_IOAS_GET, &id));
	VT_EXPECT_EQ(id, mine);
	VT_EXPECT_EQ(vt_ioas_alloc(ifd2), mine + 1);
	VT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));

	/* from an iommufd to a container and back */
	VT_OK(set_container(group, container));
	VT_EXPECT_EQ(group_flags(group), SET_VIABLE);
	VT_ERRNO(set_container(group, ifd), EINVAL);
	VT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	VT_OK(set_container(group, ifd));
	/* closing the group fd unsets it */
	vt_close(group);
	group = vt_open_group(gedu[0]);
	VT_EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
}

/*
 * QEMU's order on a legacy container, with /dev/iommu in its place:
 * SET_CONTAINER, SET_IOMMU(TYPE1v2), MAP_DMA, GET_DEVICE_FD; the device
 * is bound to the context (its DEVICE object exists while it is open)
 * and DMAs through the mapping.
 */
static void t_group_dma(void)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	long pin0 = vt_pinned_kb();
	unsigned char *buf = vt_alloc(2 * P);
	int ifd, group, dev;
	uint64_t size;

	need_edu(1);
	ifd = ifd_open();
	group = vt_open_group(gedu[0]);
	VT_OK(set_container(group, ifd));
	VT_OK(ioctl(ifd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	VT_OK(ioctl(ifd, VFIO_IOMMU_GET_INFO, &info));
	VT_EXPECT(info.flags & VFIO_IOMMU_INFO_PGSIZES, "flags %#x",
		  info.flags);
	VT_OK(dma_map(ifd, DMA_RW, buf, 2 * P, GIOVA));
	/* no domain yet: nothing pinned */
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);

	dev = VT_OK_FATAL(get_device(group, gedu[0]));
	vt_track(dev);
	/* attached: the compat IOAS has a domain, the pages are pinned */
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	/* the device is the context's: its object is busy */
	VT_ERRNO(destroy(ifd, DEVICE_ID), EBUSY);
	VT_ERRNO(destroy(ifd, COMPAT_ID), EBUSY);
	dma_through(dev, buf, GIOVA, 1);

	/* a second fd of the open device shares its binding */
	vt_close(vt_track(VT_OK_FATAL(get_device(group, gedu[0]))));
	dma_through(dev, buf, GIOVA, 2);

	/* unmapped: nothing pinned any more */
	size = 2 * P;
	VT_OK(dma_unmap(ifd, 0, GIOVA, &size));
	VT_EXPECT_EQ(size, 2 * P);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	/* mapped again while attached: pinned at once */
	VT_OK(dma_map(ifd, DMA_RW, buf, 2 * P, GIOVA + 4 * P));
	VT_EXPECT_EQ(vt_pinned_kb(), pin0 + 2 * P / 1024);
	dma_through(dev, buf, GIOVA + 4 * P, 3);

	/* last close: unbound, DEVICE object gone, domain gone */
	vt_close(dev);
	VT_ERRNO(destroy(ifd, DEVICE_ID), ENOENT);
	VT_EXPECT_EQ(vt_pinned_kb(), pin0);
	munmap(buf, 2 * P);
}

/*
 * No SET_IOMMU at all (an iommufd needs none), the device opened first,
 * then mappings through both APIs of the context: MAP_DMA and IOAS_MAP
 * on the compat IOAS.
 */
static void t_group_dma_direct(void)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	unsigned char *buf = vt_alloc(4 * P);
	struct vfio_iommu_type1_info *info;
	uint64_t info_buf[64] = { 0 };
	int ifd, group, dev;
	uint32_t id = 0, i;
	uint64_t size;

	need_edu(1);
	ifd = ifd_open();
	group = vt_open_group(gedu[0]);
	VT_OK(set_container(group, ifd));
	dev = VT_OK_FATAL(get_device(group, gedu[0]));
	vt_track(dev);
	VT_OK(dma_map(ifd, DMA_RW, buf, 2 * P, GIOVA));
	dma_through(dev, buf, GIOVA, 4);
	VT_OK(vfio_ioas(ifd, IOMMU_VFIO_IOAS_GET, &id));
	VT_OK(vt_ioas_map(ifd, id, buf + 2 * P, GIOVA + 8 * P, 2 * P, RW));
	dma_through(dev, buf + 2 * P, GIOVA + 8 * P, 5);
	/* the device's reserved regions: the MSI window is left out */
	info = (void *)info_buf;
	VT_OK(vt_iommu_info(ifd, info_buf, sizeof(info_buf)));
	cap = vt_find_cap(info_buf, sizeof(info_buf), info->cap_offset,
			  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	VT_ASSERT(cap, "no IOVA_RANGE capability");
	VT_EXPECT(cap->nr_iovas >= 2, "%u ranges", cap->nr_iovas);
	for (i = 0; i < cap->nr_iovas &&
	     (void *)&cap->iova_ranges[i + 1] <= (void *)(info_buf + 64); i++)
		VT_EXPECT(cap->iova_ranges[i].start > MSI_IOVA ||
			  cap->iova_ranges[i].end < MSI_IOVA,
			  "range %u: %#llx-%#llx holds the MSI window", i,
			  (unsigned long long)cap->iova_ranges[i].start,
			  (unsigned long long)cap->iova_ranges[i].end);
	size = 0;
	VT_OK(dma_unmap(ifd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &size));
	VT_EXPECT_EQ(size, 4 * P);
	vt_close(dev);
	munmap(buf, 4 * P);
}

/*
 * UNSET_CONTAINER with the device open succeeds (upstream: the device
 * keeps its binding to the context until its last close); the group has
 * no container then and hands out no device fd.
 */
static void t_group_unset_open(void)
{
	unsigned char *buf = vt_alloc(2 * P);
	int ifd, group, dev, container;

	need_edu(1);
	ifd = ifd_open();
	container = vt_open_container();
	group = vt_open_group(gedu[0]);
	VT_OK(set_container(group, ifd));
	VT_OK(dma_map(ifd, DMA_RW, buf, 2 * P, GIOVA));
	dev = VT_OK_FATAL(get_device(group, gedu[0]));
	vt_track(dev);
	VT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	/* not even VIABLE: the context still owns the device's DMA */
	VT_EXPECT_EQ(group_flags(group), 0);
	VT_ERRNO(get_device(group, gedu[0]), EINVAL);
	/* still bound and attached */
	VT_ERRNO(destroy(ifd, DEVICE_ID), EBUSY);
	dma_through(dev, buf, GIOVA, 6);
	/* the context owns the device's DMA: no container can claim it */
	VT_ERRNO(set_container(group, container), EPERM);
	/* the same context again: the open device is shared */
	VT_OK(set_container(group, ifd));
	vt_close(vt_track(VT_OK_FATAL(get_device(group, gedu[0]))));
	vt_close(dev);
	VT_ERRNO(destroy(ifd, DEVICE_ID), ENOENT);
	/* closed and unbound: the group is free again */
	VT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	VT_EXPECT_EQ(group_flags(group), VFIO_GROUP_FLAGS_VIABLE);
	munmap(buf, 2 * P);
}

/*
 * Bad cases at GET_DEVICE_FD: the compat IOAS destroyed (ENODEV, the
 * device left closed and unbound), then one chosen with IOMMU_VFIO_IOAS;
 * afterwards the group is reused with a container and the iommufd again.
 */
static void t_group_reuse(void)
{
	unsigned char *buf = vt_alloc(2 * P);
	int ifd, group, dev, container;
	uint32_t id;

	need_edu(1);
	ifd = ifd_open();
	group = vt_open_group(gedu[0]);
	VT_OK(set_container(group, ifd));
	VT_OK(destroy(ifd, COMPAT_ID));
	VT_ERRNO(dma_map(ifd, DMA_RW, buf, 2 * P, GIOVA), ENODEV);
	VT_ERRNO(get_device(group, gedu[0]), ENODEV);
	/* unbound again: its object id is free (the next ALLOC takes it) */
	id = vt_ioas_alloc(ifd);
	VT_EXPECT_EQ(id, COMPAT_ID);
	VT_OK(vfio_ioas(ifd, IOMMU_VFIO_IOAS_SET, &id));
	VT_OK(dma_map(ifd, DMA_RW, buf, 2 * P, GIOVA));
	dev = VT_OK_FATAL(get_device(group, gedu[0]));
	vt_track(dev);
	dma_through(dev, buf, GIOVA, 7);
	vt_close(dev);
	VT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));

	/* a legacy container after the iommufd: type1 DMA */
	container = vt_open_container();
	VT_OK(set_container(group, container));
	vt_set_iommu(container, VFIO_TYPE1v2_IOMMU);
	VT_OK(vt_map(container, buf, GIOVA, 2 * P, DMA_RW));
	dev = vt_get_device(group, gedu[0]->bdf);
	dma_through(dev, buf, GIOVA, 8);
	/* a device is open: a container cannot be unset */
	VT_ERRNO(ioctl(group, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
	vt_close(dev);
	VT_OK(ioctl(group, VFIO_GROUP_UNSET_CONTAINER));
	vt_close(container);

	/* and the iommufd once more: bound afresh */
	VT_OK(set_container(group, ifd));
	dev = VT_OK_FATAL(get_device(group, gedu[0]));
	vt_track(dev);
	dma_through(dev, buf, GIOVA, 9);
	vt_close(dev);
	munmap(buf, 2 * P);
}

/* Two groups on one context share the compat IOAS and its mappings. */
static void t_group_two(void)
{
	unsigned char *buf = vt_alloc(2 * P);
	int ifd, g0, g1, d0, d1;

	need_edu(2);
	ifd = ifd_open();
	g0 = vt_open_group(gedu[0]);
	g1 = vt_open_group(gedu[1]);
	VT_OK(set_container(g0, ifd));
	VT_OK(set_container(g1, ifd));
	VT_OK(ioctl(ifd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	VT_OK(dma_map(ifd, DMA_RW, buf, 2 * P, GIOVA));
	d0 = VT_OK_FATAL(get_device(g0, gedu[0]));
	vt_track(d0);
	d1 = VT_OK_FATAL(get_device(g1, gedu[1]));
	vt_track(d1);
	dma_through(d0, buf, GIOVA, 10);
	dma_through(d1, buf, GIOVA, 11);
	/* one device of the context closed, the other keeps going */
	vt_close(d0);
	dma_through(d1, buf, GIOVA, 12);
	vt_close(d1);
	munmap(buf, 2 * P);
}

/* The group path and the device cdev exclude each other, as before. */
static void t_group_cdev(void)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	char name[64];
	int ifd, group, dev, cdev;

	need_edu(1);
	if (vt_cdev_name(gedu[0]->bdf, name, sizeof(name)))
		vt_skip("no vfio-dev node for %s", gedu[0]->bdf);
	ifd = ifd_open();
	group = vt_open_group(gedu[0]);
	VT_OK(set_container(group, ifd));
	dev = VT_OK_FATAL(get_device(group, gedu[0]));
	vt_track(dev);
	cdev = vt_open_cdev(gedu[0]);
	b.iommufd = ifd;
	/* the group fd is open: no BIND, even into the same context */
	VT_ERRNO(ioctl(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), EBUSY);
	vt_close(dev);
	VT_ERRNO(ioctl(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b), EBUSY);
	vt_close(group);
	VT_OK(ioctl(cdev, VFIO_DEVICE_BIND_IOMMUFD, &b));
	/* bound through the cdev: the group cannot be opened */
	VT_ERRNO(open(gedu[0]->group_path, O_RDWR | O_CLOEXEC), EBUSY);
	vt_close(cdev);
}

/*
 * KVM's kvm-vfio device takes the group fd of a group on an iommufd
 * (vfio_file_is_valid, set_kvm, enforced_coherent); the device opens
 * with the VM known and DMAs as without it.
 */
static void t_group_kvm(void)
{
	unsigned char *buf = vt_alloc(2 * P);
	int ifd, group, dev;
	struct vt_kvm k;

	need_edu(1);
	vt_kvm_open(&k);
	ifd = ifd_open();
	group = vt_open_group(gedu[0]);
	VT_OK(set_container(group, ifd));
	VT_OK(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_ADD, group));
	VT_EXPECT_EQ(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_ADD, group), -EEXIST);
	/* an iommufd is no VFIO file */
	VT_EXPECT_EQ(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_ADD, ifd), -EINVAL);
	VT_OK(dma_map(ifd, DMA_RW, buf, 2 * P, GIOVA));
	dev = VT_OK_FATAL(get_device(group, gedu[0]));
	vt_track(dev);
	dma_through(dev, buf, GIOVA, 13);
	VT_OK(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_DEL, group));
	VT_EXPECT_EQ(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_DEL, group), -ENOENT);
	VT_OK(vt_kvm_file(&k, KVM_DEV_VFIO_GROUP_ADD, group));
	/* the device closed with the VM still holding the group */
	vt_close(dev);
	vt_kvm_close(&k);
	munmap(buf, 2 * P);
}

/* ---- HWPT_ALLOC and GET_HW_INFO: the checks before the device ------ */

static void t_hwpt_no_device(void)
{
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd);
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .dev_id = ioas, .pt_id = ioas,
	};
	struct iommu_hw_info i = { .size = sizeof(i), .dev_id = ioas };
	uint8_t data[64];

	/* no device with that id (an IOAS is not one) */
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), ENOENT);
	h.dev_id = 99;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), ENOENT);
	/* flags are the driver's business, after the lookups */
	h.flags = 0x80000000;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), ENOENT);
	h.flags = 0;
	/* before them: __reserved, data type against length */
	h.__reserved = 1;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), EOPNOTSUPP);
	h.__reserved = 0;
	h.data_len = sizeof(data);
	h.data_uptr = (uintptr_t)data;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	h.data_type = IOMMU_HWPT_DATA_VTD_S1;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), ENOENT);
	h.data_len = 0;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	h.data_type = 0;
	h.size = offsetof(struct iommu_hwpt_alloc, __reserved);
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), EINVAL);
	/* the minimum ends at __reserved: data and fault_id optional */
	h.size = offsetofend(struct iommu_hwpt_alloc, __reserved);
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), ENOENT);

	VT_ERRNO(ioctl(fd, IOMMU_GET_HW_INFO, &i), ENOENT);
	i.flags = 1;
	VT_ERRNO(ioctl(fd, IOMMU_GET_HW_INFO, &i), EOPNOTSUPP);
	i.flags = 0;
	i.__reserved[2] = 1;
	VT_ERRNO(ioctl(fd, IOMMU_GET_HW_INFO, &i), EOPNOTSUPP);
	i.__reserved[2] = 0;
	i.size = offsetof(struct iommu_hw_info, __reserved) + 2;
	VT_ERRNO(ioctl(fd, IOMMU_GET_HW_INFO, &i), EINVAL);
	/* the minimum ends at __reserved: out_capabilities optional */
	i.size = offsetofend(struct iommu_hw_info, __reserved);
	VT_ERRNO(ioctl(fd, IOMMU_GET_HW_INFO, &i), ENOENT);
	/* none of this took an id */
	VT_EXPECT_EQ(vt_ioas_alloc(fd), ioas + 1);
}

/* ---- dirty tracking: everything before a HWPT_PAGING ------------------ */

static void t_hwpt_dirty(void)
{
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd);
	uint64_t bitmap = 0;
	struct iommu_hwpt_set_dirty_tracking d = {
		.size = sizeof(d), .hwpt_id = ioas,
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .hwpt_id = ioas, .iova = IOVA,
		.length = 64 * P, .page_size = P, .data = (uintptr_t)&bitmap,
	};

	/* an IOAS is no HWPT_PAGING, nor is an unknown id */
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &d), ENOENT);
	d.flags = 0;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &d), ENOENT);
	d.hwpt_id = 99;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &d), ENOENT);
	/* flags before the lookup; __reserved is not looked at */
	d.flags = 2;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &d), EOPNOTSUPP);
	d.flags = 0;
	d.__reserved = 1;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &d), ENOENT);
	d.size = offsetof(struct iommu_hwpt_set_dirty_tracking, __reserved);
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &d), EINVAL);

	VT_ERRNO(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), ENOENT);
	g.hwpt_id = 99;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), ENOENT);
	/* the range is checked after the lookup */
	g.length = 0;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), ENOENT);
	g.length = 64 * P;
	/* flags and __reserved before it */
	g.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), ENOENT);
	g.flags = 2;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), EOPNOTSUPP);
	g.flags = 0;
	g.__reserved = 1;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), EOPNOTSUPP);
	g.__reserved = 0;
	g.size = offsetof(struct iommu_hwpt_get_dirty_bitmap, data);
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g), EINVAL);
	VT_EXPECT_EQ(bitmap, 0);
	VT_EXPECT_EQ(vt_ioas_alloc(fd), ioas + 1);
}

/* ---- HWPT_INVALIDATE: everything but a HWPT_NESTED ------------------- */

static int invalidate(int fd, struct iommu_hwpt_invalidate *inv,
		      uint32_t *entry_num)
{
	int ret = ioctl(fd, IOMMU_HWPT_INVALIDATE, inv);

	*entry_num = inv->entry_num;
	return ret;
}

/*
 * No HWPT_NESTED can exist without a device (nor on the test VM's VT-d,
 * which has no nesting). entry_num is written back on every failure: the
 * requests done, 0 here.
 */
static void t_hwpt_invalidate(void)
{
	int fd = ifd_open();
	uint32_t ioas = vt_ioas_alloc(fd), num;
	uint8_t entries[2 * 64];
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = ioas,
		.data_uptr = (uintptr_t)entries,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = 64, .entry_num = 2,
	}, *ro;

	memset(entries, 0, sizeof(entries));
	/* an IOAS is no HWPT_NESTED, nor is an unknown id */
	VT_ERRNO(invalidate(fd, &inv, &num), ENOENT);
	VT_EXPECT_EQ(num, 0);
	inv.hwpt_id = 0;
	inv.entry_num = 2;
	VT_ERRNO(invalidate(fd, &inv, &num), ENOENT);
	inv.hwpt_id = 99;
	inv.entry_num = 0;
	VT_ERRNO(invalidate(fd, &inv, &num), ENOENT);
	/* before the lookup: __reserved, then the array's shape */
	inv.entry_num = 2;
	inv.__reserved = 1;
	VT_ERRNO(invalidate(fd, &inv, &num), EOPNOTSUPP);
	VT_EXPECT_EQ(num, 0);
	inv.__reserved = 0;
	inv.entry_num = 2;
	inv.data_uptr = 0;
	VT_ERRNO(invalidate(fd, &inv, &num), EINVAL);
	VT_EXPECT_EQ(num, 0);
	inv.data_uptr = (uintptr_t)entries;
	inv.entry_num = 2;
	inv.entry_len = 0;
	VT_ERRNO(invalidate(fd, &inv, &num), EINVAL);
	inv.entry_num = 2;
	inv.entry_len = P + 1;
	VT_ERRNO(invalidate(fd, &inv, &num), EINVAL);
	inv.entry_len = P;
	inv.entry_num = 2;
	VT_ERRNO(invalidate(fd, &inv, &num), ENOENT);
	inv.entry_len = 64;
	inv.entry_num = (1U << 19) + 1;
	VT_ERRNO(invalidate(fd, &inv, &num), EINVAL);
	VT_EXPECT_EQ(num, 0);
	inv.entry_num = 1U << 19;
	VT_ERRNO(invalidate(fd, &inv, &num), ENOENT);
	/* an empty array ignores pointer and length */
	inv.entry_num = 0;
	inv.data_uptr = 0;
	inv.entry_len = 0;
	VT_ERRNO(invalidate(fd, &inv, &num), ENOENT);
	/* the whole struct is mandatory */
	inv.size = offsetof(struct iommu_hwpt_invalidate, __reserved);
	VT_ERRNO(invalidate(fd, &inv, &num), EINVAL);
	/* entry_num cannot be written back: EFAULT before any other errno */
	ro = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	VT_ASSERT(ro != MAP_FAILED, "mmap");
	*ro = (struct iommu_hwpt_invalidate){
		.size = sizeof(*ro), .hwpt_id = ioas, .__reserved = 1,
	};
	VT_ASSERT(!mprotect(ro, P, PROT_READ), "mprotect");
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_INVALIDATE, ro), EFAULT);
	munmap(ro, P);
	VT_EXPECT_EQ(vt_ioas_alloc(fd), ioas + 1);
}

/* ---- FAULT_QUEUE_ALLOC: the object and its fd, no faults ---------------- */

static int fault_alloc(int fd, uint32_t flags, uint32_t *id)
{
	struct iommu_fault_alloc f = { .size = sizeof(f), .flags = flags };
	int ret = ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &f);

	if (ret)
		return ret;
	*id = f.out_fault_id;
	return vt_track(f.out_fault_fd);
}

static void t_fault_queue(void)
{
	struct iommu_hwpt_page_response rsp[2] = { { 0 } };
	struct iommu_hwpt_pgfault rec[2];
	int fd = ifd_open(), ffd, ffd2;
	uint32_t ioas = vt_ioas_alloc(fd), id = 0, id2 = 0;
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = ioas, .pt_id = ioas,
	};
	struct pollfd pfd;
	void *none;

	ffd = fault_alloc(fd, 0, &id);
	VT_ASSERT(ffd > 2, "FAULT_QUEUE_ALLOC: %s", vt_errname(errno));
	VT_EXPECT_EQ(id, ioas + 1);
	VT_EXPECT_EQ(fcntl(ffd, F_GETFD), FD_CLOEXEC);
	VT_EXPECT_EQ(fcntl(ffd, F_GETFL) & O_ACCMODE, O_RDWR);
	/* flags must be 0; the whole struct is mandatory; no id taken */
	VT_ERRNO(fault_alloc(fd, 1, &id2), EOPNOTSUPP);
	f.size = offsetof(struct iommu_fault_alloc, out_fault_fd);
	VT_ERRNO(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &f), EINVAL);

	/* nothing queued: read 0, never blocks; whole records only */
	VT_EXPECT_EQ(read(ffd, rec, sizeof(rec)), 0);
	VT_EXPECT_EQ(read(ffd, rec, 0), 0);
	VT_ERRNO(read(ffd, rec, sizeof(rec[0]) + 1), ESPIPE);
	VT_ERRNO(read(ffd, rec, sizeof(rec[0]) - 1), ESPIPE);
	VT_ERRNO(pread(ffd, rec, sizeof(rec[0]), sizeof(rec[0])), ESPIPE);
	VT_ERRNO(lseek(ffd, 0, SEEK_SET), ESPIPE);
	/* responses to cookies never handed out, bad codes, bad memory */
	VT_ERRNO(write(ffd, rsp, sizeof(rsp[0])), EINVAL);
	rsp[0].code = IOMMUFD_PAGE_RESP_INVALID + 1;
	VT_ERRNO(write(ffd, rsp, sizeof(rsp)), EINVAL);
	VT_ERRNO(write(ffd, rsp, sizeof(rsp[0]) + 1), ESPIPE);
	none = mmap(NULL, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VT_ASSERT(none != MAP_FAILED, "mmap");
	VT_ERRNO(write(ffd, none, sizeof(rsp[0])), EFAULT);
	munmap(none, P);
	VT_EXPECT_EQ(write(ffd, rsp, 0), 0);
	/* always writable, readable once a fault waits */
	pfd.fd = ffd;
	pfd.events = POLLIN | POLLOUT;
	VT_EXPECT_EQ(poll(&pfd, 1, 0), 1);
	VT_EXPECT_EQ(pfd.revents, POLLOUT);

	/* FAULT_ID_VALID: the device lookup comes first */
	h.fault_id = id;
	VT_ERRNO(ioctl(fd, IOMMU_HWPT_ALLOC, &h), ENOENT);

	/* the fd holds the object */
	VT_ERRNO(destroy(fd, id), EBUSY);
	vt_close(ffd);
	VT_OK(destroy(fd, id));
	VT_ERRNO(destroy(fd, id), ENOENT);

	/* the fd also holds the context: usable after /dev/iommu closed */
	ffd = fault_alloc(fd, 0, &id);
	ffd2 = fault_alloc(fd, 0, &id2);
	VT_ASSERT(ffd > 2 && ffd2 > 2, "FAULT_QUEUE_ALLOC: %s",
		  vt_errname(errno));
	VT_EXPECT_EQ(id2, id + 1);
	vt_close(fd);
	VT_EXPECT_EQ(read(ffd2, rec, sizeof(rec)), 0);
	VT_ERRNO(write(ffd, rsp, sizeof(rsp[0])), EINVAL);
	vt_close(ffd);
	vt_close(ffd2);
}

static const struct vt_test tests[] = {
	{ .name = "node", .fn = t_node },
	{ .name = "header", .fn = t_header },
	{ .name = "alloc_destroy", .fn = t_alloc_destroy },
	{ .name = "close_with_objects", .fn = t_close_with_objects },
	{ .name = "map_fixed", .fn = t_map_fixed },
	{ .name = "map_errors", .fn = t_map_errors },
	{ .name = "map_auto", .fn = t_map_auto },
	{ .name = "allow_iovas", .fn = t_allow_iovas },
	{ .name = "iova_ranges", .fn = t_iova_ranges },
	{ .name = "unmap", .fn = t_unmap },
	{ .name = "copy", .fn = t_copy },
	{ .name = "option_rlimit", .fn = t_option_rlimit },
	{ .name = "option_huge", .fn = t_option_huge },
	{ .name = "reply_efault", .fn = t_reply_efault },
	{ .name = "vfio_ioas", .fn = t_vfio_ioas },
	{ .name = "compat_none", .fn = t_compat_none },
	{ .name = "compat_map", .fn = t_compat_map },
	{ .name = "compat_type1v1", .fn = t_compat_type1v1 },
	{ .name = "hwpt_no_device", .fn = t_hwpt_no_device },
	{ .name = "hwpt_invalidate", .fn = t_hwpt_invalidate },
	{ .name = "hwpt_dirty", .fn = t_hwpt_dirty },
	{ .name = "fault_queue", .fn = t_fault_queue },
	{ .name = "group_set_container", .fn = t_group_set_container },
	{ .name = "group_dma", .fn = t_group_dma },
	{ .name = "group_dma_direct", .fn = t_group_dma_direct },
	{ .name = "group_unset_open", .fn = t_group_unset_open },
	{ .name = "group_reuse", .fn = t_group_reuse },
	{ .name = "group_two", .fn = t_group_two },
	{ .name = "group_cdev", .fn = t_group_cdev },
	{ .name = "group_kvm", .fn = t_group_kvm },
};

/*
 * Not vt_main(): the device-less cases run without any device, so no
 * edu is required (min 0). The in-tree stack of the debug kernel has
 * loaded iommufd with vfio; ours is loaded here if it is installed.
 */
int main(int argc, char **argv)
{
	int i, n = 0;

	vt_tap_header();
	if (access(NODE, F_OK) &&
	    system("modprobe -q iommufd 2>/dev/null") == -1)
		vt_diag("cannot run modprobe");
	if (access(NODE, F_OK)) {
		printf("1..0 # SKIP no %s: kernel without CONFIG_IOMMUFD and no iommufd.ko of ours installed\n",
		       NODE);
		return 4;
	}
	vt_setup_devices(argc, argv, 0, VT_DEVS_EDU);
	for (i = 0; i < vt_ndevs && n < 2; i++)
		gedu[n++] = &vt_devs[i];
	vt_plan(ARRAY_SIZE(tests));
	vt_run_tests("iommufd", tests, ARRAY_SIZE(tests), NULL);
	return vt_exit_code();
}
