//! The life of the model's versions on board, as the rollout left it: which satellite held
//! and ran which version when (`model_versions.csv`), how fast each release spread (the
//! `versions` section of summary.json), and a timeline of satellites running each version.
//! Reported through the mission seam ([`MissionReport`]) when the scenario has releases.

use serde::Serialize;

use super::spec::{Model, Release, ReleaseKind};
use super::{SatelliteUpload, UploadOutcome};
use crate::mission::{MissionChart, MissionFigure, MissionReport, MissionTable};
use crate::time::UtcTime;
use orbsim_plot::{LineChart, RefLine, Series, SeriesKind};

/// The header of `model_versions.csv`.
pub const MODEL_VERSIONS_HEADER: [&str; 6] =
    ["satellite", "version", "held_from_utc", "running_from_utc", "until_utc", "passes_used"];

/// One release's spread over the fleet, for summary.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionSummary {
    pub name: String,
    pub kind: &'static str,
    /// The version it builds on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    pub released_utc: String,
    /// Bytes sent per copy (compressed; for a delta: the changed chunks), and its chunks.
    pub transfer_bytes: u64,
    pub chunks: u32,
    pub targets: usize,
    /// Targets running it by the end of the window.
    pub deployed: usize,
    /// Hours from its release until the first, half, 90 % and all of the targets ran it
    /// (absent when that share was not reached).
    pub hours_to_first: Option<f64>,
    pub hours_to_half: Option<f64>,
    pub hours_to_90_percent: Option<f64>,
    pub hours_to_all: Option<f64>,
    /// Ground passes that carried bytes of it, summed over the targets, and the most any
    /// one target needed.
    pub ground_passes: u64,
    pub max_passes_per_satellite: u32,
    /// Bytes ground stations transmitted for it (headers and retransmissions included).
    pub ground_bytes_sent: u64,
    /// Payload bytes of it the targets received over inter-satellite links.
    pub isl_payload_bytes: u64,
    /// Availability: the share of the time from its release to the window's end that a
    /// target ran it, averaged over the targets, and the lowest.
    pub mean_running_share: f64,
    pub min_running_share: f64,
}

/// One satellite's availability per version, for summary.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SatelliteAvailability {
    pub satellite: String,
    /// Per version in release order: the share of the time from its release to the window's
    /// end that the satellite ran it.
    pub running_share: Vec<f64>,
}

/// The versions as rolled out: each period a satellite ran a version of the model.
pub struct VersionHistory<'a> {
    versions: Vec<(&'a Model, Option<&'a Release>)>,
    uploads: Vec<&'a [SatelliteUpload]>,
    /// (satellite, version, from, until): until `None` while it still runs at the end.
    periods: Vec<(u32, u16, UtcTime, Option<UtcTime>)>,
    start: UtcTime,
}

impl<'a> VersionHistory<'a> {
    pub fn new(model: &'a Model, releases: &'a [Release], outcome: &'a UploadOutcome, start: UtcTime) -> Self {
        let versions = std::iter::once((model, None)).chain(releases.iter().map(|r| (&r.artifact, Some(r)))).collect();
        let uploads = std::iter::once(outcome.satellites.as_slice()).chain(outcome.updates.iter().map(Vec::as_slice));
        let mut log = outcome.version_log.clone();
        log.sort_by_key(|c| (c.satellite, c.version, c.at, c.running));
        let mut periods: Vec<(u32, u16, UtcTime, Option<UtcTime>)> = Vec::new();
        for c in log {
            match periods.last_mut() {
                Some(open) if !c.running && (open.0, open.1) == (c.satellite, c.version) && open.3.is_none() => {
                    open.3 = Some(c.at)
                }
                _ if c.running => periods.push((c.satellite, c.version, c.at, None)),
                _ => {}
            }
        }
        VersionHistory { versions, uploads: uploads.collect(), periods, start }
    }

    fn released(&self, version: usize) -> UtcTime {
        self.start.plus_nanos(self.versions[version].1.map_or(0, |r| r.after_ns))
    }

    /// Rows of `model_versions.csv`, one per period a satellite ran a version: satellite,
    /// version, held from (verified on board), running from, until (patched over by a
    /// delta or stopped for a restart; empty if it still runs at the end), ground passes
    /// that carried it.
    pub fn rows(&self, names: &[String]) -> Vec<Vec<String>> {
        let time = |t: Option<UtcTime>| t.map_or_else(String::new, UtcTime::iso_millis);
        self.periods
            .iter()
            .map(|&(sat, v, from, until)| {
                let upload = &self.uploads[v as usize][sat as usize];
                vec![
                    names[sat as usize].clone(),
                    self.versions[v as usize].0.name.clone(),
                    time(upload.verified),
                    from.iso_millis(),
                    time(until),
                    upload.passes_used.to_string(),
                ]
            })
            .collect()
    }

    /// Per target satellite (fleet index) and version, the share of the time from the
    /// version's release to `end` that it ran it.
    pub fn running_shares(&self, end: UtcTime) -> Vec<(u32, Vec<f64>)> {
        let mut shares: Vec<(u32, Vec<f64>)> = (0..self.uploads[0].len() as u32)
            .filter(|&s| self.uploads[0][s as usize].target)
            .map(|s| (s, vec![0.0; self.versions.len()]))
            .collect();
        for &(sat, v, from, until) in &self.periods {
            let released = self.released(v as usize);
            let span = end.seconds_since(released);
            if let Ok(k) = shares.binary_search_by_key(&sat, |e| e.0)
                && span > 0.0
            {
                shares[k].1[v as usize] +=
                    until.unwrap_or(end).min(end).seconds_since(from.max(released)).max(0.0) / span;
            }
        }
        shares
    }

