//! `orbsim shells`: a TLE/OMM catalogue grouped into shells, planes and slots, as CSV.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use orbsim::orbit::catalogue::{GroupingSpec, group_catalogue};
use orbsim::orbit::load_orbit_files;
use orbsim::report::catalogue::{grouping_summary, write_catalogue_groups};
use orbsim::report::write_atomically;
use orbsim::time::UtcTime;

#[derive(Args, Debug)]
pub struct ShellsArgs {
    /// Orbit file: TLE (2- or 3-line) or CelesTrak OMM (JSON or CSV). Repeatable.
    #[arg(long = "tle", value_name = "FILE", required = true)]
    pub tle: Vec<PathBuf>,
    /// Keep satellites whose name contains this (case-insensitive). Repeatable.
    #[arg(long = "name", value_name = "SUBSTRING")]
    pub name: Vec<String>,
    /// Common epoch the nodes and arguments of latitude are carried to, ISO-8601 UTC
    /// (default: the latest element epoch).
    #[arg(long, allow_hyphen_values = true)]
    pub epoch: Option<String>,
    /// Output CSV file (written atomically); standard output if absent.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// A shell holds the satellites within this many degrees of its median inclination.
    #[arg(long, value_name = "DEG", allow_negative_numbers = true, default_value_t = GroupingSpec::default().inclination_tolerance_deg)]
    pub inclination_tolerance: f64,
    /// … and within this many km of its median altitude.
    #[arg(long, value_name = "KM", allow_negative_numbers = true, default_value_t = GroupingSpec::default().altitude_tolerance_km)]
    pub altitude_tolerance: f64,
    /// Neighbouring nodes further apart than this many degrees are in different planes.
    #[arg(long, value_name = "DEG", allow_negative_numbers = true, default_value_t = GroupingSpec::default().raan_gap_deg)]
    pub raan_gap: f64,
    /// Fewest satellites a plane may have; smaller planes' satellites are unassigned.
    #[arg(long, value_name = "N", default_value_t = GroupingSpec::default().min_per_plane)]
    pub min_per_plane: u32,
    /// Make any bad record in an orbit file fatal (by default they are skipped and counted).
    #[arg(long)]
    pub strict: bool,
    /// No summary on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// The option that sets each field of [`GroupingSpec`], for errors.
const OPTIONS: [(&str, &str); 4] = [
    ("inclination_tolerance_deg", "--inclination-tolerance"),
    ("altitude_tolerance_km", "--altitude-tolerance"),
    ("raan_gap_deg", "--raan-gap"),
    ("min_per_plane", "--min-per-plane"),
];

pub fn run(args: ShellsArgs) -> Result<(), CliError> {
    let spec = GroupingSpec {
        inclination_tolerance_deg: args.inclination_tolerance,
        altitude_tolerance_km: args.altitude_tolerance,
        raan_gap_deg: args.raan_gap,
        min_per_plane: args.min_per_plane,
    };
    spec.validate("").map_err(|m| {
        let (field, message) = m.trim_start_matches('.').split_once(": ").unwrap_or(("", &m));
        let option = OPTIONS.iter().find(|(f, _)| *f == field).map_or(field, |(_, o)| o);
        CliError::Input(format!("{option}: {message}"))
    })?;
    let epoch = match &args.epoch {
        Some(text) => Some(UtcTime::parse(text).map_err(|e| CliError::Input(format!("--epoch: {e}")))?),
        None => None,
    };
    if let Some(path) = &args.out {
        super::check_output_file("--out", path)?;
    }
    let mut satellites = Vec::new();
    for loaded in load_orbit_files(&args.tle, &args.name, args.strict).map_err(|e| CliError::Input(e.to_string()))? {
        if !args.quiet
            && let Some(summary) = loaded.skipped_summary()
        {
            super::console::warn(&summary);
        }
        satellites.extend(loaded.satellites);
    }
    let epoch =
        epoch.unwrap_or_else(|| satellites.iter().map(|s| s.elements.epoch).max().expect("a file has satellites"));
    let started = Instant::now();
    let members: Vec<usize> = (0..satellites.len()).collect();
    let grouping = group_catalogue(&satellites, &members, epoch, &spec);
    let grouped_s = started.elapsed().as_secs_f64();
    match &args.out {
        Some(path) => write_atomically(path, |w| write_catalogue_groups(w, &satellites, &grouping))
            .map_err(|e| CliError::Failed(e.to_string()))?,
        None => super::console::out_with(|w| write_catalogue_groups(w, &satellites, &grouping))?,
    }
    if !args.quiet {
        for line in grouping_summary(&grouping) {
            super::console::err_line(&line);
        }
        super::console::err_line(&format!("grouped {} satellites in {grouped_s:.3} s", satellites.len()));
    }
    Ok(())
}
