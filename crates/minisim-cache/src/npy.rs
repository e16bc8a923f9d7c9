//! `.npy` files of a recording: encoding through `minisim_io::npy`'s header, and
//! decoding that checks dtype, shape and size against the manifest before any data
//! is read into an array.

use std::path::Path;

use minisim_io::npy;
use minisim_render::{Dtype, TruthArray};
use ndarray::{ArrayD, CowArray, IxDyn};

use crate::error::CacheError;

/// The `.npy` header of an array (C order, version 1.0).
pub fn header(array: &TruthArray<'_>) -> Vec<u8> {
    let shape: Vec<u64> = array.shape().iter().map(|&d| d as u64).collect();
    npy::header(array.dtype().descr(), &shape)
}

/// Encode an array as `.npy` bytes (header and data).
pub fn encode(array: &TruthArray<'_>) -> Vec<u8> {
    let mut bytes = header(array);
    bytes.extend_from_slice(&array.le_bytes());
    bytes
}

/// Decode `.npy` bytes of file `file` in `entry` as `dtype`, checking the manifest's
/// `descr` and `shape` and the header against them and the file size first.
pub fn decode(
    bytes: &[u8],
    entry: &Path,
    file: &str,
    dtype: Dtype,
    descr: &str,
    shape: &[usize],
) -> Result<TruthArray<'static>, CacheError> {
    let mismatch = |expected: &str, found: &str| CacheError::DtypeMismatch {
        entry: entry.to_owned(),
        file: file.to_owned(),
        expected: expected.to_owned(),
        found: found.to_owned(),
    };
    if descr != dtype.descr() {
        return Err(mismatch(dtype.descr(), descr));
    }
    let h = npy::parse(bytes).ok_or_else(|| CacheError::Inconsistent {
        entry: entry.to_owned(),
        reason: format!("{file} is not an .npy file"),
    })?;
    if h.descr != descr {
        return Err(mismatch(descr, &h.descr));
    }
    if h.shape != shape {
        return Err(CacheError::ShapeMismatch {
            entry: entry.to_owned(),
            file: file.to_owned(),
            expected: shape.to_vec(),
            found: h.shape,
        });
    }
    let expected = h.file_len(dtype.size()).unwrap_or(u64::MAX);
    if bytes.len() as u64 != expected || h.fortran {
        return Err(CacheError::SizeMismatch {
            entry: entry.to_owned(),
            file: file.to_owned(),
            expected,
            found: bytes.len() as u64,
        });
    }
    let data = &bytes[h.data_offset..];
    let bad = || CacheError::Inconsistent {
        entry: entry.to_owned(),
        reason: format!("{file}: data does not fill shape {shape:?}"),
    };
    fn array<T, const N: usize>(
        data: &[u8],
        shape: &[usize],
        f: impl Fn([u8; N]) -> T,
    ) -> Option<CowArray<'static, T, IxDyn>> {
        let values: Vec<T> = data
            .chunks_exact(N)
            .map(|c| c.try_into().map(&f))
            .collect::<Result<_, _>>()
            .ok()?;
        ArrayD::from_shape_vec(IxDyn(shape), values)
            .ok()
            .map(CowArray::from)
    }
    let out = match dtype {
        Dtype::Bool => array(data, shape, |[b]: [u8; 1]| b != 0).map(TruthArray::Bool),
        Dtype::U16 => array(data, shape, u16::from_le_bytes).map(TruthArray::U16),
        Dtype::U32 => array(data, shape, u32::from_le_bytes).map(TruthArray::U32),
        Dtype::I32 => array(data, shape, i32::from_le_bytes).map(TruthArray::I32),
        Dtype::I64 => array(data, shape, i64::from_le_bytes).map(TruthArray::I64),
        Dtype::F32 => array(data, shape, f32::from_le_bytes).map(TruthArray::F32),
        Dtype::F64 => array(data, shape, f64::from_le_bytes).map(TruthArray::F64),
    };
    out.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let a = ndarray::Array2::<f32>::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f32);
        let t = TruthArray::F32(CowArray::from(a.clone().into_dyn()));
        let bytes = encode(&t);
        let h = npy::parse(&bytes).unwrap();
        assert_eq!((h.descr.as_str(), h.shape.as_slice()), ("<f4", &[3, 4][..]));
        let back = decode(&bytes, Path::new("e"), "a.npy", Dtype::F32, "<f4", &[3, 4]).unwrap();
        assert_eq!(back, t);
        let err = decode(
            &bytes[..bytes.len() - 1],
            Path::new("e"),
            "a.npy",
            Dtype::F32,
            "<f4",
            &[3, 4],
        );
        assert!(matches!(err, Err(CacheError::SizeMismatch { .. })));
    }
}
