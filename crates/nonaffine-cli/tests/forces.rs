//! `nonaffine forces` end to end: files in, JSON out, compared with LAMMPS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cuzr_file;
use nonaffine_core::{Cell, Structure};
use std::path::{Path, PathBuf};

/// 54 atoms of B2 CuZr in a tilted cell, every atom displaced.
fn structure(names: [&str; 2], masses: [f64; 2], a: f64) -> Structure {
    let n = 3;
    let l = n as f64 * a;
    let cell = Cell::from_lammps([0.0; 3], [l, l, l], 0.5, -0.3, 0.2);
    let mut positions = Vec::new();
    let mut types = Vec::new();
    for i in 0..n {
        for j in 0..n {
            for k in 0..n {
                for (t, off) in [(0, 0.1), (1, 0.6)] {
                    let m = positions.len() as f64;
                    let s = [
                        (i as f64 + off) / n as f64 + 0.01 * (0.7 * m).sin(),
                        (j as f64 + off) / n as f64 + 0.01 * (1.3 * m).cos(),
                        (k as f64 + off) / n as f64 - 0.01 * (0.4 * m).sin(),
                    ];
                    positions.push(cell.cartesian(s));
                    types.push((t + i) % 2);
                }
            }
        }
    }
    common::structure(
        cell,
        [(names[0], masses[0]), (names[1], masses[1])],
        types,
        positions,
    )
}

