//! Small numerical tools shared by the geometry and link stages.

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
