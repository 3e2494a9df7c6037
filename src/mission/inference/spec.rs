//! The `[inference]` scenario section: as written ([`InferenceSpec`], read strictly with
//! `deny_unknown_fields`) and validated ([`InferenceConfig`], SI units, every error naming
//! its field path). `scenarios/README.md` documents every field.

use std::path::{Path, PathBuf};

use rand::RngExt;
use serde::{Deserialize, Deserializer};

use super::compute::{Accelerator, ModelCompute};
use crate::engine::SimRng;
use crate::ground::{GroundStation, load_stations, validate_site};
use crate::link::{CodingMode, LinkConfig, LinkDirection, LinkKind, LinkParams};
use crate::mission::power::{Limit, PowerConfig, PowerSpec, Watts};
use crate::mission::{FieldError, fail, selects};
use crate::orbit::Satellite;
use crate::time::UtcTime;
use crate::units::{ByteRate, Bytes, Duration, RangeValue, check_range, quoted};

/// Most terminals one random or ocean source places.
const MAX_TERMINALS: u32 = 1_000_000;
/// Largest header of one question or answer: 1 MB.
const MAX_MESSAGE_OVERHEAD: u64 = 1_000_000;
/// Longest switching delay per inter-satellite hop: a minute.
const MAX_HOP_DELAY_NS: i64 = 60_000_000_000;
/// Longest inter-satellite path.
const MAX_ISL_HOPS: u32 = 1_000;
/// Most times a question lost on board is routed again.
const MAX_REROUTES: u32 = 100;
/// Most requests a satellite batches or queues.
const MAX_QUEUE: u32 = 1_000_000;
/// Longest the slowest possible request may take to compute, seconds (a year).
const MAX_SERVICE_S: f64 = 366.0 * 86_400.0;

/// Requests per unit of time, written `"12/h"`, `"50/d"`, `"0.5/min"`, `"2/s"` (also
/// `per hour` spelled out: `"12 per hour"`), or as a bare number per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct RequestRate(pub f64);

impl RequestRate {
    /// Parses a rate into requests per second. Negative values parse, so that validation
    /// can reject them with the field's path.
    pub fn parse(text: &str) -> Result<Self, String> {
        let err = || format!("{} is not a request rate (expected e.g. 12/h, 50/d, 0.5/min, 2/s)", quoted(text));
        let t = text.trim();
        let (number, unit) = match t.split_once('/') {
            Some((n, u)) => (n.trim(), u.trim()),
            None => match t.split_once(" per ") {
                Some((n, u)) => (n.trim(), u.trim()),
                None => return Err(err()),
            },
        };
        let value: f64 = number.replace('_', "").parse().map_err(|_| err())?;
        if !value.is_finite() {
            return Err(err());
        }
        let seconds = match unit {
            "s" | "sec" | "second" => 1.0,
            "min" | "minute" => 60.0,
            "h" | "hr" | "hour" => 3600.0,
            "d" | "day" => 86_400.0,
            "w" | "week" => 7.0 * 86_400.0,
            _ => return Err(err()),
        };
        Ok(RequestRate(value / seconds))
    }
}

impl<'de> Deserialize<'de> for RequestRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Float(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(v) => Ok(RequestRate(v as f64)),
            Raw::Float(v) => Ok(RequestRate(v)),
            Raw::Text(t) => RequestRate::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// A token-count distribution as written: `{ dist = "fixed", value = 200 }`,
/// `{ dist = "uniform", min = 50, max = 500 }` or
/// `{ dist = "lognormal", median = 300, sigma = 0.8, max = 8192 }` (σ of the logarithm;
/// `max` caps the draw, default 32,768: Qwen3's context length).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TokenSpec {
    /// Always `value` tokens.
    Fixed {
        /// Token count.
        value: f64,
    },
    /// Uniform integers in [min, max].
    Uniform {
        /// Smallest count.
        min: f64,
        /// Largest count.
        max: f64,
    },
    /// exp(N(ln median, σ²)), rounded, capped at `max`.
    Lognormal {
        /// Median token count.
        median: f64,
        /// Standard deviation of the natural logarithm.
        sigma: f64,
        /// Largest count (default 32,768).
        max: Option<f64>,
    },
}

/// Default cap on lognormal token counts: Qwen3's 32,768-token context.
pub const DEFAULT_MAX_TOKENS: u32 = 32_768;
/// Largest token count any distribution may produce (a sanity bound: 1 M tokens).
pub const TOKEN_LIMIT: f64 = 1_048_576.0;

/// A validated token-count distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TokenDistribution {
    /// Always this many.
    Fixed(u32),
    /// Uniform integers in [min, max].
    Uniform {
        /// Smallest count.
        min: u32,
        /// Largest count.
        max: u32,
    },
    /// exp(N(mu, sigma²)) rounded to the nearest integer, capped at `max`.
    Lognormal {
        /// Mean of the logarithm (ln of the median).
        mu: f64,
        /// Standard deviation of the logarithm.
        sigma: f64,
        /// Cap.
        max: u32,
    },
}

