#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vfio-test-timeout: 420
# vfio-test-vm: iommu debug
#
# Unbind, PCI remove and rmmod while userspace holds VFIO files (TAP).
# Upstream 6.12 (vfio_unregister_group_dev): the driver's remove() waits
# until the last device file is gone; right away and then every 10 s it
# calls the driver's request op, which vfio-pci relays to the user on the
# REQ irq eventfd (VFIO_PCI_REQ_IRQ_INDEX). A signal to the waiting task
# is logged once and the wait goes on, uninterruptible. rmmod never gets
# that far: an open device file holds the driver module.
#
#  1. unbind, holder without a REQ eventfd: blocks, done after close;
#  2. unbind, holder that ignores the request: REQ at once, again ~10 s
#     later (not before), the device fd keeps working, unbind blocked all
#     along, done right after the holder closes; a second edu held
#     meanwhile gets nothing;
#  3. unbind, holder that honours the request (closes everything as QEMU
#     does): the unbind completes by itself;
#  4. unbind whose writer gets SIGTERM: it keeps waiting (warning logged),
#     then completes after close;
#  5. only a BAR 0 mmap left (device fd closed, the VMA keeps the file):
#     REQ still delivered, the mapping keeps working, unbind waits for
#     munmap; and with a holder that unmaps on request;
#  6. rmmod vfio_pci with a REQ-honouring holder, and with only a mapping
#     left: refused ("in use"), no request sent, the holder unharmed;
#  7. PCI remove (sysfs "remove") with a device fd held: blocks, REQ,
#     completes once the device fd is closed; the holder's group fd kept
#     across the removal does not keep the IOMMU group alive and answers
#     GET_STATUS like upstream (ENODEV); a rescan brings the device back,
#     it binds again and its BAR reads;
#  8. unbind with a cdev holder (/dev/vfio/devices/vfioN bound to
#     /dev/iommu, attached to an IOAS, a REQ eventfd): REQ at once, the
#     unbind blocks, the device keeps working, done once the holder
#     closes (skipped where the stack has no device cdev);
#  9. after every case: the device unbound, /dev/vfio/N and the vfio-dev
#     class devices match what is bound, the device binds again and a
#     client opens it; at the end every VFIO module unloads (no leaked
#     reference), then vfio-pci is loaded again.
# With VFIO_STACK=intree the same checks run against upstream's modules.

# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

edu=$VFIO_EDU0
edu1=$VFIO_EDU1
# The first register of edu's BAR 0: identification, 0x010000ed.
edu_id='^bar0 0x10000ed$'
unbind=/sys/bus/pci/drivers/vfio-pci/unbind
# The request is sent at once; "at once" under TCG, in seconds.
soon=5

echo "# expect-dmesg: Device is currently in use, task .* blocked until device is released"
echo "# expect-dmesg: (No device request channel registered|no request channel)"

t_need_hold || t_diag "cannot build vfio_hold"
grp=$(vfio_bind "$edu")
t_check "edu $edu bound (/dev/vfio/$grp)" test -n "$grp"
grp1=$(vfio_bind "$edu1")
t_check "edu $edu1 bound (/dev/vfio/$grp1)" test -n "$grp1"
t_check "/dev/vfio and the vfio-dev class devices match what is bound" \
	t_vfio_nodes_ok

# t_check runs its command with its own arguments: pass state in these.
cur_bdf=
cur_grp=

bdf_unbound() { test -z "$(vfio_driver_of "$cur_bdf")"; }
grp_gone() { test ! -e "/dev/vfio/$cur_grp"; }
vfio_dev_gone() { ! ls "/sys/bus/pci/devices/$cur_bdf/vfio-dev/"vfio* \
	> /dev/null 2>&1; }
rebind_usable() {
	cur_grp=$(vfio_bind "$cur_bdf") && t_devfd "$cur_bdf"
}

