# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# shellcheck disable=SC2034 # QT_*, EDU_*, qemu_args, out...: for the caller
#
# Drive a nested QEMU through its qtest protocol, from bash (source it).
# The tests in tools/testing/vm/tests/qemu_*_test.sh use it to make QEMU
# 7.2 a real VFIO client without booting a guest OS in it.
#
# Debian's QEMU has no qtest accelerator, so the machine runs with
# "-accel tcg" and a 64 KiB firmware that only halts (qt_halt_bios): the
# vCPU sleeps at the reset vector, nothing reprograms the devices behind
# our back, and the virtual clock runs (edu completes DMA from a
# QEMU_CLOCK_VIRTUAL timer, which never fires with "-S"; qtest's
# clock_step only exists with the qtest accelerator).
#
#   qt_halt_bios FILE        write the halting firmware
#   qt_start LOG ARG...      start qemu-system-x86_64 ARG... -qtest stdio,
#                            its stderr to LOG
#   qt_cmd LINE              send one command, wait for its reply:
#                            status 0 on "OK", the reply's value (after
#                            "OK ") in QT_REPLY, as a number in QT_VAL when
#                            it fits; "IRQ raise|lower N" lines that come
#                            meanwhile are appended to QT_IRQS (after
#                            "irq_intercept_in ioapic"; PCI GSIs only)
#   qt_wait_irq GSI STATE S  wait up to S seconds for "IRQ STATE GSI"
#                            (STATE raise|lower); status 0 if it came
#   qt_stop                  SIGTERM QEMU (qtest has no quit command),
#                            SIGKILL after 20 s; exit status in QT_EXIT
#   qt_cfg_dev BUS DEV FN    select the function for the qt_cfg_* helpers
#   qt_cfg_rd{8,16,32} REG   config read (0xcf8/0xcfc cycles) -> QT_VAL
#   qt_cfg_wr{8,16,32} REG V config write
#   qt_rd32 ADDR, qt_wr32 ADDR V       MMIO (readl/writel) -> QT_VAL
#   qt_find_cap ID           offset of a capability in the list -> QT_VAL
#   qt_poll32 ADDR MASK WANT S  read ADDR until (value & MASK) == WANT,
#                            for at most S seconds
#   qt_irq_count REGEXP      sum of the host's /proc/interrupts counts of
#                            the lines matching REGEXP (printed)
#
#   qt_machine DEV           the nested machine with DEV in it: q35, TCG,
#                            256 MiB, the halting firmware (in $tmp);
#                            command line in the array qemu_args
#   qt_msi_enable ADDR DATA  program and enable the function's MSI
#                            capability, one vector (message ADDR/DATA)
#   qt_vfio_irqs KIND BDF    host /proc/interrupts count of BDF's
#                            vfio-KIND line(s) (intx, msi, msix)
#   qt_edu_* and EDU_*       edu in the nested machine (section below)
#   qt_qemu10_root           where QEMU 10 is unpacked ($VFIO_QEMU_ROOT, or
#                            qemu10.sh's cache), printed; status 1 if none
#   qt_qemu10_wrapper ROOT DIR  DIR/qemu-system-x86_64 runs ROOT's QEMU
#                            with its firmware and modules (exec: its pid
#                            is QEMU's), for PATH
#
# Every helper prints "qtest: ..." to stderr and returns 1 on failure.
# QT_TIMEOUT (default 60) bounds the wait for one reply: QEMU runs under
# TCG inside the test VM, and its start-up alone takes seconds.
#
# Sourcing this file is also the prologue of the qemu_*_test.sh tests and
# of `make demo` (see the TAP scaffolding at the end): the run-tests.sh
# "sh TEST" goes on under bash, guest-lib.sh comes along. The next line is
# plain sh on purpose: dash runs it before it reads the bash below.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

QT_TIMEOUT=${QT_TIMEOUT:-60}
QT_PID=
QT_EXIT=
QT_REPLY=
QT_VAL=
QT_IRQS=()
QT_CFG=0

qt_err() { echo "qtest: $*" >&2; return 1; }

