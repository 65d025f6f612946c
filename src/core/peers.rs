//! Sites that can see each other: the reserved OSC addresses `/fsync/ping`
//! (a clock check: fsync-check's four-timestamp exchange) and `/fsync/offset`
//! (the correction it applies), and the rules for answering them. Pure: the
//! shell (src/pd/net.rs) owns the socket and reads the clocks.
//!
//! A ping names where its answer goes (`[netreceive]` does not tell the object
//! who sent a packet), so the answer address is untrusted: it must be loopback,
//! on a network this machine is directly attached to, or allowed by the patch
//! (`-allow`). Answers are rate-limited; `-ping off` switches them off.

use super::atom::Atom;
use super::input::osc::DecodeError;
use super::input::packet::BytesError;
use rosc::{OscMessage, OscPacket, OscType};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub const PING_ADDRESS: &str = "/fsync/ping";
pub const PONG_ADDRESS: &str = "/fsync/pong";
pub const OFFSET_ADDRESS: &str = "/fsync/offset";
/// The answer to an `/fsync/offset` that named a reply address.
pub const OFFSET_SET_ADDRESS: &str = "/fsync/offset/set";
/// Every address under this prefix is the object's own: never forwarded to the patch.
pub const RESERVED_PREFIX: &[u8] = b"/fsync/";
/// A correction is a clock error, not a schedule: beyond a second the site's clock needs NTP.
pub const MAX_OFFSET_MS: f64 = 1000.0;
/// Answers per second per object (and the burst allowed at once).
pub const ANSWERS_PER_S: f64 = 20.0;
/// `-allow` entries per object.
pub const MAX_ALLOWED: usize = 64;

pub const PING_USAGE: &str = "usage: /fsync/ping <id:i> <reply_port:i> [reply_host:s]";
pub const OFFSET_USAGE: &str = "usage: /fsync/offset <ms:f> [<id:i> <reply_port:i> [reply_host:s]]";

/// A reserved message or a peers setting refused (said on the console; nothing changes).
#[derive(Clone, Debug, PartialEq)]
pub enum PeerError {
    /// Not a numeric address or block: the text given.
    NotAnAddress(String),
    /// The prefix after '/' is not 0..`max`.
    Prefix {
        text: String,
        max: u8,
    },
    /// A request with the wrong number of reply arguments.
    ArgCount {
        count: usize,
        usage: &'static str,
    },
    Id {
        usage: &'static str,
    },
    Port {
        usage: &'static str,
    },
    HostNotNumeric {
        usage: &'static str,
    },
    HostNotString {
        usage: &'static str,
    },
    /// `/fsync/offset` with nothing.
    NoArguments,
    OffsetNotNumber,
    /// An offset beyond ±`MAX_OFFSET_MS`.
    Offset(f64),
    /// An address under `/fsync/` that is neither ping nor offset.
    Reserved(String),
    /// The list is not one datagram of bytes.
    Bytes(BytesError),
    /// The bytes are not an OSC packet.
    Decode(DecodeError),
    /// A reserved message inside a bundle or beside others.
    NotBare,
    /// The selector, which takes one argument.
    NeedsOneArgument(String),
    /// `what` takes on or off: the word given.
    OnOff {
        what: &'static str,
        word: String,
    },
    /// `offset` without one number.
    OffsetNeedsNumber,
    AllowFull,
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PeerError::NotAnAddress(text) => {
                write!(f, "'{text}' is not a numeric IPv4/IPv6 address or CIDR block (e.g. 192.168.1.0/24)")
            }
            PeerError::Prefix { text, max } => write!(f, "'{text}': prefix must be 0..{max}"),
            PeerError::ArgCount { count, usage } => write!(f, "{count} arguments; {usage}"),
            PeerError::Id { usage } => write!(f, "id must be an int32; {usage}"),
            PeerError::Port { usage } => write!(f, "reply port must be 1..65535; {usage}"),
            PeerError::HostNotNumeric { usage } => write!(f, "reply host must be a numeric IP address; {usage}"),
            PeerError::HostNotString { usage } => write!(f, "reply host must be a string; {usage}"),
            PeerError::NoArguments => write!(f, "no arguments; {OFFSET_USAGE}"),
            PeerError::OffsetNotNumber => write!(f, "offset must be a finite number of ms; {OFFSET_USAGE}"),
            PeerError::Offset(ms) => {
                write!(f, "offset must be a number of ms in -{MAX_OFFSET_MS}..{MAX_OFFSET_MS}, not {ms}")
            }
            PeerError::Reserved(other) => {
                write!(f, "'{other}' is reserved for fsync~ itself (known: {PING_ADDRESS}, {OFFSET_ADDRESS})")
            }
            PeerError::Bytes(e) => e.fmt(f),
            PeerError::Decode(e) => e.fmt(f),
            PeerError::NotBare => f.write_str("a reserved message must be a bare message"),
            PeerError::NeedsOneArgument(selector) => write!(f, "'{selector}' needs one argument"),
            PeerError::OnOff { what, word } => write!(f, "{what} must be 'on' or 'off', not '{word}'"),
            PeerError::OffsetNeedsNumber => {
                write!(f, "'offset' needs one number of ms (-{MAX_OFFSET_MS}..{MAX_OFFSET_MS})")
            }
            PeerError::AllowFull => write!(f, "allow: at most {MAX_ALLOWED} entries"),
        }
    }
}

