//! `map <address> [<first-arg>] <array>`: lets existing senders drive fsync~
//! without changing their addresses (the workshop's `/pd tick` plays `array1`).
//! Incoming address patterns (`*`, `?`, `[]`, `{}`) are matched per OSC 1.0.

use super::osc_pattern::{self, Pattern, PatternBudget, PatternError};
use crate::core::atom::Atom;
use rosc::{OscMessage, OscType};
use std::fmt;

pub const MAX_ENTRIES: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub enum MatchArg {
    Symbol(String),
    Float(f32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct MapEntry {
    pub address: String,
    pub first_arg: Option<MatchArg>,
    pub array: String,
}

#[derive(Clone, Debug, Default)]
pub struct AddressMap {
    entries: Vec<MapEntry>,
}

impl MatchArg {
    fn matches(&self, arg: Option<&OscType>) -> bool {
        match (self, arg) {
            (MatchArg::Symbol(s), Some(OscType::String(a))) => s == a,
            (MatchArg::Float(f), Some(OscType::Float(a))) => f == a,
            (MatchArg::Float(f), Some(OscType::Int(a))) => *f == *a as f32,
            (MatchArg::Float(f), Some(OscType::Double(a))) => *f as f64 == *a,
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            MatchArg::Symbol(s) => s.clone(),
            MatchArg::Float(f) => f.to_string(),
        }
    }
}

const MAP_USAGE: &str = "usage: map <address> [<first-arg>] <array>";

/// A `map` entry refused (the message or the `-map` flag).
#[derive(Clone, Debug, PartialEq)]
pub enum MapError {
    Usage,
    /// Not a plain OSC address: the address given.
    NotAnAddress(String),
    /// `/play` or `/stop`.
    BuiltIn(String),
    Full,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            MapError::Usage => f.write_str(MAP_USAGE),
            MapError::NotAnAddress(address) => write!(f, "'{address}' is not a plain OSC address; {MAP_USAGE}"),
            MapError::BuiltIn(address) => write!(f, "{address} is built in and cannot be mapped"),
            MapError::Full => write!(f, "the map is full ({MAX_ENTRIES} entries)"),
        }
    }
}

/// Parses `<address> [<first-arg>] <array>` (the arguments of `map` and `-map`).
pub fn parse_entry(args: &[Atom]) -> Result<MapEntry, MapError> {
    let (address, first_arg, array) = match args {
        [Atom::Symbol(a), Atom::Symbol(arr)] => (*a, None, *arr),
        [Atom::Symbol(a), Atom::Symbol(f), Atom::Symbol(arr)] => (*a, Some(MatchArg::Symbol(f.to_string())), *arr),
        [Atom::Symbol(a), Atom::Float(f), Atom::Symbol(arr)] => (*a, Some(MatchArg::Float(*f)), *arr),
        _ => return Err(MapError::Usage),
    };
    rosc::address::verify_address(address).map_err(|_| MapError::NotAnAddress(address.to_string()))?;
    if address == "/play" || address == "/stop" {
        return Err(MapError::BuiltIn(address.to_string()));
    }
    Ok(MapEntry { address: address.to_string(), first_arg, array: array.to_string() })
}

