//! Harmonic spring models whose spectra are known independently of any
//! eigensolver, packaged as [`HessianProducts`] so the spectrum and response
//! stages can be tested without the EAM Hessian.
//!
//! - [`ScalarCubic`]: a simple-cubic crystal where every Cartesian component of
//!   an atom is tied to the same component of its six nearest neighbours by a
//!   spring k (H_ii = 6k·1, H_ij = −k·1). Its eigenvalues are known in closed
//!   form, ω²(q) = (4k/m) Σ_a sin²(q_a d/2) on the allowed wave vectors
//!   q_a = 2π n_a/(L), each three times (one per Cartesian component), with
//!   exactly three zero modes at q = 0.
//! - [`SpringNetwork`]: a jittered fcc crystal of two species (Cu and Zr masses)
//!   joined by unstressed central springs of random stiffness: a small
//!   disordered solid with a consistent Hessian, nonaffine force field Ξ and
//!   Born moduli (a stand-in for a glass in tests).
//!
//! Both are translation invariant (Σ_j H_ij = 0) and have Σ_i Ξ_i = 0.
// Index loops mirror the tensor formulas they implement (C_ab, Ξ_{i,a}).
#![allow(clippy::needless_range_loop)]

use nalgebra_sparse::{CooMatrix, CsrMatrix};
use nonaffine_core::units::GPA_PER_EV_PER_A3;
use nonaffine_core::{Cell, Species, Structure};
use nonaffine_hessian::HessianProducts;

/// SplitMix64: a tiny seeded generator so fixtures are reproducible everywhere.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Mass of Cu in amu (the species of the paper's glass).
pub const CU_MASS_AMU: f64 = 63.546;
/// Mass of Zr in amu.
pub const ZR_MASS_AMU: f64 = 91.224;

/// Strain tensor of a unit Voigt strain component `a` (xx yy zz yz xz xy):
/// shear components are engineering strains (η_4 = 2ε_yz), so ½ sits in both
/// off-diagonal places and C44 is the usual Voigt shear constant.
pub fn voigt_strain(a: usize) -> [[f64; 3]; 3] {
    let mut e = [[0.0; 3]; 3];
    let (p, q) = match a {
        0..=2 => (a, a),
        3 => (1, 2),
        4 => (0, 2),
        _ => (0, 1),
    };
    if p == q {
        e[p][p] = 1.0;
    } else {
        e[p][q] = 0.5;
        e[q][p] = 0.5;
    }
    e
}

/// The simple-cubic "scalar spring" crystal (see the crate docs).
#[derive(Clone, Debug)]
pub struct ScalarCubic {
    /// Lattice sites per edge (≥ 3).
    pub cells: usize,
    /// Nearest-neighbour distance d, Å.
    pub spacing_a: f64,
    /// Spring constant k, eV/Å².
    pub stiffness_ev_per_a2: f64,
    /// Atomic mass, amu.
    pub mass_amu: f64,
}

impl ScalarCubic {
    /// Its Hessian, a random zero-sum Ξ (the crystal's own Ξ vanishes by
    /// inversion symmetry, so tests get a generic vector instead) and an
    /// isotropic C^B of 120/60/30 GPa (C11/C12/C44, used only for Debye levels).
    pub fn products(&self, seed: u64) -> HessianProducts {
        let m = self.cells.max(1);
        let n = m * m * m;
        let d = self.spacing_a;
        let k = self.stiffness_ev_per_a2;
        let index = |x: usize, y: usize, z: usize| (x % m) + m * ((y % m) + m * (z % m));
        let mut positions = Vec::with_capacity(n);
        for z in 0..m {
            for y in 0..m {
                for x in 0..m {
                    positions.push([x as f64 * d, y as f64 * d, z as f64 * d]);
                }
            }
        }
        let mut coo = CooMatrix::new(3 * n, 3 * n);
        for z in 0..m {
            for y in 0..m {
                for x in 0..m {
                    let i = index(x, y, z);
                    // Each bond once (+x, +y, +z), added to both atoms.
                    for j in [index(x + 1, y, z), index(x, y + 1, z), index(x, y, z + 1)] {
                        for c in 0..3 {
                            coo.push(3 * i + c, 3 * i + c, k);
                            coo.push(3 * j + c, 3 * j + c, k);
                            coo.push(3 * i + c, 3 * j + c, -k);
                            coo.push(3 * j + c, 3 * i + c, -k);
                        }
                    }
                }
            }
        }
        let l = m as f64 * d;
        let structure = Structure::new(
            Cell::orthogonal(l, l, l),
            vec![Species {
                name: "Cu".into(),
                mass_amu: self.mass_amu,
            }],
            vec![0; n],
            positions,
            vec![[0; 3]; n],
        )
        .unwrap_or_else(|e| unreachable!("fixed valid lattice: {e}"));
        let mut born = [[0.0; 6]; 6];
        for a in 0..3 {
            for b in 0..3 {
                born[a][b] = if a == b { 120.0 } else { 60.0 };
            }
            born[a + 3][a + 3] = 30.0;
        }
        HessianProducts {
            structure,
            hessian: CsrMatrix::from(&coo),
            xi: random_zero_sum_xi(n, seed),
            born_gpa: born,
            stress_gpa: [0.0; 6],
            relaxed_gpa: None,
        }
    }

