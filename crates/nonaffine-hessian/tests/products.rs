//! The public entry point: species matching, refusal of potentials without a
//! form, and the output files read back bit for bit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use nonaffine_core::{EamForm, Potential, Provenance};
use nonaffine_hessian::products::{matrix_market_size, read_matrix_market};
use nonaffine_hessian::{compute, HessianError, HessianOptions, HessianProducts};
use support::*;

/// A potential only LAMMPS could evaluate.
struct TableOnly(Vec<String>);

impl Potential for TableOnly {
    fn name(&self) -> &str {
        "meam/c"
    }
    fn elements(&self) -> &[String] {
        &self.0
    }
    fn masses_amu(&self) -> Vec<f64> {
        vec![63.546, 91.224]
    }
    fn cutoff_angstrom(&self) -> f64 {
        6.0
    }
    fn lammps_commands(&self) -> Vec<String> {
        vec!["pair_style meam/c".into()]
    }
    fn provenance(&self) -> Provenance {
        Provenance::default()
    }
    fn form(&self) -> Option<&dyn EamForm> {
        None
    }
}

#[test]
fn a_potential_without_a_form_is_refused_by_name() {
    let p = TableOnly(vec!["Cu".into(), "Zr".into()]);
    let e = compute(&cuzr(3, [0.0; 3], 0.1, 1), &p, &HessianOptions::default()).unwrap_err();
    assert!(matches!(e, HessianError::NoForm(_)));
    let text = e.to_string();
    assert!(text.contains("`meam/c` has no analytic form"), "{text}");
}

#[test]
fn species_are_matched_to_the_potential_by_name() {
    // The structure lists Zr first; the potential's type order is Cu, Zr.
    let s = cuzr(3, [0.0; 3], 0.1, 2);
    let mut swapped = s.clone();
    swapped.species.reverse();
    swapped.types.iter_mut().for_each(|t| *t = 1 - *t);
    let options = HessianOptions {
        relaxed: false,
        ..Default::default()
    };
    let p = cuzr_potential();
    let a = compute(&s, &p, &options).unwrap();
    let b = compute(&swapped, &p, &options).unwrap();
    assert_eq!(a.products.hessian, b.products.hessian);
    assert_eq!(a.products.born_gpa, b.products.born_gpa);
    let unknown = {
        let mut u = s.clone();
        u.species[0].name = "Al".into();
        u
    };
    let e = compute(&unknown, &p, &options).unwrap_err().to_string();
    assert!(e.contains("`Al`"), "{e}");
}

