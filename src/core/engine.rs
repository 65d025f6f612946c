//! The engine ties the core together: packets in (control thread), blocks of
//! sound out (perform routine), reports for the status outlet.

use super::atom::Atom;
use super::console::ConsoleQuota;
use super::control_error::BundleError;
use super::drift::{DriftFollower, DriftMode};
use super::input::address_map::{AddressMap, MapEntry, MapError, MatchArg};
use super::input::command::{self, Command, CommandError, ForwardAtom};
use super::input::dedupe::Dedupe;
use super::input::name_budget::NameBudget;
use super::input::osc;
use super::input::osc_pattern::PatternBudget;
use super::input::packet;
use super::input::refusal::{ErrorKind, PacketError};
use super::load::path_policy::{self, PathError};
use super::peers;
use super::play::queue::{BoundedQueue, Due, QueueRefusal, WeighedQueue, Weight};
use super::play::samples::SampleStore;
use super::play::voices::{Frames, VoicePool};
use super::report::{DropReason, Report, ReportRing};
use super::settings::{ClockMode, LatePolicy, Settings};
use super::time::clock::Clock;
use super::time::time_map::{At, TimeMap};
use super::time::timetag::{Timetag, When};
use super::time::units::{LogicalMs, WallSeconds};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AudioAction<K> {
    Play { array: K, gain: f32, offset_ms: f64 },
    Stop { array: Option<K> },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AudioEvent<K> {
    /// When it is due, as the packet said: re-mapped whenever the clock moves.
    pub at: At,
    /// `at` as logical time under the latest clock estimate.
    pub due_ms: LogicalMs,
    /// Not before this logical time: the arrival, for an event that came late.
    pub not_before_ms: LogicalMs,
    pub action: AudioAction<K>,
    pub address: K,
    pub late_policy: LatePolicy,
    /// Lateness was already reported at arrival.
    pub reported_late: bool,
}

impl<K> AudioEvent<K> {
    /// The logical time it starts at.
    pub fn start_ms(&self) -> LogicalMs {
        self.due_ms.max(self.not_before_ms)
    }
}

impl<K> Due for AudioEvent<K> {
    fn due_ms(&self) -> LogicalMs {
        self.start_ms()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForwardEvent {
    pub at: At,
    pub due_ms: LogicalMs,
    pub address: String,
    pub args: Vec<ForwardAtom>,
}

impl Due for ForwardEvent {
    fn due_ms(&self) -> LogicalMs {
        self.due_ms
    }
}

impl Weight for ForwardEvent {
    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + command::forward_bytes(&self.address, &self.args)
    }
}

/// More `/load`s than this in one packet refuse it: at most this many files
/// load at a time (the shell's limit), and each refusal would print a line.
pub const MAX_LOADS_PER_PACKET: usize = 4;

/// What handling one packet asks the shell to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Output<K> {
    Report(Report<K>),
    /// Output this OSC message now on the status outlet.
    Forward {
        address: String,
        args: Vec<ForwardAtom>,
    },
    /// Read a sound file (asked by a packet: `from_network`, or by the patch).
    Load {
        name: String,
        path: String,
        from_network: bool,
    },
    /// A packet was rejected: `kind` goes to the outlet (`error <kind>`), `detail` to the console.
    Error {
        kind: ErrorKind,
        detail: String,
    },
    /// A packet was rejected while this second's console quota is spent:
    /// `error <kind>` on the outlet only.
    Refused {
        kind: ErrorKind,
    },
    /// A packet was rejected for its `/load <name>` (path not allowed): `error load <name>`.
    LoadRefused {
        name: String,
        error: PathError,
    },
}

#[derive(Debug)]
pub struct Engine<K> {
    /// The settings given at creation, as changed since. Not their home for the
    /// clock mode and latency (`time`) nor the address map (`map`): `new` moves those.
    settings: Settings,
    /// The home of the clock mode, the latency and the clock offset.
    time: TimeMap,
    map: AddressMap,
    audio: BoundedQueue<AudioEvent<K>>,
    /// Bounded in bytes too: the network chooses how many arguments a message has.
    forward: WeighedQueue<ForwardEvent>,
    voices: VoicePool<K>,
    /// The pace voices play at under `-clock system` (`-drift`).
    drift: DriftFollower,
    reports: ReportRing<K>,
    dedupe: Dedupe,
    /// Distinct names packets may make the shell intern (Pd never frees a symbol).
    names: NameBudget,
    /// Console lines about refused packets (at most a few a second).
    console: ConsoleQuota,
    sr: f64,
    /// The clock's generation the queues were last mapped with.
    mapped_generation: u64,
    /// Clock steps already reported.
    steps_seen: u32,
    /// Forwarded messages need re-mapping (a step, a new latency): done on the control thread.
    forwards_stale: bool,
}

/// The names besides its address that a command makes the shell intern.
fn names_in(c: &Command) -> impl Iterator<Item = &str> {
    let (one, args): (Option<&str>, &[ForwardAtom]) = match c {
        Command::Play { array, .. } => (Some(array), &[]),
        Command::Stop { array } => (array.as_deref(), &[]),
        Command::Load { name, .. } => (Some(name), &[]),
        Command::Forward { args, .. } => (None, args),
    };
    one.into_iter().chain(args.iter().filter_map(|a| match a {
        ForwardAtom::Symbol(s) => Some(s.as_str()),
        ForwardAtom::Float(_) => None,
    }))
}

fn samples(ms: f64, sr: f64) -> i64 {
    (ms * sr / 1000.0).round() as i64
}

impl<K: Copy + PartialEq> Engine<K> {
    /// `default_latency_ms`: used when the settings leave latency to Pd.
    pub fn new(mut settings: Settings, sr: f64, default_latency_ms: f64) -> Self {
        Engine {
            time: TimeMap::new(settings.clock, settings.latency_ms.unwrap_or(default_latency_ms)),
            map: std::mem::take(&mut settings.maps).into_iter().fold(AddressMap::default(), |mut m, e| {
                let _ = m.add(e); // parse_flags already bounded the list
                m
            }),
            audio: BoundedQueue::new(settings.queue),
            forward: WeighedQueue::new(settings.queue, settings.forward_bytes),
            voices: VoicePool::with_channels(settings.voices, settings.channels),
            drift: DriftFollower::default(),
            reports: ReportRing::new(),
            dedupe: Dedupe::default(),
            names: NameBudget::default(),
            console: ConsoleQuota::default(),
            sr: if sr > 0.0 { sr } else { 48000.0 },
            mapped_generation: 0,
            steps_seen: 0,
            forwards_stale: false,
            settings,
        }
    }

    pub fn sample_rate(&self) -> f64 {
        self.sr
    }

    /// Called from the dsp method (control thread).
    pub fn set_sample_rate(&mut self, sr: f64) {
        if sr.is_finite() && sr > 0.0 {
            self.sr = sr;
        }
    }

    /// One packet from the left inlet. `intern` turns a name into the shell's key.
    pub fn handle_packet(
        &mut self,
        atoms: &[Atom],
        arrival: LogicalMs,
        wall_now: WallSeconds,
        clock: &Clock,
        intern: &mut impl FnMut(&str) -> K,
    ) -> Vec<Output<K>> {
        let arrival_ms = arrival.0;
        let bytes = match packet::bytes_from_atoms(atoms) {
            Ok(b) => b,
            Err(e) => return self.refuse(e.into(), arrival_ms),
        };
        let messages = match osc::decode(&bytes) {
            Ok(m) => m,
            Err(e) => return self.refuse(e.into(), arrival_ms),
        };
        // All or nothing: one bad message rejects the packet, so nothing half-happens.
        let mut commands = Vec::with_capacity(messages.len());
        // One budget for all pattern matching in the packet, whatever the map holds.
        let mut pattern_budget = PatternBudget::per_packet();
        for m in messages {
            let address = m.message.addr.clone();
            match command::interpret(m.message, &self.map, &mut pattern_budget) {
                Ok(c) => commands.push((m.when, address, c)),
                Err(e) => return self.refuse(e.into(), arrival_ms),
            }
        }
        let loads = commands.iter().filter(|(_, _, c)| matches!(c, Command::Load { .. })).count();
        if loads > MAX_LOADS_PER_PACKET {
            return self.refuse(PacketError::TooManyLoads { loads, max: MAX_LOADS_PER_PACKET }, arrival_ms);
        }
        if let Some(name) = commands
            .iter()
            .flat_map(|(_, address, c)| std::iter::once(address.as_str()).chain(names_in(c)))
            .find(|n| !self.names.admit(n))
        {
            return self.refuse(PacketError::TooManyNames { name: name.to_string() }, arrival_ms);
        }
        // The path's lexical rules, now: a refused /load drops its whole packet (the
        // file itself is checked by the loader as it opens it). After the name budget:
        // the refusal names the sound, which the shell interns.
        let any_folder = !self.settings.sound_dirs.is_empty();
        for (_, _, c) in &commands {
            if let Command::Load { name, path } = c
                && let Err(e) = path_policy::check_network_path(path, any_folder)
            {
                return vec![Output::LoadRefused { name: name.clone(), error: e }];
            }
        }
        // Only a timed bundle can be a redundant copy: bare messages and "immediately" repeat on purpose.
        let timetag = commands.iter().find_map(|(when, _, _)| match when {
            When::At(t) => Some(*t),
            When::Immediately => None,
        });
        if timetag.is_some_and(|t| self.dedupe.is_repeat(&bytes, t, arrival_ms, self.settings.dedupe_ms)) {
            let address = commands.first().map_or("/", |(_, a, _)| a.as_str());
            return vec![Output::Report(Report::Dropped { reason: DropReason::Duplicate, address: intern(address) })];
        }
        let mut out = Vec::new();
        for (when, address, c) in commands {
            let at = self.time.at(when, arrival, wall_now);
            let due_ms = self.time.due_ms_at_arrival(at, clock, arrival, wall_now);
            // Loading takes as long as it takes: it is not timed, it starts now.
            if let Command::Load { name, path } = c {
                out.push(Output::Load { name, path, from_network: true });
                continue;
            }
            let address = intern(&address);
            self.schedule(when == When::Immediately, at, due_ms, address, c, arrival, intern, &mut out);
        }
        out
    }

    /// A console line about this object, within the same per-second quota as
    /// refused packets (None: over it; the outlet still says what happened).
    pub fn console_line(&mut self, now_ms: f64, line: &str) -> Option<String> {
        self.console.admit(now_ms, line)
    }

    /// The outputs for a refused packet: `error <kind>` on the outlet always, a
    /// console line only while this second's quota lasts.
    fn refuse(&mut self, error: PacketError, now_ms: f64) -> Vec<Output<K>> {
        let kind = error.kind();
        match self.console.admit(now_ms, &error.to_string()) {
            Some(detail) => vec![Output::Error { kind, detail }],
            None => vec![Output::Refused { kind }],
        }
    }

    /// `play <array> [gain] [offset_ms]` from the patch: a bare `/play` arriving at
    /// logical `now`, checked as one (never through the address map).
    pub fn play_now(
        &mut self,
        args: &[ForwardAtom],
        now: LogicalMs,
        intern: &mut impl FnMut(&str) -> K,
    ) -> Vec<Output<K>> {
        match command::interpret_unmapped(local_message("/play", args)) {
            Ok(c) => self.schedule_local(None, "/play", c, now, intern),
            Err(e) => self.refuse(PacketError::Command(CommandError::Args(e)), now.0),
        }
    }

    /// `at <ms> <address> [args…]` from the patch: the OSC message `<address> args…`
    /// due `ms` after logical `now` (address map, forwarding and limits as for a
    /// packet; a `/load` is not timed: it starts now, as the patch's `load`).
    pub fn play_at(
        &mut self,
        args: &[ForwardAtom],
        now: LogicalMs,
        intern: &mut impl FnMut(&str) -> K,
    ) -> Vec<Output<K>> {
        let (delay_ms, address, rest) = match args {
            [ForwardAtom::Float(ms), ForwardAtom::Symbol(address), rest @ ..]
                if ms.is_finite() && *ms >= 0.0 && address.starts_with('/') =>
            {
                (*ms as f64, address.as_str(), rest)
            }
            _ => return self.refuse(PacketError::AtUsage, now.0),
        };
        if peers::is_reserved(address.as_bytes()) {
            return self.refuse(PacketError::AtReserved { address: address.to_string() }, now.0);
        }
        let mut pattern_budget = PatternBudget::per_packet();
        match command::interpret(local_message(address, rest), &self.map, &mut pattern_budget) {
            Ok(Command::Load { name, path }) => vec![Output::Load { name, path, from_network: false }],
            Ok(c) => self.schedule_local(Some(delay_ms), address, c, now, intern),
            Err(e) => self.refuse(PacketError::At(e), now.0),
        }
    }

    /// A command from the patch, due `delay_ms` after `now` in logical time
    /// (None: now, as a bare message).
    fn schedule_local(
        &mut self,
        delay_ms: Option<f64>,
        address: &str,
        c: Command,
        now: LogicalMs,
        intern: &mut impl FnMut(&str) -> K,
    ) -> Vec<Output<K>> {
        let due = now.plus_ms(delay_ms.unwrap_or(0.0));
        let address = intern(address);
        let mut out = Vec::new();
        self.schedule(delay_ms.is_none(), At::Logical(due), due, address, c, now, intern, &mut out);
        out
    }

    /// `immediate`: timetag 1 or a bare message (never too far, forwarded at once).
    #[allow(clippy::too_many_arguments)]
    fn schedule(
        &mut self,
        immediate: bool,
        at: At,
        due_ms: LogicalMs,
        address: K,
        c: Command,
        arrival: LogicalMs,
        intern: &mut impl FnMut(&str) -> K,
        out: &mut Vec<Output<K>>,
    ) {
        let policy = self.settings.late;
        if !due_ms.is_finite() {
            out.push(Output::Report(Report::Dropped { reason: DropReason::NoClock, address }));
            return;
        }
        if !immediate && due_ms.ms_since(arrival) > self.settings.horizon_s * 1000.0 {
            out.push(Output::Report(Report::Dropped { reason: DropReason::TooFar, address }));
            return;
        }
        let late = samples(due_ms.0, self.sr) < samples(arrival.0, self.sr);
        if late {
            out.push(Output::Report(Report::Late { late_ms: arrival.ms_since(due_ms), address }));
            if policy == LatePolicy::Drop {
                out.push(Output::Report(Report::Dropped { reason: DropReason::Late, address }));
                return;
            }
        }
        let queued = match c {
            Command::Forward { address: name, args } => {
                if late || immediate || due_ms <= arrival {
                    out.push(Output::Forward { address: name, args });
                    return;
                }
                self.forward.push(ForwardEvent { at, due_ms, address: name, args })
            }
            Command::Play { array, gain, offset_ms } => push_audio(
                &mut self.audio,
                AudioEvent {
                    at,
                    due_ms,
                    not_before_ms: arrival,
                    action: AudioAction::Play { array: intern(&array), gain, offset_ms },
                    address,
                    late_policy: policy,
                    reported_late: late,
                },
            ),
            Command::Load { .. } => return, // handled in handle_packet
            Command::Stop { array } => push_audio(
                &mut self.audio,
                AudioEvent {
                    at,
                    due_ms,
                    not_before_ms: arrival,
                    action: AudioAction::Stop { array: array.as_deref().map(&mut *intern) },
                    address,
                    late_policy: policy,
                    reported_late: late,
                },
            ),
        };
        out.push(Output::Report(match queued {
            Ok(()) => Report::Scheduled { ahead_ms: due_ms.ms_since(arrival).max(0.0), address },
            Err(QueueRefusal::Full) => Report::Dropped { reason: DropReason::QueueFull, address },
            Err(QueueRefusal::OverBytes) => Report::Dropped { reason: DropReason::QueueBytes, address },
        }));
    }

    /// Renders one block ending at logical `block_end_ms` into `outs` (one
    /// slice per outlet, all of the block's length) in the perform routine: no
    /// allocation, no locks, no calls into Pd but through `store`.
    pub fn render<S: SampleStore<K>>(
        &mut self,
        block_end: LogicalMs,
        clock: &Clock,
        store: &S,
        outs: &mut [&mut [f32]],
    ) {
        let block_end_ms = block_end.0;
        for out in outs.iter_mut() {
            out.fill(0.0);
        }
        self.follow_clock(clock);
        let n = outs.first().map_or(0, |o| o.len());
        let sr = self.sr;
        let block_end = samples(block_end_ms, sr);
        let block_start = block_end - n as i64;
        self.pace_voices(clock, block_end_ms, n);
        // The paced path hears a voice `lead` samples after it starts: start it that early.
        let lead = self.voices.lead_samples();
        let mut cursor = 0usize;
        while let Some(event) = self.audio.peek() {
            let start = samples(event.start_ms().0, sr) - lead;
            if start >= block_end {
                break;
            }
            let Some(event) = self.audio.pop() else { break };
            let start = start.max(block_start);
            let at = (start - block_start) as usize;
            if at > cursor {
                self.voices.render(store, outs, cursor..at, self.settings.gain, &mut self.reports);
                cursor = at;
            }
            self.apply(event, start + lead, lead);
        }
        self.voices.render(store, outs, cursor..n, self.settings.gain, &mut self.reports);
    }

    /// Starts or stops voices for `event`, heard from absolute sample `start`
    /// (a start up to `lead` samples late is the paced path's look-ahead, not lateness).
    fn apply(&mut self, event: AudioEvent<K>, start: i64, lead: i64) {
        let sr = self.sr;
        let late_samples = (start - samples(event.due_ms.0, sr)).max(0);
        // Late only now (DSP was off when it was due): report and apply the policy here.
        if late_samples > lead && !event.reported_late {
            self.reports.push(Report::Late { late_ms: late_samples as f64 * 1000.0 / sr, address: event.address });
            if event.late_policy == LatePolicy::Drop {
                self.reports.push(Report::Dropped { reason: DropReason::Late, address: event.address });
                return;
            }
        }
        match event.action {
            AudioAction::Stop { array } => self.voices.stop(array),
            AudioAction::Play { array, gain, offset_ms } => {
                let position = samples(offset_ms, sr).max(0);
                // Where between two samples it was due (the paced path can start there, to ±½ sample).
                let exact = event.due_ms.0 * sr / 1000.0;
                let between = if late_samples > lead { 0.0 } else { exact - exact.round() };
                // (At the voices' pace: the sound moved on that far meanwhile.)
                let late_at_pace = (late_samples as f64 * self.voices.ratio()).round() as i64;
                match event.late_policy {
                    // (Saturating: a huge offset from the network is just past the end.)
                    LatePolicy::Join => self.voices.start_between(
                        array,
                        Frames(position.saturating_add(late_at_pace) as usize),
                        gain,
                        between,
                        &mut self.reports,
                    ),
                    LatePolicy::JoinOrPlay => self.voices.start_joining_if_long(
                        array,
                        Frames(position as usize),
                        Frames(late_at_pace.max(0) as usize),
                        gain,
                        between,
                        &mut self.reports,
                    ),
                    LatePolicy::Play | LatePolicy::Drop => {
                        self.voices.start_between(array, Frames(position as usize), gain, between, &mut self.reports)
                    }
                }
            }
        }
    }

    /// Sets the pace of this block's voices: the card's drift followed under
    /// `-clock system` (unless `-drift off`), the direct path otherwise.
    fn pace_voices(&mut self, clock: &Clock, block_end_ms: f64, n: usize) {
        if self.time.mode == ClockMode::System && self.settings.drift != DriftMode::Off {
            let block_start_ms = block_end_ms - n as f64 * 1000.0 / self.sr;
            let ratio = self.drift.next(
                self.settings.drift,
                clock,
                block_start_ms,
                block_end_ms,
                self.voices.source_position(),
                self.sr,
            );
            self.voices.set_pace(Some(ratio));
        } else {
            self.drift.reset();
            self.voices.set_pace(None);
        }
    }

    /// The ratio voices played the latest block at, in ppm from 1 (0 on the direct path).
    pub fn voice_pace_ppm(&self) -> f64 {
        if self.voices.lead_samples() > 0 { self.drift.applied_ppm() } else { 0.0 }
    }

    /// The pace line for `print` and `drift`.
    pub fn describe_drift(&self) -> String {
        let mode = match self.settings.drift {
            DriftMode::Follow => "follow".to_string(),
            DriftMode::Off => "off".to_string(),
            DriftMode::Fixed(ppm) => format!("fixed {ppm:+} ppm"),
        };
        if self.time.mode == ClockMode::Logical {
            return format!("drift {mode}: voices play at the card's pace (-clock logical never resamples)");
        }
        let card = self.drift.card_ppm.map_or("not measured yet".to_string(), |ppm| format!("{ppm:+.2} ppm"));
        format!(
            "drift {mode}: voices play at {:+.3} ppm; card against the system clock {card}; phase error {:.3} samples",
            self.voice_pace_ppm(),
            self.drift.error_samples
        )
    }

    /// Re-maps queued audio events when the clock moved, and reports its steps
    /// (perform routine: no allocation; the re-sort is in place).
    fn follow_clock(&mut self, clock: &Clock) {
        let (steps, step_ms, _) = clock.filter().steps();
        if steps != self.steps_seen {
            self.steps_seen = steps;
            self.forwards_stale = true;
            // With -clock logical the estimate is not used: its steps are no news.
            if self.time.mode == ClockMode::System {
                self.reports.push(Report::ClockStep { step_ms });
            }
        }
        if clock.generation() != self.mapped_generation {
            self.mapped_generation = clock.generation();
            self.remap_audio(clock);
        }
    }

    fn remap_audio(&mut self, clock: &Clock) {
        let time = &self.time;
        self.audio.remap(|e| {
            if let Some(due) = time.due_ms(e.at, clock) {
                e.due_ms = due;
            }
        });
    }

    /// Re-maps forwarded messages (control thread: after a clock step or a
    /// latency change); the shell re-arms its clock afterwards.
    pub fn remap_forwards(&mut self, clock: &Clock) {
        let time = &self.time;
        self.forward.remap(|e| {
            if let Some(due) = time.due_ms(e.at, clock) {
                e.due_ms = due;
            }
        });
    }

    /// True (once) when forwarded messages should be re-mapped with `remap_forwards`.
    pub fn take_forwards_stale(&mut self) -> bool {
        std::mem::take(&mut self.forwards_stale)
    }

    /// Output latency compensation (ms); queued events follow it.
    pub fn set_latency(&mut self, ms: f64) {
        self.time.latency_ms = ms;
        self.mapped_generation = u64::MAX; // audio: at the next block
        self.forwards_stale = true;
    }

    /// The clock correction (ms, see `TimeMap::offset_ms`); queued events follow it.
    pub fn set_clock_offset(&mut self, ms: f64) {
        self.time.offset_ms = ms;
        self.mapped_generation = u64::MAX; // audio: at the next block
        self.forwards_stale = true;
    }

    /// Reports left by the perform routine, and how many did not fit.
    pub fn take_reports(&mut self) -> (Vec<Report<K>>, usize) {
        self.reports.drain()
    }

    pub fn has_reports(&self) -> bool {
        !self.reports.is_empty()
    }

    /// Logical time of the next forwarded message, for the shell's clock.
    pub fn next_forward_ms(&self) -> Option<LogicalMs> {
        self.forward.peek().map(|e| e.due_ms)
    }

    /// Forwarded messages due at or before `now` (control thread).
    pub fn take_due_forwards(&mut self, now: LogicalMs) -> Vec<ForwardEvent> {
        // Clocks fire at the exact time in Pd units; allow for the ms conversion.
        std::iter::from_fn(|| self.forward.pop_due_before(now.plus_ms(1e-6))).collect()
    }

    /// An OSC bundle for `address args` stamped with the time of logical
    /// `now + offset_ms`: wall-clock (through the clock filter, plus the output
    /// latency, so it names when this Pd's own sound of that moment is heard) or,
    /// with `-clock logical`, logical seconds.
    /// `offset_ms` None: OSC "immediately" (timetag 1), as the workshop's `timetagoffset -1`.
    pub fn make_bundle(
        &self,
        now: LogicalMs,
        wall_now: WallSeconds,
        clock: &Clock,
        offset_ms: Option<f64>,
        address: &str,
        args: &[ForwardAtom],
    ) -> Result<Vec<u8>, BundleError> {
        let tag = match offset_ms {
            Some(offset_ms) => self
                .time
                .timetag_of_logical(now.plus_ms(offset_ms), clock, now, wall_now)
                .ok_or(BundleError::NoTimetag)?,
            None => Timetag { seconds: 0, fraction: 1 },
        };
        let packet = rosc::OscPacket::Bundle(rosc::OscBundle {
            timetag: rosc::OscTime { seconds: tag.seconds, fractional: tag.fraction },
            content: vec![rosc::OscPacket::Message(local_message(address, args))],
        });
        rosc::encoder::encode(&packet).map_err(|e| BundleError::Encode(e.to_string()))
    }

    /// Wall-clock time at logical `now`, read from the filtered clock;
    /// `raw_wall` (the system clock read now) until the filter has an estimate.
    /// The one place the shell asks "what time is it" (`utc`).
    pub fn wall_now_s(&self, now: LogicalMs, clock: &Clock, raw_wall: WallSeconds) -> WallSeconds {
        clock.wall_of_logical(now).unwrap_or(raw_wall)
    }

    /// The `stop` message: silence now and forget everything pending.
    pub fn stop_all(&mut self) {
        self.voices.stop(None);
        self.audio.clear();
        self.forward.clear();
        self.dedupe.clear();
    }

    pub fn set_queue_capacity(&mut self, capacity: usize) -> usize {
        self.settings.queue = capacity;
        self.audio.set_capacity(capacity).len() + self.forward.set_capacity(capacity).len()
    }

    /// Changes the forward queue's byte bound; returns how many events no longer fit.
    pub fn set_forward_bytes(&mut self, max_bytes: usize) -> usize {
        self.settings.forward_bytes = max_bytes;
        self.forward.set_max_bytes(max_bytes).len()
    }

    pub fn set_voice_count(&mut self, count: usize) {
        self.settings.voices = count;
        self.voices = VoicePool::with_channels(count, self.settings.channels);
    }

    pub fn clock_mode(&self) -> ClockMode {
        self.time.mode
    }

    pub fn set_clock_mode(&mut self, mode: ClockMode) {
        self.time.mode = mode;
    }

    /// Output latency compensation (ms).
    pub fn latency_ms(&self) -> f64 {
        self.time.latency_ms
    }

    pub fn set_late_policy(&mut self, policy: LatePolicy) {
        self.settings.late = policy;
    }

    pub fn set_drift_mode(&mut self, mode: DriftMode) {
        self.settings.drift = mode;
    }

    pub fn set_gain(&mut self, gain: f32) {
        self.settings.gain = gain;
    }

    /// The window (ms) in which a repeated timed packet is a redundant copy.
    pub fn dedupe_ms(&self) -> f64 {
        self.settings.dedupe_ms
    }

    pub fn set_dedupe_ms(&mut self, ms: f64) {
        self.settings.dedupe_ms = ms;
    }

    pub fn set_horizon_s(&mut self, s: f64) {
        self.settings.horizon_s = s;
    }

    /// Signal outlets (fixed at creation).
    pub fn channels(&self) -> usize {
        self.settings.channels
    }

    /// Folders `/load` may read from (`-sounds`, `sounds`).
    pub fn sound_dirs(&self) -> &[String] {
        &self.settings.sound_dirs
    }

    pub fn allow_sound_dir(&mut self, dir: String) {
        self.settings.sound_dirs.push(dir);
    }

    /// Most memory (MiB) the object's loaded sounds may take.
    pub fn sound_memory_mib(&self) -> usize {
        self.settings.sound_memory_mib
    }

    pub fn set_sound_memory_mib(&mut self, mib: usize) {
        self.settings.sound_memory_mib = mib;
    }

    /// Adds or replaces a `map` entry.
    pub fn add_map_entry(&mut self, entry: MapEntry) -> Result<(), MapError> {
        self.map.add(entry)
    }

    /// Removes `unmap`'s entries; returns how many.
    pub fn remove_map_entries(&mut self, address: Option<&str>, first_arg: Option<&MatchArg>) -> usize {
        self.map.remove(address, first_arg)
    }

    /// The address map, one line an entry, for `map` and `print`.
    pub fn describe_map(&self) -> Vec<String> {
        self.map.describe()
    }

    /// A readable description of queue and voices, for the `print` message.
    pub fn describe(&self, name: impl Fn(K) -> String) -> Vec<String> {
        let s = &self.settings;
        let mut lines = vec![format!(
            "clock {:?}, late {:?}, gain {}, latency {} ms, sr {}, queue {}/{} audio + {} forwarded ({}/{} bytes), voices {}/{}",
            self.time.mode, s.late, s.gain, self.time.latency_ms, self.sr, self.audio.len(), self.audio.capacity(),
            self.forward.len(), self.forward.bytes(), self.forward.max_bytes(), self.voices.active().count(), self.voices.capacity()
        )
        .to_lowercase(), self.describe_drift()];
        for e in self.audio.iter() {
            let what = match e.action {
                AudioAction::Play { array, gain, offset_ms } => {
                    format!("play {} gain {gain} offset {offset_ms} ms", name(array))
                }
                AudioAction::Stop { array: Some(a) } => format!("stop {}", name(a)),
                AudioAction::Stop { array: None } => "stop all".to_string(),
            };
            lines.push(format!("  pending at {:.3} ms: {what}", e.due_ms.0));
        }
        for e in self.forward.iter() {
            lines.push(format!("  pending at {:.3} ms: forward {} ({} args)", e.due_ms.0, e.address, e.args.len()));
        }
        lines.extend(self.map.describe().into_iter().map(|l| format!("  {l}")));
        for v in self.voices.active() {
            lines.push(format!("  voice: {} at sample {} gain {}", name(v.array), v.position, v.gain));
        }
        lines
    }
}

/// A message the patch wrote as Pd atoms, as OSC (floats stay float32, as a
/// Pd sender's would be).
fn local_message(address: &str, args: &[ForwardAtom]) -> rosc::OscMessage {
    let args = args
        .iter()
        .map(|a| match a {
            ForwardAtom::Float(f) => rosc::OscType::Float(*f),
            ForwardAtom::Symbol(s) => rosc::OscType::String(s.clone()),
        })
        .collect();
    rosc::OscMessage { addr: address.to_string(), args }
}

/// Audio events are fixed-size (no heap): the count bounds their bytes.
fn push_audio<K>(queue: &mut BoundedQueue<AudioEvent<K>>, event: AudioEvent<K>) -> Result<(), QueueRefusal> {
    queue.push(event).map_err(|_| QueueRefusal::Full)
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "engine_local_tests.rs"]
mod local_tests;
