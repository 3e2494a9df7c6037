//! Eclipse search properties: nothing missed or invented against a dense scan of the
//! shadow model (LEO, sun-synchronous, Molniya, GEO, an eccentric orbit and grazing
//! passages); the cylindrical shadow lies between the umbra and the penumbra; eclipse
//! fractions follow the cylinder formula; window cuts, decay, the parallel driver, the
//! fractions helper and the CSV table.

use nalgebra::Vector3;
use orbsim::access::Window;
use orbsim::access::eclipse::{
    EARTH_SHADOW_RADIUS_KM, ECLIPSES_HEADER, EclipseInterval, beta_angle_rad, cylindrical_eclipse_fraction,
    eclipse_fractions, eclipse_intervals, find_eclipses, in_cylindrical_shadow, shadow_geometry, sun_position_km,
    write_eclipses_csv,
};
use orbsim::constants::WGS72_MU_KM3_S2;
use orbsim::orbit::tle::parse_lines;
use orbsim::orbit::{MeanElements, Satellite};
use orbsim::time::UtcTime;

fn from_tle(name: &str, l1: &str, l2: &str) -> Satellite {
    let (id, _, elements) = parse_lines(l1, l2).unwrap();
    Satellite::new(name.into(), Some(id), elements).unwrap()
}

fn scs01_a() -> Satellite {
    from_tle(
        "SCS-01 A",
        "1 63982U 25100A   26078.25874299  .00007059  00000+0  31840-3 0  9994",
        "2 63982  97.3732 152.9903 0023419 300.8495  59.0437 15.21075366 46978",
    )
}

fn starlink_3147() -> Satellite {
    from_tle(
        "STARLINK-3147",
        "1 49410U 21104C   26150.59297229  .00000875  00000+0  73054-4 0  9997",
        "2 49410  53.1972 221.4437 0001486  79.8975 280.2185 15.08838199250997",
    )
}

/// A synthetic orbit: circular unless `e` is given, at `altitude_km` (semi-major axis minus
/// the Earth's radius), epoch `epoch`.
fn synthetic(
    name: &str,
    epoch: UtcTime,
    altitude_km: f64,
    e: f64,
    inclination: f64,
    raan: f64,
    bstar: f64,
) -> Satellite {
    let a = EARTH_SHADOW_RADIUS_KM + altitude_km;
    let n = (WGS72_MU_KM3_S2 / (a * a * a)).sqrt() * 86_400.0 / std::f64::consts::TAU;
    let elements = MeanElements {
        epoch,
        inclination_deg: inclination,
        raan_deg: raan,
        eccentricity: e,
        arg_perigee_deg: 0.0,
        mean_anomaly_deg: 0.0,
        mean_motion_rev_per_day: n,
        bstar,
        mean_motion_dot: 0.0,
        mean_motion_ddot: 0.0,
    };
    Satellite::new(name.into(), None, elements).unwrap()
}

fn molniya() -> Satellite {
    from_tle(
        "ARKTIKA-M 1",
        "1 47719U 21016A   26077.77327249 -.00000047  00000+0  00000+0 0  9991",
        "2 47719  63.2196  70.5789 7249851 269.5343  15.1625  2.00618076 36976",
    )
}

/// Three days around the Molniya orbit's first eclipse after its epoch (its eclipses come
/// in seasons).
fn molniya_season() -> Window {
    let epoch = t("2026-03-18T00:00:00Z");
    let year = Window { start: epoch, end: epoch.plus_seconds(200.0 * 86_400.0) };
    let first = eclipse_intervals(&molniya(), year).0[0].start;
    let start = first.plus_seconds(-86_400.0);
    Window { start, end: start.plus_seconds(3.0 * 86_400.0) }
}

fn t(s: &str) -> UtcTime {
    UtcTime::parse(s).unwrap()
}

/// (penumbra margin, umbra margin) in rad: negative when in the penumbra / umbra.
fn margins(sat: &Satellite, time: UtcTime) -> (f64, f64) {
    let g = shadow_geometry(&sat.propagate(time).unwrap().position, &sun_position_km(time));
    let f = g.limb_margin_rad();
    (f - g.sun_radius_rad, f + g.sun_radius_rad)
}

fn position(sat: &Satellite, time: UtcTime) -> Vector3<f64> {
    sat.propagate(time).unwrap().position
}

