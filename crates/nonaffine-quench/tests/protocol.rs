//! Protocols that would run no MD in some phase, or with a timestep too long
//! to integrate the dynamics, are refused before LAMMPS starts (and by
//! `Stage::check`, which `nonaffine validate` calls), naming the key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{ParamValue, Params, Stage};
use nonaffine_quench::{max_timestep_ps, QuenchProtocol, QuenchStage};
use std::collections::BTreeMap;

fn list(xs: &[f64]) -> ParamValue {
    ParamValue::List(xs.iter().map(|x| ParamValue::Number(*x)).collect())
}

fn texts(xs: &[&str]) -> ParamValue {
    ParamValue::List(xs.iter().map(|x| ParamValue::Text(x.to_string())).collect())
}

/// The quick workflow's glass stage with `extra` set.
fn params(potential: ParamValue, extra: &[(&str, ParamValue)]) -> Params {
    let mut v = BTreeMap::new();
    v.insert("potential".into(), potential);
    v.insert("n_atoms".into(), ParamValue::Integer(500));
    let mut comp = BTreeMap::new();
    comp.insert("Cu".to_string(), ParamValue::Number(0.5));
    comp.insert("Zr".to_string(), ParamValue::Number(0.5));
    v.insert("composition".into(), ParamValue::Map(comp));
    v.insert("melt_time_ps".into(), ParamValue::Number(4.0));
    v.insert("cooling_rate_k_per_ps".into(), ParamValue::Number(100.0));
    for (k, x) in extra {
        v.insert(k.to_string(), x.clone());
    }
    Params::new("stages.glass.params", v)
}

fn eam() -> ParamValue {
    let mut m = BTreeMap::new();
    m.insert("plugin".to_string(), ParamValue::Text("eam/fs".into()));
    m.insert(
        "file".to_string(),
        ParamValue::Text("/x/CuZr_mm.eam.fs".into()),
    );
    m.insert("elements".to_string(), texts(&["Cu", "Zr"]));
    ParamValue::Map(m)
}

/// Kob–Andersen in argon units, as workflows/lj-glass.yaml.
fn kob_andersen() -> ParamValue {
    let mut m = BTreeMap::new();
    m.insert("plugin".to_string(), ParamValue::Text("lj/cut".into()));
    m.insert("elements".to_string(), texts(&["Cu", "Zr"]));
    m.insert("masses_amu".to_string(), list(&[39.948, 39.948]));
    m.insert("epsilon_ev".to_string(), list(&[0.0103, 0.01545, 0.00515]));
    m.insert("sigma_angstrom".to_string(), list(&[3.405, 2.724, 2.9964]));
    m.insert("cutoff_angstrom".to_string(), list(&[8.5125, 6.81, 7.491]));
    ParamValue::Map(m)
}

/// Both the protocol reader and the stage's check refuse, with the same message.
fn refused(p: &Params) -> String {
    let e = QuenchProtocol::from_params(p, &["Cu".into(), "Zr".into()])
        .unwrap_err()
        .to_string();
    assert_eq!(
        QuenchStage
            .check(p, &nonaffine_core::Registry::default())
            .unwrap_err()
            .to_string(),
        e
    );
    e
}

fn accepted(p: &Params) {
    QuenchProtocol::from_params(p, &["Cu".into(), "Zr".into()]).unwrap();
    QuenchStage
        .check(p, &nonaffine_core::Registry::default())
        .unwrap();
}

#[test]
fn a_timestep_of_1000_ps_is_refused_naming_the_key_and_the_bound() {
    let e = refused(&params(
        eam(),
        &[("timestep_ps", ParamValue::Number(1000.0))],
    ));
    assert!(
        e.starts_with(
            "stages.glass.params.timestep_ps: 1000 ps is longer than 0.005 ps, the longest MD \
             timestep that resolves this potential's vibrations (1/20 of the ~0.1 ps period"
        ),
        "{e}"
    );
}

#[test]
fn the_eam_bound_is_0_005_ps() {
    accepted(&params(
        eam(),
        &[("timestep_ps", ParamValue::Number(0.005))],
    ));
    let e = refused(&params(
        eam(),
        &[("timestep_ps", ParamValue::Number(0.0051))],
    ));
    assert!(e.contains("0.0051 ps is longer than 0.005 ps"), "{e}");
}

#[test]
fn the_lj_bound_follows_the_lennard_jones_time() {
    // τ = σ √(m/ε) of the A–B pair: 2.724 Å · √(39.948 amu / 0.01545 eV) = 1.41 ps
    // (1 Å √(amu/eV) = 1/98.227 ps, from the ω unit of nonaffine-core::units).
    let (limit, why) = max_timestep_ps(&params(kob_andersen(), &[]));
    let tau = 2.724 * (39.948f64 / 0.01545).sqrt() / 98.226_948;
    assert!(
        (limit - (0.01 * tau * 1e4).round() / 1e4).abs() < 1e-12,
        "{limit} {why}"
    );
    assert!((tau - 1.41).abs() < 0.01, "{tau}");
    // lj-glass.yaml's 0.01 ps passes, 0.02 ps does not.
    accepted(&params(
        kob_andersen(),
        &[("timestep_ps", ParamValue::Number(0.01))],
    ));
    let e = refused(&params(
        kob_andersen(),
        &[("timestep_ps", ParamValue::Number(0.02))],
    ));
    assert!(e.contains("0.01 of the shortest Lennard-Jones time"), "{e}");
}

#[test]
fn a_melt_of_zero_steps_is_refused() {
    let e = refused(&params(
        eam(),
        &[("melt_time_ps", ParamValue::Number(0.0009))],
    ));
    assert!(
        e.starts_with(
            "stages.glass.params.melt_time_ps: the melt of 0.0009 ps is 0 MD steps of \
             timestep_ps = 0.002 ps"
        ),
        "{e}"
    );
    let e = refused(&params(eam(), &[("melt_time_ps", ParamValue::Number(0.0))]));
    assert!(e.starts_with("stages.glass.params.melt_time_ps:"), "{e}");
}

#[test]
fn a_cooling_phase_of_zero_steps_is_refused() {
    // 1e6 K/ps crosses 2000 → 670 K in 0.00133 ps: 1 step; 670 → 669 K in 1e-6 ps: 0 steps.
    let e = refused(&params(
        eam(),
        &[
            ("cooling_rate_k_per_ps", ParamValue::Number(1e6)),
            ("capture_temperatures_k", list(&[670.0, 669.0])),
        ],
    ));
    assert!(
        e.starts_with(
            "stages.glass.params.capture_temperatures_k: cooling from 670 K to 669 K at \
             cooling_rate_k_per_ps = 1000000 K/ps takes 0.000 ps, 0 MD steps"
        ),
        "{e}"
    );
    accepted(&params(
        eam(),
        &[("capture_temperatures_k", list(&[670.0, 669.0]))],
    ));
}
