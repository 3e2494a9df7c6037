//! Radiation upsets in the stored weights, and the scrubber that finds them: a mission
//! model made when the scenario has `[upsets]` (with `[scrub]`).
//!
//! Each planned satellite's upsets over the window come from
//! [`crate::access::radiation::generate_upsets_of`] (one stream per satellite, so they do
//! not depend on the rest of the fleet) for a memory as large as every version of the
//! model together. An upset lands in the weights only if its address falls within the
//! bytes of the versions the satellite runs at that instant (from
//! [`MissionEvent::VersionDeployed`] and [`MissionEvent::VersionRetired`]): that keeps
//! the upsets of the weights a Poisson process whose intensity follows the memory in use,
//! with the struck bit uniform over it. The address then names a version (in version
//! order) and a chunk of its artifact (`transfer_bytes` in chunks of `chunk_payload`).
//!
//! A single-bit upset EDAC corrects is logged and changes nothing. Any other corrupts its
//! chunk. The scrubber reads every chunk once per `[scrub] period`, phased from the
//! satellite's first deployment, and checks its hash: the corruption is found at the
//! first scrub boundary strictly after the upset, and announced then as
//! [`MissionEvent::ChunkCorrupted`]. Upsets of a chunk already corrupted and not yet
//! repaired are found with it, or by their own first scrub if it was found before them. A [`MissionEvent::ChunkRepaired`] from the
//! rollout closes every fault of its chunk; a corruption whose version the satellite
//! stops running before it is found or repaired ends with it.

pub mod spec;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::access::Window;
use crate::access::radiation::{SAA, Upset, generate_upsets_of};
use crate::contact::Node;
use crate::engine::{Bus, Process, Simulation};
use crate::mission::rollout::spec::Model;
use crate::mission::{
    MissionChart, MissionContext, MissionError, MissionEvent, MissionFigure, MissionModel, MissionReport, MissionTable,
};
use crate::time::{NANOS_PER_SECOND, UtcTime, format_duration};
use orbsim_plot::{GroundTrack, LineChart, MapPoints, PALETTE, Rgb, Series, SeriesKind, WorldMap};
use spec::{ServicePolicy, UpsetConfig};

/// Most upsets of one kind drawn on the map of upset locations (beyond it, a regular
/// sample).
const MAP_POINTS_PER_KIND: usize = 20_000;

/// The header of `faults.csv`.
pub const FAULTS_HEADER: [&str; 11] = [
    "time_utc",
    "satellite",
    "kind",
    "version",
    "chunk",
    "lat_deg",
    "lon_deg",
    "detected_utc",
    "repaired_utc",
    "repair_source",
    "bytes_resent",
];

/// What an upset in the weights did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// A single-bit upset EDAC corrected.
    Corrected,
    /// The chunk no longer matches its hash.
    Corrupted,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Corrected => "upset-corrected",
            FaultKind::Corrupted => "chunk-corrupted",
        }
    }
}

/// One upset in the weights and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub time: UtcTime,
    pub satellite: u32,
    pub kind: FaultKind,
    pub version: u16,
    /// Chunk of the version's artifact, from 0.
    pub chunk: u32,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub detected: Option<UtcTime>,
    pub repaired: Option<UtcTime>,
    pub repair_source: Option<Node>,
    /// Payload and headers sent again to repair it.
    pub bytes_resent: u64,
    /// The version stopped running before the corruption was repaired.
    pub version_gone: Option<UtcTime>,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    /// The `index`-th upset of `satellite` strikes.
    Upset { satellite: u32, index: u32 },
    /// The scrubber reaches the chunk of fault `fault`.
    Scrub { fault: u32 },
}

#[derive(Default)]
struct SatelliteState {
    /// The versions it runs, as a bit set (version k: bit k).
    running: u64,
    /// Its first deployment: the scrubber's phase.
    first_deployed: Option<UtcTime>,
    /// Faults of each corrupted chunk (version, chunk) not yet repaired, and whether the
    /// corruption has been found.
    corrupted: BTreeMap<(u16, u32), (Vec<u32>, bool)>,
}

