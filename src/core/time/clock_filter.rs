//! Pd's logical time against the monotonic clock: the offset `mono − logical`
//! as a line (offset + drift) through the lower envelope of one reading per
//! DSP tick, and steps of that offset found and applied within ~0.2 s.
//!
//! After Adriaensen, "Using a DLL to filter time" (LAC 2005) and
//! SuperCollider's SC_TimeDLL.hpp, with two changes for Pd (why, measured:
//! docs/clock.md): readings taken inside Pd's bursts are late, never early, so
//! the filter keeps each window's earliest reading (as AOO's dejitter stage
//! does) and fits a least-squares line through them (as Ableton Link does);
//! and the offset jumps at an xrun, a stall longer than Pd's buffer or a DSP
//! restart, which a loop would smear over its time constant (13 s), so jumps
//! are detected on short-window minima and applied at once, keeping the rate.
//! The wall clock is not filtered at all: `Clock` adds the exact
//! `wall − mono` difference, so an NTP step or slew needs no detection.
//! All storage is fixed: no allocation, callable from perform.

/// What a reading did to the estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Update {
    Ok,
    /// The first reading: the estimate starts here.
    Started,
    /// The offset jumped by `step_ms` (positive: Pd's sound now comes later);
    /// applied at once, the rate kept.
    Step {
        step_ms: f64,
    },
    /// Not a finite reading, or the same tick again: ignored.
    Ignored,
}

#[derive(Clone, Copy, Debug)]
pub struct ClockFilterConfig {
    /// A long window (logical ms) whose earliest reading is one point of the line.
    pub window_ms: f64,
    /// How many points the line is fitted through (the rate's memory).
    pub windows: usize,
    /// A short window (logical ms): its earliest reading is tested for a step.
    pub short_window_ms: f64,
    /// Short-window minima above the line by more than this (ms) may be a rise
    /// (readings are late anyway: needs a margin over scheduling noise)…
    pub rise_ms: f64,
    /// …and confirmed by this many short windows in a row: longer than the
    /// catch-up burst after a stall, whose readings are all late.
    pub rise_windows: usize,
    /// A reading earlier than the line by more than this (ms) cannot come from
    /// lateness: a fall, confirmed by `fall_windows` short windows.
    pub fall_ms: f64,
    pub fall_windows: usize,
    /// The drift is bounded (a sound card off by more than this is broken, and
    /// `pd -batch`, whose logical time runs free, must not produce nonsense).
    pub max_drift: f64,
}

impl Default for ClockFilterConfig {
    fn default() -> Self {
        ClockFilterConfig {
            window_ms: 500.0,
            windows: 32,
            short_window_ms: 40.0,
            rise_ms: 1.0,
            rise_windows: 4,
            fall_ms: 0.25,
            fall_windows: 2,
            max_drift: 0.002,
        }
    }
}

const MAX_WINDOWS: usize = 64;

/// One long window's earliest reading: logical time and offset, ms relative to the origin.
#[derive(Clone, Copy, Debug, Default)]
struct Point {
    logical: f64,
    offset: f64,
    /// Points of one segment (between two steps) share an intercept; all share the rate.
    segment: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    Rise,
    Fall,
}

/// Short windows in a row whose earliest reading was off the line to one side.
#[derive(Clone, Copy, Debug)]
struct Run {
    side: Side,
    windows: usize,
    /// The earliest reading of the run (ms, residual): after a rise, the first
    /// reading on time again; after a fall, the new line itself.
    min: f64,
}

#[derive(Clone, Debug)]
pub struct ClockFilter {
    config: ClockFilterConfig,
    /// (logical ms, mono s) of the first reading: everything else is relative, for precision.
    origin: Option<(f64, f64)>,
    points: [Point; MAX_WINDOWS],
    count: usize,
    next: usize,
    window_start: f64,
    window_min: Option<Point>,
    short_start: f64,
    short_min: f64,
    run: Option<Run>,
    /// How far short-window minima sit from the line when nothing happens (ms, mean).
    noise_ms: f64,
    /// The line: offset(l) = intercept + drift·l.
    intercept: f64,
    drift: f64,
    last_logical: f64,
    jitter_sq: f64,
    /// The segment new points belong to: one more at every step.
    segment: u32,
    /// Points of the current segment in the line (0 just after a step).
    segment_points: usize,
    steps: u32,
    last_step_ms: f64,
    last_step_at: f64,
    /// Changes whenever the line does (refit, step): queued events re-map then.
    generation: u64,
}

