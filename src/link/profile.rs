//! Piecewise-constant rate profiles of contacts, and exact byte accounting over them.
//!
//! Representation (compact, since a contact plan can hold millions of contacts): a start
//! instant, a duration in whole milliseconds, and steps `{offset_ms: u32, level: u8}`
//! (5 bytes each) indexing a rate table shared by every profile of the same
//! [`LinkBudget`] (`Arc<[u64]>`, level 0 = no data). A typical LEO pass with ACM has 10–30
//! steps, so a profile costs about 100–200 bytes. The steps and rate tables live in a store
//! shared by the profiles built together ([`ProfileBatch`]: a satellite's ground contacts),
//! so a plan of millions of contacts makes one allocation per satellite, and a profile
//! itself is 32 bytes (a contact plan holds it once per contact). Offsets are `u32` milliseconds,
//! so one profile spans at most 49.7 days (longer windows are clipped; split them first).
//!
//! Byte accounting is integer and cumulative: B(τ) = ⌊Σ rate_bps · overlap_ms(step, [0, τ])
//! / 8000⌋ is the number of whole bytes delivered in the first τ ms. Then
//! [`RateProfile::deliverable_bytes`] is B(duration), the profile's integral to the byte,
//! and [`RateProfile::bytes_between`] is B(τ₁) − B(τ₀), so sums over adjacent
//! sub-intervals telescope and never exceed the whole.

use std::sync::Arc;

use super::budget::{GeometryKnot, LinkBudget};
use crate::numeric::{Bracket, HermiteCubic, Safeguard, Start, Tolerance, locate_root};
use crate::time::UtcTime;

const NANOS_PER_MS: i64 = 1_000_000;

/// One step of a rate profile: from `offset_ms` after the profile start until the next
/// step (or the end), the link runs at rate-table entry `level`. Packed to 5 bytes: a
/// 30-day plan of a large fleet holds tens of millions of steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C, packed)]
pub struct RateStep {
    /// Milliseconds after the profile start.
    pub offset_ms: u32,
    /// Index into the profile's rate table (0 = no data).
    pub level: u8,
}

/// A contact's data rate against time: piecewise constant, in whole milliseconds.
#[derive(Debug, Clone)]
pub struct RateProfile {
    start: UtcTime,
    /// Steps and rate tables, shared by the profiles built together by a [`ProfileBatch`]
    /// (a satellite's contacts then cost one allocation, and one free, instead of one each).
    store: Arc<ProfileStore>,
    duration_ms: u32,
    /// The steps are `store.steps[first..first + len]`: non-empty; first offset 0; offsets
    /// strictly increasing and below `duration_ms` (unless the duration is 0); adjacent
    /// levels differ.
    first: u32,
    len: u32,
    /// Index of the profile's rate table in `store.rates`.
    table: u32,
}

/// The steps and rate tables of one or more profiles.
#[derive(Debug)]
struct ProfileStore {
    steps: Box<[RateStep]>,
    rates: Box<[Arc<[u64]>]>,
}

impl PartialEq for RateProfile {
    fn eq(&self, other: &Self) -> bool {
        self.start == other.start
            && self.duration_ms == other.duration_ms
            && self.steps() == other.steps()
            && self.rate_table() == other.rate_table()
    }
}

impl RateProfile {
    /// Builds a profile from steps (any order of construction is fine: steps are sorted by
    /// offset, later duplicates win, steps at or past the end are dropped, equal neighbours
    /// merge, and level 0 fills any gap before the first step).
    ///
    /// # Panics
    /// If a step's level has no entry in `rates`.
    pub fn new(
        start: UtcTime,
        duration_ms: u32,
        steps: impl IntoIterator<Item = RateStep>,
        rates: Arc<[u64]>,
    ) -> RateProfile {
        let mut raw: Vec<RateStep> = steps.into_iter().collect();
        raw.sort_by_key(|s| s.offset_ms);
        let mut out: Vec<RateStep> = vec![RateStep { offset_ms: 0, level: 0 }];
        for s in raw {
            assert!((s.level as usize) < rates.len(), "rate level {} outside a table of {}", s.level, rates.len());
            if s.offset_ms >= duration_ms && duration_ms > 0 {
                continue;
            }
            push_step(&mut out, s);
        }
        RateProfile::from_steps(start, duration_ms, &out, rates)
    }