/// The model (module docs).
pub struct Upsets<'a> {
    context: MissionContext<'a>,
    config: &'a UpsetConfig,
    /// The model and its releases: the versions' artifacts.
    versions: Vec<&'a Model>,
    upsets: Vec<Vec<Upset>>,
    sim: Simulation<Event>,
    sats: Vec<SatelliteState>,
    faults: Vec<Fault>,
    /// Upsets that struck memory not holding weights (or a satellite running none).
    outside_weights: u64,
    /// Announcements waiting for the bus.
    outbox: Vec<MissionEvent>,
    service: Service,
}

/// How many satellites run a version and how many of them serve (under the stop-serving
/// policy, those holding no corrupted chunk found and not yet repaired), against time.
#[derive(Default)]
struct Service {
    running: u32,
    serving: u32,
    since: Option<UtcTime>,
    /// Satellite-seconds running and serving up to `since`.
    running_s: f64,
    serving_s: f64,
    /// Satellites serving from each change on.
    steps: Vec<(UtcTime, u32)>,
}

impl Service {
    /// A satellite went from `before` to `after` (running, serving) at `at`.
    fn change(&mut self, at: UtcTime, before: (bool, bool), after: (bool, bool)) {
        if before == after {
            return;
        }
        self.advance(at);
        self.running = self.running + u32::from(after.0) - u32::from(before.0);
        self.serving = self.serving + u32::from(after.1) - u32::from(before.1);
        match self.steps.last_mut() {
            Some(last) if last.0 == at => last.1 = self.serving,
            _ => self.steps.push((at, self.serving)),
        }
    }

    fn advance(&mut self, to: UtcTime) {
        if let Some(since) = self.since {
            let seconds = (to.unix_nanos() - since.unix_nanos()) as f64 / NANOS_PER_SECOND as f64;
            self.running_s += self.running as f64 * seconds;
            self.serving_s += self.serving as f64 * seconds;
        }
        self.since = Some(to);
    }

    /// Share of the satellite-time running a version that was spent serving, up to `end`.
    fn availability(&self, end: UtcTime) -> Option<f64> {
        let mut until_end = Service { steps: Vec::new(), ..*self };
        until_end.advance(end);
        (until_end.running_s > 0.0).then(|| until_end.serving_s / until_end.running_s)
    }
}

/// The factory of [`crate::mission::REGISTRY`]: a model when the scenario has `[upsets]`.
pub fn upsets_model<'a>(context: &MissionContext<'a>) -> Option<Box<dyn MissionModel<'a> + 'a>> {
    let config = context.upsets?;
    let versions: Vec<&Model> =
        std::iter::once(context.model).chain(context.releases.iter().map(|r| &r.artifact)).collect();
    let bits = versions.iter().map(|m| m.transfer_bytes * 8).sum();
    let window = Window { start: context.start, end: context.end };
    let search =
        generate_upsets_of(&config.environment, context.satellites, context.planned, window, bits, context.seed);
    let mut sim = Simulation::with_capacity(context.start, search.upsets.iter().map(Vec::len).sum());
    for (satellite, upsets) in search.upsets.iter().enumerate() {
        for (index, upset) in upsets.iter().enumerate() {
            let event = Event::Upset { satellite: satellite as u32, index: index as u32 };
            sim.schedule_at(upset.time, event).expect("upsets fall within the window");
        }
    }
    Some(Box::new(Upsets {
        context: *context,
        config,
        versions,
        upsets: search.upsets,
        sim,
        sats: (0..context.satellites.len()).map(|_| SatelliteState::default()).collect(),
        faults: Vec::new(),
        outside_weights: 0,
        outbox: Vec::new(),
        service: Service::default(),
    }))
}

