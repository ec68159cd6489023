#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Scan a kernel log for signs of kernel bugs (oops, WARN, lockdep, KASAN,
# hung tasks, ...). Prints each offending line prefixed with "dmesg: " and
# exits 1 if there is any, 0 if the log is clean, 2 if it cannot be read.
#
#   dmesg-scan.sh FILE [EXPECTED]
#
# Patterns (extended regexps, one a line) are in dmesg-patterns.txt; lines
# matching dmesg-ignore.txt are known-benign noise of the VM and skipped,
# as are lines matching a regexp of the file EXPECTED (what a test said it
# would provoke, see README.md).

dir=$(dirname "$0")
f=$1
expected=${2:-/dev/null}
[ -r "$f" ] || { echo "dmesg: cannot read kernel log '$f'"; exit 2; }

nocomment() { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$1"; }

bad=$(nocomment "$dir/dmesg-patterns.txt" | grep -E -f - "$f" |
	grep -v -E -f "$dir/dmesg-ignore.txt" |
	{ if [ -s "$expected" ]; then grep -v -E -f "$expected"; else cat; fi; })
[ -z "$bad" ] && exit 0
echo "$bad" | sed 's/^/dmesg: /'
exit 1
