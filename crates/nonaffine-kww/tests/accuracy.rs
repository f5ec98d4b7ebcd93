//! Accuracy of the KWW transform against independent references: the 30-digit
//! values of tests/data/kww.json (mpmath at 40 digits; provenance in the file), a
//! dense 20-digit mpmath grid and 120 random off-grid points
//! (tests/data/kww_mpmath_*.csv, made by scripts/kww_reference.py), closed forms at β = 1 and β = 2 (Dawson's function,
//! implemented here by Rybicki's formula), the ω → 0 and ω → ∞ limits, and a
//! brute-force real-axis quadrature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_kww::{kww, kww_contour_only, kww_with_method, Method};

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        ((a - b) / b).abs()
    }
}

#[test]
fn every_row_of_the_high_precision_table() {
    let text = include_str!("data/kww.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let mut worst: f64 = 0.0;
    let mut rows = 0;
    for row in v["table"].as_array().unwrap() {
        let beta: f64 = row["beta_str"].as_str().unwrap().parse().unwrap();
        let w: f64 = row["w_str"].as_str().unwrap().parse().unwrap();
        let c: f64 = row["C"].as_str().unwrap().parse().unwrap();
        let s: f64 = row["S"].as_str().unwrap().parse().unwrap();
        let (gc, gs) = kww(beta, w).unwrap();
        let e = rel(gc, c).max(rel(gs, s));
        assert!(
            e <= 1e-10,
            "β={beta} ω={w}: got ({gc:e}, {gs:e}), want ({c:e}, {s:e}), rel {e:e}"
        );
        worst = worst.max(e);
        rows += 1;
    }
    assert_eq!(rows, 33);
    println!("kww.json: {rows} rows, max relative error {worst:.2e}");
}

#[test]
fn dense_mpmath_grid() {
    let text = include_str!("data/kww_mpmath_grid.csv");
    let mut worst = (0.0_f64, 0.0, 0.0);
    let mut count = 0;
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let (beta, w, c, s) = (f[0], f[1], f[2], f[3]);
        let (gc, gs, m) = kww_with_method(beta, w).unwrap();
        let e = rel(gc, c).max(rel(gs, s));
        assert!(
            e <= 1e-10,
            "β={beta} ω={w:e} ({m:?}): ({gc:e}, {gs:e}) vs ({c:e}, {s:e}), rel {e:e}"
        );
        if e > worst.0 {
            worst = (e, beta, w);
        }
        count += 1;
    }
    assert_eq!(count, 28 * 49);
    println!(
        "mpmath grid: {count} points, max relative error {:.2e} at β={} ω={:e}",
        worst.0, worst.1, worst.2
    );
}

#[test]
fn random_off_grid_points() {
    // 120 (β, ω) drawn off the grid (scripts/kww_reference.py --random), 80 of them
    // in ω ∈ [1e-3, 1e2] where the quadrature does most of the work.
    let text = include_str!("data/kww_mpmath_random.csv");
    let mut worst: f64 = 0.0;
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let (gc, gs, m) = kww_with_method(f[0], f[1]).unwrap();
        let e = rel(gc, f[2]).max(rel(gs, f[3]));
        assert!(e <= 1e-10, "β={} ω={:e} ({m:?}): rel {e:e}", f[0], f[1]);
        worst = worst.max(e);
    }
    assert_eq!(text.lines().count(), 121);
    println!("random points: max relative error {worst:.2e}");
}

#[test]
fn beta_one_closed_form() {
    for i in -80..=80 {
        let w = 10f64.powf(f64::from(i) / 10.0);
        let (c, s) = kww(1.0, w).unwrap();
        let d = 1.0 + w * w;
        assert!(rel(c, 1.0 / d) < 1e-14 && rel(s, w / d) < 1e-14, "ω={w}");
    }
    // Just off β = 1 the general methods run; they must meet the closed form.
    for i in -40..=40 {
        let w = 10f64.powf(f64::from(i) / 5.0);
        let (c, s) = kww(1.0 + 1e-13, w).unwrap();
        let d = 1.0 + w * w;
        assert!(
            rel(c, 1.0 / d) < 1e-10 && rel(s, w / d) < 1e-10,
            "ω={w}: {c} {s}"
        );
    }
}

