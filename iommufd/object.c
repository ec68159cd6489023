// SPDX-License-Identifier: GPL-2.0-only
/*
 * The object table of one iommufd context: ids, publication, short-term
 * references held by ioctls, DESTROY and teardown at close.
 *
 * An id is reserved (XA_ZERO_ENTRY, invisible to lookups) while its object
 * is built, and the object is stored only once nothing can fail any more:
 * no ioctl ever sees a half-built object and a failed ioctl leaves no id.
 */
#include <kunit/visibility.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

#include "ifd.h"

/* How long DESTROY waits for an ioctl still using the object. */
#define IFD_DESTROY_WAIT_MS	60000

static void (*const ifd_destroy_ops[IFD_OBJ_MAX])(struct ifd_obj *obj) = {
	[IFD_OBJ_IOAS] = ifd_ioas_destroy,
	[IFD_OBJ_HWPT_PAGING] = ifd_hwpt_paging_destroy,
	[IFD_OBJ_HWPT_NESTED] = ifd_hwpt_nested_destroy,
	[IFD_OBJ_DEVICE] = ifd_device_destroy,
	[IFD_OBJ_ACCESS] = ifd_access_destroy,
	[IFD_OBJ_FAULT] = ifd_fault_destroy,
};

struct ifd_obj *ifd_obj_reserve(struct iommufd_ctx *ctx, size_t size,
				enum ifd_obj_type type)
{
	struct ifd_obj *obj;
	int ret;

	obj = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	refcount_set(&obj->users, 1);
	refcount_set(&obj->shortterm, 1);
	ret = xa_alloc(&ctx->objects, &obj->id, XA_ZERO_ENTRY, xa_limit_31b,
		       GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(obj);
		return ERR_PTR(ret);
	}
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_obj_reserve);

/* Make a complete object visible; its id was reserved, so no failure. */
void ifd_obj_publish(struct iommufd_ctx *ctx, struct ifd_obj *obj)
{
	void *prev = xa_store(&ctx->objects, obj->id, obj, GFP_KERNEL);

	WARN_ON(prev);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_obj_publish);

/* Give the id back and free an object whose type part is not set up. */
void ifd_obj_abort(struct iommufd_ctx *ctx, struct ifd_obj *obj)
{
	xa_erase(&ctx->objects, obj->id);
	kfree(obj);
}

/* Same for an object whose type part is set up (never published). */
void ifd_obj_abort_destroy(struct iommufd_ctx *ctx, struct ifd_obj *obj)
{
	ifd_destroy_ops[obj->type](obj);
	ifd_obj_abort(ctx, obj);
}

/*
 * Take a "users" and a "shortterm" reference of @obj, unless it is being
 * destroyed. Under xa_lock(ctx->objects), or with a reference held some
 * other way that keeps the memory alive.
 */
bool ifd_obj_lock(struct ifd_obj *obj)
{
	/* users reaches 0 only in a destroy, which unpublishes right after */
	if (!refcount_inc_not_zero(&obj->users))
		return false;
	if (!refcount_inc_not_zero(&obj->shortterm)) {
		refcount_dec(&obj->users);
		return false;
	}
	return true;
}

/*
 * Look @id up for the duration of an ioctl. -ENOENT when absent, still
 * reserved, being destroyed or of another type than @type.
 */
struct ifd_obj *ifd_obj_get(struct iommufd_ctx *ctx, u32 id,
			    enum ifd_obj_type type)
{
	struct ifd_obj *obj;

	xa_lock(&ctx->objects);
	obj = xa_load(&ctx->objects, id);
	if (!obj || (type != IFD_OBJ_ANY && obj->type != type) ||
	    !ifd_obj_lock(obj))
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ctx->objects);
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_obj_get);

void ifd_obj_put(struct iommufd_ctx *ctx, struct ifd_obj *obj)
{
	/* users first: a DESTROY that saw users == 1 is waiting below */
	refcount_dec(&obj->users);
	if (refcount_dec_and_test(&obj->shortterm))
		wake_up_all(&ctx->destroy_wait);
}
EXPORT_SYMBOL_IF_KUNIT(ifd_obj_put);

