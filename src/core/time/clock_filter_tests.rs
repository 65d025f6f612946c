//! The filter against a simulated Pd on a sound card: blocks computed in
//! bursts (late, never early), bursty OS jitter, and the faults of the field:
//! xruns, stalls with catch-up, DSP restarts, drift that wanders.
//!
//! Each fault test checks the mapping error now and for a timetag 10 s ahead,
//! from 0.3 s after the fault on, against 3 samples at 48 kHz (0.0625 ms).
//! The doc of each test gives what fsync~ 0.2's filter (reading the wall clock,
//! steps only above 50 ms held 300 ms, a reset throwing the rate away) did in
//! the same simulation: worst |error| now / 10 s ahead, in ms, over the checks.

use super::*;
use proptest::prelude::*;

use crate::core::test_rng::Rng;

const SR: f64 = 48000.0;
const TICK_MS: f64 = 64.0 * 1000.0 / SR;
const THREE_SAMPLES_MS: f64 = 3000.0 / SR;
/// The monotonic clock's reading at logical 0 (s): any origin will do.
const MONO0_S: f64 = 12_345.0;

/// A simulated Pd: logical time l is heard when the monotonic clock reads
/// `true_mono_ms(l)`; blocks are computed in bursts of `burst` ticks when the
/// burst's last block is due, each reading late by OS jitter on top.
struct Sim {
    drift: f64,
    /// Everything the faults so far moved Pd's sound by (ms).
    shift_ms: f64,
    rng: Rng,
    burst: usize,
    /// Bursty OS jitter: every reading late by ~`jitter_ms` (exponential), one
    /// in `spike_every` by up to `spike_ms` more.
    jitter_ms: f64,
    spike_ms: f64,
    spike_every: f64,
    /// Audio Pd holds ahead (ms): a stall shorter than this costs no sound.
    buffer_ms: f64,
    /// The next tick.
    k: usize,
    /// Logical time skipped by DSP restarts (ms).
    skipped_ms: f64,
    /// Pd's scheduler is blocked until then (mono ms).
    blocked_until_ms: f64,
    caught_up: usize,
    /// Every reading this much later until then (mono ms): a machine busy for a while.
    busy_ms: f64,
    busy_until_ms: f64,
}

impl Sim {
    fn new(seed: u64) -> Sim {
        Sim {
            drift: 0.0,
            shift_ms: 0.0,
            rng: Rng(seed),
            burst: 4,
            jitter_ms: 0.05,
            spike_ms: 4.0,
            spike_every: 20.0,
            buffer_ms: 13.3,
            k: 0,
            skipped_ms: 0.0,
            blocked_until_ms: 0.0,
            caught_up: 0,
            busy_ms: 0.0,
            busy_until_ms: 0.0,
        }
    }

    fn logical_ms(&self, k: usize) -> f64 {
        (k + 1) as f64 * TICK_MS + self.skipped_ms
    }

    /// The truth: the monotonic time (ms) at which logical `l` is computed on time.
    fn true_mono_ms(&self, l: f64) -> f64 {
        MONO0_S * 1000.0 + l * (1.0 + self.drift) + self.shift_ms
    }

    fn now_mono_ms(&self) -> f64 {
        self.true_mono_ms(self.logical_ms(self.k))
    }

    /// The next tick's reading (logical ms, mono s).
    fn reading(&mut self) -> (f64, f64) {
        let l = self.logical_ms(self.k);
        let burst_end = (self.k / self.burst + 1) * self.burst;
        let due = self.true_mono_ms(self.logical_ms(burst_end - 1));
        let computed = if due < self.blocked_until_ms {
            // Catching up after a stall: block after block, as fast as the CPU goes.
            self.caught_up += 1;
            self.blocked_until_ms + self.caught_up as f64 * 0.01
        } else {
            due
        };
        let mut late = -self.jitter_ms * (1.0 - self.rng.next()).ln();
        if self.rng.next() * self.spike_every < 1.0 {
            late += self.rng.next() * self.spike_ms;
        }
        if computed < self.busy_until_ms {
            late += self.busy_ms;
        }
        self.k += 1;
        (l, (computed + late) / 1000.0)
    }

    fn run(&mut self, f: &mut ClockFilter, ms: f64) -> Vec<Update> {
        let ticks = (ms / TICK_MS).round() as usize;
        (0..ticks)
            .map(|_| {
                let (l, m) = self.reading();
                f.update(l, m)
            })
            .collect()
    }

