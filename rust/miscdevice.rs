// SPDX-License-Identifier: GPL-2.0

//! Misc devices with a mode, sysfs attributes, `llseek` and registration data.
//!
//! Shaped like 7.3's `kernel::miscdevice`, with the same names: a pinned
//! [`MiscDeviceRegistration`] that deregisters on drop and a `#[vtable]`
//! trait [`MiscDevice`] whose methods keep the kernel's signatures. It adds
//! what the kernel's lacks, and cannot be added from outside since its
//! vtable builder is private:
//!
//! - [`MiscDeviceOptions::mode`], the node's permissions (`miscdevice.mode`);
//! - [`MiscDeviceOptions::attributes`], read-only sysfs attributes in
//!   `/sys/class/misc/<name>/` (`miscdevice.groups`), see [`Attribute`];
//! - [`MiscDevice::llseek`];
//! - [`MiscDevice::RegistrationData`], data that the registration owns and
//!   hands to `open` and to the attributes: what the device is, without a
//!   global;
//! - [`RegistrationRef`], a file's private data that borrows the
//!   registration's data with no reference count, as C's `misc_open()`
//!   users store a plain pointer: sound because the registration's data
//!   outlives every file opened through it (see
//!   [`MiscDeviceRegistration`]'s invariants);
//! - [`MiscDevice::read`], C's `.read`, with a user buffer that takes a
//!   partial copy, beside `read_iter`.
//!
//! `read_iter` stays, with the kernel's signature, for a frontend that
//! wants an `iov_iter`; hellodev's twin reads through `read`, so nothing
//! here calls it. The other methods that hellodev does not use
//! (`write_iter`, `ioctl`, `mmap`, ...) are left out rather than copied
//! untested; upstream, these additions would go into `kernel::miscdevice`
//! itself.

use crate::uaccess::UserWriter;
use core::{
    marker::PhantomData,
    mem::needs_drop, //
};
use kernel::{
    bindings,
    error::{
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    fs::{
        File,
        Kiocb, //
    },
    iov::IovIterDest,
    module::this_module,
    page::PAGE_SIZE,
    prelude::*,
    str::Formatter,
    types::{
        ForeignOwnable,
        Opaque, //
    },
    uaccess::UserPtr, //
};

/// Most attributes one misc device can have.
pub(crate) const MAX_ATTRIBUTES: usize = 4;

/// Options for creating a misc device.
pub(crate) struct MiscDeviceOptions<T: MiscDevice> {
    /// The name of the misc device, and of its node in `/dev`.
    pub(crate) name: &'static CStr,
    /// Permissions of the node; 0 leaves the kernel's default (0600).
    pub(crate) mode: u16,
    /// Read-only attributes in the device's sysfs directory; at most
    /// [`MAX_ATTRIBUTES`].
    pub(crate) attributes: &'static [&'static Attribute<T>],
}

/// The C structures of a misc device and of its attribute group.
///
/// `misc` comes first: `misc_register()` makes the device's driver data, and
/// `misc_open()` the file's private data, point to it, and so to the
/// [`MiscDeviceRegistration`] that holds it first.
#[repr(C)]
struct RawMisc {
    misc: bindings::miscdevice,
    attrs: [*mut bindings::attribute; MAX_ATTRIBUTES + 1],
    group: bindings::attribute_group,
    groups: [*const bindings::attribute_group; 2],
}

/// Data held through its foreign pointer, so that it can be left alive
/// past its owner.
///
/// # Invariants
///
/// `ptr` is null, or came from `D::into_foreign()` and has not been given
/// to `D::from_foreign()`.
struct ForeignData<D: ForeignOwnable> {
    ptr: *mut c_void,
    _d: PhantomData<D>,
}

impl<D: ForeignOwnable> ForeignData<D> {
    fn new(data: D) -> Self {
        // INVARIANT: `ptr` comes from `into_foreign()`.
        Self {
            ptr: data.into_foreign(),
            _d: PhantomData,
        }
    }

