//! Issue 14 in real Pd (`pd -batch`): one datagram's worth of hostile bytes —
//! nested arrays, pattern bombs, floods of huge bundles, thousands of refusals —
//! leaves Pd alive, its memory bounded, its console quiet, and the next valid
//! event sample-exact.

mod harness;

use harness::osc::{self, at, bytes, play};
use harness::{Input, Patch, ramp};

fn good_at(seconds: f64) -> Vec<u8> {
    bytes(&at(seconds, vec![play("src")]))
}

fn onset(seconds: f64) -> usize {
    (osc::as_read(seconds) * 48000.0).round() as usize
}

/// `/x ,[[[…]]]` with `levels` nested arrays (built by hand: rosc's encoder recurses).
fn nested_arrays(levels: usize) -> Vec<u8> {
    let mut b = b"/x\0\0,".to_vec();
    b.extend(std::iter::repeat_n(b'[', levels));
    b.extend(std::iter::repeat_n(b']', levels));
    b.push(0);
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
    b
}

#[test]
fn nested_arrays_in_one_datagram_leave_pd_alive_and_the_next_event_exact() {
    // 32 700 levels, 65 408 bytes: one UDP datagram. Before the fix Pd died of a
    // stack overflow (SIGSEGV) on it.
    let deep = nested_arrays(32_700);
    assert!(deep.len() <= 65_507);
    let run = Patch::new(48000, "-clock logical")
        .array("src", ramp(100))
        .packet(1.0, deep)
        .packet(30.0, good_at(0.050))
        .length(80.0)
        .run();
    assert!(run.exit_ok, "Pd did not quit normally:\n{}", run.stderr);
    assert_eq!(run.status_with("error"), vec!["error decode"], "{}", run.stderr);
    assert!(run.errors().iter().any(|l| l.contains("arrays nested deeper than 8")), "{}", run.stderr);
    let expected = onset(0.050);
    assert_eq!(run.first_nonzero(), Some(expected));
    assert_eq!(&run.samples[expected..expected + 100], &ramp(100)[..]);
}

#[test]
fn pattern_bomb_against_four_maps_is_refused_and_the_next_event_exact() {
    let mut bomb = String::from("/");
    while bomb.len() < 30_000 {
        bomb.push_str("{,}");
    }
    bomb.push('[');
    bomb.push_str(&"x".repeat(30_000));
    let bomb = bytes(&osc::message(&bomb, vec![]));
    assert!(bomb.len() <= 65_507);
    let args = "-clock logical -map /pd tick src -map /drum/kick src -map /drum/snare src -map /x src";
    let run = Patch::new(48000, args)
        .array("src", ramp(100))
        .packet(1.0, bomb)
        .packet(30.0, bytes(&at(0.050, vec![osc::message("/drum/{hat,kick}", vec![])])))
        .length(80.0)
        .run();
    assert!(run.exit_ok, "{}", run.stderr);
    assert_eq!(run.status_with("error"), vec!["error pattern"], "{}", run.stderr);
    let line = run.errors().into_iter().find(|l| l.contains("pattern")).expect("a console line");
    assert!(line.len() < 400, "the 60 kB address is not printed: {line}");
    let expected = onset(0.050);
    assert_eq!(run.first_nonzero(), Some(expected), "a normal pattern still plays its map entry");
    assert_eq!(&run.samples[expected..expected + 100], &ramp(100)[..]);
}

/// A patch connection: (from object, outlet, to object, inlet).
type Connection = (usize, usize, usize, usize);

/// Extra objects that send `count` distinct bundles of `nils` nil arguments
/// (due at logical 10 s) to `[s fsync-in]`, all at logical 1 ms: the bundle's
/// fixed tail sits in one message box, the timetag fraction counts up.
fn nil_flood(count: usize, nils: usize) -> (Vec<String>, Vec<Connection>) {
    let mut message = b"/x\0\0,".to_vec();
    message.extend(std::iter::repeat_n(b'N', nils));
    message.push(0);
    while !message.len().is_multiple_of(4) {
        message.push(0);
    }
    let mut tail: Vec<u8> = (message.len() as u32).to_be_bytes().to_vec();
    tail.extend(&message);
    let tail: Vec<String> = tail.iter().map(u8::to_string).collect();
    let objects = vec![
        "#X obj 10 600 loadbang;".to_string(),
        "#X obj 10 620 t b b;".into(),
        format!("#X msg 200 620 {};", tail.join(" ")),
        "#X obj 10 640 delay 1;".into(),
        format!("#X msg 10 660 {count};"),
        "#X obj 10 680 until;".into(),
        "#X obj 10 700 f;".into(),
        "#X obj 50 700 + 1;".into(),
        "#X obj 10 720 t f f;".into(),
        "#X obj 10 740 div 256;".into(),
        "#X obj 80 740 mod 256;".into(),
        "#X obj 10 760 pack f f;".into(),
        // "#bundle\0", 10 s, fraction 0 0 <hi> <lo>
        "#X obj 10 780 list prepend 35 98 117 110 100 108 101 0 0 0 0 10 0 0;".into(),
        "#X obj 10 800 list append;".into(),
        "#X obj 10 820 s fsync-in;".into(),
    ];
    let connects = vec![
        (0, 0, 1, 0),
        (1, 1, 2, 0),
        (2, 0, 13, 1),
        (1, 0, 3, 0),
        (3, 0, 4, 0),
        (4, 0, 5, 0),
        (5, 0, 6, 0),
        (6, 0, 7, 0),
        (7, 0, 6, 1),
        (6, 0, 8, 0),
        (8, 1, 10, 0),
        (10, 0, 11, 1),
        (8, 0, 9, 0),
        (9, 0, 11, 0),
        (11, 0, 12, 0),
        (12, 0, 13, 0),
        (13, 0, 14, 0),
    ];
    (objects, connects)
}

