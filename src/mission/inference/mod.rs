//! Inference from orbit: questions from users go up, are answered by on-board inference,
//! and come back.
//!
//! # A request's life
//! 1. **Asked.** Each source ([`spec::Source`]) is a Poisson process (see [`sources`]):
//!    users at given positions, random positions over the globe or the oceans, or a web
//!    portal that forwards questions through the operator's ground stations.
//! 2. **Up.** The question goes up as soon as its source sees a satellite from which a
//!    satellite with the model and room in its queue can be reached: a user terminal's
//!    link to a satellite above its mask ([`sky`]: visibility on demand, not passes per
//!    user), or a portal station's uplink contact from the plan. Otherwise it waits on the
//!    ground (store and forward) until something changes — a satellite rises, a contact
//!    starts, a deployment completes — or its timeout expires.
//! 3. **Across.** Among every satellite in view (each with its uplink delay) and every
//!    satellite reachable from them over the inter-satellite links up at that instant, the
//!    question goes to the one with the least expected delay: uplink + ISL hops
//!    (propagation + transmission + switching) + expected queue wait + service time
//!    ([`routing`]). Only satellites holding the deployed model now are candidates
//!    (`preinstalled`, or since the run announced a [`MissionEvent::ModelHeld`] for them:
//!    the router cannot foresee a deployment), so a rollout in progress shapes what can be
//!    served, and a deployment wakes the questions waiting for a server. Without ISLs a satellite can only answer a user while in
//!    view of that user, so a server that would have set by the time its answer is ready
//!    is passed over when another can finish within view.
//! 4. **Computed.** Each serving satellite has `max_batch` slots and a FIFO queue
//!    ([`compute`] for the service time); power and eclipse can pause or throttle it
//!    ([`crate::mission::power`]).
//! 5. **Down.** The answer is routed from the server to whichever satellite the user sees
//!    at that instant (possibly another one after a handover) and sent down; with none in
//!    reach it waits on board until one comes into view or the timeout expires.
//!
//! # Lost on board, rerouted
//! A question is lost on board when its server stops running the version it needs (patched
//! over by a delta, or restarting), stops serving (a corrupted chunk under the stop-serving
//! policy), fails while the question waits in its queue or computes, or fails while the
//! answer waits on board for a way down; a question reaching a server that no longer serves
//! it is lost too. The model assumes the ground notices a loss at once: the question goes
//! back to routing from its source at that instant, as a new attempt, at most
//! `max_reroutes` times (then it is `dropped`) and never past its timeout. A failed
//! satellite takes no question up, serves none and sends no answer down.
//!
//! # The latency decomposition
//! Every phase is an integer number of nanoseconds, and the instants are built by adding
//! them, so for every answered request
//!
//! `rerouted + uplink_wait + up + isl_out + queue + compute + answer_wait + isl_back + down = answer − submit`
//!
//! holds exactly. `answer_wait` is the store-and-forward wait of a computed answer for a
//! path down (zero whenever a path exists when the answer is ready). A rerouted question
//! adds `rerouted`, the time lost to its failed attempts (from the question to the last
//! loss); the other phases then describe its last attempt.
//!
//! # Simplifications (stated, not hidden)
//! - User links are per terminal (no contention between users); messages are a few kB, so
//!   at Mbit/s they take milliseconds. The rate is taken at the start of a transmission.
//!   User terminals are assumed to keep a link up (phased arrays hand over without
//!   re-acquisition): no setup time.
//! - A portal's ground network forwards a question to whichever of its stations has a
//!   usable uplink first; the stations' antennas are not shared with the upload model.
//! - An ISL path is priced at the instant the message leaves (a few ms later the topology
//!   is the same); ISL queueing is not modelled (100 Gbit/s links, kB messages).
//! - Link budgets of user terminals are evaluated per 5° × 5° cell (the atmosphere varies
//!   on that scale); geometry is exact per terminal.

#![warn(missing_docs)]

pub mod compute;
pub mod ocean;
pub mod routing;
mod sim;
pub mod sky;
pub mod sources;
pub mod spec;

#[cfg(doc)]
use crate::mission::MissionEvent;
pub use sim::InferenceRun;
pub use spec::InferenceConfig;

use crate::access::eclipse::EclipseInterval;
use crate::contact::ContactPlan;
use crate::ground::GroundStation;
use crate::mission::power::EnergyAccount;
use crate::orbit::Satellite;
use crate::time::UtcTime;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The answer reached the user before the timeout and within the simulated window.
    Answered,
    /// The user gave up: the timeout passed while the question or the answer waited, or
    /// the answer would have arrived after it.
    Timeout,
    /// Every satellite that could have served it had a full queue.
    Rejected,
    /// Still in flight when the simulated window ended.
    Unfinished,
    /// Lost on board once more than `max_reroutes` allow (see the module docs).
    Dropped,
}

