//! The mass-weighted Hessian D = M^{-1/2} H M^{-1/2} as a matrix-free operator:
//! D·v from a half pair list on the fly, for glasses too large to store H
//! (docs/theory.md §4, the `lanczos` solver; issue 5).
//!
//! With the notation of [`crate::model`] (u = M^{-1/2} v, pair (i, j) with
//! vector e = x_j − x_i, g_ij = ρ'_{i←j}(r)/r so that b_{i,j} = g_ij e), the
//! product H u of [`crate::assemble`]'s matrix is
//! ```text
//! (H u)_m = Σ_bonds(m→n) K_mn (u_m − u_n)                      (pair term, C12)
//!         + Σ_k F''_k b_{k,m} (Σ_n b_{k,n}·u_n)               (embedding, C6/C8)
//! ```
//! and is evaluated in two passes over the pairs:
//! 1. s_k = Σ_n b_{k,n}·u_n = ∇ρ̄_k·u: each pair adds g_ij d to s_i and g_ji d to
//!    s_j, d = e·(u_j − u_i) (b_{k,k} = −Σ_n b_{k,n} is what makes it a
//!    difference), and t = K (u_i − u_j) to row i, −t to row j;
//! 2. with w_k = F''_k s_k, each pair adds −c e to row i and c e to row j,
//!    c = w_i g_ij + w_j g_ji.
//!
//! Pass 1 reads every pair, pass 2 only those with a density gradient (in a
//! CuZr glass 56 %: the density reaches 6.0 Å, the pair potential 7.6 Å),
//! which come first in each row. Both passes run as 256-bit vector
//! instructions where the processor has AVX2 (one pair per vector), or as
//! portable loops; the two give equal results
//! ([`MatrixFreeHessian::use_vector_instructions`]).
//!
//! Storage: 38 bytes per pair in arrays by field, pairs grouped by their first
//! atom i (row starts per atom): the second atom j (4 bytes), the index of
//! its lattice translation T in a small table (2 bytes), the stiffness
//! coefficients A, B of K = A e⊗e + B 1 and g_ij, g_ji (8 each). The pair
//! vector e is not stored: it is recomputed as (x_j − x_i) + T, the same
//! floating-point operations as the neighbour list's, so it is bit for bit the
//! vector the coefficients were evaluated with. A product reads 38 bytes per
//! pair and 22 more per pair with a density gradient (j, T, g_ij, g_ji), plus
//! a few doubles per atom: linear in N, about 1/40 of the stored CSR matrix
//! for a metallic glass (whose embedding term couples atoms out to twice the
//! cutoff). Each product uses one N-atom accumulator per worker thread, kept
//! between products: the atoms are split into contiguous ranges of about
//! equal pair counts, one per thread, summed separately and added, so results
//! differ between thread counts only by round-off.
//!
//! The same pairs give Ξ (paper Eq. C9, [`crate::affine`]):
//! Ξ_{m,a} = Σ_bonds(m) K E^a e − Σ_k F''_k τ_{k,a} b_{k,m}, without the bond and
//! density-gradient lists of [`crate::AnalyticDerivatives`].
//!
//! Accuracy (tests): D·v equals the stored CSR matrix's product to ~1e-15
//! relative, and central differences of forces to the difference's own error.

use crate::model::{check_species, dot, strain_dir, strain_quad};
use crate::relaxed::HessianOperator;
use crate::HessianError;
use kernels::{AtomXu, Kernel, Pairs, Quad};
use nalgebra::Matrix3;
use nonaffine_core::units::GPA_PER_EV_PER_A3;
use nonaffine_core::{EamForm, Potential, Structure, SymmetricOperator};
use nonaffine_forces::NeighborList;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;

mod kernels;

/// One pair of the half list with what its products need, as the stored
/// arrays give it back (see the module docs).
#[derive(Clone, Copy, Debug)]
struct PairTerm {
    /// First atom.
    i: usize,
    /// Second atom (equal to `i` for a periodic self-image).
    j: usize,
    /// Vector from i to (the image of) j, Å.
    e: [f64; 3],
    /// K = a e⊗e + b 1: a = (ψ'' − ψ'/r)/r² (eV/Å⁴), b = ψ'/r (eV/Å²).
    a: f64,
    /// See `a`.
    b: f64,
    /// ρ'_{i←j}(r)/r, density per Å².
    g_ij: f64,
    /// ρ'_{j←i}(r)/r, density per Å².
    g_ji: f64,
}

impl PairTerm {
    /// K x, eV/Å² · x.
    #[inline]
    fn stiffness_apply(&self, x: [f64; 3]) -> [f64; 3] {
        stiffness_apply(self.a, self.b, self.e, x)
    }

    fn is_self_image(&self) -> bool {
        self.i == self.j
    }
}