/// An address block: `192.168.1.0/24`, `fe80::/10`, or one host (full prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn host(addr: IpAddr) -> Cidr {
        Cidr { addr, prefix: if addr.is_ipv4() { 32 } else { 128 } }
    }

    /// `host` or `host/prefix` (numeric addresses only: no name lookups on Pd's thread).
    pub fn parse(text: &str) -> Result<Cidr, PeerError> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| PeerError::NotAnAddress(text.to_string()))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or_else(|| PeerError::Prefix { text: text.to_string(), max })?,
        };
        Ok(Cidr { addr, prefix })
    }

    /// The block of an interface address with its netmask (from getifaddrs).
    pub fn of_interface(addr: IpAddr, netmask: IpAddr) -> Cidr {
        let prefix = match netmask {
            IpAddr::V4(m) => u32::from(m).count_ones() as u8,
            IpAddr::V6(m) => u128::from(m).count_ones() as u8,
        };
        Cidr { addr, prefix }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, unmap(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix.min(32)) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix.min(128)) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// `::ffff:a.b.c.d` is the IPv4 host it names.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// What a reserved message asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PeerRequest {
    Ping {
        id: i32,
        reply: SocketAddr,
    },
    /// Set the correction; answer `/fsync/offset/set <id> <ms>` at `reply` if given.
    Offset {
        ms: f64,
        reply: Option<(i32, SocketAddr)>,
    },
}

/// True for a bare OSC message (not a bundle) whose address starts with `/fsync/`.
/// Cheap: the shell calls it on every packet before anything is decoded.
pub fn is_reserved(bytes: &[u8]) -> bool {
    bytes.starts_with(RESERVED_PREFIX)
}

fn int(arg: &OscType) -> Option<i64> {
    match *arg {
        OscType::Int(i) => Some(i as i64),
        OscType::Long(l) => Some(l),
        OscType::Float(f) if f.fract() == 0.0 && f.abs() < 1e9 => Some(f as i64),
        OscType::Double(d) if d.fract() == 0.0 && d.abs() < 1e9 => Some(d as i64),
        _ => None,
    }
}

