//! Scenario files: what a run simulates, in TOML, read strictly (`deny_unknown_fields`)
//! and validated into a [`Scenario`] with every error naming its field path (and, where the
//! parser knows it, the line and column). `scenarios/README.md` documents every field.
//!
//! Paths inside a scenario (TLE and station files) are relative to the scenario file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::orbit::MAX_SATELLITES;

use crate::access::isl::{GridTopology, IslTopology, RangeTopology, ShellLayout};
use crate::ground::{AzimuthMask, GroundStation, filter_stations, load_stations, validate_site};
use crate::link::{LinkConfig, LinkParams};
use crate::orbit::walker::WalkerShell;
use crate::orbit::{Satellite, load_orbit_file};
use crate::time::UtcTime;
use crate::units::{ByteRate, Bytes, Duration, RangeValue, check_range, one_line, quoted};

/// Longest error line, in characters (the CLI prefixes `error: `, for at most 300 in all).
pub const MAX_ERROR_CHARS: usize = 290;
/// Most antennas at one station: each serves one satellite at a time.
pub const MAX_ANTENNAS: u32 = 1_000;
/// Most chunks of one model: the rollout keeps a holder count (4 bytes) per chunk.
pub const MAX_CHUNKS: u64 = 1 << 24;
/// Most (satellite, chunk) pairs: the rollout keeps about 2.25 bytes of state for each
/// chunk at each satellite (held and in-flight bits, a retry counter), ≈ 1.2 GB at this limit.
pub const MAX_CHUNK_STATES: u64 = 1 << 29;
/// Most chunks in one inter-satellite transfer batch.
pub const MAX_BATCH_CHUNKS: u32 = 65_536;
/// Longest any one stage of the on-board pipeline may take at the given rates.
const MAX_STAGE_NS: i64 = 366 * crate::time::NANOS_PER_DAY;

/// A scenario error: the file, the field path and, when known, the line and column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", one_line(&format!("{}{}{}", location(file, *line_col), if path.is_empty() { String::new() } else { format!("{path}: ") }, message), MAX_ERROR_CHARS))]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line_col: Option<(usize, usize)>,
    pub path: String,
    pub message: String,
}

fn location(file: &Path, line_col: Option<(usize, usize)>) -> String {
    match line_col {
        Some((l, c)) => format!("{}:{l}:{c}: ", file.display()),
        None => format!("{}: ", file.display()),
    }
}

impl ScenarioError {
    fn at(file: &Path, path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError { file: file.to_path_buf(), line_col: None, path: path.into(), message: message.into() }
    }
}

// ---------------------------------------------------------------------------------------
// The file as written.

