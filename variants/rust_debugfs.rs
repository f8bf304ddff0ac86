// SPDX-License-Identifier: GPL-2.0

//! hellodev Rust debugfs frontend: the Rust core as the debugfs file
//! `<debugfs>/<name>/greeting`, next to its `open_count`. The Rust twin of
//! `debugfs.c`: the same parameters, messages and behaviour, through
//! `rust/debugfs.rs`, since 7.3's `kernel::debugfs` has no file with its own
//! `open` and keeps no error, and the other extensions in `rust/`.

#[path = "../rust/debugfs.rs"]
mod debugfs;
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

use debugfs::{
    DebugfsAttribute,
    DebugfsFile,
    DebugfsOptions,
    DebugfsRegistration,
    DebugfsStep, //
};
use file_ops::RegistrationRef;
use hellodev::Hellodev;
use kernel::{
    fs::File,
    prelude::*,
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
    Text, //
};
use uaccess::UserWriter;

module! {
    type: HellodevRustDebugfs,
    name: "hellodev_rust_debugfs",
    authors: ["hellodev developers"],
    description: "hellodev greeting device: debugfs frontend, in Rust",
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
    /// Register greeting through debugfs' full proxy.
    static FULL_PROXY: Bool = Bool::new(false);
    name: "full_proxy",
    desc: "Register greeting through debugfs' full proxy (default: N)",
    type: "bool",
}

/// `open_count` in `<debugfs>/<name>/`.
static OPEN_COUNT: DebugfsAttribute<HellodevDebugfs> =
    DebugfsAttribute::<HellodevDebugfs>::new(c"open_count", open_count);
/// The files beside `greeting`.
static ATTRIBUTES: [&DebugfsAttribute<HellodevDebugfs>; 1] = [&OPEN_COUNT];

fn open_count(hd: ArcBorrow<'_, Hellodev>) -> u64 {
    hd.open_count()
}

/// The debugfs file: each open file borrows the core device from the
/// registration.
struct HellodevDebugfs;

#[vtable]
impl DebugfsFile for HellodevDebugfs {
    type Ptr = RegistrationRef<Arc<Hellodev>>;
    type RegistrationData = Arc<Hellodev>;

    #[inline]
    fn open(
        _file: &File,
        reg: &DebugfsRegistration<Self>,
    ) -> Result<RegistrationRef<Arc<Hellodev>>> {
        reg.data().open();
        Ok(reg.file_ref())
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
        print::info!(self.0, "debugfs file (exit)\n");
    }
}

/// The message for a failed step of the registration of `name`.
fn log_failed(name: &CStr, step: DebugfsStep, e: Error) {
    let errno = e.to_errno();
    match step {
        DebugfsStep::Attributes => {
            print::err!(name, "cannot make the debugfs attributes ({errno})\n")
        }
        DebugfsStep::Dir => print::err!(
            name,
            "cannot create debugfs directory {name} ({errno}); is debugfs enabled, and is the name free?\n"
        ),
        DebugfsStep::File(file) => print::err!(
            name,
            "cannot create debugfs file {file} in directory {name} ({errno})\n"
        ),
    }
}

/// The module: the debugfs registration, then the line that says it is
/// gone.
#[pin_data]
struct HellodevRustDebugfs {
    #[pin]
    debugfs: DebugfsRegistration<HellodevDebugfs>,
    _exit: ExitLine,
}

impl kernel::InPlaceModule for HellodevRustDebugfs {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(|| {
            // Show the name in use in sysfs, where the parameter is visible.
            let modname = <Self as kernel::ModuleMetadata>::NAME;
            let name = NAME.get_or_set(modname);
            let greeting = GREETING.get().unwrap_or(hellodev::DEFAULT_GREETING);
            let hd = Hellodev::new(modname, Some(name), greeting, LOG_OPENS.get())?;
            // Without the full proxy, debugfs only wraps open(), and then
            // hands the file its own operations: reads cost what they cost
            // on a cdev; full_proxy=Y keeps the proxy, for comparison.
            let opts = DebugfsOptions {
                dir: name,
                file: c"greeting",
                // Root only, as the C twin's files: the core's default.
                mode: hellodev::DEFAULT_MODE,
                full_proxy: FULL_PROXY.get(),
                attributes: &ATTRIBUTES,
            };
            let debugfs = DebugfsRegistration::register(opts, hd);
            Ok(try_pin_init!(Self {
                debugfs <- pin_init_ext::map_err(debugfs, move |e| {
                    log_failed(name, e.step, e.error);
                    e.error
                }),
                _exit: ExitLine(name),
            }? Error)
            .pin_chain(move |_| {
                print::info!(name, "debugfs file {name}/greeting (init)\n");
                Ok(())
            }))
        })
    }
}
