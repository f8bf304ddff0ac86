// SPDX-License-Identifier: GPL-2.0

//! A user-space writer that reports a partial copy.
//!
//! 7.3's `kernel::uaccess::UserSliceWriter::write_slice()` fails a copy that
//! faults part-way with `EFAULT` as a whole, and so do `write_slice_partial()`
//! and `write_slice_file()`, which its documentation calls the equivalent of
//! C's `simple_read_from_buffer()`: on a buffer that faults part-way, C's
//! returns the bytes before the fault, a short read. [`UserWriter`] returns
//! them as `copy_to_user()` does.
//!
//! Its copy is the C core's (`common/hellodev_uaccess.h`): direct stores
//! under `user_write_access_begin()` for a short copy, asm-goto macros that
//! Rust cannot call, so `rust/uaccess_helper.c` is compiled into the
//! module, as the kernel's `rust/helpers/` are into the kernel; a long copy
//! is `_copy_to_user()`, without the hardened usercopy check, as 7.3's
//! `IovIterDest::copy_to_iter()` copies a Rust slice with `_copy_to_iter()`.
//! Upstream this would be a `UserSliceWriter::write_slice_partial()` that
//! returns the bytes copied, over such a helper.

use kernel::{
    ffi::c_void,
    uaccess::UserPtr, //
};

extern "C" {
    /// `rust/uaccess_helper.c`: copies `n` bytes, more than 0, of `from` to
    /// user address `to`, as far as it can; returns the bytes copied.
    fn hellodev_rust_copy_to_user(to: *mut c_void, from: *const c_void, n: usize) -> usize;
}

/// The user buffer of one `read()` call, written from its start.
///
/// # Invariants
///
/// `ptr` is only ever handed to `hellodev_rust_copy_to_user()`, which checks
/// that it is user memory; it is never dereferenced.
pub(crate) struct UserWriter {
    ptr: UserPtr,
    len: usize,
}

impl UserWriter {
    /// The `len` bytes at user address `ptr`, as `read()` received them.
    pub(crate) fn new(ptr: UserPtr, len: usize) -> Self {
        Self { ptr, len }
    }

    /// Bytes left to write.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies as much of `data` as fits and as the buffer takes, and moves
    /// past it; returns the bytes copied: fewer than asked when the buffer
    /// faults part-way, 0 when it faults on its first byte.
    #[inline]
    pub(crate) fn write_partial(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.len);
        if n == 0 {
            return 0;
        }
        let (to, from) = (self.ptr.as_mut_ptr(), data.as_ptr().cast());
        // SAFETY: `from` is valid for reads of `n` bytes, all in one object.
        // By the type invariants `to` is not dereferenced here: the helper
        // checks the user range (`access_ok()`) and handles faults itself.
        let copied = unsafe { hellodev_rust_copy_to_user(to, from, n) };
        // The helper copies at most `n` bytes, so `len` cannot wrap.
        self.ptr = self.ptr.wrapping_byte_add(copied);
        self.len = self.len.wrapping_sub(copied);
        copied
    }
}
