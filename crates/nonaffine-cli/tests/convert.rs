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
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--elements applies to LAMMPS data input only"));
    let out = convert(&[xyz.to_str().unwrap(), scratch("e.pdb").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown structure format"));
}
