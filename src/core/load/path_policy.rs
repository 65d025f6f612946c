//! Which files a `/load` may read. A packet comes from the network and is
//! untrusted: it may only name a file inside a folder the patch allowed
//! (`-sounds <dir>`), by a relative path that stays inside it. The patch's own
//! `load` message is trusted like any Pd message (absolute or relative to the patch).

use std::path::{Component, Path, PathBuf};

pub fn resolve_for_network(requested: &str, allowed: &[PathBuf]) -> Result<PathBuf, String> {
    if allowed.is_empty() {
        return Err("no folder is allowed for /load: give the object -sounds <folder>".to_string());
    }
    let path = Path::new(requested);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    if requested.is_empty() || !plain {
        return Err(format!("'{requested}': /load takes a plain relative path (no '..', no leading '/')"));
    }
    for folder in allowed {
        let candidate = folder.join(path);
        // Canonicalize both, so a symlink inside the folder cannot lead outside it.
        if let (Ok(real), Ok(root)) = (candidate.canonicalize(), folder.canonicalize()) {
            if real.starts_with(&root) && real.is_file() {
                return Ok(real);
            }
            if real.is_file() {
                return Err(format!("'{requested}' leads outside the allowed folders"));
            }
        }
    }
    Err(format!("'{requested}' is not a file in the allowed folders"))
}

pub fn resolve_for_patch(requested: &str, patch_dir: &Path) -> PathBuf {
    let path = Path::new(requested);
    if path.is_absolute() { path.to_path_buf() } else { patch_dir.join(path) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_paths_stay_inside_allowed_folders() {
        let base = std::env::temp_dir().join(format!("fsync-pp-{}", std::process::id()));
        let allowed = base.join("sounds");
        std::fs::create_dir_all(allowed.join("kit")).unwrap();
        std::fs::write(allowed.join("kit/kick.wav"), b"x").unwrap();
        std::fs::write(base.join("secret.wav"), b"x").unwrap();
        std::os::unix::fs::symlink(base.join("secret.wav"), allowed.join("link.wav")).unwrap();
        let ok = resolve_for_network("kit/kick.wav", &[allowed.clone()]).unwrap();
        assert!(ok.ends_with("kit/kick.wav"));
        for bad in ["../secret.wav", "/etc/passwd", "kit/../../secret.wav", "", "link.wav", "nothere.wav", "kit"] {
            assert!(resolve_for_network(bad, &[allowed.clone()]).is_err(), "{bad} accepted");
        }
        assert!(resolve_for_network("kit/kick.wav", &[]).is_err(), "nothing allowed by default");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
