# SPDX-License-Identifier: GPL-2.0-only
#
# Included by the userspace Makefiles under tools/testing. Debian 12's
# libc headers ship an older <linux/vfio.h>; the 6.12 one is taken from
# the kernel headers (or source) and sanitized the way `make
# headers_install` would (no __user, guard renamed) into
# $(OUTPUT)/include/linux/vfio.h, which is $(UAPI_HDR). The includer sets
# OUTPUT first and puts -I$(OUTPUT)/include first on its include path.

UAPI_VFIO := $(firstword \
	$(wildcard /usr/src/linux-headers-6.12*-common/include/uapi/linux/vfio.h) \
	$(wildcard /usr/src/linux-source-6.12/include/uapi/linux/vfio.h) \
	/usr/include/linux/vfio.h)

UAPI_HDR := $(OUTPUT)/include/linux/vfio.h

# Headers shared by the programs under tools/testing (e.g. vfio_cdev_name.h):
# on the include path, and $(TESTING_HDRS) for the includers' prerequisites,
# so a change to one rebuilds every program.
TESTING_INC := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))/include
TESTING_HDRS := $(wildcard $(TESTING_INC)/*.h)
CFLAGS += -I$(TESTING_INC)

# <linux/iommufd.h> likewise (Debian 12's libc headers have none).
UAPI_IOMMUFD := $(firstword \
	$(wildcard /usr/src/linux-headers-6.12*-common/include/uapi/linux/iommufd.h) \
	$(wildcard /usr/src/linux-source-6.12/include/uapi/linux/iommufd.h))
UAPI_IOMMUFD_HDR := $(OUTPUT)/include/linux/iommufd.h

$(UAPI_HDR): $(UAPI_VFIO)
	@mkdir -p $(dir $@)
	sed -E -e 's/([[:space:](])__user[[:space:]]/\1/g' \
	       -e 's@#(ifndef|define|endif[[:space:]]*/[*])[[:space:]]*_UAPI@#\1 @' \
	       $< > $@.tmp
	mv $@.tmp $@

$(UAPI_IOMMUFD_HDR): $(UAPI_IOMMUFD)
	@mkdir -p $(dir $@)
	sed -E -e 's/([[:space:](])__user[[:space:]]/\1/g' \
	       -e 's@#(ifndef|define|endif[[:space:]]*/[*])[[:space:]]*_UAPI@#\1 @' \
	       $< > $@.tmp
	mv $@.tmp $@
