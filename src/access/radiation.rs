//! Single-event upsets in the memory that holds a model: the rate along a satellite's
//! trajectory and a seeded generator of the upsets themselves. `docs/radiation.md` explains
//! the model and its limits; `docs/FACTS.md` ("Radiation upsets in memory") sources every
//! default.
//!
//! # The rate
//! At a point (geodetic latitude, longitude, altitude) the rate per bit is
//!
//! `r = r₀ · m(lat, lon) · g^((h − h_ref) / 100 km)`
//!
//! * `m` is [`UpsetSpec::saa_enhancement`] inside the South Atlantic Anomaly,
//!   [`UpsetSpec::polar_enhancement`] where |latitude| reaches the polar threshold (the
//!   outer belt's horns and the polar caps, open to solar particles), the larger of the two
//!   where both hold, and 1 elsewhere.
//! * `g` is the growth factor per 100 km of altitude: trapped-proton fluxes below the inner
//!   belt rise steeply with altitude. `g = 1` makes the rate altitude-independent.
//! * `r₀` is derived, not given: the scenario gives the **orbit-average** rate measured on a
//!   reference circular orbit (altitude, inclination), which is what in-orbit experiments
//!   report, and `r₀` is that rate divided by the reference orbit's mean enhancement.
//!   Inclination therefore enters through where an orbit goes: a 45° orbit crosses the SAA's
//!   core on more revolutions than a polar one and never reaches the polar caps.
//!
//! The SAA is the ellipse inscribed in the box that the SAA spans at about 500 km,
//! latitude −50°…0° and longitude −90°…+40° ([`SAA`]).
//!
//! # The upsets
//! Upsets form a non-homogeneous Poisson process in time with intensity `r(t) · bits`. They
//! are drawn by **thinning** (Lewis and Shedler): candidates come at a constant rate `λ_max`
//! that bounds the intensity along the whole orbit (the largest enhancement at the orbit's
//! highest altitude, with a margin for SGP4's short-period terms), and each is kept with
//! probability `r(t) · bits / λ_max`. Thinning is exact (no time grid, no discretisation
//! bias) and costs one SGP4 evaluation per candidate, so its cost follows the number of
//! upsets, about `λ_max / mean intensity` (≈ 10 with the defaults) candidates per upset.
//! Inverting the cumulative hazard on a time grid would cost one evaluation per grid step
//! whatever the rate: with the SAA's edges resolved to a few seconds that is about 30,000
//! evaluations a satellite-day, against a few hundred candidates for gigabytes of memory at
//! the default rate. Each kept upset strikes a uniformly drawn bit of the memory; a share
//! [`UpsetSpec::multi_bit_share`] of upsets flips two bits of one EDAC word (the
//! smallest multi-bit upset: SECDED corrects none of them and a chunk hash detects all, so
//! larger ones would change nothing downstream), the others one. With EDAC on, single-bit
//! upsets are corrected on the next read and never corrupt a chunk.
//!
//! Each satellite draws from its own stream, `rng_stream(seed, satellite index,
//! "radiation.upsets")`, so its upsets do not depend on other satellites or on threads.

use rand::RngExt;
use rayon::prelude::*;
use serde::Deserialize;

use super::eclipse::PropagationStop;
use super::passes::{Retirement, Window};
use crate::constants::{WGS84_A_KM, WGS84_F};
use crate::engine::{SimRng, rng_stream};
use crate::frames::{Geodetic, teme_to_ecef_position};
use crate::orbit::{PropagationFailure, Satellite};
use crate::time::UtcTime;
use crate::units::check_range;
use nalgebra::Vector3;

/// An ellipse in geographic latitude and longitude, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoEllipse {
    pub center_lat_deg: f64,
    pub center_lon_deg: f64,
    /// Half-extent in latitude.
    pub lat_radius_deg: f64,
    /// Half-extent in longitude.
    pub lon_radius_deg: f64,
}

