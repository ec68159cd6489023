#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch (once) and cache QEMU 10.0.2 from Debian's bookworm-backports for
# the test VM's `sriov` flavour: QEMU 7.2 (bookworm) has no SR-IOV device
# whose VFs work with the PF bound to vfio-pci; QEMU 10 has igb (82576).
# See README.md ("VM flavours").
#
#   qemu10.sh [--print]
#
# On success the last line on stdout is ROOT, the unpacked packages
# (`dpkg -x`, nothing is installed):
#
#   ROOT/usr/bin/qemu-system-x86_64
#   ROOT/usr/share/qemu                  firmware: -L ROOT/usr/share/qemu,
#                                        then -L /usr/share/qemu (Debian's
#                                        seabios is a package of its own)
#   ROOT/usr/lib/x86_64-linux-gnu/qemu   modules: QEMU_MODULE_DIR
#
# ROOT is ${VFIO_CACHE:-~/.cache/vfio-oot}/qemu-10.0.2. The three .debs
# (qemu-system-x86, qemu-system-common, qemu-system-data) come from
# $VFIO_QEMU_DEBS (a directory holding them, for offline machines), else
# `apt-get download` when bookworm-backports is among apt's sources, else
# deb.debian.org's pool ($VFIO_DEBIAN_MIRROR, default
# http://deb.debian.org/debian); each must match its pinned sha256. The unpacked
# tree is renamed into place only once complete and runnable.
#
#   --print   print ROOT and exit 0 if it is cached, else exit 1 (no
#             download)
#
# Exit status 1 (with the reason on stderr) when the packages cannot be
# had, e.g. offline: check.sh then skips the sriov VM.

set -eu

VERSION=10.0.2+ds-2+deb13u1~bpo12+1
EPOCH=1
CACHE=${VFIO_CACHE:-${HOME:-/root}/.cache/vfio-oot}
ROOT=$CACHE/qemu-10.0.2
POOL=${VFIO_DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/q/qemu

# package arch sha256
DEBS="qemu-system-x86 amd64 4a6b1856c8b0d7df4ff8e70249e12c473ccf8d516aadb4ae14d3d938faed0c65
qemu-system-common amd64 23a4672a138832d7173855e981aa8282c73ef5e04e080fa7ada9f82c6b34f507
qemu-system-data all 2d831088187087013b3fcbd19bdfb955b182a2d5a08f6dafa0ad1c6d2007fb4e"

log() { echo "qemu10: $*" >&2; }
die() { log "$*"; exit 1; }

# usable ROOT: status 0 if that tree runs and says it is 10.0.2
usable() {
	[ -x "$1/usr/bin/qemu-system-x86_64" ] &&
		QEMU_MODULE_DIR=$1/usr/lib/x86_64-linux-gnu/qemu \
		"$1/usr/bin/qemu-system-x86_64" -L "$1/usr/share/qemu" \
		-version 2>/dev/null | grep -q 'version 10\.0\.2'
}

case ${1:-} in
--print)
	usable "$ROOT" || exit 1
	echo "$ROOT"
	exit 0
	;;
"") ;;
*) sed -n '9,33p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

if usable "$ROOT"; then
	echo "$ROOT"
	exit 0
fi

mkdir -p "$CACHE"
# One fetch at a time (check.sh and `make deps` may race).
exec 7> "$CACHE/qemu-10.0.2.lock"
flock 7
if usable "$ROOT"; then
	echo "$ROOT"
	exit 0
fi

tmp=$(mktemp -d "$CACHE/.qemu-10.0.2.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/debs" "$tmp/root"

backports=0
if apt-cache policy qemu-system-x86 2>/dev/null |
   grep -q "$EPOCH:$VERSION"; then
	backports=1
fi

# fetch PACKAGE ARCH FILE: put PACKAGE's .deb at FILE
fetch() {
	if [ -n "${VFIO_QEMU_DEBS:-}" ] && [ -f "$VFIO_QEMU_DEBS/${3##*/}" ]
	then
		cp "$VFIO_QEMU_DEBS/${3##*/}" "$3"
		return
	fi
	if [ $backports = 1 ] &&
	   (cd "$tmp/debs" && apt-get download -q \
		"$1=$EPOCH:$VERSION" > /dev/null 2>&1) &&
	   [ -f "$3" ]; then
		return
	fi
	# The pool file name has no epoch; the version's '+' and '~' are
	# valid in a URL path.
	if command -v curl > /dev/null; then
		curl -fsSL --retry 2 -o "$3" "$POOL/${3##*/}"
	else
		wget -q -O "$3" "$POOL/${3##*/}"
	fi
}

while read -r pkg arch sum; do
	f=$tmp/debs/${pkg}_${VERSION}_$arch.deb
	log "fetching $pkg $VERSION"
	fetch "$pkg" "$arch" "$f" || die "cannot fetch ${f##*/}"
	echo "$sum  $f" | sha256sum -c --status ||
		die "${f##*/}: sha256 mismatch (want $sum)"
	dpkg-deb -x "$f" "$tmp/root" || die "cannot unpack ${f##*/}"
done <<EOF
$DEBS
EOF

usable "$tmp/root" || die "the unpacked QEMU does not run" \
	"($tmp/root/usr/bin/qemu-system-x86_64 -version)"
rm -rf "$ROOT"
mv "$tmp/root" "$ROOT"
log "QEMU $VERSION in $ROOT"
echo "$ROOT"
