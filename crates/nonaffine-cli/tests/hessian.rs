//! `nonaffine hessian` end to end: a structure file in, the documented files out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{cuzr_file, run};
use nonaffine_core::{Cell, Structure};
use std::path::{Path, PathBuf};
use std::process::Command;

/// B2 CuZr, 3×3×3 cubic cells of edge `a` Å, each atom displaced by `jitter` Å
/// along a fixed pattern.
fn b2(a: f64, jitter: f64) -> Structure {
    let n = 3;
    let l = n as f64 * a;
    let cell = Cell::orthogonal(l, l, l);
    let mut positions = Vec::new();
    let mut types = Vec::new();
    for i in 0..n {
        for j in 0..n {
            for k in 0..n {
                for (t, off) in [(0, 0.0), (1, 0.5)] {
                    let m = positions.len() as f64;
                    let s = [
                        (i as f64 + off) / n as f64,
                        (j as f64 + off) / n as f64,
                        (k as f64 + off) / n as f64,
                    ];
                    let mut x = cell.cartesian(s);
                    x[0] += jitter * (0.7 * m).sin();
                    x[1] += jitter * (1.3 * m).cos();
                    x[2] -= jitter * (0.4 * m).sin();
                    positions.push(x);
                    types.push(t);
                }
            }
        }
    }
    common::structure(cell, [("Cu", 63.546), ("Zr", 91.224)], types, positions)
}

/// `nonaffine hessian` of the structure file `structure` with the Cu–Zr
/// potential as `elements` into `out`, plus `extra` arguments:
/// (success, stdout, stderr).
fn hessian(structure: &Path, elements: &str, out: &Path, extra: &[&str]) -> (bool, String, String) {
    let potential = cuzr_file();
    let mut args = vec![
        "--potential",
        potential.to_str().unwrap(),
        "--elements",
        elements,
        "--structure",
        structure.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run("hessian", &args)
}

/// A fresh folder for one test under cargo's per-target scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hessian-cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (rows, entries) of a Matrix Market coordinate file, lower triangle expanded.
fn read_mtx(path: &Path) -> (usize, Vec<(usize, usize, f64)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('%'));
    let header: Vec<usize> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let mut entries = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (i, j): (usize, usize) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        assert!(j <= i, "upper-triangle entry in a symmetric file");
        entries.push((i - 1, j - 1, f[2].parse().unwrap()));
    }
    assert_eq!(entries.len(), header[2]);
    (header[0], entries)
}

/// `nonaffine hessian --no-relaxed` of the jittered B2 crystal into `dir/out`:
/// (success, stdout, stderr, output folder).
fn hessian_of_jittered_b2(dir: &Path) -> (bool, String, String, PathBuf) {
    let file = dir.join("b2.data");
    nonaffine_io::write_lammps_data(&file, &b2(3.26, 0.05), "test").unwrap();
    let out = dir.join("out");
    let (ok, stdout, stderr) = hessian(&file, "Cu,Zr", &out, &["--no-relaxed"]);
    (ok, stdout, stderr, out)
}

#[test]
fn writes_the_documented_files_with_translation_invariant_hessian() {
    let dir = scratch("jittered");
    let (ok, stdout, stderr, out) = hessian_of_jittered_b2(&dir);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("54 atoms"), "{stdout}");
    for f in [
        "hessian.mtx",
        "xi.csv",
        "born.json",
        "structure.data",
        "report.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert!(!out.join("relaxed.json").exists());
    // Σ_j H_ij = 0 from the file alone (both triangles of each row).
    let (n, entries) = read_mtx(&out.join("hessian.mtx"));
    assert_eq!(n, 162);
    let mut sums = vec![0.0; n];
    let mut largest = 0.0f64;
    for (i, j, v) in entries {
        sums[i] += v;
        if i != j {
            sums[j] += v;
        }
        largest = largest.max(v.abs());
    }
    let worst = sums.iter().fold(0.0f64, |m, s| m.max(s.abs()));
    assert!(worst <= 1e-10 * largest, "row sum {worst:e}");
    let xi = std::fs::read_to_string(out.join("xi.csv")).unwrap();
    assert_eq!(xi.lines().next(), Some("atom,component,xx,yy,zz,yz,xz,xy"));
    assert_eq!(xi.lines().count(), 1 + 162);
    let born = json(&out.join("born.json"));
    let volume = born["volume_a3"].as_f64().unwrap();
    assert!((volume - (3.0f64 * 3.26).powi(3)).abs() < 1e-9 * volume);
    for a in 0..6 {
        for b in 0..6 {
            assert_eq!(born["born_gpa"][a][b], born["born_gpa"][b][a]);
        }
    }
}

