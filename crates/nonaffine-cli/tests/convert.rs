//! `nonaffine convert` end to end: LAMMPS data → extended XYZ → LAMMPS data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../nonaffine-io/tests/data/lammps_triclinic.data")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nonaffine-convert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn convert(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .arg("convert")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn data_to_xyz_and_back_keeps_species_cell_and_positions_relative_to_the_origin() {
    let (xyz, data) = (scratch("a.xyz"), scratch("b.data"));
    let out = convert(&[
        fixture().to_str().unwrap(),
        xyz.to_str().unwrap(),
        "--elements",
        "Cu,Zr",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = convert(&[xyz.to_str().unwrap(), data.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let names = ["Cu".to_string(), "Zr".to_string()];
    let original = nonaffine_io::read_lammps_data(&fixture(), Some(&names)).unwrap();
    let back = nonaffine_io::read_lammps_data(&data, None).unwrap();
    assert_eq!(
        back.species, original.species,
        "names travel through the xyz species column"
    );
    assert_eq!(back.types, original.types);
    assert_eq!(back.cell.vectors, original.cell.vectors);
    assert_eq!(back.cell.origin, [0.0; 3], "extended XYZ has no origin");
    let o = original.cell.origin;
    for (p, q) in back.positions.iter().zip(&original.positions) {
        for k in 0..3 {
            assert!((p[k] - (q[k] - o[k])).abs() < 1e-14, "{p:?} vs {q:?}");
        }
    }
    assert!(
        back.images.iter().all(|i| *i == [0; 3]),
        "extended XYZ stores no image flags"
    );
}

#[test]
fn misuse_is_reported_with_the_fix() {
    let xyz = scratch("c.xyz");
    assert!(
        convert(&[fixture().to_str().unwrap(), xyz.to_str().unwrap()])
            .status
            .success()
    );
    let out = convert(&[
        xyz.to_str().unwrap(),
        scratch("d.data").to_str().unwrap(),
        "--elements",
        "Cu",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the file has species type1 but --elements names Cu; name every species"),
        "{err}"
    );
    let out = convert(&[xyz.to_str().unwrap(), scratch("e.pdb").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown structure format"));
}

/// An extended XYZ file lists species by first appearance; `--elements` sets
/// the LAMMPS type order of the data file written from it (species k = type
/// k+1), so that `--elements Cu,Zr` reads it back whatever atom comes first.
#[test]
fn elements_set_the_type_order_of_a_data_file_written_from_xyz() {
    let (xyz, data) = (scratch("zr-first.xyz"), scratch("zr-first.data"));
    let names = ["Cu".to_string(), "Zr".to_string()];
    let mut s = nonaffine_io::read_lammps_data(&fixture(), Some(&names)).unwrap();
    // Zr first: swap the first atom with the first Zr atom.
    let zr = s.types.iter().position(|&t| t == 1).unwrap();
    s.types.swap(0, zr);
    s.positions.swap(0, zr);
    nonaffine_io::write_extxyz(&xyz, &[nonaffine_io::Frame::new(s.clone())]).unwrap();
    let plain = nonaffine_io::read_extxyz(&xyz).unwrap();
    assert_eq!(plain[0].structure.species[0].name, "Zr", "first appearance");

    let out = convert(&[
        xyz.to_str().unwrap(),
        data.to_str().unwrap(),
        "--elements",
        "Cu,Zr",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = nonaffine_io::read_lammps_data(&data, Some(&names)).unwrap();
    assert_eq!(back.species, s.species);
    assert_eq!(back.types, s.types);
    // The masses agree with the names, so the checked reader accepts it.
    let named = nonaffine_io::ElementNames::given(&names, "--elements");
    nonaffine_io::read_structure_named(&data, &named).unwrap();
}
