//! Federated training (`[training]` with `mode = "federated"`): every participant trains
//! on its own data, sends its update to an aggregator over the contact plan, and goes on
//! from the aggregated model once it has it back.
//!
//! # A round
//! A participant holding the newest model trains for `local_steps` steps of
//! `local_batch_tokens` tokens (`6 × parameters × tokens` FLOPs at `utilisation` of its
//! accelerator's peak; a satellite that is down starts its local training over once it is
//! back), then sends its update (`update_size / compression` bytes) to the aggregator. A
//! round closes when `min_updates` updates trained on its model have arrived, or at
//! `round_deadline` after it opened. A round that aggregated at least one update makes a
//! new model (aggregation itself takes no time); one that closed empty leaves the model as
//! it was, so the updates under way still count in the next round. An update trained on a
//! model older than the newest is a **straggler**: counted and dropped. A participant whose
//! update has arrived fetches the newest model when there is a newer one (at once, or when
//! the next round closes), and one that finishes fetching a model that is no longer the
//! newest fetches again.
//!
//! # Moving bytes
//! Updates and models move only within the plan's contacts (already cut where an end is
//! down), at their rate profiles, from the millisecond of a contact after the bytes are
//! ready ([`RateProfile::time_to_deliver`]); an update may span several contacts, carrying
//! what is left over. Each participant's contacts of a kind sit in a lane in time order,
//! read through a cursor that only moves forward: no scan of the plan per update.
//! - **Stations** (`aggregator = { station }` or `{ stations }`): updates come down over
//!   the downlink contacts with any of them, models go up over the uplink contacts; the
//!   ground network joins the stations at no cost. **Sharing:** each antenna of a station
//!   carries one transfer at a time, either way, first come first served in time order (an
//!   antenna that is down carries none); a transfer takes an antenna from the first
//!   millisecond its contact carries data and holds it until its bytes are through or the
//!   contact ends, then tries the participant's next contact.
//! - **A satellite** (`aggregator = { satellite }`): updates are relayed store-and-forward
//!   over the inter-satellite contacts, along the fewest hops to the aggregator over the
//!   pairs the plan has linked so far (any satellite relays; the routes are recomputed when
//!   new pairs appear, a transfer keeps the route it started on). Each hop is a transfer of
//!   the whole update; a pair's link carries one transfer each way at a time.
//!
//! # Outputs
//! `training_steps.csv` has a row per round: its start, its time split into compute,
//! communication (bytes moving, or a link held for them) and wait along the path of the
//! update that closed it (the last one counted; a round closed empty is all wait), the
//! updates aggregated and the stragglers that arrived while it was open. The parts add up
//! exactly to the round's duration, and the rows to the run.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use serde::Serialize;

use super::spec::{Aggregator, FederatedConfig};
use super::{seconds_cell, summary_table, time_breakdown_figure};
use crate::access::outages::covers;
use crate::contact::{Contact, ContactKind, Node};
use crate::engine::{Bus, Process};
use crate::link::RateProfile;
use crate::mission::{
    MissionContext, MissionError, MissionEvent, MissionFigure, MissionModel, MissionReport, MissionTable,
};
use crate::time::UtcTime;
use orbsim_plot::{Series, SeriesKind};

/// The header of `training_steps.csv` in federated mode.
pub const ROUNDS_HEADER: [&str; 9] = [
    "round",
    "start_utc",
    "wait_s",
    "compute_s",
    "communication_s",
    "duration_s",
    "participants",
    "stragglers",
    "closed_by",
];

/// The header of `training_updates.csv`: every update that reached the aggregator, the
/// round it counted in (empty for a straggler).
pub const UPDATES_HEADER: [&str; 5] = ["satellite", "trained_on", "ready_utc", "arrival_utc", "round"];

const NANOS_PER_MS: i64 = 1_000_000;

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// An update, to the aggregator.
    Up = 0,
    /// A model, to a participant.
    Down = 1,
}

/// What a stretch of a participant's work was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Compute,
    Communication,
}

