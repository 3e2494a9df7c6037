//! Helpers shared by the integration tests that run the `orbsim` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orbsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn orbsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orbsim")).args(args).output().expect("run orbsim")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the run failed on bad input: exit code 2, one `error:` line naming `needle`,
/// and no panic.
pub fn assert_input_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "exit code for {needle:?}; stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("error:") || lines[0].starts_with("error["), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

/// A small test scenario: `total` satellites of a 550 km 53° Walker delta shell in `planes`
/// planes, Kashi and Sanya on the Ka-band uplink, a 64 MB model named `base` in 1 MB
/// chunks, then `sections` (TOML tables the test adds: links, rollout, releases, upsets…).
pub fn small_walker_scenario(
    name: &str,
    seed: u64,
    duration: &str,
    shell: (u32, u32),
    sections: &str,
) -> orbsim::scenario::Scenario {
    let text = small_walker_text(name, seed, duration, shell, sections);
    orbsim::scenario::load_scenario_text(&repo(&format!("scenarios/{name}.toml")), &text, None).unwrap()
}

/// The text of [`small_walker_scenario`]'s scenario (its paths absolute).
pub fn small_walker_text(name: &str, seed: u64, duration: &str, (total, planes): (u32, u32), sections: &str) -> String {
    let fleet = format!(
        r#"
[[fleet.shells]]
name = "shell"
pattern = "delta"
total = {total}
planes = {planes}
phasing = 1
altitude_km = 550
inclination = 53.0
"#
    );
    small_scenario_text(name, seed, duration, &fleet, sections)
}

/// A small scenario's text around the fleet section `fleet`: Kashi and Sanya on the
/// Ka-band uplink, a 64 MB model named `base` in 1 MB chunks, then `sections`.
pub fn small_scenario_text(name: &str, seed: u64, duration: &str, fleet: &str, sections: &str) -> String {
    format!(
        r#"
name = "{name}"
start = "2026-01-01T00:00:00Z"
duration = "{duration}"
seed = {seed}
{fleet}
[stations]
file = "{stations}"
names = ["Kashi (Kashgar)", "Sanya"]
min_elevation_deg = 10.0

[links.uplink]
preset = "ka-band-uplink"

[model]
name = "base"
size = "64 MB"
chunk_size = "1 MB"

{sections}
"#,
        stations = repo("data/stations/china/china_ground_stations.csv").display()
    )
}
