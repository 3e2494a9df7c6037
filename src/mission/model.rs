//! The seam every mission model plugs into: what a model is told (the run's inputs, the
//! contact plan as it is built, the other models' events), what it tells the others, and
//! what it hands the report.
//!
//! Every model runs on the one [`SharedEngine`](crate::engine::SharedEngine) of a run as a
//! [`Process`] whose messages are [`MissionEvent`]s. The upload and inference models are
//! built in (the pipeline drives them and the report has pages for them); any other model
//! is a [`MissionModel`] made by a [`MissionFactory`] listed in [`REGISTRY`] (or handed to
//! [`crate::pipeline::run_with`]), and reports through a [`MissionReport`]: its section of
//! summary.json, its console lines, its CSV tables, its figures and its part of report.html.

use super::rollout::spec::{Model, Release};
use super::training::spec::TrainingConfig;
use super::upsets::spec::UpsetConfig;
use crate::contact::{Contact, Node};
use crate::engine::{Process, ScheduleError};
use crate::ground::GroundStation;
use crate::orbit::Satellite;
use crate::time::UtcTime;

/// What one model tells the others, delivered at its time to every model but the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissionEvent {
    /// `satellite` runs `version` from now on (uploaded, verified and deployed).
    VersionDeployed {
        /// Index into the fleet.
        satellite: u32,
        /// 0: the scenario's `[model]`; k: its k-th `[[releases]]`.
        version: u16,
    },
    /// `satellite` no longer runs `version`: a delta patched it in place or a failure wiped
    /// it (`still_held` false), or it restarts or failed keeping its storage (`still_held`
    /// true: its chunks, and any corruption in them, are still on board).
    VersionRetired { satellite: u32, version: u16, still_held: bool },
    /// The scrubber of `satellite` found `chunk` (from 0, within the version's artifact) of
    /// `version` corrupted.
    ChunkCorrupted { satellite: u32, version: u16, chunk: u32 },
    /// A corrupted chunk arrived again from `from`; `bytes` went over that link for it.
    ChunkRepaired { satellite: u32, version: u16, chunk: u32, from: Node, bytes: u64 },
}

/// Why a mission model stopped the run.
#[derive(Debug, thiserror::Error)]
pub enum MissionError {
    /// The event engine rejected an event (a model bug).
    #[error("simulation: {0}")]
    Engine(#[from] ScheduleError),
    /// The inference model failed.
    #[error("inference: {0}")]
    Inference(#[from] super::inference::InferenceError),
}

/// A model on the shared engine.
pub type MissionProcess<'a> = dyn Process<MissionEvent, MissionError> + 'a;

/// What a model may read of the validated scenario.
#[derive(Debug, Clone, Copy)]
pub struct MissionContext<'a> {
    /// The fleet, indexed as in every table.
    pub satellites: &'a [Satellite],
    /// The satellites the contact plan is built for (the upload's targets).
    pub planned: &'a [bool],
    /// The ground stations, indexed as in every table.
    pub stations: &'a [GroundStation],
    /// The simulated window.
    pub start: UtcTime,
    /// The simulated window's end.
    pub end: UtcTime,
    /// The scenario's seed (derive streams with [`crate::engine::rng_stream`]).
    pub seed: u64,
    /// The model (version 0) and its later releases (version k: `releases[k - 1]`).
    pub model: &'a Model,
    pub releases: &'a [Release],
    /// The validated `[upsets]` and `[scrub]` sections, if the scenario has them.
    pub upsets: Option<&'a UpsetConfig>,
    /// The validated `[training]` section, if the scenario has one.
    pub training: Option<&'a TrainingConfig>,
    /// When satellites, stations, antennas and laser terminals are down.
    pub outages: &'a crate::access::outages::Outages,
}

/// A mission model beyond the built-in upload and inference.
pub trait MissionModel<'a>: Process<MissionEvent, MissionError> {
    /// Its name: the key of its summary.json section and the prefix of its files.
    fn name(&self) -> &'static str;

    /// Whether it needs the contact plan to go on being built (the pipeline stops building
    /// once the upload is done and no model asks for more).
    fn needs_plan(&self) -> bool {
        false
    }

    /// The next stretch of the contact plan: contacts in start order, each starting no
    /// earlier than any handed over before (see [`crate::pipeline`] for how far ahead).
    fn plan_extended(&mut self, contacts: &[Contact]) -> Result<(), MissionError> {
        let _ = contacts;
        Ok(())
    }

    /// What it found, once the run is over.
    fn report(&self) -> MissionReport;
}

/// Makes a model for a run, or `None` when the scenario does not call for it.
pub type MissionFactory = for<'a> fn(&MissionContext<'a>) -> Option<Box<dyn MissionModel<'a> + 'a>>;

/// The models every run includes beyond upload and inference: a new model is one module
/// and one line here.
pub const REGISTRY: &[MissionFactory] =
    &[super::upsets::upsets_model, super::failures::failures_model, super::training::training_model];

/// What a model hands the report.
#[derive(Debug, Clone)]
pub struct MissionReport {
    /// The model's name (its summary.json key).
    pub name: &'static str,
    /// Its section of summary.json (an object: build it from a typed `#[derive(Serialize)]`
    /// struct with `serde_json::to_value`).
    pub summary: serde_json::Value,
    /// Lines for the console summary and report.html's headline, e.g. "passes: 412".
    pub headline: Vec<String>,
    /// CSV tables (file name, header, rows), written into the run's folder.
    pub tables: Vec<MissionTable>,
    /// Charts, written as PNG and SVG into the run's folder and shown in report.html.
    pub figures: Vec<MissionFigure>,
}

/// One chart of a [`MissionReport`] (the chart types of the `orbsim-plot` crate, which
/// knows nothing of satellites: the model fills in the numbers, the report draws them).
#[derive(Debug, Clone)]
pub struct MissionFigure {
    /// File stem in the run's folder, e.g. `pass_count` for `pass_count.png` and `.svg`.
    pub name: String,
    pub chart: MissionChart,
}

/// The kinds of chart a mission model can hand over.
#[derive(Debug, Clone)]
pub enum MissionChart {
    /// Lines or steps against UTC time.
    Time(orbsim_plot::LineChart<UtcTime>),
    /// Lines or steps against a number.
    Line(orbsim_plot::LineChart<f64>),
    /// Cumulative distributions of samples.
    Cdf(orbsim_plot::CdfChart),
    /// A world map; the report draws the coastline under it when it has none.
    Map(orbsim_plot::WorldMap),
}

/// One CSV table of a [`MissionReport`].
#[derive(Debug, Clone, PartialEq)]
pub struct MissionTable {
    /// File name in the run's folder, e.g. `pass_count.csv`.
    pub file: String,
    /// The header line's fields.
    pub header: Vec<String>,
    /// The rows, one field per header column (already formatted).
    pub rows: Vec<Vec<String>>,
}
