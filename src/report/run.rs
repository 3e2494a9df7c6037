//! The files of one run (`output/<scenario>/`) and its headline numbers.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::tables::{CsvRow, write_passes, write_rows_parallel};
use super::{WriteError, write_atomically};
use crate::contact::{Node, write_contacts};
use crate::mission::rollout::{SatelliteUpload, Session};
use crate::pipeline::RunResult;
use crate::scenario::Scenario;
use crate::time::{UtcTime, format_duration};
use crate::units::Bytes;

pub const UPLOAD_PASSES_HEADER: &str =
    "satellite,station,start_utc,end_utc,bytes_sent,new_bytes_delivered,retransmitted_bytes,chunks_complete_after";
pub const UPLOAD_SUMMARY_HEADER: &str = "satellite,passes_used,stations_used,first_byte_utc,last_chunk_utc,verified_utc,deployed_utc,total_bytes_sent,goodput_efficiency,received_from";
pub const FLEET_ROLLOUT_HEADER: &str = "time_utc,satellites_holding_model,satellites_deployed";

/// Headline numbers of a run: what `summary.json` holds and the console shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub targets: usize,
    pub deployed: usize,
    /// Time from the start until 50, 90, 99 and 100 % of the targets run the model.
    pub time_to_fraction: [(u32, Option<i64>); 4],
    /// Ground contacts that carried bytes, over all satellites.
    pub ground_passes: u64,
    /// Payload bytes satellites received from the ground and over inter-satellite links.
    pub ground_bytes: u64,
    pub isl_bytes: u64,
    /// Passes used per deployed satellite: min, median, max.
    pub passes: Option<(u32, u32, u32)>,
    pub first_deployed: Option<UtcTime>,
    pub last_deployed: Option<UtcTime>,
    pub bytes_sent: u64,
    pub retransmitted_bytes: u64,
}

pub fn headline(scenario: &Scenario, result: &RunResult) -> Headline {
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
    Headline {
        targets,
        deployed: deployed.len(),
        time_to_fraction: [time_to(50), time_to(90), time_to(99), time_to(100)],
        ground_passes: sats.iter().map(|s| s.passes_used as u64).sum(),
        ground_bytes: sats.iter().map(|s| s.ground_bytes_received).sum(),
        isl_bytes: sats.iter().map(|s| s.isl_bytes_received).sum(),
        passes: (!passes.is_empty()).then(|| (passes[0], passes[passes.len() / 2], passes[passes.len() - 1])),
        first_deployed: deployed.iter().filter_map(|s| s.deployed).min(),
        last_deployed: deployed.iter().filter_map(|s| s.deployed).max(),
        bytes_sent: sats.iter().map(|s| s.total_bytes_sent).sum(),
        retransmitted_bytes: sats.iter().map(|s| s.retransmitted_bytes).sum(),
    }
}

fn opt_time(row: &mut CsvRow, t: Option<UtcTime>) {
    match t {
        Some(t) => row.time(t),
        None => row.text(""),
    };
}

/// Writes every output file of a run into the folder `dir`, replacing an earlier run's
/// folder only once the new one is complete ([`super::write_folder_atomically`]); returns
/// the paths of the files.
pub fn write_run(dir: &Path, scenario: &Scenario, result: &RunResult) -> Result<Vec<PathBuf>, WriteError> {
    let written = super::write_folder_atomically(dir, |staging| write_run_files(staging, scenario, result))?;
    Ok(written.iter().filter_map(|p| p.file_name()).map(|name| dir.join(name)).collect())
}

