# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Shared part of the VM shell tests in this directory (not a test itself:
# discovery only picks *_test.sh). Source it after setting nothing:
#
#   . "$VFIO_SRC/tools/testing/vm/tests/lib.sh"
#
# TAP:      t_ok / t_nok / t_skip DESCRIPTION, t_check DESCRIPTION CMD...,
#           t_diag TEXT (a "# " line), t_done (exit status from the results)
# Stack:    T_MODS (load order), T_MODS_REV (removal order),
#           T_CONTAINER_MOD / T_GROUP_MOD (module owning /dev/vfio/vfio and
#           /dev/vfio/N), T_ORIGIN ("updates" for ours, "kernel" in-tree)
# Modules:  t_loaded M, t_vfio_loaded (loaded VFIO modules, one line),
#           t_file_is M DIR (modinfo -n M is below /lib/modules/KVER/DIR/),
#           t_loaded_from M FILE (the loaded M is that file),
#           t_intree_file M (upstream's file for M, if any),
#           t_rmmod_refused M (rmmod M fails with "in use", M stays)
# Installs: t_snapshot / t_restore (copy of updates/ and the depmod
#           indexes, so a test that uninstalls can put the suite's stack
#           back in seconds instead of a `make install`)
# Clients:  t_devfd BDF (open the device fd once, as a client does),
#           t_hold_start KIND [BDF] / t_hold_stop: build/vfio_hold -w in
#           the background, keeping a VFIO file open (see vfio_hold.c)

# The T_* variables are for the tests that source this file; module
# paths have no blanks.
# shellcheck disable=SC2034,SC2044

# shellcheck source=tools/testing/vm/guest-lib.sh
. "$VFIO_SRC/tools/testing/vm/guest-lib.sh"

T_DIR=$VFIO_SRC/tools/testing/vm/tests
T_KVER=$(uname -r)
T_LIB=/lib/modules/$T_KVER
T_TMP=$(mktemp -d /tmp/vfio-test.XXXXXX)
T_HOLD=$T_DIR/build/vfio_hold
T_N=0
T_FAILED=0

t_ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
t_nok() { T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $*"; }
t_skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP ${2:-}"; }
t_diag() { echo "$*" | sed 's/^/# /'; }
# A known difference (TAP TODO): reported either way, never a failure.
t_todo() { # DESCRIPTION REASON COMMAND...
	_td=$1
	_tr=$2
	shift 2
	T_N=$((T_N + 1))
	if "$@"; then _tv="ok"; else _tv="not ok"; fi
	echo "$_tv $T_N - $_td # TODO $_tr"
}
t_check() { # DESCRIPTION COMMAND...
	_td=$1
	shift
	if "$@"; then t_ok "$_td"; else t_nok "$_td"; fi
}
t_done() {
	echo "1..$T_N"
	[ "$T_FAILED" = 0 ]
	exit
}

case ${VFIO_STACK:-ours} in
intree)
	T_MODS="vfio vfio_iommu_type1 vfio_pci_core vfio_pci"
	T_CONTAINER_MOD=vfio
	T_GROUP_MOD=vfio
	T_ORIGIN=kernel
	;;
*)
	T_MODS="vfio vfio_group vfio_iommu_type1 vfio_pci_core vfio_pci"
	T_CONTAINER_MOD=vfio_group
	T_GROUP_MOD=vfio_group
	T_ORIGIN=updates
	;;
esac
T_MODS_REV=$(for _m in $T_MODS; do echo "$_m"; done | tac | tr '\n' ' ')
# Every module name of our set, loaded or not, whatever the stack.
T_OUR_MODS="vfio vfio_group vfio_iommu_type1 vfio_pci_core vfio_pci"
# The ones upstream 6.12 also has (kernel/drivers/vfio).
T_INTREE_MODS="vfio vfio_iommu_type1 vfio_pci_core vfio_pci"

t_loaded() { grep -q "^$1 " /proc/modules; }

t_vfio_loaded() {
	awk '{ print $1 }' /proc/modules | grep -E "$VFIO_MOD_RE" | sort |
		tr '\n' ' ' | sed 's/ $//'
}

