#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The noiommu test VM itself (TAP): booted with intel_iommu=off, no device
# has an IOMMU group, and interrupts still reach their drivers. That is the
# premise of the noiommu tests (selftests/vfio/vfio_noiommu_test); check.sh
# boots this VM flavour for the tests that carry this line:
# vfio-test-vm: noiommu

# shellcheck source=tools/testing/vm/guest-lib.sh
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
check() { # DESCRIPTION COMMAND...
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}

# The last intel_iommu= of the command line is the one that counts.
iommu_arg() {
	tr ' ' '\n' < /proc/cmdline | sed -n 's/^intel_iommu=//p' | tail -n 1
}

# vfio's own groups (vfio-noiommu) do not count: they are what the
# noiommu tests make.
iommu_made_groups() {
	for _g in /sys/kernel/iommu_groups/*; do
		[ -d "$_g" ] || continue
		[ "$(cat "$_g/name" 2>/dev/null)" = vfio-noiommu ] ||
			echo "${_g##*/}"
	done
}

no_device_group() {
	for _p in /sys/bus/pci/devices/*; do
		[ -e "$_p/iommu_group" ] || continue
		[ "$(cat "$_p/iommu_group/name" 2>/dev/null)" = vfio-noiommu ] ||
			return 1
	done
	return 0
}

# Sum of the interrupts counted on lines matching $1 in /proc/interrupts.
irqs() {
	awk -v re="$1" '$0 ~ re { s += $2 } END { print s + 0 }' \
		/proc/interrupts
}

# The 9p shares are virtio devices: a round trip to the host's output
# directory completes by interrupt.
virtio_irqs_move() {
	_a=$(irqs 'virtio[0-9]+-requests')
	_f=$VM_OUT/.noiommu-irq-probe.$$
	echo probe > "$_f" && cat "$_f" > /dev/null && rm -f "$_f"
	_b=$(irqs 'virtio[0-9]+-requests')
	t_diag_irq="virtio requests interrupts: $_a -> $_b"
	[ "$_b" -gt "$_a" ]
}

echo "1..8"
check "booted with intel_iommu=off (got '$(iommu_arg)')" \
	test "$(iommu_arg)" = off
check "the kernel disabled DMA remapping" \
	sh -c 'dmesg | grep -q "DMAR: IOMMU disabled"'
check "no IOMMU registered (/sys/class/iommu empty)" \
	test -z "$(ls /sys/class/iommu 2>/dev/null)"
check "no IOMMU group (but vfio-noiommu ones)" \
	test -z "$(iommu_made_groups)"
check "no PCI device in an IOMMU group (but vfio-noiommu ones)" \
	no_device_group
check "edu0 at $VFIO_EDU0" \
	test "$(cat "/sys/bus/pci/devices/$VFIO_EDU0/device" 2>/dev/null)" = \
	0x11e8
# nvme's probe waits for its admin queue's MSI-X interrupt.
check "nvme probed through interrupts ($(irqs 'nvme0q0') on nvme0q0)" \
	test -e /sys/block/nvme0n1 -a "$(irqs 'nvme0q0')" -gt 0
if virtio_irqs_move; then ok "$t_diag_irq"; else nok "$t_diag_irq"; fi
dmesg | grep -E 'DMAR-IR|IRQ remapping' | sed 's/^/# /'
[ $failed = 0 ]
