//! `orbsim passes`: pass windows as CSV.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use super::geometry::GeometryArgs;
use crate::access::find_passes;
use crate::report::{tables, write_atomically};

#[derive(Args, Debug)]
pub struct PassesArgs {
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// Output CSV file (written atomically); standard output if absent.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Add `cut_start,cut_end` columns flagging passes cut by the window's start or end.
    #[arg(long)]
    pub flag_cut: bool,
}

pub fn run(args: PassesArgs) -> Result<(), CliError> {
    let started = Instant::now();
    if let Some(path) = &args.out {
        super::check_output_file("--out", path)?;
    }
    let inputs = args.geometry.load()?;
    let bar = args.geometry.progress(inputs.satellites.len(), "passes");
    let found = find_passes(&inputs.satellites, &inputs.stations, inputs.window, &|| bar.inc(1));
    bar.finish_and_clear();
    let write = |out: &mut dyn std::io::Write| {
        tables::write_passes(out, &found.passes, &inputs.satellites, &inputs.stations, args.flag_cut)
    };
    match &args.out {
        Some(path) => write_atomically(path, write).map_err(|e| CliError::Failed(e.to_string()))?,
        None => super::console::out_with(write)?,
    }
    if !args.geometry.quiet {
        for r in &found.retirements {
            super::console::warn(&format!(
                "{} retired at {}: {}",
                inputs.satellites[r.satellite].name, r.time, r.reason
            ));
        }
        let cut = found.passes.iter().filter(|p| p.cut_start || p.cut_end).count();
        super::console::err_line(&format!(
            "{} passes of {} satellites over {} stations in {:.2} s{}",
            found.passes.len(),
            inputs.satellites.len(),
            inputs.stations.len(),
            started.elapsed().as_secs_f64(),
            if cut > 0 {
                format!(" ({cut} cut by the window's start or end; --flag-cut marks them)")
            } else {
                String::new()
            }
        ));
    }
    Ok(())
}
