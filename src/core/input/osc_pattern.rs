//! OSC 1.0 address pattern matching (`?`, `*`, `[a-z]`, `[!abc]`, `{foo,bar}`),
//! part by part between slashes. Written here because rosc 0.11's matcher
//! gets character ranges wrong (`[a-k]` never matches).
//!
//! A pattern comes from the network, so matching is bounded in work, not only
//! in calls: each part is compiled once per message into a small automaton
//! and run over the address with a set of states (no backtracking, no
//! recursion), and every byte scanned and state visited is paid from one
//! [`PatternBudget`] that the caller shares across all map entries and all
//! messages of a packet.

use std::fmt;

/// Longest address pattern that is matched at all (bytes). Real patterns are
/// a few dozen bytes; this keeps compiling one cheap.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// Work (bytes scanned + automaton states visited) one packet may spend on
/// pattern matching, across all its messages and all map entries: 2–5 ms of
/// Pd's thread (measured on a loaded 2-core machine), room for dozens of
/// ordinary patterns against 64 entries.
pub const PACKET_PATTERN_STEPS: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// The pattern is longer than MAX_PATTERN_BYTES.
    TooLong(usize),
    /// The packet used up its PACKET_PATTERN_STEPS.
    OutOfWork,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PatternError::TooLong(n) => {
                write!(f, "address pattern of {n} bytes (at most {MAX_PATTERN_BYTES} are matched)")
            }
            PatternError::OutOfWork => {
                write!(
                    f,
                    "address patterns need more than {PACKET_PATTERN_STEPS} steps to match against the map (the limit per packet)"
                )
            }
        }
    }
}

/// The matching work left to a packet.
#[derive(Clone, Debug)]
pub struct PatternBudget {
    left: usize,
    spent: usize,
}

impl PatternBudget {
    pub fn new(steps: usize) -> Self {
        PatternBudget { left: steps, spent: 0 }
    }

    /// A fresh budget for one packet.
    pub fn per_packet() -> Self {
        Self::new(PACKET_PATTERN_STEPS)
    }

    /// Steps taken so far (for tests and benchmarks).
    pub fn spent(&self) -> usize {
        self.spent
    }

    fn spend(&mut self, steps: usize) -> Result<(), PatternError> {
        if steps > self.left {
            self.spent += self.left;
            self.left = 0;
            return Err(PatternError::OutOfWork);
        }
        self.left -= steps;
        self.spent += steps;
        Ok(())
    }
}

pub fn is_pattern(address: &str) -> bool {
    address.contains(['*', '?', '[', '{'])
}

/// One step of a part's automaton. Each consuming node moves to the next index.
#[derive(Clone, Debug)]
enum Node {
    Byte(u8),
    Any,
    /// Any run of bytes: consumes and stays, or moves on without consuming.
    Star,
    /// `[…]`: the class's bytes are `pattern[from..to]`.
    Class {
        from: usize,
        to: usize,
    },
    /// `{a,b,}`: moves on to each choice without consuming (`targets[from..to]`).
    Split {
        from: usize,
        to: usize,
    },
    Jump(usize),
}

#[derive(Clone, Debug)]
struct Part {
    bytes: Vec<u8>,
    nodes: Vec<Node>,
    targets: Vec<usize>,
}

/// A pattern compiled once, to be matched against many addresses.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// None: a part is malformed (`[` or `{` never closed), so nothing matches.
    parts: Option<Vec<Part>>,
}

