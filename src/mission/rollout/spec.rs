//! The rollout's scenario sections: `[model]`, `[upload]` (its `loss` is
//! [`super::super::loss`]'s), `[onboard]` and `[rollout]`, as written (read strictly with
//! `deny_unknown_fields`) and validated into a [`RolloutConfig`], every error naming its
//! field path. `scenarios/README.md` documents every field.

use serde::{Deserialize, Serialize};

use crate::link::LinkParams;
use crate::mission::loss::{self, LossModel, LossSpec};
use crate::mission::{FieldError, fail, selects};
use crate::orbit::Satellite;
use crate::units::{ByteRate, Bytes, Duration, RangeValue, check_range};

/// Most antennas at one station (each serves one satellite at a time), and most
/// satellites one satellite receives from at once.
pub const MAX_ANTENNAS: u32 = 1_000;
/// Most chunks of one model: the rollout keeps a holder count (4 bytes) per chunk.
pub const MAX_CHUNKS: u64 = 1 << 24;
/// Most (satellite, chunk) pairs: the rollout keeps about 2.25 bytes of state for each
/// chunk at each satellite (held and in-flight bits, a retry counter), ≈ 1.2 GB at this limit.
pub const MAX_CHUNK_STATES: u64 = 1 << 29;
/// Most releases after the model (a satellite's versions are a 64-bit set).
pub const MAX_RELEASES: usize = 63;
/// Most chunks in one inter-satellite transfer batch.
pub const MAX_BATCH_CHUNKS: u32 = 65_536;
/// Longest any one stage of the on-board pipeline may take at the given rates.
const MAX_STAGE_NS: i64 = 366 * crate::time::NANOS_PER_DAY;

// ---------------------------------------------------------------------------------------
// The sections as written.

/// How the model spreads across the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
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

impl RolloutStrategy {
    /// The scenario's spelling (`rollout.strategy`), as every output writes it.
    pub fn name(self) -> &'static str {
        match self {
            RolloutStrategy::GroundOnly => "ground-only",
            RolloutStrategy::Relay => "relay",
            RolloutStrategy::Swarm => "swarm",
        }
    }
}

/// Written as the scenario spells it, so summary.json, figures and sweep tables agree.
impl Serialize for RolloutStrategy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
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

fn default_ratio() -> f64 {
    1.0
}
fn default_receivers() -> u32 {
    1
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
    #[serde(default = "default_receivers")]
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

/// What a release carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseKind {
    /// A whole new model, sent in full.
    Full,
    /// A small set of weights (e.g. a LoRA) served on top of its base, which stays on board.
    Adapter,
    /// The chunks of its base that changed, patched into the base in place.
    Delta,
}

impl ReleaseKind {
    /// The scenario's spelling, as every output writes it.
    pub fn name(self) -> &'static str {
        match self {
            ReleaseKind::Full => "full",
            ReleaseKind::Adapter => "adapter",
            ReleaseKind::Delta => "delta",
        }
    }
}

/// How a satellite switches to a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Swap {
    /// The old version serves until the new one runs.
    #[default]
    Hot,
    /// Serving stops while the new version is applied and the service restarts.
    Gap,
}

/// A later release of the model (`[[releases]]`): the first release is `[model]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    pub name: String,
    /// When it is released, counted from the scenario's start.
    pub after: Duration,
    pub kind: ReleaseKind,
    /// The version it builds on (adapters and deltas); by default the release before it.
    #[serde(default)]
    pub base: Option<String>,
    /// Bytes of the release before compression (for a delta: of the changed chunks).
    #[serde(default)]
    pub size: Option<Bytes>,
    /// A delta given as the share of its base's chunks that changed.
    #[serde(default)]
    pub changed_fraction: Option<f64>,
    #[serde(default = "default_ratio")]
    pub compression_ratio: f64,
    /// On-board time to apply it after it is verified (patching, merging), beyond the
    /// assemble/verify/decompress stages of `[onboard]`.
    #[serde(default)]
    pub apply_time: Duration,
    /// Time to restart the service on the new version (default `onboard.deploy_time`).
    #[serde(default)]
    pub restart_time: Option<Duration>,
    #[serde(default)]
    pub swap: Swap,
}

