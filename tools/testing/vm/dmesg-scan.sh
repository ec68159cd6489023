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
#
# With DMESG_CONTEXT=N in the environment, each report is also printed
# whole: the N lines from each offending line on (prefixed "klog: ", at
# most 4 reports), so a CI log shows the trace and not just its first line.

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
n=${DMESG_CONTEXT:-0}
[ "$n" -gt 0 ] 2>/dev/null || exit 1
echo "$bad" | grep -n -F -x -f - "$f" | cut -d: -f1 |
	awk -v n="$n" -v f="$f" '
	# Line numbers of the reports, ascending; print each window once.
	{ if ($1 > upto && shown < 4) { from[++k] = $1; upto = $1 + n - 1; shown++ } }
	END {
		for (i = 1; i <= k; i++) {
			print "klog: ---- report " i " (line " from[i] " of " f ")"
			cmd = "sed -n " from[i] "," (from[i] + n - 1) "p \"" f "\""
			while ((cmd | getline l) > 0)
				print "klog: " l
			close(cmd)
		}
	}'
exit 1
