//! Model versions against conservation and the rules of releases: a delta sends exactly
//! its changed chunks, a release reaches only satellites running its base, adding releases
//! leaves the model's own upload as it was, and no question is answered by a satellite
//! that did not run the version it asked for (checked from the CSV files a run writes).

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{repo, small_walker_scenario};
use orbsim::mission::rollout::UploadOutcome;
use orbsim::pipeline::{RunResult, run};
use orbsim::scenario::{Scenario, load_scenario};
use orbsim::time::UtcTime;

fn simulate(s: &Scenario) -> RunResult {
    run(s, &orbsim::progress::Silent).unwrap()
}

fn update_scenario() -> Scenario {
    load_scenario(&repo("scenarios/qwen3-scs01-update.toml"), None).unwrap()
}

/// The upload of release `k` (0: the model), per satellite.
fn release(upload: &UploadOutcome, k: usize) -> &[orbsim::mission::rollout::SatelliteUpload] {
    if k == 0 { &upload.satellites } else { &upload.updates[k - 1] }
}

#[test]
fn a_delta_sends_exactly_its_changed_chunks_plus_protocol_overhead() {
    let s = update_scenario();
    let result = simulate(&s);
    let delta = &s.releases[1].artifact;
    let base = &s.model;
    assert_eq!(delta.chunks, (base.chunks as f64 * 0.12).ceil() as u32, "12 % of the base's chunks changed");
    let sessions: Vec<_> = result.upload.sessions.iter().filter(|x| x.release == 2).collect();
    assert!(!sessions.is_empty());
    // What arrived new is the changed chunks' payload, every byte of it, nothing more.
    let delivered: u64 = sessions.iter().map(|x| x.new_bytes_delivered).sum();
    assert_eq!(delivered, delta.transfer_bytes);
    // What went out: each changed chunk once with its header, the retransmissions of lost
    // ones, and at most one chunk cut short by loss of signal per session.
    let sent: u64 = sessions.iter().map(|x| x.bytes_sent - x.retransmitted_bytes).sum();
    let once = delta.transfer_bytes + delta.chunks as u64 * delta.chunk_header;
    assert!(sent >= once, "{sent} < {once}");
    assert!(sent - once < sessions.len() as u64 * (delta.chunk_payload + delta.chunk_header), "{sent} vs {once}");
    // None of the base's chunks went up again.
    let base_done = result.upload.satellites[0].last_chunk.unwrap();
    assert!(result.upload.sessions.iter().filter(|x| x.release == 0).all(|x| x.start <= base_done));
}

#[test]
fn the_adapter_and_the_delta_take_far_fewer_passes_than_the_model() {
    let s = update_scenario();
    let result = simulate(&s);
    let passes = |k| release(&result.upload, k)[0].passes_used;
    let (model, adapter, delta) = (passes(0), passes(1), passes(2));
    // Each pass carries at most what the best pass of the model's upload carried.
    let most_per_pass =
        (result.upload.sessions.iter().filter(|x| x.release == 0)).map(|x| x.new_bytes_delivered).max().unwrap();
    for (k, used) in [(1, adapter), (2, delta)] {
        let bytes = s.releases[k - 1].artifact.transfer_bytes;
        assert!(used as u64 >= bytes.div_ceil(most_per_pass), "release {k}: {used} passes for {bytes} bytes");
    }
    assert!(adapter * 20 <= model && delta * 5 <= model, "model {model}, adapter {adapter}, delta {delta}");
}

#[test]
fn adding_releases_leaves_the_models_own_upload_as_it_was() {
    let plain = load_scenario(&repo("scenarios/qwen3-scs01.toml"), None).unwrap();
    let with_releases = update_scenario();
    let (a, b) = (simulate(&plain), simulate(&with_releases));
    let model_sessions =
        |r: &RunResult| r.upload.sessions.iter().filter(|x| x.release == 0).cloned().collect::<Vec<_>>();
    assert_eq!(model_sessions(&a), model_sessions(&b));
    assert_eq!(a.upload.satellites, b.upload.satellites);
}

