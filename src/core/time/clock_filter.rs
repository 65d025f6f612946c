//! Pd's logical time against the monotonic clock: the offset `mono − logical`
//! as a line (offset + drift) through the lower envelope of one reading per
//! DSP tick, and steps of that offset found and applied within ~0.2 s.
//!
//! The algorithm, on one screen (the argument and the measurements: docs/clock.md):
//! 1. Every reading: `offset = mono − logical`. Readings inside Pd's bursts are
//!    late, never early, so only each 0.5 s window's earliest one becomes a
//!    *point* (AOO's dejitter stage does the same job).
//! 2. The line: least squares through the last 32 points, one rate for all and
//!    an intercept per *segment* (`fit`/`solve`, as Ableton Link fits its
//!    offsets), a ridge prior pulling a short line's rate towards 1, points far
//!    above a line they cannot tilt left out (a window with no on-time reading).
//! 3. Steps (`watch_for_step`): every 40 ms window's earliest reading against the
//!    line; 4 windows in a row > 1 ms above (longer than a stall's catch-up) or 2
//!    > 0.25 ms below (lateness cannot make that) is a step, applied at once.
//! 4. Sound is lost in whole Pd ticks, so a step that lands on whole ticks from
//!    the line before it is *tied*: same segment, shifted by exactly that; any
//!    other step (DSP restarted) starts a new segment (`tie`, `check_tie`).
//! 5. While a big rise is being confirmed, readings taken after Pd waited for
//!    the card that are still > 10 ms late are lost sound: timetags are mapped
//!    with it at once (`watch_for_loss`, mapping only).
//!
//! After Adriaensen, "Using a DLL to filter time" (LAC 2005) and
//! SuperCollider's SC_TimeDLL.hpp, changed for Pd: a loop settles on the
//! *mean* lateness and smears a step over its time constant (13 s).
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
    /// Readings this much (ms) above the line, each taken after Pd waited for the
    /// card (so not part of a catch-up burst), `lost_readings` in a row: sound was
    /// lost. Events are mapped with that loss at once while the step is confirmed.
    pub lost_ms: f64,
    pub lost_readings: usize,
    /// A reading earlier than the line by more than this (ms) cannot come from
    /// lateness: a fall, confirmed by `fall_windows` short windows.
    pub fall_ms: f64,
    pub fall_windows: usize,
    /// The drift is bounded (a sound card off by more than this is broken, and
    /// `pd -batch`, whose logical time runs free, must not produce nonsense).
    pub max_drift: f64,
    /// A step measured this much (ms) above a whole number of Pd ticks from the
    /// line before it, or `snap_below_ms` below, is that number of ticks (see `tie`):
    /// steps are measured on readings that may be late, so too big, hardly too small.
    pub snap_above_ms: f64,
    pub snap_below_ms: f64,
    /// A tie is undone when this many points since it sit off the tied line by more than `untie_ms` (mean).
    /// Not less: after a stall Pd's readings sit ~0.07 ms later for tens of seconds
    /// (measured live, while the recording showed the whole-tick line was right).
    pub untie_points: usize,
    pub untie_ms: f64,
    /// A point further above the line than this many times the points' median
    /// distance from it (and than `outlier_floor_ms`) is left out of the fit.
    pub outlier_spreads: f64,
    pub outlier_floor_ms: f64,
    /// How far (rate) sound cards are off, and how much (ms) a point scatters:
    /// the rate is pulled towards 1 while the line is too short to say better.
    pub drift_prior: f64,
    pub point_noise_ms: f64,
}

impl Default for ClockFilterConfig {
    fn default() -> Self {
        ClockFilterConfig {
            window_ms: 500.0,
            windows: 32,
            short_window_ms: 40.0,
            rise_ms: 1.0,
            rise_windows: 4,
            lost_ms: 10.0,
            lost_readings: 3,
            fall_ms: 0.25,
            fall_windows: 2,
            max_drift: 0.002,
            snap_above_ms: 0.3,
            snap_below_ms: 0.05,
            untie_points: 8,
            untie_ms: 0.15,
            outlier_spreads: 2.5,
            outlier_floor_ms: 0.03,
            drift_prior: 100e-6,
            point_noise_ms: 0.04,
        }
    }
}

const MAX_WINDOWS: usize = 64;

