//! The upset generator against its own law: over many seeds the counts and where they fall
//! must match the rate integrated along the orbit, independently of threads.

use orbsim::access::Window;
use orbsim::access::radiation::{UpsetEnvironment, UpsetSpec, generate_upsets, in_saa};
use orbsim::engine::rng_stream;
use orbsim::orbit::Satellite;
use orbsim::orbit::tle::parse_lines;
use orbsim::time::UtcTime;

/// The ISS (51.6°, about 420 km): crosses the SAA's core several times a day.
fn iss() -> Satellite {
    satellite(
        "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082",
        "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473",
    )
}

/// SCS-01 A (sun-synchronous, 97.4°, about 500 km): passes over both polar caps every orbit.
fn polar() -> Satellite {
    satellite(
        "1 63982U 25100A   26078.25874299  .00007059  00000+0  31840-3 0  9994",
        "2 63982  97.3732 152.9903 0023419 300.8495  59.0437 15.21075366 46978",
    )
}

fn satellite(l1: &str, l2: &str) -> Satellite {
    let (id, _, elements) = parse_lines(l1, l2).unwrap();
    Satellite::new(format!("{id}"), Some(id), elements).unwrap()
}

fn day_from_epoch(sat: &Satellite) -> Window {
    let start = sat.elements.epoch.plus_seconds(3_600.0);
    Window { start, end: start.plus_seconds(86_400.0) }
}

fn environment(saa: f64, polar: f64, multi_bit_share: f64, edac: bool) -> UpsetEnvironment {
    UpsetEnvironment::new(&UpsetSpec {
        rate_per_bit_day: 1e-9,
        reference_altitude_km: 500.0,
        reference_inclination_deg: 97.4,
        saa_enhancement: saa,
        polar_enhancement: polar,
        multi_bit_share,
        edac,
        ..UpsetSpec::default()
    })
}

