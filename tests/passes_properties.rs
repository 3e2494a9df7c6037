//! Properties of the pass finder that hold whatever the reference: no pass hides from it
//! (against a brute-force scan every 2 s), the output does not depend on the thread count,
//! and azimuth-dependent masks are honoured.

use orbsim::access::{Pass, Window, find_passes};
use orbsim::frames::{Geodetic, Topocentric, teme_to_ecef};
use orbsim::ground::{AzimuthMask, GroundStation, load_stations};
use orbsim::orbit::{Satellite, load_orbit_file};
use orbsim::time::UtcTime;

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn starlink(count: usize) -> Vec<Satellite> {
    let loaded = load_orbit_file(&repo("data/tle/celestrak_2026-05-30/starlink.tle"), &[], false).unwrap();
    loaded.satellites.into_iter().step_by(97).take(count).collect()
}

fn window(hours: f64) -> Window {
    let start = UtcTime::parse("2026-05-31T00:00:00Z").unwrap();
    Window { start, end: start.plus_seconds(hours * 3600.0) }
}

/// Every interval above the mask, found by brute force: elevation every `step` seconds.
/// Returns (first sample above, last sample above, highest elevation sampled).
fn brute_force(sat: &Satellite, station: &GroundStation, window: Window, step: f64) -> Vec<(f64, f64, f64)> {
    let topo = Topocentric::new(&station.site);
    let n = (window.duration_s() / step) as usize;
    let mut out = Vec::new();
    let mut current: Option<(f64, f64, f64)> = None;
    for k in 0..=n {
        let t = window.start.plus_seconds(k as f64 * step);
        let s = sat.propagate(t).unwrap();
        let (r, v) = teme_to_ecef(&s.position, &s.velocity, t.gmst());
        let look = topo.look(&r, &v);
        let above = look.elevation_deg >= station.mask_at(look.azimuth_deg);
        let now = k as f64 * step;
        match (&mut current, above) {
            (None, true) => current = Some((now, now, look.elevation_deg)),
            (Some((_, last, max)), true) => {
                *last = now;
                *max = max.max(look.elevation_deg);
            }
            (Some(interval), false) => {
                out.push(*interval);
                current = None;
            }
            (None, false) => {}
        }
    }
    out.extend(current);
    out
}

#[test]
fn no_pass_hides_from_the_finder() {
    let sats = starlink(12);
    let stations: Vec<GroundStation> =
        load_stations(&repo("data/stations/bench100.csv"), 10.0).unwrap().into_iter().step_by(4).collect();
    let w = window(6.0);
    let found = find_passes(&sats, &stations, w, &|| {});
    let mut checked = 0;
    for (i, sat) in sats.iter().enumerate() {
        for (j, station) in stations.iter().enumerate() {
            let ours: Vec<&Pass> = found.passes.iter().filter(|p| p.satellite == i && p.station == j).collect();
            let reference = brute_force(sat, station, w, 2.0);
            for &(start, end, max) in &reference {
                if max < station.min_elevation_deg + 0.1 {
                    continue;
                }
                // The pass must cover every sample the brute force saw above the mask (to
                // 10 ms: the interpolant is within metres of SGP4).
                let hit = ours.iter().any(|p| {
                    let (a, b) = (p.aos.seconds_since(w.start), p.los.seconds_since(w.start));
                    a <= start + 0.01 && b >= end - 0.01
                });
                assert!(
                    hit,
                    "{} over {}: pass {start}–{end} s peaking at {max:.3}° was missed",
                    sat.name, station.name
                );
                checked += 1;
            }
            // And nothing invented: every pass found contains a brute-force sample above
            // the mask, unless it is shorter than the sampling step.
            for p in &ours {
                let (a, b) = (p.aos.seconds_since(w.start), p.los.seconds_since(w.start));
                let seen = reference.iter().any(|&(s, e, _)| s <= b + 2.0 && e >= a - 2.0);
                assert!(seen || b - a < 4.0, "{} over {}: invented pass {a}–{b}", sat.name, station.name);
            }
        }
    }
    assert!(checked > 50, "only {checked} passes checked");
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let sats = starlink(40);
    let stations = load_stations(&repo("data/stations/bench100.csv"), 10.0).unwrap();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| find_passes(&sats, &stations, window(12.0), &|| {}).passes)
    };
    let one = run(1);
    assert!(!one.is_empty());
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn azimuth_masks_are_honoured() {
    let sats = starlink(30);
    let site = Geodetic { lat_deg: 39.5, lon_deg: 76.0, alt_km: 1.3 };
    let plain = GroundStation { name: "plain".into(), site, min_elevation_deg: 10.0, azimuth_mask: None };
    let flat_mask = GroundStation { azimuth_mask: Some(AzimuthMask::parse("0:10").unwrap()), ..plain.clone() };
    // Mountains to the south: 10° from 300° through north to 60°, rising to 35° due south.
    let terrain = AzimuthMask::parse("0:10 60:10 180:35 300:10").unwrap();
    let masked = GroundStation { azimuth_mask: Some(terrain.clone()), ..plain.clone() };
    let w = window(24.0);
    let a = find_passes(&sats, std::slice::from_ref(&plain), w, &|| {}).passes;
    let b = find_passes(&sats, &[flat_mask], w, &|| {}).passes;
    assert_eq!(a.len(), b.len());
    for (p, q) in a.iter().zip(&b) {
        assert!(p.aos.seconds_since(q.aos).abs() < 0.01 && p.los.seconds_since(q.los).abs() < 0.01);
    }
    let c = find_passes(&sats, &[masked], w, &|| {}).passes;
    assert!(!c.is_empty() && c.len() <= a.len() + 5);
    let topo = Topocentric::new(&site);
    for p in &c {
        for t in [p.aos, p.los] {
            if t == w.start || t == w.end {
                continue;
            }
            let s = sats[p.satellite].propagate(t).unwrap();
            let (r, v) = teme_to_ecef(&s.position, &s.velocity, t.gmst());
            let look = topo.look(&r, &v);
            let mask = terrain.min_elevation_at(look.azimuth_deg);
            assert!(
                (look.elevation_deg - mask).abs() < 0.02,
                "at {t}: elevation {} vs mask {mask}",
                look.elevation_deg
            );
        }
        // Every masked pass lies inside a pass over the plain 10° mask (to 10 ms, where
        // both cross the same 10° stretch of mask).
        assert!(a.iter().any(|q| q.satellite == p.satellite
            && q.aos.seconds_since(p.aos) <= 0.01
            && p.los.seconds_since(q.los) <= 0.01));
    }
}
