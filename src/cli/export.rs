//! `orbsim export`: a CZML document for CesiumJS (satellites, stations, passes) and CCSDS
//! OEM ephemerides for chosen satellites.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use super::geometry::GeometryArgs;
use orbsim::access::find_passes;
use orbsim::progress::Progress;
use orbsim::report::export::{ContactSpan, OemFrame, OemOptions, Step, select_satellites, write_czml, write_oem_files};
use orbsim::report::write_atomically;
use orbsim::time::{NANOS_PER_SECOND, UtcTime};

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// Write a CZML document (satellites, stations, passes) for CesiumJS to this file.
    #[arg(long, value_name = "FILE")]
    pub czml: Option<PathBuf>,
    /// Write one CCSDS OEM ephemeris per satellite into this folder.
    #[arg(long, value_name = "DIR")]
    pub oem: Option<PathBuf>,
    /// Only write OEMs for satellites whose name contains this (case-insensitive).
    /// Repeatable; all satellites when absent.
    #[arg(long = "oem-name", value_name = "SUBSTRING")]
    pub oem_name: Vec<String>,
    /// OEM reference frame: teme (SGP4's own) or itrf (Earth-fixed).
    #[arg(long = "oem-frame", value_name = "FRAME", default_value = "teme")]
    pub oem_frame: String,
    /// Time between samples: 60s, 2m, 500ms.
    #[arg(long, default_value = "60s", allow_hyphen_values = true)]
    pub step: String,
}

pub fn run(args: ExportArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let step = Step::parse(&args.step).map_err(|e| CliError::Input(format!("--step: {e}")))?;
    let frame = OemFrame::parse(&args.oem_frame).ok_or_else(|| {
        CliError::Input(format!("--oem-frame: `{}` is not a frame (expected teme or itrf)", args.oem_frame))
    })?;
    if args.oem.is_none() && !args.oem_name.is_empty() {
        return Err(CliError::Input("--oem-name: needs --oem DIR to write the ephemerides into".into()));
    }
    if args.czml.is_none() && args.oem.is_none() {
        return Err(CliError::Input("nothing to export: give --czml FILE and/or --oem DIR".into()));
    }
    if let Some(path) = &args.czml {
        super::check_output_file("--czml", path)?;
    }
    let inputs = args.geometry.load()?;
    let window = inputs.window;
    step.check_window(window).map_err(|e| CliError::Input(format!("--step: {e}")))?;
    let chosen = match &args.oem {
        Some(_) => select_satellites(&inputs.satellites, &args.oem_name)
            .map_err(|e| CliError::Input(format!("--oem-name: {e}")))?,
        None => Vec::new(),
    };

    let mut summary = Vec::new();
    if let Some(path) = &args.czml {
        let bar = args.geometry.bars();
        bar.begin("passes", inputs.satellites.len() as u64, "satellites");
        let found = find_passes(&inputs.satellites, &inputs.stations, window, &|| bar.advance(1));
        bar.end();
        if !args.geometry.quiet {
            for r in &found.retirements {
                super::console::warn(&format!(
                    "{} retired at {}: {}",
                    inputs.satellites[r.satellite].name, r.time, r.reason
                ));
            }
        }
        let spans: Vec<ContactSpan> = found.passes.iter().map(ContactSpan::from).collect();
        write_atomically(path, |out| write_czml(out, &inputs.satellites, &inputs.stations, &spans, window, step))
            .map_err(|e| CliError::Failed(e.to_string()))?;
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        summary.push(format!(
            "{} ({} satellites, {} stations, {} passes, {:.1} MB)",
            path.display(),
            inputs.satellites.len(),
            inputs.stations.len(),
            spans.len(),
            bytes as f64 / 1e6
        ));
    }
    if let Some(dir) = &args.oem {
        let options = OemOptions::new(frame, step, creation_date());
        let files = write_oem_files(dir, &inputs.satellites, &chosen, window, &options)
            .map_err(|e| CliError::Failed(e.to_string()))?;
        let written = files.iter().filter(|f| f.path.is_some()).count();
        if !args.geometry.quiet {
            for f in &files {
                let name = &inputs.satellites[f.satellite].name;
                match (&f.path, &f.stopped) {
                    (None, Some(stop)) => super::console::warn(&format!("{name}: no OEM written: {}", stop.reason)),
                    (Some(_), Some(stop)) => {
                        super::console::warn(&format!("{name}: OEM ends at {} ({})", stop.time, stop.reason))
                    }
                    _ => {}
                }
            }
        }
        summary.push(format!("{written} OEM file{} in {}", if written == 1 { "" } else { "s" }, dir.display()));
    }
    if !args.geometry.quiet {
        super::console::err_line(&format!(
            "wrote {} at a {} s step in {:.2} s",
            summary.join(" and "),
            step.seconds(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

/// `CREATION_DATE` for OEMs: `SOURCE_DATE_EPOCH` (seconds since 1970) when set, so that
/// reproducible runs give byte-identical files, otherwise the current time to the second.
fn creation_date() -> UtcTime {
    let seconds =
        std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
        });
    UtcTime::from_unix_nanos(seconds.saturating_mul(NANOS_PER_SECOND))
}
