//! What refused packets may print on Pd's console. Every refused packet still
//! says `error <kind>` on the status outlet, but console lines are slow (the
//! GUI has to draw each) and a sender can refuse itself thousands of times a
//! second, with 64 kB names: so lines are capped per second and shortened.

use std::borrow::Cow;

/// Console lines about refused packets per second (of Pd logical time); the
/// rest are counted and the count is printed with the next line that is shown.
pub const MAX_ERROR_LINES_PER_SECOND: usize = 20;
/// A name or address quoted in a console line is cut to this many characters.
pub const MAX_NAME_CHARS: usize = 64;
/// A whole console line about a packet is cut to this many characters.
pub const MAX_LINE_CHARS: usize = 300;

const WINDOW_MS: f64 = 1000.0;

/// `text`, or its first `max_chars` characters and how long it was.
pub fn shorten(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}… ({} bytes)", &text[..cut], text.len())),
    }
}

#[derive(Debug)]
pub struct ConsoleQuota {
    window_start_ms: f64,
    shown: usize,
    /// Lines held back since the last one shown.
    held_back: usize,
}

impl Default for ConsoleQuota {
    fn default() -> Self {
        ConsoleQuota { window_start_ms: f64::NEG_INFINITY, shown: 0, held_back: 0 }
    }
}

impl ConsoleQuota {
    /// The line to print for a refusal at logical `now_ms`, shortened and with
    /// news of lines held back; None when this second's lines are used up.
    pub fn admit(&mut self, now_ms: f64, line: &str) -> Option<String> {
        if !(now_ms - self.window_start_ms < WINDOW_MS && now_ms >= self.window_start_ms) {
            self.window_start_ms = now_ms;
            self.shown = 0;
        }
        if self.shown >= MAX_ERROR_LINES_PER_SECOND {
            self.held_back += 1;
            return None;
        }
        self.shown += 1;
        let mut text = shorten(line, MAX_LINE_CHARS).into_owned();
        if self.held_back > 0 {
            text.push_str(&format!(" ({} more refused packets not shown)", std::mem::take(&mut self.held_back)));
        }
        if self.shown == MAX_ERROR_LINES_PER_SECOND {
            text.push_str(&format!(
                " (at most {MAX_ERROR_LINES_PER_SECOND} such lines a second; the rest are counted)"
            ));
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_long_names_on_a_char_boundary() {
        assert_eq!(shorten("short", 64), "short");
        let long = "é".repeat(100);
        let cut = shorten(&long, 64);
        assert!(cut.starts_with(&"é".repeat(64)) && cut.ends_with("… (200 bytes)"), "{cut}");
    }

    #[test]
    fn ten_lines_a_second_then_a_count() {
        let mut q = ConsoleQuota::default();
        let shown: Vec<Option<String>> = (0..2000).map(|i| q.admit(i as f64 * 0.1, "bad")).collect();
        assert_eq!(shown.iter().flatten().count(), MAX_ERROR_LINES_PER_SECOND, "2000 refusals within 200 ms");
        assert!(shown[MAX_ERROR_LINES_PER_SECOND - 1].as_ref().unwrap().contains("at most 20"));
        let next = q.admit(1000.0, "bad").unwrap();
        assert!(next.contains("(1980 more refused packets not shown)"), "{next}");
        assert_eq!(q.admit(1000.5, "bad").as_deref(), Some("bad"), "the count is told once");
        assert!(
            q.admit(0.0, &"x".repeat(10_000)).unwrap().len() < MAX_LINE_CHARS + 40,
            "time going back starts a window"
        );
    }
}
