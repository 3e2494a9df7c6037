//! When each satellite holds the model: a set of periods per satellite, built as the
//! models of a run announce them (a satellite starts holding when its upload deploys, and
//! can stop and start again when a copy is lost and repaired).

use crate::time::UtcTime;

/// Periods during which each satellite holds the model, in time order, disjoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Availability {
    /// Per satellite: `(from, until)` in ns since the epoch; an open period has `until ==
    /// i64::MAX`.
    periods: Vec<Vec<(i64, i64)>>,
}

const OPEN: i64 = i64::MAX;

impl Availability {
    /// No satellite of `n` holds the model.
    pub fn none(n: usize) -> Self {
        Availability { periods: vec![Vec::new(); n] }
    }

    /// Satellite `sat` holds the model from `at` on; no effect if it already does.
    pub fn start(&mut self, sat: u32, at: UtcTime) {
        let periods = &mut self.periods[sat as usize];
        if periods.last().is_none_or(|&(_, until)| until != OPEN) {
            debug_assert!(periods.last().is_none_or(|&(_, until)| until <= at.unix_nanos()));
            periods.push((at.unix_nanos(), OPEN));
        }
    }

    /// Satellite `sat` stops holding the model at `at`; no effect if it does not hold it.
    pub fn stop(&mut self, sat: u32, at: UtcTime) {
        if let Some(last) = self.periods[sat as usize].last_mut().filter(|p| p.1 == OPEN) {
            debug_assert!(last.0 <= at.unix_nanos());
            last.1 = at.unix_nanos();
        }
    }

    /// Whether `sat` holds the model now (its latest period is open).
    #[inline]
    pub fn holds_now(&self, sat: u32) -> bool {
        self.periods[sat as usize].last().is_some_and(|&(_, until)| until == OPEN)
    }

    /// Whether `sat` held the model at `t`.
    pub fn holds_at(&self, sat: u32, t: UtcTime) -> bool {
        let t = t.unix_nanos();
        let periods = &self.periods[sat as usize];
        let i = periods.partition_point(|&(from, _)| from <= t);
        i > 0 && periods[i - 1].1 > t
    }

    /// When `sat` first held the model.
    pub fn first_from(&self, sat: u32) -> Option<UtcTime> {
        self.periods[sat as usize].first().map(|&(from, _)| UtcTime::from_unix_nanos(from))
    }

    /// `sat`'s periods as `(from, until)`, `until` `None` while it still holds the model.
    pub fn periods(&self, sat: u32) -> impl Iterator<Item = (UtcTime, Option<UtcTime>)> + '_ {
        self.periods[sat as usize].iter().map(|&(from, until)| {
            (UtcTime::from_unix_nanos(from), (until != OPEN).then(|| UtcTime::from_unix_nanos(until)))
        })
    }

    /// Number of satellites.
    pub fn len(&self) -> usize {
        self.periods.len()
    }

    /// Whether there are no satellites.
    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> UtcTime {
        UtcTime::from_unix_nanos(s * 1_000_000_000)
    }

    /// Periods open, close and reopen; the queries agree on each side of every boundary
    /// (a period includes its start and excludes its end).
    #[test]
    fn periods_open_close_and_reopen() {
        let mut a = Availability::none(2);
        assert!(!a.holds_now(0) && a.first_from(0).is_none());
        a.start(0, t(10));
        a.start(0, t(12)); // already holding: no new period
        assert!(a.holds_now(0) && !a.holds_now(1));
        a.stop(0, t(20));
        a.stop(0, t(25)); // not holding: nothing to close
        a.start(0, t(30));
        assert!(a.holds_now(0));
        assert_eq!(a.first_from(0), Some(t(10)));
        assert_eq!(a.periods(0).collect::<Vec<_>>(), vec![(t(10), Some(t(20))), (t(30), None)]);
        for (s, holds) in [(9, false), (10, true), (19, true), (20, false), (29, false), (30, true), (1000, true)] {
            assert_eq!(a.holds_at(0, t(s)), holds, "at {s} s");
        }
        assert!(!a.holds_at(1, t(15)));
        assert_eq!(a.len(), 2);
    }
}