/// Contacts that carry one kind of transfer between two ends, in time order.
#[derive(Debug, Clone, Default)]
struct Lane {
    /// Indices into [`Federated::contacts`].
    contacts: Vec<u32>,
    /// The first contact that may still be of use: every request on a lane comes no
    /// earlier than the one before.
    next: usize,
    /// Inter-satellite lanes: when each direction is free again.
    free_at: [UtcTime; 2],
}

/// An update or a model on its way, hop by hop.
#[derive(Debug, Clone)]
struct Transfer {
    direction: Direction,
    /// Lanes to cross, in order; `None` until a route is known.
    hops: Option<Vec<usize>>,
    hop: usize,
    /// Bytes of the current hop not yet sent.
    remaining: u64,
    /// Bytes of the piece under way, counted when it ends.
    in_flight: u64,
}

#[derive(Debug, Clone)]
enum Phase {
    /// Has sent its update for the newest model; waits for the next.
    Waiting,
    Fetching {
        version: u32,
        transfer: Transfer,
    },
    Computing,
    Sending(Transfer),
}

#[derive(Debug, Clone)]
struct Participant {
    satellite: u32,
    /// The model version it trains on.
    base: u32,
    phase: Phase,
    /// Its work since it started fetching the model it trains on: (from, to, part).
    cycle: Vec<(UtcTime, UtcTime, Part)>,
    /// When its last update was ready to send.
    ready: UtcTime,
}

/// An update that reached the aggregator: a row of `training_updates.csv`.
#[derive(Debug, Clone, Copy)]
struct UpdateRecord {
    satellite: u32,
    /// The model version it was trained on (0: the initial model).
    trained_on: u32,
    ready: UtcTime,
    arrival: UtcTime,
    /// The round it counted in; `None` for a straggler.
    round: Option<u64>,
}

/// What an attempt to move bytes found.
enum Attempt {
    /// `bytes` move over [from, until).
    Piece { from: UtcTime, until: UtcTime, bytes: u64 },
    /// Nothing can move before then.
    Retry(UtcTime),
    /// The plan known so far has no contact for it.
    Unknown,
}

/// Where a transfer stands after a move.
enum Progress {
    /// All its bytes are through.
    Through,
    /// Its next move is then.
    Next(UtcTime),
    /// It waits for the plan to reach further.
    Parked,
}

/// How a round closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    Quorum,
    Deadline,
    /// Still open at the end of the run.
    Open,
}

impl Closed {
    fn name(self) -> &'static str {
        match self {
            Closed::Quorum => "quorum",
            Closed::Deadline => "deadline",
            Closed::Open => "open",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct RoundRow {
    round: u64,
    start: UtcTime,
    wait_ns: i64,
    compute_ns: i64,
    communication_ns: i64,
    updates: u32,
    stragglers: u32,
    closed: Closed,
}

impl RoundRow {
    fn duration_ns(&self) -> i64 {
        self.wait_ns + self.compute_ns + self.communication_ns
    }
}

/// The round that is open.
#[derive(Debug, Clone, Default)]
struct OpenRound {
    number: u64,
    start: UtcTime,
    updates: u32,
    stragglers: u32,
    /// The work behind the last update counted.
    closing_cycle: Vec<(UtcTime, UtcTime, Part)>,
}

/// An event: a participant's next move, or a round's deadline. Ties at one instant go to
/// the participants first (an update arriving at the deadline counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Participant(usize),
    Deadline(u64),
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    updates: u64,
    stragglers: u64,
    bytes_up: u64,
    bytes_down: u64,
}

pub(super) struct Federated<'a> {
    context: MissionContext<'a>,
    config: &'a FederatedConfig,
    compute_ns: i64,
    participants: Vec<Participant>,
    /// Participant index by fleet index.
    slot: Vec<Option<u32>>,
    /// The contacts any lane uses.
    contacts: Vec<Contact>,
    lanes: Vec<Lane>,
    /// Station aggregation: when each antenna of each station is free again.
    antenna_free: Vec<Vec<UtcTime>>,
    /// Satellite aggregation: the lane of each linked pair (lower index first), the pairs
    /// each satellite has, and each satellite's next lane towards the aggregator.
    pair_lanes: HashMap<(u32, u32), usize>,
    neighbours: Vec<Vec<(u32, usize)>>,
    towards_aggregator: Vec<Option<(u32, usize)>>,
    routes_stale: bool,
    events: BinaryHeap<Reverse<(UtcTime, Due, u64)>>,
    sequence: u64,
    /// Participants waiting for the plan to reach further.
    parked: Vec<usize>,
    clock: UtcTime,
    /// The newest model.
    version: u32,
    round: OpenRound,
    rows: Vec<RoundRow>,
    updates: Vec<UpdateRecord>,
    tally: Tally,
}