// ---------------------------------------------------------------------------------------
// The sections validated.

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

/// The rollout's sections, validated.
#[derive(Debug, Clone)]
pub struct RolloutConfig {
    pub rollout: RolloutSpec,
    pub model: Model,
    /// The releases after the first (`[[releases]]`), in the order written.
    pub releases: Vec<Release>,
    pub upload: UploadConfig,
    /// Which satellites receive the upload.
    pub targets: Vec<bool>,
    pub onboard: Onboard,
}

/// The rollout's sections as written.
pub struct Sections<'a> {
    pub rollout: &'a RolloutSpec,
    pub model: &'a ModelSpec,
    pub releases: &'a [ReleaseSpec],
    /// `None` when the scenario has no `[upload]`.
    pub upload: Option<&'a UploadSpec>,
    pub onboard: &'a OnboardSpec,
}

/// What validation needs from the rest of the scenario.
pub struct ValidationContext<'a> {
    /// The fleet.
    pub satellites: &'a [Satellite],
    /// Role of each satellite.
    pub roles: &'a [Option<String>],
    /// The uplink (the margin loss model reads its MODCOD margins).
    pub uplink: &'a LinkParams,
    /// Whether the scenario has inter-satellite links (relay and swarm need them).
    pub has_isl: bool,
    /// Whether the model is preinstalled for inference: without `[upload]`, nothing is sent.
    pub preinstalled: bool,
    /// Length of the simulated window, ns (no release may come after it).
    pub window_ns: i64,
}

/// Validates the sections, in the order `rollout`, `model`, `upload`, `onboard`. Errors
/// name the field path.
pub fn validate(sections: &Sections, ctx: &ValidationContext) -> Result<RolloutConfig, FieldError> {
    let rollout = sections.rollout.clone();
    if rollout.strategy != RolloutStrategy::GroundOnly && !ctx.has_isl {
        return fail("rollout.strategy", "relay and swarm need inter-satellite links: add `[links.isl]`");
    }
    check_range(rollout.batch_chunks, 1..=MAX_BATCH_CHUNKS, " chunks")
        .map_err(|m| FieldError::new("rollout.batch_chunks", m))?;
    let model = validate_model(sections.model, ctx.satellites.len())?;
    let (upload, targets) = validate_upload(sections.upload, ctx)?;
    let onboard = validate_onboard(sections.onboard, &model)?;
    let releases = validate_releases(sections.releases, &model, &onboard, ctx.window_ns)?;
    // Each release's chunks start on a word of the satellites' chunk bitsets.
    let words: u64 = std::iter::once(&model)
        .chain(releases.iter().map(|r| &r.artifact))
        .map(|m| (m.chunks as u64).div_ceil(64))
        .sum();
    if words * 64 * ctx.satellites.len() as u64 > MAX_CHUNK_STATES {
        return fail(
            "releases",
            format!(
                "the model and its releases give {} chunks at each of {} satellites; the rollout's per-chunk state holds at most {MAX_CHUNK_STATES}: use larger chunks",
                words * 64,
                ctx.satellites.len()
            ),
        );
    }
    Ok(RolloutConfig { rollout, model, releases, upload, targets, onboard })
}

