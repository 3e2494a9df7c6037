//! Real catalogues as shells, planes and slots: what +Grid links need to name each
//! satellite's neighbours in a TLE/OMM fleet, as [`super::walker`] names them in a
//! generated one.
//!
//! Every satellite is first *placed* at one common epoch from its mean elements: SGP4's
//! Brouwer mean motion and semi-major axis (the altitude is that axis above the WGS84
//! equatorial radius, as a Walker shell's), the inclination, and the right ascension of
//! the ascending node and mean argument of latitude (ω + M) carried from the element epoch
//! to the common one by the secular J2 rates (the nodes of satellites at different heights
//! regress at different rates, about 5°/day at 500 km and 53°) and the element set's
//! mean-motion derivative. Then, deterministically:
//!
//! 1. **Shells** by inclination and altitude: the satellite with the most others within
//!    ± `inclination_tolerance_deg` and ± `altitude_tolerance_km` of it seeds a shell;
//!    the shell takes every ungrouped satellite within those tolerances of its members'
//!    median inclination and altitude (re-centred until it settles), and the next densest
//!    seeds the next. A box round a median, not a chain of near neighbours, so satellites
//!    raising or lowering their orbits in a stream between two shells do not join them.
//! 2. **Planes** in a shell by right ascension: going round the circle, a gap wider than
//!    `raan_gap_deg` between neighbouring nodes starts a new plane (plane 0 is the first
//!    after the widest gap). A plane needs `min_per_plane` satellites.
//! 3. **Slots** in a plane by argument of latitude, ascending.
//!
//! Satellites that fit no shell or no plane are reported with the reason.
//!
//! The defaults (0.25°, 3 km, 1°, 3 satellites) fit the bundled Starlink snapshot: a
//! plane's nodes spread over 0.4–0.9° while planes are 3.6–10° apart, a kept shell's
//! altitudes over about ±1 km while shells being lowered sit 5–8 km apart, and a group of
//! one or two satellites on its way up or down is no plane to link along.

use serde::Deserialize;

use super::Satellite;
use super::walker::brouwer_from_kozai;
use crate::constants::{WGS72_J2, WGS72_RADIUS_KM, WGS84_A_KM};
use crate::time::UtcTime;

fn default_inclination_tolerance() -> f64 {
    0.25
}
fn default_altitude_tolerance() -> f64 {
    3.0
}
fn default_raan_gap() -> f64 {
    1.0
}
fn default_min_per_plane() -> u32 {
    3
}

/// The grouping's tolerances (`[isl.grouping]` of a scenario, or the `shells` command's
/// options).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupingSpec {
    /// A shell holds the satellites within this of its median inclination, degrees.
    #[serde(default = "default_inclination_tolerance")]
    pub inclination_tolerance_deg: f64,
    /// … and within this of its median altitude, km.
    #[serde(default = "default_altitude_tolerance")]
    pub altitude_tolerance_km: f64,
    /// Neighbouring ascending nodes (at the common epoch) further apart than this, degrees,
    /// belong to different planes.
    #[serde(default = "default_raan_gap")]
    pub raan_gap_deg: f64,
    /// Fewest satellites a plane may have; the satellites of smaller ones are unassigned.
    #[serde(default = "default_min_per_plane")]
    pub min_per_plane: u32,
}

impl Default for GroupingSpec {
    fn default() -> Self {
        GroupingSpec {
            inclination_tolerance_deg: default_inclination_tolerance(),
            altitude_tolerance_km: default_altitude_tolerance(),
            raan_gap_deg: default_raan_gap(),
            min_per_plane: default_min_per_plane(),
        }
    }
}

impl GroupingSpec {
    /// Checks the tolerances; errors are `<path>.<field>: <what is wrong>`.
    pub fn validate(&self, path: &str) -> Result<(), String> {
        let positive = |field: &str, value: f64, max: f64, unit: &str| {
            if value > 0.0 && value <= max {
                Ok(())
            } else {
                Err(format!("{path}.{field}: {value} must be in (0, {max}]{unit}"))
            }
        };
        positive("inclination_tolerance_deg", self.inclination_tolerance_deg, 10.0, "°")?;
        positive("altitude_tolerance_km", self.altitude_tolerance_km, 500.0, " km")?;
        // Half a circle: a wider gap could never split two planes.
        positive("raan_gap_deg", self.raan_gap_deg, 180.0, "°")?;
        crate::units::check_range(self.min_per_plane, 1..=100_000, " satellites")
            .map_err(|m| format!("{path}.min_per_plane: {m}"))?;
        Ok(())
    }
}

