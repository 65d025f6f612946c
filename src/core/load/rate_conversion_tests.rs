use super::*;
use std::f64::consts::PI;

const UNLIMITED: usize = usize::MAX;

/// In-place radix-2 FFT (`re.len()` a power of two).
fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let (w_re, w_im) = ((2.0 * PI / len as f64).cos(), -(2.0 * PI / len as f64).sin());
        for start in (0..n).step_by(len) {
            let (mut c_re, mut c_im) = (1.0, 0.0);
            for k in 0..len / 2 {
                let (a, b) = (start + k, start + k + len / 2);
                let (t_re, t_im) = (re[b] * c_re - im[b] * c_im, re[b] * c_im + im[b] * c_re);
                (re[b], im[b]) = (re[a] - t_re, im[a] - t_im);
                re[a] += t_re;
                im[a] += t_im;
                (c_re, c_im) = (c_re * w_re - c_im * w_im, c_re * w_im + c_im * w_re);
            }
        }
        len <<= 1;
    }
}

/// Amplitude spectrum of `x` under a 4-term Blackman-Harris window (side lobes
/// −92 dB): bin `k` is the amplitude of a sine at `k / x.len()` cycles per sample.
fn spectrum(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let window: Vec<f64> = (0..n)
        .map(|i| {
            let t = 2.0 * PI * i as f64 / n as f64;
            0.35875 - 0.48829 * t.cos() + 0.14128 * (2.0 * t).cos() - 0.01168 * (3.0 * t).cos()
        })
        .collect();
    let gain: f64 = window.iter().sum();
    let mut re: Vec<f64> = x.iter().zip(&window).map(|(v, w)| v * w).collect();
    let mut im = vec![0.0; n];
    fft(&mut re, &mut im);
    (0..n / 2).map(|k| 2.0 * re[k].hypot(im[k]) / gain).collect()
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

fn sine(rate: f64, hz: f64, seconds: f64) -> Vec<f32> {
    (0..(rate * seconds) as usize).map(|n| (2.0 * PI * hz / rate * n as f64).sin() as f32).collect()
}

/// The steady part analysed: past the filter's start and before its end.
const SKIP_FRAMES: usize = 8192;
const ANALYSED_FRAMES: usize = 1 << 16;

struct Measured {
    /// The fundamental's amplitude (1: unchanged).
    gain: f64,
    /// How late the fundamental is against `sin(2π·hz·j/to)`, in output samples.
    delay: f64,
    /// The strongest other component (aliases, images, distortion), dB re the fundamental.
    worst_db: f64,
    worst_hz: f64,
}

/// A `hz` sine converted `from` → `to` by `convert`: the fundamental fitted (least
/// squares at its exact frequency) and removed; the rest's spectrum searched.
fn measure(convert: impl Fn(&[f32]) -> Vec<f32>, from: f64, to: f64, hz: f64) -> Measured {
    let y = convert(&sine(from, hz, 2.0));
    let part = &y[SKIP_FRAMES..SKIP_FRAMES + ANALYSED_FRAMES];
    let w = 2.0 * PI * hz / to;
    // Least squares: y ≈ a·sin(w j) + b·cos(w j) over the part.
    let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in part.iter().enumerate() {
        let j = (SKIP_FRAMES + i) as f64;
        let (s, c) = (w * j).sin_cos();
        (ss, cc, sc, ys, yc) = (ss + s * s, cc + c * c, sc + s * c, ys + v as f64 * s, yc + v as f64 * c);
    }
    let det = ss * cc - sc * sc;
    let (a, b) = ((ys * cc - yc * sc) / det, (yc * ss - ys * sc) / det);
    let residual: Vec<f64> = part
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let j = (SKIP_FRAMES + i) as f64;
            v as f64 - (a * (w * j).sin() + b * (w * j).cos())
        })
        .collect();
    let gain = a.hypot(b);
    // a·sin + b·cos = gain·sin(w j + φ), φ = atan2(b, a): late by −φ/w samples.
    let delay = -b.atan2(a) / w;
    let (worst_bin, worst) = spectrum(&residual)
        .into_iter()
        .enumerate()
        .skip(1)
        .fold((0, 0.0), |m, (k, v)| if v > m.1 { (k, v) } else { m });
    Measured { gain, delay, worst_db: db(worst / gain), worst_hz: worst_bin as f64 * to / ANALYSED_FRAMES as f64 }
}

