// SPDX-License-Identifier: GPL-2.0

//! Capabilities of the current task.
//!
//! 7.3's `kernel::cred::Credential` gives ids, not capabilities, and nothing
//! wraps `capable()` or `ns_capable_noaudit()`. Upstream this would be a
//! `Capability` type with `capable()` and `capable_noaudit()` methods.

use kernel::{
    bindings,
    ffi::c_int, //
};

/// The capability to manage the kernel log (`CAP_SYSLOG`).
pub(crate) const CAP_SYSLOG: u32 = bindings::CAP_SYSLOG;

/// Returns whether the current task has capability `cap` in the initial
/// user namespace, without an audit record when it has not.
pub(crate) fn capable_noaudit(cap: u32) -> bool {
    // The capabilities are the constants of `include/uapi/linux/capability.h`.
    let cap = cap as c_int;
    // SAFETY: `init_user_ns` is a static of the kernel that lives as long as
    // it, and `ns_capable_noaudit()` only reads it and the credentials of the
    // current task, which is always valid.
    unsafe { bindings::ns_capable_noaudit(&raw mut bindings::init_user_ns, cap) }
}
