//! Training in orbit: synchronous data-parallel training on a set of satellites
//! (`[training]`, validated in [`spec`]), a registered mission model; federated training
//! (`mode = "federated"`) is the model of [`federated`].
//!
//! # A step
//! Every step the participants each compute their share of the global batch,
//! `6 × parameters × tokens_per_step / n` FLOPs at `utilisation` of the accelerator's peak
//! (Kaplan et al. 2020, docs/FACTS.md), and then all-reduce the gradients over the
//! inter-satellite links ([`all_reduce_ns`]). The step's compute is that of its slowest
//! participant (a throttled one, with `below_floor = "throttle"` power). The step's row in
//! `training_steps.csv` splits the time from the end of the previous step into wait (before
//! it could start), compute, communication and checkpoint (reading one back after a
//! failure, writing one after the step), integer nanoseconds that add up exactly.
//!
//! # Ring order and link rates
//! The ring visits the participants in a nearest-neighbour tour computed once from their
//! positions at the start of the run (from the lowest-numbered participant, always on to the
//! nearest unvisited one, ties by fleet index; the tour closes back to the first): on a
//! square lattice it walks the rows back and forth, so every hop but the closing one joins
//! neighbours. Participants out of a step are skipped, joining their ring neighbours. The
//! rate of a hop is the scenario's `[links.isl]` link model at the distance between the two
//! satellites, evaluated at the step's start on a grid of [`LINK_REEVALUATION_NS`] (as the
//! plan's range-based links are), with SGP4 positions. A hop out of the link's range has no
//! rate: the step cannot communicate and **stalls** (counted as wait) until the next
//! re-evaluation finds every hop linked.
//!
//! # Failures, power and checkpoints
//! A participant is down while its satellite or its laser terminals are (`[failures]`,
//! [`crate::access::outages`]); with `[training.power]` it is also out while its battery is
//! below the floor and `below_floor = "pause"` (until it recharges to `resume`), or computes
//! at `throttle_speed` with `"throttle"`. Batteries follow the eclipses (sunlight from
//! [`crate::access::eclipse`]), the bus load, and the accelerator's draw: full while it
//! computes, idle otherwise; power is checked when a step starts (a step under way
//! finishes on the battery's reserve). With `on_failure = "wait"` a step starts only when
//! every participant is in; with `"continue"` it starts with those that are (at least one),
//! and the global batch is shared among fewer. A participant going down during a step
//! breaks the all-reduce: the job goes back to its last checkpoint (or the start), the
//! completed steps since are **lost** (counted, their tokens not), and the next step first
//! reads the checkpoint back. A checkpoint is written after the first step that ends
//! `every` or more after the previous one (or the start), taking `size / write_rate`.

pub mod federated;
pub mod spec;

use nalgebra::Vector3;
use serde::Serialize;

use crate::access::Window;
use crate::access::eclipse::find_eclipses;
use crate::access::outages::{covers, overlaps};
use crate::engine::{Bus, Process};
use crate::link::LinkBudget;
use crate::mission::power::{Battery, JOULES_PER_WH, Limit, sunlight_steps};
use crate::mission::{
    MissionChart, MissionContext, MissionError, MissionEvent, MissionFigure, MissionModel, MissionReport, MissionTable,
};
use crate::time::{NANOS_PER_SECOND, UtcTime};
use orbsim_plot::{LineChart, Series, SeriesKind};
use spec::{Algorithm, DataParallelConfig, OnFailure, TrainingConfig};

/// How often the hops' distances, and so their rates, are evaluated: the default
/// re-evaluation period of range-based inter-satellite links.
pub const LINK_REEVALUATION_NS: i64 = 60 * NANOS_PER_SECOND;
/// Most rows of `training_steps.csv`: beyond this many steps, consecutive completed steps
/// share a row.
pub const MAX_ROWS: i64 = 1_000_000;

/// The header of `training_steps.csv`.
pub const STEPS_HEADER: [&str; 10] = [
    "step",
    "steps",
    "start_utc",
    "wait_s",
    "compute_s",
    "communication_s",
    "checkpoint_s",
    "duration_s",
    "participants",
    "status",
];

