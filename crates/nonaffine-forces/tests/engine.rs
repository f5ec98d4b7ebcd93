//! The engine against independent references: finite differences of its own
//! energy (forces, virial), symmetry (translation), brute-force image
//! enumeration (neighbour list) and explicit replication (small cells).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{Cell, EamForm, Radial, Species, Structure};
use nonaffine_forces::{evaluate, ForceError, NeighborList};
use std::collections::BTreeSet;

// The seeded generator of the shared fixtures (tests/support/lattice.rs).
#[path = "support/lattice.rs"]
mod lattice;
use lattice::Rng;

/// A smooth two-species EAM-form with closed-form derivatives and a density
/// that is deliberately unsymmetric (ρ_ab ≠ ρ_ba). Everything vanishes with
/// four derivatives at r_c, so finite differences never see a jump.
struct Analytic {
    rc: f64,
}

impl Analytic {
    const A: [[f64; 2]; 2] = [[0.02, 0.03], [0.03, 0.05]];
    const B: [[f64; 2]; 2] = [[0.010, 0.004], [0.025, 0.015]];
    const C: [f64; 2] = [1.2, 2.0];
    const D: [f64; 2] = [0.05, 0.02];

    fn g(&self, r: f64) -> (f64, f64, f64) {
        let x = self.rc - r;
        (x.powi(4), -4.0 * x.powi(3), 12.0 * x * x)
    }
}

impl EamForm for Analytic {
    fn species_count(&self) -> usize {
        2
    }
    fn cutoff(&self) -> f64 {
        self.rc
    }
    fn pair(&self, a: usize, b: usize, r: f64) -> Radial {
        if r >= self.rc {
            return Radial::default();
        }
        let (g, g1, g2) = self.g(r);
        let a = Self::A[a][b];
        Radial {
            value: a * g / r,
            d1: a * (g1 / r - g / (r * r)),
            d2: a * (g2 / r - 2.0 * g1 / (r * r) + 2.0 * g / (r * r * r)),
        }
    }
    fn density(&self, host: usize, neighbor: usize, r: f64) -> Radial {
        if r >= self.rc {
            return Radial::default();
        }
        let (g, g1, g2) = self.g(r);
        let b = Self::B[host][neighbor];
        Radial {
            value: b * g,
            d1: b * g1,
            d2: b * g2,
        }
    }
    fn embedding(&self, a: usize, rho: f64) -> Radial {
        let s = (rho + 1.0).sqrt();
        let (c, d) = (Self::C[a], Self::D[a]);
        Radial {
            value: -c * s + d * rho * rho,
            d1: -c / (2.0 * s) + 2.0 * d * rho,
            d2: c / (4.0 * s * s * s) + 2.0 * d,
        }
    }
}

/// A perturbed lattice of m³ sites with random types in a triclinic cell.
fn glassy(m: usize, spacing: f64, tilt: [f64; 3], jitter: f64, seed: u64) -> Structure {
    let mut rng = Rng(seed);
    let l = m as f64 * spacing;
    let cell = Cell::from_lammps(
        [0.3, -0.7, 1.1],
        [0.3 + l, -0.7 + l, 1.1 + l],
        tilt[0],
        tilt[1],
        tilt[2],
    );
    let mut positions = Vec::new();
    let mut types = Vec::new();
    for a in 0..m {
        for b in 0..m {
            for c in 0..m {
                let s = [
                    (a as f64 + 0.25) / m as f64,
                    (b as f64 + 0.5) / m as f64,
                    (c as f64 + 0.75) / m as f64,
                ];
                let mut x = cell.cartesian(s);
                for xk in &mut x {
                    *xk += jitter * rng.sym();
                }
                positions.push(x);
                types.push(usize::from(rng.next() < 0.5));
            }
        }
    }
    let n = positions.len();
    let species = vec![
        Species {
            name: "A".into(),
            mass_amu: 63.546,
        },
        Species {
            name: "B".into(),
            mass_amu: 91.224,
        },
    ];
    Structure::new(cell, species, types, positions, vec![[0; 3]; n]).unwrap()
}

fn energy(form: &dyn EamForm, s: &Structure) -> f64 {
    evaluate(form, s).unwrap().energy_ev
}

