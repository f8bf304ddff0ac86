// SPDX-License-Identifier: GPL-2.0

//! Character devices: a cdev on a major of its own, in a class of its own,
//! with a node in `/dev`.
//!
//! 7.3 has no Rust abstraction for a cdev at all (`kernel::miscdevice` is
//! the only character device one). This one is shaped like it: a pinned
//! [`CdevRegistration`] that undoes everything on drop, in reverse order,
//! and a `#[vtable]` trait [`CharDevice`] whose methods have the names and
//! signatures of `miscdevice.rs`'s `MiscDevice`. A registration is, in
//! order, the device number (`alloc_chrdev_region()`), the class
//! (`class_create()`, whose `devnode` gives the node its mode), the cdev
//! (`cdev_add()`) and the device (`device_create_with_groups()`) with its
//! attributes, `device_attr.rs`'s. The calls on an open file are
//! `file_ops.rs`'s thunks, shared with `miscdevice.rs`.
//!
//! A cdev is a kobject, released when its last reference goes, which can
//! be well after `cdev_del()` (an open file holds one; `DEBUG_KOBJECT_RELEASE`
//! delays every release by seconds). Until then every inode that opened
//! it, a node made with `mknod` as well, points at it (`i_cdev`), and
//! `chrdev_open()` takes the cdev from there. So the registration's drop
//! does not return before the cdev's release has run: a C driver must
//! remember to wait, this one cannot forget (see the invariants).
//! Upstream this would be a `kernel::chrdev` with a real user, this
//! project; a class, a device and their attributes would be
//! `kernel::device` types of their own.

use crate::{
    device_attr::{
        Attribute,
        AttributeGroup,
        DeviceData, //
    },
    file_ops::{
        file_methods,
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
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_char,
        c_int, //
    },
    fs::File,
    module::this_module,
    prelude::*,
    sync::Completion,
    types::{
        ForeignOwnable,
        Opaque, //
    }, //
};

/// Options for creating a character device.
pub(crate) struct CdevOptions<T: CharDevice> {
    /// The name of the device number region, of the device and of its node
    /// in `/dev`.
    pub(crate) name: &'static CStr,
    /// The class, `/sys/class/<class>`, which the registration creates and
    /// owns: no other device may use it.
    pub(crate) class: &'static CStr,
    /// Permissions of the node; 0 leaves devtmpfs' default (0600).
    pub(crate) mode: u16,
    /// Read-only attributes in the device's sysfs directory; at most
    /// `device_attr::MAX_ATTRIBUTES`.
    pub(crate) attributes: &'static [&'static Attribute<CdevRegistration<T>>],
}

/// A step of [`CdevRegistration::register`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CdevStep {
    /// The attribute group: too many attributes.
    Attributes,
    /// The device number, `alloc_chrdev_region()`.
    Region,
    /// The class, `class_create()`.
    Class,
    /// The cdev, `cdev_add()`.
    Cdev,
    /// The device and its node, `device_create_with_groups()`.
    Device,
}

/// Why [`CdevRegistration::register`] failed: the step, and its error.
#[derive(Debug)]
pub(crate) struct CdevError {
    /// The step that failed; every step before it was undone.
    pub(crate) step: CdevStep,
    /// Its error.
    pub(crate) error: Error,
}

impl From<CdevError> for Error {
    fn from(e: CdevError) -> Error {
        e.error
    }
}

/// The parent kobject of a registration's cdev, which the cdev's release
/// puts: its own release then completes `released`.
#[repr(C)]
#[pin_data]
struct CdevParent {
    kobj: Opaque<bindings::kobject>,
    #[pin]
    released: Completion,
}

/// The kobject type of a [`CdevParent`].
const PARENT_KTYPE: bindings::kobj_type = bindings::kobj_type {
    release: Some(parent_release),
    ..pin_init::zeroed()
};

/// Releases a [`CdevParent`]'s kobject: completes its `released`.
///
/// # Safety
///
/// `kobj` must be the `kobj` of a [`CdevParent`], at its release.
unsafe extern "C" fn parent_release(kobj: *mut bindings::kobject) {
    // SAFETY: `kobj` is the first field of a `CdevParent`, and `Opaque` has
    // its contents' layout, so it points to that `CdevParent`, which its
    // registration keeps valid until `released` is completed.
    let parent = unsafe { &*kobj.cast::<CdevParent>() };
    parent.released.complete_all();
}