/// Dawson's integral F(x) = e^{−x²} ∫₀^x e^{y²} dy by Rybicki's formula
/// F(x) = lim_{h→0} π^{−1/2} Σ_{n odd} e^{−(x − nh)²}/n (error ~ e^{−(π/2h)²}).
fn dawson(x: f64) -> f64 {
    let h = 0.05;
    let n_max = ((x.abs() + 7.0) / h) as i64 + 1;
    let mut sum = 0.0;
    for n in (-n_max..=n_max).filter(|n| n % 2 != 0) {
        let nf = n as f64;
        sum += (-(x - nf * h).powi(2)).exp() / nf;
    }
    sum / std::f64::consts::PI.sqrt()
}

#[test]
fn beta_two_sine_is_dawson() {
    // ∫₀^∞ e^{−t²} sin ωt dt = F(ω/2).
    assert!(
        rel(dawson(1.0), 0.538_079_506_912_768_4) < 1e-13,
        "{}",
        dawson(1.0)
    );
    for i in 0..=60 {
        let w = 0.1 * 10f64.powf(f64::from(i) / 20.0);
        let s = kww(2.0, w).unwrap().1;
        assert!(
            rel(s, dawson(w / 2.0)) < 1e-10,
            "ω={w}: {s} vs {}",
            dawson(w / 2.0)
        );
    }
}

#[test]
fn beta_two_cosine_is_gaussian_and_continuous_in_beta() {
    for i in 0..=40 {
        let w = 0.05 * f64::from(i);
        let c2 = 0.5 * std::f64::consts::PI.sqrt() * (-0.25 * w * w).exp();
        // β = 2 − 1e-10: c differs from the Gaussian by O(1e-10 · ω^{-3}) only.
        let c = kww(2.0 - 1e-10, w).unwrap().0;
        assert!(rel(c, c2) < 1e-8, "ω={w}: {c} vs {c2}");
    }
}

#[test]
fn zero_frequency_moments() {
    for i in 0..=19 {
        let beta = 0.1 + 0.1 * f64::from(i);
        let c0 = kww(beta, 0.0).unwrap().0;
        let g = libm::tgamma(1.0 + 1.0 / beta);
        assert!(rel(c0, g) < 1e-14);
        // Continuity into ω → 0 where the moment series applies (β ≥ 0.3).
        if beta >= 0.3 {
            let w = 1e-9;
            let (c, s) = kww(beta, w).unwrap();
            assert!(rel(c, g) < 1e-10, "β={beta}: {c} vs {g}");
            let s1 = w * libm::tgamma(2.0 / beta) / beta;
            assert!(rel(s, s1) < 1e-6, "β={beta}: {s} vs {s1}");
        }
    }
}

#[test]
fn large_frequency_asymptotics() {
    for i in 0..=19 {
        let beta = 0.1 + 0.1 * f64::from(i);
        for w in [1e6, 1e8, 1e12] {
            let (c, s) = kww(beta, w).unwrap();
            let c1 = libm::tgamma(beta + 1.0)
                * (std::f64::consts::FRAC_PI_2 * beta).sin()
                * w.powf(-beta - 1.0);
            // Next terms are O(ω^{−β}) relative.
            let tol = 3.0 * w.powf(-beta) * libm::tgamma(2.0 * beta + 1.0);
            assert!(
                rel(s * w, 1.0) < tol.max(1e-13),
                "β={beta} ω={w}: s ω = {}",
                s * w
            );
            if beta < 2.0 {
                assert!(rel(c, c1) < tol.max(1e-13), "β={beta} ω={w}: {c} vs {c1}");
            }
        }
    }
}

#[test]
fn finite_with_right_limits_far_outside_the_range() {
    for i in 0..=38 {
        let beta = 0.1 + 0.05 * f64::from(i);
        for e in [-300, -100, -30, -12, 12, 30, 100, 300] {
            let w = 10f64.powi(e);
            let (c, s) = kww(beta, w).unwrap();
            assert!(
                c.is_finite() && s.is_finite() && c >= 0.0 && s >= 0.0,
                "β={beta} ω={w:e}: {c} {s}"
            );
            if e > 0 {
                assert!(
                    c <= s && s <= 1.0 / w * (1.0 + 1e-6),
                    "β={beta} ω={w:e}: {c} {s}"
                );
            } else {
                assert!(rel(c, libm::tgamma(1.0 + 1.0 / beta)) < 1e-6 || e > -30 && beta < 0.2);
            }
        }
    }
    assert_eq!(kww(0.5, f64::INFINITY).unwrap(), (0.0, 0.0));
    let (c, s) = kww(0.7, -2.0).unwrap();
    let (c2, s2) = kww(0.7, 2.0).unwrap();
    assert_eq!((c, s), (c2, -s2));
    assert!(kww(0.05, 1.0).is_err() && kww(2.5, 1.0).is_err() && kww(1.0, f64::NAN).is_err());
}