/// Where a satellite's mean orbit is at the common epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub inclination_deg: f64,
    /// Brouwer mean semi-major axis above the WGS84 equatorial radius, km.
    pub altitude_km: f64,
    /// Right ascension of the ascending node, degrees in [0, 360).
    pub raan_deg: f64,
    /// Mean argument of latitude ω + M, degrees in [0, 360).
    pub arg_latitude_deg: f64,
}

impl Placement {
    /// Places `sat`'s mean orbit at `epoch` (secular J2 rates and the mean-motion
    /// derivative; no drag beyond that).
    pub fn of(sat: &Satellite, epoch: UtcTime) -> Placement {
        let el = &sat.elements;
        let cos_i = el.inclination_deg.to_radians().cos();
        let kozai_n = el.mean_motion_rev_per_day * std::f64::consts::TAU / 1440.0;
        let (n_per_min, a_er) = brouwer_from_kozai(kozai_n, cos_i);
        let n = n_per_min / 60.0;
        let e2 = el.eccentricity * el.eccentricity;
        let p = a_er * (1.0 - e2);
        let k = 1.5 * WGS72_J2 / (p * p) * n;
        let node_rate = -k * cos_i;
        let perigee_rate = 0.5 * k * (5.0 * cos_i * cos_i - 1.0);
        let anomaly_rate = n + 0.5 * k * (1.0 - e2).sqrt() * (3.0 * cos_i * cos_i - 1.0);
        let dt = epoch.seconds_since(el.epoch);
        let dt_days = dt / 86_400.0;
        Placement {
            inclination_deg: el.inclination_deg,
            altitude_km: a_er * WGS72_RADIUS_KM - WGS84_A_KM,
            raan_deg: (el.raan_deg + (node_rate * dt).to_degrees()).rem_euclid(360.0),
            arg_latitude_deg: (el.arg_perigee_deg
                + el.mean_anomaly_deg
                + ((perigee_rate + anomaly_rate) * dt).to_degrees()
                + 360.0 * el.mean_motion_dot * dt_days * dt_days)
                .rem_euclid(360.0),
        }
    }
}

/// One slot of a plane: a satellite (fleet index) and its argument of latitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    pub satellite: usize,
    pub arg_latitude_deg: f64,
}

/// A plane: its mean node and its slots in order of argument of latitude.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    pub raan_deg: f64,
    pub slots: Vec<Slot>,
}

/// A shell: its members' median inclination and altitude, and its planes in order of
/// right ascension (from the one after the widest gap between planes).
#[derive(Debug, Clone, PartialEq)]
pub struct Shell {
    pub inclination_deg: f64,
    pub altitude_km: f64,
    pub planes: Vec<Plane>,
}

impl Shell {
    pub fn satellites(&self) -> usize {
        self.planes.iter().map(|p| p.slots.len()).sum()
    }
}

/// Where a satellite ended up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Assignment {
    Slot { shell: u32, plane: u32, slot: u32 },
    Unassigned(Unassigned),
}

/// Why a satellite is in no plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unassigned {
    /// Too few satellites near its inclination and altitude to make a shell.
    NoShell,
    /// Its plane has fewer than `min_per_plane` satellites (this many).
    SmallPlane { satellites: usize },
    /// Its shell's nodes go round the circle with no gap that separates planes.
    NoGap,
}

impl Unassigned {
    /// The reason in words, with the tolerances that decided it.
    pub fn reason(&self, spec: &GroupingSpec) -> String {
        match *self {
            Unassigned::NoShell => format!(
                "no shell: fewer than {} satellites within ±{}° of its inclination and ±{} km of its altitude",
                spec.min_per_plane, spec.inclination_tolerance_deg, spec.altitude_tolerance_km
            ),
            Unassigned::SmallPlane { satellites } => format!(
                "plane of {satellites} satellite{}: fewer than min_per_plane ({})",
                if satellites == 1 { "" } else { "s" },
                spec.min_per_plane
            ),
            Unassigned::NoGap => format!(
                "no plane: the shell's nodes go round the circle with no gap wider than raan_gap_deg ({}°)",
                spec.raan_gap_deg
            ),
        }
    }
}

/// One satellite of the grouping.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedSatellite {
    /// Fleet index.
    pub satellite: usize,
    pub placement: Placement,
    pub assignment: Assignment,
}

