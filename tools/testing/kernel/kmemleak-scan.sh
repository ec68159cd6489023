#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side: the kmemleak verdict of a whole run (check.sh runs it in the
# debug VM after the suite and the teardown; run-tests.sh adds it as the
# last item whenever the kernel has kmemleak). Scans twice, with a pause:
# kmemleak reports an object only when it was found unreferenced and older
# than its minimum age, so a second scan catches what the first was too
# early for. Prints TAP: one "not ok" per leaked object (its first line,
# e.g. "unreferenced object 0xffff... (size 64)" plus the first frame of
# our code or of the backtrace), and the whole report as comments.
#
#   kmemleak-scan.sh
#
# Exit status: 0 no leak, 1 leaks (or the scan failed), 4 (skip) if the
# kernel has no kmemleak. The report is also saved as kmemleak.txt in
# $VFIO_TEST_OUT when set.

set -u
K=/sys/kernel/debug/kmemleak

if [ ! -e $K ] && ! grep -qs ' /sys/kernel/debug debugfs' /proc/mounts; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
if [ ! -w $K ]; then
	echo "1..0 # SKIP $(uname -r) has no kmemleak ($K)"
	exit 4
fi

tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT

# An object must be older than kmemleak's minimum age (5 s) to count.
sleep 6
if ! echo scan > $K || ! { sleep 6 && echo scan > $K; }; then
	echo "not ok 1 - kmemleak scan # the scan request failed"
	echo "1..1"
	exit 1
fi
cat $K > "$tmp"
[ -n "${VFIO_TEST_OUT:-}" ] && cp "$tmp" "$VFIO_TEST_OUT/kmemleak.txt"

n=$(grep -c '^unreferenced object' "$tmp")
if [ "$n" = 0 ]; then
	echo "ok 1 - kmemleak: no unreferenced object after the suite"
	echo "1..1"
	exit 0
fi
# One item per object: its header, and the first backtrace frame that is
# not kmemleak's or the allocator's own.
awk '
function flush() {
	if (obj != "")
		printf "not ok %d - kmemleak: %s%s\n", ++i, obj, \
			(where == "" ? "" : " from " where)
}
/^unreferenced object/ { flush(); obj = $0; where = ""; bt = 0; next }
/^  backtrace/ { bt = 1; next }
bt && where == "" && $0 ~ /\[/ {
	f = $0
	sub(/^ *\[<[0-9a-f]+>\] */, "", f)
	sub(/^ *[0-9a-fx]+: */, "", f)
	if (f !~ /^(kmemleak|__kmalloc|kmalloc|kmem_cache|__kmem_cache|slab_|kvmalloc|__kvmalloc|__vmalloc|vmalloc|alloc_pages|__alloc_pages|kzalloc|kcalloc|krealloc|kasan_|__do_kmalloc|__kasan)/)
		where = f
}
END { flush(); printf "1..%d\n", i }
' "$tmp"
sed 's/^/# /' "$tmp"
exit 1
