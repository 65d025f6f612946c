//! The only module that calls outlets (and writes to Pd's console for the
//! object). Handlers never do: they take `&mut State`, return a `Vec<Out>`, and
//! the borrow ends before anything here runs (see `entry.rs`).
//!
//! Why: an outlet call runs patch code synchronously, and that code may
//! - delete the object (`[; pd-sub clear(` on the status outlet): Pd frees the
//!   object's memory and our `State` before the outlet call returns;
//! - send a message back into the same object: a second handler runs while
//!   we are still emitting.
//!
//! The design: every object owns a [`Life`], a small cell allocated apart from
//! the object (reference-counted, so it outlives the object while an emitter
//! holds it). `free` marks it dead. Between two outlet calls the emitter looks
//! only at its own reference to the `Life`: dead → the rest is dropped without
//! touching the object, its outlet or its state. The `Life` also says whether
//! a handler holds `&mut State` right now (`borrowed`: a message arriving then
//! is refused, never given a second `&mut State`) and how deeply messages
//! from our outlet came back in (`depth`: a loop is cut off with one error).

use super::atoms::gensym;
use pd_sys::{_outlet as t_outlet, t_atom, t_object, t_symbol};
use std::cell::Cell;
use std::rc::Rc;

/// How deeply messages sent from our outlet may come back into the same object
/// (each level is a handler on the C stack): enough for answers that go back
/// in (`packet` → inlet), small enough to cut an endless loop long before
/// Pd's own stack-overflow check.
pub const MAX_NESTING: u32 = 16;

/// What a handler asks to go out, in order.
pub enum Out {
    /// A message on the status outlet.
    Status { selector: *mut t_symbol, args: Vec<t_atom> },
    /// A console error naming the object (clickable in Pd's window).
    Error(String),
    /// A console line.
    Post(String),
}

impl Out {
    pub fn status(selector: &str, args: Vec<t_atom>) -> Out {
        Out::Status { selector: gensym(selector), args }
    }
}

/// The object's lifetime and re-entrancy state, apart from Pd's memory.
#[derive(Default)]
pub struct Life {
    dead: Cell<bool>,
    borrowed: Cell<bool>,
    depth: Cell<u32>,
    /// The loop error is printed once per outermost message.
    loop_reported: Cell<bool>,
}

/// Why a message was not handled.
pub enum Refusal {
    Dead,
    /// A handler holds the state (a Pd call inside a handler came back to us).
    Busy,
    /// Messages from our outlet came back more than `MAX_NESTING` deep.
    Loop {
        first: bool,
    },
}

impl Life {
    pub fn new() -> Rc<Life> {
        Rc::new(Life::default())
    }

    pub fn mark_dead(&self) {
        self.dead.set(true);
    }

    pub fn is_dead(&self) -> bool {
        self.dead.get()
    }

    /// Whether a handler may borrow the state now.
    pub fn may_enter(&self) -> Result<(), Refusal> {
        if self.dead.get() {
            return Err(Refusal::Dead);
        }
        if self.borrowed.get() {
            return Err(Refusal::Busy);
        }
        if self.depth.get() >= MAX_NESTING {
            let first = !self.loop_reported.replace(true);
            return Err(Refusal::Loop { first });
        }
        Ok(())
    }

    pub fn set_borrowed(&self, borrowed: bool) {
        self.borrowed.set(borrowed);
    }
}

/// Outputs `outs` in order on `outlet` of `owner`, stopping as soon as the
/// object is freed by what an output set off.
///
/// `owner` and `outlet` are used only while `life` says the object is alive;
/// the caller holds no reference into the object's state.
pub fn emit(life: &Rc<Life>, owner: *mut t_object, outlet: *mut t_outlet, outs: Vec<Out>) {
    if outs.is_empty() {
        return;
    }
    /// Restores the depth however `emit` ends (only our own Rc is touched: the
    /// object may be gone by then).
    struct Nested<'a>(&'a Life, u32);
    impl Drop for Nested<'_> {
        fn drop(&mut self) {
            self.0.depth.set(self.1);
            if self.1 == 0 {
                self.0.loop_reported.set(false);
            }
        }
    }
    let depth = life.depth.get();
    life.depth.set(depth + 1);
    let _nested = Nested(life, depth);
    for out in outs {
        if life.is_dead() {
            break; // the rest is dropped: there is no one left to send it
        }
        match out {
            Out::Status { selector, mut args } => {
                // SAFETY: the object is alive (checked just above, and nothing ran
                // since), so its outlet is; Pd's thread; the atoms live for the call.
                unsafe { pd_sys::outlet_anything(outlet, selector, args.len() as i32, args.as_mut_ptr()) }
            }
            Out::Error(text) => error(owner, &text),
            Out::Post(text) => post(&text),
        }
    }
}

/// Console error naming the object, clickable in Pd's window.
pub fn error(owner: *mut t_object, text: &str) {
    let c = std::ffi::CString::new(format!("fsync~: {}", text.replace('\0', ""))).unwrap_or_default();
    // SAFETY: `owner` is a live Pd object (or null, which pd_error accepts);
    // "%s" with a valid C string.
    unsafe { pd_sys::pd_error(owner as *const _, c"%s".as_ptr(), c.as_ptr()) };
}

pub fn post(text: &str) {
    let c = std::ffi::CString::new(text.replace('\0', "")).unwrap_or_default();
    // SAFETY: "%s" with a valid C string.
    unsafe { pd_sys::post(c"%s".as_ptr(), c.as_ptr()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn life_refuses_dead_borrowed_and_looped() {
        let life = Life::new();
        assert!(life.may_enter().is_ok());
        life.set_borrowed(true);
        assert!(matches!(life.may_enter(), Err(Refusal::Busy)));
        life.set_borrowed(false);
        life.depth.set(MAX_NESTING);
        assert!(matches!(life.may_enter(), Err(Refusal::Loop { first: true })));
        assert!(matches!(life.may_enter(), Err(Refusal::Loop { first: false })), "said once");
        life.depth.set(0);
        life.mark_dead();
        assert!(matches!(life.may_enter(), Err(Refusal::Dead)));
        // (emit itself calls Pd: it is tested in real Pd, tests/pd_valgrind.rs.)
    }
}
