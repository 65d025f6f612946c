//! Class registration and the C entry points Pd calls. Each entry point
//! catches panics so a bug here never unwinds into Pd's C code.

use super::atoms;
use super::object::{self, FsyncTilde, State};
use super::output;
use super::perform;
use super::bindings::t_signal;
use pd_sys::{_class as t_class, t_atom, t_atomtype, t_symbol};
use std::os::raw::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};

static mut CLASS: *mut t_class = std::ptr::null_mut();

/// Runs `f`, turning a panic into a console error.
pub fn guarded(this: *mut FsyncTilde, what: &str, f: impl FnOnce()) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(f)) {
        let text = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
        FsyncTilde::error(this, &format!("internal error in {what} (please report): {text}"));
    }
}

/// Runs `f` on the object's state, if it has one.
fn with_state(this: *mut FsyncTilde, what: &str, f: impl FnOnce(&mut State)) {
    guarded(this, what, || {
        // SAFETY: Pd passes back the object it created; state is set in new and
        // cleared only in free; Pd is single-threaded, so no other reference is live.
        if let Some(state) = unsafe { (*this).state.as_mut() } {
            f(state)
        }
    });
}

unsafe extern "C" fn new(_s: *mut t_symbol, argc: c_int, argv: *mut t_atom) -> *mut std::ffi::c_void {
    // SAFETY: CLASS was set in setup before Pd can call new.
    let this = unsafe { pd_sys::pd_new(CLASS) } as *mut FsyncTilde;
    guarded(this, "creation", || object::new(this, &atoms::from_pd(argc, argv)));
    // SAFETY: freshly created object.
    if unsafe { (*this).state.is_null() } {
        // SAFETY: creation failed; give the memory back and tell Pd.
        unsafe { pd_sys::pd_free(this as *mut _) };
        return std::ptr::null_mut();
    }
    this as *mut _
}

unsafe extern "C" fn free(this: *mut FsyncTilde) {
    guarded(this, "free", || object::free(this));
}

unsafe extern "C" fn list(this: *mut FsyncTilde, _s: *mut t_symbol, argc: c_int, argv: *mut t_atom) {
    with_state(this, "list", |state| object::list(state, argc, argv));
}

unsafe extern "C" fn float(this: *mut FsyncTilde, f: pd_sys::t_float) {
    let atom = atoms::float(f);
    with_state(this, "float", |state| object::list(state, 1, &atom));
}

unsafe extern "C" fn bang(this: *mut FsyncTilde) {
    with_state(this, "bang", |state| object::list(state, 0, std::ptr::null()));
}

unsafe extern "C" fn anything(this: *mut FsyncTilde, s: *mut t_symbol, argc: c_int, argv: *mut t_atom) {
    with_state(this, "message", |state| object::control(state, s, argc, argv));
}

unsafe extern "C" fn dsp(this: *mut FsyncTilde, sp: *mut *mut t_signal) {
    with_state(this, "dsp", |state| perform::dsp(state, sp));
}

pub unsafe extern "C" fn on_report_clock(this: *mut FsyncTilde) {
    with_state(this, "report", output::drain_reports);
}

pub unsafe extern "C" fn on_forward_clock(this: *mut FsyncTilde) {
    with_state(this, "forward", output::forward_due);
}

pub unsafe extern "C" fn on_load_clock(this: *mut FsyncTilde) {
    with_state(this, "load", super::loader::poll);
}

/// Casts a typed C function to Pd's untyped method pointer (inside `setup`'s
/// unsafe block: sound because Pd calls each method with the argument list
/// declared next to it).
macro_rules! method {
    ($f:expr, $t:ty) => {
        std::mem::transmute::<$t, pd_sys::t_method>($f)
    };
}

type Gimme = unsafe extern "C" fn(*mut FsyncTilde, *mut t_symbol, c_int, *mut t_atom);

// class_new (class_new64 in pd64) and class_addfloat are macros in m_pd.h: the C
// shim applies them; without Pd's headers (no shim) the same choice in Rust.
#[cfg(fsync_c_shim)]
use super::bindings::{fsync_class_addfloat as class_addfloat, fsync_class_new_gimme as class_new_gimme};
#[cfg(not(fsync_c_shim))]
use pd_sys::class_doaddfloat as class_addfloat;

#[cfg(not(fsync_c_shim))]
unsafe fn class_new_gimme(name: *mut t_symbol, new: pd_sys::t_newmethod, free: pd_sys::t_method, size: usize, flags: c_int) -> *mut t_class {
    #[cfg(feature = "pd64")]
    use super::bindings::class_new64 as class_new;
    #[cfg(not(feature = "pd64"))]
    use super::bindings::class_new;
    // SAFETY: the caller's arguments, with the A_GIMME argument list C externals pass.
    unsafe { class_new(name, new, free, size, flags, pd_sys::t_atomtype::A_GIMME as _, pd_sys::t_atomtype::A_NULL as c_int) }
}

pub fn setup() {
    // SAFETY: called once by Pd at load time, in Pd's thread; all pointers are
    // Pd's own statics or our functions with the declared signatures.
    unsafe {
        let class = class_new_gimme(
            atoms::gensym("fsync~"),
            Some(std::mem::transmute::<unsafe extern "C" fn(*mut t_symbol, c_int, *mut t_atom) -> *mut std::ffi::c_void, unsafe extern "C" fn() -> *mut std::ffi::c_void>(new)),
            method!(free, unsafe extern "C" fn(*mut FsyncTilde)),
            std::mem::size_of::<FsyncTilde>(),
            pd_sys::CLASS_DEFAULT as c_int,
        );
        if class.is_null() {
            // A Pd of the other float size refuses the class (and says so).
            FsyncTilde::post(concat!("fsync~ ", env!("CARGO_PKG_VERSION"), ": not loaded (this Pd's float size differs from this build's)"));
            return;
        }
        CLASS = class;
        pd_sys::class_addlist(class, method!(list, Gimme));
        class_addfloat(class, method!(float, unsafe extern "C" fn(*mut FsyncTilde, pd_sys::t_float)));
        pd_sys::class_addbang(class, method!(bang, unsafe extern "C" fn(*mut FsyncTilde)));
        pd_sys::class_addanything(class, method!(anything, Gimme));
        pd_sys::class_addmethod(
            class,
            method!(dsp, unsafe extern "C" fn(*mut FsyncTilde, *mut *mut t_signal)),
            atoms::gensym("dsp"),
            t_atomtype::A_CANT,
            t_atomtype::A_NULL,
        );
        FsyncTilde::post(concat!("fsync~ ", env!("CARGO_PKG_VERSION"), ": sample-accurate playback at OSC timetags"));
    }
}
