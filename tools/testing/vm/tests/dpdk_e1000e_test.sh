#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# DPDK 22.11's dpdk-testpmd drives the e1000e (82574, PMD net_e1000_em)
# through the VFIO stack under test, as DPDK 22.11 uses it (container,
# group, type1 DMA mappings, MSI-X/INTx eventfds, BAR mmap), once with
# --iova-mode=va and once with --iova-mode=pa. TAP.
#
# Traffic: the NIC sits on QEMU's restricted user network, which answers
# nothing testpmd can send. So, once testpmd owns the device, the test
# turns the MAC loopback on (RCTL.LBM, written through the I/O BAR, which
# DPDK leaves alone) and every frame sent comes back into the RX ring:
#   - rxonly + "start tx_first", verbose: the 32 frames of the first
#     burst come back and parse as testpmd's IPv4/UDP frames from the
#     port's MAC: the device read the TX buffers and wrote the RX buffers
#     through the IOMMU mappings DPDK made through VFIO;
#   - io forwarding + "start tx_first" for 3 s: frames circle TX -> RX ->
#     TX; both counts grow past the first burst, no errors.
# After testpmd exits: status 0, no VFIO file held, every hugepage back
# in the pool (a page VFIO left pinned could not be freed), and the NIC
# goes back to e1000e.

# shellcheck source=tools/testing/vm/guest-lib.sh
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"
# shellcheck source=tools/testing/vm/tests/dpdk/testpmd-lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/dpdk/testpmd-lib.sh"

B=$VFIO_E1000E0
RCTL=0x100		# receive control register
RCTL_LBM_MAC=0x40	# LBM = 01: MAC loopback
SECS=3			# io forwarding time

tp_available || { echo "1..0 # SKIP $TP_WHY"; exit 4; }
echo "1..8"

tp_setup_nic "$B"

# loopback_on: RCTL |= LBM_MAC through IOADDR (offset 0) / IODATA (4).
loopback_on() {
	_io=$(tp_io_bar "$B") || return 1
	tp_io_write32 "$_io" 0 $RCTL || return 1
	_v=$(tp_io_read32 "$_io" 4) || return 1
	tp_io_write32 "$_io" 4 $((_v | RCTL_LBM_MAC)) || return 1
	_v=$(tp_io_read32 "$_io" 4) || return 1
	[ $((_v & RCTL_LBM_MAC)) != 0 ]
}

run_case() { # va|pa
	mode=$1
	t0=$(date +%s)
	free0=$(tp_huge_free)
	tp_start "e1000e-$mode" "$B" --iova-mode="$mode" -- \
		--forward-mode=rxonly
	tp_check_probe "$mode" net_e1000_em
	r=$?
	tap $r "$mode: testpmd up on $B: $TP_MSG"
	[ $r = 0 ] || tp_excerpt

	# Traffic through the MAC loopback.
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
	tp_finish_case "$mode" "$why" \
		"32/32 looped-back frames intact; io forwarding ${SECS}s: RX $rx, TX $tx packets, 0 errors" \
		"$free0" '^$' "$t0"
}

run_case va
run_case pa

tp_release "$B" "$TP_NATIVE"
