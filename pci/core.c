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
static bool vfio_pci_nointxmask;
static bool vfio_pci_disable_vga;
static bool vfio_pci_disable_idle_d3;

/*
 * PFs on which our sriov_configure enabled VFs: a VF probing later
 * finds its vfio PF here. Protected by vfio_pci_sriov_pfs_lock.
 */
static DEFINE_MUTEX(vfio_pci_sriov_pfs_lock);
static LIST_HEAD(vfio_pci_sriov_pfs);

void vfio_pci_core_set_params(bool nointxmask, bool is_disable_vga,
			      bool is_disable_idle_d3)
{
	vfio_pci_nointxmask = nointxmask;
	vfio_pci_disable_vga = is_disable_vga;
	vfio_pci_disable_idle_d3 = is_disable_idle_d3;
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

/*
 * Install @ctx (NULL to clear) in @slot; on success the slot owns the
 * reference. Readers run under RCU, so the old one is freed after a
 * grace period.
 */
int vfio_pci_eventfd_replace_locked(struct vfio_pci_core_device *vdev,
				    struct vfio_pci_eventfd __rcu **slot,
				    struct eventfd_ctx *ctx)
{
	struct vfio_pci_eventfd *new = NULL, *old;

	lockdep_assert_held(&vdev->igate);

	if (ctx) {
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return -ENOMEM;
		new->ctx = ctx;
	}

	old = rcu_replace_pointer(*slot, new, lockdep_is_held(&vdev->igate));
	if (old)
		call_rcu(&old->rcu, vfio_pci_eventfd_free_rcu);
	return 0;
}

void vfio_pci_eventfd_signal(struct vfio_pci_eventfd __rcu **slot)
{
	struct vfio_pci_eventfd *e;

	rcu_read_lock();
	e = rcu_dereference(*slot);
	if (e)
		vfio_eventfd_signal(e->ctx);
	rcu_read_unlock();
}

/* ---------------------------------------------------------------- */
/* Power                                                             */

/* Devices that lose their state going to D3hot need it restored. */
static void vfio_pci_probe_power_state(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 pmcsr;

	if (!pdev->pm_cap)
		return;
	pci_read_config_word(pdev, pdev->pm_cap + PCI_PM_CTRL, &pmcsr);
	vdev->pm_restore_needed = !(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET);
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
	vfio_pci_zap_and_down_write_memory_lock(vdev);
	if (vdev->lowpower_active) {
		up_write(&vdev->memory_lock);
		return -EINVAL;
	}
	vdev->lowpower_active = true;
	vdev->lowpower_wake = wake;
	pm_runtime_put_noidle(&vdev->pdev->dev);
	up_write(&vdev->memory_lock);
	return 0;
}

static void runtime_pm_leave_locked(struct vfio_pci_core_device *vdev)
{
	lockdep_assert_held_write(&vdev->memory_lock);

	if (!vdev->lowpower_active)
		return;
	vdev->lowpower_active = false;
	pm_runtime_get_noresume(&vdev->pdev->dev);
	if (vdev->lowpower_wake) {
		eventfd_ctx_put(vdev->lowpower_wake);
		vdev->lowpower_wake = NULL;
	}
}

void vfio_pci_runtime_pm_leave(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	runtime_pm_leave_locked(vdev);
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

	/* A wakeup the user asked to hear about ends low power. */
	down_write(&vdev->memory_lock);
	if (vdev->lowpower_wake) {
		vfio_eventfd_signal(vdev->lowpower_wake);
		runtime_pm_leave_locked(vdev);
	}
	up_write(&vdev->memory_lock);

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
	u16 cmd;
	int ret;

	if (!vdev->no_idle_d3) {
		ret = pm_runtime_resume_and_get(&pdev->dev);
		if (ret < 0)
			return ret;
	}

	/* The state we save must not include bus mastering. */
	pci_clear_master(pdev);

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_power;

	/* -EAGAIN: someone holds the device lock; do not open half-reset. */
	ret = pci_try_reset_function(pdev);
	if (ret == -EAGAIN)
		goto err_disable;
	vdev->reset_works = !ret;

	pci_save_state(pdev);
	vdev->open_state = pci_store_saved_state(pdev);
	if (!vdev->open_state)
		pci_dbg(pdev, "cannot keep the open-time state\n");

	vdev->intx_hidden = false;
	vdev->intx_maskable = false;
	if (!vfio_pci_nointxmask) {
		if (vfio_pci_intx_broken(pdev)) {
			pci_info(pdev, "hiding broken INTx\n");
			vdev->intx_hidden = true;
			pci_intx(pdev, 0);
		} else {
			vdev->intx_maskable = pci_intx_mask_supported(pdev);
		}
	}

	/* INTx starts unmasked for a PCI 2.3 device. */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (vdev->intx_maskable && (cmd & PCI_COMMAND_INTX_DISABLE))
		pci_write_config_word(pdev, PCI_COMMAND,
				      cmd & ~PCI_COMMAND_INTX_DISABLE);

	ret = vfio_config_init(vdev);
	if (ret)
		goto err_free_state;

	vfio_pci_probe_msix(vdev);
	vdev->vga_enabled = !vfio_pci_disable_vga && vfio_pci_is_vga(pdev);
	return 0;

err_free_state:
	kfree(vdev->open_state);
	vdev->open_state = NULL;
err_disable:
	pci_disable_device(pdev);
err_power:
	if (!vdev->no_idle_d3)
		pm_runtime_put(&pdev->dev);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_enable);

/**
 * vfio_pci_core_finish_enable() - last part of open_device
 * @vdev: the device
 */
void vfio_pci_core_finish_enable(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_vf_token *token;

	vfio_pci_probe_mmaps(vdev);

	/* An open VF makes its PF demand the token from new users. */
	if (vdev->pf_core) {
		token = vdev->pf_core->vf_token;
		mutex_lock(&token->lock);
		token->users++;
		mutex_unlock(&token->lock);
	}
}
EXPORT_SYMBOL_GPL(vfio_pci_core_finish_enable);

static void vfio_pci_dev_set_try_reset(struct vfio_device_set *dev_set);

/* Reset the function, if we can take the locks a reset needs. */
static void vfio_pci_close_reset(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct pci_dev *bridge = pci_upstream_bridge(pdev);

	/*
	 * pci_try_reset_function() would save and restore the state,
	 * overwriting the open-time state loaded above; lock by hand.
	 */
	if (bridge && !pci_dev_trylock(bridge))
		return;
	if (pci_dev_trylock(pdev)) {
		if (!__pci_reset_function_locked(pdev))
			vdev->needs_reset = false;
		pci_dev_unlock(pdev);
	}
	if (bridge)
		pci_dev_unlock(bridge);
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
	bool restore = true;
	int i;

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

	/* No more DMA. */
	pci_clear_master(pdev);

	vfio_pci_irqs_teardown(vdev);
	vfio_pci_ioeventfds_release(vdev);
	vdev->intx_user_disabled = false;

	for (i = 0; i < vdev->num_regions; i++)
		vdev->region[i].ops->release(vdev, &vdev->region[i]);
	vdev->num_regions = 0;
	kfree(vdev->region);
	vdev->region = NULL;

	vfio_config_free(vdev);

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!vdev->barmap[i])
			continue;
		pci_iounmap(pdev, vdev->barmap[i]);
		pci_release_selected_regions(pdev, 1 << i);
		vdev->barmap[i] = NULL;
	}
	vfio_pci_release_subpage_reservations(vdev);

	vdev->needs_reset = true;

	/*
	 * Reset, then restore the open-time state. Without that state a
	 * reset still beats nothing; without a reset, restoring the
	 * current state would be busy work.
	 */
	if (pci_load_and_free_saved_state(pdev, &vdev->open_state)) {
		pci_info(pdev, "open-time state lost\n");
		restore = vdev->reset_works;
		if (restore)
			pci_save_state(pdev);
	}

	if (restore) {
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

	if (!vdev->no_idle_d3)
		pm_runtime_put(&pdev->dev);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_disable);

