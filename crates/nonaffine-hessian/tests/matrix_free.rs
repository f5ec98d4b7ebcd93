//! The matrix-free D·v ([`MatrixFreeHessian`]) against the stored analytic CSR
//! matrix (an independent assembly: block rows summed from bond and density-
//! gradient lists) and against central differences of the forces of
//! `nonaffine-forces` (an independent first-derivative code).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use nonaffine_core::{EamForm, Potential, Structure, SymmetricOperator};
use nonaffine_forces::evaluate;
use nonaffine_hessian::{
    compute_with_form, AnalyticDerivatives, HessianOperator, HessianOptions, HessianProducts,
    MatrixFreeHessian,
};
use support::*;

fn products(form: &dyn EamForm, s: &Structure) -> HessianProducts {
    let options = HessianOptions {
        relaxed: false,
        ..Default::default()
    };
    compute_with_form(s, form, &options).unwrap().products
}

/// D·v, the diagonal of D and Ξ of the operator against the stored matrix
/// and force fields, for three random vectors.
fn check_against_stored(label: &str, form: &dyn EamForm, s: &Structure, diagonal: bool) {
    let p = products(form, s);
    let d = p.mass_weighted();
    let mut op = MatrixFreeHessian::new(form, s).unwrap();
    assert_eq!(op.dim(), d.nrows());
    for seed in 1..=3 {
        let v = random_vector(op.dim(), seed);
        let want = csr_times(&d, &v);
        let mut got = vec![f64::NAN; op.dim()];
        // The portable loops and the vector instructions (where the processor
        // has them) do the same arithmetic: equal results.
        op.use_vector_instructions(false);
        op.apply(&v, &mut got);
        let portable = got.clone();
        op.use_vector_instructions(true);
        op.apply(&v, &mut got);
        assert!(
            got == portable,
            "{label}: vector and portable products differ"
        );
        let rel = relative_difference(&got, &want);
        eprintln!("{label}: ‖Dv(matrix-free) − Dv(CSR)‖/‖Dv‖ = {rel:.2e}");
        assert!(rel < 1e-12, "{label}: D·v differs by {rel:e}");
    }
    let xi = op.force_fields();
    let flat = |x: &[[f64; 6]]| x.iter().flatten().copied().collect::<Vec<f64>>();
    let rel = relative_difference(&flat(&xi), &flat(&p.xi));
    eprintln!("{label}: Ξ relative difference {rel:.2e}");
    assert!(rel < 1e-12, "{label}: Ξ differs by {rel:e}");
    let rel = relative_difference(
        &flat(&op.force_fields_mass_weighted()),
        &flat(&p.xi_mass_weighted()),
    );
    assert!(rel < 1e-12, "{label}: M^-1/2 Ξ differs by {rel:e}");
    // C^B, σ and forces from the pair list against the bond lists.
    let (born, stress) = op.born_and_stress_gpa(s.cell.volume());
    let rel = relative_difference(&born.concat(), &p.born_gpa.concat());
    assert!(rel < 1e-12, "{label}: C^B differs by {rel:e}");
    let big = p
        .born_gpa
        .iter()
        .flatten()
        .fold(0.0f64, |m, x| m.max(x.abs()));
    for (k, (a, b)) in stress.iter().zip(&p.stress_gpa).enumerate() {
        let d = (a - b).abs();
        assert!(d <= 1e-12 * big, "{label}: σ[{k}] differs by {d:e} GPa");
    }
    let want_f = AnalyticDerivatives::new(form, s).unwrap().forces();
    let rel = relative_difference(&op.forces().concat(), &want_f.concat());
    assert!(rel < 1e-12, "{label}: forces differ by {rel:e}");
    if diagonal {
        // The 3×3 diagonal blocks of H (the relaxed moduli's preconditioner).
        let want = HessianOperator::diagonal_blocks(&p.hessian);
        let got = HessianOperator::diagonal_blocks(&op);
        let flat3 = |b: &[nalgebra::Matrix3<f64>]| {
            b.iter()
                .flat_map(|m| m.iter().copied().collect::<Vec<_>>())
                .collect::<Vec<f64>>()
        };
        let rel = relative_difference(&flat3(&got), &flat3(&want));
        assert!(rel < 1e-12, "{label}: diagonal blocks differ by {rel:e}");
        let want: Vec<f64> = (0..d.nrows())
            .map(|i| d.get_entry(i, i).map_or(0.0, |e| e.into_value()))
            .collect();
        let rel = relative_difference(&op.diagonal(), &want);
        assert!(rel < 1e-12, "{label}: diagonal differs by {rel:e}");
        let max = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!((op.max_diagonal() - max).abs() <= 1e-12 * max);
    }
}

