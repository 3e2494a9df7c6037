//! Failures of satellites, stations, antennas and laser terminals: no byte crosses a link
//! while one of its ends is down, a satellite runs nothing while it is down and runs again
//! after a reboot, a wiped satellite receives the model again, the run is determined by its
//! seed, and bad `[failures]` input is one line naming the field.

mod common;

use common::{assert_input_error, orbsim, small_walker_scenario};
use orbsim::access::outages::{Component, covers, overlaps};
use orbsim::mission::rollout::VersionChange;
use orbsim::pipeline::{RunResult, run};
use orbsim::scenario::Scenario;
use orbsim::time::UtcTime;

/// Twelve satellites with laser links, the 64 MB model by swarm from Kashi and Sanya over
/// two days, with failures far more frequent than real ones: satellites every 12 h for
/// about 2 h, stations and laser terminals daily, one antenna of Kashi scheduled out for
/// 6 h, and satellite 3 wiped at 10 h.
fn scenario(seed: u64) -> Scenario {
    with_strategy(seed, "swarm")
}

fn with_strategy(seed: u64, strategy: &str) -> Scenario {
    let sections = r#"
[links.isl]
preset = "optical-isl"

[isl]
topology = "grid"

[rollout]
strategy = "STRATEGY"

[failures]
satellites = { mtbf = "12h", mttr = "2h" }
stations = { mtbf = "1d", mttr = "3h" }
isl_terminals = { mtbf = "1d", mttr = "2h" }

[[failures.outages]]
station = "Kashi (Kashgar)"
antenna = 0
after = "2h"
duration = "6h"

[[failures.outages]]
satellite = "shell-p02-s01"
after = "10h"
duration = "1h"
wipe = true
"#;
    small_walker_scenario("failures-test", seed, "2d", (12, 3), &sections.replace("STRATEGY", strategy))
}

fn run_it(s: &Scenario) -> RunResult {
    run(s, &orbsim::progress::Silent).unwrap()
}

#[test]
fn no_byte_crosses_a_link_while_an_end_is_down() {
    // The swarm sends most chunks over laser links; ground-only, everything in passes.
    for (strategy, min_sessions) in [("swarm", 2), ("ground-only", 10)] {
        crosses_no_link_while_down(&with_strategy(5, strategy), min_sessions);
    }
}

fn crosses_no_link_while_down(s: &Scenario, min_sessions: usize) {
    let result = run_it(s);
    let outages = &s.outages;
    let kinds = |k: &str| outages.list().iter().filter(|o| o.component.kind() == k).count();
    assert!(
        kinds("satellite") >= 20 && kinds("station") >= 1 && kinds("isl-terminal") >= 10,
        "{:?}",
        outages.list().len()
    );
    let kashi = s.stations.iter().position(|st| st.name.starts_with("Kashi")).unwrap() as u32;
    let mut sessions = 0;
    for x in result.upload.sessions.iter().filter(|x| x.bytes_sent > 0) {
        sessions += 1;
        let (from, to) = (x.start, x.end);
        assert!(!overlaps(outages.satellite_periods(x.satellite), from, to), "{x:?} while its satellite was down");
        assert!(!overlaps(outages.station_periods(x.station), from, to), "{x:?} while its station was down");
        if x.station == kashi {
            // Kashi has one antenna: its outage is the station's.
            assert!(!overlaps(outages.antenna_periods(kashi, 0), from, to), "{x:?} while the antenna was down");
        }
    }
    assert!(sessions >= min_sessions, "{sessions} sessions");
    assert!(min_sessions > 2 || !result.upload.isl_transfers.is_empty());
    for t in &result.upload.isl_transfers {
        for sat in [t.from, t.to] {
            assert!(!overlaps(outages.isl_periods(sat), t.start, t.end), "{t:?} while {sat}'s links were down");
        }
    }
    // The plan itself: every contact stops before an outage of either end.
    for c in &result.plan.contacts {
        let ends = [c.from, c.to];
        for node in ends {
            let periods = match (node, c.kind) {
                (orbsim::contact::Node::Satellite(k), orbsim::contact::ContactKind::InterSatellite) => {
                    outages.isl_periods(k)
                }
                (orbsim::contact::Node::Satellite(k), _) => outages.satellite_periods(k),
                (orbsim::contact::Node::Station(k), _) => outages.station_periods(k),
            };
            assert!(!overlaps(periods, c.start, c.end), "{c:?}");
        }
    }
}

