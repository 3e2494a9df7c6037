//! Pass finding throughput: Starlink satellites × the 100-station benchmark set × 1 day,
//! 10° mask. Reports satellite-station-days per second (criterion's "elements").
//! The whole-process comparison with Skyfield is `tools/bench_passes_vs_skyfield.py`.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use orbsim::access::{Window, find_passes};
use orbsim::ground::load_stations;
use orbsim::orbit::load_orbit_file;
use orbsim::time::UtcTime;

fn pass_finding(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sats =
        load_orbit_file(&root.join("data/tle/celestrak_2026-05-30/starlink.tle"), &[], false).unwrap().satellites;
    let stations = load_stations(&root.join("data/stations/bench100.csv"), 10.0).unwrap();
    let start = UtcTime::parse("2026-05-31T00:00:00Z").unwrap();
    let window = Window { start, end: start.plus_seconds(86_400.0) };
    let mut group = c.benchmark_group("passes");
    group.sample_size(10);
    for count in [100usize, 1000] {
        let subset = &sats[..count];
        group.throughput(Throughput::Elements((count * stations.len()) as u64));
        group.bench_function(format!("{count}_sats_x_100_stations_x_1d"), |b| {
            b.iter(|| find_passes(subset, &stations, window, &|| {}).passes.len())
        });
    }
    group.finish();
}

criterion_group!(benches, pass_finding);
criterion_main!(benches);
