//! Conversions between [`Structure`] and what the worker sends or receives.

use crate::engine::BoxInfo;
use crate::protocol::{AtomsSpec, Snapshot};
use nonaffine_core::{Cell, CoreError, Species, Structure};

/// LAMMPS `nktv2p` in `metal` units: bar·Å³ per eV.
pub const NKTV2P_METAL: f64 = 1.6021765e6;

/// The box of a restricted-triclinic cell.
pub fn box_of(cell: &Cell) -> Option<BoxInfo> {
    let (lo, hi, xy, xz, yz) = cell.to_lammps()?;
    Some(BoxInfo {
        lo,
        hi,
        xy,
        xz,
        yz,
        periodic: [true; 3],
    })
}

/// The cell of a LAMMPS box.
pub fn cell_of(b: &BoxInfo) -> Cell {
    Cell::from_lammps(b.lo, b.hi, b.xy, b.xz, b.yz)
}

/// Atoms to create in LAMMPS from a structure whose cell is in restricted
/// triclinic form (see [`Structure::to_restricted`]); positions are wrapped
/// into the box with image flags adjusted so unwrapped positions are unchanged.
pub fn atoms_spec(s: &Structure) -> Option<AtomsSpec> {
    let cell = box_of(&s.cell)?;
    let mut positions = Vec::with_capacity(3 * s.len());
    let mut images = Vec::with_capacity(3 * s.len());
    for (r, im) in s.positions.iter().zip(&s.images) {
        let f = s.cell.fractional(*r);
        let shift = f.map(f64::floor);
        let wrapped = if shift == [0.0; 3] {
            *r
        } else {
            s.cell
                .cartesian([f[0] - shift[0], f[1] - shift[1], f[2] - shift[2]])
        };
        positions.extend_from_slice(&wrapped);
        images.extend((0..3).map(|k| im[k] + shift[k] as i32));
    }
    Some(AtomsSpec {
        cell,
        masses: s.species.iter().map(|sp| sp.mass_amu).collect(),
        types: s.types.iter().map(|&t| t as i32 + 1).collect(),
        positions,
        images,
    })
}

/// A structure from a snapshot; `names[t]` names LAMMPS type t+1.
pub fn structure_of(snap: &Snapshot, names: &[String]) -> Result<Structure, CoreError> {
    let species = snap
        .masses
        .iter()
        .enumerate()
        .map(|(t, m)| Species {
            name: names
                .get(t)
                .cloned()
                .unwrap_or_else(|| format!("type{}", t + 1)),
            mass_amu: *m,
        })
        .collect();
    let types = snap
        .types
        .iter()
        .map(|&t| (t.max(1) - 1) as usize)
        .collect();
    Structure::new(
        cell_of(&snap.cell),
        species,
        types,
        snap.positions.clone(),
        snap.images.clone(),
    )
}

/// Voigt virial [xx,yy,zz,yz,xz,xy] in eV from a LAMMPS pressure vector
/// [pxx,pyy,pzz,pxy,pxz,pyz] in bar and the volume in Å³.
pub fn virial_from_pressure(p_bar: &[f64], volume_a3: f64) -> [f64; 6] {
    let s = volume_a3 / NKTV2P_METAL;
    let g = |i: usize| p_bar.get(i).copied().unwrap_or(f64::NAN) * s;
    [g(0), g(1), g(2), g(5), g(4), g(3)]
}
