//! Lowest 50 modes by ARPACK on a real Cu50Zr50 glass, against scipy's
//! `eigsh` (the same ARPACK algorithm, default ncv = 101, tol = 0, one BLAS
//! thread on both sides) run by `benches/eigsh_scipy.py` in the same run;
//! prints ours / scipy.
//!
//! The glass is a `nonaffine hessian` output folder given by
//! `ARPACK_BENCH_HESSIAN` (hessian.mtx and structure.data): a LAMMPS-quenched
//! 250-atom glass replicated 2×2×2 to N = 2000 (commands in the README's
//! performance section). `ARPACK_BENCH_MODES=regular,shift-invert` chooses
//! the modes (default: regular; shift-invert with our Cholesky factor is
//! minutes at this size).
//!
//! `OPENBLAS_NUM_THREADS=1 ARPACK_BENCH_HESSIAN=DIR cargo bench -p spectrum-arpack --bench arpack`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use nonaffine_core::{Params, SpectrumProblem};
use nonaffine_hessian::HessianProducts;
use nonaffine_spectrum::CsrOperator;
use std::time::Instant;

fn main() {
    let Some(dir) = std::env::var_os("ARPACK_BENCH_HESSIAN") else {
        eprintln!(
            "set ARPACK_BENCH_HESSIAN to a `nonaffine hessian` output folder (see the bench's doc)"
        );
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let modes = std::env::var("ARPACK_BENCH_MODES").unwrap_or_else(|_| "regular".into());
    let products = HessianProducts::read_dir(&dir, Some(&["Cu".into(), "Zr".into()])).unwrap();
    let (op, xi) = CsrOperator::mass_weighted(&products);
    println!(
        "glass {}: 3N = {}, stored entries {}",
        dir.display(),
        op.0.nrows(),
        op.0.nnz()
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/eigsh_scipy.py");
    for mode in modes.split(',') {
        let solver = spectrum_arpack::build(
            &Params::from_pairs("p", &format!("modes=50,mode={mode}")).unwrap(),
        )
        .unwrap();
        let clock = Instant::now();
        let r = solver
            .solve(&SpectrumProblem {
                operator: &op,
                xi: &xi,
                debye_omega: None,
            })
            .unwrap();
        let ours = clock.elapsed().as_secs_f64();
        let peer = std::process::Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(&dir)
            .args(["--modes", "50", "--which", mode])
            .env("OPENBLAS_NUM_THREADS", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&peer.stdout);
        let seconds = text
            .lines()
            .find_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                v["seconds"].as_f64()
            })
            .unwrap_or_else(|| {
                panic!(
                    "eigsh_scipy.py gave no time:\n{text}\n{}",
                    String::from_utf8_lossy(&peer.stderr)
                )
            });
        println!(
            "{mode}: ours {ours:.2} s, scipy eigsh {seconds:.2} s, ratio {:.2}× (fourth lowest {:.12e}); {:?}",
            ours / seconds,
            r.modes.eigenvalues[3],
            r.diagnostics
        );
        println!("  scipy: {}", text.trim());
    }
}
