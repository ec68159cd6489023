#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest half of `make demo` (tools/testing/demo.sh): install the VFIO stack
# ($VFIO_STACK, default ours), hand the first edu device to vfio-pci, and
# let QEMU 7.2 use it as a VFIO client: "-device vfio-pci,host=BDF" in a
# nested machine that boots nothing. The demo plays the nested machine's
# edu driver through qtest (tests/qemu/qtest-lib.sh, as
# tests/qemu_edu_test.sh does): config cycles on 0xcf8/0xcfc, BAR0 MMIO,
# INTx, MSI, DMA into the nested RAM. QEMU turns each of these into VFIO
# calls: config region reads/writes, the BAR mmap, SET_IRQS with eventfds,
# type1 DMA mappings of the nested RAM. Every step says what it does and
# what came back; exit status 0 when all of them worked.

# "A && B || stop": stop is meant to run when either fails.
# shellcheck disable=SC2015
VFIO_TEST_OUT=${VFIO_TEST_OUT:-${VM_OUT:-/tmp}}
# shellcheck source=tools/testing/vm/tests/qemu/qtest-lib.sh
. "$(dirname "$0")/tests/qemu/qtest-lib.sh"

stack=${VFIO_STACK:-ours}
QT_LOG=$out/qemu-edu-demo.log
nstep=0
nbad=0
t_start=$SECONDS

step() { nstep=$((nstep + 1)); printf '\n[%2d] %s\n' "$nstep" "$*"; }
say() { printf '     %s\n' "$*"; }
good() { printf '     ok: %s\n' "$*"; }
bad() { nbad=$((nbad + 1)); printf '     FAILED: %s\n' "$*"; }

summary() {
	echo
	if [ $nbad = 0 ]; then
		echo "demo: all $nstep steps ok ($((SECONDS - t_start)) s in the VM)"
	else
		echo "demo: $nbad of $nstep steps FAILED (logs: $out)"
	fi
	[ $nbad = 0 ]
}

# A step the next ones need failed: say why, show the logs, stop here.
stop() {
	bad "$*"
	qt_dump
	summary
	exit 1
}

trap qt_cleanup EXIT
trap 'exit 1' TERM INT

# What QEMU holds: its VFIO files and VmLck (what type1 charged to its
# locked_vm for the pinned nested RAM).
qemu_files() {
	local f l list=
	for f in "/proc/$QT_PID/fd/"*; do
		l=$(readlink "$f") || continue
		case $l in
		/dev/vfio/*|*vfio*) case " $list " in *" $l "*) ;; *) list="$list $l" ;; esac ;;
		esac
	done
	echo "${list# }"
}
qemu_vmlck() { awk '$1 == "VmLck:" { print $2 }' "/proc/$QT_PID/status"; }

# ------------------------------------------------------------------------
BDF=$(vfio_devs 1234:11e8 | head -n 1)
step "The test VM: kernel $(uname -r), QEMU's edu device"
[ -n "$BDF" ] || stop "no edu device (1234:11e8) in the VM"
say "$(lspci -s "$BDF" -nn)"
drv=$(vfio_driver_of "$BDF")
good "edu at $BDF, IOMMU group $(vfio_group_of "$BDF"), driver: ${drv:-none}"

if [ "$stack" = ours ]; then
	step "Load our VFIO modules (make install as a user would, then modprobe vfio-pci)"
	say "(kbuild and depmod under TCG: 1-2 minutes)"
else
	step "Load the kernel's own VFIO modules (--stack intree)"
fi
# (Kbuild's modules_install warns about System.map: the Makefile's install
# runs depmod itself.)
vfio_use_stack 2>&1 | grep -v "missing 'System.map'" | sed 's/^/     | /'
[ "${PIPESTATUS[0]}" = 0 ] || stop "the $stack VFIO stack did not load"
mods=
for m in iommufd vfio vfio_cdev vfio_group vfio_iommu_type1 vfio_pci_core vfio_pci; do
	[ -d "/sys/module/$m" ] && mods="$mods $m"
done
good "loaded:$mods (vfio from $(dirname "$(modinfo -n vfio)"))"

step "Bind edu $BDF to vfio-pci (driver_override + drivers_probe)"
grp=$(vfio_bind "$BDF") || stop "vfio-pci did not take $BDF"
bound=1
members=
for m in "/sys/kernel/iommu_groups/$grp/devices/"*; do
	members="$members ${m##*/}"
