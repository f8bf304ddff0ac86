// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev conformance suite: loads each frontend (misc, cdev, debugfs and
 * the Rust twin) with finit_module(2) and checks its node, parameters, open
 * counter, log lines and clean-up against the spec, reading the kernel log
 * through /dev/kmsg. Its hostile-userspace half is hellodev_hostile.c.
 * Needs root and loads modules: run it in a throw-away VM (scripts/vmtest.sh).
 * The Rust twin's variants are skipped where its module file is not here
 * (kernels without Rust); "-V rust" leaves them out.
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
#include "hellodev_lib.h"

/*
 * On a debug kernel every module unload waits 2 to 8 s for the module's
 * kobject (CONFIG_DEBUG_KOBJECT_RELEASE): scripts/check-debug.sh builds with
 * a longer per-test time-out.
 */
#ifdef HELLODEV_TEST_TIMEOUT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT HELLODEV_TEST_TIMEOUT
#endif

#define SEED_NAME	"rust_mydev"
#define SEED_GREETING	"🦀 Hello from rust"
#define LOG_ERR		3
#define USER_OPENS	50
#define USER_LOG_BURST	10
#define USER_LOG_INTERVAL_MS	5000
#define THREADS		4
#define ROUNDS		250

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

static void expect_exists(struct __test_metadata *_metadata, const char *path,
			  bool present)
{
	EXPECT_EQ(present, exists(path))
		TH_LOG("%s %s", path,
		       present ? "is missing" : "is left behind");
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

	ASSERT_EQ(0, kmsg_forget(k, bad->name));
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
	EXPECT_TRUE(mod_wait_gone(fe->mod, HD_GONE_TIMEOUT_MS)) TH_LOG("%s", bad->label);
	ASSERT_EQ(0, kmsg_read(k));
	EXPECT_EQ(1, k->n) {
		TH_LOG("%s: %zu records", bad->label, k->n);
		kmsg_dump(k);
	}
	if (k->n == 1) {
		EXPECT_EQ(LOG_ERR, k->rec[0].level) TH_LOG("%s", bad->label);
		EXPECT_TRUE(has_prefix(k->rec[0].text, bad->prefix) &&
			    strstr(k->rec[0].text, bad->what))
			TH_LOG("%s: want \"%s: ...%s...\", got \"%s\"",
			       bad->label, bad->prefix, bad->what,
			       k->rec[0].text);
	}
	EXPECT_TRUE(traces_are(fe, bad->name, false, bad->entry_taken));

	ASSERT_EQ(0, kmsg_forget(k, fe->mod));
	err = mod_load(fe, "");
	ASSERT_EQ(0, err) TH_LOG("load after %s: %s", bad->label,
				 strerror(-err));
	fmt_path(node, fe->node_fmt, fe->mod);
	EXPECT_TRUE(greeting_reads(node, HD_GREETING));
	EXPECT_TRUE(unload_wait(fe));
	ASSERT_EQ(0, kmsg_forget(k, NULL));
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
		if (setgroups(0, NULL) || setgid(HD_USER_ID) || setuid(HD_USER_ID))
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

FIXTURE_VARIANT_ADD(frontend, rust_cdev) {
	.fe = &fe_rust_cdev,
};

FIXTURE_VARIANT_ADD(frontend, rust_debugfs) {
	.fe = &fe_rust_debugfs,
};

FIXTURE_SETUP(frontend)
{
	if (variant->fe->rust && !exists(variant->fe->ko))
		SKIP(return, "%s not here: a kernel without Rust",
		     variant->fe->ko);
	ASSERT_EQ(0, node_setup(&self->dev, variant->fe, 't',
				variant->fe->tag, &self->log));
}

FIXTURE_TEARDOWN(frontend)
{
	bool gone = unload_leftover(variant->fe);

	if (_metadata->exit_code == KSFT_PASS)
		EXPECT_TRUE(gone);
	kmsg_close(&self->log);
}

TEST_F(frontend, parameters_default_to_spec_and_are_read_only)
{
	const struct hd_frontend *fe = variant->fe;
	char path[PATH_MAX];

	ASSERT_EQ(0, mod_load(fe, ""));
	expect_param(_metadata, fe, "name", fe->mod);
	expect_param(_metadata, fe, "greeting", HD_DEFAULT_GREETING);
	expect_param(_metadata, fe, "log_opens", "Y");
	if (fe->has_mode) {
		snprintf(path, sizeof(path), "%04o", HD_DEFAULT_MODE);
		expect_param(_metadata, fe, "mode", path);
	} else {
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/mode",
			 fe->mod);
		expect_exists(_metadata, path, false);
	}
	node_use(&self->dev, fe, fe->mod);
	EXPECT_TRUE(greeting_reads(self->dev.node, HD_GREETING));
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
	EXPECT_TRUE(greeting_reads(self->dev.node, "Hi, 1 2 3\n"));
}

