// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev read-latency benchmark, run inside the VM by scripts/bench.sh.
 * Loads each frontend with finit_module(2), times pread, open + read to end
 * of file + close and concurrent readers against /dev/zero and /dev/null,
 * counts allocations per open and per read with the kmem tracepoints, and
 * prints every figure as one JSON object on stdout; progress goes to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <time.h>
#include <unistd.h>

#include "hellodev_lib.h"

#define TEXT_MAX	4096	/* greeting of 4095 bytes and its newline */
#define TRACEFS		"/sys/kernel/tracing"
#define MAX_GROUPS	256
#define MAX_ALLOCS	32
#define MAX_SITES	16
#define GONE_MS		2000

/**
 * struct target - something to read: a hellodev frontend or a baseline
 * @name: name in the results
 * @fe: the frontend, from the tests' table (its module and node), or NULL
 * @mod: module that provides it, if not a frontend's; NULL for a baseline
 * @path: the node, if not a frontend's
 * @read_sym: a function of the module that reads, in /proc/kallsyms: the
 *	whole name, or for Rust, whose names are mangled, a part of it (the
 *	length and the name of its last component, as v0 mangling writes it)
 * @rust: the module is written in Rust
 * @proxy: load the module with full_proxy=1 (debugfs only)
 * @zero: reads return as many bytes as asked, all zero
 * @null: reads return 0
 */
struct target {
	const char *name;
	const struct hd_frontend *fe;
	const char *mod;
	const char *path;
	const char *read_sym;
	bool rust;
	bool proxy;
	bool zero;
	bool null;
};

enum {
	T_MISC, T_CDEV, T_DEBUGFS, T_PROXY, T_RUST, T_RUST_KMISC, T_RUST_CDEV,
	T_RUST_DEBUGFS, T_RUST_PROXY, T_ZERO, T_NULL, T_COUNT
};

static const struct target targets[T_COUNT] = {
	[T_MISC] = { "misc", &fe_misc, .read_sym = "hellodev_read" },
	[T_CDEV] = { "cdev", &fe_cdev, .read_sym = "hellodev_read" },
	[T_DEBUGFS] = { "debugfs", &fe_debugfs, .read_sym = "hellodev_read" },
	[T_PROXY] = { "debugfs_proxy", &fe_debugfs, .read_sym = "hellodev_read",
		      .proxy = true },
	/* The Rust twin, on a kernel with Rust: rust/miscdevice.rs's .read. */
	[T_RUST] = { "rust", &fe_rust, .read_sym = "4read", .rust = true },
	/* The Rust core on the kernel's kernel::miscdevice (bench/Kbuild). */
	[T_RUST_KMISC] = { "rust_kmisc", NULL, "hellodev_rust_kmisc",
			   "/dev/hellodev_rust_kmisc", "9read_iter",
			   .rust = true },
	/* The other Rust twins: rust/file_ops.rs's .read, as the misc one. */
	[T_RUST_CDEV] = { "rust_cdev", &fe_rust_cdev, .read_sym = "4read",
			  .rust = true },
	[T_RUST_DEBUGFS] = { "rust_debugfs", &fe_rust_debugfs,
			     .read_sym = "4read", .rust = true },
	[T_RUST_PROXY] = { "rust_debugfs_proxy", &fe_rust_debugfs,
			   .read_sym = "4read", .rust = true, .proxy = true },
	[T_ZERO] = { "zero", .path = "/dev/zero", .zero = true },
	[T_NULL] = { "null", .path = "/dev/null", .null = true },
};

/* The module that provides @t, or NULL for a baseline. */
static const char *mod_of(const struct target *t)
{
	return t->fe ? t->fe->mod : t->mod;
}

static const size_t sizes[] = { 13, 256, TEXT_MAX };

/**
 * struct group - the samples of one figure of one target
 * @target: index in targets[]
 * @figure: "pread", "orc" (open, read to end of file, close, by full path),
 *	"orc_at" (the same with openat() on a directory fd) or "scale1",
 *	"scale2own", "scale2shared" (pread calls per second)
 * @size: bytes each read asks for, which is the length of the text
 * @log: the module was loaded with log_opens=1
 * @v: one value per batch: ns per call, or calls per second
 * @n: values in @v
 * @calls: calls made, warm-up included
 * @bad_ret: calls that did not return what they must
 * @bad_text: batches after which the buffer did not hold the text
 */
struct group {
	int target;
	const char *figure;
	size_t size;
	int log;
	double *v;
	int n;
	long calls;
	long bad_ret;
	long bad_text;
};

static struct group groups[MAX_GROUPS];
static int ngroups;

/**
 * struct alloc_site - allocations from one call site during an alloc run
 * @event: tracepoint name
 * @sym: call site symbol, as the hist trigger prints it
 * @n: allocations
 */
struct alloc_site {
	const char *event;
	char sym[64];
	long n;
};

/* Allocation tracepoints; mm_page_alloc has no call site. */
static const struct alloc_event {
	const char *sys;
	const char *name;
	bool site;
} alloc_events[] = {
	{ "kmem", "kmalloc", true },
	{ "kmem", "kmem_cache_alloc", true },
	{ "percpu", "percpu_alloc_percpu", true },
	{ "kmem", "mm_page_alloc", false },
};

#define NEVENTS	ARRAY_SIZE(alloc_events)

/**
 * struct alloc_result - allocations seen while one process did @ops ops
 * @target: index in targets[]
 * @op: "open" (open + close) or "read" (pread of the whole text)
 * @ops: operations done
 * @total: per event, allocations made by the process doing the ops
 * @module: per event, allocations from a call site in a hellodev module,
 *	whatever the process
 * @sites: call sites of @total, most frequent first
 * @nsites: entries in @sites
 */
