//! Issue 14, the network half: one packet must never crash, stall or bloat Pd.
//! Each test runs the whole `Engine::handle_packet` path on what a hostile
//! sender can put in one datagram.

use super::atom::Atom;
use super::console::MAX_ERROR_LINES_PER_SECOND;
use super::engine::{Engine, MAX_LOADS_PER_PACKET, Output};
use super::input::osc::tests::nested_arrays;
use super::input::osc_pattern::PACKET_PATTERN_STEPS;
use super::input::refusal::ErrorKind;
use super::report::{DropReason, Report};
use super::settings::{ClockMode, DEFAULT_FORWARD_BYTES, Settings};
use super::time::clock::Clock;
use super::time::units::{LogicalMs, WallSeconds};
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType, encoder};

fn engine(settings: Settings) -> Engine<&'static str> {
    Engine::new(Settings { clock: ClockMode::Logical, ..settings }, 48000.0, 0.0)
}

fn intern(s: &str) -> &'static str {
    match s {
        "/play" => "/play",
        "src" => "src",
        _ => "other",
    }
}

fn atoms(bytes: &[u8]) -> Vec<Atom<'static>> {
    bytes.iter().map(|&b| Atom::Float(b as f32)).collect()
}

fn send(e: &mut Engine<&'static str>, packet: &OscPacket, arrival_ms: f64) -> Vec<Output<&'static str>> {
    e.handle_packet(
        &atoms(&encoder::encode(packet).unwrap()),
        LogicalMs(arrival_ms),
        WallSeconds(0.0),
        &Clock::default(),
        &mut intern,
    )
}

fn message(addr: &str, args: Vec<OscType>) -> OscPacket {
    OscPacket::Message(OscMessage { addr: addr.into(), args })
}

fn bundle_at(seconds: u32, fractional: u32, content: Vec<OscPacket>) -> OscPacket {
    OscPacket::Bundle(OscBundle { timetag: OscTime { seconds, fractional }, content })
}

fn errors(out: &[Output<&'static str>]) -> Vec<ErrorKind> {
    out.iter()
        .filter_map(|o| match o {
            Output::Error { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect()
}

#[test]
fn nested_arrays_in_one_datagram_are_refused_on_a_small_stack() {
    // 256 KiB: smaller than any thread Pd or libpd runs on. Before the fix 30 000
    // levels overflowed even Linux's 8 MiB main stack (an abort, not a panic).
    let bytes = nested_arrays(29_990);
    assert!((59_900..=60_000).contains(&bytes.len()), "{}", bytes.len());
    let out = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let mut e = engine(Settings::default());
            let refused =
                e.handle_packet(&atoms(&bytes), LogicalMs(0.0), WallSeconds(0.0), &Clock::default(), &mut intern);
            let good = send(&mut e, &message("/play", vec![OscType::String("src".into())]), 1.0);
            (refused, good)
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(
        matches!(out.0.as_slice(), [Output::Error { kind: ErrorKind::Decode, detail }] if detail.contains("arrays nested deeper")),
        "{:?}",
        out.0
    );
    assert_eq!(out.1, vec![Output::Report(Report::Scheduled { ahead_ms: 0.0, address: "/play" })]);
}

/// A bundle due in 10 s with `n` nil arguments (1 byte of type tag each), made
/// distinct by `i` so the duplicate filter lets every one through.
fn nil_flood(i: u32, n: usize) -> Vec<u8> {
    let packet = bundle_at(10, i, vec![message("/x", vec![OscType::Nil; n])]);
    encoder::encode(&packet).unwrap()
}

#[test]
fn forward_queue_is_bounded_in_bytes() {
    // Issue 14: 1024 bundles of ~65 000 nil arguments took Pd to 1.2–3.7 GB.
    let nils = 65_000;
    let first = nil_flood(0, nils);
    assert!(first.len() <= 65_507, "{}", first.len());
    let mut e = engine(Settings::default());
    let (mut scheduled, mut over_bytes) = (0, 0);
    // (Fewer under debug assertions, where decoding 67 million arguments takes minutes.)
    let floods = if cfg!(debug_assertions) { 64 } else { 1024 };
    for i in 0..floods {
        let bytes = if i == 0 { first.clone() } else { nil_flood(i, nils) };
        for o in e.handle_packet(&atoms(&bytes), LogicalMs(i as f64), WallSeconds(0.0), &Clock::default(), &mut intern)
        {
            match o {
                Output::Report(Report::Scheduled { .. }) => scheduled += 1,
                Output::Report(Report::Dropped { reason: DropReason::QueueBytes, .. }) => over_bytes += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    let queued: usize = e.describe(|k| k.to_string()).iter().filter(|l| l.contains("forward /x")).count();
    assert_eq!((scheduled, over_bytes, queued), (1, floods - 1, 1), "one fits the default 4 MiB");
    let first_line = &e.describe(|k| k.to_string())[0];
    let bytes: usize = first_line.split(" forwarded (").nth(1).unwrap().split('/').next().unwrap().parse().unwrap();
    // Each nil: a 24-byte atom plus its 4-byte "nil" string in a 32-byte allocation.
    assert!((nils * 56..=DEFAULT_FORWARD_BYTES).contains(&bytes), "{bytes} bytes counted for {nils} nils");
    // The messages that fit still go out, whole, at their time.
    let due = e.take_due_forwards(LogicalMs(10_000.0));
    assert_eq!((due.len(), due[0].args.len()), (1, nils));
    // A lower bound, set by message, drops what no longer fits (the latest first).
    let mut e = engine(Settings { forward_bytes: 1 << 20, ..Settings::default() });
    let out = e.handle_packet(&atoms(&first), LogicalMs(0.0), WallSeconds(0.0), &Clock::default(), &mut intern);
    assert_eq!(out, vec![Output::Report(Report::Dropped { reason: DropReason::QueueBytes, address: "other" })]);
    let small = bundle_at(10, 0, vec![message("/tempo", vec![OscType::Int(120)])]);
    assert!(matches!(send(&mut e, &small, 0.0).as_slice(), [Output::Report(Report::Scheduled { .. })]));
    assert_eq!(e.set_forward_bytes(64), 1);
}

#[test]
fn two_thousand_refused_messages_make_one_console_line() {
    // (A folder for /load, so that the lexical path check lets a.wav through.)
    let mut e = engine(Settings { sound_dirs: vec!["sounds".into()], ..Settings::default() });
    // One packet: 2000 bad /play messages → one error, and nothing happens.
    let bad_plays: Vec<OscPacket> = (0..2000).map(|_| message("/play", vec![])).collect();
    let out = send(&mut e, &bundle_at(0, 1, bad_plays), 0.0);
    assert_eq!(errors(&out), vec![ErrorKind::Args]);
    assert_eq!(out.len(), 1);
    // 2000 /loads: refused whole (the loader would print a line for each it cannot start).
    let loads: Vec<OscPacket> = (0..2000)
        .map(|i| message("/load", vec![OscType::String(format!("s{i}")), OscType::String("a.wav".into())]))
        .collect();
    let out = send(&mut e, &bundle_at(0, 1, loads.clone()), 1.0);
    assert_eq!(errors(&out), vec![ErrorKind::Args], "{out:?}");
    let out = send(&mut e, &bundle_at(0, 1, loads[..MAX_LOADS_PER_PACKET].to_vec()), 2.0);
    assert_eq!(out.iter().filter(|o| matches!(o, Output::Load { .. })).count(), MAX_LOADS_PER_PACKET);
}

#[test]
fn refused_packets_print_a_bounded_number_of_short_lines_per_second() {
    let mut e = engine(Settings::default());
    let long_address = format!("/{}", "a".repeat(6_000));
    let bad = message(&long_address, vec![OscType::Float(f32::INFINITY)]);
    let mut console = Vec::new();
    let mut outlet_only = 0;
    // 2000 bad packets within 0.2 s.
    for i in 0..2000 {
        for o in send(&mut e, &bad, i as f64 * 0.1) {
            match o {
                Output::Error { kind: ErrorKind::Args, detail } => console.push(detail),
                Output::Refused { kind: ErrorKind::Args } => outlet_only += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!((console.len(), outlet_only), (MAX_ERROR_LINES_PER_SECOND, 2000 - MAX_ERROR_LINES_PER_SECOND));
    assert!(console.iter().all(|l| l.len() < 400), "{}", console[0]);
    assert!(console[0].contains("… (6001 bytes)"), "{}", console[0]);
    // A second later the count is told.
    let out = send(&mut e, &bad, 1200.0);
    assert!(
        matches!(out.as_slice(), [Output::Error { detail, .. }] if detail.contains("1980 more refused packets not shown")),
        "{out:?}"
    );
}

#[test]
fn pattern_bombs_against_four_maps_are_refused_whole() {
    let mut settings = Settings::default();
    // Matching costs (address bytes × pattern states) per entry: a long entry is the dear one.
    let long_entry = format!("/{}", "x".repeat(64));
    for address in ["/pd", "/drum/kick", "/drum/snare", &long_entry] {
        settings.maps.push(super::input::address_map::MapEntry {
            address: address.into(),
            first_arg: None,
            array: "src".into(),
        });
    }
    let mut e = engine(settings);
    // The 60 kB bomb of issue 14.
    let mut bomb = String::from("/");
    while bomb.len() < 30_000 {
        bomb.push_str("{,}");
    }
    bomb.push('[');
    bomb.push_str(&"x".repeat(30_000));
    let out = send(&mut e, &message(&bomb, vec![]), 0.0);
    assert!(matches!(out.as_slice(), [Output::Error { kind: ErrorKind::Pattern, .. }]), "{out:?}");
    // A bundle of as many 1 kB bombs as fit a datagram, after a good /play: the
    // shared budget runs out, the whole packet is refused, nothing is queued.
    let small_bomb = format!("/{}{}", "{,}".repeat(300), "x".repeat(99));
    let mut content = vec![message("/play", vec![OscType::String("src".into())])];
    content.extend((0..60).map(|_| message(&small_bomb, vec![])));
    let packet = bundle_at(0, 1, content);
    assert!(encoder::encode(&packet).unwrap().len() <= 65_507);
    let out = send(&mut e, &packet, 1.0);
    assert!(
        matches!(out.as_slice(), [Output::Error { kind: ErrorKind::Pattern, detail }] if detail.contains(&PACKET_PATTERN_STEPS.to_string())),
        "{out:?}"
    );
    assert!(e.describe(|k| k.to_string()).iter().all(|l| !l.contains("pending")), "the packet changed something");
    // A normal pattern still plays the mapped array.
    let out = send(&mut e, &message("/drum/{snare,kick}", vec![]), 2.0);
    assert_eq!(out, vec![Output::Report(Report::Scheduled { ahead_ms: 0.0, address: "other" })]);
}