/// A registration of a character device.
///
/// # Invariants
///
/// - `cdev` is the first field: a pointer to it is a pointer to the
///   registration. The cdev's `ops` are `CdevVTable<T>`'s, and its kobject's
///   parent is `parent`'s kobject.
/// - `devt` is a device number region of one, `class` a class whose
///   `devnode` is `CdevVTable<T>::devnode`, the cdev is added with
///   `cdev_add()` on `devt`, and `dev` is a device of `class` on `devt`
///   whose driver data is the registration; each made by `register` in that
///   order, and undone exactly once, on drop, in the reverse order.
/// - The registration is not freed before the cdev's release has run: drop
///   puts `parent`'s own reference after `cdev_del()` and waits for
///   `parent.released`, which the parent's release completes, after the
///   cdev's release has put the cdev's reference on it. The cdev's release
///   clears `i_cdev` in every inode that opened it (`cdev_purge()`), so no
///   inode, not one made with `mknod`, points into a registration that is
///   gone, and `chrdev_open()` never pins `T::OwnerModule` through a cdev
///   that is gone. This holds by construction, whatever the module does.
/// - Every file opened through the registration holds a reference on the
///   cdev (`chrdev_open()`'s `cdev_get()`, put after its release), so once
///   the cdev is released no such file is open: `data`, not null, is freed
///   only after that, by the field's drop once drop has waited. The data
///   outlives every file opened through the registration.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct CdevRegistration<T: CharDevice> {
    #[pin]
    cdev: Opaque<bindings::cdev>,
    #[pin]
    parent: CdevParent,
    devt: bindings::dev_t,
    class: *mut bindings::class,
    dev: *mut bindings::device,
    mode: u16,
    #[pin]
    group: Opaque<AttributeGroup<Self>>,
    data: ForeignData<T::RegistrationData>,
}

// SAFETY: A registration may be dropped on another thread than the one
// that made it: the C calls that undo it may; the data is `Send`.
unsafe impl<T: CharDevice> Send for CdevRegistration<T> {}
// SAFETY: The `&self` methods only read fields written once, before the
// registration is shared, and the data, which is `Sync`.
unsafe impl<T: CharDevice> Sync for CdevRegistration<T> {}

/// The major of a device number.
fn major(devt: bindings::dev_t) -> u32 {
    devt >> bindings::MINORBITS
}

/// The minor of a device number.
fn minor(devt: bindings::dev_t) -> u32 {
    devt & ((1 << bindings::MINORBITS) - 1)
}

