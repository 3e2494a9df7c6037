//! Inter-satellite link (ISL) windows: which satellite pairs may hold a laser link, and when.
//!
//! Two questions are kept apart:
//!
//! * **Topology** — which pairs are candidates. [`IslTopology::PlusGrid`] links each
//!   satellite of a Walker shell to its in-plane neighbours (ahead, behind) and to one
//!   satellite in each neighbouring plane; [`IslTopology::RangeBased`] links any fleet
//!   (e.g. real TLE sets) to its nearest satellites within range, limited by laser
//!   terminals; [`IslTopology::Pairs`] takes an explicit list; and
//!   [`IslTopology::GridWithFallback`] takes +Grid pairs (those of a real catalogue
//!   grouped into shells and planes, [`catalogue_links`]) with range-based links among the
//!   satellites no plane holds.
//! * **Visibility** — when a candidate pair can actually talk: the range is within the
//!   link's maximum, the line of sight clears the Earth plus [`ATMOSPHERE_MARGIN_KM`] of
//!   atmosphere (the whole segment between the two satellites stays above
//!   [`LINE_OF_SIGHT_RADIUS_KM`]; a spherical Earth of the WGS84 equatorial radius, which
//!   over-protects near the poles by at most 21 km), and, for +Grid cross-plane links when
//!   a limit is set, both ends are below a geocentric latitude.
//!
//! # How the search stays fast and safe
//!
//! * **One propagation per satellite per sample, shared by every pair.** All satellites are
//!   sampled (SGP4) on one time grid spaced by at most 0.6 rad of the fastest orbit's arc
//!   (about 540 s in low orbit) and interpolated with the quintic Hermite interpolant of
//!   [`super::trajectory`] (within about 8 m of SGP4 at that spacing). Samples are kept
//!   for a chunk of 32 steps at a time, so memory does not grow with the window.
//! * **Rate bounds skip most steps outright.** Each condition is a margin `g(t)` (≥ 0 means
//!   satisfied) with a bound `L` on `|dg/dt|` over a step: the line-of-sight clearance
//!   moves no faster than the faster satellite (every point of the segment is a convex
//!   combination of the two ends), the range no faster than the relative speed (bounded
//!   from its values at both ends and the largest gravitational accelerations), the
//!   latitude sine no faster than `v/r`. When `|g(a)| + |g(b)| > L·h` the margin provably
//!   keeps its sign over the step.
//! * **Otherwise, one extremum per step at most.** Every margin here has its extrema at
//!   least a quarter of an orbit apart (range and clearance oscillate at the sum of the
//!   two mean motions, latitude at the mean motion), far more than a 0.6 rad step. So a
//!   short outage inside a step shows up as a minimum, i.e. a sign change of `dg/dt`
//!   from − to +, and a short opportunity as a maximum. Minima of these margins are broad
//!   (satellites far apart, or at their highest latitude), so a cubic model from the
//!   values and rates at both ends dismisses those that stay well clear of zero; the
//!   rest, and every maximum between two negative samples (which can be sharp: a close
//!   pass), are located by root finding on `dg/dt` and the margin is evaluated there.
//!   Outages and opportunities of any length are found this way, down to what the
//!   interpolant can tell from SGP4: a dip of a few metres past a limit may be seen or
//!   not.
//! * **Crossings are refined to 1 ms** on the interpolant (bracketed Newton from the
//!   cubic model's crossing, Illinois regula falsi as the fall-back), then rounded to
//!   whole milliseconds. Against SGP4 itself a crossing is within a second unless the
//!   margin changes by less than about 8 m/s there (a grazing crossing, whose time is
//!   ill-conditioned anyway); typically within a few milliseconds.
//! * **Parallel over pairs** (and over satellites for propagation and neighbour queries);
//!   the output is sorted, so it does not depend on the thread count.
//!
//! Geometry is evaluated in the Earth-fixed frame the interpolant produces; range,
//! clearance and latitude are the same in any frame sharing the Earth's centre and axis,
//! so this is equivalent to doing it in TEME.
//!
//! The cost is one SGP4 call per satellite per step plus a few dozen floating-point
//! operations per candidate pair per step: linear in fleet size for +Grid and for range
//! searches (whose neighbour queries use a uniform 3-D grid of the satellites that have a
//! free terminal, rebuilt at every re-evaluation).

use std::collections::HashMap;

use nalgebra::Vector3;
use rayon::prelude::*;

use super::passes::{Retirement, Window};
use super::trajectory::{Sample, interpolate_ecef};
use crate::constants::EARTH_ROTATION_RAD_S;
use crate::constants::{SPEED_OF_LIGHT_KM_S, WGS72_MU_KM3_S2, WGS84_A_KM, light_time_ns};
use crate::numeric::{Bracket, HermiteCubic, Safeguard, Start, Tolerance, bracketed_root};
use crate::orbit::catalogue::CatalogueGrouping;
use crate::orbit::walker::{WalkerPattern, WalkerShell};
use crate::orbit::{DECAY_RADIUS_KM, Satellite};
use crate::time::UtcTime;

/// Atmosphere a laser beam must stay above, km: below about 80 km refraction, absorption
/// and turbulence make an inter-satellite laser link unusable.
pub const ATMOSPHERE_MARGIN_KM: f64 = 80.0;
/// Closest the straight segment between two linked satellites may pass to the Earth's
/// centre, km.
pub const LINE_OF_SIGHT_RADIUS_KM: f64 = WGS84_A_KM + ATMOSPHERE_MARGIN_KM;
/// Most laser terminals a satellite may have in a range-based topology (more would be a
/// configuration error, not a satellite).
pub const MAX_TERMINALS: u32 = 16;

/// Largest arc of the fastest orbit between two samples, radians: keeps the quintic
/// Hermite interpolant within about 8 m of SGP4 (a few ms of crossing time) while every
/// margin has at most one extremum per step.
const MAX_ARC_PER_STEP_RAD: f64 = 0.6;
/// Cap on the sample spacing for slow (high) orbits, s: keeps the rate bounds of a step
/// tight.
const MAX_STEP_S: f64 = 600.0;
/// Floor on the sample spacing, s, whatever the elements claim.
const MIN_STEP_S: f64 = 1.0;
/// Steps whose samples are held in memory at once.
const CHUNK_STEPS: usize = 32;
/// Crossing times are refined to a bracket of 1 ms, or a step of a quarter of that.
const CROSSING_TOLERANCE: Tolerance = Tolerance { bracket: 1e-3, step: 0.25e-3, safeguard: Safeguard::Illinois };
/// Extrema of a margin are located to 10 ms (the margin is flat there), by the same rule.
const EXTREMUM_TOLERANCE: Tolerance = Tolerance { bracket: 1e-2, step: 0.25e-2, safeguard: Safeguard::Illinois };
/// A minimum the cubic model puts above this fraction of the smaller end margin is
/// dismissed without evaluating the geometry (on these broad minima the model is accurate
/// to well under 1 % of the margin's swing over a step).
const MODEL_DISMISS_FRACTION: f64 = 0.5;
/// Rounds of the greedy pairing at one re-evaluation of a range-based topology (it
/// usually settles in two or three; pairs still possible after the last round form at the
/// next re-evaluation).
const MAX_PAIRING_ROUNDS: usize = 8;

/// One-way light time over `range_km`, s. The engine adds it to every message sent over
/// an inter-satellite link (at 5,000 km it is 16.7 ms).
pub fn propagation_delay_s(range_km: f64) -> f64 {
    range_km / SPEED_OF_LIGHT_KM_S
}

/// One-way light time over `range_km`, rounded to whole nanoseconds (the engine's clock).
pub fn propagation_delay_ns(range_km: f64) -> i64 {
    light_time_ns(range_km)
}

/// Where along the segment `a → a + d` the point closest to the Earth's centre lies, as a
/// fraction in [0, 1].
fn segment_parameter(a: &Vector3<f64>, d: &Vector3<f64>) -> f64 {
    let dd = d.norm_squared();
    if dd > 0.0 { (-a.dot(d) / dd).clamp(0.0, 1.0) } else { 0.0 }
}

/// How far the straight segment between two positions (km, any Earth-centred frame)
/// passes above [`LINE_OF_SIGHT_RADIUS_KM`], km; negative when the Earth or the lowest
/// 80 km of atmosphere blocks the line of sight.
pub fn line_of_sight_clearance_km(a: &Vector3<f64>, b: &Vector3<f64>) -> f64 {
    let d = b - a;
    (a + d * segment_parameter(a, &d)).norm() - LINE_OF_SIGHT_RADIUS_KM
}

/// Whether two positions (km, any Earth-centred frame) can hold a link of `max_range_km`:
/// within range and with a clear line of sight.
pub fn link_geometry_ok(a: &Vector3<f64>, b: &Vector3<f64>, max_range_km: f64) -> bool {
    (b - a).norm() <= max_range_km && line_of_sight_clearance_km(a, b) >= 0.0
}

/// Why a topology or search was rejected. Each names the offending field by its path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IslError {
    /// A value is out of range or inconsistent with the fleet.
    #[error("{path}: {message}")]
    Invalid {
        /// Field path, e.g. `isl.shells[1].first_index`.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> IslError {
    IslError::Invalid { path: path.into(), message: message.into() }
}

