//! From an event's time to the Pd logical time (ms) at which to compute its sound.

use super::ClockMode;
use super::clock::Clock;
use super::timetag::{Timetag, When};
use super::units::{LogicalMs, WallSeconds};

/// When an event is due, as the packet said it: kept in the queue, so that a
/// newer clock estimate (a refit, a step) reaches events already queued.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum At {
    /// A logical time: immediate events (arrival) and `-clock logical`.
    Logical(LogicalMs),
    /// A wall-clock time, mapped through the clock when needed.
    Wall(WallSeconds),
}

#[derive(Debug)]
pub struct TimeMap {
    pub mode: ClockMode,
    /// Output latency compensation (ms): sound is computed this much before the
    /// timetag so that it leaves the DAC at the timetag.
    pub latency_ms: f64,
    /// The clock correction (ms, `offset` / `/fsync/offset`): this site plays as if
    /// its wall clock read `offset_ms` more. A site whose clock is 5 ms ahead of
    /// the reference (fsync-check: offset +5) is corrected with −5.
    pub offset_ms: f64,
}

impl TimeMap {
    pub fn new(mode: ClockMode, latency_ms: f64) -> Self {
        TimeMap { mode, latency_ms, offset_ms: 0.0 }
    }

    /// What `when` means for a packet that arrived at logical `arrival_ms`
    /// with the wall clock reading `wall_now_s` (to pick the NTP era).
    pub fn at(&self, when: When, arrival: LogicalMs, wall_now: WallSeconds) -> At {
        match (when, self.mode) {
            (When::Immediately, _) => At::Logical(arrival),
            (When::At(t), ClockMode::Logical) => At::Logical(LogicalMs(t.as_seconds() * 1000.0)),
            (When::At(t), ClockMode::System) => At::Wall(WallSeconds(t.to_unix_near(wall_now.0))),
        }
    }

    /// What this machine's wall clock reads when the corrected clock reads `unix`.
    pub fn local_wall(&self, unix: WallSeconds) -> WallSeconds {
        unix.plus_s(-self.offset_ms / 1000.0)
    }

    /// The logical time (ms) to compute `at`'s first sample; None for a wall
    /// time before the clock has its first reading.
    pub fn due_ms(&self, at: At, clock: &Clock) -> Option<LogicalMs> {
        match at {
            At::Logical(ms) => Some(ms),
            At::Wall(unix) => Some(clock.logical_of_wall(self.local_wall(unix))?.plus_ms(-self.latency_ms)),
        }
    }

    /// As `due_ms`, but before the first DSP tick the raw clock reading at
    /// arrival stands in (what unpackOSC does): better than nothing.
    pub fn due_ms_at_arrival(&self, at: At, clock: &Clock, arrival: LogicalMs, wall_now: WallSeconds) -> LogicalMs {
        self.due_ms(at, clock).unwrap_or_else(|| match at {
            At::Logical(ms) => ms,
            At::Wall(unix) => arrival.plus_ms(self.local_wall(unix).s_since(wall_now) * 1000.0 - self.latency_ms),
        })
    }

    /// The timetag of a logical time (for Pd as a sender): when this Pd's sound of
    /// that moment leaves the DAC. Before the first DSP tick there is no estimate:
    /// then the raw clock reading `wall_now_s` at logical `now_ms` stands in.
    pub fn timetag_of_logical(
        &self,
        logical: LogicalMs,
        clock: &Clock,
        now: LogicalMs,
        wall_now: WallSeconds,
    ) -> Option<Timetag> {
        match self.mode {
            ClockMode::Logical => Timetag::from_seconds(logical.0 / 1000.0),
            ClockMode::System => {
                let at = logical.plus_ms(self.latency_ms);
                let wall = clock.wall_of_logical(at).unwrap_or(wall_now.plus_s(at.ms_since(now) / 1000.0));
                Timetag::from_unix(wall.0 + self.offset_ms / 1000.0)
            }
        }
    }
}