fn converted(from: f64, to: f64) -> impl Fn(&[f32]) -> Vec<f32> {
    move |x| convert(x, 1, from, to, UNLIMITED).expect("converts")
}

/// What this module replaced: linear interpolation at `j·from/to`.
fn linear(from: f64, to: f64) -> impl Fn(&[f32]) -> Vec<f32> {
    move |x| {
        let frames = (x.len() as f64 * to / from).round() as usize;
        (0..frames)
            .map(|j| {
                let at = j as f64 * from / to;
                let (i, frac) = (at.floor() as usize, (at - at.floor()) as f32);
                let (a, b) = (x[i.min(x.len() - 1)], x[(i + 1).min(x.len() - 1)]);
                a + (b - a) * frac
            })
            .collect()
    }
}

/// The reference of issue 17: a 1 kHz sine from 44.1 to 48 kHz, every product
/// below −90 dB re the fundamental; and 48 → 44.1 kHz, 96 → 48 kHz, 22.05 → 48 kHz.
/// The same measure finds linear interpolation's images (so it can fail).
#[test]
fn sine_products_are_below_minus_90_db() {
    for (from, to) in [(44100.0, 48000.0), (48000.0, 44100.0), (96000.0, 48000.0), (22050.0, 48000.0)] {
        let m = measure(converted(from, to), from, to, 1000.0);
        eprintln!(
            "{from} → {to} Hz, 1 kHz: gain {:.6}, delay {:+.4} samples, strongest product {:.1} dB at {:.0} Hz",
            m.gain, m.delay, m.worst_db, m.worst_hz
        );
        assert!((m.gain - 1.0).abs() < 1e-3, "gain {}", m.gain);
        assert!(m.delay.abs() < 0.01, "delayed by {} samples", m.delay);
        assert!(m.worst_db < -90.0, "{from} → {to}: a product at {:.1} dB, {:.0} Hz", m.worst_db, m.worst_hz);
    }
    let old = measure(linear(44100.0, 48000.0), 44100.0, 48000.0, 1000.0);
    eprintln!("linear 44100 → 48000 Hz, 1 kHz: strongest product {:.1} dB at {:.0} Hz", old.worst_db, old.worst_hz);
    assert!(old.worst_db > -90.0, "the measure must see linear interpolation's images ({:.1} dB)", old.worst_db);
}

/// Ratios without a small exact fraction (Pd at a rate that is not a whole
/// number of Hz) interpolate between tabulated phases: still below −90 dB, and
/// placed within half an output sample.
#[test]
fn interpolated_phases_keep_products_below_minus_90_db() {
    let (from, to) = (44100.0, 48000.5);
    assert_eq!(plan(from, to).interpolation, SincInterpolationType::Cubic);
    let m = measure(converted(from, to), from, to, 1000.0);
    eprintln!(
        "{from} → {to} Hz (interpolated phases), 1 kHz: gain {:.6}, delay {:+.4} samples, strongest product {:.1} dB at {:.0} Hz",
        m.gain, m.delay, m.worst_db, m.worst_hz
    );
    assert!((m.gain - 1.0).abs() < 1e-3, "gain {}", m.gain);
    assert!(m.delay.abs() <= 0.5, "delayed by {} samples", m.delay);
    assert!(m.worst_db < -90.0, "a product at {:.1} dB, {:.0} Hz", m.worst_db, m.worst_hz);
}

