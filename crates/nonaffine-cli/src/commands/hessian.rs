//! `nonaffine hessian`: the analytic Hessian, nonaffine force fields, Born and
//! relaxed moduli of one structure (the `hessian` stage alone).
//!
//! ```text
//! nonaffine hessian --potential vendor/potentials/CuZr_mm.eam.fs --elements Cu,Zr \
//!     --structure glass.data --out hessian/
//! ```
//! writes `hessian/hessian.mtx` (Matrix Market, lower triangle, eV/Å²; with
//! `--matrix-format npz` `hessian.npz`, scipy's CSR layout, both triangles),
//! `xi.csv` (eV/Å), `born.json` (GPa, Å³), `relaxed.json` (GPa),
//! `structure.data` and `report.json`, and prints a short summary; its phases
//! show on stderr as the workflow runner's bars do. With `--no-matrix` H is
//! never stored: Ξ, the Born and the relaxed moduli come from the pair list
//! (memory linear in N) and no matrix file is written.

use anyhow::{bail, Context};
use nonaffine_hessian::{
    compute_matrix_free_reporting, compute_reporting, HessianOptions, MatrixFormat, PcgOptions,
};
use nonaffine_workflow::{Bars, Observer};
use std::path::PathBuf;

/// Arguments of `nonaffine hessian`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    potential: super::potential_args::PotentialArgs,
    /// Structure: `.data`/`.lmp`/`.lammps` (LAMMPS data) or `.xyz`/`.extxyz`.
    /// It should be minimized (forces ~0) for the relaxed moduli to mean anything.
    #[arg(long)]
    structure: PathBuf,
    /// Output folder (created).
    #[arg(long)]
    out: PathBuf,
    /// Skip the relaxed moduli (the six conjugate-gradient solves).
    #[arg(long)]
    no_relaxed: bool,
    /// Do not store H (matrix-free: memory linear in N; no hessian.mtx).
    #[arg(long)]
    no_matrix: bool,
    /// File of H: `mtx` (hessian.mtx, Matrix Market text) or `npz`
    /// (hessian.npz, scipy.sparse.load_npz reads it; ≈ 10× faster to write).
    #[arg(long, default_value = "mtx", value_parser = ["mtx", "npz"])]
    matrix_format: String,
    /// Relative residual at which each conjugate-gradient solve stops.
    #[arg(long, default_value_t = 1e-10)]
    pcg_tolerance: f64,
}

/// Computes, writes the folder and prints a summary.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.pcg_tolerance > 0.0 && args.pcg_tolerance < 1.0) {
        bail!(
            "--pcg-tolerance {} must be between 0 and 1",
            args.pcg_tolerance
        );
    }
    let potential = args.potential.build("hessian")?;
    let structure =
        nonaffine_io::read_structure_for(&args.structure, potential.as_ref(), "--elements")?;
    let options = HessianOptions {
        relaxed: !args.no_relaxed,
        pcg: PcgOptions {
            relative_tolerance: args.pcg_tolerance,
            ..PcgOptions::default()
        },
    };
    let format = MatrixFormat::parse(&args.matrix_format)
        .with_context(|| format!("--matrix-format {}", args.matrix_format))?;
    let bars = Bars::new();
    let bar = bars.started("hessian");
    let run = if args.no_matrix {
        compute_matrix_free_reporting(&structure, potential.as_ref(), &options, bar.as_ref())
    } else {
        compute_reporting(&structure, potential.as_ref(), &options, bar.as_ref())
    }
    .with_context(|| format!("Hessian of {}", args.structure.display()))?;
    bar.message(&format!("writing {}", args.out.display()));
    if args.no_matrix {
        run.products.write_dir_without_matrix(&args.out)
    } else {
        run.products.write_dir_as(&args.out, format)
    }
    .with_context(|| format!("writing {}", args.out.display()))?;
    drop(bar);
    let report_path = args.out.join("report.json");
    std::fs::write(
        &report_path,
        serde_json::to_string_pretty(&run.report)? + "\n",
    )
    .with_context(|| format!("writing {}", report_path.display()))?;

    let p = &run.products;
    let r = &run.report;
    outln!(
        "{} atoms, {} pairs; H: {} blocks, {} stored entries ({:.1} MB), assembled in {:.3} s",
        p.structure.len(),
        r.assembly.pairs,
        r.assembly.blocks,
        r.assembly.nnz,
        r.assembly.bytes as f64 / 1e6,
        r.timings.hessian_s
    );
    outln!(
        "max |Σ_j H_ij| = {:.1e}, max |Σ_i Ξ_i| = {:.1e} (relative); largest force {:.2e} eV/Å",
        r.assembly.max_row_sum,
        r.max_xi_sum,
        r.max_force_ev_per_a
    );
    let diag = |c: &[[f64; 6]; 6]| -> String {
        (0..6)
            .map(|a| format!("{:.2}", c[a][a]))
            .collect::<Vec<_>>()
            .join(" ")
    };
    outln!(
        "Born C^B diagonal (GPa, xx yy zz yz xz xy): {}",
        diag(&p.born_gpa)
    );
    outln!(
        "residual stress (GPa): {}",
        p.stress_gpa
            .iter()
            .map(|s| format!("{s:.4}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let (Some(c), Some(pcg)) = (&p.relaxed_gpa, &r.pcg) {
        outln!("relaxed C diagonal (GPa): {}", diag(c));
        outln!(
            "conjugate gradient: {:?} iterations, residuals up to {:.1e}",
            pcg.iterations,
            pcg.relative_residuals.iter().fold(0.0f64, |m, x| m.max(*x))
        );
    }
    outln!("wrote {}", args.out.display());
    Ok(())
}
