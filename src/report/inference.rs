//! The inference run's files: every request (`inference_requests.csv`), every serving
//! satellite (`inference_satellites.csv`), every user terminal (`inference_terminals.csv`),
//! eclipse intervals (`eclipses.csv`) and the `inference` object of `summary.json`. Its
//! figures (latency CDF, eclipse timeline) are drawn with the run's in [`super::figures`].
//!
//! Phase durations are written in seconds with nine decimals, i.e. exact nanoseconds, so
//! the decomposition `[rerouted_s +] uplink_wait_s + up_s + isl_out_s + queue_s + compute_s
//! + answer_wait_s + isl_back_s + down_s = latency_s` can be checked from the file itself
//! (`rerouted_s` is there when a question can be lost on board in the scenario).

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::plot::{CdfChart, SampleSet, Scale};
use super::tables::{CsvRow, write_rows_parallel};
use super::{WriteError, iso_opt, write_atomically};
use crate::access::eclipse::write_eclipses_csv;
use crate::mission::inference::{
    InferenceConfig, InferenceOutcome, InferenceTimes, Outcome, Phases, RequestRecord, ServerRecord, percentile,
};
use crate::mission::power::JOULES_PER_WH;
use crate::scenario::Scenario;
use crate::time::{NANOS_PER_SECOND, UtcTime};

/// Columns of `inference_requests.csv`: the columns first, then the details.
pub const REQUESTS_HEADER: &str = "id,source,submit_utc,uplink_utc,served_by,isl_hops,queue_s,compute_s,answer_utc,latency_s,outcome,source_group,prompt_tokens,output_tokens,entry_satellite,exit_satellite,isl_hops_back,uplink_station,downlink_station,uplink_wait_s,up_s,isl_out_s,answer_wait_s,isl_back_s,down_s";

/// Columns of `inference_satellites.csv`.
pub const SATELLITES_HEADER: &str = "satellite,model_from_utc,completed,busy_s,busy_share,slot_utilisation,limited_s,accelerator_wh,solar_wh,supplied_wh,spilled_wh,deficit_wh,min_state_of_charge,final_state_of_charge,below_floor_s,eclipse_share";

/// Columns of `inference_terminals.csv`: where each user terminal is (portals have none).
pub const TERMINALS_HEADER: &str = "source,terminal,lat_deg,lon_deg";

/// Answers within this many seconds count as "under two minutes" (the demonstration's
/// reported figure).
pub const TWO_MINUTES_S: f64 = 120.0;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_none_or_zero(v: &Option<f64>) -> bool {
    v.is_none_or(|v| v == 0.0)
}

fn seconds(ns: i64) -> f64 {
    ns as f64 / NANOS_PER_SECOND as f64
}

fn opt_time(row: &mut CsvRow, t: Option<UtcTime>) {
    match t {
        Some(t) => row.time(t),
        None => row.text(""),
    };
}

