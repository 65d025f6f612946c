//! Pd arrays as the core's sample store. Looked up by name every block, never
//! cached, so a deleted or resized array is never read through a stale pointer.

use super::ffi;
use crate::core::array_sets::ArraySets;
use crate::core::samples::{find_in, Channels, SampleStore, SampleView, Source};
use crate::core::sound_bank::SoundBank;
use pd_sys::{_garray as t_garray, t_symbol, t_word};

/// An array name interned as a Pd symbol: the key the engine stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key(pub *mut t_symbol);

/// Where voices find their sound: the object's own sounds, its array sets, then Pd arrays.
pub struct PdStore<'a> {
    pub bank: &'a SoundBank<Key>,
    pub sets: &'a ArraySets<Key>,
}

impl SampleStore<Key> for PdStore<'_> {
    type View<'b>
        = Source<'b, WordView<'b>>
    where
        Self: 'b;

    fn find<'b>(&'b self, key: Key, into: &mut Channels<Self::View<'b>>) -> bool {
        find_in(self.bank, self.sets, pd_array, key, into)
    }
}

#[derive(Clone, Copy)]
pub struct WordView<'a>(&'a [t_word]);

impl SampleView for WordView<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn at(&self, index: usize) -> f32 {
        // SAFETY: a float array's words all hold floats (garray_getfloatwords checked the template).
        // (pd64: words are f64; the core mixes in f32.)
        unsafe { self.0[index].w_float as f32 }
    }
    fn mix_into(&self, from: usize, out: &mut [f32], gain: f32) {
        let source = &self.0[from..from + out.len()];
        for (sample, word) in out.iter_mut().zip(source) {
            // SAFETY: as in `at`.
            *sample += unsafe { word.w_float } as f32 * gain;
        }
    }
}

/// The Pd array bound to `key`'s name, as it is now.
fn pd_array<'a>(key: Key) -> Option<WordView<'a>> {
    {
        // Real-time safe lookup: only an array bound alone to the name counts
        // (pd_findbyclass would post a warning, which allocates, for a name bound twice).
        // SAFETY: symbols are never freed; s_thing is null or points at a live t_pd whose
        // first word is its class; Pd runs DSP and messages in one thread, so nothing
        // is freed while we read.
        unsafe {
            let thing = (*key.0).s_thing;
            if thing.is_null() || *thing != ffi::array_class() {
                return None;
            }
            let (mut len, mut words): (std::os::raw::c_int, *mut t_word) = (0, std::ptr::null_mut());
            if pd_sys::garray_getfloatwords(thing as *mut t_garray, &mut len, &mut words) == 0 || words.is_null() || len < 0 {
                return None;
            }
            // Valid until the array is resized or freed: not within this block.
            Some(WordView(std::slice::from_raw_parts(words, len as usize)))
        }
    }
}
