//! The Pd object: its C layout, creation, deletion and message methods.

use super::arrays::Key;
use super::atoms::{self, gensym};
use super::clock::{reading, with_clock};
use super::ffi;
use super::output;
use crate::core::atom::Atom;
use crate::core::block_clock::BlockClock;
use crate::core::control::{self, Control};
use crate::core::engine::Engine;
use crate::core::settings;
use crate::core::array_sets::ArraySets;
use crate::core::sound_bank::SoundBank;
use super::loader::{self, Loader};
use pd_sys::{_clock as t_clock, _outlet as t_outlet, t_atom, t_object, t_symbol};
use std::os::raw::c_int;

/// Pd allocates this (zeroed) with the size given to class_new; Rust state
/// lives behind `state`, created in `new` and dropped in `free`.
#[repr(C)]
pub struct FsyncTilde {
    pub obj: t_object,
    pub state: *mut State,
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
    pub owner: *mut FsyncTilde,
}

impl FsyncTilde {
    /// Console error naming the object, clickable in Pd's window.
    pub fn error(this: *mut FsyncTilde, text: &str) {
        let c = std::ffi::CString::new(format!("fsync~: {}", text.replace('%', "%%").replace('\0', ""))).unwrap_or_default();
        // SAFETY: `this` is a live Pd object; "%s" with a valid C string.
        unsafe { pd_sys::pd_error(this as *const _, c"%s".as_ptr(), c.as_ptr()) };
    }

    pub fn post(text: &str) {
        let c = std::ffi::CString::new(text.replace('\0', "")).unwrap_or_default();
        // SAFETY: "%s" with a valid C string.
        unsafe { pd_sys::post(c"%s".as_ptr(), c.as_ptr()) };
    }
}

/// `[fsync~ flags…]`
pub fn new(this: *mut FsyncTilde, args: &[Atom]) {
    let (settings, errors) = settings::parse_flags(args);
    for e in &errors {
        FsyncTilde::error(this, e);
    }
    // SAFETY: called from Pd's constructor on a freshly allocated object.
    unsafe {
        let obj = &raw mut (*this).obj;
        for _ in 0..settings.channels {
            pd_sys::outlet_new(obj, &raw mut pd_sys::s_signal);
        }
        let status_out = pd_sys::outlet_new(obj, std::ptr::null_mut());
        let report_clock = pd_sys::clock_new(this as *mut _, std::mem::transmute::<unsafe extern "C" fn(*mut FsyncTilde), pd_sys::t_method>(super::class::on_report_clock));
        let forward_clock = pd_sys::clock_new(this as *mut _, std::mem::transmute::<unsafe extern "C" fn(*mut FsyncTilde), pd_sys::t_method>(super::class::on_forward_clock));
        let load_clock = pd_sys::clock_new(this as *mut _, std::mem::transmute::<unsafe extern "C" fn(*mut FsyncTilde), pd_sys::t_method>(super::class::on_load_clock));
        // The folder of the patch being loaded: relative sound paths start there.
        let patch_dir = std::path::PathBuf::from(atoms::symbol_name(pd_sys::canvas_getdir(pd_sys::canvas_getcurrent())));
        let loader = Loader::new(patch_dir, &settings.sound_dirs);
        let state = State {
            engine: Engine::new(settings, pd_sys::sys_getsr() as f64, ffi::schedadvance_ms()),
            status_out,
            report_clock,
            forward_clock,
            blocks: BlockClock::default(),
            bank: SoundBank::default(),
            sets: ArraySets::default(),
            loader,
            load_clock,
            tick_samples: ffi::TICK_SAMPLES,
            owner: this,
        };
        (*this).state = Box::into_raw(Box::new(state));
    }
}

pub fn free(this: *mut FsyncTilde) {
    // SAFETY: Pd calls free once; the DSP chain no longer references us (Pd
    // re-sorts DSP before freeing an object with a dsp method).
    unsafe {
        let state = std::mem::replace(&mut (*this).state, std::ptr::null_mut());
        if state.is_null() {
            return;
        }
        pd_sys::clock_free((*state).report_clock);
        pd_sys::clock_free((*state).forward_clock);
        // Loads still under way finish on their threads; their results are dropped.
        pd_sys::clock_free((*state).load_clock);
        drop(Box::from_raw(state));
    }
}

fn intern(name: &str) -> Key {
    Key(gensym(name))
}

/// A packet (list of byte floats).
pub fn list(state: &mut State, argc: c_int, argv: *const t_atom) {
    let atoms = atoms::from_pd(argc, argv);
    let now = reading();
    let outputs = with_clock(|clock| {
        clock.note(now);
        state.engine.handle_packet(&atoms, ffi::logical_ms(), now.wall_s, clock, &mut intern)
    });
    output::emit(state, outputs);
    output::arm_forward_clock(state);
}

/// Any other message: a control.
pub fn control(state: &mut State, selector: *mut t_symbol, argc: c_int, argv: *const t_atom) {
    let name = atoms::symbol_name(selector);
    let args = atoms::from_pd(argc, argv);
    let control = match control::parse_control(name, &args) {
        Ok(c) => c,
        Err(e) => return FsyncTilde::error(state.owner, &e),
    };
    if let Some(note) = control::apply(&mut state.engine, &control) {
        FsyncTilde::error(state.owner, &note);
    }
    output::refresh_forwards(state);
    match control {
        Control::QueryClock => output::clock_status(state),
        Control::QueryDrift => FsyncTilde::post(&format!("fsync~: {}", state.engine.describe_drift())),
        Control::Print => {
            let name = |k: Key| atoms::symbol_name(k.0).to_string();
            for line in state.engine.describe(name) {
                FsyncTilde::post(&format!("fsync~: {line}"));
            }
            for (set, members) in state.sets.iter() {
                let members: Vec<String> = members.iter().map(|&m| name(m)).collect();
                FsyncTilde::post(&format!("fsync~:   arrays {}: {}", name(set), members.join(" ")));
            }
        }
        Control::ListMap => {
            let lines = state.engine.map.describe();
            if lines.is_empty() {
                FsyncTilde::post("fsync~: the address map is empty");
            }
            for line in lines {
                FsyncTilde::post(&format!("fsync~: {line}"));
            }
        }
        Control::Bundle { offset_ms, ref address, ref args } => match with_clock(|clock| {
            let now = reading();
            clock.note(now);
            state.engine.make_bundle(ffi::logical_ms(), now.wall_s, clock, offset_ms, address, args)
        }) {
            Ok(bytes) => output::packet(state, &bytes),
            Err(e) => FsyncTilde::error(state.owner, &e),
        },
        Control::Load { ref name, ref path } => loader::request(state, name, path, false),
        Control::Sounds(ref dir) => {
            let folder = crate::core::path_policy::resolve_for_patch(dir, &state.loader.patch_dir);
            state.loader.allowed.push(folder);
        }
        Control::Arrays { ref name, ref members } => {
            if let Err(e) = state.sets.define(intern(name), members.iter().map(|m| intern(m)).collect()) {
                FsyncTilde::error(state.owner, &format!("arrays {name}: {e}"));
            }
        }
        Control::Stop => {
            // SAFETY: a live clock of ours.
            unsafe { pd_sys::clock_unset(state.forward_clock) };
        }
        _ => {}
    }
}
