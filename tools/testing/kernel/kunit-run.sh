#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vfio-test-vm: debug
#
# Guest side of our KUnit suites: load every *_kunit module of the VFIO
# module set (its suites run while it loads), read each suite's KTAP from
# debugfs and print TAP, one line per test case. Needs a kernel with
# CONFIG_KUNIT (the debug kernel, see README.md); the modules exist only
# when built against such a kernel.
#
#   kunit-run.sh [MODULE...]
#
# MODULE: a module name (vfio_kunit) or a .ko path. Default: the
# *_kunit.ko* files of ours (MODULE_AUTHOR "VFIO out-of-tree team") under
# /lib/modules/$(uname -r)/$VFIO_KUNIT_MODDIR (default updates, where
# `make install` and `check.sh --staged` put them).
#
# Each module is removed again with rmmod; the modules it depends on stay
# as they were. KTAP of each suite goes to $VFIO_KUNIT_OUT (default
# $VFIO_TEST_OUT, else $VM_OUT/kunit, else nowhere) as SUITE.ktap, and
# into this output as comments when a case fails.
#
# For the duration, failslab's ignore-gfp-wait is off and verbose 0: the
# -ENOMEM cases force one GFP_KERNEL slab failure with fail_nth, quietly.
# Nothing else fails (probability stays 0).
#
# Exit status: 0 if every case passed or was skipped, 1 if any failed,
# 4 (skip) if the kernel has no KUnit or none of our modules is there.

set -u
export LC_ALL=C

DBG=/sys/kernel/debug
KUNIT_DIR=$DBG/kunit
FAILSLAB=$DBG/failslab
OUR_AUTHOR="VFIO out-of-tree team"
MODDIR=/lib/modules/$(uname -r)/${VFIO_KUNIT_MODDIR:-updates}
OUT=${VFIO_KUNIT_OUT:-${VFIO_TEST_OUT:-${VM_OUT:+$VM_OUT/kunit}}}

n=0
failed=0
tmp=$(mktemp -d) || exit 1

tap() { # ok|not ok, description
	n=$((n + 1))
	echo "$1 $n - $2"
	[ "$1" = ok ] || failed=1
}

comment() { sed 's/^/# /' "$@"; }

kmsg() { echo "vfio-kunit: $*" > /dev/kmsg 2>/dev/null || true; }

# Called from the EXIT trap only.
# shellcheck disable=SC2317
restore_failslab() {
	[ -f "$tmp/gfp-wait" ] &&
		cat "$tmp/gfp-wait" > "$FAILSLAB/ignore-gfp-wait"
	[ -f "$tmp/verbose" ] && cat "$tmp/verbose" > "$FAILSLAB/verbose"
}

# shellcheck disable=SC2317
cleanup() {
	restore_failslab
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -d "$KUNIT_DIR" ] && ! grep -qs " $DBG debugfs" /proc/mounts; then
	mount -t debugfs debugfs "$DBG" 2>/dev/null
fi
if [ ! -d "$KUNIT_DIR" ]; then
	echo "1..0 # SKIP $(uname -r) has no KUnit (or no CONFIG_KUNIT_DEBUGFS)"
	exit 4
fi

# The modules to run: names (modprobe, dependencies too) or paths
# (insmod: their dependencies must be loaded already).
if [ $# -gt 0 ]; then
	mods=$*
else
	mods=$(find "$MODDIR" -name '*_kunit.ko*' 2>/dev/null | sort |
		while read -r f; do
			[ "$(modinfo -F author "$f" 2>/dev/null)" = \
			  "$OUR_AUTHOR" ] || continue
			f=$(basename "$f")
			echo "${f%%.ko*}"
		done)
fi
if [ -z "$mods" ]; then
	echo "1..0 # SKIP no *_kunit module of ours in $MODDIR (built against a kernel without KUnit?)"
	exit 4
fi

if [ -d "$FAILSLAB" ]; then
	cat "$FAILSLAB/ignore-gfp-wait" > "$tmp/gfp-wait"
	cat "$FAILSLAB/verbose" > "$tmp/verbose"
	echo N > "$FAILSLAB/ignore-gfp-wait"
	echo 0 > "$FAILSLAB/verbose"
fi
[ -n "$OUT" ] && mkdir -p "$OUT"

# One suite's results file: a TAP line per case; the suite itself must
# have finished, with a verdict that agrees with its cases.
suite_tap() { # SUITE
	res=$KUNIT_DIR/$1/results
	if ! cat "$res" > "$tmp/ktap" 2>/dev/null; then
		tap "not ok" "$1 # no results in debugfs"
		return
	fi
	[ -n "$OUT" ] && cp "$tmp/ktap" "$OUT/$1.ktap"

	# Case verdicts are the lines indented by exactly four spaces.
	awk '/^    (not )?ok [0-9]+ / {
		st = ($1 == "not") ? "not ok" : "ok"
		sub(/^    (not )?ok [0-9]+ /, "")
		print st "\t" $0
	}' "$tmp/ktap" > "$tmp/cases"
	bad=0
	while IFS='	' read -r st rest; do
		tap "$st" "$1.$rest"
		[ "$st" = ok ] || bad=1
	done < "$tmp/cases"

	verdict=$(grep -E "^(not )?ok 1 $1\$" "$tmp/ktap" | tail -n 1)
	if [ ! -s "$tmp/cases" ] || [ -z "$verdict" ]; then
		tap "not ok" "$1 # did not finish"
		bad=1
	elif [ "$verdict" != "ok 1 $1" ] && [ $bad -eq 0 ]; then
		tap "not ok" "$1 # suite failed outside its cases"
		bad=1
	fi
	[ $bad -eq 0 ] || comment "$tmp/ktap"
}

for m in $mods; do
	name=$(basename "$m")
	name=${name%%.ko*}
	name=$(echo "$name" | tr - _)

	# Loading runs the suites: a stale copy would not run them again.
	[ -d "/sys/module/$name" ] && rmmod "$name"

	ls "$KUNIT_DIR" > "$tmp/before"
	kmsg "loading $name"
	case $m in
	*/*) out=$(insmod "$m" 2>&1) ;;
	*) out=$(modprobe "$m" 2>&1) ;;
	esac
	st=$?
	ls "$KUNIT_DIR" > "$tmp/after"
	if [ $st -ne 0 ]; then
		tap "not ok" "$name # load failed: $out"
		continue
	fi

	suites=$(comm -13 "$tmp/before" "$tmp/after")
	if [ -z "$suites" ]; then
		tap "not ok" "$name # no suite ran (kunit.enable=0?)"
	fi
	for s in $suites; do
		suite_tap "$s"
	done

	kmsg "unloading $name"
	rmmod "$name" || tap "not ok" "$name # rmmod failed"
done

echo "1..$n"
exit $failed
