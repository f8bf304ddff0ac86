// SPDX-License-Identifier: GPL-2.0

//! Printing with a prefix chosen at run time.
//!
//! `pr_info!` and its siblings start every line with the module's name. The
//! hellodev modules start theirs with the node name, which a parameter
//! sets, as the C core does with `pr_info("%s: ...", hd->name)`. 7.3 has
//! what it takes, `kernel::print::call_printk()`, but hidden and `unsafe`,
//! and it formats only through `%pA`, which cannot print bytes that are not
//! UTF-8, which C's `%*pE` of a bad name prints: [`err_escaped`] calls
//! `_printk()` with `%*pE` itself. Upstream this would be a `prefix:`
//! argument of the `pr_*!` macros, and a byte-string argument escaped as
//! `%*pE` does.

use kernel::{
    bindings,
    fmt,
    prelude::*,
    print::{
        call_printk,
        format_strings, //
    }, //
};

/// A log level.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    /// `KERN_ERR`.
    Err,
    /// `KERN_INFO`.
    Info,
}

/// Prints `<prefix>: <args>` at `level`; `args` ends in a newline.
pub(crate) fn print(level: Level, prefix: &CStr, args: fmt::Arguments<'_>) {
    let format = match level {
        Level::Err => &format_strings::ERR,
        Level::Info => &format_strings::INFO,
    };
    // SAFETY: `format` is one of the format strings of `format_strings`, and
    // the bytes of a `CStr` with its NUL are null-terminated.
    unsafe { call_printk(format, prefix.to_bytes_with_nul(), args) };
}

/// Prints `<prefix>: <head><bytes><tail>` at `KERN_ERR`, `bytes` escaped by
/// the kernel's own `%*pE`, as C's `pr_err("%s: ...%*pE...", ...)` shows
/// them (they need not be UTF-8); `tail` ends in a newline.
pub(crate) fn err_escaped(prefix: &CStr, head: &CStr, bytes: &[u8], tail: &CStr) {
    const FORMAT: &CStr = c"\x013%s: %s%*pE%s";
    // `%*pE` reads as many bytes as its `int` says: never more than `bytes`.
    let len = c_int::try_from(bytes.len()).unwrap_or(c_int::MAX);
    // SAFETY: `FORMAT` takes C strings `prefix`, `head` and `tail` (valid and
    // null-terminated) and `len` bytes at `bytes`, which holds at least that
    // many; all of them live for the whole call.
    unsafe {
        bindings::_printk(
            FORMAT.as_char_ptr(),
            prefix.as_char_ptr(),
            head.as_char_ptr(),
            len,
            bytes.as_ptr(),
            tail.as_char_ptr(),
        )
    };
}

/// Prints a line at `KERN_INFO` starting with a prefix: `info!(prefix, ...)`.
macro_rules! info {
    ($prefix:expr, $($arg:tt)+) => {
        $crate::kernel_ext::print::print(
            $crate::kernel_ext::print::Level::Info,
            $prefix,
            ::kernel::prelude::fmt!($($arg)+),
        )
    };
}
pub(crate) use info;

/// Prints a line at `KERN_ERR` starting with a prefix: `err!(prefix, ...)`.
macro_rules! err {
    ($prefix:expr, $($arg:tt)+) => {
        $crate::kernel_ext::print::print(
            $crate::kernel_ext::print::Level::Err,
            $prefix,
            ::kernel::prelude::fmt!($($arg)+),
        )
    };
}
pub(crate) use err;