#[test]
fn forces_are_minus_the_finite_difference_gradient() {
    let form = Analytic { rc: 5.0 };
    let s = glassy(4, 2.6, [0.8, -0.5, 0.3], 0.25, 7);
    let ev = evaluate(&form, &s).unwrap();
    let h = 1e-5;
    let mut worst = 0.0f64;
    let fmax = ev
        .forces_ev_per_a
        .iter()
        .flatten()
        .fold(0.0f64, |m, f| m.max(f.abs()));
    for i in (0..s.len()).step_by(5) {
        for k in 0..3 {
            let mut p = s.clone();
            p.positions[i][k] += h;
            let up = energy(&form, &p);
            p.positions[i][k] -= 2.0 * h;
            let down = energy(&form, &p);
            let fd = -(up - down) / (2.0 * h);
            worst = worst.max((fd - ev.forces_ev_per_a[i][k]).abs());
        }
    }
    assert!(fmax > 0.1, "forces too small to test: {fmax}");
    assert!(
        worst < 1e-7 * fmax.max(1.0),
        "worst |F + dU/dx| = {worst} (max |F| {fmax})"
    );
}

/// Applies x → (1 + e) x to atoms and cell.
fn strained(s: &Structure, e: [[f64; 3]; 3]) -> Structure {
    let apply = |x: [f64; 3]| {
        let mut y = x;
        for a in 0..3 {
            for b in 0..3 {
                y[a] += e[a][b] * x[b];
            }
        }
        y
    };
    let mut out = s.clone();
    out.cell.origin = apply(s.cell.origin);
    for v in &mut out.cell.vectors {
        *v = apply(*v);
    }
    for x in &mut out.positions {
        *x = apply(*x);
    }
    out
}

#[test]
fn virial_is_minus_the_strain_derivative_of_the_energy() {
    let form = Analytic { rc: 5.0 };
    let s = glassy(4, 2.5, [0.6, 0.4, -0.9], 0.3, 11);
    let w = evaluate(&form, &s).unwrap().virial_ev;
    let voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)];
    let h = 1e-6;
    let wmax = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (v, &(a, b)) in voigt.iter().enumerate() {
        let mut e = [[0.0; 3]; 3];
        e[a][b] += 0.5 * h;
        e[b][a] += 0.5 * h;
        let up = energy(&form, &strained(&s, e));
        for row in &mut e {
            for x in row.iter_mut() {
                *x = -*x;
            }
        }
        let down = energy(&form, &strained(&s, e));
        let fd = -(up - down) / (2.0 * h);
        assert!(
            (fd - w[v]).abs() < 1e-6 * wmax,
            "component {v}: FD {fd} vs virial {}",
            w[v]
        );
    }
}

#[test]
fn translation_leaves_energy_and_forces_unchanged_and_forces_sum_to_zero() {
    let form = Analytic { rc: 5.0 };
    let s = glassy(4, 2.6, [1.0, 0.2, -0.4], 0.3, 3);
    let a = evaluate(&form, &s).unwrap();
    let mut t = s.clone();
    for x in &mut t.positions {
        x[0] += 3.71;
        x[1] -= 12.2;
        x[2] += 0.05;
    }
    let b = evaluate(&form, &t).unwrap();
    assert!((a.energy_ev - b.energy_ev).abs() < 1e-12 * a.energy_ev.abs());
    for (fa, fb) in a.forces_ev_per_a.iter().zip(&b.forces_ev_per_a) {
        for k in 0..3 {
            assert!((fa[k] - fb[k]).abs() < 1e-11, "{fa:?} vs {fb:?}");
        }
    }
    let sum: f64 = a.per_atom_energy_ev.iter().sum();
    assert!((sum - a.energy_ev).abs() < 1e-12 * a.energy_ev.abs());
    for k in 0..3 {
        let total: f64 = a.forces_ev_per_a.iter().map(|f| f[k]).sum();
        assert!(total.abs() < 1e-11, "net force {total}");
    }
}

