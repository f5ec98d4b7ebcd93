//! The MD of one `oscillate` point (256-atom CuZr glass, xy at 3 THz, 1 ps
//! warm-up + 6 cycles = 3000 steps with the per-step stress record) through
//! the project's supervised worker against Debian's `lmp` running the same
//! input script (`Job::to_input_script`). Target: ratio worker/lmp ≤ 1.05.
//! Run: `cargo bench -p nonaffine-oscillate`.
//!
//! Besides criterion's two groups (measured one after the other), the bench
//! prints the median ratio of back-to-back pairs (order alternating), which is
//! robust to slow load drifts on a shared machine.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, Criterion};
use nonaffine_core::{ParamValue, Params};
use nonaffine_lammps::{run_job, Job, WorkerConfig};
use nonaffine_oscillate::table::Component;
use nonaffine_oscillate::{point_job, Drive, Thermostat};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn setup(dir: &Path) -> (Job, WorkerConfig) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut pv = BTreeMap::new();
    pv.insert(
        "file".to_string(),
        ParamValue::Text(
            root.join("vendor/potentials/CuZr_mm.eam.fs")
                .display()
                .to_string(),
        ),
    );
    pv.insert("elements".to_string(), ParamValue::Text("Cu,Zr".into()));
    let cmds = nonaffine_registry::registry()
        .potential("eam/fs", &Params::new("potential", pv))
        .unwrap()
        .lammps_commands();
    std::fs::copy(
        root.join("tests/data/md-spectroscopy/cuzr256_glass.data"),
        dir.join("glass.data"),
    )
    .unwrap();
    let d = Drive {
        component: Component::Xy,
        frequency_thz: 3.0,
        strain_amplitude: 1e-5,
        cycles: 6,
        warmup_ps: 1.0,
        timestep_ps: 0.001,
        temperature_k: 0.0,
        thermostat: Thermostat::Langevin {
            damping_time_ps: 1.0,
        },
        seed: 1,
        pure_strain: true,
        equilibrate_ps: 20.0,
        average_cell_ps: 20.0,
        npt_damping_ps: (0.1, 1.0),
    };
    let script = point_job(&d, "glass.data", &cmds, "lmp.stress.txt")
        .to_input_script()
        .unwrap();
    std::fs::write(dir.join("in.oscillate"), script).unwrap();
    let job = point_job(
        &d,
        &dir.join("glass.data").display().to_string(),
        &cmds,
        &dir.join("worker/stress.txt").display().to_string(),
    );
    let config = WorkerConfig {
        workdir: Some(dir.join("worker")),
        ..Default::default()
    };
    (job, config)
}

/// Debian's `lmp` on `in.oscillate` in `dir`.
fn run_lmp(dir: &Path) {
    let out = std::process::Command::new("lmp")
        .args([
            "-in",
            "in.oscillate",
            "-log",
            "log.lammps",
            "-screen",
            "none",
            "-nocite",
        ])
        .current_dir(dir)
        .output()
        .expect("Debian's lmp binary (package lammps)");
    assert!(out.status.success());
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (job, config) = setup(dir.path());
    let mut g = c.benchmark_group("oscillate_point_256_atoms_3000_steps");
    g.sample_size(10);
    g.bench_function("nonaffine_worker", |b| {
        b.iter(|| run_job(&config, &job, &mut |_| {}).unwrap())
    });
    g.bench_function("lmp_binary", |b| b.iter(|| run_lmp(dir.path())));
    g.finish();
}

/// Ratios worker/lmp of back-to-back pairs, order alternating: median and range.
fn paired_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let (job, config) = setup(dir.path());
    let worker = || {
        let t = Instant::now();
        run_job(&config, &job, &mut |_| {}).unwrap();
        t.elapsed().as_secs_f64()
    };
    let lmp = || {
        let t = Instant::now();
        run_lmp(dir.path());
        t.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..10)
        .map(|i| {
            if i % 2 == 0 {
                let w = worker();
                w / lmp()
            } else {
                let l = lmp();
                worker() / l
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "oscillate_point_256_atoms_3000_steps: paired worker/lmp ratio median {:.3} (range {:.3}..{:.3}, 10 pairs)",
        (ratios[4] + ratios[5]) / 2.0,
        ratios[0],
        ratios[9]
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    paired_ratio();
    Criterion::default().configure_from_args().final_summary();
}
