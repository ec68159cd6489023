#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of run.sh (runs inside the test VM, as root): for each stack
# in $BENCH_ORDER (e.g. "intree ours ours intree"), load that VFIO stack,
# bind edu #0 to vfio-pci, run vfio_bench and keep its output in
# $VM_OUT/round-N-STACK.txt (also when it failed part way: the lines
# before the failure are finished measurements). Our modules come from the host-staged tree
# ($VFIO_INSTALL=staged, $VFIO_STAGE), see guest-lib.sh.
set -u
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"

BENCH=$VFIO_SRC/tools/testing/bench/build/vfio_bench
kver=$(uname -r)
mods=/lib/modules/$kver
saved=/tmp/bench-modules-idx

# The pristine depmod indexes: vfio_use_ours overwrites them with the
# staged ones (which prefer updates/), going back to in-tree needs them.
mkdir -p "$saved"
for f in "$mods"/modules.*; do
	[ -L "$f" ] || cp "$f" "$saved/"
done

use_intree() {
	vfio_stack_unload || return 1
	rm -rf "$mods/updates"
	cp "$saved"/modules.* "$mods/" || return 1
	vfio_use_intree
}

n=0
rc=0
for stack in ${BENCH_ORDER:-intree ours ours intree}; do
	n=$((n + 1))
	echo "bench: round $n: $stack"
	case $stack in
	intree) use_intree ;;
	ours) vfio_use_ours ;;
	*) echo "bench: bad stack $stack"; false ;;
	esac || { rc=1; break; }
	vfio_bind "$VFIO_EDU0" > /dev/null || { rc=1; break; }
	out=$VM_OUT/round-$n-$stack.txt
	# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
	"$BENCH" -d "$VFIO_EDU0" ${BENCH_ARGS:-} > "$out.tmp" 2>&1
	r=$?
	cat "$out.tmp"
	# A failed run keeps the metrics it printed before failing (each
	# line is a finished measurement); the VM's status says it failed.
	mv "$out.tmp" "$out"
	if [ $r != 0 ]; then
		echo "bench: vfio_bench failed ($r) on $stack"
		rc=1
	fi
	vfio_unbind "$VFIO_EDU0" || { rc=1; break; }
done
vfio_stack_unload || rc=1
exit $rc
