//! `load` / `/load`: sound files read on a worker thread into the object,
//! resampled to Pd's rate (band-limited, onsets in place), played like arrays across the outlets (mixed
//! down on one outlet); `/load` from the
//! network only inside `-sounds` folders. Real-time Pd (-nosound): the worker
//! thread runs in real time, which -batch would outrun.

mod harness;

use harness::osc::{self, at, bytes, play};
use harness::{Input, Patch};
use rosc::OscType;
use std::path::{Path, PathBuf};

/// A 16-bit PCM WAV written by hand: `samples` interleaved over `channels`.
fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
    std::fs::write(path, harness::wav(rate, channels, samples)).unwrap();
}

fn sound_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fsync-sounds-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(dir.join("kit")).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64
}

#[test]
fn load_resamples_mixes_down_and_plays_sample_exact() {
    let dir = sound_dir();
    // 24 kHz stereo, 2000 frames: left 0.5, right 0.25 for the first 1000, then silence
    // with a click (0.5 on both) at frame 1500 → at 48 kHz: 4000 frames, the mix (0.375)
    // steady inside the step, the click loudest at frame 3000 (band-limited: it rings
    // around that frame, it is not moved).
    let samples: Vec<i16> = (0..2000)
        .flat_map(|i| match i {
            0..1000 => [16384i16, 8192],
            1500 => [16384, 16384],
            _ => [0, 0],
        })
        .collect();
    write_wav(&dir.join("kit/kick.wav"), 24000, 2, &samples);
    let mut patch = Patch::new(48000, "-clock logical")
        .at(0.0, Input::Control(format!("load kick {}", dir.join("kit/kick.wav").display())))
        .packet(500.0, bytes(&at(0.6004, vec![play("kick")])))
        .length(700.0);
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run.status_with("loaded"), vec!["loaded kick 4000 2"], "{}", run.stderr);
    let onset = (osc::as_read(0.6004) * 48000.0).round() as usize;
    assert_eq!(run.first_nonzero(), Some(onset));
    let steady = &run.samples[onset + 400..onset + 1600];
    assert!(steady.iter().all(|&x| (x - 0.375).abs() < 1e-3), "{:?}", &steady[..4]);
    let tail = &run.samples[onset + 2400..onset + 4000];
    let loudest = tail.iter().enumerate().fold((0, 0.0f32), |m, (i, v)| if v.abs() > m.1 { (i, v.abs()) } else { m });
    assert_eq!(onset + 2400 + loudest.0, onset + 3000, "the click moved");
    assert!(run.samples[onset + 4000..].iter().all(|&x| x == 0.0));
}

#[test]
fn stereo_file_plays_one_channel_per_outlet() {
    let dir = sound_dir();
    // Left: 0.5 for 30 frames; right: -0.25 for 30 frames.
    let samples: Vec<i16> = (0..30).flat_map(|_| [16384i16, -8192]).collect();
    write_wav(&dir.join("kit/pair.wav"), 48000, 2, &samples);
    let mut patch = Patch::new(48000, "-clock logical")
        .channels(2)
        .at(0.0, Input::Control(format!("load pair {}", dir.join("kit/pair.wav").display())))
        .packet(500.0, bytes(&at(0.6004, vec![play("pair")])))
        .length(700.0);
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run.status_with("loaded"), vec!["loaded pair 30 2"], "{}", run.stderr);
    let onset = (osc::as_read(0.6004) * 48000.0).round() as usize;
    for (outlet, level) in [(0, 0.5), (1, -0.25)] {
        let out = &run.outlets[outlet];
        assert_eq!(out.iter().position(|&x| x != 0.0), Some(onset), "outlet {outlet}");
        assert!(out[onset..onset + 30].iter().all(|&x| x == level), "outlet {outlet}: {:?}", &out[onset..onset + 4]);
        assert!(out[onset + 30..].iter().all(|&x| x == 0.0), "outlet {outlet}");
    }
}

