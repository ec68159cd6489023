// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-core: a PCI function as a vfio_device.
 *
 * This file holds the device's life: probe-time registration, the
 * enable done at first open and undone at last close, power management,
 * resets that span a slot or bus (the dev_set), SR-IOV and VGA.
 *
 * Lock order (see also pci_core.h):
 *   vfio_pci_sriov_pfs_lock is taken alone.
 *   dev_set->lock -> memory_lock of each member (trylock for several).
 *   memory_lock -> lowpower_lock; runtime resume takes lowpower_lock
 *   alone (see pci_core.h).
 *   dev_set->lock -> vf_token->lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aperture.h>
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/uuid.h>
#include <linux/vgaarb.h>

#include "priv.h"

/* Set by the bus driver (vfio-pci's module parameters). */
static struct {
	bool nointxmask;
	bool disable_vga;
	bool disable_idle_d3;
} vfio_pci_params;

/*
 * PFs on which our sriov_configure enabled VFs: a VF probing later
 * finds its vfio PF here. Protected by vfio_pci_sriov_pfs_lock.
 */
static DEFINE_MUTEX(vfio_pci_sriov_pfs_lock);
static LIST_HEAD(vfio_pci_sriov_pfs);

void vfio_pci_core_set_params(bool nointxmask, bool is_disable_vga,
			      bool is_disable_idle_d3)
{
	vfio_pci_params.nointxmask = nointxmask;
	vfio_pci_params.disable_vga = is_disable_vga;
	vfio_pci_params.disable_idle_d3 = is_disable_idle_d3;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_set_params);

/* ---------------------------------------------------------------- */
/* Eventfds signalled from atomic context                            */

static void vfio_pci_eventfd_free_rcu(struct rcu_head *head)
{
	struct vfio_pci_eventfd *e = container_of(head, typeof(*e), rcu);

	eventfd_ctx_put(e->ctx);
	kfree(e);
}

/* Box @ctx for RCU readers: NULL for no ctx, ERR_PTR on no memory. */
static struct vfio_pci_eventfd *vfio_pci_eventfd_box(struct eventfd_ctx *ctx)
{
	struct vfio_pci_eventfd *box;

	if (!ctx)
		return NULL;
	box = kzalloc(sizeof(*box), GFP_KERNEL_ACCOUNT);
	if (!box)
		return ERR_PTR(-ENOMEM);
	box->ctx = ctx;
	return box;
}

/*
 * Install @ctx (NULL to clear) in @slot; on success the slot owns the
 * reference. Readers run under RCU, so the old one is freed after a
 * grace period.
 */
int vfio_pci_eventfd_replace_locked(struct vfio_pci_core_device *vdev,
				    struct vfio_pci_eventfd __rcu **slot,
				    struct eventfd_ctx *ctx)
{
	struct vfio_pci_eventfd *box = vfio_pci_eventfd_box(ctx);

	lockdep_assert_held(&vdev->igate);
	if (IS_ERR(box))
		return PTR_ERR(box);

	box = rcu_replace_pointer(*slot, box, lockdep_is_held(&vdev->igate));
	if (box)
		call_rcu(&box->rcu, vfio_pci_eventfd_free_rcu);
	return 0;
}

/* Signal the eventfd in @slot; false when none is installed. */
bool vfio_pci_eventfd_signal(struct vfio_pci_eventfd __rcu **slot)
{
	struct vfio_pci_eventfd *e;
	bool found;

	rcu_read_lock();
	e = rcu_dereference(*slot);
	found = e;
	if (found)
		vfio_eventfd_signal(e->ctx);
	rcu_read_unlock();
	return found;
}

/* ---------------------------------------------------------------- */
/* Power                                                             */

/*
 * The runtime PM reference an open device holds (and a registered,
 * closed one gives back), unless idle D3 is disabled.
 */
static int vfio_pci_open_pm_get(struct vfio_pci_core_device *vdev)
{
	if (vdev->no_idle_d3)
		return 0;
	return pm_runtime_resume_and_get(&vdev->pdev->dev);
}

static void vfio_pci_open_pm_put(struct vfio_pci_core_device *vdev)
{
	if (!vdev->no_idle_d3)
		pm_runtime_put(&vdev->pdev->dev);
}

/*
 * pci_set_power_state() that also carries a NoSoftRst- device's state
 * across D3hot, kept apart from the open-time state and the PCI core's
 * own saved state which resets consume. Lowering power needs
 * memory_lock held for write.
 */
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev,
			     pci_power_t state)
{
	struct pci_dev *pdev = vdev->pdev;
	int cur = vfio_pci_pstate(pdev->current_state);
	int to = vfio_pci_pstate(state);
	int d3hot = vfio_pci_pstate(PCI_D3hot);
	bool save = false, restore = false;
	int ret;

	if (to > vfio_pci_pstate(PCI_D0)) {
		lockdep_assert_held_write(&vdev->memory_lock);
		/* VFs depend on their PF staying up. */
		if (vdev->sriov_enabled)
			return -EBUSY;
	}

	if (vdev->pm_restore_needed) {
		save = cur < d3hot && to >= d3hot;
		restore = cur >= d3hot && to <= vfio_pci_pstate(PCI_D0);
	}

	if (save)
		pci_save_state(pdev);

	ret = pci_set_power_state(pdev, state);
	if (ret)
		return ret;

	/* D3 may be refused by a quirk: only keep state if we got there. */
	if (save && vfio_pci_pstate(pdev->current_state) >= d3hot) {
		/*
		 * A return to D0 behind our back leaves the last copy
		 * unused: replace it.
		 */
		kfree(vdev->pm_saved);
		vdev->pm_saved = pci_store_saved_state(pdev);
	} else if (restore) {
		pci_load_and_free_saved_state(pdev, &vdev->pm_saved);
		pci_restore_state(pdev);
	}
	return 0;
}

