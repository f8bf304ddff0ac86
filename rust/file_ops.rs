// SPDX-License-Identifier: GPL-2.0

//! What the file registrations in `rust/` share once a file is open.
//!
//! `miscdevice.rs` and `chrdev.rs` each have a `#[vtable]` trait in the shape
//! of 7.3's `kernel::miscdevice::MiscDevice`, whose `open` takes that API's
//! registration. Once a file is open its private data is the trait's `Ptr`,
//! and every other call is the same whatever registered the file:
//! [`FileVTable`] holds those calls' thunks, once, over [`FileMethods`],
//! which each registration implements for its trait through a marker type.
//! Here too are the registration data that a registration owns through its
//! foreign pointer ([`ForeignData`]) and the private data that borrows it
//! ([`RegistrationRef`]).
//!
//! 7.3's `kernel::miscdevice` keeps such thunks private to its
//! `MiscdeviceVTable`; upstream this would be one file operations builder
//! in `kernel::fs` that `miscdevice` and any other registration of files
//! use.

use crate::uaccess::UserWriter;
use core::{
    marker::PhantomData,
    mem::needs_drop, //
};
use kernel::{
    bindings,
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    fs::File,
    prelude::*,
    types::ForeignOwnable,
    uaccess::UserPtr, //
};

/// The `open` of a file operations table.
pub(crate) type OpenFn = unsafe extern "C" fn(*mut bindings::inode, *mut bindings::file) -> c_int;

/// The calls on an open file, as a registration's `#[vtable]` trait has
/// them: implemented by a marker type of each registration for its trait.
pub(crate) trait FileMethods: 'static {
    /// The file's private data.
    type Ptr: ForeignOwnable + Send + Sync;
    /// Whether the trait has its own `release`.
    const HAS_RELEASE: bool;
    /// Whether the trait has `read`.
    const HAS_READ: bool;
    /// Whether the trait has `llseek`.
    const HAS_LLSEEK: bool;

    /// The trait's `release`.
    fn release(device: Self::Ptr, file: &File);

    /// The trait's `read`.
    fn read(
        device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        file: &File,
        buf: &mut UserWriter,
        pos: &mut i64,
    ) -> Result<usize>;

    /// The trait's `llseek`.
    fn llseek(
        device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        file: &File,
        offset: i64,
        whence: c_int,
    ) -> Result<i64>;
}