impl<T: CharDevice> CdevRegistration<T> {
    /// Registers a character device that owns `data`.
    ///
    /// Fails with the step that failed, every step before it undone:
    /// [`CdevStep::Attributes`] (`EINVAL`) for more than
    /// `device_attr::MAX_ATTRIBUTES` attributes, else with the error of
    /// `alloc_chrdev_region()` (`EBUSY` when no major is left), of
    /// `class_create()` (`EEXIST` for a class name in use), of `cdev_add()`
    /// or of `device_create_with_groups()` (`EEXIST` for a device name in
    /// use), or `ENOMEM`. A failure after the cdev was added waits, as drop
    /// does, until a file opened meanwhile through a `mknod` node is closed.
    pub(crate) fn register(
        opts: CdevOptions<T>,
        data: T::RegistrationData,
    ) -> impl PinInit<Self, CdevError> {
        let init = move |slot: *mut Self| {
            let fail = |step| move |error| CdevError { step, error };
            // SAFETY: `slot` is valid for writes and pinned, so the pointers
            // written into it stay valid for as long as it; every field is
            // valid zeroed (`data` holds nothing until written).
            unsafe { core::ptr::write_bytes(slot, 0, 1) };
            // SAFETY: `slot` is valid for writes and pinned, and its group
            // stays in place while a device uses the list: the device is
            // destroyed first on drop.
            let groups = unsafe { AttributeGroup::init((*slot).group.get(), opts.attributes) }
                .map_err(fail(CdevStep::Attributes))?;
            // SAFETY: `slot` is valid for writes, and the name is a C string.
            to_result(unsafe {
                bindings::alloc_chrdev_region(&raw mut (*slot).devt, 0, 1, opts.name.as_char_ptr())
            })
            .map_err(fail(CdevStep::Region))?;
            // SAFETY: `alloc_chrdev_region()` just wrote the region there.
            let devt = unsafe { (*slot).devt };
            // SAFETY: The class name is a `'static` C string.
            let class = unsafe { bindings::class_create(opts.class.as_char_ptr()) };
            let class = match from_err_ptr(class) {
                Ok(class) => class,
                Err(e) => {
                    // SAFETY: The region allocated above, not used yet.
                    unsafe { bindings::unregister_chrdev_region(devt, 1) };
                    return Err(fail(CdevStep::Class)(e));
                }
            };
            // INVARIANT: Each step is written to `slot` as it is made.
            // SAFETY: `slot` is valid for writes; `class` was just created,
            // and nothing uses its `devnode` before a device is added to it.
            unsafe {
                (*slot).class = class;
                (*class).devnode = Some(CdevVTable::<T>::devnode);
                (*slot).mode = opts.mode;
                core::ptr::write(&raw mut (*slot).data, ForeignData::new(data));
            }
            // SAFETY: `slot` is valid for writes and pinned; `parent` is
            // zeroed, as `kobject_init()` requires; `Completion::new()`
            // cannot fail.
            unsafe {
                let parent = &raw mut (*slot).parent;
                let _ = Completion::new().__init(&raw mut (*parent).released);
                bindings::kobject_init((*parent).kobj.get(), &PARENT_KTYPE);
                let cdev = (*slot).cdev.get();
                bindings::cdev_init(cdev, &CdevVTable::<T>::VTABLE);
                (*cdev).owner = this_module::<T::OwnerModule>().as_ptr();
                bindings::cdev_set_parent(cdev, (*parent).kobj.get());
            }
            // SAFETY: The cdev was just initialized; `slot` is pinned and is
            // not freed before the cdev's release (`unwind_from_class()`
            // waits for it, on drop and on every failure from here).
            if let Err(e) = to_result(unsafe { bindings::cdev_add((*slot).cdev.get(), devt, 1) }) {
                // SAFETY: A failed `cdev_add()` took no reference on the
                // parent: the cdev's release puts the parent's own.
                unsafe {
                    bindings::kobject_put(&raw mut (*(*slot).cdev.get()).kobj);
                    Self::unwind_failed(slot);
                }
                return Err(fail(CdevStep::Cdev)(e));
            }
            // SAFETY: `class` and `devt` are valid, and so is `groups`, which
            // points into `slot`; the device's driver data, the
            // registration, is valid until the device is destroyed, on drop.
            let dev = from_err_ptr(unsafe {
                bindings::device_create_with_groups(
                    class,
                    core::ptr::null_mut(),
                    devt,
                    slot.cast(),
                    groups,
                    c"%s".as_char_ptr(),
                    opts.name.as_char_ptr(),
                )
            });
            match dev {
                Ok(dev) => {
                    // SAFETY: `slot` is valid for writes.
                    unsafe { (*slot).dev = dev };
                    Ok(())
                }
                Err(e) => {
                    // SAFETY: The cdev was added above.
                    unsafe {
                        bindings::cdev_del((*slot).cdev.get());
                        bindings::kobject_put((*slot).parent.kobj.get());
                        Self::unwind_failed(slot);
                    }
                    Err(fail(CdevStep::Device)(e))
                }
            }
        };
        // SAFETY: `init` initializes every field of the slot when it returns
        // `Ok`; when it returns `Err` it has undone every step and dropped
        // what it wrote, so the slot holds nothing to drop.
        unsafe { pin_init::pin_init_from_closure(init) }
    }

    /// Undoes a registration from its class down, once the parent's own
    /// reference is put: waits for the cdev's release, then destroys the
    /// class and unregisters the region.
    ///
    /// # Safety
    ///
    /// `slot` must be a registration being made or dropped whose parent's
    /// own reference was put, and none of these steps undone yet.
    unsafe fn unwind_from_class(slot: *const Self) {
        // SAFETY: The parent's own reference is put (safety requirements):
        // `released` completes after the cdev's release; class and region
        // exist and are undone only here.
        unsafe {
            (*slot).parent.released.wait_for_completion();
            bindings::class_destroy((*slot).class);
            bindings::unregister_chrdev_region((*slot).devt, 1);
        }
    }

