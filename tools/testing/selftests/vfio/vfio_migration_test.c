// SPDX-License-Identifier: GPL-2.0-only
/*
 * Migration v2 through the uAPI, on mdevs of the sample parent
 * vfio_mdev_sample.ko (mdev/samples/): VFIO_DEVICE_FEATURE_MIGRATION,
 * MIG_DEVICE_STATE over every arc of the seven states (the legal ones,
 * multi-step ones included, and the refused ones with upstream's errno),
 * the data fd (STOP_COPY read, RESUMING write, PRE_COPY with
 * VFIO_MIG_GET_PRECOPY_INFO), MIG_DATA_SIZE, the device state moved from
 * one mdev to another and checked there, broken streams, and the core's
 * debugfs view. Like vfio_mdev_test it loads the sample itself and skips
 * where it cannot (the in-tree stack).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>
#include <linux/iommufd.h>

#include "mdev_sample_lib.h"

#define MDEVS		MS_MDEVS
#define UUID_A		"0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00a001"
#define UUID_B		"0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00a002"

/* The sample's stream: a 16-byte header, then records of 296 bytes. */
#define HDR_SIZE	16
#define REC_SIZE	296
#define STREAM_MAX	(HDR_SIZE + 2 * REC_SIZE)

#define IOVA_BUF	0x100000ULL
#define BUF_SIZE	(4 * VT_PAGE)

#define ST_ERROR	VFIO_DEVICE_STATE_ERROR
#define ST_STOP		VFIO_DEVICE_STATE_STOP
#define ST_RUN		VFIO_DEVICE_STATE_RUNNING
#define ST_SCOPY	VFIO_DEVICE_STATE_STOP_COPY
#define ST_RESUM	VFIO_DEVICE_STATE_RESUMING
#define ST_RP2P		VFIO_DEVICE_STATE_RUNNING_P2P
#define ST_PRE		VFIO_DEVICE_STATE_PRE_COPY
#define ST_PP2P		VFIO_DEVICE_STATE_PRE_COPY_P2P

static const char *const st_name[] = {
	"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING", "RUNNING_P2P",
	"PRE_COPY", "PRE_COPY_P2P",
};

struct msess {
	int container, group, dev, ifd;
	uint32_t ioas;
	uint64_t bar0;
	uint8_t *buf;
};

