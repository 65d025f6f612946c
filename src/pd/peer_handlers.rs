//! The object's handlers for `/fsync/ping`, `/fsync/offset` and the peers'
//! control messages (`ping`, `allow`, `offset`, `remote-offset`): they take
//! `&mut State` and return `Out`s, as every handler does (see `emit.rs`).

use super::atoms::{float, gensym, symbol};
use super::clock::with_clock;
use super::emit::Out;
use super::ffi;
use super::net::Quiet;
use super::state::State;
use crate::core::atom::Atom;
use crate::core::input::osc;
use crate::core::input::packet;
use crate::core::input::refusal::ErrorKind;
use crate::core::peers::{self, PeerControl, PeerError, PeerRequest, Pong};
use crate::core::time::clock::ClockReading;
use std::net::SocketAddr;

/// Hook for the packet path: handles a bare message under `/fsync/` and
/// returns what goes out; any other packet (None) is left to the engine.
/// `now`: the clocks read when the packet reached the object.
pub fn packet(state: &mut State, atoms: &[Atom], now: ClockReading) -> Option<Vec<Out>> {
    // Cheap test on the first bytes before anything is converted.
    let head: Vec<u8> = atoms
        .iter()
        .take(peers::RESERVED_PREFIX.len())
        .map_while(|a| match a {
            Atom::Float(f) if (0.0..=255.0).contains(f) && f.fract() == 0.0 => Some(*f as u8),
            _ => None,
        })
        .collect();
    if !peers::is_reserved(&head) {
        // A reserved address inside a bundle would be forwarded to the patch as
        // if it were the patch's: refuse the packet (a byte scan; decoded only on a hit).
        if head.starts_with(b"#bundle") && contains_reserved(atoms) && bundle_has_reserved(atoms) {
            // As any rejected packet (engine: `error args`): a console line and `error reserved`.
            return Some(vec![
                Out::Error("packet dropped: /fsync/… addresses only come as bare messages, not in bundles".into()),
                Out::status("error", vec![symbol(gensym(ErrorKind::Reserved.word()))]),
            ]);
        }
        return None;
    }
    let request = packet::bytes_from_atoms(atoms)
        .map_err(PeerError::Bytes)
        .and_then(|bytes| osc::decode(&bytes).map_err(PeerError::Decode))
        .and_then(|messages| match messages.as_slice() {
            [one] => peers::parse_request(&one.message),
            _ => Err(PeerError::NotBare),
        });
    let mut outs = Vec::new();
    match request {
        Ok(PeerRequest::Ping { id, reply }) => ping(state, id, reply, now, &mut outs),
        Ok(PeerRequest::Offset { ms, reply }) => remote_offset(state, ms, reply, &mut outs),
        Err(e) => state.net.note_refusal(Quiet::BadMessage, &format!("reserved message refused: {e}"), &mut outs),
    }
    Some(outs)
}

/// Does the byte list hold "/fsync/" anywhere?
fn contains_reserved(atoms: &[Atom]) -> bool {
    let needle = peers::RESERVED_PREFIX;
    atoms
        .windows(needle.len())
        .any(|w| w.iter().zip(needle).all(|(a, &b)| matches!(a, Atom::Float(f) if *f == b as f32)))
}

fn bundle_has_reserved(atoms: &[Atom]) -> bool {
    let Ok(bytes) = packet::bytes_from_atoms(atoms) else { return false };
    osc::decode(&bytes).is_ok_and(|messages| messages.iter().any(|m| peers::is_reserved(m.message.addr.as_bytes())))
}

/// Answers a ping. The receipt time is when the datagram reached this machine:
/// the kernel's arrival stamp of the packet [netreceive] just read (SIOCGSTAMPNS
/// on Pd's UDP sockets), in this machine's wall clock, the one the timetag
/// mapping uses (wall − mono is exact there). Not the wall clock read when the
/// packet reaches the object, nor Pd's logical time of arrival mapped through
/// the filter: under JACK, Pd sleeps until the next period before it reads its
/// sockets, so both are late by 0..one period (5.3 ms at 256/48 kHz), on the
/// way in only, and half of that would show as clock offset. Without a stamp
/// (the first ping enables them; another OS) the read at arrival stands in.
fn ping(state: &mut State, id: i32, reply: SocketAddr, now: ClockReading, outs: &mut Vec<Out>) {
    let offset_s = state.net.settings.offset_ms / 1000.0;
    let (receipt_s, stamped) = match state.net.arrival_wall_s() {
        Some(t) => (t, true),
        None => (now.wall_s.0, false),
    };
    let logical = ffi::logical_time();
    let (jitter_ms, rate_ppm, has_estimate) = with_clock(|clock| {
        clock.note(now);
        let f = clock.filter();
        (f.jitter_ms(), (f.rate() - 1.0) * 1e6, clock.wall_of_logical(logical).is_some())
    });
    let mut pong = Pong {
        id,
        receipt_s: receipt_s + offset_s,
        reply_s: 0.0,
        latency_ms: state.engine.latency_ms(),
        jitter_ms,
        rate_ppm,
        offset_ms: state.net.settings.offset_ms,
        has_estimate,
        stamped,
    };
    pong.reply_s = ffi::wall_s() + offset_s;
    let bytes = pong.encode();
    if let Err((kind, e)) = state.net.answer(reply, &bytes) {
        state.net.note_refusal(kind, &format!("ping {id} not answered: {e}"), outs);
    }
}

fn remote_offset(state: &mut State, ms: f64, reply: Option<(i32, SocketAddr)>, outs: &mut Vec<Out>) {
    let applied = state.net.settings.remote_offset;
    if applied {
        set_offset(state, ms, "from the network", outs);
    } else {
        state.net.note_refusal(Quiet::Off, &format!("/fsync/offset {ms} refused (-remote-offset off)"), outs);
    }
    if let Some((id, to)) = reply {
        let bytes = peers::offset_set(id, state.net.settings.offset_ms, applied);
        if let Err((kind, e)) = state.net.answer(to, &bytes) {
            state.net.note_refusal(kind, &format!("/fsync/offset not acknowledged: {e}"), outs);
        }
    }
}

fn set_offset(state: &mut State, ms: f64, source: &str, outs: &mut Vec<Out>) {
    state.net.settings.offset_ms = ms;
    // (Queued events re-map: audio at the next block, forwarded messages when
    // the caller refreshes them.)
    state.engine.set_clock_offset(ms);
    outs.push(Out::Post(format!(
        "fsync~: clock offset {ms:.3} ms ({source}): plays as if this machine's clock read {ms:.3} ms more"
    )));
    outs.push(Out::status("offset", vec![float(ms as f32)]));
}

/// Applies the creation flag `-offset` (after the engine exists).
pub fn init(state: &mut State) {
    let ms = state.net.settings.offset_ms;
    if ms != 0.0 {
        state.engine.set_clock_offset(ms);
    }
}

/// Hook for control messages: `ping on|off`, `allow <host|CIDR>`, `offset <ms>`,
/// `remote-offset on|off`: what goes out, or None when the selector is none of these.
pub fn control(state: &mut State, selector: &str, args: &[Atom]) -> Option<Vec<Out>> {
    let parsed = peers::parse_control(selector, args)?;
    let mut outs = Vec::new();
    let result = parsed.and_then(|c| {
        state.net.settings.apply(&c)?;
        if let PeerControl::Offset(ms) = c {
            set_offset(state, ms, "from the patch", &mut outs);
        }
        Ok(())
    });
    if let Err(e) = result {
        outs.push(Out::Error(e.to_string()));
    }
    Some(outs)
}
