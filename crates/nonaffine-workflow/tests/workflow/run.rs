//! End-to-end runs of dummy workflows: caching, reruns, force, explain,
//! sweeps, gathers, failures, manifest and report.

use crate::common::{calls, registry};
use nonaffine_workflow::{run, Quiet, RunError, RunOptions, RunReport, Workflow};
use std::path::PathBuf;

/// A temp folder holding `wf.yaml` and the run folder `out`.
pub struct Case {
    pub dir: tempfile::TempDir,
    /// Jobs at once.
    pub jobs: usize,
}

impl Case {
    pub fn new(yaml: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("wf.yaml"), yaml).unwrap();
        Case { dir, jobs: 1 }
    }
    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
    pub fn edit(&self, yaml: &str) {
        std::fs::write(self.dir.path().join("wf.yaml"), yaml).unwrap();
    }
    pub fn run(&self, force: &[&str]) -> RunReport {
        self.try_run(force).unwrap()
    }
    /// The run's result, for tests of refusals and failures.
    pub fn try_run(&self, force: &[&str]) -> Result<RunReport, RunError> {
        let reg = registry();
        let wf = Workflow::load(&self.dir.path().join("wf.yaml"), &reg).unwrap();
        let options = RunOptions {
            out_dir: self.out(),
            force: force.iter().map(|s| s.to_string()).collect(),
            jobs: self.jobs,
            store: None,
        };
        run(&wf, &reg, &options, &Quiet)
    }
    pub fn value(&self, stage_dir: &str) -> f64 {
        std::fs::read_to_string(self.out().join("stages").join(stage_dir).join("value.txt"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

const CHAIN: &str = "
name: chain
description: a → b → c, and x alone
stages:
  a:
    stage: source
    params: { value: 1, data_file: data.txt }
  b:
    stage: double
    inputs: [a]
    params: { factor: 2 }
  c:
    stage: double
    inputs: [b]
  x:
    stage: source
    params: { value: 10 }
";

fn chain_case() -> Case {
    let case = Case::new(CHAIN);
    std::fs::write(case.dir.path().join("data.txt"), "abc").unwrap();
    case
}

#[test]
fn first_run_computes_everything_and_second_run_nothing() {
    let case = chain_case();
    let first = case.run(&[]);
    assert_eq!(first.ran(), vec!["a", "b", "c", "x"]);
    // a = 1 + 3 bytes of data.txt; b = 2a; c = 2b.
    assert_eq!(case.value("a/_"), 4.0);
    assert_eq!(case.value("c/_"), 16.0);
    let stage_json = std::fs::read(case.out().join("stages/c/_/stage.json")).unwrap();

    let second = case.run(&[]);
    assert!(second.ran().is_empty(), "{}", second.explain());
    assert_eq!(second.cached().len(), 4);
    assert_eq!(calls(&case.out()).len(), 4, "no stage ran twice");
    assert_eq!(
        std::fs::read(case.out().join("stages/c/_/stage.json")).unwrap(),
        stage_json
    );
}

#[test]
fn unkeyed_params_do_not_change_the_key() {
    let case = chain_case();
    case.run(&[]);
    let key = |case: &Case| {
        let t = std::fs::read_to_string(case.out().join("stages/a/_/stage.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&t).unwrap()["key"].clone()
    };
    let before = key(&case);
    // `report_every_s` is how `source` runs, not what it computes; `scale` is keyed.
    case.edit(&CHAIN.replace(
        "value: 1, data_file",
        "value: 1, report_every_s: 7, data_file",
    ));
    let second = case.run(&[]);
    assert!(second.ran().is_empty(), "{}", second.explain());
    assert_eq!(key(&case), before);
    case.edit(&CHAIN.replace("value: 1, data_file", "value: 1, scale: 1.5, data_file"));
    assert_eq!(case.run(&[]).ran(), vec!["a", "b", "c"]);
}

#[test]
fn cosmetic_edits_and_moved_files_keep_the_cache() {
    let case = chain_case();
    case.run(&[]);
    // 1 → 1.0, 2 → 2.0, keys reordered, comments, the data file moved (same content).
    std::fs::create_dir(case.dir.path().join("sub")).unwrap();
    std::fs::rename(
        case.dir.path().join("data.txt"),
        case.dir.path().join("sub/moved.txt"),
    )
    .unwrap();
    case.edit(
        "
name: chain
stages:   # a comment
  a:
    params:
      data_file: sub/moved.txt
      value: 1.0
    stage: source
  b: { stage: double, params: { factor: 2.0 }, inputs: [a] }
  c: { stage: double, inputs: [b] }
  x: { stage: source, params: { value: 1e1 } }
",
    );
    let again = case.run(&[]);
    assert!(again.ran().is_empty(), "{}", again.explain());
}

#[test]
fn changed_param_reruns_only_its_stage_and_descendants_and_explain_says_why() {
    let case = chain_case();
    case.run(&[]);
    case.edit(&CHAIN.replace("factor: 2 }", "factor: 3 }"));
    let report = case.run(&[]);
    assert_eq!(report.ran(), vec!["b", "c"]);
    assert_eq!(report.cached(), vec!["a", "x"]);
    assert_eq!(case.value("c/_"), 24.0);
    let explain = report.explain();
    assert!(
        explain.contains("b: ran, key changed: params.factor: 2 → 3"),
        "{explain}"
    );
    assert!(
        explain.contains("c: ran, key changed: input `b` changed"),
        "{explain}"
    );
    assert!(explain.contains("a: fresh"), "{explain}");
    assert_eq!(
        calls(&case.out()),
        vec![
            "source a/_",
            "double b/_",
            "double c/_",
            "source x/_",
            "double b/_",
            "double c/_"
        ]
    );
}

#[test]
fn edited_file_content_reruns_its_reader() {
    let case = chain_case();
    case.run(&[]);
    std::fs::write(case.dir.path().join("data.txt"), "abcdef").unwrap();
    let report = case.run(&[]);
    assert_eq!(report.ran(), vec!["a", "b", "c"]);
    assert!(
        report
            .explain()
            .contains("a: ran, key changed: params.data_file: \"sha256:"),
        "{}",
        report.explain()
    );
    assert_eq!(case.value("a/_"), 7.0);
}

#[test]
fn force_reruns_a_stage_and_its_descendants() {
    let case = chain_case();
    case.run(&[]);
    let report = case.run(&["b"]);
    assert_eq!(report.ran(), vec!["b", "c"]);
    assert!(report.explain().contains("b: ran, forced"));
    let e = case.try_run(&["bb"]).unwrap_err().to_string();
    assert_eq!(
        e,
        "--force bb: no such stage in the workflow (did you mean `b`?); stages: a, b, c, x"
    );
}

#[test]
fn new_stage_version_reruns_and_says_so() {
    let case = chain_case();
    case.run(&[]);
    let reg = crate::common::registry_with_double_version("2");
    let wf = Workflow::load(&case.dir.path().join("wf.yaml"), &reg).unwrap();
    let report = run(
        &wf,
        &reg,
        &RunOptions {
            out_dir: case.out(),
            force: vec![],
            jobs: 1,
            store: None,
        },
        &Quiet,
    )
    .unwrap();
    assert_eq!(report.ran(), vec!["b", "c"]);
    assert!(
        report
            .explain()
            .contains("b: ran, key changed: version: 1 → 2\n"),
        "{}",
        report.explain()
    );
}

#[test]
fn sweeps_expand_follow_and_gather() {
    check_sweeps(1);
}

#[test]
fn sweep_branches_run_in_parallel_with_the_same_results() {
    check_sweeps(3);
}

fn check_sweeps(jobs: usize) {
    let mut case = Case::new(
        "
name: sweep
stages:
  glass:
    stage: source
    sweep: { seed: [1, 2] }
    params: { value: 100 }
  kernel:
    stage: source
    sweep: { value: [0.5, 0.25] }
  spectrum:
    stage: double
    inputs: [glass]
  response:
    stage: collect
    inputs: [spectrum, glass, kernel]
  average:
    stage: collect
    inputs: [response]
    gather: [seed]
  all:
    stage: collect
    inputs: [spectrum]
    gather: true
",
    );
    case.jobs = jobs;
    let report = case.run(&[]);
    let labels: Vec<String> = report.outcomes.iter().map(|o| o.label()).collect();
    assert_eq!(
        labels,
        vec![
            "glass [seed=1]",
            "glass [seed=2]",
            "kernel [value=0.5]",
            "kernel [value=0.25]",
            "spectrum [seed=1]",
            "spectrum [seed=2]",
            "response [seed=1,value=0.5]",
            "response [seed=1,value=0.25]",
            "response [seed=2,value=0.5]",
            "response [seed=2,value=0.25]",
            "average [value=0.5]",
            "average [value=0.25]",
            "all",
        ]
    );
    // Paired, not crossed: response [seed=2,...] reads spectrum and glass of seed 2.
    let inputs = std::fs::read_to_string(
        case.out()
            .join("stages/response/seed=2,value=0.25/inputs.csv"),
    )
    .unwrap();
    assert_eq!(
        inputs,
        "spectrum|double|seed=2|204\nglass|source|seed=2|102\nkernel|source|value=0.25|0.25"
    );
    let avg =
        std::fs::read_to_string(case.out().join("stages/average/value=0.5/inputs.csv")).unwrap();
    assert_eq!(
        avg,
        "response|collect|seed=1,value=0.5|303.5\nresponse|collect|seed=2,value=0.5|306.5"
    );
    assert_eq!(case.value("all/_"), 202.0 + 204.0);
    // Changing one sweep value reruns only the branches that depend on it.
    case.edit(
        &std::fs::read_to_string(case.dir.path().join("wf.yaml"))
            .unwrap()
            .replace("seed: [1, 2]", "seed: [1, 3]"),
    );
    let report = case.run(&[]);
    assert_eq!(
        report.ran(),
        vec![
            "glass [seed=3]",
            "spectrum [seed=3]",
            "response [seed=3,value=0.5]",
            "response [seed=3,value=0.25]",
            "average [value=0.5]",
            "average [value=0.25]",
            "all"
        ]
    );
}

#[test]
fn two_stages_sweeping_the_same_key_get_qualified_labels() {
    let case = Case::new(
        "
name: twice
stages:
  a: { stage: source, sweep: { seed: [1, 2] }, params: { value: 0 } }
  b: { stage: source, sweep: { seed: [5] }, params: { value: 0 } }
  c: { stage: collect, inputs: [a, b] }
",
    );
    let labels: Vec<String> = case.run(&[]).outcomes.iter().map(|o| o.label()).collect();
    assert_eq!(
        labels[3..],
        ["c [a.seed=1,b.seed=5]", "c [a.seed=2,b.seed=5]"]
    );
}

#[test]
fn a_failing_stage_names_itself_and_leaves_nothing_behind() {
    let case = Case::new("name: f\nstages:\n  a: { stage: source, params: { value: 1 } }\n  boom: { stage: fail, inputs: [a] }\n");
    let e = case.try_run(&[]).unwrap_err();
    assert_eq!(e.to_string(), "stage `boom` failed: deliberate failure");
    let left: Vec<_> = std::fs::read_dir(case.out().join("stages/boom"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "temp folder removed");
    assert!(!case.out().join(".lock").exists(), "lock released");
    // The finished upstream stage is reused once the failure is fixed.
    case.edit("name: f\nstages:\n  a: { stage: source, params: { value: 1 } }\n  boom: { stage: double, inputs: [a] }\n");
    let report = case.run(&[]);
    assert_eq!(report.ran(), vec!["boom"]);
}

#[test]
fn quench_shaped_stage_with_nested_potential_file_runs() {
    let case = Case::new(
        "
name: q
stages:
  glass:
    stage: quench
    sweep: { seed: [1, 2] }
    params: { n_atoms: 500, cooling_rate_k_per_ps: 10.0, potential: { plugin: eam/fs, file: pot/CuZr.eam.fs, elements: [Cu, Zr] } }
  kernel:
    stage: kernel
    params: { plugin: stretched-exp, nu0: 0.137, b: 0.72, r: 1.2e-6 }
  response:
    stage: response
    inputs: [glass, kernel]
",
    );
    std::fs::create_dir(case.dir.path().join("pot")).unwrap();
    std::fs::write(case.dir.path().join("pot/CuZr.eam.fs"), "potential").unwrap();
    let report = case.run(&[]);
    assert_eq!(
        report.ran(),
        vec![
            "glass [seed=1]",
            "glass [seed=2]",
            "kernel",
            "response [seed=1]",
            "response [seed=2]"
        ]
    );
    let glass = &report.outcomes[0].record;
    assert_eq!(
        glass.parts.plugins.get("eam/fs").map(String::as_str),
        Some("3")
    );
    assert_eq!(glass.files[0].param, "params.potential.file");
    assert_eq!(glass.files[0].path, "pot/CuZr.eam.fs");
    let kernel = &report.outcomes[2].record;
    assert_eq!(
        kernel
            .parts
            .plugins
            .get("stretched-exp")
            .map(String::as_str),
        Some("1")
    );
    // Swapping the kernel plugin reruns the kernel and the responses only.
    case.edit(
        &std::fs::read_to_string(case.dir.path().join("wf.yaml"))
            .unwrap()
            .replace(
                "{ plugin: stretched-exp, nu0: 0.137, b: 0.72, r: 1.2e-6 }",
                "{ plugin: markovian, nu0_per_ps: 0.137 }",
            ),
    );
    assert_eq!(
        case.run(&[]).ran(),
        vec!["kernel", "response [seed=1]", "response [seed=2]"]
    );
}

#[test]
fn manifest_and_report_describe_every_output() {
    let case = Case::new(
        "
name: report
description: manifest snapshot
stages:
  glass:
    stage: source
    sweep: { seed: [1, 2] }
    params: { value: 1, data_file: data.txt }
  sum:
    stage: collect
    inputs: [glass]
    gather: true
",
    );
    std::fs::write(case.dir.path().join("data.txt"), "x").unwrap();
    case.run(&[]);
    let report = case.run(&["sum"]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(case.out().join("manifest.json")).unwrap())
            .unwrap();
    insta::assert_yaml_snapshot!("manifest", manifest, {
        ".seconds" => "[seconds]",
        ".stages[].seconds" => "[seconds]",
        ".stages[].key" => "[key]",
        ".stages[].inputs[][].key" => "[key]",
        ".workflow.file" => "[file]",
        ".nonaffine_version" => "[version]",
    });
    let md = std::fs::read_to_string(case.out().join("report.md")).unwrap();
    assert!(md.contains("![plot.svg](stages/sum/_/plot.svg)"), "{md}");
    assert!(
        md.contains("- [inputs.csv](stages/sum/_/inputs.csv)"),
        "{md}"
    );
    assert!(
        md.contains("- [value.txt](stages/glass/seed=2/value.txt)"),
        "{md}"
    );
    assert!(
        md.contains("| [glass](#glass-seed1) | seed=1 | source | cached |"),
        "{md}"
    );
    assert!(md.contains("sum: 7.0"), "{md}");
    let summary = report.to_string();
    assert!(summary.contains("1 ran, 2 from cache"), "{summary}");
}

#[test]
fn keys_do_not_depend_on_where_the_workflow_and_run_live() {
    let keys = |case: &Case| -> Vec<String> {
        case.run(&[])
            .outcomes
            .iter()
            .map(|o| o.record.key.clone())
            .collect()
    };
    let one = chain_case();
    let other = chain_case();
    assert_ne!(one.dir.path(), other.dir.path());
    assert_eq!(keys(&one), keys(&other));
}

#[test]
fn independent_branches_run_at_the_same_time() {
    let mut case =
        Case::new("name: meet\nstages:\n  m: { stage: meet, sweep: { seed: [1, 2] } }\n");
    case.jobs = 2;
    assert_eq!(case.run(&[]).ran(), vec!["m [seed=1]", "m [seed=2]"]);
}

#[test]
fn a_run_folder_in_use_by_a_live_process_is_refused() {
    let case = chain_case();
    std::fs::create_dir_all(case.out()).unwrap();
    // Process 1 (init) is always alive.
    std::fs::write(case.out().join(".lock"), "1").unwrap();
    let e = case.try_run(&[]).unwrap_err().to_string();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let host = host.trim();
    assert!(
        e.ends_with(".lock is in use by process 1; wait for it or choose another --out"),
        "{e}"
    );
    // A process of another host cannot be seen from here: refused too.
    std::fs::write(case.out().join(".lock"), "4000000@elsewhere\n").unwrap();
    let e = case.try_run(&[]).unwrap_err().to_string();
    assert!(e.contains("process 4000000 on host elsewhere"), "{e}");
    // A lock left by a dead process of this host is taken over, and released.
    std::fs::write(case.out().join(".lock"), format!("{}@{host}\n", u32::MAX)).unwrap();
    assert_eq!(case.run(&[]).ran().len(), 4);
    assert!(!case.out().join(".lock").exists());
    assert!(std::fs::read_dir(case.out()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".lock.")));
}

/// Runs the case's workflow into `out` with the shared store `store`.
pub fn run_with_store(case: &Case, out: &str, store: &str, force: &[&str]) -> RunReport {
    let reg = registry();
    let wf = Workflow::load(&case.dir.path().join("wf.yaml"), &reg).unwrap();
    let options = RunOptions {
        out_dir: case.dir.path().join(out),
        force: force.iter().map(|s| s.to_string()).collect(),
        jobs: 1,
        store: Some(case.dir.path().join(store)),
    };
    run(&wf, &reg, &options, &Quiet).unwrap()
}

#[test]
fn the_store_shares_outputs_between_run_folders_and_workflows() {
    let case = chain_case();
    let first = run_with_store(&case, "one", "store", &[]);
    assert_eq!(first.ran(), vec!["a", "b", "c", "x"]);

    // Another run folder, and a renamed stage with the same inputs: nothing is
    // computed again (calls.log of the new folder stays empty), the values are
    // the stored ones and stage.json names the new stage.
    case.edit(&CHAIN.replace("  c:\n", "  c2:\n"));
    let second = run_with_store(&case, "two", "store", &[]);
    assert!(second.ran().is_empty(), "{}", second.explain());
    assert!(
        second.explain().contains("c2: from the store"),
        "{}",
        second.explain()
    );
    assert!(calls(&case.dir.path().join("two")).is_empty());
    let two = case.dir.path().join("two/stages");
    assert_eq!(
        std::fs::read_to_string(two.join("c2/_/value.txt")).unwrap(),
        "16\n"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(two.join("c2/_/stage.json")).unwrap())
            .unwrap();
    assert_eq!(record["stage"], "c2");
    // The first folder's record is untouched by the rewrite.
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(case.dir.path().join("one/stages/c/_/stage.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["stage"], "c");

    // A changed parameter computes only what the store lacks; a forced stage
    // is computed even though the store has it.
    case.edit(&CHAIN.replace("factor: 2 }", "factor: 3 }"));
    let third = run_with_store(&case, "three", "store", &["x"]);
    assert_eq!(third.ran(), vec!["b", "c", "x"]);
    assert_eq!(third.cached(), vec!["a"]);
    assert_eq!(
        calls(&case.dir.path().join("three")),
        vec!["double b/_", "double c/_", "source x/_"]
    );
    // Leftovers of a run killed while storing are removed.
    let stale = case.dir.path().join("store/deadbeef.tmp-999999999-0");
    std::fs::create_dir_all(&stale).unwrap();
    run_with_store(&case, "three", "store", &[]);
    assert!(!stale.exists());
}

#[test]
fn sweep_points_that_would_share_a_folder_are_refused_before_anything_runs() {
    let case = Case::new(
        "
name: clash
stages:
  a:
    stage: source
    sweep: { value: [1, 1] }
",
    );
    // Refused by validation (so `validate` says it too), at the second value.
    let e = Workflow::load(&case.dir.path().join("wf.yaml"), &registry()).unwrap_err();
    assert!(
        e.to_string().ends_with(
            "wf.yaml:6:25: values [0] and [1] of the sweep of `value` would share the folder `value=1`; make the swept values distinct"
        ),
        "{e}"
    );
    assert!(calls(&case.out()).is_empty(), "nothing ran");
}
