//! The driver: `run`, `run_until`, `stop`, handler errors, and determinism of a randomized
//! model run end to end.

use std::convert::Infallible;

use orbsim::engine::{EventId, RunEnd, ScheduleError, SimTime, Simulation, rng_stream};
use rand::RngExt;

fn t(ns: i64) -> SimTime {
    SimTime::from_unix_nanos(ns)
}

#[test]
fn run_handles_everything_including_events_scheduled_by_handlers() {
    let mut sim = Simulation::new(t(0));
    sim.schedule_at(t(0), 3u32).unwrap();
    let mut seen = Vec::new();
    let end = sim
        .run(|sim, now, countdown| {
            seen.push((now.unix_nanos(), countdown));
            if countdown > 0 {
                sim.schedule_in(10, countdown - 1)?;
            }
            Ok::<(), ScheduleError>(())
        })
        .unwrap();
    assert_eq!(end, RunEnd::Exhausted);
    assert_eq!(seen, [(0, 3), (10, 2), (20, 1), (30, 0)]);
    assert_eq!((sim.now(), sim.processed()), (t(30), 4));
}

#[test]
fn run_until_is_inclusive_and_advances_the_clock_to_end() {
    let mut sim = Simulation::new(t(0));
    for time in [5, 10, 15] {
        sim.schedule_at(t(time), time).unwrap();
    }
    let mut seen = Vec::new();
    let mut handler = |_: &mut Simulation<i64>, _: SimTime, e: i64| {
        seen.push(e);
        Ok::<(), Infallible>(())
    };
    assert_eq!(sim.run_until(t(10), &mut handler), Ok(RunEnd::TimeLimit));
    assert_eq!(sim.now(), t(10));
    assert_eq!(sim.run_until(t(12), &mut handler), Ok(RunEnd::TimeLimit));
    assert_eq!(sim.now(), t(12), "clock reaches `end` even with no event there");
    // Delays now count from `end`.
    sim.schedule_in(1, 13).unwrap();
    assert_eq!(sim.run_until(t(100), &mut handler), Ok(RunEnd::Exhausted));
    assert_eq!(sim.now(), t(100));
    // An `end` in the past does nothing.
    sim.schedule_at(t(200), 200).unwrap();
    assert_eq!(sim.run_until(t(50), &mut handler), Ok(RunEnd::TimeLimit));
    assert_eq!(sim.now(), t(100));
    assert_eq!(seen, [5, 10, 13, 15]);
    assert_eq!(sim.len(), 1);
}

#[test]
fn stop_returns_after_the_current_event_and_the_run_can_resume() {
    let mut sim = Simulation::new(t(0));
    for i in 0..10 {
        sim.schedule_at(t(i), i).unwrap();
    }
    let mut seen = Vec::new();
    let mut handler = |sim: &mut Simulation<i64>, _: SimTime, e: i64| {
        seen.push(e);
        if e == 3 || e == 7 {
            sim.stop();
        }
        Ok::<(), Infallible>(())
    };
    assert_eq!(sim.run(&mut handler), Ok(RunEnd::Stopped));
    assert_eq!(sim.now(), t(3));
    assert_eq!(sim.run_until(t(100), &mut handler), Ok(RunEnd::Stopped));
    assert_eq!(sim.now(), t(7), "a stopped run_until does not jump to `end`");
    assert_eq!(sim.run(&mut handler), Ok(RunEnd::Exhausted));
    // stop() outside a run does not leak into the next one.
    sim.stop();
    sim.schedule_in(1, 99).unwrap();
    assert_eq!(sim.run(&mut handler), Ok(RunEnd::Exhausted));
    assert_eq!(seen, (0..10).chain([99]).collect::<Vec<_>>());
}

#[test]
fn a_handler_error_stops_the_run_and_is_returned() {
    #[derive(Debug, PartialEq)]
    enum ModelError {
        Schedule(ScheduleError),
    }
    impl From<ScheduleError> for ModelError {
        fn from(e: ScheduleError) -> Self {
            ModelError::Schedule(e)
        }
    }
    let mut sim = Simulation::new(t(0));
    sim.schedule_at(t(10), "bad").unwrap();
    sim.schedule_at(t(20), "later").unwrap();
    let result = sim.run(|sim, _, ev| {
        if ev == "bad" {
            sim.schedule_at(t(5), "in the past")?;
        }
        Ok::<(), ModelError>(())
    });
    assert_eq!(result, Err(ModelError::Schedule(ScheduleError::InPast { at: t(5), now: t(10) })));
    assert_eq!((sim.now(), sim.len()), (t(10), 1));
}

