//! Readers for what extractors write: footprints, traces, spikes, shifts and fields.
//!
//! Footprints: a dense `(n, H, W)` `.npy` of any numeric or bool dtype; a
//! `scipy.sparse.save_npz` file (CSR or CSC, compressed or not) whose one axis has
//! H·W pixels and the other the components (so CaImAn's `(H·W, n)` `A` works, with
//! `PixelOrder::Fortran` for its column-major pixels); or a CSR triplet
//! `PREFIX_{data,indices,indptr}.npy` with rows = components (the recording's own
//! `footprints` files). Every shape is checked against the recording and errors
//! name the file, the shape found and the shape needed.

use std::fs::File;
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayD, Ix2};
use ndarray_npy::{NpzReader, ReadNpyExt, ReadableElement};

use crate::error::ScoreError;
use crate::footprints::Footprints;

/// Order of flat pixel indices in sparse footprint files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PixelOrder {
    /// `y · W + x` (numpy's default, minisim's).
    #[default]
    C,
    /// `x · H + y` (column-major, CaImAn's `A`).
    Fortran,
}

fn read_err(path: &Path, reason: impl ToString) -> ScoreError {
    ScoreError::Read {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn try_read<T: ReadableElement + Copy>(path: &Path, to_f64: fn(T) -> f64) -> Option<ArrayD<f64>> {
    let file = File::open(path).ok()?;
    ArrayD::<T>::read_npy(file).ok().map(|a| a.mapv(to_f64))
}

/// Any numeric or bool `.npy` as f64 (64-bit integers above 2^53 lose precision).
pub fn read_npy_f64(path: &Path) -> Result<ArrayD<f64>, ScoreError> {
    File::open(path).map_err(|e| read_err(path, e))?;
    try_read::<f64>(path, |v| v)
        .or_else(|| try_read::<f32>(path, f64::from))
        .or_else(|| try_read::<i64>(path, |v| v as f64))
        .or_else(|| try_read::<i32>(path, f64::from))
        .or_else(|| try_read::<u64>(path, |v| v as f64))
        .or_else(|| try_read::<u32>(path, f64::from))
        .or_else(|| try_read::<i16>(path, f64::from))
        .or_else(|| try_read::<u16>(path, f64::from))
        .or_else(|| try_read::<i8>(path, f64::from))
        .or_else(|| try_read::<u8>(path, f64::from))
        .or_else(|| try_read::<bool>(path, |v| if v { 1.0 } else { 0.0 }))
        .ok_or_else(|| {
            read_err(
                path,
                "not a .npy of a numeric or bool dtype (little-endian, not an object array)",
            )
        })
}

fn shape_err(what: &'static str, path: &Path, found: &[usize], expected: String) -> ScoreError {
    ScoreError::Shape {
        what,
        path: path.to_owned(),
        found: found.to_vec(),
        expected,
    }
}

/// A 2-D array with the given number of columns (`cols`) and, if given, rows.
pub fn read_matrix(
    path: &Path,
    what: &'static str,
    rows: Option<usize>,
    cols: usize,
    expected: &str,
) -> Result<Array2<f64>, ScoreError> {
    let a = read_npy_f64(path)?;
    let shape = a.shape().to_vec();
    let ok = shape.len() == 2 && shape[1] == cols && rows.is_none_or(|r| shape[0] == r);
    if !ok {
        return Err(shape_err(what, path, &shape, expected.to_owned()));
    }
    Ok(a.into_dimensionality::<Ix2>().expect("checked 2-D"))
}

/// Footprints over an `height × width` FOV from any of the supported layouts.
pub fn read_footprints(
    path: &Path,
    height: usize,
    width: usize,
    order: PixelOrder,
) -> Result<Footprints, ScoreError> {
    let expected = format!("(n, {height}, {width})");
    if path.extension().is_some_and(|e| e == "npz") {
        return read_npz(path, height, width, order);
    }
    if !path.exists() {
        let part = |s: &str| PathBuf::from(format!("{}_{s}.npy", path.display()));
        if part("data").exists() {
            return read_triplet(path, &part, height, width, order);
        }
        return Err(read_err(
            path,
            "no such file (nor a CSR triplet PREFIX_{data,indices,indptr}.npy)",
        ));
    }
    let a = read_npy_f64(path)?;
    let shape = a.shape().to_vec();
    if shape.len() != 3 || shape[1] != height || shape[2] != width {
        let hint = if shape.len() == 3 && shape[0] == height && shape[1] == width {
            format!("{expected}; it looks like (H, W, n): transpose it to (n, H, W)")
        } else {
            expected
        };
        return Err(shape_err("footprints", path, &shape, hint));
    }
    let mut f = Footprints {
        height,
        width,
        ..Default::default()
    };
    for comp in a.outer_iter() {
        let (mut idx, mut w) = (Vec::new(), Vec::new());
        for (p, &v) in comp.iter().enumerate() {
            if v != 0.0 {
                idx.push(p as u32);
                w.push(v as f32);
            }
        }
        f.indices.push(idx);
        f.weights.push(w);
    }
    Ok(f)
}

fn as_vec(a: ArrayD<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

fn read_triplet(
    path: &Path,
    part: &dyn Fn(&str) -> PathBuf,
    height: usize,
    width: usize,
    order: PixelOrder,
) -> Result<Footprints, ScoreError> {
    let data = as_vec(read_npy_f64(&part("data"))?);
    let indices = as_vec(read_npy_f64(&part("indices"))?);
    let indptr = as_vec(read_npy_f64(&part("indptr"))?);
    let rows = indptr.len().saturating_sub(1);
    sparse(
        path,
        Compressed {
            data,
            indices,
            indptr,
            shape: [rows, height * width],
            rows_major: true,
        },
        height,
        width,
        order,
    )
}

fn npz_array(zip: &mut NpzReader<File>, path: &Path, name: &str) -> Result<Vec<f64>, ScoreError> {
    macro_rules! attempt {
        ($($t:ty),*) => {$(
            if let Ok(a) = zip.by_name::<ndarray::OwnedRepr<$t>, ndarray::IxDyn>(name) {
                return Ok(a.iter().map(|&v| v as f64).collect());
            }
        )*};
    }
    attempt!(f64, f32, i64, i32, u32, i16, u16, u8, i8);
    if let Ok(a) = zip.by_name::<ndarray::OwnedRepr<bool>, ndarray::IxDyn>(name) {
        return Ok(a.iter().map(|&v| v as u8 as f64).collect());
    }
    Err(read_err(
        path,
        format!("no numeric array `{name}` (is it a scipy.sparse.save_npz file?)"),
    ))
}

fn read_npz(
    path: &Path,
    height: usize,
    width: usize,
    order: PixelOrder,
) -> Result<Footprints, ScoreError> {
    let file = File::open(path).map_err(|e| read_err(path, e))?;
    let mut zip = NpzReader::new(file).map_err(|e| read_err(path, e))?;
    let data = npz_array(&mut zip, path, "data")?;
    let indices = npz_array(&mut zip, path, "indices")?;
    let indptr = npz_array(&mut zip, path, "indptr")?;
    let shape = npz_array(&mut zip, path, "shape")?;
    let [r, c] = shape[..] else {
        return Err(read_err(
            path,
            format!("`shape` has {} entries, not 2", shape.len()),
        ));
    };
    let (r, c) = (r as usize, c as usize);
    // CSR compresses rows (indptr has r + 1 entries), CSC columns (c + 1).
    let rows_major = if indptr.len() == r + 1 {
        true
    } else if indptr.len() == c + 1 {
        false
    } else {
        return Err(read_err(
            path,
            format!("indptr has {} entries for shape ({r}, {c})", indptr.len()),
        ));
    };
    sparse(
        path,
        Compressed {
            data,
            indices,
            indptr,
            shape: [r, c],
            rows_major,
        },
        height,
        width,
        order,
    )
}

/// A CSR (`rows_major`) or CSC matrix.
struct Compressed {
    data: Vec<f64>,
    indices: Vec<f64>,
    indptr: Vec<f64>,
    shape: [usize; 2],
    rows_major: bool,
}

fn sparse(
    path: &Path,
    m: Compressed,
    height: usize,
    width: usize,
    order: PixelOrder,
) -> Result<Footprints, ScoreError> {
    let pixels = height * width;
    let [r, c] = m.shape;
    // Which axis holds the components: the other one has H·W pixels.
    let components_are_rows = match (r == pixels, c == pixels) {
        (false, true) => true,
        (true, false) => false,
        (true, true) => true,
        (false, false) => {
            return Err(shape_err(
                "footprints",
                path,
                &[r, c],
                format!("(n, {pixels}) or ({pixels}, n) with {pixels} = {height}·{width} pixels"),
            ));
        }
    };
    let n = if components_are_rows { r } else { c };
    let nnz = m.data.len();
    let bad = |reason: String| read_err(path, reason);
    if m.indices.len() != nnz || m.indptr.last().copied().unwrap_or(0.0) as usize != nnz {
        return Err(bad(format!(
            "{} data, {} indices and indptr ending at {} disagree",
            nnz,
            m.indices.len(),
            m.indptr.last().copied().unwrap_or(0.0)
        )));
    }
    let minor = if m.rows_major { c } else { r };
    let mut f = Footprints {
        height,
        width,
        indices: vec![Vec::new(); n],
        weights: vec![Vec::new(); n],
    };
    for (major, bounds) in m.indptr.windows(2).enumerate() {
        let (a, b) = (bounds[0] as usize, bounds[1] as usize);
        if a > b || b > nnz {
            return Err(bad(format!("indptr is not non-decreasing at {major}")));
        }
        for k in a..b {
            let minor_index = m.indices[k] as usize;
            if minor_index >= minor {
                return Err(bad(format!("index {minor_index} out of range 0..{minor}")));
            }
            let (row, col) = if m.rows_major {
                (major, minor_index)
            } else {
                (minor_index, major)
            };
            let (comp, pixel) = if components_are_rows {
                (row, col)
            } else {
                (col, row)
            };
            let pixel = match order {
                PixelOrder::C => pixel,
                PixelOrder::Fortran => (pixel % height) * width + pixel / height,
            };
            if m.data[k] != 0.0 {
                f.indices[comp].push(pixel as u32);
                f.weights[comp].push(m.data[k] as f32);
            }
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array3};
    use ndarray_npy::{NpzWriter, WriteNpyExt};

    fn write<T: ndarray_npy::WritableElement, D: ndarray::Dimension>(
        path: &Path,
        a: &ndarray::Array<T, D>,
    ) {
        a.write_npy(File::create(path).unwrap()).unwrap();
    }

    #[test]
    fn dense_csr_csc_and_triplet_footprints_agree() {
        let dir = tempfile::tempdir().unwrap();
        let (h, w) = (3, 4);
        let mut dense = Array3::<f32>::zeros((2, h, w));
        dense[[0, 0, 1]] = 1.0;
        dense[[0, 2, 3]] = 2.0;
        dense[[1, 1, 0]] = 3.0;
        let p = dir.path().join("a.npy");
        write(&p, &dense);
        let want = read_footprints(&p, h, w, PixelOrder::C).unwrap();
        assert_eq!(want.indices, vec![vec![1, 11], vec![4]]);
        assert_eq!(want.weights, vec![vec![1.0, 2.0], vec![3.0]]);
        // CSR (n, H·W) in an npz.
        let npz = dir.path().join("a.npz");
        let mut z = NpzWriter::new_compressed(File::create(&npz).unwrap());
        z.add_array("data", &Array1::from(vec![1.0f64, 2.0, 3.0]))
            .unwrap();
        z.add_array("indices", &Array1::from(vec![1i32, 11, 4]))
            .unwrap();
        z.add_array("indptr", &Array1::from(vec![0i32, 2, 3]))
            .unwrap();
        z.add_array("shape", &Array1::from(vec![2i64, 12])).unwrap();
        z.finish().unwrap();
        assert_eq!(read_footprints(&npz, h, w, PixelOrder::C).unwrap(), want);
        // CSC (H·W, n) with Fortran pixels, as CaImAn's A: pixel (y, x) → x·H + y.
        let f = |y: i32, x: i32| x * h as i32 + y;
        let csc = dir.path().join("b.npz");
        let mut z = NpzWriter::new(File::create(&csc).unwrap());
        z.add_array("data", &Array1::from(vec![1.0f32, 2.0, 3.0]))
            .unwrap();
        z.add_array("indices", &Array1::from(vec![f(0, 1), f(2, 3), f(1, 0)]))
            .unwrap();
        z.add_array("indptr", &Array1::from(vec![0i64, 2, 3]))
            .unwrap();
        z.add_array("shape", &Array1::from(vec![12i64, 2])).unwrap();
        z.finish().unwrap();
        assert_eq!(
            read_footprints(&csc, h, w, PixelOrder::Fortran).unwrap(),
            want
        );
        // Triplet by prefix.
        let prefix = dir.path().join("fp");
        write(
            &dir.path().join("fp_data.npy"),
            &Array1::from(vec![1.0f32, 2.0, 3.0]),
        );
        write(
            &dir.path().join("fp_indices.npy"),
            &Array1::from(vec![1i32, 11, 4]),
        );
        write(
            &dir.path().join("fp_indptr.npy"),
            &Array1::from(vec![0i64, 2, 3]),
        );
        assert_eq!(read_footprints(&prefix, h, w, PixelOrder::C).unwrap(), want);
    }

    #[test]
    fn shape_errors_name_both_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hwn.npy");
        write(&p, &Array3::<f64>::zeros((3, 4, 5)));
        let err = read_footprints(&p, 3, 4, PixelOrder::C)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[3, 4, 5]") && err.contains("(n, 3, 4)") && err.contains("transpose"),
            "{err}"
        );
        let t = dir.path().join("traces.npy");
        write(&t, &Array2::<f32>::zeros((5, 99)));
        let err = read_matrix(
            &t,
            "traces",
            Some(5),
            100,
            "(5, 100) = (components, frames)",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("[5, 99]") && err.contains("(5, 100)"), "{err}");
        let missing =
            read_footprints(&dir.path().join("nope.npy"), 3, 4, PixelOrder::C).unwrap_err();
        assert!(missing.to_string().contains("nope.npy"), "{missing}");
        let text = dir.path().join("text.npy");
        std::fs::write(&text, "not numpy").unwrap();
        assert!(
            read_npy_f64(&text)
                .unwrap_err()
                .to_string()
                .contains("not a .npy")
        );
    }
}
