// SPDX-License-Identifier: GPL-2.0-only
/*
 * Accesses: how an emulated device (an mdev parent, through vfio) reaches
 * the memory an IOAS maps without an IOMMU. It pins pages at an IOVA
 * range (and must unpin exactly that range later) or copies to/from it.
 * An UNMAP of a range the access pinned calls its unmap callback, with no
 * iommufd lock held, until it has unpinned; one that never does makes the
 * UNMAP fail with -EDEADLOCK (iova.c).
 *
 * The ACCESS object has no uAPI: its id only lets a kernel caller tell
 * userspace which object stands for the device; DESTROY answers -EBUSY.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>

#include "ifd.h"

/**
 * iommufd_access_create - an access for an emulated device
 * @ictx: the context
 * @ops: the driver's callbacks; with needs_pin_pages, unmap is required
 * @data: passed back to @ops
 * @id: the ACCESS object's id, on success
 *
 * Return: the access (undo with iommufd_access_destroy()), or ERR_PTR.
 */
struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      u32 *id)
{
	struct iommufd_access *access;
	struct ifd_obj *obj;

	obj = ifd_obj_reserve(ictx, sizeof(*access), IFD_OBJ_ACCESS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	access = container_of(obj, struct iommufd_access, obj);
	access->ops = ops;
	access->data = data;
	/* pinned pages are handed out whole: IOVAs must be page aligned */
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;
	mutex_init(&access->ioas_lock);
	access->ctx = ictx;
	iommufd_ctx_get(ictx);
	/* the caller's reference: userspace's DESTROY answers -EBUSY */
	refcount_inc(&obj->users);
	ifd_obj_publish(ictx, obj);
	*id = obj->id;
	return access;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_create, IOMMUFD);

/*
 * Move @access from its IOAS (if any) to @new (may be NULL). Leaving an
 * IOAS first asks the driver to unpin everything there (the callback runs
 * with ioas_lock dropped: it unpins, which takes it). -EBUSY when another
 * change ran meanwhile, -EADDRINUSE when @new has areas misaligned for
 * the access; nothing changed then.
 */
static int ifd_access_change(struct iommufd_access *access,
			     struct ifd_ioas *new)
{
	struct ifd_ioas *cur = access->ioas;
	u32 cur_id = access->list_id, new_id = 0;
	int ret;

	lockdep_assert_held(&access->ioas_lock);
	/* a concurrent detach is in its unmap callback */
	if (cur != access->ioas_unpin)
		return -EBUSY;
	if (cur == new)
		return 0;

	/* no new pins from here; unpins still go to ioas_unpin */
	access->ioas = NULL;
	if (new) {
		ret = ifd_iova_add_access(&new->iova, access, &new_id);
		if (ret) {
			access->ioas = cur;
			return ret;
		}
		refcount_inc(&new->obj.users);
	}
	if (cur) {
		if (access->ops->unmap) {
			mutex_unlock(&access->ioas_lock);
			access->ops->unmap(access->data, 0, ULONG_MAX);
			mutex_lock(&access->ioas_lock);
		}
		ifd_iova_remove_access(&cur->iova, cur_id);
		refcount_dec(&cur->obj.users);
	}
	access->ioas = new;
	access->ioas_unpin = new;
	access->list_id = new_id;
	return 0;
}

static int ifd_access_change_id(struct iommufd_access *access, u32 ioas_id)
{
	struct ifd_ioas *ioas = ifd_ioas_get(access->ctx, ioas_id);
	int ret;

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ret = ifd_access_change(access, ioas);
	ifd_obj_put(access->ctx, &ioas->obj);
	return ret;
}

/* Destroy op of ACCESS objects: the owner's destroy. */
void ifd_access_destroy(struct ifd_obj *obj)
{
	struct iommufd_access *access = container_of(obj, struct iommufd_access,
						     obj);

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		WARN_ON(ifd_access_change(access, NULL));
	mutex_unlock(&access->ioas_lock);
	mutex_destroy(&access->ioas_lock);
	/* last: may drop the last reference of the context's file */
	iommufd_ctx_put(access->ctx);
}

/**
 * iommufd_access_destroy - undo iommufd_access_create()
 * @access: the access; the caller stopped using it
 *
 * Detaches it if needed (asking the driver to unpin), waits for unmap
 * callbacks in flight; none runs after this returns.
 */
void iommufd_access_destroy(struct iommufd_access *access)
{
	ifd_obj_destroy_owned(access->ctx, &access->obj);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_destroy, IOMMUFD);

/**
 * iommufd_access_attach - attach an access to an IOAS
 * @access: the access, not attached
 * @ioas_id: the IOAS
 *
 * Return: 0, -ENOENT for an id that is no IOAS, -EINVAL if attached
 * already, -EADDRINUSE when the IOAS has areas misaligned for an access
 * that pins pages.
 */
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id)
{
	int ret;

	mutex_lock(&access->ioas_lock);
	if (access->ioas) {
		mutex_unlock(&access->ioas_lock);
		return -EINVAL;
	}
	ret = ifd_access_change_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_attach, IOMMUFD);

