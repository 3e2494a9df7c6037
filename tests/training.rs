//! The training model: the all-reduce equals its closed-form cost (ring and hierarchical,
//! several sizes, a fixed topology), every step's time adds up exactly in
//! `training_steps.csv`, a participant's failure sends the job back to its last checkpoint
//! with the lost work counted, and bad `[training]` input is one line naming the field.
//! Federated rounds never use an update before its bytes could cross the contact plan,
//! nor a byte while the aggregator station is down, and relay over the laser links.

mod common;

use common::{assert_input_error, orbsim, repo, scratch};
use orbsim::contact::{Contact, ContactKind, Node};
use orbsim::mission::MissionReport;
use orbsim::mission::training::all_reduce_ns;
use orbsim::mission::training::spec::Algorithm;
use orbsim::pipeline::run;
use orbsim::scenario::{Scenario, load_scenario_text};
use orbsim::time::UtcTime;

const ALPHA_NS: i64 = 10_000;

/// Ring cost: 2(n−1)/n · 8·bytes / B + 2(n−1)·α, ns (bandwidth term rounded up).
fn ring_closed_form(n: usize, bytes: u64, slowest_bps: f64) -> i64 {
    let k = n as f64;
    (2.0 * (k - 1.0) / k * 8.0 * bytes as f64 / slowest_bps * 1e9).ceil() as i64 + 2 * (n as i64 - 1) * ALPHA_NS
}

#[test]
fn ring_all_reduce_is_the_closed_form() {
    for n in [2usize, 3, 8, 81] {
        for bytes in [1_000_000u64, 16_000_000_000, 123_456_789] {
            // Every hop at 800 Gbit/s except the one leaving member n/2, at 100 Gbit/s.
            let rate = |i: usize, _j: usize| if i == n / 2 { 100e9 } else { 800e9 };
            let got = all_reduce_ns(Algorithm::Ring, n, bytes, ALPHA_NS, rate).unwrap();
            assert_eq!(got, ring_closed_form(n, bytes, 100e9), "n = {n}, {bytes} B");
        }
    }
    // One member: nothing to reduce. A hop without a link: no all-reduce.
    assert_eq!(all_reduce_ns(Algorithm::Ring, 1, 1_000, ALPHA_NS, |_, _| 0.0), Some(0));
    assert_eq!(all_reduce_ns(Algorithm::Ring, 4, 1_000, ALPHA_NS, |i, _| if i == 3 { 0.0 } else { 1e9 }), None);
}

#[test]
fn hierarchical_all_reduce_is_the_closed_form() {
    // Groups of g consecutive members: hops inside a group at 800 Gbit/s, across groups at
    // 200 Gbit/s.
    for (n, g) in [(4usize, 2u32), (12, 4), (81, 9), (64, 8)] {
        for bytes in [1_000_000u64, 16_000_000_000] {
            let group = |i: usize| i / g as usize;
            let rate = |i: usize, j: usize| if group(i) == group(j) { 800e9 } else { 200e9 };
            let got = all_reduce_ns(Algorithm::Hierarchical { group_size: g }, n, bytes, ALPHA_NS, rate).unwrap();
            let (gf, m) = (g as f64, (n / g as usize) as f64);
            let bits = 8.0 * bytes as f64;
            let inside = (2.0 * (gf - 1.0) / gf * bits / 800e9 * 1e9).ceil() as i64 + 2 * (g as i64 - 1) * ALPHA_NS;
            let across = (2.0 * (m - 1.0) / m * bits / gf / 200e9 * 1e9).ceil() as i64 + 2 * (m as i64 - 1) * ALPHA_NS;
            assert_eq!(got, inside + across, "n = {n}, g = {g}, {bytes} B");
        }
    }
    // With equal rates the bandwidth term is the ring's; only the latency is smaller.
    let (n, bytes) = (81, 16_000_000_000u64);
    let flat = all_reduce_ns(Algorithm::Ring, n, bytes, 0, |_, _| 800e9).unwrap();
    let two_level = all_reduce_ns(Algorithm::Hierarchical { group_size: 9 }, n, bytes, 0, |_, _| 800e9).unwrap();
    assert!((flat - two_level).abs() <= 2, "{flat} vs {two_level}");
}