TEST_F(frontend, read_gives_greeting_and_newline_then_eof_from_each_open)
{
	char buf[4096];
	int i, fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	for (i = 0; i < 2; i++) {
		fd = open_diag(self->dev.node, O_RDONLY);
		ASSERT_LE(0, fd);
		memset(buf, 'x', sizeof(buf));
		ASSERT_EQ(HD_GREETING_LEN, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, HD_GREETING, HD_GREETING_LEN));
		EXPECT_EQ(NULL, memchr(buf, '\0', HD_GREETING_LEN));
		EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
		close(fd);
	}
}

TEST_F(frontend, short_reads_of_every_size_reassemble_the_greeting)
{
	ssize_t size, got, want, n;
	char buf[4 * HD_GREETING_LEN];
	int fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	for (size = 1; size <= HD_GREETING_LEN + 1; size++) {
		fd = open_diag(self->dev.node, O_RDONLY);
		ASSERT_LE(0, fd);
		got = 0;
		do {
			want = HD_GREETING_LEN - got;
			if (want > size)
				want = size;
			n = read(fd, buf + got, size);
			EXPECT_EQ(want, n)
				TH_LOG("read(%zd) at %zd", size, got);
			if (n > 0)
				got += n;
		} while (n > 0 && got <= 2 * HD_GREETING_LEN);
		EXPECT_EQ(HD_GREETING_LEN, got) TH_LOG("reads of %zd", size);
		if (got == HD_GREETING_LEN)
			EXPECT_EQ(0, memcmp(buf, HD_GREETING, got));
		close(fd);
	}
}

