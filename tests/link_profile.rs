//! Rate profiles: change times against a brute-force scan, byte conservation, setup time
//! and minimum elevation, and how few geometry calls it takes.

mod link_geometry;

use std::cell::Cell;

use link_geometry::Pass;
use orbsim::link::{LinkBudget, LinkConfig, LinkParams, RateProfile, Site};
use orbsim::time::UtcTime;

fn params(preset: &str, extra: &str) -> LinkParams {
    let table: toml::Table = toml::from_str(&format!("preset = \"{preset}\"\n{extra}")).unwrap();
    LinkConfig::from_toml(&table, "l").unwrap().resolve("l").unwrap()
}

fn tca() -> UtcTime {
    UtcTime::from_calendar(2025, 11, 13, 3, 30, 0)
}

const CHENGDU: Site = Site { lat_deg: 30.67, lon_deg: 104.07, alt_km: 0.502 };
const SINGAPORE: Site = Site { lat_deg: 1.35, lon_deg: 103.82, alt_km: 0.032 };
const SVALBARD: Site = Site { lat_deg: 78.23, lon_deg: 15.41, alt_km: 0.372 };

/// The level a brute-force evaluation gives at `t`.
fn brute_level(budget: &LinkBudget, pass: &Pass, t: UtcTime) -> usize {
    if t.seconds_since(pass.start) < budget.params().setup_time_s {
        return 0;
    }
    let (el, range) = pass.look(t);
    budget.level_at(el, range)
}

fn level_at(profile: &RateProfile, t: UtcTime) -> usize {
    let rate = profile.rate_at(t);
    profile.rate_table().iter().position(|&r| r == rate).unwrap()
}

/// Every 10 ms where the profile and the brute-force level disagree lies within 0.1 s of a
/// profile step, and both have the same number of changes.
fn check_against_brute_force(budget: &LinkBudget, pass: &Pass, profile: &RateProfile) {
    let n = (pass.end.seconds_since(pass.start) * 100.0) as i64;
    let change_times: Vec<f64> = profile.steps().iter().skip(1).map(|s| s.offset_ms as f64 / 1000.0).collect();
    let mut brute_changes = 0;
    let mut previous = None;
    for i in 0..n {
        let t = pass.start.plus_nanos(i * 10_000_000);
        let brute = brute_level(budget, pass, t);
        if previous.is_some_and(|p| p != brute) {
            brute_changes += 1;
        }
        previous = Some(brute);
        if brute != level_at(profile, t) {
            let ts = t.seconds_since(pass.start);
            assert!(
                change_times.iter().any(|c| (c - ts).abs() <= 0.1),
                "level {} vs brute {brute} at {ts:.2} s, steps {:?}",
                level_at(profile, t),
                profile.steps()
            );
        }
    }
    let profile_changes = change_times.len();
    assert!(
        (profile_changes as i64 - brute_changes as i64).abs() <= 1,
        "{profile_changes} profile changes vs {brute_changes} brute-force"
    );
}

fn conservation(profile: &RateProfile) {
    let exact: u128 = profile
        .segments()
        .map(|(a, b, rate)| rate as u128 * ((b.unix_nanos() - a.unix_nanos()) / 1_000_000) as u128)
        .sum();
    assert_eq!(profile.deliverable_bytes() as u128, exact / 8000);
    assert_eq!(profile.bytes_between(profile.start(), profile.end()), profile.deliverable_bytes());
    // Any partition into sub-intervals adds up exactly.
    let mut cuts: Vec<UtcTime> = (0..37)
        .map(|k| profile.start().plus_nanos((k * k * 7_919_000_013i64) % (profile.duration_ms() as i64 * 1_000_000)))
        .collect();
    cuts.push(profile.start());
    cuts.push(profile.end());
    cuts.sort();
    let total: u64 = cuts.windows(2).map(|w| profile.bytes_between(w[0], w[1])).sum();
    assert_eq!(total, profile.deliverable_bytes());
    // Chunked delivery with time_to_deliver never outruns the profile.
    let chunk = (profile.deliverable_bytes() / 7).max(1);
    let mut t = profile.start();
    let mut delivered = 0;
    while let Some(next) = profile.time_to_deliver(t, chunk) {
        assert!(profile.bytes_between(t, next) >= chunk);
        delivered += profile.bytes_between(t, next);
        t = next;
    }
    assert!(delivered <= profile.deliverable_bytes());
    assert!(profile.deliverable_bytes() - delivered < chunk);
    let secs = profile.duration_ms() as f64 / 1000.0;
    assert!((profile.mean_rate_bps() * secs / 8.0 - profile.deliverable_bytes() as f64).abs() <= 1.0);
}

#[test]
fn profiles_match_brute_force_and_conserve_bytes() {
    let cases = [
        ("x-band-downlink", CHENGDU),
        ("s-band-high-rate-uplink", SINGAPORE),
        ("ka-band-downlink", SVALBARD),
        ("ka-band-uplink", SINGAPORE),
        ("s-band-ttc-uplink", CHENGDU),
    ];
    let mut worst_calls_per_change: f64 = 0.0;
    for (preset, site) in cases {
        let p = params(preset, "");
        let budget = LinkBudget::for_site(&p, &site).unwrap();
        for (max_el, mask) in [(12.0, 0.0), (25.0, 5.0), (47.0, 0.0), (88.0, 10.0)] {
            let pass = Pass::new(500.0, max_el, mask, tca());
            let calls = Cell::new(0usize);
            let profile = budget.rate_profile(pass.start, pass.tca, pass.end, |t| {
                calls.set(calls.get() + 1);
                pass.look(t)
            });
            check_against_brute_force(&budget, &pass, &profile);
            conservation(&profile);
            let changes = profile.steps().len().max(1);
            worst_calls_per_change = worst_calls_per_change.max(calls.get() as f64 / changes as f64);
            assert!(calls.get() <= 8 + 6 * changes, "{preset} {max_el}°: {} calls for {changes} steps", calls.get());
            if let Some(first) = profile.data_start() {
                // Data starts after setup and at or above the minimum elevation.
                assert!(first.seconds_since(pass.start) >= p.setup_time_s - 1e-3);
                assert!(pass.look(first).0 >= p.min_elevation_deg - 0.01);
            }
        }
    }
    println!("worst geometry calls per profile step: {worst_calls_per_change:.1}");
}