    /// Every eigenvalue ω² of D in eV/(Å²·amu), ascending:
    /// (4k/m) Σ_a sin²(π n_a / M), n_a = 0..M−1, three times each.
    pub fn analytic_eigenvalues(&self) -> Vec<f64> {
        let m = self.cells.max(1);
        let c = 4.0 * self.stiffness_ev_per_a2 / self.mass_amu;
        let s2 = |n: usize| (std::f64::consts::PI * n as f64 / m as f64).sin().powi(2);
        let mut out = Vec::with_capacity(3 * m * m * m);
        for nz in 0..m {
            for ny in 0..m {
                for nx in 0..m {
                    let w2 = c * (s2(nx) + s2(ny) + s2(nz));
                    out.extend([w2; 3]);
                }
            }
        }
        out.sort_by(f64::total_cmp);
        out
    }
}

/// A jittered-fcc network of unstressed central springs (see the crate docs).
#[derive(Clone, Debug)]
pub struct SpringNetwork {
    /// fcc unit cells per edge (≥ 2; 4 atoms each).
    pub cells: usize,
    /// fcc lattice constant, Å.
    pub lattice_a: f64,
    /// Random displacement of each site, as a fraction of `lattice_a` (uniform
    /// in ±jitter per axis).
    pub jitter: f64,
    /// Mean spring constant, eV/Å².
    pub stiffness_ev_per_a2: f64,
    /// Relative spread of spring constants (uniform in ±spread).
    pub spread: f64,
    /// Seed of positions, species and springs.
    pub seed: u64,
}

impl Default for SpringNetwork {
    /// 108 atoms of a CuZr-like network (a = 4.6 Å, k = 1.5 eV/Å²).
    fn default() -> Self {
        Self {
            cells: 3,
            lattice_a: 4.6,
            jitter: 0.08,
            stiffness_ev_per_a2: 1.5,
            spread: 0.5,
            seed: 1,
        }
    }
}

impl SpringNetwork {
    /// Hessian, Ξ and C^B of the network. Springs join pairs closer than
    /// 0.85·a (the 12 fcc neighbours); U = ½ Σ k (r − r₀)² with r₀ the initial
    /// length, so H_ij = −k e eᵀ, Ξ_i = Σ_j k r (eᵀε e) e (e from i to j) and
    /// C^B_ab = (1/V) Σ k r² (eᵀε_a e)(eᵀε_b e).
    pub fn products(&self) -> HessianProducts {
        let m = self.cells.max(2);
        self.products_of_box([m; 3])
    }

