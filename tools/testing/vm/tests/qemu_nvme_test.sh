#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A real VFIO client (TAP), second device: QEMU 7.2 assigns the NVMe
# controller with "-device vfio-pci,host=..." to a nested q35 machine that
# boots nothing (qemu/qtest-lib.sh), and the test plays a minimal NVMe
# driver through qtest commands: config space and the 64-bit BAR0,
# controller registers, the MSI-X table programmed through MMIO (QEMU
# emulates it and turns it into VFIO_DEVICE_SET_IRQS for MSI-X), an admin
# queue pair in the nested RAM, one Identify Controller command (DMA both
# ways through the type1 mappings, completion interrupt as MSI-X), then
# release, and the device goes back to the nvme driver.
#
# QEMU_TEST_EMULATED=1 runs the guest-side steps against QEMU's emulated
# NVMe instead (no VFIO, host-side checks skipped).

# "A && B || fatal": fatal is meant to run when either fails.
# shellcheck disable=SC2015,SC2317
# Prologue (bash, guest-lib.sh, out, tmp): the library.
# shellcheck source=tools/testing/vm/tests/qemu/qtest-lib.sh
. "$(dirname "$0")/qemu/qtest-lib.sh"

BDF=$VFIO_NVME0

# Nested machine: the controller in slot 4 of bus 0, BAR0 below the
# IOAPIC, admin queues and buffers in its 256 MiB of RAM.
SLOT=4
BAR=0xfe000000
MSI_ADDR=0x200000	# MSI-X messages land in RAM, where qtest sees them
ASQ=0x100000		# admin submission queue (16 entries of 64 bytes)
ACQ=0x101000		# admin completion queue (16 entries of 16 bytes)
IDBUF=0x102000		# Identify Controller data (4 KiB)
QSIZE=16
CID=0x4b1d
VEC_DATA=0x6e31

QT_LOG=$out/qemu-nvme.log
trap qt_cleanup EXIT
trap 'exit 1' TERM INT

# Little-endian hex of a 32/64-bit value (qtest "write" takes bytes).
le32() {
	printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}
le64() { le32 $(($1 & 0xffffffff)); le32 $(($1 >> 32 & 0xffffffff)); }
# Bytes as hex -> text (NUL and trailing blanks dropped).
hex2txt() {
	# shellcheck disable=SC2059 # the format is the data, on purpose
	printf "$(echo "$1" | sed 's/../\\x&/g; s/\\x00//g')" | sed 's/ *$//'
}

if ! command -v qemu-system-x86_64 > /dev/null; then
	echo "1..0 # SKIP qemu-system-x86_64 is not installed"
	exit 4
fi
echo "1..17"
note "$(qemu-system-x86_64 --version | head -n 1); VFIO stack: ${VFIO_STACK:-?}"
t_start=$SECONDS

# ---------------------------------------------------------------- setup
if [ "$emulated" = 1 ]; then
	dev="nvme,serial=qtest,addr=$SLOT,id=nvme0"
	ok "emulated NVMe (QEMU_TEST_EMULATED=1): no VFIO # SKIP"
else
	native=$(vfio_driver_of "$BDF")
	grp=$(vfio_bind "$BDF") ||
		fatal "nvme ($BDF) bound to vfio-pci"
	bound=1
	ok "nvme ($BDF) moved from ${native:-no driver} to vfio-pci, /dev/vfio/$grp"
	dev="vfio-pci,host=$BDF,addr=$SLOT,id=nvme0"
fi

qt_machine "$dev"
note "qemu-system-x86_64 ${qemu_args[*]} -qtest stdio"
t=$SECONDS
qt_start "$out/qemu-nvme.log" "${qemu_args[@]}" \
	-qtest-log "$out/qtest-nvme.log" ||
	fatal "nested QEMU started with $dev"
ok "nested QEMU started with $dev ($((SECONDS - t)) s)"