impl Pattern {
    pub fn compile(pattern: &str, budget: &mut PatternBudget) -> Result<Pattern, PatternError> {
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(PatternError::TooLong(pattern.len()));
        }
        budget.spend(pattern.len())?;
        let parts = pattern.split('/').map(|p| compile_part(p.as_bytes())).collect();
        Ok(Pattern { parts })
    }

    /// Does the pattern select the plain `address`?
    pub fn matches(&self, address: &str, budget: &mut PatternBudget) -> Result<bool, PatternError> {
        let Some(parts) = &self.parts else { return Ok(false) };
        budget.spend(address.len())?;
        if address.split('/').count() != parts.len() {
            return Ok(false);
        }
        for (part, a) in parts.iter().zip(address.split('/')) {
            if !part.matches(a.as_bytes(), budget)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Does `pattern` select the plain `address`? (A fresh budget: for tests and the patch side.)
pub fn matches(pattern: &str, address: &str) -> bool {
    let mut budget = PatternBudget::per_packet();
    Pattern::compile(pattern, &mut budget).and_then(|p| p.matches(address, &mut budget)).unwrap_or(false)
}

fn compile_part(p: &[u8]) -> Option<Part> {
    let mut part = Part { bytes: p.to_vec(), nodes: Vec::with_capacity(p.len() + 1), targets: Vec::new() };
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'*' => part.nodes.push(Node::Star),
            b'?' => part.nodes.push(Node::Any),
            b'[' => {
                let close = i + 1 + p[i + 1..].iter().position(|&c| c == b']')?;
                part.nodes.push(Node::Class { from: i + 1, to: close });
                i = close;
            }
            b'{' => {
                let close = i + 1 + p[i + 1..].iter().position(|&c| c == b'}')?;
                let split = part.nodes.len();
                part.nodes.push(Node::Split { from: 0, to: 0 });
                let (mut starts, mut jumps) = (Vec::new(), Vec::new());
                for choice in p[i + 1..close].split(|&c| c == b',') {
                    starts.push(part.nodes.len());
                    part.nodes.extend(choice.iter().map(|&b| Node::Byte(b)));
                    jumps.push(part.nodes.len());
                    part.nodes.push(Node::Jump(0));
                }
                let after = part.nodes.len();
                for j in jumps {
                    part.nodes[j] = Node::Jump(after);
                }
                let from = part.targets.len();
                part.targets.extend(starts);
                part.nodes[split] = Node::Split { from, to: part.targets.len() };
                i = close;
            }
            literal => part.nodes.push(Node::Byte(literal)),
        }
        i += 1;
    }
    Some(part)
}

impl Part {
    /// Runs the automaton over `a` with a set of states (index nodes.len() = the end).
    fn matches(&self, a: &[u8], budget: &mut PatternBudget) -> Result<bool, PatternError> {
        let end = self.nodes.len();
        let mut current = vec![false; end + 1];
        let mut next = vec![false; end + 1];
        let mut stack = Vec::new();
        self.close_over(0, &mut current, &mut stack, budget)?;
        for &c in a {
            next.fill(false);
            budget.spend(end + 1)?;
            let mut any = false;
            for (state, node) in self.nodes.iter().enumerate().filter(|&(s, _)| current[s]) {
                let moves = match *node {
                    Node::Byte(b) => b == c,
                    Node::Any => true,
                    Node::Class { from, to } => {
                        budget.spend(to - from)?;
                        class_contains(&self.bytes[from..to], c)
                    }
                    Node::Star => {
                        self.close_over(state, &mut next, &mut stack, budget)?;
                        any = true;
                        continue;
                    }
                    Node::Split { .. } | Node::Jump(_) => false,
                };
                if moves {
                    self.close_over(state + 1, &mut next, &mut stack, budget)?;
                    any = true;
                }
            }
            if !any {
                return Ok(false);
            }
            std::mem::swap(&mut current, &mut next);
        }
        Ok(current[end])
    }

    /// Adds `state` and every state reachable from it without consuming a byte.
    fn close_over(
        &self,
        state: usize,
        set: &mut [bool],
        stack: &mut Vec<usize>,
        budget: &mut PatternBudget,
    ) -> Result<(), PatternError> {
        stack.clear();
        stack.push(state);
        while let Some(s) = stack.pop() {
            if set[s] {
                continue;
            }
            budget.spend(1)?;
            set[s] = true;
            match self.nodes.get(s) {
                Some(Node::Star) => stack.push(s + 1),
                Some(&Node::Jump(to)) => stack.push(to),
                Some(&Node::Split { from, to }) => stack.extend_from_slice(&self.targets[from..to]),
                _ => {}
            }
        }
        Ok(())
    }
}

