//! Response sums R_ab(z) = Σ_p Ξ̂_{p,a}Ξ̂_{p,b}/(ω_p² − z) without eigenvectors
//! (block-Lanczos quadrature) against the dense solver on an 864-atom spring
//! network; prints the largest relative error at response-like shifts
//! z = ω² − iωγ (ω ≪ ω_p) and across the spectrum.
//!
//! `cargo bench -p spectrum-lanczos --bench lanczos`
//!
//! The whole pipeline once at a size criterion cannot repeat (issue 5: N = 8192,
//! target ≥ 50× at ≤ 1e-6): `LANCZOS_BENCH_ONCE=16x16x8 cargo bench -p
//! spectrum-lanczos --bench lanczos` builds the 16×16×8-cell network (8192
//! atoms, 3N = 24 576), times the block quadrature alone (50, 100, 150 steps:
//! what Γ(ω) and the response sums need) and the `lanczos` solver with its
//! default parameters (quadrature + KPM VDOS), each plus the response sums on
//! 200 shifts, then the `dense` solver (every eigenpair, checks) plus the same
//! sums, and prints the times, their ratios, the largest relative deviation of
//! the sums and the peak memory. It also leaves D in `target/spectrum-bench/` for the
//! same-BLAS peer (`EIGH_METHODS=debian python3
//! plugins/spectrum-dense/benches/eigh_numpy.py --in-place 24576`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
#[path = "../../spectrum-dense/tests/network/mod.rs"]
mod network;

use network::{bench_matrix_dir, peak_rss_gib, Network};
use nonaffine_core::{Modes, Params, SpectrumSolver};
use num_complex::Complex64;
use std::time::{Duration, Instant};

/// Largest relative deviation of `a`'s sums from `b`'s (see [`worst_of`]) at
/// three response-like shifts and at two across the spectrum.
fn worst_error(a: &Modes, b: &Modes, top: f64) -> (f64, f64) {
    let floor = 1e-8 * top;
    let low = [
        Complex64::new(1e-6 * top, -1e-4 * top),
        Complex64::new(1e-3 * top, -1e-3 * top),
        Complex64::new(0.0, -1e-2 * top),
    ];
    let across = [
        Complex64::new(0.3 * top, 0.05 * top),
        Complex64::new(0.7 * top, 0.05 * top),
    ];
    let deviation =
        |shifts: &[Complex64]| worst_of(&sums(a, shifts, floor), &sums(b, shifts, floor));
    (deviation(&low), deviation(&across))
}

/// 200 shifts: 100 where the response lives (|z| ≪ the spectrum: z = x² − i·x·g,
/// x from 1e-6 to 1e-2 of √top, g = 1e-2·√top) and 100 across the spectrum
/// with broadening 0.05·top (the resolved measure behind Γ(ω)·D(ω)).
fn pipeline_shifts(top: f64) -> (Vec<Complex64>, Vec<Complex64>) {
    let w = top.sqrt();
    let low = (0..100)
        .map(|k| {
            let x = w * 10f64.powf(-6.0 + 4.0 * k as f64 / 99.0);
            Complex64::new(x * x, -x * 1e-2 * w)
        })
        .collect();
    let across = (0..100)
        .map(|k| Complex64::new(top * (0.01 + 0.99 * k as f64 / 99.0), 0.05 * top))
        .collect();
    (low, across)
}

fn sums(modes: &Modes, shifts: &[Complex64], floor: f64) -> Vec<[[Complex64; 6]; 6]> {
    shifts
        .iter()
        .map(|z| modes.resolvent_sum(*z, floor))
        .collect()
}

/// Largest |a − b| over the 36 entries of each shift, relative to the largest
/// diagonal |b| at that shift.
fn worst_of(a: &[[[Complex64; 6]; 6]], b: &[[[Complex64; 6]; 6]]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(ra, rb)| {
            let scale = (0..6).map(|k| rb[k][k].norm()).fold(0.0_f64, f64::max);
            (0..36)
                .map(|e| (ra[e / 6][e % 6] - rb[e / 6][e % 6]).norm() / scale)
                .fold(0.0_f64, f64::max)
        })
        .fold(0.0_f64, f64::max)
}

