// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the hellodev core: read lengths, setup checks, node modes,
 * and the open counter with its rate-limited log, alone and under load.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/string.h>

#include "hellodev.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* What a frontend passes as its module name: the node name by default. */
#define MODNAME "hellodev_misc"

/* hellodev_read_len() */

struct read_len_case {
	size_t len;
	loff_t pos;
	size_t count;
	ssize_t want;
};

/*
 * Every boundary of pos and count for the shortest text, the default one
 * ("Hello from C\n") and the longest one. count takes the values 0, 1,
 * left - 1, left, left + 1 and SIZE_MAX, where left = len - pos, wherever
 * pos is inside the text; outside it only 0, 1 and SIZE_MAX mean anything.
 */
static const struct read_len_case read_len_cases[] = {
	/* 1 byte */
	{ 1, LLONG_MIN, 0, -EINVAL },
	{ 1, LLONG_MIN, 1, -EINVAL },
	{ 1, LLONG_MIN, SIZE_MAX, -EINVAL },
	{ 1, -1, 0, -EINVAL },
	{ 1, -1, 1, -EINVAL },
	{ 1, -1, SIZE_MAX, -EINVAL },
	{ 1, 0, 0, 0 },
	{ 1, 0, 1, 1 },
	{ 1, 0, 2, 1 },
	{ 1, 0, SIZE_MAX, 1 },
	{ 1, 1, 0, 0 },
	{ 1, 1, 1, 0 },
	{ 1, 1, SIZE_MAX, 0 },
	{ 1, 2, 0, 0 },
	{ 1, 2, 1, 0 },
	{ 1, 2, SIZE_MAX, 0 },
	{ 1, LLONG_MAX, 0, 0 },
	{ 1, LLONG_MAX, 1, 0 },
	{ 1, LLONG_MAX, SIZE_MAX, 0 },
	/* 13 bytes */
	{ 13, LLONG_MIN, 0, -EINVAL },
	{ 13, LLONG_MIN, 1, -EINVAL },
	{ 13, LLONG_MIN, SIZE_MAX, -EINVAL },
	{ 13, -1, 0, -EINVAL },
	{ 13, -1, 1, -EINVAL },
	{ 13, -1, SIZE_MAX, -EINVAL },
	{ 13, 0, 0, 0 },
	{ 13, 0, 1, 1 },
	{ 13, 0, 12, 12 },
	{ 13, 0, 13, 13 },
	{ 13, 0, 14, 13 },
	{ 13, 0, SIZE_MAX, 13 },
	{ 13, 1, 0, 0 },
	{ 13, 1, 1, 1 },
	{ 13, 1, 11, 11 },
	{ 13, 1, 12, 12 },
	{ 13, 1, 13, 12 },
	{ 13, 1, SIZE_MAX, 12 },
	{ 13, 12, 0, 0 },
	{ 13, 12, 1, 1 },
	{ 13, 12, 2, 1 },
	{ 13, 12, SIZE_MAX, 1 },
	{ 13, 13, 0, 0 },
	{ 13, 13, 1, 0 },
	{ 13, 13, SIZE_MAX, 0 },
	{ 13, 14, 0, 0 },
	{ 13, 14, 1, 0 },
	{ 13, 14, SIZE_MAX, 0 },
	{ 13, LLONG_MAX, 0, 0 },
	{ 13, LLONG_MAX, 1, 0 },
	{ 13, LLONG_MAX, SIZE_MAX, 0 },
	/* 4096 bytes: HELLODEV_GREETING_MAX and the newline */
	{ 4096, LLONG_MIN, 0, -EINVAL },
	{ 4096, LLONG_MIN, 1, -EINVAL },
	{ 4096, LLONG_MIN, SIZE_MAX, -EINVAL },
	{ 4096, -1, 0, -EINVAL },
	{ 4096, -1, 1, -EINVAL },
	{ 4096, -1, SIZE_MAX, -EINVAL },
	{ 4096, 0, 0, 0 },
	{ 4096, 0, 1, 1 },
	{ 4096, 0, 4095, 4095 },
	{ 4096, 0, 4096, 4096 },
	{ 4096, 0, 4097, 4096 },
	{ 4096, 0, SIZE_MAX, 4096 },
	{ 4096, 1, 0, 0 },
	{ 4096, 1, 1, 1 },
	{ 4096, 1, 4094, 4094 },
	{ 4096, 1, 4095, 4095 },
	{ 4096, 1, 4096, 4095 },
	{ 4096, 1, SIZE_MAX, 4095 },
	{ 4096, 4095, 0, 0 },
	{ 4096, 4095, 1, 1 },
	{ 4096, 4095, 2, 1 },
	{ 4096, 4095, SIZE_MAX, 1 },
	{ 4096, 4096, 0, 0 },
	{ 4096, 4096, 1, 0 },
	{ 4096, 4096, SIZE_MAX, 0 },
	{ 4096, 4097, 0, 0 },
	{ 4096, 4097, 1, 0 },
	{ 4096, 4097, SIZE_MAX, 0 },
	{ 4096, LLONG_MAX, 0, 0 },
	{ 4096, LLONG_MAX, 1, 0 },
	{ 4096, LLONG_MAX, SIZE_MAX, 0 },
};

