//! What pd-sys lacks (`garray_class`, `get_sys_schedadvance`, …) comes from
//! build.rs's bindings for the target and float size being built.

pub use super::bindings::{array_class, get_sys_schedadvance, signal_symbol};

/// Pd's time unit: 1 ms = 32·441 units (m_sched.c, TIMEUNITPERMSEC).
pub const TIME_UNITS_PER_MS: f64 = 32.0 * 441.0;

/// The top-level scheduler tick in samples (DEFDACBLKSIZE).
pub const TICK_SAMPLES: f64 = 64.0;

/// Current Pd logical time in ms.
pub fn logical_ms() -> f64 {
    // SAFETY: reads Pd's scheduler time; Pd calls us only from its own thread.
    unsafe { pd_sys::clock_getlogicaltime() / TIME_UNITS_PER_MS }
}

/// The system clock as unix seconds (clock_gettime(CLOCK_REALTIME), a vDSO read
/// on Linux: no system call, no allocation).
pub fn wall_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Pd's own audio lead, the default latency compensation.
pub fn schedadvance_ms() -> f64 {
    // SAFETY: Pd returns the address of its global `sys_schedadvance` (never null
    // in 0.53; checked anyway), read in Pd's own thread.
    unsafe {
        let advance = get_sys_schedadvance();
        if advance.is_null() { 0.0 } else { *advance as f64 / 1000.0 }
    }
}
