#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# `make deps`: everything building and testing the module set needs on a
# Debian 12 machine (run as root). Idempotent, and quick when all is there:
# apt is only called if dpkg-query reports a package missing.
#
#   - Debian's 6.12 kernel, its headers and its source (checkpatch.pl and
#     reference reading; the source tarball is unpacked in /usr/src)
#   - QEMU + busybox for the test VM (tools/testing/vm/vm.sh)
#   - compilers and checkers (sparse), dkms, driverctl, pciutils, kmod
#   - what building the debug kernel needs (tools/testing/kernel/build.sh):
#     ccache, libssl-dev, zstd (Debian's config compresses the image with
#     it), rsync; bc, flex, bison, libelf-dev, cpio are above
#   - iasl (acpica-tools): vm.sh compiles the test VM's SSDT with it
#     (tools/testing/vm/acpi/; without it the VM boots without those
#     ACPI devices and their tests skip)
#   - QEMU 10 for the sriov VM flavour (qemu10.sh: a ~13 MB download,
#     cached; optional: without it check.sh skips that VM)

set -eu

PKGS="linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
qemu-system-x86 busybox-static build-essential libc6-dev sparse dkms
driverctl pciutils kmod cpio bc flex bison libelf-dev xz-utils perl git
iproute2 dpdk-dev ccache libssl-dev zstd rsync acpica-tools"

say() { echo "deps: $*"; }

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		say "missing packages:$missing (run as root to install them)"
		exit 1
	fi
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086 # word splitting wanted
	apt-get install -y -qq --no-install-recommends $missing < /dev/null
fi

# The kernel source comes as a tarball; unpack it once (atomically, so an
# interrupted run does not leave half a tree that looks complete).
src=/usr/src/linux-source-6.12
if [ ! -f "$src/scripts/checkpatch.pl" ]; then
	tarball=$(find /usr/src -maxdepth 1 -name 'linux-source-6.12.tar.*' |
		  head -n 1)
	[ -n "$tarball" ] || { say "no linux-source-6.12 tarball in /usr/src"; exit 1; }
	say "unpacking $tarball"
	tmp=/usr/src/.linux-source-6.12.unpack
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -C "$tmp" -xf "$tarball"
	rm -rf "$src"
	mv "$tmp/linux-source-6.12" "$src"
	rm -rf "$tmp"
fi

# What the VM needs from the kernel packages.
kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-6.12*-amd64' | sort -V |
	 tail -n 1)
[ -n "$kernel" ] || { say "no /boot/vmlinuz-6.12*-amd64"; exit 1; }
kver=${kernel##*/vmlinuz-}
for f in "/lib/modules/$kver/modules.dep" "/lib/modules/$kver/build/Makefile"; do
	[ -e "$f" ] || { say "missing $f"; exit 1; }
done

if ! sh "$(dirname "$0")/qemu10.sh" > /dev/null; then
	say "warning: no QEMU 10 (tools/testing/vm/qemu10.sh): the sriov VM" \
	    "flavour will be skipped"
fi
say "ok (kernel $kver)"
