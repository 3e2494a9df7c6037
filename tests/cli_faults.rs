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
