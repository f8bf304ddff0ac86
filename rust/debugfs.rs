// SPDX-License-Identifier: GPL-2.0

//! A debugfs file with its own file operations, in a directory of its own,
//! with value files beside it.
//!
//! 7.3's `kernel::debugfs` makes directories and files that show a value
//! (`Dir::read_only_file()`, the callback and binary files, `Scope`), each
//! through the full proxy with the kernel's own file operations. It has no
//! file with its own `open`, no file without the full proxy
//! (`debugfs_create_file_unsafe()`), and its `Dir` keeps no error: a
//! directory that could not be made (debugfs off, the name taken) is a
//! `Dir` that silently holds nothing, and a `Dir`'s dentry is private, so
//! a file of one's own cannot go in it. A module that exists for its file
//! must fail its load, and say why, when the file cannot be made.
//!
//! So this is a [`DebugfsRegistration`] shaped like `miscdevice.rs`'s: a
//! pinned registration that removes its directory on drop and a
//! `#[vtable]` trait [`DebugfsFile`] with `MiscDevice`'s method names and
//! signatures; the calls on an open file are `file_ops.rs`'s thunks.
//! [`DebugfsAttribute`]s are read-only value files, C's
//! `DEFINE_DEBUGFS_ATTRIBUTE()` with a getter and no setter, without the
//! full proxy (their read takes the file itself, `debugfs_attr_read()`).
//! Upstream, `kernel::debugfs` would need a `Dir` that returns its error
//! and a file type with its own `#[vtable]` file operations and a choice of
//! proxy; its value files would do for the attributes.

use crate::{
    file_ops::{
        file_methods,
        no_file_open,
        FileVTable,
        ForeignData,
        RegistrationRef, //
    },
    uaccess::UserWriter,
};
use core::marker::PhantomData;
use kernel::{
    bindings,
    error::{
        from_err_ptr,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    fs::File,
    module::this_module,
    prelude::*,
    types::{
        ForeignOwnable,
        Opaque, //
    }, //
};

/// Most attributes one registration can have.
pub(crate) const MAX_ATTRIBUTES: usize = 4;

/// Options for creating a debugfs file.
pub(crate) struct DebugfsOptions<T: DebugfsFile> {
    /// The directory, `<debugfs>/<dir>`, which the registration creates and
    /// removes.
    pub(crate) dir: &'static CStr,
    /// The file in it.
    pub(crate) file: &'static CStr,
    /// Permissions of the file and of the attributes.
    pub(crate) mode: u16,
    /// Create the file through debugfs' full proxy, which wraps every call
    /// (`debugfs_create_file()`), rather than the open proxy, which wraps
    /// only the open and then hands the file its own operations
    /// (`debugfs_create_file_unsafe()`).
    pub(crate) full_proxy: bool,
    /// Value files beside it; at most [`MAX_ATTRIBUTES`].
    pub(crate) attributes: &'static [&'static DebugfsAttribute<T>],
}

/// A step of [`DebugfsRegistration::register`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DebugfsStep {
    /// The attributes: too many.
    Attributes,
    /// The directory, `debugfs_create_dir()`.
    Dir,
    /// A file of the directory, `debugfs_create_file*()`: its name.
    File(&'static CStr),
}

/// Why [`DebugfsRegistration::register`] failed: the step, and its error.
#[derive(Debug)]
pub(crate) struct DebugfsError {
    /// The step that failed; every step before it was undone.
    pub(crate) step: DebugfsStep,
    /// Its error.
    pub(crate) error: Error,
}

/// What an attribute file's `i_private` points to: the registration's
/// data and the attribute.
#[repr(C)]
struct AttrSlot<T: DebugfsFile> {
    data: *mut c_void,
    attr: *const DebugfsAttribute<T>,
}

