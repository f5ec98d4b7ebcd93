//! Element names given for a structure, checked against what its file says.
//!
//! A potential names its elements in type order (`--elements Cu,Zr`,
//! `potential: {elements: [Cu, Zr]}`); a LAMMPS data file numbers its types and
//! gives each a mass (and sometimes a label). Nothing stops the two from
//! disagreeing: `--elements Zr,Cu` on a Cu,Zr file computes Cu atoms as Zr and
//! gives a wrong energy with no error. So every reader that is told the names
//! checks them against the file: the mass of each type against the mass the
//! names imply (the potential's masses, or the standard atomic weights), and a
//! type label or mass comment, where the file has one, against the name.

use crate::masses::standard_atomic_mass;
use crate::{read_extxyz, IoError};
use nonaffine_core::{Potential, Species, Structure};
use std::path::Path;

/// The names (and masses) a caller gives the atom types of a structure file.
#[derive(Clone, Copy, Debug)]
pub struct ElementNames<'a> {
    /// Names in type order (type 1 first).
    pub names: &'a [String],
    /// Masses (amu) the caller will use, in the same order; None means the
    /// standard atomic weights of the names (names that are no element symbol
    /// are then not checked by mass).
    pub masses_amu: Option<&'a [f64]>,
    /// Who gave the names, for messages: `--elements`,
    /// `stages.hessian.params.potential.elements`.
    pub named_by: &'a str,
}

impl<'a> ElementNames<'a> {
    /// Names given without masses (checked against standard atomic weights).
    pub fn given(names: &'a [String], named_by: &'a str) -> Self {
        Self {
            names,
            masses_amu: None,
            named_by,
        }
    }

    /// A potential's elements and masses.
    pub fn of_potential(
        potential: &'a dyn Potential,
        masses_amu: &'a [f64],
        named_by: &'a str,
    ) -> Self {
        Self {
            names: potential.elements(),
            masses_amu: Some(masses_amu),
            named_by,
        }
    }

    /// The mass (amu) the names imply for type index `t`.
    fn expected_mass(&self, t: usize) -> Option<f64> {
        match self.masses_amu {
            Some(m) => m.get(t).copied(),
            None => self.names.get(t).and_then(|n| standard_atomic_mass(n)),
        }
    }
}

/// Whether a mass in a file is the mass `expected_amu` a name implies: within
/// 2 % or 0.5 amu, whichever is smaller. Masses rounded to whole amu
/// (Cu 64, Zr 91, H 1) pass; swapped elements and elements ≥ 0.5 amu apart do not.
pub fn mass_matches(found_amu: f64, expected_amu: f64) -> bool {
    (found_amu - expected_amu).abs() <= (0.02 * expected_amu).min(0.5)
}

/// Reads a structure whose atom types `names` names (see [`crate::read_structure`]
/// for formats), refusing a file that disagrees with them: a LAMMPS data file
/// with a different number of types, a type whose mass is not the named
/// element's or whose label (`Atom Type Labels`, or the `# Name` comment of
/// its mass) is another name; an extxyz file with a species not among the
/// names or with another mass.
pub fn read_structure_named(path: &Path, names: &ElementNames<'_>) -> Result<Structure, IoError> {
    match crate::Format::of(path)? {
        crate::Format::LammpsData => {
            let text = crate::read_text(path)?;
            crate::lammps_data::parse_named(&text, &path.display().to_string(), Some(names))
        }
        crate::Format::ExtXyz => {
            let mut frames = read_extxyz(path)?;
            // parse_extxyz returns at least one frame or an error.
            let s = frames.swap_remove(0).structure;
            check_species(
                &s.species,
                &path.display().to_string(),
                names,
                Kind::Species,
            )?;
            Ok(s)
        }
    }
}

/// Reads a structure for `potential`: types named by its elements, masses
/// checked against its masses ([`read_structure_named`]). Every stage and
/// command that reads a structure to evaluate a potential on it reads it here.
/// `named_by` says where the elements were given (`--elements`,
/// `stages.<stage>.params.potential.elements`).
pub fn read_structure_for(
    path: &Path,
    potential: &dyn Potential,
    named_by: &str,
) -> Result<Structure, IoError> {
    let masses = potential.masses_amu();
    read_structure_named(
        path,
        &ElementNames::of_potential(potential, &masses, named_by),
    )
}

/// How species are referred to in messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// LAMMPS data: species k is type k+1, named by the caller.
    Type,
    /// Extended XYZ: species named by the file.
    Species,
}

/// Checks every species of `s` against `names`: its name is one of them and
/// its mass matches the mass that name implies ([`mass_matches`]).
/// `file` names the source in the error.
pub fn check_elements(s: &Structure, file: &str, names: &ElementNames<'_>) -> Result<(), IoError> {
    check_species(&s.species, file, names, Kind::Species)
}

