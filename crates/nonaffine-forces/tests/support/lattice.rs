//! Test fixtures shared by the engine crates' tests: the vendored Cu–Zr file,
//! a seeded generator and a jittered bcc lattice.
//!
//! One copy serves two crates. `nonaffine-forces` loads it as
//! `support::lattice`; `nonaffine-hessian`'s `tests/support/mod.rs` includes
//! this same file with `#[path]`. A fixture library crate cannot hold it: the
//! fixture crate `nonaffine-springs` depends on `nonaffine-hessian`, which
//! depends on `nonaffine-forces`, so either crate dev-depending on it would
//! close a cycle. Including the file keeps the dependency direction
//! (engines never depend on what builds on them) and adds no crate.
#![allow(dead_code)]

use nonaffine_core::{Cell, Species, Structure};
use std::path::PathBuf;

/// The vendored Cu–Zr potential (Mendelev, Sordelet, Kramer 2007).
pub fn cuzr_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs")
}

/// SplitMix64: a tiny seeded generator so tests are reproducible.
pub struct Rng(pub u64);
impl Rng {
    /// Uniform in [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [−1, 1).
    pub fn sym(&mut self) -> f64 {
        2.0 * self.next() - 1.0
    }
    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() * (i + 1) as f64) as usize;
            v.swap(i, j.min(i));
        }
    }
}

/// A bcc lattice of `cells`³ cubic cells (edge `a` Å) in a cell with tilts
/// (xy, xz, yz) in Å, every atom displaced uniformly by up to `jitter` Å per
/// coordinate from `rng`. `after_site` runs once after each atom's jitter
/// (callers draw per-atom types there), so the draws interleave in a fixed
/// order. Returns the cell and the positions (Å).
pub fn jittered_bcc(
    cells: usize,
    a: f64,
    tilt: [f64; 3],
    jitter: f64,
    rng: &mut Rng,
    mut after_site: impl FnMut(&mut Rng),
) -> (Cell, Vec<[f64; 3]>) {
    let l = cells as f64 * a;
    let cell = Cell::from_lammps([0.0; 3], [l, l, l], tilt[0], tilt[1], tilt[2]);
    let mut positions = Vec::new();
    for i in 0..cells {
        for j in 0..cells {
            for k in 0..cells {
                for off in [0.0, 0.5] {
                    let s = [
                        (i as f64 + off + 0.1) / cells as f64,
                        (j as f64 + off + 0.1) / cells as f64,
                        (k as f64 + off + 0.1) / cells as f64,
                    ];
                    let mut x = cell.cartesian(s);
                    for xk in &mut x {
                        *xk += jitter * rng.sym();
                    }
                    positions.push(x);
                    after_site(rng);
                }
            }
        }
    }
    (cell, positions)
}

/// A structure of the given `(name, mass amu)` species, types and positions
/// (Å), all atoms in image 0.
pub fn with_species(
    cell: Cell,
    species: &[(&str, f64)],
    types: Vec<usize>,
    positions: Vec<[f64; 3]>,
) -> Structure {
    let n = positions.len();
    let species = species
        .iter()
        .map(|(name, mass_amu)| Species {
            name: name.to_string(),
            mass_amu: *mass_amu,
        })
        .collect();
    Structure::new(cell, species, types, positions, vec![[0; 3]; n])
        .expect("fixture structure is valid")
}