TEST_F(frontend, pread_gives_the_slice_at_every_offset)
{
	static const size_t sizes[] = {
		1, 2, 5, HD_GREETING_LEN - 1, HD_GREETING_LEN, HD_GREETING_LEN + 1, 4096,
	};
	ssize_t want, n;
	char buf[4096];
	off_t off;
	size_t i;
	int fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	fd = open_diag(self->dev.node, O_RDONLY);
	ASSERT_LE(0, fd);
	for (off = 0; off <= HD_GREETING_LEN + 1; off++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			want = off < HD_GREETING_LEN ? HD_GREETING_LEN - off : 0;
			if ((size_t)want > sizes[i])
				want = sizes[i];
			n = pread(fd, buf, sizes[i], off);
			EXPECT_EQ(want, n) TH_LOG("pread(%zu) at %lld",
						  sizes[i], (long long)off);
			if (n == want && want)
				EXPECT_EQ(0, memcmp(buf, HD_GREETING + off, n));
		}
	}
	n = pread(fd, buf, 4, -1);
	EXPECT_EQ(EINVAL, n < 0 ? errno : 0) TH_LOG("pread at -1 gave %zd", n);
	/* pread() leaves the file position alone. */
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	EXPECT_TRUE(reads(fd, 64, HD_GREETING));
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
	const off_t len = HD_GREETING_LEN;
	int fd;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	fd = open_diag(self->dev.node, O_RDONLY);
	ASSERT_LE(0, fd);
	expect_seek(_metadata, fd, 0, SEEK_END, len);
	EXPECT_TRUE(reads(fd, 64, ""));
	expect_seek(_metadata, fd, -1, SEEK_END, len - 1);
	EXPECT_TRUE(reads(fd, 64, "\n"));
	expect_seek(_metadata, fd, 6, SEEK_SET, 6);
	EXPECT_TRUE(reads(fd, 4, "from"));
	expect_seek(_metadata, fd, 0, SEEK_CUR, 10);
	expect_seek(_metadata, fd, -4, SEEK_CUR, 6);
	EXPECT_TRUE(reads(fd, 64, "from C\n"));
	/* A negative result is refused and leaves the position alone. */
	expect_seek(_metadata, fd, -1, SEEK_SET, -EINVAL);
	expect_seek(_metadata, fd, -len - 1, SEEK_END, -EINVAL);
	expect_seek(_metadata, fd, -100, SEEK_CUR, -EINVAL);
	expect_seek(_metadata, fd, 0, SEEK_CUR, len);
	/* Past the end is allowed and reads nothing. */
	expect_seek(_metadata, fd, 100, SEEK_SET, 100);
	EXPECT_TRUE(reads(fd, 64, ""));
	expect_seek(_metadata, fd, 1, SEEK_END, len + 1);
	EXPECT_TRUE(reads(fd, 64, ""));
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
	EXPECT_TRUE(reads(fd, 64, "lo from C\n"));
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
	fd = open_diag(self->dev.node, O_RDONLY);
	ASSERT_LE(0, fd);
	/* The raw syscall: read() is declared to need a real buffer. */
	n = syscall(SYS_read, fd, bad, HD_GREETING_LEN);
	EXPECT_EQ(EFAULT, n < 0 ? errno : 0) TH_LOG("read gave %zd", n);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));
	close(fd);

	/* A page, then a PROT_NONE page: reads that run into the second. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	edge = map + page;
	ASSERT_EQ(0, mprotect(edge, page, PROT_NONE));
	for (k = 0; k < HD_GREETING_LEN; k++) {
		fd = open_diag(self->dev.node, O_RDONLY);
		ASSERT_LE(0, fd);
		n = read(fd, edge - k, HD_GREETING_LEN);
		if (!k) {
			EXPECT_EQ(EFAULT, n < 0 ? errno : 0);
		} else {
			EXPECT_EQ(k, n) TH_LOG("%zd bytes before the fault", k);
			if (n == k)
				EXPECT_EQ(0, memcmp(edge - k, HD_GREETING, k));
			/* The position moved by what was copied. */
			EXPECT_TRUE(reads(fd, 64, HD_GREETING + k));
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
	fd = open_diag(self->dev.node, O_RDWR);
	ASSERT_LE(0, fd);
	n = write(fd, "x", 1);
	EXPECT_EQ(EINVAL, n < 0 ? errno : 0) TH_LOG("write gave %zd", n);
	EXPECT_TRUE(reads(fd, 64, HD_GREETING));
	close(fd);

	fd = open_diag(self->dev.node, O_RDONLY);
	ASSERT_LE(0, fd);
	n = write(fd, "x", 1);
	EXPECT_EQ(EBADF, n < 0 ? errno : 0) TH_LOG("write gave %zd", n);
	close(fd);

	EXPECT_EQ(2, read_count(self->dev.count));
	EXPECT_TRUE(greeting_reads(self->dev.node, HD_GREETING));
	EXPECT_EQ(3, read_count(self->dev.count));
}

TEST_F(frontend, open_count_counts_every_open_and_only_opens)
{
	int fd1, fd2, i;

	ASSERT_EQ(0, mod_load_named(variant->fe, self->dev.name, ""));
	EXPECT_EQ(0, read_count(self->dev.count));
	EXPECT_EQ(0, read_count(self->dev.count));
	fd1 = open_diag(self->dev.node, O_RDONLY);
	ASSERT_LE(0, fd1);
	EXPECT_EQ(1, read_count(self->dev.count));
	fd2 = open_diag(self->dev.node, O_RDONLY);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(2, read_count(self->dev.count));
	close(fd1);
	close(fd2);
	EXPECT_EQ(2, read_count(self->dev.count));
	for (i = 0; i < 5; i++)
		EXPECT_TRUE(greeting_reads(self->dev.node, HD_GREETING));
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
	EXPECT_TRUE(one_record(log, dev->name, "(init)", -1));
	for (i = 1; i <= 3; i++) {
		fd = open_diag(dev->node, O_RDONLY);
		ASSERT_LE(0, fd);
		count = read_count(dev->count);
		close(fd);
		EXPECT_EQ(i, count);
		ASSERT_EQ(0, kmsg_read(log));
		ASSERT_EQ(1, log->n) kmsg_dump(log);
		EXPECT_EQ(count, opened_n(&log->rec[0], dev->name))
			TH_LOG("open %lld logged \"%s\"", count,
			       log->rec[0].text);
		ASSERT_EQ(0, kmsg_forget(log, NULL));
	}
	EXPECT_TRUE(unload_wait(variant->fe));
	EXPECT_TRUE(one_record(log, dev->name, "(exit)", -1));
}

