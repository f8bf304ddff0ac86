// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev conformance suite: loads each frontend (misc, cdev, debugfs) with
 * finit_module(2) and checks its node, parameters, open counter, log lines and
 * clean-up against the spec, reading the kernel log through /dev/kmsg.
 * Needs root and loads modules: run it in a throw-away VM (scripts/vmtest.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hellodev_user.h"

/*
 * On a debug kernel every module unload waits 2 to 8 s for the module's
 * kobject (CONFIG_DEBUG_KOBJECT_RELEASE): scripts/check-debug.sh builds with
 * a longer per-test time-out.
 */
#ifdef HELLODEV_TEST_TIMEOUT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT HELLODEV_TEST_TIMEOUT
#endif

#define GREETING	"Hello from C\n"
#define GREETING_LEN	((ssize_t)sizeof(GREETING) - 1)
#define GREETING_MAX	4095
#define NAME_MAX_LEN	32
#define SEED_NAME	"rust_mydev"
#define SEED_GREETING	"🦀 Hello from rust"
#define LOG_ERR		3
#define USER_ID		1000
#define USER_OPENS	50
#define USER_LOG_BURST	10
#define USER_LOG_INTERVAL_MS	5000
#define THREADS		4
#define ROUNDS		250
#define GONE_TIMEOUT_MS	2000

/* The number in open_count at @path, or -1. */
static long long read_count(const char *path)
{
	char buf[32], *end;
	long long n;

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	n = strtoll(buf, &end, 10);
	return strcmp(end, "\n") ? -1 : n;
}

/* Whether /proc/devices lists a character device called @name. */
static bool in_proc_devices(const char *name)
{
	char line[256], dev[256];
	bool chr = false, found = false;
	FILE *f = fopen("/proc/devices", "re");
	int major;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Character devices:", 18))
			chr = true;
		else if (!strncmp(line, "Block devices:", 14))
			chr = false;
		else if (chr && sscanf(line, "%d %255s", &major, dev) == 2 &&
			 !strcmp(dev, name))
			found = true;
	}
	fclose(f);
	return found;
}

/* A malloc'ed string of @len copies of @c. */
static char *repeat(char c, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memset(s, c, len);
		s[len] = '\0';
	}
	return s;
}

/* Load @fe with the parameters @params; return 0 or -errno. */
static int mod_load(const struct hd_frontend *fe, const char *params)
{
	return mod_load_file(fe->ko, params);
}

/* Load @fe with name=@name and the parameters @more; return 0 or -errno. */
static int mod_load_named(const struct hd_frontend *fe, const char *name,
			  const char *more)
{
	char *params;
	int err;

	if (asprintf(&params, "name=%s %s", name, more) < 0)
		return -ENOMEM;
	err = mod_load(fe, params);
	free(params);
	return err;
}

/* Unload @fe, which must be loaded and unused, and wait until it is gone. */
static void unload(struct __test_metadata *_metadata,
		   const struct hd_frontend *fe)
{
	int err = mod_unload(fe->mod);

	EXPECT_EQ(0, err) TH_LOG("delete_module(%s): %s", fe->mod,
				 strerror(-err));
	EXPECT_TRUE(mod_wait_gone(fe->mod, GONE_TIMEOUT_MS)) TH_LOG("%s stays loaded", fe->mod);
}

/* Unload whatever a previous test left of any frontend. */
/* Every frontend whose module file is here: the C ones and the Rust twin. */
static size_t frontends_here(const struct hd_frontend **fes)
{
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(all_frontends); i++)
		fes[n++] = all_frontends[i];
	if (exists(fe_rust.ko))
		fes[n++] = &fe_rust;
	return n;
}

/*
 * What the kernel says of module @mod: its state ("live", "coming",
 * "going") and reference count, for the log of a test that cannot
 * unload it. EBUSY from delete_module() means a state other than live.
 */
static void mod_describe(const char *mod, char *out, size_t size)
{
	char path[PATH_MAX], state[32];

	fmt_path(path, "/sys/module/%s/initstate", mod);
	if (read_file(path, state, sizeof(state)) < 0)
		snprintf(state, sizeof(state), "unreadable");
	state[strcspn(state, "\n")] = '\0';
	fmt_path(path, "/sys/module/%s/refcnt", mod);
	snprintf(out, size, "state %s, refcnt %lld", state, read_count(path));
}

static void remove_leftovers(struct __test_metadata *_metadata)
{
	const struct hd_frontend *fes[ARRAY_SIZE(all_frontends) + 1];
	size_t i, n = frontends_here(fes);
	char what[96];
	int err;

	for (i = 0; i < n; i++) {
		err = mod_unload(fes[i]->mod);
		if (err && err != -ENOENT)
			mod_describe(fes[i]->mod, what, sizeof(what));
		ASSERT_TRUE(!err || err == -ENOENT)
			TH_LOG("unload leftover %s: %s (%s)", fes[i]->mod,
			       strerror(-err), what);
		ASSERT_TRUE(mod_wait_gone(fes[i]->mod, GONE_TIMEOUT_MS));
	}
}

static void expect_exists(struct __test_metadata *_metadata, const char *path,
			  bool present)
{
	EXPECT_EQ(present, exists(path))
		TH_LOG("%s %s", path,
		       present ? "is missing" : "is left behind");
}

/* Whether @name is one plain path component, safe to build paths on. */
static bool plain_name(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

/*
 * Check that everything @fe makes for a node called @name is there, or that
 * none of it is: the module in sysfs, the node, open_count, the class entry
 * or debugfs directory, the class itself and the /proc/devices line.
 * @entry_taken: the class entry or directory belongs to someone else and
 * must stay.
 */
static void check_traces(struct __test_metadata *_metadata,
			 const struct hd_frontend *fe, const char *name,
			 bool present, bool entry_taken)
{
	char path[PATH_MAX];

	fmt_path(path, "/sys/module/%s", fe->mod);
	expect_exists(_metadata, path, present);
	if (fe->class_dir)
		expect_exists(_metadata, fe->class_dir, present);
	if (fe->proc_devices)
		EXPECT_EQ(present, in_proc_devices(name))
			TH_LOG("/proc/devices line for \"%s\" %s", name,
			       present ? "is missing" : "is left behind");
	if (!plain_name(name))
		return;
	fmt_path(path, fe->node_fmt, name);
	expect_exists(_metadata, path, present);
	fmt_path(path, fe->count_fmt, name);
	expect_exists(_metadata, path, present);
	fmt_path(path, fe->entry_fmt, name);
	expect_exists(_metadata, path, present || entry_taken);
}

/* Open @path with @flags; the test fails if it cannot. */
static int open_or_fail(struct __test_metadata *_metadata, const char *path,
			int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	int err = errno;

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(err));
	return fd;
}

/* Open @path, read @want with one read(), then end of file. */
static void expect_greeting(struct __test_metadata *_metadata,
			    const char *path, const char *want)
{
	ssize_t len = strlen(want), n;
	char buf[8192];
	int fd = open_or_fail(_metadata, path, O_RDONLY);

	n = read(fd, buf, sizeof(buf));
	EXPECT_EQ(len, n) TH_LOG("read %s gave %zd", path, n);
	if (n == len)
		EXPECT_EQ(0, memcmp(buf, want, len))
			TH_LOG("%s reads \"%.*s\"", path, (int)n, buf);
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);
}

/* read(@fd, @size) must return exactly @want. */
static void expect_read(struct __test_metadata *_metadata, int fd,
			size_t size, const char *want)
{
	ssize_t len = strlen(want), n;
	char buf[64];

	n = read(fd, buf, size < sizeof(buf) ? size : sizeof(buf));
	EXPECT_EQ(len, n) TH_LOG("read(%zu) for \"%s\"", size, want);
	if (n == len)
		EXPECT_EQ(0, memcmp(buf, want, len));
}

/* The sysfs parameter @param of @fe must be 0444 and read @want. */
static void expect_param(struct __test_metadata *_metadata,
			 const struct hd_frontend *fe, const char *param,
			 const char *want)
{
	char path[PATH_MAX], buf[256];
	struct stat st;
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", fe->mod,
		 param);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s is missing", path);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0444, st.st_mode & 07777)
		TH_LOG("%s has mode 0%o", path, st.st_mode & 07777);
	len = read_file(path, buf, sizeof(buf));
	ASSERT_LT(0, len) TH_LOG("%s: %s", path, strerror(-len));
	EXPECT_EQ('\n', buf[len - 1]) TH_LOG("%s: no newline", path);
	buf[len - 1] = '\0';
	EXPECT_STREQ(want, buf) TH_LOG("in %s", path);
}

/*
 * A record of the kernel log: its level, its timestamp (microseconds since
 * boot, the kernel's local_clock() when it was logged) and its message,
 * unescaped.
 */
struct kmsg_rec {
	int level;
	unsigned long long usec;
	char text[512];
};

/**
 * struct kmsg - the kernel log records of one module, read from /dev/kmsg
 * @fd: /dev/kmsg, positioned after the records already seen
 * @mod: module name
 * @name: node name, which the module's records start with
 * @rec: the module's records since the last kmsg_forget(), in order
 * @n: records in @rec
 * @cap: room in @rec
 */
struct kmsg {
	int fd;
	const char *mod;
	char name[NAME_MAX_LEN + 16];
	struct kmsg_rec *rec;
	size_t n, cap;
};

static bool has_prefix(const char *text, const char *name)
{
	size_t len = strlen(name);

	return !strncmp(text, name, len) && !strncmp(text + len, ": ", 2);
}

/*
 * Whether @text comes from the module: it starts with "<node name>: " or
 * "<module name>: ", as every line of the module does, and is not one of
 * the module loader's own lines about an unsigned out-of-tree module.
 * Mentioning hellodev is not enough: the kernel's reports about a task of
 * this program (a segfault, a hung task, a stall) name it, and a debug
 * kernel's release string may too.
 */
static bool kmsg_is_ours(const struct kmsg *k, const char *text)
{
	if (has_prefix(text, k->mod) &&
	    (strstr(text, ": loading out-of-tree module taints kernel") ||
	     strstr(text, ": module verification failed")))
		return false;
	return has_prefix(text, k->name) || has_prefix(text, k->mod);
}

/*
 * Parse "prio,seq,ts,flags;message\n" into @r, undoing the \xNN escapes;
 * ts is in microseconds.
 */
static bool kmsg_parse(const char *rec, struct kmsg_rec *r)
{
	const char *p = strchr(rec, ';');
	unsigned long long seq;
	size_t i = 0;
	unsigned int c;
	int prio;

	if (!p || sscanf(rec, "%d,%llu,%llu,", &prio, &seq, &r->usec) != 3)
		return false;
	r->level = prio & 7;
	for (p++; *p && *p != '\n' && i < sizeof(r->text) - 1; p++) {
		if (!strncmp(p, "\\x", 2) && sscanf(p + 2, "%2x", &c) == 1) {
			r->text[i++] = c;
			p += 3;
		} else {
			r->text[i++] = *p;
		}
	}
	r->text[i] = '\0';
	return true;
}

/* Add the module's new records to @k. */
static void kmsg_read(struct __test_metadata *_metadata, struct kmsg *k)
{
	char buf[8192 + 1];
	struct kmsg_rec r;
	ssize_t n;
	int err;

	for (;;) {
		n = read(k->fd, buf, sizeof(buf) - 1);
		err = errno;
		if (n < 0 && err == EAGAIN)
			return;
		ASSERT_LT(0, n) TH_LOG("/dev/kmsg: %s", err == EPIPE ?
				       "records were overwritten before we read them" :
				       strerror(err));
		buf[n] = '\0';
		if (!kmsg_parse(buf, &r) || !kmsg_is_ours(k, r.text))
			continue;
		if (k->n == k->cap) {
			k->cap = k->cap ? 2 * k->cap : 64;
			k->rec = realloc(k->rec, k->cap * sizeof(*k->rec));
			ASSERT_NE(NULL, k->rec);
		}
		k->rec[k->n++] = r;
	}
}