#[test]
fn network_load_only_inside_allowed_folders() {
    let dir = sound_dir();
    write_wav(&dir.join("kit/kick.wav"), 48000, 1, &[16384; 48]);
    write_wav(&dir.join("secret.wav"), 48000, 1, &[16384; 48]);
    let load = |name: &str, path: &str| {
        bytes(&osc::message("/load", vec![OscType::String(name.into()), OscType::String(path.into())]))
    };
    std::os::unix::fs::symlink(dir.join("kit/kick.wav"), dir.join("kit/link.wav")).unwrap();
    let load_packet = |name: &str, path: &str| {
        osc::message("/load", vec![OscType::String(name.into()), OscType::String(path.into())])
    };
    let mut patch = Patch::new(48000, &format!("-clock logical -sounds {}", dir.join("kit").display()))
        .array("tone", vec![0.5; 10])
        .packet(0.0, load("ok", "kick.wav"))
        .packet(10.0, load("up", "../secret.wav"))
        .packet(20.0, load("abs", &dir.join("secret.wav").display().to_string()))
        .packet(30.0, load("none", "nothere.wav"))
        // A symlink below the folder is not followed, even one leading inside it.
        .packet(40.0, load("link", "link.wav"))
        // A refused /load drops its whole bundle: this /play never plays.
        .packet(50.0, bytes(&at(0.45, vec![play("tone"), load_packet("bad", "../secret.wav")])))
        .packet(400.0, bytes(&at(0.5, vec![play("ok")])))
        .length(600.0);
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run.status_with("loaded"), vec!["loaded ok 48 1"], "{}", run.stderr);
    let mut errors = run.status_with("error load");
    errors.sort();
    assert_eq!(
        errors,
        vec!["error load abs", "error load bad", "error load link", "error load none", "error load up"],
        "{}",
        run.stderr
    );
    assert_eq!(run.status_with("scheduled").len(), 1, "only the last /play was scheduled: {:?}", run.status);
    assert_eq!(run.first_nonzero(), Some(24000));
}

