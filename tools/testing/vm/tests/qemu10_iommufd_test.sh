#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vfio-test-vm: iommu debug
# vfio-test-timeout: 900
#
# QEMU 10 as a real iommufd client (TAP): QEMU 10.0.2 (qemu10.sh's, the
# sriov VM's) assigns edu #0 to a nested q35 machine that boots nothing
# (qemu/qtest-lib.sh: halting firmware, qtest protocol on stdin/stdout)
# through the device cdev instead of a group:
#
#   -object iommufd,id=iommufd0
#   -device vfio-pci,host=BDF,iommufd=iommufd0
#
# QEMU opens /dev/iommu and /dev/vfio/devices/vfioN (no group, no
# container), binds the device (VFIO_DEVICE_BIND_IOMMUFD), asks
# IOMMU_GET_HW_INFO, allocates an IOAS, attaches the device (a HWPT of its
# own or the kernel's automatic one) and maps the nested machine's RAM
# with IOMMU_IOAS_MAP. The test plays the guest driver: config space,
# BAR0, the identification and liveness registers, the factorial, and DMA
# both ways through those mappings. QEMU runs as root: with CAP_IPC_LOCK
# iommufd charges nothing to RLIMIT_MEMLOCK, the pinned nested RAM shows
# in QEMU's VmPin.
#
# With strace(1) the first QEMU runs under "strace -f -e trace=ioctl":
# the sequence of its VFIO and iommufd ioctls (names decoded here, strace
# 6.1 knows neither) is printed as notes and kept in
# $VFIO_TEST_OUT/qemu10-iommufd.strace.
#
# Skips: no QEMU 10 (tools/testing/vm/qemu10.sh --print; VFIO_QEMU_ROOT
# overrides), no /dev/iommu (Debian's kernel with the in-tree stack), no
# device cdev.

# "A && B || fatal": fatal is meant to run when either fails.
# shellcheck disable=SC2015,SC2317
# shellcheck source=tools/testing/vm/tests/qemu/qtest-lib.sh
. "$(dirname "$0")/qemu/qtest-lib.sh"

BDF=$VFIO_EDU0
QT_LOG=$out/qemu10-iommufd.log
trace=$out/qemu10-iommufd.strace
trap qt_cleanup EXIT
trap 'exit 1' TERM INT

skip_all() { echo "1..0 # SKIP $*"; exit 4; }

root=$(qt_qemu10_root) ||
	skip_all "no QEMU 10 (tools/testing/vm/qemu10.sh has not fetched it)"
[ -e /dev/iommu ] || modprobe -q iommufd 2>/dev/null
[ -e /dev/iommu ] ||
	skip_all "no /dev/iommu: kernel without CONFIG_IOMMUFD, no iommufd.ko of ours"

# qt_start runs qemu-system-x86_64 from PATH: QEMU 10's, or a wrapper
# that runs it under strace.
export QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu
mkdir -p "$tmp/bin"
use_strace=0
if command -v strace > /dev/null; then
	use_strace=1
	cat > "$tmp/bin/qemu-system-x86_64" <<-EOF
	#!/bin/sh
	exec strace -f -qq --seccomp-bpf -e trace=ioctl -e raw=ioctl -o "$trace" \\
		"$root/usr/bin/qemu-system-x86_64" "\$@"
	EOF
	chmod +x "$tmp/bin/qemu-system-x86_64"
	PATH=$tmp/bin:$PATH
else
	PATH=$root/usr/bin:$PATH
fi

echo "1..18"
note "$("$root/usr/bin/qemu-system-x86_64" -L "$root/usr/share/qemu" --version | head -n 1); VFIO stack: ${VFIO_STACK:-?}"
t_start=$SECONDS