/* Start collecting the records of @mod logged as @name from now on. */
static void kmsg_open(struct __test_metadata *_metadata, struct kmsg *k,
		      const char *mod, const char *name)
{
	memset(k, 0, sizeof(*k));
	k->mod = mod;
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, k->fd) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ASSERT_LE(0, lseek(k->fd, 0, SEEK_END));
}

/*
 * Drop the records seen so far; if @name is not NULL, collect those logged
 * as @name from now on.
 */
static void kmsg_forget(struct __test_metadata *_metadata, struct kmsg *k,
			const char *name)
{
	kmsg_read(_metadata, k);
	k->n = 0;
	if (name)
		snprintf(k->name, sizeof(k->name), "%s", name);
}

static void kmsg_close(struct kmsg *k)
{
	if (k->fd > 0)
		close(k->fd);
	free(k->rec);
	k->rec = NULL;
}

static void kmsg_dump(struct __test_metadata *_metadata, const struct kmsg *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		TH_LOG("kmsg <%d> %s", k->rec[i].level, k->rec[i].text);
}

/*
 * Read the log: it must have exactly one new record of the module, starting
 * with "@prefix: " and containing @what (and at @level unless it is -1).
 */
static void expect_one_record(struct __test_metadata *_metadata,
			      struct kmsg *k, const char *prefix,
			      const char *what, int level)
{
	const struct kmsg_rec *r;

	kmsg_read(_metadata, k);
	EXPECT_EQ(1, k->n) kmsg_dump(_metadata, k);
	if (k->n != 1)
		return;
	r = k->rec;
	EXPECT_TRUE(has_prefix(r->text, prefix) && strstr(r->text, what))
		TH_LOG("want \"%s: ...%s...\", got \"%s\"", prefix, what,
		       r->text);
	if (level >= 0)
		EXPECT_EQ(level, r->level) TH_LOG("%s", r->text);
	kmsg_forget(_metadata, k, NULL);
}

/* N of a "<name>: Opened the file N times" record, or -1. */
static long long opened_n(const struct kmsg_rec *r, const char *name)
{
	unsigned long long n;
	int end = 0;

	if (!has_prefix(r->text, name))
		return -1;
	if (sscanf(r->text + strlen(name) + 2, "Opened the file %llu times%n",
		   &n, &end) != 1 || r->text[strlen(name) + 2 + end])
		return -1;
	return n;
}

/**
 * struct bad_load - a module load that must be refused
 * @label: what is wrong, for the test log
 * @params: the parameters
 * @name: node name they ask for
 * @prefix: what the one error record must start with
 * @what: what it must mention
 * @err: errno finit_module must give
 * @entry_taken: the node's class entry or directory is someone else's
 */
struct bad_load {
	const char *label;
	const char *params;
	const char *name;
	const char *prefix;
	const char *what;
	int err;
	bool entry_taken;
};

/*
 * Load @fe as @bad says: it must fail with the errno and exactly one error
 * record saying what to fix, leave nothing behind, and a correct load must
 * work right after.
 */
static void expect_refused(struct __test_metadata *_metadata, struct kmsg *k,
			   const struct hd_frontend *fe,
			   const struct bad_load *bad)
{
	char node[PATH_MAX];
	int err;

	kmsg_forget(_metadata, k, bad->name);
	err = mod_load(fe, bad->params);
	/*
	 * finit_module() reserves EEXIST for "already loaded": a loader with
	 * upstream's fix for that (late 2025, also sent to stable kernels;
	 * 7.3 has it) turns an init's -EEXIST into -EBUSY. The record, which
	 * gives the init's own errno, must still say -17.
	 */
	if (bad->err == EEXIST && err == -EBUSY)
		err = -EEXIST;
	EXPECT_EQ(bad->err, -err) TH_LOG("%s: %s", bad->label, strerror(-err));
	if (!err)
		mod_unload(fe->mod);
	EXPECT_TRUE(mod_wait_gone(fe->mod, GONE_TIMEOUT_MS)) TH_LOG("%s", bad->label);
	kmsg_read(_metadata, k);
	EXPECT_EQ(1, k->n) {
		TH_LOG("%s: %zu records", bad->label, k->n);
		kmsg_dump(_metadata, k);
	}
	if (k->n == 1) {
		EXPECT_EQ(LOG_ERR, k->rec[0].level) TH_LOG("%s", bad->label);
		EXPECT_TRUE(has_prefix(k->rec[0].text, bad->prefix) &&
			    strstr(k->rec[0].text, bad->what))
			TH_LOG("%s: want \"%s: ...%s...\", got \"%s\"",
			       bad->label, bad->prefix, bad->what,
			       k->rec[0].text);
	}
	check_traces(_metadata, fe, bad->name, false, bad->entry_taken);

	kmsg_forget(_metadata, k, fe->mod);
	err = mod_load(fe, "");
	ASSERT_EQ(0, err) TH_LOG("load after %s: %s", bad->label,
				 strerror(-err));
	fmt_path(node, fe->node_fmt, fe->mod);
	expect_greeting(_metadata, node, GREETING);
	unload(_metadata, fe);
	kmsg_forget(_metadata, k, NULL);
}

/**
 * struct hd_node - the node a test loads a frontend with
 * @name: node name
 * @node: path of the node
 * @count: path of its open_count
 */
struct hd_node {
	char name[NAME_MAX_LEN + 1];
	char node[PATH_MAX];
	char count[PATH_MAX];
};

/* Make @name the node name of @dev, a node of @fe. */
static void use_name(struct hd_node *dev, const struct hd_frontend *fe,
		     const char *name)
{
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	fmt_path(dev->node, fe->node_fmt, name);
	fmt_path(dev->count, fe->count_fmt, name);
}

/*
 * A fixture's set-up: as root, with @fe's module file here and no module
 * loaded, pick node name "hd<kind>_<tag>" and watch its log records.
 */
static void setup_node(struct __test_metadata *_metadata,
		       const struct hd_frontend *fe, char kind, const char *tag,
		       struct hd_node *dev, struct kmsg *log)
{
	char name[NAME_MAX_LEN + 1];

	ASSERT_EQ(0, geteuid()) TH_LOG("the suite loads modules: run as root");
	ASSERT_TRUE(exists(fe->ko)) TH_LOG("%s not found", fe->ko);
	remove_leftovers(_metadata);
	snprintf(name, sizeof(name), "hd%c_%s", kind, tag);
	use_name(dev, fe, name);
	kmsg_open(_metadata, log, fe->mod, name);
}

/* Open @path @opens times as an unprivileged user, reading the first time. */
static int open_as_user(const char *path, int opens, const char *want)
{
	ssize_t len = strlen(want), n;
	char buf[64];
	int i, fd, status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(USER_ID) || setuid(USER_ID))
			_exit(254);
		for (i = 0; i < opens; i++) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				_exit(errno);
			if (!i) {
				n = read(fd, buf, sizeof(buf));
				if (n != len || memcmp(buf, want, len))
					_exit(255);
			}
			close(fd);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* One of the concurrent openers: open, read, close, @rounds times. */
struct opener {
	pthread_t thread;
	pthread_barrier_t *start;
	const char *path;
	int rounds;
	int bad;
};

static void *opener_run(void *arg)
{
	struct opener *o = arg;
	char buf[64];
	ssize_t n;
	int i, fd;

	pthread_barrier_wait(o->start);
	for (i = 0; i < o->rounds; i++) {
		fd = open(o->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			o->bad++;
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n != GREETING_LEN || memcmp(buf, GREETING, n))
			o->bad++;
		close(fd);
	}
	return NULL;
}

FIXTURE(frontend) {
	struct hd_node dev;
	struct kmsg log;
};

FIXTURE_VARIANT(frontend) {
	const struct hd_frontend *fe;
};

FIXTURE_VARIANT_ADD(frontend, misc) {
	.fe = &fe_misc,
};

FIXTURE_VARIANT_ADD(frontend, cdev) {
	.fe = &fe_cdev,
};

FIXTURE_VARIANT_ADD(frontend, debugfs) {
	.fe = &fe_debugfs,
};

FIXTURE_VARIANT_ADD(frontend, rust) {
	.fe = &fe_rust,
};

FIXTURE_SETUP(frontend)
{
	setup_node(_metadata, variant->fe, 't', variant->fe->tag, &self->dev,
		   &self->log);
}

FIXTURE_TEARDOWN(frontend)
{
	int err = mod_unload(variant->fe->mod);

	if (_metadata->passed)
		EXPECT_TRUE(!err || err == -ENOENT)
			TH_LOG("unload %s: %s", variant->fe->mod,
			       strerror(-err));
	kmsg_close(&self->log);
}

TEST_F(frontend, parameters_default_to_spec_and_are_read_only)
{
	const struct hd_frontend *fe = variant->fe;
	char path[PATH_MAX];

	ASSERT_EQ(0, mod_load(fe, ""));
	expect_param(_metadata, fe, "name", fe->mod);
	expect_param(_metadata, fe, "greeting", "Hello from C");
	expect_param(_metadata, fe, "log_opens", "Y");
	if (fe->has_mode) {
		expect_param(_metadata, fe, "mode", "0400");
	} else {
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/mode",
			 fe->mod);
		expect_exists(_metadata, path, false);
	}
	use_name(&self->dev, fe, fe->mod);
	expect_greeting(_metadata, self->dev.node, GREETING);
}

TEST_F(frontend, parameters_show_the_values_passed)
{
	const struct hd_frontend *fe = variant->fe;
	const char *params = fe->has_mode ?
		"greeting=\"Hi, 1 2 3\" log_opens=0 mode=0440" :
		"greeting=\"Hi, 1 2 3\" log_opens=0";

	ASSERT_EQ(0, mod_load_named(fe, self->dev.name, params));
	expect_param(_metadata, fe, "name", self->dev.name);
	expect_param(_metadata, fe, "greeting", "Hi, 1 2 3");
	expect_param(_metadata, fe, "log_opens", "N");
	if (fe->has_mode)
		expect_param(_metadata, fe, "mode", "0440");
	expect_greeting(_metadata, self->dev.node, "Hi, 1 2 3\n");
}

TEST_F(frontend, read_gives_greeting_and_newline_then_eof_from_each_open)
{
	char buf[4096];
	int i, fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	for (i = 0; i < 2; i++) {
		fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
		memset(buf, 'x', sizeof(buf));
		ASSERT_EQ(GREETING_LEN, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, GREETING, GREETING_LEN));
		EXPECT_EQ(NULL, memchr(buf, '\0', GREETING_LEN));
		EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
		close(fd);
	}
}

TEST_F(frontend, short_reads_of_every_size_reassemble_the_greeting)
{
	ssize_t size, got, want, n;
	char buf[4 * GREETING_LEN];
	int fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	for (size = 1; size <= GREETING_LEN + 1; size++) {
		fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
		got = 0;
		do {
			want = GREETING_LEN - got;
			if (want > size)
				want = size;
			n = read(fd, buf + got, size);
			EXPECT_EQ(want, n)
				TH_LOG("read(%zd) at %zd", size, got);
			if (n > 0)
				got += n;
		} while (n > 0 && got <= 2 * GREETING_LEN);
		EXPECT_EQ(GREETING_LEN, got) TH_LOG("reads of %zd", size);
		if (got == GREETING_LEN)
			EXPECT_EQ(0, memcmp(buf, GREETING, got));
		close(fd);
	}
}

