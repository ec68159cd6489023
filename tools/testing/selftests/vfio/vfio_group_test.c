// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/vfio/N group ioctls: GET_STATUS, SET/UNSET_CONTAINER, GET_DEVICE_FD
 * (name matching and its options), exclusivity of the group file, and the
 * unbind-while-open path (REQ irq, blocking remove, dead group).
 * Expected errnos are those of upstream Linux 6.12.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define VFIO_UNKNOWN_IOCTL	_IO(VFIO_TYPE, VFIO_BASE + 99)

static const struct vt_dev *dev0;

static uint32_t status(int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st))
		vt_fatal("GET_STATUS: %s", vt_errname(errno));
	return st.flags;
}

/* Another group than dev0's, if the command line gave one. */
static const struct vt_dev *other_group_dev(void)
{
	int i;

	for (i = 1; i < vt_ndevs; i++)
		if (vt_devs[i].group != dev0->group)
			return &vt_devs[i];
	return NULL;
}

static void t_dev_node(void)
{
	char path[128], buf[32];
	struct stat st;
	unsigned int ma, mi;

	VT_ASSERT(!stat(dev0->group_path, &st), "stat %s: %s",
		  dev0->group_path, vt_errname(errno));
	VT_EXPECT(S_ISCHR(st.st_mode), "mode 0%o", st.st_mode);
	snprintf(path, sizeof(path), "/sys/class/vfio/%d/dev", dev0->group);
	if (VT_EXPECT(vt_sysfs_read(path, buf, sizeof(buf)) > 0,
		      "cannot read %s", path) &&
	    VT_EXPECT(sscanf(buf, "%u:%u", &ma, &mi) == 2, "%s", buf)) {
		VT_EXPECT_EQ(major(st.st_rdev), ma);
		VT_EXPECT_EQ(minor(st.st_rdev), mi);
	}
}

static void t_second_open_busy(void)
{
	int fd = vt_open_group(dev0);

	VT_ERRNO(open(dev0->group_path, O_RDWR | O_CLOEXEC), EBUSY);
	vt_close(fd);
	fd = VT_OK(open(dev0->group_path, O_RDWR | O_CLOEXEC));
	if (fd >= 0)
		close(fd);
}

static void t_get_status_argsz(void)
{
	struct {
		struct vfio_group_status st;
		uint32_t canary[4];
	} b;
	int fd = vt_open_group(dev0);

	memset(&b, 0xa5, sizeof(b));
	b.st.argsz = sizeof(b.st);
	VT_OK(ioctl(fd, VFIO_GROUP_GET_STATUS, &b.st));
	VT_EXPECT_EQ(b.st.flags, VFIO_GROUP_FLAGS_VIABLE);

	/* a larger argsz is fine and nothing past the struct is written */
	memset(&b, 0xa5, sizeof(b));
	b.st.argsz = sizeof(b);
	VT_OK(ioctl(fd, VFIO_GROUP_GET_STATUS, &b.st));
	VT_EXPECT_EQ(b.st.argsz, sizeof(b));
	VT_EXPECT_EQ(b.st.flags, VFIO_GROUP_FLAGS_VIABLE);
	VT_EXPECT_EQ(b.canary[0], 0xa5a5a5a5);

	b.st.argsz = sizeof(b.st) - 1;
	VT_ERRNO(ioctl(fd, VFIO_GROUP_GET_STATUS, &b.st), EINVAL);
	b.st.argsz = 0;
	VT_ERRNO(ioctl(fd, VFIO_GROUP_GET_STATUS, &b.st), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_GROUP_GET_STATUS, NULL), EFAULT);
}

static void t_set_container(void)
{
	int c = vt_open_container();
	int g = vt_open_group(dev0);

	VT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	VT_EXPECT_EQ(status(g), VFIO_GROUP_FLAGS_VIABLE |
				VFIO_GROUP_FLAGS_CONTAINER_SET);
}

static void t_set_container_twice(void)
{
	int c = vt_open_container();
	int c2 = vt_open_container();
	int g = vt_open_group(dev0);

	vt_set_container(g, c);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), EINVAL);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c2), EINVAL);
	VT_EXPECT_EQ(status(g), VFIO_GROUP_FLAGS_VIABLE |
				VFIO_GROUP_FLAGS_CONTAINER_SET);
}

