//! Drops the copies that redundancy makes: a sender may send each timed bundle
//! several times over lossy UDP, and every copy names the same moment, so only
//! the first may play. Only packets with a real timetag are ever compared (the
//! engine decides): a bare message or an "immediately" bundle repeated on
//! purpose — a metronome, a button pressed twice — always plays.
//!
//! Fixed memory whatever arrives: a set-associative table of `SLOTS` entries
//! (fingerprint of the packet's bytes, its timetag, when it was seen), 96 KiB,
//! allocated once. It holds a whole redundant burst: the default queue's 1024
//! distinct bundles spread over `BUCKETS` buckets of `WAYS` entries average 2
//! per bucket, and a bucket overflows (forgetting its oldest entry early) for
//! about 1 in 5000 buckets. Work per packet: one pass over its bytes, then at
//! most `WAYS` comparisons.

use crate::core::time::timetag::Timetag;

/// Entries per bucket: a new entry replaces an expired one, else the oldest.
const WAYS: usize = 8;
const BUCKETS: usize = 512;
pub const SLOTS: usize = WAYS * BUCKETS;

#[derive(Clone, Copy, Debug)]
struct Entry {
    fingerprint: u64,
    /// The NTP timetag as one number: a second check besides the fingerprint.
    timetag: u64,
    seen_ms: f64,
}

const EMPTY: Entry = Entry { fingerprint: 0, timetag: 0, seen_ms: f64::NEG_INFINITY };

#[derive(Debug)]
pub struct Dedupe {
    table: Box<[Entry]>,
}

impl Default for Dedupe {
    fn default() -> Self {
        Dedupe { table: vec![EMPTY; SLOTS].into_boxed_slice() }
    }
}

/// FNV-1a with the length mixed in: cheap, one pass over the bytes.
fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Dedupe {
    /// True if the same packet with the same timetag was seen within
    /// `window_ms` before `now_ms`; remembers it otherwise. Window 0 is off.
    pub fn is_repeat(&mut self, bytes: &[u8], timetag: Timetag, now_ms: f64, window_ms: f64) -> bool {
        if window_ms <= 0.0 {
            return false;
        }
        let fingerprint = fingerprint(bytes);
        let tag = (timetag.seconds as u64) << 32 | timetag.fraction as u64;
        // The high bits pick the bucket (FNV's low bits mix less).
        let bucket = (fingerprint >> 40) as usize % BUCKETS;
        let ways = &mut self.table[bucket * WAYS..(bucket + 1) * WAYS];
        let fresh = |e: &Entry| now_ms >= e.seen_ms && now_ms - e.seen_ms <= window_ms;
        if ways.iter().any(|e| e.fingerprint == fingerprint && e.timetag == tag && fresh(e)) {
            return true;
        }
        // Expired entries first, then the oldest (an expired one is never newer than a fresh one).
        let victim = (0..WAYS).min_by(|&a, &b| ways[a].seen_ms.total_cmp(&ways[b].seen_ms)).unwrap_or(0);
        ways[victim] = Entry { fingerprint, timetag: tag, seen_ms: now_ms };
        false
    }

    pub fn clear(&mut self) {
        self.table.fill(EMPTY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timetag = Timetag { seconds: 5, fraction: 0 };

    #[test]
    fn repeats_within_window_only() {
        let mut d = Dedupe::default();
        assert!(!d.is_repeat(b"abc", T, 0.0, 100.0));
        assert!(d.is_repeat(b"abc", T, 50.0, 100.0));
        assert!(!d.is_repeat(b"abd", T, 50.0, 100.0));
        assert!(!d.is_repeat(b"abc", T, 150.5, 100.0));
        assert!(!d.is_repeat(b"xyz", T, 0.0, 0.0));
        assert!(!d.is_repeat(b"xyz", T, 0.0, 0.0), "window 0 means off");
    }

    #[test]
    fn same_bytes_other_timetag_is_not_a_copy() {
        let mut d = Dedupe::default();
        assert!(!d.is_repeat(b"abc", T, 0.0, 100.0));
        assert!(!d.is_repeat(b"abc", Timetag { seconds: 5, fraction: 1 }, 1.0, 100.0));
    }

    #[test]
    fn holds_a_whole_redundant_burst() {
        // 1024 distinct bundles (the default queue), then every one again: the old
        // 128-packet ring let all but the last 128 through a second time.
        let mut d = Dedupe::default();
        let packet = |i: u32| format!("#bundle /play click {i}").into_bytes();
        let tag = |i: u32| Timetag { seconds: 100, fraction: i };
        for i in 0..1024 {
            assert!(!d.is_repeat(&packet(i), tag(i), 0.0, 100.0), "first copy {i}");
        }
        let caught = (0..1024).filter(|&i| d.is_repeat(&packet(i), tag(i), 1.0, 100.0)).count();
        // A bucket that overflowed forgets its oldest entry: allow the rare one.
        assert!(caught >= 1020, "only {caught} of 1024 second copies caught");
    }

    #[test]
    fn memory_is_fixed_whatever_arrives() {
        let mut d = Dedupe::default();
        for i in 0..100_000u32 {
            d.is_repeat(&i.to_le_bytes(), T, i as f64, 1e9);
        }
        assert_eq!(d.table.len(), SLOTS);
        // The newest packet is still remembered.
        assert!(d.is_repeat(&99_999u32.to_le_bytes(), T, 100_000.0, 1e9));
    }
}