impl<'a> Federated<'a> {
    pub(super) fn new(context: MissionContext<'a>, config: &'a FederatedConfig) -> Self {
        let compute_ns = config.compute_ns();
        let mut slot = vec![None; context.satellites.len()];
        for (i, &s) in config.participants.iter().enumerate() {
            slot[s as usize] = Some(i as u32);
        }
        let satellite_aggregator = matches!(config.aggregator, Aggregator::Satellite(_));
        let mut model = Federated {
            compute_ns,
            participants: Vec::with_capacity(config.participants.len()),
            slot,
            contacts: Vec::new(),
            // Station aggregation: participant i's updates go down lane 2i, its models up
            // lane 2i + 1.
            lanes: if satellite_aggregator { Vec::new() } else { vec![Lane::default(); 2 * config.participants.len()] },
            antenna_free: (0..context.stations.len() as u32)
                .map(|s| vec![context.start; context.outages.antennas_at(s) as usize])
                .collect(),
            pair_lanes: HashMap::new(),
            neighbours: if satellite_aggregator { vec![Vec::new(); context.satellites.len()] } else { Vec::new() },
            towards_aggregator: Vec::new(),
            routes_stale: true,
            events: BinaryHeap::new(),
            sequence: 0,
            parked: Vec::new(),
            clock: context.start,
            version: 0,
            round: OpenRound { number: 1, start: context.start, ..OpenRound::default() },
            rows: Vec::new(),
            updates: Vec::new(),
            tally: Tally::default(),
            context,
            config,
        };
        // Everyone starts from the initial model.
        for (i, &satellite) in config.participants.iter().enumerate() {
            model.participants.push(Participant {
                satellite,
                base: 0,
                phase: Phase::Waiting,
                cycle: Vec::new(),
                ready: context.start,
            });
            model.start_computing(i, context.start);
        }
        model.schedule(context.start.plus_nanos(config.round_deadline_ns), Due::Deadline(1));
        model
    }

    fn schedule(&mut self, at: UtcTime, due: Due) {
        self.sequence += 1;
        self.events.push(Reverse((at, due, self.sequence)));
    }

    fn start_computing(&mut self, p: usize, t: UtcTime) {
        let participant = &mut self.participants[p];
        let start = self.context.outages.first_up_stretch(participant.satellite, t, self.compute_ns);
        let end = start.plus_nanos(self.compute_ns);
        participant.cycle.push((start, end, Part::Compute));
        participant.phase = Phase::Computing;
        self.schedule(end, Due::Participant(p));
    }

    fn transfer(&self, direction: Direction) -> Transfer {
        Transfer { direction, hops: None, hop: 0, remaining: self.config.wire_bytes, in_flight: 0 }
    }

    fn start_fetching(&mut self, p: usize, t: UtcTime) {
        let transfer = self.transfer(Direction::Down);
        let participant = &mut self.participants[p];
        participant.cycle.clear();
        participant.phase = Phase::Fetching { version: self.version, transfer };
        self.schedule(t, Due::Participant(p));
    }

