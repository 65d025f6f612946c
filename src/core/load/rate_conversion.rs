//! Band-limited conversion of a loaded sound to Pd's sample rate: once, on the
//! worker thread that decoded it, never in perform. rubato's windowed-sinc
//! resampler: a Blackman-Harris² window over 256 taps when upsampling, and over
//! 256 / ratio taps when downsampling (at most 4096), so the filter's band edge
//! sits below the new Nyquist frequency with the same steepness.
//!
//! Onsets stay where they were: output frame `j` is the input heard at frame
//! `j · from / to`, as with the linear interpolation this replaces (a click at
//! input frame 1000 of a 44.1 kHz file is at 1088.4 at 48 kHz). The resampler's
//! own delay is compensated by leading zeros and by dropping its first output
//! frames. When both rates are whole numbers of Hz and `to / from` reduced is
//! `l / m` with `taps · l` at most 2^20 (every pair of 8, 11.025, 16, 22.05, 32,
//! 44.1, 48, 88.2, 96, 176.4, 192 kHz; 44.1 → 48 kHz is 160/147), the filter
//! is tabulated at `l` phases and every output frame falls on one of them: exact
//! to the filter, no interpolation between phases, no sub-sample delay. Other
//! ratios interpolate cubically between 128 phases and are placed to within half
//! an output sample.
//!
//! Memory: the result is sized before anything is allocated (refused past the
//! caller's byte limit); besides it the resampler holds its filter table (at
//! most 2^20 coefficients, 4 MiB, briefly about three times that while it is
//! built), a step's output (about 2^16 samples at most) and the input a step
//! reads (up to 1024 + 2·4096 frames per channel: 2.4 MiB for 64 channels).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Async, FixedAsync, Resampler, SincInterpolationParameters, SincInterpolationType, WindowFunction};

/// Sample rates converted, in Hz: files outside them are refused before they are
/// decoded (`sound_file`); Pd running outside them cannot convert.
pub const MIN_RATE_HZ: u32 = 1_000;
pub const MAX_RATE_HZ: u32 = 768_000;

const SAMPLE_BYTES: usize = std::mem::size_of::<f32>();
/// Filter taps when upsampling (rubato's recommended length).
const BASE_TAPS: usize = 256;
/// Taps at most: downsampling by more than 16 widens the transition band
/// (relative to the new Nyquist frequency) instead of lengthening the filter.
const MAX_TAPS: usize = 4096;
/// Phases tabulated for other ratios, interpolated cubically between.
const INTERPOLATED_PHASES: usize = 128;
/// Most coefficients in the filter table (taps × phases): 4 MiB of f32.
const MAX_TABLE_COEFFICIENTS: usize = 1 << 20;
/// Output samples (frames × channels) one step of the resampler makes at most, about.
const STEP_OUTPUT_SAMPLES: usize = 1 << 16;
/// Input frames per step at most.
const MAX_STEP_FRAMES: usize = 1024;

#[derive(Clone, Debug, PartialEq)]
pub enum RateConversionError {
    /// A rate that is not a finite number of Hz within `MIN_RATE_HZ..=MAX_RATE_HZ`.
    Rate { hz: f64 },
    /// No channels, or samples that are not a whole number of frames.
    Layout { channels: usize, samples: usize },
    /// The converted sound would take `bytes`, more than `max_bytes`.
    TooBig { bytes: f64, max_bytes: usize, to_hz: f64 },
    /// The memory for the converted sound could not be had.
    OutOfMemory { bytes: usize },
    /// rubato refused or stopped (not expected with rates checked here): what it said.
    Resampler(String),
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

impl std::fmt::Display for RateConversionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Rate { hz } => {
                write!(f, "cannot resample at {hz} Hz (fsync~ converts {MIN_RATE_HZ}..{MAX_RATE_HZ} Hz)")
            }
            Self::Layout { channels, samples } => {
                write!(f, "cannot resample {samples} samples as {channels} channels")
            }
            Self::TooBig { bytes, max_bytes, to_hz } => {
                write!(f, "{} at Pd's rate of {to_hz} Hz (at most {})", mib(*bytes), mib(*max_bytes as f64))
            }
            Self::OutOfMemory { bytes } => write!(f, "out of memory for {} at Pd's rate", mib(*bytes as f64)),
            Self::Resampler(why) => write!(f, "resampling failed ({why})"),
        }
    }
}