/// The full lanczos-vs-dense pipeline once (see the crate docs above).
fn once(cells: [usize; 3]) {
    let t = Instant::now();
    let net = Network::of_box(cells, 11);
    let n = net.op.0.nrows();
    eprintln!(
        "network {}x{}x{}: {} atoms, 3N = {n}, {} stored entries, built in {:.1} s",
        cells[0],
        cells[1],
        cells[2],
        n / 3,
        net.op.0.nnz(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    net.write_dense(
        &bench_matrix_dir().join(format!("dense_{}x{}x{}.f64", cells[0], cells[1], cells[2])),
    );
    eprintln!(
        "dense matrix written for the numpy peer in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let problem = net.problem();
    // What Γ(ω) and the response sums need: the block Gauss quadrature alone.
    let columns: Vec<Vec<f64>> = (0..6)
        .map(|a| net.xi.iter().map(|r| r[a]).collect())
        .collect();
    let mut lanczos = Vec::new();
    for steps in [50usize, 100, 150] {
        let t = Instant::now();
        let quad = spectrum_lanczos::block_gauss_quadrature(&net.op, &columns, steps).unwrap();
        let solve = t.elapsed().as_secs_f64();
        let modes = Modes {
            eigenvalues: quad.nodes,
            projections: quad.weights,
            participation: Vec::new(),
            kind: Some(nonaffine_core::ModesKind::Quadrature),
        };
        lanczos.push((format!("quadrature steps={steps}"), modes, solve));
    }
    // The whole solver as the stage runs it (defaults: quadrature + KPM VDOS).
    let solver = spectrum_lanczos::build(&Params::from_pairs("p", "").unwrap()).unwrap();
    let t = Instant::now();
    let r = solver.solve(&problem).unwrap();
    lanczos.push((
        "solver defaults (quadrature + KPM VDOS)".into(),
        r.modes,
        t.elapsed().as_secs_f64(),
    ));
    eprintln!("lanczos done, peak RSS {:.2} GiB", peak_rss_gib());
    let t = Instant::now();
    let dense = spectrum_dense::DenseSolver::default()
        .solve(&problem)
        .unwrap();
    let dense_solve = t.elapsed().as_secs_f64();
    eprintln!(
        "dense solve {dense_solve:.1} s, peak RSS {:.2} GiB, {:?}",
        peak_rss_gib(),
        dense.diagnostics
    );
    let top = *dense.modes.eigenvalues.last().unwrap();
    let floor = 1e-8 * top;
    let (low, across) = pipeline_shifts(top);
    let t = Instant::now();
    let dense_low = sums(&dense.modes, &low, floor);
    let dense_across = sums(&dense.modes, &across, floor);
    let dense_sums = t.elapsed().as_secs_f64();
    let dense_total = dense_solve + dense_sums;
    eprintln!("dense: solve {dense_solve:.1} s + 200 sums {dense_sums:.3} s = {dense_total:.1} s");
    for (label, modes, solve) in &lanczos {
        let t = Instant::now();
        let l_low = sums(modes, &low, floor);
        let l_across = sums(modes, &across, floor);
        let total = solve + t.elapsed().as_secs_f64();
        eprintln!(
            "lanczos {label}: solve {solve:.2} s, with sums {total:.2} s; \
             dense/lanczos = {:.1}x; max rel. deviation of the sums: response shifts {:.2e}, across the spectrum {:.2e}",
            dense_total / total,
            worst_of(&l_low, &dense_low),
            worst_of(&l_across, &dense_across),
        );
    }
}

fn bench(c: &mut Criterion) {
    if let Ok(spec) = std::env::var("LANCZOS_BENCH_ONCE") {
        let cells: Vec<usize> = spec.split('x').map(|v| v.parse().unwrap()).collect();
        once([cells[0], cells[1], cells[2]]);
        return;
    }
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
