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

    /// The extremum inside the segment, given that the slope changes sign between its
    /// ends (a maximum if it goes from + to −, a minimum otherwise): its time and value.
    pub fn extremum(&self) -> Option<(f64, f64)> {
        // p'(x) = A x² + B x + C has exactly one root in [0, 1].
        let (a, b, c) = (3.0 * self.c[3], 2.0 * self.c[2], self.c[1]);
        let x = if a.abs() <= 1e-12 * (b.abs() + c.abs()) {
            -c / b
        } else {
            // Rounding can push the discriminant of a near-double root below zero.
            let disc = (b * b - 4.0 * a * c).max(0.0);
            let q = -0.5 * (b + b.signum() * disc.sqrt());
            if q == 0.0 {
                return None;
            }
            [q / a, c / q].into_iter().find(|x| (0.0..=1.0).contains(x))?
        };
        (x.is_finite() && (0.0..=1.0).contains(&x)).then(|| (self.t0 + x * self.h, self.value_x(x)))
    }
}

/// Two points around a sign change of a function: `lo < hi`, and `f_lo`, `f_hi` (the
/// function's values there) on either side of zero. Zero counts as positive at `lo`; only
/// the sign at `lo` steers the search (`f_hi` shapes regula falsi steps), so `f_hi` may be
/// zero too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    pub lo: f64,
    pub f_lo: f64,
    pub hi: f64,
    pub f_hi: f64,
}

/// How [`bracketed_root`] steps when Newton or secant cannot, and when it stops, in the
/// units of x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Stop at the bracket's midpoint once the bracket is no wider than this (checked as
    /// [`Safeguard`] says).
    pub bracket: f64,
    /// Stop where a step lands once a step moves no farther than this (0: never). Near a
    /// simple root a Newton or secant step of length δ leaves an error of order δ², so a
    /// small step ends the search long before the bracket is as narrow.
    pub step: f64,
    pub safeguard: Safeguard,
}

/// What replaces a step that has no slope or would leave the bracket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safeguard {
    /// Bisection, the bracket's width being checked only then: for Newton or secant steps
    /// from a good model, which seldom fail, and then are best restarted from the middle.
    Bisection,
    /// Illinois regula falsi, the bracket's width being checked after every evaluation:
    /// for functions known only by their values, or whose steps may fail often.
    Illinois,
}

impl Tolerance {
    /// Stop on a step no larger than `tol`, or (when a step fails) a bracket as narrow.
    pub const fn within(tol: f64) -> Self {
        Tolerance { bracket: tol, step: tol, safeguard: Safeguard::Bisection }
    }
}

/// Where [`bracketed_root`] starts, and how it steps when `f` gives no derivative.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Start {
    /// The first point, when strictly inside the bracket (regula falsi otherwise).
    pub guess: Option<f64>,
    /// An estimate of the slope at `guess`. With it, steps without a derivative are secant
    /// steps through the two latest points (this slope standing in for the first); without
    /// it, they are regula falsi on the bracket.
    pub slope: Option<f64>,
}

/// Safeguarding the steps makes the search converge whatever `f` does; a smooth simple
/// root takes a handful of evaluations, so this cap is never reached in practice.
const MAX_ROOT_ITERATIONS: usize = 100;

/// What [`locate_root`] found: the root estimate [`bracketed_root`] returns, with what the
/// search knew when it stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Root {
    pub x: f64,
    /// The last sub-bracket, `x` inside or at one of its ends: `f` changes sign between its
    /// ends (one of `f_lo`, `f_hi` may have been scaled down by Illinois steps, never its
    /// sign), so a caller that needs a point on a given side of the root has one.
    pub bracket: Bracket,
    /// f's slope at the last evaluation: the derivative `f` gave, else the secant through
    /// the last two evaluations ([`Start::slope`] after the first); `None` without either.
    pub slope: Option<f64>,
}

