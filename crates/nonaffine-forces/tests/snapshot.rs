//! Snapshots of a small deterministic case per potential plugin (rounded so
//! they hold across machines); the physics is checked in `lammps.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use nonaffine_core::{Potential, Summary};
use nonaffine_forces::{align_species, evaluate, NeighborList};
use potential_eam::{EamPotential, Flavor};

fn summary(potential: &dyn Potential, s: &nonaffine_core::Structure) -> Summary {
    let s = align_species(s, potential).unwrap();
    let form = potential.form().unwrap();
    let ev = evaluate(form, &s).unwrap();
    let mut out = Summary::new();
    out.int("atoms", s.len() as i64)
        .int(
            "pairs",
            NeighborList::build(&s, form.cutoff()).unwrap().len() as i64,
        )
        .float("energy_ev", ev.energy_ev, 10)
        .floats("per_atom_energy_ev_first_3", &ev.per_atom_energy_ev[..3], 8)
        .floats("virial_ev", &ev.virial_ev, 8);
    for (i, f) in ev.forces_ev_per_a.iter().take(3).enumerate() {
        out.floats(&format!("force_ev_per_angstrom_atom_{i}"), f, 6);
    }
    out
}

#[test]
fn cuzr_small_triclinic_cell() {
    let p = EamPotential::from_file(
        &support::cuzr_file(),
        Flavor::Fs,
        &["Cu".into(), "Zr".into()],
    )
    .unwrap();
    let s = support::cuzr(2, [0.9, -0.7, 0.5], 0.1, 7);
    insta::assert_yaml_snapshot!(summary(&p, &s));
}

#[test]
fn kob_andersen_small_cell() {
    let s = support::bcc_binary(
        3,
        4.04,
        [0.3, 0.0, -0.2],
        0.1,
        4,
        [("A", 39.948), ("B", 39.948)],
    );
    insta::assert_yaml_snapshot!(summary(&potential_lj::kob_andersen(), &s));
}