/* The group path: container + type1v2, BUF_SIZE mapped at IOVA_BUF. */
static void open_group(struct msess *s, const char *uuid)
{
	memset(s, 0, sizeof(*s));
	s->dev = ms_open_group(uuid, &s->container, &s->group);
	s->bar0 = vt_region_offset(s->dev, VFIO_PCI_BAR0_REGION_INDEX);
	s->buf = vt_alloc(BUF_SIZE);
	VT_OK_FATAL(vt_map(s->container, s->buf, IOVA_BUF, BUF_SIZE,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
}

/* The cdev path: BIND_IOMMUFD, an IOAS with BUF_SIZE at IOVA_BUF. */
static void open_cdev(struct msess *s, const char *uuid)
{
	uint32_t pt;

	memset(s, 0, sizeof(*s));
	if (access("/dev/iommu", F_OK))
		vt_skip("no /dev/iommu");
	s->dev = ms_open_cdev(uuid);
	s->ifd = vt_open_iommufd();
	VT_OK_FATAL(vt_bind_iommufd(s->dev, s->ifd, NULL));
	s->ioas = vt_ioas_alloc(s->ifd);
	pt = s->ioas;
	VT_OK_FATAL(vt_attach_pt(s->dev, &pt));
	s->bar0 = vt_region_offset(s->dev, VFIO_PCI_BAR0_REGION_INDEX);
	s->buf = vt_alloc(BUF_SIZE);
	VT_OK_FATAL(vt_ioas_map(s->ifd, s->ioas, s->buf, IOVA_BUF, BUF_SIZE,
				IOMMU_IOAS_MAP_FIXED_IOVA |
				IOMMU_IOAS_MAP_READABLE |
				IOMMU_IOAS_MAP_WRITEABLE));
}

static uint32_t reg_rd(struct msess *s, unsigned int reg)
{
	return vt_rd32(s->dev, s->bar0 + reg);
}

static void reg_wr(struct msess *s, unsigned int reg, uint32_t val)
{
	vt_wr32(s->dev, s->bar0 + reg, val);
}

/* One copy inside the mapped buffer; returns DMA_STATUS. */
static uint32_t dma_run(struct msess *s, uint64_t src, uint64_t dst,
			uint32_t len)
{
	return ms_dma_run(s->dev, s->bar0, src, dst, len, 0);
}

/* ---- features ---- */

/* VFIO_DEVICE_FEATURE with @len bytes of @data in and out. */
static int feature(int dev, uint32_t flags, void *data, size_t len,
		   uint32_t argsz)
{
	struct {
		struct vfio_device_feature hdr;
		uint8_t data[64];
	} f;
	int ret;

	memset(&f, 0, sizeof(f));
	f.hdr.argsz = argsz ? argsz : sizeof(f.hdr) + len;
	f.hdr.flags = flags;
	if (len)
		memcpy(f.data, data, len);
	ret = ioctl(dev, VFIO_DEVICE_FEATURE, &f);
	if (len)
		memcpy(data, f.data, len);
	return ret;
}

/* SET MIG_DEVICE_STATE; the data fd (or -1) in *@fd, -1 and errno on error. */
static int set_state_fd(int dev, uint32_t state, int *fd)
{
	struct vfio_device_feature_mig_state mig = {
		.device_state = state, .data_fd = -7,
	};
	int ret = feature(dev, VFIO_DEVICE_FEATURE_SET |
			  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			  &mig, sizeof(mig), 0);

	if (fd)
		*fd = mig.data_fd;
	if (!ret && mig.data_fd >= 0)
		vt_track(mig.data_fd);
	if (ret && mig.device_state != state)
		vt_fail("failed SET changed device_state to %u",
			mig.device_state);
	return ret;
}

static int set_state(int dev, uint32_t state)
{
	return set_state_fd(dev, state, NULL);
}

static uint32_t get_state(int dev)
{
	struct vfio_device_feature_mig_state mig = { .device_state = 99 };

	VT_OK(feature(dev, VFIO_DEVICE_FEATURE_GET |
		      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		      &mig, sizeof(mig), 0));
	VT_EXPECT_EQ((uint32_t)mig.data_fd, (uint32_t)-1);
	return mig.device_state;
}

static uint64_t data_size(int dev)
{
	struct vfio_device_feature_mig_data_size ds = { 0 };

	VT_OK(feature(dev, VFIO_DEVICE_FEATURE_GET |
		      VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &ds, sizeof(ds), 0));
	return ds.stop_copy_length;
}

/* Read a data fd to its end; returns the bytes read. */
static size_t read_all(int fd, uint8_t *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while ((n = read(fd, buf + got, max - got)) > 0)
		got += n;
	VT_EXPECT(n == 0, "read: %s", vt_errname(errno));
	return got;
}

static int precopy_info(int fd, struct vfio_precopy_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, info);
}

/* A stream of @s's device as it is now, the device left in RUNNING. */
static size_t save_stream(struct msess *s, uint8_t *buf)
{
	size_t n;
	int fd;

	VT_OK_FATAL(set_state_fd(s->dev, ST_SCOPY, &fd));
	VT_ASSERT(fd >= 0, "no data fd for STOP_COPY");
	n = read_all(fd, buf, STREAM_MAX);
	VT_OK(set_state(s->dev, ST_RUN));
	vt_close(fd);
	return n;
}

/* Put @s's device in @st from a reset; RESUMING gets a whole stream. */
static void goto_state(struct msess *s, uint32_t st)
{
	uint8_t stream[STREAM_MAX];
	size_t n = 0;
	int fd;

	VT_OK_FATAL(ioctl(s->dev, VFIO_DEVICE_RESET));
	VT_EXPECT_EQ(get_state(s->dev), ST_RUN);
	if (st == ST_RESUM)
		n = save_stream(s, stream);
	VT_OK_FATAL(set_state_fd(s->dev, st, &fd));
	if (st == ST_RESUM)
		VT_EXPECT_EQ(write(fd, stream, n), n);
	if (fd >= 0)
		vt_close(fd);
}

/* ---- tests ---- */

static void t_feature(void)
{
	struct vfio_device_feature_migration mig = { 0 };
	struct msess s;

	ms_create_one(UUID_A);
	open_group(&s, UUID_A);
	VT_OK(feature(s.dev, VFIO_DEVICE_FEATURE_GET |
		      VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig), 0));
	VT_EXPECT_EQ(mig.flags, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
		     VFIO_MIGRATION_PRE_COPY);
	/* PROBE: what is allowed answers 0, SET on a GET-only feature not */
	VT_OK(feature(s.dev, VFIO_DEVICE_FEATURE_PROBE |
		      VFIO_DEVICE_FEATURE_GET |
		      VFIO_DEVICE_FEATURE_MIGRATION, NULL, 0, 0));
	VT_ERRNO(feature(s.dev, VFIO_DEVICE_FEATURE_PROBE |
			 VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_MIGRATION, NULL, 0, 0), EINVAL);
	VT_OK(feature(s.dev, VFIO_DEVICE_FEATURE_PROBE |
		      VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, NULL, 0, 0));
	VT_ERRNO(feature(s.dev, VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig), 0),
		 EINVAL);
	/* argsz short of the feature's struct */
	VT_ERRNO(feature(s.dev, VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig),
			 sizeof(struct vfio_device_feature) + 4), EINVAL);
	VT_EXPECT_EQ(get_state(s.dev), ST_RUN);
	VT_EXPECT_EQ(data_size(s.dev), HDR_SIZE + REC_SIZE);
	VT_ERRNO(feature(s.dev, VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &mig, 8, 0),
		 EINVAL);
}

/* Whether from -> to exists: ERROR and unknown states never do. */
static bool arc_legal(uint32_t from, uint32_t to)
{
	if (to == ST_ERROR || to > ST_PP2P)
		return false;
	return !(from == ST_SCOPY && (to == ST_PRE || to == ST_PP2P));
}

/* Whether from -> to hands out a new data fd. */
static bool arc_gives_fd(uint32_t from, uint32_t to)
{
	if (from == to)
		return false;
	switch (to) {
	case ST_SCOPY:
		return from != ST_PRE && from != ST_PP2P;
	case ST_RESUM:
		return true;
	case ST_PRE:
	case ST_PP2P:
		return from != ST_PRE && from != ST_PP2P;
	}
	return false;
}

