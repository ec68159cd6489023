// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites of the ioctl helpers vfio.ko exports to bus drivers
 * (helpers.c):
 *   vfio_info_caps          capability chains of the *_INFO ioctls
 *   vfio_set_irqs_validate  the VFIO_DEVICE_SET_IRQS header check
 *   vfio_check_feature      the VFIO_DEVICE_FEATURE argument check
 * The expected values are upstream 6.12's documented contract.
 *
 * This file also carries the module's metadata; dev_set_kunit.c is the
 * other half of vfio_kunit.ko.
 */

#include <kunit/test.h>
#include <linux/fault-inject.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "vfio_core.h"

/* ---------------------------------------------------------------- */
/* vfio_info_caps                                                    */

static void ick_free(void *caps)
{
	kfree(((struct vfio_info_cap *)caps)->buf);
}

/* An empty chain, freed when the case ends. */
static struct vfio_info_cap *ick_chain(struct kunit *test)
{
	struct vfio_info_cap *caps = kunit_kzalloc(test, sizeof(*caps),
						   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, caps);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, ick_free,
							   caps));
	return caps;
}

static struct vfio_info_cap_header *ick_at(struct vfio_info_cap *caps,
					   size_t off)
{
	return (void *)caps->buf + off;
}

static void ick_first(struct kunit *test)
{
	struct vfio_info_cap *caps = ick_chain(test);
	struct vfio_info_cap_header *cap;
	const u8 *p;
	size_t i;

	cap = vfio_info_cap_add(caps, 12, 7, 3);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cap);
	KUNIT_EXPECT_PTR_EQ(test, cap, caps->buf);
	/* Rounded up so that the next one starts 8-byte aligned. */
	KUNIT_EXPECT_EQ(test, caps->size, (size_t)16);
	KUNIT_EXPECT_EQ(test, cap->id, 7);
	KUNIT_EXPECT_EQ(test, cap->version, 3);
	KUNIT_EXPECT_EQ(test, cap->next, 0U);
	/* Payload and padding go to userspace: zeroed. */
	for (i = sizeof(*cap), p = (const u8 *)cap; i < caps->size; i++)
		KUNIT_EXPECT_EQ_MSG(test, p[i], 0, "byte %zu", i);
}

static void ick_links(struct kunit *test)
{
	static const struct { size_t size, off; u16 id; } want[] = {
		{ 16, 0, 1 }, { 20, 16, 2 }, { 8, 40, 3 }, { 9, 48, 4 },
	};
	struct vfio_info_cap *caps = ick_chain(test);
	struct vfio_info_cap_header *cap;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		cap = vfio_info_cap_add(caps, want[i].size, want[i].id, 1);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cap);
		KUNIT_EXPECT_PTR_EQ(test, cap, ick_at(caps, want[i].off));
		/* Fill the payload: later additions must keep it. */
		memset(cap + 1, 0x40 + i, want[i].size - sizeof(*cap));
	}
	KUNIT_EXPECT_EQ(test, caps->size, (size_t)64);

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		cap = ick_at(caps, want[i].off);
		KUNIT_EXPECT_EQ(test, cap->id, want[i].id);
		KUNIT_EXPECT_EQ(test, cap->next, i + 1 < ARRAY_SIZE(want) ?
				(u32)want[i + 1].off : 0U);
		if (want[i].size == sizeof(*cap))
			continue;
		KUNIT_EXPECT_EQ(test, ((u8 *)(cap + 1))[0], 0x40 + i);
		KUNIT_EXPECT_EQ(test,
				((u8 *)cap)[want[i].size - 1], 0x40 + i);
	}
}

