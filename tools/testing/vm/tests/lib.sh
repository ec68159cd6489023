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
#           the background, keeping a VFIO file open (see vfio_hold.c);
#           several at once: t_holder NAME [OPT...] KIND [BDF],
#           t_holder_stop NAME, t_holder_kill NAME SIG,
#           t_holder_wait NAME REGEXP SEC, t_holder_count NAME REGEXP,
#           t_holder_alive NAME, t_holder_out NAME (its output file)
# Blocking: t_bg_write NAME VALUE FILE (echo VALUE > FILE in the
#           background, e.g. an unbind that waits for a holder),
#           t_bg_done NAME SEC (it returned within SEC s; status in
#           $T_BG_RC), t_bg_alive NAME
# State:    t_vfio_nodes_ok (/dev/vfio/N, vfio-dev class devices and
#           /dev/vfio/devices/vfioN match the devices bound to vfio-pci)

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
	# vfio links against iommufd (as upstream's does on kernels with
	# IOMMUFD) and soft-depends on vfio_cdev, the device cdev frontend.
	T_MODS="iommufd vfio vfio_cdev vfio_group vfio_iommu_type1 vfio_pci_core vfio_pci"
	T_CONTAINER_MOD=vfio_group
	T_GROUP_MOD=vfio_group
	T_ORIGIN=updates
	;;
esac
T_MODS_REV=$(for _m in $T_MODS; do echo "$_m"; done | tac | tr '\n' ' ')
# Every module name of our set, loaded or not, whatever the stack.
# mdev (also an in-tree name) and vfio_mdev_sample load on their own,
# not with vfio-pci.
T_OUR_MODS="vfio vfio_group vfio_iommu_type1 vfio_pci_core vfio_pci iommufd vfio_cdev \
	mdev vfio_mdev_sample vfio_platform vfio_platform_testdev"
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

# ---- named holders and blocking writers ---------------------------------

# Output in $T_TMP/NAME.out, PID in $T_TMP/NAME.pid: call these from the
# test's own shell (not in $(...)): `wait` needs the parent.
t_holder_out() { echo "$T_TMP/$1.out"; }
t_holder_pid() { cat "$T_TMP/$1.pid" 2> /dev/null; }
# Like _gl_alive, quiet when the process ends meanwhile.
t_pid_alive() {
	_ps=$(cut -d' ' -f3 "/proc/$1/stat" 2> /dev/null) && [ "$_ps" != Z ]
}
t_holder_alive() { t_pid_alive "$(t_holder_pid "$1")"; }

# t_holder NAME [OPT...] KIND [BDF]: vfio_hold -w OPT... KIND [BDF] in the
# background; returns once it printed "ready" (0) or died (1).
t_holder() {
	_hn=$1
	shift
	: > "$T_TMP/$_hn.out"
	"$T_HOLD" -w "$@" > "$T_TMP/$_hn.out" 2>&1 &
	echo $! > "$T_TMP/$_hn.pid"
	t_holder_wait "$_hn" '^ready' 20 && return 0
	t_diag "vfio_hold $*: $(cat "$T_TMP/$_hn.out")"
	t_holder_stop "$_hn" > /dev/null 2>&1
	return 1
}

# t_holder_wait NAME REGEXP SEC: a line of its output matches within SEC s.
t_holder_wait() {
	_hi=$(($3 * 10))
	while ! grep -Eq "$2" "$T_TMP/$1.out"; do
		[ $_hi -gt 0 ] || return 1
		sleep 0.1
		_hi=$((_hi - 1))
	done
}

t_holder_count() { grep -Ec "$2" "$T_TMP/$1.out"; }

t_holder_kill() { kill "-$2" "$(t_holder_pid "$1")" 2> /dev/null; }

# t_holder_stop NAME: SIGTERM (if still running), reap; 0 if it closed
# everything and exited 0 (a holder that honoured a request is gone
# already: only its status counts).
t_holder_stop() {
	_hp=$(t_holder_pid "$1")
	[ -n "$_hp" ] || return 1
	kill -TERM "$_hp" 2> /dev/null
	wait "$_hp"
	_hr=$?
	rm -f "$T_TMP/$1.pid"
	[ $_hr = 0 ] && grep -q '^closed' "$T_TMP/$1.out"
}

# t_bg_write NAME VALUE FILE: `echo VALUE > FILE` in a background
# subshell (it inherits no VFIO fd of a holder: those are other
# processes); its exit status goes to $T_TMP/NAME.rc.
t_bg_write() {
	rm -f "$T_TMP/$1.rc"
	(
		_br=0
		echo "$2" > "$3" || _br=1
		echo $_br > "$T_TMP/$1.rc"
	) > "$T_TMP/$1.err" 2>&1 &
	echo $! > "$T_TMP/$1.pid"
}

