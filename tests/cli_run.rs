//! `orbsim run` and `orbsim validate` end to end: the outputs, their determinism across
//! thread counts, and one clear error line (with the field path) for bad scenarios.

mod common;

use std::process::Command;

use common::*;

fn run_in(dir: &std::path::Path, threads: &str, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec![
        "run".into(),
        repo("scenarios/qwen3-scs01.toml").display().to_string(),
        "--out".into(),
        dir.display().to_string(),
        "--quiet".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Command::new(env!("CARGO_BIN_EXE_orbsim")).args(&args).env("RAYON_NUM_THREADS", threads).output().unwrap()
}

#[test]
fn outputs_are_identical_across_thread_counts_and_change_with_the_seed() {
    let (a, b, c) = (scratch("run-1"), scratch("run-2"), scratch("run-seed"));
    assert!(run_in(&a, "1", &[]).status.success());
    assert!(run_in(&b, "2", &[]).status.success());
    assert!(run_in(&c, "2", &["--seed", "99"]).status.success());
    for file in ["passes.csv", "contacts.csv", "upload_passes.csv", "upload_summary.csv", "summary.json"] {
        let (x, y) = (std::fs::read(a.join(file)).unwrap(), std::fs::read(b.join(file)).unwrap());
        assert!(x == y, "{file} differs between 1 and 2 threads");
    }
    assert_ne!(
        std::fs::read(a.join("upload_passes.csv")).unwrap(),
        std::fs::read(c.join("upload_passes.csv")).unwrap()
    );
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(a.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["upload"]["passes_used_median"], 43, "regression guard: the fitted 43 passes");
    let leftovers = std::fs::read_dir(&a)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(leftovers, 0, "temporary files left behind");
}

/// Regression guard: the default scenario's 43 passes are fitted (README), not predicted.
#[test]
fn regression_guard_the_default_run_prints_its_fitted_43_pass_headline() {
    let dir = scratch("default");
    let out = Command::new(env!("CARGO_BIN_EXE_orbsim"))
        .args(["run", "--out", dir.to_str().unwrap()])
        .current_dir(repo(""))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("SCS-01 A: 43 passes over 2 stations"), "{text}");
}

/// Writes the default scenario with one edit and runs `validate` on it.
fn validate_with(name: &str, from: &str, to: &str) -> std::process::Output {
    let text = std::fs::read_to_string(repo("scenarios/qwen3-scs01.toml")).unwrap();
    assert!(text.contains(from), "{from}");
    let dir = scratch(name);
    let path = dir.join("s.toml");
    std::fs::write(&path, text.replace("../data", repo("data").to_str().unwrap()).replacen(from, to, 1)).unwrap();
    orbsim(&["validate", path.to_str().unwrap()])
}

#[test]
fn bad_scenarios_get_one_line_with_the_field_path() {
    for (name, from, to, needle) in [
        ("unknown-key", "chunk_header = ", "chunk_heder = ", "model.chunk_heder: unknown field `chunk_heder`"),
        ("zero-chunk", "chunk_size = \"1 MiB\"", "chunk_size = \"0 B\"", "model.chunk_size: must be > 0"),
        ("negative-size", "size = \"5027783488 B\"", "size = -5", "model.size"),
        ("bad-unit", "chunk_size = \"1 MiB\"", "chunk_size = \"1 MQ\"", "model.chunk_size: `1 MQ` is not a data size"),
        ("big-chunk", "chunk_size = \"1 MiB\"", "chunk_size = \"6 GB\"", "model.chunk_size: 6.000 GB is larger than"),
        (
            "preset",
            "preset = \"s-band-high-rate-uplink\"",
            "preset = \"s-band-hi\"",
            "links.uplink.preset: unknown preset `s-band-hi`",
        ),
        ("tle-missing", "scs01_three_body_computing.tle", "nope.tle", "fleet.tle[0]"),
        ("name-filter", "names = [\"SCS-01 A\"]", "names = [\"SCS-99\"]", "no satellite name contains `SCS-99`"),
        ("station-filter", "names = [\"Kashi (Kashgar) ground station\"]", "names = [\"Lhasa\"]", "stations.names"),
        ("start", "start = \"2025-11-13T00:00:00Z\"", "start = \"13 Nov\"", "start: `13 Nov` is not an ISO-8601"),
        ("duration", "duration = \"10d\"", "duration = \"-1d\"", "duration"),
        (
            "per",
            "packet_error_rate = 1e-6",
            "packet_error_rate = 2.0",
            "upload.loss.packet_error_rate: 2 is not a probability",
        ),
        ("storage", "storage = \"64 GB\"", "storage = \"8 GB\"", "onboard.storage"),
        ("latitude", "lat_deg = 30.67", "lat_deg = 130.67", "stations.site[0]: lat_deg"),
        ("syntax", "seed = 2025", "seed = = 2025", "s.toml:"),
    ] {
        assert_input_error(&validate_with(name, from, to), needle);
    }
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml")
            && !path.file_name().unwrap().to_string_lossy().starts_with('.')
        {
            let out = orbsim(&["validate", path.to_str().unwrap()]);
            assert!(out.status.success(), "{}: {}", path.display(), stderr(&out));
        }
    }
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    for (args, needle) in [
        (&["passes"][..], "--tle"),
        (&["passes", "--tle", "x", "--min-elevation", "1_000"][..], "--min-elevation"),
        (&["run", "--bogus"][..], "--bogus"),
        (&["frobnicate"][..], "frobnicate"),
    ] {
        let out = common::orbsim(args);
        common::assert_input_error(&out, needle);
        assert!(common::stderr(&out).len() <= 300, "{}", common::stderr(&out));
    }
}