/// Upset counts of `runs` independent streams, and the pooled share inside the SAA.
fn sample(env: &UpsetEnvironment, sat: &Satellite, window: Window, bits: u64, runs: u64) -> (Vec<f64>, f64) {
    let (mut counts, mut inside, mut total) = (Vec::new(), 0usize, 0usize);
    for seed in 0..runs {
        let (upsets, stop) = env.upsets(sat, window, bits, &mut rng_stream(seed, 0, "test.upsets"));
        assert!(stop.is_none());
        assert!(upsets.windows(2).all(|w| w[0].time <= w[1].time));
        assert!(upsets.iter().all(|u| u.time >= window.start && u.time < window.end && u.bit < bits));
        inside += upsets.iter().filter(|u| in_saa(u.lat_deg, u.lon_deg)).count();
        total += upsets.len();
        counts.push(upsets.len() as f64);
    }
    (counts, inside as f64 / total as f64)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn counts_and_saa_share_match_the_rate_integrated_along_the_orbit() {
    for (sat, name) in [(iss(), "ISS"), (polar(), "sun-synchronous")] {
        let env = environment(100.0, 3.0, 0.0, true);
        let window = day_from_epoch(&sat);
        // About 400 upsets a day.
        let bits = 400_000_000_000;
        let (expected, stop) = env.expected_upsets(&sat, window, bits);
        assert!(stop.is_none());
        let runs = 300;
        let (counts, share) = sample(&env, &sat, window, bits, runs);
        let m = mean(&counts);
        let se = (expected.count / runs as f64).sqrt();
        assert!((m - expected.count).abs() < 3.0 * se, "{name}: mean {m} vs expected {} ± {se}", expected.count);
        // The pooled share inside the SAA is binomial given the total.
        let p = expected.saa_share();
        let n = counts.iter().sum::<f64>();
        let se_share = (p * (1.0 - p) / n).sqrt();
        assert!((share - p).abs() < 3.0 * se_share, "{name}: SAA share {share} vs {p} ± {se_share}");
        // The enhancement shows: far more upsets inside than the SAA's share of the time.
        assert!(p > 0.5, "{name}: {p}");
    }
}

#[test]
fn a_constant_rate_gives_rate_times_bits_times_duration() {
    let env = UpsetEnvironment::new(&UpsetSpec {
        rate_per_bit_day: 2e-9,
        altitude_factor_per_100km: 1.0,
        saa_enhancement: 1.0,
        polar_enhancement: 1.0,
        ..UpsetSpec::default()
    });
    let sat = iss();
    let window = day_from_epoch(&sat);
    let bits = 200_000_000_000;
    let closed_form = 2e-9 * bits as f64; // one day, 400 upsets
    let (expected, _) = env.expected_upsets(&sat, window, bits);
    assert!((expected.count / closed_form - 1.0).abs() < 1e-9, "{} vs {closed_form}", expected.count);
    let runs = 400;
    let (counts, _) = sample(&env, &sat, window, bits, runs);
    let m = mean(&counts);
    let se = (closed_form / runs as f64).sqrt();
    assert!((m - closed_form).abs() < 3.0 * se, "mean {m} vs {closed_form} ± {se}");
}

#[test]
fn multi_bit_share_and_edac_classification_follow_the_configuration() {
    let sat = polar();
    let window = day_from_epoch(&sat);
    let bits = 400_000_000_000;
    for edac in [true, false] {
        let env = environment(20.0, 1.0, 0.2, edac);
        let mut upsets = Vec::new();
        for seed in 0..40 {
            upsets.extend(env.upsets(&sat, window, bits, &mut rng_stream(seed, 1, "test.mbu")).0);
        }
        let n = upsets.len() as f64;
        let multi = upsets.iter().filter(|u| u.bits_flipped >= 2).count() as f64;
        let se = (0.2 * 0.8 / n).sqrt();
        assert!((multi / n - 0.2).abs() < 3.0 * se, "multi-bit share {} of {n}", multi / n);
        assert!(upsets.iter().all(|u| u.bits_flipped == 1 || u.bits_flipped == 2));
        assert!(upsets.iter().all(|u| u.corrected_by_edac == (edac && u.bits_flipped == 1)));
    }
}

#[test]
fn same_seed_same_upsets_whatever_the_thread_count() {
    let sats = vec![polar(), polar(), polar()];
    let start = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
    let window = Window { start, end: start.plus_seconds(2.0 * 86_400.0) };
    let env = environment(100.0, 3.0, 0.05, true);
    let bits = 8_000_000_000;
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| generate_upsets(&env, &sats, window, bits, seed))
    };
    let one = run(1, 7);
    let two = run(2, 7);
    assert!(one.upsets.iter().all(|u| !u.is_empty()));
    assert_eq!(one.upsets, two.upsets);
    assert_eq!(one.upsets, run(2, 7).upsets);
    // Each satellite has its own stream: copies of one orbit differ, and so does another seed.
    assert_ne!(one.upsets[0], one.upsets[2]);
    assert_ne!(one.upsets, run(1, 8).upsets);
}

#[test]
fn a_satellite_that_cannot_be_propagated_is_reported_not_a_panic() {
    // The ISS elements of 2014, twelve years on: the drag term has long brought it down.
    let sats = vec![polar(), iss()];
    let start = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
    let window = Window { start, end: start.plus_seconds(86_400.0) };
    let env = environment(100.0, 3.0, 0.0, true);
    let search = generate_upsets(&env, &sats, window, 8_000_000_000, 1);
    assert_eq!(search.retirements.len(), 1);
    assert_eq!(search.retirements[0].satellite, 1);
    assert!(search.upsets[1].is_empty());
    assert!(!search.upsets[0].is_empty());
    let (expected, stop) = env.expected_upsets(&sats[1], window, 8_000_000_000);
    assert!(stop.is_some());
    assert_eq!(expected.count, 0.0);
}
