//! The patch's own `play` and `at` messages: the same path as a bare `/play`
//! (sub-block exact at the message's logical time), checked arguments, the
//! queue's limits; a bad one changes nothing.

use super::tests::{SR, atoms, intern, onset, render_blocks, store};
use super::*;
use crate::core::input::address_map::{MapEntry, MatchArg};
use crate::core::report::Report;
use crate::core::settings::{ClockMode, LatePolicy, Settings};
use crate::core::time::clock::Clock;
use crate::core::time::units::{LogicalMs, WallSeconds};
use rosc::{OscMessage, OscPacket, OscType};

fn logical() -> Engine<&'static str> {
    let settings = Settings { clock: ClockMode::Logical, late: LatePolicy::JoinOrPlay, ..Settings::default() };
    Engine::new(settings, SR, 0.0)
}

fn words(text: &str) -> Vec<ForwardAtom> {
    text.split_whitespace()
        .map(|w| w.parse::<f32>().map_or_else(|_| ForwardAtom::Symbol(w.into()), ForwardAtom::Float))
        .collect()
}

enum Input {
    /// A bare OSC message's bytes, as from `[netreceive -u -b]`.
    Bare(OscMessage),
    Play(&'static str),
    At(&'static str),
}

fn handle(e: &mut Engine<&'static str>, input: &Input, now_ms: f64) -> Vec<Output<&'static str>> {
    match input {
        Input::Bare(m) => {
            let atoms = atoms(&OscPacket::Message(m.clone()));
            e.handle_packet(&atoms, LogicalMs(now_ms), WallSeconds(0.0), &Clock::default(), &mut intern)
        }
        Input::Play(text) => e.play_now(&words(text), LogicalMs(now_ms), &mut intern),
        Input::At(text) => e.play_at(&words(text), LogicalMs(now_ms), &mut intern),
    }
}

/// Blocks of 64 from logical 0; each input handled at its time before the block holding it.
fn run(e: &mut Engine<&'static str>, total: usize, inputs: &[(f64, Input)]) -> (Vec<f32>, Vec<Output<&'static str>>) {
    render_blocks(e, &store(), 64, total, inputs, handle)
}

#[test]
fn play_starts_at_the_messages_sample_as_a_bare_play_does() {
    let bare = OscMessage { addr: "/play".into(), args: vec![OscType::String("src".into())] };
    let (by_osc, _) = run(&mut logical(), 2048, &[(12.3, Input::Bare(bare))]);
    let (by_message, outputs) = run(&mut logical(), 2048, &[(12.3, Input::Play("src"))]);
    let expected = (12.3f64 * SR / 1000.0).round() as usize;
    assert_eq!(onset(&by_message), Some(expected));
    assert_eq!(by_message, by_osc, "the same samples as a bare /play arriving then");
    assert!(outputs.contains(&Output::Report(Report::Scheduled { ahead_ms: 0.0, address: "/play" })), "{outputs:?}");
}

#[test]
fn play_takes_gain_and_offset_in_ms() {
    let (out, _) = run(&mut logical(), 2048, &[(0.0, Input::Play("src 0.5 1"))]);
    // 1 ms at 48 kHz: from array index 48, the ramp's value 49.
    assert_eq!(&out[0..3], &[24.5, 25.0, 25.5]);
}

#[test]
fn at_starts_exactly_round_delay_times_sr_later() {
    for (now, delay) in [(0.0, 100.0), (10.0, 100.0), (3.3, 0.7), (1.0, 0.0)] {
        let (out, outputs) =
            run(&mut logical(), 8192, &[(now, Input::At(Box::leak(format!("{delay} /play src").into())))]);
        let expected = ((now + delay as f32 as f64) * SR / 1000.0).round() as usize;
        assert_eq!(onset(&out), Some(expected), "at {delay} from {now}");
        assert!(outputs.iter().any(|o| matches!(o, Output::Report(Report::Scheduled { ahead_ms, .. }) if (*ahead_ms - delay as f32 as f64).abs() < 1e-9)));
    }
}

#[test]
fn at_goes_through_the_map_and_forwards_other_addresses_at_their_time() {
    let mut e = logical();
    e.map
        .add(MapEntry { address: "/pd".into(), first_arg: Some(MatchArg::Symbol("tick".into())), array: "src".into() })
        .unwrap();
    let (out, _) = run(&mut e, 4096, &[(0.0, Input::At("50 /pd tick"))]);
    assert_eq!(onset(&out), Some(2400));
    let mut e = logical();
    assert!(handle(&mut e, &Input::At("500 /tempo 120"), 10.0).iter().all(|o| !matches!(o, Output::Forward { .. })));
    assert_eq!(e.next_forward_ms(), Some(LogicalMs(510.0)));
    let due = e.take_due_forwards(LogicalMs(510.0));
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].address.as_str(), due[0].args.as_slice()), ("/tempo", &[ForwardAtom::Float(120.0)][..]));
    // Due now: out at once.
    let now = handle(&mut e, &Input::At("0 /tempo 90"), 20.0);
    assert!(now.iter().any(|o| matches!(o, Output::Forward { address, .. } if address == "/tempo")), "{now:?}");
}

