//! Run directories: a sweep's plan, its shard count and its rows on disk.
//!
//! ```text
//! RUN_DIR/run.json          RunMeta: points, shards, plan key, model version
//! RUN_DIR/sweep.json        the plan (base spec inlined), what array tasks read
//! RUN_DIR/rows/shard-K.jsonl  shard K's rows, one complete JSON line per finished point
//! RUN_DIR/logs/             Slurm task logs (%A_%a.out)
//! RUN_DIR/slurm-J.sbatch    the J-th submitted script; RUN_DIR/jobs.jsonl their job ids
//! RUN_DIR/slurm.json        the first submission's Slurm settings (`--resume` defaults)
//! ```
//!
//! A row is appended as one `write` of a whole line followed by `fdatasync`, and only
//! after its point finished; a torn last line (a crash inside that write) is ignored
//! by readers and cut off by the next writer of the shard.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use minisim_spec::MODEL_VERSION;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Plan, Row, SweepError};

/// The run directory's metadata file.
pub const RUN_FILE: &str = "run.json";
/// The plan inside a run directory.
const SWEEP_FILE: &str = "sweep.json";
/// The directory of per-shard row files.
pub const SHARD_ROWS: &str = "rows";
/// The run directory layout's version.
const FORMAT: u32 = 1;

/// `run.json`: what every task of the run must agree on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunMeta {
    /// Layout version (1).
    pub format: u32,
    /// Points in the sweep.
    pub points: usize,
    /// Shards the points are split into (array tasks `1..=shards`).
    pub shards: usize,
    /// [`Plan::key`] of `sweep.json`.
    pub sweep_key: String,
    /// `MODEL_VERSION` of the minisim that made the run.
    pub model_version: u32,
}

/// A submitted job, one line of `jobs.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Slurm's job id (of the array).
    pub job_id: String,
    /// The `--array` list submitted.
    pub array: String,
    /// The script submitted (file name inside the run directory).
    pub script: String,
}

/// The Slurm settings of a run's first submission (`slurm.json`): what `--resume`
/// uses for every option it is not given, so resubmitted shards run like the first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmDefaults {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time`.
    pub time: Option<String>,
    /// `--cpus-per-task`.
    pub cpus_per_task: usize,
    /// `--mem`.
    pub mem: Option<String>,
    /// `--job-name`.
    pub job_name: String,
    /// The cache directory the tasks use (absolute).
    pub cache: PathBuf,
    /// The `minisim-cli` the tasks run (absolute).
    pub exe: PathBuf,
}

/// An opened run directory.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
    meta: RunMeta,
    plan: Plan,
}

/// The rows read from one shard file.
#[derive(Debug, Default)]
pub struct ShardRows {
    /// `(line number, row)` of each complete row, in file order.
    pub rows: Vec<(usize, Row)>,
    /// Whether the file ends in an unterminated line (a writer died inside it).
    pub torn: bool,
    /// Line numbers of complete lines that are not a row object with a `point`.
    pub corrupt: Vec<usize>,
}

fn absolute(path: &Path) -> Result<PathBuf, SweepError> {
    std::path::absolute(path).map_err(|e| SweepError::io(path, e))
}

impl RunDir {
    /// Create a run directory for `plan` split into `shards` shards. The directory
    /// may exist but must be empty; `sweep.json` and `run.json` are written atomically
    /// (`run.json` last, so a directory with it is complete).
    pub fn create(path: &Path, plan: &Plan, shards: usize) -> Result<RunDir, SweepError> {
        let path = absolute(path)?;
        if shards == 0 {
            return Err(SweepError::run_dir(&path, "a run needs at least one shard"));
        }
        if path.join(RUN_FILE).exists() {
            return Err(SweepError::run_dir(
                &path,
                "already holds a run (its run.json); resume it or choose another run directory",
            ));
        }
        if path.exists() {
            let mut entries = fs::read_dir(&path).map_err(|e| SweepError::io(&path, e))?;
            if entries.next().is_some() {
                return Err(SweepError::run_dir(
                    &path,
                    "exists and is not empty; a run directory must be new or empty",
                ));
            }
        }
        for sub in [SHARD_ROWS, "logs"] {
            fs::create_dir_all(path.join(sub)).map_err(|e| SweepError::io(path.join(sub), e))?;
        }
        let meta = RunMeta {
            format: FORMAT,
            points: plan.points(),
            shards,
            sweep_key: plan.key(),
            model_version: MODEL_VERSION,
        };
        let write = |name: &str, text: String| {
            let p = path.join(name);
            minisim_io::atomic::write(&p, text.as_bytes()).map_err(|e| SweepError::io(&p, e))
        };
        write(SWEEP_FILE, plan.to_json())?;
        let mut meta_json = serde_json::to_string_pretty(&meta).expect("metadata serialises");
        meta_json.push('\n');
        write(RUN_FILE, meta_json)?;
        Ok(RunDir {
            path,
            meta,
            plan: plan.clone(),
        })
    }

