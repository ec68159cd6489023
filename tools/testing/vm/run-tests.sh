#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Test-suite runner, INSIDE the test VM (started by check.sh through
# vm.sh). Installs the VFIO stack to test, runs each test with a timeout and
# records its output and exit status under $VM_OUT/results/ for the host to
# count (check.sh). Kernel log windows: every item writes
# "vfio-test: begin SEQ NAME" / "vfio-test: end SEQ" to /dev/kmsg so the
# host can pin kernel warnings on the item that caused them.
#
#   run-tests.sh [TEST...]     default: every discovered test (README.md)
#
# Environment: VFIO_STACK=ours|intree (default ours),
#              VFIO_TEST_TIMEOUT=seconds per test (default 300).
#
# results/plan     "SEQ NAME" per item: 0 = setup, then the tests, then
#                  the teardown (unloading the whole stack must work)
# results/SEQ.log  output (stdout and stderr) of item SEQ
# results/SEQ.rc   its exit status (missing: it did not finish)

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/testing/vm/guest-lib.sh
. "$here/guest-lib.sh"

R=$VM_OUT/results
T=${VFIO_TEST_TIMEOUT:-300}
VFIO_STACK=${VFIO_STACK:-ours}
export VFIO_STACK VFIO_SRC VM_OUT

discover() {
	for d in "$VFIO_SRC/tools/testing/selftests" "$VFIO_SRC/tools/testing/vm/tests"; do
		[ -d "$d" ] || continue
		find "$d" -type f \( -name '*_test.sh' -o \
			\( -name '*_test' -perm -u+x \) \)
	done | LC_ALL=C sort
}

rm -rf "$R"
mkdir -p "$R"
if [ $# -gt 0 ]; then
	tests=$(for t in "$@"; do
		case $t in /*) echo "$t" ;; *) echo "$PWD/$t" ;; esac
	done)
else
	tests=$(discover)
fi
ntests=$(echo "$tests" | grep -c .)
last=$((ntests + 1))

rel() { echo "${1#"$VFIO_SRC"/}"; }

{
	echo "0 setup: $VFIO_STACK VFIO stack"
	i=1
	for t in $tests; do
		echo "$i $(rel "$t")"
		i=$((i + 1))
	done
	echo "$last teardown: unload the VFIO stack"
} > "$R/plan"

kmsg() { echo "vfio-test: $*" > /dev/kmsg; }

# run_item SEQ NAME DIR COMMAND...
run_item() {
	_seq=$1 _name=$2 _dir=$3
	shift 3
	echo "=== [$_seq/$last] $_name"
	kmsg "begin $_seq $_name"
	mkdir -p "$R/$_seq.out"
	{
		(cd "$_dir" && VFIO_TEST_OUT="$R/$_seq.out" \
			timeout -k 10 "$T" "$@" < /dev/null)
		echo $? > "$R/$_seq.rc"
	} 2>&1 | tee "$R/$_seq.log"
	kmsg "end $_seq"
	_rc=$(cat "$R/$_seq.rc")
	case $_rc in
	0) echo "=== [$_seq/$last] $_name: exit 0" ;;
	4) echo "=== [$_seq/$last] $_name: skipped (exit 4)" ;;
	124) echo "=== [$_seq/$last] $_name: TIMEOUT after ${T}s" ;;
	*) echo "=== [$_seq/$last] $_name: FAILED (exit $_rc)" ;;
	esac
	rmdir "$R/$_seq.out" 2>/dev/null
	return 0
}

# Put the devices back to their native drivers between tests.
vfio_reset() {
	for _p in /sys/bus/pci/devices/*; do
		_b=${_p##*/}
		case $(vfio_driver_of "$_b") in
		*vfio*) vfio_unbind "$_b" ;;
		esac
		[ -n "$(cat "$_p/driver_override" 2>/dev/null)" ] &&
			echo > "$_p/driver_override"
	done
	return 0
}

# Items 0 and $last run shell functions through "sh -c"; export what
# they need by sourcing guest-lib.sh again there.
lib=$here/guest-lib.sh
run_item 0 "setup: $VFIO_STACK VFIO stack" / \
	sh -c ". '$lib' && vfio_use_stack"
setup_rc=$(cat "$R/0.rc")

i=1
for t in $tests; do
	if [ "$setup_rc" != 0 ]; then
		echo "not run: the $VFIO_STACK VFIO stack could not be set up" \
			> "$R/$i.log"
		echo notrun > "$R/$i.rc"
	else
		# Reload what a previous test may have removed.
		[ -e /sys/module/vfio_pci ] || modprobe -q vfio-pci
		if [ -x "$t" ]; then
			run_item "$i" "$(rel "$t")" "$(dirname "$t")" "$t"
		else
			run_item "$i" "$(rel "$t")" "$(dirname "$t")" sh "$t"
		fi
		vfio_reset
	fi
	i=$((i + 1))
done

run_item "$last" "teardown: unload the VFIO stack" / \
	sh -c ". '$lib' && vfio_stack_unload"
exit 0
