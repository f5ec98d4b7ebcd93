//! The sparse factorization behind shift-invert: D − σ (σ < 0, so positive
//! definite at a minimum) factored by faer's sparse Cholesky — an approximate
//! minimum degree (AMD) fill-reducing order, then supernodal (dense-block)
//! elimination where the factor is dense enough, simplicial otherwise — and
//! y = (D − σ)^{-1} x by two triangular solves. One thread, as ARPACK.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::LltParams;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, LltRef, SymbolicCholesky, SymmetricOrdering,
};
use faer::sparse::{SparseColMat, Triplet};
use faer::{Conj, MatMut, Par, Side, Spec};
use nonaffine_core::SymmetricOperator;

/// Why D − σ has no factor.
#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    /// A non-positive pivot: D has eigenvalues below σ (eV/(Å²·amu)).
    #[error(
        "D − σ is not positive definite (σ = {sigma:.3e} eV/(Å²·amu)): D has eigenvalues below σ, \
         the structure is not at a minimum; use mode: regular to see them, or the dense solver"
    )]
    NotPositiveDefinite {
        /// The shift σ, eV/(Å²·amu).
        sigma: f64,
    },
    /// faer could not assemble, analyse or store the factor (out of memory, index overflow).
    #[error("the Cholesky factor of D − σ could not be formed: {0}")]
    Faer(String),
}

/// L Lᵀ = P (D − σ) Pᵀ, P the AMD order.
pub struct ShiftedCholesky {
    symbolic: SymbolicCholesky<usize>,
    /// The numerical values of L, in the layout of `symbolic`.
    values: Vec<f64>,
    /// Scratch of the triangular solves.
    scratch: MemBuffer,
}

impl ShiftedCholesky {
    /// Factors D − σ (σ in eV/(Å²·amu)) from the operator's upper triangle,
    /// without the entries stored as exact zeros (they would only widen the
    /// pattern the ordering sees). An error when D − σ is not positive
    /// definite or the factor does not fit in memory.
    pub fn new(op: &dyn SymmetricOperator, sigma: f64) -> Result<Self, FactorError> {
        let n = op.dim();
        let mut entries = Vec::new();
        op.for_each_entry(&mut |i, j, v| {
            if i < j && v != 0.0 {
                entries.push(Triplet::new(i, j, v));
            }
        });
        for k in 0..n {
            // Duplicates, here D_kk, are summed by the conversion below.
            entries.push(Triplet::new(k, k, -sigma));
        }
        op.for_each_entry(&mut |i, j, v| {
            if i == j {
                entries.push(Triplet::new(i, i, v));
            }
        });
        let upper = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &entries)
            .map_err(|e| FactorError::Faer(format!("assembly: {e:?}")))?;
        drop(entries);
        let symbolic = factorize_symbolic_cholesky(
            upper.symbolic(),
            Side::Upper,
            SymmetricOrdering::Amd,
            Default::default(),
        )
        .map_err(|e| FactorError::Faer(format!("symbolic analysis: {e:?}")))?;
        let mut values = Vec::new();
        values.try_reserve_exact(symbolic.len_val()).map_err(|e| {
            FactorError::Faer(format!("{} factor entries: {e}", symbolic.len_val()))
        })?;
        values.resize(symbolic.len_val(), 0.0);
        let params: Spec<LltParams, f64> = Default::default();
        let mut factor_scratch =
            MemBuffer::try_new(symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, params))
                .map_err(|e| FactorError::Faer(format!("factorization workspace: {e:?}")))?;
        symbolic
            .factorize_numeric_llt(
                &mut values,
                upper.as_ref(),
                Side::Upper,
                Default::default(),
                Par::Seq,
                MemStack::new(&mut factor_scratch),
                params,
            )
            .map_err(|_| FactorError::NotPositiveDefinite { sigma })?;
        let scratch = MemBuffer::try_new(symbolic.solve_in_place_scratch::<f64>(1, Par::Seq))
            .map_err(|e| FactorError::Faer(format!("solve workspace: {e:?}")))?;
        Ok(Self {
            symbolic,
            values,
            scratch,
        })
    }

    /// Stored entries of L (supernodes store their dense blocks whole).
    pub fn factor_nonzeros(&self) -> usize {
        self.values.len()
    }

    /// y = (D − σ)^{-1} x.
    pub fn solve(&mut self, x: &[f64], y: &mut [f64]) {
        let n = y.len();
        y.copy_from_slice(x);
        LltRef::new(&self.symbolic, &self.values).solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(y, n, 1),
            Par::Seq,
            MemStack::new(&mut self.scratch),
        );
    }
}