fn default_seed() -> u64 {
    1
}
fn default_mask() -> f64 {
    10.0
}
fn one() -> u32 {
    1
}
fn default_ratio() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// ISO-8601 UTC.
    pub start: String,
    pub duration: Duration,
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub fleet: FleetSpec,
    pub stations: StationsSpec,
    pub links: LinksSpec,
    pub model: ModelSpec,
    /// The upload; when absent, the defaults (to every satellite), or no upload at all
    /// if the inference model is preinstalled.
    #[serde(default)]
    pub upload: Option<UploadSpec>,
    #[serde(default)]
    pub onboard: OnboardSpec,
    #[serde(default)]
    pub rollout: RolloutSpec,
    /// Inter-satellite link topology (used when `[links.isl]` is given).
    #[serde(default)]
    pub isl: IslSpec,
    /// Inference from orbit (requests, routing, compute, power); see
    /// [`crate::mission::inference`].
    #[serde(default)]
    pub inference: Option<crate::mission::inference::InferenceSpec>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FleetSpec {
    #[serde(default)]
    pub tle: Vec<TleSource>,
    #[serde(default)]
    pub shells: Vec<WalkerShell>,
    /// Any bad record in a TLE/OMM file is an error (by default it is skipped and counted).
    #[serde(default)]
    pub strict: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TleSource {
    pub file: PathBuf,
    /// Keep satellites whose name contains any of these (case-insensitive).
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationsSpec {
    /// Station file (CSV or GeoJSON), optional if stations are given inline.
    pub file: Option<PathBuf>,
    #[serde(default)]
    pub names: Vec<String>,
    /// Mask for stations that give none, degrees.
    #[serde(default = "default_mask")]
    pub min_elevation_deg: f64,
    /// Antennas at each station from the file (stations serve this many satellites at once).
    #[serde(default = "one")]
    pub antennas: u32,
    #[serde(default)]
    pub site: Vec<InlineStation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineStation {
    pub name: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    #[serde(default)]
    pub alt_m: f64,
    pub min_elevation_deg: Option<f64>,
    pub antennas: Option<u32>,
    pub azimuth_mask: Option<AzimuthMask>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinksSpec {
    pub uplink: LinkConfig,
    pub downlink: Option<LinkConfig>,
    /// Inter-satellite links (needed by the relay and swarm strategies).
    pub isl: Option<LinkConfig>,
}

/// How the model spreads across the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RolloutStrategy {
    /// Every satellite is uploaded from the ground.
    #[default]
    GroundOnly,
    /// Satellites holding a verified copy forward it over inter-satellite links.
    Relay,
    /// Chunk-level exchange over inter-satellite links, rarest chunk first.
    Swarm,
}

/// Which satellites may link to which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IslTopologyKind {
    /// +Grid within each Walker shell: ahead, behind, and the neighbouring planes.
    Grid,
    /// The nearest satellites within range, up to `terminals` links each (any fleet).
    Range,
}

fn default_terminals() -> u32 {
    4
}
/// Shortest re-evaluation period of range-based links, nanoseconds.
const MIN_RANGE_REEVALUATION_NS: i64 = 1_000_000_000;

fn default_reevaluation() -> Duration {
    Duration(60_000_000_000)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IslSpec {
    /// Default: `grid` when the fleet has Walker shells, else `range`.
    pub topology: Option<IslTopologyKind>,
    /// Grid: cross-plane links exist only while both ends are below this latitude.
    pub cross_plane_max_latitude_deg: Option<f64>,
    /// Range: laser terminals per satellite.
    #[serde(default = "default_terminals")]
    pub terminals: u32,
    /// Range: how often links are re-evaluated.
    #[serde(default = "default_reevaluation")]
    pub reevaluation: Duration,
}

impl Default for IslSpec {
    fn default() -> Self {
        toml::from_str("").expect("every isl field has a default")
    }
}

fn default_batch() -> u32 {
    64
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutSpec {
    #[serde(default)]
    pub strategy: RolloutStrategy,
    /// Chunks per transfer batch on an inter-satellite link.
    #[serde(default = "default_batch")]
    pub batch_chunks: u32,
}

impl Default for RolloutSpec {
    fn default() -> Self {
        toml::from_str("").expect("every rollout field has a default")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub name: String,
    /// Size of the deployed (uncompressed) model.
    pub size: Bytes,
    /// Model size ÷ bytes actually sent (1 = sent as is).
    #[serde(default = "default_ratio")]
    pub compression_ratio: f64,
    pub chunk_size: Bytes,
    /// Protocol and reassembly header per chunk.
    #[serde(default)]
    pub chunk_header: Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// NAK-based selective repeat in the manner of CCSDS CFDP class 2.
    #[default]
    Cfdp,
    /// Fountain (e.g. RaptorQ) coding: any K(1+ε) received symbols complete the file.
    Fountain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SchedulingPolicy {
    /// The satellite with the most bytes still to receive: progress evenly.
    #[default]
    MostRemaining,
    /// The satellite closest to done: finish seeds early (what relays want).
    LeastRemaining,
    /// The satellite whose contact ends soonest.
    EarliestSet,
    /// The satellite served least recently.
    RoundRobin,
}

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

fn default_nak() -> Duration {
    Duration(2_000_000_000)
}
fn default_overhead() -> f64 {
    0.02
}
fn default_packet() -> Bytes {
    Bytes(1024)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadSpec {
    #[serde(default)]
    pub protocol: Protocol,
    /// Time from a lost chunk to the sender learning of it (NAK over the downlink).
    #[serde(default = "default_nak")]
    pub nak_round_trip: Duration,
    /// Fountain reception overhead ε: K(1+ε) symbols decode.
    #[serde(default = "default_overhead")]
    pub fountain_overhead: f64,
    /// Link-layer packet (frame) size: a chunk is lost if any of its packets is.
    #[serde(default = "default_packet")]
    pub packet_size: Bytes,
    #[serde(default)]
    pub loss: LossSpec,
    #[serde(default)]
    pub scheduling: SchedulingPolicy,
    /// Satellites (name substrings or roles) to upload to; all if empty.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Satellites each satellite can receive from at once.
    #[serde(default = "one")]
    pub receivers: u32,
}

impl Default for UploadSpec {
    fn default() -> Self {
        toml::from_str("").expect("every upload field has a default")
    }
}

fn default_storage() -> Bytes {
    Bytes(64_000_000_000)
}
fn default_write() -> ByteRate {
    ByteRate(200e6)
}
fn default_hash() -> ByteRate {
    ByteRate(500e6)
}
fn default_decompress() -> ByteRate {
    ByteRate(100e6)
}
fn default_deploy() -> Duration {
    Duration(60_000_000_000)
}

/// The on-board pipeline after the last chunk: assemble to storage, verify, decompress,
/// deploy. Defaults are for a Jetson-class computer with NVMe storage.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnboardSpec {
    #[serde(default = "default_storage")]
    pub storage: Bytes,
    #[serde(default = "default_write")]
    pub write_rate: ByteRate,
    #[serde(default = "default_hash")]
    pub hash_rate: ByteRate,
    #[serde(default = "default_decompress")]
    pub decompress_rate: ByteRate,
    #[serde(default = "default_deploy")]
    pub deploy_time: Duration,
}

impl Default for OnboardSpec {
    fn default() -> Self {
        toml::from_str("").expect("every onboard field has a default")
    }
}

// ---------------------------------------------------------------------------------------
// The validated scenario.

/// The model artifact as transferred.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub size_bytes: u64,
    /// Bytes actually sent: the compressed artifact.
    pub transfer_bytes: u64,
    /// Payload bytes per chunk (the last chunk may be shorter).
    pub chunk_payload: u64,
    pub chunk_header: u64,
    pub chunks: u32,
}

impl Model {
    /// Payload bytes of chunk `i`.
    pub fn payload_of(&self, i: u32) -> u64 {
        if i + 1 < self.chunks {
            self.chunk_payload
        } else {
            self.transfer_bytes - self.chunk_payload * (self.chunks as u64 - 1)
        }
    }
}

/// Chunk loss, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum LossModel {
    None,
    Fixed { packet_error_rate: f64 },
    Margin { required_margin_db: f64, step_gap_db: f64, fade_sigma_db: f64, per_at_threshold: f64, db_per_decade: f64 },
    GilbertElliott { p_good_to_bad: f64, p_bad_to_good: f64, loss_good: f64, loss_bad: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct UploadConfig {
    pub protocol: Protocol,
    pub nak_round_trip_ns: i64,
    pub fountain_overhead: f64,
    pub packet_size: u64,
    pub loss: LossModel,
    pub scheduling: SchedulingPolicy,
    pub receivers: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Onboard {
    pub storage_bytes: u64,
    pub write_rate: f64,
    pub hash_rate: f64,
    pub decompress_rate: f64,
    pub deploy_time_ns: i64,
}

/// A scenario ready to run: fleet and stations loaded, links resolved, units converted.
#[derive(Debug)]
pub struct Scenario {
    pub file: PathBuf,
    pub name: String,
    pub description: String,
    pub start: UtcTime,
    pub end: UtcTime,
    pub seed: u64,
    pub satellites: Vec<Satellite>,
    pub roles: Vec<Option<String>>,
    /// Walker shells and the index of their first satellite.
    pub shells: Vec<(WalkerShell, usize)>,
    pub stations: Vec<GroundStation>,
    pub antennas: Vec<u32>,
    pub uplink: LinkParams,
    pub downlink: Option<LinkParams>,
    pub isl: Option<LinkParams>,
    /// Who links to whom over `isl`.
    pub isl_topology: Option<IslTopology>,
    pub model: Model,
    pub upload: UploadConfig,
    /// Which satellites receive the upload.
    pub targets: Vec<bool>,
    pub onboard: Onboard,
    pub rollout: RolloutSpec,
    /// Warnings for the user (skipped records).
    pub warnings: Vec<String>,
    /// The validated `[inference]` section, if the scenario has one.
    pub inference: Option<crate::mission::inference::InferenceConfig>,
}

/// Reads and validates a scenario file. `seed` overrides the file's seed.
pub fn load_scenario(path: &Path, seed: Option<u64>) -> Result<Scenario, ScenarioError> {
    let text =
        crate::input::read_to_string(path).map_err(|e| ScenarioError::at(path, "", format!("cannot read: {e}")))?;
    load_scenario_text(path, &text, seed)
}

/// Validates a scenario held in memory as if it were the file `path` (which names it in
/// errors and anchors its relative paths).
pub fn load_scenario_text(path: &Path, text: &str, seed: Option<u64>) -> Result<Scenario, ScenarioError> {
    let file = parse_scenario(path, text)?;
    validate(path, file, seed)
}

/// Parses the TOML with field paths in errors.
pub fn parse_scenario(path: &Path, text: &str) -> Result<ScenarioFile, ScenarioError> {
    let line_col = |span: Option<std::ops::Range<usize>>| {
        span.map(|s| {
            let before = &text[..s.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            (line, col)
        })
    };
    let de = toml::Deserializer::parse(text).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        line_col: line_col(e.span()),
        path: String::new(),
        message: e.message().trim().to_string(),
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        ScenarioError {
            file: path.to_path_buf(),
            line_col: line_col(inner.span()),
            path: if field == "." { String::new() } else { field },
            message: inner.message().trim().to_string(),
        }
    })
}

fn validate(path: &Path, file: ScenarioFile, seed: Option<u64>) -> Result<Scenario, ScenarioError> {
    let err = |field: &str, msg: String| ScenarioError::at(path, field, msg);
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };

    if file.name.trim().is_empty() || file.name.contains(['/', '\\']) {
        return Err(err("name", "must be a non-empty name without slashes (it names the output folder)".into()));
    }
    let printable = |field: &str, text: &str| {
        if text.chars().any(char::is_control) {
            Err(err(field, format!("{} contains a line break or control character", quoted(text))))
        } else {
            Ok(())
        }
    };
    printable("name", &file.name)?;
    printable("model.name", &file.model.name)?;
    for (i, site) in file.stations.site.iter().enumerate() {
        printable(&format!("stations.site[{i}].name"), &site.name)?;
    }
    let start = UtcTime::parse(&file.start).map_err(|e| err("start", e.to_string()))?;
    if file.duration.0 <= 0 {
        return Err(err("duration", "must be longer than zero".into()));
    }
    if file.duration.0 > 366 * 86_400 * 1_000_000_000 {
        return Err(err("duration", "must be at most a year".into()));
    }
    let end = start.plus_nanos(file.duration.0);

    // Fleet.
    let mut warnings = Vec::new();
    let mut satellites = Vec::new();
    let mut roles = Vec::new();
    let mut shells = Vec::new();
    if file.fleet.tle.is_empty() && file.fleet.shells.is_empty() {
        return Err(err("fleet", "needs at least one `[[fleet.tle]]` source or `[[fleet.shells]]` shell".into()));
    }
    for (i, source) in file.fleet.tle.iter().enumerate() {
        let loaded = load_orbit_file(&resolve(&source.file), &source.names, file.fleet.strict)
            .map_err(|e| err(&format!("fleet.tle[{i}]"), e.to_string()))?;
        if let Some(summary) = loaded.skipped_summary() {
            warnings.push(summary);
        }
        roles.extend(std::iter::repeat_n(source.role.clone(), loaded.satellites.len()));
        satellites.extend(loaded.satellites);
    }
    for (i, shell) in file.fleet.shells.iter().enumerate() {
        let field = format!("fleet.shells[{i}]");
        shell.validate(&field).map_err(|m| ScenarioError::at(path, "", m))?;
        if satellites.len() + shell.total as usize > MAX_SATELLITES {
            return Err(err(
                &format!("{field}.total"),
                format!(
                    "{} satellites would make the fleet {}: at most {MAX_SATELLITES} satellites fit one run",
                    shell.total,
                    satellites.len() + shell.total as usize
                ),
            ));
        }
        let generated = shell.satellites(i, start).map_err(|m| err(&field, m))?;
        shells.push((shell.clone(), satellites.len()));
        roles.extend(std::iter::repeat_n(shell.role.clone(), generated.len()));
        satellites.extend(generated);
    }
    if satellites.len() > MAX_SATELLITES {
        return Err(err(
            "fleet.tle",
            format!("{} satellites: at most {MAX_SATELLITES} satellites fit one run", satellites.len()),
        ));
    }
    // A window far from every element set (SGP4 run decades back or forward) would report
    // the whole fleet decayed at the start: an input problem, not a result.
    if satellites.iter().all(|sat| sat.propagate(start).is_err()) {
        let epoch = satellites[0].elements.epoch;
        return Err(err(
            "start",
            format!(
                "no satellite can be propagated to {start}: the element sets (e.g. {} of {epoch}) are too far from it",
                quoted(&satellites[0].name)
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for s in &satellites {
        if !seen.insert(s.name.as_str()) {
            return Err(err(
                "fleet",
                format!("two satellites are named {}: names identify satellites in the outputs", quoted(&s.name)),
            ));
        }
    }

    // Stations.
    let st = &file.stations;
    let mut stations = Vec::new();
    let mut antennas = Vec::new();
    check_range(st.min_elevation_deg, -5.0..=89.0, "°").map_err(|m| err("stations.min_elevation_deg", m))?;
    check_range(st.antennas, 1..=MAX_ANTENNAS, " (one antenna serves one satellite at a time)")
        .map_err(|m| err("stations.antennas", m))?;
    if let Some(f) = &st.file {
        let p = resolve(f);
        let loaded = load_stations(&p, st.min_elevation_deg).map_err(|e| err("stations.file", e.to_string()))?;
        let loaded = filter_stations(loaded, &st.names, &p).map_err(|e| err("stations.names", e.to_string()))?;
        antennas.extend(std::iter::repeat_n(st.antennas, loaded.len()));
        stations.extend(loaded);
    } else if !st.names.is_empty() {
        return Err(err("stations.names", "filters a station file, but `stations.file` is not given".into()));
    }
    for (i, s) in st.site.iter().enumerate() {
        let field = format!("stations.site[{i}]");
        validate_site(s.lat_deg, s.lon_deg, s.alt_m).map_err(|m| err(&field, m))?;
        let mask = s.min_elevation_deg.unwrap_or(st.min_elevation_deg);
        check_range(mask, -5.0..=89.0, "°").map_err(|m| err(&format!("{field}.min_elevation_deg"), m))?;
        let n = s.antennas.unwrap_or(st.antennas);
        check_range(n, 1..=MAX_ANTENNAS, " (one antenna serves one satellite at a time)")
            .map_err(|m| err(&format!("{field}.antennas"), m))?;
        stations.push(GroundStation {
            name: s.name.clone(),
            site: crate::frames::Geodetic { lat_deg: s.lat_deg, lon_deg: s.lon_deg, alt_km: s.alt_m / 1000.0 },
            min_elevation_deg: mask,
            azimuth_mask: s.azimuth_mask.clone(),
        });
        antennas.push(n);
    }
    if stations.is_empty() {
        return Err(err("stations", "no ground stations: give `file` or `[[stations.site]]`".into()));
    }

    // Links.
    let uplink = file.links.uplink.resolve("links.uplink").map_err(|e| ScenarioError::at(path, "", e.to_string()))?;
    if uplink.direction != crate::link::LinkDirection::Uplink {
        return Err(err("links.uplink", format!("preset {} is not an uplink", quoted(&uplink.name))));
    }
    let downlink = match &file.links.downlink {
        Some(c) => Some(c.resolve("links.downlink").map_err(|e| ScenarioError::at(path, "", e.to_string()))?),
        None => None,
    };
    let isl = match &file.links.isl {
        Some(c) => {
            let params = c.resolve("links.isl").map_err(|e| ScenarioError::at(path, "", e.to_string()))?;
            if params.direction != crate::link::LinkDirection::InterSatellite
                || !matches!(params.technology, crate::link::Technology::Optical(_))
            {
                return Err(err(
                    "links.isl",
                    format!("{} is not an optical inter-satellite link", quoted(&params.name)),
                ));
            }
            Some(params)
        }
        None => None,
    };
    let isl_topology = match &isl {
        None => None,
        Some(_) => {
            let spec = &file.isl;
            let kind =
                spec.topology.unwrap_or(if shells.is_empty() { IslTopologyKind::Range } else { IslTopologyKind::Grid });
            Some(match kind {
                IslTopologyKind::Grid => {
                    if shells.is_empty() {
                        return Err(err(
                            "isl.topology",
                            "`grid` links Walker shells; this fleet has none (use `range`)".into(),
                        ));
                    }
                    if let Some(lat) = spec.cross_plane_max_latitude_deg
                        && !(lat > 0.0 && lat <= 90.0)
                    {
                        return Err(err("isl.cross_plane_max_latitude_deg", format!("{lat} must be in (0, 90]")));
                    }
                    IslTopology::PlusGrid(GridTopology {
                        shells: shells.iter().map(|(shell, first)| ShellLayout::from_walker(shell, *first)).collect(),
                        cross_plane_max_latitude_deg: spec.cross_plane_max_latitude_deg,
                    })
                }
                IslTopologyKind::Range => {
                    if spec.terminals == 0 || spec.terminals > crate::access::isl::MAX_TERMINALS {
                        return Err(err(
                            "isl.terminals",
                            format!("{} must be between 1 and {}", spec.terminals, crate::access::isl::MAX_TERMINALS),
                        ));
                    }
                    // Run time grows as the inverse of this period, and laser terminals take
                    // seconds to point and acquire, so re-planning faster describes nothing real.
                    if spec.reevaluation.0 < MIN_RANGE_REEVALUATION_NS {
                        return Err(err(
                            "isl.reevaluation",
                            "must be at least 1 s: lasers take seconds to acquire, and run time grows as its inverse"
                                .into(),
                        ));
                    }
                    IslTopology::RangeBased(RangeTopology {
                        terminals: spec.terminals,
                        reevaluation_s: spec.reevaluation.seconds(),
                        ..RangeTopology::default()
                    })
                }
            })
        }
    };
    let rollout = file.rollout.clone();
    if rollout.strategy != RolloutStrategy::GroundOnly && isl.is_none() {
        return Err(err("rollout.strategy", "relay and swarm need inter-satellite links: add `[links.isl]`".into()));
    }
    check_range(rollout.batch_chunks, 1..=MAX_BATCH_CHUNKS, " chunks").map_err(|m| err("rollout.batch_chunks", m))?;

    // Model.
    let m = &file.model;
    if m.size.0 == 0 {
        return Err(err("model.size", "must be > 0".into()));
    }
    check_range(m.compression_ratio, 1.0..=100.0, " (model size ÷ bytes sent)")
        .map_err(|msg| err("model.compression_ratio", msg))?;
    if m.chunk_size.0 == 0 {
        return Err(err("model.chunk_size", "must be > 0".into()));
    }
    let transfer_bytes = (m.size.0 as f64 / m.compression_ratio).ceil() as u64;
    if m.chunk_size.0 > transfer_bytes {
        return Err(err(
            "model.chunk_size",
            format!("{} is larger than the {} sent", m.chunk_size, Bytes(transfer_bytes)),
        ));
    }
    let chunks = transfer_bytes.div_ceil(m.chunk_size.0);
    if chunks > MAX_CHUNKS {
        return Err(err(
            "model.chunk_size",
            format!(
                "{} gives {chunks} chunks; at most {MAX_CHUNKS} are tracked: use chunks of at least {}",
                m.chunk_size,
                Bytes(transfer_bytes.div_ceil(MAX_CHUNKS))
            ),
        ));
    }
    let chunk_states = chunks * satellites.len() as u64;
    if chunk_states > MAX_CHUNK_STATES {
        let per_satellite = MAX_CHUNK_STATES / satellites.len() as u64;
        return Err(err(
            "model.chunk_size",
            format!(
                "{} gives {chunks} chunks at each of {} satellites; the rollout's per-chunk state holds at most {MAX_CHUNK_STATES} (≈1.2 GB): use chunks of at least {}",
                m.chunk_size,
                satellites.len(),
                Bytes(transfer_bytes.div_ceil(per_satellite.max(1)))
            ),
        ));
    }
    if m.chunk_header.0 > m.chunk_size.0 {
        return Err(err(
            "model.chunk_header",
            format!("{} is larger than the {} chunk it heads", m.chunk_header, m.chunk_size),
        ));
    }
    let model = Model {
        name: m.name.clone(),
        size_bytes: m.size.0,
        transfer_bytes,
        chunk_payload: m.chunk_size.0,
        chunk_header: m.chunk_header.0,
        chunks: chunks as u32,
    };

    // Upload. A scenario without `[upload]` whose model is preinstalled for inference
    // uploads nothing: there is nothing to send.
    let no_upload = file.upload.is_none() && file.inference.as_ref().is_some_and(|i| i.preinstalled);
    let default_upload;
    let u = match &file.upload {
        Some(u) => u,
        None => {
            default_upload = UploadSpec::default();
            &default_upload
        }
    };
    let probability = |field: &str, v: f64| {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(err(&format!("upload.loss.{field}"), format!("{v} is not a probability in [0, 1]")))
        }
    };
    let loss = match &u.loss {
        LossSpec::None => LossModel::None,
        LossSpec::Fixed { packet_error_rate } => {
            LossModel::Fixed { packet_error_rate: probability("packet_error_rate", *packet_error_rate)? }
        }
        LossSpec::Margin { fade_sigma_db, per_at_threshold, db_per_decade } => {
            check_range(*fade_sigma_db, 0.0..=30.0, " dB").map_err(|m| err("upload.loss.fade_sigma_db", m))?;
            check_range(*db_per_decade, 1e-3..=100.0, " dB").map_err(|m| err("upload.loss.db_per_decade", m))?;
            let (required_margin_db, step_gap_db) = margin_of(&uplink);
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
    };
    if u.packet_size.0 == 0 {
        return Err(err("upload.packet_size", "must be > 0".into()));
    }
    if !(u.fountain_overhead.is_finite() && (0.0..=1.0).contains(&u.fountain_overhead)) {
        return Err(err("upload.fountain_overhead", format!("{} must be between 0 and 1", u.fountain_overhead)));
    }
    check_range(u.receivers, 1..=MAX_ANTENNAS, "").map_err(|m| err("upload.receivers", m))?;
    let upload = UploadConfig {
        protocol: u.protocol,
        nak_round_trip_ns: u.nak_round_trip.0,
        fountain_overhead: u.fountain_overhead,
        packet_size: u.packet_size.0,
        loss,
        scheduling: u.scheduling,
        receivers: u.receivers,
    };
    let targets = if no_upload {
        vec![false; satellites.len()]
    } else if u.targets.is_empty() {
        vec![true; satellites.len()]
    } else {
        let wanted: Vec<String> = u.targets.iter().map(|t| t.to_lowercase()).collect();
        let t: Vec<bool> = satellites
            .iter()
            .zip(&roles)
            .map(|(s, r)| {
                wanted.iter().any(|w| {
                    s.name.to_lowercase().contains(w.as_str())
                        || r.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(w))
                })
            })
            .collect();
        if !t.iter().any(|&x| x) {
            return Err(err("upload.targets", "match no satellite name or role".into()));
        }
        t
    };

    // On board.
    let o = &file.onboard;
    for (field, v) in
        [("write_rate", o.write_rate.0), ("hash_rate", o.hash_rate.0), ("decompress_rate", o.decompress_rate.0)]
    {
        if !(v > 0.0 && v.is_finite()) {
            return Err(err(&format!("onboard.{field}"), "must be > 0".into()));
        }
        // The stage handles the whole artifact (or model); its time must stay on the clock.
        let stage_s = model.size_bytes as f64 / v;
        if stage_s * 1e9 > MAX_STAGE_NS as f64 {
            return Err(err(
                &format!("onboard.{field}"),
                format!("{} B/s would take {:.0} days over the model: more than a year", v.show(), stage_s / 86_400.0),
            ));
        }
    }
    let needed = model.transfer_bytes + model.size_bytes;
    if o.storage.0 < needed {
        return Err(err(
            "onboard.storage",
            format!(
                "{} cannot hold the {} received plus the {} decompressed model",
                o.storage,
                Bytes(model.transfer_bytes),
                Bytes(model.size_bytes)
            ),
        ));
    }
    let onboard = Onboard {
        storage_bytes: o.storage.0,
        write_rate: o.write_rate.0,
        hash_rate: o.hash_rate.0,
        decompress_rate: o.decompress_rate.0,
        deploy_time_ns: o.deploy_time.0,
    };

    let inference = match &file.inference {
        Some(spec) => {
            Some(validate_inference_section(path, spec, &satellites, &roles, &stations, &downlink, &model, start, end)?)
        }
        None => None,
    };

    Ok(Scenario {
        file: path.to_path_buf(),
        name: file.name,
        description: file.description,
        start,
        end,
        seed: seed.unwrap_or(file.seed),
        satellites,
        roles,
        shells,
        stations,
        antennas,
        uplink,
        downlink,
        isl,
        isl_topology,
        model,
        upload,
        targets,
        onboard,
        rollout,
        warnings,
        inference,
    })
}

/// Validates `[inference]` against the rest of the scenario (see
/// [`crate::mission::inference::validate_inference`]).
#[allow(clippy::too_many_arguments)]
fn validate_inference_section(
    path: &Path,
    spec: &crate::mission::inference::InferenceSpec,
    satellites: &[Satellite],
    roles: &[Option<String>],
    stations: &[GroundStation],
    downlink: &Option<LinkParams>,
    model: &Model,
    start: UtcTime,
    end: UtcTime,
) -> Result<crate::mission::inference::InferenceConfig, ScenarioError> {
    let ctx = crate::mission::inference::ValidationContext {
        file: path,
        satellites,
        roles,
        stations,
        has_downlink: downlink.is_some(),
        model_size_bytes: model.size_bytes,
        start,
        end,
    };
    crate::mission::inference::validate_inference(spec, &ctx).map_err(|e| ScenarioError::at(path, e.path, e.message))
}

/// The uplink's required margin and the typical gap between adjacent MODCOD thresholds (the
/// headroom a link has on average above its margin before switching up), dB.
fn margin_of(link: &LinkParams) -> (f64, f64) {
    use crate::link::{Coding, Technology};
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
