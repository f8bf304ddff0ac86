// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev core: the greeting, the open counter and the read semantics shared
 * by the misc, cdev and debugfs frontends. Each frontend module links its own
 * copy, so the parameters below belong to whichever module this is.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "hellodev.h"
#include "hellodev_uaccess.h"

/**
 * struct text_param - the value of a text parameter (name, greeting)
 * @val: the value, or NULL
 * @copied: @val is a copy that param_set_text() made; param_free_text()
 *	frees it with the module
 */
struct text_param {
	const char *val;
	bool copied;
};

static void param_free_text(void *arg)
{
	struct text_param *text = arg;

	if (text->copied)
		kfree(text->val);
	text->val = NULL;
	text->copied = false;
}

/*
 * name and greeting are checked by hellodev_setup(), not while the arguments
 * are parsed: that way a value of any length gets -EINVAL and one message
 * that says what to fix (charp refuses over 1024 bytes with -ENOSPC and two
 * messages of its own). The value is copied: 7.3 frees the module's
 * argument string once it has parsed it, before the module's init runs
 * (6.1 and 6.12 kept it, as mod->args, as long as the module).
 */
static int param_set_text(const char *val, const struct kernel_param *kp)
{
	struct text_param *text = kp->arg;
	char *copy = kstrdup(val, GFP_KERNEL);

	if (!copy)
		return -ENOMEM;
	param_free_text(text);
	text->val = copy;
	text->copied = true;
	return 0;
}

static int param_get_text(char *buffer, const struct kernel_param *kp)
{
	const struct text_param *text = kp->arg;

	return sysfs_emit(buffer, "%s\n", text->val);
}

static const struct kernel_param_ops param_ops_text = {
	.set = param_set_text,
	.get = param_get_text,
	.free = param_free_text,
};

static struct text_param name;
module_param_cb(name, &param_ops_text, &name, 0444);
MODULE_PARM_DESC(name, "Node name, 1-32 of A-Za-z0-9_-. not starting with '.' (default: module name)");

static struct text_param greeting = { .val = HELLODEV_DEFAULT_GREETING };
module_param_cb(greeting, &param_ops_text, &greeting, 0444);
MODULE_PARM_DESC(greeting, "Text read back, then a newline; 1-4095 bytes (default: \"Hello from C\")");

static bool log_opens = true;
module_param(log_opens, bool, 0444);
MODULE_PARM_DESC(log_opens, "Log each open; rate-limited without CAP_SYSLOG (default: Y)");

static int param_get_mode(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%#o\n", *(unsigned short *)kp->arg);
}

/* A ushort that sysfs shows in octal, the way a mode is written. */
const struct kernel_param_ops hellodev_param_ops_mode = {
	.set = param_set_ushort,
	.get = param_get_mode,
};

/* ASCII only: the kernel's isalnum() also takes Latin-1 letters. */
static bool name_char_ok(char c)
{
	return isascii(c) && (isalnum(c) || c == '_' || c == '-' || c == '.');
}

static int check_name(const char *name, const char *modname)
{
	size_t len = strlen(name);
	size_t i = 0;

	if (!len) {
		pr_err("%s: name is empty; give 1 to %d characters\n",
		       modname, HELLODEV_NAME_MAX);
		return -EINVAL;
	}
	if (len > HELLODEV_NAME_MAX) {
		pr_err("%s: name is %zu characters long; the limit is %d\n",
		       modname, len, HELLODEV_NAME_MAX);
		return -EINVAL;
	}
	while (i < len && name_char_ok(name[i]))
		i++;
	if (i < len || name[0] == '.') {
		pr_err("%s: name \"%*pE\" is not allowed; use only A-Z a-z 0-9 _ - . and do not start with '.'\n",
		       modname, (int)len, name);
		return -EINVAL;
	}
	return 0;
}

