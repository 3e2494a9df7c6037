//! The inference model's event loop (see the parent module for what it simulates).

use std::collections::VecDeque;
use std::time::Instant;

use rayon::prelude::*;

use super::compute::{Accelerator, ModelCompute};
use super::routing::{IslGraph, Route, Router};
use super::sky::{Seen, Sky, SkySite};
use super::sources::{Arrivals, place_terminals};
use super::spec::{InferenceConfig, Terminals, VersionWanted};
use super::{
    InferenceError, InferenceInputs, InferenceOutcome, InferenceTimes, LossReason, Outcome, Phases, RequestRecord,
    ServerRecord, SourceRun, losses_possible,
};
use crate::access::Window;
use crate::access::eclipse::{eclipse_fractions, find_eclipses};
use crate::constants::light_time_ns;
use crate::contact::{Contact, ContactKind, Node};
use crate::engine::{Bus, EventId, Process, ScheduleError, Simulation};
use crate::link::{LinkBudget, Site};
use crate::mission::availability::Availability;
use crate::mission::model::{MissionError, MissionEvent};
use crate::mission::power::{Battery, Limit, sunlight_steps};
use crate::mission::upsets::spec::ServicePolicy;
use crate::time::{NANOS_PER_SECOND, UtcTime};

const NONE: u32 = u32::MAX;
/// Extra cost given to a server without inter-satellite links that will have left the
/// user's view when its answer is ready: it is chosen only if nothing better exists (the
/// answer would wait for its next pass).
const OUT_OF_VIEW_PENALTY_NS: i64 = 3600 * NANOS_PER_SECOND;
/// With inter-satellite links in the plan, a waiting message retries at least this often:
/// the topology may have opened a path.
const ISL_RETRY_NS: i64 = 60 * NANOS_PER_SECOND;
/// Expected wait charged for a server paused by its battery, when its recovery time is
/// unknown (no charging in sight).
const PAUSED_WAIT_NS: i64 = 3600 * NANOS_PER_SECOND;
/// Tolerance on battery thresholds, J (the crossing times are rounded to whole ns).
const ENERGY_EPS_J: f64 = 1e-6;
/// Link-budget cells for user terminals, degrees.
const CELL_DEG: f64 = 5.0;

#[derive(Debug, Clone, Copy)]
enum Ev {
    /// The next request of a source.
    Arrival(u32),
    /// A request tries to go up.
    Dispatch(u32),
    /// A request reaches its server.
    AtServer(u32),
    /// A request's computation ends.
    JobDone(u32),
    /// An answer tries to go down.
    Deliver(u32),
    /// A server's sunlight changes (eclipse boundary).
    Sun(u32),
    /// A server's battery reaches a threshold.
    Power(u32),
    /// A server fails (an outage of its satellite starts).
    Failed(u32),
    /// A server is back from an outage.
    Recovered,
}

/// A user terminal as queried.
struct UserTerminal {
    site: SkySite,
    /// Index into the link-budget cells.
    cell: u32,
}

enum Access {
    Users(Vec<UserTerminal>),
    Portal(Vec<u32>),
}

struct RunSource {
    arrivals: Arrivals,
    access: Access,
    end: UtcTime,
}

/// A portal station's contacts, sorted by start.
struct StationContacts {
    site: SkySite,
    up: Vec<u32>,
    down: Vec<u32>,
    longest_ns: i64,
}

struct Job {
    req: u32,
    started: i64,
    /// Work left at full speed, ns.
    work_left_ns: f64,
    /// When `work_left_ns` was last brought up to date.
    last: i64,
    event: Option<EventId>,
}

struct Server {
    sat: u32,
    queue: VecDeque<(u32, i64)>,
    running: Vec<Job>,
    /// Full-speed service time of the queued requests, ns.
    backlog_ns: i64,
    limited: bool,
    battery: Option<Battery>,
    power_event: Option<EventId>,
    sun: Vec<(UtcTime, f64)>,
    sun_next: usize,
    last_touch: i64,
    completed: u32,
    busy_ns: i64,
    slot_busy_ns: i64,
    limited_ns: i64,
    accelerator_j: f64,
}

impl Server {
    fn speed(&self, limit: Option<Limit>) -> f64 {
        match (self.limited, limit) {
            (true, Some(Limit::Pause)) => 0.0,
            (true, Some(Limit::Throttle { speed, .. })) => speed,
            _ => 1.0,
        }
    }

    /// What the accelerator draws now, W.
    fn draw_w(&self, acc: &Accelerator, limit: Option<Limit>) -> f64 {
        if self.running.is_empty() {
            return acc.idle_power_w;
        }
        match (self.limited, limit) {
            (true, Some(Limit::Pause)) => acc.idle_power_w,
            (true, Some(Limit::Throttle { power_w, .. })) => power_w,
            _ => acc.power_w,
        }
    }

    /// Accounts busy time and accelerator energy up to `now` in the current state.
    fn touch(&mut self, now: i64, acc: &Accelerator, limit: Option<Limit>) {
        let dt = now - self.last_touch;
        if dt <= 0 {
            return;
        }
        if !self.running.is_empty() {
            self.busy_ns += dt;
            self.slot_busy_ns += dt * self.running.len() as i64;
        }
        if self.limited {
            self.limited_ns += dt;
        }
        self.accelerator_j += self.draw_w(acc, limit) * dt as f64 / NANOS_PER_SECOND as f64;
        self.last_touch = now;
    }

    /// Expected wait before a request arriving at `at` starts, ns.
    fn expected_wait_ns(&self, at: i64, acc: &Accelerator, limit: Option<Limit>) -> i64 {
        let speed = self.speed(limit);
        let mut wait = 0;
        if self.running.len() as u32 >= acc.max_batch || !self.queue.is_empty() {
            let first_free = self
                .running
                .iter()
                .map(|j| if speed > 0.0 { j.last + (j.work_left_ns / speed) as i64 } else { at })
                .min()
                .unwrap_or(at);
            wait = (first_free - at).max(0) + self.backlog_ns / acc.max_batch as i64;
        }
        if speed == 0.0 {
            let recovery =
                self.battery.as_ref().and_then(|b| b.delay_to(b.config().resume_j)).unwrap_or(PAUSED_WAIT_NS);
            wait += recovery;
        }
        wait
    }
}

/// Transmission time of `bytes` at `rate_bps`, whole ns (rounded up).
fn transmit_ns(bytes: u64, rate_bps: u64) -> i64 {
    ((bytes as u128 * 8 * NANOS_PER_SECOND as u128).div_ceil(rate_bps.max(1) as u128)).min(i64::MAX as u128 / 4) as i64
}

/// Contacts of `list` (indices into `contacts`, sorted by start) in progress at `t`.
fn active<'c>(contacts: &'c [Contact], list: &'c [u32], longest_ns: i64, t: UtcTime) -> impl Iterator<Item = u32> + 'c {
    let i = list.partition_point(|&c| contacts[c as usize].start <= t);
    list[..i]
        .iter()
        .rev()
        .take_while(move |&&c| contacts[c as usize].start.unix_nanos() >= t.unix_nanos() - longest_ns)
        .filter(move |&&c| contacts[c as usize].end > t)
        .copied()
}

