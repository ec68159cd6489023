// SPDX-License-Identifier: GPL-2.0-only
/*
 * The user memory behind one IOAS_MAP. Pinning is lazy, as upstream: with
 * no domain and no access in the IOAS nothing is pinned or charged, so
 * this only records what a later pin needs (range, mm, who to charge).
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "ifd.h"

/*
 * -EINVAL for an empty or huge @length (the IOMMU API takes size_t and the
 * page count must not overflow), -EOVERFLOW when the range wraps.
 */
struct ifd_pages *ifd_pages_new(struct iommufd_ctx *ctx, unsigned long uva,
				unsigned long length, bool writable)
{
	struct ifd_pages *pages;
	unsigned long end;

	if (!length || length > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(uva, length, &end))
		return ERR_PTR(-EOVERFLOW);

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	pages->uva = uva & PAGE_MASK;
	pages->npages = DIV_ROUND_UP(end - pages->uva, PAGE_SIZE);
	pages->writable = writable;
	if (capable(CAP_IPC_LOCK))
		pages->account_mode = IFD_ACCOUNT_NONE;
	else
		pages->account_mode = ctx->account_mode;
	mmgrab(current->mm);
	pages->mm = current->mm;
	pages->user = get_uid(current_user());
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_new);

static void ifd_pages_release(struct kref *kref)
{
	struct ifd_pages *pages = container_of(kref, struct ifd_pages, kref);

	free_uid(pages->user);
	mmdrop(pages->mm);
	kfree(pages);
}

void ifd_pages_put(struct ifd_pages *pages)
{
	kref_put(&pages->kref, ifd_pages_release);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_pages_put);
