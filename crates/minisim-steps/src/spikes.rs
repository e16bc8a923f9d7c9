//! Spike trains (`spikes` step).
//!
//! Model: each cell has an event rate r ~ LogNormal(ln median, σ). Its own events form
//! a Poisson process of rate r; an event is a burst with probability p_b, of
//! 1 + Poisson(m − 1) spikes spaced by the burst ISI (a single spike otherwise).
//! Ensembles: each has Poisson event times (rate r_e); a cell belongs to one ensemble
//! with probability f_m and fires at each of its events with probability p, jittered
//! by N(0, σ_j). All spikes are merged, sorted, and any spike closer than the refractory
//! period to the previous kept spike is dropped. Times are continuous (sub-frame), s.
//! Sources: docs/physics.md#steps.spikes.

use minisim_spec::{SpikeModel, Spikes, TwoState};
use rand::RngExt;
use rand_distr::{Distribution, Exp, Normal, Poisson, StandardNormal};

use crate::stage::{Context, Prepared, Stage};
use crate::truth::GroundTruth;
use crate::{Stream, Streams};

/// The `spikes` stage.
pub struct Kind;

impl Stage for Kind {
    type Params = Spikes;
    type Prepared = Trains;
    type State = ();
    type Values = ();

    /// Spike trains per cell: this step's model for every cell, except cells of
    /// populations with their own `activity`, drawn from that population's stream
    /// group.
    fn prepare(p: &Spikes, ctx: &Context<'_>, prepared: &Prepared) -> Trains {
        let population: &[u32] = prepared
            .place_neurons
            .as_ref()
            .map_or(&[], |q| &q.population);
        let n = population.len();
        let duration_s = ctx.geometry.duration_s();
        let streams = ctx.streams("spikes");
        let own: Vec<Option<&Spikes>> = ctx
            .spec
            .place_neurons()
            .and_then(|q| q.populations.as_ref())
            .map(|pops| pops.iter().map(|q| q.activity.as_ref()).collect())
            .unwrap_or_default();
        if own.iter().all(Option::is_none) {
            return draw(p, n, duration_s, &streams);
        }
        let mut trains = Trains {
            times_s: vec![Vec::new(); n],
            rate_hz: vec![0.0; n],
            ensemble: vec![None; n],
        };
        // Group 0 draws with this step's model; one group per population with its own.
        let mut groups: Vec<(Option<usize>, Vec<usize>)> = vec![(None, Vec::new())];
        for (k, a) in own.iter().enumerate() {
            if a.is_some() {
                groups.push((Some(k), Vec::new()));
            }
        }
        for (c, &k) in population.iter().enumerate() {
            let k = k as usize;
            let slot = groups
                .iter()
                .position(|(g, _)| *g == Some(k) && own.get(k).is_some_and(Option::is_some))
                .unwrap_or(0);
            groups[slot].1.push(c);
        }
        for (group, members) in groups {
            let (params, family) = match group.and_then(|k| own[k].map(|a| (a, k))) {
                Some((a, k)) => (a, streams.group(k as u64)),
                None => (p, streams),
            };
            let drawn = draw(params, members.len(), duration_s, &family);
            for (i, c) in members.into_iter().enumerate() {
                trains.times_s[c] = drawn.times_s[i].clone();
                trains.rate_hz[c] = drawn.rate_hz[i];
                trains.ensemble[c] = drawn.ensemble[i];
            }
        }
        trains
    }

    fn truth(_: &Spikes, own: &Trains, _: (), _: usize, _: &Context<'_>, truth: &mut GroundTruth) {
        truth.spikes = own.times_s.clone();
        let cells = &mut truth.cells;
        for (i, (&r, e)) in own.rate_hz.iter().zip(&own.ensemble).enumerate() {
            cells.rate_hz[i] = r;
            cells.ensemble[i] = e.map_or(-1, |e| e as i32);
        }
    }
}

/// Spike times of every cell, and each cell's ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct Trains {
    /// Sorted spike times per cell, s, in [0, duration).
    pub times_s: Vec<Vec<f64>>,
    /// Event rate per cell, Hz.
    pub rate_hz: Vec<f64>,
    /// Ensemble index per cell, if a member.
    pub ensemble: Vec<Option<u32>>,
}

/// Poisson event times in [0, duration) at `rate_hz`.
fn poisson_times(rate_hz: f64, duration_s: f64, rng: &mut Stream) -> Vec<f64> {
    let mut out = Vec::new();
    if rate_hz <= 0.0 {
        return out;
    }
    let gap = Exp::new(rate_hz).expect("positive rate");
    let mut t: f64 = gap.sample(rng);
    while t < duration_s {
        out.push(t);
        t += gap.sample(rng);
    }
    out
}

