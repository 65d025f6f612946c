//! A small fixed pool of worker threads, shared by every `[fsync~]` in this Pd,
//! fed by a channel: Pd's thread only hands work over (no thread start, no
//! filesystem call, no big free on it). Work is opening and decoding sound
//! files, and freeing big buffers (replaced or deleted sounds).
//!
//! A job always answers: whatever it does runs under `catch_unwind`, so a
//! decoder that panics on a crafted file still sends an error back and the
//! object's count of loads under way goes down.

use super::open_file::OpenError;
use crate::core::load::path_policy::{self, PathError};
use crate::core::load::sound_file::{self, SoundFileError};
use crate::core::play::sound_bank::{BankRefusal, ChannelCountError, PlanarSound};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

/// Threads in the pool: loads run side by side (a slow file does not hold up
/// every other), and a few are enough for a patch's or a network's loads.
const WORKERS: usize = 2;

/// Where a sound file is.
pub enum Source {
    /// The patch's own `load`: trusted, any path.
    Patch(PathBuf),
    /// `/load` from the network: `relative` inside one of `folders`.
    Network { folders: Vec<PathBuf>, relative: String },
}

pub struct LoadJob {
    pub name: String,
    pub source: Source,
    /// Pd's sample rate: the sound is resampled to it.
    pub rate: f64,
    /// Most bytes the sound may take at Pd's rate, and what sets it (for messages).
    pub max_bytes: usize,
    pub limit: String,
    pub reply: Sender<LoadResult>,
}

/// The sound's name (interned back in Pd's thread: symbols are not Send) and
/// what was read.
pub type LoadResult = (String, Result<PlanarSound, LoadFailure>);

/// Why a load gave no sound (the console says `load <name>: <this>`).
#[derive(Debug)]
pub enum LoadFailure {
    Path(PathError),
    Open(OpenError),
    File(SoundFileError),
    Channels(ChannelCountError),
    /// The sound bank did not take it.
    Bank(BankRefusal),
    /// The decoder panicked: its message.
    DecoderPanicked(String),
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            LoadFailure::Path(e) => e.fmt(f),
            LoadFailure::Open(e) => e.fmt(f),
            LoadFailure::File(e) => e.fmt(f),
            LoadFailure::Channels(e) => e.fmt(f),
            LoadFailure::Bank(e) => e.fmt(f),
            LoadFailure::DecoderPanicked(why) => write!(f, "the decoder failed on this file ({why})"),
        }
    }
}

enum Work {
    Load(LoadJob),
    /// Dropped on the worker: freeing hundreds of MiB can take milliseconds.
    Free(Box<dyn Any + Send>),
}

fn pool() -> Option<&'static Mutex<Sender<Work>>> {
    static POOL: OnceLock<Option<Mutex<Sender<Work>>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Work>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        for i in 0..WORKERS {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new().name(format!("fsync~ worker {i}")).spawn(move || work(&receiver));
            started += spawned.is_ok() as usize;
        }
        (started > 0).then(|| Mutex::new(sender))
    })
    .as_ref()
}

/// Starts the pool (from the class's setup: Pd's load time, not a DSP tick).
pub fn start() -> bool {
    pool().is_some()
}

/// False if there is no pool (no thread could start): `work` is then dropped here.
fn send(work: Work) -> bool {
    let Some(pool) = pool() else { return false };
    // (Only Pd's thread sends: the lock is never contended.)
    let sender = pool.lock().unwrap_or_else(|e| e.into_inner());
    sender.send(work).is_ok()
}

/// Hands a load to the pool; false if there is no pool.
pub fn load(job: LoadJob) -> bool {
    send(Work::Load(job))
}

/// Frees `garbage` on a worker (on the caller's thread if there is no pool).
pub fn free<T: Send + 'static>(garbage: T) {
    send(Work::Free(Box::new(garbage)));
}

fn work(receiver: &Mutex<Receiver<Work>>) {
    loop {
        let next = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
        match next {
            Ok(Work::Load(job)) => {
                let (name, reply) = (job.name.clone(), job.reply.clone());
                let result = catch_unwind(AssertUnwindSafe(|| read(&job))).unwrap_or_else(|panic| {
                    let why = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(LoadFailure::DecoderPanicked(why))
                });
                // (The object may be gone: then the sound is just dropped here.)
                let _ = reply.send((name, result));
            }
            Ok(Work::Free(garbage)) => drop(garbage),
            Err(_) => return,
        }
    }
}

fn read(job: &LoadJob) -> Result<PlanarSound, LoadFailure> {
    let (opened, shown) = match &job.source {
        Source::Patch(path) => {
            (super::open_file::open_trusted(path).map_err(LoadFailure::Open)?, path.display().to_string())
        }
        Source::Network { folders, relative } => {
            // (Checked when the packet came; checked again, it is cheap.)
            path_policy::check_network_path(relative, !folders.is_empty()).map_err(LoadFailure::Path)?;
            (super::open_file::open_confined(folders, relative).map_err(LoadFailure::Open)?, relative.clone())
        }
    };
    let sound =
        sound_file::read(opened.file, &shown, job.rate, job.max_bytes, &job.limit).map_err(LoadFailure::File)?;
    PlanarSound::from_sound(sound).map_err(LoadFailure::Channels)
}
