//! Antenna scheduling: which of the satellites waiting at a station a free antenna serves.
//! The model decides who may be served (a target still short of the model, with a free
//! receiver, a contact long enough to acquire, something left to send); the policy ranks
//! them.

use super::spec::SchedulingPolicy;
use crate::time::UtcTime;

/// A satellite in view of a station and free to be served, as a policy sees it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Waiting {
    /// Its contact's index among the plan's uplink contacts.
    pub contact: u32,
    /// The contact the antenna is serving now (staying avoids a new acquisition).
    pub current: bool,
    pub remaining_chunks: u32,
    pub contact_end: UtcTime,
    /// When an antenna last started serving it (ns since 1970).
    pub last_served: Option<i64>,
}

/// A scheduling policy: the waiting satellite of lowest rank is served.
pub(super) trait Rank {
    fn rank(&self, waiting: &Waiting) -> i64;
}

impl Rank for SchedulingPolicy {
    fn rank(&self, w: &Waiting) -> i64 {
        match self {
            SchedulingPolicy::MostRemaining => -(w.remaining_chunks as i64),
            SchedulingPolicy::LeastRemaining => w.remaining_chunks as i64,
            SchedulingPolicy::EarliestSet => w.contact_end.unix_nanos(),
            // The one being served counts as never served: round robin moves on when a
            // session ends, never in the middle of one.
            SchedulingPolicy::RoundRobin if w.current => i64::MIN,
            SchedulingPolicy::RoundRobin => w.last_served.unwrap_or(i64::MIN),
        }
    }
}

/// The contact of the lowest-ranked waiting satellite; ties go to the current contact,
/// then to the earliest in the plan.
pub(super) fn choose(policy: &impl Rank, waiting: impl Iterator<Item = Waiting>) -> Option<u32> {
    waiting.min_by_key(|w| (policy.rank(w), !w.current, w.contact)).map(|w| w.contact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(contact: u32, remaining_chunks: u32, end_s: i64, last_served: Option<i64>) -> Waiting {
        Waiting {
            contact,
            current: false,
            remaining_chunks,
            contact_end: UtcTime::from_unix_nanos(end_s * 1_000_000_000),
            last_served,
        }
    }

    fn pick(policy: SchedulingPolicy, list: &[Waiting]) -> Option<u32> {
        choose(&policy, list.iter().copied())
    }

    #[test]
    fn each_policy_prefers_what_it_says() {
        let list = [waiting(0, 5, 300, Some(20)), waiting(1, 9, 200, None), waiting(2, 1, 100, Some(10))];
        assert_eq!(pick(SchedulingPolicy::MostRemaining, &list), Some(1));
        assert_eq!(pick(SchedulingPolicy::LeastRemaining, &list), Some(2));
        assert_eq!(pick(SchedulingPolicy::EarliestSet, &list), Some(2));
        assert_eq!(pick(SchedulingPolicy::RoundRobin, &list), Some(1));
        assert_eq!(pick(SchedulingPolicy::RoundRobin, &list[..1]), Some(0));
        assert_eq!(pick(SchedulingPolicy::RoundRobin, &[]), None);
    }

    #[test]
    fn ties_keep_the_current_contact_then_the_earliest() {
        let mut list = [waiting(4, 5, 100, None), waiting(3, 5, 100, None), waiting(7, 5, 100, None)];
        assert_eq!(pick(SchedulingPolicy::MostRemaining, &list), Some(3));
        list[2].current = true;
        assert_eq!(pick(SchedulingPolicy::MostRemaining, &list), Some(7));
        // Round robin: the current one stays even if another was served long ago.
        list[0].last_served = Some(1);
        assert_eq!(pick(SchedulingPolicy::RoundRobin, &list), Some(7));
    }
}