/// Time of an all-reduce of `bytes` among `n` members in ring order, whole ns (the
/// bandwidth term rounded up), or `None` when a hop it needs has no rate. `rate_bps(i, j)`
/// is the link rate between members `i` and `j`; `hop_latency_ns` is α, the latency of one
/// hop.
///
/// **Ring** (reduce-scatter then all-gather round one ring; Patarasuk & Yuan 2009, Thakur
/// et al. 2005): `2(n−1)/n · 8·bytes / B + 2(n−1)·α`, B the slowest hop's rate.
///
/// **Hierarchical** with groups of g (the 2D all-reduce of Mikami et al. 2018, as HCCL's
/// hierarchical all-reduce; docs/FACTS.md): the ring order is cut into m = ⌈n/g⌉
/// consecutive groups; ring reduce-scatter inside each group leaves member k of a group with
/// shard k of its group's sum; member k of every group (the shard's leader in its group)
/// then ring all-reduces shard k across the m groups; a ring all-gather inside each group
/// completes every member. For equal groups:
/// `2(g−1)/g · 8·bytes / B_group + 2(g−1)·α + 2(m−1)/m · 8·bytes/g / B_across + 2(m−1)·α`,
/// B_group the slowest hop inside any group and B_across the slowest hop of the rings
/// across groups. Its bandwidth term equals the ring's, `2(n−1)/n · 8·bytes / B`, when the
/// rates are equal; it saves latency (2(g−1) + 2(m−1) hops instead of 2(n−1)). With a
/// smaller last group (or members out of a step), each group's own size sets its time
/// (the slowest group counts), the smallest group's shard `bytes/s_min` is carried across,
/// and member k of a smaller group also stands for shard k mod s.
pub fn all_reduce_ns(
    algorithm: Algorithm,
    n: usize,
    bytes: u64,
    hop_latency_ns: i64,
    rate_bps: impl Fn(usize, usize) -> f64,
) -> Option<i64> {
    let bits = 8.0 * bytes as f64;
    // One ring all-reduce of `bits` over `members` (in order), ns.
    let ring = |members: &[usize], bits: f64| -> Option<i64> {
        let k = members.len();
        if k < 2 {
            return Some(0);
        }
        let slowest = (0..k).map(|i| rate_bps(members[i], members[(i + 1) % k])).fold(f64::INFINITY, f64::min);
        if slowest.is_nan() || slowest <= 0.0 {
            return None;
        }
        let transfer_s = 2.0 * (k as f64 - 1.0) / k as f64 * bits / slowest;
        Some(((transfer_s * 1e9).ceil() as i64).saturating_add(2 * (k as i64 - 1) * hop_latency_ns))
    };
    let members: Vec<usize> = (0..n).collect();
    match algorithm {
        Algorithm::Ring => ring(&members, bits),
        Algorithm::Hierarchical { group_size } => {
            let groups: Vec<&[usize]> = members.chunks(group_size as usize).collect();
            let mut inside = 0;
            for group in &groups {
                inside = inside.max(ring(group, bits)?);
            }
            if groups.len() < 2 {
                return Some(inside);
            }
            let smallest = groups.iter().map(|g| g.len()).min().unwrap_or(1);
            let largest = groups.iter().map(|g| g.len()).max().unwrap_or(1);
            let mut across = 0;
            for shard in 0..largest {
                let leaders: Vec<usize> = groups.iter().map(|g| g[shard % g.len()]).collect();
                across = across.max(ring(&leaders, bits / smallest as f64)?);
            }
            Some(inside.saturating_add(across))
        }
    }
}

/// The ring order of `positions` (km): a nearest-neighbour tour from the first, ties by
/// index (see the module docs). Missing positions go last, in index order.
pub fn nearest_neighbour_tour(positions: &[Option<Vector3<f64>>]) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::with_capacity(positions.len());
    let mut visited = vec![false; positions.len()];
    let mut current = positions.iter().position(Option::is_some);
    while let Some(c) = current {
        visited[c] = true;
        order.push(c);
        let here = positions[c].expect("only placed satellites are visited");
        current = positions
            .iter()
            .enumerate()
            .filter(|(i, p)| !visited[*i] && p.is_some())
            .map(|(i, p)| (i, (p.expect("filtered") - here).norm()))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(i, _)| i);
    }
    order.extend((0..positions.len()).filter(|&i| !visited[i]));
    order
}

