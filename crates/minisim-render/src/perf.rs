//! `PerfTracker`: wall time and call count per pipeline phase, thread-safe.
//!
//! With parallel frames, a phase's time is summed over threads (CPU-time-like); the
//! `setup`, `encode_write` and `finalize` phases run on one thread. Passing no tracker
//! costs one branch per call. Every timed call is also a `tracing` span named after
//! its phase.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use minisim_spec::StepKind;

/// A timed phase of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Scene setup: every kind's `prepare` (cells, spikes, footprints, maps, paths).
    Setup,
    /// One step kind's per-frame work: its serial `advance` (calcium, neuropil,
    /// per-cell bleaching) and its image work.
    Stage(StepKind),
    /// The vendor export of the observed frames (`output.export`).
    Export,
    /// Encoding and writing frames to a sink.
    EncodeWrite,
    /// Assembling the result (ground truth, closing files).
    Finalize,
}

/// Number of phases: setup, one per kind, export, encode_write, finalize.
const PHASES: usize = StepKind::COUNT + 4;

impl Phase {
    /// Every phase, in pipeline order.
    pub const ALL: [Phase; PHASES] = {
        let mut all = [Phase::Setup; PHASES];
        let mut i = 0;
        while i < StepKind::COUNT {
            all[i + 1] = Phase::Stage(StepKind::ALL[i]);
            i += 1;
        }
        all[PHASES - 3] = Phase::Export;
        all[PHASES - 2] = Phase::EncodeWrite;
        all[PHASES - 1] = Phase::Finalize;
        all
    };

    /// Snake-case name, as in reports and tracing spans (a stage's is its kind's).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Stage(kind) => kind.name(),
            Phase::Export => "export",
            Phase::EncodeWrite => "encode_write",
            Phase::Finalize => "finalize",
        }
    }

    /// Position in `ALL`.
    fn index(self) -> usize {
        match self {
            Phase::Setup => 0,
            Phase::Stage(kind) => 1 + kind.index(),
            Phase::Export => PHASES - 3,
            Phase::EncodeWrite => PHASES - 2,
            Phase::Finalize => PHASES - 1,
        }
    }
}

/// Accumulated time and calls per phase.
#[derive(Debug, Default)]
pub struct PerfTracker {
    nanos: [AtomicU64; PHASES],
    calls: [AtomicU64; PHASES],
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseTime {
    /// The phase.
    pub phase: Phase,
    /// Total time.
    pub time: Duration,
    /// Number of timed calls.
    pub calls: u64,
}

impl PerfTracker {
    /// A tracker with every phase at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one call of `elapsed` to `phase`.
    pub fn record(&self, phase: Phase, elapsed: Duration) {
        let i = phase.index();
        self.nanos[i].fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
        self.calls[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Time and calls of one phase so far.
    pub fn get(&self, phase: Phase) -> PhaseTime {
        let i = phase.index();
        PhaseTime {
            phase,
            time: Duration::from_nanos(self.nanos[i].load(Ordering::Relaxed)),
            calls: self.calls[i].load(Ordering::Relaxed),
        }
    }

    /// Every phase with at least one call, in pipeline order.
    pub fn report(&self) -> Vec<PhaseTime> {
        Phase::ALL
            .iter()
            .map(|&p| self.get(p))
            .filter(|t| t.calls > 0)
            .collect()
    }

    /// A plain-text table of the report.
    pub fn table(&self) -> String {
        let mut out = format!("{:<14} {:>10} {:>8}\n", "phase", "seconds", "calls");
        for row in self.report() {
            out += &format!(
                "{:<14} {:>10.3} {:>8}\n",
                row.phase.name(),
                row.time.as_secs_f64(),
                row.calls
            );
        }
        out
    }
}

/// Run `f` as `phase`: a tracing span, and timed if a tracker is given.
pub fn timed<R>(perf: Option<&PerfTracker>, phase: Phase, f: impl FnOnce() -> R) -> R {
    let _span = tracing::trace_span!("phase", name = phase.name()).entered();
    match perf {
        None => f(),
        Some(tracker) => {
            let start = Instant::now();
            let out = f();
            tracker.record(phase, start.elapsed());
            out
        }
    }
}
