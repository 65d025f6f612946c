//! `load` / `/load`: sound files read on a worker thread into the object,
//! resampled to Pd's rate, played like arrays across the outlets (mixed
//! down on one outlet); `/load` from the
//! network only inside `-sounds` folders. Real-time Pd (-nosound): the worker
//! thread runs in real time, which -batch would outrun.

mod harness;

use harness::osc::{self, at, bytes, play};
use harness::{Input, Patch};
use rosc::OscType;
use std::path::{Path, PathBuf};

/// A 16-bit PCM WAV written by hand: `frames` frames of `channels` channels.
fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&channels.to_le_bytes());
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&(rate * channels as u32 * 2).to_le_bytes());
    w.extend_from_slice(&(channels * 2).to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(data.len() as u32).to_le_bytes());
    w.extend_from_slice(&data);
    std::fs::write(path, w).unwrap();
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
    // 24 kHz stereo: left 0.5, right 0.25 for 100 frames → at 48 kHz: 200 frames of 0.375.
    let samples: Vec<i16> = (0..100).flat_map(|_| [16384i16, 8192]).collect();
    write_wav(&dir.join("kit/kick.wav"), 24000, 2, &samples);
    let mut patch = Patch::new(48000, "-clock logical")
        .at(0.0, Input::Control(format!("load kick {}", dir.join("kit/kick.wav").display())))
        .packet(500.0, bytes(&at(0.6004, vec![play("kick")])))
        .length(700.0);
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run.status_with("loaded"), vec!["loaded kick 200 2"], "{}", run.stderr);
    let onset = (osc::as_read(0.6004) * 48000.0).round() as usize;
    assert_eq!(run.first_nonzero(), Some(onset));
    assert!(run.samples[onset..onset + 198].iter().all(|&x| (x - 0.375).abs() < 1e-4), "{:?}", &run.samples[onset..onset + 4]);
    assert!(run.samples[onset + 201..].iter().all(|&x| x == 0.0));
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
    let load = |name: &str, path: &str| bytes(&osc::message("/load", vec![OscType::String(name.into()), OscType::String(path.into())]));
    let mut patch = Patch::new(48000, &format!("-clock logical -sounds {}", dir.join("kit").display()))
        .packet(0.0, load("ok", "kick.wav"))
        .packet(10.0, load("up", "../secret.wav"))
        .packet(20.0, load("abs", &dir.join("secret.wav").display().to_string()))
        .packet(30.0, load("none", "nothere.wav"))
        .packet(400.0, bytes(&at(0.5, vec![play("ok")])))
        .length(600.0);
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run.status_with("loaded"), vec!["loaded ok 48 1"], "{}", run.stderr);
    assert_eq!(run.status_with("error load"), vec!["error load up", "error load abs", "error load none"], "{}", run.stderr);
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
        let status = std::process::Command::new("sox").arg(dir.join("kit/src.wav")).arg(dir.join(format!("kit/src.{ext}"))).status().unwrap();
        assert!(status.success());
    }
    let mut patch = Patch::new(44100, &format!("-clock logical -sounds {}", dir.display()));
    for (i, ext) in ["aiff", "flac"].iter().enumerate() {
        patch = patch.packet(i as f64, bytes(&osc::message("/load", vec![OscType::String((*ext).into()), OscType::String(format!("kit/src.{ext}"))])));
    }
    patch = patch.length(300.0);
    patch.realtime = true;
    let run = patch.run();
    let _ = std::fs::remove_dir_all(&dir);
    let mut loaded = run.status_with("loaded");
    loaded.sort();
    assert_eq!(loaded, vec!["loaded aiff 441 1", "loaded flac 441 1"], "{}", run.stderr);
}