TEST_F(frontend, log_opens_off_counts_opens_without_logging)
{
	const struct hd_node *dev = &self->dev;
	struct kmsg *log = &self->log;
	int i;

	ASSERT_EQ(0, mod_load_named(variant->fe, dev->name, "log_opens=0"));
	EXPECT_TRUE(one_record(log, dev->name, "(init)", -1));
	for (i = 0; i < 5; i++)
		EXPECT_TRUE(greeting_reads(dev->node, HD_GREETING));
	EXPECT_EQ(5, read_count(dev->count));
	ASSERT_EQ(0, kmsg_read(log));
	EXPECT_EQ(0, log->n) kmsg_dump(log);
	EXPECT_TRUE(unload_wait(variant->fe));
	EXPECT_TRUE(one_record(log, dev->name, "(exit)", -1));
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
		EXPECT_TRUE(unload_wait(fe));
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
	char long_name[HD_NAME_MAX + 2], param[64];
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

	memset(long_name, 'n', HD_NAME_MAX + 1);
	long_name[HD_NAME_MAX + 1] = '\0';
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
	char *greeting = malloc(HD_GREETING_MAX + 2), *buf = malloc(8192);
	char *param = malloc(HD_GREETING_MAX + 16);
	char name[HD_NAME_MAX + 1];
	int i, fd;

	ASSERT_TRUE(greeting && buf && param);
	for (i = 0; i < HD_GREETING_MAX; i++)
		greeting[i] = 'a' + i % 26;
	greeting[HD_GREETING_MAX] = '\0';
	snprintf(param, HD_GREETING_MAX + 16, "greeting=%s", greeting);
	ASSERT_EQ(0, mod_load_named(fe, self->dev.name, param));
	greeting[HD_GREETING_MAX] = '\n';
	fd = open_diag(self->dev.node, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(HD_GREETING_MAX + 1, read(fd, buf, 8192));
	EXPECT_EQ(0, memcmp(buf, greeting, HD_GREETING_MAX + 1));
	EXPECT_EQ(0, read(fd, buf, 8192));
	close(fd);
	EXPECT_TRUE(unload_wait(fe));

	memset(name, 'n', HD_NAME_MAX);
	name[HD_NAME_MAX] = '\0';
	memcpy(name, self->dev.name, strlen(self->dev.name));
	node_use(&self->dev, fe, name);
	ASSERT_EQ(0, kmsg_forget(&self->log, name));
	ASSERT_EQ(0, mod_load_named(fe, name, ""));
	EXPECT_TRUE(one_record(&self->log, name, "(init)", -1));
	EXPECT_TRUE(greeting_reads(self->dev.node, HD_GREETING));
	EXPECT_TRUE(traces_are(fe, name, true, false));
	EXPECT_TRUE(unload_wait(fe));
	EXPECT_TRUE(traces_are(fe, name, false, false));
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
	EXPECT_TRUE(traces_are(fe, dev->name, true, false));
	fd = open_diag(dev->node, O_RDONLY);
	ASSERT_LE(0, fd);
	err = mod_unload(fe->mod);
	EXPECT_EQ(-EWOULDBLOCK, err)
		TH_LOG("unload while open: %s", strerror(-err));
	EXPECT_TRUE(mod_listed(fe->mod));
	EXPECT_TRUE(traces_are(fe, dev->name, true, false));
	EXPECT_EQ(HD_GREETING_LEN, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, HD_GREETING, HD_GREETING_LEN));
	close(fd);
	EXPECT_TRUE(unload_wait(fe));
	EXPECT_TRUE(traces_are(fe, dev->name, false, false));

	ASSERT_EQ(0, mod_load_named(fe, dev->name, ""));
	EXPECT_TRUE(greeting_reads(dev->node, HD_GREETING));
	EXPECT_TRUE(unload_wait(fe));
	EXPECT_TRUE(traces_are(fe, dev->name, false, false));
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
	ASSERT_EQ(0, kmsg_forget(log, NULL));
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

	ASSERT_EQ(0, kmsg_read(log));
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

	EXPECT_GE(USER_OPENS, log->n) kmsg_dump(log);
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
	EXPECT_EQ(EACCES, open_as_user(dev->node, 1, HD_GREETING));
	EXPECT_EQ(0, read_count(dev->count));
	if (!fe->has_mode)
		return;
	EXPECT_TRUE(unload_wait(fe));

	ASSERT_EQ(0, mod_load_named(fe, dev->name, "mode=0440"));
	EXPECT_EQ(EACCES, open_as_user(dev->node, 1, HD_GREETING));
	EXPECT_EQ(0, read_count(dev->count));
	EXPECT_TRUE(unload_wait(fe));

	ASSERT_EQ(0, mod_load_named(fe, dev->name, "mode=0444"));
	ASSERT_EQ(0, kmsg_forget(log, NULL));
	start = now_ms();
	EXPECT_EQ(0, open_as_user(dev->node, USER_OPENS, HD_GREETING));
	took = now_ms() - start;
	EXPECT_EQ(USER_OPENS, read_count(dev->count));
	ASSERT_EQ(0, kmsg_read(log));
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

	node_use(&self->dev, fe, SEED_NAME);
	ASSERT_EQ(0, kmsg_forget(log, SEED_NAME));
	ASSERT_EQ(0, mod_load_named(fe, SEED_NAME,
				    "greeting=\"" SEED_GREETING "\""));
	EXPECT_TRUE(one_record(log, SEED_NAME, "(init)", -1));
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(greeting_reads(self->dev.node, SEED_GREETING "\n"));
	ASSERT_EQ(0, kmsg_read(log));
	ASSERT_EQ(3, log->n) kmsg_dump(log);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(i + 1, opened_n(&log->rec[i], SEED_NAME))
			TH_LOG("\"%s\"", log->rec[i].text);
	ASSERT_EQ(0, kmsg_forget(log, NULL));
	EXPECT_TRUE(unload_wait(fe));
	EXPECT_TRUE(one_record(log, SEED_NAME, "(exit)", -1));
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

FIXTURE_VARIANT_ADD(taken_node, rust_cdev) {
	.fe = &fe_rust_cdev,
};

FIXTURE_SETUP(taken_node)
{
	if (variant->fe->rust && !exists(variant->fe->ko))
		SKIP(return, "%s not here: a kernel without Rust",
		     variant->fe->ko);
	ASSERT_EQ(0, node_setup(&self->dev, variant->fe, 'n',
				variant->fe->tag, &self->log));
	snprintf(self->mknod_path, sizeof(self->mknod_path),
		 "/hd_mknod_%s", variant->fe->tag);
	unlink(self->mknod_path);
}

FIXTURE_TEARDOWN(taken_node)
{
	bool gone = unload_leftover(variant->fe);

	if (_metadata->exit_code == KSFT_PASS)
		EXPECT_TRUE(gone);
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
	EXPECT_TRUE(node_is(_metadata, self->dev.node, ours, HD_GREETING));
	EXPECT_FALSE(node_is(_metadata, self->dev.node, null, ""));
	EXPECT_TRUE(unload_wait(fe));

	node_use(&self->dev, fe, "null");
	fmt_path(entry, fe->entry_fmt, "null");
	fmt_path(count, fe->count_fmt, "null");
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kmsg_forget(&self->log, "null"));
		err = mod_load_named(fe, "null", "");
		ASSERT_EQ(0, err) TH_LOG("load %d as null: %s", i + 1,
					 strerror(-err));
		EXPECT_TRUE(one_record(&self->log, "null", "/dev/null", -1));
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
				    HD_GREETING));
		EXPECT_EQ(1, read_count(count));
		ASSERT_EQ(0, unlink(self->mknod_path));
		EXPECT_TRUE(unload_wait(fe));
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
 * report, "INFO: task hellodev_confor:123 blocked ...", is left out: the
 * guest's log gate fails any run that logs it; its next line is here.)
 */
