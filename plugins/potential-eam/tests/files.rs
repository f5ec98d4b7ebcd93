//! Real setfl files: the vendored Cu–Zr potential (snapshot of its header and
//! of interpolated values) and every eam/fs and eam/alloy file Debian ships.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{EamForm, Potential, Summary};
use potential_eam::{EamPotential, EamTables, Flavor, Setfl};
use std::path::{Path, PathBuf};

fn cuzr_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs")
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn vendored_cuzr_header_summary() {
    let f = Setfl::read(&cuzr_path(), Flavor::Fs).unwrap();
    let mut s = Summary::new();
    for (k, line) in f.header.iter().enumerate() {
        s.text(&format!("header_{}", k + 1), line);
    }
    s.int("nrho", f.nrho as i64)
        .float("drho", f.drho, 10)
        .int("nr", f.nr as i64)
        .float("dr_angstrom", f.dr_angstrom, 10)
        .float("cutoff_angstrom", f.cutoff_angstrom, 10);
    for e in &f.elements {
        let mut es = Summary::new();
        es.int("atomic_number", e.atomic_number)
            .float("mass_amu", e.mass_amu, 10)
            .float(
                "lattice_constant_angstrom",
                e.lattice_constant_angstrom.unwrap(),
                10,
            )
            .text("lattice_type", e.lattice_type.as_deref().unwrap())
            .int("density_tables", e.densities.len() as i64)
            .float("embedding_last_ev", *e.embedding_ev.last().unwrap(), 10);
        s.nested(&e.name, es);
    }
    insta::assert_yaml_snapshot!(s);
}

#[test]
fn vendored_cuzr_interpolated_values() {
    let f = Setfl::read(&cuzr_path(), Flavor::Fs).unwrap();
    let t = EamTables::new(&f, &names(&["Cu", "Zr"])).unwrap();
    let mut s = Summary::new();
    let radial = |r: nonaffine_core::Radial| vec![r.value, r.d1, r.d2];
    for r in [2.2, 2.75, 3.3337, 5.0, 7.0] {
        let mut rs = Summary::new();
        rs.floats("phi_cucu_ev", &radial(t.pair(0, 0, r)), 10)
            .floats("phi_cuzr_ev", &radial(t.pair(0, 1, r)), 10)
            .floats("phi_zrzr_ev", &radial(t.pair(1, 1, r)), 10)
            .floats("rho_host_cu_from_zr", &radial(t.density(0, 1, r)), 10)
            .floats("rho_host_zr_from_cu", &radial(t.density(1, 0, r)), 10);
        s.nested(&format!("r_{r}_angstrom"), rs);
    }
    for rho in [0.5, 12.34, 27.0, 299.97, 350.0] {
        let mut fs = Summary::new();
        fs.floats("f_cu_ev", &radial(t.embedding(0, rho)), 10)
            .floats("f_zr_ev", &radial(t.embedding(1, rho)), 10);
        s.nested(&format!("rho_{rho}"), fs);
    }
    insta::assert_yaml_snapshot!(s);
}

#[test]
fn vendored_cuzr_provenance_and_lammps_commands() {
    let p = EamPotential::from_file(&cuzr_path(), Flavor::Fs, &names(&["Cu", "Zr"])).unwrap();
    let prov = p.provenance();
    assert_eq!(prov.header.len(), 3);
    assert!(prov.header[0].contains("Mendelev"), "{:?}", prov.header);
    // SHA-256 of the bytes, checked against an independent implementation
    // (sha256sum of coreutils) when available.
    let sha = prov.sha256.unwrap();
    assert_eq!(sha.len(), 64);
    if let Ok(out) = std::process::Command::new("sha256sum")
        .arg(cuzr_path())
        .output()
    {
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.split_whitespace().next().unwrap(), sha);
    }
    let cmds = p.lammps_commands();
    assert_eq!(cmds[0], "pair_style eam/fs");
    let path = std::fs::canonicalize(cuzr_path()).unwrap();
    assert_eq!(cmds[1], format!("pair_coeff * * {} Cu Zr", path.display()));
    assert!(Path::new(&prov.source).is_absolute());
    assert_eq!(p.masses_amu(), vec![63.546, 91.224]);
    assert_eq!(p.cutoff_angstrom(), 7.6);
}

