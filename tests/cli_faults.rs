//! Faults around output: a sweep whose runs fail keeps every row, special files are never
//! replaced, a FIFO given as input is refused instead of blocking, and a run killed at any
//! moment leaves its folder either complete or recognisably unfinished, with every
//! temporary removed by the next run.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(path).unwrap();
    r.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

#[test]
fn a_failed_sweep_run_keeps_its_row_and_every_other_row() {
    let dir = scratch("faults-sweep-rows");
    let sweep = dir.join("two.toml");
    std::fs::write(
        &sweep,
        format!(
            "name = \"two\"\nbase = \"{}\"\nseed = 3\nreplications = 1\n\n[grid]\n\"links.uplink.rate_bps\" = [6e6, 10e6, 4.5e6]\n",
            repo("scenarios/qwen3-scs01.toml").display()
        ),
    )
    .unwrap();
    let out = dir.join("out");
    // Run 1 cannot write its kept outputs: a regular file stands where its folder goes.
    std::fs::create_dir_all(out.join("runs")).unwrap();
    std::fs::write(out.join("runs").join("000001"), "in the way").unwrap();
    let result = orbsim(&["sweep", s(&sweep), "--shard", "all", "--keep-runs", "--quiet", "--out", s(&out)]);
    assert_eq!(result.status.code(), Some(1), "{}", stderr(&result));
    let err = stderr(&result);
    assert!(err.contains("1 of 3 runs failed") && err.contains("run 1"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let rows = csv_rows(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 4, "header and three rows");
    let error = rows[0].iter().position(|h| h == "error").unwrap();
    let deployed = rows[0].iter().position(|h| h == "deployed").unwrap();
    assert_eq!(error, rows[0].len() - 1);
    assert!(rows[1][error].is_empty() && rows[1][deployed] == "1", "{:?}", rows[1]);
    assert!(!rows[2][error].is_empty() && rows[2][deployed].is_empty(), "{:?}", rows[2]);
    assert!(rows[3][error].is_empty() && rows[3][deployed] == "1", "{:?}", rows[3]);
    assert!(out.join("manifest.json").is_file() && out.join("time_to_deploy.png").is_file());
}

#[test]
fn input_files_that_are_not_regular_files_are_refused_at_once() {
    let dir = scratch("faults-fifo");
    let fifo = dir.join("scenario.toml");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // No writer ever opens the FIFO: reading it would block forever.
    for args in [
        vec!["validate", s(&fifo)],
        vec!["run", s(&fifo), "--quiet"],
        vec!["sweep", s(&fifo), "--list"],
        vec!["passes", "--tle", s(&fifo), "--stations", "x.csv", "--start", "2026-03-19T00:00:00Z"],
    ] {
        let out = orbsim(&args);
        assert_input_error(&out, "FIFO");
    }
    assert_input_error(&orbsim(&["validate", "/dev/zero"]), "a device");
    assert_input_error(&orbsim(&["validate", s(&dir)]), "a folder");
}

#[test]
fn outputs_never_replace_links_devices_or_foreign_folders() {
    let dir = scratch("faults-special-out");
    let target = dir.join("precious.csv");
    std::fs::write(&target, "keep me").unwrap();
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let passes = |out: &Path| {
        orbsim(&[
            "passes",
            "--tle",
            s(&repo("data/tle/active_2026-03-19/scs01_three_body_computing.tle")),
            "--stations",
            s(&repo("data/stations/china/china_ground_stations.csv")),
            "--start",
            "2026-03-19T00:00:00Z",
            "--duration",
            "2h",
            "--out",
            s(out),
        ])
    };
    assert_input_error(&passes(&link), "symbolic link");
    assert_input_error(&passes(Path::new("/dev/null")), "special file");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");

    let scenario = repo("scenarios/qwen3-scs01.toml");
    assert_input_error(&orbsim(&["run", s(&scenario), "--quiet", "--out", s(&link)]), "symbolic link");
    let foreign = dir.join("home");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    assert_input_error(&orbsim(&["run", s(&scenario), "--quiet", "--out", s(&foreign)]), "notes.txt");
    assert_eq!(std::fs::read_to_string(foreign.join("notes.txt")).unwrap(), "mine");
}

/// The entries of `dir` other than `keep`, by name.
fn others(dir: &Path, keep: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != keep)
        .collect();
    names.sort();
    names
}

/// Every file of a run folder, by name, with its bytes.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_run_killed_at_any_moment_leaves_a_complete_or_recognisable_folder() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let dir = scratch("faults-kill");
    let out = dir.join("out");
    let scenario = repo("scenarios/walker100-upload.toml");
    let run = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orbsim"));
        cmd.args(["run", s(&scenario), "--quiet", "--out", s(&out)]);
        cmd
    };
    let started = std::time::Instant::now();
    assert!(run().status().unwrap().success());
    let full_run = started.elapsed();
    let reference = contents(&out);
    assert!(reference.iter().any(|(n, _)| n == "report.html"));

    let mut runner = TestRunner::new(Config { cases: 20, ..Config::default() });
    runner
        .run(&(0.0f64..1.2), |fraction| {
            let mut child = run().spawn().unwrap();
            std::thread::sleep(full_run.mul_f64(fraction));
            let _ = child.kill();
            let _ = child.wait();
            let leftovers = others(&dir, "out");
            let recognisable = |n: &String| n.starts_with(".out.") && (n.ends_with(".partial") || n.ends_with(".old"));
            prop_assert!(leftovers.iter().all(recognisable), "unrecognisable entries after a kill: {:?}", leftovers);
            if out.exists() {
                prop_assert!(contents(&out) == reference, "the folder is not one run's complete outputs");
            } else {
                prop_assert!(!leftovers.is_empty(), "neither the outputs nor a recognisable state");
            }
            Ok(())
        })
        .unwrap();

    assert!(run().status().unwrap().success());
    assert_eq!(others(&dir, "out"), Vec::<String>::new(), "the next run removes every leftover");
    assert!(contents(&out) == reference);
}
