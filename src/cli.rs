//! Command-line interface: clap parses, each subcommand validates its options into a
//! library call. Errors print as one line; bad input exits with code 2.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "orbsim",
    version,
    about = "Simulate AI models in orbit: uplink, dissemination, inference"
)]
struct Cli {}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let _cli = Cli::parse();
    0
}