/// `[abc]`, `[a-z]`, `[!0-9]`; a `-` first or last is literal.
fn class_contains(class: &[u8], c: u8) -> bool {
    let (negated, class) = match class.split_first() {
        Some((b'!', rest)) => (true, rest),
        _ => (false, class),
    };
    let mut found = false;
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == b'-' {
            found |= (class[i]..=class[i + 2]).contains(&c);
            i += 3;
        } else {
            found |= class[i] == c;
            i += 1;
        }
    }
    found != negated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc_1_0_examples() {
        let yes = [
            ("/drum/kick", "/drum/kick"),
            ("/drum/*", "/drum/kick"),
            ("/drum/k?ck", "/drum/kick"),
            ("/drum/[a-k]ick", "/drum/kick"),
            ("/drum/[!a-c]ick", "/drum/kick"),
            ("/drum/{snare,kick}", "/drum/kick"),
            ("/drum/{kick,ki}ck", "/drum/kick"),
            ("/drum/{,k}ick", "/drum/kick"),
            ("/drum/k{,}i{}ck", "/drum/kick"),
            ("/d*/k*k", "/drum/kick"),
            ("/d*m/*i*c*k*", "/drum/kick"),
            ("/*", "/pd"),
            ("/*", "/"),
            ("/x/[-a]", "/x/-"),
        ];
        for (p, a) in yes {
            assert!(matches(p, a), "{p} should match {a}");
        }
        let no = [
            ("/drum/*", "/drum/kick/2"),
            ("/*", "/drum/kick"),
            ("/drum/[l-z]ick", "/drum/kick"),
            ("/drum/[!k]ick", "/drum/kick"),
            ("/drum/{snare,hat}", "/drum/kick"),
            ("/drum/k?", "/drum/kick"),
            ("/drum/[ki", "/drum/kick"),
            ("/drum/{kick", "/drum/kick"),
            ("/drum/*x", "/drum/kick"),
            ("/drum/kick?", "/drum/kick"),
        ];
        for (p, a) in no {
            assert!(!matches(p, a), "{p} should not match {a}");
        }
    }

    /// The bomb of issue 14: `{,}` doubles the ways to match at each step and an
    /// unclosed `[` sends the old matcher scanning 60 kB each time.
    fn bomb(bytes: usize) -> String {
        let mut p = String::from("/");
        while p.len() + 3 < bytes / 2 {
            p.push_str("{,}");
        }
        p.push('[');
        while p.len() < bytes {
            p.push('x');
        }
        p
    }

    #[test]
    fn hostile_patterns_cost_bounded_steps() {
        let address = format!("/{}", "a".repeat(200));
        let mut budget = PatternBudget::per_packet();
        let star = Pattern::compile(&format!("/{}b", "*".repeat(40)), &mut budget).unwrap();
        assert_eq!(star.matches(&address, &mut budget), Ok(false));
        // A set of states, not backtracking: 40 stars over 200 bytes is about 200 × 42 × 2 steps.
        assert!(budget.spent() < 20_000, "{} steps", budget.spent());

        let mut budget = PatternBudget::per_packet();
        assert_eq!(Pattern::compile(&bomb(60_000), &mut budget).unwrap_err(), PatternError::TooLong(60_000));
        assert_eq!(budget.spent(), 0, "refused by length before any work");
        // The largest bomb that is matched at all, against 64 addresses: a bounded, small cost.
        let mut budget = PatternBudget::per_packet();
        let near = Pattern::compile(&format!("{}]", &bomb(MAX_PATTERN_BYTES - 1)), &mut budget).unwrap();
        for i in 0..64 {
            assert_eq!(near.matches(&format!("/x{i}"), &mut budget), Ok(false));
        }
        assert!(budget.spent() < PACKET_PATTERN_STEPS / 4, "{} steps", budget.spent());
    }

    #[test]
    fn one_budget_runs_out_and_stays_out() {
        let mut budget = PatternBudget::new(100);
        let p = Pattern::compile("/a*b*c*d", &mut budget).unwrap();
        let long = format!("/{}", "x".repeat(200));
        assert_eq!(p.matches(&long, &mut budget), Err(PatternError::OutOfWork));
        assert_eq!(budget.spent(), 100);
        assert_eq!(p.matches("/abcd", &mut budget), Err(PatternError::OutOfWork), "nothing left for the next entry");
    }

    /// The backtracking matcher this module had before (exponential, recursive),
    /// kept as the reference for small inputs.
    fn reference(p: &[u8], a: &[u8]) -> bool {
        let Some((&first, rest)) = p.split_first() else { return a.is_empty() };
        match first {
            b'*' => (0..=a.len()).any(|skip| reference(rest, &a[skip..])),
            b'?' => !a.is_empty() && reference(rest, &a[1..]),
            b'[' => {
                let Some(close) = rest.iter().position(|&c| c == b']') else { return false };
                !a.is_empty() && class_contains(&rest[..close], a[0]) && reference(&rest[close + 1..], &a[1..])
            }
            b'{' => {
                let Some(close) = rest.iter().position(|&c| c == b'}') else { return false };
                let after = &rest[close + 1..];
                rest[..close]
                    .split(|&c| c == b',')
                    .any(|choice| a.starts_with(choice) && reference(after, &a[choice.len()..]))
            }
            literal => a.first() == Some(&literal) && reference(rest, &a[1..]),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 5000, ..Default::default() })]
        #[test]
        fn same_answers_as_backtracking(pattern in "[ab*?{},!\\[\\]-]{0,9}", address in "[ab-]{0,7}") {
            let expected = reference(pattern.as_bytes(), address.as_bytes());
            proptest::prop_assert_eq!(matches(&format!("/{pattern}"), &format!("/{address}")), expected, "{} vs {}", pattern, address);
        }
    }
}