impl GeoEllipse {
    pub fn contains(&self, lat_deg: f64, lon_deg: f64) -> bool {
        let dlat = (lat_deg - self.center_lat_deg) / self.lat_radius_deg;
        let dlon = ((lon_deg - self.center_lon_deg + 180.0).rem_euclid(360.0) - 180.0) / self.lon_radius_deg;
        dlat * dlat + dlon * dlon <= 1.0
    }
}

/// The South Atlantic Anomaly at about 500 km: the ellipse inscribed in the box of latitude
/// −50°…0° and longitude −90°…+40° that it spans there (FACTS.md). The region drifts west
/// by about 0.3° a year, which the box's edges already round over.
pub const SAA: GeoEllipse =
    GeoEllipse { center_lat_deg: -25.0, center_lon_deg: -25.0, lat_radius_deg: 25.0, lon_radius_deg: 65.0 };

/// Whether a point (geographic latitude and longitude, degrees) lies in the [`SAA`] region.
pub fn in_saa(lat_deg: f64, lon_deg: f64) -> bool {
    SAA.contains(lat_deg, lon_deg)
}

const SECONDS_PER_DAY: f64 = 86_400.0;
/// WGS84 polar radius, km: a point's altitude above the ellipsoid lies between its radius
/// minus the equatorial radius and its radius minus this.
const WGS84_B_KM: f64 = WGS84_A_KM * (1.0 - WGS84_F);
/// Allowance beyond the mean-element apogee and perigee for SGP4's short-period terms
/// (about 10 km in low orbit) when bounding the intensity: each km of it costs 0.7 % more
/// candidates at the default altitude law.
const ALTITUDE_MARGIN_KM: f64 = 20.0;
/// Step of the midpoint rule in [`UpsetEnvironment::expected_upsets`], seconds: the SAA's
/// edges are crossed at about 7 km/s, so each crossing is resolved to about 15 km.
const EXPECTATION_STEP_S: f64 = 2.0;
/// Grid of the reference orbit's mean enhancement: this many steps in argument of latitude
/// and in longitude (0.5°).
const REFERENCE_GRID: usize = 720;

/// The upset environment and the memory's protection, validated: the section's fields and
/// what the rate law derives from them.
#[derive(Debug, Clone, PartialEq)]
pub struct UpsetEnvironment {
    spec: UpsetSpec,
    /// Rate per bit per second outside both regions at the reference altitude.
    background_per_bit_s: f64,
    /// ln(growth factor per 100 km) / 100 km.
    log_growth_per_km: f64,
}

impl UpsetEnvironment {
    /// The environment whose reference orbit averages `p.rate_per_bit_day`. Expects checked
    /// fields: [`validate`] checks them, then calls this.
    pub fn new(p: &UpsetSpec) -> Self {
        let mut env = UpsetEnvironment {
            spec: p.clone(),
            background_per_bit_s: 0.0,
            log_growth_per_km: p.altitude_factor_per_100km.ln() / 100.0,
        };
        let mean = env.mean_enhancement_on_circular_orbit(p.reference_inclination_deg);
        env.background_per_bit_s = p.rate_per_bit_day / SECONDS_PER_DAY / mean;
        env
    }

    /// The fields it was built from (the memory's word size, EDAC and multi-bit share among
    /// them).
    pub fn spec(&self) -> &UpsetSpec {
        &self.spec
    }

    /// The position factor `m(lat, lon)` of the rate law (module docs).
    pub fn enhancement(&self, lat_deg: f64, lon_deg: f64) -> f64 {
        let saa = if in_saa(lat_deg, lon_deg) { self.spec.saa_enhancement } else { 1.0 };
        let polar = if lat_deg.abs() >= self.spec.polar_latitude_deg { self.spec.polar_enhancement } else { 1.0 };
        saa.max(polar)
    }

    /// Upsets per bit per second at a point (geodetic latitude and longitude in degrees,
    /// altitude above the WGS84 ellipsoid in km).
    pub fn rate_per_bit_s(&self, lat_deg: f64, lon_deg: f64, alt_km: f64) -> f64 {
        self.background_per_bit_s * self.enhancement(lat_deg, lon_deg) * self.altitude_factor(alt_km)
    }

