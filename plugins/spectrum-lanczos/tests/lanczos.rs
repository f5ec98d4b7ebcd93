//! Lanczos quadrature and KPM against the dense solver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../spectrum-dense/tests/network/mod.rs"]
mod network;

use network::Network;
use nonaffine_core::{Params, SpectrumSolver};
use num_complex::Complex64;

fn solver(text: &str) -> Box<dyn SpectrumSolver> {
    spectrum_lanczos::build(&Params::from_pairs("p", text).unwrap()).unwrap()
}

/// Resolvent sums R_ab(z) = Σ_p Ξ̂_{p,a}Ξ̂_{p,b}/(ω_p² − z) from the quadrature
/// equal the dense mode sums to 1e-8 relative at complex shifts across the
/// spectrum (imaginary parts 5% and 20% of the top eigenvalue; Krylov
/// dimension under a third of 3N), and completeness holds exactly.
#[test]
fn resolvent_sums_match_dense_mode_sums() {
    let network = Network::new(5, 9);
    let (problem, xi) = (network.problem(), &network.xi);
    let dense = network.dense();
    // 80 steps whatever the stopping rule (tolerance 0): it watches z = 0,
    // and shifts inside the spectrum converge later.
    let r = solver("steps=80,tolerance=0,moments=64,random_vectors=2")
        .solve(&problem)
        .unwrap();
    let dim = r
        .diagnostics
        .iter()
        .find(|(n, _)| n == "krylov_dimension")
        .unwrap()
        .1;
    assert!(dim <= 480.0 && dim < 0.33 * xi.len() as f64, "{dim}");
    let top = dense.modes.eigenvalues.last().copied().unwrap();
    let floor = 1e-8 * top;
    let mut worst: f64 = 0.0;
    for frac in [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0, 1.2] {
        for eta in [0.05, 0.2] {
            let z = Complex64::new(frac * top, eta * top);
            let want = dense.modes.resolvent_sum(z, floor);
            let got = r.modes.resolvent_sum(z, floor);
            let scale = (0..6).map(|a| want[a][a].norm()).fold(0.0_f64, f64::max);
            for a in 0..6 {
                for b in 0..6 {
                    let err = (got[a][b] - want[a][b]).norm() / scale;
                    worst = worst.max(err);
                    assert!(
                        err < 1e-8,
                        "z = {z}: R[{a}][{b}] {} vs {} ({err:.1e})",
                        got[a][b],
                        want[a][b]
                    );
                }
            }
        }
    }
    eprintln!("worst relative error of the resolvent sums: {worst:.2e}");
    for a in 0..6 {
        let s: f64 = r.modes.projections.iter().map(|x| x[a] * x[a]).sum();
        let direct: f64 = xi.iter().map(|x| x[a] * x[a]).sum();
        assert!((s - direct).abs() < 1e-12 * direct);
    }
}

/// The KPM density, integrated over λ windows wider than its resolution,
/// counts the dense eigenvalues in those windows within its statistical error.
#[test]
fn kpm_density_counts_dense_eigenvalues() {
    let network = Network::new(4, 2);
    let (problem, xi) = (network.problem(), &network.xi);
    let dense = network.dense();
    let r = solver("steps=10,moments=256,random_vectors=40,grid=4000")
        .solve(&problem)
        .unwrap();
    let d = r.density.unwrap();
    let n = xi.len() as f64;
    // Total weight n (up to the part of the Jackson kernel outside [0, top]).
    let integral = |a: f64, b: f64| -> f64 {
        d.lambda
            .windows(2)
            .zip(d.density.windows(2))
            .filter(|(l, _)| l[0] >= a && l[1] <= b)
            .map(|(l, g)| 0.5 * (g[0] + g[1]) * (l[1] - l[0]))
            .sum()
    };
    let top = *d.lambda.last().unwrap();
    assert!(
        (integral(0.0, top) / n - 1.0).abs() < 0.03,
        "{}",
        integral(0.0, top) / n
    );
    let window = 10.0 * d.resolution;
    let mut a = 0.1 * top;
    while a + window < 0.95 * top {
        let count = dense
            .modes
            .eigenvalues
            .iter()
            .filter(|l| **l >= a && **l < a + window)
            .count() as f64;
        let kpm = integral(a, a + window);
        // Edge smearing (≈ resolution × local density at both edges) plus ~3σ noise.
        let tol = 0.25 * count + 3.0 * (count.max(1.0)).sqrt() + 5.0;
        assert!(
            (kpm - count).abs() < tol,
            "[{a:.4}, {:.4}): KPM {kpm:.1} vs {count}",
            a + window
        );
        a += window;
    }
}

