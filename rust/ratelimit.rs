// SPDX-License-Identifier: GPL-2.0

//! Rate limits: the kernel's `struct ratelimit_state` and `___ratelimit()`.
//!
//! 7.3's `kernel` crate has no rate limit. [`RateLimit`] holds the kernel's
//! own state and asks `___ratelimit()`, so that a Rust caller is limited, and
//! logs, exactly as a C one using `__ratelimit()`. Its set-up is C's
//! `ratelimit_state_init()` and `ratelimit_set_flags()`, both `static
//! inline`, called from `rust/ratelimit_helper.c`: `raw_spin_lock_init()`
//! gives the state's lock a lockdep class there, as for a C caller.
//! Upstream this would be a `kernel::ratelimit` module: a pinned
//! `RateLimit` whose initialiser takes the interval, burst and flags and a
//! lock class (the `static_lock_class!()` of the `kernel::sync` locks), which
//! needs a Rust `raw_spin_lock_init()` or a helper in `rust/helpers/`.

#[cfg(CONFIG_KUNIT = "y")]
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::{
    bindings,
    prelude::*,
    types::Opaque, //
};

/// Events a window lets through: `DEFAULT_RATELIMIT_BURST`.
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) const DEFAULT_BURST: u32 = bindings::DEFAULT_RATELIMIT_BURST;

extern "C" {
    /// `rust/ratelimit_helper.c`: `ratelimit_state_init()` with the
    /// kernel's default interval and burst, then `ratelimit_set_flags()`
    /// with `RATELIMIT_MSG_ON_RELEASE`.
    fn hellodev_rust_ratelimit_init(rs: *mut bindings::ratelimit_state);
}

/// A rate limit of the kernel's default: `DEFAULT_RATELIMIT_BURST` (10)
/// events per `DEFAULT_RATELIMIT_INTERVAL` (5 s), counted by `___ratelimit()`.
///
/// Its count of events left out is not printed: `RATELIMIT_MSG_ON_RELEASE`
/// keeps it for `ratelimit_state_exit()`, which dropping the limit does not
/// call, as the C core, which sets the same flag, never calls it either.
///
/// # Invariants
///
/// `state` was set up by `hellodev_rust_ratelimit_init()`, and is pinned:
/// its lock is a valid, unlocked raw spinlock whenever no `___ratelimit()`
/// call on it runs.
#[pin_data]
pub(crate) struct RateLimit {
    #[pin]
    state: Opaque<bindings::ratelimit_state>,
}

// SAFETY: The state holds no pointer to anything of the task that made it;
// it may be used and dropped from any task.
unsafe impl Send for RateLimit {}
// SAFETY: `&self` methods use the state only through `___ratelimit()`, which
// takes its raw spinlock (or, when it cannot, touches only its atomics), and
// through atomic accesses to its `atomic_t` fields.
unsafe impl Sync for RateLimit {}

impl RateLimit {
    /// Makes a rate limit set up as the C core sets up its own:
    /// `ratelimit_state_init(rs, DEFAULT_RATELIMIT_INTERVAL,
    /// DEFAULT_RATELIMIT_BURST)`, then `ratelimit_set_flags(rs,
    /// RATELIMIT_MSG_ON_RELEASE)`.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: The helper sets the state up, and `Self` is pinned.
            // SAFETY: `slot` is valid for writes of a `ratelimit_state` and
            // nothing else uses it yet; the helper only writes it.
            state <- Opaque::ffi_init(|slot| unsafe { hellodev_rust_ratelimit_init(slot) }),
        })
    }

    /// Returns whether one more event may happen now, and counts it as done
    /// or as left out: C's `__ratelimit()`, called from the C function named
    /// `func` (the kernel names it in a "callbacks suppressed" line).
    pub(crate) fn allow(&self, func: &CStr) -> bool {
        // SAFETY: By the type invariant, the state is set up and pinned;
        // `___ratelimit()` serialises itself on the state's lock and only
        // reads `func`, a C string valid for the call.
        unsafe { bindings::___ratelimit(self.state.get(), func.as_char_ptr()) != 0 }
    }

    /// The state's count of events left out, an `atomic_t`.
    #[cfg(CONFIG_KUNIT = "y")]
    fn missed_atomic(&self) -> &Atomic<i32> {
        // SAFETY: `missed` is in the state, which lives as long as `self`;
        // C only ever accesses this `atomic_t` atomically (`atomic_*()`).
        unsafe { Atomic::from_ptr(&raw mut (*self.state.get()).missed.counter) }
    }

    /// Returns how many events were left out: `ratelimit_state_get_miss()`,
    /// the kernel's `int` count, which wraps as an `atomic_t` does.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn missed(&self) -> i32 {
        self.missed_atomic().load(Relaxed)
    }

    /// Sets the count of events left out, for a test to start it anywhere.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn set_missed(&self, missed: i32) {
        self.missed_atomic().store(missed, Relaxed);
    }

    /// Returns how many more events the current window lets through (0
    /// before the first): the state's `rs_n_left`.
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn left(&self) -> i32 {
        // SAFETY: `rs_n_left` is in the state, which lives as long as
        // `self`; C only ever accesses this `atomic_t` atomically.
        unsafe { Atomic::from_ptr(&raw mut (*self.state.get()).rs_n_left.counter) }.load(Relaxed)
    }
}
