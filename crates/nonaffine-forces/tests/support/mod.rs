//! Shared test helpers: a seeded generator, deterministic structures, and
//! LAMMPS (through the `nonaffine-lammps` worker) as the independent reference.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::Structure;

mod lattice;
pub use lattice::{cuzr_file, Rng};

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
    let (cell, positions) = lattice::jittered_bcc(cells, a, tilt, jitter, &mut rng, |_| {});
    let n = positions.len();
    let mut types: Vec<usize> = (0..n).map(|i| usize::from(i >= n / 2)).collect();
    rng.shuffle(&mut types);
    lattice::with_species(cell, &species, types, positions)
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