void vfio_pci_core_close_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);
	struct vfio_pci_vf_token *token;

	if (vdev->pf_core) {
		token = vdev->pf_core->vf_token;
		mutex_lock(&token->lock);
		if (token->users)
			token->users--;
		mutex_unlock(&token->lock);
	}

	vfio_pci_core_disable(vdev);

	mutex_lock(&vdev->igate);
	vfio_pci_eventfd_replace_locked(vdev, &vdev->err_trigger, NULL);
	vfio_pci_eventfd_replace_locked(vdev, &vdev->req_trigger, NULL);
	mutex_unlock(&vdev->igate);
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

/* Wake every member for the reset; all or none keep a reference. */
static int dev_set_pm_get(struct vfio_device_set *dev_set)
{
	struct vfio_pci_core_device *cur;
	int ret;

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		ret = pm_runtime_resume_and_get(&cur->pdev->dev);
		if (ret)
			goto err_put;
	}
	return 0;

err_put:
	list_for_each_entry_continue_reverse(cur, &dev_set->device_list,
					     vdev.dev_set_list)
		pm_runtime_put(&cur->pdev->dev);
	return ret;
}

static void dev_set_pm_put(struct vfio_device_set *dev_set)
{
	struct vfio_pci_core_device *cur;

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list)
		pm_runtime_put(&cur->pdev->dev);
}