/**
 * iommufd_access_replace - move an attached access to another IOAS
 * @access: the access, attached
 * @ioas_id: the new IOAS
 *
 * Return: as iommufd_access_attach(); -ENOENT if not attached.
 */
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id)
{
	int ret;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		mutex_unlock(&access->ioas_lock);
		return -ENOENT;
	}
	ret = ifd_access_change_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_replace, IOMMUFD);

/**
 * iommufd_access_detach - undo iommufd_access_attach()
 * @access: the access, attached
 *
 * Calls the unmap callback for the whole IOVA space first.
 */
void iommufd_access_detach(struct iommufd_access *access)
{
	mutex_lock(&access->ioas_lock);
	if (!WARN_ON(!access->ioas))
		WARN_ON(ifd_access_change(access, NULL));
	mutex_unlock(&access->ioas_lock);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_detach, IOMMUFD);

/* A piece of an IOVA range inside one area, and its page indexes. */
struct ifd_seg {
	struct ifd_area *area;
	unsigned long first, last;	/* IOVAs */
	unsigned long first_byte, last_byte;	/* in the area's pages */
	unsigned long first_pg, last_pg;
};

/*
 * The piece of [*cur, last] in the area at *cur; false at a hole. The
 * caller holds iova.rwsem.
 */
static bool ifd_seg_at(struct ifd_iova *iova, unsigned long cur,
		       unsigned long last, struct ifd_seg *seg)
{
	struct ifd_area *area = ifd_iova_area_at(iova, cur, cur);

	if (!area)
		return false;
	seg->area = area;
	seg->first = cur;
	seg->last = min(last, area->node.last);
	seg->first_byte = area->start_byte + (cur - area->node.start);
	seg->last_byte = area->start_byte + (seg->last - area->node.start);
	seg->first_pg = seg->first_byte >> PAGE_SHIFT;
	seg->last_pg = seg->last_byte >> PAGE_SHIFT;
	return true;
}

static bool ifd_seg_prot_ok(const struct ifd_seg *seg, unsigned int flags)
{
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		return seg->area->prot & IOMMU_WRITE;
	return seg->area->prot & IOMMU_READ;
}

/* Unpin the pieces of [first, last] pinned by one pin call. */
static void ifd_access_unpin_range(struct ifd_iova *iova, unsigned long first,
				   unsigned long last)
{
	struct ifd_seg seg;
	unsigned long cur = first;

	while (ifd_seg_at(iova, cur, last, &seg)) {
		ifd_area_access_unpin(seg.area, seg.first_pg, seg.last_pg);
		if (seg.last == last)
			return;
		cur = seg.last + 1;
	}
	/* the areas cannot go while pinned: the caller unpins a wrong range */
	WARN_ON_ONCE(1);
}

/*
 * Start of a pin or rw of [@iova, @iova + @length): checks the range,
 * sets *@last to its inclusive end and returns the attached IOAS's
 * address space read-locked, with ioas_lock held so that a detach or
 * replace waits. ifd_access_unlock_range() ends it.
 */
static struct ifd_iova *ifd_access_lock_range(struct iommufd_access *access,
					      unsigned long iova,
					      unsigned long length,
					      unsigned long *last)
{
	struct ifd_iova *space;

	if (!length)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(iova, length - 1, last))
		return ERR_PTR(-EOVERFLOW);

	mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		mutex_unlock(&access->ioas_lock);
		return ERR_PTR(-ENOENT);
	}
	space = &access->ioas->iova;
	down_read(&space->rwsem);
	return space;
}

static void ifd_access_unlock_range(struct iommufd_access *access,
				    struct ifd_iova *space)
{
	up_read(&space->rwsem);
	mutex_unlock(&access->ioas_lock);
}

/**
 * iommufd_access_pin_pages - pin the pages behind an IOVA range
 * @access: the access, attached, made with needs_pin_pages
 * @iova: page aligned start
 * @length: bytes
 * @out_pages: room for the pages of the range
 * @flags: IOMMUFD_ACCESS_RW_WRITE if the device will write
 *
 * The caller must call iommufd_access_unpin_pages() with the same range
 * when done, and from its unmap callback for ranges an UNMAP covers.
 *
 * Return: 0, -EINVAL (no length, an unaligned piece, an area being
 * unmapped), -EOVERFLOW (range wraps), -ENOENT (not attached, or a hole
 * in the range), -EPERM (write to read-only), or a pinning error.
 */