/*
 * Low power entry: drop the reference open took, so the device may
 * runtime suspend once no access holds one. @wake (may be NULL) is
 * signalled when the device wakes on its own.
 */
int vfio_pci_runtime_pm_enter(struct vfio_pci_core_device *vdev,
			      struct eventfd_ctx *wake)
{
	int ret = -EINVAL;

	vfio_pci_zap_and_down_write_memory_lock(vdev);
	mutex_lock(&vdev->lowpower_lock);
	if (!vdev->lowpower_active) {
		vdev->lowpower_wake = wake;
		WRITE_ONCE(vdev->lowpower_active, true);
		pm_runtime_put_noidle(&vdev->pdev->dev);
		ret = 0;
	}
	mutex_unlock(&vdev->lowpower_lock);
	up_write(&vdev->memory_lock);
	return ret;
}

/*
 * Low power exit, lowpower_lock held. @woke: the device woke on its
 * own, which the user hears about only if it asked to.
 */
static void runtime_pm_leave_locked(struct vfio_pci_core_device *vdev,
				    bool woke)
{
	struct eventfd_ctx *wake = vdev->lowpower_wake;

	lockdep_assert_held(&vdev->lowpower_lock);

	if (woke && !wake)
		return;
	if (wake) {
		if (woke)
			vfio_eventfd_signal(wake);
		eventfd_ctx_put(wake);
		vdev->lowpower_wake = NULL;
	}
	if (vdev->lowpower_active) {
		pm_runtime_get_noresume(&vdev->pdev->dev);
		WRITE_ONCE(vdev->lowpower_active, false);
	}
}

void vfio_pci_runtime_pm_leave(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	mutex_lock(&vdev->lowpower_lock);
	runtime_pm_leave_locked(vdev, false);
	mutex_unlock(&vdev->lowpower_lock);
	up_write(&vdev->memory_lock);
}

static int vfio_pci_runtime_suspend(struct device *dev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(dev);

	/*
	 * The user may have put the device in D3hot already: go back to
	 * D0 (restoring NoSoftRst- state) and let the PCI core choose the
	 * low power state.
	 */
	down_write(&vdev->memory_lock);
	vfio_pci_set_power_state(vdev, PCI_D0);
	up_write(&vdev->memory_lock);

	/* Keep INTx quiet while suspended, unless the user masked it. */
	vdev->rpm_intx_masked = vdev->irq_type == VFIO_PCI_INTX_IRQ_INDEX &&
				vfio_pci_intx_mask(vdev);
	return 0;
}

static int vfio_pci_runtime_resume(struct device *dev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(dev);

	/*
	 * A wakeup the user asked to hear about ends low power. Not under
	 * memory_lock (see lowpower_lock): a BAR fault racing this sees
	 * low power still on and fails as it would have a moment earlier,
	 * or sees it off, and the device is powered by now.
	 */
	mutex_lock(&vdev->lowpower_lock);
	runtime_pm_leave_locked(vdev, true);
	mutex_unlock(&vdev->lowpower_lock);

	if (vdev->rpm_intx_masked)
		vfio_pci_intx_unmask(vdev);
	return 0;
}

/* The PCI core saves state around runtime suspend itself. */
static const struct dev_pm_ops vfio_pci_core_pm_ops = {
	RUNTIME_PM_OPS(vfio_pci_runtime_suspend, vfio_pci_runtime_resume,
		       NULL)
};

/* ---------------------------------------------------------------- */
/* Open and close                                                    */

/*
 * Intel i40e (XL710/X710/XXV710) and X550 functions implement DisINTx
 * but not the status bit it pairs with. Rather than needing an exclusive
 * line, report no INTx at all and keep DisINTx set.
 */
static bool vfio_pci_intx_broken(struct pci_dev *pdev)
{
	static const struct {
		u16 first, last;
	} intel_ids[] = {
		{ 0x1572, 0x1572 }, { 0x1574, 0x1574 },
		{ 0x1580, 0x1581 }, { 0x1583, 0x158b },
		{ 0x37d0, 0x37d2 }, { 0x1563, 0x1563 },
	};
	unsigned int i;

	if (pdev->vendor != PCI_VENDOR_ID_INTEL)
		return false;
	for (i = 0; i < ARRAY_SIZE(intel_ids); i++)
		if (pdev->device >= intel_ids[i].first &&
		    pdev->device <= intel_ids[i].last)
			return true;
	return false;
}

/* Decide how INTx is offered; a PCI 2.3 device starts it unmasked. */
static void vfio_pci_setup_intx(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	bool use_mask = !vfio_pci_params.nointxmask;
	u16 cmd;

	vdev->intx_hidden = use_mask && vfio_pci_intx_broken(pdev);
	vdev->intx_maskable = use_mask && !vdev->intx_hidden &&
			      pci_intx_mask_supported(pdev);
	if (vdev->intx_hidden) {
		pci_info(pdev, "hiding broken INTx\n");
		pci_intx(pdev, 0);
	}

	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (vdev->intx_maskable && (cmd & PCI_COMMAND_INTX_DISABLE))
		pci_write_config_word(pdev, PCI_COMMAND,
				      cmd & ~PCI_COMMAND_INTX_DISABLE);
}

static void vfio_pci_probe_msix(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;
	u32 table;

	if (!pdev->msix_cap) {
		vdev->msix_bir = 0xff;
		vdev->msix_dynamic = false;
		return;
	}

	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &table);
	vdev->msix_bir = table & PCI_MSIX_TABLE_BIR;
	vdev->msix_table_off = table & PCI_MSIX_TABLE_OFFSET;
	vdev->msix_table_len = ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) *
			       PCI_MSIX_ENTRY_SIZE;
	vdev->msix_dynamic = pci_msix_can_alloc_dyn(pdev);
}

