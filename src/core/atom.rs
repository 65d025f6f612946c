//! A Pd atom as the core sees it: the shell converts `t_atom`s into these.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Atom<'a> {
    Float(f32),
    Symbol(&'a str),
    /// Pointers and other atom types a network list can't carry.
    Other,
}

impl Atom<'_> {
    pub fn describe(&self) -> String {
        match self {
            Atom::Float(f) => format!("{f}"),
            Atom::Symbol(s) => format!("symbol '{s}'"),
            Atom::Other => "a non-number atom".to_string(),
        }
    }
}