    /// The card's rate changes from now on (its clock does not jump).
    fn set_drift(&mut self, drift: f64) {
        let l = self.logical_ms(self.k);
        self.shift_ms -= (drift - self.drift) * l;
        self.drift = drift;
    }

    /// Pd's scheduler blocked `ms` from now: what outlasts the buffer is lost
    /// for good (the sound card played silence for whole periods), so Pd's sound comes later.
    fn stall(&mut self, ms: f64) {
        let now = self.now_mono_ms();
        self.blocked_until_ms = now + ms;
        self.caught_up = 0;
        self.shift_ms += self.lost_ms(ms);
    }

    /// The sound a stall of `ms` loses: whole periods (`burst` ticks) beyond the buffer.
    fn lost_ms(&self, ms: f64) -> f64 {
        let period = self.burst as f64 * TICK_MS;
        ((ms - self.buffer_ms).max(0.0) / period).ceil() * period
    }

    /// DSP off for `gap_ms` of logical time, then on with the sound moved by `shift_ms`.
    fn dsp_restart(&mut self, gap_ms: f64, shift_ms: f64) {
        // (Logical time and the card's clock both ran on meanwhile: only the phase moves.)
        self.skipped_ms += gap_ms;
        self.shift_ms += shift_ms;
    }

    /// Mapping error (ms) for an event due now and one due 10 s ahead.
    fn errors(&self, f: &ClockFilter) -> (f64, f64) {
        let l = self.logical_ms(self.k);
        let err = |l: f64| f.logical_of_mono(self.true_mono_ms(l) / 1000.0).unwrap() - l;
        (err(l), err(l + 10_000.0))
    }
}

/// Runs to `ms` after a fault, checking at these times; returns the worst
/// |error| now and 10 s ahead, and the steps applied.
fn after_fault(sim: &mut Sim, f: &mut ClockFilter, checks_s: &[f64]) -> (f64, f64, Vec<f64>) {
    let (mut now, mut ahead, mut steps) = (0.0f64, 0.0f64, vec![]);
    let mut t = 0.0;
    for &at in checks_s {
        for u in sim.run(f, at * 1000.0 - t) {
            if let Update::Step { step_ms } = u {
                steps.push(step_ms);
            }
        }
        t = at * 1000.0;
        let (n, a) = sim.errors(f);
        now = now.max(n.abs());
        ahead = ahead.max(a.abs());
    }
    (now, ahead, steps)
}

/// One JACK period of 256 frames: what an xrun loses.
const PERIOD_MS: f64 = 4.0 * TICK_MS;

const CHECKS_S: [f64; 8] = [0.3, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0];

/// A settled filter: 20 s of steady readings.
fn settled(seed: u64, drift: f64) -> (Sim, ClockFilter) {
    let mut sim = Sim::new(seed);
    sim.drift = drift;
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    let updates = sim.run(&mut f, 20_000.0);
    assert!(updates.iter().all(|u| !matches!(u, Update::Step { .. })), "a step in a steady clock");
    (sim, f)
}

fn assert_within_three_samples(what: &str, (now, ahead, steps): (f64, f64, Vec<f64>)) {
    println!("{what}: worst error now {now:.4} ms, 10 s ahead {ahead:.4} ms, steps {steps:?}");
    assert!(now < THREE_SAMPLES_MS && ahead < THREE_SAMPLES_MS, "{what}: now {now} ms, ahead {ahead} ms");
}

#[test]
fn perfect_clock_maps_exactly() {
    let mut sim = Sim::new(1);
    (sim.jitter_ms, sim.spike_ms, sim.burst) = (0.0, 0.0, 1);
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    sim.run(&mut f, 4000.0);
    let (now, ahead) = sim.errors(&f);
    assert!(now.abs() < 1e-6 && ahead.abs() < 1e-6, "{now} {ahead}");
    assert!((f.rate() - 1.0).abs() < 1e-9);
}

/// 0.2: 0.08 ms after 20 s (the same figure: drift alone was fine).
#[test]
fn drift_and_bursty_lateness() {
    let (sim, f) = settled(7, 100e-6);
    let (now, ahead) = sim.errors(&f);
    println!(
        "100 ppm: now {now:.4} ms, 10 s ahead {ahead:.4} ms, rate {:.7}, jitter {:.3} ms",
        f.rate(),
        f.jitter_ms()
    );
    assert!(now.abs() < THREE_SAMPLES_MS && ahead.abs() < THREE_SAMPLES_MS);
    assert!((f.rate() - 1.0001).abs() < 2e-6, "rate {}", f.rate());
}

