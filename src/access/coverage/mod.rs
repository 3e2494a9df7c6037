//! Coverage and revisit: for every point of a grid, when it is seen by at least k
//! satellites, how long the gaps are, how many satellites are in view.
//!
//! Visibility is event-exact, as for passes: every rise and set of a satellite over a
//! point's elevation mask is refined to 1 ms with [`crate::numeric::bracketed_root`], and
//! the statistics come from sweeping those events in time order, so they hold no sampling
//! error. What makes a global grid against thousands of satellites affordable:
//!
//! 1. **One propagation per sample, every point from it.** The window is cut into blocks;
//!    in each, every satellite is propagated once per sample (spaced by at most
//!    [`MAX_ARC_PER_STEP_RAD`] of orbital arc), in parallel, and kept as Earth-fixed
//!    position and velocity, between which a cubic Hermite interpolant is within a metre
//!    of SGP4 (well under a millisecond of rise or set time).
//! 2. **Only samples near a point's visibility cone are looked at.** A satellite at radius
//!    r is above a point's mask ε only within the Earth-central angle
//!    `λ = acos(R·cos ε / r) − ε` of it. Samples are filed by the direction of the
//!    satellite in cells of a few degrees; each point reads the cells within the largest
//!    `λ` plus one step of motion, and keeps a segment (two consecutive samples) only
//!    when the satellite can cross the cone's edge inside it: the rim of the cone is an
//!    annulus a few degrees wide, and a point sees most satellites well inside or far
//!    outside it.
//! 3. **Tiles of points, in parallel.** Points are grouped in tiles a few degrees across
//!    and a tile's points are searched together, so each segment near them is read from
//!    memory once (memory latency, not arithmetic, bounds this search). A point's rises
//!    and sets in a block are refined, sorted and swept into its running statistics;
//!    points are independent, so the result does not depend on the thread count.
//!
//! Definitions (window of length T, `n(t)` satellites in view):
//! * share covered: the fraction of T with `n(t) ≥ k`;
//! * gaps: the maximal stretches with `n(t) < k`, including those cut by the window's
//!   start or end (a point never covered has one gap of T); mean gap = their total time
//!   over their number (0 without gaps);
//! * mean and maximum in view: `∫ n dt / T` and `max n(t)`;
//! * time to first access: the first instant with `n(t) ≥ k`, from the window's start.
//!
//! Ties between a set and a rise at the same instant count the rise first, so a hand-over
//! between two satellites leaves no zero-length gap.

pub mod grid;

use nalgebra::Vector3;
use rayon::prelude::*;

use super::passes::{Retirement, Window};
use crate::constants::{EARTH_ROTATION_RAD_S, WGS72_MU_KM3_S2, WGS84_A_KM, WGS84_F};
use crate::frames::{Geodetic, Topocentric, teme_to_ecef};
use crate::numeric::{Bracket, HermiteCubic, Start, Tolerance, bracketed_root};
use crate::orbit::Satellite;
pub use grid::{CoverageConfig, CoverageSpec, FigureOfMerit, GridKind, GridPoint};

/// Largest orbital arc between two samples, radians: a cubic Hermite interpolant through
/// Earth-fixed positions and velocities then errs by about `r·(0.08)⁴/384`, under a metre.
pub const MAX_ARC_PER_STEP_RAD: f64 = 0.08;
const MIN_STEP_S: f64 = 5.0;
const MAX_STEP_S: f64 = 300.0;
/// Rise and set times are refined to this, seconds.
const TIME_TOLERANCE_S: f64 = 1e-3;
/// A culmination only decides whether a short pass reaches the mask: 10 ms is plenty.
const PEAK_TOLERANCE_S: f64 = 1e-2;
/// Slack on visibility cones for the interpolant's departure from a great circle between
/// samples and for rounding, radians.
const CONE_MARGIN_RAD: f64 = 0.01;
/// The geodetic vertical departs from the geocentric by at most 0.19°.
const VERTICAL_ALLOWANCE_DEG: f64 = 0.2;
/// Slack on the orbit radius between samples, km.
const RADIUS_SLACK_KM: f64 = 2.0;
/// Height of the cells samples are filed in, degrees.
const CELL_DEG: f64 = 3.0;
/// Samples held at once (satellites × samples per block): about 150 MB with the index.
const BLOCK_SAMPLES: usize = 1_500_000;

/// A point's coverage over the window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PointStats {
    /// Time seen by at least k satellites, seconds.
    pub covered_s: f64,
    /// Stretches seen by fewer than k satellites: their number, total and longest, seconds.
    pub gaps: u32,
    pub gap_total_s: f64,
    pub max_gap_s: f64,
    /// Integral of the number of satellites in view over the window, satellite-seconds.
    pub in_view_s: f64,
    pub max_in_view: u32,
    /// Seconds from the window's start to the first instant seen by k satellites.
    pub first_access_s: Option<f64>,
    /// Visibility intervals of single satellites (in progress at the start, or begun).
    pub accesses: u64,
}

