//! Scenario files: what a run simulates, in TOML, read strictly (`deny_unknown_fields`)
//! and validated into a [`Scenario`] with every error naming its field path (and, where the
//! parser knows it, the line and column). `scenarios/README.md` documents every field.
//!
//! This module owns the sections every stage shares (fleet, stations, links, ISL
//! topology); each mission model owns its own sections and their validation
//! ([`crate::mission::rollout::spec`], [`crate::mission::inference::spec`]), and
//! validation is one call per section.
//!
//! Paths inside a scenario (TLE and station files) are relative to the scenario file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::access::coverage::grid::{self as coverage_grid, CoverageConfig, CoverageSpec};
use crate::access::isl::{
    GridTopology, GridWithFallback, IslTopology, MAX_TERMINALS, RangeTopology, ShellLayout, catalogue_links,
};
use crate::access::outages::{self, FailureContext, FailureSpec, Outages};
use crate::access::radiation::UpsetSpec;
use crate::ground::{AzimuthMask, GroundStation, filter_stations, load_stations, validate_site};
use crate::link::{LinkConfig, LinkDirection, LinkParams, Technology};
use crate::mission::FieldError;
use crate::mission::inference::InferenceConfig;
use crate::mission::inference::spec::{self as inference_spec, InferenceSpec};
use crate::mission::rollout::RolloutInputs;
use crate::mission::rollout::spec::{
    self as rollout_spec, MAX_ANTENNAS, Model, ModelSpec, Onboard, OnboardSpec, Release, ReleaseSpec, RolloutSpec,
    UploadConfig, UploadSpec,
};
use crate::mission::training::spec::{self as training_spec, TrainingConfig, TrainingSpec};
use crate::mission::upsets::spec::{self as upsets_spec, ScrubSpec, UpsetConfig};
use crate::orbit::catalogue::{CatalogueGrouping, GroupingSpec, group_catalogue};
use crate::orbit::cluster::ClusterSpec;
use crate::orbit::walker::WalkerShell;
use crate::orbit::{MAX_SATELLITES, Satellite, load_orbit_file};
use crate::time::UtcTime;
use crate::units::{Duration, check_range, one_line, quoted};

/// Longest error line, in characters (the CLI prefixes `error: `, for at most 300 in all).
pub const MAX_ERROR_CHARS: usize = 290;

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
fn default_antennas() -> u32 {
    1
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
    /// Later releases of the model (new versions, adapters, deltas).
    #[serde(default)]
    pub releases: Vec<ReleaseSpec>,
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
    pub inference: Option<InferenceSpec>,
    /// The grid `orbsim coverage` analyses; see [`crate::access::coverage`].
    #[serde(default)]
    pub coverage: CoverageSpec,
    /// Radiation upsets in the memory holding the model; see [`crate::access::radiation`].
    #[serde(default)]
    pub upsets: Option<UpsetSpec>,
    /// The scrubber that finds corrupted chunks (required with `[upsets]`).
    #[serde(default)]
    pub scrub: Option<ScrubSpec>,
    /// Satellites, stations, antennas and laser terminals that fail; see
    /// [`crate::access::outages`].
    #[serde(default)]
    pub failures: Option<FailureSpec>,
    /// Training across satellites; see [`crate::mission::training`].
    #[serde(default)]
    pub training: Option<TrainingSpec>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FleetSpec {
    #[serde(default)]
    pub tle: Vec<TleSource>,
    #[serde(default)]
    pub shells: Vec<WalkerShell>,
    /// Formation clusters (`[[fleet.cluster]]`), after the shells.
    #[serde(default)]
    pub cluster: Vec<ClusterSpec>,
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
    /// Group the source's satellites into shells, planes and slots for +Grid links
    /// (tolerances in `[isl.grouping]`); those that fit no plane get range-based links.
    #[serde(default)]
    pub grid: bool,
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
    #[serde(default = "default_antennas")]
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

/// Which satellites may link to which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IslTopologyKind {
    /// +Grid within each Walker shell and each shell of a `grid = true` catalogue source:
    /// ahead, behind, and the neighbouring planes.
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
    /// Default: `grid` when the fleet has Walker shells or a `grid = true` catalogue
    /// source, else `range`.
    pub topology: Option<IslTopologyKind>,
    /// Grid: cross-plane links exist only while both ends are below this latitude.
    pub cross_plane_max_latitude_deg: Option<f64>,
    /// Range: laser terminals per satellite.
    #[serde(default = "default_terminals")]
    pub terminals: u32,
    /// Range: how often links are re-evaluated.
    #[serde(default = "default_reevaluation")]
    pub reevaluation: Duration,
    /// Grid: how `grid = true` catalogue sources are grouped into shells and planes.
    pub grouping: Option<GroupingSpec>,
}

impl Default for IslSpec {
    fn default() -> Self {
        toml::from_str("").expect("every isl field has a default")
    }
}

// ---------------------------------------------------------------------------------------
// The validated scenario.

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
    /// Formation clusters and the index of their first satellite.
    pub clusters: Vec<(ClusterSpec, usize)>,
    pub stations: Vec<GroundStation>,
    pub antennas: Vec<u32>,
    pub uplink: LinkParams,
    pub downlink: Option<LinkParams>,
    pub isl: Option<LinkParams>,
    /// Who links to whom over `isl`.
    pub isl_topology: Option<IslTopology>,
    /// The `grid = true` catalogue sources grouped into shells, planes and slots at the
    /// start, when there are any.
    pub catalogue: Option<CatalogueGrouping>,
    pub model: Model,
    /// The releases after the model, in the order written.
    pub releases: Vec<Release>,
    pub upload: UploadConfig,
    /// Which satellites receive the upload.
    pub targets: Vec<bool>,
    pub onboard: Onboard,
    pub rollout: RolloutSpec,
    /// Warnings for the user (skipped records).
    pub warnings: Vec<String>,
    /// The validated `[inference]` section, if the scenario has one.
    pub inference: Option<InferenceConfig>,
    /// The `[coverage]` section (or its defaults), validated.
    pub coverage: CoverageConfig,
    /// The validated `[upsets]` and `[scrub]` sections, if the scenario has them.
    pub upsets: Option<UpsetConfig>,
    /// When each part of the system is down (`[failures]`; none without it), drawn from
    /// the run's seed.
    pub outages: Outages,
    /// The validated `[training]` section, if the scenario has one.
    pub training: Option<TrainingConfig>,
}

