// SPDX-License-Identifier: GPL-2.0

//! For `make bench` only: the hellodev Rust core on 7.3's unmodified
//! `kernel::miscdevice`, reading through `read_iter` into an `iov_iter` as
//! the kernel's `samples/rust/rust_misc_device.rs` does, so that the
//! benchmark can show what the kernel's own safe abstraction costs beside C
//! and beside `rust/miscdevice.rs`. Not a frontend: it is not installed,
//! and only its read figures are compared.
//!
//! The kernel's registration hands `open` no data of its own, so, as the
//! sample does, each open makes its own device (and counts only itself).

#[path = "../common/hellodev.rs"]
#[allow(dead_code)]
mod hellodev;
#[path = "../rust/kernel_ext.rs"]
mod kernel_ext;
#[path = "../rust/module_param.rs"]
#[allow(dead_code)]
mod module_param;

use hellodev::Hellodev;
use kernel::{
    fs::{
        File,
        Kiocb, //
    },
    iov::IovIterDest,
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
    sync::Arc,
};
use module_param::{
    module_param,
    Bool,
    Text, //
};

module! {
    type: HellodevRustKmisc,
    name: "hellodev_rust_kmisc",
    authors: ["hellodev developers"],
    description: "hellodev benchmark: the Rust core on kernel::miscdevice",
    license: "GPL",
}

module_param! {
    /// Text read back, then a newline.
    static GREETING: Text = Text::new(Some(hellodev::DEFAULT_GREETING));
    name: "greeting",
    desc: "Text read back, then a newline, as hellodev_rust's greeting",
}

module_param! {
    /// Log each open.
    static LOG_OPENS: Bool = Bool::new(true);
    name: "log_opens",
    desc: "Log each open, as hellodev_rust's log_opens",
    type: "bool",
}

/// The misc device: each open file owns a device of its own.
struct HellodevKmisc;

#[vtable]
impl MiscDevice for HellodevKmisc {
    type Ptr = Arc<Hellodev>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Hellodev>> {
        let modname = <HellodevRustKmisc as kernel::ModuleMetadata>::NAME;
        let greeting = GREETING.get().unwrap_or(hellodev::DEFAULT_GREETING);
        let hd = Hellodev::new(modname, None, greeting, LOG_OPENS.get())?;
        hd.open();
        Ok(hd)
    }

    fn read_iter(mut kiocb: Kiocb<'_, Arc<Hellodev>>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let hd = kiocb.file();
        let room = iov.len();
        hd.read(kiocb.ki_pos_mut(), room, |bytes| iov.copy_to_iter(bytes))
    }
}

/// The module: the kernel's misc registration.
#[pin_data]
struct HellodevRustKmisc {
    #[pin]
    misc: MiscDeviceRegistration<HellodevKmisc>,
}

impl kernel::InPlaceModule for HellodevRustKmisc {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let opts = MiscDeviceOptions {
            name: c"hellodev_rust_kmisc",
        };
        try_pin_init!(Self {
            misc <- MiscDeviceRegistration::register(opts),
        })
    }
}