/*
 * Every pair of the seven states plus ERROR and unknown values: legal
 * arcs land on the target (multi-step ones through the core's steps),
 * with a data fd where one starts; refused ones get EINVAL and leave
 * the state alone.
 */
static void t_arcs(void)
{
	static const uint32_t to_list[] = {
		ST_STOP, ST_RUN, ST_SCOPY, ST_RESUM, ST_RP2P, ST_PRE, ST_PP2P,
		ST_ERROR, 8, 0xffffffffu,
	};
	unsigned int legal = 0, refused = 0;
	uint32_t from, i;
	struct msess s;
	int fd;

	ms_create_one(UUID_A);
	open_group(&s, UUID_A);
	for (from = ST_STOP; from <= ST_PP2P; from++) {
		for (i = 0; i < ARRAY_SIZE(to_list); i++) {
			uint32_t to = to_list[i];

			goto_state(&s, from);
			VT_EXPECT_EQ(get_state(s.dev), from);
			if (!arc_legal(from, to)) {
				if (!VT_ERRNO(set_state_fd(s.dev, to, &fd),
					      EINVAL))
					vt_diag("%s -> %u", st_name[from], to);
				VT_EXPECT_EQ((uint32_t)fd, (uint32_t)-1);
				VT_EXPECT_EQ(get_state(s.dev), from);
				refused++;
				continue;
			}
			if (VT_OK(set_state_fd(s.dev, to, &fd)) < 0)
				vt_diag("%s -> %s", st_name[from],
					st_name[to]);
			if (!VT_EXPECT_EQ(get_state(s.dev), to))
				vt_diag("%s -> %s", st_name[from],
					st_name[to]);
			if (!VT_EXPECT_EQ(fd >= 0, arc_gives_fd(from, to)))
				vt_diag("data fd on %s -> %s", st_name[from],
					st_name[to]);
			if (fd >= 0)
				vt_close(fd);
			legal++;
		}
	}
	vt_diag("%u legal arcs, %u refused", legal, refused);
	VT_EXPECT_EQ(legal, 7 * 7 - 2);
	VT_EXPECT_EQ(refused, 7 * 3 + 2);
}

/* Give A a state worth moving: config, BAR0 registers, a DMA done. */
static void dirty_device(struct msess *s)
{
	uint16_t cmd = vt_cfg_rd16(s->dev, 0x04);

	vt_cfg_wr16(s->dev, 0x04, cmd | 0x6);		/* memory, master */
	vt_cfg_wr32(s->dev, 0x0c, 0x20);		/* cache line */
	vt_cfg_wr32(s->dev, 0x3c, 0x10b);		/* interrupt line */
	vt_cfg_wr32(s->dev, MSAMPLE_MSI_CAP + 4, 0xfee01000);
	vt_cfg_wr32(s->dev, MSAMPLE_MSI_CAP + 8, 0x1);
	vt_cfg_wr16(s->dev, MSAMPLE_MSI_CAP + 12, 0x4321);
	reg_wr(s, MSAMPLE_REG_SCRATCH, 0xc0ffee01);
	memset(s->buf, 0x5a, 256);
	VT_EXPECT_EQ(dma_run(s, IOVA_BUF, IOVA_BUF + VT_PAGE, 256), 0);
	VT_EXPECT(!memcmp(s->buf + VT_PAGE, s->buf, 256), "DMA copy");
	reg_wr(s, MSAMPLE_REG_IRQ_RAISE, 0x3);
	/* registers left behind: the next copy's setup */
	reg_wr(s, MSAMPLE_REG_DMA_SRC, 0x12345000);
	reg_wr(s, MSAMPLE_REG_DMA_SRC + 4, 0x7);
	reg_wr(s, MSAMPLE_REG_DMA_LEN, 0x777);
}

struct snap {
	uint8_t cfg[MSAMPLE_CFG_SIZE];
	uint32_t regs[MSAMPLE_REG_DMA_COUNT / 4 + 1];
};

static void snap(struct msess *s, struct snap *sn)
{
	uint64_t cfg = vt_region_offset(s->dev, VFIO_PCI_CONFIG_REGION_INDEX);
	unsigned int i;

	VT_EXPECT_EQ(pread(s->dev, sn->cfg, sizeof(sn->cfg), cfg),
		     sizeof(sn->cfg));
	for (i = 0; i < ARRAY_SIZE(sn->regs); i++)
		sn->regs[i] = reg_rd(s, i * 4);
}

static void expect_same(const struct snap *a, const struct snap *b)
{
	unsigned int i;

	for (i = 0; i < sizeof(a->cfg); i++)
		if (!VT_EXPECT_EQ(b->cfg[i], a->cfg[i]))
			vt_diag("config byte 0x%x", i);
	for (i = 0; i < ARRAY_SIZE(a->regs); i++)
		if (!VT_EXPECT_EQ(b->regs[i], a->regs[i]))
			vt_diag("BAR0 register 0x%x", i * 4);
}

