//! Inference from orbit at constellation scale.
//!
//! * Once, before the criterion groups: the whole `xingsuan-2800-inference` scenario
//!   (2,800 satellites with +Grid laser links, 20,000 ships, about one million requests in a
//!   day), with wall and CPU time, events per second and peak memory, since that is what a
//!   user pays; and the same with the laser links removed.
//! * Criterion: building the trajectory cache of the 2,800-satellite fleet for a day; a
//!   visibility query (`Sky::visible`) and a rise search (`Sky::next_rise`, 15 minutes
//!   ahead) at random sea positions; and the event loop alone for 100,000 requests.
//!
//! Measured on the 2-core development machine while other sessions were compiling (so wall
//! times vary by tens of percent; CPU time is the steadier figure):
//!
//! | run | requests | answered | events | wall | CPU | event loop | peak RSS |
//! |---|---|---|---|---|---|---|---|
//! | with ISLs | 1,000,446 | 1,000,272 | 3.13 M | 20.1 s | 17.4 s | 18.2 s (172,000 events/s) | 263 MB |
//! | without ISLs | 1,000,446 | 1,000,271 | 3.13 M | 10.5 s | 9.7 s | 8.8 s (354,000 events/s) | 263 MB |
//!
//! (`/usr/bin/time orbsim run scenarios/xingsuan-2800-inference.toml` with the files
//! written: 21 s, 304 MB.) With links each question and answer also runs a route search
//! and prices the hops it relaxes; nearly every request is still served by a satellite in
//! view (the load is 6 % of the fleet's time), so the search stops after the first node.
//!
//! Criterion: trajectory cache of 2,800 satellites × 1 day 0.48 s; a visibility query
//! 3.0 µs (36 satellites in view at mid latitudes); a 15-minute rise search 55 µs; the event
//! loop for 100,000 requests 3.9 s (a day of eclipse and battery events for 2,400 servers
//! and 2,880 fleet snapshots are fixed costs).

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use orbsim::frames::Geodetic;
use orbsim::mission::inference::sky::{Sky, SkySite};
use orbsim::pipeline::{inference_plan, run, run_inference_on};
use orbsim::scenario::{Scenario, load_scenario};
use rand::RngExt;

fn scenario(name: &str) -> Scenario {
    load_scenario(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name), None).unwrap()
}

/// The big scenario with text replaced, written next to the original (relative paths stay
/// valid) and removed after loading.
fn variant(edits: &[(&str, &str)]) -> Scenario {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut text = std::fs::read_to_string(dir.join("xingsuan-2800-inference.toml")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    let path = dir.join(format!(".bench-inference-{}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let s = load_scenario(&path, None);
    let _ = std::fs::remove_file(&path);
    s.unwrap()
}

fn memory_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// CPU time of the process so far (user + system, all threads), s.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The million-request day, timed once (with and without laser links).
fn full_scenario_once() {
    for (label, s) in [
        ("with ISLs", scenario("xingsuan-2800-inference.toml")),
        (
            "without ISLs",
            variant(&[("[links.isl]\npreset = \"optical-isl\"\n", ""), ("[isl]\ntopology = \"grid\"\n", "")]),
        ),
    ] {
        let (cpu0, t0) = (cpu_seconds(), Instant::now());
        let result = run(&s, &orbsim::progress::Silent).unwrap();
        let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
        let inf = result.inference.unwrap();
        let answered = inf.requests.iter().filter(|r| r.latency_ns().is_some()).count();
        println!(
            "xingsuan-2800-inference {label}: {} requests ({answered} answered), {} events in {wall:.1} s wall \
             ({cpu:.1} s CPU; event loop {:.1} s = {:.0} events/s); peak RSS so far {} MB",
            inf.requests.len(),
            inf.events,
            inf.times.simulation_s,
            inf.events as f64 / inf.times.simulation_s,
            memory_kb("VmHWM:") / 1024,
        );
    }
}

fn sky(c: &mut Criterion) {
    let s = scenario("xingsuan-2800-inference.toml");
    let mut group = c.benchmark_group("inference_sky");
    group.sample_size(10);
    // Walking to the window's end builds every block of the day.
    group.bench_function("trajectory_cache_2800_sats_1d", |b| {
        b.iter(|| Sky::build(&s.satellites, s.start, s.end).state_at(0, s.end))
    });
    let sky = Sky::build(&s.satellites, s.start, s.end);
    let mut rng = orbsim::engine::rng_stream(1, 0, "bench.sites");
    let sites: Vec<SkySite> = (0..1000)
        .map(|_| {
            let site = Geodetic {
                lat_deg: (2.0 * rng.random::<f64>() - 1.0).asin().to_degrees(),
                lon_deg: rng.random_range(-180.0..180.0),
                alt_km: 0.0,
            };
            SkySite::new(&sky, &site, 25.0)
        })
        .collect();
    let mut k = 0usize;
    let mut out = Vec::new();
    group.bench_function("visible_query", |b| {
        b.iter(|| {
            k += 1;
            // Times advance slowly, as in the event loop: snapshots are reused.
            let t = s.start.plus_seconds(3600.0 + (k % 100_000) as f64 * 0.05);
            sky.visible(&sites[k % sites.len()], t, &mut out);
            out.len()
        })
    });
    group.bench_function("next_rise_15min", |b| {
        b.iter(|| {
            k += 1;
            let t = s.start.plus_seconds((k % 80_000) as f64);
            sky.next_rise(&sites[k % sites.len()], t, t.plus_seconds(900.0), |_| true)
        })
    });
    group.finish();
}

fn event_loop(c: &mut Criterion) {
    // 100,000 requests: 2,000 ships at 50 a day.
    let s = variant(&[("count = 20000", "count = 2000")]);
    let config = s.inference.as_ref().unwrap();
    let plan = inference_plan(&s, config, &orbsim::progress::Silent).unwrap();
    let upload = orbsim::mission::rollout::UploadOutcome::default();
    let mut group = c.benchmark_group("inference_event_loop");
    group.sample_size(10);
    group.bench_function("xingsuan_2800_100k_requests", |b| {
        b.iter(|| run_inference_on(&s, config, &plan, &upload, &orbsim::progress::Silent).unwrap().events)
    });
    group.finish();
}

criterion_group!(benches, sky, event_loop);

fn main() {
    full_scenario_once();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
