//! The discrete-event engine: an integer clock, one event queue with cancellation, and
//! seeded random streams. It knows nothing about satellites; mission models define an
//! event type and a handler and drive a [`Simulation`] with it.
//!
//! # Guarantees
//! - **Exact time.** [`SimTime`] is the crate's [`UtcTime`]: integer nanoseconds since the
//!   Unix epoch, so simulation time is UTC with no conversion and no rounding drift.
//! - **Deterministic order.** Events pop in (time, insertion sequence) order: events at the
//!   same nanosecond fire in the order they were scheduled, whatever the heap's layout.
//! - **No going back.** Scheduling before [`Simulation::now`] returns
//!   [`ScheduleError`] rather than clamping: an event in the past is a model bug, and
//!   silently moving it would hide the bug and bias results.
//! - **Cheap cancellation.** [`Simulation::cancel`] costs O(1) plus amortised O(log n):
//!   cancelled entries are dropped lazily and the heap is compacted when they outnumber
//!   live events, so timers that are almost always cancelled (ARQ timeouts) do not grow
//!   memory.
//! - **Reproducible randomness.** [`rng_stream`] derives a ChaCha8 stream from
//!   (scenario seed, entity, purpose) only, so results do not depend on creation order or
//!   thread count; see [`rng_stream`] for the derivation and [`SimRng`] for the choice of
//!   generator.
//!
//! # Performance
//! The queue is a 4-ary heap of 16-byte keys with payloads in a separate slab. On the hold
//! model with 10,000 pending events (`cargo bench --bench engine`) it handles about 15
//! million events per second on the project's 2-core machine, random draw included.
//!
//! # Example
//! A satellite sends a chunk every 2 s; each chunk is lost with probability 0.1, and the
//! run stops after the 10th delivered chunk.
//! ```
//! use orbsim::engine::{rng_stream, RunEnd, ScheduleError, Simulation, SimTime};
//! use orbsim::time::NANOS_PER_SECOND;
//! use rand::RngExt;
//!
//! enum Ev { Send(u32), Arrive(u32) }
//!
//! let start = SimTime::from_unix_nanos(0);
//! let mut sim = Simulation::new(start);
//! let mut loss = rng_stream(1, 7, "example.loss");
//! let mut delivered = 0;
//! sim.schedule_at(start, Ev::Send(0))?;
//! let end = sim.run(|sim, _now, ev| {
//!     match ev {
//!         Ev::Send(chunk) => {
//!             if !loss.random_bool(0.1) {
//!                 sim.schedule_in(NANOS_PER_SECOND / 100, Ev::Arrive(chunk))?;
//!             }
//!             sim.schedule_in(2 * NANOS_PER_SECOND, Ev::Send(chunk + 1))?;
//!         }
//!         Ev::Arrive(_) => {
//!             delivered += 1;
//!             if delivered == 10 {
//!                 sim.stop();
//!             }
//!         }
//!     }
//!     Ok::<(), ScheduleError>(())
//! })?;
//! assert_eq!(end, RunEnd::Stopped);
//! assert_eq!(delivered, 10);
//! assert!(sim.now() >= SimTime::from_unix_nanos(18 * NANOS_PER_SECOND));
//! # Ok::<(), ScheduleError>(())
//! ```
//!
//! A model with state of its own keeps it in its own struct and forwards from the closure,
//! `sim.run(|sim, now, ev| model.handle(sim, now, ev))`, so the simulation and the model
//! are borrowed separately. Loops that need more control can call [`Simulation::pop`]
//! directly: it returns the event by value and releases the borrow.

#![warn(missing_docs)]

mod heap;
mod rng;
mod shared;

pub use rng::{SimRng, rng_stream};
pub use shared::{Bus, Process, SharedEngine};

use crate::time::UtcTime;
use heap::{QuadHeap, key, key_order, key_slot, key_time};

/// A simulation instant: integer nanoseconds since the Unix epoch, UTC.
///
/// An alias of [`UtcTime`] so that contact windows, epochs and event times are one type
/// and mission models never convert between "simulation seconds" and UTC.
pub type SimTime = UtcTime;

/// A span of simulation time in nanoseconds (see [`crate::time::NANOS_PER_SECOND`]).
///
/// Plain `i64` so that arithmetic stays exact and sign errors are caught as
/// [`ScheduleError::NegativeDelay`] instead of wrapping.
pub type SimDuration = i64;

