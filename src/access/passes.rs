//! Pass windows: when each satellite is above each ground station's elevation mask.
//!
//! The search is built so that no pass can hide and almost no work is wasted:
//!
//! 1. **One propagation per sample, every station from it.** Each satellite is propagated
//!    once per sample time; all stations are evaluated from that one state.
//! 2. **Skip far from every station.** A station can only see the satellite when the
//!    Earth-central angle between them is below `λ_vis = acos(R·cos ε / r_max) − ε` (mask ε,
//!    highest radius the orbit reaches). That angle changes no faster than
//!    `ω_max = v_perigee / r_perigee + ω_earth`, so from a sample where the nearest station
//!    is `d` radians outside its visibility cone the next `d / ω_max` seconds are provably
//!    empty and are skipped in one step. Stations are grouped in clusters (cells of about
//!    15° on the sphere) whose centre and radius bound every member, so stations on the
//!    other side of the Earth cost one dot product per cluster.
//! 3. **Fine steps near a station, brackets, then refinement.** Near a station samples are
//!    spaced by at most 0.3 rad of orbital arc. Between two samples a maximum of elevation
//!    shows as a sign change of its rate (two extrema cannot fit in one step: they are
//!    half an orbit apart), a rise or set as a sign change of `elevation − mask`. Each is
//!    refined to 1 ms with a bracketing root finder on a cubic Hermite interpolant of the
//!    two samples (see [`super::trajectory`]), without further SGP4 calls.
//! 4. **Parallel over satellites** with rayon; the output is sorted, so it does not depend
//!    on the thread count.

use nalgebra::Vector3;
use rayon::prelude::*;

use super::trajectory::{Sample, Track, interpolate_ecef};
use crate::constants::EARTH_ROTATION_RAD_S;
use crate::frames::Topocentric;
use crate::ground::GroundStation;
use crate::numeric::{Bracket, HermiteCubic, Start, Tolerance, bracketed_root};
use crate::orbit::{PropagationFailure, Satellite};
use crate::time::UtcTime;

/// Largest orbital arc between two fine samples, radians: keeps the Hermite interpolant
/// within about 1 m of SGP4 in low orbit (a fraction of a millisecond of pass timing).
const MAX_ARC_PER_STEP_RAD: f64 = 0.3;
const MIN_STEP_S: f64 = 2.0;
const MAX_FINE_STEP_S: f64 = 300.0;
/// Root-finding tolerance for AOS and LOS, seconds.
const TIME_TOLERANCE_S: f64 = 1e-3;
/// Tolerance for the time of maximum elevation: the peak is flat, so 10 ms of TCA changes
/// the maximum elevation by less than 10⁻⁶°.
const TCA_TOLERANCE_S: f64 = 1e-2;
/// Safety margin on visibility cones: covers the geodetic/geocentric vertical difference
/// (≤ 0.19°) and the slack in the radius bound.
const CONE_MARGIN_RAD: f64 = 0.01;
/// Cluster cell size on the sphere, degrees.
const CLUSTER_CELL_DEG: f64 = 15.0;

/// One pass of a satellite over a station.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    pub satellite: usize,
    pub station: usize,
    pub aos: UtcTime,
    pub tca: UtcTime,
    pub los: UtcTime,
    pub max_elevation_deg: f64,
    pub aos_azimuth_deg: f64,
    pub los_azimuth_deg: f64,
    /// The pass was already in progress at the window's start (AOS is the start).
    pub cut_start: bool,
    /// The pass was still in progress at the window's end (LOS is the end), or the
    /// satellite stopped propagating during it.
    pub cut_end: bool,
}

impl Pass {
    pub fn duration_s(&self) -> f64 {
        self.los.seconds_since(self.aos)
    }
}

/// A satellite taken out of the simulation because it could no longer be propagated.
#[derive(Debug, Clone, PartialEq)]
pub struct Retirement {
    pub satellite: usize,
    /// First sample time at which propagation failed.
    pub time: UtcTime,
    pub reason: PropagationFailure,
}

/// The time span searched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub start: UtcTime,
    pub end: UtcTime,
}

impl Window {
    pub fn duration_s(&self) -> f64 {
        self.end.seconds_since(self.start)
    }
}

/// Stations prepared for fast searching: topocentric bases, unit vectors and clusters.
pub struct StationSet<'a> {
    pub stations: &'a [GroundStation],
    topo: Vec<Topocentric>,
    unit: Vec<Vector3<f64>>,
    radius_km: Vec<f64>,
    /// Lowest mask per station, radians, lowered by the vertical-deflection allowance.
    lowest_mask_rad: Vec<f64>,
    /// sin of the constant mask, for stations without an azimuth mask.
    sin_mask: Vec<f64>,
    clusters: Vec<Cluster>,
}

struct Cluster {
    centre: Vector3<f64>,
    /// Largest angle from the centre to a member, radians.
    radius: f64,
    members: Vec<usize>,
}