/// Where a Walker shell's satellites sit in the fleet and how they are arranged: what
/// +Grid needs to name neighbours. Satellites are plane-major, as
/// [`WalkerShell::satellites`] generates them: index = `first_index + plane × per_plane +
/// slot`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellLayout {
    /// Fleet index of plane 0, slot 0.
    pub first_index: usize,
    /// Number of orbital planes.
    pub planes: u32,
    /// Satellites per plane.
    pub per_plane: u32,
    /// Walker phasing factor F (0 ≤ F < planes): plane p is advanced by 360°·F·p/total.
    pub phasing: u32,
    /// Delta shells close the ring of planes (the last plane neighbours the first);
    /// star shells have a seam there with no links across it.
    pub pattern: WalkerPattern,
    /// Orbit inclination, degrees: sets how far the nodal offset between neighbouring
    /// planes shifts their satellites along track.
    pub inclination_deg: f64,
    /// Right ascension spanned by the planes, degrees (360 for delta, 180 for star).
    pub raan_spread_deg: f64,
}

impl ShellLayout {
    /// The layout of `shell` whose first satellite is fleet index `first_index`.
    pub fn from_walker(shell: &WalkerShell, first_index: usize) -> ShellLayout {
        ShellLayout {
            first_index,
            planes: shell.planes,
            per_plane: shell.slots_per_plane(),
            phasing: shell.phasing,
            pattern: shell.pattern,
            inclination_deg: shell.inclination_deg(),
            raan_spread_deg: shell.raan_spread_deg.unwrap_or(match shell.pattern {
                WalkerPattern::Delta => 360.0,
                WalkerPattern::Star => 180.0,
            }),
        }
    }

    /// Layouts of shells generated one after another into a fleet starting at
    /// `first_index` (the usual way a scenario builds its fleet).
    pub fn consecutive(shells: &[WalkerShell], first_index: usize) -> Vec<ShellLayout> {
        let mut next = first_index;
        shells
            .iter()
            .map(|s| {
                let layout = ShellLayout::from_walker(s, next);
                next += s.total as usize;
                layout
            })
            .collect()
    }

    /// Number of satellites in the shell.
    pub fn total(&self) -> usize {
        self.planes as usize * self.per_plane as usize
    }

    /// Fleet index of `slot` in `plane`.
    pub fn index(&self, plane: u32, slot: u32) -> usize {
        self.first_index + plane as usize * self.per_plane as usize + slot as usize
    }

    fn validate(&self, path: &str, fleet_size: usize) -> Result<(), IslError> {
        if self.planes == 0 {
            return Err(invalid(format!("{path}.planes"), "must be > 0"));
        }
        if self.per_plane == 0 {
            return Err(invalid(format!("{path}.per_plane"), "must be > 0"));
        }
        if self.phasing >= self.planes {
            return Err(invalid(format!("{path}.phasing"), format!("must be below planes ({})", self.planes)));
        }
        if !(0.0..=180.0).contains(&self.inclination_deg) {
            return Err(invalid(format!("{path}.inclination_deg"), "must be in 0–180°"));
        }
        if !(self.raan_spread_deg > 0.0 && self.raan_spread_deg <= 360.0) {
            return Err(invalid(format!("{path}.raan_spread_deg"), "must be in (0, 360]"));
        }
        if self.first_index + self.total() > fleet_size {
            return Err(invalid(
                format!("{path}.first_index"),
                format!(
                    "satellites {}–{} are outside a fleet of {fleet_size}",
                    self.first_index,
                    self.first_index + self.total() - 1
                ),
            ));
        }
        Ok(())
    }

    /// Slot offset k such that slot s of `plane` links to slot s + k of `other`: the one
    /// nearest in phase along track. Slot s of plane p sits at argument of latitude
    /// 360°·s/S + 360°·F·p/T; rotating a plane by ΔΩ about the pole moves its points along
    /// track by ΔΩ·cos i, so the along-track gap to slot s + k of plane q is
    /// 360°·k/S + 360°·F·(q − p)/T + ΔΩ·cos i. Across a delta shell's closing seam
    /// (q = 0, p = P − 1) the same expression accounts for the phasing F.
    fn slot_offset(&self, plane: u32, other: u32) -> u32 {
        let (s_n, p_n) = (self.per_plane as f64, self.planes as f64);
        let dp = other as f64 - plane as f64;
        let d_raan = wrap_180(dp * self.raan_spread_deg / p_n);
        let base = 360.0 * self.phasing as f64 * dp / (p_n * s_n) + d_raan * self.inclination_deg.to_radians().cos();
        let gap = |k: u32| wrap_180(360.0 * k as f64 / s_n + base);
        (0..self.per_plane).min_by(|&x, &y| nearer_along_track(gap(x), gap(y))).unwrap_or(0)
    }

    fn push_links(&self, max_latitude_deg: Option<f64>, out: &mut Vec<IslPair>) {
        let (p_n, s_n) = (self.planes, self.per_plane);
        let mut push = |a: usize, b: usize, lat: Option<f64>| {
            let (a, b) = (a.min(b) as u32, a.max(b) as u32);
            out.push(IslPair { a, b, max_latitude_deg: lat });
        };
        // Ahead and behind; with two per plane they are the same satellite, with one none.
        for p in 0..p_n {
            for s in 0..s_n {
                if s_n >= 3 || (s_n == 2 && s == 0) {
                    push(self.index(p, s), self.index(p, (s + 1) % s_n), None);
                }
            }
        }
        let mut neighbours: Vec<(u32, u32)> = (1..p_n).map(|p| (p - 1, p)).collect();
        if self.pattern == WalkerPattern::Delta && p_n >= 2 {
            neighbours.push((p_n - 1, 0));
        }
        for (p, q) in neighbours {
            let k = self.slot_offset(p, q);
            for s in 0..s_n {
                push(self.index(p, s), self.index(q, (s + k) % s_n), max_latitude_deg);
            }
        }
    }
}

fn wrap_180(deg: f64) -> f64 {
    (deg + 180.0).rem_euclid(360.0) - 180.0
}

/// Orders two along-track gaps (degrees, wrapped) by closeness; exact ties (half a slot
/// apart) go to the partner behind, on a seam as elsewhere.
fn nearer_along_track(x: f64, y: f64) -> std::cmp::Ordering {
    x.abs().total_cmp(&y.abs()).then(x.total_cmp(&y))
}

/// +Grid links of a catalogue grouped into shells, planes and slots
/// ([`crate::orbit::catalogue`]), sorted by (a, b) without duplicates. Within a plane,
/// each slot links to the next by argument of latitude (the last to the first; planes of
/// two have one link, of one none). Between planes, as in a delta shell, each plane links
/// to the next in order of right ascension, the last to the first: every satellite of the
/// plane to the satellite of the next nearest to it along track, the one whose argument
/// of latitude u′ makes u′ − u + ΔΩ·cos i smallest (ΔΩ the difference of the planes'
/// nodes, i the shell's inclination; [`ShellLayout`]'s rule, so a Walker shell exported
/// as TLE links as the generated one). Planes of unequal sizes give some satellites more
/// than one partner in the plane behind and some none. Cross-plane links carry
/// `cross_plane_max_latitude_deg`.
pub fn catalogue_links(grouping: &CatalogueGrouping, cross_plane_max_latitude_deg: Option<f64>) -> Vec<IslPair> {
    let mut out = Vec::new();
    let mut push = |a: usize, b: usize, lat: Option<f64>| {
        let (a, b) = (a.min(b) as u32, a.max(b) as u32);
        out.push(IslPair { a, b, max_latitude_deg: lat });
    };
    for shell in &grouping.shells {
        for plane in &shell.planes {
            let n = plane.slots.len();
            for (k, slot) in plane.slots.iter().enumerate() {
                if n >= 3 || (n == 2 && k == 0) {
                    push(slot.satellite, plane.slots[(k + 1) % n].satellite, None);
                }
            }
        }
        let cos_i = shell.inclination_deg.to_radians().cos();
        let p_n = shell.planes.len();
        let mut neighbours: Vec<(usize, usize)> = (1..p_n).map(|p| (p - 1, p)).collect();
        if p_n >= 2 {
            neighbours.push((p_n - 1, 0));
        }
        for (p, q) in neighbours {
            let (from, to) = (&shell.planes[p], &shell.planes[q]);
            let shift = wrap_180(to.raan_deg - from.raan_deg) * cos_i;
            for slot in &from.slots {
                // `to` is in order of argument of latitude: the nearest is on one side or
                // the other of where a gap of zero falls.
                let gap = |k: usize| wrap_180(to.slots[k].arg_latitude_deg - slot.arg_latitude_deg + shift);
                let target = (slot.arg_latitude_deg - shift).rem_euclid(360.0);
                let after = to.slots.partition_point(|s| s.arg_latitude_deg < target) % to.slots.len();
                let before = (after + to.slots.len() - 1) % to.slots.len();
                let nearest = [before, after]
                    .into_iter()
                    .min_by(|&x, &y| nearer_along_track(gap(x), gap(y)).then(x.cmp(&y)))
                    .unwrap_or(after);
                push(slot.satellite, to.slots[nearest].satellite, cross_plane_max_latitude_deg);
            }
        }
    }
    out.sort_unstable_by_key(|l| (l.a, l.b));
    out.dedup_by_key(|l| (l.a, l.b));
    out
}