impl Scenario {
    /// What the rollout reads.
    pub fn rollout_inputs(&self) -> RolloutInputs<'_> {
        RolloutInputs {
            start: self.start,
            end: self.end,
            seed: self.seed,
            targets: &self.targets,
            antennas: &self.antennas,
            uplink: &self.uplink,
            model: &self.model,
            releases: &self.releases,
            upload: &self.upload,
            onboard: &self.onboard,
            rollout: &self.rollout,
            repairs: self.upsets.is_some(),
            preinstalled: self.inference.as_ref().is_some_and(|i| i.preinstalled),
            outages: &self.outages,
        }
    }
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
    validate(path, file, seed).map_err(|mut e| {
        if e.line_col.is_none() {
            e.line_col = field_span(text, &e.path).map(|span| line_col(text, span.start));
        }
        e
    })
}

/// Line and column (from 1) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// Where the field at `path` (e.g. `releases[1].base`) is written in the TOML `text`: its
/// value, or if it is not written, the deepest table or array of the path that is.
fn field_span(text: &str, path: &str) -> Option<std::ops::Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut found: Option<std::ops::Range<usize>> = None;
    let mut table = root.get_ref();
    let mut segments = path.split('.').filter(|s| !s.is_empty()).peekable();
    while let Some(segment) = segments.next() {
        let mut parts = segment.split('[');
        let Some(mut value) = parts.next().and_then(|key| table.get(key)) else { return found };
        found = Some(value.span());
        for index in parts {
            let item = index.strip_suffix(']').and_then(|i| i.parse::<usize>().ok());
            let (Some(i), DeValue::Array(items)) = (item, value.get_ref()) else { return found };
            let Some(next) = items.get(i) else { return found };
            value = next;
            found = Some(value.span());
        }
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ if segments.peek().is_some() => return found,
            _ => {}
        }
    }
    found
}