/// A catalogue grouped into shells, planes and slots.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueGrouping {
    /// The common epoch of every placement.
    pub epoch: UtcTime,
    pub spec: GroupingSpec,
    /// Shells in order of inclination, then altitude.
    pub shells: Vec<Shell>,
    /// Every satellite grouped, in the order of the members.
    pub satellites: Vec<GroupedSatellite>,
}

impl CatalogueGrouping {
    /// Fleet indices of the satellites no plane holds, in the order of the members.
    pub fn unassigned(&self) -> Vec<usize> {
        (self.satellites.iter())
            .filter(|s| matches!(s.assignment, Assignment::Unassigned(_)))
            .map(|s| s.satellite)
            .collect()
    }
}

/// Groups the satellites `members` (fleet indices into `satellites`) into shells, planes
/// and slots at `epoch` (see the module documentation). `spec` must have passed
/// [`GroupingSpec::validate`].
pub fn group_catalogue(
    satellites: &[Satellite],
    members: &[usize],
    epoch: UtcTime,
    spec: &GroupingSpec,
) -> CatalogueGrouping {
    let placements: Vec<Placement> = members.iter().map(|&i| Placement::of(&satellites[i], epoch)).collect();
    let mut assignments = vec![Assignment::Unassigned(Unassigned::NoShell); members.len()];
    // Each shell's median inclination and altitude and its planes, as positions in `members`.
    let mut shells: Vec<(f64, f64, Vec<Vec<usize>>)> = Vec::new();
    for shell in find_shells(&placements, spec) {
        if shell.len() < spec.min_per_plane as usize {
            continue; // re-centring left it smaller than its seed's neighbourhood
        }
        let planes = find_planes(&placements, &shell, spec, &mut assignments);
        if !planes.is_empty() {
            let inclination = median(shell.iter().map(|&m| placements[m].inclination_deg));
            shells.push((inclination, median(shell.iter().map(|&m| placements[m].altitude_km)), planes));
        }
    }
    shells.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2[0][0].cmp(&b.2[0][0])));
    let shells = (shells.into_iter().enumerate())
        .map(|(s, (inclination_deg, altitude_km, planes))| Shell {
            inclination_deg,
            altitude_km,
            planes: (planes.into_iter().enumerate())
                .map(|(p, plane)| {
                    for (k, &m) in plane.iter().enumerate() {
                        assignments[m] = Assignment::Slot { shell: s as u32, plane: p as u32, slot: k as u32 };
                    }
                    Plane {
                        raan_deg: mean_angle(plane.iter().map(|&m| placements[m].raan_deg)),
                        slots: (plane.iter())
                            .map(|&m| Slot { satellite: members[m], arg_latitude_deg: placements[m].arg_latitude_deg })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    let satellites = (members.iter().zip(placements).zip(assignments))
        .map(|((&satellite, placement), assignment)| GroupedSatellite { satellite, placement, assignment })
        .collect();
    CatalogueGrouping { epoch, spec: spec.clone(), shells, satellites }
}

/// The median of `values` (the lower of the middle two for an even count).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

/// Rounds of re-centring a shell on its members' medians (it settles in two or three).
const MAX_RECENTRING: usize = 8;

/// The shells' members (positions in `placements`), densest first; the satellites left
/// over are too sparse to seed one.
fn find_shells(placements: &[Placement], spec: &GroupingSpec) -> Vec<Vec<usize>> {
    let (tol_i, tol_h) = (spec.inclination_tolerance_deg, spec.altitude_tolerance_km);
    // Positions sorted by altitude: a box query is a window of this list, filtered by
    // inclination.
    let mut by_altitude: Vec<usize> = (0..placements.len()).collect();
    by_altitude.sort_by(|&a, &b| placements[a].altitude_km.total_cmp(&placements[b].altitude_km).then(a.cmp(&b)));
    let altitudes: Vec<f64> = by_altitude.iter().map(|&m| placements[m].altitude_km).collect();
    let within = |inclination: f64, altitude: f64| {
        let lo = altitudes.partition_point(|&h| h < altitude - tol_h);
        let hi = altitudes.partition_point(|&h| h <= altitude + tol_h);
        by_altitude[lo..hi]
            .iter()
            .copied()
            .filter(move |&m| (placements[m].inclination_deg - inclination).abs() <= tol_i)
    };
    let around = |m: usize| within(placements[m].inclination_deg, placements[m].altitude_km);
    let mut density: Vec<usize> = (0..placements.len()).map(|m| around(m).count()).collect();
    let mut grouped = vec![false; placements.len()];
    let mut shells = Vec::new();
    loop {
        let seed =
            (0..placements.len()).filter(|&m| !grouped[m]).max_by(|&a, &b| density[a].cmp(&density[b]).then(b.cmp(&a)));
        let Some(seed) = seed.filter(|&m| density[m] >= spec.min_per_plane as usize) else { break };
        let (mut inclination, mut altitude) = (placements[seed].inclination_deg, placements[seed].altitude_km);
        let mut members: Vec<usize> = Vec::new();
        for _ in 0..MAX_RECENTRING {
            let mut next: Vec<usize> = within(inclination, altitude).filter(|&m| !grouped[m]).collect();
            next.sort_unstable();
            if next.is_empty() || next == members {
                break;
            }
            members = next;
            inclination = median(members.iter().map(|&m| placements[m].inclination_deg));
            altitude = median(members.iter().map(|&m| placements[m].altitude_km));
        }
        if members.is_empty() {
            members.push(seed);
        }
        for &m in &members {
            grouped[m] = true;
        }
        for &m in &members {
            for n in around(m) {
                density[n] -= 1;
            }
        }
        shells.push(members);
    }
    shells
}

/// The planes of one shell (positions in `placements`, each in slot order); the satellites
/// of planes too small, or of a shell with no gap between nodes, are marked unassigned
/// with the reason.
fn find_planes(
    placements: &[Placement],
    shell: &[usize],
    spec: &GroupingSpec,
    assignments: &mut [Assignment],
) -> Vec<Vec<usize>> {
    let mut order = shell.to_vec();
    order.sort_by(|&a, &b| placements[a].raan_deg.total_cmp(&placements[b].raan_deg).then(a.cmp(&b)));
    let n = order.len();
    let gap_before = |j: usize| {
        let (prev, this) = (placements[order[(j + n - 1) % n]].raan_deg, placements[order[j]].raan_deg);
        if j == 0 { this + 360.0 - prev } else { this - prev }
    };
    let gaps: Vec<f64> = (0..n).map(gap_before).collect();
    let widest = gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if n > 1 && widest <= spec.raan_gap_deg {
        order.iter().for_each(|&m| assignments[m] = Assignment::Unassigned(Unassigned::NoGap));
        return Vec::new();
    }
    let first = gaps.iter().position(|&g| g == widest).unwrap_or(0);
    let mut planes: Vec<Vec<usize>> = Vec::new();
    for k in 0..n {
        let j = (first + k) % n;
        if k == 0 || gaps[j] > spec.raan_gap_deg {
            planes.push(Vec::new());
        }
        planes.last_mut().expect("a plane was started").push(order[j]);
    }
    planes.retain_mut(|plane| {
        if plane.len() < spec.min_per_plane as usize {
            let why = Unassigned::SmallPlane { satellites: plane.len() };
            plane.iter().for_each(|&m| assignments[m] = Assignment::Unassigned(why));
            return false;
        }
        plane.sort_by(|&a, &b| {
            placements[a].arg_latitude_deg.total_cmp(&placements[b].arg_latitude_deg).then(a.cmp(&b))
        });
        true
    });
    planes
}

/// Mean of angles in degrees that lie within half a circle of the first, in [0, 360).
fn mean_angle(angles: impl Iterator<Item = f64>) -> f64 {
    let mut first = None;
    let (mut sum, mut count) = (0.0, 0usize);
    for a in angles {
        let reference = *first.get_or_insert(a);
        sum += reference + (a - reference + 180.0).rem_euclid(360.0) - 180.0;
        count += 1;
    }
    (sum / count.max(1) as f64).rem_euclid(360.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orbit::MeanElements;

    fn satellite(name: &str, inclination: f64, n: f64, raan: f64, u: f64) -> Satellite {
        let elements = MeanElements {
            epoch: UtcTime::parse("2026-01-01T00:00:00Z").unwrap(),
            inclination_deg: inclination,
            raan_deg: raan,
            eccentricity: 0.0001,
            arg_perigee_deg: 0.0,
            mean_anomaly_deg: u,
            mean_motion_rev_per_day: n,
            bstar: 0.0,
            mean_motion_dot: 0.0,
            mean_motion_ddot: 0.0,
        };
        Satellite::new(name.into(), None, elements).unwrap()
    }

    #[test]
    fn nodes_regress_to_the_common_epoch() {
        // 53°, about 550 km: the node regresses about 4.5° a day, westwards.
        let sat = satellite("a", 53.0, 15.06, 100.0, 0.0);
        let day_later = sat.elements.epoch.plus_seconds(86_400.0);
        let placed = Placement::of(&sat, day_later);
        let drift = placed.raan_deg - 100.0;
        assert!((-4.7..-4.3).contains(&drift), "drift {drift}");
        assert!((placed.altitude_km - 545.0).abs() < 15.0, "altitude {}", placed.altitude_km);
    }

    #[test]
    fn shells_planes_and_slots() {
        let mut sats = Vec::new();
        for plane in 0..6 {
            for slot in 0..5 {
                let u = 72.0 * slot as f64 + 3.0 * plane as f64;
                sats.push(satellite(&format!("p{plane}s{slot}"), 53.0, 15.06, 60.0 * plane as f64 + 0.1, u));
            }
        }
        // A second shell far higher, one plane of three; and a stray that fits neither.
        for slot in 0..3 {
            sats.push(satellite(&format!("hi{slot}"), 53.0, 13.0, 10.0, 120.0 * slot as f64));
        }
        sats.push(satellite("stray", 53.0, 14.5, 0.0, 0.0));
        let members: Vec<usize> = (0..sats.len()).collect();
        let epoch = sats[0].elements.epoch;
        let g = group_catalogue(&sats, &members, epoch, &GroupingSpec::default());
        assert_eq!(g.shells.len(), 2);
        // Same inclination: the lower shell comes first.
        assert_eq!(g.shells[0].planes.len(), 6);
        assert!(g.shells[0].planes.iter().all(|p| p.slots.len() == 5));
        assert_eq!(g.shells[1].planes.len(), 1);
        assert_eq!(g.unassigned(), vec![33]);
        assert_eq!(g.satellites[33].assignment, Assignment::Unassigned(Unassigned::NoShell));
        let Assignment::Slot { shell: 0, plane, slot: 2 } = g.satellites[7].assignment else { panic!() };
        let slots: Vec<usize> = g.shells[0].planes[plane as usize].slots.iter().map(|s| s.satellite).collect();
        assert_eq!(slots, vec![5, 6, 7, 8, 9]);
    }

    #[test]
    fn small_planes_and_gapless_shells_are_unassigned() {
        let mut sats: Vec<Satellite> =
            (0..4).map(|k| satellite(&format!("a{k}"), 53.0, 15.06, 10.0, 90.0 * k as f64)).collect();
        sats.extend((0..2).map(|k| satellite(&format!("b{k}"), 53.0, 15.06, 50.0, 180.0 * k as f64)));
        let epoch = sats[0].elements.epoch;
        let g = group_catalogue(&sats, &[0, 1, 2, 3, 4, 5], epoch, &GroupingSpec::default());
        assert_eq!(g.unassigned(), vec![4, 5]);
        let Assignment::Unassigned(why) = g.satellites[4].assignment else { panic!() };
        assert_eq!(why.reason(&GroupingSpec::default()), "plane of 2 satellites: fewer than min_per_plane (3)");
        // Nodes every 0.5° round the whole circle: no plane can be told from the next.
        let ring: Vec<Satellite> =
            (0..720).map(|k| satellite(&format!("r{k}"), 53.0, 15.06, 0.5 * k as f64, 0.0)).collect();
        let g = group_catalogue(&ring, &(0..720).collect::<Vec<_>>(), epoch, &GroupingSpec::default());
        assert!(g.shells.is_empty());
        assert!(g.satellites.iter().all(|s| s.assignment == Assignment::Unassigned(Unassigned::NoGap)));
    }

    #[test]
    fn rejects_bad_tolerances() {
        let spec = GroupingSpec { altitude_tolerance_km: -1.0, ..GroupingSpec::default() };
        assert_eq!(
            spec.validate("isl.grouping").unwrap_err(),
            "isl.grouping.altitude_tolerance_km: -1 must be in (0, 500] km"
        );
        let spec = GroupingSpec { raan_gap_deg: f64::NAN, ..GroupingSpec::default() };
        assert!(spec.validate("g").unwrap_err().starts_with("g.raan_gap_deg:"));
        let spec = GroupingSpec { min_per_plane: 0, ..GroupingSpec::default() };
        assert!(spec.validate("g").unwrap_err().starts_with("g.min_per_plane:"));
    }
}
