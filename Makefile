# SPDX-License-Identifier: GPL-2.0-only
#
# Out-of-tree VFIO module set. See README.md.
#
#   make [KVER=...|KDIR=...]   build every module against a kernel
#   make install / uninstall   put them in /lib/modules/$KVER/updates/
#   make check                 build, style checks and the VM test suite
#   make demo                  boot the test VM and drive edu through our stack
#   make bench                 ours against the in-tree modules, as speed ratios

SRC := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# The development host runs another kernel than the one we target: fall
# back to Debian's 6.12 headers when the running kernel has none.
ifeq ($(origin KVER),undefined)
ifeq ($(origin KDIR),undefined)
KVER := $(shell uname -r)
ifeq ($(wildcard /lib/modules/$(KVER)/build/Makefile),)
KVER := $(lastword $(sort $(notdir $(wildcard /usr/src/linux-headers-6.12*-amd64))))
KVER := $(patsubst linux-headers-%,%,$(KVER))
endif
endif
endif
KDIR ?= /lib/modules/$(KVER)/build
ifeq ($(origin KVER),undefined)
KVER := $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
endif
INSTALL_MOD_DIR ?= updates

# The modules built today, by file name (see README.md); the KUnit test
# modules exist only when the target kernel has CONFIG_KUNIT.
MODULES := vfio vfio_group vfio_iommu_type1 vfio-pci-core vfio-pci iommufd \
	vfio_cdev mdev vfio_mdev_sample vfio-platform vfio_platform_testdev
KUNIT_MODULES := vfio_kunit vfio_iommu_type1_kunit vfio_pci_core_kunit \
	iommufd_kunit pinrun_kunit

KBUILD_ARGS := -C $(KDIR) M=$(SRC) VFIO_SRC=$(SRC)

.PHONY: all modules probes clean install uninstall check demo style sparse \
	print-kdir \
	deps help bench

all: modules

probes: include/generated/vfio_compat_probes.h

include/generated/vfio_compat_probes.h: $(wildcard include/compat/probes/*.c) \
		include/compat/probe.sh
	@KDIR=$(KDIR) sh include/compat/probe.sh $@

# Kbuild is slow to find out that nothing changed (minutes under TCG):
# a stamp over every source lets `make install` after `make` skip it.
SOURCES := $(shell find $(SRC)/core $(SRC)/group $(SRC)/virqfd $(SRC)/pci \
	$(SRC)/cdev $(SRC)/iommufd $(SRC)/pinrun $(SRC)/mdev $(SRC)/platform \
	$(SRC)/include/vfio -name '*.[ch]' -o -name Kbuild 2>/dev/null) \
	$(SRC)/Kbuild
STAMP := $(SRC)/build/.modules-$(KVER)

modules: $(STAMP)

# iommufd.ko calls the five IOMMU core functions of symbol namespace
# IOMMUFD_INTERNAL (include/vfio/iommu_internal.h): refuse early, and
# say why, against a kernel that does not export them all.
IFD_INTERNAL_SYMS := iommu_group_replace_domain iommu_attach_handle_get \
	iommu_attach_group_handle iommu_detach_group_handle \
	iommu_replace_group_handle

ifeq ($(filter n y,$(CONFIG_VFIO_OOT_IOMMUFD)),)
CHECK_IFD_INTERNAL = @awk -v want="$(IFD_INTERNAL_SYMS)" ' \
	BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) need[w[i]] = 1 } \
	$$5 == "IOMMUFD_INTERNAL" && ($$2 in need) { delete need[$$2] } \
	END { for (s in need) { miss = miss " " s } \
	      if (miss != "") { \
		print "error: $(KDIR)/Module.symvers does not export" miss \
		      " (namespace IOMMUFD_INTERNAL), which iommufd.ko needs;" \
		      " build without it: make CONFIG_VFIO_OOT_IOMMUFD=n" > "/dev/stderr"; \
		exit 1 } }' $(KDIR)/Module.symvers
endif

$(STAMP): $(SOURCES) include/generated/vfio_compat_probes.h
	$(CHECK_IFD_INTERNAL)
	$(MAKE) $(KBUILD_ARGS) modules
	@mkdir -p $(dir $@) && touch $@

clean:
	$(MAKE) $(KBUILD_ARGS) clean
	rm -rf include/generated include/compat/probes/build $(SRC)/build/.modules-*

install: modules
	$(MAKE) $(KBUILD_ARGS) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		INSTALL_MOD_STRIP=1 CONFIG_MODULE_SIG_ALL= modules_install
	depmod -a $(KVER)

uninstall:
	for m in $(MODULES) $(KUNIT_MODULES); do \
		find /lib/modules/$(KVER)/$(INSTALL_MOD_DIR) -name "$$m.ko*" \
			-delete 2>/dev/null || true; \
	done
	find /lib/modules/$(KVER)/$(INSTALL_MOD_DIR) -depth -type d -empty \
		-delete 2>/dev/null || true
	depmod -a $(KVER)

# Everything a fresh Debian 12 machine needs (apt included).
deps:
	sh tools/testing/vm/deps.sh

style:
	sh tools/testing/style.sh

sparse: probes
	$(MAKE) $(KBUILD_ARGS) C=2 W=1 modules

check: deps
	sh tools/testing/check.sh

demo: deps
	sh tools/testing/demo.sh

bench: deps
	sh tools/testing/bench/run.sh

help:
	@sed -n '3,10p' Makefile

# The kernel build directory chosen above, for the test modules' own
# Makefiles (tools/testing/variant).
print-kdir:
	@echo $(KDIR)
