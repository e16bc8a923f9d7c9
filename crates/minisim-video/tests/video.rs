//! `simulate_video` behaviour that needs no external reader: chunk-size invariance,
//! the NPY layout, and every error leaving nothing behind.

use std::path::Path;

use minisim_render::{Movie, SimulateOptions, simulate};
use minisim_spec::Spec;
use minisim_video::{VideoError, VideoOptions, simulate_video};
use serde_json::json;

fn spec(frames: u64) -> Spec {
    Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([30, 42])),
            ("acquisition.frames", json!(frames)),
        ])
        .unwrap()
}

fn quiet() -> VideoOptions {
    VideoOptions {
        progress: false,
        ..Default::default()
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn output_bytes_do_not_depend_on_chunk_frames() {
    let spec = spec(23);
    let dir = tempfile::tempdir().unwrap();
    for ext in ["avi", "tif", "npy"] {
        let mut files = Vec::new();
        for chunk in [1, 7, 23] {
            let path = dir.path().join(format!("c{chunk}.{ext}"));
            simulate_video(
                &spec,
                &path,
                &VideoOptions {
                    chunk_frames: chunk,
                    ..quiet()
                },
            )
            .unwrap();
            files.push(std::fs::read(&path).unwrap());
        }
        assert!(
            files.windows(2).all(|w| w[0] == w[1]),
            ".{ext} differs between chunk sizes"
        );
    }
}

#[test]
fn npy_output_equals_observed() {
    let spec = spec(11);
    let Movie::Counts(observed) = simulate(&spec, &SimulateOptions::default())
        .unwrap()
        .observed
    else {
        panic!()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.npy");
    let returned = simulate_video(&spec, &path, &quiet()).unwrap();
    assert_eq!(returned, path);
    let back: ndarray::Array3<u16> = ndarray_npy::read_npy(&path).unwrap();
    assert_eq!(back, observed);
    assert_eq!(entries(dir.path()), vec!["m.npy"], "no temporary file left");
}

#[test]
fn errors_are_reported_before_rendering_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sensor = spec(5);
    let sensorless = Spec::from_json(
        r#"{"acquisition": {"frames": 3, "fov_px": [10, 12]}, "steps": [{"kind": "neuropil"}]}"#,
    )
    .unwrap();
    let codec = |c: &str| VideoOptions {
        codec: Some(c.into()),
        ..quiet()
    };
    // (output name, spec, options, expected variant, text the message must contain)
    type Case<'a> = (
        &'a str,
        &'a Spec,
        VideoOptions,
        fn(&VideoError) -> bool,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "m.gif",
            &sensor,
            quiet(),
            |e| matches!(e, VideoError::UnknownFormat { .. }),
            "unknown output format .gif",
        ),
        (
            "m",
            &sensor,
            quiet(),
            |e| matches!(e, VideoError::UnknownFormat { .. }),
            "(none)",
        ),
        (
            "m.avi",
            &sensor,
            codec("XVID"),
            |e| matches!(e, VideoError::UnknownCodec { .. }),
            "this build supports Y800, MJPG",
        ),
        (
            "m.avi",
            &sensor,
            codec("FFV1"),
            |e| matches!(e, VideoError::CodecNotInContainer { .. }),
            "cannot be stored in .avi",
        ),
        (
            "m.tif",
            &sensor,
            codec("MJPG"),
            |e| matches!(e, VideoError::CodecNotInContainer { .. }),
            "TIFF stores exact counts",
        ),
        (
            "m.mp4",
            &sensor,
            codec("FFV1"),
            |e| {
                matches!(e, VideoError::CodecNotInContainer { .. })
                    || matches!(e, VideoError::NeedsFfmpeg { .. })
            },
            "FFV1",
        ),
        (
            "m.avi",
            &sensorless,
            quiet(),
            |e| matches!(e, VideoError::VmaxRequired { .. }),
            "pass vmax",
        ),
        (
            "m.avi",
            &sensor,
            VideoOptions {
                vmin: Some(10.0),
                vmax: Some(5.0),
                ..quiet()
            },
            |e| matches!(e, VideoError::BadOption { .. }),
            "vmax must be greater than vmin",
        ),
        (
            "m.avi",
            &sensor,
            VideoOptions {
                fps: Some(0.0),
                ..quiet()
            },
            |e| matches!(e, VideoError::BadOption { .. }),
            "fps must lie in [0.01, 10000] (got 0)",
        ),
        (
            "m.avi",
            &sensor,
            VideoOptions {
                chunk_frames: 0,
                ..quiet()
            },
            |e| matches!(e, VideoError::BadOption { .. }),
            "chunk_frames",
        ),
        (
            "missing/m.avi",
            &sensor,
            quiet(),
            |e| matches!(e, VideoError::Io { .. }),
            "does not exist",
        ),
    ];
    for (name, spec, options, check, needle) in cases {
        let path = d.join(name);
        let err = simulate_video(spec, &path, &options).unwrap_err();
        assert!(check(&err), "{name}: unexpected {err:?}");
        assert!(err.to_string().contains(needle), "{name}: {err}");
        assert!(
            err.to_string().contains(&*d.to_string_lossy()),
            "{name}: error names the file: {err}"
        );
        assert!(entries(d).is_empty(), "{name}: left {:?}", entries(d));
    }
    #[cfg(not(feature = "ffmpeg"))]
    {
        let err = simulate_video(&sensor, &d.join("m.mkv"), &quiet()).unwrap_err();
        assert!(matches!(err, VideoError::NeedsFfmpeg { .. }), "{err:?}");
        assert!(
            err.to_string().contains("needs the `ffmpeg` feature")
                && err.to_string().contains("hint:"),
            "{err}"
        );
        assert!(entries(d).is_empty());
    }
    #[cfg(feature = "ffmpeg")]
    {
        let err = simulate_video(&sensorless, &d.join("m.mkv"), &quiet()).unwrap_err();
        assert!(matches!(err, VideoError::NeedsCounts { .. }), "{err:?}");
        assert!(entries(d).is_empty());
    }
}

#[test]
fn an_existing_file_is_replaced_only_when_the_new_one_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.npy");
    std::fs::write(&path, b"old").unwrap();
    // A failing run leaves the old file untouched.
    let err = simulate_video(
        &spec(3),
        &path,
        &VideoOptions {
            fps: Some(-1.0),
            ..quiet()
        },
    );
    assert!(err.is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    simulate_video(&spec(3), &path, &quiet()).unwrap();
    assert_ne!(std::fs::read(&path).unwrap(), b"old");
    assert_eq!(entries(dir.path()), vec!["m.npy"]);
}

/// Cancelled after its first chunk is written, `simulate_video` stops, reports
/// `Cancelled` and leaves neither the file nor a temporary.
#[test]
fn a_cancelled_video_leaves_nothing() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use minisim_render::{Cancel, Progress, RenderError};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("movie.tif");
    let cancel = Cancel::new();
    let written = Arc::new(AtomicU64::new(0));
    let on_frames = {
        let (cancel, written) = (cancel.clone(), written.clone());
        Progress(Arc::new(move |done| {
            written.store(done, Ordering::SeqCst);
            cancel.cancel();
        }))
    };
    let e = simulate_video(
        &spec(40),
        &path,
        &VideoOptions {
            chunk_frames: 8,
            on_frames: Some(on_frames),
            cancel: Some(cancel),
            ..quiet()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, VideoError::Render(RenderError::Cancelled)),
        "{e}"
    );
    assert_eq!(written.load(Ordering::SeqCst), 8);
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}
