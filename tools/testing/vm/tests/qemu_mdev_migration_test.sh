#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfio-test-timeout: 240
# vfio-test-vm: iommu debug
#
# Migration v2 proven by a real client (TAP): QEMU 10 migrates a nested
# machine holding a mediated device of the sample parent
# (mdev/samples/vfio_mdev_sample.ko, register map mdev_sample_regs.h)
# to a file, and a second QEMU 10 loads it onto another mdev:
#
#   source       -device vfio-pci,sysfsdev=.../A,enable-migration=on
#                QMP: migrate file:$tmp/mig.bin, query-migrate
#   destination  the same with .../B and -incoming file:$tmp/mig.bin
#
# Both run the halting firmware under TCG (qemu/qtest-lib.sh) and the
# test plays the guest driver through qtest; QMP goes through a pipe
# chardev (two FIFOs: no socat or python needed).
#
# The source machine is started with -S and never continued: QEMU
# migrates a machine in "prelaunch" like a running one (its vfio code
# saves through PRE_COPY, then STOP_COPY). On the destination the device
# stays in RESUMING until the machine starts (QEMU makes the
# RESUMING -> STOP arc, where the sample loads the stream, in its
# run-state handler), so the test sends "cont" there.
#
# Cases:
#   - mdevs A and B of the sample type created
#   - source: QEMU starts (-S), QMP answers, run state prelaunch
#   - source state set through qtest: BAR0 programmed, memory + bus
#     master, MSI enabled (address/data), SCRATCH, two DMA copies (rw and
#     PIN mode, data checked: DMA_COUNT 2), DMA_SRC/DST/LEN left holding
#     distinct 64-bit values, IRQ_STATUS bits raised and left unacked
#   - migrate to a file: query-migrate "completed", the file exists;
#     source run state postmigrate; source QEMU ends on SIGTERM with
#     status 0, its log without VFIO warnings or errors
#   - destination: QEMU starts with -incoming, the load completes
#     (query-migrate), "cont" makes it run
#   - B as the destination machine sees it equals A: config space
#     (1234:6d64, BAR0, command, MSI control/address/data) and BAR0
#     (SCRATCH, DMA_SRC/DST/LEN, DMA_STATUS, DMA_COUNT, IRQ_STATUS):
#     values, not only completion (a sample without migration support
#     fails here, or earlier: QEMU refuses enable-migration=on)
#   - B works: a DMA copy after migration (through the destination
#     QEMU's container mappings) lands in the nested RAM, DMA_COUNT 3;
#     IRQ_RAISE sends the migrated MSI message (the destination QEMU
#     re-enabled MSI from the migrated config space)
#   - destination QEMU ends on SIGTERM with status 0, no VFIO warnings
#   - the mdevs are removed, no VFIO file held; the sample unloads (if
#     this test loaded it)
#
# Skips: the in-tree stack (the sample parent is ours), no QEMU 10
# (tools/testing/vm/qemu10.sh --print; VFIO_QEMU_ROOT overrides).

# "A && B || fail": fail is meant to run when either fails.
# shellcheck disable=SC2015,SC2317
# shellcheck source=tools/testing/vm/tests/qemu/qtest-lib.sh
. "$(dirname "$0")/qemu/qtest-lib.sh"

skip_all() { echo "1..0 # SKIP $*"; exit 4; }

[ "${VFIO_STACK:-ours}" != intree ] ||
	skip_all "vfio_mdev_sample is ours: the in-tree stack has no sample parent"

q10root=$(qt_qemu10_root) ||
	skip_all "no QEMU 10 (qemu10.sh has not fetched it)"

# The register map (MS_*, R_*, DMA_*, IRQ_*).
# shellcheck source=tools/testing/vm/tests/qemu/mdev-sample.sh
. "$(dirname "$0")/qemu/mdev-sample.sh"

# The nested machine (as qemu_mdev_test.sh): the mdev in slot 4, BAR0
# below the IOAPIC, buffers and the MSI message in its RAM (IOVA = its
# physical address).
SLOT=4
BAR=0xfe000000
MSI_ADDR=0x200000
MSI_DATA=0x4d61
DMA_LEN=8192
SRC=0x100800
DST_RW=0x300400
DST_PIN=0x380c00
DST_B=0x3c0000
# Left in the DMA registers on A (never started with them): 64-bit
# values, so both halves must come across.
KEEP_SRC=0x123456789000
KEEP_DST=0xfedcba987000
KEEP_LEN=0x1234
SCRATCH=0x5eed1e55
IRQ_BITS=0x5		# raised on A, left unacked