# ---------------------------------------------------------------- setup
grp=$(vfio_bind "$BDF") || fatal "edu0 ($BDF) bound to vfio-pci"
bound=1
cdev=
for d in /sys/bus/pci/devices/"$BDF"/vfio-dev/vfio*; do
	[ -e "$d" ] && cdev=/dev/vfio/devices/${d##*/}
done
if [ -z "$cdev" ] || [ ! -c "$cdev" ]; then
	vfio_unbind "$BDF"
	bound=0
	skip_all "$BDF has no device cdev (vfio without CONFIG_VFIO_DEVICE_CDEV)"
fi
ok "edu0 ($BDF) bound to vfio-pci: /dev/vfio/$grp, $cdev"

qt_machine "vfio-pci,host=$BDF,addr=$EDU_SLOT,id=edu0,iommufd=iommufd0"
qemu_args+=(-object "iommufd,id=iommufd0" -L "$root/usr/share/qemu"
	    -L /usr/share/qemu)
note "qemu-system-x86_64 ${qemu_args[*]} -qtest stdio"
t=$SECONDS
qt_start "$QT_LOG" "${qemu_args[@]}" -qtest-log "$out/qtest10.log" ||
	fatal "nested QEMU 10 started with iommufd"
ok "nested QEMU 10 started with iommufd ($((SECONDS - t)) s)"
qpid=$QT_PID
[ $use_strace = 1 ] && qpid=$(pgrep -P "$QT_PID" | head -n 1)

# What QEMU holds: the cdev and /dev/iommu, no group, no container.
held=$(for f in /proc/"$qpid"/fd/*; do readlink "$f"; done 2>/dev/null |
	grep -E '^/dev/(iommu|vfio/)' | sort -u | tr '\n' ' ')
check "QEMU (pid $qpid) holds $cdev and /dev/iommu, no group or container (holds: ${held% })" \
	test "${held% }" = "/dev/iommu $cdev"

# The nested RAM is pinned through iommufd: VmPin of QEMU.
pin=$(awk '/^VmPin:/ { print $2 }' "/proc/$qpid/status")
check "QEMU's VmPin covers the nested machine's 256 MiB (${pin:-?} kB)" \
	test "${pin:-0}" -ge $((256 * 1024))

# --------------------------------------------------------- config space
qt_cfg_dev 0 $EDU_SLOT 0
qt_cfg_rd32 0 || fatal "config read of 00:0$EDU_SLOT.0"
check "config: 00:0$EDU_SLOT.0 is 1234:11e8 (read $(hex "$QT_VAL"))" \
	test "$QT_VAL" = $((0x11e81234))
qt_cfg_wr32 0x10 0xffffffff && qt_cfg_rd32 0x10 || fatal "config: BAR0 sizing"
mask=$QT_VAL
check "config: BAR0 is a 1 MiB 32-bit memory BAR (sizing read $(hex "$mask"))" \
	test $((mask & ~0xf)) = $((0xfff00000)) -a $((mask & 0x7)) = 0
qt_cfg_wr32 0x10 $EDU_BAR && qt_cfg_rd16 4 &&
	qt_cfg_wr16 4 $((QT_VAL | 0x6)) && qt_cfg_rd16 4 ||
	fatal "config: BAR0 and command register"
check "config: memory + bus master on (command $(hex "$QT_VAL"))" \
	test $((QT_VAL & 0x6)) = 6

# ----------------------------------------------------------------- MMIO
qt_rd32 $EDU_BAR || fatal "MMIO read of BAR0"
check "MMIO: identification register = 0x010000ed (read $(hex "$QT_VAL"))" \
	test "$QT_VAL" = $((0x010000ed))
qt_wr32 $((EDU_BAR + 4)) 0x12345678 && qt_rd32 $((EDU_BAR + 4)) ||
	fatal "MMIO: liveness"
check "MMIO: liveness register inverts 0x12345678 (read $(hex "$QT_VAL"))" \
	test "$QT_VAL" = $((0xedcba987))
t=$SECONDS
qt_wr32 $((EDU_BAR + 8)) 10 && qt_poll32 $((EDU_BAR + 0x20)) 1 0 20 &&
	qt_rd32 $((EDU_BAR + 8)) || fatal "MMIO: factorial"
check "MMIO: factorial of 10 = 3628800 (read $QT_VAL, $((SECONDS - t)) s)" \
	test "$QT_VAL" = 3628800

# ------------------------------------------------------------------ DMA
qt_random_fill $EDU_SRC $EDU_LEN &&
	qt_cmd "memset $(hex $EDU_DST) $EDU_LEN 0" || fatal "qtest: write the pattern"
t=$SECONDS
qt_edu_dma $EDU_SRC $EDU_BUF 1
check "DMA: $EDU_LEN random bytes RAM $(hex $EDU_SRC) -> edu through the IOAS ($((SECONDS - t)) s)" \
	test $? = 0
t=$SECONDS
qt_edu_dma $EDU_BUF $EDU_DST 3
rc=$?
qt_mem_is $EDU_DST $EDU_LEN "$QT_PAT" || rc=1
check "DMA: edu -> RAM $(hex $EDU_DST) through the IOAS: the $EDU_LEN bytes match ($((SECONDS - t)) s)" \
	test $rc = 0

# ------------------------------------------------------------- release
t=$SECONDS
if [ $use_strace = 1 ]; then
	# SIGTERM to QEMU itself: strace ends with its exit status (a
	# SIGTERM to strace would be passed on, but strace's status lost).
	kill -TERM "$qpid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$QT_PID" 2>/dev/null || break
		sleep 0.1
	done
fi
qt_stop
check "nested QEMU ended by SIGTERM: exit status $QT_EXIT ($((SECONDS - t)) s)" \
	test "$QT_EXIT" = 0
# One warning is upstream's: 6.12's iommufd cannot map a BAR mmap (a
# PFNMAP VMA: IOAS_MAP EFAULT), so QEMU gives up peer-to-peer DMA.
p2p='IOMMU_IOAS_MAP failed: Bad address, PCI BAR\?'
p2p="$p2p|vfio_container_dma_map\(.*\) = -14 \(Bad address\)"
p2p="$p2p|PCI peer-to-peer transactions on BARs are not supported"
grep -Eq "$p2p" "$QT_LOG" &&
	note "QEMU: no peer-to-peer DMA to BAR0 (IOAS_MAP of its mmap EFAULT), as upstream"
qt_log_clean "QEMU printed no other VFIO or iommufd warnings or errors" \
	"$QT_LOG" "$p2p"

# The ioctls QEMU made, decoded: VFIO_TYPE and IOMMUFD_TYPE are both ';'.
if [ $use_strace = 1 ] && [ -s "$trace" ]; then
	seq=$(awk '
	BEGIN {
		split("GET_API_VERSION CHECK_EXTENSION SET_IOMMU " \
		      "GROUP_GET_STATUS GROUP_SET_CONTAINER " \
		      "GROUP_UNSET_CONTAINER GROUP_GET_DEVICE_FD " \
		      "DEVICE_GET_INFO DEVICE_GET_REGION_INFO " \
		      "DEVICE_GET_IRQ_INFO DEVICE_SET_IRQS DEVICE_RESET " \
		      "DEVICE_GET_PCI_HOT_RESET_INFO DEVICE_PCI_HOT_RESET " \
		      "IOMMU_UNMAP_DMA IOMMU_ENABLE DEVICE_IOEVENTFD " \
		      "DEVICE_FEATURE DEVICE_BIND_IOMMUFD " \
		      "DEVICE_ATTACH_IOMMUFD_PT DEVICE_DETACH_IOMMUFD_PT", v, " ")
		for (i = 1; i in v; i++)
			name[99 + i] = "VFIO_" v[i]
		split("DESTROY IOAS_ALLOC IOAS_ALLOW_IOVAS IOAS_COPY " \
		      "IOAS_IOVA_RANGES IOAS_MAP IOAS_UNMAP OPTION VFIO_IOAS " \
		      "HWPT_ALLOC GET_HW_INFO HWPT_SET_DIRTY_TRACKING " \
		      "HWPT_GET_DIRTY_BITMAP HWPT_INVALIDATE " \
		      "FAULT_QUEUE_ALLOC", m, " ")
		for (i = 1; i in m; i++)
			name[127 + i] = "IOMMU_" m[i]
	}
	function hex(h,   i, v) {
		v = 0
		for (i = 1; i <= length(h); i++)
			v = v * 16 + index("0123456789abcdef",
					   substr(h, i, 1)) - 1
		return v
	}
	function emit(nr, r,   k) {
		k = ((nr in name) ? name[nr] : sprintf("nr %#x", nr)) " = " r
		if (k == last) { cnt++; return }
		if (last != "") print last (cnt > 1 ? " (x" cnt ")" : "")
		last = k
		cnt = 1
	}
	function result(l) {
		sub(/.*\) += /, "", l)
		sub(/ \(.*/, "", l)
		return l
	}
	# -e raw=ioctl: "PID ioctl(0xFD, 0x3bNN, ARG) = R", or split in
	# "<unfinished ...>" and "<... ioctl resumed>) = R" (by PID).
	match($0, /ioctl\([0-9a-fx]+, 0x3b[0-9a-f][0-9a-f],/) {
		nr = hex(substr($0, RSTART + RLENGTH - 3, 2))
		if ($0 ~ /<unfinished/) { pend[$1] = nr; next }
		emit(nr, result($0))
		next
	}
	/<\.\.\. ioctl resumed>/ && ($1 in pend) {
		emit(pend[$1], result($0))
		delete pend[$1]
	}
	END { if (last != "") print last (cnt > 1 ? " (x" cnt ")" : "") }
	' "$trace")
	note "QEMU's VFIO/iommufd ioctls, in order (consecutive repeats counted):"
	while IFS= read -r l; do note "  $l"; done <<< "$seq"
	miss=
	for w in VFIO_DEVICE_BIND_IOMMUFD IOMMU_GET_HW_INFO IOMMU_IOAS_ALLOC \
		 IOMMU_HWPT_ALLOC VFIO_DEVICE_ATTACH_IOMMUFD_PT IOMMU_IOAS_MAP; do
		grep -q "^$w = 0" <<< "$seq" || miss="$miss $w"
	done
	check "QEMU bound, asked the HW info, made a HWPT, attached and mapped through iommufd (missing:${miss:- none})" \
		test -z "$miss"
else
	ok "QEMU's ioctl sequence # SKIP no strace"
fi

sleep 0.5
users=$(vfio_users)
check "no process holds VFIO files after QEMU exited${users:+ (held by: $users)}" \
	test -z "$users"

# A second user of the same cdev after the release (no strace).
PATH=$root/usr/bin:${PATH#"$tmp"/bin:}
t=$SECONDS
if qt_start "$out/qemu10-iommufd2.log" "${qemu_args[@]}" \
	-qtest-log "$out/qtest10-2.log" && qt_cfg_rd32 0 &&
   [ "$QT_VAL" = $((0x11e81234)) ] && qt_cfg_wr32 0x10 $EDU_BAR &&
   qt_cfg_wr16 4 2 && qt_rd32 $EDU_BAR && [ "$QT_VAL" = $((0x010000ed)) ]; then
	qt_stop
	ok "second QEMU 10: the device works again ($((SECONDS - t)) s)"
else
	note "last value read: $(hex "${QT_VAL:-0}")"
	qt_stop
	nok "second QEMU 10: the device works again"
	sed 's/^/#   /' "$out/qemu10-iommufd2.log"
fi

bound=0
check "edu0 released from vfio-pci" vfio_unbind "$BDF"
note "total $((SECONDS - t_start)) s"
exit $((nfail != 0))
