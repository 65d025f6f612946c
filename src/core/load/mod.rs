//! Load: sound files read from disk (on a worker thread, never in perform),
//! converted to Pd's rate (band-limited), and which paths the network may name.

pub mod path_policy;
pub mod rate_conversion;
pub mod sound_file;
