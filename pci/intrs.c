// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device interrupts delivered to user space through eventfds.
 *
 * One mode at a time: INTx, MSI or MSI-X (vdev->irq_type), plus the
 * error and request channels which are independent of the mode.
 *
 * INTx is level triggered and may be shared, so each interrupt masks the
 * line (with DisINTx on PCI 2.3 devices, at the irq chip otherwise) and
 * the user unmasks it once serviced, through SET_IRQS or an unmask
 * eventfd handled in atomic context by vfio_virqfd.
 *
 * Locks: igate (mutex) serializes every change of mode, trigger and mask
 * eventfd; irqlock (spinlock) protects the INTx masked state against the
 * hard irq handler and the virqfd unmask handler. memory_lock is taken
 * inside igate when MSI setup must touch the device's MSI-X table.
 */

#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "priv.h"

typedef int (*irq_set_fn)(struct vfio_pci_core_device *vdev,
			  unsigned int index, unsigned int start,
			  unsigned int count, u32 flags, void *data);

static bool irq_mode_is(struct vfio_pci_core_device *vdev, unsigned int type)
{
	return vdev->irq_type == type;
}

static bool irq_data_bool(const void *data, unsigned int i)
{
	return ((const u8 *)data)[i];
}

static s32 irq_data_fd(const void *data, unsigned int i)
{
	return ((const s32 *)data)[i];
}

/* ---------------------------------------------------------------- */
/* INTx                                                              */

/* Tell the user about an INTx, unless it masked INTx itself. */
static void intx_signal(void *opaque, void *data)
{
	struct vfio_pci_core_device *vdev = opaque;
	struct vfio_pci_irq_ctx *ctx = data;
	struct eventfd_ctx *trigger;

	if (!irq_mode_is(vdev, VFIO_PCI_INTX_IRQ_INDEX) ||
	    vdev->intx_user_disabled)
		return;

	trigger = READ_ONCE(ctx->trigger);
	if (trigger)
		vfio_eventfd_signal(trigger);
}

/*
 * Mask (@mask) or unmask INTx, under irqlock. Outside INTx mode only
 * the physical DisINTx bit follows the user's virtual one. In INTx
 * mode an unmask is refused while the user's DisINTx is set, and one
 * that finds the device asserting again leaves the line masked.
 *
 * Called from process context and, for unmask eventfds, from atomic
 * context where signalling another eventfd could deadlock on its wait
 * queue. Returns 1 when this call left the line masked: for a mask,
 * that it changed the state; for an unmask, that an interrupt is
 * pending and the caller must signal the user.
 */
static int intx_update(struct vfio_pci_core_device *vdev,
		       struct vfio_pci_irq_ctx *ctx, bool mask)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned long flags;
	int masked = 0;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (!irq_mode_is(vdev, VFIO_PCI_INTX_IRQ_INDEX)) {
		if (vdev->intx_maskable)
			pci_intx(pdev, !mask);
	} else if (ctx && ctx->masked != mask &&
		   (mask || !vdev->intx_user_disabled)) {
		if (!vdev->intx_maskable && mask)
			disable_irq_nosync(pdev->irq);
		else if (!vdev->intx_maskable)
			enable_irq(pdev->irq);
		else if (mask)
			pci_intx(pdev, 0);
		else if (!pci_check_and_unmask_intx(pdev))
			mask = true;
		ctx->masked = mask;
		masked = mask;
	}
	spin_unlock_irqrestore(&vdev->irqlock, flags);
	return masked;
}

/* The unmask eventfd's handler (vfio_virqfd). */
static int intx_unmask_handler(void *opaque, void *data)
{
	return intx_update(opaque, data, false);
}

/* Mask or unmask with igate held; an unmask may signal the user. */
static int intx_apply_locked(struct vfio_pci_core_device *vdev, bool mask)
{
	struct vfio_pci_irq_ctx *ctx = vdev->intx_ctx;
	int masked;

	lockdep_assert_held(&vdev->igate);

	masked = intx_update(vdev, ctx, mask);
	if (masked && !mask)
		intx_signal(vdev, ctx);
	return masked;
}