/*
 * Wake the device, enable it and try a function reset. A reset that
 * fails for want of the device lock (-EAGAIN) fails the open: the
 * device would otherwise start half-reset.
 */
static int vfio_pci_wake_and_reset(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret = vfio_pci_open_pm_get(vdev);

	if (ret < 0)
		return ret;

	/* The state saved after this must not include bus mastering. */
	pci_clear_master(pdev);
	ret = pci_enable_device(pdev);
	if (!ret) {
		ret = pci_try_reset_function(pdev);
		vdev->reset_works = !ret;
		if (ret != -EAGAIN)
			return 0;
		pci_disable_device(pdev);
	}
	vfio_pci_open_pm_put(vdev);
	return ret;
}

/**
 * vfio_pci_core_enable() - first part of open_device
 * @vdev: the device
 *
 * Powers and enables the device, resets it if it can, records the state
 * to restore at close and builds the virtual config space. A driver then
 * adds its regions and calls vfio_pci_core_finish_enable().
 *
 * Return: 0 or a negative errno, with nothing left enabled.
 */
int vfio_pci_core_enable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret = vfio_pci_wake_and_reset(vdev);

	if (ret)
		return ret;

	pci_save_state(pdev);
	vdev->open_state = pci_store_saved_state(pdev);
	if (!vdev->open_state)
		pci_dbg(pdev, "cannot keep the open-time state\n");

	vfio_pci_setup_intx(vdev);
	ret = vfio_config_init(vdev);
	if (ret) {
		kfree(vdev->open_state);
		vdev->open_state = NULL;
		pci_disable_device(pdev);
		vfio_pci_open_pm_put(vdev);
		return ret;
	}

	vfio_pci_probe_msix(vdev);
	vdev->vga_enabled = !vfio_pci_params.disable_vga &&
			    vfio_pci_is_vga(pdev);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_enable);

/* Count the open VFs of a PF (@delta +1 or -1, never below zero). */
static void vfio_pci_vf_users_add(struct vfio_pci_core_device *vdev,
				  int delta)
{
	struct vfio_pci_vf_token *token;

	if (!vdev->pf_core)
		return;
	token = vdev->pf_core->vf_token;
	mutex_lock(&token->lock);
	if (delta > 0 || token->users)
		token->users += delta;
	mutex_unlock(&token->lock);
}

/**
 * vfio_pci_core_finish_enable() - last part of open_device
 * @vdev: the device
 */
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev)
{
	vfio_pci_probe_mmaps(vdev);
	/* An open VF makes its PF demand the token from new users. */
	vfio_pci_vf_users_add(vdev, 1);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_finish_enable);

static void vfio_pci_dev_set_try_reset(struct vfio_device_set *dev_set);

/*
 * Reset the function, if we can take the locks a reset needs: its
 * upstream bridge's (if any), then its own. pci_try_reset_function()
 * would save and restore the state itself, overwriting the open-time
 * state just loaded, so the locks are taken by hand.
 */
static void vfio_pci_close_reset(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *chain[] = { pci_upstream_bridge(vdev->pdev),
				    vdev->pdev };
	unsigned int held;

	for (held = 0; held < ARRAY_SIZE(chain); held++)
		if (chain[held] && !pci_dev_trylock(chain[held]))
			break;

	if (held == ARRAY_SIZE(chain) &&
	    !__pci_reset_function_locked(vdev->pdev))
		vdev->needs_reset = false;

	while (held--)
		if (chain[held])
			pci_dev_unlock(chain[held]);
}

/* Unmap the BARs user access mapped, releasing their regions. */
static void vfio_pci_unmap_bars(struct vfio_pci_core_device *vdev)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		void __iomem *io = vdev->barmap[bar];

		vdev->barmap[bar] = NULL;
		if (io) {
			pci_iounmap(vdev->pdev, io);
			pci_release_selected_regions(vdev->pdev, 1 << bar);
		}
	}
	vfio_pci_release_subpage_reservations(vdev);
}

/* Let each device-specific region go, then the array. */
static void vfio_pci_drop_regions(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_region *r, *end = vdev->region + vdev->num_regions;

	for (r = vdev->region; r < end; r++)
		r->ops->release(vdev, r);
	vdev->num_regions = 0;
	kfree(vdev->region);
	vdev->region = NULL;
}

/**
 * vfio_pci_core_disable() - undo vfio_pci_core_enable()
 * @vdev: the device
 *
 * Called with the dev_set lock held. Stops the device, frees what the
 * user set up, resets it and puts back the state it had at open.
 */
void vfio_pci_core_disable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	bool have_state;

	lockdep_assert_held(&vdev->vdev.dev_set->lock);

	/*
	 * Leave low power: resets need D0, and a NoSoftRst- device needs
	 * its saved state back first.
	 */
	vfio_pci_runtime_pm_leave(vdev);
	pm_runtime_resume(&pdev->dev);
	down_write(&vdev->memory_lock);
	vfio_pci_set_power_state(vdev, PCI_D0);
	up_write(&vdev->memory_lock);

	/* No more DMA, and nothing the user set up survives. */
	pci_clear_master(pdev);
	vfio_pci_irqs_teardown(vdev);
	vfio_pci_ioeventfds_release(vdev);
	vdev->intx_user_disabled = false;
	vfio_pci_drop_regions(vdev);
	vfio_config_free(vdev);
	vfio_pci_unmap_bars(vdev);
	vdev->needs_reset = true;

	/*
	 * Reset, then restore the open-time state. Without that state a
	 * reset still beats nothing; without a reset, restoring the
	 * current state would be busy work.
	 */
	have_state = !pci_load_and_free_saved_state(pdev, &vdev->open_state);
	if (!have_state)
		pci_info(pdev, "open-time state lost\n");
	if (have_state || vdev->reset_works) {
		if (!have_state)
			pci_save_state(pdev);
		/* As pci_reset_function() does: quiet INTx and MSI first. */
		pci_write_config_word(pdev, PCI_COMMAND,
				      PCI_COMMAND_INTX_DISABLE);
		if (vdev->reset_works)
			vfio_pci_close_reset(vdev);
		pci_restore_state(pdev);
	}
	pci_disable_device(pdev);

	/* The last user of a slot or bus may now reset it all. */
	vfio_pci_dev_set_try_reset(vdev->vdev.dev_set);
	vfio_pci_open_pm_put(vdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_disable);