qt_halt_bios() {
	# 64 KiB, mapped by QEMU just below 4 GiB: the reset vector at
	# 0xfffffff0 (file offset 0xfff0) is "cli; hlt; jmp hlt".
	{
		head -c 65520 /dev/zero
		printf '\372\364\353\375'
		head -c 12 /dev/zero
	} > "$1"
}

qt_start() {
	local log=$1
	shift
	QT_ARGS=("$@")
	QT_IRQS=()
	QT_EXIT=
	coproc QT_QEMU {
		exec qemu-system-x86_64 "${QT_ARGS[@]}" -qtest stdio 2> "$log"
	}
	QT_PID=$QT_QEMU_PID
	# The first reply also tells that the machine is realized.
	qt_cmd "endianness" || return 1
}

# Only PCI interrupts (GSI 16-23 on q35) are kept: the PIT ticks on GSI
# 0/2 all the time.
qt_note_irq() {
	case ${1##* } in
	1[6-9]|2[0-3]) QT_IRQS+=("$1") ;;
	esac
}

qt_cmd() {
	local l
	QT_REPLY=''
	QT_VAL=''
	[ -n "${QT_QEMU[1]:-}" ] || qt_err "QEMU is not running ('$1')" || return 1
	echo "$1" >&"${QT_QEMU[1]}" || qt_err "QEMU is gone ('$1')" || return 1
	while :; do
		[ -n "${QT_QEMU[0]:-}" ] ||
			qt_err "QEMU exited ('$1')" || return 1
		IFS= read -r -t "$QT_TIMEOUT" l <&"${QT_QEMU[0]}"
		case $? in
		0) ;;
		1) qt_err "QEMU closed its output ('$1')"; return 1 ;;
		*) qt_err "no reply to '$1' within ${QT_TIMEOUT}s"; return 1 ;;
		esac
		case $l in
		"IRQ "*) qt_note_irq "$l" ;;
		OK) return 0 ;;
		"OK "*)
			QT_REPLY=${l#OK }
			case $QT_REPLY in
			0x*) [ ${#QT_REPLY} -le 18 ] && QT_VAL=$((QT_REPLY)) ;;
			esac
			return 0
			;;
		*) qt_err "'$1' -> '$l'"; return 1 ;;
		esac
	done
}

qt_wait_irq() { # GSI raise|lower SECONDS
	local l i end=$((SECONDS + $3))
	for i in "${QT_IRQS[@]}"; do
		[ "$i" = "IRQ $2 $1" ] && return 0
	done
	while [ $SECONDS -le $end ]; do
		[ -n "${QT_QEMU[0]:-}" ] || return 1
		IFS= read -r -t 1 l <&"${QT_QEMU[0]}" || continue
		case $l in
		"IRQ "*) qt_note_irq "$l" ;;
		*) qt_err "unexpected output '$l'"; return 1 ;;
		esac
		[ "$l" = "IRQ $2 $1" ] && return 0
	done
	return 1
}

# Last state (raise/lower) QEMU reported for GSI $1, "none" if none.
qt_irq_state() {
	local i st=none
	for i in "${QT_IRQS[@]}"; do
		case $i in
		"IRQ raise $1") st=raise ;;
		"IRQ lower $1") st=lower ;;
		esac
	done
	echo "$st"
}

qt_stop() {
	local i
	[ -n "$QT_PID" ] || return 0
	kill -TERM "$QT_PID" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$QT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$QT_PID" 2>/dev/null; then
		qt_err "QEMU $QT_PID ignored SIGTERM for 20 s: SIGKILL"
		kill -KILL "$QT_PID" 2>/dev/null
	fi
	wait "$QT_PID" 2>/dev/null
	QT_EXIT=$?
	QT_PID=
	return 0
}

qt_cfg_dev() { # BUS DEV FN
	QT_CFG=$((0x80000000 | ($1 << 16) | ($2 << 11) | ($3 << 8)))
}

_qt_cf8() {
	qt_cmd "$(printf 'outl 0xcf8 0x%x' $((QT_CFG | ($1 & 0xfc))))"
}

