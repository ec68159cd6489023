// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_hold: open one VFIO file the way a client does and, with -w, keep
 * it open until SIGTERM/SIGINT/SIGHUP. Used by the shell tests to check
 * what the kernel does while userspace holds a file (rmmod refused,
 * unbind blocked) and that the files can be opened at all.
 *
 *   vfio_hold [-w] container        /dev/vfio/vfio (GET_API_VERSION)
 *   vfio_hold [-w] group BDF        /dev/vfio/N of the device's group
 *                                   (GET_STATUS)
 *   vfio_hold [-w] [-r|-R] [-m] [-t UUID] device BDF
 *                                   container + group + type1 +
 *                                   GET_DEVICE_FD (GET_INFO on it)
 *       -t  open the device as "BDF vf_token=UUID" (an SR-IOV VF of a
 *           PF on vfio-pci; on the PF, with no VF open, it sets the
 *           token)
 *       -r  register an eventfd on VFIO_PCI_REQ_IRQ_INDEX (the kernel
 *           signals it when it wants the device back: unbind, remove)
 *           and, while waiting (-w), print "req N at MS" (N: the eventfd
 *           count read, MS: CLOCK_MONOTONIC in ms) each time it fires,
 *           then "alive 0xV": the device still answers (V: config
 *           dword 0 read through the device fd, or with -m BAR 0's
 *           first register); the request is ignored
 *       -R  as -r, but honour the first request as QEMU does: unmap and
 *           close everything, print "closed", exit
 *       -m  mmap BAR 0, print "bar0 0xV" (its first 32-bit register read
 *           through the mapping), then close the device, group and
 *           container fds: only the mapping (and the REQ eventfd) stays,
 *           the VMA keeping the device file alive
 *     While waiting (-w) with a device, SIGUSR1 releases the device only
 *     (unmap, close the device fd; container and group stay open, as a
 *     client giving up one device) and prints "released"; at the final
 *     signal, a group kept that way is asked VFIO_GROUP_GET_STATUS first:
 *     "group flags 0xN" or "group ERRNO".
 *   vfio_hold [-w] [-r|-R] [-m] cdev BDF
 *                                   the cdev path: /dev/iommu, an IOAS,
 *                                   the device's /dev/vfio/devices/vfioN
 *                                   bound to it (BIND_IOMMUFD) and
 *                                   attached to the IOAS
 *                                   (ATTACH_IOMMUFD_PT), GET_INFO; -r, -R
 *                                   and -m as for "device", SIGUSR1 then
 *                                   keeps /dev/iommu only
 *   vfio_hold kvm BDF               KVM's path into VFIO: as "device",
 *                                   the group added to a VM's
 *                                   KVM_DEV_TYPE_VFIO device first (kvm
 *                                   symbol_get()s vfio.ko's vfio_file_*),
 *                                   then device fd closed, FILE_DEL;
 *                                   needs /dev/kvm
 *   vfio_hold status FD             VFIO_GROUP_GET_STATUS on an inherited
 *                                   group fd; prints "flags 0xN" or the
 *                                   errno name, exit 0 either way
 *
 * Prints "ready PID" once everything is open (the shell waits for that
 * line), then "closed" after the files were closed. Exit status: 0 when
 * every open and ioctl worked, 1 otherwise (with the failing call and
 * errno on stderr), 2 on usage errors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>

#include "vfio_cdev_name.h"

static int fail(const char *what)
{
	fprintf(stderr, "vfio_hold: %s: %s\n", what, strerror(errno));
	return -1;
}

static int open_container(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return fail("open /dev/vfio/vfio");
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		fail("VFIO_GET_API_VERSION");
		close(fd);
		return -1;
	}
	return fd;
}

/* /dev/vfio/N for the IOMMU group of PCI device @bdf. */
static int open_group(const char *bdf)
{
	char link[PATH_MAX], target[PATH_MAX], path[PATH_MAX];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	ssize_t n;
	int fd;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return fail(link);
	target[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(target));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(path);
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st)) {
		fail("VFIO_GROUP_GET_STATUS");
		close(fd);
		return -1;
	}
	return fd;
}