#[test]
fn cuzr_product_equals_the_stored_matrix() {
    let pot = cuzr_potential();
    // 432 atoms in a cell wider than twice the cutoff (each neighbour once) ...
    check_against_stored(
        "CuZr 432",
        pot.form().unwrap(),
        &cuzr(6, [0.9, -0.5, 0.3], 0.2, 11),
        true,
    );
    // ... and 128 atoms in a 13 Å cell, where several images of one atom (and
    // of an atom itself) interact. The diagonal is exact only in wide cells.
    check_against_stored(
        "CuZr 128, small cell",
        pot.form().unwrap(),
        &cuzr(4, [1.3, 0.4, -0.8], 0.2, 7),
        false,
    );
}

#[test]
fn lennard_jones_product_equals_the_stored_matrix() {
    let lj = potential_lj::kob_andersen();
    check_against_stored(
        "Kob-Andersen 432",
        &lj,
        &kob_andersen_lattice(6, [0.7, -0.4, 0.3], 0.15, 5),
        true,
    );
}

#[test]
fn smooth_eam_product_matches_finite_differences_of_forces() {
    // D v ≈ −M^{-1/2} (f(x + h u) − f(x − h u)) / 2h with u = M^{-1/2} v: the
    // error of the central difference is O(h²) ~ 1e-9 relative here.
    let form = SmoothFs::default();
    let s = cuzr(4, [1.3, 0.4, -0.8], 0.2, 7);
    let op = MatrixFreeHessian::new(&form, &s).unwrap();
    let w: Vec<f64> = s
        .masses()
        .iter()
        .flat_map(|m| [1.0 / m.sqrt(); 3])
        .collect();
    for seed in [5, 6] {
        let v = random_vector(op.dim(), seed);
        let u: Vec<f64> = v.iter().zip(&w).map(|(x, w)| x * w).collect();
        let scale = 1e-4 / u.iter().map(|x| x * x).sum::<f64>().sqrt();
        let moved = |sign: f64| {
            let mut t = s.clone();
            for (a, x) in t.positions.iter_mut().enumerate() {
                for k in 0..3 {
                    x[k] += sign * scale * u[3 * a + k];
                }
            }
            evaluate(&form, &t).unwrap().forces_ev_per_a
        };
        let (fp, fm) = (moved(1.0), moved(-1.0));
        let want: Vec<f64> = (0..op.dim())
            .map(|r| -(fp[r / 3][r % 3] - fm[r / 3][r % 3]) / (2.0 * scale) * w[r])
            .collect();
        let mut got = vec![0.0; op.dim()];
        op.apply(&v, &mut got);
        let rel = relative_difference(&got, &want);
        eprintln!("smooth FS: ‖Dv − FD‖/‖FD‖ = {rel:.2e}");
        assert!(rel < 1e-7, "D·v against finite differences: {rel:e}");
    }
}

#[test]
fn potential_species_are_matched_by_name() {
    let pot = cuzr_potential();
    let s = cuzr(3, [0.0; 3], 0.1, 2);
    let mut swapped = s.clone();
    swapped.species.reverse();
    swapped.types.iter_mut().for_each(|t| *t = 1 - *t);
    let a = MatrixFreeHessian::from_potential(&s, &pot).unwrap();
    let b = MatrixFreeHessian::from_potential(&swapped, &pot).unwrap();
    let v = random_vector(a.dim(), 9);
    let (mut ya, mut yb) = (vec![0.0; a.dim()], vec![0.0; a.dim()]);
    a.apply(&v, &mut ya);
    b.apply(&v, &mut yb);
    assert_eq!(ya, yb);
    // 38 bytes per pair (module docs) and a few doubles per atom.
    assert!(a.bytes() >= 38 * a.pairs() && a.bytes() < 38 * a.pairs() + 128 * a.atoms());
    assert_eq!(a.atoms(), s.len());
}
