//! Physics checks of the measured C*(ω) at T = 0: a monatomic crystal
//! (Ξ = 0, so C* is the static affine modulus at every frequency, checked
//! against a finite difference of LAMMPS' own stress) and linearity in the
//! strain amplitude on the glass.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{drive, potential_commands, potential_values, workspace};
use nonaffine_core::{Cell, ParamValue, Params, Species, Structure};
use nonaffine_oscillate::measure;
use nonaffine_oscillate::table::Component;

/// eV/Å³ in GPa.
const GPA_PER_EV_A3: f64 = 160.217_663_4;

fn fcc_cu() -> Structure {
    let (a, n) = (3.615, 4);
    let basis = [
        [0.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.5, 0.0, 0.5],
        [0.0, 0.5, 0.5],
    ];
    let mut positions = Vec::new();
    for i in 0..n {
        for j in 0..n {
            for k in 0..n {
                for b in basis {
                    positions.push([
                        a * (i as f64 + b[0] + 0.01),
                        a * (j as f64 + b[1] + 0.01),
                        a * (k as f64 + b[2] + 0.01),
                    ]);
                }
            }
        }
    }
    let l = a * n as f64;
    let count = positions.len();
    Structure::new(
        Cell::orthogonal(l, l, l),
        vec![Species {
            name: "Cu".into(),
            mass_amu: 63.546,
        }],
        vec![0; count],
        positions,
        vec![[0; 3]; count],
    )
    .unwrap()
}

fn cu_only_commands() -> Vec<String> {
    let mut v = potential_values();
    v.insert(
        "elements".into(),
        ParamValue::List(vec![ParamValue::Text("Cu".into())]),
    );
    nonaffine_registry::registry()
        .potential("eam/fs", &Params::new("potential", v))
        .unwrap()
        .lammps_commands()
}

/// Cauchy stress component (GPa, tension positive) of `s` deformed by
/// F = 1 + δ (xx: e_x e_x; xy: e_x e_y), from LAMMPS' virial.
fn stress(s: &Structure, c: Component, delta: f64, cmds: &[String]) -> f64 {
    let l = s.cell.widths();
    let (lx, xy) = match c {
        Component::Xx => (l[0] * (1.0 + delta), 0.0),
        _ => (l[0], delta * l[1]),
    };
    let cell = Cell::from_lammps([0.0; 3], [lx, l[1], l[2]], xy, 0.0, 0.0);
    let positions = s
        .positions
        .iter()
        .map(|r| match c {
            Component::Xx => [r[0] * (1.0 + delta), r[1], r[2]],
            _ => [r[0] + delta * r[1], r[1], r[2]],
        })
        .collect();
    let d = Structure::new(
        cell,
        s.species.clone(),
        s.types.clone(),
        positions,
        s.images.clone(),
    )
    .unwrap();
    let w = nonaffine_lammps::evaluate(&d, cmds).unwrap().virial_ev;
    -w[c.voigt_index()] / d.cell.volume() * GPA_PER_EV_A3
}

#[test]
fn crystal_modulus_is_frequency_independent_lossless_and_equals_static_stress_derivative() {
    let s = fcc_cu();
    let cmds = cu_only_commands();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fcc.data");
    nonaffine_io::write_lammps_data(&data, &s, "fcc Cu").unwrap();
    for c in [Component::Xx, Component::Xy] {
        let h = 1e-4;
        let fd = (stress(&s, c, h, &cmds) - stress(&s, c, -h, &cmds)) / (2.0 * h);
        let mut fits = Vec::new();
        for (f, cycles) in [(0.2, 2), (5.0, 10)] {
            let mut d = drive(c, f, cycles);
            d.warmup_ps = 0.0;
            let fit = measure(
                &d,
                &data,
                &cmds,
                &tmp.path().join(format!("{c}{f}")),
                &mut |_, _| {},
            )
            .unwrap();
            println!(
                "{c} {f} THz: C' {} C'' {} (finite difference {fd})",
                fit.storage_gpa, fit.loss_gpa
            );
            assert!(
                fit.loss_gpa.abs() <= 1e-3 * fit.storage_gpa,
                "{c} {f}: C'' {}",
                fit.loss_gpa
            );
            assert!(
                (fit.storage_gpa - fd).abs() <= 1e-3 * fd,
                "{c} {f}: C' {} vs static {fd}",
                fit.storage_gpa
            );
            fits.push(fit.storage_gpa);
        }
        assert!((fits[0] - fits[1]).abs() <= 1e-3 * fits[0], "{c}: {fits:?}");
    }
}

#[test]
fn glass_response_is_linear_at_t0() {
    let data = workspace().join("tests/data/md-spectroscopy/cuzr256_glass.data");
    let cmds = potential_commands();
    let tmp = tempfile::tempdir().unwrap();
    let mut c = Vec::new();
    for amp in [1e-5, 2e-5] {
        let mut d = drive(Component::Xy, 3.0, 10);
        d.warmup_ps = 5.0;
        d.strain_amplitude = amp;
        let fit = measure(
            &d,
            &data,
            &cmds,
            &tmp.path().join(format!("{amp}")),
            &mut |_, _| {},
        )
        .unwrap();
        c.push((fit.storage_gpa, fit.loss_gpa));
    }
    let rel = (c[0].0 - c[1].0).hypot(c[0].1 - c[1].1) / c[0].0.hypot(c[0].1);
    println!(
        "C* at 1e-5: {:?}, at 2e-5: {:?}, relative difference {rel:.2e}",
        c[0], c[1]
    );
    assert!(rel <= 1e-4, "{rel}");
}
