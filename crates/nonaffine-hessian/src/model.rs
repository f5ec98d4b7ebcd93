//! Everything the analytic derivatives need, evaluated once per structure:
//! the full (both-direction) neighbour list with the radial derivatives of
//! each bond, F''(ρ̄) per atom, the density gradients b_k = ∂ρ̄_k/∂x and the
//! strain derivatives τ_k = ∂ρ̄_k/∂η.
//!
//! Notation (docs/theory.md §3; paper Appendix C, Eqs. C1–C12). A bond of host atom m
//! is a neighbour n at the vector e = x_n + L·s − x_m (the periodic image of n
//! given by the neighbour list's lattice shift s), r = |e|, u = e/r. With
//! U = Σ_m F_m(ρ̄_m) + ½ Σ_{m≠n} φ(r_mn):
//! - ψ' = φ'(r) + F'_m ρ'_{m←n}(r) + F'_n ρ'_{n←m}(r) (the pair-force derivative, C4),
//! - ψ'' = φ''(r) + F'_m ρ''_{m←n}(r) + F'_n ρ''_{n←m}(r),
//! - the bond stiffness K = ψ'' u⊗u + (ψ'/r)(1 − u⊗u) (C12),
//! - b_{k,n} = ∂ρ̄_k/∂x_n = ρ'_{k←n}(r) e/r for a neighbour n of k, and
//!   b_{k,k} = −Σ_n b_{k,n} (translation invariance),
//! - τ_{k,a} = ∂ρ̄_k/∂η_a = Σ_bonds ρ'_{k←n}(r) (e·E^a e)/r.
//!
//! A bond from an atom to its own periodic image (cells narrower than twice
//! the cutoff) has a vector that does not change when the atom moves, so it
//! contributes nothing to H or b; it does change under strain, so it enters
//! τ, Ξ's strain part, the stress and the Born moduli.

use crate::HessianError;
use nonaffine_core::{EamForm, Structure};
use nonaffine_forces::NeighborList;
use rayon::prelude::*;

/// The strain direction E^a = ∂ε/∂η_a applied to a vector d, for Voigt
/// component a (xx, yy, zz, yz, xz, xy). Shear components are engineering
/// strains: η_yz = 2 ε_yz, so E^yz d = ½ (d_z ê_y + d_y ê_z).
pub(crate) fn strain_dir(a: usize, d: [f64; 3]) -> [f64; 3] {
    match a {
        0 => [d[0], 0.0, 0.0],
        1 => [0.0, d[1], 0.0],
        2 => [0.0, 0.0, d[2]],
        3 => [0.0, 0.5 * d[2], 0.5 * d[1]],
        4 => [0.5 * d[2], 0.0, 0.5 * d[0]],
        _ => [0.5 * d[1], 0.5 * d[0], 0.0],
    }
}

/// d·E^a d for Voigt component a.
pub(crate) fn strain_quad(a: usize, d: [f64; 3]) -> f64 {
    match a {
        0 => d[0] * d[0],
        1 => d[1] * d[1],
        2 => d[2] * d[2],
        3 => d[1] * d[2],
        4 => d[0] * d[2],
        _ => d[0] * d[1],
    }
}

pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Density gradient entries (atom n, b_{k,n}) of one host atom k.
type GradientList = Vec<(usize, [f64; 3])>;

/// One bond of a host atom (an entry of the full neighbour list).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bond {
    /// The neighbour (equal to the host for a periodic self-image).
    pub atom: usize,
    /// Vector from the host to the neighbour's image, Å.
    pub e: [f64; 3],
    /// |e|, Å.
    pub r: f64,
    /// ψ', eV/Å.
    pub psi1: f64,
    /// ψ'', eV/Å².
    pub psi2: f64,
    /// ρ'_{host←neighbour}(r), density per Å.
    pub rho1: f64,
}

impl Bond {
    /// Whether the bond joins an atom to its own image.
    pub fn is_self_image(&self, host: usize) -> bool {
        self.atom == host
    }

    /// K x with K = ψ'' u⊗u + (ψ'/r)(1 − u⊗u), eV/Å² · x.
    pub fn stiffness_apply(&self, x: [f64; 3]) -> [f64; 3] {
        let (a, b) = self.stiffness_coefficients();
        let s = a * dot(self.e, x);
        [
            s * self.e[0] + b * x[0],
            s * self.e[1] + b * x[1],
            s * self.e[2] + b * x[2],
        ]
    }