/// Each period a satellite ran a version: (satellite, version, from, until).
fn running_periods(log: &[VersionChange], end: UtcTime) -> Vec<(u32, u16, UtcTime, UtcTime)> {
    let mut log = log.to_vec();
    log.sort_by_key(|c| (c.satellite, c.version, c.at, c.running));
    let mut out = Vec::new();
    let mut open: Option<(u32, u16, UtcTime)> = None;
    for c in log {
        match open {
            Some((sat, v, from)) if (sat, v) == (c.satellite, c.version) && !c.running => {
                out.push((sat, v, from, c.at));
                open = None;
            }
            _ if c.running => {
                if let Some((sat, v, from)) = open.take() {
                    out.push((sat, v, from, end));
                }
                open = Some((c.satellite, c.version, c.at));
            }
            _ => {}
        }
    }
    out.extend(open.map(|(sat, v, from)| (sat, v, from, end)));
    out
}

#[test]
fn a_down_satellite_runs_nothing_and_runs_again_after_a_reboot() {
    let s = scenario(5);
    let result = run_it(&s);
    let periods = running_periods(&result.upload.version_log, s.end);
    assert!(periods.len() > 12, "satellites fail and restart: {} running periods", periods.len());
    for &(sat, _, from, until) in &periods {
        assert!(
            !overlaps(s.outages.satellite_periods(sat), from, until),
            "satellite {sat} ran {from}..{until} while down"
        );
    }
    // Every failure of a satellite running the model stops it at the failure's instant,
    // and (without a wipe) it runs again one reboot after it is back.
    let reboot = s.onboard.deploy_time_ns;
    let mut restarts = 0;
    for o in s.outages.list() {
        let Component::Satellite(sat) = o.component else { continue };
        let ran = periods.iter().any(|&(k, _, from, until)| k == sat && from < o.start && until == o.start);
        let restarted =
            periods.iter().any(|&(k, _, from, _)| k == sat && from >= o.end && from <= o.end.plus_nanos(reboot));
        if ran && !o.wipe && !covers(s.outages.satellite_periods(sat), o.end) && o.end < s.end {
            assert!(restarted || s.outages.wipe_within(sat, o.end, o.end.plus_nanos(reboot)).is_some(), "{o:?}");
            restarts += 1;
        }
    }
    assert!(restarts >= 3, "{restarts} restarts");
}

#[test]
fn a_wiped_satellite_receives_the_model_again() {
    let s = scenario(5);
    let result = run_it(&s);
    let sat = s.satellites.iter().position(|x| x.name == "shell-p02-s01").unwrap() as u32;
    let wipe = s.start.plus_seconds(10.0 * 3600.0);
    let record = &result.upload.satellites[sat as usize];
    let deployed = record.deployed.expect("the wiped satellite got the model again within two days");
    assert!(deployed > wipe.plus_seconds(3600.0), "{deployed}");
    let first_chunk_again = result
        .upload
        .sessions
        .iter()
        .filter(|x| x.satellite == sat && x.start >= wipe)
        .map(|x| x.new_bytes_delivered)
        .sum::<u64>()
        + record.isl_bytes_received;
    assert!(first_chunk_again > 0, "it received chunks after the wipe");
    // Its version log: retired at the wipe without keeping the chunks.
    let retired = result.upload.version_log.iter().find(|c| c.satellite == sat && c.at == wipe && !c.running);
    if let Some(c) = retired {
        assert!(!c.held, "a wipe keeps nothing");
    }
}

#[test]
fn failures_are_determined_by_the_seed() {
    let (a, b) = (scenario(9), scenario(9));
    assert_eq!(a.outages.list(), b.outages.list());
    let (ra, rb) = (run_it(&a), run_it(&b));
    assert_eq!(ra.upload.sessions, rb.upload.sessions);
    assert_eq!(ra.upload.version_log, rb.upload.version_log);
    assert_ne!(scenario(10).outages.list(), a.outages.list());
}

#[test]
fn bad_failures_input_is_one_line_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(common::repo("scenarios/walker100-upload.toml")).unwrap();
    let base = base.replace("file = \"../", &format!("file = \"{}/", common::repo("").display()));
    let cases = [
        ("[failures]\nsatellites = { mtbf = \"30d\", mttr = \"0s\" }\n", "failures.satellites.mttr"),
        ("[failures]\nstations = { mtbf = \"-3d\", mttr = \"1h\" }\n", "failures.stations.mtbf"),
        ("[failures]\nantennas = { mtbf = \"often\", mttr = \"1h\" }\n", "failures.antennas.mtbf"),
        (
            "[[failures.outages]]\nsatellite = \"no-such-sat\"\nafter = \"1h\"\nduration = \"1h\"\n",
            "failures.outages[0].satellite",
        ),
    ];
    for (k, (section, field)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{k}.toml"));
        std::fs::write(&path, format!("{base}\n{section}")).unwrap();
        let out = orbsim(&["validate", path.to_str().unwrap()]);
        assert_input_error(&out, field);
        let err = common::stderr(&out);
        assert!(err.contains(&format!("bad{k}.toml:")), "names the file and line: {err}");
    }
}