/// Writes the inference files into `dir` and returns their paths; the per-satellite
/// numbers come from `summary`, so the table and `summary.json` agree.
pub fn write_inference(
    dir: &Path,
    scenario: &Scenario,
    outcome: &InferenceOutcome,
    summary: &InferenceSummary,
) -> Result<Vec<PathBuf>, WriteError> {
    let sats = &scenario.satellites;
    let stations = &scenario.stations;
    let mut written = Vec::new();
    // With releases, each question names the version it needed (empty: any).
    let versions: Option<Vec<&str>> = (!scenario.releases.is_empty()).then(|| {
        std::iter::once(scenario.model.name.as_str())
            .chain(scenario.releases.iter().map(|r| r.artifact.name.as_str()))
            .collect()
    });
    let path = dir.join("inference_requests.csv");
    write_atomically(&path, |w| {
        let version_column = if versions.is_some() { ",version" } else { "" };
        // With upsets, whether a satellite holding a corrupted chunk answered it.
        let upsets = scenario.upsets.is_some();
        let degraded_column = if upsets { ",degraded" } else { "" };
        // Where a question can be lost on board, how often it was and why, last.
        let losses = outcome.losses_possible;
        let loss_columns = if losses { ",rerouted_s,reroutes,lost_to" } else { "" };
        writeln!(w, "{REQUESTS_HEADER}{version_column}{degraded_column}{loss_columns}")?;
        let rows: Vec<(usize, &RequestRecord)> = outcome.requests.iter().enumerate().collect();
        write_rows_parallel(w, &rows, |row, &(id, r)| {
            let source = &outcome.sources[r.source as usize];
            let sat = |s: Option<u32>| s.map_or("", |s| sats[s as usize].name.as_str());
            let station = |s: Option<u32>| s.map_or("", |s| stations[s as usize].name.as_str());
            let p = &r.phases;
            row.int(id as u64).text(source.terminal_name(r.terminal)).time(r.submit);
            opt_time(row, r.uplink_time());
            row.text(sat(r.served_by))
                .int(r.isl_hops_out)
                .fixed(seconds(p.queue_ns), 9)
                .fixed(seconds(p.compute_ns), 9);
            opt_time(row, r.answer_time());
            match r.latency_ns() {
                Some(l) => row.fixed(seconds(l), 9),
                None => row.text(""),
            };
            row.text(r.outcome.label())
                .text(&source.name)
                .int(r.prompt_tokens)
                .int(r.output_tokens)
                .text(sat(r.entry))
                .text(sat(r.exit))
                .int(r.isl_hops_back)
                .text(station(r.uplink_station))
                .text(station(r.downlink_station))
                .fixed(seconds(p.uplink_wait_ns), 9)
                .fixed(seconds(p.up_ns), 9)
                .fixed(seconds(p.isl_out_ns), 9)
                .fixed(seconds(p.answer_wait_ns), 9)
                .fixed(seconds(p.isl_back_ns), 9)
                .fixed(seconds(p.down_ns), 9);
            if let Some(names) = &versions {
                row.text(r.version.map_or("", |v| names[v as usize]));
            }
            if upsets {
                row.text(if r.degraded { "true" } else { "false" });
            }
            if losses {
                row.fixed(seconds(p.rerouted_ns), 9).int(r.reroutes).text(r.lost_to.map_or("", |why| why.label()));
            }
        })
    })?;
    written.push(path);

    let path = dir.join("inference_satellites.csv");
    write_atomically(&path, |w| {
        writeln!(w, "{SATELLITES_HEADER}")?;
        let rows: Vec<(&ServerRecord, &ServerSummary)> = outcome.servers.iter().zip(&summary.per_satellite).collect();
        write_rows_parallel(w, &rows, |row, &(s, v)| {
            row.text(&v.satellite);
            opt_time(row, v.model_from_utc);
            row.int(v.completed)
                .fixed(seconds(s.busy_ns), 3)
                .fixed(v.busy_share, 6)
                .fixed(v.slot_utilisation, 6)
                .fixed(v.limited_s, 3)
                .fixed(v.accelerator_wh, 3);
            match &v.energy {
                Some(e @ ServerEnergy { final_state_of_charge: Some(soc), .. }) => {
                    row.fixed(e.solar_wh, 3)
                        .fixed(e.supplied_wh, 3)
                        .fixed(e.spilled_wh, 3)
                        .fixed(e.deficit_wh, 3)
                        .fixed(e.min_state_of_charge, 6)
                        .fixed(*soc, 6)
                        .fixed(e.below_floor_s, 3);
                }
                _ => {
                    for _ in 0..7 {
                        row.text("");
                    }
                }
            }
            row.fixed(v.eclipse_share, 6);
        })
    })?;
    written.push(path);

    let path = dir.join("inference_terminals.csv");
    write_atomically(&path, |w| {
        writeln!(w, "{TERMINALS_HEADER}")?;
        let rows: Vec<(&str, &crate::ground::GroundStation)> =
            outcome.sources.iter().flat_map(|s| s.terminals.iter().map(move |t| (s.name.as_str(), t))).collect();
        write_rows_parallel(w, &rows, |row, &(source, t)| {
            row.text(source).text(&t.name).fixed(t.site.lat_deg, 4).fixed(t.site.lon_deg, 4);
        })
    })?;
    written.push(path);

    let path = dir.join("eclipses.csv");
    write_atomically(&path, |w| write_eclipses_csv(w, sats, &outcome.eclipses))?;
    written.push(path);

    Ok(written)
}

