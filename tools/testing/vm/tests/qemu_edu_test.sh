#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A real VFIO client (TAP): QEMU 7.2 assigns edu #0 with
# "-device vfio-pci,host=..." to a nested q35 machine that boots nothing
# (qemu/qtest-lib.sh: halting firmware, qtest protocol on stdin/stdout),
# and the test plays the guest driver through qtest commands: config
# cycles on 0xcf8/0xcfc, BAR0 programming, MMIO registers, INTx, MSI and
# DMA into the nested machine's RAM. Everything QEMU does for that goes
# through the VFIO stack under test: container + type1 DMA mappings,
# device regions (config, BAR mmap), SET_IRQS (INTx with unmask, MSI
# eventfds), reset and release when QEMU exits.
#
# QEMU_TEST_EMULATED=1 runs the same guest-side steps against QEMU's own
# emulated edu (no VFIO, host-side checks skipped): tells a test bug from
# a stack bug.

# "A && B || fatal": fatal is meant to run when either fails.
# shellcheck disable=SC2015,SC2317
# Prologue (bash, guest-lib.sh, out, tmp), the nested machine's layout
# (EDU_*) and the edu helpers: all in the library.
# shellcheck source=tools/testing/vm/tests/qemu/qtest-lib.sh
. "$(dirname "$0")/qemu/qtest-lib.sh"

BDF=$VFIO_EDU0

QT_LOG=$out/qemu-edu.log
trap qt_cleanup EXIT
trap 'exit 1' TERM INT

irqs() { qt_vfio_irqs "$1" "$BDF"; }

if ! command -v qemu-system-x86_64 > /dev/null; then
	echo "1..0 # SKIP qemu-system-x86_64 is not installed"
	exit 4
fi
echo "1..20"
note "$(qemu-system-x86_64 --version | head -n 1); VFIO stack: ${VFIO_STACK:-?}"
t_start=$SECONDS

# ---------------------------------------------------------------- setup
if [ "$emulated" = 1 ]; then
	dev="edu,addr=$EDU_SLOT,id=edu0"
	ok "emulated edu (QEMU_TEST_EMULATED=1): no VFIO # SKIP"
else
	grp=$(vfio_bind "$BDF") ||
		fatal "edu0 ($BDF) bound to vfio-pci"
	bound=1
	ok "edu0 ($BDF) bound to vfio-pci, /dev/vfio/$grp"
	dev="vfio-pci,host=$BDF,addr=$EDU_SLOT,id=edu0"
fi

qt_machine "$dev"
note "qemu-system-x86_64 ${qemu_args[*]} -qtest stdio"
t=$SECONDS
qt_start "$out/qemu-edu.log" "${qemu_args[@]}" \
	-qtest-log "$out/qtest-edu.log" ||
	fatal "nested QEMU started with $dev"
ok "nested QEMU started with $dev ($((SECONDS - t)) s)"
qt_cmd "irq_intercept_in ioapic" || fatal "qtest: irq_intercept_in ioapic"

# --------------------------------------------------------- config space
qt_cfg_dev 0 $EDU_SLOT 0
qt_cfg_rd32 0 || fatal "config read of 00:0$EDU_SLOT.0"
[ "$QT_VAL" = $((0x11e81234)) ] ||
	fatal "vendor:device of 00:0$EDU_SLOT.0 is 1234:11e8 (read $(hex "$QT_VAL"))"
ok "config: 00:0$EDU_SLOT.0 is 1234:11e8"

# BAR0 sizing as firmware does it: all ones, read the mask back.
qt_cfg_wr32 0x10 0xffffffff && qt_cfg_rd32 0x10 || fatal "config: BAR0 sizing"
mask=$QT_VAL
check "config: BAR0 is a 1 MiB 32-bit memory BAR (sizing read $(hex "$mask"))" \
	test $((mask & ~0xf)) = $((0xfff00000)) -a $((mask & 0x7)) = 0
qt_cfg_wr32 0x10 $EDU_BAR && qt_cfg_rd32 0x10 || fatal "config: BAR0 write"
bar=$((QT_VAL & ~0xf))
qt_cfg_rd16 4 && qt_cfg_wr16 4 $((QT_VAL | 0x6)) && qt_cfg_rd16 4 ||
	fatal "config: command register"
