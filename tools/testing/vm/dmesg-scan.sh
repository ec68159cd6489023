#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Scan a kernel log for signs of kernel bugs (oops, WARN, lockdep, KASAN,
# hung tasks, ...). Prints each offending line prefixed with "dmesg: " and
# exits 1 if there is any, 0 if the log is clean, 2 if it cannot be read.
#
#   dmesg-scan.sh FILE
#
# Patterns (extended regexps, one a line) are in dmesg-patterns.txt; lines
# matching dmesg-ignore.txt are known-benign noise of the VM and skipped.

dir=$(dirname "$0")
f=$1
[ -r "$f" ] || { echo "dmesg: cannot read kernel log '$f'"; exit 2; }

bad=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$dir/dmesg-patterns.txt" |
	grep -E -f - "$f" |
	grep -v -E -f "$dir/dmesg-ignore.txt")
[ -z "$bad" ] && exit 0
echo "$bad" | sed 's/^/dmesg: /'
exit 1