/// Satellites a portal station can exchange `bytes` with over its contacts of `list` in
/// progress at `now`, each with the time that takes: transmission over the contact's
/// rate profile (it must finish before the contact ends) plus light time.
fn station_paths<'a>(
    contacts: &'a [Contact],
    list: &'a [u32],
    station: &'a StationContacts,
    sky: &'a Sky,
    now: UtcTime,
    bytes: u64,
) -> impl Iterator<Item = (u32, i64)> + 'a {
    active(contacts, list, station.longest_ns, now).filter_map(move |c| {
        let contact = &contacts[c as usize];
        let sat = contact.satellite()?;
        let done = contact.profile.time_to_deliver(now, bytes).filter(|&d| d <= contact.end)?;
        let (_, range) = sky.look(&station.site, sat, now)?;
        Some((sat, (done.unix_nanos() - now.unix_nanos()).max(0) + light_time_ns(range)))
    })
}

/// First data instant after `t` among contacts of `list` starting after `t` (and of
/// satellite `only`, if given).
fn next_contact(contacts: &[Contact], list: &[u32], t: UtcTime, only: Option<u32>) -> Option<UtcTime> {
    let i = list.partition_point(|&c| contacts[c as usize].start <= t);
    list[i..]
        .iter()
        .map(|&c| &contacts[c as usize])
        .filter(|c| only.is_none_or(|s| c.satellite() == Some(s)))
        .find_map(|c| c.profile.data_start())
}

struct Model<'a> {
    inputs: &'a InferenceInputs<'a>,
    cfg: &'a InferenceConfig,
    sky: Sky,
    graph: IslGraph,
    router: Router,
    sources: Vec<RunSource>,
    budgets: Vec<(LinkBudget, LinkBudget)>,
    stations: Vec<Option<StationContacts>>,
    servers: Vec<Server>,
    server_of: Vec<u32>,
    /// Which satellites hold the model, as far as the run has told this model so far.
    holding: Availability,
    /// The same per version.
    versions: Vec<Availability>,
    /// Serving satellites that never ran each version yet.
    awaiting_versions: Vec<usize>,
    /// Per satellite, its chunks (version, chunk) found corrupted and not yet repaired.
    damaged: Vec<Vec<(u16, u32)>>,
    /// Serving satellites that do not hold the model yet (none when it is preinstalled).
    awaiting: usize,
    /// Questions waiting for a way up while some server may still receive the model (or,
    /// for questions lost on board, come back), with their pending retry if they have one:
    /// a deployment, a repair or a recovery wakes them.
    parked: Vec<(u32, Option<EventId>)>,
    /// Entries of `parked` still live when it was last pruned.
    parked_live: usize,
    requests: Vec<RequestRecord>,
    seen: Vec<Seen>,
    entries: Vec<(u32, i64)>,
    entry_station: Vec<u32>,
    /// Downlink cost per satellite for the answer being routed (valid where stamped).
    target_cost: Vec<i64>,
    target_station: Vec<u32>,
    target_stamp: Vec<u32>,
    target_generation: u32,
    end_ns: i64,
    losses_possible: bool,
}

/// The inference model on a run's shared engine: built with [`InferenceRun::new`] (orbits,
/// terminals, link budgets, eclipses), driven as a [`Process`] that learns from
/// [`MissionEvent::ModelHeld`] which satellites can serve, and read with
/// [`InferenceRun::finish`].
pub struct InferenceRun<'a> {
    model: Model<'a>,
    sim: Simulation<Ev>,
    sources: Vec<SourceRun>,
    eclipses: Vec<Vec<crate::access::eclipse::EclipseInterval>>,
    times: InferenceTimes,
}

