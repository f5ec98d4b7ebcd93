//! LAMMPS' local cubic interpolation of EAM tables, reproduced operation for
//! operation so that energies and forces agree with `pair_style eam` to
//! round-off (docs/theory.md Eq. (10)).
//!
//! LAMMPS (`PairEAM::interpolate`) stores seven coefficients per knot m
//! (1-based, knots at x = (m−1)·Δ):
//! - `c6` = f_m, the tabulated value;
//! - `c5` = slope per knot spacing from local finite differences: one-sided at
//!   the two end knots, central at the second and second-to-last, and the
//!   fourth-order stencil ((f_{m−2} − f_{m+2}) + 8 (f_{m+1} − f_{m−1}))/12 inside;
//! - `c4`, `c3` from Hermite matching of values and slopes at m and m+1;
//! - `c2 = c5/Δ`, `c1 = 2 c4/Δ`, `c0 = 3 c3/Δ`, the derivative's coefficients.
//!
//! At x the piece is m = ⌊x/Δ + 1⌋ clamped to [1, n−1] and p = x/Δ + 1 − m
//! clamped above at 1; the value is ((c3 p + c4) p + c5) p + c6 and the
//! derivative (c0 p + c1) p + c2. The second derivative of the same cubic is
//! (2 c0 p + c1)/Δ. Beyond the last knot (p clamped) LAMMPS holds the value and
//! the derivative of the last piece at p = 1 fixed, so the second derivative
//! there is 0.

use nonaffine_core::Radial;

/// A table splined the way LAMMPS' `pair_style eam` does.
///
/// Invariant: at least 5 knots (checked by the parser) and Δ > 0.
#[derive(Clone, Debug, PartialEq)]
pub struct LammpsSpline {
    /// Coefficients [c0..c6] of knots 1..=n, stored at index m−1.
    coeffs: Vec<[f64; 7]>,
    /// Knot spacing Δ (Å or density units).
    delta: f64,
    /// 1/Δ, computed once as LAMMPS does (`rdr = 1.0/dr`).
    inv_delta: f64,
}

impl LammpsSpline {
    /// Splines `values` tabulated at x = 0, Δ, 2Δ, … (LAMMPS `interpolate`).
    ///
    /// `values` must have at least 5 entries and `delta` must be positive; the
    /// parser guarantees both.
    pub fn new(values: &[f64], delta: f64) -> Self {
        let n = values.len();
        debug_assert!(n >= 5 && delta > 0.0);
        // 1-based working copy so the stencils read as in LAMMPS.
        let mut s = vec![[0.0f64; 7]; n + 1];
        for m in 1..=n {
            s[m][6] = values[m - 1];
        }
        s[1][5] = s[2][6] - s[1][6];
        s[2][5] = 0.5 * (s[3][6] - s[1][6]);
        s[n - 1][5] = 0.5 * (s[n][6] - s[n - 2][6]);
        s[n][5] = s[n][6] - s[n - 1][6];
        for m in 3..=n.saturating_sub(2) {
            s[m][5] = ((s[m - 2][6] - s[m + 2][6]) + 8.0 * (s[m + 1][6] - s[m - 1][6])) / 12.0;
        }
        for m in 1..n {
            s[m][4] = 3.0 * (s[m + 1][6] - s[m][6]) - 2.0 * s[m][5] - s[m + 1][5];
            s[m][3] = s[m][5] + s[m + 1][5] - 2.0 * (s[m + 1][6] - s[m][6]);
        }
        s[n][4] = 0.0;
        s[n][3] = 0.0;
        for c in s.iter_mut().skip(1) {
            c[2] = c[5] / delta;
            c[1] = 2.0 * c[4] / delta;
            c[0] = 3.0 * c[3] / delta;
        }
        s.remove(0);
        Self {
            coeffs: s,
            delta,
            inv_delta: 1.0 / delta,
        }
    }

    /// Number of knots.
    pub fn len(&self) -> usize {
        self.coeffs.len()
    }

    /// Always false (a spline has at least 5 knots).
    pub fn is_empty(&self) -> bool {
        self.coeffs.is_empty()
    }

    /// Knot spacing Δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Abscissa of the last knot, (n−1)·Δ, as LAMMPS computes `rhomax`.
    pub fn last_knot(&self) -> f64 {
        (self.coeffs.len() - 1) as f64 * self.delta
    }

    /// The piece's coefficients, the local coordinate p, and whether p was
    /// clamped at 1 (x beyond the last knot).
    fn locate(&self, x: f64) -> (&[f64; 7], f64, bool) {
        let n = self.coeffs.len();
        let mut p = x * self.inv_delta + 1.0;
        // LAMMPS: m = static_cast<int>(p); m = MAX(1, MIN(m, n-1)). A float to
        // integer `as` cast truncates toward zero and saturates (NaN → 0), so
        // after the clamp this is LAMMPS' index for every finite x.
        let m = (p as usize).clamp(1, n - 1);
        p -= m as f64;
        let clamped = p > 1.0;
        // LAMMPS: p = MIN(p, 1.0), which also maps NaN to 1.
        let p = if p < 1.0 { p } else { 1.0 };
        (&self.coeffs[m - 1], p, clamped)
    }