/// Makes the model when the scenario has `[training]`.
pub fn training_model<'a>(context: &MissionContext<'a>) -> Option<Box<dyn MissionModel<'a> + 'a>> {
    Some(match context.training? {
        TrainingConfig::DataParallel(config) => Box::new(Training::new(*context, config)),
        TrainingConfig::Federated(config) => Box::new(federated::Federated::new(*context, config)),
    })
}

/// What became of a row's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Completed,
    /// Completed, then undone by a failure (the job went back to an earlier checkpoint).
    Lost,
    /// Broken off by a participant going down.
    Interrupted,
    /// Waited to the end of the run.
    Stalled,
    /// Still running at the end of the run.
    Unfinished,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Lost => "lost",
            Status::Interrupted => "interrupted",
            Status::Stalled => "stalled",
            Status::Unfinished => "unfinished",
        }
    }
}

/// One row of `training_steps.csv`: a step, or consecutive completed steps.
#[derive(Debug, Clone, Copy)]
struct Row {
    /// The (first) step's number, from 1; a step redone after a failure keeps its number.
    step: u64,
    steps: u64,
    start: UtcTime,
    wait_ns: i64,
    compute_ns: i64,
    communication_ns: i64,
    checkpoint_ns: i64,
    participants: u32,
    status: Status,
}

impl Row {
    fn duration_ns(&self) -> i64 {
        self.wait_ns + self.compute_ns + self.communication_ns + self.checkpoint_ns
    }
}

/// One participant's battery with its sunlight.
#[derive(Debug, Clone)]
struct PowerTrack {
    battery: Battery,
    /// Sunlight share changes (time, share).
    sun: Vec<(UtcTime, f64)>,
    next_sun: usize,
    /// Below the floor, not yet recharged to `resume`.
    limited: bool,
}

impl PowerTrack {
    fn advance(&mut self, t: UtcTime) {
        let solar_w = self.battery.config().solar_w;
        while let Some(&(at, share)) = self.sun.get(self.next_sun).filter(|s| s.0 <= t) {
            self.battery.set_generation(at, solar_w * share);
            self.next_sun += 1;
        }
        self.battery.advance(t);
    }

    fn set_load(&mut self, t: UtcTime, watts: f64) {
        self.advance(t);
        self.battery.set_load(t, watts);
    }

    /// When the battery, at its present load, reaches `target_j`; `None` if never within
    /// the sunlight known.
    fn reaches(&self, target_j: f64) -> Option<UtcTime> {
        let mut probe = self.clone();
        loop {
            let reached = probe.battery.delay_to(target_j).map(|d| probe.battery.last_update().plus_nanos(d));
            match (reached, probe.sun.get(probe.next_sun)) {
                (Some(t), Some(&(change, _))) if t <= change => return Some(t),
                (Some(t), None) => return Some(t),
                (_, Some(&(change, _))) => probe.advance(change),
                (None, None) => return None,
            }
        }
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    completed: u64,
    lost: u64,
    interruptions: u64,
    checkpoints: u64,
    link_stalls: u64,
    /// Participant-seconds of computing.
    busy_s: f64,
}

struct Training<'a> {
    context: MissionContext<'a>,
    config: &'a DataParallelConfig,
    budget: LinkBudget,
    /// Participants (indices into `config.participants`) in ring order.
    ring: Vec<usize>,
    power: Vec<PowerTrack>,
    /// Positions (km) of the participants at `positions_at`.
    positions: Vec<Option<Vector3<f64>>>,
    positions_at: Option<UtcTime>,
    now: UtcTime,
    /// Completed steps kept (the next step is `kept + 1`).
    kept: u64,
    /// Steps the last checkpoint holds, when it was written, and the first row after it.
    checkpointed: u64,
    checkpoint_row: usize,
    last_checkpoint: UtcTime,
    restore_pending: bool,
    /// Steps per row once a run has more than [`MAX_ROWS`] steps.
    rows_per_block: u64,
    rows: Vec<Row>,
    tally: Tally,
}

