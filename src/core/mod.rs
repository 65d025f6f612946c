//! The pure-Rust heart of fsync~, one folder per stage of an event's way:
//!
//! ```text
//! input/  bytes → OSC → commands      time/  timetag → logical time
//!    └──────────────┐                   ┌──────┘
//!                 engine (queue the event at its logical time; render blocks)
//!                    │
//!                 play/  queue → voices → samples      load/  sound files
//! ```
//!
//! `engine` ties the stages together; `control` turns Pd messages into
//! engine settings; `settings`, `report`, `limits`, `atom` are leaves every
//! stage may use. Nothing here calls Pd, so all of it runs under `cargo test`.
//! docs/architecture.md says where each kind of change goes.

pub mod atom;
pub mod console;
pub mod control;
pub mod drift;
pub mod engine;
pub mod input;
pub mod limits;
pub mod load;
pub mod peers;
pub mod play;
pub mod report;
pub mod resample;
pub mod settings;
pub mod time;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod test_rng;

// The stages' modules, also under their pre-0.3 paths (kept while branches merge).
pub use input::{address_map, command, dedupe, name_budget, osc, osc_pattern, packet};
pub use load::{path_policy, sound_file};
pub use play::{array_sets, queue, samples, sound_bank, voices};
pub use time::{block_clock, civil_time, clock_filter, time_map, timetag};

#[cfg(test)]
mod hostile_input_tests;