/// A candidate link between two satellites (fleet indices, `a < b`), present whenever it
/// is geometrically possible.
#[derive(Debug, Clone, PartialEq)]
pub struct IslPair {
    /// Lower fleet index.
    pub a: u32,
    /// Higher fleet index.
    pub b: u32,
    /// When set, the link also needs both ends below this geocentric latitude (degrees):
    /// +Grid cross-plane links near the poles, where neighbouring planes cross and the
    /// terminals would have to slew too fast.
    pub max_latitude_deg: Option<f64>,
}

/// +Grid over Walker shells: in-plane links ahead and behind, and one link to each
/// neighbouring plane (none across a star shell's seam). Links stay within a shell.
#[derive(Debug, Clone, PartialEq)]
pub struct GridTopology {
    /// The shells, by their place in the fleet; they must not overlap.
    pub shells: Vec<ShellLayout>,
    /// Cross-plane links exist only while both ends are below this geocentric latitude,
    /// degrees (0 < limit ≤ 90); `None` keeps them at all latitudes.
    pub cross_plane_max_latitude_deg: Option<f64>,
}

impl GridTopology {
    /// The candidate links, sorted by (a, b) without duplicates. In a delta shell with at
    /// least three planes of at least three satellites every satellite has exactly four;
    /// in a star shell the first and last planes have three (two with one plane).
    pub fn links(&self, fleet_size: usize) -> Result<Vec<IslPair>, IslError> {
        if let Some(lat) = self.cross_plane_max_latitude_deg
            && !(lat > 0.0 && lat <= 90.0)
        {
            return Err(invalid("cross_plane_max_latitude_deg", format!("{lat} must be in (0, 90]")));
        }
        let mut spans = Vec::with_capacity(self.shells.len());
        for (k, shell) in self.shells.iter().enumerate() {
            shell.validate(&format!("shells[{k}]"), fleet_size)?;
            spans.push((shell.first_index, shell.first_index + shell.total(), k));
        }
        spans.sort_unstable();
        for pair in spans.windows(2) {
            if pair[1].0 < pair[0].1 {
                return Err(invalid(
                    format!("shells[{}].first_index", pair[1].2),
                    format!("overlaps shells[{}]", pair[0].2),
                ));
            }
        }
        let mut out = Vec::with_capacity(fleet_size * 2);
        for shell in &self.shells {
            shell.push_links(self.cross_plane_max_latitude_deg, &mut out);
        }
        out.sort_unstable_by_key(|l| (l.a, l.b));
        out.dedup_by_key(|l| (l.a, l.b));
        Ok(out)
    }
}

/// Nearest-neighbour links for any fleet, re-evaluated over time.
///
/// At every re-evaluation (every `reevaluation_s` from the window start) satellites with a
/// free terminal pair up greedily: candidate pairs within `form_within_km` and with
/// `form_clearance_km` of spare line-of-sight clearance, each satellite proposing its
/// nearest free partners, are accepted in order of distance (ties by index) while both
/// ends have a free terminal; this repeats until no pair can be added (up to 8 rounds).
/// Pairing is symmetric (one link uses a terminal at each end) and deterministic. A link
/// then persists until the range exceeds the link's maximum or the line of sight is
/// blocked — that moment is found exactly, not at the next re-evaluation — and its
/// terminals are free again at the next re-evaluation. Forming only well inside the
/// limits is the hysteresis that keeps links from flapping at the edge.
///
/// Terminal pointing limits (e.g. fixed fore/aft/side terminals) are not modelled.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeTopology {
    /// Laser terminals per satellite (1–[`MAX_TERMINALS`]).
    pub terminals: u32,
    /// Largest range at which a new link forms, km; `None` means 90 % of the link's
    /// maximum range.
    pub form_within_km: Option<f64>,
    /// Line-of-sight clearance above the 80 km margin a new link needs, km.
    pub form_clearance_km: f64,
    /// Time between re-evaluations of the pairing, s.
    pub reevaluation_s: f64,
}

impl Default for RangeTopology {
    /// Four terminals (two in-plane and two cross-plane on Starlink-class satellites),
    /// forming within 90 % of the maximum range with 20 km of spare clearance,
    /// re-evaluated every minute.
    fn default() -> Self {
        RangeTopology { terminals: 4, form_within_km: None, form_clearance_km: 20.0, reevaluation_s: 60.0 }
    }
}

/// Which satellite pairs are candidates for inter-satellite links.
#[derive(Debug, Clone, PartialEq)]
pub enum IslTopology {
    /// +Grid over Walker shells.
    PlusGrid(GridTopology),
    /// Nearest neighbours within range, limited by terminals.
    RangeBased(RangeTopology),
    /// An explicit list of pairs, each linked whenever geometry allows.
    Pairs(Vec<IslPair>),
    /// +Grid pairs, and range-based links among satellites the grid leaves out.
    GridWithFallback(GridWithFallback),
}

/// +Grid links given pair by pair (a Walker shell's [`GridTopology::links`], a grouped
/// catalogue's [`catalogue_links`]), each linked whenever geometry allows, and range-based
/// links among the satellites of `ranged` (those no plane holds), whose terminals the grid
/// does not use. The two are searched apart, so a ranged satellite never links to a
/// gridded one.
#[derive(Debug, Clone, PartialEq)]
pub struct GridWithFallback {
    pub pairs: Vec<IslPair>,
    /// Fleet indices, ascending.
    pub ranged: Vec<u32>,
    pub range: RangeTopology,
}

/// What to search: the time span and the link's reach.
#[derive(Debug, Clone, PartialEq)]
pub struct IslSearch {
    /// Time span searched.
    pub window: Window,
    /// Longest range at which the link closes, km (the optical link's `max_range_km`).
    pub max_range_km: f64,
    /// Split windows at every multiple of this many seconds from the window start (a
    /// continuing link yields one window per period, marked
    /// [`IslWindow::continues`]); `None` keeps each window whole.
    pub split_s: Option<f64>,
}

/// A span during which a pair of satellites can hold a link.
#[derive(Debug, Clone, PartialEq)]
pub struct IslWindow {
    /// Lower fleet index.
    pub a: u32,
    /// Higher fleet index.
    pub b: u32,
    /// Start, on a whole millisecond from the search window's start.
    pub start: UtcTime,
    /// End, on a whole millisecond from the search window's start.
    pub end: UtcTime,
    /// When the range was shortest among the window's ends and the samples inside it
    /// (samples are at most 0.6 rad of orbit apart, about 9 minutes in low orbit; a close
    /// pass between samples is not resolved).
    pub closest: UtcTime,
    /// Range at [`IslWindow::closest`], km.
    pub min_range_km: f32,
    /// Longest range in the window, km (at the ends, the samples, or a maximum between
    /// samples from a cubic model, good to about a kilometre): with
    /// [`propagation_delay_ns`], a bound on the light time.
    pub max_range_km: f32,
    /// The link was already up at the previous window's end (split by
    /// [`IslSearch::split_s`]): no new acquisition.
    pub continues: bool,
    /// The link was already possible at the search window's start.
    pub cut_start: bool,
    /// The link was still possible at the search window's end, or a satellite stopped
    /// being propagated (see [`IslSearchResult::retirements`]).
    pub cut_end: bool,
}

/// Every ISL window of a search, and the satellites retired on the way.
#[derive(Debug, Default)]
pub struct IslSearchResult {
    /// Sorted by start, then `a`, then `b`.
    pub windows: Vec<IslWindow>,
    /// Satellites whose propagation failed (decay, SGP4 error), by index; their links end
    /// at the last good sample.
    pub retirements: Vec<Retirement>,
}

