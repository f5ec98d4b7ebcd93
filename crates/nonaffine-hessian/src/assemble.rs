//! Assembly of the analytic Hessian H = ∂²U/∂x∂x as a CSR matrix.
//!
//! With the model's notation ([`crate::model`]), the 3×3 block of atoms m, n is
//! ```text
//! H_mn = Σ_bonds(m→n) (−K)  (m ≠ n)      H_mm = Σ_bonds(m) K
//!      + Σ_k F''_k b_{k,m} ⊗ b_{k,n}
//! ```
//! (paper Eqs. C6, C8). The second line is the embedding term: it couples
//! every two neighbours of an atom k, so blocks reach out to twice the cutoff.
//!
//! Why not COO: summing the embedding term atom by atom produces about
//! (neighbours + 1)² blocks per atom, ten times the number of distinct blocks
//! for a metallic glass, so a triplet list would need ten times the memory of
//! the matrix. Instead each block row m is summed in a scatter buffer (the
//! atoms k it touches are m's hosts, whose density gradients contain m)
//! and written straight into its slice of the CSR arrays; a first pass counts
//! the distinct blocks of every row so the arrays are allocated once, at
//! exactly their final size. Memory is therefore the matrix itself, linear in
//! N × (atoms within twice the cutoff), plus O(N) per thread. Rows are
//! independent and each is summed in a fixed order, so the result does not
//! depend on the number of threads.
//!
//! H is exactly symmetric by construction, with no symmetrizing pass: blocks
//! (m, n) and (n, m) are summed in different rows, but from the same terms in
//! the same order (bonds in neighbour-list order, then k in increasing order
//! over the common hosts), and every term is evaluated so that its
//! transpose is the same floating-point number: K_ij = A·(e_i e_j) + B δ_ij,
//! F''_k·(b_{k,m,i} b_{k,n,j}), and ψ', ψ'' as φ' + (F'_m ρ'_mn + F'_n ρ'_nm)
//! ([`crate::model`]). The tests check H == Hᵀ bit for bit.

use crate::model::Model;
use nalgebra_sparse::CsrMatrix;
use rayon::prelude::*;

/// Size and round-off diagnostics of an assembled Hessian.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AssemblyStats {
    /// Atoms.
    pub atoms: usize,
    /// Pairs within the cutoff (half list, periodic images counted).
    pub pairs: usize,
    /// Non-zero 3×3 blocks (atom pairs coupled by H, both triangles).
    pub blocks: usize,
    /// Stored entries of the CSR matrix (9 per block).
    pub nnz: usize,
    /// Bytes held by the CSR arrays (values, column indices, row offsets).
    pub bytes: usize,
    /// Largest |Σ_j H_ij| (translation invariance), relative to max |H_ij|.
    pub max_row_sum: f64,
}

/// Per-thread scratch: a scatter map from atom to slot.
struct Scratch {
    slot: Vec<u32>,
    cols: Vec<usize>,
    blocks: Vec<[f64; 9]>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Self {
            slot: vec![u32::MAX; n],
            cols: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// Slot of atom `n`, creating a zero block on first touch.
    #[inline]
    fn touch(&mut self, n: usize) -> usize {
        let s = self.slot[n];
        if s != u32::MAX {
            return s as usize;
        }
        let s = self.cols.len();
        self.slot[n] = s as u32;
        self.cols.push(n);
        self.blocks.push([0.0; 9]);
        s
    }

    fn clear(&mut self) {
        for &n in &self.cols {
            self.slot[n] = u32::MAX;
        }
        self.cols.clear();
        self.blocks.clear();
    }
}

/// Atoms coupled to atom m by H (the structural pattern of block row m).
fn touch_pattern(model: &Model, m: usize, s: &mut Scratch) {
    s.touch(m);
    for b in model.bonds_of(m) {
        s.touch(b.atom);
    }
    for &k in model.hosts_of(m).0 {
        for &n in model.grad_of(k).0 {
            s.touch(n);
        }
    }
}

/// Sums block row m into the scratch blocks.
fn sum_row(model: &Model, m: usize, s: &mut Scratch) {
    let diag = s.touch(m);
    for b in model.bonds_of(m) {
        if b.is_self_image(m) {
            continue;
        }
        let k = b.stiffness();
        let off = s.touch(b.atom);
        for c in 0..9 {
            s.blocks[diag][c] += k[c];
            s.blocks[off][c] -= k[c];
        }
    }
    let (hosts, bms) = model.hosts_of(m);
    for (&k, bkm) in hosts.iter().zip(bms) {
        let f2 = model.f2[k];
        let (atoms, vecs) = model.grad_of(k);
        for (&n, bkn) in atoms.iter().zip(vecs) {
            let slot = s.touch(n);
            let blk = &mut s.blocks[slot];
            for i in 0..3 {
                for j in 0..3 {
                    // F''·(b_i b_j): the transposed term rounds identically.
                    blk[3 * i + j] += f2 * (bkm[i] * bkn[j]);
                }
            }
        }
    }
}

/// Splits `data` into consecutive mutable chunks of the given lengths.
fn split_lengths<'a, T>(mut data: &'a mut [T], lengths: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(lengths.len());
    for &len in lengths {
        let (head, tail) = data.split_at_mut(len);
        out.push(head);
        data = tail;
    }
    out
}

