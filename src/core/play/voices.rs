//! A fixed pool of voices, each playing one array from a position, mixed into
//! the output. Rendering never allocates.
//!
//! Two paths. Direct (`-drift off`, `-clock logical`): each voice adds its
//! samples straight into the outlets, one source sample per output sample.
//! Paced (`-drift follow` under `-clock system`): every voice advances the same
//! `ratio` source samples per output sample, so all of them are mixed at
//! integer positions into one source-domain buffer per outlet, and that mix is
//! read at fractional positions through a band-limited kernel: the cost per
//! voice stays that of the direct path, the resampling is paid once per outlet.
//! The kernel looks `HALF_TAPS` samples ahead, so the paced path hears a voice
//! `lead_samples()` after it starts: the engine starts events that much early.

use super::samples::{Channels, MAX_CHANNELS, SampleStore, SampleView};
use crate::core::report::{Report, ReportRing};
use crate::core::resample::{self, HALF_TAPS, Kernel};
use crate::core::settings::JOIN_OR_PLAY_RATIO;
use std::ops::Range;

/// A position in a sound, or a stretch of it, in its own frames (source
/// samples per channel): not output samples under a pace, not ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Frames(pub usize);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Voice<K> {
    pub array: K,
    pub position: usize,
    pub gain: f32,
    /// Samples of silence before `position` plays (a start between two source samples).
    wait: usize,
    /// Late by this many samples under `-late join-or-play`: skipped at the first
    /// block if at most a tenth of the sound is lost, else the sound plays whole.
    join_if_long: usize,
    /// Start order, to find the oldest voice when all are busy.
    serial: u64,
}

/// Output samples read per step of the paced path (bounds its buffer).
const CHUNK: usize = 256;
/// Source samples kept per outlet: a chunk at the fastest pace plus the kernel's span.
const SOURCE_CAPACITY: usize = 512;

/// The paced path's state: the source-domain mix and where the output reads it.
#[derive(Debug)]
struct Paced {
    kernel: &'static Kernel,
    on: bool,
    channels: usize,
    /// `channels` buffers of `SOURCE_CAPACITY`: source index `base + i` at `[c][i]`.
    buffers: Vec<f32>,
    base: i64,
    /// Source samples before this are mixed (every voice's position is at it).
    frontier: i64,
    /// The source position the next output sample hears: `whole + fraction`.
    whole: i64,
    fraction: f64,
    ratio: f64,
    /// Nothing but silence was mixed at or after this source index.
    quiet_from: i64,
    /// The buffers hold stale samples (nothing was mixed while all was quiet).
    stale: bool,
    /// How far the read position was moved to land a start on a source sample
    /// (only while nothing sounded): not part of the pace.
    rephased: f64,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kernel")
    }
}

impl Paced {
    fn new(channels: usize) -> Self {
        let channels = channels.clamp(1, MAX_CHANNELS);
        let mut paced = Paced {
            kernel: resample::kernel(),
            on: false,
            channels,
            buffers: vec![0.0; channels * SOURCE_CAPACITY],
            base: 0,
            frontier: 0,
            whole: 0,
            fraction: 0.0,
            ratio: 1.0,
            quiet_from: 0,
            stale: false,
            rephased: 0.0,
        };
        paced.restart();
        paced
    }

    /// An empty mix; the next output sample hears source index `whole` (ratio 1).
    fn restart(&mut self) {
        self.fraction = 0.0;
        self.ratio = 1.0;
        self.base = self.whole - HALF_TAPS as i64 + 1;
        self.frontier = self.whole;
        self.quiet_from = self.whole;
        self.buffers.fill(0.0);
        self.stale = false;
    }

    fn position(&self) -> f64 {
        self.whole as f64 + self.fraction
    }
}

#[derive(Debug)]
pub struct VoicePool<K> {
    slots: Vec<Option<Voice<K>>>,
    next_serial: u64,
    paced: Paced,
}

