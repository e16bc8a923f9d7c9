//! `minisim-cli preview`: the figure's size and layout (each panel drawn where the
//! layout says, the gutters empty), outlines by selection, the SVG's labels and units,
//! and bad outputs leaving nothing.

mod common;

use std::path::Path;

use common::cli;

use serde_json::Value;

fn sensorless() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sensorless.json").to_owned()
}

/// Render a preview; returns its layout (from --print-layout) and the decoded PNG.
fn preview(dir: &Path, spec: &[&str], extra: &[&str], name: &str) -> (Value, image::RgbImage) {
    let mut args = vec!["preview"];
    args.extend(spec);
    args.extend(["-o", name, "--no-progress", "--print-layout"]);
    args.extend(extra);
    let out = cli(dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let layout: Value = serde_json::from_slice(&out.stdout).unwrap();
    let img = image::open(dir.join(name)).unwrap().to_rgb8();
    (layout, img)
}

fn rect(layout: &Value, name: &str) -> (u32, u32, u32, u32) {
    let r = &layout[name];
    let g = |k: &str| r[k].as_u64().unwrap() as u32;
    (g("x"), g("y"), g("w"), g("h"))
}

/// Fraction of pixels in a box that are not the white background.
fn ink(img: &image::RgbImage, (x, y, w, h): (u32, u32, u32, u32)) -> f64 {
    let mut n = 0u64;
    for yy in y..y + h {
        for xx in x..x + w {
            if img.get_pixel(xx, yy).0 != [255, 255, 255] {
                n += 1;
            }
        }
    }
    n as f64 / (w as f64 * h as f64)
}

/// Pixels of the outline colour in a box.
fn outline_pixels(img: &image::RgbImage, (x, y, w, h): (u32, u32, u32, u32)) -> usize {
    (y..y + h)
        .flat_map(|yy| (x..x + w).map(move |xx| (xx, yy)))
        .filter(|&(xx, yy)| img.get_pixel(xx, yy).0 == [40, 230, 90])
        .count()
}

#[test]
fn panels_are_where_the_layout_says_for_quick_ucla_v4_and_a_sensorless_spec() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let s = sensorless();
    let cases: [(&str, Vec<&str>); 3] = [
        ("quick", vec!["--preset", "quick", "--frames", "40"]),
        ("ucla-v4", vec!["--preset", "ucla-v4", "--frames", "12"]),
        ("sensorless", vec![s.as_str()]),
    ];
    for (name, spec) in &cases {
        let (layout, img) = preview(d, spec, &[], &format!("{name}.png"));
        let (w, h) = (
            layout["width"].as_u64().unwrap() as u32,
            layout["height"].as_u64().unwrap() as u32,
        );
        assert_eq!((img.width(), img.height()), (w, h), "{name}");
        assert!(w >= 1200, "{name}: {w} px wide");
        for panel in ["caption", "mean", "max", "motion", "traces"] {
            let r = rect(&layout, panel);
            assert!(
                r.0 + r.2 <= w && r.1 + r.3 <= h,
                "{name}: {panel} outside the figure"
            );
            let f = ink(&img, r);
            assert!(f > 0.02, "{name}: {panel} is empty ({f})");
        }
        // The image panels are mostly image.
        assert!(ink(&img, rect(&layout, "mean")) > 0.5, "{name}");
        // Gutters between and around the panels are background.
        let (mx, my, mw, mh) = rect(&layout, "mean");
        let (xx, _, _, _) = rect(&layout, "max");
        assert_eq!(
            ink(&img, (mx + mw, my, xx - (mx + mw), mh)),
            0.0,
            "{name}: gutter"
        );
        assert_eq!(ink(&img, (0, my, mx, mh)), 0.0, "{name}: left margin");
        let (_, ty, _, _) = rect(&layout, "motion");
        assert_eq!(
            ink(&img, (0, my + mh, w, ty - (my + mh))),
            0.0,
            "{name}: row gap"
        );
    }
}

#[test]
fn outlines_follow_the_selection() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let spec = ["--preset", "quick", "--frames", "40"];
    let count = |sel: &str| {
        let (layout, img) = preview(d, &spec, &["--outlines", sel], &format!("o-{sel}.png"));
        (
            outline_pixels(&img, rect(&layout, "max")),
            outline_pixels(&img, rect(&layout, "mean")),
        )
    };
    let (none, _) = count("none");
    let (detectable, mean_detectable) = count("detectable");
    let (all, _) = count("all");
    assert_eq!(none, 0);
    assert!(detectable > 0);
    assert!(all > detectable, "all {all} <= detectable {detectable}");
    assert_eq!(mean_detectable, 0, "the mean image carries no outlines");
}

#[test]
fn the_svg_carries_axis_labels_and_units() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (spec, unit) in [
        (vec!["--preset", "quick", "--frames", "40"], "counts (DN)"),
        (vec![sensorless().leak() as &str], "e⁻ per pixel"),
    ] {
        let mut args = vec!["preview"];
        args.extend(&spec);
        args.extend(["-o", "p.svg", "--no-progress"]);
        let out = cli(d, &args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = std::fs::read_to_string(d.join("p.svg")).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        for label in [
            "time (s)",
            "displacement (µm)",
            " µm\n</text>",
            unit,
            "key ",
            "frames at",
        ] {
            assert!(svg.contains(label), "{label:?} not in the SVG");
        }
        if spec.len() > 1 {
            for label in ["ΔF/F", "dy (down)", "dx (right)", "cell "] {
                assert!(svg.contains(label), "{label:?} not in the SVG");
            }
        }
        assert!(
            svg.contains("data:image/png;base64,"),
            "image panels embedded"
        );
    }
}

#[test]
fn bad_outputs_fail_in_one_line_and_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (args, code, message) in [
        (
            vec!["preview", "-o", "p.gif"],
            2,
            "p.gif: preview writes png or svg",
        ),
        (
            vec!["preview", "-o", "missing/p.png"],
            2,
            "missing: directory does not exist",
        ),
        (
            vec!["preview", "-o", "p.png", "--outlines", "some"],
            2,
            "invalid value 'some'",
        ),
    ] {
        let out = cli(d, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("panicked"));
    }
    // Under a path whose parent is a file: unwritable, refused before rendering.
    std::fs::write(d.join("afile"), b"mine").unwrap();
    let out = cli(d, &["preview", "-o", "afile/p.png", "--no-progress"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("afile: directory does not exist"));
    assert_eq!(std::fs::read(d.join("afile")).unwrap(), b"mine");
    let names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["afile"]);
}
