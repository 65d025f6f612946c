//! `load` / `/load`: sound files are opened and decoded on the worker pool
//! (`worker.rs`; Pd's thread never waits), then handed back through a channel
//! that a Pd clock polls. Few loads at a time per object: a flood of `/load`
//! packets cannot queue work without end. Every result ends up as `Out`s for
//! the emitter; nothing here calls an outlet.

use super::arrays::Key;
use super::atoms::{float, gensym, symbol};
use super::emit::Out;
use super::worker::{self, LoadFailure, LoadJob, LoadResult, Source};
use crate::core::input::refusal::ErrorKind;
use crate::core::load::path_policy;
use crate::core::load::sound_file::MAX_SOUND_BYTES;
use crate::core::play::sound_bank::SoundBank;
use pd_sys::_clock as t_clock;
use std::path::PathBuf;
use std::sync::mpsc;

pub const MAX_PENDING_LOADS: usize = 4;
const POLL_MS: f64 = 10.0;

pub struct Loader {
    sender: mpsc::Sender<LoadResult>,
    receiver: mpsc::Receiver<LoadResult>,
    pending: usize,
    /// The patch's folder: relative paths of `load` and `-sounds` start there.
    patch_dir: PathBuf,
    clock: *mut t_clock,
}

/// What a load request needs to know about the object.
pub struct Request<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub from_network: bool,
    /// `-sounds` / `sounds` folders as given (relative to the patch).
    pub sound_dirs: &'a [String],
    pub rate: f64,
    pub sound_memory_bytes: usize,
}

/// A name from the network, short enough for a console line.
pub fn shown(name: &str) -> String {
    const MAX_CHARS: usize = 80;
    match name.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_string(),
    }
}

fn error_load(name: &str, detail: &str) -> [Out; 2] {
    [
        Out::Error(format!("load {}: {detail}", shown(name))),
        Out::status("error", vec![symbol(gensym(ErrorKind::Load.word())), symbol(gensym(name))]),
    ]
}

impl Loader {
    /// `clock` calls `poll` (it belongs to the object; freed by the object).
    pub fn new(patch_dir: PathBuf, clock: *mut t_clock) -> Loader {
        let (sender, receiver) = mpsc::channel();
        Loader { sender, receiver, pending: 0, patch_dir, clock }
    }

    /// Hands the load to a worker (Pd's thread: no filesystem call here).
    pub fn request(&mut self, r: Request, bank: &SoundBank<Key>) -> Vec<Out> {
        let source = if r.from_network {
            // (The engine checked the path's form already; the file is checked as it is opened.)
            if let Err(e) = path_policy::check_network_path(r.path, !r.sound_dirs.is_empty()) {
                return error_load(r.name, &e.to_string()).into();
            }
            let folders = r.sound_dirs.iter().map(|d| path_policy::resolve_for_patch(d, &self.patch_dir)).collect();
            Source::Network { folders, relative: r.path.to_string() }
        } else {
            Source::Patch(path_policy::resolve_for_patch(r.path, &self.patch_dir))
        };
        if self.pending >= MAX_PENDING_LOADS {
            return vec![
                Out::Error(format!("load {}: {MAX_PENDING_LOADS} loads already under way", shown(r.name))),
                Out::status("dropped", vec![symbol(gensym("busy")), symbol(gensym("/load"))]),
            ];
        }
        // What is left of the object's sound memory (a sound of the same name is replaced).
        let key = Key(gensym(r.name));
        let left = r.sound_memory_bytes.saturating_sub(bank.bytes() - bank.bytes_of(key));
        let limit = if left < MAX_SOUND_BYTES {
            format!("what is left of the object's sound-memory of {} MiB", r.sound_memory_bytes / (1024 * 1024))
        } else {
            format!("the {} MiB one sound may take", MAX_SOUND_BYTES / (1024 * 1024))
        };
        let job = LoadJob {
            name: r.name.to_string(),
            source,
            rate: r.rate,
            max_bytes: left.min(MAX_SOUND_BYTES),
            limit,
            reply: self.sender.clone(),
        };
        if !worker::load(job) {
            return error_load(r.name, "no worker thread could be started").into();
        }
        self.pending += 1;
        // SAFETY: our clock, in Pd's thread.
        unsafe { pd_sys::clock_delay(self.clock, POLL_MS) };
        Vec::new()
    }

    /// The load clock: installs what finished, and polls again while loads are under way.
    pub fn poll(&mut self, bank: &mut SoundBank<Key>, sound_memory_bytes: usize) -> Vec<Out> {
        let mut outs = Vec::new();
        while let Ok((name, result)) = self.receiver.try_recv() {
            let key = Key(gensym(&name));
            self.pending = self.pending.saturating_sub(1);
            let installed = result.and_then(|sound| {
                let (frames, channels) = (sound.frames(), sound.channels());
                match bank.insert(key, sound, sound_memory_bytes) {
                    Ok(replaced) => {
                        worker::free(replaced);
                        Ok((frames, channels))
                    }
                    Err(refused) => {
                        worker::free(refused.sound);
                        Err(LoadFailure::Bank(refused.reason))
                    }
                }
            });
            match installed {
                Ok((frames, channels)) => {
                    outs.push(Out::status("loaded", vec![symbol(key.0), float(frames as f32), float(channels as f32)]))
                }
                Err(e) => outs.extend(error_load(&name, &e.to_string())),
            }
        }
        if self.pending > 0 {
            // SAFETY: our clock, in Pd's thread.
            unsafe { pd_sys::clock_delay(self.clock, POLL_MS) };
        }
        outs
    }
}
