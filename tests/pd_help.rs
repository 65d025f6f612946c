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
        .filter(|l| l.contains("couldn't create") || l.contains("connection failed") || l.contains("error") || l.contains("bad arguments") || l.contains("fsync~:"))
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("patches");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pd") {
            opens_cleanly(&path);
            count += 1;
        }
    }
    assert!(count > 0, "no patches in {}", dir.display());
}
