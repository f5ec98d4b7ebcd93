//! Response sums R_ab(z) = Σ_p Ξ̂_{p,a}Ξ̂_{p,b}/(ω_p² − z) without eigenvectors
//! (block-Lanczos quadrature) against the dense solver on an 864-atom spring
//! network; prints the largest relative error at response-like shifts
//! z = ω² − iωγ (ω ≪ ω_p) and across the spectrum.
//!
//! `cargo bench -p spectrum-lanczos --bench lanczos`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
#[path = "../../spectrum-dense/tests/network/mod.rs"]
mod network;

use network::Network;
use nonaffine_core::{Modes, Params, SpectrumSolver};
use num_complex::Complex64;
use std::time::Duration;

fn worst_error(a: &Modes, b: &Modes, top: f64) -> (f64, f64) {
    let floor = 1e-8 * top;
    let mut low: f64 = 0.0;
    let mut across: f64 = 0.0;
    let shifts = [
        (Complex64::new(1e-6 * top, -1e-4 * top), true),
        (Complex64::new(1e-3 * top, -1e-3 * top), true),
        (Complex64::new(0.0, -1e-2 * top), true),
        (Complex64::new(0.3 * top, 0.05 * top), false),
        (Complex64::new(0.7 * top, 0.05 * top), false),
    ];
    for (z, is_low) in shifts {
        let (ra, rb) = (a.resolvent_sum(z, floor), b.resolvent_sum(z, floor));
        let scale = (0..6).map(|k| rb[k][k].norm()).fold(0.0_f64, f64::max);
        for i in 0..6 {
            for j in 0..6 {
                let e = (ra[i][j] - rb[i][j]).norm() / scale;
                if is_low {
                    low = low.max(e)
                } else {
                    across = across.max(e)
                }
            }
        }
    }
    (low, across)
}

fn bench(c: &mut Criterion) {
    let network = Network::new(6, 11);
    let problem = network.problem();
    let dense = network.dense();
    let top = *dense.modes.eigenvalues.last().unwrap();
    let mut g = c.benchmark_group("response_sums_N864");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for steps in [50usize, 100] {
        let solver = spectrum_lanczos::build(
            &Params::from_pairs(
                "p",
                &format!("steps={steps},moments=2,random_vectors=1,grid=2"),
            )
            .unwrap(),
        )
        .unwrap();
        let r = solver.solve(&problem).unwrap();
        let (low, across) = worst_error(&r.modes, &dense.modes, top);
        eprintln!("lanczos steps={steps}: Krylov dim {}, max rel. error low-z {low:.2e}, across spectrum {across:.2e}", r.modes.len());
        g.bench_function(format!("lanczos_steps{steps}"), |b| {
            b.iter(|| solver.solve(&problem).unwrap())
        });
    }
    g.bench_function("dense", |b| {
        b.iter(|| {
            spectrum_dense::DenseSolver::default()
                .solve(&problem)
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
