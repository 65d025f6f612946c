//! Replays a real clock trace (recorded with `--features clock-trace`, see
//! src/pd/clock_trace.rs) through the clock filter, for tuning it on real
//! readings: `FSYNC_REPLAY=/tmp/trace/t.123 cargo test --release --test clock_replay -- --ignored --nocapture`
//! writes `<trace>.replay` (or `$FSYNC_REPLAY_OUT`): per tick `logical_ms mono_s estimated_mono_s step_ms lost_ms`.

use fsync::core::time::clock_filter::{ClockFilter, ClockFilterConfig, Update};
use std::io::Write;

#[test]
#[ignore = "a measurement tool: needs a recorded trace"]
fn replay_a_recorded_trace() {
    let Ok(path) = std::env::var("FSYNC_REPLAY") else { return };
    let out_path = std::env::var("FSYNC_REPLAY_OUT").unwrap_or(format!("{path}.replay"));
    let text = std::fs::read_to_string(&path).expect("trace");
    let mut filter = ClockFilter::new(ClockFilterConfig::default());
    let mut out = std::io::BufWriter::new(std::fs::File::create(out_path).unwrap());
    for line in text.lines() {
        let v: Vec<f64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        let [logical_ms, mono_s, _wall_s] = v[..] else { continue };
        let update = filter.update(logical_ms, mono_s);
        let step = if let Update::Step { step_ms } = update { step_ms } else { 0.0 };
        let est = filter.mono_of_logical(logical_ms).unwrap_or(f64::NAN);
        // What event mapping adds to the line right now (a loss seen before its step is confirmed), ms.
        let lost = filter
            .logical_of_mono(mono_s)
            .and_then(|l| filter.mono_of_logical(l))
            .map_or(0.0, |m| (mono_s - m) * 1000.0);
        writeln!(out, "{logical_ms:.6} {mono_s:.9} {est:.9} {step:.6} {lost:.6}").unwrap();
    }
}