struct alloc_result {
	int target;
	const char *op;
	long ops;
	long total[NEVENTS];
	long module[NEVENTS];
	struct alloc_site sites[MAX_SITES];
	int nsites;
};

static struct alloc_result allocs[MAX_ALLOCS];
static int nallocs;

/* Iteration counts; -q divides them for the smoke run. */
static struct {
	int rounds;
	int batches;
	long pread_calls;
	long open_calls;
	long warmup;
	long scale_calls;
	long alloc_ops;
	long settle_ms;
} opt = {
	.rounds = 3,
	.batches = 5,
	.pread_calls = 2000,
	.open_calls = 300,
	.warmup = 200,
	.scale_calls = 20000,
	.alloc_ops = 1000,
	.settle_ms = 20,
};

static char errors[4096];
static int nerrors;
/* Modules whose hellodev_read was found inside their attributed range. */
static int ranges_checked, ranges_bad;

static void progress(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Record a failure: it goes to stderr and into the JSON "errors" list. */
static void record_error(const char *fmt, ...)
{
	size_t len = strlen(errors);
	va_list ap;

	va_start(ap, fmt);
	if (len + 2 < sizeof(errors)) {
		if (len)
			errors[len++] = '\n';
		vsnprintf(errors + len, sizeof(errors) - len, fmt, ap);
	}
	va_end(ap);
	fprintf(stderr, "bench: error: %s\n", errors + len);
	nerrors++;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, "bench: out of memory\n");
		exit(2);
	}
	return p;
}

/* A read buffer of TEXT_MAX bytes on a cache line of its own. */
static char *xmalloc_buf(void)
{
	char *p = aligned_alloc(64, TEXT_MAX);

	if (!p) {
		fprintf(stderr, "bench: out of memory\n");
		exit(2);
	}
	return p;
}

static struct group *group_get(int target, const char *figure, size_t size,
			       int log)
{
	struct group *g;
	int i;

	for (i = 0; i < ngroups; i++) {
		g = &groups[i];
		if (g->target == target && !strcmp(g->figure, figure) &&
		    g->size == size && g->log == log)
			return g;
	}
	if (ngroups == MAX_GROUPS) {
		fprintf(stderr, "bench: too many figures\n");
		exit(2);
	}
	g = &groups[ngroups++];
	g->target = target;
	g->figure = figure;
	g->size = size;
	g->log = log;
	g->v = xmalloc(sizeof(*g->v) * opt.rounds * opt.batches);
	return g;
}

static void group_add(struct group *g, double v)
{
	if (g->n < opt.rounds * opt.batches)
		g->v[g->n++] = v;
}

/* The text a module loaded for reads of @size bytes returns. */
static void make_text(char *text, size_t size)
{
	size_t i;

	if (size == sizeof(HD_GREETING) - 1) {
		memcpy(text, HD_GREETING, size);
		return;
	}
	for (i = 0; i + 1 < size; i++)
		text[i] = 'a' + i % 26;
	text[size - 1] = '\n';
}

/* Unload @mod, if loaded, and wait until it is gone. */
static void unload(const char *mod)
{
	int err = mod_unload(mod);

	if (err && err != -ENOENT)
		record_error("delete_module(%s): %s", mod, strerror(-err));
	if (!mod_wait_gone(mod, GONE_MS))
		record_error("%s stays loaded", mod);
}

/*
 * Load what the targets in @set need for texts of @size bytes, with
 * log_opens=@log. Return false (after recording why) if a module failed.
 */
static bool load_set(const int *set, int nset, size_t size, int log)
{
	static const char key[] = " greeting=";
	char *params = xmalloc(sizeof(key) + TEXT_MAX + 64);
	char *greeting = xmalloc(sizeof(key) + TEXT_MAX);
	const struct target *t;
	bool ok = true;
	char ko[64];
	int i, err;

	greeting[0] = '\0';
	if (size != sizeof(HD_GREETING) - 1) {
		/* The text less its newline, which the module adds. */
		memcpy(greeting, key, sizeof(key) - 1);
		make_text(greeting + sizeof(key) - 1, size);
		greeting[sizeof(key) - 1 + size - 1] = '\0';
	}
	for (i = 0; i < nset; i++) {
		t = &targets[set[i]];
		if (!mod_of(t))
			continue;
		snprintf(params, sizeof(key) + TEXT_MAX + 64, "log_opens=%d%s%s",
			 log, t->proxy ? " full_proxy=1" : "", greeting);
		snprintf(ko, sizeof(ko), "%s.ko", mod_of(t));
		err = mod_load_file(ko, params);
		if (err) {
			record_error("loading %s for %s: %s", mod_of(t),
				     t->name, strerror(-err));
			ok = false;
		}
	}
	free(greeting);
	free(params);
	return ok;
}

static void unload_set(const int *set, int nset)
{
	int i;

	for (i = 0; i < nset; i++)
		if (mod_of(&targets[set[i]]))
			unload(mod_of(&targets[set[i]]));
}

/* The node of @t, loaded under its default name. */
static void path_of(const struct target *t, char *path)
{
	if (t->fe)
		snprintf(path, PATH_MAX, t->fe->node_fmt, t->fe->mod);
	else
		snprintf(path, PATH_MAX, "%s", t->path);
}

/* The directory that holds the node of @t. */
static void dir_of(const struct target *t, char *dir)
{
	path_of(t, dir);
	*strrchr(dir, '/') = '\0';
}

/* What a read of @size bytes at position 0 must return. */
static ssize_t want_of(const struct target *t, size_t size)
{
	return t->null ? 0 : (ssize_t)size;
}

