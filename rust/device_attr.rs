// SPDX-License-Identifier: GPL-2.0

//! Read-only sysfs attributes of a registered device, shown from the data
//! its registration owns.
//!
//! 7.3's `kernel::miscdevice` has no attributes (`miscdevice.groups`), and
//! `kernel::device` none that a class device can list when it is created;
//! `miscdevice.rs` and `chrdev.rs` both list them through
//! [`AttributeGroup`]. Upstream this would be a `kernel::device` attribute
//! type that registrations take in their options.

use core::marker::PhantomData;
use kernel::{
    bindings,
    ffi::c_char,
    page::PAGE_SIZE,
    prelude::*,
    str::Formatter,
    types::ForeignOwnable, //
};

/// Most attributes one device can have.
pub(crate) const MAX_ATTRIBUTES: usize = 4;

/// A registration whose device shows [`Attribute`]s.
pub(crate) trait DeviceData: Sized + 'static {
    /// The data the registration owns, which its attributes show.
    type Data: ForeignOwnable;

    /// The registration whose device is `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be the device of a registered `Self`, which stays
    /// registered for `'a`.
    unsafe fn from_device<'a>(dev: *mut bindings::device) -> &'a Self;

    /// The data the registration owns.
    fn data(&self) -> <Self::Data as ForeignOwnable>::Borrowed<'_>;
}

/// What shows an attribute of the devices of registrations `R`.
pub(crate) type ShowFn<R> = for<'a> fn(
    <<R as DeviceData>::Data as ForeignOwnable>::Borrowed<'a>,
    &mut Formatter<'_>,
) -> Result;

/// A read-only sysfs attribute of the devices of registrations `R`, shown
/// from their data.
///
/// Declare one as a `static` and list it in the registration's options.
#[repr(C)]
pub(crate) struct Attribute<R: DeviceData> {
    attr: bindings::device_attribute,
    show: ShowFn<R>,
}

// SAFETY: An `Attribute` is not changed after it is made; it holds a
// `'static` name and pointers to functions.
unsafe impl<R: DeviceData> Sync for Attribute<R> {}

impl<R: DeviceData> Attribute<R> {
    /// Makes an attribute `name` (mode 0444) whose contents `show` writes.
    pub(crate) const fn new(name: &'static CStr, show: ShowFn<R>) -> Self {
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
    /// `dev` must be the device of a registered `R` and `attr` the
    /// `device_attribute` of an `Attribute<R>` in its options, and `buf`
    /// must be valid for writes of `PAGE_SIZE` bytes.
    unsafe extern "C" fn show_raw(
        dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: `attr` is the first field of an `Attribute<R>`.
        let this = unsafe { &*attr.cast::<Self>() };
        // SAFETY: `dev` is the device of a registered `R`, which sysfs
        // keeps registered while the attribute is shown.
        let reg = unsafe { R::from_device(dev) };
        // SAFETY: `buf` is valid for writes of `PAGE_SIZE` bytes, and
        // nothing else uses it during this call.
        let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
        let mut f = Formatter::new(buf);
        match (this.show)(reg.data(), &mut f) {
            Ok(()) => f.bytes_written() as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

/// One attribute group and the list of groups a device takes, to be kept
/// in a pinned registration: the pointers point into it.
#[repr(C)]
pub(crate) struct AttributeGroup<R: DeviceData> {
    attrs: [*mut bindings::attribute; MAX_ATTRIBUTES + 1],
    group: bindings::attribute_group,
    groups: [*const bindings::attribute_group; 2],
    _r: PhantomData<R>,
}

impl<R: DeviceData> AttributeGroup<R> {
    /// Writes a group of `attributes` to `slot`; returns the list of groups
    /// to give the device: null for none. `EINVAL` for more than
    /// [`MAX_ATTRIBUTES`] attributes.
    ///
    /// # Safety
    ///
    /// `slot` must be valid for writes and stay valid and in place for as
    /// long as a device uses the list returned.
    pub(crate) unsafe fn init(
        slot: *mut Self,
        attributes: &'static [&'static Attribute<R>],
    ) -> Result<*mut *const bindings::attribute_group> {
        if attributes.len() > MAX_ATTRIBUTES {
            return Err(EINVAL);
        }
        if attributes.is_empty() {
            return Ok(core::ptr::null_mut());
        }
        // SAFETY: `slot` is valid for writes; the pointers written into it
        // point into it, and stay valid for as long as it, by the safety
        // requirements. The attributes are `'static`.
        unsafe {
            core::ptr::write_bytes(slot, 0, 1);
            for (i, a) in attributes.iter().enumerate() {
                (*slot).attrs[i] = a.as_raw();
            }
            (*slot).group.__bindgen_anon_2.attrs = (&raw mut (*slot).attrs).cast();
            (*slot).groups[0] = &raw const (*slot).group;
            Ok((&raw mut (*slot).groups).cast())
        }
    }
}
