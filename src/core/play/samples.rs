//! How the core reads sound: a store of named sounds of one or more channels,
//! looked up every block so a deleted or resized array is never read through a
//! stale pointer.

use super::array_sets::ArraySets;
use super::sound_bank::SoundBank;
pub use crate::core::limits::MAX_CHANNELS;

pub trait SampleView {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn at(&self, index: usize) -> f32;

    /// Adds `self[from..from + out.len()] · gain` into `out` (the caller keeps
    /// it in range). Views over contiguous memory override this with a loop
    /// the compiler can vectorize.
    fn mix_into(&self, from: usize, out: &mut [f32], gain: f32) {
        for (i, sample) in out.iter_mut().enumerate() {
            *sample += self.at(from + i) * gain;
        }
    }
}

impl SampleView for &[f32] {
    fn len(&self) -> usize {
        <[f32]>::len(self)
    }
    fn at(&self, index: usize) -> f32 {
        self[index]
    }
    fn mix_into(&self, from: usize, out: &mut [f32], gain: f32) {
        let source = &self[from..from + out.len()];
        for (sample, &x) in out.iter_mut().zip(source) {
            *sample += x * gain;
        }
    }
}

/// The channels of one sound as found for this block. Fixed capacity: it is
/// filled in the perform routine, which must not allocate.
pub struct Channels<V> {
    views: [Option<V>; MAX_CHANNELS],
    count: usize,
}

impl<V: SampleView> Channels<V> {
    pub fn new() -> Self {
        Channels { views: std::array::from_fn(|_| None), count: 0 }
    }

    pub fn clear(&mut self) {
        self.views[..self.count].fill_with(|| None);
        self.count = 0;
    }

    /// Adds the next channel; false when full.
    pub fn push(&mut self, view: V) -> bool {
        if self.count == MAX_CHANNELS {
            return false;
        }
        self.views[self.count] = Some(view);
        self.count += 1;
        true
    }

    pub fn count(&self) -> usize {
        self.count
    }

    pub fn get(&self, channel: usize) -> Option<&V> {
        self.views.get(channel)?.as_ref()
    }

    /// The longest channel's length: a voice lasts that long.
    pub fn frames(&self) -> usize {
        self.views[..self.count].iter().flatten().map(|v| v.len()).max().unwrap_or(0)
    }
}

impl<V: SampleView> Default for Channels<V> {
    fn default() -> Self {
        Self::new()
    }
}

pub trait SampleStore<K> {
    type View<'a>: SampleView + Clone
    where
        Self: 'a;
    /// Fills `into` (cleared) with the channels of the sound named `key` as it
    /// is now; false if there is none, or one of its arrays is gone.
    fn find<'a>(&'a self, key: K, into: &mut Channels<Self::View<'a>>) -> bool;
}

/// One channel as voices read it: a Pd array (or a test's vector), or a
/// buffer owned by the object (a loaded sound file).
#[derive(Clone, Copy, Debug)]
pub enum Source<'a, A> {
    Array(A),
    Buffer(&'a [f32]),
}

impl<A: SampleView> SampleView for Source<'_, A> {
    fn len(&self) -> usize {
        match self {
            Source::Array(v) => v.len(),
            Source::Buffer(v) => v.len(),
        }
    }
    fn at(&self, index: usize) -> f32 {
        match self {
            Source::Array(v) => v.at(index),
            Source::Buffer(v) => v.at(index),
        }
    }
    fn mix_into(&self, from: usize, out: &mut [f32], gain: f32) {
        match self {
            Source::Array(v) => v.mix_into(from, out, gain),
            Source::Buffer(v) => v.mix_into(from, out, gain),
        }
    }
}

/// The lookup order every store follows: a loaded sound, then a set of arrays
/// (`arrays` message), then a single array. `array` finds one array by key.
pub fn find_in<'a, K: Copy + PartialEq, A: SampleView>(
    bank: &'a SoundBank<K>,
    sets: &ArraySets<K>,
    array: impl Fn(K) -> Option<A>,
    key: K,
    into: &mut Channels<Source<'a, A>>,
) -> bool {
    into.clear();
    if let Some(sound) = bank.get(key) {
        (0..sound.channels()).all(|c| into.push(Source::Buffer(sound.channel(c))))
    } else if let Some(members) = sets.get(key) {
        members.iter().all(|&m| array(m).is_some_and(|view| into.push(Source::Array(view))))
    } else {
        array(key).is_some_and(|view| into.push(Source::Array(view)))
    }
}

/// A store for tests and benchmarks: arrays kept in Rust vectors, plus the
/// object's own sounds and array sets, looked up as in Pd.
#[derive(Default, Debug)]
pub struct VecStore {
    pub arrays: Vec<(&'static str, Vec<f32>)>,
    pub bank: SoundBank<&'static str>,
    pub sets: ArraySets<&'static str>,
}

impl VecStore {
    pub fn with_arrays(arrays: Vec<(&'static str, Vec<f32>)>) -> Self {
        VecStore { arrays, ..Default::default() }
    }
}

impl SampleStore<&'static str> for VecStore {
    type View<'a> = Source<'a, &'a [f32]>;
    fn find<'a>(&'a self, key: &'static str, into: &mut Channels<Self::View<'a>>) -> bool {
        let array = |k: &'static str| self.arrays.iter().find(|(name, _)| *name == k).map(|(_, v)| v.as_slice());
        find_in(&self.bank, &self.sets, array, key, into)
    }
}