/// Latency CDFs of questions asked in view and out of view (never-answered ones count
/// but are never reached, so each curve tops out at its answered share).
pub fn latency_chart(scenario: &Scenario, outcome: &InferenceOutcome) -> CdfChart {
    let (mut in_view, mut out_of_view) = (Vec::new(), Vec::new());
    for r in &outcome.requests {
        if r.outcome == Outcome::Unfinished {
            continue;
        }
        let v = r.latency_ns().map_or(f64::INFINITY, seconds);
        if r.asked_in_view { in_view.push(v) } else { out_of_view.push(v) }
    }
    let mut sets = Vec::new();
    if !in_view.is_empty() {
        sets.push(SampleSet::new("asked with a satellite in reach", in_view));
    }
    if !out_of_view.is_empty() {
        sets.push(SampleSet::new("asked with none in reach (waited)", out_of_view));
    }
    CdfChart {
        title: "Question-to-answer latency".into(),
        subtitle: format!(
            "{}: {} requests, {} → {} (unanswered requests count as never completed)",
            scenario.name,
            outcome.requests.len(),
            scenario.start.iso_millis(),
            scenario.end.iso_millis()
        ),
        x_label: "Latency (s)".into(),
        y_label: "Share of requests answered within x".into(),
        sets,
        percentiles: vec![50.0, 95.0, 99.0],
        x_scale: Scale::Log,
    }
}

/// Counts and answer latencies of a set of requests: the whole run, those asked in or out
/// of view, one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestGroup {
    /// Requests asked.
    pub requests: usize,
    /// Answers that reached the user in time and within the window.
    pub answered: usize,
    /// Requests the user gave up on ([`Outcome::Timeout`]).
    pub timeout: usize,
    /// Requests turned away by full queues.
    pub rejected: usize,
    /// Requests still in flight when the window ended.
    pub unfinished: usize,
    /// Requests lost on board more often than `max_reroutes` allows.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped: usize,
    /// Requests lost on board at least once and routed again.
    #[serde(skip_serializing_if = "is_zero")]
    pub rerouted: usize,
    /// Those of them answered.
    #[serde(skip_serializing_if = "is_zero")]
    pub rerouted_answered: usize,
    /// Answered over decided (all but the unfinished); `None` when none was decided.
    pub answered_share: Option<f64>,
    /// Answered within [`TWO_MINUTES_S`].
    pub answered_within_120_s: usize,
    /// Latency of the answered ones.
    pub latency_s: LatencySummary,
}

/// Question-to-answer latency of the answered requests, seconds; `None` when none was
/// answered. Percentiles are nearest-rank ([`percentile`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Fastest answer.
    pub min: Option<f64>,
    /// Slowest answer.
    pub max: Option<f64>,
}

impl RequestGroup {
    fn new(requests: &[&RequestRecord]) -> RequestGroup {
        let count = |o: Outcome| requests.iter().filter(|r| r.outcome == o).count();
        let mut latencies: Vec<f64> = requests.iter().filter_map(|r| r.latency_ns()).map(seconds).collect();
        latencies.sort_by(f64::total_cmp);
        let answered = latencies.len();
        let unfinished = count(Outcome::Unfinished);
        let decided = requests.len() - unfinished;
        RequestGroup {
            requests: requests.len(),
            answered,
            timeout: count(Outcome::Timeout),
            rejected: count(Outcome::Rejected),
            unfinished,
            dropped: count(Outcome::Dropped),
            rerouted: requests.iter().filter(|r| r.reroutes > 0).count(),
            rerouted_answered: requests.iter().filter(|r| r.reroutes > 0 && r.outcome == Outcome::Answered).count(),
            answered_share: (decided > 0).then(|| answered as f64 / decided as f64),
            answered_within_120_s: latencies.iter().filter(|&&l| l <= TWO_MINUTES_S).count(),
            latency_s: LatencySummary {
                p50: percentile(&latencies, 50.0),
                p95: percentile(&latencies, 95.0),
                p99: percentile(&latencies, 99.0),
                mean: (answered > 0).then(|| latencies.iter().sum::<f64>() / answered as f64),
                min: latencies.first().copied(),
                max: latencies.last().copied(),
            },
        }
    }
}

