//! Sun position, Earth shadow and eclipse intervals.
//!
//! # Sun
//! [`sun_position_km`] is the low-precision solar theory of Meeus (*Astronomical Algorithms*,
//! 2nd ed., ch. 25; the Astronomical Almanac's "low precision" formula is the same series
//! truncated further): about 0.01° in direction between 1950 and 2050; against JPL DE421 in
//! 2026 it is within 0.008° of the apparent direction (0.004° of the geometric one) and
//! 7·10⁻⁵ AU in distance (`tests/eclipse_skyfield.rs`). It is the **apparent** direction
//! (annual aberration, −20.5″, is applied): the direction sunlight arrives from in the
//! Earth's frame, which is what casts the shadow. Skyfield's `is_sunlit` uses the geometric
//! direction; the 20.5″ move a LEO shadow boundary by about 0.1 s (more in grazing
//! passages, where the boundary is crossed slowly). Coordinates are on the mean equator and
//! equinox of date; SGP4's TEME frame has the true equator and the mean equinox, and the two
//! differ by nutation, under 11″ (0.003°), so the vector is used as TEME directly. Time is
//! TT = UTC + 69.184 s (the offset since 2017; for other years it is off by a few seconds,
//! 10⁻⁵° of solar motion).
//!
//! # Shadow
//! The Earth is a sphere of radius [`EARTH_SHADOW_RADIUS_KM`] = 6378.137 km (WGS84
//! equatorial) with **no atmosphere added and no oblateness**, the Sun a sphere of radius
//! [`SUN_RADIUS_KM`]. Seen from the satellite both are discs; [`sunlit_fraction`] is the
//! visible fraction of the Sun's disc (the conical model of Montenbruck & Gill, *Satellite
//! Orbits* §3.4.2): 1 in sunlight, 0 in the umbra, in between in the penumbra. Entering
//! umbra and penumbra are tangencies of the two discs, so those times are exact; in between,
//! the overlap is computed for flat discs, which puts the fraction within 2·10⁻⁴ of the
//! overlap of the two discs on the sky's sphere. The real shadow is a little larger: the
//! atmosphere absorbs and refracts light grazing the limb. Each km added to the radius
//! lengthens a 500 km, β = 0 eclipse by about 0.7 s (15–35 s for a 20–50 km layer); the
//! polar radius, 21 km shorter, would shorten shadows crossed near the poles by up to about
//! 15 s. [`in_cylindrical_shadow`] and [`cylindrical_eclipse_fraction`] are the textbook
//! cylinder, for comparison.
//!
//! # Eclipse intervals
//! [`eclipse_intervals`] follows one satellite through a window, in the same way the pass
//! finder does (see [`super::passes`]):
//!
//! 1. **Skip where nothing can happen.** Seen from the satellite, let `c` be the angle
//!    between the Earth's and the Sun's centres, `b` and `a` the two discs' angular radii and
//!    `f = c − b`. The satellite is in sunlight when `f > a`, in the umbra when `f < −a`. `f`
//!    changes no faster than the direction to the Earth's centre turns (at most
//!    `v_max / r_min`), plus the change of `b` with the radial velocity and the slow drift of
//!    the Sun's direction; from a sample a distance `d` from both boundaries, the next
//!    `d / rate` seconds provably hold no entry or exit. A second bound does better where
//!    `f` moves slowly or away from a boundary: `x = cos c` is smooth everywhere (the angle
//!    `c` is not, at `c = 0`), its second derivative is bounded by the orbit's angular
//!    acceleration, so from the margin `m = cos(b ± a) − x` and its rate `m'` at a sample,
//!    `|m| + m'·τ − K·τ²/2` (with `m'` taken towards zero) bounds it until the first root.
//!    The longer of the two skips is taken in one step. Both bounds come from the mean
//!    elements with margins, and a unit test checks them against trajectories.
//! 2. **Fine steps near a boundary**, at most 0.2 rad of orbital arc long. A minimum of `f`
//!    (a grazing eclipse) shows as a sign change of its rate between two samples and is
//!    located, so that every piece is monotone and holds at most one crossing of each
//!    boundary.
//! 3. **Refinement** of each crossing to 1 ms with Newton steps ([`crate::numeric::bracketed_root`]) on the
//!    exact geometry (SGP4 and the Sun at each iterate), started from the root of the
//!    cubic Hermite interpolant of the two samples (about 1.6 evaluations a crossing).
//!
//! A Starlink satellite costs about 16 SGP4-and-Sun evaluations an orbit in all (about 230 a
//! day; `benches/eclipse.rs`).
//!
//! The search is a pure function of the satellite and the window: [`find_eclipses`] runs it
//! in parallel over satellites, and the output does not depend on the thread count.
//!
//! ```
//! use orbsim::access::Window;
//! use orbsim::access::eclipse::{eclipse_fractions, eclipse_intervals};
//! use orbsim::orbit::{Satellite, tle::parse_lines};
//! use orbsim::time::UtcTime;
//!
//! let (id, _, elements) = parse_lines(
//!     "1 63982U 25100A   26078.25874299  .00007059  00000+0  31840-3 0  9994",
//!     "2 63982  97.3732 152.9903 0023419 300.8495  59.0437 15.21075366 46978",
//! )
//! .unwrap();
//! let sat = Satellite::new("SCS-01 A".into(), Some(id), elements).unwrap();
//! let start = UtcTime::parse("2026-03-20T00:00:00Z").unwrap();
//! let window = Window { start, end: start.plus_seconds(86_400.0) };
//! let (intervals, stopped) = eclipse_intervals(&sat, window);
//! assert!(stopped.is_none());
//! assert_eq!(intervals.len(), 15); // 34.5 min of shadow every 94.7 min
//! let fractions = eclipse_fractions(&intervals, window);
//! assert!((fractions.shadow() - 0.36).abs() < 0.005);
//! ```

use std::io::Write;

