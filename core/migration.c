// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for drivers that implement migration: stepping through the
 * migration state machine one arc at a time, and shrinking a set of
 * IOVA ranges to what the device's dirty tracker can hold.
 */

#include <linux/interval_tree.h>

#include "vfio_core.h"

/* Short names for the step table. */
#define M_ERR	VFIO_DEVICE_STATE_ERROR
#define M_STOP	VFIO_DEVICE_STATE_STOP
#define M_RUN	VFIO_DEVICE_STATE_RUNNING
#define M_SCOPY	VFIO_DEVICE_STATE_STOP_COPY
#define M_RESUM	VFIO_DEVICE_STATE_RESUMING
#define M_RP2P	VFIO_DEVICE_STATE_RUNNING_P2P
#define M_PRE	VFIO_DEVICE_STATE_PRE_COPY
#define M_PP2P	VFIO_DEVICE_STATE_PRE_COPY_P2P

/*
 * vfio_mig_step[from][to] is the first state on the way from @from to
 * @to for a device with every optional state (P2P and PRE_COPY). Rows
 * and columns follow the uapi enum order:
 *	ERROR STOP RUNNING STOP_COPY RESUMING RUNNING_P2P PRE_COPY PRE_COPY_P2P
 * ERROR as a step means the transition does not exist: ERROR is never
 * left, and STOP_COPY cannot go back to a PRE_COPY state.
 *
 * The arcs a driver implements: STOP <-> RESUMING, STOP <-> STOP_COPY;
 * RUNNING <-> STOP without P2P, else RUNNING <-> RUNNING_P2P <-> STOP;
 * RUNNING <-> PRE_COPY with PRE_COPY; and with both optional features
 * RUNNING_P2P <-> PRE_COPY_P2P, PRE_COPY <-> PRE_COPY_P2P and
 * PRE_COPY_P2P -> STOP_COPY (without P2P: PRE_COPY -> STOP_COPY).
 * Steps into states the device lacks are skipped by looking up the
 * step from that state, which always lands on one of these arcs.
 */
static const u8 vfio_mig_step[VFIO_DEVICE_STATE_NR][VFIO_DEVICE_STATE_NR] = {
	/* from ERROR */
	{ M_ERR, M_ERR, M_ERR, M_ERR, M_ERR, M_ERR, M_ERR, M_ERR },
	/* from STOP */
	{ M_ERR, M_STOP, M_RP2P, M_SCOPY, M_RESUM, M_RP2P, M_RP2P, M_RP2P },
	/* from RUNNING */
	{ M_ERR, M_RP2P, M_RUN, M_RP2P, M_RP2P, M_RP2P, M_PRE, M_RP2P },
	/* from STOP_COPY */
	{ M_ERR, M_STOP, M_STOP, M_SCOPY, M_STOP, M_STOP, M_ERR, M_ERR },
	/* from RESUMING */
	{ M_ERR, M_STOP, M_STOP, M_STOP, M_RESUM, M_STOP, M_STOP, M_STOP },
	/* from RUNNING_P2P */
	{ M_ERR, M_STOP, M_RUN, M_STOP, M_STOP, M_RP2P, M_RUN, M_PP2P },
	/* from PRE_COPY */
	{ M_ERR, M_RUN, M_RUN, M_PP2P, M_RUN, M_RUN, M_PRE, M_PP2P },
	/* from PRE_COPY_P2P */
	{ M_ERR, M_RP2P, M_RP2P, M_SCOPY, M_RP2P, M_RP2P, M_PRE, M_PP2P },
};

/* The migration_flags a device needs to have state @state. */
static const u32 vfio_mig_state_needs[VFIO_DEVICE_STATE_NR] = {
	[VFIO_DEVICE_STATE_STOP]	 = VFIO_MIGRATION_STOP_COPY,
	[VFIO_DEVICE_STATE_RUNNING]	 = VFIO_MIGRATION_STOP_COPY,
	[VFIO_DEVICE_STATE_STOP_COPY]	 = VFIO_MIGRATION_STOP_COPY,
	[VFIO_DEVICE_STATE_RESUMING]	 = VFIO_MIGRATION_STOP_COPY,
	[VFIO_DEVICE_STATE_RUNNING_P2P]	 = VFIO_MIGRATION_STOP_COPY |
					   VFIO_MIGRATION_P2P,
	[VFIO_DEVICE_STATE_PRE_COPY]	 = VFIO_MIGRATION_STOP_COPY |
					   VFIO_MIGRATION_PRE_COPY,
	[VFIO_DEVICE_STATE_PRE_COPY_P2P] = VFIO_MIGRATION_STOP_COPY |
					   VFIO_MIGRATION_P2P |
					   VFIO_MIGRATION_PRE_COPY,
};

