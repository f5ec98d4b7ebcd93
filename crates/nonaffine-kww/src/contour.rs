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
//! The ray integral is evaluated with the double-exponential rule for
//! exponentially decaying integrands (Ooura and Mori's transform)
//! v = v₀ exp(x − e^{−x}), x = jh: at v → 0 (where t^β is not analytic) the
//! integrand times dv/dx falls double exponentially as x → −∞, and at v → ∞ the
//! exponential decay of the integrand becomes double exponential in x. Unlike
//! the exp-sinh rule v = v₀ exp((π/2) sinh x), this keeps the integrand bounded
//! in a strip |Im x| < d of fixed width (d ≈ π/2 − θ) all along the real axis,
//! so the trapezoidal error falls like exp(−2πd/h): h = 1/4 is often enough
//! for 1e-14, where exp-sinh needed h = 1/32. v₀ puts the peak of
//! |integrand · dv/dx| near x = 0.
//!
//! Near β = 2 the cosine transform is tiny compared with the sine transform
//! (c = (√π/2) e^{−ω²/4} at β = 2) and Re of the ray integral loses it to
//! rounding. There c is computed as c₂(ω) + Re ∫ (e^{−t^β} − e^{−t²}) e^{−iωt} dt
//! on the same nodes, the bracket formed with complex expm1 so that it has full
//! relative accuracy however close β is to 2.

use std::f64::consts::PI;

/// Coarsest step of the trapezoidal rule in x.
const H_COARSE: f64 = 1.0 / 2.0;
/// Refinements by halving after the coarsest step: the finest step is 1/32.
const LEVELS: u32 = 4;
/// Nodes per unit of x at the finest step.
const FINE_PER_UNIT: f64 = 32.0;
/// Range of x: below −6, v/v₀ < e^{−400}; the right end is reached only at
/// β → 0.1 with ω → 0, where e^{−v^β} decays slowest.
const MIN_X: f64 = -6.0;
const MAX_X: f64 = 48.0;
/// Nodes whose contribution is below this fraction of the running sum of
/// magnitudes end the sum on that side.
const NEGLIGIBLE: f64 = 1e-18;
/// A level is accepted when it moved c and s by at most this fraction of
/// themselves from the level before. The trapezoidal error of a
/// double-exponential rule falls like exp(−a/h), so halving h roughly squares
/// the relative error: a change of 1e-8 means the error of the coarser sum was
/// about 1e-8 and that of the finer one far below 1e-12. Checked against the
/// 20-digit grids (`tests/`), and against the former fixed-step exp-sinh rule
/// (h = 1/32) on 191 β × 221 ω: they agree to 3.4e-12 wherever the ray is used.
const CONVERGED: f64 = 1e-8;

/// Above this β, c is taken as the β = 2 closed form plus a difference integral.
pub(crate) const GAUSSIAN_DIFFERENCE_ABOVE: f64 = 1.9;

/// The parts of a node that depend on x alone, at the finest step.
#[derive(Clone, Copy)]
struct Node {
    /// x − e^{−x} = ln(v/v₀).
    log_stretch: f64,
    /// e^{x − e^{−x}} = v/v₀.
    stretch: f64,
    /// 1 + e^{−x} = d ln v/dx.
    jacobian: f64,
}

/// Nodes x = i/32 for x in [[`MIN_X`], [`MAX_X`]], index i − 32·MIN_X; computed
/// once per process.
fn nodes() -> &'static [Node] {
    static NODES: std::sync::OnceLock<Vec<Node>> = std::sync::OnceLock::new();
    NODES.get_or_init(|| {
        let (first, last) = (
            (MIN_X * FINE_PER_UNIT) as i32,
            (MAX_X * FINE_PER_UNIT) as i32,
        );
        (first..=last)
            .map(|i| {
                let x = f64::from(i) / FINE_PER_UNIT;
                let e = (-x).exp();
                Node {
                    log_stretch: x - e,
                    stretch: (x - e).exp(),
                    jacobian: 1.0 + e,
                }
            })
            .collect()
    })
}

/// What one β, ω needs at every node.
struct Integrand {
    beta: f64,
    omega: f64,
    theta: f64,
    sin_bt: f64,
    cos_bt: f64,
    sin_t: f64,
    cos_t: f64,
    /// ln v₀, v₀ the node at x = 0.
    log_v0: f64,
    v0: f64,
    gaussian_difference: bool,
}

/// Raw sums over the nodes taken so far: the plain integrand, the Gaussian
/// difference, and |integrand| (for truncation).
#[derive(Default)]
struct Sums {
    plain: (f64, f64),
    diff: (f64, f64),
    magnitude: f64,
}