/// `nonaffine forces <args>`: (success, stdout, stderr).
fn run(args: &[&str]) -> (bool, String, String) {
    common::run("forces", args)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("forces-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Checks the printed JSON against LAMMPS (through the worker) to 1e-9.
fn check_json(json: &str, s: &Structure, setup: &[String]) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let lmp = nonaffine_lammps::evaluate(s, setup).unwrap();
    let e = v["energy_ev"].as_f64().unwrap();
    assert!(
        (e - lmp.energy_ev).abs() < 1e-9 * lmp.energy_ev.abs(),
        "{e} vs {}",
        lmp.energy_ev
    );
    let forces = v["forces_ev_per_angstrom"].as_array().unwrap();
    assert_eq!(forces.len(), s.len());
    let fmax = lmp
        .forces_ev_per_a
        .iter()
        .flatten()
        .fold(0.0f64, |m, f| m.max(f.abs()));
    for (f, g) in forces.iter().zip(&lmp.forces_ev_per_a) {
        for k in 0..3 {
            let fk = f[k].as_f64().unwrap();
            assert!((fk - g[k]).abs() < 1e-9 * fmax, "{f:?} vs {g:?}");
        }
    }
    let w = v["virial_ev"].as_array().unwrap();
    let wmax = lmp.virial_ev.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (x, y) in w.iter().zip(lmp.virial_ev) {
        assert!((x.as_f64().unwrap() - y).abs() < 1e-9 * wmax);
    }
}

#[test]
fn eam_fs_from_lammps_data_and_extxyz_agree_with_lammps() {
    let s = structure(["Cu", "Zr"], [63.546, 91.224], 3.26);
    let data = scratch("cuzr.data");
    nonaffine_io::write_lammps_data(&data, &s, "forces CLI test").unwrap();
    let pot = cuzr_file().display().to_string();
    let (ok, out, err) = run(&[
        "--potential",
        &pot,
        "--elements",
        "Cu,Zr",
        "--structure",
        data.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let setup = vec![
        "pair_style eam/fs".to_string(),
        format!("pair_coeff * * {pot} Cu Zr"),
    ];
    check_json(&out, &s, &setup);

    let xyz = scratch("cuzr.extxyz");
    nonaffine_io::write_extxyz(&xyz, &[nonaffine_io::Frame::new(s.clone())]).unwrap();
    let (ok, out_xyz, err) = run(&[
        "--potential",
        &pot,
        "--elements",
        "Cu,Zr",
        "--structure",
        xyz.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    // Extended XYZ puts the origin at 0: a translation, so the same energies
    // and forces up to round-off.
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    let b: serde_json::Value = serde_json::from_str(&out_xyz).unwrap();
    let (ea, eb) = (
        a["energy_ev"].as_f64().unwrap(),
        b["energy_ev"].as_f64().unwrap(),
    );
    assert!((ea - eb).abs() < 1e-12 * ea.abs());
}

#[test]
fn lj_cut_with_params_agrees_with_lammps() {
    let s = structure(["A", "B"], [39.948, 39.948], 4.04);
    let data = scratch("ka.data");
    nonaffine_io::write_lammps_data(&data, &s, "forces CLI LJ test").unwrap();
    let (ok, out, err) = run(&[
        "--kind",
        "lj/cut",
        "--elements",
        "A,B",
        "--structure",
        data.to_str().unwrap(),
        "--param",
        "masses_amu=39.948,39.948",
        "--param",
        "epsilon_ev=0.0103,0.01545,0.00515",
        "--param",
        "sigma_angstrom=3.405,2.724,2.9964",
        "--param",
        "cutoff_angstrom=8.5125,6.81,7.491",
    ]);
    assert!(ok, "{err}");
    let setup: Vec<String> = [
        "pair_style lj/cut 8.5125",
        "pair_coeff 1 1 0.0103 3.405 8.5125",
        "pair_coeff 1 2 0.01545 2.724 6.81",
        "pair_coeff 2 2 0.00515 2.9964 7.491",
        // lj/cut is shifted to zero at the cutoff by default.
        "pair_modify shift yes",
    ]
    .map(String::from)
    .to_vec();
    check_json(&out, &s, &setup);
}

#[test]
fn bad_requests_fail_with_a_clear_message() {
    let s = structure(["Cu", "Zr"], [63.546, 91.224], 3.26);
    let data = scratch("cuzr-bad.data");
    nonaffine_io::write_lammps_data(&data, &s, "forces CLI test").unwrap();
    let pot = cuzr_file().display().to_string();
    let file = data.to_str().unwrap();
    let (ok, _, err) = run(&[
        "--kind",
        "eam/fz",
        "--potential",
        &pot,
        "--elements",
        "Cu,Zr",
        "--structure",
        file,
    ]);
    assert!(!ok);
    assert!(err.contains("did you mean `eam/fs`"), "{err}");
    assert!(err.contains("eam/alloy") && err.contains("lj/cut"), "{err}");
    let (ok, _, err) = run(&[
        "--potential",
        &pot,
        "--elements",
        "Cu,Al",
        "--structure",
        file,
    ]);
    assert!(!ok);
    assert!(
        err.contains("element `Al` is not in this potential"),
        "{err}"
    );
}

/// `--elements Zr,Cu` on a Cu,Zr data file without type comments (as LAMMPS'
/// write_data leaves it): the potential would compute Cu atoms as Zr and print
/// a wrong energy; the masses say the types are Cu,Zr, so it is refused.
#[test]
fn swapped_elements_are_refused() {
    let s = structure(["Cu", "Zr"], [63.546, 91.224], 3.26);
    let data = scratch("cuzr-swapped.data");
    let text = nonaffine_io::lammps_data_string(&s, "no type comments");
    let bare: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap().trim_end().to_string() + "\n")
        .collect();
    std::fs::write(&data, bare).unwrap();
    let pot = cuzr_file().display().to_string();
    let file = data.to_str().unwrap();
    let args = [
        "--potential",
        &pot,
        "--elements",
        "Zr,Cu",
        "--structure",
        file,
    ];
    let (ok, out, err) = run(&args);
    assert!(!ok, "{out}");
    assert!(
        err.contains(&format!(
            "{file}: type 1 has mass 63.546 amu (Cu) but is named Zr (91.224 amu) by \
             --elements; the file's masses say the types are Cu,Zr: give the elements in that order"
        )),
        "{err}"
    );
    let (ok, _, err) = run(&[
        "--potential",
        &pot,
        "--elements",
        "Cu,Zr",
        "--structure",
        file,
    ]);
    assert!(ok, "{err}");
}
