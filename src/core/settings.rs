//! Creation flags and the control messages that change the same settings.

use super::atom::Atom;
use super::drift::{self, DriftError, DriftMode};
use super::input::address_map::{self, MAX_ENTRIES, MapEntry, MapError};
use super::limits::MAX_CHANNELS;
use std::fmt;

pub use super::time::ClockMode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatePolicy {
    /// Start at the arrival sample, at the position it would have reached (sites stay aligned).
    Join,
    /// Start from the beginning at the arrival sample.
    Play,
    /// Play nothing.
    Drop,
    /// Join when at most a tenth of the sound would be skipped (a long sound stays in
    /// step with the other sites), else play from the start (a short tick still sounds).
    JoinOrPlay,
}

/// `JoinOrPlay` joins while the skipped part is at most 1/JOIN_OR_PLAY_RATIO of the sound.
pub const JOIN_OR_PLAY_RATIO: usize = 10;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub clock: ClockMode,
    pub late: LatePolicy,
    pub gain: f32,
    pub voices: usize,
    pub queue: usize,
    /// Bytes the forwarded messages waiting in the queue may hold (`-forwardbytes`).
    pub forward_bytes: usize,
    /// None: use what Pd says about its own audio buffer.
    pub latency_ms: Option<f64>,
    pub dedupe_ms: f64,
    pub horizon_s: f64,
    /// `-map <address> [<first-arg>] <array>`, any number of times.
    pub maps: Vec<MapEntry>,
    /// `-sounds <folder>`, any number of times: where `/load` may read.
    pub sound_dirs: Vec<String>,
    /// Signal outlets (`-channels`); fixed when the object is created.
    pub channels: usize,
    /// `-sound-memory <MiB>`: most memory all of the object's loaded sounds may take.
    pub sound_memory_mib: usize,
    /// The pace of voices under `-clock system` (`-drift`).
    pub drift: DriftMode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clock: ClockMode::System,
            late: LatePolicy::JoinOrPlay,
            gain: 1.0,
            voices: 16,
            queue: 1024,
            forward_bytes: DEFAULT_FORWARD_BYTES,
            latency_ms: None,
            dedupe_ms: 100.0,
            horizon_s: 60.0,
            maps: Vec::new(),
            sound_dirs: Vec::new(),
            channels: 1,
            sound_memory_mib: DEFAULT_SOUND_MEMORY_MIB,
            drift: DriftMode::Follow,
        }
    }
}

pub const MAX_VOICES: usize = 256;
pub const MAX_QUEUE: usize = 65_536;
/// 4 MiB: ample for thousands of ordinary messages, and one datagram of
/// 65 000 `nil` arguments still fits (56 bytes a nil argument queued).
pub const DEFAULT_FORWARD_BYTES: usize = 4 << 20;
pub const MAX_FORWARD_BYTES: usize = 1 << 30;
/// Loaded sounds per object, in MiB of f32 samples: e.g. 46 minutes of mono or 23 of stereo at 48 kHz.
pub const DEFAULT_SOUND_MEMORY_MIB: usize = 512;
pub const MAX_SOUND_MEMORY_MIB: usize = 65_536;

/// A setting's value refused (a control message or a creation flag).
#[derive(Clone, Debug, PartialEq)]
pub enum SettingError {
    /// Not `logical` or `system`: the word given.
    Clock(String),
    /// Not a late policy: the word given.
    Late(String),
    Gain(f64),
    /// `what` must be a whole number 1..`max`.
    Count {
        what: &'static str,
        n: f64,
        max: usize,
    },
    /// `what` must be ms in 0..1 h.
    Ms {
        what: &'static str,
        ms: f64,
    },
    /// Seconds in 0..1 day.
    Horizon(f64),
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            SettingError::Clock(other) => write!(f, "clock must be 'logical' or 'system', not '{other}'"),
            SettingError::Late(other) => {
                write!(f, "late must be 'join-or-play', 'join', 'play' or 'drop', not '{other}'")
            }
            SettingError::Gain(g) => write!(f, "gain must be a number in -1000..1000, not {g}"),
            SettingError::Count { what, n, max } => write!(f, "{what} must be a whole number 1..{max}, not {n}"),
            SettingError::Ms { what, ms } => write!(f, "{what} must be a number of ms >= 0, not {ms}"),
            SettingError::Horizon(s) => write!(f, "horizon must be seconds in 0..86400, not {s}"),
        }
    }
}

pub fn parse_clock(word: &str) -> Result<ClockMode, SettingError> {
    match word {
        "logical" => Ok(ClockMode::Logical),
        "system" => Ok(ClockMode::System),
        other => Err(SettingError::Clock(other.to_string())),
    }
}

pub fn parse_late(word: &str) -> Result<LatePolicy, SettingError> {
    match word {
        "join" => Ok(LatePolicy::Join),
        "play" => Ok(LatePolicy::Play),
        "drop" => Ok(LatePolicy::Drop),
        "join-or-play" => Ok(LatePolicy::JoinOrPlay),
        other => Err(SettingError::Late(other.to_string())),
    }
}

