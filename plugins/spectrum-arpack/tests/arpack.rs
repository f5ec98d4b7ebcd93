//! ARPACK's lowest modes against the dense solver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../spectrum-dense/tests/network/mod.rs"]
mod network;

use network::Network;
use nonaffine_core::{
    DiagonalOperator, Params, SpectrumProblem, SpectrumSolver, SymmetricOperator,
};
use nonaffine_spectrum::CsrOperator;
use nonaffine_springs::{ScalarCubic, SpringNetwork};
use spectrum_arpack::cholesky::ShiftedCholesky;

fn solver(text: &str) -> Box<dyn SpectrumSolver> {
    spectrum_arpack::build(&Params::from_pairs("p", text).unwrap()).unwrap()
}

/// Every mode and inner solve gives the lowest k eigenvalues of the dense solver to 1e-8
/// relative (of the eigenvalue; absolute near the zero modes), with the same
/// |Ξ̂| for non-degenerate modes.
#[test]
fn lowest_modes_equal_dense_ones() {
    let network = Network::new(4, 5);
    let problem = network.problem();
    let dense = network.dense();
    let top = dense.modes.eigenvalues.last().copied().unwrap();
    for mode in ["shift-invert", "shift-invert,inner=cg", "regular"] {
        let r = solver(&format!("modes=40,mode={mode}"))
            .solve(&problem)
            .unwrap();
        assert_eq!(r.modes.len(), 40, "{mode}");
        for (p, (a, b)) in r
            .modes
            .eigenvalues
            .iter()
            .zip(&dense.modes.eigenvalues)
            .enumerate()
        {
            let tol = 1e-8 * b.abs().max(1e-6 * top);
            assert!((a - b).abs() < tol, "{mode} mode {p}: {a} vs {b}");
        }
        let residual = r
            .diagnostics
            .iter()
            .find(|(n, _)| n == "max_residual_relative")
            .unwrap()
            .1;
        assert!(residual < 1e-8, "{mode}: {residual}");
        // Projections of isolated modes agree up to sign.
        for p in 3..40 {
            let l = dense.modes.eigenvalues[p];
            let isolated = (p == 0 || (l - dense.modes.eigenvalues[p - 1]).abs() > 1e-6 * l)
                && (l - dense.modes.eigenvalues[p + 1]).abs() > 1e-6 * l;
            if isolated {
                for a in 0..6 {
                    let (x, y) = (
                        r.modes.projections[p][a].abs(),
                        dense.modes.projections[p][a].abs(),
                    );
                    assert!(
                        (x - y).abs() < 1e-6 * (1.0 + y),
                        "{mode} Ξ̂[{p}][{a}] {x} vs {y}"
                    );
                }
            }
        }
    }
}

/// The shift-invert factor solves (D − σ) y = x to a residual at rounding
/// level: ‖(D − σ)y − x‖ ≤ 1e-13·‖D − σ‖·‖y‖, with ‖D − σ‖ = λ_max − σ from
/// the dense solver, for σ just below the zero modes (as the solver picks it)
/// and well inside the spectrum's bottom.
#[test]
fn cholesky_solve_has_a_rounding_level_residual() {
    let network = Network::new(4, 9);
    let op = &network.op;
    let n = op.dim();
    let top = network.dense().modes.eigenvalues.last().copied().unwrap();
    let mut diag_max: f64 = 0.0;
    op.for_each_entry(&mut |i, j, v| {
        if i == j {
            diag_max = diag_max.max(v.abs());
        }
    });
    let x: Vec<f64> = (0..n).map(|k| (0.7 * k as f64).sin() + 0.1).collect();
    for shift in [1e-4, 1e-2] {
        let sigma = -shift * diag_max;
        let mut factor = ShiftedCholesky::new(op, sigma).unwrap();
        let mut y = vec![0.0; n];
        factor.solve(&x, &mut y);
        let mut dy = vec![0.0; n];
        op.apply(&y, &mut dy);
        let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
        let r: Vec<f64> = (0..n).map(|k| dy[k] - sigma * y[k] - x[k]).collect();
        let bound = 1e-13 * (top - sigma) * norm(&y);
        assert!(
            norm(&r) <= bound,
            "shift {shift}: ‖r‖ {:e} > {bound:e}",
            norm(&r)
        );
    }
}

/// The degenerate low end of the simple-cubic crystal: 3 zero modes, then
/// the 18-fold (4k/m) sin²(π/M) level. Single-vector Lanczos sees further
/// copies of an exactly degenerate level only through rounding noise, so
/// shift-invert (few restarts) gets a wider basis (ncv 60, default 43), with
/// which every copy is found; a glass has no such degeneracy beyond the zero
/// modes.
#[test]
fn simple_cubic_low_end_is_analytic() {
    let model = ScalarCubic {
        cells: 6,
        spacing_a: 2.5,
        stiffness_ev_per_a2: 2.0,
        mass_amu: 60.0,
    };
    let products = model.products(1);
    let (op, xi) = CsrOperator::mass_weighted(&products);
    let exact = model.analytic_eigenvalues();
    for params in ["modes=21,mode=regular", "modes=21,mode=shift-invert,ncv=60"] {
        let r = solver(params)
            .solve(&SpectrumProblem {
                operator: &op,
                xi: &xi,
                debye_omega: None,
            })
            .unwrap();
        for (a, b) in r.modes.eigenvalues.iter().zip(&exact) {
            assert!((a - b).abs() < 1e-10 * exact[20], "{params}: {a} vs {b}");
        }
    }
}

/// A negative eigenvalue below σ is reported by both inner solves, naming
/// the cause and the way out, not returned as modes.
#[test]
fn shift_invert_refuses_a_structure_not_at_a_minimum() {
    // diag(−1, 1, 2, …): not at a minimum.
    let op = DiagonalOperator(
        (0..30)
            .map(|k| if k == 0 { -1.0 } else { k as f64 })
            .collect(),
    );
    let xi = vec![[1.0; 6]; 30];
    for inner in ["cholesky", "cg"] {
        let e = solver(&format!("modes=5,mode=shift-invert,inner={inner}"))
            .solve(&SpectrumProblem {
                operator: &op,
                xi: &xi,
                debye_omega: None,
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not positive definite") && e.contains("mode: regular"),
            "{inner}: {e}"
        );
    }
}

#[test]
fn bad_parameters_are_explained() {
    let e = spectrum_arpack::build(&Params::from_pairs("p", "mode=fast").unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("p.mode") && e.contains("shift-invert, regular"),
        "{e}"
    );
    let e = spectrum_arpack::build(&Params::from_pairs("p", "inner=lu").unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("p.inner") && e.contains("cholesky, cg"), "{e}");
    let e = solver("modes=96")
        .solve(&Network::new(2, SpringNetwork::default().seed).problem())
        .unwrap_err()
        .to_string();
    assert!(e.contains("use the dense solver"), "{e}");
}
