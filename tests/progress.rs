//! Progress bars under a pseudo-terminal (util-linux `script`): every long phase of a run
//! shows a bar, and `--quiet` or a standard error that is not a terminal shows none.

mod common;

use std::process::Command;

use common::*;

/// The phases that last long enough here to be drawn. ("inference setup" has its spinner
/// too, but since the orbits are propagated as the simulation reaches them it ends before
/// the terminal's first redraw on this scenario.)
const PHASES: [&str; 5] =
    ["contact plan and upload", "inference ground contacts", "eclipses", "inference simulation", "writing outputs"];

/// Runs `orbsim ARGS` with a pseudo-terminal for its streams; returns what it drew.
fn under_pty(args: &str) -> Option<String> {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_orbsim"));
    let out = Command::new("script").args(["-qec", &command, "/dev/null"]).output().ok()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn every_phase_of_an_inference_run_shows_a_bar_on_a_terminal() {
    let dir = scratch("progress-tty");
    let scenario = repo("scenarios/qwen3-scs01-inference.toml");
    let args = format!("run {} --out {}", scenario.display(), dir.join("out").display());
    let Some(drawn) = under_pty(&args) else {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    for phase in PHASES {
        assert!(drawn.contains(phase), "no bar for {phase:?} in {drawn:?}");
    }
    assert!(drawn.contains("simulated s") && drawn.contains("ETA"), "bars show a rate and an ETA: {drawn:?}");

    let quiet = under_pty(&format!("{args} --quiet")).unwrap();
    assert!(PHASES.iter().all(|p| !quiet.contains(p)), "--quiet draws nothing: {quiet:?}");
}

#[test]
fn no_bar_when_standard_error_is_not_a_terminal() {
    let dir = scratch("progress-pipe");
    let scenario = repo("scenarios/qwen3-scs01-inference.toml");
    let out = orbsim(&["run", scenario.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(PHASES.iter().all(|p| !err.contains(p)), "{err}");
}
