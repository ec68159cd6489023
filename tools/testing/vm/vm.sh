#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run one command inside the VFIO test VM (QEMU, TCG) and pass its exit
# status back. See tools/testing/vm/README.md.
#
#   vm.sh [options] [--] COMMAND [ARG...]
#
# Files in the output directory: console.log (serial console), dmesg.txt
# (kernel log at the end of the run), qemu.log (QEMU's stderr; vIOMMU
# faults show up there), .vm/ (internal).
#
# COMMAND is a path on the host file system (the guest sees the whole host
# root, writable through a throw-away overlay); it runs as root in the
# host's current directory. The output directory (--out) is shared
# read-write at the same path in the guest: put artifacts there.
#
# Exit status: the command's; 1 if it passed but the kernel log has
# warnings (unless --no-dmesg-check); 124 if the run timed out; 125 if the
# VM failed before/around the command (boot failure, panic, ...).

set -u
set -o pipefail

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$VM_DIR/../../.." && pwd)
BUILD=${VFIO_BUILD_DIR:-$SRC/build}

timeout_s=${VM_TIMEOUT:-900}
idle_s=${VM_IDLE_TIMEOUT:-600}
mem=${VM_MEM:-2048}
out=
kernel=${VM_KERNEL:-}
dmesg_check=1
coldplug=1
quiet=0
extra_append=${VM_APPEND:-}
qemu_root=${VFIO_QEMU_ROOT:-}
sriov=0

usage() {
	cat <<EOF
usage: $0 [options] [--] COMMAND [ARG...]
  -o, --out DIR         output directory shared read-write with the guest
                        (default: $BUILD/vm/out)
  -t, --timeout SEC     kill the VM after SEC seconds (default: $timeout_s),
                        or after \$VM_IDLE_TIMEOUT s without console output
                        (default: $idle_s)
  -m, --mem MB          guest memory (default: $mem)
  -k, --kernel FILE     kernel image (default: newest /boot/vmlinuz-6.12*)
  -k, --kernel DIR      a kernel installed under DIR instead of /:
                        DIR/boot/vmlinuz-KVER and DIR/lib/modules/KVER
                        (the debug kernel: tools/testing/kernel/build.sh
                        prints its DIR); the guest sees those modules at
                        /lib/modules/KVER (writable, like the rest)
  -a, --append ARGS     extra kernel command line arguments
  -e, --env VAR=VALUE   set VAR in the guest command's environment
                        (host variables VFIO_* are passed on by default)
  -q, --quiet           do not copy the console to stdout (log file only)
      --no-coldplug     do not load the native drivers of the PCI devices
      --no-dmesg-check  do not fail on kernel warnings
      --qemu ROOT       run the QEMU unpacked under ROOT (qemu10.sh prints
                        it; default: \$VFIO_QEMU_ROOT, else the system's)
      --sriov           add an igb NIC (SR-IOV PF, QEMU 10 only) behind a
                        sixth root port: bus 06, see README.md
      --initramfs       only build (or refresh) the cached initramfs
      --kver            print the kernel version the VM would boot
      --moddir          print the host directory of that kernel's modules
                        (/lib/modules/KVER, or DIR/lib/modules/KVER)
EOF
	exit 2
}

log() { echo "vm: $*" >&2; }

only_initramfs=0
envs=()
while [ $# -gt 0 ]; do
	case $1 in
	-o|--out) out=$2; shift 2 ;;
	-t|--timeout) timeout_s=$2; shift 2 ;;
	-m|--mem) mem=$2; shift 2 ;;
	-k|--kernel) kernel=$2; shift 2 ;;
	-a|--append) extra_append="$extra_append $2"; shift 2 ;;
	-e|--env) envs+=("$2"); shift 2 ;;
	-q|--quiet) quiet=1; shift ;;
	--no-coldplug) coldplug=0; shift ;;
	--no-dmesg-check) dmesg_check=0; shift ;;
	--qemu) qemu_root=$2; shift 2 ;;
	--sriov) sriov=1; shift ;;
	--initramfs) only_initramfs=1; shift ;;
	--kver) only_initramfs=2; shift ;;
	--moddir) only_initramfs=3; shift ;;
	--) shift; break ;;
	-h|--help) usage ;;
	-*) log "unknown option $1"; usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || [ $only_initramfs != 0 ] || usage

