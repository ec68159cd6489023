#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfio-test-timeout: 300
# vfio-test-vm: iommu debug
#
# Real VFIO clients of an mdev (TAP): QEMU assigns a mediated device of
# the sample parent (mdev/samples/vfio_mdev_sample.ko, register map
# mdev_sample_regs.h) to a nested q35 machine that boots nothing
# (qemu/qtest-lib.sh: halting firmware, qtest protocol on stdin/stdout),
#
#   -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/UUID
#
# and the test plays the guest driver. Three clients, one fresh mdev
# each (created through the type's "create", as vfio_mdev_test does):
#
#   QEMU 7.2, group      container + type1: the sample's DMA goes through
#                        type1's emulated-IOMMU pin/rw path
#   QEMU 10, group       the same path, QEMU 10's container code
#   QEMU 10, iommufd     -object iommufd,id=iommufd0 -device ...,iommufd=
#                        iommufd0: the device cdev, the IOAS attached
#                        directly (QEMU makes no HWPT for an mdev), DMA
#                        through our iommufd access API
#
# Cases of each client:
#   - the mdev is created (IOMMU group; the cdev for iommufd)
#   - QEMU starts, holds only the group + container (or the cdev +
#     /dev/iommu)
#   - config space as the nested machine sees it: 1234:6d64, class
#     ff0000; BAR0 sizing (4 KiB, 32-bit memory); BAR0 programmed,
#     memory decode and bus mastering on
#   - BAR0: IDENT reads "mdev", SCRATCH round trip
#   - DMA engine: 8 KiB of random bytes (unaligned, across pages) copied
#     RAM -> RAM through vfio_dma_rw() and through vfio_pin_pages() (the
#     PIN mode), data checked in the nested RAM, STATUS 0, DMA_COUNT
#     0 -> 1 -> 2
#   - MSI enabled through config space (QEMU turns it into SET_IRQS);
#     IRQ_RAISE -> the message lands in the nested RAM, IRQ_STATUS set,
#     ACK clears it; a DMA with the IRQ flag -> message + status bit 8
#   - the mdev's "remove" while QEMU holds it blocks: the device stays
#     (below its parent; its /sys/bus/mdev link goes at once, as
#     upstream) and still answers QEMU
#   - QEMU ends on SIGTERM with status 0, printing no VFIO warning (the
#     sample answers GET_IRQ_INFO(ERR) with EINVAL, as vfio-pci on a
#     conventional PCI device: no "Could not enable error recovery")
#   - the pending remove then completes: mdev gone, no VFIO fd left
# At the end vfio_mdev_sample unloads (if this test loaded it).
#
# Skips: the in-tree stack (the sample parent is ours), no QEMU 10
# (tools/testing/vm/qemu10.sh --print; VFIO_QEMU_ROOT overrides) for its
# two clients, no /dev/iommu or mdev cdev for the iommufd client.

# "A && B || fail": fail is meant to run when either fails.
# shellcheck disable=SC2015,SC2317
# shellcheck source=tools/testing/vm/tests/qemu/qtest-lib.sh
. "$(dirname "$0")/qemu/qtest-lib.sh"

skip_all() { echo "1..0 # SKIP $*"; exit 4; }

[ "${VFIO_STACK:-ours}" != intree ] ||
	skip_all "vfio_mdev_sample is ours: the in-tree stack has no sample parent"
command -v qemu-system-x86_64 > /dev/null ||
	skip_all "qemu-system-x86_64 is not installed"

# The register map (MS_*, R_*, DMA_*, IRQ_*).
# shellcheck source=tools/testing/vm/tests/qemu/mdev-sample.sh
. "$(dirname "$0")/qemu/mdev-sample.sh"

# The nested machine: the mdev in slot 4 of bus 0, BAR0 below the IOAPIC,
# DMA buffers and MSI messages in its 256 MiB of RAM (IOVA = its
# physical address: QEMU maps the RAM 1:1).
SLOT=4
BAR=0xfe000000
MSI_ADDR=0x200000
DMA_LEN=8192
SRC=0x100800		# unaligned: the copy spans three pages
DST_RW=0x300400
DST_PIN=0x380c00
DST_IRQ=0x3c0000

PER=18			# items per client
BDF=
QT_LOG=$out/qemu-mdev.log

