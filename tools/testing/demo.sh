#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Body of `make demo`: build the module set, boot the test VM, install our
# modules there like a user would, bind the first edu device to vfio-pci
# and let QEMU 7.2 drive it as a VFIO client (tools/testing/vm/demo-guest.sh).
# Ends with one verdict line; exit status 0 on PASS.
#
#   demo.sh [--stack ours|intree]   (intree: the kernel's own VFIO modules)

# The Makefile runs us with sh: bash is needed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
stack=${VFIO_STACK:-ours}
case ${1:-} in
--stack) stack=${2:-}; shift 2 ;;
"") ;;
*) sed -n '3,9p' "$0"; exit 2 ;;
esac
case $stack in ours|intree) ;; *) echo "demo: bad --stack" >&2; exit 2 ;; esac
out=${VFIO_BUILD_DIR:-$SRC/build}/demo
t0=$SECONDS

verdict() { # RESULT TEXT
	echo
	echo "======================================================================"
	echo "make demo: $1: $2 ($((SECONDS - t0)) s)"
	echo "======================================================================"
}

echo ">>> Building the module set"
if ! make -s -C "$SRC"; then
	verdict FAIL "the modules did not build"
	exit 1
fi

echo ">>> Booting the test VM (QEMU, TCG: a few seconds of boot, then" \
	"1-2 minutes of make install in the VM)"
"$SRC/tools/testing/vm/vm.sh" --timeout "${VM_TIMEOUT:-900}" --out "$out" \
	-e "VFIO_STACK=$stack" -- /bin/bash "$SRC/tools/testing/vm/demo-guest.sh"
rc=$?

case $rc in
0) verdict PASS "QEMU used edu through the $stack VFIO stack; kernel log clean" ;;
1)
	if grep -q '^demo: all [0-9]* steps ok' "$out/console.log" 2>/dev/null; then
		verdict FAIL "every step worked, but the kernel log has warnings ($out/dmesg.txt)"
	else
		verdict FAIL "a step failed (above; logs in $out)"
	fi
	;;
124) verdict FAIL "the VM timed out ($out/console.log)" ;;
*) verdict FAIL "the VM failed, exit status $rc ($out/console.log)" ;;
esac
exit $rc