/*
 * One batch of @calls preads of @size bytes at position 0. Every call's
 * return value is checked; the buffer is poisoned before the batch and
 * compared with the text after it. Return ns per call.
 */
static double batch_pread(struct group *g, const struct target *t, int fd,
			  char *buf, const char *text, long calls)
{
	ssize_t want = want_of(t, g->size);
	size_t size = g->size;
	double t0, t1;
	long i, bad = 0;

	memset(buf, 0xa5, size);
	t0 = now_ns();
	for (i = 0; i < calls; i++)
		if (pread(fd, buf, size, 0) != want)
			bad++;
	t1 = now_ns();
	g->calls += calls;
	g->bad_ret += bad;
	if (t->zero) {
		for (i = 0; i < (long)size; i++)
			if (buf[i])
				break;
		if (i < (long)size)
			g->bad_text++;
	} else if (!t->null && memcmp(buf, text, size)) {
		g->bad_text++;
	}
	return (t1 - t0) / calls;
}

/*
 * Open, read to end of file, close. The text is read with one read() of
 * its length; end of file is a second read() returning 0. /dev/zero has no
 * end, so its second read() asks for 0 bytes, which returns 0 through the
 * same vfs_read() steps; /dev/null's first read() is already the end.
 * Return whether it read what it had to.
 */
static bool open_read_close(const struct target *t, int dirfd,
			    const char *path, char *buf, size_t size)
{
	ssize_t want = want_of(t, size), got = 0, n;
	int fd;

	fd = dirfd >= 0 ? openat(dirfd, strrchr(path, '/') + 1, O_RDONLY) :
			  open(path, O_RDONLY);
	if (fd < 0)
		return false;
	do {
		n = read(fd, buf, t->zero && got ? 0 : size);
		if (n > 0)
			got += n;
	} while (n > 0);
	close(fd);
	return n == 0 && got == want;
}

static double batch_orc(struct group *g, const struct target *t, int dirfd,
			char *buf, const char *text, long calls)
{
	char path[PATH_MAX];
	double t0, t1;
	long i, bad = 0;

	path_of(t, path);
	memset(buf, 0xa5, g->size);
	t0 = now_ns();
	for (i = 0; i < calls; i++)
		if (!open_read_close(t, dirfd, path, buf, g->size))
			bad++;
	t1 = now_ns();
	g->calls += calls;
	g->bad_ret += bad;
	if (!t->zero && !t->null && memcmp(buf, text, g->size))
		g->bad_text++;
	/*
	 * Closing frees each struct file after an RCU grace period, in
	 * whichever batch (of whichever target) that ends in: let that work
	 * run now, while nothing is timed. Under -icount sleep=off the idle
	 * time costs nothing.
	 */
	usleep(opt.settle_ms * 1000);
	return (t1 - t0) / calls;
}

/**
 * struct reader - one thread of a scaling run
 * @th: the thread
 * @bar: released when every reader is ready
 * @fd: descriptor it preads from
 * @size: bytes per pread
 * @want: what every pread must return
 * @calls: preads to do
 * @bad: preads that returned something else
 * @buf: its buffer, TEXT_MAX bytes
 */
struct reader {
	pthread_t th;
	pthread_barrier_t *bar;
	int fd;
	size_t size;
	ssize_t want;
	long calls;
	long bad;
	char *buf;
};

static void reader_loop(struct reader *r)
{
	long i;

	for (i = 0; i < r->calls; i++)
		if (pread(r->fd, r->buf, r->size, 0) != r->want)
			r->bad++;
}

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	pthread_barrier_wait(r->bar);
	reader_loop(r);
	return NULL;
}

/**
 * struct scale_result - what a scaling run sends back from its process
 * @rate: pread calls per second, all readers together
 * @calls: preads made
 * @bad: preads that did not return the text's length
 */
struct scale_result {
	double rate;
	long calls;
	long bad;
};

/*
 * Pread calls per second of @nthreads readers, each on its own descriptor
 * or all on @fd, in a child process: once a process has started a thread,
 * glibc's pread() does cancellation-point work on every call, which would
 * slow down every later measurement of this process. One reader alone runs
 * in the child's main thread, as in a single-threaded reader.
 */
static void scale_child(struct scale_result *res, const struct target *t,
			size_t size, int fd, int nthreads, bool shared)
{
	struct reader *r = xmalloc(sizeof(*r) * nthreads);
	char path[PATH_MAX];
	pthread_barrier_t bar;
	double t0, t1;
	int i;

	path_of(t, path);
	pthread_barrier_init(&bar, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		r[i].bar = &bar;
		r[i].fd = shared || nthreads == 1 ? fd : open(path, O_RDONLY);
		r[i].size = size;
		r[i].want = want_of(t, size);
		r[i].calls = opt.scale_calls;
		r[i].bad = 0;
		r[i].buf = xmalloc_buf();
		if (r[i].fd < 0)
			record_error("open %s: %s", path, strerror(errno));
	}
	if (nthreads == 1) {
		t0 = now_ns();
		reader_loop(&r[0]);
		t1 = now_ns();
	} else {
		for (i = 0; i < nthreads; i++)
			pthread_create(&r[i].th, NULL, reader_thread, &r[i]);
		pthread_barrier_wait(&bar);
		t0 = now_ns();
		for (i = 0; i < nthreads; i++)
			pthread_join(r[i].th, NULL);
		t1 = now_ns();
	}
	for (i = 0; i < nthreads; i++) {
		res->calls += r[i].calls;
		res->bad += r[i].bad;
		if (r[i].fd != fd && r[i].fd >= 0)
			close(r[i].fd);
		free(r[i].buf);
	}
	pthread_barrier_destroy(&bar);
	free(r);
	res->rate = nthreads * (double)opt.scale_calls * 1e9 / (t1 - t0);
}

