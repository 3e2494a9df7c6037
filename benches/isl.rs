//! Inter-satellite contacts at constellation scale.
//!
//! * +Grid over a 2,800-satellite Walker fleet shaped like the planned computing
//!   constellation (2,400 in dawn-dusk sun-synchronous star shells at 500, 750 and 1,000 km,
//!   400 in a 50° delta shell at 550 km), 1 day, without and with a 70° cross-plane
//!   latitude limit; the same fleet at 700, 1,400 and 2,800 satellites to show the cost is
//!   linear in fleet size (criterion reports satellite-days per second).
//! * Range-based links for 1,000 Starlink satellites (4 terminals, 5,000 km), 1 day.
//!
//! Before the criterion groups, 30-day +Grid runs and 1- and 7-day range-based runs are
//! timed once, with wall and CPU time and the process's peak memory, since that is what a
//! scenario pays.
//!
//! Measured on the 2-core development machine while other sessions were compiling (load
//! ≈ 4, so wall times are about twice what an idle machine gives; CPU time is the steadier
//! figure):
//!
//! | run | contacts | wall | CPU | peak RSS |
//! |---|---|---|---|---|
//! | +Grid 2,800 × 30 d, all latitudes | 164,400 | 7.0 s | 5.5 s | 35 MB |
//! | +Grid 2,800 × 30 d, cross-plane below 70° | 2,124,531 | 10.1 s | 7.3 s | 407 MB |
//! | range-based 1,000 Starlink × 1 d | 11,514 | 0.23 s | 0.15 s | |
//! | range-based 1,000 Starlink × 7 d | 61,118 | 2.1 s | 1.2 s | |
//!
//! About 55 % of the +Grid time is SGP4 (one call per satellite per ~540 s). With the
//! latitude limit every cross-plane link re-forms twice an orbit: 13 times the contacts,
//! which hold 237 MB; the peak adds the window list they are built from. Criterion's
//! 1-day +Grid runs scale linearly: 700, 1,400 and 2,800 satellites in about 69, 121 and
//! 286 ms (all latitudes); range-based 250, 500 and 1,000 Starlink in 70, 100 and 240 ms.

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use orbsim::access::Window;
use orbsim::access::isl::{GridTopology, IslTopology, RangeTopology, ShellLayout};
use orbsim::contact::build_isl_contacts;
use orbsim::link::{LinkConfig, LinkParams};
use orbsim::orbit::walker::{Inclination, WalkerPattern, WalkerShell};
use orbsim::orbit::{Satellite, load_orbit_file};
use orbsim::time::UtcTime;

fn start() -> UtcTime {
    UtcTime::parse("2026-05-31T00:00:00Z").unwrap()
}

fn window(days: f64) -> Window {
    Window { start: start(), end: start().plus_seconds(days * 86_400.0) }
}

fn link() -> LinkParams {
    toml::from_str::<LinkConfig>("preset = \"optical-isl\"").unwrap().resolve("isl").unwrap()
}

/// The computing-constellation-like fleet scaled by `planes_per_shell / 20`.
fn walker_fleet(planes_per_shell: u32) -> (Vec<Satellite>, Vec<ShellLayout>) {
    let shell = |name: &str, pattern, per_plane: u32, altitude_km, inclination| WalkerShell {
        name: Some(name.into()),
        pattern,
        total: planes_per_shell * per_plane,
        planes: planes_per_shell,
        phasing: 1,
        altitude_km,
        inclination,
        raan_spread_deg: None,
        raan_offset_deg: 0.0,
        epoch: None,
        role: None,
    };
    let shells = [
        shell("sso500", WalkerPattern::Star, 40, 500.0, Inclination::SunSynchronous),
        shell("sso750", WalkerPattern::Star, 40, 750.0, Inclination::SunSynchronous),
        shell("sso1000", WalkerPattern::Star, 40, 1000.0, Inclination::SunSynchronous),
        shell("mid550", WalkerPattern::Delta, 20, 550.0, Inclination::Degrees(50.0)),
    ];
    let mut sats = Vec::new();
    for (i, s) in shells.iter().enumerate() {
        sats.extend(s.satellites(i, start()).unwrap());
    }
    (sats, ShellLayout::consecutive(&shells, 0))
}

fn grid(layouts: &[ShellLayout], latitude: Option<f64>) -> IslTopology {
    IslTopology::PlusGrid(GridTopology { shells: layouts.to_vec(), cross_plane_max_latitude_deg: latitude })
}

fn memory_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// CPU time of the process so far (user + system, all threads), s: unlike wall time it
/// does not depend on what else the machine is running.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn starlink() -> Vec<Satellite> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_orbit_file(&root.join("data/tle/celestrak_2026-05-30/starlink.tle"), &[], false).unwrap().satellites
}

/// Long runs timed once, with CPU time and memory.
fn long_runs_once() {
    let link = link();
    let once = |label: &str, sats: &[Satellite], topology: &IslTopology, days: f64| {
        let (before, cpu0, t0) = (memory_kb("VmRSS:"), cpu_seconds(), Instant::now());
        let contacts = build_isl_contacts(sats, topology, window(days), &link, 0).unwrap();
        let (elapsed, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
        let steps: usize = contacts.iter().map(|c| c.profile.steps().len()).sum();
        println!(
            "isl {label}, {} satellites × {days} d: {} contacts in {elapsed:.2} s wall, {cpu:.2} s CPU; \
             contacts hold {:.0} MB; RSS {} MB before, peak so far {} MB",
            sats.len(),
            contacts.len(),
            (contacts.len() * std::mem::size_of::<orbsim::contact::Contact>() + steps * 8) as f64 / 1e6,
            before / 1024,
            memory_kb("VmHWM:") / 1024,
        );
    };
    let (sats, layouts) = walker_fleet(20);
    once("+Grid, all latitudes", &sats, &grid(&layouts, None), 30.0);
    once("+Grid, cross-plane below 70°", &sats, &grid(&layouts, Some(70.0)), 30.0);
    let starlink = starlink();
    let range = IslTopology::RangeBased(RangeTopology::default());
    once("range-based Starlink", &starlink[..1000], &range, 1.0);
    once("range-based Starlink", &starlink[..1000], &range, 7.0);
}

fn plus_grid(c: &mut Criterion) {
    let link = link();
    let mut group = c.benchmark_group("isl_plus_grid_1d");
    group.sample_size(10);
    for planes in [5, 10, 20] {
        let (sats, layouts) = walker_fleet(planes);
        group.throughput(Throughput::Elements(sats.len() as u64));
        for (label, latitude) in [("all_latitudes", None), ("below_70deg", Some(70.0))] {
            let topology = grid(&layouts, latitude);
            group.bench_function(format!("{}_sats_{label}", sats.len()), |b| {
                b.iter(|| build_isl_contacts(&sats, &topology, window(1.0), &link, 0).unwrap().len())
            });
        }
    }
    group.finish();
}

fn range_based(c: &mut Criterion) {
    let sats = starlink();
    let link = link();
    let topology = IslTopology::RangeBased(RangeTopology::default());
    let mut group = c.benchmark_group("isl_range_based_1d");
    group.sample_size(10);
    for n in [250, 500, 1000] {
        let subset = &sats[..n];
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_starlink"), |b| {
            b.iter(|| build_isl_contacts(subset, &topology, window(1.0), &link, 0).unwrap().len())
        });
    }
    group.finish();
}

criterion_group!(benches, plus_grid, range_based);

fn main() {
    long_runs_once();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