static void ick_shift(struct kunit *test)
{
	struct vfio_info_cap *caps = ick_chain(test);
	struct vfio_info_cap_header *cap;

	/* Nothing to do on an empty chain. */
	vfio_info_cap_shift(caps, 64);
	KUNIT_EXPECT_NULL(test, caps->buf);
	KUNIT_EXPECT_EQ(test, caps->size, (size_t)0);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vfio_info_cap_add(caps, 8, 1, 1));
	vfio_info_cap_shift(caps, 64);
	KUNIT_EXPECT_EQ(test, caps->buf->next, 0U);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vfio_info_cap_add(caps, 24, 2, 1));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vfio_info_cap_add(caps, 8, 3, 1));
	vfio_info_cap_shift(caps, 64);
	/* Offsets now count from where the chain lands: 64 bytes on. */
	cap = caps->buf;
	KUNIT_EXPECT_EQ(test, cap->next, 64U + 8);
	cap = ick_at(caps, cap->next - 64);
	KUNIT_EXPECT_EQ(test, cap->id, 2);
	KUNIT_EXPECT_EQ(test, cap->next, 64U + 32);
	cap = ick_at(caps, cap->next - 64);
	KUNIT_EXPECT_EQ(test, cap->id, 3);
	KUNIT_EXPECT_EQ(test, cap->next, 0U);
}

static void ick_add_copy(struct kunit *test)
{
	struct vfio_info_cap *caps = ick_chain(test);
	struct {
		struct vfio_info_cap_header hdr;
		u32 a, b;
		u16 c;
	} __packed src = {
		/* A stale next in the source must not leak into the chain. */
		.hdr = { .id = 5, .version = 2, .next = 0x1234 },
		.a = 0x11223344, .b = 0x55667788, .c = 0x99aa,
	};
	struct vfio_info_cap_header *cap;
	const u8 *p;
	size_t i;

	KUNIT_ASSERT_EQ(test, 0,
			vfio_info_add_capability(caps, &src.hdr, sizeof(src)));
	KUNIT_ASSERT_EQ(test, 0,
			vfio_info_add_capability(caps, &src.hdr, sizeof(src)));
	KUNIT_ASSERT_EQ(test, caps->size, 2 * ALIGN(sizeof(src), 8));

	cap = caps->buf;
	KUNIT_EXPECT_EQ(test, cap->id, 5);
	KUNIT_EXPECT_EQ(test, cap->version, 2);
	KUNIT_EXPECT_EQ(test, cap->next, (u32)ALIGN(sizeof(src), 8));
	KUNIT_EXPECT_EQ(test, 0, memcmp(cap + 1, &src.hdr + 1,
					sizeof(src) - sizeof(src.hdr)));
	p = (const u8 *)cap;
	for (i = sizeof(src); i < ALIGN(sizeof(src), 8); i++)
		KUNIT_EXPECT_EQ_MSG(test, p[i], 0, "padding byte %zu", i);

	cap = ick_at(caps, cap->next);
	KUNIT_EXPECT_EQ(test, cap->id, 5);
	KUNIT_EXPECT_EQ(test, cap->next, 0U);
	KUNIT_EXPECT_EQ(test, 0, memcmp(cap + 1, &src.hdr + 1,
					sizeof(src) - sizeof(src.hdr)));
}

/*
 * An allocation failure frees the whole chain and empties it. Forced
 * with fail_nth, which fails GFP_KERNEL slab allocations only when
 * failslab's ignore-gfp-wait is off (kunit-run.sh turns it off).
 */
static void ick_enomem(struct kunit *test)
{
#ifdef CONFIG_FAILSLAB
	struct vfio_info_cap *caps = ick_chain(test);
	struct vfio_info_cap_header *cap;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vfio_info_cap_add(caps, 16, 1, 1));

	/* 80 bytes do not fit the first allocation: a new one is made. */
	current->fail_nth = 1;
	cap = vfio_info_cap_add(caps, 64, 2, 1);
	current->fail_nth = 0;
	if (!IS_ERR(cap))
		kunit_skip(test, "failslab ignores GFP_KERNEL (ignore-gfp-wait)");

	KUNIT_EXPECT_EQ(test, PTR_ERR(cap), -ENOMEM);
	KUNIT_EXPECT_NULL(test, caps->buf);
	KUNIT_EXPECT_EQ(test, caps->size, (size_t)0);

	/* The emptied chain can be built again. */
	cap = vfio_info_cap_add(caps, 8, 3, 1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cap);
	KUNIT_EXPECT_EQ(test, cap->next, 0U);
	KUNIT_EXPECT_EQ(test, caps->size, (size_t)8);
#else
	kunit_skip(test, "needs CONFIG_FAILSLAB");
#endif
}