    fn altitude_factor(&self, alt_km: f64) -> f64 {
        (self.log_growth_per_km * (alt_km - self.spec.reference_altitude_km)).exp()
    }

    /// Mean of `m` over a circular orbit of this inclination, with every longitude equally
    /// likely under each point of the orbit (the Earth turns under it): the quadrature runs
    /// over argument of latitude and longitude on a 0.5° grid, with the orbit's latitude
    /// taken as geocentric (within 0.2° of geodetic).
    fn mean_enhancement_on_circular_orbit(&self, inclination_deg: f64) -> f64 {
        let sin_i = inclination_deg.to_radians().sin();
        let step = 360.0 / REFERENCE_GRID as f64;
        let mut sum = 0.0;
        for u in 0..REFERENCE_GRID {
            let arg = ((u as f64 + 0.5) * step).to_radians();
            let lat = (sin_i * arg.sin()).clamp(-1.0, 1.0).asin().to_degrees();
            for l in 0..REFERENCE_GRID {
                sum += self.enhancement(lat, -180.0 + (l as f64 + 0.5) * step);
            }
        }
        sum / (REFERENCE_GRID * REFERENCE_GRID) as f64
    }

    /// Where `sat` is at `time`, geodetic.
    fn position(sat: &Satellite, time: UtcTime) -> Result<Geodetic, PropagationFailure> {
        Ok(Geodetic::from_ecef(&Self::position_ecef(sat, time)?))
    }

    /// Where `sat` is at `time`, Earth-fixed (km).
    fn position_ecef(sat: &Satellite, time: UtcTime) -> Result<Vector3<f64>, PropagationFailure> {
        let state = sat.propagate(time)?;
        Ok(teme_to_ecef_position(&state.position, time.gmst()))
    }

    /// A bound on the intensity per bit along `sat`'s orbit: the largest enhancement at the
    /// altitude extreme where the altitude law peaks (the highest for a growth factor above
    /// 1), with a margin for SGP4's short-period terms.
    fn rate_bound_per_bit_s(&self, sat: &Satellite) -> f64 {
        let highest_km = sat.elements.apogee_radius_km() - WGS84_B_KM + ALTITUDE_MARGIN_KM;
        let lowest_km = sat.elements.perigee_radius_km() - WGS84_A_KM - ALTITUDE_MARGIN_KM;
        let enhancement = self.spec.saa_enhancement.max(self.spec.polar_enhancement).max(1.0);
        let altitude = self.altitude_factor(highest_km).max(self.altitude_factor(lowest_km));
        self.background_per_bit_s * enhancement * altitude
    }

    /// A bound on the rate per bit at a point outside both regions at `radius_km` from the
    /// Earth's centre: its altitude above the ellipsoid is at most the radius minus the
    /// polar radius (plus a metre for the geodetic conversion's rounding, far more than it
    /// needs), and the altitude law does not decrease with altitude.
    fn quiet_rate_bound_per_bit_s(&self, radius_km: f64) -> f64 {
        self.background_per_bit_s * 1.0 * self.altitude_factor(radius_km - WGS84_B_KM + 0.001)
    }