done
say "IOMMU group $grp holds:$members"
good "$BDF is driven by $(vfio_driver_of "$BDF"); group node /dev/vfio/$grp"

qt_machine "vfio-pci,host=$BDF,addr=$EDU_SLOT,id=edu0"
step "Start QEMU with the device assigned: -device vfio-pci,host=$BDF"
say "$(qemu-system-x86_64 --version | head -n 1)"
say "qemu-system-x86_64 ${qemu_args[*]} -qtest stdio"
say "(a nested q35 machine whose firmware only halts; this script is its driver)"
t=$SECONDS
qt_start "$QT_LOG" "${qemu_args[@]}" -qtest-log "$out/qtest-edu-demo.log" &&
	qt_cmd "irq_intercept_in ioapic" || stop "QEMU did not start"
files=$(qemu_files)
lck=$(qemu_vmlck)
say "QEMU (pid $QT_PID) holds: $files"
say "its locked_vm: ${lck:-?} kB (type1 pinned the nested RAM for device DMA)"
[ "${files#*/dev/vfio/vfio}" != "$files" ] && [ "${files#*"/dev/vfio/$grp"}" != "$files" ] &&
	[ "${lck:-0}" -gt 0 ] && good "QEMU is up after $((SECONDS - t)) s, it owns the device" ||
	bad "QEMU did not open the container, the group or map its RAM"

step "Config space: who is in slot $EDU_SLOT? (cycles on ports 0xcf8/0xcfc)"
qt_cfg_dev 0 $EDU_SLOT 0
qt_cfg_rd32 0 || stop "config read of 00:0$EDU_SLOT.0"
say "outl 0xcf8 $(hex $QT_CFG); inl 0xcfc -> $(hex "$QT_VAL")"
[ "$QT_VAL" = $((0x11e81234)) ] && good "vendor 1234, device 11e8: edu, through VFIO's config region" ||
	stop "vendor:device $(hex "$QT_VAL"), want 0x11e81234"

step "BAR0: size it, place it at $(hex $EDU_BAR), enable memory decoding + bus mastering"
qt_cfg_wr32 0x10 0xffffffff && qt_cfg_rd32 0x10 || stop "BAR0 sizing"
mask=$QT_VAL
say "wrote 0xffffffff, read back $(hex "$mask"): $(( ((~(mask & ~0xf) + 1) & 0xffffffff) >> 10 )) KiB, 32-bit memory"
qt_cfg_wr32 0x10 $EDU_BAR && qt_cfg_rd32 0x10 && bar=$((QT_VAL & ~0xf)) &&
	qt_cfg_rd16 4 && qt_cfg_wr16 4 $((QT_VAL | 0x6)) && qt_cfg_rd16 4 ||
	stop "BAR0 and command register"
cmd=$QT_VAL
[ "$bar" = $((EDU_BAR)) ] && [ $((cmd & 0x6)) = 6 ] &&
	good "BAR0 = $(hex "$bar"), command register $(hex "$cmd")" ||
	stop "BAR0 $(hex "$bar"), command $(hex "$cmd")"

step "MMIO through BAR0 (QEMU maps the VFIO BAR region into the nested machine)"
qt_rd32 $EDU_BAR || stop "MMIO read"
id=$QT_VAL
say "identification register: $(printf '0x%08x' "$id") (edu $((id >> 24)).$((id >> 16 & 0xff)))"
qt_wr32 $((EDU_BAR + 4)) 0x12345678 && qt_rd32 $((EDU_BAR + 4)) || stop "MMIO: liveness"
live=$QT_VAL
say "liveness register: wrote 0x12345678, read $(hex "$live") (the device inverts it)"
qt_wr32 $((EDU_BAR + 8)) 10 && qt_poll32 $((EDU_BAR + 0x20)) 1 0 20 &&
	qt_rd32 $((EDU_BAR + 8)) || stop "MMIO: factorial"
fact=$QT_VAL
say "factorial register: wrote 10, read $fact"
[ "$id" = $((0x010000ed)) ] && [ "$live" = $((0xedcba987)) ] && [ "$fact" = 3628800 ] &&
	good "the device answers" || bad "wrong values"

