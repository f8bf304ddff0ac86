// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev's userspace library: the frontends as userspace sees them,
 * files, modules, the kernel log and what a module leaves behind. See
 * tests/hellodev_lib.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hellodev_lib.h"

const struct hd_frontend fe_misc = {
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

const struct hd_frontend fe_cdev = {
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

const struct hd_frontend fe_debugfs = {
	.tag		= "debugfs",
	.mod		= "hellodev_debugfs",
	.ko		= "hellodev_debugfs.ko",
	.node_fmt	= HD_DEBUGFS "/%s/greeting",
	.count_fmt	= HD_DEBUGFS "/%s/open_count",
	.entry_fmt	= HD_DEBUGFS "/%s",
	.node_type	= S_IFREG,
};

/* The Rust twin of the misc frontend (variants/rust_misc.rs). */
const struct hd_frontend fe_rust = {
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
	.rust		= true,
	.twin		= &fe_misc,
};

/* The Rust twin of the cdev frontend (variants/rust_cdev.rs). */
const struct hd_frontend fe_rust_cdev = {
	.tag		= "rust_cdev",
	.mod		= "hellodev_rust_cdev",
	.ko		= "hellodev_rust_cdev.ko",
	.node_fmt	= "/dev/%s",
	.count_fmt	= "/sys/class/hellodev_rust/%s/open_count",
	.entry_fmt	= "/sys/class/hellodev_rust/%s",
	.dev_fmt	= "/sys/class/hellodev_rust/%s/dev",
	.class_dir	= "/sys/class/hellodev_rust",
	.node_type	= S_IFCHR,
	.has_mode	= true,
	.proc_devices	= true,
	.rust		= true,
	.twin		= &fe_cdev,
};

/* The Rust twin of the debugfs frontend (variants/rust_debugfs.rs). */
const struct hd_frontend fe_rust_debugfs = {
	.tag		= "rust_debugfs",
	.mod		= "hellodev_rust_debugfs",
	.ko		= "hellodev_rust_debugfs.ko",
	.node_fmt	= HD_DEBUGFS "/%s/greeting",
	.count_fmt	= HD_DEBUGFS "/%s/open_count",
	.entry_fmt	= HD_DEBUGFS "/%s",
	.node_type	= S_IFREG,
	.rust		= true,
	.twin		= &fe_debugfs,
};

const struct hd_frontend *const hd_frontends[6] = {
	&fe_misc, &fe_cdev, &fe_debugfs, &fe_rust, &fe_rust_cdev,
	&fe_rust_debugfs,
};

/**
 * frontend_by_tag() - look a frontend up by its tag
 * @tag: "misc", "cdev", "debugfs", "rust", "rust_cdev" or "rust_debugfs"
 *
 * Return: the frontend, or NULL.
 */
const struct hd_frontend *frontend_by_tag(const char *tag)
{
	size_t i;

	for (i = 0; i < HD_FRONTENDS; i++)
		if (!strcmp(hd_frontends[i]->tag, tag))
			return hd_frontends[i];
	return NULL;
}

/**
 * frontends_here() - the frontends whose module file is here
 * @fes: filled with them; room for HD_FRONTENDS
 *
 * The C frontends are always taken: a missing C module then fails the
 * caller's load rather than going unnoticed. The Rust twin is taken if its
 * module file is here (it is built only for kernels with Rust).
 *
 * Return: how many were stored in @fes.
 */
size_t frontends_here(const struct hd_frontend **fes)
{
	size_t i, n = 0;

	for (i = 0; i < HD_FRONTENDS; i++)
		if (!hd_frontends[i]->rust || exists(hd_frontends[i]->ko))
			fes[n++] = hd_frontends[i];
	return n;
}

static void diag_stderr(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# %s\n", line);
}

void (*hd_diag)(const char *fmt, ...) = diag_stderr;
int hd_gone_timeout_ms = HD_GONE_TIMEOUT_MS;

/**
 * fmt_path() - a path from a format with one %s
 * @path: the result, PATH_MAX bytes
 * @fmt: a struct hd_frontend path format
 * @name: the node name
 */
void fmt_path(char *path, const char *fmt, const char *name)
{
	snprintf(path, PATH_MAX, fmt, name);
}

/**
 * exists() - whether there is something at a path
 * @path: the path, not followed if it is a link
 *
 * Return: true if lstat() finds it.
 */
bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/**
 * read_file() - read a whole (small) file
 * @path: the file
 * @buf: where its text goes, NUL-terminated
 * @size: room in @buf, at least 1
 *
 * Return: its length, or -errno.
 */
ssize_t read_file(const char *path, char *buf, size_t size)
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

/**
 * write_file() - write a text to a file with one write()
 * @path: the file, which must exist
 * @text: what to write
 *
 * Return: 0, or -errno (-EIO for a short write).
 */
int write_file(const char *path, const char *text)
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

/**
 * read_count() - the number in a file such as open_count
 * @path: the file, which must hold one decimal number and a newline
 *
 * Return: the number, or -1.
 */
long long read_count(const char *path)
{
	char buf[32], *end;
	long long n;

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	n = strtoll(buf, &end, 10);
	return strcmp(end, "\n") ? -1 : n;
}

/**
 * file_has_word() - whether a file has a word, between blanks
 * @file: the file, such as /proc/misc
 * @word: the word
 *
 * Return: true if one of its lines has @word as a whole word.
 */
bool file_has_word(const char *file, const char *word)
{
	char line[256], *tok, *save;
	bool found = false;
	FILE *f = fopen(file, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		for (tok = strtok_r(line, " \t\n", &save); tok && !found;
		     tok = strtok_r(NULL, " \t\n", &save))
			found = !strcmp(tok, word);
	fclose(f);
	return found;
}

/**
 * in_proc_devices() - whether /proc/devices lists a character device
 * @name: its name
 *
 * Return: true if a line of the "Character devices:" part names @name.
 */
bool in_proc_devices(const char *name)
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

/**
 * kernel_at_least() - whether the running kernel is this version or later
 * @major: major version
 * @minor: minor version
 *
 * Return: true if uname()'s release is @major.@minor or later.
 */
bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/**
 * now_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: the time.
 */
long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/**
 * mod_load_file() - load a module file with finit_module(2)
 * @ko: the module file
 * @params: its parameters, as modprobe would pass them
 *
 * Return: 0, or -errno.
 */
int mod_load_file(const char *ko, const char *params)
{
	int fd, err;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return err;
}

/**
 * mod_load() - load a frontend's module
 * @fe: the frontend, whose module file is in the current directory
 * @params: its parameters
 *
 * Return: 0, or -errno.
 */
int mod_load(const struct hd_frontend *fe, const char *params)
{
	return mod_load_file(fe->ko, params);
}

/**
 * mod_load_named() - load a frontend's module with a node name
 * @fe: the frontend
 * @name: the node name, passed as name=@name
 * @more: more parameters, or ""
 *
 * Return: 0, or -errno.
 */
int mod_load_named(const struct hd_frontend *fe, const char *name,
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

/**
 * mod_unload() - unload a module without waiting for its users
 * @mod: the module name
 *
 * Return: 0, or -errno (-EWOULDBLOCK while it is in use).
 */
int mod_unload(const char *mod)
{
	return syscall(SYS_delete_module, mod, O_NONBLOCK) ? -errno : 0;
}

/**
 * mod_listed() - whether /proc/modules lists a module
 * @mod: the module name
 *
 * Return: true if it does.
 */
bool mod_listed(const char *mod)
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

/**
 * mod_wait_gone() - wait until a module is in neither /proc/modules nor sysfs
 * @mod: the module name
 * @timeout_ms: how long to wait at most
 *
 * Return: whether it went.
 */
bool mod_wait_gone(const char *mod, int timeout_ms)
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

/**
 * mod_refcnt() - a module's reference count
 * @mod: the module name
 *
 * Return: /sys/module/@mod/refcnt, or -1.
 */
long long mod_refcnt(const char *mod)
{
	char path[PATH_MAX];

	fmt_path(path, "/sys/module/%s/refcnt", mod);
	return read_count(path);
}

/**
 * mod_describe() - what the kernel says of a module that will not unload
 * @mod: the module name
 * @out: its state ("live", "coming", "going") and reference count
 * @size: room in @out
 *
 * delete_module() gives EBUSY for a module in a state other than live.
 */
void mod_describe(const char *mod, char *out, size_t size)
{
	char path[PATH_MAX], state[32];

	fmt_path(path, "/sys/module/%s/initstate", mod);
	if (read_file(path, state, sizeof(state)) < 0)
		snprintf(state, sizeof(state), "unreadable");
	state[strcspn(state, "\n")] = '\0';
	snprintf(out, size, "state %s, refcnt %lld", state, mod_refcnt(mod));
}

/**
 * unload_leftover() - unload a frontend's module if it is loaded
 * @fe: the frontend
 *
 * Does not wait for it to leave sysfs (a fixture's teardown: the next
 * set-up's remove_leftovers() waits).
 *
 * Return: true if delete_module() took it or it was not loaded; else
 * false, said through hd_diag() with the module's state.
 */
bool unload_leftover(const struct hd_frontend *fe)
{
	char what[96];
	int err = mod_unload(fe->mod);

	if (!err || err == -ENOENT)
		return true;
	mod_describe(fe->mod, what, sizeof(what));
	hd_diag("unload %s: %s (%s)", fe->mod, strerror(-err), what);
	return false;
}

/**
 * remove_leftovers() - unload whatever an earlier test left of any frontend
 *
 * Return: 0, or -EBUSY for the first module that would not go (said
 * through hd_diag(), with the module's state).
 */
int remove_leftovers(void)
{
	const struct hd_frontend *fes[HD_FRONTENDS];
	size_t i, n = frontends_here(fes);

	for (i = 0; i < n; i++) {
		if (!unload_leftover(fes[i]))
			return -EBUSY;
		if (!mod_wait_gone(fes[i]->mod, HD_GONE_TIMEOUT_MS)) {
			hd_diag("leftover %s stays loaded", fes[i]->mod);
			return -EBUSY;
		}
	}
	return 0;
}

/* Whether @name is one plain path component, safe to build paths on. */
static bool plain_name(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

static bool is_there(const char *what, bool there, bool want)
{
	if (there != want)
		hd_diag("%s %s", what, want ? "is missing" : "is left behind");
	return there == want;
}

/**
 * traces_are() - whether everything a frontend makes for a node is there
 * @fe: the frontend
 * @name: the node name
 * @present: all of it must be there; else none of it (the module is given
 *	hd_gone_timeout_ms to go)
 * @entry_taken: the class entry or debugfs directory belongs to someone
 *	else and must stay
 *
 * Checks the module in sysfs, the class that lives as long as the module,
 * the /proc/devices or /proc/misc line and, for a plain @name, the node,
 * open_count and the class entry or debugfs directory. Says what is wrong
 * through hd_diag(), every line of it.
 *
 * Return: true if all of it is as @present says.
 */
bool traces_are(const struct hd_frontend *fe, const char *name, bool present,
		bool entry_taken)
{
	char path[PATH_MAX], what[PATH_MAX + 32];
	bool ok = true;

	if (!present && !mod_wait_gone(fe->mod, hd_gone_timeout_ms)) {
		hd_diag("module %s is still loaded", fe->mod);
		ok = false;
	}
	fmt_path(path, "/sys/module/%s", fe->mod);
	ok &= is_there(path, exists(path), present);
	if (fe->class_dir)
		ok &= is_there(fe->class_dir, exists(fe->class_dir), present);
	if (fe->proc_devices) {
		snprintf(what, sizeof(what), "/proc/devices line \"%s\"", name);
		ok &= is_there(what, in_proc_devices(name), present);
	}
	if (fe->proc_misc) {
		snprintf(what, sizeof(what), "/proc/misc line \"%s\"", name);
		ok &= is_there(what, file_has_word("/proc/misc", name), present);
	}
	if (!plain_name(name))
		return ok;
	fmt_path(path, fe->node_fmt, name);
	ok &= is_there(path, exists(path), present);
	fmt_path(path, fe->count_fmt, name);
	ok &= is_there(path, exists(path), present);
	fmt_path(path, fe->entry_fmt, name);
	ok &= is_there(path, exists(path), present || entry_taken);
	return ok;
}

/**
 * greeting_reads() - whether a node reads a text with one read(), then EOF
 * @path: the node
 * @want: the text
 *
 * Return: true if a fresh open reads exactly @want, then end of file.
 */
bool greeting_reads(const char *path, const char *want)
{
	ssize_t len = strlen(want), n, eof;
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		hd_diag("open %s: %s", path, strerror(errno));
		return false;
	}
	n = read(fd, buf, sizeof(buf));
	eof = read(fd, buf + (n > 0 ? n : 0), 1);
	close(fd);
	if (n != len || memcmp(buf, want, len)) {
		hd_diag("%s reads %zd bytes \"%.*s\", not \"%s\"", path, n,
			n > 0 ? (int)n : 0, buf, want);
		return false;
	}
	if (eof) {
		hd_diag("%s: read after the greeting gave %zd, not 0", path, eof);
		return false;
	}
	return true;
}

/**
 * kmsg_parse() - parse one record as /dev/kmsg gives it
 * @rec: "prio,seq,ts,flags;message\n", NUL-terminated
 * @r: the record, its \xNN escapes undone; ts is in microseconds
 *
 * Return: false if @rec is not a record.
 */
bool kmsg_parse(const char *rec, struct kmsg_rec *r)
{
	const char *p = strchr(rec, ';');
	size_t i = 0;
	unsigned int c;
	int prio;

	if (!p || sscanf(rec, "%d,%llu,%llu,", &prio, &r->seq, &r->usec) != 3)
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

/**
 * has_prefix() - whether a record starts with "<name>: "
 * @text: the record's message
 * @name: the node or module name
 *
 * Return: true if it does.
 */
bool has_prefix(const char *text, const char *name)
{
	size_t len = strlen(name);

	return !strncmp(text, name, len) && !strncmp(text + len, ": ", 2);
}

/**
 * kmsg_is_ours() - whether a record comes from the module @k watches
 * @k: the reader
 * @text: the record's message
 *
 * Ours: it starts with "<node name>: " or "<module name>: ", as every line
 * of the module does, and is not one of the module loader's own lines
 * about an unsigned out-of-tree module. Mentioning hellodev is not enough:
 * the kernel's reports about a task of a test (a segfault, a hung task, a
 * stall) name it, and a debug kernel's release string may too. A reader
 * of every record (@k->mod NULL) takes them all.
 *
 * Return: true if it is the module's.
 */
bool kmsg_is_ours(const struct kmsg *k, const char *text)
{
	if (!k->mod)
		return true;
	if (has_prefix(text, k->mod) &&
	    (strstr(text, ": loading out-of-tree module taints kernel") ||
	     strstr(text, ": module verification failed")))
		return false;
	return has_prefix(text, k->name) || has_prefix(text, k->mod);
}

/**
 * kmsg_open() - start collecting a module's kernel log records
 * @k: the reader
 * @mod: the module, or NULL for every record
 * @name: the node name its records may start with instead, or NULL
 *
 * Records logged from now on are collected, not the older ones.
 *
 * Return: 0, or -errno.
 */
int kmsg_open(struct kmsg *k, const char *mod, const char *name)
{
	memset(k, 0, sizeof(*k));
	k->mod = mod;
	snprintf(k->name, sizeof(k->name), "%s", name ? name : mod ? mod : "");
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	return lseek(k->fd, 0, SEEK_END) < 0 ? -errno : 0;
}

/**
 * kmsg_read() - add the new records of the module to @k->rec
 * @k: the reader
 *
 * Return: 0; -EPIPE if records were overwritten before they were read (the
 * rest are read all the same), -ENOMEM, or the -errno of read().
 */
int kmsg_read(struct kmsg *k)
{
	char buf[8192 + 1];
	struct kmsg_rec r, *more;
	int err = 0;
	ssize_t n;

	for (;;) {
		n = read(k->fd, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EAGAIN)
			return err;
		if (n < 0 && errno == EPIPE) {
			hd_diag("/dev/kmsg: records were overwritten before they were read");
			err = -EPIPE;
			continue;
		}
		if (n <= 0) {
			err = n ? -errno : -EIO;
			hd_diag("/dev/kmsg: %s", strerror(-err));
			return err;
		}
		buf[n] = '\0';
		if (!kmsg_parse(buf, &r) || !kmsg_is_ours(k, r.text))
			continue;
		if (k->n == k->cap) {
			more = realloc(k->rec, (k->cap ? 2 * k->cap : 64) * sizeof(*more));
			if (!more) {
				hd_diag("/dev/kmsg: no memory for the records");
				return -ENOMEM;
			}
			k->rec = more;
			k->cap = k->cap ? 2 * k->cap : 64;
		}
		k->rec[k->n++] = r;
	}
}

/**
 * kmsg_forget() - drop the records collected so far
 * @k: the reader
 * @name: if not NULL, the node name to collect records of from now on
 *
 * Return: what kmsg_read() returned for the records dropped.
 */
int kmsg_forget(struct kmsg *k, const char *name)
{
	int err = kmsg_read(k);

	k->n = 0;
	if (name)
		snprintf(k->name, sizeof(k->name), "%s", name);
	return err;
}

/**
 * kmsg_close() - stop reading and free the records
 * @k: the reader
 */
void kmsg_close(struct kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	free(k->rec);
	k->rec = NULL;
	k->n = 0;
	k->cap = 0;
}

/**
 * kmsg_has() - whether a collected record contains a text
 * @k: the reader
 * @what: the text
 *
 * Return: true if one does.
 */
bool kmsg_has(const struct kmsg *k, const char *what)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strstr(k->rec[i].text, what))
			return true;
	return false;
}

/**
 * opened_n() - the count in an open record
 * @r: the record
 * @name: the node name it must start with
 *
 * Return: N of "<name>: Opened the file N times", or -1.
 */
long long opened_n(const struct kmsg_rec *r, const char *name)
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
 * unload_wait() - unload a frontend that must be loaded and unused
 * @fe: the frontend
 *
 * Return: true if delete_module() took it and it went from sysfs.
 */
bool unload_wait(const struct hd_frontend *fe)
{
	int err = mod_unload(fe->mod);

	if (err) {
		hd_diag("delete_module(%s): %s", fe->mod, strerror(-err));
		return false;
	}
	if (!mod_wait_gone(fe->mod, HD_GONE_TIMEOUT_MS)) {
		hd_diag("%s stays loaded", fe->mod);
		return false;
	}
	return true;
}

/**
 * open_diag() - open a file, saying why not
 * @path: the file
 * @flags: open(2)'s flags; O_CLOEXEC is added
 *
 * Return: the descriptor, or -1.
 */
int open_diag(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		hd_diag("open %s: %s", path, strerror(errno));
	return fd;
}

/**
 * reads() - whether one read() of a descriptor gives exactly a text
 * @fd: the descriptor
 * @size: the count passed to read(), at most 64 is used
 * @want: the text
 *
 * Return: true if it does.
 */
bool reads(int fd, size_t size, const char *want)
{
	ssize_t len = strlen(want), n;
	char buf[64];

	n = read(fd, buf, size < sizeof(buf) ? size : sizeof(buf));
	if (n != len || memcmp(buf, want, len)) {
		hd_diag("read(%zu) gave %zd bytes \"%.*s\", not \"%s\"", size,
			n, n > 0 ? (int)n : 0, buf, want);
		return false;
	}
	return true;
}

/**
 * kmsg_dump() - say every record collected, through hd_diag()
 * @k: the reader
 */
void kmsg_dump(const struct kmsg *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		hd_diag("kmsg <%d> %s", k->rec[i].level, k->rec[i].text);
}

/**
 * one_record() - whether the log has exactly one new record of the module
 * @k: the reader
 * @prefix: what the record must start with, before ": "
 * @what: what it must contain
 * @level: its log level, or -1 for any
 *
 * Reads the log, checks, and forgets the records.
 *
 * Return: true if there was one, as asked.
 */
bool one_record(struct kmsg *k, const char *prefix, const char *what,
		int level)
{
	const struct kmsg_rec *r;
	bool ok = !kmsg_read(k);

	if (k->n != 1) {
		hd_diag("%zu records, not one \"%s: ...%s...\"", k->n, prefix,
			what);
		kmsg_dump(k);
		ok = false;
	} else {
		r = k->rec;
		if (!has_prefix(r->text, prefix) || !strstr(r->text, what)) {
			hd_diag("want \"%s: ...%s...\", got \"%s\"", prefix,
				what, r->text);
			ok = false;
		} else if (level >= 0 && r->level != level) {
			hd_diag("level %d, not %d: %s", r->level, level, r->text);
			ok = false;
		}
	}
	kmsg_forget(k, NULL);
	return ok;
}

/**
 * node_use() - make a name the node name of @dev
 * @dev: the node
 * @fe: its frontend
 * @name: the node name
 */
void node_use(struct hd_node *dev, const struct hd_frontend *fe,
	      const char *name)
{
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	fmt_path(dev->node, fe->node_fmt, name);
	fmt_path(dev->count, fe->count_fmt, name);
}

/**
 * node_setup() - a fixture's set-up
 * @dev: the node, named "hd<kind>_<tag>"
 * @fe: its frontend
 * @kind: a letter per fixture, so that fixtures' nodes differ
 * @tag: the variant's tag
 * @log: watches the node's and module's log records from now on
 *
 * As root, with @fe's module file here, unloads what an earlier test left.
 *
 * Return: 0, or -errno (said through hd_diag()).
 */
int node_setup(struct hd_node *dev, const struct hd_frontend *fe, char kind,
	       const char *tag, struct kmsg *log)
{
	char name[HD_NAME_MAX + 1];
	int err;

	if (geteuid()) {
		hd_diag("the suite loads modules: run as root");
		return -EPERM;
	}
	if (!exists(fe->ko)) {
		hd_diag("%s not found", fe->ko);
		return -ENOENT;
	}
	err = remove_leftovers();
	if (err)
		return err;
	snprintf(name, sizeof(name), "hd%c_%s", kind, tag);
	node_use(dev, fe, name);
	err = kmsg_open(log, fe->mod, name);
	if (err)
		hd_diag("/dev/kmsg: %s", strerror(-err));
	return err;
}

/**
 * opener_run() - a thread of struct opener
 * @arg: its struct opener
 *
 * Waits at @arg->start, then opens @arg->path, reads the greeting and
 * closes it, @arg->rounds times, counting in @arg->bad what went wrong.
 *
 * Return: NULL.
 */
void *opener_run(void *arg)
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
		if (n != HD_GREETING_LEN || memcmp(buf, HD_GREETING, n))
			o->bad++;
		close(fd);
	}
	return NULL;
}
