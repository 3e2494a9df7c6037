//! Rolling a model out to a fleet: ground stations upload it chunk by chunk over the
//! uplink contacts of the plan, sharing their antennas, and — depending on the strategy —
//! satellites pass it on over inter-satellite links. Each satellite that holds the whole
//! model runs the on-board pipeline: assemble to storage, verify (hash), decompress,
//! deploy.
//!
//! Three concerns sit behind interfaces of their own, one file each in `rollout/`:
//! - `schedule.rs`: which waiting satellite a free station antenna serves
//!   (`upload.scheduling`: most or least remaining, earliest set, round robin);
//! - `protocol.rs`: what a ground transmission carries, what becomes of lost chunks and
//!   when the file is whole (`upload.protocol`: CFDP class 2, fountain codes);
//! - `strategy.rs`: who passes which chunks to whom over inter-satellite links
//!   (`rollout.strategy`: ground-only, relay, swarm).
//!
//! This file is the model itself: it handles the events, keeps the state of satellites,
//! antennas and links, and books the outcome.
//!
//! # Releases
//! The model and each later release (`[[releases]]`) are transferred by this one model, so
//! that antennas and links are shared. Each release's chunks take their own words of the
//! satellites' chunk bitsets (a `Segment`); a satellite *wants* a release's chunks once it
//! is out and the satellite runs its base, antennas serve a satellite's first wanted
//! release, and links offer only wanted chunks. `versions.rs` reports what ran where. Each pairing of protocol and strategy is
//! compiled on its own (`model_for`), so the per-chunk calls into them are static.
//!
//! # Ground contacts
//! When an antenna is free and satellites are in view, the scheduling policy picks one.
//! The choice is reconsidered whenever
//! a contact starts at the station, at the end of the chunk in flight; switching to another
//! satellite costs the link's acquisition time. Within a contact chunks go out back to back
//! at the contact's rate profile, accounted exactly as the profile defines
//! (`RateProfile::time_to_deliver`), so nothing carries more than its contact allows. Each
//! chunk is lost with the probability its packets give (see [`super::loss`]); the protocol
//! says what becomes of it.
//!
//! # Inter-satellite links
//! Optical links are taken as lossless at the chunk level (their link layer retransmits
//! frames) and their propagation delay (≤ 20 ms) is ignored against transfer times. Each
//! direction of a link carries the full rate at once. Transfers move in batches of chunks
//! and a batch is delivered when its last chunk arrives.
//!
//! # Time resolution
//! Transmissions are worked out a slice ahead (at most [`MAX_SLICE_S`] of ground time, or
//! one batch on a link) and their effects applied at once, so the state of a satellite fed
//! from two sides at the same moment can run up to a slice ahead of the clock.

mod chunks;
mod protocol;
mod schedule;
pub mod spec;
mod strategy;
pub mod versions;

use std::collections::HashMap;

use chunks::{ChunkSet, bit, clear_bit, passable, set_bit};
use protocol::{Cfdp, Fountain, Next, TransferProtocol, Unit};
use schedule::Waiting;
pub use strategy::SWARM_WINDOW_BATCHES;
use strategy::{Direction, GroundOnly, News, Relay, Strategy, Swarm};

use super::loss::ChunkLoss;
use crate::access::outages::Outages;
use crate::contact::{Contact, ContactKind, Node};
use crate::engine::{ScheduleError, Simulation};
use crate::link::LinkParams;

mod process;
use crate::time::{NANOS_PER_SECOND, UtcTime};
use spec::{Onboard, Protocol, RolloutSpec, RolloutStrategy, UploadConfig};

/// Longest stretch of ground transmission worked out ahead of the clock, seconds.
pub const MAX_SLICE_S: f64 = 30.0;

/// An antenna serving a satellite within one contact (a contact can hold several sessions
/// when the scheduler switches away and back).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub satellite: u32,
    pub station: u32,
    /// The release sent (0: the model, k: the k-th of `[[releases]]`).
    pub release: u16,
    /// Index of the contact among the plan's uplink contacts.
    pub contact: u32,
    /// When the antenna was assigned, and when it was released.
    pub start: UtcTime,
    pub end: UtcTime,
    /// Every byte transmitted (headers, retransmissions, partial chunks cut by LOS).
    pub bytes_sent: u64,
    /// Payload bytes of chunks (symbols) that arrived and were new to the satellite.
    pub new_bytes_delivered: u64,
    /// Bytes of retransmitted chunks.
    pub retransmitted_bytes: u64,
    /// Chunks (for fountain: useful symbols) held by the satellite after the session.
    pub chunks_complete_after: u32,
}

/// Per-satellite outcome.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SatelliteUpload {
    pub target: bool,
    /// Ground contacts that carried bytes to it until it held the model.
    pub passes_used: u32,
    pub stations_used: u32,
    pub first_byte: Option<UtcTime>,
    pub last_chunk: Option<UtcTime>,
    /// Assembled in storage, hash verified, decompressed, deployed.
    pub stored: Option<UtcTime>,
    pub verified: Option<UtcTime>,
    pub decompressed: Option<UtcTime>,
    pub deployed: Option<UtcTime>,
    /// Everything ground stations transmitted to it.
    pub total_bytes_sent: u64,
    pub retransmitted_bytes: u64,
    pub chunks_received: u32,
    /// Payload bytes it received from the ground and over inter-satellite links.
    pub ground_bytes_received: u64,
    pub isl_bytes_received: u64,
    /// The node that delivered most of its copy.
    pub received_from: Option<Node>,
}

impl SatelliteUpload {
    /// Useful bytes (the transferred artifact) over everything the ground sent it.
    pub fn goodput_efficiency(&self, transfer_bytes: u64) -> Option<f64> {
        (self.last_chunk.is_some() && self.total_bytes_sent > 0 && self.isl_bytes_received == 0)
            .then(|| transfer_bytes as f64 / self.total_bytes_sent as f64)
    }
}

/// One batch of chunks over one direction of an inter-satellite link.
#[derive(Debug, Clone, PartialEq)]
pub struct IslTransfer {
    /// Index of the contact among the plan's inter-satellite contacts.
    pub contact: u32,
    pub from: u32,
    pub to: u32,
    pub start: UtcTime,
    pub end: UtcTime,
    pub chunks: u32,
    /// Bytes on the link (payload and headers).
    pub bytes: u64,
}

/// Everything the rollout produced.
#[derive(Debug, Clone, Default)]
pub struct UploadOutcome {
    pub sessions: Vec<Session>,
    /// The model's upload, per satellite.
    pub satellites: Vec<SatelliteUpload>,
    /// Each later release's upload (in the order of `[[releases]]`), per satellite.
    pub updates: Vec<Vec<SatelliteUpload>>,
    pub isl_transfers: Vec<IslTransfer>,
    /// Bytes carried over inter-satellite links (headers included).
    pub isl_bytes: u64,
    pub events: u64,
    /// Every change of the versions satellites run, in the order announced.
    pub version_log: Vec<VersionChange>,
}

/// A satellite starts or stops running a version of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionChange {
    pub at: UtcTime,
    pub satellite: u32,
    /// 0: the model; k: the k-th of `[[releases]]`.
    pub version: u16,
    pub running: bool,
    /// After the change the satellite still holds the version's chunks (a restart or a
    /// failure that keeps its storage), not only when it runs it.
    pub held: bool,
}

impl VersionChange {
    /// The event that tells the other models.
    pub fn event(&self) -> crate::mission::MissionEvent {
        use crate::mission::MissionEvent::{VersionDeployed, VersionRetired};
        let (satellite, version) = (self.satellite, self.version);
        if self.running {
            VersionDeployed { satellite, version }
        } else {
            VersionRetired { satellite, version, still_held: self.held }
        }
    }
}

/// A satellite went down at `at` (and is back at `back`): what it ran stops, and runs
/// again after a reboot unless the failure wiped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Failure {
    at: UtcTime,
    satellite: u32,
    back: UtcTime,
    wiped: bool,
}

/// A corrupted chunk received again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repair {
    pub at: UtcTime,
    pub satellite: u32,
    pub release: u16,
    /// From 0 within the release.
    pub chunk: u32,
    pub from: Node,
    /// Bytes sent for it on the link that brought it (payload and header).
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    /// The next ground (uplink) contact of the start-sorted list begins.
    GroundStart(u32),
    GroundEnd(u32),
    /// An antenna reached the end of a transmission slice.
    Slice {
        station: u32,
        antenna: u32,
    },
    IslStart(u32),
    IslEnd(u32),
    /// A batch on one direction of an inter-satellite link has arrived.
    Batch {
        contact: u32,
        reverse: bool,
    },
    /// A satellite's copy of a release is verified: it can serve as a relay.
    Verified {
        sat: u32,
        release: u16,
    },
    /// A release comes out: satellites running its base may receive it.
    Released(u16),
    /// A satellite runs a release others build on: it may receive them.
    Deployed {
        sat: u32,
        release: u16,
    },
    /// An antenna of this station is back in service after an outage.
    AntennaUp(u32),
    /// A satellite goes down (the start of one of its down periods).
    SatelliteFails(u32),
}

