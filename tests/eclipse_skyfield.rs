//! Eclipses against Skyfield 1.55 (`tests/fixtures/eclipse/skyfield_eclipse.json`, generated
//! by `tools/fixtures/skyfield_eclipse.py`): a 500 km sun-synchronous orbit (SCS-01 A) and a
//! 540 km 53° orbit (STARLINK-3147), 7 days each, with JPL DE421 for the Sun.
//!
//! Skyfield's `is_sunlit` changes where the line to the Sun's *centre* grazes a spherical
//! Earth (6378.1366 km): the middle of the penumbra, not one of its edges. Like is compared
//! with like: inside each interval orbsim finds (penumbra edges), the instant where the
//! Sun's centre crosses the limb in orbsim's geometry ([`ShadowGeometry::limb_margin_rad`]
//! = 0) is located and compared with Skyfield's transition. The acceptance of issue 6 is
//! 10 s; the differences come from the low-precision Sun (about 0.003° here, with aberration
//! where Skyfield's `is_sunlit` uses the geometric direction) and are a small fraction of a
//! second, so the test holds them to 0.5 s.

use orbsim::access::Window;
use orbsim::access::eclipse::{EclipseInterval, eclipse_intervals, shadow_geometry, sun_position_km};
use orbsim::orbit::Satellite;
use orbsim::orbit::tle::parse_lines;
use orbsim::time::UtcTime;
use serde_json::Value;

const ACCEPTANCE_S: f64 = 10.0;
const TOLERANCE_S: f64 = 0.5;

fn time(v: &Value) -> UtcTime {
    UtcTime::parse(v.as_str().unwrap()).unwrap()
}

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/eclipse/skyfield_eclipse.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn satellite(case: &Value) -> Satellite {
    let tle = case["tle"].as_array().unwrap();
    let (id, _, elements) = parse_lines(tle[1].as_str().unwrap(), tle[2].as_str().unwrap()).unwrap();
    Satellite::new(case["name"].as_str().unwrap().into(), Some(id), elements).unwrap()
}

/// The Sun's centre above the Earth's limb seen from the satellite, radians.
fn limb_margin(sat: &Satellite, t: UtcTime) -> f64 {
    shadow_geometry(&sat.propagate(t).unwrap().position, &sun_position_km(t)).limb_margin_rad()
}

/// Bisects a sign change of the limb margin in [a, b] to 0.1 ms.
fn limb_crossing(sat: &Satellite, mut a: UtcTime, mut b: UtcTime) -> Option<UtcTime> {
    let fa = limb_margin(sat, a);
    if (fa < 0.0) == (limb_margin(sat, b) < 0.0) {
        return None;
    }
    while b.seconds_since(a) > 1e-4 {
        let m = a.plus_seconds(0.5 * b.seconds_since(a));
        if (limb_margin(sat, m) < 0.0) == (fa < 0.0) {
            a = m;
        } else {
            b = m;
        }
    }
    Some(a.plus_seconds(0.5 * b.seconds_since(a)))
}

/// orbsim's equivalents of `is_sunlit` transitions: (time, sunlit after).
fn mid_penumbra_transitions(sat: &Satellite, intervals: &[EclipseInterval]) -> Vec<(UtcTime, bool)> {
    let mut out = Vec::new();
    for e in intervals {
        let entry_end = e.umbra_start.unwrap_or(e.end);
        let exit_start = e.umbra_end.unwrap_or(e.start);
        if let Some(t) = limb_crossing(sat, e.start, entry_end) {
            out.push((t, false));
        }
        if e.umbra_start.is_some()
            && let Some(t) = limb_crossing(sat, exit_start, e.end)
        {
            out.push((t, true));
        }
    }
    out
}

/// Rate of the limb margin at `t`, rad/s: turns an angle error into a time error.
fn limb_rate(sat: &Satellite, t: UtcTime) -> f64 {
    (limb_margin(sat, t.plus_seconds(1.0)) - limb_margin(sat, t.plus_seconds(-1.0))).abs() / 2.0
}

fn angle_deg(a: &[f64; 3], b: &nalgebra::Vector3<f64>) -> f64 {
    let a = nalgebra::Vector3::new(a[0], a[1], a[2]);
    a.cross(b).norm().atan2(a.dot(b)).to_degrees()
}

fn vector(v: &Value) -> [f64; 3] {
    let a = v.as_array().unwrap();
    [a[0].as_f64().unwrap(), a[1].as_f64().unwrap(), a[2].as_f64().unwrap()]
}

