//! Reading a sound file (WAV, AIFF, FLAC) into memory at Pd's sample rate. Runs
//! on a worker thread, never in Pd's thread: decoding a file can take long.

use std::path::Path;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::{Hint, Probe};
use std::sync::OnceLock;

/// Symphonia's enabled formats plus AIFF, which its default probe leaves out.
fn probe() -> &'static Probe {
    static PROBE: OnceLock<Probe> = OnceLock::new();
    PROBE.get_or_init(|| {
        let mut probe = Probe::default();
        symphonia::default::register_enabled_formats(&mut probe);
        probe.register_all::<symphonia_format_riff::AiffReader>();
        probe
    })
}

/// Most samples (frames × channels) one sound may hold, so a file cannot make the
/// object grow without bound: 256 MiB of f32, e.g. 23 minutes of mono at 48 kHz or
/// 87 seconds of 8 channels at 96 kHz.
pub const MAX_SAMPLES: usize = 64 * 1024 * 1024; // 256 MiB of f32

/// Interleaved f32 frames.
#[derive(Clone, Debug, PartialEq)]
pub struct Sound {
    pub channels: usize,
    pub data: Vec<f32>,
}

impl Sound {
    pub fn frames(&self) -> usize {
        self.data.len() / self.channels.max(1)
    }
}

pub fn read(path: &Path, target_rate: f64) -> Result<Sound, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = probe()
        .format(&hint, stream, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|e| format!("{}: not a readable WAV/AIFF/FLAC file ({e})", path.display()))?;
    let mut format = probed.format;
    let track = format.default_track().ok_or_else(|| format!("{}: no audio track", path.display()))?;
    let track_id = track.id;
    let rate = track.codec_params.sample_rate.ok_or_else(|| format!("{}: unknown sample rate", path.display()))? as f64;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut data = Vec::new();
    let mut channels = track.codec_params.channels.map_or(0, |c| c.count());
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = decoder.decode(&packet).map_err(|e| format!("{}: {e}", path.display()))?;
        let spec = *decoded.spec();
        channels = spec.channels.count();
        let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        buffer.copy_interleaved_ref(decoded);
        if data.len() + buffer.samples().len() > MAX_SAMPLES {
            return Err(format!("{}: longer than {MAX_SAMPLES} samples", path.display()));
        }
        data.extend_from_slice(buffer.samples());
    }
    if channels == 0 {
        return Err(format!("{}: no channels", path.display()));
    }
    Ok(resample(Sound { channels, data }, rate, target_rate))
}

/// Linear-interpolation resampling (cheap, done once at load; a click track or
/// sample played at another rate is what a musician would otherwise hear).
pub fn resample(sound: Sound, from: f64, to: f64) -> Sound {
    if from == to || sound.data.is_empty() || !(from > 0.0 && to > 0.0) {
        return sound;
    }
    let c = sound.channels;
    let frames_in = sound.frames();
    let frames_out = ((frames_in as f64) * to / from).round() as usize;
    let mut data = Vec::with_capacity(frames_out * c);
    for f in 0..frames_out {
        let pos = f as f64 * from / to;
        let i = pos.floor() as usize;
        let frac = (pos - i as f64) as f32;
        for ch in 0..c {
            let a = sound.data[(i.min(frames_in - 1)) * c + ch];
            let b = sound.data[((i + 1).min(frames_in - 1)) * c + ch];
            data.push(a + (b - a) * frac);
        }
    }
    Sound { channels: c, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_length_ratio_and_interpolates() {
        let s = Sound { channels: 2, data: vec![0.0, 10.0, 1.0, 11.0, 2.0, 12.0, 3.0, 13.0] };
        let up = resample(s.clone(), 24000.0, 48000.0);
        assert_eq!(up.frames(), 8);
        assert_eq!(&up.data[..6], &[0.0, 10.0, 0.5, 10.5, 1.0, 11.0]);
        assert_eq!(resample(s.clone(), 48000.0, 48000.0), s);
    }

    #[test]
    fn unreadable_files_are_errors_not_panics() {
        let dir = std::env::temp_dir().join(format!("fsync-sf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.wav");
        std::fs::write(&junk, b"RIFF\x10\0\0\0WAVEjunkjunk").unwrap();
        assert!(read(&junk, 48000.0).is_err());
        assert!(read(&dir.join("missing.wav"), 48000.0).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