/// K x for K = a e⊗e + b 1.
#[inline(always)]
fn stiffness_apply(a: f64, b: f64, e: [f64; 3], x: [f64; 3]) -> [f64; 3] {
    let s = a * (e[0] * x[0] + e[1] * x[1] + e[2] * x[2]);
    [
        s * e[0] + b * x[0],
        s * e[1] + b * x[1],
        s * e[2] + b * x[2],
    ]
}

/// The pair vector (x_j − x_i) + T, in the neighbour list's operation order.
#[inline(always)]
fn pair_vector(xi: [f64; 3], xj: [f64; 3], t: [f64; 3]) -> [f64; 3] {
    [
        (xj[0] - xi[0]) + t[0],
        (xj[1] - xi[1]) + t[1],
        (xj[2] - xi[2]) + t[2],
    ]
}

/// The translation of index `image`, Å.
#[inline(always)]
fn translation(translations: &[Quad], image: u16) -> [f64; 3] {
    let [x, y, z, _] = translations[usize::from(image)].0;
    [x, y, z]
}

/// D = M^{-1/2} H M^{-1/2} (eV/(Å²·amu)) of one structure, applied from its
/// pair list; see the module docs.
pub struct MatrixFreeHessian {
    n: usize,
    /// The atoms in the operator's order (space-filling, see
    /// [`spatial_order`]): internal atom k is the structure's atom `order[k]`.
    /// Everything below is in this order; the public methods take and give
    /// the structure's.
    order: Vec<u32>,
    /// The inverse of `order`: the structure's atom a is internal atom `rank[a]`.
    rank: Vec<u32>,
    /// Positions as given to the neighbour list, Å.
    x: Vec<[f64; 3]>,
    /// Pairs of first atom i: `row[i]..row[i + 1]`; those with a density
    /// gradient (g_ij or g_ji not zero) first, up to `row_gradient[i]`.
    row: Vec<usize>,
    /// The end of row i's pairs with a density gradient.
    row_gradient: Vec<usize>,
    /// Second atom of each pair.
    j: Vec<u32>,
    /// Index into `translations` of each pair.
    image: Vec<u16>,
    /// The lattice translations n·cell (Å) the pairs use, each computed as
    /// the neighbour list computes it, as (x, y, z, 0).
    translations: Vec<Quad>,
    /// (a, b) of K = a e⊗e + b 1 per pair (see [`PairTerm`]).
    stiffness: Vec<[f64; 2]>,
    /// (g_ij, g_ji) per pair, density per Å².
    gradient: Vec<[f64; 2]>,
    /// Atom ranges of about equal pair counts, one per worker thread.
    ranges: Vec<std::ops::Range<usize>>,
    /// F''(ρ̄_m), eV per density².
    f2: Vec<f64>,
    /// 1/sqrt(m) per atom, amu^{-1/2}.
    inv_sqrt_mass: Vec<f64>,
    embedding: bool,
    /// The form of the product's passes (vector instructions or portable).
    kernel: Kernel,
    /// The buffers of a product, kept for the next one.
    scratch: Mutex<Scratch>,
}

/// Buffers of one product, kept between products: allocated anew each time,
/// their pages would be mapped and zeroed by the kernel on every product
/// (half a million page faults per product at 10⁶ atoms).
#[derive(Default)]
struct Scratch {
    /// (x, u) per atom.
    xu: Vec<AtomXu>,
    /// One accumulator per thread range: (H u, ∇ρ̄·u) per atom.
    parts: Vec<Vec<Quad>>,
    /// (x, w = F''·∇ρ̄·u) per atom.
    xw: Vec<Quad>,
}

/// The stored arrays of a chunk of the neighbour list, while they are built.
#[derive(Default)]
struct Chunk {
    i: Vec<u32>,
    j: Vec<u32>,
    image: Vec<u16>,
    stiffness: Vec<[f64; 2]>,
    gradient: Vec<[f64; 2]>,
}

/// Sums per-pair contributions into an array of `len` doubles: the pairs are
/// split into one contiguous chunk per thread, each summed into its own
/// accumulator, and the accumulators added.
fn scatter<P, F>(pairs: &[P], len: usize, add: F) -> Vec<f64>
where
    P: Sync,
    F: Fn(&P, &mut [f64]) + Sync,
{
    let chunk = pairs.len().div_ceil(rayon::current_num_threads()).max(1);
    sum_parts(
        pairs
            .par_chunks(chunk)
            .map(|ps| {
                let mut acc = vec![0.0; len];
                for p in ps {
                    add(p, &mut acc);
                }
                acc
            })
            .collect(),
        len,
    )
}

/// The element-wise sum of per-thread accumulators (zeros of `len` if none).
fn sum_parts(parts: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut parts = parts.into_iter();
    let Some(mut total) = parts.next() else {
        return vec![0.0; len];
    };
    for part in parts {
        total
            .par_iter_mut()
            .zip(part.par_iter())
            .for_each(|(t, p)| *t += p);
    }
    total
}

