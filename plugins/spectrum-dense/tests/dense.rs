//! The dense solver against closed forms, an independent eigensolver and sum rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{ModesKind, SpectrumProblem, SpectrumSolver, SymmetricOperator};
use nonaffine_spectrum::CsrOperator;
use nonaffine_springs::{ScalarCubic, SpringNetwork};
use spectrum_dense::DenseSolver;

mod network;
use network::Network;

fn diagnostic(r: &nonaffine_core::SpectrumResult, name: &str) -> f64 {
    r.diagnostics.iter().find(|(n, _)| n == name).unwrap().1
}

/// Simple-cubic scalar springs: ω² = (4k/m) Σ_a sin²(π n_a/M), three times each.
#[test]
fn simple_cubic_matches_the_analytic_phonon_spectrum() {
    let model = ScalarCubic {
        cells: 5,
        spacing_a: 2.6,
        stiffness_ev_per_a2: 1.7,
        mass_amu: 63.546,
    };
    let products = model.products(7);
    let (op, xi) = CsrOperator::mass_weighted(&products);
    let r = DenseSolver::default()
        .solve(&SpectrumProblem {
            operator: &op,
            xi: &xi,
            debye_omega: None,
        })
        .unwrap();
    let exact = model.analytic_eigenvalues();
    let top = exact[exact.len() - 1];
    assert_eq!(r.modes.len(), exact.len());
    for (got, want) in r.modes.eigenvalues.iter().zip(&exact) {
        assert!((got - want).abs() < 1e-13 * top, "{got} vs {want}");
    }
    // Exactly three zero modes, carrying no Ξ̂ weight (Σ_i Ξ_i = 0).
    assert!(r.modes.eigenvalues[..3]
        .iter()
        .all(|l| l.abs() < 1e-13 * top));
    assert!(r.modes.eigenvalues[3] > 1e-3 * top);
    for x in &r.modes.projections[..3] {
        assert!(x.iter().all(|v| v.abs() < 1e-12), "{x:?}");
    }
    assert_eq!(r.modes.kind, Some(ModesKind::Complete));
}

#[test]
fn network_residuals_orthogonality_and_completeness() {
    let products = SpringNetwork::default().products();
    let (op, xi) = CsrOperator::mass_weighted(&products);
    let r = DenseSolver::default()
        .solve(&SpectrumProblem {
            operator: &op,
            xi: &xi,
            debye_omega: None,
        })
        .unwrap();
    let n = op.dim();
    let eps = f64::EPSILON * (n as f64).sqrt();
    assert!(
        diagnostic(&r, "max_residual_relative") < 10.0 * eps,
        "{:?}",
        r.diagnostics
    );
    assert!(
        diagnostic(&r, "rms_residual_relative") < 10.0 * eps,
        "{:?}",
        r.diagnostics
    );
    assert!(
        diagnostic(&r, "orthogonality_error") < 10.0 * eps * (n as f64).sqrt(),
        "{:?}",
        r.diagnostics
    );
    // Completeness: Σ_p Ξ̂_{p,a} Ξ̂_{p,b} = (M^{-1/2}Ξ_a)·(M^{-1/2}Ξ_b).
    for a in 0..6 {
        for b in 0..6 {
            let sum: f64 = r.modes.projections.iter().map(|x| x[a] * x[b]).sum();
            let direct: f64 = xi.iter().map(|x| x[a] * x[b]).sum();
            let scale: f64 = xi
                .iter()
                .map(|x| x[a] * x[a])
                .sum::<f64>()
                .max(xi.iter().map(|x| x[b] * x[b]).sum());
            assert!(
                (sum - direct).abs() < 1e-12 * scale,
                "({a},{b}): {sum} vs {direct}"
            );
        }
    }
    // Three zero modes, the rest positive; participation ratios in (0, 1].
    let top = r.modes.eigenvalues[n - 1];
    assert_eq!(
        r.modes
            .eigenvalues
            .iter()
            .filter(|l| l.abs() < 1e-10 * top)
            .count(),
        3
    );
    assert!(r
        .modes
        .participation
        .iter()
        .all(|p| *p > 0.0 && *p <= 1.0 + 1e-12));
}

/// nalgebra's pure-Rust SymmetricEigen (an independent implementation) agrees.
#[test]
fn network_eigenvalues_match_nalgebra() {
    let network = Network::new(2, SpringNetwork::default().seed);
    let r = DenseSolver::default().solve(&network.problem()).unwrap();
    let dense = nalgebra_sparse::convert::serial::convert_csr_dense(&network.op.0);
    let mut other: Vec<f64> = dense
        .symmetric_eigen()
        .eigenvalues
        .iter()
        .copied()
        .collect();
    other.sort_by(f64::total_cmp);
    let top = other[other.len() - 1];
    for (a, b) in r.modes.eigenvalues.iter().zip(&other) {
        assert!((a - b).abs() < 1e-12 * top, "{a} vs {b}");
    }
}

#[test]
fn mismatched_sizes_are_an_error() {
    let network = Network::new(2, SpringNetwork::default().seed);
    let e = DenseSolver::default()
        .solve(&SpectrumProblem {
            xi: &network.xi[..6],
            ..network.problem()
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("Ξ has 6"), "{e}");
}