#[test]
fn eclipse_transitions_match_skyfield_is_sunlit() {
    let fixture = fixture();
    let mut failures = Vec::new();
    let mut worst_overall: f64 = 0.0;
    let mut total = 0;
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let sat = satellite(case);
        let window = Window { start: time(&case["window_start_utc"]), end: time(&case["window_end_utc"]) };
        let (intervals, stop) = eclipse_intervals(&sat, window);
        assert!(stop.is_none(), "{name}: {stop:?}");
        assert!(intervals.iter().all(|e| e.umbra_start.is_some()), "{name}: every shadow here reaches the umbra");
        // Cut flags agree with Skyfield's state at the window's edges.
        let starts_lit = case["sunlit_at_start"].as_bool().unwrap();
        let ends_lit = case["sunlit_at_end"].as_bool().unwrap();
        assert_eq!(intervals.first().is_some_and(|e| e.cut_start), !starts_lit, "{name}: cut_start");
        assert_eq!(intervals.last().is_some_and(|e| e.cut_end), !ends_lit, "{name}: cut_end");

        let ours = mid_penumbra_transitions(&sat, &intervals);
        let theirs: Vec<(UtcTime, bool)> = case["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (time(&t["time_utc"]), t["sunlit_after"].as_bool().unwrap()))
            .collect();
        if ours.len() != theirs.len() {
            failures.push(format!("{name}: {} transitions, Skyfield has {}", ours.len(), theirs.len()));
            continue;
        }
        let (mut worst_entry, mut worst_exit, mut worst_angle): (f64, f64, f64) = (0.0, 0.0, 0.0);
        for (&(t, lit), &(want, want_lit)) in ours.iter().zip(&theirs) {
            let d = t.seconds_since(want);
            if lit != want_lit || d.abs() > TOLERANCE_S {
                failures.push(format!("{name}: {t} (sunlit after: {lit}) vs Skyfield {want} ({want_lit}): {d:+.3} s"));
            }
            // The limb-margin error this difference amounts to.
            worst_angle = worst_angle.max((d * limb_rate(&sat, t)).abs().to_degrees());
            if lit {
                worst_exit = worst_exit.max(d.abs());
            } else {
                worst_entry = worst_entry.max(d.abs());
            }
        }
        // The penumbra edges bracket the mid-penumbra transitions.
        for e in &intervals {
            let inside = theirs.iter().filter(|(t, _)| e.start <= *t && *t <= e.end).count();
            let expected = 2 - usize::from(e.cut_start) - usize::from(e.cut_end);
            if inside < expected {
                failures.push(format!("{name}: interval {}–{} holds {inside} Skyfield transitions", e.start, e.end));
            }
        }
        let whole = intervals.iter().filter(|e| !e.cut_start && !e.cut_end);
        println!(
            "{name}: {} intervals, {} transitions; worst |Δ| vs is_sunlit: entry {:.3} s, exit {:.3} s \
             (as a limb angle {:.5}°); penumbra {:.1}–{:.1} s per side",
            intervals.len(),
            ours.len(),
            worst_entry,
            worst_exit,
            worst_angle,
            whole.clone().map(|e| e.umbra_start.unwrap().seconds_since(e.start)).fold(f64::MAX, f64::min),
            whole.map(|e| e.umbra_start.unwrap().seconds_since(e.start)).fold(0.0, f64::max),
        );
        worst_overall = worst_overall.max(worst_entry).max(worst_exit);
        total += ours.len();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(worst_overall < ACCEPTANCE_S);
    assert!(total > 400);
}

#[test]
fn sun_position_matches_de421() {
    let fixture = fixture();
    let mut samples: Vec<&Value> =
        fixture["cases"].as_array().unwrap().iter().flat_map(|c| c["sun"].as_array().unwrap()).collect();
    samples.push(&fixture["meeus_25a"]);
    let (mut worst_apparent, mut worst_geometric, mut worst_distance): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for s in samples {
        let t = time(&s["time_utc"]);
        let ours = sun_position_km(t);
        let apparent = angle_deg(&vector(&s["teme_apparent_km"]), &ours);
        let geometric = angle_deg(&vector(&s["teme_geometric_km"]), &ours);
        let distance_au = ours.norm() / orbsim::access::eclipse::AU_KM;
        let d_distance = (distance_au - s["distance_au"].as_f64().unwrap()).abs();
        assert!(apparent < 0.01, "{t}: {apparent}° from the apparent Sun");
        assert!(d_distance < 2e-4, "{t}: distance off by {d_distance} AU");
        worst_apparent = worst_apparent.max(apparent);
        worst_geometric = worst_geometric.max(geometric);
        worst_distance = worst_distance.max(d_distance);
    }
    println!(
        "Sun vs DE421 in TEME: worst {worst_apparent:.5}° from the apparent direction, {worst_geometric:.5}° from \
         the geometric one; distance within {worst_distance:.2e} AU"
    );
}