impl AddressMap {
    /// Adds or replaces the entry for the same address and first argument.
    pub fn add(&mut self, entry: MapEntry) -> Result<(), MapError> {
        if let Some(existing) =
            self.entries.iter_mut().find(|e| e.address == entry.address && e.first_arg == entry.first_arg)
        {
            *existing = entry;
            return Ok(());
        }
        if self.entries.len() >= MAX_ENTRIES {
            return Err(MapError::Full);
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Removes entries for `address` (and `first_arg`, if given); all with neither. Returns how many.
    pub fn remove(&mut self, address: Option<&str>, first_arg: Option<&MatchArg>) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| {
            !(address.is_none_or(|a| a == e.address) && first_arg.is_none_or(|f| Some(f) == e.first_arg.as_ref()))
        });
        before - self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry a message selects: exact address, or the message's address
    /// read as a pattern; the first argument must match where the entry has one.
    /// Pattern work is paid from `budget`, which the caller shares across a packet.
    pub fn lookup(&self, message: &OscMessage, budget: &mut PatternBudget) -> Result<Option<&MapEntry>, PatternError> {
        if self.entries.is_empty() {
            return Ok(None);
        }
        let first = message.args.first();
        let selects = |e: &&MapEntry| e.first_arg.as_ref().is_none_or(|f| f.matches(first));
        if let Some(e) = self.entries.iter().filter(|e| e.address == message.addr).find(selects) {
            return Ok(Some(e));
        }
        if !osc_pattern::is_pattern(&message.addr) {
            return Ok(None);
        }
        let pattern = Pattern::compile(&message.addr, budget)?;
        for e in &self.entries {
            if pattern.matches(&e.address, budget)? && selects(&e) {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    pub fn describe(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| match &e.first_arg {
                Some(f) => format!("map {} {} -> {}", e.address, f.describe(), e.array),
                None => format!("map {} -> {}", e.address, e.array),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage { addr: addr.into(), args }
    }

    fn lookup<'m>(m: &'m AddressMap, message: &OscMessage) -> Option<&'m MapEntry> {
        m.lookup(message, &mut PatternBudget::per_packet()).unwrap()
    }

    fn workshop() -> AddressMap {
        let mut m = AddressMap::default();
        m.add(parse_entry(&[Atom::Symbol("/pd"), Atom::Symbol("tick"), Atom::Symbol("array1")]).unwrap()).unwrap();
        m.add(parse_entry(&[Atom::Symbol("/drum/kick"), Atom::Symbol("kick")]).unwrap()).unwrap();
        m
    }

    #[test]
    fn exact_and_first_argument() {
        let m = workshop();
        assert_eq!(
            lookup(&m, &msg("/pd", vec![OscType::String("tick".into())])).map(|e| e.array.as_str()),
            Some("array1")
        );
        assert!(lookup(&m, &msg("/pd", vec![OscType::String("tock".into())])).is_none());
        assert!(lookup(&m, &msg("/pd", vec![])).is_none());
        assert_eq!(lookup(&m, &msg("/drum/kick", vec![OscType::Float(1.0)])).map(|e| e.array.as_str()), Some("kick"));
    }

    #[test]
    fn incoming_patterns() {
        let m = workshop();
        for p in ["/drum/*", "/drum/k?ck", "/drum/[a-k]ick", "/drum/{snare,kick}", "/d*/kick"] {
            assert_eq!(lookup(&m, &msg(p, vec![])).map(|e| e.array.as_str()), Some("kick"), "{p}");
        }
        assert!(lookup(&m, &msg("/drum/s*", vec![])).is_none());
        assert!(lookup(&m, &msg("/*", vec![])).is_none(), "one part does not match two");
    }

    #[test]
    fn bad_entries_and_removal() {
        assert_eq!(parse_entry(&[Atom::Symbol("pd"), Atom::Symbol("a")]), Err(MapError::NotAnAddress("pd".into())));
        assert_eq!(parse_entry(&[Atom::Symbol("/p*"), Atom::Symbol("a")]), Err(MapError::NotAnAddress("/p*".into())));
        assert_eq!(parse_entry(&[Atom::Symbol("/play"), Atom::Symbol("a")]), Err(MapError::BuiltIn("/play".into())));
        assert_eq!(parse_entry(&[Atom::Symbol("/x")]), Err(MapError::Usage));
        let mut m = workshop();
        assert_eq!(m.remove(Some("/pd"), None), 1);
        assert_eq!(m.remove(None, None), 1);
        assert!(m.is_empty());
    }

    /// Issue 14: a 60 kB pattern (`/{,}{,}…[xxx…`) against 4 entries kept Pd busy for seconds.
    #[test]
    fn pattern_bomb_against_four_entries_is_refused_in_bounded_steps() {
        let mut m = AddressMap::default();
        for (a, arr) in [("/pd", "array1"), ("/drum/kick", "kick"), ("/drum/snare", "snare"), ("/x", "x")] {
            m.add(parse_entry(&[Atom::Symbol(a), Atom::Symbol(arr)]).unwrap()).unwrap();
        }
        let mut bomb = String::from("/");
        while bomb.len() < 30_000 {
            bomb.push_str("{,}");
        }
        bomb.push('[');
        bomb.push_str(&"x".repeat(30_000));
        let mut budget = PatternBudget::per_packet();
        assert_eq!(m.lookup(&msg(&bomb, vec![]), &mut budget), Err(PatternError::TooLong(bomb.len())));
        // Bombs that are matched (closed, 1 kB): one packet of them shares one budget, which ends them.
        let short = format!("/{}{}", "{,}".repeat(300), "x".repeat(99));
        let mut budget = PatternBudget::per_packet();
        let mut messages = 0;
        let refusal = loop {
            messages += 1;
            assert!(messages < 10_000, "the budget never ran out");
            match m.lookup(&msg(&short, vec![]), &mut budget) {
                Ok(None) => continue,
                Ok(Some(e)) => panic!("matched {e:?}"),
                Err(e) => break e,
            }
        };
        assert_eq!(refusal, PatternError::OutOfWork);
        assert_eq!(budget.spent(), osc_pattern::PACKET_PATTERN_STEPS, "after {messages} messages");
        // A normal pattern still matches, from a fresh budget.
        assert_eq!(
            lookup(&m, &msg("/drum/{snare,kick}", vec![])).map(|e| e.array.as_str()),
            Some("kick"),
            "the first entry that matches"
        );
    }
}