/// One long window's earliest reading: logical time and offset, ms relative to the origin.
#[derive(Clone, Copy, Debug, Default)]
struct Point {
    logical: f64,
    offset: f64,
    /// Points of one segment (between two untied steps) share an intercept; all share the rate.
    segment: u32,
    /// Whole ticks (ms) the offset moved since the segment began (tied steps): taken off in the fit.
    shift: f64,
}

/// A fitted line: one rate, an intercept (ms, shift taken off) per segment.
#[derive(Clone, Copy)]
struct Line {
    drift: f64,
    /// (segment, intercept)
    segments: [(u32, f64); MAX_WINDOWS],
    count: usize,
}

impl Line {
    fn intercept(&self, segment: u32) -> Option<f64> {
        self.segments[..self.count].iter().find(|s| s.0 == segment).map(|s| s.1)
    }

    /// The line's offset (shift taken off) at a point of its own segment.
    fn offset_at(&self, p: &Point) -> f64 {
        self.intercept(p.segment).unwrap_or(0.0) + self.drift * p.logical
    }
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
    /// The earliest reading of the run (ms, residual): after a fall, the new line itself.
    min: f64,
    /// The same without the run's first window: after a rise, the first reading
    /// on time again (the first window may straddle the rise, its minimum from before).
    min_after_first: f64,
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
    /// The segment new points belong to: one more at every untied step.
    segment: u32,
    /// Whole ticks (ms) the line moved within this segment (tied steps).
    shift: f64,
    /// Since when (relative logical ms) the segment is tied, if it is: points from then on are checked.
    tied_since: Option<f64>,
    /// The segment an untied step left and its intercept without shift: a
    /// later step may still land on a whole number of ticks from it.
    left: Option<(u32, f64)>,
    /// One Pd tick (ms): logical time between two readings.
    tick_ms: f64,
    /// DSP was off since the last point: the next step's phase is arbitrary, not whole ticks.
    dsp_restarted: bool,
    /// The monotonic clock (ms, relative) at the latest reading.
    last_mono: f64,
    /// Sound lost while its step is being confirmed (ms): the earliest of the
    /// readings that showed it, and how many in a row did; used for mapping only.
    lost: Option<f64>,
    lost_min: f64,
    lost_run: usize,
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
            points: [Point { logical: 0.0, offset: 0.0, segment: 0, shift: 0.0 }; MAX_WINDOWS],
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
            shift: 0.0,
            tied_since: None,
            left: None,
            tick_ms: 0.0,
            dsp_restarted: false,
            last_mono: 0.0,
            lost: None,
            lost_min: f64::INFINITY,
            lost_run: 0,
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
            self.dsp_restarted = true;
        } else {
            self.tick_ms = logical - self.last_logical;
        }
        self.last_logical = logical;
        let residual = offset - self.predict(logical);
        // Pd waited for the card before this reading: it is not catching up.
        let waited = offset + logical - self.last_mono >= 1.0;
        self.last_mono = offset + logical;
        self.watch_for_loss(residual, waited);
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
            if self.segment_points == 0 && self.tied_since.is_none() && self.count > 0 && residual < 0.0 {
                // Just after a step, before the segment's first point: a reading
                // earlier than the step's estimate is the better estimate (the
                // step was measured on readings that may all have been late).
                self.intercept += residual;
                self.generation += 1;
            }
        }
        // The lower envelope: each long window's earliest reading is a point of the line.
        if self.window_min.is_none_or(|m| offset < m.offset) {
            self.window_min = Some(Point { logical, offset, segment: self.segment, shift: self.shift });
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
                self.check_tie();
            }
            self.window_start = logical;
            self.dsp_restarted = false;
        }
        Update::Ok
    }

    /// A long stall shows at once: Pd, caught up and waiting for the card again,
    /// still reads the clock far later than the line. Confirming the step takes
    /// ~0.16 s, and an event due meanwhile would be mapped with the old line and
    /// found late when the step comes (live, 50 ms after a 400 ms stall: played
    /// 91 ms late); so mapping uses the loss already (`logical_of_mono`).
    fn watch_for_loss(&mut self, residual: f64, waited: bool) {
        if !self.is_settled() {
            return;
        }
        if residual <= self.config.lost_ms {
            self.lost_run = 0;
            self.lost_min = f64::INFINITY;
            if self.lost.take().is_some() {
                self.generation += 1;
            }
            return;
        }
        // (Every reading's: the first of a burst, after the wait, is its latest.)
        self.lost_min = self.lost_min.min(residual);
        if waited {
            self.lost_run += 1;
        }
        if self.lost_run >= self.config.lost_readings && self.lost.is_none_or(|l| self.lost_min < l - 0.02) {
            self.lost = Some(self.lost_min);
            self.generation += 1;
        }
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
            Some(r) if r.side == side => {
                Run { side, windows: r.windows + 1, min: r.min.min(min), min_after_first: r.min_after_first.min(min) }
            }
            _ => Run { side, windows: 1, min, min_after_first: f64::INFINITY },
        };
        let needed = if side == Side::Rise { c.rise_windows } else { c.fall_windows };
        if run.windows < needed {
            self.run = Some(run);
            return None;
        }
        let step = if side == Side::Rise { run.min_after_first } else { run.min };
        Some(self.apply_step(logical, step))
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

    /// Moves the line by `step` (the rate stays). Sound lost at a stall or an
    /// xrun is whole Pd ticks, so a step that lands within `snap_ms` of a whole
    /// number of ticks from the line before it *is* that: the segment goes on,
    /// shifted, and keeps its points (the estimate stays as good as before the
    /// fault). Otherwise a new segment starts: the step's estimate stands in
    /// until its own first point.
    fn apply_step(&mut self, logical: f64, step: f64) -> f64 {
        let before = self.intercept;
        if !self.tie(step) {
            if self.segment_points > 0 || self.left.is_none() {
                self.left = Some((self.segment, self.intercept - self.shift));
            }
            self.intercept += step;
            self.segment += 1;
            self.shift = 0.0;
            self.tied_since = None;
        } else {
            self.tied_since = Some(logical);
        }
        self.segment_points = 0;
        self.window_min = None;
        self.window_start = logical;
        self.run = None;
        let applied = self.intercept - before;
        (self.lost, self.lost_min, self.lost_run) = (None, f64::INFINITY, 0);
        if self.is_settled() {
            self.steps += 1;
            self.last_step_ms = applied;
            self.last_step_at = logical;
        }
        self.generation += 1;
        applied
    }

    /// Ties the step to the segment it left (or, if the current one has no
    /// point yet, the one before it) when it lands on whole ticks; true if so.
    fn tie(&mut self, step: f64) -> bool {
        if self.dsp_restarted || self.tick_ms <= 0.0 || !self.is_settled() {
            return false;
        }
        let (segment, base) = match self.left {
            Some(left) if self.segment_points == 0 => left,
            _ => (self.segment, self.intercept - self.shift),
        };
        let moved = self.intercept + step - base;
        // At most a quarter tick above (at 96 kHz a tick is 0.67 ms).
        let above = self.config.snap_above_ms.min(0.25 * self.tick_ms);
        let ticks = ((moved - above) / self.tick_ms).ceil();
        if moved - ticks * self.tick_ms < -self.config.snap_below_ms {
            return false;
        }
        (self.segment, self.shift) = (segment, ticks * self.tick_ms);
        self.intercept = base + self.shift;
        true
    }

    /// A tie that the points since it do not bear out (the step was not whole
    /// ticks after all, e.g. an ALSA restart) is undone: they become a segment of their own.
    fn check_tie(&mut self) {
        let Some(since) = self.tied_since else { return };
        let (mut n, mut sum) = (0usize, 0.0);
        for p in self.points[..self.count].iter().filter(|p| p.segment == self.segment && p.logical >= since) {
            n += 1;
            sum += p.offset - self.predict(p.logical);
        }
        if n < self.config.untie_points {
            return;
        }
        self.tied_since = None;
        if (sum / n as f64).abs() > self.config.untie_ms {
            let (old, new) = (self.segment, self.segment + 1);
            for p in self.points[..self.count].iter_mut().filter(|p| p.segment == old && p.logical >= since) {
                (p.segment, p.shift) = (new, 0.0);
            }
            self.segment = new;
            self.shift = 0.0;
            self.left = None;
            self.fit();
        }
    }

    /// Least squares: one rate through all points, an intercept per segment
    /// (steps do not bend the rate); the line is the current segment's. Without
    /// the points far above a line they cannot tilt: a window in which no reading
    /// came on time (the machine busy throughout) is late, never early, and would
    /// tilt a young line by several samples.
    fn fit(&mut self) {
        let Some(first) = self.robust_line() else { return };
        let points = &self.points[..self.count];
        // How far each point sits above the robust line (ms; below: negative).
        let mut above = [0.0f64; MAX_WINDOWS];
        for (a, p) in above.iter_mut().zip(points) {
            *a = p.offset - p.shift - first.offset_at(p);
        }
        let mut distance = above.map(f64::abs);
        distance[..self.count].sort_unstable_by(f64::total_cmp);
        // (the lower median: of four points one may be the outlier)
        let spread = distance[(self.count - 1) / 2];
        let limit = (self.config.outlier_spreads * spread).max(self.config.outlier_floor_ms);
        let used = above.map(|a| a <= limit);
        let Some(line) = self.solve(&used) else { return };
        self.drift = line.drift;
        if let Some(intercept) = line.intercept(self.segment) {
            self.intercept = intercept + self.shift;
        }
        self.generation += 1;
    }

    /// A line outliers cannot tilt, to find them: the rate so far (a young
    /// line's two last windows both late would tilt even a median of slopes;
    /// the rate moves by far less than an outlier between two fits), each
    /// segment's median intercept.
    fn robust_line(&self) -> Option<Line> {
        let points = &self.points[..self.count];
        let drift = self.drift;
        let mut line = Line { drift, segments: [(0, 0.0); MAX_WINDOWS], count: 0 };
        let mut intercepts = [0.0f64; MAX_WINDOWS];
        for p in points {
            if line.segments[..line.count].iter().any(|s| s.0 == p.segment) {
                continue;
            }
            let mut k = 0;
            for q in points.iter().filter(|q| q.segment == p.segment) {
                intercepts[k] = q.offset - q.shift - drift * q.logical;
                k += 1;
            }
            line.segments[line.count] = (p.segment, median(&mut intercepts[..k]));
            line.count += 1;
        }
        (line.count > 0).then_some(line)
    }

    /// The least-squares rate and per-segment intercepts through the points in `used`.
    fn solve(&self, used: &[bool; MAX_WINDOWS]) -> Option<Line> {
        let mut line = Line { drift: self.drift, segments: [(0, 0.0); MAX_WINDOWS], count: 0 };
        // Per segment: count, Σl, Σo, Σll, Σlo (logical centred on the newest reading).
        let mut sums = [(0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64); MAX_WINDOWS];
        let centre = self.last_logical;
        for (p, _) in self.points[..self.count].iter().zip(used).filter(|(_, u)| **u) {
            let at = match line.segments[..line.count].iter().position(|s| s.0 == p.segment) {
                Some(i) => i,
                None => {
                    line.segments[line.count].0 = p.segment;
                    line.count += 1;
                    line.count - 1
                }
            };
            let (l, o) = (p.logical - centre, p.offset - p.shift);
            let s = &mut sums[at];
            *s = (s.0 + 1.0, s.1 + l, s.2 + o, s.3 + l * l, s.4 + l * o);
        }
        if line.count == 0 {
            return None;
        }
        let (mut sxx, mut sxy) = (0.0, 0.0);
        for &(n, sl, so, sll, slo) in &sums[..line.count] {
            sxx += sll - sl * sl / n;
            sxy += slo - sl * so / n;
        }
        let max = self.config.max_drift;
        // A prior on the rate (ridge): a young line's points say little about it,
        // and a sound card is rarely off by more than `drift_prior`.
        let prior = (self.config.point_noise_ms / self.config.drift_prior).powi(2);
        if sxx > 1e-9 {
            line.drift = (sxy / (sxx + prior)).clamp(-max, max);
        }
        for (seg, &(n, sl, so, _, _)) in line.segments[..line.count].iter_mut().zip(&sums) {
            // offset(l) = intercept + drift·l, l relative to the origin
            seg.1 = so / n - line.drift * (sl / n + centre);
        }
        Some(line)
    }

    /// Predicted offset (ms) at relative logical time `logical`.
    fn predict(&self, logical: f64) -> f64 {
        self.intercept + self.drift * logical
    }

    /// The logical time (ms) at which the monotonic clock reads `mono_s`.
    pub fn logical_of_mono(&self, mono_s: f64) -> Option<f64> {
        let (l0, m0) = self.origin?;
        let mono = (mono_s - m0) * 1000.0;
        let intercept = self.intercept + self.lost.unwrap_or(0.0);
        // mono = l + intercept + drift·l  ⇒  l = (mono − intercept) / (1 + drift)
        Some((mono - intercept) / (1.0 + self.drift) + l0)
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

/// The median of `values` (reordered; not empty).
fn median(values: &mut [f64]) -> f64 {
    let mid = values.len() / 2;
    *values.select_nth_unstable_by(mid, f64::total_cmp).1
}

#[cfg(test)]
#[path = "clock_filter_tests.rs"]
mod tests;
