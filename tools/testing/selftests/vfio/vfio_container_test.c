// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/vfio/vfio container ioctls: API version, extensions, SET_IOMMU
 * ordering rules, ioctls sent to the wrong kind of fd and unknown ioctls.
 * Expected errnos are those of upstream Linux 6.12.
 */
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "vfio_test_lib.h"

#define VFIO_MISC_MINOR		196
#define VFIO_UNKNOWN_IOCTL	_IO(VFIO_TYPE, VFIO_BASE + 99)

static const struct vt_dev *dev0;
static char noiommu_param[256];
static char noiommu_orig[8];

static void find_noiommu_param(void)
{
	glob_t g;

	if (!access("/sys/module/vfio/parameters/enable_unsafe_noiommu_mode",
		    F_OK)) {
		snprintf(noiommu_param, sizeof(noiommu_param),
			 "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode");
	} else if (!glob("/sys/module/*/parameters/enable_unsafe_noiommu_mode",
			 0, NULL, &g)) {
		snprintf(noiommu_param, sizeof(noiommu_param), "%s",
			 g.gl_pathv[0]);
		globfree(&g);
	}
	if (noiommu_param[0])
		vt_sysfs_read(noiommu_param, noiommu_orig,
			      sizeof(noiommu_orig));
}

static void restore_params(void)
{
	char cur[8];

	if (!noiommu_param[0])
		return;
	if (vt_sysfs_read(noiommu_param, cur, sizeof(cur)) >= 0 &&
	    strcmp(cur, noiommu_orig))
		vt_sysfs_write(noiommu_param, noiommu_orig);
}

static bool have_intel_iommu(void)
{
	glob_t g;
	bool ret;

	ret = !glob("/sys/class/iommu/dmar*", 0, NULL, &g);
	if (ret)
		globfree(&g);
	return ret;
}

static long ext(int fd, unsigned long e)
{
	return ioctl(fd, VFIO_CHECK_EXTENSION, e);
}

static void t_dev_node(void)
{
	struct stat st;
	int fd;

	VT_ASSERT(!stat("/dev/vfio/vfio", &st), "stat: %s",
		  vt_errname(errno));
	VT_EXPECT(S_ISCHR(st.st_mode), "mode 0%o", st.st_mode);
	VT_EXPECT_EQ(major(st.st_rdev), 10);
	VT_EXPECT_EQ(minor(st.st_rdev), VFIO_MISC_MINOR);
	vt_diag("/dev/vfio/vfio mode 0%o", st.st_mode & 07777);
	fd = vt_open_container();
	VT_EXPECT(fd >= 0, "open");
	/* Containers are independent: any number may be open at once. */
	VT_EXPECT(vt_open_container() >= 0, "second open");
}

static void t_api_version(void)
{
	int fd = vt_open_container();

	VT_EXPECT_EQ(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	/* The argument is ignored. */
	VT_EXPECT_EQ(ioctl(fd, VFIO_GET_API_VERSION, 0x1234UL),
		     VFIO_API_VERSION);
}

static void t_check_extension_fresh(void)
{
	int fd = vt_open_container();

	VT_EXPECT_EQ(ext(fd, VFIO_TYPE1_IOMMU), 1);
	VT_EXPECT_EQ(ext(fd, VFIO_TYPE1v2_IOMMU), 1);
	VT_EXPECT_EQ(ext(fd, VFIO_TYPE1_NESTING_IOMMU), 1);
	VT_EXPECT_EQ(ext(fd, VFIO_UNMAP_ALL), 1);
	/* Need an opened IOMMU backend: 0 until SET_IOMMU. */
	VT_EXPECT_EQ(ext(fd, VFIO_UPDATE_VADDR), 0);
	VT_EXPECT_EQ(ext(fd, VFIO_DMA_CC_IOMMU), 0);
}

static void t_check_extension_unknown(void)
{
	static const unsigned long unknown[] = {
		0, VFIO_SPAPR_TCE_IOMMU, VFIO_EEH, VFIO_SPAPR_TCE_v2_IOMMU,
		11, 100, 0xffffffffUL, ~0UL,
	};
	int fd = vt_open_container();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		long r = ext(fd, unknown[i]);

		VT_EXPECT(r == 0, "CHECK_EXTENSION(%lu) = %ld, want 0",
			  unknown[i], r);
	}
}