#[test]
fn every_setfl_file_debian_ships_parses() {
    let dir = Path::new("/usr/share/lammps/potentials");
    assert!(
        dir.is_dir(),
        "install Debian's lammps-data for {}",
        dir.display()
    );
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let flavor = if name.ends_with(".eam.fs") {
            Flavor::Fs
        } else if name.ends_with(".eam.alloy") {
            Flavor::Alloy
        } else {
            continue;
        };
        let f = Setfl::read(&path, flavor).unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<String> = f.elements.iter().map(|e| e.name.clone()).collect();
        let t = EamTables::new(&f, &all).unwrap();
        // Interpolation reproduces the table at a knot.
        let k = f.nr / 3;
        let r = k as f64 * f.dr_angstrom;
        let want = f.density_table(0, 0)[k];
        let got = t.density(0, 0, r).value;
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
        count += 1;
    }
    assert!(count >= 15, "found only {count} setfl files");
}

#[test]
fn one_element_fs_and_alloy_files_are_the_same_format() {
    let path = Path::new("/usr/share/lammps/potentials/Zr_mm.eam.fs");
    let fs = Setfl::read(path, Flavor::Fs).unwrap();
    let alloy = Setfl::read(path, Flavor::Alloy).unwrap();
    assert_eq!(fs.elements, alloy.elements);
}

#[test]
fn unknown_element_error_lists_the_file_s_elements() {
    let e = EamPotential::from_file(&cuzr_path(), Flavor::Fs, &names(&["Cu", "Al"])).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("element `Al` is not in this potential; it has Cu, Zr"),
        "{text}"
    );
}

#[test]
fn pair_and_density_second_derivatives_match_their_first_within_a_piece() {
    // φ = z2/r: φ'' = (z2'' − 2φ')/r must be the derivative of φ' = z2'/r − φ/r
    // taken on the same cubic piece (mid-piece points, steps far below Δr).
    let f = Setfl::read(&cuzr_path(), Flavor::Fs).unwrap();
    let t = EamTables::new(&f, &names(&["Cu", "Zr"])).unwrap();
    let dr = f.dr_angstrom;
    let h = 1e-3 * dr;
    for k in [2900, 3300, 4100, 6000, 9000] {
        let r = (k as f64 + 0.5) * dr;
        for (a, b) in [(0, 0), (0, 1), (1, 1)] {
            let (lo, mid, hi) = (t.pair(a, b, r - h), t.pair(a, b, r), t.pair(a, b, r + h));
            let d1 = (hi.value - lo.value) / (2.0 * h);
            let d2 = (hi.d1 - lo.d1) / (2.0 * h);
            assert!(
                (d1 - mid.d1).abs() < 1e-6 * (1.0 + mid.d1.abs()),
                "φ' at {r}"
            );
            assert!(
                (d2 - mid.d2).abs() < 1e-5 * (1.0 + mid.d2.abs()),
                "φ'' at {r}: {d2} vs {}",
                mid.d2
            );
            let (lo, mid, hi) = (
                t.density(a, b, r - h),
                t.density(a, b, r),
                t.density(a, b, r + h),
            );
            assert!(((hi.d1 - lo.d1) / (2.0 * h) - mid.d2).abs() < 1e-5 * (1.0 + mid.d2.abs()));
        }
    }
    let drho = f.drho;
    for k in [10, 500, 2000] {
        let rho = (k as f64 + 0.5) * drho;
        let h = 1e-3 * drho;
        for a in 0..2 {
            let (lo, mid, hi) = (
                t.embedding(a, rho - h),
                t.embedding(a, rho),
                t.embedding(a, rho + h),
            );
            assert!(
                ((hi.value - lo.value) / (2.0 * h) - mid.d1).abs() < 1e-6 * (1.0 + mid.d1.abs())
            );
            assert!(((hi.d1 - lo.d1) / (2.0 * h) - mid.d2).abs() < 1e-5 * (1.0 + mid.d2.abs()));
        }
    }
}
