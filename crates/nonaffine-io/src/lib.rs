//! Structure files for nonaffine (LAMMPS data and extended XYZ) and the
//! Kohlrausch-fit data files.
//!
//! Two formats move a [`Structure`] in and out of the program:
//!
//! | format | read | write | cell | keeps |
//! |---|---|---|---|---|
//! | LAMMPS data, `atom_style atomic` | [`read_lammps_data`] | [`write_lammps_data`] | restricted triclinic, any origin (general cells rotated on writing) | image flags, masses, species names (as comments) |
//! | extended XYZ (ASE, OVITO) | [`read_extxyz`] | [`write_extxyz`] | general triclinic, origin 0 | per-frame info (energy, temperature, ...), several frames |
//!
//! Design decision: this crate parses text itself and never calls LAMMPS, so
//! structures can be inspected, converted and tested where no LAMMPS library
//! is installed. Writers print every number in Rust's shortest form that reads
//! back to the same `f64`, so a structure written and read again is identical
//! bit for bit (LAMMPS data, for a cell already in LAMMPS' form; see
//! [`lammps_data_string`] for the rotation and tilt reduction of other cells)
//! or up to the documented translation to origin 0 (extended XYZ). Readers never panic on bad input: every problem is an
//! [`IoError`] naming the file, the line, and what was expected.
//!
//! One data format besides structures: the YAML files of fitted Kohlrausch
//! parameters (`vendor/reference/*.yaml`), read by [`read_kohlrausch_yaml`] into
//! plain values with the line of every fit's keys, so the reference stage can
//! check the physics and still point at `file:line`. This crate and the
//! workflow's `yaml` module are the only users of `serde_yaml`.
//!
//! Current limitations: only `atom_style atomic` (velocities are skipped, not
//! kept); no compressed files; an extended XYZ frame must be periodic in all
//! three directions; extended XYZ has no cell origin and no image flags, so
//! both are lost there (positions are written relative to the origin).

mod elements;
mod error;
mod extxyz;
mod kohlrausch_yaml;
mod lammps_data;
mod masses;

pub use elements::{
    check_elements, mass_matches, order_species, read_structure_for, read_structure_named,
    ElementNames,
};
pub use error::IoError;
pub use extxyz::{extxyz_string, parse_extxyz, read_extxyz, write_extxyz, Frame, InfoValue};
pub use kohlrausch_yaml::{
    parse_kohlrausch_yaml, read_kohlrausch_yaml, FitLines, KohlrauschFile, KohlrauschRow,
};
pub use lammps_data::{lammps_data_string, parse_lammps_data, read_lammps_data, write_lammps_data};
pub use masses::standard_atomic_mass;

use nonaffine_core::Structure;
use std::path::Path;

/// Reads a structure, choosing the format by the file extension:
/// `.data`, `.lmp`, `.lammps` → LAMMPS data (species names from `names`, see
/// [`parse_lammps_data`]); `.xyz`, `.extxyz` → the first frame of an extended
/// XYZ file (which carries species names itself: each must be one of `names`).
/// Names are checked against the file ([`read_structure_named`]).
pub fn read_structure(path: &Path, names: Option<&[String]>) -> Result<Structure, IoError> {
    if let Some(names) = names {
        return read_structure_named(path, &ElementNames::given(names, "the element names given"));
    }
    match Format::of(path)? {
        Format::LammpsData => read_lammps_data(path, None),
        Format::ExtXyz => {
            let mut frames = read_extxyz(path)?;
            // parse_extxyz returns at least one frame or an error.
            Ok(frames.swap_remove(0).structure)
        }
    }
}

/// The structure file formats, as chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// LAMMPS data file (`.data`, `.lmp`, `.lammps`).
    LammpsData,
    /// Extended XYZ (`.xyz`, `.extxyz`).
    ExtXyz,
}

impl Format {
    /// The format a file extension names (case-insensitive), or [`IoError::UnknownFormat`].
    pub fn of(path: &Path) -> Result<Self, IoError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "data" | "lmp" | "lammps" => Ok(Self::LammpsData),
            "xyz" | "extxyz" => Ok(Self::ExtXyz),
            _ => Err(IoError::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Shortest decimal text that parses back to exactly `x`; plain notation for
/// ordinary magnitudes, exponent notation for very small or large ones.
pub(crate) fn fmt_f64(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

pub(crate) fn read_text(path: &Path) -> Result<String, IoError> {
    std::fs::read_to_string(path).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        action: "reading",
        error,
    })
}

pub(crate) fn write_text(path: &Path, text: &str) -> Result<(), IoError> {
    std::fs::write(path, text).map_err(|error| IoError::File {
        path: path.to_path_buf(),
        action: "writing",
        error,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shortest_float_text_reads_back_exactly() {
        for x in [
            0.0,
            -0.0,
            1.0,
            0.1,
            -2.5e-7,
            1e-300,
            6.02214076e23,
            f64::MAX,
            f64::MIN_POSITIVE,
            3.0f64.sqrt(),
        ] {
            let s = fmt_f64(x);
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{s}");
        }
        assert_eq!(fmt_f64(1e-20), "1e-20");
        assert_eq!(fmt_f64(12.5), "12.5");
    }
}
