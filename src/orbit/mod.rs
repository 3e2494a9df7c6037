//! Orbit sources and propagation: TLE/3LE and OMM files, Walker shells, and SGP4; real
//! catalogues grouped into shells and planes (`catalogue`).
//!
//! SGP4 runs through the `sgp4` crate with **WGS72** constants and the IAU sidereal-time
//! expression, the configuration of Vallado's reference code in "improved" mode that
//! python-sgp4 and Skyfield use (not `sgp4::Constants::from_elements`, which picks WGS84).
//! The crate does not report decay, so [`Satellite::propagate`] checks the radius itself.

pub mod catalogue;
pub mod cluster;
pub mod omm;
pub mod tle;
pub mod walker;

use std::path::{Path, PathBuf};

use nalgebra::Vector3;

use crate::constants::{WGS72_MU_KM3_S2, WGS84_A_KM};
use crate::time::UtcTime;

/// A propagated radius below this is reported as decay: 90 km above the equatorial radius
/// (70–90 km altitude depending on latitude), below which nothing stays in orbit for
/// even one revolution.
pub const DECAY_RADIUS_KM: f64 = WGS84_A_KM + 90.0;

/// Most satellites in one run, over every TLE source and Walker shell: the largest
/// constellation filed so far (203,000 satellites with the ITU) with room to spare, and
/// what a run holds in 24 GB (a rollout keeps 35–55 KB per satellite, measured up to
/// 56,000: at most about 14 GB here). A bound, so that a typo such as
/// `total = 1000000000` is an error, not an allocation failure.
pub const MAX_SATELLITES: usize = 250_000;

/// Mean (Kozai) elements as TLEs and OMMs carry them.
#[derive(Debug, Clone, PartialEq)]
pub struct MeanElements {
    pub epoch: UtcTime,
    pub inclination_deg: f64,
    pub raan_deg: f64,
    pub eccentricity: f64,
    pub arg_perigee_deg: f64,
    pub mean_anomaly_deg: f64,
    pub mean_motion_rev_per_day: f64,
    /// SGP4 drag term, 1/Earth radii.
    pub bstar: f64,
    /// Half the first derivative of mean motion, rev/day² (informational; SGP4 ignores it).
    pub mean_motion_dot: f64,
    pub mean_motion_ddot: f64,
}

impl MeanElements {
    /// Semi-major axis from the mean motion (two-body, km).
    pub fn semi_major_axis_km(&self) -> f64 {
        let n = self.mean_motion_rev_per_day * std::f64::consts::TAU / 86_400.0;
        (WGS72_MU_KM3_S2 / (n * n)).cbrt()
    }

    pub fn perigee_radius_km(&self) -> f64 {
        self.semi_major_axis_km() * (1.0 - self.eccentricity)
    }

    pub fn apogee_radius_km(&self) -> f64 {
        self.semi_major_axis_km() * (1.0 + self.eccentricity)
    }

    pub fn period_s(&self) -> f64 {
        86_400.0 / self.mean_motion_rev_per_day
    }
}

/// One element set read from a file, before a propagator is built from it.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementRecord {
    pub name: Option<String>,
    pub norad_id: u32,
    pub international_designator: String,
    pub elements: MeanElements,
    /// 1-based line of the record's start in its file.
    pub line: usize,
}

/// A rejected record: where it is and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordError {
    pub line: usize,
    pub reason: String,
}

/// Errors that stop a fleet from loading.
#[derive(Debug, thiserror::Error)]
pub enum OrbitError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: no satellites in the file")]
    Empty { path: PathBuf },
    #[error("{path}:{line}: {reason}")]
    BadRecord { path: PathBuf, line: usize, reason: String },
    #[error("{path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    #[error("{path}: no satellite name contains {}", crate::units::quoted(filter))]
    NoMatch { path: PathBuf, filter: String },
    #[error("{files}: no satellite name in these files contains `{filter}`")]
    NoMatchInSet { files: String, filter: String },
    #[error("{0}")]
    Walker(String),
}

/// Why a satellite stopped being propagated.
#[derive(Debug, Clone, PartialEq)]
pub enum PropagationFailure {
    /// The radius fell below [`DECAY_RADIUS_KM`].
    Decayed { radius_km: f64 },
    /// SGP4 itself gave up (eccentricity out of range, negative semi-latus rectum, …).
    Sgp4(String),
}

impl std::fmt::Display for PropagationFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PropagationFailure::Decayed { radius_km } => {
                write!(
                    f,
                    "decayed (radius {radius_km:.1} km, {:.0} km above the equatorial radius)",
                    radius_km - WGS84_A_KM
                )
            }
            PropagationFailure::Sgp4(reason) => write!(f, "SGP4 failed: {reason}"),
        }
    }
}

