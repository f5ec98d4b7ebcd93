//! The mass-weighted Hessian as a [`SymmetricOperator`].

use nalgebra_sparse::CsrMatrix;
use nonaffine_core::SymmetricOperator;
use nonaffine_hessian::HessianProducts;

/// A symmetric CSR matrix (both triangles stored) as an operator.
#[derive(Clone, Debug)]
pub struct CsrOperator(pub CsrMatrix<f64>);

impl CsrOperator {
    /// D = M^{-1/2} H M^{-1/2} (eV/(Å²·amu)) and M^{-1/2} Ξ (eV/(Å·amu^{1/2}))
    /// of the Hessian stage's products (docs/theory.md Eqs. (22), (24)).
    pub fn mass_weighted(products: &HessianProducts) -> (Self, Vec<[f64; 6]>) {
        (Self(products.mass_weighted()), products.xi_mass_weighted())
    }

    /// Largest |D_ii|: a cheap lower bound of the spectral radius, used to
    /// scale the zero-mode tolerance.
    pub fn max_diagonal(&self) -> f64 {
        self.0
            .triplet_iter()
            .filter(|(i, j, _)| i == j)
            .fold(0.0, |m, (_, _, v)| m.max(v.abs()))
    }
}

impl SymmetricOperator for CsrOperator {
    fn dim(&self) -> usize {
        self.0.nrows()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        for (yi, row) in y.iter_mut().zip(self.0.row_iter()) {
            *yi = row
                .col_indices()
                .iter()
                .zip(row.values())
                .map(|(&j, v)| v * x[j])
                .sum();
        }
    }

    fn for_each_entry(&self, f: &mut dyn FnMut(usize, usize, f64)) {
        for (i, j, v) in self.0.triplet_iter() {
            f(i, j, *v);
        }
    }
}
