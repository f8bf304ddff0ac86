// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev load/unload races: while reader threads open and read a
 * frontend's node as fast as they can, through the node devtmpfs or debugfs
 * made and, for a character device, through a node made with mknod for the
 * same device number, the module is unloaded (retried while busy) and loaded
 * again, cycle after cycle. Every successful read must return the exact
 * greeting, every failed open must fail with an errno named below for its
 * path, and every load must be read at least once.
 *
 * Needs root and loads modules: run it in a throw-away VM. The cycles per
 * frontend are HELLODEV_RACE_CYCLES (default 200); after each unload the
 * readers go on for HELLODEV_RACE_HOLD_MS (default 0) before the next load:
 * on a debug kernel, whose kobject releases come seconds late, what still
 * refers to the unloaded module is opened then. The harness's -v runs one
 * variant (scripts/racetest.sh's HELLODEV_RACE_ONLY).
 *
 * The debugfs variants are skipped unless HELLODEV_RACE_DEBUGFS=1, which
 * says that the kernel has the fix that scripts/check-debug.sh applies to
 * its debug kernel, or that the kernel log is read by a gate that knows
 * the WARN without it, as scripts/racetest.sh's does: Debian's kernels
 * WARN ("debugfs file owner did not clean up at exit") when an open of a
 * debugfs file comes between delete_module() dropping the owner's last
 * reference and marking it MODULE_STATE_GOING (fs/debugfs/file.c,
 * open_proxy_open() and full_proxy_open()), a window that a descheduled
 * vCPU makes milliseconds long: 6 times in 800 cycles on 6.1 here. The
 * open fails with ENXIO, as it should; the WARN is the kernel's bug, and
 * fails any other log gate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hellodev_lib.h"

#define RACE_CYCLES		200
#define READERS_PER_PATH	2
/* How long a load may go unread, and an unload keep failing, in ms. */
#define READ_TIMEOUT_MS		20000
#define UNLOAD_TIMEOUT_MS	60000
#define MKNOD_PATH		"/tmp/hellodev-race-node"
#define NO_MODPROBE		"/proc/sys/kernel/modprobe"
/* Errnos are counted in a table up to this one. */
#define ERRNO_MAX		134

/**
 * struct race_path - one way to the node, and what opening it may fail with
 * @path: the path readers open
 * @allowed: errnos an open may fail with, 0-terminated
 * @reads: successful reads of the greeting, in all
 * @cycle_reads: successful reads since the current load
 * @errnos: failed opens, by errno
 * @bad_read: reads that did not return the greeting, or failed
 * @bad_errno: failed opens with an errno not in @allowed; the last in @last_bad
 * @last_bad: the last such errno
 */
struct race_path {
	char path[PATH_MAX];
	const int *allowed;
	atomic_long reads;
	atomic_long cycle_reads;
	atomic_long errnos[ERRNO_MAX + 1];
	atomic_long bad_read;
	atomic_long bad_errno;
	atomic_int last_bad;
};

/**
 * struct reader - a thread opening, reading and closing one path
 * @thread: the thread
 * @rp: its path
 * @stop: set when the readers must stop
 */
struct reader {
	pthread_t thread;
	struct race_path *rp;
	atomic_bool *stop;
};

static bool errno_allowed(const int *allowed, int err)
{
	for (; *allowed; allowed++)
		if (*allowed == err)
			return true;
	return false;
}

static void *reader_run(void *arg)
{
	struct reader *r = arg;
	struct race_path *rp = r->rp;
	char buf[64];
	ssize_t n;
	int fd;

	while (!atomic_load(r->stop)) {
		fd = open(rp->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			int err = errno;

			atomic_fetch_add(&rp->errnos[err <= ERRNO_MAX ? err : 0], 1);
			if (!errno_allowed(rp->allowed, err)) {
				atomic_fetch_add(&rp->bad_errno, 1);
				atomic_store(&rp->last_bad, err);
			}
			sched_yield();
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == HD_GREETING_LEN && !memcmp(buf, HD_GREETING, n)) {
			atomic_fetch_add(&rp->reads, 1);
			atomic_fetch_add(&rp->cycle_reads, 1);
		} else {
			atomic_fetch_add(&rp->bad_read, 1);
		}
		close(fd);
		/*
		 * Holding nothing of the module now: let the unloading thread
		 * run here rather than while this reader, preempted between
		 * its open() and its close(), keeps the module busy. With
		 * more threads than vCPUs, unloads waited up to a minute.
		 */
		sched_yield();
	}
	return NULL;
}

/* The device number of @fe's node @name, from sysfs, or 0. */
static dev_t node_devt(const struct hd_frontend *fe, const char *name)
{
	char path[PATH_MAX], buf[32];
	unsigned int ma, mi;

	fmt_path(path, fe->dev_fmt, name);
	if (read_file(path, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return 0;
	return makedev(ma, mi);
}

/*
 * Errnos an open may fail with, by path, and why:
 * - the node devtmpfs or debugfs made is gone while the module is not
 *   loaded: ENOENT;
 * - misc (and the Rust twin), between the node's creation or removal and
 *   the device joining or leaving misc's list, or while the module is
 *   going away, misc_open() finds no device or cannot pin its fops: ENODEV;
 *   a mknod node of a minor nobody has: ENODEV;
 * - cdev, once cdev_del() unmapped the number or the module is going away
 *   (chrdev_open() cannot pin the cdev's owner): ENXIO; a mknod node of a
 *   number nobody has: ENXIO;
 * - debugfs, while the module is going away (the open proxy cannot pin the
 *   real fops): ENXIO.
 */
static const int misc_dev_errnos[] = { ENOENT, ENODEV, 0 };
static const int misc_mknod_errnos[] = { ENODEV, 0 };
static const int cdev_dev_errnos[] = { ENOENT, ENXIO, 0 };
static const int cdev_mknod_errnos[] = { ENXIO, 0 };
static const int debugfs_errnos[] = { ENOENT, ENXIO, 0 };

FIXTURE(race) {
	struct race_path dev;
	struct race_path mknod;
	struct reader readers[2 * READERS_PER_PATH];
	size_t nreaders;
	atomic_bool stop;
	char name[32];
	char modprobe[PATH_MAX];
};

/*
 * One frontend: the parameters it is loaded with, the errnos of its paths,
 * and whether it has a device number to mknod.
 */
FIXTURE_VARIANT(race) {
	const struct hd_frontend *fe;
	const char *params;
	const int *dev_errnos;
	const int *mknod_errnos;
	bool debugfs;
};

FIXTURE_VARIANT_ADD(race, misc) {
	.fe = &fe_misc, .params = "", .dev_errnos = misc_dev_errnos,
	.mknod_errnos = misc_mknod_errnos,
};

FIXTURE_VARIANT_ADD(race, cdev) {
	.fe = &fe_cdev, .params = "", .dev_errnos = cdev_dev_errnos,
	.mknod_errnos = cdev_mknod_errnos,
};

FIXTURE_VARIANT_ADD(race, debugfs) {
	.fe = &fe_debugfs, .params = "", .dev_errnos = debugfs_errnos,
	.debugfs = true,
};

FIXTURE_VARIANT_ADD(race, debugfs_full_proxy) {
	.fe = &fe_debugfs, .params = "full_proxy=1",
	.dev_errnos = debugfs_errnos, .debugfs = true,
};

FIXTURE_VARIANT_ADD(race, rust) {
	.fe = &fe_rust, .params = "", .dev_errnos = misc_dev_errnos,
	.mknod_errnos = misc_mknod_errnos,
};

FIXTURE_VARIANT_ADD(race, rust_debugfs) {
	.fe = &fe_rust_debugfs, .params = "", .dev_errnos = debugfs_errnos,
	.debugfs = true,
};

FIXTURE_VARIANT_ADD(race, rust_debugfs_full_proxy) {
	.fe = &fe_rust_debugfs, .params = "full_proxy=1",
	.dev_errnos = debugfs_errnos, .debugfs = true,
};

FIXTURE_VARIANT_ADD(race, rust_cdev) {
	.fe = &fe_rust_cdev, .params = "", .dev_errnos = cdev_dev_errnos,
	.mknod_errnos = cdev_mknod_errnos,
};

FIXTURE_SETUP(race)
{
	int err;

	if (variant->fe->rust && !exists(variant->fe->ko))
		SKIP(return, "%s not here: a kernel without Rust",
		     variant->fe->ko);
	err = mod_unload(variant->fe->mod);
	ASSERT_EQ(0, geteuid()) TH_LOG("the test loads modules: run as root");
	ASSERT_TRUE(exists(variant->fe->ko)) TH_LOG("%s not found", variant->fe->ko);
	ASSERT_TRUE(!err || err == -ENOENT);
	ASSERT_TRUE(mod_wait_gone(variant->fe->mod, UNLOAD_TIMEOUT_MS));
	snprintf(self->name, sizeof(self->name), "hdr_%s", variant->fe->tag);
	fmt_path(self->dev.path, variant->fe->node_fmt, self->name);
	self->dev.allowed = variant->dev_errnos;
	/*
	 * An open of a number nobody has makes the kernel run modprobe for
	 * it; with none, it fails at once, with the same errno.
	 */
	ASSERT_LE(0, read_file(NO_MODPROBE, self->modprobe, sizeof(self->modprobe)));
	ASSERT_EQ(0, write_file(NO_MODPROBE, "\n"));
}

FIXTURE_TEARDOWN(race)
{
	size_t i;

	atomic_store(&self->stop, true);
	for (i = 0; i < self->nreaders; i++)
		pthread_join(self->readers[i].thread, NULL);
	write_file(NO_MODPROBE, self->modprobe);
	unlink(MKNOD_PATH);
	if (!mod_unload(variant->fe->mod))
		mod_wait_gone(variant->fe->mod, UNLOAD_TIMEOUT_MS);
}

/* Start READERS_PER_PATH more readers of @rp in @readers, @n so far. */
static void start_readers(struct __test_metadata *_metadata,
			  struct reader *readers, size_t *n, atomic_bool *stop,
			  struct race_path *rp)
{
	struct reader *r;
	int i;

	for (i = 0; i < READERS_PER_PATH; i++) {
		r = &readers[*n];
		r->rp = rp;
		r->stop = stop;
		ASSERT_EQ(0, pthread_create(&r->thread, NULL, reader_run, r));
		(*n)++;
	}
}

/* Make MKNOD_PATH a node for @devt, unless it is one already. */
static void mknod_node(struct __test_metadata *_metadata, dev_t devt)
{
	struct stat st;

	if (!stat(MKNOD_PATH, &st) && st.st_rdev == devt)
		return;
	unlink(MKNOD_PATH);
	ASSERT_EQ(0, mknod(MKNOD_PATH, S_IFCHR | 0400, devt))
		TH_LOG("mknod: %s", strerror(errno));
}

static void report(struct __test_metadata *_metadata, const char *what,
		   struct race_path *rp)
{
	char line[512];
	int len, e;

	len = snprintf(line, sizeof(line), "%s: %ld reads of the greeting",
		       what, atomic_load(&rp->reads));
	for (e = 0; e <= ERRNO_MAX; e++)
		if (atomic_load(&rp->errnos[e]))
			len += snprintf(line + len, sizeof(line) - len,
					", %ld %s", atomic_load(&rp->errnos[e]),
					e ? strerrorname_np(e) : "other errno");
	TH_LOG("%s", line);
	EXPECT_EQ(0, atomic_load(&rp->bad_read)) TH_LOG("%s: bad reads", what);
	EXPECT_EQ(0, atomic_load(&rp->bad_errno))
		TH_LOG("%s: an open failed with %s, not named for this path",
		       what, strerrorname_np(atomic_load(&rp->last_bad)));
}

TEST_F_TIMEOUT(race, unload_and_reload_under_readers, 3600)
{
	const struct hd_frontend *fe = variant->fe;
	const char *env = getenv("HELLODEV_RACE_CYCLES");
	const char *hold_env = getenv("HELLODEV_RACE_HOLD_MS");
	int cycles = env ? atoi(env) : RACE_CYCLES;
	int hold_ms = hold_env ? atoi(hold_env) : 0;
	long retries = 0, slowest = 0;
	char params[64];
	long long t;
	dev_t devt;
	int c, err;

	if (variant->debugfs && !getenv("HELLODEV_RACE_DEBUGFS"))
		SKIP(return,
		     "the kernel WARNs when a debugfs open races delete_module(): set HELLODEV_RACE_DEBUGFS=1 if it has the fix or the log gate knows the WARN");
	ASSERT_LT(0, cycles);
	/*
	 * Opens are not logged: the readers open as fast as they can while
	 * an unload is retried, on a slow host hundreds of thousands of
	 * times, more than the kernel log holds. Logging is the conformance
	 * suite's.
	 */
	snprintf(params, sizeof(params), "log_opens=0 %s", variant->params);
	start_readers(_metadata, self->readers, &self->nreaders, &self->stop,
		      &self->dev);
	for (c = 0; c < cycles; c++) {
		atomic_store(&self->dev.cycle_reads, 0);
		atomic_store(&self->mknod.cycle_reads, 0);
		err = mod_load_named(fe, self->name, params);
		ASSERT_EQ(0, err) TH_LOG("load %d: %s", c, strerror(-err));
		if (variant->mknod_errnos) {
			devt = node_devt(fe, self->name);
			ASSERT_NE(0, devt);
			mknod_node(_metadata, devt);
			if (!self->mknod.allowed) {
				snprintf(self->mknod.path,
					 sizeof(self->mknod.path), "%s",
					 MKNOD_PATH);
				self->mknod.allowed = variant->mknod_errnos;
				start_readers(_metadata, self->readers,
					      &self->nreaders, &self->stop,
					      &self->mknod);
			}
		}
		/* Every load is read at least once, on every path. */
		for (t = now_ms(); !atomic_load(&self->dev.cycle_reads) ||
		     (self->mknod.allowed && !atomic_load(&self->mknod.cycle_reads));)
			ASSERT_LT(now_ms() - t, READ_TIMEOUT_MS)
				TH_LOG("load %d was not read", c);
		for (t = now_ms(); (err = mod_unload(fe->mod)); retries++) {
			ASSERT_EQ(-EWOULDBLOCK, err)
				TH_LOG("unload %d: %s", c, strerror(-err));
			ASSERT_LT(now_ms() - t, UNLOAD_TIMEOUT_MS)
				TH_LOG("unload %d: busy for too long", c);
		}
		ASSERT_TRUE(mod_wait_gone(fe->mod, UNLOAD_TIMEOUT_MS));
		if (now_ms() - t > slowest)
			slowest = now_ms() - t;
		usleep(hold_ms * 1000);
	}
	atomic_store(&self->stop, true);
	TH_LOG("%s: %d cycles, %d ms of reads after each unload", fe->mod,
	       cycles, hold_ms);
	TH_LOG("%s: %ld unload retries while busy, slowest unload %ld ms",
	       fe->mod, retries, slowest);
	report(_metadata, "node", &self->dev);
	if (self->mknod.allowed)
		report(_metadata, "mknod node", &self->mknod);
}

TEST_HARNESS_MAIN