struct SatState {
    /// Chunks held, as a bitset over every release (for fountain uploads: all of a
    /// release set once decoded).
    held: Vec<u64>,
    /// Chunks on their way over a link, so that no two links bring the same chunk.
    incoming: Vec<u64>,
    /// Chunks of completed releases found corrupted and not yet received again.
    damaged: Vec<u64>,
    /// Chunks of the releases it may receive (released, their base running on board):
    /// what links may offer it.
    wanted: Vec<u64>,
    /// Words of the chunk bitsets of the releases it has verified: what a relay forwards.
    verified_words: Vec<std::ops::Range<usize>>,
    /// Releases it has yet to complete (if a target).
    outstanding: u32,
    /// Its state per release.
    releases: Vec<Holding>,
    receivers_busy: u32,
    incoming_links: u32,
    last_session_end: i64,
    last_served: Option<i64>,
    /// Ground and inter-satellite contacts in progress.
    ground_active: Vec<u32>,
    isl_active: Vec<u32>,
}

/// A satellite's state for one release.
struct Holding {
    /// Chunks held, or for a coded transfer, symbols received before it decodes.
    received: u32,
    /// Chunks of the completed release found corrupted and not yet received again.
    damaged: u32,
    /// It may receive the release (released, its base running on board).
    eligible: bool,
    /// It runs the release (deployed).
    running: bool,
    contacts_used: Vec<u32>,
    stations_used: Vec<u32>,
    /// Payload bytes received per source node.
    sources: Vec<(Node, u64)>,
    loss: ChunkLoss,
    result: SatelliteUpload,
}

impl Holding {
    fn complete(&self) -> bool {
        self.result.last_chunk.is_some()
    }

    /// Complete and undamaged: nothing more to receive.
    fn whole(&self) -> bool {
        self.complete() && self.damaged == 0
    }

    fn credit(&mut self, source: Node, bytes: u64) {
        match self.sources.iter_mut().find(|(n, _)| *n == source) {
            Some((_, b)) => *b += bytes,
            None => self.sources.push((source, bytes)),
        }
    }

    /// The node that delivered most of its copy.
    fn main_source(&self) -> Option<Node> {
        self.sources.iter().max_by_key(|(n, b)| (*b, std::cmp::Reverse(*n))).map(|(n, _)| *n)
    }
}

impl SatState {
    fn holds(&self, chunk: u32) -> bool {
        bit(&self.held, chunk)
    }

    /// The first release it may receive and has not completed, or whose copy is damaged.
    fn pending(&self) -> Option<usize> {
        self.releases.iter().position(|h| h.eligible && !h.whole())
    }
}

/// A release as the model sends it: its chunks start on a word of the satellites' chunk
/// bitsets, so that they form a bitset of their own, numbered from `first_chunk`.
struct Segment<'a> {
    artifact: &'a spec::Model,
    words: std::ops::Range<usize>,
    first_chunk: u32,
    released: UtcTime,
    base: Option<usize>,
    /// Releases built on this one.
    dependents: Vec<usize>,
    /// On-board time after decompression: applying it, then restarting on it.
    apply_ns: i64,
    restart_ns: i64,
}

/// An antenna serving a satellite.
#[derive(Clone, Copy)]
struct Running {
    session: usize,
    contact: u32,
    next_t: UtcTime,
    /// The current slice ends where another contact starts: reconsider then.
    decide: bool,
}

/// One direction of an active inter-satellite link.
#[derive(Default, Clone)]
struct Flow {
    /// The batch in flight and when the link is next free.
    batch: Vec<u32>,
    busy: bool,
    next_t: i64,
    /// Where the strategy's next search for chunks starts (a word of the chunk bitsets);
    /// it moves on when a batch goes out.
    cursor: usize,
    /// The chunks this direction could carry (held by the sender, neither held nor on the
    /// way at the receiver), kept up to date as chunks arrive if the strategy reads them,
    /// so a batch is found without scanning the file.
    offers: ChunkSet,
}

/// What a ground slice ended with.
#[derive(PartialEq)]
enum SliceEnd {
    Complete,
    ContactOver,
    /// Another contact starts at this station: reconsider.
    Decision,
    /// Only the look-ahead horizon: carry on.
    Horizon,
    /// The ground has nothing left to send this satellite: every chunk it lacks is on its
    /// way over an inter-satellite link. The antenna is free for others.
    NothingToSend,
}

/// What the rollout reads from the scenario.
#[derive(Debug, Clone, Copy)]
pub struct RolloutInputs<'a> {
    pub start: UtcTime,
    pub end: UtcTime,
    /// Seed of the chunk-loss streams.
    pub seed: u64,
    /// Whether each satellite of the fleet receives the upload.
    pub targets: &'a [bool],
    /// Antennas at each ground station of the plan.
    pub antennas: &'a [u32],
    pub uplink: &'a LinkParams,
    pub model: &'a spec::Model,
    /// The releases after the model.
    pub releases: &'a [spec::Release],
    pub upload: &'a UploadConfig,
    pub onboard: &'a Onboard,
    pub rollout: &'a RolloutSpec,
    /// Chunks can be corrupted on board ([`Rollout::corrupt`]): the rollout then stays on
    /// to repair them until the window ends.
    pub repairs: bool,
    /// The model is on board of every target from the start (`[inference] preinstalled`):
    /// only the releases are sent.
    pub preinstalled: bool,
    /// When satellites and antennas are down (the plan's contacts are already cut by them).
    pub outages: &'a Outages,
}

/// The rollout as a simulation that can be fed its contact plan piece by piece: add the
/// contacts of a span, run up to the end of that span, and so on. Contacts of a later
/// addition must not start before those of an earlier one.
pub struct Rollout<'a> {
    model: Box<dyn Driven + 'a>,
    sim: Simulation<Event>,
    /// The releases after the model (what a deployment retires or interrupts).
    releases: &'a [spec::Release],
    /// The versions each satellite runs, as a bit set (version k: bit k).
    running: Vec<u64>,
    /// Every change announced so far.
    version_log: Vec<VersionChange>,
    /// Contacts of other kinds (e.g. downlinks), kept only to hand back with the rest.
    others: Vec<Contact>,
    outages: &'a Outages,
    /// How long a satellite takes to run its versions again after a failure (the model's
    /// restart time).
    reboot_ns: i64,
    /// When the last release comes out (the window's start without releases).
    last_release: UtcTime,
}

impl<'a> Rollout<'a> {
    pub fn new(inputs: RolloutInputs<'a>) -> Self {
        let mut sim = Simulation::new(inputs.start);
        for (k, release) in inputs.releases.iter().enumerate() {
            sim.schedule_at(inputs.start.plus_nanos(release.after_ns), Event::Released(k as u16 + 1))
                .expect("releases come within the window, after its start");
        }
        // Outages come within the window, after its start.
        for sat in (0..inputs.targets.len() as u32).filter(|&s| inputs.targets[s as usize]) {
            for &(down, _) in inputs.outages.satellite_periods(sat) {
                sim.schedule_at(down, Event::SatelliteFails(sat)).expect("outages lie in the window");
            }
        }
        for (station, &antennas) in inputs.antennas.iter().enumerate() {
            for antenna in 0..antennas {
                for &(_, up) in inputs.outages.antenna_periods(station as u32, antenna) {
                    if up < inputs.end {
                        sim.schedule_at(up, Event::AntennaUp(station as u32)).expect("outages lie in the window");
                    }
                }
            }
        }
        Rollout {
            model: model_for(inputs),
            sim,
            releases: inputs.releases,
            running: vec![0; inputs.targets.len()],
            version_log: Vec::new(),
            others: Vec::new(),
            outages: inputs.outages,
            reboot_ns: inputs.onboard.deploy_time_ns,
            last_release: inputs.start.plus_nanos(inputs.releases.iter().map(|r| r.after_ns).max().unwrap_or(0)),
        }
    }

    /// Whether the rollout is sure to go on past `t`: it stays on to the window's end, or
    /// a release comes out after `t`.
    pub fn runs_past(&self, t: UtcTime) -> bool {
        self.model.stays_on() || self.last_release > t
    }

