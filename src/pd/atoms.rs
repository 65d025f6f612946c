//! t_atom ⇄ core atoms and symbols.

use crate::core::atom::Atom;
use crate::core::input::command::ForwardAtom;
use pd_sys::{t_atom, t_atomtype, t_symbol, word};
use std::ffi::{CStr, CString};

/// Views Pd's argument vector as core atoms (borrowing symbol names).
pub fn from_pd<'a>(argc: std::os::raw::c_int, argv: *const t_atom) -> Vec<Atom<'a>> {
    if argv.is_null() || argc <= 0 {
        return Vec::new();
    }
    // SAFETY: Pd passes `argc` valid atoms at `argv` for the duration of the call;
    // symbol names are interned by Pd and never freed.
    let atoms = unsafe { std::slice::from_raw_parts(argv, argc as usize) };
    atoms
        .iter()
        .map(|a| match a.a_type {
            // SAFETY: the union field read matches the tag Pd set.
            // (pd64: t_float is f64; the core's atoms are f32.)
            t_atomtype::A_FLOAT => Atom::Float(unsafe { a.a_w.w_float } as f32),
            t_atomtype::A_SYMBOL => Atom::Symbol(symbol_name(unsafe { a.a_w.w_symbol })),
            _ => Atom::Other,
        })
        .collect()
}

pub fn symbol_name<'a>(s: *const t_symbol) -> &'a str {
    if s.is_null() {
        return "";
    }
    // SAFETY: Pd's symbols live until Pd exits and their names are NUL-terminated.
    unsafe { CStr::from_ptr((*s).s_name) }.to_str().unwrap_or("?")
}

/// Interns a name as a Pd symbol (control thread only: may allocate in Pd).
pub fn gensym(name: &str) -> *mut t_symbol {
    let c = CString::new(name.replace('\0', "")).unwrap_or_default();
    // SAFETY: a valid NUL-terminated string; gensym copies it.
    unsafe { pd_sys::gensym(c.as_ptr()) }
}

/// A float atom (t_float is f32, or f64 in pd64).
pub fn float(f: impl Into<f64>) -> t_atom {
    t_atom { a_type: t_atomtype::A_FLOAT, a_w: word { w_float: f.into() as pd_sys::t_float } }
}

pub fn symbol(s: *mut t_symbol) -> t_atom {
    t_atom { a_type: t_atomtype::A_SYMBOL, a_w: word { w_symbol: s } }
}

pub fn from_forward(args: &[ForwardAtom]) -> Vec<t_atom> {
    args.iter()
        .map(|a| match a {
            ForwardAtom::Float(f) => float(*f),
            ForwardAtom::Symbol(s) => symbol(gensym(s)),
        })
        .collect()
}
