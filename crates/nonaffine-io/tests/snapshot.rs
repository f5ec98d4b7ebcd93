//! insta snapshot of what the readers make of two small files.

use nonaffine_core::{Structure, Summary};
use nonaffine_io::{read_extxyz, read_lammps_data, InfoValue};
use std::path::Path;

fn summary(s: &Structure) -> Summary {
    let mut m = Summary::new();
    m.int("atoms", s.len() as i64);
    for (sp, n) in s.species.iter().zip(s.counts()) {
        m.int(&format!("count_{}", sp.name), n as i64);
        m.float(&format!("mass_amu_{}", sp.name), sp.mass_amu, 8);
    }
    m.floats("cell_a_angstrom", &s.cell.vectors[0], 10);
    m.floats("cell_b_angstrom", &s.cell.vectors[1], 10);
    m.floats("cell_c_angstrom", &s.cell.vectors[2], 10);
    m.floats("origin_angstrom", &s.cell.origin, 10);
    m.float("volume_angstrom3", s.cell.volume(), 10);
    m.float("density_g_per_cm3", s.density_g_per_cm3(), 8);
    m.floats("first_position_angstrom", &s.positions[0], 10);
    m.floats("last_position_angstrom", &s.positions[s.len() - 1], 10);
    let flagged = s.images.iter().filter(|i| **i != [0; 3]).count();
    m.int("atoms_with_image_flags", flagged as i64);
    m
}

#[test]
fn summaries_of_small_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let names = ["Cu".to_string(), "Zr".to_string()];
    let lammps = read_lammps_data(&dir.join("lammps_triclinic.data"), Some(&names)).unwrap();
    insta::assert_yaml_snapshot!("lammps_triclinic", summary(&lammps));

    let frames = read_extxyz(&dir.join("ase_cuzr.extxyz")).unwrap();
    let mut first = summary(&frames[0].structure);
    first.int("frames", frames.len() as i64);
    for (key, value) in &frames[0].info {
        match value {
            InfoValue::Float(x) => first.float(&format!("info_{key}"), *x, 10),
            InfoValue::Int(i) => first.int(&format!("info_{key}"), *i),
            InfoValue::Text(t) => first.text(&format!("info_{key}"), t),
            InfoValue::Bool(b) => first.text(&format!("info_{key}"), if *b { "T" } else { "F" }),
            InfoValue::Floats(xs) => first.floats(&format!("info_{key}"), xs, 10),
        };
    }
    insta::assert_yaml_snapshot!("ase_cuzr_first_frame", first);
}
