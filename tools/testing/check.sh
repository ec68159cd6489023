#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Body of `make check`: build, style gates, then the VM test suite in one
# boot of the test VM, plus one boot per other VM flavour that has tests
# (noiommu: intel_iommu=off; debug: our debug kernel with KUnit, KASAN,
# lockdep, kmemleak, see tools/testing/kernel/README.md). Every item prints "PASS: ...",
# "FAIL: ..." or "SKIP: ..."; the last line is exactly "N passed, N failed"
# (plus ", N skipped" when some were) and the exit status is 0 only if
# nothing failed. See tools/testing/vm/README.md.
#
#   check.sh [options] [TEST...]
#     --stack ours|intree  VFIO stack the tests run against (default: ours,
#                          i.e. `make install` of this tree in the VM;
#                          intree validates the tests against upstream)
#     --staged             install our modules from a host-staged tree
#                          instead of running `make install` in the VM
#     --no-build, --no-style, --no-vm   skip that part
#     --vm FLAVOUR,...     boot only these VM flavours (iommu, noiommu,
#                          sriov, debug; default: each that has tests to run)
#     --no-debug           do not build the debug kernel (VFIO_DEBUG_KERNEL=0):
#                          the debug VM runs only if it is cached already
#     --recount            only count the results of the last run again
#     TEST...              run only these tests (paths), default all

# The Makefile runs us with sh: bash is needed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
set -o pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM=$SRC/tools/testing/vm
BUILD=${VFIO_BUILD_DIR:-$SRC/build}
OUT=$BUILD/check
cd "$SRC" || exit 1

stack=${VFIO_STACK:-ours}
install=${VFIO_INSTALL:-make}
do_build=1 do_style=1 do_vm=1 recount=0
debug_kernel=${VFIO_DEBUG_KERNEL:-1}
only_vms=${VFIO_VMS:-}
while [ $# -gt 0 ]; do
	case $1 in
	--stack) stack=$2; shift 2 ;;
	--staged) install=staged; shift ;;
	--no-build) do_build=0; shift ;;
	--no-style) do_style=0; shift ;;
	--no-vm) do_vm=0; shift ;;
	--recount) recount=1 do_build=0 do_style=0; shift ;;
	--no-debug) debug_kernel=0; shift ;;
	--vm) only_vms=${2//,/ }; shift 2 ;;
	-h|--help) sed -n '3,24p' "$0"; exit 0 ;;
	--) shift; break ;;
	-*) echo "check: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
case $stack in ours|intree) ;; *) echo "check: bad --stack" >&2; exit 2 ;; esac

npass=0 nfail=0 nskip=0
failures=()

item() { # STATUS NAME...
	local st=$1
	shift
	set -- "$*"
	case $st in
	pass) npass=$((npass + 1)); echo "PASS: $1" ;;
	skip) nskip=$((nskip + 1)); echo "SKIP: $1" ;;
	*) nfail=$((nfail + 1)); echo "FAIL: $1"; failures+=("$1") ;;
	esac
}

section() { echo; echo "##### $*"; }