/// Checks `intervals` against a scan every `step_s`: every scanned instant in shadow (umbra)
/// lies in an interval (its umbra) and vice versa, and each boundary is a sign change of the
/// model's margin within 5 ms. Returns the number of scanned shadow samples.
fn check_against_scan(sat: &Satellite, window: Window, intervals: &[EclipseInterval], step_s: f64) -> usize {
    let name = &sat.name;
    for pair in intervals.windows(2) {
        assert!(pair[0].end < pair[1].start, "{name}: overlapping or unordered intervals {pair:?}");
    }
    for e in intervals {
        assert!(e.start <= e.end && window.start <= e.start && e.end <= window.end, "{name}: {e:?}");
        assert_eq!(e.umbra_start.is_some(), e.umbra_end.is_some(), "{name}: {e:?}");
        if let (Some(us), Some(ue)) = (e.umbra_start, e.umbra_end) {
            assert!(e.start <= us && us <= ue && ue <= e.end, "{name}: {e:?}");
        }
        assert_eq!(e.cut_start, e.start == window.start, "{name}: {e:?}");
        assert_eq!(e.cut_end, e.end == window.end, "{name}: {e:?}");
        let eps = 0.005;
        let edge = |time: UtcTime, umbra: bool, entering: bool| {
            let pick = |m: (f64, f64)| if umbra { m.1 } else { m.0 };
            let before = pick(margins(sat, time.plus_seconds(-eps)));
            let after = pick(margins(sat, time.plus_seconds(eps)));
            let ok = if entering { before > 0.0 && after < 0.0 } else { before < 0.0 && after > 0.0 };
            assert!(
                ok,
                "{name}: {} edge at {time} is not a crossing: {before:e} → {after:e}",
                ["penumbra", "umbra"][umbra as usize]
            );
        };
        if !e.cut_start {
            edge(e.start, false, true);
            if let Some(us) = e.umbra_start {
                edge(us, true, true);
            }
        }
        if !e.cut_end {
            edge(e.end, false, false);
            if let Some(ue) = e.umbra_end {
                edge(ue, true, false);
            }
        }
    }
    let n = (window.duration_s() / step_s).floor() as usize;
    let mut in_shadow = 0;
    for k in 0..=n {
        let time = window.start.plus_seconds(k as f64 * step_s);
        let (pen, umb) = margins(sat, time);
        let holder = intervals.iter().find(|e| e.start <= time && time <= e.end);
        let near_edge = |x: Option<UtcTime>| x.is_some_and(|x| time.seconds_since(x).abs() < 0.002);
        if pen < 0.0 {
            in_shadow += 1;
        }
        match holder {
            None => assert!(pen >= 0.0, "{name}: missed shadow at {time} (margin {pen:e})"),
            Some(e) => {
                if !near_edge(Some(e.start)) && !near_edge(Some(e.end)) {
                    assert!(pen < 0.0, "{name}: invented shadow at {time} in {e:?}");
                }
                let in_umbra = matches!((e.umbra_start, e.umbra_end), (Some(s), Some(u)) if s <= time && time <= u);
                if !near_edge(e.umbra_start) && !near_edge(e.umbra_end) {
                    assert_eq!(in_umbra, umb < 0.0, "{name}: umbra at {time}: {umb:e} vs {e:?}");
                }
            }
        }
    }
    in_shadow
}

#[test]
fn intervals_match_a_dense_scan() {
    let day = |start: &str, days: f64| {
        let s = t(start);
        Window { start: s, end: s.plus_seconds(days * 86_400.0) }
    };
    let cases = [
        (scs01_a(), day("2026-03-20T00:00:00Z", 1.0)),
        (starlink_3147(), day("2026-05-31T00:00:00Z", 1.0)),
        (
            from_tle(
                "ISS",
                "1 25544U 98067A   26150.51748228  .00011776  00000+0  21767-3 0  9998",
                "2 25544  51.6337  27.5746 0007245 114.7080 245.4664 15.49496548569014",
            ),
            day("2026-05-31T00:00:00Z", 1.0),
        ),
        (molniya(), molniya_season()),
        // A geostationary satellite in its equinox eclipse season (~70 min a day).
        (synthetic("GEO", t("2026-03-20T00:00:00Z"), 35_786.0, 0.0, 0.05, 0.0, 0.0), day("2026-03-20T00:00:00Z", 3.0)),
        // An eccentric LEO (300 × 2,700 km).
        (synthetic("ECC", t("2026-06-01T00:00:00Z"), 1_500.0, 0.15, 30.0, 40.0, 0.0), day("2026-06-01T00:00:00Z", 1.0)),
    ];
    for (sat, window) in &cases {
        let (intervals, stop) = eclipse_intervals(sat, *window);
        assert!(stop.is_none(), "{}: {stop:?}", sat.name);
        assert!(!intervals.is_empty(), "{}: no eclipse", sat.name);
        let samples = check_against_scan(sat, *window, &intervals, 1.0);
        let f = eclipse_fractions(&intervals, *window);
        println!(
            "{}: {} intervals, {samples} scanned seconds in shadow; umbra {:.4}, penumbra {:.4} of the window",
            sat.name,
            intervals.len(),
            f.umbra,
            f.penumbra
        );
    }
}

