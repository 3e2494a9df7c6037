//! Command-line interface: clap parses, each subcommand turns its options into validated
//! library inputs and calls the library. Errors print as one line on stderr; bad input
//! exits with code 2, failures while running (e.g. an unwritable output) with code 1.

mod console;
mod contacts;
mod coverage;
mod export;
mod geometry;
mod link_rates;
mod passes;
mod progress;
mod run;
mod shells;
mod sweep;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "orbsim",
    version,
    about = "Simulate AI models in orbit: chunked uplink over ground passes, dissemination, inference"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario (the bundled qwen3-scs01 by default) and write its outputs.
    Run(run::RunArgs),
    /// Check a scenario file without running it.
    Validate(run::ValidateArgs),
    /// Pass windows of satellites over ground stations, as CSV.
    Passes(passes::PassesArgs),
    /// The contact plan: passes with link-budget rate profiles, as CSV.
    Contacts(contacts::ContactsArgs),
    /// Coverage and revisit of a grid of points by a scenario's fleet: CSV tables and figures.
    Coverage(coverage::CoverageArgs),
    /// Plot data rate against elevation for every ground-link preset (PNG and SVG).
    LinkRates(link_rates::LinkRatesArgs),
    /// Exports for other tools: CZML for CesiumJS, CCSDS OEM ephemerides.
    Export(export::ExportArgs),
    /// Group a TLE/OMM catalogue into shells, planes and slots (for +Grid links), as CSV.
    Shells(shells::ShellsArgs),
    /// Run a parameter sweep over a base scenario (whole, or one shard of it).
    Sweep(sweep::SweepArgs),
    /// Join the shards of a sweep, or of `passes`/`contacts`, into the output an unsharded run writes.
    Merge(sweep::MergeArgs),
}

/// A command's failure: bad input (exit 2) or a failure while running (exit 1).
#[derive(Debug)]
pub enum CliError {
    Input(String),
    Failed(String),
}

impl CliError {
    fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failed(_) => 1,
        }
    }

    fn message(&self) -> &str {
        match self {
            CliError::Input(m) | CliError::Failed(m) => m,
        }
    }
}

/// Refuses an output file path that must not be replaced (a symbolic link, a device, a
/// FIFO, a folder) before any work is done: `option` names the command-line option.
pub(crate) fn check_output_file(option: &str, path: &std::path::Path) -> Result<(), CliError> {
    match orbsim::report::unreplaceable(path) {
        Some(what) => Err(CliError::Input(format!(
            "{option} {}: is {what}; outputs are written only to new paths or over regular files",
            path.display()
        ))),
        None => Ok(()),
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // Usage errors are input errors: one line on standard error (best effort), exit 2.
            // Clap's first line says what is wrong; its usage block would make it several.
            let text = e.render().to_string();
            let what: Vec<&str> =
                text.lines().map(str::trim).take_while(|l| !l.is_empty() && !l.starts_with("Usage:")).collect();
            console::err_line(&format!("{} (see --help)", orbsim::units::one_line(&what.join(" "), 280)));
            return e.exit_code();
        }
        // Help and version are the command's result: failing to write them is a failure.
        Err(e) => return console::out_bytes(e.render().to_string().as_bytes()).map_or(1, |()| e.exit_code()),
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => run::validate(args),
        Command::Passes(args) => passes::run(args),
        Command::Contacts(args) => contacts::run(args),
        Command::Coverage(args) => coverage::run(args),
        Command::LinkRates(args) => link_rates::run(args),
        Command::Export(args) => export::run(args),
        Command::Shells(args) => shells::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) if args.dirs.iter().any(|d| orbsim::sweep::table_shards::holds_table_shards(d)) => {
            geometry::merge_table(&args.dirs, args.out.as_deref(), args.quiet)
        }
        Command::Merge(args) => sweep::merge(args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            console::err_line(&format!("error: {}", e.message()));
            e.exit_code()
        }
    }
}
