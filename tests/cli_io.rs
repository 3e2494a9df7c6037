//! Every subcommand with standard output or standard error unwritable (full device,
//! closed descriptor): a command whose result goes to standard output fails with exit 1
//! (never a panic's 101, never a silent 0); a command with bad input keeps exit 2 even when
//! its error line cannot be written; unwritable standard error never changes the exit code.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// How the standard streams of the child are broken.
#[derive(Clone, Copy, Debug)]
enum Broken {
    StdoutFull,
    StdoutClosed,
    StderrFull,
    StderrClosed,
}

const ALL: [Broken; 4] = [Broken::StdoutFull, Broken::StdoutClosed, Broken::StderrFull, Broken::StderrClosed];

impl Broken {
    fn redirection(self) -> &'static str {
        match self {
            Broken::StdoutFull => ">/dev/full",
            Broken::StdoutClosed => ">&-",
            Broken::StderrFull => "2>/dev/full",
            Broken::StderrClosed => "2>&-",
        }
    }

    fn stdout_broken(self) -> bool {
        matches!(self, Broken::StdoutFull | Broken::StdoutClosed)
    }
}

/// Runs orbsim through `sh` so that a descriptor can be closed, not only redirected.
fn run_broken(args: &[String], broken: Broken) -> Output {
    let script = format!("exec \"$0\" \"$@\" {}", broken.redirection());
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_orbsim"))
        .args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("run sh")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

const TLE: &str = "data/tle/active_2026-03-19/scs01_three_body_computing.tle";
const STATIONS: &str = "data/stations/china/china_ground_stations.csv";

fn geometry(command: &str) -> Vec<String> {
    strings(&[
        command,
        "--tle",
        repo(TLE).to_str().unwrap(),
        "--stations",
        repo(STATIONS).to_str().unwrap(),
        "--start",
        "2026-03-19T00:00:00Z",
        "--duration",
        "6h",
    ])
}

fn tiny_sweep(dir: &Path) -> String {
    let path = dir.join("tiny.toml");
    let text = format!(
        "name = \"tiny\"\nbase = \"{}\"\nseed = 7\nreplications = 1\n\n[grid]\n\"links.uplink.rate_bps\" = [6e6]\n",
        repo("scenarios/qwen3-scs01.toml").display()
    );
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Each subcommand with valid arguments, and whether it writes its result to standard output.
fn commands(dir: &Path) -> Vec<(Vec<String>, bool)> {
    let d = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let scenario = repo("scenarios/qwen3-scs01.toml").to_str().unwrap().to_string();
    let sweep = tiny_sweep(dir);
    let shard = ok(Command::new(env!("CARGO_BIN_EXE_orbsim"))
        .args(["sweep", &sweep, "--shard", "0/1", "--quiet", "--out", &d("sharded")])
        .output()
        .unwrap());
    assert!(shard.status.success());
    let mut export = geometry("export");
    export.extend(strings(&["--czml", &d("x.czml")]));
    let mut contacts = geometry("contacts");
    contacts.extend(strings(&["--link", "s-band-high-rate-uplink"]));
    vec![
        (strings(&["validate", &scenario]), true),
        (strings(&["run", &scenario, "--out", &d("run")]), true),
        (geometry("passes"), true),
        (contacts, true),
        (strings(&["link-rates", "--out", &d("rates")]), true),
        (export, false),
        (strings(&["sweep", &sweep, "--list"]), true),
        (strings(&["sweep", &sweep, "--shard", "all", "--out", &d("sweep")]), true),
        (strings(&["merge", &d("sharded"), "--out", &d("merged")]), true),
    ]
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), stderr(&out));
    out
}

#[test]
fn unwritable_standard_streams_give_exit_codes_not_panics() {
    let dir = scratch("cli-io-streams");
    for (args, writes_stdout) in commands(&dir) {
        for broken in ALL {
            let out = run_broken(&args, broken);
            let expected = if broken.stdout_broken() && writes_stdout { 1 } else { 0 };
            assert_eq!(
                out.status.code(),
                Some(expected),
                "orbsim {} with {broken:?}: {}",
                args.join(" "),
                stderr(&out)
            );
            assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        }
    }
}

#[test]
fn input_errors_keep_exit_2_whatever_the_streams() {
    let dir = scratch("cli-io-input");
    let missing = dir.join("missing.toml").to_str().unwrap().to_string();
    let mut bad_passes = geometry("passes");
    bad_passes[6] = "2026-13-19T00:00:00Z".into();
    let cases = vec![
        strings(&["validate", &missing]),
        strings(&["run", &missing]),
        bad_passes,
        strings(&["link-rates", "--altitude-km", "10"]),
        strings(&["sweep", &missing]),
        strings(&["merge", &missing]),
        strings(&["no-such-command"]),
        strings(&["run", "--seed", "minus-one"]),
    ];
    for args in cases {
        for broken in ALL {
            let out = run_broken(&args, broken);
            assert_eq!(out.status.code(), Some(2), "orbsim {} with {broken:?}: {}", args.join(" "), stderr(&out));
        }
    }
}

#[test]
fn help_that_cannot_be_written_is_a_failure() {
    for broken in [Broken::StdoutFull, Broken::StdoutClosed] {
        let out = run_broken(&strings(&["--help"]), broken);
        assert_eq!(out.status.code(), Some(1), "{broken:?}: {}", stderr(&out));
    }
    let out = run_broken(&strings(&["--version"]), Broken::StderrClosed);
    assert_eq!(out.status.code(), Some(0));
}