#[test]
fn grazing_passages_are_found() {
    // A 500 km polar orbit at the March equinox: the orbit normal points at RAAN − 90°, so
    // beta ≈ RAAN. Sweep it across the edge of the shadow, where passages become short
    // dips into the penumbra only (the last one found here lasts about 3 s, at RAAN 68.1525°),
    // and compare with a 0.25 s scan.
    let epoch = t("2026-03-20T12:00:00Z");
    let window = Window { start: epoch, end: epoch.plus_seconds(2.0 * 3600.0) };
    let mut grazing = 0;
    let mut shortest = f64::MAX;
    let coarse = (0..=40).map(|k| 66.0 + 0.1 * k as f64);
    let fine = (0..=20).map(|k| 68.0 + 0.01 * k as f64);
    let finer = (0..=60).map(|k| 68.14 + 0.0005 * k as f64);
    for raan in coarse.chain(fine).chain(finer) {
        let sat = synthetic(&format!("polar β≈{raan:.1}"), epoch, 500.0, 0.0, 90.0, raan, 0.0);
        let (intervals, stop) = eclipse_intervals(&sat, window);
        assert!(stop.is_none());
        check_against_scan(&sat, window, &intervals, 0.25);
        for e in &intervals {
            if e.umbra_start.is_none() {
                grazing += 1;
                shortest = shortest.min(e.duration_s());
            }
        }
    }
    println!("{grazing} penumbra-only passages, the shortest {shortest:.2} s");
    assert!(grazing > 20 && shortest < 10.0, "{grazing} grazing passages, the shortest {shortest} s");
}

/// Entry and exit of the cylindrical shadow inside an interval, by bisection.
fn cylinder_edges(sat: &Satellite, e: &EclipseInterval) -> Option<(UtcTime, UtcTime)> {
    let inside = |time: UtcTime| in_cylindrical_shadow(&position(sat, time), &sun_position_km(time));
    let crossing = |mut a: UtcTime, mut b: UtcTime| {
        let at_a = inside(a);
        if at_a == inside(b) {
            return None;
        }
        while b.seconds_since(a) > 1e-3 {
            let m = a.plus_seconds(0.5 * b.seconds_since(a));
            if inside(m) == at_a {
                a = m;
            } else {
                b = m;
            }
        }
        Some(a)
    };
    // The cylinder's middle is near the shadow's: split there.
    let mid = e.start.plus_seconds(0.5 * e.duration_s());
    Some((crossing(e.start, mid)?, crossing(mid, e.end)?))
}