    /// The lanes from participant `p` to the aggregator (`Up`) or back (`Down`), or `None`
    /// while the plan links no route.
    fn route(&mut self, p: usize, direction: Direction) -> Option<Vec<usize>> {
        let Aggregator::Satellite(aggregator) = self.config.aggregator else {
            return Some(vec![2 * p + direction as usize]);
        };
        if self.routes_stale {
            self.find_routes(aggregator);
        }
        let mut hops = Vec::new();
        let mut at = self.participants[p].satellite;
        while at != aggregator {
            let (next, lane) = self.towards_aggregator[at as usize]?;
            hops.push(lane);
            at = next;
        }
        if direction == Direction::Down {
            hops.reverse();
        }
        Some(hops)
    }

    /// Fewest-hop routes to `aggregator` over the pairs linked so far (breadth first, the
    /// lower satellite index first among equals).
    fn find_routes(&mut self, aggregator: u32) {
        let mut towards = vec![None; self.context.satellites.len()];
        let mut seen = vec![false; self.context.satellites.len()];
        seen[aggregator as usize] = true;
        let mut queue = VecDeque::from([aggregator]);
        while let Some(at) = queue.pop_front() {
            for &(next, lane) in &self.neighbours[at as usize] {
                if !seen[next as usize] {
                    seen[next as usize] = true;
                    towards[next as usize] = Some((at, lane));
                    queue.push_back(next);
                }
            }
        }
        self.towards_aggregator = towards;
        self.routes_stale = false;
    }

    fn transfer_mut(&mut self, p: usize) -> &mut Transfer {
        match &mut self.participants[p].phase {
            Phase::Fetching { transfer, .. } | Phase::Sending(transfer) => transfer,
            Phase::Waiting | Phase::Computing => unreachable!("only a participant fetching or sending has a transfer"),
        }
    }

    /// Moves participant `p`'s transfer on at `t`: counts the piece that just ended, goes
    /// to the next hop when the last one is through, and claims the next piece.
    fn advance(&mut self, p: usize, t: UtcTime) -> Progress {
        let direction = self.transfer_mut(p).direction;
        if self.transfer_mut(p).hops.is_none() {
            match self.route(p, direction) {
                Some(route) => self.transfer_mut(p).hops = Some(route),
                None => return Progress::Parked,
            }
        }
        let wire_bytes = self.config.wire_bytes;
        let transfer = self.transfer_mut(p);
        let credited = std::mem::take(&mut transfer.in_flight);
        if transfer.remaining == 0 {
            transfer.hop += 1;
            transfer.remaining = wire_bytes;
        }
        let lane = transfer.hops.as_ref().and_then(|hops| hops.get(transfer.hop).copied());
        let remaining = transfer.remaining;
        match direction {
            Direction::Up => self.tally.bytes_up += credited,
            Direction::Down => self.tally.bytes_down += credited,
        }
        let Some(lane) = lane else { return Progress::Through };
        match self.claim(lane, direction, t, remaining) {
            Attempt::Piece { from, until, bytes } => {
                let transfer = self.transfer_mut(p);
                transfer.remaining -= bytes;
                transfer.in_flight = bytes;
                self.participants[p].cycle.push((from, until, Part::Communication));
                Progress::Next(until)
            }
            Attempt::Retry(at) => Progress::Next(at),
            Attempt::Unknown => Progress::Parked,
        }
    }

