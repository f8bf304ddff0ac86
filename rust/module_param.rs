// SPDX-License-Identifier: GPL-2.0

//! Module parameters that sysfs shows, text parameters among them.
//!
//! 7.3's `module!` takes integer and `bool` parameters only, and registers
//! them with `perm: 0` and no `get`: `/sys/module/<module>/parameters/`
//! shows none of them. [`module_param!`] declares one as C's
//! `module_param_cb()` does: a `struct kernel_param` in the `__param`
//! section with read-only permissions and operations that read the value
//! back, and its `parm` line (and `parmtype` if given) for `modinfo`. The
//! values are [`Text`], [`Bool`] and [`Octal`]. Upstream this would be
//! `perm:` and a text type in `module!`'s parameters, and a `get` in
//! `kernel::module_param`'s operations.

use kernel::{
    bindings,
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    fmt::Write,
    page::PAGE_SIZE,
    prelude::*,
    str::Formatter,
    sync::atomic::{
        Atomic,
        Relaxed, //
    }, //
};

/// The value of a parameter and the operations that set and show it.
///
/// # Safety
///
/// [`ParamValue::OPS`] must only read and write, through
/// `kernel_param::arg`, a value of the C type that `Self` is laid out as.
pub(crate) unsafe trait ParamValue: Sync {
    /// The operations that parse and show the value.
    const OPS: *const bindings::kernel_param_ops;
}

/// A text parameter: a copy of the string given at load time, or a default.
///
/// The value is copied when set: 7.3 frees the module's argument string once
/// it has parsed it, before the module's init runs (6.1 and 6.12 kept it as
/// long as the module). The copy is freed with the module, after its exit.
///
/// # Invariants
///
/// The pointer is null or points to a NUL-terminated string that lives as
/// long as the module's code runs: a `'static` default when `copied` is
/// false, or, when it is true, a `kstrdup()` copy that only `free`, which
/// the kernel calls when it frees the module, frees.
pub(crate) struct Text {
    ptr: Atomic<*const c_char>,
    copied: Atomic<bool>,
}

impl Text {
    /// Makes a parameter whose value is `default` until one is given.
    pub(crate) const fn new(default: Option<&'static CStr>) -> Self {
        let ptr = match default {
            Some(s) => kernel::str::as_char_ptr_in_const_context(s),
            None => core::ptr::null(),
        };
        // INVARIANT: `ptr` is null or a `'static` C string, not a copy.
        Self {
            ptr: Atomic::new(ptr),
            copied: Atomic::new(false),
        }
    }

