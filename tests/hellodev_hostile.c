// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev hostile-userspace suite: every frontend, and debugfs also
 * through its full proxy, gets the inputs a fuzzer tries first; the spec's
 * own checks are hellodev_conformance.c. Needs root and loads modules: run
 * it in a throw-away VM (scripts/vmtest.sh). The Rust twin's variants are
 * skipped where its module file is not here (kernels without Rust); "-V
 * rust" leaves them out.
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

/* The Rust cdev twin's, as chrdev_open() opens it: -ENXIO. */
FIXTURE_VARIANT_ADD(hostile, rust_cdev) {
	.fe = &fe_rust_cdev, .tag = "rust_cdev", .params = "",
	.refs_per_file = 2, .stale_errno = ENXIO,
};

FIXTURE_VARIANT_ADD(hostile, debugfs_full_proxy) {
	.fe = &fe_debugfs, .tag = "proxy", .params = "full_proxy=1",
	.refs_per_file = 1, .stale_errno = ENOENT, .full_proxy = true,
};

/* The Rust debugfs twin's, as the C twin's. */
FIXTURE_VARIANT_ADD(hostile, rust_debugfs) {
	.fe = &fe_rust_debugfs, .tag = "rust_debugfs", .params = "",
	.refs_per_file = 1, .stale_errno = ENOENT,
};

FIXTURE_VARIANT_ADD(hostile, rust_debugfs_full_proxy) {
	.fe = &fe_rust_debugfs, .tag = "rust_proxy", .params = "full_proxy=1",
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
	if (variant->fe->rust && !exists(variant->fe->ko))
		SKIP(return, "%s not here: a kernel without Rust",
		     variant->fe->ko);
	ASSERT_EQ(0, node_setup(&self->dev, variant->fe, 'h',
				variant->tag, &self->log));
	ASSERT_EQ(0, hostile_load(variant->fe, variant->params, &self->dev,
				  ""));
	EXPECT_TRUE(one_record(&self->log, self->dev.name, "(init)", -1));
}

