//! Rolling a model out over inter-satellite links: every strategy reaches the whole fleet,
//! a chunk is only ever forwarded by a satellite that holds it (asserted inside the model),
//! relays forward only verified copies, nothing deploys before it is verified, and no link
//! carries more than its rate allows.

use std::path::Path;

use orbsim::contact::ContactKind;
use orbsim::pipeline::{RunResult, run};
use orbsim::scenario::{Scenario, load_scenario};

const SCENARIO: &str = r#"
name = "rollout-test"
start = "2026-01-01T00:00:00Z"
duration = "2d"
seed = 5

[[fleet.shells]]
name = "a"
total = 60
planes = 6
phasing = 1
altitude_km = 550
inclination = 53.0
role = "compute"

[[fleet.shells]]
name = "b"
total = 24
planes = 4
altitude_km = 700
inclination = "sso"
role = "spare"

[stations]
file = "DATA/stations/china/china_ground_stations.csv"
names = ["Kashi (Kashgar)", "Sanya", "Miyun"]
antennas = 1

[links.uplink]
preset = "s-band-high-rate-uplink"

[links.isl]
preset = "optical-isl"

[model]
name = "m"
size = "2 GB"
chunk_size = "8 MiB"
chunk_header = "64 B"

[upload]
loss = { model = "fixed", packet_error_rate = 1e-6 }
scheduling = "least-remaining"
targets = ["compute"]

[rollout]
strategy = "STRATEGY"
batch_chunks = 16
"#;

fn scenario(strategy: &str) -> Scenario {
    scenario_with(strategy, &[])
}

/// The test scenario with some of its lines replaced (`(old, new)` text pairs).
fn scenario_with(strategy: &str, edits: &[(&str, &str)]) -> Scenario {
    try_scenario_with(strategy, edits).unwrap()
}

fn try_scenario_with(strategy: &str, edits: &[(&str, &str)]) -> Result<Scenario, String> {
    static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut text = SCENARIO.replace("DATA", data.to_str().unwrap()).replace("STRATEGY", strategy);
    for (old, new) in edits {
        assert!(text.contains(old), "the test scenario has no `{old}`");
        text = text.replace(old, new);
    }
    let file = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("orbsim-rollout-{}-{file}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let s = load_scenario(&path, None).map_err(|e| e.to_string());
    let _ = std::fs::remove_file(path);
    s
}

fn last_deployment_h(s: &Scenario, r: &RunResult) -> f64 {
    let last = r
        .upload
        .satellites
        .iter()
        .filter(|x| x.target)
        .map(|x| x.deployed.expect("every target deployed"))
        .max()
        .unwrap();
    last.seconds_since(s.start) / 3600.0
}

fn check_invariants(s: &Scenario, r: &RunResult) {
    for (i, sat) in r.upload.satellites.iter().enumerate() {
        if !sat.target {
            assert!(sat.last_chunk.is_none() && sat.isl_bytes_received == 0, "a non-target received the model");
            continue;
        }
        let (last, verified, deployed) = (sat.last_chunk.unwrap(), sat.verified.unwrap(), sat.deployed.unwrap());
        assert!(last <= verified && verified <= deployed, "satellite {i} deployed before verifying");
        assert!(sat.ground_bytes_received + sat.isl_bytes_received >= s.model.transfer_bytes);
    }
    // No link direction carries more than its profile allows in the time it was used.
    let isl: Vec<_> = r.plan.contacts.iter().filter(|c| c.kind == ContactKind::InterSatellite).collect();
    let mut per_direction = std::collections::HashMap::new();
    for t in &r.upload.isl_transfers {
        let c = isl[t.contact as usize];
        assert!(t.start >= c.start && t.end <= c.end);
        assert!(t.bytes <= c.profile.bytes_between(t.start, t.end), "a batch outran its link");
        *per_direction.entry((t.contact, t.from)).or_insert(0u64) += t.bytes;
    }
    for ((contact, _), bytes) in per_direction {
        assert!(bytes <= isl[contact as usize].profile.deliverable_bytes());
    }
}

#[test]
fn strategies_reach_the_fleet_and_keep_the_rules() {
    let ground = scenario("ground-only");
    let relay = scenario("relay");
    let swarm = scenario("swarm");
    let (rg, rr, rs) = (
        run(&ground, &orbsim::progress::Silent).unwrap(),
        run(&relay, &orbsim::progress::Silent).unwrap(),
        run(&swarm, &orbsim::progress::Silent).unwrap(),
    );
    for (s, r) in [(&ground, &rg), (&relay, &rr), (&swarm, &rs)] {
        check_invariants(s, r);
    }
    assert!(rg.upload.isl_transfers.is_empty());
    // Relays forward verified copies only.
    for t in &rr.upload.isl_transfers {
        let sender = &rr.upload.satellites[t.from as usize];
        assert!(sender.verified.unwrap() <= t.start, "an unverified copy was relayed");
    }
    // Links beat the ground, and trading chunks beats relaying whole verified files.
    let (hg, hr, hs) =
        (last_deployment_h(&ground, &rg), last_deployment_h(&relay, &rr), last_deployment_h(&swarm, &rs));
    assert!(hr < hg && hs <= hr, "ground-only {hg:.2} h, relay {hr:.2} h, swarm {hs:.2} h");
    let ground_bytes = |r: &RunResult| r.upload.satellites.iter().map(|x| x.ground_bytes_received).sum::<u64>();
    assert!(ground_bytes(&rr) < ground_bytes(&rg) && ground_bytes(&rs) <= ground_bytes(&rr));
    // Swarm satellites hear of their copy from several neighbours; relays from one.
    assert!(rr.upload.satellites.iter().filter(|x| x.target).all(|x| x.received_from.is_some()));
}

#[test]
fn the_same_seed_gives_the_same_rollout() {
    let (a, b) = (
        run(&scenario("swarm"), &orbsim::progress::Silent).unwrap(),
        run(&scenario("swarm"), &orbsim::progress::Silent).unwrap(),
    );
    assert_eq!(a.upload.isl_transfers, b.upload.isl_transfers);
    assert_eq!(a.upload.satellites, b.upload.satellites);
}

/// Runs the scenario on another thread and fails (instead of hanging the suite) if it does
/// not finish within `limit`.
fn run_within(s: Scenario, limit: std::time::Duration) -> (Scenario, RunResult) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = run(&s, &orbsim::progress::Silent).unwrap();
        let _ = tx.send((s, r));
    });
    rx.recv_timeout(limit).unwrap_or_else(|_| panic!("the rollout did not finish within {limit:?}"))
}