    /// Leaves the data alive for good: it is never freed.
    fn leak(&mut self) {
        // INVARIANT: null.
        self.ptr = core::ptr::null_mut();
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

/// A registration of a misc device.
///
/// # Invariants
///
/// - `inner` holds a `struct miscdevice` registered with `misc_register()`,
///   whose `groups` point into `inner` and whose `fops` are
///   `MiscdeviceVTable<T>`'s; it is deregistered exactly once, on drop.
/// - `inner` is the first field: a pointer to the `struct miscdevice` is a
///   pointer to the registration.
/// - `data` is not null, and its data outlives every file opened through
///   the registration. Each such file holds a reference on
///   `T::OwnerModule`, the owner of the `fops` that `misc_open()` took with
///   `fops_get()`, from its open until after its release. On drop the data
///   is freed only in that module's exit with no reference held (see
///   `no_file_open()`), when no file of it is open; else (dropped while the
///   module lives, in a failed init, or after a forced unload) the data is
///   leaked, never freed, for the files that may still use it: a leak,
///   never a use after free. A module whose registration is the last step
///   of its init, as hellodev's, only ever frees it.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct MiscDeviceRegistration<T: MiscDevice> {
    #[pin]
    inner: Opaque<RawMisc>,
    data: ForeignData<T::RegistrationData>,
    _t: PhantomData<T>,
}

// SAFETY: `misc_deregister()` may be called on another thread than
// `misc_register()`, and the data is `Send`.
unsafe impl<T: MiscDevice> Send for MiscDeviceRegistration<T> {}
// SAFETY: The `&self` methods only read the data, which is `Sync`.
unsafe impl<T: MiscDevice> Sync for MiscDeviceRegistration<T> {}

impl<T: MiscDevice> MiscDeviceRegistration<T> {
    /// Registers a misc device that owns `data`.
    ///
    /// Fails with `EINVAL` for more than [`MAX_ATTRIBUTES`] attributes, else
    /// as `misc_register()`: `EEXIST` for a name in use, `EBUSY` when no
    /// minor is left, `ENOMEM`.
    pub(crate) fn register(
        opts: MiscDeviceOptions<T>,
        data: T::RegistrationData,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // The data first: the device can be opened once registered. If
            // the registration fails, it is dropped, and freed, as no file
            // can have been opened.
            data: ForeignData::new(data),
            _t: PhantomData,
            inner <- Opaque::try_ffi_init(move |slot: *mut RawMisc| {
                if opts.attributes.len() > MAX_ATTRIBUTES {
                    return Err(EINVAL);
                }
                // SAFETY: `slot` is valid for writes, and pinned: the
                // pointers into it stay valid for as long as it.
                unsafe {
                    core::ptr::write_bytes(slot, 0, 1);
                    for (i, a) in opts.attributes.iter().enumerate() {
                        (*slot).attrs[i] = a.as_raw();
                    }
                    (*slot).group.__bindgen_anon_2.attrs = (&raw mut (*slot).attrs).cast();
                    (*slot).groups[0] = &raw const (*slot).group;
                    let misc = &raw mut (*slot).misc;
                    (*misc).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                    (*misc).name = opts.name.as_char_ptr();
                    (*misc).fops = MiscdeviceVTable::<T>::build();
                    (*misc).mode = opts.mode;
                    if !opts.attributes.is_empty() {
                        (*misc).groups = (&raw mut (*slot).groups).cast();
                    }
                }
                // INVARIANT: Once this returns `Ok`, the device is registered.
                // SAFETY: The misc device was just written, with a name and
                // attributes that are `'static`; it is deregistered on drop,
                // before `slot` is freed, since the registration is pinned.
                to_result(unsafe { bindings::misc_register(slot.cast()) })
            }),
        })
    }

    /// Returns the data the registration owns.
    pub(crate) fn data(&self) -> <T::RegistrationData as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: By the type invariants `ptr` came from `into_foreign()`
        // and is not null, and the data is not freed before the
        // registration is dropped, after the borrow ends.
        unsafe { T::RegistrationData::borrow(self.data.ptr) }
    }

    /// Returns the private data for a file being opened through this
    /// registration: its data, with no reference count (see
    /// [`RegistrationRef`]).
    pub(crate) fn file_ref(&self) -> RegistrationRef<T> {
        RegistrationRef {
            ptr: self.data.ptr,
            _t: PhantomData,
        }
    }
}

