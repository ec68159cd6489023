#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the test VM's initramfs (run by busybox, PID 1).
#
# Mounts the host root read-only over virtio-9p, stacks an overlayfs with a
# tmpfs upper layer on it (the guest gets a writable copy of the host root;
# nothing it writes reaches the host), mounts the shared output directory
# read-write at the same path as on the host, then switch_root's into the
# overlay and hands over to guest-init.sh from the host tree.
#
# Any failure here prints "VM-INIT-ERROR: ..." and powers the VM off; the
# host side (vm.sh) reports it.

/bin/busybox --install -s /bin
export PATH=/bin

die() {
	echo "VM-INIT-ERROR: $*"
	# Enough to see what is missing: modules, 9p tags, kernel messages.
	lsmod
	for d in /sys/bus/virtio/devices/*; do
		echo "virtio ${d##*/}: device $(cat "$d/device")" \
			"tag $(cat "$d/mount_tag" 2>/dev/null)"
	done
	dmesg | grep -iE '9p|virtio|overlay|fail' | tail -n 20
	echo "VM-EXIT-CODE: 125"
	echo o > /proc/sysrq-trigger
	sleep 10
	exit 1
}

mkdir -p /proc /sys /dev /lower /upper /newroot /out
mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys || die "mount /sys"
mount -t devtmpfs devtmpfs /dev || die "mount /dev"

# Modules needed for 9p and overlayfs, in dependency order (see vm.sh).
while read -r m; do
	insmod "/lib/modules/$m" || die "insmod $m"
done < /lib/modules/load.order

# Tags are set on the QEMU command line by vm.sh.
p9opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "ro,$p9opts,cache=loose" hostroot /lower ||
	die "mount host root over 9p"
# The output directory is written by both sides: no client-side caching.
mount -t 9p -o "rw,$p9opts,cache=none" vmout /out ||
	die "mount output directory over 9p"
[ -r /out/.vm/env ] || die "missing /out/.vm/env"

mount -t tmpfs -o mode=0755 upper /upper || die "mount tmpfs upper"
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work \
	hostroot /newroot || die "mount overlay over the host root"

# VM_OUT is the host path of the output directory, mirrored in the guest.
# shellcheck disable=SC1091 # written by vm.sh
. /out/.vm/env
if [ -z "$VM_OUT" ] || [ -z "$VM_GUEST_INIT" ]; then
	die "bad /out/.vm/env"
fi
# A kernel booted from outside the host's / (vm.sh --kernel DIR): its
# module tree (host path VM_MODULES) appears at /lib/modules/VM_KVER,
# writable through its own tmpfs layer (make install, depmod).
if [ -n "${VM_MODULES:-}" ]; then
	[ -d "/lower$VM_MODULES" ] || die "no module tree $VM_MODULES"
	m=/newroot/lib/modules/$VM_KVER
	mkdir -p /upper/modules/data /upper/modules/work "$m" ||
		die "mkdir /lib/modules/$VM_KVER"
	o=lowerdir=/lower$VM_MODULES
	o=$o,upperdir=/upper/modules/data,workdir=/upper/modules/work
	mount -t overlay -o "$o" modules "$m" ||
		die "mount the modules of $VM_KVER"
fi
mkdir -p "/newroot$VM_OUT" || die "mkdir $VM_OUT"
mount --move /out "/newroot$VM_OUT" || die "move $VM_OUT"

umount /sys /proc 2>/dev/null
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /bin/sh "$VM_GUEST_INIT" "$VM_OUT"
