#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vfio-test-timeout: 300
#
# The sample variant driver tools/testing/variant (vfio-pci-variant-test,
# built on vfio-pci-core's exported API, <vfio/pci_core.h>) on an edu,
# through the uAPI (TAP). Ours only: upstream's variant API is
# <linux/vfio_pci_core.h>, which our rules keep out of this tree, so with
# VFIO_STACK=intree the test skips.
#
#  1. the module loads (from the staged updates/, else from the build
#     folder) on top of our vfio-pci-core; the edu binds to it only via
#     driver_override; /dev/vfio/N and the vfio-dev class device appear;
#  2. variant_client check (tools/testing/variant): GET_INFO has
#     VFIO_PCI_NUM_REGIONS + 1 regions; REGION_INFO(9) has a CAP_TYPE
#     (VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x1234, subtype 1), size 4 KiB,
#     READ|WRITE; its read/write round trip; an access running over the
#     end is short, one starting at or past it EINVAL, mmap EINVAL (the
#     variant's regops decide that); BAR 0 offset 0 reads the virtual ID,
#     offset 4 (edu's liveness register: write x, read ~x) the real
#     device, both EIO with memory decode off; BAR 0 is not mmap-able;
#     RESET keeps the region's contents;
#  3. variant_client common on the variant's edu and on a vfio-pci edu:
#     device flags, irq infos, fixed regions, RESET, feature probes
#     (migration and dirty logging ENOTTY, low power 0) answer alike;
#  4. rmmod vfio_pci_core is refused ("in use") while the variant is
#     loaded, even with vfio-pci unloaded; rmmod of the variant is
#     refused while a device fd is open;
#  5. unbind while a client holds the device fd with a REQ eventfd: the
#     unbind blocks, the request reaches the client, and the unbind
#     completes once it closes;
#  6. bad_mig=1 (incomplete migration ops): binding fails with EINVAL
#     (vfio_pci_core_register_device's check, as upstream), nothing is
#     left behind; with bad_mig=0 the edu binds again.

# The helpers below run through t_check.
# shellcheck disable=SC2317
# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

if [ "${VFIO_STACK:-ours}" = intree ]; then
	echo "1..0 # SKIP the sample variant driver is built on our vfio-pci-core only"
	exit 4
fi

echo "# expect-dmesg: Device is currently in use, task .* blocked until device is released"
echo "# expect-dmesg: probe with driver vfio-pci-variant-test failed with error -22"

vdir=$VFIO_SRC/tools/testing/variant
client=$vdir/build/variant_client
drv=vfio-pci-variant-test
mod=vfio_pci_variant_test
ko=				# the file load_variant loaded
dsys=/sys/bus/pci/drivers/$drv
param=/sys/module/$mod/parameters/bad_mig
edu=$VFIO_EDU0
edu1=$VFIO_EDU1
# The request is sent at once; "at once" under TCG, in seconds.
soon=5

variant_cleanup() {
	[ "$(vfio_driver_of "$edu")" != "$drv" ] || vfio_unbind "$edu"
	[ "$(vfio_driver_of "$edu1")" != vfio-pci ] || vfio_unbind "$edu1"
	! t_loaded "$mod" || rmmod "$mod"
	t_loaded vfio_pci || modprobe vfio-pci
	t_cleanup
}
trap variant_cleanup EXIT

# load_variant: modprobe finds it when check.sh staged it with our
# modules; a `make install` run leaves it in the build folder.
load_variant() {
	if modprobe "$mod" 2> "$T_TMP/modprobe.err"; then
		ko=$(modinfo -n "$mod")
		t_diag "loaded $ko"
		return 0
	fi
	t_diag "modprobe: $(cat "$T_TMP/modprobe.err")"
	if [ ! -f "$vdir/$drv.ko" ]; then
		t_diag "$vdir/$drv.ko is not built (make -C $vdir)"
		return 1
	fi
	ko=$vdir/$drv.ko
	t_diag "loading $ko"
	insmod "$ko"
}

