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
#   run-tests.sh --list VM [TEST...]
#                              only print the tests (of those given, or
#                              discovered) that run in VM flavour VM; for
#                              check.sh, on the host
#
# Environment: VFIO_STACK=ours|intree (default ours),
#              VFIO_TEST_TIMEOUT_SCALE=N multiplies every test's limit
#              (check.sh: 3 on the debug kernel),
#              VFIO_TEST_TIMEOUT=seconds per test (default 300; a test
#              script can ask for more: "# vfio-test-timeout: SEC"),
#              VFIO_TEST_VM=flavour of this boot (default iommu, the normal
#              VM; check.sh boots "noiommu" with intel_iommu=off and
#              "debug" on the debug kernel). Only the
#              tests that ask for it run: "# vfio-test-vm: NAME..." near
#              the top of a script, or the string "vfio-test-vm: NAME..."
#              in a program; a test without one runs in "iommu" only.
#
# results/plan     "SEQ NAME" per item: 0 = setup, then the tests, then
#                  the teardown (unloading the whole stack must work),
#                  then, on a kernel with kmemleak (the debug kernel), a
#                  leak scan of the whole run (tools/testing/kernel/
#                  kmemleak-scan.sh)
# results/SEQ.log  output (stdout and stderr) of item SEQ
# results/SEQ.rc   its exit status, "hung" if it could not be killed,
#                  "notrun" if setup failed (missing: it did not finish)
# results/SEQ.reset  what the reset after the test had to clean up

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/testing/vm/guest-lib.sh
. "$here/guest-lib.sh"

list_vm=
if [ "${1:-}" = --list ]; then
	list_vm=${2:?run-tests.sh --list VM [TEST...]}
	shift 2
fi

# Every item's limit (setup, tests, teardown, kmemleak) scales with
# VFIO_TEST_TIMEOUT_SCALE: the debug kernel is several times slower.
scale=${VFIO_TEST_TIMEOUT_SCALE:-1}
T=$(( ${VFIO_TEST_TIMEOUT:-300} * scale ))
T0=$T
VFIO_STACK=${VFIO_STACK:-ours}
VFIO_TEST_VM=${VFIO_TEST_VM:-iommu}
export VFIO_STACK VFIO_SRC VM_OUT VFIO_TEST_VM

# run_selftests.sh runs every C selftest program as one item; it carries
# "# vfio-test-vm: debug" (the normal VM runs the programs one by one).
discover() {
	for d in "$VFIO_SRC/tools/testing/selftests" "$VFIO_SRC/tools/testing/vm/tests"; do
		[ -d "$d" ] || continue
		find "$d" -type f \( -name '*_test.sh' -o \
			-name run_selftests.sh -o \
			\( -name '*_test' -perm -u+x \) \)
	done | LC_ALL=C sort
}

# The VM flavours test $1 runs in: the words after "vfio-test-vm:" in a
# comment line among a script's first 30 lines, or after the string
# "vfio-test-vm: " anywhere in a program (a C test keeps it in a used
# static string); "iommu" (the normal VM) without one.
test_vms() {
	case $1 in
	*.sh) _v=$(head -n 30 "$1" 2>/dev/null |
		sed -n 's/^# vfio-test-vm: *//p' | head -n 1) ;;
	*) _v=$(grep -a -o -m 1 'vfio-test-vm: [a-z0-9 _-]*' "$1" \
		2>/dev/null | head -n 1)
	   _v=${_v#vfio-test-vm: } ;;
	esac
	echo "${_v:-iommu}"
}

# runs_in TEST VM
runs_in() {
	for _f in $(test_vms "$1"); do
		[ "$_f" = "$2" ] && return 0
	done
	return 1
}

