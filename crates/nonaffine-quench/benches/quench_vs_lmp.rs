//! The quench MD through the project's supervised worker against Debian's
//! `lmp` binary running the same input script (`Job::to_input_script`).
//! Target: ratio worker/lmp ≤ 1.05. Run: `cargo bench -p nonaffine-quench`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use nonaffine_core::{ParamValue, Params};
use nonaffine_lammps::{run_job, WorkerConfig};
use nonaffine_quench::{md_job, QuenchProtocol};
use std::collections::BTreeMap;
use std::path::PathBuf;

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
    g.bench_function("lmp_binary", |b| {
        b.iter(|| {
            let out = std::process::Command::new("lmp")
                .args([
                    "-in",
                    "in.quench",
                    "-log",
                    "none",
                    "-screen",
                    "none",
                    "-nocite",
                ])
                .current_dir(dir.path())
                .output()
                .expect("Debian's lmp binary (package lammps)");
            assert!(out.status.success());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