/// An order of the atoms along a space-filling (Morton) curve through the
/// cell, 1024 steps per cell vector: atoms near in space are near in the
/// order, so the atoms a run of pairs touches stay in cache.
fn spatial_order(structure: &Structure) -> Vec<u32> {
    fn spread(x: u64) -> u64 {
        // Bits 0..10 of x to every third bit.
        let mut x = x & 0x3ff;
        x = (x | (x << 16)) & 0x0300_00ff;
        x = (x | (x << 8)) & 0x0300_f00f;
        x = (x | (x << 4)) & 0x030c_30c3;
        (x | (x << 2)) & 0x0924_9249
    }
    let mut keyed: Vec<(u64, u32)> = structure
        .positions
        .iter()
        .enumerate()
        .map(|(atom, x)| {
            let s = structure.cell.fractional(*x);
            let q = s.map(|f| {
                let w = f - f.floor();
                if w.is_finite() {
                    ((w * 1024.0) as u64).min(1023)
                } else {
                    0
                }
            });
            (
                spread(q[0]) | (spread(q[1]) << 1) | (spread(q[2]) << 2),
                atom as u32,
            )
        })
        .collect();
    keyed.par_sort_unstable();
    keyed.into_iter().map(|(_, atom)| atom).collect()
}

/// Puts each row's pairs with a density gradient first (keeping their order)
/// and returns where they end per row: a pair beyond the density's range
/// (44 % of a CuZr glass's) has nothing to do in the product's second pass.
fn gradient_first(
    row: &[usize],
    j: &mut [u32],
    image: &mut [u16],
    stiffness: &mut [[f64; 2]],
    gradient: &mut [[f64; 2]],
) -> Vec<usize> {
    let mut ends = Vec::with_capacity(row.len().saturating_sub(1));
    let mut rest: Vec<(u32, u16, [f64; 2], [f64; 2])> = Vec::new();
    for r in row.windows(2) {
        let mut end = r[0];
        rest.clear();
        for k in r[0]..r[1] {
            let item = (j[k], image[k], stiffness[k], gradient[k]);
            if gradient[k] == [0.0, 0.0] {
                rest.push(item);
            } else {
                (j[end], image[end], stiffness[end], gradient[end]) = item;
                end += 1;
            }
        }
        for (k, item) in (end..).zip(&rest) {
            (j[k], image[k], stiffness[k], gradient[k]) = *item;
        }
        ends.push(end);
    }
    ends
}

/// The inverse of a permutation of 0..n.
fn inverse_permutation(order: &[u32]) -> Vec<u32> {
    let mut rank = vec![0u32; order.len()];
    for (k, &atom) in order.iter().enumerate() {
        rank[atom as usize] = k as u32;
    }
    rank
}

/// Splits atoms 0..n into `parts` contiguous ranges of about equal pair
/// counts (`row` holds the row starts).
fn balanced_ranges(row: &[usize], parts: usize) -> Vec<std::ops::Range<usize>> {
    let n = row.len() - 1;
    let total = row[n];
    let mut out = Vec::with_capacity(parts);
    let mut begin = 0;
    for k in 1..=parts {
        let end = if k == parts {
            n
        } else {
            row.partition_point(|&p| p < total * k / parts)
                .min(n)
                .max(begin)
        };
        out.push(begin..end);
        begin = end;
    }
    out
}

