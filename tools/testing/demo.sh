#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Body of `make demo`: build the module set (and the demo client), boot the
# test VM, install our modules there like a user would, bind the first edu
# device to vfio-pci and drive it from userspace with vfio_edu_demo.
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
*) sed -n '3,8p' "$0"; exit 2 ;;
esac
case $stack in ours|intree) ;; *) echo "demo: bad --stack" >&2; exit 2 ;; esac

echo ">>> Building the module set"
make -s -C "$SRC" || { echo "demo: build failed"; exit 1; }
if [ -f "$SRC/tools/testing/selftests/vfio/Makefile" ]; then
	echo ">>> Building the demo client"
	make -s -C "$SRC/tools/testing/selftests/vfio" ||
		echo "demo: the selftests did not build; going on without the client"
fi

echo ">>> Booting the test VM (QEMU, TCG: expect a few seconds of boot," \
	"then about a minute for make install)"
exec "$SRC/tools/testing/vm/vm.sh" --timeout "${VM_TIMEOUT:-900}" \
	--out "${VFIO_BUILD_DIR:-$SRC/build}/demo" -e "VFIO_STACK=$stack" \
	-- /bin/sh "$SRC/tools/testing/vm/demo-guest.sh"