impl<'a> StationSet<'a> {
    pub fn new(stations: &'a [GroundStation]) -> Self {
        let topo: Vec<Topocentric> = stations.iter().map(GroundStation::topocentric).collect();
        let unit: Vec<Vector3<f64>> = topo.iter().map(|t| t.position.normalize()).collect();
        let radius_km = topo.iter().map(|t| t.position.norm()).collect();
        let lowest_mask_rad = stations.iter().map(|s| (s.lowest_mask_deg() - 0.2).to_radians()).collect();
        let sin_mask = stations.iter().map(|s| s.min_elevation_deg.to_radians().sin()).collect();
        let clusters = build_clusters(stations, &unit);
        StationSet { stations, topo, unit, radius_km, lowest_mask_rad, sin_mask, clusters }
    }

    pub fn topocentric(&self, station: usize) -> &Topocentric {
        &self.topo[station]
    }
}

fn build_clusters(stations: &[GroundStation], unit: &[Vector3<f64>]) -> Vec<Cluster> {
    use std::collections::BTreeMap;
    let mut cells: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
    for (i, s) in stations.iter().enumerate() {
        let band = ((s.site.lat_deg + 90.0) / CLUSTER_CELL_DEG).floor() as i64;
        let band_centre_lat = (band as f64 + 0.5) * CLUSTER_CELL_DEG - 90.0;
        // Narrower longitude sectors near the equator, wider near the poles: cells of
        // roughly equal size.
        let sectors = ((360.0 / CLUSTER_CELL_DEG) * band_centre_lat.to_radians().cos()).ceil().max(1.0);
        let sector = ((s.site.lon_deg.rem_euclid(360.0)) / (360.0 / sectors)).floor() as i64;
        cells.entry((band, sector)).or_default().push(i);
    }
    cells
        .into_values()
        .map(|members| {
            let sum: Vector3<f64> = members.iter().map(|&i| unit[i]).sum();
            let centre = if sum.norm() > 1e-9 { sum.normalize() } else { unit[members[0]] };
            let radius = members.iter().map(|&i| centre.dot(&unit[i]).clamp(-1.0, 1.0).acos()).fold(0.0, f64::max);
            Cluster { centre, radius, members }
        })
        .collect()
}

/// Per-satellite bounds that make skipping safe, as cosines so the hot loop needs no acos.
struct SatelliteBounds {
    /// Visibility cone half-angle per station (radians, margin included).
    cone: Vec<f64>,
    /// Largest cone among each cluster's members.
    cluster_cone: Vec<f64>,
    /// A station is active for the next fine step when cos(angle) ≥ this.
    active_cos: Vec<f64>,
    /// A cluster can hold an active station only when cos(angle to centre) ≥ this.
    cluster_active_cos: Vec<f64>,
    /// Upper bound on the rate of change of the Earth-central angle to any station, rad/s.
    angular_rate: f64,
    /// Sample spacing near stations, seconds.
    fine_step: f64,
    /// A station farther than this (as |sin| of the angle) from the great circle through two
    /// consecutive subsatellite directions cannot see the satellite between them.
    track_sin: Vec<f64>,
}

fn bounds_for(sat: &Satellite, set: &StationSet) -> SatelliteBounds {
    let el = &sat.elements;
    // Mean elements miss short-period terms of ±10–20 km; pad the radius bounds.
    let r_max = el.apogee_radius_km() * 1.01 + 30.0;
    let r_min = (el.perigee_radius_km() - 30.0).max(6000.0);
    let mu = crate::constants::WGS72_MU_KM3_S2;
    let a = el.semi_major_axis_km();
    let v_max = (mu * (2.0 / r_min - 1.0 / (a * 1.05))).max(0.0).sqrt();
    let orbital_rate = v_max / r_min;
    let angular_rate = (orbital_rate + EARTH_ROTATION_RAD_S) * 1.05;
    let fine_step = (MAX_ARC_PER_STEP_RAD / orbital_rate).clamp(MIN_STEP_S, MAX_FINE_STEP_S);
    let reach = angular_rate * fine_step;
    let cos_of = |angle: f64| {
        if angle >= std::f64::consts::PI { -2.0 } else { angle.cos() }
    };
    let cone: Vec<f64> = (0..set.stations.len())
        .map(|i| {
            let eps = set.lowest_mask_rad[i];
            let x = set.radius_km[i] * eps.cos() / r_max;
            if x >= 1.0 { -1.0 } else { x.acos() - eps + CONE_MARGIN_RAD }
        })
        .collect();
    let cluster_cone: Vec<f64> =
        set.clusters.iter().map(|c| c.members.iter().map(|&m| cone[m]).fold(f64::MIN, f64::max)).collect();
    let active_cos = cone.iter().map(|&c| if c < 0.0 { 2.0 } else { cos_of(c + reach) }).collect();
    let cluster_active_cos = set
        .clusters
        .iter()
        .zip(&cluster_cone)
        .map(|(c, &cone)| if cone < 0.0 { 2.0 } else { cos_of(c.radius + cone + reach) })
        .collect();
    // Between two samples the satellite's direction stays on its orbital plane's great
    // circle; in the Earth-fixed frame that circle turns by ω_earth·h, and short-period
    // SGP4 terms wobble the plane by well under 0.005 rad.
    let track_margin = EARTH_ROTATION_RAD_S * fine_step + 0.005;
    let track_sin = cone
        .iter()
        .map(|&c| if c + track_margin >= std::f64::consts::FRAC_PI_2 { 2.0 } else { (c + track_margin).max(0.0).sin() })
        .collect();
    SatelliteBounds { cone, cluster_cone, active_cos, cluster_active_cos, angular_rate, fine_step, track_sin }
}

