//! What the core produced, as `Out`s for the status outlet and the console:
//! a packet's outputs, the perform routine's reports, forwarded messages and
//! the `clock` answer. Nothing here calls an outlet (see `emit.rs`).

use super::arrays::Key;
use super::atoms::{self, float, gensym, symbol};
use super::clock::with_clock;
use super::emit::Out;
use super::ffi::TIME_UNITS_PER_MS;
use super::loader::Request;
use super::state::{Fault, State};
use crate::core::engine::{Engine, Output};
use crate::core::input::refusal::ErrorKind;
use crate::core::report::Report;
use crate::core::settings::ClockMode;

const MIB: usize = 1024 * 1024;

/// `engine`: for the console quota (a packet of 1000 `/play`s of a missing array
/// must not print 1000 lines; the outlet still gets every `missing`).
fn report(r: Report<Key>, engine: &mut Engine<Key>, outs: &mut Vec<Out>) {
    let out = match r {
        Report::Scheduled { ahead_ms, address } => {
            Out::status("scheduled", vec![float(ahead_ms as f32), symbol(address.0)])
        }
        Report::Late { late_ms, address } => Out::status("late", vec![float(late_ms as f32), symbol(address.0)]),
        Report::Dropped { reason, address } => {
            Out::status("dropped", vec![symbol(gensym(reason.as_str())), symbol(address.0)])
        }
        Report::Done { array } => Out::status("done", vec![symbol(array.0)]),
        Report::Stolen { array } => Out::status("stolen", vec![symbol(array.0)]),
        Report::Missing { array } => {
            let line = format!("no array named '{}' (voice not played)", atoms::symbol_name(array.0));
            if let Some(line) = engine.console_line(super::ffi::logical_time().0, &line) {
                outs.push(Out::Error(line));
            }
            Out::status("missing", vec![symbol(array.0)])
        }
        Report::ClockStep { step_ms } => Out::status("clock", vec![symbol(gensym("step")), float(step_ms as f32)]),
    };
    outs.push(out);
}

/// What handling a packet produced, in order (loads are handed to the loader here).
pub fn from_packet(state: &mut State, outputs: Vec<Output<Key>>) -> Vec<Out> {
    from_outputs(state, outputs, "packet dropped")
}

/// As `from_packet`; `refused`: what a console line about a refusal starts with.
pub fn from_outputs(state: &mut State, outputs: Vec<Output<Key>>, refused: &str) -> Vec<Out> {
    let mut outs = Vec::with_capacity(outputs.len());
    for o in outputs {
        match o {
            Output::Report(r) => report(r, &mut state.engine, &mut outs),
            Output::Forward { address, args } => outs.push(Out::status(&address, atoms::from_forward(&args))),
            Output::Load { name, path, from_network } => outs.extend(load(state, &name, &path, from_network)),
            Output::Error { kind, detail } => {
                outs.push(Out::Error(format!("{refused}: {detail}")));
                outs.push(Out::status("error", vec![symbol(gensym(kind.word()))]));
            }
            Output::Refused { kind } => outs.push(Out::status("error", vec![symbol(gensym(kind.word()))])),
            Output::LoadRefused { name, error } => {
                outs.push(Out::Error(format!("packet dropped: load {}: {error}", super::loader::shown(&name))));
                outs.push(Out::status("error", vec![symbol(gensym(ErrorKind::Load.word())), symbol(gensym(&name))]));
            }
        }
    }
    outs
}

/// Starts a load (the patch's `load`, or a packet's `/load`).
pub fn load(state: &mut State, name: &str, path: &str, from_network: bool) -> Vec<Out> {
    let request = Request {
        name,
        path,
        from_network,
        sound_dirs: state.engine.sound_dirs(),
        rate: state.engine.sample_rate(),
        sound_memory_bytes: state.engine.sound_memory_mib().saturating_mul(MIB),
    };
    state.loader.request(request, &state.bank)
}

/// The load clock.
pub fn poll_loads(state: &mut State) -> Vec<Out> {
    let cap = state.engine.sound_memory_mib().saturating_mul(MIB);
    state.loader.poll(&mut state.bank, cap)
}

/// What the perform routine left in the report ring (the report clock).
pub fn drain(state: &mut State) -> Vec<Out> {
    refresh_forwards(state);
    let mut outs = Vec::new();
    if state.fault == Fault::Unreported {
        state.fault = Fault::Reported;
        outs.push(Out::Error("internal error in the perform routine (please report): silent until recreated".into()));
    }
    let (reports, lost) = state.engine.take_reports();
    for r in reports {
        report(r, &mut state.engine, &mut outs);
    }
    if lost > 0 {
        outs.push(Out::Error(format!("{lost} status reports lost (too many in one block)")));
        outs.push(Out::status("lost", vec![float(lost as f32)]));
    }
    outs
}

/// Sets the forward clock to the next forwarded message's exact logical time.
pub fn arm_forward_clock(state: &mut State) {
    // SAFETY: our clock; clock_set takes absolute logical time in Pd units.
    unsafe {
        match state.engine.next_forward_ms() {
            Some(due) => pd_sys::clock_set(state.forward_clock, due.0 * TIME_UNITS_PER_MS),
            None => pd_sys::clock_unset(state.forward_clock),
        }
    }
}

/// After a clock step or a latency change: forwarded messages map anew.
pub fn refresh_forwards(state: &mut State) {
    if state.engine.take_forwards_stale() {
        with_clock(|clock| state.engine.remap_forwards(clock));
        arm_forward_clock(state);
    }
}

/// The forward clock: what is due now.
pub fn forward_due(state: &mut State) -> Vec<Out> {
    let outs = state
        .engine
        .take_due_forwards(super::ffi::logical_time())
        .into_iter()
        .map(|e| Out::status(&e.address, atoms::from_forward(&e.args)))
        .collect();
    arm_forward_clock(state);
    outs
}

/// `packet <bytes…>`: an OSC packet for `[netsend -u -b]` / `[udpsend]`.
pub fn packet(bytes: &[u8]) -> Out {
    Out::status("packet", bytes.iter().map(|&b| float(b as f32)).collect())
}

/// `clock` query: `clock <mode> <moved-ms> <jitter-ms> <latency-ms> <rate-ppm> <since-step-s> <steps>`,
/// all floats (no symbol is made per query: Pd never frees one).
pub fn clock_status(state: &State) -> Out {
    let mode = match state.engine.clock_mode() {
        ClockMode::Logical => "logical",
        ClockMode::System => "system",
    };
    let (moved, jitter, ppm, steps, last_at) = with_clock(|clock| {
        let f = clock.filter();
        let (steps, _, at) = f.steps();
        (f.moved_ms(), f.jitter_ms(), (f.rate() - 1.0) * 1e6, steps, at)
    });
    let since_step = if steps > 0 { (super::ffi::logical_time().0 - last_at) / 1000.0 } else { -1.0 };
    let numbers = [moved.unwrap_or(0.0), jitter, state.engine.latency_ms(), ppm, since_step, steps as f64];
    let mut args = vec![symbol(gensym(mode))];
    args.extend(numbers.iter().map(|&x| float(x as f32)));
    Out::status("clock", args)
}

/// `utc <year> <month> <day> <hour> <minute> <second> <ms>`.
pub fn utc(t: &crate::core::time::civil_time::CivilUtc) -> Out {
    let fields = [
        t.year as f32,
        t.month as f32,
        t.day as f32,
        t.hour as f32,
        t.minute as f32,
        t.second as f32,
        t.millisecond as f32,
    ];
    Out::status("utc", fields.iter().map(|&f| float(f)).collect())
}
