//! The `[training]` scenario section: as written ([`TrainingSpec`], read strictly with
//! `deny_unknown_fields`) and validated ([`TrainingConfig`], SI units and integer
//! nanoseconds, every error naming its field path). `scenarios/README.md` documents every
//! field.
//!
//! `mode` names the way the participants train; each mode owns the fields only it reads,
//! and a field of another mode is an error, so a later mode adds its variant and its fields
//! here without touching the others.

use serde::Deserialize;

use crate::link::LinkParams;
use crate::mission::inference::compute::Accelerator;
use crate::mission::inference::spec::AcceleratorSpec;
use crate::mission::power::{PowerConfig, PowerSpec};
use crate::mission::{FieldError, fail, selects};
use crate::orbit::Satellite;
use crate::units::{ByteRate, Bytes, Duration, check_range, quoted};

/// Most steps one run may simulate: each is simulated on its own.
pub const MAX_STEPS: i64 = 10_000_000;
/// Longest per-hop latency: a second.
const MAX_HOP_LATENCY_NS: i64 = 1_000_000_000;
/// Largest gradient or checkpoint: 100 TB.
const MAX_BYTES: u64 = 100_000_000_000_000;

/// How the participants train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingMode {
    /// Synchronous data-parallel training: every participant computes on its share of the
    /// global batch, then the gradients are all-reduced over the inter-satellite links.
    DataParallel,
}

/// How the gradients are all-reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AlgorithmName {
    /// One ring through every participant.
    #[default]
    Ring,
    /// Rings inside groups of `group_size`, then rings across the groups.
    Hierarchical,
}

/// What a step does when a participant is down or out of power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// The job waits until every participant is back.
    #[default]
    Wait,
    /// The job goes on with the participants that are up.
    Continue,
}

impl OnFailure {
    pub fn name(self) -> &'static str {
        match self {
            OnFailure::Wait => "wait",
            OnFailure::Continue => "continue",
        }
    }
}

/// `checkpoint = { every, size, write_rate }` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSpec {
    /// Time between checkpoints (from the end of one to the step that ends past it).
    pub every: Duration,
    /// Bytes written per checkpoint.
    pub size: Bytes,
    /// Rate the checkpoint is written (and read back on a resume).
    pub write_rate: ByteRate,
}

fn default_participants() -> Vec<String> {
    vec!["training".into()]
}
fn default_hop_latency() -> Duration {
    Duration(10_000)
}

/// `[training]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
    /// `data_parallel` (the only mode so far).
    pub mode: TrainingMode,
    /// Satellites that train: roles or name substrings (a cluster's or shell's name
    /// selects its satellites), case-insensitive; default `["training"]`.
    #[serde(default = "default_participants")]
    pub participants: Vec<String>,
    /// The model's parameter count, e.g. `8e9`.
    pub parameters: f64,
    /// Tokens in one step's global batch, shared among the participants.
    pub tokens_per_step: f64,
    /// Bytes of gradients all-reduced per step; default 2 bytes per parameter (bf16).
    pub gradient_bytes: Option<Bytes>,
    /// Share of the accelerator's peak a training step reaches (model FLOPs utilisation).
    pub utilisation: f64,
    /// The accelerator of every participant (the table of `[inference.accelerator]`).
    pub accelerator: AcceleratorSpec,
    /// `ring` (default) or `hierarchical`.
    #[serde(default)]
    pub algorithm: AlgorithmName,
    /// Participants per group of the hierarchical all-reduce.
    pub group_size: Option<u32>,
    /// Latency of one hop of an all-reduce ring (switching, protocol and light time);
    /// default 10 µs.
    #[serde(default = "default_hop_latency")]
    pub hop_latency: Duration,
    /// `wait` (default) or `continue`.
    #[serde(default)]
    pub on_failure: OnFailure,
    pub checkpoint: Option<CheckpointSpec>,
    /// The participants' power system; without it power never stops a step.
    pub power: Option<PowerSpec>,
}

/// The all-reduce, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Ring,
    Hierarchical { group_size: u32 },
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ring => "ring",
            Algorithm::Hierarchical { .. } => "hierarchical",
        }
    }
}

/// Checkpoints, validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checkpoint {
    pub every_ns: i64,
    pub size_bytes: u64,
    /// Time to write (or read back) one checkpoint, ns.
    pub write_ns: i64,
}

/// `[training]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingConfig {
    pub mode: TrainingMode,
    /// Fleet indices of the participants, ascending.
    pub participants: Vec<u32>,
    pub parameters: f64,
    pub tokens_per_step: u64,
    pub gradient_bytes: u64,
    pub utilisation: f64,
    pub accelerator: Accelerator,
    pub algorithm: Algorithm,
    pub hop_latency_ns: i64,
    pub on_failure: OnFailure,
    pub checkpoint: Option<Checkpoint>,
    pub power: Option<PowerConfig>,
    /// The scenario's inter-satellite link, whose rate at each hop's range sets the
    /// all-reduce's bandwidth.
    pub isl: LinkParams,
}

impl TrainingConfig {
    /// FLOPs one participant computes per step when `n` share the global batch (6 per
    /// parameter per token: forward and backward pass).
    pub fn flops_per_participant(&self, n: usize) -> f64 {
        6.0 * self.parameters * self.tokens_per_step as f64 / n.max(1) as f64
    }

    /// Compute time of a step with `n` participants at `speed` of full speed, whole ns
    /// (rounded up).
    pub fn compute_ns(&self, n: usize, speed: f64) -> i64 {
        let seconds = self.flops_per_participant(n) / (self.utilisation * self.accelerator.peak_ops_per_s * speed);
        (seconds * 1e9).ceil() as i64
    }
}

