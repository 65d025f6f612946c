//! Bad input and odd situations in real Pd: each gives a clear console line,
//! changes nothing else, and Pd carries on (and quits normally).

mod harness;

use harness::osc::{self, at, bytes, play};
use harness::{Input, Patch, ramp};
use rosc::OscType;

fn good_at(seconds: f64) -> Vec<u8> {
    bytes(&at(seconds, vec![play("src")]))
}

#[test]
fn bad_packets_are_refused_and_the_next_good_one_plays_exactly() {
    let good = good_at(0.050);
    let mut truncated = good.clone();
    truncated.truncate(good.len() - 3);
    let bad_inputs: Vec<(&str, Input)> = vec![
        ("byte out of range", Input::Control("list 47 112 300 0".into())),
        ("fraction", Input::Control("list 47 112.5 0 0".into())),
        ("negative", Input::Control("list 47 -1 0 0".into())),
        ("symbol in list", Input::Control("list 47 hello 0 0".into())),
        ("empty", Input::Control("bang".into())),
        ("single float", Input::Control("47".into())),
        ("truncated", Input::Packet(truncated)),
        ("not OSC", Input::Packet(b"hello world!".to_vec())),
        ("unknown type tag", Input::Packet(b"/play\0\0\0,Q\0\0".to_vec())),
        ("misaligned", Input::Packet(b"/play\0\0,s\0\0src\0".to_vec())),
        ("play without array", Input::Packet(bytes(&osc::message("/play", vec![])))),
        (
            "gain not a number",
            Input::Packet(bytes(&osc::message(
                "/play",
                vec![OscType::String("src".into()), OscType::String("loud".into())],
            ))),
        ),
        (
            "NaN gain",
            Input::Packet(bytes(&osc::message("/play", vec![OscType::String("src".into()), OscType::Float(f32::NAN)]))),
        ),
        (
            "inf offset",
            Input::Packet(bytes(&osc::message(
                "/play",
                vec![OscType::String("src".into()), OscType::Float(1.0), OscType::Double(f64::INFINITY)],
            ))),
        ),
    ];
    let count = bad_inputs.len();
    let mut patch = Patch::new(48000, "-clock logical").array("src", ramp(100)).length(80.0);
    for (i, (_, input)) in bad_inputs.into_iter().enumerate() {
        patch = patch.at(1.0 + i as f64, input);
    }
    let run = patch.packet(30.0, good).run();
    assert!(run.exit_ok);
    let errors = run.errors();
    assert_eq!(errors.len(), count, "one console line per bad input:\n{}", run.stderr);
    assert!(errors.iter().all(|l| l.contains("fsync~: packet dropped")), "{errors:?}");
    assert_eq!(run.status_with("error").len(), count);
    let expected = (osc::as_read(0.050) * 48000.0).round() as usize;
    assert_eq!(run.first_nonzero(), Some(expected));
    assert_eq!(&run.samples[expected..expected + 100], &ramp(100)[..]);
}

#[test]
fn unknown_control_message_is_one_console_line() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", ramp(10))
        .at(1.0, Input::Control("frobnicate 3".into()))
        .length(10.0)
        .run();
    assert_eq!(run.errors().len(), 1, "{}", run.stderr);
    assert!(run.errors()[0].contains("unknown message 'frobnicate'"));
}

#[test]
fn bad_creation_flags_are_reported_and_defaults_kept() {
    let run = Patch::new(48000, "-clock logical -voices 0 -late never -bogus")
        .array("src", ramp(10))
        .packet(0.0, good_at(0.01))
        .length(20.0)
        .run();
    assert_eq!(run.errors().len(), 3, "{}", run.stderr);
    assert_eq!(run.first_nonzero(), Some(480), "the object still works");
}

#[test]
fn array_deleted_while_playing_stops_the_voice() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", vec![1.0; 4800])
        .packet(0.0, good_at(0.010))
        .at(50.0, Input::Global("pd-arrays clear".into()))
        .length(120.0)
        .run();
    assert!(run.exit_ok, "{}", run.stderr);
    assert_eq!(run.first_nonzero(), Some(480));
    let last = run.samples.iter().rposition(|&x| x != 0.0).unwrap();
    // Deleted by a control message at 50 ms (sample 2400), before the block that
    // contains it, [2368, 2432), is computed: deletion is block-quantized.
    assert_eq!(last + 1, 2400 / 64 * 64, "stopped at {}", last + 1);
    assert_eq!(run.status_with("missing"), vec!["missing src"]);
}

