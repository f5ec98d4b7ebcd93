//! Small special functions the series need: Γ-ratios and sin/cos of π·y
//! evaluated without losing relative accuracy near their zeros.

/// A series coefficient Γ(x)/n! kept as a value (about 1 ulp per factor, from
/// `libm::tgamma` and the exact or correctly rounded n!, where both fit in f64);
/// its logarithm (through `libm::lgamma`) is formed only when the value, or its
/// product with a power, leaves f64's range, which is rare and keeps building a
/// table cheap.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GammaRatio {
    value: f64,
    x: f64,
    n: u32,
}

impl GammaRatio {
    /// Γ(x)/n! for x > 0, given `factorial` = n! as f64 (infinite for n ≥ 171).
    pub(crate) fn new(x: f64, n: u32, factorial: f64) -> Self {
        let value = if x < 170.0 && factorial.is_finite() {
            libm::tgamma(x) / factorial
        } else {
            f64::NAN
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
