//! Estimates how Pd's logical (audio-clock) time relates to the system clock,
//! so a wall-clock OSC timetag maps to the exact logical time to play at.
//!
//! Why a lower envelope and not a plain DLL: the wall clock is read inside the
//! perform routine, and Pd computes audio in bursts (e.g. four 64-sample blocks
//! back to back per 256-frame JACK period, then nothing for 5 ms). So a reading
//! is never early but often late by 0–5 ms, a one-sided noise that a DLL
//! (Adriaensen 2005) would average into a biased, wobbling estimate. The
//! earliest reading in a window is the one closest to the truth. We take the
//! minimum of (wall − logical) over short windows and fit a line through the
//! recent minima by least squares (offset + drift), like Ableton Link's
//! regression. All storage is fixed: no allocation, usable from perform.

/// What an observation did to the estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Update {
    Ok,
    /// The first observation: the estimate starts here.
    Started,
    /// A clock step (wall clock set, audio clock stalled or restarted): the
    /// estimate was restarted; `step_ms` is how far the offset moved.
    Reset { step_ms: f64 },
    /// Not a finite, forward-moving observation: ignored.
    Ignored,
}

#[derive(Clone, Copy, Debug)]
pub struct ClockFilterConfig {
    /// Length of one window whose earliest reading is kept (logical ms).
    pub window_ms: f64,
    /// How many window minima the line is fitted through.
    pub windows: usize,
    /// A residual beyond this (ms) counts as a possible clock step.
    pub step_threshold_ms: f64,
    /// How long (logical ms) residuals must stay beyond the threshold to be a
    /// step: longer than a catch-up burst after a stall of Pd.
    pub step_confirm_ms: f64,
}

impl Default for ClockFilterConfig {
    fn default() -> Self {
        ClockFilterConfig { window_ms: 500.0, windows: 32, step_threshold_ms: 50.0, step_confirm_ms: 300.0 }
    }
}

const MAX_WINDOWS: usize = 64;

/// One window's earliest reading: logical time (ms, relative) and offset (ms).
#[derive(Clone, Copy, Debug, Default)]
struct Point {
    logical: f64,
    offset: f64,
}

#[derive(Clone, Debug)]
pub struct ClockFilter {
    config: ClockFilterConfig,
    /// Reference epoch: observations are kept relative to the first one for precision.
    origin: Option<(f64, f64)>, // (logical ms, wall s)
    minima: [Point; MAX_WINDOWS],
    count: usize,
    next: usize,
    window_start: f64,
    window_min: Option<Point>,
    /// Fitted line: offset(l) = intercept + drift · l (relative ms).
    intercept: f64,
    drift: f64,
    last_logical: f64,
    jitter_sq: f64,
    /// Since when (relative logical ms) residuals are beyond the threshold, and their sign.
    beyond_since: Option<(f64, f64)>,
}

impl ClockFilter {
    pub fn new(config: ClockFilterConfig) -> Self {
        let config = ClockFilterConfig { windows: config.windows.clamp(2, MAX_WINDOWS), ..config };
        ClockFilter {
            config,
            origin: None,
            minima: [Point::default(); MAX_WINDOWS],
            count: 0,
            next: 0,
            window_start: 0.0,
            window_min: None,
            intercept: 0.0,
            drift: 0.0,
            last_logical: 0.0,
            jitter_sq: 0.0,
            beyond_since: None,
        }
    }

    fn restart(&mut self, logical_ms: f64, wall_s: f64) {
        *self = ClockFilter::new(self.config);
        self.origin = Some((logical_ms, wall_s));
        self.window_min = Some(Point { logical: 0.0, offset: 0.0 });
    }

