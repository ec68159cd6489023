// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for the ioctl handlers of bus drivers: capability chains of
 * the *_INFO ioctls, VFIO_DEVICE_SET_IRQS header checks and
 * VFIO_DEVICE_FEATURE argument checks.
 */

#include <linux/slab.h>

#include "vfio_core.h"

/**
 * vfio_info_cap_add - append a capability to a chain being built
 * @caps: the chain; caps->buf may be NULL for an empty one
 * @size: size of the capability including its header
 * @id: capability id
 * @version: capability version
 *
 * Returns the new, zeroed capability (header filled in) or
 * ERR_PTR(-ENOMEM), in which case the whole chain has been freed.
 * The ->next offsets count from the start of the buffer until
 * vfio_info_cap_shift() rebases them.
 */
struct vfio_info_cap_header *vfio_info_cap_add(struct vfio_info_cap *caps,
					       size_t size, u16 id,
					       u16 version)
{
	struct vfio_info_cap_header *cap, *tail;
	size_t offset = caps->size;
	/* Each capability starts 8-byte aligned. */
	size_t end = offset + ALIGN(size, sizeof(u64));
	void *buf = krealloc(caps->buf, end, GFP_KERNEL);

	if (!buf) {
		kfree(caps->buf);
		*caps = (struct vfio_info_cap) { };
		return ERR_PTR(-ENOMEM);
	}
	caps->buf = buf;
	caps->size = end;

	/* It goes to userspace: no stale bytes in the padding. */
	cap = memset(buf + offset, 0, end - offset);
	cap->id = id;
	cap->version = version;

	/* The first capability is its own tail, with next 0. */
	for (tail = buf; tail->next; tail = buf + tail->next)
		;
	tail->next = offset;
	return cap;
}
EXPORT_SYMBOL_GPL(vfio_info_cap_add);

/**
 * vfio_info_cap_shift - rebase a chain's offsets for where it is copied
 * @caps: the chain
 * @offset: where the chain starts in the user's info buffer (8-aligned)
 */
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset)
{
	struct vfio_info_cap_header *cap;
	size_t pos = 0;

	WARN_ON(!IS_ALIGNED(offset, sizeof(u64)));

	/* Follow the old offsets while rewriting them; the last next is 0. */
	while (caps->buf) {
		cap = (void *)caps->buf + pos;
		if (!cap->next)
			break;
		pos = cap->next;
		cap->next += offset;
	}
}
EXPORT_SYMBOL(vfio_info_cap_shift);

/**
 * vfio_info_add_capability - append a copy of a ready-made capability
 * @caps: the chain
 * @cap: the capability; its header supplies id and version
 * @size: size of @cap including its header
 *
 * Returns 0 or -ENOMEM (the chain is freed then).
 */
int vfio_info_add_capability(struct vfio_info_cap *caps,
			     struct vfio_info_cap_header *cap, size_t size)
{
	struct vfio_info_cap_header *copy =
		vfio_info_cap_add(caps, size, cap->id, cap->version);

	/* Everything but the header, whose next was set by the chain. */
	if (!IS_ERR(copy))
		memcpy(copy + 1, cap + 1, size - sizeof(*cap));
	return PTR_ERR_OR_ZERO(copy);
}
EXPORT_SYMBOL(vfio_info_add_capability);

/**
 * vfio_set_irqs_validate_and_prepare - check a VFIO_DEVICE_SET_IRQS header
 * @hdr: the header copied from userspace
 * @num_irqs: number of vectors of hdr->index
 * @max_irq_type: number of IRQ indexes of the device
 * @data_size: receives how many bytes of data follow the header
 *
 * Returns 0 or -EINVAL.
 */
int vfio_set_irqs_validate_and_prepare(struct vfio_irq_set *hdr,
				       int num_irqs, int max_irq_type,
				       size_t *data_size)
{
	const size_t minsz = offsetofend(struct vfio_irq_set, count);
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	size_t elem = 0;

	if (data_size)
		*data_size = 0;

	/* start + count must stay representable, and within the index. */
	if (hdr->argsz < minsz || hdr->index >= max_irq_type ||
	    hdr->count >= U32_MAX - hdr->start ||
	    (hdr->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			    VFIO_IRQ_SET_ACTION_TYPE_MASK)) ||
	    hdr->start >= num_irqs || hdr->start + hdr->count > num_irqs)
		return -EINVAL;

	if (type == VFIO_IRQ_SET_DATA_NONE)
		return 0;
	if (type == VFIO_IRQ_SET_DATA_BOOL)
		elem = sizeof(u8);
	else if (type == VFIO_IRQ_SET_DATA_EVENTFD)
		elem = sizeof(s32);

	/* One bool or eventfd per vector, all present. */
	if (!elem || !data_size || hdr->argsz - minsz < hdr->count * elem)
		return -EINVAL;
	*data_size = hdr->count * elem;
	return 0;
}
EXPORT_SYMBOL(vfio_set_irqs_validate_and_prepare);

/**
 * vfio_check_feature - check a VFIO_DEVICE_FEATURE request for a feature
 * @flags: as passed to ops->device_feature
 * @argsz: as passed to ops->device_feature
 * @supported_ops: VFIO_DEVICE_FEATURE_GET and/or _SET
 * @minsz: the feature's data size
 *
 * Returns 1 when the driver should do the GET or SET, otherwise the
 * value to return (0 for a successful PROBE, -EINVAL).
 */
int vfio_check_feature(u32 flags, size_t argsz, u32 supported_ops,
		       size_t minsz)
{
	u32 get_set = flags & (VFIO_DEVICE_FEATURE_GET |
			       VFIO_DEVICE_FEATURE_SET);

	if (get_set & ~supported_ops)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	/* Without PROBE, the caller has to GET or SET. */
	if (!get_set)
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}
EXPORT_SYMBOL_GPL(vfio_check_feature);