    /// A profile owning its steps, which must keep the invariants.
    fn from_steps(start: UtcTime, duration_ms: u32, steps: &[RateStep], rates: Arc<[u64]>) -> RateProfile {
        let store = ProfileStore { steps: Box::from(steps), rates: Box::new([rates]) };
        RateProfile { start, store: Arc::new(store), duration_ms, first: 0, len: steps.len() as u32, table: 0 }
    }

    /// A profile of `duration_ms` with no data at all.
    pub fn empty(start: UtcTime, duration_ms: u32, rates: Arc<[u64]>) -> RateProfile {
        RateProfile::new(start, duration_ms, [], rates)
    }

    /// Contact start (AOS).
    pub fn start(&self) -> UtcTime {
        self.start
    }

    /// Contact end: start + duration.
    pub fn end(&self) -> UtcTime {
        self.start.plus_nanos(self.duration_ms as i64 * NANOS_PER_MS)
    }

    /// Whole contact length, ms.
    pub fn duration_ms(&self) -> u32 {
        self.duration_ms
    }

    /// The steps (level indices into [`RateProfile::rate_table`]).
    pub fn steps(&self) -> &[RateStep] {
        &self.store.steps[self.first as usize..(self.first + self.len) as usize]
    }

    /// Rates by level, bit/s; shared with the [`LinkBudget`] that built the profile.
    pub fn rate_table(&self) -> &Arc<[u64]> {
        &self.store.rates[self.table as usize]
    }

