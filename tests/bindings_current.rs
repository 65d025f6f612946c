//! The pre-generated Pd bindings (the fallback where libclang or Pd's headers are
//! missing) are what build.rs generates now, and nothing in src/ declares Pd's
//! functions by hand.

mod harness;

use std::path::Path;

#[test]
fn the_checked_in_bindings_for_this_target_are_current() {
    assert_eq!(
        env!("FSYNC_BINDINGS_FROM"),
        "bindgen",
        "build.rs could not run bindgen (libclang-dev and puredata-dev installed?), so the fallback cannot be checked"
    );
    let generated = std::fs::read_to_string(env!("FSYNC_BINDINGS_USED")).unwrap();
    let checked_in = std::fs::read_to_string(env!("FSYNC_BINDINGS_CHECKED_IN")).unwrap_or_else(|_| {
        panic!("no pre-generated bindings at {}: run scripts/bindings.sh", env!("FSYNC_BINDINGS_CHECKED_IN"))
    });
    assert!(generated == checked_in, "{} is stale: run scripts/bindings.sh", env!("FSYNC_BINDINGS_CHECKED_IN"));
}

#[test]
fn no_hand_declared_extern_blocks() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for file in harness::files_with_extension(&src, "rs") {
        if file.starts_with(src.join("pd/bindings")) {
            continue; // bindgen's output
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("extern \"C\" {") || code.contains("extern {") {
                found.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "declare Pd's API in build.rs (bindgen), not by hand:\n{}", found.join("\n"));
}
