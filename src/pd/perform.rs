//! The dsp method and the perform routine: no allocation, no locks, no
//! outlets here; reports go to a ring drained by a clock.

use super::arrays::PdStore;
use super::ffi;
use super::object::State;
use pd_sys::{t_int, t_sample, t_signal};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub fn dsp(state: &mut State, sp: *mut *mut t_signal) {
    // SAFETY: Pd passes one signal per signal inlet/outlet: we have one outlet.
    unsafe {
        let out = *sp;
        let sr = (*out).s_sr as f64;
        state.engine.set_sample_rate(sr);
        // A reblocked or resampled subpatch runs at another rate than Pd's tick.
        state.tick_samples = ffi::TICK_SAMPLES * sr / pd_sys::sys_getsr() as f64;
        state.blocks.reset();
        pd_sys::dsp_add(Some(perform), 3, state as *mut State, (*out).s_vec, (*out).s_n as t_int);
    }
}

unsafe extern "C" fn perform(w: *mut t_int) -> *mut t_int {
    // SAFETY: the three words dsp_add was given: our state (alive while the DSP
    // chain is, Pd re-sorts DSP before freeing us), the outlet vector and its length.
    let (state, out) = unsafe {
        let state = *w.add(1) as *mut State;
        let n = *w.add(3) as usize;
        (&mut *state, std::slice::from_raw_parts_mut(*w.add(2) as *mut t_sample, n))
    };
    let rendered = catch_unwind(AssertUnwindSafe(|| {
        let tick_end_ms = ffi::logical_ms();
        let n = out.len();
        let first_of_tick = state.blocks.is_new_tick(tick_end_ms);
        let block_end_ms = state.blocks.block_end_ms(tick_end_ms, n, state.engine.sample_rate(), state.tick_samples);
        if first_of_tick {
            state.engine.observe_clock(tick_end_ms, ffi::wall_s());
        }
        state.engine.render(block_end_ms, &PdStore { bank: &state.bank }, out);
    }));
    if rendered.is_err() {
        out.fill(0.0);
    }
    if state.engine.has_reports() {
        // SAFETY: our clock; clock_delay only relinks Pd's clock list (no allocation).
        unsafe { pd_sys::clock_delay(state.report_clock, 0.0) };
    }
    // SAFETY: the next routine's words follow ours.
    unsafe { w.add(4) }
}