impl PointStats {
    pub fn share(&self, window_s: f64) -> f64 {
        self.covered_s / window_s
    }

    pub fn mean_gap_s(&self) -> f64 {
        if self.gaps == 0 { 0.0 } else { self.gap_total_s / self.gaps as f64 }
    }

    pub fn mean_in_view(&self, window_s: f64) -> f64 {
        self.in_view_s / window_s
    }

    /// The value of a figure of merit (None: never covered, for the time to first access).
    pub fn figure(&self, figure: FigureOfMerit, window_s: f64) -> Option<f64> {
        match figure {
            FigureOfMerit::Share => Some(self.share(window_s)),
            FigureOfMerit::MeanGap => Some(self.mean_gap_s()),
            FigureOfMerit::MaxGap => Some(self.max_gap_s),
            FigureOfMerit::MeanInView => Some(self.mean_in_view(window_s)),
            FigureOfMerit::MaxInView => Some(self.max_in_view as f64),
            FigureOfMerit::FirstAccess => self.first_access_s,
        }
    }
}

/// The analysis of one grid.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// One per grid point, in grid order.
    pub stats: Vec<PointStats>,
    pub retirements: Vec<Retirement>,
    /// Spacing of the satellite samples, seconds.
    pub step_s: f64,
}

/// Analyses `points` seen from `satellites` over `window` with one elevation mask and a
/// coverage level of `k` satellites. `on_progress` gets the seconds of the window done.
pub fn analyse(
    satellites: &[Satellite],
    points: &[GridPoint],
    min_elevation_deg: f64,
    k: u32,
    window: Window,
    on_progress: &(dyn Fn(f64) + Sync),
) -> Coverage {
    let end_s = window.duration_s();
    let step_s = sample_step(satellites);
    let last_sample = (end_s / step_s).ceil().max(1.0) as usize;
    let time_of = |j: usize| if j == last_sample { end_s } else { j as f64 * step_s };
    let per_block = (BLOCK_SAMPLES / satellites.len().max(1)).max(2);
    let mask_rad = min_elevation_deg.to_radians();
    let sin_mask = mask_rad.sin();
    let tiles = Tiles::new(points, sin_mask);
    let mut sweeps = vec![Sweep::new(k); points.len()];
    let mut retirements: Vec<Option<Retirement>> = vec![None; satellites.len()];
    let mut first = 0;
    while first < last_sample {
        let last = (first + per_block - 1).min(last_sample);
        let times: Vec<f64> = (first..=last).map(time_of).collect();
        let block = Block::propagate(satellites, &times, window, mask_rad, &mut retirements);
        let index = SampleIndex::new(&block);
        let at_start = first == 0;
        tiles.split_mut(&mut sweeps).into_par_iter().for_each_init(Vec::new, |events, (tile, sweeps)| {
            let points = &tiles.points[tile.members.clone()];
            events.resize_with(points.len(), Events::default);
            events.iter_mut().for_each(Events::clear);
            block.events(tile, points, &index, events);
            for ((point, sweep), events) in points.iter().zip(sweeps.iter_mut()).zip(events.iter_mut()) {
                if at_start {
                    sweep.begin(block.in_view_at_start(point));
                }
                sweep.apply(events);
            }
        });
        on_progress(times[times.len() - 1]);
        first = last;
    }
    let mut stats = vec![PointStats::default(); points.len()];
    for (sweep, &i) in sweeps.into_iter().zip(&tiles.order) {
        stats[i] = sweep.finish(end_s);
    }
    Coverage { stats, retirements: retirements.into_iter().flatten().collect(), step_s }
}

/// Sample spacing for the fleet: [`MAX_ARC_PER_STEP_RAD`] at the fastest satellite's
/// perigee rate (plus the Earth's rotation, since samples are Earth-fixed).
fn sample_step(satellites: &[Satellite]) -> f64 {
    let fastest = satellites
        .iter()
        .map(|sat| {
            let el = &sat.elements;
            let (rp, a) = (el.perigee_radius_km(), el.semi_major_axis_km());
            (WGS72_MU_KM3_S2 * (2.0 / rp - 1.0 / a)).max(0.0).sqrt() / rp
        })
        .filter(|w| w.is_finite())
        .fold(0.0, f64::max);
    (MAX_ARC_PER_STEP_RAD / (fastest + EARTH_ROTATION_RAD_S)).clamp(MIN_STEP_S, MAX_STEP_S)
}

/// One Earth-fixed sample of a satellite.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    r: Vector3<f64>,
    v: Vector3<f64>,
}

