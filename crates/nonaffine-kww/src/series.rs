//! The two series expansions, each with its own acceptance test.
//!
//! Both are summed term by term and *refuse* (return `None`) unless the sum is
//! known to be accurate: the next term is below [`TOL`] of the smaller of the
//! two results, the terms were still shrinking (asymptotic series), the
//! cancellation between terms is mild (largest term ≤ [`MAX_CANCELLATION`] ×
//! result), and, for the large-ω series at β > 3/2, the exponentially small
//! saddle-point contribution that the series cannot see is negligible.

use crate::special::{sincos_pi, GammaRatio};

/// Relative size of the first omitted term at which a sum is accepted.
const TOL: f64 = 1e-17;
/// Largest accepted ratio of the biggest term to the result (rounding of each
/// term, ~1e-16, is amplified by this).
const MAX_CANCELLATION: f64 = 1e3;
/// Term limit of the large-ω series.
const MAX_TERMS_LARGE: u32 = 150;
/// Term limit of the small-ω series.
const MAX_TERMS_SMALL: u32 = 60;

/// Coefficients of both series for one β, computed on first use and kept (the
/// caller caches one `Tables` per thread, so sweeps over ω at fixed β pay the
/// Γ-function evaluations once).
pub(crate) struct Tables {
    beta: f64,
    /// Large-ω series: Γ(kβ+1)/k!, −(−1)^k sin(πkβ/2), (−1)^k cos(πkβ/2).
    large: Vec<(GammaRatio, f64, f64)>,
    /// Small-ω series: Γ((2k+1)/β)/(2k)!, Γ((2k+2)/β)/(2k+1)!.
    small: Vec<(GammaRatio, GammaRatio)>,
    /// Γ(1 + 1/β) = c(0), the area under e^{−t^β}, for [`small_omega_bounds`].
    area: f64,
    /// n! for the next row of `large` (n = its length) and of `small`
    /// (n = twice its length), kept as running products.
    large_factorial: f64,
    small_factorial: f64,
}

impl Tables {
    /// Empty tables for `beta`.
    pub(crate) fn new(beta: f64) -> Self {
        Self {
            beta,
            large: Vec::new(),
            small: Vec::new(),
            large_factorial: 1.0,
            small_factorial: 1.0,
            area: libm::tgamma(1.0 + 1.0 / beta),
        }
    }

    /// The β these tables are for.
    pub(crate) fn beta(&self) -> f64 {
        self.beta
    }

    fn large_term(&mut self, k: u32) -> (GammaRatio, f64, f64) {
        let beta = self.beta;
        while self.large.len() <= k as usize {
            let j = self.large.len() as u32;
            let jf = f64::from(j);
            let sign = if j.is_multiple_of(2) { 1.0 } else { -1.0 };
            // sin, cos of πjβ/2; for β > 1 through jβ/2 = j − jδ/2 (δ = 2 − β, exact)
            // so that the small sines near β = 2 keep their relative accuracy.
            let (sn, cs) = if beta > 1.0 {
                let (se, ce) = sincos_pi(jf * (2.0 - beta) * 0.5);
                (-sign * se, sign * ce)
            } else {
                sincos_pi(jf * beta * 0.5)
            };
            let coef = GammaRatio::new(jf * beta + 1.0, j, self.large_factorial);
            self.large.push((coef, -sign * sn, sign * cs));
            self.large_factorial *= jf + 1.0;
        }
        self.large[k as usize]
    }

    fn small_term(&mut self, k: u32) -> (GammaRatio, GammaRatio) {
        while self.small.len() <= k as usize {
            let n = 2 * self.small.len() as u32;
            let even = self.small_factorial;
            let odd = even * f64::from(n + 1);
            self.small.push((
                GammaRatio::new(f64::from(n + 1) / self.beta, n, even),
                GammaRatio::new(f64::from(n + 2) / self.beta, n + 1, odd),
            ));
            self.small_factorial = odd * f64::from(n + 2);
        }
        self.small[k as usize]
    }
}

/// Large-ω series (term-wise transform of exp(−t^β) = Σ (−t^β)^k/k!):
///
/// c(ω) − i s(ω) = Σ_k (−1)^k Γ(kβ+1)/k! · (iω)^{−kβ−1},
/// c = Σ_{k≥1} (−1)^{k+1} Γ(kβ+1)/k! sin(πkβ/2) ω^{−kβ−1},
/// s = Σ_{k≥0} (−1)^k Γ(kβ+1)/k! cos(πkβ/2) ω^{−kβ−1}.
///
/// Convergent for every ω when β < 1 (for ω > 1 when β = 1), asymptotic when β > 1.
pub(crate) fn large_omega(t: &mut Tables, omega: f64) -> Option<(f64, f64)> {
    let beta = t.beta;
    // Sums of ω·c and ω·s (no underflow of the terms at huge ω), divided by ω at the end.
    let x = omega.powf(-beta);
    let ln_x = -beta * omega.ln();
    let mut power = 1.0; // x^k
    let (mut c, mut s) = (0.0_f64, 0.0_f64);
    let (mut big_c, mut big_s) = (0.0_f64, 0.0_f64);
    let mut previous = f64::INFINITY;
    let (bound_c, bound_s) = large_omega_bounds(t.area, omega);
    for k in 0..MAX_TERMS_LARGE {
        let (coef, c_factor, s_factor) = t.large_term(k);
        let mag = coef.times_power(power, ln_x, k);
        if k >= 2 && mag <= TOL * c.abs().min(s.abs()) {
            return accept(c, s, big_c, big_s)
                .filter(|_| saddle_negligible(beta, omega, c / omega))
                .map(|(c, s)| (c / omega, s / omega));
        }
        if beta > 1.0 && mag > previous {
            return None; // asymptotic series past its smallest term
        }
        if mag == 0.0 {
            break;
        }
        previous = mag;
        let tc = mag * c_factor;
        let ts = mag * s_factor;
        c += tc;
        s += ts;
        big_c = big_c.max(tc.abs());
        big_s = big_s.max(ts.abs());
        if cancels_too_much(big_c, big_s, bound_c, bound_s) {
            return None;
        }
        power *= x;
    }
    None
}