use nalgebra::Vector3;
use rayon::prelude::*;

use super::passes::{Retirement, Window, name_ranks};
use crate::constants::{WGS72_MU_KM3_S2, WGS84_A_KM};
use crate::numeric::{Bracket, HermiteCubic, Safeguard, Start, Tolerance, try_bracketed_root};
use crate::orbit::{DECAY_RADIUS_KM, PropagationFailure, Satellite};
use crate::time::UtcTime;

/// Radius of the sphere that casts the shadow: the WGS84 equatorial radius, km, without an
/// atmosphere (see the module docs for what that leaves out).
pub const EARTH_SHADOW_RADIUS_KM: f64 = WGS84_A_KM;
/// Nominal solar radius (IAU 2015 Resolution B3), km.
pub const SUN_RADIUS_KM: f64 = 695_700.0;
/// Astronomical unit (IAU 2012), km.
pub const AU_KM: f64 = 149_597_870.7;
/// TT − UTC since 2017-01-01 (37 leap seconds + 32.184 s), seconds.
const TT_MINUS_UTC_S: f64 = 69.184;
/// The Sun's mean motion along the ecliptic, rad/s (360° a tropical year).
const SUN_MEAN_MOTION_RAD_S: f64 = std::f64::consts::TAU / (365.242_19 * 86_400.0);
/// North pole of the ecliptic (J2000 obliquity, 23.4393°) in equatorial coordinates: the
/// Sun's geocentric motion is a turn about it.
const ECLIPTIC_POLE: Vector3<f64> = Vector3::new(0.0, -0.397_777_2, 0.917_482_1);

/// Root-finding tolerance for entries and exits, seconds.
const TIME_TOLERANCE_S: f64 = 1e-3;
/// Tolerance when locating a minimum of the shadow function (it is flat there, so this
/// moves the value by far less than the boundary tolerance).
const EXTREMUM_TOLERANCE_S: f64 = 1e-2;
/// Largest orbital arc between two fine samples, radians: small enough that the shadow
/// function has at most one extremum between them (extrema are half an orbit apart).
const MAX_ARC_PER_FINE_STEP_RAD: f64 = 0.2;
const MIN_FINE_STEP_S: f64 = 2.0;
const MAX_FINE_STEP_S: f64 = 300.0;
/// When propagation fails, the last good time is located to this resolution, seconds.
const FAILURE_RESOLUTION_S: f64 = 1.0;

/// The Sun from Meeus ch. 25 (longitude and distance) and ch. 22 (mean obliquity), with `t`
/// in Julian centuries of TT from J2000: (apparent longitude °, mean obliquity °, distance AU).
/// The apparent longitude includes aberration and leaves nutation out (TEME's equinox is
/// the mean one).
fn sun_ecliptic(t: f64) -> (f64, f64, f64) {
    let l0 = 280.466_46 + t * (36_000.769_83 + t * 0.000_303_2);
    let m = (357.529_11 + t * (35_999.050_29 - t * 0.000_153_7)).to_radians();
    let e = 0.016_708_634 - t * (0.000_042_037 + t * 0.000_000_126_7);
    let c = (1.914_602 - t * (0.004_817 + t * 0.000_014)) * m.sin()
        + (0.019_993 - t * 0.000_101) * (2.0 * m).sin()
        + 0.000_289 * (3.0 * m).sin();
    let true_longitude = l0 + c;
    let nu = m + c.to_radians();
    let distance = 1.000_001_018 * (1.0 - e * e) / (1.0 + e * nu.cos());
    let apparent_longitude = true_longitude - 0.005_69;
    let obliquity = 23.439_291_1 + t * (-0.013_004_2 + t * (-1.64e-7 + t * 5.04e-7));
    (apparent_longitude.rem_euclid(360.0), obliquity, distance)
}

/// Geocentric position of the Sun at `t`, km, in SGP4's TEME frame (mean equator and
/// equinox of date, within 0.003° of TEME): the apparent direction (aberration included) to
/// about 0.01°, the geometric distance to about 10⁻⁴ AU. See the module docs.
pub fn sun_position_km(t: UtcTime) -> Vector3<f64> {
    let centuries = (t.days_since_j2000() + TT_MINUS_UTC_S / 86_400.0) / 36_525.0;
    let (longitude, obliquity, distance_au) = sun_ecliptic(centuries);
    let (sin_l, cos_l) = longitude.to_radians().sin_cos();
    let (sin_e, cos_e) = obliquity.to_radians().sin_cos();
    let d = distance_au * AU_KM;
    Vector3::new(d * cos_l, d * sin_l * cos_e, d * sin_l * sin_e)
}

/// The two discs a satellite sees: the Sun's and the Earth's angular radii and the angle
/// between their centres, radians. Everything about the conical shadow follows from these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShadowGeometry {
    /// Angular radius of the Sun's disc, about 0.267° (4.65 mrad).
    pub sun_radius_rad: f64,
    /// Angular radius of the Earth's disc, 68° at 500 km altitude.
    pub earth_radius_rad: f64,
    /// Angle between the directions from the satellite to the Sun's and the Earth's
    /// centres.
    pub separation_rad: f64,
}

impl ShadowGeometry {
    /// Angle of the Sun's centre above the Earth's limb, radians: positive when the centre
    /// is visible. Zero is where Skyfield's `is_sunlit` changes (the middle of the
    /// penumbra), ±`sun_radius_rad` the penumbra's and the umbra's edges.
    pub fn limb_margin_rad(&self) -> f64 {
        self.separation_rad - self.earth_radius_rad
    }

