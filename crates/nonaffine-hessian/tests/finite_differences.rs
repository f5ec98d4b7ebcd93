//! The analytic H, Ξ, C^B and σ against central finite differences of the
//! project's own forces and energies (`nonaffine-forces`, an independent
//! first-derivative code), and the sum rules.
//!
//! The tables are only C¹ (LAMMPS' cubic pieces): the second derivative
//! jumps at every knot (Δr = 7.6e-4 Å), so a difference whose distances
//! straddle a knot within ±δ is off by up to ~1e-2 eV/Å². The criteria
//! (issue 4) respect this and still bite: median |ΔH| ≤ 1e-9 eV/Å², at least
//! 99.9% of entries within 1e-6 eV/Å², eigenvalues of the mass-weighted
//! matrices within 1e-4 relative; the same shape for Ξ.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop)]

mod support;

use nalgebra::DMatrix;
use nonaffine_core::units::GPA_PER_EV_PER_A3;
use nonaffine_core::{EamForm, Potential, Structure};
use nonaffine_forces::evaluate;
use nonaffine_hessian::{compute_with_form, AnalyticDerivatives, HessianOptions};
use support::*;

/// Central-difference Hessian −∂f/∂x with displacement `delta` Å.
fn fd_hessian(form: &dyn EamForm, s: &Structure, delta: f64) -> DMatrix<f64> {
    let n3 = 3 * s.len();
    let mut h = DMatrix::zeros(n3, n3);
    for col in 0..n3 {
        let mut plus = s.clone();
        plus.positions[col / 3][col % 3] += delta;
        let mut minus = s.clone();
        minus.positions[col / 3][col % 3] -= delta;
        let fp = evaluate(form, &plus).unwrap().forces_ev_per_a;
        let fm = evaluate(form, &minus).unwrap().forces_ev_per_a;
        for row in 0..n3 {
            h[(row, col)] = -(fp[row / 3][row % 3] - fm[row / 3][row % 3]) / (2.0 * delta);
        }
    }
    h
}

/// Central-difference Ξ_{m,a} = ∂f_m/∂η_a with strain step `h`.
fn fd_xi(form: &dyn EamForm, s: &Structure, h: f64) -> Vec<[f64; 6]> {
    let mut xi = vec![[0.0; 6]; 3 * s.len()];
    for a in 0..6 {
        let mut eta = [0.0; 6];
        eta[a] = h;
        let fp = evaluate(form, &strained(s, eta)).unwrap().forces_ev_per_a;
        eta[a] = -h;
        let fm = evaluate(form, &strained(s, eta)).unwrap().forces_ev_per_a;
        for (row, x) in xi.iter_mut().enumerate() {
            x[a] = (fp[row / 3][row % 3] - fm[row / 3][row % 3]) / (2.0 * h);
        }
    }
    xi
}

fn energy(form: &dyn EamForm, s: &Structure, eta: [f64; 6]) -> f64 {
    evaluate(form, &strained(s, eta)).unwrap().energy_ev
}

/// (1/V) ∂U/∂η and (1/V) ∂²U/∂η∂η by central differences of the energy, GPa.
fn fd_stress_and_born(form: &dyn EamForm, s: &Structure, h: f64) -> ([f64; 6], [[f64; 6]; 6]) {
    let scale = GPA_PER_EV_PER_A3 / s.cell.volume();
    let e0 = energy(form, s, [0.0; 6]);
    let at = |pairs: &[(usize, f64)]| {
        let mut eta = [0.0; 6];
        for (a, x) in pairs {
            eta[*a] += x;
        }
        energy(form, s, eta)
    };
    let mut stress = [0.0; 6];
    let mut born = [[0.0; 6]; 6];
    for a in 0..6 {
        let (ep, em) = (at(&[(a, h)]), at(&[(a, -h)]));
        stress[a] = (ep - em) / (2.0 * h) * scale;
        born[a][a] = (ep - 2.0 * e0 + em) / (h * h) * scale;
        for b in 0..a {
            let d = at(&[(a, h), (b, h)]) - at(&[(a, h), (b, -h)]) - at(&[(a, -h), (b, h)])
                + at(&[(a, -h), (b, -h)]);
            born[a][b] = d / (4.0 * h * h) * scale;
            born[b][a] = born[a][b];
        }
    }
    (stress, born)
}