/// Declares the marker type `$marker<T>` whose [`FileMethods`] are those of
/// a `#[vtable]` trait `$trait` of a registration (with `Ptr`,
/// `release`, `read` and `llseek`, as `MiscDevice` has them).
macro_rules! file_methods {
    ($(#[$attr:meta])* $marker:ident, $trait:ident) => {
        $(#[$attr])*
        struct $marker<T>(core::marker::PhantomData<T>);

        impl<T: $trait> $crate::file_ops::FileMethods for $marker<T> {
            type Ptr = T::Ptr;
            const HAS_RELEASE: bool = T::HAS_RELEASE;
            const HAS_READ: bool = T::HAS_READ;
            const HAS_LLSEEK: bool = T::HAS_LLSEEK;

            #[inline]
            fn release(device: T::Ptr, file: &kernel::fs::File) {
                T::release(device, file)
            }

            #[inline]
            fn read(
                device: <T::Ptr as kernel::types::ForeignOwnable>::Borrowed<'_>,
                file: &kernel::fs::File,
                buf: &mut $crate::uaccess::UserWriter,
                pos: &mut i64,
            ) -> kernel::error::Result<usize> {
                T::read(device, file, buf, pos)
            }

            #[inline]
            fn llseek(
                device: <T::Ptr as kernel::types::ForeignOwnable>::Borrowed<'_>,
                file: &kernel::fs::File,
                offset: i64,
                whence: kernel::ffi::c_int,
            ) -> kernel::error::Result<i64> {
                T::llseek(device, file, offset, whence)
            }
        }
    };
}
pub(crate) use file_methods;

/// The file operations of files whose calls are `F`'s.
pub(crate) struct FileVTable<F: FileMethods>(PhantomData<F>);

impl<F: FileMethods> FileVTable<F> {
    /// A file operations table: `open` is the registration's (which ends
    /// with [`Self::opened`]), `owner` the module of `F`'s code, and
    /// `release`, `read` and `llseek` call `F`'s. There is no `release`
    /// when `F` has none of its own and its `Ptr` needs no drop (a
    /// [`RegistrationRef`]): nothing to do.
    pub(crate) const fn ops(
        open: OpenFn,
        owner: *mut bindings::module,
    ) -> bindings::file_operations {
        bindings::file_operations {
            open: Some(open),
            release: if F::HAS_RELEASE || needs_drop::<F::Ptr>() {
                Some(Self::release)
            } else {
                None
            },
            read: if F::HAS_READ { Some(Self::read) } else { None },
            llseek: if F::HAS_LLSEEK {
                Some(Self::llseek)
            } else {
                None
            },
            owner,
            ..pin_init::zeroed()
        }
    }

    /// Ends an open: on success, makes `ptr` the private data of
    /// `raw_file`, which every other call of this table expects; returns
    /// what `open()` must return.
    ///
    /// # Safety
    ///
    /// `raw_file` must be a file being opened with this table, in its
    /// `open`, which returns what this returns.
    pub(crate) unsafe fn opened(raw_file: *mut bindings::file, ptr: Result<F::Ptr>) -> c_int {
        match ptr {
            Ok(ptr) => {
                // SAFETY: The open call of a file can access the private
                // data, and by the safety requirements this is that call.
                unsafe { (*raw_file).private_data = ptr.into_foreign() };
                0
            }
            Err(err) => err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `file` must be a file opened with this table, being released.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: The release call of a file owns the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: `opened()` set the private data with `into_foreign()`,
        // and release is the last call on the file.
        let ptr = unsafe { F::Ptr::from_foreign(private) };

        // SAFETY:
        // * The file is valid for the duration of this call.
        // * There is no active fdget_pos region on the file on this thread.
        F::release(ptr, unsafe { File::from_raw_file(file) });

        0
    }

    /// # Safety
    ///
    /// `file` must be a file opened with this table, `buf` and `count` the
    /// user buffer of its `read()` call, and `ppos` valid for reads and
    /// writes for the duration of the call.
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: The read call of a file can access the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: `opened()` set the private data with `into_foreign()`,
        // and `release` has not run yet.
        let device = unsafe { F::Ptr::borrow(private) };
        // SAFETY: The file is valid for the duration of this call, and the
        // caller of `read` holds a reference on it.
        let file = unsafe { File::from_raw_file(file) };
        // SAFETY: By the safety requirements, `ppos` is valid for reads and
        // writes during this call, and nothing else uses it meanwhile.
        let pos = unsafe { &mut *ppos };
        let mut ubuf = UserWriter::new(UserPtr::from_ptr(buf.cast::<c_void>()), count);

        match F::read(device, file, &mut ubuf, pos) {
            Ok(n) => n as isize,
            Err(err) => err.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `file` must be a file opened with this table.
    unsafe extern "C" fn llseek(file: *mut bindings::file, offset: i64, whence: c_int) -> i64 {
        // SAFETY: The llseek call of a file can access the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: `opened()` set the private data with `into_foreign()`,
        // and `release` has not run yet.
        let device = unsafe { F::Ptr::borrow(private) };
        // SAFETY:
        // * The file is valid for the duration of this call.
        // * There is no active fdget_pos region on the file on this thread.
        let file = unsafe { File::from_raw_file(file) };

        match F::llseek(device, file, offset, whence) {
            Ok(pos) => pos,
            Err(err) => err.to_errno().into(),
        }
    }
}

/// Whether no file opened with `fops` owned by `module` can be open: the
/// module's exit runs, after `delete_module()` took the loader's base
/// reference, which it does only when no other is held (`refcnt` 0, so
/// `module_refcount()` -1). A forced unload with references held leaves
/// them counted, and so does a failed init (the loader holds one more).
///
/// For registrations whose files pin only the module (misc, debugfs); a
/// cdev's pin the cdev too, which `chrdev.rs` waits for instead, so the
/// cdev twin's copy of this file has no caller.
#[allow(dead_code)]
pub(crate) fn no_file_open(module: &ThisModule) -> bool {
    let m = module.as_ptr();
    if m.is_null() {
        // Built in: files hold no reference that would tell.
        return false;
    }
    #[cfg(CONFIG_MODULE_UNLOAD)]
    // SAFETY: `m` is the module whose code runs this, so it is valid; its
    // state is set before its exit runs and `module_refcount()` only reads.
    unsafe {
        (*m).state == bindings::module_state_MODULE_STATE_GOING && bindings::module_refcount(m) < 0
    }
    #[cfg(not(CONFIG_MODULE_UNLOAD))]
    false
}

/// Data held through its foreign pointer, so that it can be left alive
/// past its owner.
///
/// # Invariants
///
/// `ptr` is null, or came from `D::into_foreign()` and has not been given
/// to `D::from_foreign()`.
pub(crate) struct ForeignData<D: ForeignOwnable> {
    ptr: *mut c_void,
    _d: PhantomData<D>,
}

impl<D: ForeignOwnable> ForeignData<D> {
    /// Holds `data` through its foreign pointer.
    pub(crate) fn new(data: D) -> Self {
        // INVARIANT: `ptr` comes from `into_foreign()`.
        Self {
            ptr: data.into_foreign(),
            _d: PhantomData,
        }
    }

    /// Leaves the data alive for good: it is never freed. Only
    /// `miscdevice.rs` and `debugfs.rs` leak; each module compiles its own
    /// copy of this file, and the cdev twin's has no caller.
    #[allow(dead_code)]
    pub(crate) fn leak(&mut self) {
        // INVARIANT: null.
        self.ptr = core::ptr::null_mut();
    }

    /// The foreign pointer: null once leaked.
    pub(crate) fn as_ptr(&self) -> *mut c_void {
        self.ptr
    }
}

impl<D: ForeignOwnable> Drop for ForeignData<D> {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: By the type invariants `ptr` came from
            // `into_foreign()` and this is its only `from_foreign()`.
            drop(unsafe { D::from_foreign(self.ptr) });
        }
    }
}

/// The private data of a file opened through a registration of `rust/`:
/// the registration's data `D`, borrowed with no reference count, as C
/// stores a plain pointer to the device. A registration makes one with its
/// `file_ref()`, in its trait's `open`.
///
/// Only the file operations of a [`FileVTable`] borrow it, during a call on
/// a file opened through the registration that made it.
///
/// # Invariants
///
/// `ptr` is the foreign pointer of the `D` of a registration whose
/// invariants free that data only when no file opened through it is open,
/// so it is valid for the whole of every call on such a file.
pub(crate) struct RegistrationRef<D: ForeignOwnable + 'static> {
    ptr: *mut c_void,
    _d: PhantomData<D>,
}

impl<D: ForeignOwnable + 'static> RegistrationRef<D> {
    /// Borrows the data of `data`, for a file being opened.
    ///
    /// # Safety
    ///
    /// `data` must be the data of a registration that frees it only when
    /// no file opened through the registration is open, and the result
    /// must become the private data of such a file.
    pub(crate) unsafe fn new(data: &ForeignData<D>) -> Self {
        // INVARIANT: By the safety requirements.
        Self {
            ptr: data.as_ptr(),
            _d: PhantomData,
        }
    }
}

