//! Write → read round trips of both formats.

use crate::common::{assert_bit_identical, triclinic};
use nonaffine_core::{Cell, Species, Structure};
use nonaffine_io::{
    extxyz_string, lammps_data_string, parse_extxyz, parse_lammps_data, Frame, InfoValue,
};

#[test]
fn triclinic_lammps_data_round_trips_bit_exactly() {
    let s = triclinic();
    let text = lammps_data_string(&s, "round trip");
    let back = parse_lammps_data(&text, "roundtrip.data", None).unwrap();
    assert_bit_identical(&s, &back);
    // And the text is a fixed point.
    assert_eq!(lammps_data_string(&back, "round trip"), text);
}

#[test]
fn data_text_to_structure_to_text_to_structure_is_exact() {
    // Hand-written file: bounds whose difference is inexact in binary, atoms out of order.
    let text = "title\n\n 3 atoms\n2 atom types\n-0.1234567890123 20.987654321098 xlo xhi\n\
                0.3 10.7 ylo yhi\n-1e-3 9.999 zlo zhi\n0.1 -0.2 0.3 xy xz yz\n\nMasses\n\n1 63.546\n2 91.224\n\n\
                Atoms # atomic\n\n3 2 1.1 2.2 3.3 1 0 -1\n1 1 0.1 0.2 0.3 0 0 0\n2 1 5.55 6.66 7.77 0 2 0\n";
    let names = ["Cu".to_string(), "Zr".to_string()];
    let a = parse_lammps_data(text, "hand.data", Some(&names)).unwrap();
    assert_eq!(a.positions[0], [0.1, 0.2, 0.3]);
    assert_eq!(a.images[2], [1, 0, -1]);
    assert_eq!(a.types, [0, 0, 1]);
    assert_eq!(a.cell.vectors[0][0], 20.987654321098 - -0.1234567890123);
    let b = parse_lammps_data(&lammps_data_string(&a, "x"), "again.data", None).unwrap();
    assert_bit_identical(&a, &b);
}

#[test]
fn orthogonal_box_has_no_tilt_line_and_round_trips() {
    let sp = vec![Species {
        name: "Cu".into(),
        mass_amu: 63.546,
    }];
    let s = Structure::new(
        Cell::orthogonal(3.615, 3.615, 3.615),
        sp,
        vec![0; 2],
        vec![[0.0; 3], [1.8075, 1.8075, 0.0]],
        vec![[0; 3]; 2],
    )
    .unwrap();
    let text = lammps_data_string(&s, "fcc");
    assert!(!text.contains("xy xz yz"));
    assert_bit_identical(&s, &parse_lammps_data(&text, "fcc.data", None).unwrap());
}

#[test]
fn general_cell_written_as_lammps_data_keeps_lengths_angles_volume_and_distances() {
    // Rotate a restricted structure by a known rotation; writing must undo it.
    let s = triclinic();
    let (a, b, c) = (0.3_f64, -1.1_f64, 2.0_f64);
    let rz = [
        [a.cos(), -a.sin(), 0.0],
        [a.sin(), a.cos(), 0.0],
        [0.0, 0.0, 1.0],
    ];
    let ry = [
        [b.cos(), 0.0, b.sin()],
        [0.0, 1.0, 0.0],
        [-b.sin(), 0.0, b.cos()],
    ];
    let rx = [
        [1.0, 0.0, 0.0],
        [0.0, c.cos(), -c.sin()],
        [0.0, c.sin(), c.cos()],
    ];
    let mul = |m: &[[f64; 3]; 3], v: [f64; 3]| {
        [0, 1, 2].map(|i| m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2])
    };
    let rot = |v: [f64; 3]| mul(&rz, mul(&ry, mul(&rx, v)));
    let mut g = s.clone();
    g.cell.vectors = s.cell.vectors.map(rot);
    g.cell.origin = rot(s.cell.origin);
    g.positions = s.positions.iter().map(|p| rot(*p)).collect();
    assert!(g.cell.to_lammps().is_none(), "the rotated cell is general");

    let back = parse_lammps_data(&lammps_data_string(&g, "rotated"), "rot.data", None).unwrap();
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * (1.0 + y.abs());
    let dot = |u: [f64; 3], v: [f64; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    assert!(close(back.cell.volume(), s.cell.volume()));
    for i in 0..3 {
        for j in 0..3 {
            // Metric tensor: lengths and angles.
            assert!(close(
                dot(back.cell.vectors[i], back.cell.vectors[j]),
                dot(s.cell.vectors[i], s.cell.vectors[j])
            ));
            // The restricted form is unique, so the original comes back.
            assert!(
                close(back.cell.vectors[i][j], s.cell.vectors[i][j]),
                "cell {i}{j}"
            );
        }
    }
    let dist = |p: &[[f64; 3]], i: usize, j: usize| {
        let d = [0, 1, 2].map(|k| p[i][k] - p[j][k]);
        dot(d, d).sqrt()
    };
    for i in 0..s.len() {
        for j in 0..i {
            assert!(close(dist(&back.positions, i, j), dist(&s.positions, i, j)));
        }
    }
    assert_eq!(back.images, s.images);
    assert_eq!(back.types, s.types);
}

