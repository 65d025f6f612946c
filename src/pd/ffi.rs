//! What pd-sys lacks but Pd 0.53 exports (checked with `nm -D /usr/bin/pd`).

use crate::core::time::units::LogicalMs;
use pd_sys::{t_pd, t_symbol};

/// The start of Pd's `struct _class` (m_imp.h; unchanged since Pd 0.3x): only
/// the name is read, to tell a bindlist from other things bound to a symbol.
#[repr(C)]
pub struct ClassHead {
    pub c_name: *mut t_symbol,
}

/// m_pd.c's `t_bindelem`: one object bound to a symbol that has several.
/// Only these two leading fields are read (some Pd forks add fields after them).
#[repr(C)]
pub struct BindElem {
    pub e_who: *mut t_pd,
    pub e_next: *mut BindElem,
}

/// m_pd.c's `t_bindlist` up to Pd 0.56: what a symbol's `s_thing` is when several objects are
/// bound to it (an array and a `[r name]`, say).
#[repr(C)]
pub struct BindList {
    pub b_pd: t_pd,
    pub b_list: *mut BindElem,
}

/// m_pd.c's `t_bindlist` from Pd 0.57 on: the bound objects as a vector, newest
/// first (pd_findbyclass takes the last array found, as with the list).
#[repr(C)]
pub struct BindVector {
    pub b_pd: t_pd,
    pub b_vec: *mut *mut t_pd,
    pub b_n: std::os::raw::c_int,
}

// What pd-sys lacks or gets wrong (garray_class, get_sys_schedadvance, &s_signal, …)
// comes from build.rs's bindings for the target and float size being built.
pub use super::bindings::{array_class, get_sys_schedadvance, signal_symbol};

/// Pd's time unit: 1 ms = 32·441 units (m_sched.c, TIMEUNITPERMSEC).
pub const TIME_UNITS_PER_MS: f64 = 32.0 * 441.0;

/// The top-level scheduler tick in samples (DEFDACBLKSIZE).
pub const TICK_SAMPLES: f64 = 64.0;

/// Current Pd logical time.
pub fn logical_time() -> LogicalMs {
    // SAFETY: reads Pd's scheduler time; Pd calls us only from its own thread.
    LogicalMs(unsafe { pd_sys::clock_getlogicaltime() } / TIME_UNITS_PER_MS)
}

/// The system clock as unix seconds (clock_gettime(CLOCK_REALTIME), a vDSO read
/// on Linux: no system call, no allocation).
pub fn wall_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// The monotonic clock (s since this library first read it): never stepped
/// by NTP (CLOCK_MONOTONIC on Linux, a vDSO read like `wall_s`).
pub fn mono_s() -> f64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(std::time::Instant::now).elapsed().as_secs_f64()
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