fn number(arg: &OscType) -> Option<f64> {
    let v = match *arg {
        OscType::Int(i) => i as f64,
        OscType::Long(l) => l as f64,
        OscType::Float(f) => f as f64,
        OscType::Double(d) => d,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

/// `<id> <port> [host]` → where to answer (host default 127.0.0.1: a checker on this machine).
fn reply_address(args: &[OscType], usage: &'static str) -> Result<(i32, SocketAddr), PeerError> {
    let (id, port, host) = match args {
        [id, port] => (id, port, None),
        [id, port, host] => (id, port, Some(host)),
        _ => return Err(PeerError::ArgCount { count: args.len(), usage }),
    };
    let id = int(id).and_then(|i| i32::try_from(i).ok()).ok_or(PeerError::Id { usage })?;
    let port = int(port).filter(|p| (1..=65535).contains(p)).ok_or(PeerError::Port { usage })? as u16;
    let host = match host {
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(OscType::String(h)) => h.parse::<IpAddr>().map_err(|_| PeerError::HostNotNumeric { usage })?,
        Some(_) => return Err(PeerError::HostNotString { usage }),
    };
    Ok((id, SocketAddr::new(host, port)))
}

/// Reads a reserved message (the shell decoded it with `osc::decode`).
pub fn parse_request(message: &OscMessage) -> Result<PeerRequest, PeerError> {
    match message.addr.as_str() {
        PING_ADDRESS => reply_address(&message.args, PING_USAGE).map(|(id, reply)| PeerRequest::Ping { id, reply }),
        OFFSET_ADDRESS => {
            let (ms, rest) = match message.args.split_first() {
                Some((ms, rest)) => (ms, rest),
                None => return Err(PeerError::NoArguments),
            };
            let ms = number(ms).ok_or(PeerError::OffsetNotNumber).and_then(check_offset)?;
            let reply = if rest.is_empty() { None } else { Some(reply_address(rest, OFFSET_USAGE)?) };
            Ok(PeerRequest::Offset { ms, reply })
        }
        other => Err(PeerError::Reserved(other.to_string())),
    }
}

pub fn check_offset(ms: f64) -> Result<f64, PeerError> {
    (ms.is_finite() && ms.abs() <= MAX_OFFSET_MS).then_some(ms).ok_or(PeerError::Offset(ms))
}

/// What the site says about its clock in a `/fsync/pong`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pong {
    pub id: i32,
    /// Wall-clock time (unix s, corrected by the offset) when the ping was handled.
    pub receipt_s: f64,
    /// The same clock just before the answer was sent.
    pub reply_s: f64,
    pub latency_ms: f64,
    pub jitter_ms: f64,
    pub rate_ppm: f64,
    /// The correction in force (ms), so a checker can add to it.
    pub offset_ms: f64,
    /// False before the first DSP tick: the site cannot map timetags yet.
    pub has_estimate: bool,
    /// The receipt is the kernel's arrival stamp (else: the clock read when Pd
    /// handled the packet, late by however long Pd took to read its socket).
    pub stamped: bool,
}

impl Pong {
    /// `/fsync/pong <id:i> <receipt:d> <reply:d> <latency_ms:d> <jitter_ms:d> <rate_ppm:d> <offset_ms:d> <estimate:i> <stamped:i>`.
    pub fn encode(&self) -> Vec<u8> {
        let args = vec![
            OscType::Int(self.id),
            OscType::Double(self.receipt_s),
            OscType::Double(self.reply_s),
            OscType::Double(self.latency_ms),
            OscType::Double(self.jitter_ms),
            OscType::Double(self.rate_ppm),
            OscType::Double(self.offset_ms),
            OscType::Int(self.has_estimate as i32),
            OscType::Int(self.stamped as i32),
        ];
        encode(PONG_ADDRESS, args)
    }
}

/// `/fsync/offset/set <id:i> <ms:d>`: the correction now in force (or refused: `applied` 0).
pub fn offset_set(id: i32, ms: f64, applied: bool) -> Vec<u8> {
    encode(OFFSET_SET_ADDRESS, vec![OscType::Int(id), OscType::Double(ms), OscType::Int(applied as i32)])
}

fn encode(addr: &str, args: Vec<OscType>) -> Vec<u8> {
    // Encoding a message of ints and doubles cannot fail.
    rosc::encoder::encode(&OscPacket::Message(OscMessage { addr: addr.to_string(), args })).unwrap_or_default()
}

/// A token bucket: `ANSWERS_PER_S` answers a second, as a burst or spread.
#[derive(Clone, Debug)]
pub struct RateLimit {
    tokens: f64,
    last_s: Option<f64>,
    pub refused: u64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit { tokens: ANSWERS_PER_S, last_s: None, refused: 0 }
    }
}