/// Position and velocity at fraction `x` of a segment `h` seconds long, on the cubic
/// Hermite through its ends' positions and velocities.
fn hermite_state(a: &State, b: &State, h: f64, x: f64) -> (Vector3<f64>, Vector3<f64>) {
    let (m0, m1) = (a.v * h, b.v * h);
    let d = b.r - a.r;
    let c2 = d * 3.0 - m0 * 2.0 - m1;
    let c3 = m0 + m1 - d * 2.0;
    let r = a.r + (m0 + (c2 + c3 * x) * x) * x;
    let v = (m0 + (c2 * 2.0 + c3 * (3.0 * x)) * x) / h;
    (r, v)
}

/// Where a satellite can be relative to a point's visibility cone, as Earth-central
/// angles (radians) and, for the per-segment test, as cosines (2 or −2 where a bound does
/// not apply).
#[derive(Debug, Clone, Copy)]
struct Cone {
    /// Closer than this the satellite is surely above the mask (may be negative: never).
    inner: f64,
    /// Farther than this it is surely below.
    outer: f64,
    /// Largest angle the satellite moves between two samples.
    motion: f64,
    cos_inner: f32,
    cos_outer: f32,
    sin_outer_sq: f32,
}

impl Cone {
    fn new(r_min: f64, r_max: f64, motion: f64, mask_rad: f64) -> Self {
        let allowance = VERTICAL_ALLOWANCE_DEG.to_radians();
        let (low, high) = (mask_rad - allowance, mask_rad + allowance);
        let polar_radius = WGS84_A_KM * (1.0 - WGS84_F);
        let outer = ((polar_radius * low.cos() / (r_max + RADIUS_SLACK_KM)).clamp(-1.0, 1.0).acos() - low
            + CONE_MARGIN_RAD)
            .clamp(0.0, std::f64::consts::PI);
        let inner =
            (WGS84_A_KM * high.cos() / (r_min - RADIUS_SLACK_KM)).clamp(-1.0, 1.0).acos() - high - CONE_MARGIN_RAD;
        // Single precision: widened by far more than its rounding.
        Cone {
            inner,
            outer,
            motion,
            cos_inner: if inner > 0.0 { inner.cos() as f32 + 1e-6 } else { 2.0 },
            cos_outer: if outer < std::f64::consts::PI { outer.cos() as f32 - 1e-6 } else { -2.0 },
            sin_outer_sq: if outer < std::f64::consts::FRAC_PI_2 {
                outer.sin().powi(2) as f32 * 1.000_01 + 1e-6
            } else {
                2.0
            },
        }
    }

    /// Angle out to which a segment's start can hold a rise or set.
    fn reach(&self) -> f64 {
        (self.outer + self.motion).min(std::f64::consts::PI)
    }

    /// Angle within which a segment's start lies wholly inside the cone.
    fn deep(&self) -> f64 {
        self.inner - self.motion
    }

    /// Whether the satellite can cross the cone's edge between directions `a` and `b`, seen
    /// from direction `q`: not when both ends are inside (the angle to a point along an
    /// arc peaks at an end), nor when both are outside unless the closest approach falls
    /// between them and comes within the cone.
    fn may_cross(&self, q: &[f32; 3], a: &[f32; 3], b: &[f32; 3]) -> bool {
        let dot = |x: &[f32; 3], y: &[f32; 3]| x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
        let (ca, cb) = (dot(q, a), dot(q, b));
        if ca > self.cos_inner && cb > self.cos_inner {
            return false;
        }
        if ca < self.cos_outer && cb < self.cos_outer {
            let cab = dot(a, b);
            // Approaching at `a` and receding at `b`.
            if cb <= cab * ca || ca <= cab * cb {
                return false;
            }
            let n = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
            let cross_track = dot(q, &n);
            return cross_track * cross_track <= self.sin_outer_sq * dot(&n, &n);
        }
        true
    }
}

/// A grid point prepared for the search.
struct PreparedPoint {
    topo: Topocentric,
    /// Geocentric direction.
    q: Vector3<f64>,
    q32: [f32; 3],
    sin_mask: f64,
}

impl PreparedPoint {
    fn new(p: &GridPoint, sin_mask: f64) -> Self {
        let topo = Topocentric::new(&Geodetic { lat_deg: p.lat_deg, lon_deg: p.lon_deg, alt_km: 0.0 });
        let q = topo.position.normalize();
        PreparedPoint { topo, q, q32: [q.x as f32, q.y as f32, q.z as f32], sin_mask }
    }

    /// sin(elevation) − sin(mask), and the time derivative of sin(elevation).
    fn view(&self, r: &Vector3<f64>, v: &Vector3<f64>) -> (f64, f64) {
        let (sin_elevation, rate, inv_range) = self.topo.sin_elevation_and_rate(r, v);
        (sin_elevation - self.sin_mask, rate * inv_range)
    }
}

