//! A corpus of broken files (tests/data/malformed/) and the exact error each gives.

use nonaffine_io::{parse_extxyz, parse_lammps_data};
use std::path::Path;

/// (file, error message). Each message names the file, the line and what was expected.
const EXPECTED: &[(&str, &str)] = &[
    ("atom_id_out_of_range.data", "atom_id_out_of_range.data:19: atom ID 7 exceeds the atom count 3; IDs must be exactly 1..3"),
    ("atom_style_full.data", "atom_style_full.data:15: atom style `full` is not supported; write the file with atom_style atomic (`id type x y z [ix iy iz]`)"),
    ("bonds_in_atomic_style.data", "bonds_in_atomic_style.data:5: 4 bonds: atom_style atomic has no bonds; only 0 is accepted"),
    ("duplicate_atom_id.data", "duplicate_atom_id.data:19: duplicate atom ID 2 (first at line 18)"),
    ("empty.xyz", "empty.xyz: no frames; an extended XYZ file starts with the number of atoms"),
    ("huge_atom_count.data", "huge_atom_count.data:16: the file ends after 1 of the 99999999999999999 lines of the Atoms section (the header declares 99999999999999999 atoms)"),
    ("huge_atom_count.xyz", "huge_atom_count.xyz:3: the file ends after 1 of the 18446744073709551615 atom lines of frame 1"),
    ("inconsistent_masses.xyz", "inconsistent_masses.xyz:5: atom 3 (Cu) has mass 64 amu but an earlier Cu atom has 63.5 amu; nonaffine needs one mass per species"),
    ("infinite_position.xyz", "infinite_position.xyz:5: coordinate y = `inf` of atom 3 is not a finite number"),
    ("inverted_box.data", "inverted_box.data:7: ylo yhi: the upper bound 0 must exceed the lower bound 10"),
    ("lattice_with_8_numbers.xyz", "lattice_with_8_numbers.xyz:2: Lattice=\"10.0 0.0 0.0 0.0 10.0 0.0 0.0 10.0\" must hold 9 numbers (a, b, c as rows), found 8"),
    ("left_handed_lattice.xyz", "left_handed_lattice.xyz frame 1: invalid structure: cell volume -1000 Å³ is not positive (cell vectors must be right-handed and independent)"),
    ("missing_atoms_count.data", "missing_atoms_count.data: the header has no `N atoms` line"),
    ("missing_lattice.xyz", "missing_lattice.xyz:2: frame 1 has no Lattice=\"ax ay az bx by bz cx cy cz\"; nonaffine needs a periodic cell"),
    ("missing_masses.data", "missing_masses.data: no Masses section; atom_style atomic needs the mass (amu) of each of the 2 atom types"),
    ("missing_zlo_zhi.data", "missing_zlo_zhi.data: the header has no `zlo zhi` line"),
    ("misspelled_section.data", "misspelled_section.data:15: `Atom` is no section title (did you mean `Atoms`?), or the Masses section has more than the 2 lines the header declares (2 atom types)"),
    ("nan_coordinate.data", "nan_coordinate.data:18: coordinate y = `nan` of atom 2 is not a finite number"),
    ("negative_mass.data", "negative_mass.data:13: mass `-91.224` of type 2 is not a positive number of amu"),
    ("non_integer_atom_count.xyz", "non_integer_atom_count.xyz:1: expected the number of atoms of frame 1 (an integer), found `three`"),
    ("non_integer_image_flag.data", "non_integer_image_flag.data:17: image flag iy = `0.5` of atom 1 is not an integer"),
    ("non_numeric_coordinate.data", "non_numeric_coordinate.data:18: coordinate y = `five` of atom 2 is not a finite number"),
    ("not_fully_periodic.xyz", "not_fully_periodic.xyz:2: pbc=\"T T F\": nonaffine handles cells periodic in all three directions only (pbc=\"T T T\")"),
    ("properties_without_pos.xyz", "properties_without_pos.xyz:2: Properties=species:S:1:position:R:3 has no pos:R:3 column"),
    ("too_few_atom_lines.data", "too_few_atom_lines.data:18: the file ends after 2 of the 3 lines of the Atoms section (the header declares 3 atoms)"),
    ("too_few_columns.xyz", "too_few_columns.xyz:4: expected 4 columns (Properties=species:S:1:pos:R:3), found 3"),
    ("too_few_masses.data", "too_few_masses.data:15: `Atoms` starts after 1 of the 2 lines of the Masses section (the header declares 2 atom types)"),
    ("too_many_atom_lines.data", "too_many_atom_lines.data:20: the Atoms section has more than the 3 lines the header declares (3 atoms)"),
    ("truncated_frame.xyz", "truncated_frame.xyz:4: the file ends after 2 of the 3 atom lines of frame 1"),
    ("unknown_atom_type.data", "unknown_atom_type.data:18: unknown atom type 3; the header declares 2 atom types (1..2)"),
    ("unknown_column_type.xyz", "unknown_column_type.xyz:2: Properties: column `pos` has type `X`; expected S, R, I or L"),
    ("unknown_element.xyz", "unknown_element.xyz:4: `Qq` is not an element symbol (H..Pu) and the file has no masses:R:1 column; use element symbols or add masses"),
    ("unknown_header_line.data", "unknown_header_line.data:5: unknown header line `1.0 2.0 3.0 4.0 xy xz yz zz`; expected `N atoms`, `N atom types`, `lo hi xlo xhi` (and y, z), `xy xz yz` or a section title such as `Masses`"),
    ("unknown_section.data", "unknown_section.data:21: unknown or unsupported section `Bonds`; an atom_style atomic file has Masses, Atoms and optionally Atom Type Labels, Velocities, Pair Coeffs"),
    ("unterminated_quote.xyz", "unterminated_quote.xyz:2: unterminated quoted string `\"unterminated`"),
    ("wrong_column_count.data", "wrong_column_count.data:18: an atom_style atomic line is `id type x y z` or `id type x y z ix iy iz`, found 7 fields"),
];

fn error_of(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/malformed")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let result = if name.ends_with(".data") {
        parse_lammps_data(&text, name, None).map(|_| ())
    } else {
        parse_extxyz(&text, name).map(|_| ())
    };
    match result {
        Ok(()) => panic!("{name} was accepted but is malformed"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_malformed_file_gives_its_exact_error() {
    for (name, expected) in EXPECTED {
        assert_eq!(error_of(name), *expected, "{name}");
    }
}

#[test]
fn the_table_covers_the_whole_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
    assert!(files.len() >= 10);
}