#[test]
fn cylinder_lies_between_umbra_and_penumbra() {
    for (sat, start) in [(scs01_a(), t("2026-03-20T00:00:00Z")), (starlink_3147(), t("2026-05-31T00:00:00Z"))] {
        let window = Window { start, end: start.plus_seconds(7.0 * 86_400.0) };
        let (intervals, _) = eclipse_intervals(&sat, window);
        let mut cylinder_s = 0.0;
        let (mut worst_mid, mut narrowest_gap, mut worst_formula): (f64, f64, f64) = (0.0, f64::MAX, 0.0);
        for e in intervals.iter().filter(|e| !e.cut_start && !e.cut_end) {
            let (cin, cout) = cylinder_edges(&sat, e).expect("the cylinder is inside every umbra passage here");
            let (us, ue) = (e.umbra_start.unwrap(), e.umbra_end.unwrap());
            assert!(e.start < cin && cin < us, "{}: cylinder entry {cin} outside the penumbra {e:?}", sat.name);
            assert!(ue < cout && cout < e.end, "{}: cylinder exit {cout} outside the penumbra {e:?}", sat.name);
            narrowest_gap = narrowest_gap.min(cin.seconds_since(e.start)).min(us.seconds_since(cin));
            cylinder_s += cout.seconds_since(cin);
            // The cylinder against the middle of the penumbra (penumbra and umbra averaged).
            let mid_duration = 0.5 * (e.duration_s() + e.umbra_s());
            worst_mid = worst_mid.max((cout.seconds_since(cin) - mid_duration).abs());
            // The circular-orbit formula with β and r at mid-shadow, within the penumbra
            // although the eccentricity changes the angular rate (by ±0.5 % for SCS-01 A).
            let mid = cin.plus_seconds(0.5 * cout.seconds_since(cin));
            let s = sat.propagate(mid).unwrap();
            let beta = beta_angle_rad(&s.position, &s.velocity, &sun_position_km(mid));
            let formula = sat.elements.period_s() * cylindrical_eclipse_fraction(beta, s.position.norm());
            worst_formula = worst_formula.max((formula - mid_duration).abs());
            assert!(
                e.umbra_s() < formula && formula < e.duration_s(),
                "{}: formula {formula:.1} s vs umbra {:.1} s, passage {:.1} s",
                sat.name,
                e.umbra_s(),
                e.duration_s()
            );
        }
        let f = eclipse_fractions(&intervals, window);
        let cylinder = cylinder_s / window.duration_s();
        println!(
            "{}: week in umbra {:.5}, cylinder {:.5}, any shadow {:.5}; per passage the cylinder is within {worst_mid:.2} s \
             of the mid-penumbra duration and at least {narrowest_gap:.2} s inside each penumbra edge; the \
             circular-orbit formula within {worst_formula:.1} s of the mid-penumbra duration",
            sat.name,
            f.umbra,
            cylinder,
            f.shadow()
        );
        assert!(f.umbra < cylinder && cylinder < f.shadow());
    }
}