    /// The upsets of a memory of `bits` bits on `sat` during `window`, in time order, drawn
    /// from `rng` (module docs). If the satellite cannot be propagated at a candidate time,
    /// the upsets before it are returned with the reason (the time is that candidate's, so
    /// it can lie up to one candidate gap after the failure). Never panics.
    pub fn upsets(
        &self,
        sat: &Satellite,
        window: Window,
        bits: u64,
        rng: &mut SimRng,
    ) -> (Vec<Upset>, Option<PropagationStop>) {
        let mut out = Vec::new();
        let end = window.duration_s();
        let bound = self.rate_bound_per_bit_s(sat) * bits as f64;
        if bits == 0 || !(bound > 0.0 && end > 0.0) {
            return (out, None);
        }
        let quiet = QuietRegion::of(&self.spec);
        let mut t = 0.0;
        loop {
            // 1 − U lies in (0, 1], so the gap is finite.
            t += -(1.0 - rng.random::<f64>()).ln() / bound;
            if t >= end {
                return (out, None);
            }
            let time = window.start.plus_seconds(t);
            let r = match Self::position_ecef(sat, time) {
                Ok(r) => r,
                Err(reason) => return (out, Some(PropagationStop { time, reason })),
            };
            let draw = rng.random::<f64>() * bound;
            // Most candidates fall outside both regions and are rejected: when the
            // Earth-fixed position alone shows that, the geodetic conversion (dearer than
            // the propagation) is skipped. The decision is the one the exact rate gives.
            if quiet.contains(&r) && draw >= self.quiet_rate_bound_per_bit_s(r.norm()) * bits as f64 {
                continue;
            }
            let at = Geodetic::from_ecef(&r);
            let rate = self.rate_per_bit_s(at.lat_deg, at.lon_deg, at.alt_km) * bits as f64;
            debug_assert!(rate <= bound, "{}: intensity {rate} above its bound {bound}", sat.name);
            if draw >= rate {
                continue;
            }
            let bit = rng.random_range(0..bits);
            let bits_flipped =
                if self.spec.word_bits >= 2 && rng.random::<f64>() < self.spec.multi_bit_share { 2 } else { 1 };
            out.push(Upset {
                time,
                lat_deg: at.lat_deg,
                lon_deg: at.lon_deg,
                alt_km: at.alt_km,
                bit,
                bits_flipped,
                corrected_by_edac: self.spec.edac && bits_flipped == 1,
            });
        }
    }

    /// The expected number of upsets of a memory of `bits` bits on `sat` during `window`:
    /// the rate integrated along the propagated orbit (midpoint rule, 2 s steps), with the
    /// part inside the SAA. If propagation fails, the integral up to the failing step is
    /// returned with the reason.
    pub fn expected_upsets(
        &self,
        sat: &Satellite,
        window: Window,
        bits: u64,
    ) -> (ExpectedUpsets, Option<PropagationStop>) {
        let mut expected = ExpectedUpsets::default();
        let end = window.duration_s();
        if end.is_nan() || end <= 0.0 {
            return (expected, None);
        }
        let steps = (end / EXPECTATION_STEP_S).ceil() as u64;
        let h = end / steps as f64;
        for k in 0..steps {
            let time = window.start.plus_seconds((k as f64 + 0.5) * h);
            let at = match Self::position(sat, time) {
                Ok(at) => at,
                Err(reason) => return (expected, Some(PropagationStop { time, reason })),
            };
            let upsets = self.rate_per_bit_s(at.lat_deg, at.lon_deg, at.alt_km) * bits as f64 * h;
            expected.count += upsets;
            if in_saa(at.lat_deg, at.lon_deg) {
                expected.in_saa += upsets;
            }
        }
        (expected, None)
    }
}

/// Earth-fixed positions that lie outside the [`SAA`] and below the polar latitude (where
/// the enhancement is 1), recognised without the geodetic conversion: by the geocentric
/// latitude's sine and the longitude's offset from the SAA's centre, each with a margin of
/// [`QUIET_MARGIN_DEG`] over the geocentric–geodetic latitude difference and rounding.
struct QuietRegion {
    /// Geocentric latitude sines beyond which a point is north or south of the SAA.
    north_of_saa_sin: f64,
    south_of_saa_sin: f64,
    /// The SAA's central longitude as a unit vector in the equatorial plane, and the cosine
    /// of the offset from it beyond which a point is east or west of the SAA (below −1:
    /// never).
    saa_centre: (f64, f64),
    beside_saa_cos: f64,
    /// |sine of the geocentric latitude| below which a point is short of the polar region
    /// (above 1: everywhere, the polar enhancement being 1).
    below_polar_sin: f64,
}

/// Margin of [`QuietRegion`], degrees: the geodetic latitude exceeds the geocentric one by
/// at most 0.2°.
const QUIET_MARGIN_DEG: f64 = 0.25;

