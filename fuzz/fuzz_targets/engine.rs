//! libFuzzer over everything the network reaches: the input is split into
//! packets (by a 0xFF 0xFE marker) interleaved with clock readings and blocks.
//! Nothing may panic, produce a non-finite sample, or exceed the queue bound.
//! Run it with `-max_len=65507` (one datagram: nested arrays and pattern bombs
//! need room) and `-dict=fuzz/engine.dict`; a map is set so patterns are matched.
#![no_main]

use fsync::core::input::address_map::MapEntry;
use fsync::core::atom::Atom;
use fsync::core::engine::Engine;
use fsync::core::play::samples::VecStore;
use fsync::core::settings::{ClockMode, Settings};
use fsync::core::time::clock::{Clock, ClockReading};
use fsync::core::time::units::{LogicalMs, WallSeconds};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let clock = if data.first().is_some_and(|b| b & 1 == 1) { ClockMode::System } else { ClockMode::Logical };
    let long = format!("/{}", "x".repeat(64));
    let maps = ["/pd", "/drum/kick", "/drum/snare", long.as_str()]
        .map(|address| MapEntry { address: address.into(), first_arg: None, array: "a".into() })
        .to_vec();
    let settings = Settings { clock, queue: 16, voices: 4, forward_bytes: 1 << 20, maps, ..Settings::default() };
    let mut engine: Engine<&'static str> = Engine::new(settings, 48000.0, 25.0);
    let store = VecStore::with_arrays(vec![("a", vec![0.5; 100]), ("b", vec![1.0; 3])]);
    let mut intern = |s: &str| -> &'static str {
        match s {
            "a" => "a",
            "b" => "b",
            "/play" => "/play",
            "/stop" => "/stop",
            _ => "other",
        }
    };
    let mut clock = Clock::default();
    let mut logical = 0.0;
    let mut out = [0.0f32; 64];
    for (i, chunk) in data.split(|&b| b == 0xFF).enumerate() {
        let atoms: Vec<Atom> = chunk.iter().map(|&b| Atom::Float(b as f32)).collect();
        engine.handle_packet(&atoms, LogicalMs(logical), WallSeconds(1.7e9 + logical / 1000.0), &clock, &mut intern);
        let step = chunk.first().copied().unwrap_or(0) as f64;
        let mono_s = (logical + step * (i as f64 % 3.0 - 1.0) * 100.0) / 1000.0;
        clock.observe(LogicalMs(logical), ClockReading { mono_s, wall_s: WallSeconds(1.7e9 + logical / 1000.0) });
        if engine.take_forwards_stale() {
            engine.remap_forwards(&clock);
        }
        for _ in 0..(chunk.len() % 4) {
            logical += 64.0 / 48.0;
            engine.render(LogicalMs(logical), &clock, &store, &mut [&mut out[..]]);
            assert!(out.iter().all(|x| x.is_finite() && x.abs() <= 4000.0));
        }
        let _ = engine.take_due_forwards(LogicalMs(logical));
        let _ = engine.take_reports();
    }
});