/// [`check_elements`] of a list of species, named as `kind` says.
pub(crate) fn check_species(
    species: &[Species],
    file: &str,
    names: &ElementNames<'_>,
    kind: Kind,
) -> Result<(), IoError> {
    let err = |message: String| IoError::Elements {
        file: file.to_string(),
        message,
    };
    for (k, sp) in species.iter().enumerate() {
        let t = match kind {
            Kind::Type => k,
            Kind::Species => names
                .names
                .iter()
                .position(|n| *n == sp.name)
                .ok_or_else(|| {
                    err(format!(
                        "the file has species {} but the elements named by {} are {}; name every \
                     species of the file",
                        sp.name,
                        names.named_by,
                        names.names.join(", ")
                    ))
                })?,
        };
        let Some(expected) = names.expected_mass(t) else {
            continue;
        };
        if mass_matches(sp.mass_amu, expected) {
            continue;
        }
        let who = match kind {
            Kind::Type => format!("type {}", k + 1),
            Kind::Species => format!("species {}", sp.name),
        };
        let mut message = format!(
            "{who} has mass {} amu{} but is named {} ({expected} amu) by {}",
            sp.mass_amu,
            match identify(sp.mass_amu, names) {
                Some(e) => format!(" ({e})"),
                None => String::new(),
            },
            names.names.get(t).map_or("?", String::as_str),
            names.named_by,
        );
        if kind == Kind::Type {
            if let Some(order) = order_by_mass(species, names) {
                message.push_str(&format!(
                    "; the file's masses say the types are {}: give the elements in that order",
                    order.join(",")
                ));
            } else {
                message.push_str(
                    "; give the elements in the file's type order (see its Masses section)",
                );
            }
        }
        return Err(err(message));
    }
    Ok(())
}

/// The name a mass belongs to: one of the given names whose mass it matches,
/// else the element of that standard atomic weight.
fn identify(mass_amu: f64, names: &ElementNames<'_>) -> Option<String> {
    (0..names.names.len())
        .find(|&t| {
            names
                .expected_mass(t)
                .is_some_and(|m| mass_matches(mass_amu, m))
        })
        .map(|t| names.names[t].clone())
        .or_else(|| crate::masses::element_of_mass(mass_amu).map(str::to_string))
}

/// The given names reordered so that each type's mass matches, when that
/// order is unique and differs from the given one.
fn order_by_mass(species: &[Species], names: &ElementNames<'_>) -> Option<Vec<String>> {
    if species.len() != names.names.len() {
        return None;
    }
    let mut order = Vec::with_capacity(species.len());
    for sp in species {
        let mut fits = (0..names.names.len()).filter(|&t| {
            names
                .expected_mass(t)
                .is_some_and(|m| mass_matches(sp.mass_amu, m))
        });
        match (fits.next(), fits.next()) {
            (Some(t), None) => order.push(names.names[t].clone()),
            _ => return None,
        }
    }
    let mut sorted = order.clone();
    sorted.sort();
    sorted.dedup();
    (sorted.len() == order.len() && order != names.names).then_some(order)
}

/// Checks the name a data file gives type `t` (an `Atom Type Labels` label or
/// the word after `#` on its Masses line) against the name the caller gives.
/// Free text (`# copper`) is not compared: only a label that is an element
/// symbol or one of the given names.
pub(crate) fn check_label(
    t: usize,
    label: &str,
    file: &str,
    names: &ElementNames<'_>,
) -> Result<(), IoError> {
    let Some(name) = names.names.get(t) else {
        return Ok(());
    };
    let comparable =
        standard_atomic_mass(label).is_some() || names.names.iter().any(|n| n == label);
    if label == name || !comparable {
        return Ok(());
    }
    Err(IoError::Elements {
        file: file.to_string(),
        message: format!(
            "type {} is {label} in the file but is named {name} by {}; give the elements in \
             the file's type order",
            t + 1,
            names.named_by
        ),
    })
}

/// The structure with its species in the order `names` gives (species k is
/// LAMMPS type k+1), matched by name; atom order is unchanged. A name absent
/// from the file becomes a species without atoms, with its standard atomic
/// mass. Every species of the file must be named; `file` and `named_by` name
/// the source in the error.
pub fn order_species(
    s: &Structure,
    names: &[String],
    file: &str,
    named_by: &str,
) -> Result<Structure, IoError> {
    let err = |message: String| IoError::Elements {
        file: file.to_string(),
        message,
    };
    let map: Vec<usize> = s
        .species
        .iter()
        .map(|sp| {
            names.iter().position(|n| *n == sp.name).ok_or_else(|| {
                err(format!(
                    "the file has species {} but {named_by} names {}; name every species of the file",
                    sp.name,
                    names.join(", ")
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let species = names
        .iter()
        .map(|name| {
            let mass_amu = match s.species.iter().find(|sp| sp.name == *name) {
                Some(sp) => sp.mass_amu,
                None => crate::standard_atomic_mass(name).ok_or_else(|| {
                    err(format!(
                        "{name} (named by {named_by}) has no atoms in the file and is no element \
                         symbol whose mass is known; name only the file's species"
                    ))
                })?,
            };
            Ok(Species {
                name: name.clone(),
                mass_amu,
            })
        })
        .collect::<Result<Vec<_>, IoError>>()?;
    let mut out = s.clone();
    out.species = species;
    for t in &mut out.types {
        *t = map[*t];
    }
    Ok(out)
}