/// Finds when each candidate pair of `topology` can hold a link, over `search.window`.
pub fn find_isl_windows(
    satellites: &[Satellite],
    topology: &IslTopology,
    search: &IslSearch,
) -> Result<IslSearchResult, IslError> {
    if !(search.max_range_km > 0.0 && search.max_range_km.is_finite()) {
        return Err(invalid("max_range_km", "must be > 0"));
    }
    if let Some(split) = search.split_s
        && !(split > 0.0 && split.is_finite())
    {
        return Err(invalid("split_s", "must be > 0"));
    }
    let n = satellites.len();
    if n > u32::MAX as usize {
        return Err(invalid("satellites", "too many satellites"));
    }
    let pairs = match topology {
        IslTopology::GridWithFallback(mixed) => return find_grid_with_fallback(satellites, mixed, search),
        IslTopology::PlusGrid(grid) => Some(grid.links(n)?),
        IslTopology::Pairs(pairs) => {
            for (k, p) in pairs.iter().enumerate() {
                if p.a >= p.b || p.b as usize >= n {
                    return Err(invalid(format!("pairs[{k}]"), format!("needs a < b < {n}, got ({}, {})", p.a, p.b)));
                }
                if let Some(lat) = p.max_latitude_deg
                    && !(lat > 0.0 && lat <= 90.0)
                {
                    return Err(invalid(format!("pairs[{k}].max_latitude_deg"), "must be in (0, 90]"));
                }
            }
            Some(pairs.clone())
        }
        IslTopology::RangeBased(range) => {
            if !(1..=MAX_TERMINALS).contains(&range.terminals) {
                return Err(invalid("terminals", format!("must be 1–{MAX_TERMINALS}")));
            }
            if !(range.reevaluation_s > 0.0 && range.reevaluation_s.is_finite()) {
                return Err(invalid("reevaluation_s", "must be > 0"));
            }
            if let Some(f) = range.form_within_km
                && !(f > 0.0 && f <= search.max_range_km)
            {
                return Err(invalid("form_within_km", format!("must be in (0, {}]", search.max_range_km)));
            }
            if !(range.form_clearance_km >= 0.0 && range.form_clearance_km.is_finite()) {
                return Err(invalid("form_clearance_km", "must be ≥ 0"));
            }
            None
        }
    };
    let end_s = search.window.duration_s();
    if end_s <= 0.0 || n == 0 {
        return Ok(IslSearchResult::default());
    }
    let motion: Vec<Motion> = satellites.iter().map(Motion::of).collect();
    let timeline = Timeline::new(&motion, search.window, end_s);
    let ctx = Ctx { max_range_km: search.max_range_km, split_s: search.split_s, end_s, motion: &motion };
    let mut fleet = FleetSamples::new(n);
    let trackers = match (topology, pairs) {
        (IslTopology::RangeBased(range), _) => scan_range(satellites, range, &ctx, &timeline, &mut fleet),
        (_, Some(pairs)) => scan_pairs(satellites, &pairs, &ctx, &timeline, &mut fleet)?,
        (_, None) => unreachable!("pairs are built for every topology but range-based"),
    };
    // Each tracker's windows are freed as they are copied out, and the sort is in place:
    // a window list of millions (cross-plane links breaking near the poles for a month)
    // never exists twice.
    let start = search.window.start;
    let mut windows = Vec::with_capacity(trackers.iter().map(|t| t.windows.len()).sum());
    for tr in trackers {
        windows.extend(tr.windows.iter().filter_map(|&w| w.to_window(tr.a, tr.b, start)));
    }
    // (start, a, b) is unique: a pair's windows do not share a start.
    windows.par_sort_unstable_by_key(|w| (w.start, w.a, w.b));
    Ok(IslSearchResult { windows, retirements: fleet.retirements.into_iter().flatten().collect() })
}

/// [`IslTopology::GridWithFallback`]: the pairs' search (which also reports every
/// satellite's retirement), then the range-based search of the ranged satellites alone,
/// its windows renumbered into the fleet and merged in order.
fn find_grid_with_fallback(
    satellites: &[Satellite],
    mixed: &GridWithFallback,
    search: &IslSearch,
) -> Result<IslSearchResult, IslError> {
    let n = satellites.len();
    if mixed.ranged.windows(2).any(|w| w[0] >= w[1]) || mixed.ranged.last().is_some_and(|&i| i as usize >= n) {
        return Err(invalid("ranged", format!("needs ascending fleet indices below {n}")));
    }
    let mut found = find_isl_windows(satellites, &IslTopology::Pairs(mixed.pairs.clone()), search)?;
    if mixed.ranged.len() >= 2 {
        let subset: Vec<Satellite> = mixed.ranged.iter().map(|&i| satellites[i as usize].clone()).collect();
        let ranged = find_isl_windows(&subset, &IslTopology::RangeBased(mixed.range.clone()), search)?;
        let fleet_index = |i: u32| mixed.ranged[i as usize];
        found.windows.extend(ranged.windows.into_iter().map(|w| IslWindow {
            a: fleet_index(w.a),
            b: fleet_index(w.b),
            ..w
        }));
        found.windows.par_sort_unstable_by_key(|w| (w.start, w.a, w.b));
    }
    Ok(found)
}

/// Per-satellite bounds that make rate-bound skipping safe (inertial frame).
#[derive(Debug, Clone, Copy)]
struct Motion {
    /// Highest speed, km/s.
    vmax: f64,
    /// Highest gravitational acceleration, km/s².
    amax: f64,
    /// Highest angular rate about the Earth's centre, rad/s.
    angular_rate: f64,
    /// Angular rate at perigee of the element set, rad/s: sets the sample spacing.
    perigee_rate: f64,
}

impl Motion {
    fn of(sat: &Satellite) -> Motion {
        let el = &sat.elements;
        // Mean elements: SGP4's osculating orbit differs by short-periodic terms of a few
        // parts in 10³, hence the 1 % radius and 2 % speed and acceleration margins.
        let rp = el.perigee_radius_km().max(DECAY_RADIUS_KM);
        let a = el.semi_major_axis_km().max(rp);
        let vis_viva = |r: f64| (WGS72_MU_KM3_S2 * (2.0 / r - 1.0 / a)).sqrt();
        let perigee_rate = vis_viva(rp) / rp;
        let (mut rmin, mut vmax) = (0.99 * rp, vis_viva(0.99 * rp));
        if el.bstar > 0.0 {
            // Drag lowers the orbit over the window; it is followed down to the decay
            // radius, where it moves at about circular speed.
            rmin = 0.99 * DECAY_RADIUS_KM;
            vmax = vmax.max((WGS72_MU_KM3_S2 / rmin).sqrt());
        }
        let vmax = 1.02 * vmax;
        Motion { vmax, amax: 1.02 * WGS72_MU_KM3_S2 / (rmin * rmin), angular_rate: vmax / rmin, perigee_rate }
    }
}

/// The shared sample grid: `n_steps` equal steps over the window.
struct Timeline {
    start: UtcTime,
    end_s: f64,
    n_steps: usize,
    h: f64,
}

impl Timeline {
    fn new(motion: &[Motion], window: Window, end_s: f64) -> Timeline {
        let fastest = motion.iter().map(|m| m.perigee_rate).fold(0.0, f64::max);
        let h_max =
            if fastest > 0.0 { (MAX_ARC_PER_STEP_RAD / fastest).clamp(MIN_STEP_S, MAX_STEP_S) } else { MAX_STEP_S };
        let n_steps = ((end_s / h_max).ceil() as usize).max(1);
        Timeline { start: window.start, end_s, n_steps, h: end_s / n_steps as f64 }
    }

    /// Time of sample `k`, s from the window start.
    fn t(&self, k: usize) -> f64 {
        if k >= self.n_steps { self.end_s } else { k as f64 * self.h }
    }
}

/// Samples of every satellite for one chunk of the timeline.
struct FleetSamples {
    /// First sample index of the chunk.
    k0: usize,
    /// Samples per satellite in the chunk.
    len: usize,
    samples: Vec<Sample>,
    /// Per satellite: how many of the chunk's samples are valid (all, or up to retirement).
    valid: Vec<usize>,
    /// Per satellite: the first sample index at which propagation failed.
    dead_from: Vec<usize>,
    retirements: Vec<Option<Retirement>>,
    /// Sines of the distinct latitude limits of the candidate pairs.
    sin_limits: Vec<f64>,
    /// Per satellite: bit l set when some pair of it uses limit l.
    limit_mask: Vec<u8>,
    /// Per satellite: its crossings of the limits it uses within the chunk, by time. Each
    /// satellite's are found once, not once per link.
    latitude_events: Vec<Vec<LatitudeEvent>>,
}

impl FleetSamples {
    fn new(n: usize) -> FleetSamples {
        FleetSamples {
            k0: 0,
            len: 0,
            samples: Vec::new(),
            valid: vec![0; n],
            dead_from: vec![usize::MAX; n],
            retirements: vec![None; n],
            sin_limits: Vec::new(),
            limit_mask: vec![0; n],
            latitude_events: vec![Vec::new(); n],
        }
    }

    /// Registers the latitude limits of `pairs` (at most 8 distinct ones); returns each
    /// pair's limit index.
    fn use_latitude_limits(&mut self, pairs: &[IslPair]) -> Result<Vec<Option<u8>>, IslError> {
        let mut limits: Vec<f64> = pairs.iter().filter_map(|p| p.max_latitude_deg).collect();
        limits.sort_by(f64::total_cmp);
        limits.dedup();
        if limits.len() > 8 {
            return Err(invalid("max_latitude_deg", "at most 8 distinct latitude limits"));
        }
        self.sin_limits = limits.iter().map(|d| d.to_radians().sin()).collect();
        let mut out = Vec::with_capacity(pairs.len());
        for p in pairs {
            let index = p.max_latitude_deg.map(|d| limits.partition_point(|&x| x < d) as u8);
            if let Some(l) = index {
                self.limit_mask[p.a as usize] |= 1 << l;
                self.limit_mask[p.b as usize] |= 1 << l;
            }
            out.push(index);
        }
        Ok(out)
    }

    /// Propagates every satellite at samples `k0..=k1`, in parallel.
    fn fill(&mut self, satellites: &[Satellite], motion: &[Motion], timeline: &Timeline, k0: usize, k1: usize) {
        let len = k1 - k0 + 1;
        self.k0 = k0;
        self.len = len;
        let placeholder = Sample::new(0.0, Vector3::x(), Vector3::zeros(), 0.0);
        self.samples.resize(satellites.len() * len, placeholder);
        let times: Vec<(f64, UtcTime, f64)> = (k0..=k1)
            .map(|k| {
                let t = timeline.t(k);
                let time = timeline.start.plus_seconds(t);
                (t, time, time.gmst())
            })
            .collect();
        let (sin_limits, limit_mask) = (&self.sin_limits, &self.limit_mask);
        self.samples
            .par_chunks_mut(len)
            .zip(self.valid.par_iter_mut())
            .zip(self.dead_from.par_iter_mut())
            .zip(self.retirements.par_iter_mut())
            .zip(self.latitude_events.par_iter_mut())
            .enumerate()
            .for_each(|(i, ((((samples, valid), dead_from), retired), events))| {
                events.clear();
                if *dead_from <= k0 {
                    *valid = 0;
                    return;
                }
                *valid = len;
                for (j, &(t, time, gmst)) in times.iter().enumerate() {
                    match satellites[i].propagate(time) {
                        Ok(s) => samples[j] = Sample::new(t, s.position, s.velocity, gmst),
                        Err(reason) => {
                            *valid = j;
                            *dead_from = k0 + j;
                            *retired = Some(Retirement { satellite: i, time, reason });
                            break;
                        }
                    }
                }
                if limit_mask[i] != 0 {
                    let rate = motion[i].angular_rate;
                    latitude_crossings(&samples[..*valid], sin_limits, limit_mask[i], rate, events);
                }
            });
    }

