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
RCTL=0x100		# receive control register
RCTL_LBM_MAC=0x40	# LBM = 01: MAC loopback
SECS=3			# io forwarding time

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

native=$(vfio_driver_of "$B")
param0=$(cat $PARAM)
cleanup() {
	tp_kill
	if [ "$(vfio_driver_of "$B")" = vfio-pci ]; then
		echo "$B" > "$SYS/driver/unbind"
	fi
	echo > "$SYS/driver_override"
	echo "$B" > /sys/bus/pci/drivers_probe 2> /dev/null
	tp_huge_teardown
	echo "$param0" > $PARAM
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The NIC to vfio-pci in noiommu mode (guest-lib's vfio_bind wants an
# IOMMU group before the bind; here the bind makes it).
noiommu_bind() {
	echo 1 > $PARAM || return 1
	if [ -n "$(vfio_driver_of "$B")" ]; then
		echo "$B" > "$SYS/driver/unbind" || return 1
	fi
	echo vfio-pci > "$SYS/driver_override" &&
		echo "$B" > /sys/bus/pci/drivers/vfio-pci/bind || return 1
	grp=$(readlink "$SYS/iommu_group") || return 1
	grp=${grp##*/}
	[ "$(cat "/sys/kernel/iommu_groups/$grp/name")" = vfio-noiommu ] &&
		[ -c "/dev/vfio/noiommu-$grp" ]
}

r=1
tp_huge_setup 128 && noiommu_bind && r=0
tap $r "setup: $(cat $TP_POOL/nr_hugepages) hugepages of 2 MiB, $B bound to vfio-pci as /dev/vfio/noiommu-${grp:-?}"
[ $r = 0 ] || { echo "Bail out! no setup"; exit 1; }

# loopback_on: RCTL |= LBM_MAC through IOADDR (offset 0) / IODATA (4).
loopback_on() {
	_io=$(tp_io_bar "$B") || return 1
	tp_io_write32 "$_io" 0 $RCTL || return 1
	_v=$(tp_io_read32 "$_io" 4) || return 1
	tp_io_write32 "$_io" 4 $((_v | RCTL_LBM_MAC)) || return 1
	_v=$(tp_io_read32 "$_io" 4) || return 1
	[ $((_v & RCTL_LBM_MAC)) != 0 ]
}

check_probe() {
	TP_MSG="testpmd did not reach its prompt"
	tp_alive && grep -q "^testpmd> " "$TP_LOG" || return 1
	TP_MSG="EAL did not select IOVA mode PA"
	grep -q "^EAL: Selected IOVA mode 'PA'" "$TP_LOG" || return 1
	TP_MSG="EAL did not set up VFIO's No-IOMMU type"
	grep -q '^EAL: Using IOMMU type 8 (No-IOMMU)' "$TP_LOG" || return 1
	TP_MSG="net_e1000_em did not probe the device"
	grep -q "^EAL: Probe PCI driver: net_e1000_em " "$TP_LOG" || return 1
	TP_MSG="the port's link is not up"
	tp_link_up || return 1
	TP_MSG="IOVA mode PA, VFIO No-IOMMU, net_e1000_em, link up"
	return 0
}

# As tp_check_exit, without the locked_vm charge: noiommu pins nothing.
check_exit() { # FREE0
	TP_MSG="testpmd exit status $TP_RC"
	[ "$TP_RC" = 0 ] && grep -q '^Bye\.\.\.' "$TP_LOG" || return 1
	_u=$(vfio_users)
	TP_MSG="processes still hold VFIO files: $_u"
	[ -z "$_u" ] || return 1
	TP_MSG="hugepages not freed: $(tp_huge_free) free, $1 before"
	[ "$(tp_huge_free)" = "$1" ] || return 1
	TP_MSG="VmLck was '${TP_VMLCK}' kB while testpmd ran: locked_vm charged without mappings"
	[ "${TP_VMLCK:-0}" = 0 ] || return 1
	_e=$(tp_eal_errors '^$')
	TP_MSG="unexpected EAL errors: $(echo "$_e" | head -n 3 | tr '\n' '|')"
	[ -z "$_e" ] || return 1
	TP_MSG="exit 0, no VFIO file held, hugepages freed ($1 free), no locked_vm"
	return 0
}

t0=$(date +%s)
free0=$(tp_huge_free)
tp_start e1000e-noiommu "$B" --iova-mode=pa -- --forward-mode=rxonly
check_probe
r=$?
tap $r "testpmd up on $B: $TP_MSG"
[ $r = 0 ] || tp_excerpt

why=
mac=$(sed -n 's/^Port 0: \([0-9A-Fa-f:]\{17\}\)$/\1/p' "$TP_LOG" | head -n 1)
frame="src=$mac - dst=02:00:00:00:00:00 - .*type=0x0800 - length=64 - .*sw ptype: L2_ETHER L3_IPV4 L4_UDP"
if [ $r != 0 ]; then
	why="testpmd is not up"
elif ! loopback_on; then
	why="cannot turn the MAC loopback on through the I/O BAR"
else
	tp_cmd "set verbose 1"
	tp_cmd "start tx_first"
	tp_wait "$frame" 32 30
	tp_cmd "stop"
	tp_wait 'Accumulated forward statistics' 1 30
	tp_cmd "set verbose 0"
	tp_cmd "set fwd io"
	tp_cmd "start tx_first"
	sleep $SECS
	tp_cmd "stop"
	tp_wait 'Accumulated forward statistics' 2 30
	tp_cmd "show port stats 0"
	tp_wait 'NIC statistics for port 0' 1 30
fi
intact=$(tp_count "$frame")
rx=$(tp_stat 'Accumulated forward statistics' 2 RX-packets)
tx=$(tp_stat 'Accumulated forward statistics' 2 TX-packets)
rxerr=$(tp_stat 'NIC statistics for port 0' 1 RX-errors)
txerr=$(tp_stat 'NIC statistics for port 0' 1 TX-errors)
if [ -z "$why" ]; then
	if [ "$intact" -lt 32 ]; then
		why="$intact of 32 looped-back frames received intact"
	elif [ "${rx:-0}" -le 32 ] || [ "${tx:-0}" -le 32 ]; then
		why="io forwarding counted RX '$rx' TX '$tx' packets"
	elif [ "$rxerr" != 0 ] || [ "$txerr" != 0 ]; then
		why="RX-errors '$rxerr', TX-errors '$txerr'"
	fi
fi
if [ -z "$why" ]; then
	tap 0 "traffic by physical address: 32/32 looped-back frames intact; io forwarding ${SECS}s: RX $rx, TX $tx packets, 0 errors"
else
	tap 1 "traffic: $why"
	[ "$why" = "testpmd is not up" ] || tp_excerpt
fi

tp_quit 60
check_exit "$free0"
r=$?
tap $r "after testpmd: $TP_MSG"
[ $r = 0 ] || tp_excerpt
echo "# testpmd: $(( $(date +%s) - t0 ))s"

# The NIC goes back; the noiommu group goes with it.
echo "$B" > "$SYS/driver/unbind"
echo > "$SYS/driver_override"
echo "$B" > /sys/bus/pci/drivers_probe 2> /dev/null
[ ! -e "/dev/vfio/noiommu-$grp" ] && [ ! -e "$SYS/iommu_group" ]
tap $? "unbound: /dev/vfio/noiommu-$grp and the IOMMU group are gone"
d=$(vfio_driver_of "$B")
[ "$d" = "$native" ]
tap $? "$B back with ${d:-no driver} (was $native)"
