/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What hellodev's userspace programs share: the three frontends as
 * userspace sees them, files, and loading, unloading and waiting for
 * modules. Used by the conformance suite (tests/hellodev_test.c), the
 * fault-injection program (tests/hellodev_fault.c) and the benchmark
 * (bench/hellodev_bench.c); each is one static program built from one
 * file, so everything here is static.
 */
#ifndef HELLODEV_USER_H
#define HELLODEV_USER_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define HD_GREETING	"Hello from C\n"
#define HD_GREETING_LEN	((ssize_t)sizeof(HD_GREETING) - 1)
#define HD_DEBUGFS	"/sys/kernel/debug"

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
};

static const struct hd_frontend fe_misc = {
	.tag		= "misc",
	.mod		= "hellodev_misc",
	.ko		= "hellodev_misc.ko",
	.node_fmt	= "/dev/%s",
	.count_fmt	= "/sys/class/misc/%s/open_count",
	.entry_fmt	= "/sys/class/misc/%s",
	.dev_fmt	= "/sys/class/misc/%s/dev",
	.node_type	= S_IFCHR,
	.has_mode	= true,
	.proc_misc	= true,
};

static const struct hd_frontend fe_cdev = {
	.tag		= "cdev",
	.mod		= "hellodev_cdev",
	.ko		= "hellodev_cdev.ko",
	.node_fmt	= "/dev/%s",
	.count_fmt	= "/sys/class/hellodev/%s/open_count",
	.entry_fmt	= "/sys/class/hellodev/%s",
	.dev_fmt	= "/sys/class/hellodev/%s/dev",
	.class_dir	= "/sys/class/hellodev",
	.node_type	= S_IFCHR,
	.has_mode	= true,
	.proc_devices	= true,
};

static const struct hd_frontend fe_debugfs = {
	.tag		= "debugfs",
	.mod		= "hellodev_debugfs",
	.ko		= "hellodev_debugfs.ko",
	.node_fmt	= HD_DEBUGFS "/%s/greeting",
	.count_fmt	= HD_DEBUGFS "/%s/open_count",
	.entry_fmt	= HD_DEBUGFS "/%s",
	.node_type	= S_IFREG,
};

/*
 * The Rust twin of the misc frontend (variants/rust_misc.rs), built only for
 * kernels with Rust.
 */
static const struct hd_frontend fe_rust = {
	.tag		= "rust",
	.mod		= "hellodev_rust",
	.ko		= "hellodev_rust.ko",
	.node_fmt	= "/dev/%s",
	.count_fmt	= "/sys/class/misc/%s/open_count",
	.entry_fmt	= "/sys/class/misc/%s",
	.dev_fmt	= "/sys/class/misc/%s/dev",
	.node_type	= S_IFCHR,
	.has_mode	= true,
	.proc_misc	= true,
};

/* The C frontends, built for every kernel. */
static const struct hd_frontend *const all_frontends[] = {
	&fe_misc, &fe_cdev, &fe_debugfs,
};

/* The frontend whose tag is @tag, C or Rust, or NULL. */
static inline const struct hd_frontend *frontend_by_tag(const char *tag)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all_frontends); i++)
		if (!strcmp(all_frontends[i]->tag, tag))
			return all_frontends[i];
	return strcmp(fe_rust.tag, tag) ? NULL : &fe_rust;
}

static inline void fmt_path(char *path, const char *fmt, const char *name)
{
	snprintf(path, PATH_MAX, fmt, name);
}

static inline bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* Read @path into @buf, NUL-terminated; return its length or -errno. */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t len = 0, n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			len = -errno;
			break;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

/* Whether the running kernel is version @major.@minor or later. */
static inline bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* Write @text to @path: 0 or -errno. */
static inline int write_file(const char *path, const char *text)
{
	ssize_t len = strlen(text), n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : n == len ? 0 : -EIO;
}

/* Load the module file @ko with the parameters @params: 0 or -errno. */
static inline int mod_load_file(const char *ko, const char *params)
{
	int fd, err;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return err;
}

/* Unload module @mod without waiting: 0 or -errno. */
static inline int mod_unload(const char *mod)
{
	return syscall(SYS_delete_module, mod, O_NONBLOCK) ? -errno : 0;
}

/* Whether /proc/modules lists @mod. */
static inline bool mod_listed(const char *mod)
{
	char line[512];
	size_t len = strlen(mod);
	bool found = false;
	FILE *f = fopen("/proc/modules", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, mod, len) && line[len] == ' ';
	fclose(f);
	return found;
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/*
 * Wait up to @timeout_ms until @mod is in neither /proc/modules nor
 * /sys/module; whether it went.
 */
static inline bool mod_wait_gone(const char *mod, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	char path[PATH_MAX];

	fmt_path(path, "/sys/module/%s", mod);
	while (mod_listed(mod) || exists(path)) {
		if (now_ms() >= end)
			return false;
		usleep(1000);
	}
	return true;
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * The Rust twin is built only for kernels with Rust. Without its module
 * here, its variants are taken off the harness's lists, and a line says so:
 * they are not run, rather than reported as failures or skips.
 */
static inline void drop_rust_variants_without_module(void)
{
	struct __fixture_variant_metadata *v, **link;
	struct __fixture_metadata *f;

	if (exists(fe_rust.ko))
		return;
	printf("# %s not here (a kernel without Rust): its variants are not run\n",
	       fe_rust.ko);
	for (f = __fixture_list; f; f = f->next) {
		for (link = &f->variant; (v = *link);) {
			if (!strcmp(v->name, fe_rust.tag))
				*link = v->next;
			else
				link = &v->next;
		}
	}
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* HELLODEV_USER_H */