static void t_check_extension_noiommu(void)
{
	char val[8] = "N";
	int fd = vt_open_container();

	if (noiommu_param[0])
		vt_sysfs_read(noiommu_param, val, sizeof(val));
	if (val[0] == 'Y' || val[0] == '1')
		VT_EXPECT_EQ(ext(fd, VFIO_NOIOMMU_IOMMU), 1);
	else
		VT_EXPECT_EQ(ext(fd, VFIO_NOIOMMU_IOMMU), 0);
}

static void t_noiommu_mode_toggle(void)
{
	struct vt_session s;
	int fd, ret;

	if (!noiommu_param[0])
		vt_skip("kernel built without CONFIG_VFIO_NOIOMMU (no enable_unsafe_noiommu_mode parameter)");
	ret = vt_sysfs_write(noiommu_param, "Y");
	if (ret)
		vt_skip("cannot enable noiommu mode: %s", vt_errname(-ret));

	fd = vt_open_container();
	VT_EXPECT_EQ(ext(fd, VFIO_NOIOMMU_IOMMU), 1);
	VT_EXPECT_EQ(ext(fd, VFIO_TYPE1v2_IOMMU), 1);

	/* A container holding a real IOMMU group never offers noiommu. */
	vt_session_open(&s, dev0, 0, false);
	VT_EXPECT_EQ(ext(s.container, VFIO_NOIOMMU_IOMMU), 0);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU),
		 ENODEV);
	VT_OK(ioctl(s.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));

	vt_sysfs_write(noiommu_param, "N");
	VT_EXPECT_EQ(ext(fd, VFIO_NOIOMMU_IOMMU), 0);
}

static void t_set_iommu_without_group(void)
{
	int fd = vt_open_container();

	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_SET_IOMMU, 100UL), EINVAL);
}

static void t_set_iommu_bad_type(void)
{
	struct vt_session s;

	vt_session_open(&s, dev0, 0, false);
	/* no backend claims the extension */
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, 100UL), ENODEV);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, 0UL), ENODEV);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU),
		 ENODEV);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_DMA_CC_IOMMU),
		 ENODEV);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_UPDATE_VADDR),
		 ENODEV);
	/* type1 claims UNMAP_ALL as an extension but cannot open it */
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_UNMAP_ALL), EINVAL);
	/* intel-iommu cannot enable nesting on a type1 domain */
	if (have_intel_iommu())
		VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU,
			       VFIO_TYPE1_NESTING_IOMMU), EINVAL);
	/* none of the failures left a backend behind */
	VT_EXPECT_EQ(ext(s.container, VFIO_UPDATE_VADDR), 0);
	VT_OK(ioctl(s.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
}

static void t_set_iommu_twice(void)
{
	struct vt_session s;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, false);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU),
		 EINVAL);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU),
		 EINVAL);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, 100UL), EINVAL);
}

static void t_check_extension_after_set_iommu(void)
{
	struct vt_session s;
	long cc;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, false);
	VT_EXPECT_EQ(ext(s.container, VFIO_TYPE1_IOMMU), 1);
	VT_EXPECT_EQ(ext(s.container, VFIO_TYPE1v2_IOMMU), 1);
	VT_EXPECT_EQ(ext(s.container, VFIO_UNMAP_ALL), 1);
	VT_EXPECT_EQ(ext(s.container, VFIO_UPDATE_VADDR), 1);
	VT_EXPECT_EQ(ext(s.container, VFIO_NOIOMMU_IOMMU), 0);
	VT_EXPECT_EQ(ext(s.container, 100), 0);
	cc = ext(s.container, VFIO_DMA_CC_IOMMU);
	VT_EXPECT(cc == 0 || cc == 1, "DMA_CC_IOMMU = %ld", cc);
	vt_diag("VFIO_DMA_CC_IOMMU = %ld", cc);
}

