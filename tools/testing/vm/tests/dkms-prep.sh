#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host side of dkms_test.sh, run by check.sh before the VM boots: `dkms
# build` takes ~7 minutes under TCG, ~15-30 s here. Produces DIR/TARBALL
# (default vfio-oot-dkms.tar), to be unpacked at / in the guest:
#
#   usr/src/NAME-VER/          the source as a release would ship it (the
#                              files git knows about, minus tools/ and
#                              Documentation/), dkms.conf at its top
#   var/lib/dkms/NAME/VER/     the dkms tree after `dkms add` + `dkms
#                              build -k KVER` (run here with private
#                              --dkmstree/--sourcetree: the host's
#                              /var/lib/dkms and /usr/src are not touched)
#
# so that the guest's `dkms install` / `dkms remove` run on standard paths
# exactly as on a user's machine. A tarball, not a directory: `make clean`
# (kbuild, M=repo) deletes every *.ko* below the repo, build/ included.
# DIR/build.log keeps dkms' output.
#
#   dkms-prep.sh DIR KVER

set -u
dir=${1:?usage: dkms-prep.sh DIR KVER}
kver=${2:?usage: dkms-prep.sh DIR KVER}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)

name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$SRC/dkms.conf")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$SRC/dkms.conf")
[ -n "$name" ] && [ -n "$ver" ] ||
	{ echo "dkms-prep: no PACKAGE_NAME/VERSION in dkms.conf" >&2; exit 1; }
command -v dkms > /dev/null ||
	{ echo "dkms-prep: dkms is not installed" >&2; exit 1; }

mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || exit 1
root=$dir/root
rm -rf "$root" "$dir/vfio-oot-dkms.tar"
src=$root/usr/src/$name-$ver
tree=$root/var/lib/dkms
mkdir -p "$src" "$tree" || exit 1

# What a source release contains; without git, the tree minus build output.
if git -C "$SRC" rev-parse --git-dir > /dev/null 2>&1; then
	(cd "$SRC" && git ls-files -co --exclude-standard -z |
		grep -zv -e '^tools/' -e '^Documentation/' -e '^build/' |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done | xargs -0 cp --parents -t "$src") || exit 1
else
	tar -C "$SRC" --exclude=./build --exclude=./tools \
		--exclude=./Documentation --exclude='*.o' --exclude='*.ko' \
		--exclude='.*.cmd' -cf - . | tar -C "$src" -xf - || exit 1
fi

# No module signing: it would create a key in the host's /var/lib/dkms
# (our `make install` does not sign either).
export sign_file=/nonexistent/sign-file
d=(dkms --dkmstree "$tree" --sourcetree "$root/usr/src")
{
	echo "+ dkms add $name/$ver"
	"${d[@]}" add "$name/$ver" &&
	echo "+ dkms build $name/$ver -k $kver" &&
	"${d[@]}" build "$name/$ver" -k "$kver" &&
	"${d[@]}" status "$name/$ver"
} > "$dir/build.log" 2>&1
rc=$?
if [ $rc != 0 ]; then
	tail -n 20 "$dir/build.log" >&2
	echo "dkms-prep: dkms add/build failed (status $rc, $dir/build.log)" >&2
	exit 1
fi
# dkms add linked the source by its host path; the guest has it in /usr/src.
ln -sfn "/usr/src/$name-$ver" "$tree/$name/$ver/source" &&
	tar -C "$root" -cf "$dir/vfio-oot-dkms.tar" "usr/src/$name-$ver" \
		"var/lib/dkms/$name" &&
	rm -rf "$root" || exit 1
