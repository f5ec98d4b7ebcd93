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

#[test]
fn swapped_elements_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bcc54.data");
    nonaffine_io::write_lammps_data(&file, &cuzr(3, [0.3, 0.0, -0.2], 0.1, 4), "test").unwrap();
    // The same file without the `# Cu`/`# Zr` comments: only masses tell.
    let bare = dir.path().join("bare.data");
    let text = std::fs::read_to_string(&file).unwrap();
    let stripped: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap().trim_end().to_string() + "\n")
        .collect();
    std::fs::write(&bare, stripped).unwrap();
    let mut p = params(&[]);
    let swapped = |p: &Params, f: &Path| {
        let mut values = p.values().clone();
        let Some(ParamValue::Map(pot)) = values.get_mut("potential") else {
            unreachable!()
        };
        pot.insert(
            "elements".into(),
            ParamValue::List(vec![
                ParamValue::Text("Zr".into()),
                ParamValue::Text("Cu".into()),
            ]),
        );
        values.insert(
            "structure_file".into(),
            ParamValue::Text(f.display().to_string()),
        );
        Params::new("stages.hessian.params", values)
    };
    let out = dir.path().join("out");
    p = swapped(&p, &file);
    let e = run(&p, &out).unwrap_err();
    assert_eq!(
        e,
        format!(
            "{}: type 1 is Cu in the file but is named Zr by \
             stages.hessian.params.potential.elements; give the elements in the file's type order",
            file.display()
        )
    );
    let e = run(&swapped(&p, &bare), &out).unwrap_err();
    assert_eq!(
        e,
        format!(
            "{}: type 1 has mass 63.546 amu (Cu) but is named Zr (91.224 amu) by \
             stages.hessian.params.potential.elements; the file's masses say the types are \
             Cu,Zr: give the elements in that order",
            bare.display()
        )
    );
    // No structure.data with relabelled types (nor anything else) was written.
    assert!(!out.join("bcc54").exists() && !out.join("bare").exists());
}