static void t_set_container_bad_fd(void)
{
	int g = vt_open_group(dev0);
	int bad = -1;
	int closed = vt_open_container();

	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &bad), EBADF);
	vt_close(closed);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &closed), EBADF);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, NULL), EFAULT);
	VT_EXPECT_EQ(status(g), VFIO_GROUP_FLAGS_VIABLE);
}

static void t_set_container_not_container(void)
{
	int g = vt_open_group(dev0);
	int null = vt_track(open("/dev/null", O_RDWR | O_CLOEXEC));
	int efd = vt_eventfd();
	int file = vt_track(open("/proc/self/status", O_RDONLY | O_CLOEXEC));

	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &null), EBADFD);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &efd), EBADFD);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &file), EBADFD);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &g), EBADFD);
	VT_EXPECT_EQ(status(g), VFIO_GROUP_FLAGS_VIABLE);
}

static void t_unset_container(void)
{
	int c = vt_open_container();
	int g = vt_open_group(dev0);

	VT_ERRNO(ioctl(g, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	vt_set_container(g, c);
	VT_OK(ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	VT_EXPECT_EQ(status(g), VFIO_GROUP_FLAGS_VIABLE);
	VT_ERRNO(ioctl(g, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	/* and the group can join again */
	VT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
}

static void t_get_device_fd_order(void)
{
	int c = vt_open_container();
	int g = vt_open_group(dev0);

	/* no container yet */
	VT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, dev0->bdf), EINVAL);
	/* container but no IOMMU backend yet */
	vt_set_container(g, c);
	VT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, dev0->bdf), EINVAL);
	vt_set_iommu(c, VFIO_TYPE1v2_IOMMU);
	vt_get_device(g, dev0->bdf);
}

static void t_get_device_fd_wrong_name(void)
{
	char name[64];
	struct vt_session s;
	size_t len = strlen(dev0->bdf);

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, false);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, "0000:ff:1f.7"),
		 ENODEV);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, ""), ENODEV);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, "nonsense"),
		 ENODEV);
	snprintf(name, sizeof(name), "%sx", dev0->bdf);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, name), ENODEV);
	snprintf(name, sizeof(name), "%.*s", (int)len - 1, dev0->bdf);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, name), ENODEV);
	/* the ABI has no domain-less form */
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, dev0->bdf + 5),
		 ENODEV);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, NULL), EFAULT);
}

static void t_get_device_fd_options(void)
{
	static const char uuid[] = "bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3";
	char name[128], path[128];
	char *huge;
	struct vt_session s;
	int fd;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, false);

	/* trailing blanks after the name are accepted */
	snprintf(name, sizeof(name), "%s  ", dev0->bdf);
	fd = VT_OK(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, name));
	if (fd >= 0)
		close(fd);
	snprintf(name, sizeof(name), "%s foo=bar", dev0->bdf);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, name), EINVAL);
	snprintf(name, sizeof(name), "%s vf_token=1234", dev0->bdf);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, name), EINVAL);
	snprintf(name, sizeof(name), "%s vf_token=%.35sx", dev0->bdf, uuid);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, name), EINVAL);

	/* a well-formed token on a device that is neither PF nor VF */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_totalvfs",
		 dev0->bdf);
	if (access(path, F_OK)) {
		snprintf(name, sizeof(name), "%s vf_token=%s", dev0->bdf,
			 uuid);
		VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, name),
			 EINVAL);
	}

	/* longer than a page without a terminator */
	huge = vt_alloc(3 * VT_PAGE);
	memset(huge, 'a', 3 * VT_PAGE);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, huge), EINVAL);
}

static void t_get_device_fd(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vt_session s;
	int fd2;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, true);
	VT_EXPECT(fcntl(s.device, F_GETFD) & FD_CLOEXEC,
		  "device fd is not close-on-exec");
	VT_OK(ioctl(s.device, VFIO_DEVICE_GET_INFO, &di));
	/* the group path allows several fds for one device */
	fd2 = vt_get_device(s.group, dev0->bdf);
	VT_EXPECT(fd2 != s.device, "same fd");
	di.argsz = sizeof(di);
	VT_OK(ioctl(fd2, VFIO_DEVICE_GET_INFO, &di));
}