static struct kunit_case ick_cases[] = {
	KUNIT_CASE(ick_first),
	KUNIT_CASE(ick_links),
	KUNIT_CASE(ick_shift),
	KUNIT_CASE(ick_add_copy),
	KUNIT_CASE(ick_enomem),
	{}
};

static struct kunit_suite ick_suite = {
	.name = "vfio_info_caps",
	.test_cases = ick_cases,
};

/* ---------------------------------------------------------------- */
/* vfio_set_irqs_validate                                            */

#define SIK_MINSZ	offsetofend(struct vfio_irq_set, count)
#define SIK_NONE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define SIK_BOOL	(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER)
#define SIK_EVENTFD	(VFIO_IRQ_SET_DATA_EVENTFD | \
			 VFIO_IRQ_SET_ACTION_TRIGGER)

struct sik_case {
	const char *name;
	u32 argsz, flags, index, start, count;
	int num_irqs, max_irq_type;
	bool no_size;		/* data_size == NULL */
	int ret;
	size_t data_size;	/* on success */
};

static const struct sik_case sik_cases[] = {
	{ "none", SIK_MINSZ, SIK_NONE, 0, 0, 1, 1, 5, false, 0, 0 },
	{ "none, count 0", SIK_MINSZ, SIK_NONE, 0, 0, 0, 1, 5, false, 0, 0 },
	{ "none, no data_size", SIK_MINSZ, SIK_NONE, 0, 0, 1, 1, 5, true,
	  0, 0 },
	{ "none, no action", SIK_MINSZ, VFIO_IRQ_SET_DATA_NONE, 0, 0, 1, 1,
	  5, false, 0, 0 },
	/* Actions are the driver's business. */
	{ "none, all actions", SIK_MINSZ, VFIO_IRQ_SET_DATA_NONE |
	  VFIO_IRQ_SET_ACTION_TYPE_MASK, 0, 0, 1, 1, 5, false, 0, 0 },
	{ "bool x3", SIK_MINSZ + 3, SIK_BOOL, 1, 1, 3, 4, 5, false, 0, 3 },
	{ "bool, short data", SIK_MINSZ + 2, SIK_BOOL, 1, 1, 3, 4, 5, false,
	  -EINVAL, 0 },
	{ "bool, count 0", SIK_MINSZ, SIK_BOOL, 1, 0, 0, 4, 5, false, 0, 0 },
	{ "bool, no data_size", SIK_MINSZ + 3, SIK_BOOL, 1, 1, 3, 4, 5, true,
	  -EINVAL, 0 },
	{ "eventfd x2", SIK_MINSZ + 8, SIK_EVENTFD, 2, 0, 2, 2, 5, false,
	  0, 8 },
	{ "eventfd, short data", SIK_MINSZ + 7, SIK_EVENTFD, 2, 0, 2, 2, 5,
	  false, -EINVAL, 0 },
	{ "eventfd, argsz larger", SIK_MINSZ + 64, SIK_EVENTFD, 2, 0, 2, 2, 5,
	  false, 0, 8 },
	{ "eventfd x2048", SIK_MINSZ + 8192, SIK_EVENTFD, 4, 0, 2048, 2048,
	  5, false, 0, 8192 },
	{ "argsz short", SIK_MINSZ - 1, SIK_NONE, 0, 0, 1, 1, 5, false,
	  -EINVAL, 0 },
	{ "argsz 0", 0, SIK_NONE, 0, 0, 1, 1, 5, false, -EINVAL, 0 },
	{ "last index", SIK_MINSZ, SIK_NONE, 4, 0, 1, 1, 5, false, 0, 0 },
	{ "index past", SIK_MINSZ, SIK_NONE, 5, 0, 1, 1, 5, false,
	  -EINVAL, 0 },
	{ "no vectors", SIK_MINSZ, SIK_NONE, 0, 0, 0, 0, 5, false,
	  -EINVAL, 0 },
	{ "start past", SIK_MINSZ, SIK_NONE, 0, 4, 0, 4, 5, false,
	  -EINVAL, 0 },
	{ "start+count past", SIK_MINSZ, SIK_NONE, 0, 2, 3, 4, 5, false,
	  -EINVAL, 0 },
	{ "start+count at end", SIK_MINSZ, SIK_NONE, 0, 2, 2, 4, 5, false,
	  0, 0 },
	{ "count wraps", SIK_MINSZ, SIK_NONE, 0, 1, U32_MAX - 1, 4, 5, false,
	  -EINVAL, 0 },
	{ "count U32_MAX", SIK_MINSZ, SIK_NONE, 0, 0, U32_MAX, 4, 5, false,
	  -EINVAL, 0 },
	{ "unknown flag", SIK_MINSZ, SIK_NONE | BIT(6), 0, 0, 1, 1, 5, false,
	  -EINVAL, 0 },
	{ "high flag", SIK_MINSZ, SIK_NONE | BIT(31), 0, 0, 1, 1, 5, false,
	  -EINVAL, 0 },
	{ "no data type", SIK_MINSZ + 4, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 1,
	  1, 5, false, -EINVAL, 0 },
	{ "two data types", SIK_MINSZ + 4, VFIO_IRQ_SET_DATA_BOOL |
	  VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 1, 1,
	  5, false, -EINVAL, 0 },
};