/* A (group path) -> B (cdev path): STOP_COPY read, RESUMING write. */
static void t_move(void)
{
	uint8_t stream[STREAM_MAX + 16];
	struct snap sa, sb, fresh;
	struct msess a, b;
	int fda, fdb;
	size_t n;

	ms_create_one(UUID_A);
	ms_create_one(UUID_B);
	open_group(&a, UUID_A);
	open_cdev(&b, UUID_B);
	snap(&b, &fresh);
	dirty_device(&a);
	snap(&a, &sa);
	VT_EXPECT_EQ(sa.regs[MSAMPLE_REG_DMA_COUNT / 4], 1);
	VT_EXPECT_EQ(sa.regs[MSAMPLE_REG_IRQ_STATUS / 4], 3);

	VT_OK_FATAL(set_state_fd(a.dev, ST_SCOPY, &fda));
	VT_ASSERT(fda >= 0, "no STOP_COPY data fd");
	/* stopped: the engine takes no command */
	VT_EXPECT_EQ(dma_run(&a, IOVA_BUF, IOVA_BUF + VT_PAGE, 16), EBUSY);
	/* the snapshot was taken at STOP_COPY, before the refused copy */
	VT_ERRNO(pread(fda, stream, 8, 0), ESPIPE);
	n = read_all(fda, stream, sizeof(stream));
	VT_EXPECT_EQ(n, data_size(a.dev));
	VT_EXPECT_EQ(read(fda, stream, 8), 0);

	VT_OK_FATAL(set_state_fd(b.dev, ST_RESUM, &fdb));
	VT_ASSERT(fdb >= 0, "no RESUMING data fd");
	/* in two writes, the header split */
	VT_EXPECT_EQ(write(fdb, stream, 10), 10);
	VT_EXPECT_EQ(write(fdb, stream + 10, n - 10), n - 10);
	VT_OK(set_state(b.dev, ST_RUN));
	VT_EXPECT_EQ(get_state(b.dev), ST_RUN);
	snap(&b, &sb);
	expect_same(&sa, &sb);
	VT_EXPECT(memcmp(&sb, &fresh, sizeof(fresh)), "B unchanged");

	/* B's engine runs on in its own address space */
	memset(b.buf, 0xa5, 64);
	VT_EXPECT_EQ(dma_run(&b, IOVA_BUF, IOVA_BUF + 2 * VT_PAGE, 64), 0);
	VT_EXPECT(!memcmp(b.buf + 2 * VT_PAGE, b.buf, 64), "B's DMA");
	VT_EXPECT_EQ(reg_rd(&b, MSAMPLE_REG_DMA_COUNT), 2);

	/* the state moved on: both fds are dead */
	VT_OK(set_state(a.dev, ST_STOP));
	VT_ERRNO(read(fda, stream, 8), ENODEV);
	VT_ERRNO(write(fdb, stream, 8), ENODEV);
	VT_OK(set_state(a.dev, ST_RUN));
	VT_EXPECT_EQ(dma_run(&a, IOVA_BUF, IOVA_BUF + VT_PAGE, 16), 0);
	vt_close(fda);
	vt_close(fdb);
}

/* PRE_COPY: PRECOPY_INFO while reading and while the device changes. */
static void t_precopy(void)
{
	uint8_t stream[STREAM_MAX + 16];
	struct vfio_precopy_info info;
	struct msess a, b;
	size_t n;
	int fd, fd2;

	ms_create_one(UUID_A);
	ms_create_one(UUID_B);
	open_group(&a, UUID_A);
	open_group(&b, UUID_B);
	reg_wr(&a, MSAMPLE_REG_SCRATCH, 0x11111111);

	VT_OK_FATAL(set_state_fd(a.dev, ST_PRE, &fd));
	VT_ASSERT(fd >= 0, "no PRE_COPY data fd");
	VT_OK(precopy_info(fd, &info));
	VT_EXPECT_EQ(info.initial_bytes, HDR_SIZE + REC_SIZE);
	VT_EXPECT_EQ(info.dirty_bytes, 0);
	VT_EXPECT_EQ(read(fd, stream, 8), 8);
	VT_OK(precopy_info(fd, &info));
	VT_EXPECT_EQ(info.initial_bytes, HDR_SIZE + REC_SIZE - 8);
	/* the device runs and changes: dirty_bytes says so */
	reg_wr(&a, MSAMPLE_REG_SCRATCH, 0x22222222);
	VT_OK(precopy_info(fd, &info));
	VT_EXPECT_EQ(info.dirty_bytes, REC_SIZE);
	/* bad input on the data fd */
	info.argsz = offsetof(struct vfio_precopy_info, dirty_bytes);
	VT_ERRNO(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_DEVICE_GET_INFO, &info), ENOTTY);
	VT_ERRNO(write(fd, stream, 8), EBADF);
	/* PRE_COPY_P2P keeps the fd */
	VT_OK(set_state_fd(a.dev, ST_PP2P, &fd2));
	VT_EXPECT_EQ(fd2, -1);
	VT_OK(precopy_info(fd, &info));
	VT_EXPECT_EQ(info.initial_bytes, HDR_SIZE + REC_SIZE - 8);
	n = 8 + read_all(fd, stream + 8, sizeof(stream) - 8);
	VT_EXPECT_EQ(n, HDR_SIZE + REC_SIZE);
	VT_OK(precopy_info(fd, &info));
	VT_EXPECT_EQ(info.initial_bytes, 0);
	VT_EXPECT_EQ(info.dirty_bytes, REC_SIZE);
	reg_wr(&a, MSAMPLE_REG_SCRATCH, 0x33333333);
	/* STOP_COPY: the same fd goes on with the final record */
	VT_OK(set_state_fd(a.dev, ST_SCOPY, &fd2));
	VT_EXPECT_EQ(fd2, -1);
	VT_ERRNO(precopy_info(fd, &info), EINVAL);
	n += read_all(fd, stream + n, sizeof(stream) - n);
	VT_EXPECT_EQ(n, HDR_SIZE + 2 * REC_SIZE);
	VT_OK(set_state(a.dev, ST_STOP));
	VT_ERRNO(precopy_info(fd, &info), EINVAL);	/* STOP */
	VT_ERRNO(read(fd, stream, 8), ENODEV);
	vt_close(fd);

	/* B takes the last record */
	VT_OK_FATAL(set_state_fd(b.dev, ST_RESUM, &fd));
	VT_EXPECT_EQ(write(fd, stream, n), n);
	VT_OK(set_state(b.dev, ST_RUN));
	VT_EXPECT_EQ(reg_rd(&b, MSAMPLE_REG_SCRATCH), 0x33333333);
	vt_close(fd);

	/* PRE_COPY -> RUNNING ends the fd */
	VT_OK(set_state(a.dev, ST_RUN));
	VT_OK_FATAL(set_state_fd(a.dev, ST_PRE, &fd));
	VT_OK(set_state(a.dev, ST_RUN));
	VT_ERRNO(read(fd, stream, 8), ENODEV);
	VT_ERRNO(precopy_info(fd, &info), EINVAL);	/* RUNNING */
	/* an old fd while the device is in PRE_COPY again: ENODEV */
	VT_OK_FATAL(set_state_fd(a.dev, ST_PRE, &fd2));
	VT_ERRNO(precopy_info(fd, &info), ENODEV);
	VT_OK(precopy_info(fd2, &info));
	VT_OK(set_state(a.dev, ST_RUN));
	vt_close(fd2);
	vt_close(fd);
	/* VFIO_DEVICE_RESET: back to RUNNING, the fd cut off */
	VT_OK_FATAL(set_state_fd(a.dev, ST_PRE, &fd));
	VT_OK(ioctl(a.dev, VFIO_DEVICE_RESET));
	VT_EXPECT_EQ(get_state(a.dev), ST_RUN);
	VT_ERRNO(read(fd, stream, 8), ENODEV);
	vt_close(fd);
}

