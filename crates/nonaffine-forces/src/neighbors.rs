//! O(N) cell-list pair search in a periodic triclinic cell.
//!
//! Atoms are binned in fractional coordinates into bins at least one cutoff
//! wide (in perpendicular width). An atom's neighbours lie within
//! R_k = ⌈r_c·n_k / w_k⌉ bins along direction k (n_k bins across a cell of
//! perpendicular width w_k), because two points within r_c of each other differ
//! by at most r_c / w_k in fractional coordinate k. Walking bin offsets −R_k…R_k
//! and mapping each to (bin mod n_k, lattice shift ⌊·/n_k⌋) visits every
//! periodic image of every atom exactly once; when the cell is narrower than
//! the cutoff, R_k exceeds n_k and several images of the same atom — including
//! images of atom i itself — are found. So cells of any size are handled, never
//! silently truncated to the minimum image.

use crate::ForceError;
use nonaffine_core::Structure;

/// One interacting pair: atom `i` and the periodic image of atom `j` displaced
/// by `shift` cell vectors (possibly `j == i` with a non-zero shift).
///
/// Each unordered pair appears once: either `i < j`, or `i == j` and `shift`
/// is lexicographically positive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    /// First atom (index into the structure).
    pub i: usize,
    /// Second atom.
    pub j: usize,
    /// Lattice translation n (in units of the cell vectors) applied to atom j:
    /// `delta = x_j + n·cell − x_i` with the structure's positions as given.
    pub shift: [i32; 3],
    /// Vector from atom i to the image of atom j, in Å.
    pub delta: [f64; 3],
    /// Distance |delta| in Å.
    pub r: f64,
}

/// All pairs closer than a cutoff, each listed once (a "half" list).
///
/// Reusable: the Hessian stage walks the same pairs and their vectors.
#[derive(Clone, Debug)]
pub struct NeighborList {
    cutoff_angstrom: f64,
    atoms: usize,
    pairs: Vec<Pair>,
}

/// Most lattice images per atom the search will walk before refusing the cell.
const MAX_BIN_VISITS: i64 = 2_000_000;