static_assert(ARRAY_SIZE(read_len_cases) == 81);
static_assert(HELLODEV_GREETING_MAX + 1 == 4096);

static void read_len_desc(const struct read_len_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "len %zu pos %lld count %zu",
		 c->len, c->pos, c->count);
}

KUNIT_ARRAY_PARAM(read_len, read_len_cases, read_len_desc);

static void read_len_at_boundaries(struct kunit *test)
{
	const struct read_len_case *c = test->param_value;

	KUNIT_EXPECT_EQ_MSG(test, hellodev_read_len(c->len, c->pos, c->count),
			    c->want, "len %zu pos %lld count %zu", c->len,
			    c->pos, c->count);
}

static struct kunit_case read_len_test_cases[] = {
	KUNIT_CASE_PARAM(read_len_at_boundaries, read_len_gen_params),
	{}
};

static struct kunit_suite read_len_test_suite = {
	.name = "hellodev_read_len",
	.test_cases = read_len_test_cases,
};

/* hellodev_setup() */

#define NAME_32 "abcdefghijklmnopqrstuvwxyz012345"
#define NAME_33 "abcdefghijklmnopqrstuvwxyz0123456"
#define RUST_GREETING "\xf0\x9f\xa6\x80 Hello from rust" /* U+1F980 crab */

static_assert(sizeof(NAME_32) - 1 == HELLODEV_NAME_MAX);
static_assert(sizeof(NAME_33) - 1 == HELLODEV_NAME_MAX + 1);
static_assert(sizeof(RUST_GREETING) - 1 == 20);

/**
 * struct setup_case - one call of hellodev_setup()
 * @desc: what is being tried
 * @name: node name, or NULL for the module name
 * @greeting: the greeting, or NULL for @greeting_len bytes of a-z
 * @greeting_len: length of the made-up greeting when @greeting is NULL
 * @want_name: hd->name after a successful setup
 * @want_len: hd->len after a successful setup
 */
struct setup_case {
	const char *desc;
	const char *name;
	const char *greeting;
	size_t greeting_len;
	const char *want_name;
	size_t want_len;
};

static const struct setup_case setup_bad_cases[] = {
	{ "empty name", "", "Hi" },
	{ "33-byte name", NAME_33, "Hi" },
	{ "name with '/'", "a/b", "Hi" },
	{ "name with ' '", "a b", "Hi" },
	{ "name with a newline", "a\nb", "Hi" },
	{ "name with a leading '.'", ".hidden", "Hi" },
	{ "name \".\"", ".", "Hi" },
	{ "name \"..\"", "..", "Hi" },
	{ "Latin-1 name caf\\xe9", "caf\xe9", "Hi" },
	{ "empty greeting", "hellodev", "" },
	{ "4096-byte greeting", "hellodev", NULL, 4096 },
};