static int fds[6];
static int nfds;

static int keep(int fd)
{
	if (fd >= 0)
		fds[nfds++] = fd;
	return fd;
}

/* Container + group of @bdf, attached, type1 set: a usable group. */
static int open_session(const char *bdf, int *group)
{
	int container;

	container = keep(open_container());
	if (container < 0)
		return -1;
	*group = keep(open_group(bdf));
	if (*group < 0)
		return -1;
	if (ioctl(*group, VFIO_GROUP_SET_CONTAINER, &container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("VFIO_SET_IOMMU(TYPE1v2)");
	return 0;
}

/* -t: the VF token passed with the device name. */
static const char *vf_token;

/* A device fd is a PCI device's, whichever way it was opened. */
static int check_pci(int dev, const char *bdf)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &info))
		return fail("VFIO_DEVICE_GET_INFO");
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		fprintf(stderr, "vfio_hold: %s: not a PCI device (flags %#x)\n",
			bdf, info.flags);
		return -1;
	}
	return dev;
}

static int get_device(int group, const char *bdf)
{
	char name[128];
	int dev;

	if (vf_token)
		snprintf(name, sizeof(name), "%s vf_token=%s", bdf, vf_token);
	else
		snprintf(name, sizeof(name), "%s", bdf);
	dev = keep(ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name));
	if (dev < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD");
	return check_pci(dev, bdf);
}

/* /dev/vfio/devices/vfioN of @bdf, as found under its vfio-dev/. */
static int open_cdev(const char *bdf)
{
	char name[NAME_MAX + 1], path[PATH_MAX];
	int fd, ret = vfio_cdev_name(bdf, name, sizeof(name));

	if (ret) {
		errno = -ret;
		return fail("vfio-dev");
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(path);
	return fd;
}

/* /dev/iommu + IOAS, the cdev bound and attached to it: fds[0], fds[1]. */
static int open_cdev_device(const char *bdf)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	int ictx, dev;

	ictx = keep(open("/dev/iommu", O_RDWR | O_CLOEXEC));
	if (ictx < 0)
		return fail("open /dev/iommu");
	if (ioctl(ictx, IOMMU_IOAS_ALLOC, &ioas))
		return fail("IOMMU_IOAS_ALLOC");
	dev = keep(open_cdev(bdf));
	if (dev < 0)
		return -1;
	bind.iommufd = ictx;
	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return fail("VFIO_DEVICE_BIND_IOMMUFD");
	at.pt_id = ioas.out_ioas_id;
	if (ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return fail("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	return check_pci(dev, bdf);
}

static int open_device(const char *bdf)
{
	int group;

	if (open_session(bdf, &group))
		return -1;
	return get_device(group, bdf);
}

/* The REQ eventfd (-r/-R) and the BAR 0 mapping (-m), when asked for. */
static int req_fd = -1;
static volatile uint32_t *bar0;
static size_t bar0_size;

/* One eventfd as the device's request channel (SET_IRQS, TRIGGER). */
static int register_req(int dev)
{
	struct vfio_irq_info ii = {
		.argsz = sizeof(ii), .index = VFIO_PCI_REQ_IRQ_INDEX,
	};
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_REQ_IRQ_INDEX,
			.count = 1,
		},
	};

	if (ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &ii))
		return fail("VFIO_DEVICE_GET_IRQ_INFO(REQ)");
	if (ii.count != 1) {
		fprintf(stderr, "vfio_hold: REQ irq count %u\n", ii.count);
		return -1;
	}
	req_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (req_fd < 0)
		return fail("eventfd");
	irq.fd = req_fd;
	if (ioctl(dev, VFIO_DEVICE_SET_IRQS, &irq))
		return fail("VFIO_DEVICE_SET_IRQS(REQ)");
	return 0;
}

