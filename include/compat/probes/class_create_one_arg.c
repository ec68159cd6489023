// SPDX-License-Identifier: GPL-2.0-only
/* probe: VFIO_HAVE_CLASS_CREATE_ONE_ARG */
#include <linux/device/class.h>

struct class *probe(void);
struct class *probe(void)
{
	return class_create("p");
}
