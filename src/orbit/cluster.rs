//! Formation clusters: N satellites flying within a few kilometres of a reference orbit,
//! placed by their offsets in the local orbital (Hill) frame and turned into SGP4 mean
//! elements by relative orbital elements (D'Amico's quasi-nonsingular set) with no
//! difference in semi-major axis, so no satellite drifts along track in two-body motion.
//! `docs/clusters.md` derives the mapping; in short, for a circular reference at argument
//! of latitude u₀ a bounded relative orbit in radial, along-track and cross-track
//! (R, T, N) is R = A cos φ + B sin φ, T = D − 2A sin φ + 2B cos φ, N = C cos φ + E sin φ
//! with φ = u − u₀. Offsets in the *formation plane*, spanned by (½, 0, √3⁄2) and the
//! along-track axis, rotate rigidly in it once per orbit (the "general circular orbit"),
//! so a lattice there keeps every pairwise distance in two-body motion; offsets out of that
//! plane oscillate. J2 (which SGP4 models) makes the formation drift apart slowly:
//! [`cluster_hold`] measures how fast.

use nalgebra::Vector3;
use serde::Deserialize;

use super::walker::{Inclination, kozai_mean_motion_for, sun_synchronous_inclination_deg};
use super::{MeanElements, Satellite};
use crate::constants::{WGS72_J2, WGS72_MU_KM3_S2, WGS72_RADIUS_KM, WGS84_A_KM};
use crate::time::UtcTime;
use crate::units::check_range;

/// Largest offset from the reference orbit, m: beyond about 100 km the linear relative
/// motion the mapping rests on is off by more than a few metres per orbit.
pub const MAX_OFFSET_M: f64 = 100_000.0;
/// Closest two satellites of a cluster may be placed, m.
pub const MIN_PLACEMENT_SPACING_M: f64 = 1.0;

/// Unit vector (R, T, N) of the formation plane that is not along track: offsets on it and
/// on the along-track axis rotate rigidly about the reference once per orbit.
const PLANE_AXIS: [f64; 3] = [0.5, 0.0, 0.866_025_403_784_438_6];
/// Unit vector (R, T, N) normal to the formation plane.
const PLANE_NORMAL: [f64; 3] = [0.866_025_403_784_438_6, 0.0, -0.5];

/// A rows × columns square lattice in the formation plane, centred on the reference.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lattice {
    pub rows: u32,
    pub columns: u32,
    pub spacing_m: f64,
}

/// `count` satellites on a hexagonal lattice in the formation plane, as far apart as a
/// disc of `radius_m` allows, and no closer than `min_spacing_m`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disc {
    pub count: u32,
    pub radius_m: f64,
    pub min_spacing_m: f64,
}

/// Periodic reset of every satellite to its designed relative orbit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationKeeping {
    pub period_h: f64,
}

/// One `[[fleet.cluster]]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Prefix of the satellite names (`CLUSTER-001`); defaults to `CLUSTER`.
    pub name: Option<String>,
    /// What the cluster's satellites are for (e.g. `training`), for targeting.
    #[serde(default)]
    pub role: Option<String>,
    /// Reference orbit: circular, at this altitude above the WGS84 equatorial radius.
    pub altitude_km: f64,
    pub inclination: Inclination,
    /// Right ascension of the ascending node; or give `ltan_h`.
    pub raan_deg: Option<f64>,
    /// Local (mean solar) time of the ascending node at the epoch, hours: 18 or 6 with
    /// `inclination = "sso"` is a dawn-dusk orbit.
    pub ltan_h: Option<f64>,
    /// Where the reference is along its orbit at the epoch, degrees from the ascending node.
    #[serde(default)]
    pub arg_latitude_deg: f64,
    /// Element epoch; defaults to the scenario start.
    pub epoch: Option<String>,
    pub lattice: Option<Lattice>,
    /// Offsets (radial, along-track, cross-track) from the reference at the epoch, m.
    pub offsets_m: Option<Vec<[f64; 3]>>,
    pub disc: Option<Disc>,
    pub station_keeping: Option<StationKeeping>,
}

/// A bounded relative orbit about the reference: the coefficients of
/// R = A cos φ + B sin φ, T = −2A sin φ + 2B cos φ, N = C cos φ + E sin φ (m), φ the
/// reference's argument of latitude past the epoch's. (The constant along-track term D of
/// the general solution is zero for every orbit this module designs.)
#[derive(Debug, Clone, Copy, PartialEq)]
struct RelativeOrbit {
    a: f64,
    b: f64,
    c: f64,
    e: f64,
}

