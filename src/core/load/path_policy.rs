//! Which files a `/load` may read. A packet comes from the network and is
//! untrusted: it may only name a file inside a folder the patch allowed
//! (`-sounds <dir>`), by a relative path that stays inside it. The patch's own
//! `load` message is trusted like any Pd message (absolute or relative to the patch).
//!
//! Two halves: the lexical rules here (a folder is allowed, the path is plain
//! and relative, not too long) are checked when the packet arrives, so a
//! refused `/load` drops its whole packet. The filesystem half (the file exists,
//! no symlink below the folder, a regular file) runs on the loader worker
//! while it opens the file (`pd/open_file.rs`): checking first and opening
//! later could be raced.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Longest path `/load` accepts, in bytes (Linux's own PATH_MAX is 4096).
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest name of one folder or file in it (NAME_MAX).
pub const MAX_COMPONENT_BYTES: usize = 255;

/// Why a `/load` path from the network is refused before any file is touched.
#[derive(Clone, Debug, PartialEq)]
pub enum PathError {
    /// The object has no `-sounds` folder.
    NoFolderAllowed,
    /// Longer than `MAX_PATH_BYTES`: its length in bytes.
    TooLong(usize),
    /// Not plain and relative (`..`, `.`, absolute, NUL, a long name): its first 80 characters.
    NotPlain(String),
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PathError::NoFolderAllowed => {
                f.write_str("no folder is allowed for /load: give the object -sounds <folder>")
            }
            PathError::TooLong(n) => write!(f, "a /load path of {n} bytes (at most {MAX_PATH_BYTES})"),
            PathError::NotPlain(shown) => write!(
                f,
                "'{shown}': /load takes a plain relative path (no '..', no '.', no leading '/', names up to {MAX_COMPONENT_BYTES} bytes)"
            ),
        }
    }
}

/// Whether a `/load` path from the network may be tried at all.
pub fn check_network_path(requested: &str, any_folder_allowed: bool) -> Result<(), PathError> {
    if !any_folder_allowed {
        return Err(PathError::NoFolderAllowed);
    }
    if requested.len() > MAX_PATH_BYTES {
        return Err(PathError::TooLong(requested.len()));
    }
    let path = Path::new(requested);
    let plain = path.components().all(|c| matches!(c, Component::Normal(n) if n.len() <= MAX_COMPONENT_BYTES));
    if requested.is_empty() || requested.contains('\0') || !plain {
        return Err(PathError::NotPlain(requested.chars().take(80).collect()));
    }
    Ok(())
}

pub fn resolve_for_patch(requested: &str, patch_dir: &Path) -> PathBuf {
    let path = Path::new(requested);
    if path.is_absolute() { path.to_path_buf() } else { patch_dir.join(path) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_paths_are_plain_and_relative() {
        assert!(check_network_path("kit/kick.wav", true).is_ok());
        assert!(check_network_path("kick.wav", true).is_ok());
        let long_name = "x".repeat(MAX_COMPONENT_BYTES + 1);
        let long_path = "a/".repeat(MAX_PATH_BYTES / 2 + 1);
        for bad in
            ["../secret.wav", "/etc/passwd", "kit/../../secret.wav", "", "./kick.wav", "a\0b", &long_name, &long_path]
        {
            assert!(check_network_path(bad, true).is_err(), "{bad} accepted");
        }
        assert_eq!(
            check_network_path("kit/kick.wav", false),
            Err(PathError::NoFolderAllowed),
            "nothing allowed by default"
        );
        assert_eq!(check_network_path("../x", true), Err(PathError::NotPlain("../x".into())));
        assert!(PathError::NoFolderAllowed.to_string().contains("-sounds"));
    }
}
