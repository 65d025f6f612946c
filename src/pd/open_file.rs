//! Opening a sound file on a loader worker, with no gap between checking a
//! path and reading it (a check on a path, then an open of the same path, can
//! be raced by swapping a symlink in between).
//!
//! `/load` from the network: the allowed folder is opened, then every
//! component below it is opened relative to the one before (`openat`) with
//! `O_NOFOLLOW`: a symlink anywhere below the folder is refused, whatever it
//! points at and whenever it was swapped in. The last component is opened
//! `O_NONBLOCK` (a FIFO cannot block the worker) and must be a regular file
//! (`fstat` on the open descriptor); the sound is read from that descriptor.
//! The patch's own `load` is trusted like any Pd message: any path, symlinks
//! followed, but still non-blocking and regular files only.

/// A sound file opened for reading.
pub struct Opened {
    pub file: std::fs::File,
}

/// Why a sound file was not opened (`what`/`relative`: the path as messages show it).
#[derive(Debug)]
pub enum OpenError {
    #[cfg(unix)]
    NulByte,
    /// A symlink below the allowed folder (`/load` does not follow them).
    Symlink {
        what: String,
    },
    Os {
        what: String,
        error: std::io::Error,
    },
    NotRegular {
        what: String,
    },
    NotPlain {
        relative: String,
    },
    #[cfg(unix)]
    Empty {
        relative: String,
    },
    NoFolder {
        relative: String,
    },
    /// (Without `openat`: the canonical path left the folder.)
    #[cfg(not(unix))]
    Outside {
        relative: String,
    },
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            #[cfg(unix)]
            OpenError::NulByte => f.write_str("a path with a NUL byte"),
            OpenError::Symlink { what } => {
                write!(f, "{what}: is a symlink (/load does not follow symlinks below the allowed folder)")
            }
            OpenError::Os { what, error } => write!(f, "{what}: {error}"),
            OpenError::NotRegular { what } => write!(f, "{what}: not a regular file"),
            OpenError::NotPlain { relative } => write!(f, "'{relative}': /load takes a plain relative path"),
            #[cfg(unix)]
            OpenError::Empty { relative } => write!(f, "'{relative}': empty path"),
            OpenError::NoFolder { relative } => write!(f, "'{relative}': no folder is allowed for /load"),
            #[cfg(not(unix))]
            OpenError::Outside { relative } => write!(f, "{relative}: outside the allowed folder"),
        }
    }
}

pub use imp::{open_confined, open_trusted};

#[cfg(unix)]
mod imp {
    use super::{OpenError, Opened};
    use std::ffi::CString;
    use std::fs::File;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::path::{Component, Path};

    fn c_name(part: &std::ffi::OsStr) -> Result<CString, OpenError> {
        use std::os::unix::ffi::OsStrExt;
        CString::new(part.as_bytes()).map_err(|_| OpenError::NulByte)
    }

    fn last_error(what: &str) -> OpenError {
        let error = std::io::Error::last_os_error();
        let what = what.to_string();
        if error.raw_os_error() == Some(libc::ELOOP) {
            OpenError::Symlink { what }
        } else {
            OpenError::Os { what, error }
        }
    }

    /// `openat(dir, name, flags)` as an owned descriptor.
    fn open_at(dir: Option<&OwnedFd>, name: &CString, flags: libc::c_int, what: &str) -> Result<OwnedFd, OpenError> {
        let dirfd = dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
        // SAFETY: a valid NUL-terminated name; `dirfd` is an open descriptor we own
        // (or AT_FDCWD); the returned descriptor, if any, is new and ours alone.
        let fd = unsafe { libc::openat(dirfd, name.as_ptr(), flags | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(last_error(what));
        }
        // SAFETY: `fd` was just returned by openat and is owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// The descriptor as a `File`, if it is a regular file.
    fn regular_file(fd: OwnedFd, what: &str) -> Result<File, OpenError> {
        // SAFETY: a zeroed `stat` is a valid value to be overwritten by fstat.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `fd` is open; `st` is a valid, writable stat buffer.
        if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
            return Err(last_error(what));
        }
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(OpenError::NotRegular { what: what.to_string() });
        }
        Ok(File::from(fd))
    }

    /// `relative` (already checked to be plain by `path_policy::check_network_path`)
    /// inside one of `folders`: the first folder that holds it wins.
    pub fn open_confined(folders: &[std::path::PathBuf], relative: &str) -> Result<Opened, OpenError> {
        let path = Path::new(relative);
        let parts: Vec<&std::ffi::OsStr> = path
            .components()
            .map(|c| match c {
                Component::Normal(p) => Ok(p),
                _ => Err(OpenError::NotPlain { relative: relative.to_string() }),
            })
            .collect::<Result<_, _>>()?;
        let Some((last, dirs)) = parts.split_last() else {
            return Err(OpenError::Empty { relative: relative.to_string() });
        };
        let mut first_error = None;
        for folder in folders {
            let attempt = (|| {
                // The folder itself was chosen by the patch: it may be a symlink.
                let mut dir = open_at(
                    None,
                    &c_name(folder.as_os_str())?,
                    libc::O_RDONLY | libc::O_DIRECTORY,
                    &folder.display().to_string(),
                )?;
                for part in dirs {
                    dir = open_at(
                        Some(&dir),
                        &c_name(part)?,
                        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                        relative,
                    )?;
                }
                let fd = open_at(
                    Some(&dir),
                    &c_name(last)?,
                    libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY,
                    relative,
                )?;
                regular_file(fd, relative)
            })();
            match attempt {
                Ok(file) => return Ok(Opened { file }),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| OpenError::NoFolder { relative: relative.to_string() }))
    }