/// A registration of a debugfs file in a directory of its own.
///
/// # Invariants
///
/// - `dir` is a debugfs directory made by `register`, with the file, whose
///   `i_private` is the registration and whose operations are
///   `DebugfsVTable<T>`'s, and the attribute files, whose `i_private` are
///   the registration's `slots`; it is removed exactly once, on drop,
///   which waits until no call through the proxies is running.
/// - `data` is not null, and its data outlives every file opened through
///   the registration. Each such file holds a reference on
///   `T::OwnerModule`, the owner of the operations that the proxies take
///   with `fops_get()`, from its open until after its release. On drop the
///   data is freed only in that module's exit with no reference held (see
///   `file_ops::no_file_open()`); else it is leaked, never freed: a leak,
///   never a use after free. A `register` that fails after its file was
///   made frees the data, as a misc or cdev registration that fails does:
///   a file opened in that moment holds a module whose load fails, which
///   the kernel frees, code and all, whatever becomes of the data.
#[pin_data(PinnedDrop)]
pub(crate) struct DebugfsRegistration<T: DebugfsFile> {
    dir: *mut bindings::dentry,
    data: ForeignData<T::RegistrationData>,
    #[pin]
    slots: Opaque<[AttrSlot<T>; MAX_ATTRIBUTES]>,
}

// SAFETY: The directory may be removed on another thread than the one that
// made it, and the data is `Send`.
unsafe impl<T: DebugfsFile> Send for DebugfsRegistration<T> {}
// SAFETY: The `&self` methods only read the data, which is `Sync`.
unsafe impl<T: DebugfsFile> Sync for DebugfsRegistration<T> {}

impl<T: DebugfsFile> DebugfsRegistration<T> {
    /// Creates the directory, the file and the attributes, which own
    /// `data`.
    ///
    /// Fails with the step that failed, every step before it undone:
    /// [`DebugfsStep::Attributes`] (`EINVAL`) for more than
    /// [`MAX_ATTRIBUTES`], else with the error of `debugfs_create_dir()`
    /// (`EPERM` with debugfs off, `EEXIST` for a name in use, `ENOMEM`) or
    /// of the file's creation (`ENOMEM`).
    pub(crate) fn register(
        opts: DebugfsOptions<T>,
        data: T::RegistrationData,
    ) -> impl PinInit<Self, DebugfsError> {
        let init = move |slot: *mut Self| {
            let fail = |step| move |error| DebugfsError { step, error };
            if opts.attributes.len() > MAX_ATTRIBUTES {
                return Err(fail(DebugfsStep::Attributes)(EINVAL));
            }
            // SAFETY: The name is a `'static` C string; a null parent is the
            // debugfs root.
            let dir = from_err_ptr(unsafe {
                bindings::debugfs_create_dir(opts.dir.as_char_ptr(), core::ptr::null_mut())
            })
            .map_err(fail(DebugfsStep::Dir))?;
            // INVARIANT: The data first: the files can be opened once made.
            // SAFETY: `slot` is valid for writes and pinned, so the pointers
            // into it given to debugfs stay valid until the directory is
            // removed, on drop.
            unsafe {
                (*slot).dir = dir;
                core::ptr::write(&raw mut (*slot).data, ForeignData::new(data));
            }
            // `slot` stays in place until the directory is removed; the
            // operations take the registration from `i_private`.
            // SAFETY: `dir` was just made; name and operations are `'static`.
            let file = from_err_ptr(unsafe {
                let fops: *const bindings::file_operations = &DebugfsVTable::<T>::VTABLE;
                if opts.full_proxy {
                    bindings::debugfs_create_file_full(
                        opts.file.as_char_ptr(),
                        opts.mode,
                        dir,
                        slot.cast(),
                        core::ptr::null(),
                        fops,
                    )
                } else {
                    bindings::debugfs_create_file_unsafe(
                        opts.file.as_char_ptr(),
                        opts.mode,
                        dir,
                        slot.cast(),
                        fops,
                    )
                }
            });
            let mut made = file.map(|_| ()).map_err(fail(DebugfsStep::File(opts.file)));
            for (i, attr) in opts.attributes.iter().enumerate() {
                if made.is_err() {
                    break;
                }
                // SAFETY: `slot` is valid for writes and pinned; the slot
                // written is the `i_private` of the file made next, whose
                // operations read it; `i` is below `MAX_ATTRIBUTES`.
                made = from_err_ptr(unsafe {
                    let s = (*slot).slots.get().cast::<AttrSlot<T>>().add(i);
                    core::ptr::write(
                        s,
                        AttrSlot {
                            data: (*slot).data.as_ptr(),
                            attr: *attr,
                        },
                    );
                    bindings::debugfs_create_file_unsafe(
                        attr.name.as_char_ptr(),
                        opts.mode,
                        dir,
                        s.cast(),
                        &AttrVTable::<T>::VTABLE,
                    )
                })
                .map(|_| ())
                .map_err(fail(DebugfsStep::File(attr.name)));
            }
            if made.is_err() {
                // SAFETY: The directory was made above; removing it waits
                // for the calls through its files. The data is freed, see
                // the type invariants.
                unsafe {
                    bindings::debugfs_remove(dir);
                    core::ptr::drop_in_place(&raw mut (*slot).data);
                }
            }
            made
        };
        // SAFETY: `init` initializes every field of the slot when it returns
        // `Ok` (`slots` past the attributes is never read); when it returns
        // `Err` it has undone every step and dropped what it wrote.
        unsafe { pin_init::pin_init_from_closure(init) }
    }

