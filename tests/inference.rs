//! The inference model against its invariants: the latency decomposition adds up to the
//! nanosecond for every request, no request is computed by a satellite without the
//! deployed model, questions asked out of reach wait (store and forward) or time out,
//! routing uses inter-satellite links when the plan has them, runs are reproducible,
//! summary.json's `inference` object keeps its documented keys through JSON text, and
//! questions lost on board (a gap restart, a failed satellite) are rerouted, the time of
//! their failed attempts adding up with the last attempt's phases to the nanosecond.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use orbsim::contact::{Contact, ContactKind, ContactPlan, Node};
use orbsim::link::{RateProfile, RateStep};
use orbsim::mission::inference::ocean::LandMask;
use orbsim::mission::inference::{InferenceOutcome, LossReason, Outcome, RequestRecord};
use orbsim::pipeline::{RunResult, run, run_inference_on};
use orbsim::report::inference::{InferenceSummary, write_inference};
use orbsim::report::summary::RunSummary;
use orbsim::scenario::{Scenario, load_scenario};
use orbsim::time::UtcTime;
use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Loads a scenario written inline (`../data` resolves to the repository's data folder).
fn scenario_from(name: &str, text: &str) -> Scenario {
    let dir = std::env::temp_dir().join(format!("orbsim-inference-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.toml");
    std::fs::write(&path, text.replace("../data", repo("data").to_str().unwrap())).unwrap();
    let s = load_scenario(&path, None);
    let _ = std::fs::remove_dir_all(&dir);
    s.unwrap_or_else(|e| panic!("{e}"))
}

/// The demonstration scenario with some text replaced.
fn demonstration(edits: &[(&str, &str)]) -> Scenario {
    let mut text = std::fs::read_to_string(repo("scenarios/qwen3-scs01-inference.toml")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    scenario_from(&format!("demo-{}", edits.len()), &text)
}

fn simulate(s: &Scenario) -> RunResult {
    run(s, &orbsim::progress::Silent).unwrap()
}

/// A Walker shell over ships at sea, no inter-satellite links.
const SHIPS: &str = r#"
name = "ships"
start = "2026-03-20T00:00:00Z"
duration = "6h"
seed = 7

[[fleet.shells]]
name = "W"
total = 120
planes = 12
phasing = 1
altitude_km = 550
inclination = 53
role = "inference"

[stations]
[[stations.site]]
name = "Kashi"
lat_deg = 39.5
lon_deg = 76.0

[links.uplink]
preset = "s-band-high-rate-uplink"

[model]
name = "Qwen3-8B Q4_K_M"
size = "5027783488 B"
chunk_size = "64 MiB"

[upload]
targets = ["W-p00-s00"]

[inference]
preinstalled = true
parameters = 8.19e9
timeout = "20min"

[inference.accelerator]
tops = 744
memory_bandwidth = "204.8 GB/s"
memory = "64 GB"
power = "60 W"
idle_power = "15 W"
max_batch = 4

[[inference.sources]]
name = "ships"
kind = "ocean"
count = 300
rate = "40/d"
prompt_tokens = { dist = "uniform", min = 50, max = 400 }
output_tokens = { dist = "fixed", value = 250 }
"#;

fn check_decomposition(outcome: &InferenceOutcome) {
    for (i, r) in outcome.requests.iter().enumerate() {
        let p = &r.phases;
        for (name, v) in p.named() {
            assert!(v >= 0, "request {i}: {name} is negative ({v} ns)");
        }
        assert_eq!(r.reroutes == 0, p.rerouted_ns == 0, "request {i}: {r:?}");
        if r.outcome == Outcome::Answered {
            let answer = r.answer_time().unwrap();
            assert_eq!(answer, r.closed, "request {i}");
            assert_eq!(
                p.rerouted_ns
                    + p.uplink_wait_ns
                    + p.up_ns
                    + p.isl_out_ns
                    + p.queue_ns
                    + p.compute_ns
                    + p.answer_wait_ns
                    + p.isl_back_ns
                    + p.down_ns,
                answer.unix_nanos() - r.submit.unix_nanos(),
                "request {i}"
            );
            assert!(r.entry.is_some() && r.served_by.is_some() && r.exit.is_some());
            assert!(p.up_ns > 0 && p.compute_ns > 0 && p.down_ns > 0, "request {i}: {p:?}");
        }
    }
}

/// When request `r` reached its server.
fn arrival_at_server(r: &RequestRecord) -> UtcTime {
    let p = &r.phases;
    r.submit.plus_nanos(p.uplink_wait_ns + p.up_ns + p.isl_out_ns)
}

#[test]
fn the_demonstration_answers_in_pass_questions_within_two_minutes_and_others_wait_or_time_out() {
    let s = load_scenario(&repo("scenarios/qwen3-scs01-inference.toml"), None).unwrap();
    let r = simulate(&s);
    let inf = r.inference.as_ref().unwrap();
    check_decomposition(inf);
    let in_view: Vec<&RequestRecord> = inf.requests.iter().filter(|r| r.asked_in_view).collect();
    assert!(in_view.len() >= 3, "{}", in_view.len());
    for q in &in_view {
        assert_eq!(q.outcome, Outcome::Answered);
        assert!(q.latency_ns().unwrap() < 120_000_000_000, "{q:?}");
    }
    let waited: Vec<&RequestRecord> = inf.requests.iter().filter(|r| !r.asked_in_view).collect();
    let answered_late = waited.iter().filter(|r| r.outcome == Outcome::Answered).count();
    let timed_out = waited.iter().filter(|r| r.outcome == Outcome::Timeout).count();
    assert!(answered_late > 10 && timed_out > 10, "{answered_late} answered after waiting, {timed_out} timed out");
    for q in waited.iter().filter(|r| r.outcome == Outcome::Answered) {
        assert!(q.phases.uplink_wait_ns > 0);
        assert!(q.latency_ns().unwrap() <= s.inference.as_ref().unwrap().timeout_ns);
    }
    // A timed-out request closes at its deadline.
    let timeout = s.inference.as_ref().unwrap().timeout_ns;
    for q in waited.iter().filter(|r| r.outcome == Outcome::Timeout) {
        assert_eq!(q.closed, q.submit.plus_nanos(timeout));
    }
    // Every question went through one of the portal's stations.
    for q in inf.requests.iter().filter(|r| r.outcome == Outcome::Answered) {
        assert!(q.uplink_station.is_some() && q.downlink_station.is_some());
    }
}

#[test]
fn no_request_is_served_by_a_satellite_without_the_model() {
    // Questions from a day before the deployment (2025-11-21 06:27) wait for it.
    let s = demonstration(&[
        ("start = \"2025-11-22T00:00:00Z\"", "start = \"2025-11-20T12:00:00Z\""),
        ("timeout = \"3h\"", "timeout = \"1d\""),
    ]);
    let r = simulate(&s);
    let inf = r.inference.as_ref().unwrap();
    check_decomposition(inf);
    let deployed = r.upload.satellites[0].deployed.unwrap();
    assert_eq!(inf.availability.first_from(0), Some(deployed));
    let mut before = 0;
    for q in &inf.requests {
        if let Some(server) = q.served_by {
            let model = inf.availability.first_from(server).expect("a server holds the model");
            // Routed only to a satellite holding the model when the route was chosen: the
            // router does not foresee a deployment.
            let routed = q.submit.plus_nanos(q.phases.uplink_wait_ns);
            assert!(model <= routed, "{q:?} was routed to a satellite before it held the model");
            assert!(model <= arrival_at_server(q), "{q:?} reached a satellite without the model");
        }
        if q.submit < deployed && q.outcome == Outcome::Answered {
            before += 1;
        }
    }
    assert!(before > 5, "questions asked before the deployment should be answered after it: {before}");
}

#[test]
fn ships_at_sea_are_served_by_satellites_in_view() {
    let s = scenario_from("ships", SHIPS);
    let r = simulate(&s);
    let inf = r.inference.as_ref().unwrap();
    check_decomposition(inf);
    assert!((2500..3500).contains(&inf.requests.len()), "{}", inf.requests.len());
    let mask = LandMask::bundled();
    let ships = &inf.sources[0].terminals;
    assert_eq!(ships.len(), 300);
    assert!(ships.iter().all(|t| !mask.is_land(t.site.lat_deg, t.site.lon_deg)));
    let answered: Vec<&RequestRecord> = inf.requests.iter().filter(|r| r.outcome == Outcome::Answered).collect();
    assert!(answered.len() as f64 > 0.5 * inf.requests.len() as f64, "{} answered", answered.len());
    for q in &answered {
        // Without inter-satellite links the satellite in view computes and answers.
        assert_eq!(q.entry, q.served_by);
        assert_eq!(q.exit, q.served_by);
        assert_eq!(q.isl_hops_out + q.isl_hops_back, 0);
        assert_eq!(q.phases.isl_out_ns + q.phases.isl_back_ns, 0);
        // Under a millisecond of radio per few-kB message at tens of Mbit/s plus ≤ 7 ms of light.
        assert!(q.phases.up_ns < 10_000_000 && q.phases.down_ns < 10_000_000, "{q:?}");
    }
    // Phases of asked-in-view answers: compute dominates.
    let in_view: Vec<&&RequestRecord> = answered.iter().filter(|q| q.asked_in_view).collect();
    assert!(!in_view.is_empty());
    // Same scenario, same seed: the same requests.
    let again = simulate(&s);
    assert_eq!(again.inference.as_ref().unwrap().requests, inf.requests);
}

/// An inter-satellite contact between `a` and `b` over the whole window, at 100 Gbit/s.
fn isl(a: u32, b: u32, start: UtcTime, end: UtcTime) -> Contact {
    let duration_ms = ((end.unix_nanos() - start.unix_nanos()) / 1_000_000) as u32;
    Contact {
        kind: ContactKind::InterSatellite,
        link: 0,
        from: Node::Satellite(a),
        to: Node::Satellite(b),
        start,
        tca: start,
        end,
        max_elevation_deg: f32::NAN,
        profile: RateProfile::new(
            start,
            duration_ms,
            vec![RateStep { offset_ms: 0, level: 1 }],
            Arc::from([0u64, 100_000_000_000]),
        ),
    }
}

/// Two satellites 30° apart in one plane; only the second carries the model; a ship under
/// the first's track.
fn pair(with_isl: bool) -> (Scenario, InferenceOutcome) {
    let text = SHIPS
        .replace("total = 120\nplanes = 12\nphasing = 1", "total = 12\nplanes = 1\nphasing = 0")
        .replace("duration = \"6h\"", "duration = \"3h\"")
        .replace("role = \"inference\"", "role = \"compute\"")
        .replace("preinstalled = true", "preinstalled = true\nsatellites = [\"W-p00-s01\"]\ntimeout = \"45min\"")
        .replace("timeout = \"20min\"\n", "");
    let text = text.replace(
        "kind = \"ocean\"\ncount = 300\nrate = \"40/d\"",
        "kind = \"users\"\nusers = [{ name = \"ship\", lat_deg = LAT, lon_deg = LON }]\nrate = \"60/h\"",
    );
    // Put the ship under satellite 0's ground track 20 minutes in.
    let probe = scenario_from("probe", &text.replace("LAT", "0").replace("LON", "0"));
    let t = probe.start.plus_seconds(1200.0);
    let state = probe.satellites[0].propagate(t).unwrap();
    let (r, _) = orbsim::frames::teme_to_ecef(&state.position, &state.velocity, t.gmst());
    let g = orbsim::frames::Geodetic::from_ecef(&r);
    let s = scenario_from(
        "pair",
        &text.replace("LAT", &format!("{:.4}", g.lat_deg)).replace("LON", &format!("{:.4}", g.lon_deg)),
    );
    let base = simulate(&s);
    let mut plan = ContactPlan { links: base.plan.links.clone(), ..Default::default() };
    if with_isl {
        // Satellite 0 (no model) and 1 (the model): names W-p00-s00 and W-p00-s01.
        plan.contacts.push(isl(0, 1, s.start, s.end));
    }
    let outcome =
        run_inference_on(&s, s.inference.as_ref().unwrap(), &plan, &base.upload, &orbsim::progress::Silent).unwrap();
    (s, outcome)
}

#[test]
fn routing_crosses_inter_satellite_links_to_the_satellite_with_the_model() {
    let (s, inf) = pair(true);
    assert_eq!(s.satellites[1].name, "W-p00-s01");
    check_decomposition(&inf);
    let answered: Vec<&RequestRecord> = inf.requests.iter().filter(|r| r.outcome == Outcome::Answered).collect();
    let relayed: Vec<&&RequestRecord> = answered.iter().filter(|q| q.entry == Some(0)).collect();
    assert!(relayed.len() >= 3, "{} relayed of {} answered", relayed.len(), answered.len());
    for q in &answered {
        assert_eq!(q.served_by, Some(1), "{q:?}");
        let hops = if q.entry == Some(0) { 1 } else { 0 };
        assert_eq!(q.isl_hops_out, hops);
        assert_eq!(q.phases.isl_out_ns > 0, hops == 1);
        let back = if q.exit == Some(0) { 1 } else { 0 };
        assert_eq!(q.isl_hops_back, back);
        // 30° apart at 550 km: about 3,600 km, 12 ms of light plus 1 ms switching.
        if hops == 1 {
            assert!((10_000_000..16_000_000).contains(&q.phases.isl_out_ns), "{:?}", q.phases);
        }
    }
}

#[test]
fn without_links_only_the_satellite_in_view_can_serve() {
    let (_, inf) = pair(false);
    check_decomposition(&inf);
    for q in inf.requests.iter().filter(|r| r.outcome == Outcome::Answered) {
        assert_eq!(q.entry, Some(1));
        assert_eq!(q.served_by, Some(1));
        assert_eq!(q.exit, Some(1));
    }
    // Questions asked while only satellite 0 is overhead cannot use it.
    let (_, with) = pair(true);
    let count = |o: &InferenceOutcome| o.requests.iter().filter(|r| r.outcome == Outcome::Answered).count();
    assert!(count(&with) > count(&inf), "{} with links, {} without", count(&with), count(&inf));
}

#[test]
fn full_queues_turn_requests_away() {
    let text = SHIPS
        .replace("max_batch = 4", "max_batch = 1\nqueue_limit = 0")
        .replace("count = 300\nrate = \"40/d\"", "count = 50\nrate = \"60/h\"")
        .replace("duration = \"6h\"", "duration = \"1h\"");
    let s = scenario_from("full", &text);
    let inf = simulate(&s).inference.unwrap();
    check_decomposition(&inf);
    let rejected = inf.requests.iter().filter(|r| r.outcome == Outcome::Rejected).count();
    assert!(rejected > 0);
    // With no queue, nothing ever waits for a slot.
    assert!(inf.requests.iter().all(|r| r.phases.queue_ns == 0));
    // Batches of one: a satellite's completed work never overlaps itself.
    for server in &inf.servers {
        assert!(server.slot_busy_ns <= server.busy_ns);
    }
}

#[test]
fn the_bundled_shipping_lanes_are_at_sea_and_can_ask() {
    let text = SHIPS
        .replace("kind = \"ocean\"\ncount = 300", "kind = \"users\"\nfile = \"../data/users/shipping_lanes.csv\"")
        .replace("duration = \"6h\"", "duration = \"2h\"");
    let s = scenario_from("lanes", &text);
    let inf = simulate(&s).inference.unwrap();
    let mask = LandMask::bundled();
    let lanes = &inf.sources[0].terminals;
    assert_eq!(lanes.len(), 32);
    for t in lanes {
        assert!(!mask.is_land(t.site.lat_deg, t.site.lon_deg), "{} is on land", t.name);
    }
    check_decomposition(&inf);
    assert!(inf.requests.iter().any(|r| r.outcome == Outcome::Answered));
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect()
}

/// Equal values, numbers to within a few units in the last place: serde_json reads floats
/// back without guaranteeing the last digit.
fn assert_same(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert!(x.keys().eq(y.keys()), "{at}: keys differ");
            for (k, v) in x {
                assert_same(v, &y[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths differ");
            for (k, (v, w)) in x.iter().zip(y).enumerate() {
                assert_same(v, w, &format!("{at}[{k}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-14 * x.abs().max(y.abs()), "{at}: {x} against {y}");
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

#[test]
fn the_inference_summary_round_trips_through_json_with_its_documented_keys() {
    // Twelve satellites in one plane over an hour, ships asking, batteries modelled.
    let text = SHIPS
        .replace("total = 120\nplanes = 12\nphasing = 1", "total = 12\nplanes = 1\nphasing = 0")
        .replace("duration = \"6h\"", "duration = \"1h\"")
        .replace("count = 300\nrate = \"40/d\"", "count = 100\nrate = \"20/h\"")
        .replace(
            "[[inference.sources]]",
            "[inference.power]\nsolar_array = \"250 W\"\nbattery = \"400 Wh\"\nbus_power = \"100 W\"\nfloor = 0.3\n\n[[inference.sources]]",
        );
    let scenario = scenario_from("summary-keys", &text);
    let result = simulate(&scenario);
    let summary = RunSummary::new(&scenario, &result);
    let json = summary.to_json();
    let text = serde_json::to_string_pretty(&json).unwrap();
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_same(&back, &json, "summary");

    let inference = summary.inference.as_ref().expect("the scenario serves inference");
    assert!(inference.all.requests > 0, "an hour of 100 ships at 20/h asks something");
    let inf = &back["inference"];
    let group = [
        "requests",
        "answered",
        "timeout",
        "rejected",
        "unfinished",
        "answered_share",
        "answered_within_120_s",
        "latency_s",
    ];
    let mut top = set(&group);
    top.extend([
        "asked_in_view",
        "asked_out_of_view",
        "phases_mean_s",
        "throughput",
        "drops",
        "isl_hops_mean",
        "timeout_s",
        "model",
        "accelerator",
        "satellites",
        "per_source",
        "per_satellite",
        "events",
        "visibility_snapshots",
        "route_nodes_settled",
    ]);
    assert_eq!(keys(inf), top);
    assert_eq!(keys(&inf["asked_in_view"]), set(&group));
    assert_eq!(keys(&inf["latency_s"]), set(&["p50", "p95", "p99", "mean", "min", "max"]));
    assert_eq!(
        keys(&inf["phases_mean_s"]),
        set(&["uplink_wait_s", "up_s", "isl_out_s", "queue_s", "compute_s", "answer_wait_s", "isl_back_s", "down_s"])
    );
    assert_eq!(keys(&inf["throughput"]), set(&["answered_per_hour", "output_tokens_per_s"]));
    assert_eq!(keys(&inf["model"]), set(&["parameters", "weight_bytes", "preinstalled"]));
    assert_eq!(
        keys(&inf["accelerator"]),
        set(&[
            "name",
            "prefill_tokens_per_s",
            "decode_tokens_per_s",
            "max_batch",
            "queue_limit",
            "power_w",
            "idle_power_w"
        ])
    );
    assert_eq!(
        keys(&inf["satellites"]),
        set(&[
            "serving",
            "with_model_by_end",
            "used",
            "busy_share_mean",
            "busy_share_p95",
            "busy_share_max",
            "accelerator_wh",
            "limited_s",
            "min_state_of_charge",
            "deficit_wh",
            "eclipse_share_mean",
        ])
    );
    let mut source = set(&group);
    source.extend(["name", "kind", "terminals"]);
    assert_eq!(keys(&inf["per_source"][0]), source);
    assert_eq!(inf["per_source"][0]["kind"], "ocean");
    assert_eq!(inf["per_satellite"].as_array().unwrap().len(), 12);
    assert_eq!(
        keys(&inf["per_satellite"][0]),
        set(&[
            "satellite",
            "model_from_utc",
            "completed",
            "busy_share",
            "slot_utilisation",
            "limited_s",
            "accelerator_wh",
            "eclipse_share",
            "energy",
        ])
    );
    assert_eq!(
        keys(&inf["per_satellite"][0]["energy"]),
        set(&[
            "solar_wh",
            "supplied_wh",
            "spilled_wh",
            "deficit_wh",
            "min_state_of_charge",
            "final_state_of_charge",
            "below_floor_s",
        ])
    );
    // The typed numbers are the ones written.
    assert_eq!(inf["requests"], inference.all.requests);
    assert_eq!(inf["drops"], inference.all.timeout + inference.all.rejected);
}

/// The update scenario with busy portals asking for any version from the day before the
/// delta, a slot per request, and the delta's restart shortened to 10 s so that it ends
/// within the pass over Kashi it starts in (1 December, 17:17:41–17:17:51).
fn update(max_reroutes: u32) -> Scenario {
    let mut text = std::fs::read_to_string(repo("scenarios/qwen3-scs01-update.toml")).unwrap();
    for (from, to) in [
        ("apply_time = \"30s\"\nrestart_time = \"90s\"", "apply_time = \"0s\"\nrestart_time = \"10s\""),
        ("version = \"latest\"", "version = \"any\""),
        ("version = \"Qwen3-8B Q4_K_M\"\n", "version = \"any\"\n"),
        ("rate = \"2/h\"", "rate = \"120/h\""),
        ("start = \"2025-11-22T00:00:00Z\"", "start = \"2025-11-30T12:00:00Z\""),
        ("max_batch = 4", "max_batch = 1"),
        ("timeout = \"3h\"", &format!("timeout = \"3h\"\nmax_reroutes = {max_reroutes}")),
    ] {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    scenario_from(&format!("update-{max_reroutes}"), &text)
}

fn rerouted(outcome: &InferenceOutcome) -> Vec<(usize, &RequestRecord)> {
    outcome.requests.iter().enumerate().filter(|(_, r)| r.reroutes > 0).collect()
}

#[test]
fn questions_on_board_at_a_gap_restart_are_rerouted_and_answered() {
    let outcome = simulate(&update(3)).inference.unwrap();
    check_decomposition(&outcome);
    let lost = rerouted(&outcome);
    assert!(!lost.is_empty(), "some questions are on board at the restart");
    assert!(outcome.requests.iter().all(|r| r.outcome != Outcome::Dropped));
    let answered: Vec<_> = lost.iter().filter(|(_, r)| r.outcome == Outcome::Answered).collect();
    assert!(!answered.is_empty(), "{lost:?}");
    for (i, r) in &answered {
        assert_eq!(r.lost_to, Some(LossReason::VersionRetired), "request {i}");
        assert!(r.phases.rerouted_ns > 0, "request {i}");
        // The last attempt went up after the loss: its uplink is where `rerouted` ends.
        let uplink = r.uplink_time().unwrap();
        assert_eq!(uplink, r.submit.plus_nanos(r.phases.rerouted_ns + r.phases.uplink_wait_ns));
        assert!(r.phases.compute_ns > 0 && r.served_by.is_some(), "request {i}");
    }

    // Without reroutes the same questions are dropped where they were lost, as before.
    let strict = simulate(&update(0)).inference.unwrap();
    check_decomposition(&strict);
    assert!(rerouted(&strict).is_empty());
    let dropped: Vec<usize> =
        strict.requests.iter().enumerate().filter(|(_, r)| r.outcome == Outcome::Dropped).map(|(i, _)| i).collect();
    let first_lost: Vec<usize> = lost.iter().map(|&(i, _)| i).collect();
    assert_eq!(dropped, first_lost);
    for &i in &dropped {
        let (r, again) = (&strict.requests[i], &outcome.requests[i]);
        assert_eq!(r.lost_to, Some(LossReason::VersionRetired));
        if again.reroutes == 1 {
            assert_eq!(r.closed, again.submit.plus_nanos(again.phases.rerouted_ns), "request {i}");
        }
    }
}

#[test]
fn max_reroutes_is_checked_with_its_field_named() {
    let path = repo("scenarios/qwen3-scs01-update.toml");
    let text =
        std::fs::read_to_string(&path).unwrap().replace("timeout = \"3h\"", "timeout = \"3h\"\nmax_reroutes = 101");
    let e = orbsim::scenario::load_scenario_text(&path, &text, None).unwrap_err().to_string();
    assert!(e.contains("inference.max_reroutes") && e.contains("101") && !e.contains('\n'), "{e}");
}

#[test]
fn a_failed_satellite_takes_up_serves_and_sends_down_nothing_and_its_questions_are_rerouted() {
    // Every satellite fails about twice in the window; minute-long answers, one at a time.
    let text = SHIPS
        .replace("[inference]\n", "[failures]\nsatellites = { mtbf = \"3h\", mttr = \"20min\" }\n\n[inference]\n")
        .replace("max_batch = 4", "max_batch = 1")
        .replace(
            "output_tokens = { dist = \"fixed\", value = 250 }",
            "output_tokens = { dist = \"fixed\", value = 1500 }",
        );
    let s = scenario_from("failing-ships", &text);
    let outcome = simulate(&s).inference.unwrap();
    check_decomposition(&outcome);
    let down = |sat: Option<u32>, from: i64, to: i64| {
        let sat = sat.expect("answered questions name their satellites");
        let at = UtcTime::from_unix_nanos;
        s.outages.satellite_down(sat, at(from)) || s.outages.satellite_down_within(sat, at(from), at(to))
    };
    let mut checked = 0;
    for (i, r) in outcome.requests.iter().enumerate().filter(|(_, r)| r.outcome == Outcome::Answered) {
        let p = &r.phases;
        let up = r.uplink_time().unwrap().unix_nanos();
        let arrived = up + p.up_ns + p.isl_out_ns;
        let sent = arrived + p.queue_ns + p.compute_ns + p.answer_wait_ns;
        assert!(!down(r.entry, up, up), "request {i} went up to a failed satellite");
        assert!(!down(r.served_by, arrived, sent), "request {i} held by a failed satellite");
        assert!(!down(r.exit, sent, sent), "request {i} sent down by a failed satellite");
        checked += 1;
    }
    assert!(checked > 500, "{checked}");
    let lost = rerouted(&outcome);
    assert!(lost.iter().any(|(_, r)| r.outcome == Outcome::Answered), "{lost:?}");
    assert!(lost.iter().all(|(_, r)| r.lost_to == Some(LossReason::SatelliteFailed)));
    // Same seed, same failures, same run.
    assert_eq!(simulate(&s).inference.unwrap().requests, outcome.requests);
}

fn request_header(s: &Scenario, name: &str) -> String {
    let outcome = simulate(s).inference.unwrap();
    let dir = std::env::temp_dir().join(format!("orbsim-inference-{}-{name}-out", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_inference(&dir, s, &outcome, &InferenceSummary::new(s, &outcome).unwrap()).unwrap();
    let text = std::fs::read_to_string(dir.join("inference_requests.csv")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text.lines().next().unwrap().to_string()
}

#[test]
fn the_request_table_has_reroute_columns_only_where_a_loss_is_possible() {
    let header = request_header(&update(3), "reroute-columns");
    assert!(header.ends_with(",version,rerouted_s,reroutes,lost_to"), "{header}");
    let header = request_header(&demonstration(&[]), "plain-columns");
    assert!(!header.contains("rerouted") && !header.contains("lost_to"), "{header}");
}
