// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev fault injection, for the debug kernel of scripts/check-debug.sh:
 * every allocation from each frontend's init made to fail with fail-nth,
 * load/unload cycles watched by kmemleak and the slab counters, lockdown,
 * and a boot with debugfs=off. Prints KTAP. Needs root, a kernel with
 * FAILSLAB, FAIL_PAGE_ALLOC and kmemleak, and the modules in the current
 * directory.
 *
 * The Rust twins (hellodev_rust.ko, hellodev_rust_cdev.ko,
 * hellodev_rust_debugfs.ko) are more frontends where the kernel has Rust
 * and their modules are here.
 *
 * usage: hellodev_fault faults|cycles [all|FRONTEND,... [CYCLES]] |
 *        kmemleak | lockdown | debugfs-off
 * FRONTEND: misc, cdev, debugfs, rust, rust_cdev, rust_debugfs; all (the
 * default): every one here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "hellodev_lib.h"

#define LOG_ERR		3
#define FAIL_NTH_BIG	1000000u
/* Indices swept below the first failure before the module's init. */
#define LOADER_MARGIN	8
/*
 * Sites by which other CPUs' work shifts a load's numbering now and then,
 * and passes over the sites of the steps that never failed.
 */
#define DRIFT		2
#define RESWEEP_PASSES	4
/* Load/unload cycles per module, in two halves. */
#define CYCLES		100
/*
 * Growth of a slab cache, in objects, per half of the cycles that fails,
 * taken over both halves: a leak of one object per cycle of any module
 * grows it by 50 in each. Read as mem_read_low() reads them, the counters
 * still swing: some kmalloc caches by the same 12 to 60 objects up in one
 * half and down in the other, which would hide half a leak in either half
 * alone, and cancels out over both.
 */
#define SLAB_GROWTH_MAX	40
/* Cycles per module before the first reading (run_cycles()). */
#define WARMUP_CYCLES	2
/* Readings of the counters that mem_read_low() takes the lowest of. */
#define MEM_READS	3
/* Vmalloc and per-CPU space may not grow by more than this in either half. */
#define SPACE_GROWTH_MAX_KB	64
/* kmemleak reports only objects older than 5 s. */
#define KMEMLEAK_AGE_S	6
#define GONE_TIMEOUT_MS	10000
#define KMEMLEAK	HD_DEBUGFS "/kmemleak"
#define LOCKDOWN	"/sys/kernel/security/lockdown"

/**
 * struct step - an init step that can fail, as the log shows it; the sweep
 *	must make each step fail at least once
 * @name: what the step is
 * @ours: what the module's one error record says
 */
struct step {
	const char *name;
	const char *ours;
};

/**
 * struct init_steps - the init steps of one frontend that can fail
 * @fe: the frontend
 * @step: the steps, as the log shows them; the first that matches counts
 */
struct init_steps {
	const struct hd_frontend *fe;
	struct step step[5];
};

static const struct init_steps init_steps[] = {
	{
		.fe = &fe_misc,
		.step = {
			{ "misc_register()", "cannot register misc device" },
		},
	},
	{
		.fe = &fe_cdev,
		.step = {
			{ "alloc_chrdev_region()",
			  "cannot allocate a character device number" },
			{ "class_create()", "cannot create class hellodev" },
			{ "cdev_alloc()", "cannot allocate the character device" },
			{ "cdev_add()", "cannot add the character device" },
			{ "device_create_with_groups()",
			  "cannot create the device for" },
		},
	},
	{
		.fe = &fe_debugfs,
		/* Either of a file's allocations, dentry or inode, fails it. */
		.step = {
			{ "debugfs_create_dir()",
			  "cannot create debugfs directory" },
			{ "debugfs_create_file(greeting)",
			  "cannot create debugfs file greeting in" },
			{ "debugfs_create_file(open_count)",
			  "cannot create debugfs file open_count in" },
		},
	},
	{
		.fe = &fe_rust,
		.step = {
			{ "Arc::new(Hellodev)", "cannot allocate the device" },
			{ "misc_register()", "cannot register misc device" },
		},
	},
	{
		.fe = &fe_rust_debugfs,
		.step = {
			{ "Arc::new(Hellodev)", "cannot allocate the device" },
			{ "debugfs_create_dir()",
			  "cannot create debugfs directory" },
			{ "debugfs_create_file(greeting)",
			  "cannot create debugfs file greeting in" },
			{ "debugfs_create_file(open_count)",
			  "cannot create debugfs file open_count in" },
		},
	},
	{
		/* The cdev is in the registration: no cdev_alloc(). */
		.fe = &fe_rust_cdev,
		.step = {
			{ "Arc::new(Hellodev)", "cannot allocate the device" },
			{ "alloc_chrdev_region()",
			  "cannot allocate a character device number" },
			{ "class_create()", "cannot create class hellodev_rust" },
			{ "cdev_add()", "cannot add the character device" },
			{ "device_create_with_groups()",
			  "cannot create the device for" },
		},
	},
};

/*
 * The frontends under test: the C ones, and the Rust twin where its module
 * is here (set by main()).
 */
static const struct hd_frontend *frontends[HD_FRONTENDS];
static size_t n_frontends;

/* The init steps of @fe. */
static const struct init_steps *steps_of(const struct hd_frontend *fe)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(init_steps) - 1; i++)
		if (init_steps[i].fe == fe)
			break;
	return &init_steps[i];
}

/*
 * Whether the test running in this process failed, and the prefix of its
 * diagnostics. Each diagnostic line is one write(), so the lines of tests
 * that run at once in several processes do not mix.
 */
static bool failed;
static const char *diag_tag = "";