static void t_ioctls_without_backend(void)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um) };
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vt_session s;
	void *buf = vt_alloc(VT_PAGE);
	int fd = vt_open_container();

	/* Empty container: everything but the three core ioctls is EINVAL. */
	VT_ERRNO(ioctl(fd, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	VT_EXPECT_EQ(vt_map(fd, buf, 0x100000, VT_PAGE,
			    VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &um), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_UNKNOWN_IOCTL), EINVAL);
	VT_ERRNO(ioctl(fd, VFIO_GROUP_GET_STATUS, &st), EINVAL);

	/* Same with a group attached but no SET_IOMMU yet. */
	vt_session_open(&s, dev0, 0, false);
	VT_ERRNO(ioctl(s.container, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	VT_EXPECT_EQ(vt_map(s.container, buf, 0x100000, VT_PAGE,
			    VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	VT_ERRNO(ioctl(s.container, VFIO_UNKNOWN_IOCTL), EINVAL);
	VT_EXPECT_EQ(vt_locked_kb(), 0);
}

static void t_unknown_ioctl_with_backend(void)
{
	struct vt_session s;
	struct termios tio;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, false);
	VT_ERRNO(ioctl(s.container, VFIO_UNKNOWN_IOCTL), ENOTTY);
	VT_ERRNO(ioctl(s.container, TCGETS, &tio), ENOTTY);
}

static void t_wrong_fd_kind(void)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vt_session s;

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, true);

	/* container ioctls on a group fd and on a device fd */
	VT_ERRNO(ioctl(s.group, VFIO_GET_API_VERSION), ENOTTY);
	VT_ERRNO(ioctl(s.group, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU),
		 ENOTTY);
	VT_ERRNO(ioctl(s.group, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), ENOTTY);
	VT_ERRNO(ioctl(s.group, VFIO_IOMMU_MAP_DMA, &map), ENOTTY);
	VT_ERRNO(ioctl(s.device, VFIO_GET_API_VERSION), ENOTTY);
	VT_ERRNO(ioctl(s.device, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU),
		 ENOTTY);
	VT_ERRNO(ioctl(s.device, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU),
		 ENOTTY);
	/*
	 * Not tried: type1 ioctls on the device fd. Their numbers are shared
	 * with device ioctls (IOMMU_MAP_DMA == DEVICE_PCI_HOT_RESET, ...).
	 */

	/* group and device ioctls on the container go to type1: ENOTTY */
	VT_ERRNO(ioctl(s.container, VFIO_GROUP_GET_STATUS, &st), ENOTTY);
	VT_ERRNO(ioctl(s.container, VFIO_GROUP_GET_DEVICE_FD, dev0->bdf),
		 ENOTTY);
	VT_ERRNO(ioctl(s.container, VFIO_DEVICE_GET_INFO, &di), ENOTTY);

	/* device ioctls on the group, group ioctls on the device */
	VT_ERRNO(ioctl(s.group, VFIO_DEVICE_GET_INFO, &di), ENOTTY);
	VT_ERRNO(ioctl(s.group, VFIO_DEVICE_RESET), ENOTTY);
	VT_ERRNO(ioctl(s.device, VFIO_GROUP_GET_STATUS, &st), ENOTTY);
	VT_ERRNO(ioctl(s.device, VFIO_GROUP_UNSET_CONTAINER), ENOTTY);

	/* and the state is untouched */
	VT_OK(ioctl(s.group, VFIO_GROUP_GET_STATUS, &st));
	VT_EXPECT_EQ(st.flags, VFIO_GROUP_FLAGS_VIABLE |
			       VFIO_GROUP_FLAGS_CONTAINER_SET);
}

static void t_container_file_ops(void)
{
	int fd = vt_open_container();
	char c = 0;
	void *p;

	VT_ERRNO(read(fd, &c, 1), EINVAL);
	VT_ERRNO(write(fd, &c, 1), EINVAL);
	p = mmap(NULL, VT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	VT_EXPECT(p == MAP_FAILED && errno == ENODEV, "mmap: %s",
		  p == MAP_FAILED ? vt_errname(errno) : "succeeded");
	if (p != MAP_FAILED)
		munmap(p, VT_PAGE);
}

static void t_close_container_keeps_group(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vt_session s;
	void *buf = vt_alloc(VT_PAGE);
	long lk0 = vt_locked_kb();

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, false);
	VT_OK(vt_map(s.container, buf, 0x100000, VT_PAGE,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	VT_EXPECT_EQ(vt_locked_kb(), lk0 + 4);

	/* The group keeps the container (and its mappings) alive. */
	vt_close(s.container);
	VT_OK(ioctl(s.group, VFIO_GROUP_GET_STATUS, &st));
	VT_EXPECT_EQ(st.flags, VFIO_GROUP_FLAGS_VIABLE |
			       VFIO_GROUP_FLAGS_CONTAINER_SET);
	VT_EXPECT_EQ(vt_locked_kb(), lk0 + 4);

	/* The last group leaving releases the backend and its pins. */
	VT_OK(ioctl(s.group, VFIO_GROUP_UNSET_CONTAINER));
	VT_EXPECT_EQ(vt_locked_kb(), lk0);
}

static void t_deprivileged_after_last_group(void)
{
	struct vt_session s;
	void *buf = vt_alloc(VT_PAGE);

	vt_session_open(&s, dev0, VFIO_TYPE1v2_IOMMU, false);
	VT_OK(vt_map(s.container, buf, 0x100000, VT_PAGE,
		     VFIO_DMA_MAP_FLAG_READ));
	VT_OK(ioctl(s.group, VFIO_GROUP_UNSET_CONTAINER));

	/* Back to the unset state: no backend, no mappings. */
	VT_EXPECT_EQ(ext(s.container, VFIO_UPDATE_VADDR), 0);
	VT_EXPECT_EQ(vt_map(s.container, buf, 0x100000, VT_PAGE,
			    VFIO_DMA_MAP_FLAG_READ), -EINVAL);
	VT_ERRNO(ioctl(s.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU),
		 EINVAL);
	VT_EXPECT_EQ(vt_locked_kb(), 0);

	/* and it can be set up again, with another backend type */
	vt_set_container(s.group, s.container);
	VT_OK(ioctl(s.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	VT_OK(vt_map(s.container, buf, 0x100000, VT_PAGE,
		     VFIO_DMA_MAP_FLAG_READ));
}

static void t_set_iommu_on_other_container(void)
{
	struct vt_session s;
	int other = vt_open_container();

	vt_session_open(&s, dev0, 0, false);
	VT_ERRNO(ioctl(other, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), EINVAL);
	VT_OK(ioctl(s.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
}

static const struct vt_test tests[] = {
	{ .name = "dev_node", .fn = t_dev_node },
	{ .name = "get_api_version", .fn = t_api_version },
	{ .name = "check_extension_fresh", .fn = t_check_extension_fresh },
	{ .name = "check_extension_unknown", .fn = t_check_extension_unknown },
	{ .name = "check_extension_noiommu", .fn = t_check_extension_noiommu },
	{ .name = "noiommu_mode_toggle", .fn = t_noiommu_mode_toggle },
	{ .name = "set_iommu_without_group", .fn = t_set_iommu_without_group },
	{ .name = "set_iommu_bad_type", .fn = t_set_iommu_bad_type },
	{ .name = "set_iommu_twice", .fn = t_set_iommu_twice },
	{ .name = "check_extension_after_set_iommu", .fn = t_check_extension_after_set_iommu },
	{ .name = "ioctls_without_backend", .fn = t_ioctls_without_backend },
	{ .name = "unknown_ioctl_with_backend", .fn = t_unknown_ioctl_with_backend },
	{ .name = "wrong_fd_kind", .fn = t_wrong_fd_kind },
	{ .name = "container_file_ops", .fn = t_container_file_ops },
	{ .name = "close_container_keeps_group", .fn = t_close_container_keeps_group },
	{ .name = "deprivileged_after_last_group", .fn = t_deprivileged_after_last_group },
	{ .name = "set_iommu_on_other_container", .fn = t_set_iommu_on_other_container },
};

static void setup(void)
{
	dev0 = &vt_devs[0];
	find_noiommu_param();
}

int main(int argc, char **argv)
{
	static const struct vt_suite suite = {
		.name = "container", VT_TESTS(tests),
		.devs = VT_DEVS_ANY, .min_devs = 1,
		.setup = setup,
		.after_each = restore_params, .cleanup = restore_params,
	};

	return vt_main(argc, argv, &suite);
}