    /// K as a row-major 3×3 block, eV/Å².
    pub fn stiffness(&self) -> [f64; 9] {
        let (a, b) = self.stiffness_coefficients();
        let e = self.e;
        let mut k = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                // A·(e_i e_j): exactly symmetric, and unchanged by e → −e.
                k[3 * i + j] = a * (e[i] * e[j]);
            }
            k[4 * i] += b;
        }
        k
    }

    /// K = A e⊗e + B 1 with A = (ψ'' − ψ'/r)/r², B = ψ'/r.
    fn stiffness_coefficients(&self) -> (f64, f64) {
        let inv_r = 1.0 / self.r;
        let b = self.psi1 * inv_r;
        ((self.psi2 - b) * inv_r * inv_r, b)
    }
}

/// Refuses a structure with a species index the form does not define.
pub(crate) fn check_species(form: &dyn EamForm, structure: &Structure) -> Result<(), HessianError> {
    let count = form.species_count();
    match structure.types.iter().position(|&t| t >= count) {
        Some(atom) => Err(HessianError::Invalid(format!(
            "atom {atom} has species index {} but the potential defines {count} species",
            structure.types[atom]
        ))),
        None => Ok(()),
    }
}

/// The gradient lists (rows k, columns n) regrouped by column, rows sorted.
fn transpose(
    n: usize,
    start: &[usize],
    atoms: &[usize],
    vecs: &[[f64; 3]],
) -> (Vec<usize>, Vec<usize>, Vec<[f64; 3]>) {
    let mut col_start = vec![0usize; n + 1];
    for &a in atoms {
        col_start[a + 1] += 1;
    }
    for m in 0..n {
        col_start[m + 1] += col_start[m];
    }
    let mut next = col_start.clone();
    let mut hosts = vec![0usize; atoms.len()];
    let mut host_vecs = vec![[0.0; 3]; atoms.len()];
    for k in 0..n {
        for i in start[k]..start[k + 1] {
            let slot = &mut next[atoms[i]];
            hosts[*slot] = k;
            host_vecs[*slot] = vecs[i];
            *slot += 1;
        }
    }
    (col_start, hosts, host_vecs)
}

/// Per-structure data of the analytic derivatives (see the module docs).
pub(crate) struct Model {
    /// Number of atoms.
    pub n: usize,
    /// Whether the form has an embedding term.
    pub embedding: bool,
    /// Bonds of atom m: `bonds[bond_start[m]..bond_start[m + 1]]`.
    pub bond_start: Vec<usize>,
    /// All bonds (each pair twice, once from each end).
    pub bonds: Vec<Bond>,
    /// F''(ρ̄_m) per atom, eV per density².
    pub f2: Vec<f64>,
    /// Density gradient lists: atoms n with b_{k,n} ≠ 0 are
    /// `grad_atom[grad_start[k]..grad_start[k + 1]]` (sorted), vectors in `grad`.
    pub grad_start: Vec<usize>,
    /// Atom index n of each b_{k,n}.
    pub grad_atom: Vec<usize>,
    /// b_{k,n}, density per Å.
    pub grad: Vec<[f64; 3]>,
    /// The same entries by column: hosts k with b_{k,m} listed are
    /// `host_atom[host_start[m]..host_start[m + 1]]` (sorted), b_{k,m} in `host_grad`.
    pub host_start: Vec<usize>,
    /// Host atom k of each b_{k,m}.
    pub host_atom: Vec<usize>,
    /// b_{k,m}, density per Å.
    pub host_grad: Vec<[f64; 3]>,
    /// τ_k = ∂ρ̄_k/∂η (Voigt), density units.
    pub tau: Vec<[f64; 6]>,
    /// Pairs in the half neighbour list.
    pub pairs: usize,
}

