#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# DPDK 22.11's dpdk-testpmd drives the e1000e in vfio's unsafe noiommu
# mode, the way DPDK is used on machines without an IOMMU (TAP):
# vfio.enable_unsafe_noiommu_mode=1, the NIC bound to vfio-pci shows up
# as /dev/vfio/noiommu-N, EAL picks IOMMU type 8 (No-IOMMU) and, with
# --iova-mode=pa, hands the NIC the physical addresses of its hugepages
# (from /proc/self/pagemap): nothing is mapped, nothing is pinned.
# Traffic goes through the MAC loopback as in dpdk_e1000e_test.sh (32
# looped-back frames parsed intact, then io forwarding). After testpmd:
# exit 0, no VFIO file held, the hugepages back in the pool, and the NIC
# back with e1000e. Runs in the noiommu VM (no IOMMU group anywhere):
# vfio-test-vm: noiommu

# shellcheck source=tools/testing/vm/guest-lib.sh
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"
# shellcheck source=tools/testing/vm/tests/dpdk/testpmd-lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/dpdk/testpmd-lib.sh"

B=$VFIO_E1000E0
SYS=/sys/bus/pci/devices/$B
PARAM=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode

tp_available || { echo "1..0 # SKIP $TP_WHY"; exit 4; }
if [ ! -e $PARAM ]; then
	echo "1..0 # SKIP vfio has no enable_unsafe_noiommu_mode (built without CONFIG_VFIO_NOIOMMU)"
	exit 4
fi
if [ -e "$SYS/iommu_group" ]; then
	echo "1..0 # SKIP $B has an IOMMU group: needs the noiommu VM (intel_iommu=off)"
	exit 4
fi
echo "1..6"
echo "# expect-dmesg: (vfio-pci|e1000e) [0-9a-f:.]+: (Adding kernel taint for vfio-noiommu group on device|vfio-noiommu device opened by user)"

# The NIC to vfio-pci in noiommu mode (guest-lib's vfio_bind wants an
# IOMMU group before the bind; here the bind makes it). Prints
# noiommu-GROUP.
noiommu_bind() { # BDF
	echo 1 > $PARAM || return 1
	if [ -n "$(vfio_driver_of "$1")" ]; then
		echo "$1" > "$SYS/driver/unbind" || return 1
	fi
	echo vfio-pci > "$SYS/driver_override" &&
		echo "$1" > /sys/bus/pci/drivers/vfio-pci/bind || return 1
	_g=$(readlink "$SYS/iommu_group") || return 1
	_g=${_g##*/}
	[ "$(cat "/sys/kernel/iommu_groups/$_g/name")" = vfio-noiommu ] &&
		[ -c "/dev/vfio/noiommu-$_g" ] && echo "noiommu-$_g"
}

# Run by the lib's EXIT trap, last: a bind that failed half-way may have
# left the override; the module parameter goes back as it was.
param0=$(cat $PARAM)
restore() {
	echo > "$SYS/driver_override"
	echo "$B" > /sys/bus/pci/drivers_probe 2> /dev/null
	echo "$param0" > $PARAM
}
TP_ON_EXIT=restore
tp_setup_nic "$B" noiommu_bind
grp=${TP_GROUP#noiommu-}

tp_e1000e_case noiommu "$B" pa noiommu

# The NIC goes back; the noiommu group goes with it.
tp_release "$B" "$TP_NATIVE"
[ ! -e "/dev/vfio/noiommu-$grp" ] && [ ! -e "$SYS/iommu_group" ]
tap $? "unbound: /dev/vfio/noiommu-$grp and the IOMMU group are gone"
