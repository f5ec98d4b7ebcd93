//! Periodic atomic structures in Å and amu.

use crate::error::CoreError;
use serde::{Deserialize, Serialize};

/// LAMMPS box parameters `(boxlo, boxhi, xy, xz, yz)`, in Å.
pub type LammpsBox = ([f64; 3], [f64; 3], f64, f64, f64);

/// A periodic cell: three lattice vectors (rows, in Å) and an origin (Å).
///
/// Invariant: the vectors are right-handed with positive volume. LAMMPS'
/// restricted triclinic form is `a = (lx,0,0)`, `b = (xy,ly,0)`, `c = (xz,yz,lz)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Lattice vectors a, b, c as rows, in Å.
    pub vectors: [[f64; 3]; 3],
    /// Lower corner of the cell (LAMMPS `boxlo`), in Å.
    pub origin: [f64; 3],
}

impl Cell {
    /// An orthogonal box with edge lengths in Å, origin at 0.
    pub fn orthogonal(lx: f64, ly: f64, lz: f64) -> Self {
        Self {
            vectors: [[lx, 0.0, 0.0], [0.0, ly, 0.0], [0.0, 0.0, lz]],
            origin: [0.0; 3],
        }
    }

    /// A LAMMPS box from `boxlo`, `boxhi` and tilt factors xy, xz, yz (Å).
    pub fn from_lammps(lo: [f64; 3], hi: [f64; 3], xy: f64, xz: f64, yz: f64) -> Self {
        let (lx, ly, lz) = (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]);
        Self {
            vectors: [[lx, 0.0, 0.0], [xy, ly, 0.0], [xz, yz, lz]],
            origin: lo,
        }
    }

    /// LAMMPS box parameters `(lo, hi, xy, xz, yz)` if the cell is in restricted
    /// triclinic form (to 1e-12 relative), else None.
    pub fn to_lammps(&self) -> Option<LammpsBox> {
        let v = &self.vectors;
        let scale = v.iter().flatten().fold(0.0f64, |m, x| m.max(x.abs()));
        let tol = 1e-12 * scale;
        if v[0][1].abs() > tol || v[0][2].abs() > tol || v[1][2].abs() > tol {
            return None;
        }
        if v[0][0] <= 0.0 || v[1][1] <= 0.0 || v[2][2] <= 0.0 {
            return None;
        }
        let lo = self.origin;
        let hi = [lo[0] + v[0][0], lo[1] + v[1][1], lo[2] + v[2][2]];
        Some((lo, hi, v[1][0], v[2][0], v[2][1]))
    }

    /// Signed volume a·(b×c) in Å³.
    pub fn volume(&self) -> f64 {
        let [a, b, c] = self.vectors;
        dot(a, cross(b, c))
    }

    /// Whether all tilt factors vanish.
    pub fn is_orthogonal(&self) -> bool {
        let v = &self.vectors;
        [v[0][1], v[0][2], v[1][0], v[1][2], v[2][0], v[2][1]]
            .iter()
            .all(|x| *x == 0.0)
    }

    /// Inverse of the row matrix: `frac = (r - origin) · inverse`.
    pub fn inverse(&self) -> [[f64; 3]; 3] {
        let [a, b, c] = self.vectors;
        let vol = self.volume();
        let (bc, ca, ab) = (cross(b, c), cross(c, a), cross(a, b));
        // Columns of the inverse are the reciprocal vectors / volume.
        let mut inv = [[0.0; 3]; 3];
        for i in 0..3 {
            inv[i] = [bc[i] / vol, ca[i] / vol, ab[i] / vol];
        }
        inv
    }

    /// Fractional coordinates of a Cartesian point.
    pub fn fractional(&self, r: [f64; 3]) -> [f64; 3] {
        let inv = self.inverse();
        let d = sub(r, self.origin);
        let mut s = [0.0; 3];
        for (k, sk) in s.iter_mut().enumerate() {
            *sk = d[0] * inv[0][k] + d[1] * inv[1][k] + d[2] * inv[2][k];
        }
        s
    }

    /// Cartesian point of fractional coordinates.
    pub fn cartesian(&self, s: [f64; 3]) -> [f64; 3] {
        let v = &self.vectors;
        let mut r = self.origin;
        for (k, rk) in r.iter_mut().enumerate() {
            *rk += s[0] * v[0][k] + s[1] * v[1][k] + s[2] * v[2][k];
        }
        r
    }

    /// Perpendicular widths (distance between opposite faces) in Å: the largest
    /// sphere diameter that fits, used to check a cutoff against the cell.
    pub fn widths(&self) -> [f64; 3] {
        let [a, b, c] = self.vectors;
        let vol = self.volume().abs();
        [
            vol / norm(cross(b, c)),
            vol / norm(cross(c, a)),
            vol / norm(cross(a, b)),
        ]
    }

    /// The same cell rotated into LAMMPS' restricted triclinic form, and the
    /// rotation `R` (rows) such that `r' = R r`. Needed to write a general cell
    /// (e.g. from extxyz) as a LAMMPS data file.
    pub fn to_restricted(&self) -> (Cell, [[f64; 3]; 3]) {
        let [a, b, c] = self.vectors;
        let ax = norm(a);
        let ahat = scale(a, 1.0 / ax);
        let bx = dot(b, ahat);
        let ab = cross(a, b);
        let nab = norm(ab);
        let by = nab / ax;
        let zhat = scale(ab, 1.0 / nab);
        let yhat = cross(zhat, ahat);
        let cx = dot(c, ahat);
        let cy = dot(c, yhat);
        let cz = dot(c, zhat);
        let rot = [ahat, yhat, zhat];
        let cell = Cell {
            vectors: [[ax, 0.0, 0.0], [bx, by, 0.0], [cx, cy, cz]],
            origin: matvec(&rot, self.origin),
        };
        (cell, rot)
    }
}

