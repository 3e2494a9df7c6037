//! `orbsim run` and `orbsim validate`: simulate a scenario, or only check it.

use std::path::{Path, PathBuf};

use clap::Args;

use super::CliError;
use orbsim::pipeline;
use orbsim::progress::Progress;
use orbsim::report::run::write_run;
use orbsim::report::summary::{RunSummary, console_summary};
use orbsim::scenario::{Scenario, load_scenario};

/// The scenario `orbsim run` uses when none is given.
pub const DEFAULT_SCENARIO: &str = "scenarios/qwen3-scs01.toml";

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (TOML); the bundled qwen3-scs01 scenario if absent.
    pub scenario: Option<PathBuf>,
    /// Output folder (default: output/<scenario name>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override the scenario's random seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// No progress bar and no summary.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
}

/// Finds the scenario: as given, or the bundled default (looked up in the working
/// directory, then in the source tree the binary was built from).
fn scenario_path(given: &Option<PathBuf>) -> PathBuf {
    if let Some(p) = given {
        return p.clone();
    }
    let local = PathBuf::from(DEFAULT_SCENARIO);
    if local.exists() { local } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_SCENARIO) }
}

fn load(path: &Path, seed: Option<u64>, quiet: bool) -> Result<Scenario, CliError> {
    let scenario = load_scenario(path, seed).map_err(|e| CliError::Input(e.to_string()))?;
    if !quiet {
        for w in &scenario.warnings {
            super::console::warn(w);
        }
        for line in scenario.catalogue.iter().flat_map(orbsim::report::catalogue::grouping_summary) {
            super::console::err_line(&line);
        }
    }
    Ok(scenario)
}

pub fn run(args: RunArgs) -> Result<(), CliError> {
    let path = scenario_path(&args.scenario);
    let scenario = load(&path, args.seed, args.quiet)?;
    let out_dir = args.out.clone().unwrap_or_else(|| Path::new("output").join(&scenario.name));
    orbsim::report::check_run_folder(&out_dir)
        .map_err(|e| CliError::Input(format!("--out {}: {e}", out_dir.display())))?;
    let progress = super::progress::Bars::new(args.quiet);
    let result = pipeline::run(&scenario, &progress).map_err(|e| CliError::Failed(e.to_string()))?;
    progress.begin("writing outputs", 0, "");
    let summary = RunSummary::new(&scenario, &result);
    let written = write_run(&out_dir, &scenario, &result, &summary);
    progress.end();
    written.map_err(|e| CliError::Failed(e.to_string()))?;
    if !args.quiet {
        for r in &result.plan.retirements {
            super::console::warn(&format!(
                "{} retired at {}: {}",
                scenario.satellites[r.satellite].name, r.time, r.reason
            ));
        }
        super::console::out_line(&console_summary(&scenario, &result, &summary, &out_dir))?;
    }
    Ok(())
}

pub fn validate(args: ValidateArgs) -> Result<(), CliError> {
    let scenario = load(&args.scenario, None, false)?;
    super::console::out_line(&format!(
        "{}: valid — {} satellites, {} stations, {} → {}, model {} in {} chunks",
        args.scenario.display(),
        scenario.satellites.len(),
        scenario.stations.len(),
        scenario.start.iso_millis(),
        scenario.end.iso_millis(),
        scenario.model.name,
        scenario.model.chunks
    ))
}