UUID_A=0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00a7a1
UUID_B=0b1e2f4c-6d1a-4c59-8e3b-5a7d9c00a7b1
MIG=$tmp/mig.bin
QT_LOG=$out/qemu-mdev-mig-src.log
QMP_IN=
QMP_OUT=
QMP_REPLY=

# QEMU 10 with its firmware and modules (exec: the coproc pid is QEMU's).
qt_qemu10_wrapper "$q10root" "$tmp/q10"
PATH=$tmp/q10:$PATH

qmp_close() {
	[ -n "$QMP_IN" ] && exec {QMP_IN}>&-
	[ -n "$QMP_OUT" ] && exec {QMP_OUT}<&-
	QMP_IN=
	QMP_OUT=
	rm -f "$tmp/qmp.in" "$tmp/qmp.out"
}

# QEMU first, so that a remove does not wait for it.
cleanup() {
	qt_stop
	qmp_close
	ms_remove_left
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

# ------------------------------------------------------------ QMP
# The monitor on a pipe chardev: QEMU reads $tmp/qmp.in and writes
# $tmp/qmp.out, one JSON object a line. Both FIFOs are opened read-write
# here first, so neither side blocks in open().
qmp_args() {
	qmp_close
	mkfifo "$tmp/qmp.in" "$tmp/qmp.out" || return 1
	exec {QMP_IN}<> "$tmp/qmp.in" {QMP_OUT}<> "$tmp/qmp.out"
	qemu_args+=(-chardev "pipe,id=qmp0,path=$tmp/qmp"
		    -mon "chardev=qmp0,mode=control")
}

# qmp_line SECONDS: the next line QEMU wrote that is not an event (the
# events are noted) -> QMP_REPLY.
qmp_line() {
	local l
	while IFS= read -r -t "$1" l <&"$QMP_OUT"; do
		case $l in
		*'"event"'*) note "qmp event: $l" ;;
		*) QMP_REPLY=$l; return 0 ;;
		esac
	done
	echo "qmp: no reply within $1 s" >&2
	return 1
}

# qmp CMD [ARGS-JSON]: run a command; status 0 on a "return".
qmp() {
	QMP_REPLY=
	echo "{\"execute\": \"$1\"${2:+, \"arguments\": $2}}" >&"$QMP_IN" &&
		qmp_line 30 || return 1
	case $QMP_REPLY in
	*'"return"'*) return 0 ;;
	esac
	echo "qmp: $1 -> $QMP_REPLY" >&2
	return 1
}

# The greeting, then capabilities negotiation.
qmp_hello() {
	qmp_line 30 && case $QMP_REPLY in *'"QMP"'*) ;; *) false ;; esac &&
		qmp qmp_capabilities
}

# qmp_field NAME: the first string value of "NAME" in QMP_REPLY.
qmp_field() {
	sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" <<< "$QMP_REPLY"
}

# qmp_wait_mig SECONDS: poll query-migrate until completed or failed;
# the status is left in MIG_STATUS.
qmp_wait_mig() {
	local end=$((SECONDS + $1))
	MIG_STATUS=
	while [ $SECONDS -le $end ]; do
		qmp query-migrate || return 1
		MIG_STATUS=$(qmp_field status)
		case $MIG_STATUS in
		completed) return 0 ;;
		failed|cancelled)
			note "query-migrate: $QMP_REPLY"
			return 1
			;;
		esac
		sleep 0.2
	done
	note "query-migrate: $QMP_REPLY"
	return 1
}

# run_state: the machine's run state -> ST ("?" when QMP fails).
run_state() {
	ST='?'
	qmp query-status && ST=$(qmp_field status)
}

# ------------------------------------------------------------ helpers
bar_rd() { qt_rd32 $((BAR + $1)); }
bar_wr() { qt_wr32 $((BAR + $1)) "$2"; }

