//! A `nonaffine-springs` spring network posed as a spectrum problem, with the
//! dense solver's full eigendecomposition as the reference the iterative
//! solvers are checked against.
//!
//! One file serves the spectrum plugins' tests and benches: spectrum-dense's
//! own tests load it as `mod network;`, and spectrum-arpack and
//! spectrum-lanczos (which dev-depend on spectrum-dense for this reference)
//! include it with `#[path]`. The fixture crate `nonaffine-springs` cannot
//! hold it: `CsrOperator` (nonaffine-spectrum) and `DenseSolver`
//! (spectrum-dense) both dev-depend on `nonaffine-springs`, so it depending on
//! them would close a cycle.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{SpectrumProblem, SpectrumResult, SpectrumSolver};
use nonaffine_spectrum::CsrOperator;
use nonaffine_springs::SpringNetwork;

/// The mass-weighted operator D (eV/(Å²·amu)) and force fields M^{-1/2} Ξ of
/// a spring network.
pub struct Network {
    /// D = M^{-1/2} H M^{-1/2}.
    pub op: CsrOperator,
    /// M^{-1/2} Ξ_a, 3N rows.
    pub xi: Vec<[f64; 6]>,
}

impl Network {
    /// The default spring network of `cells`³ fcc cells with random springs
    /// from `seed`.
    pub fn new(cells: usize, seed: u64) -> Self {
        let products = SpringNetwork {
            cells,
            seed,
            ..SpringNetwork::default()
        }
        .products();
        let (op, xi) = CsrOperator::mass_weighted(&products);
        Self { op, xi }
    }

    /// The problem a solver is given (no Debye frequency).
    pub fn problem(&self) -> SpectrumProblem<'_> {
        SpectrumProblem {
            operator: &self.op,
            xi: &self.xi,
            debye_omega: None,
        }
    }

    /// Every mode, from the dense solver.
    pub fn dense(&self) -> SpectrumResult {
        spectrum_dense::DenseSolver::default()
            .solve(&self.problem())
            .unwrap()
    }
}
