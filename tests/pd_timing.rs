//! `[fsync~ -clock logical]` in real Pd: onsets checked sample by sample.

mod harness;

use harness::osc::{self, at, bytes, immediately, play};
use harness::{Input, Patch, f32_ms, onset_of_ramp, ramp, sample_of};
use rosc::OscType;

#[test]
fn bundle_due_at_100_4_ms_plays_array_0_at_sample_4819() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", ramp(100))
        .packet(0.0, bytes(&at(0.1004, vec![play("src")])))
        .length(150.0)
        .run();
    assert!(run.exit_ok, "{}", run.stderr);
    assert_eq!(run.first_nonzero(), Some(4819), "{}", run.stderr);
    for k in 0..100 {
        assert_eq!(run.samples[4819 + k], (k + 1) as f32, "array[{k}]");
    }
    assert!(run.samples[4919..].iter().all(|&x| x == 0.0));
    assert_eq!(run.status_with("scheduled"), vec!["scheduled 100.4 /play"]);
    assert_eq!(run.status_with("done"), vec!["done src"]);
}

#[test]
fn onsets_inside_one_block_and_across_blocks() {
    // Four short voices: two inside the block [4800, 4864), one at its last
    // sample, one across the next boundary.
    let times = [100.01, 100.3, 101.3125, 101.98];
    let mut patch = Patch::new(48000, "-clock logical").array("src", ramp(8)).length(110.0);
    for (i, t) in times.iter().enumerate() {
        patch = patch.packet(i as f64, bytes(&at(t / 1000.0, vec![play("src")])));
    }
    let run = patch.run();
    let mut from = 0;
    for t in times {
        let expected = (osc::as_read(t / 1000.0) * 48000.0).round() as usize;
        let got = onset_of_ramp(&run.samples, from);
        assert_eq!(got, Some(expected), "event at {t} ms");
        assert_eq!(&run.samples[expected..expected + 8], &ramp(8)[..]);
        from = expected + 1;
    }
}

#[test]
fn sample_rates() {
    for (sr, t) in [(44100, 0.0105), (48000, 0.0333), (96000, 0.07777)] {
        let run = Patch::new(sr, "-clock logical")
            .array("src", ramp(50))
            .packet(0.0, bytes(&at(t, vec![play("src")])))
            .length(100.0)
            .run();
        assert_eq!(run.first_nonzero(), Some((osc::as_read(t) * sr as f64).round() as usize), "sr {sr}");
    }
}

#[test]
fn block_sizes() {
    for block in ["1", "64", "256", "2048", "4096"] {
        let run = Patch::new(48000, "-clock logical")
            .array("src", ramp(500))
            .packet(0.0, bytes(&at(0.0507, vec![play("src")])))
            .block(block)
            .length(200.0)
            .run();
        // A block of N > 64 first runs at the end of tick 0 and covers [64 − N, 64)
        // (vline~'s convention): tabwrite~ in the same block records time t at index t + N − 64.
        let n: usize = block.parse().unwrap();
        let expected = (osc::as_read(0.0507) * 48000.0).round() as usize + n.saturating_sub(64);
        assert_eq!(run.first_nonzero(), Some(expected), "[block~ {block}]\n{}", run.stderr);
        assert_eq!(&run.samples[expected..expected + 500], &ramp(500)[..], "[block~ {block}]");
    }
}

#[test]
fn immediate_and_bare_messages_start_at_arrival_sub_block() {
    for packet in [bytes(&immediately(vec![play("src")])), bytes(&play("src"))] {
        let run = Patch::new(48000, "-clock logical").array("src", ramp(10)).packet(12.3, packet).length(50.0).run();
        assert_eq!(run.first_nonzero(), Some(sample_of(f32_ms(12.3), 48000)), "{}", run.stderr);
        assert_eq!(run.status_with("scheduled"), vec!["scheduled 0 /play"]);
    }
}

#[test]
fn nested_bundles_follow_their_own_timetags() {
    // Outer at 20 ms: /play a; inner at 30 ms: /play b; after the inner bundle: /play c (outer time).
    let packet = at(0.020, vec![play("a"), at(0.030, vec![play("b")]), play("c")]);
    let run = Patch::new(48000, "-clock logical")
        .array("a", vec![1.0])
        .array("b", vec![10.0])
        .array("c", vec![100.0])
        .packet(0.0, bytes(&packet))
        .length(50.0)
        .run();
    let s20 = (osc::as_read(0.020) * 48000.0).round() as usize;
    let s30 = (osc::as_read(0.030) * 48000.0).round() as usize;
    assert_eq!(run.samples[s20], 101.0, "a and c at 20 ms");
    assert_eq!(run.samples[s30], 10.0, "b at 30 ms");
    assert_eq!(run.samples.iter().filter(|&&x| x != 0.0).count(), 2);
}