#[test]
fn naive_reading_is_much_worse() {
    // What unpackOSC does in effect: one raw reading. Shows the simulation is noisy.
    let mut sim = Sim::new(3);
    let worst = (0..4000)
        .map(|_| {
            let (l, m) = sim.reading();
            m * 1000.0 - sim.true_mono_ms(l)
        })
        .fold(0.0, f64::max);
    assert!(worst > 3.0, "the simulation must be noisy for the other tests to mean anything: {worst}");
}

/// An xrun: one JACK period (256 frames, 5.33 ms) lost, Pd's sound one period later.
/// 0.2: +5.33 / +5.33 ms at 0.3 s, −2.03 / −6.84 ms at 10 s (never detected: the line
/// bent for 16 s). Now: 0.004 / 0.006 ms.
#[test]
fn xrun_shift() {
    for shift in [PERIOD_MS, -PERIOD_MS] {
        let (mut sim, mut f) = settled(21, 50e-6);
        sim.shift_ms += shift;
        let result = after_fault(&mut sim, &mut f, &CHECKS_S);
        assert_eq!(result.2.len(), 1, "one step");
        assert!((result.2[0] - shift).abs() < 1e-9, "step on whole ticks: {:?}", result.2);
        assert_within_three_samples(&format!("xrun {shift} ms"), result);
    }
}

/// Stalls of Pd's scheduler, then catch-up; what outlasts the 13.3 ms buffer is lost.
/// 0.2, worst now / 10 s ahead: 15 ms: 1.70 / 2.12 ms; 20 ms: 6.70 / 8.36; 40 ms:
/// 26.70 / 33.22 (−9.14 / −33.22 at 10 s: the bent line overshoots); 60 ms: 46.70 / 57.94;
/// 150 ms: 136.7 at 0.3 s, then a reset (rate thrown away: −0.80 ms 10 s ahead at 0.5 s).
/// Now: under 0.005 / 0.007 ms for all.
#[test]
fn stalls_with_catch_up() {
    for stall in [15.0, 20.0, 40.0, 60.0, 150.0] {
        let (mut sim, mut f) = settled(33, -80e-6);
        sim.stall(stall);
        let result = after_fault(&mut sim, &mut f, &CHECKS_S);
        let lost = sim.lost_ms(stall);
        if lost > 0.0 {
            assert_eq!(result.2.len(), 1, "stall {stall}: one step, {:?}", result.2);
            assert!((result.2[0] - lost).abs() < 1e-9, "stall {stall}: the step is the sound lost: {:?}", result.2);
        } else {
            assert!(result.2.is_empty(), "stall {stall} inside the buffer is no step: {:?}", result.2);
        }
        assert_within_three_samples(&format!("stall {stall} ms"), result);
    }
}

/// 0.2: 400 ms: 386.7 ms off at 0.3 s, then a reset that throws the rate away (+1.22 ms
/// 10 s ahead at 0.5 s); 1 s: 986.6 ms at 0.3 s, the same after. Now: 0.005 / 0.008 ms.
#[test]
fn long_stalls() {
    for stall in [400.0, 1000.0] {
        let (mut sim, mut f) = settled(45, 120e-6);
        sim.stall(stall);
        let result = after_fault(&mut sim, &mut f, &CHECKS_S);
        assert_eq!(result.2.len(), 1, "stall {stall}: {:?}", result.2);
        assert!((f.rate() - 1.00012).abs() < 3e-6, "the rate survives: {}", f.rate());
        assert_within_three_samples(&format!("stall {stall} ms"), result);
    }
}

/// DSP off for 100 ms, then on with the sound card's phase elsewhere.
/// 0.2: never detected under 50 ms: +30 ms: 30.0 / 38.3 ms worst (−11.4 / −38.3 at 10 s);
/// −30 ms: 26.5 / 38.2; +2 ms: 2.0 / 2.6. Now: 0.003 / 0.004 ms.
#[test]
fn dsp_restart() {
    for shift in [30.0, -30.0, 2.0] {
        let (mut sim, mut f) = settled(57, 30e-6);
        sim.dsp_restart(100.0, shift);
        let result = after_fault(&mut sim, &mut f, &CHECKS_S);
        assert_within_three_samples(&format!("DSP restart {shift} ms"), result);
    }
}

