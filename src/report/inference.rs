//! The inference run's files: every request (`inference_requests.csv`), every serving
//! satellite (`inference_satellites.csv`), every user terminal (`inference_terminals.csv`),
//! eclipse intervals (`eclipses.csv`) and the `inference` object of `summary.json`. Its
//! figures (latency CDF, eclipse timeline) are drawn with the run's in [`super::figures`].
//!
//! Phase durations are written in seconds with nine decimals, i.e. exact nanoseconds, so
//! the decomposition `uplink_wait_s + up_s + isl_out_s + queue_s + compute_s +
//! answer_wait_s + isl_back_s + down_s = latency_s` can be checked from the file itself.

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::plot::{CdfChart, SampleSet, Scale};
use super::tables::{CsvRow, write_rows_parallel};
use super::{WriteError, write_atomically};
use crate::access::eclipse::write_eclipses_csv;
use crate::mission::inference::{InferenceOutcome, Outcome, Phases, RequestRecord, ServerRecord, percentile};
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

fn seconds(ns: i64) -> f64 {
    ns as f64 / NANOS_PER_SECOND as f64
}

fn opt_time(row: &mut CsvRow, t: Option<UtcTime>) {
    match t {
        Some(t) => row.time(t),
        None => row.text(""),
    };
}

/// Writes the inference files into `dir` and returns their paths.
pub fn write_inference(
    dir: &Path,
    scenario: &Scenario,
    outcome: &InferenceOutcome,
) -> Result<Vec<PathBuf>, WriteError> {
    let sats = &scenario.satellites;
    let stations = &scenario.stations;
    let window_s = scenario.end.seconds_since(scenario.start);
    let mut written = Vec::new();
    let path = dir.join("inference_requests.csv");
    write_atomically(&path, |w| {
        writeln!(w, "{REQUESTS_HEADER}")?;
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
        })
    })?;
    written.push(path);

    let path = dir.join("inference_satellites.csv");
    write_atomically(&path, |w| {
        writeln!(w, "{SATELLITES_HEADER}")?;
        let max_batch = scenario.inference.as_ref().map_or(1, |c| c.accelerator.max_batch) as f64;
        write_rows_parallel(w, &outcome.servers, |row, s: &ServerRecord| {
            row.text(&sats[s.satellite as usize].name);
            opt_time(row, s.model_from);
            row.int(s.completed)
                .fixed(seconds(s.busy_ns), 3)
                .fixed(seconds(s.busy_ns) / window_s, 6)
                .fixed(seconds(s.slot_busy_ns) / (window_s * max_batch), 6)
                .fixed(seconds(s.limited_ns), 3)
                .fixed(s.accelerator_j / JOULES_PER_WH, 3);
            match (&s.energy, s.final_state_of_charge, s.capacity_j) {
                (Some(e), Some(soc), Some(cap)) => {
                    row.fixed(e.solar_j / JOULES_PER_WH, 3)
                        .fixed(e.supplied_j / JOULES_PER_WH, 3)
                        .fixed(e.spilled_j / JOULES_PER_WH, 3)
                        .fixed(e.deficit_j / JOULES_PER_WH, 3)
                        .fixed(e.min_energy_j / cap, 6)
                        .fixed(soc, 6)
                        .fixed(seconds(e.below_floor_ns), 3);
                }
                _ => {
                    for _ in 0..7 {
                        row.text("");
                    }
                }
            }
            row.fixed(s.eclipse_fraction, 6);
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
        if r.asked_in_view() { in_view.push(v) } else { out_of_view.push(v) }
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

/// Latencies of the answered requests among `requests`, seconds, sorted.
fn sorted_latencies_s<'r>(requests: impl Iterator<Item = &'r RequestRecord>) -> Vec<f64> {
    let mut latencies: Vec<f64> = requests.filter_map(|r| r.latency_ns()).map(seconds).collect();
    latencies.sort_by(f64::total_cmp);
    latencies
}

/// A percentile for people, e.g. `12.4 s`, or `-` when nothing was answered.
fn percentile_text(latencies: &[f64], q: f64) -> String {
    percentile(latencies, q).map_or("-".to_string(), |v| format!("{v:.1} s"))
}

/// Counts and latency percentiles of a set of requests.
fn group(requests: &[&RequestRecord]) -> Value {
    let count = |o: Outcome| requests.iter().filter(|r| r.outcome == o).count();
    let latencies = sorted_latencies_s(requests.iter().copied());
    let answered = latencies.len();
    let decided = requests.len() - count(Outcome::Unfinished);
    json!({
        "requests": requests.len(),
        "answered": answered,
        "timeout": count(Outcome::Timeout),
        "rejected": count(Outcome::Rejected),
        "unfinished": count(Outcome::Unfinished),
        "answered_share": if decided > 0 { Some(answered as f64 / decided as f64) } else { None },
        "answered_within_120_s": latencies.iter().filter(|&&l| l <= TWO_MINUTES_S).count(),
        "latency_s": {
            "p50": percentile(&latencies, 50.0),
            "p95": percentile(&latencies, 95.0),
            "p99": percentile(&latencies, 99.0),
            "mean": (answered > 0).then(|| latencies.iter().sum::<f64>() / answered as f64),
            "min": latencies.first(),
            "max": latencies.last(),
        },
    })
}

/// The `inference` object of `summary.json`. Deterministic (no wall-clock times).
pub fn inference_summary(scenario: &Scenario, outcome: &InferenceOutcome) -> Value {
    let Some(cfg) = scenario.inference.as_ref() else { return Value::Null };
    let window_s = scenario.end.seconds_since(scenario.start);
    let window_h = window_s / 3600.0;
    let all: Vec<&RequestRecord> = outcome.requests.iter().collect();
    let in_view: Vec<&RequestRecord> = all.iter().copied().filter(|r| r.asked_in_view()).collect();
    let waited: Vec<&RequestRecord> = all.iter().copied().filter(|r| !r.asked_in_view()).collect();
    let answered: Vec<&RequestRecord> = all.iter().copied().filter(|r| r.outcome == Outcome::Answered).collect();
    let mean = |f: &dyn Fn(&RequestRecord) -> f64| {
        (!answered.is_empty()).then(|| answered.iter().map(|r| f(r)).sum::<f64>() / answered.len() as f64)
    };
    let mut phases = serde_json::Map::new();
    for (k, (name, _)) in Phases::default().named().iter().enumerate() {
        phases.insert(format!("{name}_s"), json!(mean(&|r: &RequestRecord| seconds(r.phases.named()[k].1))));
    }
    let tokens: u64 = answered.iter().map(|r| r.output_tokens as u64).sum();
    let per_source: Vec<Value> = outcome
        .sources
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mine: Vec<&RequestRecord> = all.iter().copied().filter(|r| r.source as usize == k).collect();
            let mut v = group(&mine);
            v["name"] = json!(s.name);
            v["kind"] = json!(s.kind);
            v["terminals"] = json!(s.terminals.len().max(1));
            v
        })
        .collect();
    let max_batch = cfg.accelerator.max_batch as f64;
    let per_satellite: Vec<Value> = outcome
        .servers
        .iter()
        .map(|s| {
            let mut v = json!({
                "satellite": scenario.satellites[s.satellite as usize].name,
                "model_from_utc": s.model_from.map(|t| t.iso_millis()),
                "completed": s.completed,
                "busy_share": seconds(s.busy_ns) / window_s,
                "slot_utilisation": seconds(s.slot_busy_ns) / (window_s * max_batch),
                "limited_s": seconds(s.limited_ns),
                "accelerator_wh": s.accelerator_j / JOULES_PER_WH,
                "eclipse_share": s.eclipse_fraction,
            });
            if let (Some(e), Some(cap)) = (&s.energy, s.capacity_j) {
                v["energy"] = json!({
                    "solar_wh": e.solar_j / JOULES_PER_WH,
                    "supplied_wh": e.supplied_j / JOULES_PER_WH,
                    "spilled_wh": e.spilled_j / JOULES_PER_WH,
                    "deficit_wh": e.deficit_j / JOULES_PER_WH,
                    "min_state_of_charge": e.min_energy_j / cap,
                    "final_state_of_charge": s.final_state_of_charge,
                    "below_floor_s": seconds(e.below_floor_ns),
                });
            }
            v
        })
        .collect();
    let mut busy: Vec<f64> = outcome.servers.iter().map(|s| seconds(s.busy_ns) / window_s).collect();
    busy.sort_by(f64::total_cmp);
    let energies: Vec<_> =
        outcome.servers.iter().filter_map(|s| s.energy.map(|e| (e, s.capacity_j.unwrap_or(1.0)))).collect();
    let acc = &cfg.accelerator;
    let mut summary = group(&all);
    let extra = json!({
        "asked_in_view": group(&in_view),
        "asked_out_of_view": group(&waited),
        "phases_mean_s": phases,
        "throughput": {
            "answered_per_hour": answered.len() as f64 / window_h,
            "output_tokens_per_s": tokens as f64 / window_s,
        },
        "drops": summary["timeout"].as_u64().unwrap_or(0) + summary["rejected"].as_u64().unwrap_or(0),
        "isl_hops_mean": mean(&|r: &RequestRecord| (r.isl_hops_out + r.isl_hops_back) as f64),
        "timeout_s": seconds(cfg.timeout_ns),
        "model": {
            "parameters": cfg.model.parameters,
            "weight_bytes": cfg.model.weight_bytes,
            "preinstalled": cfg.preinstalled,
        },
        "accelerator": {
            "name": acc.name,
            "prefill_tokens_per_s": 1.0 / acc.prefill_s(&cfg.model, 1_000_000) * 1e6,
            "decode_tokens_per_s": acc.decode_tokens_per_s(&cfg.model, 1),
            "max_batch": acc.max_batch,
            "queue_limit": acc.queue_limit,
            "power_w": acc.power_w,
            "idle_power_w": acc.idle_power_w,
        },
        "satellites": {
            "serving": outcome.servers.len(),
            "with_model_by_end": outcome.servers.iter().filter(|s| s.model_from.is_some_and(|t| t <= scenario.end)).count(),
            "used": outcome.servers.iter().filter(|s| s.completed > 0).count(),
            "busy_share_mean": (!busy.is_empty()).then(|| busy.iter().sum::<f64>() / busy.len() as f64),
            "busy_share_p95": percentile(&busy, 95.0),
            "busy_share_max": busy.last(),
            "accelerator_wh": outcome.servers.iter().map(|s| s.accelerator_j).sum::<f64>() / JOULES_PER_WH,
            "limited_s": outcome.servers.iter().map(|s| seconds(s.limited_ns)).sum::<f64>(),
            "min_state_of_charge": energies.iter().map(|(e, cap)| e.min_energy_j / cap).reduce(f64::min),
            "deficit_wh": energies.iter().map(|(e, _)| e.deficit_j).sum::<f64>() / JOULES_PER_WH,
            "eclipse_share_mean": (!outcome.servers.is_empty()).then(|| outcome.servers.iter().map(|s| s.eclipse_fraction).sum::<f64>() / outcome.servers.len() as f64),
        },
        "per_source": per_source,
        "per_satellite": per_satellite,
        "events": outcome.events,
        "visibility_snapshots": outcome.snapshots,
        "route_nodes_settled": outcome.route_nodes,
    });
    if let (Some(obj), Value::Object(more)) = (summary.as_object_mut(), extra) {
        obj.extend(more);
    }
    summary
}

/// Console lines for the inference run.
pub fn inference_console(outcome: &InferenceOutcome) -> Vec<String> {
    let count = |o: Outcome| outcome.requests.iter().filter(|r| r.outcome == o).count();
    let latencies = sorted_latencies_s(outcome.requests.iter());
    let p = |q: f64| percentile_text(&latencies, q);
    let in_view = sorted_latencies_s(outcome.requests.iter().filter(|r| r.asked_in_view()));
    let t = &outcome.times;
    vec![
        format!(
            "  inference: {} requests from {} source{}: {} answered (p50 {}, p95 {}, p99 {}), {} timed out, {} rejected, {} unfinished",
            outcome.requests.len(),
            outcome.sources.len(),
            if outcome.sources.len() == 1 { "" } else { "s" },
            latencies.len(),
            p(50.0),
            p(95.0),
            p(99.0),
            count(Outcome::Timeout),
            count(Outcome::Rejected),
            count(Outcome::Unfinished),
        ),
        format!(
            "  asked with a satellite in reach: {} answered, max {}; {} events, setup {:.2} s, eclipses {:.2} s, simulation {:.2} s",
            in_view.len(),
            in_view.last().map_or("-".to_string(), |v| format!("{v:.1} s")),
            outcome.events,
            t.setup_s,
            t.eclipses_s,
            t.simulation_s
        ),
    ]
}

/// The inference headline for report.html: label and value pairs.
pub fn inference_kpis(outcome: &InferenceOutcome) -> Vec<(&'static str, String)> {
    let latencies = sorted_latencies_s(outcome.requests.iter());
    let p = |q: f64| percentile_text(&latencies, q);
    let timed_out = outcome.requests.iter().filter(|r| r.outcome == Outcome::Timeout).count();
    vec![
        ("requests", outcome.requests.len().to_string()),
        ("answered", latencies.len().to_string()),
        ("answer latency p50", p(50.0)),
        ("p95", p(95.0)),
        ("p99", p(99.0)),
        ("timed out", timed_out.to_string()),
    ]
}
