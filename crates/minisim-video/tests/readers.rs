//! Round trips through real readers: ffmpeg's command-line tool, OpenCV, tifffile and
//! numpy decode what `simulate_video` wrote, and the frames equal
//! `simulate(spec).observed` exactly (or its documented 8-bit mapping).
//!
//! Skipped when the readers are missing, unless MINISIM_REQUIRE_READERS is set (CI).

use std::path::Path;
use std::process::Command;

use minisim_render::{Movie, Renderer, SimulateOptions, simulate};
use minisim_spec::Spec;
use minisim_video::{
    AviCodec, AviSink, FrameSink, Frames, SinkConfig, VideoOptions, simulate_video, to_u8,
};
use ndarray::Array3;
use serde_json::json;

fn readers_ready() -> bool {
    let ffmpeg = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let python = Command::new("python3")
        .args(["-c", "import numpy, tifffile, cv2"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !(ffmpeg && python) && std::env::var_os("MINISIM_REQUIRE_READERS").is_some() {
        panic!(
            "MINISIM_REQUIRE_READERS is set but ffmpeg={ffmpeg}, python3 with numpy/tifffile/cv2={python}"
        );
    }
    ffmpeg && python
}

macro_rules! require_readers {
    () => {
        if !readers_ready() {
            eprintln!("skipped: ffmpeg or python3 with numpy, tifffile and cv2 not found");
            return;
        }
    };
}

fn spec(bit_depth: u32, frames: u64) -> Spec {
    Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([36, 50])), // width not a multiple of 4: row padding
            ("acquisition.frames", json!(frames)),
            ("steps.digitize.bit_depth", json!(bit_depth)),
            (
                "steps.digitize.gain_dn_per_e",
                json!(if bit_depth > 8 { 1.0 } else { 0.25 }),
            ),
        ])
        .unwrap()
}

fn counts(spec: &Spec) -> Array3<u16> {
    match simulate(spec, &SimulateOptions::default())
        .unwrap()
        .observed
    {
        Movie::Counts(c) => c,
        Movie::Intensity(_) => panic!("spec has a sensor"),
    }
}