/// Whether no file opened with `fops` owned by `module` can be open: the
/// module's exit runs, after `delete_module()` took the loader's base
/// reference, which it does only when no other is held (`refcnt` 0, so
/// `module_refcount()` -1). A forced unload with references held leaves
/// them counted, and so does a failed init (the loader holds one more).
fn no_file_open(module: &ThisModule) -> bool {
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

#[pinned_drop]
impl<T: MiscDevice> PinnedDrop for MiscDeviceRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariants, the device is registered.
        unsafe { bindings::misc_deregister(self.inner.get().cast()) };
        if !no_file_open(this_module::<T::OwnerModule>()) {
            pr_warn!(
                "misc device dropped while its module lives: its data is kept for open files\n"
            );
            // INVARIANT: The data is never freed.
            self.project().data.leak();
        }
    }
}

/// The private data of a file opened through a
/// [`MiscDeviceRegistration<T>`]: its registration's data, borrowed with no
/// reference count, as C stores a plain pointer to the device. Make one with
/// [`MiscDeviceRegistration::file_ref`] in [`MiscDevice::open`].
///
/// Only the file operations of a [`MiscDeviceRegistration<T>`] borrow it,
/// during a call on a file opened through it.
///
/// # Invariants
///
/// `ptr` is the foreign pointer of the data of a
/// `MiscDeviceRegistration<T>`. By the registration's invariants that data
/// is freed only when no file with its file operations is open, so it is
/// valid for the whole of every call on such a file.
pub(crate) struct RegistrationRef<T: MiscDevice> {
    ptr: *mut c_void,
    _t: PhantomData<T>,
}

// SAFETY: A `RegistrationRef` only gives shared access to the data, which
// is `Send` and `Sync`.
unsafe impl<T: MiscDevice> Send for RegistrationRef<T> {}
// SAFETY: As above.
unsafe impl<T: MiscDevice> Sync for RegistrationRef<T> {}

// SAFETY: `into_foreign()` returns the data's own foreign pointer, which is
// not null and aligned as `T::RegistrationData`'s.
unsafe impl<T: MiscDevice> ForeignOwnable for RegistrationRef<T> {
    const FOREIGN_ALIGN: usize = <T::RegistrationData as ForeignOwnable>::FOREIGN_ALIGN;
    type Borrowed<'a> = <T::RegistrationData as ForeignOwnable>::Borrowed<'a>;
    type BorrowedMut<'a> = <T::RegistrationData as ForeignOwnable>::Borrowed<'a>;

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
            _t: PhantomData,
        }
    }

    /// # Safety
    ///
    /// As [`ForeignOwnable::borrow`]: `ptr` came from `into_foreign()`.
    unsafe fn borrow<'a>(ptr: *mut c_void) -> Self::Borrowed<'a> {
        // SAFETY: By the safety requirements `ptr` came from a
        // `RegistrationRef`, which only the registration's file operations
        // borrow, for a call on an open file: by its invariants the data
        // is valid for the whole call, which the borrow does not outlive.
        unsafe { T::RegistrationData::borrow(ptr) }
    }

    /// # Safety
    ///
    /// As [`ForeignOwnable::borrow_mut`]: `ptr` came from `into_foreign()`.
    unsafe fn borrow_mut<'a>(ptr: *mut c_void) -> Self::BorrowedMut<'a> {
        // SAFETY: As for `borrow()`, of which this is a copy: the data is
        // only ever shared.
        unsafe { T::RegistrationData::borrow(ptr) }
    }
}

/// A read-only sysfs attribute of misc devices of type `T`, shown from the
/// registration's data.
///
/// Declare one as a `static` and list it in [`MiscDeviceOptions`].
#[repr(C)]
pub(crate) struct Attribute<T: MiscDevice> {
    attr: bindings::device_attribute,
    show: ShowFn<T>,
}

/// What shows an attribute of misc devices of type `T`.
type ShowFn<T> = for<'a> fn(
    <<T as MiscDevice>::RegistrationData as ForeignOwnable>::Borrowed<'a>,
    &mut Formatter<'_>,
) -> Result;

// SAFETY: An `Attribute` is not changed after it is made; it holds a
// `'static` name and pointers to functions.
unsafe impl<T: MiscDevice> Sync for Attribute<T> {}