/// Brute force on the real axis: t = y⁴ removes the t^β kink at 0, then
/// 8-point Gauss–Legendre on many panels up to e^{−t^β} < 1e-20.
fn brute_force(beta: f64, w: f64) -> (f64, f64) {
    const X: [f64; 4] = [
        0.183_434_642_495_649_8,
        0.525_532_409_916_329,
        0.796_666_477_413_626_7,
        0.960_289_856_497_536_2,
    ];
    const W: [f64; 4] = [
        0.362_683_783_378_362,
        0.313_706_645_877_887_3,
        0.222_381_034_453_374_5,
        0.101_228_536_290_376_3,
    ];
    let t_max = 46.0f64.powf(1.0 / beta);
    let y_max = t_max.powf(0.25);
    let panels = 40_000;
    let dy = y_max / f64::from(panels);
    let (mut c, mut s) = (0.0, 0.0);
    for p in 0..panels {
        let mid = (f64::from(p) + 0.5) * dy;
        for (x, wt) in X.iter().zip(W) {
            for y in [mid - 0.5 * dy * x, mid + 0.5 * dy * x] {
                let t = y.powi(4);
                let f = (-t.powf(beta)).exp() * 4.0 * y.powi(3) * wt * 0.5 * dy;
                c += f * (w * t).cos();
                s += f * (w * t).sin();
            }
        }
    }
    (c, s)
}

#[test]
fn agrees_with_brute_force_real_axis_quadrature() {
    for beta in [0.6, 0.8, 1.2, 1.5, 1.8] {
        for w in [0.1, 0.5, 1.0, 2.0, 5.0] {
            let (c, s) = kww(beta, w).unwrap();
            let (bc, bs) = brute_force(beta, w);
            assert!(
                rel(c, bc) < 1e-9 && rel(s, bs) < 1e-9,
                "β={beta} ω={w}: ({c}, {s}) vs ({bc}, {bs})"
            );
        }
    }
}

#[test]
fn series_and_quadrature_agree_where_the_method_switches() {
    let mut betas: Vec<f64> = (0..=38).map(|i| 0.1 + 0.05 * f64::from(i)).collect();
    betas.extend([1.95, 1.99, 1.999, 1.9999]);
    let mut switches = 0;
    let mut worst: f64 = 0.0;
    for &beta in &betas {
        let sweep: Vec<(f64, f64, f64, Method)> = (0..=320)
            .map(|i| {
                let w = 10f64.powf(-8.0 + f64::from(i) / 20.0);
                let (c, s, m) = kww_with_method(beta, w).unwrap();
                (w, c, s, m)
            })
            .collect();
        for pair in sweep.windows(2) {
            // A switch between a series and the quadrature: evaluate the quadrature
            // at the series' point too (1/20 decade away from where it is used).
            if pair[0].3 == pair[1].3
                || (pair[0].3 != Method::Contour && pair[1].3 != Method::Contour)
            {
                continue;
            }
            switches += 1;
            for &(w, c, s, m) in pair {
                if m == Method::Contour {
                    continue;
                }
                let (qc, qs) = kww_contour_only(beta, w);
                // At β = 2 exactly c is the closed form, exponentially small where
                // the plain quadrature sees only rounding; compare s there.
                let e = if beta == 2.0 {
                    rel(s, qs)
                } else {
                    rel(c, qc).max(rel(s, qs))
                };
                assert!(
                    e < 1e-10,
                    "β={beta} ω={w:e} {m:?}: ({c:e}, {s:e}) vs quadrature ({qc:e}, {qs:e})"
                );
                worst = worst.max(e);
            }
        }
    }
    assert!(switches > 30, "{switches}");
    println!("{switches} switches, max series/quadrature disagreement {worst:.2e}");
}