/// `SlotMeta::id` of a free slot (never issued to an event).
const FREE_ID: u64 = u64::MAX;
/// `SlotMeta::order` of a free slot, and the order at which orders are renumbered, so it is
/// never given to an event.
const FREE_ORDER: u32 = u32::MAX;

/// Most events pending at once. Slots and orders are 32-bit; keeping pending events at
/// most half the order range means a renumbering always frees at least 2³¹ orders.
const MAX_PENDING: usize = 1 << 31;

/// Compaction is skipped below this many cancelled entries: rebuilding a small heap often
/// would cost more than the memory it saves.
const COMPACT_MIN_TOMBSTONES: usize = 1024;

/// Names one scheduled event so it can be cancelled or checked later.
///
/// Handles are small and `Copy` so models can keep them in their state (for example the
/// pending timeout of each transfer). A handle stays safe to use after its event fired or
/// was cancelled: it never matches a later event that reuses the same storage, because
/// it also records the event's unique sequence number. Handles are meaningful only for
/// the [`Simulation`] that issued them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId {
    id: u64,
    slot: u32,
}

/// Bookkeeping for one payload slot.
#[derive(Clone, Copy, Debug)]
struct SlotMeta {
    /// Lifetime-unique number of the event in this slot (what [`EventId`] checks), or
    /// [`FREE_ID`].
    id: u64,
    /// Insertion order of the event in this slot as packed into its heap key, or
    /// [`FREE_ORDER`]; a heap key whose order differs is a cancelled leftover.
    order: u32,
}

/// Why an event could not be scheduled. Each variant is a bug in the calling model, not a
/// runtime condition; returning it (instead of clamping or panicking) lets the caller
/// report which scenario and event caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// [`Simulation::schedule_at`] was given a time before the clock.
    #[error("event scheduled at {at:?}, before the current simulation time {now:?}")]
    InPast {
        /// The requested event time.
        at: SimTime,
        /// The clock when it was requested.
        now: SimTime,
    },
    /// [`Simulation::schedule_in`] was given a negative delay.
    #[error("event scheduled with a negative delay of {delay} ns at {now:?}")]
    NegativeDelay {
        /// The clock when it was requested.
        now: SimTime,
        /// The requested delay in nanoseconds.
        delay: SimDuration,
    },
    /// `now + delay` does not fit in an `i64` of nanoseconds.
    #[error("event time {now:?} + {delay} ns is beyond the representable range (year 2262)")]
    Overflow {
        /// The clock when it was requested.
        now: SimTime,
        /// The requested delay in nanoseconds.
        delay: SimDuration,
    },
}

/// Why [`Simulation::run`] or [`Simulation::run_until`] returned, so callers can tell a
/// finished scenario from one that was cut off or stopped by a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunEnd {
    /// No events were left.
    Exhausted,
    /// The next event lies after the `end` given to [`Simulation::run_until`].
    TimeLimit,
    /// A handler called [`Simulation::stop`].
    Stopped,
}

/// How much memory the queue holds, in entries, for long runs that want to check or
/// report that cancellations are not accumulating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFootprint {
    /// Entries in the heap, live and cancelled.
    pub heap_entries: usize,
    /// Cancelled entries still in the heap (removed when popped or by compaction).
    pub tombstones: usize,
    /// Payload slots allocated: the peak number of simultaneously pending events.
    pub payload_slots: usize,
}

/// The clock and the event queue of one simulation run.
///
/// `E` is the model's event type. Payloads are kept out of the heap (in a slab indexed by
/// the heap key), so large events do not slow down the heap operations.
///
/// Limits: fewer than 2³¹ events pending at once (far beyond memory: about 32 bytes per
/// pending event plus the payload); no limit on the number of events over a run.
#[derive(Debug)]
pub struct Simulation<E> {
    now: i64,
    heap: QuadHeap,
    meta: Vec<SlotMeta>,
    payloads: Vec<Option<E>>,
    free: Vec<u32>,
    next_id: u64,
    /// Insertion order for the next heap key. It is 32 bits to keep keys at 16 bytes;
    /// when it runs out, pending events are renumbered (see `renumber`).
    next_order: u32,
    tombstones: usize,
    processed: u64,
    stop_requested: bool,
}

