//! Sound files are read on a worker thread (reading and decoding can take
//! long; Pd's thread must never wait), then handed back through a channel that
//! a Pd clock polls. Few loads at a time: a flood of `/load` packets cannot
//! start threads without end.

use super::arrays::Key;
use super::atoms::{float, gensym, symbol};
use super::object::{FsyncTilde, State};
use super::output::send;
use crate::core::path_policy;
use crate::core::sound_bank::PlanarSound;
use crate::core::sound_file;
use std::path::PathBuf;
use std::sync::mpsc;

pub const MAX_PENDING_LOADS: usize = 4;
const POLL_MS: f64 = 10.0;

/// The sound's name (interned back in Pd's thread: symbols are not Send) and
/// what was read: the sound, and how many channels the file had.
pub type LoadResult = (String, Result<PlanarSound, String>);

pub struct Loader {
    sender: mpsc::Sender<LoadResult>,
    receiver: mpsc::Receiver<LoadResult>,
    pub pending: usize,
    /// Folders `/load` may read from (`-sounds`, `sounds`).
    pub allowed: Vec<PathBuf>,
    /// The patch's folder: relative paths of `load` and `-sounds` start there.
    pub patch_dir: PathBuf,
}

impl Loader {
    pub fn new(patch_dir: PathBuf, dirs: &[String]) -> Loader {
        let (sender, receiver) = mpsc::channel();
        let allowed = dirs.iter().map(|d| path_policy::resolve_for_patch(d, &patch_dir)).collect();
        Loader { sender, receiver, pending: 0, allowed, patch_dir }
    }
}

/// Starts reading `path` as sound `name` (control thread).
pub fn request(state: &mut State, name: &str, path: &str, from_network: bool) {
    let resolved = if from_network {
        path_policy::resolve_for_network(path, &state.loader.allowed)
    } else {
        Ok(path_policy::resolve_for_patch(path, &state.loader.patch_dir))
    };
    let path = match resolved {
        Ok(p) => p,
        Err(e) => {
            FsyncTilde::error(state.owner, &format!("load {name}: {e}"));
            return send(state, "error", vec![symbol(gensym("load")), symbol(gensym(name))]);
        }
    };
    if state.loader.pending >= MAX_PENDING_LOADS {
        FsyncTilde::error(state.owner, &format!("load {name}: {MAX_PENDING_LOADS} loads already under way"));
        return send(state, "dropped", vec![symbol(gensym("busy")), symbol(gensym("/load"))]);
    }
    let sender = state.loader.sender.clone();
    let rate = state.engine.sample_rate();
    let label = name.to_string();
    let spawned = std::thread::Builder::new().name("fsync~ load".into()).spawn(move || {
        let sound = sound_file::read(&path, rate).and_then(|s| PlanarSound::from_interleaved(&s));
        let _ = sender.send((label, sound));
    });
    match spawned {
        Ok(_) => {
            state.loader.pending += 1;
            // SAFETY: our clock, in Pd's thread.
            unsafe { pd_sys::clock_delay(state.load_clock, POLL_MS) };
        }
        Err(e) => FsyncTilde::error(state.owner, &format!("load {name}: no thread: {e}")),
    }
}

/// The load clock: installs what finished, and polls again while loads are under way.
pub fn poll(state: &mut State) {
    while let Ok((name, result)) = state.loader.receiver.try_recv() {
        let key = Key(gensym(&name));
        state.loader.pending = state.loader.pending.saturating_sub(1);
        let outcome = result.and_then(|sound| {
            let (frames, channels) = (sound.frames(), sound.channels());
            state.bank.insert(key, sound).map(|_| (frames, channels))
        });
        match outcome {
            Ok((frames, channels)) => {
                send(state, "loaded", vec![symbol(key.0), float(frames as f32), float(channels as f32)]);
            }
            Err(e) => {
                FsyncTilde::error(state.owner, &format!("load {name}: {e}"));
                send(state, "error", vec![symbol(gensym("load")), symbol(key.0)]);
            }
        }
    }
    if state.loader.pending > 0 {
        // SAFETY: our clock, in Pd's thread.
        unsafe { pd_sys::clock_delay(state.load_clock, POLL_MS) };
    }
}