static int intx_apply(struct vfio_pci_core_device *vdev, bool mask)
{
	int masked;

	mutex_lock(&vdev->igate);
	masked = intx_apply_locked(vdev, mask);
	mutex_unlock(&vdev->igate);
	return masked;
}

/* Returns true if this call masked the line. */
bool vfio_pci_intx_mask(struct vfio_pci_core_device *vdev)
{
	return intx_apply(vdev, true);
}

void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev)
{
	intx_apply(vdev, false);
}

/*
 * An exclusive line is ours: mask it at the irq chip. A shared one is
 * ours only if our device asserted it, and DisINTx masks it.
 */
static irqreturn_t intx_irq(int irq, void *dev_id)
{
	struct vfio_pci_irq_ctx *ctx = dev_id;
	struct vfio_pci_core_device *vdev = ctx->vdev;
	unsigned long flags;
	bool ours;

	spin_lock_irqsave(&vdev->irqlock, flags);
	if (!vdev->intx_maskable)
		disable_irq_nosync(vdev->pdev->irq);
	ours = !vdev->intx_maskable ||
	       (!ctx->masked && pci_check_and_mask_intx(vdev->pdev));
	ctx->masked |= ours;
	spin_unlock_irqrestore(&vdev->irqlock, flags);

	if (ours)
		intx_signal(vdev, ctx);
	return IRQ_RETVAL(ours);
}

/* Leave INTx mode; undoes what intx_enable() set up. */
static void intx_forget(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx = vdev->intx_ctx;

	vdev->irq_type = VFIO_PCI_NUM_IRQS;
	vdev->intx_ctx = NULL;
	if (!ctx)
		return;
	if (!vdev->intx_maskable)
		irq_clear_status_flags(vdev->pdev->irq, IRQ_DISABLE_UNLAZY);
	kfree(ctx->name);
	kfree(ctx);
}

/* On success the context owns @trigger (which may be NULL). */
static int intx_enable(struct vfio_pci_core_device *vdev,
		       struct eventfd_ctx *trigger)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_irq_ctx *ctx;
	unsigned long irqflags = IRQF_SHARED;
	int ret;

	if (!vfio_pci_irq_none(vdev))
		return -EINVAL;
	if (!pdev->irq || pdev->irq == IRQ_NOTCONNECTED)
		return -ENODEV;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (ctx)
		ctx->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-intx(%s)",
				      pci_name(pdev));
	if (!ctx || !ctx->name) {
		kfree(ctx);
		return -ENOMEM;
	}
	ctx->vdev = vdev;
	ctx->trigger = trigger;
	/*
	 * Start masked if the user set DisINTx. Under igate nothing else
	 * can change the state until the handler is installed; after
	 * that irqlock protects it.
	 */
	ctx->masked = vdev->intx_user_disabled;

	/* The handler tests the mode: set it before the line can fire. */
	vdev->intx_ctx = ctx;
	vdev->irq_type = VFIO_PCI_INTX_IRQ_INDEX;

	if (vdev->intx_maskable) {
		pci_intx(pdev, !ctx->masked);
	} else {
		/* An exclusive line masked at the chip: keep it off. */
		irqflags = ctx->masked ? IRQF_NO_AUTOEN : 0;
		/* disable_irq_nosync() must mask at once, not lazily. */
		irq_set_status_flags(pdev->irq, IRQ_DISABLE_UNLAZY);
	}

	/* On failure the caller keeps its reference to @trigger. */
	ret = request_irq(pdev->irq, intx_irq, irqflags, ctx->name, ctx);
	if (ret)
		intx_forget(vdev);
	return ret;
}

/* Swap the trigger of an enabled INTx; takes ownership of @trigger. */
static void intx_set_trigger(struct vfio_pci_core_device *vdev,
			     struct eventfd_ctx *trigger)
{
	struct vfio_pci_irq_ctx *ctx = vdev->intx_ctx;
	struct eventfd_ctx *old = ctx->trigger;

	WRITE_ONCE(ctx->trigger, trigger);
	if (!old)
		return;

	/* Wait for users of the old trigger: the handler, the unmask thread. */
	synchronize_irq(vdev->pdev->irq);
	vfio_virqfd_flush_thread(&ctx->unmask);
	eventfd_ctx_put(old);
}