/// 6 hours at 100 ppm, the rate wandering ±2 ppm a minute, a xrun every 20 minutes.
/// (0.2 was back on the line a minute after each xrun; in between see `xrun_shift`.)
#[test]
#[cfg_attr(debug_assertions, ignore = "16 M ticks: run in release (CI does)")]
fn six_hours_wandering() {
    let (mut sim, mut f) = settled(69, 100e-6);
    let mut worst = (0.0f64, 0.0f64);
    for minute in 1..=360 {
        let wander = (sim.rng.next() - 0.5) * 4e-6;
        sim.set_drift(sim.drift + wander);
        if minute % 20 == 0 {
            sim.shift_ms += PERIOD_MS;
        }
        sim.run(&mut f, 60_000.0);
        let (now, ahead) = sim.errors(&f);
        worst = (worst.0.max(now.abs()), worst.1.max(ahead.abs()));
    }
    println!("6 h: worst error now {:.4} ms, 10 s ahead {:.4} ms, {} steps", worst.0, worst.1, f.steps().0);
    assert!(worst.0 < THREE_SAMPLES_MS && worst.1 < THREE_SAMPLES_MS, "{worst:?}");
    assert_eq!(f.steps().0, 18, "every xrun found, nothing else");
}

/// A loaded machine: readings late by up to 8 ms one in five, for a minute: no step.
#[test]
fn heavy_jitter_is_no_step() {
    let mut sim = Sim::new(81);
    (sim.jitter_ms, sim.spike_ms, sim.spike_every) = (0.2, 8.0, 5.0);
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    let updates = sim.run(&mut f, 60_000.0);
    let steps: Vec<&Update> = updates.iter().filter(|u| matches!(u, Update::Step { .. })).collect();
    assert!(steps.is_empty(), "{steps:?}");
    let (now, ahead) = sim.errors(&f);
    assert!(now.abs() < 0.2 && ahead.abs() < 0.2, "{now} {ahead}");
}

#[test]
fn garbage_and_repeats_are_ignored() {
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    assert_eq!(f.update(0.0, 1.0), Update::Started);
    assert_eq!(f.update(f64::NAN, 1.0), Update::Ignored);
    assert_eq!(f.update(2.0, f64::INFINITY), Update::Ignored);
    assert_eq!(f.update(1.0, 1.001), Update::Ok);
    assert_eq!(f.update(1.0, 1.002), Update::Ignored, "the same tick from a second object");
}

#[test]
fn inverse_mappings_agree() {
    let (_, f) = settled(13, -150e-6);
    for l in [0.0, 1234.5, 6666.0, 100_000.0] {
        let back = f.logical_of_mono(f.mono_of_logical(l).unwrap()).unwrap();
        assert!((back - l).abs() < 1e-6, "{l} -> {back}");
    }
}

proptest! {
    #[test]
    fn never_panics_and_stays_finite(obs in proptest::collection::vec((any::<f64>(), any::<f64>()), 1..200), probe in any::<f64>()) {
        let mut f = ClockFilter::new(ClockFilterConfig::default());
        for (l, m) in obs {
            f.update(l, m);
        }
        if probe.is_finite() && probe.abs() < 1e12
            && let Some(x) = f.logical_of_mono(probe) { prop_assert!(!x.is_nan()); }
        prop_assert!(!f.jitter_ms().is_nan());
    }

    #[test]
    fn monotone_mapping(drift in -300e-6f64..300e-6, seed in 1u64..1000, a in 0.0f64..10.0, d in 0.0001f64..10.0) {
        let mut sim = Sim::new(seed);
        sim.drift = drift;
        let mut f = ClockFilter::new(ClockFilterConfig::default());
        sim.run(&mut f, 3000.0);
        let (x, y) = (f.logical_of_mono(MONO0_S + a).unwrap(), f.logical_of_mono(MONO0_S + a + d).unwrap());
        prop_assert!(y > x);
    }
}

