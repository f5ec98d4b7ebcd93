//! Reader features beyond round trips of our own files.

use nonaffine_io::{lammps_data_string, parse_extxyz, parse_lammps_data, InfoValue};

#[test]
fn type_labels_name_species_and_may_replace_type_numbers() {
    // LAMMPS 2022+ labelmap: labels may come after the sections that use them.
    let text = "labels\n2 atoms\n2 atom types\n0 4 xlo xhi\n0 4 ylo yhi\n0 4 zlo zhi\n\n\
                Masses\n\n1 63.546\nZr 91.224\n\nAtoms # atomic\n\n2 Zr 2 2 2\n1 1 0 0 0\n\n\
                Atom Type Labels\n\n1 Cu\n2 Zr\n";
    let s = parse_lammps_data(text, "labels.data", None).unwrap();
    assert_eq!(s.species[0].name, "Cu");
    assert_eq!(s.species[1].name, "Zr");
    assert_eq!(s.species[1].mass_amu, 91.224);
    assert_eq!(s.types, [0, 1]);
    assert_eq!(s.positions[1], [2.0, 2.0, 2.0]);
    // Explicit names must agree with element labels (tests/elements.rs has the rest).
    let names = ["A".to_string(), "B".to_string()];
    let e = parse_lammps_data(text, "labels.data", Some(&names)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "labels.data: type 1 is Cu in the file but is named A by the element names given; \
         give the elements in the file's type order"
    );
}

#[test]
fn names_default_to_mass_comments_then_type_numbers() {
    let text = "t\n1 atoms\n2 atom types\n0 4 xlo xhi\n0 4 ylo yhi\n0 4 zlo zhi\n\
                Masses\n1 63.546 # Cu from a comment\n2 91.224\nAtoms\n1 2 1 1 1\n";
    let s = parse_lammps_data(text, "c.data", None).unwrap();
    assert_eq!(s.species[0].name, "Cu");
    assert_eq!(s.species[1].name, "type2");
    assert_eq!(s.images, [[0, 0, 0]]);
    let wrong = ["Cu".to_string()];
    assert_eq!(
        parse_lammps_data(text, "c.data", Some(&wrong))
            .unwrap_err()
            .to_string(),
        "c.data: 1 species names given (Cu) but the file has 2 atom types"
    );
}

#[test]
fn general_triclinic_header_gives_the_cell_as_written() {
    let text = "general\n1 atoms\n1 atom types\n\
                3.0 1.0 0.5 avec\n-0.5 4.0 1.0 bvec\n0.2 -0.3 5.0 cvec\n1.0 2.0 3.0 abc origin\n\n\
                Masses\n\n1 63.546\n\nAtoms # atomic\n\n1 1 2.0 3.0 4.0\n";
    let s = parse_lammps_data(text, "g.data", None).unwrap();
    assert_eq!(
        s.cell.vectors,
        [[3.0, 1.0, 0.5], [-0.5, 4.0, 1.0], [0.2, -0.3, 5.0]]
    );
    assert_eq!(s.cell.origin, [1.0, 2.0, 3.0]);
    // Written back in LAMMPS' restricted form: same volume, same fractional position.
    let back = parse_lammps_data(&lammps_data_string(&s, "r"), "r.data", None).unwrap();
    assert!(back.cell.to_lammps().is_some());
    assert!((back.cell.volume() - s.cell.volume()).abs() < 1e-12 * s.cell.volume());
    let (f0, f1) = (
        s.cell.fractional(s.positions[0]),
        back.cell.fractional(back.positions[0]),
    );
    for k in 0..3 {
        assert!((f0[k] - f1[k]).abs() < 1e-14);
    }
}

#[test]
fn extxyz_values_are_typed_like_ase_does() {
    let text = "1\nLattice=\"3 0 0 0 3 0 0 0 3\" Origin=\"1 2 3\" flag a=1 b=1.5 c=T \
                d=\"two words\" e={1 2 3} f=[0.5, 1.5] g=F \"quoted key\"=x\nCu 1 2 3\n";
    let f = &parse_extxyz(text, "t.xyz").unwrap()[0];
    assert_eq!(f.structure.cell.origin, [1.0, 2.0, 3.0]);
    let get = |k: &str| f.info[k].clone();
    assert_eq!(get("flag"), InfoValue::Bool(true));
    assert_eq!(get("a"), InfoValue::Int(1));
    assert_eq!(get("b"), InfoValue::Float(1.5));
    assert_eq!(get("c"), InfoValue::Bool(true));
    assert_eq!(get("d"), InfoValue::Text("two words".into()));
    assert_eq!(get("e"), InfoValue::Floats(vec![1.0, 2.0, 3.0]));
    assert_eq!(get("f"), InfoValue::Floats(vec![0.5, 1.5]));
    assert_eq!(get("g"), InfoValue::Bool(false));
    assert_eq!(get("quoted key"), InfoValue::Text("x".into()));
    assert!(!f.info.contains_key("Origin") && !f.info.contains_key("Lattice"));
    // Default Properties (species:S:1:pos:R:3) and standard masses.
    assert_eq!(f.structure.species[0].mass_amu, 63.546);
}

#[test]
fn atomic_numbers_stand_in_for_species() {
    let text = "2\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=Z:I:1:pos:R:3\n29 0 0 0\n40 1 1 1\n";
    let s = &parse_extxyz(text, "z.xyz").unwrap()[0].structure;
    assert_eq!(
        s.species
            .iter()
            .map(|sp| sp.name.as_str())
            .collect::<Vec<_>>(),
        ["Cu", "Zr"]
    );
    assert_eq!(s.masses(), [63.546, 91.224]);
}
