//! Chunk loss: whether a transmitted chunk arrives, under the scenario's loss model.
//!
//! A chunk of `n` link-layer packets arrives only if all its packets do. Independent-loss
//! models draw one uniform number per (satellite, chunk, attempt) from a counter-addressed
//! ChaCha8 stream, so the draw for a transmission does not depend on what else was sent
//! before it: with the same seed, a higher error rate loses a superset of the
//! transmissions a lower one loses. The Gilbert–Elliott model has memory, so it walks one
//! sequential stream per satellite, jumping over whole sojourns in a state.
//!
//! The scenario's `[upload.loss]` section is [`LossSpec`] as written and [`LossModel`]
//! once validated.

use rand::RngExt;
use serde::Deserialize;

use super::FieldError;
use crate::engine::{SimRng, rng_stream};
use crate::link::{Coding, LinkParams, Technology};
use crate::units::check_range;

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LossSpec {
    #[default]
    None,
    /// Every packet is lost independently with this probability.
    Fixed { packet_error_rate: f64 },
    /// Packet error rate from the Es/N0 margin over the chosen MODCOD's threshold: the margin
    /// is the required margin plus a uniform share of the gap to the next MODCOD, minus a
    /// Gaussian fade; PER = 10^(log10(per_at_threshold) − margin/db_per_decade).
    Margin {
        #[serde(default = "default_fade")]
        fade_sigma_db: f64,
        #[serde(default = "default_per_at_threshold")]
        per_at_threshold: f64,
        #[serde(default = "default_db_per_decade")]
        db_per_decade: f64,
    },
    /// Two-state bursts: in the good state packets are lost with `loss_good`, in the bad
    /// state with `loss_bad`; per packet the state flips with the given probabilities.
    GilbertElliott { p_good_to_bad: f64, p_bad_to_good: f64, loss_good: f64, loss_bad: f64 },
}

fn default_fade() -> f64 {
    1.0
}
fn default_per_at_threshold() -> f64 {
    1e-7
}
fn default_db_per_decade() -> f64 {
    0.3
}

/// Chunk loss, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum LossModel {
    None,
    Fixed { packet_error_rate: f64 },
    Margin { required_margin_db: f64, step_gap_db: f64, fade_sigma_db: f64, per_at_threshold: f64, db_per_decade: f64 },
    GilbertElliott { p_good_to_bad: f64, p_bad_to_good: f64, loss_good: f64, loss_bad: f64 },
}

/// Validates the loss section written at `field` for chunks sent over `uplink`.
pub fn validate(spec: &LossSpec, uplink: &LinkParams, field: &str) -> Result<LossModel, FieldError> {
    let probability = |name: &str, v: f64| {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(FieldError::new(format!("{field}.{name}"), format!("{v} is not a probability in [0, 1]")))
        }
    };
    Ok(match spec {
        LossSpec::None => LossModel::None,
        LossSpec::Fixed { packet_error_rate } => {
            LossModel::Fixed { packet_error_rate: probability("packet_error_rate", *packet_error_rate)? }
        }
        LossSpec::Margin { fade_sigma_db, per_at_threshold, db_per_decade } => {
            check_range(*fade_sigma_db, 0.0..=30.0, " dB")
                .map_err(|m| FieldError::new(format!("{field}.fade_sigma_db"), m))?;
            check_range(*db_per_decade, 1e-3..=100.0, " dB")
                .map_err(|m| FieldError::new(format!("{field}.db_per_decade"), m))?;
            let (required_margin_db, step_gap_db) = margin_of(uplink);
            LossModel::Margin {
                required_margin_db,
                step_gap_db,
                fade_sigma_db: *fade_sigma_db,
                per_at_threshold: probability("per_at_threshold", *per_at_threshold)?,
                db_per_decade: *db_per_decade,
            }
        }
        LossSpec::GilbertElliott { p_good_to_bad, p_bad_to_good, loss_good, loss_bad } => LossModel::GilbertElliott {
            p_good_to_bad: probability("p_good_to_bad", *p_good_to_bad)?,
            p_bad_to_good: probability("p_bad_to_good", *p_bad_to_good)?,
            loss_good: probability("loss_good", *loss_good)?,
            loss_bad: probability("loss_bad", *loss_bad)?,
        },
    })
}

/// The link's required margin and the typical gap between adjacent MODCOD thresholds (the
/// headroom a link has on average above its margin before switching up), dB.
fn margin_of(link: &LinkParams) -> (f64, f64) {
    match &link.technology {
        Technology::Rf(rf) => {
            let gap = match &rf.coding {
                Coding::Adaptive { .. } => 0.8,
                Coding::Fixed { .. } => 3.0,
            };
            (rf.required_margin_db, gap)
        }
        Technology::Optical(_) => (3.0, 0.0),
    }
}

/// Attempts per chunk addressable in the counter stream.
const MAX_ATTEMPTS: u128 = 1 << 16;

/// The loss process of one satellite's uplink.
pub struct ChunkLoss {
    model: LossModel,
    /// Counter-addressed stream for independent draws.
    counter: SimRng,
    /// Sequential stream for the bursty channel, and its state: (bad, packets left in it).
    sequential: SimRng,
    burst: (bool, u64),
}

impl ChunkLoss {
    pub fn new(model: &LossModel, seed: u64, satellite: u64) -> Self {
        let mut sequential = rng_stream(seed, satellite, "upload.loss.burst");
        let burst = match model {
            LossModel::GilbertElliott { p_good_to_bad, .. } => (false, sojourn(&mut sequential, *p_good_to_bad)),
            _ => (false, 0),
        };
        ChunkLoss { model: model.clone(), counter: rng_stream(seed, satellite, "upload.loss"), sequential, burst }
    }

