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
//!   `/sys/class/misc/<name>/` (`miscdevice.groups`), see
//!   `device_attr.rs`;
//! - [`MiscDevice::llseek`];
//! - [`MiscDevice::RegistrationData`], data that the registration owns and
//!   hands to `open` and to the attributes: what the device is, without a
//!   global;
//! - [`MiscDeviceRegistration::file_ref`], a file's private data that
//!   borrows the registration's data with no reference count, as C's
//!   `misc_open()` users store a plain pointer: sound because the
//!   registration's data outlives every file opened through it (see
//!   [`MiscDeviceRegistration`]'s invariants);
//! - [`MiscDevice::read`], C's `.read`, with a user buffer that takes a
//!   partial copy, beside `read_iter`.
//!
//! `read_iter` stays, with the kernel's signature, for a frontend that
//! wants an `iov_iter`; hellodev's twin reads through `read`, so nothing
//! here calls it. The other methods that hellodev does not use
//! (`write_iter`, `ioctl`, `mmap`, ...) are left out rather than copied
//! untested; upstream, these additions would go into `kernel::miscdevice`
//! itself. The thunks of the calls on an open file are `file_ops.rs`'s,
//! which `chrdev.rs` shares.

use crate::{
    device_attr::{
        Attribute,
        AttributeGroup,
        DeviceData, //
    },
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
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::c_int,
    fs::{
        File,
        Kiocb, //
    },
    iov::IovIterDest,
    module::this_module,
    prelude::*,
    types::{
        ForeignOwnable,
        Opaque, //
    }, //
};

/// Options for creating a misc device.
pub(crate) struct MiscDeviceOptions<T: MiscDevice> {
    /// The name of the misc device, and of its node in `/dev`.
    pub(crate) name: &'static CStr,
    /// Permissions of the node; 0 leaves the kernel's default (0600).
    pub(crate) mode: u16,
    /// Read-only attributes in the device's sysfs directory; at most
    /// `device_attr::MAX_ATTRIBUTES`.
    pub(crate) attributes: &'static [&'static Attribute<MiscDeviceRegistration<T>>],
}

/// The C structures of a misc device and of its attribute group.
///
/// `misc` comes first: `misc_register()` makes the device's driver data, and
/// `misc_open()` the file's private data, point to it, and so to the
/// [`MiscDeviceRegistration`] that holds it first.
#[repr(C)]
struct RawMisc<T: MiscDevice> {
    misc: bindings::miscdevice,
    group: AttributeGroup<MiscDeviceRegistration<T>>,
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
///   `file_ops::no_file_open()`), when no file of it is open; else (dropped while the
///   module lives, in a failed init, or after a forced unload) the data is
///   leaked, never freed, for the files that may still use it: a leak,
///   never a use after free. A module whose registration is the last step
///   of its init, as hellodev's, only ever frees it.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct MiscDeviceRegistration<T: MiscDevice> {
    #[pin]
    inner: Opaque<RawMisc<T>>,
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
    /// Fails with `EINVAL` for more than `device_attr::MAX_ATTRIBUTES`
    /// attributes, else as `misc_register()`: `EEXIST` for a name in use,
    /// `EBUSY` when no minor is left, `ENOMEM`.
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
            inner <- Opaque::try_ffi_init(move |slot: *mut RawMisc<T>| {
                // SAFETY: `slot` is valid for writes, and pinned: the
                // pointers into it stay valid for as long as it.
                let groups = unsafe {
                    core::ptr::write_bytes(slot, 0, 1);
                    AttributeGroup::init(&raw mut (*slot).group, opts.attributes)?
                };
                // SAFETY: As above.
                unsafe {
                    let misc = &raw mut (*slot).misc;
                    (*misc).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                    (*misc).name = opts.name.as_char_ptr();
                    (*misc).fops = &MiscdeviceVTable::<T>::VTABLE;
                    (*misc).mode = opts.mode;
                    (*misc).groups = groups;
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

impl<T: MiscDevice> DeviceData for MiscDeviceRegistration<T> {
    type Data = T::RegistrationData;

    /// # Safety
    ///
    /// As [`DeviceData::from_device`].
    unsafe fn from_device<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: `misc_register()` set the device's driver data to its
        // `struct miscdevice`, the first field of the registration, which
        // stays registered for `'a` by the safety requirements.
        unsafe { &*(*dev).driver_data.cast::<Self>() }
    }

    fn data(&self) -> <Self::Data as ForeignOwnable>::Borrowed<'_> {
        MiscDeviceRegistration::data(self)
    }
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

file_methods!(
    /// The calls of a [`MiscDevice`] on an open file.
    MiscFile,
    MiscDevice
);

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

        // SAFETY: This is the open of `raw_file` with this table.
        unsafe { FileVTable::<MiscFile<T>>::opened(raw_file, T::open(file, misc)) }
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

    const VTABLE: bindings::file_operations = bindings::file_operations {
        read_iter: if T::HAS_READ_ITER {
            Some(Self::read_iter)
        } else {
            None
        },
        ..FileVTable::<MiscFile<T>>::ops(Self::open, this_module::<T::OwnerModule>().as_ptr())
    };
}