/// A TEME position (km) and velocity (km/s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateTeme {
    pub position: Vector3<f64>,
    pub velocity: Vector3<f64>,
}

/// A satellite with its SGP4 propagator.
#[derive(Debug, Clone)]
pub struct Satellite {
    pub name: String,
    /// Catalogue number; generated (Walker) satellites have none.
    pub norad_id: Option<u32>,
    /// International designator (COSPAR ID, `1998-067A`) when the orbit source gives one.
    pub cospar_id: Option<String>,
    pub elements: MeanElements,
    propagator: sgp4::Constants,
}

impl Satellite {
    /// Builds the SGP4 propagator (WGS72, IAU sidereal time) for a set of mean elements.
    pub fn new(name: String, norad_id: Option<u32>, elements: MeanElements) -> Result<Self, String> {
        let deg = std::f64::consts::PI / 180.0;
        let orbit = sgp4::Orbit::from_kozai_elements(
            &sgp4::WGS72,
            elements.inclination_deg * deg,
            elements.raan_deg * deg,
            elements.eccentricity,
            elements.arg_perigee_deg * deg,
            elements.mean_anomaly_deg * deg,
            elements.mean_motion_rev_per_day * std::f64::consts::TAU / 1440.0,
        )
        .map_err(|e| format!("invalid mean elements: {e:?}"))?;
        let epoch_years = elements.epoch.days_since_j2000() / 365.25;
        let propagator =
            sgp4::Constants::new(sgp4::WGS72, sgp4::iau_epoch_to_sidereal_time, epoch_years, elements.bstar, orbit)
                .map_err(|e| format!("eccentricity {} out of range", e.0))?;
        Ok(Satellite { name, norad_id, cospar_id: None, elements, propagator })
    }

    /// The same satellite with its international designator.
    pub fn with_cospar_id(self, cospar_id: Option<String>) -> Self {
        Satellite { cospar_id, ..self }
    }

    /// Raw SGP4 state at `minutes` after the element epoch, without the decay check
    /// (what verification against Vallado's vectors needs).
    pub fn propagate_minutes(&self, minutes: f64) -> Result<StateTeme, PropagationFailure> {
        let p = self
            .propagator
            .propagate(sgp4::MinutesSinceEpoch(minutes))
            .map_err(|e| PropagationFailure::Sgp4(e.to_string()))?;
        Ok(StateTeme { position: Vector3::from(p.position), velocity: Vector3::from(p.velocity) })
    }

    /// TEME state at `t`, or why there is none: SGP4 failed or the orbit has decayed.
    pub fn propagate(&self, t: UtcTime) -> Result<StateTeme, PropagationFailure> {
        let state = self.propagate_minutes(t.seconds_since(self.elements.epoch) / 60.0)?;
        let radius_km = state.position.norm();
        if !radius_km.is_finite() || radius_km < DECAY_RADIUS_KM {
            return Err(PropagationFailure::Decayed { radius_km });
        }
        Ok(state)
    }

    /// Sub-satellite points (longitude, latitude in degrees, WGS84) at `samples + 1` even
    /// steps over `span_s` seconds from `from`, up to the first instant SGP4 fails.
    pub fn ground_track(&self, from: UtcTime, span_s: f64, samples: usize) -> Vec<(f64, f64)> {
        (0..=samples)
            .map_while(|k| {
                let t = from.plus_seconds(span_s * k as f64 / samples as f64);
                let state = self.propagate(t).ok()?;
                let r = crate::frames::teme_to_ecef_position(&state.position, t.gmst());
                let g = crate::frames::Geodetic::from_ecef(&r);
                Some((g.lon_deg, g.lat_deg))
            })
            .collect()
    }
}

/// A file's satellites, and the records it had to skip.
#[derive(Debug)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub satellites: Vec<Satellite>,
    pub rejected: Vec<RecordError>,
}

impl LoadedFile {
    /// One line for the user about skipped records, if there were any.
    pub fn skipped_summary(&self) -> Option<String> {
        let first = self.rejected.first()?;
        Some(format!(
            "{}: skipped {} bad record{} (first: line {}: {})",
            self.path.display(),
            self.rejected.len(),
            if self.rejected.len() == 1 { "" } else { "s" },
            first.line,
            first.reason
        ))
    }
}

/// The international designator in COSPAR form (`1998-067A`) from a TLE's (`98067A`, years
/// 1957–2056) or an OMM's `OBJECT_ID` (already `1998-067A`); `None` when it is absent or
/// not of that shape (a launch year, a three-digit launch number, a piece of 1–3 letters).
pub fn cospar_id(designator: &str) -> Option<String> {
    let d = designator.trim();
    let (year, rest) = match d.split_once('-') {
        Some((y, rest)) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => (y.to_string(), rest),
        Some(_) => return None,
        None if d.len() >= 2 && d.is_char_boundary(2) && d[..2].bytes().all(|b| b.is_ascii_digit()) => {
            let yy: u32 = d[..2].parse().ok()?;
            (format!("{}", if yy >= 57 { 1900 + yy } else { 2000 + yy }), &d[2..])
        }
        None => return None,
    };
    let launch_ok = rest.len() >= 4 && rest.is_char_boundary(3) && rest[..3].bytes().all(|b| b.is_ascii_digit());
    let piece_ok = launch_ok && rest.len() <= 6 && rest[3..].bytes().all(|b| b.is_ascii_uppercase());
    piece_ok.then(|| format!("{year}-{rest}"))
}

