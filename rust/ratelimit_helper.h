/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hellodev: the C helpers of the Rust twin, wrapped in rust/ratelimit.rs.
 */
#ifndef HELLODEV_RATELIMIT_HELPER_H
#define HELLODEV_RATELIMIT_HELPER_H

#include <linux/ratelimit_types.h>

void hellodev_rust_ratelimit_init(struct ratelimit_state *rs);

#endif /* HELLODEV_RATELIMIT_HELPER_H */
