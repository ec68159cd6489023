#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of tools/testing/kernel/smoke.sh: runs in the test VM booted
# on the debug kernel and checks, as TAP, that the kernel is the one we
# built and that its checkers are there: KASAN, lockdep, kmemleak, fault
# injection (fail_nth), KUnit (KTAP of an in-tree suite), IOMMU debugfs,
# iommufd and the VFIO device cdev (in-tree stack), and, with
# VFIO_STAGE set, that our modules load on it and that our KUnit suites
# (updates/**/*_kunit.ko) pass.
#
# Environment: SMOKE_KVER (the kernel release expected), VFIO_STAGE
# (optional: host-staged tree of our modules, see guest-lib.sh).

# shellcheck disable=SC1091
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"

n=0 failed=0
t() { # RESULT DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
check() { # DESCRIPTION COMMAND...
	_d=$1
	shift
	"$@" > /dev/null 2>&1
	t $? "$_d"
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

kver=$(uname -r)
dbg=/sys/kernel/debug
echo "# kernel $kver, up $(cut -d' ' -f1 /proc/uptime)s"
[ "$kver" = "${SMOKE_KVER:-$kver}" ]
t $? "booted the debug kernel ${SMOKE_KVER:-}"
check "its modules are at /lib/modules/$kver" \
	test -f "/lib/modules/$kver/modules.dep"
check "KASAN is on (generic)" \
	sh -c 'dmesg | grep -q "KernelAddressSanitizer initialized"'
check "lockdep is on (/proc/lockdep)" test -r /proc/lockdep
check "kmemleak is on ($dbg/kmemleak)" test -w $dbg/kmemleak
ok=0
for f in failslab fail_page_alloc fail_usercopy fail_function; do
	[ -d "$dbg/$f" ] || { echo "# no $dbg/$f"; ok=1; }
done
t $ok "fault injection: failslab, fail_page_alloc, fail_usercopy, fail_function"
check "fault injection: /proc/self/fail-nth" test -w /proc/self/fail-nth
check "IOMMU debugfs ($dbg/iommu/intel)" test -d $dbg/iommu/intel

# KUnit: an in-tree suite as a module; its KTAP in debugfs and dmesg.
if modprobe list-test 2> /dev/null; then
	r=$dbg/kunit/list-kunit-test/results
	sed 's/^/# /' "$r" | tail -n 3
	grep -q '^ok [0-9]* list-kunit-test' "$r"
	t $? "KUnit: list-kunit-test passed (KTAP in $r)"
	rmmod list-test
else
	t 1 "KUnit: modprobe list-test"
fi

# The in-tree stack with iommufd: upstream's behaviour to compare with.
check "iommufd loads (/dev/iommu)" \
	sh -c 'modprobe iommufd && test -c /dev/iommu'
vfio_use_intree > /dev/null
t $? "in-tree vfio-pci loads"
g=$(vfio_bind "$VFIO_EDU0" 2> /dev/null)
t $? "edu bound to the in-tree vfio-pci (group ${g:-?})"
check "VFIO device cdev (/dev/vfio/devices/vfio*)" \
	sh -c 'ls /dev/vfio/devices/vfio* > /dev/null'
vfio_unbind "$VFIO_EDU0" > /dev/null
t $? "edu back to no driver"

# kmemleak after all this: a scan, then whatever it reports.
echo scan > $dbg/kmemleak 2> /dev/null
leaks=$(grep -c '^unreferenced object' $dbg/kmemleak 2> /dev/null)
[ "${leaks:-0}" = 0 ]
t $? "kmemleak: ${leaks:-0} unreferenced objects after a scan"
if [ -n "${SMOKE_KMEMLEAK_OUT:-}" ]; then
	cat $dbg/kmemleak > "$SMOKE_KMEMLEAK_OUT" 2> /dev/null
fi

# Ours, built against the debug kernel (smoke.sh stages them).
if [ -n "${VFIO_STAGE:-}" ]; then
	VFIO_INSTALL=staged vfio_use_ours > /dev/null
	t $? "our vfio-pci loads on the debug kernel ($(modinfo -n vfio 2> /dev/null))"
	vfio_stack_unload
	t $? "our modules unload"
	# Our KUnit suites: each module runs its suites when loaded.
	find "/lib/modules/$kver/updates" -name '*_kunit.ko' | sort |
	while read -r ko; do
		m=$(basename "$ko" .ko)
		before=$(ls $dbg/kunit)
		if ! modprobe "$m"; then
			echo "not ok - KUnit: modprobe $m"
			continue
		fi
		for d in "$dbg"/kunit/*/; do
			s=$(basename "$d")
			echo "$before" | grep -qx "$s" && continue
			r=$dbg/kunit/$s/results
			nok=$(grep -c '^ *not ok' "$r")
			nall=$(grep -c '^ *\(not \)\{0,1\}ok ' "$r")
			echo "# $m: suite $s: $nok of $nall results not ok"
			[ "$nok" = 0 ] && grep -q "^ok [0-9]* $s" "$r" &&
				echo "ok - KUnit: $m: $s" ||
				echo "not ok - KUnit: $m: $s"
		done
		rmmod "$m" 2> /dev/null
	done > /tmp/kunit.tap
	while IFS= read -r l; do
		case $l in
		"ok - "*) t 0 "${l#ok - }" ;;
		"not ok - "*) t 1 "${l#not ok - }" ;;
		*) echo "$l" ;;
		esac
	done < /tmp/kunit.tap
	vfio_stack_unload > /dev/null 2>&1
else
	skip "our vfio-pci loads on the debug kernel" "no VFIO_STAGE"
	skip "our modules unload" "no VFIO_STAGE"
fi
echo "1..$n"
[ $failed = 0 ]
