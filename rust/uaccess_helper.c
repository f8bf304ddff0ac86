// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev: what the Rust twin's user writer needs from C, as the kernel's
 * rust/helpers/ give Rust what is static inline or a macro:
 * user_write_access_begin() and unsafe_put_user() are asm goto, which Rust
 * cannot reach. Linked into the Rust module and wrapped once, in
 * rust/uaccess.rs.
 */

#include "hellodev_uaccess.h"
#include "uaccess_helper.h"

/**
 * hellodev_rust_copy_to_user() - copy to user space, as far as it can
 * @to: user buffer
 * @from: kernel bytes, all in one live object
 * @n: bytes to copy, more than 0
 *
 * As the C core copies: direct stores up to HELLODEV_COPY_STORES_MAX bytes
 * (hellodev_copy_stores()), else, and after a fault, a copy that counts.
 * That copy is _copy_to_user(), without copy_to_user()'s hardened usercopy
 * check, as the kernel's Rust IovIterDest::copy_to_iter() copies with
 * _copy_to_iter(): @from comes from a Rust &[u8], which the type system
 * guarantees to be @n bytes of one live object, what the check would
 * verify. (The C core's text lives in the module's static data, where the
 * check is cheap; the Rust core's in a heap object, where it is not.)
 *
 * Return: the bytes copied, from 0 (a fault on the first byte) to @n.
 */
size_t hellodev_rust_copy_to_user(void __user *to, const void *from, size_t n)
{
	if (n <= HELLODEV_COPY_STORES_MAX && hellodev_copy_stores(to, from, n))
		return n;
	return n - _copy_to_user(to, from, n);
}