TEST_F(frontend, pread_gives_the_slice_at_every_offset)
{
	static const size_t sizes[] = {
		1, 2, 5, GREETING_LEN - 1, GREETING_LEN, GREETING_LEN + 1, 4096,
	};
	ssize_t want, n;
	char buf[4096];
	off_t off;
	size_t i;
	int fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	for (off = 0; off <= GREETING_LEN + 1; off++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			want = off < GREETING_LEN ? GREETING_LEN - off : 0;
			if ((size_t)want > sizes[i])
				want = sizes[i];
			n = pread(fd, buf, sizes[i], off);
			EXPECT_EQ(want, n) TH_LOG("pread(%zu) at %lld",
						  sizes[i], (long long)off);
			if (n == want && want)
				EXPECT_EQ(0, memcmp(buf, GREETING + off, n));
		}
	}
	n = pread(fd, buf, 4, -1);
	EXPECT_EQ(EINVAL, n < 0 ? errno : 0) TH_LOG("pread at -1 gave %zd", n);
	/* pread() leaves the file position alone. */
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	expect_read(_metadata, fd, 64, GREETING);
	close(fd);
}

/* lseek(@fd, @off, @whence) must give @want, or the errno -@want. */
static void expect_seek(struct __test_metadata *_metadata, int fd, off_t off,
			int whence, off_t want)
{
	off_t got = lseek(fd, off, whence);

	if (got < 0)
		got = -errno;
	EXPECT_EQ(want, got) TH_LOG("lseek(%lld, %d)", (long long)off, whence);
}

TEST_F(frontend, lseek_works_as_on_a_regular_file)
{
	const off_t len = GREETING_LEN;
	int fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	expect_seek(_metadata, fd, 0, SEEK_END, len);
	expect_read(_metadata, fd, 64, "");
	expect_seek(_metadata, fd, -1, SEEK_END, len - 1);
	expect_read(_metadata, fd, 64, "\n");
	expect_seek(_metadata, fd, 6, SEEK_SET, 6);
	expect_read(_metadata, fd, 4, "from");
	expect_seek(_metadata, fd, 0, SEEK_CUR, 10);
	expect_seek(_metadata, fd, -4, SEEK_CUR, 6);
	expect_read(_metadata, fd, 64, "from C\n");
	/* A negative result is refused and leaves the position alone. */
	expect_seek(_metadata, fd, -1, SEEK_SET, -EINVAL);
	expect_seek(_metadata, fd, -len - 1, SEEK_END, -EINVAL);
	expect_seek(_metadata, fd, -100, SEEK_CUR, -EINVAL);
	expect_seek(_metadata, fd, 0, SEEK_CUR, len);
	/* Past the end is allowed and reads nothing. */
	expect_seek(_metadata, fd, 100, SEEK_SET, 100);
	expect_read(_metadata, fd, 64, "");
	expect_seek(_metadata, fd, 1, SEEK_END, len + 1);
	expect_read(_metadata, fd, 64, "");
	/* One extent of data, then the implicit hole at the end. */
	expect_seek(_metadata, fd, 0, SEEK_DATA, 0);
	expect_seek(_metadata, fd, 5, SEEK_DATA, 5);
	expect_seek(_metadata, fd, 0, SEEK_HOLE, len);
	expect_seek(_metadata, fd, 5, SEEK_HOLE, len);
	expect_seek(_metadata, fd, len, SEEK_DATA, -ENXIO);
	expect_seek(_metadata, fd, len, SEEK_HOLE, -ENXIO);
	expect_seek(_metadata, fd, 0, SEEK_HOLE + 1, -EINVAL);
	expect_seek(_metadata, fd, 0, 42, -EINVAL);
	expect_seek(_metadata, fd, 3, SEEK_SET, 3);
	expect_read(_metadata, fd, 64, "lo from C\n");
	close(fd);
}

TEST_F(frontend, read_into_bad_memory_faults_or_stops_at_the_fault)
{
	long page = sysconf(_SC_PAGESIZE);
	void *bad = (void *)1;
	char *map, *edge;
	ssize_t k, n;
	int fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	/* The raw syscall: read() is declared to need a real buffer. */
	n = syscall(SYS_read, fd, bad, GREETING_LEN);
	EXPECT_EQ(EFAULT, n < 0 ? errno : 0) TH_LOG("read gave %zd", n);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	close(fd);

	/* A page, then a PROT_NONE page: reads that run into the second. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	edge = map + page;
	ASSERT_EQ(0, mprotect(edge, page, PROT_NONE));
	for (k = 0; k < GREETING_LEN; k++) {
		fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
		n = read(fd, edge - k, GREETING_LEN);
		if (!k) {
			EXPECT_EQ(EFAULT, n < 0 ? errno : 0);
		} else {
			EXPECT_EQ(k, n) TH_LOG("%zd bytes before the fault", k);
			if (n == k)
				EXPECT_EQ(0, memcmp(edge - k, GREETING, k));
			/* The position moved by what was copied. */
			expect_read(_metadata, fd, 64, GREETING + k);
		}
		close(fd);
	}
	munmap(map, 2 * page);
}

TEST_F(frontend, write_is_refused_and_changes_nothing)
{
	ssize_t n;
	int fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	fd = open_or_fail(_metadata, self->dev.node, O_RDWR);
	n = write(fd, "x", 1);
	EXPECT_EQ(EINVAL, n < 0 ? errno : 0) TH_LOG("write gave %zd", n);
	expect_read(_metadata, fd, 64, GREETING);
	close(fd);

	fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	n = write(fd, "x", 1);
	EXPECT_EQ(EBADF, n < 0 ? errno : 0) TH_LOG("write gave %zd", n);
	close(fd);

	EXPECT_EQ(2, read_count(self->dev.count));
	expect_greeting(_metadata, self->dev.node, GREETING);
	EXPECT_EQ(3, read_count(self->dev.count));
}

TEST_F(frontend, open_count_counts_every_open_and_only_opens)
{
	int fd1, fd2, i;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	EXPECT_EQ(0, read_count(self->dev.count));
	EXPECT_EQ(0, read_count(self->dev.count));
	fd1 = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	EXPECT_EQ(1, read_count(self->dev.count));
	fd2 = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	EXPECT_EQ(2, read_count(self->dev.count));
	close(fd1);
	close(fd2);
	EXPECT_EQ(2, read_count(self->dev.count));
	for (i = 0; i < 5; i++)
		expect_greeting(_metadata, self->dev.node, GREETING);
	EXPECT_EQ(7, read_count(self->dev.count));
	EXPECT_EQ(7, read_count(self->dev.count));
}

TEST_F(frontend, log_names_the_node_on_load_each_open_and_unload)
{
	const struct hd_node *dev = &self->dev;
	struct kmsg *log = &self->log;
	long long count;
	int i, fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, dev->name, ""));
	expect_one_record(_metadata, log, dev->name, "(init)", -1);
	for (i = 1; i <= 3; i++) {
		fd = open_or_fail(_metadata, dev->node, O_RDONLY);
		count = read_count(dev->count);
		close(fd);
		EXPECT_EQ(i, count);
		kmsg_read(_metadata, log);
		ASSERT_EQ(1, log->n) kmsg_dump(_metadata, log);
		EXPECT_EQ(count, opened_n(&log->rec[0], dev->name))
			TH_LOG("open %lld logged \"%s\"", count,
			       log->rec[0].text);
		kmsg_forget(_metadata, log, NULL);
	}
	unload(_metadata, variant->fe);
	expect_one_record(_metadata, log, dev->name, "(exit)", -1);
}

TEST_F(frontend, log_opens_off_counts_opens_without_logging)
{
	const struct hd_node *dev = &self->dev;
	struct kmsg *log = &self->log;
	int i;

	ASSERT_EQ(0, mod_load_named(variant->fe, dev->name, "log_opens=0"));
	expect_one_record(_metadata, log, dev->name, "(init)", -1);
	for (i = 0; i < 5; i++)
		expect_greeting(_metadata, dev->node, GREETING);
	EXPECT_EQ(5, read_count(dev->count));
	kmsg_read(_metadata, log);
	EXPECT_EQ(0, log->n) kmsg_dump(_metadata, log);
	unload(_metadata, variant->fe);
	expect_one_record(_metadata, log, dev->name, "(exit)", -1);
}

TEST_F(frontend, node_mode_follows_the_mode_parameter)
{
	static const struct {
		const char *param;
		mode_t perm;
	} modes[] = {
		{ "", 0400 }, { "mode=0444", 0444 }, { "mode=0440", 0440 },
	};
	const struct hd_frontend *fe = variant->fe;
	const struct hd_node *dev = &self->dev;
	struct stat st;
	size_t i;

	/* debugfs has no mode parameter: its file is always 0400. */
	for (i = 0; i < (fe->has_mode ? ARRAY_SIZE(modes) : 1); i++) {
		ASSERT_EQ(0, mod_load_named(fe, dev->name, modes[i].param));
		ASSERT_EQ(0, stat(dev->node, &st)) TH_LOG("%s", dev->node);
		EXPECT_EQ(fe->node_type, st.st_mode & S_IFMT);
		EXPECT_EQ(modes[i].perm, st.st_mode & 07777)
			TH_LOG("\"%s\" gave mode 0%o", modes[i].param,
			       st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
		unload(_metadata, fe);
	}
}

TEST_F(frontend, bad_greeting_is_refused_cleanly)
{
	const char *name = self->dev.name;
	char *g4096 = repeat('g', 4096), *g10000 = repeat('g', 10000);
	char empty[64], p4096[4200], p10000[10100];
	const struct bad_load bad[] = {
		{ "empty greeting", empty, name, name, "greeting", EINVAL },
		{ "greeting of 4096 bytes", p4096, name, name, "4095", EINVAL },
		{ "greeting of 10000 bytes", p10000, name, name, "4095",
		  EINVAL },
	};
	size_t i;

	ASSERT_TRUE(g4096 && g10000);
	snprintf(empty, sizeof(empty), "name=%s greeting=\"\"", name);
	snprintf(p4096, sizeof(p4096), "name=%s greeting=%s", name, g4096);
	snprintf(p10000, sizeof(p10000), "name=%s greeting=%s", name, g10000);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(_metadata, &self->log, variant->fe, &bad[i]);
	free(g4096);
	free(g10000);
}

TEST_F(frontend, bad_name_is_refused_cleanly)
{
	const char *mod = variant->fe->mod;
	char long_name[NAME_MAX_LEN + 2], param[64];
	const struct bad_load bad[] = {
		{ "empty name", "name=\"\"", "", mod, "name", EINVAL },
		{ "name of 33 characters", param, long_name, mod, "32",
		  EINVAL },
		{ "name with a slash", "name=a/b", "a/b", mod, "a/b", EINVAL },
		{ "hidden name", "name=.hidden", ".hidden", mod, ".hidden",
		  EINVAL },
		{ "name ..", "name=..", "..", mod, "name", EINVAL },
		/* Shown as C's "%*pE" shows it, byte for byte, in each twin. */
		{ "name with control and Latin-1 bytes",
		  "name=a\001\177b\351", "a\001\177b\351", mod,
		  "name \"a\\001\\177b\351\" is not allowed; use only A-Z a-z 0-9 _ - . and do not start with '.'",
		  EINVAL },
		{ "quoted name with a newline and a tab", "name=\"a\n\tb\"",
		  "a\n\tb", mod, "name \"a\\n\\tb\" is not allowed; use", EINVAL },
	};
	size_t i;

	memset(long_name, 'n', NAME_MAX_LEN + 1);
	long_name[NAME_MAX_LEN + 1] = '\0';
	snprintf(param, sizeof(param), "name=%s", long_name);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_refused(_metadata, &self->log, variant->fe, &bad[i]);
}

TEST_F(frontend, bad_mode_is_refused_cleanly)
{
	static const char *const modes[] = { "0644", "0555", "0200", "0" };
	char params[64], label[64];
	const struct bad_load bad = {
		.label = label, .params = params, .name = self->dev.name,
		.prefix = self->dev.name, .what = "mode", .err = EINVAL,
	};
	size_t i;

	if (!variant->fe->has_mode)
		SKIP(return, "%s has no mode parameter", variant->fe->mod);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		snprintf(label, sizeof(label), "mode=%s", modes[i]);
		snprintf(params, sizeof(params), "name=%s mode=%s",
			 self->dev.name, modes[i]);
		expect_refused(_metadata, &self->log, variant->fe, &bad);
	}
}

