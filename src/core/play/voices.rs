//! A fixed pool of voices, each playing one array from a position, mixed into
//! the output. Rendering never allocates.

use crate::core::report::{Report, ReportRing};
use super::samples::{Channels, SampleStore, SampleView};
use crate::core::settings::JOIN_OR_PLAY_RATIO;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Voice<K> {
    pub array: K,
    pub position: usize,
    pub gain: f32,
    /// Start order, to find the oldest voice when all are busy.
    serial: u64,
    /// Late by this many samples under `-late join-or-play`: joined (skipped) if the
    /// sound is long enough, which is known once its length is looked up in `render`.
    join_if_long: usize,
}

#[derive(Debug)]
pub struct VoicePool<K> {
    slots: Vec<Option<Voice<K>>>,
    next_serial: u64,
}

impl<K: Copy + PartialEq> VoicePool<K> {
    pub fn new(count: usize) -> Self {
        VoicePool { slots: vec![None; count.max(1)], next_serial: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub fn active(&self) -> impl Iterator<Item = &Voice<K>> {
        self.slots.iter().flatten()
    }

    /// Starts a voice; when all are busy the oldest is replaced and reported.
    pub fn start(&mut self, array: K, position: usize, gain: f32, reports: &mut ReportRing<K>) {
        self.start_joining_if_long(array, position, 0, gain, reports);
    }

    /// Starts a voice `late` samples late: it skips them if at most a tenth of the
    /// sound from `position` would be lost (in step with the other sites), else it
    /// plays from `position` (a short sound is still heard whole).
    pub fn start_joining_if_long(&mut self, array: K, position: usize, late: usize, gain: f32, reports: &mut ReportRing<K>) {
        let voice = Voice { array, position, gain, serial: self.next_serial, join_if_long: late };
        self.next_serial += 1;
        let slot = match self.slots.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                let oldest = (0..self.slots.len()).min_by_key(|&i| self.slots[i].map_or(0, |v| v.serial)).unwrap_or(0);
                if let Some(old) = self.slots[oldest] {
                    reports.push(Report::Stolen { array: old.array });
                }
                oldest
            }
        };
        self.slots[slot] = Some(voice);
    }

    /// Stops every voice, or those playing `array`.
    pub fn stop(&mut self, array: Option<K>) {
        for slot in &mut self.slots {
            if slot.is_some_and(|v| array.is_none_or(|a| a == v.array)) {
                *slot = None;
            }
        }
    }

    /// Adds every voice's next `range.len()` frames into `outs[..][range]`
    /// (one slice per outlet, all the same length).
    pub fn render<S: SampleStore<K>>(&mut self, store: &S, outs: &mut [&mut [f32]], range: Range<usize>, master_gain: f32, reports: &mut ReportRing<K>) {
        if outs.is_empty() || range.is_empty() || self.slots.iter().all(Option::is_none) {
            return;
        }
        // Voices often share a sound: look each up once per call, not once per voice.
        let mut sound = Channels::new();
        let mut found: Option<(K, Option<usize>)> = None; // key and its length, if present
        for slot in &mut self.slots {
            let Some(voice) = slot else { continue };
            let frames = match found {
                Some((key, frames)) if key == voice.array => frames,
                _ => {
                    let frames = store.find(voice.array, &mut sound).then(|| sound.frames());
                    found = Some((voice.array, frames));
                    frames
                }
            };
            let Some(len) = frames else {
                reports.push(Report::Missing { array: voice.array });
                *slot = None;
                continue;
            };
            if voice.join_if_long > 0 {
                if voice.join_if_long.saturating_mul(JOIN_OR_PLAY_RATIO) <= len.saturating_sub(voice.position) {
                    voice.position += voice.join_if_long;
                }
                voice.join_if_long = 0;
            }
            let count = range.len().min(len.saturating_sub(voice.position));
            if count > 0 {
                // (A voice can start past the end: an offset or a late join beyond it.)
                let frames = range.start..range.start + count;
                mix_channels(&sound, voice.position, outs, frames, voice.gain * master_gain);
            }
            voice.position += count;
            if voice.position >= len {
                reports.push(Report::Done { array: voice.array });
                *slot = None;
            }
        }
    }
}