    /// Returns the value, if any.
    pub(crate) fn get(&self) -> Option<&'static CStr> {
        let ptr = self.ptr.load(Relaxed);
        if ptr.is_null() {
            return None;
        }
        // SAFETY: By the type invariant, a non-null pointer is a C string
        // that lives as long as the module's code runs, and so as long as
        // any code of the module that could use the reference.
        Some(unsafe { CStr::from_char_ptr(ptr) })
    }

    /// Gives the parameter the value `value` if it has none, so that sysfs
    /// shows the value in use, and returns its value.
    pub(crate) fn get_or_set(&self, value: &'static CStr) -> &'static CStr {
        // INVARIANT: `value` is a `'static` C string; a null pointer is never
        // a copy, so `copied` stays false.
        let _ = self
            .ptr
            .cmpxchg(core::ptr::null(), value.as_char_ptr(), Relaxed);
        self.get().unwrap_or(value)
    }

    /// Sets the value to a copy of a module argument:
    /// `kernel_param_ops::set`.
    ///
    /// # Safety
    ///
    /// `val` must be a C string, and `kp` a `kernel_param` made by
    /// [`module_param!`] for a [`Text`].
    unsafe extern "C" fn set(val: *const c_char, kp: *const bindings::kernel_param) -> c_int {
        // SAFETY: By the safety requirements, `kp` is valid and its `arg`
        // points to a `Text`, which lives in a static.
        let text = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Text>() };
        // SAFETY: By the safety requirements, `val` is a C string.
        let copy = unsafe { bindings::kstrdup(val, bindings::GFP_KERNEL) };
        if copy.is_null() {
            return ENOMEM.to_errno();
        }
        text.release();
        // INVARIANT: `copy` is a `kstrdup()` copy, which `copied` now says.
        text.ptr.store(copy, Relaxed);
        text.copied.store(true, Relaxed);
        0
    }

    /// Frees the value if it is a copy, and leaves none.
    fn release(&self) {
        let ptr = self.ptr.xchg(core::ptr::null(), Relaxed);
        if self.copied.xchg(false, Relaxed) {
            // The module, its only user, no longer runs (`free`) or does not
            // run yet (`set`, while the arguments are parsed).
            // SAFETY: `ptr` is a `kstrdup()` copy (invariant), no longer used.
            unsafe { bindings::kfree(ptr.cast()) };
        }
    }

    /// Shows the value as C's `param_get_charp()` does:
    /// `kernel_param_ops::get`.
    ///
    /// # Safety
    ///
    /// `buf` must be valid for writes of `PAGE_SIZE` bytes, and `kp` a
    /// `kernel_param` made by [`module_param!`] for a [`Text`].
    unsafe extern "C" fn get_raw(buf: *mut c_char, kp: *const bindings::kernel_param) -> c_int {
        // SAFETY: By the safety requirements, `kp` is valid and its `arg`
        // points to a `Text`, which lives in a static.
        let text = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Text>() };
        // SAFETY: By the safety requirements, `buf` is valid for writes of
        // `PAGE_SIZE` bytes, and nothing else uses it during this call.
        let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
        // The bytes as they are, then a newline, at most a page less one
        // byte: what C's "%s\n" into a page writes.
        let value = text.get().map_or(&b"(null)"[..], CStr::to_bytes);
        let mut len = value.len().min(PAGE_SIZE - 1);
        buf[..len].copy_from_slice(&value[..len]);
        if len < PAGE_SIZE - 1 {
            buf[len] = b'\n';
            len += 1;
        }
        // At most a page: it fits.
        len as c_int
    }

    /// Frees a copied value with the module: `kernel_param_ops::free`.
    ///
    /// # Safety
    ///
    /// `arg` must be the `arg` of a `kernel_param` made by
    /// [`module_param!`] for a [`Text`], and the module's code must no
    /// longer run.
    unsafe extern "C" fn free(arg: *mut c_void) {
        // SAFETY: By the safety requirements, `arg` points to a `Text`, which
        // lives in a static.
        unsafe { &*arg.cast::<Text>() }.release();
    }
}

/// Operations that copy, show and free a [`Text`].
static TEXT_OPS: bindings::kernel_param_ops = bindings::kernel_param_ops {
    flags: 0,
    set: Some(Text::set),
    get: Some(Text::get_raw),
    free: Some(Text::free),
};

// SAFETY: `TEXT_OPS` reads and writes a `Text`, through its own functions.
unsafe impl ParamValue for Text {
    const OPS: *const bindings::kernel_param_ops = &raw const TEXT_OPS;
}

/// A `bool` parameter, shown as `Y` or `N`; laid out as a C `bool`.
#[repr(transparent)]
pub(crate) struct Bool(Atomic<bool>);

impl Bool {
    /// Makes a parameter whose value is `default` until one is given.
    pub(crate) const fn new(default: bool) -> Self {
        Self(Atomic::new(default))
    }

    /// Returns the value.
    pub(crate) fn get(&self) -> bool {
        self.0.load(Relaxed)
    }
}

// SAFETY: C's `param_ops_bool` reads and writes a `bool`, as which `Bool` is
// laid out.
unsafe impl ParamValue for Bool {
    const OPS: *const bindings::kernel_param_ops = &raw const bindings::param_ops_bool;
}

/// An `unsigned short` parameter that sysfs shows in octal, as a file mode
/// is written; laid out as a C `unsigned short`.
#[repr(transparent)]
pub(crate) struct Octal(Atomic<i16>);

impl Octal {
    /// Makes a parameter whose value is `default` until one is given. The
    /// debugfs twin, which has no `mode`, has no caller.
    #[allow(dead_code)]
    pub(crate) const fn new(default: u16) -> Self {
        // An `unsigned short` is stored as the `i16` of the same bits.
        Self(Atomic::new(default as i16))
    }