# Newest Debian 6.12 kernel that has its modules (and, if any has them,
# its headers: the tree is built against those).
if [ -z "$kernel" ]; then
	for k in $(find /boot -maxdepth 1 -name 'vmlinuz-6.12*-amd64' |
		   sort -rV); do
		v=${k##*/vmlinuz-}
		[ -d "/lib/modules/$v/kernel" ] || continue
		[ -n "$kernel" ] || kernel=$k
		if [ -f "/lib/modules/$v/build/Makefile" ]; then
			kernel=$k
			break
		fi
	done
fi
# --kernel DIR: an install root (boot/ + lib/modules/) outside the host's
# /; its module tree is mounted in the guest (initramfs-init.sh).
modroot=/
if [ -d "$kernel" ]; then
	modroot=$(cd "$kernel" && pwd)
	kernel=
	for k in "$modroot"/boot/vmlinuz-*; do
		[ -f "$k" ] || continue
		[ -z "$kernel" ] ||
			{ log "more than one kernel in $modroot/boot"; exit 125; }
		kernel=$k
	done
	case $modroot in
	/|*[!A-Za-z0-9_./+-]*)
		log "unsupported kernel directory '$modroot'"; exit 125 ;;
	esac
fi
[ -r "$kernel" ] || { log "no readable kernel image (${kernel:-none})"; exit 125; }
kver=${kernel##*/vmlinuz-}
moddir=${modroot%/}/lib/modules/$kver
[ -d "$moddir/kernel" ] ||
	{ log "no modules for $kver in ${modroot%/}/lib/modules"; exit 125; }
[ $only_initramfs = 2 ] && { echo "$kver"; exit 0; }
[ $only_initramfs = 3 ] && { echo "$moddir"; exit 0; }

# ---------------------------------------------------------------------------
# initramfs: busybox + the modules for 9p and overlayfs, cached per kernel.

cache=$BUILD/vm/$kver
initramfs=$cache/initramfs.cpio
mkdir -p "$cache"

initramfs_stale() {
	local f
	[ -s "$initramfs" ] || return 0
	for f in "$VM_DIR/initramfs-init.sh" "$VM_DIR/vm.sh" /bin/busybox \
		 "$moddir/modules.dep"; do
		[ "$f" -nt "$initramfs" ] && return 0
	done
	return 1
}

decompress() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -dc "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

build_initramfs() {
	local root=$cache/initramfs.d m name deps=
	local bb=/bin/busybox
	local base=()

	[ "$modroot" = / ] || base=(-d "$modroot")

	[ -x $bb ] || { log "$bb missing (apt-get install busybox-static)"; return 1; }
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/lib/modules"
	cp $bb "$root/bin/busybox"
	install -m 0755 "$VM_DIR/initramfs-init.sh" "$root/init"

	# modprobe resolves the order; we insmod decompressed copies.
	# (--show-depends takes one module; extra words are its parameters)
	for m in 9pnet_virtio 9p overlay; do
		deps="$deps
$(modprobe "${base[@]}" -S "$kver" --show-depends "$m")" ||
			{ log "modprobe --show-depends $m failed"; return 1; }
	done
	: > "$root/lib/modules/load.order"
	for m in $(echo "$deps" | awk '$1 == "insmod" { print $2 }'); do
		name=${m##*/}
		name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
		grep -qx "$name" "$root/lib/modules/load.order" && continue
		decompress "$m" > "$root/lib/modules/$name" || return 1
		echo "$name" >> "$root/lib/modules/load.order"
	done
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) \
		> "$initramfs.tmp" && mv "$initramfs.tmp" "$initramfs"
}

if initramfs_stale; then
	log "building initramfs for $kver"
	build_initramfs || { log "initramfs build failed"; exit 125; }
fi

# The test SSDT (acpi/vfio-test-ssdt.asl: ACPI devices VFIO0001 and
# VFIO0002 for vfio_platform_test), compiled with iasl (acpica-tools)
# when missing or older than its source. Without iasl the VM boots
# without it and those tests skip.
ssdt_src=$VM_DIR/acpi/vfio-test-ssdt.asl
ssdt=$BUILD/vm/acpi/vfio-test-ssdt.aml
if [ ! -s "$ssdt" ] || [ "$ssdt_src" -nt "$ssdt" ]; then
	if command -v iasl > /dev/null; then
		mkdir -p "${ssdt%/*}"
		# -p takes the output name without its extension.
		tmp=${ssdt%/*}/tmp-$$
		if iasl -vs -p "$tmp" "$ssdt_src" > "$ssdt.log" 2>&1 &&
		   [ -s "$tmp.aml" ]; then
			mv "$tmp.aml" "$ssdt"
		else
			log "iasl failed on $ssdt_src (see $ssdt.log)"
		fi
	else
		log "no iasl (apt-get install acpica-tools): no test SSDT"
	fi
fi
[ $only_initramfs != 0 ] && { echo "$initramfs"; exit 0; }

# ---------------------------------------------------------------------------
# One VM at a time on this machine.

# Machine-wide (not per checkout): 2 cores do not run two TCG guests well.
# VFIO_VM_LOCKED=1: the caller holds this lock and runs at most one guest
# per core (check.sh's debug VM shards).
lockdir=/run/lock
[ -w "$lockdir" ] || lockdir=${TMPDIR:-/tmp}
if [ "${VFIO_VM_LOCKED:-0}" != 1 ]; then
	exec 9> "$lockdir/vfio-test-vm.lock"
	if ! flock -n 9; then
		log "another test VM is running; waiting for it"
		flock 9
	fi
fi

case $1 in
/run/*|/dev/*|/proc/*|/sys/*)
	log "warning: $1 is hidden in the guest (fresh /run, /dev, ...)" ;;
esac

out=${out:-$BUILD/vm/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# QEMU option values cannot hold a plain comma.
case $out in
/|*,*|*"
"*) log "unsupported output directory '$out'"; exit 125 ;;
esac
case $SRC in
*,*) log "unsupported repository path '$SRC' (comma)"; exit 125 ;;
esac
rm -rf "$out/.vm" "$out/dmesg.txt" "$out/qemu.log"
mkdir -p "$out/.vm"
console=$out/console.log
: > "$console"

shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

{
	echo "VM_OUT=$(shq "$out")"
	echo "VM_GUEST_INIT=$(shq "$VM_DIR/guest-init.sh")"
	echo "VFIO_SRC=$(shq "$SRC")"
	echo "VM_COLDPLUG=$coldplug"
	# Module tree of a --kernel DIR, mounted at /lib/modules/VM_KVER.
	if [ "$modroot" != / ]; then
		echo "VM_KVER=$(shq "$kver")"
		echo "VM_MODULES=$(shq "$moddir")"
	fi
} > "$out/.vm/env"
{
	while IFS= read -r v; do
		case $v in VFIO_SRC=*) continue ;; esac
		echo "export $(shq "$v")"
	done < <(env | grep -E '^VFIO_[A-Za-z0-9_]*=')
	for v in "${envs[@]}"; do
		case $v in
		[A-Za-z_]*=*) echo "export $(shq "$v")" ;;
		*) log "bad --env '$v'"; exit 2 ;;
		esac
	done
	printf 'cd %s 2>/dev/null || cd /\nexec' "$(shq "$PWD")"
	for a in "$@"; do printf ' %s' "$(shq "$a")"; done
	echo
} > "$out/.vm/cmd"

# ---------------------------------------------------------------------------
# The machine. Each test device sits behind its own PCIe root port (own
# IOMMU group); bus numbers follow the root port order, see README.md.
# The two-function edu (one slot, one group: edu has no ACS) sits behind
# the last root port, 0x16, so it takes the bus after all the others
# (06, or 07 with --sriov's port at 0x15) and no earlier bus number
# moves; the VGA (no option ROM: nothing for the firmware to run) is on
# the root bus, where its legacy ranges need no bridge VGA enable.

append="console=ttyS0,115200 rdinit=/init panic=-1 loglevel=5"
append="$append intel_iommu=on mitigations=off log_buf_len=8M"
append="$append 8250.nr_uarts=1"
# no_timer_check: 6.12 panics ("timer doesn't work through
# Interrupt-remapped IO-APIC") when the PIT's ticks do not arrive within
# a TSC-timed wait at boot, which a loaded host's TCG can make them miss;
# the guest's timer is QEMU's and works. (Cloud images set it too.)
append="$append no_timer_check"
# The VGA stays without a driver, as edu: coldplug (modprobe -b) skips
# bochs, whose DRM stack and fbcon would cost boot time and console
# rendering under TCG for nothing.
append="$append modprobe.blacklist=bochs $extra_append"

# --qemu ROOT: a QEMU unpacked outside the system (qemu10.sh). Its
# modules are found through QEMU_MODULE_DIR only (else it loads the
# system QEMU's and refuses them), its firmware through -L; Debian's
# seabios (bios-256k.bin) is in the system's /usr/share/qemu.
qemu=(qemu-system-x86_64)
if [ -n "$qemu_root" ]; then
	[ -x "$qemu_root/usr/bin/qemu-system-x86_64" ] ||
		{ log "no usr/bin/qemu-system-x86_64 under '$qemu_root'"; exit 125; }
	qemu=(env "QEMU_MODULE_DIR=$qemu_root/usr/lib/x86_64-linux-gnu/qemu"
	      "$qemu_root/usr/bin/qemu-system-x86_64"
	      -L "$qemu_root/usr/share/qemu" -L /usr/share/qemu)
fi

# shellcheck disable=SC2054 # commas are QEMU's
qemu+=(
	-nodefaults -no-user-config -display none -vga none -monitor none
	-no-reboot
	-machine q35,kernel-irqchip=split
	-accel tcg,thread=single
	-cpu max -smp 1 -m "$mem"
	-device intel-iommu,intremap=on,caching-mode=on
	-kernel "$kernel" -initrd "$initramfs" -append "$append"
	-chardev "stdio,id=con,signal=off,logfile=$console"
	-serial chardev:con
	-fsdev local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot,bus=pcie.0,addr=0x2
	-fsdev "local,id=fsout,path=$out,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=fsout,mount_tag=vmout,bus=pcie.0,addr=0x3
	-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x10,chassis=1,slot=1
	-device pcie-root-port,id=rp2,bus=pcie.0,addr=0x11,chassis=2,slot=2
	-device pcie-root-port,id=rp3,bus=pcie.0,addr=0x12,chassis=3,slot=3
	-device pcie-root-port,id=rp4,bus=pcie.0,addr=0x13,chassis=4,slot=4
	-device pcie-root-port,id=rp5,bus=pcie.0,addr=0x14,chassis=5,slot=5
	-device edu,id=edu0,bus=rp1,addr=0x0
	-device edu,id=edu1,bus=rp2,addr=0x0
	-blockdev null-co,node-name=nvm0,read-zeroes=on,size=67108864
	-device nvme,id=nvme0,bus=rp3,addr=0x0,drive=nvm0,serial=vfiotest0
	-netdev user,id=net0,restrict=on
	-device e1000e,id=nic0,bus=rp4,addr=0x0,netdev=net0,romfile=
	-netdev user,id=net1,restrict=on
	-device virtio-net-pci,id=nic1,bus=rp5,addr=0x0,netdev=net1,disable-legacy=on,iommu_platform=on,romfile=
	-device pcie-root-port,id=rp7,bus=pcie.0,addr=0x16,chassis=7,slot=7
	-device edu,id=edu2,bus=rp7,addr=0x0.0,multifunction=on
	-device edu,id=edu3,bus=rp7,addr=0x0.1
	-device VGA,id=vga0,bus=pcie.0,addr=0x4,romfile=
)
# --sriov: root port 0x15, after rp1-rp5, so that none of their BDFs
# moves; the edu pair's bus (0x16) becomes 07. The PF is 0000:06:00.0;
# its VFs (sriov_numvfs) land on the same bus (82576: first VF offset
# 0x80, stride 2: 06:10.0, 06:10.2, ...).
# The ACPI devices of the test SSDT (see above), when it was built.
case $ssdt in
*,*) log "no test SSDT: QEMU cannot take the path '$ssdt' (comma)" ;;
*) [ -s "$ssdt" ] && qemu+=(-acpitable "file=$ssdt") ;;
esac
if [ $sriov = 1 ]; then
	# shellcheck disable=SC2054 # commas are QEMU's
	qemu+=(
	-device pcie-root-port,id=rp6,bus=pcie.0,addr=0x15,chassis=6,slot=6
	-netdev user,id=net2,restrict=on
	-device igb,id=igb0,bus=rp6,addr=0x0,netdev=net2,romfile=
	)
fi

start=$(date +%s)
# --foreground: QEMU stays in our process group (Ctrl-C reaches it).
if [ $quiet = 1 ]; then
	timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" < /dev/null \
		> /dev/null 2> "$out/qemu.log" &
else
	timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" < /dev/null \
		2> "$out/qemu.log" &
fi
qpid=$!
trap 'kill -TERM $qpid 2>/dev/null; wait $qpid; log "interrupted"; exit 130' \
	INT TERM HUP
# A guest that prints nothing for $idle_s seconds is taken as hung.
idle=0 size=0
while kill -0 $qpid 2>/dev/null; do
	sleep 2
	now=$(stat -c %s "$console" 2>/dev/null || echo 0)
	if [ "$now" != "$size" ]; then
		size=$now idle=0
	else
		idle=$((idle + 2))
	fi
	if [ $idle -ge "$idle_s" ]; then
		log "no console output for ${idle_s}s: the guest looks hung"
		kill -TERM $qpid 2>/dev/null
		break
	fi
done
wait $qpid
qrc=$?
[ $idle -ge "$idle_s" ] && qrc=124
trap - INT TERM HUP
elapsed=$(( $(date +%s) - start ))

# ---------------------------------------------------------------------------
# Verdict.

code=$(tr -d '\r' < "$console" | sed -n 's/^VM-EXIT-CODE: \([0-9]*\)$/\1/p' |
       tail -n 1)
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	[ $idle -ge "$idle_s" ] ||
		log "TIMEOUT: the VM ran longer than ${timeout_s}s and was killed"
	log "console log: $console"
	sed 's/^/vm: qemu: /' "$out/qemu.log" | tail -n 20 >&2
	exit 124
fi
if [ -z "$code" ]; then
	log "FAILED: the VM stopped without reporting an exit code" \
	    "(qemu status $qrc, ${elapsed}s)"
	tr -d '\r' < "$console" > "$out/.vm/console.txt"
	sh "$VM_DIR/dmesg-scan.sh" "$out/.vm/console.txt" | head -n 20 >&2
	log "last console lines:"
	tail -n 20 "$out/.vm/console.txt" | sed 's/^/vm:   /' >&2
	sed 's/^/vm: qemu: /' "$out/qemu.log" | tail -n 20 >&2
	exit 125
fi
if tr -d '\r' < "$console" | grep -q '^VM-INIT-ERROR:'; then
	log "FAILED: VM setup: $(tr -d '\r' < "$console" |
		sed -n 's/^VM-INIT-ERROR: //p' | head -n 1)"
	exit 125
fi

log "guest command exited with $code after ${elapsed}s" \
    "(console: $console, kernel log: $out/dmesg.txt)"
if [ $dmesg_check = 1 ]; then
	if ! sh "$VM_DIR/dmesg-scan.sh" "$out/dmesg.txt" >&2; then
		log "FAILED: the kernel log has warnings (above)"
		[ "$code" = 0 ] && code=1
	fi
fi
exit "$code"