    /// The patch's own `load`: any path (symlinks followed), regular files only.
    pub fn open_trusted(path: &Path) -> Result<Opened, OpenError> {
        let what = path.display().to_string();
        let fd = open_at(None, &c_name(path.as_os_str())?, libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY, &what)?;
        Ok(Opened { file: regular_file(fd, &what)? })
    }
}

/// Without `openat`/`O_NOFOLLOW` (Windows): each component below the folder is
/// refused if it is a symlink or junction, the file must be regular, and its
/// canonical path must lie inside the canonical folder — checked before the
/// open, so a swap in between is not excluded there (the README says so).
#[cfg(not(unix))]
mod imp {
    use super::{OpenError, Opened};
    use std::fs::File;
    use std::path::{Component, Path, PathBuf};

    pub fn open_confined(folders: &[PathBuf], relative: &str) -> Result<Opened, OpenError> {
        let path = Path::new(relative);
        if !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(OpenError::NotPlain { relative: relative.to_string() });
        }
        let os = |what: String| move |error| OpenError::Os { what, error };
        let mut first_error = None;
        for folder in folders {
            let attempt = (|| {
                let root = folder.canonicalize().map_err(os(folder.display().to_string()))?;
                let mut at = root.clone();
                for part in path.components() {
                    at.push(part);
                    let meta = std::fs::symlink_metadata(&at).map_err(os(relative.to_string()))?;
                    if meta.file_type().is_symlink() {
                        return Err(OpenError::Symlink { what: relative.to_string() });
                    }
                }
                let real = at.canonicalize().map_err(os(relative.to_string()))?;
                if !real.starts_with(&root) {
                    return Err(OpenError::Outside { relative: relative.to_string() });
                }
                open_trusted(&real)
            })();
            match attempt {
                Ok(opened) => return Ok(opened),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| OpenError::NoFolder { relative: relative.to_string() }))
    }

    pub fn open_trusted(path: &Path) -> Result<Opened, OpenError> {
        let what = path.display().to_string();
        let file = File::open(path).map_err(|error| OpenError::Os { what: what.clone(), error })?;
        let meta = file.metadata().map_err(|error| OpenError::Os { what: what.clone(), error })?;
        if !meta.is_file() {
            return Err(OpenError::NotRegular { what });
        }
        Ok(Opened { file })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::ffi::CString;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("fsync-open-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sounds/kit")).unwrap();
        dir
    }

    #[test]
    fn confined_open_refuses_symlinks_fifos_and_directories() {
        let base = scratch("confined");
        let allowed = base.join("sounds");
        std::fs::write(allowed.join("kit/kick.wav"), b"kick").unwrap();
        std::fs::write(base.join("secret.wav"), b"secret").unwrap();
        std::os::unix::fs::symlink(base.join("secret.wav"), allowed.join("link.wav")).unwrap();
        std::os::unix::fs::symlink(&base, allowed.join("up")).unwrap();
        let fifo = CString::new(allowed.join("pipe.wav").as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid path string.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let folders = [allowed.clone()];
        let mut ok = open_confined(&folders, "kit/kick.wav").unwrap();
        assert_eq!(std::io::read_to_string(&mut ok.file).unwrap(), "kick");
        for bad in ["link.wav", "up/secret.wav", "pipe.wav", "kit", "nothere.wav"] {
            let e = open_confined(&folders, bad).err().unwrap_or_else(|| panic!("{bad} opened"));
            assert!(!e.to_string().is_empty());
        }
        assert!(matches!(open_confined(&folders, "link.wav"), Err(OpenError::Symlink { .. })));
        assert!(matches!(open_confined(&folders, "pipe.wav"), Err(OpenError::NotRegular { .. })));
        let fifo = open_trusted(&allowed.join("pipe.wav")).err().unwrap();
        assert!(fifo.to_string().ends_with("pipe.wav: not a regular file"), "{fifo}");
        assert!(open_trusted(&allowed.join("link.wav")).is_ok(), "the patch's own load follows symlinks");
        std::fs::remove_dir_all(&base).unwrap();
    }

    /// A symlink swapped in and out (bounded) while the worker opens the same
    /// path: never a byte from outside the folder.
    #[test]
    fn swapped_symlink_never_leads_outside() {
        let base = scratch("swap");
        let allowed = base.join("sounds");
        std::fs::write(base.join("secret.wav"), b"secret").unwrap();
        std::fs::write(allowed.join("real.wav"), b"inside").unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let swapper = {
            let (allowed, base, stop) = (allowed.clone(), base.clone(), stop.clone());
            std::thread::spawn(move || {
                let target = allowed.join("x.wav");
                let start = std::time::Instant::now();
                for i in 0..2_000_000 {
                    if start.elapsed() > std::time::Duration::from_secs(20) {
                        break;
                    }
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let _ = std::fs::remove_file(&target);
                    if i % 2 == 0 {
                        let _ = std::os::unix::fs::symlink(base.join("secret.wav"), &target);
                    } else {
                        let _ = std::fs::copy(allowed.join("real.wav"), &target);
                    }
                }
            })
        };
        let (mut inside, mut refused) = (0, 0);
        let start = std::time::Instant::now();
        while (inside < 100 || refused < 100)
            && inside + refused < 50_000
            && start.elapsed() < std::time::Duration::from_secs(10)
        {
            match open_confined(std::slice::from_ref(&allowed), "x.wav") {
                Ok(mut o) => {
                    let text = std::io::read_to_string(&mut o.file).unwrap();
                    assert_ne!(text, "secret", "read a file outside the allowed folder");
                    inside += 1;
                }
                Err(_) => refused += 1,
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        swapper.join().unwrap();
        std::fs::remove_dir_all(&base).unwrap();
        assert!(inside > 0 && refused > 0, "the race must be exercised: {inside} opened, {refused} refused");
    }
}