/// Mean time the answered requests spent in each phase, seconds (see the module docs);
/// `None` when nothing was answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseMeans {
    /// Lost to failed attempts (written only when some answered request was rerouted).
    #[serde(skip_serializing_if = "is_none_or_zero")]
    pub rerouted_s: Option<f64>,
    /// Waiting on the ground for a usable satellite.
    pub uplink_wait_s: Option<f64>,
    /// Up to the first satellite.
    pub up_s: Option<f64>,
    /// Inter-satellite hops to the server.
    pub isl_out_s: Option<f64>,
    /// In the server's queue.
    pub queue_s: Option<f64>,
    /// Prefill and decode.
    pub compute_s: Option<f64>,
    /// The answer waiting on board for a path down.
    pub answer_wait_s: Option<f64>,
    /// Inter-satellite hops back to the satellite that sends the answer down.
    pub isl_back_s: Option<f64>,
    /// Down to the user.
    pub down_s: Option<f64>,
}

/// Work done over the whole window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throughput {
    /// Answers per hour of the window.
    pub answered_per_hour: f64,
    /// Output tokens of the answered requests per second of the window.
    pub output_tokens_per_s: f64,
}

/// The model as the accelerator runs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InferenceModel {
    /// Parameters.
    pub parameters: f64,
    /// Bytes of weights read per decode step.
    pub weight_bytes: f64,
    /// On board every serving satellite from the start.
    pub preinstalled: bool,
}

/// The accelerator and its speed on the model (a single request, no batching).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InferenceAccelerator {
    /// As the scenario names it.
    pub name: String,
    /// Prompt tokens per second.
    pub prefill_tokens_per_s: f64,
    /// Output tokens per second.
    pub decode_tokens_per_s: f64,
    /// Requests computed at once.
    pub max_batch: u32,
    /// Requests that may wait for a slot.
    pub queue_limit: u32,
    /// Power drawn while computing, W.
    pub power_w: f64,
    /// Power drawn while idle, W.
    pub idle_power_w: f64,
}

/// The serving satellites taken together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServingFleet {
    /// Satellites carrying the accelerator.
    pub serving: usize,
    /// Those holding the model by the end of the window.
    pub with_model_by_end: usize,
    /// Satellites that completed at least one request.
    pub used: usize,
    /// Mean [`ServerSummary::busy_share`] (`None` without serving satellites).
    pub busy_share_mean: Option<f64>,
    /// Its 95th percentile.
    pub busy_share_p95: Option<f64>,
    /// The busiest satellite's.
    pub busy_share_max: Option<f64>,
    /// Energy all accelerators drew, Wh.
    pub accelerator_wh: f64,
    /// Time all accelerators spent throttled or paused for power, s.
    pub limited_s: f64,
    /// The lowest state of charge any battery reached (`None` without a power model).
    pub min_state_of_charge: Option<f64>,
    /// Load no battery could supply, Wh.
    pub deficit_wh: f64,
    /// Mean share of the window the serving satellites spent in eclipse.
    pub eclipse_share_mean: Option<f64>,
}