/// A 3 × 3 Suncatcher-like cluster training for six hours, with `extra` appended.
fn scenario(extra: &str) -> Scenario {
    scenario_at(18.0, extra)
}

/// [`scenario`] with the ascending node at `ltan_h` local time (18: dawn-dusk, always lit).
fn scenario_at(ltan_h: f64, extra: &str) -> Scenario {
    let text = format!(
        r#"
name = "training-test"
start = "2026-03-20T00:00:00Z"
duration = "6h"
seed = 3

[[fleet.cluster]]
name = "SC"
role = "training"
altitude_km = 650
inclination = "sso"
ltan_h = {ltan_h}
lattice = {{ rows = 3, columns = 3, spacing_m = 150 }}

[stations]
file = "../data/stations/china/china_ground_stations.csv"
names = ["Kashi (Kashgar)"]

[links.uplink]
preset = "ka-band-uplink"

[links.isl]
preset = "optical-isl-cluster"

[isl]
topology = "range"

[model]
name = "m"
size = "64 MB"
chunk_size = "1 MB"

[training]
mode = "data_parallel"
parameters = 8e9
tokens_per_step = 1048576
utilisation = 0.4
checkpoint = {{ every = "1h", size = "16 GB", write_rate = "2 GB/s" }}
accelerator = {{ tops = 918, memory_bandwidth = "1640 GB/s", memory = "32 GB", power = "300 W", idle_power = "100 W" }}
{extra}
"#
    );
    load_scenario_text(&repo("scenarios/training-test.toml"), &text, None).unwrap()
}

fn training_report(s: &Scenario) -> MissionReport {
    let result = run(s, &orbsim::progress::Silent).unwrap();
    result.missions.into_iter().find(|m| m.name == "training").expect("a training report")
}

fn nanos(cell: &str) -> i64 {
    let (whole, frac) = cell.split_once('.').unwrap();
    whole.parse::<i64>().unwrap() * 1_000_000_000 + frac.parse::<i64>().unwrap()
}

/// Checks every row adds up and follows the previous one without a gap; returns the rows.
fn rows_add_up(report: &MissionReport, s: &Scenario) -> Vec<Vec<String>> {
    let table = report.tables.iter().find(|t| t.file == "training_steps.csv").unwrap();
    let col = |name: &str| table.header.iter().position(|h| h == name).unwrap();
    let mut expected_start = s.start;
    for row in &table.rows {
        let parts: i64 =
            ["wait_s", "compute_s", "communication_s", "checkpoint_s"].iter().map(|c| nanos(&row[col(c)])).sum();
        assert_eq!(parts, nanos(&row[col("duration_s")]), "{row:?}");
        let start = UtcTime::parse(&row[col("start_utc")]).unwrap();
        assert_eq!(start, expected_start, "{row:?}");
        expected_start = start.plus_nanos(parts);
    }
    assert_eq!(expected_start, s.end, "the rows cover the run");
    table.rows.clone()
}

#[test]
fn every_step_adds_up_exactly() {
    let s = scenario("");
    let report = training_report(&s);
    let rows = rows_add_up(&report, &s);
    assert!(rows.len() > 100, "{}", rows.len());
    let summary = &report.summary;
    assert_eq!(summary["lost_steps"], 0);
    assert_eq!(summary["checkpoints"], 5, "{summary}");
    let shares: f64 = ["compute_share", "communication_share", "wait_share", "checkpoint_share"]
        .iter()
        .map(|k| summary[k].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9, "{shares}");
}

