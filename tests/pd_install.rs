//! `make install PD_EXTRA=<dir>` gives a package Pd opens as it is: fsync~, its help,
//! `[fsync.send]` and the example patches, found with no path into the build tree.

mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Opens `patch` in `pd -batch` with only `args` for paths and HOME=`home` (so no
/// installed copy of the user's is seen); returns stderr after checking it loaded
/// fsync~ (its startup line) and nothing failed.
fn opens_with_fsync(patch: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new("pd")
        .env("HOME", home)
        .args(["-batch", "-nosound", "-nogui", "-stderr", "-noprefs"])
        .args(args)
        .arg("-open")
        .arg(patch)
        .args(["-send", "pd quit"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{}: {stderr}", patch.display());
    // (A port another test holds is not what this test is about.)
    let bad: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            (l.contains("couldn't create")
                || l.contains("error")
                || l.contains("fsync~:")
                || l.contains("unknown message"))
                && !l.contains("Address already in use")
        })
        .collect();
    assert!(bad.is_empty(), "{}:\n{}\n---\n{stderr}", patch.display(), bad.join("\n"));
    assert!(
        stderr.contains("sample-accurate playback at OSC timetags"),
        "{}: fsync~ not loaded:\n{stderr}",
        patch.display()
    );
    stderr
}

fn install(extra: &Path) {
    let out = Command::new("make")
        .current_dir(ROOT)
        .arg("-s")
        .arg("install")
        .arg(format!("PD_EXTRA={}", extra.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "make install: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn installed_package_opens_without_the_build_tree() {
    let dir = std::env::temp_dir().join(format!("fsync-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let home = dir.join("home");
    // Pd's own user folder for externals: [declare -path fsync] finds the package there.
    let extra = home.join(".local/lib/pd/extra");
    install(&extra);
    let package = extra.join("fsync");
    for file in [
        "fsync~.pd_linux",
        "fsync~-help.pd",
        "fsync.send.pd",
        "fsync.send-help.pd",
        "patches/workshop/ex3-forward-sync.pd",
        "patches/workshop/tick.wav",
    ] {
        assert!(package.join(file).is_file(), "{file} not installed");
    }
    let mrpeach = ["-path", "/usr/lib/pd/extra/mrpeach"];
    // The help files beside the external; the workshop patches (fsync~ and [fsync.send]).
    opens_with_fsync(&package.join("fsync~-help.pd"), &home, &[]);
    opens_with_fsync(&package.join("fsync.send-help.pd"), &home, &[]);
    for name in ["ex1-messages", "ex2-metronome", "ex3-forward-sync", "ex4-utc"] {
        let patch = package.join(format!("patches/workshop/{name}.pd"));
        assert!(std::fs::read_to_string(&patch).unwrap().contains("fsync.send 127.0.0.1 8000"), "{name}");
        opens_with_fsync(&patch, &home, &mrpeach);
        // Installed anywhere, not in a standard path: the package folder they sit in.
        opens_with_fsync(&patch, &dir.join("elsewhere"), &mrpeach);
    }
    // A patch of the user's, elsewhere: [declare -path fsync] (the installed package) …
    let mine = dir.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    let patch = mine.join("mine.pd");
    std::fs::write(
        &patch,
        "#N canvas 0 0 400 300 12;\n#X declare -path fsync;\n#X obj 10 10 declare -path fsync;\n\
         #X obj 10 40 fsync~;\n#X obj 10 80 fsync.send 127.0.0.1 9;\n#X msg 10 120 play nothing;\n#X connect 3 0 2 0;\n",
    )
    .unwrap();
    opens_with_fsync(&patch, &home, &[]);
    // … or -path <package> (no declare needed).
    let plain = mine.join("plain.pd");
    std::fs::write(&plain, "#N canvas 0 0 400 300 12;\n#X obj 10 40 fsync~;\n#X obj 10 80 fsync.send 127.0.0.1 9;\n")
        .unwrap();
    opens_with_fsync(&plain, &dir.join("elsewhere"), &["-path", package.to_str().unwrap()]);
    // Without either, it must not load: the checks above could fail.
    let out = Command::new("pd")
        .env("HOME", dir.join("elsewhere"))
        .args(["-batch", "-nosound", "-nogui", "-stderr", "-noprefs", "-open"])
        .arg(&plain)
        .args(["-send", "pd quit"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("couldn't create"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_patch_reaches_into_the_build_tree() {
    let mut patches: Vec<PathBuf> = harness::files_with_extension(&Path::new(ROOT).join("patches"), "pd");
    patches.extend(harness::files_with_extension(&Path::new(ROOT).join("pd-help"), "pd"));
    patches.extend(harness::files_with_extension(&Path::new(ROOT).join("abstractions"), "pd"));
    for p in patches {
        let text = std::fs::read_to_string(&p).unwrap();
        for declare in text.split(';').filter(|l| l.contains("declare")) {
            assert!(!declare.contains("build"), "{}: {declare} names the build tree", p.display());
        }
    }
}

#[test]
fn the_deken_package_and_make_install_ship_the_same_pd_files() {
    let makefile = std::fs::read_to_string(Path::new(ROOT).join("Makefile")).unwrap();
    let package = std::fs::read_to_string(Path::new(ROOT).join("scripts/package.sh")).unwrap();
    let files = makefile.lines().find_map(|l| l.strip_prefix("PD_FILES")).expect("PD_FILES in the Makefile");
    let files: Vec<&str> = files.trim_start_matches([' ', '=']).split_whitespace().collect();
    assert!(files.contains(&"abstractions/fsync.send.pd"), "{files:?}");
    let staged = package.lines().find(|l| l.contains("\"$stage/\"") && l.contains("fsync~-help.pd")).unwrap();
    for f in files {
        assert!(Path::new(ROOT).join(f).is_file(), "{f}");
        assert!(staged.contains(f), "scripts/package.sh does not put {f} in the package: {staged}");
    }
}
