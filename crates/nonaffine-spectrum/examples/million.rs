//! The matrix-free spectrum of a replicated glass of ~10⁶ atoms (issue 5):
//! memory and time of D·v, the block-Lanczos resolvent sums and the KPM VDOS
//! when D is never stored.
//!
//! ```text
//! cargo run --release -p nonaffine-spectrum --example million -- GLASS.data [COPIES]
//! ```
//! GLASS.data is a minimized Cu–Zr glass (LAMMPS data, types Cu Zr; e.g. a
//! `glass_T536K_s0.data` of the `quick` workflow, 400 atoms); it is replicated
//! COPIES times along each cell vector (default 14: 400·14³ = 1 097 600 atoms).
//! Environment: `STEPS` (block-Lanczos steps, default 10), `MOMENTS` (KPM
//! Chebyshev moments, 64), `VECTORS` (random vectors, 1), `POTENTIAL` (setfl
//! file, default the vendored CuZr_mm.eam.fs). Prints seconds and the peak
//! resident memory (VmHWM) after each phase, the resolvent sums per atom of the
//! replica against those of the unreplicated glass (a periodic Ξ keeps the
//! Krylov space in the Γ-point subspace, so they must agree to round-off), and
//! a few points of the KPM VDOS. Not part of the test suite: minutes of both
//! cores at 10⁶ atoms.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use nonaffine_core::units::THZ_PER_OMEGA_UNIT;
use nonaffine_core::{
    Cell, Modes, SpectrumProblem, SpectrumResult, SpectrumSolver, Structure, SymmetricOperator,
};
use nonaffine_hessian::MatrixFreeHessian;
use num_complex::Complex64;
use potential_eam::{EamPotential, Flavor};
use spectrum_lanczos::LanczosSolver;
use std::path::PathBuf;
use std::time::Instant;

/// Peak resident memory so far, GiB (Linux VmHWM).
fn peak_gib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / (1024.0 * 1024.0))
}

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `s` repeated `c` times along each cell vector (atom order: copy by copy).
fn replicate(s: &Structure, c: usize) -> Structure {
    let v = s.cell.vectors;
    let mut positions = Vec::with_capacity(s.len() * c * c * c);
    let mut types = Vec::with_capacity(positions.capacity());
    for (i, j, k) in (0..c).flat_map(|i| (0..c).flat_map(move |j| (0..c).map(move |k| (i, j, k)))) {
        let t: [f64; 3] =
            std::array::from_fn(|a| i as f64 * v[0][a] + j as f64 * v[1][a] + k as f64 * v[2][a]);
        for (x, ty) in s.positions.iter().zip(&s.types) {
            positions.push([x[0] + t[0], x[1] + t[1], x[2] + t[2]]);
            types.push(*ty);
        }
    }
    let cell = Cell {
        origin: s.cell.origin,
        vectors: v.map(|row| row.map(|x| x * c as f64)),
    };
    let n = positions.len();
    Structure::new(cell, s.species.clone(), types, positions, vec![[0; 3]; n]).unwrap()
}

struct Run {
    atoms: usize,
    result: SpectrumResult,
}

fn run(label: &str, s: &Structure, pot: &EamPotential, solver: &LanczosSolver) -> Run {
    let clock = Instant::now();
    let op = MatrixFreeHessian::from_potential(s, pot).unwrap();
    println!(
        "[{label}] {} atoms, {} pairs, operator {:.2} GiB: built in {:.1} s, peak RSS {:.2} GiB",
        op.atoms(),
        op.pairs(),
        op.bytes() as f64 / (1u64 << 30) as f64,
        clock.elapsed().as_secs_f64(),
        peak_gib()
    );
    let clock = Instant::now();
    let xi = op.force_fields_mass_weighted();
    println!(
        "[{label}] Ξ in {:.1} s, peak RSS {:.2} GiB",
        clock.elapsed().as_secs_f64(),
        peak_gib()
    );
    let x: Vec<f64> = (0..op.dim())
        .map(|i| ((i % 7) as f64 - 3.0) / 3.0)
        .collect();
    let mut y = vec![0.0; op.dim()];
    let products = 3;
    let clock = Instant::now();
    for _ in 0..products {
        op.apply(&x, &mut y);
    }
    println!(
        "[{label}] D·v: {:.3} s per product (mean of {products})",
        clock.elapsed().as_secs_f64() / products as f64
    );
    let clock = Instant::now();
    let result = solver
        .solve(&SpectrumProblem {
            operator: &op,
            xi: &xi,
            debye_omega: None,
        })
        .unwrap();
    println!(
        "[{label}] lanczos ({} steps) + KPM ({} moments, {} vectors): {:.1} s, peak RSS {:.2} GiB; {:?}",
        solver.steps,
        solver.moments.unwrap_or(0),
        solver.random_vectors.unwrap_or(0),
        clock.elapsed().as_secs_f64(),
        peak_gib(),
        result.diagnostics
    );
    Run {
        atoms: op.atoms(),
        result,
    }
}