impl MatrixFreeHessian {
    /// Builds the pair list of `structure` (species indexed as `form`'s, see
    /// [`nonaffine_forces::align_species`]) and evaluates F', F'', φ', φ'',
    /// ρ', ρ'' once; masses from the structure.
    pub fn new(form: &dyn EamForm, structure: &Structure) -> Result<Self, HessianError> {
        let n = structure.len();
        check_species(form, structure)?;
        if u32::try_from(n).is_err() {
            return Err(HessianError::Invalid(format!(
                "{n} atoms: the matrix-free operator indexes atoms with 32 bits"
            )));
        }
        // The structure in the operator's order (positions copied exactly,
        // so every pair vector is the one of the given order, or its negative).
        let order = spatial_order(structure);
        let mut sorted = structure.clone();
        sorted.positions = order
            .iter()
            .map(|&a| structure.positions[a as usize])
            .collect();
        sorted.types = order.iter().map(|&a| structure.types[a as usize]).collect();
        sorted.images = order
            .iter()
            .map(|&a| structure.images[a as usize])
            .collect();
        let structure = &sorted;
        let list = NeighborList::build(structure, form.cutoff())?;
        let t = &structure.types;
        let embedding = form.has_embedding();

        // Host densities ρ̄ (each pair feeds both ends; a self-image pair is two bonds).
        let (f1, f2) = if embedding {
            let rho = scatter(list.pairs(), n, |p, rho| {
                rho[p.i] += form.density(t[p.i], t[p.j], p.r).value;
                rho[p.j] += form.density(t[p.j], t[p.i], p.r).value;
            });
            rho.iter()
                .zip(t)
                .map(|(r, &ty)| {
                    let f = form.embedding(ty, *r);
                    (f.d1, f.d2)
                })
                .unzip()
        } else {
            (vec![0.0; n], vec![0.0; n])
        };

        // The lattice translations the pairs use, computed as the neighbour
        // list computes them.
        let v = &structure.cell.vectors;
        let mut shifts: Vec<[i32; 3]> = Vec::new();
        let mut index: HashMap<[i32; 3], u16> = HashMap::new();
        for p in list.pairs() {
            if shifts.last() != Some(&p.shift) && !index.contains_key(&p.shift) {
                index.insert(p.shift, shifts.len() as u16);
                shifts.push(p.shift);
            }
        }
        if shifts.len() > usize::from(u16::MAX) + 1 {
            return Err(HessianError::Invalid(format!(
                "the pairs reach {} periodic images: wrap the atoms into the cell (the \
                 matrix-free operator indexes images with 16 bits)",
                shifts.len()
            )));
        }
        let translations: Vec<Quad> = shifts
            .iter()
            .map(|shift| {
                let s = shift.map(f64::from);
                let t = |k: usize| s[0] * v[0][k] + s[1] * v[1][k] + s[2] * v[2][k];
                Quad([t(0), t(1), t(2), 0.0])
            })
            .collect();

        // The coefficients of every interacting pair (pairs with no
        // interaction at all, beyond a per-type-pair cutoff, are left out),
        // in chunks so that the neighbour list can go before the arrays are
        // joined (peak memory: the list plus one copy of the arrays).
        let chunks: Vec<Chunk> = list
            .pairs()
            .par_chunks(1 << 16)
            .map(|pairs| {
                let mut c = Chunk::default();
                for p in pairs {
                    let (ti, tj) = (t[p.i], t[p.j]);
                    let phi = form.pair(ti, tj, p.r);
                    let (rho_ij, rho_ji) = if embedding {
                        (form.density(ti, tj, p.r), form.density(tj, ti, p.r))
                    } else {
                        Default::default()
                    };
                    let inert = [phi.d1, phi.d2, rho_ij.d1, rho_ij.d2, rho_ji.d1, rho_ji.d2]
                        .iter()
                        .all(|x| *x == 0.0);
                    if inert {
                        continue;
                    }
                    // ψ', ψ'' exactly as crate::model evaluates them (same sums, same order).
                    let psi1 = phi.d1 + (f1[p.i] * rho_ij.d1 + f1[p.j] * rho_ji.d1);
                    let psi2 = phi.d2 + (f1[p.i] * rho_ij.d2 + f1[p.j] * rho_ji.d2);
                    let inv_r = 1.0 / p.r;
                    let b = psi1 * inv_r;
                    c.i.push(p.i as u32);
                    c.j.push(p.j as u32);
                    c.image.push(index.get(&p.shift).copied().unwrap_or(0));
                    c.stiffness.push([(psi2 - b) * inv_r * inv_r, b]);
                    c.gradient.push([rho_ij.d1 / p.r, rho_ji.d1 / p.r]);
                }
                c
            })
            .collect();
        drop(list);
        let kept: usize = chunks.iter().map(|c| c.j.len()).sum();
        let mut row = vec![0usize; n + 1];
        let mut j = Vec::with_capacity(kept);
        let mut image = Vec::with_capacity(kept);
        let mut stiffness = Vec::with_capacity(kept);
        let mut gradient = Vec::with_capacity(kept);
        for c in chunks {
            // The pairs come ordered by i: count rows, then prefix-sum.
            c.i.iter().for_each(|&i| row[i as usize + 1] += 1);
            j.extend_from_slice(&c.j);
            image.extend_from_slice(&c.image);
            stiffness.extend_from_slice(&c.stiffness);
            gradient.extend_from_slice(&c.gradient);
        }
        for m in 0..n {
            row[m + 1] += row[m];
        }
        let row_gradient = gradient_first(&row, &mut j, &mut image, &mut stiffness, &mut gradient);
        let ranges = balanced_ranges(&row, rayon::current_num_threads().max(1));
        let inv_sqrt_mass = structure.masses().iter().map(|m| 1.0 / m.sqrt()).collect();
        let op = Self {
            n,
            rank: inverse_permutation(&order),
            order,
            x: std::mem::take(&mut sorted.positions),
            row,
            row_gradient,
            j,
            image,
            translations,
            stiffness,
            gradient,
            ranges,
            f2,
            inv_sqrt_mass,
            embedding,
            kernel: Kernel::detect(),
            scratch: Mutex::new(Scratch::default()),
        };
        Ok(op)
    }

    /// [`MatrixFreeHessian::new`] for a structure whose species are matched to
    /// `potential`'s elements by name (masses from the potential, atom order
    /// kept), as [`crate::compute`] does. A potential without an analytic form
    /// is refused.
    pub fn from_potential(
        structure: &Structure,
        potential: &dyn Potential,
    ) -> Result<Self, HessianError> {
        let form = potential
            .form()
            .ok_or_else(|| HessianError::NoForm(potential.name().to_string()))?;
        let aligned = nonaffine_forces::align_species(structure, potential)?;
        Self::new(form, &aligned)
    }