/// Assembles H (3N×3N, eV/Å², both triangles) from the model.
pub(crate) fn assemble(model: &Model) -> (CsrMatrix<f64>, AssemblyStats) {
    let n = model.n;
    // Pass 1: distinct blocks per block row.
    let counts: Vec<usize> = (0..n)
        .into_par_iter()
        .map_init(
            || Scratch::new(n),
            |s, m| {
                touch_pattern(model, m, s);
                let c = s.cols.len();
                s.clear();
                c
            },
        )
        .collect();
    let blocks: usize = counts.iter().sum();
    let nnz = 9 * blocks;
    let mut offsets = Vec::with_capacity(3 * n + 1);
    let mut base = 0usize;
    for &c in &counts {
        for alpha in 0..3 {
            offsets.push(base + 3 * c * alpha);
        }
        base += 9 * c;
    }
    offsets.push(base);

    // Pass 2: sum each block row and write it into its slice.
    let mut cols = vec![0usize; nnz];
    let mut values = vec![0.0f64; nnz];
    let lengths: Vec<usize> = counts.iter().map(|c| 9 * c).collect();
    let col_chunks = split_lengths(&mut cols, &lengths);
    let val_chunks = split_lengths(&mut values, &lengths);
    col_chunks
        .into_par_iter()
        .zip(val_chunks)
        .enumerate()
        .for_each_init(
            || (Scratch::new(n), Vec::new()),
            |(s, order), (m, (col_out, val_out))| {
                sum_row(model, m, s);
                let c = s.cols.len();
                debug_assert_eq!(9 * c, col_out.len());
                order.clear();
                order.extend(0..c);
                order.sort_unstable_by_key(|&i| s.cols[i]);
                for alpha in 0..3 {
                    let row = 3 * c * alpha;
                    for (j, &i) in order.iter().enumerate() {
                        let atom = s.cols[i];
                        for beta in 0..3 {
                            col_out[row + 3 * j + beta] = 3 * atom + beta;
                            val_out[row + 3 * j + beta] = s.blocks[i][3 * alpha + beta];
                        }
                    }
                }
                s.clear();
            },
        );

    let max_abs = values
        .par_iter()
        .fold(|| 0.0f64, |m, v| m.max(v.abs()))
        .reduce(|| 0.0, f64::max);
    let max_row_sum = (0..3 * n)
        .into_par_iter()
        .map(|row| {
            values[offsets[row]..offsets[row + 1]]
                .iter()
                .sum::<f64>()
                .abs()
        })
        .reduce(|| 0.0, f64::max);
    let rel = |x: f64| if max_abs > 0.0 { x / max_abs } else { x };
    let stats = AssemblyStats {
        atoms: n,
        pairs: model.pairs,
        blocks,
        nnz,
        bytes: nnz * (std::mem::size_of::<f64>() + std::mem::size_of::<usize>())
            + offsets.len() * std::mem::size_of::<usize>(),
        max_row_sum: rel(max_row_sum),
    };
    // The arrays are sorted, duplicate-free and in range by construction.
    let h = CsrMatrix::try_from_csr_data(3 * n, 3 * n, offsets, cols, values)
        .unwrap_or_else(|e| unreachable!("Hessian CSR data are valid by construction: {e}"));
    (h, stats)
}
