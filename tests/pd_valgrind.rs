//! Real Pd with [fsync~] under valgrind's memcheck: packets good and bad, a
//! missing array, forwarding, control messages, the array deleted while a
//! voice plays (alone and in a set of arrays on two outlets) and the object
//! deleted with events pending. No memory error,
//! no definite leak.

mod harness;

use harness::osc::{self, at, bytes, play};
use harness::{ramp, Input, Patch};
use rosc::OscType;

#[test]
fn memcheck_finds_nothing() {
    let busy = at(
        0.002,
        vec![
            play("src"),
            play("gone"),
            play("pair"),
            at(0.004, vec![osc::message("/stop", vec![OscType::String("src".into())])]),
            osc::message("/tempo", vec![OscType::Int(120), OscType::String("x".into())]),
        ],
    );
    let run = Patch::new(48000, "-clock logical -voices 3 -queue 8")
        .channels(2)
        .array("src", ramp(2000))
        .array("src2", ramp(3000))
        .at(0.0, Input::Control("arrays pair src2 src".into()))
        .packet(0.0, bytes(&busy))
        .packet(1.0, b"garbage!".to_vec())
        .packet(2.0, bytes(&at(0.006, vec![play("src"), play("src"), play("src")])))
        .at(3.0, Input::Control("clock".into()))
        .at(3.5, Input::Control("map /pd tick src".into()))
        .at(4.0, Input::Control("print".into()))
        .packet(5.0, bytes(&at(0.009, vec![osc::message("/p?", vec![OscType::String("tick".into())])])))
        .at(15.0, Input::Global("pd-arrays clear".into()))
        .packet(16.0, bytes(&at(0.5, vec![play("src"), osc::message("/later", vec![])])))
        .at(20.0, Input::Global("pd-sub clear".into()))
        .length(40.0)
        .run_under(&["valgrind", "--leak-check=full", "--show-leak-kinds=definite"]);
    assert!(run.stderr.contains("ERROR SUMMARY:"), "valgrind did not run:\n{}", run.stderr);
    assert!(run.exit_ok, "{}", run.stderr);
    // Any memory error fails; a definite leak fails when our code is on its stack
    // (Pd 0.53 itself leaks 16 bytes in glist_init when a [table] is deleted).
    let blocks = valgrind_records(&run.stderr);
    let errors: Vec<&String> = blocks
        .iter()
        .filter(|b| {
            let memory_error = ["Invalid read", "Invalid write", "Invalid free", "uninitialised", "Conditional jump", "Mismatched free", "overlap"]
                .iter()
                .any(|k| b.contains(k));
            let our_leak = b.contains("definitely lost") && (b.contains("fsync") || b.contains("pd_linux"));
            memory_error || our_leak
        })
        .collect();
    assert!(errors.is_empty(), "valgrind:\n{}", errors.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n\n"));
    assert!(run.status.iter().any(|s| s.starts_with("stolen")), "the patch must exercise the object: {:?}", run.status);
    assert!(run.status.iter().any(|s| s == "missing gone"), "{:?}", run.status);
}

/// valgrind's report split into records (separated by an empty `==PID==` line).
fn valgrind_records(stderr: &str) -> Vec<String> {
    let mut records = vec![String::new()];
    for line in stderr.lines().filter(|l| l.starts_with("==")) {
        let body = line.splitn(3, "==").nth(2).unwrap_or("").trim();
        if body.is_empty() {
            records.push(String::new());
        } else {
            let last = records.last_mut().unwrap();
            last.push_str(body);
            last.push('\n');
        }
    }
    records.retain(|r| !r.is_empty());
    records
}