static void intx_disable(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx = vdev->intx_ctx;

	if (ctx) {
		vfio_virqfd_disable(&ctx->unmask);
		vfio_virqfd_disable(&ctx->mask);
		free_irq(vdev->pdev->irq, ctx);
		if (ctx->trigger)
			eventfd_ctx_put(ctx->trigger);
	}
	intx_forget(vdev);
}

/* ACTION_MASK and ACTION_UNMASK of the INTx index. */
static int intx_set_masking(struct vfio_pci_core_device *vdev,
			    unsigned int index, unsigned int start,
			    unsigned int count, u32 flags, void *data)
{
	bool mask = flags & VFIO_IRQ_SET_ACTION_MASK;
	struct vfio_pci_irq_ctx *ctx = vdev->intx_ctx;
	s32 fd;

	if (!irq_mode_is(vdev, VFIO_PCI_INTX_IRQ_INDEX) || start || count != 1)
		return -EINVAL;

	switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_EVENTFD:
		/* A mask eventfd was never implemented upstream either. */
		if (mask)
			return -ENOTTY;
		fd = irq_data_fd(data, 0);
		if (fd >= 0)
			return vfio_virqfd_enable(vdev, intx_unmask_handler,
						  intx_signal, ctx,
						  &ctx->unmask, fd);
		vfio_virqfd_disable(&ctx->unmask);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (!irq_data_bool(data, 0))
			return 0;
		fallthrough;
	default:
		intx_apply_locked(vdev, mask);
		return 0;
	}
}

static int intx_set_trigger_ioctl(struct vfio_pci_core_device *vdev,
				  unsigned int index, unsigned int start,
				  unsigned int count, u32 flags, void *data)
{
	bool is_intx = irq_mode_is(vdev, VFIO_PCI_INTX_IRQ_INDEX);
	struct eventfd_ctx *trigger = NULL;
	int ret;
	s32 fd;

	/* count 0 with no data switches INTx off. */
	if (is_intx && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		intx_disable(vdev);
		return 0;
	}

	if (!(is_intx || vfio_pci_irq_none(vdev)) || start || count != 1)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		fd = irq_data_fd(data, 0);
		if (fd >= 0) {
			trigger = eventfd_ctx_fdget(fd);
			if (IS_ERR(trigger))
				return PTR_ERR(trigger);
		}
		if (is_intx) {
			intx_set_trigger(vdev, trigger);
			return 0;
		}
		ret = intx_enable(vdev, trigger);
		if (ret && trigger)
			eventfd_ctx_put(trigger);
		return ret;
	}

	if (!is_intx)
		return -EINVAL;

	/* Loopback: fire the trigger as the device would. */
	if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
	    ((flags & VFIO_IRQ_SET_DATA_BOOL) && irq_data_bool(data, 0)))
		intx_signal(vdev, vdev->intx_ctx);
	return 0;
}

/* ---------------------------------------------------------------- */
/* MSI and MSI-X                                                     */

static irqreturn_t msi_irq(int irq, void *arg)
{
	vfio_eventfd_signal(arg);
	return IRQ_HANDLED;
}

/* MSI-X table writes need memory decode: free vectors with it on. */
static void msi_free_vectors(struct vfio_pci_core_device *vdev)
{
	u16 cmd = vfio_pci_memory_lock_and_enable(vdev);

	pci_free_irq_vectors(vdev->pdev);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
}

static void msi_ctx_free(struct vfio_pci_irq_ctx *ctx)
{
	if (ctx->trigger)
		eventfd_ctx_put(ctx->trigger);
	kfree(ctx->name);
	kfree(ctx);
}

/* Detach one vector; the Linux irq stays allocated until disable. */
static void msi_vector_release(struct vfio_pci_core_device *vdev,
			       unsigned int vector,
			       struct vfio_pci_irq_ctx *ctx)
{
	u16 cmd;

	irq_bypass_unregister_producer(&ctx->producer);
	cmd = vfio_pci_memory_lock_and_enable(vdev);
	free_irq(pci_irq_vector(vdev->pdev, vector), ctx->trigger);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	xa_erase(&vdev->msi_ctxs, vector);
	msi_ctx_free(ctx);
}

