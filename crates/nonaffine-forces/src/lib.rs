//! Energies, forces and virials of embedded-atom-form potentials
//! ([`nonaffine_core::EamForm`]) in periodic triclinic cells.
//!
//! Two pieces: [`NeighborList`], an O(N) cell-list search that returns every
//! pair within the cutoff once, with its vector and lattice shift, and handles
//! cells narrower than twice the cutoff by visiting as many periodic images as
//! needed; and [`evaluate`], which sums energy, per-atom energy, forces and
//! virial over that list in the order LAMMPS' `pair_style eam` does.
//! The list is public and reusable: the Hessian stage walks the same pairs.
//!
//! This crate knows nothing about files, YAML or LAMMPS; it sees a potential
//! only through the `EamForm` trait, so every plugin of that form (EAM tables,
//! Lennard-Jones, ...) gets the same engine.
//!
//! Accuracy: sums are plain f64 in pair order; results differ from LAMMPS'
//! only by summation order (relative ~1e-15 per term).

mod evaluate;
mod neighbors;

pub use evaluate::{densities, evaluate, evaluate_with, Evaluation};
pub use neighbors::{NeighborList, Pair};

use nonaffine_core::{Potential, Species, Structure};
use thiserror::Error;

/// Why energies or forces could not be computed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ForceError {
    /// The cutoff is zero, negative or not finite.
    #[error("cutoff {cutoff_angstrom} Å must be a positive finite number")]
    BadCutoff {
        /// The cutoff given, Å.
        cutoff_angstrom: f64,
    },
    /// The cell is so much narrower than the cutoff that the image search is absurd.
    #[error(
        "the cell (perpendicular widths {widths_angstrom:?} Å) is far narrower than the cutoff \
         {cutoff_angstrom} Å; replicate it so each width is at least a few Å"
    )]
    CellTooSmall {
        /// Perpendicular widths of the cell, Å.
        widths_angstrom: [f64; 3],
        /// Cutoff, Å.
        cutoff_angstrom: f64,
    },
    /// Two atoms (or periodic images) sit at the same point.
    #[error("atoms {i} and {j} (0-based) sit at the same point; the structure is broken")]
    Overlap {
        /// First atom.
        i: usize,
        /// Second atom.
        j: usize,
    },
    /// An atom lies absurdly far (more than 1e9 cells) outside the cell.
    #[error("atom {atom} (0-based) lies more than a billion cells away from the cell")]
    FarAtom {
        /// The atom.
        atom: usize,
    },
    /// An atom's species index is not one of the potential's species.
    #[error("atom {atom} has species index {species} but the potential defines {count} species")]
    SpeciesOutOfRange {
        /// Atom (0-based).
        atom: usize,
        /// Its species index.
        species: usize,
        /// Species the potential defines.
        count: usize,
    },
    /// A structure species has no counterpart in the potential.
    #[error("the structure contains `{name}` but the potential defines only {}", available.join(", "))]
    UnknownSpecies {
        /// Species name in the structure.
        name: String,
        /// The potential's elements.
        available: Vec<String>,
    },
    /// The neighbour list was built for another structure.
    #[error("the neighbour list was built for {list_atoms} atoms but the structure has {atoms}")]
    StaleList {
        /// Atoms of the list.
        list_atoms: usize,
        /// Atoms of the structure.
        atoms: usize,
    },
    /// The neighbour list's cutoff is shorter than the potential's.
    #[error(
        "the neighbour list reaches {list_angstrom} Å but the potential needs {form_angstrom} Å"
    )]
    ShortList {
        /// List cutoff, Å.
        list_angstrom: f64,
        /// Potential cutoff, Å.
        form_angstrom: f64,
    },
}

/// The structure with its species re-indexed to the potential's element order
/// (matched by name) and masses taken from the potential, so that species k
/// is the potential's species k (LAMMPS type k+1). Atom order is unchanged.
pub fn align_species(
    structure: &Structure,
    potential: &dyn Potential,
) -> Result<Structure, ForceError> {
    let elements = potential.elements();
    let masses = potential.masses_amu();
    let map: Vec<usize> = structure
        .species
        .iter()
        .map(|s| {
            elements
                .iter()
                .position(|e| *e == s.name)
                .ok_or_else(|| ForceError::UnknownSpecies {
                    name: s.name.clone(),
                    available: elements.to_vec(),
                })
        })
        .collect::<Result<_, _>>()?;
    let mut out = structure.clone();
    out.species = elements
        .iter()
        .zip(masses)
        .map(|(name, mass_amu)| Species {
            name: name.clone(),
            mass_amu,
        })
        .collect();
    for t in &mut out.types {
        *t = map[*t];
    }
    Ok(out)
}