    /// Visible fraction of the Sun's disc, in [0, 1]: the area of the Sun's disc not
    /// covered by the Earth's, for flat discs (see the module docs for the approximation).
    pub fn sunlit_fraction(&self) -> f64 {
        let (a, b, c) = (self.sun_radius_rad, self.earth_radius_rad, self.separation_rad);
        if c >= a + b {
            return 1.0;
        }
        if c <= b - a {
            return 0.0;
        }
        if c <= a - b {
            // The Earth inside the Sun's disc (an annular eclipse, only far from the Earth).
            return 1.0 - (b * b) / (a * a);
        }
        // Half-chord y of the lens and the half-angles it subtends at each centre.
        let x = (c * c + a * a - b * b) / (2.0 * c);
        let y = (a * a - x * x).max(0.0).sqrt();
        let alpha = y.atan2(x);
        let beta = y.atan2(c - x);
        let segment = |r: f64, angle: f64| r * r * (angle - angle.sin() * angle.cos());
        let lens = segment(a, alpha) + segment(b, beta);
        (1.0 - lens / (std::f64::consts::PI * a * a)).clamp(0.0, 1.0)
    }
}

/// The discs seen from a satellite at `r_sat_km` with the Sun at `r_sun_km` (both
/// geocentric, same frame, km).
pub fn shadow_geometry(r_sat_km: &Vector3<f64>, r_sun_km: &Vector3<f64>) -> ShadowGeometry {
    let r = r_sat_km.norm();
    let to_sun = r_sun_km - r_sat_km;
    let d = to_sun.norm();
    let to_earth = -r_sat_km;
    ShadowGeometry {
        sun_radius_rad: (SUN_RADIUS_KM / d).min(1.0).asin(),
        earth_radius_rad: (EARTH_SHADOW_RADIUS_KM / r).min(1.0).asin(),
        separation_rad: to_earth.cross(&to_sun).norm().atan2(to_earth.dot(&to_sun)),
    }
}

/// Fraction of the Sun's disc visible from `r_sat_km` with the Sun at `r_sun_km`
/// (geocentric, same frame, km): 1 in sunlight, 0 in the umbra, in between in the
/// penumbra. What a solar array collects, relative to full sunlight.
pub fn sunlit_fraction(r_sat_km: &Vector3<f64>, r_sun_km: &Vector3<f64>) -> f64 {
    shadow_geometry(r_sat_km, r_sun_km).sunlit_fraction()
}

/// The cylindrical shadow: behind the Earth (relative to the Sun) and within
/// [`EARTH_SHADOW_RADIUS_KM`] of the Earth–Sun line. It lies between the umbra (a cone
/// narrowing behind the Earth) and the outer edge of the penumbra (a cone widening).
pub fn in_cylindrical_shadow(r_sat_km: &Vector3<f64>, r_sun_km: &Vector3<f64>) -> bool {
    let sun_dir = r_sun_km.normalize();
    let along = r_sat_km.dot(&sun_dir);
    along < 0.0 && (r_sat_km - sun_dir * along).norm_squared() < EARTH_SHADOW_RADIUS_KM * EARTH_SHADOW_RADIUS_KM
}

/// Fraction of a circular orbit of radius `radius_km` spent in the cylindrical shadow when
/// the Sun is `beta_rad` out of the orbit plane: `acos(√(r² − R²) / (r cos β)) / π`, and 0
/// when |β| ≥ asin(R / r) (68.0° at 500 km altitude); 1 for r ≤ R. The conical shadow
/// reaches about one solar radius (0.27°) of β further with its penumbra and that much less
/// with its umbra.
pub fn cylindrical_eclipse_fraction(beta_rad: f64, radius_km: f64) -> f64 {
    let r = radius_km;
    let big_r = EARTH_SHADOW_RADIUS_KM;
    if r <= big_r {
        return 1.0;
    }
    let x = (r * r - big_r * big_r).sqrt() / (r * beta_rad.cos());
    if x >= 1.0 { 0.0 } else { x.acos() / std::f64::consts::PI }
}

/// The Sun's elevation above the orbit plane (the beta angle), radians, from a state
/// (`r_km`, `v_km_s`) and the Sun's position, all geocentric in one frame. Positive on the
/// side of the orbit normal `r × v`.
pub fn beta_angle_rad(r_km: &Vector3<f64>, v_km_s: &Vector3<f64>, r_sun_km: &Vector3<f64>) -> f64 {
    let normal = r_km.cross(v_km_s).normalize();
    normal.dot(&r_sun_km.normalize()).clamp(-1.0, 1.0).asin()
}

/// One passage through the Earth's shadow: the penumbra entry to the penumbra exit, with
/// the umbra (if reached) inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EclipseInterval {
    /// Penumbra entry: the first instant any of the Sun's disc is hidden.
    pub start: UtcTime,
    /// Penumbra exit: the Sun's disc is whole again.
    pub end: UtcTime,
    /// Umbra entry (the whole disc hidden), if the umbra is reached.
    pub umbra_start: Option<UtcTime>,
    /// Umbra exit; present exactly when `umbra_start` is. Should an interval ever hold two
    /// umbra passages (not seen for Earth orbits), this spans both.
    pub umbra_end: Option<UtcTime>,
    /// Already in shadow at the window's start: `start` is the window's start (and so is
    /// `umbra_start` if the umbra had been entered).
    pub cut_start: bool,
    /// Still in shadow at the window's end, or when the satellite stopped propagating:
    /// `end` (and `umbra_end`, if in the umbra) is that time.
    pub cut_end: bool,
}

impl EclipseInterval {
    /// Penumbra entry to exit, seconds.
    pub fn duration_s(&self) -> f64 {
        self.end.seconds_since(self.start)
    }

    /// Time in the umbra, seconds (0 without umbra).
    pub fn umbra_s(&self) -> f64 {
        match (self.umbra_start, self.umbra_end) {
            (Some(s), Some(e)) => e.seconds_since(s),
            _ => 0.0,
        }
    }

    /// Time in the penumbra only (the interval minus its umbra), seconds.
    pub fn penumbra_s(&self) -> f64 {
        self.duration_s() - self.umbra_s()
    }
}

