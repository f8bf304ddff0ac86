/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hellodev: the C helper of the Rust twin's user writer, wrapped in
 * rust/uaccess.rs.
 */
#ifndef HELLODEV_UACCESS_HELPER_H
#define HELLODEV_UACCESS_HELPER_H

#include <linux/compiler_types.h>
#include <linux/types.h>

size_t hellodev_rust_copy_to_user(void __user *to, const void *from, size_t n);

#endif /* HELLODEV_UACCESS_HELPER_H */