static double scale_run(struct group *g, const struct target *t, int fd,
			int nthreads, bool shared)
{
	struct scale_result *res = mmap(NULL, sizeof(*res),
					PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double rate = 0;
	int status;
	pid_t pid;

	if (res == MAP_FAILED) {
		record_error("mmap: %s", strerror(errno));
		return 0;
	}
	memset(res, 0, sizeof(*res));
	pid = fork();
	if (pid == 0) {
		scale_child(res, t, g->size, fd, nthreads, shared);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		record_error("scaling run of %s failed", t->name);
	} else {
		g->calls += res->calls;
		g->bad_ret += res->bad;
		rate = res->rate;
	}
	munmap(res, sizeof(*res));
	return rate;
}

/*
 * Write @text to @path, opened with @flags; all of it, as a write may take
 * only part (a tracefs list file takes one name per write).
 */
static int write_file_flags(const char *path, const char *text, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	size_t len = strlen(text), done = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		n = write(fd, text + done, len - done);
		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	return n < 0 ? -errno : done < len ? -EIO : 0;
}

static bool tracefs_ready(void)
{
	struct stat st;

	if (!stat(TRACEFS "/events/kmem", &st))
		return true;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return false;
	return !stat(TRACEFS "/events/kmem", &st);
}

/* [start, end) of each loaded hellodev module, from /proc/modules. */
static int module_ranges(unsigned long long range[][2], int max)
{
	unsigned long long base;
	unsigned long size;
	char line[512], name[64];
	int n = 0;
	FILE *f = fopen("/proc/modules", "re");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lu %*s %*s %*s %llx", name, &size,
			   &base) != 3 || strncmp(name, "hellodev_", 9))
			continue;
		range[n][0] = base;
		range[n][1] = base + size;
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Check the attribution itself: @t's read function, from /proc/kallsyms,
 * must lie inside one of @range.
 */
static void check_range(const struct target *t, unsigned long long range[][2],
			int nrange)
{
	const char *mod = mod_of(t);
	unsigned long long addr;
	char line[512], sym[256], owner[128];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");
	int i;

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %*s %255s [%127[^]]]", &addr, sym,
			   owner) != 3 || strcmp(owner, mod) ||
		    (strcmp(sym, t->read_sym) &&
		     (!t->rust || !strstr(sym, t->read_sym))))
			continue;
		for (i = 0; i < nrange; i++)
			if (addr >= range[i][0] && addr < range[i][1])
				found = true;
		break;
	}
	if (f)
		fclose(f);
	ranges_checked++;
	if (!found) {
		ranges_bad++;
		record_error("%s: %s is not inside a module range", mod,
			     t->read_sym);
	}
}

static const char *hist_trigger(const struct alloc_event *ev)
{
	return ev->site ? "hist:keys=call_site.sym,common_pid:vals=hitcount" :
			  "hist:keys=common_pid:vals=hitcount";
}

static void add_site(struct alloc_result *a, const char *event,
		     const char *sym, long n)
{
	int i;

	for (i = 0; i < a->nsites; i++)
		if (a->sites[i].event == event && !strcmp(a->sites[i].sym, sym))
			break;
	if (i == a->nsites) {
		if (a->nsites == MAX_SITES)
			return;
		a->nsites++;
		a->sites[i].event = event;
		snprintf(a->sites[i].sym, sizeof(a->sites[i].sym), "%s", sym);
		a->sites[i].n = 0;
	}
	a->sites[i].n += n;
}

/*
 * Read one event's hist: count what @pid allocated, and what any process
 * allocated from a call site inside @range.
 */
static void read_hist(struct alloc_result *a, unsigned int e, pid_t pid,
		      unsigned long long range[][2], int nrange)
{
	const struct alloc_event *ev = &alloc_events[e];
	unsigned long long site = 0, hits, dropped;
	char path[PATH_MAX], line[512], sym[64] = "";
	const char *p;
	bool ours;
	long who;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), TRACEFS "/events/%s/%s/hist", ev->sys,
		 ev->name);
	f = fopen(path, "re");
	if (!f) {
		record_error("%s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		/* A full map drops entries and says how many. */
		if (sscanf(line, " Dropped: %llu", &dropped) == 1 && dropped)
			record_error("%s: %llu entries dropped", path, dropped);
		if (strncmp(line, "{ ", 2))
			continue;
		p = strstr(line, "call_site: [");
		if (p && sscanf(p, "call_site: [%llx] %63s", &site, sym) != 2)
			continue;
		p = strstr(line, "common_pid:");
		if (!p || sscanf(p, "common_pid: %ld", &who) != 1)
			continue;
		p = strstr(line, "hitcount:");
		if (!p || sscanf(p, "hitcount: %llu", &hits) != 1)
			continue;
		if (who == pid) {
			a->total[e] += hits;
			add_site(a, ev->name, ev->site ? sym : "-", hits);
		}
		ours = false;
		for (i = 0; ev->site && i < nrange; i++)
			if (site >= range[i][0] && site < range[i][1])
				ours = true;
		if (ours)
			a->module[e] += hits;
	}
	fclose(f);
}

/*
 * Count the allocations of @ops opens (open + close) or preads of @t. A
 * child does them, so that our own tracefs reads are not counted; it warms
 * up, then waits on shared memory (no system call, so nothing allocated)
 * while the hist triggers are set, does its ops, and waits again while they
 * are read.
 */
