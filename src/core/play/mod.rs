//! Play: the queue of timed events and the voices that render sound from
//! Pd arrays, sets of arrays and loaded sounds (`samples` is how voices read
//! them, whatever they are).

pub mod array_sets;
pub mod queue;
pub mod samples;
pub mod sound_bank;
pub mod voices;
