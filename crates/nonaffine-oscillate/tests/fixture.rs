//! The stage's MD reproduces LAMMPS' own mechanical spectroscopy of a 256-atom
//! CuZr glass, computed outside the project (tests/data/md-spectroscopy).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{drive, potential_commands, workspace};
use nonaffine_oscillate::measure;
use nonaffine_oscillate::table::Component;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    points: Vec<FixturePoint>,
}

#[derive(Deserialize)]
struct FixturePoint {
    component: String,
    freq_thz: f64,
    storage_gpa: f64,
    loss_gpa: f64,
}

/// The fixture's protocol: warm-up max(10 ps, 3 periods) in whole periods,
/// 10/20/40/80 cycles at 0.3/1/3/8 THz, a plain `x` or `xy` wiggle. The
/// 0.1 THz point (80 ps of MD) is left out to keep the test near a minute.
fn reproduce(component: Component, name: &str) {
    let dir = workspace().join("tests/data/md-spectroscopy");
    let fixture: Fixture = serde_json::from_str(
        &std::fs::read_to_string(dir.join("lammps_t0_langevin.json")).unwrap(),
    )
    .unwrap();
    let cmds = potential_commands();
    let tmp = tempfile::tempdir().unwrap();
    for (f, cycles) in [(0.3, 10), (1.0, 20), (3.0, 40), (8.0, 80)] {
        let want = fixture
            .points
            .iter()
            .find(|p| p.component == name && p.freq_thz == f)
            .unwrap();
        let mut d = drive(component, f, cycles);
        d.warmup_ps = 10f64.max(3.0 / f);
        d.pure_strain = false;
        let fit = measure(
            &d,
            &dir.join("cuzr256_glass.data"),
            &cmds,
            &tmp.path().join(format!("{name}_{f}")),
            &mut |_, _| {},
        )
        .unwrap();
        let norm = want.storage_gpa.hypot(want.loss_gpa);
        let dev = (fit.storage_gpa - want.storage_gpa).hypot(fit.loss_gpa - want.loss_gpa) / norm;
        println!(
            "{name} {f} THz: C' {:.4} (LAMMPS {}), C'' {:.4} (LAMMPS {}), |ΔC*|/|C*| = {dev:.2e}",
            fit.storage_gpa, want.storage_gpa, fit.loss_gpa, want.loss_gpa
        );
        assert!(dev <= 2e-3, "{name} at {f} THz off by {dev:.2e} of |C*|");
    }
}

#[test]
fn c11_matches_lammps_own_spectroscopy() {
    reproduce(Component::Xx, "C11");
}

#[test]
fn c66_matches_lammps_own_spectroscopy() {
    reproduce(Component::Xy, "C66");
}