/// Every (i, j, shift) with r < r_c by explicit loops over lattice images.
fn brute_force_pairs(s: &Structure, rc: f64, m: i32) -> BTreeSet<(usize, usize, [i32; 3])> {
    let mut out = BTreeSet::new();
    for i in 0..s.len() {
        for j in i..s.len() {
            for n0 in -m..=m {
                for n1 in -m..=m {
                    for n2 in -m..=m {
                        let n = [n0, n1, n2];
                        if j == i && n <= [0, 0, 0] {
                            continue;
                        }
                        let shift = s
                            .cell
                            .cartesian([f64::from(n0), f64::from(n1), f64::from(n2)]);
                        let r2: f64 = (0..3)
                            .map(|k| {
                                s.positions[j][k] - s.positions[i][k]
                                    + (shift[k] - s.cell.origin[k])
                            })
                            .map(|d| d * d)
                            .sum();
                        if r2 < rc * rc {
                            out.insert((i, j, n));
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn neighbour_list_equals_brute_force_image_enumeration() {
    // Cells about 4, 2 and 0.6 cutoffs wide: 3 bins per direction, 2 bins
    // (one bin seen through two images), and narrower than the cutoff (many
    // images, self-images); atoms scattered outside the cell.
    for (m, spacing, rc, images) in [(6, 2.6, 4.0, 4), (4, 2.6, 5.0, 5), (2, 1.4, 5.0, 9)] {
        let mut s = glassy(m, spacing, [0.7, -0.6, 0.45], 0.2, 5);
        s.positions[0][0] += 2.0 * s.cell.vectors[0][0];
        s.positions[1][2] -= 3.0 * s.cell.vectors[2][2];
        let list = NeighborList::build(&s, rc).unwrap();
        let got: BTreeSet<_> = list.pairs().iter().map(|p| (p.i, p.j, p.shift)).collect();
        assert_eq!(got.len(), list.len(), "a pair is listed twice");
        let want = brute_force_pairs(&s, rc, images);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing {missing:?}, extra {extra:?}"
        );
        assert!(
            got.iter().any(|(i, j, _)| i == j) == (m == 2),
            "self-images iff the cell is thin"
        );
        for p in list.pairs() {
            let r = p.delta.iter().map(|d| d * d).sum::<f64>().sqrt();
            assert!((r - p.r).abs() < 1e-12);
        }
    }
}

#[test]
fn small_cell_with_multiple_images_equals_its_replica() {
    // 3 atoms in a triclinic cell ~2.8 Å wide, cutoff 5 Å: each atom sees
    // several images of itself and of the others.
    let form = Analytic { rc: 5.0 };
    let small = glassy(1, 2.8, [0.6, -0.3, 0.4], 0.0, 1);
    let mut small = small;
    small
        .positions
        .push(small.cell.cartesian([0.5, 0.45, 0.55]));
    small.positions.push(small.cell.cartesian([0.1, 0.8, 0.3]));
    small.types = vec![0, 1, 1];
    small.images = vec![[0; 3]; 3];
    small.validate().unwrap();
    assert!(small.cell.widths().iter().all(|w| *w < form.rc));

    let reps = 4;
    let mut big = small.clone();
    big.positions.clear();
    big.types.clear();
    for a in 0..reps {
        for b in 0..reps {
            for c in 0..reps {
                for (x, ty) in small.positions.iter().zip(&small.types) {
                    let t = small.cell.cartesian([a as f64, b as f64, c as f64]);
                    let o = small.cell.origin;
                    let y = [x[0] + t[0] - o[0], x[1] + t[1] - o[1], x[2] + t[2] - o[2]];
                    big.positions.push(y);
                    big.types.push(*ty);
                }
            }
        }
    }
    for v in &mut big.cell.vectors {
        for x in v.iter_mut() {
            *x *= reps as f64;
        }
    }
    big.images = vec![[0; 3]; big.positions.len()];
    big.validate().unwrap();
    assert!(big.cell.widths().iter().all(|w| *w > 2.0 * form.rc));

    let e_small = evaluate(&form, &small).unwrap();
    let e_big = evaluate(&form, &big).unwrap();
    let copies = (reps * reps * reps) as f64;
    assert!((e_big.energy_ev - copies * e_small.energy_ev).abs() < 1e-11 * e_big.energy_ev.abs());
    for (k, w) in e_small.virial_ev.iter().enumerate() {
        assert!((e_big.virial_ev[k] - copies * w).abs() < 1e-10 * (1.0 + w.abs() * copies));
    }
    for (i, f) in e_big.forces_ev_per_a.iter().enumerate() {
        let g = e_small.forces_ev_per_a[i % 3];
        for k in 0..3 {
            assert!((f[k] - g[k]).abs() < 1e-11, "atom {i}: {f:?} vs {g:?}");
        }
        let pe = e_small.per_atom_energy_ev[i % 3];
        assert!((e_big.per_atom_energy_ev[i] - pe).abs() < 1e-12 * (1.0 + pe.abs()));
    }
}

#[test]
fn refuses_overlapping_atoms_and_absurdly_thin_cells() {
    let form = Analytic { rc: 5.0 };
    let mut s = glassy(2, 2.6, [0.0; 3], 0.0, 2);
    s.positions[1] = s.positions[0];
    assert!(matches!(
        evaluate(&form, &s),
        Err(ForceError::Overlap { i: 0, j: 1 })
    ));
    let thin = glassy(1, 0.01, [0.0; 3], 0.0, 2);
    let e = evaluate(&form, &thin).unwrap_err();
    assert!(matches!(e, ForceError::CellTooSmall { .. }), "{e}");
    assert!(e.to_string().contains("replicate"), "{e}");
}
