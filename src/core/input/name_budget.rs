//! Pd never frees a symbol: each distinct name a packet makes the shell intern
//! (an address, an array, a forwarded string) stays in memory for good. This
//! bounds how many distinct names, and bytes of them, the network may add; a
//! name seen before costs nothing.

use std::collections::HashSet;

pub const MAX_NETWORK_NAMES: usize = 8192;
pub const MAX_NETWORK_NAME_BYTES: usize = 1 << 20;

#[derive(Debug)]
pub struct NameBudget {
    seen: HashSet<String>,
    bytes: usize,
    max_names: usize,
    max_bytes: usize,
}

impl Default for NameBudget {
    fn default() -> Self {
        NameBudget::new(MAX_NETWORK_NAMES, MAX_NETWORK_NAME_BYTES)
    }
}

impl NameBudget {
    pub fn new(max_names: usize, max_bytes: usize) -> Self {
        NameBudget { seen: HashSet::new(), bytes: 0, max_names, max_bytes }
    }

    /// True if `name` may be interned: seen before, or it fits the budget (then it is counted).
    pub fn admit(&mut self, name: &str) -> bool {
        if self.seen.contains(name) {
            return true;
        }
        if self.seen.len() >= self.max_names || self.bytes + name.len() > self.max_bytes {
            return false;
        }
        self.bytes += name.len();
        self.seen.insert(name.to_string());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_names_and_bytes() {
        let mut b = NameBudget::new(2, 10);
        assert!(b.admit("abc") && b.admit("abc") && b.admit("de"));
        assert!(!b.admit("f"), "a third name");
        assert!(b.admit("abc"), "known names still pass");
        let mut b = NameBudget::new(10, 5);
        assert!(b.admit("abcd"));
        assert!(!b.admit("ef"), "5 bytes at most");
    }
}
