#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The ways users hand a device to vfio-pci (TAP); each must give
# /dev/vfio/N and a device fd a client can open, and the way back must
# release the device:
#  a) driver_override + drivers_probe (what libvirt and guest-lib do);
#  b) driverctl (Debian's package; it needs no udev for set/unset, and
#     `driverctl load-override` is what its udev rule runs at boot):
#     set-override loads vfio-pci itself when nothing is loaded,
#     unset-override gives the NVMe back to nvme;
#  c) `modprobe vfio-pci ids=1234:11e8` binds both edus (and nothing
#     else), and so does writing "1234 11e8" to the driver's new_id.
# With VFIO_STACK=intree the same checks run against upstream's modules.

# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

t_need_hold || t_diag "cannot build vfio_hold"

sysdev() { echo "/sys/bus/pci/devices/$1"; }

# usable BDF WHAT: vfio-pci has it, /dev/vfio/N exists, a client can open
# the device fd. One TAP line.
usable() {
	_g=$(vfio_group_of "$1")
	if [ "$(vfio_driver_of "$1")" != vfio-pci ]; then
		t_nok "$2: $1 bound to vfio-pci (driver: '$(vfio_driver_of "$1")')"
	elif [ ! -c "/dev/vfio/$_g" ]; then
		t_nok "$2: /dev/vfio/$_g exists for $1"
	elif ! "$T_HOLD" device "$1" > "$T_TMP/hold1" 2>&1; then
		t_nok "$2: device fd of $1: $(cat "$T_TMP/hold1")"
	else
		t_ok "$2: $1 on vfio-pci, /dev/vfio/$_g, device fd opens"
	fi
}

# released BDF DRIVER WHAT: the device is on DRIVER ("" = none) and its
# group node is gone.
released() {
	_g=$(vfio_group_of "$1")
	t_check "$3: $1 back on '${2:-no driver}', /dev/vfio/$_g gone" \
		test "$(vfio_driver_of "$1")" = "$2" -a ! -e "/dev/vfio/$_g"
}

# ---- a) driver_override + drivers_probe ------------------------------------

e=$VFIO_EDU0
echo vfio-pci > "$(sysdev "$e")/driver_override" &&
	echo "$e" > /sys/bus/pci/drivers_probe
usable "$e" "driver_override"
echo "$e" > "$(sysdev "$e")/driver/unbind"
echo > "$(sysdev "$e")/driver_override"
echo "$e" > /sys/bus/pci/drivers_probe 2>/dev/null
released "$e" "" "driver_override cleared + unbind"

# ---- b) driverctl ------------------------------------------------------------

n=$VFIO_NVME0
conf=/etc/driverctl.d/pci-$n
vfio_stack_unload > /dev/null
if driverctl set-override "$n" vfio-pci > "$T_TMP/dc" 2>&1; then
	t_ok "driverctl set-override $n vfio-pci, nothing loaded before"
else
	t_nok "driverctl set-override $n vfio-pci: $(cat "$T_TMP/dc")"
fi
t_check "driverctl loaded vfio-pci from $T_ORIGIN/" eval \
	't_file_is vfio_pci $T_ORIGIN && t_loaded_from vfio_pci "$(modinfo -n vfio_pci)"'
t_check "driverctl saved the override ($conf)" \
	test "$(cat "$conf" 2>/dev/null)" = vfio-pci
usable "$n" "driverctl set-override"
if driverctl unset-override "$n" > "$T_TMP/dc" 2>&1; then
	t_ok "driverctl unset-override $n"
else
	t_nok "driverctl unset-override $n: $(cat "$T_TMP/dc")"
fi
released "$n" nvme "driverctl unset-override"
t_check "driverctl removed $conf" test ! -e "$conf"

# The boot path: a saved override applied by load-override (udev rule ->
# driverctl@.service). --noprobe: only save it now.
e=$VFIO_EDU1
driverctl --noprobe set-override "$e" vfio-pci > "$T_TMP/dc" 2>&1
echo > "$(sysdev "$e")/driver_override"
if driverctl load-override "$e" > "$T_TMP/dc" 2>&1; then
	t_ok "driverctl load-override $e (the boot path)"
else
	t_nok "driverctl load-override $e: $(cat "$T_TMP/dc")"
fi
usable "$e" "driverctl load-override"
t_check "driverctl list-overrides shows $e" eval \
	"driverctl list-overrides 2>/dev/null | grep -q '^$e vfio-pci'"
# edu has no other driver: a plain unset-override would fail to reprobe.
driverctl --noprobe unset-override "$e" > "$T_TMP/dc" 2>&1
t_check "driverctl --noprobe unset-override $e" test $? = 0
released "$e" "" "driverctl --noprobe unset-override"
driverctl --nosave set-override "$e" vfio-pci > "$T_TMP/dc" 2>&1
t_check "driverctl --nosave set-override $e saves nothing" \
	test ! -e "/etc/driverctl.d/pci-$e"
usable "$e" "driverctl --nosave set-override"
driverctl --noprobe --nosave unset-override "$e" > /dev/null 2>&1
released "$e" "" "driverctl --noprobe --nosave unset-override"

# ---- c) ids= and new_id ---------------------------------------------------------

edus="$VFIO_EDU0 $VFIO_EDU1"
vfio_stack_unload > /dev/null
t_check "modprobe vfio-pci ids=1234:11e8" modprobe vfio-pci ids=1234:11e8
for e in $edus; do
	usable "$e" "ids=1234:11e8"
done
t_check "ids=1234:11e8 left the NVMe alone" \
	test "$(vfio_driver_of "$VFIO_NVME0")" = nvme
for e in $edus; do
	echo "$e" > "$(sysdev "$e")/driver/unbind"
done
rmmod vfio_pci
t_check "modprobe vfio-pci (no ids) after that" modprobe vfio-pci
t_check "without ids= the edus stay unbound" eval \
	"[ -z \"\$(vfio_driver_of $VFIO_EDU0)\" ] && [ -z \"\$(vfio_driver_of $VFIO_EDU1)\" ]"

d=/sys/bus/pci/drivers/vfio-pci
t_check "echo '1234 11e8' > $d/new_id" eval "echo '1234 11e8' > $d/new_id"
for e in $edus; do
	usable "$e" "new_id"
done
t_check "echo '1234 11e8' > $d/remove_id" eval "echo '1234 11e8' > $d/remove_id"
for e in $edus; do
	echo "$e" > "$(sysdev "$e")/driver/unbind"
	echo "$e" > /sys/bus/pci/drivers_probe 2>/dev/null
	released "$e" "" "remove_id + unbind + reprobe"
done
# new_id also took the other edus (the two-function one): give them back
for e in $(vfio_devs 1234:11e8); do
	[ "$(vfio_driver_of "$e")" = vfio-pci ] || continue
	echo "$e" > "$(sysdev "$e")/driver/unbind"
	echo "$e" > /sys/bus/pci/drivers_probe 2>/dev/null
done
t_done