    /// As [`Self::products`], on `cells[0]×cells[1]×cells[2]` fcc cells (each
    /// ≥ 2) instead of `cells`³: sizes a cube cannot reach, such as the
    /// 8192 atoms (16×16×8) of the spectrum benchmarks.
    pub fn products_of_box(&self, cells: [usize; 3]) -> HessianProducts {
        let cells = cells.map(|c| c.max(2));
        let a = self.lattice_a;
        let mut rng = SplitMix64::new(self.seed);
        let basis = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ];
        let mut positions = Vec::new();
        let mut types = Vec::new();
        for z in 0..cells[2] {
            for y in 0..cells[1] {
                for x in 0..cells[0] {
                    for b in basis {
                        let mut r = [
                            (x as f64 + b[0]) * a,
                            (y as f64 + b[1]) * a,
                            (z as f64 + b[2]) * a,
                        ];
                        for c in &mut r {
                            *c += (2.0 * rng.uniform() - 1.0) * self.jitter * a;
                        }
                        positions.push(r);
                        types.push(usize::from(rng.uniform() < 0.5));
                    }
                }
            }
        }
        let n = positions.len();
        let l = cells.map(|c| c as f64 * a);
        let cutoff = 0.85 * a;
        let mut coo = CooMatrix::new(3 * n, 3 * n);
        let mut xi = vec![[0.0; 6]; 3 * n];
        let mut born = [[0.0; 6]; 6];
        let strains: Vec<[[f64; 3]; 3]> = (0..6).map(voigt_strain).collect();
        for i in 0..n {
            for j in i + 1..n {
                let mut r = [0.0; 3];
                for c in 0..3 {
                    let d = positions[j][c] - positions[i][c];
                    r[c] = d - l[c] * (d / l[c]).round();
                }
                let len = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
                if len >= cutoff {
                    continue;
                }
                let k =
                    self.stiffness_ev_per_a2 * (1.0 + self.spread * (2.0 * rng.uniform() - 1.0));
                let e = r.map(|x| x / len);
                for p in 0..3 {
                    for q in 0..3 {
                        let v = k * e[p] * e[q];
                        coo.push(3 * i + p, 3 * i + q, v);
                        coo.push(3 * j + p, 3 * j + q, v);
                        coo.push(3 * i + p, 3 * j + q, -v);
                        coo.push(3 * j + p, 3 * i + q, -v);
                    }
                }
                // eᵀ ε_a e for each Voigt component.
                let s: Vec<f64> = strains
                    .iter()
                    .map(|eps| {
                        (0..3)
                            .map(|p| (0..3).map(|q| e[p] * eps[p][q] * e[q]).sum::<f64>())
                            .sum()
                    })
                    .collect();
                for (comp, sa) in s.iter().enumerate() {
                    for c in 0..3 {
                        let f = k * len * sa * e[c];
                        xi[3 * i + c][comp] += f;
                        xi[3 * j + c][comp] -= f;
                    }
                    for (b, sb) in s.iter().enumerate() {
                        born[comp][b] += k * len * len * sa * sb;
                    }
                }
            }
        }
        let volume = l[0] * l[1] * l[2];
        for row in &mut born {
            for v in row.iter_mut() {
                *v *= GPA_PER_EV_PER_A3 / volume;
            }
        }
        let structure = Structure::new(
            Cell::orthogonal(l[0], l[1], l[2]),
            vec![
                Species {
                    name: "Cu".into(),
                    mass_amu: CU_MASS_AMU,
                },
                Species {
                    name: "Zr".into(),
                    mass_amu: ZR_MASS_AMU,
                },
            ],
            types,
            positions,
            vec![[0; 3]; n],
        )
        .unwrap_or_else(|e| unreachable!("generated positions are finite: {e}"));
        HessianProducts {
            structure,
            hessian: CsrMatrix::from(&coo),
            xi,
            born_gpa: born,
            stress_gpa: [0.0; 6],
            relaxed_gpa: None,
        }
    }
}

