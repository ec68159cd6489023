// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite vfio_dev_set: devices sharing a reset domain share one
 * vfio_device_set (dev_set.c), found by the driver's set id; the last
 * member to leave frees it.
 *
 * The set code only uses a device's set links, its bus device pointer and
 * its open count, so plain zeroed vfio_device structs stand in for
 * registered devices. Part of vfio_kunit.ko (see helpers_kunit.c).
 */

#include <kunit/test.h>
#include <linux/mutex.h>

#include "vfio_core.h"

#define DSK_DEVS	4

struct dsk {
	struct vfio_device vdev[DSK_DEVS];
	struct device dev[DSK_DEVS];
	/* Their addresses are the set ids: unique while the case runs. */
	u8 id_a, id_b;
};

/* Whatever a failed case left in a set must not outlive it. */
static void dsk_leave_all(void *data)
{
	struct dsk *d = data;
	unsigned int i;

	for (i = 0; i < DSK_DEVS; i++)
		vfio_dev_set_leave(&d->vdev[i]);
}

static int dsk_init(struct kunit *test)
{
	struct dsk *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	unsigned int i;

	if (!d)
		return -ENOMEM;
	for (i = 0; i < DSK_DEVS; i++) {
		d->vdev[i].dev = &d->dev[i];
		INIT_LIST_HEAD(&d->vdev[i].dev_set_list);
	}
	test->priv = d;
	return kunit_add_action_or_reset(test, dsk_leave_all, d);
}

/* Devices 0-2 in set A, device 3 in set B. */
static void dsk_join(struct kunit *test, struct dsk *d)
{
	unsigned int i;

	for (i = 0; i < DSK_DEVS; i++)
		KUNIT_ASSERT_EQ(test, 0,
				vfio_assign_device_set(&d->vdev[i],
						       i < 3 ? &d->id_a :
						       &d->id_b));
}

static void dsk_same_id(struct kunit *test)
{
	struct dsk *d = test->priv;
	struct vfio_device_set *a, *b;
	struct vfio_device *vdev;
	unsigned int i = 0;

	dsk_join(test, d);
	a = d->vdev[0].dev_set;
	b = d->vdev[3].dev_set;
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_PTR_EQ(test, d->vdev[1].dev_set, a);
	KUNIT_EXPECT_PTR_EQ(test, d->vdev[2].dev_set, a);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_PTR_EQ(test, a->set_id, (void *)&d->id_a);
	KUNIT_EXPECT_PTR_EQ(test, b->set_id, (void *)&d->id_b);
	KUNIT_EXPECT_EQ(test, a->device_count, 3U);
	KUNIT_EXPECT_EQ(test, b->device_count, 1U);

	/* Members in the order they joined. */
	mutex_lock(&a->lock);
	list_for_each_entry(vdev, &a->device_list, dev_set_list) {
		KUNIT_EXPECT_PTR_EQ(test, vdev, &d->vdev[i]);
		i++;
	}
	mutex_unlock(&a->lock);
	KUNIT_EXPECT_EQ(test, i, 3U);
}

static void dsk_find(struct kunit *test)
{
	struct dsk *d = test->priv;
	struct vfio_device_set *a;

	dsk_join(test, d);
	a = d->vdev[0].dev_set;

	mutex_lock(&a->lock);
	KUNIT_EXPECT_PTR_EQ(test, vfio_find_device_in_devset(a, &d->dev[1]),
			    &d->vdev[1]);
	KUNIT_EXPECT_PTR_EQ(test, vfio_find_device_in_devset(a, &d->dev[2]),
			    &d->vdev[2]);
	/* A member of another set is not found in this one. */
	KUNIT_EXPECT_NULL(test, vfio_find_device_in_devset(a, &d->dev[3]));
	mutex_unlock(&a->lock);
}

static void dsk_open_count(struct kunit *test)
{
	struct dsk *d = test->priv;
	struct vfio_device_set *a, *b;

	dsk_join(test, d);
	a = d->vdev[0].dev_set;
	b = d->vdev[3].dev_set;

	mutex_lock(&a->lock);
	KUNIT_EXPECT_EQ(test, vfio_device_set_open_count(a), 0U);
	d->vdev[0].open_count = 2;
	d->vdev[2].open_count = 1;
	KUNIT_EXPECT_EQ(test, vfio_device_set_open_count(a), 3U);
	d->vdev[0].open_count = 0;
	d->vdev[2].open_count = 0;
	mutex_unlock(&a->lock);

	mutex_lock(&b->lock);
	KUNIT_EXPECT_EQ(test, vfio_device_set_open_count(b), 0U);
	mutex_unlock(&b->lock);
}

static void dsk_leave(struct kunit *test)
{
	struct dsk *d = test->priv;
	struct vfio_device_set *a;
	struct vfio_device *vdev;

	dsk_join(test, d);
	a = d->vdev[0].dev_set;

	vfio_dev_set_leave(&d->vdev[1]);
	KUNIT_EXPECT_NULL(test, d->vdev[1].dev_set);
	KUNIT_EXPECT_EQ(test, a->device_count, 2U);
	mutex_lock(&a->lock);
	list_for_each_entry(vdev, &a->device_list, dev_set_list)
		KUNIT_EXPECT_PTR_NE(test, vdev, &d->vdev[1]);
	KUNIT_EXPECT_NULL(test, vfio_find_device_in_devset(a, &d->dev[1]));
	mutex_unlock(&a->lock);

	/* Leaving twice, or without a set, does nothing. */
	vfio_dev_set_leave(&d->vdev[1]);
	KUNIT_EXPECT_EQ(test, a->device_count, 2U);

	/* The last member frees the set; the id then names a new one. */
	vfio_dev_set_leave(&d->vdev[0]);
	vfio_dev_set_leave(&d->vdev[2]);
	KUNIT_EXPECT_NULL(test, d->vdev[0].dev_set);
	KUNIT_ASSERT_EQ(test, 0, vfio_assign_device_set(&d->vdev[1], &d->id_a));
	a = d->vdev[1].dev_set;
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, a->device_count, 1U);
	KUNIT_EXPECT_PTR_EQ(test, a->set_id, (void *)&d->id_a);
	mutex_lock(&a->lock);
	KUNIT_EXPECT_PTR_EQ(test, vfio_find_device_in_devset(a, &d->dev[1]),
			    &d->vdev[1]);
	KUNIT_EXPECT_NULL(test, vfio_find_device_in_devset(a, &d->dev[0]));
	mutex_unlock(&a->lock);

	/* Set B was never touched. */
	KUNIT_EXPECT_EQ(test, d->vdev[3].dev_set->device_count, 1U);
}

static struct kunit_case dsk_cases[] = {
	KUNIT_CASE(dsk_same_id),
	KUNIT_CASE(dsk_find),
	KUNIT_CASE(dsk_open_count),
	KUNIT_CASE(dsk_leave),
	{}
};

static struct kunit_suite dsk_suite = {
	.name = "vfio_dev_set",
	.init = dsk_init,
	.test_cases = dsk_cases,
};

kunit_test_suite(dsk_suite);
