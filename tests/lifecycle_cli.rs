//! A model's life end to end through the CLI: releases by swarm, upsets with scrubbing and
//! repair, failures of every kind and questions by version, all at once; the outputs are the
//! same bytes with one thread or two, and change with the seed.

mod common;

use std::path::Path;
use std::process::Command;

use common::{scratch, small_walker_text, stderr};

const SECTIONS: &str = r#"
[links.isl]
preset = "optical-isl"

[isl]
topology = "grid"

[rollout]
strategy = "swarm"

[[releases]]
name = "adapter"
kind = "adapter"
after = "6h"
size = "8 MB"

[upsets]
rate_per_bit_day = 1e-7
multi_bit_share = 0.35

[scrub]
period = "1h"

[failures]
satellites = { mtbf = "12h", mttr = "2h" }
stations = { mtbf = "1d", mttr = "3h" }
antennas = { mtbf = "1d", mttr = "3h" }
isl_terminals = { mtbf = "1d", mttr = "2h" }

[inference]
satellites = ["shell"]
parameters = 8.19e9
timeout = "15min"

[inference.accelerator]
name = "test computer"
tops = 744
memory_bandwidth = "204.8 GB/s"
memory = "64 GB"
power = "60 W"
max_batch = 8

[[inference.sources]]
name = "ships"
kind = "ocean"
count = 200
rate = "24/d"
version = "latest"
prompt_tokens = { dist = "lognormal", median = 200, sigma = 0.8, max = 4096 }
output_tokens = { dist = "lognormal", median = 300, sigma = 0.6, max = 2048 }
"#;

fn run(dir: &Path, threads: &str, seed: &str) {
    let file = dir.join("lifecycle.toml");
    std::fs::write(&file, small_walker_text("lifecycle", 4, "1d", (24, 4), SECTIONS)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_orbsim"))
        .args(["run", file.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap(), "--quiet", "--seed", seed])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_models_life_is_the_same_bytes_on_any_thread_count() {
    let (a, b, c) = (scratch("life-1"), scratch("life-2"), scratch("life-seed"));
    run(&a, "1", "4");
    run(&b, "2", "4");
    run(&c, "2", "5");
    let files = [
        "contacts.csv",
        "upload_passes.csv",
        "model_versions.csv",
        "faults.csv",
        "outages.csv",
        "inference_requests.csv",
        "summary.json",
    ];
    for file in files {
        let read = |dir: &Path| std::fs::read(dir.join("out").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(read(&a) == read(&b), "{file} differs between 1 and 2 threads");
    }
    let read = |dir: &Path, file: &str| std::fs::read(dir.join("out").join(file)).unwrap();
    assert_ne!(read(&a, "outages.csv"), read(&c, "outages.csv"), "another seed, other failures");
    let summary: serde_json::Value = serde_json::from_slice(&read(&a, "summary.json")).unwrap();
    let missions = &summary["missions"];
    assert!(missions["failures"]["satellites"]["outages"].as_u64().unwrap() > 10, "{missions}");
    assert!(missions["upsets"]["corrupted"].as_u64().unwrap() > 0, "{missions}");
    assert!(missions["versions"]["by_version"][1]["deployed"].as_u64().unwrap() > 0, "{missions}");
}