# --------------------------------------------------------- config space
qt_cfg_dev 0 $SLOT 0
qt_cfg_rd32 0 || fatal "config read of 00:0$SLOT.0"
ids=$QT_VAL
qt_cfg_rd32 8 || fatal "config read of 00:0$SLOT.0"
class=$((QT_VAL >> 8))
[ "$ids" = $((0x00101b36)) ] && [ $class = $((0x010802)) ] ||
	fatal "config: 00:0$SLOT.0 is 1b36:0010, class 010802 (read $(hex "$ids"), class $(hex $class))"
ok "config: 00:0$SLOT.0 is 1b36:0010, class 010802 (NVMe)"

qt_cfg_wr32 0x10 0xffffffff && qt_cfg_rd32 0x10 && lo=$QT_VAL &&
	qt_cfg_wr32 0x14 0xffffffff && qt_cfg_rd32 0x14 && hi=$QT_VAL ||
	fatal "config: BAR0 sizing"
size=$(( (~((hi << 32) | (lo & ~0xf)) + 1) & 0xffffffffffffffff ))
[ $((lo & 0x7)) = 4 ] && [ $size -ge 16384 ] && [ $size -le 1048576 ] ||
	fatal "config: BAR0 is 64-bit memory (sizing read $(hex "$hi"):$(hex "$lo"))"
ok "config: BAR0 is a 64-bit memory BAR of $((size / 1024)) KiB"
qt_cfg_wr32 0x10 $BAR && qt_cfg_wr32 0x14 0 && qt_cfg_rd16 4 &&
	qt_cfg_wr16 4 $((QT_VAL | 0x6)) && qt_cfg_rd16 4 ||
	fatal "config: program BAR0, command register"
cmd=$QT_VAL
qt_cfg_rd32 0x10 || fatal "config: BAR0 read"
[ $((QT_VAL & ~0xf)) = $((BAR)) ] && [ $((cmd & 6)) = 6 ] ||
	fatal "config: BAR0 = $BAR, memory + bus master on (BAR0 $(hex "$QT_VAL"), command $(hex "$cmd"))"
ok "config: BAR0 = $BAR, command $(hex "$cmd") (memory + bus master)"

# -------------------------------------------------- controller registers
qt_rd32 $BAR && cap_lo=$QT_VAL && qt_rd32 $((BAR + 4)) && cap_hi=$QT_VAL &&
	qt_rd32 $((BAR + 8)) && vs=$QT_VAL && qt_rd32 $((BAR + 0x1c)) &&
	csts=$QT_VAL || fatal "MMIO: controller registers"
mqes=$(( (cap_lo & 0xffff) + 1 ))
dstrd=$((cap_hi & 0xf))
to=$(( (cap_lo >> 24) & 0xff ))
check "MMIO: CAP $(hex "$cap_hi")_$(printf %08x "$cap_lo") (MQES $mqes, DSTRD $dstrd), VS $(hex "$vs"), CSTS $(hex "$csts")" \
	test $((vs >> 16)) -ge 1 -a $mqes -ge $QSIZE -a $((cap_hi >> 5 & 1)) = 1 \
	     -a $((csts & 1)) = 0
DB_SQ0=$((BAR + 0x1000))
DB_CQ0=$((BAR + 0x1000 + (4 << dstrd)))

# ---------------------------------------------------------------- MSI-X
qt_find_cap 0x11 || fatal "MSI-X capability"
mx=$QT_VAL
qt_cfg_rd16 $((mx + 2)) && mctl=$QT_VAL && qt_cfg_rd32 $((mx + 4)) &&
	tbl=$QT_VAL && qt_cfg_rd32 $((mx + 8)) && pba=$QT_VAL ||
	fatal "config: MSI-X capability"
nvec=$(( (mctl & 0x7ff) + 1 ))
[ $((tbl & 7)) = 0 ] ||
	fatal "MSI-X table in BAR0 (BIR $((tbl & 7)))"
TABLE=$((BAR + (tbl & ~7)))
note "MSI-X at $(hex $mx): $nvec vectors, table BAR0+$(hex $((tbl & ~7))), PBA BAR$((pba & 7))+$(hex $((pba & ~7)))"

# Entry 0 (the admin completion queue's vector) unmasked, entries 1-3
# programmed but masked; then MSI-X enable with the function unmasked.
qt_wr32 $TABLE $MSI_ADDR && qt_wr32 $((TABLE + 4)) 0 &&
	qt_wr32 $((TABLE + 8)) $VEC_DATA && qt_wr32 $((TABLE + 12)) 0 ||
	fatal "MSI-X: table entry 0"