/// Downsampling: a 30 kHz tone at 96 kHz is above 48 kHz's Nyquist frequency:
/// it must not fold back to 18 kHz (below −90 dB re its level in the file).
#[test]
fn content_above_the_new_nyquist_is_removed() {
    for (from, to, hz) in [(96000.0, 48000.0, 30000.0), (48000.0, 44100.0, 23000.0), (192000.0, 44100.0, 60000.0)] {
        let y = converted(from, to)(&sine(from, hz, 1.0));
        let part: Vec<f64> = y[SKIP_FRAMES / 2..][..1 << 15].iter().map(|&v| v as f64).collect();
        let (bin, worst) =
            spectrum(&part).into_iter().enumerate().fold((0, 0.0), |m, (k, v)| if v > m.1 { (k, v) } else { m });
        let hz_found = bin as f64 * to / part.len() as f64;
        eprintln!("{from} → {to} Hz, {hz} Hz tone: strongest component {:.1} dB at {hz_found:.0} Hz", db(worst));
        assert!(db(worst) < -90.0, "{hz} Hz: {:.1} dB at {hz_found:.0} Hz", db(worst));
    }
    // Linear interpolation folds it back whole.
    let y = linear(96000.0, 48000.0)(&sine(96000.0, 30000.0, 1.0));
    let part: Vec<f64> = y[SKIP_FRAMES / 2..][..1 << 15].iter().map(|&v| v as f64).collect();
    assert!(db(spectrum(&part).into_iter().fold(0.0, f64::max)) > -10.0);
}

fn loudest(x: &[f32]) -> usize {
    x.iter().enumerate().fold((0, 0.0f32), |m, (i, v)| if v.abs() > m.1 { (i, v.abs()) } else { m }).0
}

/// fsync~ starts sounds on a sample: the converter must not delay them. A click
/// at input frame 1000 is loudest at the output frame nearest to 1000·to/from.
#[test]
fn a_click_keeps_its_place() {
    let rates = [8000.0, 11025.0, 22050.0, 32000.0, 44100.0, 48000.0, 88200.0, 96000.0, 192000.0];
    for from in rates {
        for to in rates.into_iter().chain([44100.5, 47999.9]) {
            if from == to {
                continue;
            }
            let mut click = vec![0.0f32; 3000];
            click[1000] = 1.0;
            let y = convert(&click, 1, from, to, UNLIMITED).unwrap();
            let exact = 1000.0 * to / from;
            let at = loudest(&y) as f64;
            let p = plan(from, to);
            // Whole-Hz rates: exact phases, the nearest frame; others: within one frame.
            let tolerance = if p.interpolation == SincInterpolationType::Nearest { 0.5 + 1e-9 } else { 1.0 };
            assert!((at - exact).abs() <= tolerance, "{from} → {to} Hz: click at {at}, expected {exact:.2} ({p:?})");
            assert!((at - exact.round()).abs() <= 1.0);
        }
    }
}

#[test]
fn whole_hz_rates_convert_exactly_and_the_delay_algebra_holds() {
    let rates = [8000u64, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000];
    for from in rates {
        for to in rates {
            let p = plan(from as f64, to as f64);
            assert_eq!(p.interpolation, SincInterpolationType::Nearest, "{from} → {to}");
            let (l, m) = (to / gcd(from, to), from / gcd(from, to));
            assert_eq!(p.phases as u64, l);
            // (skip + 1)·from/to − lead_in = taps/2 − 1/phases, in whole numbers.
            assert_eq!((p.skip as u64 + 1) * m - p.lead_in as u64 * l, p.taps as u64 * l / 2 - 1, "{from} → {to}");
            assert!(p.lead_in < m as usize && p.taps <= MAX_TAPS && p.taps * p.phases <= MAX_TABLE_COEFFICIENTS);
        }
    }
}