static void diag(const char *fmt, ...)
{
	char line[512];
	struct timespec t;
	va_list ap;
	int n;

	clock_gettime(CLOCK_BOOTTIME, &t);
	n = snprintf(line, sizeof(line), "# [%5lld] %s", (long long)t.tv_sec,
		     diag_tag);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fflush(stdout);
	if (write(STDOUT_FILENO, line, n) != n)
		failed = true;
}

/* Record a failed check, with what was wrong. */
#define check(cond, ...) do {			\
	if (!(cond)) {				\
		failed = true;			\
		diag(__VA_ARGS__);		\
	}					\
} while (0)

/* Print the KTAP line of one test and reset the failure flag. */
static void ktap(const char *name)
{
	if (failed)
		ksft_test_result_fail("%s\n", name);
	else
		ksft_test_result_pass("%s\n", name);
	failed = false;
}

/* The greeting through @fe's node @name, and open_count @count; or why not. */
static bool greeting_reads_count(const struct hd_frontend *fe, const char *name,
				 long long count)
{
	char path[PATH_MAX];
	long long n;

	fmt_path(path, fe->node_fmt, name);
	if (!greeting_reads(path, HD_GREETING))
		return false;
	fmt_path(path, fe->count_fmt, name);
	n = read_count(path);
	if (n != count) {
		diag("%s: %lld, not %lld", path, n, count);
		return false;
	}
	return true;
}

/* The major:minor of node @name of @fe, or "" if it has none. */
static void dev_number(const struct hd_frontend *fe, const char *name,
		       char *buf, size_t size)
{
	char path[PATH_MAX];

	buf[0] = '\0';
	if (!fe->dev_fmt)
		return;
	fmt_path(path, fe->dev_fmt, name);
	if (read_file(path, buf, size) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * Load @fe as @name, read it, unload it and check nothing is left; the
 * device number must be @devnum unless that is empty. 0, or -1 with why.
 */
static int load_use_unload(const struct hd_frontend *fe, const char *name,
			   const char *devnum)
{
	char num[32];
	int err = mod_load_named(fe, name, "");

	if (err) {
		diag("%s: load failed: %s", name, strerror(-err));
		return -1;
	}
	dev_number(fe, name, num, sizeof(num));
	if (*devnum && strcmp(num, devnum)) {
		diag("%s: device number %s, not %s: one leaked", name, num,
		     devnum);
		err = -1;
	}
	if (!greeting_reads_count(fe, name, 1))
		err = -1;
	if (mod_unload(fe->mod)) {
		diag("%s: unload failed: %s", name, strerror(errno));
		err = -1;
	}
	if (!traces_are(fe, name, false, false))
		err = -1;
	return err;
}

/* The text of the first record of @k, or "" if it has none. */
static const char *first_text(const struct kmsg *k)
{
	return k->n ? k->rec[0].text : "";
}

/* fail-nth of this task: 0 means the fault asked for was injected. */
static int fail_nth_fd = -1;

static void fail_nth_set(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fail_nth_fd, buf, len, 0) != len)
		diag("fail-nth: cannot write %u: %s", n, strerror(errno));
}

static unsigned int fail_nth_get(void)
{
	char buf[16];
	ssize_t n = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoul(buf, NULL, 10);
}

/*
 * Load @fe as @name with the @nth fault-injection site of the call made to
 * fail. Return 0 or -errno; *@injected says whether a fault was injected
 * and *@sites how many sites the call passed.
 */
static int load_failing(const struct hd_frontend *fe, const char *name,
			unsigned int nth, bool *injected, unsigned int *sites)
{
	char params[64];
	unsigned int left;
	int fd, err;

	snprintf(params, sizeof(params), "name=%s", name);
	/* Open first: only finit_module() may meet the injected fault. */
	fd = open(fe->ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fail_nth_set(nth);
	err = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	left = fail_nth_get();
	fail_nth_set(0);
	close(fd);
	*injected = !left;
	*sites = nth - left;
	return err;
}

/**
 * struct sweep - what a fault-injection sweep of one frontend saw
 * @sites: fault-injection sites of a normal load
 * @low: lowest index injected
 * @loads: injected loads
 * @init_low: lowest index that failed in the init
 * @init_high: highest index that failed in the init
 * @step: per step: loads that failed in it, the lowest and the highest
 *	index at which it failed (0 if none)
 * @absorbed: loads that succeeded although a fault was injected
 * @absorbed_no_node: of those, loads whose node was missing
 * @loader_failed: loads that failed before the module's init ran
 */
struct sweep {
	unsigned int sites;
	unsigned int low;
	int loads;
	unsigned int init_low;
	unsigned int init_high;
	struct {
		int failed;
		unsigned int low;
		unsigned int high;
	} step[5];
	int absorbed;
	int absorbed_no_node;
	int loader_failed;
};

/* Which step of @fe failed, from its one error record @text. */
static int step_of(const struct hd_frontend *fe, const char *text)
{
	const struct init_steps *st = steps_of(fe);
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(st->step) && st->step[i].name; i++)
		if (strstr(text, st->step[i].ours))
			return i;
	return -1;
}

/*
 * A load whose fault was absorbed but that has no node in /dev: the device
 * must be registered whole, with the device number @devnum of a normal
 * load, and read the greeting through a node made by hand from its sysfs
 * "dev". device_add() ignores devtmpfs_create_node()'s -ENOMEM (the node's
 * name is allocated in the loading task, where fail-nth injects), so only
 * /dev's node can be missing; a debugfs file the module made must be there.
 */