static_assert(ARRAY_SIZE(setup_bad_cases) == 11);

static const struct setup_case setup_good_cases[] = {
	{ "no name: module name", NULL, "Hello from C", 0, MODNAME, 13 },
	{ "32-byte name", NAME_32, "Hi", 0, NAME_32, 3 },
	{ "name rust_mydev", "rust_mydev", "Hi", 0, "rust_mydev", 3 },
	{ "name a.b-c_9", "a.b-c_9", "Hi", 0, "a.b-c_9", 3 },
	{ "1-byte greeting", "hellodev", "x", 0, "hellodev", 2 },
	{ "4095-byte greeting", "hellodev", NULL, 4095, "hellodev", 4096 },
	{ "UTF-8 greeting", "rust_mydev", RUST_GREETING, 0, "rust_mydev", 21 },
};

static_assert(ARRAY_SIZE(setup_good_cases) == 7);

static void setup_case_desc(const struct setup_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(setup_bad, setup_bad_cases, setup_case_desc);
KUNIT_ARRAY_PARAM(setup_good, setup_good_cases, setup_case_desc);

/* The case's greeting; a made-up one cycles through a-z to catch shifts. */
static const char *setup_case_greeting(struct kunit *test,
				       const struct setup_case *c)
{
	char *text;
	size_t i;

	if (c->greeting)
		return c->greeting;

	text = kunit_kmalloc(test, c->greeting_len + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, text);
	for (i = 0; i < c->greeting_len; i++)
		text[i] = 'a' + i % 26;
	text[i] = '\0';
	return text;
}

/* A device full of junk, so that whatever setup leaves out shows. */
static struct hellodev *alloc_hellodev(struct kunit *test)
{
	struct hellodev *hd = kunit_kmalloc(test, sizeof(*hd), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, hd);
	memset(hd, 0xa5, sizeof(*hd));
	return hd;
}

static void setup_rejects_bad_values(struct kunit *test)
{
	const struct setup_case *c = test->param_value;
	const char *greeting = setup_case_greeting(test, c);
	struct hellodev *hd = alloc_hellodev(test);
	int err = hellodev_setup(hd, MODNAME, c->name, greeting, true);

	KUNIT_EXPECT_EQ_MSG(test, err, -EINVAL, "%s", c->desc);
}

static void setup_accepts_good_values(struct kunit *test)
{
	const struct setup_case *c = test->param_value;
	const char *greeting = setup_case_greeting(test, c);
	struct hellodev *hd = alloc_hellodev(test);
	int err = hellodev_setup(hd, MODNAME, c->name, greeting, true);

	KUNIT_ASSERT_EQ_MSG(test, err, 0, "%s", c->desc);
	KUNIT_EXPECT_STREQ_MSG(test, hd->name, c->want_name, "%s", c->desc);
	KUNIT_ASSERT_EQ_MSG(test, hd->len, c->want_len, "%s", c->desc);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(hd->text, greeting, hd->len - 1), 0,
			    "%s: text is not the greeting", c->desc);
	KUNIT_EXPECT_EQ_MSG(test, hd->text[hd->len - 1], '\n',
			    "%s: text does not end in a newline", c->desc);
	KUNIT_EXPECT_PTR_EQ_MSG(test, memchr(hd->text, '\0', hd->len), NULL,
				"%s: NUL inside the text", c->desc);
	KUNIT_EXPECT_TRUE_MSG(test, hd->log_opens, "%s", c->desc);
	KUNIT_EXPECT_EQ_MSG(test, hellodev_open_count(hd), 0, "%s", c->desc);
}