/// Where and why one satellite's search stopped before the window's end.
#[derive(Debug, Clone, PartialEq)]
pub struct PropagationStop {
    /// First time found at which the satellite could not be propagated (within 1 s of the
    /// last time it could).
    pub time: UtcTime,
    pub reason: PropagationFailure,
}

impl PropagationStop {
    /// The same stop as the pass finder reports it, for satellite number `satellite`.
    pub fn into_retirement(self, satellite: usize) -> Retirement {
        Retirement { satellite, time: self.time, reason: self.reason }
    }
}

/// The shadow function and its rate at one instant of the search.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Seconds from the window's start.
    t: f64,
    /// Separation minus the Earth's angular radius (the Sun's centre above the limb), rad.
    f: f64,
    /// The Sun's angular radius, rad.
    a: f64,
    /// df/dt, rad/s, with the Sun's motion taken as uniform along the ecliptic (good to 3 %
    /// of its 2·10⁻⁷ rad/s): it steers Newton steps and detects minima, and never decides a
    /// crossing by itself.
    df: f64,
    /// The same boundaries in terms of the separation's cosine x, which (unlike the angle)
    /// is smooth everywhere and so has a bounded second derivative: cos(b + a) − x and
    /// cos(b − a) − x, positive on the lit side, with their rates.
    lit_cos: [f64; 2],
    lit_cos_rate: [f64; 2],
}

impl Sample {
    /// Negative when part of the Sun is hidden.
    fn penumbra_margin(&self) -> f64 {
        self.f - self.a
    }

    /// Negative when all of the Sun is hidden.
    fn umbra_margin(&self) -> f64 {
        self.f + self.a
    }

    fn phase(&self) -> (bool, bool) {
        (self.penumbra_margin() < 0.0, self.umbra_margin() < 0.0)
    }

    /// How long no boundary can be crossed from this sample, seconds: the longer of what
    /// the rate bound on f and the curvature bound on the cosine margins allow.
    fn safe_skip(&self, bounds: &Bounds) -> f64 {
        let distance = self.penumbra_margin().abs().min(self.umbra_margin().abs());
        let lipschitz = distance / bounds.rate;
        let k = bounds.curvature;
        let quadratic = (0..2)
            .map(|i| {
                // m(t + τ) stays on m's side while |m| + p·τ − K·τ²/2 > 0, p the rate away
                // from zero (made smaller by the rate's own uncertainty).
                let m = self.lit_cos[i];
                let p = m.signum() * self.lit_cos_rate[i] - bounds.rate_uncertainty;
                let q = (p * p + 2.0 * k * m.abs()).sqrt();
                if p >= 0.0 { (p + q) / k } else { 2.0 * m.abs() / (q - p) }
            })
            .fold(f64::INFINITY, f64::min);
        lipschitz.max(quadratic)
    }
}

fn shadow_sample(t: f64, r: &Vector3<f64>, v: &Vector3<f64>, sun: &Vector3<f64>) -> Sample {
    let big_r = EARTH_SHADOW_RADIUS_KM;
    let rn = r.norm();
    let w = sun - r;
    let wn = w.norm();
    let u_hat = -r / rn;
    let w_hat = w / wn;
    let sin_c = u_hat.cross(&w_hat).norm();
    let cos_c = u_hat.dot(&w_hat);
    let c = sin_c.atan2(cos_c);
    let b = (big_r / rn).min(1.0).asin();
    let a = (SUN_RADIUS_KM / wn).min(1.0).asin();
    // d(û)/dt = (u' − û(û·u'))/|u| with u' = −v for the Earth's direction, and s' − v for
    // the Sun's.
    let du = -(v - u_hat * u_hat.dot(v)) / rn;
    let w_dot = ECLIPTIC_POLE.cross(sun) * SUN_MEAN_MOTION_RAD_S - v;
    let dw = (w_dot - w_hat * w_hat.dot(&w_dot)) / wn;
    let d_cos = du.dot(&w_hat) + u_hat.dot(&dw);
    let dc = if sin_c > 1e-12 { -d_cos / sin_c } else { 0.0 };
    let r_dot = r.dot(v) / rn;
    let db = -big_r * r_dot / (rn * (rn * rn - big_r * big_r).max(1e-9).sqrt());
    let (sin_p, cos_p) = (b + a).sin_cos();
    let (sin_u, cos_u) = (b - a).sin_cos();
    Sample {
        t,
        f: c - b,
        a,
        df: dc - db,
        lit_cos: [cos_p - cos_c, cos_u - cos_c],
        lit_cos_rate: [-sin_p * db - d_cos, -sin_u * db - d_cos],
    }
}

/// Bounds that make skipping safe, from the mean elements.
struct Bounds {
    /// Upper bound on |df/dt|, rad/s.
    rate: f64,
    /// Upper bound on the second derivative of the cosine margins, 1/s².
    curvature: f64,
    /// Allowance for what the margins' computed rates leave out (the Sun's non-uniform
    /// motion, the difference between SGP4's velocity and its position's derivative), 1/s.
    rate_uncertainty: f64,
    fine_step: f64,
}

