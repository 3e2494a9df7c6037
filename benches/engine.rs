//! The bare engine on the classic hold model: a fixed population of pending events; each
//! step pops the earliest and schedules a replacement at now + a random increment.
//!
//! Throughput is reported in events per second (one event = one pop plus one schedule,
//! random draw included). Run with `cargo bench --bench engine`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orbsim::engine::{SimRng, SimTime, Simulation, rng_stream};
use orbsim::time::NANOS_PER_SECOND;
use rand::RngExt;

/// Events popped (and rescheduled) per measured iteration.
const STEPS: u64 = 100_000;
/// Mean increment: 1 s.
const MEAN_NS: f64 = NANOS_PER_SECOND as f64;

/// Draws one hold-time increment in nanoseconds.
type Increment = fn(&mut SimRng) -> i64;

fn exponential(rng: &mut SimRng) -> i64 {
    let u: f64 = rng.random();
    (-(1.0 - u).ln() * MEAN_NS) as i64
}

fn uniform(rng: &mut SimRng) -> i64 {
    rng.random_range(0..2 * NANOS_PER_SECOND)
}

/// A simulation holding `pending` events, with its increment stream.
fn setup<E: Clone>(pending: usize, payload: E, increment: Increment) -> (Simulation<E>, SimRng) {
    let mut rng = rng_stream(2026, 0, "bench.hold");
    let mut sim = Simulation::with_capacity(SimTime::from_unix_nanos(0), pending);
    for _ in 0..pending {
        let delay = increment(&mut rng);
        sim.schedule_in(delay, payload.clone()).unwrap();
    }
    (sim, rng)
}

fn hold_steps<E>(sim: &mut Simulation<E>, rng: &mut SimRng, increment: Increment) {
    for _ in 0..STEPS {
        let (_, event) = sim.pop().unwrap();
        let delay = increment(rng);
        sim.schedule_in(delay, event).unwrap();
    }
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(STEPS));
    let increments: [(&str, Increment); 2] = [("exponential", exponential), ("uniform", uniform)];
    for pending in [10_000usize, 1_000_000] {
        for (name, increment) in increments {
            if pending != 10_000 && name != "exponential" {
                continue;
            }
            group.bench_function(BenchmarkId::new(name, pending), |b| {
                let (mut sim, mut rng) = setup(pending, 0u64, increment);
                b.iter(|| hold_steps(&mut sim, &mut rng, increment));
                black_box(sim.processed());
            });
        }
    }
    // A 128-byte payload: stays in the slab, only the 24-byte key moves in the heap.
    group.bench_function(BenchmarkId::new("exponential_128B_payload", 10_000), |b| {
        let (mut sim, mut rng) = setup(10_000, [0u64; 16], exponential);
        b.iter(|| hold_steps(&mut sim, &mut rng, exponential));
    });
    group.finish();
}

/// Hold with a timer per event that is almost always cancelled (the ARQ-timeout pattern):
/// each step pops one event, cancels its timer, and schedules a new event and a new timer.
fn hold_with_cancel(c: &mut Criterion) {
    #[derive(Clone, Copy)]
    enum Ev {
        Work(u32),
        Timeout,
    }
    let mut group = c.benchmark_group("hold_cancel");
    group.throughput(Throughput::Elements(STEPS));
    group.bench_function(BenchmarkId::new("exponential", 10_000), |b| {
        let mut rng = rng_stream(2026, 1, "bench.hold_cancel");
        let mut sim = Simulation::new(SimTime::from_unix_nanos(0));
        let mut timers = Vec::with_capacity(10_000);
        for i in 0..10_000u32 {
            sim.schedule_in(exponential(&mut rng), Ev::Work(i)).unwrap();
            timers.push(sim.schedule_in(100 * NANOS_PER_SECOND, Ev::Timeout).unwrap());
        }
        b.iter(|| {
            let mut steps = 0;
            while steps < STEPS {
                let (_, ev) = sim.pop().unwrap();
                if let Ev::Work(i) = ev {
                    sim.cancel(timers[i as usize]);
                    sim.schedule_in(exponential(&mut rng), Ev::Work(i)).unwrap();
                    timers[i as usize] = sim.schedule_in(100 * NANOS_PER_SECOND, Ev::Timeout).unwrap();
                    steps += 1;
                }
            }
        });
    });
    group.finish();
}

criterion_group!(benches, hold, hold_with_cancel);
criterion_main!(benches);
