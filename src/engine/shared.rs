//! Several models on one clock: the shared engine every mission model of a run is driven
//! by, and the bus they tell each other things on.
//!
//! Each model keeps its own typed [`Simulation`] queue (so its events stay plain enums,
//! with no boxing or downcasting in the hot loop), and the [`SharedEngine`] interleaves
//! them as if they were one queue ordered by (time, model, insertion). Messages on the
//! [`Bus`] are timed events of their own: a message published for time `t` is delivered
//! to every other model before any model handles an event at or after `t`, so a state
//! change at `t` (a satellite starts holding a model, a station goes down) is seen by
//! everything that happens at `t`.
//!
//! To keep the cost per event that of a single queue, a model handles a run of its events
//! at a time: up to the next event of any other model or message, and no further than
//! the first event after which it published something (the engine must then deliver the
//! message before anyone moves past its time). A model may publish only for its current
//! time or later, which is what makes this safe: no other model has moved past the
//! current time, so every receiver can still act at the message's time.

use super::{ScheduleError, SimTime, Simulation};

/// One model on a shared engine: its queue, its handler and what it does with messages.
///
/// `M` is the message type of the bus, `Err` the run's error type.
pub trait Process<M, Err> {
    /// The time of the model's next pending event, if any.
    fn next_event_time(&self) -> Option<SimTime>;

    /// Handles the model's events at or before `limit`, in order, and returns after the
    /// first event that published to `bus` (the engine delivers it, then calls again).
    /// When it returns without publishing, its clock reads `limit`.
    fn run_until(&mut self, limit: SimTime, bus: &mut Bus<M>) -> Result<(), Err>;

    /// A message another model published for `at` (no earlier than this model's clock).
    /// Ignored unless the model listens.
    fn receive(&mut self, at: SimTime, message: &M, bus: &mut Bus<M>) -> Result<(), Err> {
        let _ = (at, message, bus);
        Ok(())
    }
}

/// The messages models publish for each other, in (time, publication) order.
#[derive(Debug)]
pub struct Bus<M> {
    queue: Simulation<(usize, M)>,
    /// The model whose event or delivery is being handled (it does not receive its own
    /// messages).
    current: usize,
    published: bool,
}

impl<M> Bus<M> {
    /// An empty bus whose clock reads `start`.
    pub fn new(start: SimTime) -> Self {
        Bus { queue: Simulation::new(start), current: usize::MAX, published: false }
    }

    /// Publishes `message` for delivery at `at` to every model but the publisher.
    ///
    /// # Errors
    /// [`ScheduleError::InPast`] if `at` is before the last delivery.
    pub fn publish_at(&mut self, at: SimTime, message: M) -> Result<(), ScheduleError> {
        self.queue.schedule_at(at, (self.current, message))?;
        self.published = true;
        Ok(())
    }

    /// Whether anything was published since the engine last looked: a model's
    /// [`Process::run_until`] returns once this is true.
    pub fn has_news(&self) -> bool {
        self.published
    }

    /// Messages waiting for delivery.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}

/// Runs several [`Process`]es on one clock (see the module documentation for the order).
pub struct SharedEngine<'p, M, Err> {
    processes: Vec<&'p mut dyn Process<M, Err>>,
    bus: &'p mut Bus<M>,
    /// Messages delivered so far.
    delivered: u64,
}

impl<'p, M, Err> SharedEngine<'p, M, Err> {
    /// An engine over `processes` (ties at one instant go to the earlier one in this list)
    /// and a bus, which may already hold messages: from an earlier engine over the same run
    /// (models join and leave between calls) or published from outside (a replayed history).
    pub fn new(processes: Vec<&'p mut dyn Process<M, Err>>, bus: &'p mut Bus<M>) -> Self {
        SharedEngine { processes, bus, delivered: 0 }
    }

    /// Messages delivered so far.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Handles every event and message at or before `end`, in order, and leaves every
    /// model's clock at `end`.
    ///
    /// # Errors
    /// The first error a model returns; the run stops there.
    pub fn run_until(&mut self, end: SimTime) -> Result<(), Err> {
        loop {
            let message_at = self.bus.queue.peek_time().filter(|&t| t <= end);
            let mut next: Option<(SimTime, usize)> = None;
            for (i, p) in self.processes.iter().enumerate() {
                if let Some(t) = p.next_event_time().filter(|&t| t <= end)
                    && next.is_none_or(|(best, _)| t < best)
                {
                    next = Some((t, i));
                }
            }
            match next {
                Some((t, i)) if message_at.is_none_or(|at| at > t) => {
                    let limit = self.limit_for(i, message_at, end);
                    self.bus.current = i;
                    self.bus.published = false;
                    self.processes[i].run_until(limit, self.bus)?;
                }
                _ if message_at.is_some() => self.deliver()?,
                _ => break,
            }
        }
        // Nothing is left at or before `end`: every model's clock moves there, so what is
        // scheduled next (say, contacts added for the next day) counts from `end`.
        for p in &mut self.processes {
            p.run_until(end, self.bus)?;
        }
        Ok(())
    }

