//! Slurm job arrays: the sbatch script of a run directory, its submission, and which
//! of its jobs are still queued.
//!
//! Array task `K` runs shard `K` of the run (`minisim-cli sweep RUN/sweep.json
//! --run-dir RUN --shard K/N`), appending its rows to `RUN/rows/shard-K.jsonl`; the
//! cache directory is passed explicitly and must be on a file system every node sees.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::SweepError;

/// Most array tasks a default submission asks for (Slurm's default `MaxArraySize` is
/// 1001, so indices up to 1000 are accepted everywhere).
pub const MAX_DEFAULT_ARRAY: usize = 1000;

/// sbatch options of a sweep's job array.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmOptions {
    /// Array tasks = shards (default: one per point, at most [`MAX_DEFAULT_ARRAY`]).
    pub array_size: Option<usize>,
    /// `--partition` (default: the cluster's default partition).
    pub partition: Option<String>,
    /// `--time` per task in a Slurm time format (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH`,
    /// `D-HH:MM`, `D-HH:MM:SS`); default: the partition's limit.
    pub time: Option<String>,
    /// `--cpus-per-task`; also the points each task runs at once (`--jobs`).
    pub cpus_per_task: usize,
    /// `--mem` per task (`16G`, `4000M`; a bare number is MB); default: the partition's.
    pub mem: Option<String>,
    /// `--job-name`.
    pub job_name: String,
}

impl Default for SlurmOptions {
    fn default() -> Self {
        SlurmOptions {
            array_size: None,
            partition: None,
            time: None,
            cpus_per_task: 1,
            mem: None,
            job_name: "minisim-sweep".into(),
        }
    }
}

fn bad(flag: &str, value: &str, expected: &str) -> SweepError {
    SweepError::SlurmOption(format!("--{flag} {value:?}: expected {expected}"))
}

fn is_time(s: &str) -> bool {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if matches!(s, "UNLIMITED" | "INFINITE") {
        return true;
    }
    match s.split_once('-') {
        Some((days, rest)) => {
            let parts: Vec<&str> = rest.split(':').collect();
            digits(days) && parts.len() <= 3 && parts.iter().all(|p| digits(p))
        }
        None => {
            let parts: Vec<&str> = s.split(':').collect();
            parts.len() <= 3 && parts.iter().all(|p| digits(p))
        }
    }
}

fn is_mem(s: &str) -> bool {
    let num = s.trim_end_matches(['K', 'M', 'G', 'T']);
    !num.is_empty() && num.len() + 1 >= s.len() && num.bytes().all(|b| b.is_ascii_digit())
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.,-".contains(&b))
}

impl SlurmOptions {
    /// Check every option before anything is written or submitted.
    pub fn validate(&self) -> Result<(), SweepError> {
        if self.array_size == Some(0) {
            return Err(bad("array-size", "0", "at least 1"));
        }
        if self.cpus_per_task == 0 {
            return Err(bad("cpus-per-task", "0", "at least 1"));
        }
        if let Some(p) = &self.partition
            && !is_name(p)
        {
            return Err(bad(
                "partition",
                p,
                "a partition name (letters, digits, _ . , -)",
            ));
        }
        if let Some(t) = &self.time
            && !is_time(t)
        {
            return Err(bad(
                "time",
                t,
                "a Slurm time: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS",
            ));
        }
        if let Some(m) = &self.mem
            && !is_mem(m)
        {
            return Err(bad("mem", m, "a size such as 4000M or 16G"));
        }
        if !is_name(&self.job_name) {
            return Err(bad(
                "job-name",
                &self.job_name,
                "letters, digits, _ . , - only",
            ));
        }
        Ok(())
    }

    /// The number of shards for a sweep of `points` points: `array_size`, or one per
    /// point up to [`MAX_DEFAULT_ARRAY`]. More shards than points is an error.
    pub fn shards(&self, points: usize) -> Result<usize, SweepError> {
        match self.array_size {
            Some(n) if n > points.max(1) => Err(SweepError::SlurmOption(format!(
                "--array-size {n} exceeds the sweep's {points} points (tasks beyond would have nothing to do)"
            ))),
            Some(n) => Ok(n),
            None => Ok(points.clamp(1, MAX_DEFAULT_ARRAY)),
        }
    }
}