/// One source's requests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSummary {
    /// As the scenario names it.
    pub name: String,
    /// `users`, `random`, `ocean` or `portal`, as the scenario spells it.
    pub kind: &'static str,
    /// User terminals; a portal counts as one.
    pub terminals: usize,
    /// Its requests; their fields sit beside the source's.
    #[serde(flatten)]
    pub requests: RequestGroup,
}

/// What one serving satellite did; `inference_satellites.csv` writes the same numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSummary {
    /// Its name.
    pub satellite: String,
    /// From when it held the model (`None`: never in the window).
    #[serde(serialize_with = "iso_opt")]
    pub model_from_utc: Option<UtcTime>,
    /// Requests it computed.
    pub completed: u32,
    /// Share of the window it was computing.
    pub busy_share: f64,
    /// Share of its batch slots' time that was used.
    pub slot_utilisation: f64,
    /// Time throttled or paused for power, s.
    pub limited_s: f64,
    /// Energy its accelerator drew, Wh.
    pub accelerator_wh: f64,
    /// Share of the window it spent in eclipse.
    pub eclipse_share: f64,
    /// Present when the scenario models power.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy: Option<ServerEnergy>,
}

/// A serving satellite's energy account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerEnergy {
    /// Produced by the solar array, Wh.
    pub solar_wh: f64,
    /// Delivered to the loads, Wh.
    pub supplied_wh: f64,
    /// Produced but neither used nor storable, Wh.
    pub spilled_wh: f64,
    /// Load the battery could not supply, Wh.
    pub deficit_wh: f64,
    /// Lowest stored energy over the capacity.
    pub min_state_of_charge: f64,
    /// Stored energy over the capacity at the end.
    pub final_state_of_charge: Option<f64>,
    /// Time at or below the inference floor, s.
    pub below_floor_s: f64,
}

/// The `inference` object of `summary.json`, typed: the one place each inference metric is
/// defined. The console lines and report.html read it. Deterministic (no wall-clock times).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InferenceSummary {
    /// Every request; its fields sit at the top level of the object.
    #[serde(flatten)]
    pub all: RequestGroup,
    /// Requests asked with a satellite in reach.
    pub asked_in_view: RequestGroup,
    /// Requests that had to wait for one.
    pub asked_out_of_view: RequestGroup,
    /// Where the answered requests' time went.
    pub phases_mean_s: PhaseMeans,
    /// Answers and tokens per unit of time.
    pub throughput: Throughput,
    /// Requests timed out or rejected.
    pub drops: usize,
    /// Inter-satellite hops per answered request, both ways.
    pub isl_hops_mean: Option<f64>,
    /// When a user gives up, s after asking.
    pub timeout_s: f64,
    /// The model served.
    pub model: InferenceModel,
    /// The accelerator serving it.
    pub accelerator: InferenceAccelerator,
    /// The serving satellites taken together.
    pub satellites: ServingFleet,
    /// One entry per source, in the scenario's order.
    pub per_source: Vec<SourceSummary>,
    /// One entry per serving satellite.
    pub per_satellite: Vec<ServerSummary>,
    /// Events the simulation processed.
    pub events: u64,
    /// Visibility snapshots taken.
    pub visibility_snapshots: u64,
    /// Nodes the router settled.
    pub route_nodes_settled: u64,
}

