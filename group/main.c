// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_group.ko: the legacy userspace interface of VFIO, registered with
 * the core as a frontend. Groups (/dev/vfio/N) reach devices, the
 * container (/dev/vfio/vfio) reaches an IOMMU backend such as type1.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "group.h"

static bool vgrp_file_is_mine(struct file *file)
{
	return vgrp_from_file(file);
}

/*
 * Only the SPAPR TCE code in KVM wants the IOMMU group; like upstream,
 * other architectures get NULL.
 */
static struct iommu_group *vgrp_file_iommu_group(struct file *file)
{
	struct vfio_group *group = vgrp_from_file(file);
	struct iommu_group *iommu_group = NULL;

	if (!IS_ENABLED(CONFIG_SPAPR_TCE_IOMMU) || !group)
		return NULL;
	/* An orphaned group has none left. */
	mutex_lock(&group->lock);
	if (group->iommu_group)
		iommu_group = iommu_group_ref_get(group->iommu_group);
	mutex_unlock(&group->lock);
	return iommu_group;
}

static bool vgrp_file_enforced_coherent(struct file *file)
{
	struct vfio_group *group = vgrp_from_file(file);

	return group ? vgrp_enforced_coherent(group) : true;
}

static void vgrp_file_set_kvm(struct file *file, struct kvm *kvm)
{
	struct vfio_group *group = vgrp_from_file(file);

	if (group)
		vgrp_set_kvm(group, kvm);
}

/* The group fd grants access to every device in the group. */
static bool vgrp_file_has_dev(struct file *file, struct vfio_device *vdev)
{
	struct vfio_group *group = vgrp_from_file(file);

	return group && group == vdev->group;
}

static struct vfio_frontend_ops vgrp_frontend = {
	.name = "group", .owner = THIS_MODULE, .is_group = true,
	.device_add = vgrp_device_add, .device_del = vgrp_device_del,
	.device_remove = vgrp_device_remove,
	.block_device = vgrp_block_device,
	.unblock_device = vgrp_unblock_device,
	.file_is_mine = vgrp_file_is_mine,
	.file_iommu_group = vgrp_file_iommu_group,
	.file_enforced_coherent = vgrp_file_enforced_coherent,
	.file_set_kvm = vgrp_file_set_kvm,
	.file_has_dev = vgrp_file_has_dev,
};

static int vgrp_frontend_register(void)
{
	return vfio_register_frontend(&vgrp_frontend);
}

static void vgrp_frontend_unregister(void)
{
	vfio_unregister_frontend(&vgrp_frontend);
}

/*
 * The module's parts, set up in this order and torn down in reverse.
 * The frontend comes last: the core calls device_add for existing
 * devices right away.
 */
static const struct {
	int (*init)(void);
	void (*exit)(void);
} vgrp_parts[] = {
	{ vgrp_container_init, vgrp_container_exit },
	{ vgrp_groups_init, vgrp_groups_exit },
	{ vgrp_frontend_register, vgrp_frontend_unregister },
};

static void vgrp_parts_exit(unsigned int n)
{
	while (n--)
		vgrp_parts[n].exit();
}

static int __init vgrp_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(vgrp_parts); i++) {
		ret = vgrp_parts[i].init();
		if (ret) {
			vgrp_parts_exit(i);
			return ret;
		}
	}
	return 0;
}

static void __exit vgrp_exit(void)
{
	vgrp_parts_exit(ARRAY_SIZE(vgrp_parts));
}

module_init(vgrp_init);
module_exit(vgrp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO groups, container and noiommu (legacy interface)");
MODULE_AUTHOR("VFIO out-of-tree team");
/* Opening /dev/vfio/vfio loads us; we then want the usual backend. */
MODULE_ALIAS_MISCDEV(VFIO_MINOR);
MODULE_ALIAS("devname:vfio/vfio");
MODULE_SOFTDEP("post: vfio_iommu_type1");
