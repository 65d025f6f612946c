//! `-channels N`: N signal outlets; a set of arrays (`arrays <name> <a1> <a2>…`)
//! plays one array per outlet, sample exact; a mono array plays on every
//! outlet; more channels than outlets fold to their mean. Real `pd -batch`.

mod harness;

use harness::osc::{self, at, bytes, play};
use harness::{Input, Patch, ramp};

fn negated(v: Vec<f32>) -> Vec<f32> {
    v.into_iter().map(|x| -x).collect()
}

fn onset(t: f64) -> usize {
    (osc::as_read(t) * 48000.0).round() as usize
}

#[test]
fn array_set_plays_one_array_per_outlet_at_the_same_sample() {
    for block in [None, Some("256")] {
        let mut patch = Patch::new(48000, "-clock logical")
            .channels(2)
            .array("left", ramp(50))
            .array("right", negated(ramp(80)))
            .at(0.0, Input::Control("arrays pair left right".into()))
            .packet(1.0, bytes(&at(0.0507, vec![play("pair")])))
            .length(100.0);
        if let Some(b) = block {
            patch = patch.block(b);
        }
        let run = patch.run();
        assert!(run.exit_ok && run.errors().is_empty(), "{}", run.stderr);
        // [block~ N] records time t at index t + N − 64 (see pd_timing.rs).
        let at = onset(0.0507) + block.map_or(0, |b| b.parse::<usize>().unwrap() - 64);
        let (l, r) = (&run.outlets[0], &run.outlets[1]);
        assert_eq!(l.iter().position(|&x| x != 0.0), Some(at), "{block:?}");
        assert_eq!(r.iter().position(|&x| x != 0.0), Some(at), "{block:?}");
        assert_eq!(&l[at..at + 50], &ramp(50)[..]);
        assert!(l[at + 50..].iter().all(|&x| x == 0.0));
        assert_eq!(&r[at..at + 80], &negated(ramp(80))[..]);
        assert!(r[at + 80..].iter().all(|&x| x == 0.0));
        // One voice, one `done`, when its longest array ends.
        assert_eq!(run.status_with("done"), vec!["done pair"]);
    }
}

#[test]
fn mono_array_plays_on_every_outlet() {
    let run = Patch::new(48000, "-clock logical")
        .channels(3)
        .array("src", ramp(40))
        .packet(0.0, bytes(&at(0.0201, vec![play("src")])))
        .length(60.0)
        .run();
    assert!(run.errors().is_empty(), "{}", run.stderr);
    let at = onset(0.0201);
    for (k, out) in run.outlets.iter().enumerate() {
        assert_eq!(out.iter().position(|&x| x != 0.0), Some(at), "outlet {k}");
        assert_eq!(&out[at..at + 40], &ramp(40)[..], "outlet {k}");
    }
}

#[test]
fn one_outlet_hears_the_mean_of_a_set() {
    let run = Patch::new(48000, "-clock logical")
        .array("a", vec![1.0; 20])
        .array("b", vec![0.5; 20])
        .at(0.0, Input::Control("arrays pair a b".into()))
        .packet(1.0, bytes(&at(0.01, vec![play("pair")])))
        .length(40.0)
        .run();
    let at = onset(0.01);
    assert!(run.samples[at..at + 20].iter().all(|&x| x == 0.75), "{:?}", &run.samples[at..at + 3]);
}

#[test]
fn set_with_a_missing_array_and_bad_messages_are_reported() {
    let run = Patch::new(48000, "-clock logical -channels 0")
        .array("a", ramp(20))
        .at(0.0, Input::Control("arrays pair a nothere".into()))
        .at(0.0, Input::Control("arrays".into()))
        .at(0.0, Input::Control("arrays pair2 a 3".into()))
        .packet(1.0, bytes(&at(0.01, vec![play("pair")])))
        .packet(2.0, bytes(&at(0.02, vec![play("a")])))
        .length(40.0)
        .run();
    assert!(run.exit_ok, "{}", run.stderr);
    let errors = run.errors().join("\n");
    assert!(errors.contains("channels must be a whole number 1..64"), "{errors}");
    assert!(errors.contains("usage: arrays <name>"), "{errors}");
    assert!(errors.contains("array names must be words"), "{errors}");
    assert_eq!(run.status_with("missing"), vec!["missing pair"]);
    // `-channels 0` is refused and the object keeps one outlet, which still plays.
    assert_eq!(run.first_nonzero(), Some(onset(0.02)));
}

#[test]
fn redefining_and_forgetting_a_set() {
    let run = Patch::new(48000, "-clock logical")
        .channels(2)
        .array("a", vec![1.0; 10])
        .array("b", vec![2.0; 10])
        .at(0.0, Input::Control("arrays pair a b".into()))
        .at(0.0, Input::Control("arrays pair b a".into()))
        .packet(1.0, bytes(&at(0.01, vec![play("pair")])))
        .at(15.0, Input::Control("arrays pair".into()))
        .packet(16.0, bytes(&at(0.02, vec![play("pair")])))
        .length(40.0)
        .run();
    let at = onset(0.01);
    assert_eq!((run.outlets[0][at], run.outlets[1][at]), (2.0, 1.0));
    assert_eq!(run.status_with("missing"), vec!["missing pair"], "{}", run.stderr);
}
