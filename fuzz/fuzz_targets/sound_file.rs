//! libFuzzer over the loader's decoding path: sound-file headers and data
//! (WAV, AIFF, FLAC) read as the worker reads them, and converted to 48 kHz
//! (`rate_conversion`) when the file's rate differs. Pd must survive anything:
//! no abort, no allocation past the cap (libFuzzer's malloc limit), no endless
//! loop. A panic inside the decoder is caught by the worker (it answers
//! `error load`), so it is caught here too (libFuzzer's hook, which turns
//! every panic into an abort, is replaced by a silent one); what is returned
//! must respect the cap.
#![no_main]

use fsync::core::play::sound_bank::PlanarSound;
use fsync::core::load::sound_file;
use libfuzzer_sys::fuzz_target;

const CAP_BYTES: usize = 8 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let bytes = data.to_vec();
    let read = std::panic::catch_unwind(move || {
        sound_file::read(std::io::Cursor::new(bytes), "fuzz", 48000.0, CAP_BYTES, "the fuzz cap").ok().and_then(|s| PlanarSound::from_sound(s).ok())
    });
    // (Not assert!: the silent hook would hide its message.)
    if let Ok(Some(sound)) = read
        && (sound.bytes() > CAP_BYTES || !(1..=64).contains(&sound.channels()))
    {
        eprintln!("read {} bytes, {} channels: past the cap of {CAP_BYTES} bytes or 1..64 channels", sound.bytes(), sound.channels());
        std::process::abort();
    }
});