TEST_F(frontend, longest_greeting_and_name_are_accepted)
{
	const struct hd_frontend *fe = variant->fe;
	char *greeting = malloc(GREETING_MAX + 2), *buf = malloc(8192);
	char *param = malloc(GREETING_MAX + 16);
	char name[NAME_MAX_LEN + 1];
	int i, fd;

	ASSERT_TRUE(greeting && buf && param);
	for (i = 0; i < GREETING_MAX; i++)
		greeting[i] = 'a' + i % 26;
	greeting[GREETING_MAX] = '\0';
	snprintf(param, GREETING_MAX + 16, "greeting=%s", greeting);
	ASSERT_EQ(0, mod_load_named(fe, self->dev.name, param));
	greeting[GREETING_MAX] = '\n';
	fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	ASSERT_EQ(GREETING_MAX + 1, read(fd, buf, 8192));
	EXPECT_EQ(0, memcmp(buf, greeting, GREETING_MAX + 1));
	EXPECT_EQ(0, read(fd, buf, 8192));
	close(fd);
	unload(_metadata, fe);

	memset(name, 'n', NAME_MAX_LEN);
	name[NAME_MAX_LEN] = '\0';
	memcpy(name, self->dev.name, strlen(self->dev.name));
	use_name(&self->dev, fe, name);
	kmsg_forget(_metadata, &self->log, name);
	ASSERT_EQ(0, mod_load_named(fe, name, ""));
	expect_one_record(_metadata, &self->log, name, "(init)", -1);
	expect_greeting(_metadata, self->dev.node, GREETING);
	check_traces(_metadata, fe, name, true, false);
	unload(_metadata, fe);
	check_traces(_metadata, fe, name, false, false);
	free(greeting);
	free(buf);
	free(param);
}

TEST_F(frontend, unload_waits_for_the_last_close_then_removes_everything)
{
	const struct hd_frontend *fe = variant->fe;
	const struct hd_node *dev = &self->dev;
	char buf[64];
	int fd, err;

	ASSERT_EQ(0, mod_load_named(fe, dev->name, ""));
	check_traces(_metadata, fe, dev->name, true, false);
	fd = open_or_fail(_metadata, dev->node, O_RDONLY);
	err = mod_unload(fe->mod);
	EXPECT_EQ(-EWOULDBLOCK, err)
		TH_LOG("unload while open: %s", strerror(-err));
	EXPECT_TRUE(mod_listed(fe->mod));
	check_traces(_metadata, fe, dev->name, true, false);
	EXPECT_EQ(GREETING_LEN, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, GREETING, GREETING_LEN));
	close(fd);
	unload(_metadata, fe);
	check_traces(_metadata, fe, dev->name, false, false);

	ASSERT_EQ(0, mod_load_named(fe, dev->name, ""));
	expect_greeting(_metadata, dev->node, GREETING);
	unload(_metadata, fe);
	check_traces(_metadata, fe, dev->name, false, false);
}