# dev_state: the device as the machine sees it, one "name=value" a
# word -> STATE (what must survive the migration).
dev_state() {
	local s='' r v
	qt_cfg_dev 0 $SLOT 0
	qt_cfg_rd32 0 && s+="id=$(hex "$QT_VAL") " &&
		qt_cfg_rd32 0x10 && s+="bar0=$(hex "$QT_VAL") " &&
		qt_cfg_rd16 4 && s+="cmd=$(hex $((QT_VAL & 0x7))) " &&
		qt_cfg_rd16 $((MS_MSI_CAP + 2)) && s+="msi_ctl=$(hex "$QT_VAL") " &&
		qt_cfg_rd32 $((MS_MSI_CAP + 4)) && s+="msi_addr=$(hex "$QT_VAL") " &&
		qt_cfg_rd16 $((MS_MSI_CAP + 12)) && s+="msi_data=$(hex "$QT_VAL") " ||
		return 1
	for r in SCRATCH:$R_SCRATCH DMA_SRC:$R_DMA_SRC \
		 DMA_SRC_HI:$((R_DMA_SRC + 4)) DMA_DST:$R_DMA_DST \
		 DMA_DST_HI:$((R_DMA_DST + 4)) DMA_LEN:$R_DMA_LEN \
		 DMA_STATUS:$R_DMA_STATUS DMA_COUNT:$R_DMA_COUNT \
		 IRQ_STATUS:$R_IRQ_STATUS; do
		bar_rd "${r#*:}" || return 1
		v=$(hex "$QT_VAL")
		s+="${r%%:*}=$v "
	done
	STATE=${s% }
}

# log_clean LABEL LOG: one item, the log's VFIO lines noted.
log_clean() {
	qt_log_clean "$1: QEMU printed no VFIO warnings or errors" "$2"
}

# start LABEL LOG UUID [ARG...]: a QEMU 10 with the mdev and QMP.
start() {
	local label=$1 log=$2 u=$3 t=$SECONDS
	shift 3
	qt_machine "vfio-pci,sysfsdev=$MDEVS/$u,addr=$SLOT,id=ms0,enable-migration=on"
	# The device-state arcs QEMU makes, traced to a file of their own.
	TRACE=${log%.log}-trace.log
	qemu_args+=("$@" -trace "vfio_migration_set_device_state" -D "$TRACE")
	qmp_args || { nok "$label: QMP FIFOs"; return 1; }
	QT_LOG=$log
	note "$label: qemu-system-x86_64 ${qemu_args[*]} -qtest stdio"
	if ! qt_start "$log" "${qemu_args[@]}" || ! qmp_hello; then
		nok "$label: QEMU 10 started, QMP answers"
		qt_dump
		return 1
	fi
	ok "$label: QEMU 10 started, QMP answers ($((SECONDS - t)) s)"
}

# arcs TRACE: the device states QEMU set, in order, space separated.
arcs() {
	awk '/vfio_migration_set_device_state/ { printf "%s%s", s, $NF; s = " " }' "$1"
}

# like STRING PATTERN: STRING matches the glob PATTERN.
like() {
	# shellcheck disable=SC2254 # a glob on purpose
	case $1 in
	$2) return 0 ;;
	esac
	return 1
}

# stop LABEL: SIGTERM, status 0, clean log.
stop() {
	local t=$SECONDS
	qt_stop
	qmp_close
	check "$1: QEMU ended by SIGTERM: exit status $QT_EXIT ($((SECONDS - t)) s)" \
		test "$QT_EXIT" = 0
	log_clean "$1" "$QT_LOG"
}

# ------------------------------------------------------------ the test
PLAN=25
echo "1..$PLAN"
t_start=$SECONDS
note "$(qemu-system-x86_64 --version | head -n 1); VFIO stack: ${VFIO_STACK:-?}"

# Not run items fail: a broken step ends the test here.
finish() {
	while [ $n -lt $PLAN ]; do nok "not run (an earlier step failed)"; done
	note "total $((SECONDS - t_start)) s"
	exit $((nfail != 0))
}

ms_load
for u in $UUID_A $UUID_B; do
	[ -d "$TYPE" ] && echo "$u" > "$TYPE/create" && [ -d "$MDEVS/$u" ] &&
		UUIDS+=("$u")
