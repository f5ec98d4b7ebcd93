//! Structures and checks shared by the test modules.

use nonaffine_core::{Cell, Species, Structure};

/// Deterministic awkward numbers in [0, 1) (a 64-bit LCG), so the floats use all their bits.
pub fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A Cu–Zr triclinic box with a non-zero origin, image flags and 40 atoms.
pub fn triclinic() -> Structure {
    let mut u = uniform(7);
    let cell = Cell::from_lammps(
        [-3.1 * u(), 0.7 + u(), -12.345678901234567],
        [17.0 + u(), 19.3 + u(), 5.0 + u()],
        1.5 * u() - 0.75,
        -2.0 * u(),
        0.3 + u(),
    );
    let species = vec![
        Species {
            name: "Cu".into(),
            mass_amu: 63.546,
        },
        Species {
            name: "Zr".into(),
            mass_amu: 91.224,
        },
    ];
    let n = 40;
    let positions = (0..n).map(|_| cell.cartesian([u(), u(), u()])).collect();
    let types = (0..n).map(|i| usize::from(i % 3 == 1)).collect();
    let images = (0..n).map(|i| [i % 3 - 1, -(i % 5), i / 7]).collect();
    Structure::new(cell, species, types, positions, images).unwrap()
}

pub fn assert_bit_identical(a: &Structure, b: &Structure) {
    let bits = |s: &Structure| -> Vec<u64> {
        s.cell
            .vectors
            .iter()
            .flatten()
            .chain(&s.cell.origin)
            .chain(s.positions.iter().flatten())
            .chain(s.species.iter().map(|sp| &sp.mass_amu))
            .map(|x| x.to_bits())
            .collect()
    };
    assert_eq!(a, b);
    assert_eq!(
        bits(a),
        bits(b),
        "equal values but different bits (signed zeros)"
    );
}
