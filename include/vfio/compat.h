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

/* 6.11 replaced iommu_domain_alloc(bus) by a per-device allocator. */
#ifdef VFIO_HAVE_IOMMU_PAGING_DOMAIN_ALLOC
#define vfio_paging_domain_alloc(dev)	iommu_paging_domain_alloc(dev)
#else
#define vfio_paging_domain_alloc(dev)					\
	(iommu_domain_alloc((dev)->bus) ?: ERR_PTR(-EIO))
#endif

/* 6.12 lets the file mode be given at creation; before, set it after. */
#ifdef VFIO_HAVE_ANON_INODE_GETFILE_FMODE
#define vfio_anon_inode_getfile_fmode(name, fops, priv, flags, fmode)	\
	anon_inode_getfile_fmode(name, fops, priv, flags, fmode)
#else
#define vfio_anon_inode_getfile_fmode(name, fops, priv, flags, fmode)	\
({									\
	struct file *__file = anon_inode_getfile(name, fops, priv, flags); \
									\
	if (!IS_ERR(__file))						\
		__file->f_mode |= (fmode);				\
	__file;								\
})
#endif

/*
 * follow_pfnmap_start() (6.12) is the only way left to look up the pfn of
 * a VM_PFNMAP mapping: without it type1 cannot map device memory, and
 * group/type1/pin.c leaves that feature out (VFIO_HAVE_FOLLOW_PFNMAP_START).
 */

#endif /* __KERNEL__ */
#endif /* _VFIO_COMPAT_H */
