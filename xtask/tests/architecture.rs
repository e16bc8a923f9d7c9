//! ARCHITECTURE.md's invariants, checked on the workspace's sources and manifests.
//!
//! - No `match` over `StepKind` or `Step` has a catch-all arm (`_ =>` or a bare
//!   binding): every dispatch over kinds is exhaustive, so a new kind cannot be
//!   skipped silently. (The table-generated dispatch in `minisim-steps/src/stage.rs` is
//!   exhaustive by construction.)
//! - Only the storage, output and sweep crates, the score readers and the binaries touch the
//!   file system: `minisim-spec`, `minisim-steps` and `minisim-render` use no `std::fs`
//!   and depend on no file-format or file-system crate; in `minisim-score` only
//!   `read.rs` does; `minisim-stats` neither.
//! - Each library crate depends only on the workspace crates of the layers above it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn workspace_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let crates = root().join("crates");
    for entry in std::fs::read_dir(&crates).unwrap().flatten() {
        for sub in ["src", "tests", "benches", "examples"] {
            files.extend(rust_files(&entry.path().join(sub)));
        }
    }
    for sub in ["src", "tests"] {
        files.extend(rust_files(&root().join("xtask").join(sub)));
    }
    assert!(files.len() > 50, "found only {} sources", files.len());
    files
}

/// Catch-all arms of matches over `StepKind` / `Step`, as `line: text`.
#[derive(Default)]
struct Wildcards {
    found: Vec<String>,
}

fn names_a_kind(pat: &syn::Pat) -> bool {
    let path = match pat {
        syn::Pat::Path(p) => &p.path,
        syn::Pat::TupleStruct(p) => &p.path,
        syn::Pat::Struct(p) => &p.path,
        syn::Pat::Or(or) => return or.cases.iter().any(names_a_kind),
        syn::Pat::Reference(r) => return names_a_kind(&r.pat),
        _ => return false,
    };
    path.segments
        .iter()
        .any(|s| s.ident == "StepKind" || s.ident == "Step")
}

fn catch_all(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Wild(_) => true,
        syn::Pat::Ident(i) => {
            i.subpat.is_none() && i.ident.to_string().starts_with(char::is_lowercase)
        }
        _ => false,
    }
}

impl<'ast> Visit<'ast> for Wildcards {
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        let over_kinds = m.arms.iter().any(|a| names_a_kind(&a.pat));
        if over_kinds {
            for arm in m.arms.iter().filter(|a| catch_all(&a.pat)) {
                let line = syn::spanned::Spanned::span(&arm.pat).start().line;
                self.found.push(format!("line {line}"));
            }
        }
        syn::visit::visit_expr_match(self, m);
    }
}

fn wildcards_in(source: &str) -> Vec<String> {
    let file = syn::parse_file(source).expect("the workspace parses");
    let mut v = Wildcards::default();
    v.visit_file(&file);
    v.found
}

