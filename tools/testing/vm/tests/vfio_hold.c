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
 *   vfio_hold [-w] device BDF       container + group + type1 +
 *                                   GET_DEVICE_FD (GET_INFO on it)
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
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>

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

static int get_device(int group, const char *bdf)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int dev;

	dev = keep(ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf));
	if (dev < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD");
	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &info))
		return fail("VFIO_DEVICE_GET_INFO");
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		fprintf(stderr, "vfio_hold: %s: not a PCI device (flags %#x)\n",
			bdf, info.flags);
		return -1;
	}
	return dev;
}

static int open_device(const char *bdf)
{
	int group;

	if (open_session(bdf, &group))
		return -1;
	return get_device(group, bdf);
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
		"usage: vfio_hold [-w] container | group BDF | device BDF | kvm BDF\n"
		"       vfio_hold status FD\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int wait_sig = 0, ret, sig, i;
	const char *what;
	sigset_t set;

	if (argc > 1 && !strcmp(argv[1], "-w")) {
		wait_sig = 1;
		argv++;
		argc--;
	}
	if (argc < 2)
		usage();
	what = argv[1];

	/* Block the signals first: one sent right after "ready" is kept. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
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
		ret = open_device(argv[2]);
	else if (!strcmp(what, "kvm") && argc == 3)
		ret = kvm_session(argv[2]);
	else
		usage();

	if (ret >= 0) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (wait_sig)
			sigwait(&set, &sig);
	}
	for (i = nfds - 1; i >= 0; i--)
		close(fds[i]);
	if (ret >= 0) {
		printf("closed\n");
		fflush(stdout);
	}
	return ret < 0;
}
