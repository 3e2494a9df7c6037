//! The event queue: ordering, scheduling errors, cancellation, memory, and agreement with a
//! naive reference on random operation sequences.

use orbsim::engine::{EventId, ScheduleError, SimTime, Simulation, rng_stream};
use rand::RngExt;

fn t(ns: i64) -> SimTime {
    SimTime::from_unix_nanos(ns)
}

fn drain<E>(sim: &mut Simulation<E>) -> Vec<(i64, E)> {
    std::iter::from_fn(|| sim.pop()).map(|(time, e)| (time.unix_nanos(), e)).collect()
}

#[test]
fn pops_by_time_then_insertion_order() {
    let mut sim = Simulation::new(t(0));
    let times = [50, 10, 30, 10, 0, 50, 20, 10, 0];
    for (i, &time) in times.iter().enumerate() {
        sim.schedule_at(t(time), i).unwrap();
    }
    assert_eq!(drain(&mut sim), [(0, 4), (0, 8), (10, 1), (10, 3), (10, 7), (20, 6), (30, 2), (50, 0), (50, 5)]);
}

#[test]
fn equal_time_events_fire_first_in_first_out() {
    let mut sim = Simulation::new(t(1_000));
    for i in 0..10_000u32 {
        if i % 2 == 0 {
            sim.schedule_at(t(1_000), i).unwrap();
        } else {
            sim.schedule_in(0, i).unwrap();
        }
    }
    let popped: Vec<u32> = drain(&mut sim).into_iter().map(|(_, i)| i).collect();
    assert_eq!(popped, (0..10_000).collect::<Vec<_>>());
}

#[test]
fn event_scheduled_for_now_fires_after_those_already_due() {
    let mut sim = Simulation::new(t(0));
    sim.schedule_at(t(5), "first").unwrap();
    sim.schedule_at(t(5), "second").unwrap();
    let (now, ev) = sim.pop().unwrap();
    assert_eq!((now, ev), (t(5), "first"));
    sim.schedule_in(0, "third").unwrap();
    sim.schedule_at(now, "fourth").unwrap();
    let rest: Vec<_> = drain(&mut sim).into_iter().map(|(_, e)| e).collect();
    assert_eq!(rest, ["second", "third", "fourth"]);
}

#[test]
fn pop_advances_the_clock_and_counts() {
    let mut sim = Simulation::new(t(100));
    assert_eq!(sim.now(), t(100));
    assert_eq!(sim.peek_time(), None);
    assert!(sim.is_empty());
    sim.schedule_in(20, 'a').unwrap();
    sim.schedule_at(t(110), 'b').unwrap();
    assert_eq!((sim.len(), sim.peek_time()), (2, Some(t(110))));
    assert_eq!(sim.now(), t(100), "peeking does not move the clock");
    assert_eq!(sim.pop(), Some((t(110), 'b')));
    assert_eq!((sim.now(), sim.processed(), sim.len()), (t(110), 1, 1));
    assert_eq!(sim.pop_until(t(119)), None);
    assert_eq!(sim.now(), t(110), "pop_until leaves the clock alone");
    assert_eq!(sim.pop_until(t(120)), Some((t(120), 'a')));
    assert_eq!((sim.now(), sim.processed()), (t(120), 2));
    assert_eq!(sim.pop(), None);
    assert_eq!(sim.now(), t(120));
}

#[test]
fn scheduling_in_the_past_is_an_error_and_schedules_nothing() {
    let mut sim = Simulation::new(t(1_000));
    assert_eq!(sim.schedule_at(t(999), ()), Err(ScheduleError::InPast { at: t(999), now: t(1_000) }));
    assert_eq!(sim.schedule_in(-1, ()), Err(ScheduleError::NegativeDelay { now: t(1_000), delay: -1 }));
    assert_eq!(sim.schedule_in(i64::MAX, ()), Err(ScheduleError::Overflow { now: t(1_000), delay: i64::MAX }));
    assert!(sim.is_empty());
    assert_eq!(sim.pop(), None);
    // The limits themselves are fine.
    sim.schedule_in(i64::MAX - 1_000, ()).unwrap();
    sim.schedule_at(t(1_000), ()).unwrap();
    assert_eq!(sim.len(), 2);
    let msg = sim.schedule_at(t(0), ()).unwrap_err().to_string();
    assert!(msg.contains("1970-01-01T00:00:00.000001000Z"), "{msg}");
}