# t_file_is M DIR: the file modprobe would load for M is below DIR/.
t_file_is() {
	_tf=$(modinfo -n "$1" 2>/dev/null) || return 1
	case $_tf in
	"$T_LIB/$2"/*) return 0 ;;
	esac
	t_diag "$1 resolves to $_tf"
	return 1
}

# t_loaded_from M FILE: the loaded M is FILE. srcversion when both have
# one; else the taint: every out-of-tree module (ours, dkms') carries O,
# the in-tree ones do not.
t_loaded_from() {
	t_loaded "$1" || { t_diag "$1 is not loaded"; return 1; }
	_tw=$(modinfo -F srcversion "$2" 2>/dev/null)
	if [ -n "$_tw" ] && [ -r "/sys/module/$1/srcversion" ]; then
		[ "$(cat "/sys/module/$1/srcversion")" = "$_tw" ] && return 0
		t_diag "loaded $1 is not $2 (srcversion)"
		return 1
	fi
	_tt=$(cat "/sys/module/$1/taint" 2>/dev/null)
	case $2 in
	"$T_LIB"/kernel/*) case $_tt in *O*) ;; *) return 0 ;; esac ;;
	*) case $_tt in *O*) return 0 ;; esac ;;
	esac
	t_diag "loaded $1 (taint '$_tt') does not look like $2"
	return 1
}

# t_intree_file M: upstream's file for module M (kernel/drivers/vfio), if any.
t_intree_file() {
	for _tf in $(find "$T_LIB/kernel/drivers/vfio" -name '*.ko*'); do
		_tb=${_tf##*/}
		[ "$(echo "${_tb%%.ko*}" | tr - _)" = "$1" ] && echo "$_tf"
	done
	return 0
}

# t_rmmod_refused M: rmmod M fails, says "in use", and M is still there.
t_rmmod_refused() {
	if rmmod "$1" > "$T_TMP/rmmod.out" 2>&1; then
		t_diag "rmmod $1 succeeded"
		return 1
	fi
	if ! grep -q 'in use' "$T_TMP/rmmod.out"; then
		t_diag "rmmod $1: $(cat "$T_TMP/rmmod.out")"
		return 1
	fi
	t_loaded "$1" || { t_diag "$1 gone after a failed rmmod"; return 1; }
}

# ---- installed module set ------------------------------------------------

t_snapshot() {
	_ts=$T_TMP/snapshot
	rm -rf "$_ts"
	mkdir -p "$_ts/idx"
	[ -d "$T_LIB/updates" ] && cp -a "$T_LIB/updates" "$_ts/updates"
	for _f in "$T_LIB"/modules.*; do
		[ -f "$_f" ] && [ ! -L "$_f" ] && cp -a "$_f" "$_ts/idx/"
	done
	return 0
}

# t_restore: unload, put updates/ and the indexes back, modprobe vfio-pci
# and check it is the suite's stack again.
t_restore() {
	_ts=$T_TMP/snapshot
	[ -d "$_ts/idx" ] || { t_diag "no snapshot"; return 1; }
	vfio_stack_unload > /dev/null || return 1
	rm -rf "$T_LIB/updates"
	[ -d "$_ts/updates" ] && cp -a "$_ts/updates" "$T_LIB/updates"
	cp -a "$_ts/idx/." "$T_LIB/" || return 1
	modprobe vfio-pci || return 1
	modprobe -q vfio_iommu_type1
	for _m in vfio vfio_pci; do
		t_file_is "$_m" "$T_ORIGIN" || return 1
		t_loaded_from "$_m" "$(modinfo -n "$_m")" || return 1
	done
}

# ---- vfio_hold -----------------------------------------------------------

# Build the helper if check.sh did not (the guest's repo view is writable).
t_need_hold() {
	# shellcheck disable=SC3013 # dash and busybox sh have -nt
	if [ ! -x "$T_HOLD" ] || [ "$T_DIR/vfio_hold.c" -nt "$T_HOLD" ]; then
		make -s -C "$T_DIR" > "$T_TMP/make.log" 2>&1 ||
			{ cat "$T_TMP/make.log"; return 1; }
	fi
}

# t_devfd BDF: a client can open BDF's device fd (container, group, type1,
# GET_DEVICE_FD, GET_INFO); vfio_hold's complaint goes to stdout as "# ".
t_devfd() {
	"$T_HOLD" device "$1" > "$T_TMP/devfd" 2>&1 && return 0
	t_diag "$(cat "$T_TMP/devfd")"
	return 1
}

# t_hold_start KIND [BDF]: start vfio_hold -w; waits for its "ready".
T_HOLD_PID=
t_hold_start() {
	: > "$T_TMP/hold.out"
	"$T_HOLD" -w "$@" > "$T_TMP/hold.out" 2>&1 &
	T_HOLD_PID=$!
	_ti=0
	while ! grep -q '^ready' "$T_TMP/hold.out"; do
		if ! _gl_alive "$T_HOLD_PID" || [ $_ti -ge 200 ]; then
			t_diag "vfio_hold $*: $(cat "$T_TMP/hold.out")"
			t_hold_stop > /dev/null 2>&1
			return 1
		fi
		sleep 0.1
		_ti=$((_ti + 1))
	done
}

# t_hold_stop: SIGTERM, then status 0 if it closed everything and exited 0.
t_hold_stop() {
	[ -n "$T_HOLD_PID" ] || return 1
	kill -TERM "$T_HOLD_PID" 2> /dev/null
	wait "$T_HOLD_PID"
	_tr=$?
	T_HOLD_PID=
	[ $_tr = 0 ] && grep -q '^closed' "$T_TMP/hold.out"
}

t_cleanup() {
	[ -n "$T_HOLD_PID" ] && kill -KILL "$T_HOLD_PID" 2> /dev/null
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