static void count_allocs(int target, const char *op, size_t size, long ops)
{
	const struct target *t = &targets[target];
	atomic_int *step = mmap(NULL, sizeof(*step), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	bool reads = !strcmp(op, "read");
	struct alloc_result *a;
	unsigned long long range[8][2];
	char path[PATH_MAX], trig[PATH_MAX], buf[TEXT_MAX];
	int nrange, status, err;
	unsigned int e;
	pid_t pid;
	long i;

	if (step == MAP_FAILED || nallocs == MAX_ALLOCS) {
		record_error("cannot count allocations");
		return;
	}
	a = &allocs[nallocs++];
	memset(a, 0, sizeof(*a));
	a->target = target;
	a->op = op;
	a->ops = ops;
	path_of(t, path);
	atomic_store(step, 0);

	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDONLY), ok = fd >= 0;

		for (i = 0; ok && i < 100; i++)
			ok = pread(fd, buf, size, 0) == want_of(t, size) &&
			     open_read_close(t, -1, path, buf, size);
		atomic_store(step, 1);
		while (atomic_load(step) == 1)
			sched_yield();
		for (i = 0; ok && i < ops; i++) {
			if (reads) {
				ok = pread(fd, buf, size, 0) == want_of(t, size);
			} else {
				int f = open(path, O_RDONLY);

				ok = f >= 0;
				close(f);
			}
		}
		atomic_store(step, 3);
		while (atomic_load(step) == 3)
			sched_yield();
		_exit(ok ? 0 : 1);
	}
	if (pid < 0) {
		record_error("fork: %s", strerror(errno));
		return;
	}
	while (atomic_load(step) == 0)
		sched_yield();
	for (e = 0; e < NEVENTS; e++) {
		snprintf(trig, sizeof(trig), TRACEFS "/events/%s/%s/trigger",
			 alloc_events[e].sys, alloc_events[e].name);
		err = write_file_flags(trig, hist_trigger(&alloc_events[e]), O_TRUNC);
		if (err)
			record_error("%s: %s", trig, strerror(-err));
	}
	atomic_store(step, 2);
	while (atomic_load(step) == 2)
		sched_yield();
	nrange = module_ranges(range, ARRAY_SIZE(range));
	if (mod_of(t))
		check_range(t, range, nrange);
	for (e = 0; e < NEVENTS; e++)
		read_hist(a, e, pid, range, nrange);
	for (e = 0; e < NEVENTS; e++) {
		snprintf(trig, sizeof(trig), TRACEFS "/events/%s/%s/trigger",
			 alloc_events[e].sys, alloc_events[e].name);
		write_file_flags(trig, "", O_TRUNC);
	}
	atomic_store(step, 4);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		record_error("allocation run of %s %s: a call failed", t->name, op);
	if (!nrange && mod_of(t))
		record_error("no hellodev module in /proc/modules");
	munmap(step, sizeof(*step));
}

/* Measure every figure of the targets in @set, loaded for @size, @log. */
static void measure_set(const int *set, int nset, size_t size, int log,
			int round)
{
	static char *buf;
	char text[TEXT_MAX], path[PATH_MAX], dir[PATH_MAX];
	int fd[T_COUNT], dirfd[T_COUNT];
	const struct target *t;
	struct group *g;
	int b, i, k;

	if (!buf)
		buf = xmalloc_buf();
	make_text(text, size);
	for (i = 0; i < nset; i++) {
		t = &targets[set[i]];
		dir_of(t, dir);
		dirfd[i] = open(dir, O_RDONLY | O_DIRECTORY);
		path_of(t, path);
		fd[i] = open(path, O_RDONLY);
		if (fd[i] < 0 || dirfd[i] < 0)
			record_error("open %s: %s", path, strerror(errno));
	}

	/* pread: warm up each target, then batches in turn. */
	for (i = 0; !log && i < nset; i++)
		if (fd[i] >= 0)
			batch_pread(group_get(set[i], "pread", size, 0),
				    &targets[set[i]], fd[i], buf, text,
				    opt.warmup);
	for (b = 0; !log && b < opt.batches; b++) {
		for (i = 0; i < nset; i++) {
			if (fd[i] < 0)
				continue;
			g = group_get(set[i], "pread", size, 0);
			group_add(g, batch_pread(g, &targets[set[i]], fd[i],
						 buf, text, opt.pread_calls));
		}
	}

	/* open + read to end of file + close, by path and by openat(). */
	if (size == sizeof(HD_GREETING) - 1) {
		for (k = 0; k < 2; k++) {
			const char *fig = k ? "orc_at" : "orc";

			for (i = 0; i < nset; i++)
				if (fd[i] >= 0)
					batch_orc(group_get(set[i], fig, size,
							    log),
						  &targets[set[i]],
						  k ? dirfd[i] : -1, buf, text,
						  opt.warmup / 4 + 1);
			for (b = 0; b < opt.batches; b++) {
				for (i = 0; i < nset; i++) {
					if (fd[i] < 0)
						continue;
					g = group_get(set[i], fig, size, log);
					group_add(g, batch_orc(g,
							       &targets[set[i]],
							       k ? dirfd[i] : -1,
							       buf, text,
							       opt.open_calls));
				}
			}
		}
	}

	/* Readers in parallel: one value per round. */
	if (size == sizeof(HD_GREETING) - 1 && !log) {
		for (i = 0; i < nset; i++) {
			if (fd[i] < 0)
				continue;
			g = group_get(set[i], "scale1", size, 0);
			group_add(g, scale_run(g, &targets[set[i]], fd[i], 1,
					       false));
			g = group_get(set[i], "scale2own", size, 0);
			group_add(g, scale_run(g, &targets[set[i]], fd[i], 2,
					       false));
			g = group_get(set[i], "scale2shared", size, 0);
			group_add(g, scale_run(g, &targets[set[i]], fd[i], 2,
					       true));
		}
	}

	for (i = 0; i < nset; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		if (dirfd[i] >= 0)
			close(dirfd[i]);
	}

	/* Allocations, once: they do not vary from round to round. */
	if (size == sizeof(HD_GREETING) - 1 && !log && round == 0) {
		if (!tracefs_ready()) {
			record_error("tracefs is not available at " TRACEFS);
			return;
		}
		for (i = 0; i < nset; i++) {
			count_allocs(set[i], "open", size, opt.alloc_ops);
			count_allocs(set[i], "read", size, opt.alloc_ops);
		}
	}
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Contents of a one-line file, without its newline, or "". */
static void json_file(const char *key, const char *path, bool comma)
{
	char line[1024] = "";
	FILE *f = fopen(path, "re");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	printf("  ");
	json_str(key);
	printf(": ");
	json_str(line);
	printf("%s\n", comma ? "," : "");
}

static void json_cpu_model(void)
{
	char line[512], *p;
	FILE *f = fopen("/proc/cpuinfo", "re");

	printf("  \"guest_cpu\": ");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		json_str(p + 2);
		printf(",\n");
		fclose(f);
		return;
	}
	if (f)
		fclose(f);
	printf("\"\",\n");
}

