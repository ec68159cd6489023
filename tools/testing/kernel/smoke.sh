#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Smoke test of the debug kernel: build it (or reuse the cache), build our
# modules against it from a private copy of the tree, boot it in the test
# VM and run smoke-guest.sh there (TAP). The kernel log must be clean
# (tools/testing/vm/dmesg-scan.sh, with this kernel's boot banners
# ignored: dmesg-ignore.txt beside this file).
#
#   smoke.sh [--no-ours] [--src TREE] [-o OUTDIR]
#
# --src: build the modules from that tree (copied) instead of this one.
# OUTDIR (default $VFIO_BUILD_DIR/kernel-smoke, VFIO_BUILD_DIR defaulting
# to build/) receives the VM's console.log and dmesg.txt, stage/ (our
# modules installed for the debug kernel) and src/ (the copy they were
# built from: building them in the tree itself would replace the objects
# built for the stock kernel).

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
VM=$SRC/tools/testing/vm
out=${VFIO_BUILD_DIR:-$SRC/build}/kernel-smoke
ours=1
tree=$SRC

while [ $# -gt 0 ]; do
	case $1 in
	--no-ours) ours=0; shift ;;
	--src) tree=$(cd "$2" && pwd); shift 2 ;;
	-o) out=$2; shift 2 ;;
	*) sed -n '3,18p' "$0" >&2; exit 2 ;;
	esac
done

log() { echo "smoke: $*" >&2; }

t0=$(date +%s)
root=$("$HERE/build.sh" | tail -n 1)
kver=$(cat "$root/kver")
t1=$(date +%s)
log "debug kernel $kver in $root ($((t1 - t0))s)"
mkdir -p "$out"

env=(-e "SMOKE_KVER=$kver" -e "SMOKE_KMEMLEAK_OUT=$out/kmemleak.txt")
if [ $ours = 1 ]; then
	stage=$out/stage
	rm -rf "$stage"
	# A private copy: the objects in the tree belong to the stock build
	# (and a copied *.mod would even link them). Build products are left
	# behind and removed from the copy: every run builds from scratch.
	rsync -a --delete --delete-excluded --exclude=/build --exclude=/.git \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='*.cmd' --exclude='*.d' \
		--exclude='*.a' --exclude=Module.symvers --exclude=modules.order \
		--exclude=/include/generated \
		--exclude=/include/compat/probes/build "$tree/" "$out/src/"
	log "building our modules against $root/build"
	if ! make -C "$out/src" KDIR="$root/build" > "$out/make.log" 2>&1 ||
	   ! make -C "$root/build" M="$out/src" VFIO_SRC="$out/src" \
		INSTALL_MOD_PATH="$stage" INSTALL_MOD_DIR=updates \
		modules_install >> "$out/make.log" 2>&1; then
		tail -n 20 "$out/make.log" >&2
		log "our modules do not build against the debug kernel"
		exit 1
	fi
	# depmod here (minutes under TCG): kernel/ and the indexes' inputs
	# from the debug kernel's tree, updates/ ours.
	d=$stage/lib/modules/$kver
	for f in kernel modules.order modules.builtin modules.builtin.modinfo; do
		ln -sfn "$root/lib/modules/$kver/$f" "$d/$f"
	done
	depmod -b "$stage" "$kver"
	env+=(-e "VFIO_STAGE=$stage")
	log "modules built and staged in $(($(date +%s) - t1))s"
fi

set +e
"$VM/vm.sh" --kernel "$root" --out "$out" --no-dmesg-check -q \
	"${env[@]}" -- /bin/sh "$HERE/smoke-guest.sh"
rc=$?
tr -d '\r' < "$out/console.log" > "$out/.console.txt"
# The TAP of smoke-guest.sh, from the console (the kernel's own lines
# start with '[').
sed -n '/^VM-READY/,/^VM-EXIT-CODE/p' "$out/.console.txt" |
	grep -E '^(ok |not ok |1\.\.|# )' | tee "$out/smoke.tap"
ready=$(sed -n 's/^VM-READY: uptime \(.*\)s$/\1/p' "$out/.console.txt")
log "guest ready after ${ready:-?}s of guest uptime; TAP in $out/smoke.tap"
if ! sh "$VM/dmesg-scan.sh" "$out/dmesg.txt" "$HERE/dmesg-ignore.txt" >&2; then
	log "FAILED: the kernel log has reports (above)"
	[ "$rc" = 0 ] && rc=1
fi
exit "$rc"
