#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Style gates of `make check`: checkpatch --strict over every source file
# of the module set, then a forced W=1 + sparse (C=2) rebuild of every
# object. Any finding fails. Prints one "ok"/"not ok" line per gate.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
src=${LINUX_SRC:-$(ls -d /usr/src/linux-source-6.12 2>/dev/null | head -1)}
fail=0
out=$root/build/style
mkdir -p "$out"

files=$(git ls-files -co --exclude-standard -- \
	'core/*.[ch]' 'group/*.[ch]' 'cdev/*.[ch]' 'iommufd/*.[ch]' \
	'pci/*.[ch]' 'mdev/*.[ch]' 'platform/*.[ch]' 'virqfd/*.[ch]' \
	'include/vfio/*.h' 'include/compat/probes/*.c' | sort -u)

if [ -z "$src" ] || [ ! -f "$src/scripts/checkpatch.pl" ]; then
	echo "not ok - checkpatch: linux-source-6.12 not unpacked (make deps)"
	fail=1
else
	# FILE_PATH_CHANGES and the MAINTAINERS hints only make sense in-tree.
	# shellcheck disable=SC2086
	perl "$src/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f $files > "$out/checkpatch.log" 2>&1
	n=$(grep -cE ': (ERROR|WARNING|CHECK):' "$out/checkpatch.log")
	if [ "$n" -ne 0 ]; then
		grep -E ': (ERROR|WARNING|CHECK):' "$out/checkpatch.log" | head -40
		echo "not ok - checkpatch --strict: $n findings"
		fail=1
	else
		echo "ok - checkpatch --strict: $(echo "$files" | wc -w) files clean"
	fi
fi

# Rebuild every object with W=1 and sparse; any warning fails.
make -s clean >/dev/null 2>&1
if ! make W=1 C=2 modules > "$out/build.log" 2>&1; then
	tail -30 "$out/build.log"
	echo "not ok - W=1 + sparse build failed"
	fail=1
else
	n=$(grep -cE 'warning:|error:|WARNING:' "$out/build.log")
	if [ "$n" -ne 0 ]; then
		grep -E 'warning:|error:|WARNING:' "$out/build.log" | head -40
		echo "not ok - W=1 + sparse: $n findings"
		fail=1
	else
		echo "ok - W=1 + sparse: no warnings"
	fi
fi
exit $fail