/// The samples of every satellite over one block of the window.
struct Block {
    times: Vec<f64>,
    /// Satellite-major: satellite s's sample j is at `s * times.len() + j`.
    states: Vec<State>,
    /// Samples each satellite has: fewer than `times.len()` if it stopped propagating.
    valid: Vec<usize>,
    /// Whether the satellite stopped propagating in this block (it then leaves view at its
    /// last sample).
    retired_here: Vec<bool>,
    cones: Vec<Cone>,
}

impl Block {
    fn propagate(
        satellites: &[Satellite],
        times: &[f64],
        window: Window,
        mask_rad: f64,
        retirements: &mut [Option<Retirement>],
    ) -> Block {
        let n = times.len();
        let mut states = vec![State::default(); satellites.len() * n];
        let per_satellite: Vec<(usize, Option<Retirement>, Cone)> = states
            .par_chunks_mut(n)
            .zip(satellites.par_iter().enumerate())
            .zip(retirements.par_iter())
            .map(|((out, (index, sat)), retired)| {
                let mut valid = 0;
                let mut retirement = None;
                if retired.is_none() {
                    for (slot, &t) in out.iter_mut().zip(times) {
                        let time = window.start.plus_seconds(t);
                        match sat.propagate(time) {
                            Ok(s) => {
                                let (r, v) = teme_to_ecef(&s.position, &s.velocity, time.gmst());
                                *slot = State { r, v };
                                valid += 1;
                            }
                            Err(reason) => {
                                retirement = Some(Retirement { satellite: index, time, reason });
                                break;
                            }
                        }
                    }
                }
                let samples = &out[..valid];
                let (r_min, r_max) = samples
                    .iter()
                    .map(|s| s.r.norm())
                    .fold((f64::INFINITY, 0.0_f64), |(lo, hi), r| (lo.min(r), hi.max(r)));
                // The great-circle arc between samples, stretched a little for the path's curvature.
                let motion = samples
                    .windows(2)
                    .map(|w| w[0].r.normalize().dot(&w[1].r.normalize()).clamp(-1.0, 1.0).acos())
                    .fold(0.0, f64::max)
                    * 1.02
                    + 1e-4;
                (valid, retirement, Cone::new(r_min, r_max, motion, mask_rad))
            })
            .collect();
        let mut valid = Vec::with_capacity(satellites.len());
        let mut retired_here = Vec::with_capacity(satellites.len());
        let mut cones = Vec::with_capacity(satellites.len());
        for ((v, retirement, cone), slot) in per_satellite.into_iter().zip(retirements.iter_mut()) {
            valid.push(v);
            retired_here.push(retirement.is_some());
            cones.push(cone);
            if retirement.is_some() {
                *slot = retirement;
            }
        }
        Block { times: times.to_vec(), states, valid, retired_here, cones }
    }

    fn sample(&self, satellite: usize, j: usize) -> &State {
        &self.states[satellite * self.times.len() + j]
    }

    /// Satellites above the point's mask at the block's first sample.
    fn in_view_at_start(&self, point: &PreparedPoint) -> u32 {
        (0..self.valid.len()).filter(|&s| self.valid[s] > 0 && self.visible_at(point, s, 0)).count() as u32
    }

    fn visible_at(&self, point: &PreparedPoint, satellite: usize, j: usize) -> bool {
        let a = self.sample(satellite, j);
        point.view(&a.r, &a.v).0 >= 0.0
    }

    /// The rises and sets of a tile's points in this block (`events` in step with `points`).
    fn events(&self, tile: &Tile, points: &[PreparedPoint], index: &SampleIndex, events: &mut [Events]) {
        let n = self.times.len();
        index.for_each_near(tile, |entry| {
            let (s, j) = (entry.state as usize / n, entry.state as usize % n);
            let cone = &self.cones[s];
            for (point, events) in points.iter().zip(events.iter_mut()) {
                if cone.may_cross(&point.q32, &entry.a, &entry.b) {
                    self.segment(point, s, j, events);
                }
            }
        });
        for s in (0..self.valid.len()).filter(|&s| self.retired_here[s] && self.valid[s] > 0) {
            let j = self.valid[s] - 1;
            for (point, events) in points.iter().zip(events.iter_mut()) {
                if self.visible_at(point, s, j) {
                    events.sets.push(self.times[j]);
                }
            }
        }
    }

