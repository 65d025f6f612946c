//! Engine behaviour without Pd: packets in at logical times, blocks rendered
//! the way Pd's scheduler calls perform, output checked sample by sample.

use super::*;
use crate::core::play::samples::VecStore;
use crate::core::report::Report;
use crate::core::settings::{ClockMode, LatePolicy, Settings};
use crate::core::time::clock::Clock;
use crate::core::time::time_map::At;
use crate::core::time::units::{LogicalMs, WallSeconds};
use proptest::prelude::*;
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType, encoder};

pub(super) const SR: f64 = 48000.0;

pub(super) fn ramp(n: usize) -> Vec<f32> {
    (1..=n).map(|i| i as f32).collect()
}

pub(super) fn store() -> VecStore {
    VecStore::with_arrays(vec![("src", ramp(1000)), ("other", vec![0.5; 100])])
}

fn logical(late: LatePolicy) -> Engine<&'static str> {
    let settings = Settings { clock: ClockMode::Logical, late, ..Settings::default() };
    Engine::new(settings, SR, 0.0)
}

pub(super) fn intern(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn play(array: &str, extra: Vec<OscType>) -> OscPacket {
    let mut args = vec![OscType::String(array.into())];
    args.extend(extra);
    OscPacket::Message(OscMessage { addr: "/play".into(), args })
}

fn at_seconds(s: f64, content: Vec<OscPacket>) -> OscPacket {
    let t = crate::core::time::timetag::Timetag::from_seconds(s).unwrap();
    OscPacket::Bundle(OscBundle { timetag: OscTime { seconds: t.seconds, fractional: t.fraction }, content })
}

pub(super) fn atoms(p: &OscPacket) -> Vec<Atom<'static>> {
    encoder::encode(p).unwrap().into_iter().map(|b| Atom::Float(b as f32)).collect()
}