/* mmap BAR 0 and read its first register through the mapping. */
static int map_bar0(int dev)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	void *p;

	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return fail("VFIO_DEVICE_GET_REGION_INFO(BAR0)");
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || ri.size < 4) {
		fprintf(stderr, "vfio_hold: BAR 0 not mappable (flags %#x)\n",
			ri.flags);
		return -1;
	}
	p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		 (off_t)ri.offset);
	if (p == MAP_FAILED)
		return fail("mmap BAR 0");
	bar0 = p;
	bar0_size = ri.size;
	printf("bar0 %#x\n", bar0[0]);
	return 0;
}

/* Close every fd but the REQ eventfd: the mapping alone keeps the device. */
static void close_fds(void)
{
	while (nfds)
		close(fds[--nfds]);
}

/* The device fd of a session, while it is open (the last of fds[]). */
static int dev_fd = -1;

/* SIGUSR1: drop the device, keep the container and the group. */
static void release_device(void)
{
	if (bar0) {
		munmap((void *)bar0, bar0_size);
		bar0 = NULL;
	}
	if (dev_fd >= 0 && nfds && fds[nfds - 1] == dev_fd) {
		close(dev_fd);
		nfds--;
	}
	dev_fd = -1;
	printf("released\n");
	fflush(stdout);
}

/* What the kept group answers once its device went away. */
static void report_group(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	if (nfds != 2)
		return;
	if (ioctl(fds[1], VFIO_GROUP_GET_STATUS, &st))
		printf("group %s\n", strerrorname_np(errno));
	else
		printf("group flags %#x\n", st.flags);
	fflush(stdout);
}

/* vfio_hold device|cdev BDF with its options. */
static int device_session(const char *bdf, bool cdev, bool req, bool map)
{
	int dev = cdev ? open_cdev_device(bdf) : open_device(bdf);

	if (dev < 0)
		return -1;
	dev_fd = dev;
	if (req && register_req(dev))
		return -1;
	if (map) {
		if (map_bar0(dev))
			return -1;
		close_fds();
		dev_fd = -1;
	}
	return 0;
}

/* Undo everything: the mapping first, as a client tearing down. */
static void release_all(void)
{
	if (bar0) {
		munmap((void *)bar0, bar0_size);
		bar0 = NULL;
	}
	close_fds();
	if (req_fd >= 0) {
		close(req_fd);
		req_fd = -1;
	}
}

/* The device still works while the kernel waits for it: read it. */
static void report_alive(void)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint32_t v;

	if (bar0) {
		printf("alive %#x\n", bar0[0]);
	} else if (dev_fd < 0) {
		return;
	} else if (ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, &ri)) {
		printf("alive GET_REGION_INFO %s\n", strerrorname_np(errno));
	} else if (pread(dev_fd, &v, sizeof(v), (off_t)ri.offset) !=
		   sizeof(v)) {
		printf("alive config read %s\n", strerrorname_np(errno));
	} else {
		printf("alive %#x\n", v);
	}
	fflush(stdout);
}

/*
 * Wait for a signal in @set but SIGUSR1; meanwhile report each device
 * request and, with @honour, return at the first one.
 */