/// What validation needs from the rest of the scenario.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    pub satellites: &'a [Satellite],
    pub roles: &'a [Option<String>],
    /// The scenario's `[links.isl]`, resolved.
    pub isl: Option<&'a LinkParams>,
    pub window_ns: i64,
}

/// Validates the section. Errors name the field path under `training`.
pub fn validate(spec: &TrainingSpec, ctx: &ValidationContext) -> Result<TrainingConfig, FieldError> {
    if spec.participants.is_empty() {
        return fail("training.participants", "must name at least one role or satellite name");
    }
    let wanted: Vec<String> = spec.participants.iter().map(|t| t.to_lowercase()).collect();
    for (i, w) in wanted.iter().enumerate() {
        if !ctx.satellites.iter().zip(ctx.roles).any(|(s, r)| selects(std::slice::from_ref(w), &s.name, r.as_deref())) {
            return fail(
                format!("training.participants[{i}]"),
                format!("{} matches no satellite name or role", quoted(&spec.participants[i])),
            );
        }
    }
    let participants: Vec<u32> = (0..ctx.satellites.len() as u32)
        .filter(|&i| selects(&wanted, &ctx.satellites[i as usize].name, ctx.roles[i as usize].as_deref()))
        .collect();
    let n = participants.len();
    check_range(spec.parameters, 1.0..=1e15, " parameters").map_err(|m| FieldError::new("training.parameters", m))?;
    check_range(spec.tokens_per_step, 1.0..=1e12, " tokens")
        .map_err(|m| FieldError::new("training.tokens_per_step", m))?;
    if spec.tokens_per_step.fract() != 0.0 {
        return fail("training.tokens_per_step", format!("{} must be a whole number of tokens", spec.tokens_per_step));
    }
    let gradient_bytes = match spec.gradient_bytes {
        Some(b) => check_range(b.0, 1..=MAX_BYTES, " B").map_err(|m| FieldError::new("training.gradient_bytes", m))?,
        None if 2.0 * spec.parameters <= MAX_BYTES as f64 => (2.0 * spec.parameters).ceil() as u64,
        None => return fail("training.gradient_bytes", "2 bytes per parameter is more than 100 TB: give it"),
    };
    if !(spec.utilisation.is_finite() && spec.utilisation > 0.0 && spec.utilisation <= 1.0) {
        return fail("training.utilisation", format!("{} must be in (0, 1]", spec.utilisation));
    }
    let accelerator = spec.accelerator.validate("training.accelerator", gradient_bytes as f64)?;
    let algorithm = match (spec.algorithm, spec.group_size) {
        (AlgorithmName::Ring, None) => Algorithm::Ring,
        (AlgorithmName::Ring, Some(_)) => {
            return fail("training.group_size", "applies only to algorithm = \"hierarchical\"");
        }
        (AlgorithmName::Hierarchical, None) => {
            return fail("training.group_size", "is required with algorithm = \"hierarchical\"");
        }
        (AlgorithmName::Hierarchical, Some(g)) => {
            if g < 2 || g as usize > n {
                return fail(
                    "training.group_size",
                    format!("{g} must be between 2 and the number of participants ({n})"),
                );
            }
            Algorithm::Hierarchical { group_size: g }
        }
    };
    check_range(spec.hop_latency.0, 0..=MAX_HOP_LATENCY_NS, " ns")
        .map_err(|m| FieldError::new("training.hop_latency", m))?;
    let checkpoint = match &spec.checkpoint {
        Some(c) => {
            if c.every.0 <= 0 {
                return fail("training.checkpoint.every", "must be longer than zero");
            }
            check_range(c.size.0, 1..=MAX_BYTES, " B").map_err(|m| FieldError::new("training.checkpoint.size", m))?;
            if !(c.write_rate.0.is_finite() && c.write_rate.0 > 0.0) {
                return fail("training.checkpoint.write_rate", format!("{} B/s must be > 0", c.write_rate.0));
            }
            let write_s = c.size.0 as f64 / c.write_rate.0;
            if write_s * 1e9 > ctx.window_ns as f64 {
                return fail(
                    "training.checkpoint.write_rate",
                    format!("writing {} would take {write_s:.0} s, longer than the run", c.size),
                );
            }
            Some(Checkpoint { every_ns: c.every.0, size_bytes: c.size.0, write_ns: (write_s * 1e9).ceil() as i64 })
        }
        None => None,
    };
    let power = match &spec.power {
        Some(p) => Some(p.validate("training.power").map_err(|(path, message)| FieldError { path, message })?),
        None => None,
    };
    let isl = match ctx.isl {
        Some(isl) => isl.clone(),
        None => return fail("training", "needs `[links.isl]`: the gradients are all-reduced over the laser links"),
    };
    let config = TrainingConfig {
        mode: spec.mode,
        participants,
        parameters: spec.parameters,
        tokens_per_step: spec.tokens_per_step as u64,
        gradient_bytes,
        utilisation: spec.utilisation,
        accelerator,
        algorithm,
        hop_latency_ns: spec.hop_latency.0,
        on_failure: spec.on_failure,
        checkpoint,
        power,
        isl,
    };
    // Each step is simulated on its own; the fastest is the compute of every participant
    // at full speed.
    let fastest_ns = config.compute_ns(n, 1.0).max(1);
    if ctx.window_ns / fastest_ns > MAX_STEPS {
        return fail(
            "training.tokens_per_step",
            format!(
                "a step of {} s would make more than {MAX_STEPS} steps in the run: give more tokens per step",
                fastest_ns as f64 / 1e9
            ),
        );
    }
    if fastest_ns > ctx.window_ns {
        return fail(
            "training.tokens_per_step",
            format!("one step takes {:.0} s even with every participant: longer than the run", fastest_ns as f64 / 1e9),
        );
    }
    Ok(config)
}