impl RelativeOrbit {
    /// The relative orbit through `offset` (R, T, N, m) at φ = 0: its formation-plane part
    /// rotates rigidly, its part normal to the plane oscillates without cross-coupling.
    fn through(offset: [f64; 3]) -> RelativeOrbit {
        let dot = |u: [f64; 3]| offset[0] * u[0] + offset[1] * u[1] + offset[2] * u[2];
        let (p, q, w) = (dot(PLANE_AXIS), offset[1], dot(PLANE_NORMAL));
        // In-plane point ρ(sin α, cos α) = (p, q) moves as ρ sin(φ + α)·axis + ρ cos(φ + α)·T,
        // i.e. A = p/2, B = q/2, C = (√3/2)p, E = (√3/2)q; the normal part is
        // A = (√3/2)w, C = −w/2.
        let s = PLANE_AXIS[2];
        RelativeOrbit { a: 0.5 * p + s * w, b: 0.5 * q, c: s * p - 0.5 * w, e: s * q }
    }

    /// Offset (R, T, N, m) at phase φ (rad).
    fn at(&self, phi: f64) -> Vector3<f64> {
        let (sin, cos) = phi.sin_cos();
        Vector3::new(self.a * cos + self.b * sin, -2.0 * self.a * sin + 2.0 * self.b * cos, self.c * cos + self.e * sin)
    }
}

/// The reference orbit of a cluster at its epoch, with Brouwer mean semi-major axis
/// `a_km`: the frozen orbit of that size and inclination (argument of perigee 90°,
/// eccentricity from the J3/J2 balance, about 0.001 in low orbit). Not exactly circular,
/// because SGP4 propagates an eccentricity below 10⁻⁶ as 10⁻⁶ (a 7 m radial shift at
/// 650 km) and a cluster's eccentricity vectors spread around the reference's; frozen, so
/// that its eccentricity does not swing over weeks.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reference {
    epoch: UtcTime,
    a_km: f64,
    inclination_deg: f64,
    raan_deg: f64,
    arg_latitude_deg: f64,
    /// Argument of latitude at which the relative orbits' phase φ is zero (the design
    /// epoch's): relative orbital elements are fixed against it, so a reset restores them.
    phase_origin_deg: f64,
}

impl Reference {
    /// First-order J2 secular rates of the node and the argument of latitude of a circular
    /// orbit, rad/s.
    fn secular_rates(&self) -> (f64, f64) {
        let n = (WGS72_MU_KM3_S2 / self.a_km.powi(3)).sqrt();
        let k = 1.5 * n * WGS72_J2 * (WGS72_RADIUS_KM / self.a_km).powi(2);
        let cos_i = self.inclination_deg.to_radians().cos();
        let raan_rate = -k * cos_i;
        let arg_latitude_rate = n + 0.5 * k * (5.0 * cos_i * cos_i - 1.0) + 0.5 * k * (3.0 * cos_i * cos_i - 1.0);
        (raan_rate, arg_latitude_rate)
    }

    /// The reference advanced to `t` by its secular rates (where station-keeping resets
    /// the cluster to).
    fn advanced_to(&self, t: UtcTime) -> Reference {
        let dt = t.seconds_since(self.epoch);
        let (raan_rate, u_rate) = self.secular_rates();
        Reference {
            epoch: t,
            raan_deg: (self.raan_deg + (raan_rate * dt).to_degrees()).rem_euclid(360.0),
            arg_latitude_deg: (self.arg_latitude_deg + (u_rate * dt).to_degrees()).rem_euclid(360.0),
            ..*self
        }
    }

    /// Eccentricity of the frozen orbit (argument of perigee 90°): −(J3 / 2J2)(R / a) sin i.
    fn frozen_eccentricity(&self) -> f64 {
        -(sgp4::WGS72.j3 / (2.0 * WGS72_J2)) * (WGS72_RADIUS_KM / self.a_km) * self.inclination_deg.to_radians().sin()
    }