static int wait_loop(const sigset_t *set, bool honour)
{
	struct pollfd p[2] = {
		{ .fd = signalfd(-1, set, SFD_CLOEXEC), .events = POLLIN },
		{ .fd = req_fd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	bool released = false;
	struct timespec ts;
	uint64_t n;

	if (p[0].fd < 0)
		return fail("signalfd");
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail("poll");
			break;
		}
		if (p[0].revents) {
			if (read(p[0].fd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo != SIGUSR1)
				break;
			release_device();
			released = true;
			continue;
		}
		if (!(p[1].revents & POLLIN) ||
		    read(req_fd, &n, sizeof(n)) != sizeof(n))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("req %llu at %lld\n", (unsigned long long)n,
		       (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		fflush(stdout);
		report_alive();
		if (honour)
			break;
	}
	close(p[0].fd);
	if (released)
		report_group();
	return 0;
}

/*
 * What QEMU does for a VFIO device in a KVM guest: the group goes to the
 * VM's kvm-vfio device before the device is opened. kvm_vfio takes
 * vfio_file_is_valid(), vfio_file_set_kvm() and
 * vfio_file_enforced_coherent() from vfio.ko with symbol_get() (FILE_ADD
 * fails with EINVAL without them); opening the device then takes a
 * reference on the VM (kvm_get_kvm_safe(), itself found by symbol_get()).
 * Undone in QEMU's order: device fd, FILE_DEL, then the rest at exit.
 */
static int kvm_session(const char *bdf)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP,	/* KVM_DEV_VFIO_FILE since 6.6 */
		.attr = KVM_DEV_VFIO_GROUP_ADD,
	};
	int32_t gfd;
	int kvm, vm, dev;

	if (open_session(bdf, &gfd))
		return -1;
	kvm = keep(open("/dev/kvm", O_RDWR | O_CLOEXEC));
	if (kvm < 0)
		return fail("open /dev/kvm");
	vm = keep(ioctl(kvm, KVM_CREATE_VM, 0));
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
		return fail("KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO)");
	keep((int)cd.fd);
	attr.addr = (uint64_t)(uintptr_t)&gfd;
	if (ioctl((int)cd.fd, KVM_SET_DEVICE_ATTR, &attr))
		return fail("KVM_DEV_VFIO_FILE_ADD");
	dev = get_device(gfd, bdf);
	if (dev < 0)
		return -1;
	close(fds[--nfds]);
	attr.attr = KVM_DEV_VFIO_GROUP_DEL;
	if (ioctl((int)cd.fd, KVM_SET_DEVICE_ATTR, &attr))
		return fail("KVM_DEV_VFIO_FILE_DEL");
	return gfd;
}

/* GET_STATUS on a group fd the shell opened and passed down. */
static int group_status(const char *arg)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char *end;
	long fd = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || fd < 0 || fd > INT_MAX)
		return -1;
	if (ioctl((int)fd, VFIO_GROUP_GET_STATUS, &st))
		printf("%s\n", strerrorname_np(errno));
	else
		printf("flags %#x\n", st.flags);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vfio_hold [-w] container | group BDF | kvm BDF\n"
		"       vfio_hold [-w] [-r|-R] [-m] [-t UUID] device BDF\n"
		"       vfio_hold [-w] [-r|-R] [-m] cdev BDF\n"
		"       vfio_hold status FD\n");
	exit(2);
}

int main(int argc, char **argv)
{
	bool wait_sig = false, req = false, honour = false, map = false;
	const char *what;
	sigset_t set;
	int ret;

	for (; argc > 1 && argv[1][0] == '-'; argv++, argc--) {
		if (!strcmp(argv[1], "-t") && argc > 2) {
			vf_token = argv[2];
			argv++;
			argc--;
		} else if (!strcmp(argv[1], "-w")) {
			wait_sig = true;
		} else if (!strcmp(argv[1], "-r")) {
			req = true;
		} else if (!strcmp(argv[1], "-R")) {
			req = honour = true;
		} else if (!strcmp(argv[1], "-m")) {
			map = true;
		} else {
			usage();
		}
	}
	if (argc < 2)
		usage();
	what = argv[1];
	if ((req || map) && strcmp(what, "device") && strcmp(what, "cdev"))
		usage();
	if (vf_token && strcmp(what, "device"))
		usage();

	/* Block the signals first: one sent right after "ready" is kept. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (!strcmp(what, "status") && argc == 3 && !wait_sig) {
		if (group_status(argv[2]))
			usage();
		return 0;
	}
	if (!strcmp(what, "container") && argc == 2)
		ret = keep(open_container());
	else if (!strcmp(what, "group") && argc == 3)
		ret = keep(open_group(argv[2]));
	else if (!strcmp(what, "device") && argc == 3)
		ret = device_session(argv[2], false, req, map);
	else if (!strcmp(what, "cdev") && argc == 3)
		ret = device_session(argv[2], true, req, map);
	else if (!strcmp(what, "kvm") && argc == 3)
		ret = kvm_session(argv[2]);
	else
		usage();

	if (ret >= 0) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (wait_sig && wait_loop(&set, honour))
			ret = -1;
	}
	release_all();
	if (ret >= 0) {
		printf("closed\n");
		fflush(stdout);
	}
	return ret < 0;
}
