//! Force evaluation of Cu50Zr50 (vendored CuZr_mm.eam.fs) at N = 2000 and
//! 8192, against LAMMPS on the same structure and the same machine.
//!
//! The LAMMPS peer is the `lmp` binary (serial) running `run K` without any
//! integrator, so every step is one force evaluation on fixed positions;
//! criterion is handed LAMMPS' own "Loop time", so process start-up and file
//! reading are excluded. Two pairs are compared:
//! - with a neighbour-list build every evaluation (ours: `evaluate`; LAMMPS:
//!   `neigh_modify every 1 delay 0 check no`);
//! - forces only on a prebuilt list (ours: `evaluate_with`; LAMMPS: the
//!   default skin, no rebuild because atoms do not move).
//!
//! Report the ratios of the medians printed side by side.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use nonaffine_core::Potential;
use nonaffine_forces::{align_species, evaluate, evaluate_with, NeighborList};
use potential_eam::{EamPotential, Flavor};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// LAMMPS' loop time for `steps` force evaluations.
fn lammps_loop_time(dir: &Path, setup: &[String], steps: u64, rebuild: bool) -> Duration {
    let mut input = String::from(
        "units metal\natom_style atomic\natom_modify map array sort 0 0.0\nboundary p p p\n\
         read_data s.data\n",
    );
    for c in setup {
        input.push_str(c);
        input.push('\n');
    }
    if rebuild {
        input.push_str("neigh_modify every 1 delay 0 check no\n");
    }
    input.push_str(&format!("thermo 0\nrun 0\nrun {steps}\n"));
    std::fs::write(dir.join("in.lmp"), input).unwrap();
    let out = Command::new("lmp")
        .args([
            "-in",
            "in.lmp",
            "-log",
            "log.lammps",
            "-screen",
            "none",
            "-nocite",
        ])
        .current_dir(dir)
        .output()
        .expect("the lmp binary");
    assert!(out.status.success());
    let log = std::fs::read_to_string(dir.join("log.lammps")).unwrap();
    let line = log
        .lines()
        .rfind(|l| l.starts_with("Loop time of"))
        .unwrap();
    let secs: f64 = line.split_whitespace().nth(3).unwrap().parse().unwrap();
    Duration::from_secs_f64(secs)
}

fn bench_size(c: &mut Criterion, cells: usize) {
    let potential = EamPotential::from_file(
        &support::cuzr_file(),
        Flavor::Fs,
        &["Cu".into(), "Zr".into()],
    )
    .unwrap();
    // Cu50Zr50 on a bcc lattice at about the glass density, 0.2 Å noise.
    let s = align_species(&support::cuzr(cells, [0.0; 3], 0.2, 1), &potential).unwrap();
    let n = s.len();
    let form = potential.form().unwrap();
    let dir = tempfile::tempdir().unwrap();
    nonaffine_io::write_lammps_data(&dir.path().join("s.data"), &s, "bench").unwrap();
    let setup = potential.lammps_commands();

    let mut g = c.benchmark_group(format!("cuzr_eam_fs_n{n}"));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(2));
    g.bench_function("nonaffine_with_neighbour_build", |b| {
        b.iter(|| evaluate(form, &s).unwrap())
    });
    g.bench_function("lammps_with_neighbour_build", |b| {
        b.iter_custom(|iters| lammps_loop_time(dir.path(), &setup, iters, true))
    });
    let list = NeighborList::build(&s, form.cutoff()).unwrap();
    g.bench_function("nonaffine_forces_only", |b| {
        b.iter(|| evaluate_with(form, &s, &list).unwrap())
    });
    g.bench_function("lammps_forces_only", |b| {
        b.iter_custom(|iters| lammps_loop_time(dir.path(), &setup, iters, false))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_size(c, 10); // 2000 atoms
    bench_size(c, 16); // 8192 atoms
}

criterion_group!(forces, benches);
criterion_main!(forces);