/// Reads satellites from a TLE/3LE file or a CelesTrak OMM file (JSON or CSV, recognised by
/// content). Bad records are collected in `rejected`; with `strict` the first one is fatal.
/// `name_filters`, when not empty, keep satellites whose name contains any of them
/// (case-insensitive); a filter that matches nothing is an error, since it is almost
/// certainly a typo.
pub fn load_orbit_file(path: &Path, name_filters: &[String], strict: bool) -> Result<LoadedFile, OrbitError> {
    let text =
        crate::input::read_to_string(path).map_err(|source| OrbitError::Io { path: path.to_path_buf(), source })?;
    let bad_file = |reason: String| OrbitError::BadFile { path: path.to_path_buf(), reason };
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let (records, mut rejected) = if trimmed.starts_with('[') || trimmed.starts_with('{') {
        omm::parse_omm_json(trimmed).map_err(bad_file)?
    } else if trimmed.lines().next().is_some_and(|l| l.contains("MEAN_MOTION") && l.contains(',')) {
        omm::parse_omm_csv(trimmed).map_err(bad_file)?
    } else {
        tle::parse_tle_text(&text)
    };
    let mut satellites = Vec::with_capacity(records.len());
    for record in records {
        let name = record.name.clone().unwrap_or_else(|| format!("NORAD {}", record.norad_id));
        match Satellite::new(name, Some(record.norad_id), record.elements) {
            Ok(sat) => satellites.push(sat.with_cospar_id(cospar_id(&record.international_designator))),
            Err(reason) => rejected.push(RecordError { line: record.line, reason }),
        }
    }
    rejected.sort_by_key(|e| e.line);
    if strict && let Some(first) = rejected.first() {
        return Err(OrbitError::BadRecord { path: path.to_path_buf(), line: first.line, reason: first.reason.clone() });
    }
    if satellites.is_empty() {
        return Err(match rejected.first() {
            Some(first) => {
                OrbitError::BadRecord { path: path.to_path_buf(), line: first.line, reason: first.reason.clone() }
            }
            None => OrbitError::Empty { path: path.to_path_buf() },
        });
    }
    let mut files = [LoadedFile { path: path.to_path_buf(), satellites, rejected }];
    keep_named(&mut files, name_filters)?;
    let [file] = files;
    Ok(file)
}

/// Reads several orbit files as one set (as [`load_orbit_file`] does each): a name filter
/// must match a satellite somewhere in the set, not in every file, so `--tle a.tle --tle
/// b.tle --name A --name B` picks A from one and B from the other.
pub fn load_orbit_files(
    paths: &[PathBuf],
    name_filters: &[String],
    strict: bool,
) -> Result<Vec<LoadedFile>, OrbitError> {
    let mut files = paths.iter().map(|p| load_orbit_file(p, &[], strict)).collect::<Result<Vec<_>, _>>()?;
    keep_named(&mut files, name_filters)?;
    Ok(files)
}

/// Keeps the satellites whose name contains any of `filters` (case-insensitive; every
/// satellite when there are none); a filter that matches no satellite of `files` is an
/// error, since it is almost certainly a typo.
fn keep_named(files: &mut [LoadedFile], filters: &[String]) -> Result<(), OrbitError> {
    if filters.is_empty() {
        return Ok(());
    }
    let lowered: Vec<String> = filters.iter().map(|f| f.to_lowercase()).collect();
    let matches = |name: &str| {
        let name = name.to_lowercase();
        lowered.iter().map(|f| name.contains(f.as_str())).collect::<Vec<bool>>()
    };
    let mut matched = vec![false; filters.len()];
    for file in files.iter_mut() {
        file.satellites.retain(|s| {
            let hits = matches(&s.name);
            matched.iter_mut().zip(&hits).for_each(|(m, h)| *m |= h);
            hits.contains(&true)
        });
    }
    if let Some(i) = matched.iter().position(|m| !m) {
        let filter = filters[i].clone();
        return Err(match files {
            [one] => OrbitError::NoMatch { path: one.path.clone(), filter },
            _ => OrbitError::NoMatchInSet {
                files: files.iter().map(|f| f.path.display().to_string()).collect::<Vec<_>>().join(", "),
                filter,
            },
        });
    }
    Ok(())
}