#[test]
fn no_catch_all_arm_over_step_kinds() {
    // The check itself catches what it must (negative controls).
    let bad = "fn f(k: StepKind) -> u8 { match k { StepKind::Digitize => 1, _ => 0 } }";
    assert_eq!(wildcards_in(bad).len(), 1);
    let bound = "fn f(s: &Step) -> u8 { match s { Step::Calcium(_) => 1, other => 0 } }";
    assert_eq!(wildcards_in(bound).len(), 1);
    let fine = "fn f(v: u8) -> u8 { match v { 1 => 1, _ => 0 } }";
    assert!(wildcards_in(fine).is_empty());

    let mut failures = Vec::new();
    for file in workspace_sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        for hit in wildcards_in(&text) {
            failures.push(format!("{}: {hit}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "catch-all arms over StepKind/Step (list every kind, or dispatch through \
         minisim_steps::stage):\n{}",
        failures.join("\n")
    );
}

/// Uses of `std::fs` (paths or `use` trees) in a source file.
#[derive(Default)]
struct FsUses {
    found: usize,
}

impl<'ast> Visit<'ast> for FsUses {
    fn visit_path(&mut self, p: &'ast syn::Path) {
        let names: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if names.windows(2).any(|w| w[0] == "std" && w[1] == "fs") {
            self.found += 1;
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_use_path(&mut self, u: &'ast syn::UsePath) {
        if u.ident == "std" && names_fs(&u.tree) {
            self.found += 1;
        }
        syn::visit::visit_use_path(self, u);
    }
}

/// True if a `use std::…` tree names `fs` at its first level.
fn names_fs(tree: &syn::UseTree) -> bool {
    match tree {
        syn::UseTree::Name(n) => n.ident == "fs",
        syn::UseTree::Path(p) => p.ident == "fs",
        syn::UseTree::Rename(r) => r.ident == "fs",
        syn::UseTree::Group(g) => g.items.iter().any(names_fs),
        syn::UseTree::Glob(_) => false,
    }
}

fn fs_uses(source: &str) -> usize {
    let file = syn::parse_file(source).expect("the workspace parses");
    let mut v = FsUses::default();
    v.visit_file(&file);
    v.found
}

#[test]
fn only_storage_output_readers_and_binaries_touch_files() {
    assert_eq!(fs_uses("use std::fs;"), 1);
    assert_eq!(fs_uses("use std::{fs, io};"), 1);
    assert_eq!(fs_uses("fn f() { let _ = std::fs::read(\"x\"); }"), 1);
    assert_eq!(fs_uses("use std::io;"), 0);

    let mut failures = Vec::new();
    for krate in [
        "minisim-spec",
        "minisim-steps",
        "minisim-render",
        "minisim-score",
        "minisim-stats",
    ] {
        for file in rust_files(&root().join("crates").join(krate).join("src")) {
            if krate == "minisim-score" && file.ends_with("read.rs") {
                continue;
            }
            let n = fs_uses(&std::fs::read_to_string(&file).unwrap());
            if n > 0 {
                failures.push(format!("{}: {n} use(s) of std::fs", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Normal (non-dev) dependencies of every workspace package, from `cargo metadata`.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut map = BTreeMap::new();
    for p in meta["packages"].as_array().unwrap() {
        let deps = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect();
        map.insert(p["name"].as_str().unwrap().to_owned(), deps);
    }
    map
}

#[test]
fn crates_depend_only_on_layers_above_and_on_no_file_crates_below_storage() {
    let deps = dependencies();
    // The layer table of ARCHITECTURE.md: each crate and the workspace crates it may use.
    let allowed: &[(&str, &[&str])] = &[
        ("minisim-io", &[]),
        ("minisim-spec", &[]),
        ("minisim-steps", &["minisim-spec"]),
        ("minisim-render", &["minisim-spec", "minisim-steps"]),
        (
            "minisim-cache",
            &["minisim-io", "minisim-spec", "minisim-render"],
        ),
        (
            "minisim-video",
            &["minisim-io", "minisim-spec", "minisim-render"],
        ),
        (
            "minisim-score",
            &[
                "minisim-io",
                "minisim-spec",
                "minisim-render",
                "minisim-cache",
            ],
        ),
        ("minisim-stats", &["minisim-spec", "minisim-steps"]),
        (
            "minisim-sweep",
            &[
                "minisim-io",
                "minisim-spec",
                "minisim-render",
                "minisim-cache",
            ],
        ),
    ];
    let file_crates = [
        "tiff",
        "ndarray-npy",
        "npyz",
        "directories",
        "tempfile",
        "image",
        "ffmpeg-next",
        "jpeg-encoder",
        "csv",
        "memmap2",
        "walkdir",
    ];
    let mut failures = Vec::new();
    for (krate, ok) in allowed {
        let Some(d) = deps.get(*krate) else {
            failures.push(format!("{krate}: not in the workspace"));
            continue;
        };
        for dep in d.iter().filter(|d| d.starts_with("minisim")) {
            if !ok.contains(&dep.as_str()) {
                failures.push(format!(
                    "{krate} depends on {dep}, a layer below or beside it"
                ));
            }
        }
        if [
            "minisim-spec",
            "minisim-steps",
            "minisim-render",
            "minisim-stats",
        ]
        .contains(krate)
        {
            for dep in d.iter().filter(|d| file_crates.contains(&d.as_str())) {
                failures.push(format!("{krate} depends on the file crate {dep}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
