//! Options shared by the commands that compute geometry from a fleet file and a station
//! file over a time window (`passes`, `contacts`).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use crate::access::Window;
use crate::ground::{GroundStation, filter_stations, load_stations};
use crate::orbit::{Satellite, load_orbit_file};
use crate::time::{UtcTime, parse_duration};

#[derive(Args, Debug)]
pub struct GeometryArgs {
    /// Orbit file: TLE (2- or 3-line) or CelesTrak OMM (JSON or CSV). Repeatable.
    #[arg(long = "tle", value_name = "FILE", required = true)]
    pub tle: Vec<PathBuf>,
    /// Keep satellites whose name contains this (case-insensitive). Repeatable.
    #[arg(long = "name", value_name = "SUBSTRING")]
    pub name: Vec<String>,
    /// Ground stations: CSV (name,lat_deg,lon_deg[,alt_m][,min_elevation_deg]) or GeoJSON points.
    #[arg(long, value_name = "FILE")]
    pub stations: PathBuf,
    /// Keep stations whose name contains this (case-insensitive). Repeatable.
    #[arg(long = "station", value_name = "SUBSTRING")]
    pub station: Vec<String>,
    /// Window start, ISO-8601 UTC (e.g. 2026-03-19T00:00:00Z).
    #[arg(long, allow_hyphen_values = true)]
    pub start: String,
    /// Window length: 90s, 30m, 12h, 7d.
    #[arg(long, default_value = "1d", allow_hyphen_values = true)]
    pub duration: String,
    /// Elevation mask in degrees for stations whose file gives none.
    #[arg(long = "min-elevation", default_value_t = 10.0, allow_negative_numbers = true)]
    pub min_elevation: f64,
    /// Make any bad record in an orbit file fatal (by default they are skipped and counted).
    #[arg(long)]
    pub strict: bool,
    /// No progress bar or summary on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// The validated inputs of a geometry command.
pub struct GeometryInputs {
    pub satellites: Vec<Satellite>,
    pub stations: Vec<GroundStation>,
    pub window: Window,
}

impl GeometryArgs {
    pub fn load(&self) -> Result<GeometryInputs, CliError> {
        let start = UtcTime::parse(&self.start).map_err(|e| CliError::Input(format!("--start: {e}")))?;
        let duration = parse_duration(&self.duration).map_err(|e| CliError::Input(format!("--duration: {e}")))?;
        if duration == 0 {
            return Err(CliError::Input("--duration: must be longer than zero".into()));
        }
        let mut satellites = Vec::new();
        for path in &self.tle {
            let loaded = load_orbit_file(path, &self.name, self.strict).map_err(|e| CliError::Input(e.to_string()))?;
            if !self.quiet
                && let Some(summary) = loaded.skipped_summary()
            {
                eprintln!("warning: {summary}");
            }
            satellites.extend(loaded.satellites);
        }
        let stations = load_stations(&self.stations, self.min_elevation).map_err(|e| CliError::Input(e.to_string()))?;
        let stations =
            filter_stations(stations, &self.station, &self.stations).map_err(|e| CliError::Input(e.to_string()))?;
        Ok(GeometryInputs { satellites, stations, window: Window { start, end: start.plus_nanos(duration) } })
    }

    /// A progress bar over the window's simulated time on stderr, hidden when stderr is not
    /// a terminal or with `--quiet`.
    pub fn window_progress(&self, window: Window, what: &str) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(window.duration_s().ceil() as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {percent}% of the window, {elapsed} elapsed, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }

    /// A progress bar over satellites on stderr, hidden when stderr is not a terminal or
    /// with `--quiet`.
    pub fn progress(&self, satellites: usize, what: &str) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(satellites as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} satellites, {elapsed} elapsed, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }
}
