//! Sounds owned by the object (`load`, `/load`), found by name like Pd arrays.
//! Changed only in Pd's thread between blocks; read by the perform routine.

use crate::core::limits::MAX_CHANNELS;
use crate::core::load::sound_file::Sound;

pub const MAX_SOUNDS: usize = 256;

/// A sound with more channels than fsync~ plays (or none): how many it has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelCountError(pub usize);

impl std::fmt::Display for ChannelCountError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} channels (fsync~ plays 1 to {MAX_CHANNELS})", self.0)
    }
}

/// A sound with its channels one after another (planar), so each channel is
/// one contiguous slice for the voices.
#[derive(Debug, PartialEq)]
pub struct PlanarSound {
    channels: usize,
    data: Vec<f32>,
}

impl PlanarSound {
    /// From a file's interleaved frames (worker thread: this copies the sound).
    pub fn from_interleaved(sound: &Sound) -> Result<PlanarSound, ChannelCountError> {
        let channels = sound.channels;
        if !(1..=MAX_CHANNELS).contains(&channels) {
            return Err(ChannelCountError(channels));
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

    /// As `from_interleaved`, consuming the sound: a mono sound is moved, not
    /// copied, and the interleaved copy is freed as soon as the planar one is made
    /// (a big file's peak memory on the worker is two copies, not three).
    pub fn from_sound(sound: Sound) -> Result<PlanarSound, ChannelCountError> {
        if sound.channels == 1 {
            return Ok(PlanarSound { channels: 1, data: sound.data });
        }
        PlanarSound::from_interleaved(&sound)
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn frames(&self) -> usize {
        self.data.len() / self.channels
    }

    /// Memory the samples take.
    pub fn bytes(&self) -> usize {
        std::mem::size_of_val(&self.data[..])
    }

    pub fn channel(&self, c: usize) -> &[f32] {
        let frames = self.frames();
        &self.data[c * frames..(c + 1) * frames]
    }
}

#[derive(Debug)]
pub struct SoundBank<K> {
    sounds: Vec<(K, PlanarSound)>,
    bytes: usize,
}

impl<K> Default for SoundBank<K> {
    fn default() -> Self {
        SoundBank { sounds: Vec::new(), bytes: 0 }
    }
}

/// A sound the bank did not take, given back (to be freed off Pd's thread).
#[derive(Debug)]
pub struct Refused {
    pub reason: BankRefusal,
    pub sound: PlanarSound,
}

/// Why the bank did not take a sound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BankRefusal {
    /// The sound's bytes would make all sounds take `total`, more than `max_bytes` (sound-memory).
    OverMemory { sound_bytes: usize, total: usize, max_bytes: usize },
    /// `MAX_SOUNDS` names are taken.
    Full,
}

impl std::fmt::Display for BankRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match *self {
            BankRefusal::OverMemory { sound_bytes, total, max_bytes } => write!(
                f,
                "{} would make the object's sounds take {} (sound-memory is {}; free some or raise it)",
                mib(sound_bytes),
                mib(total),
                mib(max_bytes)
            ),
            BankRefusal::Full => write!(f, "already {MAX_SOUNDS} sounds loaded"),
        }
    }
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

impl<K: Copy + PartialEq> SoundBank<K> {
    /// Adds or replaces, if all sounds together then take at most `max_bytes`;
    /// refuses a new name when the bank is full. Returns the sound it replaced:
    /// big buffers are the caller's to free where it is cheap.
    pub fn insert(&mut self, key: K, sound: PlanarSound, max_bytes: usize) -> Result<Option<PlanarSound>, Refused> {
        let index = self.sounds.iter().position(|(k, _)| *k == key);
        let replaced_bytes = index.map_or(0, |i| self.sounds[i].1.bytes());
        let total = self.bytes - replaced_bytes + sound.bytes();
        if total > max_bytes {
            let reason = BankRefusal::OverMemory { sound_bytes: sound.bytes(), total, max_bytes };
            return Err(Refused { reason, sound });
        }
        if let Some(i) = index {
            self.bytes = total;
            return Ok(Some(std::mem::replace(&mut self.sounds[i].1, sound)));
        }
        if self.sounds.len() >= MAX_SOUNDS {
            return Err(Refused { reason: BankRefusal::Full, sound });
        }
        self.bytes = total;
        self.sounds.push((key, sound));
        Ok(None)
    }

    /// Memory all sounds take.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Memory the sound named `key` takes (0 if none).
    pub fn bytes_of(&self, key: K) -> usize {
        self.get(key).map_or(0, PlanarSound::bytes)
    }

    /// Empties the bank, giving its sounds back (to be freed off Pd's thread).
    pub fn take_all(&mut self) -> Vec<PlanarSound> {
        self.bytes = 0;
        std::mem::take(&mut self.sounds).into_iter().map(|(_, s)| s).collect()
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
        assert_eq!(PlanarSound::from_sound(Sound { channels: 2, data: vec![1.0, 3.0, -1.0, 1.0] }).unwrap(), s);
        assert_eq!(
            PlanarSound::from_sound(Sound { channels: 1, data: vec![2.0, 4.0] }).unwrap().channel(0),
            &[2.0, 4.0]
        );
        assert!(PlanarSound::from_interleaved(&Sound { channels: MAX_CHANNELS + 1, data: vec![] }).is_err());
    }

    #[test]
    fn insert_and_replace() {
        let mut bank = SoundBank::default();
        assert!(bank.insert("a", stereo(), usize::MAX).unwrap().is_none());
        let mono = PlanarSound::from_interleaved(&Sound { channels: 1, data: vec![3.0] }).unwrap();
        assert_eq!(bank.insert("a", mono, usize::MAX).unwrap(), Some(stereo()), "the replaced sound is given back");
        assert_eq!(bank.get("a").unwrap().channel(0), &[3.0]);
        assert!(bank.get("b").is_none());
        assert_eq!(bank.bytes(), 4);
        assert_eq!(bank.take_all().len(), 1);
        assert_eq!((bank.bytes(), bank.len()), (0, 0));
    }

    /// One sound under many names is bounded by bytes, not only by count.
    #[test]
    fn total_memory_is_bounded() {
        let mut bank = SoundBank::default();
        let cap = 10 * stereo().bytes(); // 160 bytes
        for name in 0..10 {
            bank.insert(name, stereo(), cap).unwrap();
        }
        let refused = bank.insert(10, stereo(), cap).unwrap_err();
        assert_eq!(refused.reason, BankRefusal::OverMemory { sound_bytes: 16, total: 176, max_bytes: 160 });
        assert!(refused.reason.to_string().contains("sound-memory"), "{}", refused.reason);
        assert_eq!(refused.sound, stereo(), "the refused sound is given back");
        // Replacing within the cap still works: the old sound's bytes are freed.
        assert!(bank.insert(3, stereo(), cap).unwrap().is_some());
        assert_eq!(bank.bytes(), cap);
    }
}
