// SPDX-License-Identifier: GPL-2.0

//! Seeing why an in-place initializer failed.
//!
//! pin-init in 7.3 chains code after an initializer that succeeded
//! (`pin_chain`), but has nothing to run when one fails; a module that logs
//! which registration step failed needs that. Upstream this would be a
//! `PinInit::inspect_err()` method beside `pin_chain()`.

use kernel::prelude::*;

/// Returns an initializer that runs `init` and, if it fails, calls `f` with
/// its error before passing the error on.
pub(crate) fn inspect_err<T, E>(
    init: impl PinInit<T, E>,
    f: impl FnOnce(&E),
) -> impl PinInit<T, E> {
    // SAFETY: The closure is given a slot that is valid for writes and that
    // is treated as pinned, as `__init()` requires, and it returns
    // what `init` returned: `Ok` when `init` fully initialized the slot,
    // `Err` when it left the slot uninitialized. Calling `f` changes neither.
    unsafe {
        ::pin_init::pin_init_from_closure(move |slot: *mut T| init.__init(slot).inspect_err(f))
    }
}
