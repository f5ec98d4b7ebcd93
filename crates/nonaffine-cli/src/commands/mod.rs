//! Subcommands, one module each.

use clap::Subcommand;

mod convert;
mod diff;
mod forces;
mod hessian;
mod kernel;
mod kohlrausch;
mod kww;
pub mod out;
mod plugins;
mod potential_args;
mod quench;
pub(crate) mod run;
mod run_job;
mod snapshot;
mod spectrum;
mod validate;
mod verify;

/// All subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// List every plugin and stage with its parameters, units and docs.
    Plugins(plugins::Args),
    /// Energy, forces and virial of one structure with one potential, as JSON.
    Forces(forces::Args),
    /// Convert a structure between LAMMPS data and extended XYZ (format by extension).
    Convert(convert::Args),
    /// Melt, cool and minimize a glass with LAMMPS (the quench stage alone).
    Quench(quench::Args),
    /// Analytic Hessian, nonaffine force fields Ξ, Born and relaxed moduli of one structure (the hessian stage alone).
    Hessian(hessian::Args),
    /// Eigenmodes, VDOS, Γ(ν) and boson peak of Hessian-stage outputs (the spectrum stage alone).
    Spectrum(spectrum::Args),
    /// Run a workflow; stages whose inputs did not change come from the cache.
    Run(run::Args),
    /// Execute exactly one job of a run's plan (what batch jobs run).
    #[command(hide = true)]
    RunJob(run_job::Args),
    /// Check a workflow (keys, units, files, inputs) and list the jobs it would run.
    Validate(validate::Args),
    /// Hash every output of a run folder and its store against the SHA-256 recorded when it was written; exit code 1 naming every damaged file.
    Verify(verify::Args),
    /// Compare two run folders stage by stage; exit code 1 if anything changed beyond tolerance.
    Diff(diff::Args),
    /// Store a run's stage summaries as a reference (`accept`) or compare a run with it (`check`).
    Snapshot(snapshot::Args),
    /// One-sided Fourier transform of exp(−t^β) (cos and sin parts) at given ω, as JSON.
    Kww(kww::Args),
    /// ν̃(ω) = ν1 − iν2 of a memory-kernel plugin at given ω, as JSON.
    Kernel(kernel::Args),
    /// Kohlrausch storage and loss moduli E'(ω), E''(ω) at given ω, as JSON.
    Kohlrausch(kohlrausch::Args),
}

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Plugins(a) => plugins::run(a),
        Command::Forces(a) => forces::run(a),
        Command::Convert(a) => convert::run(a),
        Command::Quench(a) => quench::run(a),
        Command::Hessian(a) => hessian::run(a),
        Command::Spectrum(a) => spectrum::run(a),
        Command::Run(a) => run::run(a),
        Command::RunJob(a) => run_job::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Kww(a) => kww::run(a),
        Command::Kernel(a) => kernel::run(a),
        Command::Kohlrausch(a) => kohlrausch::run(a),
    }
}