/// acos with an absolute error below 7e-5 rad (Abramowitz & Stegun 4.4.45); skip lengths
/// subtract [`FAST_ACOS_ERROR`] so the approximation never makes a skip unsafe.
fn fast_acos(x: f64) -> f64 {
    let ax = x.abs().min(1.0);
    let p = (1.0 - ax).sqrt() * (1.570_728_8 + ax * (-0.212_114_4 + ax * (0.074_261_0 - 0.018_729_3 * ax)));
    if x >= 0.0 { p } else { std::f64::consts::PI - p }
}
const FAST_ACOS_ERROR: f64 = 1e-4;

/// Passes and retirements found for a set of satellites.
#[derive(Debug, Default)]
pub struct PassSearch {
    pub passes: Vec<Pass>,
    pub retirements: Vec<Retirement>,
}

/// Finds every pass of every satellite over every station in the window, in parallel.
/// Output is sorted by AOS, then satellite name, then station name. `on_satellite_done`
/// is called once per satellite (for progress reporting).
pub fn find_passes(
    satellites: &[Satellite],
    stations: &[GroundStation],
    window: Window,
    on_satellite_done: &(dyn Fn() + Sync),
) -> PassSearch {
    let set = StationSet::new(stations);
    let per_sat: Vec<(Vec<Pass>, Option<Retirement>)> = satellites
        .par_iter()
        .enumerate()
        .map(|(i, sat)| {
            let mut passes = Vec::new();
            let retirement = search_satellite(i, sat, &set, window, |pass, _track| passes.push(pass.clone()));
            on_satellite_done();
            (passes, retirement)
        })
        .collect();
    let mut runs = Vec::with_capacity(per_sat.len());
    let mut retirements = Vec::new();
    for (passes, retirement) in per_sat {
        runs.push(passes);
        retirements.extend(retirement);
    }
    PassSearch { passes: merge_passes(runs, satellites, stations), retirements }
}

/// Merges per-satellite pass lists into one list sorted by AOS, then satellite name, then
/// station name (then indices, so that duplicate names still sort deterministically).
pub fn merge_passes(runs: Vec<Vec<Pass>>, satellites: &[Satellite], stations: &[GroundStation]) -> Vec<Pass> {
    let satellite_rank = name_ranks(satellites.iter().map(|s| s.name.as_str()));
    let station_rank = name_ranks(stations.iter().map(|s| s.name.as_str()));
    crate::merge::merge_sorted_runs(runs, |p| (p.aos, satellite_rank[p.satellite], station_rank[p.station]))
}

/// Position of each name in sorted order (ties broken by index), so sorting by rank is
/// sorting by name without comparing strings.
pub fn name_ranks<'n>(names: impl Iterator<Item = &'n str>) -> Vec<usize> {
    let names: Vec<&str> = names.collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| names[a].cmp(names[b]).then(a.cmp(&b)));
    let mut rank = vec![0; names.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i] = r;
    }
    rank
}

/// How a station sees the satellite at one instant.
#[derive(Clone, Copy)]
struct View {
    sin_elevation: f64,
    /// sin(elevation) − sin(mask in that direction): same sign as elevation − mask.
    margin: f64,
    /// Same sign as the elevation rate.
    rate: f64,
    /// Time derivative of sin(elevation), 1/s.
    slope: f64,
}

/// The latest evaluation of a station, to reuse as the next interval's start.
#[derive(Clone, Copy)]
struct Evaluation {
    t: f64,
    view: View,
}

struct OpenPass {
    aos: f64,
    aos_azimuth: f64,
    cut_start: bool,
    tca: f64,
    max_sin_elevation: f64,
    /// Index into the sample buffer of the sample just before AOS. The buffer is only
    /// trimmed while no pass is open, so the index stays valid until the pass closes.
    first_sample: usize,
}

impl StationSet<'_> {
    fn view(&self, station: usize, r: &Vector3<f64>, v: &Vector3<f64>) -> View {
        let topo = &self.topo[station];
        let (sin_elevation, rate, inv_range) = topo.sin_elevation_and_rate(r, v);
        let sin_mask = match &self.stations[station].azimuth_mask {
            Some(m) => m.min_elevation_at(topo.azimuth_deg(r)).to_radians().sin(),
            None => self.sin_mask[station],
        };
        View { sin_elevation, margin: sin_elevation - sin_mask, rate, slope: rate * inv_range }
    }
}

fn degrees(sin_elevation: f64) -> f64 {
    sin_elevation.clamp(-1.0, 1.0).asin().to_degrees()
}