    /// Atoms N.
    pub fn atoms(&self) -> usize {
        self.n
    }

    /// Interacting pairs stored (half list, periodic self-images included).
    pub fn pairs(&self) -> usize {
        self.j.len()
    }

    /// Bytes held (pair arrays and per-atom arrays), excluding the per-product
    /// accumulators (one 3N and one N array of doubles per thread).
    pub fn bytes(&self) -> usize {
        use std::mem::size_of_val;
        size_of_val(&self.j[..])
            + size_of_val(&self.image[..])
            + size_of_val(&self.stiffness[..])
            + size_of_val(&self.gradient[..])
            + size_of_val(&self.translations[..])
            + size_of_val(&self.x[..])
            + size_of_val(&self.order[..])
            + size_of_val(&self.rank[..])
            + size_of_val(&self.row[..])
            + size_of_val(&self.row_gradient[..])
            + size_of_val(&self.f2[..])
            + size_of_val(&self.inv_sqrt_mass[..])
    }

    /// Pairs with a density gradient (the second pass's).
    fn gradient_pairs(&self) -> usize {
        self.row_gradient
            .iter()
            .zip(&self.row)
            .map(|(end, start)| end - start)
            .sum()
    }

    /// Bytes of pair data one product reads: pass 1 every pair array, pass 2
    /// (with an embedding term) j, the translation index and g of the pairs
    /// with a density gradient (module docs).
    pub fn bytes_per_product(&self) -> usize {
        let pass2 = if self.embedding {
            self.gradient_pairs() * (4 + 2 + 16)
        } else {
            0
        };
        self.pair_array_bytes() + pass2
    }

    /// Bytes of the stored pair arrays (j, translation index, stiffness, g).
    pub fn pair_array_bytes(&self) -> usize {
        self.pairs() * (4 + 2 + 16 + 16)
    }

    /// Reads every stored pair array once, front to back, in the product's
    /// split over threads, and sums them: the streaming read that measures
    /// the memory bandwidth for the benchmark's memory-traffic bound
    /// ([`pair_array_bytes`](Self::pair_array_bytes) read; the sum is only
    /// returned so that the reads cannot be left out).
    pub fn stream_pair_data(&self) -> f64 {
        self.ranges
            .par_iter()
            .map(|atoms| {
                let r = self.row[atoms.start]..self.row[atoms.end];
                let mut acc = [0.0f64; 4];
                let mut idx = 0u64;
                for (j, im) in self.j[r.clone()].iter().zip(&self.image[r.clone()]) {
                    idx = idx.wrapping_add(u64::from(*j) ^ u64::from(*im));
                }
                for g in &self.gradient[r.clone()] {
                    acc[0] += g[0];
                    acc[1] += g[1];
                }
                for k in &self.stiffness[r] {
                    acc[2] += k[0];
                    acc[3] += k[1];
                }
                acc.iter().sum::<f64>() + idx as f64
            })
            .sum()
    }

    /// Calls `visit` with every stored pair of the atoms in `atoms`.
    fn for_pairs(&self, atoms: std::ops::Range<usize>, mut visit: impl FnMut(&PairTerm)) {
        for i in atoms {
            let xi = self.x[i];
            for k in self.row[i]..self.row[i + 1] {
                let j = self.j[k] as usize;
                let [a, b] = self.stiffness[k];
                let [g_ij, g_ji] = self.gradient[k];
                visit(&PairTerm {
                    i,
                    j,
                    e: pair_vector(
                        xi,
                        self.x[j],
                        translation(&self.translations, self.image[k]),
                    ),
                    a,
                    b,
                    g_ij,
                    g_ji,
                });
            }
        }
    }

    /// [`scatter`] over the stored pairs: one accumulator of `len` doubles
    /// per thread range, added.
    fn scatter_pairs<F>(&self, len: usize, add: F) -> Vec<f64>
    where
        F: Fn(&PairTerm, &mut [f64]) + Sync,
    {
        let parts = self
            .ranges
            .par_iter()
            .map(|atoms| {
                let mut acc = vec![0.0; len];
                self.for_pairs(atoms.clone(), |p| add(p, &mut acc));
                acc
            })
            .collect();
        sum_parts(parts, len)
    }

    /// `per_atom` values per atom from the operator's order to the structure's.
    fn to_user<T: Copy>(&self, internal: &[T], per_atom: usize) -> Vec<T> {
        let mut out = internal.to_vec();
        self.to_user_into(internal, per_atom, &mut out);
        out
    }

    /// [`to_user`](Self::to_user) into `out`.
    fn to_user_into<T: Copy>(&self, internal: &[T], per_atom: usize, out: &mut [T]) {
        for (k, &atom) in self.order.iter().enumerate() {
            let (a, k) = (atom as usize * per_atom, k * per_atom);
            out[a..a + per_atom].copy_from_slice(&internal[k..k + per_atom]);
        }
    }

