#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# DKMS packaging (TAP): on a stock machine (our files removed from
# updates/), `dkms install` of the tree built from the repo's dkms.conf
# must put all our modules where modprobe takes them, `modprobe vfio-pci`
# then loads them and a client can open a device; `dkms remove --all`
# must give back the stock state (in-tree modules, nothing of ours left).
# The suite's stack is put back afterwards (snapshot, not a reinstall).
#
# `dkms build` takes ~7 minutes under TCG, so check.sh runs dkms add +
# build on the host (dkms-prep.sh, private --dkmstree/--sourcetree) and
# passes VFIO_DKMS_TARBALL: /usr/src/vfio-oot-VER and /var/lib/dkms/vfio-oot
# as `dkms build` left them; this test unpacks it and goes on with the
# ordinary commands, `dkms status/install/remove`, on standard paths.
# Without it: VFIO_DKMS_IN_VM=1 runs dkms-prep.sh here (raise
# VFIO_TEST_TIMEOUT), else the test is skipped.
#
# Two full depmods under TCG (install, remove): ~3-4 minutes.
# vfio-test-timeout: 600

# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

out=${VFIO_TEST_OUT:-$T_TMP}
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$VFIO_SRC/dkms.conf")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$VFIO_SRC/dkms.conf")
tar=${VFIO_DKMS_TARBALL:-}
if [ -z "$tar" ]; then
	if [ "${VFIO_DKMS_IN_VM:-0}" = 1 ]; then
		echo "# dkms add + build in the guest (minutes under TCG)"
		bash "$T_DIR/dkms-prep.sh" "$T_TMP/dkms" "$T_KVER" ||
			{ echo "Bail out! dkms-prep.sh failed in the guest"; exit 1; }
		tar=$T_TMP/dkms/vfio-oot-dkms.tar
	else
		echo "# SKIP: no VFIO_DKMS_TARBALL (check.sh prepares it on the" \
			"host; or set VFIO_DKMS_IN_VM=1)"
		exit 4
	fi
fi
if [ ! -f "$tar" ]; then
	t_nok "dkms add + build on the host (tools/testing/vm/tests/dkms-prep.sh)"
	[ -n "${VFIO_DKMS_PREP_LOG:-}" ] && t_diag "$(tail -n 20 "$VFIO_DKMS_PREP_LOG")"
	t_done
fi

tree=/var/lib/dkms/$name/$ver/$T_KVER/$(uname -m)/module

# ours_under DIR: files of our module set below DIR (either spelling).
ours_under() {
	[ -d "$1" ] || return 0
	for _m in $T_OUR_MODS; do
		find "$1" -name "$_m.ko*" -o -name "$(echo "$_m" | tr _ -).ko*"
	done
}

# dkms_file M: the module file `dkms build` produced for M.
dkms_file() { ours_under "$tree" | grep -E "/($1|$(echo "$1" | tr _ -))\.ko" | head -n 1; }

t_snapshot
vfio_stack_unload > /dev/null
# A stock machine: nothing of ours in updates/ (dkms install runs depmod).
ours_under "$T_LIB/updates" | xargs -r rm -f

t_check "unpack the dkms tree built on the host" tar -C / -xf "$tar"
t_check "dkms status: $name/$ver built for $T_KVER" eval \
	"dkms status '$name/$ver' -k '$T_KVER' 2>/dev/null | grep -q ': built\$'"

t0=$(date +%s)
dkms install "$name/$ver" -k "$T_KVER" > "$out/dkms-install.log" 2>&1
rc=$?
t_diag "dkms install: $(($(date +%s) - t0)) s"
t_check "dkms install $name/$ver -k $T_KVER (status $rc)" test $rc = 0
st=$(dkms status "$name/$ver" -k "$T_KVER" 2>/dev/null)
t_check "dkms status says installed ($st)" eval \
	'echo "$st" | grep -q ": installed"'
refused=$(grep -B4 'DKMS will not replace' "$out/dkms-install.log" |
	sed -n 's/^Module version .* for \(.*\)$/\1/p' | tr '\n' ' ')
[ -n "$refused" ] && t_diag "dkms install refused to install: $refused" \
	"(version sanity check against kernel/drivers/vfio)"
for m in $T_OUR_MODS; do
	f=$(modinfo -n "$m" 2>/dev/null)
	# shellcheck disable=SC2034 # used in the eval
	b=$(dkms_file "$m")
	t_check "modinfo -n $m is the dkms-installed file (${f:-not found})" eval \
		'[ -n "$b" ] && t_file_is $m updates && cmp -s "$f" "$b"'
done

# vfio-pci pulls the whole set: iommufd as vfio's dependency, vfio_cdev,
# vfio_group and type1 as its soft dependencies.
t_check "modprobe vfio-pci after dkms install" modprobe vfio-pci
# The sample mdev parent pulls mdev.ko, which nothing else loads.
t_check "modprobe vfio_mdev_sample after dkms install" modprobe vfio_mdev_sample
# The test platform device pulls vfio-platform.
t_check "modprobe vfio_platform_testdev after dkms install" \
	modprobe vfio_platform_testdev
for m in $T_OUR_MODS; do
	t_check "$m loaded from the dkms-installed file" eval \
		't_loaded_from $m "$(modinfo -n $m)" && t_file_is $m updates'
done
grp=$(vfio_bind "$VFIO_EDU0")
t_need_hold || t_diag "cannot build vfio_hold"
t_check "edu on the dkms-installed stack: /dev/vfio/$grp, device fd opens" \
	eval 'test -n "$grp" && t_devfd "$VFIO_EDU0"'
vfio_unbind "$VFIO_EDU0"
t_check "the dkms-installed stack unloads" vfio_stack_unload

t0=$(date +%s)
dkms remove "$name/$ver" --all > "$out/dkms-remove.log" 2>&1
rc=$?
t_diag "dkms remove: $(($(date +%s) - t0)) s"
t_check "dkms remove $name/$ver --all (status $rc)" test $rc = 0
t_check "dkms status no longer lists $name" eval \
	"! dkms status 2>/dev/null | grep -q '^$name/'"
left=$(ours_under "$T_LIB/updates" | tr '\n' ' ')
t_check "nothing of ours left under updates/${left:+ (left: $left)}" test -z "$left"
for m in $T_OUR_MODS; do
	if [ -n "$(t_intree_file "$m")" ]; then
		t_check "after dkms remove, $m resolves to kernel/ again" \
			t_file_is "$m" kernel
	else
		t_check "after dkms remove, $m is unknown to modprobe" eval \
			"! modinfo -n $m > /dev/null 2>&1"
	fi
done
t_check "the in-tree stack loads after dkms remove" eval \
	'modprobe vfio-pci && t_loaded_from vfio "$(modinfo -n vfio)" &&
	 t_file_is vfio kernel && t_file_is vfio_pci kernel'

vfio_stack_unload > /dev/null
rm -rf "/usr/src/$name-$ver" "/var/lib/dkms/$name"
t_check "the suite's $VFIO_STACK stack is back" t_restore
t_done
