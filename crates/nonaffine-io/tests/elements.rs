//! Element names given for a structure file, checked against the file: swapped
//! names are refused by mass or by label, agreeing names and free-text labels pass.

use nonaffine_io::{
    parse_lammps_data, read_structure, read_structure_named, ElementNames, IoError,
};
use std::path::Path;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A Cu,Zr file with the masses of `masses` lines (after the type number).
fn data(masses: &[&str]) -> String {
    let mut t = String::from(
        "t\n2 atoms\n2 atom types\n0 4 xlo xhi\n0 4 ylo yhi\n0 4 zlo zhi\n\nMasses\n\n",
    );
    for (k, m) in masses.iter().enumerate() {
        t.push_str(&format!("{} {m}\n", k + 1));
    }
    t.push_str("\nAtoms # atomic\n\n1 1 0 0 0\n2 2 2 2 2\n");
    t
}

#[test]
fn swapped_elements_are_refused_by_mass_naming_type_mass_and_order() {
    let text = data(&["63.546", "91.224"]);
    let e = parse_lammps_data(&text, "glass.data", Some(&names(&["Zr", "Cu"]))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "glass.data: type 1 has mass 63.546 amu (Cu) but is named Zr (91.224 amu) by the \
         element names given; the file's masses say the types are Cu,Zr: give the elements in \
         that order"
    );
    assert!(matches!(e, IoError::Elements { .. }));
    // The right order passes, and so do masses rounded to whole amu.
    assert!(parse_lammps_data(&text, "glass.data", Some(&names(&["Cu", "Zr"]))).is_ok());
    let rounded = data(&["64", "91"]);
    assert!(parse_lammps_data(&rounded, "r.data", Some(&names(&["Cu", "Zr"]))).is_ok());
}

#[test]
fn a_mass_of_no_named_element_is_refused() {
    // Ni named as Cu: 58.69 is 4.9 amu from Cu's 63.546.
    let text = data(&["58.6934", "91.224"]);
    let e = parse_lammps_data(&text, "ni.data", Some(&names(&["Cu", "Zr"]))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ni.data: type 1 has mass 58.6934 amu (Ni) but is named Cu (63.546 amu) by the element \
         names given; give the elements in the file's type order (see its Masses section)"
    );
}

#[test]
fn kob_andersen_names_need_the_potentials_masses() {
    // Kob–Andersen A, B with argon masses: "A" is no element; "B" is boron (10.81 amu),
    // so without masses from a potential its 39.948 is refused ...
    let text = data(&["39.948", "39.948"]);
    let ab = names(&["A", "B"]);
    let e = parse_lammps_data(&text, "ka.data", Some(&ab)).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("ka.data: type 2 has mass 39.948 amu (Ar) but is named B (10.81 amu)"),
        "{e}"
    );
    // ... and with the potential's masses it passes.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ka.data");
    std::fs::write(&path, &text).unwrap();
    let masses = [39.948, 39.948];
    let given = ElementNames {
        names: &ab,
        masses_amu: Some(&masses),
        named_by: "--elements",
    };
    let s = read_structure_named(&path, &given).unwrap();
    assert_eq!(s.species[1].name, "B");
}

#[test]
fn labels_and_mass_comments_are_compared_with_the_names() {
    let labelled = "t\n1 atoms\n2 atom types\n0 4 xlo xhi\n0 4 ylo yhi\n0 4 zlo zhi\n\nMasses\n\n\
                    1 40 # Ar\n2 40 # K\n\nAtoms # atomic\n\n1 1 0 0 0\n";
    // Masses alone cannot tell Ar (39.948) from K (39.098): the comments can.
    let e = parse_lammps_data(labelled, "l.data", Some(&names(&["K", "Ar"]))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "l.data: type 1 is Ar in the file but is named K by the element names given; give the \
         elements in the file's type order"
    );
    // Free text after # is not a label to compare.
    let free = data(&["63.546 # copper atoms", "91.224 # zirconium"]);
    assert!(parse_lammps_data(&free, "f.data", Some(&names(&["Cu", "Zr"]))).is_ok());
}

#[test]
fn extxyz_species_must_be_among_the_names_with_their_masses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.xyz");
    std::fs::write(
        &path,
        "2\nLattice=\"4 0 0 0 4 0 0 0 4\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n\
         Zr 0 0 0\nCu 2 2 2\n",
    )
    .unwrap();
    let s = read_structure(&path, Some(&names(&["Cu", "Zr"]))).unwrap();
    assert_eq!(s.species[0].name, "Zr");
    let e = read_structure(&path, Some(&names(&["Cu", "Ni"]))).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the file has species Zr but the elements named by the element names given are \
             Cu, Ni; name every species of the file",
            path.display()
        )
    );
    // The potential's masses are compared with the file's (standard) masses.
    let masses = [91.224, 63.546];
    let swapped = names(&["Zr", "Cu"]);
    let given = ElementNames {
        names: &swapped,
        masses_amu: Some(&masses),
        named_by: "stages.hessian.params.potential.elements",
    };
    assert!(read_structure_named(&path, &given).is_ok());
    let wrong_masses = [63.546, 91.224];
    let given = ElementNames {
        masses_amu: Some(&wrong_masses),
        ..given
    };
    let e = read_structure_named(Path::new(&path), &given).unwrap_err();
    assert!(
        e.to_string().contains(
            "species Zr has mass 91.224 amu (Cu) but is named Zr (63.546 amu) by \
             stages.hessian.params.potential.elements"
        ),
        "{e}"
    );
}
