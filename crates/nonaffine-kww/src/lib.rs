//! The one-sided Fourier transform of the stretched exponential (the
//! Kohlrausch–Williams–Watts transform), to full double precision:
//!
//! c(β, ω) = ∫₀^∞ exp(−t^β) cos(ωt) dt,   s(β, ω) = ∫₀^∞ exp(−t^β) sin(ωt) dt.
//!
//! docs/theory.md Eq. (40): the stretched-exponential memory kernel (Eq. (38))
//! and the Kohlrausch reference moduli (Eqs. (49)–(50)) both reduce to these two
//! functions. The method follows the structure of Wuttke's libkww (Algorithms 5,
//! 604 (2012)) — series where they are provably accurate, double-exponential
//! quadrature in between — with its own choices:
//!
//! | region | method | accuracy |
//! |---|---|---|
//! | ω = 0, ±∞ | limits c(0) = Γ(1 + 1/β), s(0) = 0; c, s → 0 | exact |
//! | β = 1 | 1/(1 + ω²), ω/(1 + ω²) | ≤ 1 ulp-ish |
//! | small ω | moment series Σ (−1)^k ω^{2k} Γ((2k+1)/β)/(β (2k)!) (and the odd one for s); convergent for β > 1, asymptotic for β < 1 | accepted only when the next term is < 1e-17 of the result and cancellation < 1e3: ≲ 1e-13 |
//! | large ω | Σ (−1)^k Γ(kβ+1)/k! (iω)^{−kβ−1}; convergent for β < 1, asymptotic for β > 1 | same acceptance test, plus the saddle-point term at β > 3/2 must be negligible: ≲ 1e-13 |
//! | otherwise | double-exponential rule v = v₀ exp(x − e^{−x}) on the ray t = v e^{−iπ/(2(1+β))} (no oscillatory cancellation), step halved from 1/2 until it has converged; for β > 1.9, c as the β = 2 closed form plus a difference integral | ≲ 1e-12 |
//!
//! Accuracy is relative, separately for c and s, for β ∈ [0.1, 2] and
//! ω ∈ [1e-8, 1e8]; the tests check ≤ 1e-10 against independent 30-digit values
//! (`tests/`). Outside that ω range results stay finite with the right limits
//! (for β < 0.2 and ω ≪ 1e-8, s is accurate only in absolute terms, ~1e-16·c).
//! Negative ω uses c(−ω) = c(ω), s(−ω) = −s(ω).
//!
//! The series coefficients (Γ-function ratios) of the β last used are kept per
//! thread, so sweeps over ω at fixed β, as in fits and frequency grids, pay for
//! them once; the quadrature's node values that depend on neither β nor ω are
//! computed once per process.
//!
//! Speed (`cargo bench -p nonaffine-kww --bench kww`, README "Performance"):
//! a few µs for a quadrature point, ~0.1–0.5 µs for a series point; a new β
//! costs a table of up to ~300 Γ-function values (~10–30 µs), built lazily.

mod contour;
mod series;
mod special;

use thiserror::Error;

/// Smallest supported stretching exponent.
pub const BETA_MIN: f64 = 0.1;
/// Largest supported stretching exponent (the Gaussian).
pub const BETA_MAX: f64 = 2.0;

/// Why a transform could not be evaluated.
#[derive(Debug, Error, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum KwwError {
    /// β outside [0.1, 2] or not finite.
    #[error("stretching exponent β = {0} is outside the supported range [0.1, 2]")]
    BetaOutOfRange(f64),
    /// ω is NaN.
    #[error("frequency ω is NaN")]
    OmegaNan,
}

/// Which method produced a value (for tests of the region switches and for reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// ω = 0 or |ω| = ∞.
    Limit,
    /// β = 1 closed form.
    ClosedForm,
    /// Moment series in powers of ω.
    SmallOmegaSeries,
    /// Series in powers of ω^{−β}.
    LargeOmegaSeries,
    /// Double-exponential quadrature along a rotated ray.
    Contour,
}

/// (c, s) = (∫₀^∞ e^{−t^β} cos ωt dt, ∫₀^∞ e^{−t^β} sin ωt dt); see the crate docs
/// for method and accuracy.
pub fn kww(beta: f64, omega: f64) -> Result<(f64, f64), KwwError> {
    kww_with_method(beta, omega).map(|(c, s, _)| (c, s))
}

/// c(β, ω) = ∫₀^∞ e^{−t^β} cos ωt dt.
pub fn kww_cos(beta: f64, omega: f64) -> Result<f64, KwwError> {
    kww(beta, omega).map(|(c, _)| c)
}

/// s(β, ω) = ∫₀^∞ e^{−t^β} sin ωt dt.
pub fn kww_sin(beta: f64, omega: f64) -> Result<f64, KwwError> {
    kww(beta, omega).map(|(_, s)| s)
}

/// (c, s) and the [`Method`] that produced them.
pub fn kww_with_method(beta: f64, omega: f64) -> Result<(f64, f64, Method), KwwError> {
    if !(BETA_MIN..=BETA_MAX).contains(&beta) {
        return Err(KwwError::BetaOutOfRange(beta));
    }
    if omega.is_nan() {
        return Err(KwwError::OmegaNan);
    }
    if omega < 0.0 {
        return kww_with_method(beta, -omega).map(|(c, s, m)| (c, -s, m));
    }
    if omega == 0.0 {
        return Ok((libm::tgamma(1.0 + 1.0 / beta), 0.0, Method::Limit));
    }
    if omega.is_infinite() {
        return Ok((0.0, 0.0, Method::Limit));
    }
    if beta == 1.0 {
        let d = 1.0 + omega * omega;
        return Ok((1.0 / d, omega / d, Method::ClosedForm));
    }
    let (c, s, method) = positive_omega(beta, omega);
    // At β = 2 the cosine transform is known in closed form, (√π/2) e^{−ω²/4},
    // and is exponentially small where the series and the ray integral see it
    // only as rounding.
    let c = if beta == 2.0 {
        0.5 * std::f64::consts::PI.sqrt() * (-0.25 * omega * omega).exp()
    } else {
        c
    };
    Ok((c, s, method))
}

thread_local! {
    /// Series coefficients of the β last used on this thread.
    static TABLES: std::cell::RefCell<series::Tables> = std::cell::RefCell::new(series::Tables::new(f64::NAN));
}

fn positive_omega(beta: f64, omega: f64) -> (f64, f64, Method) {
    let small_first = omega.powf(beta) <= 1.0;
    let found = TABLES.with(|cell| {
        let mut t = cell.borrow_mut();
        if t.beta() != beta {
            *t = series::Tables::new(beta);
        }
        let small = |t: &mut series::Tables| {
            series::small_omega(t, omega).map(|(c, s)| (c, s, Method::SmallOmegaSeries))
        };
        let large = |t: &mut series::Tables| {
            series::large_omega(t, omega).map(|(c, s)| (c, s, Method::LargeOmegaSeries))
        };
        if small_first {
            small(&mut t).or_else(|| large(&mut t))
        } else {
            large(&mut t).or_else(|| small(&mut t))
        }
    });
    found.unwrap_or_else(|| {
        let (c, s) = contour::ray(beta, omega);
        (c, s, Method::Contour)
    })
}

/// The ray quadrature alone, bypassing the series (for tests of the region
/// switches: where a series is accepted, both must agree).
#[doc(hidden)]
pub fn kww_contour_only(beta: f64, omega: f64) -> (f64, f64) {
    contour::ray(beta, omega)
}
