//! `-drift` in real Pd: a fixed pace resamples what voices play (the paced path
//! in the perform routine), `-clock logical` never does, `drift` reports the pace.

mod harness;

use harness::osc::{bytes, immediately, play};
use harness::{Input, Patch, ramp};

/// The ramp 1, 2, 3… played at +200 ppm: 1.0002 source samples per output
/// sample once the pace has slewed there (1 ppm per block: 200 blocks),
/// measured on the output over 15000 samples (±1 ppm).
#[test]
fn a_fixed_pace_resamples_in_pd() {
    let run = Patch::new(48000, "-clock system -drift 200")
        .array("src", ramp(40000))
        .packet(0.0, bytes(&immediately(vec![play("src")])))
        .at(800.0, Input::Control("drift".into()))
        .length(850.0)
        .run();
    let onset = run.first_nonzero().expect("sound");
    let (a, b) = (run.samples[onset + 20000] as f64, run.samples[onset + 35000] as f64);
    let pace = (b - a) / 15000.0;
    assert!((pace - 1.0002).abs() < 1e-6, "pace {pace}");
    assert!(run.stderr.contains("drift fixed +200 ppm: voices play at +200.000 ppm"), "{}", run.stderr);
}

/// `-clock logical` is sample-exact whatever `-drift` says: the ramp comes out as it is.
#[test]
fn logical_clock_never_resamples() {
    let run = Patch::new(48000, "-clock logical -drift 200")
        .array("src", ramp(5000))
        .packet(0.0, bytes(&immediately(vec![play("src")])))
        .length(150.0)
        .run();
    let onset = run.first_nonzero().expect("sound");
    assert_eq!(&run.samples[onset..onset + 5000], &ramp(5000)[..]);
}

/// With `-drift off` (and `drift off` as a message) the ramp is exact under the system clock too.
#[test]
fn drift_off_plays_at_the_cards_pace() {
    let run = Patch::new(48000, "-clock system -drift 300")
        .array("src", ramp(5000))
        .at(0.0, Input::Control("drift off".into()))
        .packet(1.0, bytes(&immediately(vec![play("src")])))
        .length(150.0)
        .run();
    let onset = run.first_nonzero().expect("sound");
    assert_eq!(&run.samples[onset..onset + 5000], &ramp(5000)[..]);
}
