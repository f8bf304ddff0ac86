/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What hellodev's userspace programs share (tests/hellodev_lib.c): the
 * frontends as userspace sees them, small file helpers, loading and
 * unloading modules, the one /dev/kmsg reader and the check that a module
 * left everything it makes, or nothing. Used by the conformance and
 * hostile suites, the race and fault programs, kmsg_dump and the
 * benchmark. Nothing here depends on the test harness: a helper that
 * checks something returns whether it holds and says why not through
 * hd_diag().
 */
#ifndef HELLODEV_LIB_H
#define HELLODEV_LIB_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kselftest.h"	/* __printf() */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * The core's defaults and limits, as common/hellodev.h and
 * common/hellodev.rs have them (make check's constants gate holds the three
 * to one value); HD_GREETING is what a read gives by default.
 */
#define HD_DEFAULT_GREETING	"Hello from C"
#define HD_DEFAULT_MODE	0400
#define HD_GREETING	HD_DEFAULT_GREETING "\n"
#define HD_GREETING_LEN	((ssize_t)sizeof(HD_GREETING) - 1)
#define HD_GREETING_MAX	4095
#define HD_NAME_MAX	32
#define HD_DEBUGFS	"/sys/kernel/debug"
/* The unprivileged user the tests open nodes as. */
#define HD_USER_ID	1000
/* How long an unloaded module may take to leave sysfs, by default. */
#define HD_GONE_TIMEOUT_MS	2000

/**
 * struct hd_frontend - one hellodev frontend, as userspace sees it
 * @tag: short name, for the node names the tests pick
 * @mod: module name, also the default node name
 * @ko: module file, in the current directory
 * @node_fmt: path of the node, from the node name
 * @count_fmt: path of open_count, from the node name
 * @entry_fmt: the node's sysfs class entry or debugfs directory
 * @dev_fmt: sysfs "dev" attribute (major:minor), or NULL
 * @class_dir: class directory that lives as long as the module, or NULL
 * @node_type: S_IFCHR or S_IFREG
 * @has_mode: the module takes a mode parameter
 * @proc_devices: the node name is a line of /proc/devices
 * @proc_misc: the node name is a line of /proc/misc
 * @rust: built only for kernels with Rust
 * @twin: for a Rust twin, the C frontend it is the twin of, else NULL
 */
struct hd_frontend {
	const char *tag;
	const char *mod;
	const char *ko;
	const char *node_fmt;
	const char *count_fmt;
	const char *entry_fmt;
	const char *dev_fmt;
	const char *class_dir;
	mode_t node_type;
	bool has_mode;
	bool proc_devices;
	bool proc_misc;
	bool rust;
	const struct hd_frontend *twin;
};

extern const struct hd_frontend fe_misc, fe_cdev, fe_debugfs, fe_rust,
	fe_rust_cdev, fe_rust_debugfs;
/* Every frontend: the C ones, then the Rust twins. */
extern const struct hd_frontend *const hd_frontends[6];
#define HD_FRONTENDS	ARRAY_SIZE(hd_frontends)

const struct hd_frontend *frontend_by_tag(const char *tag);
size_t frontends_here(const struct hd_frontend **fes);

/*
 * Where the helpers say why a check failed, one line per call, without
 * the newline. Prints "# <line>" on stderr unless a program sets its own.
 */
extern __printf(1, 2) void (*hd_diag)(const char *fmt, ...);

/* How long traces_are() gives a module to go: HD_GONE_TIMEOUT_MS. */
extern int hd_gone_timeout_ms;

void fmt_path(char *path, const char *fmt, const char *name);
bool exists(const char *path);
ssize_t read_file(const char *path, char *buf, size_t size);
int write_file(const char *path, const char *text);
long long read_count(const char *path);
bool file_has_word(const char *file, const char *word);
bool in_proc_devices(const char *name);
bool kernel_at_least(int major, int minor);
long long now_ms(void);

int mod_load_file(const char *ko, const char *params);
int mod_load(const struct hd_frontend *fe, const char *params);
int mod_load_named(const struct hd_frontend *fe, const char *name,
		   const char *more);
int mod_unload(const char *mod);
bool mod_listed(const char *mod);
bool mod_wait_gone(const char *mod, int timeout_ms);
long long mod_refcnt(const char *mod);
void mod_describe(const char *mod, char *out, size_t size);
bool unload_leftover(const struct hd_frontend *fe);
int remove_leftovers(void);

bool unload_wait(const struct hd_frontend *fe);

bool traces_are(const struct hd_frontend *fe, const char *name, bool present,
		bool entry_taken);
int open_diag(const char *path, int flags);
bool greeting_reads(const char *path, const char *want);
bool reads(int fd, size_t size, const char *want);

/**
 * struct kmsg_rec - one record of the kernel log
 * @level: its log level
 * @seq: its sequence number
 * @usec: when it was logged, in microseconds since boot
 * @text: its message, with /dev/kmsg's \xNN escapes undone
 */
struct kmsg_rec {
	int level;
	unsigned long long seq;
	unsigned long long usec;
	char text[2048];
};

/**
 * struct kmsg - the kernel log records of one module, read from /dev/kmsg
 * @fd: /dev/kmsg, positioned after the records already seen
 * @mod: module name, or NULL for every record
 * @name: node name, which the module's records start with
 * @rec: the records since the last kmsg_forget(), in order
 * @n: records in @rec
 * @cap: room in @rec
 */
struct kmsg {
	int fd;
	const char *mod;
	char name[HD_NAME_MAX + 16];
	struct kmsg_rec *rec;
	size_t n, cap;
};

bool kmsg_parse(const char *rec, struct kmsg_rec *r);
bool has_prefix(const char *text, const char *name);
bool kmsg_is_ours(const struct kmsg *k, const char *text);
int kmsg_open(struct kmsg *k, const char *mod, const char *name);
int kmsg_read(struct kmsg *k);
int kmsg_forget(struct kmsg *k, const char *name);
void kmsg_close(struct kmsg *k);
bool kmsg_has(const struct kmsg *k, const char *what);
void kmsg_dump(const struct kmsg *k);
bool one_record(struct kmsg *k, const char *prefix, const char *what,
		int level);
long long opened_n(const struct kmsg_rec *r, const char *name);

/**
 * struct hd_node - the node a test loads a frontend with
 * @name: node name
 * @node: path of the node
 * @count: path of its open_count
 */
struct hd_node {
	char name[HD_NAME_MAX + 1];
	char node[PATH_MAX];
	char count[PATH_MAX];
};

void node_use(struct hd_node *dev, const struct hd_frontend *fe,
	      const char *name);
int node_setup(struct hd_node *dev, const struct hd_frontend *fe, char kind,
	       const char *tag, struct kmsg *log);

/**
 * struct opener - one of the concurrent openers
 * @thread: its thread
 * @start: the barrier all openers start at
 * @path: the node it opens
 * @rounds: how many times it opens, reads the greeting and closes
 * @bad: opens or reads that failed, or read something else
 */
struct opener {
	pthread_t thread;
	pthread_barrier_t *start;
	const char *path;
	int rounds;
	int bad;
};

void *opener_run(void *arg);

#endif /* HELLODEV_LIB_H */