static bool vdev_in_files(struct vfio_pci_core_device *vdev,
			  struct file **files, unsigned int nfiles)
{
	unsigned int i;

	for (i = 0; i < nfiles; i++)
		if (vfio_file_has_dev(files[i], &vdev->vdev))
			return true;
	return false;
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET: every member of the dev_set must belong to
 * one of the group @files the user passed, proving it owns them all.
 * With no files (the cdev path) ownership cannot be proven yet.
 */
int vfio_pci_dev_set_hot_reset(struct vfio_pci_core_device *vdev,
			       struct file **files, unsigned int nfiles)
{
	struct vfio_device_set *dev_set = vdev->vdev.dev_set;
	struct vfio_pci_core_device *cur;
	unsigned int locked = 0, i;
	struct pci_dev *pdev;
	int ret = 0;

	mutex_lock(&dev_set->lock);

	pdev = dev_set_reset_target(dev_set);
	if (!pdev) {
		ret = -EINVAL;
		goto out_unlock;
	}

	/* Some members may be runtime suspended. */
	ret = dev_set_pm_get(dev_set);
	if (ret)
		goto out_unlock;

	/*
	 * Stop BAR access on every member. Taking several memory_locks
	 * could deadlock, so only try, and back off on contention.
	 */
	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (!files || !vdev_in_files(cur, files, nfiles)) {
			ret = -EINVAL;
			break;
		}
		if (!down_write_trylock(&cur->memory_lock)) {
			ret = -EBUSY;
			break;
		}
		locked++;
		vfio_pci_zap_bars(cur);
	}

	if (!ret) {
		/* A bus reset wakes functions in D3 without us: be in D0. */
		list_for_each_entry(cur, &dev_set->device_list,
				    vdev.dev_set_list)
			vfio_pci_set_power_state(cur, PCI_D0);
		ret = pci_reset_bus(pdev);
	}

	i = 0;
	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list) {
		if (i++ == locked)
			break;
		up_write(&cur->memory_lock);
	}

	dev_set_pm_put(dev_set);
out_unlock:
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
	bool dirty = false;
	struct pci_dev *pdev;
	int ret;

	/* The device being closed still counts as open. */
	if (vfio_device_set_open_count(dev_set) > 1)
		return;

	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list)
		dirty |= cur->needs_reset;
	if (!dirty)
		return;

	pdev = dev_set_reset_target(dev_set);
	if (!pdev)
		return;
	if (dev_set_pm_get(dev_set))
		return;

	ret = pci_reset_bus(pdev);
	list_for_each_entry(cur, &dev_set->device_list, vdev.dev_set_list)
		if (!ret)
			cur->needs_reset = false;

	dev_set_pm_put(dev_set);
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
	struct vfio_pci_region *regions, *r;

	regions = krealloc_array(vdev->region, vdev->num_regions + 1,
				 sizeof(*regions), GFP_KERNEL_ACCOUNT);
	if (!regions)
		return -ENOMEM;
	vdev->region = regions;

	r = &regions[vdev->num_regions];
	*r = (struct vfio_pci_region) {
		.type = type, .subtype = subtype, .ops = ops,
		.data = data, .size = size, .flags = flags,
	};
	vdev->num_regions++;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_register_dev_region);