static void t_unset_container_device_open(void)
{
	struct vt_session s;
	int fd2;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, true);
	fd2 = vt_get_device(s.group, dev0->bdf);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
	vt_close(s.device);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
	vt_close(fd2);
	VT_OK(ioctl(s.group, VFIO_GROUP_UNSET_CONTAINER));
	VT_EXPECT_EQ(status(s.group), VFIO_GROUP_FLAGS_VIABLE);
}

static void t_group_close_device_open(void)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vt_session s;
	int g;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, true);
	vt_close(s.group);
	vt_close(s.container);
	/* the device fd pins the group file: still opened */
	VT_OK(ioctl(s.device, VFIO_DEVICE_GET_INFO, &di));
	VT_ERRNO(open(dev0->group_path, O_RDWR | O_CLOEXEC), EBUSY);
	vt_close(s.device);
	g = vt_open_group(dev0);
	VT_EXPECT_EQ(status(g), VFIO_GROUP_FLAGS_VIABLE);
}

static void t_unknown_ioctl(void)
{
	int g = vt_open_group(dev0);

	VT_ERRNO(ioctl(g, VFIO_UNKNOWN_IOCTL), ENOTTY);
	VT_ERRNO(ioctl(g, _IO('x', 1)), ENOTTY);
}

static void t_two_groups_one_container(void)
{
	const struct vt_dev *d1 = other_group_dev();
	int c, g0, g1, c2;

	if (!d1)
		vt_skip("needs a second device in another IOMMU group (-d)");
	c = vt_open_container();
	g0 = vt_open_group(dev0);
	g1 = vt_open_group(d1);
	vt_set_container(g0, c);
	vt_set_container(g1, c);
	vt_set_iommu(c, VFIO_TYPE1v2_IOMMU);
	VT_EXPECT_EQ(status(g1), VFIO_GROUP_FLAGS_VIABLE |
				 VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* a device is only reachable through its own group */
	VT_ERRNO(ioctl(g0, VFIO_GROUP_GET_DEVICE_FD, d1->bdf), ENODEV);
	VT_ERRNO(ioctl(g1, VFIO_GROUP_GET_DEVICE_FD, dev0->bdf), ENODEV);
	vt_get_device(g0, dev0->bdf);
	vt_get_device(g1, d1->bdf);
	/* a group already in a container cannot join another one */
	c2 = vt_open_container();
	VT_ERRNO(ioctl(g1, VFIO_GROUP_SET_CONTAINER, &c2), EINVAL);
}

static void t_group_joins_live_container(void)
{
	const struct vt_dev *d1 = other_group_dev();
	struct vt_session s;
	void *buf = vt_alloc(VT_PAGE);
	int g1;

	if (!d1)
		vt_skip("needs a second device in another IOMMU group (-d)");
	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, true);
	VT_OK(vt_map(s.container, buf, 0x100000, VT_PAGE,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	g1 = vt_open_group(d1);
	/* attaching after SET_IOMMU replays the existing mappings */
	vt_set_container(g1, s.container);
	vt_get_device(g1, d1->bdf);
	VT_ERRNO(ioctl(g1, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
}

/* A group whose other member is driven by a kernel driver is not viable. */
static void t_unviable_group(void)
{
	char path[256], drv[64];
	const struct vt_dev *found = NULL;
	struct dirent *de;
	int i, g, c;
	DIR *dir;

	for (i = 0; i < vt_ndevs && !found; i++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/iommu_groups/%d/devices", vt_devs[i].group);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir)) && !found) {
			if (de->d_name[0] == '.' ||
			    !strcmp(de->d_name, vt_devs[i].bdf))
				continue;
			snprintf(path, sizeof(path),
				 "/sys/bus/pci/devices/%s/driver", de->d_name);
			if (vt_link_name(path, drv, sizeof(drv)))
				continue;
			if (strcmp(drv, "vfio-pci") && strcmp(drv, "pcieport") &&
			    strcmp(drv, "pci-stub"))
				found = &vt_devs[i];
		}
		closedir(dir);
	}
	if (!found)
		vt_skip("no IOMMU group here holds a device bound to a kernel DMA driver (every test device has a group of its own)");
	g = vt_open_group(found);
	c = vt_open_container();
	VT_EXPECT_EQ(status(g), 0);
	VT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), EBUSY);
}

static void rebind_all(void)
{
	int i;

	for (i = 0; i < vt_ndevs; i++)
		vt_bind_vfio(&vt_devs[i]);
}

/*
 * Unbinding the device from vfio-pci while userspace holds a device fd:
 * the kernel asks through the REQ irq and waits; once the fd is closed the
 * unbind completes and the still-open group fd reports a dead group.
 */
static void t_unbind_while_open(void)
{
	struct vt_session s;
	void *buf = vt_alloc(VT_PAGE);
	long lk0 = vt_locked_kb();
	int efd, wst, c2;
	pid_t pid;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, true);
	VT_OK(vt_map(s.container, buf, 0x100000, VT_PAGE,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	efd = vt_eventfd();
	VT_ASSERT(!vt_set_irqs_fd(s.device, VFIO_PCI_REQ_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, efd),
		  "cannot register the REQ eventfd");

	pid = fork();
	VT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		int r;

		/*
		 * Drop the inherited VFIO fds first: the unbind waits for
		 * every device fd, ours included, to be closed.
		 */
		closefrom(3);
		r = vt_sysfs_write("/sys/bus/pci/drivers/vfio-pci/unbind",
				   dev0->bdf);
		_exit(r ? 1 : 0);
	}
	VT_EXPECT(vt_wait_eventfd(efd, 5000) >= 1,
		  "no device request on the REQ eventfd");
	/* unbind is still waiting for us */
	VT_EXPECT(waitpid(pid, &wst, WNOHANG) == 0, "unbind did not wait");
	/* no new device fds while the device goes away */
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, dev0->bdf), ENODEV);

	vt_close(s.device);
	VT_EXPECT(waitpid(pid, &wst, 0) == pid && WIFEXITED(wst) &&
		  WEXITSTATUS(wst) == 0, "unbind failed");

	/* the group is dead: its container was detached, pins released */
	VT_EXPECT_EQ(vt_locked_kb(), lk0);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_STATUS,
		       &(struct vfio_group_status){ .argsz = 16 }), ENODEV);
	c2 = vt_open_container();
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_SET_CONTAINER, &c2), ENODEV);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	VT_ERRNO(ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, dev0->bdf), ENODEV);
	VT_EXPECT(access(dev0->group_path, F_OK) != 0,
		  "%s still exists", dev0->group_path);

	/* bind again: a fresh group appears while the stale fd is open */
	vt_sysfs_write("/sys/bus/pci/drivers_probe", dev0->bdf);
	for (wst = 0; wst < 100 && access(dev0->group_path, F_OK); wst++)
		usleep(20000);
	VT_EXPECT(!access(dev0->group_path, F_OK), "%s did not come back",
		  dev0->group_path);
	vt_close(s.group);
	vt_close(s.container);
	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, true);
}