impl Model {
    /// Evaluates the model of `structure` (species indexed as the form's).
    pub fn new(form: &dyn EamForm, structure: &Structure) -> Result<Self, HessianError> {
        let n = structure.len();
        check_species(form, structure)?;
        let list = NeighborList::build(structure, form.cutoff())?;
        let embedding = form.has_embedding();
        let t = &structure.types;

        // Full list: each half-list pair once from each end.
        let mut bond_start = vec![0usize; n + 1];
        for p in list.pairs() {
            bond_start[p.i + 1] += 1;
            bond_start[p.j + 1] += 1;
        }
        for m in 0..n {
            bond_start[m + 1] += bond_start[m];
        }
        let mut fill = bond_start.clone();
        let blank = Bond {
            atom: 0,
            e: [0.0; 3],
            r: 0.0,
            psi1: 0.0,
            psi2: 0.0,
            rho1: 0.0,
        };
        let mut raw = vec![blank; bond_start[n]];
        for p in list.pairs() {
            let d = p.delta;
            raw[fill[p.i]] = Bond {
                atom: p.j,
                e: d,
                r: p.r,
                ..blank
            };
            fill[p.i] += 1;
            raw[fill[p.j]] = Bond {
                atom: p.i,
                e: [-d[0], -d[1], -d[2]],
                r: p.r,
                ..blank
            };
            fill[p.j] += 1;
        }

        // Host densities and F', F'' per atom.
        let (f1, f2): (Vec<f64>, Vec<f64>) = if embedding {
            (0..n)
                .into_par_iter()
                .map(|m| {
                    let rho: f64 = raw[bond_start[m]..bond_start[m + 1]]
                        .iter()
                        .map(|b| form.density(t[m], t[b.atom], b.r).value)
                        .sum();
                    let f = form.embedding(t[m], rho);
                    (f.d1, f.d2)
                })
                .unzip()
        } else {
            (vec![0.0; n], vec![0.0; n])
        };

        // Radial derivatives of each bond; bonds with no interaction at all
        // (beyond a per-type-pair cutoff) are dropped, symmetrically in (m, n).
        let per_atom: Vec<Vec<Bond>> = (0..n)
            .into_par_iter()
            .map(|m| {
                raw[bond_start[m]..bond_start[m + 1]]
                    .iter()
                    .filter_map(|b| {
                        let k = b.atom;
                        let phi = form.pair(t[m], t[k], b.r);
                        let (rho_mk, rho_km) = if embedding {
                            (form.density(t[m], t[k], b.r), form.density(t[k], t[m], b.r))
                        } else {
                            Default::default()
                        };
                        let inert = [phi.d1, phi.d2, rho_mk.d1, rho_mk.d2, rho_km.d1, rho_km.d2]
                            .iter()
                            .all(|x| *x == 0.0);
                        // ψ' = φ' + (F'_m ρ'_mk + F'_k ρ'_km): the bracket is the
                        // same floating-point sum seen from either end (a + b = b + a
                        // exactly), so both bonds of a pair get bit-identical ψ', ψ''.
                        let e1 = f1[m] * rho_mk.d1 + f1[k] * rho_km.d1;
                        let e2 = f1[m] * rho_mk.d2 + f1[k] * rho_km.d2;
                        (!inert).then_some(Bond {
                            psi1: phi.d1 + e1,
                            psi2: phi.d2 + e2,
                            rho1: rho_mk.d1,
                            ..*b
                        })
                    })
                    .collect()
            })
            .collect();
        drop(raw);
        let mut bond_start = vec![0usize; n + 1];
        for (m, v) in per_atom.iter().enumerate() {
            bond_start[m + 1] = bond_start[m] + v.len();
        }
        let bonds: Vec<Bond> = per_atom.into_iter().flatten().collect();

        // Density gradients and strain derivatives.
        let (grad_start, grad_atom, grad, tau) = if embedding {
            let lists: Vec<(GradientList, [f64; 6])> = (0..n)
                .into_par_iter()
                .map(|k| {
                    let own = &bonds[bond_start[k]..bond_start[k + 1]];
                    let mut tau = [0.0; 6];
                    let mut g: Vec<(usize, [f64; 3])> = Vec::with_capacity(own.len() + 1);
                    for b in own {
                        let s = b.rho1 / b.r;
                        for (a, ta) in tau.iter_mut().enumerate() {
                            *ta += s * strain_quad(a, b.e);
                        }
                        if !b.is_self_image(k) {
                            g.push((b.atom, [s * b.e[0], s * b.e[1], s * b.e[2]]));
                        }
                    }
                    g.sort_by_key(|x| x.0);
                    let mut merged: Vec<(usize, [f64; 3])> = Vec::with_capacity(g.len() + 1);
                    for (atom, v) in g {
                        match merged.last_mut() {
                            Some(last) if last.0 == atom => {
                                for c in 0..3 {
                                    last.1[c] += v[c];
                                }
                            }
                            _ => merged.push((atom, v)),
                        }
                    }
                    let mut own_grad = [0.0; 3];
                    for (_, v) in &merged {
                        for c in 0..3 {
                            own_grad[c] -= v[c];
                        }
                    }
                    let at = merged.partition_point(|x| x.0 < k);
                    merged.insert(at, (k, own_grad));
                    // Neighbours beyond the density's range (ρ' = 0 but φ' ≠ 0)
                    // have b = 0 exactly: listing them would store blocks of H
                    // that are exact zeros (half of a CuZr glass's).
                    merged.retain(|(_, v)| *v != [0.0; 3]);
                    (merged, tau)
                })
                .collect();
            let mut start = vec![0usize; n + 1];
            for (k, (g, _)) in lists.iter().enumerate() {
                start[k + 1] = start[k] + g.len();
            }
            let mut atoms = Vec::with_capacity(start[n]);
            let mut vecs = Vec::with_capacity(start[n]);
            let mut taus = Vec::with_capacity(n);
            for (g, tau) in lists {
                for (a, v) in g {
                    atoms.push(a);
                    vecs.push(v);
                }
                taus.push(tau);
            }
            (start, atoms, vecs, taus)
        } else {
            (vec![0; n + 1], Vec::new(), Vec::new(), vec![[0.0; 6]; n])
        };
        let (host_start, host_atom, host_grad) = transpose(n, &grad_start, &grad_atom, &grad);

        Ok(Self {
            n,
            embedding,
            bond_start,
            bonds,
            f2,
            grad_start,
            grad_atom,
            grad,
            host_start,
            host_atom,
            host_grad,
            tau,
            pairs: list.len(),
        })
    }

