//! `orbsim passes`: pass windows as CSV, streamed in time order with bounded memory.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use super::geometry::GeometryArgs;
use crate::access::passes::{PassRows, stream_search};
use crate::report::tables::{PASSES_HEADER, write_pass_rows};
use crate::report::write_atomically;

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
    let inputs = args.geometry.load()?;
    let bar = args.geometry.window_progress(inputs.window, "passes");
    let rows = PassRows::new(&inputs.satellites, &inputs.stations);
    let (mut count, mut cut) = (0usize, 0usize);
    let mut retirements = Vec::new();
    let mut write = |out: &mut dyn std::io::Write| {
        writeln!(out, "{PASSES_HEADER}{}", if args.flag_cut { ",cut_start,cut_end" } else { "" })?;
        retirements = stream_search(
            &inputs.satellites,
            &|_| true,
            &inputs.stations,
            inputs.window,
            &rows,
            &|searched_s| bar.set_position(searched_s as u64),
            |block| {
                count += block.len();
                cut += block.iter().filter(|p| p.cut_start || p.cut_end).count();
                write_pass_rows(out, &block, &inputs.satellites, &inputs.stations, args.flag_cut)
            },
        )?;
        Ok(())
    };
    match &args.out {
        Some(path) => write_atomically(path, write).map_err(|e| CliError::Failed(e.to_string()))?,
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            write(&mut lock).map_err(|e| CliError::Failed(format!("standard output: {e}")))?;
        }
    }
    bar.finish_and_clear();
    if !args.geometry.quiet {
        for r in &retirements {
            eprintln!("warning: {} retired at {}: {}", inputs.satellites[r.satellite].name, r.time, r.reason);
        }
        eprintln!(
            "{count} passes of {} satellites over {} stations in {:.2} s{}",
            inputs.satellites.len(),
            inputs.stations.len(),
            started.elapsed().as_secs_f64(),
            if cut > 0 {
                format!(" ({cut} cut by the window's start or end; --flag-cut marks them)")
            } else {
                String::new()
            }
        );
    }
    Ok(())
}