    /// The rise or set (or both) of satellite `s` inside the segment from sample `j`.
    fn segment(&self, point: &PreparedPoint, s: usize, j: usize, events: &mut Events) {
        let (a, b) = (self.sample(s, j), self.sample(s, j + 1));
        let (t0, t1) = (self.times[j], self.times[j + 1]);
        let h = t1 - t0;
        let at = |t: f64| {
            let (r, v) = hermite_state(a, b, h, (t - t0) / h);
            point.view(&r, &v)
        };
        let (ga, sa) = point.view(&a.r, &a.v);
        let (gb, sb) = point.view(&b.r, &b.v);
        let crossing = |(lo, g_lo, s_lo): (f64, f64, f64), (hi, g_hi, s_hi): (f64, f64, f64)| {
            let guess = HermiteCubic::new(lo, g_lo, s_lo, hi, g_hi, s_hi).crossing(0.0);
            bracketed_root(
                Bracket { lo, f_lo: g_lo, hi, f_hi: g_hi },
                Start { guess: Some(guess), slope: None },
                Tolerance::within(TIME_TOLERANCE_S),
                at,
            )
        };
        match (ga >= 0.0, gb >= 0.0) {
            (true, true) => {}
            (false, true) => events.rises.push(crossing((t0, ga, sa), (t1, gb, sb))),
            (true, false) => events.sets.push(crossing((t0, ga, sa), (t1, gb, sb))),
            (false, false) => {
                // Rising, then setting: a short pass may lie wholly inside the segment.
                if !(sa > 0.0 && sb <= 0.0) {
                    return;
                }
                let model = HermiteCubic::new(t0, ga, sa, t1, gb, sb);
                let guess = model.extremum().map_or(0.5 * (t0 + t1), |(t, _)| t);
                let peak = bracketed_root(
                    Bracket { lo: t0, f_lo: sa, hi: t1, f_hi: sb },
                    Start { guess: Some(guess), slope: Some(model.second_derivative_at(guess)) },
                    Tolerance::within(PEAK_TOLERANCE_S),
                    |t| (at(t).1, f64::NAN),
                );
                let (gm, sm) = at(peak);
                if gm >= 0.0 {
                    events.rises.push(crossing((t0, ga, sa), (peak, gm, sm)));
                    events.sets.push(crossing((peak, gm, sm), (t1, gb, sb)));
                }
            }
        }
    }
}

/// A segment (two consecutive samples of a satellite), filed by its start's direction:
/// what the per-segment test needs, in single precision to halve the memory it streams.
#[derive(Debug, Clone, Copy)]
struct Entry {
    a: [f32; 3],
    b: [f32; 3],
    /// Index of the start sample in [`Block::states`].
    state: u32,
}

/// Cells on the sphere: latitude bands about `cell_deg` high, cut into cells about as
/// wide on the ground. Segments are filed in them, and points grouped in tiles by them.
struct Cells {
    /// Per band: its first cell and its number of cells.
    bands: Vec<(usize, usize)>,
    height_deg: f64,
    /// Per cell: the direction of its centre and the largest angle from it to the cell's
    /// corners (radians).
    centre: Vec<Vector3<f64>>,
    radius: Vec<f64>,
}

impl Cells {
    fn new(cell_deg: f64) -> Self {
        let n_bands = (180.0 / cell_deg).round() as usize;
        let height_deg = 180.0 / n_bands as f64;
        let (mut bands, mut centre, mut radius) = (Vec::new(), Vec::new(), Vec::new());
        let direction = |lat: f64, lon: f64| {
            let (sl, cl) = lat.to_radians().sin_cos();
            let (so, co) = lon.to_radians().sin_cos();
            Vector3::new(cl * co, cl * so, sl)
        };
        for b in 0..n_bands {
            let lat_lo = -90.0 + b as f64 * height_deg;
            let lat_hi = lat_lo + height_deg;
            let equatorward = lat_lo.abs().min(lat_hi.abs());
            let n = ((360.0 * equatorward.to_radians().cos() / height_deg).floor() as usize).max(1);
            bands.push((centre.len(), n));
            let width = 360.0 / n as f64;
            for c in 0..n {
                let lon_lo = -180.0 + c as f64 * width;
                let mid = direction(0.5 * (lat_lo + lat_hi), lon_lo + 0.5 * width);
                let corners = [(lat_lo, lon_lo), (lat_lo, lon_lo + width), (lat_hi, lon_lo), (lat_hi, lon_lo + width)];
                let r = corners
                    .iter()
                    .map(|&(la, lo)| mid.dot(&direction(la, lo)).clamp(-1.0, 1.0).acos())
                    .fold(0.0, f64::max);
                centre.push(mid);
                radius.push(r);
            }
        }
        Cells { bands, height_deg, centre, radius }
    }

    fn of(&self, u: &Vector3<f64>) -> usize {
        let lat = u.z.clamp(-1.0, 1.0).asin().to_degrees();
        let lon = u.y.atan2(u.x).to_degrees();
        let b = (((lat + 90.0) / self.height_deg) as usize).min(self.bands.len() - 1);
        let (start, n) = self.bands[b];
        start + ((((lon + 180.0) / 360.0) * n as f64) as usize).min(n - 1)
    }

