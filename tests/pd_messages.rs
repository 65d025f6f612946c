//! The readable messages in real Pd (`-clock logical`, `pd -batch`): `play` starts
//! at the sample of the message's logical time, `at <ms>` exactly round(ms·sr/1000)
//! samples later, and bad arguments say why and change nothing.

mod harness;

use harness::osc::{bytes, play};
use harness::{Input, Patch, f32_ms, onset_of_ramp, ramp, sample_of};

#[test]
fn play_starts_at_the_sample_of_the_messages_logical_time() {
    for sr in [48000, 44100] {
        let run = Patch::new(sr, "-clock logical")
            .array("src", ramp(100))
            .at(12.3, Input::Control("play src".into()))
            .length(60.0)
            .run();
        assert!(run.exit_ok, "{}", run.stderr);
        let expected = sample_of(f32_ms(12.3), sr);
        assert_eq!(run.first_nonzero(), Some(expected), "sr {sr}\n{}", run.stderr);
        assert_eq!(&run.samples[expected..expected + 100], &ramp(100)[..]);
        assert_eq!(run.status_with("scheduled"), vec!["scheduled 0 /play"]);
        // The same sample as a bare /play packet at that time.
        let bare = Patch::new(sr, "-clock logical")
            .array("src", ramp(100))
            .packet(12.3, bytes(&play("src")))
            .length(60.0)
            .run();
        assert_eq!(bare.samples, run.samples, "sr {sr}: play and a bare /play differ");
    }
}

#[test]
fn play_and_at_use_logical_time_under_the_system_clock_too() {
    // (Never mapped through the wall clock: the message's own logical time. -drift off:
    // the paced path starts a voice between samples, not on a ramp's exact values.)
    let run = Patch::new(48000, "-clock system -drift off")
        .array("src", ramp(20))
        .at(12.3, Input::Control("play src".into()))
        .at(12.3, Input::Control("at 50 /play src".into()))
        .length(100.0)
        .run();
    let first = onset_of_ramp(&run.samples, 0);
    assert_eq!(first, Some(sample_of(f32_ms(12.3), 48000)), "{}", run.stderr);
    assert_eq!(onset_of_ramp(&run.samples, first.unwrap() + 1), Some(first.unwrap() + 2400));
}

#[test]
fn play_with_gain_and_offset_in_ms() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", ramp(200))
        .at(10.0, Input::Control("play src 0.5 1".into()))
        .length(40.0)
        .run();
    let start = sample_of(10.0, 48000);
    assert_eq!(run.first_nonzero(), Some(start), "{}", run.stderr);
    // 1 ms in at 48 kHz: array index 48 (value 49), times 0.5.
    assert_eq!(&run.samples[start..start + 3], &[24.5, 25.0, 25.5]);
}

#[test]
fn at_100_starts_exactly_a_tenth_of_a_second_of_samples_later() {
    for sr in [48000, 44100] {
        let run = Patch::new(sr, "-clock logical")
            .array("src", ramp(50))
            .at(12.3, Input::Control("play src".into()))
            .at(12.3, Input::Control("at 100 /play src".into()))
            .length(160.0)
            .run();
        let first = onset_of_ramp(&run.samples, 0).expect("play");
        let second = onset_of_ramp(&run.samples, first + 1).expect("at 100");
        assert_eq!(first, sample_of(f32_ms(12.3), sr), "sr {sr}\n{}", run.stderr);
        assert_eq!(second - first, (0.1 * sr as f64).round() as usize, "sr {sr}");
        assert_eq!(run.status_with("scheduled"), vec!["scheduled 0 /play", "scheduled 100 /play"]);
    }
}

#[test]
fn at_forwards_other_addresses_at_their_time() {
    // [r status-bus] → [route /tempo] → [t b] → [timer] started at load: prints the ms.
    let mut patch =
        Patch::new(48000, "-clock logical").at(5.0, Input::Control("at 20.5 /tempo 120".into())).length(60.0);
    patch.extra = vec![
        "#X obj 10 600 r status-bus;".into(),
        "#X obj 10 630 route /tempo;".into(),
        "#X obj 10 660 t b;".into(),
        "#X obj 10 690 timer;".into(),
        "#X obj 10 720 print tempo-at;".into(),
        "#X obj 200 600 loadbang;".into(),
    ];
    patch.extra_connects = vec![(0, 0, 1, 0), (1, 0, 2, 0), (2, 0, 3, 1), (3, 0, 4, 0), (5, 0, 3, 0)];
    let run = patch.run();
    assert!(run.stderr.lines().any(|l| l == "tempo-at: 25.5"), "{}", run.stderr);
}

#[test]
fn bad_arguments_say_why_answer_error_and_change_nothing() {
    for (bad, kind, says) in [
        ("play src loud", "args", "play refused: /play: gain"),
        ("play", "args", "play refused: /play: 0 arguments"),
        ("play src 1 -3", "args", "play refused: /play: offset_ms"),
        ("at soon /play src", "args", "at refused: at: usage: at <ms>"),
        ("at -5 /play src", "args", "at refused: at: usage: at <ms>"),
        ("at 10 /fsync/offset 5", "reserved", "at refused: at /fsync/offset"),
        ("at 10 /play src 1 0 9", "args", "at refused: at: /play: 4 arguments"),
    ] {
        let run = Patch::new(48000, "-clock logical")
            .array("src", ramp(50))
            .at(2.0, Input::Control(bad.into()))
            .at(5.0, Input::Control("play src".into()))
            .length(40.0)
            .run();
        assert!(run.exit_ok, "{}", run.stderr);
        assert_eq!(run.status_with("error"), vec![format!("error {kind}")], "{bad}\n{}", run.stderr);
        assert!(run.errors().iter().any(|l| l.contains(says)), "'{bad}' should say '{says}':\n{}", run.stderr);
        // Only the good play sounds, where it should.
        assert_eq!(run.first_nonzero(), Some(sample_of(5.0, 48000)), "{bad}");
        assert_eq!(run.status_with("scheduled"), vec!["scheduled 0 /play"], "{bad}");
    }
}