fn bounds_for(sat: &Satellite) -> Bounds {
    let el = &sat.elements;
    let mu = WGS72_MU_KM3_S2;
    let a = el.semi_major_axis_km();
    let e = el.eccentricity;
    // Mean elements miss short-period terms of ±10–20 km in radius and about 10⁻³ in
    // eccentricity (J2 adds another 3·10⁻³ to the radial acceleration); pad both. Below
    // DECAY_RADIUS_KM propagation fails, so that is a floor.
    let r_min = (el.perigee_radius_km() - 30.0).max(DECAY_RADIUS_KM);
    let v_max = (mu * (2.0 / r_min - 1.0 / (a * 1.05))).max(0.0).sqrt();
    let semi_latus = (a * (1.0 - e * e)).max(r_min / 2.0);
    let e_pad = e + 0.01;
    let r_dot_max = e_pad * (mu / semi_latus).sqrt();
    let r_ddot_max = e_pad * mu / (r_min * r_min);
    let big_r = EARTH_SHADOW_RADIUS_KM;
    let s_min = (r_min * r_min - big_r * big_r).sqrt();
    // b = asin(R/r): its first and second derivatives through r' and r''.
    let earth_disc_rate = big_r * r_dot_max / (r_min * s_min);
    let earth_disc_accel = big_r * r_ddot_max / (r_min * s_min)
        + 2.0 * big_r * r_dot_max * r_dot_max / (r_min * r_min * s_min)
        + big_r.powi(3) * r_dot_max * r_dot_max / (r_min * r_min * s_min.powi(3));
    // The Sun's direction from the satellite turns with the satellite's and the Earth's
    // velocities (≤ 30.3 km/s) over at least 1.47·10⁸ km; the Sun's disc shrinks or grows
    // by less than 10⁻⁹ rad/s.
    let sun_rate = (v_max + 31.0) / 1.4e8 + 1e-9;
    let orbital_rate = v_max / r_min;
    let rate = 1.02 * (orbital_rate + earth_disc_rate + sun_rate);
    // |d²(û·ŵ)/dt²| ≤ |û''| + 2|û'||ŵ'| + |ŵ''| for the unit vectors to the Earth and the
    // Sun; with û = r/|r|, |û''| ≤ |r''|/r + 2|v||r'|/r² + |r''_radial|/r + 2r'²/r². The
    // threshold cos(b ± a) adds b'² + |b''|.
    let gravity = 1.01 * mu / (r_min * r_min);
    let earth_dir_accel = gravity / r_min
        + 2.0 * v_max * r_dot_max / (r_min * r_min)
        + r_ddot_max / r_min
        + 2.0 * r_dot_max * r_dot_max / (r_min * r_min);
    let sun_dir_accel = 2.0 * orbital_rate * sun_rate + (gravity + 1e-5) / 1.4e8 + 2.0 * sun_rate * sun_rate;
    let curvature = 1.05 * (earth_dir_accel + sun_dir_accel + earth_disc_rate.powi(2) + earth_disc_accel) + 1e-15;
    let fine_step = (MAX_ARC_PER_FINE_STEP_RAD / orbital_rate).clamp(MIN_FINE_STEP_S, MAX_FINE_STEP_S);
    Bounds { rate, curvature, rate_uncertainty: sun_rate + 1e-8, fine_step }
}

/// An interval being built.
struct Open {
    start: f64,
    cut_start: bool,
    umbra_start: Option<f64>,
    umbra_end: Option<f64>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    PenumbraEntry,
    UmbraEntry,
    UmbraExit,
    PenumbraExit,
}

struct Search<'a> {
    sat: &'a Satellite,
    window: Window,
    bounds: Bounds,
    open: Option<Open>,
    intervals: Vec<EclipseInterval>,
}

/// A failed propagation: when, and why.
type Failed = (f64, PropagationFailure);

/// A failure part-way through [`Search::advance`].
struct Stopped {
    last_good: Sample,
    t_fail: f64,
    reason: PropagationFailure,
}

