//! `orbsim sweep` and `orbsim merge`: run a parameter sweep (whole or one shard), and join
//! the shards of a sweep into the output an unsharded run writes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::CliError;
use orbsim::progress::Progress;
use orbsim::report::tables::CsvRow;
use orbsim::sweep::{
    Manifest, SWEEP_CSV, Shard, Sweep, SweepError, SweepTable, check_shard, load_sweep, merge_shards, run_shard,
    write_shard, write_sweep,
};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Sweep file (TOML): a base scenario, a [grid] of field paths and values, replications.
    pub sweep: PathBuf,
    /// Output folder (default: output/sweeps/<sweep name>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only shard INDEX of COUNT (the run ids with run_id % COUNT == INDEX) and write
    /// its rows and manifest to DIR/shard-<INDEX>-of-<COUNT>/ for `orbsim merge`. Without
    /// it, a Slurm array task (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of
    /// SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX of
    /// ORBSIM_SHARDS) picks the shard; `all` runs everything regardless.
    #[arg(long, value_name = "INDEX/COUNT")]
    pub shard: Option<String>,
    /// Also keep every run's full outputs and scenario in DIR/runs/<run_id>/.
    #[arg(long)]
    pub keep_runs: bool,
    /// Check every variant, print the run list (run id, variant, replication, seed, grid
    /// values) as CSV and exit without running.
    #[arg(long)]
    pub list: bool,
    /// No progress bar and no summary.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard folders (shard-*-of-*), or sweep output folders holding them.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Output folder (default: the folder given, when one is given that holds the shards;
    /// else output/sweeps/<sweep name>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No summary.
    #[arg(long)]
    pub quiet: bool,
}

fn cli_error(e: SweepError) -> CliError {
    if e.is_input() { CliError::Input(e.to_string()) } else { CliError::Failed(e.to_string()) }
}

/// `--shard`, else the scheduler's environment; `None` runs the whole sweep.
pub(super) fn choose_shard(given: Option<&str>) -> Result<Option<Shard>, CliError> {
    match given {
        Some("all") => Ok(None),
        Some(text) => Shard::parse(text).map(Some).map_err(|e| CliError::Input(format!("--shard: {e}"))),
        None => Shard::from_env(|k| std::env::var(k).ok()).map_err(CliError::Input),
    }
}

fn print_list(sweep: &Sweep, shard: Shard) -> Result<(), CliError> {
    let mut row = CsvRow::default();
    for h in ["run_id", "variant", "replication", "seed"] {
        row.text(h);
    }
    for a in &sweep.axes {
        row.text(&a.key);
    }
    row.end_row();
    for id in shard.run_ids(sweep.total_runs()) {
        let r = sweep.run(id);
        row.int(r.run_id).int(r.variant).int(r.replication).int(r.seed);
        for l in sweep.labels(r.variant) {
            row.text(&l);
        }
        row.end_row();
    }
    super::console::out_bytes(&row.into_bytes())
}