    /// Returns the data the registration owns.
    pub(crate) fn data(&self) -> <T::RegistrationData as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: By the type invariants `data` came from `into_foreign()`
        // and is not null, and the data is not freed before the
        // registration is dropped, after the borrow ends.
        unsafe { T::RegistrationData::borrow(self.data.as_ptr()) }
    }

    /// Returns the private data for a file being opened through this
    /// registration: its data, with no reference count (see
    /// [`RegistrationRef`]).
    pub(crate) fn file_ref(&self) -> RegistrationRef<T::RegistrationData> {
        // SAFETY: By the type invariants the data is freed only when no
        // file opened through the registration is open, and only `open`,
        // which makes the result a file's private data, gets a registration.
        unsafe { RegistrationRef::new(&self.data) }
    }
}

#[pinned_drop]
impl<T: DebugfsFile> PinnedDrop for DebugfsRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariants the directory is there, removed
        // once, here; `debugfs_remove()` removes what is in it too.
        unsafe { bindings::debugfs_remove(self.dir) };
        if !no_file_open(this_module::<T::OwnerModule>()) {
            pr_warn!(
                "debugfs file dropped while its module lives: its data is kept for open files\n"
            );
            // INVARIANT: The data is never freed.
            self.project().data.leak();
        }
    }
}

/// What an attribute shows: a number of the registration's data.
pub(crate) type GetFn<T> =
    for<'a> fn(<<T as DebugfsFile>::RegistrationData as ForeignOwnable>::Borrowed<'a>) -> u64;

/// A read-only value file beside a registration's file: the number `get`
/// gives, in decimal and a newline, as C's `DEFINE_DEBUGFS_ATTRIBUTE()`
/// with `"%llu\n"` and no setter.
///
/// Declare one as a `static` and list it in [`DebugfsOptions`].
pub(crate) struct DebugfsAttribute<T: DebugfsFile> {
    name: &'static CStr,
    get: GetFn<T>,
}

impl<T: DebugfsFile> DebugfsAttribute<T> {
    /// Makes an attribute `name` whose value `get` gives.
    pub(crate) const fn new(name: &'static CStr, get: GetFn<T>) -> Self {
        Self { name, get }
    }
}

/// The file operations of the attributes of registrations of `T`.
struct AttrVTable<T: DebugfsFile>(PhantomData<T>);

impl<T: DebugfsFile> AttrVTable<T> {
    /// Gets the value: `simple_attr`'s `get`.
    ///
    /// # Safety
    ///
    /// `data` must be the `i_private` of an attribute file of a
    /// `DebugfsRegistration<T>`, during a call through it, and `val` valid
    /// for writes.
    unsafe extern "C" fn get(data: *mut c_void, val: *mut u64) -> c_int {
        // SAFETY: `data` is an `AttrSlot<T>` of the registration, which
        // `debugfs_attr_read()` keeps from being removed during the call.
        let slot = unsafe { &*data.cast::<AttrSlot<T>>() };
        // SAFETY: `slot.attr` is a `'static` attribute, and `slot.data` the
        // registration's data, valid while a file opened through it is
        // open, as this one is; `val` is valid for writes.
        unsafe { *val = ((*slot.attr).get)(T::RegistrationData::borrow(slot.data)) };
        0
    }

