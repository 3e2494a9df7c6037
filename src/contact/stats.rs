//! How much ground contact each station and each satellite gets over the span a contact
//! plan covers: passes and contact minutes per day, the longest gap without contact and
//! the bytes the plan's uplink could deliver. One pass over the plan, in its time order,
//! with a few counters per station and satellite: a month of a large fleet (millions of
//! contacts) costs well under a second.
//!
//! Only uplink contacts count: each is one satellite above one station's mask, so its
//! count, length and deliverable bytes are the station's and the satellite's pass, time
//! in view and capacity on the link a model travels over. A pass an outage cuts in two is
//! two contacts. Contacts are counted whole in the span they rise in (the plan holds the
//! passes rising in its span, and the last may set after it).

use super::{Contact, ContactKind, Node};
use crate::time::{NANOS_PER_DAY, UtcTime};

/// One station's or satellite's contact over a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactTally {
    /// Uplink contacts rising in the span.
    pub passes: u64,
    /// Their summed length, ns (two satellites over a station at once count twice).
    pub contact_ns: i64,
    /// Bytes their rate profiles could deliver.
    pub deliverable_bytes: u64,
    /// Longest stretch of the span with no contact, ns: between two contacts, or from the
    /// span's start to the first contact, or from the last to the span's end (the whole
    /// span without any).
    pub longest_gap_ns: i64,
}

/// [`ContactTally`] per station and per satellite a plan covers, over its span.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactStats {
    pub start: UtcTime,
    pub end: UtcTime,
    /// Index into the plan's links of the link counted (the run's uplink).
    pub link: u16,
    /// One per station, in the scenario's order.
    pub stations: Vec<ContactTally>,
    /// (fleet index, tally) of each satellite the plan was built for, in fleet order.
    pub satellites: Vec<(u32, ContactTally)>,
}

impl ContactStats {
    /// The span's length in days.
    pub fn days(&self) -> f64 {
        (self.end.unix_nanos() - self.start.unix_nanos()) as f64 / NANOS_PER_DAY as f64
    }
}

/// Running tally of one node: contacts arrive in start order, so the time covered so far
/// is one instant and each gap is known when the next contact rises.
#[derive(Clone, Copy)]
struct Tally {
    total: ContactTally,
    covered_until: UtcTime,
}

impl Tally {
    fn new(start: UtcTime) -> Self {
        Tally {
            total: ContactTally { passes: 0, contact_ns: 0, deliverable_bytes: 0, longest_gap_ns: 0 },
            covered_until: start,
        }
    }

    fn add(&mut self, c: &Contact, bytes: u64) {
        let t = &mut self.total;
        t.passes += 1;
        t.contact_ns += c.end.unix_nanos() - c.start.unix_nanos();
        t.deliverable_bytes += bytes;
        t.longest_gap_ns = t.longest_gap_ns.max(c.start.unix_nanos() - self.covered_until.unix_nanos());
        self.covered_until = self.covered_until.max(c.end);
    }

    fn finish(mut self, end: UtcTime) -> ContactTally {
        self.total.longest_gap_ns = self.total.longest_gap_ns.max(end.unix_nanos() - self.covered_until.unix_nanos());
        self.total
    }
}

/// Tallies the contacts of link `link` (an uplink) rising in [`start`, `end`) for
/// `stations` stations and for the satellites whose `covered` entry is true (those the plan
/// was built for). `contacts` must be in plan order (by start time), as a [`super::ContactPlan`]
/// keeps them.
pub fn contact_stats(
    contacts: &[Contact],
    link: u16,
    start: UtcTime,
    end: UtcTime,
    stations: usize,
    covered: &[bool],
) -> ContactStats {
    let mut by_station = vec![Tally::new(start); stations];
    let mut by_satellite = vec![Tally::new(start); covered.len()];
    let counted = contacts.iter().filter(|c| c.kind == ContactKind::Uplink && c.link == link);
    for c in counted.filter(|c| c.start >= start && c.start < end) {
        let (Node::Station(station), Node::Satellite(satellite)) = (c.from, c.to) else { continue };
        let bytes = c.profile.deliverable_bytes();
        by_station[station as usize].add(c, bytes);
        by_satellite[satellite as usize].add(c, bytes);
    }
    ContactStats {
        start,
        end,
        link,
        stations: by_station.into_iter().map(|t| t.finish(end)).collect(),
        satellites: (by_satellite.into_iter().enumerate())
            .filter(|&(i, _)| covered[i])
            .map(|(i, t)| (i as u32, t.finish(end)))
            .collect(),
    }
}
