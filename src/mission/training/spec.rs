//! The `[training]` scenario section: as written ([`TrainingSpec`], read strictly with
//! `deny_unknown_fields`) and validated ([`TrainingConfig`], SI units and integer
//! nanoseconds, every error naming its field path). `scenarios/README.md` documents every
//! field.
//!
//! `mode` names the way the participants train; each mode owns the fields only it reads,
//! and a field of another mode is an error, so a later mode adds its variant and its fields
//! here without touching the others.

use serde::Deserialize;

use crate::access::outages::find_name;
use crate::ground::GroundStation;
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
    /// Federated training: every participant trains on its own data, then sends its update
    /// to an aggregator, which sends the aggregated model back.
    Federated,
}

impl TrainingMode {
    pub fn name(self) -> &'static str {
        match self {
            TrainingMode::DataParallel => "data_parallel",
            TrainingMode::Federated => "federated",
        }
    }
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
/// Latency of one all-reduce hop when not given: 10 µs.
const DEFAULT_HOP_LATENCY_NS: i64 = 10_000;

/// `aggregator = { station = "NAME" }`, `{ stations = [...] }` or `{ satellite = "NAME" }`
/// as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregatorSpec {
    pub station: Option<String>,
    pub stations: Option<Vec<String>>,
    pub satellite: Option<String>,
}

/// `min_updates`: a count (an integer) or a share of the participants (a number with a
/// decimal point, in (0, 1]).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum MinUpdatesSpec {
    Count(i64),
    Share(f64),
}

/// `[training]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
    /// `data_parallel` or `federated`.
    pub mode: TrainingMode,
    /// Satellites that train: roles or name substrings (a cluster's or shell's name
    /// selects its satellites), case-insensitive; default `["training"]`.
    #[serde(default = "default_participants")]
    pub participants: Vec<String>,
    /// The model's parameter count, e.g. `8e9`.
    pub parameters: f64,
    /// Share of the accelerator's peak a training step reaches (model FLOPs utilisation).
    pub utilisation: f64,
    /// The accelerator of every participant (the table of `[inference.accelerator]`).
    pub accelerator: AcceleratorSpec,
    /// Data-parallel: tokens in one step's global batch, shared among the participants.
    pub tokens_per_step: Option<f64>,
    /// Data-parallel: bytes of gradients all-reduced per step; default 2 bytes per
    /// parameter (bf16).
    pub gradient_bytes: Option<Bytes>,
    /// Data-parallel: `ring` (default) or `hierarchical`.
    pub algorithm: Option<AlgorithmName>,
    /// Data-parallel: participants per group of the hierarchical all-reduce.
    pub group_size: Option<u32>,
    /// Data-parallel: latency of one hop of an all-reduce ring (switching, protocol and
    /// light time); default 10 µs.
    pub hop_latency: Option<Duration>,
    /// Data-parallel: `wait` (default) or `continue`.
    pub on_failure: Option<OnFailure>,
    /// Data-parallel: periodic checkpoints.
    pub checkpoint: Option<CheckpointSpec>,
    /// Data-parallel: the participants' power system; without it power never stops a step.
    pub power: Option<PowerSpec>,
    /// Federated: local training steps per round.
    pub local_steps: Option<f64>,
    /// Federated: tokens in one local step's batch.
    pub local_batch_tokens: Option<f64>,
    /// Federated: bytes of one update (and of the aggregated model sent back), before
    /// compression.
    pub update_size: Option<Bytes>,
    /// Federated: compression ratio of updates and models on the links (≥ 1; default 1).
    pub compression: Option<f64>,
    /// Federated: where the updates go.
    pub aggregator: Option<AggregatorSpec>,
    /// Federated: updates that close a round (a count, or a share of the participants).
    pub min_updates: Option<MinUpdatesSpec>,
    /// Federated: a round closes at most this long after it opened.
    pub round_deadline: Option<Duration>,
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

/// `[training]`, validated: one configuration per mode.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainingConfig {
    DataParallel(Box<DataParallelConfig>),
    Federated(Box<FederatedConfig>),
}

