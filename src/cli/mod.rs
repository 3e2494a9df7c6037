//! Command-line interface: clap parses, each subcommand turns its options into validated
//! library inputs and calls the library. Errors print as one line on stderr; bad input
//! exits with code 2, failures while running (e.g. an unwritable output) with code 1.

mod contacts;
mod export;
mod geometry;
mod link_rates;
mod passes;
mod run;
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
    /// Plot data rate against elevation for every ground-link preset (PNG and SVG).
    LinkRates(link_rates::LinkRatesArgs),
    /// Exports for other tools: CZML for CesiumJS, CCSDS OEM ephemerides.
    Export(export::ExportArgs),
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

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => run::validate(args),
        Command::Passes(args) => passes::run(args),
        Command::Contacts(args) => contacts::run(args),
        Command::LinkRates(args) => link_rates::run(args),
        Command::Export(args) => export::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) if args.dirs.iter().any(|d| crate::merge::holds_table_shards(d)) => {
            geometry::merge_table(&args.dirs, args.out.as_deref(), args.quiet)
        }
        Command::Merge(args) => sweep::merge(args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", e.message());
            e.exit_code()
        }
    }
}