cmd=$QT_VAL
[ $bar = $((EDU_BAR)) ] && [ $((cmd & 0x6)) = 6 ] ||
	fatal "config: BAR0 = $EDU_BAR, memory + bus master on (BAR0 $(hex $bar), command $(hex "$cmd"))"
ok "config: BAR0 = $EDU_BAR, command $(hex "$cmd") (memory + bus master)"

# ----------------------------------------------------------------- MMIO
qt_rd32 $EDU_BAR || fatal "MMIO read of BAR0"
check "MMIO: identification register = 0x010000ed (read $(hex "$QT_VAL"))" \
	test "$QT_VAL" = $((0x010000ed))

qt_wr32 $((EDU_BAR + 4)) 0x12345678 && qt_rd32 $((EDU_BAR + 4)) || fatal "MMIO: liveness"
check "MMIO: liveness register inverts 0x12345678 (read $(hex "$QT_VAL"))" \
	test "$QT_VAL" = $((0xedcba987))

t=$SECONDS
qt_wr32 $((EDU_BAR + 8)) 10 && qt_poll32 $((EDU_BAR + 0x20)) 1 0 20 &&
	qt_rd32 $((EDU_BAR + 8)) || fatal "MMIO: factorial"
check "MMIO: factorial of 10 = 3628800 (read $QT_VAL, $((SECONDS - t)) s)" \
	test "$QT_VAL" = 3628800

# ----------------------------------------------------------------- INTx
[ "$emulated" = 1 ] || before=$(irqs intx)
qt_cfg_rd8 0x3d || fatal "config: interrupt pin"
pin=$QT_VAL
intx_ok=1
qt_edu_intx
case $? in
0) ;;
1) note "$QT_WHY"; intx_ok=0 ;;
*) fatal "MMIO: raise and acknowledge the interrupt" ;;
esac
if [ "$emulated" = 1 ]; then
	msg="host count not checked"
else
	after=$(irqs intx)
	msg="host vfio-intx($BDF) count $before -> $after"
	[ "$after" -gt "$before" ] || intx_ok=0
fi
check "INTx: pin $pin, raise -> nested GSI $EDU_GSI raised, acknowledge -> lowered; $msg" \
	test $intx_ok = 1

# ------------------------------------------------------------------ MSI
qt_msi_enable $EDU_MSI_ADDR 0x4d51 || fatal "config: MSI enable"
msi=$QT_MSI_CAP
ctl=$QT_MSI_CTL
ctl_on=$QT_VAL
m_ok=1
msg=
if [ "$emulated" != 1 ]; then
	sleep 0.5
	if grep -q "vfio-msi\\[0\\]($BDF)" /proc/interrupts; then
		msg="; host has vfio-msi[0]($BDF)"
	else
		msg="; host has no vfio-msi[0]($BDF) line"
		m_ok=0
	fi
	grep -q "vfio-intx($BDF)" /proc/interrupts &&
		{ msg="$msg, vfio-intx still there"; m_ok=0; }
fi
[ $((ctl_on & 1)) = 1 ] || m_ok=0
check "MSI: capability at $(hex "$msi"), control $(hex "$ctl") -> $(hex "$ctl_on")$msg" \
	test $m_ok = 1

[ "$emulated" = 1 ] || before=$(irqs msi)
qt_edu_msi_raise 1 0x4d51 && qt_edu_msi_raise 2 0x4d52
rc=$?
msg="host count not checked"
if [ "$emulated" != 1 ]; then
	after=$(irqs msi)
	msg="host vfio-msi count $before -> $after"
	[ "$after" -ge $((before + 2)) ] || rc=1
fi
check "MSI: two raises -> messages 0x4d51, 0x4d52 written to $(hex $EDU_MSI_ADDR); $msg" \
	test $rc = 0

# ------------------------------------------------------------------ DMA
qt_random_fill $EDU_SRC $EDU_LEN &&
	qt_cmd "memset $(hex $EDU_DST) $EDU_LEN 0" || fatal "qtest: write the pattern"

