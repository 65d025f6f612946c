//! How the core reads sound: a store of named arrays, looked up every block so
//! a deleted or resized array is never read through a stale pointer.

pub trait SampleView {
    fn len(&self) -> usize;
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

pub trait SampleStore<K> {
    type View<'a>: SampleView + Clone
    where
        Self: 'a;
    /// The array named `key` as it is now, or None if there is none.
    fn view(&self, key: K) -> Option<Self::View<'_>>;
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

/// A store for tests and benchmarks: arrays kept in Rust vectors.
#[derive(Default, Debug)]
pub struct VecStore {
    pub arrays: Vec<(&'static str, Vec<f32>)>,
}

impl SampleStore<&'static str> for VecStore {
    type View<'a> = &'a [f32];
    fn view(&self, key: &'static str) -> Option<&[f32]> {
        self.arrays.iter().find(|(name, _)| *name == key).map(|(_, v)| v.as_slice())
    }
}
