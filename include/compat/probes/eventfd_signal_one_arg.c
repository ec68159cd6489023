// SPDX-License-Identifier: GPL-2.0-only
/* probe: VFIO_HAVE_EVENTFD_SIGNAL_ONE_ARG */
#include <linux/eventfd.h>

void probe(struct eventfd_ctx *ctx);
void probe(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