impl<'a> Training<'a> {
    fn new(context: MissionContext<'a>, config: &'a DataParallelConfig) -> Self {
        let sats: Vec<_> = config.participants.iter().map(|&i| &context.satellites[i as usize]).collect();
        let at_start: Vec<Option<Vector3<f64>>> =
            sats.iter().map(|s| s.propagate(context.start).ok().map(|state| state.position)).collect();
        let window = Window { start: context.start, end: context.end };
        let power = match config.power {
            Some(power) => {
                let owned: Vec<_> = sats.iter().map(|s| (*s).clone()).collect();
                find_eclipses(&owned, window)
                    .intervals
                    .iter()
                    .map(|intervals| {
                        let sun = sunlight_steps(intervals);
                        let idle = power.bus_w + config.accelerator.idle_power_w;
                        PowerTrack {
                            battery: Battery::new(power, context.start, power.solar_w, idle),
                            sun,
                            next_sun: 0,
                            limited: false,
                        }
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let window_ns = context.end.unix_nanos() - context.start.unix_nanos();
        let fastest = config.compute_ns(config.participants.len(), 1.0).max(1);
        Training {
            budget: LinkBudget::free_space(&config.isl),
            ring: nearest_neighbour_tour(&at_start),
            power,
            positions: at_start,
            positions_at: Some(context.start),
            now: context.start,
            kept: 0,
            checkpointed: 0,
            checkpoint_row: 0,
            last_checkpoint: context.start,
            restore_pending: false,
            rows_per_block: ((window_ns / fastest) / MAX_ROWS + 1) as u64,
            rows: Vec::new(),
            tally: Tally::default(),
            context,
            config,
        }
    }

    fn satellite(&self, participant: usize) -> u32 {
        self.config.participants[participant]
    }

    fn down(&self, participant: usize, t: UtcTime) -> bool {
        covers(self.context.outages.isl_periods(self.satellite(participant)), t)
    }

    /// When `participant`, down at `t`, is back up.
    fn up_again(&self, participant: usize, t: UtcTime) -> UtcTime {
        let periods = self.context.outages.isl_periods(self.satellite(participant));
        periods.get(periods.partition_point(|p| p.1 <= t)).map_or(t, |p| p.1)
    }

    /// Brings the batteries to `t` and says whether `participant` may compute then (and at
    /// what speed), or when it may again.
    fn power_state(&mut self, participant: usize, t: UtcTime) -> Result<f64, Option<UtcTime>> {
        let Some(config) = self.config.power else { return Ok(1.0) };
        let track = &mut self.power[participant];
        track.advance(t);
        let energy = track.battery.energy_j();
        if track.limited && energy >= config.resume_j {
            track.limited = false;
        } else if !track.limited && energy <= config.floor_j {
            track.limited = true;
        }
        match (track.limited, config.limit) {
            (false, _) => Ok(1.0),
            (true, Limit::Throttle { speed, .. }) => Ok(speed),
            (true, Limit::Pause) => Err(track.reaches(config.resume_j)),
        }
    }

    /// The first instant from `from` at which a step can start, with the participants that
    /// take part (ring order) and their slowest speed; `None` if none before the end.
    fn ready(&mut self, from: UtcTime) -> Option<(UtcTime, Vec<usize>, f64)> {
        let mut t = from;
        'search: while t < self.context.end {
            let mut active = Vec::with_capacity(self.ring.len());
            let mut speed = 1.0_f64;
            let mut earliest_back: Option<UtcTime> = None;
            for k in 0..self.ring.len() {
                let p = self.ring[k];
                let back = if self.down(p, t) {
                    Some(Some(self.up_again(p, t)))
                } else {
                    match self.power_state(p, t) {
                        Ok(s) => {
                            speed = speed.min(s);
                            None
                        }
                        Err(at) => Some(at),
                    }
                };
                match (back, self.config.on_failure) {
                    (None, _) => active.push(p),
                    (Some(at), OnFailure::Wait) => {
                        t = at.unwrap_or(self.context.end).max(t.plus_nanos(1));
                        continue 'search;
                    }
                    (Some(at), OnFailure::Continue) => {
                        let at = at.unwrap_or(self.context.end);
                        earliest_back = Some(earliest_back.map_or(at, |e: UtcTime| e.min(at)));
                    }
                }
            }
            if active.is_empty() {
                t = earliest_back.unwrap_or(self.context.end).max(t.plus_nanos(1));
                continue;
            }
            return Some((t, active, speed));
        }
        None
    }

    /// Positions of the participants on the re-evaluation grid point at or before `t`.
    fn positions_for(&mut self, t: UtcTime) {
        let offset = t.unix_nanos() - self.context.start.unix_nanos();
        let tick = self.context.start.plus_nanos(offset - offset.rem_euclid(LINK_REEVALUATION_NS));
        if self.positions_at == Some(tick) {
            return;
        }
        let satellites = self.context.satellites;
        self.positions = self
            .config
            .participants
            .iter()
            .map(|&i| satellites[i as usize].propagate(tick).ok().map(|s| s.position))
            .collect();
        self.positions_at = Some(tick);
    }

    /// The all-reduce time among `active` (ring order) at `t`, or `None` if a hop is out
    /// of range.
    fn communication_ns(&mut self, active: &[usize], t: UtcTime) -> Option<i64> {
        self.positions_for(t);
        let (positions, budget) = (&self.positions, &self.budget);
        let rate = |i: usize, j: usize| match (positions[active[i]], positions[active[j]]) {
            (Some(a), Some(b)) => budget.rate_bps(0.0, (a - b).norm()) as f64,
            _ => 0.0,
        };
        all_reduce_ns(self.config.algorithm, active.len(), self.config.gradient_bytes, self.config.hop_latency_ns, rate)
    }

    /// Adds a row, folding a completed step into the previous row when runs are long.
    fn push(&mut self, row: Row) {
        if let Some(last) = self.rows.last_mut()
            && row.status == Status::Completed
            && last.status == Status::Completed
            && last.checkpoint_ns == 0
            && last.participants == row.participants
            && last.steps < self.rows_per_block
        {
            last.steps += 1;
            last.wait_ns += row.wait_ns;
            last.compute_ns += row.compute_ns;
            last.communication_ns += row.communication_ns;
            last.checkpoint_ns += row.checkpoint_ns;
            return;
        }
        self.rows.push(row);
    }

    /// `computing` participants draw full power for `compute_ns` from `start`, then idle;
    /// the batteries follow. (All draw for the step's compute time: when a throttled one
    /// sets the pace, the others' idling while they wait for it is not told apart.)
    fn draw(&mut self, start: UtcTime, computing: &[usize], compute_ns: i64) {
        let a = &self.config.accelerator;
        self.tally.busy_s += computing.len() as f64 * compute_ns as f64 / 1e9;
        let Some(config) = self.config.power else { return };
        let idle = config.bus_w + a.idle_power_w;
        for &p in computing {
            let full = match (self.power[p].limited, config.limit) {
                (true, Limit::Throttle { power_w, .. }) => power_w,
                _ => a.power_w,
            };
            self.power[p].set_load(start, config.bus_w + full);
            self.power[p].set_load(start.plus_nanos(compute_ns), idle);
        }
    }

    /// Runs one step (or a wait to the end of the run) from `self.now`.
    fn step(&mut self) {
        let from = self.now;
        let end = self.context.end;
        let Some((mut start, mut active, mut speed)) = self.ready(from) else {
            self.push(self.row_waiting(from, end, 0, Status::Stalled));
            self.now = end;
            return;
        };
        // A hop out of range: stall until a re-evaluation links every hop.
        let communication_ns = loop {
            if let Some(ns) = self.communication_ns(&active, start) {
                break ns;
            }
            self.tally.link_stalls += 1;
            let offset = start.unix_nanos() - self.context.start.unix_nanos();
            let next = start.plus_nanos(LINK_REEVALUATION_NS - offset.rem_euclid(LINK_REEVALUATION_NS));
            match self.ready(next) {
                Some((s, a, v)) => (start, active, speed) = (s, a, v),
                None => {
                    self.push(self.row_waiting(from, end, active.len() as u32, Status::Stalled));
                    self.now = end;
                    return;
                }
            }
        };
        let restore_ns = match self.config.checkpoint {
            Some(c) if self.restore_pending => c.write_ns,
            _ => 0,
        };
        // A step that cannot end within the run is cut at its end: nothing beyond counts.
        let room = end.unix_nanos() - start.unix_nanos() + 1;
        let compute_ns = self.config.compute_ns(active.len(), speed).min(room);
        let communication_ns = communication_ns.min(room);
        let before_write = start.plus_nanos(restore_ns + compute_ns + communication_ns);
        let write_ns = match self.config.checkpoint {
            Some(c) if before_write.unix_nanos() - self.last_checkpoint.unix_nanos() >= c.every_ns => c.write_ns,
            _ => 0,
        };
        let finish = before_write.plus_nanos(write_ns);
        let failure = active
            .iter()
            .filter_map(|&p| {
                let periods = self.context.outages.isl_periods(self.satellite(p));
                overlaps(periods, start, finish)
                    .then(|| periods[periods.partition_point(|q| q.1 <= start)].0.max(start))
            })
            .min();
        let stop = failure.unwrap_or(finish).min(end);
        // The step's stretch in order (restore, compute, communication, write), cut at `stop`.
        let mut left = stop.unix_nanos() - start.unix_nanos();
        let mut take = |ns: i64| {
            let part = ns.min(left);
            left -= part;
            part
        };
        let (restore, compute, communication, write) =
            (take(restore_ns), take(compute_ns), take(communication_ns), take(write_ns));
        self.draw(start.plus_nanos(restore), &active, compute);
        let status = match failure {
            Some(f) if f < end && f < finish => Status::Interrupted,
            _ if finish > end => Status::Unfinished,
            _ => Status::Completed,
        };
        let row = Row {
            step: self.kept + 1,
            steps: 1,
            start: from,
            wait_ns: start.unix_nanos() - from.unix_nanos(),
            compute_ns: compute,
            communication_ns: communication,
            checkpoint_ns: restore + write,
            participants: active.len() as u32,
            status,
        };
        self.push(row);
        self.now = stop;
        match status {
            Status::Completed => {
                self.kept += 1;
                self.tally.completed += 1;
                self.restore_pending = false;
                if write_ns > 0 {
                    self.checkpointed = self.kept;
                    self.checkpoint_row = self.rows.len();
                    self.last_checkpoint = finish;
                    self.tally.checkpoints += 1;
                }
            }
            Status::Interrupted => self.roll_back(),
            _ => {}
        }
    }

    /// Back to the last checkpoint: the completed steps since are lost.
    fn roll_back(&mut self) {
        self.tally.interruptions += 1;
        let lost = self.kept - self.checkpointed;
        self.tally.lost += lost;
        self.tally.completed -= lost;
        for row in &mut self.rows[self.checkpoint_row..] {
            if row.status == Status::Completed {
                row.status = Status::Lost;
            }
        }
        self.kept = self.checkpointed;
        self.restore_pending = self.checkpointed > 0;
    }

    fn row_waiting(&self, from: UtcTime, to: UtcTime, participants: u32, status: Status) -> Row {
        Row {
            step: self.kept + 1,
            steps: 1,
            start: from,
            wait_ns: to.unix_nanos() - from.unix_nanos(),
            compute_ns: 0,
            communication_ns: 0,
            checkpoint_ns: 0,
            participants,
            status,
        }
    }

    fn summary(&self) -> TrainingSummary {
        let config = self.config;
        let window_s = self.context.end.seconds_since(self.context.start);
        let total = |f: fn(&Row) -> i64| self.rows.iter().map(f).sum::<i64>() as f64 / 1e9;
        let share = |part: f64| if window_s > 0.0 { part / window_s } else { 0.0 };
        let n = config.participants.len();
        let steps = self.tally.completed;
        let kept_flops = steps as f64 * 6.0 * config.parameters * config.tokens_per_step as f64;
        let battery = (!self.power.is_empty()).then(|| {
            let accounts = self.power.iter().map(|t| *t.battery.account());
            let capacity = config.power.map_or(1.0, |p| p.capacity_j);
            BatterySummary {
                min_state_of_charge: accounts.clone().map(|a| a.min_energy_j).fold(f64::INFINITY, f64::min) / capacity,
                deficit_kwh: accounts.clone().map(|a| a.deficit_j).sum::<f64>() / JOULES_PER_WH / 1000.0,
                spilled_kwh: accounts.map(|a| a.spilled_j).sum::<f64>() / JOULES_PER_WH / 1000.0,
            }
        });
        TrainingSummary {
            mode: "data_parallel",
            algorithm: config.algorithm.name(),
            on_failure: config.on_failure.name(),
            participants: n,
            parameters: config.parameters,
            tokens_per_step: config.tokens_per_step,
            gradient_bytes: config.gradient_bytes,
            steps,
            tokens_processed: steps * config.tokens_per_step,
            steps_per_day: steps as f64 * 86_400.0 / window_s,
            mean_step_s: if steps > 0 {
                self.rows
                    .iter()
                    .filter(|r| r.status == Status::Completed)
                    .map(|r| r.duration_ns() as f64 / 1e9)
                    .sum::<f64>()
                    / steps as f64
            } else {
                0.0
            },
            utilisation: kept_flops / (n as f64 * config.accelerator.peak_ops_per_s * window_s),
            compute_share: share(total(|r| r.compute_ns)),
            communication_share: share(total(|r| r.communication_ns)),
            wait_share: share(total(|r| r.wait_ns)),
            checkpoint_share: share(total(|r| r.checkpoint_ns)),
            lost_steps: self.tally.lost,
            lost_tokens: self.tally.lost * config.tokens_per_step,
            interruptions: self.tally.interruptions,
            checkpoints: self.tally.checkpoints,
            link_stalls: self.tally.link_stalls,
            steps_per_row: self.rows_per_block,
            accelerator_energy_kwh: (n as f64 * window_s * config.accelerator.idle_power_w
                + self.tally.busy_s * (config.accelerator.power_w - config.accelerator.idle_power_w))
                / JOULES_PER_WH
                / 1000.0,
            battery,
        }
    }

    fn steps_table(&self) -> MissionTable {
        let rows = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.step.to_string(),
                    r.steps.to_string(),
                    format!("{:?}", r.start),
                    seconds_cell(r.wait_ns),
                    seconds_cell(r.compute_ns),
                    seconds_cell(r.communication_ns),
                    seconds_cell(r.checkpoint_ns),
                    seconds_cell(r.duration_ns()),
                    r.participants.to_string(),
                    r.status.name().to_string(),
                ]
            })
            .collect();
        MissionTable { file: "training_steps.csv".into(), header: STEPS_HEADER.map(String::from).to_vec(), rows }
    }