/// A slow optical link (10 Mbit/s) carries a batch for longer than the ground needs for the
/// rest: every chunk a satellite lacks can then be on its way over a link while an antenna
/// serves it. That once re-served the satellite at the same instant forever (a livelock);
/// both strategies must now finish, every target deployed, within the rules.
#[test]
fn slow_inter_satellite_links_do_not_livelock() {
    for strategy in ["relay", "swarm"] {
        let slow = [("preset = \"optical-isl\"", "preset = \"optical-isl\"\nrate_bps = 1e7")];
        let (s, r) = run_within(scenario_with(strategy, &slow), std::time::Duration::from_secs(60));
        check_invariants(&s, &r);
        assert!(r.upload.satellites.iter().filter(|x| x.target).all(|x| x.deployed.is_some()), "{strategy}");
        assert!(!r.upload.isl_transfers.is_empty(), "{strategy}: the slow links were used");
    }
}

/// A swarm of a small model in many chunks (512 MiB in 1 KiB chunks: 524,288 chunks) costs
/// time in proportion to the chunks moved: a search of the whole file per batch once made it
/// grow with the square of the chunk count (minutes here); it now takes about a second.
#[test]
fn swarm_of_many_small_chunks_finishes() {
    let many = [
        ("size = \"2 GB\"", "size = \"512 MiB\""),
        ("chunk_size = \"8 MiB\"", "chunk_size = \"1 KiB\""),
        ("batch_chunks = 16", "batch_chunks = 64"),
    ];
    let (s, r) = run_within(scenario_with("swarm", &many), std::time::Duration::from_secs(60));
    assert_eq!(s.model.chunks, 524_288);
    check_invariants(&s, &r);
    assert!(r.upload.satellites.iter().filter(|x| x.target).all(|x| x.deployed.is_some()));
    assert!(r.upload.isl_transfers.iter().map(|t| t.chunks as u64).sum::<u64>() > s.model.chunks as u64);
}

/// Range-based links re-planned every nanosecond made run time grow as the inverse of the
/// period (a hang in practice); such periods are refused with the field and the limit.
#[test]
fn range_link_reevaluation_below_a_second_is_refused() {
    for period in ["1ns", "999ms"] {
        let range = format!("[isl]\ntopology = \"range\"\nreevaluation = \"{period}\"\n\n[model]");
        let err = try_scenario_with("relay", &[("[model]", &range)]).map(|_| ()).unwrap_err();
        assert!(err.contains("isl.reevaluation") && err.contains("at least 1 s"), "{period}: {err}");
    }
    let range = "[isl]\ntopology = \"range\"\nreevaluation = \"1s\"\n\n[model]";
    try_scenario_with("relay", &[("[model]", range)]).unwrap();
}