impl NeighborList {
    /// Finds every pair (with periodic images) with r < `cutoff_angstrom`.
    ///
    /// Fails on a non-positive cutoff, on two atoms at the same point, and on a
    /// cell so much narrower than the cutoff that the search would walk more
    /// than two million images per atom.
    pub fn build(structure: &Structure, cutoff_angstrom: f64) -> Result<Self, ForceError> {
        let rc = cutoff_angstrom;
        if !(rc > 0.0 && rc.is_finite()) {
            return Err(ForceError::BadCutoff {
                cutoff_angstrom: rc,
            });
        }
        let n_atoms = structure.len();
        let cell = &structure.cell;
        let widths = cell.widths();

        // Bins at least rc wide (fewer, fuller bins measured faster than rc/2),
        // at most ~2 per atom in total.
        let mut nb = [1i64; 3];
        for k in 0..3 {
            nb[k] = ((widths[k] / rc).floor() as i64).clamp(1, 1 << 20);
        }
        let max_bins = (2 * n_atoms as i64).max(27);
        while nb.iter().product::<i64>() > max_bins {
            let k = (0..3).max_by_key(|&k| nb[k]).unwrap_or(0);
            nb[k] = (nb[k] / 2).max(1);
        }
        // Bin reach; the relative margin guards the ceil against round-off.
        let mut reach = [1i64; 3];
        for k in 0..3 {
            let x = rc * nb[k] as f64 / widths[k] * (1.0 + 1e-12);
            reach[k] = if x.is_finite() && x < 1e9 {
                (x.ceil() as i64).max(1)
            } else {
                i64::MAX
            };
        }
        let visits = reach.iter().try_fold(1i64, |acc, &r| {
            acc.checked_mul(r.checked_mul(2)?.checked_add(1)?)
        });
        if visits.is_none_or(|v| v > MAX_BIN_VISITS) {
            return Err(ForceError::CellTooSmall {
                widths_angstrom: widths,
                cutoff_angstrom: rc,
            });
        }

        // Wrap every atom into the cell: fractional s = wrapped + w, w integer.
        let mut bin_of = Vec::with_capacity(n_atoms);
        let mut wraps = Vec::with_capacity(n_atoms);
        for (atom, x) in structure.positions.iter().enumerate() {
            let s = cell.fractional(*x);
            let mut w = [0i64; 3];
            let mut b = [0i64; 3];
            for k in 0..3 {
                let f = s[k].floor();
                if f.is_nan() || f.abs() >= 1e9 {
                    return Err(ForceError::FarAtom { atom });
                }
                w[k] = f as i64;
                b[k] = (((s[k] - f) * nb[k] as f64) as i64).clamp(0, nb[k] - 1);
            }
            wraps.push(w);
            bin_of.push((b[2] * nb[1] + b[1]) * nb[0] + b[0]);
        }
        // Counting sort of atoms by bin (CSR).
        let nbins = (nb[0] * nb[1] * nb[2]) as usize;
        let mut start = vec![0usize; nbins + 1];
        for &b in &bin_of {
            start[b as usize + 1] += 1;
        }
        for k in 0..nbins {
            start[k + 1] += start[k];
        }
        let mut fill = start.clone();
        let mut members = vec![0usize; n_atoms];
        for (atom, &b) in bin_of.iter().enumerate() {
            members[fill[b as usize]] = atom;
            fill[b as usize] += 1;
        }

        let v = &cell.vectors;
        let lattice = |n: [i64; 3]| -> [f64; 3] {
            let n = n.map(|x| x as f64);
            [0, 1, 2].map(|k| n[0] * v[0][k] + n[1] * v[1][k] + n[2] * v[2][k])
        };
        // Wrapped positions give a cheap first test; the pair's vector is then
        // computed from the given positions (as exactly as f64 allows) and
        // tested again, so the wrap's round-off never decides membership.
        let wrapped: Vec<[f64; 3]> = structure
            .positions
            .iter()
            .zip(&wraps)
            .map(|(x, w)| {
                let t = lattice(*w);
                [x[0] - t[0], x[1] - t[1], x[2] - t[2]]
            })
            .collect();
        let scale = structure
            .positions
            .iter()
            .flatten()
            .chain(v.iter().flatten())
            .fold(0.0f64, |m, x| m.max(x.abs()));
        let rc_pre = rc * (1.0 + 1e-9) + 1e-12 * scale;
        let rc2_pre = rc_pre * rc_pre;
        let rc2 = rc * rc;
        // Expected half-list length for a uniform density, plus 10 %.
        let sphere = 4.0 / 3.0 * std::f64::consts::PI * rc * rc * rc;
        let expected = 0.55 * n_atoms as f64 * (n_atoms as f64 * sphere / cell.volume());
        let mut pairs = Vec::with_capacity((expected as usize).min(1 << 28));
        for i in 0..n_atoms {
            let bi = bin_of[i];
            let b = [bi % nb[0], (bi / nb[0]) % nb[1], bi / (nb[0] * nb[1])];
            let xi = structure.positions[i];
            let wi = wrapped[i];
            for dz in -reach[2]..=reach[2] {
                let (bz, nz) = ((b[2] + dz).rem_euclid(nb[2]), (b[2] + dz).div_euclid(nb[2]));
                for dy in -reach[1]..=reach[1] {
                    let (by, ny) = ((b[1] + dy).rem_euclid(nb[1]), (b[1] + dy).div_euclid(nb[1]));
                    for dx in -reach[0]..=reach[0] {
                        let (bx, nx) =
                            ((b[0] + dx).rem_euclid(nb[0]), (b[0] + dx).div_euclid(nb[0]));
                        let bin = ((bz * nb[1] + by) * nb[0] + bx) as usize;
                        let image = [nx, ny, nz];
                        let t = lattice(image);
                        let o = [t[0] - wi[0], t[1] - wi[1], t[2] - wi[2]];
                        let in_bin = &members[start[bin]..start[bin + 1]];
                        // Members are in atom order: skip those below i at once.
                        let first = in_bin.partition_point(|&j| j < i);
                        for &j in &in_bin[first..] {
                            if j == i && !lexicographically_positive(image) {
                                continue;
                            }
                            let w = wrapped[j];
                            let a = [w[0] + o[0], w[1] + o[1], w[2] + o[2]];
                            if a[0] * a[0] + a[1] * a[1] + a[2] * a[2] >= rc2_pre {
                                continue;
                            }
                            // Image of j at fractional (s_j − w_j) + image, i at s_i − w_i:
                            // the shift relative to the given positions is image − w_j + w_i.
                            let mut shift = [0i32; 3];
                            for k in 0..3 {
                                shift[k] = i32::try_from(image[k] - wraps[j][k] + wraps[i][k])
                                    .map_err(|_| ForceError::FarAtom { atom: j })?;
                            }
                            let xj = structure.positions[j];
                            let mut d = [0.0; 3];
                            for k in 0..3 {
                                d[k] = (xj[k] - xi[k])
                                    + (f64::from(shift[0]) * v[0][k]
                                        + f64::from(shift[1]) * v[1][k]
                                        + f64::from(shift[2]) * v[2][k]);
                            }
                            let rsq = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                            if rsq < rc2 {
                                if rsq == 0.0 {
                                    return Err(ForceError::Overlap { i, j });
                                }
                                pairs.push(Pair {
                                    i,
                                    j,
                                    shift,
                                    delta: d,
                                    r: rsq.sqrt(),
                                });
                            }
                        }
                    }
                }
            }
        }
        Ok(Self {
            cutoff_angstrom: rc,
            atoms: n_atoms,
            pairs,
        })
    }

    /// The pairs, ordered by `i`.
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// Cutoff in Å the list was built for.
    pub fn cutoff_angstrom(&self) -> f64 {
        self.cutoff_angstrom
    }

    /// Number of atoms of the structure the list was built for.
    pub fn atoms(&self) -> usize {
        self.atoms
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no pair is within the cutoff.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

fn lexicographically_positive(n: [i64; 3]) -> bool {
    n[0] > 0 || (n[0] == 0 && (n[1] > 0 || (n[1] == 0 && n[2] > 0)))
}