/// Small-ω (moment) series, from cos ωt = Σ (−1)^k (ωt)^{2k}/(2k)! and
/// ∫₀^∞ t^n exp(−t^β) dt = Γ((n+1)/β)/β:
///
/// c = Σ_k (−1)^k ω^{2k} Γ((2k+1)/β) / (β (2k)!),
/// s = Σ_k (−1)^k ω^{2k+1} Γ((2k+2)/β) / (β (2k+1)!).
///
/// Convergent for every ω when β > 1 (for ω < 1 when β = 1), asymptotic when β < 1.
pub(crate) fn small_omega(t: &mut Tables, omega: f64) -> Option<(f64, f64)> {
    let beta = t.beta;
    let (ln_w, w2) = (omega.ln(), omega * omega);
    let mut power = 1.0; // ω^{2k}
    let (mut c, mut s) = (0.0_f64, 0.0_f64);
    let (mut big_c, mut big_s) = (0.0_f64, 0.0_f64);
    let mut previous = f64::INFINITY;
    let (bound_c, bound_s) = small_omega_bounds(t.area, omega);
    for k in 0..MAX_TERMS_SMALL {
        let n = 2 * k;
        let (gc, gs) = t.small_term(k);
        let mc = gc.times_power(power, ln_w, n) / beta;
        let ms = gs.times_power(power * omega, ln_w, n + 1) / beta;
        let mag = mc.max(ms);
        if k >= 1 && mc <= TOL * c.abs() && ms <= TOL * s.abs() {
            return accept(c, s, big_c, big_s);
        }
        if beta < 1.0 && k >= 1 && mag > previous {
            return None;
        }
        if !mag.is_finite() {
            return None;
        }
        previous = mag;
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        c += sign * mc;
        s += sign * ms;
        big_c = big_c.max(mc);
        big_s = big_s.max(ms);
        if cancels_too_much(big_c, big_s, bound_c, bound_s) {
            return None;
        }
        power *= w2;
    }
    None
}

/// Upper bounds on |c| and |s|, given `area` = Γ(1 + 1/β), that hold for every ω > 0 (e^{−t^β} is positive
/// and decreasing from 1): both ≤ ∫₀^∞ e^{−t^β} dt = Γ(1 + 1/β), and, integrating
/// by parts, |c| ≤ 1/ω and 0 ≤ s ≤ 2/ω.
fn small_omega_bounds(area: f64, omega: f64) -> (f64, f64) {
    (area.min(1.0 / omega), area.min(2.0 / omega))
}

/// The bounds of [`small_omega_bounds`] on ω·c and ω·s, the sums the large-ω
/// series forms.
fn large_omega_bounds(area: f64, omega: f64) -> (f64, f64) {
    let (c, s) = small_omega_bounds(area, omega);
    (omega * c, omega * s)
}

/// Whether the largest term so far already rules out acceptance: [`accept`]
/// needs it ≤ [`MAX_CANCELLATION`] × |result|, and |result| ≤ its bound (with a
/// factor 2 to spare for rounding). Refusing here instead of after the last
/// term changes no result, only the cost of a refusal.
fn cancels_too_much(big_c: f64, big_s: f64, bound_c: f64, bound_s: f64) -> bool {
    big_c > 2.0 * MAX_CANCELLATION * bound_c || big_s > 2.0 * MAX_CANCELLATION * bound_s
}

fn accept(c: f64, s: f64, big_c: f64, big_s: f64) -> Option<(f64, f64)> {
    let ok = big_c <= MAX_CANCELLATION * c.abs() && big_s <= MAX_CANCELLATION * s.abs();
    ok.then_some((c, s))
}

/// Below this β the saddle lies at arg t* ≤ −2π/3, far from the steepest-descent
/// path of the ray integral, and its formal size (with sin(π/(2(β−1))) → 0 as
/// β → 3/2) says nothing; the dense tests against 20-digit values cover that range.
const SADDLE_CHECK_ABOVE: f64 = 1.75;

/// For 3/2 < β ≤ 2, t^β + iωt has a saddle at t* = (ω/β)^{1/(β−1)} e^{−iπ/(2(β−1))}
/// in the lower half plane; its contribution to c, of modulus
/// √(2π/|f''(t*)|) · exp(−(1 − 1/β) ω |t*| sin(π/(2(β−1)))), is invisible to the
/// asymptotic series (it is the whole of c = (√π/2) e^{−ω²/4} at β = 2).
fn saddle_negligible(beta: f64, omega: f64, c: f64) -> bool {
    if beta <= SADDLE_CHECK_ABOVE {
        return true;
    }
    let r = (omega / beta).powf(1.0 / (beta - 1.0));
    let alpha = std::f64::consts::FRAC_PI_2 / (beta - 1.0);
    let curvature = beta * (beta - 1.0) * r.powf(beta - 2.0);
    let size = (std::f64::consts::TAU / curvature).sqrt()
        * (-(1.0 - 1.0 / beta) * omega * r * alpha.sin()).exp();
    size <= TOL * c.abs()
}