for v in 1 2 3; do
	[ $v -lt "$nvec" ] || break
	qt_wr32 $((TABLE + 16 * v)) $MSI_ADDR &&
		qt_wr32 $((TABLE + 16 * v + 4)) 0 &&
		qt_wr32 $((TABLE + 16 * v + 8)) $((VEC_DATA + v)) &&
		qt_wr32 $((TABLE + 16 * v + 12)) 1 || fatal "MSI-X: table entry $v"
done
qt_rd32 $((TABLE + 8)) && d0=$QT_VAL && qt_rd32 $((TABLE + 28)) &&
	c1=$QT_VAL || fatal "MSI-X: table read back"
qt_cfg_wr16 $((mx + 2)) $(((mctl & ~0x4000) | 0x8000)) &&
	qt_cfg_rd16 $((mx + 2)) || fatal "config: MSI-X enable"
mctl_on=$QT_VAL
mx_ok=1
msg=
[ "$d0" = $((VEC_DATA)) ] && [ "$c1" = 1 ] && [ $((mctl_on & 0xc000)) = $((0x8000)) ] || {
	mx_ok=0
	note "entry 0 data $(hex "$d0"), entry 1 control $(hex "$c1"), MSI-X control $(hex "$mctl_on")"
}
if [ "$emulated" != 1 ]; then
	sleep 0.5
	lines=$(grep -c "vfio-msix\\[[0-9]*\\]($BDF)" /proc/interrupts)
	msg="; host: $lines vfio-msix line(s)"
	grep -q "vfio-msix\\[0\\]($BDF)" /proc/interrupts || mx_ok=0
	grep -q "vfio-intx($BDF)" /proc/interrupts &&
		{ msg="$msg, vfio-intx still there"; mx_ok=0; }
fi
check "MSI-X: table programmed through MMIO, enabled (control $(hex "$mctl") -> $(hex "$mctl_on"))$msg" \
	test $mx_ok = 1

# ------------------------------------------------------ admin queue pair
qt_cmd "memset $(hex $ASQ) $((QSIZE * 64)) 0" &&
	qt_cmd "memset $(hex $ACQ) $((QSIZE * 16)) 0" &&
	qt_cmd "memset $(hex $IDBUF) 4096 0xa5" &&
	qt_cmd "memset $(hex $MSI_ADDR) 4 0" || fatal "qtest: clear the queues"
t=$SECONDS
qt_wr32 $((BAR + 0x24)) $(( (QSIZE - 1) << 16 | (QSIZE - 1) )) &&
	qt_wr32 $((BAR + 0x28)) $ASQ && qt_wr32 $((BAR + 0x2c)) 0 &&
	qt_wr32 $((BAR + 0x30)) $ACQ && qt_wr32 $((BAR + 0x34)) 0 &&
	qt_wr32 $((BAR + 0x14)) $(( 4 << 20 | 6 << 16 | 1 )) &&
	qt_poll32 $((BAR + 0x1c)) 3 1 $(( to / 2 + 10 )) ||
	fatal "controller enabled: CSTS.RDY = 1"
ok "controller enabled with a $QSIZE-entry admin queue pair: CSTS.RDY = 1 ($((SECONDS - t)) s)"

# Identify Controller: opcode 6, CNS 1, PRP1 = IDBUF.
before=0
[ "$emulated" = 1 ] ||
	before=$(qt_irq_count "vfio-msix\\[0\\]\\($BDF\\)")
sqe=$(le32 $((0x06 | CID << 16)))$(le32 0)$(le64 0)$(le64 0)$(le64 $IDBUF)
sqe=$sqe$(le64 0)$(le32 1)$(le32 0)$(le64 0)$(le64 0)
t=$SECONDS
qt_cmd "write $(hex $ASQ) 64 0x$sqe" && qt_wr32 $DB_SQ0 1 ||
	fatal "Identify submitted"
