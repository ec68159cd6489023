#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build (once) and cache the VFIO debug kernel: Debian's linux-source-6.12
# with the stock amd64 config, trimmed by `make localmodconfig` to the
# modules the test VM uses (modules.list), plus debug.config (KUnit,
# KASAN, UBSAN, lockdep, kmemleak, fault injection). See README.md.
#
#   build.sh [--print|--config-only] [-j N]
#
# On success the last line on stdout is the cache directory ROOT, an
# install root that tools/testing/vm/vm.sh boots with `--kernel ROOT`:
#
#   ROOT/boot/vmlinuz-KVER          the kernel image
#   ROOT/lib/modules/KVER/          its modules (+ depmod indexes)
#   ROOT/lib/modules/KVER/build ->  ROOT/build, the kbuild tree: KDIR for
#                                   out-of-tree modules (make KDIR=...)
#   ROOT/kver                       KVER (e.g. 6.12.117-vfio-debug)
#
# ROOT is ${VFIO_CACHE:-~/.cache/vfio-oot}/kernel-KEY, KEY a hash of what
# goes into the kernel (source version, base config, debug.config,
# modules.list, compiler, RECIPE below). A second run with the same KEY
# only prints ROOT. Objects go through ccache (VFIO_CACHE/ccache).
#
# Options:
#   --print        print ROOT and exit 0 if that kernel is built, else 1
#   --config-only  only generate and check ROOT/build/.config
#   -j N           parallel jobs (default: $VFIO_KERNEL_JOBS or 2)
# The build runs under `nice -n 19` (and idle I/O priority): other jobs
# on the machine keep precedence.
#
# Environment: VFIO_CACHE, VFIO_KERNEL_SRC (default
# /usr/src/linux-source-6.12), VFIO_KERNEL_BASE_CONFIG (default: newest
# /boot/config-6.12*-amd64), VFIO_KERNEL_JOBS.

set -euo pipefail

# Bump when the way the kernel is made changes (not its inputs, which are
# hashed anyway): forces a rebuild everywhere.
RECIPE=1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGMENT=$HERE/debug.config
MODLIST=$HERE/modules.list
KSRC=${VFIO_KERNEL_SRC:-/usr/src/linux-source-6.12}
CACHE=${VFIO_CACHE:-${HOME:-/root}/.cache/vfio-oot}
JOBS=${VFIO_KERNEL_JOBS:-2}

log() { echo "kernel: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
	sed -n '9,34p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

mode=build
while [ $# -gt 0 ]; do
	case $1 in
	--print) mode=print; shift ;;
	--config-only) mode=config; shift ;;
	-j) JOBS=$2; shift 2 ;;
	-j*) JOBS=${1#-j}; shift ;;
	-h|--help) usage ;;
	*) log "unknown argument $1"; usage ;;
	esac
done

[ -f "$KSRC/Makefile" ] ||
	die "no kernel source in $KSRC (make deps unpacks linux-source-6.12)"
[ ! -e "$KSRC/.config" ] ||
	die "$KSRC has a .config: O= builds need a clean source tree"
base=${VFIO_KERNEL_BASE_CONFIG:-$(find /boot -maxdepth 1 \
	-name 'config-6.12*-amd64' | sort -V | tail -n 1)}
if [ -z "$base" ] || [ ! -r "$base" ]; then
	die "no base config (/boot/config-6.12*-amd64; linux-image-6.12-amd64)"
fi

# ---------------------------------------------------------------------------
# The cache key: everything the kernel depends on.

# Module names only: comments in modules.list do not change the kernel.
modnames() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$MODLIST"; }

key_inputs() {
	echo "recipe $RECIPE"
	sed -n -e 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\|EXTRAVERSION\) = /\1 /p' \
		"$KSRC/Makefile" | head -n 4
	echo "package $(dpkg-query -W -f='${Version}' linux-source-6.12 \
		2>/dev/null || echo none)"
	echo "base $(sha256sum < "$base")"
	echo "fragment $(sha256sum < "$FRAGMENT")"
	echo "modules $(modnames | LC_ALL=C sort -u | sha256sum)"
	echo "cc $(gcc --version | head -n 1)"
	echo "ld $(ld --version | head -n 1)"
}

inputs=$(key_inputs)
key=$(echo "$inputs" | sha256sum | cut -c1-16)
ROOT=$CACHE/kernel-$key
B=$ROOT/build

done_ok() {
	[ -f "$ROOT/.complete" ] && [ -s "$ROOT/kver" ] &&
		[ -f "$ROOT/boot/vmlinuz-$(cat "$ROOT/kver")" ]
}

if [ $mode = print ]; then
	echo "$ROOT"
	done_ok
	exit
fi
if [ $mode = build ] && done_ok; then
	touch "$ROOT"	# most recently used: kept by the pruning below
	log "reusing the cached debug kernel $(cat "$ROOT/kver") (key $key)"
	echo "$ROOT"
	exit 0
fi

# ---------------------------------------------------------------------------
# One builder per key; a second caller waits and then finds it built.

mkdir -p "$CACHE"
exec 8> "$CACHE/kernel-$key.lock"
if ! flock -n 8; then
	log "another build of kernel-$key is running; waiting for it"
	flock 8
fi
if [ $mode = build ] && done_ok; then
	log "reusing the cached debug kernel $(cat "$ROOT/kver") (key $key)"
	echo "$ROOT"
	exit 0
fi
mkdir -p "$B"
echo "$inputs" > "$ROOT/key-inputs"

