//! `.npy` headers (format versions 1–3): the one writer and parser of the workspace.
//!
//! A header is the magic `\x93NUMPY`, a version, a length, and a Python dict literal
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces to
//! a multiple of 64 bytes and ended by a newline; C-order data follows.

/// What an `.npy` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// numpy descr, e.g. `<u2`.
    pub descr: String,
    /// Fortran (column-major) order.
    pub fortran: bool,
    /// Shape.
    pub shape: Vec<usize>,
    /// Offset of the data from the start of the file, bytes.
    pub data_offset: usize,
}

impl Header {
    /// Number of elements the shape holds, `None` on overflow.
    pub fn elements(&self) -> Option<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// File size the header implies for elements of `size` bytes, `None` on overflow.
    pub fn file_len(&self, size: usize) -> Option<u64> {
        let data = (self.elements()? as u64).checked_mul(size as u64)?;
        data.checked_add(self.data_offset as u64)
    }
}

/// The version-1.0 header of a C-order array of `descr` elements and `shape`.
pub fn header(descr: &str, shape: &[u64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = 10 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes
}

/// Parse the header at the start of `bytes` (which may be only the file's first few
/// hundred bytes); `None` if it is not an `.npy` header.
pub fn parse(bytes: &[u8]) -> Option<Header> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return None;
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            let b = bytes.get(8..12)?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        _ => return None,
    };
    let text = std::str::from_utf8(bytes.get(start..start.checked_add(len)?)?).ok()?;
    let field = |key: &str| -> Option<&str> {
        let at = text.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = text.get(at..)?.trim_start().strip_prefix(':')?.trim_start();
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

/// Bytes to read from the start of a file to be sure to hold any header minisim
/// accepts (headers longer than this are rejected as not `.npy`).
pub const MAX_HEADER: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_is_aligned_and_parses() {
        let h = header("<u2", &[3, 4, 5]);
        assert_eq!(h.len() % 64, 0);
        let p = parse(&h).unwrap();
        assert_eq!(p.descr, "<u2");
        assert_eq!(p.shape, vec![3, 4, 5]);
        assert!(!p.fortran);
        assert_eq!(p.data_offset, h.len());
        assert_eq!(p.file_len(2), Some(h.len() as u64 + 120));
        assert_eq!(parse(&header("<f8", &[7])).unwrap().shape, vec![7]);
        assert_eq!(
            parse(&header("<f8", &[])).unwrap().shape,
            Vec::<usize>::new()
        );
    }

    #[test]
    fn garbage_and_overflowing_shapes_are_caught() {
        assert_eq!(parse(b"not an npy file at all"), None);
        assert_eq!(parse(&header("<u2", &[3])[..20]), None);
        let huge = parse(&header("<f4", &[u64::MAX / 2, 4])).unwrap();
        assert_eq!(huge.file_len(4), None);
    }
}