if [ $# -gt 0 ]; then
	tests=$(for t in "$@"; do
		case $t in /*) echo "$t" ;; *) echo "$PWD/$t" ;; esac
	done)
else
	tests=$(discover)
fi
tests=$(for t in $tests; do
	runs_in "$t" "${list_vm:-$VFIO_TEST_VM}" && echo "$t"
done)
if [ -n "$list_vm" ]; then
	[ -z "$tests" ] || echo "$tests"
	exit 0
fi

# VFIO_BOOT_CHECK=FILE (check.sh sets it; FILE: regexps of benign lines of
# this kernel): a kernel report from the boot itself, before the setup
# loads any VFIO module, is the kernel's or TCG's, not a test's. Stop with
# status 3 and the report in $VM_OUT/boot-report.txt: check.sh boots once
# more and prints the report, rather than failing every test of the VM.
if [ -n "${VFIO_BOOT_CHECK:-}" ]; then
	dmesg > "$VM_OUT/boot-dmesg.txt" 2>/dev/null
	if ! DMESG_CONTEXT=60 sh "$here/dmesg-scan.sh" \
		"$VM_OUT/boot-dmesg.txt" "$VFIO_BOOT_CHECK" \
		> "$VM_OUT/boot-report.txt"; then
		cat "$VM_OUT/boot-report.txt"
		echo "run-tests: BOOT-REPORT: the kernel reported a bug while" \
			"booting (modules: $(cut -d' ' -f1 /proc/modules |
			grep -E '^(vfio|iommufd|mdev)' | tr '\n' ' '))"
		exit 3
	fi
	rm -f "$VM_OUT/boot-dmesg.txt" "$VM_OUT/boot-report.txt"
fi

R=$VM_OUT/results
rm -rf "$R"
mkdir -p "$R"
ntests=$(echo "$tests" | grep -c .)
last=$((ntests + 1))
leakscan=$VFIO_SRC/tools/testing/kernel/kmemleak-scan.sh
[ -w /sys/kernel/debug/kmemleak ] && [ -f "$leakscan" ] || leakscan=
echo "run-tests: VM flavour $VFIO_TEST_VM, $VFIO_STACK stack, $ntests tests"

rel() { echo "${1#"$VFIO_SRC"/}"; }

{
	echo "0 setup: $VFIO_STACK VFIO stack"
	i=1
	for t in $tests; do
		echo "$i $(rel "$t")"
		i=$((i + 1))
	done
	echo "$last teardown: unload the VFIO stack"
	[ -z "$leakscan" ] || echo "$((last + 1)) kmemleak: scan after the suite"
} > "$R/plan"

kmsg() { echo "vfio-test: $*" > /dev/kmsg; }

# run_item SEQ NAME DIR COMMAND...
# The command runs in its own process group (timeout(1) makes one): what
# it leaves behind is killed afterwards. A process stuck in the kernel
# survives SIGKILL, so the runner stops waiting T+30 s after the start.
run_item() {
	_seq=$1 _name=$2 _dir=$3
	shift 3
	echo "=== [$_seq/$last] $_name"
	kmsg "begin $_seq $_name"
	mkdir -p "$R/$_seq.out"
	: > "$R/$_seq.log"
	(cd "$_dir" && VFIO_TEST_OUT="$R/$_seq.out" \
		exec timeout -k 10 "$T" "$@") < /dev/null > "$R/$_seq.log" 2>&1 &
	_pid=$!
	tail -n +1 -f --pid="$_pid" "$R/$_seq.log" &
	_tail=$!
	# No polling: on the debug kernel each fork of a poll loop took a
	# third of a second from the test. Wait for the test, or until the
	# watchdog's signal T+30 s after the start interrupts the wait.
	_late=0
	trap '_late=1' USR1
	(
		trap 'kill "$_s" 2>/dev/null; exit 0' TERM
		sleep $((T + 30)) &
		_s=$!
		wait "$_s" && kill -USR1 $$
	) < /dev/null > /dev/null 2>&1 &
	_wd=$!
	wait "$_pid"
	_rc=$?
	if [ $_late = 1 ] && _gl_alive "$_pid"; then
		_rc=hung
		kill "$_tail" 2>/dev/null
	else
		if [ $_late = 1 ]; then
			# It ended just as the watchdog fired.
			wait "$_pid"
			_rc=$?
		fi
		kill "$_wd" 2>/dev/null
		wait "$_tail"
	fi
	trap - USR1
	kill -KILL -- "-$_pid" 2>/dev/null
	echo "$_rc" > "$R/$_seq.rc"
	kmsg "end $_seq"
	case $_rc in
	0) echo "=== [$_seq/$last] $_name: exit 0" ;;
	4) echo "=== [$_seq/$last] $_name: skipped (exit 4)" ;;
	124) echo "=== [$_seq/$last] $_name: TIMEOUT after ${T}s" ;;
	hung) echo "=== [$_seq/$last] $_name: HUNG (unkillable after ${T}s)" ;;
	*) echo "=== [$_seq/$last] $_name: FAILED (exit $_rc)" ;;
	esac
	rmdir "$R/$_seq.out" 2>/dev/null
	return 0
}

# Put the devices back to their native drivers between tests; problems
# (a leftover process holding VFIO files, a device that cannot be
# released) go to results/SEQ.reset and fail the test.
vfio_reset() {
	_f=$R/$1.reset
	for _u in $(vfio_users); do
		echo "killed leftover process $_u ($(cat "/proc/$_u/comm" 2>/dev/null)) holding VFIO files" >> "$_f"
		kill -KILL "$_u" 2>/dev/null
	done
	# Globs and read, no command substitution: each fork costs on the
	# debug kernel, and this runs after every test for ~30 devices.
	for _p in /sys/bus/pci/drivers/*vfio*/????:??:??.?; do
		[ -e "$_p" ] && vfio_unbind "${_p##*/}" 2>> "$_f"
	done
	for _p in /sys/bus/pci/devices/*; do
		_o=
		read -r _o < "$_p/driver_override" 2>/dev/null
		[ -z "$_o" ] || [ "$_o" = "(null)" ] ||
			echo > "$_p/driver_override"
	done
	[ -s "$_f" ] && sed 's/^/reset: /' "$_f"
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
		# A script may ask for more time near its top:
		# "# vfio-test-timeout: SEC" (never less than the default).
		T=$T0
		case $t in *.sh)
			_tt=$(head -n 30 "$t" | sed -n \
				's/^# vfio-test-timeout: *\([0-9][0-9]*\).*/\1/p' |
				head -n 1)
			[ -n "$_tt" ] && [ $((_tt * scale)) -gt "$T" ] &&
				T=$((_tt * scale))
		esac
		if [ -x "$t" ]; then
			run_item "$i" "$(rel "$t")" "$(dirname "$t")" "$t"
		else
			run_item "$i" "$(rel "$t")" "$(dirname "$t")" sh "$t"
		fi
		vfio_reset "$i"
	fi
	i=$((i + 1))
done

T=$T0
run_item "$last" "teardown: unload the VFIO stack" / \
	sh -c ". '$lib' && vfio_stack_unload"
if [ -n "$leakscan" ]; then
	last=$((last + 1))
	run_item "$last" "kmemleak: scan after the suite" / sh "$leakscan"
fi
exit 0
