//! The stage: bad parameters refused before any MD (errors name the key),
//! and the summary of a tiny deterministic run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{potential_values, workspace};
use nonaffine_core::{NoProgress, ParamValue, Params, Stage, StageContext, StageError};
use nonaffine_oscillate::{OscillateStage, Plan};
use std::collections::BTreeMap;

fn params(extra: &[(&str, ParamValue)]) -> Params {
    let mut v = BTreeMap::new();
    v.insert("potential".to_string(), {
        let mut p = potential_values();
        p.insert("plugin".into(), ParamValue::Text("eam/fs".into()));
        ParamValue::Map(p)
    });
    v.insert(
        "structure_file".to_string(),
        ParamValue::Text(
            workspace()
                .join("tests/data/md-spectroscopy/cuzr256_glass.data")
                .display()
                .to_string(),
        ),
    );
    for (k, x) in extra {
        v.insert(k.to_string(), x.clone());
    }
    Params::new("stages.osc.params", v)
}

fn thermostat(kind: &str, damping: Option<f64>) -> ParamValue {
    let mut m = BTreeMap::new();
    m.insert("kind".to_string(), ParamValue::Text(kind.into()));
    if let Some(d) = damping {
        m.insert("damping_time_ps".to_string(), ParamValue::Number(d));
    }
    ParamValue::Map(m)
}

fn run(p: &Params, out: &std::path::Path) -> Result<nonaffine_core::Summary, StageError> {
    let registry = nonaffine_registry::registry();
    OscillateStage.run(&StageContext {
        params: p,
        inputs: &[],
        out_dir: out,
        registry: &registry,
        progress: &NoProgress,
    })
}

/// A refusal case: parameters, the key the error must name, and a phrase it must say.
type Refusal = (Vec<(&'static str, ParamValue)>, &'static str, &'static str);

#[test]
fn bad_input_is_refused_before_any_md() {
    use ParamValue::*;
    let cases: Vec<Refusal> = vec![
        (
            vec![("frequency_thz", Number(0.0))],
            "stages.osc.params.frequency_thz",
            "> 0",
        ),
        (
            vec![("frequencies_thz", List(vec![Number(1.0), Number(-2.0)]))],
            "stages.osc.params.frequencies_thz",
            "> 0",
        ),
        (
            vec![("cycles", Integer(1))],
            "stages.osc.params.cycles",
            "at least 2",
        ),
        (
            vec![("frequency_thz", Number(60.0))],
            "stages.osc.params.frequency_thz",
            "at least 20",
        ),
        (
            vec![
                ("frequency_thz", Number(1.0)),
                ("timestep_ps", Number(0.06)),
            ],
            "stages.osc.params.frequency_thz",
            "at least 20",
        ),
        (
            vec![("thermostat", thermostat("langevin", Some(0.0)))],
            "stages.osc.params.thermostat.damping_time_ps",
            "> 0",
        ),
        (
            vec![
                ("thermostat", thermostat("nose-hoover", Some(-1.0))),
                ("temperature_k", Number(300.0)),
            ],
            "stages.osc.params.thermostat.damping_time_ps",
            "> 0",
        ),
        (
            vec![("thermostat", thermostat("none", None))],
            "stages.osc.params.thermostat.kind",
            "langevin",
        ),
        (
            vec![("thermostat", thermostat("nose-hoover", Some(1.0)))],
            "stages.osc.params.thermostat.kind",
            "langevin",
        ),
        (
            vec![("component", Text("xq".into()))],
            "stages.osc.params.component",
            "unknown component `xq`",
        ),
        (
            vec![(
                "components",
                List(vec![Text("xx".into()), Text("shear".into())]),
            )],
            "stages.osc.params.components",
            "unknown component",
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (extra, key, what) in cases {
        let p = params(&extra);
        let e = Plan::from_params(&p).unwrap_err();
        assert_eq!(e.key, key, "{e}");
        assert!(e.message.contains(what), "{e}");
        // Through the stage: the same error, no LAMMPS started, nothing written.
        let out = tmp.path().join("out");
        let e = run(&p, &out).unwrap_err().to_string();
        assert!(e.contains(key) && e.contains(what), "{e}");
        assert!(!out.exists());
    }
    // NVE and Nosé–Hoover are fine at T > 0.
    Plan::from_params(&params(&[
        ("thermostat", thermostat("none", None)),
        ("temperature_k", Number(300.0)),
    ]))
    .unwrap();
}

#[test]
fn summary_of_a_tiny_run() {
    use ParamValue::*;
    let p = params(&[
        ("component", Text("xy".into())),
        ("frequencies_thz", List(vec![Number(5.0), Number(10.0)])),
        ("cycles", Integer(4)),
        ("warmup_ps", Number(1.0)),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let summary = run(&p, &out).unwrap();
    insta::assert_yaml_snapshot!(summary);
    let rows = nonaffine_oscillate::table::read_oscillate_csv(&out.join("oscillate.csv")).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].structure, "cuzr256_glass");
    assert!(out.join("scripts/cuzr256_glass_xy_5THz.in").is_file());
    assert!(out.join("structures/cuzr256_glass.data").is_file());
    // The figure is drawn (fonts-dejavu-core is installed by scripts/setup.sh).
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(json["plot_warning"].is_null(), "{}", json["plot_warning"]);
    for ext in ["png", "svg"] {
        assert!(out.join(format!("oscillate.{ext}")).is_file());
    }
}

/// LAMMPS reads `#` as a comment and `$x` as a variable: a structure and a
/// run folder whose paths hold them (and blanks) must measure the same as
/// plain paths.
#[test]
fn paths_with_hash_dollar_and_blanks_reach_lammps_intact() {
    use ParamValue::*;
    let tmp = tempfile::tempdir().unwrap();
    let odd = tmp.path().join("run #1 $x");
    std::fs::create_dir_all(&odd).unwrap();
    let glass = odd.join("glass #2.data");
    std::fs::copy(
        workspace().join("tests/data/md-spectroscopy/cuzr256_glass.data"),
        &glass,
    )
    .unwrap();
    let point = [
        ("component", Text("xy".into())),
        ("frequency_thz", Number(10.0)),
        ("cycles", Integer(2)),
        ("warmup_ps", Number(0.2)),
    ];
    let mut odd_params = point.to_vec();
    odd_params.push(("structure_file", Text(glass.display().to_string())));
    let measured = |p: &Params, out: &std::path::Path| {
        std::fs::create_dir_all(out).unwrap();
        run(p, out).unwrap();
        let rows =
            nonaffine_oscillate::table::read_oscillate_csv(&out.join("oscillate.csv")).unwrap();
        (rows[0].storage_gpa, rows[0].loss_gpa)
    };
    let plain = measured(&params(&point), &tmp.path().join("plain"));
    let quoted = measured(&params(&odd_params), &odd.join("out $y"));
    assert!(plain.0 > 10.0, "{plain:?}");
    assert_eq!(plain, quoted);
}
