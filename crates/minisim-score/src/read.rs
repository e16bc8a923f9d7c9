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
use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayD, Ix2, IxDyn, ShapeBuilder};

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

/// The element types accepted in `.npy` inputs: (descr without byte order, size).
const ELEMENTS: &[(&str, usize)] = &[
    ("f8", 8),
    ("f4", 4),
    ("f2", 2),
    ("i8", 8),
    ("i4", 4),
    ("i2", 2),
    ("i1", 1),
    ("u8", 8),
    ("u4", 4),
    ("u2", 2),
    ("u1", 1),
    ("b1", 1),
];

/// The flat index `i` of an array of `shape` as `[a, b, c]`.
fn multi_index(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut out = vec![0; shape.len()];
    for (slot, &d) in out.iter_mut().zip(shape).rev() {
        if d > 0 {
            *slot = i % d;
            i /= d;
        }
    }
    out
}

/// Decode `.npy` bytes (`bytes` is the whole file) as f64, checking the header, the
/// size it implies against the bytes present and the memory available before any
/// array is allocated, and that every value is finite.
fn decode_npy(path: &Path, bytes: &[u8], total_len: u64) -> Result<ArrayD<f64>, ScoreError> {
    let h = minisim_io::npy::parse(bytes).ok_or_else(|| {
        read_err(
            path,
            if bytes.starts_with(b"\x93NUMPY") {
                "truncated or unreadable .npy header"
            } else {
                "not a .npy file (it does not start with the NUMPY magic)"
            },
        )
    })?;
    let (order, code) = h.descr.split_at(h.descr.len().min(1));
    let known_order = matches!(order, "<" | ">" | "|" | "=");
    let Some(&(_, size)) = ELEMENTS.iter().find(|(c, _)| *c == code && known_order) else {
        return Err(read_err(
            path,
            format!(
                "dtype '{}' is not numeric or bool (save with .astype(np.float32))",
                h.descr
            ),
        ));
    };
    let elements = h
        .elements()
        .ok_or_else(|| read_err(path, format!("shape {:?} overflows", h.shape)))?;
    let expected = h.file_len(size).unwrap_or(u64::MAX);
    if total_len != expected {
        return Err(read_err(
            path,
            format!(
                "{}: the header says shape {:?} of '{}' ({} bytes of data) but the file holds {} bytes after its header",
                if total_len < expected {
                    "truncated"
                } else {
                    "trailing data"
                },
                h.shape,
                h.descr,
                expected.saturating_sub(h.data_offset as u64),
                total_len.saturating_sub(h.data_offset as u64)
            ),
        ));
    }
    let needed = (elements as u64).saturating_mul(8);
    if let Some(free) = minisim_io::system::available_memory()
        && needed > free
    {
        return Err(read_err(
            path,
            format!(
                "shape {:?} needs {needed} bytes as f64 but only {free} are available",
                h.shape
            ),
        ));
    }
    let data = &bytes[h.data_offset..];
    let code = code.as_bytes();
    let value = |c: &[u8]| -> f64 {
        let le = order != ">";
        macro_rules! num {
            ($t:ty) => {{
                let arr = c.try_into().unwrap_or([0; std::mem::size_of::<$t>()]);
                if le {
                    <$t>::from_le_bytes(arr)
                } else {
                    <$t>::from_be_bytes(arr)
                }
            }};
        }
        match code {
            b"f8" => num!(f64),
            b"f4" => num!(f32) as f64,
            b"f2" => half(num!(u16)),
            b"i8" => num!(i64) as f64,
            b"i4" => num!(i32) as f64,
            b"i2" => num!(i16) as f64,
            b"i1" => c[0] as i8 as f64,
            b"u8" => num!(u64) as f64,
            b"u4" => num!(u32) as f64,
            b"u2" => num!(u16) as f64,
            _ => c[0] as f64,
        }
    };
    let values: Vec<f64> = data.chunks_exact(size).map(value).collect();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(read_err(
            path,
            format!(
                "value {} at index {:?} is not finite; replace NaN/Inf before scoring",
                values[i],
                multi_index(i, &h.shape)
            ),
        ));
    }
    let shape = if h.fortran {
        IxDyn(&h.shape).f()
    } else {
        IxDyn(&h.shape).into_shape_with_order()
    };
    ArrayD::from_shape_vec(shape, values)
        .map(|a| a.as_standard_layout().into_owned())
        .map_err(|e| read_err(path, e))
}

