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
//!   global.
//!
//! The methods that hellodev does not use (`write_iter`, `ioctl`, `mmap`,
//! ...) are left out rather than copied untested; upstream, these additions
//! would go into `kernel::miscdevice` itself.

#[cfg(hellodev_uread)]
use crate::uaccess::UserBuf;
use core::marker::PhantomData;
#[cfg(hellodev_uread)]
use kernel::uaccess::UserPtr;
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
    }, //
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

/// A registration of a misc device.
///
/// # Invariants
///
/// - `inner` holds a `struct miscdevice` registered with `misc_register()`,
///   whose `groups` point into `inner` and whose `fops` are
///   `MiscdeviceVTable<T>`'s; it is deregistered exactly once, on drop.
/// - `inner` is the first field: a pointer to the `struct miscdevice` is a
///   pointer to the registration.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct MiscDeviceRegistration<T: MiscDevice> {
    #[pin]
    inner: Opaque<RawMisc>,
    data: T::RegistrationData,
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
            // The data first: the device can be opened once registered.
            data,
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
    pub(crate) fn data(&self) -> &T::RegistrationData {
        &self.data
    }
}

#[pinned_drop]
impl<T: MiscDevice> PinnedDrop for MiscDeviceRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariants, the device is registered.
        unsafe { bindings::misc_deregister(self.inner.get().cast()) };
    }
}

/// A read-only sysfs attribute of misc devices of type `T`, shown from the
/// registration's data.
///
/// Declare one as a `static` and list it in [`MiscDeviceOptions`].
#[repr(C)]
pub(crate) struct Attribute<T: MiscDevice> {
    attr: bindings::device_attribute,
    show: fn(&T::RegistrationData, &mut Formatter<'_>) -> Result,
}

// SAFETY: An `Attribute` is not changed after it is made; it holds a
// `'static` name and pointers to functions.
unsafe impl<T: MiscDevice> Sync for Attribute<T> {}

impl<T: MiscDevice> Attribute<T> {
    /// Makes an attribute `name` (mode 0444) whose contents `show` writes.
    pub(crate) const fn new(
        name: &'static CStr,
        show: fn(&T::RegistrationData, &mut Formatter<'_>) -> Result,
    ) -> Self {
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

    /// Data the registration owns for as long as the device is registered.
    type RegistrationData: Send + Sync;

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
    /// of `read_iter`.
    #[cfg(hellodev_uread)]
    fn read(
        _device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        _file: &File,
        _buf: &mut UserBuf,
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
    /// # Safety
    ///
    /// `inode` and `raw_file` must be the inode and file of a file being
    /// opened through a `MiscDeviceRegistration<T>`.
    unsafe extern "C" fn open(inode: *mut bindings::inode, raw_file: *mut bindings::file) -> c_int {
        // SAFETY: The pointers are valid and for a file being opened.
        let ret = unsafe { bindings::generic_file_open(inode, raw_file) };
        if ret != 0 {
            return ret;
        }

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
    #[cfg(hellodev_uread)]
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
        let mut ubuf = UserBuf::new(UserPtr::from_ptr(buf.cast::<c_void>()), count);

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
        release: Some(Self::release),
        #[cfg(hellodev_uread)]
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