    /// The next piece of at most `bytes` over `lane` from `t`: on the first contact
    /// carrying data at `t` whose end is free (an antenna of its station, or the pair's link
    /// this way), held until the bytes are through or the contact (or the antenna) ends.
    fn claim(&mut self, lane_index: usize, direction: Direction, t: UtcTime, bytes: u64) -> Attempt {
        let contacts = &self.contacts;
        let lane = &mut self.lanes[lane_index];
        while lane.contacts.get(lane.next).is_some_and(|&c| contacts[c as usize].end <= t) {
            lane.next += 1;
        }
        let mut retry: Option<UtcTime> = None;
        let mut earliest = |at: UtcTime| retry = Some(retry.map_or(at, |r: UtcTime| r.min(at)));
        for &index in &lane.contacts[lane.next..] {
            let c = &contacts[index as usize];
            if c.start > t {
                earliest(c.start);
                break;
            }
            // A transfer takes its link from the first byte it can send, not before.
            let Some(from) = first_data_at(&c.profile, on_millisecond_grid(&c.profile, t)) else { continue };
            if from > t {
                earliest(from);
                continue;
            }
            let holder = match c.station() {
                Some(station) => free_antenna(&self.antenna_free[station as usize], self.context, station, from)
                    .map(|(antenna, limit)| (Some((station as usize, antenna)), limit)),
                None => {
                    let free = lane.free_at[direction as usize];
                    if free <= from { Ok((None, c.end)) } else { Err(free) }
                }
            };
            match holder {
                Ok((antenna, limit)) => {
                    let usable_end = limit.min(c.end);
                    let (until, moved) = match c.profile.time_to_deliver(from, bytes) {
                        Some(done) if done <= usable_end => (done, bytes),
                        _ => (usable_end, c.profile.bytes_between(from, usable_end)),
                    };
                    match antenna {
                        Some((station, antenna)) => self.antenna_free[station][antenna] = until,
                        None => lane.free_at[direction as usize] = until,
                    }
                    return Attempt::Piece { from, until, bytes: moved };
                }
                Err(free) => earliest(free.min(c.end)),
            }
        }
        retry.map_or(Attempt::Unknown, Attempt::Retry)
    }

    fn handle(&mut self, t: UtcTime, due: Due) {
        match due {
            Due::Deadline(round) if round == self.round.number => self.close_round(t, Closed::Deadline),
            Due::Deadline(_) => {}
            Due::Participant(p) => match self.participants[p].phase {
                Phase::Waiting => {}
                Phase::Computing => {
                    self.participants[p].phase = Phase::Sending(self.transfer(Direction::Up));
                    self.participants[p].ready = t;
                    self.move_transfer(p, t);
                }
                Phase::Fetching { .. } | Phase::Sending(_) => self.move_transfer(p, t),
            },
        }
    }

    fn move_transfer(&mut self, p: usize, t: UtcTime) {
        match self.advance(p, t) {
            Progress::Next(at) => self.schedule(at, Due::Participant(p)),
            Progress::Parked => self.parked.push(p),
            Progress::Through => match self.participants[p].phase {
                Phase::Fetching { version, .. } => {
                    self.participants[p].base = version;
                    if version < self.version {
                        self.start_fetching(p, t);
                    } else {
                        self.start_computing(p, t);
                    }
                }
                _ => self.arrived(p, t),
            },
        }
    }

    /// Participant `p`'s update is at the aggregator at `t`.
    fn arrived(&mut self, p: usize, t: UtcTime) {
        let participant = &self.participants[p];
        let on_time = participant.base == self.version;
        self.updates.push(UpdateRecord {
            satellite: participant.satellite,
            trained_on: participant.base,
            ready: participant.ready,
            arrival: t,
            round: on_time.then_some(self.round.number),
        });
        if on_time {
            self.tally.updates += 1;
            self.round.updates += 1;
            self.round.closing_cycle.clone_from(&self.participants[p].cycle);
            if self.round.updates >= self.config.min_updates {
                self.close_round(t, Closed::Quorum);
            }
        } else {
            self.tally.stragglers += 1;
            self.round.stragglers += 1;
        }
        if self.participants[p].base < self.version {
            self.start_fetching(p, t);
        } else {
            self.participants[p].phase = Phase::Waiting;
        }
    }

    fn close_round(&mut self, t: UtcTime, closed: Closed) {
        self.rows.push(self.row(t, closed));
        let aggregated = self.round.updates > 0;
        let number = self.round.number + 1;
        self.round = OpenRound { number, start: t, ..OpenRound::default() };
        self.schedule(t.plus_nanos(self.config.round_deadline_ns), Due::Deadline(number));
        if aggregated {
            self.version += 1;
            for p in 0..self.participants.len() {
                if matches!(self.participants[p].phase, Phase::Waiting) {
                    self.start_fetching(p, t);
                }
            }
        }
    }

