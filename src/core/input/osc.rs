//! Decoding one OSC packet (with rosc) into a flat list of messages, each with
//! the timetag that governs it.

use crate::core::time::timetag::When;
use rosc::{OscMessage, OscPacket};
use std::fmt;

/// Bundles nested deeper than this are refused before rosc (which recurses) sees them.
pub const MAX_BUNDLE_DEPTH: usize = 8;

#[derive(Clone, Debug, PartialEq)]
pub struct TimedMessage {
    pub when: When,
    pub message: OscMessage,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DecodeError {
    Osc(String),
    TrailingBytes(usize),
    TooDeep,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            DecodeError::Osc(e) => write!(f, "not a valid OSC packet: {e}"),
            DecodeError::TrailingBytes(n) => {
                write!(f, "not a valid OSC packet: {n} bytes left over (truncated or misaligned bundle element)")
            }
            DecodeError::TooDeep => write!(f, "bundles nested deeper than {MAX_BUNDLE_DEPTH} levels"),
        }
    }
}

pub fn decode(bytes: &[u8]) -> Result<Vec<TimedMessage>, DecodeError> {
    if bundle_depth(bytes, 0) > MAX_BUNDLE_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    let (rest, packet) = rosc::decoder::decode_udp(bytes).map_err(|e| DecodeError::Osc(e.to_string()))?;
    // rosc stops quietly at a bad bundle element; a whole datagram must be used up.
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes(rest.len()));
    }
    let mut out = Vec::new();
    flatten(packet, When::Immediately, &mut out);
    Ok(out)
}

/// An inner bundle's own timetag governs its messages; an inner "immediately"
/// means "when the enclosing bundle happens".
fn flatten(packet: OscPacket, enclosing: When, out: &mut Vec<TimedMessage>) {
    match packet {
        OscPacket::Message(message) => out.push(TimedMessage { when: enclosing, message }),
        OscPacket::Bundle(bundle) => {
            let when = match When::from_rosc(bundle.timetag) {
                When::Immediately => enclosing,
                at => at,
            };
            for inner in bundle.content {
                flatten(inner, when, out);
            }
        }
    }
}

const BUNDLE_HEADER: &[u8] = b"#bundle\0";

/// Nesting depth of bundles, read from the framing only (cheap, no recursion
/// beyond the cap).
fn bundle_depth(bytes: &[u8], depth: usize) -> usize {
    if depth > MAX_BUNDLE_DEPTH || !bytes.starts_with(BUNDLE_HEADER) {
        return depth;
    }
    let mut deepest = depth + 1;
    let mut at = BUNDLE_HEADER.len() + 8;
    while at + 4 <= bytes.len() {
        let size = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let start = at + 4;
        let Some(end) = start.checked_add(size).filter(|&e| e <= bytes.len()) else { break };
        deepest = deepest.max(bundle_depth(&bytes[start..end], depth + 1));
        if deepest > MAX_BUNDLE_DEPTH {
            break;
        }
        at = end;
    }
    deepest
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::time::timetag::Timetag;
    use rosc::{encoder, OscBundle, OscTime, OscType};

    pub fn message(addr: &str, args: Vec<OscType>) -> OscPacket {
        OscPacket::Message(OscMessage { addr: addr.to_string(), args })
    }

    pub fn bundle(seconds: u32, fractional: u32, content: Vec<OscPacket>) -> OscPacket {
        OscPacket::Bundle(OscBundle { timetag: OscTime { seconds, fractional }, content })
    }

    fn at(seconds: u32, fraction: u32) -> When {
        When::At(Timetag { seconds, fraction })
    }

    #[test]
    fn bare_message_is_immediate() {
        let bytes = encoder::encode(&message("/play", vec![OscType::String("a".into())])).unwrap();
        let out = decode(&bytes).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].when, When::Immediately);
        assert_eq!(out[0].message.addr, "/play");
    }

    #[test]
    fn nested_bundles_keep_their_own_timetags() {
        let packet = bundle(
            5,
            0,
            vec![
                message("/a", vec![]),
                bundle(7, 0, vec![message("/b", vec![])]),
                bundle(0, 1, vec![message("/c", vec![])]),
                message("/d", vec![]),
            ],
        );
        let out = decode(&encoder::encode(&packet).unwrap()).unwrap();
        let got: Vec<(&str, When)> = out.iter().map(|m| (m.message.addr.as_str(), m.when)).collect();
        assert_eq!(got, vec![("/a", at(5, 0)), ("/b", at(7, 0)), ("/c", at(5, 0)), ("/d", at(5, 0))]);
    }

    #[test]
    fn truncated_and_garbage_are_refused() {
        let bytes = encoder::encode(&bundle(1, 0, vec![message("/a", vec![OscType::Int(3)])])).unwrap();
        // A cut at 16 leaves "#bundle" + timetag: an empty bundle, which is valid OSC.
        for cut in (1..bytes.len()).filter(|&c| c != 16) {
            assert!(decode(&bytes[..cut]).is_err(), "accepted a packet cut at {cut}");
        }
        assert!(decode(b"hello").is_err());
        assert!(decode(b"/a\0\0,Q\0\0").is_err(), "unknown type tag");
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0, 0, 0, 0]);
        assert!(decode(&padded).is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut p = message("/x", vec![]);
        for _ in 0..(MAX_BUNDLE_DEPTH + 1) {
            p = bundle(1, 0, vec![p]);
        }
        assert_eq!(decode(&encoder::encode(&p).unwrap()), Err(DecodeError::TooDeep));
        let mut ok = message("/x", vec![]);
        for _ in 0..MAX_BUNDLE_DEPTH {
            ok = bundle(1, 0, vec![ok]);
        }
        assert!(decode(&encoder::encode(&ok).unwrap()).is_ok());
    }
}