impl RateLimit {
    /// May one more answer go out at (monotonic) `now_s`?
    pub fn take(&mut self, now_s: f64) -> bool {
        if let Some(last) = self.last_s {
            let elapsed = (now_s - last).max(0.0);
            self.tokens = (self.tokens + elapsed * ANSWERS_PER_S).min(ANSWERS_PER_S);
        }
        self.last_s = Some(now_s);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.refused += 1;
            false
        }
    }
}

/// The patch's choices (flags and messages).
#[derive(Clone, Debug, PartialEq)]
pub struct PeerSettings {
    /// `-ping on|off`: answer `/fsync/ping` (and acknowledge `/fsync/offset`).
    pub ping: bool,
    /// `-remote-offset on|off`: accept `/fsync/offset` from the network.
    pub remote_offset: bool,
    /// `-allow <host|CIDR>`: more places answers may go.
    pub allowed: Vec<Cidr>,
    /// `-offset <ms>`: the correction at creation.
    pub offset_ms: f64,
}

impl Default for PeerSettings {
    fn default() -> Self {
        PeerSettings { ping: true, remote_offset: true, allowed: Vec::new(), offset_ms: 0.0 }
    }
}

/// Why an answer was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Off,
    NotAllowed,
    RateLimited,
}

/// May an answer go to `to`? `attached`: the networks of this machine's interfaces.
pub fn may_answer(
    settings: &PeerSettings,
    attached: &[Cidr],
    limit: &mut RateLimit,
    to: IpAddr,
    now_s: f64,
) -> Result<(), Refusal> {
    if !settings.ping {
        return Err(Refusal::Off);
    }
    let ip = unmap(to);
    let allowed = ip.is_loopback() || attached.iter().chain(&settings.allowed).any(|c| c.contains(ip));
    // Never: multicast/broadcast/unspecified, whatever a block says (one ping, many answers).
    let bad = ip.is_multicast()
        || ip.is_unspecified()
        || matches!(ip, IpAddr::V4(v4) if v4.is_broadcast() || v4.octets()[3] == 255);
    if !allowed || bad {
        return Err(Refusal::NotAllowed);
    }
    if !limit.take(now_s) {
        return Err(Refusal::RateLimited);
    }
    Ok(())
}

/// A patch message for the peers part: `ping on|off`, `allow <host|CIDR>`,
/// `offset <ms>`, `remote-offset on|off`.
#[derive(Clone, Debug, PartialEq)]
pub enum PeerControl {
    Ping(bool),
    Allow(Cidr),
    Offset(f64),
    RemoteOffset(bool),
}

fn on_off(what: &'static str, word: &str) -> Result<bool, PeerError> {
    match word {
        "on" | "1" => Ok(true),
        "off" | "0" => Ok(false),
        other => Err(PeerError::OnOff { what, word: other.to_string() }),
    }
}

fn atom_word(a: Option<&Atom>) -> Option<String> {
    match a {
        Some(Atom::Symbol(s)) => Some(s.to_string()),
        Some(Atom::Float(f)) => Some(format!("{f}")),
        _ => None,
    }
}

