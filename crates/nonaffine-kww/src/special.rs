//! Small special functions the series need: Γ-ratios and sin/cos of π·y
//! evaluated without losing relative accuracy near their zeros.

/// Below this argument Γ(x) comes from `libm::tgamma`; at and above it from
/// [`gamma_stirling`], several times cheaper at the same accuracy (a few ulp).
const STIRLING_FROM: f64 = 10.0;

/// Γ(x) for 10 ≤ x < 170 by Stirling's series,
/// Γ(x) = √(2π) x^{x−1/2} e^{−x} e^{S(x)}, S(x) = Σ B₂ₖ/(2k(2k−1) x^{2k−1}),
/// with S truncated after x⁻¹³ (the next term is 3e-17 at x = 10). The power
/// is taken as (x^{(x−1/2)/2})² so that it cannot overflow, and each factor is
/// formed separately (x − 1/2 is exact for x ≥ 1): the result is within a few
/// ulp, where exp(ln Γ(x)) would lose ln Γ(x) · 1e-16 (up to 7e-14).
fn gamma_stirling(x: f64) -> f64 {
    let r = 1.0 / x;
    let r2 = r * r;
    // B₂/2 = 1/12, B₄/12 = −1/360, B₆/30 = 1/1260, B₈/56 = −1/1680,
    // B₁₀/90 = 1/1188, B₁₂/132 = −691/360360, B₁₄/182 = 1/156.
    let tail = 1.0 / 1188.0 + r2 * (-691.0 / 360_360.0 + r2 / 156.0);
    let s = r
        * (1.0 / 12.0
            + r2 * (-1.0 / 360.0 + r2 * (1.0 / 1260.0 + r2 * (-1.0 / 1680.0 + r2 * tail))));
    let half_power = x.powf(0.5 * (x - 0.5));
    (std::f64::consts::TAU.sqrt() * half_power * (-x).exp()) * half_power * s.exp()
}

/// A series coefficient Γ(x)/n! kept as a value (from Γ(x), see
/// [`STIRLING_FROM`], and the exact or correctly rounded n!, where both fit in
/// f64); its logarithm (through `libm::lgamma`) is formed only when the value,
/// or its product with a power, leaves f64's range.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GammaRatio {
    value: f64,
    x: f64,
    n: u32,
}

impl GammaRatio {
    /// Γ(x)/n! for x > 0, given `factorial` = n! as f64 (infinite for n ≥ 171).
    pub(crate) fn new(x: f64, n: u32, factorial: f64) -> Self {
        let value = if !factorial.is_finite() || x >= 170.0 {
            f64::NAN
        } else if x < STIRLING_FROM {
            libm::tgamma(x) / factorial
        } else {
            gamma_stirling(x) / factorial
        };
        Self { value, x, n }
    }

    /// Γ(x)/n! · y^k given `power` = y^k (as computed by the caller) and ln y.
    /// Returns 0 on underflow; never NaN for finite positive y.
    pub(crate) fn times_power(self, power: f64, ln_y: f64, k: u32) -> f64 {
        let direct = self.value * power;
        if direct.is_finite()
            && direct > f64::MIN_POSITIVE
            && power > f64::MIN_POSITIVE
            && power.is_finite()
        {
            direct
        } else {
            let ln = libm::lgamma(self.x) - libm::lgamma(f64::from(self.n) + 1.0);
            (ln + f64::from(k) * ln_y).exp()
        }
    }
}

/// (sin πy, cos πy), reduced to |y| ≤ 1/4 first so that results near the zeros
/// keep their relative accuracy (the only error left is the rounding of y).
pub(crate) fn sincos_pi(y: f64) -> (f64, f64) {
    // y = 2m + r with r in [-1, 1].
    let r = y - 2.0 * (y * 0.5).round();
    // Reflect into [-1/2, 1/2]: sin(π(1 − r)) = sin(πr), cos(π(1 − r)) = −cos(πr).
    let (r, flip) = if r > 0.5 {
        (1.0 - r, true)
    } else if r < -0.5 {
        (-1.0 - r, true)
    } else {
        (r, false)
    };
    let (s, c) = if r.abs() <= 0.25 {
        (std::f64::consts::PI * r).sin_cos()
    } else {
        // sin(πr) = cos(π(1/2 − r)), cos(πr) = sin(π(1/2 − r)) for r ∈ (1/4, 1/2].
        let q = if r > 0.0 { 0.5 - r } else { -0.5 - r };
        let (sq, cq) = (std::f64::consts::PI * q).sin_cos();
        if r > 0.0 {
            (cq, sq)
        } else {
            (-cq, -sq)
        }
    };
    if flip {
        (s, -c)
    } else {
        (s, c)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sincos_pi_matches_std_and_is_exact_at_zeros() {
        for i in -400..=400 {
            let y = f64::from(i) * 0.0173;
            let (s, c) = sincos_pi(y);
            let (s0, c0) = (std::f64::consts::PI * y).sin_cos();
            assert!((s - s0).abs() < 1e-13 && (c - c0).abs() < 1e-13, "{y}");
        }
        assert_eq!(sincos_pi(3.0).0, 0.0);
        assert_eq!(sincos_pi(2.5).1, 0.0);
        // Near a zero: sin(π(1 − 1e-9)) = sin(π·1e-9) to full relative accuracy.
        let (s, _) = sincos_pi(1.0 - 1e-9);
        let want = (std::f64::consts::PI * 1e-9).sin();
        assert!(((s - want) / want).abs() < 1e-7, "{s} {want}");
    }

    /// n! by the same running product the series tables keep.
    fn factorial(n: u32) -> f64 {
        (2..=n).fold(1.0, |acc, i| acc * f64::from(i))
    }

    #[test]
    fn stirling_gamma_matches_factorials_and_libm() {
        // Γ(n + 1) = n!, exact in f64 up to 22!.
        for n in 9..=22 {
            let g = gamma_stirling(f64::from(n) + 1.0);
            let want = factorial(n);
            assert!(
                ((g - want) / want).abs() < 2e-15,
                "Γ({}) = {g} vs {want}",
                n + 1
            );
        }
        // An independent implementation (musl's tgamma as ported by `libm`).
        let mut worst: f64 = 0.0;
        for i in 0..=1500 {
            let x = 10.0 + 0.1061 * f64::from(i);
            let (g, want) = (gamma_stirling(x), libm::tgamma(x));
            worst = worst.max(((g - want) / want).abs());
        }
        assert!(worst < 4e-15, "worst relative difference {worst:e}");
    }

    #[test]
    fn gamma_ratio_known_values() {
        // Γ(5)/3! · 2^3 = 24/6·8 = 32.
        let g = GammaRatio::new(5.0, 3, factorial(3));
        assert!((g.times_power(8.0, 2f64.ln(), 3) - 32.0).abs() < 1e-13);
        // Large arguments go through lgamma: Γ(201)/200! = 1.
        let v = GammaRatio::new(201.0, 200, factorial(200)).times_power(1.0, 0.0, 0);
        assert!((v - 1.0).abs() < 1e-12, "{v}");
        // Overflowing value times a tiny power: Γ(300)/10! · (1e-200)^2 through logs.
        let v = GammaRatio::new(300.0, 10, factorial(10)).times_power(0.0, -200.0 * 10f64.ln(), 2);
        let want = (libm::lgamma(300.0) - libm::lgamma(11.0) - 400.0 * 10f64.ln()).exp();
        assert!(((v - want) / want).abs() < 1e-12, "{v} {want}");
    }
}