impl QuietRegion {
    fn of(spec: &UpsetSpec) -> Self {
        let sin_of_lat = |deg: f64| deg.clamp(-90.0, 90.0).to_radians().sin();
        let beside = SAA.lon_radius_deg + QUIET_MARGIN_DEG;
        let polar = spec.polar_latitude_deg - QUIET_MARGIN_DEG;
        QuietRegion {
            north_of_saa_sin: sin_of_lat(SAA.center_lat_deg + SAA.lat_radius_deg + QUIET_MARGIN_DEG),
            south_of_saa_sin: sin_of_lat(SAA.center_lat_deg - SAA.lat_radius_deg - QUIET_MARGIN_DEG),
            saa_centre: (SAA.center_lon_deg.to_radians().cos(), SAA.center_lon_deg.to_radians().sin()),
            beside_saa_cos: if beside >= 180.0 { -2.0 } else { beside.to_radians().cos() },
            below_polar_sin: if spec.polar_enhancement == 1.0 {
                2.0
            } else if polar <= 0.0 {
                -1.0
            } else {
                sin_of_lat(polar)
            },
        }
    }

    /// Whether the point `r` (Earth-fixed, km) is certainly outside both regions.
    fn contains(&self, r: &Vector3<f64>) -> bool {
        let sin_lat = r.z / r.norm();
        if sin_lat.abs() >= self.below_polar_sin {
            return false;
        }
        let equatorial = (r.x * r.x + r.y * r.y).sqrt();
        sin_lat > self.north_of_saa_sin
            || sin_lat < self.south_of_saa_sin
            || r.x * self.saa_centre.0 + r.y * self.saa_centre.1 < equatorial * self.beside_saa_cos
    }
}

/// One single-event upset in a satellite's memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Upset {
    pub time: UtcTime,
    /// Where the satellite was: geodetic latitude and longitude (degrees), altitude (km).
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_km: f64,
    /// Address of the bit struck, in [0, memory bits). A multi-bit upset flips it and
    /// another bit of the same word (`bit / word_bits`).
    pub bit: u64,
    /// 1, or 2 for a multi-bit upset within one word.
    pub bits_flipped: u32,
    /// Corrected by SECDED EDAC (EDAC on and a single-bit upset): the stored data stays
    /// intact.
    pub corrected_by_edac: bool,
}

/// The rate integrated along an orbit: expected upsets in all and inside the SAA.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ExpectedUpsets {
    pub count: f64,
    pub in_saa: f64,
}

impl ExpectedUpsets {
    /// Expected share of upsets inside the SAA (0 when none are expected).
    pub fn saa_share(&self) -> f64 {
        if self.count > 0.0 { self.in_saa / self.count } else { 0.0 }
    }
}

/// Upsets of many satellites over one window.
#[derive(Debug, Default)]
pub struct UpsetSearch {
    /// `upsets[i]` belongs to `satellites[i]`, in time order.
    pub upsets: Vec<Vec<Upset>>,
    /// Satellites that stopped propagating, by index; their upsets end there.
    pub retirements: Vec<Retirement>,
}

/// [`UpsetEnvironment::upsets`] for every satellite, each with a memory of `bits` bits and
/// its own stream under `seed`, in parallel (rayon); the result does not depend on the
/// thread count.
pub fn generate_upsets(
    env: &UpsetEnvironment,
    satellites: &[Satellite],
    window: Window,
    bits: u64,
    seed: u64,
) -> UpsetSearch {
    generate_upsets_of(env, satellites, &vec![true; satellites.len()], window, bits, seed)
}