    /// Adds contacts (already sorted by start, all starting no earlier than any added
    /// before). Uplinks feed the ground upload; inter-satellite contacts the relay or swarm.
    pub fn add_contacts(&mut self, contacts: Vec<Contact>) -> Result<(), ScheduleError> {
        self.model.add_contacts(contacts, &mut self.others);
        self.model.resume_chains(&mut self.sim)
    }

    /// Whether every target runs the model and nothing later can change the outcome (with
    /// repairs or failures, something always can).
    pub fn done(&self) -> bool {
        self.model.remaining_targets() == 0 && !self.model.stays_on()
    }

    /// The outcome, and every contact that was added (in the order of the plan).
    pub fn finish(self) -> (UploadOutcome, Vec<Contact>) {
        let events = self.sim.processed();
        let now = self.sim.now();
        let (mut outcome, ground, isl) = self.model.finish(now);
        outcome.events = events;
        outcome.version_log = self.version_log;
        // In place: a month's plan of a large fleet is millions of contacts, and a copy of it
        // (or a merge sort's buffer) would be the run's peak. The keys are unique (a link
        // between two nodes holds one contact at a time), so the order is the stable one.
        let mut contacts = ground;
        contacts.reserve_exact(isl.len() + self.others.len());
        contacts.extend(isl);
        contacts.extend(self.others);
        contacts.sort_unstable_by_key(|c| (c.start, c.kind, c.link, c.from, c.to));
        (outcome, contacts)
    }
}

/// The model for the scenario's protocol and strategy. Each pairing is compiled on its own,
/// so the per-chunk calls into them are static.
fn model_for<'a>(inputs: RolloutInputs<'a>) -> Box<dyn Driven + 'a> {
    let upload = inputs.upload;
    let chunks = std::iter::once(inputs.model).chain(inputs.releases.iter().map(|r| &r.artifact)).map(|m| m.chunks);
    match upload.protocol {
        Protocol::Cfdp => with_strategy(inputs, chunks.map(|c| Cfdp::new(c, upload.nak_round_trip_ns)).collect()),
        Protocol::Fountain => with_strategy(
            inputs,
            chunks.map(|c| Fountain::new(c, upload.fountain_overhead, upload.nak_round_trip_ns)).collect(),
        ),
    }
}

/// `protocols`: one per release, the model first.
fn with_strategy<'a, P: TransferProtocol + 'a>(inputs: RolloutInputs<'a>, protocols: Vec<P>) -> Box<dyn Driven + 'a> {
    match inputs.rollout.strategy {
        RolloutStrategy::GroundOnly => Box::new(Model::new(inputs, protocols, GroundOnly)),
        RolloutStrategy::Relay => Box::new(Model::new(inputs, protocols, Relay)),
        RolloutStrategy::Swarm => Box::new(Model::new(inputs, protocols, Swarm)),
    }
}

/// The model as a [`Rollout`] drives it, whatever its protocol and strategy.
trait Driven {
    fn add_contacts(&mut self, contacts: Vec<Contact>, others: &mut Vec<Contact>);
    fn resume_chains(&mut self, sim: &mut Simulation<Event>) -> Result<(), ScheduleError>;
    fn handle(&mut self, sim: &mut Simulation<Event>, now: UtcTime, ev: Event) -> Result<(), ScheduleError>;
    fn remaining_targets(&self) -> usize;
    /// Deployments (when, satellite, release) not yet announced to the other models.
    fn deployments(&mut self) -> &mut Vec<(UtcTime, u32, u16)>;
    /// Whether every target is verified: the rollout stopped there.
    fn ended(&self) -> bool;
    /// Whether it stays on the engine to the window's end: it repairs corrupted chunks, or
    /// targets fail (and must stop, reboot, or receive again what a failure wiped).
    fn stays_on(&self) -> bool;
    /// Failures not yet announced to the other models.
    fn failures(&mut self) -> &mut Vec<Failure>;
    /// `sat`'s copy of chunk `chunk` (from 0 within the release) of `release` is corrupted:
    /// it is wanted again from the ground and from neighbours holding it.
    fn corrupt(
        &mut self,
        sim: &mut Simulation<Event>,
        now: UtcTime,
        sat: u32,
        release: usize,
        chunk: u32,
    ) -> Result<(), ScheduleError>;
    /// Repairs not yet announced to the other models.
    fn repairs(&mut self) -> &mut Vec<Repair>;
    fn finish(self: Box<Self>, now: UtcTime) -> (UploadOutcome, Vec<Contact>, Vec<Contact>);
}

struct Model<'a, P: TransferProtocol, S: Strategy> {
    scenario: RolloutInputs<'a>,
    /// The releases (the model first) and the protocol sending each.
    segments: Vec<Segment<'a>>,
    protocols: Vec<P>,
    strategy: S,
    /// Uplink and inter-satellite contacts added so far, in start order.
    ground: Vec<Contact>,
    isl: Vec<Contact>,
    /// Index of the next contact whose start is not yet scheduled (the start events form a
    /// chain through each list), and whether the chain is waiting for more contacts.
    next_ground: usize,
    next_isl: usize,
    ground_chain_idle: bool,
    isl_chain_idle: bool,
    /// Ground contact start times per station, sorted: where scheduling decisions change.
    starts_at_station: Vec<Vec<UtcTime>>,
    sats: Vec<SatState>,
    /// The protocol's sender state per satellite and release.
    senders: Vec<Vec<P::Sender>>,
    /// How many satellites hold each chunk: what "rarest" means.
    holders: Vec<u32>,
    candidates: Vec<Vec<u32>>,
    antennas: Vec<Vec<Option<Running>>>,
    flows: HashMap<u32, [Flow; 2]>,
    /// Chunks a satellite has just gained (ground slice or batch), for waking its idle links.
    fresh: Vec<u32>,
    sessions: Vec<Session>,
    transfers: Vec<IslTransfer>,
    isl_bytes: u64,
    /// Payload per release of the batch being delivered (scratch).
    batch_payload: Vec<u64>,
    /// Releases targets have yet to complete, summed over the targets.
    remaining_targets: usize,
    setup_ns: i64,
    words: usize,
    /// Deployments (when, satellite, release) not yet announced to the other models.
    deployments: Vec<(UtcTime, u32, u16)>,
    /// Repairs not yet announced to the other models.
    repairs: Vec<Repair>,
    /// Every target is verified: the rollout stopped there, and its outcome is read as of
    /// that instant.
    ended: bool,
    /// See [`Driven::stays_on`].
    stays_on: bool,
    /// Failures not yet announced to the other models.
    failures: Vec<Failure>,
}

impl<'a, P: TransferProtocol, S: Strategy> Model<'a, P, S> {
    fn new(scenario: RolloutInputs<'a>, protocols: Vec<P>, strategy: S) -> Self {
        let mut segments: Vec<Segment> = Vec::with_capacity(1 + scenario.releases.len());
        let mut first_word = 0;
        for (k, artifact) in
            std::iter::once(scenario.model).chain(scenario.releases.iter().map(|r| &r.artifact)).enumerate()
        {
            let words = (artifact.chunks as usize).div_ceil(64);
            let release = k.checked_sub(1).map(|i| &scenario.releases[i]);
            segments.push(Segment {
                artifact,
                words: first_word..first_word + words,
                first_chunk: (first_word * 64) as u32,
                released: scenario.start.plus_nanos(release.map_or(0, |r| r.after_ns)),
                base: release.and_then(|r| r.base),
                dependents: Vec::new(),
                apply_ns: release.map_or(0, |r| r.apply_ns),
                restart_ns: release.map_or(scenario.onboard.deploy_time_ns, |r| r.restart_ns),
            });
            first_word += words;
        }
        for k in 0..segments.len() {
            if let Some(base) = segments[k].base {
                segments[base].dependents.push(k);
            }
        }
        let words = first_word;
        let sats = (0..scenario.targets.len())
            .map(|i| {
                let target = scenario.targets[i];
                let mut wanted = vec![0; words];
                if target {
                    wanted[segments[0].words.clone()].fill(u64::MAX);
                }
                let releases = (0..segments.len())
                    .map(|k| Holding {
                        received: 0,
                        damaged: 0,
                        eligible: target && k == 0,
                        running: false,
                        contacts_used: Vec::new(),
                        stations_used: Vec::new(),
                        sources: Vec::new(),
                        // The model's stream is the satellite's; a release's is its own.
                        loss: ChunkLoss::new(&scenario.upload.loss, scenario.seed, i as u64 | (k as u64) << 32),
                        result: SatelliteUpload { target, ..Default::default() },
                    })
                    .collect();
                SatState {
                    held: vec![0; words],
                    incoming: vec![0; words],
                    damaged: vec![0; words],
                    wanted,
                    verified_words: Vec::new(),
                    outstanding: if target { segments.len() as u32 } else { 0 },
                    releases,
                    receivers_busy: 0,
                    incoming_links: 0,
                    last_session_end: i64::MIN,
                    last_served: None,
                    ground_active: Vec::new(),
                    isl_active: Vec::new(),
                }
            })
            .collect();
        let seconds_to_ns = |s: f64| (s * NANOS_PER_SECOND as f64).round() as i64;
        let targets = scenario.targets.iter().filter(|&&t| t).count();
        let mut model = Model {
            scenario,
            senders: (0..scenario.targets.len()).map(|_| protocols.iter().map(|p| p.sender()).collect()).collect(),
            protocols,
            segments,
            strategy,
            ground: Vec::new(),
            isl: Vec::new(),
            next_ground: 0,
            next_isl: 0,
            ground_chain_idle: true,
            isl_chain_idle: true,
            starts_at_station: vec![Vec::new(); scenario.antennas.len()],
            sats,
            holders: vec![0; words * 64],
            candidates: vec![Vec::new(); scenario.antennas.len()],
            antennas: scenario.antennas.iter().map(|&n| vec![None; n as usize]).collect(),
            flows: HashMap::new(),
            fresh: Vec::new(),
            sessions: Vec::new(),
            transfers: Vec::new(),
            isl_bytes: 0,
            batch_payload: vec![0; 1 + scenario.releases.len()],
            remaining_targets: targets * (1 + scenario.releases.len()),
            setup_ns: seconds_to_ns(scenario.uplink.setup_time_s),
            words,
            deployments: Vec::new(),
            repairs: Vec::new(),
            ended: false,
            stays_on: scenario.repairs
                || (0..scenario.targets.len() as u32)
                    .any(|s| scenario.targets[s as usize] && !scenario.outages.satellite_periods(s).is_empty()),
            failures: Vec::new(),
        };
        if scenario.preinstalled {
            model.preinstall();
        }
        model
    }