/* RESUMING with a damaged stream: refused, the device not touched. */
static void t_bad_stream(void)
{
	uint8_t good[STREAM_MAX], bad[STREAM_MAX * 2];
	struct msess a;
	size_t n;
	int fd;

	ms_create_one(UUID_A);
	open_group(&a, UUID_A);
	reg_wr(&a, MSAMPLE_REG_SCRATCH, 0xabcdef01);
	n = save_stream(&a, good);
	VT_EXPECT_EQ(n, HDR_SIZE + REC_SIZE);
	reg_wr(&a, MSAMPLE_REG_SCRATCH, 0x5);

	/* a wrong magic, version, record size or flags: EINVAL */
	for (unsigned int off = 0; off < HDR_SIZE; off += 4) {
		memcpy(bad, good, n);
		bad[off] ^= 0x40;
		VT_OK_FATAL(set_state_fd(a.dev, ST_RESUM, &fd));
		if (!VT_ERRNO(write(fd, bad, n), EINVAL))
			vt_diag("header byte %u", off);
		/* nothing was taken: leaving RESUMING fails too */
		VT_ERRNO(set_state(a.dev, ST_STOP), EINVAL);
		VT_EXPECT_EQ(get_state(a.dev), ST_RESUM);
		vt_close(fd);
		VT_OK(ioctl(a.dev, VFIO_DEVICE_RESET));
	}
	/* truncated: header and half a record */
	VT_OK_FATAL(set_state_fd(a.dev, ST_RESUM, &fd));
	VT_EXPECT_EQ(write(fd, good, HDR_SIZE + REC_SIZE / 2),
		     HDR_SIZE + REC_SIZE / 2);
	VT_ERRNO(set_state(a.dev, ST_RUN), EINVAL);
	VT_EXPECT_EQ(get_state(a.dev), ST_RESUM);
	/* completing it makes it good */
	VT_EXPECT_EQ(write(fd, good + HDR_SIZE + REC_SIZE / 2,
			   REC_SIZE - REC_SIZE / 2),
		     REC_SIZE - REC_SIZE / 2);
	VT_OK(set_state(a.dev, ST_RUN));
	VT_EXPECT_EQ(reg_rd(&a, MSAMPLE_REG_SCRATCH), 0xabcdef01);
	vt_close(fd);
	/* longer than any stream: ENOMEM (as mtty) */
	VT_OK_FATAL(set_state_fd(a.dev, ST_RESUM, &fd));
	memset(bad, 0, sizeof(bad));
	memcpy(bad, good, n);
	VT_ERRNO(write(fd, bad, sizeof(bad)), ENOMEM);
	VT_EXPECT_EQ(write(fd, bad, STREAM_MAX), STREAM_MAX);
	VT_ERRNO(write(fd, bad, 1), ENOMEM);
	VT_ERRNO(read(fd, bad, 8), EBADF);
	VT_ERRNO(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, bad), ENOTTY);
	VT_OK(set_state(a.dev, ST_STOP));	/* the second record, zeroes */
	VT_EXPECT_EQ(reg_rd(&a, MSAMPLE_REG_SCRATCH), 0);
	vt_close(fd);
}