impl Upsets<'_> {
    /// Whether `satellite` runs a version, and whether it serves.
    fn status(&self, satellite: u32) -> (bool, bool) {
        let state = &self.sats[satellite as usize];
        let running = state.running != 0;
        let stopped =
            self.config.policy == ServicePolicy::StopServing && state.corrupted.values().any(|&(_, found)| found);
        (running, running && !stopped)
    }

    /// Applies `mutate` to the model's state of `satellite` at `at`, following its service.
    fn update(&mut self, satellite: u32, at: UtcTime, mutate: impl FnOnce(&mut Self)) {
        let before = self.status(satellite);
        mutate(self);
        let after = self.status(satellite);
        self.service.change(at, before, after);
    }

    fn handle(&mut self, sim: &mut Simulation<Event>, now: UtcTime, event: Event) -> Result<(), MissionError> {
        match event {
            Event::Upset { satellite, index } => {
                let upset = self.upsets[satellite as usize][index as usize];
                self.strike(sim, satellite, &upset)?;
            }
            Event::Scrub { fault } => {
                let f = &self.faults[fault as usize];
                let (satellite, key) = (f.satellite, (f.version, f.chunk));
                // Repaired, or gone with its version, before the scrubber came.
                let Some(&(_, found)) = self.sats[satellite as usize].corrupted.get(&key) else {
                    return Ok(());
                };
                if found {
                    // A later upset of a chunk already found: the scrubber finds it again.
                    self.faults[fault as usize].detected = Some(now);
                    return Ok(());
                }
                self.update(satellite, now, |m| {
                    let (faults, found) = m.sats[satellite as usize].corrupted.get_mut(&key).expect("looked up above");
                    *found = true;
                    for &k in faults.iter() {
                        m.faults[k as usize].detected = Some(now);
                    }
                });
                self.outbox.push(MissionEvent::ChunkCorrupted { satellite, version: key.0, chunk: key.1 });
                sim.stop();
            }
        }
        Ok(())
    }

    /// Books an upset: where in the weights it struck, and what it did there.
    fn strike(&mut self, sim: &mut Simulation<Event>, satellite: u32, upset: &Upset) -> Result<(), MissionError> {
        let state = &self.sats[satellite as usize];
        let Some((version, byte)) = locate(&self.versions, state.running, upset.bit / 8) else {
            self.outside_weights += 1;
            return Ok(());
        };
        let artifact = self.versions[version as usize];
        let chunk = (byte / artifact.chunk_payload) as u32;
        let kind = if upset.corrected_by_edac { FaultKind::Corrected } else { FaultKind::Corrupted };
        let index = self.faults.len() as u32;
        self.faults.push(Fault {
            time: upset.time,
            satellite,
            kind,
            version,
            chunk,
            lat_deg: upset.lat_deg,
            lon_deg: upset.lon_deg,
            detected: None,
            repaired: None,
            repair_source: None,
            bytes_resent: 0,
            version_gone: None,
        });
        if kind == FaultKind::Corrected {
            return Ok(());
        }
        let phase = state.first_deployed.expect("a satellite running a version has deployed one");
        let scrub = next_scrub(phase, self.config.scrub_period_ns, upset.time);
        let state = &mut self.sats[satellite as usize];
        let (faults, _) = state.corrupted.entry((version, chunk)).or_default();
        faults.push(index);
        if scrub < self.context.end {
            sim.schedule_at(scrub, Event::Scrub { fault: index })?;
        }
        Ok(())
    }

    /// `satellite` no longer holds `version`: its corruptions are gone with it.
    fn retire(&mut self, at: UtcTime, satellite: u32, version: u16) {
        let state = &mut self.sats[satellite as usize];
        state.running &= !(1 << version);
        let gone: Vec<(u16, u32)> =
            state.corrupted.range((version, 0)..=(version, u32::MAX)).map(|(k, _)| *k).collect();
        for key in gone {
            let (faults, _) = state.corrupted.remove(&key).expect("listed above");
            for k in faults {
                self.faults[k as usize].version_gone = Some(at);
            }
        }
    }
}