/* "key": value, and a comma if @comma. */
static void json_long(const char *key, long value, bool comma)
{
	printf("\"%s\": %ld%s", key, value, comma ? ", " : "");
}

static void print_json(void)
{
	struct utsname u;
	int i, j;
	unsigned int e;

	uname(&u);
	printf("{\n  \"program\": \"hellodev_bench\",\n  \"format\": 1,\n");
	printf("  \"release\": ");
	json_str(u.release);
	printf(",\n  \"version\": ");
	json_str(u.version);
	printf(",\n  \"cpus\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
	json_cpu_model();
	json_file("cmdline", "/proc/cmdline", true);
	json_file("clocksource",
		  "/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  true);
	printf("  \"params\": {");
	json_long("rounds", opt.rounds, true);
	json_long("batches", opt.batches, true);
	json_long("pread_calls", opt.pread_calls, true);
	json_long("open_calls", opt.open_calls, true);
	json_long("warmup", opt.warmup, true);
	json_long("scale_calls", opt.scale_calls, true);
	json_long("alloc_ops", opt.alloc_ops, true);
	json_long("settle_ms", opt.settle_ms, false);
	printf("},\n");

	printf("  \"groups\": [\n");
	for (i = 0; i < ngroups; i++) {
		struct group *g = &groups[i];

		printf("    {\"target\": \"%s\", \"figure\": \"%s\", ",
		       targets[g->target].name, g->figure);
		json_long("size", g->size, true);
		json_long("log", g->log, true);
		printf("\"unit\": \"%s\", ",
		       strncmp(g->figure, "scale", 5) ? "ns" : "calls/s");
		json_long("calls", g->calls, true);
		json_long("bad_return", g->bad_ret, true);
		json_long("bad_text", g->bad_text, true);
		printf("\"values\": [");
		for (j = 0; j < g->n; j++)
			printf("%s%.1f", j ? ", " : "", g->v[j]);
		printf("]}%s\n", i + 1 < ngroups ? "," : "");
	}
	printf("  ],\n  \"alloc_events\": [");
	for (e = 0; e < NEVENTS; e++)
		printf("%s\"%s/%s\"", e ? ", " : "", alloc_events[e].sys,
		       alloc_events[e].name);
	printf("],\n  \"module_ranges_ok\": %s,\n",
	       ranges_checked && !ranges_bad ? "true" : "false");
	printf("  \"allocs\": [\n");
	for (i = 0; i < nallocs; i++) {
		struct alloc_result *a = &allocs[i];

		printf("    {\"target\": \"%s\", \"op\": \"%s\", ",
		       targets[a->target].name, a->op);
		json_long("ops", a->ops, true);
		printf("\"total\": [");
		for (e = 0; e < NEVENTS; e++)
			printf("%s%ld", e ? ", " : "", a->total[e]);
		printf("], \"module\": [");
		for (e = 0; e < NEVENTS; e++)
			printf("%s%ld", e ? ", " : "", a->module[e]);
		printf("], \"sites\": [");
		for (j = 0; j < a->nsites; j++) {
			printf("%s{\"event\": \"%s\", \"site\": ", j ? ", " : "",
			       a->sites[j].event);
			json_str(a->sites[j].sym);
			printf(", \"n\": %ld}", a->sites[j].n);
		}
		printf("]}%s\n", i + 1 < nallocs ? "," : "");
	}
	printf("  ],\n  \"errors\": ");
	json_str(errors);
	printf("\n}\n");
}

/* Write @text to the tracefs file @name; record a failure. */
static void trace_set(const char *name, const char *text)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), TRACEFS "/%s", name);
	err = write_file_flags(path, text, O_TRUNC);
	if (err)
		record_error("%s: %s", path, strerror(-err));
}

/* Copy the trace to stdout, under a line that names what it is. */
static void trace_dump(const char *target, const char *what)
{
	char line[1024];
	FILE *f = fopen(TRACEFS "/trace", "re");

	printf("@@graph %s %s\n", target, what);
	while (f && fgets(line, sizeof(line), f))
		if (line[0] != '#')
			fputs(line, stdout);
	if (f)
		fclose(f);
	else
		record_error(TRACEFS "/trace: %s", strerror(errno));
}

/* Descriptor of tracing_on, kept open so that switching makes no open. */
static int tracing_on_fd = -1;

static void tracing(bool on)
{
	if (write(tracing_on_fd, on ? "1" : "0", 1) != 1)
		record_error(TRACEFS "/tracing_on: %s", strerror(errno));
}