impl TokenDistribution {
    /// One draw.
    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        match *self {
            TokenDistribution::Fixed(v) => v,
            TokenDistribution::Uniform { min, max } => rng.random_range(min..=max),
            TokenDistribution::Lognormal { mu, sigma, max } => {
                // Box–Muller: one standard normal from two uniforms (rand_distr is not a
                // dependency, and one draw per request needs no faster method).
                let u1: f64 = 1.0 - rng.random::<f64>();
                let u2: f64 = rng.random();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let v = (mu + sigma * z).exp().round();
                (v.min(max as f64)) as u32
            }
        }
    }

    /// The largest count the distribution can draw.
    pub fn max_tokens(&self) -> u32 {
        match *self {
            TokenDistribution::Fixed(v) => v,
            TokenDistribution::Uniform { max, .. } | TokenDistribution::Lognormal { max, .. } => max,
        }
    }

    /// Expected value (of the uncapped lognormal), for reports.
    pub fn mean(&self) -> f64 {
        match *self {
            TokenDistribution::Fixed(v) => v as f64,
            TokenDistribution::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
            TokenDistribution::Lognormal { mu, sigma, .. } => (mu + sigma * sigma / 2.0).exp(),
        }
    }

    fn validate(spec: &TokenSpec, path: &str) -> Result<Self, FieldError> {
        let count = |field: &str, v: f64| -> Result<u32, FieldError> {
            let p = format!("{path}.{field}");
            if !v.is_finite() {
                return fail(p, format!("{v} is not a number"));
            }
            if v < 0.0 {
                return fail(p, format!("{v} is negative: token counts must be ≥ 0"));
            }
            if v > TOKEN_LIMIT {
                return fail(p, format!("{v} is more than {TOKEN_LIMIT} tokens"));
            }
            if v.fract() != 0.0 {
                return fail(p, format!("{v} is not a whole number of tokens"));
            }
            Ok(v as u32)
        };
        Ok(match *spec {
            TokenSpec::Fixed { value } => TokenDistribution::Fixed(count("value", value)?),
            TokenSpec::Uniform { min, max } => {
                let (lo, hi) = (count("min", min)?, count("max", max)?);
                if hi < lo {
                    return fail(format!("{path}.max"), format!("{hi} is below min ({lo})"));
                }
                TokenDistribution::Uniform { min: lo, max: hi }
            }
            TokenSpec::Lognormal { median, sigma, max } => {
                if !(median.is_finite() && median > 0.0) {
                    return fail(
                        format!("{path}.median"),
                        format!("{median} must be > 0 (a lognormal has no zero or negative values)"),
                    );
                }
                if median > TOKEN_LIMIT {
                    return fail(format!("{path}.median"), format!("{median} is more than {TOKEN_LIMIT} tokens"));
                }
                if !(sigma.is_finite() && (0.0..=5.0).contains(&sigma)) {
                    return fail(format!("{path}.sigma"), format!("{sigma} must be between 0 and 5"));
                }
                let cap = match max {
                    Some(m) => count("max", m)?,
                    None => DEFAULT_MAX_TOKENS,
                };
                if (cap as f64) < median {
                    return fail(format!("{path}.max"), format!("{cap} is below the median ({median})"));
                }
                TokenDistribution::Lognormal { mu: median.ln(), sigma, max: cap }
            }
        })
    }
}

/// Where a source's requests come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// User terminals at given positions (`file` CSV and/or inline `users`).
    Users,
    /// `count` terminals at random positions over the whole globe (uniform by area).
    Random,
    /// `count` terminals at random positions over the oceans (uniform by area, land
    /// rejected with the bundled Natural Earth coastline).
    Ocean,
    /// A web page on the ground: questions reach the satellite through the operator's own
    /// ground stations (`stations`), over the scenario's uplink and downlink contacts.
    Portal,
}

/// A user terminal written inline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineUser {
    /// Label in the outputs.
    pub name: String,
    /// Geodetic latitude, degrees (−90…90).
    pub lat_deg: f64,
    /// Longitude, degrees (−180…360).
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, m.
    #[serde(default)]
    pub alt_m: f64,
}

/// One `[[inference.sources]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Label in the outputs; default `source<k>`.
    pub name: Option<String>,
    /// `users`, `random`, `ocean` or `portal`.
    pub kind: SourceKind,
    /// Poisson arrival rate per terminal (users, random, ocean) or of the whole portal.
    pub rate: RequestRate,
    /// Prompt (input) tokens per request.
    pub prompt_tokens: TokenSpec,
    /// Answer (output) tokens per request.
    pub output_tokens: TokenSpec,
    /// `users`: a CSV of terminals (`name,lat_deg,lon_deg[,alt_m]`, as station files).
    pub file: Option<PathBuf>,
    /// `users`: terminals written inline.
    #[serde(default)]
    pub users: Vec<InlineUser>,
    /// `random` and `ocean`: how many terminals.
    pub count: Option<u32>,
    /// `portal`: the scenario's stations that carry the portal's traffic (name substrings,
    /// case-insensitive; each must match).
    #[serde(default)]
    pub stations: Vec<String>,
    /// First instant requests may arrive (ISO-8601 UTC); default the scenario start.
    pub start: Option<String>,
    /// Last instant requests may arrive; default the scenario end.
    pub end: Option<String>,
    /// The model version its questions need: `any` (default: whatever a satellite runs),
    /// `latest` (the newest released when asked) or a version's name.
    #[serde(default)]
    pub version: Option<String>,
}