#[test]
fn eclipse_fraction_follows_the_cylinder_formula() {
    // Circular 500 km polar orbits at the March equinox, beta ≈ RAAN from 0° to 80°. Per
    // passage the formula's duration P·acos(√(r²−R²)/(r cos β))/π (β and r at mid-shadow)
    // must lie between the umbra and the whole passage (penumbra included), give or take
    // what SGP4's short-period terms and J2 do to a "circular" orbit.
    let epoch = t("2026-03-20T12:00:00Z");
    let window = Window { start: epoch, end: epoch.plus_seconds(12.0 * 3600.0) };
    let beta_limit = (EARTH_SHADOW_RADIUS_KM / (EARTH_SHADOW_RADIUS_KM + 500.0)).asin().to_degrees();
    let (mut worst_mid, mut worst_outside, mut widest_beyond): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for raan in [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 55.0, 60.0, 63.0, 65.0, 66.0, 67.0, 67.5, 68.5, 70.0, 75.0, 80.0] {
        let sat = synthetic("polar", epoch, 500.0, 0.0, 90.0, raan, 0.0);
        let (intervals, _) = eclipse_intervals(&sat, window);
        let state = sat.propagate(epoch).unwrap();
        let beta = beta_angle_rad(&state.position, &state.velocity, &sun_position_km(epoch)).to_degrees();
        if beta.abs() > beta_limit + 1.0 {
            // β drifts by under 0.5° in 12 h.
            assert!(intervals.is_empty(), "β {beta:.2}°: {intervals:?}");
        }
        for e in &intervals {
            let mid = e.start.plus_seconds(0.5 * e.duration_s());
            let s = sat.propagate(mid).unwrap();
            let beta_mid = beta_angle_rad(&s.position, &s.velocity, &sun_position_km(mid)).to_degrees().abs();
            let limit = (EARTH_SHADOW_RADIUS_KM / s.position.norm()).asin().to_degrees();
            // At orbital midnight the satellite is r·cos β behind the Earth and r·sin β from
            // the axis, where the penumbra's radius is about R + r·cos β·α (α the Sun's
            // angular radius) and the umbra's R − r·cos β·α: the penumbra reaches β up to
            // asin(R/r) + α, the umbra only up to asin(R/r) − α.
            let alpha = shadow_geometry(&s.position, &sun_position_km(mid)).sun_radius_rad.to_degrees();
            assert!(beta_mid < limit + alpha + 0.01, "shadow at β {beta_mid:.3}° > {limit:.3}° + {alpha:.3}°: {e:?}");
            assert!(
                e.umbra_start.is_none() || beta_mid < limit - alpha + 0.01,
                "umbra at β {beta_mid:.3}° > {limit:.3}° − {alpha:.3}°: {e:?}"
            );
            if beta_mid > limit {
                widest_beyond = widest_beyond.max(beta_mid - limit);
            }
        }
        for e in intervals.iter().filter(|e| !e.cut_start && !e.cut_end) {
            let mid = e.start.plus_seconds(0.5 * e.duration_s());
            let s = sat.propagate(mid).unwrap();
            let beta_mid = beta_angle_rad(&s.position, &s.velocity, &sun_position_km(mid));
            let predicted = sat.elements.period_s() * cylindrical_eclipse_fraction(beta_mid, s.position.norm());
            let outside = (e.umbra_s() - predicted).max(predicted - e.duration_s()).max(0.0);
            worst_outside = worst_outside.max(outside);
            if beta_mid.to_degrees().abs() < 60.0 {
                worst_mid = worst_mid.max((predicted - 0.5 * (e.duration_s() + e.umbra_s())).abs());
            }
            assert!(
                outside < 2.0,
                "β {:.2}°: formula {predicted:.1} s, umbra {:.1} s, passage {:.1} s",
                beta_mid.to_degrees(),
                e.umbra_s(),
                e.duration_s()
            );
        }
        if raan == 0.0 {
            // β ≈ 0: about 36 min of shadow per ~94.6 min orbit. Fractions over whole
            // orbits: from one shadow entry to the last.
            let whole = Window { start: intervals[1].start, end: intervals[intervals.len() - 1].start };
            let f = eclipse_fractions(&intervals, whole);
            let formula = cylindrical_eclipse_fraction(beta.to_radians(), EARTH_SHADOW_RADIUS_KM + 500.0);
            println!(
                "β {beta:.2}°: over {} orbits umbra {:.4}, shadow {:.4}, cylinder formula {formula:.4}",
                intervals.len() - 2,
                f.umbra,
                f.shadow()
            );
            assert!(f.umbra < formula && formula < f.shadow());
            let per_orbit_min = intervals[1].duration_s() / 60.0;
            assert!((per_orbit_min - 36.0).abs() < 0.5, "{per_orbit_min} min");
        }
    }
    println!(
        "cylinder formula vs passages: worst {worst_mid:.2} s from the mid-penumbra duration (β < 60°), \
         worst {worst_outside:.2} s outside [umbra, penumbra]; penumbra seen up to {widest_beyond:.3}° of β beyond \
         the cylinder's limit"
    );
}

#[test]
fn windows_cut_inside_the_shadow() {
    let sat = scs01_a();
    let start = t("2026-03-20T00:00:00Z");
    let full = Window { start, end: start.plus_seconds(86_400.0) };
    let (all, _) = eclipse_intervals(&sat, full);
    let e = all[3];
    let us = e.umbra_start.unwrap();
    // Start in the penumbra, end in the umbra, and the other way round.
    for (a, b, in_umbra_at_start) in [
        (e.start.plus_seconds(2.0), us.plus_seconds(60.0), false),
        (us.plus_seconds(30.0), e.umbra_end.unwrap().plus_seconds(3.0), true),
    ] {
        let window = Window { start: a, end: b };
        let (cut, stop) = eclipse_intervals(&sat, window);
        assert!(stop.is_none());
        assert_eq!(cut.len(), 1, "{cut:?}");
        let c = cut[0];
        assert!(c.cut_start && c.start == a);
        assert_eq!(c.umbra_start == Some(a), in_umbra_at_start);
        if in_umbra_at_start {
            // Ends in the penumbra after the umbra exit.
            assert!(c.cut_end && c.end == b);
            assert!((c.umbra_end.unwrap().seconds_since(e.umbra_end.unwrap())).abs() < 2e-3);
        } else {
            assert!(c.cut_end && c.end == b && c.umbra_end == Some(b));
            assert!((c.umbra_start.unwrap().seconds_since(us)).abs() < 2e-3);
        }
    }
    // Cut windows and the full one agree on every boundary they share.
    let half = Window { start: start.plus_seconds(43_200.0), end: full.end };
    let (later, _) = eclipse_intervals(&sat, half);
    let tail: Vec<&EclipseInterval> = all.iter().filter(|x| x.end > half.start).collect();
    assert_eq!(later.len(), tail.len());
    for (x, y) in later.iter().zip(tail).skip(1) {
        assert!(x.start.seconds_since(y.start).abs() < 2e-3 && x.end.seconds_since(y.end).abs() < 2e-3);
    }
    // An empty or reversed window holds nothing.
    assert!(eclipse_intervals(&sat, Window { start, end: start }).0.is_empty());
    assert!(eclipse_intervals(&sat, Window { start: full.end, end: start }).0.is_empty());
}