static bool registered_without_node(const struct hd_frontend *fe,
				    const char *name, const char *devnum)
{
	const char *node = "/tmp/hdf_node";
	unsigned int major, minor;
	char now[32], buf[64];
	ssize_t n;

	dev_number(fe, name, now, sizeof(now));
	if (!*devnum || strcmp(now, devnum) ||
	    sscanf(now, "%u:%u", &major, &minor) != 2) {
		diag("%s: device number \"%s\", a normal load's \"%s\"", name,
		     now, devnum);
		return false;
	}
	unlink(node);
	if (mknod(node, S_IFCHR | 0400, makedev(major, minor))) {
		diag("mknod %s %s: %s", node, now, strerror(errno));
		return false;
	}
	n = read_file(node, buf, sizeof(buf));
	unlink(node);
	if (n != HD_GREETING_LEN || memcmp(buf, HD_GREETING, n)) {
		diag("%s (%s): read %zd \"%s\"", node, now, n, n > 0 ? buf : "");
		return false;
	}
	diag("%s: registered, no node in /dev (devtmpfs failed), %s reads", name,
	     now);
	return true;
}

/*
 * One injected load, index @nth: it fails with -ENOMEM in the module's
 * init (one error record naming the step, nothing left, a normal load
 * works right after), or before it, or the fault is absorbed and the load
 * works. Return 1 if it failed before the init ran, else 0.
 */
static int inject_one(const struct hd_frontend *fe, const char *name,
		      const char *devnum, unsigned int nth, struct kmsg *log,
		      struct sweep *s)
{
	const struct init_steps *st = steps_of(fe);
	char path[PATH_MAX];
	unsigned int sites;
	bool injected;
	int err, step;

	kmsg_forget(log, NULL);
	s->loads++;
	err = load_failing(fe, name, nth, &injected, &sites);
	kmsg_read(log);
	if (!err) {
		check(log->n == 1 && strstr(log->rec[0].text, "(init)"),
		      "%s #%u: loaded, but %zu records", name, nth, log->n);
		if (injected) {
			s->absorbed++;
			fmt_path(path, fe->node_fmt, name);
			if (exists(path)) {
				check(greeting_reads_count(fe, name, 1),
				      "%s #%u: loaded, does not read", name,
				      nth);
			} else {
				s->absorbed_no_node++;
				check(registered_without_node(fe, name, devnum),
				      "%s #%u: loaded without %s", name, nth,
				      path);
			}
		}
		check(!mod_unload(fe->mod), "%s #%u: unload: %s", name, nth,
		      strerror(errno));
		check(traces_are(fe, name, false, false), "%s #%u: after unload", name, nth);
		diag("#%u: %s", nth, injected ? "absorbed, the load worked" :
		     "nothing injected");
		return 0;
	}

	check(injected, "%s #%u: failed (%s) with no fault injected", name,
	      nth, strerror(-err));
	check(err == -ENOMEM, "%s #%u: failed with %s, not ENOMEM", name, nth,
	      strerror(-err));
	check(traces_are(fe, name, false, false), "%s #%u: after the failed load", name,
	      nth);
	if (!log->n) {
		s->loader_failed++;
		diag("#%u: %s before the init ran", nth, strerrorname_np(-err));
	} else {
		step = log->n == 1 ? step_of(fe, log->rec[0].text) : -1;
		check(step >= 0 && log->rec[0].level == LOG_ERR,
		      "%s #%u: want one error record naming the step, got %zu: \"%s\"",
		      name, nth, log->n, first_text(log));
		diag("#%u: %s in %s", nth, strerrorname_np(-err),
		     step >= 0 ? st->step[step].name : "?");
		if (step >= 0) {
			s->step[step].failed++;
			if (!s->step[step].low || nth < s->step[step].low)
				s->step[step].low = nth;
			if (nth > s->step[step].high)
				s->step[step].high = nth;
		}
		if (!s->init_low || nth < s->init_low)
			s->init_low = nth;
		if (nth > s->init_high)
			s->init_high = nth;
	}
	check(!load_use_unload(fe, name, devnum),
	      "%s #%u: a normal load right after failed", name, nth);
	return !log->n;
}

/*
 * The indices where step @i of @st must lie, with DRIFT to spare: the steps
 * run, and their sites come, in the order of the table, so it lies between
 * the last failure of the steps before it and the first of those after it.
 */
static void step_window(const struct init_steps *st, const struct sweep *s,
			int i, unsigned int *lo, unsigned int *hi)
{
	int j;

	*lo = s->init_low;
	*hi = s->init_high;
	for (j = 0; j < i; j++)
		if (s->step[j].high > *lo)
			*lo = s->step[j].high;
	for (j = i + 1; j < (int)ARRAY_SIZE(st->step) && st->step[j].name; j++)
		if (s->step[j].low && s->step[j].low < *hi)
			*hi = s->step[j].low;
	if (*lo > *hi) {
		*lo = s->init_low;
		*hi = s->init_high;
	}
	*lo = *lo > DRIFT ? *lo - DRIFT : 1;
	*hi += DRIFT;
}

/*
 * Make each fault-injection site of a load of @fe fail in turn, from the
 * last down to the module loader's sites just before the init: those of
 * the init itself, and those after it. The loader's earlier sites are the
 * kernel's (vmalloc failures there print a warn_alloc() backtrace by
 * design), so the sweep stops LOADER_MARGIN indices into the loader.
 */