impl<'a> InferenceRun<'a> {
    /// Sets the model up over the window (orbits, terminals, link budgets, eclipses; see the
    /// module docs) and schedules its first events.
    pub fn new(inputs: &'a InferenceInputs<'a>) -> Result<Self, InferenceError> {
        let started = Instant::now();
        inputs.progress.begin("inference setup (orbits, terminals, routes)", 0, "");
        let cfg = inputs.config;
        let n = inputs.satellites.len();
        let window = Window { start: inputs.start, end: inputs.end };
        let sky = Sky::build(inputs.satellites, inputs.start, inputs.end);
        let graph = IslGraph::from_plan(inputs.plan, n);

        // Terminals, budgets and sources.
        let mut land = None;
        let mut runs = Vec::with_capacity(cfg.sources.len());
        let mut cells: Vec<(i32, i32)> = Vec::new();
        let mut cell_index = std::collections::HashMap::new();
        let mut sources = Vec::with_capacity(cfg.sources.len());
        for (k, source) in cfg.sources.iter().enumerate() {
            let terminals = place_terminals(source, k, inputs.seed, &mut land);
            let access = match &source.terminals {
                Terminals::Portal(st) => Access::Portal(st.clone()),
                _ => Access::Users(
                    terminals
                        .iter()
                        .map(|t| {
                            let key = (
                                ((t.site.lat_deg + 90.0) / CELL_DEG).floor().min(180.0 / CELL_DEG - 1.0) as i32,
                                ((t.site.lon_deg + 180.0).rem_euclid(360.0) / CELL_DEG).floor() as i32,
                            );
                            let cell = *cell_index.entry(key).or_insert_with(|| {
                                cells.push(key);
                                cells.len() as u32 - 1
                            });
                            UserTerminal { site: SkySite::new(&sky, &t.site, cfg.terminal_min_elevation_deg), cell }
                        })
                        .collect(),
                ),
            };
            runs.push(SourceRun {
                name: source.name.clone(),
                kind: match &source.terminals {
                    Terminals::Positions(_) => "users",
                    Terminals::Random { ocean: false, .. } => "random",
                    Terminals::Random { ocean: true, .. } => "ocean",
                    Terminals::Portal(_) => "portal",
                },
                portal_stations: match &source.terminals {
                    Terminals::Portal(st) => st.clone(),
                    _ => Vec::new(),
                },
                terminals,
            });
            sources.push(RunSource { arrivals: Arrivals::new(source, k, inputs.seed), access, end: source.end });
        }
        let budgets: Vec<(LinkBudget, LinkBudget)> = cells
            .par_iter()
            .map(|&(la, lo)| {
                let site = Site::new(-90.0 + (la as f64 + 0.5) * CELL_DEG, -180.0 + (lo as f64 + 0.5) * CELL_DEG, 0.0);
                Ok((
                    LinkBudget::for_site(&cfg.terminal_uplink, &site)?,
                    LinkBudget::for_site(&cfg.terminal_downlink, &site)?,
                ))
            })
            .collect::<Result<_, crate::link::LinkError>>()?;

        // Portal stations and their contacts.
        let mut stations: Vec<Option<StationContacts>> = (0..inputs.stations.len()).map(|_| None).collect();
        for run in &runs {
            for &st in &run.portal_stations {
                let s = &inputs.stations[st as usize];
                stations[st as usize].get_or_insert_with(|| StationContacts {
                    site: SkySite::new(&sky, &s.site, 0.0),
                    up: Vec::new(),
                    down: Vec::new(),
                    longest_ns: 0,
                });
            }
        }
        for (i, c) in inputs.plan.contacts.iter().enumerate() {
            let (station, up) = match (c.kind, c.from, c.to) {
                (ContactKind::Uplink, Node::Station(s), _) => (s, true),
                (ContactKind::Downlink, _, Node::Station(s)) => (s, false),
                _ => continue,
            };
            if let Some(Some(sc)) = stations.get_mut(station as usize) {
                if up {
                    sc.up.push(i as u32)
                } else {
                    sc.down.push(i as u32)
                }
                sc.longest_ns = sc.longest_ns.max(c.end.unix_nanos() - c.start.unix_nanos());
            }
        }
        for sc in stations.iter_mut().flatten() {
            let contacts = &inputs.plan.contacts;
            sc.up.sort_by_key(|&c| (contacts[c as usize].start, c));
            sc.down.sort_by_key(|&c| (contacts[c as usize].start, c));
        }
        let setup_s = started.elapsed().as_secs_f64();

        // Eclipses, for power and for the eclipse table.
        let started_eclipses = Instant::now();
        // In slices of the fleet (each searched in parallel), so that progress can be shown;
        // the intervals are per satellite, so the slices' results simply concatenate.
        let slice = n.div_ceil(100).max(1);
        inputs.progress.end();
        inputs.progress.begin("eclipses", n as u64, "satellites");
        let mut eclipses = Vec::with_capacity(n);
        for part in inputs.satellites.chunks(slice) {
            eclipses.extend(find_eclipses(part, window).intervals);
            inputs.progress.advance(part.len() as u64);
        }
        inputs.progress.end();
        let eclipses_s = started_eclipses.elapsed().as_secs_f64();

        // Model availability: from the start when preinstalled; otherwise as the run announces
        // deployments (see `receive`).
        let mut holding = Availability::none(n);
        let mut versions = vec![Availability::none(n); cfg.version_released.len()];
        let serving = cfg.serving.iter().filter(|&&s| s).count();
        let mut awaiting_versions = vec![serving; versions.len()];
        let mut awaiting = 0;
        for i in (0..n).filter(|&i| cfg.serving[i]) {
            if cfg.preinstalled {
                holding.start(i as u32, inputs.start);
                versions[0].start(i as u32, inputs.start);
            } else {
                awaiting += 1;
            }
        }
        if cfg.preinstalled {
            awaiting_versions[0] = 0;
        }

        let mut server_of = vec![NONE; n];
        let mut servers = Vec::new();
        for i in 0..n {
            if !cfg.serving[i] {
                continue;
            }
            server_of[i] = servers.len() as u32;
            let sun = sunlight_steps(&eclipses[i]);
            servers.push(Server {
                sat: i as u32,
                queue: VecDeque::new(),
                running: Vec::new(),
                backlog_ns: 0,
                limited: false,
                battery: None,
                power_event: None,
                sun,
                sun_next: 0,
                last_touch: inputs.start.unix_nanos(),
                completed: 0,
                busy_ns: 0,
                slot_busy_ns: 0,
                limited_ns: 0,
                accelerator_j: 0.0,
            });
        }

        let mut model = Model {
            damaged: vec![Vec::new(); n],
            inputs,
            cfg,
            sky,
            graph,
            router: Router::new(n),
            sources,
            budgets,
            stations,
            servers,
            server_of,
            holding,
            versions,
            awaiting_versions,
            awaiting,
            parked: Vec::new(),
            parked_live: 0,
            requests: Vec::new(),
            seen: Vec::new(),
            entries: Vec::new(),
            entry_station: Vec::new(),
            target_cost: vec![0; n],
            target_station: vec![NONE; n],
            target_stamp: vec![0; n],
            target_generation: 0,
            end_ns: inputs.end.unix_nanos(),
            losses_possible: losses_possible(inputs),
        };

        let mut sim: Simulation<Ev> = Simulation::with_capacity(inputs.start, model.servers.len() * 4 + 1024);
        let started_sim = Instant::now();
        model.start(&mut sim)?;
        Ok(InferenceRun {
            model,
            sim,
            sources: runs,
            eclipses,
            times: InferenceTimes { setup_s, eclipses_s, simulation_s: started_sim.elapsed().as_secs_f64() },
        })
    }
}

impl<'a> InferenceRun<'a> {
    /// The outcome, once the engine has run to the window's end.
    pub fn finish(self) -> InferenceOutcome {
        let events = self.sim.processed();
        self.model.finish(events, self.sources, self.eclipses, self.times)
    }
}

impl Process<MissionEvent, MissionError> for InferenceRun<'_> {
    fn next_event_time(&self) -> Option<UtcTime> {
        self.sim.peek_time()
    }

    fn run_until(&mut self, limit: UtcTime, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        let started = Instant::now();
        let model = &mut self.model;
        let ran = self.sim.run_until(limit, |sim, now, ev| model.handle(sim, now, ev));
        self.times.simulation_s += started.elapsed().as_secs_f64();
        ran.map_err(InferenceError::from)?;
        Ok(())
    }

    fn receive(&mut self, at: UtcTime, event: &MissionEvent, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        match *event {
            MissionEvent::VersionDeployed { satellite, version } => {
                self.model.version_deployed(&mut self.sim, at, satellite, version).map_err(InferenceError::from)?
            }
            MissionEvent::VersionRetired { satellite, version, still_held } => self
                .model
                .version_retired(&mut self.sim, at, satellite, version, still_held)
                .map_err(InferenceError::from)?,
            MissionEvent::ChunkCorrupted { satellite, version, chunk } => self
                .model
                .chunk_corrupted(&mut self.sim, at, satellite, version, chunk)
                .map_err(InferenceError::from)?,
            MissionEvent::ChunkRepaired { satellite, version, chunk, .. } => self
                .model
                .chunk_repaired(&mut self.sim, at, satellite, version, Some(chunk))
                .map_err(InferenceError::from)?,
        }
        Ok(())
    }
}

impl<'a> Model<'a> {
    fn limit(&self) -> Option<Limit> {
        self.cfg.power.map(|p| p.limit)
    }

    fn start(&mut self, sim: &mut Simulation<Ev>) -> Result<(), ScheduleError> {
        let start = self.inputs.start;
        for k in 0..self.sources.len() {
            let s = &mut self.sources[k];
            let first = self.cfg.sources[k].start.plus_nanos(s.arrivals.next_gap_ns());
            if first < s.end {
                sim.schedule_at(first, Ev::Arrival(k as u32))?;
            }
        }
        // Only the failures of servers matter here: relays lose their links in the plan.
        let end = self.inputs.end;
        for si in 0..self.servers.len() {
            for &(down, up) in self.inputs.outages.satellite_periods(self.servers[si].sat) {
                if down >= start && down < end {
                    sim.schedule_at(down, Ev::Failed(si as u32))?;
                }
                if up > start && up < end {
                    sim.schedule_at(up, Ev::Recovered)?;
                }
            }
        }
        if let Some(power) = self.cfg.power {
            let idle = self.cfg.accelerator.idle_power_w;
            for si in 0..self.servers.len() {
                let s = &mut self.servers[si];
                let mut share = 1.0;
                while s.sun_next < s.sun.len() && s.sun[s.sun_next].0 <= start {
                    share = s.sun[s.sun_next].1;
                    s.sun_next += 1;
                }
                s.battery = Some(Battery::new(power, start, power.solar_w * share, power.bus_w + idle));
                if let Some(&(t, _)) = s.sun.get(s.sun_next) {
                    sim.schedule_at(t, Ev::Sun(si as u32))?;
                }
                self.evaluate_power(sim, start, si)?;
            }
        }
        Ok(())
    }