    /// Step time breakdown against time (seconds per step; a row of several steps shows
    /// their mean).
    fn figure(&self, summary: &TrainingSummary) -> MissionFigure {
        let series = |name: &str, part: fn(&Row) -> i64| {
            let points = self.rows.iter().map(|r| (r.start, part(r) as f64 / 1e9 / r.steps as f64)).collect();
            Series::new(name, SeriesKind::Step, points)
        };
        time_breakdown_figure(
            "Training step time",
            format!(
                "{} participants, {} all-reduce; {:.0} steps per day, communication {:.1} %",
                summary.participants,
                summary.algorithm,
                summary.steps_per_day,
                100.0 * summary.communication_share
            ),
            "Time per step (s)",
            vec![
                series("compute", |r| r.compute_ns),
                series("communication", |r| r.communication_ns),
                series("wait", |r| r.wait_ns),
                series("checkpoint", |r| r.checkpoint_ns),
            ],
        )
    }
}

/// Whole nanoseconds as seconds with every digit: the CSV cells that add up exactly.
fn seconds_cell(ns: i64) -> String {
    format!("{}.{:09}", ns / NANOS_PER_SECOND, ns % NANOS_PER_SECOND)
}

/// `training_step_time`: the parts of each step (or round) against time.
fn time_breakdown_figure(title: &str, subtitle: String, y_label: &str, series: Vec<Series<UtcTime>>) -> MissionFigure {
    MissionFigure {
        name: "training_step_time".into(),
        chart: MissionChart::Time(LineChart {
            title: title.into(),
            subtitle,
            x_label: "Time".into(),
            y_label: y_label.into(),
            series,
            ..LineChart::default()
        }),
    }
}