#[test]
fn late_join_play_drop() {
    // Due at 10 ms, arrives at 20 ms (from a [delay 20]).
    for policy in ["join", "play", "drop"] {
        let run = Patch::new(48000, &format!("-clock logical -late {policy}"))
            .array("src", ramp(2000))
            .packet(20.0, bytes(&at(0.010, vec![play("src")])))
            .length(60.0)
            .run();
        let arrival = sample_of(20.0, 48000);
        let due = (osc::as_read(0.010) * 48000.0).round() as usize;
        let late = run.status_with("late");
        assert_eq!(late.len(), 1, "{policy}: {:?}", run.status);
        let ms: f64 = late[0].split(' ').nth(1).unwrap().parse().unwrap();
        assert!((ms - 10.0).abs() < 0.01, "{policy}: {}", late[0]);
        assert!(late[0].ends_with("/play"));
        match policy {
            "join" => {
                assert_eq!(run.first_nonzero(), Some(arrival));
                assert_eq!(run.samples[arrival], (arrival - due + 1) as f32, "joined where it would be");
            }
            "play" => {
                assert_eq!(run.first_nonzero(), Some(arrival));
                assert_eq!(run.samples[arrival], 1.0);
            }
            _ => {
                assert_eq!(run.first_nonzero(), None);
                assert_eq!(run.status_with("dropped"), vec!["dropped late /play"]);
            }
        }
    }
}

#[test]
fn late_control_message_changes_policy() {
    let run = Patch::new(48000, "-clock logical")
        .array("src", ramp(2000))
        .at(1.0, Input::Control("late drop".into()))
        .packet(20.0, bytes(&at(0.010, vec![play("src")])))
        .length(40.0)
        .run();
    assert_eq!(run.first_nonzero(), None);
}

#[test]
fn stop_is_sample_exact_for_all_or_one_array() {
    let packet = at(
        0.010,
        vec![
            play("a"),
            play("b"),
            at(0.0123, vec![osc::message("/stop", vec![OscType::String("a".into())])]),
            at(0.015, vec![osc::message("/stop", vec![])]),
        ],
    );
    let run = Patch::new(48000, "-clock logical")
        .array("a", vec![1.0; 2000])
        .array("b", vec![10.0; 2000])
        .packet(0.0, bytes(&packet))
        .length(30.0)
        .run();
    let (start, stop_a, stop_all) = [0.010, 0.0123, 0.015].map(|t| (osc::as_read(t) * 48000.0).round() as usize).into();
    assert_eq!(run.first_nonzero(), Some(start));
    assert!(run.samples[start..stop_a].iter().all(|&x| x == 11.0));
    assert!(run.samples[stop_a..stop_all].iter().all(|&x| x == 10.0));
    assert!(run.samples[stop_all..].iter().all(|&x| x == 0.0));
}

#[test]
fn gain_offset_and_master_gain() {
    let p = at(
        0.001,
        vec![osc::message("/play", vec![OscType::String("src".into()), OscType::Float(2.0), OscType::Float(0.5)])],
    );
    let run = Patch::new(48000, "-clock logical -gain 0.25")
        .array("src", ramp(100))
        .packet(0.0, bytes(&p))
        .length(10.0)
        .run();
    // offset 0.5 ms = 24 samples: array[24] = 25, × 2 × 0.25.
    assert_eq!(run.first_nonzero(), Some(48));
    assert_eq!(run.samples[48], 25.0 * 0.5);
}

#[test]
fn forwarded_message_leaves_at_its_logical_time() {
    // [r status-bus] → [route /tempo] → [t f b] → [timer] (reset at load) → [print tempo-at]
    let mut patch = Patch::new(48000, "-clock logical")
        .packet(0.0, bytes(&at(0.0505, vec![osc::message("/tempo", vec![OscType::Int(120)])])))
        .length(100.0);
    patch.extra = [
        "#X obj 10 600 r status-bus;",
        "#X obj 10 630 route /tempo;",
        "#X obj 10 660 t f b;",
        "#X obj 200 600 loadbang;",
        "#X obj 200 690 timer;",
        "#X obj 200 720 print tempo-at;",
        "#X obj 10 720 print tempo-value;",
    ]
    .map(String::from)
    .to_vec();
    patch.extra_connects = vec![(0, 0, 1, 0), (1, 0, 2, 0), (2, 1, 4, 1), (3, 0, 4, 0), (4, 0, 5, 0), (2, 0, 6, 0)];
    let run = patch.run();
    assert!(run.status.contains(&"/tempo 120".to_string()), "{:?}", run.status);
    assert!(run.stderr.contains("tempo-value: 120"), "{}", run.stderr);
    let at_line = run.stderr.lines().find_map(|l| l.strip_prefix("tempo-at: ")).expect("timer output");
    let ms: f64 = at_line.trim().parse().unwrap();
    assert!((ms - osc::as_read(0.0505) * 1000.0).abs() < 1e-3, "forwarded at {ms} ms");
}