    fn handle(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, ev: Ev) -> Result<(), ScheduleError> {
        match ev {
            Ev::Arrival(k) => self.arrival(sim, now, k),
            Ev::Dispatch(r) => self.dispatch(sim, now, r),
            Ev::AtServer(r) => self.at_server(sim, now, r),
            Ev::JobDone(r) => self.job_done(sim, now, r),
            Ev::Deliver(r) => self.deliver(sim, now, r),
            Ev::Sun(si) => {
                let power = self.cfg.power.expect("sun events only with power");
                let s = &mut self.servers[si as usize];
                let (t, share) = s.sun[s.sun_next];
                debug_assert_eq!(t, now);
                s.sun_next += 1;
                if let Some(b) = s.battery.as_mut() {
                    b.set_generation(now, power.solar_w * share);
                }
                if let Some(&(t, _)) = s.sun.get(s.sun_next) {
                    sim.schedule_at(t.max(now), Ev::Sun(si))?;
                }
                self.evaluate_power(sim, now, si as usize)
            }
            Ev::Power(si) => {
                self.servers[si as usize].power_event = None;
                self.evaluate_power(sim, now, si as usize)
            }
            Ev::Failed(si) => self.reroute_stranded(sim, now, self.servers[si as usize].sat),
            Ev::Recovered => self.wake_parked(sim, now),
        }
    }

    /// `sat` runs `version` from `now`: if it serves, it can take questions for it, so the
    /// parked ones try again now (or give up, if their time ran out meanwhile).
    fn version_deployed(
        &mut self,
        sim: &mut Simulation<Ev>,
        now: UtcTime,
        sat: u32,
        version: u16,
    ) -> Result<(), ScheduleError> {
        let v = version as usize;
        if self.server_of[sat as usize] == NONE || self.versions[v].holds_now(sat) {
            return Ok(());
        }
        if self.versions[v].first_from(sat).is_none() {
            self.awaiting_versions[v] -= 1;
        }
        self.versions[v].start(sat, now);
        if !self.holding.holds_now(sat) {
            if self.holding.first_from(sat).is_none() {
                self.awaiting -= 1;
            }
            self.holding.start(sat, now);
        }
        self.wake_parked(sim, now)
    }

    /// A satellite can take questions it could not before: the parked ones try again now
    /// (or give up, if their time ran out meanwhile).
    fn wake_parked(&mut self, sim: &mut Simulation<Ev>, now: UtcTime) -> Result<(), ScheduleError> {
        for (r, retry) in std::mem::take(&mut self.parked) {
            // A retry that already fired re-parked its question if it had to.
            if retry.is_some_and(|id| !sim.cancel(id)) {
                continue;
            }
            if self.deadline(r) > now.unix_nanos() {
                sim.schedule_at(now, Ev::Dispatch(r))?;
            } else {
                self.close(r, Outcome::Timeout, self.deadline(r));
            }
        }
        Ok(())
    }

    /// `sat` no longer runs `version` (patched over by a delta, wiped, restarting or
    /// failed): the questions on board that need it are lost (a failing satellite retires
    /// its versions: the failure is then the reason, whichever of the two is heard first).
    fn version_retired(
        &mut self,
        sim: &mut Simulation<Ev>,
        now: UtcTime,
        sat: u32,
        version: u16,
        still_held: bool,
    ) -> Result<(), ScheduleError> {
        if !self.versions[version as usize].holds_now(sat) {
            return Ok(());
        }
        self.versions[version as usize].stop(sat, now);
        if !self.versions.iter().any(|a| a.holds_now(sat)) {
            self.holding.stop(sat, now);
        }
        self.reroute_stranded(sim, now, sat)?;
        if still_held {
            // Its chunks, corrupted ones included, are still on board.
            return Ok(());
        }
        self.chunk_repaired(sim, now, sat, version, None)
    }

    /// The scrubber of `sat` found a chunk of `version` corrupted: under the stop-serving
    /// policy its questions on board are lost.
    fn chunk_corrupted(
        &mut self,
        sim: &mut Simulation<Ev>,
        now: UtcTime,
        sat: u32,
        version: u16,
        chunk: u32,
    ) -> Result<(), ScheduleError> {
        let damaged = &mut self.damaged[sat as usize];
        damaged.push((version, chunk));
        if damaged.len() == 1 && self.inputs.upset_policy == Some(ServicePolicy::StopServing) {
            self.reroute_stranded(sim, now, sat)?;
        }
        Ok(())
    }

    /// `sat` holds chunk `chunk` of `version` intact again (or no longer runs `version`,
    /// `chunk` `None`): once nothing is damaged it serves again, so parked questions retry.
    fn chunk_repaired(
        &mut self,
        sim: &mut Simulation<Ev>,
        now: UtcTime,
        sat: u32,
        version: u16,
        chunk: Option<u32>,
    ) -> Result<(), ScheduleError> {
        let damaged = &mut self.damaged[sat as usize];
        let before = damaged.len();
        damaged.retain(|&(v, c)| v != version || chunk.is_some_and(|k| k != c));
        if before > 0 && damaged.is_empty() && self.inputs.upset_policy == Some(ServicePolicy::StopServing) {
            self.wake_parked(sim, now)?;
        }
        Ok(())
    }

    /// Takes the questions queued or computing on `sat` that it can no longer serve off it,
    /// and reroutes them.
    fn reroute_stranded(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, sat: u32) -> Result<(), ScheduleError> {
        let si = self.server_of[sat as usize];
        if si == NONE {
            return Ok(());
        }
        let si = si as usize;
        let t = now.unix_nanos();
        let (acc, limit) = (&self.cfg.accelerator, self.limit());
        let stranded = |r: u32| self.unable(sat, self.requests[r as usize].version, now).map(|why| (r, why));
        let queued: Vec<(u32, LossReason)> = self.servers[si].queue.iter().filter_map(|&(r, _)| stranded(r)).collect();
        let running: Vec<(u32, LossReason)> = self.servers[si].running.iter().filter_map(|j| stranded(j.req)).collect();
        if queued.is_empty() && running.is_empty() {
            return Ok(());
        }
        let lost = |r: u32, list: &[(u32, LossReason)]| list.iter().any(|&(q, _)| q == r);
        let s = &mut self.servers[si];
        s.touch(t, acc, limit);
        s.queue.retain(|&(r, _)| !lost(r, &queued));
        for job in s.running.iter_mut().filter(|j| lost(j.req, &running)) {
            // The question may compute elsewhere: its end here must not fire.
            if let Some(id) = job.event.take() {
                sim.cancel(id);
            }
        }
        s.running.retain(|j| !lost(j.req, &running));
        for &(r, _) in &queued {
            let req = self.requests[r as usize];
            self.servers[si].backlog_ns -= acc.service_ns(&self.cfg.model, req.prompt_tokens, req.output_tokens, 1);
        }
        self.try_start(sim, now, si)?;
        self.refresh_load(sim, now, si)?;
        for (r, why) in queued.into_iter().chain(running) {
            self.lost(sim, now, r, why)?;
        }
        Ok(())
    }

