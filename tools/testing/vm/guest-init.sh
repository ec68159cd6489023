#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# PID 1 of the test VM after switch_root (the root is the overlay over the
# host root; see initramfs-init.sh). Sets the system up, runs the command
# vm.sh wrote to $VM_OUT/.vm/cmd, saves the kernel log and reports the
# command's exit status on the console as "VM-EXIT-CODE: N" before
# powering off.
#
# usage (internal): guest-init.sh VM_OUT

VM_OUT=$1
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

poweroff_now() {
	sync
	umount "$VM_OUT" 2>/dev/null
	echo o > /proc/sysrq-trigger
	# sysrq-o is asynchronous; PID 1 must not exit meanwhile.
	while :; do sleep 1 2>/dev/null; done
}

finish() {
	dmesg > "$VM_OUT/dmesg.txt" 2>&1 ||
		echo "VM-WARNING: could not save dmesg to $VM_OUT"
	echo "$1" > "$VM_OUT/.vm/exit-code"
	echo "VM-EXIT-CODE: $1"
	poweroff_now
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=0755 run /run
# /tmp stays the overlay's: a tree checked out under the host's /tmp (CI)
# must stay visible; writes there vanish with the overlay anyway.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t configfs configfs /sys/kernel/config 2>/dev/null
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname vfio-vm 2>/dev/null
ip link set lo up 2>/dev/null

# Values vm.sh passes: VM_COLDPLUG, VM_START (host clock at launch), ...
# shellcheck disable=SC1091
. "$VM_OUT/.vm/env"

# No udev in the VM: load the drivers of the PCI devices present, as a
# normal boot would, so tests start from devices bound to their native
# drivers (edu has none).
if [ "${VM_COLDPLUG:-1}" = 1 ]; then
	for a in /sys/bus/pci/devices/*/modalias; do
		modprobe -q -b "$(cat "$a")" 2>/dev/null
	done
fi

echo "VM-READY: uptime $(cut -d' ' -f1 /proc/uptime)s"
cd / || finish 125
env -i PATH="$PATH" HOME=/root TERM=dumb LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	USER=root LOGNAME=root SHELL=/bin/sh \
	VM_OUT="$VM_OUT" VFIO_SRC="$VFIO_SRC" VM_GUEST=1 \
	/bin/sh "$VM_OUT/.vm/cmd" < /dev/null
finish $?
