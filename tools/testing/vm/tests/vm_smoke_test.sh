#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Smoke test of the test VM itself (TAP): the devices sit at their fixed
# addresses, each in its own IOMMU group (the two functions of the
# two-function edu share one), the test SSDT's ACPI devices exist
# unclaimed, and a device can be handed to vfio-pci and back with whatever
# VFIO stack run-tests.sh installed.

# shellcheck source=tools/testing/vm/guest-lib.sh
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { # DESCRIPTION COMMAND...
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}

ids_are() { # BDF VENDOR:DEVICE
	[ "$(cat "/sys/bus/pci/devices/$1/vendor"):$(cat "/sys/bus/pci/devices/$1/device")" = \
	  "0x${2%%:*}:0x${2##*:}" ]
}

alone_in_group() {
	_g=$(vfio_group_of "$1") || return 1
	[ "$(ls "/sys/kernel/iommu_groups/$_g/devices")" = "$1" ]
}

# the two functions of one slot, edus, alone together in one group
mf_pair_ok() {
	ids_are "$VFIO_MF0" 1234:11e8 && ids_are "$VFIO_MF1" 1234:11e8 &&
		_g=$(vfio_group_of "$VFIO_MF0") || return 1
	_m=$(cd "/sys/kernel/iommu_groups/$_g/devices" && echo *)
	[ "$_m" = "$VFIO_MF0 $VFIO_MF1" ]
}

vga_ok() {
	alone_in_group "$VFIO_VGA0" && [ -z "$(vfio_driver_of "$VFIO_VGA0")" ]
}

echo "1..14"
check "edu0 at $VFIO_EDU0" ids_are "$VFIO_EDU0" 1234:11e8
check "edu1 at $VFIO_EDU1" ids_are "$VFIO_EDU1" 1234:11e8
check "nvme at $VFIO_NVME0" ids_are "$VFIO_NVME0" 1b36:0010
check "e1000e at $VFIO_E1000E0" ids_are "$VFIO_E1000E0" 8086:10d3
check "virtio-net at $VFIO_VIRTIO_NET0" ids_are "$VFIO_VIRTIO_NET0" 1af4:1041
check "every test device alone in its IOMMU group" eval \
	"for b in $VFIO_EDU0 $VFIO_EDU1 $VFIO_NVME0 $VFIO_E1000E0 $VFIO_VIRTIO_NET0; do alone_in_group \$b || exit 1; done"
if [ -n "${VFIO_MF0:-}" ]; then
	check "two-function edu at $VFIO_MF0, $VFIO_MF1, one group" mf_pair_ok
else
	nok "two-function edu found (VFIO_MF0, VFIO_MF1)"
fi
if [ -n "${VFIO_VGA0:-}" ]; then
	check "VGA at $VFIO_VGA0, alone in its group, no driver" vga_ok
else
	nok "VGA found (VFIO_VGA0)"
fi
# the test SSDT's ACPI devices (vm.sh builds it when the host has iasl;
# the guest sees the host's root): platform devices, no driver, no group
acpi_ok() {
	for _a in VFIO0001:00 VFIO0002:00; do
		_p=/sys/bus/platform/devices/$_a
		[ -d "$_p" ] && [ ! -e "$_p/driver" ] &&
			[ ! -e "$_p/iommu_group" ] || return 1
	done
	[ -r /sys/bus/acpi/devices/VFIO0001:00/hrv ]
}
if command -v iasl > /dev/null; then
	check "ACPI devices VFIO0001:00, VFIO0002:00 (test SSDT), no driver" acpi_ok
else
	ok "ACPI devices of the test SSDT # SKIP no iasl on the host"
fi
check "nvme bound to its native driver" \
	test "$(vfio_driver_of "$VFIO_NVME0")" = nvme
check "/dev/vfio/vfio exists" test -c /dev/vfio/vfio

g=$(vfio_bind "$VFIO_EDU0")
check "edu0 bound to vfio-pci" test "$(vfio_driver_of "$VFIO_EDU0")" = vfio-pci
check "/dev/vfio/$g appeared for edu0" test -n "$g" -a -c "/dev/vfio/$g"
vfio_bind "$VFIO_NVME0" > /dev/null
vfio_unbind "$VFIO_NVME0"
check "nvme back to nvme after vfio-pci" \
	test "$(vfio_driver_of "$VFIO_NVME0")" = nvme
vfio_unbind "$VFIO_EDU0"
check "edu0 released" test -z "$(vfio_driver_of "$VFIO_EDU0")"
