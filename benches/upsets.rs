//! Upset generation cost: the 2,400 inference satellites of `xingsuan-2800` (1,200
//! sun-synchronous at 550 km, 1,200 at 45° and 800 km) with 5 GB of memory each over
//! 30 days, at a tenth, a fifth, two fifths and all of the fleet; and the cost per upset at
//! the default (1990s commercial memory) rate. Reports satellite-days per second
//! (criterion's "elements").
//!
//! Thinning costs one SGP4 evaluation per candidate, so the time follows the number of
//! upsets, not the window; the fleet benchmark uses 1e-10 upsets per bit per day on the
//! reference orbit (a cost point, not a default: see docs/radiation.md). Measured numbers
//! are in docs/radiation.md ("Cost").

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orbsim::access::Window;
use orbsim::access::radiation::{UpsetSpec, generate_upsets, validate};
use orbsim::orbit::Satellite;
use orbsim::orbit::walker::{Inclination, WalkerPattern, WalkerShell};
use orbsim::time::UtcTime;

const MEMORY_BITS: u64 = 5_000_000_000 * 8;
const DAYS: f64 = 30.0;

fn start() -> UtcTime {
    UtcTime::parse("2026-01-01T00:00:00Z").unwrap()
}

/// The inference shells with `planes` of their 40 planes each.
fn inference_fleet(planes: u32) -> Vec<Satellite> {
    let shell = |name: &str, altitude_km, inclination| WalkerShell {
        name: Some(name.into()),
        pattern: WalkerPattern::Delta,
        total: planes * 30,
        planes,
        phasing: 1,
        altitude_km,
        inclination,
        raan_spread_deg: Some(360.0 * planes as f64 / 40.0),
        raan_offset_deg: 0.0,
        epoch: None,
        role: None,
    };
    let mut sats = shell("inf-sso550", 550.0, Inclination::SunSynchronous).satellites(0, start()).unwrap();
    sats.extend(shell("inf-i45-800", 800.0, Inclination::Degrees(45.0)).satellites(1, start()).unwrap());
    sats
}

fn upset_generation(c: &mut Criterion) {
    let window = Window { start: start(), end: start().plus_seconds(DAYS * 86_400.0) };
    let env = validate(&UpsetSpec { rate_per_bit_day: 1e-10, ..UpsetSpec::default() }, "upsets").unwrap();
    let mut group = c.benchmark_group("upsets_5GB_30d");
    group.sample_size(10);
    for planes in [4, 8, 16, 40] {
        let sats = inference_fleet(planes);
        group.throughput(Throughput::Elements((sats.len() as f64 * DAYS) as u64));
        group.bench_with_input(BenchmarkId::from_parameter(sats.len()), &sats, |b, sats| {
            b.iter(|| generate_upsets(&env, sats, window, MEMORY_BITS, 1).upsets.iter().map(Vec::len).sum::<usize>())
        });
    }
    group.finish();

    let env = validate(&UpsetSpec::default(), "upsets").unwrap();
    let one = &inference_fleet(4)[..1];
    let day = Window { start: start(), end: start().plus_seconds(86_400.0) };
    let mut group = c.benchmark_group("upsets_default_rate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_sat_5GB_one_day", |b| {
        b.iter(|| generate_upsets(&env, one, day, MEMORY_BITS, 1).upsets[0].len())
    });
    group.finish();
}

criterion_group!(benches, upset_generation);
criterion_main!(benches);
