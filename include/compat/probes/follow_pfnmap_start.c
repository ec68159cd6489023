// SPDX-License-Identifier: GPL-2.0-only
/* probe: VFIO_HAVE_FOLLOW_PFNMAP_START */
#include <linux/mm.h>

int probe(struct follow_pfnmap_args *args);
int probe(struct follow_pfnmap_args *args)
{
	return follow_pfnmap_start(args);
}