step "INTx: edu raises its interrupt, the driver acknowledges it"
before=$(qt_vfio_irqs intx "$BDF")
qt_edu_intx
rc=$?
[ $rc = 2 ] && stop "qtest failed"
after=$(qt_vfio_irqs intx "$BDF")
say "host: vfio-intx($BDF) fired $before -> $after; nested machine: IOAPIC pin $EDU_GSI went up, then down"
[ $rc = 0 ] && [ "$after" -gt "$before" ] &&
	good "level-triggered INTx through VFIO (masked by the host, unmasked by QEMU)" ||
	bad "${QT_WHY:-the host saw no interrupt}"

step "MSI: enable it (message address $(hex $EDU_MSI_ADDR), data 0x4d51), raise two interrupts"
qt_msi_enable $EDU_MSI_ADDR 0x4d51 || stop "MSI enable"
say "MSI capability at $(hex "$QT_MSI_CAP"), control $(hex "$QT_MSI_CTL") -> $(hex "$QT_VAL")"
before=$(qt_vfio_irqs msi "$BDF")
qt_edu_msi_raise 1 0x4d51 && qt_edu_msi_raise 2 0x4d52
rc=$?
after=$(qt_vfio_irqs msi "$BDF")
say "host: vfio-msi[0]($BDF) fired $before -> $after; QEMU wrote the messages into the nested RAM"
[ $rc = 0 ] && [ "$after" -ge $((before + 2)) ] &&
	good "messages 0x4d51 and 0x4d52 arrived at $(hex $EDU_MSI_ADDR)" ||
	bad "the MSI messages did not come through"

step "DMA to the device: $EDU_LEN random bytes, nested RAM $(hex $EDU_SRC) -> edu buffer $(hex $EDU_BUF)"
pat=$(head -c "$EDU_LEN" /dev/urandom | od -An -v -tx1 | tr -d ' \n')
qt_cmd "write $(hex $EDU_SRC) $EDU_LEN 0x$pat" &&
	qt_cmd "memset $(hex $EDU_DST) $EDU_LEN 0" || stop "qtest: write the pattern"
say "pattern: ${pat:0:32}..."
t=$SECONDS
qt_edu_dma $EDU_SRC $EDU_BUF 1 &&
	good "done in $((SECONDS - t)) s: edu read the nested RAM through the IOMMU" ||
	bad "the transfer did not complete"

step "DMA back: edu buffer -> nested RAM $(hex $EDU_DST), completion interrupt as MSI 0x4d53"
qt_cfg_wr16 "$QT_MSI_DATA" 0x4d53 && qt_cmd "memset $(hex $EDU_MSI_ADDR) 4 0" ||
	stop "MSI data"
t=$SECONDS
qt_edu_dma $EDU_BUF $EDU_DST 7
rc=$?
qt_cmd "read $(hex $EDU_DST) $EDU_LEN" || stop "qtest: read back"
back=${QT_REPLY#0x}
say "read back: ${back:0:32}..."
qt_poll32 $EDU_MSI_ADDR 0xffff 0x4d53 15 && qt_rd32 $((EDU_BAR + 0x24)) &&
	[ $((QT_VAL & 0x100)) != 0 ] && qt_wr32 $((EDU_BAR + 0x64)) 0x100 ||
	rc=1
[ $rc = 0 ] && [ "$back" = "$pat" ] &&
	good "the $EDU_LEN bytes came back unchanged in $((SECONDS - t)) s; completion MSI arrived" ||
	bad "data or completion interrupt missing"

step "Stop QEMU: VFIO must let go of everything"
qpid=$QT_PID
qt_stop
sleep 0.5
users=$(vfio_users)
lines=$(grep -c "vfio-[a-z]*\\(\\[[0-9]*\\]\\)\\?($BDF)" /proc/interrupts)
say "QEMU $qpid exit status $QT_EXIT; processes holding VFIO files: ${users:-none}; vfio interrupt lines left: $lines"
if grep -Eiq 'vfio|error' "$QT_LOG"; then
	sed 's/^/     | /' "$QT_LOG"
	bad "QEMU printed VFIO warnings or errors"
elif [ "$QT_EXIT" = 0 ] && [ -z "$users" ] && [ "$lines" = 0 ]; then
	good "every VFIO file closed, every interrupt line freed"
else
	bad "QEMU left something behind"
fi

step "Give edu back: unbind it from vfio-pci, unload the VFIO modules"
bound=0
vfio_unbind "$BDF" && vfio_stack_unload &&
	good "$BDF driver: $(vfio_driver_of "$BDF" | grep . || echo none); no VFIO module loaded" ||
	bad "release or unload failed"

summary