    /// Whether attempt `attempt` of chunk (or fountain symbol) `index`, `packets` packets
    /// long, is lost.
    pub fn lost(&mut self, index: u32, attempt: u32, packets: u64) -> bool {
        let mut draw = |k: u128| {
            self.counter.set_word_pos(((index as u128 * MAX_ATTEMPTS + attempt as u128) * 4 + k) * 2);
            self.counter.random::<f64>()
        };
        match self.model {
            LossModel::None => false,
            LossModel::Fixed { packet_error_rate } => draw(0) < chunk_loss(packet_error_rate, packets),
            LossModel::Margin { required_margin_db, step_gap_db, fade_sigma_db, per_at_threshold, db_per_decade } => {
                let headroom = draw(1) * step_gap_db;
                let fade = fade_sigma_db * standard_normal(draw(2), draw(3));
                let margin = required_margin_db + headroom - fade;
                let per = (per_at_threshold * 10f64.powf(-margin / db_per_decade)).min(1.0);
                draw(0) < chunk_loss(per, packets)
            }
            LossModel::GilbertElliott { p_good_to_bad, p_bad_to_good, loss_good, loss_bad } => {
                let mut left = packets;
                let mut arrived = true;
                while left > 0 {
                    let (bad, run) = self.burst;
                    let here = run.min(left);
                    let p = if bad { loss_bad } else { loss_good };
                    if arrived && self.sequential.random::<f64>() < chunk_loss(p, here) {
                        arrived = false;
                    }
                    left -= here;
                    self.burst.1 -= here;
                    if self.burst.1 == 0 {
                        // Switch state; how long the new one lasts depends on its exit rate.
                        let leave = if bad { p_good_to_bad } else { p_bad_to_good };
                        self.burst = (!bad, sojourn(&mut self.sequential, leave));
                    }
                }
                !arrived
            }
        }
    }
}

/// Probability that at least one of `packets` packets is lost.
fn chunk_loss(packet_error_rate: f64, packets: u64) -> f64 {
    if packet_error_rate <= 0.0 {
        return 0.0;
    }
    if packet_error_rate >= 1.0 {
        return 1.0;
    }
    -((packets as f64) * (-packet_error_rate).ln_1p()).exp_m1()
}

/// Packets spent in a state left with probability `p_leave` per packet: geometric, ≥ 1.
fn sojourn(rng: &mut SimRng, p_leave: f64) -> u64 {
    if p_leave >= 1.0 {
        return 1;
    }
    if p_leave <= 0.0 {
        return u64::MAX / 4;
    }
    let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    (1.0 + (u.ln() / (-p_leave).ln_1p()).floor()).min(1e15) as u64
}

/// Box–Muller from two uniforms.
fn standard_normal(u1: f64, u2: f64) -> f64 {
    (-2.0 * u1.max(f64::MIN_POSITIVE).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_loss_matches_its_probability_and_is_monotone() {
        let low = LossModel::Fixed { packet_error_rate: 1e-4 };
        let high = LossModel::Fixed { packet_error_rate: 3e-4 };
        let (mut a, mut b) = (ChunkLoss::new(&low, 9, 3), ChunkLoss::new(&high, 9, 3));
        let mut lost = (0, 0);
        for chunk in 0..20_000 {
            let (la, lb) = (a.lost(chunk, 0, 1024), b.lost(chunk, 0, 1024));
            assert!(!la || lb, "a loss at the lower rate is a loss at the higher rate");
            lost.0 += la as u32;
            lost.1 += lb as u32;
        }
        let expect = |per: f64| 20_000.0 * chunk_loss(per, 1024);
        assert!((lost.0 as f64 - expect(1e-4)).abs() < 4.0 * expect(1e-4).sqrt(), "{lost:?}");
        assert!((lost.1 as f64 - expect(3e-4)).abs() < 4.0 * expect(3e-4).sqrt(), "{lost:?}");
    }

    #[test]
    fn draws_depend_only_on_chunk_and_attempt() {
        let m = LossModel::Fixed { packet_error_rate: 1e-3 };
        let mut a = ChunkLoss::new(&m, 1, 1);
        let mut b = ChunkLoss::new(&m, 1, 1);
        let forward: Vec<bool> = (0..100).map(|c| a.lost(c, 2, 1000)).collect();
        let backward: Vec<bool> = (0..100).rev().map(|c| b.lost(c, 2, 1000)).collect();
        assert_eq!(forward, backward.into_iter().rev().collect::<Vec<_>>());
    }

    #[test]
    fn bursts_have_the_stationary_loss_rate() {
        // Good 99 % of the time, lossless; bad 1 %, losing everything: ~1 % of 1-packet
        // chunks lost, in runs of mean length 1 / p_bad_to_good = 20.
        let m = LossModel::GilbertElliott {
            p_good_to_bad: 0.01 / 0.99 * 0.05,
            p_bad_to_good: 0.05,
            loss_good: 0.0,
            loss_bad: 1.0,
        };
        let mut loss = ChunkLoss::new(&m, 4, 2);
        let outcomes: Vec<bool> = (0..200_000).map(|c| loss.lost(c, 0, 1)).collect();
        let rate = outcomes.iter().filter(|&&x| x).count() as f64 / outcomes.len() as f64;
        assert!((rate - 0.01).abs() < 0.003, "{rate}");
        let runs = outcomes.windows(2).filter(|w| !w[0] && w[1]).count();
        let mean_run = outcomes.iter().filter(|&&x| x).count() as f64 / runs as f64;
        assert!((mean_run - 20.0).abs() < 4.0, "{mean_run}");
    }
}