#[test]
fn negative_times_order_correctly() {
    let mut sim = Simulation::new(t(i64::MIN));
    for time in [0, -1, i64::MIN, 1, i64::MAX, -5_000_000_000] {
        sim.schedule_at(t(time), time).unwrap();
    }
    let times: Vec<i64> = drain(&mut sim).into_iter().map(|(time, _)| time).collect();
    assert_eq!(times, [i64::MIN, -5_000_000_000, -1, 0, 1, i64::MAX]);
}

#[test]
fn cancelled_events_never_fire() {
    let mut sim = Simulation::new(t(0));
    let ids: Vec<EventId> = (0..10).map(|i| sim.schedule_at(t(i), i).unwrap()).collect();
    assert!(sim.cancel(ids[3]));
    assert!(sim.cancel(ids[0]), "cancelling the next event");
    assert_eq!(sim.peek_time(), Some(t(1)));
    assert_eq!(sim.len(), 8);
    assert!(!sim.is_pending(ids[3]) && sim.is_pending(ids[4]));
    let fired: Vec<i64> = drain(&mut sim).into_iter().map(|(_, i)| i).collect();
    assert_eq!(fired, [1, 2, 4, 5, 6, 7, 8, 9]);
    assert_eq!(sim.processed(), 8);
}

#[test]
fn cancelling_twice_or_after_firing_is_a_no_op() {
    let mut sim = Simulation::new(t(0));
    let a = sim.schedule_at(t(1), 'a').unwrap();
    let b = sim.schedule_at(t(2), 'b').unwrap();
    assert!(sim.cancel(b));
    assert!(!sim.cancel(b), "second cancel");
    assert_eq!(sim.pop(), Some((t(1), 'a')));
    assert!(!sim.cancel(a), "cancel after fire");
    assert!(!sim.is_pending(a));
    // New events reuse the freed storage; stale handles must not touch them.
    let c = sim.schedule_at(t(3), 'c').unwrap();
    let d = sim.schedule_at(t(4), 'd').unwrap();
    assert!(!sim.cancel(a) && !sim.cancel(b));
    assert!(sim.is_pending(c) && sim.is_pending(d));
    assert_ne!(a, c);
    assert_eq!(drain(&mut sim), [(3, 'c'), (4, 'd')]);
}

#[test]
fn cancel_drops_the_payload_immediately() {
    use std::rc::Rc;
    let payload = Rc::new(());
    let mut sim = Simulation::new(t(0));
    let id = sim.schedule_at(t(10), Rc::clone(&payload)).unwrap();
    assert_eq!(Rc::strong_count(&payload), 2);
    sim.cancel(id);
    assert_eq!(Rc::strong_count(&payload), 1);
}

/// A long hold run in which every event arms a timeout that is almost always cancelled
/// (the ARQ pattern): memory must stay proportional to the live events.
#[test]
fn heavy_cancellation_keeps_memory_bounded() {
    const LIVE: usize = 1_000;
    let mut rng = rng_stream(9, 0, "test.heavy_cancel");
    let mut sim = Simulation::new(t(0));
    let mut timers = Vec::with_capacity(LIVE);
    for i in 0..LIVE {
        sim.schedule_in(rng.random_range(0..1_000_000), Some(i)).unwrap();
        timers.push(sim.schedule_in(1_000_000_000, None).unwrap());
    }
    let mut max_heap = 0;
    let mut cancelled = 0u64;
    while sim.processed() < 500_000 {
        match sim.pop().unwrap().1 {
            Some(i) => {
                if sim.cancel(timers[i]) {
                    cancelled += 1;
                }
                sim.schedule_in(rng.random_range(0..1_000_000), Some(i)).unwrap();
                timers[i] = sim.schedule_in(1_000_000_000, None).unwrap();
            }
            None => panic!("a timeout fired; the test's timers are too short"),
        }
        max_heap = max_heap.max(sim.footprint().heap_entries);
    }
    assert!(cancelled >= 499_000);
    let fp = sim.footprint();
    assert_eq!(sim.len(), 2 * LIVE);
    // Live events plus at most as many tombstones (beyond a fixed slack of 1,024).
    assert!(max_heap <= 2 * (2 * LIVE) + 1_025, "heap grew to {max_heap}");
    assert!(fp.payload_slots <= 2 * LIVE + 1, "{fp:?}");
}

/// Naive reference: a vector of pending (time, insertion number, value), searched linearly.
struct Reference {
    now: i64,
    pending: Vec<(i64, u64, u32)>,
    next: u64,
}

impl Reference {
    fn pop(&mut self) -> Option<(i64, u32)> {
        let (i, _) = self.pending.iter().enumerate().min_by_key(|(_, (time, seq, _))| (*time, *seq))?;
        let (time, _, value) = self.pending.remove(i);
        self.now = time;
        Some((time, value))
    }
}