qt_cfg_rd32() { _qt_cf8 "$1" && qt_cmd "inl 0xcfc"; }
qt_cfg_rd16() { _qt_cf8 "$1" && qt_cmd "$(printf 'inw 0x%x' $((0xcfc + ($1 & 2))))"; }
qt_cfg_rd8() { _qt_cf8 "$1" && qt_cmd "$(printf 'inb 0x%x' $((0xcfc + ($1 & 3))))"; }
qt_cfg_wr32() { _qt_cf8 "$1" && qt_cmd "$(printf 'outl 0xcfc 0x%x' "$2")"; }
qt_cfg_wr16() {
	_qt_cf8 "$1" && qt_cmd "$(printf 'outw 0x%x 0x%x' $((0xcfc + ($1 & 2))) "$2")"
}
qt_cfg_wr8() {
	_qt_cf8 "$1" && qt_cmd "$(printf 'outb 0x%x 0x%x' $((0xcfc + ($1 & 3))) "$2")"
}

qt_rd32() { qt_cmd "$(printf 'readl 0x%x' "$1")"; }
qt_wr32() { qt_cmd "$(printf 'writel 0x%x 0x%x' "$1" "$2")"; }

qt_find_cap() { # ID
	local pos n=0
	qt_cfg_rd16 6 || return 1
	[ $((QT_VAL & 0x10)) != 0 ] || qt_err "no capability list" || return 1
	qt_cfg_rd8 0x34 || return 1
	pos=$((QT_VAL & 0xfc))
	while [ $pos -ne 0 ] && [ $n -lt 48 ]; do
		qt_cfg_rd8 "$pos" || return 1
		if [ "$QT_VAL" -eq $(($1)) ]; then
			QT_VAL=$pos
			return 0
		fi
		qt_cfg_rd8 $((pos + 1)) || return 1
		pos=$((QT_VAL & 0xfc))
		n=$((n + 1))
	done
	qt_err "capability $1 not found"
}

qt_poll32() { # ADDR MASK WANT SECONDS
	local end=$((SECONDS + $4))
	while :; do
		qt_rd32 "$1" || return 1
		[ $((QT_VAL & $2)) -eq $(($3)) ] && return 0
		[ $SECONDS -le $end ] || break
		sleep 0.05
	done
	qt_err "$(printf 'readl 0x%x = 0x%x, (& 0x%x) != 0x%x after %ss' \
		"$1" "$QT_VAL" "$2" "$3" "$4")"
}

qt_irq_count() { # REGEXP
	QT_RE=$1 awk '
	$0 ~ ENVIRON["QT_RE"] { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; f = 1 }
	END { print n + 0; exit !f }' /proc/interrupts
}

qt_vfio_irqs() { # KIND BDF
	qt_irq_count "vfio-$1(\\[[0-9]+\\])?\\($2\\)"
}

qt_machine() { # DEV
	qt_halt_bios "$tmp/halt.bin"
	qemu_args=(-machine q35 -accel tcg -nodefaults -display none -m 256
		   -bios "$tmp/halt.bin" -device "$1")
}

# After it: QT_MSI_CAP (capability offset), QT_MSI_CTL (message control
# before), QT_MSI_DATA (config offset of the data register: it moves with
# 64-bit addressing) and QT_VAL (message control after).
qt_msi_enable() { # ADDR DATA
	qt_find_cap 5 || return 1
	QT_MSI_CAP=$QT_VAL
	qt_cfg_rd16 $((QT_MSI_CAP + 2)) || return 1
	QT_MSI_CTL=$QT_VAL
	if [ $((QT_MSI_CTL & 0x80)) != 0 ]; then
		QT_MSI_DATA=$((QT_MSI_CAP + 12))
		qt_cfg_wr32 $((QT_MSI_CAP + 8)) 0 || return 1
	else
		QT_MSI_DATA=$((QT_MSI_CAP + 8))
	fi
	qt_cfg_wr32 $((QT_MSI_CAP + 4)) "$1" && qt_cfg_wr16 "$QT_MSI_DATA" "$2" &&
		qt_cfg_wr16 $((QT_MSI_CAP + 2)) $(((QT_MSI_CTL & ~0x70) | 1)) &&
		qt_cfg_rd16 $((QT_MSI_CAP + 2))
}