TEST_F(frontend, concurrent_opens_count_and_log_each_number_once)
{
	const struct hd_node *dev = &self->dev;
	struct kmsg *log = &self->log;
	unsigned char seen[THREADS * ROUNDS + 1] = { 0 };
	struct opener openers[THREADS];
	pthread_barrier_t start;
	int i, bad = 0, dups = 0, stray = 0;
	long long n;
	size_t r;

	ASSERT_EQ(0, mod_load_named(variant->fe, dev->name, ""));
	kmsg_forget(_metadata, log, NULL);
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, THREADS));
	for (i = 0; i < THREADS; i++) {
		openers[i] = (struct opener){
			.start = &start, .path = dev->node, .rounds = ROUNDS,
		};
		ASSERT_EQ(0, pthread_create(&openers[i].thread, NULL,
					    opener_run, &openers[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(openers[i].thread, NULL);
		bad += openers[i].bad;
	}
	pthread_barrier_destroy(&start);
	EXPECT_EQ(0, bad) TH_LOG("%d opens or reads went wrong", bad);
	EXPECT_EQ(THREADS * ROUNDS, read_count(dev->count));

	kmsg_read(_metadata, log);
	for (r = 0; r < log->n; r++) {
		n = opened_n(&log->rec[r], dev->name);
		if (n < 1 || n > THREADS * ROUNDS) {
			if (stray++ < 5)
				TH_LOG("stray record \"%s\"", log->rec[r].text);
		} else if (seen[n]++ && dups++ < 5) {
			TH_LOG("N=%lld logged twice", n);
		}
	}
	EXPECT_EQ(0, stray);
	EXPECT_EQ(0, dups);
	EXPECT_EQ(THREADS * ROUNDS, log->n);
}

/*
 * Rate-limit windows, from the open records' own timestamps. The kernel's
 * __ratelimit() starts a window at the first call after the last one
 * expired (USER_LOG_INTERVAL_MS after its first call, up to a tick later)
 * and logs that call: every window starts with a record, and ends before
 * the first record more than the interval after it. In a window, the opens
 * are logged in order from its first one until the burst is used: a window
 * that starts at open a, the next one at open b (or after the last open),
 * holds exactly the records of opens a, a+1, ... up to min(burst, b - a).
 * A record within RATELIMIT_SLACK_US of a window's end (a tick, and the
 * time from the check to the record's timestamp) may lie on either side.
 */
#define RATELIMIT_SLACK_US	100000LL

/**
 * struct rl_recs - the open records of one run, for windows_fit()
 * @n: each record's open number, rising
 * @usec: each record's timestamp
 * @count: records
 * @opens: opens made
 */
struct rl_recs {
	long long n[USER_OPENS];
	unsigned long long usec[USER_OPENS];
	size_t count;
	int opens;
};

/*
 * Whether records @r onwards of @rl cut into windows as the rate limit
 * makes them, the first starting at record @r; *@windows gets how many.
 */
static bool windows_fit(const struct rl_recs *rl, size_t r, int *windows)
{
	const long long interval = USER_LOG_INTERVAL_MS * 1000LL;
	long long next, want;
	size_t e;

	for (e = r + 1; e <= rl->count; e++) {
		/* Record e - 1 cannot be in a window that starts at r. */
		if ((long long)(rl->usec[e - 1] - rl->usec[r]) >
		    interval + RATELIMIT_SLACK_US)
			return false;
		/* Record e must be in it. */
		if (e < rl->count && (long long)(rl->usec[e] - rl->usec[r]) <=
		    interval - RATELIMIT_SLACK_US)
			continue;
		next = e < rl->count ? rl->n[e] : rl->opens + 1;
		want = next - rl->n[r] < USER_LOG_BURST ? next - rl->n[r] :
		       USER_LOG_BURST;
		if ((long long)(e - r) == want &&
		    rl->n[e - 1] == rl->n[r] + want - 1 &&
		    (e == rl->count || windows_fit(rl, e, windows))) {
			++*windows;
			return true;
		}
	}
	return false;
}

/*
 * The open records of node @name in @log, of @opens unprivileged opens,
 * against the rate limit; returns the windows they make, or -1.
 */
static int check_rate_limit(struct __test_metadata *_metadata,
			    const struct kmsg *log, const char *name, int opens)
{
	struct rl_recs rl = { .count = log->n, .opens = opens };
	int windows = 0;
	bool rising;
	size_t r;

	EXPECT_GE(USER_OPENS, log->n) kmsg_dump(_metadata, log);
	if (log->n > USER_OPENS || !log->n)
		return -1;
	for (r = 0; r < log->n; r++) {
		rl.n[r] = opened_n(&log->rec[r], name);
		rl.usec[r] = log->rec[r].usec;
		rising = rl.n[r] > (r ? rl.n[r - 1] : 0) && rl.n[r] <= opens;
		EXPECT_TRUE(rising)
			TH_LOG("record %zu: \"%s\"", r, log->rec[r].text);
		if (!rising)
			return -1;
	}
	EXPECT_TRUE(windows_fit(&rl, 0, &windows)) {
		TH_LOG("%zu records of %d opens: no cut into %d-ms windows",
		       log->n, opens, USER_LOG_INTERVAL_MS);
		TH_LOG("each logging its opens in order, up to %d, from its first:",
		       USER_LOG_BURST);
		for (r = 0; r < log->n; r++)
			TH_LOG("  +%8llu us: open %lld", rl.usec[r] - rl.usec[0],
			       rl.n[r]);
		return -1;
	}
	return windows;
}

TEST_F(frontend, unprivileged_open_follows_node_mode_and_is_rate_limited)
{
	const struct hd_frontend *fe = variant->fe;
	const struct hd_node *dev = &self->dev;
	struct kmsg *log = &self->log;
	long long start, took;
	int windows;

	ASSERT_EQ(0, mod_load_named(fe, dev->name, ""));
	EXPECT_EQ(EACCES, open_as_user(dev->node, 1, GREETING));
	EXPECT_EQ(0, read_count(dev->count));
	if (!fe->has_mode)
		return;
	unload(_metadata, fe);

	ASSERT_EQ(0, mod_load_named(fe, dev->name, "mode=0440"));
	EXPECT_EQ(EACCES, open_as_user(dev->node, 1, GREETING));
	EXPECT_EQ(0, read_count(dev->count));
	unload(_metadata, fe);

	ASSERT_EQ(0, mod_load_named(fe, dev->name, "mode=0444"));
	kmsg_forget(_metadata, log, NULL);
	start = now_ms();
	EXPECT_EQ(0, open_as_user(dev->node, USER_OPENS, GREETING));
	took = now_ms() - start;
	EXPECT_EQ(USER_OPENS, read_count(dev->count));
	kmsg_read(_metadata, log);
	/* The first open starts the first window: it is logged. */
	ASSERT_LE(1, log->n);
	EXPECT_EQ(1, opened_n(&log->rec[0], dev->name))
		TH_LOG("\"%s\"", log->rec[0].text);
	windows = check_rate_limit(_metadata, log, dev->name, USER_OPENS);
	TH_LOG("%zu records of %d opens in %lld ms, %d windows", log->n,
	       USER_OPENS, took, windows);
}

TEST_F(frontend, seed_session_reads_the_crab_greeting_three_times)
{
	const struct hd_frontend *fe = variant->fe;
	struct kmsg *log = &self->log;
	size_t i;

	use_name(&self->dev, fe, SEED_NAME);
	kmsg_forget(_metadata, log, SEED_NAME);
	ASSERT_EQ(0, mod_load_named(fe, SEED_NAME,
				    "greeting=\"" SEED_GREETING "\""));
	expect_one_record(_metadata, log, SEED_NAME, "(init)", -1);
	for (i = 0; i < 3; i++)
		expect_greeting(_metadata, self->dev.node, SEED_GREETING "\n");
	kmsg_read(_metadata, log);
	ASSERT_EQ(3, log->n) kmsg_dump(_metadata, log);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(i + 1, opened_n(&log->rec[i], SEED_NAME))
			TH_LOG("\"%s\"", log->rec[i].text);
	kmsg_forget(_metadata, log, NULL);
	unload(_metadata, fe);
	expect_one_record(_metadata, log, SEED_NAME, "(exit)", -1);
}

/*
 * A node name another driver owns in /dev. devtmpfs keeps the node it made
 * first (by design; the driver does not look up /dev paths): a misc, cdev
 * or Rust module loaded as name=null loads, and its log says /dev/null,
 * but /dev/null stays the mem driver's (1:3, reads nothing). The module's
 * device is reached by a node made with mknod for the number its sysfs dev
 * attribute gives, and unloading it leaves the mem driver's node alone.
 */
#define NULL_MAJOR	1
#define NULL_MINOR	3

FIXTURE(taken_node) {
	struct hd_node dev;
	struct kmsg log;
	char mknod_path[PATH_MAX];
};

FIXTURE_VARIANT(taken_node) {
	const struct hd_frontend *fe;
};

FIXTURE_VARIANT_ADD(taken_node, misc) {
	.fe = &fe_misc,
};

FIXTURE_VARIANT_ADD(taken_node, cdev) {
	.fe = &fe_cdev,
};

FIXTURE_VARIANT_ADD(taken_node, rust) {
	.fe = &fe_rust,
};

FIXTURE_SETUP(taken_node)
{
	setup_node(_metadata, variant->fe, 'n', variant->fe->tag, &self->dev,
		   &self->log);
	snprintf(self->mknod_path, sizeof(self->mknod_path),
		 "/hd_mknod_%s", variant->fe->tag);
	unlink(self->mknod_path);
}

FIXTURE_TEARDOWN(taken_node)
{
	int err = mod_unload(variant->fe->mod);

	if (_metadata->passed)
		EXPECT_TRUE(!err || err == -ENOENT)
			TH_LOG("unload %s: %s", variant->fe->mod,
			       strerror(-err));
	unlink(self->mknod_path);
	kmsg_close(&self->log);
}

/* The device number in the sysfs dev attribute of @fe's node @name, or 0. */
static dev_t sysfs_devt(const struct hd_frontend *fe, const char *name)
{
	char path[PATH_MAX], buf[32];
	unsigned int ma, mi;

	fmt_path(path, fe->dev_fmt, name);
	if (read_file(path, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return 0;
	return makedev(ma, mi);
}

/*
 * Whether @path is a character device node of @devt that reads @want,
 * saying why not.
 */
static bool node_is(struct __test_metadata *_metadata, const char *path,
		    dev_t devt, const char *want)
{
	char buf[64];
	struct stat st;
	ssize_t n;

	if (stat(path, &st) || !S_ISCHR(st.st_mode) || st.st_rdev != devt) {
		TH_LOG("%s is not a node of %u:%u", path, major(devt),
		       minor(devt));
		return false;
	}
	n = read_file(path, buf, sizeof(buf));
	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n)) {
		TH_LOG("%s reads %zd bytes, not \"%s\"", path, n, want);
		return false;
	}
	return true;
}

TEST_F(taken_node, name_of_another_drivers_node_loads_and_leaves_it_alone)
{
	const struct hd_frontend *fe = variant->fe;
	const dev_t null = makedev(NULL_MAJOR, NULL_MINOR);
	char entry[PATH_MAX], count[PATH_MAX];
	dev_t ours;
	int i, err;

	ASSERT_TRUE(node_is(_metadata, "/dev/null", null, ""));
	/*
	 * What the checks below tell apart: with a name of its own, the
	 * module's node is of its number and reads the greeting, and is not
	 * what /dev/null is.
	 */
	ASSERT_EQ(0, mod_load_named(fe, self->dev.name, ""));
	ours = sysfs_devt(fe, self->dev.name);
	ASSERT_NE(0, ours);
	EXPECT_TRUE(node_is(_metadata, self->dev.node, ours, GREETING));
	EXPECT_FALSE(node_is(_metadata, self->dev.node, null, ""));
	unload(_metadata, fe);

	use_name(&self->dev, fe, "null");
	fmt_path(entry, fe->entry_fmt, "null");
	fmt_path(count, fe->count_fmt, "null");
	for (i = 0; i < 2; i++) {
		kmsg_forget(_metadata, &self->log, "null");
		err = mod_load_named(fe, "null", "");
		ASSERT_EQ(0, err) TH_LOG("load %d as null: %s", i + 1,
					 strerror(-err));
		expect_one_record(_metadata, &self->log, "null", "/dev/null",
				  -1);
		/* /dev/null is still the mem driver's. */
		EXPECT_TRUE(node_is(_metadata, "/dev/null", null, ""));
		expect_exists(_metadata, entry, true);
		ours = sysfs_devt(fe, "null");
		ASSERT_NE(0, ours) TH_LOG("no dev attribute in %s", entry);
		EXPECT_NE(null, ours);
		EXPECT_EQ(0, read_count(count));
		/* The module's device, through a node of its own number. */
		ASSERT_EQ(0, mknod(self->mknod_path, S_IFCHR | 0400, ours))
			TH_LOG("mknod %s: %s", self->mknod_path,
			       strerror(errno));
		EXPECT_TRUE(node_is(_metadata, self->mknod_path, ours,
				    GREETING));
		EXPECT_EQ(1, read_count(count));
		ASSERT_EQ(0, unlink(self->mknod_path));
		unload(_metadata, fe);
		/* devtmpfs removes only a node of its number: none. */
		EXPECT_TRUE(node_is(_metadata, "/dev/null", null, ""));
		expect_exists(_metadata, entry, false);
		if (fe->proc_devices)
			EXPECT_FALSE(in_proc_devices("null"));
	}
}

/*
 * The log reader takes a module's records only, not the kernel's own
 * records that mention hellodev: its reports about a task of this program
 * (a segfault; a hung-task or stall report, whose lines name the task and
 * the kernel release) and another module's lines whose name only starts
 * like ours. Such records, written into the log through /dev/kmsg, must
 * not be taken; records that start with the node's or the module's prefix,
 * written the same way, must be, in order. (The first line of a hung-task
 * report, "INFO: task hellodev_test:123 blocked ...", is left out: the
 * guest's log gate fails any run that logs it; its next line is here.)
 */
TEST(kmsg_takes_only_records_that_start_with_the_prefix)
{
	static const char *const theirs[] = {
		"hellodev_test[42]: segfault at 0 ip 0000000000401000 sp 00007ffc00000000 error 4 in hellodev_test[401000+1000]",
		"task:hellodev_test    state:D stack:0     pid:123   ppid:1      flags:0x00004000",
		"CPU: 1 PID: 123 Comm: hellodev_test Tainted: G           OE      6.1.0-hellodev-debug #1",
		"hdt_kmsgx: a node whose name only starts like ours",
		"hellodev_misc2: a module whose name only starts like ours",
	};
	static const char *const ours[] = {
		"hdt_kmsg: a record of the node, injected",
		"hellodev_misc: a record of the module, injected",
	};
	char line[256];
	struct kmsg log;
	size_t i;
	int fd;

	kmsg_open(_metadata, &log, fe_misc.mod, "hdt_kmsg");
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("/dev/kmsg: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(theirs) + ARRAY_SIZE(ours); i++) {
		snprintf(line, sizeof(line), "<6>%s\n", i < ARRAY_SIZE(theirs) ?
			 theirs[i] : ours[i - ARRAY_SIZE(theirs)]);
		ASSERT_EQ((ssize_t)strlen(line), write(fd, line, strlen(line)))
			TH_LOG("/dev/kmsg: %s", strerror(errno));
	}
	close(fd);
	kmsg_read(_metadata, &log);
	EXPECT_EQ(ARRAY_SIZE(ours), log.n) kmsg_dump(_metadata, &log);
	for (i = 0; i < log.n && i < ARRAY_SIZE(ours); i++)
		EXPECT_STREQ(ours[i], log.rec[i].text);
	kmsg_close(&log);
}

TEST(all_frontends_work_side_by_side)
{
	const struct hd_frontend *fe, *fes[ARRAY_SIZE(all_frontends) + 1];
	char node[PATH_MAX], count[PATH_MAX];
	size_t i, n = frontends_here(fes);

	remove_leftovers(_metadata);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, mod_load(fes[i], "")) TH_LOG("load %s", fes[i]->mod);
	for (i = 0; i < n; i++) {
		fe = fes[i];
		fmt_path(node, fe->node_fmt, fe->mod);
		fmt_path(count, fe->count_fmt, fe->mod);
		expect_greeting(_metadata, node, GREETING);
		EXPECT_EQ(1, read_count(count)) TH_LOG("%s", count);
		check_traces(_metadata, fe, fe->mod, true, false);
	}
	for (i = 0; i < n; i++) {
		fe = fes[i];
		unload(_metadata, fe);
		check_traces(_metadata, fe, fe->mod, false, false);
	}
}

TEST(debugfs_directory_in_use_is_refused_cleanly)
{
	static const struct bad_load bdi = {
		.label = "name of the kernel's debugfs directory bdi",
		.params = "name=bdi", .name = "bdi", .prefix = "bdi",
		.what = "(-17)", .err = EEXIST, .entry_taken = true,
	};
	struct kmsg log;

	if (!exists("/sys/kernel/debug/bdi"))
		SKIP(return, "no debugfs directory bdi to collide with");
	remove_leftovers(_metadata);
	kmsg_open(_metadata, &log, fe_debugfs.mod, "bdi");
	expect_refused(_metadata, &log, &fe_debugfs, &bdi);
	kmsg_close(&log);
}

/*
 * The debugfs frontend registers greeting without debugfs' full proxy unless
 * full_proxy=Y. Both registrations must read the same and must keep the
 * module loaded while the file is open: the unproxied one relies on that.
 */
TEST(debugfs_full_proxy_reads_the_same_and_pins_the_module)
{
	static const char *const params[] = { "full_proxy=0", "full_proxy=1" };
	char node[PATH_MAX], val[8], buf[64];
	size_t i;
	int fd, err;

	remove_leftovers(_metadata);
	fmt_path(node, fe_debugfs.node_fmt, "hdt_proxy");
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		ASSERT_EQ(0, mod_load_named(&fe_debugfs, "hdt_proxy", params[i]));
		ASSERT_LT(0, read_file("/sys/module/hellodev_debugfs/parameters/full_proxy",
				       val, sizeof(val)));
		EXPECT_EQ(i ? 'Y' : 'N', val[0]);
		fd = open_or_fail(_metadata, node, O_RDONLY);
		err = mod_unload(fe_debugfs.mod);
		EXPECT_EQ(-EWOULDBLOCK, err)
			TH_LOG("%s: unload while open: %s", params[i],
			       strerror(-err));
		EXPECT_EQ(GREETING_LEN, pread(fd, buf, sizeof(buf), 0));
		EXPECT_EQ(0, memcmp(buf, GREETING, GREETING_LEN));
		close(fd);
		unload(_metadata, &fe_debugfs);
		check_traces(_metadata, &fe_debugfs, "hdt_proxy", false, false);
	}
}

/*
 * Hostile userspace. Every frontend, and debugfs also through its full
 * proxy, gets the inputs a fuzzer tries first. Each must give the exact
 * answer the kernel gives for a file whose only methods are open, read and
 * llseek, and open_count must count exactly the opens that reached the
 * module. The fixture loads the module; a test may reload it.
 */
#define HOSTILE_SHARED_READERS	8
#define HOSTILE_THREADS		16
#define HOSTILE_ROUNDS		2000
#define KERNEL_TEXT		((void *)0xffffffff81000000UL)
#define KERNEL_DIRECT_MAP	((void *)0xffff888000000000UL)

FIXTURE(hostile) {
	struct hd_node dev;
	struct kmsg log;
};

/*
 * One way of exposing the greeting: the frontend, the suffix of the node
 * name, the load parameters the variant always passes, the module
 * references one open file holds, what reopening an O_PATH descriptor of
 * the node gives once the module is gone, and whether reads go through
 * debugfs' full proxy.
 */
FIXTURE_VARIANT(hostile) {
	const struct hd_frontend *fe;
	const char *tag;
	const char *params;
	int refs_per_file;
	int stale_errno;
	bool full_proxy;
};

/* misc_open() pins the fops; later it finds no device: -ENODEV. */
FIXTURE_VARIANT_ADD(hostile, misc) {
	.fe = &fe_misc, .tag = "misc", .params = "", .refs_per_file = 1,
	.stale_errno = ENODEV,
};

/*
 * chrdev_open() pins both the cdev (cdev.owner) and the fops; later it
 * finds no cdev on the number: -ENXIO.
 */
FIXTURE_VARIANT_ADD(hostile, cdev) {
	.fe = &fe_cdev, .tag = "cdev", .params = "", .refs_per_file = 2,
	.stale_errno = ENXIO,
};