/// `[inference.terminals]`: the user terminals' radio links.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalSpec {
    /// Terminal → satellite link; default [`default_terminal_uplink`] (fields given without
    /// a `preset` override it one by one).
    pub uplink: Option<LinkConfig>,
    /// Satellite → terminal link; default [`default_terminal_downlink`].
    pub downlink: Option<LinkConfig>,
    /// Elevation mask of every terminal, degrees; default the uplink's `min_elevation_deg`.
    pub min_elevation_deg: Option<f64>,
}

fn default_compute_efficiency() -> f64 {
    0.05
}
fn default_bandwidth_efficiency() -> f64 {
    0.6
}
fn default_batch() -> u32 {
    1
}
fn default_queue_limit() -> u32 {
    32
}

/// `[inference.accelerator]` as written: the computer on every serving satellite.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceleratorSpec {
    /// Label, e.g. "Jetson AGX Orin 64GB".
    #[serde(default)]
    pub name: String,
    /// Peak throughput, tera-operations per second (as the vendor quotes it).
    pub tops: f64,
    /// Share of `tops` reached in prefill (default 0.05: llama.cpp-class runtimes on
    /// embedded GPUs reach a few percent of the sparse INT8 peak).
    #[serde(default = "default_compute_efficiency")]
    pub compute_efficiency: f64,
    /// Memory bandwidth, e.g. `"204.8 GB/s"`.
    pub memory_bandwidth: ByteRate,
    /// Share of the bandwidth decode reaches (default 0.6: 25 tokens/s measured for
    /// Qwen3-8B Q4_K_M on a 204.8 GB/s Jetson AGX Orin, docs/FACTS.md).
    #[serde(default = "default_bandwidth_efficiency")]
    pub bandwidth_efficiency: f64,
    /// Memory size: must hold the weights.
    pub memory: Bytes,
    /// Draw while computing.
    pub power: Watts,
    /// Draw while idle with the model loaded; default 0.
    #[serde(default)]
    pub idle_power: Watts,
    /// Requests decoded together (continuous batching slots); default 1.
    #[serde(default = "default_batch")]
    pub max_batch: u32,
    /// Requests waiting per satellite beyond which new ones are turned away; default 32.
    #[serde(default = "default_queue_limit")]
    pub queue_limit: u32,
}

impl AcceleratorSpec {
    /// Checks the table written at `path` (e.g. `inference.accelerator`); its memory must
    /// hold `weight_bytes`. Errors name the field under `path`.
    pub fn validate(&self, path: &str, weight_bytes: f64) -> Result<Accelerator, FieldError> {
        let a = self;
        let positive = |field: &str, v: f64| {
            if v.is_finite() && v > 0.0 { Ok(v) } else { fail(format!("{path}.{field}"), format!("{v} must be > 0")) }
        };
        let share = |field: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 1.0 {
                Ok(v)
            } else {
                fail(format!("{path}.{field}"), format!("{v} must be in (0, 1]"))
            }
        };
        let tops = check_range(a.tops, 1e-6..=1e6, " TOPS").map_err(|m| FieldError::new(format!("{path}.tops"), m))?;
        let compute_efficiency = share("compute_efficiency", a.compute_efficiency)?;
        let bandwidth = positive("memory_bandwidth", a.memory_bandwidth.0)?;
        let bandwidth_efficiency = share("bandwidth_efficiency", a.bandwidth_efficiency)?;
        if (a.memory.0 as f64) < weight_bytes {
            return fail(
                format!("{path}.memory"),
                format!("{} cannot hold the {} of weights", a.memory, Bytes(weight_bytes.ceil() as u64)),
            );
        }
        let power = positive("power", a.power.0)?;
        if !(a.idle_power.0.is_finite() && a.idle_power.0 >= 0.0 && a.idle_power.0 <= power) {
            return fail(format!("{path}.idle_power"), format!("{} W must be between 0 and `power`", a.idle_power.0));
        }
        check_range(a.queue_limit, 0..=MAX_QUEUE, " requests")
            .map_err(|m| FieldError::new(format!("{path}.queue_limit"), m))?;
        check_range(a.max_batch, 1..=MAX_QUEUE, " requests")
            .map_err(|m| FieldError::new(format!("{path}.max_batch"), m))?;
        Ok(Accelerator {
            name: a.name.clone(),
            peak_ops_per_s: tops * 1e12,
            compute_efficiency,
            memory_bandwidth_bytes_per_s: bandwidth,
            bandwidth_efficiency,
            memory_bytes: a.memory.0,
            power_w: power,
            idle_power_w: a.idle_power.0,
            max_batch: a.max_batch,
            queue_limit: a.queue_limit,
        })
    }
}

fn default_bytes_per_token() -> u32 {
    4
}
fn default_overhead() -> Bytes {
    Bytes(512)
}
fn default_hop() -> Duration {
    Duration(1_000_000)
}
fn default_max_hops() -> u16 {
    8
}
fn default_max_reroutes() -> u32 {
    3
}