/// The version and byte within its artifact of byte `byte` of the memory, the versions run
/// (the set `running`) laid out one after the other in version order; `None` past them.
fn locate(versions: &[&Model], running: u64, mut byte: u64) -> Option<(u16, u64)> {
    for (k, model) in versions.iter().enumerate() {
        if running & (1 << k) == 0 {
            continue;
        }
        if byte < model.transfer_bytes {
            return Some((k as u16, byte));
        }
        byte -= model.transfer_bytes;
    }
    None
}

/// The first scrub after `at` (strictly), scrubs falling every `period_ns` from `phase`.
fn next_scrub(phase: UtcTime, period_ns: i64, at: UtcTime) -> UtcTime {
    let elapsed = at.unix_nanos() - phase.unix_nanos();
    phase.plus_nanos((elapsed.div_euclid(period_ns) + 1) * period_ns)
}

impl Process<MissionEvent, MissionError> for Upsets<'_> {
    fn next_event_time(&self) -> Option<UtcTime> {
        self.sim.peek_time()
    }

    fn run_until(&mut self, limit: UtcTime, bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        let mut sim = std::mem::replace(&mut self.sim, Simulation::new(self.context.start));
        let ran = sim.run_until(limit, |sim, now, event| self.handle(sim, now, event));
        self.sim = sim;
        ran?;
        let now = self.sim.now();
        for event in self.outbox.drain(..) {
            bus.publish_at(now, event)?;
        }
        Ok(())
    }

    fn receive(&mut self, at: UtcTime, event: &MissionEvent, _bus: &mut Bus<MissionEvent>) -> Result<(), MissionError> {
        match *event {
            MissionEvent::VersionDeployed { satellite, version } => self.update(satellite, at, |m| {
                let state = &mut m.sats[satellite as usize];
                state.running |= 1 << version;
                state.first_deployed.get_or_insert(at);
            }),
            // A restart or a failure that keeps the storage keeps the chunks, and their
            // corruptions, in memory.
            MissionEvent::VersionRetired { still_held: true, .. } => {}
            MissionEvent::VersionRetired { satellite, version, still_held: false } => {
                self.update(satellite, at, |m| m.retire(at, satellite, version))
            }
            MissionEvent::ChunkRepaired { satellite, version, chunk, from, bytes } => self.update(satellite, at, |m| {
                let state = &mut m.sats[satellite as usize];
                if let Some((faults, _)) = state.corrupted.remove(&(version, chunk)) {
                    // The bytes were sent once for the chunk: booked to its first fault.
                    for (n, k) in faults.into_iter().enumerate() {
                        let fault = &mut m.faults[k as usize];
                        fault.repaired = Some(at);
                        fault.repair_source = Some(from);
                        fault.bytes_resent = if n == 0 { bytes } else { 0 };
                    }
                }
            }),
            MissionEvent::ChunkCorrupted { .. } => {}
        }
        Ok(())
    }
}

/// The model's section of summary.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpsetsSummary {
    pub policy: &'static str,
    pub scrub_period_s: f64,
    /// Upsets in the weights, and how many EDAC corrected and how many corrupted a chunk.
    pub upsets: usize,
    pub corrected: usize,
    pub corrupted: usize,
    /// Upsets that struck memory holding no weights (or a satellite running none).
    pub outside_weights: u64,
    pub detected: usize,
    pub repaired: usize,
    /// Corruptions neither repaired nor gone with their version at the end of the window.
    pub unrepaired_at_end: usize,
    pub mean_detection_delay_s: Option<f64>,
    pub mean_time_to_repair_s: Option<f64>,
    pub bytes_resent: u64,
    /// Share of the satellite-time spent running a version during which the satellites
    /// served (under stop-serving, not while holding a found, unrepaired corrupted chunk).
    pub availability_share: Option<f64>,
}

