// SPDX-License-Identifier: GPL-2.0-only
/*
 * FAULT objects (IOMMU_FAULT_QUEUE_ALLOC): a queue of I/O page faults
 * that userspace reads from, and answers through, a file descriptor of
 * its own. A HWPT_NESTED made with IOMMU_HWPT_FAULT_ID_VALID sends the
 * page requests of its devices here instead of the kernel's handler;
 * while attached, the first device of the group has IOPF enabled.
 *
 * The fd speaks in whole records, as upstream: read() hands out struct
 * iommu_hwpt_pgfault records, whole fault groups only, never blocking
 * (0 when nothing is queued); write() takes struct
 * iommu_hwpt_page_response records naming the cookie of a group read
 * earlier; poll() is always writable, readable while groups wait.
 *
 * The fd owns one "users" reference of the object (DESTROY: -EBUSY until
 * it is closed) and one reference of the context's file.
 */
#include <kunit/visibility.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ifd.h"

/* Take the oldest group that was not read yet, or NULL. */
static struct iopf_group *ifd_fault_pop(struct ifd_fault *fault)
{
	struct iopf_group *group;

	spin_lock(&fault->lock);
	group = list_first_entry_or_null(&fault->pending, struct iopf_group,
					 node);
	if (group)
		list_del_init(&group->node);
	spin_unlock(&fault->lock);
	return group;
}

/* Put a group that could not be handed out back in front. */
static void ifd_fault_push_front(struct ifd_fault *fault,
				 struct iopf_group *group)
{
	spin_lock(&fault->lock);
	list_add(&group->node, &fault->pending);
	spin_unlock(&fault->lock);
}

static void ifd_fault_answer_invalid(struct iopf_group *group)
{
	iopf_group_response(group, IOMMU_PAGE_RESP_INVALID);
	iopf_free_group(group);
}

/*
 * The group's attachment (@handle) ends: nobody can answer its faults
 * any more, so they are answered "invalid" now, read or not. With
 * @handle NULL: all of them (the object goes).
 */
void ifd_fault_drop_handle(struct ifd_fault *fault,
			   struct iommu_attach_handle *handle)
{
	struct iopf_group *group, *next;
	unsigned long cookie;
	LIST_HEAD(drop);

	mutex_lock(&fault->mutex);
	spin_lock(&fault->lock);
	list_for_each_entry_safe(group, next, &fault->pending, node)
		if (!handle || group->attach_handle == handle)
			list_move_tail(&group->node, &drop);
	spin_unlock(&fault->lock);
	list_for_each_entry_safe(group, next, &drop, node) {
		list_del(&group->node);
		ifd_fault_answer_invalid(group);
	}
	xa_for_each(&fault->responses, cookie, group) {
		if (handle && group->attach_handle != handle)
			continue;
		xa_erase(&fault->responses, cookie);
		ifd_fault_answer_invalid(group);
	}
	mutex_unlock(&fault->mutex);
}

/* The last reference went: the fd is closed and no HWPT holds it. */
void ifd_fault_destroy(struct ifd_obj *obj)
{
	struct ifd_fault *fault = container_of(obj, struct ifd_fault, obj);

	ifd_fault_drop_handle(fault, NULL);
	xa_destroy(&fault->responses);
	mutex_destroy(&fault->mutex);
}

/* domain->iopf_handler of a HWPT with a fault queue: queue, wake. */
static int ifd_fault_iopf_handler(struct iopf_group *group)
{
	struct ifd_hwpt *hwpt = group->attach_handle->domain->fault_data;
	struct ifd_fault *fault = hwpt->fault;

	/* ours to answer from now on, when userspace writes */
	iopf_group_dequeue(group);
	spin_lock(&fault->lock);
	list_add_tail(&group->node, &fault->pending);
	spin_unlock(&fault->lock);
	wake_up_interruptible(&fault->wait);
	return 0;
}

/* Make @hwpt (just allocated, unpublished) report to @fault. */
void ifd_fault_set_hwpt(struct ifd_hwpt *hwpt, struct ifd_fault *fault)
{
	refcount_inc(&fault->obj.users);
	hwpt->fault = fault;
	hwpt->domain->iopf_handler = ifd_fault_iopf_handler;
	hwpt->domain->fault_data = hwpt;
}

/*
 * IOPF on for the device that attaches a group to a HWPT with a fault
 * queue. Not for VFs: their PRI is the PF's and nobody coordinates the
 * responses (-EINVAL, as upstream); otherwise the driver's answer
 * (VT-d: -ENODEV without ATS and PRI).
 */
int ifd_fault_iopf_enable(struct device *dev)
{
	if (dev_is_pci(dev) && to_pci_dev(dev)->is_virtfn)
		return -EINVAL;
	return iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_IOPF);
}

void ifd_fault_iopf_disable(struct device *dev)
{
	iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_IOPF);
}

static void ifd_fault_record(struct iommu_hwpt_pgfault *rec,
			     const struct iommu_fault *f, u32 dev_id,
			     u32 cookie)
{
	memset(rec, 0, sizeof(*rec));
	rec->flags = f->prm.flags;
	rec->dev_id = dev_id;
	rec->pasid = f->prm.pasid;
	rec->grpid = f->prm.grpid;
	rec->perm = f->prm.perm;
	rec->addr = f->prm.addr;
	rec->cookie = cookie;
}

/*
 * Whole groups while they fit: -ESPIPE for an offset or a size that is
 * no multiple of a record, -EINVAL if the first group does not fit, 0
 * when nothing waits. A group handed out gets a cookie (its response id).
 */