/// The variant that finished fastest (median over replications, unfinished runs counting
/// as slowest, as in the charts), for the console.
fn fastest(table: &SweepTable) -> Option<(u64, f64)> {
    let v = table.column("variant")?;
    let mut per: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
    for (i, r) in table.rows.iter().enumerate() {
        per.entry(r[v].parse().ok()?).or_default().push(table.hours_to_deploy_every_target(i));
    }
    per.into_iter()
        .map(|(v, hs)| (v, orbsim::sweep::plots::median(hs)))
        .filter(|(_, m)| m.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// "24 runs (24 variants × 1 replication)".
fn runs_text(runs: u64, variants: u64, replications: u64) -> String {
    let s = |n: u64| if n == 1 { "" } else { "s" };
    format!("{runs} run{} ({variants} variant{} × {replications} replication{})", s(runs), s(variants), s(replications))
}

/// `orbsim sweep`: runs the sweep (or the shard this process is given) and writes its outputs.
pub fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let sweep = load_sweep(&args.sweep).map_err(cli_error)?;
    let shard = choose_shard(args.shard.as_deref())?;
    if args.list {
        check_shard(&sweep, shard.unwrap_or(Shard::ALL)).map_err(cli_error)?;
        return print_list(&sweep, shard.unwrap_or(Shard::ALL));
    }
    let out = args.out.clone().unwrap_or_else(|| Path::new("output").join("sweeps").join(&sweep.name));
    let mine = shard.unwrap_or(Shard::ALL).run_ids(sweep.total_runs()).len() as u64;
    let progress = super::progress::Bars::new(args.quiet);
    progress.begin("sweep", mine, "runs");
    let table = run_shard(&sweep, shard.unwrap_or(Shard::ALL), &out, args.keep_runs, &|| progress.advance(1));
    progress.end();
    let table = table.map_err(cli_error)?;
    let secs = started.elapsed().as_secs_f64();
    let threads = match rayon::current_num_threads() {
        1 => "1 thread".to_string(),
        n => format!("{n} threads"),
    };
    match shard {
        Some(s) => {
            let dir = write_shard(&out, &sweep, s, &table).map_err(cli_error)?;
            if !args.quiet {
                super::console::out_line(&format!(
                    "sweep {}: shard {s}: {mine} of {} runs in {secs:.1} s on {threads}; wrote {}",
                    sweep.name,
                    sweep.total_runs(),
                    dir.display()
                ))?;
                super::console::out_line(&format!("  when every shard is done: orbsim merge {}", out.display()))?;
            }
        }
        None => {
            let manifest = Manifest::new(&sweep, Shard::ALL, SWEEP_CSV, &table.to_csv());
            progress.begin("writing the table and charts", 0, "");
            let written = write_sweep(&out, &manifest, &table);
            progress.end();
            written.map_err(cli_error)?;
            if !args.quiet {
                super::console::out_line(&format!(
                    "sweep {}: {} in {secs:.1} s on {threads}; wrote {}",
                    sweep.name,
                    runs_text(sweep.total_runs(), sweep.variants(), sweep.replications),
                    out.join(SWEEP_CSV).display()
                ))?;
                match fastest(&table) {
                    Some((v, h)) => super::console::out_line(&format!(
                        "  fastest: variant {v} ({}): every target deployed after {h:.1} h",
                        sweep.describe(v)
                    ))?,
                    None => {
                        super::console::out_line("  no variant deployed on every target within the simulated window")?
                    }
                }
            }
        }
    }
    check_failures(&table)
}

/// A sweep whose every row was written but some of whose runs failed is a failure (exit 1),
/// reported after everything else was written.
fn check_failures(table: &SweepTable) -> Result<(), CliError> {
    let failures = table.failures();
    match failures.first() {
        None => Ok(()),
        Some((run_id, error)) => Err(CliError::Failed(format!(
            "{} of {} runs failed (their rows hold the error); first, run {run_id}: {}",
            failures.len(),
            table.rows.len(),
            orbsim::units::one_line(error, 160)
        ))),
    }
}

/// `orbsim merge`: checks shard manifests and writes the whole sweep's outputs.
pub fn merge(args: MergeArgs) -> Result<(), CliError> {
    let (manifest, table) = merge_shards(&args.dirs).map_err(cli_error)?;
    let out = match (&args.out, args.dirs.as_slice()) {
        (Some(o), _) => o.clone(),
        (None, [one]) if !orbsim::sweep::shard::shard_subfolders(one).is_empty() => one.clone(),
        (None, _) => Path::new("output").join("sweeps").join(&manifest.sweep),
    };
    write_sweep(&out, &manifest, &table).map_err(cli_error)?;
    if !args.quiet {
        super::console::out_line(&format!(
            "merged sweep {}: {}; wrote {}",
            manifest.sweep,
            runs_text(manifest.total_runs, manifest.variants, manifest.replications),
            out.join(SWEEP_CSV).display()
        ))?;
    }
    check_failures(&table)
}