impl ClockFilter {
    pub fn new(config: ClockFilterConfig) -> Self {
        ClockFilter {
            config: ClockFilterConfig { windows: config.windows.clamp(2, MAX_WINDOWS), ..config },
            origin: None,
            points: [Point { logical: 0.0, offset: 0.0, segment: 0 }; MAX_WINDOWS],
            count: 0,
            next: 0,
            window_start: 0.0,
            window_min: None,
            short_start: 0.0,
            short_min: f64::INFINITY,
            run: None,
            noise_ms: 0.0,
            intercept: 0.0,
            drift: 0.0,
            last_logical: 0.0,
            jitter_sq: 0.0,
            segment: 0,
            segment_points: 0,
            steps: 0,
            last_step_ms: 0.0,
            last_step_at: 0.0,
            generation: 0,
        }
    }

    /// One reading per DSP tick: logical time at the end of the tick (ms) and
    /// the monotonic clock read in perform (s).
    pub fn update(&mut self, logical_ms: f64, mono_s: f64) -> Update {
        // Beyond these no real clock reads (1e15 ms ≈ 31 700 years of Pd uptime).
        if !(logical_ms.abs() < 1e15 && mono_s.abs() < 1e12) {
            return Update::Ignored;
        }
        let Some((l0, m0)) = self.origin else {
            self.origin = Some((logical_ms, mono_s));
            self.window_min = Some(Point::default());
            self.generation += 1;
            return Update::Started;
        };
        let (logical, offset) = (logical_ms - l0, (mono_s - m0) * 1000.0 - (logical_ms - l0));
        if logical <= self.last_logical {
            // The same tick again (several objects read it), or time went back
            // (a new run of Pd's scheduler): nothing to learn.
            return Update::Ignored;
        }
        if logical - self.last_logical > self.config.short_window_ms {
            // DSP was off: start the short window afresh, keep the line.
            self.short_start = logical;
            self.short_min = f64::INFINITY;
            self.run = None;
        }
        self.last_logical = logical;
        let residual = offset - self.predict(logical);
        // Before the first point the earliest reading so far is the line: a fall
        // just lowers it; a rise is found once there is a line.
        if self.count > 0
            && let Some(step_ms) = self.watch_for_step(logical, residual)
        {
            // While settling (Pd's audio starting up) steps are applied, not news.
            return if self.is_settled() { Update::Step { step_ms } } else { Update::Ok };
        }
        if self.run.is_none() {
            self.jitter_sq += (residual * residual - self.jitter_sq) * 0.01;
            if self.segment_points == 0 && self.count > 0 && residual < 0.0 {
                // Just after a step, before the segment's first point: a reading
                // earlier than the step's estimate is the better estimate (the
                // step was measured on readings that may all have been late).
                self.intercept += residual;
                self.generation += 1;
            }
        }
        // The lower envelope: each long window's earliest reading is a point of the line.
        if self.window_min.is_none_or(|m| offset < m.offset) {
            self.window_min = Some(Point { logical, offset, segment: self.segment });
            if self.count == 0 {
                // No line yet: the earliest reading so far stands in for it.
                self.intercept = offset - self.drift * logical;
            }
        }
        if logical - self.window_start >= self.config.window_ms && self.may_close_window(logical) {
            if let Some(m) = self.window_min.take() {
                if m.segment == self.segment {
                    self.segment_points += 1;
                }
                self.points[self.next] = m;
                self.next = (self.next + 1) % self.config.windows;
                self.count = (self.count + 1).min(self.config.windows);
                self.fit();
            }
            self.window_start = logical;
        }
        Update::Ok
    }

    /// Steps: short-window minima off the line to one side, window after window.
    fn watch_for_step(&mut self, logical: f64, residual: f64) -> Option<f64> {
        self.short_min = self.short_min.min(residual);
        if logical - self.short_start < self.config.short_window_ms {
            return None;
        }
        let min = std::mem::replace(&mut self.short_min, f64::INFINITY);
        self.short_start = logical;
        let c = &self.config;
        let side = if min > self.rise_threshold() {
            Side::Rise
        } else if min < -self.fall_threshold() {
            Side::Fall
        } else {
            self.run = None;
            self.noise_ms += (min.abs().min(c.rise_ms) - self.noise_ms) * 0.05;
            return None;
        };
        let run = match self.run {
            Some(r) if r.side == side => Run { side, windows: r.windows + 1, min: r.min.min(min) },
            _ => Run { side, windows: 1, min },
        };
        let needed = if side == Side::Rise { c.rise_windows } else { c.fall_windows };
        if run.windows < needed {
            self.run = Some(run);
            return None;
        }
        self.apply_step(logical, run.min);
        Some(run.min)
    }