pub fn check_gain(g: f64) -> Result<f32, SettingError> {
    (g.is_finite() && g.abs() <= 1000.0).then_some(g as f32).ok_or(SettingError::Gain(g))
}

pub fn check_count(what: &'static str, n: f64, max: usize) -> Result<usize, SettingError> {
    (n.fract() == 0.0 && n >= 1.0 && n <= max as f64).then_some(n as usize).ok_or(SettingError::Count { what, n, max })
}

pub fn check_forward_bytes(n: f64) -> Result<usize, SettingError> {
    check_count("forwardbytes", n, MAX_FORWARD_BYTES)
}

pub fn check_ms(what: &'static str, ms: f64) -> Result<f64, SettingError> {
    (ms.is_finite() && (0.0..=3_600_000.0).contains(&ms)).then_some(ms).ok_or(SettingError::Ms { what, ms })
}

pub fn check_horizon(s: f64) -> Result<f64, SettingError> {
    (s.is_finite() && s > 0.0 && s <= 86_400.0).then_some(s).ok_or(SettingError::Horizon(s))
}

/// A creation flag refused; that setting keeps its default.
#[derive(Clone, Debug, PartialEq)]
pub enum FlagError {
    /// A number (or other atom) where a flag was expected: as Pd shows it.
    NotAFlag(String),
    /// A word that does not start with '-'.
    UnexpectedWord(String),
    Unknown(String),
    NeedsWord(String),
    NeedsNumber(String),
    DriftNeedsValue,
    Setting(SettingError),
    Drift(DriftError),
    Map(MapError),
    TooManyMaps,
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            FlagError::NotAFlag(shown) => write!(
                f,
                "unexpected argument {shown}; flags are -clock -late -gain -voices -queue -forwardbytes -latency -dedupe -horizon -map -sounds -channels -sound-memory -drift"
            ),
            FlagError::UnexpectedWord(other) => write!(f, "unexpected argument '{other}'; flags start with '-'"),
            FlagError::Unknown(flag) => write!(f, "unknown flag '{flag}'"),
            FlagError::NeedsWord(flag) => write!(f, "{flag} needs a word"),
            FlagError::NeedsNumber(flag) => write!(f, "{flag} needs a number"),
            FlagError::DriftNeedsValue => f.write_str("-drift needs follow, off or a number of ppm"),
            FlagError::Setting(e) => e.fmt(f),
            FlagError::Drift(e) => e.fmt(f),
            FlagError::Map(e) => write!(f, "-map: {e}"),
            FlagError::TooManyMaps => write!(f, "-map: at most {MAX_ENTRIES} entries"),
        }
    }
}

impl From<SettingError> for FlagError {
    fn from(e: SettingError) -> Self {
        FlagError::Setting(e)
    }
}

impl From<DriftError> for FlagError {
    fn from(e: DriftError) -> Self {
        FlagError::Drift(e)
    }
}