static struct kunit_case setup_test_cases[] = {
	KUNIT_CASE_PARAM(setup_rejects_bad_values, setup_bad_gen_params),
	KUNIT_CASE_PARAM(setup_accepts_good_values, setup_good_gen_params),
	{}
};

static struct kunit_suite setup_test_suite = {
	.name = "hellodev_setup",
	.test_cases = setup_test_cases,
};

/* A device set up with the default greeting; its name is MODNAME. */
static struct hellodev *new_hellodev(struct kunit *test, bool log_opens)
{
	struct hellodev *hd = alloc_hellodev(test);
	int err = hellodev_setup(hd, MODNAME, NULL, HELLODEV_DEFAULT_GREETING,
				 log_opens);

	KUNIT_ASSERT_EQ(test, err, 0);
	return hd;
}

/* hellodev_check_mode() */

struct check_mode_case {
	umode_t mode;
	int want;
};

static const struct check_mode_case check_mode_cases[] = {
	{ 0400, 0 }, /* the default: owner only */
	{ 0440, 0 }, /* owner and group */
	{ 0444, 0 }, /* everyone */
	{ 0404, 0 }, /* owner and others */
	{ 0, -EINVAL }, /* nobody */
	{ 0040, -EINVAL }, /* group, not owner */
	{ 0004, -EINVAL }, /* others, not owner */
	{ 0200, -EINVAL }, /* write only */
	{ 0600, -EINVAL }, /* owner writes */
	{ 0644, -EINVAL }, /* the usual file mode */
	{ 0555, -EINVAL }, /* execute for everyone */
	{ 0500, -EINVAL }, /* owner executes */
	{ 01400, -EINVAL }, /* sticky */
	{ 02444, -EINVAL }, /* setgid */
	{ 04444, -EINVAL }, /* setuid */
	{ 0777, -EINVAL }, /* everything */
};

static_assert(ARRAY_SIZE(check_mode_cases) == 16);

static void check_mode_desc(const struct check_mode_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "mode 0%o", c->mode);
}

KUNIT_ARRAY_PARAM(check_mode, check_mode_cases, check_mode_desc);

static void check_mode_allows_read_bits_only(struct kunit *test)
{
	const struct check_mode_case *c = test->param_value;
	struct hellodev *hd = new_hellodev(test, true);

	KUNIT_EXPECT_EQ_MSG(test, hellodev_check_mode(hd, c->mode), c->want,
			    "mode 0%o", c->mode);
}

static struct kunit_case check_mode_test_cases[] = {
	KUNIT_CASE_PARAM(check_mode_allows_read_bits_only,
			 check_mode_gen_params),
	{}
};

static struct kunit_suite check_mode_test_suite = {
	.name = "hellodev_check_mode",
	.test_cases = check_mode_test_cases,
};

/* hellodev_count_open() and hellodev_open_count() */

static void count_open_numbers_from_one(struct kunit *test)
{
	struct hellodev *hd = new_hellodev(test, false);
	u64 i;

	KUNIT_EXPECT_EQ(test, hellodev_open_count(hd), 0);
	for (i = 1; i <= 20; i++) {
		KUNIT_EXPECT_EQ_MSG(test, hellodev_count_open(hd, i & 1), i,
				    "open %llu", i);
		KUNIT_EXPECT_EQ_MSG(test, hellodev_open_count(hd), i,
				    "after open %llu", i);
	}
}