FIXTURE_TEARDOWN(hostile)
{
	bool gone = unload_leftover(variant->fe);

	if (_metadata->exit_code == KSFT_PASS)
		EXPECT_TRUE(gone);
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

TEST_F(hostile, read_of_zero_bytes_returns_0_and_moves_nothing)
{
	char buf[64];
	int fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, rc(read(fd, buf, 0)));
	/* Even without a buffer: an empty range needs no valid address. */
	EXPECT_EQ(0, rc(syscall(SYS_read, fd, NULL, 0)));
	EXPECT_EQ(0, pos_of(fd));
	EXPECT_TRUE(reads(fd, 5, "Hello"));
	EXPECT_EQ(0, rc(read(fd, buf, 0)));
	EXPECT_EQ(0, rc(pread(fd, buf, 0, 0)));
	EXPECT_EQ(5, pos_of(fd));
	EXPECT_TRUE(reads(fd, 64, " from C\n"));
	EXPECT_EQ(0, rc(read(fd, buf, 0)));
	EXPECT_EQ(HD_GREETING_LEN, pos_of(fd));
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

TEST_F(hostile, read_into_null_or_a_kernel_address_is_efault)
{
	static void *const bad[] = { NULL, (void *)1, KERNEL_DIRECT_MAP,
				     KERNEL_TEXT };
	char buf[64];
	size_t i;
	int fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
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
	EXPECT_EQ(HD_GREETING_LEN, rc(read(fd, buf, sizeof(buf))));
	EXPECT_EQ(0, memcmp(buf, HD_GREETING, HD_GREETING_LEN));
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

TEST_F(hostile, read_of_size_max_is_efault_and_huge_counts_are_clamped)
{
	long page = sysconf(_SC_PAGESIZE);
	char *buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
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
	EXPECT_EQ(HD_GREETING_LEN, rc(syscall(SYS_read, fd, buf, 1UL << 31)));
	EXPECT_EQ(0, memcmp(buf, HD_GREETING, HD_GREETING_LEN));
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
	int fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	edge = map + page;
	ASSERT_EQ(0, mprotect(edge, page, PROT_NONE));
	for (off = 0; off < HD_GREETING_LEN; off += 3) {
		EXPECT_EQ(-EFAULT, rc(pread(fd, edge, 64, off)));
		for (k = 1; k < HD_GREETING_LEN - off; k++) {
			n = pread(fd, edge - k, 64, off);
			EXPECT_EQ(k, n) TH_LOG("pread at %lld, %zd bytes mapped",
					       (long long)off, k);
			if (n == k)
				EXPECT_EQ(0, memcmp(edge - k, HD_GREETING + off, k));
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
	EXPECT_TRUE(reads(fd, 64, " from C\n"));
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
		{ HD_GREETING_LEN, 64, 0 },
		{ HD_GREETING_LEN + 1, 64, 0 },
		{ HD_GREETING_LEN - 1, 64, 1 },
	};
	char buf[64];
	size_t i;
	int fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
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
	EXPECT_TRUE(reads(fd, 64, HD_GREETING));
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
		{ LLONG_MAX - HD_GREETING_LEN, SEEK_END, LLONG_MAX },
		{ 0, SEEK_SET, 0 },
		/* The offset is compared as unsigned: -1 is past the end. */
		{ -1, SEEK_DATA, -ENXIO },
		{ -1, SEEK_HOLE, -ENXIO },
		{ LLONG_MAX, SEEK_DATA, -ENXIO },
		{ LLONG_MAX, SEEK_HOLE, -ENXIO },
		{ HD_GREETING_LEN - 1, SEEK_DATA, HD_GREETING_LEN - 1 },
		{ HD_GREETING_LEN - 1, SEEK_HOLE, HD_GREETING_LEN },
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
	int fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
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
			EXPECT_EQ(HD_GREETING_LEN, rc(pread(fd, buf, 64, 0)));
		}
	}
	EXPECT_EQ(0, pos_of(fd));
	EXPECT_TRUE(reads(fd, 64, HD_GREETING));
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
	fd = open_diag(self->dev.node, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, rc(write(fd, "x", 1)));
	EXPECT_EQ(-EBADF, rc(write(fd, "x", 0)));
	EXPECT_EQ(-EBADF, rc(pwrite(fd, "x", 1, 0)));
	EXPECT_EQ(-EBADF, rc(writev(fd, &iov, 1)));
	close(fd);

	/* With it but no write method: -EINVAL, even for 0 bytes. */
	fd = open_diag(self->dev.node, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, rc(write(fd, "x", 1)));
	EXPECT_EQ(-EINVAL, rc(write(fd, "x", 0)));
	EXPECT_EQ(-EINVAL, rc(pwrite(fd, "x", 1, 0)));
	EXPECT_EQ(-EINVAL, rc(pwrite(fd, "x", 1, -1)));
	EXPECT_EQ(-EINVAL, rc(writev(fd, &iov, 1)));
	EXPECT_EQ(0, pos_of(fd));
	EXPECT_TRUE(reads(fd, 64, HD_GREETING));
	close(fd);

	/* Write-only (root may open the 0400 node so): reads are -EBADF. */
	fd = open_diag(self->dev.node, O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, rc(write(fd, "x", 1)));
	EXPECT_EQ(-EBADF, rc(read(fd, buf, sizeof(buf))));
	close(fd);

	EXPECT_EQ(3, read_count(self->dev.count));
	EXPECT_TRUE(greeting_reads(self->dev.node, HD_GREETING));
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
	int n, fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
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
	EXPECT_TRUE(reads(fd, 64, " from C\n"));
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

TEST_F(hostile, mmap_is_refused_with_enodev)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = open_diag(self->dev.node, O_RDONLY);
	void *p;

	ASSERT_LE(0, fd);
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
	int i, fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
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
		EXPECT_EQ(i ? 0 : HD_GREETING_LEN, read(fd, buf, sizeof(buf)));
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
	int fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
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
	EXPECT_TRUE(reads(fd, 64, HD_GREETING));
	close(fd);
	EXPECT_EQ(1, read_count(self->dev.count));
}

/* Without splice_read (6.1 has no fallback) the node cannot be spliced. */
TEST_F(hostile, sendfile_and_splice_from_the_node_are_einval)
{
	int fd = open_diag(self->dev.node, O_RDONLY);
	int null = open_diag("/dev/null", O_WRONLY);
	off_t off = 3;
	int pipefd[2];

	ASSERT_LE(0, fd);
	ASSERT_LE(0, null);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	EXPECT_EQ(-EINVAL, rc(sendfile(pipefd[1], fd, NULL, 64)));
	EXPECT_EQ(-EINVAL, rc(sendfile(null, fd, NULL, 64)));
	EXPECT_EQ(-EINVAL, rc(sendfile(null, fd, &off, 64)));
	EXPECT_EQ(3, off);
	EXPECT_EQ(-EINVAL, rc(splice(fd, NULL, pipefd[1], NULL, 64, 0)));
	EXPECT_EQ(0, pos_of(fd));
	EXPECT_TRUE(reads(fd, 64, HD_GREETING));
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
	int fd, n, o = open_diag(self->dev.node, O_PATH);

	ASSERT_LE(0, o);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
	EXPECT_EQ(0, read_count(self->dev.count));
	EXPECT_EQ(0, mod_refcnt(variant->fe->mod));
	EXPECT_EQ(-EBADF, rc(read(o, buf, sizeof(buf))));
	EXPECT_EQ(-EBADF, rc(lseek(o, 0, SEEK_SET)));
	EXPECT_EQ(-EBADF, rc(ioctl(o, FIONREAD, &n)));
	ASSERT_EQ(0, fstat(o, &st));
	EXPECT_EQ(variant->fe->node_type, st.st_mode & S_IFMT);

	fd = open_diag(proc, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, read_count(self->dev.count));
	EXPECT_TRUE(reads(fd, 64, HD_GREETING));
	close(fd);

	EXPECT_TRUE(unload_wait(variant->fe));
	EXPECT_TRUE(traces_are(variant->fe, self->dev.name, false, false));
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
	ASSERT_EQ(0, kmsg_read(log));
	ASSERT_EQ(1, log->n) kmsg_dump(log);
	EXPECT_EQ(1, opened_n(&log->rec[0], self->dev.name));
	ASSERT_EQ(0, kmsg_forget(log, NULL));
	EXPECT_EQ(0, mod_refcnt(variant->fe->mod));
	EXPECT_TRUE(greeting_reads(self->dev.node, HD_GREETING));
	EXPECT_EQ(2, read_count(self->dev.count));
	EXPECT_TRUE(unload_wait(variant->fe));
	EXPECT_TRUE(traces_are(variant->fe, self->dev.name, false, false));
}

/*
 * dup() and fork() share one open file: one open counted, one module
 * reference, one shared position, and the file (with its reference) goes
 * away at the last close, whichever process makes it.
 */
TEST_F(hostile, fork_and_dup_share_one_open_and_one_release)
{
	int fd = open_diag(self->dev.node, O_RDONLY);
	int fd2 = dup(fd), go[2], status;
	char buf[64], c;
	pid_t pid;

	ASSERT_LE(0, fd);
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
	EXPECT_EQ(variant->refs_per_file, mod_refcnt(variant->fe->mod));
	EXPECT_TRUE(reads(fd, 64, " from C\n"));
	close(fd);
	close(fd2);
	/* The child still holds the file. */
	EXPECT_EQ(variant->refs_per_file, mod_refcnt(variant->fe->mod));
	EXPECT_EQ(-EWOULDBLOCK, mod_unload(variant->fe->mod));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, mod_refcnt(variant->fe->mod));
	EXPECT_EQ(1, read_count(self->dev.count));
	EXPECT_TRUE(unload_wait(variant->fe));
	EXPECT_TRUE(traces_are(variant->fe, self->dev.name, false, false));
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
		if (!memmem(HD_GREETING, HD_GREETING_LEN, buf, n))
			r->bad++;
		for (i = 0; i < n; i++)
			r->seen[(unsigned char)buf[i]]++;
		r->got += n;
	}
	if (n < 0)
		r->bad++;
	/* pread needs no shared position: always the exact slice. */
	for (i = 0; i < 200; i++) {
		off = i % (HD_GREETING_LEN + 2);
		want = off < HD_GREETING_LEN ? HD_GREETING_LEN - off : 0;
		if (want > (ssize_t)sizeof(buf))
			want = sizeof(buf);
		n = pread(r->fd, buf, sizeof(buf), off);
		if (n != want || memcmp(buf, HD_GREETING + off, want))
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
	int fd = open_diag(self->dev.node, O_RDONLY);

	ASSERT_LE(0, fd);
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
	EXPECT_EQ(HD_GREETING_LEN, pos_of(fd));
	for (i = 0; i < HD_GREETING_LEN; i++)
		want[(unsigned char)HD_GREETING[i]]++;
	if (variant->fe->node_type == S_IFREG) {
		EXPECT_EQ(HD_GREETING_LEN, got);
		EXPECT_EQ(0, memcmp(want, seen, sizeof(want)));
	} else {
		EXPECT_LE(HD_GREETING_LEN, got);
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
	EXPECT_TRUE(unload_wait(variant->fe));
	ASSERT_EQ(0, hostile_load(variant->fe, variant->params, &self->dev,
				  "log_opens=0"));
	ASSERT_EQ(0, kmsg_forget(log, NULL));
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
	EXPECT_EQ(0, mod_refcnt(variant->fe->mod));
	ASSERT_EQ(0, kmsg_read(log));
	EXPECT_EQ(0, log->n) kmsg_dump(log);
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

/* Run as HD_USER_ID in a child and report what @node and @count allow. */
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
		if (setgroups(0, NULL) || setgid(HD_USER_ID) || setuid(HD_USER_ID))
			_exit(1);
		fd = open(node, O_RDONLY | O_CLOEXEC);
		v->open_rd = fd < 0 ? -errno : 0;
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf)) != HD_GREETING_LEN ||
			    memcmp(buf, HD_GREETING, HD_GREETING_LEN))
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

	EXPECT_TRUE(unload_wait(fe));
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
	ASSERT_EQ(0, remove_leftovers());
	ASSERT_EQ(0, mod_load_named(&fe_misc, "hdt_copy", params));
	fmt_path(node, fe_misc.node_fmt, "hdt_copy");
	fd = open_diag(node, O_RDONLY);
	ASSERT_LE(0, fd);

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
	EXPECT_TRUE(unload_wait(&fe_misc));
}

TEST_HARNESS_MAIN
