#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vfio-test-vm: sriov debug
#
# SR-IOV through sysfs around vfio-pci (TAP), on the sriov VM's igb PF
# ($VFIO_IGB0, QEMU 10; see tools/testing/vm/README.md). The VF token
# itself is vfio_sriov_test's (selftests/vfio).
#
#  1. the premise, with igb as the PF's driver: sriov_numvfs=2 makes two
#     VFs (8086:10ca) on the PF's bus, each in an IOMMU group of its own;
#     a VF bound to vfio-pci opens WITHOUT a token (the PF is not a vfio
#     device) and giving one is EINVAL; sriov_numvfs=0 removes them;
#  2. PF on vfio-pci, closed: runtime suspended; enable_sriov=N:
#     sriov_numvfs=2 is ENOENT, the PF stays suspended;
#  3. enable_sriov=Y: two VFs, driver_override "vfio-pci", bound to
#     vfio-pci; a second sriov_numvfs=3 is EBUSY (PCI core); the closed
#     PF stays runtime active while VFs exist;
#  4. sriov_numvfs=0 while a VF is open (with the PF's token): the write
#     blocks, the VF's REQ eventfd fires, the VF keeps working; it
#     completes once the holder closes, the VFs are gone and the closed
#     PF suspends again (the VFs' PM reference on it is dropped);
#  5. unbinding the PF from vfio-pci removes its VFs;
#  6. a PF whose VFs another driver (pci-pf-stub) enabled and left behind
#     does not bind to vfio-pci (EBUSY: the VFs cannot be tracked);
#     cleaned up through pci-pf-stub.
# At the end the PF is back on igb without VFs and enable_sriov as it was.

# The helpers below run through t_check (indirectly).
# shellcheck disable=SC2317
# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

pf=${VFIO_IGB0:-}
if [ -z "$pf" ]; then
	echo "1..0 # SKIP no SR-IOV PF: VFIO_IGB0 unset (sriov VM only)"
	exit 4
fi
sys=/sys/bus/pci/devices/$pf
param=/sys/module/vfio_pci/parameters/enable_sriov
tok=6c1b5a2e-7d3f-4e8a-9b0c-1d2e3f4a5b6c

echo "# expect-dmesg: (driver left SR-IOV enabled after remove|[Cc]annot bind to PF with SR-IOV enabled|probe with driver vfio-pci failed with error -16)"
echo "# expect-dmesg: Device is currently in use, task .* blocked until device is released"

t_need_hold || t_diag "cannot build vfio_hold"
old_param=$(cat "$param")
native=$(vfio_driver_of "$pf")

# t_write VALUE FILE: VALUE > FILE; on failure the error text on stdout
# (the shell's own echo does not say which errno).
t_write() {
	_we=$({ env printf '%s\n' "$1" > "$2"; } 2>&1) && return 0
	echo "${_we##*: }"
	return 1
}

# write_fails TEXT VALUE FILE: the write fails with strerror TEXT.
write_fails() {
	if _wo=$(t_write "$2" "$3"); then
		t_diag "'$2' > $3 succeeded"
		return 1
	fi
	[ "$_wo" = "$1" ] && return 0
	t_diag "'$2' > $3: '$_wo', want '$1'"
	return 1
}

# vfs: the PF's VFs (BDFs from its virtfnN links).
vfs() {
	for _l in "$sys"/virtfn*; do
		[ -e "$_l" ] || continue
		_t=$(readlink "$_l")
		echo "${_t##*/}"
	done
}

nvfs() { vfs | grep -c .; }