static void count_open_without_log_changes_only_count(struct kunit *test)
{
	struct hellodev *hd = new_hellodev(test, false);
	struct hellodev *before = kunit_kmalloc(test, sizeof(*hd), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, before);
	memcpy(before, hd, sizeof(*hd));

	for (i = 0; i < 3 * DEFAULT_RATELIMIT_BURST; i++)
		hellodev_count_open(hd, i & 1);

	KUNIT_EXPECT_EQ(test, hellodev_open_count(hd),
			3 * DEFAULT_RATELIMIT_BURST);
	KUNIT_EXPECT_EQ(test, hd->log_rs.printed, 0);
	KUNIT_EXPECT_EQ(test, hd->log_rs.missed, 0);
	KUNIT_EXPECT_EQ(test, hd->log_rs.begin, 0);
	/* Every other byte, padding included, is as setup left it. */
	atomic64_set(&before->opens, 3 * DEFAULT_RATELIMIT_BURST);
	KUNIT_EXPECT_EQ(test, memcmp(before, hd, sizeof(*hd)), 0);
}

static void count_open_rate_limits_unprivileged(struct kunit *test)
{
	struct hellodev *hd = new_hellodev(test, true);
	const int opens = DEFAULT_RATELIMIT_BURST + 15;
	int i;

	for (i = 1; i <= opens; i++)
		KUNIT_EXPECT_EQ(test, hellodev_count_open(hd, false), i);
	KUNIT_EXPECT_EQ(test, hellodev_open_count(hd), opens);
	KUNIT_EXPECT_EQ(test, hd->log_rs.printed, DEFAULT_RATELIMIT_BURST);
	KUNIT_EXPECT_EQ(test, hd->log_rs.missed, 15);

	/* Privileged opens are all logged and leave the limit alone. */
	for (i = 1; i <= 5; i++)
		KUNIT_EXPECT_EQ(test, hellodev_count_open(hd, true), opens + i);
	KUNIT_EXPECT_EQ(test, hellodev_open_count(hd), opens + 5);
	KUNIT_EXPECT_EQ(test, hd->log_rs.printed, DEFAULT_RATELIMIT_BURST);
	KUNIT_EXPECT_EQ(test, hd->log_rs.missed, 15);
}

static void count_open_never_limits_privileged(struct kunit *test)
{
	struct hellodev *hd = new_hellodev(test, true);
	const int opens = 2 * DEFAULT_RATELIMIT_BURST;
	int i;

	for (i = 1; i <= opens; i++)
		KUNIT_EXPECT_EQ(test, hellodev_count_open(hd, true), i);
	KUNIT_EXPECT_EQ(test, hellodev_open_count(hd), opens);
	KUNIT_EXPECT_EQ(test, hd->log_rs.printed, 0);
	KUNIT_EXPECT_EQ(test, hd->log_rs.missed, 0);

	/* ... so the whole burst is still there for unprivileged ones. */
	for (i = 1; i <= DEFAULT_RATELIMIT_BURST + 1; i++)
		hellodev_count_open(hd, false);
	KUNIT_EXPECT_EQ(test, hellodev_open_count(hd),
			opens + DEFAULT_RATELIMIT_BURST + 1);
	KUNIT_EXPECT_EQ(test, hd->log_rs.printed, DEFAULT_RATELIMIT_BURST);
	KUNIT_EXPECT_EQ(test, hd->log_rs.missed, 1);
}

#define OPEN_THREADS 4
#define OPENS_PER_THREAD 2000
#define OPENS_TOTAL (OPEN_THREADS * OPENS_PER_THREAD)

/**
 * struct opener - one kthread opening the device over and over
 * @hd: device
 * @seen: bit N is set once some opener got number N; OPENS_TOTAL + 1 bits
 * @start: completed when every opener exists
 * @done: completed by the opener when it has made all its opens
 * @task: the kthread
 * @dups: numbers this opener got that another had already got
 * @out_of_range: numbers this opener got outside 1..OPENS_TOTAL
 */
struct opener {
	struct hellodev *hd;
	unsigned long *seen;
	struct completion *start;
	struct completion done;
	struct task_struct *task;
	unsigned int dups;
	unsigned int out_of_range;
};

