//! Every C entry point Pd calls (but the perform routine, in `perform.rs`):
//! class setup, new, free, the methods and the clock callbacks. Each does the
//! same steps: catch panics → check the object's `Life` (alive, not borrowed,
//! not looped too deep) → borrow the state → call a handler → end the borrow →
//! emit the handler's outputs (`emit.rs`). No `&mut State` is alive while an
//! outlet runs patch code, so that code may delete the object or send it
//! messages.

use super::atoms;
use super::bindings::t_signal;
use super::emit::{self, Life, Out, Refusal};
use super::ffi;
use super::object::{self, PdParts};
use super::perform;
use super::reports;
use super::state::{FsyncTilde, State};
use super::worker;
use pd_sys::{_class as t_class, t_atom, t_atomtype, t_object, t_symbol};
use std::os::raw::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

static mut CLASS: *mut t_class = std::ptr::null_mut();

fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// The object's `Life`, shared (the emitter keeps it past a `free`).
fn life_of(this: *mut FsyncTilde) -> Option<Rc<Life>> {
    // SAFETY: Pd passes back the object it created and has not freed (Pd calls
    // no method of a freed object); `life` is set in new and cleared in free.
    let raw = unsafe { (*this).life };
    if raw.is_null() {
        return None;
    }
    // SAFETY: `raw` came from Rc::into_raw and the object still holds that count;
    // we add one for the clone we return.
    unsafe {
        Rc::increment_strong_count(raw);
        Some(Rc::from_raw(raw))
    }
}

/// Runs `handler` on the object's state, then emits what it returns.
fn with_state(this: *mut FsyncTilde, what: &str, handler: impl FnOnce(&mut State) -> Vec<Out>) {
    enter(this, what, true, handler)
}

/// As `with_state`; `refuse_loops`: false for `dsp`, which must always add the
/// perform routine (Pd would leave our outlets' buffers unwritten otherwise).
fn enter(this: *mut FsyncTilde, what: &str, refuse_loops: bool, handler: impl FnOnce(&mut State) -> Vec<Out>) {
    let owner = this as *mut t_object;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let life = life_of(this)?;
        match life.may_enter() {
            Ok(()) => {}
            Err(Refusal::Dead) => return None,
            Err(Refusal::Busy) => {
                emit::error(owner, &format!("{what}: refused (the object is busy with another message; no re-entry)"));
                return None;
            }
            Err(Refusal::Loop { .. }) if !refuse_loops => {}
            Err(Refusal::Loop { first }) => {
                if first {
                    emit::error(
                        owner,
                        &format!(
                            "{what}: refused: messages from fsync~'s outlet came back into it more than {} deep (a loop in the patch?)",
                            emit::MAX_NESTING
                        ),
                    );
                }
                return None;
            }
        }
        // SAFETY: state is set in new and cleared only in free (which marks the
        // Life dead, checked above); `borrowed` guarantees this is the only
        // reference to it until set_borrowed(false).
        let state = unsafe { (*this).state.as_mut() }?;
        let status_out = state.status_out;
        life.set_borrowed(true);
        let outs = catch_unwind(AssertUnwindSafe(|| handler(state)));
        life.set_borrowed(false);
        let outs = outs.unwrap_or_else(|panic| {
            vec![Out::Error(format!("internal error in {what} (please report): {}", panic_text(panic)))]
        });
        Some((life, status_out, outs))
    }));
    match result {
        Ok(Some((life, status_out, outs))) => {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| emit::emit(&life, owner, status_out, outs)))
                && !life.is_dead()
            {
                emit::error(owner, &format!("internal error in {what} output (please report): {}", panic_text(panic)));
            }
        }
        Ok(None) => {}
        Err(panic) => emit::error(owner, &format!("internal error in {what} (please report): {}", panic_text(panic))),
    }
}

unsafe extern "C" fn new(_s: *mut t_symbol, argc: c_int, argv: *mut t_atom) -> *mut std::ffi::c_void {
    // SAFETY: CLASS was set in setup before Pd can call new.
    let this = unsafe { pd_sys::pd_new(CLASS) } as *mut FsyncTilde;
    let made = catch_unwind(AssertUnwindSafe(|| {
        let (settings, net, errors) = object::parse_flags(&atoms::from_pd(argc, argv));
        for e in &errors {
            emit::error(this as *mut t_object, e);
        }
        // SAFETY: a freshly allocated object of our class: outlets and clocks are ours;
        // the clock callbacks take the object pointer they were given here.
        let parts = unsafe {
            let obj = (&raw mut (*this).obj).cast::<t_object>();
            for _ in 0..settings.channels {
                pd_sys::outlet_new(obj, ffi::signal_symbol());
            }
            let clock = |f: unsafe extern "C" fn(*mut FsyncTilde)| {
                pd_sys::clock_new(
                    this as *mut _,
                    std::mem::transmute::<unsafe extern "C" fn(*mut FsyncTilde), pd_sys::t_method>(f),
                )
            };
            PdParts {
                status_out: pd_sys::outlet_new(obj, std::ptr::null_mut()),
                report_clock: clock(on_report_clock),
                forward_clock: clock(on_forward_clock),
                load_clock: clock(on_load_clock),
            }
        };
        let state = object::new(settings, net, parts);
        // SAFETY: as above; Pd zeroed the struct, these are our fields.
        unsafe {
            (*this).state = Box::into_raw(Box::new(state));
            (*this).life = Rc::into_raw(Life::new());
        }
    }));
    if let Err(panic) = made {
        emit::error(
            this as *mut t_object,
            &format!("internal error in creation (please report): {}", panic_text(panic)),
        );
        // SAFETY: creation failed before anything was kept: give the memory back and tell Pd.
        // (free sees whatever was set and releases it.)
        unsafe { pd_sys::pd_free(this as *mut _) };
        return std::ptr::null_mut();
    }
    this as *mut _
}