/// `training_summary.csv`: the fields of the summary, a nested object's prefixed with its
/// key (absent ones left out).
fn summary_table(summary: &serde_json::Value) -> MissionTable {
    let cell = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), String::from);
    let mut flat: Vec<(String, String)> = Vec::new();
    for (key, v) in summary.as_object().expect("a struct") {
        match v.as_object() {
            Some(inner) => flat.extend(inner.iter().map(|(k, v)| (format!("{key}_{k}"), cell(v)))),
            None if v.is_null() => {}
            None => flat.push((key.clone(), cell(v))),
        }
    }
    MissionTable {
        file: "training_summary.csv".into(),
        header: flat.iter().map(|(k, _)| k.clone()).collect(),
        rows: vec![flat.into_iter().map(|(_, v)| v).collect()],
    }
}

/// The batteries over the run (with `[training.power]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatterySummary {
    /// Lowest state of charge any participant reached.
    pub min_state_of_charge: f64,
    /// Load the batteries could not supply, all participants.
    pub deficit_kwh: f64,
    /// Solar energy neither used nor storable, all participants.
    pub spilled_kwh: f64,
}

/// `missions.training` in summary.json, and `training_summary.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingSummary {
    pub mode: &'static str,
    pub algorithm: &'static str,
    pub on_failure: &'static str,
    pub participants: usize,
    pub parameters: f64,
    pub tokens_per_step: u64,
    pub gradient_bytes: u64,
    /// Completed steps kept (lost ones excluded).
    pub steps: u64,
    pub tokens_processed: u64,
    pub steps_per_day: f64,
    /// Mean time of a completed step, wait and checkpoints included, s.
    pub mean_step_s: f64,
    /// Model FLOPs of the kept steps over the participants' peak over the run.
    pub utilisation: f64,
    /// Shares of the run's time (they add up to 1).
    pub compute_share: f64,
    pub communication_share: f64,
    pub wait_share: f64,
    pub checkpoint_share: f64,
    pub lost_steps: u64,
    pub lost_tokens: u64,
    /// Steps broken off by a participant going down.
    pub interruptions: u64,
    pub checkpoints: u64,
    /// Times a step found a ring hop out of range.
    pub link_stalls: u64,
    /// Completed steps per row of training_steps.csv at most.
    pub steps_per_row: u64,
    /// Accelerators' energy: full draw while computing, idle otherwise (a throttled
    /// accelerator's lower draw shows in the batteries, not here).
    pub accelerator_energy_kwh: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery: Option<BatterySummary>,
}

