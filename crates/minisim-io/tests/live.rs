//! `remove_live_temps` removes every temporary of the process, so it runs alone in
//! this test binary (its own process).

use minisim_io::atomic::{TempPath, remove_live_temps};

#[test]
fn live_temporaries_are_removed_on_request_and_committed_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = TempPath::dir(&dir.path().join("rec")).unwrap();
    std::fs::write(d.path().join("a.npy"), b"x").unwrap();
    let (_file, f) = TempPath::file(&dir.path().join("movie.avi")).unwrap();
    let (_g, done) = TempPath::file(&dir.path().join("done.txt")).unwrap();
    done.commit().unwrap();
    let removed = remove_live_temps();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(!d.path().exists() && !f.path().exists());
    assert!(dir.path().join("done.txt").exists());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("done.txt")]);
}