fn diagnostic(r: &nonaffine_core::SpectrumResult, name: &str) -> f64 {
    r.diagnostics
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no diagnostic {name}"))
        .1
}

/// With its defaults the quadrature stops by Eq. (33a) well before the step
/// limit, and the response sums at response-like shifts (z = x² − i·x·g with x
/// from 1e-6 to 1e-2 of the top frequency, where R_ab(z) is closest to
/// R_ab(0)) equal the dense mode sums to 1e-6.
#[test]
fn default_quadrature_stops_when_the_response_sums_converge() {
    let network = Network::new(5, 9);
    let dense = network.dense();
    let r = solver("vdos=false").solve(&network.problem()).unwrap();
    assert!(r.density.is_none());
    let steps = diagnostic(&r, "block_steps");
    let change = diagnostic(&r, "response_sum_change");
    assert!(
        steps < 400.0 && change < 1e-9,
        "{steps} steps, change {change}"
    );
    let top = dense.modes.eigenvalues.last().copied().unwrap();
    let w = top.sqrt();
    let floor = 1e-8 * top;
    let mut worst: f64 = 0.0;
    for k in 0..40 {
        let x = w * 10f64.powf(-6.0 + 4.0 * k as f64 / 39.0);
        let z = Complex64::new(x * x, -x * 1e-2 * w);
        let want = dense.modes.resolvent_sum(z, floor);
        let got = r.modes.resolvent_sum(z, floor);
        let scale = (0..6).map(|a| want[a][a].norm()).fold(0.0_f64, f64::max);
        for e in 0..36 {
            worst = worst.max((got[e / 6][e % 6] - want[e / 6][e % 6]).norm() / scale);
        }
    }
    eprintln!("{steps} steps, change {change:.1e}, worst deviation {worst:.1e}");
    assert!(worst < 1e-6, "worst relative deviation {worst:.2e}");
}

/// The projected densities from the quadrature's moments (Eq. (33a): exact
/// for k < 2·steps) equal those from products with the Ξ columns.
#[test]
fn projected_moments_from_the_quadrature_equal_the_product_moments() {
    let network = Network::new(4, 3);
    let problem = network.problem();
    let common = "tolerance=0,moments=64,random_vectors=1,grid=300";
    let from_rule = solver(&format!("steps=40,{common}"))
        .solve(&problem)
        .unwrap();
    let from_products = solver(&format!("steps=10,{common}"))
        .solve(&problem)
        .unwrap();
    let (a, b) = (from_rule.density.unwrap(), from_products.density.unwrap());
    let scale = b
        .projected
        .iter()
        .flat_map(|x| x.iter())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    for (x, y) in a.projected.iter().zip(&b.projected) {
        for c in 0..6 {
            assert!((x[c] - y[c]).abs() < 1e-9 * scale, "{} vs {}", x[c], y[c]);
        }
    }
}

