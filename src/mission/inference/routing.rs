//! Routing over inter-satellite links: the topology at the current instant and a
//! shortest-delay search over it.
//!
//! The topology is whatever the contact plan holds as [`ContactKind::InterSatellite`]
//! contacts (bidirectional, full duplex), from whichever ISL model produced them.
//! [`IslGraph`] keeps the links up at the simulation's current instant: the event loop
//! only moves forward, so contacts are added as they start and dropped as they end, each
//! once. A link is usable at an instant when its rate profile is non-zero then (laser
//! acquisition at the start of a contact carries nothing).
//!
//! [`Router`] runs Dijkstra over integer nanoseconds from one or several sources, each with
//! a starting cost (the uplink to that satellite), with the caller pricing each hop
//! (propagation + transmission + switching) and scoring each settled satellite as a
//! destination (for a request: queue wait and service time; for an answer: the downlink).
//! It stops as soon as no unsettled node can beat the best destination found, which keeps
//! the search local when the nearest satellites can serve.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::contact::{Contact, ContactKind, ContactPlan, Node};
use crate::time::UtcTime;

/// An ISL contact reduced to what routing needs.
#[derive(Debug, Clone, Copy)]
struct Link {
    a: u32,
    b: u32,
    start: UtcTime,
    end: UtcTime,
    /// Index of the contact in the plan.
    contact: u32,
}

/// The ISL topology at the current instant.
#[derive(Debug, Default)]
pub struct IslGraph {
    links: Vec<Link>,
    next: usize,
    ends: BinaryHeap<Reverse<(UtcTime, u32)>>,
    /// Per satellite: (neighbour, index into `links`) of links up now.
    adjacency: Vec<Vec<(u32, u32)>>,
    has_isl: Vec<bool>,
    now: Option<UtcTime>,
}