/// Adds `sound` from `position` into `outs[..][frames]` (`frames` within the
/// sound's length). Channels wrap: outlet k plays channel k mod C of a
/// C-channel sound (a mono sound plays on every outlet); with more channels
/// than outlets N, outlet k plays the mean of channels k, k+N, k+2N… (so one
/// outlet hears all of a stereo file).
fn mix_channels<V: SampleView>(sound: &Channels<V>, position: usize, outs: &mut [&mut [f32]], frames: Range<usize>, gain: f32) {
    let (c, n) = (sound.count(), outs.len());
    if c == 1 {
        // The common case, a mono array: its one channel spans the whole sound.
        if let Some(view) = sound.get(0) {
            for out in outs.iter_mut() {
                view.mix_into(position, &mut out[frames.clone()], gain);
            }
        }
        return;
    }
    for (k, out) in outs.iter_mut().enumerate() {
        let out = &mut out[frames.clone()];
        if c <= n {
            mix_channel(sound.get(k % c), position, out, gain);
        } else {
            let folded = (c - k).div_ceil(n);
            for channel in (k..c).step_by(n) {
                mix_channel(sound.get(channel), position, out, gain / folded as f32);
            }
        }
    }
}

/// One channel into one outlet; a channel shorter than its sound falls silent at its end.
fn mix_channel<V: SampleView>(view: Option<&V>, position: usize, out: &mut [f32], gain: f32) {
    let Some(view) = view else { return };
    let count = out.len().min(view.len().saturating_sub(position));
    if count > 0 {
        view.mix_into(position, &mut out[..count], gain);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::play::samples::VecStore;

    fn store() -> VecStore {
        VecStore::with_arrays(vec![("a", vec![1.0, 2.0, 3.0]), ("b", vec![10.0; 8])])
    }

    fn render_mono(pool: &mut VoicePool<&'static str>, s: &VecStore, out: &mut [f32], gain: f32, r: &mut ReportRing<&'static str>) {
        let n = out.len();
        pool.render(s, &mut [out], 0..n, gain, r);
    }

    /// Renders `frames` frames of one voice playing `name` into `outlets` outlets.
    fn render_channels(s: &VecStore, name: &'static str, outlets: usize, frames: usize) -> (Vec<Vec<f32>>, Vec<Report<&'static str>>) {
        let (mut pool, mut r) = (VoicePool::new(1), ReportRing::new());
        pool.start(name, 0, 1.0, &mut r);
        let mut outs = vec![vec![0.0; frames]; outlets];
        let mut slices: Vec<&mut [f32]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
        pool.render(s, &mut slices, 0..frames, 1.0, &mut r);
        (outs, r.drain().0)
    }

    fn with_sound(channels: usize, interleaved: Vec<f32>) -> VecStore {
        let mut s = store();
        let sound = crate::core::load::sound_file::Sound { channels, data: interleaved };
        s.bank.insert("file", crate::core::play::sound_bank::PlanarSound::from_interleaved(&sound).unwrap(), usize::MAX).unwrap();
        s
    }

    #[test]
    fn plays_then_reports_done() {
        let (s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(2);
        pool.start("a", 0, 1.0, &mut r);
        let mut out = [0.0; 5];
        render_mono(&mut pool, &s, &mut out, 0.5, &mut r);
        assert_eq!(out, [0.5, 1.0, 1.5, 0.0, 0.0]);
        assert_eq!(r.drain().0, vec![Report::Done { array: "a" }]);
        assert_eq!(pool.active().count(), 0);
    }

    #[test]
    fn steals_the_oldest() {
        let (s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(2);
        pool.start("a", 0, 1.0, &mut r);
        pool.start("b", 0, 1.0, &mut r);
        pool.start("b", 4, 1.0, &mut r);
        assert_eq!(r.drain().0, vec![Report::Stolen { array: "a" }]);
        let mut out = [0.0; 2];
        render_mono(&mut pool, &s, &mut out, 1.0, &mut r);
        assert_eq!(out, [20.0, 20.0]);
    }

    #[test]
    fn vanished_array_ends_the_voice() {
        let (mut s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(1);
        pool.start("a", 0, 1.0, &mut r);
        s.arrays.clear();
        let mut out = [0.0; 2];
        render_mono(&mut pool, &s, &mut out, 1.0, &mut r);
        assert_eq!(out, [0.0, 0.0]);
        assert_eq!(r.drain().0, vec![Report::Missing { array: "a" }]);
    }

    #[test]
    fn starting_past_the_end_is_just_done() {
        let (s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(1);
        pool.start("a", 10, 1.0, &mut r);
        let mut out = [0.0; 4];
        render_mono(&mut pool, &s, &mut out, 1.0, &mut r);
        assert_eq!(out, [0.0; 4]);
        assert_eq!(r.drain().0, vec![Report::Done { array: "a" }]);
    }

    #[test]
    fn stop_by_array() {
        let mut r = ReportRing::new();
        let mut pool = VoicePool::new(3);
        pool.start("a", 0, 1.0, &mut r);
        pool.start("b", 0, 1.0, &mut r);
        pool.stop(Some("a"));
        assert_eq!(pool.active().map(|v| v.array).collect::<Vec<_>>(), vec!["b"]);
        pool.stop(None);
        assert_eq!(pool.active().count(), 0);
    }

    #[test]
    fn stereo_sound_on_two_outlets_one_channel_each() {
        let (outs, _) = render_channels(&with_sound(2, vec![1.0, -1.0, 2.0, -2.0]), "file", 2, 3);
        assert_eq!(outs, vec![vec![1.0, 2.0, 0.0], vec![-1.0, -2.0, 0.0]]);
    }

    #[test]
    fn mono_plays_on_every_outlet_and_stereo_wraps() {
        let (outs, _) = render_channels(&store(), "a", 3, 3);
        assert_eq!(outs, vec![vec![1.0, 2.0, 3.0]; 3]);
        let (outs, _) = render_channels(&with_sound(2, vec![1.0, -1.0]), "file", 4, 1);
        assert_eq!(outs, vec![vec![1.0], vec![-1.0], vec![1.0], vec![-1.0]]);
    }

    #[test]
    fn more_channels_than_outlets_fold_to_their_mean() {
        let (outs, _) = render_channels(&with_sound(2, vec![1.0, 3.0]), "file", 1, 1);
        assert_eq!(outs, vec![vec![2.0]]);
        let (outs, _) = render_channels(&with_sound(3, vec![1.0, 5.0, 3.0]), "file", 2, 1);
        assert_eq!(outs, vec![vec![2.0], vec![5.0]]);
    }

    #[test]
    fn array_set_plays_across_outlets_until_its_longest_array_ends() {
        let mut s = store();
        s.sets.define("set", vec!["a", "b"]).unwrap();
        let (outs, reports) = render_channels(&s, "set", 2, 9);
        assert_eq!(outs[0], vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(outs[1], [vec![10.0; 8], vec![0.0]].concat());
        assert_eq!(reports, vec![Report::Done { array: "set" }]);
    }

    #[test]
    fn array_set_with_a_missing_array_is_missing() {
        let mut s = store();
        s.sets.define("set", vec!["a", "gone"]).unwrap();
        let (outs, reports) = render_channels(&s, "set", 2, 2);
        assert_eq!(outs, vec![vec![0.0; 2]; 2]);
        assert_eq!(reports, vec![Report::Missing { array: "set" }]);
    }

    #[test]
    fn a_loaded_sound_comes_before_an_array_of_the_same_name() {
        let mut s = with_sound(1, vec![7.0]);
        s.arrays.push(("file", vec![1.0, 1.0]));
        let (outs, _) = render_channels(&s, "file", 1, 2);
        assert_eq!(outs, vec![vec![7.0, 0.0]]);
    }
}