#[test]
fn decay_ends_the_search_without_panicking() {
    // A 230 km orbit with a huge drag term comes down within days.
    let epoch = t("2026-06-01T00:00:00Z");
    let sat = synthetic("sinker", epoch, 230.0, 0.001, 51.6, 10.0, 0.05);
    let window = Window { start: epoch, end: epoch.plus_seconds(30.0 * 86_400.0) };
    let (intervals, stop) = eclipse_intervals(&sat, window);
    let stop = stop.expect("the orbit decays inside the window");
    println!("stopped at {}: {}, after {} eclipses", stop.time, stop.reason, intervals.len());
    assert!(stop.time > epoch && stop.time < window.end);
    assert!(sat.propagate(stop.time).is_err());
    assert!(sat.propagate(stop.time.plus_seconds(-1.0)).is_ok(), "the stop is within 1 s of the last good time");
    assert!(!intervals.is_empty());
    assert!(intervals.iter().all(|e| e.end < stop.time));
    // Up to the stop the intervals are those of the same search cut at the last good time.
    let last_good = stop.time.plus_seconds(-1.0);
    let (before, none) = eclipse_intervals(&sat, Window { start: epoch, end: last_good });
    assert!(none.is_none());
    assert_eq!(before.len(), intervals.len());
    let retirement = stop.into_retirement(7);
    assert_eq!(retirement.satellite, 7);
    // A satellite that cannot be propagated at all gives nothing and the reason.
    let late = Window { start: epoch.plus_seconds(60.0 * 86_400.0), end: epoch.plus_seconds(61.0 * 86_400.0) };
    let (nothing, stop) = eclipse_intervals(&sat, late);
    assert!(nothing.is_empty() && stop.is_some_and(|s| s.time == late.start));
}

#[test]
fn parallel_driver_fractions_and_csv() {
    let sats = vec![starlink_3147(), scs01_a()];
    let start = t("2026-05-31T00:00:00Z");
    let window = Window { start, end: start.plus_seconds(86_400.0) };
    let search = find_eclipses(&sats, window);
    assert!(search.retirements.is_empty());
    for (sat, got) in sats.iter().zip(&search.intervals) {
        assert_eq!(*got, eclipse_intervals(sat, window).0);
    }
    let f = eclipse_fractions(&search.intervals[0], window);
    let total: f64 = search.intervals[0].iter().map(EclipseInterval::duration_s).sum();
    let umbra: f64 = search.intervals[0].iter().map(EclipseInterval::umbra_s).sum();
    assert!((f.shadow() - total / 86_400.0).abs() < 1e-12);
    assert!((f.umbra - umbra / 86_400.0).abs() < 1e-12);
    // A window twice as long with the same shadow halves the fractions.
    let longer = Window { start: start.plus_seconds(-86_400.0), end: window.end };
    assert!((eclipse_fractions(&search.intervals[0], longer).shadow() - f.shadow() / 2.0).abs() < 1e-12);

    let mut out = Vec::new();
    write_eclipses_csv(&mut out, &sats, &search.intervals).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], ECLIPSES_HEADER);
    assert_eq!(lines.len(), 1 + search.intervals.iter().map(Vec::len).sum::<usize>());
    let starts: Vec<&str> = lines[1..].iter().map(|l| l.split(',').nth(1).unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "rows sorted by start");
    for line in &lines[1..] {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 9, "{line}");
        assert!(fields[1].ends_with('Z') && fields[1].len() == 24, "{line}");
        let duration: f64 = fields[3].parse().unwrap();
        let umbra: f64 = fields[6].parse().unwrap();
        assert!(duration >= umbra && umbra >= 0.0);
        assert!(fields[4].is_empty() == (umbra == 0.0));
        assert!(["true", "false"].contains(&fields[7]) && ["true", "false"].contains(&fields[8]));
    }
    assert!(write_eclipses_csv(&mut Vec::new(), &sats[..1], &search.intervals).is_err());
}