    /// Mean elements of the satellite on `orbit` about this reference (D'Amico's relative
    /// orbital elements with δa = 0; see `docs/clusters.md`).
    fn elements_for(&self, orbit: &RelativeOrbit) -> MeanElements {
        let a_m = self.a_km * 1000.0;
        let (sin_u0, cos_u0) = self.phase_origin_deg.to_radians().sin_cos();
        let inclination = self.inclination_deg.to_radians();
        let e_x = -(orbit.a * cos_u0 - orbit.b * sin_u0) / a_m;
        let e_y = self.frozen_eccentricity() - (orbit.a * sin_u0 + orbit.b * cos_u0) / a_m;
        let di_x = (orbit.c * sin_u0 + orbit.e * cos_u0) / a_m;
        let di_y = -(orbit.c * cos_u0 - orbit.e * sin_u0) / a_m;
        let d_raan = di_y / inclination.sin();
        let eccentricity = e_x.hypot(e_y);
        let arg_perigee = if eccentricity > 0.0 { e_y.atan2(e_x) } else { 0.0 };
        let arg_latitude = self.arg_latitude_deg.to_radians() - d_raan * inclination.cos();
        let inclination_deg = (inclination + di_x).to_degrees();
        MeanElements {
            epoch: self.epoch,
            inclination_deg,
            raan_deg: (self.raan_deg + d_raan.to_degrees()).rem_euclid(360.0),
            eccentricity,
            arg_perigee_deg: arg_perigee.to_degrees().rem_euclid(360.0),
            mean_anomaly_deg: (arg_latitude - arg_perigee).to_degrees().rem_euclid(360.0),
            mean_motion_rev_per_day: kozai_mean_motion_for(self.a_km, inclination_deg),
            bstar: 0.0,
            mean_motion_dot: 0.0,
            mean_motion_ddot: 0.0,
        }
    }
}

/// Right ascension of the mean Sun, degrees: its mean longitude (Astronomical Almanac,
/// low-precision formula, good to 0.01° this century), which local mean time is
/// counted from.
fn mean_sun_right_ascension_deg(t: UtcTime) -> f64 {
    (280.460 + 0.985_647_4 * t.days_since_j2000()).rem_euclid(360.0)
}

/// The hexagonal lattice with unit spacing: its `count` points nearest the centre, in
/// order of distance then angle.
fn hexagonal_points(count: usize) -> Vec<(f64, f64)> {
    let reach = ((count as f64).sqrt() as i64) + 2;
    let mut points: Vec<(f64, f64)> = (-reach..=reach)
        .flat_map(|j| (-reach..=reach).map(move |i| (i as f64 + 0.5 * j as f64, 0.866_025_403_784_438_6 * j as f64)))
        .collect();
    let key = |p: &(f64, f64)| ((p.0.hypot(p.1) * 1e9).round(), p.1.atan2(p.0));
    points.sort_by(|x, y| key(x).0.total_cmp(&key(y).0).then(key(x).1.total_cmp(&key(y).1)));
    points.truncate(count);
    points
}

impl ClusterSpec {
    /// Number of satellites the section describes.
    pub fn count(&self) -> usize {
        match (&self.lattice, &self.offsets_m, &self.disc) {
            (Some(l), _, _) => l.rows as usize * l.columns as usize,
            (_, Some(o), _) => o.len(),
            (_, _, Some(d)) => d.count as usize,
            _ => 0,
        }
    }

    /// Name prefix of this cluster's satellites.
    pub fn prefix(&self) -> String {
        self.name.clone().unwrap_or_else(|| "CLUSTER".to_string())
    }