/// Draw every cell's spike train. Stream `i < n_cells` belongs to cell `i`; stream
/// `n_cells + k` to ensemble `k`, so adding cells never changes ensemble events' draws
/// for a given cell count.
pub fn draw(params: &Spikes, n_cells: usize, duration_s: f64, streams: &impl Streams) -> Trains {
    if params.model == SpikeModel::TwoState {
        let mut trains = Trains {
            times_s: Vec::with_capacity(n_cells),
            rate_hz: Vec::with_capacity(n_cells),
            ensemble: vec![None; n_cells],
        };
        for cell in 0..n_cells {
            let (times, _) = two_state(
                &params.two_state,
                duration_s,
                &mut streams.stream(cell as u64),
            );
            trains
                .rate_hz
                .push(times.len() as f64 / duration_s.max(f64::MIN_POSITIVE));
            trains.times_s.push(times);
        }
        return trains;
    }
    let ens = &params.ensembles;
    let events: Vec<Vec<f64>> = (0..ens.count)
        .map(|k| {
            let mut rng = streams.stream(u64::MAX - k);
            poisson_times(ens.event_rate_hz, duration_s, &mut rng)
        })
        .collect();
    let jitter = Normal::new(0.0, ens.jitter_ms / 1000.0).expect("validated jitter");
    let mut trains = Trains {
        times_s: Vec::with_capacity(n_cells),
        rate_hz: Vec::with_capacity(n_cells),
        ensemble: Vec::with_capacity(n_cells),
    };
    for cell in 0..n_cells {
        let mut rng = streams.stream(cell as u64);
        let z: f64 = StandardNormal.sample(&mut rng);
        let rate = params.rate_median_hz * (params.rate_sigma * z).exp();
        let member = ens.count > 0 && rng.random_bool(ens.member_fraction);
        let ensemble = member.then(|| rng.random_range(0..ens.count) as u32);
        let mut spikes = Vec::new();
        for t in poisson_times(rate, duration_s, &mut rng) {
            let n = if rng.random_bool(params.burst_probability) {
                1 + Poisson::new(params.burst_size_mean - 1.0)
                    .map(|p| p.sample(&mut rng) as u64)
                    .unwrap_or(0)
            } else {
                1
            };
            spikes.extend((0..n).map(|i| t + i as f64 * params.burst_isi_ms / 1000.0));
        }
        if let Some(k) = ensemble {
            for &e in &events[k as usize] {
                if rng.random_bool(ens.participation) {
                    spikes.push(e + jitter.sample(&mut rng));
                }
            }
        }
        spikes.retain(|&t| (0.0..duration_s).contains(&t));
        spikes.sort_by(f64::total_cmp);
        let refractory = params.refractory_ms / 1000.0;
        let mut kept: Vec<f64> = Vec::with_capacity(spikes.len());
        for t in spikes {
            if kept.last().is_none_or(|&last| t - last >= refractory) {
                kept.push(t);
            }
        }
        trains.times_s.push(kept);
        trains.rate_hz.push(rate);
        trains.ensemble.push(ensemble);
    }
    trains
}

