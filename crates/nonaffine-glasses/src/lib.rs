//! Benchmark fixtures: Cu50Zr50 glasses quenched by LAMMPS (the Cu–Zr eam/fs
//! potential of `vendor/potentials`, melted 2 ps, cooled at 1000 K/ps,
//! captured at 670 K and minimized to 5 bar) and replicated to size. Replicas
//! of a minimum are minima, so a replicated glass has the real glass's local
//! structure (≈ 1 900 stored Hessian entries per row) at any N.
//!
//! The base glasses are quenched once and cached as LAMMPS data files in
//! `target/glasses/`; the quench needs the LAMMPS worker
//! (`cargo build --release -p nonaffine-lammps --bins`).
#![allow(clippy::expect_used)]

use nonaffine_core::{NoProgress, ParamValue, Params, Structure};
use nonaffine_lammps::WorkerConfig;
use nonaffine_quench::{quench, QuenchProtocol};
use potential_eam::{EamPotential, Flavor};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Cu–Zr eam/fs potential file (Mendelev et al.).
pub fn cuzr_file() -> PathBuf {
    root().join("vendor/potentials/CuZr_mm.eam.fs")
}

/// The Cu–Zr eam/fs potential, types Cu, Zr.
pub fn cuzr_potential() -> EamPotential {
    EamPotential::from_file(&cuzr_file(), Flavor::Fs, &["Cu".into(), "Zr".into()])
        .expect("the vendored Cu–Zr potential reads")
}

/// The Cu50Zr50 quench: `n_atoms` atoms from `seed`, melted 2 ps, cooled at
/// 1000 K/ps, captured at 670 K and minimized to 5 bar.
pub fn cuzr_quench_protocol(n_atoms: i64, seed: i64) -> QuenchProtocol {
    let mut v = BTreeMap::new();
    v.insert("n_atoms".into(), ParamValue::Integer(n_atoms));
    let mut comp = BTreeMap::new();
    comp.insert("Cu".to_string(), ParamValue::Number(0.5));
    comp.insert("Zr".to_string(), ParamValue::Number(0.5));
    v.insert("composition".into(), ParamValue::Map(comp));
    v.insert("seed".into(), ParamValue::Integer(seed));
    v.insert("stress_tolerance_bar".into(), ParamValue::Number(5.0));
    v.insert("melt_time_ps".into(), ParamValue::Number(2.0));
    v.insert("cooling_rate_k_per_ps".into(), ParamValue::Number(1000.0));
    v.insert(
        "capture_temperatures_k".into(),
        ParamValue::List(vec![ParamValue::Number(670.0)]),
    );
    QuenchProtocol::from_params(&Params::new("protocol", v), &["Cu".into(), "Zr".into()])
        .expect("the fixed protocol is valid")
}

/// A glass of `n` atoms quenched by LAMMPS (seed 7), read from the cache or
/// quenched and cached.
pub fn base_glass(n: usize) -> Structure {
    let dir = root().join("target/glasses");
    std::fs::create_dir_all(&dir).expect("target/glasses is writable");
    let path = dir.join(format!("base_{n}.data"));
    let names = ["Cu".to_string(), "Zr".to_string()];
    if let Ok(s) = nonaffine_io::read_lammps_data(&path, Some(&names)) {
        return s;
    }
    let p = cuzr_quench_protocol(n as i64, 7);
    let run = quench(&p, &cuzr_potential(), &WorkerConfig::default(), &NoProgress)
        .expect("LAMMPS quenches the fixture (is the worker built?)");
    let s = run.captures[0].structure.clone();
    // Written aside and renamed, so that concurrent benches never read half a file.
    let partial = dir.join(format!("base_{n}.data.{}", std::process::id()));
    nonaffine_io::write_lammps_data(&partial, &s, "Cu50Zr50 fixture glass")
        .expect("target/glasses is writable");
    std::fs::rename(&partial, &path).expect("target/glasses is writable");
    s
}

/// `s` repeated n[0]×n[1]×n[2] times along its cell vectors.
pub fn replicate(s: &Structure, n: [usize; 3]) -> Structure {
    let v = s.cell.vectors;
    let mut out = s.clone();
    out.positions.clear();
    out.types.clear();
    out.images.clear();
    for i in 0..n[0] {
        for j in 0..n[1] {
            for k in 0..n[2] {
                let shift: [f64; 3] = std::array::from_fn(|c| {
                    i as f64 * v[0][c] + j as f64 * v[1][c] + k as f64 * v[2][c]
                });
                for (x, t) in s.positions.iter().zip(&s.types) {
                    out.positions.push(std::array::from_fn(|c| x[c] + shift[c]));
                    out.types.push(*t);
                    out.images.push([0; 3]);
                }
            }
        }
    }
    for (row, m) in out.cell.vectors.iter_mut().zip(n) {
        row.iter_mut().for_each(|x| *x *= m as f64);
    }
    out
}

/// The benchmark glass of `n` atoms: 500, 1000 and 2000 are the 250-atom
/// glass × 2, 4, 8; 8192 is the 256-atom glass × 2×4×4; any other `n` is
/// quenched as is.
pub fn glass(n: usize) -> Structure {
    match n {
        500 => replicate(&base_glass(250), [2, 1, 1]),
        1000 => replicate(&base_glass(250), [2, 2, 1]),
        2000 => replicate(&base_glass(250), [2, 2, 2]),
        8192 => replicate(&base_glass(256), [2, 4, 4]),
        _ => base_glass(n),
    }
}