#[test]
fn a_failure_resumes_from_the_last_checkpoint() {
    let outage = r#"
[failures]
[[failures.outages]]
satellite = "SC-005"
after = "150m"
duration = "10m"
"#;
    for on_failure in ["wait", "continue"] {
        let s = scenario(&format!("on_failure = \"{on_failure}\"\n{outage}"));
        let report = training_report(&s);
        let rows = rows_add_up(&report, &s);
        let status = |r: &Vec<String>| r[9].clone();
        let interrupted = rows.iter().position(|r| status(r) == "interrupted").expect("one interrupted step");
        assert_eq!(rows.iter().filter(|r| status(r) == "interrupted").count(), 1);
        // Lost: the steps completed since the checkpoint written after 2 h.
        let last_checkpoint = rows[..interrupted]
            .iter()
            .rposition(|r| nanos(&r[6]) > 0 && status(r) == "completed")
            .expect("a checkpoint before the failure");
        let lost = rows[last_checkpoint + 1..interrupted].iter().filter(|r| status(r) == "lost").count();
        assert!(lost > 0);
        assert_eq!(rows[last_checkpoint + 1..interrupted].iter().filter(|r| status(r) == "completed").count(), 0);
        assert_eq!(report.summary["lost_steps"], lost as u64);
        assert_eq!(report.summary["interruptions"], 1);
        // The failure is at 2 h 30 min: the interrupted row ends there.
        let failed_at = s.start.plus_seconds(9000.0);
        let end_of = |r: &Vec<String>| UtcTime::parse(&r[2]).unwrap().plus_nanos(nanos(&r[7]));
        assert_eq!(end_of(&rows[interrupted]), failed_at);
        // The step after it repeats the first lost step, reads the checkpoint back (8 s),
        // and waits for SC-005 or goes on without it.
        let next = &rows[interrupted + 1];
        assert_eq!(next[0], rows[last_checkpoint + 1][0]);
        assert!(nanos(&next[6]) >= 8_000_000_000, "{next:?}");
        match on_failure {
            "wait" => {
                assert_eq!(nanos(&next[3]), 600_000_000_000, "{next:?}");
                assert_eq!(next[8], "9");
            }
            _ => {
                assert_eq!(nanos(&next[3]), 0, "{next:?}");
                assert_eq!(next[8], "8");
            }
        }
        let completed: u64 =
            rows.iter().filter(|r| status(r) == "completed").map(|r| r[1].parse::<u64>().unwrap()).sum();
        assert_eq!(report.summary["steps"], completed);
        assert_eq!(
            report.summary["lost_tokens"].as_u64().unwrap(),
            lost as u64 * report.summary["tokens_per_step"].as_u64().unwrap()
        );
    }
}

#[test]
fn hostile_training_inputs_are_one_line_and_exit_2() {
    let base = std::fs::read_to_string(repo("scenarios/suncatcher-81.toml")).unwrap();
    let dir = scratch("training-hostile");
    let cases = [
        ("utilisation = 0.4", "utilisation = -0.4", "training.utilisation"),
        ("parameters = 8e9", "parameters = 0", "training.parameters"),
        ("mode = \"data_parallel\"", "mode = \"federated\"", "data_parallel"),
        ("algorithm = \"ring\"", "algorithm = \"hierarchical\"", "training.group_size"),
        ("participants = [\"training\"]", "participants = [\"nobody\"]", "training.participants[0]"),
        ("tokens_per_step = 4194304", "tokens_per_step = 1", "training.tokens_per_step"),
    ];
    assert_hostile(&base, &dir, &cases);
}

