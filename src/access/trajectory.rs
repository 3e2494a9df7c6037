//! Sampled satellite trajectories with quintic Hermite interpolation.
//!
//! SGP4 costs about 0.35 µs a call; a quintic Hermite interpolant through two samples'
//! positions, velocities and accelerations costs a few tens of nanoseconds. The
//! accelerations come from two-body gravity plus J2 (WGS72), which is what shapes an SGP4
//! trajectory over a few minutes to better than one part in 10⁵. With samples spaced by
//! at most 0.3 rad of orbital arc the interpolant stays within 1 m of SGP4 in low orbit
//! (the limit is SGP4 itself: its velocity differs from the derivative of its position by
//! a few cm/s), so pass refinement and link-rate profiles run on it and never call SGP4.

use nalgebra::Vector3;

use crate::constants::EARTH_ROTATION_RAD_S;
use crate::constants::{WGS72_J2, WGS72_MU_KM3_S2, WGS72_RADIUS_KM};
use crate::frames::teme_to_ecef;
use crate::numeric::quintic_hermite;

/// Gravitational acceleration (two-body + J2, WGS72) at a TEME position, km/s².
pub fn gravity(r: &Vector3<f64>) -> Vector3<f64> {
    let r2 = r.norm_squared();
    let rn = r2.sqrt();
    let k = -WGS72_MU_KM3_S2 / (r2 * rn);
    let j = 1.5 * WGS72_J2 * WGS72_RADIUS_KM * WGS72_RADIUS_KM / r2;
    let z2 = r.z * r.z / r2;
    let xy = k * (1.0 + j * (1.0 - 5.0 * z2));
    Vector3::new(xy * r.x, xy * r.y, k * (1.0 + j * (3.0 - 5.0 * z2)) * r.z)
}

/// Sidereal rate of the IAU-82 GMST expression, rad/s (slightly faster than the Earth's
/// rotation rate by the precession of the equinox).
pub const GMST_RATE_RAD_S: f64 = 7.292_115_855_3e-5;

/// One SGP4 sample at `t` (seconds from the search window's start): the TEME state, the
/// Greenwich sidereal angle, and the Earth-fixed state derived from them once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub t: f64,
    pub r: Vector3<f64>,
    pub v: Vector3<f64>,
    /// Acceleration (gravity model), km/s².
    pub acc: Vector3<f64>,
    pub gmst: f64,
    sin_gmst: f64,
    cos_gmst: f64,
    pub r_ecef: Vector3<f64>,
    pub v_ecef: Vector3<f64>,
}

impl Sample {
    pub fn new(t: f64, r: Vector3<f64>, v: Vector3<f64>, gmst: f64) -> Self {
        let (sin_gmst, cos_gmst) = gmst.sin_cos();
        let (r_ecef, v_ecef) = teme_to_ecef(&r, &v, gmst);
        Sample { t, r, v, acc: gravity(&r), gmst, sin_gmst, cos_gmst, r_ecef, v_ecef }
    }

    pub fn ecef(&self) -> (Vector3<f64>, Vector3<f64>) {
        (self.r_ecef, self.v_ecef)
    }
}

/// Interpolated Earth-fixed state between two samples `a` and `b` at time `t` in [a.t, b.t].
pub fn interpolate_ecef(a: &Sample, b: &Sample, t: f64) -> (Vector3<f64>, Vector3<f64>) {
    let h = b.t - a.t;
    if h <= 0.0 || t <= a.t {
        return a.ecef();
    }
    if t >= b.t {
        return b.ecef();
    }
    let (r, v) = quintic_hermite([a.r, a.v, a.acc], [b.r, b.v, b.acc], h, (t - a.t) / h);
    // sin/cos of the sidereal angle by angle addition from the sample's: the increment
    // is at most a few hundredths of a radian, where a short Taylor series is exact to
    // 1e-12 and far cheaper than a libm call.
    let d = GMST_RATE_RAD_S * (t - a.t);
    let (sd, cd) = if d.abs() < 0.05 {
        let d2 = d * d;
        (d * (1.0 - d2 / 6.0 * (1.0 - d2 / 20.0)), 1.0 - d2 / 2.0 * (1.0 - d2 / 12.0 * (1.0 - d2 / 30.0)))
    } else {
        d.sin_cos()
    };
    let sg = a.sin_gmst * cd + a.cos_gmst * sd;
    let cg = a.cos_gmst * cd - a.sin_gmst * sd;
    let r_ecef = Vector3::new(cg * r.x + sg * r.y, -sg * r.x + cg * r.y, r.z);
    let v_rot = Vector3::new(cg * v.x + sg * v.y, -sg * v.x + cg * v.y, v.z);
    let v_ecef =
        Vector3::new(v_rot.x + EARTH_ROTATION_RAD_S * r_ecef.y, v_rot.y - EARTH_ROTATION_RAD_S * r_ecef.x, v_rot.z);
    (r_ecef, v_ecef)
}

