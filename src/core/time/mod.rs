//! Time: OSC timetags, the clock estimate (logical ↔ monotonic ↔ wall), the
//! mapping of an event's time to the logical time it plays at, and which
//! samples a perform call computes.

pub mod block_clock;
pub mod civil_time;
pub mod clock;
pub mod clock_filter;
pub mod time_map;
pub mod timetag;
pub mod units;

/// How a timetag is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// Timetag seconds are Pd logical seconds since Pd started (exact, for tests and offline).
    Logical,
    /// Timetag is wall-clock NTP time, mapped through the filtered clock estimate.
    System,
}