    /// Each version's spread, in release order.
    pub fn summaries(&self, sessions: &[super::Session], end: UtcTime) -> Vec<VersionSummary> {
        let shares = self.running_shares(end);
        (0..self.versions.len())
            .map(|v| {
                let running: Vec<f64> = shares.iter().map(|(_, s)| s[v]).collect();
                let (model, release) = self.versions[v];
                let released = self.released(v);
                let targets: Vec<&SatelliteUpload> = self.uploads[v].iter().filter(|s| s.target).collect();
                let mut deployed: Vec<UtcTime> = targets.iter().filter_map(|s| s.deployed).collect();
                deployed.sort_unstable();
                let hours_to = |share: f64| {
                    let needed = ((targets.len() as f64 * share).ceil() as usize).max(1);
                    deployed.get(needed - 1).map(|t| t.seconds_since(released) / 3600.0)
                };
                VersionSummary {
                    name: model.name.clone(),
                    kind: release.map_or(ReleaseKind::Full, |r| r.kind).name(),
                    base: release.and_then(|r| r.base).map(|b| self.versions[b].0.name.clone()),
                    released_utc: released.iso_millis(),
                    transfer_bytes: model.transfer_bytes,
                    chunks: model.chunks,
                    targets: targets.len(),
                    deployed: deployed.len(),
                    hours_to_first: hours_to(0.0),
                    hours_to_half: hours_to(0.5),
                    hours_to_90_percent: hours_to(0.9),
                    hours_to_all: hours_to(1.0),
                    ground_passes: targets.iter().map(|s| s.passes_used as u64).sum(),
                    max_passes_per_satellite: targets.iter().map(|s| s.passes_used).max().unwrap_or(0),
                    ground_bytes_sent: sessions.iter().filter(|s| s.release as usize == v).map(|s| s.bytes_sent).sum(),
                    isl_payload_bytes: targets.iter().map(|s| s.isl_bytes_received).sum(),
                    mean_running_share: running.iter().sum::<f64>() / running.len().max(1) as f64,
                    min_running_share: running.iter().copied().reduce(f64::min).unwrap_or(0.0),
                }
            })
            .collect()
    }

    /// Satellites running each version against time.
    pub fn timeline(&self, scenario: &str, end: UtcTime) -> LineChart<UtcTime> {
        let series = (0..self.versions.len())
            .map(|v| {
                let mut changes: Vec<(UtcTime, i64)> = Vec::new();
                for &(_, _, from, until) in self.periods.iter().filter(|p| p.1 as usize == v) {
                    changes.push((from, 1));
                    changes.extend(until.map(|t| (t, -1)));
                }
                changes.sort_unstable();
                let mut count = 0;
                let mut points = vec![(self.start, 0.0)];
                for (t, change) in changes {
                    count += change;
                    match points.last_mut() {
                        Some(last) if last.0 == t => last.1 = count as f64,
                        _ => points.push((t, count as f64)),
                    }
                }
                points.push((end, count as f64));
                Series::new(self.versions[v].0.name.clone(), SeriesKind::Step, points)
            })
            .collect();
        let targets = self.uploads[0].iter().filter(|s| s.target).count();
        LineChart {
            title: "Version rollout".into(),
            subtitle: format!("{scenario}: satellites running each version"),
            x_label: "Time".into(),
            y_label: "Satellites".into(),
            series,
            ref_lines: vec![RefLine::new(targets as f64, "all targets")],
            x_range: Some((self.start, end)),
            ..LineChart::default()
        }
    }
}

/// The versions' report: summary section, console lines, `model_versions.csv` and the
/// version-rollout timeline.
pub fn versions_report(
    history: &VersionHistory,
    sessions: &[super::Session],
    names: &[String],
    scenario: &str,
    end: UtcTime,
) -> MissionReport {
    let summaries = history.summaries(sessions, end);
    let per_satellite: Vec<SatelliteAvailability> = history
        .running_shares(end)
        .into_iter()
        .map(|(sat, running_share)| SatelliteAvailability { satellite: names[sat as usize].clone(), running_share })
        .collect();
    let headline = summaries
        .iter()
        .map(|s| {
            // Minutes under an hour: a swarm spreads an adapter in minutes.
            let after = |h: Option<f64>| match h {
                None => "not reached".to_string(),
                Some(h) if h < 1.0 => format!("{:.1} min", h * 60.0),
                Some(h) => format!("{h:.1} h"),
            };
            let passes = s.max_passes_per_satellite;
            format!(
                "{} ({}): {}/{} targets run it; all {} after its release; at most {passes} ground pass{} per satellite",
                s.name,
                s.kind,
                s.deployed,
                s.targets,
                after(s.hours_to_all),
                if passes == 1 { "" } else { "es" },
            )
        })
        .collect();
    MissionReport {
        name: "versions",
        summary: serde_json::json!({ "by_version": summaries, "per_satellite": per_satellite }),
        headline,
        tables: vec![MissionTable {
            file: "model_versions.csv".into(),
            header: MODEL_VERSIONS_HEADER.iter().map(|h| h.to_string()).collect(),
            rows: history.rows(names),
        }],
        figures: vec![MissionFigure {
            name: "version_rollout".into(),
            chart: MissionChart::Time(history.timeline(scenario, end)),
        }],
    }
}
