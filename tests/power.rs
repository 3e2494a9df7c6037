//! Power and eclipse: the battery never holds negative energy or more than its capacity,
//! energy is conserved (stored = initial + solar − spilled − supplied), and inference
//! pauses or throttles when the battery reaches its floor, in eclipse.

use std::path::{Path, PathBuf};

use orbsim::engine::rng_stream;
use orbsim::mission::inference::Outcome;
use orbsim::mission::power::{Battery, BelowFloor, PowerSpec};
use orbsim::pipeline::run;
use orbsim::scenario::{Scenario, load_scenario};
use orbsim::time::UtcTime;
use orbsim::units::{WattHours, Watts};
use rand::RngExt;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn scenario_from(name: &str, text: &str) -> Scenario {
    let dir = std::env::temp_dir().join(format!("orbsim-power-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.toml");
    std::fs::write(&path, text.replace("../data", repo("data").to_str().unwrap())).unwrap();
    let s = load_scenario(&path, None);
    let _ = std::fs::remove_dir_all(&dir);
    s.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn random_load_and_sunlight_keep_the_battery_within_bounds_and_conserve_energy() {
    let config = PowerSpec {
        solar_array: Watts(120.0),
        battery: WattHours(5.0),
        floor: 0.3,
        resume: None,
        initial_charge: 0.5,
        bus_power: Watts(40.0),
        below_floor: BelowFloor::Pause,
        throttle_power: None,
        throttle_speed: None,
    }
    .validate("p")
    .unwrap();
    let mut rng = rng_stream(3, 0, "test.battery");
    let t0 = UtcTime::from_unix_nanos(0);
    let mut b = Battery::new(config, t0, 120.0, 40.0);
    let mut t = 0i64;
    for _ in 0..20_000 {
        t += rng.random_range(1..600_000_000_000i64);
        let now = t0.plus_nanos(t);
        if rng.random_bool(0.5) {
            b.set_generation(now, [0.0, 60.0, 120.0][rng.random_range(0..3)]);
        } else {
            b.set_load(now, rng.random_range(0.0..300.0));
        }
        assert!(b.energy_j() >= 0.0 && b.energy_j() <= config.capacity_j, "{}", b.energy_j());
        let a = b.account();
        let expected = config.initial_j + a.solar_j - a.spilled_j - a.supplied_j;
        assert!((b.energy_j() - expected).abs() < 1e-6 * a.solar_j.max(1.0), "{} vs {expected}", b.energy_j());
    }
    let a = b.account();
    assert!(a.deficit_j > 0.0 && a.spilled_j > 0.0, "both limits reached: {a:?}");
    assert_eq!(a.min_energy_j, 0.0);
}

/// A Walker shell of small satellites whose battery cannot carry the accelerator
/// through eclipse.
fn starved(below_floor: &str) -> Scenario {
    starved_at(below_floor, "12/h")
}

/// [`starved`] with each ship asking at `rate`.
fn starved_at(below_floor: &str, rate: &str) -> Scenario {
    let text = format!(
        r#"
name = "starved"
start = "2026-03-20T00:00:00Z"
duration = "6h"
seed = 11

[[fleet.shells]]
name = "W"
total = 60
planes = 6
phasing = 1
altitude_km = 550
inclination = 53

[stations]
[[stations.site]]
name = "Kashi"
lat_deg = 39.5
lon_deg = 76.0

[links.uplink]
preset = "s-band-high-rate-uplink"

[model]
name = "Qwen3-8B Q4_K_M"
size = "5027783488 B"
chunk_size = "64 MiB"

[upload]
targets = ["W-p00-s00"]

[inference]
preinstalled = true
parameters = 8.19e9
timeout = "30min"

[inference.accelerator]
tops = 744
memory_bandwidth = "204.8 GB/s"
memory = "64 GB"
power = "150 W"
idle_power = "10 W"
max_batch = 4

[inference.power]
solar_array = "200 W"
battery = "40 Wh"
bus_power = "60 W"
floor = 0.4
{below_floor}

[[inference.sources]]
name = "ships"
kind = "random"
count = 400
rate = "{rate}"
prompt_tokens = {{ dist = "fixed", value = 300 }}
output_tokens = {{ dist = "uniform", min = 200, max = 600 }}
"#
    );
    scenario_from(&format!("starved-{}-{}", below_floor.len(), rate.len()), &text)
}

#[test]
fn eclipse_pauses_inference_at_the_battery_floor_and_energy_never_goes_negative() {
    let s = starved("");
    let r = run(&s, &orbsim::progress::Silent).unwrap();
    let inf = r.inference.as_ref().unwrap();
    let mut limited = 0;
    for server in &inf.servers {
        let e = server.energy.expect("power is modelled");
        assert!(e.min_energy_j >= 0.0);
        let soc = server.final_state_of_charge.unwrap();
        assert!((0.0..=1.0).contains(&soc));
        limited += server.limited_ns;
        assert!(server.eclipse_fraction > 0.2 && server.eclipse_fraction < 0.45, "{}", server.eclipse_fraction);
    }
    assert!(limited > 0, "the floor was never reached");
    // Paused computations take longer than their service time alone (answered or not).
    let acc = &s.inference.as_ref().unwrap().accelerator;
    let model = &s.inference.as_ref().unwrap().model;
    let stretched = inf
        .requests
        .iter()
        .filter(|q| q.phases.compute_ns > acc.service_ns(model, q.prompt_tokens, q.output_tokens, acc.max_batch) + 1)
        .count();
    assert!(stretched > 0, "no computation was paused");
    // And every decomposition still adds up.
    for q in inf.requests.iter().filter(|q| q.outcome == Outcome::Answered) {
        assert_eq!(q.phases.total_ns(), q.answer_time().unwrap().unix_nanos() - q.submit.unix_nanos());
    }
    // Eclipse intervals for every satellite.
    assert_eq!(inf.eclipses.len(), s.satellites.len());
    assert!(inf.eclipses.iter().all(|e| !e.is_empty()));
}

#[test]
fn throttling_keeps_computing_at_reduced_speed() {
    // Busy nearly all the time, so that much of the limited time is spent computing.
    let s = starved_at("below_floor = \"throttle\"\nthrottle_power = \"30 W\"\nthrottle_speed = 0.25", "100/h");
    let r = run(&s, &orbsim::progress::Silent).unwrap();
    let inf = r.inference.as_ref().unwrap();
    let limited: i64 = inf.servers.iter().map(|s| s.limited_ns).sum();
    assert!(limited > 0);
    for server in &inf.servers {
        assert!(server.energy.unwrap().min_energy_j >= 0.0);
    }
    // The power bound: while limited the accelerator draws at most the throttle power. The
    // draw is full power while computing unthrottled, the throttle power while computing
    // limited, idle power otherwise; limited and busy time overlap by at least
    // busy + limited − window, so the energy can be at most this.
    let acc = &s.inference.as_ref().unwrap().accelerator;
    let (full_w, throttle_w, idle_w) = (acc.power_w, 30.0, acc.idle_power_w);
    let window_s = s.end.seconds_since(s.start);
    let mut bites = false;
    for server in &inf.servers {
        let (busy_s, limited_s) = (server.busy_ns as f64 / 1e9, server.limited_ns as f64 / 1e9);
        let limited_busy_s = (busy_s + limited_s - window_s).max(0.0);
        let bound_j = full_w * (busy_s - limited_busy_s) + throttle_w * limited_busy_s + idle_w * (window_s - busy_s);
        assert!(
            server.accelerator_j <= bound_j * (1.0 + 1e-9),
            "satellite {}: {} J drawn, more than the {bound_j} J the throttle allows",
            server.satellite,
            server.accelerator_j
        );
        // Where limited and busy time must overlap, the bound is below full power throughout
        // the busy time: it catches a throttle that does not lower the draw.
        bites |= limited_busy_s > 0.0;
    }
    assert!(bites, "no satellite was limited while busy enough for the bound to bite");
    // Less energy-hungry than pausing would be at full power: the accelerator's mean draw
    // while limited is at most the throttle power.
    let paused = run(&starved(""), &orbsim::progress::Silent).unwrap();
    let answered = |i: &orbsim::mission::inference::InferenceOutcome| {
        i.requests.iter().filter(|q| q.outcome == Outcome::Answered).count()
    };
    assert!(answered(inf) > 0 && answered(paused.inference.as_ref().unwrap()) > 0);
}
