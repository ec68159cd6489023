#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# vfio-pci's disable_idle_d3 parameter (TAP). It is read when vfio-pci
# loads, so the test reloads vfio-pci:
#  - with disable_idle_d3=1 a bound, closed e1000e stays active in D0
#    (runtime_usage 1: vfio-pci keeps the reference it would drop);
#  - selftests/vfio/vfio_pm_test on the e1000e and the first edu in that
#    mode, each of its results one item here: closed devices stay
#    active, low power entry still suspends (it drops that reference,
#    as upstream), exit, wakeup eventfd, close in low power as usual;
#  - reloaded without the parameter, the closed e1000e suspends to
#    D3hot again.
# vfio-pci is reloaded with its defaults at the end, whatever happened.

# The helpers below run through t_check and the EXIT trap.
# shellcheck disable=SC2317
# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

nic=$VFIO_E1000E0
param=/sys/module/vfio_pci/parameters/disable_idle_d3
selftests=$VFIO_SRC/tools/testing/selftests/vfio
pm=$selftests/build/vfio_pm_test

# "runtime_status power_state" of BDF
pm_state() {
	echo "$(cat "/sys/bus/pci/devices/$1/power/runtime_status")" \
		"$(cat "/sys/bus/pci/devices/$1/power_state")"
}

# pm_wait BDF STATE: pm_state is STATE within 5 s
pm_wait() {
	_pi=50
	while [ "$(pm_state "$1")" != "$2" ]; do
		[ "$_pi" -gt 0 ] || { t_diag "$1: $(pm_state "$1")"; return 1; }
		sleep 0.1
		_pi=$((_pi - 1))
	done
}

trap 't_param_cleanup "$param"' EXIT

# ---- disable_idle_d3=1 -----------------------------------------------------

t_check "vfio-pci reloaded with disable_idle_d3=1" \
	t_reload_vfio_pci disable_idle_d3=1
t_check "... the parameter reads Y" test "$(cat "$param")" = Y
if vfio_bind "$nic" > /dev/null; then
	sleep 0.5
	t_check "bound, closed $nic stays active in D0" pm_wait "$nic" "active D0"
	t_check "... with runtime_usage 1" \
		test "$(cat "/sys/bus/pci/devices/$nic/power/runtime_usage")" = 1
	vfio_unbind "$nic"
else
	t_nok "bind $nic to vfio-pci"
fi

if [ ! -x "$pm" ]; then
	make -s -C "$selftests" > "$T_TMP/make.log" 2>&1 ||
		t_diag "$(cat "$T_TMP/make.log")"
fi
if [ -x "$pm" ]; then
	"$pm" -d "$nic" -d "$VFIO_EDU0" > "$T_TMP/pm.out" 2>&1
	rc=$?
	while IFS= read -r l; do
		case $l in
		"ok "*) d=${l#ok }; t_ok "disable_idle_d3=1: ${d#* }" ;;
		"not ok "*) d=${l#not ok }; t_nok "disable_idle_d3=1: ${d#* }" ;;
		"#"*) echo "$l" ;;
		esac
	done < "$T_TMP/pm.out"
	t_check "vfio_pm_test with disable_idle_d3=1 exits 0 ($rc)" test $rc = 0
else
	t_nok "vfio_pm_test is not built ($pm)"
fi

# ---- back to the default ----------------------------------------------------

t_check "vfio-pci reloaded without parameters" t_reload_vfio_pci
t_check "... disable_idle_d3 reads N" test "$(cat "$param")" = N
if vfio_bind "$nic" > /dev/null; then
	t_check "bound, closed $nic suspends to D3hot" \
		pm_wait "$nic" "suspended D3hot"
	vfio_unbind "$nic"
else
	t_nok "bind $nic to vfio-pci"
fi
t_done
