//! The Pd shell: the only place that calls into Pd. Everything here is a thin
//! translation between Pd's C API and `crate::core`; every `unsafe` block says
//! why it is sound, and every entry point from Pd catches panics.

mod arrays;
mod atoms;
mod class;
mod clock;
mod ffi;
mod loader;
mod net;
mod object;
mod output;
mod perform;

/// Pd calls this when it loads `fsync~.pd_linux` (name derived from `fsync~`).
#[unsafe(no_mangle)]
pub extern "C" fn fsync_tilde_setup() {
    class::setup();
}