    /// The profile as `(from, to, rate_bps)` segments covering [start, end].
    pub fn segments(&self) -> impl Iterator<Item = (UtcTime, UtcTime, u64)> + '_ {
        let rates = self.rate_table();
        self.steps().iter().enumerate().map(|(i, s)| {
            let to = self.step_end_ms(i);
            (self.at_ms(s.offset_ms), self.at_ms(to), rates[s.level as usize])
        })
    }

    /// Rate at instant `t`, bit/s (0 outside the profile).
    pub fn rate_at(&self, t: UtcTime) -> u64 {
        if t < self.start || t >= self.end() {
            return 0;
        }
        let off = self.offset_ms(t);
        let i = self.steps().partition_point(|s| s.offset_ms <= off) - 1;
        self.rate_table()[self.steps()[i].level as usize]
    }

    /// First instant with a non-zero rate, if any.
    pub fn data_start(&self) -> Option<UtcTime> {
        let rates = self.rate_table();
        self.steps().iter().find(|s| rates[s.level as usize] > 0).map(|s| self.at_ms(s.offset_ms))
    }

    /// Highest rate in the profile, bit/s.
    pub fn peak_rate_bps(&self) -> u64 {
        let rates = self.rate_table();
        self.steps().iter().map(|s| rates[s.level as usize]).max().unwrap_or(0)
    }

    /// Time-averaged rate over the whole contact (setup and low-elevation time included),
    /// bit/s.
    pub fn mean_rate_bps(&self) -> f64 {
        if self.duration_ms == 0 {
            return 0.0;
        }
        self.bit_ms_until(self.duration_ms) as f64 / self.duration_ms as f64
    }

    /// Whole bytes the contact can carry: ⌊∫ rate dt / 8⌋, exact in integer arithmetic.
    pub fn deliverable_bytes(&self) -> u64 {
        self.bytes_until_ms(self.duration_ms)
    }

    /// Bytes deliverable between two instants (clamped to the profile; 0 if `to <= from`):
    /// B(to) − B(from) with the cumulative B of the module docs, so adjacent intervals add
    /// up exactly and never exceed [`RateProfile::deliverable_bytes`]. Instants are taken
    /// at millisecond resolution (rounded down).
    pub fn bytes_between(&self, from: UtcTime, to: UtcTime) -> u64 {
        if to <= from {
            return 0;
        }
        self.bytes_until_ms(self.offset_ms(to)) - self.bytes_until_ms(self.offset_ms(from))
    }

    /// The earliest instant by which `bytes` more bytes have been delivered counting from
    /// `from` (consistent with [`RateProfile::bytes_between`]: `bytes_between(from, t) >=
    /// bytes` at the returned `t`, and not one millisecond earlier). `None` if the profile
    /// ends first.
    pub fn time_to_deliver(&self, from: UtcTime, bytes: u64) -> Option<UtcTime> {
        let from_ms = self.offset_ms(from);
        let target_bit_ms = (self.bytes_until_ms(from_ms) as u128 + bytes as u128) * 8000;
        if bytes == 0 {
            return Some(self.at_ms(from_ms));
        }
        let rates = self.rate_table();
        let mut acc: u128 = 0;
        for (i, s) in self.steps().iter().enumerate() {
            let end = self.step_end_ms(i);
            let rate = rates[s.level as usize] as u128;
            let span = (end - s.offset_ms) as u128;
            if acc + rate * span >= target_bit_ms && rate > 0 {
                let need = target_bit_ms.saturating_sub(acc);
                let ms = s.offset_ms as u128 + need.div_ceil(rate);
                return Some(self.at_ms(ms.max(from_ms as u128) as u32));
            }
            acc += rate * span;
        }
        None
    }

    /// The part of the profile over [from_ms, to_ms) after its start (clamped to it), as a
    /// profile of its own starting at `from_ms`: what is left of a contact when a failure
    /// cuts it.
    pub fn part(&self, from_ms: u32, to_ms: u32) -> RateProfile {
        let to_ms = to_ms.min(self.duration_ms);
        let from_ms = from_ms.min(to_ms);
        let steps = self.steps();
        let first = steps.partition_point(|s| s.offset_ms <= from_ms) - 1;
        let mut out = vec![RateStep { offset_ms: 0, level: steps[first].level }];
        for s in &steps[first + 1..] {
            if s.offset_ms >= to_ms {
                break;
            }
            out.push(RateStep { offset_ms: s.offset_ms - from_ms, level: s.level });
        }
        RateProfile::from_steps(self.at_ms(from_ms), to_ms - from_ms, &out, self.rate_table().clone())
    }

    fn at_ms(&self, offset_ms: u32) -> UtcTime {
        self.start.plus_nanos(offset_ms as i64 * NANOS_PER_MS)
    }

    fn offset_ms(&self, t: UtcTime) -> u32 {
        let ns = t.unix_nanos() - self.start.unix_nanos();
        (ns.div_euclid(NANOS_PER_MS)).clamp(0, self.duration_ms as i64) as u32
    }

    fn step_end_ms(&self, i: usize) -> u32 {
        self.steps().get(i + 1).map_or(self.duration_ms, |s| s.offset_ms)
    }

    /// Σ rate_bps · ms over [0, offset_ms): bits × 1000.
    fn bit_ms_until(&self, offset_ms: u32) -> u128 {
        let rates = self.rate_table();
        let mut acc: u128 = 0;
        for (i, s) in self.steps().iter().enumerate() {
            if s.offset_ms >= offset_ms {
                break;
            }
            let end = self.step_end_ms(i).min(offset_ms);
            acc += rates[s.level as usize] as u128 * (end - s.offset_ms) as u128;
        }
        acc
    }

    fn bytes_until_ms(&self, offset_ms: u32) -> u64 {
        (self.bit_ms_until(offset_ms) / 8000) as u64
    }
}

/// Appends a step keeping the invariants: a step at the same offset replaces the last one,
/// and a step repeating the current level is dropped.
fn push_step(out: &mut Vec<RateStep>, s: RateStep) {
    let last = *out.last().expect("non-empty");
    if s.offset_ms == last.offset_ms {
        out.pop();
        if out.last().is_some_and(|p| p.level == s.level) {
            return;
        }
        out.push(s);
    } else if s.level != last.level {
        out.push(s);
    }
}

/// One evaluation of the geometry: seconds after the contact start, elevation, and the
/// link-quality metric.
#[derive(Debug, Clone, Copy)]
struct Sample {
    t: f64,
    el: f64,
    m: f64,
}

/// Inserts into a list sorted by descending time (new samples land near the end).
fn insert_by_time(pending: &mut Vec<Sample>, s: Sample) {
    let at = pending.iter().rposition(|p| p.t > s.t).map_or(0, |k| k + 1);
    pending.insert(at, s);
}

/// Stop refining a crossing once a secant step, or the bracket, is this short, s.
const CROSSING_TOLERANCE: Tolerance = Tolerance { bracket: 0.05, step: 0.05, safeguard: Safeguard::Illinois };

struct Sampler<'a, G> {
    budget: &'a LinkBudget,
    start: UtcTime,
    geometry: &'a G,
}

