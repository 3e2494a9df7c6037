//! `orbsim sweep` and `orbsim merge` end to end, on a tiny sweep over the fast default
//! scenario: a merge of shards is byte-identical to the unsharded sweep, a run's row does
//! not depend on how the sweep was split, and bad input gets one error line and exit 2.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// 2 rates × 2 chunk sizes × 2 replications = 8 runs of the default scenario.
fn tiny_sweep(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let base = repo("scenarios/qwen3-scs01.toml");
    let text = format!(
        "name = \"{name}\"\nbase = \"{}\"\nseed = 7\nreplications = 2\n\n[grid]\n\
         \"links.uplink.rate_bps\" = [3.7e6, 6e6]\n\"model.chunk_size\" = [\"1 MiB\", \"4 MiB\"]\n{extra}",
        base.display()
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn sweep(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_orbsim"));
    cmd.arg("sweep").args(args).arg("--quiet");
    for k in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
        "ORBSIM_SHARDS",
    ] {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), stderr(&out));
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const OUTPUTS: [&str; 6] = [
    "sweep.csv",
    "manifest.json",
    "time_to_deploy.png",
    "time_to_deploy.svg",
    "bytes_vs_time.png",
    "bytes_vs_time.svg",
];

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(path).unwrap();
    r.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

#[test]
fn a_merge_of_three_shards_is_byte_identical_to_the_unsharded_sweep() {
    let dir = scratch("sweep-merge");
    let file = tiny_sweep(&dir, "tiny", "");
    let (whole, sharded) = (dir.join("whole"), dir.join("sharded"));
    ok(sweep(&[s(&file), "--out", s(&whole)], &[]));
    // Two shards by flag, one as a Slurm array task (1-based array: task 3 of 1-3).
    ok(sweep(&[s(&file), "--out", s(&sharded), "--shard", "0/3"], &[]));
    ok(sweep(&[s(&file), "--out", s(&sharded), "--shard", "1/3"], &[]));
    ok(sweep(
        &[s(&file), "--out", s(&sharded)],
        &[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")],
    ));
    for i in 0..3 {
        assert!(sharded.join(format!("shard-{i}-of-3/manifest.json")).is_file());
    }
    assert!(!sharded.join("sweep.csv").exists(), "a shard must not write the whole sweep's table");
    ok(orbsim(&["merge", s(&sharded), "--quiet"]));
    for f in OUTPUTS {
        let (a, b) = (std::fs::read(whole.join(f)).unwrap(), std::fs::read(sharded.join(f)).unwrap());
        assert!(a == b, "{f} differs between the unsharded sweep and the merge of 3 shards");
    }
    let rows = csv_rows(&whole.join("sweep.csv"));
    assert_eq!(rows.len(), 9, "header + 8 runs");
    assert_eq!(
        &rows[0][..6],
        ["run_id", "variant", "replication", "seed", "links.uplink.rate_bps", "model.chunk_size"]
    );
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6", "7"]);
    // Replications innermost, the last grid key fastest.
    let order: Vec<(&str, &str, &str)> =
        rows[1..].iter().map(|r| (r[2].as_str(), r[4].as_str(), r[5].as_str())).collect();
    assert_eq!(order[0], ("0", "3700000", "1 MiB"));
    assert_eq!(order[1], ("1", "3700000", "1 MiB"));
    assert_eq!(order[2], ("0", "3700000", "4 MiB"));
    assert_eq!(order[4], ("0", "6000000", "1 MiB"));
    let passes = rows[0].iter().position(|h| h == "passes_median").unwrap();
    // Regression guard: 43 is the count the default scenario's uplink rate was fitted to.
    assert_eq!(rows[1][passes], "43", "regression guard: the default scenario's fitted 43 passes");
    // Shard folders given one by one, to another output folder, merge the same.
    let shards: Vec<String> = (0..3).map(|i| s(&sharded.join(format!("shard-{i}-of-3"))).to_string()).collect();
    let elsewhere = dir.join("elsewhere");
    let mut args = vec!["merge", "--quiet", "--out", s(&elsewhere)];
    args.extend(shards.iter().map(String::as_str));
    ok(orbsim(&args));
    assert_eq!(std::fs::read(whole.join("sweep.csv")).unwrap(), std::fs::read(elsewhere.join("sweep.csv")).unwrap());
}

#[test]
fn a_run_gives_the_same_row_alone_in_a_shard_and_in_the_whole_sweep() {
    let dir = scratch("sweep-seeds");
    let file = tiny_sweep(&dir, "tiny", "");
    let whole = dir.join("whole");
    ok(sweep(&[s(&file), "--out", s(&whole)], &[("RAYON_NUM_THREADS", "2")]));
    let rows = csv_rows(&whole.join("sweep.csv"));

    // Run 5 alone: shard 5 of 8 holds only it; on one thread; as a Kubernetes Indexed Job.
    let alone = dir.join("alone");
    ok(sweep(
        &[s(&file), "--out", s(&alone), "--keep-runs"],
        &[("JOB_COMPLETION_INDEX", "5"), ("ORBSIM_SHARDS", "8"), ("RAYON_NUM_THREADS", "1")],
    ));
    let single = csv_rows(&alone.join("shard-5-of-8/runs.csv"));
    assert_eq!(single.len(), 2);
    assert_eq!(single[1], rows[6], "run 5 alone differs from run 5 in the whole sweep");
    // In a shard of 3 (runs 2 and 5).
    let third = dir.join("third");
    ok(sweep(&[s(&file), "--out", s(&third), "--shard", "2/3"], &[("RAYON_NUM_THREADS", "1")]));
    let shard_rows = csv_rows(&third.join("shard-2-of-3/runs.csv"));
    assert_eq!(shard_rows[1..], [rows[3].clone(), rows[6].clone()]);

    // Seeds depend on (sweep seed, run id) only: a larger grid keeps run 0's and run 5's
    // seeds, and so do --list and the library.
    let wider = tiny_sweep(&dir, "wider", "\"upload.scheduling\" = [\"most-remaining\", \"round-robin\"]\n");
    let list = ok(sweep(&[s(&wider), "--list"], &[]));
    let listed: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .from_reader(list.stdout.as_slice())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(listed.len(), 16);
    for id in [0usize, 5] {
        assert_eq!(listed[id][3], rows[id + 1][3]);
        assert_eq!(rows[id + 1][3], orbsim::sweep::run_seed(7, id as u64).to_string());
    }
    let seeds: std::collections::HashSet<&str> = rows[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(seeds.len(), 8, "every run has its own seed");

    // The kept run folder reproduces with `orbsim run` alone: same summary, byte for byte.
    let kept = alone.join("runs/000005");
    let again = dir.join("again");
    ok(orbsim(&["run", s(&kept.join("scenario.toml")), "--out", s(&again), "--quiet"]));
    assert_eq!(std::fs::read(kept.join("summary.json")).unwrap(), std::fs::read(again.join("summary.json")).unwrap());
}

#[test]
fn bad_sweep_files_get_one_clear_error_and_exit_code_2() {
    let dir = scratch("sweep-bad");
    let base = repo("scenarios/qwen3-scs01.toml");
    let head = format!("name = \"bad\"\nbase = \"{}\"\n", base.display());
    let cases: [(&str, String, &str); 12] = [
        (
            "unknown-section",
            format!("{head}[grid]\n\"uplaod.scheduling\" = [\"round-robin\"]\n"),
            "unknown field `uplaod`",
        ),
        ("unknown-field", format!("{head}[grid]\n\"model.chunk_sise\" = [\"1 MiB\"]\n"), "model.chunk_sise"),
        ("empty-grid-list", format!("{head}[grid]\n\"model.chunk_size\" = []\n"), "empty list"),
        ("nothing-to-sweep", format!("{head}[grid]\n"), "nothing to sweep"),
        (
            "replications-0",
            format!("{head}replications = 0\n[grid]\n\"model.chunk_size\" = [\"1 MiB\"]\n"),
            "replications",
        ),
        (
            "bad-unit",
            format!("{head}[grid]\n\"model.chunk_size\" = [\"1 MiB\", \"2 MQ\"]\n"),
            "`2 MQ` is not a data size",
        ),
        ("missing-element", format!("{head}[grid]\n\"fleet.tle[3].file\" = [\"x.tle\"]\n"), "no `[3]`"),
        ("wrong-type", format!("{head}[grid]\n\"upload.receivers\" = [\"two\"]\n"), "upload.receivers"),
        ("unknown-key", format!("{head}replicas = 2\n"), "unknown field `replicas`"),
        ("seed-in-grid", format!("{head}[grid]\nseed = [1, 2]\n"), "replications"),
        (
            "bad-variant",
            format!(
                "{head}[grid]\n\"stations.file\" = [\"{}\"]\n",
                repo("data/stations/commercial/ksat.geojson").display()
            ),
            "stations.names",
        ),
        ("missing-base", "name = \"bad\"\nbase = \"nowhere.toml\"\nreplications = 2\n".to_string(), "nowhere.toml"),
    ];
    for (name, text, needle) in &cases {
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        let out = sweep(&[s(&path), "--out", s(&dir.join("out"))], &[]);
        assert_input_error(&out, needle);
        assert!(stderr(&out).contains(&format!("{name}.toml")), "{name}: the sweep file is named: {}", stderr(&out));
    }
    // --list checks every variant too (a dry run for job scripts).
    assert_input_error(&sweep(&[s(&dir.join("bad-variant.toml")), "--list"], &[]), "stations.names");
    // The file's line is given for grid entries.
    let out = sweep(&[s(&dir.join("bad-unit.toml"))], &[]);
    assert_input_error(&out, "bad-unit.toml:4:");

    let file = tiny_sweep(&dir, "tiny", "");
    let out_dir = dir.join("out");
    assert_input_error(&sweep(&[s(&file), "--shard", "3/3"], &[]), "out of range");
    assert_input_error(&sweep(&[s(&file), "--shard", "1-3"], &[]), "INDEX/COUNT");
    assert_input_error(&sweep(&[s(&file)], &[("JOB_COMPLETION_INDEX", "1")]), "ORBSIM_SHARDS");
    assert_input_error(
        &sweep(&[s(&file)], &[("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "3")]),
        "out of range",
    );

    // Merges: a missing shard, mismatched manifests, mixed shard counts, not sweep output.
    ok(sweep(&[s(&file), "--out", s(&out_dir), "--shard", "0/2"], &[]));
    assert_input_error(&orbsim(&["merge", s(&out_dir)]), "shard 1 of 2 missing (runs 1, 3, 5, 7)");
    let v2 = dir.join("v2");
    std::fs::create_dir_all(&v2).unwrap();
    let changed = tiny_sweep(&v2, "tiny", "\"upload.scheduling\" = [\"round-robin\"]\n");
    let other = dir.join("other");
    ok(sweep(&[s(&changed), "--out", s(&other), "--shard", "1/2"], &[]));
    assert_input_error(
        &orbsim(&["merge", s(&out_dir), s(&other.join("shard-1-of-2"))]),
        "not shards of the same sweep: changed inputs: sweep `tiny.toml`",
    );
    ok(sweep(&[s(&file), "--out", s(&out_dir), "--shard", "1/3"], &[]));
    assert_input_error(&orbsim(&["merge", s(&out_dir)]), "one shard count");
    assert_input_error(&orbsim(&["merge", s(&dir)]), "not sweep output");
}
