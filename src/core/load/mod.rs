//! Load: sound files read from disk (on a worker thread, never in perform),
//! and which paths the network may name.

pub mod path_policy;
pub mod sound_file;