impl<G: Fn(UtcTime) -> (f64, f64)> Sampler<'_, G> {
    fn eval(&self, t: f64) -> Sample {
        let (el, range_km) = (self.geometry)(self.start.plus_nanos((t * 1e9).round() as i64));
        Sample { t, el, m: self.budget.metric(el, range_km) }
    }

    /// Time in [a.t, b.t] where `value(sample) − target` changes sign (b.t if it does not),
    /// and the local slope there (value per second).
    ///
    /// Secant steps from `seed` (a guess and the slope there, such as the previous
    /// crossing's extrapolated) when given, else from regula falsi with the chord's slope,
    /// safeguarded by the bracket ([`locate_root`]). Smooth passes converge in one to three
    /// evaluations. Every evaluation is offered to `keep`, so later crossings can start
    /// from tighter brackets.
    fn crossing(
        &self,
        a: Sample,
        b: Sample,
        target: f64,
        value: fn(&Sample) -> f64,
        seed: Option<(f64, f64)>,
        mut keep: impl FnMut(Sample),
    ) -> (f64, f64) {
        let (ga, gb) = (value(&a) - target, value(&b) - target);
        let chord = (gb - ga) / (b.t - a.t);
        if ga == 0.0 {
            return (a.t, chord);
        }
        if gb == 0.0 || ga.signum() == gb.signum() {
            return (b.t, chord);
        }
        let start = match seed {
            Some((guess, slope)) => Start { guess: Some(guess), slope: Some(slope) },
            None => Start { guess: None, slope: Some(chord) },
        };
        let bracket = Bracket { lo: a.t, f_lo: ga, hi: b.t, f_hi: gb };
        let root = locate_root(bracket, start, CROSSING_TOLERANCE, |t| {
            let s = self.eval(t);
            keep(s);
            (value(&s) - target, f64::NAN)
        });
        (root.x, root.slope.unwrap_or(chord))
    }

    /// Steps for a stretch [a, b] on which the metric is monotone: the level at `a`, then
    /// one step per rung threshold crossed, in time order.
    ///
    /// Crossings are solved left to right, so only samples later than the last crossing
    /// matter: they wait in `pending`, sorted by descending time so that the next bracket
    /// is at the end (cheap to pop, cheap to insert near).
    fn monotone_segment(&self, a: Sample, b: Sample, steps: &mut Vec<(f64, usize)>) {
        let budget = self.budget;
        let la = budget.level_for_metric(a.m);
        let lb = budget.level_for_metric(b.m);
        steps.push((a.t, la));
        if la == lb {
            return;
        }
        let rising = lb > la;
        let mut pending: Vec<Sample> = Vec::with_capacity(32);
        pending.push(b);
        let mut lo = a;
        let mut last: Option<(f64, f64, f64)> = None;
        let count = la.abs_diff(lb);
        for i in 0..count {
            // Rising: rung la+1+i becomes available; falling: rung la−i is lost.
            let (rung, new_level) = if rising { (la + 1 + i, la + 1 + i) } else { (la - i, la - i - 1) };
            let threshold = budget.levels()[rung - 1].threshold;
            let before = |s: &Sample| (s.m >= threshold) != rising;
            while pending.len() > 1 && pending.last().is_some_and(before) {
                lo = pending.pop().expect("non-empty");
            }
            let hi = *pending.last().expect("segment end stays pending");
            // Rungs are close together: the previous crossing, extrapolated with its local
            // slope, seeds the secant, which then usually lands within a few ms.
            let seed = last.map(|(t_prev, m_prev, slope)| (t_prev + (threshold - m_prev) / slope, slope));
            let (t, slope) = self.crossing(lo, hi, threshold, |s| s.m, seed, |s| insert_by_time(&mut pending, s));
            last = Some((t, threshold, slope));
            steps.push((t, new_level));
        }
    }
}

