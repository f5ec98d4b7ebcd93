//! One-shot evaluation of a structure by LAMMPS (`run 0`): the independent
//! reference for the project's own energies, forces and virials.

use crate::convert::{atoms_spec, virial_from_pressure};
use crate::protocol::{Job, Step};
use crate::supervisor::{run_job, LammpsError, WorkerConfig};
use nonaffine_core::Structure;

/// Energy, per-atom energies, forces and virial as LAMMPS computes them.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// Total potential energy in eV.
    pub energy_ev: f64,
    /// Per-atom potential energy (`compute pe/atom`) in eV.
    pub per_atom_energy_ev: Vec<f64>,
    /// Forces in eV/Å, atoms in structure order (and structure frame).
    pub forces_ev_per_a: Vec<[f64; 3]>,
    /// Virial W_ab = Σ r_a f_b in eV, Voigt order [xx,yy,zz,yz,xz,xy]; positive = pushes out.
    pub virial_ev: [f64; 6],
}

/// Commands that start an atomic system in `metal` units before atoms are created.
pub fn preamble() -> Vec<String> {
    [
        "units metal",
        "atom_style atomic",
        "atom_modify map array sort 0 0.0",
        "boundary p p p",
    ]
    .map(String::from)
    .to_vec()
}

/// Evaluates `structure` with the potential set up by `setup` (`pair_style`, `pair_coeff`).
pub fn evaluate(structure: &Structure, setup: &[String]) -> Result<Evaluation, LammpsError> {
    evaluate_with(&WorkerConfig::default(), structure, setup)
}

/// [`evaluate`] with an explicit worker configuration.
pub fn evaluate_with(
    config: &WorkerConfig,
    structure: &Structure,
    setup: &[String],
) -> Result<Evaluation, LammpsError> {
    let restricted = structure.to_restricted();
    let spec = atoms_spec(&restricted)
        .ok_or_else(|| LammpsError::Protocol("cell is not in restricted triclinic form".into()))?;
    let mut commands = setup.to_vec();
    commands.extend(
        [
            "compute nonaffine_pe all pe/atom",
            "compute nonaffine_virial all pressure NULL virial",
            "thermo_style custom step pe",
            "run 0",
        ]
        .map(String::from),
    );
    let job = Job {
        steps: vec![
            Step::Commands(preamble()),
            Step::CreateAtoms(spec),
            Step::Commands(commands),
            Step::Snapshot {
                label: "eval".into(),
                per_atom: vec![("f".into(), 3), ("c_nonaffine_pe".into(), 1)],
                compute_vectors: vec![("nonaffine_virial".into(), 6)],
                thermo: vec!["pe".into()],
            },
        ],
    };
    let out = run_job(config, &job, &mut |_| {})?;
    let snap = out.snapshot("eval")?;
    if snap.positions.len() != structure.len() {
        return Err(LammpsError::Protocol(format!(
            "LAMMPS holds {} atoms, the structure {} (atoms outside the box are lost)",
            snap.positions.len(),
            structure.len()
        )));
    }
    let missing = |k: &str| LammpsError::Protocol(format!("snapshot lacks `{k}`"));
    let f = snap.per_atom.get("f").ok_or_else(|| missing("f"))?;
    // Rotate forces back into the structure's frame (identity for a restricted cell).
    let (_, rot) = structure.cell.to_restricted();
    let restricted_already = structure.cell.to_lammps().is_some();
    let forces = f
        .chunks(3)
        .map(|c| {
            if restricted_already {
                [c[0], c[1], c[2]]
            } else {
                let mut o = [0.0; 3];
                for (k, ok) in o.iter_mut().enumerate() {
                    *ok = rot[0][k] * c[0] + rot[1][k] * c[1] + rot[2][k] * c[2];
                }
                o
            }
        })
        .collect();
    let pv = snap
        .compute_vectors
        .get("nonaffine_virial")
        .ok_or_else(|| missing("virial"))?;
    Ok(Evaluation {
        energy_ev: snap
            .thermo
            .get("pe")
            .copied()
            .ok_or_else(|| missing("pe"))?,
        per_atom_energy_ev: snap
            .per_atom
            .get("c_nonaffine_pe")
            .cloned()
            .ok_or_else(|| missing("pe/atom"))?,
        forces_ev_per_a: forces,
        virial_ev: virial_from_pressure(pv, restricted.cell.volume()),
    })
}
