// SPDX-License-Identifier: GPL-2.0

//! hellodev Rust misc frontend: the Rust core as a misc device, `/dev/<name>`
//! on a dynamic minor of the misc major. The Rust twin of `misc.c`: the same
//! parameters, messages and behaviour, through the kernel's Rust
//! abstractions and, where 7.3's fall short, the extensions in `rust/`.

#[path = "../rust/device_attr.rs"]
mod device_attr;
#[path = "../rust/file_ops.rs"]
mod file_ops;
#[path = "../common/hellodev.rs"]
mod hellodev;
#[path = "../rust/kernel_ext.rs"]
mod kernel_ext;
#[path = "../rust/miscdevice.rs"]
mod miscdevice;
#[path = "../rust/module_param.rs"]
mod module_param;
#[path = "../rust/pin_init.rs"]
mod pin_init_ext;
#[path = "../rust/uaccess.rs"]
mod uaccess;

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
use miscdevice::{
    MiscDevice,
    MiscDeviceOptions,
    MiscDeviceRegistration, //
};
use module_param::{
    modinfo,
    module_param,
    Bool,
    Octal,
    Text, //
};
use uaccess::UserWriter;

module! {
    type: HellodevRust,
    name: "hellodev_rust",
    authors: ["hellodev developers"],
    description: "hellodev greeting device: misc device frontend, in Rust",
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

/// `open_count` in `/sys/class/misc/<name>/`.
static OPEN_COUNT: MiscAttribute = MiscAttribute::new(c"open_count", show_open_count);
/// The device's sysfs attributes.
static ATTRIBUTES: [&MiscAttribute; 1] = [&OPEN_COUNT];
/// A sysfs attribute of the misc device.
type MiscAttribute = Attribute<MiscDeviceRegistration<HellodevMisc>>;

fn show_open_count(hd: ArcBorrow<'_, Hellodev>, f: &mut Formatter<'_>) -> Result {
    Ok(writeln!(f, "{}", hd.open_count())?)
}

/// The misc device: each open file borrows the core device from the
/// registration.
struct HellodevMisc;

#[vtable]
impl MiscDevice for HellodevMisc {
    type Ptr = RegistrationRef<Arc<Hellodev>>;
    type RegistrationData = Arc<Hellodev>;

    #[inline]
    fn open(
        _file: &File,
        misc: &MiscDeviceRegistration<Self>,
    ) -> Result<RegistrationRef<Arc<Hellodev>>> {
        misc.data().open();
        Ok(misc.file_ref())
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
        print::info!(self.0, "misc device (exit)\n");
    }
}

/// The module: the misc registration, then the line that says it is gone.
#[pin_data]
struct HellodevRust {
    #[pin]
    misc: MiscDeviceRegistration<HellodevMisc>,
    _exit: ExitLine,
}

impl kernel::InPlaceModule for HellodevRust {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(|| {
            // Show the name in use in sysfs, where the parameter is visible.
            let modname = <Self as kernel::ModuleMetadata>::NAME;
            let name = NAME.get_or_set(modname);
            let greeting = GREETING.get().unwrap_or(hellodev::DEFAULT_GREETING);
            let hd = Hellodev::new(modname, Some(name), greeting, LOG_OPENS.get())?;
            let mode = MODE.get();
            hd.check_mode(mode)?;
            let opts = MiscDeviceOptions {
                name,
                mode,
                attributes: &ATTRIBUTES,
            };
            let misc = MiscDeviceRegistration::register(opts, hd);
            Ok(try_pin_init!(Self {
                misc <- pin_init_ext::map_err(misc, move |e| {
                    print::err!(
                        name,
                        "cannot register misc device ({}); is the name taken in /sys/class/misc?\n",
                        e.to_errno()
                    );
                    e
                }),
                _exit: ExitLine(name),
            }? Error)
            .pin_chain(move |_| {
                print::info!(name, "misc device /dev/{name} (init)\n");
                Ok(())
            }))
        })
    }
}
