#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# vfio-pci's disable_vga parameter (TAP). It is read when vfio-pci loads,
# so the test reloads vfio-pci:
#  - with disable_vga=1, selftests/vfio/vfio_vga_test on the VM's VGA
#    ($VFIO_VGA0): REGION_INFO of the VGA region and any access to it
#    are EINVAL (its "disabled" case; the others skip), each of its
#    results one item here;
#  - reloaded without the parameter, the same program runs its other
#    cases (the region is back).
# vfio-pci is reloaded with its defaults at the end, whatever happened.
# (The default-load run of vfio_vga_test is its own item in the suite.)

# The helpers below run through t_check and the EXIT trap.
# shellcheck disable=SC2317
# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

param=/sys/module/vfio_pci/parameters/disable_vga
selftests=$VFIO_SRC/tools/testing/selftests/vfio
vga=$selftests/build/vfio_vga_test

if [ -z "${VFIO_VGA0:-}" ]; then
	echo "1..0 # SKIP no VGA device in this VM (VFIO_VGA0)"
	exit 4
fi

trap 't_param_cleanup "$param"' EXIT

# run_vga LABEL: vfio_vga_test's results as items "LABEL: ..." (its
# skips, the cases of the other mode, only as comments)
run_vga() {
	"$vga" -d "$VFIO_VGA0" > "$T_TMP/vga.out" 2>&1
	_rc=$?
	while IFS= read -r _l; do
		case $_l in
		"ok "*"# SKIP"*) echo "# $1: ${_l#ok }" ;;
		"ok "*) _d=${_l#ok }; t_ok "$1: ${_d#* }" ;;
		"not ok "*) _d=${_l#not ok }; t_nok "$1: ${_d#* }" ;;
		"#"*) echo "$_l" ;;
		esac
	done < "$T_TMP/vga.out"
	t_check "vfio_vga_test with $1 exits 0 ($_rc)" test $_rc = 0
}

if [ ! -x "$vga" ]; then
	make -s -C "$selftests" > "$T_TMP/make.log" 2>&1 ||
		t_diag "$(cat "$T_TMP/make.log")"
fi
[ -x "$vga" ] || { t_nok "vfio_vga_test is not built ($vga)"; t_done; }

t_check "vfio-pci reloaded with disable_vga=1" t_reload_vfio_pci disable_vga=1
t_check "... the parameter reads Y" test "$(cat "$param")" = Y
run_vga "disable_vga=1"

t_check "vfio-pci reloaded without parameters" t_reload_vfio_pci
t_check "... disable_vga reads N" test "$(cat "$param")" = N
run_vga "default"
t_done
