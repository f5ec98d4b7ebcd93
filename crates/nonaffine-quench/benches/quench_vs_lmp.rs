//! The quench MD through the project's supervised worker against Debian's
//! `lmp` binary running the same input script (`Job::to_input_script`).
//! Target: ratio worker/lmp ≤ 1.05. Run: `cargo bench -p nonaffine-quench`.
//!
//! Besides criterion's two groups (measured one after the other, so a change
//! of machine load between them shows as a false ratio), the bench prints the
//! ratio of back-to-back pairs (worker, then lmp, alternating order), whose
//! median is robust to slow load drifts on a shared machine.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, Criterion};
use nonaffine_core::{ParamValue, Params};
use nonaffine_lammps::{run_job, WorkerConfig};
use nonaffine_quench::{md_job, QuenchProtocol};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

fn setup() -> (nonaffine_lammps::Job, String) {
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs");
    let mut pv = BTreeMap::new();
    pv.insert(
        "file".to_string(),
        ParamValue::Text(file.display().to_string()),
    );
    pv.insert("elements".to_string(), ParamValue::Text("Cu,Zr".into()));
    let potential = nonaffine_registry::registry()
        .potential("eam/fs", &Params::new("potential", pv))
        .unwrap();
    let mut v = BTreeMap::new();
    v.insert("n_atoms".into(), ParamValue::Integer(250));
    let mut comp = BTreeMap::new();
    comp.insert("Cu".to_string(), ParamValue::Number(0.5));
    comp.insert("Zr".to_string(), ParamValue::Number(0.5));
    v.insert("composition".into(), ParamValue::Map(comp));
    v.insert("melt_time_ps".into(), ParamValue::Number(1.0));
    v.insert("cooling_rate_k_per_ps".into(), ParamValue::Number(1464.0));
    let p = QuenchProtocol::from_params(&Params::new("bench", v), potential.elements()).unwrap();
    let job = md_job(&p, potential.as_ref(), 0);
    let script = job.to_input_script().unwrap();
    (job, script)
}

fn bench(c: &mut Criterion) {
    let (job, script) = setup();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.quench"), &script).unwrap();
    let mut g = c.benchmark_group("quench_md_250_atoms_1000_steps");
    g.sample_size(10);
    g.bench_function("nonaffine_worker", |b| {
        b.iter(|| run_job(&WorkerConfig::default(), &job, &mut |_| {}).unwrap())
    });
    g.bench_function("lmp_binary", |b| b.iter(|| run_lmp(dir.path())));
    g.finish();
}

/// Debian's `lmp` on `in.quench` in `dir`.
fn run_lmp(dir: &std::path::Path) {
    let out = std::process::Command::new("lmp")
        .args([
            "-in",
            "in.quench",
            // The worker keeps LAMMPS' log (users read it): so does the peer.
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

/// Ratios worker/lmp of back-to-back pairs, order alternating: median and range.
fn paired_ratio() {
    let (job, script) = setup();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.quench"), &script).unwrap();
    let worker = || {
        let t = Instant::now();
        run_job(&WorkerConfig::default(), &job, &mut |_| {}).unwrap();
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
        "quench_md_250_atoms_1000_steps: paired worker/lmp ratio median {:.3} (range {:.3}..{:.3}, 10 pairs)",
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