impl IslGraph {
    /// The ISL contacts of `plan` (any kind other than inter-satellite is ignored) for a
    /// fleet of `satellites`.
    pub fn from_plan(plan: &ContactPlan, satellites: usize) -> IslGraph {
        let mut links: Vec<Link> = plan
            .contacts
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == ContactKind::InterSatellite)
            .filter_map(|(i, c)| match (c.from, c.to) {
                (Node::Satellite(a), Node::Satellite(b))
                    if a != b && (a as usize) < satellites && (b as usize) < satellites =>
                {
                    Some(Link { a, b, start: c.start, end: c.end, contact: i as u32 })
                }
                _ => None,
            })
            .collect();
        links.sort_by_key(|l| (l.start, l.contact));
        let mut has_isl = vec![false; satellites];
        for l in &links {
            has_isl[l.a as usize] = true;
            has_isl[l.b as usize] = true;
        }
        IslGraph {
            links,
            next: 0,
            ends: BinaryHeap::new(),
            adjacency: vec![Vec::new(); satellites],
            has_isl,
            now: None,
        }
    }

    /// Whether the plan has any ISL contact at all.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Whether satellite `s` has any ISL contact in the plan (if not, it can only talk to
    /// the ground).
    pub fn has_isl(&self, s: u32) -> bool {
        self.has_isl.get(s as usize).copied().unwrap_or(false)
    }

    /// Moves the topology to `t` (never backwards: an earlier `t` is ignored).
    pub fn advance(&mut self, t: UtcTime) {
        if self.now.is_some_and(|n| t <= n) {
            return;
        }
        self.now = Some(t);
        while let Some(&Reverse((end, k))) = self.ends.peek() {
            if end > t {
                break;
            }
            self.ends.pop();
            let l = self.links[k as usize];
            self.adjacency[l.a as usize].retain(|&(_, j)| j != k);
            self.adjacency[l.b as usize].retain(|&(_, j)| j != k);
        }
        while self.next < self.links.len() && self.links[self.next].start <= t {
            let k = self.next as u32;
            let l = self.links[self.next];
            self.next += 1;
            if l.end <= t {
                continue;
            }
            self.adjacency[l.a as usize].push((l.b, k));
            self.adjacency[l.b as usize].push((l.a, k));
            self.ends.push(Reverse((l.end, k)));
        }
    }

    /// Links up at the current instant from `s`: (neighbour, plan contact index).
    pub fn neighbours(&self, s: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.adjacency[s as usize].iter().map(|&(n, k)| (n, self.links[k as usize].contact))
    }

    /// The next instant after `t` at which a link starts, if any (when a waiting message
    /// might find a new path).
    pub fn next_change_after(&self, t: UtcTime) -> Option<UtcTime> {
        let i = self.links.partition_point(|l| l.start <= t);
        let start = self.links.get(i).map(|l| l.start);
        let end = self.ends.peek().map(|Reverse((e, _))| *e).filter(|&e| e > t);
        match (start, end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Whether an ISL contact carries data at `t`.
pub fn link_rate_at(contact: &Contact, t: UtcTime) -> u64 {
    contact.profile.rate_at(t)
}

/// The best destination a search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The source the path starts from.
    pub source: u32,
    /// The destination.
    pub target: u32,
    /// Path cost to the destination (sources' starting cost included), ns.
    pub path_ns: i64,
    /// The destination's own cost on top of the path, ns.
    pub extra_ns: i64,
    /// Inter-satellite hops on the path.
    pub hops: u16,
}

impl Route {
    /// Path plus destination cost, ns.
    pub fn total_ns(&self) -> i64 {
        self.path_ns + self.extra_ns
    }
}

/// Dijkstra over the current topology with reusable buffers (generation-stamped, so a
/// search costs nothing for the nodes it does not touch).
#[derive(Debug, Default)]
pub struct Router {
    dist: Vec<i64>,
    hops: Vec<u16>,
    origin: Vec<u32>,
    stamp: Vec<u32>,
    done: Vec<u32>,
    generation: u32,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    /// Nodes settled over all searches (a cost counter).
    pub settled: u64,
}

impl Router {
    /// A router for `n` satellites.
    pub fn new(n: usize) -> Router {
        Router {
            dist: vec![0; n],
            hops: vec![0; n],
            origin: vec![0; n],
            stamp: vec![0; n],
            done: vec![0; n],
            generation: 0,
            heap: BinaryHeap::new(),
            settled: 0,
        }
    }

    /// Finds the destination with the least path + destination cost.
    ///
    /// - `sources`: (satellite, starting cost in ns).
    /// - `hop`: the cost of sending from one satellite to a neighbour over a plan contact,
    ///   or `None` if that link cannot carry the message now.
    /// - `score`: the destination cost of a settled satellite given its path cost and the
    ///   best total found so far, or `None` if it cannot be a destination (or cannot beat
    ///   that best: the bound lets expensive checks be skipped).
    /// - `min_extra`: a lower bound on any destination cost, so the search can stop once
    ///   `path + min_extra` exceeds the best total.
    /// - `max_hops`: paths longer than this many hops are not explored (a bound on the
    ///   search when nearby servers are busy, and on how far a question is sent).
    ///
    /// Ties go to the lower total, then the lower satellite index, so the result does not
    /// depend on the heap's internal order.
    pub fn search(
        &mut self,
        graph: &IslGraph,
        sources: &[(u32, i64)],
        min_extra: i64,
        max_hops: u16,
        mut hop: impl FnMut(u32, u32, u32) -> Option<i64>,
        mut score: impl FnMut(u32, i64, Option<i64>) -> Option<i64>,
    ) -> Option<Route> {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.done.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        let g = self.generation;
        self.heap.clear();
        for &(s, cost) in sources {
            let i = s as usize;
            if self.stamp[i] != g || cost < self.dist[i] || (cost == self.dist[i] && s < self.origin[i]) {
                self.stamp[i] = g;
                self.dist[i] = cost;
                self.hops[i] = 0;
                self.origin[i] = s;
                self.heap.push(Reverse((cost, s)));
            }
        }
        let mut best: Option<Route> = None;
        while let Some(Reverse((d, u))) = self.heap.pop() {
            let ui = u as usize;
            if self.done[ui] == g || d != self.dist[ui] {
                continue;
            }
            if let Some(b) = best
                && d.saturating_add(min_extra) > b.total_ns()
            {
                break;
            }
            self.done[ui] = g;
            self.settled += 1;
            if let Some(extra) = score(u, d, best.map(|b| b.total_ns())) {
                let candidate =
                    Route { source: self.origin[ui], target: u, path_ns: d, extra_ns: extra, hops: self.hops[ui] };
                let better = match best {
                    None => true,
                    Some(b) => (candidate.total_ns(), candidate.target) < (b.total_ns(), b.target),
                };
                if better {
                    best = Some(candidate);
                }
            }
            if self.hops[ui] >= max_hops {
                continue;
            }
            for (v, contact) in graph.neighbours(u) {
                let vi = v as usize;
                if self.done[vi] == g {
                    continue;
                }
                let Some(cost) = hop(u, v, contact) else { continue };
                let nd = d.saturating_add(cost);
                if self.stamp[vi] != g || nd < self.dist[vi] {
                    self.stamp[vi] = g;
                    self.dist[vi] = nd;
                    self.hops[vi] = self.hops[ui].saturating_add(1);
                    self.origin[vi] = self.origin[ui];
                    self.heap.push(Reverse((nd, v)));
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{RateProfile, RateStep};
    use std::sync::Arc;

    fn isl(a: u32, b: u32, start: i64, end: i64) -> Contact {
        let t0 = UtcTime::from_unix_nanos(start * 1_000_000_000);
        let duration_ms = ((end - start) * 1000) as u32;
        Contact {
            kind: ContactKind::InterSatellite,
            link: 0,
            from: Node::Satellite(a),
            to: Node::Satellite(b),
            start: t0,
            tca: t0,
            end: UtcTime::from_unix_nanos(end * 1_000_000_000),
            max_elevation_deg: f32::NAN,
            profile: RateProfile::new(
                t0,
                duration_ms,
                vec![RateStep { offset_ms: 0, level: 1 }],
                Arc::from([0, 100_000_000_000u64]),
            ),
        }
    }

    #[test]
    fn the_graph_follows_time_and_dijkstra_finds_the_cheapest_server() {
        // A chain 0 - 1 - 2 - 3, with 1 - 3 only from t = 100 s.
        let plan = ContactPlan {
            contacts: vec![isl(0, 1, 0, 1000), isl(1, 2, 0, 1000), isl(2, 3, 0, 1000), isl(1, 3, 100, 1000)],
            ..Default::default()
        };
        let mut g = IslGraph::from_plan(&plan, 5);
        assert!(g.has_isl(0) && !g.has_isl(4));
        let mut router = Router::new(5);
        let t = |s: i64| UtcTime::from_unix_nanos(s * 1_000_000_000);
        g.advance(t(10));
        // Only satellite 3 can serve; each hop costs 10.
        let route = router.search(&g, &[(0, 5)], 0, 16, |_, _, _| Some(10), |s, _, _| (s == 3).then_some(100)).unwrap();
        assert_eq!((route.target, route.hops, route.path_ns, route.source), (3, 3, 35, 0));
        g.advance(t(200));
        let route = router.search(&g, &[(0, 5)], 0, 16, |_, _, _| Some(10), |s, _, _| (s == 3).then_some(100)).unwrap();
        assert_eq!((route.target, route.hops, route.path_ns), (3, 2, 25));
        // Two servers: the nearer is preferred unless its own cost is higher.
        let route = router.search(
            &g,
            &[(0, 0)],
            0,
            16,
            |_, _, _| Some(10),
            |s, _, _| match s {
                1 => Some(1000),
                3 => Some(100),
                _ => None,
            },
        );
        assert_eq!(route.unwrap().target, 3);
        // A hop limit of 1 cannot reach satellite 3 from 0.
        assert!(router.search(&g, &[(0, 0)], 0, 1, |_, _, _| Some(10), |s, _, _| (s == 3).then_some(1)).is_none());
        // Isolated satellite: only itself.
        let route = router.search(&g, &[(4, 7)], 0, 16, |_, _, _| Some(10), |s, _, _| Some(s as i64));
        assert_eq!(route.unwrap().total_ns(), 11);
        g.advance(t(1000));
        assert_eq!(g.neighbours(1).count(), 0);
        assert_eq!(g.next_change_after(t(1000)), None);
    }
}