static int opener_fn(void *data)
{
	struct opener *op = data;
	unsigned int i;

	wait_for_completion(op->start);
	for (i = 0; i < OPENS_PER_THREAD; i++) {
		u64 n = hellodev_count_open(op->hd, false);

		if (n < 1 || n > OPENS_TOTAL)
			op->out_of_range++;
		else if (test_and_set_bit(n, op->seen))
			op->dups++;
		cond_resched();
	}
	complete(&op->done);
	return 0;
}

static void count_open_concurrent_is_exact(struct kunit *test)
{
	struct hellodev *hd = new_hellodev(test, false);
	struct completion *start;
	struct opener *ops;
	unsigned long *seen;
	int created, i;

	start = kunit_kzalloc(test, sizeof(*start), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, start);
	ops = kunit_kcalloc(test, OPEN_THREADS, sizeof(*ops), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ops);
	seen = kunit_kcalloc(test, BITS_TO_LONGS(OPENS_TOTAL + 1),
			     sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, seen);
	init_completion(start);

	/*
	 * Hold a reference on each task: an opener is gone as soon as it
	 * returns, which may be before kthread_stop() is called on it.
	 */
	for (created = 0; created < OPEN_THREADS; created++) {
		struct opener *op = &ops[created];
		struct task_struct *task;

		op->hd = hd;
		op->seen = seen;
		op->start = start;
		init_completion(&op->done);
		task = kthread_create(opener_fn, op, "hellodev_open/%d",
				      created);
		if (IS_ERR(task))
			break;
		get_task_struct(task);
		op->task = task;
	}

	/*
	 * Wait for every opener to finish before stopping it: kthread_stop()
	 * on an opener that has not started yet would end it before
	 * opener_fn() runs. If one could not be created, none is woken and
	 * kthread_stop() ends them all that way.
	 */
	if (created == OPEN_THREADS) {
		for (i = 0; i < OPEN_THREADS; i++)
			wake_up_process(ops[i].task);
		complete_all(start);
		for (i = 0; i < OPEN_THREADS; i++)
			wait_for_completion(&ops[i].done);
	}
	for (i = 0; i < created; i++) {
		int ret = kthread_stop(ops[i].task);

		put_task_struct(ops[i].task);
		KUNIT_EXPECT_EQ_MSG(test, ret,
				    created == OPEN_THREADS ? 0 : -EINTR,
				    "opener %d", i);
	}
	KUNIT_ASSERT_EQ_MSG(test, created, OPEN_THREADS,
			    "could not create opener %d", created);

	for (i = 0; i < OPEN_THREADS; i++) {
		KUNIT_EXPECT_EQ_MSG(test, ops[i].dups, 0, "opener %d", i);
		KUNIT_EXPECT_EQ_MSG(test, ops[i].out_of_range, 0, "opener %d",
				    i);
	}
	KUNIT_EXPECT_EQ(test, hellodev_open_count(hd), OPENS_TOTAL);
	KUNIT_EXPECT_EQ(test, bitmap_weight(seen, OPENS_TOTAL + 1),
			OPENS_TOTAL);
	KUNIT_EXPECT_EQ_MSG(test, find_next_zero_bit(seen, OPENS_TOTAL + 1, 1),
			    OPENS_TOTAL + 1, "first number nobody got");
}

static struct kunit_case count_open_test_cases[] = {
	KUNIT_CASE(count_open_numbers_from_one),
	KUNIT_CASE(count_open_without_log_changes_only_count),
	KUNIT_CASE(count_open_rate_limits_unprivileged),
	KUNIT_CASE(count_open_never_limits_privileged),
	KUNIT_CASE(count_open_concurrent_is_exact),
	{}
};

static struct kunit_suite count_open_test_suite = {
	.name = "hellodev_count_open",
	.test_cases = count_open_test_cases,
};

kunit_test_suites(&read_len_test_suite, &setup_test_suite,
		  &check_mode_test_suite, &count_open_test_suite);

MODULE_DESCRIPTION("KUnit tests for the hellodev core");
MODULE_LICENSE("GPL");
