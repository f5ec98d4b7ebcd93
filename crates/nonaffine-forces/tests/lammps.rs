//! The engine with the potential plugins against LAMMPS itself (Debian's
//! LAMMPS 20220106 through the `nonaffine-lammps` worker, `run 0`): per-atom
//! energies, forces and virial.
//!
//! Tolerance 1e-9 relative to the largest component; what remains is
//! summation order and the different round-off of image vectors (LAMMPS adds
//! the box length to ghost coordinates, we add lattice vectors to differences).
//! At a minimum the net forces nearly vanish while each is a sum of pair
//! forces of order 1 eV/Å, so there forces are compared relative to that
//! scale (1 eV/Å) instead: round-off of the pair sums is what limits them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use nonaffine_core::{Potential, Structure};
use nonaffine_forces::{align_species, evaluate, Evaluation};
use nonaffine_lammps::{run_job, Job, Step, WorkerConfig};
use potential_eam::{EamPotential, Flavor};
use std::fmt::Write as _;
use std::path::Path;
use support::{lammps, max_abs, max_abs_diff, Reference, Rng};

/// Relative deviations (energy, per-atom energy, force, virial). Forces are
/// measured against max(largest LAMMPS force, `force_floor` eV/Å).
fn deviations(ours: &Evaluation, lmp: &Reference, force_floor: f64) -> [f64; 4] {
    let rel_e = (ours.energy_ev - lmp.energy_ev).abs() / lmp.energy_ev.abs();
    let rel_pe = max_abs_diff(&ours.per_atom_energy_ev, &lmp.per_atom_energy_ev)
        / max_abs(&lmp.per_atom_energy_ev);
    let f_ours: Vec<f64> = ours.forces_ev_per_a.iter().flatten().copied().collect();
    let f_lmp: Vec<f64> = lmp.forces_ev_per_a.iter().flatten().copied().collect();
    let rel_f = max_abs_diff(&f_ours, &f_lmp) / max_abs(&f_lmp).max(force_floor);
    let rel_w = max_abs_diff(&ours.virial_ev, &lmp.virial_ev) / max_abs(&lmp.virial_ev);
    [rel_e, rel_pe, rel_f, rel_w]
}

fn check_against_lammps(label: &str, potential: &dyn Potential, structure: &Structure) -> [f64; 4] {
    check_with_force_floor(label, potential, structure, 0.0)
}

fn check_with_force_floor(
    label: &str,
    potential: &dyn Potential,
    structure: &Structure,
    force_floor: f64,
) -> [f64; 4] {
    let s = align_species(structure, potential).unwrap();
    let ours = evaluate(potential.form().unwrap(), &s).unwrap();
    let lmp = lammps(&s, &potential.lammps_commands());
    let d = deviations(&ours, &lmp, force_floor);
    eprintln!(
        "{label}: N = {}, E = {:.10} eV; relative deviation from LAMMPS: energy {:.1e}, \
         per-atom energy {:.1e}, forces {:.1e}, virial {:.1e}",
        s.len(),
        lmp.energy_ev,
        d[0],
        d[1],
        d[2],
        d[3]
    );
    for (what, x) in ["energy", "per-atom energy", "forces", "virial"]
        .iter()
        .zip(d)
    {
        assert!(
            x <= 1e-9,
            "{label}: {what} deviates from LAMMPS by {x:e} (relative)"
        );
    }
    d
}

fn cuzr_potential() -> EamPotential {
    EamPotential::from_file(
        &support::cuzr_file(),
        Flavor::Fs,
        &["Cu".into(), "Zr".into()],
    )
    .unwrap()
}

#[test]
fn cuzr_250_atoms_random_types_displaced_agrees_with_lammps() {
    let s = support::cuzr(5, [0.0; 3], 0.05, 42);
    assert_eq!(s.len(), 250);
    check_against_lammps("Cu50Zr50 bcc 250, 0.05 Å", &cuzr_potential(), &s);
}

/// A potential file whose path holds `#` (a comment to LAMMPS), `$` (a
/// variable), blanks or a `'` reaches LAMMPS quoted and gives LAMMPS' energies
/// and forces = ours (before: `pair_coeff * * /x/run#1/...` was cut at `#`
/// inside LAMMPS).
#[test]
fn a_potential_path_with_hash_dollar_and_blank_reaches_lammps() {
    let dir = tempfile::tempdir().unwrap();
    let s = support::cuzr(3, [0.0; 3], 0.05, 7);
    for (folder, name) in [("run#1", "CuZr$y.eam.fs"), ("run #2 $x", "Cu'Zr.eam.fs")] {
        let odd = dir.path().join(folder);
        std::fs::create_dir_all(&odd).unwrap();
        let file = odd.join(name);
        std::fs::copy(support::cuzr_file(), &file).unwrap();
        let p = EamPotential::from_file(&file, Flavor::Fs, &["Cu".into(), "Zr".into()]).unwrap();
        assert!(
            p.lammps_commands()[1].contains('"'),
            "{:?}",
            p.lammps_commands()
        );
        check_against_lammps(&format!("Cu50Zr50 bcc 54, {folder}/{name}"), &p, &s);
    }
}