/// Where the updates of federated training are aggregated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aggregator {
    /// Any of these ground stations (indices, ascending), over the passes; the ground
    /// network joins them.
    Stations(Vec<u32>),
    /// This satellite (fleet index), over the inter-satellite links.
    Satellite(u32),
}

/// `[training]` with `mode = "federated"`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedConfig {
    /// Fleet indices of the participants, ascending.
    pub participants: Vec<u32>,
    pub parameters: f64,
    pub local_steps: u64,
    pub local_batch_tokens: u64,
    pub utilisation: f64,
    pub accelerator: Accelerator,
    /// Bytes of an update as written, and as sent (after compression, rounded up).
    pub update_size_bytes: u64,
    pub compression: f64,
    pub wire_bytes: u64,
    pub aggregator: Aggregator,
    /// Its name(s) as the scenario spells them, for the summary.
    pub aggregator_name: String,
    /// Updates that close a round (at least 1, at most the participants).
    pub min_updates: u32,
    pub round_deadline_ns: i64,
}

impl FederatedConfig {
    /// Time of one participant's local training of a round, whole ns (rounded up).
    pub fn compute_ns(&self) -> i64 {
        let flops = 6.0 * self.parameters * self.local_steps as f64 * self.local_batch_tokens as f64;
        compute_time_ns(flops, self.utilisation, &self.accelerator, 1.0)
    }

    /// Tokens one update is trained on.
    pub fn tokens_per_update(&self) -> u64 {
        self.local_steps * self.local_batch_tokens
    }
}

/// Time to compute `flops` at `utilisation` of the accelerator's peak and `speed` of full
/// speed, whole ns (rounded up).
fn compute_time_ns(flops: f64, utilisation: f64, accelerator: &Accelerator, speed: f64) -> i64 {
    (flops / (utilisation * accelerator.peak_ops_per_s * speed) * 1e9).ceil() as i64
}

/// `[training]` with `mode = "data_parallel"`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct DataParallelConfig {
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

impl DataParallelConfig {
    /// FLOPs one participant computes per step when `n` share the global batch (6 per
    /// parameter per token: forward and backward pass).
    pub fn flops_per_participant(&self, n: usize) -> f64 {
        6.0 * self.parameters * self.tokens_per_step as f64 / n.max(1) as f64
    }

    /// Compute time of a step with `n` participants at `speed` of full speed, whole ns
    /// (rounded up).
    pub fn compute_ns(&self, n: usize, speed: f64) -> i64 {
        compute_time_ns(self.flops_per_participant(n), self.utilisation, &self.accelerator, speed)
    }
}

/// What validation needs from the rest of the scenario.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    pub satellites: &'a [Satellite],
    pub roles: &'a [Option<String>],
    pub stations: &'a [GroundStation],
    /// The satellites the ground contact plan is built for.
    pub planned: &'a [bool],
    /// Whether the scenario has `[links.downlink]`.
    pub has_downlink: bool,
    /// The scenario's `[links.isl]`, resolved.
    pub isl: Option<&'a LinkParams>,
    pub window_ns: i64,
}

/// Validates the section. Errors name the field path under `training`.
pub fn validate(spec: &TrainingSpec, ctx: &ValidationContext) -> Result<TrainingConfig, FieldError> {
    let data_parallel_fields = [
        ("tokens_per_step", spec.tokens_per_step.is_some()),
        ("gradient_bytes", spec.gradient_bytes.is_some()),
        ("algorithm", spec.algorithm.is_some()),
        ("group_size", spec.group_size.is_some()),
        ("hop_latency", spec.hop_latency.is_some()),
        ("on_failure", spec.on_failure.is_some()),
        ("checkpoint", spec.checkpoint.is_some()),
        ("power", spec.power.is_some()),
    ];
    let federated_fields = [
        ("local_steps", spec.local_steps.is_some()),
        ("local_batch_tokens", spec.local_batch_tokens.is_some()),
        ("update_size", spec.update_size.is_some()),
        ("compression", spec.compression.is_some()),
        ("aggregator", spec.aggregator.is_some()),
        ("min_updates", spec.min_updates.is_some()),
        ("round_deadline", spec.round_deadline.is_some()),
    ];
    let (foreign, other): (&[(&str, bool)], TrainingMode) = match spec.mode {
        TrainingMode::DataParallel => (&federated_fields, TrainingMode::Federated),
        TrainingMode::Federated => (&data_parallel_fields, TrainingMode::DataParallel),
    };
    if let Some((field, _)) = foreign.iter().find(|(_, written)| *written) {
        return fail(format!("training.{field}"), format!("applies only to mode = \"{}\"", other.name()));
    }
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
    check_range(spec.parameters, 1.0..=1e15, " parameters").map_err(|m| FieldError::new("training.parameters", m))?;
    if !(spec.utilisation.is_finite() && spec.utilisation > 0.0 && spec.utilisation <= 1.0) {
        return fail("training.utilisation", format!("{} must be in (0, 1]", spec.utilisation));
    }
    match spec.mode {
        TrainingMode::DataParallel => {
            validate_data_parallel(spec, participants, ctx).map(|c| TrainingConfig::DataParallel(Box::new(c)))
        }
        TrainingMode::Federated => {
            validate_federated(spec, participants, ctx).map(|c| TrainingConfig::Federated(Box::new(c)))
        }
    }
}