#[test]
fn aiff_and_flac_load_too() {
    if std::process::Command::new("sox").arg("--version").output().is_err() {
        panic!("sox is needed to make the AIFF/FLAC fixtures (apt-get install sox)");
    }
    let dir = sound_dir();
    write_wav(&dir.join("kit/src.wav"), 44100, 1, &[8192; 441]);
    for ext in ["aiff", "flac"] {
        let status = std::process::Command::new("sox")
            .arg(dir.join("kit/src.wav"))
            .arg(dir.join(format!("kit/src.{ext}")))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let mut patch = Patch::new(44100, &format!("-clock logical -sounds {}", dir.display()));
    for (i, ext) in ["aiff", "flac"].iter().enumerate() {
        patch = patch.packet(
            i as f64,
            bytes(&osc::message(
                "/load",
                vec![OscType::String((*ext).into()), OscType::String(format!("kit/src.{ext}"))],
            )),
        );
    }
    patch = patch.length(300.0);
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    let mut loaded = run.status_with("loaded");
    loaded.sort();
    assert_eq!(loaded, vec!["loaded aiff 441 1", "loaded flac 441 1"], "{}", run.stderr);
}

/// Files that broke 0.2's loader: a WAV at 0 Hz (symphonia panics: the load
/// never answered and after four every load was `busy`), a WAV at 1 Hz (the
/// resampler asked for gigabytes and Pd aborted), a FIFO (blocked a worker).
/// Each is `error load <name>` with a console line, and loads still work after
/// (the good one's `loaded` switches DSP on again from the outlet).
#[test]
fn broken_files_fail_cleanly_and_loading_goes_on() {
    let dir = sound_dir();
    write_wav(&dir.join("kit/kick.wav"), 48000, 1, &[16384; 48]);
    write_wav(&dir.join("kit/zero.wav"), 0, 1, &[16384; 48]);
    // 50 000 frames at 1 Hz: 2.4 G frames (9.6 GB) at 48 kHz.
    write_wav(&dir.join("kit/slow.wav"), 1, 1, &vec![100; 50_000]);
    assert!(std::process::Command::new("mkfifo").arg(dir.join("kit/pipe.wav")).status().unwrap().success());
    let load = |name: &str, path: &str| {
        bytes(&osc::message("/load", vec![OscType::String(name.into()), OscType::String(path.into())]))
    };
    let mut patch = Patch::new(48000, &format!("-clock logical -sounds {}", dir.join("kit").display()));
    // Six rate-0 loads: more than the four loads that may be under way at once.
    for i in 0..6 {
        patch = patch.packet(i as f64 * 40.0, load(&format!("zero{i}"), "zero.wav"));
    }
    patch = patch
        .packet(300.0, load("slow", "slow.wav"))
        .packet(340.0, load("pipe", "pipe.wav"))
        .packet(600.0, load("ok", "kick.wav"))
        .packet(800.0, bytes(&at(0.9, vec![play("ok")])))
        .length(1000.0);
    // `loaded` → `; pd dsp 1`: Pd calls the dsp method while the object emits.
    patch.extra = vec![
        "#X obj 10 600 r status-bus;".into(),
        "#X obj 10 630 route loaded;".into(),
        "#X msg 10 660 \\; pd dsp 1;".into(),
    ];
    patch.extra_connects = vec![(0, 0, 1, 0), (1, 0, 2, 0)];
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(run.exit_ok, "Pd must survive: {}", run.stderr);
    let mut errors = run.status_with("error load");
    errors.sort();
    assert_eq!(
        errors,
        vec![
            "error load pipe",
            "error load slow",
            "error load zero0",
            "error load zero1",
            "error load zero2",
            "error load zero3",
            "error load zero4",
            "error load zero5"
        ],
        "{}",
        run.stderr
    );
    assert_eq!(run.status_with("loaded"), vec!["loaded ok 48 1"], "{}", run.stderr);
    assert!(run.status_with("dropped busy").is_empty(), "{:?}", run.status);
    let console = run.errors().join("\n");
    assert!(console.contains("sample rate 0 Hz"), "{console}");
    assert!(console.contains("sample rate 1 Hz"), "{console}");
    assert!(console.contains("not a regular file"), "{console}");
    assert_eq!(run.first_nonzero(), Some(43200));
}

/// One 5.8 MB file (2.9 M frames of 16-bit mono = 11.6 MB of f32) loaded
/// under 256 names would take 2.9 GB: the object's sound memory stops it
/// (here `-sound-memory 64`: 5 fit; then `sound-memory 128` lets 5 more in).
#[test]
fn sound_memory_is_bounded_per_object() {
    let dir = sound_dir();
    write_wav(&dir.join("kit/big.wav"), 48000, 1, &vec![1000; 2_900_000]);
    let file = dir.join("kit/big.wav");
    assert!(std::fs::metadata(&file).unwrap().len() > 5_800_000);
    let mut patch = Patch::new(48000, "-clock logical -sound-memory 64");
    // Each answer (`loaded` or `error load`) asks for the next load: 256 in all.
    patch.extra = vec![
        "#X obj 10 600 r status-bus;".into(),
        "#X obj 10 630 route loaded error;".into(),
        "#X obj 10 660 t b;".into(),
        "#X obj 10 690 f;".into(),
        "#X obj 60 690 + 1;".into(),
        "#X obj 10 720 moses 256;".into(),
        format!("#X msg 10 750 load n\\$1 {};", file.display()),
        "#X obj 10 780 s fsync-in;".into(),
        "#X obj 200 660 r more-memory;".into(),
        "#X msg 200 690 sound-memory 128;".into(),
    ];
    patch.extra_connects = vec![
        (0, 0, 1, 0),
        (1, 0, 2, 0),
        (1, 1, 2, 0),
        (2, 0, 3, 0),
        (3, 0, 4, 0),
        (4, 0, 3, 1),
        (3, 0, 5, 0),
        (5, 0, 6, 0),
        (6, 0, 7, 0),
        (8, 0, 9, 0),
        (9, 0, 7, 0),
    ];
    patch = patch
        .at(0.0, Input::Control(format!("load first {}", file.display())))
        .at(8000.0, Input::Global("more-memory bang".into()))
        .at(8010.0, Input::Control(format!("load again {}", file.display())))
        .length(9000.0);
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    let loaded = run.status_with("loaded").len();
    let refused = run.status_with("error load").len();
    assert_eq!(loaded + refused, 258, "every load answered: {loaded} loaded, {refused} refused\n{}", run.stderr);
    // 64 MiB / 11.6 MB = 5 sounds; then 128 MiB: one more.
    assert_eq!(loaded, 6, "{:?}", run.status_with("loaded"));
    assert_eq!(run.status_with("loaded").last(), Some(&"loaded again 2.9e+06 1"));
    assert!(run.errors().iter().any(|l| l.contains("sound-memory")), "{}", run.stderr);
}
