//! The filter against a simulated Pd: an audio clock with drift, wall-clock
//! readings taken in bursts (late, never early), clock steps and restarts.

use super::*;
use proptest::prelude::*;

/// xorshift64*: deterministic noise without extra crates.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SR: f64 = 48000.0;
const TICK_MS: f64 = 64.0 * 1000.0 / SR;
const EPOCH: f64 = 1.764e9; // a wall clock in 2025

/// A simulated Pd: true wall time of logical time l is EPOCH + offset + l·(1+drift).
struct Sim {
    drift: f64,
    offset_s: f64,
    rng: Rng,
    /// Blocks per burst (JACK period / 64) and extra random scheduling delay (ms).
    burst: usize,
    max_delay_ms: f64,
}

impl Sim {
    fn true_wall(&self, logical_ms: f64) -> f64 {
        EPOCH + self.offset_s + logical_ms * (1.0 + self.drift) / 1000.0
    }

    /// The wall reading for tick k: all blocks of a burst are computed when its
    /// last block's audio is due, so earlier blocks of the burst read late.
    fn reading(&mut self, k: usize) -> (f64, f64) {
        let logical = (k + 1) as f64 * TICK_MS;
        let burst_end = ((k / self.burst) + 1) * self.burst;
        let computed_at = burst_end as f64 * TICK_MS;
        let delay = self.rng.next() * self.max_delay_ms;
        (logical, self.true_wall(computed_at) + delay / 1000.0)
    }
}

fn run(sim: &mut Sim, f: &mut ClockFilter, from: usize, ticks: usize) -> Vec<Update> {
    (from..from + ticks).map(|k| { let (l, w) = sim.reading(k); f.update(l, w) }).collect()
}