#[test]
fn a_centrosymmetric_crystal_does_not_relax() {
    // In perfect B2 every atom is a centre of inversion: Ξ = 0, so the relaxed
    // moduli equal the Born moduli.
    let dir = scratch("perfect");
    let file = dir.join("b2.data");
    nonaffine_io::write_lammps_data(&file, &b2(3.26, 0.0), "test").unwrap();
    let out = dir.join("out");
    let (ok, _, stderr) = hessian(&file, "Cu,Zr", &out, &[]);
    assert!(ok, "{stderr}");
    let born = json(&out.join("born.json"));
    let relaxed = json(&out.join("relaxed.json"));
    for a in 0..6 {
        for b in 0..6 {
            let (x, y) = (
                born["born_gpa"][a][b].as_f64().unwrap(),
                relaxed["relaxed_gpa"][a][b].as_f64().unwrap(),
            );
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                "C[{a}][{b}] {x} vs {y}"
            );
        }
    }
}

#[test]
fn errors_name_what_to_fix() {
    let dir = scratch("errors");
    let (ok, _, stderr) = hessian(Path::new("/nonexistent/glass.data"), "Cu,Zr", &dir, &[]);
    assert!(!ok);
    assert!(stderr.contains("/nonexistent/glass.data"), "{stderr}");
    let file = dir.join("b2.data");
    nonaffine_io::write_lammps_data(&file, &b2(3.26, 0.0), "test").unwrap();
    let (ok, _, stderr) = hessian(&file, "Cu,Al", &dir, &[]);
    assert!(!ok);
    assert!(stderr.contains("Al"), "{stderr}");
}

/// `nonaffine spectrum --solver lanczos` of `hess` into `out`, matrix-free,
/// with the grid parameter given as `grid`.
fn lanczos_spectrum(hess: &Path, out: &Path, grid: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .args(["spectrum", "--solver", "lanczos", "--hessian"])
        .arg(hess)
        .arg("--out")
        .arg(out)
        .args(["-p", "steps=4,moments=32", "-p"])
        .arg(format!("random_vectors=1,grid={grid}"))
        .args([
            "-p",
            "operator=matrix-free,negative_modes=exclude,plots=false",
        ])
        .arg("--potential")
        .arg(cuzr_file())
        .args(["--elements", "Cu,Zr"])
        .output()
        .unwrap()
}

/// `nonaffine spectrum` on the folder `nonaffine hessian` wrote: repeated
/// `-p`, a bracketed list, and the matrix-free operator from `--potential`.
#[test]
fn spectrum_command_takes_repeated_params_and_the_matrix_free_operator() {
    let dir = scratch("spectrum");
    let (ok, _, stderr, hess) = hessian_of_jittered_b2(&dir);
    assert!(ok, "{stderr}");
    let out = dir.join("spectrum");
    // `grid` is an integer: the bracketed list reaches the solver, which refuses
    // it by key; `-p` keys that are not the stage's own are the solver's.
    let refused = lanczos_spectrum(&hess, &out, "[100]");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("spectrum.solver.grid"), "{stderr}");
    let done = lanczos_spectrum(&hess, &out, "100");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let report = json(&out.join("spectrum.json"));
    assert_eq!(report["operator"], "matrix-free");
    assert_eq!(report["samples"][0]["diagnostics"][1][0], "block_steps");
    assert_eq!(report["samples"][0]["diagnostics"][1][1], 4.0);
}