static void msi_disable(struct vfio_pci_core_device *vdev, bool msix)
{
	struct vfio_pci_irq_ctx *ctx;
	unsigned long vector;

	xa_for_each(&vdev->msi_ctxs, vector, ctx)
		msi_vector_release(vdev, vector, ctx);
	msi_free_vectors(vdev);
	vdev->irq_type = VFIO_PCI_NUM_IRQS;

	/* Leaving MSI clears DisINTx; a hidden INTx must stay off. */
	if (vdev->intx_hidden)
		pci_intx(vdev->pdev, 0);
}

/*
 * The Linux irq of a vector. One not allocated yet can only be added
 * now if MSI-X grows at run time; it then stays allocated until MSI-X
 * is disabled, and later requests for the vector reuse it.
 */
static int msi_vector_irq(struct vfio_pci_core_device *vdev,
			  unsigned int vector, bool msix)
{
	int irq = pci_irq_vector(vdev->pdev, vector);
	struct msi_map map;
	u16 cmd;

	if (irq < 0 && msix && vdev->msix_dynamic) {
		cmd = vfio_pci_memory_lock_and_enable(vdev);
		map = pci_msix_alloc_irq_at(vdev->pdev, vector, NULL);
		vfio_pci_memory_unlock_and_restore(vdev, cmd);
		irq = map.index < 0 ? map.index : map.virq;
	}
	return irq ?: -EINVAL;
}

/* A vector context holding its name and a reference to eventfd @fd. */
static struct vfio_pci_irq_ctx *msi_ctx_new(struct vfio_pci_core_device *vdev,
					    unsigned int vector, s32 fd,
					    bool msix)
{
	struct vfio_pci_irq_ctx *ctx;
	struct eventfd_ctx *trigger;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->vdev = vdev;
	ctx->name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-msi%s[%u](%s)",
			      msix ? "x" : "", vector, pci_name(vdev->pdev));
	trigger = ctx->name ? eventfd_ctx_fdget(fd) : ERR_PTR(-ENOMEM);
	if (IS_ERR(trigger)) {
		msi_ctx_free(ctx);
		return ERR_CAST(trigger);
	}
	ctx->trigger = trigger;
	return ctx;
}

/*
 * Install the handler of @ctx on @irq. A vector kept from earlier may
 * have lost its MSI-X table entry to a reset the host did not see:
 * write the message again first.
 */
static int msi_request(struct vfio_pci_core_device *vdev,
		       struct vfio_pci_irq_ctx *ctx, int irq, bool msix)
{
	u16 cmd = vfio_pci_memory_lock_and_enable(vdev);
	struct msi_msg msg;
	int ret;

	if (msix) {
		get_cached_msi_msg(irq, &msg);
		pci_write_msi_msg(irq, &msg);
	}
	ret = request_irq(irq, msi_irq, 0, ctx->name, ctx->trigger);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	return ret;
}

/* Point one vector at eventfd @fd, or detach it for fd < 0. */
static int msi_set_vector(struct vfio_pci_core_device *vdev,
			  unsigned int vector, s32 fd, bool msix)
{
	struct vfio_pci_irq_ctx *ctx = xa_load(&vdev->msi_ctxs, vector);
	int irq, ret;

	if (ctx)
		msi_vector_release(vdev, vector, ctx);
	if (fd < 0)
		return 0;

	irq = msi_vector_irq(vdev, vector, msix);
	if (irq < 0)
		return irq;
	ctx = msi_ctx_new(vdev, vector, fd, msix);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	ret = xa_insert(&vdev->msi_ctxs, vector, ctx, GFP_KERNEL_ACCOUNT);
	if (!ret) {
		ret = msi_request(vdev, ctx, irq, msix);
		if (ret)
			xa_erase(&vdev->msi_ctxs, vector);
	}
	if (ret) {
		msi_ctx_free(ctx);
		return ret;
	}

	/* Posted interrupts are an optimization: failing is not fatal. */
	ctx->producer.token = ctx->trigger;
	ctx->producer.irq = irq;
	ret = irq_bypass_register_producer(&ctx->producer);
	if (unlikely(ret)) {
		pci_info(vdev->pdev, "irq bypass for vector %u unavailable: %d\n",
			 vector, ret);
		ctx->producer.token = NULL;
	}
	return 0;
}