/// None when `selector` is not one of ours (the core's controls handle it).
pub fn parse_control(selector: &str, args: &[Atom]) -> Option<Result<PeerControl, PeerError>> {
    let one = || {
        (args.len() == 1)
            .then(|| atom_word(args.first()))
            .flatten()
            .ok_or_else(|| PeerError::NeedsOneArgument(selector.to_string()))
    };
    Some(match selector {
        "ping" => one().and_then(|w| on_off("ping", &w)).map(PeerControl::Ping),
        "remote-offset" => one().and_then(|w| on_off("remote-offset", &w)).map(PeerControl::RemoteOffset),
        "allow" => one().and_then(|w| Cidr::parse(&w)).map(PeerControl::Allow),
        "offset" => match args {
            [Atom::Float(f)] => check_offset(*f as f64).map(PeerControl::Offset),
            _ => Err(PeerError::OffsetNeedsNumber),
        },
        _ => return None,
    })
}

impl PeerSettings {
    pub fn apply(&mut self, c: &PeerControl) -> Result<(), PeerError> {
        match *c {
            PeerControl::Ping(on) => self.ping = on,
            PeerControl::RemoteOffset(on) => self.remote_offset = on,
            PeerControl::Offset(ms) => self.offset_ms = ms,
            PeerControl::Allow(cidr) => {
                if self.allowed.len() >= MAX_ALLOWED {
                    return Err(PeerError::AllowFull);
                }
                if !self.allowed.contains(&cidr) {
                    self.allowed.push(cidr);
                }
            }
        }
        Ok(())
    }
}

/// A peers creation flag refused: `-<flag>: <error>` on the console.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerFlagError {
    /// The flag without its '-'.
    pub flag: String,
    pub error: PeerError,
}

impl fmt::Display for PeerFlagError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "-{}: {}", self.flag, self.error)
    }
}