impl Upsets<'_> {
    fn summary(&self) -> UpsetsSummary {
        let corrupted: Vec<&Fault> = self.faults.iter().filter(|f| f.kind == FaultKind::Corrupted).collect();
        let seconds =
            |from: UtcTime, to: UtcTime| (to.unix_nanos() - from.unix_nanos()) as f64 / NANOS_PER_SECOND as f64;
        let mean = |values: Vec<f64>| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
        UpsetsSummary {
            policy: self.config.policy.name(),
            scrub_period_s: self.config.scrub_period_ns as f64 / NANOS_PER_SECOND as f64,
            upsets: self.faults.len(),
            corrected: self.faults.len() - corrupted.len(),
            corrupted: corrupted.len(),
            outside_weights: self.outside_weights,
            detected: corrupted.iter().filter(|f| f.detected.is_some()).count(),
            repaired: corrupted.iter().filter(|f| f.repaired.is_some()).count(),
            unrepaired_at_end: corrupted.iter().filter(|f| f.repaired.is_none() && f.version_gone.is_none()).count(),
            mean_detection_delay_s: mean(corrupted.iter().filter_map(|f| Some(seconds(f.time, f.detected?))).collect()),
            mean_time_to_repair_s: mean(corrupted.iter().filter_map(|f| Some(seconds(f.time, f.repaired?))).collect()),
            bytes_resent: corrupted.iter().map(|f| f.bytes_resent).sum(),
            availability_share: self.service.availability(self.context.end),
        }
    }

    /// Where the upsets in the weights struck, with the SAA region's outline.
    fn locations_figure(&self) -> MissionFigure {
        const CORRECTED: &str = "corrected by EDAC";
        const CORRUPTED: &str = "corrupted a chunk";
        // Every k-th upset of a kind beyond MAP_POINTS_PER_KIND: the map shows where they
        // strike, which a sample tells as well, and a 30-day fleet run has hundreds of
        // thousands (each a vector mark in the SVG and the report).
        let mut thinned = Vec::new();
        let mut at = |kind: FaultKind, label: &str| -> Vec<(f64, f64)> {
            let total = self.faults.iter().filter(|f| f.kind == kind).count();
            let stride = total.div_ceil(MAP_POINTS_PER_KIND).max(1);
            if stride > 1 {
                thinned.push(format!("{label}: 1 in {stride} of {total} shown"));
            }
            self.faults.iter().filter(|f| f.kind == kind).step_by(stride).map(|f| (f.lon_deg, f.lat_deg)).collect()
        };
        let (corrected, corrupted) = (at(FaultKind::Corrected, CORRECTED), at(FaultKind::Corrupted, CORRUPTED));
        let sampled = if thinned.is_empty() { String::new() } else { format!(" ({})", thinned.join("; ")) };
        let saa = (0..=120)
            .map(|k| {
                let angle = k as f64 * std::f64::consts::TAU / 120.0;
                (
                    SAA.center_lon_deg + SAA.lon_radius_deg * angle.cos(),
                    SAA.center_lat_deg + SAA.lat_radius_deg * angle.sin(),
                )
            })
            .collect();
        MissionFigure {
            name: "upset_locations".into(),
            chart: MissionChart::Map(WorldMap {
                title: "Upsets in the stored weights".into(),
                subtitle: format!(
                    "{} satellites, where each upset struck{sampled}",
                    self.context.planned.iter().filter(|&&p| p).count()
                ),
                tracks: vec![GroundTrack {
                    colour: Some(Rgb(0x55, 0x55, 0x55)),
                    ..GroundTrack::new("SAA region", saa)
                }],
                points: vec![
                    MapPoints { name: CORRECTED.into(), points: corrected, colour: PALETTE[0] },
                    MapPoints { name: CORRUPTED.into(), points: corrupted, colour: PALETTE[1] },
                ],
                ..WorldMap::default()
            }),
        }
    }

    /// Satellites serving against time.
    fn service_figure(&self) -> MissionFigure {
        let mut points = self.service.steps.iter().map(|&(t, n)| (t, n as f64)).collect::<Vec<_>>();
        if let Some(&(_, last)) = points.last() {
            points.push((self.context.end, last));
        }
        MissionFigure {
            name: "service_availability".into(),
            chart: MissionChart::Time(LineChart {
                title: "Satellites serving".into(),
                subtitle: format!(
                    "policy {}, scrub every {}",
                    self.config.policy.name(),
                    format_duration(self.config.scrub_period_ns)
                ),
                x_label: "Time".into(),
                y_label: "Satellites serving".into(),
                series: vec![Series::new("serving", SeriesKind::Step, points)],
                ..LineChart::default()
            }),
        }
    }

    fn faults_table(&self) -> MissionTable {
        let time = |t: Option<UtcTime>| t.map_or_else(String::new, |t| t.to_string());
        let node = |n: Option<Node>| match n {
            Some(Node::Station(s)) => self.context.stations[s as usize].name.clone(),
            Some(Node::Satellite(s)) => self.context.satellites[s as usize].name.clone(),
            None => String::new(),
        };
        let rows = self
            .faults
            .iter()
            .map(|f| {
                vec![
                    f.time.to_string(),
                    self.context.satellites[f.satellite as usize].name.clone(),
                    f.kind.name().into(),
                    self.versions[f.version as usize].name.clone(),
                    f.chunk.to_string(),
                    format!("{:.3}", f.lat_deg),
                    format!("{:.3}", f.lon_deg),
                    time(f.detected),
                    time(f.repaired),
                    node(f.repair_source),
                    f.bytes_resent.to_string(),
                ]
            })
            .collect();
        MissionTable { file: "faults.csv".into(), header: FAULTS_HEADER.map(String::from).to_vec(), rows }
    }
}