impl Search<'_> {
    fn sample(&self, t: f64) -> Result<Sample, Failed> {
        let time = self.window.start.plus_seconds(t);
        let state = self.sat.propagate(time).map_err(|reason| (t, reason))?;
        Ok(shadow_sample(t, &state.position, &state.velocity, &sun_position_km(time)))
    }

    fn time(&self, t: f64) -> UtcTime {
        self.window.start.plus_seconds(t)
    }

    /// Handles [a, b]. With `proven`, the interval was chosen by the rate bound to hold no
    /// crossing; that is trusted only if both ends agree, otherwise it is scanned finely.
    /// On failure, everything up to the returned `last_good` sample has been handled.
    fn advance(&mut self, a: Sample, b: Sample, proven: bool) -> Result<(), Stopped> {
        if proven && a.phase() == b.phase() {
            return Ok(());
        }
        let n = ((b.t - a.t) / self.bounds.fine_step).ceil().max(1.0) as usize;
        let mut prev = a;
        for k in 1..=n {
            let next = if k == n { Ok(b) } else { self.sample(a.t + (b.t - a.t) * k as f64 / n as f64) };
            match next.and_then(|next| self.fine_step(prev, next).map(|()| next)) {
                Ok(next) => prev = next,
                Err((t_fail, reason)) => return Err(Stopped { last_good: prev, t_fail, reason }),
            }
        }
        Ok(())
    }

    /// One fine step: split at an extremum of f, then find each boundary crossing. Events
    /// are applied only once the whole step has been evaluated, so a failure leaves the
    /// search as it was at `a`.
    fn fine_step(&mut self, a: Sample, b: Sample) -> Result<(), Failed> {
        let mut pieces = [(a, b); 2];
        let mut n_pieces = 1;
        if (a.df < 0.0 && b.df > 0.0) || (a.df > 0.0 && b.df < 0.0) {
            let tm = try_bracketed_root(
                Bracket { lo: a.t, f_lo: a.df, hi: b.t, f_hi: b.df },
                Start::default(),
                Tolerance { bracket: EXTREMUM_TOLERANCE_S, step: 0.0, safeguard: Safeguard::Illinois },
                |t| Ok((self.sample(t)?.df, f64::NAN)),
            )?;
            let m = self.sample(tm)?;
            pieces = [(a, m), (m, b)];
            n_pieces = 2;
        }
        let mut events: [(f64, Event); 4] = [(0.0, Event::PenumbraEntry); 4];
        let mut n_events = 0;
        for &(p, q) in &pieces[..n_pieces] {
            let (gp, gq) = (p.penumbra_margin(), q.penumbra_margin());
            if (gp < 0.0) != (gq < 0.0) {
                let t = self.crossing(p, q, gp, gq, p.a, Sample::penumbra_margin)?;
                events[n_events] = (t, if gq < 0.0 { Event::PenumbraEntry } else { Event::PenumbraExit });
                n_events += 1;
            }
            let (gp, gq) = (p.umbra_margin(), q.umbra_margin());
            if (gp < 0.0) != (gq < 0.0) {
                let t = self.crossing(p, q, gp, gq, -p.a, Sample::umbra_margin)?;
                events[n_events] = (t, if gq < 0.0 { Event::UmbraEntry } else { Event::UmbraExit });
                n_events += 1;
            }
        }
        let events = &mut events[..n_events];
        // Within a monotone piece the penumbra edge comes first on the way in and last on the
        // way out; sorting by time (then by that order) keeps it so even for equal times.
        events.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        for &(t, event) in events.iter() {
            self.apply(t, event);
        }
        Ok(())
    }

    /// Where `margin` (`p`'s value `gp`, `q`'s `gq`, of opposite signs) crosses zero
    /// between the two samples, to [`TIME_TOLERANCE_S`]: f − `f_at_zero` has the margin's
    /// rate, so the cubic model of f through both samples gives a first guess typically
    /// within 0.1 s, at no propagation cost, and Newton steps take it from there.
    fn crossing(
        &self,
        p: Sample,
        q: Sample,
        gp: f64,
        gq: f64,
        f_at_zero: f64,
        margin: fn(&Sample) -> f64,
    ) -> Result<f64, Failed> {
        let guess = HermiteCubic::new(p.t, p.f, p.df, q.t, q.f, q.df).crossing(f_at_zero);
        try_bracketed_root(
            Bracket { lo: p.t, f_lo: gp, hi: q.t, f_hi: gq },
            Start { guess: Some(guess), slope: None },
            Tolerance::within(TIME_TOLERANCE_S),
            |t| self.sample(t).map(|s| (margin(&s), s.df)),
        )
    }

    fn apply(&mut self, t: f64, event: Event) {
        let opened = |cut_start| Open { start: t, cut_start, umbra_start: None, umbra_end: None };
        match event {
            Event::PenumbraEntry => {
                if self.open.is_none() {
                    self.open = Some(opened(false));
                }
            }
            Event::UmbraEntry => {
                let open = self.open.get_or_insert_with(|| opened(false));
                if open.umbra_start.is_none() {
                    open.umbra_start = Some(t);
                }
                open.umbra_end = None;
            }
            Event::UmbraExit => {
                if let Some(open) = self.open.as_mut() {
                    open.umbra_start.get_or_insert(open.start);
                    open.umbra_end = Some(t);
                }
            }
            Event::PenumbraExit => self.close(t, false),
        }
    }

    fn close(&mut self, t: f64, cut_end: bool) {
        if let Some(open) = self.open.take() {
            let umbra_end = open.umbra_start.map(|_| open.umbra_end.unwrap_or(t));
            self.intervals.push(EclipseInterval {
                start: self.time(open.start),
                end: self.time(t),
                umbra_start: open.umbra_start.map(|s| self.time(s)),
                umbra_end: umbra_end.map(|s| self.time(s)),
                cut_start: open.cut_start,
                cut_end,
            });
        }
    }
}

/// Every passage of `sat` through the Earth's shadow (penumbra and umbra) within `window`,
/// in time order, entries and exits to 1 ms of the model's geometry. Intervals cut by the
/// window are clipped to it and flagged. If the satellite cannot be propagated (decay, SGP4
/// failure), the search ends there: the intervals found so far are returned (one still open
/// is closed at the last good time and flagged `cut_end`) together with the reason.
/// Never panics.
pub fn eclipse_intervals(sat: &Satellite, window: Window) -> (Vec<EclipseInterval>, Option<PropagationStop>) {
    let end = window.duration_s();
    let mut search = Search { sat, window, bounds: bounds_for(sat), open: None, intervals: Vec::new() };
    if end.is_nan() || end <= 0.0 {
        return (search.intervals, None);
    }
    let mut a = match search.sample(0.0) {
        Ok(s) => s,
        Err((_, reason)) => return (search.intervals, Some(PropagationStop { time: window.start, reason })),
    };
    if a.penumbra_margin() < 0.0 {
        let umbra = a.umbra_margin() < 0.0;
        search.open = Some(Open { start: 0.0, cut_start: true, umbra_start: umbra.then_some(0.0), umbra_end: None });
    }
    let mut stop = None;
    while a.t < end {
        let skip = a.safe_skip(&search.bounds);
        let proven = skip > search.bounds.fine_step;
        let t_b = (a.t + if proven { skip } else { search.bounds.fine_step }).min(end);
        let outcome = match search.sample(t_b) {
            Ok(b) => search.advance(a, b, proven).map(|()| b),
            Err((t_fail, reason)) => Err(Stopped { last_good: a, t_fail, reason }),
        };
        match outcome {
            Ok(b) => a = b,
            Err(Stopped { last_good, t_fail, reason }) => {
                // Close in on the failure from the last good sample, handling the stretch
                // that still propagates, and stop there.
                let (mut good, mut bad, mut reason) = (last_good, t_fail, reason);
                while bad - good.t > FAILURE_RESOLUTION_S {
                    let mid = 0.5 * (good.t + bad);
                    let stopped = match search.sample(mid) {
                        Ok(m) => match search.advance(good, m, proven) {
                            Ok(()) => {
                                good = m;
                                continue;
                            }
                            Err(stopped) => stopped,
                        },
                        Err((t_fail, reason)) => Stopped { last_good: good, t_fail, reason },
                    };
                    good = stopped.last_good;
                    bad = stopped.t_fail;
                    reason = stopped.reason;
                }
                a = good;
                stop = Some(PropagationStop { time: search.time(bad), reason });
                break;
            }
        }
    }
    search.close(a.t, true);
    (search.intervals, stop)
}

/// Eclipse intervals of many satellites over one window.
#[derive(Debug, Default)]
pub struct EclipseSearch {
    /// `intervals[i]` belongs to `satellites[i]`, in time order.
    pub intervals: Vec<Vec<EclipseInterval>>,
    /// Satellites that stopped propagating, by index.
    pub retirements: Vec<Retirement>,
}

