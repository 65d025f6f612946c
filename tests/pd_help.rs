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
}

#[test]
fn every_patch_in_patches_opens_without_errors() {
    let found = harness::files_with_extension(&Path::new(env!("CARGO_MANIFEST_DIR")).join("patches"), "pd");
    assert!(found.len() >= 5, "expected the receivers and the workshop patches, found {found:?}");
    for path in &found {
        opens_cleanly(path);
    }
}
