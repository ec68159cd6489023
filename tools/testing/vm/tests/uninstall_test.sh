#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# `make uninstall` restores the stock state (TAP): none of our modules
# (T_OUR_MODS) is left under updates/, modinfo -n of the in-tree names points
# at kernel/drivers/vfio again (vfio_group and, on Debian's kernel,
# iommufd are unknown there),
# and `modprobe vfio-pci` loads upstream's stack, which can serve an edu.
# The suite's stack is put back afterwards (snapshot, not a reinstall).
# One full depmod under TCG: 1-2 minutes.
# vfio-test-timeout: 400

# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

if [ "$T_ORIGIN" != updates ]; then
	echo "# SKIP: the intree stack has nothing installed to uninstall"
	exit 4
fi
out=${VFIO_TEST_OUT:-$T_TMP}

t_snapshot
vfio_stack_unload > /dev/null
t0=$(date +%s)
make -s -C "$VFIO_SRC" uninstall KVER="$T_KVER" > "$out/uninstall.log" 2>&1
rc=$?
t_diag "make uninstall: $(($(date +%s) - t0)) s"
t_check "make uninstall KVER=$T_KVER (status $rc)" test $rc = 0

left=
for m in $T_OUR_MODS; do
	left="$left $(find "$T_LIB/updates" -name "$m.ko*" -o \
		-name "$(echo "$m" | tr _ -).ko*" 2>/dev/null | tr '\n' ' ')"
done
left=$(echo "$left" | xargs)
t_check "no module of ours left under updates/${left:+ (left: $left)}" \
	test -z "$left"
for m in $T_OUR_MODS; do
	if [ -n "$(t_intree_file "$m")" ]; then
		t_check "modinfo -n $m points to kernel/drivers/vfio" eval \
			"t_file_is $m kernel && modinfo -n $m | grep -q /kernel/drivers/vfio/"
	else
		t_check "$m is unknown to modprobe" eval \
			"! modinfo -n $m > /dev/null 2>&1"
	fi
done

t_check "modprobe vfio-pci after make uninstall" modprobe vfio-pci
for m in $T_INTREE_MODS; do
	t_check "in-tree $m loaded" eval \
		't_loaded $m && t_loaded_from $m "$(modinfo -n $m)" && t_file_is $m kernel'
done
t_check "vfio_group not loaded" eval '! t_loaded vfio_group'
t_need_hold || t_diag "cannot build vfio_hold"
grp=$(vfio_bind "$VFIO_EDU0")
t_check "edu on the in-tree stack: /dev/vfio/$grp, device fd opens" \
	eval 'test -n "$grp" && t_devfd "$VFIO_EDU0"'
vfio_unbind "$VFIO_EDU0"

t_check "the suite's stack is back" t_restore
t_done