/// Random Ξ rows in [−1, 1) eV/Å with Σ_i Ξ_i = 0 per axis and component.
fn random_zero_sum_xi(atoms: usize, seed: u64) -> Vec<[f64; 6]> {
    let mut rng = SplitMix64::new(seed);
    let mut xi: Vec<[f64; 6]> = (0..3 * atoms)
        .map(|_| std::array::from_fn(|_| 2.0 * rng.uniform() - 1.0))
        .collect();
    for axis in 0..3 {
        for comp in 0..6 {
            let mean = (0..atoms).map(|i| xi[3 * i + axis][comp]).sum::<f64>() / atoms as f64;
            for i in 0..atoms {
                xi[3 * i + axis][comp] -= mean;
            }
        }
    }
    xi
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row_sums_vanish(p: &HessianProducts) {
        for (r, lane) in p.hessian.row_iter().enumerate() {
            let mut s = [0.0; 3];
            for (&c, &v) in lane.col_indices().iter().zip(lane.values()) {
                s[c % 3] += v;
            }
            assert!(s.iter().all(|x| x.abs() < 1e-12), "row {r}: {s:?}");
        }
        for comp in 0..6 {
            for axis in 0..3 {
                let s: f64 = p.xi.iter().skip(axis).step_by(3).map(|x| x[comp]).sum();
                assert!(s.abs() < 1e-12, "Σ Ξ = {s}");
            }
        }
    }

    #[test]
    fn both_models_are_translation_invariant_and_symmetric() {
        let sc = ScalarCubic {
            cells: 3,
            spacing_a: 2.5,
            stiffness_ev_per_a2: 1.0,
            mass_amu: 50.0,
        }
        .products(3);
        let net = SpringNetwork::default().products();
        for p in [&sc, &net] {
            p.validate().unwrap();
            row_sums_vanish(p);
            let dense = nalgebra_sparse::convert::serial::convert_csr_dense(&p.hessian);
            assert!((&dense - dense.transpose()).amax() < 1e-14);
        }
        assert_eq!(net.structure.len(), 108);
    }

    /// Ξ and C^B of the network equal finite differences of the spring energy
    /// under a small affine strain (independent of the closed forms above).
    #[test]
    fn network_xi_and_born_match_finite_differences() {
        let net = SpringNetwork {
            cells: 2,
            ..SpringNetwork::default()
        };
        // The cube and a box of unequal edges (`products_of_box`).
        xi_and_born_match_finite_differences(&net.products());
        let boxed = net.products_of_box([2, 3, 2]);
        assert_eq!(boxed.structure.len(), 48);
        xi_and_born_match_finite_differences(&boxed);
    }

    fn xi_and_born_match_finite_differences(p: &HessianProducts) {
        let s = &p.structure;
        let l = [0, 1, 2].map(|c| s.cell.vectors[c][c]);
        let n = s.len();
        // Rebuild the bond list with rest lengths from the unstrained geometry.
        let mut bonds = Vec::new();
        let kk = CsrMatrix::clone(&p.hessian);
        for i in 0..n {
            for j in i + 1..n {
                // k from the Hessian block: −tr(H_ij) = k (|e|² = 1).
                let tr: f64 = (0..3)
                    .map(|c| {
                        kk.get_entry(3 * i + c, 3 * j + c)
                            .map_or(0.0, |e| e.into_value())
                    })
                    .sum();
                if tr.abs() > 0.0 {
                    let mut r = [0.0; 3];
                    for c in 0..3 {
                        let d = s.positions[j][c] - s.positions[i][c];
                        r[c] = d - l[c] * (d / l[c]).round();
                    }
                    bonds.push((i, j, -tr, r));
                }
            }
        }
        let energy_and_forces = |eps: &[[f64; 3]; 3]| {
            let mut u = 0.0;
            let mut f = vec![[0.0; 3]; n];
            for &(i, j, k, r) in &bonds {
                let r0 = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
                let rs: Vec<f64> = (0..3)
                    .map(|p| r[p] + (0..3).map(|q| eps[p][q] * r[q]).sum::<f64>())
                    .collect();
                let len = (rs[0] * rs[0] + rs[1] * rs[1] + rs[2] * rs[2]).sqrt();
                u += 0.5 * k * (len - r0).powi(2);
                for c in 0..3 {
                    let fc = k * (len - r0) * rs[c] / len;
                    f[i][c] += fc;
                    f[j][c] -= fc;
                }
            }
            (u, f)
        };
        let h = 1e-5;
        let v = s.cell.volume();
        for a in 0..6 {
            let ea = voigt_strain(a);
            let scaled = |t: f64| ea.map(|row| row.map(|x| x * t));
            let (_, fp) = energy_and_forces(&scaled(h));
            let (_, fm) = energy_and_forces(&scaled(-h));
            for i in 0..n {
                for c in 0..3 {
                    let fd = (fp[i][c] - fm[i][c]) / (2.0 * h);
                    assert!((fd - p.xi[3 * i + c][a]).abs() < 1e-6, "Ξ[{i},{c}][{a}]");
                }
            }
            for b in 0..6 {
                let eb = voigt_strain(b);
                let mix = |sa: f64, sb: f64| {
                    let mut e = [[0.0; 3]; 3];
                    for p in 0..3 {
                        for q in 0..3 {
                            e[p][q] = sa * ea[p][q] + sb * eb[p][q];
                        }
                    }
                    energy_and_forces(&e).0
                };
                let d2 = (mix(h, h) - mix(h, -h) - mix(-h, h) + mix(-h, -h)) / (4.0 * h * h);
                let fd = d2 / v * GPA_PER_EV_PER_A3;
                assert!(
                    (fd - p.born_gpa[a][b]).abs() < 1e-3,
                    "C^B[{a}][{b}] {fd} vs {}",
                    p.born_gpa[a][b]
                );
            }
        }
    }
}