/// Takes this part's creation flags (`-ping`, `-allow`, `-offset`,
/// `-remote-offset`) out of `atoms`; the rest goes to `settings::parse_flags`.
pub fn take_flags<'a>(atoms: &[Atom<'a>]) -> (PeerSettings, Vec<Atom<'a>>, Vec<PeerFlagError>) {
    let mut settings = PeerSettings::default();
    let mut rest = Vec::with_capacity(atoms.len());
    let mut errors = Vec::new();
    let mut i = 0;
    while i < atoms.len() {
        let selector = match atoms[i] {
            Atom::Symbol(f @ ("-ping" | "-allow" | "-offset" | "-remote-offset")) => &f[1..],
            other => {
                rest.push(other);
                i += 1;
                continue;
            }
        };
        let value: Vec<Atom> = atoms.get(i + 1).copied().into_iter().collect();
        i += 1 + value.len();
        // (Always Some: `selector` is one of parse_control's.)
        if let Some(Err(e)) = parse_control(selector, &value).map(|p| p.and_then(|c| settings.apply(&c))) {
            errors.push(PeerFlagError { flag: selector.to_string(), error: e });
        }
    }
    (settings, rest, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage { addr: addr.into(), args }
    }

    #[test]
    fn cidr_blocks() {
        let lan = Cidr::parse("192.168.1.0/24").unwrap();
        assert!(lan.contains("192.168.1.77".parse().unwrap()));
        assert!(!lan.contains("192.168.2.1".parse().unwrap()));
        assert!(lan.contains("::ffff:192.168.1.5".parse().unwrap()), "v4-mapped v6 is the v4 host");
        assert!(!lan.contains("fe80::1".parse().unwrap()));
        let v6 = Cidr::parse("fe80::/10").unwrap();
        assert!(v6.contains("fe80::abcd".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.1").unwrap().prefix, 32);
        for bad in ["10.0.0.0/33", "example.org", "10.0.0/8", "fe80::/129", "", "1.2.3.4/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
        let iface = Cidr::of_interface("198.18.0.3".parse().unwrap(), "255.255.255.0".parse().unwrap());
        assert_eq!(iface.prefix, 24);
        assert!(iface.contains("198.18.0.9".parse().unwrap()));
    }

    #[test]
    fn ping_and_offset_requests() {
        assert_eq!(
            parse_request(&msg(PING_ADDRESS, vec![OscType::Int(7), OscType::Int(9000)])),
            Ok(PeerRequest::Ping { id: 7, reply: "127.0.0.1:9000".parse().unwrap() })
        );
        assert_eq!(
            parse_request(&msg(
                PING_ADDRESS,
                vec![OscType::Int(-1), OscType::Int(9000), OscType::String("::1".into())]
            )),
            Ok(PeerRequest::Ping { id: -1, reply: "[::1]:9000".parse().unwrap() })
        );
        assert_eq!(
            parse_request(&msg(OFFSET_ADDRESS, vec![OscType::Double(-5.0)])),
            Ok(PeerRequest::Offset { ms: -5.0, reply: None })
        );
        assert_eq!(
            parse_request(&msg(
                OFFSET_ADDRESS,
                vec![OscType::Float(2.5), OscType::Int(3), OscType::Int(9001), OscType::String("198.18.0.1".into())]
            )),
            Ok(PeerRequest::Offset { ms: 2.5, reply: Some((3, "198.18.0.1:9001".parse().unwrap())) })
        );
    }

    #[test]
    fn bad_requests_are_refused() {
        for (addr, args) in [
            (PING_ADDRESS, vec![]),
            (PING_ADDRESS, vec![OscType::Int(1)]),
            (PING_ADDRESS, vec![OscType::Int(1), OscType::Int(0)]),
            (PING_ADDRESS, vec![OscType::Int(1), OscType::Int(70000)]),
            (PING_ADDRESS, vec![OscType::Int(1), OscType::Int(9000), OscType::String("example.org".into())]),
            (PING_ADDRESS, vec![OscType::Int(1), OscType::Int(9000), OscType::Int(4)]),
            (PING_ADDRESS, vec![OscType::String("x".into()), OscType::Int(9000)]),
            (PING_ADDRESS, vec![OscType::Int(1), OscType::Int(9000), OscType::String("::1".into()), OscType::Int(0)]),
            (OFFSET_ADDRESS, vec![]),
            (OFFSET_ADDRESS, vec![OscType::Double(1000.5)]),
            (OFFSET_ADDRESS, vec![OscType::Double(f64::NAN)]),
            (OFFSET_ADDRESS, vec![OscType::String("5".into())]),
            (OFFSET_ADDRESS, vec![OscType::Double(1.0), OscType::Int(1)]),
            ("/fsync/other", vec![]),
        ] {
            assert!(parse_request(&msg(addr, args.clone())).is_err(), "{addr} {args:?}");
        }
        assert_eq!(parse_request(&msg(OFFSET_ADDRESS, vec![OscType::Double(1000.5)])), Err(PeerError::Offset(1000.5)));
        assert_eq!(
            parse_request(&msg(PING_ADDRESS, vec![OscType::Int(1), OscType::Int(0)])),
            Err(PeerError::Port { usage: PING_USAGE })
        );
        assert_eq!(
            parse_control("ping", &[Atom::Symbol("maybe")]),
            Some(Err(PeerError::OnOff { what: "ping", word: "maybe".into() }))
        );
        assert_eq!(
            PeerError::OnOff { what: "ping", word: "maybe".into() }.to_string(),
            "ping must be 'on' or 'off', not 'maybe'"
        );
    }

    #[test]
    fn answers_go_only_where_allowed() {
        let mut s = PeerSettings::default();
        let attached = [Cidr::parse("198.18.0.0/24").unwrap()];
        let mut limit = RateLimit::default();
        let mut ask = |s: &PeerSettings, ip: &str, t: f64| may_answer(s, &attached, &mut limit, ip.parse().unwrap(), t);
        assert_eq!(ask(&s, "127.0.0.1", 0.0), Ok(()));
        assert_eq!(ask(&s, "::1", 0.1), Ok(()));
        assert_eq!(ask(&s, "198.18.0.7", 0.2), Ok(()));
        assert_eq!(ask(&s, "8.8.8.8", 0.3), Err(Refusal::NotAllowed));
        assert_eq!(ask(&s, "198.18.0.255", 0.3), Err(Refusal::NotAllowed), "a broadcast address");
        assert_eq!(ask(&s, "239.255.0.1", 0.3), Err(Refusal::NotAllowed), "a multicast group");
        s.apply(&PeerControl::Allow(Cidr::parse("8.8.8.0/24").unwrap())).unwrap();
        assert_eq!(ask(&s, "8.8.8.8", 0.4), Ok(()));
        s.apply(&PeerControl::Allow(Cidr::parse("0.0.0.0/0").unwrap())).unwrap();
        assert_eq!(ask(&s, "255.255.255.255", 0.4), Err(Refusal::NotAllowed), "not even with 0/0");
        s.apply(&PeerControl::Ping(false)).unwrap();
        assert_eq!(ask(&s, "127.0.0.1", 0.5), Err(Refusal::Off));
    }

    #[test]
    fn at_most_twenty_answers_a_second() {
        let mut limit = RateLimit::default();
        // 1000 pings in one second: the burst, then the refill.
        let sent = (0..1000).filter(|&k| limit.take(k as f64 / 1000.0)).count();
        assert!((20..=41).contains(&sent), "{sent}");
        assert_eq!(limit.refused as usize, 1000 - sent);
        // Spread over 10 s at 10/s: all answered.
        let mut limit = RateLimit::default();
        assert!((0..100).all(|k| limit.take(10.0 + k as f64 / 10.0)));
    }

    #[test]
    fn flags_are_taken_out() {
        let atoms = [
            Atom::Symbol("-latency"),
            Atom::Float(3.0),
            Atom::Symbol("-offset"),
            Atom::Float(-5.0),
            Atom::Symbol("-allow"),
            Atom::Symbol("10.0.0.0/8"),
            Atom::Symbol("-ping"),
            Atom::Symbol("off"),
            Atom::Symbol("-remote-offset"),
            Atom::Symbol("off"),
            Atom::Symbol("-clock"),
            Atom::Symbol("logical"),
        ];
        let (s, rest, errors) = take_flags(&atoms);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(s.offset_ms, -5.0);
        assert!(!s.ping && !s.remote_offset);
        assert_eq!(s.allowed, vec![Cidr::parse("10.0.0.0/8").unwrap()]);
        assert_eq!(
            rest,
            vec![Atom::Symbol("-latency"), Atom::Float(3.0), Atom::Symbol("-clock"), Atom::Symbol("logical")]
        );
        let (s, _, errors) = take_flags(&[
            Atom::Symbol("-offset"),
            Atom::Float(5000.0),
            Atom::Symbol("-allow"),
            Atom::Symbol("host.example"),
        ]);
        assert_eq!(
            errors,
            vec![
                PeerFlagError { flag: "offset".into(), error: PeerError::Offset(5000.0) },
                PeerFlagError { flag: "allow".into(), error: PeerError::NotAnAddress("host.example".into()) },
            ]
        );
        assert_eq!(errors[0].to_string(), "-offset: offset must be a number of ms in -1000..1000, not 5000");
        assert_eq!(s, PeerSettings::default());
    }

    #[test]
    fn pong_round_trips_through_osc() {
        let pong = Pong {
            id: 9,
            receipt_s: 1.7e9 + 0.123456,
            reply_s: 1.7e9 + 0.123470,
            latency_ms: 25.0,
            jitter_ms: 0.01,
            rate_ppm: -3.0,
            offset_ms: -5.0,
            has_estimate: true,
            stamped: true,
        };
        let bytes = pong.encode();
        assert!(is_reserved(&bytes));
        let (_, packet) = rosc::decoder::decode_udp(&bytes).unwrap();
        let OscPacket::Message(m) = packet else { panic!() };
        assert_eq!(m.addr, PONG_ADDRESS);
        assert_eq!(m.args[1], OscType::Double(1.7e9 + 0.123456));
        assert_eq!(m.args.len(), 9);
        assert!(!is_reserved(b"#bundle\0"));
        assert!(!is_reserved(b"/fsyncx\0"));
    }
}

#[cfg(test)]
mod offset_tests {
    use crate::core::settings::ClockMode;
    use crate::core::time::clock::{Clock, ClockReading};
    use crate::core::time::time_map::{At, TimeMap};
    use crate::core::time::units::{LogicalMs, WallSeconds};

    /// A site whose wall clock is 5 ms ahead, corrected with −5 ms, plays a
    /// timetag when its own clock reads timetag + 5 ms: the reference's moment.
    #[test]
    fn offset_shifts_the_wall_mapping() {
        let mut clock = Clock::default();
        clock.observe(LogicalMs(0.0), ClockReading { mono_s: 1.0, wall_s: WallSeconds(1.7e9) });
        let mut map = TimeMap::new(ClockMode::System, 0.0);
        let plain = map.due_ms(At::Wall(WallSeconds(1.7e9 + 1.0)), &clock).unwrap();
        map.offset_ms = -5.0;
        let corrected = map.due_ms(At::Wall(WallSeconds(1.7e9 + 1.0)), &clock).unwrap();
        assert!((corrected.ms_since(plain) - 5.0).abs() < 1e-3, "{plain:?} → {corrected:?}");
        // And Pd as a sender stamps in the corrected clock: a round trip is the identity.
        let tag = map.timetag_of_logical(corrected, &clock, LogicalMs(0.0), WallSeconds(1.7e9)).unwrap();
        assert!((tag.to_unix_near(1.7e9) - (1.7e9 + 1.0)).abs() < 1e-6);
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn arg() -> impl Strategy<Value = OscType> {
        prop_oneof![
            any::<i32>().prop_map(OscType::Int),
            any::<i64>().prop_map(OscType::Long),
            any::<f32>().prop_map(OscType::Float),
            any::<f64>().prop_map(OscType::Double),
            "[0-9a-f:.x]{0,40}".prop_map(OscType::String),
        ]
    }

    proptest! {
        /// Whatever a reserved message holds: a clear answer, never a panic, and
        /// a correction only within bounds, an answer only to a real port.
        #[test]
        fn requests_are_parsed_or_refused(addr in prop_oneof![Just(PING_ADDRESS), Just(OFFSET_ADDRESS), Just("/fsync/x")], args in proptest::collection::vec(arg(), 0..6)) {
            match parse_request(&OscMessage { addr: addr.to_string(), args }) {
                Ok(PeerRequest::Ping { reply, .. }) => prop_assert!(reply.port() > 0),
                Ok(PeerRequest::Offset { ms, reply }) => {
                    prop_assert!(ms.is_finite() && ms.abs() <= MAX_OFFSET_MS);
                    prop_assert!(reply.is_none_or(|(_, r)| r.port() > 0));
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }

        #[test]
        fn control_words_never_panic(selector in "[a-z-]{1,14}", words in proptest::collection::vec("[-0-9a-z./:]{0,20}", 0..3)) {
            let atoms: Vec<Atom> = words.iter().map(|w| w.parse::<f32>().map(Atom::Float).unwrap_or(Atom::Symbol(w))).collect();
            if let Some(Ok(c)) = parse_control(&selector, &atoms) {
                let mut s = PeerSettings::default();
                let _ = s.apply(&c);
                prop_assert!(s.offset_ms.abs() <= MAX_OFFSET_MS);
            }
        }
    }
}