summary() {
	if [ ${#failures[@]} -gt 0 ]; then
		section "failed items"
		printf '  %s\n' "${failures[@]}"
		echo "(logs: $OUT)"
	fi
	echo
	if [ $nskip -gt 0 ]; then
		echo "$npass passed, $nfail failed, $nskip skipped"
	else
		echo "$npass passed, $nfail failed"
	fi
	[ $nfail -eq 0 ]
	exit
}

[ $recount = 1 ] || # One check at a time per checkout: they share $OUT.
mkdir -p "$BUILD"
exec 8> "$BUILD/check.lock"
if ! flock -n 8; then
	echo "check: another check.sh runs in this tree; waiting for it"
	flock 8
fi
[ $recount = 1 ] || rm -rf "$OUT"
mkdir -p "$OUT"
start=$(date +%s)

# ---------------------------------------------------------------------------
# The debug kernel (tools/testing/kernel/build.sh), when the debug VM will
# boot and it is not cached: its cold build takes ~40 CPU-minutes, so it
# starts now and runs (at nice 19) beside the build, the style gates and
# the other VMs, which keep their CPU. prepare_debug waits for it.

KERNEL_DIR=$SRC/tools/testing/kernel
debug_pid=''
if [ $do_vm = 1 ] && [ $recount = 0 ] &&
   { [ -z "$only_vms" ] || [[ " $only_vms " == *" debug "* ]]; } &&
   { [ "$debug_kernel" = 1 ] ||
     "$KERNEL_DIR/build.sh" --print > /dev/null 2>&1; } &&
   [ -n "$(VFIO_SRC="$SRC" sh "$VM/run-tests.sh" --list debug "$@")" ]; then
	"$KERNEL_DIR/build.sh" > "$OUT/debug-kernel.root" \
		2> "$OUT/debug-kernel.log" < /dev/null &
	debug_pid=$!
fi

# ---------------------------------------------------------------------------
# Build: the module set, then the userspace test programs (and the
# helpers of the VM shell tests).

build_ok=1
if [ $do_build = 1 ]; then
	section "build"
	if make -C "$SRC" > "$OUT/build.log" 2>&1; then
		item pass "build: modules"
	else
		tail -n 30 "$OUT/build.log"
		item fail "build: modules (see $OUT/build.log)"
		build_ok=0
	fi
	# tools/testing/variant: the sample variant driver (a test module
	# on top of ours, staged with them) and its test's client.
	for mk in "$SRC"/tools/testing/selftests/*/Makefile \
		  "$SRC"/tools/testing/vm/tests/Makefile \
		  "$SRC"/tools/testing/variant/Makefile; do
		[ -f "$mk" ] || continue
		d=${mk%/Makefile}
		n=build-${d##*/}
		if make -C "$d" > "$OUT/$n.log" 2>&1; then
			item pass "build: ${d#"$SRC"/}"
		else
			tail -n 30 "$OUT/$n.log"
			item fail "build: ${d#"$SRC"/} (see $OUT/$n.log)"
		fi
	done
fi

# ---------------------------------------------------------------------------
# Style: tools/testing/style.sh prints one "ok"/"not ok" line per gate.

if [ $do_style = 1 ] && [ -f "$SRC/tools/testing/style.sh" ]; then
	section "style"
	sh "$SRC/tools/testing/style.sh" 2>&1 | tee "$OUT/style.log"
	src=$?
	n=0
	while IFS= read -r l; do
		case $l in
		"not ok"*) item fail "style: ${l#not ok*- }"; n=$((n + 1)) ;;
		"ok"*) item pass "style: ${l#ok*- }"; n=$((n + 1)) ;;
		esac
	done < "$OUT/style.log"
	if [ $src != 0 ] && ! grep -q '^not ok' "$OUT/style.log"; then
		item fail "style: style.sh exited with $src"
	elif [ $n = 0 ]; then
		item pass "style: style.sh"
	fi
	# style.sh rebuilds with W=1 C=2; make sure the modules are there.
	if [ $do_build = 1 ] && [ $build_ok = 1 ]; then
		make -C "$SRC" >> "$OUT/build.log" 2>&1 || build_ok=0
	fi
fi

[ $do_vm = 1 ] || summary

# ---------------------------------------------------------------------------
# VM suite: tools/testing/vm/run-tests.sh, one boot per VM flavour that has
# tests to run. A test names the flavours it runs in ("# vfio-test-vm:
# NAME..."); without that it runs in the normal VM only.
#
#   iommu    the normal test VM (intel_iommu=on); results in $OUT
#   noiommu  a short extra boot with intel_iommu=off, where no device has
#            an IOMMU group (vfio's unsafe noiommu mode); results in
#            $OUT/vm-noiommu, items named "noiommu VM: ..."
#   sriov    QEMU 10 (tools/testing/vm/qemu10.sh, downloaded once and
#            cached; skipped when it cannot be had) with an igb SR-IOV
#            NIC added (vm.sh --sriov); results in $OUT/vm-sriov, items
#            named "sriov VM: ..."
#   debug    the debug kernel (tools/testing/kernel/build.sh, built once
#            and cached, a cold build started with the check); our
#            modules built for it from a copy of the tree and always
#            staged; two guests (run_jobs), each with a
#            kmemleak scan last (run-tests.sh): KUnit (kernel/kunit-run.sh)
#            and the C selftests in $OUT/vm-debug, items "debug VM: ...",
#            the rest (on QEMU 10 with the igb, as sriov, when it can be
#            had) in $OUT/vm-debug2, items "debug VM 2: ..."