fn info() -> std::collections::BTreeMap<String, InfoValue> {
    [
        ("energy_ev", InfoValue::Float(-1234.5678901234567)),
        ("temperature_k", InfoValue::Float(670.0)),
        ("step", InfoValue::Int(-42)),
        ("converged", InfoValue::Bool(false)),
        ("note", InfoValue::Text("melt \"quench\" = 1e12 K/s".into())),
        ("stress_bar", InfoValue::Floats(vec![1.0, -2.5e-7, 3e20])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[test]
fn extxyz_round_trips_frames_and_info_exactly_at_origin_zero() {
    let mut s = triclinic();
    let o = s.cell.origin;
    s.positions
        .iter_mut()
        .for_each(|p| *p = [p[0] - o[0], p[1] - o[1], p[2] - o[2]]);
    s.cell.origin = [0.0; 3];
    s.images = vec![[0; 3]; s.len()];
    let mut second = s.clone();
    second.positions.truncate(5);
    second.types = vec![1, 1, 1, 1, 1];
    second.images.truncate(5);
    let frames = vec![
        Frame {
            structure: s,
            info: info(),
        },
        Frame::new(second),
    ];
    let text = extxyz_string(&frames);
    let back = parse_extxyz(&text, "rt.xyz").unwrap();
    assert_eq!(back.len(), 2);
    assert_bit_identical(&frames[0].structure, &back[0].structure);
    assert_eq!(back[0].info, frames[0].info);
    // Species numbered by first appearance: the second frame has only Zr.
    assert_eq!(back[1].structure.species.len(), 1);
    assert_eq!(back[1].structure.species[0].name, "Zr");
    assert!(back[1].info.is_empty());
    assert_eq!(extxyz_string(&back), text);
}

#[test]
fn extxyz_writes_positions_relative_to_the_origin_and_drops_image_flags() {
    let s = triclinic();
    let back =
        &parse_extxyz(&extxyz_string(&[Frame::new(s.clone())]), "o.xyz").unwrap()[0].structure;
    assert_eq!(back.cell.origin, [0.0; 3]);
    assert_eq!(back.cell.vectors, s.cell.vectors);
    assert!(back.images.iter().all(|i| *i == [0; 3]));
    for (p, q) in back.positions.iter().zip(&s.positions) {
        for k in 0..3 {
            let expected = q[k] - s.cell.origin[k];
            assert!((p[k] - expected).abs() <= 4.0 * f64::EPSILON * q[k].abs().max(1.0));
        }
    }
}

#[test]
fn extxyz_keeps_non_standard_masses_in_a_masses_column() {
    let sp = vec![
        Species {
            name: "A".into(),
            mass_amu: 1.0,
        },
        Species {
            name: "Cu".into(),
            mass_amu: 63.5,
        },
    ];
    let s = Structure::new(
        Cell::orthogonal(5.0, 6.0, 7.0),
        sp,
        vec![0, 1],
        vec![[0.0; 3], [1.0; 3]],
        vec![[0; 3]; 2],
    )
    .unwrap();
    let text = extxyz_string(&[Frame::new(s.clone())]);
    assert!(text.contains("Properties=species:S:1:pos:R:3:masses:R:1"));
    assert_bit_identical(&parse_extxyz(&text, "m.xyz").unwrap()[0].structure, &s);
}

#[test]
fn over_tilted_cells_are_reduced_to_lammps_limits_keeping_unwrapped_positions() {
    let mut s = triclinic();
    let v = s.cell.vectors;
    let (lx, ly) = (v[0][0], v[1][1]);
    s.cell.vectors[1][0] = 0.7 * lx;
    s.cell.vectors[2][0] = 1.3 * lx;
    s.cell.vectors[2][1] = -0.8 * ly;
    let back = parse_lammps_data(&lammps_data_string(&s, "skewed"), "skew.data", None).unwrap();
    let w = back.cell.vectors;
    assert!(w[1][0].abs() <= 0.5 * lx && w[2][0].abs() <= 0.5 * lx && w[2][1].abs() <= 0.5 * ly);
    assert!((back.cell.volume() - s.cell.volume()).abs() < 1e-12 * s.cell.volume());
    assert_eq!(back.positions, s.positions);
    assert_ne!(back.images, s.images);
    for (p, q) in back.unwrapped().iter().zip(s.unwrapped()) {
        for k in 0..3 {
            assert!((p[k] - q[k]).abs() < 1e-11, "{p:?} vs {q:?}");
        }
    }
}
