//! Why a packet is refused, whole: one type for every rule of the input stage,
//! so the word on the status outlet (`error <kind>`) comes from the error
//! itself, never from a literal where the refusal is made.

use super::command::CommandError;
use super::name_budget::MAX_NETWORK_NAMES;
use super::osc::DecodeError;
use super::packet::BytesError;
use crate::core::console;
use std::fmt;

/// The word after `error` on the status outlet (docs/object.md's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The list is not one datagram of bytes.
    Bytes,
    /// The bytes are not an OSC packet fsync~ takes.
    Decode,
    /// A message's arguments (or the packet's count of `/load`s).
    Args,
    /// Matching an address pattern against the map was refused.
    Pattern,
    /// The packet would make Pd intern more names than the budget allows.
    Names,
    /// A `/fsync/…` address inside a bundle (the shell refuses it: src/pd/peer_handlers.rs).
    Reserved,
    /// `error load <name>`: a sound was not allowed, not read, or did not fit.
    Load,
}

impl ErrorKind {
    pub fn word(self) -> &'static str {
        match self {
            ErrorKind::Bytes => "bytes",
            ErrorKind::Decode => "decode",
            ErrorKind::Args => "args",
            ErrorKind::Pattern => "pattern",
            ErrorKind::Names => "names",
            ErrorKind::Reserved => "reserved",
            ErrorKind::Load => "load",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// A packet refused whole (nothing in it happens).
/// The patch's `at` message.
pub const AT_USAGE: &str = "usage: at <ms> </address> [args...] (ms >= 0, from now in Pd's logical time)";

#[derive(Clone, Debug, PartialEq)]
pub enum PacketError {
    Bytes(BytesError),
    Decode(DecodeError),
    Command(CommandError),
    /// More `/load`s in one packet than `max` (that many files load at a time).
    TooManyLoads {
        loads: usize,
        max: usize,
    },
    /// A new name past the budget: `name` as it came (shortened when shown).
    TooManyNames {
        name: String,
    },
    /// The patch's `at` without a time and an address.
    AtUsage,
    /// The patch's `at` naming one of fsync~'s own addresses.
    AtReserved {
        address: String,
    },
    /// The patch's `at` with a message that is refused as a packet's would be.
    At(CommandError),
}

impl PacketError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            PacketError::Bytes(_) => ErrorKind::Bytes,
            PacketError::Decode(_) => ErrorKind::Decode,
            PacketError::Command(CommandError::Args(_)) => ErrorKind::Args,
            PacketError::Command(CommandError::Pattern(_)) => ErrorKind::Pattern,
            PacketError::TooManyLoads { .. } => ErrorKind::Args,
            PacketError::TooManyNames { .. } => ErrorKind::Names,
            PacketError::AtUsage => ErrorKind::Args,
            PacketError::AtReserved { .. } => ErrorKind::Reserved,
            PacketError::At(e) => PacketError::Command(e.clone()).kind(),
        }
    }
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PacketError::Bytes(e) => e.fmt(f),
            PacketError::Decode(e) => e.fmt(f),
            PacketError::Command(e) => e.fmt(f),
            PacketError::TooManyLoads { loads, max } => {
                write!(f, "{loads} /load messages in one packet (at most {max}: that many files load at a time)")
            }
            PacketError::AtUsage => write!(f, "at: {AT_USAGE}"),
            PacketError::AtReserved { address } => {
                write!(f, "at {address}: /fsync/... addresses are fsync~'s own (only as bare packets)")
            }
            PacketError::At(e) => write!(f, "at: {e}"),
            PacketError::TooManyNames { name } => {
                let shown = console::shorten(name, console::MAX_NAME_CHARS);
                write!(
                    f,
                    "more than {MAX_NETWORK_NAMES} distinct names (or 1 MiB of them) came from the network; the new name '{shown}' is refused (Pd never frees a symbol)"
                )
            }
        }
    }
}

impl From<BytesError> for PacketError {
    fn from(e: BytesError) -> Self {
        PacketError::Bytes(e)
    }
}

impl From<DecodeError> for PacketError {
    fn from(e: DecodeError) -> Self {
        PacketError::Decode(e)
    }
}

impl From<CommandError> for PacketError {
    fn from(e: CommandError) -> Self {
        PacketError::Command(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_names_its_outlet_word() {
        let words: Vec<&str> = [
            PacketError::Bytes(BytesError::Empty),
            PacketError::Decode(DecodeError::TooDeep),
            PacketError::TooManyLoads { loads: 5, max: 4 },
            PacketError::TooManyNames { name: "/x".into() },
        ]
        .iter()
        .map(|e| e.kind().word())
        .collect();
        assert_eq!(words, ["bytes", "decode", "args", "names"]);
        assert_eq!(
            PacketError::TooManyLoads { loads: 5, max: 4 }.to_string(),
            "5 /load messages in one packet (at most 4: that many files load at a time)"
        );
    }
}