    pub fn update(&mut self, logical_ms: f64, wall_s: f64) -> Update {
        // Beyond these no real clock reads (1e15 ms ≈ 31 700 years of Pd uptime).
        if !(logical_ms.abs() < 1e15 && wall_s.abs() < 1e12) {
            return Update::Ignored;
        }
        let Some((l0, w0)) = self.origin else {
            self.restart(logical_ms, wall_s);
            return Update::Started;
        };
        let logical = logical_ms - l0;
        if logical < self.last_logical {
            // Logical time went backward: a new Pd run or DSP restart.
            let step = self.predict(self.last_logical) - ((wall_s - w0) * 1000.0 - logical);
            self.restart(logical_ms, wall_s);
            return Update::Reset { step_ms: step };
        }
        if logical == self.last_logical {
            return Update::Ignored; // the same tick twice
        }
        self.last_logical = logical;
        let offset = (wall_s - w0) * 1000.0 - logical;
        let residual = offset - self.predict(logical);

        // A step shows as residuals beyond the threshold, of one sign, for longer
        // than any catch-up burst; such readings are kept out of the estimate.
        if residual.abs() > self.config.step_threshold_ms && self.count > 0 {
            let since = match self.beyond_since {
                Some((since, sign)) if sign == residual.signum() => since,
                _ => logical,
            };
            self.beyond_since = Some((since, residual.signum()));
            if logical - since >= self.config.step_confirm_ms {
                self.restart(logical_ms, wall_s);
                return Update::Reset { step_ms: residual };
            }
            return Update::Ok;
        }
        self.beyond_since = None;
        // Jitter: exponential mean of squared residuals (about the last 100 ticks).
        self.jitter_sq += (residual * residual - self.jitter_sq) * 0.01;

        let point = Point { logical, offset };
        match self.window_min {
            Some(m) if offset >= m.offset => {}
            _ => self.window_min = Some(point),
        }
        if logical - self.window_start >= self.config.window_ms {
            if let Some(m) = self.window_min.take() {
                self.minima[self.next] = m;
                self.next = (self.next + 1) % self.config.windows;
                self.count = (self.count + 1).min(self.config.windows);
                self.fit();
            }
            self.window_start = logical;
        }
        Update::Ok
    }

    /// Least-squares line through the window minima (or the current window's
    /// minimum while there are none yet).
    fn fit(&mut self) {
        let n = self.count as f64;
        if self.count == 1 {
            self.intercept = self.minima[0].offset;
            self.drift = 0.0;
            return;
        }
        let points = &self.minima[..self.count];
        let mean_l = points.iter().map(|p| p.logical).sum::<f64>() / n;
        let mean_o = points.iter().map(|p| p.offset).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.logical - mean_l).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.logical - mean_l) * (p.offset - mean_o)).sum();
        self.drift = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        self.intercept = mean_o - self.drift * mean_l;
    }

    /// Predicted offset (ms) at relative logical time `logical`.
    fn predict(&self, logical: f64) -> f64 {
        if self.count == 0 {
            return self.window_min.map_or(0.0, |m| m.offset);
        }
        self.intercept + self.drift * logical
    }

    /// The logical time (ms) at which the wall clock reads `wall_s`.
    pub fn wall_to_logical_ms(&self, wall_s: f64) -> Option<f64> {
        let (l0, w0) = self.origin?;
        // wall_rel = l + intercept + drift·l  ⇒  l = (wall_rel − intercept) / (1 + drift)
        let (intercept, drift) = if self.count == 0 { (self.predict(0.0), 0.0) } else { (self.intercept, self.drift) };
        Some(((wall_s - w0) * 1000.0 - intercept) / (1.0 + drift) + l0)
    }

    /// The wall-clock time (unix s) at logical time `logical_ms`.
    pub fn logical_to_wall_s(&self, logical_ms: f64) -> Option<f64> {
        let (l0, w0) = self.origin?;
        let l = logical_ms - l0;
        Some(w0 + (l + self.predict(l)) / 1000.0)
    }

    /// Current estimate of wall − logical (ms, absolute), at the latest observation.
    pub fn offset_ms(&self) -> Option<f64> {
        let (l0, w0) = self.origin?;
        Some(w0 * 1000.0 - l0 + self.predict(self.last_logical))
    }

    /// Recent RMS of the readings around the estimate (ms): how noisy the wall clock reads.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter_sq.sqrt()
    }

    /// Wall seconds per logical second (1 + drift).
    pub fn rate(&self) -> f64 {
        1.0 + self.drift
    }

    /// True once the line rests on enough windows to trust the drift.
    pub fn is_settled(&self) -> bool {
        self.count >= 4
    }
}

#[cfg(test)]
#[path = "clock_filter_tests.rs"]
mod tests;
