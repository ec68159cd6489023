# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers for commands running INSIDE the test VM. Source it:
#
#   . "$VFIO_SRC/tools/testing/vm/guest-lib.sh"
#
# Functions (all return non-zero and print "guest-lib: ..." on failure):
#   vfio_stack_unload         rmmod every loaded VFIO module (ours or in-tree)
#   vfio_use_ours [REPO]      unload, `make -C REPO install`, modprobe vfio-pci,
#                             check that the modules loaded are from updates/
#   vfio_use_intree           unload, modprobe the in-tree vfio-pci (kernel/)
#   vfio_use_stack            one of the two above, from $VFIO_STACK
#                             ("ours", the default, or "intree")
#   vfio_bind BDF             bind a device to vfio-pci (driver_override);
#                             prints the group number, /dev/vfio/N exists after
#   vfio_unbind BDF           give the device back to its native driver
#   vfio_group_of BDF         IOMMU group number of a device
#   vfio_driver_of BDF        current driver name (empty if none)
#   vfio_devs VENDOR:DEVICE   BDFs of the devices with that ID
#   vfio_users                PIDs of the processes holding VFIO files
#
# Unbinding a device that userspace still holds blocks in the kernel until
# it lets go (upstream behaviour); these helpers give up after
# $VFIO_UNBIND_WAIT seconds (default 20) instead of hanging.
#
# Fixed devices of the VM (see README.md; VFIO_MF0/VFIO_MF1/VFIO_VGA0 and
# VFIO_IGB0 only when the VM has them):
VFIO_EDU0=0000:01:00.0
VFIO_EDU1=0000:02:00.0
VFIO_NVME0=0000:03:00.0
VFIO_E1000E0=0000:04:00.0
VFIO_VIRTIO_NET0=0000:05:00.0
export VFIO_EDU0 VFIO_EDU1 VFIO_NVME0 VFIO_E1000E0 VFIO_VIRTIO_NET0
# Only in the sriov flavour (vm.sh --sriov), so set only when present:
# the igb PF (82576, 8086:10c9); its VFs come and go with sriov_numvfs
# (read their BDFs from the PF's virtfnN links).
if [ "$(cat /sys/bus/pci/devices/0000:06:00.0/vendor 2>/dev/null):$(cat \
	/sys/bus/pci/devices/0000:06:00.0/device 2>/dev/null)" = 0x8086:0x10c9 ]
then
	VFIO_IGB0=0000:06:00.0
	export VFIO_IGB0
fi
# The two-function edu (functions .0 and .1 of one slot: one dev_set, one
# IOMMU group), found by topology since its bus number depends on the
# flavour (06, or 07 with --sriov), and the standard VGA (1234:1111, class
# 0300, on the root bus). Set only when present.
for _p in /sys/bus/pci/devices/*.0; do
	[ "$(cat "$_p/vendor" 2>/dev/null):$(cat "$_p/device" 2>/dev/null)" = \
		0x1234:0x11e8 ] || continue
	_q=${_p%.0}.1
	[ "$(cat "$_q/vendor" 2>/dev/null):$(cat "$_q/device" 2>/dev/null)" = \
		0x1234:0x11e8 ] || continue
	VFIO_MF0=${_p##*/}
	VFIO_MF1=${_q##*/}
	export VFIO_MF0 VFIO_MF1
	break
done
for _p in /sys/bus/pci/devices/*; do
	[ "$(cat "$_p/vendor" 2>/dev/null):$(cat "$_p/device" 2>/dev/null)" = \
		0x1234:0x1111 ] || continue
	case $(cat "$_p/class" 2>/dev/null) in 0x0300*) ;; *) continue ;; esac
	VFIO_VGA0=${_p##*/}
	export VFIO_VGA0
	break
done
unset _p _q

VFIO_SRC=${VFIO_SRC:-$(cd "$(dirname "$0")/../../.." 2>/dev/null && pwd)}
VFIO_STATE=/run/vfio-test
# The modules making up a VFIO stack, ours and upstream's (loaded or not).
VFIO_MOD_RE='^(vfio|vfio_[a-z0-9_]+|[a-z0-9_]+_vfio_pci|mdev|kvmgt|iommufd)$'

_gl_err() { echo "guest-lib: $*" >&2; return 1; }

