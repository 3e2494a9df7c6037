//! Contact-plan cost against pass finding alone, on the same workload: 1,000 Starlink
//! satellites × the 100-station benchmark set × 1 day, 10° mask, S-band high-rate uplink.
//! The target: the plan costs at most 1.5× the passes. `rate_profiles_only`
//! isolates the plan's largest component: the rate profiles of every pass, built from
//! geometry knots computed beforehand (in parallel over satellites, like the plan).
//! `day_step_with_lookahead` is one day of a run's plan (`pipeline`): the search runs 3 h
//! past the day for the passes that straddle its end, and should cost little more than
//! `contact_plan_s_band` (it stops once those passes have set).

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use orbsim::access::passes::{StationSet, search_satellite};
use orbsim::access::{Window, find_passes};
use orbsim::contact::{build_ground_contacts, build_ground_contacts_for, pass_knots};
use orbsim::ground::load_stations;
use orbsim::link::{GeometryKnot, LinkBudget, LinkConfig, ProfileBatch, Site};
use orbsim::orbit::load_orbit_file;
use orbsim::time::UtcTime;
use rayon::prelude::*;

fn plan_versus_passes(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sats =
        load_orbit_file(&root.join("data/tle/celestrak_2026-05-30/starlink.tle"), &[], false).unwrap().satellites;
    let sats = &sats[..1000];
    let stations = load_stations(&root.join("data/stations/bench100.csv"), 10.0).unwrap();
    let start = UtcTime::parse("2026-05-31T00:00:00Z").unwrap();
    let window = Window { start, end: start.plus_seconds(86_400.0) };
    let link = toml::from_str::<LinkConfig>("preset = \"s-band-high-rate-uplink\"").unwrap().resolve("link").unwrap();
    let mut group = c.benchmark_group("plan_1000_sats_x_100_stations_x_1d");
    group.sample_size(10);
    group.bench_function("passes_only", |b| b.iter(|| find_passes(sats, &stations, window, &|| {}).passes.len()));
    group.bench_function("contact_plan_s_band", |b| {
        b.iter(|| {
            build_ground_contacts(sats, &stations, window, std::slice::from_ref(&link), 1, &|| {})
                .unwrap()
                .contacts
                .len()
        })
    });
    group.bench_function("day_step_with_lookahead", |b| {
        let search = Window { start, end: window.end.plus_seconds(3.0 * 3600.0) };
        let everyone = vec![true; sats.len()];
        b.iter(|| {
            let links = std::slice::from_ref(&link);
            build_ground_contacts_for(sats, &everyone, &stations, search, Some(window.end), links, 1, &|| {})
                .unwrap()
                .contacts
                .len()
        })
    });
    let budgets: Vec<LinkBudget> = stations
        .iter()
        .map(|s| LinkBudget::for_site(&link, &Site::new(s.site.lat_deg, s.site.lon_deg, s.site.alt_km)).unwrap())
        .collect();
    let set = StationSet::new(&stations);
    type PassKnots = (usize, UtcTime, UtcTime, Vec<GeometryKnot>);
    let knots_by_satellite: Vec<Vec<PassKnots>> = sats
        .par_iter()
        .enumerate()
        .map(|(i, sat)| {
            let mut passes = Vec::new();
            let mut knots = Vec::new();
            search_satellite(i, sat, &set, window, |pass, track| {
                pass_knots(pass, track, set.topocentric(pass.station), window.start, &mut knots);
                passes.push((pass.station, pass.aos, pass.los, knots.clone()));
            });
            passes
        })
        .collect();
    group.bench_function("rate_profiles_only", |b| {
        b.iter(|| {
            knots_by_satellite
                .par_iter()
                .map(|passes| {
                    let mut batch = ProfileBatch::default();
                    for (station, aos, los, knots) in passes {
                        batch.push_from_knots(&budgets[*station], *aos, *los, knots);
                    }
                    batch.finish().count()
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, plan_versus_passes);
criterion_main!(benches);