# settle CASE BDF GROUP: after an unbind case, the device is free,
# nothing stale is left, and it serves a client again.
settle() {
	cur_bdf=$2
	cur_grp=$3
	t_check "$1: after it $2 has no driver" bdf_unbound
	t_check "$1: ... /dev/vfio/$3 is gone" grp_gone
	t_check "$1: ... /dev/vfio and vfio-dev match what is bound" \
		t_vfio_nodes_ok
	t_check "$1: ... $2 binds again and a client opens its device fd" \
		rebind_usable
	grp=$cur_grp
}

cur_bdf=$edu
t_check "$edu has its vfio-dev class device" eval '! vfio_dev_gone'

# unbind_done SEC WHAT: the background unbind returned within SEC s, 0.
unbind_done() {
	if ! t_bg_done unb "$1"; then
		t_nok "$2 (still blocked after $1 s)"
		return 1
	fi
	t_check "$2" test "$T_BG_RC" = 0
}

# ---- 1. holder without a request channel ----------------------------------

if t_holder h device "$edu"; then
	t_ok "1: holder has container + group + device fd of $edu"
	t_bg_write unb "$edu" "$unbind"
	sleep 3
	t_check "1: unbind blocks while the device fd is open" t_bg_alive unb
	cur_bdf=$edu
	t_check "1: ... the vfio-dev class device is already gone" vfio_dev_gone
	t_check "1: holder closes cleanly" t_holder_stop h
	unbind_done 10 "1: unbind completes once the holder closed"
else
	t_nok "1: holder has container + group + device fd of $edu"
fi
settle 1 "$edu" "$grp"

# ---- 2. holder ignoring the request; a bystander on the other edu ---------

t_check "2: bystander holds $edu1 with a REQ eventfd" \
	t_holder by -r device "$edu1"
