//! The `hessian` stage on a structure file (no LAMMPS): outputs, summary
//! snapshot, and parameter errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use nonaffine_core::{NoProgress, ParamValue, Params, Registry, Stage, StageContext};
use nonaffine_hessian::{HessianProducts, HessianStage};
use std::collections::BTreeMap;
use std::path::Path;
use support::*;

fn registry() -> Registry {
    let mut r = Registry::default();
    r.potentials
        .register(potential_eam::fs::INFO, potential_eam::fs::build);
    r
}

fn params(extra: &[(&str, ParamValue)]) -> Params {
    let mut pot = BTreeMap::new();
    pot.insert("plugin".into(), ParamValue::Text("eam/fs".into()));
    pot.insert(
        "file".into(),
        ParamValue::Text(cuzr_file().display().to_string()),
    );
    pot.insert(
        "elements".into(),
        ParamValue::List(vec![
            ParamValue::Text("Cu".into()),
            ParamValue::Text("Zr".into()),
        ]),
    );
    let mut values = BTreeMap::new();
    values.insert("potential".into(), ParamValue::Map(pot));
    for (k, v) in extra {
        values.insert(k.to_string(), v.clone());
    }
    Params::new("stages.hessian.params", values)
}

fn run(params: &Params, out: &Path) -> Result<nonaffine_core::Summary, String> {
    let registry = registry();
    let ctx = StageContext {
        params,
        inputs: &[],
        out_dir: out,
        registry: &registry,
        progress: &NoProgress,
    };
    HessianStage.run(&ctx).map_err(|e| e.to_string())
}

#[test]
fn structure_file_gives_a_folder_and_a_stable_summary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bcc54.data");
    nonaffine_io::write_lammps_data(&file, &cuzr(3, [0.3, 0.0, -0.2], 0.1, 4), "test").unwrap();
    let out = dir.path().join("out");
    let p = params(&[
        (
            "structure_file",
            ParamValue::Text(file.display().to_string()),
        ),
        ("relaxed", ParamValue::Bool(false)),
    ]);
    let summary = run(&p, &out).unwrap();
    let products = HessianProducts::read_dir(&out.join("bcc54"), None).unwrap();
    assert_eq!(products.hessian.nrows(), 162);
    assert!(out.join("bcc54/report.json").is_file());
    assert!(!out.join("bcc54/relaxed.json").exists());
    insta::assert_yaml_snapshot!(summary);
}

#[test]
fn missing_inputs_and_unknown_keys_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let e = run(&params(&[]), dir.path()).unwrap_err();
    assert!(e.contains("add a `quench` stage"), "{e}");
    let e = run(&params(&[("relax", ParamValue::Bool(true))]), dir.path()).unwrap_err();
    assert!(e.contains("did you mean `relaxed`"), "{e}");
    let e = run(
        &params(&[(
            "structure_file",
            ParamValue::Text("/nonexistent/x.data".into()),
        )]),
        dir.path(),
    )
    .unwrap_err();
    assert!(e.contains("/nonexistent/x.data"), "{e}");
}