    /// Every target holds and runs the model from the start: only the releases are sent.
    fn preinstall(&mut self) {
        let start = self.scenario.start;
        let (model, words) = (self.segments[0].artifact, self.segments[0].words.clone());
        for sat in 0..self.sats.len() {
            let s = &mut self.sats[sat];
            if !s.releases[0].result.target {
                continue;
            }
            for chunk in self.segments[0].first_chunk..self.segments[0].first_chunk + model.chunks {
                set_bit(&mut s.held, chunk);
                self.holders[chunk as usize] += 1;
            }
            s.verified_words.push(words.clone());
            s.outstanding -= 1;
            self.remaining_targets -= 1;
            let holding = &mut s.releases[0];
            holding.received = model.chunks;
            holding.running = true;
            let r = &mut holding.result;
            r.chunks_received = model.chunks;
            (r.last_chunk, r.stored, r.verified, r.decompressed, r.deployed) =
                (Some(start), Some(start), Some(start), Some(start), Some(start));
            self.deployments.push((start, sat as u32, 0));
        }
    }

    /// Whether `sat` may receive something now.
    fn wants(&self, sat: u32) -> bool {
        self.sats[sat as usize].pending().is_some()
    }

    /// The release chunk `chunk` belongs to.
    fn release_of(&self, chunk: u32) -> usize {
        match self.segments.len() {
            1 => 0,
            _ => self.segments.iter().rposition(|s| s.first_chunk <= chunk).expect("chunks start at 0"),
        }
    }

    /// Payload bytes of chunk `chunk` (of any release).
    fn payload_of(&self, chunk: u32) -> u64 {
        let segment = &self.segments[self.release_of(chunk)];
        segment.artifact.payload_of(chunk - segment.first_chunk)
    }

    /// `sat` holds again its damaged chunk `chunk` (of any release), brought from `from`
    /// with `bytes` on that link.
    fn repaired(&mut self, sat: u32, chunk: u32, at: UtcTime, from: Node, bytes: u64) {
        let release = self.release_of(chunk);
        let first_chunk = self.segments[release].first_chunk;
        let s = &mut self.sats[sat as usize];
        clear_bit(&mut s.damaged, chunk);
        s.releases[release].damaged -= 1;
        if !bit(&s.held, chunk) {
            set_bit(&mut s.held, chunk);
            self.holders[chunk as usize] += 1;
            self.fresh.push(chunk);
        }
        let (satellite, release, chunk) = (sat, release as u16, chunk - first_chunk);
        self.repairs.push(Repair { at, satellite, release, chunk, from, bytes });
    }

    /// `sat` may now receive release `k` (released, and its base runs on board): its
    /// chunks become wanted, the links to it offer them, and the ground contacts in
    /// progress reconsider it.
    fn make_eligible(
        &mut self,
        sim: &mut Simulation<Event>,
        now: UtcTime,
        sat: u32,
        k: usize,
    ) -> Result<(), ScheduleError> {
        let s = &mut self.sats[sat as usize];
        if !s.releases[k].result.target || s.releases[k].eligible {
            return Ok(());
        }
        s.releases[k].eligible = true;
        let words = self.segments[k].words.clone();
        s.wanted[words.clone()].fill(u64::MAX);
        let links = s.isl_active.clone();
        for &index in &links {
            let (a, b) = ends(&self.isl[index as usize]);
            let (toward, other) = if b == sat { (0, a) } else { (1, b) };
            if S::READS_OFFERS
                && let Some(flow) = self.flows.get_mut(&index)
            {
                let (from, to) = (&self.sats[other as usize], &self.sats[sat as usize]);
                for w in words.clone() {
                    let mut bits = passable(&from.held, &to.held, &to.incoming, &to.wanted, w);
                    while bits != 0 {
                        flow[toward].offers.insert(w as u32 * 64 + bits.trailing_zeros());
                        bits &= bits - 1;
                    }
                }
            }
            self.start_flow(sim, now, index, toward == 1)?;
        }
        let stations: Vec<u32> =
            self.sats[sat as usize].ground_active.iter().map(|&c| station_of(&self.ground[c as usize])).collect();
        for station in stations {
            self.assign(sim, now, station)?;
        }
        Ok(())
    }