/// A Cu50Zr50 glass made by LAMMPS: 250 atoms melted at 2500 K for 1 ps at
/// fixed volume, then minimized (conjugate gradient, fixed box) to its
/// inherent structure. An infinitely fast quench, but a real minimized glass.
fn lammps_quenched_glass(potential: &dyn Potential) -> Structure {
    let start = align_species(&support::cuzr(5, [0.0; 3], 0.3, 77), potential).unwrap();
    let spec = nonaffine_lammps::atoms_spec(&start).unwrap();
    let mut commands = potential.lammps_commands();
    commands.extend(
        [
            "timestep 0.002",
            "velocity all create 3000 4928459 dist gaussian",
            "fix melt all nvt temp 2500 2500 0.1",
            "run 500",
            "unfix melt",
            "min_style cg",
            "minimize 0 1e-8 5000 50000",
        ]
        .map(String::from),
    );
    let job = Job {
        steps: vec![
            Step::Commands(nonaffine_lammps::preamble()),
            Step::CreateAtoms(spec),
            Step::Commands(commands),
            Step::Snapshot {
                label: "glass".into(),
                per_atom: vec![],
                compute_vectors: vec![],
                thermo: vec![],
            },
        ],
    };
    let out = run_job(&WorkerConfig::default(), &job, &mut |_| {}).unwrap();
    let names = potential.elements().to_vec();
    nonaffine_lammps::structure_of(out.snapshot("glass").unwrap(), &names).unwrap()
}

#[test]
fn cuzr_minimized_glass_and_its_displaced_copy_agree_with_lammps() {
    let p = cuzr_potential();
    let glass = lammps_quenched_glass(&p);
    let ev = evaluate(p.form().unwrap(), &glass).unwrap();
    let fmax = ev
        .forces_ev_per_a
        .iter()
        .flatten()
        .fold(0.0f64, |m, f| m.max(f.abs()));
    assert!(
        fmax < 1e-5,
        "the glass is not at a minimum: max |f| = {fmax} eV/Å"
    );
    eprintln!("minimized glass: max |f| = {fmax:.1e} eV/Å");
    check_with_force_floor("Cu50Zr50 minimized glass 250", &p, &glass, 1.0);

    let mut rng = Rng(2024);
    let mut shaken = glass.clone();
    for x in &mut shaken.positions {
        for xk in x.iter_mut() {
            *xk += 0.05 * rng.sym();
        }
    }
    check_against_lammps("Cu50Zr50 glass + 0.05 Å", &p, &shaken);
}

#[test]
fn cuzr_strongly_disordered_triclinic_agrees_with_lammps() {
    // 128 atoms, cell 13 Å < 2 r_c: several images per pair, large tilts.
    let s = support::cuzr(4, [1.3, 0.4, -0.8], 0.45, 3);
    check_against_lammps("Cu50Zr50 triclinic 128, 0.45 Å", &cuzr_potential(), &s);
}

#[test]
fn cuzr_small_triclinic_cell_with_many_images_agrees_with_lammps() {
    // 16 atoms in a 6.5 Å cell: narrower than the 7.6 Å cutoff itself.
    let s = support::cuzr(2, [0.9, -0.7, 0.5], 0.1, 7);
    assert!(s.cell.widths().iter().all(|w| *w < 7.6));
    check_against_lammps("Cu50Zr50 small triclinic 16", &cuzr_potential(), &s);
}

#[test]
fn cuzr_species_listed_in_reverse_type_order_agrees_with_lammps() {
    // Zr as type 1, Cu as type 2: the element mapping goes through pair_coeff.
    let p = EamPotential::from_file(
        &support::cuzr_file(),
        Flavor::Fs,
        &["Zr".into(), "Cu".into()],
    )
    .unwrap();
    let s = support::cuzr(3, [0.4, 0.0, 0.2], 0.2, 9);
    check_against_lammps("Cu50Zr50 54, types Zr Cu", &p, &s);
}

#[test]
fn eam_alloy_file_agrees_with_lammps() {
    let file = Path::new("/usr/share/lammps/potentials/CuNi.eam.alloy");
    assert!(
        file.exists(),
        "install Debian's lammps-data for {}",
        file.display()
    );
    let p = EamPotential::from_file(file, Flavor::Alloy, &["Ni".into(), "Cu".into()]).unwrap();
    let s = support::bcc_binary(
        4,
        2.85,
        [0.3, -0.2, 0.1],
        0.1,
        5,
        [("Cu", 63.55), ("Ni", 58.69)],
    );
    check_against_lammps("CuNi eam/alloy 128", &p, &s);
}