    /// Value and first two derivatives at x, all from the same cubic piece.
    pub fn eval(&self, x: f64) -> Radial {
        let (c, p, clamped) = self.locate(x);
        Radial {
            value: ((c[3] * p + c[4]) * p + c[5]) * p + c[6],
            d1: (c[0] * p + c[1]) * p + c[2],
            d2: if clamped {
                0.0
            } else {
                (2.0 * c[0] * p + c[1]) * self.inv_delta
            },
        }
    }

    /// The embedding-function rule of `PairEAM::compute`: beyond the last knot
    /// (ρ > ρ_max) the energy continues linearly with the slope of the last
    /// piece at p = 1, "to conserve energy" as LAMMPS says.
    pub fn eval_embedding(&self, rho: f64) -> Radial {
        let mut out = self.eval(rho);
        let rho_max = self.last_knot();
        if rho > rho_max {
            out.value += out.d1 * (rho - rho_max);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample(f: impl Fn(f64) -> f64, n: usize, delta: f64) -> Vec<f64> {
        (0..n).map(|m| f(m as f64 * delta)).collect()
    }

    #[test]
    fn reproduces_knot_values_and_is_continuous_between_pieces() {
        let delta = 0.1;
        let vals = sample(|x| (1.3 * x).sin() + x * x, 40, delta);
        let s = LammpsSpline::new(&vals, delta);
        for (m, v) in vals.iter().enumerate().take(39) {
            let x = m as f64 * delta;
            assert!((s.eval(x).value - v).abs() < 1e-14, "knot {m}");
        }
        // C1 continuity across an interior knot: left piece at p = 1 and right
        // piece at p = 0 share value and slope by construction.
        let c = &s.coeffs;
        for m in 0..38 {
            let left_v = c[m][3] + c[m][4] + c[m][5] + c[m][6];
            let left_d = c[m][0] + c[m][1] + c[m][2];
            assert!((left_v - c[m + 1][6]).abs() < 1e-13);
            assert!((left_d - c[m + 1][2]).abs() < 1e-12);
        }
    }

    #[test]
    fn cubic_is_reproduced_in_the_interior() {
        // The fourth-order slope stencil is exact for cubics, so interior pieces
        // reproduce a cubic and its first two derivatives exactly.
        let f = |x: f64| 0.5 * x * x * x - 2.0 * x * x + x - 3.0;
        let df = |x: f64| 1.5 * x * x - 4.0 * x + 1.0;
        let d2f = |x: f64| 3.0 * x - 4.0;
        let delta = 0.05;
        let s = LammpsSpline::new(&sample(f, 60, delta), delta);
        for k in 0..200 {
            let x = 0.2 + k as f64 * 0.0123;
            let r = s.eval(x);
            assert!((r.value - f(x)).abs() < 1e-12, "value at {x}");
            assert!((r.d1 - df(x)).abs() < 1e-10, "d1 at {x}");
            assert!((r.d2 - d2f(x)).abs() < 1e-8, "d2 at {x}");
        }
    }

    #[test]
    fn derivatives_are_those_of_the_same_piece() {
        // Central differences inside one piece must match d1 and d2 (the
        // function is not a cubic, so this checks the derivative formulas, not
        // the approximation).
        let delta = 0.2;
        let s = LammpsSpline::new(&sample(|x| (-x).exp() * (3.0 * x).cos(), 30, delta), delta);
        let h = 1e-5;
        for &x in &[0.31, 1.07, 2.55, 4.9] {
            let (a, b, c) = (s.eval(x - h), s.eval(x), s.eval(x + h));
            let d1 = (c.value - a.value) / (2.0 * h);
            let d2 = (c.d1 - a.d1) / (2.0 * h);
            assert!(
                (d1 - b.d1).abs() < 1e-8 * (1.0 + b.d1.abs()),
                "{x}: {d1} vs {}",
                b.d1
            );
            assert!(
                (d2 - b.d2).abs() < 1e-6 * (1.0 + b.d2.abs()),
                "{x}: {d2} vs {}",
                b.d2
            );
        }
    }

    #[test]
    fn embedding_extrapolates_linearly_beyond_the_table() {
        let delta = 0.5;
        let s = LammpsSpline::new(&sample(|x| -x.sqrt(), 20, delta), delta);
        let top = s.eval(s.last_knot());
        let beyond = s.eval_embedding(s.last_knot() + 3.0);
        assert_eq!(beyond.d1, top.d1);
        assert_eq!(beyond.d2, 0.0);
        assert!((beyond.value - (top.value + 3.0 * top.d1)).abs() < 1e-12);
        // Below zero density the first piece's cubic is extended (p < 0).
        let below = s.eval_embedding(-0.1);
        assert!(below.value.is_finite() && below.d2 != 0.0);
    }
}
