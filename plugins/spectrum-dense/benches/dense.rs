//! Dense diagonalization: LAPACK dsyevd (OpenBLAS) against nalgebra's pure-Rust
//! SymmetricEigen on the same mass-weighted spring-network matrices, and the
//! matrices written for `benches/eigh_numpy.py` (numpy/scipy `eigh`, run by
//! `benches/compare_numpy.sh` right after this bench).
//!
//! `cargo bench -p spectrum-dense --bench dense` (N = 864; `SPECTRUM_BENCH_LARGE=1` adds N = 2048),
//! then `python3 plugins/spectrum-dense/benches/eigh_numpy.py`. One timed solve
//! of N = 4·cells³ instead: `SPECTRUM_BENCH_ONCE=8` (N = 2048) or `=10` (N = 4000),
//! then `python3 plugins/spectrum-dense/benches/eigh_numpy.py --repeats 1 6144`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use nonaffine_core::SpectrumSolver;
use spectrum_dense::DenseSolver;
use std::time::Duration;

#[path = "../tests/network/mod.rs"]
mod network;
use network::{bench_matrix_dir, peak_rss_gib, Network};

fn network(cells: usize) -> Network {
    let net = Network::new(cells, 11);
    net.write_dense(&bench_matrix_dir().join(format!("dense_{cells}.f64")));
    net
}

/// One timed solve outside criterion (`SPECTRUM_BENCH_ONCE=cells`: N = 4·cells³),
/// for sizes where ten criterion samples would take too long.
fn once(cells: usize) {
    let net = network(cells);
    let start = std::time::Instant::now();
    let r = DenseSolver::default().solve(&net.problem()).unwrap();
    eprintln!(
        "dense N = {} (3N = {}): {:.2} s (dsyevd + residual/orthogonality checks), peak RSS {:.2} GiB, {:?}",
        4 * cells * cells * cells,
        net.op.0.nrows(),
        start.elapsed().as_secs_f64(),
        peak_rss_gib(),
        r.diagnostics
    );
}

fn bench(c: &mut Criterion) {
    eprintln!(
        "BLAS: {}, {} threads",
        nonaffine_lapack::openblas_config(),
        nonaffine_lapack::blas_threads()
    );
    if let Some(cells) = std::env::var("SPECTRUM_BENCH_ONCE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        once(cells);
        return;
    }
    let mut g = c.benchmark_group("dense");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    // N = 2048 (3N = 6144) takes minutes per sample on 2 cores: opt in.
    let sizes: &[usize] = if std::env::var_os("SPECTRUM_BENCH_LARGE").is_some() {
        &[6, 8]
    } else {
        &[6]
    };
    for &cells in sizes {
        let net = network(cells);
        let problem = net.problem();
        let atoms = 4 * cells * cells * cells;
        g.bench_function(format!("dsyevd_N{atoms}"), |b| {
            b.iter(|| DenseSolver::default().solve(&problem).unwrap())
        });
        if cells == 6 {
            let dense = nalgebra_sparse::convert::serial::convert_csr_dense(&net.op.0);
            g.bench_function(format!("nalgebra_symmetric_eigen_N{atoms}"), |b| {
                b.iter(|| dense.clone().symmetric_eigen())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
