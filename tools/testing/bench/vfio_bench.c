// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_bench: micro-benchmarks of a VFIO stack on the edu device.
 *
 *   vfio_bench [-d BDF] [-r REPS] [-m MIB] [-s SCALE%]
 *
 * The device must already be bound to vfio-pci (run.sh's guest side does
 * it). Every metric runs N operations per repetition and REPS repetitions;
 * the value printed is the median over the repetitions of the mean time of
 * one operation. The group path (container + type1) is measured first;
 * then, once every group fd is closed, the iommufd path when the stack has
 * one (/dev/iommu and the device's /dev/vfio/devices/vfioN; the in-tree
 * stack of Debian's kernel has neither, the ioas_* and cdev_* metrics are
 * then left out). Output, one line per metric:
 *
 *   METRIC VALUE UNIT
 *
 * Lines starting with '#' are diagnostics. This is a measurement, not a
 * test: the exit status only says whether every metric could be measured.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "vfio_cdev_name.h"

#define EDU_REG_IDENT		0x00
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_IDENT_MASK		0xff0000ffU
#define EDU_IDENT		0x010000edU

#define IOVA_BASE		(1ULL << 30)	/* 1 GiB: not used for DMA */
#define SZ_2M			(2UL << 20)
#define MAX_REPS		64

static const char *bdf = "0000:01:00.0";
static int reps = 5;
static unsigned long dma_mib = 256;
static int nfail;

static int container = -1, group = -1, device = -1;
/* The iommufd path: /dev/iommu, its IOAS, the cdev of the device. */
static int iommufd = -1;
static uint32_t ioas_id;
static char cdev_path[PATH_MAX];
static uint64_t cfg_off, bar0_off, bar0_size;
static uint32_t bar0_flags;

static void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# fatal: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Print the median of @v (ns per op) in @unit ("us" or "ms"). */
static void report(const char *metric, double *v, int n, const char *unit)
{
	double m = median(v, n);
	double div = strcmp(unit, "ms") == 0 ? 1e6 : 1e3;

	printf("%s %.3f %s\n", metric, m / div, unit);
	fflush(stdout);
}

/* ---- setup ---- */

static void open_stack(void)
{
	char path[128], link[256];
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("%s: %s", path, strerror(errno));
	link[n] = 0;
	p = strrchr(link, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%s", p ? p + 1 : link);

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("/dev/vfio/vfio: %s", strerror(errno));
	group = open(path, O_RDWR);
	if (group < 0)
		die("%s: %s", path, strerror(errno));
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group %s not viable", path);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("SET_CONTAINER: %s", strerror(errno));
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("SET_IOMMU: %s", strerror(errno));
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		die("GET_DEVICE_FD: %s", strerror(errno));
}

static void region(unsigned int index, uint64_t *off, uint64_t *size,
		   uint32_t *flags)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri))
		die("REGION_INFO %u: %s", index, strerror(errno));
	*off = ri.offset;
	if (size)
		*size = ri.size;
	if (flags)
		*flags = ri.flags;
}

static uint32_t rd32(uint64_t off)
{
	uint32_t v;

	if (pread(device, &v, 4, off) != 4)
		die("pread 0x%llx: %s", (unsigned long long)off,
		    strerror(errno));
	return v;
}

static void wr32(uint64_t off, uint32_t v)
{
	if (pwrite(device, &v, 4, off) != 4)
		die("pwrite 0x%llx: %s", (unsigned long long)off,
		    strerror(errno));
}

static void enable_device(void)
{
	uint16_t cmd;

	region(VFIO_PCI_CONFIG_REGION_INDEX, &cfg_off, NULL, NULL);
	region(VFIO_PCI_BAR0_REGION_INDEX, &bar0_off, &bar0_size, &bar0_flags);
	if (pread(device, &cmd, 2, cfg_off + 4) != 2)
		die("config read: %s", strerror(errno));
	cmd |= 0x6;	/* memory space + bus master */
	if (pwrite(device, &cmd, 2, cfg_off + 4) != 2)
		die("config write: %s", strerror(errno));
	if ((rd32(bar0_off + EDU_REG_IDENT) & EDU_IDENT_MASK) != EDU_IDENT)
		die("%s is not an edu device", bdf);
}

/* ---- DMA map / unmap ---- */

