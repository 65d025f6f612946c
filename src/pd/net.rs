//! The object's own UDP socket, which answers `/fsync/ping` (fsync-check's clock
//! check) and `/fsync/offset` (its correction), so the plain receiver patch
//! `[netreceive -u -b PORT] → [fsync~]` needs nothing else. Rules and parsing
//! are in `core::peers`, the handlers in `peer_handlers.rs`; here are the
//! socket, the interface list and the arrival stamps. Everything runs on Pd's thread (never in perform): the
//! socket is made on the first answer, non-blocking; a send that would block
//! is dropped.

use super::emit::Out;
use super::ffi;
use crate::core::atom::Atom;
use crate::core::peers::{self, Cidr, PeerFlagError, PeerSettings, RateLimit, Refusal};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// How long the list of attached networks is trusted before it is read again.
const INTERFACES_MAX_AGE_S: f64 = 10.0;
/// A stamp older than this is not the packet being handled (a quiet socket's last one).
#[cfg(target_os = "linux")]
const MAX_STAMP_AGE_S: f64 = 0.1;
/// linux/sockios.h: the arrival time (struct timespec) of the last datagram read from a socket.
#[cfg(target_os = "linux")]
const SIOCGSTAMPNS: libc::c_ulong = 0x8907;
/// Pd polls its sockets with select(): every fd it reads is below FD_SETSIZE.
#[cfg(target_os = "linux")]
const MAX_FD: i32 = 1024;

/// At most one console line about refused pings in this many seconds.
const REFUSAL_NOTE_EVERY_S: f64 = 5.0;

pub struct Net {
    pub settings: PeerSettings,
    limit: RateLimit,
    /// Networks of this machine's interfaces (getifaddrs), and when they were read (mono s).
    attached: Vec<Cidr>,
    attached_at_s: Option<f64>,
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
    /// When each kind of refusal was last put on the console (mono s).
    refusal_noted_at_s: [Option<f64>; 4],
    /// This process's UDP sockets (Pd's [netreceive]s among them), and when listed (mono s).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    udp_fds: Vec<i32>,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    udp_fds_at_s: Option<f64>,
}