impl Outcome {
    /// Lower-case label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Timeout => "timeout",
            Outcome::Rejected => "rejected",
            Outcome::Unfinished => "unfinished",
            Outcome::Dropped => "dropped",
        }
    }
}

/// Why a question was lost on board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LossReason {
    /// Its server stopped running the version it needs (patched over, or restarting).
    VersionRetired,
    /// Its server found a corrupted chunk and stopped serving (the stop-serving policy).
    Corrupted,
    /// Its server failed.
    SatelliteFailed,
}

impl LossReason {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            LossReason::VersionRetired => "version-retired",
            LossReason::Corrupted => "corrupted",
            LossReason::SatelliteFailed => "satellite-failed",
        }
    }
}

/// Where a request's time went, in nanoseconds (see the module docs for the identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Phases {
    /// Lost to failed attempts: from the question to the start of its last attempt.
    pub rerouted_ns: i64,
    /// Waiting on the ground for a usable satellite.
    pub uplink_wait_ns: i64,
    /// Transmission and light time up to the first satellite.
    pub up_ns: i64,
    /// Inter-satellite hops to the server.
    pub isl_out_ns: i64,
    /// Waiting in the server's queue (including pauses for power before starting).
    pub queue_ns: i64,
    /// Prefill and decode (including any power pause or throttling while running).
    pub compute_ns: i64,
    /// The answer waiting on board for a path down.
    pub answer_wait_ns: i64,
    /// Inter-satellite hops from the server to the satellite that sends the answer down.
    pub isl_back_ns: i64,
    /// Transmission and light time down to the user.
    pub down_ns: i64,
}

impl Phases {
    /// Sum of all phases, ns.
    pub fn total_ns(&self) -> i64 {
        self.rerouted_ns
            + self.uplink_wait_ns
            + self.up_ns
            + self.isl_out_ns
            + self.queue_ns
            + self.compute_ns
            + self.answer_wait_ns
            + self.isl_back_ns
            + self.down_ns
    }

    /// The phases as (name, ns), in order.
    pub fn named(&self) -> [(&'static str, i64); 9] {
        [
            ("rerouted", self.rerouted_ns),
            ("uplink_wait", self.uplink_wait_ns),
            ("up", self.up_ns),
            ("isl_out", self.isl_out_ns),
            ("queue", self.queue_ns),
            ("compute", self.compute_ns),
            ("answer_wait", self.answer_wait_ns),
            ("isl_back", self.isl_back_ns),
            ("down", self.down_ns),
        ]
    }
}

/// One request, from question to outcome. Phases after the point where the request
/// stopped are zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestRecord {
    /// Index of the source in the scenario's `[[inference.sources]]`.
    pub source: u32,
    /// Terminal of that source (0 for a portal).
    pub terminal: u32,
    /// When it was asked.
    pub submit: UtcTime,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// The model version it needs (`None`: any).
    pub version: Option<u16>,
    /// Satellite that received the question from the ground.
    pub entry: Option<u32>,
    /// Satellite that computed the answer.
    pub served_by: Option<u32>,
    /// Satellite that sent the answer down.
    pub exit: Option<u32>,
    /// Portal station that sent the question up (portal sources).
    pub uplink_station: Option<u32>,
    /// Portal station that received the answer (portal sources).
    pub downlink_station: Option<u32>,
    /// ISL hops to the server.
    pub isl_hops_out: u16,
    /// ISL hops back towards the user.
    pub isl_hops_back: u16,
    /// Where the time went.
    pub phases: Phases,
    /// How it ended.
    pub outcome: Outcome,
    /// When the outcome was decided: the answer's arrival, the deadline for a timeout, the
    /// rejection, or the window's end.
    pub closed: UtcTime,
    /// Answered by a satellite holding a corrupted chunk (the degraded policy).
    pub degraded: bool,
    /// Its first attempt went up the moment it was asked.
    pub asked_in_view: bool,
    /// Times it was lost on board and routed again.
    pub reroutes: u16,
    /// Why it was last lost on board.
    pub lost_to: Option<LossReason>,
}

impl RequestRecord {
    /// When the question left the ground (on its last attempt).
    pub fn uplink_time(&self) -> Option<UtcTime> {
        self.entry.map(|_| self.submit.plus_nanos(self.phases.rerouted_ns + self.phases.uplink_wait_ns))
    }

    /// When the answer reached the user (answered requests).
    pub fn answer_time(&self) -> Option<UtcTime> {
        (self.outcome == Outcome::Answered).then(|| self.submit.plus_nanos(self.phases.total_ns()))
    }

    /// Question to answer, ns (answered requests).
    pub fn latency_ns(&self) -> Option<i64> {
        (self.outcome == Outcome::Answered).then(|| self.phases.total_ns())
    }
}

