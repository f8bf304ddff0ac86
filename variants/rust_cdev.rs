// SPDX-License-Identifier: GPL-2.0

//! hellodev Rust cdev frontend: the Rust core as a cdev on a major from
//! `alloc_chrdev_region()`, with a class `hellodev_rust` so that
//! `/dev/<name>` appears. The Rust twin of `cdev.c`: the same parameters,
//! messages and behaviour, through `rust/chrdev.rs`, since 7.3 has no Rust
//! cdev abstraction, and the other extensions in `rust/`.

#[path = "../rust/chrdev.rs"]
mod chrdev;
#[path = "../rust/device_attr.rs"]
mod device_attr;
#[path = "../rust/file_ops.rs"]
mod file_ops;
#[path = "../common/hellodev.rs"]
mod hellodev;
#[path = "../rust/kernel_ext.rs"]
mod kernel_ext;
#[path = "../rust/module_param.rs"]
mod module_param;
#[path = "../rust/pin_init.rs"]
mod pin_init_ext;
#[path = "../rust/uaccess.rs"]
mod uaccess;

use chrdev::{
    CdevOptions,
    CdevRegistration,
    CdevStep,
    CharDevice, //
};
use device_attr::Attribute;
use file_ops::RegistrationRef;
use hellodev::Hellodev;
use kernel::{
    fmt::Write,
    fs::File,
    prelude::*,
    str::Formatter,
    sync::{
        Arc,
        ArcBorrow, //
    }, //
};
use kernel_ext::print;
use module_param::{
    modinfo,
    module_param,
    Bool,
    Octal,
    Text, //
};
use uaccess::UserWriter;

module! {
    type: HellodevRustCdev,
    name: "hellodev_rust_cdev",
    authors: ["hellodev developers"],
    description: "hellodev greeting device: cdev frontend, in Rust",
    license: "GPL",
}

// Release of the hellodev modules: HELLODEV_VERSION, which Kbuild exports
// (from debian/changelog, through the Makefile or dkms.conf).
modinfo!("version=", env!("HELLODEV_VERSION"));

module_param! {
    /// Node name; the module name until the module is set up.
    static NAME: Text = Text::new(None);
    name: "name",
    desc: "Node name, 1-32 of A-Za-z0-9_-. not starting with '.' (default: module name)",
}

module_param! {
    /// Text read back, then a newline.
    static GREETING: Text = Text::new(Some(hellodev::DEFAULT_GREETING));
    name: "greeting",
    desc: "Text read back, then a newline; 1-4095 bytes (default: \"Hello from C\")",
}

module_param! {
    /// Log each open.
    static LOG_OPENS: Bool = Bool::new(true);
    name: "log_opens",
    desc: "Log each open; rate-limited without CAP_SYSLOG (default: Y)",
    type: "bool",
}

module_param! {
    /// Permissions of the node.
    static MODE: Octal = Octal::new(hellodev::DEFAULT_MODE);
    name: "mode",
    desc: "Permissions of /dev/<name>: 0400, 0440 or 0444 (default: 0400)",
}

/// The class of the device: `hellodev_rust`, so that it loads beside the C
/// twin's `hellodev`.
const CLASS: &CStr = c"hellodev_rust";

/// `open_count` in `/sys/class/hellodev_rust/<name>/`.
static OPEN_COUNT: CdevAttribute = CdevAttribute::new(c"open_count", show_open_count);
/// The device's sysfs attributes.
static ATTRIBUTES: [&CdevAttribute; 1] = [&OPEN_COUNT];
/// A sysfs attribute of the device.
type CdevAttribute = Attribute<CdevRegistration<HellodevCdev>>;

fn show_open_count(hd: ArcBorrow<'_, Hellodev>, f: &mut Formatter<'_>) -> Result {
    Ok(writeln!(f, "{}", hd.open_count())?)
}

/// The character device: each open file borrows the core device from the
/// registration.
struct HellodevCdev;

#[vtable]
impl CharDevice for HellodevCdev {
    type Ptr = RegistrationRef<Arc<Hellodev>>;
    type RegistrationData = Arc<Hellodev>;

    #[inline]
    fn open(_file: &File, cdev: &CdevRegistration<Self>) -> Result<RegistrationRef<Arc<Hellodev>>> {
        cdev.data().open();
        Ok(cdev.file_ref())
    }

    #[inline]
    fn read(
        hd: ArcBorrow<'_, Hellodev>,
        _file: &File,
        buf: &mut UserWriter,
        pos: &mut i64,
    ) -> Result<usize> {
        hd.read(pos, buf.len(), |bytes| buf.write_partial(bytes))
    }

    #[inline]
    fn llseek(hd: ArcBorrow<'_, Hellodev>, file: &File, offset: i64, whence: c_int) -> Result<i64> {
        hd.llseek(file, offset, whence)
    }
}

/// Logs the `(exit)` line when dropped, after the device is gone.
struct ExitLine(&'static CStr);

impl Drop for ExitLine {
    fn drop(&mut self) {
        print::info!(self.0, "cdev (exit)\n");
    }
}

/// The message for a failed step of the registration of `name`.
fn log_failed(name: &CStr, step: CdevStep, e: Error) {
    let errno = e.to_errno();
    match step {
        CdevStep::Attributes => {
            print::err!(name, "cannot make the device's attributes ({errno})\n")
        }
        CdevStep::Region => {
            print::err!(
                name,
                "cannot allocate a character device number ({errno})\n"
            )
        }
        CdevStep::Class => print::err!(
            name,
            "cannot create class {CLASS} ({errno}); is /sys/class/{CLASS} in use?\n"
        ),
        CdevStep::Cdev => print::err!(name, "cannot add the character device ({errno})\n"),
        CdevStep::Device => {
            print::err!(name, "cannot create the device for /dev/{name} ({errno})\n")
        }
    }
}

/// The module: the cdev registration, then the line that says it is gone.
#[pin_data]
struct HellodevRustCdev {
    #[pin]
    cdev: CdevRegistration<HellodevCdev>,
    _exit: ExitLine,
}

impl kernel::InPlaceModule for HellodevRustCdev {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(|| {
            // Show the name in use in sysfs, where the parameter is visible.
            let modname = <Self as kernel::ModuleMetadata>::NAME;
            let name = NAME.get_or_set(modname);
            let greeting = GREETING.get().unwrap_or(hellodev::DEFAULT_GREETING);
            let hd = Hellodev::new(modname, Some(name), greeting, LOG_OPENS.get())?;
            let mode = MODE.get();
            hd.check_mode(mode)?;
            let opts = CdevOptions {
                name,
                class: CLASS,
                mode,
                attributes: &ATTRIBUTES,
            };
            let cdev = CdevRegistration::register(opts, hd);
            Ok(try_pin_init!(Self {
                cdev <- pin_init_ext::map_err(cdev, move |e| {
                    log_failed(name, e.step, e.error);
                    e.error
                }),
                _exit: ExitLine(name),
            }? Error)
            .pin_chain(move |this| {
                let (major, minor) = this.cdev.number();
                print::info!(name, "cdev /dev/{name} on {major}:{minor} (init)\n");
                Ok(())
            }))
        })
    }
}