    /// Checks the section; `path` names it in errors (e.g. `fleet.cluster[0]`).
    pub fn validate(&self, path: &str) -> Result<(), String> {
        let layouts = [self.lattice.is_some(), self.offsets_m.is_some(), self.disc.is_some()];
        if layouts.iter().filter(|&&given| given).count() != 1 {
            return Err(format!("{path}: give exactly one of `lattice`, `offsets_m` or `disc`"));
        }
        check_range(self.altitude_km, 150.0..=50_000.0, " km").map_err(|m| format!("{path}.altitude_km: {m}"))?;
        match self.inclination {
            Inclination::Degrees(i) => {
                // The cross-track offsets are RAAN differences divided by sin i.
                check_range(i, 0.1..=179.9, "° (an equatorial reference has no node)")
                    .map_err(|m| format!("{path}.inclination: {m}"))?;
            }
            Inclination::SunSynchronous if sun_synchronous_inclination_deg(self.altitude_km).is_none() => {
                return Err(format!("{path}.inclination: no sun-synchronous orbit exists at {} km", self.altitude_km));
            }
            Inclination::SunSynchronous => {}
        }
        match (self.raan_deg, self.ltan_h) {
            (Some(_), Some(_)) => return Err(format!("{path}.ltan_h: give either raan_deg or ltan_h, not both")),
            (Some(raan), None) => {
                check_range(raan, -360.0..=360.0, "°").map_err(|m| format!("{path}.raan_deg: {m}"))?;
            }
            (None, Some(ltan)) => {
                check_range(ltan, 0.0..=24.0, " h").map_err(|m| format!("{path}.ltan_h: {m}"))?;
            }
            (None, None) => {}
        }
        check_range(self.arg_latitude_deg, -360.0..=360.0, "°").map_err(|m| format!("{path}.arg_latitude_deg: {m}"))?;
        if let Some(epoch) = &self.epoch {
            UtcTime::parse(epoch).map_err(|e| format!("{path}.epoch: {e}"))?;
        }
        if let Some(l) = &self.lattice {
            if l.rows == 0 || l.columns == 0 {
                return Err(format!("{path}.lattice: rows and columns must be at least 1"));
            }
            check_range(l.spacing_m, MIN_PLACEMENT_SPACING_M..=MAX_OFFSET_M, " m")
                .map_err(|m| format!("{path}.lattice.spacing_m: {m}"))?;
        }
        if let Some(offsets) = &self.offsets_m {
            self.validate_offsets(path, offsets)?;
        }
        if let Some(d) = &self.disc {
            if d.count == 0 {
                return Err(format!("{path}.disc.count: must be at least 1"));
            }
            check_range(d.min_spacing_m, MIN_PLACEMENT_SPACING_M..=MAX_OFFSET_M, " m")
                .map_err(|m| format!("{path}.disc.min_spacing_m: {m}"))?;
            check_range(d.radius_m, 0.0..=MAX_OFFSET_M, " m").map_err(|m| format!("{path}.disc.radius_m: {m}"))?;
            let needed = d.min_spacing_m * hexagonal_points(d.count as usize).last().map_or(0.0, |p| p.0.hypot(p.1));
            if needed > d.radius_m * (1.0 + 1e-12) {
                return Err(format!(
                    "{path}.disc.radius_m: {} m is too small for {} satellites {} m apart (needs at least {needed:.1} m)",
                    d.radius_m, d.count, d.min_spacing_m
                ));
            }
        }
        check_range(self.count(), 1..=super::MAX_SATELLITES, " satellites (the most one run holds)")
            .map_err(|m| format!("{path}: {m}"))?;
        if let Some(Some(extent)) = self.offsets().map(|o| o.iter().map(|p| norm(*p)).reduce(f64::max))
            && extent > MAX_OFFSET_M
        {
            return Err(format!("{path}: an offset of {extent:.0} m is beyond {MAX_OFFSET_M} m"));
        }
        if let Some(sk) = &self.station_keeping {
            check_range(sk.period_h, 0.1..=8784.0, " h")
                .map_err(|m| format!("{path}.station_keeping.period_h: {m}"))?;
        }
        Ok(())
    }

