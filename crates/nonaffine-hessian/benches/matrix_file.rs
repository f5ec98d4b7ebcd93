//! Writing and reading the stored Hessian: `hessian.npz` (scipy's binary CSR
//! layout) against `hessian.mtx` (Matrix Market text), the peer, on the same
//! matrix in the same run: the 250-atom LAMMPS glass of the assembly
//! benchmark replicated 2×2×2 (N = 2000) and 2×2×4 (N = 4000).
//!
//! ```text
//! cargo bench -p nonaffine-hessian --bench matrix_file
//! ```
//! prints, per N, the median of 3 writes and 3 reads of each format, the file
//! sizes and the ratios (mtx ÷ npz).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{base_glass, cache, replicate};
use nonaffine_core::Potential;
use nonaffine_hessian::products::{read_matrix, write_matrix};
use nonaffine_hessian::{AnalyticDerivatives, MatrixFormat};
use std::time::Instant;

fn median3(mut f: impl FnMut() -> f64) -> f64 {
    let mut t = [f(), f(), f()];
    t.sort_by(f64::total_cmp);
    t[1]
}

fn main() {
    let pot = support::cuzr_potential();
    let form = pot.form().unwrap();
    let base = base_glass(250);
    let mut rows = Vec::new();
    for copies in [[2, 2, 2], [2, 2, 4]] {
        let s = replicate(&base, copies);
        let (h, _) = AnalyticDerivatives::new(form, &s).unwrap().hessian();
        let mut line = format!("| {} | {} |", s.len(), h.nnz());
        let mut times = Vec::new();
        for format in [MatrixFormat::MatrixMarket, MatrixFormat::Npz] {
            let path = cache().join(format.file_name());
            let write = median3(|| {
                let clock = Instant::now();
                write_matrix(&path, &h, format).unwrap();
                clock.elapsed().as_secs_f64()
            });
            let read = median3(|| {
                let clock = Instant::now();
                let back = read_matrix(&path).unwrap();
                let t = clock.elapsed().as_secs_f64();
                assert_eq!(back, h);
                t
            });
            let mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
            line += &format!(" {write:.3} s / {read:.3} s / {mb:.0} MB |");
            times.push((write, read, mb));
            std::fs::remove_file(&path).unwrap();
        }
        let (m, z) = (times[0], times[1]);
        line += &format!(
            " {:.1}× / {:.1}× / {:.2}× |",
            m.0 / z.0,
            m.1 / z.1,
            m.2 / z.2
        );
        eprintln!("{line}");
        rows.push(line);
    }
    eprintln!(
        "\n| N | stored entries | .mtx write / read / size | .npz write / read / size | mtx ÷ npz |\n|---|---|---|---|---|"
    );
    for r in rows {
        eprintln!("{r}");
    }
}