static unsigned long anon_huge_kb(void *addr)
{
	unsigned long kb = 0;
	char line[256];
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		/* Mapping headers: "start-end perms ..." */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = (unsigned long)addr >= s && (unsigned long)addr < e;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/*
 * The DMA buffer of one map/unmap metric: @size bytes 2 MiB aligned
 * (room for the alignment in @raw/@len), THP asked for or refused, every
 * page touched, so that the map only pins and maps. The same for type1 and
 * the IOAS.
 */
struct dma_buf {
	char *raw, *buf;
	size_t len, size;
	const char *tag;
};

static void dma_buf_get(struct dma_buf *b, bool huge)
{
	unsigned long kb;

	b->size = dma_mib << 20;
	b->len = b->size + SZ_2M;
	b->tag = huge ? "2m" : "4k";
	b->raw = mmap(NULL, b->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->raw == MAP_FAILED)
		die("mmap %zu: %s", b->len, strerror(errno));
	b->buf = (char *)(((uintptr_t)b->raw + SZ_2M - 1) & ~(SZ_2M - 1));
	if (madvise(b->buf, b->size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise: %s", strerror(errno));
	for (size_t o = 0; o < b->size; o += 4096)
		b->buf[o] = 1;
	kb = anon_huge_kb(b->buf);
	diag("%s: AnonHugePages %lu kB of %zu kB", b->tag, kb, b->size >> 10);
	if (huge && kb < (b->size >> 10) / 2)
		diag("2m: WARNING: less than half the buffer is THP");
}

static void dma_buf_put(struct dma_buf *b)
{
	munmap(b->raw, b->len);
}

/* One backend's map and unmap of the whole buffer at IOVA_BASE. */
struct dma_backend {
	const char *prefix;	/* metric names: PREFIX_map_TAG_SIZEM */
	void (*map)(const struct dma_buf *b);
	void (*unmap)(const struct dma_buf *b);
};

static void type1_map(const struct dma_buf *b)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)b->buf, .iova = IOVA_BASE,
		.size = b->size,
	};

	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m))
		die("MAP_DMA %s: %s", b->tag, strerror(errno));
}

static void type1_unmap(const struct dma_buf *b)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = IOVA_BASE, .size = b->size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u))
		die("UNMAP_DMA %s: %s", b->tag, strerror(errno));
	if (u.size != b->size)
		die("UNMAP_DMA %s unmapped %llu", b->tag,
		    (unsigned long long)u.size);
}

static const struct dma_backend type1_dma = {
	.prefix = "dma", .map = type1_map, .unmap = type1_unmap,
};

static void ioas_map(const struct dma_buf *b)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)b->buf, .length = b->size,
		.iova = IOVA_BASE,
	};

	if (ioctl(iommufd, IOMMU_IOAS_MAP, &m))
		die("IOAS_MAP %s: %s", b->tag, strerror(errno));
}

static void ioas_unmap(const struct dma_buf *b)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas_id,
		.iova = IOVA_BASE, .length = b->size,
	};

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &u))
		die("IOAS_UNMAP %s: %s", b->tag, strerror(errno));
	if (u.length != b->size)
		die("IOAS_UNMAP %s unmapped %llu", b->tag,
		    (unsigned long long)u.length);
}

static const struct dma_backend ioas_dma = {
	.prefix = "ioas", .map = ioas_map, .unmap = ioas_unmap,
};

static void bench_dma(const struct dma_backend *be, bool huge)
{
	double tmap[MAX_REPS], tunmap[MAX_REPS];
	struct dma_buf b;
	char name[64];
	int i;

	dma_buf_get(&b, huge);
	for (i = 0; i < reps; i++) {
		double t0, t1, t2;

		t0 = now_ns();
		be->map(&b);
		t1 = now_ns();
		be->unmap(&b);
		t2 = now_ns();
		tmap[i] = t1 - t0;
		tunmap[i] = t2 - t1;
	}
	snprintf(name, sizeof(name), "%s_map_%s_%luM", be->prefix, b.tag,
		 dma_mib);
	report(name, tmap, reps, "ms");
	snprintf(name, sizeof(name), "%s_unmap_%s_%luM", be->prefix, b.tag,
		 dma_mib);
	report(name, tunmap, reps, "ms");
	dma_buf_put(&b);
}

/* ---- device open + close ---- */

/*
 * Where the time of an open/close metric goes: per phase, the median over
 * the repetitions of its mean time per operation, as a diagnostic line
 * "# METRIC split: PHASE T us, ...". Only for the slow metrics, where a
 * clock read between the phases costs nothing noticeable.
 */
#define MAX_PHASES	4

struct split {
	const char *phase[MAX_PHASES];
	double t[MAX_PHASES][MAX_REPS];
};

static void split_report(const char *metric, struct split *sp, int n)
{
	char line[256];
	size_t len;

	len = snprintf(line, sizeof(line), "%s split:", metric);
	for (int p = 0; p < MAX_PHASES && sp->phase[p]; p++)
		len += snprintf(line + len, sizeof(line) - len, "%s %s %.1f us",
				p ? "," : "", sp->phase[p],
				median(sp->t[p], n) / 1e3);
	diag("%s", line);
}