impl LinkBudget {
    /// The rate profile of one contact.
    ///
    /// `start`/`end` bound the contact window (e.g. AOS/LOS above the station mask),
    /// `tca` is the time of closest approach inside it, and `geometry(t)` returns
    /// (elevation °, range km) at `t`. The geometry must be monotone on each half: elevation
    /// rising and range falling up to `tca`, the reverse after (true of LEO passes; for
    /// inter-satellite links elevation is ignored). Data flows from the later of
    /// `start + setup_time_s` and the time elevation reaches `min_elevation_deg`, until
    /// elevation falls below it again; within that, the level changes exactly where the
    /// link metric crosses a rung threshold, found by bracketed root-finding on each
    /// monotone half (change times within ~0.05 s, about two geometry calls per change),
    /// and rounded to the millisecond.
    pub fn rate_profile<G>(&self, start: UtcTime, tca: UtcTime, end: UtcTime, geometry: G) -> RateProfile
    where
        G: Fn(UtcTime) -> (f64, f64),
    {
        let rates = self.rate_table().clone();
        let span_ns = end.unix_nanos() - start.unix_nanos();
        if span_ns <= 0 {
            return RateProfile::empty(start, 0, rates);
        }
        let duration_ms = ((span_ns + NANOS_PER_MS / 2) / NANOS_PER_MS).min(u32::MAX as i64) as u32;
        let total_s = duration_ms as f64 / 1000.0;
        let tca_s = tca.seconds_since(start).clamp(0.0, total_s);
        let sampler = Sampler { budget: self, start, geometry: &geometry };
        let peak = sampler.eval(tca_s);
        let ground = self.params().is_ground_link();
        let min_el = self.params().min_elevation_deg;
        // The metric peaks at TCA: nothing there means nothing anywhere.
        if self.level_for_metric(peak.m) == 0 || (ground && peak.el < min_el) {
            return RateProfile::empty(start, duration_ms, rates);
        }
        let mut up = sampler.eval(0.0);
        let mut down = sampler.eval(total_s);
        if ground {
            let elevation = |s: &Sample| s.el;
            // Data starts and ends at the elevation crossings (within the crossing
            // tolerance).
            let at_crossing = |a: Sample, b: Sample| {
                let (t, _) = sampler.crossing(a, b, min_el, elevation, None, |_| {});
                sampler.eval(t)
            };
            if up.el < min_el {
                up = at_crossing(up, peak);
            }
            if down.el < min_el {
                down = at_crossing(peak, down);
            }
        }
        let setup_s = self.params().setup_time_s;
        if setup_s > up.t {
            if setup_s >= down.t {
                return RateProfile::empty(start, duration_ms, rates);
            }
            up = sampler.eval(setup_s);
        }
        if up.t >= down.t {
            return RateProfile::empty(start, duration_ms, rates);
        }

        let mut steps: Vec<(f64, usize)> = Vec::with_capacity(48);
        if up.t < peak.t && peak.t < down.t {
            sampler.monotone_segment(up, peak, &mut steps);
            sampler.monotone_segment(peak, down, &mut steps);
        } else {
            sampler.monotone_segment(up, down, &mut steps);
        }
        steps.push((down.t, 0));

        let to_ms = |t: f64| ((t * 1000.0).round().max(0.0) as u64).min(duration_ms as u64) as u32;
        RateProfile::new(
            start,
            duration_ms,
            steps.into_iter().map(|(t, level)| RateStep { offset_ms: to_ms(t), level: level as u8 }),
            rates,
        )
    }
}

impl LinkBudget {
    /// The rate profile of one contact from geometry knots: instants (at least the window's
    /// ends and the time of closest approach) where elevation, range and their rates are
    /// known. Between knots the link metric is modelled by the cubic through the two knots'
    /// values and time derivatives, and level changes are placed where that cubic crosses a
    /// rung threshold; the start and end of data (setup time, minimum elevation) likewise.
    ///
    /// This is the contact-plan builder's fast path (through [`ProfileBatch`]): geometry is
    /// evaluated only at the knots (every 30–60 s of a pass), not at every change. With
    /// knots at most 45 s apart, change times agree with [`LinkBudget::rate_profile`] to
    /// well under a second and deliverable bytes to about 0.1 % (tested).
    pub fn rate_profile_from_knots(&self, start: UtcTime, end: UtcTime, knots: &[GeometryKnot]) -> RateProfile {
        let mut steps = Vec::new();
        let duration_ms = self.steps_from_knots(start, end, knots, &mut steps);
        RateProfile::from_steps(start, duration_ms, &steps, self.rate_table().clone())
    }