/* ERROR is never a state one asks for. */
static bool vfio_mig_state_usable(struct vfio_device *vdev, u32 state)
{
	u32 needs;

	if (state == VFIO_DEVICE_STATE_ERROR || state >= VFIO_DEVICE_STATE_NR)
		return false;
	needs = vfio_mig_state_needs[state];
	return (vdev->migration_flags & needs) == needs;
}

/**
 * vfio_mig_get_next_state - the next arc towards a migration state
 * @vdev: the device; its migration_flags say which states exist
 * @cur_fsm: the state the device is in
 * @new_fsm: the state userspace asked for
 * @next_fsm: receives the state to move to now
 *
 * Drivers call it repeatedly, doing one arc each time, until the device
 * reaches @new_fsm. Returns 0, or -EINVAL when @new_fsm cannot be
 * reached (then *@next_fsm is ERROR).
 */
int vfio_mig_get_next_state(struct vfio_device *vdev,
			    enum vfio_device_mig_state cur_fsm,
			    enum vfio_device_mig_state new_fsm,
			    enum vfio_device_mig_state *next_fsm)
{
	u32 step;

	/* The driver's own state must be valid. */
	if (WARN_ON(!vfio_mig_state_usable(vdev, cur_fsm)))
		return -EINVAL;
	if (!vfio_mig_state_usable(vdev, new_fsm))
		return -EINVAL;

	step = vfio_mig_step[cur_fsm][new_fsm];
	while (step != VFIO_DEVICE_STATE_ERROR &&
	       !vfio_mig_state_usable(vdev, step))
		step = vfio_mig_step[step][new_fsm];

	*next_fsm = step;
	return step == VFIO_DEVICE_STATE_ERROR ? -EINVAL : 0;
}
EXPORT_SYMBOL_GPL(vfio_mig_get_next_state);

/*
 * Fold @right into @left, the range before it: @left grows to end where
 * @right did, with the tree's annotations kept right, and @right is
 * unlinked (it belongs to the caller).
 */
static void vfio_range_fold(struct rb_root_cached *root,
			    struct interval_tree_node *left,
			    struct interval_tree_node *right)
{
	interval_tree_remove(right, root);
	interval_tree_remove(left, root);
	left->last = right->last;
	interval_tree_insert(left, root);
}

/* The range followed by the smallest gap; the first one on a tie. */
static struct interval_tree_node *
vfio_range_before_narrowest_gap(struct rb_root_cached *root)
{
	struct interval_tree_node *n, *next, *found = NULL;
	unsigned long narrowest = ULONG_MAX;

	for (n = interval_tree_iter_first(root, 0, ULONG_MAX); n; n = next) {
		next = interval_tree_iter_next(n, 0, ULONG_MAX);
		if (next && next->start - n->last < narrowest) {
			narrowest = next->start - n->last;
			found = n;
		}
	}
	return found;
}

/**
 * vfio_combine_iova_ranges - merge ranges until at most @req_nodes remain
 * @root: non-overlapping ranges
 * @cur_nodes: how many @root holds
 * @req_nodes: how many the device supports
 *
 * Repeatedly joins the two neighbours with the smallest gap between
 * them (the first such pair on a tie); with @req_nodes 1 everything
 * becomes one range at once. Merged-away nodes are only unlinked: they
 * belong to the caller.
 */
void vfio_combine_iova_ranges(struct rb_root_cached *root, u32 cur_nodes,
			      u32 req_nodes)
{
	struct interval_tree_node *left, *right;

	if (req_nodes == 1) {
		left = interval_tree_iter_first(root, 0, ULONG_MAX);
		if (WARN_ON_ONCE(!left))
			return;
		while ((right = interval_tree_iter_next(left, 0, ULONG_MAX)))
			vfio_range_fold(root, left, right);
		return;
	}

	while (cur_nodes-- > req_nodes) {
		left = vfio_range_before_narrowest_gap(root);
		if (WARN_ON_ONCE(!left))
			return;
		vfio_range_fold(root, left,
				interval_tree_iter_next(left, 0, ULONG_MAX));
	}
}
EXPORT_SYMBOL_GPL(vfio_combine_iova_ranges);