    fn validate_offsets(&self, path: &str, offsets: &[[f64; 3]]) -> Result<(), String> {
        if offsets.is_empty() {
            return Err(format!("{path}.offsets_m: must list at least one offset"));
        }
        for (k, o) in offsets.iter().enumerate() {
            if o.iter().any(|v| !v.is_finite()) {
                return Err(format!("{path}.offsets_m[{k}]: must be finite numbers"));
            }
        }
        // Pairs closer than the floor would collide; sorting along one axis keeps the
        // check near linear for large lists.
        let mut order: Vec<usize> = (0..offsets.len()).collect();
        order.sort_by(|&x, &y| offsets[x][1].total_cmp(&offsets[y][1]));
        for (n, &i) in order.iter().enumerate() {
            for &j in &order[n + 1..] {
                if offsets[j][1] - offsets[i][1] >= MIN_PLACEMENT_SPACING_M {
                    break;
                }
                let gap = norm([0, 1, 2].map(|c| offsets[i][c] - offsets[j][c]));
                if gap < MIN_PLACEMENT_SPACING_M {
                    return Err(format!(
                        "{path}.offsets_m[{}]: {gap:.2} m from offsets_m[{}]; satellites must be at least {MIN_PLACEMENT_SPACING_M} m apart",
                        i.max(j),
                        i.min(j)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Offsets (R, T, N, m) at the epoch, in satellite order.
    pub fn offsets(&self) -> Option<Vec<[f64; 3]>> {
        let in_plane = |p: f64, q: f64| [PLANE_AXIS[0] * p, q, PLANE_AXIS[2] * p];
        if let Some(l) = &self.lattice {
            let centre = |k: u32, n: u32| (k as f64 - (n as f64 - 1.0) / 2.0) * l.spacing_m;
            return Some(
                (0..l.rows)
                    .flat_map(|r| (0..l.columns).map(move |c| in_plane(centre(r, l.rows), centre(c, l.columns))))
                    .collect(),
            );
        }
        if let Some(d) = &self.disc {
            let points = hexagonal_points(d.count as usize);
            let extent = points.last().map_or(0.0, |p| p.0.hypot(p.1));
            let spacing = if extent > 0.0 { d.radius_m / extent } else { d.min_spacing_m };
            return Some(points.iter().map(|&(p, q)| in_plane(p * spacing, q * spacing)).collect());
        }
        self.offsets_m.clone()
    }

    fn reference(&self, default_epoch: UtcTime) -> Result<Reference, String> {
        let epoch = match &self.epoch {
            Some(text) => UtcTime::parse(text).map_err(|e| e.to_string())?,
            None => default_epoch,
        };
        let inclination_deg = match self.inclination {
            Inclination::Degrees(i) => i,
            Inclination::SunSynchronous => sun_synchronous_inclination_deg(self.altitude_km)
                .ok_or_else(|| format!("no sun-synchronous orbit exists at {} km", self.altitude_km))?,
        };
        let raan_deg = match (self.raan_deg, self.ltan_h) {
            (_, Some(ltan)) => mean_sun_right_ascension_deg(epoch) + 15.0 * (ltan - 12.0),
            (raan, None) => raan.unwrap_or(0.0),
        };
        Ok(Reference {
            epoch,
            a_km: WGS84_A_KM + self.altitude_km,
            inclination_deg,
            raan_deg: raan_deg.rem_euclid(360.0),
            arg_latitude_deg: self.arg_latitude_deg.rem_euclid(360.0),
            phase_origin_deg: self.arg_latitude_deg.rem_euclid(360.0),
        })
    }

    /// The cluster's satellites, named `<prefix>-001` on, with elements at the epoch
    /// (`default_epoch` when the section gives none).
    pub fn satellites(&self, default_epoch: UtcTime) -> Result<Vec<Satellite>, String> {
        let reference = self.reference(default_epoch)?;
        self.satellites_about(&reference)
    }

    fn satellites_about(&self, reference: &Reference) -> Result<Vec<Satellite>, String> {
        let offsets = self.offsets().unwrap_or_default();
        let prefix = self.prefix();
        let width = offsets.len().to_string().len().max(3);
        offsets
            .iter()
            .enumerate()
            .map(|(k, o)| {
                let elements = reference.elements_for(&RelativeOrbit::through(*o));
                Satellite::new(format!("{prefix}-{:0width$}", k + 1), None, elements)
            })
            .collect()
    }

    /// The designed offsets (R, T, N, m) of every satellite after the reference has moved
    /// `phase_rad` along its orbit (two-body relative motion).
    pub fn designed_offsets(&self, phase_rad: f64) -> Vec<Vector3<f64>> {
        self.offsets().unwrap_or_default().iter().map(|o| RelativeOrbit::through(*o).at(phase_rad)).collect()
    }
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// The cluster's geometry at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldSample {
    pub time: UtcTime,
    /// Smallest distance between two satellites, m.
    pub min_separation_m: f64,
    /// Largest distance between two satellites, m.
    pub max_separation_m: f64,
    /// Largest distance of a satellite from the cluster's centroid, m.
    pub radius_m: f64,
}

/// One station-keeping reset.
#[derive(Debug, Clone, PartialEq)]
pub struct Reset {
    pub time: UtcTime,
    /// Estimated Δv of each satellite, m/s (see [`cluster_hold`]).
    pub delta_v_m_s: Vec<f64>,
}

/// How a cluster held over a span: samples, and the resets station-keeping made.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hold {
    pub samples: Vec<HoldSample>,
    pub resets: Vec<Reset>,
    /// Satellites SGP4 could not propagate, with the first time it failed.
    pub failures: Vec<(usize, UtcTime)>,
}

/// Separations and radius of the positions (km), in m.
fn geometry(time: UtcTime, positions: &[Vector3<f64>]) -> HoldSample {
    let n = positions.len().max(1) as f64;
    let centroid = positions.iter().fold(Vector3::zeros(), |s, p| s + p) / n;
    let radius_m = positions.iter().map(|p| (p - centroid).norm()).fold(0.0, f64::max) * 1000.0;
    let (mut min_km, mut max_km) = (f64::INFINITY, 0.0_f64);
    for (i, a) in positions.iter().enumerate() {
        for b in &positions[i + 1..] {
            let d = (a - b).norm();
            min_km = min_km.min(d);
            max_km = max_km.max(d);
        }
    }
    let min_separation_m = if positions.len() < 2 { 0.0 } else { min_km * 1000.0 };
    HoldSample { time, min_separation_m, max_separation_m: max_km * 1000.0, radius_m }
}

/// How the cluster `spec` holds from `start` to `end`, sampled every `step_s`: smallest
/// and largest pairwise separation and radius about the centroid, with the SGP4 element
/// sets of `satellites` (the cluster's own, at its epoch).
///
/// With station-keeping every `period_h` the elements are reset to the design about the
/// reference advanced by its J2 secular rates. A reset's Δv estimate for a satellite is
/// |δv| + n·|δr|, δr and δv the jumps of its position and velocity relative to the
/// cluster's centroid (a common shift of the whole cluster is orbit keeping, not formation
/// keeping) and n the mean motion: the velocity error removed at once, plus the velocity
/// scale of a relative transfer that walks off the position error within an orbit (a
/// two-impulse Hill transfer over half an orbit costs about n·|δr|).
pub fn cluster_hold(
    spec: &ClusterSpec,
    satellites: &[Satellite],
    start: UtcTime,
    end: UtcTime,
    step_s: f64,
) -> Result<Hold, String> {
    let mut hold = Hold::default();
    let Some(first) = satellites.first() else { return Ok(hold) };
    let reference = spec.reference(first.elements.epoch)?;
    let period_s = spec.station_keeping.as_ref().map(|sk| sk.period_h * 3600.0);
    let mean_motion = (WGS72_MU_KM3_S2 / reference.a_km.powi(3)).sqrt();
    let mut current: Vec<Satellite> = satellites.to_vec();
    let mut failed = vec![false; satellites.len()];
    let mut next_reset = period_s.map(|p| start.plus_seconds(p));
    let mut t = start;
    loop {
        if let Some(reset_at) = next_reset
            && reset_at <= t
            && reset_at < end
        {
            let renewed = spec.satellites_about(&reference.advanced_to(reset_at))?;
            let before = states(&current, reset_at, &mut failed, &mut hold.failures);
            let after = states(&renewed, reset_at, &mut failed, &mut hold.failures);
            hold.resets.push(Reset { time: reset_at, delta_v_m_s: reset_delta_v(&before, &after, mean_motion) });
            current = renewed;
            next_reset = period_s.map(|p| reset_at.plus_seconds(p));
            continue;
        }
        let positions: Vec<Vector3<f64>> =
            states(&current, t, &mut failed, &mut hold.failures).into_iter().flatten().map(|(p, _)| p).collect();
        hold.samples.push(geometry(t, &positions));
        if t >= end {
            break;
        }
        let next = t.plus_seconds(step_s).min(end);
        t = match next_reset {
            Some(reset_at) if reset_at > t && reset_at < next => reset_at,
            _ => next,
        };
    }
    Ok(hold)
}

/// Each satellite's position relative to the cluster's centroid at `t`, m, in the
/// centroid's local orbital frame (R radial, T along-track, N orbit normal; the frame of
/// the mean position and velocity): what the formation looks like from the cluster.
/// Satellites SGP4 cannot propagate at `t` are left out.
pub fn hill_offsets(satellites: &[Satellite], t: UtcTime) -> Vec<[f64; 3]> {
    let states: Vec<(Vector3<f64>, Vector3<f64>)> =
        satellites.iter().filter_map(|s| s.propagate(t).ok()).map(|s| (s.position, s.velocity)).collect();
    if states.is_empty() {
        return Vec::new();
    }
    let n = states.len() as f64;
    let (r, v) = states.iter().fold((Vector3::zeros(), Vector3::zeros()), |(r, v), (p, q)| (r + p, v + q));
    let (r, v) = (r / n, v / n);
    let radial = r.normalize();
    let normal = r.cross(&v).normalize();
    let along = normal.cross(&radial);
    states
        .iter()
        .map(|(p, _)| {
            let d = (p - r) * 1000.0;
            [d.dot(&radial), d.dot(&along), d.dot(&normal)]
        })
        .collect()
}

/// TEME position and velocity (km, km/s) of each satellite at `t`; `None` for one SGP4
/// cannot propagate (recorded once in `failures`).
fn states(
    satellites: &[Satellite],
    t: UtcTime,
    failed: &mut [bool],
    failures: &mut Vec<(usize, UtcTime)>,
) -> Vec<Option<(Vector3<f64>, Vector3<f64>)>> {
    satellites
        .iter()
        .enumerate()
        .map(|(i, s)| match s.propagate(t) {
            Ok(state) if !failed[i] => Some((state.position, state.velocity)),
            Ok(_) => None,
            Err(_) => {
                if !failed[i] {
                    failed[i] = true;
                    failures.push((i, t));
                }
                None
            }
        })
        .collect()
}

/// Δv estimate per satellite of a reset from `before` to `after` (see [`cluster_hold`]),
/// m/s; 0 for a satellite without both states.
fn reset_delta_v(
    before: &[Option<(Vector3<f64>, Vector3<f64>)>],
    after: &[Option<(Vector3<f64>, Vector3<f64>)>],
    mean_motion_rad_s: f64,
) -> Vec<f64> {
    let centroid = |states: &[Option<(Vector3<f64>, Vector3<f64>)>]| {
        let known: Vec<_> = states.iter().flatten().collect();
        let n = known.len().max(1) as f64;
        known.iter().fold((Vector3::zeros(), Vector3::zeros()), |(p, v), (sp, sv)| (p + sp / n, v + sv / n))
    };
    let (pb, vb) = centroid(before);
    let (pa, va) = centroid(after);
    before
        .iter()
        .zip(after)
        .map(|pair| match pair {
            (Some((rb, ub)), Some((ra, ua))) => {
                let dr = ((ra - pa) - (rb - pb)).norm();
                let dv = ((ua - va) - (ub - vb)).norm();
                (dv + mean_motion_rad_s * dr) * 1000.0
            }
            _ => 0.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ClusterSpec {
        toml::from_str(text).unwrap()
    }

    const BASE: &str = "altitude_km = 650\ninclination = \"sso\"\nltan_h = 18\n";

    #[test]
    fn formation_plane_offsets_rotate_rigidly() {
        let o = RelativeOrbit::through([50.0, 120.0, 86.602_540_378_443_86]);
        let r0 = o.at(0.0).norm();
        assert!((o.at(0.0) - Vector3::new(50.0, 120.0, 86.602_540_378_443_86)).norm() < 1e-9);
        for k in 0..12 {
            assert!((o.at(k as f64 * 0.5).norm() - r0).abs() < 1e-9);
        }
        let off_plane = RelativeOrbit::through([10.0, 0.0, 0.0]);
        assert!((off_plane.at(0.0) - Vector3::new(10.0, 0.0, 0.0)).norm() < 1e-9);
    }

    #[test]
    fn lattice_and_disc_placements() {
        let lattice = spec(&format!("{BASE}lattice = {{ rows = 9, columns = 9, spacing_m = 150 }}"));
        lattice.validate("c").unwrap();
        let offsets = lattice.offsets().unwrap();
        assert_eq!(offsets.len(), 81);
        assert!(offsets.iter().any(|o| norm(*o) < 1e-9));
        let disc = spec(&format!("{BASE}disc = {{ count = 81, radius_m = 1000, min_spacing_m = 100 }}"));
        disc.validate("c").unwrap();
        let offsets = disc.offsets().unwrap();
        let radius = offsets.iter().map(|o| norm(*o)).fold(0.0, f64::max);
        assert!((radius - 1000.0).abs() < 1e-6, "{radius}");
        let mut closest = f64::INFINITY;
        for (i, a) in offsets.iter().enumerate() {
            for b in &offsets[i + 1..] {
                closest = closest.min(norm([a[0] - b[0], a[1] - b[1], a[2] - b[2]]));
            }
        }
        assert!(closest >= 100.0, "{closest}");
    }

    #[test]
    fn hill_offsets_keep_every_distance_and_show_the_designed_formation() {
        let lattice = spec(&format!("{BASE}lattice = {{ rows = 3, columns = 3, spacing_m = 150 }}"));
        let epoch = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
        let sats = lattice.satellites(epoch).unwrap();
        let offsets = hill_offsets(&sats, epoch);
        assert_eq!(offsets.len(), 9);
        // A rotation and a shift: every pairwise distance is the TEME one, to a micrometre.
        let teme: Vec<Vector3<f64>> = sats.iter().map(|s| s.propagate(epoch).unwrap().position * 1000.0).collect();
        for i in 0..9 {
            for j in 0..9 {
                let hill = norm([0, 1, 2].map(|k| offsets[i][k] - offsets[j][k]));
                assert!((hill - (teme[i] - teme[j]).norm()).abs() < 1e-6, "{i} {j}");
            }
        }
        // The centroid is the origin, and the satellites sit where the design put them
        // (SGP4 of the generated elements against the two-body design: within 1 m).
        for k in 0..3 {
            assert!(offsets.iter().map(|o| o[k]).sum::<f64>().abs() < 1e-6);
        }
        for (o, d) in offsets.iter().zip(lattice.designed_offsets(0.0)) {
            assert!(norm([o[0] - d.x, o[1] - d.y, o[2] - d.z]) < 1.0, "{o:?} against {d:?}");
        }
    }

    #[test]
    fn rejects_bad_clusters() {
        let small = spec(&format!("{BASE}disc = {{ count = 81, radius_m = 300, min_spacing_m = 100 }}"));
        assert!(small.validate("c").unwrap_err().starts_with("c.disc.radius_m: 300 m is too small"));
        let none = spec(&format!("{BASE}disc = {{ count = 0, radius_m = 300, min_spacing_m = 100 }}"));
        assert!(none.validate("c").unwrap_err().starts_with("c.disc.count"));
        let negative = spec(&format!("{BASE}lattice = {{ rows = 2, columns = 2, spacing_m = -5 }}"));
        assert!(negative.validate("c").unwrap_err().starts_with("c.lattice.spacing_m"));
        let both = spec(&format!("{BASE}raan_deg = 10\nlattice = {{ rows = 2, columns = 2, spacing_m = 5 }}"));
        assert!(both.validate("c").unwrap_err().starts_with("c.ltan_h"));
        let clash = spec(&format!("{BASE}offsets_m = [[0, 0, 0], [0, 0.5, 0]]"));
        assert!(clash.validate("c").unwrap_err().starts_with("c.offsets_m[1]"));
    }

    #[test]
    fn satellites_start_at_their_offsets() {
        let cluster = spec(&format!(
            "{BASE}offsets_m = [[0, 0, 0], [100, 0, 0], [1000, 0, 0], [0, 300, 0], [0, 0, 200], [-100, 0, 0]]"
        ));
        let epoch = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
        let sats = cluster.satellites(epoch).unwrap();
        assert_eq!(sats[0].name, "CLUSTER-001");
        let chief = sats[0].propagate(epoch).unwrap();
        let r_hat = chief.position.normalize();
        let n_hat = chief.position.cross(&chief.velocity).normalize();
        let t_hat = n_hat.cross(&r_hat);
        for (sat, want) in sats.iter().zip(cluster.offsets().unwrap()) {
            let d = (sat.propagate(epoch).unwrap().position - chief.position) * 1000.0;
            let got = [d.dot(&r_hat), d.dot(&t_hat), d.dot(&n_hat)];
            // Linearisation and SGP4's short-period terms: within 0.5 % of the offset.
            let error = norm([0, 1, 2].map(|c| got[c] - want[c]));
            assert!(error < 0.005 * norm(want) + 0.5, "{} {got:?} vs {want:?}", sat.name);
        }
    }

    #[test]
    fn dawn_dusk_node_faces_the_terminator() {
        let cluster = spec(&format!("{BASE}offsets_m = [[0, 0, 0]]"));
        let epoch = UtcTime::parse("2026-03-20T12:00:00Z").unwrap();
        let sats = cluster.satellites(epoch).unwrap();
        // Near the March equinox the Sun is at RA ≈ 0°: an 18:00 node is at RA ≈ 90°.
        assert!((sats[0].elements.raan_deg - 90.0).abs() < 3.0, "{}", sats[0].elements.raan_deg);
        assert!((sats[0].elements.inclination_deg - 97.99).abs() < 0.05);
    }

    #[test]
    fn station_keeping_bounds_the_drift() {
        let free = spec(&format!("{BASE}lattice = {{ rows = 3, columns = 3, spacing_m = 150 }}"));
        let kept = spec(&format!(
            "{BASE}lattice = {{ rows = 3, columns = 3, spacing_m = 150 }}\nstation_keeping = {{ period_h = 3 }}"
        ));
        let epoch = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
        let end = epoch.plus_seconds(86_400.0);
        let sats = free.satellites(epoch).unwrap();
        let drift = cluster_hold(&free, &sats, epoch, end, 120.0).unwrap();
        let held = cluster_hold(&kept, &sats, epoch, end, 120.0).unwrap();
        assert!(drift.resets.is_empty());
        assert_eq!(held.resets.len(), 7);
        let worst = |h: &Hold| h.samples.iter().map(|s| s.radius_m).fold(0.0, f64::max);
        assert!(worst(&held) <= worst(&drift) + 1e-6);
        assert!(held.resets.iter().all(|r| r.delta_v_m_s.iter().all(|v| v.is_finite() && *v >= 0.0)));
    }
}
