//! Reading a sound file (WAV, AIFF, FLAC) into memory at Pd's sample rate. Runs
//! on a worker thread, never in Pd's thread: decoding a file can take long.

use super::rate_conversion::{self, RateConversionError};
use std::io::{Read, SeekFrom};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;

/// The reader for a file, chosen by its first four bytes. (Not symphonia's
/// probe: it looks for a format's marker anywhere in the first MiB, so a
/// FLAC stream could start past the header this module checks.)
fn format_reader(
    magic: &[u8],
    stream: MediaSourceStream,
) -> Option<symphonia::core::errors::Result<Box<dyn FormatReader>>> {
    let options = FormatOptions::default();
    fn boxed<F: FormatReader + 'static>(
        r: symphonia::core::errors::Result<F>,
    ) -> symphonia::core::errors::Result<Box<dyn FormatReader>> {
        r.map(|f| Box::new(f) as Box<dyn FormatReader>)
    }
    Some(match magic.get(0..4)? {
        b"RIFF" => boxed(symphonia_format_riff::WavReader::try_new(stream, &options)),
        b"FORM" => boxed(symphonia_format_riff::AiffReader::try_new(stream, &options)),
        b"fLaC" => boxed(symphonia::default::formats::FlacReader::try_new(stream, &options)),
        _ => return None,
    })
}

/// Most memory one sound may take at Pd's rate, so a file cannot make the
/// object grow without bound: 256 MiB of f32, e.g. 23 minutes of mono at 48 kHz
/// or 87 seconds of 8 channels at 96 kHz. (All sounds of one object together
/// are bounded by `-sound-memory`.)
pub const MAX_SOUND_BYTES: usize = 256 * 1024 * 1024;
const SAMPLE_BYTES: usize = std::mem::size_of::<f32>();

/// File sample rates fsync~ reads. Outside them a file is refused before
/// anything is decoded: 0 Hz makes the decoder fail, and a very low rate would
/// resample a small file into gigabytes.
pub const MIN_FILE_RATE_HZ: u32 = rate_conversion::MIN_RATE_HZ;
pub const MAX_FILE_RATE_HZ: u32 = rate_conversion::MAX_RATE_HZ;

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

