#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# DPDK 22.11's dpdk-testpmd drives the e1000e (82574, PMD net_e1000_em)
# through the VFIO stack under test, as DPDK 22.11 uses it (container,
# group, type1 DMA mappings, MSI-X/INTx eventfds, BAR mmap), once with
# --iova-mode=va and once with --iova-mode=pa. TAP.
#
# Traffic (tp_e1000e_case in dpdk/testpmd-lib.sh): the NIC sits on QEMU's
# restricted user network, which answers nothing testpmd can send. So,
# once testpmd owns the device, the test turns the MAC loopback on
# (RCTL.LBM, written through the I/O BAR, which DPDK leaves alone) and
# every frame sent comes back into the RX ring:
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

tp_available || { echo "1..0 # SKIP $TP_WHY"; exit 4; }
echo "1..8"

tp_setup_nic "$B"
tp_e1000e_case va "$B" va
tp_e1000e_case pa "$B" pa
tp_release "$B" "$TP_NATIVE"