/// H of `s` against finite differences, with the criteria.
fn check_hessian(label: &str, form: &dyn EamForm, s: &Structure) {
    let d = AnalyticDerivatives::new(form, s).unwrap();
    let (h, stats) = d.hessian();
    let h = dense(&h);
    let fd = fd_hessian(form, s, 1e-6);
    let ag = agreement(h.iter(), fd.iter(), 1e-6);
    let masses = s.masses();
    let ev = eigenvalues(&mass_weight(&h, &masses));
    let ev_fd = eigenvalues(&mass_weight(&fd, &masses));
    let rel = eigen_relative_difference(&ev_fd, &ev);
    eprintln!(
        "{label}: N = {}, {} pairs, {} blocks; |H − H_fd| median {:.1e}, max {:.1e} eV/Å², \
         {:.4}% of {} entries within 1e-6; eigenvalues of D: max relative difference {rel:.1e}",
        s.len(),
        stats.pairs,
        stats.blocks,
        ag.median,
        ag.max,
        100.0 * ag.fraction_within,
        ag.entries,
    );
    assert!(ag.median <= 1e-9, "{label}: median {:e}", ag.median);
    assert!(
        ag.fraction_within >= 0.999,
        "{label}: only {} within 1e-6",
        ag.fraction_within
    );
    assert!(
        rel <= 1e-4,
        "{label}: eigenvalues differ by {rel:e} (relative)"
    );
}

/// Knot spacings of a tabulated potential: (Δr in Å, Δρ).
type Knots = (f64, f64);

