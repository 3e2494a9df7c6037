//! Running a sweep's runs (all of them or one shard's) and writing what they leave.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::manifest::{MANIFEST_FILE, Manifest};
use super::plots::write_charts;
use super::shard::Shard;
use super::spec::{RunSpec, Sweep};
use super::table::{SweepTable, failed_row, row};
use super::{RUNS_CSV, SWEEP_CSV, SweepError};
use crate::pipeline;
use crate::report::run::write_run;
use crate::report::summary::RunSummary;
use crate::report::write_atomically;
use crate::scenario::{ScenarioError, load_scenario_text};

/// A variant that does not validate, named by its grid values (the temporary file's name
/// and line numbers would mean nothing to the user).
fn variant_error(sweep: &Sweep, variant: u64, e: ScenarioError) -> SweepError {
    let field = if e.path.is_empty() { String::new() } else { format!("{}: ", e.path) };
    SweepError::Invalid {
        file: sweep.file.clone(),
        line_col: None,
        message: format!("variant {variant} ({}): {field}{}", sweep.describe(variant), e.message),
    }
}

/// Builds the scenario of every variant `runs` need and validates it, in memory (nothing is
/// written, nothing kept: a run rebuilds its variant's text) and in parallel; the first bad
/// variant in variant order is reported, whichever thread found it.
fn prepare(sweep: &Sweep, runs: &[RunSpec]) -> Result<(), SweepError> {
    let mut variants: Vec<u64> = runs.iter().map(|r| r.variant).collect();
    variants.sort_unstable();
    variants.dedup();
    let checked: Vec<Result<(), SweepError>> = variants
        .par_iter()
        .map(|&v| {
            let text = sweep.variant_text(v, 0)?;
            load_scenario_text(&sweep.file, &text, None).map(|_| ()).map_err(|e| variant_error(sweep, v, e))
        })
        .collect();
    checked.into_iter().collect()
}

/// Validates every variant `shard` would run, as [`run_shard`] does before it starts,
/// without running anything: a dry run for job scripts.
pub fn check_shard(sweep: &Sweep, shard: Shard) -> Result<(), SweepError> {
    let runs: Vec<RunSpec> = shard.run_ids(sweep.total_runs()).into_iter().map(|id| sweep.run(id)).collect();
    prepare(sweep, &runs)
}

/// Runs the runs of `shard` (every run for [`Shard::ALL`]) and returns their rows, sorted
/// by run id.
///
/// Every variant this shard needs is loaded and validated before any run starts, so a bad
/// combination fails in seconds, not after hours. Runs then execute in parallel on rayon's
/// pool (each run parallelises its contact plan on the same pool, so both levels share the
/// cores). With `keep_runs`, each run also writes its full outputs and its scenario (with
/// its seed) to `<out>/runs/<run_id>/`. A run that fails (or whose kept outputs cannot be
/// written) gets a row with its `error` and empty metrics ([`SweepTable::failures`]).
/// `on_run_done` is called once per finished run.
pub fn run_shard(
    sweep: &Sweep,
    shard: Shard,
    out: &Path,
    keep_runs: bool,
    on_run_done: &(dyn Fn() + Sync),
) -> Result<SweepTable, SweepError> {
    let runs: Vec<_> = shard.run_ids(sweep.total_runs()).into_iter().map(|id| sweep.run(id)).collect();
    prepare(sweep, &runs)?;

    // A run that fails (in the pipeline, or writing its kept outputs) becomes a row with
    // its error, so that one failure does not discard every other run's result.
    let rows: Vec<Result<Vec<String>, SweepError>> = runs
        .par_iter()
        .map(|spec| {
            let text = sweep.variant_text(spec.variant, 0)?;
            let scenario = load_scenario_text(&sweep.file, &text, Some(spec.seed))
                .map_err(|e| variant_error(sweep, spec.variant, e))?;
            let labels = sweep.labels(spec.variant);
            let outcome =
                pipeline::run(&scenario, &crate::progress::Silent).map_err(|e| e.to_string()).and_then(|result| {
                    if keep_runs {
                        let dir = out.join("runs").join(format!("{:06}", spec.run_id));
                        write_run(&dir, &scenario, &result, &RunSummary::new(&scenario, &result))
                            .map_err(|e| e.to_string())?;
                        let text = sweep.variant_text(spec.variant, spec.seed).map_err(|e| e.to_string())?;
                        write_atomically(&dir.join("scenario.toml"), |w| w.write_all(text.as_bytes()))
                            .map_err(|e| e.to_string())?;
                    }
                    Ok(result)
                });
            on_run_done();
            Ok(match outcome {
                Ok(result) => row(spec, &labels, &scenario, &result),
                Err(error) => failed_row(spec, &labels, &error),
            })
        })
        .collect();
    let mut table = SweepTable::new(&sweep.axes.iter().map(|a| a.key.clone()).collect::<Vec<_>>());
    for r in rows {
        table.rows.push(r?);
    }
    Ok(table)
}

/// Writes a shard's rows and manifest into `<out>/shard-<i>-of-<N>/` (the manifest last,
/// so a manifest always has its rows); returns the folder.
pub fn write_shard(out: &Path, sweep: &Sweep, shard: Shard, table: &SweepTable) -> Result<PathBuf, SweepError> {
    let dir = out.join(shard.dir_name());
    let bytes = table.to_csv();
    write_atomically(&dir.join(RUNS_CSV), |w| w.write_all(&bytes))?;
    let manifest = Manifest::new(sweep, shard, RUNS_CSV, &bytes);
    write_atomically(&dir.join(MANIFEST_FILE), |w| w.write_all(&manifest.to_json()))?;
    Ok(dir)
}

/// Writes a whole sweep's outputs into `out`: `sweep.csv`, the comparison charts and
/// `manifest.json` (last). Unsharded sweeps and merges both end here, with the same
/// manifest and table, hence the same bytes.
pub fn write_sweep(out: &Path, manifest: &Manifest, table: &SweepTable) -> Result<Vec<PathBuf>, SweepError> {
    let bytes = table.to_csv();
    let csv = out.join(SWEEP_CSV);
    write_atomically(&csv, |w| w.write_all(&bytes))?;
    let mut files = vec![csv];
    files.extend(write_charts(out, &manifest.sweep, table)?);
    let path = out.join(MANIFEST_FILE);
    write_atomically(&path, |w| w.write_all(&manifest.to_json()))?;
    files.push(path);
    Ok(files)
}
