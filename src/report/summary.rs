//! The numbers a run is judged by — its headline — and the forms they take: `summary.json`,
//! the console lines, and what report.html and the sweep table show. Each metric is
//! defined here once.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::contacts::ContactsSummary;
use super::inference::{InferenceSummary, inference_console};
use super::{iso, iso_opt};
use crate::contact::Node;
use crate::mission::rollout::SatelliteUpload;
use crate::mission::rollout::spec::RolloutStrategy;
use crate::pipeline::RunResult;
use crate::scenario::Scenario;
use crate::time::{UtcTime, format_duration};
use crate::units::Bytes;

/// Everything `summary.json` holds, typed: the one place each headline metric is defined.
/// The console lines, report.html and the sweep table read it. Serialised with sorted keys
/// and no wall-clock times, so the same scenario and seed give byte-identical files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub orbsim_version: &'static str,
    #[serde(serialize_with = "iso")]
    pub start_utc: UtcTime,
    #[serde(serialize_with = "iso")]
    pub end_utc: UtcTime,
    pub satellites: usize,
    pub stations: usize,
    pub model: ModelSummary,
    pub uplink: UplinkSummary,
    pub contact_plan: PlanSummary,
    /// Ground contact per station and satellite, when the run built any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<ContactsSummary>,
    pub upload: UploadSummary,
    /// Present when the scenario serves inference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference: Option<InferenceSummary>,
    /// Each registered mission model's section, by its name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub missions: BTreeMap<&'static str, serde_json::Value>,
    /// How each formation cluster held, when the fleet has any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<ClusterSummary>,
}

/// How a formation cluster held over the run (from [`crate::pipeline::ClusterView`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSummary {
    pub name: String,
    pub satellites: usize,
    /// Closest pair, farthest pair and radius about the centroid at the start, m.
    pub start_min_separation_m: f64,
    pub start_max_separation_m: f64,
    pub start_radius_m: f64,
    /// The same at the end of the run.
    pub end_min_separation_m: f64,
    pub end_max_separation_m: f64,
    pub end_radius_m: f64,
    /// Extremes over every sample of the run.
    pub min_separation_m: f64,
    pub max_separation_m: f64,
    pub max_radius_m: f64,
    pub station_keeping_resets: usize,
    /// Estimated formation-keeping Δv, mean over the satellites, per day of the run, m/s.
    pub delta_v_m_s_per_satellite_day: f64,
}

impl ClusterSummary {
    fn new(view: &crate::pipeline::ClusterView, days: f64) -> Option<ClusterSummary> {
        let samples = &view.hold.samples;
        let (first, last) = (samples.first()?, samples.last()?);
        let extreme = |f: fn(&crate::orbit::cluster::HoldSample) -> f64, max: bool| {
            samples.iter().map(f).fold(if max { 0.0 } else { f64::INFINITY }, if max { f64::max } else { f64::min })
        };
        let total_delta_v: f64 = view.hold.resets.iter().flat_map(|r| &r.delta_v_m_s).sum();
        Some(ClusterSummary {
            name: view.name.clone(),
            satellites: view.count,
            start_min_separation_m: first.min_separation_m,
            start_max_separation_m: first.max_separation_m,
            start_radius_m: first.radius_m,
            end_min_separation_m: last.min_separation_m,
            end_max_separation_m: last.max_separation_m,
            end_radius_m: last.radius_m,
            min_separation_m: extreme(|s| s.min_separation_m, false),
            max_separation_m: extreme(|s| s.max_separation_m, true),
            max_radius_m: extreme(|s| s.radius_m, true),
            station_keeping_resets: view.hold.resets.len(),
            delta_v_m_s_per_satellite_day: total_delta_v / view.count.max(1) as f64 / days,
        })
    }