/// One chemical species.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Species {
    /// Element or type name ("Cu").
    pub name: String,
    /// Mass in amu.
    pub mass_amu: f64,
}

/// A periodic configuration of atoms.
///
/// Invariants (checked by [`Structure::new`]): equal lengths of `positions`,
/// `types` and `images`; every type indexes `species`; finite values; positive
/// cell volume and masses. Atom order is meaningful (it is the file order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Structure {
    /// The periodic cell.
    pub cell: Cell,
    /// Species; `types[i]` indexes this list.
    pub species: Vec<Species>,
    /// Species index of each atom (0-based).
    pub types: Vec<usize>,
    /// Cartesian positions in Å.
    pub positions: Vec<[f64; 3]>,
    /// Periodic image flags (how many times each atom crossed the cell).
    pub images: Vec<[i32; 3]>,
}

impl Structure {
    /// Builds and validates a structure.
    pub fn new(
        cell: Cell,
        species: Vec<Species>,
        types: Vec<usize>,
        positions: Vec<[f64; 3]>,
        images: Vec<[i32; 3]>,
    ) -> Result<Self, CoreError> {
        let s = Self {
            cell,
            species,
            types,
            positions,
            images,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the invariants.
    pub fn validate(&self) -> Result<(), CoreError> {
        let n = self.positions.len();
        if self.types.len() != n {
            return Err(CoreError::LengthMismatch {
                positions: n,
                other: self.types.len(),
                what: "types",
            });
        }
        if self.images.len() != n {
            return Err(CoreError::LengthMismatch {
                positions: n,
                other: self.images.len(),
                what: "image flags",
            });
        }
        for (atom, &t) in self.types.iter().enumerate() {
            if t >= self.species.len() {
                return Err(CoreError::BadSpecies {
                    atom,
                    index: t,
                    count: self.species.len(),
                });
            }
        }
        for sp in &self.species {
            if !(sp.mass_amu > 0.0 && sp.mass_amu.is_finite()) {
                return Err(CoreError::BadMass {
                    name: sp.name.clone(),
                    mass_amu: sp.mass_amu,
                });
            }
        }
        if self
            .cell
            .vectors
            .iter()
            .flatten()
            .chain(self.cell.origin.iter())
            .any(|x| !x.is_finite())
        {
            return Err(CoreError::NotFinite {
                what: "cell".into(),
            });
        }
        if let Some(i) = self
            .positions
            .iter()
            .position(|p| p.iter().any(|x| !x.is_finite()))
        {
            return Err(CoreError::NotFinite {
                what: format!("position of atom {i}"),
            });
        }
        let volume_a3 = self.cell.volume();
        if volume_a3.is_nan() || volume_a3 <= 0.0 {
            return Err(CoreError::BadCell { volume_a3 });
        }
        Ok(())
    }

    /// Number of atoms.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether there are no atoms.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Mass of each atom in amu.
    pub fn masses(&self) -> Vec<f64> {
        self.types
            .iter()
            .map(|&t| self.species[t].mass_amu)
            .collect()
    }

    /// Mass density in g/cm³.
    pub fn density_g_per_cm3(&self) -> f64 {
        self.masses().iter().sum::<f64>() / self.cell.volume()
            * crate::units::G_PER_CM3_PER_AMU_PER_A3
    }

    /// Unwrapped positions `r + image · cell`, in Å.
    pub fn unwrapped(&self) -> Vec<[f64; 3]> {
        let v = &self.cell.vectors;
        self.positions
            .iter()
            .zip(&self.images)
            .map(|(r, im)| {
                let mut u = *r;
                for (k, uk) in u.iter_mut().enumerate() {
                    *uk += f64::from(im[0]) * v[0][k]
                        + f64::from(im[1]) * v[1][k]
                        + f64::from(im[2]) * v[2][k];
                }
                u
            })
            .collect()
    }

    /// Number of atoms of each species.
    pub fn counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.species.len()];
        for &t in &self.types {
            c[t] += 1;
        }
        c
    }