t_bg_alive() { t_holder_alive "$1"; }

# t_bg_done NAME SEC: the writer returned within SEC s; T_BG_RC is its
# status (that of the write when it got that far, else the subshell's).
t_bg_done() {
	_bp=$(t_holder_pid "$1")
	_bi=$(($2 * 10))
	while t_pid_alive "$_bp"; do
		[ $_bi -gt 0 ] || return 1
		sleep 0.1
		_bi=$((_bi - 1))
	done
	wait "$_bp"
	T_BG_RC=$?
	[ -f "$T_TMP/$1.rc" ] && T_BG_RC=$(cat "$T_TMP/$1.rc")
	rm -f "$T_TMP/$1.pid"
	return 0
}

# t_vfio_nodes_ok: the group nodes /dev/vfio/N are exactly the groups of
# the devices bound to vfio-pci, each such device has its vfio-dev class
# device, /dev/vfio/vfio exists while the container module is loaded, and
# /dev/vfio/devices/vfioN exactly for the class devices with a dev_t.
t_vfio_nodes_ok() {
	_nb=$(for _np in /sys/bus/pci/drivers/vfio-pci/????:??:??.?; do
		[ -e "$_np" ] && echo "${_np##*/}"
	done)
	_nc=$(echo "$_nb" | grep -c .)
	_nw=$(for _np in $_nb; do vfio_group_of "$_np"; done | sort -un |
		tr '\n' ' ')
	_nh=$(for _np in /dev/vfio/[0-9]*; do
		[ -e "$_np" ] && echo "${_np##*/}"
	done | sort -un | tr '\n' ' ')
	_nv=0
	for _np in /sys/class/vfio-dev/*; do
		[ -e "$_np" ] && _nv=$((_nv + 1))
	done
	_nok=0
	if [ "$_nw" != "$_nh" ]; then
		t_diag "group nodes: /dev/vfio has '$_nh', bound: '$_nw'"
		_nok=1
	fi
	if [ "$_nv" != "$_nc" ]; then
		t_diag "$_nv vfio-dev class devices for $_nc bound devices"
		_nok=1
	fi
	if t_loaded "$T_CONTAINER_MOD" && [ ! -c /dev/vfio/vfio ]; then
		t_diag "/dev/vfio/vfio missing"
		_nok=1
	fi
	# Device cdevs: a class device with a dev_t has its node, and no
	# node outlives its class device (devtmpfs keeps both in step).
	for _np in /sys/class/vfio-dev/*; do
		[ -r "$_np/dev" ] || continue
		_nd=$(cat "$_np/dev")
		_nd=$(printf '%x:%x' "${_nd%%:*}" "${_nd##*:}")
		_nn=/dev/vfio/devices/${_np##*/}
		if [ "$(stat -c '%t:%T' "$_nn" 2>/dev/null)" != "$_nd" ]; then
			t_diag "$_nn is not the char device $_nd of $_np"
			_nok=1
		fi
	done
	for _np in /dev/vfio/devices/*; do
		[ -e "$_np" ] || continue
		if [ ! -e "/sys/class/vfio-dev/${_np##*/}" ]; then
			t_diag "stale $_np"
			_nok=1
		fi
	done
	return $_nok
}

# t_reload_vfio_pci [PARAM=VALUE...]: vfio-pci loaded again with these
# parameters (none: its defaults); what vfio-pci holds is unbound first.
# shellcheck disable=SC2120 # the tests pass the parameters
t_reload_vfio_pci() {
	for _rp in /sys/bus/pci/drivers/vfio-pci/????:??:??.?; do
		[ -e "$_rp" ] && vfio_unbind "${_rp##*/}"
	done
	{ ! t_loaded vfio_pci || rmmod vfio_pci; } && modprobe vfio-pci "$@"
}

# t_param_cleanup PARAM_FILE: the EXIT trap of a test that reloads
# vfio-pci with a boolean parameter: reloaded with the defaults unless
# the parameter reads N, then t_cleanup.
t_param_cleanup() {
	# shellcheck disable=SC2119 # no parameter: the defaults
	[ "$(cat "$1" 2> /dev/null)" = N ] || t_reload_vfio_pci
	t_cleanup
}

t_cleanup() {
	[ -n "$T_HOLD_PID" ] && kill -KILL "$T_HOLD_PID" 2> /dev/null
	for _cp in "$T_TMP"/*.pid; do
		[ -f "$_cp" ] && kill -KILL "$(cat "$_cp")" 2> /dev/null
	done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