/* The core wants the device back (unbind): ask the user to let go. */
void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_eventfd *e;

	rcu_read_lock();
	e = rcu_dereference(vdev->req_trigger);
	if (e) {
		if (!(count % 10))
			pci_notice_ratelimited(pdev,
					       "asking the user to release the device (#%u)\n",
					       count);
		vfio_eventfd_signal(e->ctx);
	} else if (!count) {
		pci_warn(pdev,
			 "no request channel: waiting for the user to release the device\n");
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(vfio_pci_core_request);

/*
 * A PF and its VFs trust each other to some degree (the PF can reset
 * them all, and often sees their data), so when both are vfio devices
 * their users must share a secret: the VF token, a UUID the PF's user
 * sets and a VF's user must present when opening the VF.
 *
 * @token is NULL when the user gave none.
 */
static int vfio_pci_check_vf_token(struct vfio_pci_core_device *vdev,
				   const uuid_t *token)
{
	struct vfio_pci_core_device *pf = vdev->pf_core;
	struct vfio_pci_vf_token *t;
	int ret = 0;

	if (vdev->pdev->is_virtfn) {
		if (!pf) {
			if (!token)
				return 0;	/* PF not ours: no token */
			pci_info_ratelimited(vdev->pdev,
					     "VF token given but the PF is not bound to vfio-pci\n");
			return -EINVAL;
		}
		if (!token) {
			pci_info_ratelimited(vdev->pdev,
					     "VF token required to access device\n");
			return -EACCES;
		}
		t = pf->vf_token;
		mutex_lock(&t->lock);
		if (!uuid_equal(token, &t->uuid))
			ret = -EACCES;
		mutex_unlock(&t->lock);
		if (ret)
			pci_info_ratelimited(vdev->pdev,
					     "incorrect VF token provided for device\n");
		return ret;
	}

	t = vdev->vf_token;
	if (!t) {
		if (!token)
			return 0;
		pci_info_ratelimited(vdev->pdev,
				     "VF token given for a device that is neither PF nor VF\n");
		return -EINVAL;
	}

	/*
	 * A PF with VFs in use demands the current token; otherwise a
	 * token given here becomes the new one.
	 */
	mutex_lock(&t->lock);
	if (t->users) {
		if (!token || !uuid_equal(token, &t->uuid))
			ret = -EACCES;
	} else if (token) {
		uuid_copy(&t->uuid, token);
	}
	mutex_unlock(&t->lock);
	if (ret)
		pci_info_ratelimited(vdev->pdev, "%s VF token for device\n",
				     token ? "incorrect" : "missing");
	return ret;
}

#define VF_TOKEN_OPT	"vf_token="

/*
 * Does @buf name this device? "<pci name>" optionally followed by
 * space-separated options; the only option is vf_token=<uuid>.
 */
int vfio_pci_core_match(struct vfio_device *core_vdev, char *buf)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);
	const char *name = pci_name(vdev->pdev);
	size_t name_len = strlen(name);
	bool have_token = false;
	uuid_t token;
	int ret;

	if (strncmp(buf, name, name_len))
		return 0;
	buf += name_len;
	/* "0000:00:01.1" must not match "0000:00:01.10". */
	if (*buf && *buf != ' ')
		return 0;

	while (*buf) {
		if (*buf == ' ') {
			buf++;
			continue;
		}
		if (have_token || strncmp(buf, VF_TOKEN_OPT,
					  strlen(VF_TOKEN_OPT)))
			return -EINVAL;	/* unknown or repeated option */
		buf += strlen(VF_TOKEN_OPT);
		if (strlen(buf) < UUID_STRING_LEN)
			return -EINVAL;
		ret = uuid_parse(buf, &token);
		if (ret)
			return ret;
		have_token = true;
		buf += UUID_STRING_LEN;
	}

	ret = vfio_pci_check_vf_token(vdev, have_token ? &token : NULL);
	return ret ? ret : 1;
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
	struct vfio_pci_core_device *vdev =
		container_of(nb, struct vfio_pci_core_device, bus_nb);
	struct pci_dev *pdev = to_pci_dev(data);
	struct pci_driver *drv;

	if (!pdev->is_virtfn || pci_physfn(pdev) != vdev->pdev)
		return 0;

	if (action == BUS_NOTIFY_ADD_DEVICE) {
		pci_info(vdev->pdev, "setting driver_override of VF %s\n",
			 pci_name(pdev));
		if (device_set_driver_override(&pdev->dev,
					       vdev->vdev.ops->name))
			pci_warn(vdev->pdev,
				 "cannot set driver_override of VF %s\n",
				 pci_name(pdev));
	} else if (action == BUS_NOTIFY_BOUND_DRIVER) {
		drv = pci_dev_driver(pdev);
		if (drv && drv != pci_dev_driver(vdev->pdev))
			pci_warn(vdev->pdev,
				 "VF %s bound to driver %s while PF bound to driver %s\n",
				 pci_name(pdev), drv->name,
				 pci_dev_driver(vdev->pdev)->name);
	}
	return 0;
}

