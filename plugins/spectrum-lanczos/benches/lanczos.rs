//! The `lanczos` solver against `dense` on LAMMPS-quenched Cu50Zr50 glasses
//! (`nonaffine_glasses::glass`: a 250-atom quench × 8 = 2000 atoms; a 256-atom
//! quench × 32 = 8192 atoms), spring networks of about the same size as an
//! extra column.
//!
//! `cargo build --release -p nonaffine-lammps --bins && cargo bench -p spectrum-lanczos --bench lanczos`
//!
//! For N = 2000 it builds the glass's D (stored CSR, as `operator: stored`),
//! then times, each plus the response sums on 200 shifts: the `lanczos` solver
//! with its defaults (quadrature + KPM VDOS), with `vdos=false` (the
//! quadrature alone: all the response needs), and the `dense` solver (every
//! eigenpair, checks). It prints the times, dense/lanczos, the largest
//! relative deviation of the lanczos sums from the dense ones, the solver's
//! own error estimates and where its time went (bounds, quadrature, KPM).
//! The spring network of 2048 atoms (8×8×8 fcc cells) gets the same runs.
//! Then criterion repeats lanczos and dense on the 500-atom glass.
//!
//! `LANCZOS_BENCH_ONCE=8192` runs the same comparison once on the 8192-atom
//! glass instead (dense: ≈ 28 min and 14 GiB) and the lanczos runs on the
//! 8192-atom spring network (16×16×8 cells; its dense time is that of the
//! glass: dense cost does not depend on the entries). It also leaves the glass's D in
//! `target/spectrum-bench/` for the same-BLAS peer
//! (`EIGH_METHODS=debian python3 plugins/spectrum-dense/benches/eigh_numpy.py --in-place 24576`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
#[path = "../../spectrum-dense/tests/network/mod.rs"]
mod network;

use network::{bench_matrix_dir, peak_rss_gib, Network};
use nonaffine_core::{Modes, Params, SpectrumResult, SpectrumSolver};
use nonaffine_hessian::{compute, HessianOptions};
use nonaffine_spectrum::CsrOperator;
use num_complex::Complex64;
use std::time::{Duration, Instant};

