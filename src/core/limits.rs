//! Bounds shared by several stages (a leaf: imports nothing).

/// Most channels a sound or the object can have (`-channels`, loaded files, array sets).
pub const MAX_CHANNELS: usize = 64;