/*
 * debugfs pins the real fops; later debugfs_file_get() refuses the removed
 * file with -EIO, which open() turns into -ENOENT.
 */
FIXTURE_VARIANT_ADD(hostile, debugfs) {
	.fe = &fe_debugfs, .tag = "debugfs", .params = "",
	.refs_per_file = 1, .stale_errno = ENOENT,
};

/* The Rust twin's open, like misc_open(), pins the fops: -ENODEV. */
FIXTURE_VARIANT_ADD(hostile, rust) {
	.fe = &fe_rust, .tag = "rust", .params = "", .refs_per_file = 1,
	.stale_errno = ENODEV,
};

FIXTURE_VARIANT_ADD(hostile, debugfs_full_proxy) {
	.fe = &fe_debugfs, .tag = "proxy", .params = "full_proxy=1",
	.refs_per_file = 1, .stale_errno = ENOENT, .full_proxy = true,
};

/* Load @fe as @dev with the variant's parameters @vparams and @more. */
static int hostile_load(const struct hd_frontend *fe, const char *vparams,
			const struct hd_node *dev, const char *more)
{
	char params[128];

	snprintf(params, sizeof(params), "%s %s", vparams, more);
	return mod_load_named(fe, dev->name, params);
}

FIXTURE_SETUP(hostile)
{
	setup_node(_metadata, variant->fe, 'h', variant->tag, &self->dev,
		   &self->log);
	ASSERT_EQ(0, hostile_load(variant->fe, variant->params, &self->dev,
				  ""));
	expect_one_record(_metadata, &self->log, self->dev.name, "(init)", -1);
}

FIXTURE_TEARDOWN(hostile)
{
	int err = mod_unload(variant->fe->mod);

	if (_metadata->passed)
		EXPECT_TRUE(!err || err == -ENOENT)
			TH_LOG("unload %s: %s", variant->fe->mod,
			       strerror(-err));
	kmsg_close(&self->log);
}

/* A system call's result, or -errno if it failed. */
static long rc(long ret)
{
	return ret < 0 ? -errno : ret;
}