    /// Satellite `i`'s crossings of limit `limit` in (ta, tb].
    fn latitude_events_in(&self, i: u32, limit: u8, ta: f64, tb: f64) -> impl Iterator<Item = &LatitudeEvent> {
        let events = &self.latitude_events[i as usize];
        let from = events.partition_point(|e| e.t <= ta);
        events[from..].iter().take_while(move |e| e.t <= tb).filter(move |e| e.limit == limit)
    }

    /// Whether satellite `i` has a valid sample `k` (k within the chunk).
    fn alive(&self, i: u32, k: usize) -> bool {
        k - self.k0 < self.valid[i as usize]
    }

    fn get(&self, i: u32, k: usize) -> &Sample {
        &self.samples[i as usize * self.len + (k - self.k0)]
    }
}

const RANGE: usize = 0;
const CLEARANCE: usize = 1;
const LATITUDE_A: usize = 2;
const LATITUDE_B: usize = 3;
const MAX_CONDITIONS: usize = 4;

/// The link's margins at one instant: each `g[c] ≥ 0` when condition `c` holds, with its
/// time derivative `dg[c]`.
#[derive(Debug, Clone, Copy)]
struct Values {
    g: [f64; MAX_CONDITIONS],
    dg: [f64; MAX_CONDITIONS],
    range_km: f64,
    /// Inertial relative speed, km/s: bounds how fast the range can change.
    relative_speed: f64,
}

/// The margins for satellites at (ra, va) and (rb, vb), Earth-fixed km and km/s.
fn evaluate(
    ra: &Vector3<f64>,
    va: &Vector3<f64>,
    rb: &Vector3<f64>,
    vb: &Vector3<f64>,
    max_range_km: f64,
    sin_latitude: Option<f64>,
) -> Values {
    let d = rb - ra;
    let w = vb - va;
    let range_km = d.norm();
    let mut g = [f64::INFINITY; MAX_CONDITIONS];
    let mut dg = [0.0; MAX_CONDITIONS];
    g[RANGE] = max_range_km - range_km;
    dg[RANGE] = if range_km > 0.0 { -d.dot(&w) / range_km } else { 0.0 };
    // The closest point of the segment to the centre: where it is interior the distance
    // is stationary in the segment parameter, so its rate is that of the point itself.
    let s = segment_parameter(ra, &d);
    let p = ra + d * s;
    let p_norm = p.norm();
    g[CLEARANCE] = p_norm - LINE_OF_SIGHT_RADIUS_KM;
    dg[CLEARANCE] = p.dot(&(va + w * s)) / p_norm;
    if let Some(limit) = sin_latitude {
        (g[LATITUDE_A], dg[LATITUDE_A]) = latitude_margin(ra, va, limit);
        (g[LATITUDE_B], dg[LATITUDE_B]) = latitude_margin(rb, vb, limit);
    }
    // The Earth-fixed relative velocity plus ω × d is the inertial one.
    let w_inertial = Vector3::new(w.x - EARTH_ROTATION_RAD_S * d.y, w.y + EARTH_ROTATION_RAD_S * d.x, w.z);
    Values { g, dg, range_km, relative_speed: w_inertial.norm() }
}

/// `sin(limit) − |sin(latitude)|` (geocentric) of a satellite at (r, v), Earth-fixed, and
/// its rate: ≥ 0 while the satellite is below the latitude limit.
fn latitude_margin(r: &Vector3<f64>, v: &Vector3<f64>, sin_limit: f64) -> (f64, f64) {
    let r_norm = r.norm();
    let sin_lat = r.z / r_norm;
    let rate = v.z / r_norm - r.z * r.dot(v) / (r_norm * r_norm * r_norm);
    (sin_limit - sin_lat.abs(), -sin_lat.signum() * rate)
}

/// A satellite crossing one of the search's latitude limits.
#[derive(Debug, Clone, Copy)]
struct LatitudeEvent {
    t: f64,
    /// Index into [`FleetSamples::sin_limits`].
    limit: u8,
    /// Now below the limit.
    below: bool,
}

/// What a tracker needs from the search.
struct Ctx<'m> {
    max_range_km: f64,
    split_s: Option<f64>,
    end_s: f64,
    motion: &'m [Motion],
}

/// Both satellites' samples bracketing one step.
struct Segment<'k> {
    a0: &'k Sample,
    a1: &'k Sample,
    b0: &'k Sample,
    b1: &'k Sample,
}

impl Segment<'_> {
    fn new(fleet: &FleetSamples, a: u32, b: u32, k: usize) -> Segment<'_> {
        Segment { a0: fleet.get(a, k), a1: fleet.get(a, k + 1), b0: fleet.get(b, k), b1: fleet.get(b, k + 1) }
    }

    fn values(&self, t: f64, max_range_km: f64, sin_latitude: Option<f64>) -> Values {
        let (ra, va) = interpolate_ecef(self.a0, self.a1, t);
        let (rb, vb) = interpolate_ecef(self.b0, self.b1, t);
        evaluate(&ra, &va, &rb, &vb, max_range_km, sin_latitude)
    }

    fn end_values(&self, max_range_km: f64, sin_latitude: Option<f64>) -> Values {
        evaluate(&self.a1.r_ecef, &self.a1.v_ecef, &self.b1.r_ecef, &self.b1.v_ecef, max_range_km, sin_latitude)
    }
}

#[derive(Debug, Clone, Copy)]
enum Change {
    /// Condition `c` becomes satisfied (true) or fails (false).
    Condition(usize, bool),
    /// A split boundary of [`IslSearch::split_s`].
    Split,
}

#[derive(Debug, Clone, Copy)]
struct OpenWindow {
    start: f64,
    continues: bool,
    cut_start: bool,
    closest: f64,
    min_range: f64,
    max_range: f64,
}

/// A window in seconds from the search start, before rounding.
#[derive(Debug, Clone, Copy)]
struct RawWindow {
    start: f64,
    end: f64,
    closest: f64,
    min_range: f32,
    max_range: f32,
    continues: bool,
    cut_start: bool,
    cut_end: bool,
}

impl RawWindow {
    fn to_window(self, a: u32, b: u32, start: UtcTime) -> Option<IslWindow> {
        let at = |t: f64| start.plus_nanos((t * 1e3).round() as i64 * 1_000_000);
        let (s, e) = (at(self.start), at(self.end));
        (e > s).then(|| IslWindow {
            a,
            b,
            start: s,
            end: e,
            closest: at(self.closest).clamp(s, e),
            min_range_km: self.min_range,
            max_range_km: self.max_range,
            continues: self.continues,
            cut_start: self.cut_start,
            cut_end: self.cut_end,
        })
    }
}

/// Follows one candidate pair through the timeline.
struct Tracker {
    a: u32,
    b: u32,
    sin_latitude: Option<f64>,
    /// Index of the latitude limit in [`FleetSamples::sin_limits`].
    limit: Option<u8>,
    n_conditions: usize,
    /// Margins at the time the tracker has reached.
    last: Values,
    valid: [bool; MAX_CONDITIONS],
    up: bool,
    open: Option<OpenWindow>,
    windows: Vec<RawWindow>,
    /// Scratch list of the changes inside a step.
    changes: Vec<(f64, Change)>,
    /// No further windows: a satellite retired, or (one-shot) the link broke.
    done: bool,
    /// Range-based links end for good at their first break.
    one_shot: bool,
    /// When the tracker became done, s.
    ended_at: f64,
}

impl Tracker {
    fn new(a: u32, b: u32, limit: Option<(u8, f64)>, one_shot: bool) -> Tracker {
        let sin_latitude = limit.map(|l| l.1);
        Tracker {
            a,
            b,
            sin_latitude,
            limit: limit.map(|l| l.0),
            n_conditions: if sin_latitude.is_some() { 4 } else { 2 },
            last: Values { g: [0.0; 4], dg: [0.0; 4], range_km: 0.0, relative_speed: 0.0 },
            valid: [true; MAX_CONDITIONS],
            up: false,
            open: None,
            windows: Vec::new(),
            changes: Vec::new(),
            done: false,
            one_shot,
            ended_at: f64::INFINITY,
        }
    }

    /// Starts following at `t` with margins `v`.
    fn begin(&mut self, t: f64, v: Values) {
        self.last = v;
        for c in 0..self.n_conditions {
            self.valid[c] = v.g[c] >= 0.0;
        }
        self.up = self.valid[..self.n_conditions].iter().all(|&x| x);
        if self.up {
            self.open_window(t, v.range_km, false, t == 0.0);
        } else if self.one_shot {
            self.done = true;
            self.ended_at = t;
        }
    }

