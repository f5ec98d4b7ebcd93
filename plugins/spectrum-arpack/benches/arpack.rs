//! Lowest 50 modes by ARPACK (shift-invert with a sparse Cholesky factor or
//! with CG inner solves, and regular mode) on a 2048-atom spring network; writes the matrix for
//! `benches/eigsh_scipy.py` (scipy `eigsh`, the same ARPACK with SuperLU
//! shift-invert) to run right after.
//!
//! `cargo bench -p spectrum-arpack --bench arpack`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use nonaffine_core::{Params, SpectrumProblem};
use nonaffine_spectrum::CsrOperator;
use nonaffine_springs::SpringNetwork;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let p = SpringNetwork {
        cells: 8,
        seed: 11,
        ..SpringNetwork::default()
    }
    .products();
    let (op, xi) = CsrOperator::mass_weighted(&p);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/spectrum-bench");
    std::fs::create_dir_all(&dir).unwrap();
    nalgebra_sparse::io::save_to_matrix_market_file(&op.0, dir.join("network_2048.mtx")).unwrap();
    let mut g = c.benchmark_group("arpack_lowest50_N2048");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30));
    for (mode, params) in [
        ("shift-invert-cholesky", "mode=shift-invert,inner=cholesky"),
        ("shift-invert-cg", "mode=shift-invert,inner=cg"),
        ("regular", "mode=regular"),
    ] {
        let solver = spectrum_arpack::build(
            &Params::from_pairs("p", &format!("modes=50,{params}")).unwrap(),
        )
        .unwrap();
        let r = solver
            .solve(&SpectrumProblem {
                operator: &op,
                xi: &xi,
                debye_omega: None,
            })
            .unwrap();
        eprintln!("{mode}: {:?}", r.diagnostics);
        g.bench_function(mode, |b| {
            b.iter(|| {
                solver
                    .solve(&SpectrumProblem {
                        operator: &op,
                        xi: &xi,
                        debye_omega: None,
                    })
                    .unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
