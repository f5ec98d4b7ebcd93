//! The two series expansions, each with its own acceptance test.
//!
//! Both are summed term by term and *refuse* (return `None`) unless the sum is
//! known to be accurate: the next term is below [`TOL`] of the smaller of the
//! two results, the terms were still shrinking (asymptotic series), the
//! cancellation between terms is mild (largest term ≤ [`MAX_CANCELLATION`] ×
//! result), and, for the large-ω series at β > 3/2, the exponentially small
//! saddle-point contribution that the series cannot see is negligible.

use crate::special::{gamma_over_factorial_times_power, sincos_pi};

/// Relative size of the first omitted term at which a sum is accepted.
const TOL: f64 = 1e-17;
/// Largest accepted ratio of the biggest term to the result (rounding of each
/// term, ~1e-16, is amplified by this).
const MAX_CANCELLATION: f64 = 1e3;
/// Term limit of the large-ω series.
const MAX_TERMS_LARGE: u32 = 150;
/// Term limit of the small-ω series.
const MAX_TERMS_SMALL: u32 = 60;

/// Large-ω series (term-wise transform of exp(−t^β) = Σ (−t^β)^k/k!):
///
/// c(ω) − i s(ω) = Σ_k (−1)^k Γ(kβ+1)/k! · (iω)^{−kβ−1},
/// c = Σ_{k≥1} (−1)^{k+1} Γ(kβ+1)/k! sin(πkβ/2) ω^{−kβ−1},
/// s = Σ_{k≥0} (−1)^k Γ(kβ+1)/k! cos(πkβ/2) ω^{−kβ−1}.
///
/// Convergent for every ω when β < 1 (for ω > 1 when β = 1), asymptotic when β > 1.
pub(crate) fn large_omega(beta: f64, omega: f64) -> Option<(f64, f64)> {
    // Sums of ω·c and ω·s (no underflow of the terms at huge ω), divided by ω at the end.
    let x = omega.powf(-beta);
    let delta = 2.0 - beta; // exact for β in [1, 2] (Sterbenz)
    let (mut c, mut s) = (0.0_f64, 0.0_f64);
    let (mut big_c, mut big_s) = (0.0_f64, 0.0_f64);
    let mut previous = f64::INFINITY;
    for k in 0..MAX_TERMS_LARGE {
        let kf = f64::from(k);
        let mag = gamma_over_factorial_times_power(kf * beta + 1.0, k, x, k);
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
        // sin, cos of πkβ/2; for β > 1 through kβ/2 = k − kδ/2 so that the
        // small sines near β = 2 keep their relative accuracy.
        let (sn, cs) = if beta > 1.0 {
            let (se, ce) = sincos_pi(kf * delta * 0.5);
            let sign_k = if k % 2 == 0 { 1.0 } else { -1.0 };
            (-sign_k * se, sign_k * ce)
        } else {
            sincos_pi(kf * beta * 0.5)
        };
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        let tc = -sign * mag * sn;
        let ts = sign * mag * cs;
        c += tc;
        s += ts;
        big_c = big_c.max(tc.abs());
        big_s = big_s.max(ts.abs());
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
pub(crate) fn small_omega(beta: f64, omega: f64) -> Option<(f64, f64)> {
    let (mut c, mut s) = (0.0_f64, 0.0_f64);
    let (mut big_c, mut big_s) = (0.0_f64, 0.0_f64);
    let mut previous = f64::INFINITY;
    for k in 0..MAX_TERMS_SMALL {
        let n = 2 * k;
        let mc = gamma_over_factorial_times_power(f64::from(n + 1) / beta, n, omega, n) / beta;
        let ms =
            gamma_over_factorial_times_power(f64::from(n + 2) / beta, n + 1, omega, n + 1) / beta;
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
    }
    None
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
