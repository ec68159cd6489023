/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Two ACPI devices for vfio_platform_test's ACPI cases (vfio-platform
 * names an ACPI device by its _HID and resets it with its _RST).
 * vm.sh compiles this with iasl into $VFIO_BUILD_DIR/vm/acpi/ and hands
 * it to QEMU with -acpitable; Linux makes each device a platform device
 * (VFIO0001:00, VFIO0002:00) that no driver claims.
 *
 * VFIO0001: an IO port range and a _RST that counts its calls. The
 *           count is read back through _HRV, which Linux evaluates on
 *           each read of /sys/bus/acpi/devices/VFIO0001:00/hrv (no
 *           kernel log to parse).
 * VFIO0002: an IO port range and no _RST (reset_required decides).
 *
 * The port ranges are unused on q35 (see tools/testing/vm/README.md);
 * nothing decodes them, and vfio-platform gives no access to IO port
 * regions anyway.
 */
DefinitionBlock ("", "SSDT", 2, "VFIOTS", "VFIOTEST", 0x00000001)
{
	Scope (\_SB)
	{
		Device (VFT1)
		{
			Name (_HID, "VFIO0001")
			Name (_UID, 0)
			Name (RCNT, 0)

			Method (_STA, 0, NotSerialized)
			{
				Return (0x0F)
			}

			Name (_CRS, ResourceTemplate ()
			{
				IO (Decode16, 0x0A80, 0x0A80, 0x01, 0x10)
			})

			Method (_RST, 0, Serialized)
			{
				RCNT++
			}

			Method (_HRV, 0, Serialized)
			{
				Return (RCNT)
			}
		}

		Device (VFT2)
		{
			Name (_HID, "VFIO0002")
			Name (_UID, 0)

			Method (_STA, 0, NotSerialized)
			{
				Return (0x0F)
			}

			Name (_CRS, ResourceTemplate ()
			{
				IO (Decode16, 0x0A90, 0x0A90, 0x01, 0x08)
			})
		}
	}
}