#[test]
fn pending_event_for_a_deleted_array_reports_missing() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", vec![1.0; 100])
        .packet(0.0, good_at(0.030))
        .at(10.0, Input::Global("pd-arrays clear".into()))
        .length(50.0)
        .run();
    assert!(run.exit_ok);
    assert_eq!(run.first_nonzero(), None);
    assert_eq!(run.status_with("missing"), vec!["missing src"]);
    assert_eq!(run.errors().len(), 1, "{}", run.stderr);
}

#[test]
fn array_shrunk_while_playing_plays_what_exists() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", ramp(4800))
        .packet(0.0, good_at(0.0))
        .at(20.0, Input::Global("src resize 1500".into()))
        .length(120.0)
        .run();
    assert!(run.exit_ok);
    // By 20 ms the voice is at index 960 (one block ahead at most); it plays up to 1500.
    let last = run.samples.iter().rposition(|&x| x != 0.0).unwrap();
    assert_eq!(last, 1499);
    assert_eq!(run.samples[1499], 1500.0);
    assert_eq!(run.status_with("done"), vec!["done src"]);
}

#[test]
fn voices_are_stolen_oldest_first() {
    let packet = at(0.001, vec![play("a"), at(0.002, vec![play("b")]), at(0.003, vec![play("c")])]);
    let run = Patch::new(48000, "-clock logical -voices 2")
        .array("a", vec![1.0; 1000])
        .array("b", vec![10.0; 1000])
        .array("c", vec![100.0; 1000])
        .packet(0.0, bytes(&packet))
        .length(40.0)
        .run();
    assert_eq!(run.status_with("stolen"), vec!["stolen a"]);
    let s3 = (osc::as_read(0.003) * 48000.0).round() as usize;
    assert_eq!(run.samples[s3 - 1], 11.0);
    assert_eq!(run.samples[s3], 110.0, "a replaced by c exactly at c's start");
}

#[test]
fn queue_overflow_drops_and_says_so() {
    let packet = at(0.010, vec![play("src"), play("src"), play("src")]);
    let run = Patch::new(48000, "-clock logical -queue 2")
        .array("src", vec![1.0; 10])
        .packet(0.0, bytes(&packet))
        .length(20.0)
        .run();
    assert_eq!(run.status_with("dropped"), vec!["dropped queue-full /play"]);
    assert_eq!(run.samples[480], 2.0, "the two that fit play");
}

#[test]
fn too_far_in_the_future_is_refused() {
    let run = Patch::new(48000, "-clock logical -horizon 1")
        .array("src", vec![1.0; 10])
        .packet(0.0, good_at(1.5))
        .length(10.0)
        .run();
    assert_eq!(run.status_with("dropped"), vec!["dropped too-far /play"]);
}

#[test]
fn duplicate_packets_are_ignored() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", vec![1.0; 10])
        .packet(0.0, good_at(0.01))
        .packet(1.0, good_at(0.01))
        .length(20.0)
        .run();
    assert_eq!(run.status_with("dropped"), vec!["dropped duplicate /play"]);
    assert_eq!(run.samples[480], 1.0, "played once");
}

#[test]
fn dsp_off_while_pending_then_late_on_resume() {
    let run = Patch::new(48000, "-clock logical -late join")
        .array("src", ramp(4800))
        .packet(0.0, good_at(0.020))
        .at(10.0, Input::Global("pd dsp 0".into()))
        .at(40.0, Input::Global("pd dsp 1".into()))
        .length(60.0)
        .run();
    assert!(run.exit_ok);
    assert_eq!(run.status_with("late").len(), 1, "{:?}", run.status);
}

#[test]
fn object_deleted_with_events_pending_and_voices_playing() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", vec![1.0; 48000])
        .packet(0.0, bytes(&at(0.001, vec![play("src"), at(0.5, vec![play("src"), osc::message("/x", vec![])])])))
        .at(20.0, Input::Global("pd-sub clear".into()))
        .length(100.0)
        .run();
    assert!(run.exit_ok, "{}", run.stderr);
    assert!(run.errors().is_empty(), "{}", run.stderr);
}