#[test]
fn at_is_bounded_by_the_queue_and_the_horizon() {
    let mut e = logical();
    e.set_queue_capacity(2);
    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.extend(handle(&mut e, &Input::At("100 /play src"), 0.0));
    }
    assert_eq!(
        reports.last(),
        Some(&Output::Report(Report::Dropped { reason: DropReason::QueueFull, address: "/play" }))
    );
    let far = handle(&mut e, &Input::At("61000 /stop"), 0.0);
    assert_eq!(far, vec![Output::Report(Report::Dropped { reason: DropReason::TooFar, address: "/stop" })]);
}

#[test]
fn bad_arguments_are_refused_with_a_kind_and_change_nothing() {
    let cases: [(&Input, &str, &str); 10] = [
        (&Input::Play(""), "args", "usage: /play"),
        (&Input::Play("3"), "args", "array name"),
        (&Input::Play("src loud"), "args", "gain"),
        (&Input::Play("src 5000"), "args", "gain"),
        (&Input::Play("src 1 -5"), "args", "offset"),
        (&Input::Play("src 1 0 7"), "args", "4 arguments"),
        (&Input::At("-5 /play src"), "args", "usage: at"),
        (&Input::At("soon /play src"), "args", "usage: at"),
        (&Input::At("10 play src"), "args", "usage: at"),
        (&Input::At("10 /fsync/offset 5"), "reserved", "/fsync/"),
    ];
    for (input, kind, words) in cases {
        let mut e = logical();
        let (out, outputs) = run(&mut e, 4096, &[(1.0, Input::Play("src")), (1.0, input_again(input))]);
        let refusal = &outputs[1];
        assert!(
            matches!(refusal, Output::Error { kind: k, detail } if k.word() == kind && detail.contains(words)),
            "{refusal:?} should be error {kind} mentioning '{words}'"
        );
        assert_eq!(outputs.len(), 2 + 1, "only the good play's scheduled/done besides: {outputs:?}");
        let (alone, _) = run(&mut logical(), 4096, &[(1.0, Input::Play("src"))]);
        assert_eq!(out, alone, "a refused message changed the sound");
        assert_eq!(e.describe(|k| k.to_string()).len(), 2, "nothing left pending");
    }
}

fn input_again(input: &Input) -> Input {
    match input {
        Input::Bare(m) => Input::Bare(m.clone()),
        Input::Play(t) => Input::Play(t),
        Input::At(t) => Input::At(t),
    }
}

fn any_atom() -> impl proptest::strategy::Strategy<Value = ForwardAtom> {
    use proptest::prelude::*;
    prop_oneof![
        any::<f32>().prop_map(ForwardAtom::Float),
        prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(-1.0f32), Just(0.0f32), Just(1e30f32)]
            .prop_map(ForwardAtom::Float),
        "(/play|/stop|/load|/fsync/ping|/tempo|src|play|/|x|)".prop_map(ForwardAtom::Symbol),
    ]
}

proptest::proptest! {
    /// Whatever a patch sends: no panic, and a refusal leaves nothing pending.
    #[test]
    fn any_play_or_at_message_is_handled_or_refused_cleanly(
        args in proptest::collection::vec(any_atom(), 0..6),
        at in proptest::bool::ANY,
    ) {
        let mut e = logical();
        let outputs = if at { e.play_at(&args, LogicalMs(5.0), &mut intern) } else { e.play_now(&args, LogicalMs(5.0), &mut intern) };
        let refused = outputs.iter().any(|o| matches!(o, Output::Error { .. } | Output::Refused { .. }));
        if refused {
            proptest::prop_assert_eq!(outputs.len(), 1);
            proptest::prop_assert_eq!(e.describe(|k| k.to_string()).len(), 2, "a refusal left something pending");
        }
    }
}
