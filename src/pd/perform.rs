//! The dsp method and the perform routine: no allocation, no locks, no
//! outlets here; reports go to a ring drained by a clock.

use super::arrays::PdStore;
use super::bindings::{dsp_addv, t_int, t_sample, t_signal};
use super::clock::{reading, with_clock};
use super::ffi;
use super::state::{Fault, State};
use crate::core::play::samples::MAX_CHANNELS;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Words before the outlet vectors in the DSP chain: state, block length.
const HEADER_WORDS: usize = 2;

pub fn dsp(state: &mut State, sp: *mut *mut t_signal) {
    let channels = state.engine.channels();
    // SAFETY: Pd passes one signal per signal inlet/outlet: we have `channels`
    // signal outlets and no signal inlet, all of one length and rate.
    unsafe {
        let first = *sp;
        let sr = (*first).s_sr as f64;
        state.engine.set_sample_rate(sr);
        // A reblocked or resampled subpatch runs at another rate than Pd's tick.
        state.tick_samples = ffi::TICK_SAMPLES * sr / pd_sys::sys_getsr() as f64;
        state.blocks.reset();
        // pd64: room for every outlet's block in f32 (allocated here, not in perform).
        if cfg!(feature = "pd64") {
            state.render_scratch = vec![0.0; channels * (*first).s_n.max(0) as usize];
        }
        let mut words = [0 as t_int; HEADER_WORDS + MAX_CHANNELS];
        words[0] = state as *mut State as t_int;
        words[1] = (*first).s_n as t_int;
        for c in 0..channels {
            words[HEADER_WORDS + c] = (**sp.add(c)).s_vec as t_int;
        }
        // dsp_addv copies the words into the chain.
        dsp_addv(Some(perform), (HEADER_WORDS + channels) as i32, words.as_mut_ptr());
    }
}

unsafe extern "C" fn perform(w: *mut t_int) -> *mut t_int {
    // The state is alive while the DSP chain is: Pd frees an object, then rebuilds
    // the chain, with no tick in between on its one thread; a handler never runs
    // DSP, so no other borrow is live.
    // SAFETY: the words dsp_addv was given: our state (above), the block length, one vector per signal
    // outlet (Pd gives each outlet its own vector: the slices do not overlap).
    let (state, n) = unsafe { (&mut *(*w.add(1) as *mut State), *w.add(2) as usize) };
    let channels = state.engine.channels();
    // SAFETY: as above; `c` < channels.
    let outlet = |c: usize| unsafe { std::slice::from_raw_parts_mut(*w.add(1 + HEADER_WORDS + c) as *mut t_sample, n) };
    #[cfg(not(feature = "pd64"))]
    if channels == 1 {
        render(state, &mut [outlet(0)]);
    } else {
        // (Built only for several outlets: filling 64 slots costs every block.)
        let mut outs: [&mut [t_sample]; MAX_CHANNELS] =
            std::array::from_fn(|c| if c < channels { outlet(c) } else { &mut [][..] });
        render(state, &mut outs[..channels]);
    }
    #[cfg(feature = "pd64")]
    render_widened(state, channels, n, outlet);
    if state.engine.has_reports() || state.fault == Fault::Unreported {
        // SAFETY: our clock; clock_delay only relinks Pd's clock list (no allocation).
        unsafe { pd_sys::clock_delay(state.report_clock, 0.0) };
    }
    // SAFETY: the next routine's words follow ours.
    unsafe { w.add(1 + HEADER_WORDS + channels) }
}

/// One block into `outs`. A panic latches the object silent (the engine may be
/// half-updated): no more rendering, so no panic message every block; the
/// report clock says it once on the console.
fn render(state: &mut State, outs: &mut [&mut [f32]]) {
    let mut fault = state.fault;
    latched(&mut fault, outs, |outs| {
        let tick_end = ffi::logical_time();
        let n = outs.first().map_or(0, |o| o.len());
        let first_of_tick = state.blocks.is_new_tick(tick_end);
        let block_end = state.blocks.block_end_ms(tick_end, n, state.engine.sample_rate(), state.tick_samples);
        let store = PdStore { bank: &state.bank, sets: &state.sets };
        with_clock(|clock| {
            if first_of_tick {
                let reading = reading();
                #[cfg(feature = "clock-trace")]
                super::clock_trace::record(tick_end.0, reading.wall_s.0);
                clock.observe(tick_end, reading);
            }
            state.engine.render(block_end, clock, &store, outs);
        });
    });
    state.fault = fault;
}

/// Runs `body` unless `fault` is latched; a panic in it latches `fault`.
/// Silence whenever nothing was rendered.
fn latched(fault: &mut Fault, outs: &mut [&mut [f32]], body: impl FnOnce(&mut [&mut [f32]])) {
    if *fault == Fault::None && catch_unwind(AssertUnwindSafe(|| body(&mut *outs))).is_err() {
        *fault = Fault::Unreported;
    }
    if *fault != Fault::None {
        outs.iter_mut().for_each(|o| o.fill(0.0));
    }
}

/// pd64: the core renders f32 into the scratch `dsp` sized, then each sample is
/// widened into Pd's f64 vector (no allocation: the scratch is moved out and back).
#[cfg(feature = "pd64")]
fn render_widened<'a>(state: &mut State, channels: usize, n: usize, outlet: impl Fn(usize) -> &'a mut [t_sample]) {
    let mut scratch = std::mem::take(&mut state.render_scratch);
    if n == 0 || scratch.len() < channels * n {
        (0..channels).for_each(|c| outlet(c).fill(0.0));
    } else {
        {
            let mut blocks = scratch.chunks_exact_mut(n);
            let mut outs: [&mut [f32]; MAX_CHANNELS] =
                std::array::from_fn(|c| if c < channels { blocks.next().unwrap_or(&mut [][..]) } else { &mut [][..] });
            render(state, &mut outs[..channels]);
        }
        for (c, block) in scratch.chunks_exact(n).take(channels).enumerate() {
            for (out, &sample) in outlet(c).iter_mut().zip(block) {
                *out = sample as t_sample;
            }
        }
    }
    state.render_scratch = scratch;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic in the perform routine silences the object for good: the next
    /// blocks do not run the engine again (0.2 ran it, and printed the panic,
    /// every block).
    #[test]
    fn a_panic_latches_silence() {
        let mut fault = Fault::None;
        let mut calls = 0;
        let mut block = [1.0f32; 8];
        for _ in 0..100 {
            latched(&mut fault, &mut [&mut block[..]], |outs| {
                calls += 1;
                outs[0].fill(0.5);
                panic!("bug in render");
            });
            assert!(block.iter().all(|&x| x == 0.0), "silence after a panic");
        }
        assert_eq!(calls, 1, "the engine ran again after it panicked");
        assert_eq!(fault, Fault::Unreported, "the report clock says it once");
        let mut fine = Fault::None;
        latched(&mut fine, &mut [&mut block[..]], |outs| outs[0].fill(0.25));
        assert!(fine == Fault::None && block.iter().all(|&x| x == 0.25));
    }
}