/*
 * GET_DEVICE_FD + close, @n times per repetition. With no other fd open
 * this is the device's first open and last close (enable, reset); with
 * one kept open it is only the fd's creation. @split: also time the two
 * apart.
 */
static void bench_open_close(const char *metric, int n, bool split)
{
	struct split sp = { .phase = { "get_device_fd", "close" } };
	double t[MAX_REPS];

	for (int i = 0; i < reps; i++) {
		double t0 = now_ns();

		sp.t[0][i] = sp.t[1][i] = 0;
		for (int k = 0; k < n; k++) {
			int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
			double t1, t2;

			if (fd < 0)
				die("GET_DEVICE_FD: %s", strerror(errno));
			if (!split) {
				close(fd);
				continue;
			}
			t1 = now_ns();
			close(fd);
			t2 = now_ns();
			sp.t[1][i] += (t2 - t1) / n;
		}
		t[i] = (now_ns() - t0) / n;
		sp.t[0][i] = t[i] - sp.t[1][i];
	}
	report(metric, t, reps, "us");
	if (split)
		split_report(metric, &sp, reps);
}

/* ---- region reads ---- */

static void bench_pread(const char *metric, uint64_t off, int n)
{
	double t[MAX_REPS];
	uint32_t v;

	for (int i = 0; i < reps; i++) {
		double t0 = now_ns();

		for (int k = 0; k < n; k++)
			if (pread(device, &v, 4, off) != 4)
				die("%s: %s", metric, strerror(errno));
		t[i] = (now_ns() - t0) / n;
	}
	report(metric, t, reps, "us");
}

static void bench_mmap_read(int n)
{
	double t[MAX_REPS];
	volatile uint32_t *p;
	uint32_t sum = 0;
	void *map;

	if (!(bar0_flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		diag("bar0 cannot be mmapped: bar0_mmap_read not measured");
		nfail++;
		return;
	}
	map = mmap(NULL, bar0_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   device, bar0_off);
	if (map == MAP_FAILED)
		die("mmap bar0: %s", strerror(errno));
	p = map;
	if ((p[0] & EDU_IDENT_MASK) != EDU_IDENT)
		die("mmap bar0: bad ident 0x%x", p[0]);
	for (int i = 0; i < reps; i++) {
		double t0 = now_ns();

		for (int k = 0; k < n; k++)
			sum += p[0];
		t[i] = (now_ns() - t0) / n;
	}
	munmap(map, bar0_size);
	report("bar0_mmap_read", t, reps, "us");
	(void)sum;
}

/* ---- MSI round trip ---- */

static int set_msi(int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = efd < 0 ? sizeof(*s) : sizeof(buf);
	s->flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		   (efd < 0 ? VFIO_IRQ_SET_DATA_NONE :
			      VFIO_IRQ_SET_DATA_EVENTFD);
	s->index = VFIO_PCI_MSI_IRQ_INDEX;
	s->start = 0;
	s->count = efd < 0 ? 0 : 1;
	if (efd >= 0)
		memcpy(s->data, &efd, sizeof(int));
	return ioctl(device, VFIO_DEVICE_SET_IRQS, s);
}

static void bench_msi(int n)
{
	double t[MAX_REPS];
	struct pollfd pfd;
	uint64_t cnt;
	int efd;

	efd = eventfd(0, 0);
	if (efd < 0)
		die("eventfd: %s", strerror(errno));
	if (set_msi(efd))
		die("SET_IRQS MSI: %s", strerror(errno));
	pfd.fd = efd;
	pfd.events = POLLIN;
	for (int i = 0; i < reps; i++) {
		double t0 = now_ns();

		for (int k = 0; k < n; k++) {
			wr32(bar0_off + EDU_REG_IRQ_RAISE, 1);
			if (poll(&pfd, 1, 2000) != 1)
				die("MSI %d/%d: no interrupt in 2 s", k, n);
			if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
				die("eventfd read: %s", strerror(errno));
			wr32(bar0_off + EDU_REG_IRQ_ACK, 1);
		}
		t[i] = (now_ns() - t0) / n;
	}
	if (set_msi(-1))
		die("SET_IRQS MSI off: %s", strerror(errno));
	close(efd);
	report("msi_roundtrip", t, reps, "us");
}

/* ---- the iommufd path: cdev, BIND, ATTACH ---- */

/*
 * /dev/vfio/devices/vfioN of the device, from its vfio-dev/ folder in
 * sysfs. False when the stack gives it no cdev.
 */
static bool find_cdev(void)
{
	char name[NAME_MAX + 1];

	if (vfio_cdev_name(bdf, name, sizeof(name)))
		return false;
	snprintf(cdev_path, sizeof(cdev_path), "/dev/vfio/devices/%s", name);
	return true;
}

/*
 * open the cdev, bind it to iommufd and attach it to the IOAS. @ts, if
 * not NULL, gets the clock after each of the three steps.
 */
static int cdev_open_attach(double *ts)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = iommufd,
	};
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = ioas_id,
	};
	int fd = open(cdev_path, O_RDWR);

	if (fd < 0)
		die("%s: %s", cdev_path, strerror(errno));
	if (ts)
		ts[0] = now_ns();
	if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		die("BIND_IOMMUFD: %s", strerror(errno));
	if (ts)
		ts[1] = now_ns();
	if (ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		die("ATTACH_IOMMUFD_PT %u: %s", ioas_id, strerror(errno));
	if (ts)
		ts[2] = now_ns();
	return fd;
}

