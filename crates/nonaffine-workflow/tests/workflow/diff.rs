//! `diff` and snapshots over real run folders made by the runner.

use crate::run::Case;
use nonaffine_workflow::diff::{compare, StageStatus, Summaries, Tolerances};

const WF: &str = "
name: cmp
stages:
  glass:
    stage: source
    sweep: { seed: [1, 2] }
    params: { value: 1, data_file: data.txt }
  kernel:
    stage: source
    params: { value: 0.5, scale: 1 }
  response:
    stage: collect
    inputs: [glass, kernel]
";

fn made(yaml: &str, data: &str) -> Case {
    let case = Case::new(yaml);
    std::fs::write(case.dir.path().join("data.txt"), data).unwrap();
    case.run(&[]);
    case
}

fn statuses(r: &nonaffine_workflow::diff::DiffReport) -> Vec<String> {
    r.stages
        .iter()
        .map(|s| {
            let st = match &s.status {
                StageStatus::Same => "same".to_string(),
                StageStatus::Changed(c) => format!(
                    "changed {}",
                    c.iter()
                        .map(|x| x.field.clone())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                StageStatus::OnlyInA => "only A".to_string(),
                StageStatus::OnlyInB => "only B".to_string(),
            };
            format!("{} [{}]: {st}", s.stage, s.branch)
        })
        .collect()
}

#[test]
fn identical_runs_are_the_same() {
    let a = made(WF, "x");
    let b = made(WF, "x");
    let r = compare(
        &Summaries::from_run(&a.out()).unwrap(),
        &Summaries::from_run(&b.out()).unwrap(),
        &Tolerances::default(),
    );
    assert!(!r.has_changes(), "{r}");
    assert_eq!(r.stages.len(), 5);
}

#[test]
fn kernel_change_moves_only_kernel_and_response() {
    let a = made(WF, "x");
    let b = made(
        &WF.replace("value: 0.5, scale: 1", "value: 0.5, scale: 1.1"),
        "x",
    );
    let mut r = compare(
        &Summaries::from_run(&a.out()).unwrap(),
        &Summaries::from_run(&b.out()).unwrap(),
        &Tolerances::default(),
    );
    assert!(r.has_changes());
    assert_eq!(
        statuses(&r),
        vec![
            "glass [seed=1]: same",
            "glass [seed=2]: same",
            "kernel []: changed value",
            "response [seed=1]: changed sum",
            "response [seed=2]: changed sum",
        ]
    );
    r.a = "[A]".into();
    r.b = "[B]".into();
    insta::assert_snapshot!("diff_kernel_change", r.to_string());
    // kernel moved 10 %, response 0.05/3.5 = 1.43 % (seed 1) and 0.05/4.5 = 1.11 % (seed 2).
    let tol = Tolerances {
        rtol: 0.012,
        fields: [("kernel.value".to_string(), 0.2)].into(),
        ..Default::default()
    };
    let r = compare(
        &Summaries::from_run(&a.out()).unwrap(),
        &Summaries::from_run(&b.out()).unwrap(),
        &tol,
    );
    assert_eq!(
        statuses(&r)[2..],
        [
            "kernel []: same",
            "response [seed=1]: changed sum",
            "response [seed=2]: same"
        ]
    );
    let r = compare(
        &Summaries::from_run(&a.out()).unwrap(),
        &Summaries::from_run(&b.out()).unwrap(),
        &Tolerances {
            rtol: 0.1,
            ..Default::default()
        },
    );
    assert!(!r.has_changes(), "{r}");
}

#[test]
fn input_file_change_moves_its_readers_and_a_removed_stage_is_only_in_one_run() {
    let a = made(WF, "x");
    let b = made(
        &WF.replace("sweep: { seed: [1, 2] }", "sweep: { seed: [1] }"),
        "xy",
    );
    let r = compare(
        &Summaries::from_run(&a.out()).unwrap(),
        &Summaries::from_run(&b.out()).unwrap(),
        &Tolerances::default(),
    );
    assert_eq!(
        statuses(&r),
        vec![
            "glass [seed=1]: changed value",
            "glass [seed=2]: only A",
            "kernel []: same",
            "response [seed=1]: changed sum",
            "response [seed=2]: only A",
        ]
    );
}

#[test]
fn snapshot_accept_then_check() {
    let a = made(WF, "x");
    let snap = a.dir.path().join("snap");
    let path = Summaries::from_run(&a.out())
        .unwrap()
        .write_snapshot(&snap)
        .unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains("glass:\n  seed=1:\n    value: 3.0\n"),
        "{text}"
    );
    assert!(text.contains("kernel:\n  _:\n    value: 0.5\n"), "{text}");
    let stored = Summaries::from_snapshot(&snap).unwrap();
    let same = compare(
        &stored,
        &Summaries::from_run(&a.out()).unwrap(),
        &Tolerances::default(),
    );
    assert!(!same.has_changes(), "{same}");
    let b = made(
        &WF.replace("value: 1, data_file", "value: 2, data_file"),
        "x",
    );
    let moved = compare(
        &stored,
        &Summaries::from_run(&b.out()).unwrap(),
        &Tolerances::default(),
    );
    assert!(moved.has_changes());
}

#[test]
fn tolerance_file_is_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tol.yaml");
    std::fs::write(&p, "rtol: 1.0e-6\nfields:\n  glass.value: 0.01\n").unwrap();
    let t = Tolerances::from_file(&p).unwrap();
    assert_eq!(t.fields["glass.value"], 0.01);
    std::fs::write(&p, "rtol: 1.0e-6\nfeilds: {}\n").unwrap();
    let e = Tolerances::from_file(&p).unwrap_err().to_string();
    assert!(
        e.contains(
            "tol.yaml: 2:1: unknown field `feilds`, expected one of `rtol`, `atol`, `fields`"
        ),
        "{e}"
    );
}
