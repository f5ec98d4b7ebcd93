//! What the benchmarks share: the glasses (`nonaffine-glasses`: small Cu–Zr
//! glasses quenched by LAMMPS and their replicas), the cache folder
//! `target/hessian-bench/`, and the process' resident memory.

// Each benchmark uses a part of this module.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn cache() -> PathBuf {
    let dir = root().join("target/hessian-bench");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub use nonaffine_glasses::{base_glass, replicate};

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
