//! What converting a loaded sound to Pd's rate costs (on the worker thread, at
//! load time): 60 s of stereo noise, best of 3, for common rate pairs.
//!
//!     cargo run --release --example load_conversion_cost [seconds]

use fsync::core::load::rate_conversion::convert;
use std::time::Instant;

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(60.0);
    println!("{seconds} s of stereo, best of 3 (one core):");
    for (from, to) in
        [(44100.0, 48000.0), (48000.0, 44100.0), (96000.0, 48000.0), (22050.0, 48000.0), (44100.0, 48000.5)]
    {
        let frames = (from * seconds) as usize;
        // A fixed pseudo-random signal (the work does not depend on it).
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let samples: Vec<f32> = (0..frames * 2)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        let best = (0..3)
            .map(|_| {
                let start = Instant::now();
                let out = convert(&samples, 2, from, to, usize::MAX).expect("converts");
                std::hint::black_box(out);
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        println!("  {from:>8} → {to:>8} Hz: {:7.1} ms ({:.0}× real time)", best * 1e3, seconds / best);
    }
}