    /// `sat` loses everything on board: what it completed, verified, runs or had half
    /// received. It wants the model again, and the released releases that need no base.
    fn wipe(&mut self, now: UtcTime, sat: u32) {
        let Model { sats, holders, segments, senders, protocols, remaining_targets, .. } = self;
        let s = &mut sats[sat as usize];
        // It is down and its contacts are cut: no link is bringing it anything.
        debug_assert!(s.incoming.iter().all(|&w| w == 0));
        for (w, word) in s.held.iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                holders[w * 64 + bits.trailing_zeros() as usize] -= 1;
                bits &= bits - 1;
            }
            *word = 0;
        }
        s.damaged.fill(0);
        s.wanted.fill(0);
        s.verified_words.clear();
        for (k, holding) in s.releases.iter_mut().enumerate() {
            if !holding.result.target {
                continue;
            }
            if holding.complete() {
                s.outstanding += 1;
                *remaining_targets += 1;
            }
            let segment = &segments[k];
            holding.received = 0;
            holding.damaged = 0;
            holding.running = false;
            holding.eligible = segment.base.is_none() && segment.released <= now;
            if holding.eligible {
                s.wanted[segment.words.clone()].fill(u64::MAX);
            }
            let r = &mut holding.result;
            (r.last_chunk, r.stored, r.verified, r.decompressed, r.deployed) = (None, None, None, None, None);
            r.chunks_received = 0;
            senders[sat as usize][k] = protocols[k].sender();
        }
    }

    // ----- ground -----------------------------------------------------------------------

    fn on_slice(
        &mut self,
        sim: &mut Simulation<Event>,
        now: UtcTime,
        station: u32,
        antenna: u32,
    ) -> Result<(), ScheduleError> {
        let Some(running) = self.antennas[station as usize][antenna as usize] else {
            return Ok(());
        };
        let c = self.ground[running.contact as usize].clone();
        let sat = sat_of(&c);
        let release = self.sessions[running.session].release as usize;
        let release_done = self.sats[sat as usize].releases[release].whole();
        let contact_over = running.next_t >= c.end.min(self.scenario.end);
        let antenna_fails = self.in_service_until(station, antenna, now).is_none_or(|u| running.next_t >= u);
        let over = release_done || self.ground_has_nothing_for(sat, release) || contact_over || antenna_fails;
        if !over && (!running.decide || self.pick(now, station, Some(running.contact)) == Some(running.contact)) {
            return self.advance(sim, now, station, antenna);
        }
        self.free_antenna(now, station, antenna);
        // A satellite done with one release may go on with the next in the same contact,
        // and one whose antenna fails with another antenna.
        if !over || (!contact_over && (release_done || antenna_fails) && self.wants(sat)) {
            self.candidates[station as usize].push(running.contact);
        }
        let others: Vec<u32> =
            self.sats[sat as usize].ground_active.iter().map(|&k| station_of(&self.ground[k as usize])).collect();
        self.assign(sim, now, station)?;
        for other in others {
            if other != station {
                self.assign(sim, now, other)?;
            }
        }
        Ok(())
    }

    /// Until when antenna `antenna` of `station` stays in service from `now`: a
    /// nanosecond before its next outage (so nothing it sends lands in it), or the window's
    /// end; `None` if it is out of service.
    fn in_service_until(&self, station: u32, antenna: u32, now: UtcTime) -> Option<UtcTime> {
        let periods = self.scenario.outages.antenna_periods(station, antenna);
        match periods.get(periods.partition_point(|p| p.1 <= now)) {
            None => Some(self.scenario.end),
            Some(&(down, _)) if down <= now.plus_nanos(1) => None,
            Some(&(down, _)) => Some(down.plus_nanos(-1)),
        }
    }

    /// Gives every free antenna of `station` in service to the best waiting satellite.
    fn assign(&mut self, sim: &mut Simulation<Event>, now: UtcTime, station: u32) -> Result<(), ScheduleError> {
        loop {
            let free = |a: &u32| {
                self.antennas[station as usize][*a as usize].is_none()
                    && self.in_service_until(station, *a, now).is_some()
            };
            let Some(antenna) = (0..self.antennas[station as usize].len() as u32).find(free) else {
                return Ok(());
            };
            let antenna = antenna as usize;
            let Some(index) = self.pick(now, station, None) else {
                return Ok(());
            };
            self.candidates[station as usize].retain(|&k| k != index);
            let c = self.ground[index as usize].clone();
            let sat = sat_of(&c);
            let state = &mut self.sats[sat as usize];
            let release = state.pending().expect("only satellites with a pending release are picked");
            state.receivers_busy += 1;
            state.last_served = Some(now.unix_nanos());
            let start = if now > c.start { now.plus_nanos(self.setup_ns) } else { c.start };
            self.protocols[release].session_starts(
                &mut self.senders[sat as usize][release],
                start.unix_nanos(),
                state.last_session_end,
            );
            self.sessions.push(Session {
                satellite: sat,
                station,
                release: release as u16,
                contact: index,
                start: now,
                end: now,
                bytes_sent: 0,
                new_bytes_delivered: 0,
                retransmitted_bytes: 0,
                chunks_complete_after: state.releases[release].received,
            });
            self.antennas[station as usize][antenna] =
                Some(Running { session: self.sessions.len() - 1, contact: index, next_t: start, decide: false });
            self.advance(sim, now, station, antenna as u32)?;
        }
    }

    /// The contact the policy prefers among those waiting at `station` (plus `current`,
    /// the one the antenna is serving, which wins ties: staying avoids a new acquisition).
    fn pick(&self, now: UtcTime, station: u32, current: Option<u32>) -> Option<u32> {
        let usable = |k: &u32| {
            let c = &self.ground[*k as usize];
            let s = &self.sats[sat_of(c) as usize];
            let free = Some(*k) == current || s.receivers_busy < self.scenario.upload.receivers;
            s.pending().is_some_and(|release| {
                free && c.end.unix_nanos() > now.unix_nanos() + self.setup_ns
                    && !self.ground_has_nothing_for(sat_of(c), release)
            })
        };
        let waiting = |k: u32| {
            let c = &self.ground[k as usize];
            let s = &self.sats[sat_of(c) as usize];
            let release = s.pending().expect("usable contacts have a pending release");
            Waiting {
                contact: k,
                current: Some(k) == current,
                remaining_chunks: self.segments[release].artifact.chunks.saturating_sub(s.releases[release].received),
                contact_end: c.end,
                last_served: s.last_served,
            }
        };
        let candidates = self.candidates[station as usize].iter().chain(current.as_ref()).copied().filter(usable);
        schedule::choose(&self.scenario.upload.scheduling, candidates.map(waiting))
    }

    /// Transmits from the antenna's next instant up to the next decision point, the
    /// look-ahead horizon, the end of the contact or completion, and schedules the slice end.
    fn advance(
        &mut self,
        sim: &mut Simulation<Event>,
        now: UtcTime,
        station: u32,
        antenna: u32,
    ) -> Result<(), ScheduleError> {
        let running = self.antennas[station as usize][antenna as usize].expect("a running antenna");
        let starts = &self.starts_at_station[station as usize];
        let decision = starts.get(starts.partition_point(|&t| t <= now)).copied().unwrap_or(self.scenario.end);
        let horizon = running.next_t.max(now).plus_seconds(MAX_SLICE_S);
        let in_service = self.in_service_until(station, antenna, now).unwrap_or(now);
        let (end, reason) = self.transmit(running.session, running.next_t, decision.min(horizon), in_service);
        if let Some(r) = self.antennas[station as usize][antenna as usize].as_mut() {
            r.next_t = end;
            r.decide = reason == SliceEnd::Decision;
        }
        let (sat, release) = (self.sessions[running.session].satellite, self.sessions[running.session].release);
        self.track_fresh(sat, false);
        if reason == SliceEnd::Complete {
            self.complete(sim, sat, release as usize, end)?;
        }
        if self.strategy.passes_on(News::Gained) {
            self.wake(sim, now, sat)?;
        }
        let at = match reason {
            SliceEnd::Decision | SliceEnd::Horizon => end.max(decision.min(horizon)),
            _ => end,
        };
        sim.schedule_at(at.max(now), Event::Slice { station, antenna })?;
        Ok(())
    }

    /// Whether every chunk the satellite lacks is already on its way over an
    /// inter-satellite link, so no ground transmission can help it any more. The state is
    /// final: such chunks always arrive, and only ground sends add retransmissions. Without
    /// this test an antenna would keep re-serving the satellite at the same instant, with
    /// nothing to send, and the clock would never move.
    fn ground_has_nothing_for(&self, sat: u32, release: usize) -> bool {
        self.protocols[release].exhausted(&self.senders[sat as usize][release])
    }

    /// Sends chunks for `session` from `from`, starting none at or after `until`, and
    /// delivering none after `in_service` (when the antenna goes out of service).
    fn transmit(&mut self, session: usize, from: UtcTime, until: UtcTime, in_service: UtcTime) -> (UtcTime, SliceEnd) {
        let (contact, sat_index, station, release) = {
            let r = &self.sessions[session];
            (r.contact, r.satellite, r.station, r.release as usize)
        };
        let c = self.ground[contact as usize].clone();
        let segment = &self.segments[release];
        let (model, words, offset) = (segment.artifact, segment.words.clone(), segment.first_chunk);
        let protocol = &self.protocols[release];
        let upload = &self.scenario.upload;
        let contact_end = c.end.min(self.scenario.end).min(in_service);
        let packets = |bytes: u64| bytes.div_ceil(upload.packet_size);
        let needed = protocol.needed();
        let first_chunk = self.strategy.ground_start(sat_index, model.chunks);
        let source = Node::Station(station);
        // Damaged chunks received again: (chunk, when, bytes sent for it).
        let mut repaired = Vec::new();
        let mut t = from;
        let reason = loop {
            if t >= contact_end {
                break SliceEnd::ContactOver;
            }
            if t >= until {
                let starts = &self.starts_at_station[station as usize];
                break if starts.binary_search(&until).is_ok() { SliceEnd::Decision } else { SliceEnd::Horizon };
            }
            let sat = &self.sats[sat_index as usize];
            let sender = &mut self.senders[sat_index as usize][release];
            let (held, incoming) = (&sat.held[words.clone()], &sat.incoming[words.clone()]);
            let (unit, retransmission) = match protocol.next(sender, held, incoming, t.unix_nanos(), first_chunk) {
                Next::Send { unit, retransmission } => (unit, retransmission),
                Next::WaitUntil(eligible) => {
                    t = UtcTime::from_unix_nanos(eligible).min(contact_end);
                    continue;
                }
                Next::Nothing => break SliceEnd::NothingToSend,
            };
            let payload = match unit {
                Unit::Chunk(chunk) => model.payload_of(chunk),
                Unit::Symbol(_) => model.chunk_payload,
            };
            let size = payload + model.chunk_header;
            let record = &mut self.sessions[session];
            let sat = &mut self.sats[sat_index as usize];
            let Some(done) = c.profile.time_to_deliver(t, size).filter(|&d| d <= contact_end) else {
                // Cut by LOS: the partial chunk's bytes were sent for nothing.
                record.bytes_sent += c.profile.bytes_between(t, contact_end);
                t = contact_end;
                break SliceEnd::ContactOver;
            };
            let holding = &mut sat.releases[release];
            if holding.result.first_byte.is_none() {
                holding.result.first_byte = Some(t);
            }
            record.bytes_sent += size;
            if retransmission {
                record.retransmitted_bytes += size;
            }
            let sender = &mut self.senders[sat_index as usize][release];
            let arrived = protocol.sent(sender, unit, retransmission, done.unix_nanos(), |attempt| {
                holding.loss.lost(unit.id(), attempt, packets(size))
            });
            t = done;
            let new = match unit {
                _ if !arrived => false,
                Unit::Symbol(_) => true,
                Unit::Chunk(local) if sat.holds(offset + local) => false,
                Unit::Chunk(local) => {
                    let chunk = offset + local;
                    set_bit(&mut sat.held, chunk);
                    self.holders[chunk as usize] += 1;
                    self.fresh.push(chunk);
                    true
                }
            };
            let holding = &mut sat.releases[release];
            if new {
                holding.received += 1;
                record.new_bytes_delivered += payload;
                holding.result.ground_bytes_received += payload;
                holding.credit(source, payload);
            }
            let decoded = holding.received >= needed;
            if new && holding.damaged > 0 {
                let damaged = &sat.damaged;
                match unit {
                    Unit::Chunk(local) if bit(damaged, offset + local) => repaired.push((offset + local, done, size)),
                    Unit::Symbol(_) if decoded => repaired
                        .extend((offset..offset + model.chunks).filter(|&c| bit(damaged, c)).map(|c| (c, done, size))),
                    _ => {}
                }
            }
            if decoded {
                // The sender may learn of it only later, transmitting meanwhile.
                let stop = done.plus_nanos(protocol.overrun_ns()).min(contact_end);
                record.bytes_sent += c.profile.bytes_between(done, stop);
                t = stop;
                break SliceEnd::Complete;
            }
        };
        let record = &mut self.sessions[session];
        record.end = t;
        record.chunks_complete_after = self.sats[sat_index as usize].releases[release].received;
        for (chunk, at, bytes) in repaired {
            self.repaired(sat_index, chunk, at, source, bytes);
        }
        (t, reason)
    }

    /// Ends the session on an antenna and books its results to the satellite.
    fn free_antenna(&mut self, now: UtcTime, station: u32, antenna: u32) {
        let Some(running) = self.antennas[station as usize][antenna as usize].take() else {
            return;
        };
        let record = &mut self.sessions[running.session];
        // The antenna was held until now (setup and NAK waits included).
        record.end = now.max(record.start);
        let sat = &mut self.sats[record.satellite as usize];
        sat.receivers_busy -= 1;
        sat.last_session_end = now.unix_nanos();
        let holding = &mut sat.releases[record.release as usize];
        let r = &mut holding.result;
        if record.bytes_sent > 0 {
            if !holding.contacts_used.contains(&record.contact) {
                holding.contacts_used.push(record.contact);
                r.passes_used += 1;
            }
            if !holding.stations_used.contains(&station) {
                holding.stations_used.push(station);
                r.stations_used += 1;
            }
        }
        r.total_bytes_sent += record.bytes_sent;
        r.retransmitted_bytes += record.retransmitted_bytes;
    }

    // ----- completion -------------------------------------------------------------------

    /// A satellite holds the whole of a release at `last`: run the on-board pipeline.
    fn complete(
        &mut self,
        sim: &mut Simulation<Event>,
        sat: u32,
        release: usize,
        last: UtcTime,
    ) -> Result<(), ScheduleError> {
        let segment = &self.segments[release];
        let (model, offset) = (segment.artifact, segment.first_chunk);
        let onboard = self.scenario.onboard;
        let s = &mut self.sats[sat as usize];
        if s.releases[release].complete() {
            return Ok(());
        }
        // Every source chunk is held from now on (and can be relayed): a coded transfer
        // has just decoded; a chunked one holds them all already.
        let mut decoded = Vec::new();
        for c in offset..offset + model.chunks {
            if !bit(&s.held, c) {
                set_bit(&mut s.held, c);
                self.holders[c as usize] += 1;
                decoded.push(c);
            }
        }
        s.releases[release].received = model.chunks;
        for c in decoded {
            let was_incoming = bit(&self.sats[sat as usize].incoming, c);
            self.track_gain(sat, c, was_incoming);
        }
        let segment = &self.segments[release];
        let s = &mut self.sats[sat as usize];
        let seconds = |bytes: u64, rate: f64| ((bytes as f64 / rate) * NANOS_PER_SECOND as f64).round() as i64;
        let holding = &mut s.releases[release];
        let r = &mut holding.result;
        r.last_chunk = Some(last);
        r.chunks_received = holding.received;
        // Each step needs the satellite up throughout: one a failure interrupts starts over
        // when it is back.
        let outages = self.scenario.outages;
        let step = |from: UtcTime, ns: i64| outages.first_up_stretch(sat, from, ns).plus_nanos(ns);
        let stored = step(last, seconds(model.transfer_bytes, onboard.write_rate));
        let verified = step(stored, seconds(model.transfer_bytes, onboard.hash_rate));
        let decompressed = if model.size_bytes > model.transfer_bytes {
            step(verified, seconds(model.size_bytes, onboard.decompress_rate))
        } else {
            verified
        };
        let deployed = step(decompressed, segment.apply_ns + segment.restart_ns);
        // A failure that wipes the satellite first ends the pipeline where it got to: it
        // receives the release again.
        let wipe = outages.wipe_within(sat, last, deployed);
        let before_wipe = |t: UtcTime| wipe.is_none_or(|w| t < w);
        r.stored = Some(stored).filter(|&t| before_wipe(t));
        r.verified = Some(verified).filter(|&t| before_wipe(t));
        r.decompressed = Some(decompressed).filter(|&t| before_wipe(t));
        r.deployed = Some(deployed).filter(|&t| before_wipe(t));
        if before_wipe(deployed) {
            self.deployments.push((deployed, sat, release as u16));
        }
        let main_source = holding.main_source();
        let r = &mut holding.result;
        r.received_from = main_source;
        if r.target {
            self.remaining_targets -= 1;
            s.outstanding -= 1;
        }
        let now = sim.now();
        if before_wipe(verified) {
            sim.schedule_at(verified.max(now), Event::Verified { sat, release: release as u16 })?;
        }
        // Only a release others build on needs its deployment on this clock.
        if !segment.dependents.is_empty() && before_wipe(deployed) {
            sim.schedule_at(deployed.max(now), Event::Deployed { sat, release: release as u16 })?;
        }
        Ok(())
    }

    // ----- inter-satellite links ----------------------------------------------------------

    /// Starts a batch on one direction of an inter-satellite link if the strategy has
    /// something to send over it.
    fn start_flow(
        &mut self,
        sim: &mut Simulation<Event>,
        now: UtcTime,
        index: u32,
        reverse: bool,
    ) -> Result<(), ScheduleError> {
        let Some(flow) = self.flows.get(&index) else {
            return Ok(());
        };
        let flow = &flow[reverse as usize];
        if flow.busy {
            return Ok(());
        }
        let c = self.isl[index as usize].clone();
        let (a, b) = ends(&c);
        let (from, to) = if reverse { (b, a) } else { (a, b) };
        let contact_end = c.end.min(self.scenario.end);
        if now >= contact_end || !self.wants(to) {
            return Ok(());
        }
        let (sender, receiver) = (&self.sats[from as usize], &self.sats[to as usize]);
        let limit = self.scenario.rollout.batch_chunks as usize;
        let direction = Direction {
            sender_held: &sender.held,
            sender_verified: &sender.verified_words,
            receiver_held: &receiver.held,
            receiver_incoming: &receiver.incoming,
            receiver_wanted: &receiver.wanted,
            receiver_links_in: receiver.incoming_links,
            offers: &flow.offers,
            cursor: flow.cursor,
            holders: &self.holders,
            limit,
        };
        let mut batch: Vec<u32> = Vec::with_capacity(limit);
        let cursor = self.strategy.choose(&direction, &mut batch);
        if batch.is_empty() {
            return Ok(());
        }
        // The profile carries the acquisition time (zero rate) where the link forms.
        let t0 = now;
        let header = self.scenario.model.chunk_header;
        let mut bytes = 0;
        let mut fits = 0;
        let mut done = t0;
        for &chunk in &batch {
            let next = bytes + self.payload_of(chunk) + header;
            match c.profile.time_to_deliver(t0, next).filter(|&d| d <= contact_end) {
                Some(d) => {
                    bytes = next;
                    fits += 1;
                    done = d;
                }
                None => break,
            }
        }
        batch.truncate(fits);
        if batch.is_empty() {
            return Ok(());
        }
        debug_assert!(
            batch.iter().all(|&chunk| self.sats[from as usize].holds(chunk)),
            "only held chunks are forwarded"
        );
        let receiver = &mut self.sats[to as usize];
        for &chunk in &batch {
            set_bit(&mut receiver.incoming, chunk);
        }
        receiver.incoming_links += 1;
        if S::READS_OFFERS {
            for &chunk in &batch {
                self.track_incoming(to, chunk);
            }
        }
        self.isl_bytes += bytes;
        self.transfers.push(IslTransfer {
            contact: index,
            from,
            to,
            start: t0,
            end: done,
            chunks: batch.len() as u32,
            bytes,
        });
        let flow = &mut self.flows.get_mut(&index).expect("flow exists")[reverse as usize];
        flow.batch = batch;
        flow.cursor = cursor;
        flow.busy = true;
        flow.next_t = done.unix_nanos();
        sim.schedule_at(done.max(now), Event::Batch { contact: index, reverse })?;
        Ok(())
    }

    fn on_batch(
        &mut self,
        sim: &mut Simulation<Event>,
        now: UtcTime,
        index: u32,
        reverse: bool,
    ) -> Result<(), ScheduleError> {
        let c = self.isl[index as usize].clone();
        let (a, b) = ends(&c);
        let (from, to) = if reverse { (b, a) } else { (a, b) };
        let batch = {
            let flow = &mut self.flows.get_mut(&index).expect("flow exists")[reverse as usize];
            flow.busy = false;
            std::mem::take(&mut flow.batch)
        };
        // Payload new to the receiver per release, and the releases the batch carried
        // chunks of (a swarm's batch may mix them) as a bit set.
        let mut payload = std::mem::take(&mut self.batch_payload);
        payload.fill(0);
        let mut carried = 0u64;
        for &chunk in &batch {
            let release = self.release_of(chunk);
            carried |= 1 << release;
            let size = self.payload_of(chunk);
            let receiver = &mut self.sats[to as usize];
            clear_bit(&mut receiver.incoming, chunk);
            if !bit(&receiver.held, chunk) {
                set_bit(&mut receiver.held, chunk);
                receiver.releases[release].received += 1;
                self.holders[chunk as usize] += 1;
                payload[release] += size;
                self.fresh.push(chunk);
                if bit(&receiver.damaged, chunk) {
                    let header = self.segments[release].artifact.chunk_header;
                    self.repaired(to, chunk, now, Node::Satellite(from), size + header);
                }
            }
        }
        self.sats[to as usize].incoming_links -= 1;
        self.track_fresh(to, true);
        for (release, &bytes) in payload.iter().enumerate() {
            if carried & (1 << release) == 0 {
                continue;
            }
            let holding = &mut self.sats[to as usize].releases[release];
            holding.result.isl_bytes_received += bytes;
            holding.credit(Node::Satellite(from), bytes);
            if holding.result.first_byte.is_none() {
                holding.result.first_byte = Some(now);
            }
            if holding.received >= self.segments[release].artifact.chunks {
                self.complete(sim, to, release, now)?;
            }
        }
        self.batch_payload = payload;
        let ended = now >= c.end.min(self.scenario.end);
        if ended {
            if self.flows.get(&index).is_some_and(|f| !f[0].busy && !f[1].busy) {
                self.flows.remove(&index);
            }
        } else {
            self.start_flow(sim, now, index, reverse)?;
        }
        // New chunks at the receiver: it may now have something for others.
        if self.strategy.passes_on(News::Gained) {
            self.wake(sim, now, to)?;
        }
        Ok(())
    }

    /// Starts what `sat` can now send over its idle links. Where the strategy reads offers,
    /// only links with some are searched: searching every idle link on every arrival would
    /// cost a scan of the whole file each time.
    fn wake(&mut self, sim: &mut Simulation<Event>, now: UtcTime, sat: u32) -> Result<(), ScheduleError> {
        let links = self.sats[sat as usize].isl_active.clone();
        for index in links {
            let reverse = ends(&self.isl[index as usize]).1 == sat;
            let ready = self.flows.get(&index).is_some_and(|f| {
                let flow = &f[reverse as usize];
                !flow.busy && (!S::READS_OFFERS || flow.offers.count > 0)
            });
            if ready {
                self.start_flow(sim, now, index, reverse)?;
            }
        }
        Ok(())
    }

    /// Books the chunks `sat` just gained (`self.fresh`, emptied) to the offers of its
    /// links; `from_isl`: they arrived over a link, so were already on their way.
    fn track_fresh(&mut self, sat: u32, from_isl: bool) {
        let mut fresh = std::mem::take(&mut self.fresh);
        for &chunk in &fresh {
            let was_incoming = from_isl || bit(&self.sats[sat as usize].incoming, chunk);
            self.track_gain(sat, chunk, was_incoming);
        }
        fresh.clear();
        self.fresh = fresh;
    }

    /// `sat` now holds `chunk`. Its links may offer it on, and links towards it no longer
    /// need to (unless it was already on its way, which withdrew it then).
    fn track_gain(&mut self, sat: u32, chunk: u32, was_incoming: bool) {
        if !S::READS_OFFERS {
            return;
        }
        for &index in &self.sats[sat as usize].isl_active {
            let (a, b) = ends(&self.isl[index as usize]);
            let (outgoing, other) = if a == sat { (0, b) } else { (1, a) };
            let Some(flow) = self.flows.get_mut(&index) else { continue };
            let o = &self.sats[other as usize];
            if !bit(&o.held, chunk) && !bit(&o.incoming, chunk) && bit(&o.wanted, chunk) {
                flow[outgoing].offers.insert(chunk);
            }
            if !was_incoming {
                flow[1 - outgoing].offers.remove(chunk);
            }
        }
    }

    /// `chunk` is now on its way to `sat`: no other link needs to offer it.
    fn track_incoming(&mut self, sat: u32, chunk: u32) {
        for &index in &self.sats[sat as usize].isl_active {
            let incoming = (ends(&self.isl[index as usize]).0 == sat) as usize;
            if let Some(flow) = self.flows.get_mut(&index) {
                flow[incoming].offers.remove(chunk);
            }
        }
    }

    /// Appends an uplink contact (in start order).
    fn push_ground(&mut self, c: Contact) {
        if self.scenario.targets[sat_of(&c) as usize] {
            self.starts_at_station[station_of(&c) as usize].push(c.start);
        }
        self.ground.push(c);
    }
}