    /// Returns the value.
    pub(crate) fn get(&self) -> u16 {
        self.0.load(Relaxed) as u16
    }

    /// Shows the value as C's `"%#o\n"` does: `kernel_param_ops::get`.
    ///
    /// # Safety
    ///
    /// `buf` must be valid for writes of `PAGE_SIZE` bytes, and `kp` a
    /// `kernel_param` made by [`module_param!`] for an [`Octal`].
    unsafe extern "C" fn get_raw(buf: *mut c_char, kp: *const bindings::kernel_param) -> c_int {
        // SAFETY: By the safety requirements, `kp` is valid and its `arg`
        // points to an `Octal`, which lives in a static.
        let value = unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<Octal>() }.get();
        // SAFETY: By the safety requirements, `buf` is valid for writes of
        // `PAGE_SIZE` bytes, and nothing else uses it during this call.
        let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
        let mut f = Formatter::new(buf);
        // "%#o" writes 0 as "0", anything else with a leading 0.
        let shown = if value == 0 {
            writeln!(f, "0")
        } else {
            writeln!(f, "0{value:o}")
        };
        match shown {
            // A page holds any `u16`.
            Ok(()) => f.bytes_written() as c_int,
            Err(_) => EINVAL.to_errno(),
        }
    }
}

/// C's `param_set_ushort()` parses the value; `Octal::get_raw` shows it.
static OCTAL_OPS: bindings::kernel_param_ops = bindings::kernel_param_ops {
    flags: 0,
    set: Some(bindings::param_set_ushort),
    get: Some(Octal::get_raw),
    free: None,
};

// SAFETY: `OCTAL_OPS` reads and writes an `unsigned short`, as which `Octal`
// is laid out.
unsafe impl ParamValue for Octal {
    const OPS: *const bindings::kernel_param_ops = &raw const OCTAL_OPS;
}

/// Adds `key=value` to the module's `.modinfo`, for `modinfo` to show:
/// `modinfo!("version=", "1.0")`; the parts must be string literals, or
/// macros that expand to one (`env!`).
macro_rules! modinfo {
    ($($part:expr),+ $(,)?) => {
        const _: () = {
            const INFO: &str = ::core::concat!($($part,)+ "\0");
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static MODINFO: [u8; INFO.len()] = {
                let bytes = INFO.as_bytes();
                let mut out = [0u8; INFO.len()];
                let mut i = 0;
                while i < bytes.len() {
                    out[i] = bytes[i];
                    i += 1;
                }
                out
            };
        };
    };
}
pub(crate) use modinfo;

/// Declares module parameter `$name` of this module: a static `$ident` of a
/// [`ParamValue`] type, read-only in `/sys/module/<module>/parameters/`,
/// with `$desc` (and `$type`, if given) for `modinfo`.
///
/// ```ignore
/// module_param! {
///     /// Log each open.
///     static LOG_OPENS: Bool = Bool::new(true);
///     name: "log_opens", desc: "Log each open (default: Y)", type: "bool",
/// }
/// ```
macro_rules! module_param {
    (
        $(#[$meta:meta])*
        static $ident:ident: $ty:ty = $init:expr;
        name: $name:literal, desc: $desc:literal $(, type: $type:literal)? $(,)?
    ) => {
        $(#[$meta])*
        static $ident: $ty = $init;

        const _: () = {
            #[link_section = "__param"]
            #[used(compiler)]
            static PARAM: ::kernel::module_param::KernelParam =
                ::kernel::module_param::KernelParam::new(::kernel::bindings::kernel_param {
                    name: ::core::concat!($name, "\0").as_ptr().cast(),
                    mod_: (&raw const ::kernel::bindings::__this_module).cast_mut(),
                    ops: <$ty as $crate::module_param::ParamValue>::OPS,
                    perm: 0o444,
                    level: -1,
                    flags: 0,
                    __bindgen_anon_1: ::kernel::bindings::kernel_param__bindgen_ty_1 {
                        arg: ::core::ptr::from_ref(&$ident).cast_mut().cast(),
                    },
                });
        };
        $crate::module_param::modinfo!("parm=", $name, ":", $desc);
        $($crate::module_param::modinfo!("parmtype=", $name, ":", $type);)?
    };
}
pub(crate) use module_param;
