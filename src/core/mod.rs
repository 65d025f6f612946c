//! The pure-Rust heart of fsync~: decode → timetag → logical time → queue → voices.
//! Nothing here calls Pd, so all of it runs under `cargo test`.

pub mod address_map;
pub mod array_sets;
pub mod atom;
pub mod command;
pub mod control;
pub mod dedupe;
pub mod drift;
pub mod engine;
pub mod name_budget;
pub mod osc;
pub mod osc_pattern;
pub mod packet;
pub mod path_policy;
pub mod queue;
pub mod report;
pub mod resample;
pub mod samples;
pub mod settings;
pub mod sound_bank;
pub mod sound_file;
pub mod time;
pub mod voices;

#[cfg(test)]
mod fuzz_tests;

// The time stage's modules, also under their old paths.
pub use time::{block_clock, clock_filter, time_map, timetag};