/// D and M^{-1/2}Ξ of the benchmark glass of `atoms` atoms.
fn glass(atoms: usize) -> Network {
    let t = Instant::now();
    let s = nonaffine_glasses::glass(atoms);
    let options = HessianOptions {
        relaxed: false,
        ..HessianOptions::default()
    };
    let run = compute(&s, &nonaffine_glasses::cuzr_potential(), &options).unwrap();
    let (op, xi) = CsrOperator::mass_weighted(&run.products);
    eprintln!(
        "glass: {} atoms, 3N = {}, {} stored entries ({:.0} per row), built in {:.1} s",
        s.len(),
        op.0.nrows(),
        op.0.nnz(),
        op.0.nnz() as f64 / op.0.nrows() as f64,
        t.elapsed().as_secs_f64()
    );
    Network { op, xi }
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

fn lanczos(params: &str) -> Box<dyn SpectrumSolver> {
    spectrum_lanczos::build(&Params::from_pairs("p", params).unwrap()).unwrap()
}

fn diagnostic(r: &SpectrumResult, name: &str) -> f64 {
    r.diagnostics
        .iter()
        .find(|(n, _)| n == name)
        .map_or(f64::NAN, |(_, v)| *v)
}

/// One timed lanczos run: solve + 200 sums, seconds, and the result.
fn timed_lanczos(net: &Network, params: &str, top: f64) -> (f64, SpectrumResult) {
    let t = Instant::now();
    let r = lanczos(params).solve(&net.problem()).unwrap();
    let (low, across) = pipeline_shifts(top);
    let floor = 1e-8 * top;
    std::hint::black_box((sums(&r.modes, &low, floor), sums(&r.modes, &across, floor)));
    (t.elapsed().as_secs_f64(), r)
}

/// Dense reference: seconds (solve + 200 sums) and the modes.
fn timed_dense(net: &Network) -> (f64, Modes) {
    let t = Instant::now();
    let dense = spectrum_dense::DenseSolver::default()
        .solve(&net.problem())
        .unwrap();
    let top = *dense.modes.eigenvalues.last().unwrap();
    let (low, across) = pipeline_shifts(top);
    std::hint::black_box((
        sums(&dense.modes, &low, 1e-8 * top),
        sums(&dense.modes, &across, 1e-8 * top),
    ));
    (t.elapsed().as_secs_f64(), dense.modes)
}

/// The lanczos runs of one structure against `dense` (its time and, when the
/// same matrix, its modes), one line each.
fn compare(label: &str, net: &Network, dense_s: f64, dense: Option<&Modes>, top: f64) {
    for params in ["", "vdos=false"] {
        let (secs, r) = timed_lanczos(net, params, top);
        let deviation = dense.map_or("n/a".to_string(), |d| {
            let (low, across) = pipeline_shifts(top);
            let floor = 1e-8 * top;
            let lo = worst_of(&sums(&r.modes, &low, floor), &sums(d, &low, floor));
            let ac = worst_of(&sums(&r.modes, &across, floor), &sums(d, &across, floor));
            format!("{lo:.1e} (response shifts) / {ac:.1e} (across)")
        });
        let name = if params.is_empty() {
            "defaults"
        } else {
            params
        };
        eprintln!(
            "{label} | lanczos {name} | {secs:.2} s | dense/lanczos {:.2}x | sums vs dense {deviation} | \
             steps {} ({} products), R(0) change {:.1e} | K = {}, R = {}, VDOS error {:.3} | \
             bounds {:.2} s, quadrature {:.2} s, KPM {:.2} s | peak RSS {:.2} GiB",
            dense_s / secs,
            diagnostic(&r, "block_steps"),
            diagnostic(&r, "products"),
            diagnostic(&r, "response_sum_change"),
            diagnostic(&r, "moments"),
            diagnostic(&r, "random_vectors"),
            diagnostic(&r, "vdos_relative_error"),
            diagnostic(&r, "bounds_s"),
            diagnostic(&r, "quadrature_s"),
            diagnostic(&r, "kpm_s"),
            peak_rss_gib(),
        );
    }
}

/// Glass and spring network of about `atoms` atoms (`cells` fcc cells).
fn once(atoms: usize, cells: [usize; 3]) {
    let glass = glass(atoms);
    if atoms >= 8192 {
        let t = Instant::now();
        glass.write_dense(&bench_matrix_dir().join(format!("dense_glass_{atoms}.f64")));
        eprintln!(
            "dense matrix written for the numpy peer in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let (dense_s, dense) = timed_dense(&glass);
    let top = *dense.eigenvalues.last().unwrap();
    eprintln!(
        "glass N = {atoms} | dense | {dense_s:.1} s (solve + 200 sums) | peak RSS {:.2} GiB",
        peak_rss_gib()
    );
    compare(
        &format!("glass N = {atoms}"),
        &glass,
        dense_s,
        Some(&dense),
        top,
    );
    drop((glass, dense));
    let net = Network::of_box(cells, 11);
    let label = format!("spring network N = {}", net.xi.len() / 3);
    if atoms >= 8192 {
        // Dense costs the same on any matrix of this order: the glass's time.
        let top = spectrum_lanczos::extreme_eigenvalues(&net.op, 60, 1).1;
        compare(&label, &net, dense_s, None, top);
    } else {
        let (net_dense_s, net_dense) = timed_dense(&net);
        let top = *net_dense.eigenvalues.last().unwrap();
        eprintln!("{label} | dense | {net_dense_s:.1} s (solve + 200 sums)");
        compare(&label, &net, net_dense_s, Some(&net_dense), top);
    }
}

fn bench(c: &mut Criterion) {
    if std::env::var("LANCZOS_BENCH_ONCE").is_ok_and(|v| v == "8192") {
        once(8192, [16, 16, 8]);
        return;
    }
    once(2000, [8, 8, 8]);
    let glass = glass(500);
    let problem = glass.problem();
    let mut g = c.benchmark_group("spectrum_glass_N500");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for params in ["", "vdos=false"] {
        let solver = lanczos(params);
        g.bench_function(format!("lanczos {params}"), |b| {
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