    /// Calls `f` with every cell that comes within `reach` of the tile's points and is
    /// not wholly within `deep` of all of them (radians).
    fn for_each_near(&self, tile: &Tile, reach: f64, deep: f64, mut f: impl FnMut(usize)) {
        let (reach, deep) = (reach + tile.radius, deep - tile.radius);
        let reach_deg = reach.to_degrees();
        let n_bands = self.bands.len();
        let lat_lo = tile.lat_deg - reach_deg;
        let lat_hi = tile.lat_deg + reach_deg;
        let b_lo = ((lat_lo + 90.0) / self.height_deg).floor().max(0.0) as usize;
        let b_hi = (((lat_hi + 90.0) / self.height_deg).floor().max(0.0) as usize).min(n_bands - 1);
        // Longitudes the cap reaches, unless it holds a pole.
        let half_width = if lat_lo <= -90.0 || lat_hi >= 90.0 || reach >= std::f64::consts::FRAC_PI_2 {
            f64::INFINITY
        } else {
            (reach.sin() / tile.lat_deg.to_radians().cos()).min(1.0).asin().to_degrees()
        };
        let mut visit = |cell: usize| {
            let inside = deep - self.radius[cell];
            if !(inside > 0.0 && tile.centre.dot(&self.centre[cell]) > inside.cos()) {
                f(cell);
            }
        };
        for &(start, n) in &self.bands[b_lo..=b_hi] {
            let width = 360.0 / n as f64;
            if 2.0 * half_width + 2.0 * width >= 360.0 {
                (start..start + n).for_each(&mut visit);
            } else {
                let lo = ((tile.lon_deg - half_width + 180.0) / width).floor() as i64;
                let hi = ((tile.lon_deg + half_width + 180.0) / width).floor() as i64;
                (lo..=hi).for_each(|c| visit(start + c.rem_euclid(n as i64) as usize));
            }
        }
    }
}

/// Grid points grouped by [`TILE_DEG`] cells: a tile's points are searched together, so
/// that each segment near them is read from memory once for all of them.
struct Tiles {
    /// The points, tile by tile.
    points: Vec<PreparedPoint>,
    /// `points[i]` is grid point `order[i]`.
    order: Vec<usize>,
    tiles: Vec<Tile>,
}

struct Tile {
    /// Indices into [`Tiles::points`].
    members: std::ops::Range<usize>,
    /// Direction of the members' centre, its geocentric latitude and longitude (degrees),
    /// and the largest angle from it to a member (radians).
    centre: Vector3<f64>,
    lat_deg: f64,
    lon_deg: f64,
    radius: f64,
}

/// Size of the cells points are tiled by, degrees.
const TILE_DEG: f64 = 8.0;

impl Tiles {
    fn new(grid: &[GridPoint], sin_mask: f64) -> Self {
        let prepared: Vec<PreparedPoint> = grid.par_iter().map(|p| PreparedPoint::new(p, sin_mask)).collect();
        let cells = Cells::new(TILE_DEG);
        let cell: Vec<usize> = prepared.iter().map(|p| cells.of(&p.q)).collect();
        let mut order: Vec<usize> = (0..grid.len()).collect();
        order.sort_by_key(|&i| cell[i]);
        let mut slots: Vec<Option<PreparedPoint>> = prepared.into_iter().map(Some).collect();
        let points: Vec<PreparedPoint> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let mut tiles = Vec::new();
        let mut first = 0;
        while first < points.len() {
            let mut end = first + 1;
            while end < points.len() && cell[order[end]] == cell[order[first]] {
                end += 1;
            }
            let members = &points[first..end];
            let sum: Vector3<f64> = members.iter().map(|p| p.q).sum();
            let centre = if sum.norm() > 1e-9 { sum.normalize() } else { members[0].q };
            let radius = members.iter().map(|p| centre.dot(&p.q).clamp(-1.0, 1.0).acos()).fold(0.0, f64::max);
            tiles.push(Tile {
                members: first..end,
                centre,
                lat_deg: centre.z.clamp(-1.0, 1.0).asin().to_degrees(),
                lon_deg: centre.y.atan2(centre.x).to_degrees(),
                radius,
            });
            first = end;
        }
        Tiles { points, order, tiles }
    }

    /// Each tile with its points' entries of `per_point` (in [`Tiles::points`] order).
    fn split_mut<'t, T>(&'t self, mut per_point: &'t mut [T]) -> Vec<(&'t Tile, &'t mut [T])> {
        let mut out = Vec::with_capacity(self.tiles.len());
        for tile in &self.tiles {
            let (head, rest) = per_point.split_at_mut(tile.members.len());
            out.push((tile, head));
            per_point = rest;
        }
        out
    }
}

/// One block's segments, filed by cell, in groups of satellites whose cones are alike (a
/// group is searched out to its own reach, not the fleet's widest).
struct SampleIndex {
    cells: Cells,
    groups: Vec<Group>,
}