static void sweep_frontend(const struct hd_frontend *fe, struct sweep *s)
{
	const struct init_steps *st = steps_of(fe);
	char name[32], devnum[32];
	unsigned int nth, lo, hi, stop = 0;
	struct kmsg log;
	int err, i, pass, missing;
	bool injected;

	memset(s, 0, sizeof(*s));
	snprintf(name, sizeof(name), "hdf_%s", fe->tag);
	kmsg_open(&log, fe->mod, name);
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd < 0) {
		check(0, "fail-nth: %s", strerror(errno));
		return;
	}

	/* A normal load: how many sites it passes, its device number. */
	err = load_failing(fe, name, FAIL_NTH_BIG, &injected, &s->sites);
	check(!err && !injected, "%s: normal load: %s", name, strerror(-err));
	if (err)
		return;
	dev_number(fe, name, devnum, sizeof(devnum));
	check(greeting_reads_count(fe, name, 1), "%s: normal load", name);
	check(!mod_unload(fe->mod), "%s: unload: %s", name, strerror(errno));
	check(traces_are(fe, name, false, false), "%s: after unload", name);
	diag("%s: a normal load passes %u fault-injection sites%s%s", name,
	     s->sites, *devnum ? ", device " : "", devnum);
	if (failed)
		return;

	for (nth = s->sites + 1; nth >= 1 && (!stop || nth >= stop); nth--) {
		if (inject_one(fe, name, devnum, nth, &log, s) && !stop)
			stop = nth > LOADER_MARGIN ? nth - LOADER_MARGIN : 1;
		/*
		 * Where no load fails before the init (drift, or the loader's
		 * last sites are ones it absorbs), the loader's earlier sites
		 * are absorbed ones too (section and notes attributes),
		 * hundreds of them: stop two margins below the init.
		 */
		if (!stop && s->init_low && nth + 2 * LOADER_MARGIN <= s->init_low)
			stop = nth;
		s->low = nth;
		if (failed)
			break;
	}

	/*
	 * Other CPUs' work shifts the numbering of a load by a site or two
	 * now and then (per-CPU preload pools, the debug objects pool), so a
	 * step with one site of its own can be missed. Sweep again where each
	 * such step must be.
	 */
	for (pass = 0; pass < RESWEEP_PASSES && !failed && s->init_high; pass++) {
		missing = 0;
		for (i = 0; i < (int)ARRAY_SIZE(st->step) && st->step[i].name &&
		     !failed; i++) {
			if (s->step[i].failed)
				continue;
			missing++;
			step_window(st, s, i, &lo, &hi);
			diag("%s: %s never failed: sweeping %u..%u again", name,
			     st->step[i].name, lo, hi);
			for (nth = hi; nth >= lo && !failed; nth--)
				inject_one(fe, name, devnum, nth, &log, s);
		}
		if (!missing)
			break;
	}
	/* A lower init failure found again: sweep on below it. */
	for (nth = s->low - 1; nth >= 1 && !failed && !s->loader_failed &&
	     nth + 2 * LOADER_MARGIN > s->init_low; nth--) {
		inject_one(fe, name, devnum, nth, &log, s);
		s->low = nth;
	}
	close(fail_nth_fd);
	kmsg_close(&log);

	diag("%s: %d loads injected at sites %u..%u: %d absorbed%s, %d failed before init",
	     name, s->loads, s->low, s->sites, s->absorbed,
	     s->absorbed_no_node ? " (some left no node)" : "",
	     s->loader_failed);
	for (i = 0; i < (int)ARRAY_SIZE(st->step) && st->step[i].name; i++) {
		diag("%s: %d loads failed with ENOMEM in %s", name,
		     s->step[i].failed, st->step[i].name);
		check(s->step[i].failed > 0, "%s: %s never failed", name,
		      st->step[i].name);
	}
	/*
	 * The sweep must have covered the init's first allocation: a load
	 * failed before the init, or none of the 2 * LOADER_MARGIN sites
	 * below the lowest init failure failed in the init.
	 */
	if (s->loader_failed)
		diag("%s: the sweep reached the module loader", name);
	else
		diag("%s: no init failure in the %u sites below the init",
		     name, s->init_low - s->low);
	check(s->init_low && (s->loader_failed ||
			      s->low + 2 * LOADER_MARGIN <= s->init_low),
	      "%s: the sweep never got below the init", name);
}

/* Load/unload cycles per module, and in the current run of them. */
static int cycles = CYCLES;
static int cycles_now;