cur_grp=
# bind_variant BDF: driver_override + drivers_probe; sets cur_grp.
bind_variant() {
	_sys=/sys/bus/pci/devices/$1
	cur_grp=$(vfio_group_of "$1") || return 1
	[ -z "$(vfio_driver_of "$1")" ] || vfio_unbind "$1" || return 1
	echo "$drv" > "$_sys/driver_override" &&
		echo "$1" > /sys/bus/pci/drivers_probe
	[ "$(vfio_driver_of "$1")" = "$drv" ] ||
		{ t_diag "$1 bound to '$(vfio_driver_of "$1")'"; return 1; }
	_i=0
	while [ ! -c "/dev/vfio/$cur_grp" ] && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -c "/dev/vfio/$cur_grp" ]
}

has_vfio_dev() { ls "/sys/bus/pci/devices/$1/vfio-dev/"vfio* > /dev/null 2>&1; }
unbound() { [ -z "$(vfio_driver_of "$1")" ]; }
no_group_node() { [ ! -e "/dev/vfio/$cur_grp" ]; }

# pass_tap PREFIX FILE: the client's "ok - "/"not ok - " lines as items.
pass_tap() {
	while IFS= read -r _l; do
		case $_l in
		"ok - "*) t_ok "$1${_l#ok - }" ;;
		"not ok - "*) t_nok "$1${_l#not ok - }" ;;
		"#"*) echo "$_l" ;;
		*) t_diag "$_l" ;;
		esac
	done < "$2"
}

# ---- 1. load and bind -----------------------------------------------------

if [ ! -x "$client" ]; then
	make -s -C "$vdir" client > "$T_TMP/make.log" 2>&1 ||
		t_diag "$(cat "$T_TMP/make.log")"
fi
t_need_hold || t_diag "cannot build vfio_hold"

if load_variant; then
	t_ok "1: $drv loads"
else
	t_nok "1: $drv loads"
	t_done
fi
t_check "1: it depends on our vfio-pci-core" \
	test -e "/sys/module/vfio_pci_core/holders/$mod"
t_check "1: modinfo: GPL, bad_mig described" \
	sh -c "modinfo -F license $ko | grep -qx GPL &&
	       modinfo -F parm $ko | grep -q '^bad_mig:.'"

# Its id table is driver_override only: a plain reprobe leaves edu alone.
[ -z "$(vfio_driver_of "$edu")" ] || vfio_unbind "$edu"
echo "$edu" > /sys/bus/pci/drivers_probe 2> /dev/null
t_check "1: without driver_override $edu stays unbound" unbound "$edu"

t_check "1: $edu binds to $drv via driver_override" bind_variant "$edu"
t_check "1: ... /dev/vfio/$cur_grp appeared" test -c "/dev/vfio/$cur_grp"
t_check "1: ... with its vfio-dev class device" has_vfio_dev "$edu"
grp=$cur_grp

# ---- 2. the variant's additions -------------------------------------------

if [ -x "$client" ]; then
	"$client" check "$edu" > "$T_TMP/check.out" 2>&1
	rc=$?
	pass_tap "2: " "$T_TMP/check.out"
	t_check "2: variant_client check exits 0 ($rc)" test $rc = 0
else
	t_nok "2: variant_client is not built ($client)"
fi

# ---- 3. what vfio-pci answers alike ---------------------------------------

same_as_vfio_pci() {
	"$client" common "$edu" > "$T_TMP/common.variant" 2>&1 || return 1
	"$client" common "$edu1" > "$T_TMP/common.vfio-pci" 2>&1 || return 1
	sed 's/^/# /' "$T_TMP/common.variant"
	diff "$T_TMP/common.vfio-pci" "$T_TMP/common.variant" > "$T_TMP/diff" &&
		return 0
	t_diag "differs from vfio-pci ($edu1):"
	t_diag "$(cat "$T_TMP/diff")"
	return 1
}
if [ -x "$client" ] && vfio_bind "$edu1" > /dev/null; then
	t_check "3: flags, irqs, regions, RESET, feature probes as vfio-pci's" \
		same_as_vfio_pci
	vfio_unbind "$edu1"