int iommufd_access_pin_pages(struct iommufd_access *access, unsigned long iova,
			     unsigned long length, struct page **out_pages,
			     unsigned int flags)
{
	unsigned long last, cur = iova;
	struct ifd_iova *space;
	struct ifd_seg seg;
	int ret;

	space = ifd_access_lock_range(access, iova, length, &last);
	if (IS_ERR(space))
		return PTR_ERR(space);
	for (;;) {
		if (!ifd_seg_at(space, cur, last, &seg)) {
			ret = -ENOENT;
			goto err_unpin;
		}
		/*
		 * Whole pages only: each piece starts on a page boundary of
		 * the memory, and any but the last ends on one.
		 */
		if (seg.area->prevent_access || seg.first_byte % PAGE_SIZE ||
		    (seg.last != last && (seg.last_byte + 1) % PAGE_SIZE)) {
			ret = -EINVAL;
			goto err_unpin;
		}
		if (!ifd_seg_prot_ok(&seg, flags)) {
			ret = -EPERM;
			goto err_unpin;
		}
		if ((flags & IOMMUFD_ACCESS_RW_WRITE) &&
		    !seg.area->pages->writable) {
			ret = -EPERM;
			goto err_unpin;
		}
		ret = ifd_area_access_pin(seg.area, seg.first_pg, seg.last_pg,
					  out_pages);
		if (ret)
			goto err_unpin;
		out_pages += seg.last_pg - seg.first_pg + 1;
		if (seg.last == last)
			break;
		cur = seg.last + 1;
	}
	ifd_access_unlock_range(access, space);
	return 0;

err_unpin:
	if (cur != iova)
		ifd_access_unpin_range(space, iova, cur - 1);
	ifd_access_unlock_range(access, space);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_pin_pages, IOMMUFD);

/**
 * iommufd_access_unpin_pages - undo iommufd_access_pin_pages()
 * @access: the access
 * @iova: as given to the pin
 * @length: as given to the pin
 *
 * The caller stopped using the pages. Works during a detach or replace
 * (from the unmap callback) on the IOAS being left.
 */
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length)
{
	struct ifd_iova *space;
	unsigned long last;

	if (WARN_ON(!length) ||
	    WARN_ON(check_add_overflow(iova, length - 1, &last)))
		return;
	mutex_lock(&access->ioas_lock);
	/* a driver bug: unpinning while never attached */
	if (WARN_ON(!access->ioas_unpin)) {
		mutex_unlock(&access->ioas_lock);
		return;
	}
	space = &access->ioas_unpin->iova;
	down_read(&space->rwsem);
	ifd_access_unpin_range(space, iova, last);
	up_read(&space->rwsem);
	mutex_unlock(&access->ioas_lock);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_unpin_pages, IOMMUFD);

/**
 * iommufd_access_rw - copy to or from an IOVA range
 * @access: the access, attached
 * @iova: start, any alignment
 * @data: kernel buffer
 * @length: bytes
 * @flags: IOMMUFD_ACCESS_RW_WRITE to write the IOVA range (else read);
 *	   IOMMUFD_ACCESS_RW_KTHREAD is accepted (we never use the
 *	   caller's mm, so it changes nothing)
 *
 * Return: 0, -EINVAL (no length, an area being unmapped), -EOVERFLOW,
 * -ENOENT (not attached, a hole), -EPERM (write to read-only), -EFAULT.
 */
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t length, unsigned int flags)
{
	unsigned long last, cur = iova, bytes;
	struct ifd_iova *space;
	struct ifd_seg seg;
	int ret = 0;

	space = ifd_access_lock_range(access, iova, length, &last);
	if (IS_ERR(space))
		return PTR_ERR(space);
	for (;;) {
		if (!ifd_seg_at(space, cur, last, &seg)) {
			ret = -ENOENT;
			break;
		}
		if (seg.area->prevent_access) {
			ret = -EINVAL;
			break;
		}
		if (!ifd_seg_prot_ok(&seg, flags)) {
			ret = -EPERM;
			break;
		}
		bytes = seg.last - seg.first + 1;
		ret = ifd_pages_rw(seg.area->pages, seg.first_byte, data, bytes,
				   flags & IOMMUFD_ACCESS_RW_WRITE);
		if (ret || seg.last == last)
			break;
		data += bytes;
		cur = seg.last + 1;
	}
	ifd_access_unlock_range(access, space);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_rw, IOMMUFD);