static int vfio_pci_vf_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_core_device *cur;
	int ret;

	if (pdev->is_virtfn) {
		/*
		 * Our PF stays ours until its VFs are gone: the VF's
		 * removal is part of pci_disable_sriov().
		 */
		mutex_lock(&vfio_pci_sriov_pfs_lock);
		list_for_each_entry(cur, &vfio_pci_sriov_pfs, pf_list_node) {
			if (cur->pdev == pci_physfn(pdev)) {
				vdev->pf_core = cur;
				break;
			}
		}
		mutex_unlock(&vfio_pci_sriov_pfs_lock);
		return 0;
	}

	if (!pdev->is_physfn)
		return 0;

	vdev->vf_token = kzalloc(sizeof(*vdev->vf_token), GFP_KERNEL);
	if (!vdev->vf_token)
		return -ENOMEM;
	mutex_init(&vdev->vf_token->lock);
	uuid_gen(&vdev->vf_token->uuid);

	vdev->bus_nb.notifier_call = vfio_pci_bus_notify;
	ret = bus_register_notifier(&pci_bus_type, &vdev->bus_nb);
	if (ret)
		goto err_free_token;
	return 0;

err_free_token:
	mutex_destroy(&vdev->vf_token->lock);
	kfree(vdev->vf_token);
	vdev->vf_token = NULL;
	return ret;
}

