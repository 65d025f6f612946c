//! The object's handlers: creation, deletion, packets and control messages.
//! Each takes `&mut State` and returns what should go out (`Out`s); none calls
//! an outlet (`entry.rs` emits after the borrow ends).

use super::arrays::Key;
use super::atoms::{self, gensym};
use super::clock::{reading, with_clock};
use super::emit::Out;
use super::ffi;
use super::loader::Loader;
use super::net::Net;
use super::peer_handlers as net;
use super::reports;
use super::state::{Fault, State};
use super::worker;
use crate::core::atom::Atom;
use crate::core::control::{self, Control};
use crate::core::engine::Engine;
use crate::core::play::array_sets::ArraySets;
use crate::core::play::sound_bank::SoundBank;
use crate::core::settings::Settings;
use crate::core::time::block_clock::BlockClock;
use crate::core::time::units::WallSeconds;
use pd_sys::{_clock as t_clock, _outlet as t_outlet, t_atom, t_symbol};
use std::os::raw::c_int;

/// What `entry::new` made in Pd for the object.
pub struct PdParts {
    pub status_out: *mut t_outlet,
    pub report_clock: *mut t_clock,
    pub forward_clock: *mut t_clock,
    pub load_clock: *mut t_clock,
}

/// `[fsync~ flags…]`: the state, once the flags are parsed.
pub fn new(settings: Settings, net: Net, parts: PdParts) -> State {
    // The folder of the patch being loaded: relative sound paths start there.
    // SAFETY: called from Pd's constructor, while the patch is being loaded.
    let patch_dir =
        std::path::PathBuf::from(atoms::symbol_name(unsafe { pd_sys::canvas_getdir(pd_sys::canvas_getcurrent()) }));
    // SAFETY: reads Pd's sample rate in Pd's thread.
    let sr = unsafe { pd_sys::sys_getsr() } as f64;
    let mut state = State {
        engine: Engine::new(settings, sr, ffi::schedadvance_ms()),
        status_out: parts.status_out,
        report_clock: parts.report_clock,
        forward_clock: parts.forward_clock,
        blocks: BlockClock::default(),
        bank: SoundBank::default(),
        sets: ArraySets::default(),
        loader: Loader::new(patch_dir, parts.load_clock),
        load_clock: parts.load_clock,
        tick_samples: ffi::TICK_SAMPLES,
        fault: Fault::None,
        render_scratch: Vec::new(),
        net,
    };
    net::init(&mut state);
    state
}

/// The object is being deleted: its clocks go now; big buffers go to a worker.
pub fn free(mut state: Box<State>) {
    // SAFETY: our clocks, freed once, in Pd's thread. (Loads under way finish on
    // the workers; their results are dropped there.)
    unsafe {
        pd_sys::clock_free(state.report_clock);
        pd_sys::clock_free(state.forward_clock);
        pd_sys::clock_free(state.load_clock);
    }
    worker::free(state.bank.take_all());
}

fn intern(name: &str) -> Key {
    Key(gensym(name))
}

/// A packet (list of byte floats).
pub fn list(state: &mut State, argc: c_int, argv: *const t_atom) -> Vec<Out> {
    let atoms = atoms::from_pd(argc, argv);
    let now = reading();
    if let Some(outs) = net::packet(state, &atoms, now) {
        reports::refresh_forwards(state);
        return outs;
    }
    let outputs = with_clock(|clock| {
        clock.note(now);
        state.engine.handle_packet(&atoms, ffi::logical_time(), now.wall_s, clock, &mut intern)
    });
    let outs = reports::from_packet(state, outputs);
    reports::arm_forward_clock(state);
    outs
}

