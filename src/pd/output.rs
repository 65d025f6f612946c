//! Everything that leaves through the status outlet: reports, forwarded OSC,
//! errors; and the clocks that time them.

use super::arrays::Key;
use super::atoms::{self, float, gensym, symbol};
use super::clock::with_clock;
use super::ffi::TIME_UNITS_PER_MS;
use super::object::{FsyncTilde, State};
use crate::core::engine::Output;
use crate::core::report::Report;
use crate::core::settings::ClockMode;
use pd_sys::t_atom;

pub fn send(state: &State, selector: &str, mut args: Vec<t_atom>) {
    // SAFETY: our outlet, atoms valid for the call; outlets run in Pd's thread.
    unsafe { pd_sys::outlet_anything(state.status_out, gensym(selector), args.len() as i32, args.as_mut_ptr()) };
}

fn report(state: &State, r: Report<Key>) {
    match r {
        Report::Scheduled { ahead_ms, address } => send(state, "scheduled", vec![float(ahead_ms as f32), symbol(address.0)]),
        Report::Late { late_ms, address } => send(state, "late", vec![float(late_ms as f32), symbol(address.0)]),
        Report::Dropped { reason, address } => send(state, "dropped", vec![symbol(gensym(reason.as_str())), symbol(address.0)]),
        Report::Done { array } => send(state, "done", vec![symbol(array.0)]),
        Report::Stolen { array } => send(state, "stolen", vec![symbol(array.0)]),
        Report::Missing { array } => {
            FsyncTilde::error(state.owner, &format!("no array named '{}' (voice not played)", atoms::symbol_name(array.0)));
            send(state, "missing", vec![symbol(array.0)]);
        }
        Report::ClockStep { step_ms } => send(state, "clock", vec![symbol(gensym("step")), float(step_ms as f32)]),
    }
}

/// Emits what handling a packet produced, in order.
pub fn emit(state: &mut State, outputs: Vec<Output<Key>>) {
    for o in outputs {
        match o {
            Output::Report(r) => report(state, r),
            Output::Forward { address, args } => send(state, &address, atoms::from_forward(&args)),
            Output::Load { name, path, from_network } => super::loader::request(state, &name, &path, from_network),
            Output::Error { kind, detail } => {
                FsyncTilde::error(state.owner, &format!("packet dropped: {detail}"));
                send(state, "error", vec![symbol(gensym(kind))]);
            }
        }
    }
}

/// `packet <bytes…>`: an OSC packet for `[netsend -u -b]` / `[udpsend]`.
pub fn packet(state: &State, bytes: &[u8]) {
    send(state, "packet", bytes.iter().map(|&b| float(b as f32)).collect());
}

/// `utc <year> <month> <day> <hour> <minute> <second> <millisecond>` (floats: all exact in f32).
pub fn utc(state: &State, t: &crate::core::time::civil_time::CivilUtc) {
    let fields = [t.year as f32, t.month as f32, t.day as f32, t.hour as f32, t.minute as f32, t.second as f32, t.millisecond as f32];
    send(state, "utc", fields.iter().map(|&f| float(f)).collect());
}

/// Outputs what the perform routine left in the report ring.
pub fn drain_reports(state: &mut State) {
    refresh_forwards(state);
    let (reports, lost) = state.engine.take_reports();
    for r in reports {
        report(state, r);
    }
    if lost > 0 {
        FsyncTilde::error(state.owner, &format!("{lost} status reports lost (too many in one block)"));
        send(state, "lost", vec![float(lost as f32)]);
    }
}

/// Sets the forward clock to the next forwarded message's exact logical time.
pub fn arm_forward_clock(state: &mut State) {
    // SAFETY: our clock; clock_set takes absolute logical time in Pd units.
    unsafe {
        match state.engine.next_forward_ms() {
            Some(ms) => pd_sys::clock_set(state.forward_clock, ms * TIME_UNITS_PER_MS),
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

pub fn forward_due(state: &mut State) {
    for e in state.engine.take_due_forwards(super::ffi::logical_ms()) {
        send(state, &e.address, atoms::from_forward(&e.args));
    }
    arm_forward_clock(state);
}

/// `clock` query: `clock <mode> <moved-ms> <jitter-ms> <latency-ms> <rate-ppm> <since-step-s> <steps>`,
/// all floats (no symbol is made per query: Pd never frees one).
pub fn clock_status(state: &State) {
    let time = &state.engine.time;
    let mode = match time.mode {
        ClockMode::Logical => "logical",
        ClockMode::System => "system",
    };
    let (moved, jitter, ppm, steps, last_at) = with_clock(|clock| {
        let f = clock.filter();
        let (steps, _, at) = f.steps();
        (f.moved_ms(), f.jitter_ms(), (f.rate() - 1.0) * 1e6, steps, at)
    });
    let since_step = if steps > 0 { (super::ffi::logical_ms() - last_at) / 1000.0 } else { -1.0 };
    let args = vec![
        symbol(gensym(mode)),
        float(moved.unwrap_or(0.0) as f32),
        float(jitter as f32),
        float(time.latency_ms as f32),
        float(ppm as f32),
        float(since_step as f32),
        float(steps as f32),
    ];
    send(state, "clock", args);
}
