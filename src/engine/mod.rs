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
//! - **Cheap cancellation.** [`Simulation::cancel`] is O(1) plus amortised O(log n): cancelled entries
//!   are dropped lazily and the heap is compacted when they outnumber live events, so
//!   timers that are almost always cancelled (ARQ timeouts) do not grow memory.
//! - **Reproducible randomness.** [`rng_stream`] derives a ChaCha8 stream from
//!   (scenario seed, entity, purpose) only; see [`rng_stream`] for the derivation.
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

mod heap;
mod rng;

pub use rng::{SimRng, rng_stream};

use crate::time::UtcTime;
use heap::{Entry, QuadHeap};

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

/// Payload slots are free when their sequence number is this value (never a real one).
const FREE: u64 = u64::MAX;

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
    seq: u64,
    slot: u32,
}

/// Why an event could not be scheduled. Each variant is a bug in the calling model, not a
/// runtime condition; returning it (instead of clamping or panicking) lets the caller
/// report which scenario and event caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("event scheduled at {at:?}, before the current simulation time {now:?}")]
    InPast { at: SimTime, now: SimTime },
    #[error("event scheduled with a negative delay of {delay} ns at {now:?}")]
    NegativeDelay { now: SimTime, delay: SimDuration },
    #[error("event time {now:?} + {delay} ns is beyond the representable range (year 2262)")]
    Overflow { now: SimTime, delay: SimDuration },
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
/// the heap entry), so large events do not slow down the heap operations.
#[derive(Debug)]
pub struct Simulation<E> {
    now: i64,
    heap: QuadHeap,
    /// Sequence number of the live event in each slot, or [`FREE`].
    seqs: Vec<u64>,
    payloads: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
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
            seqs: Vec::with_capacity(capacity),
            payloads: Vec::with_capacity(capacity),
            free: Vec::new(),
            next_seq: 0,
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
    /// If more than `u32::MAX` events are pending at once.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<EventId, ScheduleError> {
        let time = at.unix_nanos();
        if time < self.now {
            return Err(ScheduleError::InPast {
                at,
                now: self.now(),
            });
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
    /// If more than `u32::MAX` events are pending at once.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> Result<EventId, ScheduleError> {
        if delay < 0 {
            return Err(ScheduleError::NegativeDelay {
                now: self.now(),
                delay,
            });
        }
        match self.now.checked_add(delay) {
            Some(time) => Ok(self.insert(time, event)),
            None => Err(ScheduleError::Overflow {
                now: self.now(),
                delay,
            }),
        }
    }

    #[inline]
    fn insert(&mut self, time: i64, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.seqs[slot as usize] = seq;
                self.payloads[slot as usize] = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.seqs.len())
                    .ok()
                    .filter(|&s| s != u32::MAX)
                    .expect("orbsim engine: more than u32::MAX events pending at once");
                self.seqs.push(seq);
                self.payloads.push(Some(event));
                slot
            }
        };
        self.heap.push(Entry { time, seq, slot });
        EventId { seq, slot }
    }

    /// Cancels a pending event so it never fires, dropping its payload now. Returns
    /// `false` (and does nothing) if the event already fired or was already cancelled, so
    /// models can cancel timers without tracking whether they went off.
    pub fn cancel(&mut self, id: EventId) -> bool {
        let slot = id.slot as usize;
        if self.seqs.get(slot) != Some(&id.seq) {
            return false;
        }
        self.seqs[slot] = FREE;
        self.payloads[slot] = None;
        self.free.push(id.slot);
        self.tombstones += 1;
        if self.tombstones > COMPACT_MIN_TOMBSTONES && 2 * self.tombstones > self.heap.len() {
            let seqs = &self.seqs;
            self.heap.retain(|e| seqs[e.slot as usize] == e.seq);
            self.tombstones = 0;
        } else {
            self.purge_top();
        }
        true
    }

    /// Whether the event is still waiting to fire (not fired, not cancelled).
    #[inline]
    pub fn is_pending(&self, id: EventId) -> bool {
        self.seqs.get(id.slot as usize) == Some(&id.seq)
    }

    /// The time of the next event, without removing it; `None` if nothing is pending.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        // Invariant: the heap's top entry is always live (see `purge_top`).
        self.heap.peek().map(|e| UtcTime::from_unix_nanos(e.time))
    }

    /// Removes the next event, advances the clock to its time and counts it as processed.
    /// Returns the event by value so the caller may borrow the simulation again at once.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let top = self.heap.pop()?;
        let slot = top.slot as usize;
        debug_assert_eq!(self.seqs[slot], top.seq, "heap top must be live");
        let event = self.payloads[slot]
            .take()
            .expect("orbsim engine: live slot without payload");
        self.seqs[slot] = FREE;
        self.free.push(top.slot);
        self.now = top.time;
        self.processed += 1;
        self.purge_top();
        Some((UtcTime::from_unix_nanos(top.time), event))
    }

    /// Like [`Simulation::pop`], but only if the next event is at or before `end`; the
    /// clock is left alone otherwise.
    #[inline]
    pub fn pop_until(&mut self, end: SimTime) -> Option<(SimTime, E)> {
        match self.heap.peek() {
            Some(e) if e.time <= end.unix_nanos() => self.pop(),
            _ => None,
        }
    }

    /// Drops cancelled entries from the top of the heap so that `peek_time` can stay `&self`.
    #[inline]
    fn purge_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.seqs[top.slot as usize] == top.seq {
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
        QueueFootprint {
            heap_entries: self.heap.len(),
            tombstones: self.tombstones,
            payload_slots: self.payloads.len(),
        }
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
                Some(e) if e.time > end => return Ok(RunEnd::TimeLimit),
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