/// An IEEE half-precision value.
fn half(bits: u16) -> f64 {
    let sign = if bits >> 15 == 1 { -1.0 } else { 1.0 };
    let exp = ((bits >> 10) & 0x1f) as i32;
    let frac = (bits & 0x3ff) as f64;
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 => {
            if frac == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Any numeric or bool `.npy` as f64 (64-bit integers above 2^53 lose precision).
/// The header is checked against the file size before anything is allocated; every
/// value must be finite.
pub fn read_npy_f64(path: &Path) -> Result<ArrayD<f64>, ScoreError> {
    let mut file = File::open(path).map_err(|e| read_err(path, e))?;
    let len = file.metadata().map_err(|e| read_err(path, e))?.len();
    let mut head = Vec::new();
    (&mut file)
        .take(minisim_io::npy::MAX_HEADER as u64)
        .read_to_end(&mut head)
        .map_err(|e| read_err(path, e))?;
    // Anything wrong with the header or the size it implies is reported from the
    // header alone, before the data is read.
    let size = minisim_io::npy::parse(&head).and_then(|h| {
        let size = ELEMENTS.iter().find(|(c, _)| h.descr.ends_with(c))?.1;
        (h.file_len(size) == Some(len)).then_some(size)
    });
    if size.is_none() {
        return decode_npy(path, &head, len);
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes)
        .map_err(|e| read_err(path, e))?;
    decode_npy(path, &bytes, len)
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
    a.into_dimensionality::<Ix2>()
        .map_err(|_| shape_err(what, path, &shape, expected.to_owned()))
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

/// The array `name` of an `.npz` archive as f64: its `.npy` entry is read only after
/// its header and declared size agree and fit in memory.
fn npz_array(
    zip: &mut zip::ZipArchive<File>,
    path: &Path,
    name: &str,
) -> Result<Vec<f64>, ScoreError> {
    let inner = Path::new(name);
    let mut entry = zip.by_name(&format!("{name}.npy")).map_err(|_| {
        read_err(
            path,
            format!("no array `{name}` (is it a scipy.sparse.save_npz file?)"),
        )
    })?;
    let declared = entry.size();
    let mut head = Vec::new();
    (&mut entry)
        .take(minisim_io::npy::MAX_HEADER as u64)
        .read_to_end(&mut head)
        .map_err(|e| read_err(path, format!("{name}: {e}")))?;
    let named = |e: ScoreError| match e {
        ScoreError::Read { reason, .. } => read_err(path, format!("{name}: {reason}")),
        other => other,
    };
    let h = minisim_io::npy::parse(&head)
        .ok_or_else(|| read_err(path, format!("{name}: not a .npy entry")))?;
    let size = ELEMENTS
        .iter()
        .find(|(c, _)| h.descr.ends_with(c))
        .map_or(1, |&(_, s)| s);
    if h.file_len(size) != Some(declared) {
        return decode_npy(inner, &head, declared)
            .map(as_vec)
            .map_err(named);
    }
    let mut bytes = head;
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| read_err(path, format!("{name}: {e}")))?;
    decode_npy(inner, &bytes, bytes.len() as u64)
        .map(as_vec)
        .map_err(named)
}

fn read_npz(
    path: &Path,
    height: usize,
    width: usize,
    order: PixelOrder,
) -> Result<Footprints, ScoreError> {
    let file = File::open(path).map_err(|e| read_err(path, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| read_err(path, e))?;
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
    let minor = if m.rows_major { c } else { r };
    let major = if m.rows_major { r } else { c };
    let whole = |v: f64| v >= 0.0 && v.fract() == 0.0;
    if let Some((i, &v)) = m
        .indices
        .iter()
        .enumerate()
        .find(|&(_, &v)| !whole(v) || v >= minor as f64)
    {
        return Err(bad(format!(
            "indices[{i}] = {v} is not a {} index in 0..{minor}",
            if m.rows_major { "column" } else { "row" }
        )));
    }
    if let Some((i, &v)) = m
        .indptr
        .iter()
        .enumerate()
        .find(|&(_, &v)| !whole(v) || v > nnz as f64)
    {
        return Err(bad(format!(
            "indptr[{i}] = {v} is not an offset in 0..={nnz}"
        )));
    }
    if let Some(i) = m.indptr.windows(2).position(|w| w[1] < w[0]) {
        return Err(bad(format!(
            "indptr decreases at entry {} ({} after {}): row pointers must be non-decreasing",
            i + 1,
            m.indptr[i + 1],
            m.indptr[i]
        )));
    }
    if m.indptr.len() != major + 1
        || m.indptr.first() != Some(&0.0)
        || m.indices.len() != nnz
        || m.indptr.last().copied() != Some(nnz as f64)
    {
        return Err(bad(format!(
            "{} data, {} indices and {} row pointers (from {:?} to {:?}) do not make a {}×{} {} matrix",
            nnz,
            m.indices.len(),
            m.indptr.len(),
            m.indptr.first(),
            m.indptr.last(),
            r,
            c,
            if m.rows_major { "CSR" } else { "CSC" }
        )));
    }
    let mut f = Footprints {
        height,
        width,
        indices: vec![Vec::new(); n],
        weights: vec![Vec::new(); n],
    };
    for (major, bounds) in m.indptr.windows(2).enumerate() {
        let (a, b) = (bounds[0] as usize, bounds[1] as usize);
        for k in a..b {
            let minor_index = m.indices[k] as usize;
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
    use std::path::PathBuf;

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

    /// Write a raw `.npy` with a hand-made header and `data` bytes.
    fn raw(path: &Path, descr: &str, shape: &[u64], data: &[u8]) {
        let mut bytes = minisim_io::npy::header(descr, shape);
        bytes.extend_from_slice(data);
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn bad_npy_inputs_are_errors_before_allocation_naming_the_element() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("huge.npy");
        raw(&p, "<f4", &[100_000, 100_000, 100_000], &[0; 16]);
        let err = read_npy_f64(&p).unwrap_err().to_string();
        assert!(
            err.contains("truncated") && err.contains("[100000, 100000, 100000]"),
            "{err}"
        );
        let p = dir.path().join("short.npy");
        raw(&p, "<f4", &[10], &[0; 39]);
        let err = read_npy_f64(&p).unwrap_err().to_string();
        assert!(err.contains("truncated") && err.contains("39"), "{err}");
        let p = dir.path().join("nan.npy");
        let mut data = Vec::new();
        for v in [1.0f32, f32::NAN, 2.0, 3.0] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        raw(&p, "<f4", &[2, 2], &data);
        let err = read_npy_f64(&p).unwrap_err().to_string();
        assert!(err.contains("NaN") && err.contains("[0, 1]"), "{err}");
        let p = dir.path().join("obj.npy");
        raw(&p, "|O", &[1], &[0; 8]);
        assert!(
            read_npy_f64(&p)
                .unwrap_err()
                .to_string()
                .contains("not numeric")
        );
        // Big-endian: read correctly.
        let p = dir.path().join("be.npy");
        let mut bytes = minisim_io::npy::header(">f8", &[2]);
        bytes.extend_from_slice(&1.5f64.to_be_bytes());
        bytes.extend_from_slice(&(-2.0f64).to_be_bytes());
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(read_npy_f64(&p).unwrap().as_slice().unwrap(), &[1.5, -2.0]);
    }

    #[test]
    fn sparse_indices_and_pointers_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (h, w) = (3, 4);
        let triplet = |indices: Vec<i64>, indptr: Vec<i64>| {
            let prefix = dir
                .path()
                .join(format!("t{}", indices.len() + indptr.len()));
            write(
                &PathBuf::from(format!("{}_data.npy", prefix.display())),
                &Array1::from(vec![1.0f32; indices.len()]),
            );
            write(
                &PathBuf::from(format!("{}_indices.npy", prefix.display())),
                &Array1::from(indices),
            );
            write(
                &PathBuf::from(format!("{}_indptr.npy", prefix.display())),
                &Array1::from(indptr),
            );
            read_footprints(&prefix, h, w, PixelOrder::C)
                .unwrap_err()
                .to_string()
        };
        let err = triplet(vec![1, -1], vec![0, 1, 2]);
        assert!(err.contains("indices[1] = -1"), "{err}");
        let err = triplet(vec![1, 12], vec![0, 1, 2]);
        assert!(err.contains("indices[1] = 12"), "{err}");
        let err = triplet(vec![1, 2, 3], vec![0, 2, -5, 3]);
        assert!(err.contains("indptr[2] = -5"), "{err}");
        let err = triplet(vec![1, 2, 3, 4], vec![0, 3, 1, 4]);
        assert!(err.contains("indptr decreases at entry 2"), "{err}");
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
