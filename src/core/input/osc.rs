//! Decoding one OSC packet (with rosc) into a flat list of messages, each with
//! the timetag that governs it.

use crate::core::time::timetag::When;
use rosc::{OscMessage, OscPacket};
use std::fmt;

/// Bundles nested deeper than this are refused before rosc (which recurses) sees them.
pub const MAX_BUNDLE_DEPTH: usize = 8;
/// OSC arrays (`[` … `]` in the type tags) nested deeper than this are refused
/// before rosc builds them: nested values are handled (and dropped) by
/// recursion, and one datagram holds 32 000 levels, enough to overflow any stack.
pub const MAX_ARRAY_DEPTH: usize = 8;

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
    ArraysTooDeep,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            DecodeError::Osc(e) => write!(f, "not a valid OSC packet: {e}"),
            DecodeError::TrailingBytes(n) => {
                write!(f, "not a valid OSC packet: {n} bytes left over (truncated or misaligned bundle element)")
            }
            DecodeError::TooDeep => write!(f, "bundles nested deeper than {MAX_BUNDLE_DEPTH} levels"),
            DecodeError::ArraysTooDeep => write!(f, "OSC arrays nested deeper than {MAX_ARRAY_DEPTH} levels"),
        }
    }
}

pub fn decode(bytes: &[u8]) -> Result<Vec<TimedMessage>, DecodeError> {
    check_nesting(bytes, 0, bytes.len(), 0)?;
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

/// Refuses bundles and arrays nested too deep, reading only the framing and
/// the type tags of the element `datagram[start..end]` inside `bundles`
/// enclosing bundles (recursion ends at MAX_BUNDLE_DEPTH). Offsets are from
/// the start of the datagram because rosc pads strings relative to it; what
/// rosc would refuse anyway is left to rosc.
fn check_nesting(datagram: &[u8], start: usize, end: usize, bundles: usize) -> Result<(), DecodeError> {
    let element = &datagram[start..end];
    if !element.starts_with(BUNDLE_HEADER) {
        return if array_depth(datagram, start, end) > MAX_ARRAY_DEPTH {
            Err(DecodeError::ArraysTooDeep)
        } else {
            Ok(())
        };
    }
    if bundles + 1 > MAX_BUNDLE_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    let mut at = start + BUNDLE_HEADER.len() + 8;
    while at + 4 <= end {
        let size = u32::from_be_bytes([datagram[at], datagram[at + 1], datagram[at + 2], datagram[at + 3]]) as usize;
        let inner = at + 4;
        let Some(inner_end) = inner.checked_add(size).filter(|&e| e <= end) else { break };
        check_nesting(datagram, inner, inner_end, bundles + 1)?;
        at = inner_end;
    }
    Ok(())
}

/// How deep `[` nests in the type tags of the message `datagram[start..end]`
/// (stops counting past the limit).
fn array_depth(datagram: &[u8], start: usize, end: usize) -> usize {
    let Some(address_len) = datagram[start..end].iter().position(|&b| b == 0) else { return 0 };
    let tags_start = (start + address_len + 1).next_multiple_of(4);
    if tags_start >= end {
        return 0;
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    for &tag in datagram[tags_start..end].iter().take_while(|&&b| b != 0) {
        match tag {
            b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_ARRAY_DEPTH {
                    break;
                }
            }
            b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::time::timetag::Timetag;
    use rosc::{OscArray, OscBundle, OscTime, OscType, encoder};

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

    /// `/x ,[[…]]`: `levels` nested arrays, as bytes (rosc's encoder recurses, so not with it).
    pub fn nested_arrays(levels: usize) -> Vec<u8> {
        let mut bytes = b"/x\0\0,".to_vec();
        bytes.extend(std::iter::repeat_n(b'[', levels));
        bytes.extend(std::iter::repeat_n(b']', levels));
        bytes.push(0);
        while !bytes.len().is_multiple_of(4) {
            bytes.push(0);
        }
        bytes
    }

    #[test]
    fn deep_arrays_are_refused_before_rosc_builds_them() {
        assert_eq!(decode(&nested_arrays(MAX_ARRAY_DEPTH + 1)), Err(DecodeError::ArraysTooDeep));
        assert_eq!(decode(&nested_arrays(30_000)), Err(DecodeError::ArraysTooDeep));
        let ok = decode(&nested_arrays(MAX_ARRAY_DEPTH)).unwrap();
        assert!(matches!(ok[0].message.args[0], OscType::Array(_)));
        // Inside a bundle too, and siblings count separately: [[]] [[]] is depth 2.
        let mut inner = nested_arrays(MAX_ARRAY_DEPTH + 1);
        let mut packet = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
        packet.extend((inner.len() as u32).to_be_bytes());
        packet.append(&mut inner);
        assert_eq!(decode(&packet), Err(DecodeError::ArraysTooDeep));
        let pair =
            |i| OscType::Array(OscArray { content: vec![OscType::Array(OscArray { content: vec![OscType::Int(i)] })] });
        let siblings = encoder::encode(&message("/x", vec![pair(1), pair(2)])).unwrap();
        assert_eq!(array_depth(&siblings, 0, siblings.len()), 2);
        assert!(decode(&siblings).is_ok());
    }

    #[test]
    fn brackets_inside_string_arguments_are_not_nesting() {
        let bytes = encoder::encode(&message("/x", vec![OscType::String("[".repeat(100))])).unwrap();
        assert!(decode(&bytes).is_ok());
    }
}
