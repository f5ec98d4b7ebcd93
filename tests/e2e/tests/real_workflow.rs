//! A tiny Cu–Zr workflow through every real stage (LAMMPS quench → analytic
//! Hessian → dense spectrum → response calibrated against a Kohlrausch
//! reference, with a kernel stage), compared run against run with the same
//! machinery a user runs (`nonaffine diff`): issue 9's acceptance tests on
//! real physics rather than dummy stages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_workflow::diff::{compare, StageStatus, Summaries, Tolerances};
use nonaffine_workflow::{run, Quiet, RunOptions, RunReport, Workflow};
use std::path::{Path, PathBuf};

/// 108 atoms, 1 ps melt, 2000 K/ps: seconds of MD, a stand-in glass.
const WORKFLOW: &str = "
name: tiny
stages:
  glass:
    stage: quench
    params:
      potential: { plugin: eam/fs, file: quench.eam.fs, elements: [Cu, Zr] }
      n_atoms: 108
      composition: { Cu: 0.5, Zr: 0.5 }
      melt_time_ps: 1
      cooling_rate_k_per_ps: 2000
      capture_temperatures_k: [670]
      stress_tolerance_bar: 20
  kernel:
    stage: kernel
    params: { plugin: stretched-exp, nu0: 0.137, b: 0.72, r: 1.2e-6 }
  reference:
    stage: reference
    params: { file: reference.yaml, points: 25 }
  hessian:
    stage: hessian
    inputs: [glass]
    params:
      potential: { plugin: eam/fs, file: hessian.eam.fs, elements: [Cu, Zr] }
  spectrum:
    stage: spectrum
    inputs: [hessian]
    params: { solver: { plugin: dense }, negative_modes: exclude, plots: false }
  response:
    stage: response
    inputs: [spectrum, reference, kernel]
    params: { debye_control: false, starts: 1, plots: false }
";

const REFERENCE: &str = "source: test, the paper's 670 K fit
material: Cu50Zr50
time_unit: min
modulus_unit: sigma0/eps0
fits:
  - temperature_k: 670
    beta: 0.69
    tau: 0.87
    sigma0_over_eps0: 1.0
    sigma_inf_over_eps0: 0.0
";

fn vendored_potential() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs"),
    )
    .unwrap()
}

/// The same potential stretched radially by 0.1 %: line 5 of an eam/fs file
/// is `Nrho drho Nr dr cutoff`; scaling dr and the cutoff together gives
/// φ(r/1.001), ρ(r/1.001): a different, equally valid potential.
fn stretched_potential() -> String {
    let text = vendored_potential();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let fields: Vec<&str> = lines[4].split_whitespace().collect();
    assert_eq!(fields.len(), 5, "eam/fs line 5: {}", lines[4]);
    let dr: f64 = fields[3].parse().unwrap();
    let cutoff: f64 = fields[4].parse().unwrap();
    lines[4] = format!(
        "{} {} {} {:.15e} {:.15e}",
        fields[0],
        fields[1],
        fields[2],
        dr * 1.001,
        cutoff * 1.001
    );
    lines.join("\n") + "\n"
}

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let potential = vendored_potential();
        std::fs::write(dir.path().join("quench.eam.fs"), &potential).unwrap();
        std::fs::write(dir.path().join("hessian.eam.fs"), &potential).unwrap();
        std::fs::write(dir.path().join("reference.yaml"), REFERENCE).unwrap();
        std::fs::write(dir.path().join("wf.yaml"), WORKFLOW).unwrap();
        Case { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs the workflow into `out`, sharing `store` when given.
    fn run(&self, out: &str, store: Option<&str>) -> RunReport {
        let registry = nonaffine_registry::registry();
        let workflow = Workflow::load(&self.path("wf.yaml"), &registry).unwrap();
        let options = RunOptions {
            out_dir: self.path(out),
            force: Vec::new(),
            jobs: 1,
            store: store.map(|s| self.path(s)),
        };
        run(&workflow, &registry, &options, &Quiet).unwrap()
    }

    fn diff(&self, a: &str, b: &str) -> Vec<String> {
        let report = compare(
            &Summaries::from_run(&self.path(a)).unwrap(),
            &Summaries::from_run(&self.path(b)).unwrap(),
            &Tolerances::default(),
        );
        report
            .stages
            .iter()
            .map(|s| {
                let status = match &s.status {
                    StageStatus::Same => "same".to_string(),
                    StageStatus::Changed(c) => format!("changed ({} fields)", c.len()),
                    StageStatus::OnlyInA => "only in A".to_string(),
                    StageStatus::OnlyInB => "only in B".to_string(),
                };
                format!("{}: {status}", s.stage)
            })
            .collect()
    }
}

fn status_of<'a>(lines: &'a [String], stage: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.starts_with(&format!("{stage}: ")))
        .map(|l| &l[stage.len() + 2..])
        .unwrap_or("missing")
}

#[test]
fn real_stages_rerun_compare_and_respond_to_a_potential_change() {
    let case = Case::new();
    let first = case.run("a", None);
    assert_eq!(first.ran().len(), 6, "{}", first.explain());

    // Second run in the same folder: everything from the cache.
    let again = case.run("a", None);
    assert!(again.ran().is_empty(), "{}", again.explain());

    // An independent recomputation (no store, new folder) gives byte-identical
    // summaries: LAMMPS with the same seed, and every later stage, are
    // deterministic.
    case.run("b", None);
    let same = case.diff("a", "b");
    assert!(same.iter().all(|l| l.ends_with(": same")), "{same:#?}");

    // The Hessian's potential file changes: the glass, kernel and reference are
    // the same (taken from the store), the Hessian and everything downstream
    // change.
    let stored = case.run("a", Some("store"));
    assert!(stored.ran().is_empty(), "{}", stored.explain());
    std::fs::write(case.path("hessian.eam.fs"), stretched_potential()).unwrap();
    let changed = case.run("c", Some("store"));
    assert_eq!(
        changed.ran(),
        vec!["hessian", "spectrum", "response"],
        "{}",
        changed.explain()
    );
    let lines = case.diff("a", "c");
    for stage in ["glass", "kernel", "reference"] {
        assert_eq!(status_of(&lines, stage), "same", "{lines:#?}");
    }
    for stage in ["hessian", "spectrum", "response"] {
        assert!(
            status_of(&lines, stage).starts_with("changed"),
            "{stage}: {lines:#?}"
        );
    }

    // A kernel parameter changes: only the kernel and the response move.
    std::fs::write(case.path("wf.yaml"), WORKFLOW.replace("b: 0.72", "b: 0.6")).unwrap();
    let kernel = case.run("d", Some("store"));
    assert_eq!(
        kernel.ran(),
        vec!["kernel", "response"],
        "{}",
        kernel.explain()
    );
    let lines = case.diff("c", "d");
    for stage in ["glass", "reference", "hessian", "spectrum"] {
        assert_eq!(status_of(&lines, stage), "same", "{lines:#?}");
    }
    for stage in ["kernel", "response"] {
        assert!(
            status_of(&lines, stage).starts_with("changed"),
            "{stage}: {lines:#?}"
        );
    }
}