/// [`eclipse_intervals`] for every satellite, in parallel (rayon); the result is in the
/// satellites' order whatever the thread count.
pub fn find_eclipses(satellites: &[Satellite], window: Window) -> EclipseSearch {
    let per_sat: Vec<_> = satellites.par_iter().map(|sat| eclipse_intervals(sat, window)).collect();
    let mut out = EclipseSearch::default();
    for (i, (intervals, stop)) in per_sat.into_iter().enumerate() {
        out.intervals.push(intervals);
        out.retirements.extend(stop.map(|s| s.into_retirement(i)));
    }
    out
}

/// Time shares of a window spent in shadow.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EclipseFractions {
    /// Fraction of the window in the umbra.
    pub umbra: f64,
    /// Fraction of the window in the penumbra only (partly lit).
    pub penumbra: f64,
}

impl EclipseFractions {
    /// Fraction of the window with any of the Sun hidden.
    pub fn shadow(&self) -> f64 {
        self.umbra + self.penumbra
    }
}

/// Fractions of `window` that `intervals` (one satellite's) spend in umbra and penumbra,
/// with the intervals clipped to the window. An empty window gives zeros.
pub fn eclipse_fractions(intervals: &[EclipseInterval], window: Window) -> EclipseFractions {
    let total = window.duration_s();
    if total.is_nan() || total <= 0.0 {
        return EclipseFractions::default();
    }
    let clipped = |s: UtcTime, e: UtcTime| e.min(window.end).seconds_since(s.max(window.start)).max(0.0);
    let (mut shadow, mut umbra) = (0.0, 0.0);
    for i in intervals {
        shadow += clipped(i.start, i.end);
        if let (Some(s), Some(e)) = (i.umbra_start, i.umbra_end) {
            umbra += clipped(s, e);
        }
    }
    EclipseFractions { umbra: umbra / total, penumbra: (shadow - umbra) / total }
}

/// Header of the eclipse table written by [`write_eclipses_csv`].
pub const ECLIPSES_HEADER: &str =
    "satellite,start_utc,end_utc,duration_s,umbra_start_utc,umbra_end_utc,umbra_s,cut_start,cut_end";