/// A sign change of `f` inside `bracket`, for a continuous `f` returning its value and
/// derivative at x (the derivative NaN where unknown).
///
/// Newton steps where the derivative is known, secant steps where only [`Start::slope`]
/// is; a step that would leave the bracket, or that has no slope, is a bisection or an
/// Illinois regula falsi step (whose halving of the stale end's value keeps one end from
/// sticking), as [`Tolerance::safeguard`] says. Every evaluation shrinks the bracket to
/// the side where the sign still changes.
///
/// Guarantee: the result lies strictly inside the bracket, and (i) is a point where `f`
/// is exactly zero, or (ii) is the midpoint of a sub-bracket no wider than
/// `tol.bracket`, so within `tol.bracket / 2` of a sign change, or (iii) is where a step
/// of at most `tol.step` landed inside a sub-bracket, an estimate whose error is of the
/// order of the square of that step near a simple root. After [`MAX_ROOT_ITERATIONS`]
/// evaluations it is the midpoint of the last sub-bracket.
pub fn try_bracketed_root<E>(
    bracket: Bracket,
    start: Start,
    tol: Tolerance,
    f: impl FnMut(f64) -> Result<(f64, f64), E>,
) -> Result<f64, E> {
    search(bracket, start, tol, f).map(|root| root.x)
}

/// [`try_bracketed_root`] for an `f` that cannot fail.
pub fn bracketed_root(bracket: Bracket, start: Start, tol: Tolerance, f: impl FnMut(f64) -> (f64, f64)) -> f64 {
    locate_root(bracket, start, tol, f).x
}

/// [`bracketed_root`], with the last sub-bracket and slope: for callers that need a point
/// known to lie on one side of the root, or the slope there.
pub fn locate_root(bracket: Bracket, start: Start, tol: Tolerance, mut f: impl FnMut(f64) -> (f64, f64)) -> Root {
    match search(bracket, start, tol, |x| Ok::<_, std::convert::Infallible>(f(x))) {
        Ok(root) => root,
        Err(never) => match never {},
    }
}

/// The search behind [`try_bracketed_root`] and [`locate_root`].
fn search<E>(
    bracket: Bracket,
    start: Start,
    tol: Tolerance,
    mut f: impl FnMut(f64) -> Result<(f64, f64), E>,
) -> Result<Root, E> {
    let mut br = bracket;
    let a_negative = br.f_lo < 0.0;
    let mut x = match start.guess {
        Some(g) if g > br.lo && g < br.hi => g,
        _ => regula_falsi(br.lo, br.f_lo, br.hi, br.f_hi),
    };
    let mut previous: Option<(f64, f64)> = None;
    let mut last_moved_a: Option<bool> = None;
    let mut slope = None;
    for _ in 0..MAX_ROOT_ITERATIONS {
        let (fx, dfx) = f(x)?;
        slope = if dfx.is_finite() {
            Some(dfx)
        } else {
            start.slope.map(|first| match previous {
                Some((px, pfx)) if px != x => (fx - pfx) / (x - px),
                _ => first,
            })
        };
        previous = Some((x, fx));
        if fx == 0.0 {
            return Ok(Root { x, bracket: br, slope });
        }
        let moves_a = (fx < 0.0) == a_negative;
        if moves_a {
            br.lo = x;
            br.f_lo = fx;
            if last_moved_a == Some(true) {
                br.f_hi *= 0.5;
            }
        } else {
            br.hi = x;
            br.f_hi = fx;
            if last_moved_a == Some(false) {
                br.f_lo *= 0.5;
            }
        }
        last_moved_a = Some(moves_a);
        let midpoint = Root { x: 0.5 * (br.lo + br.hi), bracket: br, slope };
        let narrow = br.hi - br.lo <= tol.bracket;
        if narrow && tol.safeguard == Safeguard::Illinois {
            return Ok(midpoint);
        }
        let next = match (slope.map(|s| x - fx / s), tol.safeguard) {
            (Some(n), _) if n > br.lo && n < br.hi => n,
            (_, Safeguard::Illinois) => regula_falsi(br.lo, br.f_lo, br.hi, br.f_hi),
            (_, Safeguard::Bisection) if narrow => return Ok(midpoint),
            (_, Safeguard::Bisection) => {
                x = midpoint.x;
                continue;
            }
        };
        if (next - x).abs() <= tol.step {
            return Ok(Root { x: next, bracket: br, slope });
        }
        x = next;
    }
    Ok(Root { x: 0.5 * (br.lo + br.hi), bracket: br, slope })
}