impl<E> Simulation<E> {
    /// An empty simulation whose clock reads `start`.
    pub fn new(start: SimTime) -> Self {
        Self::with_capacity(start, 0)
    }

    /// Like [`Simulation::new`], with room for `capacity` pending events, so a model that
    /// knows its working set (say one event per satellite) avoids regrowing mid-run.
    pub fn with_capacity(start: SimTime, capacity: usize) -> Self {
        Simulation {
            now: start.unix_nanos(),
            heap: QuadHeap::with_capacity(capacity),
            meta: Vec::with_capacity(capacity),
            payloads: Vec::with_capacity(capacity),
            free: Vec::new(),
            next_id: 0,
            next_order: 0,
            tombstones: 0,
            processed: 0,
            stop_requested: false,
        }
    }

    /// The current simulation time: the time of the last event popped, or the `end` of the
    /// last [`Simulation::run_until`], or the start time.
    #[inline]
    pub fn now(&self) -> SimTime {
        UtcTime::from_unix_nanos(self.now)
    }

    /// Schedules `event` at the absolute time `at`, which may equal [`Simulation::now`]
    /// (it then fires after every event already scheduled for that instant).
    ///
    /// # Errors
    /// [`ScheduleError::InPast`] if `at` is before `now()`; nothing is scheduled.
    ///
    /// # Panics
    /// If 2³¹ events are already pending (the queue would hold over 60 GiB by then).
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<EventId, ScheduleError> {
        let time = at.unix_nanos();
        if time < self.now {
            return Err(ScheduleError::InPast { at, now: self.now() });
        }
        Ok(self.insert(time, event))
    }

    /// Schedules `event` after `delay` nanoseconds from [`Simulation::now`]; a zero delay
    /// fires after every event already scheduled for now.
    ///
    /// # Errors
    /// [`ScheduleError::NegativeDelay`] or [`ScheduleError::Overflow`]; nothing is
    /// scheduled.
    ///
    /// # Panics
    /// If 2³¹ events are already pending (the queue would hold over 60 GiB by then).
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> Result<EventId, ScheduleError> {
        if delay < 0 {
            return Err(ScheduleError::NegativeDelay { now: self.now(), delay });
        }
        match self.now.checked_add(delay) {
            Some(time) => Ok(self.insert(time, event)),
            None => Err(ScheduleError::Overflow { now: self.now(), delay }),
        }
    }

