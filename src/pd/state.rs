//! The Pd object's C layout and the Rust state behind it.

use super::arrays::Key;
use super::bindings::t_object;
use super::emit::Life;
use super::loader::Loader;
use crate::core::engine::Engine;
use crate::core::play::array_sets::ArraySets;
use crate::core::play::sound_bank::SoundBank;
use crate::core::time::block_clock::BlockClock;
use pd_sys::{_clock as t_clock, _outlet as t_outlet};

/// Pd allocates this (zeroed) with the size given to class_new; Rust state
/// lives behind `state`, created in `new` and dropped in `free`. `life` is
/// `Rc::into_raw` of the object's [`Life`] (see `emit.rs`).
#[repr(C)]
pub struct FsyncTilde {
    /// The target's own t_object (its size differs under mingw's bitfield layout).
    pub obj: t_object,
    pub state: *mut State,
    pub life: *const Life,
}

pub struct State {
    pub engine: Engine<Key>,
    pub status_out: *mut t_outlet,
    /// Fires right after a DSP tick to output what the perform routine reported.
    pub report_clock: *mut t_clock,
    /// Fires at the exact logical time of the next forwarded message.
    pub forward_clock: *mut t_clock,
    pub blocks: BlockClock,
    /// Sounds read with `load` / `/load`, and the worker that reads them.
    pub bank: SoundBank<Key>,
    /// `arrays <name> <array>…`: arrays that play as one sound across the outlets.
    pub sets: ArraySets<Key>,
    pub loader: Loader,
    pub load_clock: *mut t_clock,
    /// The signal's rate relative to Pd's (reblocked/upsampled subpatches).
    pub tick_samples: f64,
    /// Set by the perform routine after a panic: silence from then on.
    pub fault: Fault,
    /// pd64: the core renders f32 here, then it is widened into Pd's f64 vectors
    /// (sized in `dsp`; empty in the 32-bit build).
    pub render_scratch: Vec<f32>,
    /// Answers to `/fsync/ping`, the clock correction (src/pd/net.rs).
    pub net: super::net::Net,
}

/// A panic in the perform routine latches the object silent (the engine may be
/// half-updated); the report clock says so once on the console.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// Faulted; not yet said on the console.
    Unreported,
    Reported,
}