impl InferenceSummary {
    /// The summary of `outcome`; `None` when the scenario serves no inference.
    pub fn new(scenario: &Scenario, outcome: &InferenceOutcome) -> Option<InferenceSummary> {
        let cfg = scenario.inference.as_ref()?;
        let window_s = scenario.end.seconds_since(scenario.start);
        let all: Vec<&RequestRecord> = outcome.requests.iter().collect();
        let in_view: Vec<&RequestRecord> = all.iter().copied().filter(|r| r.asked_in_view).collect();
        let waited: Vec<&RequestRecord> = all.iter().copied().filter(|r| !r.asked_in_view).collect();
        let answered: Vec<&RequestRecord> = all.iter().copied().filter(|r| r.outcome == Outcome::Answered).collect();
        let mean = |f: &dyn Fn(&RequestRecord) -> f64| {
            (!answered.is_empty()).then(|| answered.iter().map(|r| f(r)).sum::<f64>() / answered.len() as f64)
        };
        let phase = |ns: fn(&Phases) -> i64| mean(&|r: &RequestRecord| seconds(ns(&r.phases)));
        let tokens: u64 = answered.iter().map(|r| r.output_tokens as u64).sum();
        let per_source = outcome
            .sources
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let mine: Vec<&RequestRecord> = all.iter().copied().filter(|r| r.source as usize == k).collect();
                SourceSummary {
                    name: s.name.clone(),
                    kind: s.kind,
                    terminals: s.terminals.len().max(1),
                    requests: RequestGroup::new(&mine),
                }
            })
            .collect();
        let per_satellite: Vec<ServerSummary> =
            outcome.servers.iter().map(|s| ServerSummary::new(scenario, cfg, window_s, s)).collect();
        let mut busy: Vec<f64> = per_satellite.iter().map(|s| s.busy_share).collect();
        busy.sort_by(f64::total_cmp);
        let servers = &outcome.servers;
        let acc = &cfg.accelerator;
        let all_group = RequestGroup::new(&all);
        Some(InferenceSummary {
            asked_in_view: RequestGroup::new(&in_view),
            asked_out_of_view: RequestGroup::new(&waited),
            phases_mean_s: PhaseMeans {
                rerouted_s: phase(|p| p.rerouted_ns),
                uplink_wait_s: phase(|p| p.uplink_wait_ns),
                up_s: phase(|p| p.up_ns),
                isl_out_s: phase(|p| p.isl_out_ns),
                queue_s: phase(|p| p.queue_ns),
                compute_s: phase(|p| p.compute_ns),
                answer_wait_s: phase(|p| p.answer_wait_ns),
                isl_back_s: phase(|p| p.isl_back_ns),
                down_s: phase(|p| p.down_ns),
            },
            throughput: Throughput {
                answered_per_hour: answered.len() as f64 / (window_s / 3600.0),
                output_tokens_per_s: tokens as f64 / window_s,
            },
            drops: all_group.timeout + all_group.rejected,
            isl_hops_mean: mean(&|r: &RequestRecord| (r.isl_hops_out + r.isl_hops_back) as f64),
            timeout_s: seconds(cfg.timeout_ns),
            model: InferenceModel {
                parameters: cfg.model.parameters,
                weight_bytes: cfg.model.weight_bytes,
                preinstalled: cfg.preinstalled,
            },
            accelerator: InferenceAccelerator {
                name: acc.name.clone(),
                prefill_tokens_per_s: 1.0 / acc.prefill_s(&cfg.model, 1_000_000) * 1e6,
                decode_tokens_per_s: acc.decode_tokens_per_s(&cfg.model, 1),
                max_batch: acc.max_batch,
                queue_limit: acc.queue_limit,
                power_w: acc.power_w,
                idle_power_w: acc.idle_power_w,
            },
            satellites: ServingFleet {
                serving: servers.len(),
                with_model_by_end: servers.iter().filter(|s| s.model_from.is_some_and(|t| t <= scenario.end)).count(),
                used: servers.iter().filter(|s| s.completed > 0).count(),
                busy_share_mean: (!busy.is_empty()).then(|| busy.iter().sum::<f64>() / busy.len() as f64),
                busy_share_p95: percentile(&busy, 95.0),
                busy_share_max: busy.last().copied(),
                accelerator_wh: servers.iter().map(|s| s.accelerator_j).sum::<f64>() / JOULES_PER_WH,
                limited_s: servers.iter().map(|s| seconds(s.limited_ns)).sum::<f64>(),
                min_state_of_charge: per_satellite
                    .iter()
                    .filter_map(|s| s.energy.as_ref().map(|e| e.min_state_of_charge))
                    .reduce(f64::min),
                deficit_wh: servers.iter().filter_map(|s| s.energy.map(|e| e.deficit_j)).sum::<f64>() / JOULES_PER_WH,
                eclipse_share_mean: (!servers.is_empty())
                    .then(|| servers.iter().map(|s| s.eclipse_fraction).sum::<f64>() / servers.len() as f64),
            },
            per_source,
            per_satellite,
            events: outcome.events,
            visibility_snapshots: outcome.snapshots,
            route_nodes_settled: outcome.route_nodes,
            all: all_group,
        })
    }
}