/// Bytes of f32 that `samples` samples at `from` Hz take once resampled to `to` Hz.
pub fn bytes_at_rate(samples: usize, from: f64, to: f64) -> f64 {
    samples as f64 * (to / from) * SAMPLE_BYTES as f64
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

/// Reads a sound (WAV, AIFF or FLAC, told by its first bytes) from an open
/// file (`name` for messages), resampled to `target_rate`, refused if it would take more
/// than `max_bytes` (checked from the header, while decoding and before
/// resampling); `limit` names that limit in messages ("sound-memory", say).
pub fn read<R: symphonia::core::io::MediaSource + 'static>(
    mut file: R,
    name: &str,
    target_rate: f64,
    max_bytes: usize,
    limit: &str,
) -> Result<Sound, SoundFileError> {
    let max_bytes = max_bytes.min(MAX_SOUND_BYTES);
    let named = |problem: FileProblem| SoundFileError { name: name.to_string(), problem };
    let failed = |e: &dyn std::fmt::Display| named(FileProblem::Failed(e.to_string()));
    let too_big = |bytes: f64| named(FileProblem::TooBig { bytes, target_rate, limit: limit.to_string(), max_bytes });
    // The rate in the header, before symphonia sees it (it panics on 0 Hz).
    let mut header = Vec::with_capacity(HEADER_BYTES);
    (&mut file).take(HEADER_BYTES as u64).read_to_end(&mut header).map_err(|e| failed(&e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| failed(&e))?;
    if let Some(rate) = header_rate(&header) {
        check_rate(rate).map_err(named)?;
    }
    let patches = flac_metadata_patches(&mut file).map_err(|e| failed(&e))?;
    let stream = MediaSourceStream::new(Box::new(Patched { inner: file, at: 0, patches }), Default::default());
    let mut format = format_reader(&header, stream)
        .ok_or_else(|| named(FileProblem::UnknownFormat))?
        .map_err(|e| named(FileProblem::Unreadable(e.to_string())))?;
    let track = format.default_track().ok_or_else(|| named(FileProblem::NoTrack))?;
    let track_id = track.id;
    let rate = track.codec_params.sample_rate.ok_or_else(|| named(FileProblem::UnknownRate))?;
    check_rate(rate).map_err(named)?;
    let rate = rate as f64;
    // What the header announces, refused before decoding anything.
    let mut announced_samples = 0;
    if let (Some(frames), Some(channels)) = (track.codec_params.n_frames, track.codec_params.channels) {
        let announced = frames.saturating_mul(channels.count() as u64);
        announced_samples = announced.min((max_bytes / SAMPLE_BYTES) as u64) as usize;
        if bytes_at_rate(announced.min(usize::MAX as u64) as usize, rate, target_rate) > max_bytes as f64 {
            return Err(too_big(bytes_at_rate(announced as usize, rate, target_rate)));
        }
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| failed(&e))?;
    // (Reserved once: growing by doubling would briefly hold twice the file.)
    let mut data = Vec::with_capacity(announced_samples);
    let mut channels = track.codec_params.channels.map_or(0, |c| c.count());
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(failed(&e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = decoder.decode(&packet).map_err(|e| failed(&e))?;
        let spec = *decoded.spec();
        channels = spec.channels.count();
        let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        buffer.copy_interleaved_ref(decoded);
        let samples = data.len() + buffer.samples().len();
        // The decoded file itself, and what it becomes at Pd's rate.
        let at_pd_rate = bytes_at_rate(samples, rate, target_rate);
        if samples * SAMPLE_BYTES > max_bytes || at_pd_rate > max_bytes as f64 {
            return Err(too_big(at_pd_rate.max((samples * SAMPLE_BYTES) as f64)));
        }
        data.extend_from_slice(buffer.samples());
    }
    if channels == 0 {
        return Err(named(FileProblem::NoChannels));
    }
    resample(Sound { channels, data }, rate, target_rate, max_bytes)
        .map_err(|e| named(FileProblem::Conversion(e.to_string())))
}

/// FLAC metadata blocks the decoder may read: stream info, padding, seek table.
/// The others (pictures, comments, cue sheets, application data) are not
/// needed to play the file, and symphonia allocates what their inner length
/// fields say before reading them (a 77-byte file asked for 3 GB: found by
/// `cargo fuzz run sound_file`). They are shown to it as padding, which it skips.
const FLAC_KEPT_BLOCKS: [u8; 3] = [0, 1, 3];
const FLAC_PADDING: u8 = 1;
/// Metadata blocks walked at most (a real file has a handful).
const MAX_FLAC_BLOCKS: usize = 4096;

/// (offset, new byte) for each FLAC metadata block header to show as padding.
fn flac_metadata_patches<R: Read + std::io::Seek>(file: &mut R) -> std::io::Result<Vec<(u64, u8)>> {
    let mut patches = Vec::new();
    let mut magic = [0u8; 4];
    let is_flac = file.read_exact(&mut magic).is_ok() && &magic == b"fLaC";
    let mut at = 4u64;
    while is_flac && patches.len() < MAX_FLAC_BLOCKS {
        let mut head = [0u8; 4];
        file.seek(SeekFrom::Start(at))?;
        if file.read_exact(&mut head).is_err() {
            break;
        }
        let (last, kind) = (head[0] & 0x80, head[0] & 0x7f);
        if !FLAC_KEPT_BLOCKS.contains(&kind) {
            patches.push((at, last | FLAC_PADDING));
        }
        at += 4 + u64::from(u32::from_be_bytes([0, head[1], head[2], head[3]]));
        if last != 0 {
            break;
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(patches)
}

/// The file as the decoder sees it: some bytes replaced (`flac_metadata_patches`).
struct Patched<R> {
    inner: R,
    at: u64,
    patches: Vec<(u64, u8)>,
}

impl<R: Read> Read for Patched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &(offset, byte) in &self.patches {
            if let Some(i) = offset.checked_sub(self.at).filter(|&i| i < n as u64) {
                buf[i as usize] = byte;
            }
        }
        self.at += n as u64;
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for Patched<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.at = self.inner.seek(to)?;
        Ok(self.at)
    }
}

impl<R: symphonia::core::io::MediaSource> symphonia::core::io::MediaSource for Patched<R> {
    fn is_seekable(&self) -> bool {
        self.inner.is_seekable()
    }
    fn byte_len(&self) -> Option<u64> {
        self.inner.byte_len()
    }
}

/// A sound file that cannot be read (`name` as the messages show it).
#[derive(Clone, Debug, PartialEq)]
pub struct SoundFileError {
    pub name: String,
    pub problem: FileProblem,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FileProblem {
    /// Reading or decoding failed: the reader's or decoder's reason.
    Failed(String),
    /// The first bytes are not RIFF, FORM or fLaC.
    UnknownFormat,
    /// The format's reader refused it: its reason.
    Unreadable(String),
    NoTrack,
    UnknownRate,
    /// A file rate outside `MIN_FILE_RATE_HZ..=MAX_FILE_RATE_HZ`.
    Rate(u32),
    /// `bytes` at Pd's `target_rate`: more than `max_bytes`, the limit `limit` names.
    TooBig {
        bytes: f64,
        target_rate: f64,
        limit: String,
        max_bytes: usize,
    },
    NoChannels,
    /// Converting to Pd's rate failed: its reason.
    Conversion(String),
}

impl std::fmt::Display for SoundFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let name = &self.name;
        match &self.problem {
            FileProblem::Failed(e) | FileProblem::Conversion(e) => write!(f, "{name}: {e}"),
            FileProblem::UnknownFormat => write!(f, "{name}: not a WAV, AIFF or FLAC file"),
            FileProblem::Unreadable(e) => write!(f, "{name}: not a readable WAV/AIFF/FLAC file ({e})"),
            FileProblem::NoTrack => write!(f, "{name}: no audio track"),
            FileProblem::UnknownRate => write!(f, "{name}: unknown sample rate"),
            FileProblem::Rate(rate) => {
                write!(f, "{name}: sample rate {rate} Hz (fsync~ reads {MIN_FILE_RATE_HZ}..{MAX_FILE_RATE_HZ} Hz)")
            }
            FileProblem::TooBig { bytes, target_rate, limit, max_bytes } => write!(
                f,
                "{name}: {} at Pd's rate of {target_rate} Hz: more than {limit} ({})",
                mib(*bytes),
                mib(*max_bytes as f64)
            ),
            FileProblem::NoChannels => write!(f, "{name}: no channels"),
        }
    }
}

fn check_rate(rate: u32) -> Result<(), FileProblem> {
    if (MIN_FILE_RATE_HZ..=MAX_FILE_RATE_HZ).contains(&rate) { Ok(()) } else { Err(FileProblem::Rate(rate)) }
}

/// Bytes read to find the rate in a header (chunks before `fmt `/`COMM` included).
const HEADER_BYTES: usize = 4096;

/// The sample rate in a WAV (`fmt ` chunk) or AIFF (`COMM` chunk) header, if
/// `header` holds one.
pub fn header_rate(header: &[u8]) -> Option<u32> {
    let (little_endian, wanted, first_chunk) = match header.get(0..12)? {
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E'] => (true, b"fmt ", 12),
        [b'F', b'O', b'R', b'M', _, _, _, _, b'A', b'I', b'F', _] => (false, b"COMM", 12),
        _ => return None,
    };
    let mut at = first_chunk;
    while let Some(head) = header.get(at..at + 8) {
        let size = head[4..8]
            .try_into()
            .ok()
            .map(|b| if little_endian { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })?
            as usize;
        if &head[0..4] == wanted {
            let body = header.get(at + 8..)?;
            return if little_endian {
                // fmt: format u16, channels u16, rate u32.
                Some(u32::from_le_bytes(body.get(4..8)?.try_into().ok()?))
            } else {
                // COMM: channels u16, frames u32, size u16, rate as 80-bit extended,
                // turned into u32 as the AIFF reader does (through f64, saturating:
                // negative or NaN is 0).
                let sign_and_exponent = u16::from_be_bytes(body.get(8..10)?.try_into().ok()?);
                let mantissa = u64::from_be_bytes(body.get(10..18)?.try_into().ok()?);
                let magnitude = mantissa as f64 * 2f64.powi(i32::from(sign_and_exponent & 0x7fff) - 16383 - 63);
                let value = if sign_and_exponent & 0x8000 != 0 { -magnitude } else { magnitude };
                Some(value as u32)
            };
        }
        at = at.checked_add(8 + size + (size & 1))?;
    }
    None
}

/// `sound` at `from` Hz converted to `to` Hz, band-limited (`rate_conversion`);
/// refused before allocating when the result would take more than `max_bytes`.
pub fn resample(sound: Sound, from: f64, to: f64, max_bytes: usize) -> Result<Sound, RateConversionError> {
    if from == to || sound.data.is_empty() {
        return Ok(sound);
    }
    let data = rate_conversion::convert(&sound.data, sound.channels, from, to, max_bytes)?;
    Ok(Sound { channels: sound.channels, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_length_ratio_and_channels() {
        let s = Sound { channels: 2, data: vec![0.0, 10.0, 1.0, 11.0, 2.0, 12.0, 3.0, 13.0] };
        let up = resample(s.clone(), 24000.0, 48000.0, MAX_SOUND_BYTES).unwrap();
        assert_eq!((up.frames(), up.channels), (8, 2));
        assert_eq!(resample(s.clone(), 48000.0, 48000.0, MAX_SOUND_BYTES).unwrap(), s);
        // 8 frames × 2 channels × 4 bytes = 64 bytes at 48 kHz: refused under 64.
        assert!(matches!(resample(s.clone(), 24000.0, 48000.0, 63), Err(RateConversionError::TooBig { .. })));
        assert!(resample(s, 24000.0, 48000.0, 64).is_ok());
    }

    /// A file at 44.1 kHz read at 48 kHz: band-limited (rate_conversion's tests
    /// measure it), its click where it was.
    #[test]
    fn files_are_converted_band_limited_with_onsets_in_place() {
        let mut samples = vec![0i16; 4410];
        samples[1000] = 16384;
        let sound = read_bytes(wav(44100, 1, &samples), MAX_SOUND_BYTES).unwrap();
        assert_eq!(sound.frames(), 4800);
        let loudest =
            sound.data.iter().enumerate().fold((0, 0.0f32), |m, (i, v)| if v.abs() > m.1 { (i, v.abs()) } else { m });
        assert_eq!(loudest.0, 1088, "1000 · 48000/44100 = 1088.4");
        // A band-limited click rings (linear interpolation would leave 2 samples).
        assert!(sound.data.iter().filter(|v| v.abs() > 1e-4).count() > 20);
    }

    /// A 16-bit PCM WAV header and data.
    pub fn wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut w = Vec::new();
        w.extend_from_slice(b"RIFF");
        w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        w.extend_from_slice(b"WAVEfmt ");
        w.extend_from_slice(&16u32.to_le_bytes());
        w.extend_from_slice(&1u16.to_le_bytes());
        w.extend_from_slice(&channels.to_le_bytes());
        w.extend_from_slice(&rate.to_le_bytes());
        w.extend_from_slice(&(rate.wrapping_mul(channels as u32 * 2)).to_le_bytes());
        w.extend_from_slice(&(channels * 2).to_le_bytes());
        w.extend_from_slice(&16u16.to_le_bytes());
        w.extend_from_slice(b"data");
        w.extend_from_slice(&(data.len() as u32).to_le_bytes());
        w.extend_from_slice(&data);
        w
    }

    fn read_bytes(bytes: Vec<u8>, max_bytes: usize) -> Result<Sound, SoundFileError> {
        read(std::io::Cursor::new(bytes), "t.wav", 48000.0, max_bytes, "the test's limit")
    }

    #[test]
    fn rates_outside_the_range_are_refused_before_decoding() {
        assert_eq!(read_bytes(wav(24000, 1, &[100; 10]), MAX_SOUND_BYTES).unwrap().frames(), 20);
        // 0 Hz: symphonia's decoder panics on it; 1 Hz: 2 s of mono would be 96000 frames.
        for rate in [0, 1, 999, 768_001] {
            let e =
                std::panic::catch_unwind(|| read_bytes(wav(rate, 1, &[100; 10]), MAX_SOUND_BYTES)).expect("no panic");
            assert_eq!(e.unwrap_err().problem, FileProblem::Rate(rate), "{rate} Hz");
        }
    }

    /// A FLAC picture block whose inner length says 3 GB (found by the fuzzer):
    /// refused or read, never allocated.
    #[test]
    fn flac_metadata_lengths_are_not_trusted() {
        let mut flac = b"fLaC".to_vec();
        // STREAMINFO (34 bytes): 4096-sample blocks, 48 kHz, mono, 16 bit, 0 samples.
        flac.extend_from_slice(&[0x00, 0, 0, 34]);
        flac.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
        flac.extend_from_slice(&[0x0b, 0xb8, 0x00, 0xf0, 0, 0, 0, 0]);
        flac.extend_from_slice(&[0; 16]);
        // Last block: PICTURE, 16 bytes long, whose media-type length says 0xC0000000.
        flac.extend_from_slice(&[0x86, 0, 0, 16, 0, 0, 0, 3, 0xC0, 0, 0, 0]);
        flac.extend_from_slice(&[0; 8]);
        let patches = flac_metadata_patches(&mut std::io::Cursor::new(&flac)).unwrap();
        assert_eq!(patches, vec![(42, 0x81)]);
        let mut patched = Patched { inner: std::io::Cursor::new(flac.clone()), at: 0, patches };
        let mut seen = Vec::new();
        patched.read_to_end(&mut seen).unwrap();
        assert_eq!((seen[42], seen.len()), (0x81, flac.len()));
        // Read as a whole: an answer (here: no samples), not an allocation of 3 GB.
        let _ = read(std::io::Cursor::new(flac), "p.flac", 48000.0, MAX_SOUND_BYTES, "-");
    }

    #[test]
    fn header_rates() {
        assert_eq!(header_rate(&wav(44100, 2, &[0; 4])), Some(44100));
        assert_eq!(header_rate(&wav(0, 1, &[])), Some(0));
        assert_eq!(header_rate(b"RIFF"), None);
        // AIFF COMM: 48000 Hz as 80-bit extended (exponent 16383+15, mantissa 48000 << 48).
        let mut aiff = b"FORM\0\0\0\x2eAIFFCOMM\0\0\0\x12\0\x01\0\0\0\0\0\x10".to_vec();
        aiff.extend_from_slice(&(16383u16 + 15).to_be_bytes());
        aiff.extend_from_slice(&(48000u64 << 48).to_be_bytes());
        assert_eq!(header_rate(&aiff), Some(48000));
        // The same rate negative (sign bit): 0 Hz to the reader (found by the fuzzer).
        aiff[28] |= 0x80;
        assert_eq!(header_rate(&aiff), Some(0));
    }

    #[test]
    fn size_at_pd_rate_is_checked_before_resampling() {
        // 1000 frames at 1 kHz = 48000 frames at 48 kHz = 192000 bytes.
        assert!(read_bytes(wav(1000, 1, &[100; 1000]), 192_000).is_ok());
        let e = read_bytes(wav(1000, 1, &[100; 1000]), 191_999).unwrap_err();
        assert!(matches!(e.problem, FileProblem::TooBig { max_bytes: 191_999, .. }), "{e}");
        assert_eq!(e.to_string(), "t.wav: 0.2 MiB at Pd's rate of 48000 Hz: more than the test's limit (0.2 MiB)");
    }

    #[test]
    fn unreadable_files_are_errors_not_panics() {
        let dir = std::env::temp_dir().join(format!("fsync-sf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.wav");
        std::fs::write(&junk, b"RIFF\x10\0\0\0WAVEjunkjunk").unwrap();
        assert!(read(std::fs::File::open(&junk).unwrap(), "junk.wav", 48000.0, MAX_SOUND_BYTES, "-").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