/// The reported `vdos_relative_error` (Eq. (33c)) is the size of the actual
/// error: against the same Jackson-smoothed density built from the dense
/// eigenvalues (exact moments Σ_p T_k(x_p)), the error at each λ, scaled by
/// the estimate there (ε·sqrt(ρ_mean/ρ)·(1 − x²)^{-1/4}), has an RMS between
/// 0.5 and 1.5 over the interior of the spectrum; and it falls with the
/// number of random vectors as 1/sqrt(R).
#[test]
fn vdos_error_estimate_matches_the_actual_error() {
    let network = Network::new(4, 2);
    let problem = network.problem();
    let dense = network.dense();
    let n = network.xi.len();
    let scaled_rms = |params: &str| -> (f64, f64) {
        let r = solver(params).solve(&problem).unwrap();
        let eps = diagnostic(&r, "vdos_relative_error");
        let (low, high) = (
            diagnostic(&r, "spectrum_low"),
            diagnostic(&r, "spectrum_high"),
        );
        let width = high - low;
        let (lo, hi) = (low.min(0.0) - 0.01 * width, high + 0.01 * width);
        let (c, h) = (0.5 * (lo + hi), 0.5 * (hi - lo));
        let k_max = diagnostic(&r, "moments") as usize;
        let g = spectrum_lanczos::jackson(k_max);
        let thetas: Vec<f64> = dense
            .modes
            .eigenvalues
            .iter()
            .map(|l| ((l - c) / h).clamp(-1.0, 1.0).acos())
            .collect();
        let mu: Vec<f64> = (0..k_max)
            .map(|k| thetas.iter().map(|t| (k as f64 * t).cos()).sum())
            .collect();
        let d = r.density.unwrap();
        let mean = n as f64 / (2.0 * h);
        let (mut sum, mut count) = (0.0, 0.0);
        for (l, est) in d.lambda.iter().zip(&d.density) {
            let x = (l - c) / h;
            if x.abs() > 0.8 {
                continue;
            }
            let t = x.acos();
            let mut s = g[0] * mu[0];
            for k in 1..k_max {
                s += 2.0 * g[k] * mu[k] * (k as f64 * t).cos();
            }
            let exact = s / (std::f64::consts::PI * h * (1.0 - x * x).sqrt());
            if exact < 0.2 * mean {
                continue;
            }
            let sigma = eps * (mean * exact).sqrt() * (1.0 - x * x).powf(-0.25);
            sum += ((est - exact) / sigma).powi(2);
            count += 1.0;
        }
        ((sum / count).sqrt(), eps)
    };
    let (rms, eps) = scaled_rms("steps=10,moments=128,vdos_error=0.1,grid=2000");
    eprintln!("estimate {eps:.3}: actual/estimate RMS {rms:.2}");
    assert!(
        eps <= 0.1 && (0.5..1.5).contains(&rms),
        "{rms} at ε = {eps}"
    );
    let (rms4, eps4) = scaled_rms("steps=10,moments=128,vdos_error=0.05,grid=2000");
    eprintln!("estimate {eps4:.3}: actual/estimate RMS {rms4:.2}");
    assert!(
        eps4 <= 0.05 && (0.5..1.5).contains(&rms4),
        "{rms4} at ε = {eps4}"
    );
}

/// The defaults scale with the size: the moments follow the spectral width
/// and the resolution, not N (a 4× larger network of the same springs:
/// K in the ratio of the half-ranges), the random vectors fall with 3N at
/// the same error.
#[test]
fn default_vectors_fall_with_size_and_moments_do_not_depend_on_it() {
    let small = Network::new(3, 5);
    let large = Network::of_box([6, 6, 3], 5);
    let run = |net: &Network| {
        solver("steps=5,tolerance=0,grid=100")
            .solve(&net.problem())
            .unwrap()
    };
    let (a, b) = (run(&small), run(&large));
    // K is proportional to the half-range, whatever the size (Eq. (33b)).
    let half = |r: &nonaffine_core::SpectrumResult| {
        diagnostic(r, "spectrum_high") - diagnostic(r, "spectrum_low").min(0.0)
    };
    let (ka, kb) = (diagnostic(&a, "moments"), diagnostic(&b, "moments"));
    assert!(
        (kb / ka - half(&b) / half(&a)).abs() < 0.02,
        "K {ka} vs {kb}, half-ranges {} vs {}",
        half(&a),
        half(&b)
    );
    let (ra, rb) = (
        diagnostic(&a, "random_vectors"),
        diagnostic(&b, "random_vectors"),
    );
    assert!(rb < ra, "R {ra} (3N = {}) vs {rb}", small.xi.len());
    for r in [&a, &b] {
        assert!(diagnostic(r, "vdos_relative_error") <= 0.1);
    }
}

/// Progress arrives in D·v products: the last position is the products the
/// solver reports, never beyond the announced total, with status lines from
/// the quadrature and the KPM.
#[test]
fn progress_counts_the_products() {
    use std::sync::Mutex;
    #[derive(Default)]
    struct Record(Mutex<(u64, u64, Vec<String>)>);
    impl nonaffine_core::Progress for Record {
        fn set_total(&self, total: u64) {
            self.0.lock().unwrap().0 = total;
        }
        fn set_position(&self, done: u64) {
            let mut r = self.0.lock().unwrap();
            r.1 = r.1.max(done);
            assert!(done <= r.0, "position {done} beyond total {}", r.0);
        }
        fn message(&self, text: &str) {
            self.0.lock().unwrap().2.push(text.to_string());
        }
    }
    let network = Network::new(3, 4);
    let record = Record::default();
    let r = solver("moments=64,random_vectors=3")
        .solve_with_progress(&network.problem(), &record)
        .unwrap();
    let (total, position, messages) = record.0.into_inner().unwrap();
    assert_eq!(position as f64, diagnostic(&r, "products"));
    assert_eq!(total, position);
    assert!(messages.iter().any(|m| m.contains("quadrature step")));
    assert!(messages.iter().any(|m| m.contains("KPM")));
}
