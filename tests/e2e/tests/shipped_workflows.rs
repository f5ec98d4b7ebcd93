//! The workflows shipped in `workflows/` are valid against the real registry,
//! and `kernel-comparison.yaml` declares its physics stages exactly as
//! `quick.yaml` does, so that it reuses quick's glasses from the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_workflow::Workflow;
use std::path::{Path, PathBuf};

fn workflows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows")
}

fn load(name: &str) -> Workflow {
    let registry = nonaffine_registry::registry();
    Workflow::load(&workflows_dir().join(name), &registry).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_shipped_workflow_validates() {
    let mut names: Vec<String> = std::fs::read_dir(workflows_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    for name in &names {
        let wf = load(name);
        assert!(!wf.stages.is_empty(), "{name}");
    }
}

#[test]
fn kernel_comparison_reuses_quick_physics_stages() {
    let quick = load("quick.yaml");
    let comparison = load("kernel-comparison.yaml");
    for stage in ["glass", "reference", "hessian", "spectrum"] {
        let a = quick.stages.iter().find(|s| s.name == stage).unwrap();
        let b = comparison.stages.iter().find(|s| s.name == stage).unwrap();
        assert_eq!(a.kind, b.kind, "{stage}");
        assert_eq!(a.params, b.params, "{stage}");
        assert_eq!(a.sweep, b.sweep, "{stage}");
        assert_eq!(a.inputs, b.inputs, "{stage}");
    }
    let kernels = comparison
        .stages
        .iter()
        .filter(|s| s.kind == "kernel")
        .count();
    assert!(kernels >= 5, "kernel-comparison swaps in several kernels");
}

/// `cuzr-paper.yaml` is the paper's scale from the quench to the calibrated
/// response (Figs. 2-4), not the quench alone.
#[test]
fn cuzr_paper_runs_the_whole_chain() {
    let wf = load("cuzr-paper.yaml");
    let kinds: Vec<&str> = wf.stages.iter().map(|s| s.kind.as_str()).collect();
    for kind in [
        "quench",
        "hessian",
        "spectrum",
        "kernel",
        "reference",
        "response",
    ] {
        assert!(kinds.contains(&kind), "no {kind} stage in {kinds:?}");
    }
    let response = wf.stages.iter().find(|s| s.kind == "response").unwrap();
    assert!(response.inputs.iter().any(|i| i == "spectrum"));
}