/// The chord's zero in (a, b), or the midpoint where rounding puts it outside.
fn regula_falsi(a: f64, fa: f64, b: f64, fb: f64) -> f64 {
    let x = (a * fb - b * fa) / (fb - fa);
    if x > a && x < b { x } else { 0.5 * (a + b) }
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
        let (t, value) = c.extremum().unwrap();
        assert!((t - 3.0).abs() < 1e-12 && (value - 4.0).abs() < 1e-12);
        assert!((c.crossing(2.0) - (3.0 - 2f64.sqrt())).abs() < 1e-4);
        assert!((c.second_derivative_at(2.0) + 2.0).abs() < 1e-9);
    }

    #[test]
    fn extremum_finds_minima_and_needs_a_slope_sign_change() {
        // g = (x − 0.4)² − 0.01 on [0, 1]: minimum −0.01 at 0.4.
        let g = |x: f64| (x - 0.4) * (x - 0.4) - 0.01;
        let dg = |x: f64| 2.0 * (x - 0.4);
        let (t, value) = HermiteCubic::new(0.0, g(0.0), dg(0.0), 1.0, g(1.0), dg(1.0)).extremum().unwrap();
        assert!((t - 0.4).abs() < 1e-12 && (value + 0.01).abs() < 1e-12);
        // Shifted and stretched: t = 10 + 5x.
        let c = HermiteCubic::new(10.0, g(0.0), dg(0.0) / 5.0, 15.0, g(1.0), dg(1.0) / 5.0);
        assert!((c.extremum().unwrap().0 - 12.0).abs() < 1e-12);
        // Monotone: no extremum inside.
        assert_eq!(HermiteCubic::new(0.0, 0.0, 1.0, 1.0, 1.0, 1.0).extremum(), None);
    }

    #[test]
    fn crossing_of_a_symmetric_step_is_its_middle() {
        let c = HermiteCubic::new(2.0, -1.0, 0.0, 4.0, 1.0, 0.0);
        assert!((c.crossing(0.0) - 3.0).abs() < 1e-9);
        // The ends themselves when the target is at one.
        assert_eq!(HermiteCubic::new(0.0, -1.0, 1.0, 1.0, 0.0, 1.0).crossing(0.0), 1.0);
    }

    /// (t − 3.3)(t + 10): a root at 3.3 in [0, 10], derivative 2t + 6.7.
    fn parabola(t: f64) -> (f64, f64) {
        ((t - 3.3) * (t + 10.0), 2.0 * t + 6.7)
    }

    fn bracket_of(f: impl Fn(f64) -> (f64, f64), lo: f64, hi: f64) -> Bracket {
        Bracket { lo, f_lo: f(lo).0, hi, f_hi: f(hi).0 }
    }

    #[test]
    fn newton_secant_and_falsi_all_meet_their_tolerance() {
        let bracket = bracket_of(parabola, 0.0, 10.0);
        let without_derivative = |t: f64| (parabola(t).0, f64::NAN);
        let tol = Tolerance::within(1e-6);
        let newton = bracketed_root(bracket, Start { guess: Some(9.9), slope: None }, tol, parabola);
        let secant = bracketed_root(bracket, Start { guess: Some(9.9), slope: Some(1.0) }, tol, without_derivative);
        let falsi = bracketed_root(bracket, Start::default(), tol, without_derivative);
        for root in [newton, secant, falsi] {
            assert!((root - 3.3).abs() < 1e-6, "{root}");
        }
        // Bracket alone: within half the bracket tolerance.
        let loose = Tolerance { bracket: 1e-3, step: 0.0, safeguard: Safeguard::Illinois };
        let root = bracketed_root(bracket, Start::default(), loose, without_derivative);
        assert!((root - 3.3).abs() <= 0.5e-3);
    }

    #[test]
    fn newton_from_a_good_guess_takes_few_evaluations() {
        let calls = std::cell::Cell::new(0);
        let counted = |t: f64| {
            calls.set(calls.get() + 1);
            parabola(t)
        };
        let start = Start { guess: Some(3.2), slope: None };
        let root = bracketed_root(bracket_of(parabola, 0.0, 10.0), start, Tolerance::within(1e-3), counted);
        // The last step was under 1 ms: the error left is of order (1 ms)² · f''/2f'.
        assert!((root - 3.3).abs() < 1e-7);
        assert!(calls.get() <= 3, "{} evaluations", calls.get());
    }

    #[test]
    fn stays_in_the_bracket_where_newton_would_leave_it() {
        // atan's Newton steps diverge from |x| > 1.39; the root is 0.
        let f = |x: f64| (x.atan(), 1.0 / (1.0 + x * x));
        let bracket = bracket_of(f, -1.0, 20.0);
        let seen = std::cell::RefCell::new(Vec::new());
        let logged = |x: f64| {
            seen.borrow_mut().push(x);
            f(x)
        };
        let root = bracketed_root(bracket, Start { guess: Some(15.0), slope: None }, Tolerance::within(1e-9), logged);
        assert!(root.abs() < 1e-9, "{root}");
        assert!(seen.borrow().iter().all(|&x| x > -1.0 && x < 20.0));
    }

    #[test]
    fn guesses_outside_the_bracket_and_exact_zeros() {
        let bracket = bracket_of(parabola, 0.0, 10.0);
        let tol = Tolerance::within(1e-9);
        // A guess outside (or on the edge of) the bracket is ignored.
        for guess in [-5.0, 0.0, 10.0, 42.0] {
            let root = bracketed_root(bracket, Start { guess: Some(guess), slope: None }, tol, parabola);
            assert!((root - 3.3).abs() < 1e-9);
        }
        // An exact zero is returned as it is.
        let line = |x: f64| (x - 0.5, 1.0);
        assert_eq!(bracketed_root(bracket_of(line, 0.0, 2.0), Start { guess: Some(0.5), slope: None }, tol, line), 0.5);
    }

    #[test]
    fn locate_root_hands_back_the_side_bracket_slope_and_every_sample() {
        // Only the side known: bisection leaves a bracket within the tolerance around the
        // switch, its upper end on the positive side.
        let side = |x: f64| (if x >= 0.7 { 1.0 } else { -1.0 }, f64::NAN);
        let halving = Tolerance { bracket: 1e-3, step: 0.0, safeguard: Safeguard::Bisection };
        let root = locate_root(bracket_of(side, 0.0, 1.0), Start { guess: Some(0.5), slope: None }, halving, side);
        let Bracket { lo, hi, .. } = root.bracket;
        assert!(hi - lo <= 1e-3 && lo < 0.7 && hi >= 0.7 && side(hi).0 > 0.0, "{lo} {hi}");
        assert_eq!((root.x, root.slope), (0.5 * (lo + hi), None));
        // Secant steps: the slope at the end is the secant through the last two samples,
        // close to the derivative at the root, and every sample went through the closure.
        let mut samples = Vec::new();
        let recorded = |t: f64| {
            samples.push(t);
            (parabola(t).0, f64::NAN)
        };
        let start = Start { guess: Some(4.0), slope: Some(10.0) };
        let root = locate_root(bracket_of(parabola, 0.0, 10.0), start, Tolerance::within(1e-6), recorded);
        assert!((root.x - 3.3).abs() < 1e-6);
        let slope = root.slope.unwrap();
        assert!((slope - parabola(3.3).1).abs() < 1e-3, "{slope}");
        assert_eq!(samples[0], 4.0);
        assert!(samples.len() >= 2 && samples.iter().all(|&t| t > 0.0 && t < 10.0));
        let Bracket { lo, hi, .. } = root.bracket;
        assert!(lo <= root.x && root.x <= hi);
    }

    #[test]
    fn a_step_function_ends_on_the_bracket() {
        // No slope to follow: Illinois regula falsi and the bracket width end it.
        let step = |x: f64| (if x < 0.7 { -1.0 } else { 1.0 }, f64::NAN);
        let tol = Tolerance { bracket: 1e-6, step: 0.0, safeguard: Safeguard::Illinois };
        let root = bracketed_root(bracket_of(step, 0.0, 1.0), Start::default(), tol, step);
        assert!((root - 0.7).abs() <= 0.5e-6, "{root}");
    }

    #[test]
    fn the_sign_at_zero_counts_as_positive_and_errors_pass_through() {
        // f_lo = 0 is the positive side: the search finds where f turns negative.
        let f = |x: f64| (-x * (x + 1.0), -2.0 * x - 1.0);
        let root = bracketed_root(bracket_of(f, 0.0, 1.0), Start::default(), Tolerance::within(1e-9), f);
        assert!(root > 0.0 && root < 1e-8);
        let failed =
            try_bracketed_root(bracket_of(parabola, 0.0, 10.0), Start::default(), Tolerance::within(1e-9), |x| {
                if x > 1.0 { Err(x) } else { Ok(parabola(x)) }
            });
        assert!(failed.is_err());
    }
}