impl ServerSummary {
    fn new(scenario: &Scenario, cfg: &InferenceConfig, window_s: f64, s: &ServerRecord) -> ServerSummary {
        ServerSummary {
            satellite: scenario.satellites[s.satellite as usize].name.clone(),
            model_from_utc: s.model_from,
            completed: s.completed,
            busy_share: seconds(s.busy_ns) / window_s,
            slot_utilisation: seconds(s.slot_busy_ns) / (window_s * cfg.accelerator.max_batch as f64),
            limited_s: seconds(s.limited_ns),
            accelerator_wh: s.accelerator_j / JOULES_PER_WH,
            eclipse_share: s.eclipse_fraction,
            energy: match (&s.energy, s.capacity_j) {
                (Some(e), Some(cap)) => Some(ServerEnergy {
                    solar_wh: e.solar_j / JOULES_PER_WH,
                    supplied_wh: e.supplied_j / JOULES_PER_WH,
                    spilled_wh: e.spilled_j / JOULES_PER_WH,
                    deficit_wh: e.deficit_j / JOULES_PER_WH,
                    min_state_of_charge: e.min_energy_j / cap,
                    final_state_of_charge: s.final_state_of_charge,
                    below_floor_s: seconds(e.below_floor_ns),
                }),
                _ => None,
            },
        }
    }
}

/// Seconds for people, e.g. `12.4 s`, or `-` for none.
fn seconds_text(s: Option<f64>) -> String {
    s.map_or("-".to_string(), |v| format!("{v:.1} s"))
}

/// Console lines for the inference run: its summary and how long its phases took.
pub fn inference_console(summary: &InferenceSummary, times: &InferenceTimes) -> Vec<String> {
    let all = &summary.all;
    let sources = summary.per_source.len();
    let losses = if all.rerouted + all.dropped > 0 {
        format!("; {} rerouted ({} answered), {} dropped", all.rerouted, all.rerouted_answered, all.dropped)
    } else {
        String::new()
    };
    vec![
        format!(
            "  inference: {} requests from {} source{}: {} answered (p50 {}, p95 {}, p99 {}), {} timed out, {} rejected, {} unfinished{losses}",
            all.requests,
            sources,
            if sources == 1 { "" } else { "s" },
            all.answered,
            seconds_text(all.latency_s.p50),
            seconds_text(all.latency_s.p95),
            seconds_text(all.latency_s.p99),
            all.timeout,
            all.rejected,
            all.unfinished,
        ),
        format!(
            "  asked with a satellite in reach: {} answered, max {}; {} events, setup {:.2} s, eclipses {:.2} s, simulation {:.2} s",
            summary.asked_in_view.answered,
            seconds_text(summary.asked_in_view.latency_s.max),
            summary.events,
            times.setup_s,
            times.eclipses_s,
            times.simulation_s
        ),
    ]
}

/// The inference headline for report.html: label and value pairs.
pub fn inference_kpis(summary: &InferenceSummary) -> Vec<(&'static str, String)> {
    let all = &summary.all;
    let mut kpis = vec![
        ("requests", all.requests.to_string()),
        ("answered", all.answered.to_string()),
        ("answer latency p50", seconds_text(all.latency_s.p50)),
        ("p95", seconds_text(all.latency_s.p95)),
        ("p99", seconds_text(all.latency_s.p99)),
        ("timed out", all.timeout.to_string()),
    ];
    if all.rerouted > 0 {
        kpis.push(("rerouted (answered)", format!("{} ({})", all.rerouted, all.rerouted_answered)));
    }
    kpis
}
