//! Every `unsafe` block in the crate says why it is sound: a `SAFETY:` comment
//! within the three lines above it. And no `unsafe` outside the Pd shell.

mod harness;

use std::path::Path;

#[test]
fn every_unsafe_block_has_a_safety_comment() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // (src/pd/bindings/ is bindgen's output, pre-generated: not ours to comment.)
    let files: Vec<_> = harness::files_with_extension(&src, "rs")
        .into_iter()
        .filter(|f| !f.starts_with(src.join("pd/bindings")))
        .collect();
    let mut missing = Vec::new();
    let mut blocks = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("//") || !line.contains("unsafe {") {
                continue;
            }
            blocks += 1;
            let above = &lines[i.saturating_sub(3)..i];
            if !above.iter().any(|l| l.contains("SAFETY")) && !line.contains("SAFETY") {
                missing.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(blocks > 10, "found only {blocks} unsafe blocks: is the scan looking at src/?");
    assert!(missing.is_empty(), "unsafe blocks without a SAFETY comment:\n{}", missing.join("\n"));
}

#[test]
fn the_core_has_no_unsafe_and_no_ffi() {
    let files = harness::files_with_extension(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core"), "rs");
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        if file.file_name().is_some_and(|n| n.to_string_lossy().contains("test")) {
            continue; // test helpers (a counting allocator lives in tests/, not here)
        }
        assert!(!text.contains("unsafe"), "{} uses unsafe", file.display());
        assert!(!text.contains("pd_sys"), "{} calls Pd", file.display());
    }
}