t=$SECONDS
qt_edu_dma $EDU_SRC $EDU_BUF 1
check "DMA: $EDU_LEN random bytes RAM $(hex $EDU_SRC) -> edu $(hex $EDU_BUF) ($((SECONDS - t)) s)" \
	test $? = 0

# edu -> RAM, with the completion interrupt (status bit 8) as MSI.
t=$SECONDS
qt_cfg_wr16 "$QT_MSI_DATA" 0x4d53 && qt_cmd "memset $(hex $EDU_MSI_ADDR) 4 0" ||
	fatal "config: MSI data"
qt_edu_dma $EDU_BUF $EDU_DST 7
rc=$?
qt_mem_is $EDU_DST $EDU_LEN "$QT_PAT" || rc=1
check "DMA: edu -> RAM $(hex $EDU_DST): the $EDU_LEN bytes match ($((SECONDS - t)) s)" \
	test $rc = 0
qt_poll32 $EDU_MSI_ADDR 0xffff 0x4d53 15 && qt_rd32 $((EDU_BAR + 0x24)) &&
	[ $((QT_VAL & 0x100)) != 0 ] && qt_wr32 $((EDU_BAR + 0x64)) 0x100
check "DMA: completion interrupt delivered as MSI 0x4d53" test $? = 0

# ------------------------------------------------------- MSI off, INTx
qt_cfg_wr16 $((msi + 2)) $((ctl_on & ~1)) || fatal "config: MSI disable"
if [ "$emulated" = 1 ]; then
	ok "MSI disabled # SKIP no host side"
else
	sleep 0.5
	m_ok=1
	grep -q "vfio-msi\\[0\\]($BDF)" /proc/interrupts && m_ok=0
	grep -q "vfio-intx($BDF)" /proc/interrupts || m_ok=0
	check "MSI disabled: host vfio-msi line freed, vfio-intx back" test $m_ok = 1
fi

# ------------------------------------------------------------- release
t=$SECONDS
qpid=$QT_PID
qt_stop
check "nested QEMU ended by SIGTERM: exit status $QT_EXIT ($((SECONDS - t)) s)" \
	test "$QT_EXIT" = 0
if grep -Eiq 'vfio|error' "$out/qemu-edu.log"; then
	nok "QEMU printed no VFIO warnings or errors"
	sed 's/^/#   /' "$out/qemu-edu.log"
else
	ok "QEMU printed no VFIO warnings or errors"
fi

if [ "$emulated" = 1 ]; then
	ok "device released # SKIP no host side"
	ok "reopened # SKIP no host side"
	ok "unbound # SKIP no host side"
	exit $((nfail != 0))
fi
sleep 0.5
users=$(vfio_users)
check "no process holds VFIO files after QEMU $qpid exited${users:+ (held by: $users)}" \
	test -z "$users" -a -z "$(grep "vfio-[a-z]*\\(\\[[0-9]*\\]\\)\\?($BDF)" /proc/interrupts)"

# A second user of the same device: open after release.
t=$SECONDS
if qt_start "$out/qemu-edu2.log" "${qemu_args[@]}" \
	-qtest-log "$out/qtest-edu2.log" && qt_cfg_rd32 0 &&
   [ "$QT_VAL" = $((0x11e81234)) ] && qt_cfg_wr32 0x10 $EDU_BAR &&
   qt_cfg_wr16 4 2 && qt_rd32 $EDU_BAR && [ "$QT_VAL" = $((0x010000ed)) ] &&
   qt_wr32 $((EDU_BAR + 4)) 0x0f0f0f0f && qt_rd32 $((EDU_BAR + 4)) &&
   [ "$QT_VAL" = $((0xf0f0f0f0)) ]; then
	qt_stop
	ok "second QEMU: the device works again ($((SECONDS - t)) s)"
else
	note "last value read: $(hex "${QT_VAL:-0}")"
	qt_stop
	nok "second QEMU: the device works again"
	sed 's/^/#   /' "$out/qemu-edu2.log"
fi

bound=0
check "edu0 released from vfio-pci" vfio_unbind "$BDF"
note "total $((SECONDS - t_start)) s"
exit $((nfail != 0))
