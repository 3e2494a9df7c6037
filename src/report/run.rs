//! The files of one run (`output/<scenario>/`) and its headline numbers.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::tables::{CsvRow, write_passes, write_rows_parallel};
use super::{WriteError, write_atomically};
use crate::contact::write_contacts;
use crate::mission::upload::{SatelliteUpload, Session};
use crate::pipeline::RunResult;
use crate::scenario::Scenario;
use crate::time::{UtcTime, format_duration};
use crate::units::Bytes;

pub const UPLOAD_PASSES_HEADER: &str =
    "satellite,station,start_utc,end_utc,bytes_sent,new_bytes_delivered,retransmitted_bytes,chunks_complete_after";
pub const UPLOAD_SUMMARY_HEADER: &str = "satellite,passes_used,stations_used,first_byte_utc,last_chunk_utc,verified_utc,deployed_utc,total_bytes_sent,goodput_efficiency";

/// Headline numbers of a run: what `summary.json` holds and the console shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub targets: usize,
    pub deployed: usize,
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
    let mut passes: Vec<u32> = deployed.iter().map(|s| s.passes_used).collect();
    passes.sort_unstable();
    Headline {
        targets: scenario.targets.iter().filter(|&&t| t).count(),
        deployed: deployed.len(),
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

/// Writes every output file of a run into `dir`; returns their paths.
pub fn write_run(dir: &Path, scenario: &Scenario, result: &RunResult) -> Result<Vec<PathBuf>, WriteError> {
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
    Ok(written)
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
            "targets": h.targets,
            "deployed": h.deployed,
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
        if let (Some((lo, mid, hi)), Some(first), Some(last)) = (h.passes, h.first_deployed, h.last_deployed) {
            lines
                .push(format!("  passes used: median {mid} (min {lo}, max {hi}); first deployed {first}, last {last}"));
            lines.push(format!(
                "  last deployment {} after the start",
                format_duration(last.unix_nanos() - scenario.start.unix_nanos())
            ));
        }
    }
    if h.bytes_sent > 0 {
        let useful = m.transfer_bytes as f64 * h.deployed as f64;
        lines.push(format!(
            "  sent {} in all ({} retransmitted{})",
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