#[test]
fn print_and_stop_messages() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", vec![1.0; 4800])
        .packet(0.0, bytes(&at(0.001, vec![play("src"), at(0.05, vec![play("src")])])))
        .at(10.0, Input::Control("print".into()))
        .at(20.0, Input::Control("stop".into()))
        .length(80.0)
        .run();
    assert!(run.stderr.contains("fsync~: clock logical"), "{}", run.stderr);
    assert!(run.stderr.contains("pending at 50.000 ms: play src"), "{}", run.stderr);
    assert!(run.stderr.contains("voice: src"), "{}", run.stderr);
    // `stop` at 20 ms (sample 960) acts from the start of the block containing it.
    let last = run.samples.iter().rposition(|&x| x != 0.0).unwrap();
    assert_eq!(last + 1, 960 / 64 * 64, "stopped at {}", last + 1);
}

#[test]
fn clock_query_reports_floats() {
    let run = Patch::new(48000, "-clock logical -latency 12.5")
        .at(50.0, Input::Control("clock".into()))
        .at(51.0, Input::Control("clock system".into()))
        .at(52.0, Input::Control("clock".into()))
        .length(60.0)
        .run();
    let lines = run.status_with("clock");
    assert_eq!(lines.len(), 2, "{:?}", run.status);
    for (line, mode) in lines.iter().zip(["logical", "system"]) {
        // clock <mode> <moved-ms> <jitter-ms> <latency-ms> <rate-ppm> <since-step-s> <steps>
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 8, "{line}");
        assert_eq!(fields[1], mode);
        let numbers: Vec<f64> =
            fields[2..].iter().map(|f| f.parse().unwrap_or_else(|_| panic!("not a float: {line}"))).collect();
        assert!(numbers.iter().all(|x| x.is_finite()), "{line}");
        assert_eq!(numbers[2], 12.5, "latency: {line}");
        // pd -batch runs logical time as fast as it can: the rate is at its bound, and
        // mono − logical fell by about the 50 ms rendered.
        assert!(numbers[3].abs() <= 2000.0, "rate bounded: {line}");
        assert!(numbers[0] < 0.0 && numbers[0] > -60.0, "moved: {line}");
    }
}

/// 0.2 said `clock reset` 70 times in a 60 s `-clock logical` render (its filter
/// read the free-running batch clock as steps). Logical mode reports none.
#[test]
fn logical_render_reports_no_clock_steps() {
    let run = Patch::new(48000, "-clock logical").length(60_000.0).run();
    assert!(run.status_with("clock").is_empty(), "{:?}", run.status_with("clock"));
}

#[test]
fn offset_past_the_end_is_done_without_sound_or_error() {
    // Found by the fuzzer: a voice starting beyond its array's end used to panic in perform.
    let p = at(
        0.001,
        vec![osc::message("/play", vec![OscType::String("src".into()), OscType::Float(1.0), OscType::Float(500.0)])],
    );
    let run = Patch::new(48000, "-clock logical").array("src", ramp(100)).packet(0.0, bytes(&p)).length(20.0).run();
    assert!(run.exit_ok);
    assert_eq!(run.first_nonzero(), None);
    assert_eq!(run.status_with("done"), vec!["done src"]);
    assert!(run.errors().is_empty(), "{}", run.stderr);
}

#[test]
fn overlap_and_switch_do_not_crash() {
    // [block~ 1024 4]: overlapping blocks run 4 times per 1024 samples; timing there
    // follows vline~'s convention, only safety is checked here.
    for block in ["1024 4", "256 2 2", "64 1 0.5"] {
        let run = Patch::new(48000, "-clock logical")
            .array("src", ramp(100))
            .packet(0.0, good_at(0.010))
            .block(block)
            .length(60.0)
            .run();
        assert!(run.exit_ok, "[block~ {block}]: {}", run.stderr);
        assert_eq!(run.status_with("done"), vec!["done src"], "[block~ {block}]");
        assert!(run.errors().is_empty(), "[block~ {block}]: {}", run.stderr);
    }
}

#[test]
fn switched_off_subpatch_holds_events_then_reports_them_late() {
    // [switch~ 64] is off at load; turned on at 40 ms, the event due at 10 ms is late
    // and joins at the position it would have reached (tabwrite~ in the same
    // subpatch records from 40 ms on). (-late join: the default join-or-play would
    // replay this 4800-sample sound from its start, 1440 samples late being > 1/10.)
    let run = Patch::new(48000, "-clock logical -late join")
        .array("src", ramp(4800))
        .packet(0.0, good_at(0.010))
        .at(40.0, Input::Global("sub-switch 1".into()))
        .block("switch~ 64")
        .length(80.0)
        .run();
    assert!(run.exit_ok, "{}", run.stderr);
    let late = run.status_with("late");
    assert_eq!(late.len(), 1, "{:?}", run.status);
    let ms: f64 = late[0].split(' ').nth(1).unwrap().parse().unwrap();
    assert!((ms - 30.0).abs() < 0.01, "{}", late[0]);
    assert_eq!(run.samples[0], (1920 - 480 + 1) as f32, "joined at the position for 40 ms");
}