#[test]
fn typical_pass_has_many_modcod_changes() {
    let p = params("x-band-downlink", "");
    let budget = LinkBudget::for_site(&p, &SINGAPORE).unwrap();
    let pass = Pass::new(500.0, 70.0, 0.0, tca());
    let calls = Cell::new(0usize);
    let profile = budget.rate_profile(pass.start, pass.tca, pass.end, |t| {
        calls.set(calls.get() + 1);
        pass.look(t)
    });
    let steps = profile.steps().len();
    println!(
        "x-band Singapore 70° pass: {steps} steps, {} geometry calls, {} bytes, mean {:.1} Mbit/s, peak {:.1} Mbit/s",
        calls.get(),
        profile.deliverable_bytes(),
        profile.mean_rate_bps() / 1e6,
        profile.peak_rate_bps() as f64 / 1e6
    );
    assert!(steps >= 10, "{:?}", profile.steps());
    assert_eq!(profile.peak_rate_bps(), 333_977_025);
    check_against_brute_force(&budget, &pass, &profile);
}

#[test]
fn setup_and_minimum_elevation() {
    // A pass whose peak is below the minimum elevation carries nothing.
    let p = params("x-band-downlink", "");
    let budget = LinkBudget::for_site(&p, &SVALBARD).unwrap();
    let low = Pass::new(500.0, 9.0, 0.0, tca());
    let profile = budget.rate_profile(low.start, low.tca, low.end, |t| low.look(t));
    assert_eq!(profile.deliverable_bytes(), 0);
    assert_eq!(profile.steps().len(), 1);
    assert!((profile.end().seconds_since(low.end)).abs() <= 0.0005);

    // A setup longer than the pass leaves nothing.
    let p = params("x-band-downlink", "setup_time_s = 900");
    let budget = LinkBudget::for_site(&p, &SVALBARD).unwrap();
    let pass = Pass::new(500.0, 80.0, 10.0, tca());
    let profile = budget.rate_profile(pass.start, pass.tca, pass.end, |t| pass.look(t));
    assert_eq!(profile.deliverable_bytes(), 0);

    // Setup past TCA: data only on the falling half.
    let half = pass.tca.seconds_since(pass.start);
    let p = params("x-band-downlink", &format!("setup_time_s = {}", half + 30.0));
    let budget = LinkBudget::for_site(&p, &SVALBARD).unwrap();
    let profile = budget.rate_profile(pass.start, pass.tca, pass.end, |t| pass.look(t));
    let first = profile.data_start().unwrap();
    assert!((first.seconds_since(pass.start) - (half + 30.0)).abs() < 1e-3);
    conservation(&profile);

    // Mask at 0°, data from 10°: the profile starts with no data until 10°.
    let p = params("x-band-downlink", "setup_time_s = 0");
    let budget = LinkBudget::for_site(&p, &SVALBARD).unwrap();
    let pass = Pass::new(500.0, 60.0, 0.0, tca());
    let profile = budget.rate_profile(pass.start, pass.tca, pass.end, |t| pass.look(t));
    let first = profile.data_start().unwrap();
    let (el, _) = pass.look(first);
    assert!((el - 10.0).abs() < 0.02, "{el}");
    let last_data = profile.steps().last().unwrap();
    assert_eq!(last_data.level, 0);
    let (el, _) = pass.look(profile.start().plus_nanos(last_data.offset_ms as i64 * 1_000_000));
    assert!((el - 10.0).abs() < 0.02, "{el}");

    // Degenerate windows.
    let empty = budget.rate_profile(pass.end, pass.tca, pass.start, |t| pass.look(t));
    assert_eq!(empty.duration_ms(), 0);
    assert_eq!(empty.deliverable_bytes(), 0);
}

#[test]
fn optical_profiles() {
    // Ground: 10 Gbit/s above 20° (and within 2000 km), after 20 s acquisition.
    let p = params("optical-ground", "");
    let budget = LinkBudget::for_site(&p, &SINGAPORE).unwrap();
    let pass = Pass::new(500.0, 70.0, 10.0, tca());
    let profile = budget.rate_profile(pass.start, pass.tca, pass.end, |t| pass.look(t));
    assert_eq!(profile.peak_rate_bps(), 10_000_000_000);
    assert_eq!(profile.steps().len(), 3);
    let first = profile.data_start().unwrap();
    assert!((pass.look(first).0 - 20.0).abs() < 0.02);
    conservation(&profile);

    // Inter-satellite: elevation ignored, range limit applies.
    let p = params("optical-isl", "max_range_km = 1500");
    let budget = LinkBudget::free_space(&p);
    let profile = budget.rate_profile(pass.start, pass.tca, pass.end, |t| pass.look(t));
    let first = profile.data_start().unwrap();
    assert!((pass.look(first).1 - 1500.0).abs() < 2.0, "{:?}", pass.look(first));
    assert!(first.seconds_since(pass.start) >= 15.0);
    conservation(&profile);
}