static void sik_desc(const struct sik_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(sik, sik_cases, sik_desc);

static void sik_validate(struct kunit *test)
{
	const struct sik_case *c = test->param_value;
	struct vfio_irq_set hdr = {
		.argsz = c->argsz, .flags = c->flags, .index = c->index,
		.start = c->start, .count = c->count,
	};
	const size_t poison = 0x5a5a5a5a;
	size_t data_size = poison;
	int ret;

	ret = vfio_set_irqs_validate_and_prepare(&hdr, c->num_irqs,
						 c->max_irq_type,
						 c->no_size ? NULL : &data_size);
	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (c->no_size)
		return;
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, data_size, c->data_size);
	else
		/* Undefined on error, but never a size to copy. */
		KUNIT_EXPECT_TRUE(test, !data_size || data_size == poison);
}

static struct kunit_case sik_test_cases[] = {
	KUNIT_CASE_PARAM(sik_validate, sik_gen_params),
	{}
};

static struct kunit_suite sik_suite = {
	.name = "vfio_set_irqs_validate",
	.test_cases = sik_test_cases,
};

/* ---------------------------------------------------------------- */
/* vfio_check_feature                                                */

#define FK_GET		VFIO_DEVICE_FEATURE_GET
#define FK_SET		VFIO_DEVICE_FEATURE_SET
#define FK_PROBE	VFIO_DEVICE_FEATURE_PROBE

struct fk_case {
	const char *name;
	u32 flags;
	size_t argsz;
	u32 supported;
	size_t minsz;
	int ret;	/* 1: do it, 0: probe answered, or -errno */
};

static const struct fk_case fk_cases[] = {
	{ "get", FK_GET, 8, FK_GET, 8, 1 },
	{ "set", FK_SET, 16, FK_GET | FK_SET, 8, 1 },
	{ "get+set", FK_GET | FK_SET, 8, FK_GET | FK_SET, 8, 1 },
	{ "get, short", FK_GET, 7, FK_GET, 8, -EINVAL },
	{ "set unsupported", FK_SET, 8, FK_GET, 8, -EINVAL },
	{ "get+set, get only", FK_GET | FK_SET, 8, FK_GET, 8, -EINVAL },
	{ "neither", 0, 8, FK_GET, 8, -EINVAL },
	{ "probe", FK_PROBE, 0, FK_GET, 8, 0 },
	{ "probe get", FK_PROBE | FK_GET, 0, FK_GET, 8, 0 },
	{ "probe set unsupported", FK_PROBE | FK_SET, 0, FK_GET, 8, -EINVAL },
};

static void fk_desc(const struct fk_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fk, fk_cases, fk_desc);

static void fk_check(struct kunit *test)
{
	const struct fk_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, c->ret,
			vfio_check_feature(c->flags, c->argsz, c->supported,
					   c->minsz));
}

static struct kunit_case fk_test_cases[] = {
	KUNIT_CASE_PARAM(fk_check, fk_gen_params),
	{}
};

static struct kunit_suite fk_suite = {
	.name = "vfio_check_feature",
	.test_cases = fk_test_cases,
};

kunit_test_suites(&ick_suite, &sik_suite, &fk_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("VFIO out-of-tree team");
MODULE_DESCRIPTION("KUnit tests of the VFIO core");