    /// A window's earliest reading becomes a point of the line unless it may
    /// belong to a step still being confirmed (a pending run, or a reading
    /// below the line that may start one); not postponed beyond a second window.
    fn may_close_window(&self, logical: f64) -> bool {
        let below = self.window_min.is_some_and(|m| m.offset - self.predict(m.logical) < -self.fall_threshold());
        let overdue = logical - self.window_start >= 2.0 * self.config.window_ms;
        overdue || (self.run.is_none() && !below)
    }

    fn rise_threshold(&self) -> f64 {
        self.config.rise_ms.max(4.0 * self.noise_ms)
    }

    fn fall_threshold(&self) -> f64 {
        self.config.fall_ms.max(3.0 * self.noise_ms)
    }

    /// Moves the line by `step` (the rate stays) and starts a new segment: the
    /// step's estimate stands in until the segment's own first point.
    fn apply_step(&mut self, logical: f64, step: f64) {
        self.intercept += step;
        self.segment += 1;
        self.segment_points = 0;
        self.window_min = None;
        self.window_start = logical;
        self.run = None;
        if self.is_settled() {
            self.steps += 1;
            self.last_step_ms = step;
            self.last_step_at = logical;
        }
        self.generation += 1;
    }

    /// Least squares: one rate through all points, an intercept per segment
    /// (steps do not bend the rate); the line is the current segment's.
    fn fit(&mut self) {
        // Per segment: count, Σl, Σo, Σll, Σlo (logical centred on the newest reading).
        let mut sums = [(0u32, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64); MAX_WINDOWS];
        let mut segments = 0;
        let centre = self.last_logical;
        for p in &self.points[..self.count] {
            let at = match sums[..segments].iter().position(|s| s.0 == p.segment) {
                Some(i) => i,
                None => {
                    sums[segments].0 = p.segment;
                    segments += 1;
                    segments - 1
                }
            };
            let (l, o) = (p.logical - centre, p.offset);
            let s = &mut sums[at];
            (s.1, s.2, s.3, s.4, s.5) = (s.1 + 1.0, s.2 + l, s.3 + o, s.4 + l * l, s.5 + l * o);
        }
        let (mut sxx, mut sxy) = (0.0, 0.0);
        for &(_, n, sl, so, sll, slo) in &sums[..segments] {
            sxx += sll - sl * sl / n;
            sxy += slo - sl * so / n;
        }
        let max = self.config.max_drift;
        if sxx > 1e-9 {
            self.drift = (sxy / sxx).clamp(-max, max);
        }
        if let Some(&(_, n, sl, so, _, _)) = sums[..segments].iter().find(|s| s.0 == self.segment) {
            self.intercept = so / n - self.drift * (sl / n + centre);
        }
        self.generation += 1;
    }

    /// Predicted offset (ms) at relative logical time `logical`.
    fn predict(&self, logical: f64) -> f64 {
        self.intercept + self.drift * logical
    }

    /// The logical time (ms) at which the monotonic clock reads `mono_s`.
    pub fn logical_of_mono(&self, mono_s: f64) -> Option<f64> {
        let (l0, m0) = self.origin?;
        let mono = (mono_s - m0) * 1000.0;
        // mono = l + intercept + drift·l  ⇒  l = (mono − intercept) / (1 + drift)
        Some((mono - self.intercept) / (1.0 + self.drift) + l0)
    }

    /// The monotonic clock (s) at logical time `logical_ms`.
    pub fn mono_of_logical(&self, logical_ms: f64) -> Option<f64> {
        let (l0, m0) = self.origin?;
        let l = logical_ms - l0;
        Some(m0 + (l + self.predict(l)) / 1000.0)
    }

    /// mono − logical (ms) at the latest reading, relative to the first reading:
    /// how far the two clocks moved apart since the estimate started.
    pub fn moved_ms(&self) -> Option<f64> {
        self.origin.map(|_| self.predict(self.last_logical))
    }

    /// Recent RMS of the readings around the line (ms): how late Pd reads the clock.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter_sq.sqrt()
    }

    /// Monotonic seconds per logical second (1 + drift).
    pub fn rate(&self) -> f64 {
        1.0 + self.drift
    }

    /// True once the line rests on enough points to trust the rate.
    pub fn is_settled(&self) -> bool {
        self.count >= 4
    }

    /// How many steps were applied since the estimate settled, the last one's
    /// size (ms) and logical time (ms, absolute).
    pub fn steps(&self) -> (u32, f64, f64) {
        (self.steps, self.last_step_ms, self.last_step_at + self.origin.map_or(0.0, |o| o.0))
    }

    /// Changes whenever the mapping does.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

#[cfg(test)]
#[path = "clock_filter_tests.rs"]
mod tests;