/// Each case replaces `from` with `to` in `base` (a bundled scenario's text): `orbsim
/// validate` then fails with one line naming the file, line and column, and `needle`.
fn assert_hostile(base: &str, dir: &std::path::Path, cases: &[(&str, &str, &str)]) {
    for (k, (from, to, needle)) in cases.iter().enumerate() {
        assert!(base.contains(from), "{from}");
        let path = dir.join(format!("case{k}.toml"));
        let text = base.replace(from, to).replace("../data/", &format!("{}/", repo("data").display()));
        std::fs::write(&path, text).unwrap();
        let out = orbsim(&["validate", path.to_str().unwrap()]);
        assert_input_error(&out, needle);
        // file:line:col, then the field.
        let err = common::stderr(&out);
        let after = err.split(&format!("case{k}.toml:")).nth(1).unwrap_or_else(|| panic!("names the file: {err}"));
        let mut parts = after.splitn(3, ':');
        let numbers = [parts.next(), parts.next()].map(|p| p.is_some_and(|p| p.trim().parse::<u32>().is_ok()));
        assert_eq!(numbers, [true, true], "line and column: {err}");
    }
}

#[test]
fn participants_out_of_power_stall_the_step() {
    // A noon orbit has a 35-minute eclipse every orbit; the 140 Wh above a 30 % floor
    // carry 350 W for 24 minutes of it, then the participants pause (drawing 150 W) until
    // the Sun recharges them.
    let power = r#"
[training.power]
solar_array = "800 W"
battery = "200 Wh"
bus_power = "50 W"
"#;
    let sunny = training_report(&scenario(""));
    let s = scenario_at(12.0, power);
    let report = training_report(&s);
    rows_add_up(&report, &s);
    let summary = &report.summary;
    assert!(summary["wait_share"].as_f64().unwrap() > 0.05, "{summary}");
    assert!(summary["steps"].as_u64().unwrap() < sunny.summary["steps"].as_u64().unwrap());
    let soc = summary["battery"]["min_state_of_charge"].as_f64().unwrap();
    assert!(soc < 0.3 && soc > 0.0, "{soc}");
}

/// A federated run on a 48-satellite Walker shell (4 planes of 12: in-plane neighbours
/// within laser range) for a day: local training of about
/// 6 minutes, 30 MB updates, aggregated as `aggregator` says, with `extra` appended.
fn federated(aggregator: &str, extra: &str) -> Scenario {
    let sections = format!(
        r#"
[links.downlink]
preset = "ka-band-downlink"

[links.isl]
preset = "optical-isl"

[isl]
topology = "grid"

[training]
mode = "federated"
participants = ["shell"]
parameters = 8e9
local_steps = 20
local_batch_tokens = 16384
utilisation = 0.2
update_size = "30 MB"
aggregator = {aggregator}
min_updates = 0.5
round_deadline = "3h"
accelerator = {{ tops = 744, memory_bandwidth = "204.8 GB/s", memory = "64 GB", power = "60 W" }}
{extra}
"#
    );
    common::small_walker_scenario("federated-test", 14, "1d", (48, 4), &sections)
}

/// The run's training report and its contact plan.
fn federated_run(s: &Scenario) -> (MissionReport, Vec<Contact>) {
    let result = run(s, &orbsim::progress::Silent).unwrap();
    let report = result.missions.into_iter().find(|m| m.name == "training").expect("a training report");
    (report, result.plan.contacts)
}

/// A table of a report as (header, rows).
fn table<'r>(report: &'r MissionReport, file: &str) -> (&'r [String], &'r [Vec<String>]) {
    let t = report.tables.iter().find(|t| t.file == file).unwrap_or_else(|| panic!("{file}"));
    (&t.header, &t.rows)
}