    /// The steps of [`LinkBudget::rate_profile_from_knots`], written to `steps` (cleared
    /// first); returns the profile's duration, ms.
    fn steps_from_knots(&self, start: UtcTime, end: UtcTime, knots: &[GeometryKnot], steps: &mut Vec<RateStep>) -> u32 {
        steps.clear();
        steps.push(RateStep { offset_ms: 0, level: 0 });
        let span_ns = end.unix_nanos() - start.unix_nanos();
        if span_ns <= 0 || knots.len() < 2 {
            return 0;
        }
        let duration_ms = ((span_ns + NANOS_PER_MS / 2) / NANOS_PER_MS).min(u32::MAX as i64) as u32;
        let ground = self.params().is_ground_link();
        let min_el = self.params().min_elevation_deg;
        let setup_s = self.params().setup_time_s;
        // Round half up to whole milliseconds; negative times saturate to 0 in the cast.
        // (`f64::round` is a libm call on baseline x86-64, and this runs per step.)
        let to_ms = |t: f64| ((t * 1000.0 + 0.5) as u64).min(duration_ms as u64) as u32;
        let mut data = false;
        let mut level = 0usize;
        let push = |steps: &mut Vec<RateStep>, t: f64, level: usize| {
            push_step(steps, RateStep { offset_ms: to_ms(t), level: level as u8 })
        };
        let mut metric_b = self.metric_and_rate(&knots[0]);
        for pair in knots.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let metric_a = metric_b;
            metric_b = self.metric_and_rate(b);
            if b.t <= a.t {
                continue;
            }
            let metric = HermiteCubic::new(a.t, metric_a.0, metric_a.1, b.t, metric_b.0, metric_b.1);
            // Data may flow on [lo, hi] within this interval: after setup, above the
            // minimum elevation.
            let mut lo = a.t.max(setup_s);
            let mut hi = b.t;
            if ground {
                let above_a = a.elevation_deg >= min_el;
                let above_b = b.elevation_deg >= min_el;
                if !above_a && !above_b {
                    lo = f64::INFINITY;
                } else if above_a != above_b {
                    let el = HermiteCubic::new(
                        a.t,
                        a.elevation_deg,
                        a.elevation_rate_deg_s,
                        b.t,
                        b.elevation_deg,
                        b.elevation_rate_deg_s,
                    );
                    let cross = el.crossing(min_el);
                    if above_a { hi = hi.min(cross) } else { lo = lo.max(cross) }
                }
            }
            if lo >= hi {
                if data {
                    push(steps, a.t.max(lo.min(b.t)), 0);
                    data = false;
                    level = 0;
                }
                continue;
            }
            let level_lo = self.level_for_metric_near(metric.value_at(lo), level);
            if !data || level_lo != level {
                push(steps, lo, level_lo);
                data = true;
                level = level_lo;
            }
            let level_hi = self.level_for_metric_near(metric.value_at(hi), level);
            // Every rung threshold between the two levels is crossed once on a monotone
            // piece, in order.
            while level != level_hi {
                let rising = level_hi > level;
                let rung = if rising { level + 1 } else { level };
                let t = metric.crossing(self.levels()[rung - 1].threshold).clamp(lo, hi);
                level = if rising { level + 1 } else { level - 1 };
                push(steps, t, level);
            }
            if hi < b.t {
                push(steps, hi, 0);
                data = false;
                level = 0;
            }
        }
        // Steps were pushed in time order with the invariants kept: no re-sorting needed.
        steps.retain(|s| s.offset_ms < duration_ms || s.offset_ms == 0);
        duration_ms
    }
}

/// Rate profiles built together (a satellite's ground contacts, say) into one shared store
/// of steps: a plan of millions of contacts then makes one allocation per batch rather than
/// one per contact, and frees them as fast.
pub struct ProfileBatch {
    store: Vec<RateStep>,
    /// The rate tables of the profiles so far, each once (a batch's profiles come from a
    /// handful of link budgets).
    rates: Vec<Arc<[u64]>>,
    entries: Vec<BatchEntry>,
    scratch: Vec<RateStep>,
}

struct BatchEntry {
    start: UtcTime,
    duration_ms: u32,
    first: u32,
    len: u32,
    table: u32,
}

/// Where every batch keeps the one step of a profile without data.
const NO_DATA_STEP: u32 = 0;

impl Default for ProfileBatch {
    fn default() -> Self {
        ProfileBatch {
            store: vec![RateStep { offset_ms: 0, level: 0 }],
            rates: Vec::new(),
            entries: Vec::new(),
            scratch: Vec::with_capacity(64),
        }
    }
}