/// Parses the TOML with field paths in errors.
pub fn parse_scenario(path: &Path, text: &str) -> Result<ScenarioFile, ScenarioError> {
    let line_col = |span: Option<std::ops::Range<usize>>| span.map(|s| line_col(text, s.start));
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

/// Validates the file section by section, in the order errors are reported.
fn validate(path: &Path, file: ScenarioFile, seed: Option<u64>) -> Result<Scenario, ScenarioError> {
    let section_error = |e: FieldError| ScenarioError::at(path, e.path, e.message);
    let (start, end) = validate_window(path, &file)?;
    let fleet = validate_fleet(path, &file.fleet, start)?;
    let (stations, antennas) = validate_stations(path, &file.stations)?;
    let links = validate_links(path, &file.links)?;
    let (isl_topology, catalogue) = validate_isl(path, &file.isl, links.isl.is_some(), &fleet, start)?;
    let rollout = rollout_spec::validate(
        &rollout_spec::Sections {
            rollout: &file.rollout,
            model: &file.model,
            releases: &file.releases,
            upload: file.upload.as_ref(),
            onboard: &file.onboard,
        },
        &rollout_spec::ValidationContext {
            satellites: &fleet.satellites,
            roles: &fleet.roles,
            uplink: &links.uplink,
            has_isl: links.isl.is_some(),
            preinstalled: file.inference.as_ref().is_some_and(|i| i.preinstalled),
            window_ns: end.unix_nanos() - start.unix_nanos(),
        },
    )
    .map_err(section_error)?;
    let inference = match &file.inference {
        Some(spec) => Some(
            inference_spec::validate(
                spec,
                &inference_spec::ValidationContext {
                    file: path,
                    satellites: &fleet.satellites,
                    roles: &fleet.roles,
                    stations: &stations,
                    has_downlink: links.downlink.is_some(),
                    model_size_bytes: rollout.model.size_bytes,
                    start,
                    end,
                    versions: &std::iter::once((rollout.model.name.clone(), start))
                        .chain(rollout.releases.iter().map(|r| (r.artifact.name.clone(), start.plus_nanos(r.after_ns))))
                        .collect::<Vec<_>>(),
                },
            )
            .map_err(section_error)?,
        ),
        None => None,
    };
    let coverage = coverage_grid::validate(&file.coverage, path, file.stations.min_elevation_deg)
        .map_err(|m| ScenarioError::at(path, "", m))?;
    let upsets = upsets_spec::validate(file.upsets.as_ref(), file.scrub.as_ref()).map_err(section_error)?;
    let training = match &file.training {
        Some(spec) => Some(
            training_spec::validate(
                spec,
                &training_spec::ValidationContext {
                    satellites: &fleet.satellites,
                    roles: &fleet.roles,
                    stations: &stations,
                    planned: &rollout.targets,
                    has_downlink: links.downlink.is_some(),
                    isl: links.isl.as_ref(),
                    window_ns: end.unix_nanos() - start.unix_nanos(),
                },
            )
            .map_err(section_error)?,
        ),
        None => None,
    };
    let seed = seed.unwrap_or(file.seed);
    let outages = match &file.failures {
        Some(spec) => {
            let satellite_names: Vec<String> = fleet.satellites.iter().map(|s| s.name.clone()).collect();
            let station_names: Vec<String> = stations.iter().map(|s| s.name.clone()).collect();
            let context = FailureContext {
                satellites: &satellite_names,
                stations: &station_names,
                antennas: &antennas,
                window_ns: end.unix_nanos() - start.unix_nanos(),
            };
            let config = outages::validate(spec, &context).map_err(|e| ScenarioError::at(path, e.path, e.message))?;
            Outages::generate(&config, fleet.satellites.len(), &antennas, crate::access::Window { start, end }, seed)
        }
        None => Outages::none(fleet.satellites.len(), &antennas),
    };

    Ok(Scenario {
        file: path.to_path_buf(),
        name: file.name,
        description: file.description,
        start,
        end,
        seed,
        satellites: fleet.satellites,
        roles: fleet.roles,
        shells: fleet.shells,
        clusters: fleet.clusters,
        stations,
        antennas,
        uplink: links.uplink,
        downlink: links.downlink,
        isl: links.isl,
        isl_topology,
        catalogue,
        model: rollout.model,
        releases: rollout.releases,
        upload: rollout.upload,
        targets: rollout.targets,
        onboard: rollout.onboard,
        rollout: rollout.rollout,
        warnings: fleet.warnings,
        inference,
        coverage,
        upsets,
        outages,
        training,
    })
}

/// A path in the scenario, relative to the scenario file unless absolute.
fn resolve(scenario: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() { p.to_path_buf() } else { scenario.parent().unwrap_or(Path::new(".")).join(p) }
}

/// The names that label outputs, and the simulated window: its start and end.
fn validate_window(path: &Path, file: &ScenarioFile) -> Result<(UtcTime, UtcTime), ScenarioError> {
    let err = |field: &str, msg: String| ScenarioError::at(path, field, msg);
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
    Ok((start, start.plus_nanos(file.duration.0)))
}

/// The fleet, validated.
struct Fleet {
    satellites: Vec<Satellite>,
    roles: Vec<Option<String>>,
    /// Walker shells and the index of their first satellite.
    shells: Vec<(WalkerShell, usize)>,
    /// Formation clusters and the index of their first satellite.
    clusters: Vec<(ClusterSpec, usize)>,
    /// The satellites of `grid = true` catalogue sources (ascending), and the first such
    /// source, which errors name.
    gridded: Vec<usize>,
    grid_source: Option<usize>,
    /// Skipped records, for the user.
    warnings: Vec<String>,
}

fn validate_fleet(path: &Path, fleet: &FleetSpec, start: UtcTime) -> Result<Fleet, ScenarioError> {
    let err = |field: &str, msg: String| ScenarioError::at(path, field, msg);
    let mut warnings = Vec::new();
    let mut satellites = Vec::new();
    let mut roles = Vec::new();
    let mut shells = Vec::new();
    let mut clusters = Vec::new();
    let mut gridded = Vec::new();
    if fleet.tle.is_empty() && fleet.shells.is_empty() && fleet.cluster.is_empty() {
        return Err(err(
            "fleet",
            "needs at least one `[[fleet.tle]]` source, `[[fleet.shells]]` shell or `[[fleet.cluster]]`".into(),
        ));
    }
    for (i, source) in fleet.tle.iter().enumerate() {
        let loaded = load_orbit_file(&resolve(path, &source.file), &source.names, fleet.strict)
            .map_err(|e| err(&format!("fleet.tle[{i}]"), e.to_string()))?;
        if let Some(summary) = loaded.skipped_summary() {
            warnings.push(summary);
        }
        roles.extend(std::iter::repeat_n(source.role.clone(), loaded.satellites.len()));
        if source.grid {
            gridded.extend(satellites.len()..satellites.len() + loaded.satellites.len());
        }
        satellites.extend(loaded.satellites);
    }
    for (i, shell) in fleet.shells.iter().enumerate() {
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
    for (i, cluster) in fleet.cluster.iter().enumerate() {
        let field = format!("fleet.cluster[{i}]");
        cluster.validate(&field).map_err(|m| match m.split_once(": ") {
            Some((at, message)) => ScenarioError::at(path, at, message),
            None => ScenarioError::at(path, "", m),
        })?;
        if satellites.len() + cluster.count() > MAX_SATELLITES {
            return Err(err(
                &field,
                format!(
                    "{} satellites would make the fleet {}: at most {MAX_SATELLITES} satellites fit one run",
                    cluster.count(),
                    satellites.len() + cluster.count()
                ),
            ));
        }
        let generated = cluster.satellites(start).map_err(|m| err(&field, m))?;
        clusters.push((cluster.clone(), satellites.len()));
        roles.extend(std::iter::repeat_n(cluster.role.clone(), generated.len()));
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
    let grid_source = fleet.tle.iter().position(|t| t.grid);
    Ok(Fleet { satellites, roles, shells, clusters, gridded, grid_source, warnings })
}

/// The ground stations and the antennas of each.
fn validate_stations(path: &Path, st: &StationsSpec) -> Result<(Vec<GroundStation>, Vec<u32>), ScenarioError> {
    let err = |field: &str, msg: String| ScenarioError::at(path, field, msg);
    let mut stations = Vec::new();
    let mut antennas = Vec::new();
    check_range(st.min_elevation_deg, -5.0..=89.0, "°").map_err(|m| err("stations.min_elevation_deg", m))?;
    check_range(st.antennas, 1..=MAX_ANTENNAS, " (one antenna serves one satellite at a time)")
        .map_err(|m| err("stations.antennas", m))?;
    if let Some(f) = &st.file {
        let p = resolve(path, f);
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
    Ok((stations, antennas))
}

/// The scenario's links, resolved.
struct Links {
    uplink: LinkParams,
    downlink: Option<LinkParams>,
    isl: Option<LinkParams>,
}

fn validate_links(path: &Path, links: &LinksSpec) -> Result<Links, ScenarioError> {
    let err = |field: &str, msg: String| ScenarioError::at(path, field, msg);
    let uplink = links.uplink.resolve("links.uplink").map_err(|e| ScenarioError::at(path, "", e.to_string()))?;
    if uplink.direction != LinkDirection::Uplink {
        return Err(err("links.uplink", format!("preset {} is not an uplink", quoted(&uplink.name))));
    }
    let downlink = match &links.downlink {
        Some(c) => Some(c.resolve("links.downlink").map_err(|e| ScenarioError::at(path, "", e.to_string()))?),
        None => None,
    };
    let isl = match &links.isl {
        Some(c) => {
            let params = c.resolve("links.isl").map_err(|e| ScenarioError::at(path, "", e.to_string()))?;
            if params.direction != LinkDirection::InterSatellite || !matches!(params.technology, Technology::Optical(_))
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
    Ok(Links { uplink, downlink, isl })
}

/// Who links to whom over the inter-satellite link, when the scenario has one, and the
/// grouping of the `grid = true` catalogue sources (at `start`).
fn validate_isl(
    path: &Path,
    spec: &IslSpec,
    has_isl: bool,
    fleet: &Fleet,
    start: UtcTime,
) -> Result<(Option<IslTopology>, Option<CatalogueGrouping>), ScenarioError> {
    let err = |field: &str, msg: String| ScenarioError::at(path, field, msg);
    let grid_field = |source: usize| format!("fleet.tle[{source}].grid");
    if !has_isl {
        return match fleet.grid_source {
            Some(source) => {
                Err(err(&grid_field(source), "asks for +Grid links, but the scenario has no `[links.isl]`".into()))
            }
            None => Ok((None, None)),
        };
    }
    let shells = &fleet.shells;
    let kind = spec.topology.unwrap_or(if shells.is_empty() && fleet.grid_source.is_none() {
        IslTopologyKind::Range
    } else {
        IslTopologyKind::Grid
    });
    if fleet.grid_source.is_none() && spec.grouping.is_some() {
        return Err(err(
            "isl.grouping",
            "groups `grid = true` catalogue sources, but no `[[fleet.tle]]` has one".into(),
        ));
    }
    Ok(match kind {
        IslTopologyKind::Grid => {
            if shells.is_empty() && fleet.grid_source.is_none() {
                return Err(err(
                    "isl.topology",
                    "`grid` links Walker shells and `grid = true` catalogue sources; this fleet has neither (use `range`)"
                        .into(),
                ));
            }
            if let Some(lat) = spec.cross_plane_max_latitude_deg
                && !(lat > 0.0 && lat <= 90.0)
            {
                return Err(err("isl.cross_plane_max_latitude_deg", format!("{lat} must be in (0, 90]")));
            }
            let grid = GridTopology {
                shells: shells.iter().map(|(shell, first)| ShellLayout::from_walker(shell, *first)).collect(),
                cross_plane_max_latitude_deg: spec.cross_plane_max_latitude_deg,
            };
            if fleet.grid_source.is_none() {
                return Ok((Some(IslTopology::PlusGrid(grid)), None));
            }
            let grouping_spec = spec.grouping.clone().unwrap_or_default();
            grouping_spec.validate("isl.grouping").map_err(|m| match m.split_once(": ") {
                Some((at, message)) => err(at, message.into()),
                None => err("isl.grouping", m),
            })?;
            let grouping = group_catalogue(&fleet.satellites, &fleet.gridded, start, &grouping_spec);
            let mut pairs = grid.links(fleet.satellites.len()).map_err(|e| err("isl.topology", e.to_string()))?;
            pairs.extend(catalogue_links(&grouping, spec.cross_plane_max_latitude_deg));
            pairs.sort_unstable_by_key(|l| (l.a, l.b));
            let ranged = grouping.unassigned().into_iter().map(|i| i as u32).collect();
            let topology =
                IslTopology::GridWithFallback(GridWithFallback { pairs, ranged, range: range_topology(path, spec)? });
            (Some(topology), Some(grouping))
        }
        IslTopologyKind::Range => match fleet.grid_source {
            Some(source) => {
                return Err(err(
                    &grid_field(source),
                    "asks for +Grid links, but `isl.topology` is \"range\" (make it \"grid\")".into(),
                ));
            }
            None => (Some(IslTopology::RangeBased(range_topology(path, spec)?)), None),
        },
    })
}

/// The range-based links of `[isl]`: for `range`, and for the satellites a catalogue
/// grid leaves out.
fn range_topology(path: &Path, spec: &IslSpec) -> Result<RangeTopology, ScenarioError> {
    let err = |field: &str, msg: String| ScenarioError::at(path, field, msg);
    if spec.terminals == 0 || spec.terminals > MAX_TERMINALS {
        return Err(err("isl.terminals", format!("{} must be between 1 and {MAX_TERMINALS}", spec.terminals)));
    }
    // Run time grows as the inverse of this period, and laser terminals take
    // seconds to point and acquire, so re-planning faster describes nothing real.
    if spec.reevaluation.0 < MIN_RANGE_REEVALUATION_NS {
        return Err(err(
            "isl.reevaluation",
            "must be at least 1 s: lasers take seconds to acquire, and run time grows as its inverse".into(),
        ));
    }
    Ok(RangeTopology {
        terminals: spec.terminals,
        reevaluation_s: spec.reevaluation.seconds(),
        ..RangeTopology::default()
    })
}