    /// Delivers the earliest message to every model but its publisher.
    fn deliver(&mut self) -> Result<(), Err> {
        let (at, (from, message)) = self.bus.queue.pop().expect("a message is pending");
        self.delivered += 1;
        for (i, p) in self.processes.iter_mut().enumerate() {
            if i != from {
                self.bus.current = i;
                p.receive(at, &message, self.bus)?;
            }
        }
        Ok(())
    }

    /// How far model `i` may run on its own: up to the next message (exclusive), the next
    /// event of a model listed before it (exclusive) or after it (inclusive), and `end`.
    fn limit_for(&self, i: usize, message_at: Option<SimTime>, end: SimTime) -> SimTime {
        let before = |t: SimTime| t.plus_nanos(-1);
        let mut limit = end;
        if let Some(at) = message_at {
            limit = limit.min(before(at));
        }
        for (j, p) in self.processes.iter().enumerate() {
            if let Some(t) = p.next_event_time().filter(|_| j != i) {
                limit = limit.min(if j < i { before(t) } else { t });
            }
        }
        limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ns: i64) -> SimTime {
        SimTime::from_unix_nanos(ns)
    }

    /// A model that fires a list of events, logs every event and message it sees into a
    /// shared log, and publishes its own name at the times listed in `announce`.
    struct Logger<'l> {
        name: &'static str,
        sim: Simulation<i64>,
        announce: Vec<i64>,
        log: &'l std::cell::RefCell<Vec<String>>,
    }

    impl<'l> Logger<'l> {
        fn new(name: &'static str, events: &[i64], announce: &[i64], log: &'l std::cell::RefCell<Vec<String>>) -> Self {
            let mut sim = Simulation::new(t(0));
            for &e in events {
                sim.schedule_at(t(e), e).unwrap();
            }
            Logger { name, sim, announce: announce.to_vec(), log }
        }
    }

    impl Process<&'static str, ScheduleError> for Logger<'_> {
        fn next_event_time(&self) -> Option<SimTime> {
            self.sim.peek_time()
        }
        fn run_until(&mut self, limit: SimTime, bus: &mut Bus<&'static str>) -> Result<(), ScheduleError> {
            let (name, log, announce) = (self.name, self.log, &self.announce);
            self.sim.run_until(limit, |sim, now, e| {
                log.borrow_mut().push(format!("{name}@{e}"));
                if announce.contains(&e) {
                    bus.publish_at(now, name)?;
                    sim.stop();
                }
                Ok(())
            })?;
            Ok(())
        }
        fn receive(
            &mut self,
            at: SimTime,
            message: &&'static str,
            _bus: &mut Bus<&'static str>,
        ) -> Result<(), ScheduleError> {
            self.log.borrow_mut().push(format!("{}<-{}@{}", self.name, message, at.unix_nanos()));
            // React at the message's time: must not be in this model's past.
            self.sim.schedule_at(at, at.unix_nanos()).map(|_| ())
        }
    }

    /// Events interleave as one queue would order them: by time, ties to the model listed
    /// first; a message is delivered before anything else at its time, to all but its
    /// publisher, and a reaction at the message's time is still in the receiver's future.
    #[test]
    fn interleaves_by_time_then_model_and_delivers_messages_first() {
        let log = std::cell::RefCell::new(Vec::new());
        let mut a = Logger::new("a", &[1, 5, 5, 9], &[], &log);
        let mut b = Logger::new("b", &[2, 5, 7], &[2], &log);
        let mut bus = Bus::new(t(0));
        let mut engine = SharedEngine::new(vec![&mut a, &mut b], &mut bus);
        engine.run_until(t(8)).unwrap();
        assert_eq!(engine.delivered(), 1);
        drop(engine);
        assert_eq!(
            *log.borrow(),
            ["a@1", "b@2", "a<-b@2", "a@2", "a@5", "a@5", "b@5", "b@7"].map(String::from).to_vec()
        );
        assert_eq!(a.sim.now(), t(8));
        assert_eq!(b.sim.now(), t(8));
        assert_eq!(a.sim.peek_time(), Some(t(9)));
    }

    /// A message published from outside before the run (a replayed history) is delivered
    /// at its time to every model.
    #[test]
    fn replays_messages_published_before_the_run() {
        let log = std::cell::RefCell::new(Vec::new());
        let mut a = Logger::new("a", &[3], &[], &log);
        let mut bus = Bus::new(t(0));
        bus.publish_at(t(3), "history").unwrap();
        assert_eq!(bus.pending(), 1);
        SharedEngine::new(vec![&mut a], &mut bus).run_until(t(10)).unwrap();
        assert_eq!(*log.borrow(), ["a<-history@3", "a@3", "a@3"].map(String::from).to_vec());
    }
}