fn validate_model(m: &ModelSpec, satellites: usize) -> Result<Model, FieldError> {
    if m.size.0 == 0 {
        return fail("model.size", "must be > 0");
    }
    check_range(m.compression_ratio, 1.0..=100.0, " (model size ÷ bytes sent)")
        .map_err(|msg| FieldError::new("model.compression_ratio", msg))?;
    if m.chunk_size.0 == 0 {
        return fail("model.chunk_size", "must be > 0");
    }
    let transfer_bytes = (m.size.0 as f64 / m.compression_ratio).ceil() as u64;
    if m.chunk_size.0 > transfer_bytes {
        return fail("model.chunk_size", format!("{} is larger than the {} sent", m.chunk_size, Bytes(transfer_bytes)));
    }
    let chunks = transfer_bytes.div_ceil(m.chunk_size.0);
    if chunks > MAX_CHUNKS {
        return fail(
            "model.chunk_size",
            format!(
                "{} gives {chunks} chunks; at most {MAX_CHUNKS} are tracked: use chunks of at least {}",
                m.chunk_size,
                Bytes(transfer_bytes.div_ceil(MAX_CHUNKS))
            ),
        );
    }
    let chunk_states = chunks * satellites as u64;
    if chunk_states > MAX_CHUNK_STATES {
        let per_satellite = MAX_CHUNK_STATES / satellites as u64;
        return fail(
            "model.chunk_size",
            format!(
                "{} gives {chunks} chunks at each of {satellites} satellites; the rollout's per-chunk state holds at most {MAX_CHUNK_STATES} (≈1.2 GB): use chunks of at least {}",
                m.chunk_size,
                Bytes(transfer_bytes.div_ceil(per_satellite.max(1)))
            ),
        );
    }
    if m.chunk_header.0 > m.chunk_size.0 {
        return fail(
            "model.chunk_header",
            format!("{} is larger than the {} chunk it heads", m.chunk_header, m.chunk_size),
        );
    }
    Ok(Model {
        name: m.name.clone(),
        size_bytes: m.size.0,
        transfer_bytes,
        chunk_payload: m.chunk_size.0,
        chunk_header: m.chunk_header.0,
        chunks: chunks as u32,
    })
}

/// A release of the model, validated: what is sent, what it needs on board, what it costs
/// to deploy.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub kind: ReleaseKind,
    /// When it is released, ns after the scenario's start.
    pub after_ns: i64,
    /// Index of the version it builds on (0 is `[model]`, `k` the k-th `[[releases]]`).
    pub base: Option<usize>,
    /// What is sent, in chunks of the base's size (its `name` is the version's name).
    pub artifact: Model,
    pub apply_ns: i64,
    pub restart_ns: i64,
    pub swap: Swap,
}

/// Validates `[[releases]]` against the model and the releases before each.
fn validate_releases(
    specs: &[ReleaseSpec],
    model: &Model,
    onboard: &Onboard,
    window_ns: i64,
) -> Result<Vec<Release>, FieldError> {
    if specs.len() > MAX_RELEASES {
        return fail("releases", format!("{} releases: at most {MAX_RELEASES} are tracked", specs.len()));
    }
    let mut releases: Vec<Release> = Vec::with_capacity(specs.len());
    let mut names = vec![model.name.as_str()];
    for (i, spec) in specs.iter().enumerate() {
        let field = |name: &str| format!("releases[{i}].{name}");
        if spec.name.trim().is_empty() {
            return fail(field("name"), "must not be empty");
        }
        if names.contains(&spec.name.as_str()) {
            return fail(field("name"), format!("\"{}\" names an earlier version", spec.name));
        }
        if spec.after.0 > window_ns {
            return fail(field("after"), format!("{:.0} s is after the scenario's end", spec.after.seconds()));
        }
        check_range(spec.compression_ratio, 1.0..=100.0, " (size ÷ bytes sent)")
            .map_err(|m| FieldError::new(field("compression_ratio"), m))?;
        let artifact_of = |index: usize| if index == 0 { model } else { &releases[index - 1].artifact };
        let base = match (spec.kind, &spec.base) {
            (ReleaseKind::Full, Some(_)) => return fail(field("base"), "a full release needs no base"),
            (ReleaseKind::Full, None) => None,
            (_, Some(name)) => match names.iter().position(|n| n == name) {
                Some(index) => Some(index),
                None => {
                    return fail(
                        field("base"),
                        format!("\"{name}\" is no earlier version (known: {})", names.join(", ")),
                    );
                }
            },
            (_, None) => Some(i),
        };
        if let Some(b) = base
            && b > 0
            && releases[b - 1].kind == ReleaseKind::Adapter
        {
            return fail(
                field("base"),
                format!("\"{}\" is an adapter: an adapter or delta builds on a model", names[b]),
            );
        }
        let base_model = base.map(artifact_of);
        let size = match (spec.kind, spec.size, spec.changed_fraction) {
            (_, Some(_), Some(_)) => {
                return fail(field("changed_fraction"), "give the delta's size or its changed fraction, not both");
            }
            (ReleaseKind::Delta, None, Some(f)) => {
                if !(f.is_finite() && f > 0.0 && f <= 1.0) {
                    return fail(field("changed_fraction"), format!("{f} must be in (0, 1]"));
                }
                let base = base_model.expect("a delta has a base");
                // Whole chunks of the base changed: what is sent is those chunks.
                let chunks = ((base.chunks as f64 * f).ceil() as u64).max(1);
                Bytes((chunks * base.chunk_payload).min(base.transfer_bytes))
            }
            (_, None, Some(_)) => return fail(field("changed_fraction"), "only a delta has a changed fraction"),
            (ReleaseKind::Delta, None, None) => {
                return fail(field("size"), "a delta needs a size or a changed_fraction");
            }
            (_, None, None) => return fail(field("size"), "is required"),
            (_, Some(size), None) => size,
        };
        if size.0 == 0 {
            return fail(field("size"), "must be > 0");
        }
        if let Some(base) = base_model
            && size.0 > base.size_bytes
        {
            return fail(
                field("size"),
                format!("{size} is larger than its base \"{}\" ({})", base.name, Bytes(base.size_bytes)),
            );
        }
        // Chunks of the first model's size, so a delta's chunks are its base's chunks.
        let chunk_size = Bytes(model.chunk_payload);
        let transfer_bytes = (size.0 as f64 / spec.compression_ratio).ceil() as u64;
        let artifact = Model {
            name: spec.name.clone(),
            size_bytes: size.0,
            transfer_bytes,
            chunk_payload: chunk_size.0.min(transfer_bytes),
            chunk_header: model.chunk_header,
            chunks: transfer_bytes.div_ceil(chunk_size.0.min(transfer_bytes)) as u32,
        };
        for (stage, rate) in [("write_rate", onboard.write_rate), ("hash_rate", onboard.hash_rate)] {
            if artifact.size_bytes as f64 / rate * 1e9 > MAX_STAGE_NS as f64 {
                return fail(field("size"), format!("takes more than a year at onboard.{stage}"));
            }
        }
        releases.push(Release {
            kind: spec.kind,
            after_ns: spec.after.0,
            base,
            artifact,
            apply_ns: spec.apply_time.0,
            restart_ns: spec.restart_time.map_or(onboard.deploy_time_ns, |d| d.0),
            swap: spec.swap,
        });
        names.push(spec.name.as_str());
    }
    Ok(releases)
}