impl Net {
    /// Takes the peers' flags out of the creation arguments (the rest are the core's).
    pub fn from_flags<'a>(args: &[Atom<'a>]) -> (Net, Vec<Atom<'a>>, Vec<PeerFlagError>) {
        let (settings, rest, errors) = peers::take_flags(args);
        let net = Net {
            settings,
            limit: RateLimit::default(),
            attached: Vec::new(),
            attached_at_s: None,
            v4: None,
            v6: None,
            refusal_noted_at_s: [None; 4],
            udp_fds: Vec::new(),
            udp_fds_at_s: None,
        };
        (net, rest, errors)
    }

    fn attached_networks(&mut self, now_s: f64) -> &[Cidr] {
        if self.attached_at_s.is_none_or(|at| now_s - at > INTERFACES_MAX_AGE_S) {
            self.attached = interface_networks();
            self.attached_at_s = Some(now_s);
        }
        &self.attached
    }

    /// The kernel's arrival time of the datagram Pd just read, in this machine's
    /// wall-clock terms (see `ping`); None when no socket has a fresh stamp.
    #[cfg(target_os = "linux")]
    pub(super) fn arrival_wall_s(&mut self) -> Option<f64> {
        let now_s = ffi::mono_s();
        if self.udp_fds_at_s.is_none_or(|at| now_s - at > INTERFACES_MAX_AGE_S) {
            let own: Vec<i32> =
                [&self.v4, &self.v6].into_iter().flatten().map(std::os::fd::AsRawFd::as_raw_fd).collect();
            self.udp_fds = udp_sockets().into_iter().filter(|fd| !own.contains(fd)).collect();
            self.udp_fds_at_s = Some(now_s);
        }
        let latest = self
            .udp_fds
            .iter()
            .filter_map(|&fd| last_arrival_s(fd))
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))?;
        // The kernel stamps in the real CLOCK_REALTIME; Pd reads its own (which
        // libfaketime may shift in tests): carry over the age, not the reading,
        // with both clocks read side by side (not the reading at arrival: the
        // decode and the fd scan lie between).
        let (wall_now_s, kernel_now_s) = (ffi::wall_s(), kernel_realtime_s());
        let age_s = kernel_now_s - latest;
        (0.0..MAX_STAMP_AGE_S).contains(&age_s).then_some(wall_now_s - age_s)
    }

    /// (SIOCGSTAMPNS is Linux's: elsewhere the clock read at handling stands in.)
    #[cfg(not(target_os = "linux"))]
    pub(super) fn arrival_wall_s(&mut self) -> Option<f64> {
        None
    }

    fn socket(&mut self, to: IpAddr) -> std::io::Result<&UdpSocket> {
        let (slot, any) = match to {
            IpAddr::V4(_) => (&mut self.v4, IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            IpAddr::V6(_) => (&mut self.v6, IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        };
        if slot.is_none() {
            let s = UdpSocket::bind(SocketAddr::new(any, 0))?;
            s.set_nonblocking(true)?;
            *slot = Some(s);
        }
        Ok(slot.as_ref().expect("just made"))
    }

    /// Sends `bytes` to `to` if the rules allow; the reason (and its kind) when not.
    pub(super) fn answer(&mut self, to: SocketAddr, bytes: &[u8]) -> Result<(), (Quiet, String)> {
        let now_s = ffi::mono_s();
        let attached = self.attached_networks(now_s).to_vec();
        peers::may_answer(&self.settings, &attached, &mut self.limit, to.ip(), now_s).map_err(|r| match r {
            Refusal::Off => (Quiet::Off, "ping is off".to_string()),
            Refusal::NotAllowed => (
                Quiet::NotAllowed,
                format!("{} is not loopback, not on an attached network and not allowed (-allow / allow)", to.ip()),
            ),
            Refusal::RateLimited => {
                (Quiet::RateLimited, format!("more than {} answers a second", peers::ANSWERS_PER_S))
            }
        })?;
        self.send(to, bytes).map_err(|e| (Quiet::RateLimited, e.to_string()))
    }

    fn send(&mut self, to: SocketAddr, bytes: &[u8]) -> Result<(), SendError> {
        let socket = self.socket(to.ip()).map_err(SendError::NoSocket)?;
        // Non-blocking: a full buffer drops this answer, never stalls Pd.
        socket.send_to(bytes, to).map(|_| ()).map_err(|error| SendError::Send { to, error })
    }

    /// A console line about a refusal, at most every few seconds for each kind
    /// (pings can come in floods).
    pub(super) fn note_refusal(&mut self, kind: Quiet, text: &str, outs: &mut Vec<Out>) {
        let now_s = ffi::mono_s();
        let last = &mut self.refusal_noted_at_s[kind as usize];
        if last.is_none_or(|at| now_s - at > REFUSAL_NOTE_EVERY_S) {
            *last = Some(now_s);
            outs.push(Out::Error(format!("{text} (further refusals quiet for {REFUSAL_NOTE_EVERY_S} s)")));
        }
    }
}

/// Kinds of refusal, each quieted on its own.
/// An answer that could not be sent.
#[derive(Debug)]
enum SendError {
    /// No socket of the answer's family could be opened.
    NoSocket(std::io::Error),
    Send {
        to: SocketAddr,
        error: std::io::Error,
    },
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            SendError::NoSocket(e) => write!(f, "no socket: {e}"),
            SendError::Send { to, error } => write!(f, "send to {to}: {error}"),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Quiet {
    BadMessage = 0,
    NotAllowed = 1,
    RateLimited = 2,
    Off = 3,
}

/// Without getifaddrs (Windows): no attached network is known; loopback and
/// `-allow` still are.
#[cfg(not(unix))]
fn interface_networks() -> Vec<Cidr> {
    Vec::new()
}

/// The networks of this machine's interfaces that are up (getifaddrs).
#[cfg(unix)]
fn interface_networks() -> Vec<Cidr> {
    let mut out = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list we own until freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return out;
    }
    let mut at = list;
    while !at.is_null() && out.len() < 256 {
        // SAFETY: `at` is a node of the list getifaddrs returned, not yet freed.
        let node = unsafe { &*at };
        at = node.ifa_next;
        if node.ifa_flags & libc::IFF_UP as u32 == 0 {
            continue;
        }
        if let (Some(addr), Some(mask)) = (sockaddr_ip(node.ifa_addr), sockaddr_ip(node.ifa_netmask)) {
            out.push(Cidr::of_interface(addr, mask));
        }
    }
    // SAFETY: the list from getifaddrs above, freed once.
    unsafe { libc::freeifaddrs(list) };
    out
}

#[cfg(unix)]
fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: a non-null sockaddr from getifaddrs; its family says which struct it is.
    unsafe {
        match (*sa).sa_family as i32 {
            libc::AF_INET => {
                let v4 = &*(sa as *const libc::sockaddr_in);
                Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr))))
            }
            libc::AF_INET6 => {
                let v6 = &*(sa as *const libc::sockaddr_in6);
                Some(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr)))
            }
            _ => None,
        }
    }
}

/// File descriptors of this process's UDP sockets (IPv4 and IPv6).
#[cfg(target_os = "linux")]
fn udp_sockets() -> Vec<i32> {
    (0..MAX_FD)
        .filter(|&fd| {
            let mut kind: libc::c_int = 0;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: getsockopt writes at most `len` bytes into `kind`; on a
            // descriptor that is not a socket (or not open) it fails and writes nothing.
            let ok =
                unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, (&raw mut kind).cast(), &mut len) } == 0;
            if !ok || kind != libc::SOCK_DGRAM {
                return false;
            }
            // SAFETY: sockaddr_storage is large enough for any address getsockname writes.
            let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            let mut alen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            // SAFETY: as above, getsockname writes at most `alen` bytes.
            let named = unsafe { libc::getsockname(fd, (&raw mut addr).cast(), &mut alen) } == 0;
            named && matches!(addr.ss_family as i32, libc::AF_INET | libc::AF_INET6)
        })
        .collect()
}

/// The kernel's arrival time (unix s, real CLOCK_REALTIME) of the last datagram
/// read from `fd`. The first call on a socket switches its stamps on (ENOENT).
#[cfg(target_os = "linux")]
fn last_arrival_s(fd: i32) -> Option<f64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: SIOCGSTAMPNS writes one struct timespec at the pointer; on any
    // failure (no stamp yet, not a socket) it writes nothing.
    let ok = unsafe { libc::ioctl(fd, SIOCGSTAMPNS as _, &raw mut ts) } == 0;
    (ok && ts.tv_sec > 0).then_some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
}

/// CLOCK_REALTIME straight from the kernel (a system call, not the vDSO):
/// what the kernel's stamps are in, even where a preloaded library (libfaketime
/// in the two-machine test) shifts what Pd reads.
#[cfg(target_os = "linux")]
fn kernel_realtime_s() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one struct timespec at the pointer.
    unsafe { libc::syscall(libc::SYS_clock_gettime, libc::CLOCK_REALTIME, &raw mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