    /// y = H u (eV/Å for u in Å), the unweighted Hessian's product, in the
    /// two passes of the module docs.
    pub fn hessian_apply(&self, u: &[f64], y: &mut [f64]) {
        assert_eq!(u.len(), 3 * self.n, "u must have 3N entries");
        assert_eq!(y.len(), 3 * self.n, "y must have 3N entries");
        self.product(u, None, y);
    }

    /// y = S H S u with S = diag(`scale`) per atom (None: 1, internal
    /// order), u and y in the structure's order, with the kept buffers (or
    /// fresh ones while another product holds them). The per-atom data a pair
    /// touches at its second atom sit together (x and u in pass 1, x and w in
    /// pass 2; y and s in each thread's accumulator): one cache line per
    /// random access.
    fn product(&self, u: &[f64], scale: Option<&[f64]>, y: &mut [f64]) {
        let mut fresh = Scratch::default();
        let mut kept = self.scratch.try_lock();
        let Scratch { xu, parts, xw } = match kept.as_deref_mut() {
            Ok(s) => s,
            Err(_) => &mut fresh,
        };
        let n = self.n;
        let (pairs, kernel) = (self.pair_arrays(), self.kernel);
        xu.resize(n, AtomXu::default());
        xu.par_iter_mut()
            .zip(self.x.par_iter())
            .zip(self.order.par_iter())
            .enumerate()
            .for_each(|(k, ((d, x), &atom))| {
                let w = scale.map_or(1.0, |s| s[k]);
                let a = 3 * atom as usize;
                d.x = Quad([x[0], x[1], x[2], 0.0]);
                d.u = Quad([u[a] * w, u[a + 1] * w, u[a + 2] * w, 0.0]);
            });
        let xu: &[AtomXu] = xu;
        // Pass 1: stiffness into y, ∇ρ̄·u into s, per thread range.
        parts.resize_with(self.ranges.len(), Vec::new);
        parts
            .par_iter_mut()
            .zip(self.ranges.par_iter())
            .for_each(|(acc, atoms)| {
                acc.clear();
                acc.resize(n, Quad::default());
                kernel.pass1(pairs, atoms.clone(), xu, acc);
            });
        if self.embedding {
            // Pass 2: −c e into row i, c e into row j, c = w_i g_ij + w_j g_ji.
            xw.resize(n, Quad::default());
            {
                let parts: &[Vec<Quad>] = parts;
                xw.par_iter_mut().enumerate().for_each(|(m, d)| {
                    let s: f64 = parts.iter().map(|p| p[m].0[3]).sum();
                    let x = self.x[m];
                    *d = Quad([x[0], x[1], x[2], s * self.f2[m]]);
                });
            }
            let xw: &[Quad] = xw;
            parts
                .par_iter_mut()
                .zip(&self.ranges)
                .for_each(|(acc, atoms)| kernel.pass2(pairs, atoms.clone(), xw, acc));
        }
        // The threads' sums, scaled, into the structure's order.
        let parts: &[Vec<Quad>] = parts;
        y.par_chunks_exact_mut(3)
            .zip(self.rank.par_iter())
            .for_each(|(ya, &m)| {
                let m = m as usize;
                let mut sum = [0.0; 3];
                for p in parts {
                    for k in 0..3 {
                        sum[k] += p[m].0[k];
                    }
                }
                let w = scale.map_or(1.0, |s| s[m]);
                for k in 0..3 {
                    ya[k] = sum[k] * w;
                }
            });
    }

    /// Whether products use the processor's vector instructions (AVX2 on
    /// x86-64, chosen when the processor has them) or portable loops.
    pub fn vector_instructions(&self) -> bool {
        self.kernel != Kernel::Portable
    }

    /// Turns the vector instructions off (`false`) or back on where the
    /// processor has them. Both forms give equal results; this is
    /// for comparing them.
    pub fn use_vector_instructions(&mut self, enabled: bool) {
        self.kernel = if enabled {
            Kernel::detect()
        } else {
            Kernel::Portable
        };
    }