/// Pd's audio starting up: ticks computed back to back before the sound card
/// runs (seen on JACK: ten −1.33 ms "steps" in the first second), then a jump
/// of 20 ms when it does. Followed, not reported: nothing had been scheduled by it.
#[test]
fn start_up_is_followed_quietly() {
    let mut sim = Sim::new(91);
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    for k in 0..300 {
        // Logical time runs ahead of the clock for 0.4 s: 1 ms of mono per 1.33 ms tick.
        let l = (k + 1) as f64 * TICK_MS;
        f.update(l, MONO0_S + k as f64 * 0.001);
    }
    sim.k = 300;
    sim.shift_ms = 300.0 * 1.0 - 300.0 * TICK_MS + 20.0;
    let updates = sim.run(&mut f, 3000.0);
    assert!(updates.iter().all(|u| !matches!(u, Update::Step { .. })), "start-up reported as steps");
    assert_eq!(f.steps().0, 0);
    let (now, ahead) = sim.errors(&f);
    assert!(now.abs() < THREE_SAMPLES_MS && ahead.abs() < THREE_SAMPLES_MS, "{now} {ahead}");
}

/// A stall, and the machine busy for 0.4 s after it (every reading 0.2 ms late, under the fall threshold):
/// the step is measured 0.2 ms too big, and lands on the whole ticks the card lost.
/// (Before steps were tied to whole ticks, the first on-time reading after it and the
/// new segment's own points corrected it: 4–9 samples off for the first second, live.)
#[test]
fn a_step_measured_while_busy_lands_on_whole_ticks() {
    let (mut sim, mut f) = settled(95, 40e-6);
    sim.stall(60.0);
    sim.busy_ms = 0.2;
    sim.busy_until_ms = sim.blocked_until_ms + 400.0;
    let result = after_fault(&mut sim, &mut f, &[0.3, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]);
    assert!(result.2.len() == 1 && (result.2[0] - sim.lost_ms(60.0)).abs() < 1e-9, "steps {:?}", result.2);
    assert_within_three_samples("stall 60 ms, busy after", result);
}

/// A step that is not whole ticks (a device restarted after an arbitrary gap, as
/// ALSA does after an xrun) but lands 0.2 ms above them is tied at first, wrongly;
/// the 8 points after it undo the tie (within 5 s). One 0.7 ms off whole ticks is
/// never tied: the step's estimate stands until the new segment's own points.
#[test]
fn a_step_off_whole_ticks_is_not_kept_on_them() {
    for (off_ms, from_s) in [(0.2, 5.0), (-0.2, 0.3), (0.7, 0.3)] {
        let (mut sim, mut f) = settled(97, 60e-6);
        sim.shift_ms += 3.0 * TICK_MS + off_ms;
        let mut checks = vec![from_s];
        checks.extend(CHECKS_S.iter().filter(|&&c| c > from_s));
        let result = after_fault(&mut sim, &mut f, &checks);
        assert_within_three_samples(&format!("step 3 ticks {off_ms:+} ms, from {from_s} s"), result);
    }
}

/// Right after a long stall, before its step is confirmed (~0.16 s): Pd, caught up
/// and waiting for the card again, reads the clock far later than the line, so
/// events are mapped with the loss at once. Before, an event due 50 ms after a
/// 400 ms stall was mapped with the old line and found 91 ms late when the step came.
#[test]
fn events_due_right_after_a_long_stall_map_with_the_loss() {
    for stall in [150.0, 400.0] {
        let (mut sim, mut f) = settled(47, 50e-6);
        sim.stall(stall);
        let end = sim.blocked_until_ms;
        let mut checked = vec![];
        for after in [30.0, 60.0, 100.0] {
            while sim.now_mono_ms() < end + after {
                sim.run(&mut f, TICK_MS);
            }
            checked.push((after, sim.errors(&f).0));
        }
        println!("stall {stall} ms: mapping error (ms) at ms after its end: {checked:?}");
        assert!(checked.iter().all(|(_, e)| e.abs() < 0.5), "stall {stall}: {checked:?}");
    }
}

/// A burst of late readings inside Pd's buffer (nothing lost: Pd catches up)
/// does not move the mapping.
#[test]
fn a_stall_inside_the_buffer_is_no_loss() {
    let (mut sim, mut f) = settled(49, 50e-6);
    sim.stall(12.0);
    let end = sim.blocked_until_ms;
    let mut worst = 0.0f64;
    while sim.now_mono_ms() < end + 200.0 {
        sim.run(&mut f, TICK_MS);
        worst = worst.max(sim.errors(&f).0.abs());
    }
    assert!(worst < THREE_SAMPLES_MS, "worst {worst} ms");
}
