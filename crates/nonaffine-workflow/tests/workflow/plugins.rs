//! Plugins chosen as `{ plugin: NAME, ... }`: spectrum solvers like potentials
//! and kernels — validated against their catalog, keyed by name and version,
//! and the deprecated text form `solver: NAME` read as `{ plugin: NAME }`.

use crate::common::{calls, registry, registry_with_versions};
use crate::run::Case;
use nonaffine_core::Registry;
use nonaffine_workflow::{read_manifest, run, Quiet, RunOptions, RunReport, Workflow};

/// Two spectra of one source (lanczos and dense), each with a downstream
/// stage, and a branch that uses no solver at all.
fn solvers(lanczos: &str) -> String {
    format!(
        "
name: solvers
stages:
  src:
    stage: source
    params: {{ value: 1 }}
  fast:
    stage: spectrum
    inputs: [src]
    params:
      solver: {lanczos}
  full:
    stage: spectrum
    inputs: [src]
    params: {{ solver: {{ plugin: dense }}, bins: 40 }}
  after_fast:
    stage: double
    inputs: [fast]
  after_full:
    stage: double
    inputs: [full]
  alone:
    stage: double
    inputs: [src]
"
    )
}

fn run_with(case: &Case, reg: &Registry) -> RunReport {
    let wf = Workflow::load(&case.dir.path().join("wf.yaml"), reg).unwrap();
    let options = RunOptions {
        out_dir: case.out(),
        force: vec![],
        jobs: 1,
        store: None,
    };
    run(&wf, reg, &options, &Quiet).unwrap()
}

fn key_of(report: &RunReport, stage: &str) -> String {
    report
        .outcomes
        .iter()
        .find(|o| o.stage == stage)
        .unwrap()
        .record
        .key
        .clone()
}

#[test]
fn a_solver_parameter_change_reruns_the_spectrum_and_downstream_only() {
    let case = Case::new(&solvers("{ plugin: lanczos, steps: 60 }"));
    let first = case.run(&[]);
    assert_eq!(first.ran().len(), 6);
    // The solver's name and version are in the key.
    let fast = first.outcomes.iter().find(|o| o.stage == "fast").unwrap();
    assert_eq!(fast.record.parts.plugins["lanczos"], "1");
    let full = first.outcomes.iter().find(|o| o.stage == "full").unwrap();
    assert_eq!(full.record.parts.plugins["dense"], "2");

    case.edit(&solvers("{ plugin: lanczos, steps: 61 }"));
    let second = case.run(&[]);
    assert_eq!(second.ran(), vec!["fast", "after_fast"]);
    assert_eq!(second.cached(), vec!["src", "full", "after_full", "alone"]);
    assert!(
        second
            .explain()
            .contains("fast: ran, key changed: params.solver.steps: 60 → 61"),
        "{}",
        second.explain()
    );
    // The calls log agrees: exactly two more stage runs.
    assert_eq!(calls(&case.out()).len(), 6 + 2);
}

#[test]
fn a_new_plugin_version_reruns_exactly_the_outputs_that_used_it() {
    let case = Case::new(&solvers("{ plugin: lanczos, steps: 60 }"));
    run_with(&case, &registry_with_versions("1", "1"));
    let bumped = run_with(&case, &registry_with_versions("1", "2"));
    assert_eq!(bumped.ran(), vec!["fast", "after_fast"]);
    assert!(
        bumped
            .explain()
            .contains("fast: ran, key changed: plugin.lanczos: \"1\" → \"2\""),
        "{}",
        bumped.explain()
    );
    let again = run_with(&case, &registry_with_versions("1", "2"));
    assert!(again.ran().is_empty(), "{:?}", again.ran());
}

#[test]
fn the_old_text_form_warns_and_keys_like_the_map_form() {
    let reg = registry();
    let old = Case::new(&solvers("lanczos"));
    let wf = Workflow::load(&old.dir.path().join("wf.yaml"), &reg).unwrap();
    assert_eq!(wf.warnings.len(), 1, "{:?}", wf.warnings);
    let w = wf.warnings[0].to_string();
    assert!(
        w.contains(
            "wf.yaml:11:7: `solver: lanczos` is deprecated; write `solver: { plugin: lanczos }`"
        ),
        "{w}"
    );
    let first = old.run(&[]);
    // Recorded in the run's report and manifest.
    let md = std::fs::read_to_string(old.out().join("report.md")).unwrap();
    assert!(md.contains("`solver: lanczos` is deprecated"), "{md}");
    let manifest = read_manifest(&old.out()).unwrap();
    assert_eq!(manifest.workflow.warnings, vec![w]);

    // The map form: no warning, the same keys, nothing reruns.
    old.edit(&solvers("{ plugin: lanczos }"));
    let wf = Workflow::load(&old.dir.path().join("wf.yaml"), &reg).unwrap();
    assert!(wf.warnings.is_empty(), "{:?}", wf.warnings);
    let second = old.run(&[]);
    assert!(second.ran().is_empty(), "{}", second.explain());
    for stage in ["fast", "after_fast"] {
        assert_eq!(key_of(&first, stage), key_of(&second, stage));
    }
    let md = std::fs::read_to_string(old.out().join("report.md")).unwrap();
    assert!(!md.contains("deprecated"), "{md}");

    // Swept text values are rewritten too, with folder names unchanged.
    let swept = Case::new(
        "
name: swept
stages:
  s:
    stage: spectrum
    sweep: { solver: [dense, lanczos] }
",
    );
    let wf = Workflow::load(&swept.dir.path().join("wf.yaml"), &reg).unwrap();
    assert_eq!(wf.warnings.len(), 2);
    let report = swept.run(&[]);
    let dirs: Vec<String> = report
        .outcomes
        .iter()
        .map(|o| o.dir.display().to_string())
        .collect();
    assert_eq!(
        dirs,
        vec!["stages/s/solver=dense", "stages/s/solver=lanczos"]
    );
}
