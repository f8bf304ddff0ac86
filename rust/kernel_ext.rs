// SPDX-License-Identifier: GPL-2.0

//! What the Rust core needs and 7.3's `kernel` crate does not offer safely.
//!
//! Each module wraps `kernel::bindings` once, behind a safe function, and
//! says what the kernel's own abstraction would need for it to go;
//! `ratelimit.rs` calls one C helper of ours, `ratelimit_helper.c`. The
//! misc frontend's extensions live next to this file: `miscdevice.rs`,
//! `module_param.rs` and `pin_init.rs`.

pub(crate) mod cred;
pub(crate) mod fs;
pub(crate) mod print;
pub(crate) mod ratelimit;