impl ProfileBatch {
    /// Adds the profile [`LinkBudget::rate_profile_from_knots`] would build; returns its
    /// index in the batch.
    pub fn push_from_knots(
        &mut self,
        budget: &LinkBudget,
        start: UtcTime,
        end: UtcTime,
        knots: &[GeometryKnot],
    ) -> usize {
        let duration_ms = budget.steps_from_knots(start, end, knots, &mut self.scratch);
        let first = u32::try_from(self.store.len()).expect("a profile batch holds under 2³² steps");
        self.store.extend_from_slice(&self.scratch);
        let rates = budget.rate_table();
        let table = match self.rates.iter().position(|r| Arc::ptr_eq(r, rates)) {
            Some(table) => table,
            None => {
                self.rates.push(rates.clone());
                self.rates.len() - 1
            }
        };
        self.entries.push(BatchEntry {
            start,
            duration_ms,
            first,
            len: self.scratch.len() as u32,
            table: table as u32,
        });
        self.entries.len() - 1
    }

    /// Takes all data out of profile `index`, keeping its window (a contact lost to cloud).
    pub fn clear_data(&mut self, index: usize) {
        let entry = &mut self.entries[index];
        entry.first = NO_DATA_STEP;
        entry.len = 1;
    }

    /// The profiles, in the order they were added.
    pub fn finish(self) -> impl Iterator<Item = RateProfile> {
        let store =
            Arc::new(ProfileStore { steps: self.store.into_boxed_slice(), rates: self.rates.into_boxed_slice() });
        self.entries.into_iter().map(move |e| RateProfile {
            start: e.start,
            store: store.clone(),
            duration_ms: e.duration_ms,
            first: e.first,
            len: e.len,
            table: e.table,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Arc<[u64]> {
        Arc::from(vec![0u64, 1_000, 8_000, 1_000_003])
    }

    #[test]
    fn a_profile_is_small() {
        // A contact plan holds millions of them: steps and tables live in the shared store.
        assert_eq!(std::mem::size_of::<RateProfile>(), 32);
    }

    #[test]
    fn normalisation() {
        let t0 = UtcTime::from_unix_nanos(0);
        let p = RateProfile::new(
            t0,
            10_000,
            [
                RateStep { offset_ms: 5_000, level: 2 },
                RateStep { offset_ms: 1_000, level: 1 },
                RateStep { offset_ms: 2_000, level: 1 },
                RateStep { offset_ms: 5_000, level: 3 },
                RateStep { offset_ms: 12_000, level: 2 },
            ],
            table(),
        );
        assert_eq!(
            p.steps(),
            &[
                RateStep { offset_ms: 0, level: 0 },
                RateStep { offset_ms: 1_000, level: 1 },
                RateStep { offset_ms: 5_000, level: 3 },
            ]
        );
        assert_eq!(p.peak_rate_bps(), 1_000_003);
    }

    #[test]
    fn bytes_are_the_integral() {
        let t0 = UtcTime::from_unix_nanos(1_000_000_000);
        let p = RateProfile::new(
            t0,
            10_001,
            [RateStep { offset_ms: 1_000, level: 1 }, RateStep { offset_ms: 5_000, level: 3 }],
            table(),
        );
        // 4 s at 1000 bit/s + 5.001 s at 1,000,003 bit/s = 4000 + 5,001,015.003 bits.
        let bits_ms: u128 = 1_000 * 4_000 + 1_000_003 * 5_001;
        assert_eq!(p.deliverable_bytes(), (bits_ms / 8000) as u64);
        let mid = t0.plus_nanos(7_123_456_789);
        assert_eq!(p.bytes_between(p.start(), mid) + p.bytes_between(mid, p.end()), p.deliverable_bytes());
        let t = p.time_to_deliver(mid, 100_000).unwrap();
        assert!(p.bytes_between(mid, t) >= 100_000);
        assert!(p.bytes_between(mid, t.plus_nanos(-1_000_000)) < 100_000);
        assert!(p.time_to_deliver(mid, p.deliverable_bytes()).is_none());
        assert_eq!(p.rate_at(t0.plus_nanos(999_999_999)), 0);
        assert_eq!(p.rate_at(t0.plus_nanos(1_000_000_000)), 1_000);
        assert_eq!(p.data_start(), Some(t0.plus_nanos(1_000_000_000)));
    }
}