    /// Open an existing run directory, checking that its plan matches its metadata and
    /// that it was made by this model version.
    pub fn open(path: &Path) -> Result<RunDir, SweepError> {
        let path = absolute(path)?;
        let run_file = path.join(RUN_FILE);
        let text = fs::read_to_string(&run_file).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                SweepError::run_dir(&path, "is not a run directory (no run.json)")
            } else {
                SweepError::io(&run_file, e)
            }
        })?;
        let meta: RunMeta = serde_json::from_str(&text)
            .map_err(|e| SweepError::run_dir(&run_file, format!("not a run file: {e}")))?;
        if meta.format != FORMAT {
            return Err(SweepError::run_dir(
                &run_file,
                format!(
                    "run directory format {} (this minisim reads {FORMAT})",
                    meta.format
                ),
            ));
        }
        if meta.model_version != MODEL_VERSION {
            return Err(SweepError::run_dir(
                &path,
                format!(
                    "made by model version {} but this minisim is model version {MODEL_VERSION}: its rows would not match new renders; start a new run directory",
                    meta.model_version
                ),
            ));
        }
        let plan = Plan::load(&path.join(SWEEP_FILE))?;
        if plan.key() != meta.sweep_key || plan.points() != meta.points {
            return Err(SweepError::run_dir(
                &path,
                "sweep.json does not match run.json (edited after the run was made?)",
            ));
        }
        if meta.shards == 0 {
            return Err(SweepError::run_dir(&run_file, "shards must be at least 1"));
        }
        Ok(RunDir { path, meta, plan })
    }

    /// Open the run at `path` if it has one, checking that it runs `plan` (and has
    /// `shards` shards when given); otherwise create it with `shards` (default 1).
    pub fn open_or_create(
        path: &Path,
        plan: &Plan,
        shards: Option<usize>,
    ) -> Result<RunDir, SweepError> {
        if !path.join(RUN_FILE).exists() {
            return RunDir::create(path, plan, shards.unwrap_or(1));
        }
        let dir = RunDir::open(path)?;
        dir.check_plan(plan)?;
        if let Some(n) = shards
            && n != dir.meta.shards
        {
            return Err(SweepError::run_dir(
                &dir.path,
                format!(
                    "the run has {} shards, not {n}; use --shard K/{} (or a new run directory)",
                    dir.meta.shards, dir.meta.shards
                ),
            ));
        }
        Ok(dir)
    }

    /// Error unless `plan` gives the same points as this run's.
    pub fn check_plan(&self, plan: &Plan) -> Result<(), SweepError> {
        if plan.key() != self.meta.sweep_key {
            return Err(SweepError::run_dir(
                &self.path,
                "holds a run of a different sweep (compare its sweep.json); choose another run directory",
            ));
        }
        Ok(())
    }

    /// The directory (absolute).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `run.json`.
    pub fn meta(&self) -> &RunMeta {
        &self.meta
    }

    /// The run's plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Number of shards.
    pub fn shards(&self) -> usize {
        self.meta.shards
    }

    /// The plan file array tasks read.
    pub fn sweep_file(&self) -> PathBuf {
        self.path.join(SWEEP_FILE)
    }

    /// Shard `k`'s row file.
    pub fn rows_file(&self, k: usize) -> PathBuf {
        self.path.join(SHARD_ROWS).join(format!("shard-{k}.jsonl"))
    }

    /// Where Slurm writes task logs.
    pub fn logs_dir(&self) -> PathBuf {
        self.path.join("logs")
    }

    /// Read shard `k`'s rows (none when its file does not exist yet).
    pub fn read_shard(&self, k: usize) -> Result<ShardRows, SweepError> {
        read_rows(&self.rows_file(k))
    }

    /// Open shard `k`'s row file for appending, cutting off a torn last line.
    pub(crate) fn appender(&self, k: usize) -> Result<Appender, SweepError> {
        let path = self.rows_file(k);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| SweepError::io(&path, e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| SweepError::io(&path, e))?;
        if bytes.last().is_some_and(|&b| b != b'\n') {
            let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            file.set_len(keep as u64)
                .and_then(|()| file.seek(SeekFrom::End(0)).map(drop))
                .and_then(|()| file.sync_data())
                .map_err(|e| SweepError::io(&path, e))?;
        }
        Ok(Appender {
            path,
            file: Mutex::new(file),
        })
    }

    /// The jobs submitted for this run, oldest first.
    pub fn jobs(&self) -> Result<Vec<JobRecord>, SweepError> {
        let path = self.path.join("jobs.jsonl");
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(SweepError::io(&path, e)),
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .map_err(|e| SweepError::run_dir(&path, format!("not a job record: {e}")))
            })
            .collect()
    }

    /// Record a submitted job (appended to `jobs.jsonl`).
    pub fn record_job(&self, job: &JobRecord) -> Result<(), SweepError> {
        let path = self.path.join("jobs.jsonl");
        let mut line = serde_json::to_vec(job).expect("job records serialise");
        line.push(b'\n');
        OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&line).and_then(|()| f.sync_data()))
            .map_err(|e| SweepError::io(&path, e))
    }

    /// The Slurm settings of the first submission, if it was submitted with `--slurm`.
    pub fn slurm_defaults(&self) -> Result<Option<SlurmDefaults>, SweepError> {
        let path = self.path.join("slurm.json");
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| SweepError::run_dir(&path, format!("not Slurm settings: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SweepError::io(&path, e)),
        }
    }

    /// Record the Slurm settings of the first submission (`slurm.json`, atomically).
    pub fn save_slurm_defaults(&self, defaults: &SlurmDefaults) -> Result<(), SweepError> {
        let path = self.path.join("slurm.json");
        let mut text = serde_json::to_string_pretty(defaults).expect("settings serialise");
        text.push('\n');
        minisim_io::atomic::write(&path, text.as_bytes()).map_err(|e| SweepError::io(&path, e))
    }

    /// A fresh name for the next submitted script (`slurm-J.sbatch`).
    pub fn next_script(&self) -> Result<PathBuf, SweepError> {
        let j = self.jobs()?.len() + 1;
        Ok(self.path.join(format!("slurm-{j}.sbatch")))
    }
}

/// Read a JSON-lines row file (empty when it does not exist).
pub(crate) fn read_rows(path: &Path) -> Result<ShardRows, SweepError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ShardRows::default()),
        Err(e) => return Err(SweepError::io(path, e)),
    };
    let mut out = ShardRows::default();
    let mut lines = bytes.split(|&b| b == b'\n').enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let last = lines.peek().is_none();
        if last {
            // After the final newline: empty, or a torn line.
            out.torn = !line.is_empty();
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Row>(line) {
            Ok(row) if row.get("point").and_then(Value::as_u64).is_some() => {
                out.rows.push((n + 1, row));
            }
            _ => out.corrupt.push(n + 1),
        }
    }
    Ok(out)
}

/// Appends whole rows to one shard file; shared by the threads running its points.
pub(crate) struct Appender {
    path: PathBuf,
    file: Mutex<File>,
}

impl Appender {
    /// Append `row` as one line and flush it to disk.
    pub(crate) fn append(&self, row: &Row) -> Result<(), SweepError> {
        let mut line = serde_json::to_vec(row).expect("rows serialise");
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| SweepError::io(&self.path, e))
    }
}