    /// Question `r` was lost on board at `now`: it goes back to routing from its source as
    /// a new attempt, unless it was rerouted `max_reroutes` times already (dropped) or its
    /// time ran out (timeout). Its phases restart, the failed attempts' time in `rerouted`.
    fn lost(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, r: u32, why: LossReason) -> Result<(), ScheduleError> {
        let t = now.unix_nanos();
        let deadline = self.deadline(r);
        let old = self.requests[r as usize];
        self.requests[r as usize].lost_to = Some(why);
        if old.reroutes >= self.cfg.max_reroutes {
            self.close(r, Outcome::Dropped, t);
            return Ok(());
        }
        if t >= deadline {
            self.close(r, Outcome::Timeout, deadline);
            return Ok(());
        }
        self.requests[r as usize] = RequestRecord {
            phases: Phases { rerouted_ns: t - old.submit.unix_nanos(), ..Phases::default() },
            asked_in_view: old.asked_in_view,
            reroutes: old.reroutes + 1,
            lost_to: Some(why),
            ..self.unrouted(old.source, old.terminal, old.submit, (old.prompt_tokens, old.output_tokens), old.version)
        };
        self.dispatch(sim, now, r)
    }

    /// The record of a question not routed yet.
    fn unrouted(
        &self,
        source: u32,
        terminal: u32,
        submit: UtcTime,
        (prompt_tokens, output_tokens): (u32, u32),
        version: Option<u16>,
    ) -> RequestRecord {
        RequestRecord {
            source,
            terminal,
            submit,
            prompt_tokens,
            output_tokens,
            version,
            entry: None,
            served_by: None,
            exit: None,
            uplink_station: None,
            downlink_station: None,
            isl_hops_out: 0,
            isl_hops_back: 0,
            phases: Phases::default(),
            outcome: Outcome::Unfinished,
            closed: self.inputs.end,
            degraded: false,
            asked_in_view: false,
            reroutes: 0,
            lost_to: None,
        }
    }

    /// Why `sat` cannot serve a question needing `version` (`None`: any) at `now`, if it
    /// cannot: it is down, it does not run the version, or (the stop-serving policy) it
    /// holds a corrupted chunk.
    fn unable(&self, sat: u32, version: Option<u16>, now: UtcTime) -> Option<LossReason> {
        if self.inputs.outages.satellite_down(sat, now) {
            return Some(LossReason::SatelliteFailed);
        }
        let runs = match version {
            None => self.holding.holds_now(sat),
            Some(v) => self.versions[v as usize].holds_now(sat),
        };
        if !runs {
            return Some(LossReason::VersionRetired);
        }
        (self.inputs.upset_policy == Some(ServicePolicy::StopServing) && !self.damaged[sat as usize].is_empty())
            .then_some(LossReason::Corrupted)
    }

    /// Whether `sat` serves questions needing `version` at `now`.
    fn runs(&self, sat: u32, version: Option<u16>, now: UtcTime) -> bool {
        self.unable(sat, version, now).is_none()
    }

    /// The version a question asked now from `source` needs.
    fn version_wanted(&self, source: u32, now: UtcTime) -> Option<u16> {
        match self.cfg.sources[source as usize].version {
            VersionWanted::Any => None,
            VersionWanted::Exactly(v) => Some(v),
            VersionWanted::Latest => (0..self.cfg.version_released.len())
                .filter(|&v| self.cfg.version_released[v] <= now)
                .max_by_key(|&v| (self.cfg.version_released[v], v))
                .map(|v| v as u16),
        }
    }

    fn close(&mut self, r: u32, outcome: Outcome, at: i64) {
        let rec = &mut self.requests[r as usize];
        rec.outcome = outcome;
        rec.closed = UtcTime::from_unix_nanos(at);
    }

    fn deadline(&self, r: u32) -> i64 {
        self.requests[r as usize].submit.unix_nanos().saturating_add(self.cfg.timeout_ns)
    }

    fn arrival(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, k: u32) -> Result<(), ScheduleError> {
        let source = &self.cfg.sources[k as usize];
        let run = &mut self.sources[k as usize];
        let draw = run.arrivals.draw(source);
        let next = now.plus_nanos(run.arrivals.next_gap_ns());
        if next < run.end {
            sim.schedule_at(next, Ev::Arrival(k))?;
        }
        let r = self.requests.len() as u32;
        let question = self.unrouted(k, draw.terminal, now, (draw.prompt, draw.output), self.version_wanted(k, now));
        self.requests.push(question);
        self.dispatch(sim, now, r)
    }