    fn open_window(&mut self, t: f64, range: f64, continues: bool, cut_start: bool) {
        self.open = Some(OpenWindow { start: t, continues, cut_start, closest: t, min_range: range, max_range: range });
    }

    fn observe(&mut self, t: f64, range: f64) {
        if let Some(o) = &mut self.open
            && t >= o.start
        {
            if range < o.min_range {
                o.min_range = range;
                o.closest = t;
            }
            o.max_range = o.max_range.max(range);
        }
    }

    fn close_window(&mut self, t: f64, range: f64, cut_end: bool) {
        self.observe(t, range);
        if let Some(o) = self.open.take() {
            self.windows.push(RawWindow {
                start: o.start,
                end: t,
                closest: o.closest,
                min_range: o.min_range as f32,
                max_range: o.max_range as f32,
                continues: o.continues,
                cut_start: o.cut_start,
                cut_end,
            });
        }
    }

    /// The link goes up or down at `t`.
    fn toggle(&mut self, t: f64, range: f64) {
        self.up = !self.up;
        if self.up {
            self.open_window(t, range, false, false);
        } else {
            self.close_window(t, range, false);
            if self.one_shot {
                self.done = true;
                self.ended_at = t;
            }
        }
    }

    /// A satellite has no sample after `t`: the link ends there.
    fn retire(&mut self, t: f64) {
        let range = self.last.range_km;
        self.close_window(t, range, true);
        self.done = true;
        self.ended_at = t;
    }

    /// Closes the window still open at the end of the search.
    fn finish(&mut self, end_s: f64) {
        if !self.done {
            let range = self.last.range_km;
            self.close_window(end_s, range, true);
        }
    }

    /// Advances over step `k` (from `ta`, where the tracker stands, to its end sample).
    fn step(&mut self, ctx: &Ctx, fleet: &FleetSamples, k: usize, ta: f64, tb: f64) {
        if self.done {
            return;
        }
        if !fleet.alive(self.a, k + 1) || !fleet.alive(self.b, k + 1) {
            self.retire(ta);
            return;
        }
        let seg = Segment::new(fleet, self.a, self.b, k);
        let vb = seg.end_values(ctx.max_range_km, self.sin_latitude);
        self.advance(ctx, fleet, &seg, ta, tb, vb);
    }

    /// Follows the link from `ta` (margins `self.last`) to `tb` (margins `vb`) inside one
    /// step, recording every change of state.
    fn advance(&mut self, ctx: &Ctx, fleet: &FleetSamples, seg: &Segment, ta: f64, tb: f64, vb: Values) {
        let va = self.last;
        let sin_latitude = self.sin_latitude;
        let eval = |t: f64| seg.values(t, ctx.max_range_km, sin_latitude);
        // Reused across steps: most steps have no change at all.
        let mut changes = std::mem::take(&mut self.changes);
        changes.clear();
        if tb > ta {
            let (ma, mb) = (ctx.motion[self.a as usize], ctx.motion[self.b as usize]);
            let span = tb - ta;
            for c in [RANGE, CLEARANCE] {
                let lipschitz = if c == RANGE {
                    0.5 * (va.relative_speed + vb.relative_speed + (ma.amax + mb.amax) * span)
                } else {
                    ma.vmax.max(mb.vmax)
                };
                let margin = |t: f64| {
                    let v = eval(t);
                    (v.g[c], v.dg[c])
                };
                margin_changes((ta, va.g[c], va.dg[c]), (tb, vb.g[c], vb.dg[c]), lipschitz, margin, |t, ok| {
                    changes.push((t, Change::Condition(c, ok)))
                });
            }
            if let Some(limit) = self.limit {
                for (c, sat) in [(LATITUDE_A, self.a), (LATITUDE_B, self.b)] {
                    for e in fleet.latitude_events_in(sat, limit, ta, tb) {
                        changes.push((e.t, Change::Condition(c, e.below)));
                    }
                }
            }
            if let Some(split) = ctx.split_s {
                let mut j = (ta / split).floor() + 1.0;
                while j * split <= tb && j * split < ctx.end_s {
                    changes.push((j * split, Change::Split));
                    j += 1.0;
                }
            }
        }
        changes.sort_by(|x, y| x.0.total_cmp(&y.0));
        let range_at = |t: f64| eval(t).range_km;
        for &(t, change) in &changes {
            match change {
                Change::Condition(c, ok) => {
                    self.valid[c] = ok;
                    let up = self.valid[..self.n_conditions].iter().all(|&x| x);
                    if up != self.up {
                        self.toggle(t, range_at(t));
                    }
                }
                Change::Split => {
                    if self.up {
                        let range = range_at(t);
                        self.close_window(t, range, false);
                        self.open_window(t, range, true, false);
                    }
                }
            }
            if self.done {
                break;
            }
        }
        self.changes = changes;
        if self.done {
            return;
        }
        // The end sample has the last word (a crossing within the tolerance of `tb`).
        for c in 0..self.n_conditions {
            self.valid[c] = vb.g[c] >= 0.0;
        }
        let up = self.valid[..self.n_conditions].iter().all(|&x| x);
        if up != self.up {
            self.toggle(tb, vb.range_km);
            if self.done {
                return;
            }
        }
        if self.up {
            self.observe(tb, vb.range_km);
            // A range maximum between samples (a broad one: satellites far apart) from the
            // cubic model, so that the maximum bounds the light time. Minima can be sharp
            // (satellites passing close) and are left to the samples.
            let (da, db) = (-va.dg[RANGE], -vb.dg[RANGE]);
            if da > 0.0
                && db < 0.0
                && let Some((_, range)) = HermiteCubic::new(ta, va.range_km, da, tb, vb.range_km, db).extremum()
                && let Some(o) = &mut self.open
            {
                o.max_range = o.max_range.max(range);
            }
        }
        self.last = vb;
    }
}

/// Where a margin changes sign in (ta, tb], given its values and rates at both ends, a
/// bound on its rate over the step, and the margin anywhere (value and rate): `push(t,
/// holds)` for each crossing, in time order. See the module docs for why this cannot miss
/// a crossing.
fn margin_changes(
    (ta, ga, da): (f64, f64, f64),
    (tb, gb, db): (f64, f64, f64),
    lipschitz: f64,
    margin: impl Fn(f64) -> (f64, f64),
    mut push: impl FnMut(f64, bool),
) {
    let (pa, pb) = (ga >= 0.0, gb >= 0.0);
    let span = tb - ta;
    if pa != pb {
        // From the cubic model's crossing, Newton usually needs two evaluations.
        // One extremum at most: exactly one crossing.
        let guess = HermiteCubic::new(ta, ga, da, tb, gb, db).crossing(0.0);
        let start = Start { guess: Some(guess), slope: None };
        push(bracketed_root(Bracket { lo: ta, f_lo: ga, hi: tb, f_hi: gb }, start, CROSSING_TOLERANCE, &margin), pb);
        return;
    }
    if ga.abs() + gb.abs() > lipschitz * span {
        return;
    }
    let toward_zero = if pa { da < 0.0 && db > 0.0 } else { da > 0.0 && db < 0.0 };
    if !toward_zero {
        return;
    }
    // Dips of these margins are broad (satellites far apart, or at their highest
    // latitude), where the cubic model is good; bumps from below can be sharp (satellites
    // passing close while out of range at both samples) and are always located.
    let model = HermiteCubic::new(ta, ga, da, tb, gb, db).extremum();
    if pa
        && let Some((_, value)) = model
        && value >= MODEL_DISMISS_FRACTION * ga.min(gb)
    {
        return;
    }
    let start = Start { guess: model.map(|(t, _)| t), slope: None };
    let m = bracketed_root(Bracket { lo: ta, f_lo: da, hi: tb, f_hi: db }, start, EXTREMUM_TOLERANCE, |t| {
        (margin(t).1, f64::NAN)
    });
    let gm = margin(m).0;
    if (gm >= 0.0) == pa {
        return;
    }
    let from_falsi = Start::default();
    push(bracketed_root(Bracket { lo: ta, f_lo: ga, hi: m, f_hi: gm }, from_falsi, CROSSING_TOLERANCE, &margin), !pa);
    push(bracketed_root(Bracket { lo: m, f_lo: gm, hi: tb, f_hi: gb }, from_falsi, CROSSING_TOLERANCE, &margin), pa);
}

/// One satellite's crossings of the latitude limits in `mask`, over its valid samples.
fn latitude_crossings(
    samples: &[Sample],
    sin_limits: &[f64],
    mask: u8,
    angular_rate: f64,
    events: &mut Vec<LatitudeEvent>,
) {
    for (l, &sin_limit) in sin_limits.iter().enumerate() {
        if mask & (1 << l) == 0 {
            continue;
        }
        for pair in samples.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let (ga, da) = latitude_margin(&a.r_ecef, &a.v_ecef, sin_limit);
            let (gb, db) = latitude_margin(&b.r_ecef, &b.v_ecef, sin_limit);
            let margin = |t: f64| {
                let (r, v) = interpolate_ecef(a, b, t);
                latitude_margin(&r, &v, sin_limit)
            };
            margin_changes((a.t, ga, da), (b.t, gb, db), angular_rate, margin, |t, below| {
                events.push(LatitudeEvent { t, limit: l as u8, below })
            });
        }
    }
    if sin_limits.len() > 1 {
        events.sort_by(|x, y| x.t.total_cmp(&y.t));
    }
}