/// Random interleavings of schedule (absolute, relative, in the past), cancel (live, fired,
/// cancelled), pop, pop_until and peek, compared step by step with the naive reference.
#[test]
fn agrees_with_a_naive_reference_on_random_operations() {
    for case in 0..40u64 {
        let mut rng = rng_stream(2026, case, "test.reference");
        let start = rng.random_range(-1_000..1_000i64);
        let mut sim = Simulation::new(t(start));
        let mut reference = Reference { now: start, pending: Vec::new(), next: 0 };
        // Every handle ever issued, with the reference's insertion number.
        let mut handles: Vec<(EventId, u64)> = Vec::new();
        let ops = rng.random_range(100..3_000);
        // Small time ranges force many equal-time ties; some cases use wide ones.
        let spread = if case % 3 == 0 { 1_000_000 } else { 20 };
        for step in 0..ops {
            let value = step as u32;
            match rng.random_range(0..100) {
                0..35 => {
                    let at = reference.now + rng.random_range(-3..spread);
                    let result = sim.schedule_at(t(at), value);
                    if at < reference.now {
                        assert!(result.is_err());
                    } else {
                        handles.push((result.unwrap(), reference.next));
                        reference.pending.push((at, reference.next, value));
                        reference.next += 1;
                    }
                }
                35..55 => {
                    let delay = rng.random_range(-2..spread);
                    let result = sim.schedule_in(delay, value);
                    if delay < 0 {
                        assert!(result.is_err());
                    } else {
                        handles.push((result.unwrap(), reference.next));
                        reference.pending.push((reference.now + delay, reference.next, value));
                        reference.next += 1;
                    }
                }
                55..75 if !handles.is_empty() => {
                    let (id, seq) = handles[rng.random_range(0..handles.len())];
                    let position = reference.pending.iter().position(|p| p.1 == seq);
                    assert_eq!(sim.is_pending(id), position.is_some());
                    assert_eq!(sim.cancel(id), position.is_some());
                    if let Some(i) = position {
                        reference.pending.remove(i);
                    }
                }
                75..95 => assert_eq!(sim.pop().map(|(time, v)| (time.unix_nanos(), v)), reference.pop()),
                _ => {
                    let end = reference.now + rng.random_range(0..spread);
                    let next_due = reference.pending.iter().map(|p| p.0).min().is_some_and(|time| time <= end);
                    let expected = if next_due { reference.pop() } else { None };
                    assert_eq!(sim.pop_until(t(end)).map(|(time, v)| (time.unix_nanos(), v)), expected);
                }
            }
            assert_eq!(sim.len(), reference.pending.len());
            assert_eq!(sim.now(), t(reference.now));
            assert_eq!(sim.peek_time(), reference.pending.iter().map(|p| t(p.0)).min());
        }
        // Drain both to the end.
        while let Some(expected) = reference.pop() {
            assert_eq!(sim.pop().map(|(time, v)| (time.unix_nanos(), v)), Some(expected));
        }
        assert_eq!(sim.pop(), None);
    }
}

/// Heavy cancellation across compaction thresholds, checked against the reference.
#[test]
fn agrees_with_the_reference_through_compactions() {
    let mut rng = rng_stream(7, 0, "test.reference.compaction");
    let mut sim = Simulation::new(t(0));
    let mut reference = Reference { now: 0, pending: Vec::new(), next: 0 };
    let mut handles: Vec<(EventId, u64)> = Vec::new();
    for round in 0..30 {
        for _ in 0..2_000 {
            let at = reference.now + rng.random_range(0..500);
            handles.push((sim.schedule_at(t(at), round).unwrap(), reference.next));
            reference.pending.push((at, reference.next, round));
            reference.next += 1;
        }
        // Cancel ~90% of what was just scheduled, in random order.
        let recent = handles.len() - 2_000..handles.len();
        let mut batch: Vec<_> = handles[recent].to_vec();
        for i in (1..batch.len()).rev() {
            batch.swap(i, rng.random_range(0..=i));
        }
        for (id, seq) in batch.into_iter().take(1_800) {
            assert!(sim.cancel(id));
            let i = reference.pending.iter().position(|p| p.1 == seq).unwrap();
            reference.pending.remove(i);
        }
        for _ in 0..150 {
            assert_eq!(sim.pop().map(|(time, v)| (time.unix_nanos(), v)), reference.pop());
        }
        let fp = sim.footprint();
        assert!(fp.tombstones <= sim.len().max(1_024) + 1, "{fp:?}");
    }
    while let Some(expected) = reference.pop() {
        assert_eq!(sim.pop().map(|(time, v)| (time.unix_nanos(), v)), Some(expected));
    }
}