/* Run @fn(@fe) in a child on CPU @cpu; return the child's pid. */
static pid_t spawn(const char *test, void (*fn)(const struct hd_frontend *),
		   const struct hd_frontend *fe, size_t cpu)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char name[64];
	cpu_set_t set;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid)
		return pid;
	/* Per-CPU caches then change less between loads. */
	CPU_ZERO(&set);
	CPU_SET(cpu % (cpus > 0 ? cpus : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
	snprintf(name, sizeof(name), "%s.%s: ", test, fe->tag);
	diag_tag = name;
	fn(fe);
	_exit(failed ? 1 : 0);
}

/*
 * Run @fn(@fe) for every frontend at once, each in a child on a CPU of its
 * own where there are enough (every unload waits 2 to 8 s for
 * DEBUG_KOBJECT_RELEASE, so one after the other would take three times as
 * long), but each Rust twin after its C twin (@twin): the misc twins take
 * minors of the misc major, the cdev twins majors of the same dynamic
 * range, and each checks that a reload gets its number back (the debugfs
 * twins share nothing, and follow the same rule). @ok[i] is cleared if
 * frontend i failed.
 */
static void run_per_frontend(const char *test, void (*fn)(const struct hd_frontend *),
			     bool *ok)
{
	size_t i, k, after[ARRAY_SIZE(frontends)];
	pid_t pid[ARRAY_SIZE(frontends)];
	int status;

	for (i = 0; i < n_frontends; i++) {
		pid[i] = -1;
		after[i] = n_frontends;
		for (k = 0; k < i; k++)
			if (frontends[k] == frontends[i]->twin)
				after[i] = k;
		if (after[i] == n_frontends)
			pid[i] = spawn(test, fn, frontends[i], i);
	}
	for (i = 0; i < n_frontends; i++) {
		if (pid[i] != -1 &&
		    (waitpid(pid[i], &status, 0) != pid[i] ||
		     !WIFEXITED(status) || WEXITSTATUS(status)))
			ok[i] = false;
		/* The twins of frontend i, later in the list, now. */
		for (k = i + 1; k < n_frontends; k++)
			if (after[k] == i)
				pid[k] = spawn(test, fn, frontends[k], i);
	}
}

/* One KTAP line per frontend: "@test.<tag>". */
static void ktap_per_frontend(const char *test, const bool *ok)
{
	char name[64];
	size_t i;

	for (i = 0; i < n_frontends; i++) {
		snprintf(name, sizeof(name), "%s.%s", test, frontends[i]->tag);
		check(ok[i], "%s failed", name);
		ktap(name);
	}
}

static void fault_injection(const struct hd_frontend *fe)
{
	struct sweep s;

	sweep_frontend(fe, &s);
}

static void cycle_frontend(const struct hd_frontend *fe)
{
	char name[32], devnum[32];
	int i, err, bad = 0;

	snprintf(name, sizeof(name), "hdc_%s", fe->tag);
	err = mod_load_named(fe, name, "");
	if (err) {
		check(0, "%s: first load: %s", name, strerror(-err));
		return;
	}
	dev_number(fe, name, devnum, sizeof(devnum));
	check(greeting_reads_count(fe, name, 1), "%s: first cycle", name);
	check(!mod_unload(fe->mod), "%s: unload: %s", name, strerror(errno));
	check(traces_are(fe, name, false, false), "%s: after the first cycle", name);
	for (i = 1; i < cycles_now && bad < 3; i++) {
		bad += !!load_use_unload(fe, name, devnum);
		if (!((i + 1) % 10))
			diag("%d cycles", i + 1);
	}
	check(!bad, "%s: %d of %d cycles went wrong", name, bad, i);
	diag("%s: %d load/read/unload cycles", name, i);
}

/*
 * fail-nth counts every slab allocation (failslab, which by default skips
 * those that may sleep), quietly. Page allocations are left out (a
 * min-order above the largest order): in the module's init they happen only
 * inside slab refills, which fail as the slab allocation does, and counting
 * them would shift the numbering from one load to the next.
 */
static bool fault_setup(void)
{
	static const char *const settings[][2] = {
		{ HD_DEBUGFS "/failslab/ignore-gfp-wait", "N" },
		{ HD_DEBUGFS "/failslab/cache-filter", "N" },
		{ HD_DEBUGFS "/failslab/verbose", "0" },
		{ HD_DEBUGFS "/fail_page_alloc/min-order", "11" },
		{ HD_DEBUGFS "/fail_page_alloc/verbose", "0" },
	};
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		err = write_file(settings[i][0], settings[i][1]);
		check(!err, "%s: %s", settings[i][0], strerror(-err));
	}
	return !failed;
}

/* Scan twice (a new object is reported on its second scan) and report. */
static void kmemleak_clean(void)
{
	char buf[4096], *l;
	ssize_t n;
	int i, err;

	sleep(KMEMLEAK_AGE_S);
	for (i = 0; i < 2; i++) {
		err = write_file(KMEMLEAK, "scan");
		check(!err, "%s: scan: %s", KMEMLEAK, strerror(-err));
	}
	n = read_file(KMEMLEAK, buf, sizeof(buf));
	check(n == 0, "kmemleak: %s", n < 0 ? strerror(-n) : "leaks found:");
	if (n > 0) {
		for (l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			diag("%s", l);
		write_file(KMEMLEAK, "clear");
	}
}

/**
 * struct mem - slab and vmalloc use
 * @n: caches in @cache and @active
 * @cache: name of each slab cache
 * @active: its active objects
 * @slab_kb: Slab from /proc/meminfo
 * @vmalloc_kb: VmallocUsed from /proc/meminfo
 * @percpu_kb: Percpu from /proc/meminfo
 * @odebug_used: ODEBUG's objects in use (odebug_used()), or -1
 */
struct mem {
	int n;
	char cache[256][32];
	long active[256];
	long slab_kb;
	long vmalloc_kb;
	long percpu_kb;
	long odebug_used;
};

/*
 * ODEBUG's objects in use, from its stats; -1 without them. Shown, not
 * checked: debug_objects_cache is checked as every cache is, by its slab
 * count, which also holds ODEBUG's pool of free objects.
 */
static long odebug_used(void)
{
	char line[128];
	long used = -1, n;
	FILE *f;

	f = fopen("/sys/kernel/debug/debug_objects/stats", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "pool_used : %ld", &n) == 1)
			used = n;
	if (f)
		fclose(f);
	return used;
}

/* Flush per-CPU slabs and the KASAN quarantine, then read the counters. */
static void mem_read(struct mem *m)
{
	char line[512], path[PATH_MAX], name[64];
	long active, kb;
	FILE *f;
	int i;

	memset(m, 0, sizeof(*m));
	f = fopen("/proc/slabinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", name, &active) != 2 ||
		    line[0] == '#' || m->n == (int)ARRAY_SIZE(m->cache))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 name);
		write_file(path, "1");
	}
	if (f)
		fclose(f);
	f = fopen("/proc/slabinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		i = m->n;
		if (i < (int)ARRAY_SIZE(m->cache) && line[0] != '#' &&
		    sscanf(line, "%31s %ld", m->cache[i], &m->active[i]) == 2)
			m->n++;
	}
	if (f)
		fclose(f);
	m->odebug_used = odebug_used();
	f = fopen("/proc/meminfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			m->slab_kb = kb;
		if (sscanf(line, "VmallocUsed: %ld kB", &kb) == 1)
			m->vmalloc_kb = kb;
		if (sscanf(line, "Percpu: %ld kB", &kb) == 1)
			m->percpu_kb = kb;
	}
	if (f)
		fclose(f);
}

