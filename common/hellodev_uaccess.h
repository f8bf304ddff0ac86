/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hellodev: the fast copy of a short read to user space, shared by the C
 * core (common/hellodev.c) and the Rust core's user writer (rust/uaccess.rs,
 * through rust/uaccess_helper.c), so that both languages copy alike.
 */
#ifndef _HELLODEV_UACCESS_H
#define _HELLODEV_UACCESS_H

#include <linux/compiler.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uaccess.h>

/*
 * Longest copy made with direct stores (hellodev_copy_stores()); past it,
 * the string copy behind copy_to_user() wins despite the hardened usercopy
 * check. scripts/bench.sh, deterministic mode, ns per pread of misc
 * with stores / with copy_to_user(): 13 B 634 / 749, 64 B 664 / 751, 128 B
 * 704 / 759, 192 B 744 / 767, 256 B 784 / 775.
 */
#define HELLODEV_COPY_STORES_MAX	192

/*
 * hellodev_copy_stores() - copy @n bytes of @src to @buf with direct stores
 *
 * @n must be from 1 to HELLODEV_COPY_STORES_MAX. The user range is checked
 * once (user_write_access_begin()), then the bytes are stored in words that
 * may overlap, as filldir() in fs/readdir.c does: 13 bytes are two 8-byte
 * stores, where unsafe_copy_to_user() would run four loops. A fault does not
 * say how far the stores got.
 *
 * Return: true if all @n bytes were copied; false after a fault or for a
 * range that is not user memory, when the caller copies again and counts.
 */
static __always_inline bool hellodev_copy_stores(char __user *buf,
						 const char *src, size_t n)
{
	size_t i;
	u64 q;
	u32 l;
	u16 w;

	if (!user_write_access_begin(buf, n))
		return false;
	if (n >= sizeof(q)) {
		i = 0;
		do {
			memcpy(&q, src + i, sizeof(q));
			unsafe_put_user(q, (u64 __user *)(buf + i), fault);
			i += sizeof(q);
		} while (i < n - sizeof(q));
		memcpy(&q, src + n - sizeof(q), sizeof(q));
		unsafe_put_user(q, (u64 __user *)(buf + n - sizeof(q)), fault);
	} else if (n >= sizeof(l)) {
		memcpy(&l, src, sizeof(l));
		unsafe_put_user(l, (u32 __user *)buf, fault);
		memcpy(&l, src + n - sizeof(l), sizeof(l));
		unsafe_put_user(l, (u32 __user *)(buf + n - sizeof(l)), fault);
	} else {
		unsafe_put_user(*src, buf, fault);
		if (n >= sizeof(w)) {
			memcpy(&w, src + n - sizeof(w), sizeof(w));
			unsafe_put_user(w, (u16 __user *)(buf + n - sizeof(w)),
					fault);
		}
	}
	user_write_access_end();
	return true;

fault:
	user_write_access_end();
	return false;
}

#endif /* _HELLODEV_UACCESS_H */