fn peak_rss_kb(stderr: &str) -> usize {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("fsync-test-maxrss-kb "))
        .and_then(|v| v.trim().parse().ok())
        .expect("GNU time's line")
}

#[test]
fn a_thousand_huge_forward_bundles_stay_under_the_byte_bound() {
    // Issue 14: 1024 bundles of ~65 000 nil arguments took Pd to 1.2–3.7 GB.
    let (extra, extra_connects) = nil_flood(1024, 65_000);
    let mut patch =
        Patch::new(48000, "-clock logical").array("src", ramp(100)).packet(30.0, good_at(0.050)).length(80.0);
    patch.extra = extra;
    patch.extra_connects = extra_connects;
    let run = patch.run_under(&["/usr/bin/time", "-f", "fsync-test-maxrss-kb %M"]);
    assert!(run.exit_ok, "{}", &run.stderr[run.stderr.len().saturating_sub(2000)..]);
    let scheduled = run.status_with("scheduled").len();
    let over_bytes = run.status_with("dropped queue-bytes /x").len();
    assert_eq!((scheduled, over_bytes), (1 + 1, 1023), "one flood bundle fits 4 MiB, plus the /play");
    let rss_kb = peak_rss_kb(&run.stderr);
    eprintln!("peak RSS of Pd: {} MB", rss_kb / 1024);
    assert!(rss_kb < 256 * 1024, "Pd grew to {} MB", rss_kb / 1024);
    let expected = onset(0.050);
    assert_eq!(run.first_nonzero(), Some(expected));
}

#[test]
fn forwardbytes_flag_and_message_change_the_bound() {
    let (extra, extra_connects) = nil_flood(4, 1000);
    let mut patch = Patch::new(48000, "-clock logical -forwardbytes 100000").length(20.0);
    patch.extra = extra;
    patch.extra_connects = extra_connects;
    let run = patch.run();
    assert!(run.exit_ok && run.errors().is_empty(), "{}", run.stderr);
    // 1000 nils ≈ 56 kB queued: one fits 100 000 bytes.
    assert_eq!(
        (run.status_with("scheduled").len(), run.status_with("dropped queue-bytes").len()),
        (1, 3),
        "{:?}",
        run.status
    );
    let (extra, extra_connects) = nil_flood(4, 1000);
    let mut patch =
        Patch::new(48000, "-clock logical").at(0.5, Input::Control("forwardbytes 200000".into())).length(20.0);
    patch.extra = extra;
    patch.extra_connects = extra_connects;
    let run = patch.run();
    assert_eq!(
        (run.status_with("scheduled").len(), run.status_with("dropped queue-bytes").len()),
        (3, 1),
        "{:?}",
        run.status
    );
}

#[test]
fn thousands_of_refusals_print_a_few_short_lines() {
    // One packet of 2000 bad /play messages: one console line.
    let bad_plays: Vec<_> = (0..2000).map(|_| osc::message("/play", vec![])).collect();
    // 100 bad packets within 100 ms, each naming a 10 kB address.
    let long = format!("/{}", "a".repeat(10_000));
    let bad = bytes(&osc::message(&long, vec![rosc::OscType::Float(f32::INFINITY)]));
    let mut patch =
        Patch::new(48000, "-clock logical").array("src", ramp(100)).packet(1.0, bytes(&osc::immediately(bad_plays)));
    for i in 0..100 {
        patch = patch.packet(2.0 + i as f64, bad.clone());
    }
    let run = patch.packet(150.0, good_at(0.200)).length(250.0).run();
    assert!(run.exit_ok, "{}", run.stderr);
    assert_eq!(run.status_with("error").len(), 101, "every refusal still reaches the outlet");
    let errors = run.errors();
    assert_eq!(errors.len(), 20, "at most 20 console lines a second:\n{}", errors.join("\n"));
    assert!(errors.iter().all(|l| l.len() < 400), "{}", errors[1]);
    assert!(errors[19].contains("at most 20 such lines a second"), "{}", errors[19]);
    assert_eq!(run.first_nonzero(), Some(onset(0.200)));
}

/// 200 `/play`s of an array that does not exist, in one bundle: every one is
/// reported `missing` on the outlet, but the console gets at most the quota of
/// lines a second (0.2 printed one line per voice: up to 512 per block).
#[test]
fn missing_arrays_print_a_bounded_number_of_lines() {
    let plays: Vec<_> = (0..200).map(|_| play("nothing_here")).collect();
    let run = Patch::new(48000, "-clock logical -queue 256 -voices 256")
        .packet(0.0, bytes(&at(0.01, plays)))
        .length(50.0)
        .run();
    assert_eq!(run.status_with("missing").len(), 200, "{:?}", &run.status[..5.min(run.status.len())]);
    let lines = run.errors().iter().filter(|l| l.contains("no array named")).count();
    assert!((1..=fsync::core::console::MAX_ERROR_LINES_PER_SECOND).contains(&lines), "{lines} console lines");
}