impl<T: MiscDevice> Attribute<T> {
    /// Makes an attribute `name` (mode 0444) whose contents `show` writes.
    pub(crate) const fn new(name: &'static CStr, show: ShowFn<T>) -> Self {
        Self {
            attr: bindings::device_attribute {
                // With lockdep, `struct attribute` has more fields.
                #[allow(clippy::needless_update)]
                attr: bindings::attribute {
                    name: kernel::str::as_char_ptr_in_const_context(name),
                    mode: 0o444,
                    ..pin_init::zeroed()
                },
                __bindgen_anon_1: bindings::device_attribute__bindgen_ty_1 {
                    show: Some(Self::show_raw),
                },
                ..pin_init::zeroed()
            },
            show,
        }
    }

    /// The `struct attribute` to list in an attribute group; sysfs only reads it.
    fn as_raw(&'static self) -> *mut bindings::attribute {
        (&raw const self.attr.attr).cast_mut()
    }

    /// Shows the attribute: `device_attribute::show`.
    ///
    /// # Safety
    ///
    /// `dev` must be the device of a registered `MiscDeviceRegistration<T>`
    /// and `attr` the `device_attribute` of an `Attribute<T>` in its
    /// options, and `buf` must be valid for writes of `PAGE_SIZE` bytes.
    unsafe extern "C" fn show_raw(
        dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: `attr` is the first field of an `Attribute<T>`.
        let this = unsafe { &*attr.cast::<Self>() };
        // SAFETY: `misc_register()` set the device's driver data to its
        // `struct miscdevice`, the first field of a registration of `T`,
        // which sysfs keeps registered while the attribute is shown.
        let misc = unsafe { &*(*dev).driver_data.cast::<MiscDeviceRegistration<T>>() };
        // SAFETY: `buf` is valid for writes of `PAGE_SIZE` bytes, and
        // nothing else uses it during this call.
        let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
        let mut f = Formatter::new(buf);
        match (this.show)(misc.data(), &mut f) {
            Ok(()) => f.bytes_written() as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

/// Trait implemented by the private data of an open misc device.
#[vtable]
pub(crate) trait MiscDevice: Sized + 'static {
    /// What kind of pointer should `Self` be wrapped in.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Data the registration owns for as long as the device is registered,
    /// and for as long as a file opened through it is open.
    type RegistrationData: ForeignOwnable + Send + Sync;

    /// Called when the misc device is opened.
    ///
    /// The returned pointer will be stored as the private data for the file.
    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Self::Ptr>;

    /// Called when the misc device is released.
    fn release(device: Self::Ptr, _file: &File) {
        drop(device);
    }

    /// Reads into the user buffer of a `read()` call at `*pos`, moving `*pos`
    /// past what was copied: C's `.read`, which `vfs_read()` calls in place
    /// of `read_iter`, without a `kiocb` or an `iov_iter`.
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

    /// Read from this misc device.
    fn read_iter(_kiocb: Kiocb<'_, Self::Ptr>, _iov: &mut IovIterDest<'_>) -> Result<usize> {
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

/// A vtable for the file operations of a Rust misc device.
struct MiscdeviceVTable<T: MiscDevice>(PhantomData<T>);

impl<T: MiscDevice> MiscdeviceVTable<T> {
    /// Opens the file. Unlike 7.3's, it does not call `generic_file_open()`,
    /// as no C misc driver does: that refuses files over 2 GiB opened
    /// without `O_LARGEFILE`, which a character device, of size 0, never is.
    ///
    /// # Safety
    ///
    /// `inode` and `raw_file` must be the inode and file of a file being
    /// opened through a `MiscDeviceRegistration<T>`.
    unsafe extern "C" fn open(
        _inode: *mut bindings::inode,
        raw_file: *mut bindings::file,
    ) -> c_int {
        // SAFETY: The open call of a file can access the private data.
        let misc_ptr = unsafe { (*raw_file).private_data };

        // SAFETY: `misc_open()` set the private data to the `struct
        // miscdevice`, the first field of a registration of `T`, and keeps
        // it registered, so not freed, during this call.
        let misc = unsafe { &*misc_ptr.cast::<MiscDeviceRegistration<T>>() };

        // SAFETY:
        // * The file is valid for (much longer than) the duration of `T::open`.
        // * There is no active fdget_pos region on the file on this thread.
        let file = unsafe { File::from_raw_file(raw_file) };

        let ptr = match T::open(file, misc) {
            Ok(ptr) => ptr,
            Err(err) => return err.to_errno(),
        };

        // The private data becomes `T::Ptr`, which every other method of
        // this vtable expects.
        //
        // SAFETY: The open call of a file can access the private data.
        unsafe { (*raw_file).private_data = ptr.into_foreign().cast::<c_void>() };

        0
    }

    /// # Safety
    ///
    /// `file` must be a file of a `MiscDeviceRegistration<T>` being released.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: The release call of a file owns the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: `open` set the private data with `into_foreign()`, and
        // release is the last call on the file.
        let ptr = unsafe { <T::Ptr as ForeignOwnable>::from_foreign(private.cast()) };

        // SAFETY:
        // * The file is valid for the duration of this call.
        // * There is no active fdget_pos region on the file on this thread.
        T::release(ptr, unsafe { File::from_raw_file(file) });

        0
    }

    /// # Safety
    ///
    /// `kiocb` must be for a file opened through a `MiscDeviceRegistration<T>`
    /// and `iter` a valid `struct iov_iter` for writing.
    unsafe extern "C" fn read_iter(
        kiocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: The kiocb is valid for the call, and its file's private
        // data was set by `open`.
        let kiocb = unsafe { Kiocb::from_raw(kiocb) };
        // SAFETY: This is a valid `struct iov_iter` for writing.
        let iov = unsafe { IovIterDest::from_raw(iter) };

        match T::read_iter(kiocb, iov) {
            Ok(res) => res as isize,
            Err(err) => err.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `file` must be a file opened through a `MiscDeviceRegistration<T>`,
    /// `buf` and `count` the user buffer of its `read()` call, and `ppos`
    /// valid for reads and writes for the duration of the call.
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: The read call of a file can access the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: `open` set the private data with `into_foreign()`, and
        // `release` has not run yet.
        let device = unsafe { <T::Ptr as ForeignOwnable>::borrow(private.cast()) };
        // SAFETY: The file is valid for the duration of this call, and the
        // caller of `read` holds a reference on it.
        let file = unsafe { File::from_raw_file(file) };
        // SAFETY: By the safety requirements, `ppos` is valid for reads and
        // writes during this call, and nothing else uses it meanwhile.
        let pos = unsafe { &mut *ppos };
        let mut ubuf = UserWriter::new(UserPtr::from_ptr(buf.cast::<c_void>()), count);

        match T::read(device, file, &mut ubuf, pos) {
            Ok(n) => n as isize,
            Err(err) => err.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `file` must be a file opened through a `MiscDeviceRegistration<T>`.
    unsafe extern "C" fn llseek(file: *mut bindings::file, offset: i64, whence: c_int) -> i64 {
        // SAFETY: The llseek call of a file can access the private data.
        let private = unsafe { (*file).private_data };
        // SAFETY: `open` set the private data with `into_foreign()`, and
        // `release` has not run yet.
        let device = unsafe { <T::Ptr as ForeignOwnable>::borrow(private.cast()) };
        // SAFETY:
        // * The file is valid for the duration of this call.
        // * There is no active fdget_pos region on the file on this thread.
        let file = unsafe { File::from_raw_file(file) };

        match T::llseek(device, file, offset, whence) {
            Ok(pos) => pos,
            Err(err) => err.to_errno().into(),
        }
    }

    const VTABLE: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open),
        // Nothing to do at release for a pointer that needs no drop (a
        // `RegistrationRef`) and the default `release`.
        release: if T::HAS_RELEASE || needs_drop::<T::Ptr>() {
            Some(Self::release)
        } else {
            None
        },
        read: if T::HAS_READ { Some(Self::read) } else { None },
        read_iter: if T::HAS_READ_ITER {
            Some(Self::read_iter)
        } else {
            None
        },
        llseek: if T::HAS_LLSEEK {
            Some(Self::llseek)
        } else {
            None
        },
        owner: this_module::<T::OwnerModule>().as_ptr(),
        ..pin_init::zeroed()
    };

    const fn build() -> &'static bindings::file_operations {
        &Self::VTABLE
    }
}
