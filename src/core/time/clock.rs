//! One clock estimate per Pd instance, shared by every `[fsync~]` in it (so
//! two objects in one Pd agree exactly): the filtered logical ↔ monotonic
//! line, and the exact `wall − mono` difference read beside it. NTP steps
//! and slews move only that difference, read anew at every tick and packet.

use super::clock_filter::{ClockFilter, ClockFilterConfig, Update};
use super::units::{LogicalMs, WallSeconds};

/// The two system clocks read at one moment (two vDSO reads, no system call).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClockReading {
    /// CLOCK_MONOTONIC (s, any origin): never stepped.
    pub mono_s: f64,
    /// CLOCK_REALTIME: what NTP sets and OSC timetags name.
    pub wall_s: WallSeconds,
}

#[derive(Clone, Debug)]
pub struct Clock {
    filter: ClockFilter,
    /// wall − mono (s) at the latest reading.
    wall_minus_mono_s: Option<f64>,
    /// wall − mono (s) when queued events were last told the mapping moved, and
    /// how often it moved since: a step of the wall clock must reach events
    /// already waiting at once, not at the filter's next refit (up to 0.5 s later).
    wall_minus_mono_announced_s: f64,
    wall_moves: u64,
}

/// wall − mono moving by more than this (s, one sample at 48 kHz) re-maps queued
/// events (an NTP slew of 500 ppm does so every 40 ms).
const WALL_MOVE_S: f64 = 20e-6;

impl Default for Clock {
    fn default() -> Self {
        Clock {
            filter: ClockFilter::new(ClockFilterConfig::default()),
            wall_minus_mono_s: None,
            wall_minus_mono_announced_s: 0.0,
            wall_moves: 0,
        }
    }
}

impl Clock {
    /// Once per DSP tick (perform), with Pd's logical time at the tick's end.
    pub fn observe(&mut self, tick_end: LogicalMs, reading: ClockReading) -> Update {
        self.note(reading);
        self.filter.update(tick_end.0, reading.mono_s)
    }

    /// Keeps the exact wall − mono difference (at every tick and packet).
    pub fn note(&mut self, reading: ClockReading) {
        let d = reading.wall_s.0 - reading.mono_s;
        if d.is_finite() {
            self.wall_minus_mono_s = Some(d);
            if (d - self.wall_minus_mono_announced_s).abs() > WALL_MOVE_S {
                self.wall_minus_mono_announced_s = d;
                self.wall_moves += 1;
            }
        }
    }

    /// The logical time at which the wall clock reads `unix`; None before the first tick.
    pub fn logical_of_wall(&self, unix: WallSeconds) -> Option<LogicalMs> {
        self.filter.logical_of_mono(unix.0 - self.wall_minus_mono_s?).map(LogicalMs)
    }

    /// The wall-clock time at logical time `logical`.
    pub fn wall_of_logical(&self, logical: LogicalMs) -> Option<WallSeconds> {
        Some(WallSeconds(self.filter.mono_of_logical(logical.0)? + self.wall_minus_mono_s?))
    }

    pub fn filter(&self) -> &ClockFilter {
        &self.filter
    }

    /// Changes whenever the mapping from wall to logical time may have.
    pub fn generation(&self) -> u64 {
        self.filter.generation() + self.wall_moves
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK_MS: f64 = 64.0 * 1000.0 / 48000.0;

    /// A steady Pd for `ms`, the wall clock following `wall_of(mono)`.
    fn run(clock: &mut Clock, from_ms: f64, ms: f64, wall_of: impl Fn(f64) -> f64) {
        let ticks = (ms / TICK_MS) as usize;
        let k0 = (from_ms / TICK_MS) as usize;
        for k in k0..k0 + ticks {
            let l = (k + 1) as f64 * TICK_MS;
            let mono_s = 100.0 + l / 1000.0;
            clock.observe(LogicalMs(l), ClockReading { mono_s, wall_s: WallSeconds(wall_of(mono_s)) });
        }
    }

    /// 0.2 filtered the wall clock itself: a ±1 s NTP step was a `clock reset`
    /// that threw the rate away. Now the step needs no detection: the next
    /// reading maps wall time exactly, and the filter sees nothing.
    #[test]
    fn wall_clock_step_is_exact_at_once() {
        for step_s in [1.0, -1.0] {
            let mut clock = Clock::default();
            run(&mut clock, 0.0, 10_000.0, |m| 1.7e9 + m);
            run(&mut clock, 10_000.0, 1.5, |m| 1.7e9 + m + step_s);
            // A timetag 0.2 s ahead in the new wall clock's terms.
            let l_now = 10_000.0 + TICK_MS;
            let mono_then = 100.0 + (l_now + 200.0) / 1000.0;
            let due = clock.logical_of_wall(WallSeconds(1.7e9 + mono_then + step_s)).unwrap().0;
            assert!((due - (l_now + 200.0)).abs() < 1e-3, "step {step_s}: off by {} ms", due - l_now - 200.0);
            assert_eq!(clock.filter().steps().0, 0, "no step in the filter");
        }
    }

    /// chrony slewing at 500 ppm for 20 s: the wall clock's rate moves, the
    /// mapping follows exactly (0.2: the slew bent its 16 s line).
    #[test]
    fn slew_is_followed_exactly() {
        let mut clock = Clock::default();
        let slewed = |m: f64| 1.7e9 + m + (m - 110.0).clamp(0.0, 20.0) * 500e-6;
        run(&mut clock, 0.0, 40_000.0, slewed);
        let l = 40_000.0;
        let mono = 100.0 + (l + 100.0) / 1000.0;
        let due = clock.logical_of_wall(WallSeconds(slewed(mono))).unwrap().0;
        assert!((due - (l + 100.0)).abs() < 1e-3, "off by {} ms", due - l - 100.0);
        assert_eq!(clock.filter().steps().0, 0);
    }

    #[test]
    fn nothing_before_the_first_reading() {
        let mut clock = Clock::default();
        assert_eq!(clock.logical_of_wall(WallSeconds(1.7e9)), None);
        clock.note(ClockReading { mono_s: 1.0, wall_s: WallSeconds(1.7e9) });
        assert_eq!(clock.logical_of_wall(WallSeconds(1.7e9)), None, "a wall reading alone is no estimate");
        clock.observe(LogicalMs(0.0), ClockReading { mono_s: 1.0, wall_s: WallSeconds(1.7e9) });
        assert!((clock.logical_of_wall(WallSeconds(1.7e9 + 0.5)).unwrap().0 - 500.0).abs() < 1e-6);
        assert!((clock.wall_of_logical(LogicalMs(500.0)).unwrap().0 - (1.7e9 + 0.5)).abs() < 1e-6);
    }
}
