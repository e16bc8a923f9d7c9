//! Parameters of `spikes`: spike trains with bursts and correlated ensembles.

use serde::{Deserialize, Serialize};

use crate::validate::Validator;

/// Spike trains: a lognormal spread of rates, a refractory period, bursts and
/// ensembles of cells that fire together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Spikes {
    /// Median over cells of the rate of firing events (a burst counts once), Hz (> 0).
    /// Default 0.3.
    pub rate_median_hz: f64,
    /// σ of the lognormal distribution of event rates across cells (≥ 0). Default 0.8.
    pub rate_sigma: f64,
    /// Absolute refractory period, ms (≥ 0). Default 2.
    pub refractory_ms: f64,
    /// Probability that an event is a burst rather than a single spike, in [0, 1].
    /// Default 0.3.
    pub burst_probability: f64,
    /// Mean number of spikes in a burst (≥ 1). Default 3.
    pub burst_size_mean: f64,
    /// Interval between spikes inside a burst, ms (> 0, ≥ refractory_ms). Default 10.
    pub burst_isi_ms: f64,
    /// Ensembles of cells with shared event times (`lognormal_bursts` only).
    pub ensembles: Ensembles,
    /// Generative model. Default `lognormal_bursts` (the fields above);
    /// `two_state` uses `two_state` (and `refractory_ms`) instead.
    pub model: SpikeModel,
    /// The two-state (quiescent/active) Markov model's parameters.
    pub two_state: TwoState,
}

/// Which spike model generates the trains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpikeModel {
    /// Lognormal event rates across cells, bursts and ensembles.
    #[default]
    LognormalBursts,
    /// A quiescent/active Markov gate with a Poisson rate per state, on a fine grid.
    TwoState,
}

/// Two-state Markov activity: each cell switches between quiescent and active with
/// the given rates and fires as a Poisson process at its state's rate, simulated on a
/// grid of `grid_hz` with at most one spike per bin (a refractory period of one bin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwoState {
    /// Quiescent → active switching rate, Hz (> 0). Default 0.1.
    pub quiescent_to_active_hz: f64,
    /// Active → quiescent switching rate, Hz (> 0). Default 6 (mean episode ≈ 170 ms).
    pub active_to_quiescent_hz: f64,
    /// Firing rate while quiescent, Hz (≥ 0). Default 0.6.
    pub quiescent_rate_hz: f64,
    /// Firing rate while active, Hz (≥ 0). Default 50.
    pub active_rate_hz: f64,
    /// Simulation grid, Hz (> 0, ≥ the active rate). Default 300.
    pub grid_hz: f64,
}

impl Default for TwoState {
    fn default() -> Self {
        TwoState {
            quiescent_to_active_hz: 0.1,
            active_to_quiescent_hz: 6.0,
            quiescent_rate_hz: 0.6,
            active_rate_hz: 50.0,
            grid_hz: 300.0,
        }
    }
}

impl TwoState {
    /// Stationary probability of the active state, k_qa / (k_qa + k_aq).
    pub fn active_fraction(&self) -> f64 {
        self.quiescent_to_active_hz / (self.quiescent_to_active_hz + self.active_to_quiescent_hz)
    }

    fn validate(&self, v: &mut Validator) {
        let switch = "state switches from once per 20 min to once per ms";
        v.range_above(
            "quiescent_to_active_hz",
            self.quiescent_to_active_hz,
            0.0,
            1000.0,
            switch,
        );
        v.range_above(
            "active_to_quiescent_hz",
            self.active_to_quiescent_hz,
            0.0,
            1000.0,
            switch,
        );
        let rate = "neurons fire at most a few hundred Hz";
        v.range(
            "quiescent_rate_hz",
            self.quiescent_rate_hz,
            0.0,
            1000.0,
            rate,
        );
        v.range("active_rate_hz", self.active_rate_hz, 0.0, 1000.0, rate);
        v.range_above(
            "grid_hz",
            self.grid_hz,
            0.0,
            5000.0,
            "a 5 kHz grid resolves 0.2 ms; finer grids only cost time",
        );
        if self.grid_hz.is_finite() && self.active_rate_hz > self.grid_hz {
            v.fail(
                "grid_hz",
                format!(
                    "must be at least active_rate_hz (got {} < {})",
                    self.grid_hz, self.active_rate_hz
                ),
            );
        }
    }
}