    /// Satellites the request's source can send to now, with the uplink cost of each.
    fn collect_entries(&mut self, r: u32, now: UtcTime) {
        let req = self.requests[r as usize];
        let bytes = self.cfg.message_bytes(req.prompt_tokens);
        self.entries.clear();
        self.entry_station.clear();
        match &self.sources[req.source as usize].access {
            Access::Users(terminals) => {
                let term = &terminals[req.terminal as usize];
                self.sky.visible(&term.site, now, &mut self.seen);
                let budget = &self.budgets[term.cell as usize].0;
                let isl = !self.graph.is_empty();
                for s in &self.seen {
                    let i = s.satellite as usize;
                    // Without links only a satellite holding the model can take the question.
                    if !(if isl {
                        (self.graph.has_isl(s.satellite) || self.server_of[i] != NONE)
                            && !self.inputs.outages.satellite_down(s.satellite, now)
                    } else {
                        self.runs(s.satellite, req.version, now)
                    }) {
                        continue;
                    }
                    let rate = budget.rate_bps(s.elevation_deg, s.range_km);
                    if rate > 0 {
                        self.entries.push((s.satellite, transmit_ns(bytes, rate) + light_time_ns(s.range_km)));
                        self.entry_station.push(NONE);
                    }
                }
            }
            Access::Portal(list) => {
                let contacts = &self.inputs.plan.contacts;
                for &st in list {
                    let Some(sc) = &self.stations[st as usize] else { continue };
                    for (sat, up) in station_paths(contacts, &sc.up, sc, &self.sky, now, bytes) {
                        if self.inputs.outages.satellite_down(sat, now) {
                            continue;
                        }
                        match self.entries.iter().position(|e| e.0 == sat) {
                            Some(i) if self.entries[i].1 <= up => {}
                            Some(i) => {
                                self.entries[i].1 = up;
                                self.entry_station[i] = st;
                            }
                            None => {
                                self.entries.push((sat, up));
                                self.entry_station.push(st);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Whether an answer could go down to request `r`'s source from `sat` at `t` (used to
    /// avoid servers that will have left the user's view).
    fn reachable_at(&self, r: u32, sat: u32, t: UtcTime) -> bool {
        let req = &self.requests[r as usize];
        match &self.sources[req.source as usize].access {
            Access::Users(terminals) => {
                let term = &terminals[req.terminal as usize];
                self.sky.look(&term.site, sat, t).is_some_and(|(el, _)| el >= self.cfg.terminal_min_elevation_deg)
            }
            Access::Portal(list) => list.iter().any(|&st| {
                self.stations[st as usize].as_ref().is_some_and(|sc| {
                    active(&self.inputs.plan.contacts, &sc.down, sc.longest_ns, t)
                        .any(|c| self.inputs.plan.contacts[c as usize].satellite() == Some(sat))
                })
            }),
        }
    }

    /// Prices a hop over ISL contact `contact` from `a` to `b` at `t` for `bytes`.
    fn hop_ns(&self, a: u32, b: u32, contact: u32, t: UtcTime, bytes: u64) -> Option<i64> {
        let rate = self.inputs.plan.contacts[contact as usize].profile.rate_at(t);
        if rate == 0 {
            return None;
        }
        let range = self.sky.range_km(a, b, t)?;
        Some(transmit_ns(bytes, rate) + light_time_ns(range) + self.cfg.isl_hop_ns)
    }

    fn dispatch(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, r: u32) -> Result<(), ScheduleError> {
        let deadline = self.deadline(r);
        if now.unix_nanos() >= deadline {
            self.close(r, Outcome::Timeout, deadline);
            return Ok(());
        }
        self.graph.advance(now);
        self.collect_entries(r, now);
        let req = self.requests[r as usize];
        let t = now.unix_nanos();
        let bytes = self.cfg.message_bytes(req.prompt_tokens);
        let acc = &self.cfg.accelerator;
        let model: &ModelCompute = &self.cfg.model;
        let limit = self.limit();
        let mut full_seen = false;
        let entries = std::mem::take(&mut self.entries);
        let mut router = std::mem::take(&mut self.router);
        // Every server costs at least this request's own service time at full speed: the
        // search stops once no unsettled satellite can beat the best found.
        let min_extra = acc.service_ns(model, req.prompt_tokens, req.output_tokens, 1);
        let route = router.search(
            &self.graph,
            &entries,
            min_extra,
            self.cfg.max_isl_hops,
            |a, b, c| self.hop_ns(a, b, c, now, bytes),
            |v, d, best| {
                let si = self.server_of[v as usize];
                if si == NONE {
                    return None;
                }
                // Only a satellite that holds the model now: nobody can know when another
                // will receive it.
                if !self.runs(v, req.version, now) {
                    return None;
                }
                let at = t + d;
                let s = &self.servers[si as usize];
                if s.queue.len() as u32 >= acc.queue_limit {
                    full_seen = true;
                    return None;
                }
                let batch = (s.running.len() as u32 + 1).min(acc.max_batch);
                let speed = s.speed(limit);
                let service = acc.service_ns(model, req.prompt_tokens, req.output_tokens, batch);
                let service = if speed > 0.0 { (service as f64 / speed) as i64 } else { service };
                let mut extra = s.expected_wait_ns(at, acc, limit) + service;
                // The view check below only adds cost: skip it when this cannot win anyway.
                if best.is_some_and(|b| d + extra > b) {
                    return None;
                }
                if !self.graph.has_isl(v) && !self.reachable_at(r, v, UtcTime::from_unix_nanos(at + extra)) {
                    extra += OUT_OF_VIEW_PENALTY_NS;
                }
                Some(extra)
            },
        );
        self.router = router;
        self.entries = entries;
        match route {
            Some(route) => {
                let up = self.entries.iter().find(|e| e.0 == route.source).map_or(0, |e| e.1);
                let station = self.entries.iter().position(|e| e.0 == route.source).map(|i| self.entry_station[i]);
                let rec = &mut self.requests[r as usize];
                rec.entry = Some(route.source);
                rec.served_by = Some(route.target);
                rec.isl_hops_out = route.hops;
                rec.uplink_station = station.filter(|&s| s != NONE);
                rec.phases.uplink_wait_ns = t - rec.submit.unix_nanos() - rec.phases.rerouted_ns;
                rec.asked_in_view |= rec.reroutes == 0 && rec.phases.uplink_wait_ns == 0;
                rec.phases.up_ns = up;
                rec.phases.isl_out_ns = route.path_ns - up;
                sim.schedule_at(now.plus_nanos(route.path_ns), Ev::AtServer(r))?;
            }
            None if full_seen => self.close(r, Outcome::Rejected, t),
            None => {
                let next = self.next_uplink_chance(r, now, deadline);
                let retry = match next {
                    Some(at) if at.unix_nanos() < deadline => Some(sim.schedule_at(at, Ev::Dispatch(r))?),
                    _ => None,
                };
                let awaiting = match req.version {
                    None => self.awaiting,
                    Some(v) => self.awaiting_versions[v as usize],
                };
                // A server may still come: one that never ran the version yet, or for a
                // question lost on board, its server back from a restart, repair or failure.
                if awaiting > 0 || req.reroutes > 0 {
                    // Retries that fired leave stale entries: drop them when they pile up.
                    if self.parked.len() >= 2 * self.parked_live.max(1024) {
                        self.parked.retain(|&(_, id)| id.is_none_or(|id| sim.is_pending(id)));
                        self.parked_live = self.parked.len();
                    }
                    self.parked.push((r, retry));
                } else if retry.is_none() {
                    self.close(r, Outcome::Timeout, deadline);
                }
            }
        }
        Ok(())
    }

    /// When a waiting question might next find a way up: a satellite rising over the user,
    /// a portal contact starting, or (with ISLs) a periodic retry. (A deployment is not
    /// foreseen: it wakes the parked questions when it happens.)
    fn next_uplink_chance(&self, r: u32, now: UtcTime, deadline: i64) -> Option<UtcTime> {
        let req = &self.requests[r as usize];
        let until = UtcTime::from_unix_nanos(deadline);
        let mut best: Option<UtcTime> = None;
        let mut consider = |t: Option<UtcTime>| {
            if let Some(t) = t.filter(|&t| t > now) {
                best = Some(best.map_or(t, |b| b.min(t)));
            }
        };
        match &self.sources[req.source as usize].access {
            Access::Users(terminals) => {
                let term = &terminals[req.terminal as usize];
                // Without links only a satellite that serves can take the question (one
                // that receives the model later wakes the question then: see `receive`).
                let isl = !self.graph.is_empty();
                let usable = |i: u32| {
                    if isl {
                        self.graph.has_isl(i) || self.server_of[i as usize] != NONE
                    } else {
                        self.runs(i, req.version, now)
                    }
                };
                consider(self.sky.next_rise(&term.site, now, until, usable).map(|(t, _)| t));
            }
            Access::Portal(list) => {
                for &st in list {
                    if let Some(sc) = &self.stations[st as usize] {
                        consider(next_contact(&self.inputs.plan.contacts, &sc.up, now, None));
                    }
                }
            }
        }
        if !self.graph.is_empty() {
            consider(Some(now.plus_nanos(ISL_RETRY_NS)));
        }
        best
    }

    fn at_server(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, r: u32) -> Result<(), ScheduleError> {
        let deadline = self.deadline(r);
        if now.unix_nanos() >= deadline {
            self.close(r, Outcome::Timeout, deadline);
            return Ok(());
        }
        let req = self.requests[r as usize];
        let sat = req.served_by.expect("routed requests have a server");
        if let Some(why) = self.unable(sat, req.version, now) {
            return self.lost(sim, now, r, why);
        }
        let si = self.server_of[sat as usize] as usize;
        let acc = &self.cfg.accelerator;
        let s = &mut self.servers[si];
        if s.queue.len() as u32 >= acc.queue_limit {
            self.close(r, Outcome::Rejected, now.unix_nanos());
            return Ok(());
        }
        s.backlog_ns += acc.service_ns(&self.cfg.model, req.prompt_tokens, req.output_tokens, 1);
        s.queue.push_back((r, now.unix_nanos()));
        self.try_start(sim, now, si)
    }

    /// Starts queued requests while the batch has room and power allows.
    fn try_start(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, si: usize) -> Result<(), ScheduleError> {
        let t = now.unix_nanos();
        let limit = self.limit();
        let acc = &self.cfg.accelerator;
        let mut changed = false;
        loop {
            let s = &self.servers[si];
            let speed = s.speed(limit);
            if s.running.len() as u32 >= acc.max_batch || speed == 0.0 {
                break;
            }
            let Some(&(r, arrived)) = s.queue.front() else { break };
            let req = self.requests[r as usize];
            let deadline = self.deadline(r);
            let s = &mut self.servers[si];
            s.queue.pop_front();
            s.backlog_ns -= acc.service_ns(&self.cfg.model, req.prompt_tokens, req.output_tokens, 1);
            if t >= deadline {
                self.close(r, Outcome::Timeout, deadline);
                continue;
            }
            s.touch(t, acc, limit);
            let batch = s.running.len() as u32 + 1;
            let work = acc.service_ns(&self.cfg.model, req.prompt_tokens, req.output_tokens, batch) as f64;
            let finish = t + (work / speed).ceil() as i64;
            let event = sim.schedule_at(UtcTime::from_unix_nanos(finish), Ev::JobDone(r))?;
            s.running.push(Job { req: r, started: t, work_left_ns: work, last: t, event: Some(event) });
            self.requests[r as usize].phases.queue_ns = t - arrived;
            changed = true;
        }
        if changed {
            self.refresh_load(sim, now, si)?;
        }
        Ok(())
    }

    fn job_done(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, r: u32) -> Result<(), ScheduleError> {
        let t = now.unix_nanos();
        let sat = self.requests[r as usize].served_by.expect("computed requests have a server");
        let si = self.server_of[sat as usize] as usize;
        let limit = self.limit();
        let s = &mut self.servers[si];
        s.touch(t, &self.cfg.accelerator, limit);
        let Some(k) = s.running.iter().position(|j| j.req == r) else {
            return Ok(());
        };
        let job = s.running.swap_remove(k);
        s.completed += 1;
        // Under the degraded policy a satellite with a corrupted chunk still answers.
        self.requests[r as usize].degraded |= !self.damaged[sat as usize].is_empty();
        self.requests[r as usize].phases.compute_ns = t - job.started;
        self.try_start(sim, now, si)?;
        self.refresh_load(sim, now, si)?;
        self.deliver(sim, now, r)
    }

    /// The downlink cost from each satellite the source can receive from at `now`, stamped
    /// into `target_cost`.
    fn collect_targets(&mut self, r: u32, now: UtcTime) {
        self.target_generation = self.target_generation.wrapping_add(1);
        if self.target_generation == 0 {
            self.target_stamp.iter_mut().for_each(|s| *s = 0);
            self.target_generation = 1;
        }
        let g = self.target_generation;
        let req = self.requests[r as usize];
        let bytes = self.cfg.message_bytes(req.output_tokens);
        match &self.sources[req.source as usize].access {
            Access::Users(terminals) => {
                let term = &terminals[req.terminal as usize];
                let server = req.served_by.expect("answers have a server");
                if self.graph.has_isl(server) {
                    self.sky.visible(&term.site, now, &mut self.seen);
                } else {
                    // Only the server itself can send the answer down: look at it alone.
                    self.seen.clear();
                    if let Some((el, range)) = self.sky.look(&term.site, server, now)
                        && el >= self.cfg.terminal_min_elevation_deg
                    {
                        self.seen.push(Seen { satellite: server, elevation_deg: el, range_km: range });
                    }
                }
                let budget = &self.budgets[term.cell as usize].1;
                for s in &self.seen {
                    let rate = budget.rate_bps(s.elevation_deg, s.range_km);
                    if rate > 0 && !self.inputs.outages.satellite_down(s.satellite, now) {
                        let i = s.satellite as usize;
                        self.target_stamp[i] = g;
                        self.target_cost[i] = transmit_ns(bytes, rate) + light_time_ns(s.range_km);
                        self.target_station[i] = NONE;
                    }
                }
            }
            Access::Portal(list) => {
                let contacts = &self.inputs.plan.contacts;
                for &st in list {
                    let Some(sc) = &self.stations[st as usize] else { continue };
                    for (sat, cost) in station_paths(contacts, &sc.down, sc, &self.sky, now, bytes) {
                        let i = sat as usize;
                        if self.inputs.outages.satellite_down(sat, now) {
                            continue;
                        }
                        if self.target_stamp[i] != g || cost < self.target_cost[i] {
                            self.target_stamp[i] = g;
                            self.target_cost[i] = cost;
                            self.target_station[i] = st;
                        }
                    }
                }
            }
        }
    }

    fn deliver(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, r: u32) -> Result<(), ScheduleError> {
        let deadline = self.deadline(r);
        let t = now.unix_nanos();
        if t >= deadline {
            self.close(r, Outcome::Timeout, deadline);
            return Ok(());
        }
        let req = self.requests[r as usize];
        let server = req.served_by.expect("answers have a server");
        let p = &req.phases;
        let ready = req.submit.unix_nanos()
            + p.rerouted_ns
            + p.uplink_wait_ns
            + p.up_ns
            + p.isl_out_ns
            + p.queue_ns
            + p.compute_ns;
        // An answer waiting on board is lost with its server.
        if self.inputs.outages.satellite_down(server, now)
            || self.inputs.outages.satellite_down_within(server, UtcTime::from_unix_nanos(ready), now)
        {
            return self.lost(sim, now, r, LossReason::SatelliteFailed);
        }
        self.graph.advance(now);
        self.collect_targets(r, now);
        let bytes = self.cfg.message_bytes(req.output_tokens);
        let g = self.target_generation;
        let mut router = std::mem::take(&mut self.router);
        let route: Option<Route> = router.search(
            &self.graph,
            &[(server, 0)],
            0,
            self.cfg.max_isl_hops,
            |a, b, c| self.hop_ns(a, b, c, now, bytes),
            |v, _, _| (self.target_stamp[v as usize] == g).then(|| self.target_cost[v as usize]),
        );
        self.router = router;
        match route {
            Some(route) => {
                let station = self.target_station[route.target as usize];
                let end = self.end_ns;
                let rec = &mut self.requests[r as usize];
                let p = &mut rec.phases;
                p.answer_wait_ns = t - ready;
                p.isl_back_ns = route.path_ns;
                p.down_ns = route.extra_ns;
                rec.exit = Some(route.target);
                rec.isl_hops_back = route.hops;
                rec.downlink_station = (station != NONE).then_some(station);
                let answer = t + route.total_ns();
                if answer > deadline {
                    self.close(r, Outcome::Timeout, deadline);
                } else if answer > end {
                    self.close(r, Outcome::Unfinished, end);
                } else {
                    self.close(r, Outcome::Answered, answer);
                }
            }
            None => {
                let until = UtcTime::from_unix_nanos(deadline);
                let isl = self.graph.has_isl(server);
                let mut next: Option<UtcTime> = None;
                let mut consider = |c: Option<UtcTime>| {
                    if let Some(c) = c.filter(|&c| c > now) {
                        next = Some(next.map_or(c, |b| b.min(c)));
                    }
                };
                match &self.sources[req.source as usize].access {
                    Access::Users(terminals) => {
                        let term = &terminals[req.terminal as usize];
                        let usable = |i: u32| if isl { self.graph.has_isl(i) || i == server } else { i == server };
                        consider(self.sky.next_rise(&term.site, now, until, usable).map(|(t, _)| t));
                    }
                    Access::Portal(list) => {
                        for &st in list {
                            if let Some(sc) = &self.stations[st as usize] {
                                let only = (!isl).then_some(server);
                                consider(next_contact(&self.inputs.plan.contacts, &sc.down, now, only));
                            }
                        }
                    }
                }
                if isl {
                    consider(Some(now.plus_nanos(ISL_RETRY_NS)));
                }
                match next {
                    Some(at) if at.unix_nanos() < deadline => {
                        sim.schedule_at(at, Ev::Deliver(r))?;
                    }
                    _ => self.close(r, Outcome::Timeout, deadline),
                }
            }
        }
        Ok(())
    }

    /// Brings the battery's load up to date after the batch or mode changed.
    fn refresh_load(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, si: usize) -> Result<(), ScheduleError> {
        let Some(power) = self.cfg.power else { return Ok(()) };
        let limit = self.limit();
        let s = &mut self.servers[si];
        let load = power.bus_w + s.draw_w(&self.cfg.accelerator, limit);
        if let Some(b) = s.battery.as_mut()
            && b.load_w() != load
        {
            b.set_load(now, load);
            return self.evaluate_power(sim, now, si);
        }
        Ok(())
    }

    /// Applies floor and resume transitions at `now` and schedules the next crossing.
    fn evaluate_power(&mut self, sim: &mut Simulation<Ev>, now: UtcTime, si: usize) -> Result<(), ScheduleError> {
        let Some(power) = self.cfg.power else { return Ok(()) };
        for _ in 0..4 {
            let s = &mut self.servers[si];
            let Some(b) = s.battery.as_mut() else { return Ok(()) };
            b.advance(now);
            let (e, net) = (b.energy_j(), b.net_w());
            if !s.limited && e <= power.floor_j + ENERGY_EPS_J && net < 0.0 {
                self.set_limited(sim, now, si, true)?;
            } else if s.limited && e >= power.resume_j - ENERGY_EPS_J {
                self.set_limited(sim, now, si, false)?;
                self.try_start(sim, now, si)?;
            } else {
                break;
            }
        }
        let s = &mut self.servers[si];
        if let Some(id) = s.power_event.take() {
            sim.cancel(id);
        }
        let Some(b) = s.battery.as_ref() else { return Ok(()) };
        let delay = if !s.limited && b.net_w() < 0.0 {
            b.delay_to(power.floor_j)
        } else if s.limited && b.net_w() > 0.0 {
            b.delay_to(power.resume_j)
        } else {
            None
        };
        if let Some(d) = delay {
            let at = now.unix_nanos().saturating_add(d.max(1));
            if at <= self.end_ns {
                s.power_event = Some(sim.schedule_at(UtcTime::from_unix_nanos(at), Ev::Power(si as u32))?);
            }
        }
        Ok(())
    }

    /// Enters or leaves the power-limited mode: running jobs change speed.
    fn set_limited(
        &mut self,
        sim: &mut Simulation<Ev>,
        now: UtcTime,
        si: usize,
        limited: bool,
    ) -> Result<(), ScheduleError> {
        let t = now.unix_nanos();
        let limit = self.limit();
        let acc = &self.cfg.accelerator;
        let s = &mut self.servers[si];
        s.touch(t, acc, limit);
        let old = s.speed(limit);
        s.limited = limited;
        let new = s.speed(limit);
        for job in &mut s.running {
            job.work_left_ns = (job.work_left_ns - (t - job.last) as f64 * old).max(0.0);
            job.last = t;
            if let Some(id) = job.event.take() {
                sim.cancel(id);
            }
            if new > 0.0 {
                let finish = t + (job.work_left_ns / new).ceil() as i64;
                job.event = Some(sim.schedule_at(UtcTime::from_unix_nanos(finish), Ev::JobDone(job.req))?);
            }
        }
        let power = self.cfg.power.expect("limits only with power");
        let load = power.bus_w + s.draw_w(acc, limit);
        if let Some(b) = s.battery.as_mut() {
            b.set_load(now, load);
        }
        Ok(())
    }

    fn finish(
        mut self,
        events: u64,
        sources: Vec<SourceRun>,
        eclipses: Vec<Vec<crate::access::eclipse::EclipseInterval>>,
        times: InferenceTimes,
    ) -> InferenceOutcome {
        // Parked with no retry, a question waited for a deployment that never came in time.
        for (r, retry) in std::mem::take(&mut self.parked) {
            if retry.is_none() {
                self.close(r, Outcome::Timeout, self.deadline(r));
            }
        }
        let end = self.end_ns;
        let limit = self.limit();
        let window = Window { start: self.inputs.start, end: self.inputs.end };
        let mut servers = Vec::with_capacity(self.servers.len());
        for s in &mut self.servers {
            s.touch(end, &self.cfg.accelerator, limit);
            if let Some(b) = s.battery.as_mut() {
                b.advance(self.inputs.end);
            }
            servers.push(ServerRecord {
                satellite: s.sat,
                model_from: self.holding.first_from(s.sat),
                completed: s.completed,
                busy_ns: s.busy_ns,
                slot_busy_ns: s.slot_busy_ns,
                limited_ns: s.limited_ns,
                accelerator_j: s.accelerator_j,
                energy: s.battery.as_ref().map(|b| *b.account()),
                final_state_of_charge: s.battery.as_ref().map(|b| b.state_of_charge()),
                capacity_j: s.battery.as_ref().map(|b| b.config().capacity_j),
                eclipse_fraction: eclipse_fractions(&eclipses[s.sat as usize], window).shadow(),
            });
        }
        InferenceOutcome {
            requests: self.requests,
            sources,
            servers,
            eclipses,
            availability: self.holding,
            versions: self.versions,
            events,
            snapshots: self.sky.snapshots_built(),
            route_nodes: self.router.settled,
            trajectory_bytes: self.sky.trajectory_bytes(),
            losses_possible: self.losses_possible,
            times,
        }
    }
}