/* Open @path with @flags and close it again: 0 or -errno. */
static int try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The file position of @fd, which must not fail. */
static off_t pos_of(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

/* The module's reference count, from /sys/module/<mod>/refcnt, or -1. */
static long long mod_refcnt(const struct hd_frontend *fe)
{
	char path[PATH_MAX];

	fmt_path(path, "/sys/module/%s/refcnt", fe->mod);
	return read_count(path);
}

TEST_F(hostile, read_of_zero_bytes_returns_0_and_moves_nothing)
{
	char buf[64];
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	EXPECT_EQ(0, rc(read(fd, buf, 0)));
	/* Even without a buffer: an empty range needs no valid address. */
	EXPECT_EQ(0, rc(syscall(SYS_read, fd, NULL, 0)));
	EXPECT_EQ(0, pos_of(fd));
	expect_read(_metadata, fd, 5, "Hello");
	EXPECT_EQ(0, rc(read(fd, buf, 0)));
	EXPECT_EQ(0, rc(pread(fd, buf, 0, 0)));
	EXPECT_EQ(5, pos_of(fd));
	expect_read(_metadata, fd, 64, " from C\n");
	EXPECT_EQ(0, rc(read(fd, buf, 0)));
	EXPECT_EQ(GREETING_LEN, pos_of(fd));
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

TEST_F(hostile, read_into_null_or_a_kernel_address_is_efault)
{
	static void *const bad[] = { NULL, (void *)1, KERNEL_DIRECT_MAP,
				     KERNEL_TEXT };
	char buf[64];
	size_t i;
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* The raw syscalls: libc declares the buffers non-NULL. */
		EXPECT_EQ(-EFAULT, rc(syscall(SYS_read, fd, bad[i], 64)))
			TH_LOG("read into %p", bad[i]);
		EXPECT_EQ(-EFAULT, rc(syscall(SYS_pread64, fd, bad[i], 64, 0)))
			TH_LOG("pread into %p", bad[i]);
		EXPECT_EQ(0, pos_of(fd));
	}
	/* access_ok() refuses a kernel address even for an empty read. */
	EXPECT_EQ(-EFAULT, rc(syscall(SYS_read, fd, KERNEL_TEXT, 0)));
	EXPECT_EQ(-EFAULT, rc(syscall(SYS_read, fd, KERNEL_DIRECT_MAP, 0)));
	EXPECT_EQ(GREETING_LEN, rc(read(fd, buf, sizeof(buf))));
	EXPECT_EQ(0, memcmp(buf, GREETING, GREETING_LEN));
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

TEST_F(hostile, read_of_size_max_is_efault_and_huge_counts_are_clamped)
{
	long page = sysconf(_SC_PAGESIZE);
	char *buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	ASSERT_NE(MAP_FAILED, buf);
	/* No user range is that long: access_ok() fails first. */
	EXPECT_EQ(-EFAULT, rc(syscall(SYS_read, fd, buf, SIZE_MAX)));
	EXPECT_EQ(-EFAULT, rc(syscall(SYS_read, fd, buf, (size_t)SSIZE_MAX)));
	EXPECT_EQ(-EFAULT, rc(syscall(SYS_pread64, fd, buf, SIZE_MAX, 0)));
	EXPECT_EQ(0, pos_of(fd));
	/*
	 * 2 GiB fits in user space: the kernel caps it at MAX_RW_COUNT and
	 * the read writes only the greeting into the one mapped page.
	 */
	EXPECT_EQ(GREETING_LEN, rc(syscall(SYS_read, fd, buf, 1UL << 31)));
	EXPECT_EQ(0, memcmp(buf, GREETING, GREETING_LEN));
	EXPECT_EQ(0, rc(syscall(SYS_read, fd, buf, 1UL << 31)));
	close(fd);
	munmap(buf, page);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/* Extends read_into_bad_memory_faults_or_stops_at_the_fault to pread/readv. */
TEST_F(hostile, pread_and_readv_into_a_buffer_ending_in_prot_none_are_short)
{
	long page = sysconf(_SC_PAGESIZE);
	struct iovec iov[2];
	char *map, *edge;
	ssize_t k, n;
	off_t off;
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	edge = map + page;
	ASSERT_EQ(0, mprotect(edge, page, PROT_NONE));
	for (off = 0; off < GREETING_LEN; off += 3) {
		EXPECT_EQ(-EFAULT, rc(pread(fd, edge, 64, off)));
		for (k = 1; k < GREETING_LEN - off; k++) {
			n = pread(fd, edge - k, 64, off);
			EXPECT_EQ(k, n) TH_LOG("pread at %lld, %zd bytes mapped",
					       (long long)off, k);
			if (n == k)
				EXPECT_EQ(0, memcmp(edge - k, GREETING + off, k));
		}
	}
	EXPECT_EQ(0, pos_of(fd));

	/* readv: the first segment is filled, the second faults. */
	iov[0] = (struct iovec){ .iov_base = map, .iov_len = 5 };
	iov[1] = (struct iovec){ .iov_base = edge, .iov_len = 64 };
	EXPECT_EQ(5, rc(readv(fd, iov, 2)));
	EXPECT_EQ(0, memcmp(map, "Hello", 5));
	EXPECT_EQ(5, pos_of(fd));
	iov[0] = (struct iovec){ .iov_base = edge, .iov_len = 64 };
	EXPECT_EQ(-EFAULT, rc(readv(fd, iov, 1)));
	EXPECT_EQ(5, pos_of(fd));
	expect_read(_metadata, fd, 64, " from C\n");
	close(fd);
	munmap(map, 2 * page);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/* Extends pread_gives_the_slice_at_every_offset to the extremes. */
TEST_F(hostile, pread_at_hostile_offsets_gives_exact_answers)
{
	static const struct {
		long long off;
		size_t count;
		long want;
	} cases[] = {
		{ -1, 64, -EINVAL },
		{ LLONG_MIN, 64, -EINVAL },
		/* The end of the read, pos + count, may not overflow. */
		{ LLONG_MAX, 64, -EINVAL },
		{ LLONG_MAX, 1, -EINVAL },
		{ LLONG_MAX, 0, 0 },
		{ LLONG_MAX - 63, 64, -EINVAL },
		{ LLONG_MAX - 64, 64, 0 },
		/* No truncation to 32 bits: these are past the end. */
		{ 1LL << 32, 64, 0 },
		{ (1LL << 32) + 1, 64, 0 },
		{ GREETING_LEN, 64, 0 },
		{ GREETING_LEN + 1, 64, 0 },
		{ GREETING_LEN - 1, 64, 1 },
	};
	char buf[64];
	size_t i;
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(cases[i].want,
			  rc(pread(fd, buf, cases[i].count, cases[i].off)))
			TH_LOG("pread(%zu) at %lld", cases[i].count,
			       cases[i].off);
		if (cases[i].want == 1)
			EXPECT_EQ('\n', buf[0]);
	}
	EXPECT_EQ(0, pos_of(fd));
	expect_read(_metadata, fd, 64, GREETING);
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/* Extends lseek_works_as_on_a_regular_file to the extremes. */
TEST_F(hostile, lseek_to_extreme_offsets_and_with_bad_whence)
{
	static const struct {
		long long off;
		unsigned int whence;
		long long want;	/* new position, or -errno */
	} cases[] = {
		{ LLONG_MIN, SEEK_SET, -EINVAL },
		{ LLONG_MAX, SEEK_SET, LLONG_MAX },
		/* Position + offset overflows: refused, position kept. */
		{ 1, SEEK_CUR, -EINVAL },
		{ LLONG_MIN, SEEK_CUR, -EINVAL },
		{ -LLONG_MAX, SEEK_CUR, 0 },
		{ LLONG_MAX, SEEK_END, -EINVAL },
		{ LLONG_MIN, SEEK_END, -EINVAL },
		{ LLONG_MAX - GREETING_LEN, SEEK_END, LLONG_MAX },
		{ 0, SEEK_SET, 0 },
		/* The offset is compared as unsigned: -1 is past the end. */
		{ -1, SEEK_DATA, -ENXIO },
		{ -1, SEEK_HOLE, -ENXIO },
		{ LLONG_MAX, SEEK_DATA, -ENXIO },
		{ LLONG_MAX, SEEK_HOLE, -ENXIO },
		{ GREETING_LEN - 1, SEEK_DATA, GREETING_LEN - 1 },
		{ GREETING_LEN - 1, SEEK_HOLE, GREETING_LEN },
		/* lseek(2) refuses any whence above SEEK_MAX itself. */
		{ 0, SEEK_HOLE + 1, -EINVAL },
		{ 0, INT_MAX, -EINVAL },
		{ 0, 0x80000000U, -EINVAL },
		{ 0, UINT_MAX, -EINVAL },
		{ 0, SEEK_SET, 0 },
	};
	long long want, pos = 0;
	char buf[64];
	size_t i;
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		want = cases[i].want;
		EXPECT_EQ(want, rc(syscall(SYS_lseek, fd, cases[i].off,
					   (unsigned long)cases[i].whence)))
			TH_LOG("lseek(%lld, %u) from %lld", cases[i].off,
			       cases[i].whence, pos);
		if (want >= 0)
			pos = want;
		EXPECT_EQ(pos, pos_of(fd)) TH_LOG("after case %zu", i);
		if (pos == LLONG_MAX && cases[i].whence == SEEK_SET) {
			/* A read there would end past LLONG_MAX. */
			EXPECT_EQ(-EINVAL, rc(read(fd, buf, 64)));
			EXPECT_EQ(0, rc(read(fd, buf, 0)));
			EXPECT_EQ(GREETING_LEN, rc(pread(fd, buf, 64, 0)));
		}
	}
	EXPECT_EQ(0, pos_of(fd));
	expect_read(_metadata, fd, 64, GREETING);
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/* Extends write_is_refused_and_changes_nothing to every write call. */
TEST_F(hostile, write_pwrite_and_writev_are_refused_on_every_descriptor)
{
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	char buf[64];
	int fd;

	/* Without FMODE_WRITE: -EBADF, checked before anything else. */
	fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	EXPECT_EQ(-EBADF, rc(write(fd, "x", 1)));
	EXPECT_EQ(-EBADF, rc(write(fd, "x", 0)));
	EXPECT_EQ(-EBADF, rc(pwrite(fd, "x", 1, 0)));
	EXPECT_EQ(-EBADF, rc(writev(fd, &iov, 1)));
	close(fd);

	/* With it but no write method: -EINVAL, even for 0 bytes. */
	fd = open_or_fail(_metadata, self->dev.node, O_RDWR);
	EXPECT_EQ(-EINVAL, rc(write(fd, "x", 1)));
	EXPECT_EQ(-EINVAL, rc(write(fd, "x", 0)));
	EXPECT_EQ(-EINVAL, rc(pwrite(fd, "x", 1, 0)));
	EXPECT_EQ(-EINVAL, rc(pwrite(fd, "x", 1, -1)));
	EXPECT_EQ(-EINVAL, rc(writev(fd, &iov, 1)));
	EXPECT_EQ(0, pos_of(fd));
	expect_read(_metadata, fd, 64, GREETING);
	close(fd);

	/* Write-only (root may open the 0400 node so): reads are -EBADF. */
	fd = open_or_fail(_metadata, self->dev.node, O_WRONLY);
	EXPECT_EQ(-EINVAL, rc(write(fd, "x", 1)));
	EXPECT_EQ(-EBADF, rc(read(fd, buf, sizeof(buf))));
	close(fd);

	EXPECT_EQ(3, read_count(self->dev.count));
	expect_greeting(_metadata, self->dev.node, GREETING);
	EXPECT_EQ(4, read_count(self->dev.count));
}

/*
 * Without an ioctl method every command is -ENOTTY, but the VFS answers
 * FIONREAD itself for a regular file: i_size - f_pos. A debugfs file is a
 * regular file of size 0, so it reports 0 and then negative numbers; a
 * character device passes FIONREAD on and gets -ENOTTY.
 */
TEST_F(hostile, ioctl_unknown_is_enotty_and_fionread_follows_the_file_type)
{
	static const unsigned long unknown[] = {
		0, _IO('h', 0x42), _IOR('h', 1, int), _IOW('h', 2, long),
		0xdeadbeef,
	};
	bool reg = variant->fe->node_type == S_IFREG;
	char buf[8];
	size_t i;
	int n, fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	for (i = 0; i < ARRAY_SIZE(unknown); i++)
		EXPECT_EQ(-ENOTTY, rc(ioctl(fd, unknown[i], &n)))
			TH_LOG("ioctl %#lx", unknown[i]);
	n = 12345;
	EXPECT_EQ(reg ? 0 : -ENOTTY, rc(ioctl(fd, FIONREAD, &n)));
	EXPECT_EQ(reg ? 0 : 12345, n);
	EXPECT_EQ(5, read(fd, buf, 5));
	n = 12345;
	EXPECT_EQ(reg ? 0 : -ENOTTY, rc(ioctl(fd, FIONREAD, &n)));
	EXPECT_EQ(reg ? -5 : 12345, n);
	EXPECT_EQ(5, pos_of(fd));
	expect_read(_metadata, fd, 64, " from C\n");
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

TEST_F(hostile, mmap_is_refused_with_enodev)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	void *p;

	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(-ENODEV, p == MAP_FAILED ? -errno : 0);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_EQ(-ENODEV, p == MAP_FAILED ? -errno : 0);
	/* A shared writable map of a read-only descriptor: -EACCES first. */
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_EQ(-EACCES, p == MAP_FAILED ? -errno : 0);
	EXPECT_EQ(0, pos_of(fd));
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/* Without a poll method a file is always readable and writable. */
TEST_F(hostile, poll_and_select_report_always_ready)
{
	const short ready = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	struct pollfd pfd;
	struct timeval tv;
	fd_set rd, wr, ex;
	char buf[64];
	int i, fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	for (i = 0; i < 2; i++) {
		pfd = (struct pollfd){
			.fd = fd,
			.events = POLLIN | POLLPRI | POLLOUT | POLLRDNORM |
				  POLLRDBAND | POLLWRNORM | POLLWRBAND,
		};
		EXPECT_EQ(1, rc(poll(&pfd, 1, 0)));
		EXPECT_EQ(ready, pfd.revents) TH_LOG("revents %#x", pfd.revents);
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		FD_ZERO(&ex);
		FD_SET(fd, &rd);
		FD_SET(fd, &wr);
		FD_SET(fd, &ex);
		tv = (struct timeval){ 0 };
		EXPECT_EQ(2, rc(select(fd + 1, &rd, &wr, &ex, &tv)));
		EXPECT_TRUE(FD_ISSET(fd, &rd) && FD_ISSET(fd, &wr) &&
			    !FD_ISSET(fd, &ex));
		/* The same at end of file. */
		EXPECT_EQ(i ? 0 : GREETING_LEN, read(fd, buf, sizeof(buf)));
	}
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/*
 * epoll takes only files with a poll method: -EPERM, whatever the op. Since
 * 6.14 debugfs' full proxy is one set of file operations that always has
 * one, which reports a file without its own poll always ready, as poll()
 * does: there epoll takes the node and finds it readable.
 */
TEST_F(hostile, epoll_ctl_refuses_the_node_with_eperm)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	ASSERT_LE(0, ep);
	if (variant->full_proxy && kernel_at_least(6, 14)) {
		EXPECT_EQ(0, rc(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)));
		EXPECT_EQ(0, rc(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev)));
		EXPECT_EQ(1, rc(epoll_wait(ep, &ev, 1, 0)));
		EXPECT_EQ(EPOLLIN, ev.events);
		EXPECT_EQ(0, rc(epoll_ctl(ep, EPOLL_CTL_DEL, fd, &ev)));
	} else {
		EXPECT_EQ(-EPERM, rc(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)));
		EXPECT_EQ(-EPERM, rc(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev)));
		EXPECT_EQ(-EPERM, rc(epoll_ctl(ep, EPOLL_CTL_DEL, fd, &ev)));
	}
	EXPECT_EQ(0, rc(epoll_wait(ep, &ev, 1, 0)));
	close(ep);
	expect_read(_metadata, fd, 64, GREETING);
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/* Without splice_read (6.1 has no fallback) the node cannot be spliced. */
TEST_F(hostile, sendfile_and_splice_from_the_node_are_einval)
{
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	int null = open_or_fail(_metadata, "/dev/null", O_WRONLY);
	off_t off = 3;
	int pipefd[2];

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	EXPECT_EQ(-EINVAL, rc(sendfile(pipefd[1], fd, NULL, 64)));
	EXPECT_EQ(-EINVAL, rc(sendfile(null, fd, NULL, 64)));
	EXPECT_EQ(-EINVAL, rc(sendfile(null, fd, &off, 64)));
	EXPECT_EQ(3, off);
	EXPECT_EQ(-EINVAL, rc(splice(fd, NULL, pipefd[1], NULL, 64, 0)));
	EXPECT_EQ(0, pos_of(fd));
	expect_read(_metadata, fd, 64, GREETING);
	close(pipefd[0]);
	close(pipefd[1]);
	close(null);
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/*
 * O_PATH never reaches the module's open(): nothing is counted and no
 * module reference is taken, so the module unloads under it. Reopening
 * through /proc/self/fd is a real open while the module is loaded, and
 * a clean error once it is gone.
 */
TEST_F(hostile, o_path_open_is_not_counted_and_survives_unload)
{
	char proc[64], buf[64];
	struct stat st;
	int fd, n, o = open_or_fail(_metadata, self->dev.node, O_PATH);

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
	EXPECT_EQ(0, read_count(self->dev.count));
	EXPECT_EQ(0, mod_refcnt(variant->fe));
	EXPECT_EQ(-EBADF, rc(read(o, buf, sizeof(buf))));
	EXPECT_EQ(-EBADF, rc(lseek(o, 0, SEEK_SET)));
	EXPECT_EQ(-EBADF, rc(ioctl(o, FIONREAD, &n)));
	ASSERT_EQ(0, fstat(o, &st));
	EXPECT_EQ(variant->fe->node_type, st.st_mode & S_IFMT);

	fd = open_or_fail(_metadata, proc, O_RDONLY);
	EXPECT_EQ(1, read_count(self->dev.count));
	expect_read(_metadata, fd, 64, GREETING);
	close(fd);

	unload(_metadata, variant->fe);
	check_traces(_metadata, variant->fe, self->dev.name, false, false);
	EXPECT_EQ(-variant->stale_errno, try_open(proc, O_RDONLY));
	EXPECT_EQ(0, fstat(o, &st));
	close(o);
}

/*
 * O_DIRECT: do_dentry_open() calls the module's open() first and checks
 * for direct I/O support only afterwards, so the open fails with -EINVAL
 * but has been counted and logged. The failed file is released at once
 * and keeps no module reference.
 */
TEST_F(hostile, o_direct_open_fails_with_einval_after_being_counted)
{
	struct kmsg *log = &self->log;

	EXPECT_EQ(-EINVAL, try_open(self->dev.node, O_RDONLY | O_DIRECT));
	EXPECT_EQ(1, read_count(self->dev.count));
	kmsg_read(_metadata, log);
	ASSERT_EQ(1, log->n) kmsg_dump(_metadata, log);
	EXPECT_EQ(1, opened_n(&log->rec[0], self->dev.name));
	kmsg_forget(_metadata, log, NULL);
	EXPECT_EQ(0, mod_refcnt(variant->fe));
	expect_greeting(_metadata, self->dev.node, GREETING);
	EXPECT_EQ(2, read_count(self->dev.count));
	unload(_metadata, variant->fe);
	check_traces(_metadata, variant->fe, self->dev.name, false, false);
}

/*
 * dup() and fork() share one open file: one open counted, one module
 * reference, one shared position, and the file (with its reference) goes
 * away at the last close, whichever process makes it.
 */
TEST_F(hostile, fork_and_dup_share_one_open_and_one_release)
{
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);
	int fd2 = dup(fd), go[2], status;
	char buf[64], c;
	pid_t pid;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Read "Hello" through the copy, then wait for the parent. */
		close(go[1]);
		if (read(fd2, buf, 5) != 5 || memcmp(buf, "Hello", 5))
			_exit(1);
		close(fd);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 2);
	}
	close(go[0]);
	/* The child's read moved the shared position. */
	while (pos_of(fd) != 5 && !waitpid(pid, &status, WNOHANG))
		usleep(1000);
	EXPECT_EQ(5, pos_of(fd2));
	EXPECT_EQ(variant->refs_per_file, mod_refcnt(variant->fe));
	expect_read(_metadata, fd, 64, " from C\n");
	close(fd);
	close(fd2);
	/* The child still holds the file. */
	EXPECT_EQ(variant->refs_per_file, mod_refcnt(variant->fe));
	EXPECT_EQ(-EWOULDBLOCK, mod_unload(variant->fe->mod));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, mod_refcnt(variant->fe));
	EXPECT_EQ(1, read_count(self->dev.count));
	unload(_metadata, variant->fe);
	check_traces(_metadata, variant->fe, self->dev.name, false, false);
}

/* One of the threads that read a shared descriptor. */
struct shared_reader {
	pthread_t thread;
	pthread_barrier_t *start;
	int fd;
	ssize_t got;
	int bad;
	unsigned int seen[256];
};

