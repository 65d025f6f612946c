//! The help patch and the patches in patches/ open in real Pd without errors.

mod harness;

use std::path::Path;

fn opens_cleanly(patch: &Path) {
    let dir = harness::scratch_dir();
    // -batch never polls the GUI or sockets; `pd quit` ends it right after loading.
    let out = std::process::Command::new("pd")
        .args(["-batch", "-nosound", "-nogui", "-stderr", "-noprefs", "-path"])
        .arg(&dir)
        .args(["-path", "/usr/lib/pd/extra/mrpeach", "-open"])
        .arg(patch)
        .args(["-send", "pd quit"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let bad: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            l.contains("couldn't create")
                || l.contains("connection failed")
                || l.contains("error")
                || l.contains("bad arguments")
                || l.contains("fsync~:")
        })
        .collect();
    assert!(out.status.success(), "{}: {stderr}", patch.display());
    assert!(bad.is_empty(), "{}:\n{}", patch.display(), bad.join("\n"));
}

#[test]
fn help_patch_opens_without_errors() {
    opens_cleanly(&Path::new(env!("CARGO_MANIFEST_DIR")).join("pd-help/fsync~-help.pd"));
    opens_cleanly(&Path::new(env!("CARGO_MANIFEST_DIR")).join("abstractions/fsync.send-help.pd"));
}

/// The canvases of a patch file: (name, its own lines), the top level first.
fn canvases(text: &str) -> Vec<(String, Vec<String>)> {
    let mut open: Vec<(String, Vec<String>)> = vec![];
    let mut done = vec![];
    for line in text.split(";\n") {
        if line.starts_with("#N canvas") {
            let name = line.split_whitespace().nth(6).unwrap_or("top").to_string();
            open.push((if open.is_empty() { "top".into() } else { name }, vec![]));
        } else if line.starts_with("#X restore") {
            done.push(open.pop().unwrap());
            open.last_mut().unwrap().1.push(line.to_string());
        } else {
            open.last_mut().unwrap().1.push(line.to_string());
        }
    }
    done.extend(open);
    done
}

#[test]
fn help_patch_follows_vanillas_reference_layout() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pd-help/fsync~-help.pd")).unwrap();
    let all = canvases(&text);
    let find = |name: &str| &all.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no canvas {name}")).1;
    let (top, reference) = (find("top"), find("reference"));
    // [pd reference] at the top, with vanilla's section rules.
    assert!(top.iter().any(|l| l.starts_with("#X restore") && l.ends_with("pd reference")));
    for label in ["INLETS:", "OUTLETS:", "ARGUMENTS:", "1st:", "rightmost:", "flags:"] {
        assert!(
            reference.iter().any(|l| l.contains(" cnv ") && l.contains(&format!(" {label} "))),
            "no {label} section in [pd reference]"
        );
    }
    for message in ["play <array>", "at <ms>", "bundle <ms>", "-clock logical", "error <kind>", "scheduled <ms-ahead>"]
    {
        assert!(reference.iter().any(|l| l.contains(message)), "[pd reference] does not document {message}");
    }
    // See also: vanilla's neighbours as objects, mrpeach's as text (it may not be installed).
    let see_also = top.iter().position(|l| l.contains("see also:")).expect("see also");
    for object in ["netreceive", "oscparse", "vline~", "tabplay~", "soundfiler", "fsync.send"] {
        assert!(
            top[see_also..].iter().any(|l| l.starts_with("#X obj") && l.ends_with(&format!(" {object}"))),
            "{object}"
        );
    }
    assert!(top[see_also..].iter().any(|l| l.contains("[udpreceive]")));
    // The examples on the main canvas use the readable messages, never bytes.
    let messages: Vec<&String> = top.iter().filter(|l| l.starts_with("#X msg")).collect();
    assert!(messages.iter().all(|m| !m.contains(" list ")), "a byte list on the main canvas");
    for readable in ["play fsync-help-sound", "at 500 /play fsync-help-sound", "fsync.send 127.0.0.1 9000"] {
        assert!(top.iter().any(|l| l.contains(readable)), "{readable}");
    }
    // Sound at Pd's own rate, never an assumed one.
    assert!(top.iter().any(|l| l.ends_with(" samplerate~")));
    assert!(!text.contains("48000"), "the help assumes 48 kHz somewhere");
}

/// The help's ping, read back after load at several rates: 0.2 s long at Pd's rate.
#[test]
fn help_patch_makes_its_sound_at_pds_sample_rate() {
    let help = Path::new(env!("CARGO_MANIFEST_DIR")).join("pd-help/fsync~-help.pd");
    for sr in [44100u32, 48000, 96000] {
        let dir = harness::scratch_dir();
        let probe = dir.join("probe.pd");
        std::fs::write(
            &probe,
            "#N canvas 0 0 400 300 12;\n#X obj 10 10 loadbang;\n#X obj 10 40 t b b;\n\
             #X obj 10 70 array size fsync-help-sound;\n#X obj 10 100 print size;\n\
             #X msg 150 70 100;\n#X obj 150 100 tabread fsync-help-sound;\n#X obj 150 130 print at100;\n\
             #X connect 0 0 1 0;\n#X connect 1 0 2 0;\n#X connect 2 0 3 0;\n#X connect 1 1 4 0;\n\
             #X connect 4 0 5 0;\n#X connect 5 0 6 0;\n",
        )
        .unwrap();
        let out = std::process::Command::new("pd")
            .args(["-batch", "-nosound", "-nogui", "-stderr", "-noprefs", "-r", &sr.to_string(), "-path"])
            .arg(&dir)
            .arg("-open")
            .arg(&help)
            .arg("-open")
            .arg(&probe)
            .args(["-send", "pd quit"])
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let value = |prefix: &str| -> f64 {
            stderr
                .lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("{prefix}\n{stderr}"))
                .parse()
                .unwrap()
        };
        assert_eq!(value("size: ") as u32, (0.2 * sr as f64).round() as u32, "sr {sr}");
        let sr = sr as f64;
        #[allow(clippy::approx_constant)] // the help's [expr] writes 2π as 6.2832
        let expected = (100.0 * 6.2832 * 660.0 / sr).sin() * (-100.0 / (sr * 0.03)).exp();
        assert!((value("at100: ") - expected).abs() < 1e-4, "sr {sr}: {} vs {expected}", value("at100: "));
    }
}

#[test]
fn every_patch_in_patches_opens_without_errors() {
    let found = harness::files_with_extension(&Path::new(env!("CARGO_MANIFEST_DIR")).join("patches"), "pd");
    assert!(found.len() >= 5, "expected the receivers and the workshop patches, found {found:?}");
    for path in &found {
        opens_cleanly(path);
    }
}