impl Default for Spikes {
    fn default() -> Self {
        Spikes {
            rate_median_hz: 0.3,
            rate_sigma: 0.8,
            refractory_ms: 2.0,
            burst_probability: 0.3,
            burst_size_mean: 3.0,
            burst_isi_ms: 10.0,
            ensembles: Ensembles::default(),
            model: SpikeModel::default(),
            two_state: TwoState::default(),
        }
    }
}

/// Correlated ensembles: each ensemble has Poisson event times, and its members fire
/// at each event with a probability and a jitter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ensembles {
    /// Number of ensembles (0 disables them). Default 3.
    pub count: u64,
    /// Fraction of cells that belong to an ensemble (each member to one), in [0, 1].
    /// Default 0.2.
    pub member_fraction: f64,
    /// Rate of ensemble events, Hz (> 0). Default 0.05.
    pub event_rate_hz: f64,
    /// Probability that a member fires at an ensemble event, in [0, 1]. Default 0.8.
    pub participation: f64,
    /// Standard deviation of a member's spike time around the event, ms (≥ 0). Default 20.
    pub jitter_ms: f64,
}

impl Default for Ensembles {
    fn default() -> Self {
        Ensembles {
            count: 3,
            member_fraction: 0.2,
            event_rate_hz: 0.05,
            participation: 0.8,
            jitter_ms: 20.0,
        }
    }
}

impl Spikes {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.within("two_state", |v| self.two_state.validate(v));
        v.range_above(
            "rate_median_hz",
            self.rate_median_hz,
            0.0,
            50.0,
            "median event rates of imaged populations are 0.01–10 Hz",
        );
        v.range(
            "rate_sigma",
            self.rate_sigma,
            0.0,
            2.0,
            "a lognormal σ of 2 spreads rates over three decades (95 %)",
        );
        v.range(
            "refractory_ms",
            self.refractory_ms,
            0.0,
            100.0,
            "absolute refractory periods are 1–5 ms",
        );
        v.range(
            "burst_probability",
            self.burst_probability,
            0.0,
            1.0,
            "a probability",
        );
        v.range(
            "burst_size_mean",
            self.burst_size_mean,
            1.0,
            100.0,
            "bursts hold 2–20 spikes",
        );
        v.range_above(
            "burst_isi_ms",
            self.burst_isi_ms,
            0.0,
            1000.0,
            "intra-burst intervals are 3–20 ms",
        );
        if self.burst_isi_ms.is_finite() && self.burst_isi_ms < self.refractory_ms {
            v.fail(
                "burst_isi_ms",
                format!(
                    "must be at least refractory_ms (got {} < {})",
                    self.burst_isi_ms, self.refractory_ms
                ),
            );
        }
        // A renewal process with dead time cannot exceed 1/refractory.
        let max_rate = 1000.0 / self.refractory_ms.max(1e-9);
        if self.rate_median_hz.is_finite() && self.rate_median_hz >= 0.5 * max_rate {
            v.fail(
                "rate_median_hz",
                format!(
                    "must be below half of 1000/refractory_ms = {max_rate} Hz (got {})",
                    self.rate_median_hz
                ),
            );
        }
        v.within("ensembles", |v| {
            let e = &self.ensembles;
            v.count("count", e.count, 0, 1000, "a bound on setup time");
            v.range("member_fraction", e.member_fraction, 0.0, 1.0, "a fraction");
            v.range_above(
                "event_rate_hz",
                e.event_rate_hz,
                0.0,
                100.0,
                "ensemble events are rarer than single-cell events",
            );
            v.range("participation", e.participation, 0.0, 1.0, "a probability");
            v.range(
                "jitter_ms",
                e.jitter_ms,
                0.0,
                10_000.0,
                "a time within the recording",
            );
        });
    }
}
