// SPDX-License-Identifier: GPL-2.0
/*
 * hellodev: what the Rust twin's rate limit needs from C, as the kernel's
 * rust/helpers/ give it what is static inline or a macro. Linked into the
 * Rust module and wrapped once, in rust/ratelimit.rs.
 */

#include <linux/ratelimit.h>

#include "ratelimit_helper.h"

/**
 * hellodev_rust_ratelimit_init() - set up a rate limit as the C core does
 * @rs: rate limit to set up; nothing may use it yet
 *
 * The kernel's default of DEFAULT_RATELIMIT_BURST lines per
 * DEFAULT_RATELIMIT_INTERVAL, with RATELIMIT_MSG_ON_RELEASE, exactly as
 * hellodev_setup() sets up the C core's: ___ratelimit() then prints no
 * "callbacks suppressed" line. raw_spin_lock_init() here gives every
 * such lock one lockdep class, as the C core's call site gives its own.
 */
void hellodev_rust_ratelimit_init(struct ratelimit_state *rs)
{
	ratelimit_state_init(rs, DEFAULT_RATELIMIT_INTERVAL,
			     DEFAULT_RATELIMIT_BURST);
	ratelimit_set_flags(rs, RATELIMIT_MSG_ON_RELEASE);
}