/// Writes the eclipse table: one row per interval, sorted by start, then satellite name.
/// Times are ISO-8601 UTC with milliseconds, durations seconds with three decimals; umbra
/// times are empty (and `umbra_s` 0) when the umbra was not reached. `intervals[i]` belongs
/// to `satellites[i]` (as [`EclipseSearch::intervals`] holds them).
pub fn write_eclipses_csv(
    out: &mut dyn Write,
    satellites: &[Satellite],
    intervals: &[Vec<EclipseInterval>],
) -> std::io::Result<()> {
    if satellites.len() != intervals.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} satellites but {} interval lists", satellites.len(), intervals.len()),
        ));
    }
    let rank = name_ranks(satellites.iter().map(|s| s.name.as_str()));
    let mut rows: Vec<(usize, &EclipseInterval)> =
        intervals.iter().enumerate().flat_map(|(i, list)| list.iter().map(move |e| (i, e))).collect();
    rows.sort_by_key(|&(i, e)| (e.start, rank[i]));
    writeln!(out, "{ECLIPSES_HEADER}")?;
    let opt_time = |t: Option<UtcTime>| t.map(|t| t.iso_millis()).unwrap_or_default();
    for (i, e) in rows {
        writeln!(
            out,
            "{},{},{},{:.3},{},{},{:.3},{},{}",
            csv_text(&satellites[i].name),
            e.start.iso_millis(),
            e.end.iso_millis(),
            e.duration_s(),
            opt_time(e.umbra_start),
            opt_time(e.umbra_end),
            e.umbra_s(),
            e.cut_start,
            e.cut_end
        )?;
    }
    Ok(())
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")).into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeus_example_25a() {
        // 1992 October 13.0 TD: true longitude 199.90988°, apparent 199.90895° (with
        // nutation, −0.00478 sin Ω = +0.00476° that day, which we leave out), R = 0.99766 AU,
        // ε0 = 23.44023°.
        let t = (2_448_908.5 - 2_451_545.0) / 36_525.0;
        let (apparent, obliquity, distance) = sun_ecliptic(t);
        assert!((apparent + 0.005_69 - 199.909_88).abs() < 2e-5, "{apparent}");
        assert!((distance - 0.997_66).abs() < 1e-5, "{distance}");
        assert!((obliquity - 23.440_23).abs() < 1e-5, "{obliquity}");
        // Apparent right ascension and declination 198.38083°, −7.78507° (Meeus, with
        // nutation and the true obliquity); ours differ by nutation, about 0.005°.
        let s = sun_position_km(UtcTime::parse("1992-10-12T23:59:00.816Z").unwrap());
        let ra = s.y.atan2(s.x).to_degrees().rem_euclid(360.0);
        let dec = (s.z / s.norm()).asin().to_degrees();
        assert!((ra - 198.380_83).abs() < 0.01, "{ra}");
        assert!((dec + 7.785_07).abs() < 0.01, "{dec}");
    }

    /// The skip bounds hold along real trajectories: finite differences every 2 s over a day
    /// (three for the slow ones) never exceed the rate bound on f or the curvature bound on
    /// the cosine margins, and the margins' computed rates are within the allowance.
    #[test]
    fn skip_bounds_hold_along_trajectories() {
        use crate::orbit::tle::parse_lines;
        let tle = |l1: &str, l2: &str| {
            let (id, _, elements) = parse_lines(l1, l2).unwrap();
            Satellite::new(format!("{id}"), Some(id), elements).unwrap()
        };
        let sats = [
            // ISS, SCS-01 A (sun-synchronous), STARLINK-3147, ARKTIKA-M 1 (Molniya), a GEO.
            tle(
                "1 25544U 98067A   26150.51748228  .00011776  00000+0  21767-3 0  9998",
                "2 25544  51.6337  27.5746 0007245 114.7080 245.4664 15.49496548569014",
            ),
            tle(
                "1 63982U 25100A   26078.25874299  .00007059  00000+0  31840-3 0  9994",
                "2 63982  97.3732 152.9903 0023419 300.8495  59.0437 15.21075366 46978",
            ),
            tle(
                "1 49410U 21104C   26150.59297229  .00000875  00000+0  73054-4 0  9997",
                "2 49410  53.1972 221.4437 0001486  79.8975 280.2185 15.08838199250997",
            ),
            tle(
                "1 47719U 21016A   26077.77327249 -.00000047  00000+0  00000+0 0  9991",
                "2 47719  63.2196  70.5789 7249851 269.5343  15.1625  2.00618076 36976",
            ),
            tle(
                "1 41866U 16071A   26150.50000000 -.00000300  00000+0  00000+0 0  9991",
                "2 41866   0.0500  90.0000 0001000 180.0000  90.0000  1.00271000 34008",
            ),
        ];
        for sat in &sats {
            let bounds = bounds_for(sat);
            let (days, h) = if sat.elements.mean_motion_rev_per_day < 3.0 { (3.0, 10.0) } else { (1.0, 2.0) };
            let start = sat.elements.epoch;
            let at = |t: f64| {
                let time = start.plus_seconds(t);
                let s = sat.propagate(time).unwrap();
                shadow_sample(t, &s.position, &s.velocity, &sun_position_km(time))
            };
            let (mut worst_rate, mut worst_curvature, mut worst_rate_error): (f64, f64, f64) = (0.0, 0.0, 0.0);
            let n = (days * 86_400.0 / h) as usize;
            let (mut prev, mut cur) = (at(0.0), at(h));
            for k in 2..n {
                let next = at(k as f64 * h);
                // f is not differentiable where the Sun is exactly behind the Earth's centre
                // (c = 0); far from any boundary, the rate bound holds across it regardless.
                worst_rate = worst_rate.max((next.f - cur.f).abs() / h);
                for i in 0..2 {
                    let second = (next.lit_cos[i] - 2.0 * cur.lit_cos[i] + prev.lit_cos[i]) / (h * h);
                    worst_curvature = worst_curvature.max(second.abs());
                    let first = (next.lit_cos[i] - prev.lit_cos[i]) / (2.0 * h);
                    // The central difference itself is off by K·h²/6 at most.
                    let slack = bounds.curvature * h / 6.0 * h;
                    worst_rate_error = worst_rate_error.max((first - cur.lit_cos_rate[i]).abs() - slack);
                }
                (prev, cur) = (cur, next);
            }
            assert!(worst_rate < bounds.rate, "{}: rate {worst_rate:e} > {:e}", sat.name, bounds.rate);
            assert!(
                worst_curvature < bounds.curvature,
                "{}: curvature {worst_curvature:e} > {:e}",
                sat.name,
                bounds.curvature
            );
            assert!(
                worst_rate_error < bounds.rate_uncertainty,
                "{}: margin rate off by {worst_rate_error:e} > {:e}",
                sat.name,
                bounds.rate_uncertainty
            );
            println!(
                "{}: rate {:.2} of its bound, curvature {:.2}, margin rate error {:.2}",
                sat.name,
                worst_rate / bounds.rate,
                worst_curvature / bounds.curvature,
                worst_rate_error.max(0.0) / bounds.rate_uncertainty
            );
        }
    }

    #[test]
    fn disc_overlap_limits_and_symmetry() {
        let geometry = |c: f64| ShadowGeometry { sun_radius_rad: 0.0047, earth_radius_rad: 1.2, separation_rad: c };
        assert_eq!(geometry(1.3).sunlit_fraction(), 1.0);
        assert_eq!(geometry(1.2 + 0.0047).sunlit_fraction(), 1.0);
        assert_eq!(geometry(1.2 - 0.0047).sunlit_fraction(), 0.0);
        // The Sun's centre on the limb: a little over half visible, the limb being convex.
        let half = geometry(1.2).sunlit_fraction();
        assert!(half > 0.5 && half < 0.505, "{half}");
        // Monotone across the penumbra.
        let mut last = 0.0;
        for k in 0..=100 {
            let fr = geometry(1.2 - 0.0047 + 0.0094 * k as f64 / 100.0).sunlit_fraction();
            assert!(fr >= last - 1e-12, "{k}: {fr} < {last}");
            last = fr;
        }
        // Two equal discs half overlapping: the lens is 0.391 of a disc.
        let equal = ShadowGeometry { sun_radius_rad: 1.0, earth_radius_rad: 1.0, separation_rad: 1.0 };
        let lens = 2.0 * (1.0f64 / 2.0).acos() - 3f64.sqrt() / 2.0;
        assert!((equal.sunlit_fraction() - (1.0 - lens / std::f64::consts::PI)).abs() < 1e-12);
    }

    #[test]
    fn cylinder_formula_values() {
        // docs/FACTS.md: no eclipse beyond 68.0° at 500 km; ~36 min of a ~95 min orbit at β = 0.
        let r = EARTH_SHADOW_RADIUS_KM + 500.0;
        let beta_max = (EARTH_SHADOW_RADIUS_KM / r).asin().to_degrees();
        assert!((beta_max - 68.0).abs() < 0.05, "{beta_max}");
        assert_eq!(cylindrical_eclipse_fraction(68.1f64.to_radians(), r), 0.0);
        let period_min = std::f64::consts::TAU * (r * r * r / WGS72_MU_KM3_S2).sqrt() / 60.0;
        let eclipse_min = cylindrical_eclipse_fraction(0.0, r) * period_min;
        assert!((eclipse_min - 35.8).abs() < 0.2, "{eclipse_min} of {period_min}");
    }
}