# Exit status 0 while process $1 exists and has not exited (zombie).
_gl_alive() {
	# Builtins only: the runner polls this (forks are slow on the debug
	# kernel). The state is the field after the command's ")".
	_gl_st=
	read -r _gl_st 2>/dev/null < "/proc/$1/stat" || return 1
	_gl_st=${_gl_st##*) }
	_gl_st=${_gl_st%% *}
	[ -n "$_gl_st" ] && [ "$_gl_st" != Z ]
}

# _gl_write_bounded VALUE FILE: echo VALUE > FILE, giving up (status 1)
# if the write has not returned within $VFIO_UNBIND_WAIT seconds (the
# writer is left behind, blocked in the kernel).
_gl_write_bounded() {
	(echo "$1" > "$2") &
	_w=$!
	_n=$(( ${VFIO_UNBIND_WAIT:-20} * 10 ))
	while _gl_alive $_w; do
		[ $_n -gt 0 ] || return 1
		sleep 0.1
		_n=$((_n - 1))
	done
	wait $_w
}

vfio_users() {
	# One find, not a readlink per fd: forks are slow on the debug kernel.
	find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 \( \
		-lname '/dev/vfio/*' -o -lname 'anon_inode:\[vfio*' -o \
		-lname 'anon_inode:vfio*' \) 2>/dev/null |
		cut -d/ -f3 | sort -un | grep -vx "$$"
}

_gl_sysdev() { echo "/sys/bus/pci/devices/$1"; }

vfio_driver_of() {
	_d=$(readlink "$(_gl_sysdev "$1")/driver" 2>/dev/null) || return 0
	echo "${_d##*/}"
}

vfio_group_of() {
	_g=$(readlink "$(_gl_sysdev "$1")/iommu_group" 2>/dev/null) ||
		_gl_err "$1 has no IOMMU group" || return 1
	echo "${_g##*/}"
}

vfio_devs() {
	_ven=0x${1%%:*}
	_dev=0x${1##*:}
	for _p in /sys/bus/pci/devices/*; do
		[ "$(cat "$_p/vendor")" = "$_ven" ] &&
			[ "$(cat "$_p/device")" = "$_dev" ] && echo "${_p##*/}"
	done
	return 0
}

# Loaded VFIO-stack modules, by name.
_gl_loaded() {
	awk '{ print $1 }' /proc/modules | grep -E "$VFIO_MOD_RE"
}

vfio_stack_unload() {
	# Devices held by vfio-pci go back to their drivers first, so
	# that the modules' use counts drop.
	# (A glob, not a readlink per device: forks are slow on the debug
	# kernel.)
	for _p in /sys/bus/pci/drivers/*vfio*/????:??:??.?; do
		[ -e "$_p" ] || continue
		vfio_unbind "${_p##*/}" || return 1
	done
	# vfio-platform pins the module of a bound device's reset function.
	for _p in /sys/bus/platform/drivers/vfio-platform/*; do
		[ -L "$_p/driver" ] || continue
		echo "${_p##*/}" > /sys/bus/platform/drivers/vfio-platform/unbind ||
			return 1
	done
	# Remove leaves first; repeat while something goes away. One rmmod
	# a round: it goes on past the modules still in use.
	_left=$(_gl_loaded)
	while [ -n "$_left" ]; do
		# shellcheck disable=SC2086 # one word per module
		rmmod $_left 2>/dev/null
		_now=$(_gl_loaded)
		if [ "$_now" = "$_left" ]; then
			_gl_err "cannot unload: $(echo "$_now" | tr '\n' ' ')"
			grep -E "^($(echo "$_now" | paste -sd'|')) " /proc/modules >&2
			return 1
		fi
		_left=$_now
	done
	return 0
}