/*
 * Trace one pread of 13 bytes of @target with function_graph, in this
 * process only: what ftrace sees of it (bench/steps.py counts what it
 * cannot). Between switching tracing on and off there is only the pread;
 * the write() that switches is no graph root.
 */
static void graph_target(int target)
{
	const struct target *t = &targets[target];
	char path[PATH_MAX], buf[64];
	int fd, k;

	path_of(t, path);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		record_error("open %s: %s", path, strerror(errno));
		return;
	}
	/* Warm up: the first calls fault in what the later ones use. */
	for (k = 0; k < 3; k++) {
		trace_set("trace", "");
		tracing(true);
		if (pread(fd, buf, 13, 0) != want_of(t, 13))
			record_error("traced pread of %s", t->name);
		tracing(false);
	}
	close(fd);
	trace_dump(t->name, "pread");
}

/*
 * The pread call graphs of misc, rust (if here) and /dev/zero, on stdout.
 * The tracer is switched on once: each switch patches every function.
 */
static int graph_all(bool rust)
{
	static const int set[] = { T_MISC, T_RUST, T_ZERO };
	char pid[32];
	unsigned int i;

	if (!tracefs_ready()) {
		fprintf(stderr, "bench: tracefs is not available at " TRACEFS "\n");
		return 1;
	}
	tracing_on_fd = open(TRACEFS "/tracing_on", O_WRONLY | O_CLOEXEC);
	if (tracing_on_fd < 0) {
		fprintf(stderr, "bench: " TRACEFS "/tracing_on: %s\n",
			strerror(errno));
		return 1;
	}
	tracing(false);
	/* The syscall's own entry: ksys_pread64() is inlined into it. */
	trace_set("set_graph_function", "__x64_sys_pread64");
	trace_set("options/funcgraph-proc", "0");
	trace_set("options/funcgraph-tail", "1");
	progress("switching function_graph on");
	trace_set("current_tracer", "function_graph");
	snprintf(pid, sizeof(pid), "%d", getpid());
	trace_set("set_ftrace_pid", pid);
	for (i = 0; i < ARRAY_SIZE(set); i++) {
		if (targets[set[i]].rust && !rust)
			continue;
		if (!load_set(&set[i], 1, 13, 0))
			continue;
		progress("call graphs of %s", targets[set[i]].name);
		graph_target(set[i]);
		unload_set(&set[i], 1);
	}
	trace_set("current_tracer", "nop");
	trace_set("set_graph_function", "");
	trace_set("set_ftrace_pid", "");
	close(tracing_on_fd);
	printf("@@errors %s\n", errors);
	return nerrors ? 1 : 0;
}

/* The symbols of the loaded hellodev modules, for the host to name PCs. */
static void print_module_symbols(void)
{
	char line[512];
	FILE *f = fopen("/proc/kallsyms", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "\t[hellodev_"))
			printf("@@sym %s", line);
	if (f)
		fclose(f);
	else
		record_error("/proc/kallsyms: %s", strerror(errno));
}

/*
 * The system call whose instructions bench/steps.py counts: a debugger on
 * QEMU's gdbstub stops at its syscall instruction, labelled
 * hellodev_steps_syscall for the host (this program is static, so the
 * address is in its symbol table), checks r12 for "hellodev", and counts
 * every instruction until the return to user space. In assembly, so that
 * the label exists once.
 */
long hellodev_steps_call(long nr, long a, long b, long c, long d);
asm(".pushsection .text\n"
	".globl hellodev_steps_call\n"
	".type hellodev_steps_call, @function\n"
	"hellodev_steps_call:\n"
	"\tpush %r12\n"
	"\tmovabs $0x68656c6c6f646576, %r12\n"
	"\tmov %rdi, %rax\n"
	"\tmov %rsi, %rdi\n"
	"\tmov %rdx, %rsi\n"
	"\tmov %rcx, %rdx\n"
	"\tmov %r8, %r10\n"
	".globl hellodev_steps_syscall\n"
	"hellodev_steps_syscall:\n"
	"\tsyscall\n"
	"\tpop %r12\n"
	"\tret\n"
	".size hellodev_steps_call, . - hellodev_steps_call\n"
	".popsection");

/* hellodev_steps_call(), with errno as syscall(2) sets it. */
static long steps_syscall(long nr, long a, long b, long c, long d)
{
	long ret = hellodev_steps_call(nr, a, b, c, d);

	if (ret < 0 && ret > -4096) {
		errno = -ret;
		return -1;
	}
	return ret;
}

/*
 * The calls that bench/steps.py counts, through steps_syscall(). Per
 * target of misc, rust (if here) and /dev/zero: openat2 + close_range
 * twice, then openat2, pread of 13 B three times, close_range. The host
 * takes the second open and close and the third pread: warm.
 */
static int steps_all(bool rust)
{
	static const int set[] = { T_MISC, T_RUST, T_RUST_KMISC, T_ZERO };
	struct open_how how = { .flags = O_RDONLY };
	char path[PATH_MAX], buf[64];
	unsigned int i;
	int k, fd;

	for (i = 0; i < ARRAY_SIZE(set); i++)
		if ((!targets[set[i]].rust || rust) &&
		    !load_set(&set[i], 1, 13, 0))
			return 1;
	/* Kernel kallsyms give 0 addresses to a reader without CAP_SYSLOG. */
	print_module_symbols();
	printf("@@steps-order");
	for (i = 0; i < ARRAY_SIZE(set); i++) {
		if (targets[set[i]].rust && !rust)
			continue;
		printf(" %s", targets[set[i]].name);
	}
	printf("\n");
	fflush(stdout);
	for (i = 0; i < ARRAY_SIZE(set); i++) {
		if (targets[set[i]].rust && !rust)
			continue;
		path_of(&targets[set[i]], path);
		for (k = 0; k < 3; k++) {
			fd = steps_syscall(SYS_openat2, AT_FDCWD, (long)path,
					   (long)&how, sizeof(how));
			if (fd < 0) {
				record_error("openat2 %s: %s", path, strerror(errno));
				return 1;
			}
			if (k == 2) {
				int n;

				for (n = 0; n < 3; n++)
					if (steps_syscall(SYS_pread64, fd, (long)buf,
							  13, 0) !=
					    want_of(&targets[set[i]], 13))
						record_error("pread %s", path);
			}
			steps_syscall(SYS_close_range, fd, fd, 0, 0);
		}
	}
	for (i = 0; i < ARRAY_SIZE(set); i++)
		if (!targets[set[i]].rust || rust)
			unload_set(&set[i], 1);
	printf("@@errors %s\n", errors);
	return nerrors ? 1 : 0;
}