/**
 * hellodev_setup() - check a device's settings and make it ready for use
 * @hd: device to set up
 * @modname: module name; the node name when @name is NULL, and the log
 *	prefix when @name itself is invalid
 * @name: node name, or NULL
 * @greeting: text a read returns, without its newline
 * @log_opens: log every open
 *
 * On failure one pr_err() line says which value to fix and how, and @hd is
 * left unusable.
 *
 * Return: 0, or -EINVAL when @name or @greeting is out of bounds.
 */
int hellodev_setup(struct hellodev *hd, const char *modname, const char *name,
		   const char *greeting, bool log_opens)
{
	size_t len;
	int err;

	if (!name)
		name = modname;
	err = check_name(name, modname);
	if (err)
		return err;

	len = strlen(greeting);
	if (!len) {
		pr_err("%s: greeting is empty; give 1 to %d bytes\n",
		       name, HELLODEV_GREETING_MAX);
		return -EINVAL;
	}
	if (len > HELLODEV_GREETING_MAX) {
		pr_err("%s: greeting is %zu bytes long; the limit is %d\n",
		       name, len, HELLODEV_GREETING_MAX);
		return -EINVAL;
	}

	strscpy(hd->name, name, sizeof(hd->name));
	memcpy(hd->text, greeting, len);
	hd->text[len] = '\n';
	hd->len = len + 1;
	hd->log_opens = log_opens;
	atomic64_set(&hd->opens, 0);
	ratelimit_state_init(&hd->log_rs, DEFAULT_RATELIMIT_INTERVAL,
			     DEFAULT_RATELIMIT_BURST);
	/*
	 * No "callbacks suppressed" line: it would not start with the name.
	 * Every logged N is the open's own number, so a gap shows what was
	 * left out, and open_count stays exact.
	 */
	ratelimit_set_flags(&hd->log_rs, RATELIMIT_MSG_ON_RELEASE);
	return 0;
}

/**
 * hellodev_setup_from_params() - set up a device from the module parameters
 * @hd: device to set up
 * @modname: KBUILD_MODNAME of the frontend: the default node name
 *
 * Return: as hellodev_setup().
 */
int hellodev_setup_from_params(struct hellodev *hd, const char *modname)
{
	/* Show the name in use in sysfs, where the parameter is already visible. */
	if (!name.val) {
		kernel_param_lock(THIS_MODULE);
		name.val = modname;
		kernel_param_unlock(THIS_MODULE);
	}
	return hellodev_setup(hd, modname, name.val, greeting.val, log_opens);
}

/**
 * hellodev_check_mode() - check the node permissions a frontend was given
 * @hd: device the node belongs to, set up
 * @mode: permission bits asked for
 *
 * A node may be made readable by more users, never writable or executable.
 *
 * Return: 0, or -EINVAL with one pr_err() line.
 */
int hellodev_check_mode(const struct hellodev *hd, umode_t mode)
{
	if ((mode & ~0444) || !(mode & 0400)) {
		pr_err("%s: mode %#o is not allowed; use read bits only, 0400 included: 0400, 0440, 0404 or 0444\n",
		       hd->name, mode);
		return -EINVAL;
	}
	return 0;
}

/**
 * hellodev_count_open() - count one open and log it
 * @hd: device opened
 * @privileged: the opener may manage the kernel log (CAP_SYSLOG)
 *
 * The number is taken and logged in one step, so two concurrent opens never
 * report the same N. Unprivileged opens share a per-device rate limit, so a
 * node made readable to all cannot be used to flood the log.
 *
 * Return: this open's number, counting from 1.
 */
u64 hellodev_count_open(struct hellodev *hd, bool privileged)
{
	u64 n = atomic64_inc_return(&hd->opens);

	if (hd->log_opens && (privileged || __ratelimit(&hd->log_rs)))
		pr_info("%s: Opened the file %llu times\n", hd->name, n);
	return n;
}

