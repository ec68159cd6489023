#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The installed module set as a client sees it (TAP):
#  - setup replaced the in-tree stack: nothing from kernel/drivers/vfio is
#    loaded;
#  - from nothing loaded, `modprobe vfio-pci` alone brings every module a
#    client needs (vfio, vfio_group, vfio_iommu_type1, vfio_pci_core,
#    vfio_pci; for ours also iommufd, which vfio links against as
#    upstream's does, and vfio_cdev, the device cdev frontend), all from
#    updates/, and /dev/vfio/vfio (char 10:196); binding an edu gives
#    /dev/vfio/N and, for ours, /dev/vfio/devices/vfioX (the char device
#    of its vfio-dev class device, region "vfio-dev");
#  - rmmod is refused ("in use", module stays, no crash) while a container,
#    group or device fd is open, vfio_cdev while a cdev fd is open,
#    iommufd while vfio is loaded; with only a group fd open vfio_pci may
#    go (upstream: the device leaves, the group fd stays valid); with
#    vfio_cdev unloaded, opening the cdev loads it; unbinding the edu
#    waits while a cdev fd (not bound) is open elsewhere;
#  - with nothing open, rmmod of the set in reverse dependency order
#    works, the /dev/vfio nodes (devices/ included) go away;
#  - `modprobe -r`: `-r vfio-pci` removes vfio_pci and vfio_pci_core;
#    `-r vfio-pci vfio_iommu_type1` leaves at most vfio and iommufd
#    (upstream: nothing, or iommufd on a kernel with IOMMUFD; a TODO
#    records it); `-r vfio_pci vfio_iommu_type1 vfio` leaves
#    nothing; reloading type1 with a parameter keeps a bound device usable;
#  - iommufd (where one exists): /dev/iommu, rmmod refused while open.
# With VFIO_STACK=intree the same checks run against upstream's modules.

# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

edu=$VFIO_EDU0

# ---- 1. what setup left: our stack, nothing from kernel/drivers/vfio -----

if [ "$T_ORIGIN" = updates ]; then
	bad=
	for m in $(t_vfio_loaded); do
		f=$(t_intree_file "$m")
		if [ -n "$f" ] && t_loaded_from "$m" "$f" > /dev/null; then
			bad="$bad $m"
		elif ! t_file_is "$m" updates > /dev/null; then
			bad="$bad $m"
		fi
	done
	t_check "after setup no module from kernel/drivers/vfio is loaded${bad:+ (bad:$bad)}" \
		test -z "$bad"
else
	t_skip "after setup no module from kernel/drivers/vfio is loaded" \
		"stack is intree"
fi

# ---- 2. from nothing, modprobe vfio-pci alone -----------------------------

vfio_stack_unload > /dev/null
t_check "vfio_stack_unload leaves no VFIO module" test -z "$(t_vfio_loaded)"
t_check "no /dev/vfio/vfio with nothing loaded" test ! -e /dev/vfio/vfio

t_check "modprobe vfio-pci" modprobe vfio-pci
t_diag "loaded: $(t_vfio_loaded)"
t_check "/dev/vfio/vfio is char 10:196" \
	test "$(stat -c '%F %t:%T' /dev/vfio/vfio 2>/dev/null)" = \
	"character special file a:c4"
for m in $T_MODS; do
	t_check "$m loaded by modprobe vfio-pci" t_loaded "$m"
done
for m in $T_MODS; do
	t_check "modinfo -n $m is in $T_ORIGIN/ and is the loaded one" \
		eval "t_file_is $m $T_ORIGIN && t_loaded_from $m \"\$(modinfo -n $m)\""
done

grp=$(vfio_bind "$edu")
t_check "binding edu $edu gives /dev/vfio/$grp" test -n "$grp" -a -c "/dev/vfio/$grp"
t_need_hold || t_diag "cannot build vfio_hold"
t_check "a client can open the edu's device fd" t_devfd "$edu"