/// Fixed candidate pairs (+Grid or explicit), each followed through the whole window.
fn scan_pairs(
    satellites: &[Satellite],
    pairs: &[IslPair],
    ctx: &Ctx,
    timeline: &Timeline,
    fleet: &mut FleetSamples,
) -> Result<Vec<Tracker>, IslError> {
    let limits = fleet.use_latitude_limits(pairs)?;
    let mut trackers: Vec<Tracker> = pairs
        .iter()
        .zip(limits)
        .map(|(p, l)| Tracker::new(p.a, p.b, l.map(|l| (l, fleet.sin_limits[l as usize])), false))
        .collect();
    for k0 in (0..timeline.n_steps).step_by(CHUNK_STEPS) {
        let k1 = (k0 + CHUNK_STEPS).min(timeline.n_steps);
        fleet.fill(satellites, ctx.motion, timeline, k0, k1);
        let fleet = &*fleet;
        trackers.par_iter_mut().for_each(|tr| {
            if k0 == 0 {
                if fleet.alive(tr.a, 0) && fleet.alive(tr.b, 0) {
                    let (a, b) = (fleet.get(tr.a, 0), fleet.get(tr.b, 0));
                    tr.begin(
                        0.0,
                        evaluate(&a.r_ecef, &a.v_ecef, &b.r_ecef, &b.v_ecef, ctx.max_range_km, tr.sin_latitude),
                    );
                } else {
                    tr.done = true;
                }
            }
            for k in k0..k1 {
                if tr.done {
                    break;
                }
                tr.step(ctx, fleet, k, timeline.t(k), timeline.t(k + 1));
            }
        });
    }
    trackers.par_iter_mut().for_each(|tr| tr.finish(ctx.end_s));
    Ok(trackers)
}

/// Range-based links: pairing at every re-evaluation, each link followed until it breaks.
/// Runs on a pool thread: the many small parallel loops of each re-evaluation then cost a
/// work-stealing handoff rather than a wake-up of the calling thread.
fn scan_range(
    satellites: &[Satellite],
    topology: &RangeTopology,
    ctx: &Ctx,
    timeline: &Timeline,
    fleet: &mut FleetSamples,
) -> Vec<Tracker> {
    rayon::scope(|_| scan_range_in_pool(satellites, topology, ctx, timeline, fleet))
}

fn scan_range_in_pool(
    satellites: &[Satellite],
    topology: &RangeTopology,
    ctx: &Ctx,
    timeline: &Timeline,
    fleet: &mut FleetSamples,
) -> Vec<Tracker> {
    let n = satellites.len();
    let mut pairing = Pairing {
        terminals: topology.terminals,
        form_range_km: topology.form_within_km.unwrap_or(0.9 * ctx.max_range_km),
        form_clearance_km: topology.form_clearance_km,
        used: vec![0; n],
        partners: vec![Vec::new(); n],
    };
    let mut active: Vec<Tracker> = Vec::new();
    let mut finished: Vec<Tracker> = Vec::new();
    let mut epoch = 0usize;
    let epoch_time = |m: usize| m as f64 * topology.reevaluation_s;
    for k0 in (0..timeline.n_steps).step_by(CHUNK_STEPS) {
        let k1 = (k0 + CHUNK_STEPS).min(timeline.n_steps);
        fleet.fill(satellites, ctx.motion, timeline, k0, k1);
        let fleet = &*fleet;
        for k in k0..k1 {
            let (tk, tk1) = (timeline.t(k), timeline.t(k + 1));
            active.par_iter_mut().for_each(|tr| tr.step(ctx, fleet, k, tk, tk1));
            while epoch_time(epoch) < tk1 {
                let e = epoch_time(epoch).max(tk);
                epoch += 1;
                for tr in active.extract_if(.., |tr| tr.done && tr.ended_at <= e) {
                    pairing.release(tr.a, tr.b);
                    finished.push(tr);
                }
                let mut fresh: Vec<Tracker> = pairing
                    .pair(fleet, k, e, ctx.max_range_km)
                    .into_iter()
                    .map(|(a, b, v)| {
                        let mut tr = Tracker::new(a, b, None, true);
                        tr.begin(e, v);
                        tr
                    })
                    .collect();
                fresh.par_iter_mut().for_each(|tr| {
                    if !tr.done {
                        let seg = Segment::new(fleet, tr.a, tr.b, k);
                        let vb = seg.end_values(ctx.max_range_km, None);
                        tr.advance(ctx, fleet, &seg, e, tk1, vb);
                    }
                });
                active.extend(fresh);
            }
        }
    }
    active.par_iter_mut().for_each(|tr| tr.finish(ctx.end_s));
    finished.extend(active);
    finished
}

/// Terminal bookkeeping and the greedy pairing of a range-based topology.
struct Pairing {
    terminals: u32,
    form_range_km: f64,
    form_clearance_km: f64,
    /// Terminals in use per satellite (a broken link holds its terminals until the next
    /// re-evaluation).
    used: Vec<u32>,
    partners: Vec<Vec<u32>>,
}

impl Pairing {
    fn release(&mut self, a: u32, b: u32) {
        self.used[a as usize] -= 1;
        self.used[b as usize] -= 1;
        self.partners[a as usize].retain(|&x| x != b);
        self.partners[b as usize].retain(|&x| x != a);
    }

    fn link(&mut self, a: u32, b: u32) {
        self.used[a as usize] += 1;
        self.used[b as usize] += 1;
        self.partners[a as usize].push(b);
        self.partners[b as usize].push(a);
    }

    fn free(&self, i: u32) -> bool {
        self.used[i as usize] < self.terminals
    }

    /// New links at time `e` inside step `k`, with their margins there.
    fn pair(&mut self, fleet: &FleetSamples, k: usize, e: f64, max_range_km: f64) -> Vec<(u32, u32, Values)> {
        let free: Vec<u32> = (0..self.used.len() as u32).filter(|&i| self.free(i) && fleet.alive(i, k + 1)).collect();
        if free.len() < 2 {
            return Vec::new();
        }
        let states: Vec<(Vector3<f64>, Vector3<f64>)> =
            free.par_iter().map(|&i| interpolate_ecef(fleet.get(i, k), fleet.get(i, k + 1), e)).collect();
        let mut live: Vec<u32> = (0..free.len() as u32).collect();
        let mut accepted: Vec<(u32, u32)> = Vec::new();
        for _ in 0..MAX_PAIRING_ROUNDS {
            if live.len() < 2 {
                break;
            }
            let grid = CellGrid::new(&live, &states, self.form_range_km);
            let this = &*self;
            let free = free.as_slice();
            let mut proposals: Vec<(f64, u32, u32)> = live
                .par_iter()
                .flat_map_iter(|&q| {
                    let i = free[q as usize];
                    let want = (this.terminals - this.used[i as usize]) as usize;
                    let p = states[q as usize].0;
                    grid.nearest(q, &states, want, this.form_range_km, |j| {
                        !this.partners[i as usize].contains(&free[j as usize])
                            && line_of_sight_clearance_km(&p, &states[j as usize].0) >= this.form_clearance_km
                    })
                    .into_iter()
                    .map(move |(d, j)| {
                        let other = free[j as usize];
                        (d, i.min(other), i.max(other))
                    })
                })
                .collect();
            proposals.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
            proposals.dedup_by_key(|p| (p.1, p.2));
            let before = accepted.len();
            for (_, a, b) in proposals {
                if self.free(a) && self.free(b) && !self.partners[a as usize].contains(&b) {
                    self.link(a, b);
                    accepted.push((a, b));
                }
            }
            if accepted.len() == before {
                break;
            }
            live.retain(|&q| self.free(free[q as usize]));
        }
        accepted
            .into_iter()
            .map(|(a, b)| {
                let (ia, ib) = (free.binary_search(&a).unwrap_or(0), free.binary_search(&b).unwrap_or(0));
                let ((ra, va), (rb, vb)) = (&states[ia], &states[ib]);
                (a, b, evaluate(ra, va, rb, vb, max_range_km, None))
            })
            .collect()
    }
}

/// Mixes a packed cell key (splitmix64's finaliser): the keys are already distinct, so
/// SipHash's protection against adversarial keys buys nothing and costs a third of a
/// range-based search.
#[derive(Default)]
struct CellHasher(u64);

impl std::hash::Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ b as u64);
        }
    }

    fn write_u64(&mut self, x: u64) {
        let mut z = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = z ^ (z >> 31);
    }
}

type CellMap = HashMap<u64, Vec<u32>, std::hash::BuildHasherDefault<CellHasher>>;

/// A uniform 3-D grid of points (Earth-fixed, km) for nearest-neighbour queries. The cell
/// size follows the points' density (about twice their mean spacing on a sphere, between
/// 1/8 of the search radius and the radius), so a query visits a bounded number of
/// points whatever the fleet size.
struct CellGrid {
    cell: f64,
    cells: CellMap,
}

impl CellGrid {
    fn new(points: &[u32], states: &[(Vector3<f64>, Vector3<f64>)], radius_km: f64) -> CellGrid {
        let n = points.len().max(1) as f64;
        let mean_r = points.iter().map(|&q| states[q as usize].0.norm()).sum::<f64>() / n;
        let spacing = (4.0 * std::f64::consts::PI * mean_r * mean_r / n).sqrt();
        let cell = (2.0 * spacing).clamp(radius_km / 8.0, radius_km);
        let mut cells = CellMap::default();
        for &q in points {
            cells.entry(Self::pack(Self::coordinates(&states[q as usize].0, cell))).or_default().push(q);
        }
        CellGrid { cell, cells }
    }