/// R_xx(z)/N and R_xy(z)/N at a few z across the spectrum.
fn sums_per_atom(modes: &Modes, atoms: usize, top: f64) -> Vec<Complex64> {
    [0.05, 0.2, 0.5, 0.9]
        .iter()
        .flat_map(|f| {
            let z = Complex64::new(f * top, 0.05 * top);
            let r = modes.resolvent_sum(z, 1e-12 * top);
            [r[0][0] / atoms as f64, r[3][3] / atoms as f64]
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: million GLASS.data [COPIES]   (env STEPS, MOMENTS, VECTORS, POTENTIAL)");
        std::process::exit(2);
    };
    let copies: usize = args.get(2).and_then(|c| c.parse().ok()).unwrap_or(14);
    let file = std::env::var("POTENTIAL")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs")
        });
    let elements = ["Cu".to_string(), "Zr".to_string()];
    let pot = EamPotential::from_file(&file, Flavor::Fs, &elements).unwrap();
    let glass = nonaffine_io::read_structure(std::path::Path::new(path), Some(&elements)).unwrap();
    let solver = LanczosSolver {
        steps: env_or("STEPS", 10),
        tolerance: 0.0,
        vdos: true,
        resolution_thz: 0.75,
        vdos_error: 0.1,
        moments: Some(env_or("MOMENTS", 64)),
        random_vectors: Some(env_or("VECTORS", 1)),
        grid: 400,
        seed: 1,
    };
    println!(
        "threads {}, glass {} atoms; replica {copies}³ = {} copies",
        rayon::current_num_threads(),
        glass.len(),
        copies * copies * copies
    );
    let small = run("glass", &glass, &pot, &solver);
    let clock = Instant::now();
    let big = replicate(&glass, copies);
    drop(glass);
    println!(
        "[replica] {} atoms replicated in {:.1} s",
        big.len(),
        clock.elapsed().as_secs_f64()
    );
    let large = run("replica", &big, &pot, &solver);
    drop(big);

    let top = small
        .result
        .density
        .as_ref()
        .map_or(1.0, |d| *d.lambda.last().unwrap_or(&1.0));
    let a = sums_per_atom(&small.result.modes, small.atoms, top);
    let b = sums_per_atom(&large.result.modes, large.atoms, top);
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).norm() / x.norm())
        .fold(0.0f64, f64::max);
    println!(
        "resolvent sums per atom, replica vs glass (R_xx, R_yz at z = (0.05, 0.2, 0.5, 0.9)·λ_max + 0.05i·λ_max): \
         largest relative difference {worst:.1e}"
    );
    if let Some(d) = &large.result.density {
        println!("KPM VDOS of the replica (eigenvalues per THz, all 3N modes):");
        let step = (d.lambda.len() / 10).max(1);
        for k in (step..d.lambda.len()).step_by(step) {
            let nu = THZ_PER_OMEGA_UNIT * d.lambda[k].sqrt();
            // ρ(λ) dλ/dν with λ = (ν/c)²: dλ/dν = 2λ/ν.
            let per_thz = d.density[k] * 2.0 * d.lambda[k] / nu;
            println!(
                "  ν = {nu:6.2} THz  D = {:.4e}",
                per_thz / (3 * large.atoms) as f64
            );
        }
    }
    println!("peak RSS {:.2} GiB", peak_gib());
}