#[test]
fn files_read_back_bit_for_bit() {
    let s = cuzr(3, [0.4, 0.0, -0.2], 0.1, 3);
    let run = compute(
        &s,
        &cuzr_potential(),
        &HessianOptions {
            relaxed: false,
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    run.products.write_dir(dir.path()).unwrap();
    let back = HessianProducts::read_dir(dir.path(), Some(&["Cu".into(), "Zr".into()])).unwrap();
    assert_eq!(back.hessian, run.products.hessian);
    assert_eq!(back.xi, run.products.xi);
    assert_eq!(back.born_gpa, run.products.born_gpa);
    assert_eq!(back.stress_gpa, run.products.stress_gpa);
    assert_eq!(back.relaxed_gpa, None);
    // Without the matrix: everything else, and an empty 3N×3N H.
    let light =
        HessianProducts::read_dir_without_matrix(dir.path(), Some(&["Cu".into(), "Zr".into()]))
            .unwrap();
    assert_eq!(light.xi, run.products.xi);
    assert_eq!(light.structure.positions, run.products.structure.positions);
    assert_eq!(light.hessian.nnz(), 0);
    assert_eq!(light.hessian.nrows(), run.products.hessian.nrows());
    // Our Matrix Market reader equals nalgebra-sparse's (an independent
    // parser) on the written file.
    let p = dir.path().join("hessian.mtx");
    let ours = nalgebra_sparse::CsrMatrix::from(&read_matrix_market(&p).unwrap());
    let theirs = nalgebra_sparse::CsrMatrix::from(
        &nalgebra_sparse::io::load_coo_from_matrix_market_file::<f64, _>(&p).unwrap(),
    );
    assert_eq!(ours, theirs);
    // The size line alone agrees with the matrix read.
    let (rows, cols, _) = matrix_market_size(&p).unwrap();
    assert_eq!((rows, cols), (ours.nrows(), ours.ncols()));
}

/// A truncated xi.csv or a hessian.mtx of another size is refused naming the
/// file, its row count and the expected 3N (before: "Ξ has 440 rows, expected
/// 480", no file).
#[test]
fn files_of_the_wrong_size_are_named() {
    let s = cuzr(2, [0.0; 3], 0.1, 5);
    let run = compute(
        &s,
        &cuzr_potential(),
        &HessianOptions {
            relaxed: false,
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    run.products.write_dir(dir.path()).unwrap();
    let names = ["Cu".to_string(), "Zr".to_string()];
    let n3 = 3 * s.len();
    let xi = dir.path().join("xi.csv");
    let text = std::fs::read_to_string(&xi).unwrap();
    let cut: Vec<&str> = text.lines().take(1 + n3 - 4).collect();
    std::fs::write(&xi, cut.join("\n") + "\n").unwrap();
    for read in [
        HessianProducts::read_dir,
        HessianProducts::read_dir_without_matrix,
    ] {
        let e = read(dir.path(), Some(&names)).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "{}: {} data rows of Ξ, expected 3N = {n3}",
                xi.display(),
                n3 - 4
            )) && e.contains("--force hessian"),
            "{e}"
        );
    }
    std::fs::write(&xi, text).unwrap();
    let mtx = dir.path().join("hessian.mtx");
    std::fs::write(
        &mtx,
        "%%MatrixMarket matrix coordinate real symmetric\n6 6 0\n",
    )
    .unwrap();
    let e = HessianProducts::read_dir(dir.path(), Some(&names))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!(
            "{}: the matrix is 6×6, expected 3N×3N = {n3}×{n3}",
            mtx.display()
        )),
        "{e}"
    );
}

/// The size line is read without the entries: a header promising 3N = 3·10⁶
/// and 10¹² entries (none present) is answered at once; a bad banner or size
/// line names the file and the line.
#[test]
fn matrix_market_size_reads_only_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.mtx");
    std::fs::write(
        &p,
        "%%MatrixMarket matrix coordinate real symmetric\n% comment\n\n3000000 3000000 1000000000000\n",
    )
    .unwrap();
    assert_eq!(
        matrix_market_size(&p).unwrap(),
        (3_000_000, 3_000_000, 1_000_000_000_000)
    );
    for (text, want) in [
        (
            "%%MatrixMarket matrix array real general\n3 3\n",
            "line 1: expected",
        ),
        (
            "%%MatrixMarket matrix coordinate real symmetric\n% c\n3 x 2\n",
            "line 3: expected the size line",
        ),
        (
            "%%MatrixMarket matrix coordinate real symmetric\n",
            "no size line",
        ),
    ] {
        std::fs::write(&p, text).unwrap();
        let e = matrix_market_size(&p).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("h.mtx"), "{e}");
    }
}

/// A damaged hessian.mtx is refused naming the file and the line.
#[test]
fn a_damaged_matrix_file_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.mtx");
    let cases = [
        ("%%MatrixMarket matrix array real general\n2 2\n", "line 1"),
        (
            "%%MatrixMarket matrix coordinate real symmetric\n% c\n3 3 2\n1 1 1.0\n4 1 2.0\n",
            "line 5: expected `row column value` with indices in 1..=3, 1..=3",
        ),
        (
            "%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n1 1 1.0\n2 1 x\n",
            "line 4: expected `row column value`",
        ),
        (
            "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 1.0\n",
            "promises 3 entries, the file has 1",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&p, text).unwrap();
        let e = read_matrix_market(&p).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("h.mtx"), "{e}");
    }
}