/// One cell's two-state Markov train over [0, duration): on a grid of `grid_hz`, the
/// state switches with probability 1 − e^{−k·dt} per bin (k the current state's
/// leaving rate, the stationary state drawn first) and the bin holds a spike with
/// probability 1 − e^{−r·dt} (r the state's firing rate), placed uniformly in the
/// bin. Returns the sorted spike times and the fraction of bins spent active.
pub fn two_state(params: &TwoState, duration_s: f64, rng: &mut Stream) -> (Vec<f64>, f64) {
    let dt = 1.0 / params.grid_hz;
    let bins = (duration_s * params.grid_hz).ceil() as u64;
    let leave = [
        1.0 - (-params.quiescent_to_active_hz * dt).exp(),
        1.0 - (-params.active_to_quiescent_hz * dt).exp(),
    ];
    let fire = [
        1.0 - (-params.quiescent_rate_hz * dt).exp(),
        1.0 - (-params.active_rate_hz * dt).exp(),
    ];
    let mut state = usize::from(rng.random_bool(params.active_fraction()));
    let (mut times, mut active) = (Vec::new(), 0u64);
    for b in 0..bins {
        active += state as u64;
        let u: f64 = rng.random();
        if u < fire[state] {
            let t = (b as f64 + u / fire[state]) * dt;
            if t < duration_s {
                times.push(t);
            }
        }
        if rng.random_bool(leave[state]) {
            state = 1 - state;
        }
    }
    (
        times,
        if bins == 0 {
            0.0
        } else {
            active as f64 / bins as f64
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use minisim_spec::Ensembles;
    use rand::SeedableRng;

    struct Seeds(u64);
    impl Streams for Seeds {
        fn stream(&self, index: u64) -> Stream {
            Stream::seed_from_u64(self.0 ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        }
    }

    #[test]
    fn rate_of_a_plain_poisson_train() {
        let params = Spikes {
            rate_median_hz: 2.0,
            rate_sigma: 0.0,
            burst_probability: 0.0,
            ensembles: Ensembles {
                count: 0,
                ..Default::default()
            },
            ..Default::default()
        };
        let duration = 500.0;
        let trains = draw(&params, 40, duration, &Seeds(1));
        let total: usize = trains.times_s.iter().map(Vec::len).sum();
        // Expected 40·2·500 = 40 000 spikes (refractory losses ≈ r·t_ref = 0.4 %).
        let expected = 40.0 * 2.0 * duration * (1.0 - 2.0 * 0.002);
        let sd = expected.sqrt();
        assert!(
            (total as f64 - expected).abs() < 5.0 * sd,
            "{total} vs {expected}"
        );
    }

    #[test]
    fn refractory_period_holds_and_times_are_sorted() {
        let params = Spikes {
            rate_median_hz: 20.0,
            refractory_ms: 5.0,
            burst_isi_ms: 6.0,
            burst_probability: 0.5,
            ..Default::default()
        };
        let trains = draw(&params, 20, 30.0, &Seeds(2));
        for t in &trains.times_s {
            for pair in t.windows(2) {
                assert!(pair[1] - pair[0] >= 0.005 - 1e-12);
            }
            assert!(t.iter().all(|&s| (0.0..30.0).contains(&s)));
        }
    }

    #[test]
    fn ensemble_members_share_events() {
        let params = Spikes {
            rate_median_hz: 0.01,
            burst_probability: 0.0,
            ensembles: Ensembles {
                count: 1,
                member_fraction: 1.0,
                event_rate_hz: 1.0,
                participation: 1.0,
                jitter_ms: 0.0,
            },
            ..Default::default()
        };
        let trains = draw(&params, 5, 100.0, &Seeds(3));
        // With full participation, no jitter and rare own events, every member fires
        // at every ensemble event: the trains nearly coincide.
        let first = &trains.times_s[0];
        assert!(first.len() > 50);
        for t in &trains.times_s[1..] {
            let shared = t
                .iter()
                .filter(|s| first.iter().any(|f| (*f - **s).abs() < 1e-9))
                .count();
            assert!(shared as f64 >= 0.9 * first.len() as f64);
        }
    }

    /// The active fraction of a two-state chain is k_qa / (k_qa + k_aq). Its time
    /// average over T has variance ≈ 2·π_a·π_q·τ/T with τ = 1/(k_qa + k_aq); the spike
    /// count's variance is ≈ its mean plus (r_a − r_q)²·T²·that variance.
    #[test]
    fn two_state_active_fraction_and_rate_match_the_stationary_chain() {
        let p = TwoState {
            quiescent_to_active_hz: 1.0,
            active_to_quiescent_hz: 3.0,
            quiescent_rate_hz: 0.5,
            active_rate_hz: 20.0,
            grid_hz: 300.0,
        };
        let t = 20_000.0;
        let (times, active) = two_state(&p, t, &mut Stream::seed_from_u64(5));
        let (pa, tau) = (p.active_fraction(), 1.0 / 4.0);
        let var_frac = 2.0 * pa * (1.0 - pa) * tau / t;
        assert!(
            (active - pa).abs() < 5.0 * var_frac.sqrt(),
            "{active} vs {pa}"
        );
        let dt = 1.0 / p.grid_hz;
        let per_s = |r: f64| (1.0 - (-r * dt).exp()) / dt;
        let mean = t * (pa * per_s(p.active_rate_hz) + (1.0 - pa) * per_s(p.quiescent_rate_hz));
        let var = mean
            + (per_s(p.active_rate_hz) - per_s(p.quiescent_rate_hz)).powi(2) * t * t * var_frac;
        let n = times.len() as f64;
        assert!((n - mean).abs() < 5.0 * var.sqrt(), "{n} vs {mean}");
        assert!(
            times.windows(2).all(|w| w[1] >= w[0]) && times.iter().all(|&x| (0.0..t).contains(&x))
        );
    }
}
