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
use nonaffine_core::Params;
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `nonaffine forces`.
#[derive(clap::Args)]
pub struct Args {
    /// Potential plugin: `eam/fs`, `eam/alloy` or `lj/cut` (see `nonaffine plugins`).
    #[arg(long, default_value = "eam/fs")]
    kind: String,
    /// Potential file (setfl) for the EAM kinds.
    #[arg(long)]
    potential: Option<PathBuf>,
    /// Element names in LAMMPS type order, e.g. `Cu,Zr`: type k of a LAMMPS
    /// data file is the k-th name.
    #[arg(long, value_delimiter = ',', required = true)]
    elements: Vec<String>,
    /// Structure: `.data`/`.lmp`/`.lammps` (LAMMPS data) or `.xyz`/`.extxyz`.
    #[arg(long)]
    structure: PathBuf,
    /// Further plugin parameter `key=value`; a value with commas is a list
    /// (`epsilon_ev=0.0103,0.01545,0.00515`). Repeat for several.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
}

/// The JSON printed.
#[derive(Serialize)]
struct Output {
    energy_ev: f64,
    forces_ev_per_angstrom: Vec<[f64; 3]>,
    /// Voigt order xx, yy, zz, yz, xz, xy.
    virial_ev: [f64; 6],
}

fn plugin_params(args: &Args) -> anyhow::Result<Params> {
    super::potential_args::potential_params(
        "forces",
        &args.elements,
        args.potential.as_deref(),
        &args.params,
    )
}

/// Evaluates and prints.
pub fn run(args: Args) -> anyhow::Result<()> {
    let params = plugin_params(&args)?;
    let registry = nonaffine_registry::registry();
    let potential = registry.potential(&args.kind, &params)?;
    let form = potential.form().with_context(|| {
        format!(
            "potential `{}` has no form this program can evaluate",
            args.kind
        )
    })?;
    let structure = nonaffine_io::read_structure(&args.structure, Some(&args.elements))?;
    let structure = nonaffine_forces::align_species(&structure, potential.as_ref())
        .with_context(|| format!("matching species of {}", args.structure.display()))?;
    let ev = nonaffine_forces::evaluate(form, &structure)
        .with_context(|| format!("evaluating {}", args.structure.display()))?;
    let out = Output {
        energy_ev: ev.energy_ev,
        forces_ev_per_angstrom: ev.forces_ev_per_a,
        virial_ev: ev.virial_ev,
    };
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