struct Group {
    /// Largest reach and smallest deep angle of the group's satellites, radians.
    reach: f64,
    deep: f64,
    /// Cell c's entries are `entries[cell_start[c]..cell_start[c + 1]]`.
    cell_start: Vec<usize>,
    entries: Vec<Entry>,
}

/// Satellites whose reach differs by less than this share a group, radians.
const GROUP_REACH_RAD: f64 = 0.02;

impl SampleIndex {
    fn new(block: &Block) -> Self {
        let cells = Cells::new(CELL_DEG);
        let mut members: std::collections::BTreeMap<i64, Vec<usize>> = std::collections::BTreeMap::new();
        for (s, cone) in block.cones.iter().enumerate() {
            if block.valid[s] > 1 {
                members.entry((cone.reach() / GROUP_REACH_RAD).floor() as i64).or_default().push(s);
            }
        }
        let n = block.times.len();
        let n_cells = cells.centre.len();
        let groups = members
            .into_values()
            .map(|satellites| {
                let filed: Vec<Vec<(usize, Entry)>> = satellites
                    .par_iter()
                    .map(|&s| {
                        let unit = |j: usize| {
                            let u = block.sample(s, j).r.normalize();
                            (u, [u.x as f32, u.y as f32, u.z as f32])
                        };
                        (0..block.valid[s] - 1)
                            .map(|j| {
                                let ((u, a), (_, b)) = (unit(j), unit(j + 1));
                                (cells.of(&u), Entry { a, b, state: (s * n + j) as u32 })
                            })
                            .collect()
                    })
                    .collect();
                let mut cell_start = vec![0; n_cells + 1];
                for &(c, _) in filed.iter().flatten() {
                    cell_start[c + 1] += 1;
                }
                for c in 0..n_cells {
                    cell_start[c + 1] += cell_start[c];
                }
                let mut fill = cell_start.clone();
                let mut entries = vec![Entry { a: [0.0; 3], b: [0.0; 3], state: 0 }; cell_start[n_cells]];
                for &(c, entry) in filed.iter().flatten() {
                    entries[fill[c]] = entry;
                    fill[c] += 1;
                }
                let cones = satellites.iter().map(|&s| &block.cones[s]);
                Group {
                    reach: cones.clone().map(Cone::reach).fold(0.0, f64::max),
                    deep: cones.map(Cone::deep).fold(f64::INFINITY, f64::min),
                    cell_start,
                    entries,
                }
            })
            .collect();
        SampleIndex { cells, groups }
    }

    /// Calls `f` with every segment whose start lies in a cell near enough to the tile.
    fn for_each_near(&self, tile: &Tile, mut f: impl FnMut(&Entry)) {
        for group in &self.groups {
            self.cells.for_each_near(tile, group.reach, group.deep, |c| {
                group.entries[group.cell_start[c]..group.cell_start[c + 1]].iter().for_each(&mut f);
            });
        }
    }
}

/// A point's rises and sets within one block, seconds from the window's start.
#[derive(Default)]
struct Events {
    rises: Vec<f64>,
    sets: Vec<f64>,
}

impl Events {
    fn clear(&mut self) {
        self.rises.clear();
        self.sets.clear();
    }
}

/// A point's statistics, accumulated event by event in time order.
#[derive(Debug, Clone, Copy)]
struct Sweep {
    k: u32,
    in_view: u32,
    /// Time of the last event.
    t: f64,
    /// Start of the gap in progress.
    gap_start: Option<f64>,
    stats: PointStats,
}

impl Sweep {
    fn new(k: u32) -> Self {
        Sweep { k, in_view: 0, t: 0.0, gap_start: None, stats: PointStats::default() }
    }

    fn begin(&mut self, in_view: u32) {
        self.in_view = in_view;
        self.stats.max_in_view = in_view;
        self.stats.accesses = in_view as u64;
        if in_view >= self.k {
            self.stats.first_access_s = Some(0.0);
        } else {
            self.gap_start = Some(0.0);
        }
    }

    fn advance(&mut self, t: f64) {
        let dt = t - self.t;
        if dt > 0.0 {
            self.stats.in_view_s += self.in_view as f64 * dt;
            if self.in_view >= self.k {
                self.stats.covered_s += dt;
            }
            self.t = t;
        }
    }

    fn rise(&mut self, t: f64) {
        self.advance(t);
        self.in_view += 1;
        self.stats.accesses += 1;
        self.stats.max_in_view = self.stats.max_in_view.max(self.in_view);
        if self.in_view == self.k {
            self.stats.first_access_s.get_or_insert(t);
            if let Some(start) = self.gap_start.take() {
                self.close_gap(start, t);
            }
        }
    }

