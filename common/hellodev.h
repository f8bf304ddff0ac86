/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hellodev core: the greeting, the open counter and the read semantics that
 * every hellodev frontend shares. Nothing here knows how a file is registered.
 */
#ifndef _HELLODEV_H
#define _HELLODEV_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit_types.h>
#include <linux/types.h>

/* Longest node name, in bytes. */
#define HELLODEV_NAME_MAX	32
/* Longest greeting, in bytes; the text read back adds one newline. */
#define HELLODEV_GREETING_MAX	4095
#define HELLODEV_DEFAULT_GREETING	"Hello from C"
/* Node permissions: read bits only, root-only unless widened. */
#define HELLODEV_DEFAULT_MODE	0400

/**
 * struct hellodev - one greeting device, whatever API exposes it
 * @name: node name, also the prefix of every log line
 * @log_opens: log every open (rate-limited for openers without CAP_SYSLOG)
 * @opens: number of opens so far
 * @log_rs: rate limit for open messages caused by unprivileged openers
 * @len: bytes in @text
 * @text: the greeting followed by one newline; not NUL-terminated
 *
 * Everything but @opens and @log_rs is written once by hellodev_setup()
 * and read-only afterwards, so the file operations take no lock.
 */
struct hellodev {
	char name[HELLODEV_NAME_MAX + 1];
	bool log_opens;
	atomic64_t opens;
	struct ratelimit_state log_rs;
	size_t len;
	char text[HELLODEV_GREETING_MAX + 1];
};

extern const struct kernel_param_ops hellodev_param_ops_mode;

int hellodev_setup(struct hellodev *hd, const char *modname, const char *name,
		   const char *greeting, bool log_opens);
int hellodev_setup_from_params(struct hellodev *hd, const char *modname);
int hellodev_check_mode(const struct hellodev *hd, umode_t mode);
u64 hellodev_count_open(struct hellodev *hd, bool privileged);
u64 hellodev_open_count(const struct hellodev *hd);
int hellodev_open(struct hellodev *hd, struct file *file);
ssize_t hellodev_read(struct file *file, char __user *buf, size_t count,
		      loff_t *ppos);
loff_t hellodev_llseek(struct file *file, loff_t offset, int whence);

#if IS_ENABLED(CONFIG_KUNIT)
ssize_t hellodev_read_len(size_t len, loff_t pos, size_t count);
#endif

#endif /* _HELLODEV_H */
