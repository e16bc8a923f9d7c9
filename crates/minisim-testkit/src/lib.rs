//! Test helpers shared by the minisim crates (a dev-dependency only).
//!
//! [`golden`] compares a test's output with a file committed beside the test and
//! rewrites that file instead when the environment has `UPDATE_EXPECT=1`, so every
//! golden in the workspace is refreshed the same way and reviewed in the diff.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// True when the run should rewrite golden files (`UPDATE_EXPECT` set, not `0`).
pub fn updating() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v != "0")
}

/// The golden file `name` under the calling crate's `tests/golden/`.
///
/// Pass `env!("CARGO_MANIFEST_DIR")` as `manifest_dir`.
pub fn golden_path(manifest_dir: &str, name: &str) -> PathBuf {
    Path::new(manifest_dir).join("tests/golden").join(name)
}

/// Compare `actual` with the golden file at `path`, or write it when updating.
///
/// Returns `Err` with a message naming the file and the first differing line (or the
/// missing file) instead of panicking, so a test can collect several failures.
pub fn check(path: &Path, actual: &str) -> Result<(), String> {
    if updating() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("{}: create directory: {e}", parent.display()))?;
        }
        return std::fs::write(path, actual).map_err(|e| format!("{}: write: {e}", path.display()));
    }
    let expected = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: {e}; run the test with UPDATE_EXPECT=1 to create it",
            path.display()
        )
    })?;
    if expected == actual {
        return Ok(());
    }
    Err(format!(
        "{} differs (UPDATE_EXPECT=1 refreshes it; review the diff):\n{}",
        path.display(),
        first_difference(&expected, actual)
    ))
}

/// Like [`check`], panicking with its message.
#[track_caller]
pub fn assert_golden(path: &Path, actual: &str) {
    if let Err(message) = check(path, actual) {
        panic!("{message}");
    }
}

/// The first line where two texts differ, both versions shown.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    let mut line = 1;
    loop {
        match (e.next(), a.next()) {
            (None, None) => return "the texts differ only in line endings".to_owned(),
            (x, y) if x == y => line += 1,
            (x, y) => {
                return format!(
                    "line {line}:\n  golden: {}\n  actual: {}",
                    x.unwrap_or("<end of file>"),
                    y.unwrap_or("<end of file>")
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_names_the_line_and_both_versions() {
        let d = first_difference("a\nb\nc\n", "a\nx\nc\n");
        assert!(d.starts_with("line 2:") && d.contains("golden: b") && d.contains("actual: x"));
        let d = first_difference("a\n", "a\nb\n");
        assert!(
            d.contains("golden: <end of file>") && d.contains("actual: b"),
            "{d}"
        );
    }

    #[test]
    fn check_reports_a_missing_file_with_the_way_to_create_it() {
        if updating() {
            return;
        }
        let err = check(Path::new("/nonexistent/minisim/golden.txt"), "x").unwrap_err();
        assert!(err.contains("UPDATE_EXPECT=1"), "{err}");
    }
}