vm_flavours="iommu noiommu sriov debug"

vm_dir() { if [ "$1" = iommu ]; then echo "$OUT"; else echo "$OUT/vm-$1"; fi; }
vm_label() {
	case $1 in
	iommu) ;;
	iommu2) echo "iommu VM 2: " ;;
	debug2) echo "debug VM 2: " ;;
	*) echo "$1 VM: " ;;
	esac
}

# install_stage LABEL TREE KDIR MODDIR STAGE KVER LOG: modules_install
# of TREE (built for KDIR) under STAGE, then depmod over MODDIR's
# modules + ours here: in the VM it takes minutes under TCG. The guest
# copies the results. Appends to LOG.
install_stage() {
	local label=$1 tree=$2 kdir=$3 moddir=$4 st=$5 kver=$6 log=$7 f
	rm -rf "$st"
	if ! make -C "$kdir" M="$tree" VFIO_SRC="$tree" \
		INSTALL_MOD_PATH="$st" INSTALL_MOD_DIR=updates \
		INSTALL_MOD_STRIP=1 modules_install >> "$log" 2>&1; then
		tail -n 30 "$log"
		item fail "$label: staging the modules failed ($log)"
		return 1
	fi
	# The sample variant driver (tools/testing/variant), built for KDIR
	# against TREE's Module.symvers when needed: a test module, never
	# part of `make install`. Without it variant_test.sh fails alone.
	if ! make -C "$tree/tools/testing/variant" KDIR="$kdir" \
		VFIO_SRC="$tree" INSTALL_MOD_PATH="$st" modules_install \
		>> "$log" 2>&1; then
		tail -n 30 "$log"
		item fail "$label: staging the variant test module failed ($log)"
	fi
	for f in kernel modules.order modules.builtin \
		 modules.builtin.modinfo; do
		ln -sfn "$moddir/$f" "$st/lib/modules/$kver/$f"
	done
	if ! depmod -b "$st" "$kver" >> "$log" 2>&1; then
		item fail "$label: depmod of the staged modules failed ($log)"
		return 1
	fi
}

# Our modules, installed once on the host side for every boot
# (--staged): sets $stage.
stage=
stage_modules() {
	local kver
	stage=$OUT/stage
	kver=$("$VM/vm.sh" --kver) || return 1
	: > "$OUT/stage.log"
	install_stage vm "$SRC" "/lib/modules/$kver/build" \
		"/lib/modules/$kver" "$stage" "$kver" "$OUT/stage.log"
}

# The debug kernel and our modules for it (prepare_debug): its install
# root, and the staged modules ("" with --stack intree).
debug_root='' debug_stage=''
prepare_debug() {
	local kver t0
	t0=$(date +%s)
	if [ -z "$debug_pid" ]; then
		item skip "debug VM: not run: the debug kernel is not built" \
			"and --no-debug/VFIO_DEBUG_KERNEL=0 forbids building it" \
			"(tools/testing/kernel/build.sh)"
		return 1
	fi
	echo "check: waiting for the debug kernel (kernel/build.sh, started" \
		"with the check; log: $OUT/debug-kernel.log)"
	wait "$debug_pid"
	debug_root=$(tail -n 1 "$OUT/debug-kernel.root")
	if [ ! -f "$debug_root/.complete" ]; then
		tail -n 20 "$OUT/debug-kernel.log"
		item fail "debug VM: the debug kernel did not build" \
			"(see $OUT/debug-kernel.log)"
		return 1
	fi
	kver=$(cat "$debug_root/kver")
	echo "check: debug kernel $kver in $debug_root (waited" \
		"$(( $(date +%s) - t0 ))s)"
	[ "$stack" = ours ] || return 0

	# Our modules, built from a private copy: building in the tree
	# would overwrite the objects built for the stock kernel. The
	# tree's own build products are not copied.
	t0=$(date +%s)
	rsync -a --delete --exclude=/build --exclude=/.git \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='*.cmd' --exclude='*.d' \
		--exclude='*.a' --exclude=Module.symvers \
		--exclude=modules.order --exclude=/include/generated \
		--exclude=/include/compat/probes/build \
		"$SRC/" "$OUT/debug-src/"
	debug_stage=$OUT/debug-stage
	# With W=1 and sparse, as style.sh does against the stock headers:
	# only here are the *_kunit.c files built.
	if ! make -C "$OUT/debug-src" KDIR="$debug_root/build" W=1 C=2 \
		> "$OUT/debug-build.log" 2>&1; then
		tail -n 30 "$OUT/debug-build.log"
		item fail "debug VM: our modules do not build against the" \
			"debug kernel (see $OUT/debug-build.log)"
		return 1
	fi
	if grep -E 'warning:|error:|WARNING:' "$OUT/debug-build.log"; then
		item fail "debug VM: W=1 + sparse warnings building against" \
			"the debug kernel (see $OUT/debug-build.log)"
	else
		item pass "debug VM: W=1 + sparse clean against the debug" \
			"kernel (KUnit suites included)"
	fi
	install_stage "debug VM" "$OUT/debug-src" "$debug_root/build" \
		"$debug_root/lib/modules/$kver" "$debug_stage" "$kver" \
		"$OUT/debug-build.log" || return 1
	item pass "debug VM: our modules build against $kver" \
		"($(( $(date +%s) - t0 ))s)"
}