/*
 * Set up /dev/iommu and one IOAS. False (nothing measured) when the
 * stack has no iommufd or no cdev for the device.
 */
static bool open_iommufd(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (access("/dev/iommu", F_OK)) {
		diag("no /dev/iommu: ioas_* and cdev_* not measured");
		return false;
	}
	if (!find_cdev()) {
		diag("%s has no vfio-dev cdev: ioas_* and cdev_* not measured",
		     bdf);
		nfail++;
		return false;
	}
	iommufd = open("/dev/iommu", O_RDWR);
	if (iommufd < 0)
		die("/dev/iommu: %s", strerror(errno));
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &a))
		die("IOAS_ALLOC: %s", strerror(errno));
	ioas_id = a.out_ioas_id;
	diag("iommufd: %s, IOAS %u", cdev_path, ioas_id);
	return true;
}

/*
 * open + BIND + ATTACH + close of the cdev, @n times per repetition: the
 * device's first open and last close every time (cdev fds are
 * exclusive), as device_open_close is on the group path.
 */
static void bench_cdev_open_close(int n)
{
	struct split sp = {
		.phase = { "open", "bind", "attach", "close" },
	};
	double t[MAX_REPS];

	for (int i = 0; i < reps; i++) {
		double t0 = now_ns();

		for (int p = 0; p < MAX_PHASES; p++)
			sp.t[p][i] = 0;
		for (int k = 0; k < n; k++) {
			double ts[MAX_PHASES], tk = now_ns();
			int fd = cdev_open_attach(ts);

			close(fd);
			ts[3] = now_ns();
			for (int p = 0; p < MAX_PHASES; p++) {
				sp.t[p][i] += (ts[p] - tk) / n;
				tk = ts[p];
			}
		}
		t[i] = (now_ns() - t0) / n;
	}
	report("cdev_open_close", t, reps, "us");
	split_report("cdev_open_close", &sp, reps);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vfio_bench [-d BDF] [-r REPS] [-m MIB] [-s SCALE%%]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int c, scale = 100;

	while ((c = getopt(argc, argv, "d:r:m:s:h")) != -1) {
		switch (c) {
		case 'd':
			bdf = optarg;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'm':
			dma_mib = strtoul(optarg, NULL, 0);
			break;
		case 's':
			scale = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (reps < 1 || reps > MAX_REPS || !dma_mib || scale < 1)
		usage();
#define N(x) ((x) * scale / 100 ? (x) * scale / 100 : 1)

	open_stack();
	enable_device();
	diag("device %s, %d repetitions, DMA %lu MiB at IOVA 0x%llx", bdf,
	     reps, dma_mib, IOVA_BASE);

	bench_dma(&type1_dma, false);
	bench_dma(&type1_dma, true);
	/* N: ~20 ms per repetition under TCG, long enough to ride out
	 * the host scheduling the VM away now and then.
	 */
	bench_pread("config_pread", cfg_off, N(10000));
	bench_pread("bar0_pread", bar0_off + EDU_REG_IDENT, N(10000));
	bench_mmap_read(N(500000));
	bench_msi(N(2000));
	bench_open_close("device_fd_open_close", N(2000), false);

	/* Last: the device's only fd goes, every open enables it again. */
	close(device);
	device = -1;
	bench_open_close("device_open_close", N(5), true);
	close(group);
	close(container);

	/*
	 * The iommufd path, with the group path gone (a BIND while the
	 * group is open is refused): the same DMA metrics through an IOAS
	 * the device is attached to, so that MAP pins and fills the domain
	 * as type1 does, then the cdev's open/close.
	 */
	if (open_iommufd()) {
		device = cdev_open_attach(NULL);
		bench_dma(&ioas_dma, false);
		bench_dma(&ioas_dma, true);
		close(device);
		device = -1;
		bench_cdev_open_close(N(5));
		close(iommufd);
	}
	return nfail ? 1 : 0;
}
