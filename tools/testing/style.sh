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

# One gate's line: findings are the lines of LOG matching REGEX.
verdict() { # NAME REGEX LOG CLEAN_TEXT
	n=$(grep -cE "$2" "$3")
	if [ "$n" -ne 0 ]; then
		grep -E "$2" "$3" | head -40
		echo "not ok - $1: $n findings"
		fail=1
	else
		echo "ok - $1: $4"
	fi
}
mkdir -p "$out"

files=$(git ls-files -co --exclude-standard -- \
	'core/*.[ch]' 'group/*.[ch]' 'cdev/*.[ch]' 'iommufd/*.[ch]' \
	'pci/*.[ch]' 'mdev/*.[ch]' 'platform/*.[ch]' 'virqfd/*.[ch]' \
	'pinrun/*.[ch]' 'include/vfio/*.h' 'include/compat/probes/*.c' \
	'tools/testing/variant/vfio_pci_variant_test.c' | sort -u)

if [ -z "$src" ] || [ ! -f "$src/scripts/checkpatch.pl" ]; then
	echo "not ok - checkpatch: linux-source-6.12 not unpacked (make deps)"
	fail=1
else
	# FILE_PATH_CHANGES and the MAINTAINERS hints only make sense in-tree.
	# shellcheck disable=SC2086
	perl "$src/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f $files > "$out/checkpatch.log" 2>&1
	verdict "checkpatch --strict" ': (ERROR|WARNING|CHECK):' \
		"$out/checkpatch.log" "$(echo "$files" | wc -w) files clean"
fi

# Rebuild every object with W=1 and sparse; any warning fails. Only the
# objects of the source folders go: `make clean` would also delete the
# .ko files of staged trees under build/.
find core group cdev iommufd pci mdev platform virqfd pinrun -name '*.o' \
	-delete 2>/dev/null
rm -f build/.modules-*	# the Makefile's "nothing changed" stamps
if ! make W=1 C=2 modules > "$out/build.log" 2>&1; then
	tail -30 "$out/build.log"
	echo "not ok - W=1 + sparse build failed"
	fail=1
else
	verdict "W=1 + sparse" 'warning:|error:|WARNING:' "$out/build.log" \
		"no warnings"
fi

# The sample variant driver (a test module on top of the set, its own
# Makefile), forced likewise.
find tools/testing/variant -name '*.o' -delete 2>/dev/null
if ! make -C tools/testing/variant W=1 C=2 modules \
	> "$out/variant.log" 2>&1; then
	tail -30 "$out/variant.log"
	echo "not ok - variant module: W=1 + sparse build failed"
	fail=1
else
	verdict "variant module: W=1 + sparse" 'warning:|error:|WARNING:' \
		"$out/variant.log" "no warnings"
fi

# Our prototypes of the IOMMUFD_INTERNAL functions against the kernel's.
sh tools/testing/internal-check.sh "" "$src" || fail=1
exit $fail