/// `[inference]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceSpec {
    /// Satellites that carry the accelerator (name substrings or roles, case-insensitive);
    /// all if empty.
    #[serde(default)]
    pub satellites: Vec<String>,
    /// The model is on board from the start (fixed at launch, as on Starcloud-1); otherwise
    /// a satellite serves from the instant the upload deploys it there.
    #[serde(default)]
    pub preinstalled: bool,
    /// The model's parameter count, e.g. `8.19e9`.
    pub parameters: f64,
    /// Bytes per weight as stored on board (e.g. 0.614 for Q4_K_M); default the model's
    /// size ÷ parameters.
    pub bytes_per_weight: Option<f64>,
    /// How long a user waits for an answer before giving up.
    pub timeout: Duration,
    /// Bytes per token in questions and answers (UTF-8 text); default 4.
    #[serde(default = "default_bytes_per_token")]
    pub bytes_per_token: u32,
    /// Headers per message; default 512 B.
    #[serde(default = "default_overhead")]
    pub message_overhead: Bytes,
    /// Switching delay per inter-satellite hop; default 1 ms.
    #[serde(default = "default_hop")]
    pub isl_hop_delay: Duration,
    /// Longest inter-satellite path a question or answer takes, hops; default 8.
    #[serde(default = "default_max_hops")]
    pub max_isl_hops: u16,
    /// Times a question lost on board is routed again before it is dropped; default 3.
    #[serde(default = "default_max_reroutes")]
    pub max_reroutes: u32,
    /// The accelerator of every serving satellite.
    pub accelerator: AcceleratorSpec,
    /// The satellites' power system; without it power never limits inference.
    pub power: Option<PowerSpec>,
    /// User terminal links.
    #[serde(default)]
    pub terminals: TerminalSpec,
    /// Where requests come from.
    pub sources: Vec<SourceSpec>,
}

/// The terminals of one source.
#[derive(Debug, Clone, PartialEq)]
pub enum Terminals {
    /// Fixed positions (from a CSV file or written inline).
    Positions(Vec<GroundStation>),
    /// Random positions drawn at run time from the scenario seed.
    Random {
        /// How many.
        count: u32,
        /// Over the oceans only.
        ocean: bool,
    },
    /// The scenario's ground stations (indices) that carry a web portal's traffic.
    Portal(Vec<u32>),
}

/// A validated request source.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Label in the outputs.
    pub name: String,
    /// Where requests enter.
    pub terminals: Terminals,
    /// Arrivals per second: per terminal, or of the whole portal.
    pub rate_per_s: f64,
    /// Prompt tokens.
    pub prompt: TokenDistribution,
    /// Output tokens.
    pub output: TokenDistribution,
    /// Arrivals from here…
    pub start: UtcTime,
    /// …until here (exclusive).
    pub end: UtcTime,
    /// The version its questions need.
    pub version: VersionWanted,
}

/// The model version a question needs: only a satellite running it may answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionWanted {
    /// Whatever version the satellite runs.
    Any,
    /// The newest version released when the question is asked.
    Latest,
    /// One version (0: the scenario's `[model]`; k: its k-th `[[releases]]`).
    Exactly(u16),
}

impl Source {
    /// Number of terminals whose arrival processes add up (1 for a portal).
    pub fn terminal_count(&self) -> usize {
        match &self.terminals {
            Terminals::Positions(p) => p.len(),
            Terminals::Random { count, .. } => *count as usize,
            Terminals::Portal(_) => 1,
        }
    }

    /// Total arrival rate of the source, per second.
    pub fn total_rate_per_s(&self) -> f64 {
        self.rate_per_s * self.terminal_count() as f64
    }
}

/// A validated `[inference]` section.
#[derive(Debug, Clone)]
pub struct InferenceConfig {
    /// `serving[i]`: satellite `i` carries the accelerator.
    pub serving: Vec<bool>,
    /// The model is on board every serving satellite from the start.
    pub preinstalled: bool,
    /// When each version of the model is released (the model first, at the start).
    pub version_released: Vec<UtcTime>,
    /// What the model costs to run.
    pub model: ModelCompute,
    /// The accelerator.
    pub accelerator: Accelerator,
    /// The power system, if modelled.
    pub power: Option<PowerConfig>,
    /// A request is abandoned this long after it was asked, ns.
    pub timeout_ns: i64,
    /// Bytes per token in messages.
    pub bytes_per_token: u64,
    /// Header bytes per message.
    pub message_overhead: u64,
    /// Switching delay per inter-satellite hop, ns.
    pub isl_hop_ns: i64,
    /// Longest inter-satellite path, hops.
    pub max_isl_hops: u16,
    /// Times a question lost on board is routed again before it is dropped.
    pub max_reroutes: u16,
    /// User terminal → satellite.
    pub terminal_uplink: LinkParams,
    /// Satellite → user terminal.
    pub terminal_downlink: LinkParams,
    /// Elevation mask of user terminals, degrees.
    pub terminal_min_elevation_deg: f64,
    /// Request sources.
    pub sources: Vec<Source>,
}

impl InferenceConfig {
    /// Bytes of a message carrying `tokens` tokens.
    pub fn message_bytes(&self, tokens: u32) -> u64 {
        self.message_overhead + self.bytes_per_token * tokens as u64
    }
}