/// Largest mapping error (ms) over a range of logical times, against the truth.
/// The truth here is the lower envelope: the reading of a block computed on time.
fn worst_error_ms(sim: &Sim, f: &ClockFilter, from_ms: f64, to_ms: f64) -> f64 {
    (0..100)
        .map(|i| {
            let l = from_ms + (to_ms - from_ms) * i as f64 / 99.0;
            (f.wall_to_logical_ms(sim.true_wall(l)).unwrap() - l).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn perfect_clock_maps_exactly() {
    let mut sim = Sim { drift: 0.0, offset_s: 0.0, rng: Rng(1), burst: 1, max_delay_ms: 0.0 };
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    run(&mut sim, &mut f, 0, 3000);
    let err = worst_error_ms(&sim, &f, 0.0, 4000.0);
    assert!(err < 0.001, "error {err} ms");
    assert!((f.rate() - 1.0).abs() < 1e-9);
}

#[test]
fn drift_and_bursty_lateness() {
    let mut sim = Sim { drift: 100e-6, offset_s: 0.123, rng: Rng(7), burst: 4, max_delay_ms: 5.0 };
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    let ticks = (20_000.0 / TICK_MS) as usize; // 20 s
    let updates = run(&mut sim, &mut f, 0, ticks);
    assert!(updates.iter().all(|u| !matches!(u, Update::Reset { .. })), "no step in a steady clock");
    let now = ticks as f64 * TICK_MS;
    let err = worst_error_ms(&sim, &f, now, now + 1000.0);
    println!("drift 100 ppm, bursts of 4, 0-5 ms delay: worst error {err:.4} ms, rate {:.7}, jitter {:.3} ms", f.rate(), f.jitter_ms());
    assert!(err < 0.1, "error {err} ms");
    assert!((f.rate() - 1.0001).abs() < 2e-5, "rate {}", f.rate());
}

#[test]
fn naive_reading_is_much_worse() {
    // What unpackOSC does in effect: one raw reading. Shows why the filter exists.
    let mut sim = Sim { drift: 0.0, offset_s: 0.0, rng: Rng(3), burst: 4, max_delay_ms: 5.0 };
    let errors: Vec<f64> = (0..1000).map(|k| { let (l, w) = sim.reading(k); (w - sim.true_wall(l)) * 1000.0 }).collect();
    let worst = errors.iter().cloned().fold(0.0, f64::max);
    assert!(worst > 2.0, "the simulation must be noisy for the other tests to mean anything: {worst}");
}

#[test]
fn wall_clock_steps_reset() {
    for step_s in [1.0, -1.0] {
        let mut sim = Sim { drift: 50e-6, offset_s: 0.0, rng: Rng(11), burst: 4, max_delay_ms: 2.0 };
        let mut f = ClockFilter::new(ClockFilterConfig::default());
        run(&mut sim, &mut f, 0, 4000);
        sim.offset_s += step_s;
        let updates = run(&mut sim, &mut f, 4000, 4000);
        let resets: Vec<&Update> = updates.iter().filter(|u| matches!(u, Update::Reset { .. })).collect();
        assert_eq!(resets.len(), 1, "step {step_s}: {resets:?}");
        if let Update::Reset { step_ms } = resets[0] {
            assert!((step_ms - step_s * 1000.0).abs() < 10.0, "step {step_ms}");
        }
        let now = 8000.0 * TICK_MS;
        let err = worst_error_ms(&sim, &f, now, now + 500.0);
        assert!(err < 0.2, "after step {step_s}: error {err} ms");
    }
}

#[test]
fn short_stall_is_not_a_step() {
    // Pd stalls 150 ms, then catches up in one burst: readings very late, briefly.
    let mut sim = Sim { drift: 0.0, offset_s: 0.0, rng: Rng(5), burst: 4, max_delay_ms: 1.0 };
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    run(&mut sim, &mut f, 0, 3000);
    let stall_ticks = (150.0 / TICK_MS) as usize;
    let catch_up_wall = sim.true_wall((3000 + stall_ticks) as f64 * TICK_MS);
    let stalled: Vec<Update> = (3000..3000 + stall_ticks).map(|k| f.update((k + 1) as f64 * TICK_MS, catch_up_wall)).collect();
    assert!(stalled.iter().all(|u| !matches!(u, Update::Reset { .. })));
    run(&mut sim, &mut f, 3000 + stall_ticks, 1000);
    let now = (4000 + stall_ticks) as f64 * TICK_MS;
    assert!(worst_error_ms(&sim, &f, now, now + 100.0) < 0.1);
}

#[test]
fn logical_restart_resets() {
    let mut sim = Sim { drift: 0.0, offset_s: 0.0, rng: Rng(9), burst: 1, max_delay_ms: 0.5 };
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    run(&mut sim, &mut f, 0, 1000);
    assert!(matches!(f.update(1.0, sim.true_wall(5000.0)), Update::Reset { .. }));
    assert_eq!(f.update(f64::NAN, 1.0), Update::Ignored);
    assert_eq!(f.update(2.0, f64::INFINITY), Update::Ignored);
}

#[test]
fn inverse_mappings_agree() {
    let mut sim = Sim { drift: -150e-6, offset_s: 3.0, rng: Rng(13), burst: 2, max_delay_ms: 3.0 };
    let mut f = ClockFilter::new(ClockFilterConfig::default());
    run(&mut sim, &mut f, 0, 5000);
    for l in [0.0, 1234.5, 6666.0, 100_000.0] {
        let back = f.wall_to_logical_ms(f.logical_to_wall_s(l).unwrap()).unwrap();
        assert!((back - l).abs() < 1e-3, "{l} -> {back}");
    }
}

proptest! {
    #[test]
    fn never_panics_and_stays_finite(obs in proptest::collection::vec((any::<f64>(), any::<f64>()), 1..200), probe in any::<f64>()) {
        let mut f = ClockFilter::new(ClockFilterConfig::default());
        for (l, w) in obs {
            f.update(l, w);
        }
        if probe.is_finite() && probe.abs() < 1e12 {
            if let Some(x) = f.wall_to_logical_ms(probe) { prop_assert!(!x.is_nan()); }
        }
        prop_assert!(!f.jitter_ms().is_nan());
    }

    #[test]
    fn monotone_mapping(drift in -300e-6f64..300e-6, seed in 1u64..1000, a in 0.0f64..10.0, d in 0.0001f64..10.0) {
        let mut sim = Sim { drift, offset_s: 0.0, rng: Rng(seed), burst: 4, max_delay_ms: 5.0 };
        let mut f = ClockFilter::new(ClockFilterConfig::default());
        run(&mut sim, &mut f, 0, 2000);
        let (x, y) = (f.wall_to_logical_ms(EPOCH + a).unwrap(), f.wall_to_logical_ms(EPOCH + a + d).unwrap());
        prop_assert!(y > x);
    }
}
