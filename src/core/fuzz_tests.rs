//! Property-based fuzzing of everything a network can reach: arbitrary bytes,
//! arbitrary mutations of valid packets, arbitrary sequences of packets, clock
//! readings and blocks. Nothing may panic, play non-finite samples, or grow
//! the queues past their bound.

use super::atom::Atom;
use super::engine::Engine;
use super::play::samples::VecStore;
use super::settings::{ClockMode, Settings};
use super::time::clock::{Clock, ClockReading};
use super::time::units::{LogicalMs, WallSeconds};
use proptest::prelude::*;
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType, encoder};

fn intern(s: &str) -> &'static str {
    // Leaks: fine in tests, names are few (proptest shrinks to short strings).
    Box::leak(s.to_string().into_boxed_str())
}

fn atoms(bytes: &[u8]) -> Vec<Atom<'static>> {
    bytes.iter().map(|&b| Atom::Float(b as f32)).collect()
}

fn valid_packet() -> impl Strategy<Value = Vec<u8>> {
    let arg = prop_oneof![
        any::<i32>().prop_map(OscType::Int),
        any::<f32>().prop_map(OscType::Float),
        "[a-z]{0,6}".prop_map(OscType::String),
        any::<f64>().prop_map(OscType::Double),
    ];
    let addr = prop_oneof![Just("/play".to_string()), Just("/stop".to_string()), "/[a-z*?]{1,6}"];
    let message = (addr, proptest::collection::vec(arg, 0..4))
        .prop_map(|(addr, args)| OscPacket::Message(OscMessage { addr, args }));
    (any::<u32>(), any::<u32>(), proptest::collection::vec(message, 0..6)).prop_map(|(seconds, fractional, content)| {
        let timetag = OscTime { seconds: seconds % 4, fractional };
        encoder::encode(&OscPacket::Bundle(OscBundle { timetag, content })).unwrap()
    })
}

fn engine(clock: ClockMode, queue: usize) -> Engine<&'static str> {
    Engine::new(Settings { clock, queue, voices: 4, ..Settings::default() }, 48000.0, 25.0)
}

fn store() -> VecStore {
    VecStore::with_arrays(vec![("a", vec![0.5; 300]), ("b", vec![-1.0; 50])])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut e = engine(ClockMode::Logical, 8);
        e.handle_packet(&atoms(&bytes), LogicalMs(0.0), WallSeconds(1.7e9), &Clock::default(), &mut intern);
        let mut out = [0.0f32; 64];
        e.render(LogicalMs(64.0 / 48.0), &Clock::default(), &store(), &mut [&mut out[..]]);
        prop_assert!(out.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn mutated_valid_packets_never_panic(packet in valid_packet(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8), cut in any::<usize>()) {
        let mut bytes = packet;
        for (at, value) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = value;
            }
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let mut e = engine(ClockMode::System, 8);
        e.handle_packet(&atoms(&bytes), LogicalMs(10.0), WallSeconds(1.7e9), &Clock::default(), &mut intern);
        let mut out = [0.0f32; 64];
        e.render(LogicalMs(64.0 / 48.0 * 8.0), &Clock::default(), &store(), &mut [&mut out[..]]);
        prop_assert!(out.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn sequences_of_packets_clock_readings_and_blocks(
        steps in proptest::collection::vec((valid_packet(), 0u8..4, -1.0e3f64..1.0e6, 0usize..3), 1..30),
        queue in 1usize..6,
    ) {
        let mut e = engine(ClockMode::System, queue);
        let mut clock = Clock::default();
        let s = store();
        let mut logical = 0.0;
        for (packet, what, wall_jump, block_pick) in steps {
            let n = [1usize, 64, 2048][block_pick];
            match what {
                0 => { e.handle_packet(&atoms(&packet), LogicalMs(logical), WallSeconds(1.7e9 + logical / 1000.0), &clock, &mut intern); }
                1 => { clock.observe(LogicalMs(logical), ClockReading { mono_s: (logical + wall_jump) / 1000.0, wall_s: WallSeconds(1.7e9 + logical / 1000.0) }); }
                2 => { let _ = e.take_due_forwards(LogicalMs(logical)); }
                _ => {
                    logical += n as f64 * 1000.0 / 48000.0;
                    let mut out = vec![0.0f32; n];
                    e.render(LogicalMs(logical), &clock, &s, &mut [&mut out[..]]);
                    // 4 voices × |gain| ≤ 1000 × |sample| ≤ 1
                    prop_assert!(out.iter().all(|x| x.is_finite() && x.abs() <= 4000.0));
                }
            }
            let text = e.describe(|k| k.to_string());
            let audio_pending = text.iter().filter(|l| l.contains("pending") && !l.contains("forward")).count();
            prop_assert!(audio_pending <= queue, "queue bound broken: {text:?}");
        }
    }
}