/// The upload and which satellites receive it. A scenario without `[upload]` whose model
/// is preinstalled for inference uploads nothing: there is nothing to send.
fn validate_upload(
    written: Option<&UploadSpec>,
    ctx: &ValidationContext,
) -> Result<(UploadConfig, Vec<bool>), FieldError> {
    let no_upload = written.is_none() && ctx.preinstalled;
    let default_upload;
    let u = match written {
        Some(u) => u,
        None => {
            default_upload = UploadSpec::default();
            &default_upload
        }
    };
    let loss = loss::validate(&u.loss, ctx.uplink, "upload.loss")?;
    if u.packet_size.0 == 0 {
        return fail("upload.packet_size", "must be > 0");
    }
    if !(u.fountain_overhead.is_finite() && (0.0..=1.0).contains(&u.fountain_overhead)) {
        return fail("upload.fountain_overhead", format!("{} must be between 0 and 1", u.fountain_overhead));
    }
    check_range(u.receivers, 1..=MAX_ANTENNAS, "").map_err(|m| FieldError::new("upload.receivers", m))?;
    let upload = UploadConfig {
        protocol: u.protocol,
        nak_round_trip_ns: u.nak_round_trip.0,
        fountain_overhead: u.fountain_overhead,
        packet_size: u.packet_size.0,
        loss,
        scheduling: u.scheduling,
        receivers: u.receivers,
    };
    let satellites = ctx.satellites.len();
    let targets = if no_upload {
        vec![false; satellites]
    } else if u.targets.is_empty() {
        vec![true; satellites]
    } else {
        let wanted: Vec<String> = u.targets.iter().map(|t| t.to_lowercase()).collect();
        let t: Vec<bool> =
            ctx.satellites.iter().zip(ctx.roles).map(|(s, r)| selects(&wanted, &s.name, r.as_deref())).collect();
        if !t.iter().any(|&x| x) {
            return fail("upload.targets", "match no satellite name or role");
        }
        t
    };
    Ok((upload, targets))
}