/// [`generate_upsets`] for the satellites `selected` marks (the others get none): each
/// selected satellite draws exactly what it draws in [`generate_upsets`].
pub fn generate_upsets_of(
    env: &UpsetEnvironment,
    satellites: &[Satellite],
    selected: &[bool],
    window: Window,
    bits: u64,
    seed: u64,
) -> UpsetSearch {
    let per_sat: Vec<_> = satellites
        .par_iter()
        .zip(selected)
        .enumerate()
        .map(|(i, (sat, &selected))| {
            let memory = if selected { bits } else { 0 };
            env.upsets(sat, window, memory, &mut rng_stream(seed, i as u64, "radiation.upsets"))
        })
        .collect();
    let mut out = UpsetSearch::default();
    for (i, (upsets, stop)) in per_sat.into_iter().enumerate() {
        out.upsets.push(upsets);
        out.retirements.extend(stop.map(|s| s.into_retirement(i)));
    }
    out
}

/// The scenario's `[upsets]` section as written, and the parameters of an
/// [`UpsetEnvironment`]; every field has a default (FACTS.md, "Radiation upsets in memory").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpsetSpec {
    /// Orbit-average upsets per bit per day measured on the reference orbit.
    pub rate_per_bit_day: f64,
    pub reference_altitude_km: f64,
    pub reference_inclination_deg: f64,
    /// Rate growth per 100 km of altitude (1: altitude-independent).
    pub altitude_factor_per_100km: f64,
    pub saa_enhancement: f64,
    pub polar_latitude_deg: f64,
    pub polar_enhancement: f64,
    pub multi_bit_share: f64,
    pub word_bits: u32,
    pub edac: bool,
}

impl Default for UpsetSpec {
    /// Alsat-1's commercial memories at 686 km, 98.2° (rate and multi-bit share), the SAA
    /// share of a 2025 in-orbit SRAM study turned into an enhancement, 64-bit SECDED words.
    fn default() -> Self {
        UpsetSpec {
            rate_per_bit_day: 4.04e-7,
            reference_altitude_km: 686.0,
            reference_inclination_deg: 98.2,
            altitude_factor_per_100km: 2.0,
            saa_enhancement: 450.0,
            polar_latitude_deg: 60.0,
            polar_enhancement: 1.0,
            multi_bit_share: 0.014,
            word_bits: 64,
            edac: true,
        }
    }
}

/// A rejected `[upsets]` field: its dotted path and what is wrong, one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct UpsetSpecError {
    pub path: String,
    pub message: String,
}

