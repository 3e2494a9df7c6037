//! The files of one run (`output/<scenario>/`).

use std::path::{Path, PathBuf};

use super::summary::{RunSummary, node_name, rollout_curve};
use super::tables::write_contacts;
use super::tables::{CsvRow, write_passes, write_rows_parallel};
use super::{WriteError, write_atomically};
use crate::mission::MissionTable;
use crate::mission::rollout::{SatelliteUpload, Session};
use crate::pipeline::RunResult;
use crate::scenario::Scenario;
use crate::time::UtcTime;

pub const UPLOAD_PASSES_HEADER: &str =
    "satellite,station,start_utc,end_utc,bytes_sent,new_bytes_delivered,retransmitted_bytes,chunks_complete_after";
pub const UPLOAD_SUMMARY_HEADER: &str = "satellite,passes_used,stations_used,first_byte_utc,last_chunk_utc,verified_utc,deployed_utc,total_bytes_sent,goodput_efficiency,received_from";
pub const FLEET_ROLLOUT_HEADER: &str = "time_utc,satellites_holding_model,satellites_deployed";

fn opt_time(row: &mut CsvRow, t: Option<UtcTime>) {
    match t {
        Some(t) => row.time(t),
        None => row.text(""),
    };
}

/// Writes every output file of a run into the folder `dir`, replacing an earlier run's
/// folder only once the new one is complete ([`super::write_folder_atomically`]); returns
/// the paths of the files. `summary` is the run's ([`RunSummary::new`]), built once by the
/// caller, who also shows it on the console.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    result: &RunResult,
    summary: &RunSummary,
) -> Result<Vec<PathBuf>, WriteError> {
    let written = super::write_folder_atomically(dir, |staging| write_run_files(staging, scenario, result, summary))?;
    Ok(written.iter().filter_map(|p| p.file_name()).map(|name| dir.join(name)).collect())
}

fn write_run_files(
    dir: &Path,
    scenario: &Scenario,
    result: &RunResult,
    summary: &RunSummary,
) -> Result<Vec<PathBuf>, WriteError> {
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
    if let (Some(run), Some(contacts)) = (&result.contact_stats, &summary.contacts) {
        file(super::contacts::STATION_STATS_FILE, &|w| super::contacts::write_station_stats(w, contacts))?;
        file(super::contacts::SATELLITE_STATS_FILE, &|w| {
            super::contacts::write_satellite_stats(w, scenario, &run.stats)
        })?;
    }
    if !result.views.clusters.is_empty() {
        write_cluster_files(&mut file, scenario, result)?;
    }
    if let Some(grouping) = &scenario.catalogue {
        file(super::catalogue::CATALOGUE_GROUPS_FILE, &|w| {
            super::catalogue::write_catalogue_groups(w, sats, grouping)
        })?;
    }
    let summary_json = summary.to_json();
    file("summary.json", &|w| {
        serde_json::to_writer_pretty(&mut *w, &summary_json).map_err(std::io::Error::other)?;
        writeln!(w)
    })?;
    if let (Some(outcome), Some(inference)) = (&result.inference, &summary.inference) {
        written.extend(super::inference::write_inference(dir, scenario, outcome, inference)?);
    }
    for mission in &result.missions {
        for table in &mission.tables {
            written.push(write_mission_table(dir, mission.name, table)?);
        }
    }
    let figures = super::figures::run_figures(scenario, result, dir)
        .map_err(|e| WriteError { path: dir.to_path_buf(), source: std::io::Error::other(format!("figures: {e}")) })?;
    for f in &figures {
        written.push(f.files.png.clone());
        written.push(f.files.svg.clone());
    }
    super::html::write_report(dir, scenario, result, summary, &figures, &written)?;
    written.push(dir.join("report.html"));
    Ok(written)
}

pub const CLUSTER_HOLD_HEADER: &str = "cluster,time_utc,min_separation_m,max_separation_m,radius_m";
pub const CLUSTER_RESETS_HEADER: &str = "cluster,time_utc,satellite,delta_v_m_s";

/// Writes one file of the run's folder by name, with its content's writer.
type FileWriter<'a> =
    dyn FnMut(&str, &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>) -> Result<(), WriteError> + 'a;

/// The formation clusters' files: how each held (`cluster_hold.csv`), the station-keeping
/// resets (`cluster_resets.csv`, when any), and every cluster satellite's element set as
/// OMM (`cluster_elements.json`, full precision) and TLE (`cluster_elements.tle`).
fn write_cluster_files(file: &mut FileWriter, scenario: &Scenario, result: &RunResult) -> Result<(), WriteError> {
    let clusters = &result.views.clusters;
    file("cluster_hold.csv", &|w| {
        writeln!(w, "{CLUSTER_HOLD_HEADER}")?;
        for c in clusters {
            write_rows_parallel(w, &c.hold.samples, |row, s| {
                row.text(&c.name)
                    .time(s.time)
                    .fixed(s.min_separation_m, 3)
                    .fixed(s.max_separation_m, 3)
                    .fixed(s.radius_m, 3);
            })?;
        }
        Ok(())
    })?;
    if clusters.iter().any(|c| !c.hold.resets.is_empty()) {
        file("cluster_resets.csv", &|w| {
            writeln!(w, "{CLUSTER_RESETS_HEADER}")?;
            for c in clusters {
                let rows: Vec<(UtcTime, usize, f64)> = (c.hold.resets.iter())
                    .flat_map(|r| r.delta_v_m_s.iter().enumerate().map(move |(k, &dv)| (r.time, c.first + k, dv)))
                    .collect();
                write_rows_parallel(w, &rows, |row, &(t, satellite, dv)| {
                    row.text(&c.name).time(t).text(&scenario.satellites[satellite].name).fixed(dv, 6);
                })?;
            }
            Ok(())
        })?;
    }
    let members: Vec<crate::orbit::Satellite> =
        clusters.iter().flat_map(|c| scenario.satellites[c.first..c.first + c.count].iter().cloned()).collect();
    file("cluster_elements.json", &|w| super::export::elements::write_omm_json(w, &members))?;
    file("cluster_elements.tle", &|w| super::export::elements::write_tle(w, &members))
}

/// Writes one of a mission model's tables. Its file name must be a plain `.csv` name: a
/// model cannot write outside the run's folder or over another output.
fn write_mission_table(dir: &Path, model: &str, table: &MissionTable) -> Result<PathBuf, WriteError> {
    let path = dir.join(&table.file);
    let plain = Path::new(&table.file).file_name().is_some_and(|n| n == table.file.as_str());
    if !plain || !table.file.ends_with(".csv") || path.exists() {
        return Err(WriteError {
            path,
            source: std::io::Error::other(format!(
                "mission model `{model}`: table name is not a new plain .csv file name"
            )),
        });
    }
    write_atomically(&path, |w| {
        let mut row = CsvRow::default();
        for field in &table.header {
            row.text(field);
        }
        row.finish(w)?;
        for fields in &table.rows {
            for field in fields {
                row.text(field);
            }
            row.finish(w)?;
        }
        Ok(())
    })?;
    Ok(path)
}
