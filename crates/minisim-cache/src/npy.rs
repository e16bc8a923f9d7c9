//! `.npy` encoding with checks: numpy dtype strings, header parsing for precise
//! dtype/shape/size errors before the data is decoded.

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{ReadNpyExt, ReadableElement, WritableElement, WriteNpyExt};

use crate::error::CacheError;

/// Element types minisim stores, with their numpy descr (little-endian).
pub trait Element: ReadableElement + WritableElement + Clone {
    /// numpy `descr`, e.g. `<u2`.
    const DESCR: &'static str;
    /// Bytes per element.
    const SIZE: usize;
}

macro_rules! element {
    ($t:ty, $d:literal) => {
        impl Element for $t {
            const DESCR: &'static str = $d;
            const SIZE: usize = std::mem::size_of::<$t>();
        }
    };
}
element!(u16, "<u2");
element!(f32, "<f4");
element!(f64, "<f8");
element!(i32, "<i4");
element!(i64, "<i8");
element!(u32, "<u4");
element!(bool, "|b1");

/// Encode an array as `.npy` bytes (C order).
pub fn encode<A: WriteNpyExt>(array: &A) -> Vec<u8> {
    let mut bytes = Vec::new();
    array
        .write_npy(&mut bytes)
        .expect("writing to memory cannot fail");
    bytes
}

/// What an `.npy` header says.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// numpy descr.
    pub descr: String,
    /// Fortran order flag.
    pub fortran: bool,
    /// Shape.
    pub shape: Vec<usize>,
    /// Offset of the data.
    pub data_offset: usize,
}

/// Parse the header of `.npy` bytes; `None` if it is not an `.npy` file.
pub fn header(bytes: &[u8]) -> Option<Header> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return None;
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return None;
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        _ => return None,
    };
    let text = std::str::from_utf8(bytes.get(start..start + len)?).ok()?;
    let field = |key: &str| -> Option<&str> {
        let at = text.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
        Some(rest)
    };
    let descr = field("descr")?.strip_prefix('\'')?;
    let descr = &descr[..descr.find('\'')?];
    let fortran = field("fortran_order")?.starts_with("True");
    let shape_text = field("shape")?.strip_prefix('(')?;
    let shape_text = &shape_text[..shape_text.find(')')?];
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<usize>>>()?;
    Some(Header {
        descr: descr.to_owned(),
        fortran,
        shape,
        data_offset: start + len,
    })
}

/// Decode `.npy` bytes of file `file` in `entry`, checking dtype, shape and size
/// against the manifest's `descr` and `shape` first.
pub fn decode<T: Element>(
    bytes: &[u8],
    entry: &Path,
    file: &str,
    descr: &str,
    shape: &[usize],
) -> Result<ArrayD<T>, CacheError> {
    if descr != T::DESCR {
        return Err(CacheError::DtypeMismatch {
            entry: entry.to_owned(),
            file: file.to_owned(),
            expected: T::DESCR.to_owned(),
            found: descr.to_owned(),
        });
    }
    let h = header(bytes).ok_or_else(|| CacheError::Inconsistent {
        entry: entry.to_owned(),
        reason: format!("{file} is not an .npy file"),
    })?;
    if h.descr != descr {
        return Err(CacheError::DtypeMismatch {
            entry: entry.to_owned(),
            file: file.to_owned(),
            expected: descr.to_owned(),
            found: h.descr,
        });
    }
    if h.shape != shape {
        return Err(CacheError::ShapeMismatch {
            entry: entry.to_owned(),
            file: file.to_owned(),
            expected: shape.to_vec(),
            found: h.shape,
        });
    }
    let expected = (h.data_offset + shape.iter().product::<usize>() * T::SIZE) as u64;
    if bytes.len() as u64 != expected {
        return Err(CacheError::SizeMismatch {
            entry: entry.to_owned(),
            file: file.to_owned(),
            expected,
            found: bytes.len() as u64,
        });
    }
    ArrayD::<T>::read_npy(bytes).map_err(|e| CacheError::Inconsistent {
        entry: entry.to_owned(),
        reason: format!("{file}: {e}"),
    })
}

/// Reshape a dynamic array to a fixed dimension (shapes were already checked).
pub fn fixed<T, D: ndarray::Dimension>(a: ArrayD<T>) -> ndarray::Array<T, D> {
    a.into_dimensionality::<D>()
        .expect("shape checked against the manifest")
}

/// An empty dynamic array of the given shape (for optional arrays).
pub fn empty<T: Clone + Default>(shape: &[usize]) -> ArrayD<T> {
    ArrayD::from_elem(IxDyn(shape), T::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;

    #[test]
    fn header_round_trip() {
        let a = Array3::<u16>::zeros((3, 4, 5));
        let bytes = encode(&a);
        let h = header(&bytes).unwrap();
        assert_eq!(h.descr, "<u2");
        assert_eq!(h.shape, vec![3, 4, 5]);
        assert!(!h.fortran);
        assert_eq!(bytes.len(), h.data_offset + 60 * 2);
        let one = encode(&ndarray::Array1::<f64>::zeros(7));
        assert_eq!(header(&one).unwrap().shape, vec![7]);
    }
}
