//! `PerfTracker`: wall time and call count per pipeline phase, thread-safe.
//!
//! With parallel frames, a phase's time is summed over threads (CPU-time-like); the
//! `setup`, `encode_write` and `finalize` phases run on one thread. Passing no tracker
//! costs one branch per call. Every timed call is also a `tracing` span named after
//! its phase.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A timed phase of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Scene setup: cells, spikes, footprints, maps, trajectories.
    Setup,
    /// Cell footprints × fluorescence (includes the calcium recursion).
    Composite,
    /// Background components.
    Neuropil,
    /// Vessel absorption.
    Vasculature,
    /// Sub-pixel shift and crop.
    MotionCrop,
    /// Radial falloff and aperture.
    Vignette,
    /// Scaling to photoelectrons.
    PhotonField,
    /// Dark current, hot pixels, bleed-through.
    Leakage,
    /// Sensor noise and quantisation.
    Digitize,
    /// Encoding and writing frames to a sink.
    EncodeWrite,
    /// Assembling the result (ground truth, closing files).
    Finalize,
}

impl Phase {
    /// Every phase, in pipeline order.
    pub const ALL: [Phase; 11] = [
        Phase::Setup,
        Phase::Composite,
        Phase::Neuropil,
        Phase::Vasculature,
        Phase::MotionCrop,
        Phase::Vignette,
        Phase::PhotonField,
        Phase::Leakage,
        Phase::Digitize,
        Phase::EncodeWrite,
        Phase::Finalize,
    ];

    /// Snake-case name, as in reports and tracing spans.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Composite => "composite",
            Phase::Neuropil => "neuropil",
            Phase::Vasculature => "vasculature",
            Phase::MotionCrop => "motion_crop",
            Phase::Vignette => "vignette",
            Phase::PhotonField => "photon_field",
            Phase::Leakage => "leakage",
            Phase::Digitize => "digitize",
            Phase::EncodeWrite => "encode_write",
            Phase::Finalize => "finalize",
        }
    }
}

/// Accumulated time and calls per phase.
#[derive(Debug, Default)]
pub struct PerfTracker {
    nanos: [AtomicU64; 11],
    calls: [AtomicU64; 11],
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

    fn index(phase: Phase) -> usize {
        Phase::ALL
            .iter()
            .position(|&p| p == phase)
            .expect("every phase is listed")
    }

    /// Add one call of `elapsed` to `phase`.
    pub fn record(&self, phase: Phase, elapsed: Duration) {
        let i = Self::index(phase);
        self.nanos[i].fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
        self.calls[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Time and calls of one phase so far.
    pub fn get(&self, phase: Phase) -> PhaseTime {
        let i = Self::index(phase);
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
