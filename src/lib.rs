//! fsync~: a Pd external that starts sounds at OSC timetags, sample-exact.
//!
//! `core` is pure Rust (no FFI) and holds all the logic; `pd` is the thin shell
//! that owns every `unsafe` call into Pd.

pub mod core;
mod pd;