void vfio_pci_core_close_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);

	vfio_pci_vf_users_add(vdev, -1);

	/* The error and request channels end with the user's session. */
	mutex_lock(&vdev->igate);
	vfio_pci_eventfd_replace_locked(vdev, &vdev->req_trigger, NULL);
	vfio_pci_eventfd_replace_locked(vdev, &vdev->err_trigger, NULL);
	mutex_unlock(&vdev->igate);

	vfio_pci_core_disable(vdev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_close_device);
/* ---------------------------------------------------------------- */
/* Slot and bus resets                                               */

struct reset_walk {
	vfio_pci_peer_fn fn;
	void *data;
	struct pci_slot *slot;		/* NULL: the whole bus */
	int ret;
};

/* Is @pdev, or the bridge it sits behind, in @slot? */
static bool pdev_in_slot(struct pci_dev *pdev, struct pci_slot *slot)
{
	for (; pdev; pdev = pdev->bus->self)
		if (pdev->bus == slot->bus)
			return pdev->slot == slot;
	return false;
}

static int reset_walk_one(struct pci_dev *pdev, void *data)
{
	struct reset_walk *walk = data;

	if (!walk->slot || pdev_in_slot(pdev, walk->slot))
		walk->ret = walk->fn(pdev, walk->data);
	return walk->ret;
}

/* Call @fn for each function a slot (or bus) reset of @pdev affects. */
int vfio_pci_walk_reset_peers(struct pci_dev *pdev, bool slot,
			      vfio_pci_peer_fn fn, void *data)
{
	struct reset_walk walk = {
		.fn = fn, .data = data, .slot = slot ? pdev->slot : NULL,
	};

	pci_walk_bus(pdev->bus, reset_walk_one, &walk);
	return walk.ret;
}

static int pdev_in_dev_set(struct pci_dev *pdev, void *data)
{
	struct vfio_device_set *dev_set = data;

	return vfio_find_device_in_devset(dev_set, &pdev->dev) ? 0 : -ENODEV;
}

/*
 * The device to hand pci_reset_bus(), if a slot or bus reset exists and
 * every function it touches is in @dev_set (so all of them are ours and
 * can be coordinated); NULL otherwise.
 */
static struct pci_dev *dev_set_reset_target(struct vfio_device_set *dev_set)
{
	struct vfio_pci_core_device *first;
	struct pci_dev *pdev;
	bool slot;

	lockdep_assert_held(&dev_set->lock);

	/* All members share one reset domain: any of them will do. */
	first = list_first_entry(&dev_set->device_list,
				 struct vfio_pci_core_device, vdev.dev_set_list);
	pdev = first->pdev;

	slot = !pci_probe_reset_slot(pdev->slot);
	if (!slot && pci_probe_reset_bus(pdev->bus))
		return NULL;
	if (vfio_pci_walk_reset_peers(pdev, slot, pdev_in_dev_set, dev_set))
		return NULL;
	return pdev;
}

/* Undo @undo on the first @n members of @dev_set (all: UINT_MAX). */
static void dev_set_undo_first(struct vfio_device_set *dev_set,
			       unsigned int n,
			       void (*undo)(struct vfio_pci_core_device *))
{
	struct vfio_pci_core_device *cur;

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (!n--)
			return;
		undo(cur);
	}
}

static void member_pm_put(struct vfio_pci_core_device *vdev)
{
	pm_runtime_put(&vdev->pdev->dev);
}

static void member_memory_unlock(struct vfio_pci_core_device *vdev)
{
	up_write(&vdev->memory_lock);
}

/* Wake every member for the reset; all or none keep a reference. */
static int dev_set_pm_get(struct vfio_device_set *dev_set)
{
	struct vfio_pci_core_device *cur;
	unsigned int woken = 0;
	int ret = 0;

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		ret = pm_runtime_resume_and_get(&cur->pdev->dev);
		if (ret) {
			dev_set_undo_first(dev_set, woken, member_pm_put);
			break;
		}
		woken++;
	}
	return ret;
}

/*
 * A member may join a hot reset if the user proved it owns it and BAR
 * access to it can be stopped now: taking several memory_locks could
 * deadlock, so only try, and back off. Proof is one of the group @files
 * holding it, or, for a cdev user (@ictx), being bound to the user's
 * iommufd or sitting in an IOMMU group it owns through another device.
 */
static bool vdev_in_files(struct vfio_pci_core_device *vdev,
			  struct file **files, unsigned int nfiles)
{
	unsigned int i;

	for (i = 0; i < nfiles; i++)
		if (vfio_file_has_dev(files[i], &vdev->vdev))
			return true;
	return false;
}

static bool hot_reset_owned(struct vfio_pci_core_device *vdev,
			    struct file **files, unsigned int nfiles,
			    struct iommufd_ctx *ictx)
{
	int id;

	if (ictx) {
		id = vfio_iommufd_get_dev_id(&vdev->vdev, ictx);
		return id > 0 || id == -ENOENT;
	}
	return files && vdev_in_files(vdev, files, nfiles);
}

