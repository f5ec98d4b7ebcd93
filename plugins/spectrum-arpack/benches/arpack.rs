//! Lowest k modes by ARPACK on a real Cu50Zr50 glass, regular and
//! shift-invert, against scipy's `eigsh` (the same ARPACK algorithm, default
//! ncv = 2k + 1, tol = 0; shift-invert factors with SuperLU) run by
//! `benches/eigsh_scipy.py` in the same run, and optionally against the
//! `dense` solver (every mode) on the same matrix; prints ours / peer.
//! One BLAS thread on every side.
//!
//! The glass is a `nonaffine hessian` output folder given by
//! `ARPACK_BENCH_HESSIAN` (hessian.npz or hessian.mtx, and structure.data),
//! e.g. a LAMMPS-quenched 250-atom glass replicated 2×2×2 to N = 2000
//! (commands in the README's performance section). Further settings:
//! - `ARPACK_BENCH_MODES`: modes to time (default `shift-invert,regular`);
//! - `ARPACK_BENCH_K`: numbers of lowest modes (default `50`, e.g. `50,100,200`);
//! - `ARPACK_BENCH_SCIPY=0`: skip the scipy peer;
//! - `ARPACK_BENCH_DENSE=1`: time one dense solve too (minutes and 14 GB at
//!   N = 8192).
//!
//! `OPENBLAS_NUM_THREADS=1 ARPACK_BENCH_HESSIAN=DIR cargo bench -p spectrum-arpack --bench arpack`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use nonaffine_core::{Params, SpectrumProblem, SpectrumSolver, SymmetricOperator};
use nonaffine_hessian::HessianProducts;
use nonaffine_spectrum::CsrOperator;
use spectrum_arpack::cholesky::ShiftedCholesky;
use std::time::Instant;

fn list(var: &str, default: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(String::from)
        .collect()
}

/// Seconds of one solve and the fourth lowest eigenvalue.
fn time(solver: &dyn SpectrumSolver, problem: &SpectrumProblem<'_>) -> (f64, f64, String) {
    let clock = Instant::now();
    let r = solver.solve(problem).unwrap();
    let seconds = clock.elapsed().as_secs_f64();
    let diagnostics = r
        .diagnostics
        .iter()
        .map(|(n, v)| format!("{n} {v:.3e}"))
        .collect::<Vec<_>>()
        .join(", ");
    (seconds, r.modes.eigenvalues[3], diagnostics)
}

/// scipy's `eigsh` on the same folder: seconds and the fourth lowest eigenvalue.
fn scipy(dir: &std::path::Path, k: usize, mode: &str) -> (f64, f64) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/eigsh_scipy.py");
    let peer = std::process::Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(dir)
        .args(["--modes", &k.to_string(), "--which", mode])
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&peer.stdout);
    text.lines()
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            Some((v["seconds"].as_f64()?, v["fourth_lowest"].as_f64()?))
        })
        .unwrap_or_else(|| {
            panic!(
                "eigsh_scipy.py gave no time:\n{text}\n{}",
                String::from_utf8_lossy(&peer.stderr)
            )
        })
}

fn main() {
    let Some(dir) = std::env::var_os("ARPACK_BENCH_HESSIAN") else {
        eprintln!(
            "set ARPACK_BENCH_HESSIAN to a `nonaffine hessian` output folder (see the bench's doc)"
        );
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let modes = list("ARPACK_BENCH_MODES", "shift-invert,regular");
    let ks: Vec<usize> = list("ARPACK_BENCH_K", "50")
        .iter()
        .map(|k| k.parse().unwrap())
        .collect();
    let with_scipy = std::env::var("ARPACK_BENCH_SCIPY").as_deref() != Ok("0");
    let with_dense = std::env::var("ARPACK_BENCH_DENSE").as_deref() == Ok("1");
    let products = HessianProducts::read_dir(&dir, Some(&["Cu".into(), "Zr".into()])).unwrap();
    let (op, xi) = CsrOperator::mass_weighted(&products);
    println!(
        "glass {}: 3N = {}, stored entries {}",
        dir.display(),
        op.0.nrows(),
        op.0.nnz()
    );
    let problem = SpectrumProblem {
        operator: &op,
        xi: &xi,
        debye_omega: None,
    };
    if modes.iter().any(|m| m == "shift-invert") {
        // The factorization alone, at the solver's default σ = −1e-4·max|D_ii|.
        let mut diag_max: f64 = 0.0;
        op.for_each_entry(&mut |i, j, v| {
            if i == j {
                diag_max = diag_max.max(v.abs());
            }
        });
        let clock = Instant::now();
        let factor = ShiftedCholesky::new(&op, -1e-4 * diag_max).unwrap();
        println!(
            "shift-invert factor of D − σ: {:.2} s, {} stored entries of L",
            clock.elapsed().as_secs_f64(),
            factor.factor_nonzeros()
        );
    }
    let dense = with_dense.then(|| {
        let solver = spectrum_dense::build(&Params::from_pairs("p", "threads=1").unwrap()).unwrap();
        let (seconds, fourth, _) = time(solver.as_ref(), &problem);
        println!("dense: {seconds:.2} s (fourth lowest {fourth:.12e})");
        seconds
    });
    for &k in &ks {
        for mode in &modes {
            let solver = spectrum_arpack::build(
                &Params::from_pairs("p", &format!("modes={k},mode={mode}")).unwrap(),
            )
            .unwrap();
            let (ours, fourth, diagnostics) = time(solver.as_ref(), &problem);
            let mut line = format!("k = {k}, {mode}: ours {ours:.2} s");
            if with_scipy {
                let (peer, peer_fourth) = scipy(&dir, k, mode);
                line += &format!(
                    ", scipy eigsh {peer:.2} s, ratio {:.2}× (fourth lowest {fourth:.12e} vs {peer_fourth:.12e})",
                    ours / peer
                );
            }
            if let Some(d) = dense {
                line += &format!(", dense {d:.2} s, ratio {:.3}×", ours / d);
            }
            println!("{line}\n  {diagnostics}");
        }
    }
}