/* Bad VFIO_DEVICE_FEATURE input for the migration features. */
static void t_bad_input(void)
{
	struct vfio_device_feature_mig_state mig = { 0 };
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_mig_state mig;
	} f;
	struct msess a;

	ms_create_one(UUID_A);
	open_group(&a, UUID_A);
	memset(&f, 0, sizeof(f));
	f.hdr.argsz = sizeof(f);
	f.mig.device_state = ST_STOP;
	/* GET and SET together without PROBE */
	f.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	VT_ERRNO(ioctl(a.dev, VFIO_DEVICE_FEATURE, &f), EINVAL);
	/* an unknown flag */
	f.hdr.flags = VFIO_DEVICE_FEATURE_SET | (1u << 19) |
		      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	VT_ERRNO(ioctl(a.dev, VFIO_DEVICE_FEATURE, &f), EINVAL);
	/* neither GET nor SET */
	f.hdr.flags = VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	VT_ERRNO(ioctl(a.dev, VFIO_DEVICE_FEATURE, &f), EINVAL);
	/* argsz short of the state struct, and of the header */
	f.hdr.flags = VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	f.hdr.argsz = sizeof(f) - 1;
	VT_ERRNO(ioctl(a.dev, VFIO_DEVICE_FEATURE, &f), EINVAL);
	f.hdr.argsz = 4;
	VT_ERRNO(ioctl(a.dev, VFIO_DEVICE_FEATURE, &f), EINVAL);
	VT_EXPECT_EQ(get_state(a.dev), ST_RUN);
	/* an unknown feature */
	VT_ERRNO(feature(a.dev, VFIO_DEVICE_FEATURE_GET | 0x7ff, &mig,
			 sizeof(mig), 0), ENOTTY);
	/* RUNNING cannot be asked for ERROR or a state past the enum */
	VT_ERRNO(set_state(a.dev, ST_ERROR), EINVAL);
	VT_ERRNO(set_state(a.dev, 8), EINVAL);
	VT_EXPECT_EQ(get_state(a.dev), ST_RUN);
	/* the engine works again in RUNNING_P2P, not in STOP */
	reg_wr(&a, MSAMPLE_REG_SCRATCH, 1);
	vt_cfg_wr16(a.dev, 0x04, 0x6);
	VT_OK(set_state(a.dev, ST_STOP));
	VT_EXPECT_EQ(dma_run(&a, IOVA_BUF, IOVA_BUF + 64, 64), EBUSY);
	VT_OK(set_state(a.dev, ST_RP2P));
	VT_EXPECT_EQ(dma_run(&a, IOVA_BUF, IOVA_BUF + 64, 64), 0);
}

/* Opening again starts in RUNNING, whatever the last user left. */
static void t_reopen(void)
{
	struct msess a;
	int fd;

	ms_create_one(UUID_A);
	open_group(&a, UUID_A);
	VT_OK(set_state_fd(a.dev, ST_PRE, &fd));
	vt_close(a.dev);
	vt_close(a.group);
	vt_close(a.container);
	/* the data fd outlives the device fd, cut off */
	VT_ERRNO(read(fd, a.buf, 8), ENODEV);
	open_group(&a, UUID_A);
	VT_EXPECT_EQ(get_state(a.dev), ST_RUN);
	vt_close(fd);

	/* a data fd outlives the mdev itself */
	VT_OK(set_state_fd(a.dev, ST_PRE, &fd));
	vt_close(a.dev);
	vt_close(a.group);
	vt_close(a.container);
	VT_OK(vt_sysfs_write(MDEVS "/" UUID_A "/remove", "1"));
	VT_EXPECT(access(MDEVS "/" UUID_A, F_OK), "mdev left");
	VT_ERRNO(read(fd, a.buf, 8), ENODEV);
	VT_ERRNO(ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, a.buf), EINVAL);
	vt_close(fd);
}

/* ---- DMA logging ---- */

#define LOG_IOVA	0x400000ULL
#define LOG_PAGES	32

static int log_start(int dev, uint64_t *page_size,
		     struct vfio_device_feature_dma_logging_range *r,
		     uint32_t n)
{
	struct vfio_device_feature_dma_logging_control c = {
		.page_size = *page_size, .num_ranges = n,
		.ranges = (uintptr_t)r,
	};
	int ret = feature(dev, VFIO_DEVICE_FEATURE_SET |
			  VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
			  &c, sizeof(c), 0);

	*page_size = c.page_size;
	return ret;
}

static int log_stop(int dev)
{
	return feature(dev, VFIO_DEVICE_FEATURE_SET |
		       VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0, 0);
}

static int log_report(int dev, uint64_t iova, uint64_t len, uint64_t pgsz,
		      void *bitmap)
{
	struct vfio_device_feature_dma_logging_report r = {
		.iova = iova, .length = len, .page_size = pgsz,
		.bitmap = (uintptr_t)bitmap,
	};

	return feature(dev, VFIO_DEVICE_FEATURE_GET |
		       VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
		       &r, sizeof(r), 0);
}

/* The bits a report of the LOG_PAGES pages gives, 4 KiB each. */
static uint64_t report_bits(struct msess *s)
{
	uint64_t bits = 0;

	VT_OK(log_report(s->dev, LOG_IOVA, LOG_PAGES * VT_PAGE, VT_PAGE,
			 &bits));
	return bits;
}

