//! `nonaffine forces`: energy, forces and virial of one structure with one
//! potential, as JSON (atoms in file order).
//!
//! ```text
//! nonaffine forces --potential CuZr_mm.eam.fs --elements Cu,Zr --structure glass.data
//! nonaffine forces --kind lj/cut --elements A,B --structure ka.data \
//!     --param masses_amu=39.948,39.948 --param epsilon_ev=0.0103,0.01545,0.00515 \
//!     --param sigma_angstrom=3.405,2.724,2.9964 --param cutoff_angstrom=8.5125,6.81,7.491
//! ```

use anyhow::Context;
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `nonaffine forces`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    potential: super::potential_args::PotentialArgs,
    /// Structure: `.data`/`.lmp`/`.lammps` (LAMMPS data) or `.xyz`/`.extxyz`.
    #[arg(long)]
    structure: PathBuf,
}

/// The JSON printed.
#[derive(Serialize)]
struct Output {
    energy_ev: f64,
    forces_ev_per_angstrom: Vec<[f64; 3]>,
    /// Voigt order xx, yy, zz, yz, xz, xy.
    virial_ev: [f64; 6],
}

/// Evaluates and prints.
pub fn run(args: Args) -> anyhow::Result<()> {
    let potential = args.potential.build("forces")?;
    let form = potential.form().with_context(|| {
        format!(
            "potential `{}` has no form this program can evaluate",
            args.potential.kind
        )
    })?;
    let structure =
        nonaffine_io::read_structure_for(&args.structure, potential.as_ref(), "--elements")?;
    let structure = nonaffine_forces::align_species(&structure, potential.as_ref())
        .with_context(|| format!("matching species of {}", args.structure.display()))?;
    let ev = nonaffine_forces::evaluate(form, &structure)
        .with_context(|| format!("evaluating {}", args.structure.display()))?;
    let out = Output {
        energy_ev: ev.energy_ev,
        forces_ev_per_angstrom: ev.forces_ev_per_a,
        virial_ev: ev.virial_ev,
    };
    outln!("{}", serde_json::to_string(&out)?);
    Ok(())
}