/// A whole number of at least 1 and at most `max`, or why not.
fn whole_count(value: Option<f64>, max: f64, path: &str, what: &str) -> Result<f64, FieldError> {
    let Some(value) = value else {
        return fail(path, format!("is required: the {what}"));
    };
    check_range(value, 1.0..=max, "").map_err(|m| FieldError::new(path, m))?;
    if value.fract() != 0.0 {
        return fail(path, format!("{value} must be a whole number"));
    }
    Ok(value)
}

fn validate_data_parallel(
    spec: &TrainingSpec,
    participants: Vec<u32>,
    ctx: &ValidationContext,
) -> Result<DataParallelConfig, FieldError> {
    let n = participants.len();
    let tokens_per_step =
        whole_count(spec.tokens_per_step, 1e12, "training.tokens_per_step", "tokens of a step's global batch")?;
    let gradient_bytes = match spec.gradient_bytes {
        Some(b) => check_range(b.0, 1..=MAX_BYTES, " B").map_err(|m| FieldError::new("training.gradient_bytes", m))?,
        None if 2.0 * spec.parameters <= MAX_BYTES as f64 => (2.0 * spec.parameters).ceil() as u64,
        None => return fail("training.gradient_bytes", "2 bytes per parameter is more than 100 TB: give it"),
    };
    let accelerator = spec.accelerator.validate("training.accelerator", gradient_bytes as f64)?;
    let algorithm = match (spec.algorithm.unwrap_or_default(), spec.group_size) {
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
    let hop_latency_ns = spec.hop_latency.map_or(DEFAULT_HOP_LATENCY_NS, |d| d.0);
    check_range(hop_latency_ns, 0..=MAX_HOP_LATENCY_NS, " ns")
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
    let config = DataParallelConfig {
        participants,
        parameters: spec.parameters,
        tokens_per_step: tokens_per_step as u64,
        gradient_bytes,
        utilisation: spec.utilisation,
        accelerator,
        algorithm,
        hop_latency_ns,
        on_failure: spec.on_failure.unwrap_or_default(),
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

fn validate_federated(
    spec: &TrainingSpec,
    participants: Vec<u32>,
    ctx: &ValidationContext,
) -> Result<FederatedConfig, FieldError> {
    let n = participants.len();
    let local_steps = whole_count(spec.local_steps, 1e9, "training.local_steps", "local training steps per round")?;
    let local_batch_tokens =
        whole_count(spec.local_batch_tokens, 1e12, "training.local_batch_tokens", "tokens of a local step's batch")?;
    let Some(update_size) = spec.update_size else {
        return fail("training.update_size", "is required: the bytes of one update (e.g. the adapter's size)");
    };
    let update_size_bytes =
        check_range(update_size.0, 1..=MAX_BYTES, " B").map_err(|m| FieldError::new("training.update_size", m))?;
    let compression = spec.compression.unwrap_or(1.0);
    check_range(compression, 1.0..=1e6, "").map_err(|m| FieldError::new("training.compression", m))?;
    let wire_bytes = ((update_size_bytes as f64 / compression).ceil() as u64).max(1);
    let accelerator = spec.accelerator.validate("training.accelerator", update_size_bytes as f64)?;
    let Some(aggregator) = &spec.aggregator else {
        return fail(
            "training.aggregator",
            "is required: { station = \"NAME\" }, { stations = [...] } or { satellite = \"NAME\" }",
        );
    };
    let (aggregator, aggregator_name) = match (&aggregator.station, &aggregator.stations, &aggregator.satellite) {
        (Some(one), None, None) => {
            (Aggregator::Stations(vec![station_index(one, ctx, "training.aggregator.station")?]), one.clone())
        }
        (None, Some(list), None) => {
            if list.is_empty() {
                return fail("training.aggregator.stations", "must name at least one station");
            }
            let mut indices = Vec::with_capacity(list.len());
            for (i, name) in list.iter().enumerate() {
                indices.push(station_index(name, ctx, &format!("training.aggregator.stations[{i}]"))?);
            }
            indices.sort_unstable();
            indices.dedup();
            (Aggregator::Stations(indices), list.join(", "))
        }
        (None, None, Some(name)) => {
            let names: Vec<String> = ctx.satellites.iter().map(|s| s.name.clone()).collect();
            let index = find_name(&names, name).map_err(|e| {
                FieldError::new("training.aggregator.satellite", e.message(name, "satellite of the scenario"))
            })?;
            if ctx.isl.is_none() {
                return fail(
                    "training.aggregator.satellite",
                    "needs `[links.isl]`: updates reach it over the laser links",
                );
            }
            (Aggregator::Satellite(index), name.clone())
        }
        _ => return fail("training.aggregator", "give exactly one of station, stations or satellite"),
    };
    if let Aggregator::Stations(_) = aggregator {
        if !ctx.has_downlink {
            return fail("training.aggregator", "a station needs `[links.downlink]`: updates come down over it");
        }
        if let Some(&p) = participants.iter().find(|&&p| !ctx.planned[p as usize]) {
            return fail(
                "training.participants",
                format!(
                    "{} gets no ground contacts: add it to [upload] targets",
                    quoted(&ctx.satellites[p as usize].name)
                ),
            );
        }
    }
    let min_updates = match spec.min_updates {
        None => {
            return fail("training.min_updates", "is required: a count, or a share of the participants such as 0.5");
        }
        Some(MinUpdatesSpec::Count(c)) if c >= 1 && c as usize <= n => c as u32,
        Some(MinUpdatesSpec::Count(c)) => {
            return fail("training.min_updates", format!("{c} must be between 1 and the number of participants ({n})"));
        }
        Some(MinUpdatesSpec::Share(f)) if f.is_finite() && f > 0.0 && f <= 1.0 => ((f * n as f64).ceil() as u32).max(1),
        Some(MinUpdatesSpec::Share(f)) => return fail("training.min_updates", format!("{f} must be in (0, 1]")),
    };
    let Some(deadline) = spec.round_deadline else {
        return fail("training.round_deadline", "is required: the longest a round stays open");
    };
    if deadline.0 <= 0 {
        return fail("training.round_deadline", "must be longer than zero");
    }
    let config = FederatedConfig {
        participants,
        parameters: spec.parameters,
        local_steps: local_steps as u64,
        local_batch_tokens: local_batch_tokens as u64,
        utilisation: spec.utilisation,
        accelerator,
        update_size_bytes,
        compression,
        wire_bytes,
        aggregator,
        aggregator_name,
        min_updates,
        round_deadline_ns: deadline.0,
    };
    if config.compute_ns() > ctx.window_ns {
        return fail(
            "training.local_steps",
            format!("a round's local training takes {:.0} s: longer than the run", config.compute_ns() as f64 / 1e9),
        );
    }
    Ok(config)
}

/// The index of the station named `name` (as `[failures]` names one), or an error at `path`.
fn station_index(name: &str, ctx: &ValidationContext, path: &str) -> Result<u32, FieldError> {
    let names: Vec<String> = ctx.stations.iter().map(|s| s.name.clone()).collect();
    find_name(&names, name).map_err(|e| FieldError::new(path, e.message(name, "station of the scenario")))
}