    /// Opens an attribute file: `simple_attr_open()` with [`Self::get`].
    ///
    /// # Safety
    ///
    /// `inode` and `file` must be those of an attribute file of a
    /// `DebugfsRegistration<T>` being opened.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: By the safety requirements; the format is a C string that
        // takes one `u64`, as `simple_attr_read()` prints the value.
        unsafe {
            bindings::simple_attr_open(inode, file, Some(Self::get), None, c"%llu\n".as_char_ptr())
        }
    }

    const VTABLE: bindings::file_operations = bindings::file_operations {
        owner: this_module::<T::OwnerModule>().as_ptr(),
        open: Some(Self::open),
        release: Some(bindings::simple_attr_release),
        read: Some(bindings::debugfs_attr_read),
        write: Some(bindings::debugfs_attr_write),
        ..pin_init::zeroed()
    };
}

/// Trait implemented by the private data of an open debugfs file.
#[vtable]
pub(crate) trait DebugfsFile: Sized + 'static {
    /// What kind of pointer should `Self` be wrapped in.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Data the registration owns for as long as the file is there, and
    /// for as long as it is open.
    type RegistrationData: ForeignOwnable + Send + Sync;

    /// Called when the file is opened.
    ///
    /// The returned pointer will be stored as the private data for the file.
    fn open(_file: &File, _reg: &DebugfsRegistration<Self>) -> Result<Self::Ptr>;

    /// Called when the file is released.
    fn release(device: Self::Ptr, _file: &File) {
        drop(device);
    }

    /// Reads into the user buffer of a `read()` call at `*pos`, moving `*pos`
    /// past what was copied: C's `.read`, which the full proxy forwards.
    ///
    /// `buf` takes a partial copy as `copy_to_user()` does, so that a buffer
    /// that faults part-way can give a short read.
    fn read(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _buf: &mut UserWriter,
        _pos: &mut i64,
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Changes the file position: `offset` from `whence` (`SEEK_SET`, ...).
    ///
    /// Without it the file cannot seek, and `lseek()` fails with `ESPIPE`.
    fn llseek(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _offset: i64,
        _whence: c_int,
    ) -> Result<i64> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

file_methods!(
    /// The calls of a [`DebugfsFile`] on an open file.
    DebugfsFileMethods,
    DebugfsFile
);

/// The file operations of the file of a Rust debugfs registration.
struct DebugfsVTable<T: DebugfsFile>(PhantomData<T>);

impl<T: DebugfsFile> DebugfsVTable<T> {
    /// Opens the file.
    ///
    /// # Safety
    ///
    /// `inode` and `raw_file` must be the inode and file of the file of a
    /// `DebugfsRegistration<T>` being opened, through debugfs' proxy.
    unsafe extern "C" fn open(inode: *mut bindings::inode, raw_file: *mut bindings::file) -> c_int {
        // The proxy holds the file (`debugfs_file_get()`) during the open,
        // so the registration's drop waits in `debugfs_remove()`.
        // SAFETY: `register` made the live registration the `i_private`.
        let reg = unsafe { &*(*inode).i_private.cast::<DebugfsRegistration<T>>() };

        // SAFETY:
        // * The file is valid for (much longer than) the duration of `T::open`.
        // * There is no active fdget_pos region on the file on this thread.
        let file = unsafe { File::from_raw_file(raw_file) };

        // SAFETY: This is the open of `raw_file` with this table.
        unsafe { FileVTable::<DebugfsFileMethods<T>>::opened(raw_file, T::open(file, reg)) }
    }

    const VTABLE: bindings::file_operations = FileVTable::<DebugfsFileMethods<T>>::ops(
        Self::open,
        this_module::<T::OwnerModule>().as_ptr(),
    );
}