# The debug VM's tests run in two guests side by side (each TCG guest
# keeps one core busy; see run_jobs): the first boots with
# our KUnit suites and the C selftests but debug2_suites, the second
# with those suites (none: the halves weigh the same without) and the
# other tests: the shell tests, the fault pass and, on QEMU 10 with the
# sriov VM's igb when that QEMU can be had, the SR-IOV tests.
# VFIO_DEBUG_SHARDS=1 (or a VFIO_SELFTESTS choice) keeps one guest.
debug2_suites=""
debug_shards=${VFIO_DEBUG_SHARDS:-2}
[ -z "${VFIO_SELFTESTS:-}" ] || debug_shards=1

# The sriov VM's QEMU (qemu10.sh: cached, else a ~13 MB download).
sriov_qemu=''
prepare_sriov() {
	sriov_qemu=$("$VM/qemu10.sh" 2> "$OUT/qemu10.log" | tail -n 1)
	[ -n "$sriov_qemu" ] && return 0
	item skip "sriov VM: not run: no QEMU 10 ($(tail -n 1 \
		"$OUT/qemu10.log"); tools/testing/vm/qemu10.sh)"
	return 1
}

# run_vm FLAVOUR TEST... (FLAVOUR debug2: the second debug guest)
run_vm() {
	local fl=$1 kver vmargs dtests t sel=() rest=()
	shift
	vmargs=(--out "$(vm_dir "$fl")" --no-dmesg-check
		-e "VFIO_STACK=$stack" -e "VFIO_TEST_VM=${fl%2}"
		-e "VFIO_BOOT_CHECK=/dev/null")
	if [ "${fl%2}" = debug ]; then
		# Always staged: `make install` in the guest would build in
		# the tree (for the wrong kernel's objects).
		vmargs+=(-e VFIO_INSTALL=staged)
		[ -z "$debug_stage" ] || vmargs+=(-e "VFIO_STAGE=$debug_stage")
	elif [[ " iommu2 noiommu sriov " == *" $fl "* ]] && [ -n "$stage" ]; then
		# The iommu VM proves `make install`; here it would only
		# cost 80 s of TCG.
		vmargs+=(-e VFIO_INSTALL=staged -e "VFIO_STAGE=$stage")
	else
		vmargs+=(-e "VFIO_INSTALL=$install")
		[ -z "$stage" ] || vmargs+=(-e "VFIO_STAGE=$stage")
	fi
	case $fl in
	iommu|iommu2)
		vmargs+=(--timeout "${VM_TIMEOUT:-1500}")
		# tools/testing/vm/tests/dkms_test.sh: `dkms build` takes
		# ~7 min under TCG, seconds here; the guest gets the built
		# dkms tree.
		case " $* " in
		"  "|*dkms_test.sh*)
			kver=$("$VM/vm.sh" --kver) || return 125
			bash "$VM/tests/dkms-prep.sh" "$OUT/dkms" "$kver" \
				> "$OUT/dkms-prep.log" 2>&1
			vmargs+=(-e "VFIO_DKMS_TARBALL=$OUT/dkms/vfio-oot-dkms.tar"
				 -e "VFIO_DKMS_PREP_LOG=$OUT/dkms-prep.log")
			;;
		esac
		;;
	noiommu)
		vmargs+=(--timeout "${VM_NOIOMMU_TIMEOUT:-600}"
			 --append intel_iommu=off)
		;;
	sriov)
		vmargs+=(--timeout "${VM_SRIOV_TIMEOUT:-900}"
			 --qemu "$sriov_qemu" --sriov)
		;;
	debug|debug2)
		# Our KUnit suites first, then the tests that opt in.
		# KASAN, lockdep and kmemleak under TCG make tests 3-7x
		# slower than on the stock kernel (unplug_test.sh: 499 s vs
		# 68 s): the limits, there against hangs, scale with it.
		vmargs+=(--timeout "${VM_DEBUG_TIMEOUT:-2700}"
			 --kernel "$debug_root"
			 -e "VFIO_BOOT_CHECK=$KERNEL_DIR/dmesg-ignore.txt"
			 -e "VFIO_TEST_TIMEOUT_SCALE=${VFIO_DEBUG_TIMEOUT_SCALE:-3}")
		mapfile -t dtests < <(VFIO_SRC="$SRC" \
			sh "$VM/run-tests.sh" --list debug "$@")
		for t in "${dtests[@]}"; do
			case $t in
			*/run_selftests.sh) sel+=("$t") ;;
			*) rest+=("$t") ;;
			esac
		done
		if [ "$debug_shards" = 1 ]; then
			set -- "$KERNEL_DIR/kunit-run.sh" "${dtests[@]}"
		elif [ "$fl" = debug ]; then
			vmargs+=(-e "VFIO_SELFTESTS_SKIP=$debug2_suites")
			set -- "$KERNEL_DIR/kunit-run.sh" "${sel[@]}"
		else
			# The SR-IOV tests too: QEMU 10 with the igb.
			[ -n "$sriov_qemu" ] || sriov_qemu=$("$VM/qemu10.sh" \
				2> "$OUT/qemu10.log" | tail -n 1)
			[ -z "$sriov_qemu" ] ||
				vmargs+=(--qemu "$sriov_qemu" --sriov)
			[ -z "$debug2_suites" ] || vmargs+=(-e \
				"VFIO_SELFTESTS=$debug2_suites")
			[ -n "$debug2_suites" ] || sel=()
			set -- "${sel[@]}" "${rest[@]}"
		fi
		;;
	esac
	"$VM/vm.sh" "${vmargs[@]}" -- /bin/sh "$VM/run-tests.sh" "$@"
}