unsafe extern "C" fn free(this: *mut FsyncTilde) {
    let freed = catch_unwind(AssertUnwindSafe(|| {
        // After free Pd releases the object's memory; it rebuilds the DSP chain
        // (g_graph.c glist_delete: pd_free, then canvas_update_dsp) before the next
        // tick, and no tick can run in between on Pd's single thread.
        // SAFETY: Pd calls free once, in its thread, on our object; the perform
        // routine never sees the dropped state (above).
        unsafe {
            let life = std::mem::replace(&mut (*this).life, std::ptr::null());
            if !life.is_null() {
                // The object's own count goes; an emitter up the stack may still hold one.
                let life = Rc::from_raw(life);
                life.mark_dead();
            }
            let state = std::mem::replace(&mut (*this).state, std::ptr::null_mut());
            if !state.is_null() {
                // No handler holds it: handlers make no Pd call that could free us,
                // and emitting happens after their borrow ended.
                object::free(Box::from_raw(state));
            }
        }
    }));
    if let Err(panic) = freed {
        emit::error(std::ptr::null_mut(), &format!("internal error in free (please report): {}", panic_text(panic)));
    }
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
    enter(this, "dsp", false, |state| {
        perform::dsp(state, sp);
        Vec::new()
    });
}

unsafe extern "C" fn on_report_clock(this: *mut FsyncTilde) {
    with_state(this, "report", reports::drain);
}

unsafe extern "C" fn on_forward_clock(this: *mut FsyncTilde) {
    with_state(this, "forward", reports::forward_due);
}

unsafe extern "C" fn on_load_clock(this: *mut FsyncTilde) {
    with_state(this, "load", reports::poll_loads);
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
type New = unsafe extern "C" fn(*mut t_symbol, c_int, *mut t_atom) -> *mut std::ffi::c_void;
type NewAsPd = unsafe extern "C" fn() -> *mut std::ffi::c_void;

// class_new (class_new64 in pd64) and class_addfloat are macros in m_pd.h: the C
// shim applies them; without Pd's headers (no shim) the same choice in Rust.
#[cfg(fsync_c_shim)]
use super::bindings::{fsync_class_addfloat as class_addfloat, fsync_class_new_gimme as class_new_gimme};
#[cfg(not(fsync_c_shim))]
use pd_sys::class_doaddfloat as class_addfloat;

#[cfg(not(fsync_c_shim))]
unsafe fn class_new_gimme(
    name: *mut t_symbol,
    new: pd_sys::t_newmethod,
    free: pd_sys::t_method,
    size: usize,
    flags: c_int,
) -> *mut t_class {
    #[cfg(not(feature = "pd64"))]
    use super::bindings::class_new;
    #[cfg(feature = "pd64")]
    use super::bindings::class_new64 as class_new;
    // SAFETY: the caller's arguments, with the A_GIMME argument list C externals pass.
    unsafe {
        class_new(name, new, free, size, flags, pd_sys::t_atomtype::A_GIMME as _, pd_sys::t_atomtype::A_NULL as c_int)
    }
}

pub fn setup() {
    super::arrays::setup();
    if !worker::start() {
        emit::error(std::ptr::null_mut(), "no worker thread could be started: load and /load will fail");
    }
    // SAFETY: called once by Pd at load time, in Pd's thread; all pointers are
    // Pd's own statics or our functions with the declared signatures.
    unsafe {
        let class = class_new_gimme(
            atoms::gensym("fsync~"),
            Some(std::mem::transmute::<New, NewAsPd>(new)),
            method!(free, unsafe extern "C" fn(*mut FsyncTilde)),
            std::mem::size_of::<FsyncTilde>(),
            pd_sys::CLASS_DEFAULT as c_int,
        );
        if class.is_null() {
            // A Pd of the other float size refuses the class (and says so).
            emit::post(concat!(
                "fsync~ ",
                env!("CARGO_PKG_VERSION"),
                ": not loaded (this Pd's float size differs from this build's)"
            ));
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
        emit::post(concat!("fsync~ ", env!("CARGO_PKG_VERSION"), ": sample-accurate playback at OSC timetags"));
    }
}
