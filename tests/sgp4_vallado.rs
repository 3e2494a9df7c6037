//! SGP4 against Vallado's verification set (AIAA 2006-6753, "Revisiting Spacetrack Report
//! #3"): every state of `tcppver.out` (WGS72, opsmode 'i') must be reproduced, and the
//! three records with deliberate errors must be rejected with a reason.

use std::collections::HashMap;

use orbsim::orbit::tle::parse_tle_text;
use orbsim::orbit::{Satellite, load_orbit_file};

const POSITION_TOLERANCE_KM: f64 = 1e-5;
const VELOCITY_TOLERANCE_KM_S: f64 = 1e-8;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/sgp4_vallado/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Minutes since epoch, position (km), velocity (km/s).
type ExpectedState = (f64, [f64; 3], [f64; 3]);

/// Expected states per catalogue number.
fn expected_states() -> HashMap<u32, Vec<ExpectedState>> {
    let mut out: HashMap<u32, Vec<_>> = HashMap::new();
    let mut current = None;
    for line in fixture("tcppver.out").lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() == 2 && fields[1] == "xx" {
            current = Some(fields[0].parse::<u32>().unwrap());
            continue;
        }
        if fields.len() >= 7
            && let Some(id) = current
        {
            let n: Vec<f64> = fields[..7].iter().map(|f| f.parse().unwrap()).collect();
            out.entry(id).or_default().push((n[0], [n[1], n[2], n[3]], [n[4], n[5], n[6]]));
        }
    }
    out
}

#[test]
fn every_vallado_state_matches() {
    let (records, errors) = parse_tle_text(&fixture("SGP4-VER.TLE"));
    let expected = expected_states();
    assert_eq!(records.len() + errors.len(), 33, "33 records in the verification file");
    let mut worst_r: f64 = 0.0;
    let mut worst_v: f64 = 0.0;
    let mut compared = 0;
    for record in &records {
        let sat = Satellite::new(format!("{}", record.norad_id), Some(record.norad_id), record.elements.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", record.norad_id));
        let states =
            expected.get(&record.norad_id).unwrap_or_else(|| panic!("no expected states for {}", record.norad_id));
        for (minutes, r, v) in states {
            let state =
                sat.propagate_minutes(*minutes).unwrap_or_else(|e| panic!("{} at {minutes} min: {e}", record.norad_id));
            let dr = (0..3).map(|k| (state.position[k] - r[k]).abs()).fold(0.0, f64::max);
            let dv = (0..3).map(|k| (state.velocity[k] - v[k]).abs()).fold(0.0, f64::max);
            assert!(dr < POSITION_TOLERANCE_KM, "{} at {minutes} min: position off by {dr:e} km", record.norad_id);
            assert!(dv < VELOCITY_TOLERANCE_KM_S, "{} at {minutes} min: velocity off by {dv:e} km/s", record.norad_id);
            worst_r = worst_r.max(dr);
            worst_v = worst_v.max(dv);
            compared += 1;
        }
    }
    println!("compared {compared} states: worst position {worst_r:e} km, worst velocity {worst_v:e} km/s");
    assert!(compared > 500);
}

#[test]
fn deliberate_errors_are_rejected_with_a_reason() {
    let (records, errors) = parse_tle_text(&fixture("SGP4-VER.TLE"));
    assert!(records.iter().all(|r| !(33333..=33335).contains(&r.norad_id)));
    assert_eq!(errors.len(), 3, "{errors:?}");
    for e in &errors {
        assert!(e.reason.contains("checksum"), "{e:?}");
    }
}

#[test]
fn strict_loading_fails_on_the_first_bad_record() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sgp4_vallado/SGP4-VER.TLE");
    let lenient = load_orbit_file(&path, &[], false).unwrap();
    assert_eq!(lenient.rejected.len(), 3);
    assert!(lenient.skipped_summary().unwrap().contains("skipped 3 bad records"));
    let err = load_orbit_file(&path, &[], true).unwrap_err().to_string();
    assert!(err.contains("SGP4-VER.TLE:") && err.contains("checksum"), "{err}");
}
