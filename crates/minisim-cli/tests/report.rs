//! `minisim-cli report`: one self-contained HTML page (no scripts, no external
//! references, every image a `data:` PNG) naming the cache key and the cell counts, from
//! a spec or from a recording directory; bad inputs leave nothing. (CI also opens it in
//! headless Chromium: `.ci/report-browser`.)

use std::path::Path;

use minisim::Persist;
use std::process::{Command, Output};

fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minisim-cli"))
        .args(args)
        .current_dir(dir)
        .env("MINISIM_CACHE", dir.join("cache"))
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every reference in the page is embedded.
fn self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for banned in [
        "http:",
        "https:",
        "<script",
        "<link",
        "@import",
        "url(",
        "src=\"//",
        "href=\"//",
    ] {
        assert!(!html.contains(banned), "the page contains {banned:?}");
    }
    let sources: Vec<&str> = html.split("src=\"").skip(1).collect();
    assert!(sources.len() >= 3, "preview, frames and histogram expected");
    for s in sources {
        assert!(
            s.starts_with("data:image/png;base64,"),
            "{}",
            &s[..40.min(s.len())]
        );
    }
}

fn count_row(html: &str, label: &str) -> usize {
    let tag = format!("<th>{label}</th><td class=\"num\">");
    let rest = &html[html.find(&tag).unwrap_or_else(|| panic!("no {label} row")) + tag.len()..];
    rest[..rest.find('<').unwrap()].parse().unwrap()
}

#[test]
fn a_recording_directory_and_its_spec_give_the_same_key_and_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let set = ["--preset", "quick", "--set", "acquisition.frames=60"];
    let mut args = vec!["simulate"];
    args.extend(set);
    args.extend(["-o", "rec", "--no-progress"]);
    ok(&cli(d, &args));
    let rec = minisim::Recording::load(&d.join("rec")).unwrap();
    let key = rec.spec.cache_key();
    let cells = &rec.truth.cells;
    let n_fov = cells.in_fov.iter().filter(|&&b| b).count();
    let n_det = (0..cells.len())
        .filter(|&c| cells.in_fov[c] && cells.detectable[c])
        .count();

    ok(&cli(d, &["report", "rec", "-o", "from-rec.html"]));
    let mut args = vec!["report"];
    args.extend(set);
    args.extend(["-o", "from-spec.html", "--no-progress"]);
    ok(&cli(d, &args));
    for (name, timing) in [("from-rec.html", false), ("from-spec.html", true)] {
        let html = std::fs::read_to_string(d.join(name)).unwrap();
        self_contained(&html);
        assert!(html.contains(&format!("cache key {key}")), "{name}: key");
        assert_eq!(count_row(&html, "cells in FOV"), n_fov, "{name}");
        assert_eq!(count_row(&html, "detectable"), n_det, "{name}");
        assert_eq!(count_row(&html, "cells placed"), cells.len(), "{name}");
        for section in [
            "Preview",
            "Frames",
            "Photon budget",
            "Realism statistics",
            "Timing",
            "Spec",
        ] {
            assert!(
                html.contains(&format!("<h2>{section}</h2>")),
                "{name}: {section}"
            );
        }
        assert!(html.contains("PNR p50 (CNMF-E)"), "{name}: realism table");
        assert_eq!(
            html.contains("<table id=\"timing\">"),
            timing,
            "{name}: timing"
        );
        // The spec is shown escaped and whole.
        assert!(html.contains("&quot;frame_rate_hz&quot;"), "{name}: spec");
    }
}

#[test]
fn bad_inputs_fail_in_one_line_and_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (args, code, message) in [
        (
            vec!["report", "-o", "r.pdf"],
            2,
            "r.pdf: report writes html",
        ),
        (
            vec!["report", "-o", "missing/r.html"],
            2,
            "missing: directory does not exist",
        ),
        (
            vec!["report", "nope.json", "-o", "r.html"],
            2,
            "nope.json: cannot read spec",
        ),
    ] {
        let o = cli(d, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    // A recording directory that fails verification: an error naming it, no page.
    ok(&cli(
        d,
        &[
            "simulate",
            "--preset",
            "quick",
            "--set",
            "acquisition.frames=10",
            "-o",
            "rec",
            "--no-progress",
        ],
    ));
    let f = d.join("rec/calcium_dff.npy");
    let mut bytes = std::fs::read(&f).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&f, bytes).unwrap();
    let o = cli(d, &["report", "rec", "-o", "r.html"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("rec") && err.contains("calcium_dff"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
    let mut names: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["rec"], "nothing but the recording");
}