    /// The stored pair arrays.
    fn pair_arrays(&self) -> Pairs<'_> {
        Pairs {
            row: &self.row,
            row_gradient: &self.row_gradient,
            j: &self.j,
            image: &self.image,
            stiffness: &self.stiffness,
            gradient: &self.gradient,
            translations: &self.translations,
        }
    }

    /// The 3×3 diagonal blocks of H, eV/Å²:
    /// H_mm = Σ_bonds(m) K + Σ_k F''_k b_{k,m}⊗b_{k,m}.
    /// Exact when each neighbour appears once (cells wider than twice the
    /// cutoff); when several images of atom m neighbour k, b_{k,m} is their
    /// sum and the cross terms between images are left out here (the tests
    /// check the wide case). Used to scale the spectrum stage's zero-mode
    /// tolerance and as the block-Jacobi preconditioner of the relaxed
    /// moduli, where an approximation changes the iteration count, not the
    /// result.
    pub fn hessian_diagonal_blocks(&self) -> Vec<[[f64; 3]; 3]> {
        self.to_user(&self.blocks_internal(), 1)
    }

    /// [`MatrixFreeHessian::hessian_diagonal_blocks`] in the operator's order.
    fn blocks_internal(&self) -> Vec<[[f64; 3]; 3]> {
        // b_{m,m} = −Σ_n g_mn e_mn.
        let own = if self.embedding {
            self.scatter_pairs(3 * self.n, |p, b| {
                if p.is_self_image() {
                    return;
                }
                let (i, j) = (p.i, p.j);
                for k in 0..3 {
                    b[3 * i + k] -= p.g_ij * p.e[k];
                    b[3 * j + k] += p.g_ji * p.e[k];
                }
            })
        } else {
            Vec::new()
        };
        let flat = self.scatter_pairs(9 * self.n, |p, d| {
            if p.is_self_image() {
                return;
            }
            let (i, j) = (p.i, p.j);
            for k in 0..3 {
                for l in 0..3 {
                    let kk = p.a * p.e[k] * p.e[l] + if k == l { p.b } else { 0.0 };
                    d[9 * i + 3 * k + l] += kk;
                    d[9 * j + 3 * k + l] += kk;
                    if self.embedding {
                        // b_{i,j} = g_ij e (F''_i), b_{j,i} = −g_ji e (F''_j).
                        d[9 * j + 3 * k + l] += self.f2[i] * (p.g_ij * p.e[k]) * (p.g_ij * p.e[l]);
                        d[9 * i + 3 * k + l] += self.f2[j] * (p.g_ji * p.e[k]) * (p.g_ji * p.e[l]);
                    }
                }
            }
        });
        flat.chunks_exact(9)
            .enumerate()
            .map(|(m, c)| {
                std::array::from_fn(|k| {
                    std::array::from_fn(|l| {
                        let mut v = c[3 * k + l];
                        if self.embedding {
                            v += self.f2[m] * own[3 * m + k] * own[3 * m + l];
                        }
                        v
                    })
                })
            })
            .collect()
    }

    /// The diagonal of D, eV/(Å²·amu): the diagonals of
    /// [`MatrixFreeHessian::hessian_diagonal_blocks`] over the masses (exact
    /// in cells wider than twice the cutoff, see there).
    pub fn diagonal(&self) -> Vec<f64> {
        let internal: Vec<f64> = self
            .blocks_internal()
            .iter()
            .enumerate()
            .flat_map(|(m, block)| {
                let w = self.inv_sqrt_mass[m] * self.inv_sqrt_mass[m];
                (0..3).map(move |k| block[k][k] * w)
            })
            .collect();
        self.to_user(&internal, 3)
    }

    /// Largest |D_ii|, eV/(Å²·amu) (scale of the zero-mode tolerance).
    pub fn max_diagonal(&self) -> f64 {
        self.diagonal().iter().fold(0.0, |m, d| m.max(d.abs()))
    }

    /// τ_{k,a} = ∂ρ̄_k/∂η_a = Σ_bonds(k) ρ'_{k←n} (e·E^a e)/r (self-images
    /// count), 6 per atom; empty without an embedding term.
    fn density_strain_derivatives(&self) -> Vec<f64> {
        if !self.embedding {
            return Vec::new();
        }
        self.scatter_pairs(6 * self.n, |p, tau| {
            let (i, j) = (p.i, p.j);
            for a in 0..6 {
                let q = strain_quad(a, p.e);
                tau[6 * i + a] += p.g_ij * q;
                tau[6 * j + a] += p.g_ji * q;
            }
        })
    }

    /// Born moduli C^B and residual stress σ, GPa, Voigt, for a cell of
    /// `volume_a3` Å³ (the formulas of [`crate::affine`], summed over the half
    /// pair list: each pair is two bonds, a self-image pair included):
    /// V σ_a = Σ_pairs ψ' (e·E^a e)/r, V C^B_ab = Σ_pairs (E^a e)·K(E^b e) + Σ_k F''_k τ_{k,a} τ_{k,b}.
    pub fn born_and_stress_gpa(&self, volume_a3: f64) -> ([[f64; 6]; 6], [f64; 6]) {
        let sums = self.scatter_pairs(42, |p, acc| {
            let dirs: [[f64; 3]; 6] = std::array::from_fn(|a| strain_dir(a, p.e));
            for a in 0..6 {
                let k_a = p.stiffness_apply(dirs[a]);
                for b in a..6 {
                    acc[6 * a + b] += dot(k_a, dirs[b]);
                }
                // ψ'/r = b.
                acc[36 + a] += p.b * strain_quad(a, p.e);
            }
        });
        let mut c = [[0.0; 6]; 6];
        for a in 0..6 {
            for b in a..6 {
                c[a][b] = sums[6 * a + b];
            }
        }
        if self.embedding {
            let tau = self.density_strain_derivatives();
            for (t, f2) in tau.chunks_exact(6).zip(&self.f2) {
                for a in 0..6 {
                    for b in a..6 {
                        c[a][b] += f2 * t[a] * t[b];
                    }
                }
            }
        }
        let scale = GPA_PER_EV_PER_A3 / volume_a3;
        (
            crate::affine::symmetric_gpa(&c, scale),
            std::array::from_fn(|a| sums[36 + a] * scale),
        )
    }

    /// Forces f = −∂U/∂x, eV/Å: each pair pushes ψ'/r e on i and the opposite on j.
    pub fn forces(&self) -> Vec<[f64; 3]> {
        let f = self.forces_internal();
        self.to_user(&f, 1)
    }

    /// [`MatrixFreeHessian::forces`] in the operator's order.
    fn forces_internal(&self) -> Vec<[f64; 3]> {
        let flat = self.scatter_pairs(3 * self.n, |p, f| {
            if p.is_self_image() {
                return;
            }
            let (i, j) = (p.i, p.j);
            for k in 0..3 {
                f[3 * i + k] += p.b * p.e[k];
                f[3 * j + k] -= p.b * p.e[k];
            }
        });
        flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
    }

    /// Ξ_{m,a} = ∂f_m/∂η_a: 3N rows (atom m, axis α at 3m+α), Voigt columns, eV/Å.
    pub fn force_fields(&self) -> Vec<[f64; 6]> {
        self.to_user(&self.force_fields_internal(), 3)
    }

    /// [`MatrixFreeHessian::force_fields`] in the operator's order.
    fn force_fields_internal(&self) -> Vec<[f64; 6]> {
        let tau = self.density_strain_derivatives();
        let flat = self.scatter_pairs(18 * self.n, |p, xi| {
            if p.is_self_image() {
                return;
            }
            let (i, j) = (p.i, p.j);
            for a in 0..6 {
                let mut f = p.stiffness_apply(strain_dir(a, p.e));
                if self.embedding {
                    let c =
                        self.f2[i] * tau[6 * i + a] * p.g_ij + self.f2[j] * tau[6 * j + a] * p.g_ji;
                    for k in 0..3 {
                        f[k] += c * p.e[k];
                    }
                }
                for k in 0..3 {
                    xi[18 * i + 6 * k + a] += f[k];
                    xi[18 * j + 6 * k + a] -= f[k];
                }
            }
        });
        flat.chunks_exact(6)
            .map(|c| std::array::from_fn(|a| c[a]))
            .collect()
    }

    /// M^{-1/2} Ξ, eV/(Å·amu^{1/2}) (what the spectrum solvers project on).
    pub fn force_fields_mass_weighted(&self) -> Vec<[f64; 6]> {
        let mut xi = self.force_fields_internal();
        for (row, x) in xi.iter_mut().enumerate() {
            let w = self.inv_sqrt_mass[row / 3];
            x.iter_mut().for_each(|v| *v *= w);
        }
        self.to_user(&xi, 3)
    }
}