    fn coordinates(p: &Vector3<f64>, cell: f64) -> [i64; 3] {
        [(p.x / cell).floor() as i64, (p.y / cell).floor() as i64, (p.z / cell).floor() as i64]
    }

    /// Three 21-bit cell coordinates in one key. Coordinates beyond ±2²⁰ cells wrap, which
    /// only merges far-apart cells: every candidate's distance is checked anyway.
    fn pack(c: [i64; 3]) -> u64 {
        const MASK: u64 = (1 << 21) - 1;
        let part = |x: i64| (x + (1 << 20)) as u64 & MASK;
        (part(c[0]) << 42) | (part(c[1]) << 21) | part(c[2])
    }

    /// Up to `want` points nearest to point `q` within `radius_km` that pass `accept`, as
    /// (distance, point) by increasing distance (ties by point).
    fn nearest(
        &self,
        q: u32,
        states: &[(Vector3<f64>, Vector3<f64>)],
        want: usize,
        radius_km: f64,
        accept: impl Fn(u32) -> bool,
    ) -> Vec<(f64, u32)> {
        let mut best: Vec<(f64, u32)> = Vec::with_capacity(want + 1);
        if want == 0 {
            return best;
        }
        let p = states[q as usize].0;
        let centre = Self::coordinates(&p, self.cell);
        // A point within the radius is at most that far along each axis.
        let m_max = (radius_km / self.cell).ceil() as i64;
        let consider = |best: &mut Vec<(f64, u32)>, j: u32| {
            if j == q {
                return;
            }
            let d = (states[j as usize].0 - p).norm();
            if d > radius_km {
                return;
            }
            let before = |e: &(f64, u32)| e.0 < d || (e.0 == d && e.1 < j);
            if best.len() == want && before(&best[want - 1]) {
                return;
            }
            if !accept(j) {
                return;
            }
            let at = best.partition_point(before);
            best.insert(at, (d, j));
            best.truncate(want);
        };
        for m in 0..=m_max {
            for dx in -m..=m {
                for dy in -m..=m {
                    let edge = dx.abs() == m || dy.abs() == m;
                    let mut dz = -m;
                    while dz <= m {
                        let key = Self::pack([centre[0] + dx, centre[1] + dy, centre[2] + dz]);
                        if let Some(members) = self.cells.get(&key) {
                            for &j in members {
                                consider(&mut best, j);
                            }
                        }
                        // Interior columns only touch the shell at their two ends.
                        dz += if edge || dz == m { 1 } else { 2 * m };
                    }
                }
            }
            // Cells beyond shell m are more than m cells away along some axis.
            if best.len() == want && best[want - 1].0 <= m as f64 * self.cell {
                break;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(planes: u32, per_plane: u32, phasing: u32, pattern: WalkerPattern) -> ShellLayout {
        ShellLayout {
            first_index: 0,
            planes,
            per_plane,
            phasing,
            pattern,
            inclination_deg: 53.0,
            raan_spread_deg: if pattern == WalkerPattern::Delta { 360.0 } else { 180.0 },
        }
    }

    fn degrees(links: &[IslPair], n: usize) -> Vec<usize> {
        let mut deg = vec![0; n];
        for l in links {
            deg[l.a as usize] += 1;
            deg[l.b as usize] += 1;
        }
        deg
    }

    #[test]
    fn delta_shells_have_four_links_each() {
        for (planes, per_plane, phasing) in [(6, 10, 1), (72, 22, 39), (3, 3, 2), (24, 24, 0), (5, 7, 4)] {
            let grid = GridTopology {
                shells: vec![layout(planes, per_plane, phasing, WalkerPattern::Delta)],
                cross_plane_max_latitude_deg: None,
            };
            let n = (planes * per_plane) as usize;
            let links = grid.links(n).unwrap();
            assert_eq!(links.len(), 2 * n);
            assert!(degrees(&links, n).iter().all(|&d| d == 4), "{planes}/{per_plane}/{phasing}");
        }
    }

    #[test]
    fn star_seam_planes_have_three() {
        let l = layout(6, 8, 0, WalkerPattern::Star);
        let grid = GridTopology { shells: vec![l.clone()], cross_plane_max_latitude_deg: Some(70.0) };
        let links = grid.links(48).unwrap();
        let deg = degrees(&links, 48);
        for p in 0..6 {
            for s in 0..8 {
                let want = if p == 0 || p == 5 { 3 } else { 4 };
                assert_eq!(deg[l.index(p, s)], want, "plane {p} slot {s}");
            }
        }
        let cross: Vec<_> = links.iter().filter(|x| x.max_latitude_deg.is_some()).collect();
        assert_eq!(cross.len(), 5 * 8);
        let single =
            GridTopology { shells: vec![layout(1, 5, 0, WalkerPattern::Star)], cross_plane_max_latitude_deg: None };
        assert!(degrees(&single.links(5).unwrap(), 5).iter().all(|&d| d == 2));
    }

    #[test]
    fn seam_partner_accounts_for_phasing() {
        // Polar delta (cos i = 0), 4 planes of 10, F = 1: plane p is advanced by 9°·p, so
        // the virtual plane 4 is plane 0 advanced by 36° = 1 slot: slot s of plane 3 meets
        // slot s + 1 of plane 0, and regular neighbours meet the same slot.
        let mut l = layout(4, 10, 1, WalkerPattern::Delta);
        l.inclination_deg = 90.0;
        assert_eq!(l.slot_offset(0, 1), 0);
        assert_eq!(l.slot_offset(3, 0), 1);
        // F = 3: 27° per plane, nearer to one slot back (−9°); across the seam 3 slots more.
        l.phasing = 3;
        assert_eq!(l.slot_offset(0, 1), 9);
        assert_eq!(l.slot_offset(3, 0), 2);
        // F = 2: 18° is exactly half a slot; the tie goes behind, consistently on the seam.
        l.phasing = 2;
        assert_eq!(l.slot_offset(0, 1), 9);
        assert_eq!(l.slot_offset(3, 0), 1);
        // Inclined planes: a 90° node step at 60° shifts along track by 45° (1.25 slots).
        let mut m = layout(4, 10, 0, WalkerPattern::Delta);
        m.inclination_deg = 60.0;
        assert_eq!(m.slot_offset(0, 1), 9);
    }

    #[test]
    fn rejects_bad_layouts() {
        let mut a = layout(4, 4, 0, WalkerPattern::Delta);
        let mut b = a.clone();
        b.first_index = 10;
        let grid = GridTopology { shells: vec![a.clone(), b], cross_plane_max_latitude_deg: None };
        assert!(grid.links(40).unwrap_err().to_string().contains("overlaps"));
        assert!(grid.links(20).unwrap_err().to_string().contains("outside"));
        a.phasing = 4;
        let grid = GridTopology { shells: vec![a], cross_plane_max_latitude_deg: Some(0.0) };
        assert!(grid.links(16).is_err());
    }

    #[test]
    fn clearance_and_delay() {
        let r = LINE_OF_SIGHT_RADIUS_KM + 500.0;
        // Symmetric about the x axis: the chord's midpoint is at r·cos(θ/2).
        let half = 0.3f64;
        let a = Vector3::new(r * half.cos(), r * half.sin(), 0.0);
        let b = Vector3::new(r * half.cos(), -r * half.sin(), 0.0);
        assert!((line_of_sight_clearance_km(&a, &b) - (r * half.cos() - LINE_OF_SIGHT_RADIUS_KM)).abs() < 1e-9);
        // Radially aligned: the lower satellite is the closest point.
        let c = Vector3::new(r + 1000.0, 0.0, 0.0);
        assert!((line_of_sight_clearance_km(&Vector3::new(r, 0.0, 0.0), &c) - 500.0).abs() < 1e-9);
        // Opposite sides of the Earth.
        assert!(!link_geometry_ok(&a, &-a, 1e6));
        assert_eq!(propagation_delay_ns(SPEED_OF_LIGHT_KM_S), 1_000_000_000);
        assert!((propagation_delay_s(5000.0) - 0.016_678).abs() < 1e-6);
    }

    #[test]
    fn grid_nearest_matches_brute_force() {
        let mut states = Vec::new();
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..400 {
            let (u, v) = (next() * 2.0 - 1.0, next() * std::f64::consts::TAU);
            let s = (1.0 - u * u).sqrt();
            states.push((Vector3::new(s * v.cos(), s * v.sin(), u) * 6928.0, Vector3::zeros()));
        }
        let points: Vec<u32> = (0..400).collect();
        let grid = CellGrid::new(&points, &states, 3000.0);
        for q in 0..400u32 {
            let got = grid.nearest(q, &states, 4, 3000.0, |j| j % 7 != 0);
            let mut all: Vec<(f64, u32)> = (0..400u32)
                .filter(|&j| j != q && j % 7 != 0)
                .map(|j| ((states[j as usize].0 - states[q as usize].0).norm(), j))
                .filter(|e| e.0 <= 3000.0)
                .collect();
            all.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            all.truncate(4);
            assert_eq!(got, all, "query {q}");
        }
    }
}