    /// Undoes a registration that failed once its cdev was initialized:
    /// [`Self::unwind_from_class`], then frees the data, which no file
    /// can use once the cdev is released.
    ///
    /// # Safety
    ///
    /// As [`Self::unwind_from_class`]; `slot` must not be used after this
    /// but to free it.
    unsafe fn unwind_failed(slot: *mut Self) {
        // SAFETY: By the safety requirements; the data was written before
        // the cdev was initialized, and is dropped only here.
        unsafe {
            Self::unwind_from_class(slot);
            core::ptr::drop_in_place(&raw mut (*slot).data);
        }
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

    /// The major and minor of the device.
    pub(crate) fn number(&self) -> (u32, u32) {
        (major(self.devt), minor(self.devt))
    }
}

#[pinned_drop]
impl<T: CharDevice> PinnedDrop for CdevRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        let this: *const Self = &*self;
        // SAFETY: By the type invariants each step was made and none was
        // undone; this undoes them once, in the reverse order. The data is
        // freed after, by the field's drop, once the cdev is released.
        unsafe {
            bindings::device_destroy((*this).class, (*this).devt);
            bindings::cdev_del((*this).cdev.get());
            bindings::kobject_put((*this).parent.kobj.get());
            Self::unwind_from_class(this);
        }
    }
}

impl<T: CharDevice> DeviceData for CdevRegistration<T> {
    type Data = T::RegistrationData;

    /// # Safety
    ///
    /// As [`DeviceData::from_device`].
    unsafe fn from_device<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: `register` made the registration the device's driver
        // data, and it stays registered for `'a` by the safety
        // requirements.
        unsafe { &*(*dev).driver_data.cast::<Self>() }
    }

    fn data(&self) -> <Self::Data as ForeignOwnable>::Borrowed<'_> {
        CdevRegistration::data(self)
    }
}

/// Trait implemented by the private data of an open character device.
#[vtable]
pub(crate) trait CharDevice: Sized + 'static {
    /// What kind of pointer should `Self` be wrapped in.
    type Ptr: ForeignOwnable + Send + Sync;

    /// Data the registration owns for as long as the device is registered,
    /// and for as long as a file opened through it is open.
    type RegistrationData: ForeignOwnable + Send + Sync;

    /// Called when the character device is opened.
    ///
    /// The returned pointer will be stored as the private data for the file.
    fn open(_file: &File, _cdev: &CdevRegistration<Self>) -> Result<Self::Ptr>;

    /// Called when the character device is released.
    fn release(device: Self::Ptr, _file: &File) {
        drop(device);
    }

    /// Reads into the user buffer of a `read()` call at `*pos`, moving `*pos`
    /// past what was copied: C's `.read`.
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
    /// The calls of a [`CharDevice`] on an open file.
    CdevFile,
    CharDevice
);

/// The file operations and the class `devnode` of a Rust character device.
struct CdevVTable<T: CharDevice>(PhantomData<T>);

impl<T: CharDevice> CdevVTable<T> {
    /// Opens the file. As no C cdev driver, it does not call
    /// `generic_file_open()` (see `miscdevice.rs`).
    ///
    /// # Safety
    ///
    /// `inode` and `raw_file` must be the inode and file of a file being
    /// opened through a `CdevRegistration<T>`.
    unsafe extern "C" fn open(inode: *mut bindings::inode, raw_file: *mut bindings::file) -> c_int {
        // The union's `i_cdev` is the cdev `chrdev_open()` opens, with these
        // `ops`: the first field of a `CdevRegistration<T>`, which outlives
        // the cdev's release; `chrdev_open()` holds the cdev meanwhile.
        // SAFETY: As just said, the pointer is a live registration.
        let cdev = unsafe {
            &*(*inode)
                .__bindgen_anon_5
                .i_cdev
                .cast::<CdevRegistration<T>>()
        };

        // SAFETY:
        // * The file is valid for (much longer than) the duration of `T::open`.
        // * There is no active fdget_pos region on the file on this thread.
        let file = unsafe { File::from_raw_file(raw_file) };

        // SAFETY: This is the open of `raw_file` with this table.
        unsafe { FileVTable::<CdevFile<T>>::opened(raw_file, T::open(file, cdev)) }
    }

    /// The node's name and mode: `class::devnode`. The name is the
    /// device's; the mode is the registration's.
    ///
    /// # Safety
    ///
    /// `dev` must be a device of the class of a `CdevRegistration<T>`, and
    /// `mode` null or valid for writes.
    unsafe extern "C" fn devnode(dev: *const bindings::device, mode: *mut u16) -> *mut c_char {
        if !mode.is_null() {
            // SAFETY: The class is the registration's own, whose one
            // device has the registration as its driver data, set before
            // the device is added; `mode` is valid for writes.
            unsafe { *mode = (*(*dev).driver_data.cast::<CdevRegistration<T>>()).mode };
        }
        core::ptr::null_mut()
    }

    const VTABLE: bindings::file_operations =
        FileVTable::<CdevFile<T>>::ops(Self::open, this_module::<T::OwnerModule>().as_ptr());
}