# The device cdev (upstream: CONFIG_VFIO_DEVICE_CDEV, which Debian's
# kernel lacks: the stock in-tree stack has none).
vdev=
for p in "/sys/bus/pci/devices/$edu/vfio-dev/"vfio*; do
	[ -r "$p/dev" ] && vdev=${p##*/}
done
cdev_major=$(awk '$2 == "vfio-dev" { print $1 }' /proc/devices)
if [ -n "$vdev" ] || [ "$T_ORIGIN" = updates ]; then
	t_check "edu's vfio-dev/$vdev has a dev_t in region vfio-dev ($cdev_major)" \
		eval 'test -n "$vdev" && test -n "$cdev_major" &&
		      test "$(cut -d: -f1 "/sys/bus/pci/devices/$edu/vfio-dev/$vdev/dev")" = "$cdev_major"'
	t_check "/dev/vfio/devices/$vdev is that char device" t_vfio_nodes_ok
else
	t_skip "the edu's device cdev" "the $VFIO_STACK stack has no device cdev"
fi

# ---- 3. rmmod refused while a file is open --------------------------------

exec 3<> /dev/vfio/vfio
t_check "rmmod $T_CONTAINER_MOD refused while /dev/vfio/vfio is open" \
	t_rmmod_refused "$T_CONTAINER_MOD"
t_check "rmmod vfio refused while /dev/vfio/vfio is open" t_rmmod_refused vfio
exec 3>&-

exec 4<> "/dev/vfio/$grp"
t_check "rmmod $T_GROUP_MOD refused while /dev/vfio/$grp is open" \
	t_rmmod_refused "$T_GROUP_MOD"
exec 4>&-

if t_hold_start device "$edu"; then
	t_ok "holding container + group + device fd of $edu"
	for m in vfio_pci vfio_pci_core vfio_iommu_type1 vfio; do
		t_check "rmmod $m refused while the device fd is open" \
			t_rmmod_refused "$m"
	done
	t_check "the holder kept its files and closed them cleanly" t_hold_stop
else
	t_nok "holding container + group + device fd of $edu"
fi

if [ "$T_ORIGIN" = updates ]; then
	t_check "rmmod iommufd refused while vfio (linked against it) is loaded" \
		t_rmmod_refused iommufd
	exec 6<> "/dev/vfio/devices/$vdev"
	t_check "rmmod vfio_cdev refused while /dev/vfio/devices/$vdev is open" \
		t_rmmod_refused vfio_cdev
	exec 6>&-
	t_check "rmmod vfio_cdev with no cdev fd open" rmmod vfio_cdev
	# The core loads the frontend when a node is opened without it.
	t_check "opening /dev/vfio/devices/$vdev loads vfio_cdev again" \
		eval 'exec 6<> "/dev/vfio/devices/$vdev" && exec 6>&- && t_loaded vfio_cdev'
fi

# An open cdev fd, even one never bound, holds the device as any device
# fd does: unbinding waits for its close (another process holds it).
if [ -n "$vdev" ]; then
	(exec 6<> "/dev/vfio/devices/$vdev" && exec sleep 60) &
	cdev_holder=$!
	sleep 1
	t_bg_write cdev_unbind "$edu" "/sys/bus/pci/devices/$edu/driver/unbind"
	sleep 2
	t_check "unbinding the edu waits while its cdev fd is open" \
		t_bg_alive cdev_unbind
	kill "$cdev_holder"
	wait "$cdev_holder" 2> /dev/null
	t_check "... and completes once the fd is closed" \
		eval 't_bg_done cdev_unbind 20 && test "$T_BG_RC" = 0'
	t_check "... no /dev/vfio/devices/$vdev left" \
		test ! -e "/dev/vfio/devices/$vdev"
	grp=$(vfio_bind "$edu")
	t_check "edu bound again (/dev/vfio/$grp)" test -n "$grp"
fi
t_check "the set is still complete after the refused rmmods" eval \
	'for m in $T_MODS; do t_loaded $m || exit 1; done'

# Only a group fd open: upstream lets vfio_pci go (the device is unbound,
# its group node disappears, the open group file stays valid). Bounded:
# a module that waits for the group fd would block rmmod here.
exec 4<> "/dev/vfio/$grp"
(rmmod vfio_pci > "$T_TMP/rmmod.grp" 2>&1; echo $? > "$T_TMP/rmmod.grp.rc") &
rp=$!
i=0
while _gl_alive $rp && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
if _gl_alive $rp; then
	t_nok "rmmod vfio_pci with only a group fd open returns (blocked 20 s)"
	exec 4>&-
	wait $rp
else
	wait $rp
	t_check "rmmod vfio_pci with only a group fd open works (as upstream)" \
		test "$(cat "$T_TMP/rmmod.grp.rc")" = 0
	t_check "... the edu is left without a driver" \
		test -z "$(vfio_driver_of "$edu")"
	# Upstream: the orphaned group answers ENODEV (no IOMMU group any more).
	st=$("$T_HOLD" status 4)
	t_check "... the open group fd answers GET_STATUS with ENODEV ($st)" \
		test "$st" = ENODEV
	exec 4>&-
fi
t_diag "$(cat "$T_TMP/rmmod.grp")"
echo > "/sys/bus/pci/devices/$edu/driver_override"
rm -f "$VFIO_STATE/$edu.driver"
t_check "modprobe vfio-pci again" modprobe vfio-pci
grp=$(vfio_bind "$edu")
t_check "edu bound again (/dev/vfio/$grp)" test -n "$grp" -a -c "/dev/vfio/$grp"

# ---- 4. nothing open: rmmod in reverse dependency order -------------------

for m in $T_MODS_REV; do
	if rmmod "$m" > "$T_TMP/rmmod.out" 2>&1; then
		t_ok "rmmod $m with nothing open"
	else
		t_nok "rmmod $m with nothing open: $(cat "$T_TMP/rmmod.out")"
	fi
done
t_check "no VFIO module left" test -z "$(t_vfio_loaded)"
t_check "/dev/vfio/vfio and /dev/vfio/$grp are gone" \
	test ! -e /dev/vfio/vfio -a ! -e "/dev/vfio/$grp"
t_check "no /dev/vfio/devices node is left" \
	eval '! ls /dev/vfio/devices/vfio* > /dev/null 2>&1'
t_check "the edu was released by the rmmod" test -z "$(vfio_driver_of "$edu")"
echo > "/sys/bus/pci/devices/$edu/driver_override"
rm -f "$VFIO_STATE/$edu.driver"

# ---- 5. modprobe -r ----------------------------------------------------------

modprobe vfio-pci
t_check "modprobe -r vfio-pci" modprobe -r vfio-pci
t_diag "left after modprobe -r vfio-pci: $(t_vfio_loaded)"
t_check "modprobe -r vfio-pci removed vfio_pci and vfio_pci_core" eval \
	'! t_loaded vfio_pci && ! t_loaded vfio_pci_core'
vfio_stack_unload > /dev/null
modprobe vfio-pci
t_check "modprobe -r vfio-pci vfio_iommu_type1" \
	modprobe -r vfio-pci vfio_iommu_type1
left=$(t_vfio_loaded)
# Ours: vfio keeps iommufd loaded, as upstream's vfio does on a kernel
# with iommufd (and vfio_cdev went with type1, its soft dependency).
t_check "modprobe -r vfio-pci vfio_iommu_type1 leaves at most vfio (and iommufd)${left:+ (left: $left)}" \
	eval 'test -z "$left" || test "$left" = vfio ||
	      test "$left" = "iommufd vfio"'
# Known difference (Documentation/differences.md): kmod frees only the
# direct dependencies idle at that moment, and vfio_group sits between
# type1 and vfio, so vfio stays (as upstream's does after `-r vfio-pci`).
t_todo "modprobe -r vfio-pci vfio_iommu_type1 leaves no VFIO module" \
	"vfio stays: vfio_group sits between type1 and vfio" test -z "$left"
vfio_stack_unload > /dev/null
t_check "modprobe -r vfio_pci vfio_iommu_type1 vfio leaves no VFIO module" \
	eval 'modprobe vfio-pci && modprobe -r vfio_pci vfio_iommu_type1 vfio &&
	      test -z "$(t_vfio_loaded)"'

# The usual way to set a type1 parameter: reload type1 while devices stay
# bound to vfio-pci. The group node must be there again afterwards.
vfio_stack_unload > /dev/null
modprobe vfio-pci
grp=$(vfio_bind "$edu")
t_check "modprobe -r vfio_iommu_type1 with edu bound" \
	modprobe -r vfio_iommu_type1
t_check "modprobe vfio_iommu_type1 allow_unsafe_interrupts=1" \
	modprobe vfio_iommu_type1 allow_unsafe_interrupts=1
t_check "... the parameter took" test "$(cat \
	/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts)" = Y
t_check "... /dev/vfio/$grp is back and the device fd opens" eval \
	'test -c "/dev/vfio/$grp" && t_devfd "$edu"'
vfio_unbind "$edu"

# ---- 6. iommufd: /dev/iommu ------------------------------------------------

# Ours (updates/) or, on the debug kernel's in-tree stack, upstream's; the
# stock in-tree stack has none (Debian's kernel: no CONFIG_IOMMUFD).
if modinfo -n iommufd > /dev/null 2>&1; then
	vfio_stack_unload > /dev/null
	t_check "modprobe iommufd" modprobe iommufd
	t_check "/dev/iommu is a misc device (major 10), mode 0660" test \
		"$(stat -c '%F %t %a' /dev/iommu 2>/dev/null)" = \
		"character special file a 660"
	if [ "$T_ORIGIN" = updates ]; then
		t_check "iommufd is loaded from updates/" eval \
			't_file_is iommufd updates && t_loaded_from iommufd "$(modinfo -n iommufd)"'
	fi
	exec 5<> /dev/iommu
	t_check "rmmod iommufd refused while /dev/iommu is open" \
		t_rmmod_refused iommufd
	exec 5>&-
	t_check "rmmod iommufd with nothing open" rmmod iommufd
	t_check "/dev/iommu is gone" test ! -e /dev/iommu
else
	t_skip "iommufd: /dev/iommu" "no iommufd module for this kernel"
fi

# ---- back to the suite's state ------------------------------------------

vfio_stack_unload > /dev/null
t_check "modprobe vfio-pci at the end (from $T_ORIGIN/)" eval \
	'modprobe vfio-pci && t_file_is vfio $T_ORIGIN && t_loaded_from vfio "$(modinfo -n vfio)"'
t_done