static void help(void)
{
	fprintf(stderr,
		"usage: hellodev_bench [-q] [-r ROUNDS] [-b BATCHES] [-p CALLS] [-o CALLS]\n"
		"                      [-s CALLS] [-a OPS] [-z MS] | -g | -S\n"
		"  -q  quick: a smoke run with few iterations\n"
		"  -r  rounds: each loads the modules again for every setting (3)\n"
		"  -b  batches per figure per round (5)\n"
		"  -p  preads per batch (2000); -o  opens per batch (300)\n"
		"  -s  preads per thread in a scaling run (20000)\n"
		"  -a  operations per allocation count (1000)\n"
		"  -z  ms to sleep after each batch of opens (20)\n"
		"  -g  instead: function_graph of one pread of misc, rust and\n"
		"      /dev/zero, as text\n"
		"  -S  instead: the calls whose instructions bench/steps.py counts\n"
		"Run as root in a throw-away VM, next to the hellodev_*.ko files.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	/*
	 * Each set is loaded at once; the debugfs full proxies need a reload.
	 * The Rust twins, last in each set, join where their modules are here.
	 */
	int base[] = { T_MISC, T_CDEV, T_DEBUGFS, T_ZERO, T_NULL, T_RUST,
		       T_RUST_KMISC, T_RUST_CDEV, T_RUST_DEBUGFS };
	int base_log[] = { T_MISC, T_CDEV, T_DEBUGFS, T_RUST, T_RUST_KMISC,
			   T_RUST_CDEV, T_RUST_DEBUGFS };
	static const int proxy[] = { T_PROXY, T_RUST_PROXY };
	int nbase = ARRAY_SIZE(base), nbase_log = ARRAY_SIZE(base_log);
	int nproxy = ARRAY_SIZE(proxy);
	const char *names = "misc, cdev, debugfs, zero, null and the Rust twins";
	unsigned int s;
	bool graph = false, steps = false;
	int c, r, log;

	while ((c = getopt(argc, argv, "qr:b:p:o:s:a:z:gS")) != -1) {
		switch (c) {
		case 'g':
			graph = true;
			break;
		case 'S':
			steps = true;
			break;
		case 'q':
			opt.rounds = 1;
			opt.batches = 2;
			opt.pread_calls = 50;
			opt.open_calls = 10;
			opt.warmup = 8;
			opt.scale_calls = 200;
			opt.alloc_ops = 20;
			break;
		case 'r':
			opt.rounds = atoi(optarg);
			break;
		case 'b':
			opt.batches = atoi(optarg);
			break;
		case 'p':
			opt.pread_calls = atol(optarg);
			break;
		case 'o':
			opt.open_calls = atol(optarg);
			break;
		case 's':
			opt.scale_calls = atol(optarg);
			break;
		case 'a':
			opt.alloc_ops = atol(optarg);
			break;
		case 'z':
			opt.settle_ms = atol(optarg);
			break;
		default:
			help();
		}
	}
	if (opt.rounds < 1 || opt.batches < 1 || opt.pread_calls < 1 ||
	    opt.open_calls < 1 || opt.scale_calls < 1 || opt.alloc_ops < 1 ||
	    opt.settle_ms < 0)
		help();
	if (access("hellodev_rust.ko", F_OK) ||
	    access("hellodev_rust_kmisc.ko", F_OK) ||
	    access("hellodev_rust_cdev.ko", F_OK) ||
	    access("hellodev_rust_debugfs.ko", F_OK)) {
		nbase -= 4;
		nbase_log -= 4;
		nproxy -= 1;
		names = "misc, cdev, debugfs, zero, null";
		progress("%s not here (a kernel without Rust): no rust figures",
			 "hellodev_rust*.ko");
	}
	if (graph)
		return graph_all(nbase == ARRAY_SIZE(base));
	if (steps)
		return steps_all(nbase == ARRAY_SIZE(base));

	for (r = 0; r < opt.rounds; r++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			for (log = 0; log <= (s == 0); log++) {
				const int *set = log ? base_log : base;
				int n = log ? nbase_log : nbase;

				progress("round %d/%d: %s; %zu B, log_opens=%d",
					 r + 1, opt.rounds, names, sizes[s],
					 log);
				if (load_set(set, n, sizes[s], log))
					measure_set(set, n, sizes[s], log, r);
				unload_set(set, n);

				progress("round %d/%d: debugfs full_proxy=1; %zu B, log_opens=%d",
					 r + 1, opt.rounds, sizes[s], log);
				if (load_set(proxy, nproxy, sizes[s], log))
					measure_set(proxy, nproxy, sizes[s], log, r);
				unload_set(proxy, nproxy);
			}
		}
	}
	print_json();
	progress("done, %d error(s)", nerrors);
	return nerrors ? 1 : 0;
}
