//! Double-exponential quadrature along a rotated ray, for intermediate ω.
//!
//! By Cauchy's theorem (the integrand is analytic in the open lower half plane
//! and decays in the whole sector swept), for 0 ≤ θ < π/(2β),
//!
//! c − i s = ∫₀^∞ exp(−t^β − iωt) dt = e^{−iθ} ∫₀^∞ exp(−v^β e^{−iβθ} − iωv e^{−iθ}) dv.
//!
//! On the ray both exponentials decay: |integrand| = exp(−v^β cos βθ − ωv sin θ),
//! while the phase v^β sin βθ − ωv cos θ turns at most max(tan βθ, cot θ) radians
//! per unit of decay. θ = π/(2(1+β)) balances the two (tan βθ = cot θ), so the
//! integrand makes at most a few turns before it is gone: no oscillatory
//! cancellation, unlike the real axis.
//!
//! The ray integral is evaluated with the exp-sinh double-exponential rule
//! v^β = σ exp((π/2) sinh x), x = jh, so that both the algebraic behaviour at
//! v → 0 (t^β is not analytic there) and the decay at v → ∞ become double
//! exponential in x and the trapezoidal rule converges geometrically in 1/h.
//! σ puts the peak of |integrand · dv/dx| near x = 0.
//!
//! Near β = 2 the cosine transform is tiny compared with the sine transform
//! (c = (√π/2) e^{−ω²/4} at β = 2) and Re of the ray integral loses it to
//! rounding. There c is computed as c₂(ω) + Re ∫ (e^{−t^β} − e^{−t²}) e^{−iωt} dt
//! on the same nodes, the bracket formed with complex expm1 so that it has full
//! relative accuracy however close β is to 2.

use std::f64::consts::{FRAC_PI_2, PI};

/// Step of the trapezoidal rule in x. Checked against the 20-digit grid and the
/// series at every region switch: h = 1/16 leaves ~1e-9 at β = 0.15, ~3e-10 at
/// β = 1.5 (ω ≈ 7) and ~5e-8 at β = 1.9, so one finer step serves every β.
const H: f64 = 1.0 / 32.0;
/// Largest |x| = |j|h; never reached in practice, a guard only.
const MAX_X: f64 = 6.0;
/// Nodes whose contribution is below this fraction of the running sum of
/// magnitudes end the sum on that side.
const NEGLIGIBLE: f64 = 1e-18;

/// Above this β, c is taken as the β = 2 closed form plus a difference integral.
pub(crate) const GAUSSIAN_DIFFERENCE_ABOVE: f64 = 1.9;

/// (c, s) by quadrature along the ray. Valid for 0 < β ≤ 2, ω > 0.
pub(crate) fn ray(beta: f64, omega: f64) -> (f64, f64) {
    let theta = PI / (2.0 * (1.0 + beta));
    let (sin_bt, cos_bt) = (beta * theta).sin_cos();
    let (sin_t, cos_t) = theta.sin_cos();
    let gaussian_difference = beta > GAUSSIAN_DIFFERENCE_ABOVE && beta < 2.0;
    // Peak of the weighted integrand: β u cos βθ + ω v sin θ ≈ 1 (u = v^β).
    let sigma = 1.0 / (beta * cos_bt + (omega * sin_t).powf(beta));
    let log_sigma = sigma.ln() / beta;

    // Sums of the complex node values (re, im), for the plain integral and the
    // Gaussian difference.
    let mut sum = (0.0_f64, 0.0_f64);
    let mut diff = (0.0_f64, 0.0_f64);
    let mut magnitude_sum = 0.0_f64;
    let h = H;
    let max_nodes = (MAX_X / h) as i32;
    let (exp_h, exp_mh) = (h.exp(), (-h).exp());
    for direction in [1.0_f64, -1.0] {
        // e^{x} and e^{−x} advanced by multiplication (x = jh).
        let (mut ep, mut em) = (1.0_f64, 1.0_f64);
        let start = if direction > 0.0 { 0 } else { 1 };
        if start == 1 {
            ep = exp_mh;
            em = exp_h;
        }
        for _ in start..=max_nodes {
            let sinh = 0.5 * (ep - em);
            let cosh = 0.5 * (ep + em);
            let log_v = log_sigma + FRAC_PI_2 * sinh;
            let v = log_v.exp();
            let u = (beta * log_v).exp();
            // dv = v · d(ln v) = v · (π/2) cosh x dx.
            let weight = v * FRAC_PI_2 * cosh;
            let re = -u * cos_bt - omega * v * sin_t;
            let im = u * sin_bt - omega * v * cos_t;
            let mag = weight * re.exp();
            let (si, co) = im.sin_cos();
            let node = (mag * co, mag * si);
            sum.0 += node.0;
            sum.1 += node.1;
            if gaussian_difference {
                let d = gaussian_difference_factor(beta, theta, log_v, u, re, im);
                diff.0 += weight * d.0;
                diff.1 += weight * d.1;
            }
            magnitude_sum += mag;
            if mag <= NEGLIGIBLE * magnitude_sum || !mag.is_finite() || v == 0.0 {
                break;
            }
            if direction > 0.0 {
                ep *= exp_h;
                em *= exp_mh;
            } else {
                ep *= exp_mh;
                em *= exp_h;
            }
        }
    }
    // Multiply by h e^{−iθ}: (a + ib)(cos θ − i sin θ).
    let rotate = |(a, b): (f64, f64)| (h * (a * cos_t + b * sin_t), h * (b * cos_t - a * sin_t));
    let (re, im) = rotate(sum);
    let c = if gaussian_difference {
        let (dre, _) = rotate(diff);
        0.5 * PI.sqrt() * (-0.25 * omega * omega).exp() + dre
    } else {
        re
    };
    (c, -im)
}

/// e^{E_β} − e^{E_2} at one node, where E_β = −t^β − iωt, E_2 = −t² − iωt,
/// t = v e^{−iθ}; `re`, `im` are the parts of E_β. Written as
/// −e^{E_β} · expm1(−(t² − t^β)), t² − t^β = t^β · expm1((2 − β) ln t).
fn gaussian_difference_factor(
    beta: f64,
    theta: f64,
    log_v: f64,
    u: f64,
    re: f64,
    im: f64,
) -> (f64, f64) {
    let delta = 2.0 - beta;
    // (2 − β) ln t, ln t = ln v − iθ.
    let z = cexpm1(delta * log_v, -delta * theta);
    // t^β = u e^{−iβθ}.
    let (sb, cb) = (beta * theta).sin_cos();
    let tb = (u * cb, -u * sb);
    let w = cmul(tb, z); // t² − t^β
    let e = cexpm1(-w.0, -w.1);
    let eb = {
        let m = re.exp();
        let (si, co) = im.sin_cos();
        (m * co, m * si)
    };
    let p = cmul(eb, e);
    (-p.0, -p.1)
}

fn cmul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// e^{x+iy} − 1 with full relative accuracy for small |x + iy|.
fn cexpm1(x: f64, y: f64) -> (f64, f64) {
    let em1 = x.exp_m1();
    let (sy, cy) = y.sin_cos();
    let half = (0.5 * y).sin();
    (em1 * cy - 2.0 * half * half, (em1 + 1.0) * sy)
}
