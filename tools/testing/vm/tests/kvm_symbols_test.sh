#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# KVM finds VFIO at run time, through symbol_get() of vfio.ko's
# vfio_file_set_kvm, vfio_file_enforced_coherent, vfio_file_is_valid and
# vfio_file_iommu_group (virt/kvm/vfio.c); there is no link-time
# dependency to catch a missing one. Checks (TAP), for each symbol: it is
# defined in [vfio], exported (__ksymtab_SYM in [vfio]), and exported GPL:
# since 6.5 symbol_get() refuses non-GPL exports. Then kvm.ko must load
# next to our vfio.
#
# Then KVM's own use of them, where /dev/kvm exists (`vfio_hold kvm`, as
# QEMU does it): a VM's KVM_DEV_TYPE_VFIO device gets the group
# (FILE_ADD: kvm symbol_get()s vfio_file_is_valid/set_kvm/
# enforced_coherent), the device is opened with the VM attached (we
# symbol_get() kvm_get_kvm_safe/kvm_put_kvm), closed, FILE_DEL; then kvm
# must unload (no VM or module reference leaked). The test VM has no VMX
# but TCG's -cpu max emulates SVM: kvm_amd loads and /dev/kvm is there.
# Without /dev/kvm that part is skipped.

# shellcheck source=tools/testing/vm/tests/lib.sh
. "$VFIO_SRC/tools/testing/vm/tests/lib.sh"

syms="vfio_file_set_kvm vfio_file_enforced_coherent vfio_file_is_valid vfio_file_iommu_group"

# section_of MODULE ADDR: the ELF section of MODULE holding address ADDR
# (as in /proc/kallsyms), from /sys/module/M/sections (root sees the real
# addresses). Module addresses are all 16 hex digits: they sort as text.
section_of() {
	for _f in "/sys/module/$1/sections"/.* "/sys/module/$1/sections"/*; do
		[ -f "$_f" ] && echo "$(sed 's/^0x//' "$_f") ${_f##*/}"
	done > "$T_TMP/sections"
	echo "$2 ~" >> "$T_TMP/sections"
	LC_ALL=C sort "$T_TMP/sections" |
		awk '$2 == "~" { print last; exit } { last = $2 }'
}

modprobe -q vfio-pci
t_check "vfio is loaded from $T_ORIGIN/" eval \
	't_file_is vfio $T_ORIGIN && t_loaded_from vfio "$(modinfo -n vfio)"'

for s in $syms; do
	t_check "$s is defined in [vfio]" \
		grep -qE "^[0-9a-f]+ [tT] ${s}[[:space:]]+\[vfio\]\$" /proc/kallsyms
	a=$(awk -v k="__ksymtab_$s" '$3 == k && $4 == "[vfio]" { print $1 }' \
		/proc/kallsyms)
	t_check "$s is exported by vfio (__ksymtab_$s)" test -n "$a"
	sec=
	[ -n "$a" ] && sec=$(section_of vfio "$a")
	t_check "$s is exported GPL (in section ${sec:-?}, want __ksymtab_gpl)" \
		test "$sec" = __ksymtab_gpl
done

# kvm.ko alone loads anywhere; the vendor module needs VMX or SVM.
kvm_was=0
t_loaded kvm && kvm_was=1
t_check "modprobe kvm with our vfio loaded" modprobe kvm
t_check "vfio still loaded and exporting after kvm came" eval \
	"t_loaded vfio && grep -q ' __ksymtab_vfio_file_set_kvm[[:space:]]*\[vfio\]' /proc/kallsyms"
for v in kvm_intel kvm_amd; do
	modprobe -q "$v" 2>/dev/null && break
done
if [ -c /dev/kvm ]; then
	t_need_hold || t_diag "cannot build vfio_hold"
	grp=$(vfio_bind "$VFIO_EDU0")
	if "$T_HOLD" kvm "$VFIO_EDU0" > "$T_TMP/kvm" 2>&1; then
		t_ok "KVM_DEV_TYPE_VFIO: FILE_ADD of /dev/vfio/$grp, device open with the VM, FILE_DEL"
	else
		t_nok "KVM_DEV_TYPE_VFIO: FILE_ADD of /dev/vfio/$grp, device open with the VM, FILE_DEL: $(cat "$T_TMP/kvm")"
	fi
	vfio_unbind "$VFIO_EDU0"
else
	t_skip "KVM_DEV_TYPE_VFIO: FILE_ADD of a group, device open with the VM, FILE_DEL" \
		"no /dev/kvm (kvm_intel/kvm_amd do not load: no VMX/SVM)"
fi
if [ $kvm_was = 0 ]; then
	for v in kvm_intel kvm_amd kvm; do
		t_loaded "$v" && rmmod "$v"
	done
	t_check "kvm unloads afterwards (no reference leaked)" eval \
		'! t_loaded kvm && ! t_loaded kvm_amd && ! t_loaded kvm_intel'
fi
t_done