TEST(kmsg_takes_only_records_that_start_with_the_prefix)
{
	static const char *const theirs[] = {
		"hellodev_confor[42]: segfault at 0 ip 0000000000401000 sp 00007ffc00000000 error 4 in hellodev_confor[401000+1000]",
		"task:hellodev_confor state:D stack:0     pid:123   ppid:1      flags:0x00004000",
		"CPU: 1 PID: 123 Comm: hellodev_confor Tainted: G           OE      6.1.0-hellodev-debug #1",
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

	ASSERT_EQ(0, kmsg_open(&log, fe_misc.mod, "hdt_kmsg"));
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("/dev/kmsg: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(theirs) + ARRAY_SIZE(ours); i++) {
		snprintf(line, sizeof(line), "<6>%s\n", i < ARRAY_SIZE(theirs) ?
			 theirs[i] : ours[i - ARRAY_SIZE(theirs)]);
		ASSERT_EQ((ssize_t)strlen(line), write(fd, line, strlen(line)))
			TH_LOG("/dev/kmsg: %s", strerror(errno));
	}
	close(fd);
	ASSERT_EQ(0, kmsg_read(&log));
	EXPECT_EQ(ARRAY_SIZE(ours), log.n) kmsg_dump(&log);
	for (i = 0; i < log.n && i < ARRAY_SIZE(ours); i++)
		EXPECT_STREQ(ours[i], log.rec[i].text);
	kmsg_close(&log);
}

TEST(all_frontends_work_side_by_side)
{
	const struct hd_frontend *fe, *fes[HD_FRONTENDS];
	char node[PATH_MAX], count[PATH_MAX];
	size_t i, n = frontends_here(fes);

	ASSERT_EQ(0, remove_leftovers());
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, mod_load(fes[i], "")) TH_LOG("load %s", fes[i]->mod);
	for (i = 0; i < n; i++) {
		fe = fes[i];
		fmt_path(node, fe->node_fmt, fe->mod);
		fmt_path(count, fe->count_fmt, fe->mod);
		EXPECT_TRUE(greeting_reads(node, HD_GREETING));
		EXPECT_EQ(1, read_count(count)) TH_LOG("%s", count);
		EXPECT_TRUE(traces_are(fe, fe->mod, true, false));
	}
	for (i = 0; i < n; i++) {
		fe = fes[i];
		EXPECT_TRUE(unload_wait(fe));
		EXPECT_TRUE(traces_are(fe, fe->mod, false, false));
	}
}