static void vfio_pci_vf_uninit(struct vfio_pci_core_device *vdev)
{
	if (!vdev->vf_token)
		return;

	bus_unregister_notifier(&pci_bus_type, &vdev->bus_nb);
	WARN_ON(vdev->vf_token->users);
	mutex_destroy(&vdev->vf_token->lock);
	kfree(vdev->vf_token);
	vdev->vf_token = NULL;
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
	int ret = 0;

	device_lock_assert(&pdev->dev);

	if (nr_virtfn) {
		/*
		 * Joining the list is the right to enable SR-IOV, once,
		 * until it is disabled again.
		 */
		mutex_lock(&vfio_pci_sriov_pfs_lock);
		if (!list_empty(&vdev->pf_list_node)) {
			mutex_unlock(&vfio_pci_sriov_pfs_lock);
			return -EINVAL;
		}
		list_add_tail(&vdev->pf_list_node, &vfio_pci_sriov_pfs);
		mutex_unlock(&vfio_pci_sriov_pfs_lock);

		/*
		 * The PF must be in D0 while VFs exist; it may be runtime
		 * suspended or put in D3hot by its user, and a config
		 * write can race with us, hence memory_lock.
		 */
		ret = pm_runtime_resume_and_get(&pdev->dev);
		if (ret)
			goto out_del;

		down_write(&vdev->memory_lock);
		vfio_pci_set_power_state(vdev, PCI_D0);
		vdev->sriov_enabled = true;
		up_write(&vdev->memory_lock);

		ret = pci_enable_sriov(pdev, nr_virtfn);
		if (ret) {
			pm_runtime_put(&pdev->dev);
			goto out_del;
		}
		return nr_virtfn;
	}

	if (pci_num_vf(pdev)) {
		pci_disable_sriov(pdev);
		pm_runtime_put(&pdev->dev);
	}

out_del:
	/*
	 * Without memory_lock: racing a power change costs at most an
	 * -EBUSY that leaves the device in D0.
	 */
	vdev->sriov_enabled = false;
	mutex_lock(&vfio_pci_sriov_pfs_lock);
	list_del_init(&vdev->pf_list_node);
	mutex_unlock(&vfio_pci_sriov_pfs_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_sriov_configure);

/* ---------------------------------------------------------------- */
/* VGA                                                               */

/*
 * What we tell the VGA arbiter we decode. We know nothing about the
 * device, but when VGA access through vfio is off and no other VGA
 * device sits below the same bridge, the legacy ranges can be routed
 * away at the bridge: report them as not decoded.
 */
static unsigned int vfio_pci_vga_decode(struct pci_dev *pdev, bool single_vga)
{
	unsigned int all = VGA_RSRC_NORMAL_IO | VGA_RSRC_NORMAL_MEM |
			   VGA_RSRC_LEGACY_IO | VGA_RSRC_LEGACY_MEM;
	struct pci_dev *other = NULL;
	unsigned char last_bus;

	if (single_vga || !vfio_pci_disable_vga || pci_is_root_bus(pdev->bus))
		return all;

	last_bus = pci_bus_max_busnr(pdev->bus);
	while ((other = pci_get_class(PCI_CLASS_DISPLAY_VGA << 8, other))) {
		if (other == pdev || pci_is_root_bus(other->bus) ||
		    pci_domain_nr(other->bus) != pci_domain_nr(pdev->bus))
			continue;
		if (other->bus->number >= pdev->bus->number &&
		    other->bus->number <= last_bus) {
			pci_dev_put(other);
			return all;
		}
	}
	return VGA_RSRC_NORMAL_IO | VGA_RSRC_NORMAL_MEM;
}

static int vfio_pci_vga_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	if (!vfio_pci_is_vga(pdev))
		return 0;

	/* A firmware framebuffer driver must not keep using the device. */
	ret = aperture_remove_conflicting_pci_devices(pdev,
						      vdev->vdev.ops->name);
	if (ret)
		return ret;

	ret = vga_client_register(pdev, vfio_pci_vga_decode);
	if (ret)
		return ret;
	vga_set_legacy_decoding(pdev, vfio_pci_vga_decode(pdev, false));
	return 0;
}

static void vfio_pci_vga_uninit(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (!vfio_pci_is_vga(pdev))
		return;
	vga_client_unregister(pdev);
	vga_set_legacy_decoding(pdev, VGA_RSRC_NORMAL_IO | VGA_RSRC_NORMAL_MEM |
				      VGA_RSRC_LEGACY_IO | VGA_RSRC_LEGACY_MEM);
}

/* ---------------------------------------------------------------- */
/* Probe and remove                                                  */

int vfio_pci_core_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);

	vdev->pdev = to_pci_dev(core_vdev->dev);
	vdev->irq_type = VFIO_PCI_NUM_IRQS;
	vdev->msix_bir = 0xff;
	init_rwsem(&vdev->memory_lock);
	mutex_init(&vdev->igate);
	spin_lock_init(&vdev->irqlock);
	xa_init(&vdev->msi_ctxs);
	mutex_init(&vdev->ioeventfds_lock);
	INIT_LIST_HEAD(&vdev->ioeventfds_list);
	INIT_LIST_HEAD(&vdev->subpage_reservations);
	INIT_LIST_HEAD(&vdev->pf_list_node);
	vdev->no_idle_d3 = vfio_pci_disable_idle_d3;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_init_dev);