static int hot_reset_claim(struct vfio_pci_core_device *vdev,
			   struct file **files, unsigned int nfiles,
			   struct iommufd_ctx *ictx)
{
	if (!hot_reset_owned(vdev, files, nfiles, ictx))
		return -EINVAL;
	if (!down_write_trylock(&vdev->memory_lock))
		return -EBUSY;
	vfio_pci_zap_bars(vdev);
	return 0;
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET: the user must own every member of the
 * dev_set, through the group @files it passed or (cdev path, no files)
 * through its iommufd @ictx.
 */
int vfio_pci_dev_set_hot_reset(struct vfio_pci_core_device *vdev,
			       struct file **files, unsigned int nfiles,
			       struct iommufd_ctx *ictx)
{
	struct vfio_device_set *dev_set = vdev->vdev.dev_set;
	struct vfio_pci_core_device *cur;
	unsigned int claimed = 0;
	struct pci_dev *target;
	int ret;

	mutex_lock(&dev_set->lock);
	target = dev_set_reset_target(dev_set);
	/* Some members may be runtime suspended: wake them all. */
	ret = target ? dev_set_pm_get(dev_set) : -EINVAL;
	if (ret) {
		mutex_unlock(&dev_set->lock);
		return ret;
	}

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		ret = hot_reset_claim(cur, files, nfiles, ictx);
		if (ret)
			break;
		claimed++;
	}
	if (!ret) {
		/* A bus reset wakes functions in D3 without us: be in D0. */
		list_for_each_entry(cur, &dev_set->device_list,
				    vdev.dev_set_list)
			vfio_pci_set_power_state(cur, PCI_D0);
		ret = pci_reset_bus(target);
	}

	dev_set_undo_first(dev_set, claimed, member_memory_unlock);
	dev_set_undo_first(dev_set, UINT_MAX, member_pm_put);
	mutex_unlock(&dev_set->lock);
	return ret;
}

/*
 * At the last close in a dev_set: if any member is dirty (its function
 * reset failed or does not exist), and none is open, reset the slot or
 * bus for all of them.
 */
static void vfio_pci_dev_set_try_reset(struct vfio_device_set *dev_set)
{
	struct vfio_pci_core_device *cur;
	struct pci_dev *target;
	bool dirty = false;
	bool reset_ok;

	/* The device being closed still counts as open. */
	if (vfio_device_set_open_count(dev_set) > 1)
		return;

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list)
		dirty |= cur->needs_reset;
	target = dirty ? dev_set_reset_target(dev_set) : NULL;
	if (!target || dev_set_pm_get(dev_set))
		return;

	reset_ok = !pci_reset_bus(target);
	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list)
		cur->needs_reset &= !reset_ok;
	dev_set_undo_first(dev_set, UINT_MAX, member_pm_put);
}

/* ---------------------------------------------------------------- */
/* Regions, request, match                                           */

/**
 * vfio_pci_core_register_dev_region() - add a device-specific region
 * @vdev: the device, between enable and finish_enable
 * @type: VFIO_REGION_TYPE_*
 * @subtype: VFIO_REGION_SUBTYPE_*
 * @ops: its handlers; @ops->release is called at close
 * @size: size in bytes
 * @flags: VFIO_REGION_INFO_FLAG_*
 * @data: for the handlers
 *
 * Return: 0 or -ENOMEM.
 */
int vfio_pci_core_register_dev_region(struct vfio_pci_core_device *vdev,
				      unsigned int type, unsigned int subtype,
				      const struct vfio_pci_regops *ops,
				      size_t size, u32 flags, void *data)
{
	struct vfio_pci_region *grown;

	grown = krealloc_array(vdev->region, vdev->num_regions + 1,
			       sizeof(*grown), GFP_KERNEL_ACCOUNT);
	if (!grown)
		return -ENOMEM;
	grown[vdev->num_regions++] = (struct vfio_pci_region) {
		.type = type, .subtype = subtype, .ops = ops,
		.data = data, .size = size, .flags = flags,
	};
	vdev->region = grown;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_register_dev_region);

/* The core wants the device back (unbind): ask the user to let go. */
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);

	if (vfio_pci_eventfd_signal(&vdev->req_trigger)) {
		if (count % 10 == 0)
			pci_notice_ratelimited(vdev->pdev,
					       "asked the user to release the device (#%u)\n",
					       count);
	} else if (count == 0) {
		pci_warn(vdev->pdev,
			 "no request channel: waiting for the user to release the device\n");
	}
}
EXPORT_SYMBOL_GPL(vfio_pci_core_request);

/*
 * A PF and its VFs trust each other to some degree (the PF can reset
 * them all, and often sees their data), so when both are vfio devices
 * their users must share a secret: the VF token, a UUID the PF's user
 * sets and a VF's user must present when opening the VF. A PF whose
 * VFs are in use demands it too; otherwise a token given to the PF
 * becomes the new one.
 *
 * @token is NULL when the user gave none.
 */
static int vfio_pci_check_vf_token(struct vfio_pci_core_device *vdev,
				   const uuid_t *token)
{
	bool is_vf = vdev->pdev->is_virtfn;
	struct vfio_pci_vf_token *t = vdev->vf_token;
	int ret = 0;

	if (is_vf)
		t = vdev->pf_core ? vdev->pf_core->vf_token : NULL;

	if (!t) {
		/* No token to check: giving one is a user error. */
		if (!token)
			return 0;
		pci_info_ratelimited(vdev->pdev, "%s\n",
				     is_vf ? "VF token given but the PF is not bound to vfio-pci" :
					     "VF token given for a device that is neither PF nor VF");
		return -EINVAL;
	}

	mutex_lock(&t->lock);
	if (!is_vf && !t->users) {
		if (token)
			uuid_copy(&t->uuid, token);
	} else if (!token || !uuid_equal(token, &t->uuid)) {
		ret = -EACCES;
	}
	mutex_unlock(&t->lock);

	if (ret)
		pci_info_ratelimited(vdev->pdev, "%s VF token for device\n",
				     token ? "incorrect" : "missing");
	return ret;
}

#define VF_TOKEN_OPT	"vf_token="