# The VM jobs run two at a time (each TCG guest keeps one core busy),
# under the machine's VM lock (vm.sh's, taken here once for all of them).
# The stock-kernel flavours go first, in two lanes of about equal length:
#   lane 1: iommu, then noiommu, then sriov
#   lane 2: iommu2 (the iommu VM's install tests, see iommu2_tests)
# Meanwhile the debug kernel is awaited and our modules are built for it
# (prepare_debug); each debug guest then takes the next free slot, debug2
# (the longer) first. Each job writes its console to DIR/run.out and
# "STATUS SECONDS" to DIR/job.rc; count_vm reads them afterwards.
VM_SLOTS=${VFIO_VM_SLOTS:-2}

# job FLAVOUR TEST...: one boot; the caller puts it in the background.
job() {
	local fl=$1 dir t0 rc=0
	shift
	dir=$(vm_dir "$fl")
	mkdir -p "$dir"
	t0=$(date +%s)
	rm -rf "$dir/boot1" "$dir/results" "$dir/boot-report.txt"
	run_vm "$fl" "$@" > "$dir/run.out" 2>&1 || rc=$?
	# A boot that is the kernel's or TCG's problem, not a test's: keep
	# its logs for count_vm and boot once more; the second boot counts.
	# Either the VM died before the test runner started (no plan: a
	# panic in early boot, such as the IO-APIC timer check), or the
	# kernel reported a bug while booting, before any test (see
	# run-tests.sh, VFIO_BOOT_CHECK).
	if [ "$rc" = 125 ] && [ ! -s "$dir/results/plan" ]; then
		mkdir -p "$dir/boot1"
		{
			echo "# $fl: the VM failed before the test runner" \
				"started (vm.sh status 125); its console ends:"
			tail -n 30 "$dir/console.log" 2>/dev/null |
				sed 's/^/klog: /'
		} > "$dir/boot1/boot-failed.txt"
	elif [ -s "$dir/boot-report.txt" ]; then
		mkdir -p "$dir/boot1"
		mv "$dir/boot-report.txt" "$dir/boot1/"
	fi
	if [ -d "$dir/boot1" ]; then
		mv "$dir/run.out" "$dir/console.log" "$dir/dmesg.txt" \
			"$dir/boot1/" 2>/dev/null
		rc=0
		run_vm "$fl" "$@" > "$dir/run.out" 2>&1 || rc=$?
	fi
	echo "$rc $(( $(date +%s) - t0 ))" > "$dir/job.rc"
}

