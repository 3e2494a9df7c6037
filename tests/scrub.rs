//! Radiation upsets in the stored weights, checked from the `faults.csv` a run writes:
//! every corrupted chunk is found no later than the first scrub after its upset and is
//! repaired from the ground (bytes logged) or still waiting at the end, and a run is
//! determined by its seed.

mod common;

use std::path::Path;

use common::{repo, small_walker_scenario};
use orbsim::pipeline::run;
use orbsim::report::summary::RunSummary;
use orbsim::scenario::{Scenario, load_scenario_text};
use orbsim::time::UtcTime;

const SCRUB_PERIOD_NS: i64 = 3_600_000_000_000;

/// Eight satellites, a 64 MB model, a day; upsets a million times the rate of modern
/// memory so that about a hundred strike the weights, a third of them past EDAC.
fn scenario(seed: u64, extra: &str) -> Scenario {
    let sections =
        format!("[upsets]\nrate_per_bit_day = 1e-7\nmulti_bit_share = 0.35\n\n[scrub]\nperiod = \"1h\"\n{extra}");
    small_walker_scenario("scrub-test", seed, "1d", (8, 2), &sections)
}

/// `faults.csv` of a run of `s`, as rows of fields.
fn faults(s: &Scenario, dir: &Path) -> Vec<Vec<String>> {
    let result = run(s, &orbsim::progress::Silent).unwrap();
    orbsim::report::run::write_run(dir, s, &result, &RunSummary::new(s, &result)).unwrap();
    let text = std::fs::read_to_string(dir.join("faults.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "time_utc,satellite,kind,version,chunk,lat_deg,lon_deg,detected_utc,repaired_utc,repair_source,bytes_resent"
    );
    lines.map(|l| l.split(',').map(String::from).collect()).collect()
}

fn time(field: &str) -> UtcTime {
    UtcTime::parse(field).unwrap()
}

#[test]
fn every_corrupted_chunk_is_found_by_the_first_scrub_after_its_upset() {
    let s = scenario(3, "");
    let dir = tempfile::tempdir().unwrap();
    let rows = faults(&s, dir.path());
    let corrupted: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "chunk-corrupted").collect();
    let corrected = rows.iter().filter(|r| r[2] == "upset-corrected").count();
    assert!(corrupted.len() >= 20 && corrected >= 20, "{} corrupted, {corrected} corrected", corrupted.len());
    assert_eq!(corrupted.len() + corrected, rows.len());
    for r in &corrupted {
        let upset = time(&r[0]);
        let chunk: u32 = r[4].parse().unwrap();
        assert!(chunk < s.model.chunks, "{r:?}");
        if r[7].is_empty() {
            // Unfound only if the window ended before the next scrub.
            assert!(upset.plus_nanos(SCRUB_PERIOD_NS) > s.end, "{r:?} was never found");
            continue;
        }
        let delay = time(&r[7]).unix_nanos() - upset.unix_nanos();
        assert!(delay > 0 && delay <= SCRUB_PERIOD_NS, "{r:?}: found {delay} ns after the upset");
    }
    for r in rows.iter().filter(|r| r[2] == "upset-corrected") {
        assert!(r[7].is_empty() && r[8].is_empty() && r[10] == "0", "EDAC corrected {r:?}: nothing more happens");
    }
    // Each corruption found is repaired (the bytes that repaired it logged once per chunk)
    // or still waiting at the end of the window.
    let mut repaired = 0;
    for r in corrupted.iter().filter(|r| !r[8].is_empty()) {
        repaired += 1;
        assert!(time(&r[8]) >= time(&r[7]), "{r:?} repaired before it was found");
        assert!(s.stations.iter().any(|st| st.name == r[9]), "{r:?}: repaired from the ground");
    }
    let resent: u64 = corrupted.iter().map(|r| r[10].parse::<u64>().unwrap()).sum();
    assert!(repaired > 0 && resent >= s.model.chunk_payload, "{repaired} repaired with {resent} bytes");
    // All faults of a satellite are found on its own scrub grid: one phase per satellite.
    let mut phases = std::collections::HashMap::new();
    for r in corrupted.iter().filter(|r| !r[7].is_empty()) {
        let phase = time(&r[7]).unix_nanos().rem_euclid(SCRUB_PERIOD_NS);
        assert_eq!(*phases.entry(r[1].clone()).or_insert(phase), phase, "{r:?}");
    }
}

#[test]
fn upsets_strike_only_satellites_running_the_model_and_follow_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(5, "");
    let result = run(&s, &orbsim::progress::Silent).unwrap();
    let first_deployed = |name: &str| {
        let i = s.satellites.iter().position(|x| x.name == name).unwrap();
        result.upload.satellites[i].deployed.unwrap()
    };
    let rows = faults(&s, &dir.path().join("a"));
    assert!(!rows.is_empty());
    for r in &rows {
        assert!(time(&r[0]) >= first_deployed(&r[1]), "{r:?} struck before the model ran");
    }
    assert_eq!(rows, faults(&scenario(5, ""), &dir.path().join("b")), "same seed, same faults");
    assert_ne!(rows, faults(&scenario(6, ""), &dir.path().join("c")), "another seed, other faults");
}

