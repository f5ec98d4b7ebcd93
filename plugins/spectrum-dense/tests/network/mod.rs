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
        Self::of_box([cells; 3], seed)
    }

    /// As [`Self::new`] on `cells[0]×cells[1]×cells[2]` fcc cells.
    pub fn of_box(cells: [usize; 3], seed: u64) -> Self {
        let products = SpringNetwork {
            seed,
            ..SpringNetwork::default()
        }
        .products_of_box(cells);
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

impl Network {
    /// Writes D as a dense row-major little-endian f64 file (the matrix
    /// `benches/eigh_numpy.py` reads), one row at a time so that no second
    /// dense copy is held (4.8 GB at 3N = 24 576).
    pub fn write_dense(&self, path: &std::path::Path) {
        use std::io::Write;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let n = self.op.0.nrows();
        let mut row = vec![0.0f64; n];
        for i in 0..n {
            row.fill(0.0);
            let r = self.op.0.row(i);
            for (j, v) in r.col_indices().iter().zip(r.values()) {
                row[*j] = *v;
            }
            for x in &row {
                out.write_all(&x.to_le_bytes()).unwrap();
            }
        }
        out.flush().unwrap();
    }
}

/// Peak resident memory of this process so far, GiB (Linux VmHWM; NaN
/// elsewhere).
pub fn peak_rss_gib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / (1024.0 * 1024.0))
}

/// Where the benches leave matrices for `benches/eigh_numpy.py`.
pub fn bench_matrix_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/spectrum-bench")
}