/// A hand-made two-element eam/fs file whose density functions are strongly
/// unsymmetric: ρ_{host A ← neighbour B} ≠ ρ_{host B ← neighbour A}. With
/// `transpose` the two functions inside each block are swapped.
fn unsymmetric_fs_file(dir: &Path, transpose: bool) -> std::path::PathBuf {
    let (nrho, drho, nr, dr, rc) = (2000, 0.004, 2000, 0.003, 5.9);
    let taper = |r: f64| if r < rc { ((rc - r) / rc).powi(3) } else { 0.0 };
    // density[block][host]: the density an atom of `block` gives a `host` atom.
    let density = |block: usize, host: usize, r: f64| -> f64 {
        let amp = [[1.0, 6.0], [0.3, 2.0]][block][host];
        let decay = [[1.1, 0.6], [1.9, 0.9]][block][host];
        amp * (-decay * (r - 2.5)).exp() * taper(r)
    };
    let mut s =
        String::from("unsymmetric test potential\nmade by nonaffine-forces tests\n#\n2 A B\n");
    writeln!(s, "{nrho} {drho:e} {nr} {dr:e} {rc:e}").unwrap();
    for (block, (z, mass)) in [(1, 10.0), (2, 20.0)].iter().enumerate() {
        writeln!(s, "{z} {mass:e} 3.0 bcc").unwrap();
        let c = [1.0, 2.5][block];
        for k in 0..nrho {
            let rho = k as f64 * drho;
            writeln!(s, "{:e}", -c * rho.sqrt() + 0.01 * rho * rho).unwrap();
        }
        for host in 0..2 {
            let host_used = if transpose { 1 - host } else { host };
            for k in 0..nr {
                writeln!(s, "{:e}", density(block, host_used, k as f64 * dr)).unwrap();
            }
        }
    }
    for (i, j) in [(0, 0), (1, 0), (1, 1)] {
        let a = [[0.5, 0.8], [0.8, 1.4]][i][j];
        for k in 0..nr {
            let r = k as f64 * dr;
            writeln!(s, "{:e}", r * a * (-(r - 2.5)).exp() * taper(r)).unwrap();
        }
    }
    let path = dir.join(if transpose {
        "transposed.eam.fs"
    } else {
        "unsymmetric.eam.fs"
    });
    std::fs::write(&path, s).unwrap();
    path
}

#[test]
fn fs_density_index_order_is_pinned_by_an_unsymmetric_file() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["A".to_string(), "B".to_string()];
    let s = support::bcc_binary(
        3,
        3.0,
        [0.2, 0.1, -0.3],
        0.15,
        13,
        [("A", 10.0), ("B", 20.0)],
    );
    let right =
        EamPotential::from_file(&unsymmetric_fs_file(dir.path(), false), Flavor::Fs, &names)
            .unwrap();
    check_against_lammps("unsymmetric eam/fs 54", &right, &s);
    // ρ_max = (Nrho − 1)·drho ≈ 8 sits inside the spread of host densities, so
    // LAMMPS' linear extrapolation of F beyond the table is compared too.
    let rho = evaluate(right.form().unwrap(), &align_species(&s, &right).unwrap())
        .unwrap()
        .density;
    let rho_max = 1999.0 * 0.004;
    assert!(rho.iter().any(|r| *r > rho_max) && rho.iter().any(|r| *r < rho_max));

    // The same file with the two functions of each block swapped gives energies
    // far from LAMMPS' on the original file: the test can tell the orders apart.
    let wrong = EamPotential::from_file(&unsymmetric_fs_file(dir.path(), true), Flavor::Fs, &names)
        .unwrap();
    let s = align_species(&s, &right).unwrap();
    let lmp = lammps(&s, &right.lammps_commands());
    let swapped = evaluate(wrong.form().unwrap(), &s).unwrap();
    let d = deviations(&swapped, &lmp, 0.0);
    assert!(
        d[1] > 1e-2,
        "transposed densities should disagree with LAMMPS, got {d:?}"
    );
}

#[test]
fn kob_andersen_lj_agrees_with_lammps_lj_cut() {
    let lj = potential_lj::kob_andersen();
    let mut s = support::bcc_binary(
        5,
        4.04,
        [0.5, -0.3, 0.2],
        0.15,
        21,
        [("A", 39.948), ("B", 39.948)],
    );
    // 80:20 composition.
    let n = s.len();
    let mut types: Vec<usize> = (0..n).map(|i| usize::from(i >= 4 * n / 5)).collect();
    Rng(99).shuffle(&mut types);
    s.types = types;
    check_against_lammps("Kob-Andersen LJ 250", &lj, &s);
}
