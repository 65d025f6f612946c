//! Pd arrays as the core's sample store. Looked up by name every block, never
//! cached, so a deleted or resized array is never read through a stale pointer.

use super::ffi::{BindList, BindVector, ClassHead, array_class};
use crate::core::play::array_sets::ArraySets;
use crate::core::play::samples::{Channels, SampleStore, SampleView, Source, find_in};
use crate::core::play::sound_bank::SoundBank;
use pd_sys::{_garray as t_garray, t_pd, t_symbol, t_word};

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

/// `gensym("bindlist")`: the name of Pd's class for a symbol bound several times
/// (the class itself is static in m_pd.c), interned once in `setup`.
static mut BINDLIST_NAME: *mut t_symbol = std::ptr::null_mut();

/// How this Pd keeps the objects bound to one name: a linked list up to 0.56,
/// a vector from 0.57 on (m_pd.c copies it before messaging). Read once in `setup`.
static mut BIND_LAYOUT: BindLayout = BindLayout::List;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BindLayout {
    List,
    Vector,
}

pub fn setup() {
    let (mut major, mut minor, mut bugfix) = (0, 0, 0);
    // SAFETY: called once from the class setup in Pd's thread, before any perform
    // routine; sys_getversion writes three ints.
    unsafe {
        BINDLIST_NAME = super::atoms::gensym("bindlist");
        pd_sys::sys_getversion(&mut major, &mut minor, &mut bugfix);
        BIND_LAYOUT = if (major, minor) >= (0, 57) { BindLayout::Vector } else { BindLayout::List };
    }
}

/// The array bound to `key`'s name: `s_thing` itself, or the last array in its
/// bindlist (what `pd_findbyclass`, and so `tabplay~`, finds) when other objects
/// (`[r name]`, `[v name]`, a second array) share the name. Walked by hand:
/// `pd_findbyclass` posts a warning (allocating) for a name bound twice.
/// Real-time safe: pointer reads only.
fn bound_array(key: Key) -> Option<*mut t_pd> {
    // Symbols are never freed; s_thing is null or points at a live t_pd whose
    // first word is its class, and a class starts with its name (ClassHead).
    // SAFETY: (above) a bindlist is a BindList (≤ 0.56) or BindVector (0.57)
    // whose elements are live until unbound; Pd runs DSP and messages in one
    // thread: nothing is unbound or freed as we read.
    unsafe {
        let thing = (*key.0).s_thing;
        if thing.is_null() {
            return None;
        }
        if *thing == array_class() {
            return Some(thing);
        }
        let class = *thing as *const ClassHead;
        if class.is_null() || BINDLIST_NAME.is_null() || (*class).c_name != BINDLIST_NAME {
            return None;
        }
        let is_array = |who: *mut t_pd| !who.is_null() && *who == array_class();
        // (Bounded by the list, which Pd keeps finite; the cap guards against a cycle.)
        const MAX_BOUND: usize = 100_000;
        match BIND_LAYOUT {
            BindLayout::List => {
                let mut found = None;
                let mut element = (*(thing as *const BindList)).b_list;
                let mut steps = 0;
                while !element.is_null() && steps < MAX_BOUND {
                    if is_array((*element).e_who) {
                        found = Some((*element).e_who);
                    }
                    element = (*element).e_next;
                    steps += 1;
                }
                found
            }
            BindLayout::Vector => {
                let list = &*(thing as *const BindVector);
                if list.b_vec.is_null() || list.b_n <= 0 {
                    return None;
                }
                let bound = std::slice::from_raw_parts(list.b_vec, (list.b_n as usize).min(MAX_BOUND));
                bound.iter().rev().copied().find(|&who| is_array(who))
            }
        }
    }
}

/// The Pd array bound to `key`'s name, as it is now.
fn pd_array<'a>(key: Key) -> Option<WordView<'a>> {
    let array = bound_array(key)?;
    // SAFETY: `array` is a live garray (its class checked in bound_array); Pd's
    // thread, nothing frees it during this block.
    unsafe {
        let (mut len, mut words): (std::os::raw::c_int, *mut t_word) = (0, std::ptr::null_mut());
        if pd_sys::garray_getfloatwords(array as *mut t_garray, &mut len, &mut words) == 0 || words.is_null() || len < 0
        {
            return None;
        }
        // Valid until the array is resized or freed: not within this block.
        Some(WordView(std::slice::from_raw_parts(words, len as usize)))
    }
}