    /// Bonds of atom m.
    pub fn bonds_of(&self, m: usize) -> &[Bond] {
        &self.bonds[self.bond_start[m]..self.bond_start[m + 1]]
    }

    /// Atoms n with b_{k,n} ≠ 0 (sorted) and the vectors.
    pub fn grad_of(&self, k: usize) -> (&[usize], &[[f64; 3]]) {
        let r = self.grad_start[k]..self.grad_start[k + 1];
        (&self.grad_atom[r.clone()], &self.grad[r])
    }

    /// Hosts k with b_{k,m} ≠ 0 (sorted) and the vectors b_{k,m}: the atoms
    /// whose density moves when m moves.
    pub fn hosts_of(&self, m: usize) -> (&[usize], &[[f64; 3]]) {
        let r = self.host_start[m]..self.host_start[m + 1];
        (&self.host_atom[r.clone()], &self.host_grad[r])
    }

    /// Force on each atom, eV/Å: f_m = Σ_bonds ψ' e/r (a by-product used to
    /// report how close the structure is to mechanical equilibrium).
    pub fn forces(&self) -> Vec<[f64; 3]> {
        (0..self.n)
            .into_par_iter()
            .map(|m| {
                let mut f = [0.0; 3];
                for b in self.bonds_of(m) {
                    if b.is_self_image(m) {
                        continue;
                    }
                    let s = b.psi1 / b.r;
                    for c in 0..3 {
                        f[c] += s * b.e[c];
                    }
                }
                f
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strain_directions_are_the_symmetric_voigt_tensors() {
        // E^a d must equal the symmetric matrix ∂ε/∂η_a times d, with
        // ε_yz = ε_zy = η_yz / 2 (engineering shear), and d·E^a d must agree.
        let d = [0.3, -1.7, 2.9];
        let pairs = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)];
        for (a, (k, l)) in pairs.iter().enumerate() {
            let mut e = [[0.0; 3]; 3];
            let w = if k == l { 1.0 } else { 0.5 };
            e[*k][*l] = w;
            e[*l][*k] = w;
            let expect: Vec<f64> = (0..3).map(|i| dot(e[i], d)).collect();
            assert_eq!(strain_dir(a, d).to_vec(), expect, "component {a}");
            assert!((strain_quad(a, d) - dot(d, strain_dir(a, d))).abs() < 1e-15);
        }
    }
}
