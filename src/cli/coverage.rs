//! `orbsim coverage`: coverage and revisit of a grid of points by a scenario's fleet.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::CliError;
use orbsim::access::Window;
use orbsim::access::coverage::analyse;
use orbsim::progress::Progress;
use orbsim::report::coverage::write_coverage;
use orbsim::scenario::load_scenario;
use orbsim::time::parse_duration;

#[derive(Args, Debug)]
pub struct CoverageArgs {
    /// Scenario file (TOML): its fleet, window and `[coverage]` section (or that section's defaults).
    pub scenario: PathBuf,
    /// Output folder (default: output/<scenario name>-coverage/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Analyse only this much of the window from its start (overrides `coverage.duration`): 90m, 12h, 1d.
    #[arg(long, allow_hyphen_values = true)]
    pub duration: Option<String>,
    /// No progress bar or summary.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: CoverageArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let scenario = load_scenario(&args.scenario, None).map_err(|e| CliError::Input(e.to_string()))?;
    if !args.quiet {
        for w in &scenario.warnings {
            super::console::warn(w);
        }
    }
    let config = &scenario.coverage;
    let duration_ns = match &args.duration {
        Some(text) => {
            let ns = parse_duration(text).map_err(|e| CliError::Input(format!("--duration: {e}")))?;
            if ns <= 0 {
                return Err(CliError::Input("--duration: must be longer than zero".into()));
            }
            Some(ns)
        }
        None => config.duration_ns,
    };
    let end = match duration_ns {
        Some(ns) => {
            let end = scenario.start.plus_nanos(ns);
            if end > scenario.end {
                return Err(CliError::Input(format!(
                    "--duration: {} is longer than the scenario's window ({} → {})",
                    args.duration.as_deref().unwrap_or("coverage.duration"),
                    scenario.start.iso_millis(),
                    scenario.end.iso_millis()
                )));
            }
            end
        }
        None => scenario.end,
    };
    let window = Window { start: scenario.start, end };
    let out_dir = args.out.clone().unwrap_or_else(|| Path::new("output").join(format!("{}-coverage", scenario.name)));
    if let Some(what) = orbsim::report::unreplaceable(&out_dir).filter(|_| !out_dir.is_dir()) {
        return Err(CliError::Input(format!("--out {}: is {what}", out_dir.display())));
    }
    let bars = super::progress::Bars::new(args.quiet);
    bars.begin("coverage", window.duration_s().ceil() as u64, "s of the window");
    let coverage =
        analyse(&scenario.satellites, &config.points, config.min_elevation_deg, config.k, window, &|done_s| {
            bars.set_position(done_s as u64)
        });
    bars.end();
    let analysed_s = started.elapsed().as_secs_f64();
    let files = write_coverage(&out_dir, &scenario.name, config, window, &coverage)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if !args.quiet {
        for r in &coverage.retirements {
            super::console::warn(&format!(
                "{} retired at {}: {}",
                scenario.satellites[r.satellite].name, r.time, r.reason
            ));
        }
        let window_s = window.duration_s();
        let all = orbsim::access::coverage::band_summaries(&config.points, &coverage.stats, 180.0, window_s);
        let global = &all[all.len() - 1];
        super::console::err_line(&format!(
            "{} against {} satellites over {:.1} h: {:.1} % of the time covered on average (area-weighted), longest gap {:.1} min, {:.1} satellites in view on average; analysis {analysed_s:.2} s, outputs {:.2} s",
            config.description,
            scenario.satellites.len(),
            window_s / 3600.0,
            100.0 * global.share_mean,
            global.max_gap_s / 60.0,
            global.mean_in_view,
            started.elapsed().as_secs_f64() - analysed_s,
        ));
        for f in files {
            super::console::out_line(&f.display().to_string())?;
        }
    }
    Ok(())
}