// SAFETY: A `RegistrationRef` only gives shared access to the data, which
// is `Send` and `Sync`.
unsafe impl<D: ForeignOwnable + Send + Sync + 'static> Send for RegistrationRef<D> {}
// SAFETY: As above.
unsafe impl<D: ForeignOwnable + Send + Sync + 'static> Sync for RegistrationRef<D> {}

// SAFETY: `into_foreign()` returns the data's own foreign pointer, which is
// not null and aligned as `D`'s.
unsafe impl<D: ForeignOwnable + 'static> ForeignOwnable for RegistrationRef<D> {
    const FOREIGN_ALIGN: usize = D::FOREIGN_ALIGN;
    type Borrowed<'a> = D::Borrowed<'a>;
    type BorrowedMut<'a> = D::Borrowed<'a>;

    fn into_foreign(self) -> *mut c_void {
        self.ptr
    }

    /// # Safety
    ///
    /// As [`ForeignOwnable::from_foreign`]: `ptr` came from `into_foreign()`.
    unsafe fn from_foreign(ptr: *mut c_void) -> Self {
        // INVARIANT: By the safety requirements, `ptr` came from
        // `into_foreign()`, so from a `RegistrationRef`.
        Self {
            ptr,
            _d: PhantomData,
        }
    }

    /// # Safety
    ///
    /// As [`ForeignOwnable::borrow`]: `ptr` came from `into_foreign()`.
    unsafe fn borrow<'a>(ptr: *mut c_void) -> Self::Borrowed<'a> {
        // Only a `FileVTable` borrows, for a call on an open file, which
        // the borrow does not outlive.
        // SAFETY: `ptr` is a `RegistrationRef`'s: valid for the whole call.
        unsafe { D::borrow(ptr) }
    }

    /// # Safety
    ///
    /// As [`ForeignOwnable::borrow_mut`]: `ptr` came from `into_foreign()`.
    unsafe fn borrow_mut<'a>(ptr: *mut c_void) -> Self::BorrowedMut<'a> {
        // SAFETY: As for `borrow()`, of which this is a copy: the data is
        // only ever shared.
        unsafe { D::borrow(ptr) }
    }
}