# Low priority for everything below (make, gcc, ccache, depmod).
renice -n 19 -p $$ > /dev/null
ionice -c 3 -p $$ 2> /dev/null || :

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}
# Preprocessor mode (ccache's default, not depend mode): every file
# includes autoconf.h, so after a change of debug.config only the files
# whose preprocessed text changed are compiled again.
# Kbuild calls plain `gcc`: ccache's masquerade directory intercepts it,
# so CONFIG_CC_VERSION_TEXT is gcc's own and out-of-tree module builds
# without ccache see the same compiler.
if [ -d /usr/lib/ccache ]; then
	export PATH=/usr/lib/ccache:$PATH
else
	log "ccache not installed (make deps): building without it"
fi
# Reproducible version strings; LOCALVERSION set (empty) so that
# setlocalversion never appends a '+'.
export KBUILD_BUILD_USER=vfio KBUILD_BUILD_HOST=debug-kernel
export KBUILD_BUILD_TIMESTAMP="2025-01-01 00:00:00 UTC"
export LOCALVERSION=

kmake() { make -s -C "$KSRC" O="$B" "$@"; }

# ---------------------------------------------------------------------------
# .config: base -> localmodconfig -> + debug.config -> olddefconfig.

make_config() {
	local lsmod=$ROOT/lsmod.txt bad=0 line sym want
	cp "$base" "$B/.config"
	{
		echo "Module Size Used by"
		modnames | sed 's/$/ 0 0/'
	} > "$lsmod"
	kmake LSMOD="$lsmod" localmodconfig < /dev/null > "$ROOT/config.log" 2>&1 ||
		{ cat "$ROOT/config.log" >&2; die "localmodconfig failed"; }
	"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" \
		"$FRAGMENT" >> "$ROOT/config.log" 2>&1 ||
		{ cat "$ROOT/config.log" >&2; die "merge_config failed"; }
	kmake olddefconfig >> "$ROOT/config.log" 2>&1 ||
		{ cat "$ROOT/config.log" >&2; die "olddefconfig failed"; }
	# Every request of the fragment must have survived (a missing
	# dependency silently drops an option).
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$B/.config" && continue
			sym=${line%%=*}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			grep -q "^$sym=" "$B/.config" || continue
			;;
		*) continue ;;
		esac
		want=$line
		log "debug.config: wanted '$want', got" \
		    "'$(grep -E "^(# )?${sym}[= ]" "$B/.config" || echo "nothing")'"
		bad=1
	done < "$FRAGMENT"
	[ $bad = 0 ] || die "the config fragment did not apply (see above)"
	log "config: $(grep -c '=y$' "$B/.config") built in," \
	    "$(grep -c '=m$' "$B/.config") modules"
}

t0=$(date +%s)
log "configuring kernel-$key in $ROOT"
make_config
if [ $mode = config ]; then
	echo "$B/.config"
	exit 0
fi

log "building with -j$JOBS under nice 19" \
    "(log: $ROOT/build.log)"
if ! kmake -j"$JOBS" bzImage modules > "$ROOT/build.log" 2>&1; then
	grep -E 'error|Error' "$ROOT/build.log" | head -n 20 >&2
	die "kernel build failed (log: $ROOT/build.log)"
fi
kver=$(kmake kernelrelease)
t1=$(date +%s)
log "built in $((t1 - t0))s; installing"

# ---------------------------------------------------------------------------
# The install root vm.sh boots.

rm -rf "${ROOT:?}/lib" "${ROOT:?}/boot"
mkdir -p "$ROOT/boot"
kmake INSTALL_MOD_PATH="$ROOT" modules_install >> "$ROOT/build.log" 2>&1 ||
	die "modules_install failed (log: $ROOT/build.log)"
[ -f "$ROOT/lib/modules/$kver/modules.dep" ] ||
	die "no modules.dep after modules_install (depmod missing?)"
cp "$B/arch/x86/boot/bzImage" "$ROOT/boot/vmlinuz-$kver"
cp "$B/.config" "$ROOT/boot/config-$kver"
cp "$B/System.map" "$ROOT/boot/System.map-$kver"
# What KDIR needs stays (headers, scripts, Module.symvers, .config,
# vmlinux for address lookups); the objects and .ko copies go. A change
# of inputs makes a new ROOT anyway, and ccache keeps the objects.
find "$B" \( -name '*.o' -o -name '*.ko' -o -name '*.mod.c' -o \
	-name '.*.o.cmd' -o -name '*.a' -o -name '*.mod' \) \
	! -path "$B/scripts/*" ! -path "$B/tools/*" -delete
rm -f "$B"/.tmp_vmlinux* "$B/vmlinux.o" "$B/arch/x86/boot/bzImage" \
	"$B/arch/x86/boot/vmlinux.bin" "$B/arch/x86/boot/compressed/vmlinux"*
echo "$kver" > "$ROOT/kver"
printf '%s\n' "built $(date -u +%FT%TZ) in $((t1 - t0))s" > "$ROOT/.complete"
log "debug kernel $kver ready in $ROOT ($(du -sh "$ROOT" | cut -f1)," \
    "$(($(date +%s) - t0))s)"

# Keep this kernel and the most recently used other one; drop the rest
# (each is a few GiB), unless a build of it is running.
n=0
while IFS= read -r d; do
	[ "$d" = "$ROOT" ] && continue
	n=$((n + 1))
	[ $n -le 1 ] && continue
	# shellcheck disable=SC2094 # the lock file goes once it is ours
	(flock -n 7 && rm -rf "$d" "$d.lock") 7> "$d.lock" &&
		log "pruned the old $d"
done < <(find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name 'kernel-*' \
	-printf '%T@ %p\n' | sort -rn | cut -d' ' -f2-)
echo "$ROOT"
