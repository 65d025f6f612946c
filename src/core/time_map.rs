//! From an OSC timetag to the Pd logical time (ms) at which to compute its sound.

use super::clock_filter::{ClockFilter, ClockFilterConfig, Update};
use super::settings::ClockMode;
use super::timetag::{Timetag, When};

#[derive(Debug)]
pub struct TimeMap {
    pub mode: ClockMode,
    /// Output latency compensation (ms): sound is computed this much before the
    /// timetag so that it leaves the DAC at the timetag.
    pub latency_ms: f64,
    filter: ClockFilter,
}

impl TimeMap {
    pub fn new(mode: ClockMode, latency_ms: f64) -> Self {
        TimeMap { mode, latency_ms, filter: ClockFilter::new(ClockFilterConfig::default()) }
    }

    /// Feeds one (logical, wall) observation, taken once per DSP tick.
    pub fn observe(&mut self, logical_ms: f64, wall_s: f64) -> Update {
        self.filter.update(logical_ms, wall_s)
    }

    pub fn filter(&self) -> &ClockFilter {
        &self.filter
    }

    /// Logical time (ms) of `when`, for a packet that arrived at `arrival_ms`
    /// (logical) / `wall_now_s` (system clock, read at arrival).
    pub fn due_ms(&self, when: When, arrival_ms: f64, wall_now_s: f64) -> f64 {
        match (when, self.mode) {
            (When::Immediately, _) => arrival_ms,
            (When::At(t), ClockMode::Logical) => t.as_seconds() * 1000.0,
            (When::At(t), ClockMode::System) => {
                let unix = t.to_unix_near(wall_now_s);
                // Before the first DSP tick there is no estimate: fall back to the raw
                // clock reading at arrival (what unpackOSC does), better than nothing.
                let logical = self.filter.wall_to_logical_ms(unix).unwrap_or(arrival_ms + (unix - wall_now_s) * 1000.0);
                logical - self.latency_ms
            }
        }
    }

    /// The timetag of a logical time (for Pd as a sender): when this Pd's sound of
    /// that moment leaves the DAC. Before the first DSP tick there is no estimate:
    /// then the raw clock reading `wall_now_s` at logical `now_ms` stands in.
    pub fn timetag_of_logical(&self, logical_ms: f64, now_ms: f64, wall_now_s: f64) -> Option<Timetag> {
        match self.mode {
            ClockMode::Logical => Timetag::from_seconds(logical_ms / 1000.0),
            ClockMode::System => {
                let at = logical_ms + self.latency_ms;
                let wall = self.filter.logical_to_wall_s(at).unwrap_or(wall_now_s + (at - now_ms) / 1000.0);
                Timetag::from_unix(wall)
            }
        }
    }
}