if t_holder h -r device "$edu"; then
	t_ok "2: holder of $edu registered a REQ eventfd"
	t_bg_write unb "$edu" "$unbind"
	t_check "2: the REQ eventfd fires at once" \
		t_holder_wait h '^req' "$soon"
	t_check "2: unbind blocks while the holder ignores it" t_bg_alive unb
	t_check "2: the device fd still works meanwhile (config read)" \
		t_holder_wait h '^alive 0x11e81234$' "$soon"
	# The holder stamps each request, so a slow guest cannot blur the
	# interval (upstream resends every 10 s).
	i=0
	while [ "$(t_holder_count h '^req')" -lt 2 ] && [ $i -lt 250 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ms=$(sed -n 's/^req [0-9]* at //p' "$T_TMP/h.out" | head -2 |
		awk 'NR == 1 { a = $1 } NR == 2 { print $1 - a }')
	t_check "2: the request is sent again, ${ms:-no} ms after the first (8-16 s expected)" \
		test "${ms:-0}" -ge 8000 -a "${ms:-0}" -le 16000
	t_check "2: unbind still blocked after the second request" t_bg_alive unb
	t_check "2: holder closes cleanly" t_holder_stop h
	unbind_done "$soon" "2: unbind completes right after the holder closed"
else
	t_nok "2: holder of $edu registered a REQ eventfd"
fi
t_check "2: the bystander on $edu1 got no request" \
	test "$(t_holder_count by '^req')" = 0
t_check "2: the bystander is unharmed and closes cleanly" t_holder_stop by
settle 2 "$edu" "$grp"

# ---- 3. holder honouring the request --------------------------------------

if t_holder h -R device "$edu"; then
	t_ok "3: holder of $edu honours requests"
	t_bg_write unb "$edu" "$unbind"
	unbind_done 10 "3: unbind completes by itself"
	t_check "3: ... the holder saw the request" \
		test "$(t_holder_count h '^req')" = 1
	t_check "3: ... and released everything, exit 0" t_holder_stop h
else
	t_nok "3: holder of $edu honours requests"
fi
settle 3 "$edu" "$grp"

# ---- 4. the waiting unbind gets a signal ----------------------------------

if t_holder h -r device "$edu"; then
	t_ok "4: holder of $edu ignores requests"
	t_bg_write unb "$edu" "$unbind"
	t_holder_wait h '^req' "$soon"
	t_holder_kill unb TERM
	sleep 2
	t_check "4: SIGTERM does not end the unbind's wait" t_bg_alive unb
	t_check "4: ... which logged the task it blocks" eval \
		"dmesg | grep -q 'Device is currently in use, task .* blocked until device is released'"
	t_check "4: holder closes cleanly" t_holder_stop h
	if t_bg_done unb "$soon"; then
		t_ok "4: the killed unbind returns once the holder closed"
	else
		t_nok "4: the killed unbind returns once the holder closed"
	fi
	t_diag "unbind writer status $T_BG_RC"
else
	t_nok "4: holder of $edu ignores requests"
fi
settle 4 "$edu" "$grp"

# ---- 5. only a BAR mapping left ---------------------------------------------

if t_holder h -r -m device "$edu"; then
	t_check "5: holder mapped BAR 0 (edu id register read) and closed its fds" \
		t_holder_wait h "$edu_id" 0
	t_bg_write unb "$edu" "$unbind"
	t_check "5: the REQ eventfd still fires (the device is still open)" \
		t_holder_wait h '^req' "$soon"
	t_check "5: the mapping still works meanwhile (BAR 0 read)" \
		t_holder_wait h '^alive 0x10000ed$' "$soon"
	sleep 1
	t_check "5: unbind blocks while the mapping exists" t_bg_alive unb
	t_check "5: holder unmaps and exits cleanly" t_holder_stop h
	unbind_done "$soon" "5: unbind completes right after munmap"
else
	t_nok "5: holder mapped BAR 0 and closed its fds"
fi
settle 5 "$edu" "$grp"

if t_holder h -R -m device "$edu"; then
	t_ok "5: holder with only a mapping honours requests"
	t_bg_write unb "$edu" "$unbind"
	unbind_done 10 "5: unbind completes by itself (the holder unmapped)"
	t_check "5: ... the holder saw the request and exited cleanly" eval \
		"t_holder_wait h '^req' 0 && t_holder_stop h"
else
	t_nok "5: holder with only a mapping honours requests"
fi
settle 5 "$edu" "$grp"

# ---- 6. rmmod while held ------------------------------------------------------

if t_holder h -R device "$edu"; then
	t_ok "6: REQ-honouring holder of $edu"
	t_check "6: rmmod vfio_pci refused" t_rmmod_refused vfio_pci
	sleep 1
	t_check "6: ... no request was sent" \
		test "$(t_holder_count h '^req')" = 0
	t_check "6: ... the holder still holds" t_holder_alive h
	t_check "6: ... and closes cleanly" t_holder_stop h
else
	t_nok "6: REQ-honouring holder of $edu"
fi
if t_holder h -r -m device "$edu"; then
	t_ok "6: holder with only a BAR 0 mapping of $edu"
	t_check "6: rmmod vfio_pci refused" t_rmmod_refused vfio_pci
	t_check "6: rmmod vfio_pci_core refused" t_rmmod_refused vfio_pci_core
	t_check "6: ... no request was sent" \
		test "$(t_holder_count h '^req')" = 0
	t_check "6: ... the holder unmaps cleanly" t_holder_stop h
else
	t_nok "6: holder with only a BAR 0 mapping of $edu"
fi
t_check "6: the stack is complete after the refused rmmods" eval \
	'for m in $T_MODS; do t_loaded $m || exit 1; done'
cur_bdf=$edu
t_check "6: $edu still bound, a client opens its device fd" \
	eval 'test "$(vfio_driver_of "$edu")" = vfio-pci && t_devfd "$edu"'

# ---- 7. PCI remove and rescan ---------------------------------------------

sys1=/sys/bus/pci/devices/$edu1
if t_holder h -r device "$edu1"; then
	t_ok "7: holder of $edu1 with a REQ eventfd"
	t_bg_write unb 1 "$sys1/remove"
	t_check "7: remove: the REQ eventfd fires" \
		t_holder_wait h '^req' "$soon"
	sleep 1
	t_check "7: remove blocks while the device fd is open" t_bg_alive unb
	t_holder_kill h USR1
	t_check "7: holder closed the device fd, keeps container + group" \
		t_holder_wait h '^released' "$soon"
	unbind_done 10 "7: remove completes once the device fd is closed"
	t_check "7: $edu1 is gone from sysfs" test ! -e "$sys1"
	cur_grp=$grp1
	t_check "7: /dev/vfio/$grp1 is gone" grp_gone
	# Upstream drops its IOMMU group reference when the last device
	# leaves, however long a stale group fd stays open.
	t_check "7: /sys/kernel/iommu_groups/$grp1 is gone, though the group fd is open" \
		test ! -e "/sys/kernel/iommu_groups/$grp1"
	t_check "7: /dev/vfio and vfio-dev match what is bound" t_vfio_nodes_ok
	echo 1 > /sys/bus/pci/rescan
	t_check "7: rescan brings $edu1 back" test -e "$sys1"
	t_check "7: ... without a driver" test -z "$(vfio_driver_of "$edu1")"
	cur_bdf=$edu1
	t_check "7: ... it binds to vfio-pci again and a client opens it" \
		rebind_usable
	grp1=$cur_grp
	"$T_HOLD" -m device "$edu1" > "$T_TMP/bar" 2>&1
	t_check "7: ... its BAR 0 maps and reads the edu id" \
		grep -q "$edu_id" "$T_TMP/bar"
	t_check "7: the holder's group fd, kept across remove and rescan, closes cleanly" \
		t_holder_stop h
	st=$(sed -n 's/^group //p' "$(t_holder_out h)")
	t_check "7: ... it answered GET_STATUS with ENODEV ($st), as upstream" \
		test "$st" = ENODEV
else
	t_nok "7: holder of $edu1 with a REQ eventfd"
	[ -e "$sys1" ] || echo 1 > /sys/bus/pci/rescan
fi
t_check "7: /dev/vfio and vfio-dev match what is bound" t_vfio_nodes_ok

# ---- 8. a holder on the cdev path -----------------------------------------

cur_bdf=$edu
if vfio_dev_gone || [ ! -e /dev/iommu ]; then
	t_skip "8: unbind with a cdev holder" \
		"the $VFIO_STACK stack has no device cdev or no /dev/iommu"
elif t_holder h -r cdev "$edu"; then
	t_ok "8: cdev holder of $edu: bound to /dev/iommu, attached, REQ eventfd"
	t_check "8: ... it has no group fd, yet /dev/vfio/$grp stays" \
		test -e "/dev/vfio/$grp"
	t_bg_write unb "$edu" "$unbind"
	t_check "8: the REQ eventfd fires at once" \
		t_holder_wait h '^req' "$soon"
	t_check "8: unbind blocks while the cdev fd is open" t_bg_alive unb
	t_check "8: ... the vfio-dev class device is already gone" vfio_dev_gone
	t_check "8: the cdev fd still works meanwhile (config read)" \
		t_holder_wait h '^alive 0x11e81234$' "$soon"
	t_check "8: holder unbinds and closes cleanly" t_holder_stop h
	unbind_done "$soon" "8: unbind completes right after the holder closed"
	settle 8 "$edu" "$grp"
else
	t_nok "8: cdev holder of $edu: bound to /dev/iommu, attached, REQ eventfd"
fi

# ---- 9. nothing leaked ------------------------------------------------------

vfio_unbind "$edu"
vfio_unbind "$edu1"
t_check "9: both edus given back, /dev/vfio and vfio-dev consistent" \
	eval 't_vfio_nodes_ok && test -z "$(vfio_driver_of "$edu")$(vfio_driver_of "$edu1")"'
t_check "9: every VFIO module unloads (no leaked reference)" eval \
	'vfio_stack_unload > /dev/null && test -z "$(t_vfio_loaded)"'
t_check "9: no /dev/vfio node is left" eval \
	'! ls /dev/vfio/* > /dev/null 2>&1'
t_check "9: modprobe vfio-pci again (from $T_ORIGIN/)" eval \
	'modprobe vfio-pci && t_file_is vfio $T_ORIGIN'
t_done
