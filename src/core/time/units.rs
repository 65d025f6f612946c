//! Times that cross the stages' boundaries, as types: a logical time in ms
//! (Pd's clock, what the queues are sorted by) cannot be passed where a
//! wall-clock time in unix seconds is expected, nor the other way round.
//! Inside a stage the arithmetic stays on `f64` (`.0`).

/// A Pd logical time, in ms since Pd started (`clock_gettimesince(0)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct LogicalMs(pub f64);

/// A wall-clock time, in seconds since the unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct WallSeconds(pub f64);

impl LogicalMs {
    /// This time moved by `ms` (a duration in ms, either way).
    pub fn plus_ms(self, ms: f64) -> LogicalMs {
        LogicalMs(self.0 + ms)
    }

    /// The duration (ms) from `earlier` to this time; negative if `earlier` is later.
    pub fn ms_since(self, earlier: LogicalMs) -> f64 {
        self.0 - earlier.0
    }

    /// The later of the two (`f64::max`: a NaN loses).
    pub fn max(self, other: LogicalMs) -> LogicalMs {
        LogicalMs(self.0.max(other.0))
    }

    pub fn is_finite(self) -> bool {
        self.0.is_finite()
    }
}

impl WallSeconds {
    /// This time moved by `s` seconds.
    pub fn plus_s(self, s: f64) -> WallSeconds {
        WallSeconds(self.0 + s)
    }

    /// The duration (s) from `earlier` to this time.
    pub fn s_since(self, earlier: WallSeconds) -> f64 {
        self.0 - earlier.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_between_times() {
        let t = LogicalMs(1000.0);
        assert_eq!(t.plus_ms(-250.0), LogicalMs(750.0));
        assert_eq!(t.plus_ms(5.0).ms_since(t), 5.0);
        assert_eq!(LogicalMs(3.0).max(LogicalMs(f64::NAN)), LogicalMs(3.0));
        assert!(LogicalMs(1.0) < LogicalMs(2.0));
        assert_eq!(WallSeconds(1.7e9).plus_s(0.5).s_since(WallSeconds(1.7e9)), 0.5);
    }
}