# Completion DW3: CID (15:0), phase (16), status (31:17).
qt_poll32 $((ACQ + 12)) 0x1ffff $((CID | 0x10000)) 20
rc=$?
dw3=${QT_VAL:-0}
qt_rd32 $((ACQ + 8)) && dw2=$QT_VAL || fatal "qtest: read the completion"
check "Identify: completion CID $(hex $CID), status $(hex $((dw3 >> 17))), SQ head $((dw2 & 0xffff)) ($((SECONDS - t)) s)" \
	test $rc = 0 -a $((dw3 >> 17)) = 0 -a $((dw2 & 0xffff)) = 1

qt_cmd "read $(hex $IDBUF) 64" || fatal "qtest: read the Identify data"
id=${QT_REPLY#0x}
vid=$((0x${id:2:2}${id:0:2}))
mn=$(hex2txt "${id:48:80}")
check "Identify: data DMAed into the nested RAM: VID $(hex $vid), model '$mn'" \
	test $vid = $((0x1b36)) -a "${mn#QEMU NVMe}" != "$mn"

qt_poll32 $MSI_ADDR 0xffffffff $VEC_DATA 15
rc=$?
msg="host count not checked"
if [ "$emulated" != 1 ]; then
	after=$(qt_irq_count "vfio-msix\\[0\\]\\($BDF\\)")
	msg="host vfio-msix[0] count $before -> $after"
	[ "$after" -gt "$before" ] || rc=1
fi
check "MSI-X: completion interrupt, vector 0 message $(hex $VEC_DATA) written to $(hex $MSI_ADDR); $msg" \
	test $rc = 0
qt_wr32 $DB_CQ0 1 || fatal "MMIO: completion queue head doorbell"

# ----------------------------------------------------------- shut down
qt_wr32 $((BAR + 0x14)) 0 && qt_poll32 $((BAR + 0x1c)) 1 0 20
check "controller disabled: CSTS.RDY = 0" test $? = 0
qt_cfg_wr16 $((mx + 2)) $((mctl_on & ~0x8000)) || fatal "config: MSI-X disable"
if [ "$emulated" = 1 ]; then
	ok "MSI-X disabled # SKIP no host side"
else
	sleep 0.5
	m_ok=1
	grep -q "vfio-msix\\[[0-9]*\\]($BDF)" /proc/interrupts && m_ok=0
	check "MSI-X disabled: host vfio-msix lines freed" test $m_ok = 1
fi

t=$SECONDS
qpid=$QT_PID
qt_stop
check "nested QEMU ended by SIGTERM: exit status $QT_EXIT ($((SECONDS - t)) s)" \
	test "$QT_EXIT" = 0
if grep -Eiq 'vfio|error' "$out/qemu-nvme.log"; then
	nok "QEMU printed no VFIO warnings or errors"
	sed 's/^/#   /' "$out/qemu-nvme.log"
else
	ok "QEMU printed no VFIO warnings or errors"
fi

if [ "$emulated" = 1 ]; then
	ok "device released # SKIP no host side"
	ok "back to nvme # SKIP no host side"
	exit $((nfail != 0))
fi
sleep 0.5
users=$(vfio_users)
check "no process holds VFIO files after QEMU $qpid exited${users:+ (held by: $users)}" \
	test -z "$users" -a -z "$(grep "vfio-[a-z]*\\(\\[[0-9]*\\]\\)\\?($BDF)" /proc/interrupts)"

# The native driver takes the controller back and brings it up.
bound=0
vfio_unbind "$BDF"
rc=$?
i=0
while [ $rc = 0 ] && [ $i -lt 100 ]; do
	[ "$(cat "/sys/bus/pci/devices/$BDF"/nvme/*/state 2>/dev/null)" = live ] &&
		break
	sleep 0.2
	i=$((i + 1))
done
state=$(cat "/sys/bus/pci/devices/$BDF"/nvme/*/state 2>/dev/null)
check "nvme ($BDF) back with ${native:-no driver}, controller state '${state:-none}'" \
	test $rc = 0 -a "$(vfio_driver_of "$BDF")" = "$native" -a "$state" = live
note "total $((SECONDS - t_start)) s"
exit $((nfail != 0))