    /// The open round as a row closing at `end`.
    fn row(&self, end: UtcTime, closed: Closed) -> RoundRow {
        let start = self.round.start;
        let within = |part: Part| -> i64 {
            self.round
                .closing_cycle
                .iter()
                .filter(|(_, _, p)| *p == part)
                .map(|&(from, to, _)| (to.min(end).unix_nanos() - from.max(start).unix_nanos()).max(0))
                .sum()
        };
        let (compute_ns, communication_ns) = (within(Part::Compute), within(Part::Communication));
        RoundRow {
            round: self.round.number,
            start,
            wait_ns: end.unix_nanos() - start.unix_nanos() - compute_ns - communication_ns,
            compute_ns,
            communication_ns,
            updates: self.round.updates,
            stragglers: self.round.stragglers,
            closed,
        }
    }

    /// Every round, the one still open at the end last.
    fn all_rows(&self) -> Vec<RoundRow> {
        let mut rows = self.rows.clone();
        rows.push(self.row(self.context.end, Closed::Open));
        rows
    }

    fn summary(&self, rows: &[RoundRow]) -> FederatedSummary {
        let config = self.config;
        let window_s = self.context.end.seconds_since(self.context.start);
        let aggregating: Vec<&RoundRow> = rows.iter().filter(|r| r.closed != Closed::Open && r.updates > 0).collect();
        let rounds = aggregating.len() as u64;
        let share = |f: fn(&RoundRow) -> i64| rows.iter().map(f).sum::<i64>() as f64 / 1e9 / window_s;
        let arrived = self.tally.updates + self.tally.stragglers;
        FederatedSummary {
            mode: "federated",
            aggregator: config.aggregator_name.clone(),
            aggregator_kind: match config.aggregator {
                Aggregator::Stations(_) => "stations",
                Aggregator::Satellite(_) => "satellite",
            },
            participants: config.participants.len(),
            parameters: config.parameters,
            local_steps: config.local_steps,
            local_batch_tokens: config.local_batch_tokens,
            compute_per_round_s: self.compute_ns as f64 / 1e9,
            update_bytes: config.wire_bytes,
            min_updates: config.min_updates,
            round_deadline_s: config.round_deadline_ns as f64 / 1e9,
            rounds,
            empty_rounds: rows.iter().filter(|r| r.closed != Closed::Open && r.updates == 0).count() as u64,
            rounds_per_day: rounds as f64 * 86_400.0 / window_s,
            mean_round_s: if rounds > 0 {
                aggregating.iter().map(|r| r.duration_ns() as f64 / 1e9).sum::<f64>() / rounds as f64
            } else {
                0.0
            },
            quorum_rounds: rows.iter().filter(|r| r.closed == Closed::Quorum).count() as u64,
            deadline_rounds: rows.iter().filter(|r| r.closed == Closed::Deadline).count() as u64,
            updates_aggregated: self.tally.updates,
            stragglers: self.tally.stragglers,
            straggler_share: if arrived > 0 { self.tally.stragglers as f64 / arrived as f64 } else { 0.0 },
            tokens_processed: self.tally.updates * config.tokens_per_update(),
            bytes_up: self.tally.bytes_up,
            bytes_down: self.tally.bytes_down,
            compute_share: share(|r| r.compute_ns),
            communication_share: share(|r| r.communication_ns),
            wait_share: share(|r| r.wait_ns),
        }
    }

    fn rounds_table(rows: &[RoundRow]) -> MissionTable {
        let rows = rows
            .iter()
            .map(|r| {
                vec![
                    r.round.to_string(),
                    format!("{:?}", r.start),
                    seconds_cell(r.wait_ns),
                    seconds_cell(r.compute_ns),
                    seconds_cell(r.communication_ns),
                    seconds_cell(r.duration_ns()),
                    r.updates.to_string(),
                    r.stragglers.to_string(),
                    r.closed.name().to_string(),
                ]
            })
            .collect();
        MissionTable { file: "training_steps.csv".into(), header: ROUNDS_HEADER.map(String::from).to_vec(), rows }
    }

