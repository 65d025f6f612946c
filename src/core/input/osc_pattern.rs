//! OSC 1.0 address pattern matching (`?`, `*`, `[a-z]`, `[!abc]`, `{foo,bar}`),
//! part by part between slashes. Written here because rosc 0.11's matcher
//! gets character ranges wrong (`[a-k]` never matches); bounded in work so a
//! hostile pattern cannot stall Pd.

/// Most steps one match may take before it gives up (and says "no match").
const STEP_BUDGET: usize = 10_000;

pub fn is_pattern(address: &str) -> bool {
    address.contains(['*', '?', '[', '{'])
}

/// Does `pattern` select the plain `address`?
pub fn matches(pattern: &str, address: &str) -> bool {
    let (p_parts, a_parts): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), address.split('/').collect());
    if p_parts.len() != a_parts.len() {
        return false;
    }
    let mut budget = STEP_BUDGET;
    p_parts.iter().zip(&a_parts).all(|(p, a)| part_matches(p.as_bytes(), a.as_bytes(), &mut budget))
}

fn part_matches(p: &[u8], a: &[u8], budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some((&first, rest)) = p.split_first() else { return a.is_empty() };
    match first {
        b'*' => (0..=a.len()).any(|skip| part_matches(rest, &a[skip..], budget)),
        b'?' => !a.is_empty() && part_matches(rest, &a[1..], budget),
        b'[' => {
            let Some(close) = rest.iter().position(|&c| c == b']') else { return false };
            !a.is_empty() && class_contains(&rest[..close], a[0]) && part_matches(&rest[close + 1..], &a[1..], budget)
        }
        b'{' => {
            let Some(close) = rest.iter().position(|&c| c == b'}') else { return false };
            let after = &rest[close + 1..];
            rest[..close].split(|&c| c == b',').any(|choice| a.starts_with(choice) && part_matches(after, &a[choice.len()..], budget))
        }
        literal => a.first() == Some(&literal) && part_matches(rest, &a[1..], budget),
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
            ("/d*/k*k", "/drum/kick"),
            ("/*", "/pd"),
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
        ];
        for (p, a) in no {
            assert!(!matches(p, a), "{p} should not match {a}");
        }
    }

    #[test]
    fn hostile_patterns_stay_cheap() {
        let address = format!("/{}", "a".repeat(200));
        let pattern = format!("/{}b", "*".repeat(40));
        assert!(!matches(&pattern, &address)); // gives up within the step budget
    }
}
