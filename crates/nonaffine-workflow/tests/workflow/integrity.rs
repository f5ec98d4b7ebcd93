//! Damaged cached outputs: found by name through the hashes in `stage.json`,
//! never reused, restored from the store or recomputed.

use crate::common::calls;
use crate::run::{run_with_store, Case};
use nonaffine_workflow::{Reason, Status};

const PAIR: &str = "
name: pair
stages:
  a: { stage: source, params: { value: 1 } }
  x: { stage: source, params: { value: 10 } }
  all: { stage: collect, inputs: [a, x] }
";

fn status_of(report: &nonaffine_workflow::RunReport, label: &str) -> Status {
    report
        .outcomes
        .iter()
        .find(|o| o.label() == label)
        .unwrap()
        .status
        .clone()
}

#[test]
fn a_store_file_cut_at_a_line_boundary_is_recomputed_not_reused() {
    let case = Case::new(PAIR);
    let first = run_with_store(&case, "one", "store", &[]);
    let key = &first
        .outcomes
        .iter()
        .find(|o| o.stage == "all")
        .unwrap()
        .record
        .key;
    let stored = case.dir.path().join("store").join(key).join("inputs.csv");
    let whole = std::fs::read_to_string(&stored).unwrap();
    assert_eq!(whole.lines().count(), 2);
    let first_line = whole.lines().next().unwrap().to_string() + "\n";
    std::fs::write(&stored, &first_line).unwrap();

    let second = run_with_store(&case, "two", "store", &[]);
    assert_eq!(status_of(&second, "a"), Status::Stored);
    assert_eq!(
        status_of(&second, "all"),
        Status::Ran(Reason::NoPrevious),
        "{}",
        second.explain()
    );
    assert_eq!(calls(&case.dir.path().join("two")), vec!["collect all/_"]);
    let two = case.dir.path().join("two/stages/all/_/inputs.csv");
    assert_eq!(std::fs::read_to_string(two).unwrap(), whole);
    // The damaged entry was replaced by the recomputed copy.
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), whole);
    // The first run folder never shared the damage.
    let one = case.dir.path().join("one/stages/all/_/inputs.csv");
    assert_eq!(std::fs::read_to_string(one).unwrap(), whole);
}

#[test]
fn an_edit_in_one_run_folder_stays_there_and_is_restored_from_the_store() {
    let case = Case::new(PAIR);
    run_with_store(&case, "one", "store", &[]);
    let second = run_with_store(&case, "two", "store", &[]);
    assert!(second.ran().is_empty());
    let one_x = case.dir.path().join("one/stages/x/_/value.txt");
    let two_x = case.dir.path().join("two/stages/x/_/value.txt");
    std::fs::write(&one_x, "99\n").unwrap();
    assert_eq!(std::fs::read_to_string(&two_x).unwrap(), "10\n");

    // The next run in `one` finds the edit and takes x back from the store
    // (nothing recomputed); `all` keeps its key, so it stays.
    let again = run_with_store(&case, "one", "store", &[]);
    assert_eq!(
        status_of(&again, "x"),
        Status::Stored,
        "{}",
        again.explain()
    );
    assert_eq!(status_of(&again, "all"), Status::Cached);
    assert_eq!(std::fs::read_to_string(&one_x).unwrap(), "10\n");
    assert_eq!(
        calls(&case.dir.path().join("one")),
        vec!["source a/_", "source x/_", "collect all/_"],
        "x was restored, not recomputed"
    );
}

#[test]
fn a_deleted_summary_is_found_on_the_next_run_and_the_job_recomputed() {
    let case = Case::new(PAIR);
    case.run(&[]);
    let summary = case.out().join("stages/x/_/summary.yaml");
    std::fs::remove_file(&summary).unwrap();
    let report = case.run(&[]);
    match status_of(&report, "x") {
        Status::Ran(Reason::Damaged(files)) => {
            assert_eq!(files.len(), 1, "{files:?}");
            assert!(
                files[0].starts_with(&format!("{}: missing", summary.display())),
                "{files:?}"
            );
        }
        other => panic!("expected a recompute for damage, got {other:?}"),
    }
    assert!(summary.is_file());
    assert!(report
        .explain()
        .contains("x: ran, previous output damaged, recomputed: "));
    assert_eq!(status_of(&report, "all"), Status::Cached);
}

#[test]
fn a_record_without_output_hashes_is_recomputed_not_trusted() {
    let case = Case::new(PAIR);
    case.run(&[]);
    let path = case.out().join("stages/a/_/stage.json");
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(record["outputs"].as_array().unwrap().len() >= 2);
    record.as_object_mut().unwrap().remove("outputs");
    std::fs::write(&path, record.to_string()).unwrap();
    let report = case.run(&[]);
    assert_eq!(status_of(&report, "a"), Status::Ran(Reason::Unverifiable));
    assert!(report.explain().contains("no output hashes"));
}

#[test]
fn an_input_damaged_during_the_run_is_not_handed_downstream() {
    let case = Case::new(
        "
name: vandal
stages:
  a: { stage: source, params: { value: 1 } }
  v: { stage: vandal, inputs: [a] }
  b: { stage: double, inputs: [a, v] }
",
    );
    let err = case.try_run(&[]).unwrap_err().to_string();
    let file = case.out().join("stages/a/_/value.txt");
    assert!(
        err.starts_with(&format!(
            "inputs of `b` changed after this run checked them: {}: missing",
            file.display()
        )) && err.contains("Run the same command again"),
        "{err}"
    );
    assert!(!calls(&case.out()).contains(&"double b/_".to_string()));
}