/* Active objects of every cache. */
static long mem_objects(const struct mem *m)
{
	long sum = 0;
	int i;

	for (i = 0; i < m->n; i++)
		sum += m->active[i];
	return sum;
}

/*
 * Read the counters once what the cycles freed late has gone: RCU
 * callbacks, delayed kobject releases and work. On a guest its host starves
 * that takes longer than the sleep before; a cache then seemed to grow by
 * what was still in flight. Read again 2 s apart while the objects still
 * fall, for at most 30 s.
 */
static void mem_read_settled(struct mem *m)
{
	long before, after;
	int i;

	mem_read(m);
	after = mem_objects(m);
	for (i = 0; i < 15; i++) {
		sleep(2);
		before = after;
		mem_read(m);
		after = mem_objects(m);
		if (after >= before)
			break;
		diag("objects still falling: %ld -> %ld", before, after);
	}
}

/*
 * The counters as mem_read_settled() gives them, each the lowest of
 * MEM_READS readings 2 s apart: objects in flight at one reading (a file
 * still being freed, an RCU callback not yet run) are gone at another,
 * while a leak is in every one.
 */
static void mem_read_low(struct mem *m)
{
	static struct mem t;
	int r, i, j;

	mem_read_settled(m);
	for (r = 1; r < MEM_READS; r++) {
		sleep(2);
		mem_read(&t);
		for (i = 0; i < m->n; i++) {
			for (j = 0; j < t.n && strcmp(t.cache[j], m->cache[i]); j++)
				;
			if (j < t.n && t.active[j] < m->active[i])
				m->active[i] = t.active[j];
		}
		if (t.vmalloc_kb < m->vmalloc_kb)
			m->vmalloc_kb = t.vmalloc_kb;
		if (t.percpu_kb < m->percpu_kb)
			m->percpu_kb = t.percpu_kb;
		if (t.odebug_used < m->odebug_used)
			m->odebug_used = t.odebug_used;
	}
}

/* Growth of cache @i of @b since @a, in objects. */
static long grew(const struct mem *a, const struct mem *b, int i)
{
	int j;

	for (j = 0; j < a->n && strcmp(a->cache[j], b->cache[i]); j++)
		;
	return b->active[i] - (j < a->n ? a->active[j] : 0);
}

/*
 * The counters before (@m[0]), between (@m[1]) and after (@m[2]) the two
 * halves of the cycles: no cache may grow by 2 * SLAB_GROWTH_MAX objects
 * over both halves (so neither by SLAB_GROWTH_MAX in each), nor vmalloc or
 * per-CPU space by SPACE_GROWTH_MAX_KB in either. kmemleak_object counts
 * every object kmemleak tracks, those of no slab cache too
 * (kmalloc_large(), per-CPU): it is checked as the others.
 */
static void mem_compare(const struct mem *m)
{
	long g1, g2;
	int i, k;

	diag("Slab %ld -> %ld -> %ld kB, VmallocUsed %ld -> %ld -> %ld kB",
	     m[0].slab_kb, m[1].slab_kb, m[2].slab_kb, m[0].vmalloc_kb,
	     m[1].vmalloc_kb, m[2].vmalloc_kb);
	diag("Percpu %ld -> %ld -> %ld kB", m[0].percpu_kb, m[1].percpu_kb,
	     m[2].percpu_kb);
	if (m[0].odebug_used >= 0)
		diag("ODEBUG objects in use %ld -> %ld -> %ld", m[0].odebug_used,
		     m[1].odebug_used, m[2].odebug_used);
	for (i = 0; i < m[2].n; i++) {
		for (k = 0; k < m[1].n && strcmp(m[1].cache[k], m[2].cache[i]); k++)
			;
		g1 = k < m[1].n ? grew(&m[0], &m[1], k) : 0;
		g2 = grew(&m[1], &m[2], i);
		if (g1 > 0 || g2 > 0)
			diag("  %s: %+ld, %+ld objects", m[2].cache[i], g1, g2);
		check(g1 + g2 < 2 * SLAB_GROWTH_MAX,
		      "%s grew by %ld and %ld objects", m[2].cache[i], g1, g2);
	}
	for (i = 1; i < 3; i++) {
		check(m[i].vmalloc_kb - m[i - 1].vmalloc_kb <= SPACE_GROWTH_MAX_KB,
		      "vmalloc grew by %ld kB",
		      m[i].vmalloc_kb - m[i - 1].vmalloc_kb);
		check(m[i].percpu_kb - m[i - 1].percpu_kb <= SPACE_GROWTH_MAX_KB,
		      "per-CPU space grew by %ld kB",
		      m[i].percpu_kb - m[i - 1].percpu_kb);
	}
}

/* Unload every frontend that a previous step left loaded. */
static void unload_all(void)
{
	size_t i;

	for (i = 0; i < n_frontends; i++)
		if (!mod_unload(frontends[i]->mod))
			mod_wait_gone(frontends[i]->mod, GONE_TIMEOUT_MS);
}

/*
 * Lockdown, last: it cannot be lowered, and at integrity it refuses
 * unsigned modules and debugfs files that could be written (kmemleak's).
 */