impl<K: Copy + PartialEq> VoicePool<K> {
    pub fn new(count: usize) -> Self {
        Self::with_channels(count, 1)
    }

    /// `channels`: the outlets the paced path mixes for (fixed at creation, as in Pd).
    pub fn with_channels(count: usize, channels: usize) -> Self {
        VoicePool { slots: vec![None; count.max(1)], next_serial: 0, paced: Paced::new(channels) }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub fn active(&self) -> impl Iterator<Item = &Voice<K>> {
        self.slots.iter().flatten()
    }

    /// The pace of the next block: `Some(ratio)` source samples per output
    /// sample (the paced path), or None (the direct path). Switching paths
    /// keeps every voice where it is heard.
    pub fn set_pace(&mut self, pace: Option<f64>) {
        let p = &mut self.paced;
        match pace {
            Some(ratio) => {
                if !p.on {
                    p.on = true;
                    p.restart();
                }
                p.ratio = ratio;
            }
            None if p.on => {
                p.on = false;
                // The mix ran ahead of what is heard: take the voices back by that much.
                let back = (p.frontier - p.position().round() as i64).max(0) as usize;
                for v in self.slots.iter_mut().flatten() {
                    if v.wait > 0 {
                        v.wait += back;
                    } else if v.position >= back {
                        v.position -= back;
                    } else {
                        // Started within the look-ahead: not heard yet.
                        v.wait = back - v.position;
                        v.position = 0;
                    }
                }
            }
            None => {}
        }
    }

    /// How many samples after its start a voice is heard (the kernel's look-ahead).
    pub fn lead_samples(&self) -> i64 {
        if self.paced.on { HALF_TAPS as i64 } else { 0 }
    }

    /// Source samples per output sample (1 on the direct path).
    pub fn ratio(&self) -> f64 {
        if self.paced.on { self.paced.ratio } else { 1.0 }
    }

    /// The source position the next output sample hears (the paced path's
    /// phase), continuous: moves made while silent to land a start are left out.
    pub fn source_position(&self) -> f64 {
        self.paced.position() - self.paced.rephased
    }

    /// Starts a voice; when all are busy the oldest is replaced and reported.
    pub fn start(&mut self, array: K, position: Frames, gain: f32, reports: &mut ReportRing<K>) {
        self.start_between(array, position, gain, 0.0, reports);
    }

    /// As `start`, for a voice due `between` samples (−½..½) after the next
    /// output sample: the paced path lands its first sample on the source
    /// sample nearest to that moment (`lead_samples()` later); the direct path
    /// starts at the next sample, as always.
    pub fn start_between(&mut self, array: K, position: Frames, gain: f32, between: f64, reports: &mut ReportRing<K>) {
        self.start_voice(array, position.0, 0, gain, between, reports);
    }

    /// As `start_between`, for a voice `late` samples late under `-late
    /// join-or-play`: it skips them if at most a tenth of the sound from
    /// `position` is lost (in step with the other sites), else it plays from
    /// `position` (a short sound is still heard whole).
    pub fn start_joining_if_long(
        &mut self,
        array: K,
        position: Frames,
        late: Frames,
        gain: f32,
        between: f64,
        reports: &mut ReportRing<K>,
    ) {
        self.start_voice(array, position.0, late.0, gain, between, reports);
    }

    fn start_voice(
        &mut self,
        array: K,
        position: usize,
        join_if_long: usize,
        gain: f32,
        between: f64,
        reports: &mut ReportRing<K>,
    ) {
        let silent = self.slots.iter().all(Option::is_none);
        let p = &mut self.paced;
        let wait = if p.on {
            let at = p.position() + between.clamp(-0.5, 0.5) * p.ratio + HALF_TAPS as f64;
            if silent && p.ratio != 1.0 && p.whole - HALF_TAPS as i64 + 1 >= p.quiet_from {
                // Nothing sounds: move the read position (by less than half a
                // sample) so this start lands exactly on a source sample.
                let shift = at.round() - at;
                let moved = p.fraction + shift;
                p.whole += moved.floor() as i64;
                p.fraction = moved - moved.floor();
                p.rephased += shift;
                // (All the kernel reads is silence: start the buffer afresh around the new position.)
                p.stale = true;
            }
            (at.round() as i64 - p.frontier).max(0) as usize
        } else {
            0
        };
        let voice = Voice { array, position, gain, wait, join_if_long, serial: self.next_serial };
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
    pub fn render<S: SampleStore<K>>(
        &mut self,
        store: &S,
        outs: &mut [&mut [f32]],
        range: Range<usize>,
        master_gain: f32,
        reports: &mut ReportRing<K>,
    ) {
        if self.paced.on && outs.len() == self.paced.channels {
            self.render_paced(store, outs, range, master_gain, reports);
        } else {
            // (Paced but given other outlets than it was made for — Pd never does
            // that: play direct, and let the pace's clock run on.)
            let p = &mut self.paced;
            if p.on {
                let moved = p.fraction + range.len() as f64 * p.ratio;
                p.whole += moved.floor() as i64;
                p.fraction = moved - moved.floor();
                p.frontier = p.frontier.max(p.whole + HALF_TAPS as i64);
                p.stale = true;
            }
            mix_voices(&mut self.slots, store, outs, range, master_gain, reports);
        }
    }

    /// The paced path, in chunks: mix the voices ahead as far as the kernel
    /// reads, then read the mix at `ratio` source samples per output sample.
    fn render_paced<S: SampleStore<K>>(
        &mut self,
        store: &S,
        outs: &mut [&mut [f32]],
        range: Range<usize>,
        master_gain: f32,
        reports: &mut ReportRing<K>,
    ) {
        let mut done = range.start;
        while done < range.end {
            let m = (range.end - done).min(CHUNK);
            let p = &mut self.paced;
            let last = p.fraction + (m - 1) as f64 * p.ratio;
            let low = p.whole - HALF_TAPS as i64 + 1;
            let need = p.whole + last.floor() as i64 + HALF_TAPS as i64 + 1;
            let playing = self.slots.iter().any(Option::is_some);
            if !playing && low >= p.quiet_from {
                // Silence in, silence out: only time moves on.
                p.frontier = p.frontier.max(need);
                p.stale = true;
            } else {
                if p.stale {
                    p.buffers.fill(0.0);
                    p.base = low;
                    p.stale = false;
                }
                if need - p.base > SOURCE_CAPACITY as i64 {
                    // Keep what the kernel still reads, at the front.
                    let keep = (low - p.base) as usize..(p.frontier - p.base) as usize;
                    for buffer in p.buffers.chunks_exact_mut(SOURCE_CAPACITY) {
                        buffer.copy_within(keep.clone(), 0);
                    }
                    p.base = low;
                }
                let fresh = (p.frontier - p.base) as usize..(need - p.base) as usize;
                let mut sources: [&mut [f32]; MAX_CHANNELS] = std::array::from_fn(|_| &mut [][..]);
                for (source, buffer) in sources.iter_mut().zip(p.buffers.chunks_exact_mut(SOURCE_CAPACITY)) {
                    buffer[fresh.clone()].fill(0.0);
                    *source = buffer;
                }
                if playing {
                    mix_voices(&mut self.slots, store, &mut sources[..p.channels], fresh, master_gain, reports);
                    p.quiet_from = need;
                }
                p.frontier = need;
                let first = (p.whole - p.base) as f64 + p.fraction;
                for (out, source) in outs.iter_mut().zip(sources.iter()) {
                    let out = &mut out[done..done + m];
                    if p.ratio == 1.0 && p.fraction == 0.0 {
                        // Whole samples at the card's own pace: the mix itself, bit for bit.
                        let from = first as usize;
                        for (y, &x) in out.iter_mut().zip(&source[from..from + m]) {
                            *y += x;
                        }
                    } else {
                        p.kernel.resample_into(source, first, p.ratio, out);
                    }
                }
            }
            let moved = p.fraction + m as f64 * p.ratio;
            let whole = moved.floor();
            p.whole += whole as i64;
            p.fraction = moved - whole;
            done += m;
        }
    }
}

/// Adds every voice's next `range.len()` frames into `outs[..][range]`,
/// ending voices that are done or whose sound is gone.
fn mix_voices<K: Copy + PartialEq, S: SampleStore<K>>(
    slots: &mut [Option<Voice<K>>],
    store: &S,
    outs: &mut [&mut [f32]],
    range: Range<usize>,
    master_gain: f32,
    reports: &mut ReportRing<K>,
) {
    if outs.is_empty() || range.is_empty() || slots.iter().all(Option::is_none) {
        return;
    }
    // Voices often share a sound: look each up once per call, not once per voice.
    let mut sound = Channels::new();
    let mut found: Option<(K, Option<usize>)> = None; // key and its length, if present
    for slot in slots.iter_mut() {
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
        // A start between two blocks' samples waits its turn.
        let range = if voice.wait > 0 {
            let silent = voice.wait.min(range.len());
            voice.wait -= silent;
            range.start + silent..range.end
        } else {
            range.clone()
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
        if voice.position >= len && voice.wait == 0 {
            reports.push(Report::Done { array: voice.array });
            *slot = None;
        }
    }
}

/// Adds `sound` from `position` into `outs[..][frames]` (`frames` within the
/// sound's length). Channels wrap: outlet k plays channel k mod C of a
/// C-channel sound (a mono sound plays on every outlet); with more channels
/// than outlets N, outlet k plays the mean of channels k, k+N, k+2N… (so one
/// outlet hears all of a stereo file).
fn mix_channels<V: SampleView>(
    sound: &Channels<V>,
    position: usize,
    outs: &mut [&mut [f32]],
    frames: Range<usize>,
    gain: f32,
) {
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

    fn ramp(n: usize) -> Vec<f32> {
        (1..=n).map(|i| i as f32).collect()
    }

    fn store() -> VecStore {
        VecStore::with_arrays(vec![("a", vec![1.0, 2.0, 3.0]), ("b", vec![10.0; 8])])
    }

    fn render_mono(
        pool: &mut VoicePool<&'static str>,
        s: &VecStore,
        out: &mut [f32],
        gain: f32,
        r: &mut ReportRing<&'static str>,
    ) {
        let n = out.len();
        pool.render(s, &mut [out], 0..n, gain, r);
    }

    /// Renders `frames` frames of one voice playing `name` into `outlets` outlets.
    fn render_channels(
        s: &VecStore,
        name: &'static str,
        outlets: usize,
        frames: usize,
    ) -> (Vec<Vec<f32>>, Vec<Report<&'static str>>) {
        let (mut pool, mut r) = (VoicePool::new(1), ReportRing::new());
        pool.start(name, Frames(0), 1.0, &mut r);
        let mut outs = vec![vec![0.0; frames]; outlets];
        let mut slices: Vec<&mut [f32]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
        pool.render(s, &mut slices, 0..frames, 1.0, &mut r);
        (outs, r.drain().0)
    }

    fn with_sound(channels: usize, interleaved: Vec<f32>) -> VecStore {
        let mut s = store();
        let sound = crate::core::load::sound_file::Sound { channels, data: interleaved };
        s.bank
            .insert("file", crate::core::play::sound_bank::PlanarSound::from_interleaved(&sound).unwrap(), usize::MAX)
            .unwrap();
        s
    }

    #[test]
    fn plays_then_reports_done() {
        let (s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(2);
        pool.start("a", Frames(0), 1.0, &mut r);
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
        pool.start("a", Frames(0), 1.0, &mut r);
        pool.start("b", Frames(0), 1.0, &mut r);
        pool.start("b", Frames(4), 1.0, &mut r);
        assert_eq!(r.drain().0, vec![Report::Stolen { array: "a" }]);
        let mut out = [0.0; 2];
        render_mono(&mut pool, &s, &mut out, 1.0, &mut r);
        assert_eq!(out, [20.0, 20.0]);
    }

    #[test]
    fn vanished_array_ends_the_voice() {
        let (mut s, mut r) = (store(), ReportRing::new());
        let mut pool = VoicePool::new(1);
        pool.start("a", Frames(0), 1.0, &mut r);
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
        pool.start("a", Frames(10), 1.0, &mut r);
        let mut out = [0.0; 4];
        render_mono(&mut pool, &s, &mut out, 1.0, &mut r);
        assert_eq!(out, [0.0; 4]);
        assert_eq!(r.drain().0, vec![Report::Done { array: "a" }]);
    }

    #[test]
    fn stop_by_array() {
        let mut r = ReportRing::new();
        let mut pool = VoicePool::new(3);
        pool.start("a", Frames(0), 1.0, &mut r);
        pool.start("b", Frames(0), 1.0, &mut r);
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

    // The paced path (drift following).

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 8) as f32 / (1 << 24) as f32 - 0.5
            })
            .collect()
    }

    /// Renders `total` frames in blocks of `block` at `pace(block index)`,
    /// starting voices at the frames given (each a block boundary or inside one).
    fn run_paced(
        s: &VecStore,
        pace: impl Fn(usize) -> Option<f64>,
        block: usize,
        total: usize,
        starts: &[(usize, &'static str)],
        outlets: usize,
    ) -> Vec<Vec<f32>> {
        let (mut pool, mut r) = (VoicePool::with_channels(8, outlets), ReportRing::new());
        let mut outs = vec![vec![0.0f32; total]; outlets];
        for b in 0..total / block {
            pool.set_pace(pace(b));
            let mut slices: Vec<&mut [f32]> = outs.iter_mut().map(|o| &mut o[b * block..(b + 1) * block]).collect();
            let mut cursor = 0;
            for &(frame, name) in starts.iter().filter(|(f, _)| (b * block..(b + 1) * block).contains(f)) {
                pool.render(s, &mut slices, cursor..frame - b * block, 1.0, &mut r);
                cursor = frame - b * block;
                pool.start(name, Frames(0), 0.5, &mut r);
            }
            pool.render(s, &mut slices, cursor..block, 1.0, &mut r);
        }
        outs
    }

    /// At ratio exactly 1 the paced path is the direct path `HALF_TAPS` later,
    /// bit for bit: several voices, overlapping, on two outlets, a set and a mono array.
    #[test]
    fn paced_at_ratio_one_is_bit_identical() {
        let mut s = VecStore::with_arrays(vec![("x", noise(3000, 1)), ("y", noise(700, 2)), ("z", noise(1200, 3))]);
        s.sets.define("pair", vec!["y", "z"]).unwrap();
        let starts = [(100, "x"), (130, "pair"), (131, "x"), (900, "y"), (1000, "pair")];
        let lead = HALF_TAPS;
        let direct = run_paced(&s, |_| None, 64, 4096, &starts, 2);
        let early: Vec<(usize, &str)> = starts.iter().map(|&(f, n)| (f - lead, n)).collect();
        let paced = run_paced(&s, |_| Some(1.0), 64, 4096, &early, 2);
        for (d, p) in direct.iter().zip(&paced) {
            assert!(d.iter().zip(p).all(|(a, b)| a.to_bits() == b.to_bits()), "not bit-identical");
            assert!(d.iter().any(|&v| v != 0.0));
        }
    }

    /// The expected output of a 1 kHz sine read from source position `x_n`.
    fn sine_at(x: f64) -> f64 {
        (2.0 * std::f64::consts::PI * 1000.0 / 48000.0 * x).sin()
    }

    /// A 1 kHz sine at a pace that changes every block (slewing around +200 ppm,
    /// as the drift follower does, and jumping by 300 ppm once): every output
    /// sample is the sine at the summed position, within −94 dB — no phase lost
    /// at block boundaries or ratio changes. The block split does not matter.
    #[test]
    fn paced_is_phase_continuous_across_blocks_and_ratio_changes() {
        let sine: Vec<f32> = (0..40_000).map(|n| sine_at(n as f64) as f32).collect();
        let s = VecStore::with_arrays(vec![("sine", sine)]);
        let ratio = |b: usize| 1.0 + (200.0 + 50.0 * (b as f64 / 7.0).sin() + if b > 300 { 300.0 } else { 0.0 }) * 1e-6;
        for block in [64, 37, 300] {
            let total = 36_000 / block * block;
            let out = run_paced(&s, |b| Some(ratio(b * block / 64)), block, total, &[(0, "sine")], 1);
            // The voice's sample 0 sits at source index HALF_TAPS; output n hears Σ ratios before it.
            let mut x = 0.0f64;
            let mut worst = 0.0f64;
            for (n, &y) in out[0].iter().enumerate() {
                if n > 100 {
                    worst = worst.max((y as f64 - 0.5 * sine_at(x - HALF_TAPS as f64)).abs());
                }
                x += ratio(n / block * block / 64);
            }
            let db = 20.0 * (worst / 0.5).log10();
            eprintln!("block {block}: worst error {db:.1} dB re the sine");
            assert!(db < -94.0, "block {block}: {db:.1} dB");
        }
    }

    /// Switching between the paths keeps a playing voice where it is heard:
    /// a ramp goes on 1, 2, 3… across direct → paced (ratio 1) → direct.
    #[test]
    fn switching_paths_keeps_the_sound_in_time() {
        let s = VecStore::with_arrays(vec![("ramp", ramp(5000))]);
        let out = run_paced(&s, |b| if (10..30).contains(&b) { Some(1.0) } else { None }, 64, 4096, &[(0, "ramp")], 1);
        let heard: Vec<f32> = out[0].iter().map(|v| v * 2.0).collect();
        let expected: Vec<f32> = (1..=4096).map(|i| i as f32).collect();
        assert_eq!(heard, expected);
    }

    proptest::proptest! {
        /// Any mix of paces (paced at any ratio within the bound, direct), block
        /// sizes, starts and stops: no panic, every sample finite and bounded.
        #[test]
        fn paced_never_panics(steps in proptest::collection::vec((0usize..3, -1000i32..=1000, 1usize..700, 0usize..4), 1..60)) {
            let s = VecStore::with_arrays(vec![("x", noise(900, 4)), ("y", vec![1.0; 50])]);
            let (mut pool, mut r) = (VoicePool::with_channels(3, 2), ReportRing::new());
            let (mut a, mut b) = (vec![0.0f32; 700], vec![0.0f32; 700]);
            for (kind, ppm, n, what) in steps {
                pool.set_pace(match kind { 0 => None, 1 => Some(1.0), _ => Some(1.0 + ppm as f64 * 1e-6) });
                match what {
                    0 => pool.start_between("x", Frames(0), 1.0, ppm as f64 / 2000.0, &mut r),
                    1 => pool.start("y", Frames(10), 1.0, &mut r),
                    2 => pool.stop(None),
                    _ => {}
                }
                a[..n].fill(0.0);
                b[..n].fill(0.0);
                let half = n / 2;
                pool.render(&s, &mut [&mut a[..n], &mut b[..n]], 0..half, 1.0, &mut r);
                pool.render(&s, &mut [&mut a[..n], &mut b[..n]], half..n, 1.0, &mut r);
                proptest::prop_assert!(a[..n].iter().chain(&b[..n]).all(|v| v.is_finite() && v.abs() < 8.0));
                let _ = r.drain();
            }
        }
    }
}