impl<'a> MissionModel<'a> for Upsets<'a> {
    fn name(&self) -> &'static str {
        "upsets"
    }

    fn report(&self) -> MissionReport {
        let summary = self.summary();
        let mut headline = vec![format!(
            "upsets in the weights: {} ({} corrected by EDAC, {} corrupted a chunk)",
            summary.upsets, summary.corrected, summary.corrupted
        )];
        if summary.corrupted > 0 {
            headline.push(format!(
                "corrupted chunks: {} detected, {} repaired, {} unrepaired at the end",
                summary.detected, summary.repaired, summary.unrepaired_at_end
            ));
        }
        MissionReport {
            name: self.name(),
            summary: serde_json::to_value(&summary).expect("plain data"),
            headline,
            tables: vec![self.faults_table()],
            figures: vec![self.locations_figure(), self.service_figure()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str, transfer_bytes: u64, chunk_payload: u64) -> Model {
        Model {
            name: name.into(),
            size_bytes: transfer_bytes,
            transfer_bytes,
            chunk_payload,
            chunk_header: 0,
            chunks: transfer_bytes.div_ceil(chunk_payload) as u32,
        }
    }

    #[test]
    fn addresses_map_over_the_running_versions_in_order() {
        let (a, b, c) = (model("a", 100, 10), model("b", 50, 10), model("c", 30, 10));
        let versions = [&a, &b, &c];
        assert_eq!(locate(&versions, 0, 0), None);
        assert_eq!(locate(&versions, 0b101, 0), Some((0, 0)));
        assert_eq!(locate(&versions, 0b101, 99), Some((0, 99)));
        assert_eq!(locate(&versions, 0b101, 100), Some((2, 0)));
        assert_eq!(locate(&versions, 0b101, 129), Some((2, 29)));
        assert_eq!(locate(&versions, 0b101, 130), None);
        assert_eq!(locate(&versions, 0b010, 49), Some((1, 49)));
    }

    #[test]
    fn scrubs_fall_on_the_period_after_the_upset() {
        let phase = UtcTime::from_unix_nanos(1_000);
        assert_eq!(next_scrub(phase, 100, UtcTime::from_unix_nanos(1_000)).unix_nanos(), 1_100);
        assert_eq!(next_scrub(phase, 100, UtcTime::from_unix_nanos(1_099)).unix_nanos(), 1_100);
        assert_eq!(next_scrub(phase, 100, UtcTime::from_unix_nanos(1_100)).unix_nanos(), 1_200);
        assert_eq!(next_scrub(phase, 100, UtcTime::from_unix_nanos(1_250)).unix_nanos(), 1_300);
    }
}