/// Every update arrived within a contact of its satellite with an aggregator station, and
/// the contacts since it was ready could carry its bytes by then (even used all at once);
/// every round closed on updates that had arrived. Returns the updates' (satellite index,
/// ready, arrival).
fn federated_conservation(
    s: &Scenario,
    report: &MissionReport,
    contacts: &[Contact],
    stations: &[u32],
) -> Vec<(u32, UtcTime, UtcTime)> {
    let wire_bytes = report.summary["update_bytes"].as_u64().unwrap();
    let (header, updates) = table(report, "training_updates.csv");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut out = Vec::new();
    for u in updates {
        let satellite = s.satellites.iter().position(|x| x.name == u[col("satellite")]).unwrap() as u32;
        let ready = UtcTime::parse(&u[col("ready_utc")]).unwrap();
        let arrival = UtcTime::parse(&u[col("arrival_utc")]).unwrap();
        let usable: Vec<&Contact> = contacts
            .iter()
            .filter(|c| {
                c.kind == ContactKind::Downlink
                    && c.satellite() == Some(satellite)
                    && c.station().is_some_and(|st| stations.contains(&st))
            })
            .collect();
        let could_cross: u64 =
            usable.iter().map(|c| c.profile.bytes_between(ready.max(c.start), arrival.min(c.end))).sum();
        assert!(could_cross >= wire_bytes, "{u:?}: only {could_cross} B could cross by then");
        assert!(usable.iter().any(|c| c.start <= arrival && arrival <= c.end), "{u:?} arrived outside a contact");
        out.push((satellite, ready, arrival));
    }
    // Rounds: a quorum closes on the arrival of its last counted update, a deadline after
    // every counted one; the counts match.
    let (rheader, rounds) = table(report, "training_steps.csv");
    let rcol = |name: &str| rheader.iter().position(|h| h == name).unwrap();
    let mut expected_start = s.start;
    for r in rounds {
        let start = UtcTime::parse(&r[rcol("start_utc")]).unwrap();
        assert_eq!(start, expected_start, "{r:?}");
        let parts: i64 = ["wait_s", "compute_s", "communication_s"].iter().map(|c| nanos(&r[rcol(c)])).sum();
        assert_eq!(parts, nanos(&r[rcol("duration_s")]), "{r:?}");
        let close = start.plus_nanos(parts);
        expected_start = close;
        let counted: Vec<UtcTime> = updates
            .iter()
            .filter(|u| u[col("round")] == r[rcol("round")])
            .map(|u| UtcTime::parse(&u[col("arrival_utc")]).unwrap())
            .collect();
        assert_eq!(counted.len().to_string(), r[rcol("participants")], "{r:?}");
        assert!(counted.iter().all(|&a| start <= a && a <= close), "{r:?}");
        if r[rcol("closed_by")] == "quorum" {
            assert_eq!(counted.iter().max(), Some(&close), "{r:?}");
        }
    }
    assert_eq!(expected_start, s.end, "the rounds cover the run");
    out
}