fn validate_onboard(o: &OnboardSpec, model: &Model) -> Result<Onboard, FieldError> {
    for (field, v) in
        [("write_rate", o.write_rate.0), ("hash_rate", o.hash_rate.0), ("decompress_rate", o.decompress_rate.0)]
    {
        if !(v > 0.0 && v.is_finite()) {
            return fail(format!("onboard.{field}"), "must be > 0");
        }
        // The stage handles the whole artifact (or model); its time must stay on the clock.
        let stage_s = model.size_bytes as f64 / v;
        if stage_s * 1e9 > MAX_STAGE_NS as f64 {
            return fail(
                format!("onboard.{field}"),
                format!("{} B/s would take {:.0} days over the model: more than a year", v.show(), stage_s / 86_400.0),
            );
        }
    }
    let needed = model.transfer_bytes + model.size_bytes;
    if o.storage.0 < needed {
        return fail(
            "onboard.storage",
            format!(
                "{} cannot hold the {} received plus the {} decompressed model",
                o.storage,
                Bytes(model.transfer_bytes),
                Bytes(model.size_bytes)
            ),
        );
    }
    Ok(Onboard {
        storage_bytes: o.storage.0,
        write_rate: o.write_rate.0,
        hash_rate: o.hash_rate.0,
        decompress_rate: o.decompress_rate.0,
        deploy_time_ns: o.deploy_time.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name outputs write is the one a scenario file parses back to the same strategy.
    #[test]
    fn strategy_names_are_the_scenario_spellings() {
        for strategy in [RolloutStrategy::GroundOnly, RolloutStrategy::Relay, RolloutStrategy::Swarm] {
            let parsed: RolloutSpec = toml::from_str(&format!("strategy = \"{}\"", strategy.name())).unwrap();
            assert_eq!(parsed.strategy, strategy);
        }
    }
    use crate::orbit::walker::WalkerShell;
    use crate::time::UtcTime;

    #[test]
    fn targets_are_names_or_roles_and_a_preinstalled_model_without_upload_has_none() {
        let shell: WalkerShell = toml::from_str(
            "pattern = \"delta\"\ntotal = 4\nplanes = 2\nphasing = 1\naltitude_km = 550\ninclination = 53\nrole = \"Compute\"",
        )
        .unwrap();
        let satellites = shell.satellites(0, UtcTime::parse("2026-01-01T00:00:00Z").unwrap()).unwrap();
        let roles = vec![shell.role.clone(); satellites.len()];
        let uplink = crate::link::preset("s-band-high-rate-uplink").unwrap().resolve("links.uplink").unwrap();
        let ctx = |preinstalled| ValidationContext {
            satellites: &satellites,
            roles: &roles,
            uplink: &uplink,
            has_isl: false,
            preinstalled,
            window_ns: crate::time::NANOS_PER_DAY,
        };
        let model: ModelSpec = toml::from_str("name = \"m\"\nsize = \"1 MB\"\nchunk_size = \"1 kB\"").unwrap();
        let by_role: UploadSpec = toml::from_str("targets = [\"compute\"]").unwrap();
        let by_name: UploadSpec = toml::from_str(&format!("targets = [{:?}]", satellites[1].name)).unwrap();
        let nobody: UploadSpec = toml::from_str("targets = [\"nobody\"]").unwrap();

        let (rollout, onboard) = (RolloutSpec::default(), OnboardSpec::default());
        let targets = |upload, preinstalled| {
            let sections = Sections { rollout: &rollout, model: &model, releases: &[], upload, onboard: &onboard };
            validate(&sections, &ctx(preinstalled)).map(|c| c.targets)
        };
        assert_eq!(targets(Some(&by_role), false).unwrap(), vec![true; 4]);
        assert_eq!(targets(Some(&by_name), false).unwrap(), vec![false, true, false, false]);
        assert_eq!(targets(None, false).unwrap(), vec![true; 4]);
        assert_eq!(targets(None, true).unwrap(), vec![false; 4]);
        assert_eq!(targets(Some(&by_role), true).unwrap(), vec![true; 4], "a written [upload] is sent anyway");
        assert_eq!(
            targets(Some(&nobody), false).unwrap_err(),
            FieldError::new("upload.targets", "match no satellite name or role")
        );
    }
}