/// A source as run: its label and its terminals.
#[derive(Debug, Clone)]
pub struct SourceRun {
    /// The source's name.
    pub name: String,
    /// `users`, `random`, `ocean` or `portal`.
    pub kind: &'static str,
    /// Its terminals with their positions (empty for a portal).
    pub terminals: Vec<GroundStation>,
    /// Portal stations (indices into the scenario's stations).
    pub portal_stations: Vec<u32>,
}

impl SourceRun {
    /// Label of terminal `k` for tables: the terminal's name, or the source's for a portal.
    pub fn terminal_name(&self, k: u32) -> &str {
        self.terminals.get(k as usize).map_or(self.name.as_str(), |t| t.name.as_str())
    }
}

/// What one serving satellite did.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRecord {
    /// Satellite index.
    pub satellite: u32,
    /// From when it held the model (`None`: never in the window).
    pub model_from: Option<UtcTime>,
    /// Requests computed to completion.
    pub completed: u32,
    /// Time with at least one request in its batch, ns.
    pub busy_ns: i64,
    /// Σ over requests of their compute time, ns (slot occupancy).
    pub slot_busy_ns: i64,
    /// Time the accelerator spent limited by power (paused or throttled), ns.
    pub limited_ns: i64,
    /// Energy the accelerator drew, J.
    pub accelerator_j: f64,
    /// The battery's book (when power is modelled).
    pub energy: Option<EnergyAccount>,
    /// State of charge at the window's end (when power is modelled).
    pub final_state_of_charge: Option<f64>,
    /// Battery capacity, J (when power is modelled).
    pub capacity_j: Option<f64>,
    /// Share of the window in the Earth's shadow (penumbra or umbra).
    pub eclipse_fraction: f64,
}

/// Wall-clock time of the inference stages, seconds (not part of any output file: they
/// differ between runs).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct InferenceTimes {
    /// Trajectory cache, terminal placement and link budgets.
    pub setup_s: f64,
    /// Eclipse intervals.
    pub eclipses_s: f64,
    /// The event loop.
    pub simulation_s: f64,
}

/// Everything the inference run produced.
#[derive(Debug, Clone)]
pub struct InferenceOutcome {
    /// Every request, in order of asking (ties in source order).
    pub requests: Vec<RequestRecord>,
    /// The sources as run.
    pub sources: Vec<SourceRun>,
    /// Serving satellites, in fleet order.
    pub servers: Vec<ServerRecord>,
    /// Eclipse intervals of every satellite (fleet order).
    pub eclipses: Vec<Vec<EclipseInterval>>,
    /// Every period each serving satellite held the model (any version), as the run used it.
    pub availability: crate::mission::Availability,
    /// The same per version of the model (the model first, then each release).
    pub versions: Vec<crate::mission::Availability>,
    /// Events the engine processed.
    pub events: u64,
    /// Snapshots of the fleet built for visibility queries.
    pub snapshots: u64,
    /// Satellites settled by route searches.
    pub route_nodes: u64,
    /// Bytes of the trajectory cache.
    pub trajectory_bytes: usize,
    /// Whether a question could be lost on board in this scenario (see
    /// [`losses_possible`]): the request table then says how often each was rerouted.
    pub losses_possible: bool,
    /// Wall-clock stage times.
    pub times: InferenceTimes,
}

/// What the inference model needs from a run.
pub struct InferenceInputs<'a> {
    /// The fleet.
    pub satellites: &'a [Satellite],
    /// The scenario's ground stations (portals use them).
    pub stations: &'a [GroundStation],
    /// Window start.
    pub start: UtcTime,
    /// Window end.
    pub end: UtcTime,
    /// Scenario seed.
    pub seed: u64,
    /// The validated `[inference]` section.
    pub config: &'a InferenceConfig,
    /// Ground contacts (portals) and ISL contacts (routing).
    pub plan: &'a ContactPlan,
    /// Where the eclipse search and the simulation report their progress.
    pub progress: &'a dyn crate::progress::Progress,
    /// What a satellite holding a corrupted chunk does, when the scenario has `[upsets]`.
    pub upset_policy: Option<crate::mission::upsets::spec::ServicePolicy>,
    /// When satellites are down: a failed satellite neither takes, relays, serves nor
    /// sends down a question.
    pub outages: &'a crate::access::outages::Outages,
}

/// Whether a question can be lost on board in the scenario: releases retire versions,
/// upsets stop servers, failures take satellites down. The one place that decides it.
pub fn losses_possible(inputs: &InferenceInputs) -> bool {
    inputs.config.version_released.len() > 1 || inputs.upset_policy.is_some() || !inputs.outages.is_empty()
}

/// Why the inference run failed.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// The event engine rejected an event (a model bug).
    #[error(transparent)]
    Engine(#[from] crate::engine::ScheduleError),
    /// A user terminal's link budget could not be built.
    #[error("user terminal link: {0}")]
    Link(#[from] crate::link::LinkError),
}

/// Nearest-rank percentile of sorted values (`p` in 0–100); `None` when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}