#[test]
fn bad_scrub_sections_name_their_line_and_field() {
    let text = |extra: &str| {
        let s = std::fs::read_to_string(repo("scenarios/walker100-upload.toml")).unwrap();
        format!("{s}\n[upsets]\nrate_per_bit_day = 1e-12\n{extra}")
    };
    let error = |extra: &str| {
        load_scenario_text(&repo("scenarios/walker100-upload.toml"), &text(extra), None).unwrap_err().to_string()
    };
    let zero = error("[scrub]\nperiod = \"0s\"\n");
    assert!(
        zero.contains("walker100-upload.toml:") && zero.contains("scrub.period: must be longer than zero"),
        "{zero}"
    );
    let policy = error("[scrub]\nperiod = \"1h\"\npolicy = \"pray\"\n");
    assert!(policy.contains("scrub.policy") && policy.contains("unknown variant"), "{policy}");
    let missing = error("");
    assert!(missing.contains("scrub: is required with [upsets]"), "{missing}");
    for message in [zero, policy, missing] {
        assert!(!message.contains('\n'), "{message}");
    }
}

#[test]
fn a_swarm_repairs_from_neighbours_holding_the_chunk() {
    let swarm = r#"
[links.isl]
preset = "optical-isl"

[isl]
topology = "grid"

[rollout]
strategy = "swarm"
"#;
    let s = scenario(3, swarm);
    let dir = tempfile::tempdir().unwrap();
    let rows = faults(&s, dir.path());
    let from_neighbours: Vec<&Vec<String>> =
        rows.iter().filter(|r| s.satellites.iter().any(|x| x.name == r[9])).collect();
    assert!(!from_neighbours.is_empty(), "some chunks come back over laser links");
    let one_chunk = s.model.chunk_payload + s.model.chunk_header;
    for r in from_neighbours {
        assert_ne!(r[9], r[1], "{r:?}: not from itself");
        let bytes: u64 = r[10].parse().unwrap();
        assert!(bytes == 0 || bytes == one_chunk, "{r:?}: one chunk and its header");
    }
}

const INFERENCE: &str = r#"
[inference]
parameters = 8.19e9
timeout = "15min"

[inference.accelerator]
name = "test"
tops = 744
memory_bandwidth = "204.8 GB/s"
memory = "64 GB"
power = "60 W"
max_batch = 8
queue_limit = 64

[[inference.sources]]
name = "ships"
kind = "ocean"
count = 2000
rate = "50/d"
prompt_tokens = { dist = "fixed", value = 200 }
output_tokens = { dist = "fixed", value = 300 }
"#;

/// The requests of a run (with inference) as rows, and its faults.
fn requests_and_faults(s: &Scenario, dir: &Path) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let faults = faults(s, dir);
    let text = std::fs::read_to_string(dir.join("inference_requests.csv")).unwrap();
    let mut lines = text.lines();
    // Upsets can lose questions on board: the reroute columns follow `degraded`.
    assert!(lines.next().unwrap().ends_with(",degraded,rerouted_s,reroutes,lost_to"));
    (lines.map(|l| l.split(',').map(String::from).collect()).collect(), faults)
}

/// When the answer to request row `r` finished computing, if it was answered.
fn computed(r: &[String]) -> Option<i64> {
    let seconds = |i: usize| (r[i].parse::<f64>().unwrap() * 1e9).round() as i64;
    (r[10] == "answered").then(|| time(&r[3]).unix_nanos() + seconds(20) + seconds(21) + seconds(6) + seconds(7))
}

/// Periods (satellite, from, until) during which a satellite held a found, unrepaired chunk.
fn damaged_periods(faults: &[Vec<String>], end: UtcTime) -> Vec<(String, i64, i64)> {
    faults
        .iter()
        .filter(|f| f[2] == "chunk-corrupted" && !f[7].is_empty())
        .map(|f| {
            let until = if f[8].is_empty() { end } else { time(&f[8]) };
            (f[1].clone(), time(&f[7]).unix_nanos(), until.unix_nanos())
        })
        .collect()
}

#[test]
fn with_stop_serving_no_answer_comes_from_a_satellite_holding_a_corrupted_chunk() {
    let s = scenario(3, INFERENCE);
    let dir = tempfile::tempdir().unwrap();
    let (requests, faults) = requests_and_faults(&s, dir.path());
    let damaged = damaged_periods(&faults, s.end);
    assert!(!damaged.is_empty());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap()).unwrap();
    let share = summary["missions"]["upsets"]["availability_share"].as_f64().unwrap();
    assert!(share > 0.5 && share < 1.0, "damaged satellites stop serving for a while: {share}");
    assert!(std::fs::read(dir.path().join("service_availability.png")).unwrap().starts_with(b"\x89PNG"));
    let map = std::fs::read_to_string(dir.path().join("upset_locations.svg")).unwrap();
    assert!(map.contains("SAA region") && map.contains("corrupted a chunk"), "the map shows the upsets and the SAA");
    let answered: Vec<(&Vec<String>, i64)> = requests.iter().filter_map(|r| Some((r, computed(r)?))).collect();
    assert!(answered.len() > 100, "{} answered", answered.len());
    for (r, at) in answered {
        assert_eq!(r[25], "false", "{r:?}");
        for (sat, from, until) in &damaged {
            assert!(!(r[4] == *sat && *from <= at && at < *until), "{r:?} computed on {sat} while damaged");
        }
    }
}

#[test]
fn with_the_degraded_policy_answers_from_damaged_satellites_are_marked() {
    let s = scenario(3, &format!("policy = \"degraded\"\n{INFERENCE}"));
    let dir = tempfile::tempdir().unwrap();
    let (requests, faults) = requests_and_faults(&s, dir.path());
    let damaged = damaged_periods(&faults, s.end);
    let mut marked = 0;
    for r in requests.iter().filter(|r| computed(r).is_some()) {
        let at = computed(r).unwrap();
        let inside = damaged.iter().any(|(sat, from, until)| r[4] == *sat && *from <= at && at < *until);
        if inside {
            assert_eq!(r[25], "true", "{r:?}");
        }
        marked += usize::from(r[25] == "true");
    }
    assert!(marked > 0, "some answers came from damaged satellites");
}
