# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
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
# Every helper prints "qtest: ..." to stderr and returns 1 on failure.
# QT_TIMEOUT (default 60) bounds the wait for one reply: QEMU runs under
# TCG inside the test VM, and its start-up alone takes seconds.

# shellcheck disable=SC2034 # QT_EXIT, QT_REPLY: results for the caller
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

# ---- TAP scaffolding shared by the qemu_*_test.sh tests ----------------
# The test sets BDF, out (artifact dir), tmp (scratch dir), QT_LOG (the
# nested QEMU's stderr) and bound=1 once it has bound BDF to vfio-pci.

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