void vfio_pci_core_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = vfio_pci_core(core_vdev);

	xa_destroy(&vdev->msi_ctxs);
	mutex_destroy(&vdev->ioeventfds_lock);
	mutex_destroy(&vdev->igate);
	kfree(vdev->region);
	kfree(vdev->pm_saved);
}
EXPORT_SYMBOL_GPL(vfio_pci_core_release_dev);

static int vfio_pci_check_ops(struct vfio_pci_core_device *vdev)
{
	const struct vfio_migration_ops *mig = vdev->vdev.mig_ops;
	const struct vfio_log_ops *log = vdev->vdev.log_ops;

	if (mig && (!mig->migration_get_state || !mig->migration_set_state ||
		    !mig->migration_get_data_size ||
		    !(vdev->vdev.migration_flags & VFIO_MIGRATION_STOP_COPY)))
		return -EINVAL;
	if (log && (!log->log_start || !log->log_stop ||
		    !log->log_read_and_clear))
		return -EINVAL;
	return 0;
}

/*
 * Devices that can only be reset together share a dev_set: a slot
 * when the slot can be reset, otherwise the whole bus. Root bus devices
 * and VFs reset alone.
 */
static int vfio_pci_assign_dev_set(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (pci_is_root_bus(pdev->bus) || pdev->is_virtfn)
		return vfio_assign_device_set(&vdev->vdev, vdev);
	if (!pci_probe_reset_slot(pdev->slot))
		return vfio_assign_device_set(&vdev->vdev, pdev->slot);
	return vfio_assign_device_set(&vdev->vdev, pdev->bus);
}

/**
 * vfio_pci_core_register_device() - make the device visible to users
 * @vdev: allocated with vfio_alloc_device() and set as drvdata
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_core_register_device(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct device *dev = &pdev->dev;
	int ret;

	/* The pm and error callbacks find us through drvdata. */
	if (WARN_ON(vdev != dev_get_drvdata(dev)))
		return -EINVAL;

	/* Bridges and CardBus have a config layout we do not emulate. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;

	ret = vfio_pci_check_ops(vdev);
	if (ret)
		return ret;

	/*
	 * VFs that already exist may be in use and cannot be tracked;
	 * disabling SR-IOV here could block on their unbind. Refuse.
	 */
	if (pci_num_vf(pdev)) {
		pci_warn(pdev, "cannot bind to PF with SR-IOV enabled\n");
		return -EBUSY;
	}

	ret = vfio_pci_assign_dev_set(vdev);
	if (ret)
		return ret;

	ret = vfio_pci_vf_init(vdev);
	if (ret)
		return ret;
	ret = vfio_pci_vga_init(vdev);
	if (ret)
		goto err_vf;

	vfio_pci_probe_power_state(vdev);

	/*
	 * After boot or another driver the PCI core's idea of the power
	 * state is "unknown", from which only D0 is allowed: go there
	 * before runtime PM may take us to D3.
	 */
	vfio_pci_set_power_state(vdev, PCI_D0);

	dev->driver->pm = &vfio_pci_core_pm_ops;
	pm_runtime_allow(dev);
	if (!vdev->no_idle_d3)
		pm_runtime_put(dev);

	ret = vfio_register_group_dev(&vdev->vdev);
	if (ret)
		goto err_power;
	return 0;

err_power:
	if (!vdev->no_idle_d3)
		pm_runtime_get_noresume(dev);
	pm_runtime_forbid(dev);
	vfio_pci_vga_uninit(vdev);
err_vf:
	vfio_pci_vf_uninit(vdev);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_register_device);

void vfio_pci_core_unregister_device(struct vfio_pci_core_device *vdev)
{
	struct device *dev = &vdev->pdev->dev;

	vfio_pci_core_sriov_configure(vdev, 0);

	/* Waits until no user holds the device. */
	vfio_unregister_group_dev(&vdev->vdev);

	vfio_pci_vf_uninit(vdev);
	vfio_pci_vga_uninit(vdev);
	if (!vdev->no_idle_d3)
		pm_runtime_get_noresume(dev);
	pm_runtime_forbid(dev);
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
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("VFIO PCI core: PCI functions as VFIO devices");
