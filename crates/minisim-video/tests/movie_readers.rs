//! Movie readers (`minisim_video::read`): frame-exact on minisim's own files, on files
//! written by real writers (numpy, tifffile, ffmpeg) and on an `.isxd` built here from
//! raw frames and a JSON footer; clear errors naming the file on bad input.
//!
//! The real-writer test is skipped when python3 with numpy/tifffile or ffmpeg is
//! missing, unless MINISIM_REQUIRE_READERS is set (CI).

use std::path::Path;
use std::process::Command;

use minisim_render::{Movie, SimulateOptions, simulate};
use minisim_spec::Spec;
use minisim_video::read;
use minisim_video::{VideoOptions, simulate_video};
use ndarray::Array3;
use serde_json::json;

fn spec(bit_depth: u32) -> Spec {
    Spec::default()
        .with_overrides([
            ("acquisition.fov_px", json!([36, 50])), // width not a multiple of 4
            ("acquisition.frames", json!(12)),
            ("steps.digitize.bit_depth", json!(bit_depth)),
            (
                "steps.digitize.gain_dn_per_e",
                json!(if bit_depth > 8 { 1.0 } else { 0.25 }),
            ),
        ])
        .unwrap()
}

fn counts(spec: &Spec) -> Array3<f32> {
    match simulate(spec, &SimulateOptions::default())
        .unwrap()
        .observed
    {
        Movie::Counts(c) => c.mapv(f32::from),
        Movie::Intensity(_) => panic!("spec has a sensor"),
    }
}

fn read(path: &Path) -> Array3<f32> {
    let mut r = read::open(path).unwrap();
    read::read_all(r.as_mut(), None).unwrap()
}

#[test]
fn minisims_own_files_read_back_frame_exact() {
    let dir = tempfile::tempdir().unwrap();
    for (ext, bits) in [("npy", 12), ("tif", 12), ("avi", 8)] {
        let s = spec(bits);
        let path = dir.path().join(format!("movie.{ext}"));
        simulate_video(&s, &path, &VideoOptions::default()).unwrap();
        let r = read::open(&path).unwrap();
        let info = r.info().clone();
        assert_eq!(
            (info.frames, info.height, info.width),
            (12, 36, 50),
            "{ext}"
        );
        assert_eq!(read(&path), counts(&s), "{ext}");
        if ext == "avi" {
            assert_eq!(info.frame_rate_hz, Some(20.0));
        }
    }
}

#[test]
fn frames_stop_at_the_end_and_read_all_takes_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec(12);
    let path = dir.path().join("movie.npy");
    simulate_video(&s, &path, &VideoOptions::default()).unwrap();
    let mut r = read::open(&path).unwrap();
    let first5 = read::read_all(r.as_mut(), Some(5)).unwrap();
    assert_eq!(first5, counts(&s).slice(ndarray::s![..5, .., ..]));
    let mut r = read::open(&path).unwrap();
    let mut frame = vec![0.0; 36 * 50];
    let mut n = 0;
    while r.read_frame(&mut frame).unwrap() {
        n += 1;
    }
    assert_eq!(n, 12);
    assert!(!r.read_frame(&mut frame).unwrap());
}