/// `--no-matrix` in a cell narrower than twice the cutoff (9.8 Å vs 15.2 Å:
/// atoms meet several images of a neighbour): no hessian.mtx, and Ξ and the
/// Born moduli equal those of the stored-matrix path. (The jittered crystal
/// is not at a minimum, so no relaxed moduli; the hessian crate compares
/// those on a minimized LAMMPS glass.)
#[test]
fn no_matrix_gives_the_stored_paths_results_without_hessian_mtx() {
    let dir = scratch("no-matrix");
    let file = dir.join("b2.data");
    nonaffine_io::write_lammps_data(&file, &b2(3.26, 0.05), "test").unwrap();
    let stored = dir.join("stored");
    let (ok, _, stderr) = hessian(&file, "Cu,Zr", &stored, &["--no-relaxed"]);
    assert!(ok, "{stderr}");
    let free = dir.join("free");
    let (ok, stdout, stderr) = hessian(&file, "Cu,Zr", &free, &["--no-matrix", "--no-relaxed"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("0 stored entries"), "{stdout}");
    assert!(!free.join("hessian.mtx").exists());
    let numbers = |path: &Path| -> Vec<f64> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .flat_map(|l| l.split(',').skip(2).map(|x| x.parse::<f64>().unwrap()))
            .collect()
    };
    let (a, b) = (
        numbers(&stored.join("xi.csv")),
        numbers(&free.join("xi.csv")),
    );
    let scale = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let worst = a
        .iter()
        .zip(&b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        worst <= 1e-10 * scale,
        "Ξ differs by {worst:e} of {scale:e}"
    );
    for (file, key, tol) in [("born.json", "born_gpa", 1e-10)] {
        let (x, y) = (json(&stored.join(file)), json(&free.join(file)));
        let (x, y) = (&x[key], &y[key]);
        for a in 0..6 {
            for b in 0..6 {
                let (u, v) = (x[a][b].as_f64().unwrap(), y[a][b].as_f64().unwrap());
                assert!(
                    (u - v).abs() <= tol * (1.0 + u.abs()),
                    "{file} {key}[{a}][{b}]: {u} vs {v}"
                );
            }
        }
    }
}

/// `--matrix-format npz` writes `hessian.npz` (no `hessian.mtx`) holding the
/// matrix of the text file, and `nonaffine spectrum` reads it: the same modes
/// as from the text file.
#[test]
fn npz_output_holds_the_mtx_matrix_and_the_spectrum_reads_it() {
    let dir = scratch("npz");
    let file = dir.join("b2.data");
    nonaffine_io::write_lammps_data(&file, &b2(3.26, 0.02), "test").unwrap();
    let (mtx, npz) = (dir.join("mtx"), dir.join("npz"));
    let (ok, _, stderr) = hessian(&file, "Cu,Zr", &mtx, &["--no-relaxed"]);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = hessian(
        &file,
        "Cu,Zr",
        &npz,
        &["--no-relaxed", "--matrix-format", "npz"],
    );
    assert!(ok, "{stderr}");
    assert!(npz.join("hessian.npz").is_file() && !npz.join("hessian.mtx").exists());
    let read = nonaffine_hessian::products::read_matrix;
    assert_eq!(
        read(&npz.join("hessian.npz")).unwrap(),
        read(&mtx.join("hessian.mtx")).unwrap()
    );
    let (ok, _, stderr) = hessian(&file, "Cu,Zr", &dir.join("x"), &["--matrix-format", "csv"]);
    assert!(!ok && stderr.contains("csv"), "{stderr}");
    let mut modes = Vec::new();
    for h in [&mtx, &npz] {
        let out = dir.join(format!(
            "spectrum-{}",
            h.file_name().unwrap().to_string_lossy()
        ));
        let (ok, _, stderr) = run(
            "spectrum",
            &[
                "--hessian",
                h.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "-p",
                "negative_modes=exclude",
            ],
        );
        assert!(ok, "{stderr}");
        modes.push(std::fs::read_to_string(out.join("sample/modes.csv")).unwrap());
    }
    assert_eq!(modes[0], modes[1]);
}