    /// The same structure with the cell rotated into LAMMPS' restricted form
    /// (positions rotated with it; a no-op for a cell already in that form).
    pub fn to_restricted(&self) -> Structure {
        if self.cell.to_lammps().is_some() {
            return self.clone();
        }
        let (cell, rot) = self.cell.to_restricted();
        let mut s = self.clone();
        s.cell = cell;
        for p in &mut s.positions {
            *p = matvec(&rot, *p);
        }
        s
    }
}

pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}
fn scale(a: [f64; 3], s: f64) -> [f64; 3] {
    [a[0] * s, a[1] * s, a[2] * s]
}
fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn matvec(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [dot(m[0], v), dot(m[1], v), dot(m[2], v)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tri() -> Cell {
        Cell::from_lammps([0.5, -1.0, 2.0], [10.5, 8.0, 14.0], 1.5, -2.0, 0.75)
    }

    #[test]
    fn volume_of_restricted_triclinic_is_lx_ly_lz() {
        let c = tri();
        assert!((c.volume() - 10.0 * 9.0 * 12.0).abs() < 1e-9);
        let (lo, hi, xy, xz, yz) = c.to_lammps().unwrap();
        assert_eq!(
            (lo, hi, xy, xz, yz),
            ([0.5, -1.0, 2.0], [10.5, 8.0, 14.0], 1.5, -2.0, 0.75)
        );
    }

    #[test]
    fn fractional_round_trip() {
        let c = tri();
        let s = [0.1, 0.7, 0.35];
        let r = c.cartesian(s);
        let back = c.fractional(r);
        for k in 0..3 {
            assert!((back[k] - s[k]).abs() < 1e-14);
        }
    }

    #[test]
    fn widths_of_orthogonal_box() {
        let w = Cell::orthogonal(3.0, 4.0, 5.0).widths();
        assert_eq!(w, [3.0, 4.0, 5.0]);
    }

    #[test]
    fn general_cell_rotates_to_restricted_form_preserving_invariants() {
        // A rotated cell: lengths, angles and volume must be preserved.
        let c = Cell {
            vectors: [[3.0, 1.0, 0.5], [-0.5, 4.0, 1.0], [0.2, -0.3, 5.0]],
            origin: [0.0; 3],
        };
        let (r, rot) = c.to_restricted();
        assert!(r.to_lammps().is_some());
        assert!((r.volume() - c.volume()).abs() < 1e-12 * c.volume());
        for i in 0..3 {
            for j in 0..3 {
                let g0 = dot(c.vectors[i], c.vectors[j]);
                let g1 = dot(r.vectors[i], r.vectors[j]);
                assert!((g0 - g1).abs() < 1e-12, "metric {i}{j}");
            }
            // rot maps each old vector onto the new one.
            let m = matvec(&rot, c.vectors[i]);
            for (mk, rk) in m.iter().zip(&r.vectors[i]) {
                assert!((mk - rk).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn validation_rejects_bad_input() {
        let sp = vec![Species {
            name: "Cu".into(),
            mass_amu: 63.546,
        }];
        let cell = Cell::orthogonal(5.0, 5.0, 5.0);
        assert!(matches!(
            Structure::new(
                cell.clone(),
                sp.clone(),
                vec![1],
                vec![[0.0; 3]],
                vec![[0; 3]]
            ),
            Err(CoreError::BadSpecies { .. })
        ));
        assert!(matches!(
            Structure::new(
                cell.clone(),
                sp.clone(),
                vec![0],
                vec![[f64::NAN, 0.0, 0.0]],
                vec![[0; 3]]
            ),
            Err(CoreError::NotFinite { .. })
        ));
        assert!(matches!(
            Structure::new(cell, sp, vec![0, 0], vec![[0.0; 3]], vec![[0; 3]]),
            Err(CoreError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn density_of_fcc_copper() {
        // fcc Cu, a = 3.615 Å: 8.93 g/cm³ (handbook value 8.96 at room temperature).
        let a = 3.615;
        let sp = vec![Species {
            name: "Cu".into(),
            mass_amu: 63.546,
        }];
        let pos = vec![
            [0.0; 3],
            [0.0, a / 2.0, a / 2.0],
            [a / 2.0, 0.0, a / 2.0],
            [a / 2.0, a / 2.0, 0.0],
        ];
        let s = Structure::new(
            Cell::orthogonal(a, a, a),
            sp,
            vec![0; 4],
            pos,
            vec![[0; 3]; 4],
        )
        .unwrap();
        assert!((s.density_g_per_cm3() - 8.93).abs() < 0.01);
    }
}