static void t_logging(void)
{
	struct vfio_device_feature_dma_logging_range r[300];
	uint64_t pgsz = VT_PAGE, bits[4] = { 0 };
	uint8_t *mem;
	struct msess s;
	unsigned int i;

	ms_create_one(UUID_A);
	open_group(&s, UUID_A);
	mem = vt_alloc(LOG_PAGES * VT_PAGE);
	VT_OK_FATAL(vt_map(s.container, mem, LOG_IOVA, LOG_PAGES * VT_PAGE,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	vt_cfg_wr16(s.dev, 0x04, 0x6);

	/* not started: REPORT EINVAL, STOP 0 */
	VT_ERRNO(log_report(s.dev, LOG_IOVA, VT_PAGE, VT_PAGE, bits), EINVAL);
	VT_OK(log_stop(s.dev));

	/* bad START input, each refused before anything starts */
	r[0].iova = LOG_IOVA;
	r[0].length = 8 * VT_PAGE;
	r[1].iova = LOG_IOVA + 16 * VT_PAGE;
	r[1].length = 8 * VT_PAGE;
	VT_ERRNO(log_start(s.dev, &pgsz, r, 0), EINVAL);
	VT_ERRNO(log_start(s.dev, &pgsz, r, 4096 / sizeof(r[0]) + 1), E2BIG);
	r[2] = r[0];
	r[2].iova += 7 * VT_PAGE;	/* overlaps r[0] */
	VT_ERRNO(log_start(s.dev, &pgsz, r, 3), EINVAL);
	r[2].iova = LOG_IOVA + 24 * VT_PAGE + 512;	/* misaligned */
	VT_ERRNO(log_start(s.dev, &pgsz, r, 3), EINVAL);
	r[2].iova = -2 * VT_PAGE;	/* wraps */
	r[2].length = 4 * VT_PAGE;
	VT_ERRNO(log_start(s.dev, &pgsz, r, 3), EOVERFLOW);
	VT_ERRNO(log_start(s.dev, &pgsz, (void *)8, 1), EFAULT);
	VT_ERRNO(feature(s.dev, VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_LOGGING_START, bits, 8, 0),
		 EINVAL);
	VT_ERRNO(log_report(s.dev, LOG_IOVA, VT_PAGE, VT_PAGE, bits), EINVAL);

	/* two ranges: pages 0-7 and 16-23 */
	VT_OK_FATAL(log_start(s.dev, &pgsz, r, 2));
	VT_EXPECT_EQ(pgsz, VT_PAGE);
	VT_ERRNO(log_start(s.dev, &pgsz, r, 2), EINVAL);	/* started */
	VT_EXPECT_EQ(report_bits(&s), 0);

	/* pages 1-2 (rw), 17 (pinned), 10 (not tracked) */
	VT_EXPECT_EQ(dma_run(&s, IOVA_BUF, LOG_IOVA + VT_PAGE + 100, 5000), 0);
	reg_wr(&s, MSAMPLE_REG_DMA_DST, (uint32_t)(LOG_IOVA + 17 * VT_PAGE));
	reg_wr(&s, MSAMPLE_REG_DMA_LEN, 64);
	reg_wr(&s, MSAMPLE_REG_DMA_CMD, MSAMPLE_DMA_START | MSAMPLE_DMA_PIN);
	VT_EXPECT_EQ(reg_rd(&s, MSAMPLE_REG_DMA_STATUS), 0);
	VT_EXPECT_EQ(dma_run(&s, IOVA_BUF, LOG_IOVA + 10 * VT_PAGE, 64), 0);
	/* reads from a tracked page dirty nothing */
	VT_EXPECT_EQ(dma_run(&s, LOG_IOVA + 4 * VT_PAGE, IOVA_BUF, 64), 0);
	VT_EXPECT_EQ(report_bits(&s), (1ULL << 1) | (1ULL << 2) | (1ULL << 17));
	VT_EXPECT_EQ(report_bits(&s), 0);	/* read and cleared */

	/* a report ORs into the user's bitmap, at any 2^n >= 4K page size */
	VT_EXPECT_EQ(dma_run(&s, IOVA_BUF, LOG_IOVA + 5 * VT_PAGE, 8), 0);
	bits[0] = 1ULL << 40;
	VT_OK(log_report(s.dev, LOG_IOVA, LOG_PAGES * VT_PAGE, 2 * VT_PAGE,
			 bits));
	VT_EXPECT_EQ(bits[0], (1ULL << 40) | (1ULL << 2));
	/* a window inside a range, not page 0 of the bitmap */
	VT_EXPECT_EQ(dma_run(&s, IOVA_BUF, LOG_IOVA + 20 * VT_PAGE, 8), 0);
	bits[0] = 0;
	VT_OK(log_report(s.dev, LOG_IOVA + 18 * VT_PAGE, 4 * VT_PAGE, VT_PAGE,
			 bits));
	VT_EXPECT_EQ(bits[0], 1ULL << 2);

	/*
	 * bad REPORT input; a bitmap that cannot be written succeeds and
	 * loses the bits, as upstream's iova_bitmap (pinned only to set)
	 */
	VT_EXPECT_EQ(dma_run(&s, IOVA_BUF, LOG_IOVA + 3 * VT_PAGE, 8), 0);
	VT_ERRNO(log_report(s.dev, LOG_IOVA, VT_PAGE, 2048, bits), EINVAL);
	VT_ERRNO(log_report(s.dev, LOG_IOVA, VT_PAGE, 3 * VT_PAGE, bits),
		 EINVAL);
	VT_ERRNO(log_report(s.dev, -VT_PAGE, 2 * VT_PAGE, VT_PAGE, bits),
		 EOVERFLOW);
	VT_OK(log_report(s.dev, LOG_IOVA, LOG_PAGES * VT_PAGE, VT_PAGE,
			 (void *)8));
	VT_ERRNO(feature(s.dev, VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, bits, 32, 0),
		 EINVAL);
	VT_EXPECT_EQ(report_bits(&s), 0);

	VT_OK(log_stop(s.dev));
	VT_ERRNO(log_report(s.dev, LOG_IOVA, VT_PAGE, VT_PAGE, bits), EINVAL);

	/* six one-page ranges: merged to the sample's four, all tracked */
	for (i = 0; i < 6; i++) {
		r[i].iova = LOG_IOVA + (i * 3 + (i > 2)) * VT_PAGE;
		r[i].length = VT_PAGE;
	}
	pgsz = VT_PAGE;
	VT_OK_FATAL(log_start(s.dev, &pgsz, r, 6));
	for (i = 0; i < 6; i++)
		VT_EXPECT_EQ(dma_run(&s, IOVA_BUF, r[i].iova, 8), 0);
	bits[0] = report_bits(&s);
	for (i = 0; i < 6; i++)
		VT_EXPECT(bits[0] & (1ULL << (r[i].iova - LOG_IOVA) / VT_PAGE),
			  "range %u's page not reported: 0x%llx", i,
			  (unsigned long long)bits[0]);
	VT_OK(log_stop(s.dev));

	/* an 8K tracking page size is taken as asked */
	pgsz = 2 * VT_PAGE;
	r[0].iova = LOG_IOVA;
	r[0].length = LOG_PAGES * VT_PAGE;
	VT_OK(log_start(s.dev, &pgsz, r, 1));
	VT_EXPECT_EQ(pgsz, 2 * VT_PAGE);
	VT_EXPECT_EQ(dma_run(&s, IOVA_BUF, LOG_IOVA + 6 * VT_PAGE, 8), 0);
	VT_EXPECT_EQ(report_bits(&s), 3ULL << 6);
	/* closing the device stops logging */
	munmap(mem, LOG_PAGES * VT_PAGE);
}

/* ---- debugfs ---- */

#define DEBUGFS		"/sys/kernel/debug"

static void expect_debugfs_state(const char *path, const char *want)
{
	char buf[64] = "";

	VT_EXPECT(vt_sysfs_read(path, buf, sizeof(buf)) >= 0, "read %s", path);
	buf[strcspn(buf, "\n")] = '\0';
	VT_EXPECT(!strcmp(buf, want), "%s: \"%s\", want \"%s\"", path, buf,
		  want);
}

/* /sys/kernel/debug/vfio/<UUID>/migration/state follows the state. */
static void t_debugfs(void)
{
	char path[PATH_MAX];
	struct msess a;
	uint32_t st;
	int fd;

	if (access(DEBUGFS "/vfio", F_OK) &&
	    mount("debugfs", DEBUGFS, "debugfs", 0, NULL) && errno != EBUSY)
		vt_skip("debugfs not mounted and cannot be: %s",
			vt_errname(errno));
	if (access(DEBUGFS "/vfio", F_OK))
		vt_skip("no " DEBUGFS "/vfio: kernel without CONFIG_DEBUG_FS");
	ms_create_one(UUID_A);
	snprintf(path, sizeof(path), DEBUGFS "/vfio/%s/migration/state",
		 UUID_A);
	VT_ASSERT(!access(path, F_OK), "no %s", path);
	expect_debugfs_state(path, "RUNNING");
	open_group(&a, UUID_A);
	for (st = ST_STOP; st <= ST_PP2P; st++) {
		goto_state(&a, st);
		expect_debugfs_state(path, st_name[st]);
	}
	VT_OK(set_state_fd(a.dev, ST_PRE, &fd));
	expect_debugfs_state(path, "PRE_COPY");
	vt_close(fd);
	vt_close(a.dev);
	vt_close(a.group);
	vt_close(a.container);
	expect_debugfs_state(path, "RUNNING");
	VT_OK(vt_sysfs_write(MDEVS "/" UUID_A "/remove", "1"));
	snprintf(path, sizeof(path), DEBUGFS "/vfio/%s", UUID_A);
	VT_EXPECT(access(path, F_OK), "%s left after remove", path);
}

static const struct vt_test tests[] = {
	{ "feature", t_feature, 0 },
	{ "arcs", t_arcs, 0 },
	{ "move", t_move, 0 },
	{ "precopy", t_precopy, 0 },
	{ "bad_stream", t_bad_stream, 0 },
	{ "bad_input", t_bad_input, 0 },
	{ "reopen", t_reopen, 0 },
	{ "logging", t_logging, 0 },
	{ "debugfs", t_debugfs, 0 },
};

int main(int argc, char **argv)
{
	(void)argv;
	vt_tap_header();
	if (argc > 1)
		vt_bail("usage: vfio_migration_test (no options, no devices)");
	if (!ms_load())
		return 4;
	ms_remove_all();
	vt_plan(ARRAY_SIZE(tests));
	vt_run_tests("migration", tests, ARRAY_SIZE(tests), ms_remove_all);
	ms_remove_all();
	return vt_exit_code();
}
