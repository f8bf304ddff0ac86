// SPDX-License-Identifier: GPL-2.0

//! Seeking in a file.
//!
//! 7.3's `kernel::fs::File` has no way to change the file position, and
//! `llseek` is in no file operations table of its abstractions. Upstream
//! this would be a `File::llseek_size()` method next to `File::flags()`.

use kernel::{
    bindings,
    fs::File,
    prelude::*, //
};

/// The largest file size the kernel allows (`MAX_LFS_FILESIZE`, 64-bit).
pub(crate) const MAX_LFS_FILESIZE: i64 = i64::MAX;

/// Seeks in `file` as in a regular file of `size` bytes that may not grow
/// past `maxsize`: the kernel's `generic_file_llseek_size()`, for
/// `SEEK_SET`, `SEEK_CUR`, `SEEK_END`, `SEEK_DATA` and `SEEK_HOLE`.
///
/// Returns the new position, `EINVAL` for a negative one or a bad `whence`,
/// `ENXIO` for `SEEK_DATA` or `SEEK_HOLE` at or past the end.
pub(crate) fn llseek_size(
    file: &File,
    offset: i64,
    whence: c_int,
    maxsize: i64,
    size: i64,
) -> Result<i64> {
    // SAFETY: `file` is borrowed, so it is a valid file for the whole call;
    // `generic_file_llseek_size()` takes the file's `f_lock` itself where
    // it needs it, and touches nothing else of the file but `f_pos`.
    let pos =
        unsafe { bindings::generic_file_llseek_size(file.as_ptr(), offset, whence, maxsize, size) };
    if pos < 0 {
        // A negative position is an errno: `-EINVAL` or `-ENXIO`.
        Err(Error::from_errno(pos as c_int))
    } else {
        Ok(pos)
    }
}