static void test_lockdown(void)
{
	char buf[128], path[PATH_MAX], name[32];
	struct kmsg log;
	size_t i;
	int fd, err;

	unload_all();
	for (i = 0; i < n_frontends; i++) {
		snprintf(name, sizeof(name), "hdl_%s", frontends[i]->tag);
		err = mod_load_named(frontends[i], name, "");
		check(!err, "load %s: %s", name, strerror(-err));
	}
	/* Every record: lockdown's are the kernel's, not a module's. */
	check(!kmsg_open(&log, NULL, NULL), "/dev/kmsg: %s", strerror(errno));
	check(read_file(LOCKDOWN, buf, sizeof(buf)) > 0 &&
	      !strcmp(buf, "[none] integrity confidentiality\n"),
	      "%s reads \"%s\"", LOCKDOWN, buf);
	err = write_file(LOCKDOWN, "integrity");
	check(!err, "raise to integrity: %s", strerror(-err));
	check(read_file(LOCKDOWN, buf, sizeof(buf)) > 0 &&
	      !strcmp(buf, "none [integrity] confidentiality\n"),
	      "%s reads \"%s\"", LOCKDOWN, buf);
	kmsg_read(&log);
	check(kmsg_has(&log, "Kernel is locked down from securityfs"),
	      "no \"Kernel is locked down\" record");
	ktap("lockdown.raised_to_integrity_with_the_modules_loaded");

	/* A 0400 file with no ioctl or mmap, opened read-only, is allowed. */
	for (i = 0; i < n_frontends; i++) {
		snprintf(name, sizeof(name), "hdl_%s", frontends[i]->tag);
		check(greeting_reads_count(frontends[i], name, 1), "%s", name);
	}
	kmsg_forget(&log, NULL);
	check(!kmsg_has(&log, "Lockdown: "), "reading was refused");
	ktap("lockdown.greetings_and_open_counts_still_read");

	/* Each debugfs frontend's file, as root, read-write: refused. */
	for (i = 0; i < n_frontends; i++) {
		if (frontends[i]->node_type != S_IFREG)
			continue;
		snprintf(name, sizeof(name), "hdl_%s", frontends[i]->tag);
		fmt_path(path, frontends[i]->node_fmt, name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		check(fd < 0 && errno == EPERM, "open %s O_RDWR: %s", path,
		      fd < 0 ? strerror(errno) : "allowed");
		if (fd >= 0)
			close(fd);
	}
	err = read_file(KMEMLEAK, buf, sizeof(buf));
	check(err == -EPERM, "read %s: %s", KMEMLEAK,
	      err < 0 ? strerror(-err) : "allowed");
	kmsg_read(&log);
	check(kmsg_has(&log, "Lockdown: ") &&
	      kmsg_has(&log, "debugfs access is restricted"),
	      "no \"debugfs access is restricted\" record");
	check(!mod_unload(fe_misc.mod) && mod_wait_gone(fe_misc.mod, GONE_TIMEOUT_MS),
	      "unload %s under lockdown", fe_misc.mod);
	err = mod_load_named(&fe_misc, "hdl_misc", "");
	check(err == -EPERM, "load of an unsigned module: %s",
	      err ? strerror(-err) : "allowed");
	kmsg_read(&log);
	check(kmsg_has(&log, "unsigned module loading is restricted"),
	      "no \"unsigned module loading is restricted\" record");
	for (i = 0; i < log.n; i++)
		if (strstr(log.rec[i].text, "Lockdown: "))
			diag("log: %s", log.rec[i].text);
	ktap("lockdown.refusals_are_refused_and_logged");

	err = write_file(LOCKDOWN, "none");
	check(err == -EPERM, "lower to none: %s", err ? strerror(-err) : "allowed");
	check(read_file(LOCKDOWN, buf, sizeof(buf)) > 0 &&
	      !strcmp(buf, "none [integrity] confidentiality\n"),
	      "%s reads \"%s\"", LOCKDOWN, buf);
	for (i = 1; i < n_frontends; i++) {
		snprintf(name, sizeof(name), "hdl_%s", frontends[i]->tag);
		check(!mod_unload(frontends[i]->mod), "unload %s: %s",
		      frontends[i]->mod, strerror(errno));
		check(traces_are(frontends[i], name, false, false), "%s after unload", name);
	}
	ktap("lockdown.cannot_be_lowered_and_modules_still_unload");
	kmsg_close(&log);
}

/* Every frontend passed, until one fails. */
static void all_ok(bool *ok)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(frontends); i++)
		ok[i] = true;
}

/* Fault injection over every init, watched by kmemleak. */
static int run_faults(void)
{
	bool ok[ARRAY_SIZE(frontends)];

	all_ok(ok);
	ksft_print_header();
	ksft_set_plan(2 + n_frontends);
	unload_all();
	kmemleak_clean();
	ktap("kmemleak_clean_after_boot");
	/* A failed set-up fails every sweep: they see "failed" set. */
	fault_setup();
	run_per_frontend("fault_injection", fault_injection, ok);
	ktap_per_frontend("fault_injection", ok);
	kmemleak_clean();
	ktap("kmemleak_clean_after_fault_injection");
	ksft_finished();
}

/*
 * Load/unload cycles in two halves, watched by kmemleak and the slab and
 * vmalloc counters (read after delayed kobject releases, up to 8 s, and
 * RCU are done).
 */
