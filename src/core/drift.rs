//! The pace voices play at under `-clock system`: the ratio between the system
//! clock and the sound card's, as the clock filter measures it, locked in phase
//! so that source position p of a sound started at timetag t is heard at t + p
//! on the system clock however long the sound lasts.
//!
//! Voices advance `ratio` source samples per output sample; the engine's source
//! position T (what the next output sample hears) is steered so that
//! T − sr·mono(next output sample) stays constant. mono(…) is the filter's current
//! line: a refit's small phase correction is followed, a step (xrun, stall) is
//! not — a playing voice keeps its pace and never jumps; new events map with
//! the stepped line as before. The ratio is slewed (≤ `MAX_SLEW_PER_SAMPLE`) and
//! bounded (±`MAX_PPM`), so no pitch step is ever heard (1000 ppm = 1.7 cents).

use super::time::clock::Clock;
use std::fmt;

/// The farthest the pace goes from 1 (ppm): a card further off is broken.
pub const MAX_PPM: f64 = 1000.0;
/// Slew limit: 1 ppm per 64-sample block (750 ppm/s at 48 kHz).
const MAX_SLEW_PER_SAMPLE: f64 = 1e-6 / 64.0;
/// Phase errors fade with this time constant (s): slow against the filter's
/// refits (every 0.5 s, a few µs each: ≤ 5 ppm of correction), fast against a
/// rate the filter's line lags (it fits 16 s).
const PHASE_TIME_S: f64 = 1.0;
/// A phase error beyond this (s) is not drift (DSP was off, Pd stalled without a
/// detected step): the lock starts again where things are.
const RELOCK_S: f64 = 0.01;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DriftMode {
    /// Play at the card's measured rate against the system clock (the default).
    Follow,
    /// Play at the card's rate (ratio 1), as 0.2 did.
    Off,
    /// Play at a fixed ratio 1 + ppm·1e-6 (tests, benchmarks, a card measured elsewhere).
    Fixed(f64),
}

/// A `drift` setting refused (the message or the `-drift` flag).
#[derive(Clone, Debug, PartialEq)]
pub enum DriftError {
    /// Not `follow` or `off`: the word given.
    Word(String),
    /// A ppm beyond ±`MAX_PPM` (or not finite).
    Ppm(f64),
}

impl fmt::Display for DriftError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            DriftError::Word(other) => write!(f, "drift must be 'follow', 'off' or a number of ppm, not '{other}'"),
            DriftError::Ppm(ppm) => write!(f, "drift ppm must be within ±{MAX_PPM}, not {ppm}"),
        }
    }
}

pub fn parse_drift(word: &str) -> Result<DriftMode, DriftError> {
    match word {
        "follow" => Ok(DriftMode::Follow),
        "off" => Ok(DriftMode::Off),
        other => Err(DriftError::Word(other.to_string())),
    }
}

pub fn check_ppm(ppm: f64) -> Result<DriftMode, DriftError> {
    (ppm.is_finite() && ppm.abs() <= MAX_PPM).then_some(DriftMode::Fixed(ppm)).ok_or(DriftError::Ppm(ppm))
}

#[derive(Clone, Debug)]
pub struct DriftFollower {
    /// The ratio applied to the latest block.
    applied: f64,
    /// T − sr·mono (samples) to hold; None until the clock filter has settled.
    lock: Option<f64>,
    steps_seen: u32,
    /// Where the previous block ended (logical ms): a gap (DSP was off) re-locks.
    last_end_ms: f64,
    /// The latest phase error (samples) and the card's rate (ppm), for `print`.
    pub error_samples: f64,
    pub card_ppm: Option<f64>,
}

impl Default for DriftFollower {
    fn default() -> Self {
        DriftFollower {
            applied: 1.0,
            lock: None,
            steps_seen: 0,
            last_end_ms: f64::NAN,
            error_samples: 0.0,
            card_ppm: None,
        }
    }
}

impl DriftFollower {
    /// The ratio for the block [`block_start_ms`, `block_end_ms`) of `n` samples
    /// whose first sample hears source position `source_position` (samples).
    pub fn next(
        &mut self,
        mode: DriftMode,
        clock: &Clock,
        block_start_ms: f64,
        block_end_ms: f64,
        source_position: f64,
        sr: f64,
    ) -> f64 {
        let n = (block_end_ms - block_start_ms) * sr / 1000.0;
        let contiguous = (block_start_ms - self.last_end_ms).abs() < 1e-6;
        self.last_end_ms = block_end_ms;
        let filter = clock.filter();
        self.card_ppm = filter.is_settled().then(|| (filter.rate() - 1.0) * 1e6);
        let (steps, step_ms, _) = filter.steps();
        let target = match mode {
            DriftMode::Off => 1.0,
            DriftMode::Fixed(ppm) => {
                self.lock = None;
                1.0 + ppm * 1e-6
            }
            DriftMode::Follow => match (filter.is_settled(), filter.mono_of_logical(block_start_ms)) {
                (true, Some(mono_s)) => {
                    let phase = source_position - sr * mono_s;
                    if let Some(lock) = &mut self.lock {
                        if steps == self.steps_seen + 1 {
                            // The line moved by the step: hold the voices where they are.
                            *lock -= step_ms * sr / 1000.0;
                        } else if steps != self.steps_seen {
                            self.lock = None;
                        }
                    }
                    let lock = *self.lock.get_or_insert(phase);
                    self.error_samples = phase - lock;
                    if !contiguous || self.error_samples.abs() > RELOCK_S * sr {
                        self.lock = Some(phase);
                        self.error_samples = 0.0;
                    }
                    filter.rate() - self.error_samples / (PHASE_TIME_S * sr)
                }
                _ => {
                    self.lock = None;
                    1.0
                }
            },
        };
        self.steps_seen = steps;
        let slew = MAX_SLEW_PER_SAMPLE * n.max(1.0);
        self.applied = (self.applied + (target - self.applied).clamp(-slew, slew))
            .clamp(1.0 - MAX_PPM * 1e-6, 1.0 + MAX_PPM * 1e-6);
        self.applied
    }

    /// The ratio applied to the latest block, in ppm from 1.
    pub fn applied_ppm(&self) -> f64 {
        (self.applied - 1.0) * 1e6
    }

    /// Back to ratio 1 at once (drift switched off, or the clock mode left system).
    pub fn reset(&mut self) {
        *self = DriftFollower::default();
    }
}

#[cfg(test)]
#[path = "drift_tests.rs"]
mod tests;