    fn updates_table(&self) -> MissionTable {
        let rows = self
            .updates
            .iter()
            .map(|u| {
                vec![
                    self.context.satellites[u.satellite as usize].name.clone(),
                    u.trained_on.to_string(),
                    format!("{:?}", u.ready),
                    format!("{:?}", u.arrival),
                    u.round.map_or_else(String::new, |r| r.to_string()),
                ]
            })
            .collect();
        MissionTable { file: "training_updates.csv".into(), header: UPDATES_HEADER.map(String::from).to_vec(), rows }
    }

    /// Round time breakdown against time.
    fn figure(rows: &[RoundRow], summary: &FederatedSummary) -> MissionFigure {
        let series = |name: &str, part: fn(&RoundRow) -> i64| {
            let points = rows.iter().map(|r| (r.start, part(r) as f64 / 1e9)).collect();
            Series::new(name, SeriesKind::Step, points)
        };
        time_breakdown_figure(
            "Federated round time",
            format!(
                "{} participants via {}; {:.1} rounds per day, stragglers {:.1} %",
                summary.participants,
                summary.aggregator,
                summary.rounds_per_day,
                100.0 * summary.straggler_share
            ),
            "Time per round (s)",
            vec![
                series("compute", |r| r.compute_ns),
                series("communication", |r| r.communication_ns),
                series("wait", |r| r.wait_ns),
            ],
        )
    }
}

/// `t` rounded up to the millisecond grid of `profile` (its start, if before).
fn on_millisecond_grid(profile: &RateProfile, t: UtcTime) -> UtcTime {
    let offset = (t.unix_nanos() - profile.start().unix_nanos()).max(0);
    profile.start().plus_nanos((offset + NANOS_PER_MS - 1) / NANOS_PER_MS * NANOS_PER_MS)
}

/// The first instant from `from` at which `profile` carries data, if any.
fn first_data_at(profile: &RateProfile, from: UtcTime) -> Option<UtcTime> {
    profile.segments().find(|&(_, to, rate)| rate > 0 && to > from).map(|(start, _, _)| start.max(from))
}

/// An antenna of `station` free and up at `from` (the lowest-numbered), with the start of
/// its next outage (or the end of the run); or the earliest time one may be.
fn free_antenna(
    free_at: &[UtcTime],
    context: MissionContext,
    station: u32,
    from: UtcTime,
) -> Result<(usize, UtcTime), UtcTime> {
    let mut earliest = None::<UtcTime>;
    for (antenna, &free) in free_at.iter().enumerate() {
        let periods = context.outages.antenna_periods(station, antenna as u32);
        let next_down = periods.get(periods.partition_point(|p| p.1 <= from));
        if free <= from && !covers(periods, from) {
            return Ok((antenna, next_down.map_or(context.end, |p| p.0)));
        }
        let up = match next_down {
            Some(&(down, up)) if down <= from.max(free) => up.max(free),
            _ => free,
        };
        earliest = Some(earliest.map_or(up, |e| e.min(up)));
    }
    Err(earliest.unwrap_or(context.end))
}

/// `missions.training` in summary.json, and `training_summary.csv`, in federated mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FederatedSummary {
    pub mode: &'static str,
    /// The aggregator's name(s), and whether they are `stations` or a `satellite`.
    pub aggregator: String,
    pub aggregator_kind: &'static str,
    pub participants: usize,
    pub parameters: f64,
    pub local_steps: u64,
    pub local_batch_tokens: u64,
    /// A participant's local training per round, s.
    pub compute_per_round_s: f64,
    /// Bytes of an update (or a model) on the links, after compression.
    pub update_bytes: u64,
    pub min_updates: u32,
    pub round_deadline_s: f64,
    /// Rounds that closed with at least one update (each made a new model).
    pub rounds: u64,
    /// Rounds that reached their deadline with no update.
    pub empty_rounds: u64,
    pub rounds_per_day: f64,
    /// Mean duration of the rounds counted in `rounds`, s.
    pub mean_round_s: f64,
    pub quorum_rounds: u64,
    pub deadline_rounds: u64,
    pub updates_aggregated: u64,
    /// Updates that arrived trained on an older model than the newest (dropped).
    pub stragglers: u64,
    /// Stragglers over all updates that arrived.
    pub straggler_share: f64,
    /// Tokens of the updates aggregated.
    pub tokens_processed: u64,
    /// Bytes moved towards the aggregator and back, over every hop (relays count each
    /// hop), counted as each piece ends within the run.
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Shares of the run's time along the rounds' closing paths (they add up to 1).
    pub compute_share: f64,
    pub communication_share: f64,
    pub wait_share: f64,
}