impl Process<MissionEvent, MissionError> for Training<'_> {
    fn next_event_time(&self) -> Option<UtcTime> {
        (self.now < self.context.end).then_some(self.now)
    }

    fn run_until(&mut self, limit: UtcTime, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        while self.now < self.context.end && self.now <= limit {
            self.step();
        }
        Ok(())
    }
}

impl<'a> MissionModel<'a> for Training<'a> {
    fn name(&self) -> &'static str {
        "training"
    }

    fn report(&self) -> MissionReport {
        let summary = self.summary();
        let value = serde_json::to_value(&summary).expect("plain data");
        let headline = vec![format!(
            "{} steps ({:.0} per day, {:.3e} tokens) on {} participants; compute {:.1} %, communication {:.1} %, wait {:.1} %, checkpoints {:.1} %; {} lost steps",
            summary.steps,
            summary.steps_per_day,
            summary.tokens_processed as f64,
            summary.participants,
            100.0 * summary.compute_share,
            100.0 * summary.communication_share,
            100.0 * summary.wait_share,
            100.0 * summary.checkpoint_share,
            summary.lost_steps,
        )];
        MissionReport {
            name: self.name(),
            tables: vec![self.steps_table(), summary_table(&value)],
            figures: vec![self.figure(&summary)],
            summary: value,
            headline,
        }
    }
}
