//! Sounds owned by the object (`load`, `/load`), found by name like Pd arrays.
//! Changed only in Pd's thread between blocks; read by the perform routine.

use super::samples::SampleView;
use super::sound_file::Sound;

pub const MAX_SOUNDS: usize = 256;

#[derive(Debug)]
pub struct SoundBank<K> {
    sounds: Vec<(K, Vec<f32>)>,
}

impl<K> Default for SoundBank<K> {
    fn default() -> Self {
        SoundBank { sounds: Vec::new() }
    }
}

/// A loaded sound as the voices read it (mono: the object has one outlet).
#[derive(Clone, Copy, Debug)]
pub struct BufferView<'a>(pub &'a [f32]);

impl SampleView for BufferView<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn at(&self, index: usize) -> f32 {
        self.0[index]
    }
    fn mix_into(&self, from: usize, out: &mut [f32], gain: f32) {
        self.0.mix_into(from, out, gain);
    }
}

/// Several channels become one: their mean, so a stereo file keeps its level.
pub fn mixdown(sound: &Sound) -> Vec<f32> {
    let c = sound.channels.max(1);
    sound.data.chunks_exact(c).map(|frame| frame.iter().sum::<f32>() / c as f32).collect()
}

impl<K: Copy + PartialEq> SoundBank<K> {
    /// Adds or replaces; refuses a new name when the bank is full.
    pub fn insert(&mut self, key: K, samples: Vec<f32>) -> Result<(), String> {
        if let Some(entry) = self.sounds.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = samples; // the old buffer is dropped here, in Pd's thread
            return Ok(());
        }
        if self.sounds.len() >= MAX_SOUNDS {
            return Err(format!("already {MAX_SOUNDS} sounds loaded"));
        }
        self.sounds.push((key, samples));
        Ok(())
    }

    pub fn get(&self, key: K) -> Option<BufferView<'_>> {
        self.sounds.iter().find(|(k, _)| *k == key).map(|(_, s)| BufferView(s))
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

    #[test]
    fn insert_replace_and_mixdown() {
        let mut bank = SoundBank::default();
        bank.insert("a", vec![1.0, 2.0]).unwrap();
        bank.insert("a", vec![3.0]).unwrap();
        assert_eq!(bank.get("a").unwrap().0, &[3.0]);
        assert!(bank.get("b").is_none());
        assert_eq!(mixdown(&Sound { channels: 2, data: vec![1.0, 3.0, -1.0, 1.0] }), vec![2.0, 0.0]);
    }
}