/// Searches one satellite over all stations, calling `on_pass` for every pass with the
/// samples spanning it. Returns why the satellite was retired, if it was.
pub fn search_satellite(
    index: usize,
    sat: &Satellite,
    set: &StationSet,
    window: Window,
    on_pass: impl FnMut(&Pass, &Track),
) -> Option<Retirement> {
    search_satellite_rising_before(index, sat, set, window, None, on_pass)
}

/// How far past `rising_before` (in seconds from the window's start) an open pass keeps
/// the search going: covers the rounding of pass times to the nanosecond, so no pass that
/// rises before it as a [`UtcTime`] is cut short.
const RISING_BEFORE_MARGIN_S: f64 = 1e-6;

/// As [`search_satellite`], reporting only the passes that rise before `rising_before`
/// (all of them when `None`): exactly those [`search_satellite`] reports, whole, while
/// the search stops as soon as it is past `rising_before` with none of them still open
/// (a day's plan searched with hours of look-ahead for the passes that straddle its end
/// pays only for the minutes those passes last). A retirement after the search stopped
/// is not found.
pub fn search_satellite_rising_before(
    index: usize,
    sat: &Satellite,
    set: &StationSet,
    window: Window,
    rising_before: Option<UtcTime>,
    mut on_pass: impl FnMut(&Pass, &Track),
) -> Option<Retirement> {
    let bounds = SearchBounds::new(sat, set);
    let mut scratch = SearchScratch::default();
    let mut search = SatelliteSearch::start(index, sat, set, &bounds, window);
    let Some(rising_before) = rising_before else {
        search.advance(sat, set, &bounds, window, f64::INFINITY, &mut scratch, &mut on_pass);
        return search.retirement;
    };
    let mut on_pass = |pass: &Pass, track: &Track| {
        if pass.aos < rising_before {
            on_pass(pass, track);
        }
    };
    let until_s = rising_before.seconds_since(window.start);
    search.advance(sat, set, &bounds, window, until_s, &mut scratch, &mut on_pass);
    // Passes that rose before `rising_before` and are still open: one sample step at a time
    // until they close (they last minutes; the window may run on for hours).
    while !search.is_finished() && search.earliest_unreported_aos_s() < until_s + RISING_BEFORE_MARGIN_S {
        let here = search.samples.last().map_or(f64::INFINITY, |s| s.t);
        search.advance(sat, set, &bounds, window, here.next_up(), &mut scratch, &mut on_pass);
    }
    search.retirement
}

/// The skip bounds of a satellite (see the module documentation), computed once and
/// reused each time its search resumes.
pub struct SearchBounds(SatelliteBounds);

impl SearchBounds {
    pub fn new(sat: &Satellite, set: &StationSet) -> Self {
        SearchBounds(bounds_for(sat, set))
    }

    /// The orbit values the bounds depend on: satellites with equal keys (those of one
    /// Walker shell, say) share equal bounds.
    pub fn key(sat: &Satellite) -> [u64; 3] {
        let el = &sat.elements;
        [el.apogee_radius_km().to_bits(), el.perigee_radius_km().to_bits(), el.semi_major_axis_km().to_bits()]
    }
}

/// Working memory of [`SatelliteSearch::advance`], one per thread: station-indexed tables
/// that would cost every suspended search kilobytes if each kept its own.
#[derive(Default)]
pub struct SearchScratch {
    evals: Vec<Option<Evaluation>>,
    open: Vec<Option<OpenPass>>,
    buffer: Vec<Sample>,
    active: Vec<usize>,
}

/// One satellite's pass search, suspended at a sample and resumable: advancing it to `t1`
/// and then to `t2` takes exactly the samples, and finds exactly the passes, that advancing
/// it to `t2` at once does. Between calls it keeps only what the next step needs (the last
/// sample, the station views at it, the open passes and their samples), a few hundred bytes.
pub struct SatelliteSearch {
    index: usize,
    /// The samples since the earliest open pass began (only the last one when none is
    /// open); the last is where the search stands.
    samples: Vec<Sample>,
    /// Stations evaluated at the last sample, with their views.
    views: Vec<(u32, View)>,
    /// Passes in progress; `first_sample` indexes `samples`.
    open: Vec<(u32, OpenPass)>,
    finished: bool,
    retirement: Option<Retirement>,
}

impl SatelliteSearch {
    /// Takes the first sample and opens the passes already in progress at the window's start.
    pub fn start(index: usize, sat: &Satellite, set: &StationSet, bounds: &SearchBounds, window: Window) -> Self {
        let mut search = SatelliteSearch {
            index,
            samples: Vec::new(),
            views: Vec::new(),
            open: Vec::new(),
            finished: false,
            retirement: None,
        };
        let a = match sample_at(index, sat, window, 0.0) {
            Ok(s) => s,
            Err(r) => {
                search.retirement = Some(r);
                search.finished = true;
                return search;
            }
        };
        search.samples.push(a);
        let u = a.r_ecef.normalize();
        for s in 0..set.stations.len() {
            if u.dot(&set.unit[s]) < bounds.0.cone[s].min(std::f64::consts::PI).cos() {
                continue;
            }
            let view = set.view(s, &a.r_ecef, &a.v_ecef);
            search.views.push((s as u32, view));
            if view.margin >= 0.0 {
                search.open.push((
                    s as u32,
                    OpenPass {
                        aos: 0.0,
                        aos_azimuth: set.topo[s].azimuth_deg(&a.r_ecef),
                        cut_start: true,
                        tca: 0.0,
                        max_sin_elevation: view.sin_elevation,
                        first_sample: 0,
                    },
                ));
            }
        }
        search
    }