#[test]
fn federated_updates_never_arrive_before_their_bytes_could() {
    let s = federated(r#"{ stations = ["Kashi", "Sanya"] }"#, "");
    let (report, contacts) = federated_run(&s);
    let updates = federated_conservation(&s, &report, &contacts, &[0, 1]);
    let summary = &report.summary;
    assert!(summary["rounds"].as_u64().unwrap() >= 3, "{summary}");
    assert!(updates.len() > 48, "{}", updates.len());
    assert_eq!(
        summary["updates_aggregated"].as_u64().unwrap() + summary["stragglers"].as_u64().unwrap(),
        updates.len() as u64
    );
    // Every update and model crossed one ground link: bytes are whole updates.
    let wire = summary["update_bytes"].as_u64().unwrap();
    assert!(summary["bytes_up"].as_u64().unwrap() >= updates.len() as u64 * wire);
}

#[test]
fn no_update_crosses_while_the_aggregator_station_is_down() {
    let outage = r#"
[failures]
[[failures.outages]]
station = "Kashi"
after = "6h"
duration = "8h"
"#;
    let (down, up) = (UtcTime::parse("2026-01-01T06:00:00Z").unwrap(), UtcTime::parse("2026-01-01T14:00:00Z").unwrap());
    let arrivals_while_down = |updates: &[(u32, UtcTime, UtcTime)]| {
        updates.iter().filter(|(_, _, arrival)| down <= *arrival && *arrival < up).count()
    };
    let plain = federated(r#"{ station = "Kashi" }"#, "");
    let (report, contacts) = federated_run(&plain);
    let updates = federated_conservation(&plain, &report, &contacts, &[0]);
    assert!(arrivals_while_down(&updates) > 0, "the outage must matter");
    let cut = federated(r#"{ station = "Kashi" }"#, outage);
    let (report, contacts) = federated_run(&cut);
    let updates = federated_conservation(&cut, &report, &contacts, &[0]);
    assert_eq!(arrivals_while_down(&updates), 0);
    assert!(updates.iter().any(|(_, _, arrival)| *arrival >= up), "updates arrive again after the outage");
    // Bytes counted outside the outage only still carry every update.
    let wire_bytes = report.summary["update_bytes"].as_u64().unwrap();
    for (satellite, ready, arrival) in updates {
        let outside: u64 = contacts
            .iter()
            .filter(|c| c.kind == ContactKind::Downlink && c.satellite() == Some(satellite) && c.station() == Some(0))
            .map(|c| {
                let (from, to) = (ready.max(c.start), arrival.min(c.end));
                c.profile.bytes_between(from, to.min(down)) + c.profile.bytes_between(from.max(up), to)
            })
            .sum();
        assert!(outside >= wire_bytes, "{satellite}: {outside} B outside the outage");
    }
}

#[test]
fn federated_rounds_over_laser_links_relay_to_the_aggregator() {
    let s = federated(r#"{ satellite = "shell-p01-s02" }"#, "");
    let aggregator = s.satellites.iter().position(|x| x.name == "shell-p01-s02").unwrap() as u32;
    let (report, contacts) = federated_run(&s);
    let (header, updates) = table(&report, "training_updates.csv");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert!(!updates.is_empty());
    for u in updates {
        let ready = UtcTime::parse(&u[col("ready_utc")]).unwrap();
        let arrival = UtcTime::parse(&u[col("arrival_utc")]).unwrap();
        if u[col("satellite")] == "shell-p01-s02" {
            assert_eq!(arrival, ready, "the aggregator's own update needs no link");
            continue;
        }
        // The last hop ends within a laser contact of the aggregator.
        let last_hop = contacts.iter().any(|c| {
            c.kind == ContactKind::InterSatellite
                && (c.from == Node::Satellite(aggregator) || c.to == Node::Satellite(aggregator))
                && c.start < arrival
                && arrival <= c.end
        });
        assert!(last_hop && arrival > ready, "{u:?}");
    }
    let summary = &report.summary;
    assert_eq!(summary["aggregator_kind"], "satellite");
    assert!(summary["rounds_per_day"].as_f64().unwrap() > 100.0, "{summary}");
}

#[test]
fn hostile_federated_inputs_are_one_line_and_exit_2() {
    let base = std::fs::read_to_string(repo("scenarios/xingsuan-2800-training.toml")).unwrap();
    let aggregator = base.lines().find(|l| l.starts_with("aggregator = ")).unwrap().to_string();
    let dir = scratch("federated-hostile");
    let cases = [
        (aggregator.as_str(), "aggregator = { station = \"Atlantis\" }", "training.aggregator.station"),
        (
            aggregator.as_str(),
            "aggregator = { stations = [\"Sanya\", \"Atlantis\"] }",
            "training.aggregator.stations[1]",
        ),
        (aggregator.as_str(), "aggregator = { satellite = \"nobody-p00\" }", "training.aggregator.satellite"),
        (aggregator.as_str(), "aggregator = { station = \"Sanya\", satellite = \"train\" }", "training.aggregator"),
        ("min_updates = 0.5", "min_updates = 401", "training.min_updates"),
        ("local_steps = 200", "local_steps = 0", "training.local_steps"),
        ("round_deadline = \"3h\"", "round_deadline = \"3h\"\ntokens_per_step = 4096", "training.tokens_per_step"),
    ];
    assert_hostile(&base, &dir, &cases);
}