# ---- edu in the nested machine (qemu_edu_test.sh, make demo) ------------
# The device in slot 4 of bus 0 (QEMU's q35 routes its INTA to IOAPIC
# input 20), BAR0 (1 MiB) below the IOAPIC, test data in the 256 MiB of
# RAM (edu's DMA mask is 28 bits). edu's registers (BAR0 offsets): 0x00
# identification, 0x04 liveness (reads back inverted), 0x08 factorial,
# 0x20 status (bit 0: factorial busy), 0x24/0x60/0x64 interrupt status/
# raise/acknowledge, 0x80/0x88/0x90/0x98 DMA source/destination/count/
# command.
EDU_SLOT=4
EDU_GSI=20
EDU_BAR=0xfe000000
EDU_MSI_ADDR=0x200000	# MSI writes land in RAM, where qtest can see them
EDU_SRC=0x100000	# DMA pattern
EDU_DST=0x180000	# DMA copy back
EDU_BUF=0x40000		# edu's 4 KiB DMA buffer
EDU_LEN=1024

# qt_edu_intx: edu raises its interrupt as INTx (MSI off). QEMU emulates
# the level-triggered line: VFIO masks it on each interrupt, QEMU raises
# the pin and unmasks at the next BAR access (EOI). Status 0 when nested
# GSI EDU_GSI went up with status bit 0 set and the acknowledge cleared
# both; 1 with the findings in QT_WHY; 2 when a qtest command failed.
qt_edu_intx() {
	local status st
	QT_WHY=
	QT_IRQS=()
	qt_wr32 $((EDU_BAR + 0x60)) 1 || return 2
	qt_wait_irq $EDU_GSI raise 15 ||
		QT_WHY+="no 'IRQ raise $EDU_GSI' within 15 s: ${QT_IRQS[*]:-(no PCI IRQ events)}; "
	qt_rd32 $((EDU_BAR + 0x24)) || return 2
	[ "$QT_VAL" = 1 ] ||
		QT_WHY+="interrupt status $(printf '0x%x' "$QT_VAL"), want 0x1; "
	QT_IRQS=()
	qt_wr32 $((EDU_BAR + 0x64)) 1 || return 2
	sleep 0.5
	qt_rd32 $((EDU_BAR + 0x24)) || return 2
	status=$QT_VAL
	sleep 0.5
	# A command round trip collects the IRQ lines that came meanwhile.
	qt_cmd "endianness" || return 2
	st=$(qt_irq_state $EDU_GSI)
	[ "$status" = 0 ] && [ "$st" != raise ] ||
		QT_WHY+="after acknowledge: status $(printf '0x%x' "$status"), GSI $EDU_GSI '$st'; "
	QT_WHY=${QT_WHY%; }
	[ -z "$QT_WHY" ]
}

# qt_edu_msi_raise BIT DATA: program DATA (after qt_msi_enable), make edu
# raise BIT, wait for DATA to land at EDU_MSI_ADDR (QEMU's write of the
# message into the nested RAM), check and acknowledge the status bit.
qt_edu_msi_raise() {
	qt_cfg_wr16 "$QT_MSI_DATA" "$2" &&
		qt_cmd "memset $(printf '0x%x' $EDU_MSI_ADDR) 4 0" &&
		qt_wr32 $((EDU_BAR + 0x60)) "$1" &&
		qt_poll32 $EDU_MSI_ADDR 0xffff "$2" 15 &&
		qt_rd32 $((EDU_BAR + 0x24)) &&
		[ $((QT_VAL & $1)) != 0 ] &&
		qt_wr32 $((EDU_BAR + 0x64)) "$1"
}

# qt_edu_dma SRC DST CMD: one transfer of EDU_LEN bytes, waited for. edu
# copies through its buffer at EDU_BUF, from a QEMU timer (100 ms of
# virtual time); CMD 1: RAM -> edu, 3: edu -> RAM, | 4: interrupt when
# done. Never address the buffer's last byte: QEMU aborts.
qt_edu_dma() {
	qt_wr32 $((EDU_BAR + 0x80)) "$1" && qt_wr32 $((EDU_BAR + 0x88)) "$2" &&
		qt_wr32 $((EDU_BAR + 0x90)) $EDU_LEN &&
		qt_wr32 $((EDU_BAR + 0x98)) "$3" &&
		qt_poll32 $((EDU_BAR + 0x98)) 1 0 20
}

# ---- QEMU 10 (qemu10.sh's copy, unpacked beside Debian's 7.2) -----------