else
	t_nok "3: $edu1 on vfio-pci to compare with"
fi

# ---- 4. module references -------------------------------------------------

vfio_pci_unloaded() { ! t_loaded vfio_pci || rmmod vfio_pci; }
t_check "4: vfio_pci unloads (nothing bound to it)" vfio_pci_unloaded
t_check "4: rmmod vfio_pci_core refused while $mod is loaded" \
	t_rmmod_refused vfio_pci_core
t_check "4: vfio-pci loads again" modprobe vfio-pci
if t_holder h device "$edu"; then
	t_check "4: rmmod $mod refused while a device fd is open" \
		t_rmmod_refused "$mod"
	t_check "4: ... the holder closes cleanly" t_holder_stop h
else
	t_nok "4: a client holds $edu's device fd"
fi

# ---- 5. unbind while held: the REQ path -----------------------------------

if t_holder h -r device "$edu"; then
	t_ok "5: a client holds $edu with a REQ eventfd"
	t_bg_write unb "$edu" "$dsys/unbind"
	t_check "5: the unbind sends the request at once" \
		t_holder_wait h '^req' "$soon"
	t_check "5: ... and blocks while the device fd is open" t_bg_alive unb
	t_check "5: the holder closes cleanly" t_holder_stop h
	if t_bg_done unb 10; then
		t_check "5: the unbind completes after the close" \
			test "$T_BG_RC" = 0
	else
		t_nok "5: the unbind completes after the close (still blocked)"
	fi
	t_check "5: $edu has no driver" unbound "$edu"
	t_check "5: ... /dev/vfio/$grp is gone" no_group_node
	echo > "/sys/bus/pci/devices/$edu/driver_override"
else
	t_nok "5: a client holds $edu with a REQ eventfd"
fi

# ---- 6. incomplete migration ops ------------------------------------------

# bind_file BDF: driver_override, then the driver's bind file; the
# write's error goes to $T_TMP/bind.err. The write is coreutils' echo:
# dash's builtin reports any failed write as "I/O error".
bind_file() {
	_sys=/sys/bus/pci/devices/$1
	echo "$drv" > "$_sys/driver_override" &&
		env echo "$1" 2> "$T_TMP/bind.err" > "$dsys/bind"
}
probe_einval_logged() {
	dmesg | grep -q "$1: probe with driver $drv failed with error -22"
}

[ -z "$(vfio_driver_of "$edu")" ] || vfio_unbind "$edu"
echo 1 > "$param"
t_check "6: bad_mig=1: binding $edu fails" eval "! bind_file $edu"
t_check "6: ... with EINVAL" grep -q 'Invalid argument' "$T_TMP/bind.err"
t_diag "bind: $(cat "$T_TMP/bind.err")"
t_check "6: ... probe returned -EINVAL (kernel log)" probe_einval_logged "$edu"
t_check "6: ... $edu has no driver" unbound "$edu"
cur_grp=$grp
t_check "6: ... no /dev/vfio/$grp, no vfio-dev class device" \
	eval "no_group_node && ! has_vfio_dev $edu"
echo 0 > "$param"
t_check "6: bad_mig=0: $edu binds again" bind_variant "$edu"
if [ -x "$client" ]; then
	t_check "6: ... and opens with the virtual ID" \
		eval "\"$client\" check \"$edu\" | grep -q '^ok - BAR 0 offset 0: the virtual ID'"
fi
t_check "6: unbind" vfio_unbind "$edu"
t_check "$mod unloads" rmmod "$mod"
t_check "vfio_pci_core unloads after it (no reference left)" \
	sh -c 'rmmod vfio_pci && rmmod vfio_pci_core && modprobe vfio-pci'
t_done