impl<P: TransferProtocol, S: Strategy> Driven for Model<'_, P, S> {
    fn add_contacts(&mut self, contacts: Vec<Contact>, others: &mut Vec<Contact>) {
        for c in contacts {
            match c.kind {
                ContactKind::Uplink => self.push_ground(c),
                ContactKind::InterSatellite if S::USES_LINKS => self.isl.push(c),
                _ => others.push(c),
            }
        }
    }

    /// Restarts the chains of contact-start events that ran out of contacts.
    fn resume_chains(&mut self, sim: &mut Simulation<Event>) -> Result<(), ScheduleError> {
        let now = sim.now();
        if self.ground_chain_idle
            && let Some(next) = self.ground.get(self.next_ground)
        {
            sim.schedule_at(next.start.max(now), Event::GroundStart(self.next_ground as u32))?;
            self.ground_chain_idle = false;
        }
        if self.isl_chain_idle
            && let Some(next) = self.isl.get(self.next_isl)
        {
            sim.schedule_at(next.start.max(now), Event::IslStart(self.next_isl as u32))?;
            self.isl_chain_idle = false;
        }
        Ok(())
    }

    fn handle(&mut self, sim: &mut Simulation<Event>, now: UtcTime, ev: Event) -> Result<(), ScheduleError> {
        match ev {
            Event::GroundStart(index) => {
                self.next_ground = index as usize + 1;
                match self.ground.get(self.next_ground) {
                    Some(next) => {
                        sim.schedule_at(next.start.max(now), Event::GroundStart(index + 1))?;
                    }
                    None => self.ground_chain_idle = true,
                }
                let c = &self.ground[index as usize];
                let (sat, station, end) = (sat_of(c), station_of(c), c.end);
                // A satellite waiting for a release to come out (or for its base) keeps
                // the contact in view: the release may be wanted before the contact ends.
                // With repairs or wipes any satellite may come to want chunks again during
                // a contact.
                if self.sats[sat as usize].outstanding == 0 && !self.stays_on {
                    return Ok(());
                }
                sim.schedule_at(end.max(now), Event::GroundEnd(index))?;
                self.candidates[station as usize].push(index);
                self.sats[sat as usize].ground_active.push(index);
                // A satellite that wants nothing yet changes no choice at the station
                // (when it comes to want something, its stations choose again): with many
                // satellites overhead this saves a scan of the waiting contacts per contact.
                if self.wants(sat) {
                    self.assign(sim, now, station)?;
                }
            }
            Event::GroundEnd(index) => {
                let c = &self.ground[index as usize];
                let (sat, station) = (sat_of(c), station_of(c));
                self.candidates[station as usize].retain(|&k| k != index);
                self.sats[sat as usize].ground_active.retain(|&k| k != index);
            }
            Event::Slice { station, antenna } => self.on_slice(sim, now, station, antenna)?,
            Event::IslStart(index) => {
                self.next_isl = index as usize + 1;
                match self.isl.get(self.next_isl) {
                    Some(next) => {
                        sim.schedule_at(next.start.max(now), Event::IslStart(index + 1))?;
                    }
                    None => self.isl_chain_idle = true,
                }
                let c = self.isl[index as usize].clone();
                let (a, b) = ends(&c);
                if !(self.scenario.targets[a as usize] && self.scenario.targets[b as usize]) {
                    return Ok(());
                }
                sim.schedule_at(c.end.max(now), Event::IslEnd(index))?;
                self.sats[a as usize].isl_active.push(index);
                self.sats[b as usize].isl_active.push(index);
                let cursor = self.strategy.link_start(index, self.words);
                let (sa, sb) = (&self.sats[a as usize], &self.sats[b as usize]);
                let offers = |from: &SatState, to: &SatState| {
                    if !S::READS_OFFERS {
                        return ChunkSet::default();
                    }
                    ChunkSet::from_words(
                        (0..self.words).map(|w| passable(&from.held, &to.held, &to.incoming, &to.wanted, w)).collect(),
                    )
                };
                let flows = [(sa, sb), (sb, sa)].map(|(from, to)| Flow {
                    cursor,
                    offers: offers(from, to),
                    ..Default::default()
                });
                self.flows.insert(index, flows);
                self.start_flow(sim, now, index, false)?;
                self.start_flow(sim, now, index, true)?;
            }
            Event::IslEnd(index) => {
                let (a, b) = ends(&self.isl[index as usize]);
                self.sats[a as usize].isl_active.retain(|&k| k != index);
                self.sats[b as usize].isl_active.retain(|&k| k != index);
                // A batch in flight ends no later than the contact and still arrives.
                if self.flows.get(&index).is_some_and(|f| !f[0].busy && !f[1].busy) {
                    self.flows.remove(&index);
                }
            }
            Event::Batch { contact, reverse } => self.on_batch(sim, now, contact, reverse)?,
            Event::Verified { sat, release } => {
                let s = &mut self.sats[sat as usize];
                s.verified_words.push(self.segments[release as usize].words.clone());
                s.verified_words.sort_by_key(|w| w.start);
                if self.remaining_targets == 0 && !self.stays_on {
                    self.ended = true;
                    sim.stop();
                    return Ok(());
                }
                if self.strategy.passes_on(News::Verified) {
                    self.wake(sim, now, sat)?;
                }
            }
            Event::Released(release) => {
                let release = release as usize;
                for sat in 0..self.sats.len() as u32 {
                    let base_runs =
                        self.segments[release].base.is_none_or(|b| self.sats[sat as usize].releases[b].running);
                    if base_runs {
                        self.make_eligible(sim, now, sat, release)?;
                    }
                }
            }
            Event::AntennaUp(station) => self.assign(sim, now, station)?,
            Event::SatelliteFails(sat) => {
                let outages = self.scenario.outages;
                let periods = outages.satellite_periods(sat);
                let back = periods[periods.partition_point(|p| p.1 <= now)].1;
                let wiped = outages.wipe_within(sat, now, now.plus_nanos(1)).is_some();
                if wiped {
                    self.wipe(now, sat);
                }
                self.failures.push(Failure { at: now, satellite: sat, back, wiped });
            }
            Event::Deployed { sat, release } => {
                self.sats[sat as usize].releases[release as usize].running = true;
                for k in self.segments[release as usize].dependents.clone() {
                    if self.segments[k].released <= now {
                        self.make_eligible(sim, now, sat, k)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn remaining_targets(&self) -> usize {
        self.remaining_targets
    }

    fn deployments(&mut self) -> &mut Vec<(UtcTime, u32, u16)> {
        &mut self.deployments
    }

    fn ended(&self) -> bool {
        self.ended
    }

    fn stays_on(&self) -> bool {
        self.stays_on
    }

    fn failures(&mut self) -> &mut Vec<Failure> {
        &mut self.failures
    }

    fn corrupt(
        &mut self,
        sim: &mut Simulation<Event>,
        now: UtcTime,
        sat: u32,
        release: usize,
        local: u32,
    ) -> Result<(), ScheduleError> {
        let chunk = self.segments[release].first_chunk + local;
        let s = &mut self.sats[sat as usize];
        if !bit(&s.held, chunk) {
            return Ok(());
        }
        clear_bit(&mut s.held, chunk);
        set_bit(&mut s.damaged, chunk);
        self.holders[chunk as usize] -= 1;
        let holding = &mut s.releases[release];
        holding.damaged += 1;
        // A coded transfer needs one more symbol per damaged chunk, then decodes them all.
        holding.received = self.protocols[release].needed() - holding.damaged;
        self.protocols[release].resend(&mut self.senders[sat as usize][release], local, now.unix_nanos());
        let links = self.sats[sat as usize].isl_active.clone();
        for &index in &links {
            let (a, b) = ends(&self.isl[index as usize]);
            let (toward, other) = if b == sat { (0, a) } else { (1, b) };
            if S::READS_OFFERS
                && let Some(flow) = self.flows.get_mut(&index)
            {
                flow[1 - toward].offers.remove(chunk);
                // A link served before this one in the loop may have it on its way already.
                let (from, to) = (&self.sats[other as usize], &self.sats[sat as usize]);
                if bit(&from.held, chunk) && !bit(&to.incoming, chunk) && bit(&to.wanted, chunk) {
                    flow[toward].offers.insert(chunk);
                }
            }
            self.start_flow(sim, now, index, toward == 1)?;
        }
        let contacts = self.sats[sat as usize].ground_active.clone();
        let mut stations = Vec::new();
        for k in contacts {
            let station = station_of(&self.ground[k as usize]);
            let serving = self.antennas[station as usize].iter().flatten().any(|r| r.contact == k);
            if !serving && !self.candidates[station as usize].contains(&k) {
                self.candidates[station as usize].push(k);
            }
            stations.push(station);
        }
        for station in stations {
            self.assign(sim, now, station)?;
        }
        Ok(())
    }

    fn repairs(&mut self) -> &mut Vec<Repair> {
        &mut self.repairs
    }

    fn finish(mut self: Box<Self>, now: UtcTime) -> (UploadOutcome, Vec<Contact>, Vec<Contact>) {
        for station in 0..self.antennas.len() {
            for antenna in 0..self.antennas[station].len() {
                self.free_antenna(now, station as u32, antenna as u32);
            }
        }
        for holding in self.sats.iter_mut().flat_map(|s| &mut s.releases) {
            holding.result.chunks_received = holding.received;
            if holding.result.received_from.is_none() {
                holding.result.received_from = holding.main_source();
            }
        }
        let mut releases: Vec<Vec<SatelliteUpload>> = vec![Vec::with_capacity(self.sats.len()); self.segments.len()];
        for s in self.sats {
            for (k, holding) in s.releases.into_iter().enumerate() {
                releases[k].push(holding.result);
            }
        }
        let updates = releases.split_off(1);
        let outcome = UploadOutcome {
            sessions: self.sessions,
            satellites: releases.pop().expect("the model is the first release"),
            updates,
            isl_transfers: self.transfers,
            isl_bytes: self.isl_bytes,
            events: 0,
            version_log: Vec::new(),
        };
        (outcome, self.ground, self.isl)
    }
}

fn sat_of(c: &Contact) -> u32 {
    c.satellite().expect("uplink contacts have a satellite")
}

fn station_of(c: &Contact) -> u32 {
    c.station().expect("uplink contacts have a station")
}

/// The two satellites of an inter-satellite contact.
fn ends(c: &Contact) -> (u32, u32) {
    match (c.from, c.to) {
        (Node::Satellite(a), Node::Satellite(b)) => (a, b),
        _ => unreachable!("inter-satellite contacts join two satellites"),
    }
}