static const struct vt_test tests[] = {
	{ .name = "dev_node", .fn = t_dev_node },
	{ .name = "second_open_busy", .fn = t_second_open_busy },
	{ .name = "get_status_argsz", .fn = t_get_status_argsz },
	{ .name = "set_container", .fn = t_set_container },
	{ .name = "set_container_twice", .fn = t_set_container_twice },
	{ .name = "set_container_bad_fd", .fn = t_set_container_bad_fd },
	{ .name = "set_container_not_a_container", .fn = t_set_container_not_container },
	{ .name = "unset_container", .fn = t_unset_container },
	{ .name = "get_device_fd_order", .fn = t_get_device_fd_order },
	{ .name = "get_device_fd_wrong_name", .fn = t_get_device_fd_wrong_name },
	{ .name = "get_device_fd_options", .fn = t_get_device_fd_options },
	{ .name = "get_device_fd", .fn = t_get_device_fd },
	{ .name = "unset_container_device_open", .fn = t_unset_container_device_open },
	{ .name = "group_close_device_open", .fn = t_group_close_device_open },
	{ .name = "unknown_ioctl", .fn = t_unknown_ioctl },
	{ .name = "two_groups_one_container", .fn = t_two_groups_one_container },
	{ .name = "group_joins_live_container", .fn = t_group_joins_live_container },
	{ .name = "unviable_group", .fn = t_unviable_group },
	{ .name = "unbind_while_open", .fn = t_unbind_while_open, .timeout = 90 },
};

static void setup(void)
{
	dev0 = &vt_devs[0];
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "group", VT_TESTS(tests),
		.devs = VT_DEVS_ANY, .min_devs = 1,
		.setup = setup, .after_each = rebind_all,
	};

	return vt_main(argc, argv, &suite);
}