    #[inline]
    fn insert(&mut self, time: i64, event: E) -> EventId {
        if self.next_order == FREE_ORDER {
            self.renumber();
        }
        let order = self.next_order;
        self.next_order += 1;
        let id = self.next_id;
        self.next_id += 1;
        let meta = SlotMeta { id, order };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.meta[slot as usize] = meta;
                self.payloads[slot as usize] = Some(event);
                slot
            }
            None => {
                assert!(self.meta.len() < MAX_PENDING, "orbsim engine: 2^31 events pending at once");
                let slot = self.meta.len() as u32;
                self.meta.push(meta);
                self.payloads.push(Some(event));
                slot
            }
        };
        self.heap.push(key(time, order, slot));
        EventId { id, slot }
    }

    /// Gives the pending events the orders 0..n in their current order, once every ~4
    /// billion insertions: drops cancelled keys, sorts (a sorted array is a valid heap),
    /// and rewrites each key and slot. Relative order, and so every result, is unchanged;
    /// [`EventId`]s stay valid because they check `SlotMeta::id`, not the order.
    #[cold]
    fn renumber(&mut self) {
        let meta = &mut self.meta;
        let mut keys = self.heap.take_keys();
        keys.retain(|&k| meta[key_slot(k) as usize].order == key_order(k));
        keys.sort_unstable();
        debug_assert!(keys.len() <= MAX_PENDING);
        for (order, k) in keys.iter_mut().enumerate() {
            let order = order as u32;
            let slot = key_slot(*k);
            meta[slot as usize].order = order;
            *k = key(key_time(*k), order, slot);
        }
        self.next_order = keys.len() as u32;
        self.tombstones = 0;
        self.heap = QuadHeap::from_sorted(keys);
    }

    /// Cancels a pending event so it never fires, dropping its payload now. Returns
    /// `false` (and does nothing) if the event already fired or was already cancelled, so
    /// models can cancel timers without tracking whether they went off.
    pub fn cancel(&mut self, id: EventId) -> bool {
        if !self.is_pending(id) {
            return false;
        }
        let slot = id.slot as usize;
        self.meta[slot] = SlotMeta { id: FREE_ID, order: FREE_ORDER };
        self.payloads[slot] = None;
        self.free.push(id.slot);
        self.tombstones += 1;
        if self.tombstones > COMPACT_MIN_TOMBSTONES && 2 * self.tombstones > self.heap.len() {
            let meta = &self.meta;
            self.heap.retain(|&k| meta[key_slot(k) as usize].order == key_order(k));
            self.tombstones = 0;
        } else {
            self.purge_top();
        }
        true
    }

    /// Whether the event is still waiting to fire (not fired, not cancelled).
    #[inline]
    pub fn is_pending(&self, id: EventId) -> bool {
        self.meta.get(id.slot as usize).is_some_and(|m| m.id == id.id)
    }

    /// The time of the next event, without removing it; `None` if nothing is pending.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        // Invariant: the heap's top entry is always live (see `purge_top`).
        self.heap.peek().map(|k| UtcTime::from_unix_nanos(key_time(k)))
    }

    /// Removes the next event, advances the clock to its time and counts it as processed.
    /// Returns the event by value so the caller may borrow the simulation again at once.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let top = self.heap.pop()?;
        let slot = key_slot(top);
        debug_assert_eq!(self.meta[slot as usize].order, key_order(top), "stale heap top");
        let event = self.payloads[slot as usize].take().expect("orbsim engine: live slot without payload");
        self.meta[slot as usize] = SlotMeta { id: FREE_ID, order: FREE_ORDER };
        self.free.push(slot);
        let time = key_time(top);
        self.now = time;
        self.processed += 1;
        self.purge_top();
        Some((UtcTime::from_unix_nanos(time), event))
    }

    /// Like [`Simulation::pop`], but only if the next event is at or before `end`; the
    /// clock is left alone otherwise.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        match self.heap.peek() {
            Some(k) if key_time(k) <= end.unix_nanos() => self.pop(),
            _ => None,
        }
    }

    /// Drops cancelled entries from the top of the heap so that `peek_time` can stay `&self`.
    #[inline]
    fn purge_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.meta[key_slot(top) as usize].order == key_order(top) {
                break;
            }
            self.heap.pop();
            self.tombstones -= 1;
        }
    }

    /// Number of events waiting to fire (cancelled ones excluded).
    #[inline]
    pub fn len(&self) -> usize {
        self.heap.len() - self.tombstones
    }

    /// Whether no event is waiting to fire.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of events popped so far (cancelled events are not counted), for reporting
    /// events per second and for sanity checks in tests.
    #[inline]
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Memory held by the queue, for checking that heavy cancellation stays bounded.
    pub fn footprint(&self) -> QueueFootprint {
        QueueFootprint { heap_entries: self.heap.len(), tombstones: self.tombstones, payload_slots: self.meta.len() }
    }

    /// Asks the running [`Simulation::run`] or [`Simulation::run_until`] to return
    /// [`RunEnd::Stopped`] once the current handler returns (e.g. when a model reaches its
    /// goal before the queue empties). Has no effect outside a run.
    #[inline]
    pub fn stop(&mut self) {
        self.stop_requested = true;
    }

    /// Pops and handles events until none are left, a handler calls
    /// [`Simulation::stop`], or a handler fails.
    ///
    /// The handler gets the simulation (to schedule, cancel and read the clock), the event
    /// time and the event. Its error type is the model's own, so handlers can use `?` on
    /// [`ScheduleError`] and on model errors alike.
    ///
    /// # Errors
    /// The first error a handler returns; the run stops there, with the clock at that
    /// event's time and later events still queued.
    pub fn run<F, Err>(&mut self, handler: F) -> Result<RunEnd, Err>
    where
        F: FnMut(&mut Self, SimTime, E) -> Result<(), Err>,
    {
        self.run_inner(i64::MAX, handler)
    }

    /// Like [`Simulation::run`], but handles only events at or before `end` (inclusive),
    /// then advances the clock to `end` unless a handler stopped the run or failed: the
    /// simulation has then observed everything up to `end`, so a following `schedule_in`
    /// counts from there. An `end` before [`Simulation::now`] handles nothing and leaves
    /// the clock where it is.
    ///
    /// # Errors
    /// As for [`Simulation::run`].
    pub fn run_until<F, Err>(&mut self, end: SimTime, handler: F) -> Result<RunEnd, Err>
    where
        F: FnMut(&mut Self, SimTime, E) -> Result<(), Err>,
    {
        let outcome = self.run_inner(end.unix_nanos(), handler)?;
        if outcome != RunEnd::Stopped {
            self.now = self.now.max(end.unix_nanos());
        }
        Ok(outcome)
    }

    fn run_inner<F, Err>(&mut self, end: i64, mut handler: F) -> Result<RunEnd, Err>
    where
        F: FnMut(&mut Self, SimTime, E) -> Result<(), Err>,
    {
        self.stop_requested = false;
        loop {
            match self.heap.peek() {
                None => return Ok(RunEnd::Exhausted),
                Some(k) if key_time(k) > end => return Ok(RunEnd::TimeLimit),
                Some(_) => {}
            }
            let (time, event) = self.pop().expect("peeked a live event");
            let result = handler(self, time, event);
            if let Err(err) = result {
                self.stop_requested = false;
                return Err(err);
            }
            if self.stop_requested {
                self.stop_requested = false;
                return Ok(RunEnd::Stopped);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ns: i64) -> SimTime {
        SimTime::from_unix_nanos(ns)
    }

    /// Running out of 32-bit orders renumbers pending events without changing their order
    /// or invalidating handles. (Reaching it for real takes ~4 billion insertions, so the
    /// counter is wound forward here.)
    #[test]
    fn renumbering_keeps_order_and_handles() {
        let mut sim = Simulation::new(t(0));
        sim.next_order = FREE_ORDER - 6;
        let a = sim.schedule_at(t(10), "a").unwrap();
        let b = sim.schedule_at(t(5), "b").unwrap();
        let c = sim.schedule_at(t(10), "c").unwrap();
        let d = sim.schedule_at(t(7), "d").unwrap();
        assert!(sim.cancel(d));
        let e = sim.schedule_at(t(5), "e").unwrap();
        let _f = sim.schedule_at(t(10), "f").unwrap();
        assert_eq!(sim.next_order, FREE_ORDER);
        // This insertion renumbers first.
        let g = sim.schedule_at(t(5), "g").unwrap();
        assert!(sim.next_order < 10, "renumbered: {}", sim.next_order);
        assert_eq!(sim.footprint().tombstones, 0);
        assert!(sim.is_pending(a) && sim.is_pending(b) && sim.is_pending(c));
        assert!(!sim.is_pending(d));
        assert!(!sim.cancel(d));
        assert!(sim.cancel(e));
        let h = sim.schedule_at(t(10), "h").unwrap();
        let mut order = Vec::new();
        while let Some((_, ev)) = sim.pop() {
            order.push(ev);
        }
        assert_eq!(order, ["b", "g", "a", "c", "f", "h"]);
        assert!(!sim.is_pending(g) && !sim.is_pending(h));
    }

    #[test]
    fn compaction_drops_tombstones_and_keeps_order() {
        let mut sim = Simulation::new(t(0));
        let ids: Vec<_> = (0..10_000).map(|i| sim.schedule_at(t(i % 100), i).unwrap()).collect();
        for (i, id) in ids.iter().enumerate() {
            if i % 10 != 0 {
                assert!(sim.cancel(*id));
            }
        }
        let fp = sim.footprint();
        assert!(fp.heap_entries <= 2 * sim.len() + COMPACT_MIN_TOMBSTONES + 1, "{fp:?}");
        let mut prev = None;
        while let Some((time, i)) = sim.pop() {
            assert_eq!(i % 10, 0);
            assert_eq!(time, t(i % 100));
            if let Some((pt, pi)) = prev {
                assert!((pt, pi) < (time, i));
            }
            prev = Some((time, i));
        }
        assert_eq!(sim.processed(), 1000);
        assert_eq!(sim.footprint().tombstones, 0);
    }
}