impl Integrand {
    /// Adds node `node` to `sums`; returns its magnitude |integrand · dv/dx|.
    fn add(&self, node: &Node, sums: &mut Sums) -> f64 {
        let log_v = self.log_v0 + node.log_stretch;
        let v = self.v0 * node.stretch;
        let u = (self.beta * log_v).exp();
        // dv = v · d(ln v) = v · (1 + e^{−x}) dx.
        let weight = v * node.jacobian;
        let re = -u * self.cos_bt - self.omega * v * self.sin_t;
        let im = u * self.sin_bt - self.omega * v * self.cos_t;
        let mag = weight * re.exp();
        let (si, co) = im.sin_cos();
        sums.plain.0 += mag * co;
        sums.plain.1 += mag * si;
        if self.gaussian_difference {
            let d = gaussian_difference_factor(self.beta, self.theta, log_v, u, re, im);
            sums.diff.0 += weight * d.0;
            sums.diff.1 += weight * d.1;
        }
        sums.magnitude += mag;
        if !mag.is_finite() || v == 0.0 {
            f64::INFINITY
        } else {
            mag
        }
    }

    /// (c, s) from the raw sums at step `h`.
    fn result(&self, sums: &Sums, h: f64) -> (f64, f64) {
        // Multiply by h e^{−iθ}: (a + ib)(cos θ − i sin θ).
        let rotate = |(a, b): (f64, f64)| {
            (
                h * (a * self.cos_t + b * self.sin_t),
                h * (b * self.cos_t - a * self.sin_t),
            )
        };
        let (re, im) = rotate(sums.plain);
        let c = if self.gaussian_difference {
            let (dre, _) = rotate(sums.diff);
            0.5 * PI.sqrt() * (-0.25 * self.omega * self.omega).exp() + dre
        } else {
            re
        };
        (c, -im)
    }
}

/// (c, s) by quadrature along the ray. Valid for 0 < β ≤ 2, ω > 0.
///
/// The step starts at [`H_COARSE`] and is halved (reusing every node) until
/// a halving changes c and s by less than [`CONVERGED`] of themselves, at most
/// [`LEVELS`] times. At β = 2 only s is tested: c is the closed form there.
pub(crate) fn ray(beta: f64, omega: f64) -> (f64, f64) {
    let theta = PI / (2.0 * (1.0 + beta));
    let (sin_bt, cos_bt) = (beta * theta).sin_cos();
    let (sin_t, cos_t) = theta.sin_cos();
    // Peak of the weighted integrand: β u cos βθ + ω v sin θ ≈ 1 (u = v^β);
    // v(x = 0) = v₀/e, and the peak of x − e^{−x} + (its decay) lies near x ≈ 0.
    let sigma = 1.0 / (beta * cos_bt + (omega * sin_t).powf(beta));
    let log_v0 = sigma.ln() / beta + 1.0;
    let f = Integrand {
        beta,
        omega,
        theta,
        sin_bt,
        cos_bt,
        sin_t,
        cos_t,
        log_v0,
        v0: log_v0.exp(),
        gaussian_difference: beta > GAUSSIAN_DIFFERENCE_ABOVE && beta < 2.0,
    };
    let nodes = nodes();
    let centre = (-MIN_X * FINE_PER_UNIT) as usize;
    let mut sums = Sums::default();

    // Coarsest level: walk out from x = 0 on each side until the nodes are negligible.
    let stride = (H_COARSE * FINE_PER_UNIT) as usize;
    f.add(&nodes[centre], &mut sums);
    let mut reach = [0_usize; 2];
    let room = [nodes.len() - 1 - centre, centre];
    for (side, reach) in reach.iter_mut().enumerate() {
        let mut offset = stride;
        while offset <= room[side] {
            let i = if side == 0 {
                centre + offset
            } else {
                centre - offset
            };
            let mag = f.add(&nodes[i], &mut sums);
            *reach = offset;
            if mag <= NEGLIGIBLE * sums.magnitude || mag.is_infinite() {
                break;
            }
            offset += stride;
        }
    }
    let mut h = H_COARSE;
    let mut previous = f.result(&sums, h);

    // Halve the step: the new nodes lie midway between the old ones, within the
    // reach of the coarsest level on each side.
    let mut stride = stride;
    for _ in 0..LEVELS {
        let half = stride / 2;
        for (side, &reach) in reach.iter().enumerate() {
            let mut offset = half;
            while offset < reach {
                let i = if side == 0 {
                    centre + offset
                } else {
                    centre - offset
                };
                f.add(&nodes[i], &mut sums);
                offset += stride;
            }
        }
        stride = half;
        h *= 0.5;
        let next = f.result(&sums, h);
        let moved = |a: f64, b: f64| (a - b).abs() <= CONVERGED * a.abs();
        let converged = moved(next.1, previous.1) && (beta >= 2.0 || moved(next.0, previous.0));
        previous = next;
        if converged {
            break;
        }
    }
    previous
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
