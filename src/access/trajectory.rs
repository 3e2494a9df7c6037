//! Sampled satellite trajectories with cubic Hermite interpolation.
//!
//! SGP4 costs about a microsecond a call; a cubic Hermite interpolant through two
//! samples' positions and velocities costs a few nanoseconds and, with samples spaced by
//! at most 0.15 rad of orbital arc, stays within about 10 m of SGP4 (the error scales as
//! θ⁴·r/384). Pass refinement and link-rate profiles therefore run on the interpolant and
//! never call SGP4 themselves.

use nalgebra::Vector3;

use crate::frames::{EARTH_ROTATION_RAD_S, teme_to_ecef};

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
        Sample { t, r, v, gmst, sin_gmst, cos_gmst, r_ecef, v_ecef }
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
    let s = (t - a.t) / h;
    let s2 = s * s;
    let s3 = s2 * s;
    let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
    let h10 = s3 - 2.0 * s2 + s;
    let h01 = -2.0 * s3 + 3.0 * s2;
    let h11 = s3 - s2;
    let r = a.r * h00 + a.v * (h10 * h) + b.r * h01 + b.v * (h11 * h);
    let d00 = 6.0 * s2 - 6.0 * s;
    let d10 = 3.0 * s2 - 4.0 * s + 1.0;
    let d01 = -d00;
    let d11 = 3.0 * s2 - 2.0 * s;
    let v = (a.r * d00 + b.r * d01) / h + a.v * d10 + b.v * d11;
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