static ssize_t ifd_fault_read(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos)
{
	const size_t rec_size = sizeof(struct iommu_hwpt_pgfault);
	struct ifd_fault *fault = file->private_data;
	struct iommu_hwpt_pgfault rec;
	struct iopf_group *group;
	struct iopf_fault *iopf;
	size_t done = 0, at;
	u32 dev_id;
	int ret = 0;

	if (*ppos || count % rec_size)
		return -ESPIPE;

	mutex_lock(&fault->mutex);
	while ((group = ifd_fault_pop(fault))) {
		if (done >= count ||
		    group->fault_count * rec_size > count - done) {
			ifd_fault_push_front(fault, group);
			if (!done)
				ret = -EINVAL;
			break;
		}
		ret = xa_alloc(&fault->responses, &group->cookie, group,
			       xa_limit_32b, GFP_KERNEL);
		if (ret) {
			ifd_fault_push_front(fault, group);
			break;
		}
		dev_id = container_of(group->attach_handle, struct ifd_handle,
				      handle)->dev_id;
		at = done;
		list_for_each_entry(iopf, &group->faults, list) {
			ifd_fault_record(&rec, &iopf->fault, dev_id,
					 group->cookie);
			if (copy_to_user(buf + at, &rec, rec_size)) {
				xa_erase(&fault->responses, group->cookie);
				ifd_fault_push_front(fault, group);
				ret = -EFAULT;
				break;
			}
			at += rec_size;
		}
		if (ret)
			break;
		done = at;
	}
	mutex_unlock(&fault->mutex);
	return done ? done : ret;
}

/*
 * Responses, each to a cookie read before: -ESPIPE as read(), -EFAULT,
 * -EINVAL for an unknown code or cookie; what was done before a bad one
 * counts.
 */
static ssize_t ifd_fault_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	const size_t rsp_size = sizeof(struct iommu_hwpt_page_response);
	struct ifd_fault *fault = file->private_data;
	struct iommu_hwpt_page_response rsp;
	struct iopf_group *group;
	size_t done = 0;
	int ret = 0;

	/* the uAPI codes are the IOMMU core's */
	BUILD_BUG_ON((int)IOMMUFD_PAGE_RESP_SUCCESS !=
		     (int)IOMMU_PAGE_RESP_SUCCESS);
	BUILD_BUG_ON((int)IOMMUFD_PAGE_RESP_INVALID !=
		     (int)IOMMU_PAGE_RESP_INVALID);
	if (*ppos || count % rsp_size)
		return -ESPIPE;

	mutex_lock(&fault->mutex);
	for (; done < count; done += rsp_size) {
		if (copy_from_user(&rsp, buf + done, rsp_size)) {
			ret = -EFAULT;
			break;
		}
		if (rsp.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    rsp.code != IOMMUFD_PAGE_RESP_INVALID) {
			ret = -EINVAL;
			break;
		}
		group = xa_erase(&fault->responses, rsp.cookie);
		if (!group) {
			ret = -EINVAL;
			break;
		}
		iopf_group_response(group, rsp.code);
		iopf_free_group(group);
	}
	mutex_unlock(&fault->mutex);
	return done ? done : ret;
}

static __poll_t ifd_fault_poll(struct file *file, poll_table *wait)
{
	struct ifd_fault *fault = file->private_data;
	__poll_t mask = EPOLLOUT;

	poll_wait(file, &fault->wait, wait);
	spin_lock(&fault->lock);
	if (!list_empty(&fault->pending))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&fault->lock);
	return mask;
}

static int ifd_fault_release(struct inode *inode, struct file *file)
{
	struct ifd_fault *fault = file->private_data;
	/* the object may go with the reference dropped below */
	struct iommufd_ctx *ctx = fault->ctx;

	refcount_dec(&fault->obj.users);
	iommufd_ctx_put(ctx);
	return 0;
}

static const struct file_operations ifd_fault_fops = {
	.owner = THIS_MODULE,
	.read = ifd_fault_read,
	.write = ifd_fault_write,
	.poll = ifd_fault_poll,
	.release = ifd_fault_release,
};

/*
 * IOMMU_FAULT_QUEUE_ALLOC (flags must be 0: the table). The reply
 * carries the id and a new O_CLOEXEC fd; the fd appears in the caller's
 * table only once nothing can fail any more.
 */
int ifd_fault_alloc(struct ifd_ucmd *uc)
{
	struct iommu_fault_alloc *cmd = uc->cmd;
	struct ifd_fault *fault;
	struct ifd_obj *obj;
	struct file *file;
	int fd, ret;

	obj = ifd_obj_reserve(uc->ctx, sizeof(*fault), IFD_OBJ_FAULT);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	fault = container_of(obj, struct ifd_fault, obj);
	fault->ctx = uc->ctx;
	INIT_LIST_HEAD(&fault->pending);
	xa_init_flags(&fault->responses, XA_FLAGS_ALLOC1);
	mutex_init(&fault->mutex);
	spin_lock_init(&fault->lock);
	init_waitqueue_head(&fault->wait);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_abort;
	}
	cmd->out_fault_id = obj->id;
	cmd->out_fault_fd = fd;
	ret = ifd_respond(uc, sizeof(*cmd));
	if (ret)
		goto err_put_fd;
	file = anon_inode_getfile("[iommufd-pgfault]", &ifd_fault_fops, fault,
				  O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_fd;
	}
	/* the file's references; from here nothing fails */
	refcount_inc(&obj->users);
	iommufd_ctx_get(uc->ctx);
	fault->file = file;
	ifd_obj_publish(uc->ctx, obj);
	fd_install(fd, file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_abort:
	ifd_obj_abort_destroy(uc->ctx, obj);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_fault_alloc);
