//! Energy, per-atom energy, forces and virial of an [`EamForm`] potential.
//!
//! The sums follow LAMMPS' `PairEAM::compute` pair by pair, so that with
//! LAMMPS-exact tables (the `eam/fs` plugin) the results agree with LAMMPS to
//! round-off:
//! - ρ̄_i = Σ_j ρ_{t_i t_j}(r_ij);
//! - F'_i = F'_{t_i}(ρ̄_i);
//! - for each pair, ψ' = F'_i ρ'_{t_i t_j}(r) + F'_j ρ'_{t_j t_i}(r) + φ'(r) and the
//!   force on i is −ψ' (x_i − x_j)/r;
//! - per-atom energy F_i + ½ Σ_j φ_ij, as LAMMPS' `compute pe/atom`;
//! - virial W_ab = Σ_pairs (x_i − x_j)_a f_{ij,b} in eV, f_ij the force on i
//!   from j: positive when pairs push apart, so that as in LAMMPS the pressure
//!   is P = (N k_B T + (W_xx + W_yy + W_zz)/3)/V; Voigt order xx, yy, zz, yz,
//!   xz, xy (docs/theory.md §1). W_ab = −∂U/∂ε_ab under an affine strain of atoms and cell.

use crate::{ForceError, NeighborList};
use nonaffine_core::{EamForm, Structure};

/// Energies, forces and virial of one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Total potential energy in eV.
    pub energy_ev: f64,
    /// Energy of each atom in eV (F_i + ½ Σ_j φ_ij, LAMMPS `pe/atom`).
    pub per_atom_energy_ev: Vec<f64>,
    /// Force on each atom in eV/Å.
    pub forces_ev_per_a: Vec<[f64; 3]>,
    /// Virial Σ_pairs r_ij ⊗ f_ij in eV, Voigt order [xx, yy, zz, yz, xz, xy].
    pub virial_ev: [f64; 6],
    /// Host density ρ̄_i of each atom (all zero without embedding).
    pub density: Vec<f64>,
}

/// Checks that every atom's species index exists in the form.
fn check_types(form: &dyn EamForm, structure: &Structure) -> Result<(), ForceError> {
    let count = form.species_count();
    match structure.types.iter().position(|&t| t >= count) {
        Some(atom) => Err(ForceError::SpeciesOutOfRange {
            atom,
            species: structure.types[atom],
            count,
        }),
        None => Ok(()),
    }
}

/// Builds the neighbour list for `form`'s cutoff and evaluates.
pub fn evaluate(form: &dyn EamForm, structure: &Structure) -> Result<Evaluation, ForceError> {
    check_types(form, structure)?;
    let list = NeighborList::build(structure, form.cutoff())?;
    evaluate_with(form, structure, &list)
}

/// Host densities ρ̄_i = Σ_j ρ_{t_i t_j}(r_ij) over a neighbour list.
pub fn densities(
    form: &dyn EamForm,
    structure: &Structure,
    list: &NeighborList,
) -> Result<Vec<f64>, ForceError> {
    check_types(form, structure)?;
    check_list(structure, list)?;
    Ok(density_pass(form, &structure.types, list, None))
}

/// ρ̄ of every atom; with `slopes`, also each pair's [ρ'_{t_i t_j}, ρ'_{t_j t_i}]
/// (density derivative at i from j and at j from i), taken from the same
/// spline evaluation so the force pass need not repeat it.
fn density_pass(
    form: &dyn EamForm,
    t: &[usize],
    list: &NeighborList,
    mut slopes: Option<&mut Vec<[f64; 2]>>,
) -> Vec<f64> {
    let mut rho = vec![0.0; t.len()];
    if !form.has_embedding() {
        return rho;
    }
    for p in list.pairs() {
        let at_i = form.density(t[p.i], t[p.j], p.r);
        let at_j = form.density(t[p.j], t[p.i], p.r);
        rho[p.i] += at_i.value;
        rho[p.j] += at_j.value;
        if let Some(s) = slopes.as_deref_mut() {
            s.push([at_i.d1, at_j.d1]);
        }
    }
    rho
}

fn check_list(structure: &Structure, list: &NeighborList) -> Result<(), ForceError> {
    if list.atoms() != structure.len() {
        return Err(ForceError::StaleList {
            list_atoms: list.atoms(),
            atoms: structure.len(),
        });
    }
    Ok(())
}

/// Evaluates over a neighbour list built for this structure (with a cutoff
/// at least the form's).
pub fn evaluate_with(
    form: &dyn EamForm,
    structure: &Structure,
    list: &NeighborList,
) -> Result<Evaluation, ForceError> {
    if list.cutoff_angstrom() < form.cutoff() {
        return Err(ForceError::ShortList {
            list_angstrom: list.cutoff_angstrom(),
            form_angstrom: form.cutoff(),
        });
    }
    check_types(form, structure)?;
    check_list(structure, list)?;
    let t = &structure.types;
    let mut slopes = Vec::with_capacity(if form.has_embedding() { list.len() } else { 0 });
    let density = density_pass(form, t, list, Some(&mut slopes));
    let n = structure.len();
    let mut energy = 0.0;
    let mut per_atom = vec![0.0; n];
    let mut fp = vec![0.0; n];
    if form.has_embedding() {
        for i in 0..n {
            let f = form.embedding(t[i], density[i]);
            fp[i] = f.d1;
            energy += f.value;
            per_atom[i] += f.value;
        }
    }
    let mut forces = vec![[0.0; 3]; n];
    let mut w = [0.0; 6];
    for (k, p) in list.pairs().iter().enumerate() {
        let (i, j) = (p.i, p.j);
        let phi = form.pair(t[i], t[j], p.r);
        let mut psip = phi.d1;
        if let Some([rhojp, rhoip]) = slopes.get(k) {
            // LAMMPS' names: rhojp = ρ' at i from j, rhoip = ρ' at j from i.
            psip = fp[i] * rhojp + fp[j] * rhoip + phi.d1;
        }
        let fpair = -psip * (1.0 / p.r);
        // LAMMPS' del = x_i − x_j.
        let del = [-p.delta[0], -p.delta[1], -p.delta[2]];
        for k in 0..3 {
            forces[i][k] += del[k] * fpair;
            forces[j][k] -= del[k] * fpair;
        }
        w[0] += del[0] * del[0] * fpair;
        w[1] += del[1] * del[1] * fpair;
        w[2] += del[2] * del[2] * fpair;
        w[3] += del[1] * del[2] * fpair;
        w[4] += del[0] * del[2] * fpair;
        w[5] += del[0] * del[1] * fpair;
        energy += phi.value;
        per_atom[i] += 0.5 * phi.value;
        per_atom[j] += 0.5 * phi.value;
    }
    Ok(Evaluation {
        energy_ev: energy,
        per_atom_energy_ev: per_atom,
        forces_ev_per_a: forces,
        virial_ev: w,
        density,
    })
}