done
check "mdevs A $UUID_A and B $UUID_B of ${TYPE##*/} created $(cat "$tmp/modprobe.err" 2>/dev/null)" \
	test ${#UUIDS[@]} = 2 || finish

# ------------------------------------------------------------ source
src="source (A)"
start "$src" "$out/qemu-mdev-mig-src.log" "$UUID_A" -S || finish
run_state
check "$src: run state prelaunch (-S, never continued): $ST" \
	test "$ST" = prelaunch

rc=1
qt_cfg_dev 0 $SLOT 0
qt_cfg_wr32 0x10 $BAR && qt_cfg_rd16 4 && qt_cfg_wr16 4 $((QT_VAL | 0x6)) &&
	qt_msi_enable $MSI_ADDR $MSI_DATA &&
	[ $((QT_VAL & 0x81)) = $((0x81)) ] &&
	[ "$QT_MSI_DATA" = $((MS_MSI_CAP + 12)) ] && rc=0
check "$src: BAR0 = $BAR, memory + bus master on, MSI enabled, 64-bit (control $(hex "${QT_VAL:-0}"))" \
	test $rc = 0 || { qt_dump; finish; }

rc=1
bar_wr $R_SCRATCH $SCRATCH && qt_random_fill $SRC $DMA_LEN &&
	pat_a=$QT_PAT &&
	qt_cmd "memset $(hex $DST_RW) $DMA_LEN 0" &&
	qt_cmd "memset $(hex $DST_PIN) $DMA_LEN 0" &&
	ms_dma $SRC $DST_RW $DMA_LEN $DMA_START && [ "$QT_VAL" = 0 ] &&
	qt_mem_is $DST_RW $DMA_LEN "$pat_a" &&
	ms_dma $SRC $DST_PIN $DMA_LEN $((DMA_START | DMA_PIN)) &&
	[ "$QT_VAL" = 0 ] && qt_mem_is $DST_PIN $DMA_LEN "$pat_a" &&
	bar_rd $R_DMA_COUNT && [ "$QT_VAL" = 2 ] && rc=0
check "$src: two DMA copies of $DMA_LEN bytes (rw, PIN), data checked, DMA_COUNT 2" \
	test $rc = 0 || { qt_dump; finish; }

# Registers left with values of their own, an MSI message sent.
rc=1
bar_wr $R_DMA_SRC $((KEEP_SRC & 0xffffffff)) &&
	bar_wr $((R_DMA_SRC + 4)) $((KEEP_SRC >> 32)) &&
	bar_wr $R_DMA_DST $((KEEP_DST & 0xffffffff)) &&
	bar_wr $((R_DMA_DST + 4)) $((KEEP_DST >> 32)) &&
	bar_wr $R_DMA_LEN $KEEP_LEN &&
	qt_cmd "memset $(hex $MSI_ADDR) 4 0" &&
	bar_wr $R_IRQ_RAISE $IRQ_BITS &&
	qt_poll32 $MSI_ADDR 0xffff $MSI_DATA 15 && rc=0
check "$src: DMA registers set, IRQ_RAISE $(hex $IRQ_BITS) -> MSI message $(hex $MSI_DATA)" \
	test $rc = 0 || { qt_dump; finish; }
dev_state || { nok "$src: device state read"; qt_dump; finish; }
state_a=$STATE
note "A: $state_a"
want="id=$(hex $MS_ID) bar0=$(hex $BAR) cmd=0x6 msi_ctl=0x81 msi_addr=$(hex $MSI_ADDR) msi_data=$(hex $MSI_DATA) SCRATCH=$(hex $SCRATCH) DMA_SRC=$(hex $((KEEP_SRC & 0xffffffff))) DMA_SRC_HI=$(hex $((KEEP_SRC >> 32))) DMA_DST=$(hex $((KEEP_DST & 0xffffffff))) DMA_DST_HI=$(hex $((KEEP_DST >> 32))) DMA_LEN=$(hex $KEEP_LEN) DMA_STATUS=0x0 DMA_COUNT=0x2 IRQ_STATUS=$(hex $IRQ_BITS)"
check "$src: A holds the state set" test "$state_a" = "$want" ||
	note "want $want"

t=$SECONDS
rc=1
qmp migrate "{\"uri\": \"file:$MIG\"}" && qmp_wait_mig 60 && rc=0
vfio_bytes=$(sed -n 's/.*"vfio": *{ *"transferred": *\([0-9]*\).*/\1/p' <<< "$QMP_REPLY")
check "$src: migrate file:$MIG: ${MIG_STATUS:-?} ($((SECONDS - t)) s, $(stat -c %s "$MIG" 2>/dev/null) bytes, vfio ${vfio_bytes:-?} bytes)" \
	test $rc = 0 -a -s "$MIG" -a "${vfio_bytes:-0}" -gt 0 || { qt_dump; finish; }
# With -S the device was RUNNING: QEMU's save went through PRE_COPY.
a=$(arcs "$TRACE")
check "$src: device states QEMU set: $a (STOP_COPY, then STOP)" \
	like " $a" "* STOP_COPY STOP"
run_state
check "$src: run state after the migration: $ST" test "$ST" = postmigrate
# A stays stopped: its engine refuses a copy (EBUSY), DMA_COUNT stays.
rc=1
ms_dma $SRC $DST_RW 64 $DMA_START && c0=$QT_VAL && bar_rd $R_DMA_COUNT &&
	[ "$c0" = 16 ] && [ "$QT_VAL" = 2 ] && rc=0
check "$src: A is stopped after the migration: a DMA command gets STATUS ${c0:-?} (EBUSY), DMA_COUNT ${QT_VAL:-?}" \
	test $rc = 0
stop "$src"

# ------------------------------------------------------------ destination
dst="destination (B)"
start "$dst" "$out/qemu-mdev-mig-dst.log" "$UUID_B" -S -incoming "file:$MIG" ||
	finish
t=$SECONDS
rc=1
qmp_wait_mig 60 && rc=0
run_state
check "$dst: incoming migration ${MIG_STATUS:-?} ($((SECONDS - t)) s), run state $ST" \
	test $rc = 0 || { qt_dump; finish; }
# Before "cont" B is still RESUMING: noted, not checked (QEMU's order).
dev_state && note "B before cont: $STATE"
ST='?'
qmp cont && run_state
check "$dst: cont: run state $ST" test "$ST" = running || { qt_dump; finish; }
a=$(arcs "$TRACE")
check "$dst: device states QEMU set: $a (RESUMING, then RUNNING at cont)" \
	like " $a " " RESUMING *RUNNING "

dev_state || { nok "$dst: device state read"; qt_dump; finish; }
state_b=$STATE
note "B: $state_b"
check "$dst: B's config space and registers equal A's" \
	test "$state_b" = "$state_a" || note "A: $state_a"

# The DMA copy A made came along in RAM (QEMU's part); then B's own.
rc=1
qt_mem_is $DST_PIN $DMA_LEN "$pat_a" && rc=0
check "$dst: the nested RAM holds A's DMA copy" test $rc = 0
rc=1
qt_random_fill $SRC $DMA_LEN && pat_b=$QT_PAT &&
	qt_cmd "memset $(hex $DST_B) $DMA_LEN 0" &&
	ms_dma $SRC $DST_B $DMA_LEN $((DMA_START | DMA_PIN)) && dst_st=$QT_VAL &&
	qt_mem_is $DST_B $DMA_LEN "$pat_b" && bar_rd $R_DMA_COUNT &&
	[ "$dst_st" = 0 ] && [ "$QT_VAL" = 3 ] && rc=0
check "$dst: B's DMA after migration: $DMA_LEN bytes $(hex $SRC) -> $(hex $DST_B) match, STATUS ${dst_st:-?}, DMA_COUNT ${QT_VAL:-?}" \
	test $rc = 0
rc=1
c0=
bar_wr $R_IRQ_ACK $IRQ_BITS && bar_rd $R_IRQ_STATUS && c0=$QT_VAL &&
	qt_cmd "memset $(hex $MSI_ADDR) 4 0" &&
	bar_wr $R_IRQ_RAISE 1 && qt_poll32 $MSI_ADDR 0xffff $MSI_DATA 15 &&
	rc=0
check "$dst: ACK clears IRQ_STATUS (${c0:-?}); IRQ_RAISE -> the migrated MSI message $(hex $MSI_DATA)" \
	test $rc = 0 -a "$c0" = 0
stop "$dst"

# ------------------------------------------------------------ teardown
rc=0
for u in "${UUIDS[@]}"; do
	VFIO_UNBIND_WAIT=10 _gl_write_bounded 1 "$MDEVS/$u/remove" || rc=1
	[ -e "$MDEVS/$u" ] && rc=1
done
msg=$(vfio_users)
check "mdevs A and B removed${msg:+, VFIO files held by $msg}" \
	test $rc = 0 -a -z "$msg"
if [ $loaded = 1 ]; then
	check "vfio_mdev_sample unloads" modprobe -r vfio_mdev_sample &&
		loaded=0
else
	ok "vfio_mdev_sample unloads # SKIP it was loaded before the test"
fi
finish
