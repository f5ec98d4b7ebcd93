//! The corpus of broken workflows: each `tests/broken/NAME.yaml` must fail
//! validation with exactly the message in `NAME.expected`.
//! `UPDATE_EXPECTED=1` writes the current messages (review them before committing).

use crate::common::registry;
use nonaffine_workflow::Workflow;
use std::path::Path;

#[test]
fn every_broken_workflow_gives_its_expected_message() {
    let reg = registry();
    let mut cases: Vec<_> = std::fs::read_dir("tests/broken")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "corpus has only {} cases", cases.len());
    let update = std::env::var("UPDATE_EXPECTED").is_ok();
    let mut failures = Vec::new();
    for case in &cases {
        let got = match Workflow::load(case, &reg) {
            Ok(_) => "(validated without error)".to_string(),
            Err(e) => e.to_string(),
        };
        let expected_path = case.with_extension("expected");
        if update {
            std::fs::write(&expected_path, format!("{got}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected.trim_end() != got {
            failures.push(format!(
                "{}:\n  expected: {}\n  got:      {got}",
                case.display(),
                expected.trim_end()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_corpus_reference_workflow_is_valid() {
    // The broken cases are small edits of this one.
    let wf = Workflow::load(Path::new("tests/broken/fixtures/valid.yaml"), &registry()).unwrap();
    assert_eq!(wf.stage_names(), vec!["glass", "kernel", "response"]);
    let glass = wf.stage("glass").unwrap();
    assert_eq!(glass.files.len(), 1);
    assert!(glass.files[0].resolved.is_absolute());
}