/// A 24-satellite Walker shell with laser links, a 64 MB model sent by swarm from two
/// stations, an adapter after 6 h and a delta of it after 12 h.
fn swarm_scenario(seed: u64) -> Scenario {
    let sections = r#"
[links.isl]
preset = "optical-isl"

[isl]
topology = "grid"

[upload]
loss = { model = "fixed", packet_error_rate = 1e-5 }

[rollout]
strategy = "swarm"
batch_chunks = 4

[[releases]]
name = "adapter"
kind = "adapter"
after = "6h"
size = "5 MB"

[[releases]]
name = "delta"
kind = "delta"
base = "base"
after = "12h"
changed_fraction = 0.25
swap = "gap"
"#;
    small_walker_scenario("versions-swarm", seed, "2d", (24, 4), sections)
}

#[test]
fn a_swarm_passes_a_release_on_only_to_satellites_running_its_base() {
    let s = swarm_scenario(7);
    let result = simulate(&s);
    let start = s.start;
    for (k, r) in s.releases.iter().enumerate() {
        let released = start.plus_nanos(r.after_ns);
        let base = release(&result.upload, r.base.unwrap());
        let mine = release(&result.upload, k + 1);
        let mut over_links = 0;
        for (i, up) in mine.iter().enumerate() {
            let Some(first) = up.first_byte else { continue };
            assert!(first >= released, "release {k} reached satellite {i} before it came out");
            let base_running = base[i].deployed.expect("a satellite receiving a release runs its base");
            assert!(first >= base_running, "release {k} reached satellite {i} before its base ran");
            over_links += up.isl_bytes_received;
        }
        assert!(over_links > 0, "release {k} spread over the laser links");
        assert_eq!(mine.iter().filter(|u| u.deployed.is_some()).count(), 24, "release {k} reached every satellite");
    }
    // Same seed, same run.
    let again = simulate(&swarm_scenario(7));
    assert_eq!(again.upload.sessions, result.upload.sessions);
    assert_eq!(again.upload.updates, result.upload.updates);
    assert_eq!(again.upload.version_log, result.upload.version_log);
}

/// Parses a CSV file into rows of named fields.
fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_string)).collect()).collect()
}

/// When a satellite started running a version, and stopped (`None`: it still runs).
type Period = (UtcTime, Option<UtcTime>);

fn time(text: &str) -> UtcTime {
    UtcTime::parse(text).unwrap()
}

#[test]
fn no_question_is_answered_by_a_satellite_not_running_the_version_it_asked_for() {
    let out = std::env::temp_dir().join(format!("orbsim-versions-{}", std::process::id()));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_orbsim"))
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(repo("scenarios/qwen3-scs01-update.toml"))
        .status()
        .unwrap();
    assert!(status.success());
    // Periods each satellite ran each version.
    let mut periods: HashMap<(String, String), Vec<Period>> = HashMap::new();
    for row in csv_rows(&out.join("model_versions.csv")) {
        let until = Some(row["until_utc"].as_str()).filter(|t| !t.is_empty()).map(time);
        periods
            .entry((row["satellite"].clone(), row["version"].clone()))
            .or_default()
            .push((time(&row["running_from_utc"]), until));
    }
    let seconds = |text: &str| (text.parse::<f64>().unwrap() * 1e9).round() as i64;
    let mut checked = HashMap::<String, usize>::new();
    for row in csv_rows(&out.join("inference_requests.csv")) {
        if row["outcome"] != "answered" || row["version"].is_empty() {
            continue;
        }
        // Compute ran from the question's arrival at the server (after its wait in the
        // queue) for compute_s. Times in the files are to the millisecond: allow that.
        let at_server = time(&row["uplink_utc"]).plus_nanos(seconds(&row["up_s"]) + seconds(&row["isl_out_s"]));
        let from = at_server.plus_nanos(seconds(&row["queue_s"]));
        let to = from.plus_nanos(seconds(&row["compute_s"]));
        let ms = 1_000_000;
        let ran = &periods[&(row["served_by"].clone(), row["version"].clone())];
        assert!(
            ran.iter()
                .any(|&(start, end)| start <= from.plus_nanos(ms) && end.is_none_or(|end| to <= end.plus_nanos(ms))),
            "request {} for {} computed {from}..{to} outside {ran:?}",
            row["id"],
            row["version"]
        );
        *checked.entry(row["version"].clone()).or_default() += 1;
    }
    let _ = std::fs::remove_dir_all(&out);
    // Both the base model and the releases answered questions: the check had work to do.
    assert!(checked.len() >= 2, "{checked:?}");
}
