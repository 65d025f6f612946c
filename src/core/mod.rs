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
pub mod control_error;
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
mod hostile_input_tests;
#[cfg(test)]
mod test_rng;
