// SPDX-License-Identifier: GPL-2.0

//! Seeing why an in-place initializer failed.
//!
//! pin-init in 7.3 chains code after an initializer that succeeded
//! (`pin_chain`), but has nothing to run when one fails; a module that logs
//! which registration step failed needs that. Upstream this would be a
//! `PinInit::inspect_err()` method beside `pin_chain()`.

use kernel::prelude::*;

/// Returns an initializer that runs `init` and, if it fails, gives its
/// error to `f` and fails with what `f` returns: an error of the caller's
/// type, made from a registration's own.
pub(crate) fn map_err<T, E, F>(
    init: impl PinInit<T, E>,
    f: impl FnOnce(E) -> F,
) -> impl PinInit<T, F> {
    // The closure hands `init` a slot valid for writes and treated as
    // pinned, and returns `Ok` exactly when `init` filled it.
    // SAFETY: As `__init()` requires; `f` only maps the error.
    unsafe { ::pin_init::pin_init_from_closure(move |slot: *mut T| init.__init(slot).map_err(f)) }
}