/* The debugfs frontends' own tests: the C one and its Rust twin. */
FIXTURE(debugfs_dir) {
};

FIXTURE_VARIANT(debugfs_dir) {
	const struct hd_frontend *fe;
};

FIXTURE_VARIANT_ADD(debugfs_dir, debugfs) {
	.fe = &fe_debugfs,
};

FIXTURE_VARIANT_ADD(debugfs_dir, rust_debugfs) {
	.fe = &fe_rust_debugfs,
};

FIXTURE_SETUP(debugfs_dir)
{
	if (variant->fe->rust && !exists(variant->fe->ko))
		SKIP(return, "%s not here: a kernel without Rust",
		     variant->fe->ko);
}

FIXTURE_TEARDOWN(debugfs_dir)
{
}

TEST_F(debugfs_dir, directory_in_use_is_refused_cleanly)
{
	static const struct bad_load bdi = {
		.label = "name of the kernel's debugfs directory bdi",
		.params = "name=bdi", .name = "bdi", .prefix = "bdi",
		.what = "(-17)", .err = EEXIST, .entry_taken = true,
	};
	struct kmsg log;

	if (!exists("/sys/kernel/debug/bdi"))
		SKIP(return, "no debugfs directory bdi to collide with");
	ASSERT_EQ(0, remove_leftovers());
	ASSERT_EQ(0, kmsg_open(&log, variant->fe->mod, "bdi"));
	expect_refused(_metadata, &log, variant->fe, &bdi);
	kmsg_close(&log);
}

/*
 * A debugfs frontend registers greeting without debugfs' full proxy unless
 * full_proxy=Y. Both registrations must read the same and must keep the
 * module loaded while the file is open: the unproxied one relies on that.
 */
TEST_F(debugfs_dir, full_proxy_reads_the_same_and_pins_the_module)
{
	static const char *const params[] = { "full_proxy=0", "full_proxy=1" };
	const struct hd_frontend *fe = variant->fe;
	char node[PATH_MAX], path[PATH_MAX], val[8], buf[64];
	size_t i;
	int fd, err;

	ASSERT_EQ(0, remove_leftovers());
	fmt_path(node, fe->node_fmt, "hdt_proxy");
	snprintf(path, sizeof(path), "/sys/module/%s/parameters/full_proxy",
		 fe->mod);
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		ASSERT_EQ(0, mod_load_named(fe, "hdt_proxy", params[i]));
		ASSERT_LT(0, read_file(path, val, sizeof(val)));
		EXPECT_EQ(i ? 'Y' : 'N', val[0]);
		fd = open_diag(node, O_RDONLY);
		ASSERT_LE(0, fd);
		err = mod_unload(fe->mod);
		EXPECT_EQ(-EWOULDBLOCK, err)
			TH_LOG("%s: unload while open: %s", params[i],
			       strerror(-err));
		EXPECT_EQ(HD_GREETING_LEN, pread(fd, buf, sizeof(buf), 0));
		EXPECT_EQ(0, memcmp(buf, HD_GREETING, HD_GREETING_LEN));
		close(fd);
		EXPECT_TRUE(unload_wait(fe));
		EXPECT_TRUE(traces_are(fe, "hdt_proxy", false, false));
	}
}

TEST_HARNESS_MAIN