static void *shared_reader_run(void *arg)
{
	struct shared_reader *r = arg;
	ssize_t n, i, want;
	char buf[3];
	off_t off;

	pthread_barrier_wait(r->start);
	/* Each read returns a piece of the greeting, until end of file. */
	while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
		if (!memmem(GREETING, GREETING_LEN, buf, n))
			r->bad++;
		for (i = 0; i < n; i++)
			r->seen[(unsigned char)buf[i]]++;
		r->got += n;
	}
	if (n < 0)
		r->bad++;
	/* pread needs no shared position: always the exact slice. */
	for (i = 0; i < 200; i++) {
		off = i % (GREETING_LEN + 2);
		want = off < GREETING_LEN ? GREETING_LEN - off : 0;
		if (want > (ssize_t)sizeof(buf))
			want = sizeof(buf);
		n = pread(r->fd, buf, sizeof(buf), off);
		if (n != want || memcmp(buf, GREETING + off, want))
			r->bad++;
	}
	return NULL;
}

/*
 * The VFS serialises the position of a shared regular file (debugfs) but
 * not of a character device: on misc and cdev two threads may read the
 * same bytes, but never a wrong byte, and never skip one.
 */
TEST_F(hostile, eight_threads_reading_one_descriptor)
{
	struct shared_reader r[HOSTILE_SHARED_READERS];
	unsigned int want[256] = { 0 }, seen[256] = { 0 };
	pthread_barrier_t start;
	ssize_t got = 0;
	int i, c, bad = 0;
	int fd = open_or_fail(_metadata, self->dev.node, O_RDONLY);

	memset(r, 0, sizeof(r));
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, ARRAY_SIZE(r)));
	for (i = 0; i < (int)ARRAY_SIZE(r); i++) {
		r[i].start = &start;
		r[i].fd = fd;
		ASSERT_EQ(0, pthread_create(&r[i].thread, NULL,
					    shared_reader_run, &r[i]));
	}
	for (i = 0; i < (int)ARRAY_SIZE(r); i++) {
		pthread_join(r[i].thread, NULL);
		bad += r[i].bad;
		got += r[i].got;
		for (c = 0; c < 256; c++)
			seen[c] += r[i].seen[c];
	}
	pthread_barrier_destroy(&start);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(GREETING_LEN, pos_of(fd));
	for (i = 0; i < GREETING_LEN; i++)
		want[(unsigned char)GREETING[i]]++;
	if (variant->fe->node_type == S_IFREG) {
		EXPECT_EQ(GREETING_LEN, got);
		EXPECT_EQ(0, memcmp(want, seen, sizeof(want)));
	} else {
		EXPECT_LE(GREETING_LEN, got);
		for (c = 0; c < 256; c++)
			EXPECT_EQ(!!want[c], !!seen[c]) TH_LOG("byte %#x", c);
	}
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

TEST_F(hostile, sixteen_threads_open_read_close_2000_times_count_exactly)
{
	struct opener openers[HOSTILE_THREADS];
	struct kmsg *log = &self->log;
	pthread_barrier_t start;
	int i, bad = 0;

	/* Counter only: 32000 log lines would overrun the log buffer. */
	unload(_metadata, variant->fe);
	ASSERT_EQ(0, hostile_load(variant->fe, variant->params, &self->dev,
				  "log_opens=0"));
	kmsg_forget(_metadata, log, NULL);
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, HOSTILE_THREADS));
	for (i = 0; i < HOSTILE_THREADS; i++) {
		openers[i] = (struct opener){
			.start = &start, .path = self->dev.node,
			.rounds = HOSTILE_ROUNDS,
		};
		ASSERT_EQ(0, pthread_create(&openers[i].thread, NULL,
					    opener_run, &openers[i]));
	}
	for (i = 0; i < HOSTILE_THREADS; i++) {
		pthread_join(openers[i].thread, NULL);
		bad += openers[i].bad;
	}
	pthread_barrier_destroy(&start);
	EXPECT_EQ(0, bad) TH_LOG("%d opens or reads went wrong", bad);
	EXPECT_EQ(HOSTILE_THREADS * HOSTILE_ROUNDS,
		  read_count(self->dev.count));
	EXPECT_EQ(0, mod_refcnt(variant->fe));
	kmsg_read(_metadata, log);
	EXPECT_EQ(0, log->n) kmsg_dump(_metadata, log);
}

/* What uid 1000 gets; filled by the child that runs as that user. */
struct user_view {
	int open_rd;		/* open O_RDONLY, then read */
	int open_rdwr;
	int open_wronly;
	int open_path;		/* open O_PATH */
	int reopen_path;	/* open /proc/self/fd/<O_PATH fd> O_RDONLY */
	int stat_node;
	int read_count;		/* open_count, or -errno */
	int load;		/* finit_module of the same module */
	int unload;		/* delete_module */
};

/* Run as USER_ID in a child and report what @node and @count allow. */
static int user_view(const struct hd_frontend *fe, const char *node,
		     const char *count, struct user_view *out)
{
	struct user_view *v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char proc[64], buf[64];
	int fd, status, ret = -1;
	struct stat st;
	pid_t pid;

	if (v == MAP_FAILED)
		return -1;
	pid = fork();
	if (!pid) {
		if (setgroups(0, NULL) || setgid(USER_ID) || setuid(USER_ID))
			_exit(1);
		fd = open(node, O_RDONLY | O_CLOEXEC);
		v->open_rd = fd < 0 ? -errno : 0;
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf)) != GREETING_LEN ||
			    memcmp(buf, GREETING, GREETING_LEN))
				v->open_rd = 1;
			close(fd);
		}
		v->open_rdwr = try_open(node, O_RDWR);
		v->open_wronly = try_open(node, O_WRONLY);
		fd = open(node, O_PATH | O_CLOEXEC);
		v->open_path = fd < 0 ? -errno : 0;
		v->reopen_path = -EBADF;
		if (fd >= 0) {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			v->reopen_path = try_open(proc, O_RDONLY);
			close(fd);
		}
		v->stat_node = stat(node, &st) ? -errno : 0;
		v->read_count = read_count(count);
		if (v->read_count < 0)
			v->read_count = try_open(count, O_RDONLY);
		v->load = mod_load(fe, "");
		v->unload = mod_unload(fe->mod);
		_exit(0);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    !WEXITSTATUS(status)) {
		*out = *v;
		ret = 0;
	}
	munmap(v, sizeof(*v));
	return ret;
}

/*
 * Extends unprivileged_open_follows_node_mode_and_is_rate_limited: every
 * way in for uid 1000, on the default node and (misc, cdev) mode=0444.
 * Only the one successful read open is counted.
 */
TEST_F(hostile, unprivileged_user_gets_exact_refusals)
{
	const struct hd_frontend *fe = variant->fe;
	struct user_view v;

	ASSERT_EQ(0, user_view(fe, self->dev.node, self->dev.count, &v));
	EXPECT_EQ(-EACCES, v.open_rd);
	EXPECT_EQ(-EACCES, v.open_rdwr);
	EXPECT_EQ(-EACCES, v.open_wronly);
	if (fe->node_type == S_IFREG) {
		/* debugfs is root-only (0700): not even a path or a stat. */
		EXPECT_EQ(-EACCES, v.open_path);
		EXPECT_EQ(-EACCES, v.stat_node);
		EXPECT_EQ(-EACCES, v.read_count);
	} else {
		/* A path needs no permission on the node; opening it does. */
		EXPECT_EQ(0, v.open_path);
		EXPECT_EQ(-EACCES, v.reopen_path);
		EXPECT_EQ(0, v.stat_node);
		EXPECT_EQ(0, v.read_count);
	}
	EXPECT_EQ(-EPERM, v.load);
	EXPECT_EQ(-EPERM, v.unload);
	EXPECT_EQ(0, read_count(self->dev.count));
	EXPECT_TRUE(mod_listed(fe->mod));
	if (!fe->has_mode)
		return;

	unload(_metadata, fe);
	ASSERT_EQ(0, hostile_load(variant->fe, variant->params, &self->dev,
				  "mode=0444"));
	ASSERT_EQ(0, user_view(fe, self->dev.node, self->dev.count, &v));
	EXPECT_EQ(0, v.open_rd);
	EXPECT_EQ(-EACCES, v.open_rdwr);
	EXPECT_EQ(-EACCES, v.open_wronly);
	EXPECT_EQ(0, v.open_path);
	EXPECT_EQ(0, v.reopen_path);
	EXPECT_EQ(0, v.stat_node);
	EXPECT_EQ(2, v.read_count);
	EXPECT_EQ(-EPERM, v.load);
	EXPECT_EQ(-EPERM, v.unload);
	EXPECT_EQ(2, read_count(self->dev.count));
}

/* pread(fd, edge - k, n, 0) into a buffer k bytes before a hole: k bytes. */
static bool faults_after(int fd, char *edge, size_t k, size_t n,
			 const char *text)
{
	ssize_t got;

	memset(edge - k, 0, k);
	errno = 0;
	got = pread(fd, edge - k, n, 0);
	if (k == 0)
		return got == -1 && errno == EFAULT;
	return got == (ssize_t)k && !memcmp(edge - k, text, k);
}

/*
 * The core copies reads of up to 192 bytes with its own stores and longer
 * ones, or any that fault, with copy_to_user(). Take a 200-byte text across
 * that threshold: every offset with every size must return the right slice,
 * and a buffer that faults after k bytes must get exactly those k bytes
 * (EFAULT for k = 0), whichever way the read was copied. The read code is
 * the core's, the same in every frontend, so misc stands for all.
 */
TEST(reads_of_every_size_and_fault_point_across_the_copy_threshold)
{
	enum { TEXT_LEN = 200 };
	char text[TEXT_LEN], buf[TEXT_LEN + 8], params[TEXT_LEN + 64], node[64];
	long page = sysconf(_SC_PAGESIZE);
	size_t pos, n, k, bad = 0;
	char *map, *edge;
	ssize_t got;
	int fd;

	/* 199 letters, each unlike its neighbours, then '\n'. */
	for (pos = 0; pos < TEXT_LEN - 1; pos++)
		text[pos] = 'A' + pos % 53 % 26 + (pos % 53 >= 26 ? 'a' - 'A' : 0);
	text[TEXT_LEN - 1] = '\n';
	snprintf(params, sizeof(params), "greeting=\"%.*s\"", TEXT_LEN - 1, text);
	remove_leftovers(_metadata);
	ASSERT_EQ(0, mod_load_named(&fe_misc, "hdt_copy", params));
	fmt_path(node, fe_misc.node_fmt, "hdt_copy");
	fd = open_or_fail(_metadata, node, O_RDONLY);

	for (pos = 0; pos <= TEXT_LEN; pos++) {
		for (n = 1; n <= TEXT_LEN + 1 - pos; n++) {
			size_t want = pos + n <= TEXT_LEN ? n : TEXT_LEN - pos;

			memset(buf, 0, sizeof(buf));
			got = pread(fd, buf, n, pos);
			if ((got != (ssize_t)want || memcmp(buf, text + pos, want) ||
			     buf[want]) && !bad++)
				TH_LOG("pread(%zu bytes at %zu) = %zd, want %zu",
				       n, pos, got, want);
		}
	}
	EXPECT_EQ(0, bad);

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	edge = map + page;
	for (k = 0; k < TEXT_LEN; k++) {
		/* The whole text, and the shortest read that reaches the hole. */
		if (!faults_after(fd, edge, k, TEXT_LEN, text) && !bad++)
			TH_LOG("pread of %d bytes, %zu before a hole", TEXT_LEN, k);
		if (!faults_after(fd, edge, k, k + 1, text) && !bad++)
			TH_LOG("pread of %zu bytes, %zu before a hole", k + 1, k);
	}
	EXPECT_EQ(0, bad);
	munmap(map, 2 * page);
	close(fd);
	unload(_metadata, &fe_misc);
}

#define main hellodev_harness_main
TEST_HARNESS_MAIN
#undef main

/* tests/hellodev_test_part.c has a main() of its own. */
#ifndef HELLODEV_TEST_PART
int main(int argc, char **argv)
{
	drop_rust_variants_without_module();
	return hellodev_harness_main(argc, argv);
}
#endif