# Exit status 0 if module $1 would be loaded from $2 ("updates" or
# "kernel") and, when loaded, is that file (same srcversion).
_gl_check_origin() {
	_f=$(modinfo -n "$1" 2>/dev/null) ||
		_gl_err "module $1 not found" || return 1
	case $_f in
	/lib/modules/*/"$2"/*) ;;
	*) _gl_err "$1 resolves to $_f, not $2/"; return 1 ;;
	esac
	[ -r "/sys/module/$1/srcversion" ] || return 0
	_want=$(modinfo -F srcversion "$_f" 2>/dev/null)
	[ -z "$_want" ] && return 0
	[ "$(cat "/sys/module/$1/srcversion")" = "$_want" ] ||
		_gl_err "loaded $1 is not $_f (srcversion differs)"
}

# VFIO_INSTALL=make (default) installs like a user would; =staged copies
# the updates/ tree (and the depmod indexes) the host prepared in
# $VFIO_STAGE (check.sh --staged): seconds instead of 1-2 minutes of kbuild
# and depmod under TCG.
# shellcheck disable=SC2120 # REPO is optional
vfio_use_ours() {
	_repo=${1:-$VFIO_SRC}
	_kver=$(uname -r)
	vfio_stack_unload || return 1
	case ${VFIO_INSTALL:-make} in
	make)
		echo "guest-lib: make -C $_repo install KVER=$_kver"
		make -s -C "$_repo" install KVER="$_kver" 2>&1 ||
			_gl_err "make install failed" || return 1
		;;
	staged)
		_st=${VFIO_STAGE:?}/lib/modules/$_kver
		[ -d "$_st/updates" ] ||
			_gl_err "no staged modules in $_st/updates" || return 1
		echo "guest-lib: install staged $_st/updates"
		mkdir -p "/lib/modules/$_kver/updates" &&
			cp -R "$_st/updates/." "/lib/modules/$_kver/updates/" ||
			_gl_err "staged install failed" || return 1
		# The host ran depmod on the staged tree (check.sh): take its
		# indexes; else run depmod here (minutes under TCG).
		if [ -f "$_st/modules.dep" ]; then
			for _f in "$_st"/modules.*; do
				[ -L "$_f" ] || cp "$_f" "/lib/modules/$_kver/" ||
					return 1
			done
		else
			depmod -a "$_kver" || _gl_err "depmod failed" || return 1
		fi
		;;
	*) _gl_err "VFIO_INSTALL must be 'make' or 'staged'"; return 1 ;;
	esac
	modprobe vfio-pci || _gl_err "modprobe vfio-pci failed" || return 1
	modprobe -q vfio_iommu_type1 || :
	for _m in vfio vfio_pci; do
		_gl_check_origin "$_m" updates || return 1
	done
	echo "guest-lib: using our VFIO modules ($(modinfo -n vfio))"
	return 0
}

vfio_use_intree() {
	vfio_stack_unload || return 1
	modprobe vfio-pci || _gl_err "modprobe vfio-pci failed" || return 1
	modprobe -q vfio_iommu_type1 || :
	for _m in vfio vfio_pci; do
		_gl_check_origin "$_m" kernel || return 1
	done
	echo "guest-lib: using the in-tree VFIO modules ($(modinfo -n vfio))"
	return 0
}

vfio_use_stack() {
	case ${VFIO_STACK:-ours} in
	ours) vfio_use_ours "$VFIO_SRC" ;;
	intree) vfio_use_intree ;;
	*) _gl_err "VFIO_STACK must be 'ours' or 'intree'" ;;
	esac
}

vfio_bind() {
	_bdf=$1
	_sys=$(_gl_sysdev "$_bdf")
	[ -d "$_sys" ] || _gl_err "no PCI device $_bdf" || return 1
	_grp=$(vfio_group_of "$_bdf") || return 1
	_cur=$(vfio_driver_of "$_bdf")
	mkdir -p "$VFIO_STATE"
	if [ "$_cur" != vfio-pci ]; then
		[ -f "$VFIO_STATE/$_bdf.driver" ] ||
			echo "$_cur" > "$VFIO_STATE/$_bdf.driver"
		[ -e /sys/module/vfio_pci ] || modprobe vfio-pci ||
			_gl_err "modprobe vfio-pci failed" || return 1
		if [ -n "$_cur" ]; then
			echo "$_bdf" > "$_sys/driver/unbind" ||
				_gl_err "unbind $_bdf from $_cur failed" || return 1
		fi
		echo vfio-pci > "$_sys/driver_override" &&
			echo "$_bdf" > /sys/bus/pci/drivers_probe
		[ "$(vfio_driver_of "$_bdf")" = vfio-pci ] ||
			_gl_err "$_bdf did not bind to vfio-pci" || return 1
	fi
	# devtmpfs creates the node; give it a moment under TCG.
	_i=0
	while [ ! -c "/dev/vfio/$_grp" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -c "/dev/vfio/$_grp" ] ||
		_gl_err "/dev/vfio/$_grp did not appear" || return 1
	echo "$_grp"
}

vfio_unbind() {
	_bdf=$1
	_sys=$(_gl_sysdev "$_bdf")
	[ -d "$_sys" ] || _gl_err "no PCI device $_bdf" || return 1
	_cur=$(vfio_driver_of "$_bdf")
	if [ -n "$_cur" ] && ! _gl_write_bounded "$_bdf" "$_sys/driver/unbind"; then
		_gl_err "unbind $_bdf from $_cur blocked (in use by pids:" \
			"$(vfio_users | tr '\n' ' '))"
		return 1
	fi
	echo > "$_sys/driver_override"
	_old=$(cat "$VFIO_STATE/$_bdf.driver" 2>/dev/null)
	rm -f "$VFIO_STATE/$_bdf.driver"
	echo "$_bdf" > /sys/bus/pci/drivers_probe 2>/dev/null
	if [ -n "$_old" ] && [ "$(vfio_driver_of "$_bdf")" != "$_old" ]; then
		_gl_err "$_bdf did not return to $_old"
		return 1
	fi
	return 0
}