# The iommu VM's tests, split between iommu and iommu2 (see below).
iommu_list=() iommu2_list=()

run_jobs() {
	local lockdir lane1=() lane2=() running=0 fl dbg=() ok=1
	lockdir=/run/lock
	[ -w "$lockdir" ] || lockdir=${TMPDIR:-/tmp}
	exec 7> "$lockdir/vfio-test-vm.lock"
	if ! flock -n 7; then
		echo "check: another test VM is running; waiting for it"
		flock 7
	fi
	export VFIO_VM_LOCKED=1
	for fl in "${boots[@]}"; do
		case $fl in
		iommu|noiommu|sriov) lane1+=("$fl") ;;
		iommu2) lane2+=("$fl") ;;
		debug) dbg=(debug2 debug)
		       [ "$debug_shards" != 1 ] || dbg=(debug) ;;
		esac
	done
	[ ${#lane2[@]} -gt 0 ] || [ ${#lane1[@]} -lt 2 ] ||
		{ lane2=("${lane1[@]:1}"); lane1=("${lane1[0]}"); }
	if [ ${#lane1[@]} -gt 0 ] || [ ${#lane2[@]} -gt 0 ]; then
		# Two guests would build the missing initramfs at once.
		"$VM/vm.sh" --initramfs > /dev/null
	fi
	if [ ${#lane1[@]} -gt 0 ]; then
		stock_lane "${lane1[@]}" &
		running=$((running + 1))
	fi
	if [ ${#lane2[@]} -gt 0 ]; then
		stock_lane "${lane2[@]}" &
		running=$((running + 1))
	fi
	if [ ${#dbg[@]} -gt 0 ]; then
		section "debug VM: preparation"
		prepare_debug || ok=0
		[ $ok = 0 ] || "$VM/vm.sh" --kernel "$debug_root" --initramfs \
			> /dev/null
		if [ $ok = 1 ]; then
			for fl in "${dbg[@]}"; do
				while [ $running -ge "$VM_SLOTS" ]; do
					wait -n
					running=$((running - 1))
				done
				job "$fl" "${job_tests[@]}" &
				running=$((running + 1))
			done
		fi
	fi
	wait
	unset VFIO_VM_LOCKED
	exec 7>&-
}

# stock_lane FLAVOUR...: the stock-kernel jobs of one lane, in order.
stock_lane() {
	local fl
	for fl in "$@"; do
		case $fl in
		iommu) job iommu "${iommu_list[@]}" ;;
		iommu2) job iommu2 "${iommu2_list[@]}" ;;
		*) job "$fl" "${job_tests[@]}" ;;
		esac
	done
}

# parse_item SEQ NAME: TAP lines count one item each, else the exit status.
parse_item() {
	local seq=$1 name=$2 rc log
	log=$R/$seq.log
	rc=$(cat "$R/$seq.rc" 2>/dev/null)
	awk -v rc="$rc" -v name="$name" '
	function out(st, d) { printf "%s\t%s\n", st, d; n++ }
	/^1\.\.[0-9]+/ {
		plan = substr($1, 4) + 0
		if (plan == 0 && $0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) {
			why = $0
			sub(/^[^#]*#[ \t]*/, "", why)
		}
	}
	/^Bail out!/ { out("fail", name ": " $0) }
	/^(not )?ok([ \t]|$)/ {
		bad = ($1 == "not")
		d = $0
		sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(-[ \t]*)?/, "", d)
		if (d ~ /#[ \t]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])/)
			st = "skip"
		else
			st = bad ? "fail" : "pass"
		if (bad && st == "fail") nbad++
		ntap++
		out(st, name ": " d)
	}
	END {
		skipped = name (why == "" ? "" : ": # " why)
		why = rc == "" ? "did not finish (VM hung or crashed)" : \
		      rc == "notrun" ? "not run (setup failed)" : \
		      rc == "hung" ? "hung (could not be killed)" : \
		      rc == 124 ? "timed out" : "exit status " rc
		if (ntap == 0) {
			if (rc == "0") out("pass", name)
			else if (rc == "4") out("skip", skipped)
			else out("fail", name ": " why)
		} else {
			if (plan > ntap)
				out("fail", name ": " (plan - ntap) " of " plan \
				    " planned tests missing")
			if (rc != "0" && rc != "4" && nbad == 0)
				out("fail", name ": " why)
		}
	}' "${log:-/dev/null}" 2>/dev/null
}

# Kernel log lines a test announced ("# expect-dmesg: REGEXP", or
# "# expect-dmar-fault: why" for IOMMU faults it provokes on purpose).
expected_dmesg() {
	[ -r "$1" ] || return 0
	sed -n 's/^# expect-dmesg: //p' "$1"
	grep -q '^# expect-dmar-fault:' "$1" &&
		echo 'DMAR: (DRHD: handling fault status|\[DMA (Read|Write)|\[INTR-REMAP)'
	return 0
}

# count_vm FLAVOUR VMSTATUS: the items of one boot.
count_vm() {
	local fl=$1 vmrc=$2 dir lbl klog kdir seq name st d ign
	dir=$(vm_dir "$fl")
	lbl=$(vm_label "$fl")
	R=$dir/results

	if [ -s "$dir/boot1/boot-report.txt" ]; then
		cat "$dir/boot1/boot-report.txt"
		item skip "${lbl}vm: the first boot was dropped: the kernel" \
			"reported a bug while booting, before any test or VFIO" \
			"module (report above, logs in $dir/boot1)"
	fi
	if [ -s "$dir/boot1/boot-failed.txt" ]; then
		cat "$dir/boot1/boot-failed.txt"
		item skip "${lbl}vm: the first boot was dropped: the VM failed" \
			"before the test runner started, before any test or VFIO" \
			"module (console above, logs in $dir/boot1)"
	fi
	if [ -s "$dir/boot-report.txt" ]; then
		cat "$dir/boot-report.txt"
		item fail "${lbl}vm: the kernel reported a bug while booting" \
			"(twice; report above)"
	fi
	case $vmrc in
	0) ;;
	124) item fail "${lbl}vm: the test VM timed out or hung" \
		"(see $dir/console.log)" ;;
	*) item fail "${lbl}vm: the test VM failed (vm.sh status $vmrc," \
		"see $dir/console.log)" ;;
	esac

	# Kernel log: split into the items' windows (run-tests.sh markers).
	klog=$dir/dmesg.txt
	[ -s "$klog" ] || klog=$dir/console.log
	kdir=$dir/kernel-log
	rm -rf "$kdir"
	mkdir -p "$kdir"
	tr -d '\r' < "$klog" 2>/dev/null | awk -v dir="$kdir" '
		/vfio-test: begin [0-9]+ / {
			for (i = 1; i < NF; i++)
				if ($i == "begin") { cur = $(i + 1); break }
			next
		}
		/vfio-test: end [0-9]+$/ { cur = ""; next }
		{ print > (dir "/" (cur == "" ? "outside" : cur) ".txt") }
	'

	# The debug kernel's boot banners that name a checker ("RCU lockdep
	# checking is enabled", ...) are no report.
	ign=$kdir/ignore
	: > "$ign"
	[ "${fl%2}" != debug ] ||
		grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' \
			"$KERNEL_DIR/dmesg-ignore.txt" > "$ign"

	if [ ! -s "$R/plan" ]; then
		item fail "${lbl}vm: the test runner did not start" \
			"(see $dir/console.log)"
		return
	fi
	while read -r seq name; do
		while IFS=$'\t' read -r st d; do
			item "$st" "$d"
		done < <(parse_item "$seq" "$lbl$name")
		if [ -s "$R/$seq.reset" ]; then
			sed 's/^/reset: /' "$R/$seq.reset"
			item fail "$lbl$name: left the VM in a bad state" \
				"($(head -n 1 "$R/$seq.reset"))"
		fi
		{ expected_dmesg "$R/$seq.log"; cat "$ign"; } \
			> "$kdir/$seq.expected"
		if [ -s "$kdir/$seq.txt" ] &&
		   ! DMESG_CONTEXT=60 sh "$VM/dmesg-scan.sh" "$kdir/$seq.txt" \
			"$kdir/$seq.expected" > "$kdir/$seq.bad"; then
			cat "$kdir/$seq.bad"
			item fail "$lbl$name: kernel warnings during the test"
		fi
	done < "$R/plan"
	if [ -s "$kdir/outside.txt" ] &&
	   ! DMESG_CONTEXT=60 sh "$VM/dmesg-scan.sh" "$kdir/outside.txt" "$ign" \
		> "$kdir/outside.bad"; then
		cat "$kdir/outside.bad"
		item fail "${lbl}kernel log outside the tests (boot, resets, shutdown)"
	else
		item pass "${lbl}kernel log outside the tests is clean"
	fi
}

if [ "$stack" = ours ] && [ $build_ok = 0 ]; then
	section "VM tests (stack: $stack)"
	item fail "vm: not run, the modules did not build"
	summary
fi

# The boots with something to run (a recount: those that ran). The iommu
# VM's install tests (iommu2_tests: minutes of depmod and xz under TCG)
# boot a second iommu guest of their own (iommu2, staged install), which
# runs beside the first.
iommu2_tests=" dkms_test.sh uninstall_test.sh modules_test.sh "
job_tests=("$@")
boots=()
for fl in $vm_flavours; do
	if [ -n "$only_vms" ] && [[ " $only_vms " != *" $fl "* ]]; then
		continue
	elif [ $recount = 1 ]; then
		[ -d "$(vm_dir "$fl")/results" ] && boots+=("$fl")
		[ "$fl" != iommu ] || [ ! -d "$(vm_dir iommu2)/results" ] ||
			boots+=(iommu2)
	elif [ "$fl" = iommu ]; then
		while read -r t; do
			if [[ "$iommu2_tests" == *" ${t##*/} "* ]]; then
				iommu2_list+=("$t")
			else
				iommu_list+=("$t")
			fi
		done < <(VFIO_SRC="$SRC" sh "$VM/run-tests.sh" --list iommu "$@")
		[ ${#iommu_list[@]} = 0 ] || boots+=(iommu)
		[ ${#iommu2_list[@]} = 0 ] || boots+=(iommu2)
	elif [ -n "$(VFIO_SRC="$SRC" sh "$VM/run-tests.sh" --list "$fl" "$@")" ]
	then
		boots+=("$fl")
	fi
done
[ ${#boots[@]} -gt 0 ] || item fail "vm: no test to run"

# The staging for the stock kernel (the debug VM has its own; iommu2,
# noiommu and sriov always use it).
if [ $recount = 0 ] && [ "$stack" = ours ] &&
   { [[ " ${boots[*]} " == *" "@(noiommu|sriov|iommu2)" "* ]] ||
     { [ "$install" = staged ] && [[ " ${boots[*]} " == *" iommu "* ]]; }; }
then
	stage_modules || summary
fi

if [ $recount = 0 ] && [[ " ${boots[*]} " == *" sriov "* ]]; then
	section "sriov VM: preparation"
	if ! prepare_sriov; then
		b=()
		for fl in "${boots[@]}"; do [ "$fl" = sriov ] || b+=("$fl"); done
		boots=("${b[@]}")
	fi
fi

[ $recount = 1 ] || run_jobs

for fl in "${boots[@]}" debug2; do
	[ "$fl" != debug2 ] || [ -d "$(vm_dir debug2)/results" ] || continue
	case $fl in
	iommu) section "VM tests (stack: $stack)" ;;
	*) section "$fl VM tests (stack: $stack)" ;;
	esac
	dir=$(vm_dir "$fl")
	vmrc=0
	if [ $recount = 0 ]; then
		if [ ! -f "$dir/job.rc" ]; then
			# prepare_debug said why (an item above).
			[ "${fl%2}" = debug ] || item fail "$fl VM: did not run"
			continue
		fi
		[ ! -f "$dir/run.out" ] || cat "$dir/run.out"
		read -r vmrc secs < "$dir/job.rc"
		echo "check: $fl VM: ${secs}s"
	fi
	section "results"
	count_vm "$fl" "$vmrc"
done

echo "check: $(( $(date +%s) - start ))s"
summary