qt_qemu10_root() {
	local root=${VFIO_QEMU_ROOT:-}

	[ -n "$root" ] ||
		root=$(sh "$VFIO_SRC/tools/testing/vm/qemu10.sh" --print \
			2> /dev/null | tail -n 1)
	[ -n "$root" ] && [ -x "$root/usr/bin/qemu-system-x86_64" ] ||
		return 1
	echo "$root"
}

qt_qemu10_wrapper() { # ROOT DIR
	mkdir -p "$2" || return 1
	cat > "$2/qemu-system-x86_64" <<-EOF
	#!/bin/sh
	QEMU_MODULE_DIR=$1/usr/lib/x86_64-linux-gnu/qemu \\
		exec "$1/usr/bin/qemu-system-x86_64" \\
		-L "$1/usr/share/qemu" -L /usr/share/qemu "\$@"
	EOF
	chmod +x "$2/qemu-system-x86_64"
}

# ---- TAP scaffolding shared by the qemu_*_test.sh tests ----------------
# Sourcing sets emulated (QEMU_TEST_EMULATED=1: QEMU's emulated device, no
# VFIO), out (artifact dir: VFIO_TEST_OUT, else /tmp) and tmp (a fresh
# scratch dir, removed by qt_cleanup). The test sets BDF, QT_LOG (the
# nested QEMU's stderr) and bound=1 once it has bound BDF to vfio-pci.

QT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VFIO_SRC=${VFIO_SRC:-$(cd "$QT_LIB_DIR/../../../../.." && pwd)}
# shellcheck source=tools/testing/vm/guest-lib.sh
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"
emulated=${QEMU_TEST_EMULATED:-0}
out=${VFIO_TEST_OUT:-/tmp}
tmp=$(mktemp -d)

n=0
nfail=0
bound=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
check() { # DESCRIPTION COMMAND...: one item; status of the command
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; return 1; fi
}
note() { echo "# $*"; }
hex() { printf '0x%x' "$1"; }

# qt_log_clean DESCRIPTION LOG [IGNORE]: one item, ok when QEMU's LOG has
# no VFIO, IOMMU, error or warning line (but those matching the ERE
# IGNORE); the lines found are noted.
qt_log_clean() {
	local msg l

	if [ -n "${3:-}" ]; then
		msg=$(grep -Ev "$3" "$2" | grep -Ei 'vfio|iommu|error|warning')
	else
		msg=$(grep -Ei 'vfio|iommu|error|warning' "$2")
	fi
	if [ -z "$msg" ]; then
		ok "$1"
	else
		nok "$1"
		while IFS= read -r l; do note "  $l"; done <<< "$msg"
	fi
}

# qt_random_fill ADDR LEN: LEN random bytes into guest RAM at ADDR; their
# hex (no 0x) is left in QT_PAT.
qt_random_fill() {
	QT_PAT=$(head -c "$2" /dev/urandom | od -An -v -tx1 | tr -d ' \n')
	qt_cmd "write $(hex "$1") $2 0x$QT_PAT"
}

# qt_mem_is ADDR LEN HEX: guest RAM at ADDR holds HEX (no 0x); if not,
# notes the starts of both and fails. A failed read ends the test.
qt_mem_is() {
	local got
	qt_cmd "read $(hex "$1") $2" || fatal "qtest: read back"
	got=${QT_REPLY#0x}
	[ "$got" = "$3" ] && return 0
	note "want ${3:0:64}..."
	note "got  ${got:0:64}..."
	return 1
}

qt_dump() {
	note "---- nested QEMU stderr ($QT_LOG):"
	sed 's/^/#   /' "$QT_LOG" 2>/dev/null | tail -n 30
	note "---- kernel log (tail):"
	dmesg | tail -n 20 | sed 's/^/#   /'
}

# A step the following ones depend on failed: the plan fails the rest.
fatal() {
	nok "$*"
	qt_dump
	exit 1
}

# Also on a fatal step: give the device back for the next tests.
qt_cleanup() {
	qt_stop
	[ "$bound" = 1 ] && [ "$(vfio_driver_of "$BDF")" = vfio-pci ] &&
		vfio_unbind "$BDF"
	rm -rf "$tmp"
}