/// A model with state of its own, driven through a closure that forwards to it.
#[test]
fn a_stateful_model_can_be_driven_by_forwarding() {
    struct Counter {
        timeouts: u32,
        acks: u32,
        timer: Option<EventId>,
    }
    #[derive(Debug)]
    enum Ev {
        Send,
        Ack,
        Timeout,
    }
    impl Counter {
        fn handle(&mut self, sim: &mut Simulation<Ev>, ev: Ev) -> Result<(), ScheduleError> {
            match ev {
                Ev::Send => {
                    self.timer = Some(sim.schedule_in(100, Ev::Timeout)?);
                    sim.schedule_in(if self.acks.is_multiple_of(2) { 50 } else { 150 }, Ev::Ack)?;
                }
                Ev::Ack => {
                    self.acks += 1;
                    if let Some(timer) = self.timer.take() {
                        sim.cancel(timer);
                    }
                    if self.acks < 6 {
                        sim.schedule_in(0, Ev::Send)?;
                    }
                }
                Ev::Timeout => self.timeouts += 1,
            }
            Ok(())
        }
    }
    let mut model = Counter { timeouts: 0, acks: 0, timer: None };
    let mut sim = Simulation::new(t(0));
    sim.schedule_at(t(0), Ev::Send).unwrap();
    sim.run(|sim, _, ev| model.handle(sim, ev)).unwrap();
    assert_eq!((model.acks, model.timeouts), (6, 3));
}

/// A randomized hold model with cancellations and ties: returns the full trace of
/// (time, event id) pairs.
fn hold_trace(seed: u64) -> Vec<(i64, u64)> {
    #[derive(Clone, Copy)]
    enum Ev {
        Job(u64),
        Timer(u64),
    }
    let mut rng = rng_stream(seed, 0, "test.hold.increments");
    let mut cancel_rng = rng_stream(seed, 0, "test.hold.cancel");
    let mut sim = Simulation::new(t(0));
    let mut timers = vec![None; 500];
    let mut next_job = 0;
    for _ in 0..500 {
        sim.schedule_in(rng.random_range(0..1_000), Ev::Job(next_job)).unwrap();
        next_job += 1;
    }
    let mut trace = Vec::new();
    sim.run(|sim, now, ev| {
        match ev {
            Ev::Job(id) => {
                trace.push((now.unix_nanos(), id));
                let lane = (id % 500) as usize;
                if let Some(timer) = timers[lane].take()
                    && cancel_rng.random_bool(0.8)
                {
                    sim.cancel(timer);
                }
                // Coarse increments make equal-time ties common.
                let delay = rng.random_range(0..20) * 50;
                sim.schedule_in(delay, Ev::Job(next_job))?;
                next_job += 1;
                timers[lane] = Some(sim.schedule_in(300, Ev::Timer(id))?);
            }
            Ev::Timer(id) => trace.push((now.unix_nanos(), u64::MAX - id)),
        }
        if sim.processed() >= 200_000 {
            sim.stop();
        }
        Ok::<(), ScheduleError>(())
    })
    .unwrap();
    trace
}

#[test]
fn randomized_hold_runs_are_reproducible() {
    let a = hold_trace(1);
    let b = hold_trace(1);
    assert_eq!(a.len(), 200_000);
    assert!(a == b, "same seed, different trace");
    assert!(a.windows(2).all(|w| w[0].0 <= w[1].0), "time went backwards");
    let ties = a.windows(2).filter(|w| w[0].0 == w[1].0).count();
    assert!(ties > 10_000, "the test should exercise ties ({ties})");
    assert!(a.iter().any(|&(_, id)| id > u64::MAX / 2), "some timers fire");
    assert_ne!(hold_trace(2), a, "a different seed changes the trace");
}
