//! Why a control message is refused: one type for `control::parse_control`,
//! its `Display` the line Pd users read on the console.

use super::drift::DriftError;
use super::input::address_map::MapError;
use super::settings::SettingError;
use std::fmt;

/// A control message refused (said on the console; nothing changes).
#[derive(Clone, Debug, PartialEq)]
pub enum ControlError {
    /// The selector, which takes one word.
    NeedsWord(String),
    /// The selector, which takes one number.
    NeedsNumber(String),
    /// The selector, which takes no arguments.
    TakesNoArguments(String),
    /// The arguments do not fit: the usage line.
    Usage(&'static str),
    /// An argument of a kind the message cannot take: what it needs.
    BadArgument(&'static str),
    /// `play`/`at` given a pointer: the selector (OSC has no form for one).
    NotOscArgument(String),
    Setting(SettingError),
    Drift(DriftError),
    Map(MapError),
    /// Not a message fsync~ knows: the selector, and the list of those it knows.
    Unknown {
        selector: String,
        help: &'static str,
    },
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ControlError::NeedsWord(selector) => write!(f, "'{selector}' needs one word"),
            ControlError::NeedsNumber(selector) => write!(f, "'{selector}' needs one number"),
            ControlError::TakesNoArguments(selector) => write!(f, "'{selector}' takes no arguments"),
            ControlError::Usage(usage) | ControlError::BadArgument(usage) => f.write_str(usage),
            ControlError::NotOscArgument(selector) => write!(f, "{selector}: arguments must be numbers or symbols"),
            ControlError::Setting(e) => e.fmt(f),
            ControlError::Drift(e) => e.fmt(f),
            ControlError::Map(e) => e.fmt(f),
            ControlError::Unknown { selector, help } => write!(f, "unknown message '{selector}'; {help}"),
        }
    }
}

impl From<SettingError> for ControlError {
    fn from(e: SettingError) -> Self {
        ControlError::Setting(e)
    }
}

impl From<DriftError> for ControlError {
    fn from(e: DriftError) -> Self {
        ControlError::Drift(e)
    }
}

impl From<MapError> for ControlError {
    fn from(e: MapError) -> Self {
        ControlError::Map(e)
    }
}

/// `bundle <offset_ms> …` cannot be made (`Engine::make_bundle`).
#[derive(Clone, Debug, PartialEq)]
pub enum BundleError {
    /// The time asked for is negative or past 2^32 s.
    NoTimetag,
    /// The OSC encoder refused it: its reason.
    Encode(String),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            BundleError::NoTimetag => f.write_str("bundle: that time has no timetag (negative or beyond 2^32 s)"),
            BundleError::Encode(e) => write!(f, "bundle: {e}"),
        }
    }
}

/// What applying a control message lost or refused (a console line; the rest applied).
#[derive(Clone, Debug, PartialEq)]
pub enum ControlNote {
    /// `queue <n>` dropped the `lost` latest pending events.
    QueueShrunk {
        capacity: usize,
        lost: usize,
    },
    /// `forwardbytes <n>` dropped the `lost` latest pending forwarded messages.
    ForwardBytesShrunk {
        max_bytes: usize,
        lost: usize,
    },
    Map(MapError),
    /// `unmap` matched no entry.
    NoSuchEntry,
}

impl fmt::Display for ControlNote {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ControlNote::QueueShrunk { capacity, lost } => {
                write!(f, "queue shrunk to {capacity}: dropped the {lost} latest pending events")
            }
            ControlNote::ForwardBytesShrunk { max_bytes, lost } => {
                write!(f, "forwardbytes {max_bytes}: dropped the {lost} latest pending forwarded messages")
            }
            ControlNote::Map(e) => e.fmt(f),
            ControlNote::NoSuchEntry => f.write_str("unmap: no such entry"),
        }
    }
}
