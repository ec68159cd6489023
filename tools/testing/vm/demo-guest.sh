#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest half of `make demo` (tools/testing/demo.sh): install the VFIO stack
# ($VFIO_STACK, default ours), hand the first edu device to vfio-pci and
# run the edu demo client on it.

# shellcheck source=tools/testing/vm/guest-lib.sh
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"

step() { echo; echo ">>> $*"; }

step "Guest kernel $(uname -r); test devices:"
for b in $VFIO_EDU0 $VFIO_EDU1 $VFIO_NVME0 $VFIO_E1000E0 $VFIO_VIRTIO_NET0; do
	d=$(vfio_driver_of "$b")
	echo "    $(lspci -s "$b" -nn)"
	echo "        IOMMU group $(vfio_group_of "$b"), driver: ${d:-none}"
done

step "Installing the ${VFIO_STACK:-ours} VFIO stack"
vfio_use_stack || exit 1
lsmod | grep -E '^(vfio|mdev|irqbypass)' | sed 's/^/    /'

edu=$(vfio_devs 1234:11e8 | head -n 1)
[ -n "$edu" ] || { echo "no edu device"; exit 1; }
step "Binding edu $edu to vfio-pci (driver_override + drivers_probe)"
group=$(vfio_bind "$edu") || exit 1
echo "    $edu is now driven by: $(vfio_driver_of "$edu")"
members=
for m in "/sys/kernel/iommu_groups/$group/devices/"*; do
	members="$members ${m##*/}"
done
echo "    IOMMU group $group holds:$members"
echo "    group node: /dev/vfio/$group"
# shellcheck disable=SC2012 # a listing for people
ls -l /dev/vfio | sed 's/^/    /'

demo=
for d in "$VFIO_SRC/tools/testing/selftests/vfio/build/vfio_edu_demo" \
	 "$VFIO_SRC/tools/testing/selftests/vfio/vfio_edu_demo"; do
	[ -x "$d" ] && { demo=$d; break; }
done
if [ -z "$demo" ]; then
	step "No demo client built (tools/testing/selftests/vfio/vfio_edu_demo): stopping here"
	exit 0
fi

step "Running ${demo#"$VFIO_SRC"/} $edu"
"$demo" "$edu"
rc=$?

step "Giving $edu back"
vfio_unbind "$edu" && echo "    $edu driver: $(vfio_driver_of "$edu" | grep . || echo none)"
vfio_stack_unload && echo "    VFIO modules unloaded"
exit $rc
