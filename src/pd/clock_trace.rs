//! Measurement only (`--features clock-trace`, never in a release): every
//! clock reading perform takes, appended to `$FSYNC_CLOCK_TRACE.<pid>` as text lines
//! `logical_ms abs_monotonic_s wall_s`, so the clock filter can be replayed
//! offline on real readings (tests/clock_replay.rs). Buffered: one write per
//! 1024 ticks, which makes that one reading late, never early.

use super::clock::PdOnly;
use std::cell::RefCell;
use std::io::Write;

struct Trace {
    rows: Vec<(f64, f64, f64)>,
    file: Option<std::fs::File>,
}

static TRACE: PdOnly<RefCell<Option<Trace>>> = PdOnly(RefCell::new(None));

fn abs_monotonic_s() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

pub fn record(logical_ms: f64, wall_s: f64) {
    let mono = abs_monotonic_s();
    let mut slot = TRACE.0.borrow_mut();
    let trace = slot.get_or_insert_with(|| Trace {
        rows: Vec::with_capacity(1024),
        file: std::env::var("FSYNC_CLOCK_TRACE").ok().and_then(|p| {
            let path = format!("{p}.{}", std::process::id());
            std::fs::OpenOptions::new().create(true).append(true).open(path).ok()
        }),
    });
    trace.rows.push((logical_ms, mono, wall_s));
    if trace.rows.len() >= 1024 {
        if let Some(f) = trace.file.as_mut() {
            let mut text = String::with_capacity(64 * 1024);
            for (l, m, w) in trace.rows.drain(..) {
                text.push_str(&format!("{l:.6} {m:.9} {w:.6}\n"));
            }
            let _ = f.write_all(text.as_bytes());
        }
        trace.rows.clear();
    }
}