/// Any other message: a control.
pub fn control(state: &mut State, selector: *mut t_symbol, argc: c_int, argv: *const t_atom) -> Vec<Out> {
    let name = atoms::symbol_name(selector);
    let args = atoms::from_pd(argc, argv);
    if let Some(outs) = net::control(state, name, &args) {
        reports::refresh_forwards(state);
        return outs;
    }
    let control = match control::parse_control(name, &args) {
        Ok(c) => c,
        Err(e) => return vec![Out::Error(e.to_string())],
    };
    let mut outs = Vec::new();
    if let Some(note) = control::apply(&mut state.engine, &control) {
        outs.push(Out::Error(note.to_string()));
    }
    reports::refresh_forwards(state);
    match control {
        Control::QueryClock => outs.push(reports::clock_status(state)),
        Control::QueryDrift => outs.push(Out::Post(format!("fsync~: {}", state.engine.describe_drift()))),
        Control::Print => {
            let name = |k: Key| atoms::symbol_name(k.0).to_string();
            for line in state.engine.describe(name) {
                outs.push(Out::Post(format!("fsync~: {line}")));
            }
            for (set, members) in state.sets.iter() {
                let members: Vec<String> = members.iter().map(|&m| name(m)).collect();
                outs.push(Out::Post(format!("fsync~:   arrays {}: {}", name(set), members.join(" "))));
            }
            let mib = |b: usize| b as f64 / (1024.0 * 1024.0);
            outs.push(Out::Post(format!(
                "fsync~:   sounds: {} loaded, {:.1} of {} MiB",
                state.bank.len(),
                mib(state.bank.bytes()),
                state.engine.sound_memory_mib()
            )));
        }
        Control::ListMap => {
            let lines = state.engine.describe_map();
            if lines.is_empty() {
                outs.push(Out::Post("fsync~: the address map is empty".into()));
            }
            outs.extend(lines.into_iter().map(|line| Out::Post(format!("fsync~: {line}"))));
        }
        Control::Bundle { offset_ms, ref address, ref args } => match with_clock(|clock| {
            let now = reading();
            clock.note(now);
            state.engine.make_bundle(ffi::logical_time(), now.wall_s, clock, offset_ms, address, args)
        }) {
            Ok(bytes) => outs.push(reports::packet(&bytes)),
            Err(e) => outs.push(Out::Error(e.to_string())),
        },
        Control::Utc => {
            let wall =
                with_clock(|clock| state.engine.wall_now_s(ffi::logical_time(), clock, WallSeconds(ffi::wall_s())));
            match crate::core::time::civil_time::civil_utc(wall.0) {
                Some(t) => outs.push(reports::utc(&t)),
                None => outs.push(Out::Error(format!("utc: the clock reads {} s, not a date", wall.0))),
            }
        }
        Control::Play(ref args) => {
            let outputs = state.engine.play_now(args, ffi::logical_time(), &mut intern);
            outs.extend(reports::from_outputs(state, outputs, "play refused"));
            reports::arm_forward_clock(state);
        }
        Control::At(ref args) => {
            let outputs = state.engine.play_at(args, ffi::logical_time(), &mut intern);
            outs.extend(reports::from_outputs(state, outputs, "at refused"));
            reports::arm_forward_clock(state);
        }
        Control::Load { ref name, ref path } => outs.extend(reports::load(state, name, path, false)),
        Control::Arrays { ref name, ref members } => {
            if let Err(e) = state.sets.define(intern(name), members.iter().map(|m| intern(m)).collect()) {
                outs.push(Out::Error(format!("arrays {name}: {e}")));
            }
        }
        Control::Stop => {
            // SAFETY: a live clock of ours.
            unsafe { pd_sys::clock_unset(state.forward_clock) };
        }
        _ => {}
    }
    outs
}

/// Flags given at creation: errors are said on the console by the caller.
pub fn parse_flags(args: &[Atom]) -> (Settings, Net, Vec<String>) {
    // The peers' flags (src/pd/net.rs) first; the rest are the core's.
    let (net, rest, net_errors) = Net::from_flags(args);
    let (settings, errors) = crate::core::settings::parse_flags(&rest);
    let errors = net_errors.iter().map(ToString::to_string).chain(errors.iter().map(ToString::to_string)).collect();
    (settings, net, errors)
}
