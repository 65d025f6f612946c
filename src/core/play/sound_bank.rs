//! Sounds owned by the object (`load`, `/load`), found by name like Pd arrays.
//! Changed only in Pd's thread between blocks; read by the perform routine.

use crate::core::limits::MAX_CHANNELS;
use crate::core::load::sound_file::Sound;

pub const MAX_SOUNDS: usize = 256;

/// A sound with its channels one after another (planar), so each channel is
/// one contiguous slice for the voices.
#[derive(Debug, PartialEq)]
pub struct PlanarSound {
    channels: usize,
    data: Vec<f32>,
}

impl PlanarSound {
    /// From a file's interleaved frames (worker thread: this copies the sound).
    pub fn from_interleaved(sound: &Sound) -> Result<PlanarSound, String> {
        let channels = sound.channels;
        if !(1..=MAX_CHANNELS).contains(&channels) {
            return Err(format!("{channels} channels (fsync~ plays 1 to {MAX_CHANNELS})"));
        }
        let frames = sound.frames();
        let mut data = vec![0.0; frames * channels];
        for (f, frame) in sound.data.chunks_exact(channels).enumerate() {
            for (c, &x) in frame.iter().enumerate() {
                data[c * frames + f] = x;
            }
        }
        Ok(PlanarSound { channels, data })
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn frames(&self) -> usize {
        self.data.len() / self.channels
    }

    pub fn channel(&self, c: usize) -> &[f32] {
        let frames = self.frames();
        &self.data[c * frames..(c + 1) * frames]
    }
}

#[derive(Debug)]
pub struct SoundBank<K> {
    sounds: Vec<(K, PlanarSound)>,
}

impl<K> Default for SoundBank<K> {
    fn default() -> Self {
        SoundBank { sounds: Vec::new() }
    }
}

impl<K: Copy + PartialEq> SoundBank<K> {
    /// Adds or replaces; refuses a new name when the bank is full.
    pub fn insert(&mut self, key: K, sound: PlanarSound) -> Result<(), String> {
        if let Some(entry) = self.sounds.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = sound; // the old buffer is dropped here, in Pd's thread
            return Ok(());
        }
        if self.sounds.len() >= MAX_SOUNDS {
            return Err(format!("already {MAX_SOUNDS} sounds loaded"));
        }
        self.sounds.push((key, sound));
        Ok(())
    }

    pub fn get(&self, key: K) -> Option<&PlanarSound> {
        self.sounds.iter().find(|(k, _)| *k == key).map(|(_, s)| s)
    }

    pub fn len(&self) -> usize {
        self.sounds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sounds.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stereo() -> PlanarSound {
        PlanarSound::from_interleaved(&Sound { channels: 2, data: vec![1.0, 3.0, -1.0, 1.0] }).unwrap()
    }

    #[test]
    fn planar_channels() {
        let s = stereo();
        assert_eq!((s.channels(), s.frames()), (2, 2));
        assert_eq!((s.channel(0), s.channel(1)), (&[1.0, -1.0][..], &[3.0, 1.0][..]));
        assert!(PlanarSound::from_interleaved(&Sound { channels: 0, data: vec![] }).is_err());
        assert!(PlanarSound::from_interleaved(&Sound { channels: MAX_CHANNELS + 1, data: vec![] }).is_err());
    }

    #[test]
    fn insert_and_replace() {
        let mut bank = SoundBank::default();
        bank.insert("a", stereo()).unwrap();
        let mono = PlanarSound::from_interleaved(&Sound { channels: 1, data: vec![3.0] }).unwrap();
        bank.insert("a", mono).unwrap();
        assert_eq!(bank.get("a").unwrap().channel(0), &[3.0]);
        assert!(bank.get("b").is_none());
    }
}