/*
 * The options after the device name: space separated, the only one
 * vf_token=<uuid>, at most once. -EINVAL for anything else.
 */
static int vfio_pci_parse_match_opts(const char *opts, uuid_t *token,
				     bool *have_token)
{
	const size_t optlen = strlen(VF_TOKEN_OPT);
	int ret;

	for (opts += strspn(opts, " "); *opts; opts += strspn(opts, " ")) {
		if (*have_token || strncmp(opts, VF_TOKEN_OPT, optlen) ||
		    strnlen(opts + optlen, UUID_STRING_LEN) < UUID_STRING_LEN)
			return -EINVAL;
		ret = uuid_parse(opts + optlen, token);
		if (ret)
			return ret;
		*have_token = true;
		opts += optlen + UUID_STRING_LEN;
	}
	return 0;
}

/*
 * Does @buf name this device? "<pci name>" optionally followed by
 * space-separated options; the only option is vf_token=<uuid>.
 */
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);
	const char *name = pci_name(vdev->pdev);
	size_t len = strlen(name);
	bool have_token = false;
	uuid_t token;
	int ret;

	if (strncmp(buf, name, len))
		return 0;
	/* "0000:00:01.1" must not match "0000:00:01.10". */
	if (buf[len] && buf[len] != ' ')
		return 0;

	ret = vfio_pci_parse_match_opts(buf + len, &token, &have_token);
	if (!ret)
		ret = vfio_pci_check_vf_token(vdev, have_token ? &token : NULL);
	return ret ?: 1;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_match);

/* ---------------------------------------------------------------- */
/* SR-IOV                                                            */

/*
 * A PF's VFs appear while the PF is ours: make them prefer our driver,
 * and complain if they end up with another.
 */
static int vfio_pci_bus_notify(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct vfio_pci_core_device *pf =
		container_of(nb, struct vfio_pci_core_device, bus_nb);
	struct pci_dev *vf = to_pci_dev(data);
	struct pci_driver *pf_drv = pci_dev_driver(pf->pdev);
	struct pci_driver *vf_drv;

	if (!vf->is_virtfn || pci_physfn(vf) != pf->pdev)
		return 0;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		pci_info(pf->pdev, "setting driver_override of VF %s\n",
			 pci_name(vf));
		if (device_set_driver_override(&vf->dev, pf->vdev.ops->name))
			pci_warn(pf->pdev, "cannot set driver_override of VF %s\n",
				 pci_name(vf));
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		vf_drv = pci_dev_driver(vf);
		if (vf_drv && vf_drv != pf_drv)
			pci_warn(pf->pdev,
				 "VF %s bound to driver %s while PF bound to driver %s\n",
				 pci_name(vf), vf_drv->name, pf_drv->name);
		break;
	}
	return 0;
}

/*
 * The vfio PF of a VF, if its PF enabled SR-IOV through us. It stays
 * ours until the VF is gone: the VF's removal is part of
 * pci_disable_sriov().
 */
static struct vfio_pci_core_device *vfio_pci_find_pf(struct pci_dev *physfn)
{
	struct vfio_pci_core_device *cur, *found = NULL;

	mutex_lock(&vfio_pci_sriov_pfs_lock);
	list_for_each_entry(cur, &vfio_pci_sriov_pfs, pf_list_node)
		if (cur->pdev == physfn)
			found = cur;
	mutex_unlock(&vfio_pci_sriov_pfs_lock);
	return found;
}

static void vfio_pci_vf_token_free(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_vf_token *t = vdev->vf_token;

	vdev->vf_token = NULL;
	WARN_ON(t->users);
	mutex_destroy(&t->lock);
	kfree(t);
}

/* Registration step: a VF finds its PF, a PF makes its VF token. */
static int vfio_pci_vf_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_vf_token *t;
	int ret;

	if (pdev->is_virtfn)
		vdev->pf_core = vfio_pci_find_pf(pci_physfn(pdev));
	if (!pdev->is_physfn)
		return 0;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	mutex_init(&t->lock);
	uuid_gen(&t->uuid);
	vdev->vf_token = t;

	vdev->bus_nb.notifier_call = vfio_pci_bus_notify;
	ret = bus_register_notifier(&pci_bus_type, &vdev->bus_nb);
	if (ret)
		vfio_pci_vf_token_free(vdev);
	return ret;
}

static void vfio_pci_vf_uninit(struct vfio_pci_core_device *vdev)
{
	if (vdev->vf_token) {
		bus_unregister_notifier(&pci_bus_type, &vdev->bus_nb);
		vfio_pci_vf_token_free(vdev);
	}
}

/*
 * Joining vfio_pci_sriov_pfs is the right to enable SR-IOV, once,
 * until it is disabled again: false if this PF already has it.
 */
static bool vfio_pci_sriov_pf_add(struct vfio_pci_core_device *vdev)
{
	bool joined;

	mutex_lock(&vfio_pci_sriov_pfs_lock);
	joined = list_empty(&vdev->pf_list_node);
	if (joined)
		list_add_tail(&vdev->pf_list_node, &vfio_pci_sriov_pfs);
	mutex_unlock(&vfio_pci_sriov_pfs_lock);
	return joined;
}

static void vfio_pci_sriov_pf_del(struct vfio_pci_core_device *vdev)
{
	/*
	 * Without memory_lock: racing a power change costs at most an
	 * -EBUSY that leaves the device in D0.
	 */
	vdev->sriov_enabled = false;
	mutex_lock(&vfio_pci_sriov_pfs_lock);
	list_del_init(&vdev->pf_list_node);
	mutex_unlock(&vfio_pci_sriov_pfs_lock);
}