/// Rows (3m+α) of Ξ column `a` whose central difference with strain step `h`
/// straddles a table knot: a pair distance crossing a multiple of Δr marks
/// both atoms; a host density crossing a multiple of Δρ marks the atom and
/// its neighbours. There the difference averages a jumping second derivative.
fn straddled_rows(form: &dyn EamForm, s: &Structure, a: usize, h: f64, knots: Knots) -> Vec<bool> {
    let (dr, drho) = knots;
    let mut marked = vec![false; s.len()];
    let list = nonaffine_forces::NeighborList::build(s, form.cutoff()).unwrap();
    let e = strain_matrix(a);
    let grow = |d: [f64; 3], x: f64| -> f64 {
        let v: Vec<f64> = (0..3)
            .map(|i| d[i] + x * (e[i][0] * d[0] + e[i][1] * d[1] + e[i][2] * d[2]))
            .collect();
        (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
    };
    for p in list.pairs() {
        if (grow(p.delta, h) / dr).floor() != (grow(p.delta, -h) / dr).floor() {
            marked[p.i] = true;
            marked[p.j] = true;
        }
    }
    let mut eta = [0.0; 6];
    eta[a] = h;
    let rp = evaluate(form, &strained(s, eta)).unwrap().density;
    eta[a] = -h;
    let rm = evaluate(form, &strained(s, eta)).unwrap().density;
    let hosts: Vec<usize> = (0..s.len())
        .filter(|&k| (rp[k] / drho).floor() != (rm[k] / drho).floor())
        .collect();
    for p in list.pairs() {
        if hosts.contains(&p.i) || hosts.contains(&p.j) {
            marked[p.i] = true;
            marked[p.j] = true;
        }
    }
    marked.iter().flat_map(|m| [*m; 3]).collect()
}

/// How the affine quantities are checked.
struct AffineCheck {
    /// Strain step of the force differences (Ξ).
    xi_step: f64,
    /// Strain step of the energy differences (C^B, σ).
    energy_step: f64,
    /// Tolerance on C^B relative to its largest entry.
    born_tolerance: f64,
    /// Knots of a tabulated potential: Ξ rows straddling one are compared separately.
    knots: Option<Knots>,
}

fn check_affine(label: &str, form: &dyn EamForm, s: &Structure, check: &AffineCheck) {
    let d = AnalyticDerivatives::new(form, s).unwrap();
    let xi = d.force_fields();
    let h = check.xi_step;
    let fd = fd_xi(form, s, h);
    let (mut clean, mut clean_fd, mut knotted) = (Vec::new(), Vec::new(), 0.0f64);
    let mut n_knotted = 0;
    for a in 0..6 {
        let marked = match check.knots {
            Some(k) => straddled_rows(form, s, a, h, k),
            None => vec![false; xi.len()],
        };
        for row in 0..xi.len() {
            if marked[row] {
                knotted = knotted.max((xi[row][a] - fd[row][a]).abs());
                n_knotted += 1;
            } else {
                clean.push(xi[row][a]);
                clean_fd.push(fd[row][a]);
            }
        }
    }
    let ag = agreement(&clean, &clean_fd, 1e-6);
    let (born, stress) = d.born_and_stress_gpa();
    let (fd_stress, fd_born) = fd_stress_and_born(form, s, check.energy_step);
    let big = born.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
    let born_dev = born
        .iter()
        .flatten()
        .zip(fd_born.iter().flatten())
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / big;
    let stress_dev = stress
        .iter()
        .zip(&fd_stress)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    // The engine's virial is an independent first-derivative code: σ = −W/V.
    let w = evaluate(form, s).unwrap().virial_ev;
    let virial_dev = stress.iter().zip(&w).fold(0.0f64, |m, (x, w)| {
        m.max((x + w / s.cell.volume() * GPA_PER_EV_PER_A3).abs())
    });
    eprintln!(
        "{label}: |Ξ − Ξ_fd| (strain step {h:.0e}) median {:.1e}, max {:.1e} eV/Å, {:.4}% of {} within 1e-6; \
         {n_knotted} entries straddling a knot, max deviation {knotted:.1e} eV/Å; \
         C^B vs energy differences {born_dev:.1e} of max |C^B| = {big:.1} GPa; \
         σ = {stress:.4?} GPa, vs energy differences {stress_dev:.1e} GPa, vs −virial/V {virial_dev:.1e} GPa",
        ag.median,
        ag.max,
        100.0 * ag.fraction_within,
        ag.entries,
    );
    assert!(ag.median <= 1e-9, "{label}: Ξ median {:e}", ag.median);
    assert!(
        ag.fraction_within >= 0.999,
        "{label}: Ξ within 1e-6: {}",
        ag.fraction_within
    );
    // Half the largest jump of ψ'' (~1e-2 eV/Å²) times the cutoff, per straddle.
    assert!(
        knotted <= 0.1,
        "{label}: Ξ at knots off by {knotted:e} eV/Å"
    );
    assert!(
        born_dev <= check.born_tolerance,
        "{label}: C^B deviates by {born_dev:e} of its largest entry"
    );
    assert!(
        stress_dev <= 1e-6,
        "{label}: σ deviates by {stress_dev:e} GPa"
    );
    assert!(
        virial_dev <= 1e-9,
        "{label}: σ vs virial {virial_dev:e} GPa"
    );
}

fn check_sum_rules(label: &str, form: &dyn EamForm, s: &Structure) {
    let run = compute_with_form(
        s,
        form,
        &HessianOptions {
            relaxed: false,
            ..Default::default()
        },
    )
    .unwrap();
    let h = &run.products.hessian;
    let r = &run.report;
    let transposed = h.transpose();
    assert_eq!(h, &transposed, "{label}: H is not exactly symmetric");
    eprintln!(
        "{label}: max |Σ_j H_ij| {:.1e}, max |Σ_i Ξ_i| {:.1e} (relative)",
        r.assembly.max_row_sum, r.max_xi_sum
    );
    assert!(
        r.assembly.max_row_sum <= 1e-10,
        "{label}: Σ_j H_ij = {:e}",
        r.assembly.max_row_sum
    );
    assert!(
        r.max_xi_sum <= 1e-12,
        "{label}: Σ_i Ξ_i = {:e}",
        r.max_xi_sum
    );
    assert_eq!(r.assembly.nnz, h.nnz());
    assert_eq!(r.assembly.nnz, 9 * r.assembly.blocks);
}

/// 128 atoms in a triclinic cell 13 Å wide, less than twice the 7.6 Å cutoff:
/// several images of the same neighbour, and of an atom itself, interact.
fn small_cuzr() -> Structure {
    cuzr(4, [1.3, 0.4, -0.8], 0.2, 7)
}

/// All three checks of a form without table knots: H, then Ξ and C^B with
/// energy differences to 1e-6, then the sum rules.
fn check_knotless(label: &str, form: &dyn EamForm, s: &Structure) {
    check_hessian(label, form, s);
    check_affine(
        label,
        form,
        s,
        &AffineCheck {
            xi_step: 1e-6,
            energy_step: 1e-4,
            born_tolerance: 1e-6,
            knots: None,
        },
    );
    check_sum_rules(label, form, s);
}

#[test]
fn smooth_eam_hessian_force_fields_and_born_moduli_match_finite_differences() {
    // Every embedding term, with no table knots: the criteria hold
    // for H and Ξ alike, and C^B agrees with energy differences to 1e-6.
    check_knotless("smooth FS 128", &SmoothFs::default(), &small_cuzr());
}

#[test]
fn cuzr_hessian_matches_finite_differences_of_forces() {
    let p = cuzr_potential();
    check_hessian(
        "CuZr 128, small triclinic cell",
        p.form().unwrap(),
        &small_cuzr(),
    );
}

#[test]
fn cuzr_force_fields_born_moduli_and_stress_match_finite_differences() {
    // Tables: Ξ rows whose differences straddle a knot (Δr = 7.6e-4 Å,
    // Δρ = 0.03) are compared separately; strains of 3e-5 move every distance
    // across tens of knots, whose second-derivative jumps average out in C^B
    // to ~3e-5 of its largest entry.
    let p = cuzr_potential();
    check_affine(
        "CuZr 128, small triclinic cell",
        p.form().unwrap(),
        &small_cuzr(),
        &AffineCheck {
            xi_step: 1e-6,
            energy_step: 3e-5,
            born_tolerance: 1e-4,
            knots: Some((7.6e-4, 3e-2)),
        },
    );
}

#[test]
fn cuzr_sum_rules() {
    let p = cuzr_potential();
    check_sum_rules("CuZr 128", p.form().unwrap(), &small_cuzr());
    // A larger cell, where each neighbour appears once.
    check_sum_rules(
        "CuZr 1024",
        p.form().unwrap(),
        &cuzr(8, [0.5, -0.3, 0.2], 0.2, 3),
    );
}

#[test]
fn lennard_jones_hessian_and_affine_quantities_match_finite_differences() {
    let lj = potential_lj::kob_andersen();
    let s = kob_andersen_lattice(4, [0.7, -0.4, 0.3], 0.15, 5);
    check_knotless("Kob-Andersen 128", &lj, &s);
}

#[test]
fn thread_count_does_not_change_the_result() {
    let p = cuzr_potential();
    let s = small_cuzr();
    let run_with = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let d = AnalyticDerivatives::new(p.form().unwrap(), &s).unwrap();
            (d.hessian().0, d.force_fields(), d.born_and_stress_gpa())
        })
    };
    assert!(
        run_with(1) == run_with(2),
        "results depend on the thread count"
    );
}
