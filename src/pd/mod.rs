//! The Pd shell: the only place that calls into Pd. Everything here is a thin
//! translation between Pd's C API and `crate::core`; every `unsafe` block says
//! why it is sound, and every entry point from Pd catches panics.
//!
//! Layers, each using only those below it (no import cycle):
//! - `entry` — every C entry point: guard → borrow → handler → end borrow → emit;
//! - `object` (new, free, packets, controls) → `peer_handlers` (ping answers, the
//!   clock correction; → `net`, the object's UDP socket) and `reports` (core outputs as `Out`s)
//!   → `loader` → `worker` (thread pool) → `open_file` (confined open);
//! - `perform` (dsp method and perform routine) → `arrays` (Pd arrays as sample store);
//! - `emit` (the only outlet calls, and the object's `Life`); `clock` (the one clock
//!   estimate of this Pd); `state`, `atoms`, `ffi`.

mod arrays;
mod atoms;
mod bindings;
mod clock;
#[cfg(feature = "clock-trace")]
mod clock_trace;
mod emit;
mod entry;
mod ffi;
mod loader;
mod net;
mod object;
mod open_file;
mod peer_handlers;
mod perform;
mod reports;
mod state;
mod worker;

/// Pd calls this when it loads `fsync~.pd_linux` (name derived from `fsync~`).
#[unsafe(no_mangle)]
pub extern "C" fn fsync_tilde_setup() {
    entry::setup();
}