fn write_run_files(dir: &Path, scenario: &Scenario, result: &RunResult) -> Result<Vec<PathBuf>, WriteError> {
    let sats = &scenario.satellites;
    let stations = &scenario.stations;
    let mut written = Vec::new();
    let mut file = |name: &str, write: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>| {
        let path = dir.join(name);
        write_atomically(&path, write)?;
        written.push(path);
        Ok::<(), WriteError>(())
    };
    file("passes.csv", &|w| write_passes(w, &result.plan.passes, sats, stations, false))?;
    file("contacts.csv", &|w| write_contacts(w, &result.plan.contacts, sats, stations))?;
    file("upload_passes.csv", &|w| {
        writeln!(w, "{UPLOAD_PASSES_HEADER}")?;
        write_rows_parallel(w, &result.upload.sessions, |row, s: &Session| {
            row.text(&sats[s.satellite as usize].name)
                .text(&stations[s.station as usize].name)
                .time(s.start)
                .time(s.end)
                .int(s.bytes_sent)
                .int(s.new_bytes_delivered)
                .int(s.retransmitted_bytes)
                .int(s.chunks_complete_after);
        })
    })?;
    file("upload_summary.csv", &|w| {
        writeln!(w, "{UPLOAD_SUMMARY_HEADER}")?;
        let rows: Vec<(usize, &SatelliteUpload)> =
            result.upload.satellites.iter().enumerate().filter(|(_, s)| s.target).collect();
        write_rows_parallel(w, &rows, |row, &(i, s)| {
            row.text(&sats[i].name).int(s.passes_used).int(s.stations_used);
            opt_time(row, s.first_byte);
            opt_time(row, s.last_chunk);
            opt_time(row, s.verified);
            opt_time(row, s.deployed);
            row.int(s.total_bytes_sent);
            match s.goodput_efficiency(scenario.model.transfer_bytes) {
                Some(g) => row.fixed(g, 4),
                None => row.text(""),
            };
            row.text(&s.received_from.map(|n| node_name(scenario, n)).unwrap_or_default());
        })
    })?;
    file("fleet_rollout.csv", &|w| {
        writeln!(w, "{FLEET_ROLLOUT_HEADER}")?;
        let curve = rollout_curve(&result.upload.satellites);
        write_rows_parallel(w, &curve, |row, &(t, holding, deployed)| {
            row.time(t).int(holding).int(deployed);
        })
    })?;
    let summary = summary_json(scenario, result);
    file("summary.json", &|w| {
        serde_json::to_writer_pretty(&mut *w, &summary).map_err(std::io::Error::other)?;
        writeln!(w)
    })?;
    if let Some(inference) = &result.inference {
        written.extend(super::inference::write_inference(dir, scenario, inference)?);
    }
    let figures = super::figures::run_figures(scenario, result, dir)
        .map_err(|e| WriteError { path: dir.to_path_buf(), source: std::io::Error::other(format!("figures: {e}")) })?;
    for f in &figures {
        written.push(f.files.png.clone());
        written.push(f.files.svg.clone());
    }
    super::html::write_report(dir, scenario, result, &figures)?;
    written.push(dir.join("report.html"));
    Ok(written)
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

fn iso(t: Option<UtcTime>) -> serde_json::Value {
    t.map_or(serde_json::Value::Null, |t| json!(t.iso_millis()))
}

/// The run's headline numbers as JSON. Deterministic: no wall-clock times, so the same
/// scenario and seed give byte-identical files.
pub fn summary_json(scenario: &Scenario, result: &RunResult) -> serde_json::Value {
    let mut summary = summary_core(scenario, result);
    if let Some(inference) = &result.inference {
        summary["inference"] = super::inference::inference_summary(scenario, inference);
    }
    summary
}

fn summary_core(scenario: &Scenario, result: &RunResult) -> serde_json::Value {
    let h = headline(scenario, result);
    let m = &scenario.model;
    let per_satellite: Vec<serde_json::Value> = result
        .upload
        .satellites
        .iter()
        .enumerate()
        .filter(|(_, s)| s.target)
        .take(20)
        .map(|(i, s)| {
            json!({
                "satellite": scenario.satellites[i].name,
                "passes_used": s.passes_used,
                "stations_used": s.stations_used,
                "first_byte_utc": iso(s.first_byte),
                "last_chunk_utc": iso(s.last_chunk),
                "stored_utc": iso(s.stored),
                "verified_utc": iso(s.verified),
                "decompressed_utc": iso(s.decompressed),
                "deployed_utc": iso(s.deployed),
                "total_bytes_sent": s.total_bytes_sent,
                "retransmitted_bytes": s.retransmitted_bytes,
                "goodput_efficiency": s.goodput_efficiency(m.transfer_bytes),
                "received_from": s.received_from.map(|n| node_name(scenario, n)),
            })
        })
        .collect();
    json!({
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": scenario.seed,
        "orbsim_version": env!("CARGO_PKG_VERSION"),
        "start_utc": scenario.start.iso_millis(),
        "end_utc": scenario.end.iso_millis(),
        "satellites": scenario.satellites.len(),
        "stations": scenario.stations.len(),
        "model": {
            "name": m.name,
            "size_bytes": m.size_bytes,
            "transfer_bytes": m.transfer_bytes,
            "chunk_payload_bytes": m.chunk_payload,
            "chunk_header_bytes": m.chunk_header,
            "chunks": m.chunks,
        },
        "uplink": {
            "preset": scenario.uplink.name,
            "setup_time_s": scenario.uplink.setup_time_s,
            "min_elevation_deg": scenario.uplink.min_elevation_deg,
        },
        "contact_plan": {
            "passes": result.plan.passes.len(),
            "contacts": result.plan.contacts.len(),
            "retired_satellites": result.plan.retirements.iter().map(|r| json!({
                "satellite": scenario.satellites[r.satellite].name,
                "time_utc": r.time.iso_millis(),
                "reason": r.reason.to_string(),
            })).collect::<Vec<_>>(),
        },
        "upload": {
            "strategy": format!("{:?}", scenario.rollout.strategy),
            "targets": h.targets,
            "deployed": h.deployed,
            "hours_to_50_percent": h.time_to_fraction[0].1.map(|ns| ns as f64 / 3.6e12),
            "hours_to_90_percent": h.time_to_fraction[1].1.map(|ns| ns as f64 / 3.6e12),
            "hours_to_99_percent": h.time_to_fraction[2].1.map(|ns| ns as f64 / 3.6e12),
            "hours_to_100_percent": h.time_to_fraction[3].1.map(|ns| ns as f64 / 3.6e12),
            "ground_passes_used": h.ground_passes,
            "ground_payload_bytes": h.ground_bytes,
            "isl_payload_bytes": h.isl_bytes,
            "isl_bytes_sent": result.upload.isl_bytes,
            "passes_used_min": h.passes.map(|p| p.0),
            "passes_used_median": h.passes.map(|p| p.1),
            "passes_used_max": h.passes.map(|p| p.2),
            "first_deployed_utc": iso(h.first_deployed),
            "last_deployed_utc": iso(h.last_deployed),
            "bytes_sent": h.bytes_sent,
            "retransmitted_bytes": h.retransmitted_bytes,
            "sessions": result.upload.sessions.len(),
            "events": result.upload.events,
            "per_satellite_first_20": per_satellite,
        },
    })
}

/// A few lines for the console.
pub fn console_summary(scenario: &Scenario, result: &RunResult, out_dir: &Path) -> String {
    let h = headline(scenario, result);
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
        if let Some(inference) = &result.inference {
            lines.extend(super::inference::inference_console(inference));
        }
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
    if targets.len() <= 3 {
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
        if let (Some(first), Some(last)) = (h.first_deployed, h.last_deployed) {
            lines.push(format!("  first deployed {first}, last {last}"));
        }
        if let Some((lo, mid, hi)) = h.passes {
            lines.push(format!(
                "  ground passes per ground-fed satellite: median {mid} (min {lo}, max {hi}); {} in all",
                h.ground_passes
            ));
        }
        if h.isl_bytes > 0 {
            lines.push(format!(
                "  payload received: {} from the ground, {} over inter-satellite links",
                Bytes(h.ground_bytes),
                Bytes(h.isl_bytes)
            ));
        }
    }
    if h.bytes_sent > 0 {
        // Goodput of the ground links: useful bytes they delivered over bytes they sent.
        let useful = h.ground_bytes as f64;
        lines.push(format!(
            "  ground stations sent {} ({} retransmitted{})",
            Bytes(h.bytes_sent),
            Bytes(h.retransmitted_bytes),
            if h.deployed > 0 {
                format!("; goodput {:.1} %", 100.0 * useful / h.bytes_sent as f64)
            } else {
                String::new()
            }
        ));
    }
    if let Some(inference) = &result.inference {
        lines.extend(super::inference::inference_console(inference));
    }
    lines.push(format!(
        "  {} passes, {} contacts, {} events; plan {:.2} s, simulation {:.2} s; outputs in {}",
        result.plan.passes.len(),
        result.plan.contacts.len(),
        result.upload.events,
        result.times.contact_plan_s,
        result.times.simulation_s,
        out_dir.display()
    ));
    lines.join("\n")
}
