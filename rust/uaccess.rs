// SPDX-License-Identifier: GPL-2.0

//! A user buffer that a read may fill only in part.
//!
//! For the benchmark's `hellodev_rust_uread.ko` only (`--cfg hellodev_uread`):
//! the default twin reads through `read_iter`, safely. 7.3's
//! `kernel::uaccess::UserSliceWriter::write_slice()` fails a copy that
//! faults part-way with `EFAULT` as a whole, where C's `copy_to_user()`
//! says how much it copied, which a short read needs; upstream this would be
//! a `UserSliceWriter::write_slice_partial_fault()` that returns the count.

use kernel::{
    bindings,
    ffi::c_void,
    uaccess::UserPtr, //
};

/// The buffer of one `read()` call: `len` bytes at user address `ptr`.
pub(crate) struct UserBuf {
    ptr: UserPtr,
    len: usize,
}

impl UserBuf {
    /// The buffer of `len` bytes at `ptr`, as `read()` received them.
    pub(crate) fn new(ptr: UserPtr, len: usize) -> Self {
        Self { ptr, len }
    }

    /// Bytes the buffer holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies as much of `data` as fits to the start of the buffer and
    /// returns the bytes copied: fewer than asked when the buffer faults
    /// part-way, 0 when it faults on its first byte.
    pub(crate) fn write_partial(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.len);
        let to = self.ptr.as_mut_ptr();
        let from = data.as_ptr().cast::<c_void>();
        // SAFETY: `from` is valid for reads of `n` bytes. `_copy_to_user()`
        // checks that `to` is user memory (`access_ok()`) and handles faults
        // itself, returning how many bytes it did not copy; no user address
        // is dereferenced here.
        let left = unsafe { bindings::_copy_to_user(to, from, n) };
        n - left
    }
}
