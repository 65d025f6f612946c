//! The one clock estimate of this Pd instance, shared by every `[fsync~]`
//! in it (as AOO shares one time DLL), so two objects agree exactly.

use super::ffi;
use crate::core::time::clock::{Clock, ClockReading};
use crate::core::time::units::WallSeconds;
use std::cell::RefCell;

/// A value only Pd's scheduler touches.
pub(super) struct PdOnly<T>(pub(super) T);

// SAFETY: Pd calls externals (methods, clocks, perform) one at a time: from its
// one scheduler thread, or under its global lock (sys_lock) when audio runs in
// a callback thread. All access to CLOCK happens in such calls, never from our
// worker threads, so it is never touched from two threads at once.
unsafe impl<T> Sync for PdOnly<T> {}

static CLOCK: PdOnly<RefCell<Option<Clock>>> = PdOnly(RefCell::new(None));

/// Runs `f` on the shared clock. `f` must not call back into Pd code that
/// could reach another `[fsync~]` (a nested call would find it borrowed and panic,
/// which the entry point's guard reports: never two `&mut`).
pub fn with_clock<R>(f: impl FnOnce(&mut Clock) -> R) -> R {
    let mut slot = CLOCK.0.borrow_mut();
    // (Clock holds fixed-size arrays only: creating it does not allocate.)
    f(slot.get_or_insert_with(Clock::default))
}

/// Both system clocks, now.
pub fn reading() -> ClockReading {
    ClockReading { mono_s: ffi::mono_s(), wall_s: WallSeconds(ffi::wall_s()) }
}