static int vfio_pci_sriov_enable(struct vfio_pci_core_device *vdev,
				 int nr_virtfn)
{
	struct device *dev = &vdev->pdev->dev;
	int ret;

	if (!vfio_pci_sriov_pf_add(vdev))
		return -EINVAL;

	/*
	 * The PF must be in D0 while VFs exist; it may be runtime
	 * suspended or put in D3hot by its user, and a config write can
	 * race with us, hence memory_lock.
	 */
	ret = pm_runtime_resume_and_get(dev);
	if (ret)
		goto err_leave_list;
	down_write(&vdev->memory_lock);
	vdev->sriov_enabled = true;
	vfio_pci_set_power_state(vdev, PCI_D0);
	up_write(&vdev->memory_lock);

	ret = pci_enable_sriov(vdev->pdev, nr_virtfn);
	if (ret)
		goto err_pm_put;
	return nr_virtfn;

err_pm_put:
	pm_runtime_put(dev);
err_leave_list:
	vfio_pci_sriov_pf_del(vdev);
	return ret;
}

/**
 * vfio_pci_core_sriov_configure() - the PCI driver's sriov_configure
 * @vdev: the PF
 * @nr_virtfn: VFs to enable, 0 to disable
 *
 * Return: @nr_virtfn on enable, 0 on disable, or a negative errno.
 */
int vfio_pci_core_sriov_configure(struct vfio_pci_core_device *vdev,
				  int nr_virtfn)
{
	struct pci_dev *pdev = vdev->pdev;

	device_lock_assert(&pdev->dev);

	if (nr_virtfn)
		return vfio_pci_sriov_enable(vdev, nr_virtfn);

	if (pci_num_vf(pdev)) {
		pci_disable_sriov(pdev);
		pm_runtime_put(&pdev->dev);
	}
	vfio_pci_sriov_pf_del(vdev);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_sriov_configure);

/* ---------------------------------------------------------------- */
/* VGA                                                               */

#define VFIO_PCI_VGA_RSRC_ALL	(VGA_RSRC_NORMAL_IO | VGA_RSRC_NORMAL_MEM | \
				 VGA_RSRC_LEGACY_IO | VGA_RSRC_LEGACY_MEM)

/*
 * What we tell the VGA arbiter we decode. We know nothing about the
 * device, but when VGA access through vfio is off and no other VGA
 * device sits below the same bridge, the legacy ranges can be routed
 * away at the bridge: report them as not decoded.
 */
static unsigned int vfio_pci_vga_decode(struct pci_dev *pdev, bool single_vga)
{
	struct pci_dev *other = NULL;
	unsigned char last_bus;

	if (single_vga || !vfio_pci_params.disable_vga ||
	    pci_is_root_bus(pdev->bus))
		return VFIO_PCI_VGA_RSRC_ALL;

	last_bus = pci_bus_max_busnr(pdev->bus);
	while ((other = pci_get_class(PCI_CLASS_DISPLAY_VGA << 8, other))) {
		if (other == pdev || pci_is_root_bus(other->bus) ||
		    pci_domain_nr(other->bus) != pci_domain_nr(pdev->bus))
			continue;
		if (other->bus->number >= pdev->bus->number &&
		    other->bus->number <= last_bus) {
			pci_dev_put(other);
			return VFIO_PCI_VGA_RSRC_ALL;
		}
	}
	return VGA_RSRC_NORMAL_IO | VGA_RSRC_NORMAL_MEM;
}

/*
 * Registration step for VGA devices: evict a firmware framebuffer
 * driver, then tell the arbiter what we decode.
 */
static int vfio_pci_vga_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret = 0;

	if (vfio_pci_is_vga(pdev)) {
		ret = aperture_remove_conflicting_pci_devices(pdev,
							      vdev->vdev.ops->name);
		if (!ret)
			ret = vga_client_register(pdev, vfio_pci_vga_decode);
		if (!ret)
			vga_set_legacy_decoding(pdev,
						vfio_pci_vga_decode(pdev, false));
	}
	return ret;
}

static void vfio_pci_vga_uninit(struct vfio_pci_core_device *vdev)
{
	if (vfio_pci_is_vga(vdev->pdev)) {
		vga_client_unregister(vdev->pdev);
		vga_set_legacy_decoding(vdev->pdev, VFIO_PCI_VGA_RSRC_ALL);
	}
}

/* ---------------------------------------------------------------- */
/* Probe and remove                                                  */

int vfio_pci_core_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);
	struct list_head *lists[] = {
		&vdev->ioeventfds_list, &vdev->subpage_reservations,
		&vdev->pf_list_node,	/* empty: not on vfio_pci_sriov_pfs */
	};
	unsigned int i;

	vdev->pdev = to_pci_dev(core_vdev->dev);
	vdev->no_idle_d3 = vfio_pci_params.disable_idle_d3;
	/* No interrupts and no MSI-X table until open says otherwise. */
	vdev->irq_type = VFIO_PCI_NUM_IRQS;
	vdev->msix_bir = 0xff;
	xa_init(&vdev->msi_ctxs);
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		INIT_LIST_HEAD(lists[i]);

	/* One lockdep class per lock, so not in a loop. */
	mutex_init(&vdev->igate);
	spin_lock_init(&vdev->irqlock);
	init_rwsem(&vdev->memory_lock);
	mutex_init(&vdev->lowpower_lock);
	mutex_init(&vdev->ioeventfds_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_init_dev);

void vfio_pci_core_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);

	kfree(vdev->pm_saved);
	kfree(vdev->region);
	mutex_destroy(&vdev->ioeventfds_lock);
	mutex_destroy(&vdev->lowpower_lock);
	xa_destroy(&vdev->msi_ctxs);
	mutex_destroy(&vdev->igate);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_release_dev);

/*
 * What registration refuses: a device whose pm and error callbacks
 * could not find it (drvdata), a config layout we do not emulate
 * (bridges, CardBus), incomplete migration or dirty logging ops, and a
 * PF whose existing VFs may be in use and cannot be tracked (disabling
 * SR-IOV here could block on their unbind).
 */
