//! The sweep runner: every point of a sweep through the cache, one row per point.
//!
//! A sweep file ([`SweepFile`]) names a base spec and ordered axes; [`Plan`] is its
//! resolved form (the base as a full spec, so a later preset change cannot alter a
//! running sweep). [`run`] simulates a plan's points (all, or one [`Shard`]) and returns
//! their [`Row`]s; [`RunDir`] is the on-disk form used by job arrays: the plan, the
//! shard count and one JSON-lines file of rows per shard, appended one complete line
//! per finished point. [`gather`] merges a run directory's rows in sweep order and
//! names what is missing or duplicated; [`slurm`] writes and submits the sbatch script
//! of a job array whose task K runs shard K.
//!
//! Invariants:
//! - shards `1/N … N/N` partition the points (point `i` belongs to shard `i mod N + 1`);
//! - a row is written only whole: a shard killed mid-point leaves that point without a
//!   row (and the cache without an entry), never a half row;
//! - a row's reproducible columns ([`REPRODUCIBLE`]) depend only on the plan and the
//!   point index, never on the shard count, host, job count or cache state.

mod error;
mod file;
mod gather;
mod metrics;
mod output;
mod row;
mod run_dir;
mod runner;
mod shard;
pub mod slurm;

pub use error::SweepError;
pub use file::{Base, Plan, SweepFile};
pub use gather::{Duplicate, Gathered, gather};
pub use metrics::metrics;
pub use output::{Format, write_rows};
pub use row::{REPRODUCIBLE, Row, columns, host};
pub use run_dir::{JobRecord, RUN_FILE, RunDir, RunMeta, SHARD_ROWS, ShardRows, SlurmDefaults};
pub use runner::{PointEvent, RunOptions, ShardReport, run, run_shard_into};
pub use shard::Shard;