/**
 * hellodev_open_count() - number of opens so far
 * @hd: device
 *
 * Return: how many times the node has been opened since setup.
 */
u64 hellodev_open_count(const struct hellodev *hd)
{
	return atomic64_read(&hd->opens);
}

/**
 * hellodev_open() - the common part of a frontend's open()
 * @hd: device the frontend found for this file
 * @file: file being opened
 *
 * Counts the open and makes @hd the file's private_data, which
 * hellodev_read() and hellodev_llseek() expect.
 *
 * Return: 0.
 */
int hellodev_open(struct hellodev *hd, struct file *file)
{
	bool privileged = hd->log_opens &&
			  ns_capable_noaudit(&init_user_ns, CAP_SYSLOG);

	file->private_data = hd;
	hellodev_count_open(hd, privileged);
	return 0;
}

/**
 * hellodev_read_len() - how many bytes a read may return
 * @len: bytes in the text
 * @pos: file position of the read
 * @count: bytes asked for
 *
 * Return: -EINVAL for a negative position, 0 at or past the end or for an
 * empty read, else the bytes between @pos and the end, at most @count.
 */
VISIBLE_IF_KUNIT ssize_t hellodev_read_len(size_t len, loff_t pos, size_t count)
{
	if (pos < 0)
		return -EINVAL;
	if (pos >= len)
		return 0;
	return min_t(size_t, count, len - pos);
}
EXPORT_SYMBOL_IF_KUNIT(hellodev_read_len);

/*
 * The way of hellodev_read() for long reads and faults: copy_to_user()
 * counts what it copied, so a partial fault gives a short read. Out of line,
 * so that the fast path makes no call and saves no register.
 */
static noinline size_t read_copy(char __user *buf, const char *src, size_t n)
{
	return n - copy_to_user(buf, src, n);
}

/**
 * hellodev_read() - read the greeting, as from a file that holds it
 * @file: file opened through hellodev_open()
 * @buf: user buffer
 * @count: bytes asked for
 * @ppos: file position, advanced by what was copied
 *
 * Short reads work at any size and position. A fault part-way through the
 * buffer gives a short read; a fault on its first byte gives -EFAULT.
 *
 * copy_to_user() of a size not known at build time runs the hardened
 * usercopy check (__check_object_size()) on every call; here it would only
 * prove again what hellodev_read_len() guarantees, that the bytes lie in
 * hd->text. So a read of up to HELLODEV_COPY_STORES_MAX bytes stores
 * directly (hellodev_copy_stores(), which the Rust twin shares); longer
 * reads, and reads that fault, copy with copy_to_user() and count.
 *
 * Return: bytes copied, 0 at end of file, or a negative errno.
 */
ssize_t hellodev_read(struct file *file, char __user *buf, size_t count,
		      loff_t *ppos)
{
	const struct hellodev *hd = file->private_data;
	ssize_t n = hellodev_read_len(hd->len, *ppos, count);
	const char *src;
	size_t copied;

	if (n <= 0)
		return n;
	src = hd->text + *ppos;
	if (n <= HELLODEV_COPY_STORES_MAX && hellodev_copy_stores(buf, src, n))
		copied = n;
	else
		copied = read_copy(buf, src, n);
	if (!copied)
		return -EFAULT;
	*ppos += copied;
	return copied;
}

/**
 * hellodev_llseek() - seek as in a regular file that holds the greeting
 * @file: file opened through hellodev_open()
 * @offset: offset, relative to @whence
 * @whence: SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA or SEEK_HOLE
 *
 * Return: the new position, -EINVAL for a negative one or a bad @whence,
 * -ENXIO for SEEK_DATA or SEEK_HOLE at or past the end.
 */
loff_t hellodev_llseek(struct file *file, loff_t offset, int whence)
{
	const struct hellodev *hd = file->private_data;

	return generic_file_llseek_size(file, offset, whence, MAX_LFS_FILESIZE,
					hd->len);
}