/// A run of consecutive samples covering one pass: what a link model needs to evaluate
/// geometry anywhere inside the pass without propagating again.
#[derive(Debug, Clone, Copy)]
pub struct Track<'a> {
    samples: &'a [Sample],
}

impl<'a> Track<'a> {
    pub fn new(samples: &'a [Sample]) -> Self {
        debug_assert!(!samples.is_empty());
        Track { samples }
    }

    pub fn samples(&self) -> &'a [Sample] {
        self.samples
    }

    /// Earth-fixed state at `t` (seconds from the window start), clamped to the track.
    pub fn ecef_at(&self, t: f64) -> (Vector3<f64>, Vector3<f64>) {
        let s = self.samples;
        let i = s.partition_point(|x| x.t <= t);
        if i == 0 {
            return s[0].ecef();
        }
        if i >= s.len() {
            return s[s.len() - 1].ecef();
        }
        interpolate_ecef(&s[i - 1], &s[i], t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orbit::Satellite;
    use crate::orbit::tle::parse_lines;

    #[test]
    fn interpolant_stays_close_to_sgp4() {
        // A low, draggy orbit (ISS) and an eccentric one (Molniya-type), 0.3 rad apart.
        // SGP4's velocity is not exactly the derivative of its position (by ~4 cm/s for the
        // ISS, more for deep-space orbits), which bounds any Hermite interpolant: the error
        // then grows linearly with the spacing, to under 1 m (ISS) and 60 m (Molniya).
        for (l1, l2, tolerance_km, velocity_tolerance_km_s) in [
            (
                "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082",
                "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473",
                0.001,
                1e-4,
            ),
            (
                "1 08195U 75081A   06176.33215444  .00000099  00000-0  11873-3 0   813",
                "2 08195  64.1586 279.0717 6877146 264.7651  20.2257  2.00491383225656",
                0.06,
                3e-3,
            ),
        ] {
            let (id, _, elements) = parse_lines(l1, l2).unwrap();
            let sat = Satellite::new("s".into(), Some(id), elements).unwrap();
            let t0 = sat.elements.epoch;
            let sample = |t: f64| {
                let time = t0.plus_seconds(t);
                let s = sat.propagate(time).unwrap();
                Sample::new(t, s.position, s.velocity, time.gmst())
            };
            // The pass finder's spacing: 0.3 rad at the perigee's angular rate.
            let el = &sat.elements;
            let (rp, a_axis) = (el.perigee_radius_km(), el.semi_major_axis_km());
            let perigee_rate = (WGS72_MU_KM3_S2 * (2.0 / rp - 1.0 / a_axis)).sqrt() / rp;
            let step = (0.3 / perigee_rate).min(300.0);
            let mut t = 0.0;
            let mut worst_r: f64 = 0.0;
            let mut worst_v: f64 = 0.0;
            while t < 86_400.0 {
                let a = sample(t);
                let b = sample(t + step);
                for k in 1..8 {
                    let tm = t + step * k as f64 / 8.0;
                    let exact = sample(tm);
                    let (r, v) = interpolate_ecef(&a, &b, tm);
                    worst_r = worst_r.max((r - exact.r_ecef).norm());
                    worst_v = worst_v.max((v - exact.v_ecef).norm());
                }
                t += step;
            }
            assert!(worst_r < tolerance_km, "{id}: {worst_r} km");
            assert!(worst_v < velocity_tolerance_km_s, "{id}: {worst_v} km/s");
        }
    }
}