/// Validates the section written at `field` (e.g. `upsets`) into an environment. Errors
/// name the field, e.g. `upsets.rate_per_bit_day: must be a non-negative number`.
pub fn validate(spec: &UpsetSpec, field: &str) -> Result<UpsetEnvironment, UpsetSpecError> {
    let error = |name: &str, message: String| UpsetSpecError { path: format!("{field}.{name}"), message };
    let ranged = |name: &str, value: f64, range: std::ops::RangeInclusive<f64>, unit: &str| {
        check_range(value, range, unit).map_err(|m| error(name, m))
    };
    if !(spec.rate_per_bit_day.is_finite() && spec.rate_per_bit_day >= 0.0) {
        return Err(error("rate_per_bit_day", "must be a non-negative number".into()));
    }
    // One upset per bit per second is far beyond any memory that still holds data.
    ranged("rate_per_bit_day", spec.rate_per_bit_day, 0.0..=SECONDS_PER_DAY, " per bit per day")?;
    ranged("reference_altitude_km", spec.reference_altitude_km, 100.0..=40_000.0, " km")?;
    ranged("reference_inclination_deg", spec.reference_inclination_deg, 0.0..=180.0, "°")?;
    for (name, value) in [
        ("altitude_factor_per_100km", spec.altitude_factor_per_100km),
        ("saa_enhancement", spec.saa_enhancement),
        ("polar_enhancement", spec.polar_enhancement),
    ] {
        if !(value.is_finite() && value >= 1.0) {
            return Err(error(name, format!("{value} is below 1 (1 means no enhancement)")));
        }
        ranged(name, value, 1.0..=1e6, "")?;
    }
    ranged("polar_latitude_deg", spec.polar_latitude_deg, 0.0..=90.0, "°")?;
    if !(0.0..=1.0).contains(&spec.multi_bit_share) {
        return Err(error("multi_bit_share", format!("{} is not a share in [0, 1]", spec.multi_bit_share)));
    }
    if spec.word_bits == 0 {
        return Err(error("word_bits", "must be at least 1".into()));
    }
    check_range(spec.word_bits, 1..=4096, " bits").map_err(|m| error("word_bits", m))?;
    if spec.word_bits == 1 && spec.multi_bit_share > 0.0 {
        return Err(error("word_bits", "a multi-bit upset needs words of at least 2 bits".into()));
    }
    Ok(UpsetEnvironment::new(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(rate_per_bit_day: f64) -> UpsetEnvironment {
        UpsetEnvironment::new(&UpsetSpec {
            rate_per_bit_day,
            altitude_factor_per_100km: 1.0,
            saa_enhancement: 1.0,
            polar_enhancement: 1.0,
            ..UpsetSpec::default()
        })
    }

    #[test]
    fn saa_region_spans_the_published_box() {
        assert!(in_saa(-25.0, -25.0));
        assert!(in_saa(-30.0, -45.0)); // off Brazil
        assert!(in_saa(-49.0, -25.0) && in_saa(-1.0, -25.0));
        assert!(in_saa(-25.0, -89.0) && in_saa(-25.0, 39.0));
        assert!(!in_saa(-51.0, -25.0) && !in_saa(1.0, -25.0));
        assert!(!in_saa(-25.0, -91.0) && !in_saa(-25.0, 41.0));
        assert!(!in_saa(-25.0, 155.0)); // the antipodal side
        assert!(!in_saa(-48.0, -85.0)); // a corner of the box lies outside the ellipse
        assert!(in_saa(-25.0, 335.0)); // longitudes wrap
    }

    #[test]
    fn without_enhancements_the_rate_is_the_given_one_everywhere() {
        let env = flat(1e-9);
        for (lat, lon, alt) in [(-25.0, -25.0, 500.0), (80.0, 10.0, 900.0), (0.0, 120.0, 300.0)] {
            assert_eq!(env.rate_per_bit_s(lat, lon, alt), 1e-9 / 86_400.0);
        }
    }

    #[test]
    fn the_reference_orbit_averages_the_given_rate() {
        let p = UpsetSpec {
            rate_per_bit_day: 1e-9,
            reference_altitude_km: 500.0,
            reference_inclination_deg: 51.6,
            altitude_factor_per_100km: 2.0,
            saa_enhancement: 50.0,
            polar_latitude_deg: 45.0,
            polar_enhancement: 3.0,
            ..UpsetSpec::default()
        };
        let env = UpsetEnvironment::new(&p);
        // Average over the same kind of grid, finer and offset: the orbit's mean rate.
        let n = 1000;
        let mut sum = 0.0;
        for u in 0..n {
            let arg = ((u as f64 + 0.25) * std::f64::consts::TAU / n as f64).sin();
            let lat = (51.6f64.to_radians().sin() * arg).asin().to_degrees();
            for l in 0..n {
                sum += env.rate_per_bit_s(lat, -180.0 + (l as f64 + 0.25) * 360.0 / n as f64, 500.0);
            }
        }
        let mean_per_day = sum / (n * n) as f64 * 86_400.0;
        assert!((mean_per_day / 1e-9 - 1.0).abs() < 5e-3, "{mean_per_day}");
        // The rate doubles per 100 km and the SAA multiplies it.
        let base = env.rate_per_bit_s(10.0, 100.0, 500.0);
        assert!((env.rate_per_bit_s(10.0, 100.0, 600.0) / base - 2.0).abs() < 1e-12);
        assert!((env.rate_per_bit_s(-25.0, -25.0, 500.0) / base - 50.0).abs() < 1e-12);
        assert!((env.rate_per_bit_s(60.0, 100.0, 500.0) / base - 3.0).abs() < 1e-12);
        // Inside both regions the larger enhancement applies.
        assert!((env.rate_per_bit_s(-46.0, -25.0, 500.0) / base - 50.0).abs() < 1e-12);
    }

    #[test]
    fn defaults_validate() {
        let env = validate(&UpsetSpec::default(), "upsets").unwrap();
        assert!(env.spec().edac && env.spec().word_bits == 64);
    }

    #[test]
    fn bad_fields_are_named() {
        type Mutation = fn(&mut UpsetSpec);
        let cases: Vec<(Mutation, &str)> = vec![
            (|s| s.rate_per_bit_day = -1e-9, "upsets.rate_per_bit_day: must be a non-negative number"),
            (|s| s.rate_per_bit_day = f64::NAN, "upsets.rate_per_bit_day: must be a non-negative number"),
            (|s| s.saa_enhancement = 0.5, "upsets.saa_enhancement: 0.5 is below 1 (1 means no enhancement)"),
            (|s| s.polar_enhancement = -2.0, "upsets.polar_enhancement: -2 is below 1 (1 means no enhancement)"),
            (|s| s.altitude_factor_per_100km = 0.9, "upsets.altitude_factor_per_100km: 0.9 is below 1"),
            (|s| s.word_bits = 0, "upsets.word_bits: must be at least 1"),
            (|s| s.multi_bit_share = 1.5, "upsets.multi_bit_share: 1.5 is not a share in [0, 1]"),
            (|s| s.multi_bit_share = -0.1, "upsets.multi_bit_share: -0.1 is not a share in [0, 1]"),
            (|s| s.reference_altitude_km = 50.0, "upsets.reference_altitude_km: 50 is outside"),
            (|s| s.polar_latitude_deg = 91.0, "upsets.polar_latitude_deg: 91 is outside"),
            (|s| s.word_bits = 1, "upsets.word_bits: a multi-bit upset needs words of at least 2 bits"),
        ];
        for (mutate, expected) in cases {
            let mut spec = UpsetSpec::default();
            mutate(&mut spec);
            let message = validate(&spec, "upsets").unwrap_err().to_string();
            assert!(message.starts_with(expected), "{message} does not start with {expected}");
            assert!(!message.contains('\n'));
        }
    }

    #[test]
    fn spec_reads_from_toml_with_defaults_and_rejects_unknown_fields() {
        let spec: UpsetSpec = toml::from_str("rate_per_bit_day = 1e-10\nedac = false").unwrap();
        assert_eq!(spec.rate_per_bit_day, 1e-10);
        assert!(!spec.edac);
        assert_eq!(spec.word_bits, UpsetSpec::default().word_bits);
        assert!(toml::from_str::<UpsetSpec>("rate_per_bit_day = \"fast\"").is_err());
        assert!(toml::from_str::<UpsetSpec>("rate = 1e-10").is_err());
    }

    #[test]
    fn the_quiet_region_claims_only_points_of_enhancement_1_and_bounds_their_rate() {
        for polar_enhancement in [1.0, 3.0] {
            let spec = UpsetSpec { polar_enhancement, ..UpsetSpec::default() };
            let env = UpsetEnvironment::new(&spec);
            let quiet = QuietRegion::of(&spec);
            let (mut claimed, mut points) = (0, 0);
            for radius_km in [6_500.0, 6_900.0, 7_400.0, 8_000.0] {
                for lat in (-900..=900).step_by(3) {
                    for lon in (-1800..1800).step_by(7) {
                        let (lat, lon) = ((lat as f64 / 10.0).to_radians(), (lon as f64 / 10.0).to_radians());
                        let r = radius_km * Vector3::new(lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin());
                        points += 1;
                        if !quiet.contains(&r) {
                            continue;
                        }
                        claimed += 1;
                        let at = Geodetic::from_ecef(&r);
                        assert_eq!(env.enhancement(at.lat_deg, at.lon_deg), 1.0, "{at:?}");
                        let rate = env.rate_per_bit_s(at.lat_deg, at.lon_deg, at.alt_km);
                        assert!(rate <= env.quiet_rate_bound_per_bit_s(r.norm()), "{at:?}");
                    }
                }
            }
            // Most of the sphere is quiet: the shortcut is worth having.
            assert!(claimed * 2 > points, "{claimed} of {points}");
        }
    }
}
