//! Sets of Pd arrays that play as one sound across the outlets (`arrays <name>
//! <array1> <array2> …`): what `[soundfiler] read -resize file.wav left right`
//! leaves in a patch. Defined by the patch only, never by the network.

use crate::core::limits::MAX_CHANNELS;
use std::fmt;

pub const MAX_SETS: usize = 256;

/// An `arrays` definition refused; the sets stay as they were.
#[derive(Clone, Debug, PartialEq)]
pub enum ArraySetError {
    /// More members than outlets can ever be: how many were given.
    TooManyMembers(usize),
    /// `MAX_SETS` sets exist already.
    TooManySets,
}

impl fmt::Display for ArraySetError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ArraySetError::TooManyMembers(n) => write!(f, "at most {MAX_CHANNELS} arrays in a set, not {n}"),
            ArraySetError::TooManySets => write!(f, "already {MAX_SETS} array sets"),
        }
    }
}

#[derive(Debug)]
pub struct ArraySets<K> {
    sets: Vec<(K, Vec<K>)>,
}

impl<K> Default for ArraySets<K> {
    fn default() -> Self {
        ArraySets { sets: Vec::new() }
    }
}

impl<K: Copy + PartialEq> ArraySets<K> {
    /// Defines or redefines `name`; no members removes it.
    pub fn define(&mut self, name: K, members: Vec<K>) -> Result<(), ArraySetError> {
        if members.len() > MAX_CHANNELS {
            return Err(ArraySetError::TooManyMembers(members.len()));
        }
        let existing = self.sets.iter().position(|(k, _)| *k == name);
        match (existing, members.is_empty()) {
            (Some(i), true) => {
                self.sets.remove(i);
            }
            (Some(i), false) => self.sets[i].1 = members,
            (None, true) => {}
            (None, false) if self.sets.len() >= MAX_SETS => return Err(ArraySetError::TooManySets),
            (None, false) => self.sets.push((name, members)),
        }
        Ok(())
    }

    pub fn get(&self, name: K) -> Option<&[K]> {
        self.sets.iter().find(|(k, _)| *k == name).map(|(_, m)| m.as_slice())
    }

    /// (name, members) of every set, for the console.
    pub fn iter(&self) -> impl Iterator<Item = (K, &[K])> {
        self.sets.iter().map(|(k, m)| (*k, m.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn define_redefine_remove() {
        let mut sets = ArraySets::default();
        sets.define("drums", vec!["l", "r"]).unwrap();
        assert_eq!(sets.get("drums"), Some(&["l", "r"][..]));
        sets.define("drums", vec!["m"]).unwrap();
        assert_eq!(sets.get("drums"), Some(&["m"][..]));
        sets.define("drums", vec![]).unwrap();
        assert_eq!(sets.get("drums"), None);
        assert_eq!(
            sets.define("big", vec!["x"; MAX_CHANNELS + 1]),
            Err(ArraySetError::TooManyMembers(MAX_CHANNELS + 1))
        );
        assert_eq!(sets.get("big"), None);
    }
}
