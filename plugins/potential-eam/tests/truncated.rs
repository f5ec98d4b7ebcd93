//! The vendored Cu–Zr potential cut short or with a value missing: every
//! damaged copy whose numbers differ from the intact file's is refused with
//! the file and the table named; the intact file is accepted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use potential_eam::{Flavor, Setfl};
use std::path::PathBuf;

fn intact() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs");
    std::fs::read(path).unwrap()
}

fn parse(bytes: &[u8]) -> Result<Setfl, String> {
    Setfl::from_bytes(bytes.to_vec(), "CuZr_cut.eam.fs", Flavor::Fs).map_err(|e| e.to_string())
}

#[test]
fn intact_file_is_accepted() {
    let f = parse(&intact()).unwrap();
    assert_eq!(f.pair_r_phi.len(), 3);
}

/// The file ends `…2.89436940290541E-0014␠␠\n\n`. Cutting 2 to 14 characters
/// leaves the last number without its line end (and, from 5 on, changes it:
/// `E-001`, `E-00`, `2.8943694029054`), which the parser cannot tell from an
/// intact value by its text: it refuses the missing line end.
#[test]
fn cut_inside_the_last_line_is_refused_naming_the_table() {
    let bytes = intact();
    for cut in [2, 3, 5, 6, 14, 20] {
        let err = parse(&bytes[..bytes.len() - cut]).unwrap_err();
        assert!(
            err.starts_with("CuZr_cut.eam.fs:")
                && err.contains("ends inside the last value of the r·φ(r) table of Zr-Zr"),
            "cut by {cut}: {err}"
        );
    }
}

/// Cutting one character removes only the final blank line: the tables are
/// bit for bit those of the intact file, so there is nothing to refuse.
#[test]
fn cut_of_the_final_blank_line_changes_nothing() {
    let bytes = intact();
    assert_eq!(&bytes[bytes.len() - 2..], b"\n\n");
    assert_eq!(
        parse(&bytes[..bytes.len() - 1]).unwrap(),
        Setfl {
            source: "CuZr_cut.eam.fs".into(),
            ..parse(&bytes).unwrap()
        }
    );
}

#[test]
fn one_value_removed_is_refused_naming_the_table() {
    let text = String::from_utf8(intact()).unwrap();
    // Remove the first number of line 1000 (inside Cu's F(ρ) table).
    let mut lines: Vec<&str> = text.split('\n').collect();
    let line = lines[999];
    let first = line.split_whitespace().next().unwrap();
    let shorter = line.replacen(first, "", 1);
    lines[999] = &shorter;
    let damaged = lines.join("\n");
    // Tables end at line ends, so the shift shows where Cu's F(ρ) table should end.
    let err = parse(damaged.as_bytes()).unwrap_err();
    assert!(
        err.starts_with("CuZr_cut.eam.fs:2007: the F(ρ) table of Cu should end after 10000 values"),
        "{err}"
    );
    // The same value removed from the last table: the file ends too early.
    let mut lines: Vec<&str> = text.split('\n').collect();
    let at = lines.len() - 10;
    let shorter = lines[at].replacen(lines[at].split_whitespace().next().unwrap(), "", 1);
    lines[at] = &shorter;
    let err = parse(lines.join("\n").as_bytes()).unwrap_err();
    assert!(
        err.contains("the r·φ(r) table of Zr-Zr is truncated: expected 10000 values"),
        "{err}"
    );
}
