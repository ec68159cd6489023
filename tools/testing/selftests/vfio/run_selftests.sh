#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vfio-test-vm: debug
# vfio-test-timeout: 900
#
# Run every VFIO selftest program and merge their TAP into one stream:
# "TAP version 13", one "ok"/"not ok" line per test (renumbered, prefixed
# with the program's suite name), the plan at the end, then a last line
# "vfio-selftests: N passed, N failed, N skipped". Exit status 0 only if
# nothing failed. Run as root, with vfio-pci (and vfio_iommu_type1) loaded.
#
#   run_selftests.sh [BDF...]
#
# BDFs: the devices to use. edu devices (1234:11e8) drive the container,
# group, type1, edu_dma and dma_fault programs; every BDF is also given to
# the device, irq and pm programs (irq uses the first edu for INTx and the
# first other device with MSI-X; pm, without BDFs, its own default: the
# first edu, $VFIO_NVME0 and $VFIO_E1000E0; err, without BDFs,
# $VFIO_E1000E0). Without arguments the test
# VM's BDF map is used ($VFIO_EDU0 $VFIO_EDU1 $VFIO_NVME0 $VFIO_E1000E0
# $VFIO_VIRTIO_NET0, see tools/testing/vm/guest-lib.sh), or else every edu
# device found.
#
# VFIO_SELFTESTS="SUITE..." runs only those programs, by suite name
# (container group type1 edu_dma dma_fault irq device pm err devset vga
# iommufd cdev mdev migration platform),
# VFIO_SELFTESTS_SKIP="SUITE..." all but those; vm.sh passes VFIO_*
# variables into the test VM.

here=$(cd "$(dirname "$0")" && pwd)
bin=${VFIO_SELFTESTS_BIN:-$here/build}

# pm's own default device list unless BDFs were given
pm_default=0
[ $# -eq 0 ] && pm_default=1
if [ $# -eq 0 ]; then
	for v in "${VFIO_EDU0:-}" "${VFIO_EDU1:-}" "${VFIO_NVME0:-}" \
		 "${VFIO_E1000E0:-}" "${VFIO_VIRTIO_NET0:-}"; do
		[ -n "$v" ] && [ -e "/sys/bus/pci/devices/$v" ] && set -- "$@" "$v"
	done
fi

edu=
all=
for b in "$@"; do
	case $b in *:*:*) ;; *) b=0000:$b ;; esac
	all="$all -d $b"
	if [ "$(cat "/sys/bus/pci/devices/$b/vendor" 2>/dev/null)" = 0x1234 ] &&
	   [ "$(cat "/sys/bus/pci/devices/$b/device" 2>/dev/null)" = 0x11e8 ]; then
		edu="$edu -d $b"
	fi
done
# Without an edu, the generic programs use the first device given.
first=$edu
[ -z "$first" ] && [ $# -gt 0 ] && first="-d $1"

echo "TAP version 13"
n=0 pass=0 fail=0 skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run SUITE PROGRAM ARGS...
run() {
	suite=$1 prog=$bin/$2
	shift 2
	case " ${VFIO_SELFTESTS:-$suite} " in
	*" $suite "*) ;;
	*) return ;;
	esac
	case " ${VFIO_SELFTESTS_SKIP:-} " in
	*" $suite "*) return ;;
	esac
	if [ ! -x "$prog" ]; then
		n=$((n + 1)) fail=$((fail + 1))
		echo "not ok $n $suite: $prog not built (make -C $here)"
		return
	fi
	echo "# $suite: $prog $*"
	"$prog" "$@" > "$tmp/out" 2>&1
	rc=$?
	# Renumber the results; pass diagnostics through; count.
	awk -v suite="$suite" -v n="$n" -v rc="$rc" '
	/^1\.\.[0-9]+/ {
		plan = substr($1, 4) + 0
		if (plan == 0 && $0 ~ /# *SKIP/) {
			why = $0
			sub(/^[^#]*# *SKIP */, "", why)
		}
		next
	}
	/^TAP version/ { next }
	/^Bail out!/ { n++; bad++; print "not ok " n " " suite ": " $0; next }
	/^(not )?ok / {
		st = ($1 == "not") ? "not ok" : "ok"
		d = $0
		sub(/^(not )?ok[ \t]+[0-9]+[ \t]*/, "", d)
		n++; seen++
		if (st == "not ok") bad++
		else if (d ~ /# *SKIP/) skipped++
		else good++
		print st " " n " " d
		next
	}
	{ print ($0 ~ /^#/) ? $0 : "# " $0 }
	END {
		if (plan > seen) {
			n++; bad++
			print "not ok " n " " suite ": " (plan - seen) " of " \
			      plan " tests did not report (exit status " rc ")"
		} else if (seen == 0 && rc != 0 && rc != 4 && bad == 0) {
			n++; bad++
			print "not ok " n " " suite ": exit status " rc
		} else if (seen == 0 && rc == 4) {
			n++; skipped++
			print "ok " n " " suite " # SKIP " \
			      (why != "" ? why : "program skipped")
		}
		printf "%d %d %d %d\n", n, good, bad, skipped > "/dev/stderr"
	}' "$tmp/out" 2> "$tmp/count"
	read -r n p f s < "$tmp/count"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# shellcheck disable=SC2086 # word splitting of the -d lists is wanted
{
	run container vfio_container_test $first
	run group vfio_group_test $first
	run type1 vfio_type1_test $first
	run edu_dma vfio_edu_dma_test $edu
	run dma_fault vfio_dma_fault_test $edu
	run irq vfio_irq_test $all
	run device vfio_device_test $all
	if [ "$pm_default" = 1 ]; then
		run pm vfio_pm_test
		run err vfio_err_test
	else
		run pm vfio_pm_test $all
		run err vfio_err_test $all
	fi
	# their own devices: $VFIO_MF0/$VFIO_MF1 and $VFIO_VGA0 (skip without)
	run devset vfio_devset_test
	run vga vfio_vga_test
	# /dev/iommu alone, then the edus' groups on it (skips without it)
	run iommufd vfio_iommufd_test $edu
	# the device cdev with iommufd on the edus (and $VFIO_MF0/$VFIO_MF1);
	# skips without /dev/iommu or /dev/vfio/devices
	run cdev vfio_cdev_test $edu
	# no device: the sample mdev parent, loaded by the program (skips
	# where it is not loadable: the in-tree stack)
	run mdev vfio_mdev_test
	# migration v2 on two sample mdevs (the same skip)
	run migration vfio_migration_test
	# no device: vfio_platform_testdev's platform device and the test
	# VM's ACPI devices (VFIO0001:00, VFIO0002:00), in noiommu mode
	# (skips without vfio's noiommu parameter: the in-tree stack)
	run platform vfio_platform_test
}

echo "1..$n"
echo "vfio-selftests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