/* All or nothing: on failure the vectors set so far are detached. */
static int msi_set_range(struct vfio_pci_core_device *vdev,
			 unsigned int start, unsigned int count,
			 const void *fds, bool msix)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < count; i++) {
		ret = msi_set_vector(vdev, start + i,
				     fds ? irq_data_fd(fds, i) : -1, msix);
		if (ret)
			break;
	}
	if (ret) {
		while (i--)
			msi_set_vector(vdev, start + i, -1, msix);
	}
	return ret;
}

/*
 * Enter MSI or MSI-X mode with vectors [@start, @start + @count) set
 * to @fds. A positive return tells the user how many vectors the
 * platform can give, as upstream does; then, as on any failure,
 * nothing changes.
 */
static int msi_enable(struct vfio_pci_core_device *vdev, unsigned int start,
		      unsigned int count, const void *fds, bool msix)
{
	int nvec = start + count;
	int ret;
	u16 cmd;

	if (!vfio_pci_irq_none(vdev))
		return -EINVAL;

	cmd = vfio_pci_memory_lock_and_enable(vdev);
	ret = pci_alloc_irq_vectors(vdev->pdev, 1, nvec,
				    msix ? PCI_IRQ_MSIX : PCI_IRQ_MSI);
	vfio_pci_memory_unlock_and_restore(vdev, cmd);
	if (ret > 0 && ret < nvec)
		msi_free_vectors(vdev);
	if (ret < nvec)
		return ret;

	if (msix) {
		vdev->irq_type = VFIO_PCI_MSIX_IRQ_INDEX;
	} else {
		vdev->irq_type = VFIO_PCI_MSI_IRQ_INDEX;
		/* What Multiple Message Capable reads back: log2, rounded up. */
		vdev->msi_qmax = fls(nvec * 2 - 1) - 1;
	}

	ret = msi_set_range(vdev, start, count, fds, msix);
	if (ret)
		msi_disable(vdev, msix);
	return ret;
}

