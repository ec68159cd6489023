/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place for kernel-version differences. Every module of the set
 * sees it first (Kbuild passes -include). The VFIO_HAVE_* macros come
 * from compile probes (include/compat/probes/), never version numbers.
 */
#ifndef _VFIO_COMPAT_H
#define _VFIO_COMPAT_H

#include "../generated/vfio_compat_probes.h"

#ifdef __KERNEL__
/*
 * Macros only, no includes: this file is force-included before any source
 * line, and pulling kernel headers in here would define pr_fmt too early.
 */

#ifndef VFIO_HAVE_EVENTFD_SIGNAL_ONE_ARG
/* Before 6.8 eventfd_signal() took the count to add. */
#define vfio_eventfd_signal(ctx)	eventfd_signal((ctx), 1)
#else
#define vfio_eventfd_signal(ctx)	eventfd_signal(ctx)
#endif

#endif /* __KERNEL__ */
#endif /* _VFIO_COMPAT_H */
