//! What the benchmarks share: the glasses, small Cu–Zr glasses quenched by LAMMPS (the
//! tests' protocol, 1000 K/ps, minimized), cached in `target/hessian-bench/`,
//! their replicas (a replica of a minimum is a minimum), and the process'
//! resident memory.

// Each benchmark uses a part of this module.
#![allow(dead_code)]

use crate::support;
use nonaffine_core::{NoProgress, Potential, Structure};
use nonaffine_lammps::WorkerConfig;
use nonaffine_quench::quench;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn cache() -> PathBuf {
    let dir = root().join("target/hessian-bench");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A glass of `n` atoms quenched by LAMMPS, cached as a data file.
pub fn base_glass(n: i64, pot: &dyn Potential) -> Structure {
    let path = cache().join(format!("base_{n}.data"));
    let names = ["Cu".to_string(), "Zr".to_string()];
    if let Ok(s) = nonaffine_io::read_lammps_data(&path, Some(&names)) {
        return s;
    }
    let p = support::cuzr_quench_protocol(n, 7);
    let run = quench(&p, pot, &WorkerConfig::default(), &NoProgress).unwrap();
    let s = run.captures[0].structure.clone();
    nonaffine_io::write_lammps_data(&path, &s, "hessian bench base glass").unwrap();
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

/// Peak resident set (VmHWM) in bytes, after resetting it to the current RSS.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
pub fn peak_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
pub fn rss_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
