#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# include/vfio/iommu_internal.h declares the IOMMUFD_INTERNAL functions
# ourselves (their kernel prototypes are private). Compile it together
# with the kernel's drivers/iommu/iommu-priv.h, read from linux-source
# and never shipped: any drift of a signature is a "conflicting types"
# error here rather than a silent ABI mismatch at load time.
#
#   internal-check.sh [KDIR [LINUX_SRC]]
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${1:-}
[ -n "$kdir" ] || kdir=$(make -s -C "$repo" print-kdir)
src=${2:-}
[ -n "$src" ] || src=${LINUX_SRC:-/usr/src/linux-source-6.12}
priv=$src/drivers/iommu/iommu-priv.h
if [ ! -f "$priv" ]; then
	echo "not ok - iommu_internal.h: $priv missing (make deps)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/ifd_internal_check.c" <<'EOC'
// SPDX-License-Identifier: GPL-2.0-only
#include <linux/module.h>
#include <vfio/iommu_internal.h>
#include "iommu-priv.h"
MODULE_LICENSE("GPL");
EOC
echo "obj-m := ifd_internal_check.o" > "$tmp/Kbuild"
if make -C "$kdir" M="$tmp" \
	ccflags-y="-I$repo/include -I$src/drivers/iommu" \
	ifd_internal_check.o > "$tmp/log" 2>&1; then
	echo "ok - iommu_internal.h agrees with $priv"
else
	grep -E 'error|conflicting' "$tmp/log" | head -20
	echo "not ok - iommu_internal.h disagrees with $priv"
	exit 1
fi
