//! `cargo xtask figures`: regenerate every image under docs/img/ with the release
//! `minisim-cli`: the previews of docs/cli.md and docs/realism.md, and a screenshot of
//! a report (when Chromium is installed; the report itself goes to target/figures/).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The previews of the realism report (`docs/img/realism-P.png`, `+` as `_`).
pub const REALISM_PREVIEWS: [&str; 4] = [
    "ucla-v4",
    "nvista3",
    "miniscope-v4+cortex-l23",
    "generic-1p+striatum",
];

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

pub fn figures() -> anyhow::Result<()> {
    let root = root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(&cargo).current_dir(&root).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "minisim-cli",
    ]))?;
    let cli = root.join("target/release/minisim-cli");
    let img = root.join("docs/img");
    let preview = |args: &[&str], out: &str| -> anyhow::Result<()> {
        eprintln!("docs/img/{out}");
        run(Command::new(&cli)
            .args(["preview", "--no-progress", "-o"])
            .arg(img.join(out))
            .args(args))
    };
    preview(&["--preset", "quick"], "preview-quick.png")?;
    preview(
        &["--preset", "ucla-v4", "--frames", "200"],
        "preview-ucla-v4.png",
    )?;
    for p in REALISM_PREVIEWS {
        preview(
            &["--preset", p, "--frames", "200"],
            &format!("realism-{}.png", p.replace('+', "_")),
        )?;
    }
    let out = root.join("target/figures");
    std::fs::create_dir_all(&out)?;
    let html = out.join("report-quick.html");
    run(Command::new(&cli)
        .args(["report", "--preset", "quick", "--no-progress", "-o"])
        .arg(&html))?;
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    match chromium {
        Some(c) => {
            eprintln!("docs/img/report-quick.png ({c} --headless --screenshot)");
            run(Command::new(c)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--host-resolver-rules=MAP * ~NOTFOUND",
                    "--hide-scrollbars",
                    "--window-size=1440,1800",
                ])
                .arg(format!(
                    "--user-data-dir={}",
                    out.join("chromium").display()
                ))
                .arg(format!(
                    "--screenshot={}",
                    img.join("report-quick.png").display()
                ))
                .arg(format!("file://{}", html.display()))
                .stderr(std::process::Stdio::null()))?;
        }
        None => eprintln!(
            "no Chromium: docs/img/report-quick.png kept as it is (the report is {})",
            html.display()
        ),
    }
    Ok(())
}
