//! Small numerical tools shared by the geometry, link and inference stages.

use nalgebra::Vector3;

/// Position and velocity at fraction `s` ∈ [0, 1] of an interval `h` seconds long, on the
/// quintic Hermite through the (position, velocity, acceleration) states `a` at its start
/// and `b` at its end: the interpolant orbit samples are read with between SGP4 calls.
#[inline]
pub fn quintic_hermite(a: [Vector3<f64>; 3], b: [Vector3<f64>; 3], h: f64, s: f64) -> (Vector3<f64>, Vector3<f64>) {
    let ([r0, v0, a0], [r1, v1, a1]) = (a, b);
    let s2 = s * s;
    let s3 = s2 * s;
    let s4 = s2 * s2;
    let s5 = s4 * s;
    // Basis for position, velocity·h and acceleration·h² at both ends.
    let h0 = 1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5;
    let h1 = s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5;
    let h2 = 0.5 * (s2 - 3.0 * s3 + 3.0 * s4 - s5);
    let h3 = 0.5 * (s3 - 2.0 * s4 + s5);
    let h4 = -4.0 * s3 + 7.0 * s4 - 3.0 * s5;
    let h5 = 1.0 - h0;
    let hh = h * h;
    let r = r0 * h0 + v0 * (h1 * h) + a0 * (h2 * hh) + a1 * (h3 * hh) + v1 * (h4 * h) + r1 * h5;
    let d0 = -30.0 * s2 + 60.0 * s3 - 30.0 * s4;
    let d1 = 1.0 - 18.0 * s2 + 32.0 * s3 - 15.0 * s4;
    let d2 = 0.5 * (2.0 * s - 9.0 * s2 + 12.0 * s3 - 5.0 * s4);
    let d3 = 0.5 * (3.0 * s2 - 8.0 * s3 + 5.0 * s4);
    let d4 = -12.0 * s2 + 28.0 * s3 - 15.0 * s4;
    let v = (r0 - r1) * (d0 / h) + v0 * d1 + a0 * (d2 * h) + a1 * (d3 * h) + v1 * d4;
    (r, v)
}

/// The cubic through two points' values and slopes (a cubic Hermite segment) over
/// [t0, t1]: the model of a smooth quantity between samples, used to place crossings and
/// peaks without evaluating the underlying geometry again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HermiteCubic {
    t0: f64,
    h: f64,
    /// p(x) = c0 + c1 x + c2 x² + c3 x³ with x = (t − t0) / h ∈ [0, 1].
    c: [f64; 4],
}

impl HermiteCubic {
    /// The cubic with value `v0` and slope `d0` (per unit of t) at `t0`, and `v1`, `d1` at `t1`.
    pub fn new(t0: f64, v0: f64, d0: f64, t1: f64, v1: f64, d1: f64) -> Self {
        let h = t1 - t0;
        let (m0, m1) = (d0 * h, d1 * h);
        HermiteCubic { t0, h, c: [v0, m0, 3.0 * (v1 - v0) - 2.0 * m0 - m1, 2.0 * (v0 - v1) + m0 + m1] }
    }

    fn value_x(&self, x: f64) -> f64 {
        self.c[0] + x * (self.c[1] + x * (self.c[2] + x * self.c[3]))
    }

    fn derivative_x(&self, x: f64) -> f64 {
        self.c[1] + x * (2.0 * self.c[2] + 3.0 * self.c[3] * x)
    }

    /// The value at `t` (clamped to the segment).
    pub fn value_at(&self, t: f64) -> f64 {
        self.value_x(((t - self.t0) / self.h).clamp(0.0, 1.0))
    }

    /// Second derivative with respect to t at `t`.
    pub fn second_derivative_at(&self, t: f64) -> f64 {
        let x = (t - self.t0) / self.h;
        (2.0 * self.c[2] + 6.0 * self.c[3] * x) / (self.h * self.h)
    }

    /// Where the cubic crosses `target`, given that its two ends lie on either side:
    /// Newton on the polynomial from the linear guess, kept inside the bracket (to 10⁻⁵ of
    /// the segment).
    pub fn crossing(&self, target: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, 1.0);
        let f0 = self.c[0] - target;
        let f1 = self.value_x(1.0) - target;
        let mut x = if f1 != f0 { (f0 / (f0 - f1)).clamp(0.0, 1.0) } else { 0.5 };
        for _ in 0..40 {
            let f = self.value_x(x) - target;
            if f == 0.0 {
                break;
            }
            if (f < 0.0) == (f0 < 0.0) {
                lo = x;
            } else {
                hi = x;
            }
            let next = x - f / self.derivative_x(x);
            let next = if next.is_finite() && next > lo && next < hi { next } else { 0.5 * (lo + hi) };
            let done = (next - x).abs() < 1e-5;
            x = next;
            if done {
                break;
            }
        }
        self.t0 + x * self.h
    }

    /// Where the cubic peaks inside the segment (its slope going from + to −), if it does.
    pub fn peak(&self) -> Option<f64> {
        // p'(x) = A x² + B x + C
        let (a, b, c) = (3.0 * self.c[3], 2.0 * self.c[2], self.c[1]);
        let x = if a.abs() < 1e-15 {
            -c / b
        } else {
            let disc = b * b - 4.0 * a * c;
            if disc < 0.0 {
                return None;
            }
            let q = -0.5 * (b + b.signum() * disc.sqrt());
            [q / a, c / q].into_iter().find(|x| (0.0..=1.0).contains(x) && (2.0 * a * x + b) < 0.0)?
        };
        (x.is_finite() && (0.0..=1.0).contains(&x)).then_some(self.t0 + x * self.h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_a_cubic_and_finds_its_crossings_and_peak() {
        // f(t) = −(t − 3)² + 4 on [1, 4]: a parabola is a cubic too.
        let f = |t: f64| -(t - 3.0) * (t - 3.0) + 4.0;
        let df = |t: f64| -2.0 * (t - 3.0);
        let c = HermiteCubic::new(1.0, f(1.0), df(1.0), 4.0, f(4.0), df(4.0));
        for t in [1.0, 1.7, 2.5, 3.9] {
            assert!((c.value_at(t) - f(t)).abs() < 1e-12);
        }
        assert!((c.peak().unwrap() - 3.0).abs() < 1e-12);
        assert!((c.crossing(2.0) - (3.0 - 2f64.sqrt())).abs() < 1e-4);
        assert!((c.second_derivative_at(2.0) + 2.0).abs() < 1e-9);
    }
}