    fn set(&mut self, t: f64) {
        self.advance(t);
        debug_assert!(self.in_view > 0, "a set without a rise at {t} s");
        if self.in_view == self.k {
            self.gap_start = Some(t);
        }
        self.in_view = self.in_view.saturating_sub(1);
    }

    fn close_gap(&mut self, start: f64, end: f64) {
        let length = end - start;
        if length > 0.0 {
            self.stats.gaps += 1;
            self.stats.gap_total_s += length;
            self.stats.max_gap_s = self.stats.max_gap_s.max(length);
        }
    }

    /// Sweeps a block's events (in any order): rises before sets at equal times.
    fn apply(&mut self, events: &mut Events) {
        events.rises.sort_unstable_by(f64::total_cmp);
        events.sets.sort_unstable_by(f64::total_cmp);
        let (mut i, mut j) = (0, 0);
        while i < events.rises.len() || j < events.sets.len() {
            if j == events.sets.len() || (i < events.rises.len() && events.rises[i] <= events.sets[j]) {
                self.rise(events.rises[i]);
                i += 1;
            } else {
                self.set(events.sets[j]);
                j += 1;
            }
        }
    }

    fn finish(mut self, end_s: f64) -> PointStats {
        self.advance(end_s);
        if let Some(start) = self.gap_start.take() {
            self.close_gap(start, end_s);
        }
        self.stats
    }
}

/// Coverage aggregated over the points of a latitude band (or of the whole grid), each
/// point weighted by its cell's area.
#[derive(Debug, Clone, PartialEq)]
pub struct BandSummary {
    pub lat_lo: f64,
    pub lat_hi: f64,
    pub points: usize,
    pub share_mean: f64,
    pub share_min: f64,
    pub share_max: f64,
    pub mean_gap_s: f64,
    pub max_gap_s: f64,
    pub mean_in_view: f64,
    pub max_in_view: u32,
    /// Mean over the points ever covered.
    pub first_access_mean_s: Option<f64>,
    pub first_access_max_s: Option<f64>,
    pub never_covered: usize,
}

/// One summary per latitude band of `band_deg` that holds points (south to north), then
/// one for the whole grid.
pub fn band_summaries(points: &[GridPoint], stats: &[PointStats], band_deg: f64, window_s: f64) -> Vec<BandSummary> {
    let n_bands = (180.0 / band_deg).ceil() as usize;
    let band_of = |lat: f64| (((lat + 90.0) / band_deg) as usize).min(n_bands - 1);
    let mut summaries: Vec<BandSummary> = (0..n_bands)
        .filter_map(|b| {
            let members: Vec<usize> = (0..points.len()).filter(|&i| band_of(points[i].lat_deg) == b).collect();
            let lat_lo = -90.0 + b as f64 * band_deg;
            (!members.is_empty())
                .then(|| summarise(points, stats, &members, lat_lo, (lat_lo + band_deg).min(90.0), window_s))
        })
        .collect();
    let all: Vec<usize> = (0..points.len()).collect();
    summaries.push(summarise(points, stats, &all, -90.0, 90.0, window_s));
    summaries
}

fn summarise(
    points: &[GridPoint],
    stats: &[PointStats],
    members: &[usize],
    lat_lo: f64,
    lat_hi: f64,
    window_s: f64,
) -> BandSummary {
    let weight: f64 = members.iter().map(|&i| points[i].area_share()).sum();
    let mean = |f: &dyn Fn(&PointStats) -> f64| {
        members.iter().map(|&i| points[i].area_share() * f(&stats[i])).sum::<f64>() / weight
    };
    let shares = members.iter().map(|&i| stats[i].share(window_s));
    let covered: Vec<usize> = members.iter().copied().filter(|&i| stats[i].first_access_s.is_some()).collect();
    let covered_weight: f64 = covered.iter().map(|&i| points[i].area_share()).sum();
    let first_access_mean_s = (!covered.is_empty()).then(|| {
        covered.iter().map(|&i| points[i].area_share() * stats[i].first_access_s.unwrap_or(0.0)).sum::<f64>()
            / covered_weight
    });
    BandSummary {
        lat_lo,
        lat_hi,
        points: members.len(),
        share_mean: mean(&|s| s.share(window_s)),
        share_min: shares.clone().fold(f64::INFINITY, f64::min),
        share_max: shares.fold(f64::NEG_INFINITY, f64::max),
        mean_gap_s: mean(&|s| s.mean_gap_s()),
        max_gap_s: members.iter().map(|&i| stats[i].max_gap_s).fold(0.0, f64::max),
        mean_in_view: mean(&|s| s.mean_in_view(window_s)),
        max_in_view: members.iter().map(|&i| stats[i].max_in_view).max().unwrap_or(0),
        first_access_mean_s,
        first_access_max_s: covered.iter().filter_map(|&i| stats[i].first_access_s).reduce(f64::max),
        never_covered: members.len() - covered.len(),
    }
}