    /// One console line.
    fn console_line(&self) -> String {
        let keeping = match self.station_keeping_resets {
            0 => "no station-keeping".to_string(),
            n => format!(
                "{n} station-keeping resets, Δv ≈ {:.3} m/s per satellite-day",
                self.delta_v_m_s_per_satellite_day
            ),
        };
        format!(
            "  cluster {} ({} satellites): separation {:.0}–{:.0} m at the start, {:.0}–{:.0} m at the end ({:.0}–{:.0} m over the run); radius {:.0} m → {:.0} m (at most {:.0} m); {keeping}",
            self.name,
            self.satellites,
            self.start_min_separation_m,
            self.start_max_separation_m,
            self.end_min_separation_m,
            self.end_max_separation_m,
            self.min_separation_m,
            self.max_separation_m,
            self.start_radius_m,
            self.end_radius_m,
            self.max_radius_m,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSummary {
    pub name: String,
    pub size_bytes: u64,
    pub transfer_bytes: u64,
    pub chunk_payload_bytes: u64,
    pub chunk_header_bytes: u64,
    pub chunks: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UplinkSummary {
    pub preset: String,
    pub setup_time_s: f64,
    pub min_elevation_deg: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSummary {
    pub passes: usize,
    pub contacts: usize,
    pub retired_satellites: Vec<RetiredSatellite>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetiredSatellite {
    pub satellite: String,
    #[serde(serialize_with = "iso")]
    pub time_utc: UtcTime,
    pub reason: String,
}

/// The upload and rollout: how far and how fast the model spread, and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadSummary {
    /// As the scenario spells it (`ground-only`, `relay`, `swarm`).
    pub strategy: RolloutStrategy,
    /// Satellites meant to run the model, and those that do by the end.
    pub targets: usize,
    pub deployed: usize,
    /// Time from the start until 50, 90, 99 and 100 % of the targets run the model, ns.
    #[serde(skip)]
    pub time_to_fraction: [(u32, Option<i64>); 4],
    pub hours_to_50_percent: Option<f64>,
    pub hours_to_90_percent: Option<f64>,
    pub hours_to_99_percent: Option<f64>,
    pub hours_to_100_percent: Option<f64>,
    /// Ground contacts that carried bytes, over all satellites.
    pub ground_passes_used: u64,
    /// Payload bytes satellites received new from the ground and over inter-satellite links.
    pub ground_payload_bytes: u64,
    pub isl_payload_bytes: u64,
    /// Every byte sent over inter-satellite links.
    pub isl_bytes_sent: u64,
    /// Ground passes used per deployed, ground-fed satellite.
    pub passes_used_min: Option<u32>,
    pub passes_used_median: Option<u32>,
    pub passes_used_max: Option<u32>,
    #[serde(serialize_with = "iso_opt")]
    pub first_deployed_utc: Option<UtcTime>,
    #[serde(serialize_with = "iso_opt")]
    pub last_deployed_utc: Option<UtcTime>,
    /// Every byte the ground stations sent (headers, retransmissions, cut chunks).
    pub bytes_sent: u64,
    pub retransmitted_bytes: u64,
    pub sessions: usize,
    pub events: u64,
    pub per_satellite_first_20: Vec<SatelliteSummary>,
}

impl UploadSummary {
    /// Goodput of the ground links: payload bytes they delivered that were new to the
    /// satellite, over every byte they sent (1 = nothing wasted). `None` until a target
    /// deployed: bytes that built no running model are not quoted as useful.
    pub fn ground_goodput(&self) -> Option<f64> {
        (self.bytes_sent > 0 && self.deployed > 0).then(|| self.ground_payload_bytes as f64 / self.bytes_sent as f64)
    }

    /// Passes used per deployed ground-fed satellite: min, median, max.
    pub fn passes_used(&self) -> Option<(u32, u32, u32)> {
        Some((self.passes_used_min?, self.passes_used_median?, self.passes_used_max?))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SatelliteSummary {
    pub satellite: String,
    pub passes_used: u32,
    pub stations_used: u32,
    #[serde(serialize_with = "iso_opt")]
    pub first_byte_utc: Option<UtcTime>,
    #[serde(serialize_with = "iso_opt")]
    pub last_chunk_utc: Option<UtcTime>,
    #[serde(serialize_with = "iso_opt")]
    pub stored_utc: Option<UtcTime>,
    #[serde(serialize_with = "iso_opt")]
    pub verified_utc: Option<UtcTime>,
    #[serde(serialize_with = "iso_opt")]
    pub decompressed_utc: Option<UtcTime>,
    #[serde(serialize_with = "iso_opt")]
    pub deployed_utc: Option<UtcTime>,
    pub total_bytes_sent: u64,
    pub retransmitted_bytes: u64,
    pub goodput_efficiency: Option<f64>,
    pub received_from: Option<String>,
}

impl RunSummary {
    pub fn new(scenario: &Scenario, result: &RunResult) -> RunSummary {
        let m = &scenario.model;
        RunSummary {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            seed: scenario.seed,
            orbsim_version: env!("CARGO_PKG_VERSION"),
            start_utc: scenario.start,
            end_utc: scenario.end,
            satellites: scenario.satellites.len(),
            stations: scenario.stations.len(),
            model: ModelSummary {
                name: m.name.clone(),
                size_bytes: m.size_bytes,
                transfer_bytes: m.transfer_bytes,
                chunk_payload_bytes: m.chunk_payload,
                chunk_header_bytes: m.chunk_header,
                chunks: m.chunks,
            },
            uplink: UplinkSummary {
                preset: scenario.uplink.name.clone(),
                setup_time_s: scenario.uplink.setup_time_s,
                min_elevation_deg: scenario.uplink.min_elevation_deg,
            },
            contact_plan: PlanSummary {
                passes: result.plan.passes.len(),
                contacts: result.plan.contacts.len(),
                retired_satellites: result
                    .plan
                    .retirements
                    .iter()
                    .map(|r| RetiredSatellite {
                        satellite: scenario.satellites[r.satellite].name.clone(),
                        time_utc: r.time,
                        reason: r.reason.to_string(),
                    })
                    .collect(),
            },
            contacts: result.contact_stats.as_ref().map(|c| ContactsSummary::new(scenario, c)),
            upload: UploadSummary::new(scenario, result),
            inference: result.inference.as_ref().and_then(|i| InferenceSummary::new(scenario, i)),
            missions: result.missions.iter().map(|m| (m.name, m.summary.clone())).collect(),
            clusters: {
                let days = scenario.end.seconds_since(scenario.start) / 86_400.0;
                result.views.clusters.iter().filter_map(|v| ClusterSummary::new(v, days)).collect()
            },
        }
    }

    /// `summary.json`'s content.
    pub fn to_json(&self) -> serde_json::Value {
        // Through a JSON value, so keys come out sorted whatever the field order.
        serde_json::to_value(self).expect("a run summary is plain data")
    }
}

impl UploadSummary {
    pub fn new(scenario: &Scenario, result: &RunResult) -> UploadSummary {
        let sats = &result.upload.satellites;
        let deployed: Vec<&SatelliteUpload> = sats.iter().filter(|s| s.target && s.deployed.is_some()).collect();
        let mut passes: Vec<u32> = deployed.iter().filter(|s| s.passes_used > 0).map(|s| s.passes_used).collect();
        passes.sort_unstable();
        let targets = scenario.targets.iter().filter(|&&t| t).count();
        let mut times: Vec<i64> =
            deployed.iter().filter_map(|s| s.deployed).map(|t| t.unix_nanos() - scenario.start.unix_nanos()).collect();
        times.sort_unstable();
        let time_to = |percent: u32| {
            let needed = (targets as u64 * percent as u64).div_ceil(100).max(1) as usize;
            (percent, times.get(needed - 1).copied())
        };
        let time_to_fraction = [time_to(50), time_to(90), time_to(99), time_to(100)];
        let hours = |i: usize| time_to_fraction[i].1.map(|ns| ns as f64 / 3.6e12);
        let median = |v: &[u32]| (!v.is_empty()).then(|| v[v.len() / 2]);
        let per_satellite_first_20 = sats
            .iter()
            .enumerate()
            .filter(|(_, s)| s.target)
            .take(20)
            .map(|(i, s)| SatelliteSummary {
                satellite: scenario.satellites[i].name.clone(),
                passes_used: s.passes_used,
                stations_used: s.stations_used,
                first_byte_utc: s.first_byte,
                last_chunk_utc: s.last_chunk,
                stored_utc: s.stored,
                verified_utc: s.verified,
                decompressed_utc: s.decompressed,
                deployed_utc: s.deployed,
                total_bytes_sent: s.total_bytes_sent,
                retransmitted_bytes: s.retransmitted_bytes,
                goodput_efficiency: s.goodput_efficiency(scenario.model.transfer_bytes),
                received_from: s.received_from.map(|n| node_name(scenario, n)),
            })
            .collect();
        UploadSummary {
            strategy: scenario.rollout.strategy,
            targets,
            deployed: deployed.len(),
            time_to_fraction,
            hours_to_50_percent: hours(0),
            hours_to_90_percent: hours(1),
            hours_to_99_percent: hours(2),
            hours_to_100_percent: hours(3),
            ground_passes_used: sats.iter().map(|s| s.passes_used as u64).sum(),
            ground_payload_bytes: sats.iter().map(|s| s.ground_bytes_received).sum(),
            isl_payload_bytes: sats.iter().map(|s| s.isl_bytes_received).sum(),
            isl_bytes_sent: result.upload.isl_bytes,
            passes_used_min: passes.first().copied(),
            passes_used_median: median(&passes),
            passes_used_max: passes.last().copied(),
            first_deployed_utc: deployed.iter().filter_map(|s| s.deployed).min(),
            last_deployed_utc: deployed.iter().filter_map(|s| s.deployed).max(),
            bytes_sent: sats.iter().map(|s| s.total_bytes_sent).sum(),
            retransmitted_bytes: sats.iter().map(|s| s.retransmitted_bytes).sum(),
            sessions: result.upload.sessions.len(),
            events: result.upload.events,
            per_satellite_first_20,
        }
    }
}

/// The name of a contact end.
pub fn node_name(scenario: &Scenario, node: Node) -> String {
    match node {
        Node::Station(i) => scenario.stations[i as usize].name.clone(),
        Node::Satellite(i) => scenario.satellites[i as usize].name.clone(),
    }
}

/// Satellites holding the model and running it over time: one row per instant either
/// count changes, with both counts after the change.
pub fn rollout_curve(satellites: &[SatelliteUpload]) -> Vec<(UtcTime, u32, u32)> {
    let mut changes: Vec<(UtcTime, bool)> = Vec::new();
    for s in satellites.iter().filter(|s| s.target) {
        changes.extend(s.last_chunk.map(|t| (t, false)));
        changes.extend(s.deployed.map(|t| (t, true)));
    }
    changes.sort();
    let (mut holding, mut deployed) = (0, 0);
    let mut rows: Vec<(UtcTime, u32, u32)> = Vec::new();
    for (t, is_deploy) in changes {
        if is_deploy {
            deployed += 1
        } else {
            holding += 1
        }
        match rows.last_mut() {
            Some(last) if last.0 == t => *last = (t, holding, deployed),
            _ => rows.push((t, holding, deployed)),
        }
    }
    rows
}

/// A few lines for the console, from the run's `summary`.
pub fn console_summary(scenario: &Scenario, result: &RunResult, summary: &RunSummary, out_dir: &Path) -> String {
    let h = &summary.upload;
    let inference_lines = || match (&summary.inference, &result.inference) {
        (Some(inference), Some(outcome)) => inference_console(inference, &outcome.times),
        _ => Vec::new(),
    };
    let m = &scenario.model;
    if h.targets == 0 {
        // Nothing to upload (the model is preinstalled): the run is its inference.
        let mut lines = vec![format!(
            "{}: {} preinstalled on board, {} satellites, {} → {}",
            scenario.name,
            m.name,
            scenario.satellites.len(),
            scenario.start.iso_millis(),
            scenario.end.iso_millis()
        )];
        lines.extend(inference_lines());
        lines.extend(summary.contacts.iter().flat_map(ContactsSummary::console_lines));
        lines.extend(mission_lines(result));
        lines.extend(summary.clusters.iter().map(ClusterSummary::console_line));
        lines.push(format!("  outputs in {}", out_dir.display()));
        return lines.join("\n");
    }
    let mut lines = vec![format!(
        "{}: {} ({} in {} chunks of {}) to {} satellite{} from {} station{}, {} → {}",
        scenario.name,
        m.name,
        Bytes(m.transfer_bytes),
        m.chunks,
        Bytes(m.chunk_payload),
        h.targets,
        if h.targets == 1 { "" } else { "s" },
        scenario.stations.len(),
        if scenario.stations.len() == 1 { "" } else { "s" },
        scenario.start.iso_millis(),
        scenario.end.iso_millis()
    )];
    let targets: Vec<(usize, &SatelliteUpload)> =
        result.upload.satellites.iter().enumerate().filter(|(_, s)| s.target).collect();
    let preinstalled = scenario.inference.as_ref().is_some_and(|i| i.preinstalled);
    if preinstalled {
        // The model was on board from the start: the upload carried the releases (and
        // whatever was lost on board); `missions.versions` tells how they spread.
        lines[0] = format!(
            "{}: {} preinstalled on {} satellites; releases sent from {} station{}, {} → {}",
            scenario.name,
            m.name,
            h.targets,
            scenario.stations.len(),
            if scenario.stations.len() == 1 { "" } else { "s" },
            scenario.start.iso_millis(),
            scenario.end.iso_millis()
        );
        if h.deployed < h.targets {
            lines.push(format!("  the model runs on {} of {} satellites at the end", h.deployed, h.targets));
        }
    } else if targets.len() <= 3 {
        for (i, s) in &targets {
            let name = &scenario.satellites[*i].name;
            match s.deployed {
                Some(deployed) => lines.push(format!(
                    "  {name}: {} passes over {} station{}; first byte {}, last chunk {}, verified {}, deployed {}",
                    s.passes_used,
                    s.stations_used,
                    if s.stations_used == 1 { "" } else { "s" },
                    s.first_byte.map_or("-".into(), |t| t.iso_millis()),
                    s.last_chunk.map_or("-".into(), |t| t.iso_millis()),
                    s.verified.map_or("-".into(), |t| t.iso_millis()),
                    deployed.iso_millis()
                )),
                None => lines.push(format!(
                    "  {name}: not complete by the end of the window: {} of {} chunks after {} passes",
                    s.chunks_received, m.chunks, s.passes_used
                )),
            }
        }
    } else {
        lines.push(format!("  deployed on {} of {} satellites", h.deployed, h.targets));
        let reached: Vec<String> = h
            .time_to_fraction
            .iter()
            .filter_map(|(p, t)| t.map(|t| format!("{p} % in {}", format_duration(t))))
            .collect();
        let missed: Vec<String> =
            h.time_to_fraction.iter().filter(|(_, t)| t.is_none()).map(|(p, _)| format!("{p} %")).collect();
        match (reached.is_empty(), missed.is_empty()) {
            (false, true) => lines.push(format!("  time to deploy on {}", reached.join(", "))),
            (false, false) => lines.push(format!(
                "  time to deploy on {}; {} not reached within the window",
                reached.join(", "),
                missed.join(", ")
            )),
            (true, _) => lines.push("  no target deployed within the window".into()),
        }
        if let (Some(first), Some(last)) = (h.first_deployed_utc, h.last_deployed_utc) {
            lines.push(format!("  first deployed {first}, last {last}"));
        }
        if let Some((lo, mid, hi)) = h.passes_used() {
            lines.push(format!(
                "  ground passes per ground-fed satellite: median {mid} (min {lo}, max {hi}); {} in all",
                h.ground_passes_used
            ));
        }
        if h.isl_payload_bytes > 0 {
            lines.push(format!(
                "  payload received: {} from the ground, {} over inter-satellite links",
                Bytes(h.ground_payload_bytes),
                Bytes(h.isl_payload_bytes)
            ));
        }
    }
    if h.bytes_sent > 0 {
        lines.push(format!(
            "  ground stations sent {} ({} retransmitted{})",
            Bytes(h.bytes_sent),
            Bytes(h.retransmitted_bytes),
            h.ground_goodput().map_or(String::new(), |goodput| format!("; goodput {:.1} %", 100.0 * goodput))
        ));
    }
    lines.extend(inference_lines());
    lines.extend(summary.contacts.iter().flat_map(ContactsSummary::console_lines));
    lines.extend(mission_lines(result));
    lines.extend(summary.clusters.iter().map(ClusterSummary::console_line));
    lines.push(format!(
        "  {} passes, {} contacts, {} events; plan {:.2} s, simulation {:.2} s; outputs in {}",
        summary.contact_plan.passes,
        summary.contact_plan.contacts,
        h.events,
        result.times.contact_plan_s,
        result.times.simulation_s,
        out_dir.display()
    ));
    lines.join("\n")
}

/// The registered mission models' console lines: one per headline item, after the model's name.
pub fn mission_lines(result: &RunResult) -> impl Iterator<Item = String> + '_ {
    result.missions.iter().flat_map(|m| m.headline.iter().map(move |line| format!("  {}: {line}", m.name)))
}
