//! A fixed pool of voices, each playing one array from a position, mixed into
//! the output. Rendering never allocates.

use super::report::{Report, ReportRing};
use super::samples::{SampleStore, SampleView};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Voice<K> {
    pub array: K,
    pub position: usize,
    pub gain: f32,
    /// Start order, to find the oldest voice when all are busy.
    serial: u64,
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
        let voice = Voice { array, position, gain, serial: self.next_serial };
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

    /// Adds every voice's next `out.len()` samples into `out`.
    pub fn render<S: SampleStore<K>>(&mut self, store: &S, out: &mut [f32], master_gain: f32, reports: &mut ReportRing<K>) {
        if out.is_empty() {
            return;
        }
        // Voices often share an array: look each up once per call, not once per voice.
        let mut last: Option<(K, Option<S::View<'_>>)> = None;
        for slot in &mut self.slots {
            let Some(voice) = slot else { continue };
            let view = match &last {
                Some((key, view)) if *key == voice.array => view.clone(),
                _ => {
                    let view = store.view(voice.array);
                    last = Some((voice.array, view.clone()));
                    view
                }
            };
            let Some(view) = view else {
                reports.push(Report::Missing { array: voice.array });
                *slot = None;
                continue;
            };
            let len = view.len();
            let count = out.len().min(len.saturating_sub(voice.position));
            let gain = voice.gain * master_gain;
            if count > 0 {
                // (A voice can start past the end: an offset or a late join beyond it.)
                view.mix_into(voice.position, &mut out[..count], gain);
            }
            voice.position += count;
            if voice.position >= len {
                reports.push(Report::Done { array: voice.array });
                *slot = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::samples::VecStore;

    fn store() -> VecStore {
        VecStore { arrays: vec![("a", vec![1.0, 2.0, 3.0]), ("b", vec![10.0; 8])] }
    }

    #[test]
    fn plays_then_reports_done() {
        let (s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(2);
        pool.start("a", 0, 1.0, &mut r);
        let mut out = [0.0; 5];
        pool.render(&s, &mut out, 0.5, &mut r);
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
        pool.render(&s, &mut out, 1.0, &mut r);
        assert_eq!(out, [20.0, 20.0]);
    }

    #[test]
    fn vanished_array_ends_the_voice() {
        let (mut s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(1);
        pool.start("a", 0, 1.0, &mut r);
        s.arrays.clear();
        let mut out = [0.0; 2];
        pool.render(&s, &mut out, 1.0, &mut r);
        assert_eq!(out, [0.0, 0.0]);
        assert_eq!(r.drain().0, vec![Report::Missing { array: "a" }]);
    }

    #[test]
    fn starting_past_the_end_is_just_done() {
        let (s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(1);
        pool.start("a", 10, 1.0, &mut r);
        let mut out = [0.0; 4];
        pool.render(&s, &mut out, 1.0, &mut r);
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
}
