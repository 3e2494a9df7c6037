//! `orbsim passes`: pass windows as CSV, streamed in time order with bounded memory.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use super::geometry::{GeometryArgs, SHARD_HELP, report_shard, warn_retired, write_table_shard};
use super::sweep::choose_shard;
use orbsim::access::passes::{PassItems, PassRows, stream_search};
use orbsim::progress::Progress;
use orbsim::report::tables::{PASSES_HEADER, pass_row, write_pass_rows};
use orbsim::report::write_atomically;
use orbsim::sweep::table_shards::push_time_key;

#[derive(Args, Debug)]
pub struct PassesArgs {
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// Output CSV file (written atomically); standard output if absent. With --shard, the
    /// folder the shard's own folder goes in.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_name = "INDEX/COUNT", help = SHARD_HELP)]
    pub shard: Option<String>,
    /// Add `cut_start,cut_end` columns flagging passes cut by the window's start or end.
    #[arg(long)]
    pub flag_cut: bool,
}

pub fn run(args: PassesArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let shard = choose_shard(args.shard.as_deref())?;
    // A shard's --out is the folder its part goes into; otherwise it is the table's file.
    if let (None, Some(path)) = (&shard, &args.out) {
        super::check_output_file("--out", path)?;
    }
    let inputs = args.geometry.load()?;
    let bar = args.geometry.bars();
    bar.begin("passes", inputs.window.duration_s().ceil() as u64, "s of the window");
    let rows = PassRows::new(&inputs.satellites, &inputs.stations);
    let header = format!("{PASSES_HEADER}{}", if args.flag_cut { ",cut_start,cut_end" } else { "" });
    if let Some(shard) = shard {
        let dir = args
            .out
            .as_deref()
            .ok_or_else(|| CliError::Input("--shard: give --out DIR for the shard's folder".into()))?;
        let hash = args.geometry.inputs_hash("passes", &[args.flag_cut.to_string()])?;
        let (folder, count, retirements) = write_table_shard(
            &inputs,
            shard,
            dir,
            "passes",
            &header,
            hash,
            &rows,
            |p, key| {
                let (aos, satellite, station) = rows.key(p);
                push_time_key(key, aos);
                key.extend_from_slice(&(satellite as u64).to_be_bytes());
                key.extend_from_slice(&(station as u64).to_be_bytes());
            },
            |row, p| pass_row(row, p, &inputs.satellites, &inputs.stations, args.flag_cut),
            &bar,
        )?;
        bar.end();
        if !args.geometry.quiet {
            report_shard(&inputs, (&folder, count, &retirements), "passes", shard, dir, started);
        }
        return Ok(());
    }
    let (mut count, mut cut) = (0usize, 0usize);
    let mut retirements = Vec::new();
    let write = |out: &mut dyn std::io::Write| {
        writeln!(out, "{header}")?;
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
        None => super::console::out_with(write)?,
    }
    bar.end();
    if !args.geometry.quiet {
        warn_retired(&inputs.satellites, &retirements);
        super::console::err_line(&format!(
            "{count} passes of {} satellites over {} stations in {:.2} s{}",
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