    /// Whether the search reached the window's end or the satellite was retired (every
    /// pass then reported).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Seconds from the window's start before which no pass reported from now on can
    /// begin: the earliest AOS of the open passes, or where the search stands.
    pub fn earliest_unreported_aos_s(&self) -> f64 {
        if self.finished {
            return f64::INFINITY;
        }
        let here = self.samples.last().map_or(f64::INFINITY, |s| s.t);
        self.open.iter().map(|(_, p)| p.aos).fold(here, f64::min)
    }

    /// Runs the search until its sample time reaches `until_s` (seconds from the window's
    /// start) or the window's end, calling `on_pass` for every pass that closes on the way;
    /// at the window's end (or on retirement) closes the passes still open, cut.
    #[allow(clippy::too_many_arguments)]
    pub fn advance(
        &mut self,
        sat: &Satellite,
        set: &StationSet,
        bounds: &SearchBounds,
        window: Window,
        until_s: f64,
        scratch: &mut SearchScratch,
        on_pass: &mut impl FnMut(&Pass, &Track),
    ) {
        if self.finished {
            return;
        }
        let bounds = &bounds.0;
        let index = self.index;
        let end_s = window.duration_s();
        let n_stations = set.stations.len();
        let SearchScratch { evals, open, buffer, active } = scratch;
        evals.clear();
        evals.resize(n_stations, None);
        open.clear();
        open.resize_with(n_stations, || None);
        buffer.clear();
        buffer.append(&mut self.samples);
        let mut a = buffer[buffer.len() - 1];
        for (s, view) in self.views.drain(..) {
            evals[s as usize] = Some(Evaluation { t: a.t, view });
        }
        let mut open_count = self.open.len();
        for (s, p) in self.open.drain(..) {
            open[s as usize] = Some(p);
        }

        let mut retired = false;
        while a.t < end_s && a.t < until_s {
            let u = a.r_ecef.normalize();
            active.clear();
            for (c, cluster) in set.clusters.iter().enumerate() {
                if u.dot(&cluster.centre) < bounds.cluster_active_cos[c] {
                    continue;
                }
                for &s in &cluster.members {
                    if u.dot(&set.unit[s]) >= bounds.active_cos[s] {
                        active.push(s);
                    }
                }
            }
            let idle = active.is_empty() && open_count == 0;
            let step = if idle {
                // Nothing can become visible before the nearest station's cone is reached.
                let mut nearest = f64::INFINITY;
                for (c, cluster) in set.clusters.iter().enumerate() {
                    let gap = fast_acos(u.dot(&cluster.centre)) - cluster.radius - bounds.cluster_cone[c];
                    if gap > bounds.angular_rate * bounds.fine_step {
                        nearest = nearest.min(gap);
                        continue;
                    }
                    for &s in &cluster.members {
                        nearest = nearest.min(fast_acos(u.dot(&set.unit[s])) - bounds.cone[s]);
                    }
                }
                ((nearest - FAST_ACOS_ERROR) / bounds.angular_rate).max(bounds.fine_step)
            } else {
                bounds.fine_step
            };
            let t_b = (a.t + step).min(end_s);
            let b = match sample_at(index, sat, window, t_b) {
                Ok(s) => s,
                Err(r) => {
                    self.retirement = Some(r);
                    retired = true;
                    break;
                }
            };
            if idle {
                buffer.clear();
                buffer.push(b);
                a = b;
                continue;
            }
            buffer.push(b);
            let b_index = buffer.len() - 1;
            let track_normal = {
                let n = a.r_ecef.cross(&b.r_ecef);
                let norm = n.norm();
                (norm > 1e-9 * a.r_ecef.norm() * b.r_ecef.norm()).then(|| n / norm)
            };
            for &s in active.iter() {
                // Far from this interval's ground track: nothing to see, nothing to refine.
                if open[s].is_none()
                    && let Some(n) = &track_normal
                    && set.unit[s].dot(n).abs() > bounds.track_sin[s]
                {
                    continue;
                }
                let view_a = match evals[s] {
                    Some(e) if e.t == a.t => e.view,
                    _ => set.view(s, &a.r_ecef, &a.v_ecef),
                };
                let view_b = set.view(s, &b.r_ecef, &b.v_ecef);
                evals[s] = Some(Evaluation { t: b.t, view: view_b });
                let view_at = |t: f64| {
                    let (r, v) = interpolate_ecef(&a, &b, t);
                    set.view(s, &r, &v)
                };
                // Split the interval at a maximum of elevation so each piece is monotone.
                let mut pieces = [((a.t, view_a), (b.t, view_b)); 2];
                let mut n_pieces = 1;
                let mut maximum = None;
                if view_a.rate > 0.0 && view_b.rate <= 0.0 {
                    let model = HermiteCubic::new(
                        a.t,
                        view_a.sin_elevation,
                        view_a.slope,
                        b.t,
                        view_b.sin_elevation,
                        view_b.slope,
                    );
                    let guess = model.extremum().map_or(0.5 * (a.t + b.t), |(t, _)| t);
                    let curvature = model.second_derivative_at(guess);
                    let m = bracketed_root(
                        Bracket { lo: a.t, f_lo: view_a.slope, hi: b.t, f_hi: view_b.slope },
                        Start { guess: Some(guess), slope: Some(curvature) },
                        Tolerance::within(TCA_TOLERANCE_S),
                        |t| (view_at(t).slope, f64::NAN),
                    );
                    let view_m = view_at(m);
                    pieces = [((a.t, view_a), (m, view_m)), ((m, view_m), (b.t, view_b))];
                    n_pieces = 2;
                    maximum = Some((m, view_m.sin_elevation));
                }
                // A rise or set inside a monotone piece, starting from the cubic model's crossing.
                let crossing = |(t0, v0): (f64, View), (t1, v1): (f64, View)| {
                    let guess = HermiteCubic::new(t0, v0.margin, v0.slope, t1, v1.margin, v1.slope).crossing(0.0);
                    bracketed_root(
                        Bracket { lo: t0, f_lo: v0.margin, hi: t1, f_hi: v1.margin },
                        Start { guess: Some(guess), slope: None },
                        Tolerance::within(TIME_TOLERANCE_S),
                        |t| {
                            let v = view_at(t);
                            (v.margin, v.slope)
                        },
                    )
                };
                for (k, &(start, end)) in pieces[..n_pieces].iter().enumerate() {
                    let (g0, g1) = (start.1.margin, end.1.margin);
                    if g0 < 0.0 && g1 >= 0.0 && open[s].is_none() {
                        let t = crossing(start, end);
                        let (r, v) = interpolate_ecef(&a, &b, t);
                        open[s] = Some(OpenPass {
                            aos: t,
                            aos_azimuth: set.topo[s].azimuth_deg(&r),
                            cut_start: false,
                            tca: t,
                            max_sin_elevation: set.view(s, &r, &v).sin_elevation,
                            first_sample: b_index - 1,
                        });
                        open_count += 1;
                    }
                    if k == 0
                        && let (Some((m, sin_m)), Some(p)) = (maximum, open[s].as_mut())
                        && sin_m > p.max_sin_elevation
                    {
                        p.max_sin_elevation = sin_m;
                        p.tca = m;
                    }
                    if g0 >= 0.0
                        && g1 < 0.0
                        && let Some(p) = open[s].take()
                    {
                        let t = crossing(start, end);
                        let (r, _) = interpolate_ecef(&a, &b, t);
                        open_count -= 1;
                        let first = p.first_sample;
                        let pass = finish_pass(index, s, &window, p, t, set.topo[s].azimuth_deg(&r), false);
                        on_pass(&pass, &Track::new(&buffer[first..]));
                    }
                }
                if let Some(p) = open[s].as_mut()
                    && view_b.sin_elevation > p.max_sin_elevation
                {
                    // Still rising at the sample (the maximum so far, e.g. at the window's end).
                    p.max_sin_elevation = view_b.sin_elevation;
                    p.tca = b.t;
                }
            }
            a = b;
            if open_count == 0 {
                // No pass needs the older samples.
                buffer.clear();
                buffer.push(b);
            }
        }

        if retired || a.t >= end_s {
            // Close passes still open at the end of the window (or at retirement).
            let last = buffer[buffer.len() - 1];
            for (s, slot) in open.iter_mut().enumerate() {
                if let Some(p) = slot.take() {
                    let first = p.first_sample;
                    let pass = finish_pass(index, s, &window, p, last.t, set.topo[s].azimuth_deg(&last.r_ecef), true);
                    on_pass(&pass, &Track::new(&buffer[first..]));
                }
            }
            self.finished = true;
            return;
        }

        // Suspend: keep the samples open passes need (re-indexed), and the views at `a`.
        let keep_from = open.iter().flatten().map(|p| p.first_sample).min().unwrap_or(buffer.len() - 1);
        self.samples = buffer[keep_from..].to_vec();
        for (s, slot) in open.iter_mut().enumerate() {
            if let Some(mut p) = slot.take() {
                p.first_sample -= keep_from;
                self.open.push((s as u32, p));
            }
        }
        self.views = evals
            .iter()
            .enumerate()
            .filter_map(|(s, e)| match e {
                Some(e) if e.t == a.t => Some((s as u32, e.view)),
                _ => None,
            })
            .collect();
    }
}