/// Parses creation flags. Each bad flag gives one error and leaves that
/// setting at its default.
pub fn parse_flags<'a>(atoms: &[Atom<'a>]) -> (Settings, Vec<FlagError>) {
    let mut s = Settings::default();
    let mut errors = Vec::new();
    let mut i = 0;
    while i < atoms.len() {
        let flag = match atoms[i] {
            Atom::Symbol(f) => f,
            other => {
                errors.push(FlagError::NotAFlag(other.describe()));
                i += 1;
                continue;
            }
        };
        if flag == "-map" {
            // Takes 2 or 3 atoms: everything up to the next flag.
            let rest = &atoms[i + 1..];
            let n = rest.iter().take(3).take_while(|a| !matches!(a, Atom::Symbol(s) if s.starts_with('-'))).count();
            i += 1 + n;
            match address_map::parse_entry(&rest[..n]) {
                Ok(_) if s.maps.len() >= MAX_ENTRIES => errors.push(FlagError::TooManyMaps),
                Ok(e) => s.maps.push(e),
                Err(e) => errors.push(FlagError::Map(e)),
            }
            continue;
        }
        let value = atoms.get(i + 1).copied();
        i += 2;
        let word = |v: Option<Atom<'a>>| -> Result<&'a str, FlagError> {
            match v {
                Some(Atom::Symbol(w)) => Ok(w),
                _ => Err(FlagError::NeedsWord(flag.to_string())),
            }
        };
        let number = |v: Option<Atom<'a>>| match v {
            Some(Atom::Float(f)) => Ok(f as f64),
            _ => Err(FlagError::NeedsNumber(flag.to_string())),
        };
        let result: Result<(), FlagError> = match flag {
            "-clock" => word(value).and_then(|w| Ok(parse_clock(w)?)).map(|c| s.clock = c),
            "-late" => word(value).and_then(|w| Ok(parse_late(w)?)).map(|l| s.late = l),
            "-gain" => number(value).and_then(|g| Ok(check_gain(g)?)).map(|g| s.gain = g),
            "-voices" => number(value).and_then(|n| Ok(check_count("voices", n, MAX_VOICES)?)).map(|n| s.voices = n),
            "-queue" => number(value).and_then(|n| Ok(check_count("queue", n, MAX_QUEUE)?)).map(|n| s.queue = n),
            "-forwardbytes" => number(value).and_then(|n| Ok(check_forward_bytes(n)?)).map(|n| s.forward_bytes = n),
            "-latency" => number(value).and_then(|ms| Ok(check_ms("latency", ms)?)).map(|ms| s.latency_ms = Some(ms)),
            "-dedupe" => number(value).and_then(|ms| Ok(check_ms("dedupe", ms)?)).map(|ms| s.dedupe_ms = ms),
            "-horizon" => number(value).and_then(|h| Ok(check_horizon(h)?)).map(|h| s.horizon_s = h),
            "-sounds" => word(value).map(|d| s.sound_dirs.push(d.to_string())),
            "-channels" => {
                number(value).and_then(|n| Ok(check_count("channels", n, MAX_CHANNELS)?)).map(|n| s.channels = n)
            }
            "-sound-memory" => number(value)
                .and_then(|n| Ok(check_count("sound-memory (MiB)", n, MAX_SOUND_MEMORY_MIB)?))
                .map(|n| s.sound_memory_mib = n),
            "-drift" => match value {
                Some(Atom::Symbol(w)) => drift::parse_drift(w).map_err(FlagError::from),
                Some(Atom::Float(ppm)) => drift::check_ppm(ppm as f64).map_err(FlagError::from),
                _ => Err(FlagError::DriftNeedsValue),
            }
            .map(|d| s.drift = d),
            unknown if unknown.starts_with('-') => {
                i -= 1; // the next atom may be the next flag
                Err(FlagError::Unknown(unknown.to_string()))
            }
            other => {
                i -= 1;
                Err(FlagError::UnexpectedWord(other.to_string()))
            }
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    (s, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_in_any_order() {
        let (s, e) = parse_flags(&[
            Atom::Symbol("-voices"),
            Atom::Float(4.0),
            Atom::Symbol("-clock"),
            Atom::Symbol("logical"),
            Atom::Symbol("-late"),
            Atom::Symbol("drop"),
            Atom::Symbol("-gain"),
            Atom::Float(0.5),
            Atom::Symbol("-channels"),
            Atom::Float(2.0),
            Atom::Symbol("-forwardbytes"),
            Atom::Float(65536.0),
        ]);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!((s.voices, s.clock, s.late, s.gain, s.channels), (4, ClockMode::Logical, LatePolicy::Drop, 0.5, 2));
        assert_eq!(s.forward_bytes, 65536);
        let (s, e) = parse_flags(&[Atom::Symbol("-drift"), Atom::Symbol("off")]);
        assert_eq!((s.drift, e.len()), (DriftMode::Off, 0));
        let (s, e) = parse_flags(&[Atom::Symbol("-drift"), Atom::Float(-200.0)]);
        assert_eq!((s.drift, e.len()), (DriftMode::Fixed(-200.0), 0));
    }

    #[test]
    fn map_flags() {
        let (s, e) = parse_flags(&[
            Atom::Symbol("-map"),
            Atom::Symbol("/pd"),
            Atom::Symbol("tick"),
            Atom::Symbol("array1"),
            Atom::Symbol("-map"),
            Atom::Symbol("/kick"),
            Atom::Symbol("k"),
            Atom::Symbol("-clock"),
            Atom::Symbol("logical"),
        ]);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(s.maps.len(), 2);
        assert_eq!(s.clock, ClockMode::Logical);
    }

    #[test]
    fn bad_flags_keep_defaults() {
        let (s, e) = parse_flags(&[
            Atom::Symbol("-voices"),
            Atom::Float(0.0),
            Atom::Symbol("-bogus"),
            Atom::Symbol("-clock"),
            Atom::Symbol("sundial"),
            Atom::Float(3.0),
            Atom::Symbol("-channels"),
            Atom::Float(65.0),
            Atom::Symbol("-drift"),
            Atom::Float(5000.0),
            Atom::Symbol("-drift"),
            Atom::Symbol("sometimes"),
        ]);
        assert_eq!(e.len(), 7, "{e:?}");
        assert_eq!(e[0], FlagError::Setting(SettingError::Count { what: "voices", n: 0.0, max: MAX_VOICES }));
        assert_eq!(e[1], FlagError::Unknown("-bogus".into()));
        assert_eq!(e[2], FlagError::Setting(SettingError::Clock("sundial".into())));
        assert!(matches!(e[3], FlagError::NotAFlag(_)), "{e:?}");
        assert_eq!(e[5], FlagError::Drift(DriftError::Ppm(5000.0)));
        assert_eq!(e[2].to_string(), "clock must be 'logical' or 'system', not 'sundial'");
        assert_eq!(s, Settings::default());
    }
}