/// An `.isxd` as Inscopix writes it: frames (optionally with 2 header and 2 footer
/// rows each), the JSON footer, its length as u64.
fn isxd(path: &Path, movie: &Array3<f32>, data_type: u8, header_footer: bool) {
    let (t, h, w) = movie.dim();
    let mut bytes = Vec::new();
    let pad = if header_footer { 2 * w } else { 0 };
    for frame in movie.outer_iter() {
        let mut put = |v: f32| match data_type {
            0 => bytes.extend((v as u16).to_le_bytes()),
            1 => bytes.extend(v.to_le_bytes()),
            _ => bytes.push(v as u8),
        };
        (0..pad).for_each(|_| put(7.0));
        frame.iter().for_each(|&v| put(v));
        (0..pad).for_each(|_| put(9.0));
    }
    let footer = json!({
        "type": 0,
        "dataType": data_type,
        "hasFrameHeaderFooter": header_footer,
        "spacingInfo": {
            "numPixels": {"x": w, "y": h},
            "pixelSize": {"x": {"num": 3, "den": 1}, "y": {"num": 3, "den": 1}},
        },
        "timingInfo": {
            "numTimes": t,
            "period": {"num": 100, "den": 1000},
            "dropped": [],
        },
    })
    .to_string();
    bytes.extend(footer.as_bytes());
    bytes.extend((footer.len() as u64).to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn isxd_movies_read_frame_exact_with_their_pixel_size_and_rate() {
    let dir = tempfile::tempdir().unwrap();
    let movie = counts(&spec(12));
    for (data_type, header_footer) in [(0, false), (0, true), (1, false)] {
        let path = dir.path().join(format!("m{data_type}{header_footer}.isxd"));
        isxd(&path, &movie, data_type, header_footer);
        let r = read::open(&path).unwrap();
        assert_eq!(r.info().pixel_um, Some(3.0));
        assert_eq!(r.info().frame_rate_hz, Some(10.0));
        assert_eq!(
            read(&path),
            movie,
            "dataType {data_type}, header/footer {header_footer}"
        );
    }
}

#[test]
fn bad_movies_are_errors_naming_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let err = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let e = match read::open(&path) {
            Err(e) => e,
            Ok(mut r) => read::read_all(r.as_mut(), None).unwrap_err(),
        };
        let text = e.to_string();
        assert!(text.contains(name), "{text}");
        text
    };
    assert!(err("movie.mov", b"x").contains("unknown movie format .mov"));
    assert!(err("a.npy", b"not numpy").contains("not a .npy file"));
    assert!(err("b.avi", b"RIFF\0\0\0\0WAVE").contains("not an AVI file"));
    assert!(err("c.isxd", b"{}\x02\0\0\0\0\0\0\0").contains("the footer has no"));
    assert!(err("d.tif", b"II*\0garbage").contains("not a readable TIFF"));
    // A truncated .npy: the header promises more frames than the file holds.
    let dir2 = tempfile::tempdir().unwrap();
    let s = spec(12);
    let path = dir2.path().join("t.npy");
    simulate_video(&s, &path, &VideoOptions::default()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(err("t.npy", &bytes[..bytes.len() - 100]).contains("truncated: frame 12 of 12"));
    // An isxd whose footer disagrees with the data.
    let movie = counts(&s);
    isxd(&dir.path().join("e.isxd"), &movie, 0, false);
    let mut bytes = std::fs::read(dir.path().join("e.isxd")).unwrap();
    bytes.drain(..2);
    assert!(err("f.isxd", &bytes).contains("but the footer says 12 frames"));
    // MJPG AVIs are not read without FFmpeg (uncompressed gray only); with the
    // `ffmpeg` feature FFmpeg decodes them (the luma plane).
    let mjpg = dir2.path().join("m.avi");
    simulate_video(
        &spec(8),
        &mjpg,
        &VideoOptions {
            codec: Some("mjpg".into()),
            ..VideoOptions::default()
        },
    )
    .unwrap();
    #[cfg(not(feature = "ffmpeg"))]
    {
        let e = read::open(&mjpg).err().unwrap().to_string();
        assert!(e.contains("codec 'MJPG'"), "{e}");
    }
    #[cfg(feature = "ffmpeg")]
    {
        let mut r = read::open(&mjpg).unwrap();
        let frames = read::read_all(r.as_mut(), None).unwrap();
        assert_eq!(frames.dim(), (12, 36, 50));
    }
}

fn writers_ready() -> bool {
    let ok = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let ready = ok("ffmpeg", &["-version"]) && ok("python3", &["-c", "import numpy, tifffile"]);
    if !ready && std::env::var_os("MINISIM_REQUIRE_READERS").is_some() {
        panic!(
            "MINISIM_REQUIRE_READERS is set but ffmpeg or python3 with numpy/tifffile is missing"
        );
    }
    ready
}

#[test]
fn files_of_real_writers_read_frame_exact() {
    if !writers_ready() {
        eprintln!("skipped: ffmpeg or python3 with numpy and tifffile not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A reproducible movie: frame t, row y, column x → (7t + 3y + x) mod 256 (u8) and
    // ×257 for u16, /8 for float32.
    let script = r#"
import sys, numpy as np, tifffile
d = sys.argv[1]
t, y, x = np.meshgrid(np.arange(9), np.arange(36), np.arange(50), indexing="ij")
m = ((7 * t + 3 * y + x) % 256).astype(np.uint8)
np.save(f"{d}/u8.npy", m)
np.save(f"{d}/f64.npy", m.astype(np.float64) / 8)
tifffile.imwrite(f"{d}/u16.tif", m.astype(np.uint16) * 257)
tifffile.imwrite(f"{d}/f32.tif", m.astype(np.float32) / 8)
m.tofile(f"{d}/raw.gray")
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-s",
            "50x36",
        ])
        .args(["-r", "20", "-i"])
        .arg(d.join("raw.gray"))
        .args(["-c:v", "rawvideo", "-pix_fmt", "gray"])
        .arg(d.join("ffmpeg.avi"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = Array3::from_shape_fn((9, 36, 50), |(t, y, x)| ((7 * t + 3 * y + x) % 256) as f32);
    assert_eq!(read(&d.join("u8.npy")), want);
    assert_eq!(read(&d.join("f64.npy")), want.mapv(|v| v / 8.0));
    assert_eq!(read(&d.join("u16.tif")), want.mapv(|v| v * 257.0));
    assert_eq!(read(&d.join("f32.tif")), want.mapv(|v| v / 8.0));
    assert_eq!(read(&d.join("ffmpeg.avi")), want);
    assert_eq!(
        read::open(&d.join("ffmpeg.avi"))
            .unwrap()
            .info()
            .frame_rate_hz,
        Some(20.0)
    );
}

/// FFV1 in AVI and in Matroska, 8- and 16-bit, written by the ffmpeg command line from
/// raw frames, read frame-exact through the `ffmpeg` feature.
#[cfg(feature = "ffmpeg")]
#[test]
fn ffv1_written_by_ffmpeg_reads_frame_exact() {
    if !writers_ready() {
        eprintln!("skipped: ffmpeg or python3 with numpy and tifffile not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (t, h, w) = (11usize, 30usize, 46usize);
    let want8 = Array3::from_shape_fn((t, h, w), |(t, y, x)| {
        ((5 * t + 3 * y + 7 * x) % 256) as f32
    });
    let want16 = want8.mapv(|v| v * 200.0 + 17.0);
    let raw8: Vec<u8> = want8.iter().map(|&v| v as u8).collect();
    let raw16: Vec<u8> = want16
        .iter()
        .flat_map(|&v| (v as u16).to_le_bytes())
        .collect();
    std::fs::write(d.join("raw8.gray"), raw8).unwrap();
    std::fs::write(d.join("raw16.gray"), raw16).unwrap();
    let size = format!("{w}x{h}");
    for (raw, pix, out) in [
        ("raw8.gray", "gray", "ffv1_8.avi"),
        ("raw16.gray", "gray16le", "ffv1_16.avi"),
        ("raw16.gray", "gray16le", "ffv1_16.mkv"),
    ] {
        let status = Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                pix,
            ])
            .args(["-s", &size, "-r", "15", "-i"])
            .arg(d.join(raw))
            .args(["-c:v", "ffv1", "-pix_fmt", pix])
            .arg(d.join(out))
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    assert_eq!(read(&d.join("ffv1_8.avi")), want8);
    assert_eq!(read(&d.join("ffv1_16.avi")), want16);
    assert_eq!(read(&d.join("ffv1_16.mkv")), want16);
    let r = read::open(&d.join("ffv1_16.mkv")).unwrap();
    assert_eq!((r.info().frames, r.info().sample), (t, "u16"));
    assert_eq!(r.info().frame_rate_hz, Some(15.0));
}