fn sample_at(index: usize, sat: &Satellite, window: Window, t: f64) -> Result<Sample, Retirement> {
    let time = window.start.plus_seconds(t);
    match sat.propagate(time) {
        Ok(state) => Ok(Sample::new(t, state.position, state.velocity, time.gmst())),
        Err(reason) => Err(Retirement { satellite: index, time, reason }),
    }
}

fn finish_pass(
    satellite: usize,
    station: usize,
    window: &Window,
    p: OpenPass,
    los: f64,
    los_azimuth: f64,
    cut_end: bool,
) -> Pass {
    Pass {
        satellite,
        station,
        aos: window.start.plus_seconds(p.aos),
        tca: window.start.plus_seconds(p.tca),
        los: window.start.plus_seconds(los),
        max_elevation_deg: degrees(p.max_sin_elevation),
        aos_azimuth_deg: p.aos_azimuth,
        los_azimuth_deg: los_azimuth,
        cut_start: p.cut_start,
        cut_end,
    }
}

const FIRST_BLOCK_S: f64 = 600.0;
const MIN_BLOCK_S: f64 = 60.0;
const MAX_BLOCK_S: f64 = 86_400.0;
/// Sorted runs a block's search hands back: enough chunks of satellites to balance the
/// pool's threads, few enough that merging them is cheap.
const RUNS_PER_BLOCK: usize = 256;

