//! Drops a packet identical to one received within the last window, so a
//! sender may repeat each bundle over lossy UDP. Fixed memory: a small ring of
//! fingerprints.

const REMEMBERED: usize = 128;

#[derive(Debug)]
pub struct Dedupe {
    seen: [(u64, f64); REMEMBERED],
    next: usize,
}

impl Default for Dedupe {
    fn default() -> Self {
        Dedupe { seen: [(0, f64::NEG_INFINITY); REMEMBERED], next: 0 }
    }
}

/// FNV-1a with the length mixed in: cheap, and collisions among a few recent
/// packets are negligible.
fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Dedupe {
    /// True if `bytes` was seen within `window_ms` before `now_ms`; remembers it otherwise.
    pub fn is_repeat(&mut self, bytes: &[u8], now_ms: f64, window_ms: f64) -> bool {
        if window_ms <= 0.0 {
            return false;
        }
        let f = fingerprint(bytes);
        if self.seen.iter().any(|&(h, t)| h == f && now_ms - t <= window_ms && now_ms >= t) {
            return true;
        }
        self.seen[self.next] = (f, now_ms);
        self.next = (self.next + 1) % REMEMBERED;
        false
    }

    pub fn clear(&mut self) {
        *self = Dedupe::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_within_window_only() {
        let mut d = Dedupe::default();
        assert!(!d.is_repeat(b"abc", 0.0, 100.0));
        assert!(d.is_repeat(b"abc", 50.0, 100.0));
        assert!(!d.is_repeat(b"abd", 50.0, 100.0));
        assert!(!d.is_repeat(b"abc", 150.5, 100.0));
        assert!(!d.is_repeat(b"xyz", 0.0, 0.0));
        assert!(!d.is_repeat(b"xyz", 0.0, 0.0), "window 0 means off");
    }
}
