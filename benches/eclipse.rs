//! Eclipse search throughput: Starlink satellites over 7 days. Reports satellite-days per
//! second (criterion's "elements").
//!
//! Measured on the 2-core development machine while other builds were running (load ≈ 5):
//! 78 ms for 700 satellite-days on one thread (110 µs per satellite-day, about 230 SGP4 and
//! Sun evaluations each), 43 ms with rayon on both cores.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use orbsim::access::Window;
use orbsim::access::eclipse::{eclipse_intervals, find_eclipses};
use orbsim::orbit::load_orbit_file;
use orbsim::time::UtcTime;

fn eclipse_search(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sats =
        load_orbit_file(&root.join("data/tle/celestrak_2026-05-30/starlink.tle"), &[], false).unwrap().satellites;
    let start = UtcTime::parse("2026-05-31T00:00:00Z").unwrap();
    let days = 7.0;
    let window = Window { start, end: start.plus_seconds(days * 86_400.0) };
    let subset = &sats[..100];
    let mut group = c.benchmark_group("eclipse");
    group.sample_size(10);
    group.throughput(Throughput::Elements((subset.len() as f64 * days) as u64));
    group.bench_function("100_sats_x_7d_one_thread", |b| {
        b.iter(|| subset.iter().map(|s| eclipse_intervals(s, window).0.len()).sum::<usize>())
    });
    group.bench_function("100_sats_x_7d_parallel", |b| {
        b.iter(|| find_eclipses(subset, window).intervals.iter().map(Vec::len).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, eclipse_search);
criterion_main!(benches);