/// What [`stream_search`] makes of each pass, and how its items are ordered.
pub trait PassItems: Sync {
    /// Per-satellite state kept between blocks (e.g. random streams).
    type State: Send;
    type Item: Send + Sync;
    type Key: Ord + Copy;
    fn state(&self, satellite: usize) -> Self::State;
    /// Turns one pass into items (each starting at the pass's AOS).
    fn items(&self, state: &mut Self::State, pass: &Pass, track: &Track, out: &mut Vec<Self::Item>);
    /// The output order; its first component must be [`PassItems::start`].
    fn key(&self, item: &Self::Item) -> Self::Key;
    fn start(&self, item: &Self::Item) -> UtcTime;
    /// How many items a time block aims to hold: a few hundred megabytes at most, and few
    /// enough blocks that resuming every search per block costs little.
    fn items_per_block(&self) -> f64 {
        2.0e6
    }
}

/// Searches the satellites for which `include` holds over `stations` and hands `emit` the
/// items of every pass, in key order, a time block at a time, so that memory holds a few
/// blocks rather than the whole result. Blocks advance every satellite's search to the
/// block's end in parallel ([`SatelliteSearch`] resumes exactly, so the items do not depend
/// on the blocks); items starting before the earliest AOS any search can still report are
/// final and emitted, the rest wait for the next block. A pass that lasts the whole window
/// (a geostationary satellite, say) holds back everything after its AOS until it ends.
/// While one block's items are merged and emitted on the calling thread, the next block is
/// searched, so the serial merge and write cost no wall time of their own. `on_progress`
/// gets the seconds of the window searched so far. Returns the retirements.
pub fn stream_search<P: PassItems, E>(
    satellites: &[Satellite],
    include: &(dyn Fn(usize) -> bool + Sync),
    stations: &[GroundStation],
    window: Window,
    items: &P,
    on_progress: &(dyn Fn(f64) + Sync),
    mut emit: impl FnMut(Vec<P::Item>) -> Result<(), E>,
) -> Result<Vec<Retirement>, E> {
    let set = StationSet::new(stations);
    let fleet = FleetSearch::new(satellites, &set, window, items);
    let mut searches: Vec<Option<(SatelliteSearch, P::State)>> = satellites
        .par_iter()
        .enumerate()
        .map(|(i, sat)| {
            include(i).then(|| {
                (SatelliteSearch::start(i, sat, &set, &fleet.bounds[fleet.bounds_index[i]], window), items.state(i))
            })
        })
        .collect();

    let end_s = window.duration_s();
    // The searches run on a pool of their own, driven block after block by a thread of
    // their own: the caller's `emit`, which may format in parallel on the global pool, then
    // neither waits for a block's search to end nor holds the next one up while it writes.
    let search_pool = rayon::ThreadPoolBuilder::new().num_threads(rayon::current_num_threads()).build().ok();
    let fleet = &fleet;
    let advance = move |searches: &mut Vec<_>, until_s: f64| match &search_pool {
        Some(pool) => pool.install(|| fleet.advance(searches, until_s)),
        None => fleet.advance(searches, until_s),
    };
    std::thread::scope(|scope| {
        // Hand-over without a queue: the driver searches at most one block ahead of `emit`.
        let (blocks, searched) = std::sync::mpsc::sync_channel::<SearchedBlock<P::Item>>(0);
        let driver = scope.spawn(move || {
            let mut searched_s = 0.0;
            let mut block_s = FIRST_BLOCK_S;
            loop {
                let until_s = if searched_s + block_s >= end_s { f64::INFINITY } else { searched_s + block_s };
                let runs = advance(&mut searches, until_s);
                let found: usize = runs.iter().map(Vec::len).sum();
                let rate = found as f64 / (until_s.min(end_s) - searched_s);
                searched_s = until_s.min(end_s);
                block_s = if rate > 0.0 {
                    (items.items_per_block() / rate).clamp(MIN_BLOCK_S, MAX_BLOCK_S)
                } else {
                    block_s * 4.0
                }
                .min(MAX_BLOCK_S);
                let earliest_unreported_s = searches
                    .iter()
                    .map(|slot| slot.as_ref().map_or(f64::INFINITY, |(search, _)| search.earliest_unreported_aos_s()))
                    .fold(f64::INFINITY, f64::min);
                let last = earliest_unreported_s.is_infinite();
                // A closed channel means `emit` failed: nothing more is wanted.
                if blocks.send(SearchedBlock { runs, earliest_unreported_s, searched_s }).is_err() || last {
                    return searches;
                }
            }
        });
        let mut pending: Vec<P::Item> = Vec::new();
        for block in searched.iter() {
            let mut runs = block.runs;
            runs.push(std::mem::take(&mut pending));
            let mut merged = crate::merge::merge_sorted_runs(runs, |item| items.key(item));
            if block.earliest_unreported_s.is_finite() {
                let earliest = window.start.plus_seconds(block.earliest_unreported_s);
                pending = merged.split_off(merged.partition_point(|item| items.start(item) < earliest));
            }
            if !merged.is_empty() {
                emit(merged)?;
            }
            on_progress(block.searched_s);
        }
        let searches = driver.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok(searches.into_iter().flatten().filter_map(|(search, _)| search.retirement).collect())
    })
}