impl std::error::Error for RateConversionError {}

/// How a conversion is done: the filter, and how its delay is compensated.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Plan {
    taps: usize,
    phases: usize,
    interpolation: SincInterpolationType,
    /// Zero frames fed before the sound.
    lead_in: usize,
    /// Output frames dropped at the start.
    skip: usize,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `x` with `x · a ≡ 1 (mod m)`, for `a` and `m` coprime (`m ≥ 1`).
fn inverse_mod(a: u64, m: u64) -> u64 {
    let (mut r0, mut r1) = (m as i128, (a % m) as i128);
    let (mut t0, mut t1) = (0i128, 1i128);
    while r1 != 0 {
        let q = r0 / r1;
        (r0, r1) = (r1, r0 - q * r1);
        (t0, t1) = (t1, t0 - q * t1);
    }
    t0.rem_euclid(m as i128) as u64
}

/// The plan for `from_hz` → `to_hz` (both checked).
///
/// Timing of rubato's sinc resampler (5.1, measured by the tests below): its
/// output frame `k`, counted from its first call, is the input read at
/// `(k + 1)·from/to − taps/2 + 1/phases`. Frame `j = k − skip` of ours, after
/// `lead_in` zeros, is therefore read at `(j + skip + 1)·from/to − taps/2 +
/// 1/phases − lead_in`, which should be `j·from/to`.
fn plan(from_hz: f64, to_hz: f64) -> Plan {
    let ratio = to_hz / from_hz;
    let taps = if ratio >= 1.0 {
        BASE_TAPS
    } else {
        ((BASE_TAPS as f64 / ratio).ceil() as usize).next_multiple_of(8).min(MAX_TAPS)
    };
    let whole = |hz: f64| (hz.fract() == 0.0).then_some(hz as u64);
    if let (Some(from), Some(to)) = (whole(from_hz), whole(to_hz)) {
        let g = gcd(from, to);
        let (l, m) = (to / g, from / g);
        if (taps as u64).saturating_mul(l) <= MAX_TABLE_COEFFICIENTS as u64 {
            // With phases = l and from/to = m/l: (skip + 1)·m − lead_in·l = taps·l/2 − 1 =: a,
            // in whole numbers: skip + 1 ≡ a·m⁻¹ (mod l), the smallest that leaves lead_in ≥ 0.
            let a = taps as u64 * l / 2 - 1;
            let k0 = (a % l) * inverse_mod(m, l) % l;
            let mut q = a.saturating_sub(k0 * m).div_ceil(l * m);
            if k0 + l * q == 0 {
                q += 1;
            }
            let skip_plus_one = k0 + l * q;
            let lead_in = (skip_plus_one * m - a) / l;
            return Plan {
                taps,
                phases: l as usize,
                interpolation: SincInterpolationType::Nearest,
                lead_in: lead_in as usize,
                skip: skip_plus_one as usize - 1,
            };
        }
    }
    let phases = INTERPOLATED_PHASES.min(MAX_TABLE_COEFFICIENTS / taps);
    let delay = (taps as f64 / 2.0 - 1.0 / phases as f64) * ratio;
    Plan {
        taps,
        phases,
        interpolation: SincInterpolationType::Cubic,
        lead_in: 0,
        skip: (delay.round() as usize).saturating_sub(1),
    }
}

fn check_rate(hz: f64) -> Result<(), RateConversionError> {
    if hz.is_finite() && (f64::from(MIN_RATE_HZ)..=f64::from(MAX_RATE_HZ)).contains(&hz) {
        Ok(())
    } else {
        Err(RateConversionError::Rate { hz })
    }
}

