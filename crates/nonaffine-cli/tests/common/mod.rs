//! Helpers shared by the CLI's end-to-end tests: the vendored potential, one
//! way to run a subcommand, and building a fixture structure.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{Cell, Species, Structure};
use std::path::PathBuf;
use std::process::Command;

/// The vendored Cu–Zr eam/fs potential (Mendelev, Sordelet, Kramer 2007).
pub fn cuzr_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs")
}

/// `nonaffine <command> <args>`: (success, stdout, stderr).
pub fn run(command: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .arg(command)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A structure of `(name, mass amu)` species, per-atom types and positions
/// (Å), all atoms in image 0.
pub fn structure(
    cell: Cell,
    species: [(&str, f64); 2],
    types: Vec<usize>,
    positions: Vec<[f64; 3]>,
) -> Structure {
    let species = species
        .iter()
        .map(|(name, mass_amu)| Species {
            name: name.to_string(),
            mass_amu: *mass_amu,
        })
        .collect();
    let count = positions.len();
    Structure::new(cell, species, types, positions, vec![[0; 3]; count]).unwrap()
}