/// One block of [`stream_search`], searched.
struct SearchedBlock<T> {
    /// Sorted runs of the items found.
    runs: Vec<Vec<T>>,
    /// Seconds from the window's start before which no later block can report an item
    /// (infinite after the last block).
    earliest_unreported_s: f64,
    /// Seconds of the window searched so far.
    searched_s: f64,
}

/// What advancing every satellite's search needs, shared by the blocks of [`stream_search`].
struct FleetSearch<'a, P: PassItems> {
    satellites: &'a [Satellite],
    set: &'a StationSet<'a>,
    window: Window,
    items: &'a P,
    /// The distinct skip bounds, and which of them each satellite uses.
    bounds: Vec<SearchBounds>,
    bounds_index: Vec<usize>,
}

impl<'a, P: PassItems> FleetSearch<'a, P> {
    fn new(satellites: &'a [Satellite], set: &'a StationSet<'a>, window: Window, items: &'a P) -> Self {
        // Satellites of one shell share their bounds: compute each distinct set once.
        let mut bounds_of_key = std::collections::HashMap::new();
        let mut distinct = Vec::new();
        let bounds_index: Vec<usize> = satellites
            .iter()
            .map(|sat| {
                *bounds_of_key.entry(SearchBounds::key(sat)).or_insert_with(|| {
                    distinct.push(sat);
                    distinct.len() - 1
                })
            })
            .collect();
        let bounds = distinct.par_iter().map(|sat| SearchBounds::new(sat, set)).collect();
        FleetSearch { satellites, set, window, items, bounds, bounds_index }
    }

    /// Advances every search to `until_s` in parallel; returns the new items as sorted runs,
    /// one per chunk of satellites: the calling thread then merges a few hundred runs, not
    /// one per satellite (most of a block's merge work moves onto the pool). The runs are
    /// sorted stably from satellite order, so ties come out as a merge of per-satellite
    /// runs would give them.
    fn advance(&self, searches: &mut [Option<(SatelliteSearch, P::State)>], until_s: f64) -> Vec<Vec<P::Item>> {
        let chunk_len = searches.len().div_ceil(RUNS_PER_BLOCK).max(1);
        searches
            .par_chunks_mut(chunk_len)
            .enumerate()
            .map(|(chunk, slots)| {
                let mut scratch = SearchScratch::default();
                let mut out = Vec::new();
                for (offset, slot) in slots.iter_mut().enumerate() {
                    let Some((search, state)) = slot else { continue };
                    let i = chunk * chunk_len + offset;
                    let mut on_pass = |pass: &Pass, track: &Track| self.items.items(state, pass, track, &mut out);
                    search.advance(
                        &self.satellites[i],
                        self.set,
                        &self.bounds[self.bounds_index[i]],
                        self.window,
                        until_s,
                        &mut scratch,
                        &mut on_pass,
                    );
                }
                out.sort_by_key(|item| self.items.key(item));
                out
            })
            .collect()
    }
}

/// Passes as [`stream_search`] items, in the order of [`merge_passes`].
pub struct PassRows {
    satellite_rank: Vec<usize>,
    station_rank: Vec<usize>,
}

impl PassRows {
    pub fn new(satellites: &[Satellite], stations: &[GroundStation]) -> Self {
        PassRows {
            satellite_rank: name_ranks(satellites.iter().map(|s| s.name.as_str())),
            station_rank: name_ranks(stations.iter().map(|s| s.name.as_str())),
        }
    }
}

impl PassItems for PassRows {
    type State = ();
    type Item = Pass;
    type Key = (UtcTime, usize, usize);
    fn state(&self, _: usize) {}
    fn items(&self, _: &mut (), pass: &Pass, _: &Track, out: &mut Vec<Pass>) {
        out.push(pass.clone());
    }
    fn key(&self, p: &Pass) -> Self::Key {
        (p.aos, self.satellite_rank[p.satellite], self.station_rank[p.station])
    }
    fn start(&self, p: &Pass) -> UtcTime {
        p.aos
    }
}