impl Process<MissionEvent, MissionError> for Federated<'_> {
    fn next_event_time(&self) -> Option<UtcTime> {
        self.events.peek().map(|e| e.0.0).filter(|&t| t < self.context.end)
    }

    fn run_until(&mut self, limit: UtcTime, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        while let Some(&Reverse((t, due, _))) = self.events.peek() {
            if t > limit || t >= self.context.end {
                break;
            }
            self.events.pop();
            self.handle(t, due);
        }
        self.clock = self.clock.max(limit);
        Ok(())
    }
}

impl<'a> MissionModel<'a> for Federated<'a> {
    fn name(&self) -> &'static str {
        "training"
    }

    fn needs_plan(&self) -> bool {
        true
    }

    fn plan_extended(&mut self, contacts: &[Contact]) -> Result<(), MissionError> {
        for c in contacts {
            let lane = match &self.config.aggregator {
                Aggregator::Stations(stations) => {
                    let (Some(station), Some(satellite)) = (c.station(), c.satellite()) else { continue };
                    let Some(p) = self.slot[satellite as usize] else { continue };
                    if stations.binary_search(&station).is_err() {
                        continue;
                    }
                    match c.kind {
                        ContactKind::Downlink => 2 * p as usize + Direction::Up as usize,
                        ContactKind::Uplink => 2 * p as usize + Direction::Down as usize,
                        ContactKind::InterSatellite => continue,
                    }
                }
                Aggregator::Satellite(_) => {
                    let (Node::Satellite(a), Node::Satellite(b)) = (c.from, c.to) else { continue };
                    let pair = (a.min(b), a.max(b));
                    match self.pair_lanes.get(&pair) {
                        Some(&lane) => lane,
                        None => {
                            let lane = self.lanes.len();
                            self.lanes.push(Lane::default());
                            self.pair_lanes.insert(pair, lane);
                            for (one, other) in [(a, b), (b, a)] {
                                let list = &mut self.neighbours[one as usize];
                                let at = list.partition_point(|n| n.0 < other);
                                list.insert(at, (other, lane));
                            }
                            self.routes_stale = true;
                            lane
                        }
                    }
                }
            };
            self.lanes[lane].contacts.push(self.contacts.len() as u32);
            self.contacts.push(c.clone());
        }
        // What waited for the plan goes on from where the engine's clock stands: the new
        // contacts start no earlier.
        for p in std::mem::take(&mut self.parked) {
            self.schedule(self.clock, Due::Participant(p));
        }
        Ok(())
    }

    fn report(&self) -> MissionReport {
        let rows = self.all_rows();
        let summary = self.summary(&rows);
        let value = serde_json::to_value(&summary).expect("plain data");
        let headline = vec![format!(
            "{} federated rounds ({:.1} per day, mean {:.0} s) on {} participants via {}; stragglers {:.1} %; {:.2} GB up, {:.2} GB down",
            summary.rounds,
            summary.rounds_per_day,
            summary.mean_round_s,
            summary.participants,
            summary.aggregator,
            100.0 * summary.straggler_share,
            summary.bytes_up as f64 / 1e9,
            summary.bytes_down as f64 / 1e9,
        )];
        MissionReport {
            name: self.name(),
            tables: vec![Self::rounds_table(&rows), self.updates_table(), summary_table(&value)],
            figures: vec![Self::figure(&rows, &summary)],
            summary: value,
            headline,
        }
    }
}
