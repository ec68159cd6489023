// SPDX-License-Identifier: GPL-2.0-only
/*
 * Wired interrupts of a platform device, delivered to eventfds.
 *
 * Edge interrupts just signal the trigger. Level interrupts are
 * automasked: the handler disables the line and userspace unmasks it
 * (SET_IRQS ACTION_UNMASK, directly or through an unmask eventfd)
 * once the device stopped asserting it.
 *
 * The line's disable depth: request_irq() leaves it disabled
 * (IRQF_NO_AUTOEN), installing a trigger enables it, removing the
 * trigger disables it again, and a mask (@masked) adds one more level
 * on top. Every enable_irq() thus balances an earlier disable.
 */
#include <linux/eventfd.h>
#include <linux/irq.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <vfio/virqfd.h>

#include "vfio_platform_priv.h"

static void vfp_irq_mask(struct vfio_platform_irq *irq)
{
	unsigned long flags;

	spin_lock_irqsave(&irq->lock, flags);
	if (!irq->masked) {
		disable_irq_nosync(irq->hwirq);
		irq->masked = true;
	}
	spin_unlock_irqrestore(&irq->lock, flags);
}

static void vfp_irq_unmask(struct vfio_platform_irq *irq)
{
	unsigned long flags;

	spin_lock_irqsave(&irq->lock, flags);
	if (irq->masked) {
		enable_irq(irq->hwirq);
		irq->masked = false;
	}
	spin_unlock_irqrestore(&irq->lock, flags);
}

/* virqfd handlers: run in the eventfd's wakeup, atomic context. */
static int vfp_virqfd_mask(void *opaque, void *unused)
{
	vfp_irq_mask(opaque);
	return 0;
}

static int vfp_virqfd_unmask(void *opaque, void *unused)
{
	vfp_irq_unmask(opaque);
	return 0;
}

static void vfp_signal(struct vfio_platform_irq *irq)
{
	if (irq->trigger)
		eventfd_signal(irq->trigger);
}

static irqreturn_t vfp_edge_handler(int hwirq, void *data)
{
	vfp_signal(data);
	return IRQ_HANDLED;
}

static irqreturn_t vfp_level_handler(int hwirq, void *data)
{
	struct vfio_platform_irq *irq = data;
	unsigned long flags;
	bool mine;

	/* Masked means the user has not serviced the last one yet. */
	spin_lock_irqsave(&irq->lock, flags);
	mine = !irq->masked;
	if (mine) {
		disable_irq_nosync(irq->hwirq);
		irq->masked = true;
	}
	spin_unlock_irqrestore(&irq->lock, flags);

	if (!mine)
		return IRQ_NONE;
	vfp_signal(irq);
	return IRQ_HANDLED;
}

static irq_handler_t vfp_handler_of(const struct vfio_platform_irq *irq)
{
	return irq->flags & VFIO_IRQ_INFO_AUTOMASKED ? vfp_level_handler :
						       vfp_edge_handler;
}

int vfp_irqs_setup(struct vfio_platform_device *vdev)
{
	struct platform_device *pdev = vdev->opaque;
	struct vfio_platform_irq *irqs, *irq;
	unsigned int n = 0, i;
	int hwirq, ret;

	while (platform_get_irq_optional(pdev, n) >= 0)
		n++;

	irqs = kcalloc(n, sizeof(*irqs), GFP_KERNEL_ACCOUNT);
	if (!irqs && n)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		irq = &irqs[i];
		hwirq = platform_get_irq_optional(pdev, i);
		if (hwirq < 0) {
			ret = -EINVAL;
			goto err_free;
		}
		spin_lock_init(&irq->lock);
		irq->hwirq = hwirq;
		irq->count = 1;
		irq->flags = VFIO_IRQ_INFO_EVENTFD;
		if (irq_get_trigger_type(hwirq) & IRQ_TYPE_LEVEL_MASK)
			irq->flags |= VFIO_IRQ_INFO_MASKABLE |
				      VFIO_IRQ_INFO_AUTOMASKED;
		irq->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-irq[%d](%s)",
				      hwirq, vdev->name);
		if (!irq->name) {
			ret = -ENOMEM;
			goto err_free;
		}
		/*
		 * A line we cannot have (say, shared and busy) still gets
		 * listed: SET_IRQS on it reports why, so the user can poll.
		 */
		ret = request_irq(hwirq, vfp_handler_of(irq), IRQF_NO_AUTOEN,
				  irq->name, irq);
		if (ret) {
			irq->request_err = ret;
			kfree(irq->name);
			irq->name = NULL;
		}
	}
	vdev->irqs = irqs;
	vdev->num_irqs = n;
	return 0;

