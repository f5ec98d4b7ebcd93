//! Mutated files never panic the readers: each gives a structure or an error.

use crate::common::{triclinic, uniform};
use nonaffine_io::{extxyz_string, lammps_data_string, parse_extxyz, parse_lammps_data, Frame};

/// `text` with a few random edits: a byte replaced by a troublesome one, a line
/// dropped or duplicated, or a line cut short.
fn mutate(text: &str, u: &mut impl FnMut() -> f64) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for _ in 0..1 + (u() * 3.0) as usize {
        let i = (u() * lines.len() as f64) as usize;
        match (u() * 4.0) as usize {
            0 => {
                let line = &mut lines[i];
                if !line.is_empty() {
                    let at = (u() * line.len() as f64) as usize;
                    let with = [
                        "#", "\"", "=", " ", "-", "nan", "9e999", "x", ":", "1e-400", "é",
                    ][(u() * 11.0) as usize];
                    if line.is_char_boundary(at) && line.is_char_boundary(at + 1) {
                        line.replace_range(at..at + 1, with);
                    }
                }
            }
            1 => {
                lines.remove(i);
            }
            2 => {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            _ => {
                let line = &mut lines[i];
                let keep = (u() * line.len() as f64) as usize;
                if line.is_char_boundary(keep) {
                    line.truncate(keep);
                }
            }
        }
        if lines.is_empty() {
            break;
        }
    }
    lines.join("\n")
}

#[test]
fn thousands_of_mutated_files_give_results_or_errors_never_panics() {
    let s = triclinic();
    let data = lammps_data_string(&s, "mutate me");
    let xyz = extxyz_string(&[Frame::new(s.clone()), Frame::new(s)]);
    let mut u = uniform(99);
    let (mut data_errors, mut xyz_errors) = (0, 0);
    for _ in 0..3000 {
        data_errors +=
            usize::from(parse_lammps_data(&mutate(&data, &mut u), "m.data", None).is_err());
        xyz_errors += usize::from(parse_extxyz(&mutate(&xyz, &mut u), "m.xyz").is_err());
    }
    // The mutations must actually break files (else the test shows nothing).
    assert!(
        data_errors > 1000 && xyz_errors > 1000,
        "{data_errors} {xyz_errors}"
    );
}