/// Frames decoded by the ffmpeg CLI as raw `pix_fmt` bytes.
fn ffmpeg_decode(path: &Path, pix_fmt: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ffprobe_frames(path: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Read with a Python reader; returns (bytes, description line).
fn python_read(reader: &str, path: &Path) -> (Vec<u8>, String) {
    let dump = path.with_extension("dump");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/read_frames.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(reader)
        .arg(path)
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{reader}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&dump).unwrap();
    (
        bytes,
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    )
}

/// Mean absolute difference, DN, between decoded 8-bit frames and observed counts.
fn mean_abs_error(decoded: &[u8], observed: &Array3<u16>) -> f64 {
    let total: f64 = decoded
        .iter()
        .zip(observed.iter())
        .map(|(&a, &b)| (a as f64 - b as f64).abs())
        .sum();
    total / decoded.len() as f64
}

fn u16_bytes(a: &Array3<u16>) -> Vec<u8> {
    a.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn eight_bit_y800_decodes_to_the_observed_counts_in_ffmpeg_and_opencv() {
    require_readers!();
    let spec = spec(8, 30);
    let observed = counts(&spec);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("movie.avi");
    simulate_video(
        &spec,
        &path,
        &VideoOptions {
            progress: false,
            ..Default::default()
        },
    )
    .unwrap();
    let want: Vec<u8> = observed.iter().map(|&v| v as u8).collect();
    assert_eq!(ffmpeg_decode(&path, "gray"), want, "ffmpeg");
    assert_eq!(ffprobe_frames(&path), 30);
    let (got, desc) = python_read("opencv", &path);
    assert!(desc.starts_with("30 36 50 uint8"), "{desc}");
    assert_eq!(got, want, "OpenCV");
}

#[test]
fn ten_bit_exact_formats_and_y800_mapping() {
    require_readers!();
    let spec = spec(10, 20);
    let observed = counts(&spec);
    assert!(
        observed.iter().any(|&v| v > 255),
        "10-bit counts exceed 8 bits"
    );
    let dir = tempfile::tempdir().unwrap();
    let opts = VideoOptions {
        progress: false,
        ..Default::default()
    };
    let tif = dir.path().join("movie.tif");
    simulate_video(&spec, &tif, &opts).unwrap();
    let (got, desc) = python_read("tifffile", &tif);
    assert!(
        desc.starts_with("20 36 50 uint16") && desc.ends_with("classic"),
        "{desc}"
    );
    assert_eq!(got, u16_bytes(&observed), "tifffile");
    let npy = dir.path().join("movie.npy");
    simulate_video(&spec, &npy, &opts).unwrap();
    let (got, desc) = python_read("numpy", &npy);
    assert!(desc.starts_with("20 36 50 uint16"), "{desc}");
    assert_eq!(got, u16_bytes(&observed), "numpy");
    // Y800 holds the documented mapping with the default range [0, 1023].
    let avi = dir.path().join("movie.avi");
    simulate_video(&spec, &avi, &opts).unwrap();
    let want: Vec<u8> = observed
        .iter()
        .map(|&v| to_u8(v as f64, 0.0, 1023.0))
        .collect();
    assert_eq!(ffmpeg_decode(&avi, "gray"), want);
    // And a custom window.
    let windowed = VideoOptions {
        vmin: Some(100.0),
        vmax: Some(400.0),
        ..opts.clone()
    };
    simulate_video(&spec, &dir.path().join("window.avi"), &windowed).unwrap();
    let want: Vec<u8> = observed
        .iter()
        .map(|&v| to_u8(v as f64, 100.0, 400.0))
        .collect();
    assert_eq!(ffmpeg_decode(&dir.path().join("window.avi"), "gray"), want);
}

#[test]
fn sensorless_tiff_holds_float_intensities() {
    require_readers!();
    let spec = Spec::from_json(r#"{"acquisition": {"frames": 4, "fov_px": [20, 24]}, "steps": [{"kind": "neuropil"}, {"kind": "vignette"}]}"#).unwrap();
    let Movie::Intensity(want) = simulate(&spec, &SimulateOptions::default())
        .unwrap()
        .observed
    else {
        panic!()
    };
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("f.tif");
    simulate_video(
        &spec,
        &tif,
        &VideoOptions {
            progress: false,
            ..Default::default()
        },
    )
    .unwrap();
    let (got, desc) = python_read("tifffile", &tif);
    assert!(desc.starts_with("4 20 24 float32"), "{desc}");
    let want: Vec<u8> = want.iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!(got, want);
}

#[test]
fn bigtiff_is_read_by_tifffile() {
    require_readers!();
    let spec = spec(12, 9);
    let observed = counts(&spec);
    let dir = tempfile::tempdir().unwrap();
    let tif = dir.path().join("big.tif");
    simulate_video(
        &spec,
        &tif,
        &VideoOptions {
            progress: false,
            bigtiff: Some(true),
            ..Default::default()
        },
    )
    .unwrap();
    let bytes = std::fs::read(&tif).unwrap();
    assert_eq!(&bytes[..4], b"II+\0", "BigTIFF magic");
    let (got, desc) = python_read("tifffile", &tif);
    assert!(desc.ends_with("bigtiff"), "{desc}");
    assert_eq!(got, u16_bytes(&observed));
}

#[test]
fn opendml_segments_are_read_by_ffmpeg_and_opencv() {
    require_readers!();
    let spec = spec(8, 60);
    let observed = counts(&spec);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odml.avi");
    let config = SinkConfig {
        height: 36,
        width: 50,
        frames: 60,
        fps: 20.0,
        vmin: 0.0,
        vmax: 255.0,
        intensity: false,
    };
    // 8 KiB segments: each holds 4 frames of 1.8 KB, so the file has 15 RIFF segments.
    let file = std::fs::File::create(&path).unwrap();
    let mut sink: Box<dyn FrameSink> = Box::new(
        AviSink::with_segment_limit(file, path.clone(), &config, AviCodec::Y800, 8 << 10).unwrap(),
    );
    let mut renderer = Renderer::new(
        &spec,
        &SimulateOptions {
            chunk_frames: 7,
            ..Default::default()
        },
        false,
    )
    .unwrap();
    while let Some(chunk) = renderer.next_chunk() {
        let minisim_render::ChunkMovie::Counts(c) = &chunk.observed else {
            panic!()
        };
        sink.write(Frames::Counts(c)).unwrap();
    }
    sink.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let avix = bytes.windows(4).filter(|w| w == b"AVIX").count();
    assert!(avix >= 10, "expected many AVIX segments, found {avix}");
    let want: Vec<u8> = observed.iter().map(|&v| v as u8).collect();
    assert_eq!(ffprobe_frames(&path), 60);
    assert_eq!(ffmpeg_decode(&path, "gray"), want, "ffmpeg");
    let (got, desc) = python_read("opencv", &path);
    assert!(desc.starts_with("60 36 50"), "{desc}");
    assert_eq!(got, want, "OpenCV");
}

#[test]
fn mjpg_decodes_close_to_the_observed_counts() {
    require_readers!();
    let spec = spec(8, 10);
    let observed = counts(&spec);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("movie.avi");
    let opts = VideoOptions {
        codec: Some("mjpg".into()),
        progress: false,
        ..Default::default()
    };
    simulate_video(&spec, &path, &opts).unwrap();
    let got = ffmpeg_decode(&path, "gray");
    assert_eq!(got.len(), observed.len());
    let mean_abs = mean_abs_error(&got, &observed);
    assert!(
        mean_abs < 3.0,
        "JPEG q{} error {mean_abs} DN",
        minisim_video::JPEG_QUALITY
    );
    let (cv, desc) = python_read("opencv", &path);
    assert!(desc.starts_with("10 36 50"), "{desc}");
    assert_eq!(cv.len(), got.len());
}

#[cfg(feature = "ffmpeg")]
#[test]
fn ten_bit_ffv1_decodes_exactly_in_ffmpeg() {
    require_readers!();
    let spec = spec(10, 15);
    let observed = counts(&spec);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("movie.mkv");
    simulate_video(
        &spec,
        &path,
        &VideoOptions {
            progress: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ffprobe_frames(&path), 15);
    assert_eq!(
        ffmpeg_decode(&path, "gray16le"),
        u16_bytes(&observed),
        "FFV1 is lossless"
    );
    // Different chunk sizes give the same decoded frames.
    let other = dir.path().join("other.mkv");
    simulate_video(
        &spec,
        &other,
        &VideoOptions {
            progress: false,
            chunk_frames: 4,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ffmpeg_decode(&other, "gray16le"), u16_bytes(&observed));
}

#[cfg(feature = "ffmpeg")]
#[test]
fn h264_mp4_decodes_close_to_the_observed_counts() {
    require_readers!();
    let spec = spec(8, 12);
    let observed = counts(&spec);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("movie.mp4");
    simulate_video(
        &spec,
        &path,
        &VideoOptions {
            progress: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ffprobe_frames(&path), 12);
    let got = ffmpeg_decode(&path, "gray");
    assert_eq!(got.len(), observed.len());
    let mean_abs = mean_abs_error(&got, &observed);
    // crf 18 on a noisy 8-bit movie: a few DN of error on average, no range shift.
    assert!(mean_abs < 4.0, "H.264 error {mean_abs} DN");
    let mean_got = got.iter().map(|&v| v as f64).sum::<f64>() / got.len() as f64;
    let mean_want = observed.iter().map(|&v| v as f64).sum::<f64>() / got.len() as f64;
    assert!(
        (mean_got - mean_want).abs() < 1.0,
        "full range kept: {mean_got} vs {mean_want}"
    );
}
