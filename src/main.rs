//! The `orbsim` command: the command line (clap subcommands, progress bars, the console)
//! over the library. It lives in the binary so the library does not carry clap or
//! indicatif in its API.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