impl HessianOperator for MatrixFreeHessian {
    fn rows(&self) -> usize {
        3 * self.n
    }

    /// Six passes of [`MatrixFreeHessian::hessian_apply`], one per column.
    fn apply6(&self, x: &[[f64; 6]], y: &mut [[f64; 6]]) {
        let mut u = vec![0.0; 3 * self.n];
        let mut hu = vec![0.0; 3 * self.n];
        for a in 0..6 {
            u.iter_mut().zip(x).for_each(|(u, x)| *u = x[a]);
            self.hessian_apply(&u, &mut hu);
            y.iter_mut().zip(&hu).for_each(|(y, v)| y[a] = *v);
        }
    }

    /// [`MatrixFreeHessian::hessian_diagonal_blocks`] (exact in wide cells).
    fn diagonal_blocks(&self) -> Vec<Matrix3<f64>> {
        self.hessian_diagonal_blocks()
            .iter()
            .map(|b| Matrix3::from_fn(|k, l| b[k][l]))
            .collect()
    }

    /// Largest diagonal entry of the blocks: for a positive semi-definite H,
    /// |H_ij| ≤ max_i H_ii.
    fn max_abs_entry(&self) -> f64 {
        self.hessian_diagonal_blocks()
            .iter()
            .flat_map(|b| (0..3).map(move |k| b[k][k].abs()))
            .fold(0.0, f64::max)
    }
}

impl SymmetricOperator for MatrixFreeHessian {
    fn dim(&self) -> usize {
        3 * self.n
    }

    /// y = D x = M^{-1/2} H M^{-1/2} x.
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        assert_eq!(x.len(), 3 * self.n, "x must have 3N entries");
        assert_eq!(y.len(), 3 * self.n, "y must have 3N entries");
        self.product(x, Some(&self.inv_sqrt_mass), y);
    }
}