# Remove what is left of ours (a failed step): QEMU first, so that a
# remove does not wait for it.
cleanup() {
	qt_stop
	ms_remove_left
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

ms_load

echo "1..$((2 + 3 * PER))"
note "$(qemu-system-x86_64 --version | head -n 1); VFIO stack: ${VFIO_STACK:-?}"
t_start=$SECONDS
if [ -d "$TYPE" ]; then
	ok "vfio_mdev_sample loaded ($(modinfo -n vfio_mdev_sample 2>/dev/null)), type ${TYPE##*/}"
else
	nok "vfio_mdev_sample loaded, type ${TYPE##*/} $(cat "$tmp/modprobe.err")"
	exit 1
fi

# QEMU 10: a wrapper that runs it with its firmware and modules (keeps
# the pid: exec). Skipped when not cached.
q10=
if q10root=$(qt_qemu10_root); then
	q10=$tmp/q10
	qt_qemu10_wrapper "$q10root" "$q10"
	note "$("$q10/qemu-system-x86_64" --version | head -n 1)"
fi
[ -e /dev/iommu ] || modprobe -q iommufd 2>/dev/null
path0=$PATH

# ------------------------------------------------------------ helpers
count() { qt_rd32 $((BAR + R_DMA_COUNT)); }

# Files under /dev QEMU holds (sorted, space separated).
held() {
	for f in /proc/"$1"/fd/*; do readlink "$f"; done 2>/dev/null |
		grep -E '^/dev/(iommu|vfio/)' | sort -u | tr '\n' ' ' |
		sed 's/ $//'
}

# ------------------------------------------------------------ a client
# client LABEL QEMU_DIR MODE UUID: PER items; returns 1 when a step the
# rest depends on failed (the caller fails the remaining items).
client() {
	local label=$1 qdir=$2 mode=$3 u=$4 grp cdev d dev want msg rc
	local c0 c1 c2 rmpid t qpid node

	# -------------------------------------------------- the mdev
	echo "$u" > "$TYPE/create" && [ -d "$MDEVS/$u" ] ||
		{ nok "$label: mdev $u created"; return 1; }
	UUIDS+=("$u")
	grp=$(readlink "$MDEVS/$u/iommu_group") ||
		{ nok "$label: mdev $u has an IOMMU group"; return 1; }
	grp=${grp##*/}
	cdev=
	for d in "$MDEVS/$u"/vfio-dev/vfio*; do
		[ -e "$d" ] && cdev=/dev/vfio/devices/${d##*/}
	done
	dev="vfio-pci,sysfsdev=$MDEVS/$u,addr=$SLOT,id=ms0"
	if [ "$mode" = iommufd ]; then
		[ -n "$cdev" ] && [ -c "$cdev" ] ||
			{ nok "$label: mdev $u has a device cdev"; return 1; }
		dev="$dev,iommufd=iommufd0"
		want="/dev/iommu $cdev"
	else
		want="/dev/vfio/$grp /dev/vfio/vfio"
	fi
	ok "$label: mdev $u created: group $grp${cdev:+, $cdev}"

	# -------------------------------------------------- QEMU
	qt_machine "$dev"
	[ "$mode" = iommufd ] && qemu_args+=(-object "iommufd,id=iommufd0")
	PATH=$qdir${qdir:+:}$path0
	QT_LOG=$out/qemu-mdev-${label// /-}.log
	QT_LOG=${QT_LOG//,/}
	note "$label: qemu-system-x86_64 ${qemu_args[*]} -qtest stdio"
	t=$SECONDS
	if ! qt_start "$QT_LOG" "${qemu_args[@]}"; then
		PATH=$path0
		nok "$label: QEMU started"
		qt_dump
		qt_stop
		return 1
	fi
	PATH=$path0
	qpid=$QT_PID
	ok "$label: QEMU started ($((SECONDS - t)) s)"
	msg=$(held "$qpid")
	check "$label: QEMU holds exactly $want (holds: $msg)" test "$msg" = "$want"

	# -------------------------------------------------- config space
	qt_cfg_dev 0 $SLOT 0
	qt_cfg_rd32 0 && c0=$QT_VAL && qt_cfg_rd32 8 && c1=$QT_VAL ||
		{ nok "$label: config read"; return 1; }
	check "$label: config: 00:0$SLOT.0 is 1234:6d64, class $(hex $MS_CLASS) (read $(hex "$c0"), class/rev $(hex "$c1"))" \
		test "$c0" = $MS_ID -a $((c1 >> 8)) = $MS_CLASS
	qt_cfg_wr32 0x10 0xffffffff && qt_cfg_rd32 0x10 ||
		{ nok "$label: config: BAR0 sizing"; return 1; }
	check "$label: config: BAR0 is a 4 KiB 32-bit memory BAR (sizing read $(hex "$QT_VAL"))" \
		test $((QT_VAL & ~0xf)) = $((0xffffffff & ~(MS_BAR_SIZE - 1))) \
		-a $((QT_VAL & 0x7)) = 0
	qt_cfg_wr32 0x10 $BAR && qt_cfg_rd32 0x10 && c0=$QT_VAL &&
		qt_cfg_rd16 4 && qt_cfg_wr16 4 $((QT_VAL | 0x6)) &&
		qt_cfg_rd16 4 ||
		{ nok "$label: config: BAR0 and command"; return 1; }
	[ $((c0 & ~0xf)) = $((BAR)) ] && [ $((QT_VAL & 6)) = 6 ] ||
		{ nok "$label: config: BAR0 = $BAR, memory + bus master on (BAR0 $(hex "$c0"), command $(hex "$QT_VAL"))"; return 1; }
	ok "$label: config: BAR0 = $BAR, command $(hex "$QT_VAL") (memory + bus master)"

	# -------------------------------------------------- BAR0
	qt_rd32 $((BAR + R_IDENT)) || { nok "$label: BAR0 read"; return 1; }
	check "$label: BAR0: IDENT = $(hex $MS_IDENT) (read $(hex "$QT_VAL"))" \
		test "$QT_VAL" = $MS_IDENT
	qt_wr32 $((BAR + R_SCRATCH)) 0x12345678 && qt_rd32 $((BAR + R_SCRATCH)) &&
		c0=$QT_VAL && qt_wr32 $((BAR + R_SCRATCH)) 0xa5a55a5a &&
		qt_rd32 $((BAR + R_SCRATCH)) || { nok "$label: BAR0: SCRATCH"; return 1; }
	check "$label: BAR0: SCRATCH keeps 0x12345678 and 0xa5a55a5a (read $(hex "$c0"), $(hex "$QT_VAL"))" \
		test "$c0" = $((0x12345678)) -a "$QT_VAL" = $((0xa5a55a5a))

	# -------------------------------------------------- DMA
	count && c0=$QT_VAL && qt_random_fill $SRC $DMA_LEN &&
		qt_cmd "memset $(hex $DST_RW) $DMA_LEN 0" &&
		qt_cmd "memset $(hex $DST_PIN) $DMA_LEN 0" ||
		{ nok "$label: DMA: write the pattern"; return 1; }
	ms_dma $SRC $DST_RW $DMA_LEN $DMA_START ||
		{ nok "$label: DMA (rw)"; return 1; }
	rc=$QT_VAL
	qt_mem_is $DST_RW $DMA_LEN "$QT_PAT" || rc=bad
	check "$label: DMA (vfio_dma_rw): $DMA_LEN bytes $(hex $SRC) -> $(hex $DST_RW) match, STATUS $rc" \
		test "$rc" = 0
	count && c1=$QT_VAL || { nok "$label: DMA_COUNT"; return 1; }
	ms_dma $SRC $DST_PIN $DMA_LEN $((DMA_START | DMA_PIN)) ||
		{ nok "$label: DMA (pin)"; return 1; }
	rc=$QT_VAL
	qt_mem_is $DST_PIN $DMA_LEN "$QT_PAT" || rc=bad
	check "$label: DMA (vfio_pin_pages): $DMA_LEN bytes $(hex $SRC) -> $(hex $DST_PIN) match, STATUS $rc" \
		test "$rc" = 0
	count && c2=$QT_VAL || { nok "$label: DMA_COUNT"; return 1; }
	check "$label: DMA_COUNT $c0 -> $c1 -> $c2" test "$c0 $c1 $c2" = "0 1 2"

	# -------------------------------------------------- MSI
	qt_msi_enable $MSI_ADDR 0x4d61 ||
		{ nok "$label: config: MSI enable"; return 1; }
	check "$label: MSI: capability at $(hex "$QT_MSI_CAP"), control $(hex "$QT_MSI_CTL") -> $(hex "$QT_VAL") (enabled, 64-bit)" \
		test "$QT_MSI_CAP" = $MS_MSI_CAP -a $((QT_VAL & 0x81)) = $((0x81))
	rc=1
	qt_cmd "memset $(hex $MSI_ADDR) 4 0" &&
		qt_wr32 $((BAR + R_IRQ_RAISE)) 1 &&
		qt_poll32 $MSI_ADDR 0xffff 0x4d61 15 &&
		qt_rd32 $((BAR + R_IRQ_STATUS)) && c0=$QT_VAL &&
		qt_wr32 $((BAR + R_IRQ_ACK)) 1 &&
		qt_rd32 $((BAR + R_IRQ_STATUS)) && c1=$QT_VAL &&
		[ "$c0" = 1 ] && [ "$c1" = 0 ] && rc=0
	check "$label: MSI: IRQ_RAISE -> message 0x4d61 at $(hex $MSI_ADDR), IRQ_STATUS ${c0:-?}, after ACK ${c1:-?}" \
		test $rc = 0
	rc=1
	c0=
	c1=
	qt_cfg_wr16 "$QT_MSI_DATA" 0x4d62 &&
		qt_cmd "memset $(hex $MSI_ADDR) 4 0" &&
		qt_cmd "memset $(hex $DST_IRQ) 256 0" &&
		ms_dma $SRC $DST_IRQ 256 $((DMA_START | DMA_IRQ)) &&
		[ "$QT_VAL" = 0 ] &&
		qt_poll32 $MSI_ADDR 0xffff 0x4d62 15 &&
		qt_rd32 $((BAR + R_IRQ_STATUS)) && c0=$QT_VAL &&
		qt_wr32 $((BAR + R_IRQ_ACK)) $IRQ_DMA && count && c1=$QT_VAL &&
		qt_mem_is $DST_IRQ 256 "${QT_PAT:0:512}" && rc=0
	check "$label: MSI: DMA with the IRQ flag -> message 0x4d62, IRQ_STATUS $(hex "${c0:-0}") (bit 8), DMA_COUNT ${c1:-?}" \
		test $rc = 0 -a $((${c0:-0} & IRQ_DMA)) != 0 -a "$c1" = 3

	# -------------------------------------------------- remove, release
	# As upstream, the bus link goes at once, the device (below its
	# parent) stays, and keeps working for QEMU, until QEMU closes it.
	node=$(readlink -f "$MDEVS/$u")
	(echo 1 > "$MDEVS/$u/remove") 2> "$tmp/remove.err" &
	rmpid=$!
	sleep 1
	rc=1
	_gl_alive "$rmpid" && [ -d "$node" ] &&
		qt_wr32 $((BAR + R_SCRATCH)) 0x600dcafe &&
		qt_rd32 $((BAR + R_SCRATCH)) && [ "$QT_VAL" = $((0x600dcafe)) ] &&
		rc=0
	check "$label: remove while QEMU holds the mdev blocks, ${node#/sys/devices/} stays and still answers QEMU" \
		test $rc = 0

	t=$SECONDS
	qt_stop
	check "$label: QEMU ended by SIGTERM: exit status $QT_EXIT ($((SECONDS - t)) s)" \
		test "$QT_EXIT" = 0
	qt_log_clean "$label: QEMU printed no VFIO warnings or errors" "$QT_LOG"

	rc=timeout
	for ((t = 0; t < 100; t++)); do
		_gl_alive "$rmpid" || { wait "$rmpid"; rc=$?; break; }
		sleep 0.1
	done
	msg=$(vfio_users)
	check "$label: the remove completed after QEMU closed the mdev (status $rc$(sed 's/^/: /' "$tmp/remove.err"))${msg:+, VFIO files held by $msg}" \
		test "$rc" = 0 -a ! -e "$MDEVS/$u" -a ! -e "$node" -a -z "$msg"
	[ -e "$MDEVS/$u" ] && return 1
	return 0
}

# run LABEL QEMU_DIR MODE UUID, failing what a broken step left out.
run() {
	local first=$n
	t=$SECONDS
	client "$@" || qt_stop
	while [ $n -lt $((first + PER)) ]; do
		nok "$1: not run (an earlier step failed)"
	done
	note "$1: $((SECONDS - t)) s"
}

skip_client() { # LABEL REASON
	local i
	for ((i = 0; i < PER; i++)); do ok "$1 # SKIP $2"; done
}

run "QEMU 7.2, group" "" group 0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00a701
if [ -z "$q10" ]; then
	skip_client "QEMU 10, group" "no QEMU 10 (qemu10.sh has not fetched it)"
	skip_client "QEMU 10, iommufd" "no QEMU 10 (qemu10.sh has not fetched it)"
else
	run "QEMU 10, group" "$q10" group 0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00a702
	if [ -e /dev/iommu ]; then
		run "QEMU 10, iommufd" "$q10" iommufd 0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00a703
	else
		skip_client "QEMU 10, iommufd" "no /dev/iommu"
	fi
fi

if [ $loaded = 1 ]; then
	check "vfio_mdev_sample unloads" modprobe -r vfio_mdev_sample &&
		loaded=0
else
	ok "vfio_mdev_sample unloads # SKIP it was loaded before the test"
fi
note "total $((SECONDS - t_start)) s"
exit $((nfail != 0))