/// `samples` (interleaved, `channels` per frame) at `from_hz`, converted to
/// `to_hz`: `round(frames · to/from)` frames. Refused before allocating if the
/// result would take more than `max_bytes`.
pub fn convert(
    samples: &[f32],
    channels: usize,
    from_hz: f64,
    to_hz: f64,
    max_bytes: usize,
) -> Result<Vec<f32>, RateConversionError> {
    check_rate(from_hz)?;
    check_rate(to_hz)?;
    convert_with(samples, channels, from_hz, to_hz, max_bytes, &plan(from_hz, to_hz))
}

fn convert_with(
    samples: &[f32],
    channels: usize,
    from_hz: f64,
    to_hz: f64,
    max_bytes: usize,
    plan: &Plan,
) -> Result<Vec<f32>, RateConversionError> {
    if channels == 0 || channels > crate::core::limits::MAX_CHANNELS || !samples.len().is_multiple_of(channels) {
        return Err(RateConversionError::Layout { channels, samples: samples.len() });
    }
    let ratio = to_hz / from_hz;
    let frames_in = samples.len() / channels;
    let frames_out = (frames_in as f64 * ratio).round();
    let bytes = frames_out * (channels * SAMPLE_BYTES) as f64;
    if bytes > max_bytes as f64 {
        return Err(RateConversionError::TooBig { bytes, max_bytes, to_hz });
    }
    let frames_out = frames_out as usize;
    let mut out = Vec::new();
    out.try_reserve_exact(frames_out * channels)
        .map_err(|_| RateConversionError::OutOfMemory { bytes: bytes as usize })?;
    if frames_out == 0 {
        return Ok(out);
    }
    let failed = |e: &dyn std::fmt::Display| RateConversionError::Resampler(e.to_string());

    let step_frames = (STEP_OUTPUT_SAMPLES / (channels * ratio.ceil() as usize)).clamp(1, MAX_STEP_FRAMES);
    let parameters = SincInterpolationParameters::new(plan.taps, WindowFunction::BlackmanHarris2)
        .oversampling_factor(plan.phases)
        .interpolation(plan.interpolation);
    let mut resampler = Async::<f32>::new_sinc(ratio, 1.0, &parameters, step_frames, channels, FixedAsync::Input)
        .map_err(|e| failed(&e))?;
    let mut staging = vec![0.0f32; step_frames * channels];
    let mut step_out = vec![0.0f32; resampler.output_frames_max() * channels];
    // Input frames of the padded sound (lead-in zeros, the sound, zeros after) fed so far.
    let mut fed = 0usize;
    let mut skipped = 0usize;
    // Enough input for every output frame, with room to spare: the loop's bound.
    let most_fed =
        plan.lead_in + frames_in + 4 * plan.taps + ((plan.skip + 2) as f64 / ratio).ceil() as usize + 2 * step_frames;
    while out.len() < frames_out * channels {
        if fed > most_fed {
            return Err(RateConversionError::Resampler(format!(
                "{} of {frames_out} frames made",
                out.len() / channels
            )));
        }
        for (frame, slot) in staging.chunks_exact_mut(channels).enumerate() {
            let source = (fed + frame).checked_sub(plan.lead_in).filter(|&i| i < frames_in);
            match source {
                Some(i) => slot.copy_from_slice(&samples[i * channels..(i + 1) * channels]),
                None => slot.fill(0.0),
            }
        }
        fed += step_frames;
        let input = InterleavedSlice::new(&staging, channels, step_frames).map_err(|e| failed(&e))?;
        let capacity = step_out.len() / channels;
        let mut output = InterleavedSlice::new_mut(&mut step_out, channels, capacity).map_err(|e| failed(&e))?;
        let (_, made) = resampler.process_into_buffer(&input, &mut output, None).map_err(|e| failed(&e))?;
        let dropped = (plan.skip - skipped).min(made);
        skipped += dropped;
        let kept = (made - dropped).min(frames_out - out.len() / channels);
        out.extend_from_slice(&step_out[dropped * channels..(dropped + kept) * channels]);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "rate_conversion_tests.rs"]
mod tests;
