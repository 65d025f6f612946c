//! Turning a Pd list of byte floats (as `[netreceive -u -b]` and `[udpreceive]`
//! emit one datagram) back into bytes, refusing anything that is not one.

use crate::core::atom::Atom;
use std::fmt;

/// Largest UDP payload (IPv4); a longer list cannot be one datagram.
pub const MAX_PACKET_BYTES: usize = 65_507;

#[derive(Clone, Debug, PartialEq)]
pub enum BytesError {
    Empty,
    TooLong(usize),
    NotAByte { index: usize, value: String },
}

impl fmt::Display for BytesError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            BytesError::Empty => write!(f, "empty list: an OSC packet has at least 4 bytes"),
            BytesError::TooLong(n) => {
                write!(f, "list of {n} values is longer than a UDP datagram ({MAX_PACKET_BYTES} bytes)")
            }
            BytesError::NotAByte { index, value } => {
                write!(f, "item {index} is {value}, not a byte (an integer 0..255)")
            }
        }
    }
}

pub fn bytes_from_atoms(atoms: &[Atom]) -> Result<Vec<u8>, BytesError> {
    if atoms.is_empty() {
        return Err(BytesError::Empty);
    }
    if atoms.len() > MAX_PACKET_BYTES {
        return Err(BytesError::TooLong(atoms.len()));
    }
    atoms
        .iter()
        .enumerate()
        .map(|(index, atom)| match *atom {
            Atom::Float(f) if f.fract() == 0.0 && (0.0..=255.0).contains(&f) => Ok(f as u8),
            _ => Err(BytesError::NotAByte { index, value: atom.describe() }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(v: &[f32]) -> Vec<Atom<'static>> {
        v.iter().map(|&f| Atom::Float(f)).collect()
    }

    #[test]
    fn accepts_bytes() {
        assert_eq!(bytes_from_atoms(&floats(&[0.0, 47.0, 255.0])), Ok(vec![0, 47, 255]));
    }

    #[test]
    fn refuses_what_is_not_a_byte() {
        for bad in [256.0, -1.0, 1.5, f32::NAN, f32::INFINITY] {
            let err = bytes_from_atoms(&floats(&[1.0, bad])).unwrap_err();
            assert!(matches!(err, BytesError::NotAByte { index: 1, .. }), "{bad}: {err:?}");
        }
        assert!(matches!(
            bytes_from_atoms(&[Atom::Float(1.0), Atom::Symbol("x")]),
            Err(BytesError::NotAByte { index: 1, .. })
        ));
        assert_eq!(bytes_from_atoms(&[]), Err(BytesError::Empty));
        assert_eq!(
            bytes_from_atoms(&floats(&vec![0.0; MAX_PACKET_BYTES + 1])),
            Err(BytesError::TooLong(MAX_PACKET_BYTES + 1))
        );
    }
}