fn send(e: &mut Engine<&'static str>, p: &OscPacket, arrival_ms: f64) -> Vec<Output<&'static str>> {
    e.handle_packet(&atoms(p), LogicalMs(arrival_ms), WallSeconds(0.0), &Clock::default(), &mut intern)
}

/// Renders blocks of `n` from logical 0 until `total` samples, delivering
/// packets at their arrival times before the block that contains them (as Pd's
/// scheduler does: clocks first, then DSP).
fn run(
    e: &mut Engine<&'static str>,
    s: &VecStore,
    n: usize,
    total: usize,
    mut packets: Vec<(f64, OscPacket)>,
) -> (Vec<f32>, Vec<Output<&'static str>>) {
    packets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    render_blocks(e, s, n, total, &packets, send)
}

/// Renders blocks of `n` from logical 0 until `total` samples; each input (in
/// time order) is handed to `deliver` at its time, before the block holding it.
pub(super) fn render_blocks<T>(
    e: &mut Engine<&'static str>,
    s: &VecStore,
    n: usize,
    total: usize,
    inputs: &[(f64, T)],
    mut deliver: impl FnMut(&mut Engine<&'static str>, &T, f64) -> Vec<Output<&'static str>>,
) -> (Vec<f32>, Vec<Output<&'static str>>) {
    let mut out = vec![0.0; total];
    let mut outputs = Vec::new();
    let mut next = 0;
    for block in 0..total / n {
        let end_ms = ((block + 1) * n) as f64 * 1000.0 / SR;
        while next < inputs.len() && inputs[next].0 < end_ms {
            outputs.extend(deliver(e, &inputs[next].1, inputs[next].0));
            next += 1;
        }
        e.render(LogicalMs(end_ms), &Clock::default(), s, &mut [&mut out[block * n..(block + 1) * n]]);
        outputs.extend(e.take_reports().0.into_iter().map(Output::Report));
    }
    (out, outputs)
}

pub(super) fn onset(out: &[f32]) -> Option<usize> {
    out.iter().position(|&x| x != 0.0)
}

#[test]
fn bundle_at_100_4_ms_starts_at_sample_4819() {
    let mut e = logical(LatePolicy::Join);
    let (out, _) = run(&mut e, &store(), 64, 6000, vec![(0.0, at_seconds(0.1004, vec![play("src", vec![])]))]);
    assert_eq!(onset(&out), Some(4819));
    assert_eq!(&out[4819..4822], &[1.0, 2.0, 3.0]);
}

#[test]
fn immediate_starts_at_arrival_sample() {
    let mut e = logical(LatePolicy::Join);
    let (out, outputs) = run(&mut e, &store(), 64, 2000, vec![(12.3, play("src", vec![]))]);
    assert_eq!(onset(&out), Some((12.3f64 * 48.0).round() as usize));
    assert!(outputs.contains(&Output::Report(Report::Scheduled { ahead_ms: 0.0, address: "/play" })));
}

#[test]
fn late_policies() {
    // Due at 10 ms, arrives at 20 ms: 480 samples late.
    let packet = at_seconds(0.010, vec![play("src", vec![])]);
    for (policy, first) in [(LatePolicy::Join, Some(481.0)), (LatePolicy::Play, Some(1.0)), (LatePolicy::Drop, None)] {
        let mut e = logical(policy);
        let (out, outputs) = run(&mut e, &store(), 64, 2048, vec![(20.0, packet.clone())]);
        assert!(
            outputs
                .iter()
                .any(|o| matches!(o, Output::Report(Report::Late { late_ms, .. }) if (late_ms - 10.0).abs() < 1e-6)),
            "{policy:?}"
        );
        match first {
            Some(v) => {
                assert_eq!(onset(&out), Some(960), "{policy:?}");
                assert_eq!(out[960], v, "{policy:?}");
            }
            None => assert_eq!(onset(&out), None),
        }
    }
}

#[test]
fn stop_is_sample_exact() {
    let mut e = logical(LatePolicy::Join);
    let stop = OscPacket::Message(OscMessage { addr: "/stop".into(), args: vec![] });
    let packets = vec![(0.0, at_seconds(0.001, vec![play("src", vec![])])), (0.0, at_seconds(0.002, vec![stop]))];
    let (out, _) = run(&mut e, &store(), 64, 512, packets);
    assert_eq!(onset(&out), Some(48));
    assert!(out[48..96].iter().all(|&x| x != 0.0));
    assert!(out[96..].iter().all(|&x| x == 0.0));
}

#[test]
fn gain_and_offset() {
    let mut e = logical(LatePolicy::Join);
    e.set_gain(0.5);
    let p = at_seconds(0.0, vec![play("src", vec![OscType::Float(4.0), OscType::Float(1.0)])]);
    let (out, _) = run(&mut e, &store(), 64, 128, vec![(0.0, p)]);
    // offset 1 ms = 48 samples: first value is ramp[48] = 49, times 4 × 0.5.
    assert_eq!(out[0], 49.0 * 2.0);
}

#[test]
fn queue_overflow_is_reported() {
    let settings = Settings { clock: ClockMode::Logical, queue: 2, ..Settings::default() };
    let mut e = Engine::new(settings, SR, 0.0);
    let p = at_seconds(1.0, vec![play("src", vec![]), play("src", vec![]), play("src", vec![])]);
    let outputs = send(&mut e, &p, 0.0);
    let dropped = outputs
        .iter()
        .filter(|o| matches!(o, Output::Report(Report::Dropped { reason: DropReason::QueueFull, .. })))
        .count();
    assert_eq!(dropped, 1);
}

#[test]
fn forwarded_messages_wait_for_their_time() {
    let mut e = logical(LatePolicy::Join);
    let tempo = OscPacket::Message(OscMessage { addr: "/tempo".into(), args: vec![OscType::Int(120)] });
    assert!(
        send(&mut e, &at_seconds(0.5, vec![tempo.clone()]), 0.0).iter().all(|o| !matches!(o, Output::Forward { .. }))
    );
    assert_eq!(e.next_forward_ms(), Some(LogicalMs(500.0)));
    assert!(e.take_due_forwards(LogicalMs(499.0)).is_empty());
    assert_eq!(e.take_due_forwards(LogicalMs(500.0)).len(), 1);
    // Immediately: out at once.
    assert!(
        send(&mut e, &tempo, 0.0).iter().any(|o| matches!(o, Output::Forward { address, .. } if address == "/tempo"))
    );
}

#[test]
fn bad_packets_change_nothing() {
    let mut e = logical(LatePolicy::Join);
    let good = atoms(&at_seconds(0.0, vec![play("src", vec![])]));
    let bad: Vec<Vec<Atom>> = vec![
        vec![],
        vec![Atom::Float(300.0)],
        vec![Atom::Symbol("x")],
        good[..good.len() - 1].to_vec(),
        atoms(&at_seconds(
            0.0,
            vec![play("src", vec![]), OscPacket::Message(OscMessage { addr: "/play".into(), args: vec![] })],
        )),
    ];
    for b in &bad {
        let out = e.handle_packet(b, LogicalMs(0.0), WallSeconds(0.0), &Clock::default(), &mut intern);
        assert!(matches!(out.as_slice(), [Output::Error { .. }]), "{out:?}");
    }
    let mut block = [0.0; 64];
    e.render(LogicalMs(64.0 / 48.0), &Clock::default(), &store(), &mut [&mut block[..]]);
    assert!(block.iter().all(|&x| x == 0.0), "a bad packet played something");
}

#[test]
fn duplicates_are_dropped() {
    let mut e = logical(LatePolicy::Join);
    let p = at_seconds(0.5, vec![play("src", vec![])]);
    send(&mut e, &p, 0.0);
    let again = send(&mut e, &p, 10.0);
    assert_eq!(again, vec![Output::Report(Report::Dropped { reason: DropReason::Duplicate, address: "/play" })]);
}

#[test]
fn too_far_is_refused() {
    let mut e = logical(LatePolicy::Join);
    let out = send(&mut e, &at_seconds(61.0, vec![play("src", vec![])]), 0.0);
    assert_eq!(out, vec![Output::Report(Report::Dropped { reason: DropReason::TooFar, address: "/play" })]);
}

#[test]
fn late_after_dsp_was_off() {
    let mut e = logical(LatePolicy::Join);
    send(&mut e, &at_seconds(0.001, vec![play("src", vec![])]), 0.0);
    // First block rendered is [960, 1024): the event was due at sample 48.
    let mut block = [0.0; 64];
    e.render(LogicalMs(1024.0 / 48.0), &Clock::default(), &store(), &mut [&mut block[..]]);
    assert_eq!(block[0], (960 - 48 + 1) as f32);
    assert!(matches!(e.take_reports().0.as_slice(), [Report::Late { .. }]));
}

proptest! {
    /// The timing contract for any due time, block size and rate: array[0] at round(t·sr).
    #[test]
    fn onset_is_round_t_times_sr(t_ms in 0.0f64..200.0, n_pow in 0u32..8, sr_pick in 0usize..3) {
        let sr = [44100.0, 48000.0, 96000.0][sr_pick];
        let n = 1usize << n_pow;
        let settings = Settings { clock: ClockMode::Logical, ..Settings::default() };
        let mut e = Engine::new(settings, sr, 0.0);
        let s = store();
        e.handle_packet(&atoms(&at_seconds(t_ms / 1000.0, vec![play("src", vec![])])), LogicalMs(0.0), WallSeconds(0.0), &Clock::default(), &mut intern);
        let total = ((0.25 * sr) as usize / n) * n;
        let mut out = vec![0.0; total];
        for b in 0..total / n {
            let end_ms = ((b + 1) * n) as f64 * 1000.0 / sr;
            e.render(LogicalMs(end_ms), &Clock::default(), &s, &mut [&mut out[b * n..(b + 1) * n]]);
        }
        let t = crate::core::time::timetag::Timetag::from_seconds(t_ms / 1000.0).unwrap().as_seconds();
        prop_assert_eq!(onset(&out), Some((t * sr).round() as usize));
    }
}

#[test]
fn huge_offset_joined_late_is_just_past_the_end() {
    // Found by cargo fuzz: offset 1e30 ms saturates to i64::MAX samples; joining
    // late added to it and overflowed. Now the voice ends at once, silent.
    let mut e = logical(LatePolicy::Join);
    let p = at_seconds(0.001, vec![play("src", vec![OscType::Float(1.0), OscType::Float(1e30)])]);
    let (out, outputs) = run(&mut e, &store(), 64, 512, vec![(5.0, p)]);
    assert!(outputs.iter().any(|o| matches!(o, Output::Report(Report::Late { .. }))));
    assert_eq!(onset(&out), None);
    assert!(outputs.contains(&Output::Report(Report::Done { array: "src" })), "{outputs:?}");
}

#[test]
fn distinct_names_from_the_network_are_bounded() {
    // Pd never frees a symbol: past the budget a packet with a new name is refused
    // whole; names seen before still pass.
    use crate::core::input::name_budget::MAX_NETWORK_NAMES;
    let mut e = logical(LatePolicy::Join);
    let forward = |address: String, arg: &str| {
        OscPacket::Message(OscMessage { addr: address, args: vec![OscType::String(arg.into())] })
    };
    let refused =
        |out: &[Output<&'static str>]| out.iter().any(|o| matches!(o, Output::Error { kind: ErrorKind::Names, .. }));
    assert!(!refused(&send(&mut e, &play("src", vec![]), 0.0)));
    // Each packet brings two new names: its address and a string argument.
    for i in 0..MAX_NETWORK_NAMES / 2 - 1 {
        assert!(!refused(&send(&mut e, &forward(format!("/n{i}"), &format!("s{i}")), 0.0)), "packet {i}");
    }
    let out = send(&mut e, &forward("/new".into(), "s0"), 0.0);
    assert!(refused(&out), "{out:?}");
    assert!(!refused(&send(&mut e, &forward("/n7".into(), "s9"), 0.0)));
    let out = send(&mut e, &at_seconds(0.0, vec![play("src", vec![]), play("brand-new", vec![])]), 0.0);
    assert_eq!(out.len(), 1, "all or nothing: {out:?}");
    assert!(refused(&out), "{out:?}");
    assert!(!refused(&send(&mut e, &at_seconds(0.0, vec![play("src", vec![])]), 0.0)));
}

/// Renders `seconds` of a Pd whose sound moves `step_ms` later at 2.5 s (a
/// stall longer than its buffer), with a play queued for wall time +3 s at
/// arrival; returns the onset sample and the clock reports.
fn step_while_queued(mode: ClockMode, step_ms: f64) -> (Option<usize>, Vec<Report<&'static str>>) {
    use crate::core::time::clock::ClockReading;
    use crate::core::time::timetag::NTP_UNIX_OFFSET_S;
    const WALL0: f64 = 1.7e9;
    let mut e = Engine::new(Settings { clock: mode, ..Settings::default() }, SR, 0.0);
    let mut clock = Clock::default();
    let s = store();
    let n = 64;
    let total = 4 * SR as usize;
    let mut out = vec![0.0; total];
    let mut reports = Vec::new();
    for block in 0..total / n {
        let end_ms = ((block + 1) * n) as f64 * 1000.0 / SR;
        let mono_s = end_ms / 1000.0 + if end_ms > 2500.0 { step_ms / 1000.0 } else { 0.0 };
        clock.observe(LogicalMs(end_ms), ClockReading { mono_s, wall_s: WallSeconds(WALL0 + mono_s) });
        if block == 10 {
            let p = at_seconds(NTP_UNIX_OFFSET_S + WALL0 + 3.0, vec![play("src", vec![])]);
            e.handle_packet(&atoms(&p), LogicalMs(end_ms), WallSeconds(WALL0 + mono_s), &clock, &mut intern);
        }
        e.render(LogicalMs(end_ms), &clock, &s, &mut [&mut out[block * n..(block + 1) * n]]);
        reports.extend(e.take_reports().0.into_iter().filter(|r| matches!(r, Report::ClockStep { .. })));
    }
    // (The paced path's interpolator rings a little before a click that does
    // not fall on a whole sample: the onset is where it reaches half its height.)
    (out.iter().position(|&x| x.abs() >= 0.5), reports)
}

/// The wall clock steps 0.1 s ahead (NTP) at 2.05 s while a play waits for
/// wall time +2.3 s: it is due 0.1 s sooner, at once. (Re-mapped only at the
/// clock filter's next refit, ~2.5 s, it played at 2.3 s: in the live bench a
/// queued event then played 0.5 s after a wall step, in the next event's window.)
#[test]
fn queued_events_follow_a_wall_clock_step_at_once() {
    use crate::core::time::clock::ClockReading;
    use crate::core::time::timetag::NTP_UNIX_OFFSET_S;
    const WALL0: f64 = 1.7e9;
    let mut e = Engine::new(Settings { clock: ClockMode::System, ..Settings::default() }, SR, 0.0);
    let mut clock = Clock::default();
    let s = store();
    let n = 64;
    let total = 3 * SR as usize;
    let mut out = vec![0.0; total];
    for block in 0..total / n {
        let end_ms = ((block + 1) * n) as f64 * 1000.0 / SR;
        let mono_s = end_ms / 1000.0;
        let wall_s = WALL0 + mono_s + if end_ms > 2050.0 { 0.1 } else { 0.0 };
        clock.observe(LogicalMs(end_ms), ClockReading { mono_s, wall_s: WallSeconds(wall_s) });
        if block == 10 {
            let p = at_seconds(NTP_UNIX_OFFSET_S + WALL0 + 2.3, vec![play("src", vec![])]);
            e.handle_packet(&atoms(&p), LogicalMs(end_ms), WallSeconds(wall_s), &clock, &mut intern);
        }
        e.render(LogicalMs(end_ms), &clock, &s, &mut [&mut out[block * n..(block + 1) * n]]);
    }
    let onset = out.iter().position(|&x| x.abs() >= 0.5).expect("played") as i64;
    let expected = (2.2 * SR).round() as i64;
    assert!((onset - expected).abs() <= 1, "onset {onset}, expected {expected}");
}

/// 0.2 mapped a timetag once, at arrival: a step while the event waited
/// never reached it (here it would have played 20 ms = 960 samples early).
#[test]
fn queued_events_follow_a_clock_step() {
    let (onset, reports) = step_while_queued(ClockMode::System, 20.0);
    let expected = ((3.0 - 0.020) * SR).round() as i64;
    let onset = onset.expect("played") as i64;
    assert!((onset - expected).abs() <= 1, "onset {onset}, expected {expected}, {reports:?}");
    assert!(
        matches!(reports.as_slice(), [Report::ClockStep { step_ms }] if (step_ms - 20.0).abs() < 0.01),
        "{reports:?}"
    );
}

/// With -clock logical the estimate is not used: its steps are not reported.
#[test]
fn logical_clock_reports_no_steps() {
    let (_, reports) = step_while_queued(ClockMode::Logical, 20.0);
    assert!(reports.is_empty(), "{reports:?}");
}

/// Two objects in one Pd read one clock: they agree to the sample.
#[test]
fn two_engines_on_one_clock_agree() {
    use crate::core::time::clock::ClockReading;
    let mut clock = Clock::default();
    let mut engines: [Engine<&str>; 2] = [0, 1].map(|_| Engine::new(Settings::default(), SR, 25.0));
    for k in 0..2000 {
        let end_ms = (k + 1) as f64 * 64.0 * 1000.0 / SR;
        let late = (k % 4) as f64 * 0.0013;
        clock.observe(
            LogicalMs(end_ms),
            ClockReading { mono_s: end_ms / 1000.0 + late, wall_s: WallSeconds(1.7e9 + end_ms / 1000.0 + late) },
        );
    }
    let due = |e: &Engine<&'static str>| e.time.due_ms(At::Wall(WallSeconds(1.7e9 + 3.0)), &clock);
    let at = due(&engines[0]);
    assert_eq!(at, due(&engines[1]));
    assert!((at.unwrap().0 - 2975.0).abs() < 0.01, "{at:?}");
    engines[1].set_latency(10.0);
    assert!((due(&engines[1]).unwrap().0 - 2990.0).abs() < 0.01);
}

fn immediately(content: Vec<OscPacket>) -> OscPacket {
    OscPacket::Bundle(OscBundle { timetag: OscTime { seconds: 0, fractional: 1 }, content })
}

#[test]
fn repeated_bare_messages_and_immediate_bundles_always_play() {
    // The workshop's metronome (Example 2) sends the same immediate bundle every
    // 0.5 s; a button sends the same bare message twice in a row. None is a copy.
    let mut e = logical(LatePolicy::Join);
    for (i, p) in [immediately(vec![play("src", vec![])]), play("src", vec![])].iter().enumerate() {
        for k in 0..3 {
            let out = send(&mut e, p, k as f64);
            assert!(
                out.iter().all(|o| !matches!(o, Output::Report(Report::Dropped { .. }))),
                "packet {i} copy {k}: {out:?}"
            );
        }
    }
}

#[test]
fn timed_copies_within_the_default_window_are_dropped_and_later_ones_play() {
    // Default window 100 ms: redundant copies arrive within network jitter of each
    // other; the workshop's Example 3 bug (one timetag for every bundle, 0.5 s apart)
    // is not redundancy and must still play.
    let mut e = Engine::new(Settings { clock: ClockMode::Logical, ..Settings::default() }, SR, 0.0);
    assert_eq!(e.dedupe_ms(), 100.0);
    let p = at_seconds(2.0, vec![play("src", vec![])]);
    let dropped = |out: &[Output<&'static str>]| {
        out.iter().any(|o| matches!(o, Output::Report(Report::Dropped { reason: DropReason::Duplicate, .. })))
    };
    assert!(!dropped(&send(&mut e, &p, 0.0)));
    assert!(dropped(&send(&mut e, &p, 30.0)));
    assert!(dropped(&send(&mut e, &p, 99.0)));
    assert!(!dropped(&send(&mut e, &p, 500.0)));
}

#[test]
fn join_or_play_joins_a_long_sound_and_replays_a_short_one() {
    // Due at 10 ms, arrives at 20 ms: 480 samples late. "src" is 1000 samples
    // (480 > 100: play from the start); "long" is 10 000 (480 ≤ 1000: join).
    let s = VecStore::with_arrays(vec![("src", ramp(1000)), ("long", ramp(10_000))]);
    for (array, first) in [("src", 1.0), ("long", 481.0)] {
        let mut e = logical(LatePolicy::JoinOrPlay);
        let (out, outputs) = run(&mut e, &s, 64, 2048, vec![(20.0, at_seconds(0.010, vec![play(array, vec![])]))]);
        assert!(outputs.iter().any(|o| matches!(o, Output::Report(Report::Late { .. }))), "{array}: {outputs:?}");
        assert_eq!(onset(&out), Some(960), "{array}");
        assert_eq!(out[960], first, "{array}");
    }
    assert_eq!(Settings::default().late, LatePolicy::JoinOrPlay);
}

#[test]
fn immediate_bundle_from_pd_is_timetag_one() {
    let e = logical(LatePolicy::Join);
    let bytes = e
        .make_bundle(
            LogicalMs(0.0),
            WallSeconds(0.0),
            &Clock::default(),
            None,
            "/py",
            &[ForwardAtom::Symbol("tick".into())],
        )
        .unwrap();
    assert_eq!(&bytes[8..16], &[0, 0, 0, 0, 0, 0, 0, 1]);
}

#[test]
fn wall_now_falls_back_to_the_raw_clock_before_any_estimate() {
    use crate::core::time::clock::ClockReading;
    let e: Engine<&'static str> = Engine::new(Settings::default(), SR, 0.0);
    let mut clock = Clock::default();
    assert_eq!(e.wall_now_s(LogicalMs(0.0), &clock, WallSeconds(1234.5)), WallSeconds(1234.5));
    for k in 0..200 {
        let logical_ms = k as f64 * 64.0 / 48.0;
        clock.observe(
            LogicalMs(logical_ms),
            ClockReading { mono_s: logical_ms / 1000.0, wall_s: WallSeconds(1_000_000.0 + logical_ms / 1000.0) },
        );
    }
    let at = 200.0 * 64.0 / 48.0;
    assert!((e.wall_now_s(LogicalMs(at), &clock, WallSeconds(0.0)).0 - (1_000_000.0 + at / 1000.0)).abs() < 1e-3);
}

/// A bundle whose `/load` names a path the policy refuses is dropped whole:
/// its `/play` does not play (docs: one bad message rejects the packet).
#[test]
fn refused_load_drops_the_whole_bundle() {
    let load = |path: &str| {
        OscPacket::Message(OscMessage {
            addr: "/load".into(),
            args: vec![OscType::String("k".into()), OscType::String(path.into())],
        })
    };
    let mut allowed = logical(LatePolicy::Join);
    allowed.settings.sound_dirs.push("sounds".into());
    let mut none_allowed = logical(LatePolicy::Join);
    for (allowed_here, path) in [(true, "../secret.wav"), (true, "/etc/passwd"), (false, "kick.wav")] {
        let e = if allowed_here { &mut allowed } else { &mut none_allowed };
        let out = send(e, &at_seconds(0.0, vec![play("src", vec![]), load(path)]), 0.0);
        assert!(matches!(out.as_slice(), [Output::LoadRefused { name, .. }] if name == "k"), "{path}: {out:?}");
        let mut block = [0.0; 64];
        e.render(LogicalMs(64.0 / 48.0), &Clock::default(), &store(), &mut [&mut block[..]]);
        assert!(block.iter().all(|&x| x == 0.0), "{path}: the bundle's /play played");
    }
    let out = send(&mut allowed, &at_seconds(0.0, vec![play("src", vec![]), load("kit/kick.wav")]), 0.0);
    assert!(
        out.iter().any(|o| matches!(o, Output::Load { path, from_network: true, .. } if path == "kit/kick.wav")),
        "{out:?}"
    );
}

/// A refused `/load` names its sound on the outlet (`error load <name>`), so the
/// name budget applies to it first: past the budget, a new name is `error names`.
#[test]
fn refused_load_names_count_against_the_name_budget() {
    let mut e = logical(LatePolicy::Join);
    for i in 0..crate::core::input::name_budget::MAX_NETWORK_NAMES {
        send(&mut e, &OscPacket::Message(OscMessage { addr: format!("/n{i}"), args: vec![] }), 0.0);
    }
    let load = OscPacket::Message(OscMessage {
        addr: "/load".into(),
        args: vec![OscType::String("fresh".into()), OscType::String("../x.wav".into())],
    });
    let out = send(&mut e, &load, 0.0);
    assert!(matches!(out.as_slice(), [Output::Error { kind: ErrorKind::Names, .. }]), "{out:?}");
}

#[test]
fn each_setting_has_one_home_that_control_messages_change() {
    use crate::core::control::{self, Control};
    let mut e: Engine<&'static str> =
        Engine::new(Settings { clock: ClockMode::Logical, ..Settings::default() }, SR, 3.0);
    assert_eq!((e.clock_mode(), e.latency_ms()), (ClockMode::Logical, 3.0));
    control::apply(&mut e, &Control::SetClock(ClockMode::System));
    control::apply(&mut e, &Control::Latency(7.0));
    assert_eq!((e.clock_mode(), e.latency_ms()), (ClockMode::System, 7.0));
    let first = &e.describe(|k| k.to_string())[0];
    assert!(first.starts_with("clock system,") && first.contains("latency 7 ms"), "{first}");
    let unmap = Control::Unmap { address: Some("/x".into()), first_arg: None };
    assert_eq!(control::apply(&mut e, &unmap), Some(control::ControlNote::NoSuchEntry));
}