#[test]
fn a_hundred_instances_in_one_patch() {
    let mut patch = Patch::new(48000, "-clock logical").array("src", ramp(50)).packet(0.0, good_at(0.010)).length(30.0);
    patch.extra = (0..100)
        .map(|i| format!("#X obj {} {} fsync~ -clock logical -voices 4;", 10 + (i % 10) * 60, 500 + (i / 10) * 25))
        .collect();
    patch.extra.push("#X obj 10 800 r status-bus;".into());
    let run = patch.run();
    assert!(run.exit_ok, "{}", run.stderr);
    assert_eq!(run.first_nonzero(), Some(480));
    assert_eq!(run.stderr.matches("sample-accurate playback").count(), 1, "the class is set up once");
}

#[test]
fn huge_packets_thousands_of_messages_and_oversized_lists() {
    // A full datagram: 1500 /play messages in one bundle → 1024 queued (the bound),
    // the rest reported dropped; then a list longer than any datagram is refused.
    let plays: Vec<_> = (0..1500).map(|_| play("src")).collect();
    let big = bytes(&at(0.010, plays));
    assert!(big.len() > 20_000 && big.len() <= 65_507, "{}", big.len());
    let mut too_long = big.clone();
    too_long.resize(70_000, 0);
    let run = Patch::new(48000, "-clock logical -voices 4 -dedupe 0")
        .array("src", vec![0.001; 10])
        .packet(0.0, big)
        .packet(1.0, too_long)
        .packet(20.0, good_at(0.030)) // after the 1024 have started at 10 ms and left the queue
        .length(40.0)
        .run();
    assert!(run.exit_ok, "{}", &run.stderr[..run.stderr.len().min(2000)]);
    assert_eq!(run.status_with("scheduled").len(), 1024 + 1);
    assert_eq!(run.status_with("dropped queue-full").len(), 1500 - 1024);
    assert_eq!(run.status_with("error bytes").len(), 1, "the 70 000-byte list");
    assert!(run.errors().iter().any(|l| l.contains("longer than a UDP datagram")));
    assert!(run.samples[1440] > 0.0, "the packet after them still plays at 30 ms");
}

#[test]
fn array_renamed_or_rewritten_while_playing() {
    // Rewriting values while playing is heard at once; renaming the array away
    // ends the voice with `missing` (the name no longer finds it).
    let run = Patch::new(48000, "-clock logical")
        .array("src", vec![1.0; 4800])
        .packet(0.0, good_at(0.0))
        .at(10.0, Input::Global("src const 2".into()))
        .at(50.0, Input::Global("src rename other".into()))
        .length(100.0)
        .run();
    assert!(run.exit_ok, "{}", run.stderr);
    assert_eq!(run.samples[100], 1.0);
    assert_eq!(run.samples[1000], 2.0, "rewritten values are played");
    let last = run.samples.iter().rposition(|&x| x != 0.0).unwrap();
    assert_eq!(last + 1, 2400 / 64 * 64, "renamed at 50 ms: the voice ends at that block");
    assert_eq!(run.status_with("missing"), vec!["missing src"]);
}

/// An array that shares its name with a `[r name]` and a `[v name]` (Pd binds
/// the name to a bindlist) plays, as `tabplay~` plays it; and with no array
/// under the name, only a `[r]`, it is `missing`.
#[test]
fn array_sharing_its_name_with_receive_and_value_plays() {
    let mut patch = Patch::new(48000, "-clock logical")
        .array("src", ramp(100))
        .packet(0.0, good_at(0.010))
        .packet(1.0, bytes(&at(0.020, vec![play("lonely")])))
        .length(60.0);
    patch.extra = vec!["#X obj 10 600 r src;".into(), "#X obj 10 630 v src;".into(), "#X obj 10 660 r lonely;".into()];
    let run = patch.run();
    assert_eq!(harness::onset_of_ramp(&run.samples, 0), Some(480), "{}", run.stderr);
    assert_eq!(run.samples[480..580], ramp(100)[..]);
    assert!(run.status_with("missing").iter().all(|s| *s == "missing lonely"), "{:?}", run.status);
    assert_eq!(run.status_with("missing").len(), 1, "{:?}", run.status);
    assert!(!run.stderr.contains("multiply defined"), "no warning from a lookup: {}", run.stderr);
}