static void ifd_obj_free(struct ifd_obj *obj)
{
	ifd_destroy_ops[obj->type](obj);
	kfree(obj);
}

/* Unpublished (xa_lock held): the compat slot must not point at it. */
static void ifd_obj_forget(struct iommufd_ctx *ctx, struct ifd_obj *obj)
{
	if (ctx->vfio_ioas && &ctx->vfio_ioas->obj == obj)
		ctx->vfio_ioas = NULL;
}

/* Drop the table's shortterm bias and wait for ioctls still using @obj. */
static bool ifd_obj_drain(struct iommufd_ctx *ctx, struct ifd_obj *obj)
{
	if (refcount_dec_and_test(&obj->shortterm))
		return true;
	return wait_event_timeout(ctx->destroy_wait,
				  !refcount_read(&obj->shortterm),
				  msecs_to_jiffies(IFD_DESTROY_WAIT_MS));
}

/*
 * IOMMU_DESTROY: only an object nobody else references goes (-EBUSY
 * otherwise, -ENOENT for an unknown id). Once unpublished, it waits for
 * an ioctl that looked it up just before to drop its short-term ref.
 */
int ifd_obj_destroy_id(struct iommufd_ctx *ctx, u32 id)
{
	struct ifd_obj *obj;

	xa_lock(&ctx->objects);
	obj = xa_load(&ctx->objects, id);
	if (!obj || xa_is_zero(obj)) {
		xa_unlock(&ctx->objects);
		return -ENOENT;
	}
	if (!refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ctx->objects);
		return -EBUSY;
	}
	__xa_erase(&ctx->objects, id);
	ifd_obj_forget(ctx, obj);
	xa_unlock(&ctx->objects);

	/* a leaked shortterm ref: keep the memory, never free it */
	if (WARN_ON(!ifd_obj_drain(ctx, obj)))
		return -EBUSY;
	ifd_obj_free(obj);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ifd_obj_destroy_id);

/*
 * Drop a "users" reference of a published @obj (no shortterm one) and, if
 * only the table's is left, destroy it: an automatic HWPT whose last
 * device went. Someone else still holding it keeps it in the table.
 */
void ifd_obj_put_try_destroy(struct iommufd_ctx *ctx, struct ifd_obj *obj)
{
	xa_lock(&ctx->objects);
	refcount_dec(&obj->users);
	if (!refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ctx->objects);
		return;
	}
	__xa_erase(&ctx->objects, obj->id);
	ifd_obj_forget(ctx, obj);
	xa_unlock(&ctx->objects);

	if (WARN_ON(!ifd_obj_drain(ctx, obj)))
		return;
	ifd_obj_free(obj);
}

/*
 * The kernel owner of a DEVICE or ACCESS object lets it go: unpublish it
 * (lookups fail from now on), wait for the ioctls that still use it, then
 * destroy it. Its users are the table and the owner only by then.
 */
void ifd_obj_destroy_owned(struct iommufd_ctx *ctx, struct ifd_obj *obj)
{
	xa_lock(&ctx->objects);
	__xa_erase(&ctx->objects, obj->id);
	xa_unlock(&ctx->objects);

	/* an ioctl holds it only for a moment: wait as long as it takes */
	if (!refcount_dec_and_test(&obj->shortterm))
		wait_event(ctx->destroy_wait, !refcount_read(&obj->shortterm));
	WARN_ON_ONCE(refcount_read(&obj->users) != 2);
	ifd_obj_free(obj);
}

/*
 * Close of the file: no ioctl runs any more. Objects referenced by other
 * objects go after those, so free the unreferenced ones until none is
 * left; a round that frees nothing means a reference leak.
 */
void ifd_obj_destroy_all(struct iommufd_ctx *ctx)
{
	struct ifd_obj *obj;
	unsigned long id;
	bool progress;

	while (!xa_empty(&ctx->objects)) {
		progress = false;
		xa_for_each(&ctx->objects, id, obj) {
			if (!refcount_dec_if_one(&obj->users))
				continue;
			xa_erase(&ctx->objects, id);
			ifd_obj_free(obj);
			progress = true;
		}
		if (WARN_ON(!progress))
			break;
	}
}
EXPORT_SYMBOL_IF_KUNIT(ifd_obj_destroy_all);
