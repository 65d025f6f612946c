//! fsync~: a Pd external that starts sounds at OSC timetags, sample-exact.
//!
//! `core` is pure Rust (no FFI) and holds all the logic; `pd` is the thin shell
//! that owns every `unsafe` call into Pd.

pub mod core;
// `as f32` on Pd's floats is a no-op in the 32-bit build and a narrowing in pd64.
#[allow(clippy::unnecessary_cast)]
mod pd;