static int vfio_pci_register_check(struct vfio_pci_core_device *vdev)
{
	const struct vfio_migration_ops *mig = vdev->vdev.mig_ops;
	const struct vfio_log_ops *log = vdev->vdev.log_ops;
	struct pci_dev *pdev = vdev->pdev;

	if (WARN_ON(vdev != dev_get_drvdata(&pdev->dev)) ||
	    pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;
	if (mig && (!mig->migration_get_state || !mig->migration_set_state ||
		    !mig->migration_get_data_size ||
		    !(vdev->vdev.migration_flags & VFIO_MIGRATION_STOP_COPY)))
		return -EINVAL;
	if (log && (!log->log_start || !log->log_stop ||
		    !log->log_read_and_clear))
		return -EINVAL;
	if (pci_num_vf(pdev)) {
		pci_warn(pdev, "cannot bind to PF with SR-IOV enabled\n");
		return -EBUSY;
	}
	return 0;
}

/*
 * Registration step: devices that can only be reset together share a
 * dev_set, a slot when the slot can be reset, otherwise the whole bus.
 * Root bus devices and VFs reset alone. The core drops it at release.
 */
static int vfio_pci_join_dev_set(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	void *key = pdev->bus;

	if (pci_is_root_bus(pdev->bus) || pdev->is_virtfn)
		key = vdev;
	else if (!pci_probe_reset_slot(pdev->slot))
		key = pdev->slot;
	return vfio_assign_device_set(&vdev->vdev, key);
}

/*
 * Registration step: learn whether D3hot loses the device's state
 * (NoSoftRst-), leave the PCI core's "unknown" power state (from which
 * only D0 is allowed) and hand the device to runtime PM, which may
 * suspend it while it is closed.
 */
static int vfio_pci_pm_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 pmcsr = PCI_PM_CTRL_NO_SOFT_RESET;

	if (pdev->pm_cap)
		pci_read_config_word(pdev, pdev->pm_cap + PCI_PM_CTRL, &pmcsr);
	vdev->pm_restore_needed = !(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET);
	vfio_pci_set_power_state(vdev, PCI_D0);

	pdev->dev.driver->pm = &vfio_pci_core_pm_ops;
	pm_runtime_allow(&pdev->dev);
	if (!vdev->no_idle_d3)
		pm_runtime_put(&pdev->dev);
	return 0;
}

static void vfio_pci_pm_uninit(struct vfio_pci_core_device *vdev)
{
	if (!vdev->no_idle_d3)
		pm_runtime_get_noresume(&vdev->pdev->dev);
	pm_runtime_forbid(&vdev->pdev->dev);
}

static int vfio_pci_publish(struct vfio_pci_core_device *vdev)
{
	return vfio_register_group_dev(&vdev->vdev);
}

/* Waits until no user holds the device. */
static void vfio_pci_unpublish(struct vfio_pci_core_device *vdev)
{
	vfio_unregister_group_dev(&vdev->vdev);
}

/*
 * Registration, step by step; unregistration and a failed step undo
 * the steps done so far in reverse order.
 */
static const struct {
	int (*setup)(struct vfio_pci_core_device *vdev);
	void (*undo)(struct vfio_pci_core_device *vdev);	/* may be NULL */
} vfio_pci_reg_steps[] = {
	{ vfio_pci_join_dev_set,	NULL },
	{ vfio_pci_vf_init,		vfio_pci_vf_uninit },
	{ vfio_pci_vga_init,		vfio_pci_vga_uninit },
	{ vfio_pci_pm_init,		vfio_pci_pm_uninit },
	{ vfio_pci_publish,		vfio_pci_unpublish },
};

static void vfio_pci_reg_undo(struct vfio_pci_core_device *vdev,
			      unsigned int done)
{
	while (done--)
		if (vfio_pci_reg_steps[done].undo)
			vfio_pci_reg_steps[done].undo(vdev);
}

/**
 * vfio_pci_core_register_device() - make the device visible to users
 * @vdev: allocated with vfio_alloc_device() and set as drvdata
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)
{
	unsigned int done;
	int ret = vfio_pci_register_check(vdev);

	for (done = 0; !ret && done < ARRAY_SIZE(vfio_pci_reg_steps); done++) {
		ret = vfio_pci_reg_steps[done].setup(vdev);
		if (ret)
			vfio_pci_reg_undo(vdev, done);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_register_device);

void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	/* VFs first: their removal needs the PF still registered. */
	vfio_pci_core_sriov_configure(vdev, 0);
	vfio_pci_reg_undo(vdev, ARRAY_SIZE(vfio_pci_reg_steps));
}
EXPORT_SYMBOL_GPL(vfio_pci_core_unregister_device);

/* AER: tell the user; it decides how to recover. */
pci_ers_result_t vfio_pci_core_aer_err_detected(struct pci_dev *pdev,
						pci_channel_state_t state)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_eventfd_signal(&vdev->err_trigger);
	return PCI_ERS_RESULT_CAN_RECOVER;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_aer_err_detected);

const struct pci_error_handlers vfio_pci_core_err_handlers = {
	.error_detected = vfio_pci_core_aer_err_detected,
};
EXPORT_SYMBOL_GPL(vfio_pci_core_err_handlers);

static int __init vfio_pci_core_init(void)
{
	return vfio_pci_cfg_tables_init();
}

static void __exit vfio_pci_core_exit(void)
{
	/* Eventfds freed by call_rcu() run our code: wait for them. */
	rcu_barrier();
	vfio_pci_cfg_tables_exit();
}

module_init(vfio_pci_core_init);
module_exit(vfio_pci_core_exit);

MODULE_LICENSE("GPL");
/* Above the in-tree modules, which carry none: dkms installs only newer. */
MODULE_VERSION("0.1");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("VFIO PCI core: PCI functions as VFIO devices");