static int run_cycles(void)
{
	bool ok[ARRAY_SIZE(frontends)];
	struct mem m[3];
	int half;

	all_ok(ok);
	ksft_print_header();
	ksft_set_plan(3 + n_frontends);
	unload_all();
	kmemleak_clean();
	ktap("kmemleak_clean_after_boot");
	/*
	 * What a first load and unload leave cached for good (sysfs and
	 * proc dentries and inodes, kernfs nodes) is no leak: in step with
	 * the cycles it is not, and it would fill the first half alone.
	 */
	cycles_now = WARMUP_CYCLES;
	run_per_frontend("cycles", cycle_frontend, ok);
	sleep(2 * KMEMLEAK_AGE_S);
	mem_read_low(&m[0]);
	cycles_now = cycles / 2;
	for (half = 1; half <= 2; half++) {
		run_per_frontend("cycles", cycle_frontend, ok);
		sleep(2 * KMEMLEAK_AGE_S);
		mem_read_low(&m[half]);
	}
	ktap_per_frontend("cycles", ok);
	mem_compare(m);
	ktap("no_slab_or_vmalloc_growth_in_step_with_the_cycles");
	kmemleak_clean();
	ktap("kmemleak_clean_after_the_cycles");
	ksft_finished();
}

/*
 * After (a part of) the conformance suite: a KTAP plan of @tests, then
 * kmemleak, its first test.
 */
static void after_suite(int tests)
{
	ksft_print_header();
	ksft_set_plan(tests);
	unload_all();
	kmemleak_clean();
	ktap("kmemleak_clean_after_the_conformance_suite");
}

/* After a part of the conformance suite: kmemleak. */
static int run_kmemleak(void)
{
	after_suite(1);
	ksft_finished();
}

/* After the conformance suite: kmemleak, then lockdown, which ends it. */
static int run_lockdown(void)
{
	after_suite(5);
	test_lockdown();
	ksft_finished();
}

/*
 * debugfs=off: debugfs_create_dir() returns -EPERM, and each debugfs
 * frontend, which exists for its file, refuses to load with that errno
 * and one line. The other frontends do not use debugfs.
 */
static int run_debugfs_off(void)
{
	const struct hd_frontend *fe;
	char name[64];
	struct kmsg log;
	size_t i, j;
	int err;

	ksft_print_header();
	ksft_set_plan(1 + n_frontends);
	check(!exists(HD_DEBUGFS), "%s exists", HD_DEBUGFS);
	check(!file_has_word("/proc/filesystems", "debugfs"),
	      "debugfs is registered");
	ktap("debugfs_off.debugfs_is_not_there");

	for (i = 0; i < n_frontends; i++) {
		fe = frontends[i];
		if (fe->node_type != S_IFREG) {
			check(!load_use_unload(fe, fe->mod, ""), "%s", fe->mod);
			snprintf(name, sizeof(name), "debugfs_off.%s_works",
				 fe->tag);
			ktap(name);
			continue;
		}
		kmsg_open(&log, fe->mod, NULL);
		for (j = 0; j < 2; j++) {
			kmsg_forget(&log, NULL);
			err = mod_load_named(fe, fe->mod, "");
			check(err == -EPERM, "%s: load: %s", fe->mod,
			      err ? strerror(-err) : "loaded");
			kmsg_read(&log);
			check(log.n == 1 && log.rec[0].level == LOG_ERR &&
			      strstr(log.rec[0].text, "cannot create debugfs directory") &&
			      strstr(log.rec[0].text, "(-1)"),
			      "%s: want one error record, got %zu: \"%s\"",
			      fe->mod, log.n, first_text(&log));
			check(traces_are(fe, fe->mod, false, false),
			      "%s after the load", fe->mod);
		}
		kmsg_close(&log);
		snprintf(name, sizeof(name),
			 "debugfs_off.%s_fails_cleanly_with_eperm", fe->tag);
		ktap(name);
	}
	ksft_finished();
}

/*
 * Keep the frontends whose tags @list names, comma-separated, or all if it
 * is "all"; false if it names one that is not here.
 */
static bool select_frontends(const char *list)
{
	const struct hd_frontend *fe;
	char copy[64], *tag, *save;
	size_t i, n = 0;

	if (!strcmp(list, "all"))
		return true;
	snprintf(copy, sizeof(copy), "%s", list);
	for (tag = strtok_r(copy, ",", &save); tag;
	     tag = strtok_r(NULL, ",", &save)) {
		for (i = n; i < n_frontends && strcmp(frontends[i]->tag, tag); i++)
			;
		if (i == n_frontends) {
			fprintf(stderr, "hellodev_fault: no frontend %s here, or named twice\n",
				tag);
			return false;
		}
		/* Move it to the front, in the list's order. */
		fe = frontends[n];
		frontends[n++] = frontends[i];
		frontends[i] = fe;
	}
	n_frontends = n;
	return n > 0;
}

int main(int argc, char **argv)
{
	n_frontends = frontends_here(frontends);
	hd_diag = diag;
	hd_gone_timeout_ms = GONE_TIMEOUT_MS;
	if (geteuid()) {
		fprintf(stderr, "hellodev_fault: run as root\n");
		return 2;
	}
	if (argc >= 3 && !select_frontends(argv[2]))
		return 2;
	if (argc >= 4)
		cycles = atoi(argv[3]);
	if (argc >= 2 && !strcmp(argv[1], "faults"))
		return run_faults();
	if (argc >= 2 && !strcmp(argv[1], "cycles"))
		return run_cycles();
	if (argc == 2 && !strcmp(argv[1], "kmemleak"))
		return run_kmemleak();
	if (argc == 2 && !strcmp(argv[1], "lockdown"))
		return run_lockdown();
	if (argc == 2 && !strcmp(argv[1], "debugfs-off"))
		return run_debugfs_off();
	fputs("usage: hellodev_fault faults|cycles [all|FRONTEND,... [CYCLES]] |\n"
	      "                      kmemleak | lockdown | debugfs-off\n",
	      stderr);
	return 2;
}