/// What validation needs from the rest of the scenario.
pub struct ValidationContext<'a> {
    /// The scenario file (relative paths are resolved against its folder).
    pub file: &'a Path,
    /// The fleet.
    pub satellites: &'a [Satellite],
    /// Role of each satellite.
    pub roles: &'a [Option<String>],
    /// The scenario's ground stations.
    pub stations: &'a [GroundStation],
    /// Whether the scenario has a downlink (portal answers need one).
    pub has_downlink: bool,
    /// Size of the deployed model, bytes (the default weight size).
    pub model_size_bytes: u64,
    /// Simulation window.
    pub start: UtcTime,
    /// Simulation window end.
    pub end: UtcTime,
    /// The model's versions (the model first), with when each is released.
    pub versions: &'a [(String, UtcTime)],
}

/// The default user-terminal uplink: a maritime Ka-band flat-panel terminal (the class of
/// Inmarsat GX or Starlink Maritime kits) at 29.5 GHz, 5 W (7 dBW) into a 0.6 m-equivalent
/// electronically steered array of 40 dBi (43 dBi at boresight less scan loss), 10 Msps
/// DVB-S2 ACM (roll-off 0.2). Satellite: a 32 dBi receive beam with 600 K (G/T 4.2 dB/K).
/// The array scans down to 25° elevation. At 25° from 550 km this gives 33 Mbit/s in the
/// mid-Atlantic and 8 Mbit/s in Singapore's rain (99 % availability); 45 Mbit/s overhead.
/// No setup time: the terminal tracks the constellation continuously and hands over
/// without re-acquiring.
pub fn default_terminal_uplink() -> LinkConfig {
    LinkConfig {
        kind: Some(LinkKind::Rf),
        direction: Some(LinkDirection::Uplink),
        frequency_ghz: Some(29.5),
        symbol_rate_msps: Some(10.0),
        roll_off: Some(0.2),
        tx_power_dbw: Some(7.0),
        tx_gain_dbi: Some(40.0),
        rx_gain_dbi: Some(32.0),
        system_noise_temp_k: Some(600.0),
        pointing_loss_db: Some(0.5),
        polarization_loss_db: Some(0.5),
        implementation_loss_db: Some(1.5),
        required_margin_db: Some(3.0),
        coding: Some(CodingMode::Adaptive),
        availability_percent: Some(99.0),
        min_elevation_deg: Some(25.0),
        setup_time_s: Some(0.0),
        ..LinkConfig::default()
    }
}

/// The default user-terminal downlink at 19.7 GHz: 10 W (10 dBW) into a 35 dBi spot beam
/// (EIRP 45 dBW), 50 Msps DVB-S2 ACM (roll-off 0.2); the terminal's array receives with
/// 37 dBi and 250 K looking at a cold sky (the model adds the atmosphere's noise). At 25°
/// from 550 km: 220 Mbit/s in the mid-Atlantic, 150 Mbit/s in Singapore's rain. From 25°
/// elevation, no setup time.
pub fn default_terminal_downlink() -> LinkConfig {
    LinkConfig {
        kind: Some(LinkKind::Rf),
        direction: Some(LinkDirection::Downlink),
        frequency_ghz: Some(19.7),
        symbol_rate_msps: Some(50.0),
        roll_off: Some(0.2),
        tx_power_dbw: Some(10.0),
        tx_gain_dbi: Some(35.0),
        rx_gain_dbi: Some(37.0),
        system_noise_temp_k: Some(250.0),
        pointing_loss_db: Some(0.5),
        polarization_loss_db: Some(0.5),
        implementation_loss_db: Some(1.5),
        required_margin_db: Some(3.0),
        coding: Some(CodingMode::Adaptive),
        availability_percent: Some(99.0),
        min_elevation_deg: Some(25.0),
        setup_time_s: Some(0.0),
        ..LinkConfig::default()
    }
}

/// A terminal link: a given `preset` is used as written; otherwise the given fields
/// override the default terminal link field by field.
fn resolve_link(given: &Option<LinkConfig>, default: LinkConfig, path: &str) -> Result<LinkParams, FieldError> {
    let config = match given {
        Some(g) if g.preset.is_some() => g.clone(),
        Some(g) => {
            let mut c = default;
            c.overlay(g);
            c
        }
        None => default,
    };
    config.resolve(path).map_err(|e| {
        let text = e.to_string();
        match text.split_once(": ") {
            Some((p, m)) if p.starts_with(path) => FieldError { path: p.to_string(), message: m.to_string() },
            _ => FieldError { path: path.to_string(), message: text },
        }
    })
}