#[test]
fn mapped_addresses_play_arrays_like_the_workshop_tick() {
    let tick =
        |t: f64, addr: &str, word: &str| bytes(&at(t, vec![osc::message(addr, vec![OscType::String(word.into())])]));
    let run = Patch::new(48000, "-clock logical -map /pd tick array1")
        .array("array1", vec![1.0; 10])
        .array("kick", vec![10.0; 10])
        .packet(0.0, tick(0.010, "/pd", "tick"))
        .packet(0.5, tick(0.020, "/p?", "tick")) // an incoming OSC pattern
        .packet(1.0, tick(0.030, "/pd", "tock")) // not mapped: forwarded
        .at(2.0, Input::Control("map /drum/kick kick".into()))
        .packet(3.0, bytes(&at(0.040, vec![osc::message("/drum/*", vec![])])))
        .at(4.0, Input::Control("unmap /pd".into()))
        .packet(5.0, tick(0.050, "/pd", "tick"))
        .length(60.0)
        .run();
    let onsets: Vec<usize> =
        (1..run.samples.len()).filter(|&i| run.samples[i] != 0.0 && run.samples[i - 1] == 0.0).collect();
    let expect = |t: f64| (osc::as_read(t) * 48000.0).round() as usize;
    assert_eq!(onsets, vec![expect(0.010), expect(0.020), expect(0.040)], "{:?}", run.status);
    assert_eq!(run.samples[expect(0.040)], 10.0);
    assert!(run.status.contains(&"/pd tock".to_string()), "{:?}", run.status);
    assert!(run.status.contains(&"/pd tick".to_string()), "after unmap /pd tick is forwarded: {:?}", run.status);
    assert!(run.errors().is_empty(), "{}", run.stderr);
}

#[test]
fn pd_as_a_sender_stamps_bundles_with_its_own_time() {
    // At logical 100 ms: `bundle 50 /play src` → `packet <bytes>` (timetag 150 ms in
    // -clock logical) → back into fsync~ → array[0] at round(0.150 · 48000).
    let mut patch = Patch::new(48000, "-clock logical")
        .array("src", ramp(10))
        .at(100.0, Input::Control("bundle 50 /play src".into()))
        .length(200.0);
    patch.extra = ["#X obj 10 600 r status-bus;", "#X obj 10 630 route packet;", "#X obj 10 660 s fsync-in;"]
        .map(String::from)
        .to_vec();
    patch.extra_connects = vec![(0, 0, 1, 0), (1, 0, 2, 0)];
    let run = patch.run();
    assert!(run.errors().is_empty(), "{}", run.stderr);
    assert_eq!(run.status_with("scheduled"), vec!["scheduled 50 /play"], "{:?}", run.status);
    assert_eq!(run.first_nonzero(), Some(7200));
}

#[test]
fn bundle_before_any_dsp_uses_the_raw_clock_and_bad_bundle_messages_are_refused() {
    // Logical 0, before the first DSP tick: no filtered estimate yet, the raw clock stands in.
    let run = Patch::new(48000, "-clock system")
        .at(0.0, Input::Control("bundle 50 /play src".into()))
        .at(1.0, Input::Control("bundle 50".into()))
        .length(10.0)
        .run();
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(errors[0].contains("usage: bundle"), "{}", errors[0]);
    assert_eq!(run.status_with("packet").len(), 1);
}

#[test]
fn utc_and_immediate_bundle_from_the_patch() {
    // At logical 0, before any DSP tick, `utc` reads the raw system clock: the
    // fields must be today's civil UTC. `bundle immediately` stamps timetag 1.
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let run = Patch::new(48000, "-clock system")
        .at(0.0, Input::Control("utc".into()))
        .at(0.0, Input::Control("bundle immediately /py tick".into()))
        .at(1.0, Input::Control("utc 3".into()))
        .length(10.0)
        .run();
    let after = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let utc = run.status_with("utc");
    assert_eq!(utc.len(), 1, "{:?}", run.status);
    let f: Vec<i64> = utc[0].split(' ').skip(1).map(|v| v.parse::<f64>().unwrap() as i64).collect();
    assert_eq!(f.len(), 7, "{}", utc[0]);
    // Days from civil (the inverse of the object's conversion, written differently: a day count by months).
    let (y, m, d) = (f[0], f[1], f[2]);
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = (1970..y).map(|y| if leap(y) { 366 } else { 365 }).sum::<i64>();
    days += [31, if leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][..(m - 1) as usize]
        .iter()
        .sum::<i64>()
        + d
        - 1;
    let unix = (days * 86_400 + f[3] * 3600 + f[4] * 60 + f[5]) as f64 + f[6] as f64 / 1000.0;
    assert!(unix >= before - 0.002 && unix <= after, "{} is not between {before} and {after}", utc[0]);
    let packet = run.status_with("packet");
    assert_eq!(packet.len(), 1, "{:?}", run.status);
    let bytes: Vec<&str> = packet[0].split(' ').skip(1).collect();
    assert_eq!(&bytes[8..16], &["0", "0", "0", "0", "0", "0", "0", "1"], "{}", packet[0]);
    assert!(run.errors().iter().any(|e| e.contains("'utc' takes no arguments")), "{}", run.stderr);
}
