//! Questions lost on board are rerouted: a gap restart or a failed satellite sends the
//! questions it held back to routing from their source, the time of the failed attempts
//! adds up with the last attempt's phases to the nanosecond, `max_reroutes = 0` drops them
//! as before, and the request table says so only where a loss is possible.

mod common;

use common::{repo, scratch};
use orbsim::mission::inference::{InferenceOutcome, LossReason, Outcome, RequestRecord};
use orbsim::pipeline::run;
use orbsim::report::inference::{InferenceSummary, write_inference};
use orbsim::scenario::{Scenario, load_scenario_text};

/// A bundled scenario with some text replaced.
fn edited(file: &str, edits: &[(&str, &str)]) -> Scenario {
    let path = repo(file);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    load_scenario_text(&path, &text, None).unwrap_or_else(|e| panic!("{e}"))
}

/// The update scenario with busy portals asking for any version from the day before the
/// delta, a slot per request, and the delta's restart shortened to 10 s so that it ends
/// within the pass over Kashi it starts in (1 December, 17:17:41–17:17:51).
fn update(max_reroutes: u32) -> Scenario {
    edited(
        "scenarios/qwen3-scs01-update.toml",
        &[
            ("apply_time = \"30s\"\nrestart_time = \"90s\"", "apply_time = \"0s\"\nrestart_time = \"10s\""),
            ("version = \"latest\"", "version = \"any\""),
            ("version = \"Qwen3-8B Q4_K_M\"\n", "version = \"any\"\n"),
            ("rate = \"2/h\"", "rate = \"120/h\""),
            ("start = \"2025-11-22T00:00:00Z\"", "start = \"2025-11-30T12:00:00Z\""),
            ("max_batch = 4", "max_batch = 1"),
            ("timeout = \"3h\"", &format!("timeout = \"3h\"\nmax_reroutes = {max_reroutes}")),
        ],
    )
}

fn inference(s: &Scenario) -> InferenceOutcome {
    run(s, &orbsim::progress::Silent).unwrap().inference.unwrap()
}

/// Every answered request's phases, failed attempts included, add up to its latency.
fn check_identity(outcome: &InferenceOutcome) {
    for (i, r) in outcome.requests.iter().enumerate() {
        assert!(r.phases.named().iter().all(|&(_, ns)| ns >= 0), "request {i}: {:?}", r.phases);
        if r.outcome == Outcome::Answered {
            assert_eq!(r.closed.unix_nanos() - r.submit.unix_nanos(), r.phases.total_ns(), "request {i}");
        }
        assert_eq!(r.reroutes == 0, r.phases.rerouted_ns == 0, "request {i}: {r:?}");
    }
}

fn rerouted(outcome: &InferenceOutcome) -> Vec<(usize, &RequestRecord)> {
    outcome.requests.iter().enumerate().filter(|(_, r)| r.reroutes > 0).collect()
}

#[test]
fn questions_on_board_at_a_gap_restart_are_rerouted_and_answered() {
    let outcome = inference(&update(3));
    check_identity(&outcome);
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
    let strict = inference(&update(0));
    check_identity(&strict);
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
    let e = load_scenario_text(&path, &text, None).unwrap_err().to_string();
    assert!(e.contains("inference.max_reroutes") && e.contains("101") && !e.contains('\n'), "{e}");
}

/// A Walker shell over ships at sea, no inter-satellite links; satellites fail often.
const FAILING_SHIPS: &str = r#"
name = "failing-ships"
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

[failures]
satellites = { mtbf = "3h", mttr = "20min" }

[inference]
preinstalled = true
parameters = 8.19e9
timeout = "20min"

[inference.accelerator]
tops = 744
memory_bandwidth = "204.8 GB/s"
memory = "64 GB"
power = "60 W"
max_batch = 1

[[inference.sources]]
name = "ships"
kind = "ocean"
count = 300
rate = "40/d"
prompt_tokens = { dist = "uniform", min = 50, max = 400 }
output_tokens = { dist = "fixed", value = 1500 }
"#;

#[test]
fn a_failed_satellite_takes_up_serves_and_sends_down_nothing_and_its_questions_are_rerouted() {
    let s = load_scenario_text(&repo("scenarios/failing-ships.toml"), FAILING_SHIPS, None).unwrap();
    let outcome = inference(&s);
    check_identity(&outcome);
    let down = |sat: Option<u32>, from: i64, to: i64| {
        let sat = sat.expect("answered questions name their satellites");
        let at = orbsim::time::UtcTime::from_unix_nanos;
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
    assert_eq!(inference(&s).requests, outcome.requests);
}

fn request_header(s: &Scenario, outcome: &InferenceOutcome, name: &str) -> String {
    let dir = scratch(name);
    let summary = InferenceSummary::new(s, outcome).unwrap();
    write_inference(&dir, s, outcome, &summary).unwrap();
    let text = std::fs::read_to_string(dir.join("inference_requests.csv")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text.lines().next().unwrap().to_string()
}

#[test]
fn the_request_table_has_reroute_columns_only_where_a_loss_is_possible() {
    let with = update(3);
    let header = request_header(&with, &inference(&with), "reroute-columns");
    assert!(header.ends_with(",version,rerouted_s,reroutes,lost_to"), "{header}");
    let plain = edited("scenarios/qwen3-scs01-inference.toml", &[]);
    let header = request_header(&plain, &inference(&plain), "plain-columns");
    assert!(!header.contains("rerouted") && !header.contains("lost_to"), "{header}");
}