#[test]
fn lengths_are_frames_times_ratio_rounded() {
    for (from, to) in
        [(44100.0, 48000.0), (48000.0, 44100.0), (96000.0, 48000.0), (1000.0, 48000.0), (44100.0, 48000.5)]
    {
        for frames in [0usize, 1, 2, 3, 7, 100, 1001, 4410] {
            let y = convert(&vec![0.5; frames * 2], 2, from, to, UNLIMITED).unwrap();
            assert_eq!(y.len(), 2 * (frames as f64 * to / from).round() as usize, "{frames} frames {from} → {to}");
        }
    }
}

#[test]
fn channels_stay_apart_and_dc_stays_dc() {
    let left = sine(44100.0, 1000.0, 0.2);
    let right: Vec<f32> = left.iter().map(|v| -0.5 * v + 0.25).collect();
    let both: Vec<f32> = left.iter().zip(&right).flat_map(|(l, r)| [*l, *r]).collect();
    let y = convert(&both, 2, 44100.0, 48000.0, UNLIMITED).unwrap();
    let (yl, yr) = (converted(44100.0, 48000.0)(&left), converted(44100.0, 48000.0)(&right));
    for (j, frame) in y.chunks_exact(2).enumerate() {
        assert!((frame[0] - yl[j]).abs() < 1e-6 && (frame[1] - yr[j]).abs() < 1e-6, "frame {j}");
    }
    // DC passes with unit gain away from the ends.
    let ones = convert(&vec![1.0; 4000], 1, 48000.0, 44100.0, UNLIMITED).unwrap();
    assert!(ones[500..3000].iter().all(|v| (v - 1.0).abs() < 1e-4));
}

/// Hostile rates and sizes: a typed error, before anything is allocated.
#[test]
fn bad_rates_and_sizes_are_refused() {
    let x = [0.25f32; 10];
    for bad in [0.0, 1.0, 999.0, -48000.0, f64::NAN, f64::INFINITY, 768_001.0, 1e9] {
        assert!(matches!(convert(&x, 1, 48000.0, bad, UNLIMITED), Err(RateConversionError::Rate { .. })), "{bad}");
        assert!(matches!(convert(&x, 1, bad, 48000.0, UNLIMITED), Err(RateConversionError::Rate { .. })), "{bad}");
    }
    // 10 frames at 1 kHz are 7680 frames at 768 kHz: 30720 bytes.
    let e = convert(&x, 1, 1000.0, 768_000.0, 30_719).unwrap_err();
    assert!(matches!(e, RateConversionError::TooBig { bytes: 30720.0, max_bytes: 30_719, .. }), "{e:?}");
    assert!(e.to_string().contains("768000 Hz"), "{e}");
    assert_eq!(convert(&x, 1, 1000.0, 768_000.0, 30_720).unwrap().len(), 7680);
    // The extreme ratios the rate range allows, both ways: bounded, and right.
    assert_eq!(convert(&vec![0.25; 7680], 1, 768_000.0, 1000.0, UNLIMITED).unwrap().len(), 10);
    assert!(matches!(convert(&x, 0, 1000.0, 48000.0, UNLIMITED), Err(RateConversionError::Layout { .. })));
    assert!(matches!(convert(&x, 3, 1000.0, 48000.0, UNLIMITED), Err(RateConversionError::Layout { .. })));
    assert!(matches!(convert(&[0.0; 65], 65, 1000.0, 48000.0, UNLIMITED), Err(RateConversionError::Layout { .. })));
}

/// The band kept: flat (±0.01 dB) up to 20 kHz, whichever way the rate goes.
#[test]
fn the_passband_is_flat_to_20_khz() {
    for (from, to) in [(44100.0, 48000.0), (48000.0, 44100.0), (96000.0, 48000.0)] {
        for hz in [100.0, 5000.0, 12000.0, 20000.0] {
            let m = measure(converted(from, to), from, to, hz);
            assert!(db(m.gain).abs() < 0.01, "{from} → {to} Hz: {hz} Hz at {:.3} dB", db(m.gain));
            assert!(m.worst_db < -90.0, "{from} → {to} Hz, {hz} Hz: a product at {:.1} dB", m.worst_db);
        }
    }
}