static int msi_set_trigger(struct vfio_pci_core_device *vdev,
			   unsigned int index, unsigned int start,
			   unsigned int count, u32 flags, void *data)
{
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	bool active = irq_mode_is(vdev, index);
	struct vfio_pci_irq_ctx *ctx;
	unsigned int i;

	if (active && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		msi_disable(vdev, msix);
		return 0;
	}

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		return active ? msi_set_range(vdev, start, count, data, msix) :
				msi_enable(vdev, start, count, data, msix);
	if (!active)
		return -EINVAL;

	/* Loopback: fire the selected vectors' triggers. */
	for (i = start; i < start + count; i++) {
		ctx = xa_load(&vdev->msi_ctxs, i);
		if (ctx && ((flags & VFIO_IRQ_SET_DATA_NONE) ||
			    irq_data_bool(data, i - start)))
			vfio_eventfd_signal(ctx->trigger);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Error and request channels                                        */

/*
 * The error and request channels: one eventfd each, no masking. DATA_NONE
 * with count 0 tears the eventfd down, with count 1 fires it (loopback),
 * as a true BOOL does; an EVENTFD of -1 tears down too.
 */
static int single_set_trigger(struct vfio_pci_core_device *vdev,
			      struct vfio_pci_eventfd __rcu **slot,
			      unsigned int start, unsigned int count,
			      u32 flags, void *data)
{
	u32 type = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	struct vfio_pci_eventfd *cur;
	struct eventfd_ctx *ctx;
	s32 fd;
	int ret;

	cur = rcu_dereference_protected(*slot, lockdep_is_held(&vdev->igate));
	if (start || count > 1 || (!count && type != VFIO_IRQ_SET_DATA_NONE) ||
	    (type == VFIO_IRQ_SET_DATA_NONE && !cur))
		return -EINVAL;

	if (type == VFIO_IRQ_SET_DATA_NONE && !count)
		return vfio_pci_eventfd_replace_locked(vdev, slot, NULL);
	if (type != VFIO_IRQ_SET_DATA_EVENTFD) {
		if ((type == VFIO_IRQ_SET_DATA_NONE || irq_data_bool(data, 0)) &&
		    cur)
			vfio_eventfd_signal(cur->ctx);
		return 0;
	}

	fd = irq_data_fd(data, 0);
	if (fd == -1)
		return vfio_pci_eventfd_replace_locked(vdev, slot, NULL);
	if (fd < 0)
		return -EINVAL;
	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ret = vfio_pci_eventfd_replace_locked(vdev, slot, ctx);
	if (ret)
		eventfd_ctx_put(ctx);
	return ret;
}

static int err_set_trigger(struct vfio_pci_core_device *vdev,
			   unsigned int index, unsigned int start,
			   unsigned int count, u32 flags, void *data)
{
	return single_set_trigger(vdev, &vdev->err_trigger, start, count,
				  flags, data);
}

static int req_set_trigger(struct vfio_pci_core_device *vdev,
			   unsigned int index, unsigned int start,
			   unsigned int count, u32 flags, void *data)
{
	return single_set_trigger(vdev, &vdev->req_trigger, start, count,
				  flags, data);
}

/* ---------------------------------------------------------------- */
/* Dispatch                                                          */

enum { IRQ_ACT_MASK, IRQ_ACT_UNMASK, IRQ_ACT_TRIGGER, IRQ_ACT_COUNT };

/*
 * What each index supports. MSI masking would need the PCI core to
 * export vector masking: like upstream, it is not offered.
 */
static const irq_set_fn irq_set_table[VFIO_PCI_NUM_IRQS][IRQ_ACT_COUNT] = {
	[VFIO_PCI_INTX_IRQ_INDEX] = {
		[IRQ_ACT_MASK] = intx_set_masking,
		[IRQ_ACT_UNMASK] = intx_set_masking,
		[IRQ_ACT_TRIGGER] = intx_set_trigger_ioctl,
	},
	[VFIO_PCI_MSI_IRQ_INDEX] = { [IRQ_ACT_TRIGGER] = msi_set_trigger },
	[VFIO_PCI_MSIX_IRQ_INDEX] = { [IRQ_ACT_TRIGGER] = msi_set_trigger },
	[VFIO_PCI_ERR_IRQ_INDEX] = { [IRQ_ACT_TRIGGER] = err_set_trigger },
	[VFIO_PCI_REQ_IRQ_INDEX] = { [IRQ_ACT_TRIGGER] = req_set_trigger },
};

/*
 * Apply a validated VFIO_DEVICE_SET_IRQS. Called with igate held;
 * unsupported index/action pairs get -ENOTTY as upstream answers.
 */
int vfio_pci_set_irqs_ioctl(struct vfio_pci_core_device *vdev, u32 flags,
			    unsigned int index, unsigned int start,
			    unsigned int count, void *data)
{
	irq_set_fn fn;
	int act;

	lockdep_assert_held(&vdev->igate);

	switch (flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) {
	case VFIO_IRQ_SET_ACTION_MASK:
		act = IRQ_ACT_MASK;
		break;
	case VFIO_IRQ_SET_ACTION_UNMASK:
		act = IRQ_ACT_UNMASK;
		break;
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		act = IRQ_ACT_TRIGGER;
		break;
	default:
		return -ENOTTY;
	}

	if (index >= VFIO_PCI_NUM_IRQS)
		return -ENOTTY;
	/* Only PCIe has an error reporting channel. */
	if (index == VFIO_PCI_ERR_IRQ_INDEX && !pci_is_pcie(vdev->pdev))
		return -ENOTTY;

	fn = irq_set_table[index][act];
	if (!fn)
		return -ENOTTY;
	return fn(vdev, index, start, count, flags, data);
}

/* Device close: drop whatever mode the user left enabled. */
void vfio_pci_irqs_teardown(struct vfio_pci_core_device *vdev)
{
	mutex_lock(&vdev->igate);
	switch (vdev->irq_type) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		intx_disable(vdev);
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		msi_disable(vdev, false);
		break;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		msi_disable(vdev, true);
		break;
	}
	mutex_unlock(&vdev->igate);
}
