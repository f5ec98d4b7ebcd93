//! Shared test helpers: a seeded generator, deterministic structures, and
//! LAMMPS (through the `nonaffine-lammps` worker) as the independent reference.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

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
/// (xy, xz, yz) in Å, species named `names` assigned 50:50 at random, every
/// atom displaced uniformly by up to `jitter` Å per coordinate.
pub fn bcc_binary(
    cells: usize,
    a: f64,
    tilt: [f64; 3],
    jitter: f64,
    seed: u64,
    species: [(&str, f64); 2],
) -> Structure {
    let mut rng = Rng(seed);
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
                }
            }
        }
    }
    let n = positions.len();
    let mut types: Vec<usize> = (0..n).map(|i| usize::from(i >= n / 2)).collect();
    rng.shuffle(&mut types);
    let species = species
        .iter()
        .map(|(name, mass_amu)| Species {
            name: name.to_string(),
            mass_amu: *mass_amu,
        })
        .collect();
    Structure::new(cell, species, types, positions, vec![[0; 3]; n]).unwrap()
}

/// Cu50Zr50 on a bcc (B2-like) lattice, a = 3.26 Å.
pub fn cuzr(cells: usize, tilt: [f64; 3], jitter: f64, seed: u64) -> Structure {
    bcc_binary(
        cells,
        3.26,
        tilt,
        jitter,
        seed,
        [("Cu", 63.546), ("Zr", 91.224)],
    )
}

/// What LAMMPS computed.
pub type Reference = nonaffine_lammps::Evaluation;

/// LAMMPS (`run 0` in the `nonaffine-lammps` worker process) on `structure`
/// with the potential commands `setup`.
///
/// The worker binary must be built (`cargo build -p nonaffine-lammps`, or any
/// workspace-wide `cargo test`).
pub fn lammps(structure: &Structure, setup: &[String]) -> Reference {
    if let Err(e) = nonaffine_lammps::find_worker() {
        panic!("{e}\nbuild it first: cargo build -p nonaffine-lammps");
    }
    nonaffine_lammps::evaluate(structure, setup).unwrap()
}

/// Largest |a − b| over all components.
pub fn max_abs_diff<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) -> f64 {
    a.into_iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

/// Largest |x|.
pub fn max_abs<'a>(a: impl IntoIterator<Item = &'a f64>) -> f64 {
    a.into_iter().fold(0.0f64, |m, x| m.max(x.abs()))
}