# vfs_ok N DRIVER OVERRIDE: N VFs, 8086:10ca, each with DRIVER bound and
# driver_override OVERRIDE ("" for none), in a group of its own.
vfs_ok() {
	_ok=0
	[ "$(nvfs)" = "$1" ] || { t_diag "$(nvfs) VFs, want $1"; _ok=1; }
	_pg=$(vfio_group_of "$pf")
	for _v in $(vfs); do
		_vs=/sys/bus/pci/devices/$_v
		_id="$(cat "$_vs/vendor"):$(cat "$_vs/device")"
		_g=$(vfio_group_of "$_v")
		_n=0
		for _m in "/sys/kernel/iommu_groups/$_g/devices"/*; do
			_n=$((_n + 1))
		done
		_d=$(vfio_driver_of "$_v")
		_o=$(cat "$_vs/driver_override")
		[ "$_o" = "(null)" ] && _o=
		t_diag "VF $_v $_id group $_g ($_n devices) driver '$_d' override '$_o'"
		if [ "$_id" != 0x8086:0x10ca ] || [ "$_g" = "$_pg" ] ||
		   [ "$_n" != 1 ] || [ "$_d" != "$2" ] || [ "$_o" != "$3" ]; then
			_ok=1
		fi
	done
	return "$_ok"
}

# vfs_at_most N SEC: at most N VFs left within SEC s.
vfs_at_most() {
	_i=$(($2 * 10))
	while [ "$(nvfs)" -gt "$1" ]; do
		[ "$_i" -gt 0 ] || return 1
		sleep 0.1
		_i=$((_i - 1))
	done
}

pf_runtime() { cat "$sys/power/runtime_status"; }
# pf_suspends: the closed PF runtime suspends within 5 s (asynchronous).
pf_suspends() {
	_i=50
	while [ "$(pf_runtime)" != suspended ]; do
		[ "$_i" -gt 0 ] || { t_diag "PF runtime_status: $(pf_runtime)"; return 1; }
		sleep 0.1
		_i=$((_i - 1))
	done
}
pf_is_active() {
	[ "$(pf_runtime)" = active ] && return 0
	t_diag "PF runtime_status: $(pf_runtime)"
	return 1
}

# ---- 1. the premise, PF on its native driver -----------------------------

t_check "PF $pf is an igb 82576 on $native" \
	test "$(cat "$sys/device")" = 0x10c9 -a "$native" = igb
t_check "igb: sriov_numvfs=2" t_write 2 "$sys/sriov_numvfs"
t_check "igb: two VFs, no driver, each in a group of its own" vfs_ok 2 "" ""
vf=$(vfs | head -n 1)
vfio_bind "$vf" > /dev/null
t_check "igb: a VF bound to vfio-pci opens without a token" t_devfd "$vf"
if "$T_HOLD" -t "$tok" device "$vf" > "$T_TMP/tok.out" 2>&1; then
	t_nok "igb: a VF token for a VF of a non-vfio PF is refused"
else
	t_check "igb: a VF token for a VF of a non-vfio PF is refused (EINVAL)" \
		grep -q 'GET_DEVICE_FD: Invalid argument' "$T_TMP/tok.out"
fi
vfio_unbind "$vf"
t_check "igb: sriov_numvfs=0 removes them" t_write 0 "$sys/sriov_numvfs"
t_check "igb: no VF left" test "$(nvfs)" = 0

# ---- 2./3. PF on vfio-pci --------------------------------------------------

grp=$(vfio_bind "$pf")
t_check "PF bound to vfio-pci (/dev/vfio/$grp)" test -n "$grp"
t_check "the closed PF without VFs runtime suspends" pf_suspends
echo N > "$param"
t_check "enable_sriov=N: sriov_numvfs=2 is ENOENT" \
	write_fails "No such file or directory" 2 "$sys/sriov_numvfs"
t_check "enable_sriov=N: no VF, the PF stays suspended" \
	test "$(nvfs)" = 0 -a "$(pf_runtime)" = suspended
echo Y > "$param"
t_check "enable_sriov=Y: sriov_numvfs=2" t_write 2 "$sys/sriov_numvfs"
t_check "two VFs with driver_override vfio-pci, bound to vfio-pci" \
	vfs_ok 2 vfio-pci vfio-pci
t_check "sriov_numvfs=3 while 2 exist is EBUSY" \
	write_fails "Device or resource busy" 3 "$sys/sriov_numvfs"
t_check "still two VFs" test "$(nvfs)" = 2
t_check "the closed PF stays runtime active while it has VFs" pf_is_active

# ---- 4. disabling the VFs while one is open --------------------------------

vf=$(vfs | head -n 1)
t_check "the PF opens with a VF token (adopted)" \
	"$T_HOLD" -t "$tok" device "$pf"
if t_holder vf -r -t "$tok" device "$vf"; then
	t_ok "a VF opens with the token"
	t_bg_write numvfs0 0 "$sys/sriov_numvfs"
	t_check "sriov_numvfs=0: the VF's REQ eventfd fires" \
		t_holder_wait vf '^req' 10
	t_check "... the VF still answers (config dword 0 = 0x10ca8086)" \
		t_holder_wait vf '^alive 0x10ca8086$' 5
	sleep 1
	t_check "... the write blocks while the VF is open" t_bg_alive numvfs0
	t_check "... the holder closes cleanly" t_holder_stop vf
	if t_bg_done numvfs0 20; then
		t_check "... then the write completes" test "$T_BG_RC" = 0
	else
		t_nok "... then the write completes (still blocked after 20 s)"
	fi
	t_check "... and the VFs are gone" vfs_at_most 0 5
	t_check "... and the closed PF suspends again" pf_suspends
else
	t_nok "a VF opens with the token"
	t_write 0 "$sys/sriov_numvfs" > /dev/null
fi

# ---- 5. unbinding the PF ----------------------------------------------------

t_check "sriov_numvfs=2 again" t_write 2 "$sys/sriov_numvfs"
t_check "unbind the PF from vfio-pci" t_write "$pf" "$sys/driver/unbind"
t_check "... removes its VFs" vfs_at_most 0 5
t_check "... and leaves the PF without a driver" \
	test -z "$(vfio_driver_of "$pf")"

# ---- 6. a PF with VFs another driver left ----------------------------------

stub_cleanup() {
	echo pci-pf-stub > "$sys/driver_override"
	[ -n "$(vfio_driver_of "$pf")" ] ||
		echo "$pf" > /sys/bus/pci/drivers/pci-pf-stub/bind 2>/dev/null
	t_write 0 "$sys/sriov_numvfs" > /dev/null
	echo "$pf" > "$sys/driver/unbind" 2>/dev/null
}
if modprobe pci-pf-stub 2>/dev/null; then
	echo pci-pf-stub > "$sys/driver_override"
	echo "$pf" > /sys/bus/pci/drivers_probe 2>/dev/null
	t_check "pci-pf-stub: bound" test "$(vfio_driver_of "$pf")" = pci-pf-stub
	t_check "pci-pf-stub: sriov_numvfs=2" t_write 2 "$sys/sriov_numvfs"
	t_check "pci-pf-stub: unbound, its VFs stay" \
		sh -c "echo $pf > $sys/driver/unbind && test -e $sys/virtfn1"
	echo vfio-pci > "$sys/driver_override"
	t_check "vfio-pci refuses the PF with VFs enabled (EBUSY)" \
		write_fails "Device or resource busy" "$pf" \
		/sys/bus/pci/drivers/vfio-pci/bind
	t_check "... the PF stays without a driver, the VFs stay" \
		test -z "$(vfio_driver_of "$pf")" -a "$(nvfs)" = 2
	stub_cleanup
	t_check "pci-pf-stub: VFs disabled again" test "$(nvfs)" = 0
	rmmod pci_pf_stub 2>/dev/null
else
	t_skip "a PF with VFs another driver left" "no pci-pf-stub module"
fi

# ---- back to the start -------------------------------------------------------

echo "$old_param" > "$param"
echo > "$sys/driver_override"
rm -f "$VFIO_STATE/$pf.driver"
echo "$pf" > /sys/bus/pci/drivers_probe 2>/dev/null
t_check "the PF is back on $native, without VFs" \
	test "$(vfio_driver_of "$pf")" = "$native" -a "$(nvfs)" = 0
t_done