err_free:
	while (i--) {
		if (!irqs[i].request_err)
			free_irq(irqs[i].hwirq, &irqs[i]);
		kfree(irqs[i].name);
	}
	kfree(irqs);
	return ret;
}

void vfp_irqs_teardown(struct vfio_platform_device *vdev)
{
	struct vfio_platform_irq *irq;
	u32 i;

	for (i = 0; i < vdev->num_irqs; i++) {
		irq = &vdev->irqs[i];
		vfio_virqfd_disable(&irq->mask);
		vfio_virqfd_disable(&irq->unmask);
		if (irq->request_err)
			continue;
		free_irq(irq->hwirq, irq);
		if (irq->trigger)
			eventfd_ctx_put(irq->trigger);
		kfree(irq->name);
	}
	kfree(vdev->irqs);
	vdev->irqs = NULL;
	vdev->num_irqs = 0;
}

/* Replace the trigger; @fd < 0 only removes it. */
static int vfp_set_trigger(struct vfio_platform_irq *irq, int fd)
{
	struct eventfd_ctx *ctx = NULL;

	/* Validate before touching the line: a bad fd changes nothing. */
	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (irq->trigger) {
		/* Waits for a running handler: it may still use the old one. */
		disable_irq(irq->hwirq);
		eventfd_ctx_put(irq->trigger);
		irq->trigger = NULL;
	}
	if (ctx) {
		irq->trigger = ctx;
		enable_irq(irq->hwirq);
	}
	return 0;
}

static int vfp_action_trigger(struct vfio_platform_irq *irq, u32 flags,
			      u32 start, u32 count, void *data)
{
	if (!count && (flags & VFIO_IRQ_SET_DATA_NONE))
		return vfp_set_trigger(irq, -1);
	if (start || count != 1)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		return vfp_set_trigger(irq, *(s32 *)data);
	/* Loopback: act as if the line fired. */
	if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(u8 *)data)
		vfp_handler_of(irq)(irq->hwirq, irq);
	return 0;
}

static int vfp_action_mask(struct vfio_platform_irq *irq, u32 flags,
			   u32 start, u32 count, void *data, bool mask)
{
	struct virqfd **slot = mask ? &irq->mask : &irq->unmask;
	s32 fd;

	if (start || count != 1)
		return -EINVAL;
	if (!(irq->flags & VFIO_IRQ_INFO_MASKABLE))
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		fd = *(s32 *)data;
		if (fd < 0) {
			vfio_virqfd_disable(slot);
			return 0;
		}
		return vfio_virqfd_enable(irq, mask ? vfp_virqfd_mask :
						      vfp_virqfd_unmask,
					  NULL, NULL, slot, fd);
	}
	if ((flags & VFIO_IRQ_SET_DATA_NONE) || *(u8 *)data) {
		if (mask)
			vfp_irq_mask(irq);
		else
			vfp_irq_unmask(irq);
	}
	return 0;
}

int vfp_set_irqs(struct vfio_platform_device *vdev, u32 flags, u32 index,
		 u32 start, u32 count, void *data)
{
	struct vfio_platform_irq *irq = &vdev->irqs[index];

	lockdep_assert_held(&vdev->igate);

	if (irq->request_err)
		return irq->request_err;

	switch (flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) {
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		return vfp_action_trigger(irq, flags, start, count, data);
	case VFIO_IRQ_SET_ACTION_MASK:
		return vfp_action_mask(irq, flags, start, count, data, true);
	case VFIO_IRQ_SET_ACTION_UNMASK:
		return vfp_action_mask(irq, flags, start, count, data, false);
	}
	return -ENOTTY;
}