/// Validates the section. Errors name the field path under `inference`.
pub fn validate(spec: &InferenceSpec, ctx: &ValidationContext) -> Result<InferenceConfig, FieldError> {
    let base = ctx.file.parent().unwrap_or(Path::new("."));
    let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };

    // Serving satellites.
    let serving: Vec<bool> = if spec.satellites.is_empty() {
        vec![true; ctx.satellites.len()]
    } else {
        let wanted: Vec<String> = spec.satellites.iter().map(|t| t.to_lowercase()).collect();
        for (i, w) in wanted.iter().enumerate() {
            if !ctx
                .satellites
                .iter()
                .zip(ctx.roles)
                .any(|(s, r)| selects(std::slice::from_ref(w), &s.name, r.as_deref()))
            {
                return fail(
                    format!("inference.satellites[{i}]"),
                    format!("{} matches no satellite name or role", quoted(&spec.satellites[i])),
                );
            }
        }
        ctx.satellites.iter().zip(ctx.roles).map(|(s, r)| selects(&wanted, &s.name, r.as_deref())).collect()
    };

    // Model and accelerator.
    check_range(spec.parameters, 1.0..=1e15, " parameters").map_err(|m| FieldError::new("inference.parameters", m))?;
    let bytes_per_weight = match spec.bytes_per_weight {
        Some(b) if b.is_finite() && b > 0.0 && b <= 8.0 => b,
        Some(b) => return fail("inference.bytes_per_weight", format!("{b} must be in (0, 8]")),
        None => ctx.model_size_bytes as f64 / spec.parameters,
    };
    let model = ModelCompute { parameters: spec.parameters, weight_bytes: spec.parameters * bytes_per_weight };
    let accelerator = spec.accelerator.validate("inference.accelerator", model.weight_bytes)?;
    let power = match &spec.power {
        Some(p) => Some(p.validate("inference.power").map_err(|(path, message)| FieldError { path, message })?),
        None => None,
    };
    if let Some(PowerConfig { limit: Limit::Throttle { power_w, .. }, .. }) = power
        && power_w > accelerator.power_w
    {
        return fail(
            "inference.power.throttle_power",
            format!("{power_w} W is more than the accelerator's full power"),
        );
    }

    // Messages and timing.
    if spec.timeout.0 <= 0 {
        return fail("inference.timeout", "must be longer than zero");
    }
    check_range(spec.bytes_per_token, 1..=64, " bytes (UTF-8 text)")
        .map_err(|m| FieldError::new("inference.bytes_per_token", m))?;
    check_range(spec.message_overhead.0, 0..=MAX_MESSAGE_OVERHEAD, " bytes (headers of one message)")
        .map_err(|m| FieldError::new("inference.message_overhead", m))?;
    check_range(spec.isl_hop_delay.0, 0..=MAX_HOP_DELAY_NS, " ns (switching at one satellite)")
        .map_err(|m| FieldError::new("inference.isl_hop_delay", m))?;
    check_range(spec.max_isl_hops as u32, 0..=MAX_ISL_HOPS, " hops")
        .map_err(|m| FieldError::new("inference.max_isl_hops", m))?;
    let max_reroutes = check_range(spec.max_reroutes, 0..=MAX_REROUTES, " reroutes")
        .map_err(|m| FieldError::new("inference.max_reroutes", m))? as u16;

    // Terminals.
    let terminal_uplink =
        resolve_link(&spec.terminals.uplink, default_terminal_uplink(), "inference.terminals.uplink")?;
    if terminal_uplink.direction != LinkDirection::Uplink {
        return fail("inference.terminals.uplink", format!("preset `{}` is not an uplink", terminal_uplink.name));
    }
    let terminal_downlink =
        resolve_link(&spec.terminals.downlink, default_terminal_downlink(), "inference.terminals.downlink")?;
    if terminal_downlink.direction != LinkDirection::Downlink {
        return fail("inference.terminals.downlink", format!("preset `{}` is not a downlink", terminal_downlink.name));
    }
    let terminal_min_elevation_deg = spec.terminals.min_elevation_deg.unwrap_or(terminal_uplink.min_elevation_deg);
    if !(terminal_min_elevation_deg.is_finite() && (0.0..=89.0).contains(&terminal_min_elevation_deg)) {
        return fail("inference.terminals.min_elevation_deg", format!("{terminal_min_elevation_deg} is outside 0…89°"));
    }
    // One mask for the terminal: both links carry data from it up.
    let (mut terminal_uplink, mut terminal_downlink) = (terminal_uplink, terminal_downlink);
    terminal_uplink.min_elevation_deg = terminal_min_elevation_deg;
    terminal_downlink.min_elevation_deg = terminal_min_elevation_deg;

    // Sources.
    if spec.sources.is_empty() {
        return fail("inference.sources", "needs at least one `[[inference.sources]]` entry");
    }
    let mut sources = Vec::with_capacity(spec.sources.len());
    for (k, s) in spec.sources.iter().enumerate() {
        let path = format!("inference.sources[{k}]");
        let field = |f: &str| format!("{path}.{f}");
        let name = s.name.clone().unwrap_or_else(|| format!("source{k}"));
        if name.trim().is_empty() {
            return fail(field("name"), "must not be empty");
        }
        if !(s.rate.0.is_finite() && s.rate.0 > 0.0) {
            return fail(field("rate"), format!("{} per hour must be > 0", s.rate.0 * 3600.0));
        }
        let prompt = TokenDistribution::validate(&s.prompt_tokens, &field("prompt_tokens"))?;
        let output = TokenDistribution::validate(&s.output_tokens, &field("output_tokens"))?;
        if matches!(output, TokenDistribution::Fixed(0)) {
            return fail(field("output_tokens.value"), "an answer needs at least one token");
        }
        let not_for = |f: &str, given: bool, kinds: &str| {
            if given { fail(field(f), format!("applies only to {kinds} sources")) } else { Ok(()) }
        };
        let terminals = match s.kind {
            SourceKind::Users => {
                not_for("count", s.count.is_some(), "random and ocean")?;
                not_for("stations", !s.stations.is_empty(), "portal")?;
                let mut users = Vec::new();
                if let Some(f) = &s.file {
                    let loaded = load_stations(&resolve(f), terminal_min_elevation_deg)
                        .map_err(|e| FieldError { path: field("file"), message: e.to_string() })?;
                    users.extend(loaded);
                }
                for (i, u) in s.users.iter().enumerate() {
                    validate_site(u.lat_deg, u.lon_deg, u.alt_m).map_err(|m| {
                        let (f, msg) = m.split_once(": ").unwrap_or(("", m.as_str()));
                        FieldError { path: format!("{path}.users[{i}].{f}"), message: msg.to_string() }
                    })?;
                    users.push(GroundStation {
                        name: u.name.clone(),
                        site: crate::frames::Geodetic { lat_deg: u.lat_deg, lon_deg: u.lon_deg, alt_km: u.alt_m / 1e3 },
                        min_elevation_deg: terminal_min_elevation_deg,
                        azimuth_mask: None,
                    });
                }
                if users.is_empty() {
                    return fail(path, "a `users` source needs `file` or inline `users`");
                }
                for u in &mut users {
                    u.min_elevation_deg = terminal_min_elevation_deg;
                    u.azimuth_mask = None;
                }
                Terminals::Positions(users)
            }
            SourceKind::Random | SourceKind::Ocean => {
                not_for("file", s.file.is_some(), "users")?;
                not_for("users", !s.users.is_empty(), "users")?;
                not_for("stations", !s.stations.is_empty(), "portal")?;
                let count = match s.count {
                    Some(c) => check_range(c, 1..=MAX_TERMINALS, " terminals (each is placed and tracked)")
                        .map_err(|m| FieldError::new(field("count"), m))?,
                    None => return fail(field("count"), "is required for random and ocean sources"),
                };
                Terminals::Random { count, ocean: s.kind == SourceKind::Ocean }
            }
            SourceKind::Portal => {
                not_for("file", s.file.is_some(), "users")?;
                not_for("users", !s.users.is_empty(), "users")?;
                not_for("count", s.count.is_some(), "random and ocean")?;
                if s.stations.is_empty() {
                    return fail(field("stations"), "a portal needs at least one of the scenario's stations");
                }
                if !ctx.has_downlink {
                    return fail(
                        field("kind"),
                        "a portal sends answers down over `links.downlink`, which the scenario does not define",
                    );
                }
                let mut picked = Vec::new();
                for (i, wanted) in s.stations.iter().enumerate() {
                    let w = wanted.to_lowercase();
                    let hits: Vec<u32> = ctx
                        .stations
                        .iter()
                        .enumerate()
                        .filter(|(_, st)| st.name.to_lowercase().contains(w.as_str()))
                        .map(|(j, _)| j as u32)
                        .collect();
                    if hits.is_empty() {
                        return fail(
                            format!("{path}.stations[{i}]"),
                            format!("{} matches no scenario station", quoted(wanted)),
                        );
                    }
                    for h in hits {
                        if !picked.contains(&h) {
                            picked.push(h);
                        }
                    }
                }
                Terminals::Portal(picked)
            }
        };
        let time = |f: &str, given: &Option<String>, default: UtcTime| -> Result<UtcTime, FieldError> {
            match given {
                Some(t) => UtcTime::parse(t).map_err(|e| FieldError { path: field(f), message: e.to_string() }),
                None => Ok(default),
            }
        };
        let start = time("start", &s.start, ctx.start)?;
        let end = time("end", &s.end, ctx.end)?;
        if start < ctx.start || start >= ctx.end {
            return fail(field("start"), "must lie within the scenario's window");
        }
        if end <= start || end > ctx.end {
            return fail(field("end"), "must lie after `start` and within the scenario's window");
        }
        let version = match s.version.as_deref() {
            None | Some("any") => VersionWanted::Any,
            Some("latest") => VersionWanted::Latest,
            Some(wanted) => match ctx.versions.iter().position(|(name, _)| name == wanted) {
                Some(v) => VersionWanted::Exactly(v as u16),
                None => {
                    let known: Vec<&str> = ctx.versions.iter().map(|(n, _)| n.as_str()).collect();
                    return fail(
                        field("version"),
                        format!("{} is no version of the model (any, latest, {})", quoted(wanted), known.join(", ")),
                    );
                }
            },
        };
        let source = Source { name, terminals, rate_per_s: s.rate.0, prompt, output, start, end, version };
        // Keep the event count sane: the engine handles millions, not billions.
        let expected = source.total_rate_per_s() * end.seconds_since(start);
        if expected > 5e7 {
            return fail(field("rate"), format!("gives about {expected:.0} requests: more than 50 million"));
        }
        sources.push(source);
    }
    // The slowest request (the largest token counts, a full batch, throttled) must stay on
    // the simulation clock: a tiny accelerator or a huge model otherwise schedules its end
    // centuries away, past what 64-bit nanoseconds hold.
    let slowdown = match power {
        Some(PowerConfig { limit: Limit::Throttle { speed, .. }, .. }) => 1.0 / speed,
        _ => 1.0,
    };
    for (k, s) in sources.iter().enumerate() {
        let (prompt, output) = (s.prompt.max_tokens(), s.output.max_tokens());
        let worst_s = (accelerator.prefill_s(&model, prompt)
            + output as f64 * accelerator.decode_step_s(&model, accelerator.max_batch))
            * slowdown;
        if worst_s.is_nan() || worst_s > MAX_SERVICE_S {
            return fail(
                format!("inference.sources[{k}]"),
                format!(
                    "a request of {prompt} + {output} tokens would take {} days on this accelerator (more than a year): check inference.parameters, accelerator.tops and memory_bandwidth",
                    (worst_s / 86_400.0).round().show()
                ),
            );
        }
    }
    let mut names = std::collections::HashSet::new();
    for (k, s) in sources.iter().enumerate() {
        if !names.insert(s.name.as_str()) {
            return fail(format!("inference.sources[{k}].name"), format!("{} is used by two sources", quoted(&s.name)));
        }
    }

    Ok(InferenceConfig {
        serving,
        preinstalled: spec.preinstalled,
        version_released: ctx.versions.iter().map(|&(_, at)| at).collect(),
        model,
        accelerator,
        power,
        timeout_ns: spec.timeout.0,
        bytes_per_token: spec.bytes_per_token as u64,
        message_overhead: spec.message_overhead.0,
        isl_hop_ns: spec.isl_hop_delay.0,
        max_isl_hops: spec.max_isl_hops,
        max_reroutes,
        terminal_uplink,
        terminal_downlink,
        terminal_min_elevation_deg,
        sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(RequestRate::parse("36/h").unwrap(), RequestRate(0.01));
        assert_eq!(RequestRate::parse("86400 / d").unwrap(), RequestRate(1.0));
        assert_eq!(RequestRate::parse("3 per min").unwrap(), RequestRate(0.05));
        assert_eq!(RequestRate::parse("-2/s").unwrap(), RequestRate(-2.0));
        for bad in ["", "12", "12/fortnight", "x/h", "12 h"] {
            assert!(RequestRate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_distributions_reject_negative_values_with_their_path() {
        let e = TokenDistribution::validate(&TokenSpec::Uniform { min: -5.0, max: 10.0 }, "p").unwrap_err();
        assert_eq!(e.path, "p.min");
        let e = TokenDistribution::validate(&TokenSpec::Fixed { value: -1.0 }, "p").unwrap_err();
        assert_eq!(e.path, "p.value");
        let e = TokenDistribution::validate(&TokenSpec::Lognormal { median: -3.0, sigma: 1.0, max: None }, "p")
            .unwrap_err();
        assert_eq!(e.path, "p.median");
    }

    #[test]
    fn default_terminal_links_close_at_the_mask_even_in_tropical_rain() {
        use crate::link::{LinkBudget, Site};
        let up = default_terminal_uplink().resolve("u").unwrap();
        let down = default_terminal_downlink().resolve("d").unwrap();
        let range = crate::link::slant_range_km(25.0, 550.0);
        let (mut clear_up, mut clear_down) = (0, 0);
        for (lat, lon) in [(1.35, 103.8), (0.0, -150.0), (45.0, -30.0)] {
            let site = Site::new(lat, lon, 0.0);
            let (u, d) = (LinkBudget::for_site(&up, &site).unwrap(), LinkBudget::for_site(&down, &site).unwrap());
            assert!(u.rate_bps(25.0, range) > 5_000_000, "uplink at ({lat}, {lon})");
            assert!(d.rate_bps(25.0, range) > 50_000_000, "downlink at ({lat}, {lon})");
            assert_eq!(u.rate_bps(24.9, range), 0);
            clear_up = clear_up.max(u.rate_bps(25.0, range));
            clear_down = clear_down.max(d.rate_bps(25.0, range));
        }
        // The figures the docs quote (mid-Atlantic, 99 % of the time).
        assert!((20_000_000..40_000_000).contains(&clear_up), "{clear_up}");
        assert!((150_000_000..250_000_000).contains(&clear_down), "{clear_down}");
    }

    #[test]
    fn lognormal_draws_have_the_median_asked_for() {
        let d =
            TokenDistribution::validate(&TokenSpec::Lognormal { median: 300.0, sigma: 0.8, max: None }, "p").unwrap();
        let mut rng = crate::engine::rng_stream(1, 0, "test");
        let mut v: Vec<u32> = (0..20_001).map(|_| d.sample(&mut rng)).collect();
        v.sort_unstable();
        let median = v[10_000] as f64;
        assert!((median / 300.0 - 1.0).abs() < 0.03, "{median}");
        let u = TokenDistribution::Uniform { min: 5, max: 7 };
        assert!((0..1000).map(|_| u.sample(&mut rng)).all(|x| (5..=7).contains(&x)));
    }
}
