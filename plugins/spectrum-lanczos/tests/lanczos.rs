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
    let r = solver("steps=80,moments=64,random_vectors=2")
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
