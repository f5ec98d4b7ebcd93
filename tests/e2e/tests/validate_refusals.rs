//! What `run` refuses, `validate` refuses first: wrong wiring between stage
//! kinds, kernel values outside the plugin's range, swept values that share a
//! folder, each at the file:line:column of its key, on a copy of quick.yaml
//! (the run-time twins: the stages' own `run` refusals of the same values).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_workflow::Workflow;
use std::path::Path;

/// quick.yaml with `from` replaced by `to` (which must occur), validated.
fn validate(from: &str, to: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
    let text = std::fs::read_to_string(dir.join("quick.yaml")).unwrap();
    assert!(text.contains(from), "quick.yaml has no `{from}`");
    let text = text.replacen(from, to, 1);
    match Workflow::parse(
        &text,
        &dir.join("edited.yaml"),
        &nonaffine_registry::registry(),
    ) {
        Ok(_) => "valid".into(),
        Err(e) => e.to_string(),
    }
}

fn line_of(needle: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
    let text = std::fs::read_to_string(dir.join("quick.yaml")).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn unedited_quick_is_valid() {
    assert_eq!(validate("name: quick", "name: quick"), "valid");
}

#[test]
fn a_response_fed_by_a_glass_is_refused_at_the_input() {
    let e = validate("inputs: [spectrum, reference", "inputs: [glass, reference");
    let at = format!("edited.yaml:{}:", line_of("inputs: [spectrum, reference"));
    assert!(e.contains(&at), "{e}");
    assert!(
        e.contains(
            "input `glass`: a `response` stage does not read the output of a `quench` stage"
        ),
        "{e}"
    );
}

#[test]
fn a_spectrum_without_a_hessian_is_refused() {
    let e = validate("inputs: [hessian]", "inputs: [glass]");
    assert!(
        e.contains(
            "a `spectrum` stage does not read the output of a `quench` stage; it reads `hessian`"
        ),
        "{e}"
    );
}

#[test]
fn a_hessian_without_structures_is_refused() {
    let e = validate(
        "    inputs: [glass]\n    params:\n      potential",
        "    params:\n      potential",
    );
    assert!(
        e.contains("a `hessian` stage needs a `quench` stage in `inputs`"),
        "{e}"
    );
    assert!(e.contains("or set `structure_file`"), "{e}");
}

#[test]
fn a_calibration_without_a_reference_or_kernels_is_refused() {
    let e = validate(
        "inputs: [spectrum, reference, kernel_markovian, kernel_exponential, kernel_stretched, kernel_tabulated]",
        "inputs: [spectrum, kernel_markovian]",
    );
    assert!(
        e.contains("a calibrating `response` needs a `reference` stage"),
        "{e}"
    );
    let e = validate(
        "inputs: [spectrum, reference, kernel_markovian, kernel_exponential, kernel_stretched, kernel_tabulated]",
        "inputs: [spectrum, reference]",
    );
    assert!(e.contains("fits the kernel of each `kernel` stage"), "{e}");
}

#[test]
fn a_prediction_fed_by_a_reference_is_refused() {
    let e = validate(
        "gather: [seed]",
        "gather: [seed]\n    params: { modes: [predict] }",
    );
    // quick's response has no params map of its own; the edit adds one.
    assert!(
        e.contains("does not read the output of a `reference` stage"),
        "{e}"
    );
}

#[test]
fn kernel_values_outside_the_plugin_range_are_refused_at_validation() {
    let e = validate("b: 0.72", "b: 5");
    let at = format!("edited.yaml:{}:", line_of("b: 0.72"));
    assert!(e.contains(&at), "{e}");
    assert!(
        e.contains("stages.kernel_stretched.params.b: must be in (0, 2], found 5"),
        "{e}"
    );
    let e = validate("nu0: 0.137, tau", "nu0: -1, tau");
    assert!(
        e.contains("stages.kernel_exponential.params.nu0: must be ≥ 0"),
        "{e}"
    );
}

#[test]
fn swept_values_that_share_a_folder_are_refused_at_the_second() {
    let e = validate("seed: [1, 2]", "seed: [1, 1]");
    let at = format!("edited.yaml:{}:17", line_of("seed: [1, 2]"));
    assert!(e.contains(&at), "{e}");
    assert!(
        e.contains("values [0] and [1] of the sweep of `seed` would share the folder `seed=1`"),
        "{e}"
    );
}

#[test]
fn every_registered_stage_declares_the_kinds_it_reads() {
    let reg = nonaffine_registry::registry();
    for (info, stage) in reg.stages.entries() {
        assert!(
            stage.inputs().is_some(),
            "stage `{}` declares no inputs",
            info.name
        );
    }
}

/// A potential is chosen from the potential catalog alone: a kernel's name
/// in its place is refused with the potentials that exist, at its column.
#[test]
fn a_kernel_named_as_the_potential_is_refused() {
    let from = "potential: { plugin: eam/fs,";
    let e = validate(from, "potential: { plugin: markovian,");
    let at = format!("edited.yaml:{}:", line_of(from));
    assert!(e.contains(&at), "{e}");
    assert!(
        e.contains("unknown potential `markovian`")
            && e.contains("known: eam/fs, eam/alloy, lj/cut"),
        "{e}"
    );
}