/// Slurm's `--array` list of task indices: ascending, runs collapsed (`1-3,5,7-8`).
pub fn array_list(tasks: &[usize]) -> String {
    let mut tasks = tasks.to_vec();
    tasks.sort_unstable();
    tasks.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < tasks.len() {
        let mut j = i;
        while j + 1 < tasks.len() && tasks[j + 1] == tasks[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            let _ = write!(out, "{}-{}", tasks[i], tasks[j]);
        } else {
            let _ = write!(out, "{}", tasks[i]);
        }
        i = j + 1;
    }
    out
}

/// `s` quoted for bash (unchanged when it holds only safe characters).
fn quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What a script is made of.
#[derive(Debug, Clone, Copy)]
pub struct ScriptInput<'a> {
    /// The `minisim-cli` the tasks run (absolute; must exist on the compute nodes).
    pub exe: &'a Path,
    /// The run directory (absolute, on a shared file system).
    pub run_dir: &'a Path,
    /// The cache directory (absolute, on a shared file system).
    pub cache: &'a Path,
    /// Points in the sweep.
    pub points: usize,
    /// Shards of the run.
    pub shards: usize,
    /// The array tasks (shards) this submission runs.
    pub tasks: &'a [usize],
    /// sbatch options.
    pub options: &'a SlurmOptions,
}

/// The sbatch script: a job array whose task `K` runs shard `K` of the run directory.
/// Paths must be absolute and free of whitespace (sbatch splits `#SBATCH` lines on it).
pub fn script(input: &ScriptInput) -> Result<String, SweepError> {
    let o = input.options;
    o.validate()?;
    for (what, p) in [
        ("run directory", input.run_dir),
        ("cache directory", input.cache),
        ("executable", input.exe),
    ] {
        let s = p.to_string_lossy();
        if !p.is_absolute() || s.chars().any(char::is_whitespace) {
            return Err(SweepError::SlurmOption(format!(
                "{}: the {what} of a Slurm script must be an absolute path without whitespace",
                p.display()
            )));
        }
    }
    if input.tasks.is_empty() {
        return Err(SweepError::SlurmOption("no shards to submit".into()));
    }
    let run = input.run_dir.to_string_lossy();
    let exe = quote(&input.exe.to_string_lossy());
    let cache = quote(&input.cache.to_string_lossy());
    let array = array_list(input.tasks);
    let mut flags = String::new();
    let _ = write!(flags, " --array-size {}", input.shards);
    if let Some(p) = &o.partition {
        let _ = write!(flags, " --partition {p}");
    }
    if let Some(t) = &o.time {
        let _ = write!(flags, " --time {t}");
    }
    let _ = write!(flags, " --cpus-per-task {}", o.cpus_per_task);
    if let Some(m) = &o.mem {
        let _ = write!(flags, " --mem {m}");
    }
    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/bash");
    let _ = writeln!(
        s,
        "# minisim sweep: {} points in {} shards; this job runs shard(s) {array}.",
        input.points, input.shards
    );
    let _ = writeln!(
        s,
        "# Array task K runs shard K/{} and appends one row per finished point to",
        input.shards
    );
    let _ = writeln!(
        s,
        "# {run}/rows/shard-K.jsonl. Resubmit unfinished shards with:"
    );
    let _ = writeln!(
        s,
        "#   {exe} sweep {run}/sweep.json --run-dir {run} --cache {cache} --slurm --resume{flags}"
    );
    let _ = writeln!(s, "#SBATCH --job-name={}", o.job_name);
    let _ = writeln!(s, "#SBATCH --array={array}");
    let _ = writeln!(s, "#SBATCH --ntasks=1");
    let _ = writeln!(s, "#SBATCH --cpus-per-task={}", o.cpus_per_task);
    let _ = writeln!(s, "#SBATCH --output={run}/logs/%A_%a.out");
    if let Some(p) = &o.partition {
        let _ = writeln!(s, "#SBATCH --partition={p}");
    }
    if let Some(t) = &o.time {
        let _ = writeln!(s, "#SBATCH --time={t}");
    }
    if let Some(m) = &o.mem {
        let _ = writeln!(s, "#SBATCH --mem={m}");
    }
    let _ = writeln!(s, "set -euo pipefail");
    let _ = writeln!(
        s,
        "exec {exe} sweep {run}/sweep.json --run-dir {run} --cache {cache} \\"
    );
    let _ = writeln!(
        s,
        "    --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --jobs {}",
        input.shards, o.cpus_per_task
    );
    Ok(s)
}

