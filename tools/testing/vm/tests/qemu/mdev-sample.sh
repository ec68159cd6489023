# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# shellcheck disable=SC2034 # MS_*, R_*, DMA_*, IRQ_*, TYPE...: for the caller
# shellcheck disable=SC2154 # tmp: qtest-lib.sh's scratch dir
#
# The sample mdev's register map (mdev/samples/mdev_sample_regs.h, the
# header the module is built with) as shell values, for the tests where
# QEMU drives a sample mdev (qemu_mdev_test.sh,
# qemu_mdev_migration_test.sh), and the sample's loading and cleanup.
# Source it after qtest-lib.sh.

MS_REGS=$VFIO_SRC/mdev/samples/mdev_sample_regs.h

# The value of "#define NAME VALUE" in the header; 0 and a message if
# the header has no NAME.
msdef() {
	awk -v n="$1" '$1 == "#define" && $2 == n { print $3; f = 1 }
		END { exit !f }' "$MS_REGS" ||
		{ echo "no $1 in $MS_REGS" >&2; echo 0; }
}

MS_ID=$(($(msdef MSAMPLE_DEVICE) << 16 | $(msdef MSAMPLE_VENDOR)))
MS_CLASS=$(($(msdef MSAMPLE_CLASS)))
MS_BAR_SIZE=$(($(msdef MSAMPLE_BAR0_SIZE)))
MS_MSI_CAP=$(($(msdef MSAMPLE_MSI_CAP)))
MS_IDENT=$(($(msdef MSAMPLE_IDENT)))
R_IDENT=$(($(msdef MSAMPLE_REG_IDENT)))
R_SCRATCH=$(($(msdef MSAMPLE_REG_SCRATCH)))
R_IRQ_STATUS=$(($(msdef MSAMPLE_REG_IRQ_STATUS)))
R_IRQ_RAISE=$(($(msdef MSAMPLE_REG_IRQ_RAISE)))
R_IRQ_ACK=$(($(msdef MSAMPLE_REG_IRQ_ACK)))
R_DMA_SRC=$(($(msdef MSAMPLE_REG_DMA_SRC)))
R_DMA_DST=$(($(msdef MSAMPLE_REG_DMA_DST)))
R_DMA_LEN=$(($(msdef MSAMPLE_REG_DMA_LEN)))
R_DMA_CMD=$(($(msdef MSAMPLE_REG_DMA_CMD)))
R_DMA_STATUS=$(($(msdef MSAMPLE_REG_DMA_STATUS)))
R_DMA_COUNT=$(($(msdef MSAMPLE_REG_DMA_COUNT)))
DMA_START=$(($(msdef MSAMPLE_DMA_START)))
DMA_PIN=$(($(msdef MSAMPLE_DMA_PIN)))
DMA_IRQ=$(($(msdef MSAMPLE_DMA_IRQ)))
IRQ_DMA=$(($(msdef MSAMPLE_IRQ_DMA)))

# ms_dma SRC DST LEN CMD: program the engine of the sample at BAR (the
# caller's BAR0 address in the nested machine) and run one copy; QT_VAL
# is DMA_STATUS after.
ms_dma() {
	qt_wr32 $((BAR + R_DMA_SRC)) $(($1 & 0xffffffff)) &&
		qt_wr32 $((BAR + R_DMA_SRC + 4)) $(($1 >> 32)) &&
		qt_wr32 $((BAR + R_DMA_DST)) $(($2 & 0xffffffff)) &&
		qt_wr32 $((BAR + R_DMA_DST + 4)) $(($2 >> 32)) &&
		qt_wr32 $((BAR + R_DMA_LEN)) "$3" &&
		qt_wr32 $((BAR + R_DMA_CMD)) "$4" &&
		qt_rd32 $((BAR + R_DMA_STATUS))
}

# The sample's type, its mdevs; UUIDS: the mdevs the test made, loaded=1
# once ms_load loaded the sample (then ms_remove_left unloads it).
TYPE=/sys/class/mdev_bus/vfio_mdev_sample/mdev_supported_types/vfio_mdev_sample-1
MDEVS=/sys/bus/mdev/devices
UUIDS=()
loaded=0

# Load the sample unless it is loaded; modprobe's complaint, if any, in
# $tmp/modprobe.err.
ms_load() {
	grep -q '^vfio_mdev_sample ' /proc/modules && return 0
	modprobe -q vfio_iommu_type1 2> /dev/null
	modprobe vfio_mdev_sample 2> "$tmp/modprobe.err" && loaded=1
}

# Cleanup, after QEMU is gone (else a remove waits for it): remove the
# mdevs of UUIDS that are left, unload the sample if ms_load loaded it.
ms_remove_left() {
	local u

	for u in "${UUIDS[@]}"; do
		[ -e "$MDEVS/$u" ] || continue
		VFIO_UNBIND_WAIT=10 _gl_write_bounded 1 "$MDEVS/$u/remove" ||
			echo "# $u: remove still blocked" >&2
	done
	[ "$loaded" = 1 ] && modprobe -r vfio_mdev_sample 2> /dev/null
	return 0
}
