//! `Stage::check` at validation: a stage's own refusal of its parameters is
//! reported by `Workflow::parse` at the key it names, at every sweep point.

use nonaffine_core::{
    ParamError, ParamKind, ParamSpec, Params, PluginInfo, Registry, Stage, StageContext,
    StageError, Summary,
};
use nonaffine_workflow::Workflow;
use std::path::Path;

/// `steps`: refuses `dt_ps` above `total_ps` (a run of zero steps), in `check`.
struct Steps;
impl Stage for Steps {
    fn info(&self) -> PluginInfo {
        const P: &[ParamSpec] = &[
            ParamSpec {
                name: "dt_ps",
                kind: ParamKind::Number,
                unit: "ps",
                default: None,
                doc: "timestep",
            },
            ParamSpec {
                name: "total_ps",
                kind: ParamKind::Number,
                unit: "ps",
                default: None,
                doc: "duration",
            },
        ];
        PluginInfo {
            name: "steps",
            version: "1",
            doc: "steps",
            params: P,
        }
    }
    fn run(&self, _: &StageContext<'_>) -> Result<Summary, StageError> {
        Ok(Summary::new())
    }
    fn check(&self, p: &Params, _: &Registry) -> Result<(), StageError> {
        if p.number("dt_ps")? > p.number("total_ps")? {
            return Err(ParamError::new(p.path("dt_ps"), "longer than total_ps: 0 steps").into());
        }
        Ok(())
    }
}

fn registry() -> Registry {
    let mut r = Registry::default();
    r.stages.register(Steps.info(), Box::new(Steps));
    r
}

fn validate(text: &str) -> String {
    match Workflow::parse(text, Path::new("w.yaml"), &registry()) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_stage_check_refuses_at_validation_naming_the_key() {
    let ok = "name: w\nstages:\n  a:\n    stage: steps\n    params: { dt_ps: 1, total_ps: 10 }\n";
    assert_eq!(validate(ok), "ok");
    let bad = "name: w\nstages:\n  a:\n    stage: steps\n    params:\n      dt_ps: 1000\n      total_ps: 10\n";
    assert_eq!(
        validate(bad),
        "w.yaml:6:7: stages.a.params.dt_ps: longer than total_ps: 0 steps"
    );
}

#[test]
fn every_sweep_point_is_checked_and_the_swept_value_located() {
    let bad = "name: w\nstages:\n  a:\n    stage: steps\n    sweep:\n      dt_ps: [1, 2, 50]\n    params: { total_ps: 10 }\n";
    assert_eq!(
        validate(bad),
        "w.yaml:6:21: stages.a.params.dt_ps: longer than total_ps: 0 steps"
    );
}

#[test]
fn a_stage_with_other_problems_is_not_checked_again() {
    // The missing `total_ps` is reported once, by the generic check.
    let bad = "name: w\nstages:\n  a:\n    stage: steps\n    params: { dt_ps: 1 }\n";
    let e = validate(bad);
    assert!(e.contains("total_ps") && !e.contains("0 steps"), "{e}");
}