fn run_tool(mut cmd: Command, name: &str) -> Result<String, SweepError> {
    let out = cmd.output().map_err(|e| {
        SweepError::Slurm(if e.kind() == std::io::ErrorKind::NotFound {
            format!("{name} not found on PATH: run on a Slurm login node, or use --dry-run to print the script")
        } else {
            format!("{name}: {e}")
        })
    })?;
    if !out.status.success() {
        return Err(SweepError::Slurm(format!(
            "{name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Submit `script` with `sbatch --parsable` from `dir`; returns the job id.
pub fn submit(script: &Path, dir: &Path) -> Result<String, SweepError> {
    let mut cmd = Command::new("sbatch");
    cmd.arg("--parsable").arg(script).current_dir(dir);
    let out = run_tool(cmd, "sbatch")?;
    // `--parsable` prints `jobid` or `jobid;cluster`.
    let id = out.trim().split(';').next().unwrap_or_default().to_owned();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SweepError::Slurm(format!(
            "sbatch printed {:?}, not a job id",
            out.trim()
        )));
    }
    Ok(id)
}

/// Which of `job_ids` still have tasks queued or running (`squeue`).
pub fn active(job_ids: &[String]) -> Result<Vec<String>, SweepError> {
    if job_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut cmd = Command::new("squeue");
    cmd.args(["--noheader", "--array", "--format=%F", "--jobs"])
        .arg(job_ids.join(","));
    let out = match run_tool(cmd, "squeue") {
        Ok(out) => out,
        // Jobs that left the controller's memory make squeue fail "Invalid job id".
        Err(SweepError::Slurm(m)) if m.contains("Invalid job id") => String::new(),
        Err(e) => return Err(e),
    };
    let mut live: Vec<String> = out
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| job_ids.contains(l))
        .collect();
    live.sort();
    live.dedup();
    Ok(live)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_lists_collapse_runs() {
        assert_eq!(array_list(&[1, 2, 3]), "1-3");
        assert_eq!(array_list(&[2]), "2");
        assert_eq!(array_list(&[5, 1, 2, 7, 8, 3]), "1-3,5,7-8");
    }

    #[test]
    fn options_are_checked() {
        let ok = SlurmOptions {
            time: Some("1-02:00:00".into()),
            mem: Some("16G".into()),
            partition: Some("gpu,cpu".into()),
            ..Default::default()
        };
        ok.validate().unwrap();
        for t in ["30", "30:00", "02:00:00", "1-02", "1-02:00", "INFINITE"] {
            assert!(is_time(t), "{t}");
        }
        for t in ["", "1h", "1:2:3:4", "-1", "a-02"] {
            assert!(!is_time(t), "{t}");
        }
        for m in ["4000", "4000M", "16G"] {
            assert!(is_mem(m), "{m}");
        }
        for m in ["", "G", "16GB", "1.5G"] {
            assert!(!is_mem(m), "{m}");
        }
        let e = SlurmOptions {
            partition: Some("a b".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("--partition"), "{e}");
        assert!(
            SlurmOptions {
                array_size: Some(7),
                ..Default::default()
            }
            .shards(6)
            .is_err()
        );
        assert_eq!(SlurmOptions::default().shards(6).unwrap(), 6);
        assert_eq!(SlurmOptions::default().shards(5000).unwrap(), 1000);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("/a/b-c_d.e"), "/a/b-c_d.e");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
